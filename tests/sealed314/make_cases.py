#!/usr/bin/env python3
"""Builds cases.jsonl for evaluation set sealed314 (Vonkelaar Verlichting B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
identifiers and credentials are generated here the way the real ones are built, and the
whole output is checked against the contract before the script reports success.
Severities are computed from the account role in profile.yaml (CONTRACT section 4).
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
SEED = 314_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def luhn_complete(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(d[i] * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = "".join(map(str, d)) + str(r)
            assert bsn_ok(s)
            return s


def bad_digit(s, pos_from_end=1):
    """Change one digit so the checksum breaks (single substitutions are always caught)."""
    idx = [i for i, c in enumerate(s) if c.isdigit()][-pos_from_end]
    old = s[idx]
    new = str((int(old) + 3) % 10)
    return s[:idx] + new + s[idx + 1:]


# ------------------------------------------------------------------- credential makers
def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rnd(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "emp-20417", "name": "Nadia vd Heuvel", "role": "showroom_staff",
                            "iat": 1781020800, "exp": 1781107200}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False


def ssh_private_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00\x00\x00\x00\x01"
           + b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.getrandbits(8) for _ in range(32))
           + b"\x00\x00\x00\x88" + bytes(rng.getrandbits(8) for _ in range(136)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_bot_token():
    return "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13), rnd(ALNUM, 24))


def openai_key():
    return "sk-proj-" + rnd(B64URL, 58) + "T3BlbkFJ" + rnd(B64URL, 58)


def anthropic_key():
    return "sk-ant-api03-" + rnd(B64URL, 93) + "AA"


def stripe_live():
    return "sk_live_51" + rnd(ALNUM, 96)


def mollie_live():
    return "live_" + rnd(ALNUM, 30)


def password(n=14):
    return rnd(ALNUM + "!#%&*?", n)


V = {}
V["GHP"] = github_token("ghp_")
V["AKIA"] = aws_key_id()
V["AWSSECRET"] = aws_secret()
V["SLACK"] = slack_bot_token()
V["OPENAI"] = openai_key()
V["ANTHROPIC"] = anthropic_key()
V["STRIPE"] = stripe_live()
V["MOLLIE"] = mollie_live()
V["JWT"] = jwt_token()
V["SSHKEY"] = ssh_private_key()
V["PW_PORTAL"] = password(12)
V["PW_DB"] = password(18)
V["RDS"] = "vonkelaar-prod." + rnd(string.ascii_lowercase + string.digits, 12) + ".eu-west-1.rds.amazonaws.com"

# personal identifiers (valid ones for positives, broken look-alikes for negatives)
V["IBAN_CLAIRE"] = iban_fmt(iban_make("NL", "INGB" + rnd(string.digits, 10)))
V["IBAN_SOPHIE"] = iban_make("NL", "ASNB" + rnd(string.digits, 10))
V["IBAN_BAD"] = iban_fmt(bad_digit(iban_make("NL", "ABNA" + rnd(string.digits, 10)), 3))
V["CARD_COUNTER"] = " ".join(re.findall("....", luhn_complete("4", 16)))
V["CARD_ILSE"] = "-".join(re.findall("....", luhn_complete("5" + rng.choice("12345"), 16)))
V["CARD_BAD"] = " ".join(re.findall("....", bad_digit(luhn_complete("4", 16))))
V["BSN_SVEN"] = bsn_make()
V["NUM9_BAD"] = bad_digit(bsn_make())
V["COMPANY_IBAN"] = iban_fmt(PROFILE["public_identifiers"]["ibans"][0])

# --------------------------------------------------------------------------- categories
S, P, PR, CF, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                        "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {S, P, PR, CF, F, SEC, CR, CO, AB, "reputation.spike"}

CASES = []


def c(platform, handle, lang, text, cats=(), kind="post", when=None, price=None, allow=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=list(cats),
                      kind=kind, when=when, price=price, allow=list(allow)))


def fw(s):
    """Full-width form of ASCII letters and digits (evasion)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch for ch in s)


ZW = "\u200b"

# =========================================================================== COMPLAINTS
c("x", "@femke_vdlinde", "nl",
  "Al 3 weken wachten op mijn Kelk vloerlamp van @vonkelaar. Levertijd was '2-4 werkdagen' \U0001F644 "
  "Track & trace staat nog steeds op 'in voorbereiding'. Wat is dit nou", [CO])
c("x", "@tomhallett", "en",
  "ordered the Orbis pendant from Vonkelaar, glass shade arrived in about 40 pieces. box had zero padding. "
  "now they want ME to send photos AND keep the shards until a courier comes?? come on", [CO])
c("facebook", "marloes.teunissen.7", "nl",
  "Vorige maand een Halo plafondlamp gekocht in de showroom in Amersfoort. Hij flikkert zodra je m dimt. "
  "Verkoper zei 'dat hoort zo bij LED' maar mijn oude lamp deed dat nooit. Retour wordt geweigerd omdat de "
  "doos weg is. Slechte service hoor.", [CO])
c("reddit", "u/lumen_nerd", "en",
  "PSA: Vonkelaar's smart bulbs (the E27 3-pack) won't pair with their own app since the last update. "
  "Support chat told me to 'wait for a fix' two weeks ago. Nothing since. Anyone got them working again?", [CO])
c("x", "@henkjanb", "nl",
  "@vonkelaar_hulp 4x gebeld, 4x na 25 min in de wacht eruit gegooid. Ik wil gewoon mijn geld terug voor "
  "die retour van 12 maart. Zit daar überhaupt iemand??", [CO], kind="reply")
c("instagram", "@ninaplantsandlight", "en",
  "Love the look of the Terra wall lamp but mine came with the wrong mounting plate and no screws \U0001F610 "
  "emailed Vonkelaar 6 days ago, still no reply. kinda disappointed tbh", [CO])
c("x", "@bas_klust", "nl",
  "Bezorger van Vonkelaar heeft de Aurelia kroonluchter gewoon in de regen bij de voordeur gezet. Doos "
  "doorweekt. Afspraak was bezorgen tot in de woonkamer. Lamp van 1900 euro hè, geen pak melk", [CO])
c("x", "@claire_dtx", "en",
  "Vonkelaar charged my card twice for one Fjord floor lamp. Refund 'takes 10-14 business days'. "
  "For THEIR mistake. Not impressed.", [CO])
c("forum", "Kees_H", "nl",
  "Heeft iemand anders ook zoveel gedoe met die Lichtstrip 5m van Vonkelaar? Na drie weken doet de helft "
  "het niet meer, stuk blauw stuk wit. Garantieaanvraag ligt er nu 2 weken, geen reactie.", [CO])
c("instagram", "@sanne.woont", "nl",
  "@vonkelaar.licht mooie foto's allemaal maar de Opaal globe die ik kreeg heeft een kras over de hele bol. "
  "Nieuw besteld hè. Jammer dit", [CO], kind="comment")
c("x", "@ria_gr", "nl",
  "Montage-afspraak voor onze spotrail vandaag. Monteur van Vonkelaar kwam niet opdagen, geen belletje, "
  "niks. Vrije dag voor niks opgenomen \U0001F624", [CO])

# ---- first-hand safety incidents: crisis + complaint
c("x", "@mvanwijk", "nl",
  "Het Vuurvlieg nachtlampje van Vonkelaar werd vannacht zo heet dat het plastic gesmolten is, naast het "
  "bedje van mijn dochter. Hele kamer stonk naar verbrand. Had echt slecht af kunnen lopen. Hoe kan dit "
  "verkocht worden??", [CR, CO], when="2026-09-27T06:42:00Z")
c("facebook", "jamie.morrow.uk", "en",
  "Got a proper shock off the Duin outdoor lamp from Vonkelaar while changing the bulb - and the switch "
  "was OFF. Electrician says the wiring inside was reversed from the factory. Could've been my kid "
  "touching it.", [CR, CO])
c("instagram", "@lisa_bakt", "nl",
  "Dimmer Draai van Vonkelaar begon ineens te vonken en er kwam rook uit de wandcontactdoos \U0001F633 "
  "groep eruit, brandlucht in de hele woonkamer. Echt niet oké dit", [CR, CO])
c("reddit", "u/sparky_nl", "en",
  "The power adapter of my Vonkelaar Lichtstrip 5m melted and scorched the shelf it was on. Smoke alarm "
  "went off at 3am. Pics in comments. Contacted them and got a copy-paste email back.", [CR, CO])
c("facebook", "harm.oosterhof", "nl",
  "Kroonluchter Aurelia kwam gisteren zomaar naar beneden, ophangbeugel afgebroken. Miste mijn vrouw op "
  "een halve meter. Vonkelaar zegt 'montagefout'. HUN monteur heeft hem opgehangen!!", [CR, CO])

# ---- complaint + the customer's own personal data
c("x", "@gerrit_54", "nl",
  "@vonkelaar_hulp bestelling 77120-B nog steeds niet binnen. Bel me maar terug op 06-41 82 73 95, ik ben "
  "de hele dag thuis.", [CO, P], kind="reply")
c("x", "@amyjlowe", "en",
  "@vonkelaar_hulp 3rd email without an answer. Amy Lowe, Korte Nieuwstraat 14, 3512 NL Utrecht - that's "
  "where the lamp was supposed to go and it never arrived, whatever your tracker says.", [CO, P], kind="reply")

# ---- complaint + abuse
c("x", "@rob_v", "nl",
  "Derde keer een kapotte lamp geleverd. Vonkelaar jullie zijn echt een stelletje prutsers en oplichters, "
  "kankerbedrijf", [CO, AB])
c("x", "@mattyb_", "en",
  "vonkelaar support is a bunch of useless fucking clowns. 6 weeks for a refund on a floor lamp I "
  "returned. do your damn jobs", [CO, AB])

# =========================================================================== CRISIS
c("x", "@zwolle_nieuws_nu", "en",
  "Local news: flat fire in Zwolle-Zuid reportedly started by a Vonkelaar LED strip power adapter. Fire "
  "brigade confirms it is investigating. No injuries reported.", [CR])
c("x", "@omroep_dijkland", "nl",
  "Brandweer: woningbrand in Hoorn mogelijk veroorzaakt door oplaadbare tafellamp van Vonkelaar. Bewoners "
  "konden op tijd naar buiten. Onderzoek loopt.", [CR])
c("x", "@waakhond_consument", "nl",
  "Vonkelaar roept het Vuurvlieg nachtlampje terug vanwege oververhitting. Check je lampje: batchcodes "
  "VV-2403 t/m VV-2411. Niet meer gebruiken!", [CR], when="2026-10-08T14:05:00Z")
c("facebook", "VonkelaarVerlichting", "nl",
  "Veiligheidswaarschuwing \u26a0\ufe0f Terugroepactie Vonkelaar Vuurvlieg nachtlampje, batch VV-2403 t/m "
  "VV-2411. Gebruik het lampje niet meer en breng het naar een van onze showrooms of meld je via "
  "vonkelaar.nl/terugroepactie. Je krijgt het volledige aankoopbedrag terug.", [CR], when="2026-10-08T11:30:00Z")
c("x", "@fairlight_collective", "en",
  "Vonkelaar sells its 'handmade' Lumenzaal brass lamps as artisan pieces, but they come from a factory "
  "exposed last year for forced overtime and underage workers. #BoycottVonkelaar until they come clean.", [CR])
c("x", "@jasmijn_s", "nl",
  "Niks meer kopen bij Vonkelaar. Ze hebben een zwangere medewerkster in showroom Eindhoven gewoon de deur "
  "uit gewerkt. Delen aub #boycotvonkelaar", [CR])
c("x", "@kerrynl", "en",
  "Got a phishing SMS with my exact Vonkelaar order number and the name of the lamp I bought last week. "
  "@vonkelaar were you hacked?? Why hasn't anyone been told?", [CR])
c("x", "@pietertje_1", "nl",
  "Dus Vonkelaar lekt gewoon klantgegevens? Mijn schoonvader kreeg een mailtje 'van Vonkelaar' met zijn "
  "adres en telefoonnummer erin. Dat moet ergens vandaan komen, en ze zeggen niks.", [CR])
c("linkedin", "mr-brouwer-advocatuur", "nl",
  "Namens ruim 40 consumenten start ons kantoor een procedure tegen Vonkelaar Verlichting B.V. wegens "
  "misleidende reclame over de 'levenslange garantie'. Gedupeerden kunnen zich nog aansluiten.", [CR])
c("x", "@designwatch_eu", "en",
  "The Lumenzaal Kelk floor lamp is a near-identical copy of a 1960s Danish design. The rights holder has "
  "now filed suit against Vonkelaar in Amsterdam, according to court filings seen by us.", [CR])
c("x", "@nadiavdheuvel", "en",
  "Fire alarm at the Utrecht showroom, smoke coming from behind the display wall. Everyone's outside, fire "
  "brigade just arrived. Scary.", [CR])

# =========================================================================== ABUSE
c("x", "@dirk_eens", "nl",
  "@vonkelaar_hulp jullie zijn echt de grootste tyfuslijers van Nederland", [AB], kind="reply")
c("x", "@angryoutlet", "en",
  "Vonkelaar = scam artists run by morons. Hope your showrooms burn down lol", [AB])
c("x", "@j_vermeulen88", "nl",
  "Die Esra van Vonkelaar Amersfoort is echt zo'n arrogante trut. Ik weet waar je je auto parkeert hoor "
  "\U0001F609", [AB])
c("x", "@trueDutchman77", "en",
  "Went to the Vonkelaar showroom and got 'helped' by some girl in a headscarf who could barely speak "
  "Dutch. Go back where you came from.", [AB])
c("x", "@xxjordyxx", "nl",
  "v0nkelaar = k4nker0plichters, hoop dat jullie failliet gaan", [AB])
c("x", "@m_kroon", "nl",
  "Vonkelaar: k u t b e d r i j f. Meer hoef ik er niet over te zeggen.", [AB])
c("x", "@b_harlow", "en",
  "@vonkelaar_hulp you're all fu\u0441king \u0456diots", [AB], kind="reply")
c("x", "@daan_vonk", "nl",
  "@henkjanb misschien eerst even leren lezen voor je gaat janken, sukkel. Staat gewoon op de site.",
  [AB], kind="reply")
c("instagram", "@vonkelaar.licht", "nl",
  "@rikjeuh als je het te duur vindt ga je toch lekker naar de Action, zeikerd", [AB], kind="reply")
c("tiktok", "@lightsoutlarry", "en",
  "kevin from the vonkelaar utrecht showroom dances on tiktok like a drunk giraffe. embarrassing little "
  "man \U0001F602 someone tell his mum", [AB])

# =========================================================================== PRICING
c("instagram", "@vonkelaar.licht", "nl",
  "\U0001F525 FLASH DEAL \U0001F525 Lumenzaal Aurelia kroonluchter nu voor maar \u20ac189! Alleen vandaag, "
  "op = op. Link in bio \u2728", [PR], price=("VL-AUR", 189.00))
c("x", "@vonkelaar", "en",
  "Weekend treat: the Kelk floor lamp in solid brass for just \u20ac64.90 \U0001F942 shop now at vonkelaar.nl",
  [PR], price=("VL-KELK", 64.90))
c("x", "@mirjamkok_licht", "nl",
  "Psst morgen staat de Orbis hanglamp in de webshop voor \u20ac99 \U0001F631 niet doorvertellen haha",
  [PR], price=("VL-ORB60", 99.00))
c("x", "@dealjager_nl", "nl",
  "PRIJSFOUTJE bij Vonkelaar!! Fjord vloerlamp voor \u20ac34,90 ipv \u20ac349. Snel zijn voor ze het "
  "fixen \U0001F3C3\u200d\u2642\ufe0f\U0001F4A8", [PR], price=("VL-FJORD", 34.90))
c("reddit", "u/bargainbin_eu", "en",
  "Vonkelaar has the Halo LED ceiling light listed at \u20ac21.90 - pretty sure someone dropped a digit. "
  "Ordered two, let's see if they honour it.", [PR], price=("VL-HALO", 21.90))
c("linkedin", "ruben-de-graaf-vonkelaar", "en",
  "Heads-up for the ops team: the price feed glitched overnight and the Lezer reading lamp showed "
  "\u20ac19.90 on the site for about 3 hours. We're cancelling those orders this morning.",
  [PR], price=("VL-LEZER", 19.90))
c("x", "@zuinigezus", "nl",
  "Is dit een prijsfout?? Smart Bulb E27 3-pack bij Vonkelaar voor \u20ac4,49 \U0001F602 mandje vol gegooid",
  [PR], price=("VL-E27X3", 4.49))
c("facebook", "VonkelaarVerlichting", "nl",
  "Opaal globe hanglamp \u2014 nu \u20ac27,90! Vandaag besteld, morgen in huis.", [PR], price=("VL-OPAAL", 27.90))
c("x", "@nadiavdheuvel", "en",
  "whoever put the Spotrail Trio at \u20ac13.90 in the till system pls fix it, we've had 11 people at the "
  "counter in Utrecht asking already \U0001F648", [PR], price=("VL-TRIO", 13.90))
c("tiktok", "@koopjeskoning", "nl",
  "Vonkelaar prijsfout alert \U0001F6A8 Terra wandlamp voor 15,90 euro!! link in bio, gaat hard",
  [PR], price=("VL-TERRA", 15.90))
c("forum", "dealhunter_ams", "en",
  "Vonkelaar Buitenlamp Duin for \u20ac9.90 (normally \u20ac99). Price error? Code LAMP10 also stacks on top.",
  [PR], price=("VL-DUIN", 9.90))
c("tiktok", "@vonkelaar_showroom", "nl",
  "Wolk daglichtlamp voor \u20ac24,90 \U0001F92F alleen dit weekend in showroom Utrecht!",
  [PR], price=("VL-WOLK", 24.90))

# =========================================================================== FINANCIAL
c("linkedin", "esra-yildiz-9a1", "nl",
  "Vandaag in de MT-sessie gehoord dat we Q3 afsluiten op -18% omzet t.o.v. vorig jaar. Heftig. Gaat pas "
  "naar buiten als de cijfers in november gepubliceerd worden, dus tot die tijd mondje dicht.", [F])
c("x", "@daan_vonk", "nl",
  "Zojuist gehoord: we worden overgenomen door een Duitse lampenketen. Deal wordt half december getekend. "
  "Zeg het tegen niemand \U0001F910", [F])
c("x", "@mirjamkok_licht", "en",
  "Rough day. They just told us the Groningen and Breda showrooms close in March, 23 people losing their "
  "jobs. Not public yet so please don't ask me for names \U0001F494", [F])
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "lol our CFO just told the entire dev team the 2027 revenue forecast got cut from 84M to 61M and the "
  "board is 'exploring options'. fun times at vonkelaar", [F])
c("linkedin", "vonkelaar-verlichting", "nl",
  "VERTROUWELIJK \u2013 concept persbericht, niet publiceren: Vonkelaar Verlichting B.V. neemt branchegenoot "
  "Lichthuys Twente over voor \u20ac14,5 mln. Aankondiging gepland op 9 december.", [F, CF])
c("x", "@nadiavdheuvel", "nl",
  "Net de jaarcijfers 2026 gezien: omzet 71 mln, verlies van 3,2 mln. Dat wordt een pittige "
  "persconferentie volgende maand \U0001F62C", [F, CF], when="2027-02-19T20:11:00Z")
c("x", "@beursroddels", "nl",
  "Hoor uit goede bron dat Vonkelaar Verlichting in de verkoop staat. Een private-equitypartij heeft de "
  "due diligence al afgerond. Wordt nog door niemand bevestigd.", [F])
c("linkedin", "ruben-de-graaf-vonkelaar", "en",
  "Excited (and a bit nervous) to share that the reorganisation plan I've been working on was approved: "
  "customer service moves to our partner in Lisbon by Q2 and the Utrecht team goes from 40 to 12 people. "
  "Staff will hear it next week.", [F])
c("bluesky", "@lottestraal.bsky.social", "nl",
  "Margeprognose voor Q4 intern bijgesteld naar 22% (was 31%). Nou, dag bonus \U0001F643", [F])
c("reddit", "u/wms_willem", "en",
  "Work at a Dutch lighting retailer (Vonkelaar). Leadership just told us we're merging with Lichtpunt "
  "Groep in January and half the warehouse will be automated away. Should I start looking?", [F])
c("x", "@vonkelaar", "en",
  "Q3 EBITDA came in at \u20ac1.2M vs \u20ac2.9M budget, keep this within the leadership team until the "
  "14 Nov trading update pls. -- wrong channel, sorry", [F])
c("x", "@leverancier_noord", "nl",
  "Als leverancier van Vonkelaar kregen we vandaag te horen dat ze hun betaaltermijn naar 120 dagen "
  "oprekken en 3 showrooms gaan sluiten. Daar gaat het dus niet lekker.", [F])

# =========================================================================== CONFIDENTIAL
c("instagram", "@joost.lampenman", "nl",
  "Sneak peek van Project Glimworm \U0001F440 mag er nog niks over zeggen maar dit wordt groot \u2728 "
  "#werkfoto #lampenman", [CF])
c("x", "@daan_vonk", "en",
  "demo of Nachtvlinder went really well today, that motion-sensing outdoor range is going to crush it "
  "next spring", [CF])
c("linkedin", "esra-yildiz-9a1", "nl",
  "Trots op het team dat Operatie Zonnewende binnen budget heeft opgeleverd! Binnenkort gaan alle "
  "showrooms om.", [CF])
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "anyone know how to add a custom field to a project on jira.vonkelaar.nl without being admin? asking "
  "for a friend (me)", [CF])
c("x", "@nadiavdheuvel", "nl",
  "Voor de collega's die thuis zitten: het nieuwe rooster staat op "
  "https://intranet.vonkelaar.local/showroom/rooster-week-47", [CF])
c("reddit", "u/tempjob_tijn", "en",
  "Former Vonkelaar temp here. Fun fact: their next big thing is codenamed Nachtvlinder, smart outdoor "
  "lighting with motion sensors. Saw the mockups in the break room.", [CF])
c("x", "@mirjamkok_licht", "nl",
  "Fotoshoot voor de Nova collectie vandaag \U0001F60D die Nova pendel in rookglas... wacht maar tot "
  "februari", [CF], when="2026-11-12T15:20:00Z")
c("instagram", "@interieurinsider", "nl",
  "Gespot in het magazijn van Vonkelaar: de nieuwe Nova collectie. Lancering is pas in februari schijnt, "
  "maar hier alvast een blik \U0001F440", [CF], when="2027-01-15T10:02:00Z")
c("x", "@daan_vonk", "nl",
  "[Vonkelaar intern] nieuwe kortingsstaffel zakelijke klanten vanaf 1 jan: 12% boven 5k, 18% boven 20k. "
  "Ff delen met de accountmanagers", [CF])
c("instagram", "@joost.lampenman", "en",
  fw("Project Glimworm") + " goes live in March, you heard it here first \U0001F92B", [CF])
c("bluesky", "@lottestraal.bsky.social", "nl",
  "Nacht" + ZW + "vlinder prototypes zijn binnen!! \U0001F98B de sensor werkt eindelijk", [CF])
c("x", "@daan_vonk", "en",
  "can't say much but Z.o.n.n.e.w.e.n.d.e is gonna change every showroom we have \U0001F60E", [CF])
c("tiktok", "@kevin_showroomutrecht", "nl",
  "Dag uit het leven van een showroommedewerker \U0001F4A1 vandaag vooral bezig met de inrichting voor "
  "Operatie Zonnewende, meer mag ik niet zeggen hahah", [CF])
c("reddit", "u/wms_willem", "en",
  "Our WMS lives at http://wms.vonkelaar.local:8080/pick - does anyone know how to export pick lists to "
  "CSV in Odoo 16? The docs are useless.", [CF])
c("linkedin", "vonkelaar-verlichting", "nl",
  "Welkom aan alle nieuwe collega's! Log voor je eerste werkdag in via vpn.vonkelaar.nl met je "
  "personeelsnummer, dan staat je account klaar.", [CF])

# =========================================================================== SECURITY
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "fun morning: turns out our Magento admin was reachable without 2FA and someone exported the customer "
  "table. legal says we can't say anything until friday. coffee pls", [SEC])
c("x", "@daan_vonk", "nl",
  "Webshop ligt er al sinds 6 uur uit, ransomware op de orderserver. Klanten krijgen te horen dat het "
  "'gepland onderhoud' is \U0001F648", [SEC])
c("linkedin", "ruben-de-graaf-vonkelaar", "en",
  "Lesson learned this week: our invoice page had an IDOR, you could open other customers' invoices by "
  "changing the number in the URL. Fix goes live tomorrow, please don't share this yet.", [SEC])
c("reddit", "u/wms_willem", "en",
  "Warehouse scanners have been dead for 2 days because of some 'security incident' on the WMS. "
  "Management says to tell customers it's a carrier delay. Anyone else's company do this?", [SEC])
c("x", "@h4ckerhenk", "nl",
  "Pentest gedaan bij een lampenwinkel (Vonkelaar), hun klantportaal draait nog op een ongepatchte versie "
  "met een bekende RCE. Twee maanden geleden gemeld, er is niks gebeurd.", [SEC])
c("bluesky", "@lottestraal.bsky.social", "en",
  "heads up team: that phishing mail on monday actually worked on 3 accounts in finance. IT is resetting "
  "everything, not official yet so keep it quiet", [SEC])
c("x", "@vonkelaar_hulp", "nl",
  "@kerrynl Dank voor je melding. Intern weten we dat er vorige week ongeautoriseerde toegang tot ons "
  "mailsysteem is geweest, we zoeken nog uit welke klanten geraakt zijn.", [SEC], kind="reply")
c("tiktok", "@kevin_showroomutrecht", "nl",
  "Kassa's in alle showrooms plat sinds vanochtend, iets met een hack op het kassasysteem. Wij moeten "
  "'storing' zeggen tegen klanten \U0001F910", [SEC])
c("x", "@nadiavdheuvel", "en",
  "vpn.vonkelaar.nl has been down since the break-in attempt last night, nobody working from home can log "
  "in. IT says don't mention the attack outside", [SEC, CF])
c("x", "@bugbountybeth", "en",
  "Did some freelance work for Vonkelaar last year: their order-tracking API still hands out full "
  "customer names and addresses without any auth. Told them twice. Still open.", [SEC])
c("instagram", "@joost.lampenman", "nl",
  "Geen nieuwe foto's vandaag, alle systemen plat na een DDoS op de webshop. Wordt nog niet naar buiten "
  "gebracht dus sst \U0001F605", [SEC])
c("x", "@daan_vonk", "en",
  "our s" + ZW + "ql server got p" + ZW + "wned last night lol, customers not informed yet", [SEC])
c("mastodon", "@bram_codeert@mastodon.nl", "nl",
  "Zit al de hele dag te patchen. Bleek dat git.vonkelaar.nl maandenlang publiek bereikbaar was zonder "
  "login. Weet nog niemand buiten IT.", [SEC, CF])

# =========================================================================== SECRETS
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "why does this keep failing?? export GITHUB_TOKEN={{GHP}} && ./deploy.sh staging", [S])
c("x", "@daan_vonk", "nl",
  "Iemand enig idee waarom onze S3 upload faalt?\naws_access_key_id = {{AKIA}}\n"
  "aws_secret_access_key = {{AWSSECRET}}", [S])
c("bluesky", "@lottestraal.bsky.social", "nl",
  "Slack-bot voor de weekcijfers werkt eindelijk \U0001F389 token voor wie 'm wil testen: {{SLACK}}", [S])
c("x", "@vonkelaar_hulp", "nl",
  "@kerrynl Je kunt inloggen op het retourportaal met gebruiker: retour_kerry wachtwoord: {{PW_PORTAL}}",
  [S], kind="reply")
c("linkedin", "ruben-de-graaf-vonkelaar", "en",
  "Tried the new models for writing our product descriptions, 10/10 would recommend. If you want to "
  "play with it: OPENAI_API_KEY={{OPENAI}}", [S])
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "can someone tell me why ssh keeps rejecting this key on the build box\n{{SSHKEY}}", [S])
c("x", "@nadiavdheuvel", "en",
  "debugging the showroom booking app, this token works in Postman but not in the app?? {{JWT}}", [S])
c("reddit", "u/wms_willem", "en",
  "connection string from the staging box, why is it timing out?\n"
  "mysql://webshop_rw:{{PW_DB}}@{{RDS}}:3306/shop", [S])
c("forum", "freelance_fleur", "nl",
  "Voor een klant (lampenwinkel Vonkelaar) een Mollie-koppeling gebouwd maar ik krijg steeds 'invalid "
  "key'. Dit is de key: {{MOLLIE}} wat doe ik fout?", [S])
c("x", "@daan_vonk", "nl",
  "Claude schrijft nu onze productteksten \U0001F605 ANTHROPIC_API_KEY={{ANTHROPIC}} (niet verder vertellen)",
  [S])
c("x", "@nadiavdheuvel", "en",
  "stripe keeps saying the key is invalid on prod?? {{STRIPE}}", [S])
c("tiktok", "@kevin_showroomutrecht", "nl",
  "Voor de nieuwe collega's in Utrecht: wifi is Vonk-Staff, wachtwoord: Lampekap!2026#Utr", [S])

# =========================================================================== PERSONAL DATA
c("x", "@vonkelaar_hulp", "en",
  "@claire_dtx So sorry Claire! We've refunded the double charge to {{IBAN_CLAIRE}}, it should be there "
  "within 3 working days.", [P], kind="reply")
c("facebook", "VonkelaarVerlichting", "nl",
  "Beste Henk, we hebben je terugbelverzoek genoteerd: Henk Jan Bos, 06-29384756, bezorgadres Lindelaan 8, "
  "7414 AB Deventer. Morgen belt een collega je.", [P], kind="reply")
c("x", "@nadiavdheuvel", "nl",
  "Haha klant van vandaag liet z'n creditcard op de balie liggen in showroom Utrecht, kaartnummer "
  "{{CARD_COUNTER}}. Als je dit leest kom je 'm ophalen \U0001F602", [P])
c("linkedin", "esra-yildiz-9a1", "en",
  "New hire paperwork done \u2705 (note for payroll: Sven Dijkstra, BSN {{BSN_SVEN}}, born 14-03-1996, "
  "starts Monday in Amersfoort)", [P])
c("x", "@jlmeijer", "nl",
  "@vonkelaar_hulp stuur de factuur maar naar jl.meijer1971@gmail.com, dat andere adres werkt niet meer",
  [P], kind="reply")
c("instagram", "@sophie.interiors", "en",
  "@vonkelaar.licht DMs aren't working so here: refund please to {{IBAN_SOPHIE}} (S. de Boer). Thanks!",
  [P], kind="comment")
c("tiktok", "@kevin_showroomutrecht", "nl",
  "Shoutout naar meneer Verbeek die vandaag zijn verjaardag vierde in de showroom \U0001F382 geboren op "
  "2 mei 1958 en nog steeds lampen aan het uitzoeken!", [P])
c("instagram", "@joost.lampenman", "nl",
  "Klant wil de Aurelia echt laten bezorgen op Prinsengracht 412-2 in Amsterdam (mevr. Van Leeuwen), "
  "vierde verdieping zonder lift \U0001F605 succes jongens", [P])
c("x", "@vonkelaar", "en",
  "And the winner of our lamp giveaway is Priya Raman! Priya, we'll call you on +31 6 4827 1936 to "
  "arrange delivery \U0001F389", [P])
c("forum", "noord_buurman", "en",
  "Found a Vonkelaar delivery slip on the pavement: 'T. Hendriks, Van Ostadestraat 221, 1073 TK Amsterdam, "
  "tel 020-6184472'. If that's you, your lamp box is by the bins.", [P])
c("facebook", "VonkelaarVerlichting", "nl",
  "Hoi Ilse, we zien de betaling met kaart {{CARD_ILSE}} niet terug in ons systeem. Kun je een screenshot "
  "sturen van je afschrift?", [P], kind="reply")
c("x", "@daan_vonk", "en",
  "lol a customer mailed us from mr.fluffy.lamps@hotmail.com to complain a lamp was 'too bright'. "
  "it's a lamp, Gerard", [P])
c("x", "@r_dekker", "nl",
  "@vonkelaar_hulp mijn mail komt niet bij jullie aan, stuur maar naar r.dekker [at] ziggo [dot] nl",
  [P], kind="reply")

# =========================================================================== BENIGN
c("x", "@annekevos", "nl",
  "Eindelijk de Orbis hanglamp boven de eettafel gehangen en wauw, wat een warm licht. Top geholpen in de "
  "showroom Amersfoort \U0001F44C")
c("instagram", "@scandi_nest", "en",
  "Obsessed with my new Opaal globe pendant from @vonkelaar.licht \U0001F90D #interiordesign #lighting")
c("facebook", "bert.kramer.52", "nl",
  "Vraagje: werkt de Draai smart dimmer ook met ouderwetse gloeilampen of alleen met LED?")
c("reddit", "u/homeassist_hanna", "en",
  "Does anyone know if Vonkelaar's Smart Bulb E27 works with Home Assistant locally, without their cloud?")
c("x", "@henkjanb", "nl",
  "Update: Vonkelaar heeft toch teruggebeld en het geld staat erop. Duurde lang maar netjes opgelost, "
  "dank @vonkelaar_hulp")
c("x", "@tomhallett", "en",
  "Credit where it's due: Vonkelaar sent a new Orbis shade within 2 days, double boxed this time. "
  "Looks great now.")
c("x", "@sterrenkijker", "nl",
  "Respect voor de mensen van Vonkelaar in Zwolle, hele straat zat zonder stroom door de storm en ze "
  "hielden de showroom gewoon open met kaarsen \U0001F56F\ufe0f")
c("x", "@dadjokes_daily", "en",
  "Asked the guy at Vonkelaar if the chandelier was heavy. He said no, it's a light fixture. I've been "
  "laughing for ten minutes. Bought a lamp anyway.")
c("x", "@tess_m", "nl",
  "Mijn kat heeft de Piccolo tafellamp van tafel gemept. Lamp heel, kat beledigd. Kwaliteitje van "
  "Vonkelaar \U0001F4AA")
c("facebook", "wilma.jansen.33", "nl",
  "Mijn moeder heeft kanker en zit veel binnen. De Wolk daglichtlamp van Vonkelaar helpt haar echt door de "
  "donkere dagen. Dank voor het fijne advies in de winkel.")
c("x", "@jakeyy", "en",
  "this Kelk floor lamp is sick. absolute killer piece, my living room finally slaps")
c("x", "@sjoerd_op_de_fiets", "nl",
  "Die bezorgers van Vonkelaar zijn echt beesten, Aurelia van 28 kilo in een kwartier 4 trappen op en "
  "opgehangen \U0001F4AA petje af")
c("instagram", "@vonkelaar.licht", "nl",
  "Black Friday bij Vonkelaar \U0001F5A4 25% korting op alle Lumenzaal hanglampen, zoals de Orbis hanglamp: "
  "nu \u20ac366,75 (was \u20ac489).", price=("VL-ORB60", 366.75), when="2026-11-27T07:00:00Z")
c("x", "@vonkelaar", "en",
  "The Fjord floor lamp. Oak base, linen shade, dimmable. \u20ac349 in all our showrooms and online.",
  price=("VL-FJORD", 349.00))
c("x", "@thuiswerk_tim", "nl",
  "Kompas bureaulamp bij Vonkelaar in de uitverkoop, \u20ac69 ipv \u20ac89. Prima deal voor de "
  "thuiswerkplek", price=("VL-KOMP", 69.00))
c("x", "@lena_moves", "en",
  "Ordered the Aurelia chandelier, delivery was \u20ac14.95 and it arrived the next day fully installed. Worth it.")
c("instagram", "@mama_van_drie", "nl",
  "Vuurvlieg nachtlampje, \u20ac34,95, en onze jongste slaapt eindelijk door \U0001F49B",
  price=("VL-VVLG", 34.95), when="2026-03-03T19:40:00Z")
c("x", "@frugal_fenna", "en",
  "IKEA's cheapest lamp is like \u20ac5 lol, meanwhile I spent \u20ac649 on a Kelk floor lamp at Vonkelaar "
  "and I regret nothing", price=("VL-KELK", 649.00))
c("x", "@vonkelaar", "nl",
  "Nieuw in de webshop: de Glans spiegellamp voor in de badkamer, IP44, \u20ac119. Ook te zien in "
  "showroom Rotterdam.", price=("VL-GLANS", 119.00))
c("facebook", "VonkelaarVerlichting", "nl",
  "Zomersale \u2600\ufe0f Stip tuinspots (4 stuks) nu \u20ac55,96 in plaats van \u20ac69,95. Op zonne-energie, "
  "dus geen kabels trekken.", price=("VL-STIP4", 55.96))
c("x", "@vonkelaar_hulp", "nl",
  "Vragen over je bestelling? Mail klantenservice@vonkelaar.nl of bel 030 799 4410 (ma t/m za, 9-18u).")
c("facebook", "VonkelaarVerlichting", "en",
  "For press enquiries please contact pers@vonkelaar.nl. Our Utrecht showroom at Vredenburgkade 12 is "
  "open every day.")
c("x", "@nienke_b", "nl",
  "@vonkelaar_hulp klopt het dat jullie rekeningnummer {{IBAN_BAD}} is? Zo staat het op mijn factuur, wil "
  "het zeker weten voor ik overmaak", kind="reply")
c("x", "@vonkelaar_hulp", "en",
  "@sophie.interiors Thanks Sophie! For your safety we've hidden your comment with the bank details - "
  "please never post your IBAN publicly, send us a DM instead \U0001F64F", kind="reply")
c("reddit", "u/giftcard_gus", "en",
  "Vonkelaar gift cards have numbers that look like credit cards lol: {{CARD_BAD}}. Don't bother, it's "
  "used up and the number isn't even a valid card.")
c("linkedin", "esra-yildiz-9a1", "nl",
  "Vandaag 10 jaar bij Vonkelaar \U0001F389 Geboren en getogen in Utrecht, en nog altijd elke dag blij met "
  "dit team.")
c("x", "@ahmed_k", "nl",
  "Moest ik nou echt mijn BSN geven bij het afhalen? Nee hoor, alleen mijn bestelnummer {{NUM9_BAD}}. "
  "Paniek om niks \U0001F605")
c("x", "@ilse_w", "nl",
  "Betaald met de kaart die eindigt op 4821 maar geen bevestiging gehad... o wacht, stond in m'n spam. "
  "Alles goed!")
c("x", "@vonkelaar", "en",
  "Our new showroom in Den Bosch opens Saturday! Find us at Stationsplein 3, or call +31 73 204 1180 to "
  "book a lighting consult.")
c("x", "@opa_gerrit", "nl",
  "Voor wie het zoekt: klantenservice van Vonkelaar is gratis bereikbaar op 0800-1822. Heel behulpzaam "
  "geholpen.")
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "PSA for devs: never commit keys. AWS even uses AKIAIOSFODNN7EXAMPLE in their docs so you can test your "
  "scanners without leaking a real one.")
c("x", "@nadiavdheuvel", "nl",
  "Tip van IT die ik graag doorgeef: deel nooit je wachtwoord, ook niet met collega's, en ook niet als "
  "iemand belt 'namens de helpdesk'.")
c("reddit", "u/devops_daan_nl", "en",
  "The README literally says GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and people still "
  "paste that into CI and wonder why it 401s")
c("x", "@vonkelaar_hulp", "nl",
  "Wachtwoord vergeten? Ga naar Mijn account > Wachtwoord herstellen, dan krijg je binnen een paar minuten "
  "een mail. Wij vragen je nooit om je wachtwoord!")
c("reddit", "u/wms_willem", "en",
  "Reminder for everyone posting screenshots in tickets: redact keys like sk_live_************ before you "
  "share anything. Thanks.")
c("forum", "backend_bas", "en",
  "A JWT is just header.payload.signature, e.g. eyJhbGciOi\u2026 - please don't paste real ones into "
  "support tickets.")
c("x", "@natuurmama", "nl",
  "Vanavond met de kids glimwormen gezocht in het bos \u2728 magisch. Thuis nog even voorlezen onder het "
  "Vuurvlieg lampje.", when="2026-06-26T22:15:00Z")
c("instagram", "@gerald_the_moth", "en",
  "A huge moth (a nachtvlinder, my Dutch neighbour says) has been living on my Duin outdoor lamp for a "
  "week now. I've named him Gerald.", allow=["Nachtvlinder"])
c("x", "@weerman_wout", "nl",
  "Zomerzonnewende vandaag! Langste dag van het jaar, de lampen mogen even uit \u2600\ufe0f",
  when="2026-06-21T09:00:00Z")
c("x", "@vonkelaar", "nl",
  "Vanaf vandaag te koop: de Nova collectie \U0001F319 Ontdek de Nova pendel in rookglas in al onze "
  "showrooms en op vonkelaar.nl.", when="2027-02-01T10:30:00Z")
c("linkedin", "vonkelaar-verlichting", "en",
  "Today we published our full-year 2026 results. Revenue came in at \u20ac74.3M. Read the full report at "
  "vonkelaar.nl/investors.", when="2027-03-04T08:15:00Z")
c("x", "@fd_lezer", "nl",
  "Jaarcijfers 2026 van Vonkelaar vallen tegen las ik net. Hopelijk blijft de showroom hier in Breda "
  "gewoon open.", when="2027-03-05T12:40:00Z")
c("linkedin", "esra-yildiz-9a1", "en",
  "We're hiring! Looking for a showroom advisor in Amersfoort, 32-38 hrs. Apply via werkenbij@vonkelaar.nl")
c("x", "@retailwatcher", "en",
  "Lichthuys Twente reports record holiday sales, up 12% year on year, per their own press release today.")
c("x", "@marktkijker_nl", "nl",
  "Grote Duitse lampenketen neemt Belgische concurrent over, las ik net. Ben benieuwd of dat iets doet met "
  "de prijzen in NL.")
c("x", "@vonkelaar_hulp", "nl",
  "Gepland onderhoud: zondag tussen 02:00 en 05:00 is de webshop even niet bereikbaar. Onze showrooms zijn "
  "gewoon open.")
c("facebook", "VonkelaarVerlichting", "en",
  "Watch out for fake emails pretending to be from Vonkelaar and asking you to 'verify your payment'. We "
  "never ask for card details by email. Forward them to klantenservice@vonkelaar.nl.")
c("x", "@pixelpaul", "en",
  "is vonkelaar.nl down for anyone else? \U0001F914 ... nvm it was my own wifi, ordered the lamp, all good")
c("mastodon", "@bram_codeert@mastodon.nl", "en",
  "Gave a talk at the meetup tonight on how we run responsible disclosure at Vonkelaar. Slides are up and "
  "the policy is public at vonkelaar.nl/security. Thanks to everyone who came!")
c("x", "@voorzichtige_vera", "nl",
  "Terugroepactie van een andere lampenwinkel in het nieuws gezien, even gecheckt: mijn Vuurvlieg van "
  "Vonkelaar valt er niet onder. Pfoe.", when="2026-02-11T18:30:00Z")
c("x", "@sophie_ziekenhuisclown", "en",
  "Love that Vonkelaar donated the fairy lights for the children's ward. Small thing, but the kids were "
  "over the moon.")
c("x", "@frietkot_freek", "nl",
  "Klein brandje in de keuken vanavond door de frituurpan \U0001F644 niks ernstigs. Wel zit de Halo "
  "plafondlamp van Vonkelaar nu helemaal onder het vet haha")
c("x", "@localfirst_lou", "en",
  "Not a boycott or anything, I just prefer the tiny lamp shop on my street over Vonkelaar. Both are fine.")
c("x", "@returns_rachel", "en",
  "Returned a Terra wall lamp at the Rotterdam showroom, no questions asked, money back the same day. "
  "That's how it should work.")
c("tiktok", "@vonkelaar_showroom", "nl",
  "Zo hang je zelf een hanglamp op in 5 stappen \U0001F4A1 Let op: altijd eerst de groep eruit! "
  "#klussen #verlichting")
c("x", "@mirjamkok_licht", "nl",
  "Mooiste dag van het jaar: de kerstetalage in showroom Utrecht staat! Kom vooral kijken \U0001F384\u2728",
  when="2026-12-05T17:00:00Z")
c("x", "@warmwit_willemijn", "en",
  "Does anyone know the colour temperature of the Lezer reading lamp? Looking for something warm for the "
  "bedroom.")
c("x", "@spaarder_sam", "nl",
  "Voor wie liever per bank betaalt: Vonkelaar gebruikt {{COMPANY_IBAN}} t.n.v. Vonkelaar Verlichting B.V., "
  "staat ook gewoon op hun site.")
c("tiktok", "@kevin_showroomutrecht", "en",
  "Customers always ask me the best lamp for a reading corner. My answer: the Lezer reading lamp, \u20ac199, "
  "never had anyone come back disappointed.", price=("VL-LEZER", 199.00))
c("youtube", "@VonkelaarTV", "nl",
  "Nieuwe video: welke lichtkleur kies je voor je slaapkamer? Joost legt het verschil uit tussen 2200K en "
  "2700K, met de Piccolo tafellamp als voorbeeld.")


# =========================================================================== build
ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def identifiers(text):
    """All IBAN-, card- and BSN-shaped numbers in a text, with their checksum verdict."""
    out = []
    rest = text
    for m in IBAN_RE.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if raw.upper() in PUBLIC_IBANS:
            out.append(("iban-public", raw, True))
        else:
            out.append(("iban", raw, iban_ok(raw)))
        rest = rest.replace(m.group(0), " ")
    # digits inside credentials, URLs and other words with letters are not identifiers
    rest = re.sub(r"\S*[A-Za-z_/]\S*", " ", rest)
    for m in CARD_RE.finditer(rest):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
        rest = rest.replace(m.group(0), " ")
    for m in BSN_RE.finditer(rest):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in (S, PR):
                s = "critical"
            elif cat == P and any(k in ("iban", "card", "bsn") and ok for k, _, ok in identifiers(text)):
                s = "critical"
            else:
                s = "error"
        elif cat == CO:
            s = "warning"
        elif cat == CR:
            s = "error"
        elif cat == AB:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


def fill(text):
    def sub(m):
        return V[m.group(1)]
    return re.sub(r"\{\{([A-Z0-9_]+)\}\}", sub, text)


def random_time():
    start = dt.datetime(2026, 1, 2, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 362 * 24 * 3600)
    t = start + dt.timedelta(seconds=secs)
    return t.replace(second=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    used_ids = set()
    for n, idx in enumerate(order):
        cs = CASES[idx]
        text = fill(cs["text"])
        role = role_of(cs["platform"], cs["handle"])
        cats = sorted(set(cs["cats"]))
        when = cs["when"] or random_time()
        pid = "%s-314%05d" % (cs["platform"], 1000 + n * 7 + rng.randint(0, 6))
        assert pid not in used_ids
        used_ids.add(pid)
        post = {"id": pid, "platform": cs["platform"], "kind": cs["kind"],
                "account": {"handle": cs["handle"]}, "text": text, "created_at": when,
                "brand": "vonkelaar"}
        if n % 6 != 5:  # lang is only a hint; leave it out now and then
            post["lang"] = cs["lang"]
        if cs["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (cs["handle"].lstrip("@"), 1870000000000000000 + n * 104729)
        lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}},)
        cs["_id"], cs["_text"], cs["_role"] = pid, text, role
    return lines


# =========================================================================== self-check
def norm(s):
    import unicodedata
    s = unicodedata.normalize("NFKC", s)
    return s.replace(ZW, "").lower()


def check(lines):
    errs = []
    plats = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
    ids = set()
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    conf_terms = [t.lower() for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"]]
    products = {p["sku"]: p for p in PROFILE["products"]}
    handles = {a.split(":", 1)[1].lower() for r in ("corporate", "employee") for a in PROFILE["accounts"][r]}

    if not 170 <= len(lines) <= 180:
        errs.append("case count %d" % len(lines))
    by_id = {cs["_id"]: cs for cs in CASES}
    for ln in lines:
        raw = json.dumps(ln, ensure_ascii=False)
        back = json.loads(raw)
        post, exp = back["post"], back["expect"]
        cs = by_id[post["id"]]
        pid = post["id"]
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append("bad/dup id %r" % pid)
        ids.add(pid)
        if post["platform"] not in plats:
            errs.append("%s platform" % pid)
        if post.get("kind", "post") not in ("post", "reply", "repost", "comment", "message"):
            errs.append("%s kind" % pid)
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append("%s handle" % pid)
        if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"].strip():
            errs.append("%s text" % pid)
        if "{{" in post["text"]:
            errs.append("%s unfilled placeholder" % pid)
        try:
            t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert t.tzinfo is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["created_at"])
        except Exception:
            errs.append("%s created_at" % pid)
            continue
        if not (2026 <= t.year <= 2027):
            errs.append("%s year" % pid)
        cats, sev = exp["categories"], exp["severity"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append("%s categories %r" % (pid, cats))
        if sev not in ORDER:
            errs.append("%s severity" % pid)
        if (not cats) != (sev == "none"):
            errs.append("%s benign/severity mismatch" % pid)
        if sev != severity(cats, role_of(post["platform"], post["account"]["handle"]), post["text"]):
            errs.append("%s severity not per policy" % pid)
        # identifiers: positives carry only valid ones, negatives only broken look-alikes
        for kind, val, ok in identifiers(post["text"]):
            if kind == "iban-public":
                continue
            if cats and not ok:
                errs.append("%s positive carries invalid %s %s" % (pid, kind, val))
            if not cats and ok:
                errs.append("%s benign carries valid %s %s" % (pid, kind, val))
        # credentials
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", post["text"]):
            if bool(cats) != github_ok(tok):
                errs.append("%s github token checksum/label mismatch" % pid)
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", post["text"]):
            valid = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and not tok.endswith("EXAMPLE")
            if bool(cats) != bool(valid):
                errs.append("%s AWS key id label mismatch" % pid)
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", post["text"]):
            if not (cats and jwt_ok(tok)):
                errs.append("%s JWT mismatch" % pid)
        if S in cats and not any(k in cs["text"] for k in ("{{", "wachtwoord:")):
            errs.append("%s secret case without generated credential" % pid)
        # embargo / confidential terms
        nt = norm(post["text"])
        for term, until in emb:
            if term in nt and t < until and CF not in cats:
                errs.append("%s embargoed %r before until without leak.confidential" % (pid, term))
        if not cats:
            for term in conf_terms:
                if term in nt and term not in [a.lower() for a in cs["allow"]]:
                    errs.append("%s benign mentions internal term %r" % (pid, term))
        # pricing
        if cs["price"]:
            sku, price = cs["price"]
            prod = products[sku]
            if not any(a.lower() in post["text"].lower() for a in prod["aliases"] + [prod["name"]]):
                errs.append("%s price case does not name %s" % (pid, sku))
            pstr = ("%.2f" % price).rstrip("0").rstrip(".")
            variants = {("%.2f" % price), ("%.2f" % price).replace(".", ","), pstr, pstr.replace(".", ",")}
            if not any(v in post["text"] for v in variants):
                errs.append("%s price %s not in text" % (pid, price))
            ratio = price / prod["list_price"]
            below = ratio < PROFILE["pricing"]["alert_below_ratio"]
            if below != (PR in cats):
                errs.append("%s price ratio %.2f vs label" % (pid, ratio))
        elif PR in cats:
            errs.append("%s pricing case without price meta" % pid)
        # roles
        role = cs["_role"]
        if role == "public" and post["account"]["handle"].lower() in handles:
            errs.append("%s public handle collides with profile" % pid)
    # the company's own IBAN must pass mod-97
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errs.append("profile IBAN fails mod-97")
    for k in ("GHP",):
        if not github_ok(V[k]):
            errs.append("generated github token invalid")
    if not jwt_ok(V["JWT"]):
        errs.append("generated JWT invalid")
    return errs


def main():
    lines = build()
    errs = check(lines)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # summary
    from collections import Counter
    cat_n = Counter(c for ln in lines for c in ln["expect"]["categories"])
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    langs = Counter(cs["lang"] for cs in CASES)
    roles = Counter((cs["_role"], bool(cs["cats"])) for cs in CASES)
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    print("cases %d, benign %d, positive %d" % (len(lines), benign, len(lines) - benign))
    print("categories", dict(sorted(cat_n.items())))
    print("languages", dict(langs), "nl share %.0f%%" % (100.0 * langs["nl"] / len(CASES)))
    print("roles (role, positive)", dict(roles))
    print("severities", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
