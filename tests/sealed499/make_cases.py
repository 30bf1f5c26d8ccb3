#!/usr/bin/env python3
"""Build the sealed evaluation set 499 for postwatch (Rietvoorn Jachthaven B.V.).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Writes cases.jsonl next to this file and then checks it:

* every line is a valid CONTRACT section 6 case;
* every IBAN / payment card / BSN placed in a positive passes its checksum, every
  look-alike placed in a benign post fails it, and a scan of all texts finds no
  checksum-valid identifier outside posts labelled leak.pii (the company's own
  published identifiers excepted);
* generated credentials are well formed (GitHub CRC-32, AWS key id alphabet, JWT header);
* pricing cases really are below / above alert_below_ratio of the list price;
* severities are computed from CONTRACT section 4 and the account role in profile.yaml.

Standard library plus PyYAML only.
"""
import base64
import datetime
import hashlib
import hmac
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
SEED = 4990417
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, country="NL"):
    digits = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + digits
    m = int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    iban = "%s%02d%s" % (country, 98 - m, bban)
    assert iban_valid(iban)
    return iban


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def bad_iban(bank):
    good = make_iban(bank)
    cc = int(good[2:4])
    bad = good[:2] + "%02d" % ((cc + 37) % 97 or 11) + good[4:]
    assert not iban_valid(bad)
    return bad


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            out = "".join(map(str, d)) + str(s)
            assert bsn_valid(out)
            return out


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad

# ---------------------------------------------------------------- credentials

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + body).encode(), hashlib.sha256).digest())
    return header + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    pool = ALNUM + "!#%&*?@"
    while True:
        p = rand(pool, n)
        if any(c.isdigit() for c in p) and any(c in "!#%&*?@" for c in p) and any(c.isupper() for c in p):
            return p

# ---------------------------------------------------------------- evasion helpers

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"


def zwsp(word):
    return ZW.join(word)

# ---------------------------------------------------------------- generated values

GOOD_IDS = []   # (kind, value) that must pass their checksum
BAD_IDS = []    # (kind, value) that must fail it


def good(kind, v):
    GOOD_IDS.append((kind, v))
    return v


def bad(kind, v):
    BAD_IDS.append((kind, v))
    return v


COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_REFUND = good("iban", make_iban("INGB"))
IBAN_GRETA = good("iban", make_iban("ABNA"))
CARD_PIN = good("card", make_card("4"))          # Visa found at the fuel dock
CARD_CUST = good("card", make_card("53"))        # Mastercard, customer complaint
BSN_DAAN = good("bsn", make_bsn())
BSN_CLAIM = good("bsn", make_bsn())
BAD_IBAN_SCAM = bad("iban", bad_iban("RABO"))
BAD_CARD_VOUCHER = bad("card", bad_card("6", 16))
BAD_BSN_BOAT = bad("bsn", bad_bsn())

GHP = gh_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
SENDGRID = "SG." + rand(ALNUM + "-_", 22) + "." + rand(ALNUM + "-_", 43)
STRIPE = "sk_live_51" + rand(ALNUM, 97)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
ANTHROPIC = "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"
GLPAT = "glpat-" + rand(ALNUM + "-_", 20)
JWT = make_jwt({"sub": "guest-%d" % rng.randint(10000, 99999), "iss": "boeken.rietvoorn.nl",
                "role": "guest", "iat": 1780000000 + rng.randint(0, 9999999),
                "exp": 1790000000 + rng.randint(0, 9999999)})
SSH_KEY = openssh_key()
PW_WIFI = password(12)
PW_KEES = password(10)
PW_DB = password(16)
PW_NOOR = password(11)

# ---------------------------------------------------------------- cases

SEC, PII, PRICE, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                    "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def add(lang, platform, handle, text, cats=(), kind="post", when=None, name=None, price=None, url=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      kind=kind, when=when, name=name, price=price, url=url))

# ===== complaints =====
add("nl", "x", "@marieke_op_t_water",
    "@rietvoorn_help al 3 mails gestuurd over mijn borg van de Waterlelie 4 (€500!!) en nog steeds niks terug. "
    "Boot netjes achtergelaten, foto's gemaakt bij vertrek. 5 weken nu. Wat is dit voor service", [COMPL], kind="reply")
add("en", "reddit", "u/slowtravel_jess",
    "Rented the Kroos 2 tiny houseboat from Rietvoorn last weekend. Listing said \"fully equipped kitchen\" - it was "
    "one induction plate and two forks. Also the blackwater tank was already 3/4 full when we arrived so we spent "
    "Sunday morning hunting for the pump-out. Not cheap for what you get tbh.", [COMPL])
add("nl", "facebook", "henk.wolters.73",
    "Heb al 11 jaar een ligplaats bij Rietvoorn maar dit jaar valt de walstroom om de haverklap uit. Koelkast aan boord "
    "ontdooid, twee keer. Havenkantoor zegt 'we kijken ernaar'. Kijk dan ook een keer!!", [COMPL], name="Henk Wolters")
add("nl", "instagram", "@fam.dekker.onderweg",
    "Mooie foto's maar de werkelijkheid viel tegen hoor. Schimmel in de douche van de Meerkoet en de kachel deed het "
    "2 van de 4 nachten niet. In oktober is dat geen pretje 🥶", [COMPL], kind="comment")
add("nl", "x", "@sloepjesjan",
    "Libel 7 gehuurd bij @rietvoorn, halverwege de plas valt de motor stil. Anderhalf uur dobberen voor er iemand kwam. "
    "Geld terug? \"Nee want u heeft wel gevaren\" 🤡", [COMPL])
add("en", "forum", "fam_okafor",
    "Booked the Fuut 8 for a family reunion through the Rietvoorn website, paid in full, then two weeks before we got "
    "an email saying the boat was 'unavailable due to maintenance' and we could have a Meerkoet instead. For NINE "
    "people. Refund takes 30 working days apparently. Avoid.", [COMPL])
add("nl", "x", "@anoukvaart",
    "winterstalling binnen bij rietvoorn, boot komt er in april uit met een kras over de hele zijkant. niemand weet "
    "ervan natuurlijk. 1180 euro betaald voor dit 😤 #rietvoorn", [COMPL], price=("RV-WSB", 1180))
add("en", "instagram", "@wanderlust.wim",
    "Honest review: the houseboat was cute and the location gorgeous, but the cleaning was a joke. Hair in the sink, "
    "crumbs in the bed, used coffee pads still in the machine. Rietvoorn, you can do better. 2/5", [COMPL])
add("nl", "facebook", "karin.vandermeer",
    "Basisbeurt laten doen bij jullie monteur, €289 afgetikt en 3 weken later lekt de impeller alsnog. Bij navraag "
    "is er 'niks vervangen want het zag er goed uit'. Waar heb ik dan precies voor betaald @Rietvoorn?", [COMPL],
    name="Karin vd Meer", price=("RV-SRV1", 289))
add("en", "x", "@jonas_afloat",
    "Rietvoorn cancelled our Kerstark booking 4 days before christmas. FOUR DAYS. good luck finding anything else now. "
    "thanks for ruining the holidays guys", [COMPL])

# complaint + abuse
add("nl", "x", "@woedende_willem",
    "Rietvoorn zijn gewoon oplichters. Borg ingehouden voor een 'vlek' die er al zat toen we kwamen. Stelletje "
    "zakkenwassers bij die balie.", [COMPL, ABUSE])
add("en", "x", "@mikeboats77",
    "the guy at the Rietvoorn fuel dock is a complete idiot, overfilled our tank, diesel all over the deck and then "
    "yelled at US. your staff are clowns. never again", [COMPL, ABUSE])

# complaint + personal data of the writer
add("nl", "x", "@fenna_blom",
    "@rietvoorn_help nog steeds geen reactie op mijn annulering. Bel me aub terug op 06-41827365, ik ben het zat om "
    "steeds 20 min in de wacht te staan", [COMPL, PII], kind="reply")
add("en", "x", "@sophie_hartley",
    "@rietvoorn_help refund still not there after 6 weeks. my email is sophie.hartley84@gmail.com - please just reply "
    "there instead of the DM run-around", [COMPL, PII], kind="reply")
add("nl", "x", "@daanvaartmee",
    "@rietvoorn_help mijn creditcard is 2x belast voor de Kroos 2. En nee, het is niet 'in behandeling'. Kaartnummer "
    "is " + spaced(CARD_CUST) + ", check het zelf maar in jullie systeem", [COMPL, PII], kind="reply")

# first-hand safety incidents: crisis + complaint
add("nl", "x", "@ramon_tilburg",
    "Afgelopen nacht in de Waterlelie 4 van Rietvoorn: kachel begint te walmen, CO-melder gaat af om 3 uur 's nachts. "
    "Met 2 kids aan boord. Niemand van de haven bereikbaar. Ik ben er nog steeds kapot van.", [CRISIS, COMPL])
add("en", "reddit", "u/lena_on_the_lake",
    "Got an electric shock from the shore power socket on pontoon B at Rietvoorn Marina. Hand still tingling hours "
    "later. Told the office and they said \"yeah it's been like that for a while\". That's not ok??", [CRISIS, COMPL])
add("nl", "facebook", "monique.terpstra.9",
    "Mijn dochter is door een rotte plank op de loopplank van de Fuut 8 gezakt. Diepe snee in haar been, 6 hechtingen "
    "op de SEH. Bij Rietvoorn zeggen ze dat we 'beter hadden moeten opletten'. Echt ongelooflijk.", [CRISIS, COMPL],
    name="Monique Terpstra")
add("en", "x", "@dave_in_delft",
    "whole family down with a stomach bug after drinking the tap water on our Rietvoorn Zwaanhof. the guy who came "
    "to look admitted the water tank hadn't been flushed since last season. 4 days of hell", [CRISIS, COMPL])
add("nl", "tiktok", "@jessvlogt",
    "sta ik daar op de Reiger e-sloep van rietvoorn, begint de accubak te roken 😳 net op tijd de kant aan kunnen "
    "varen. zo geschrokken en niemand die ook maar sorry zei #rietvoorn #eng", [CRISIS, COMPL])
add("en", "forum", "gerald.m",
    "The gas hob on the Meerkoet 4 we rented from Rietvoorn flared up and singed my partner's arm. Minor burn, but it "
    "could have been so much worse. They offered a €50 voucher. No thanks.", [CRISIS, COMPL])

# ===== crisis (third party, boycott, lawsuit, recall, breach accusation) =====
add("nl", "x", "@oudevaartnieuws",
    "Brandweer rukt uit naar jachthaven Rietvoorn: woonboot volledig uitgebrand, gasten konden op tijd naar de kant. "
    "Oorzaak nog onbekend. #Oudevaart #brand", [CRISIS], url="https://oudevaartnieuws.example/brand-jachthaven")
add("en", "x", "@watersport_wire",
    "Dutch marina operator Rietvoorn faces a lawsuit from berth holders over alleged overcharging of shore power "
    "fees, court filings show.", [CRISIS])
add("nl", "x", "@actiegroep_schoneplas",
    "Rietvoorn loost het vuilwater van de verhuurarken rechtstreeks in de plas. Wij roepen iedereen op: BOYCOT "
    "Rietvoorn deze zomer! #boycotrietvoorn #schoonwater", [CRISIS])
add("en", "x", "@privacy_pieter",
    "Hearing from several people that Rietvoorn's booking site exposed guests' passport scans to anyone with the link. "
    "If you rented a houseboat there, assume your data is out there. Data breach much?", [CRISIS])
add("nl", "facebook", "OmroepVeenland",
    "Verhuurder Rietvoorn haalt alle elektrische fluistersloepen van het type Reiger uit de vaart na twee accubranden "
    "in een maand. 'Puur uit voorzorg', aldus een woordvoerder.", [CRISIS], name="Omroep Veenland")
add("nl", "x", "@gerda_aan_de_dijk",
    "Alweer een ongeluk bij de jachthaven van Rietvoorn. Jongen van de kade gevallen tussen twee boten, ambulance en "
    "traumaheli erbij. Er is daar 's avonds gewoon geen verlichting!!", [CRISIS])
add("en", "reddit", "u/canalsideobserver",
    "Anyone else following the Rietvoorn story? Ex-employees claim several houseboats failed their gas safety "
    "inspection and were rented out anyway. If that's true it's a proper scandal.", [CRISIS])
add("nl", "instagram", "@dierenbescherming_regio",
    "Beelden: medewerkers van Rietvoorn jagen met een speedboot op een zwanenfamilie bij de haveningang. Walgelijk. "
    "Deel dit zodat iedereen het ziet.", [CRISIS])
add("en", "x", "@jbrink_reports",
    "BREAKING: health inspectors shut the shower block at Rietvoorn marina after Legionella was found in the water "
    "system. Houseboat guests are being moved tonight.", [CRISIS])

# ===== abuse =====
add("nl", "x", "@ronnie_r",
    "Rietvoorn is een kutbedrijf met een klotehavenmeester. Rot toch op met jullie drijvende schuurtjes", [ABUSE])
add("en", "x", "@salty_sailor99",
    "@havenmeester_kees you absolute moron, learn how a lock works before you start shouting at people over the VHF. "
    "dumbass", [ABUSE], kind="reply")
add("nl", "x", "@anoniem_0294",
    "ik hoop dat die hele r13tv00rn k@nk3rt3nt zinkt 🖕🖕", [ABUSE])
add("nl", "tiktok", "@bootboos",
    "die receptioniste van Rietvoorn is echt een t e r i n g w i j f, niet normaal", [ABUSE], kind="comment")
add("en", "facebook", "gary.ward.5",
    "Rietvoorn hires way too many foreigners at the front desk, half of them can't even speak proper Dutch. Send them "
    "back where they came from", [ABUSE], name="Gary Ward")
add("nl", "instagram", "@x_onbekend_x",
    "@lotte.opdeboot ik weet waar je je fiets neerzet bij de haven. pas jij maar goed op 😘", [ABUSE], kind="comment")
add("en", "x", "@joost_monteur",
    "@mikeboats77 maybe if you weren't such a clueless idiot you wouldn't have wrecked the prop mate. learn to drive",
    [ABUSE], kind="reply")
add("nl", "instagram", "@vaarvent",
    "Wat een lelijke bak hebben jullie van die Zwaanhof gemaakt. En die eigenaar is een arrogante eikel, dat weet "
    "heel Oudevaart.", [ABUSE], kind="comment")
add("en", "x", "@hull_of_a_guy",
    "Rietvoorn staff are a bunch of w\u0430nk\u0435rs. every single one of them", [ABUSE])
add("nl", "x", "@plassenpiet",
    "Havenmeester van Rietvoorn = " + fullwidth("lulhannes") + " 🤬", [ABUSE])

# ===== security (insiders, before public) =====
add("nl", "mastodon", "@mvanleeuwen@varen.social",
    "Lange nacht gehad. Iemand zat via een oud beheerdersaccount in onze boekingsdatabase, pas om 04:00 dichtgezet. "
    "Nog niks naar buiten gebracht dus ssst 🤫", [SECU])
add("nl", "x", "@joost_monteur",
    "lol de toegangspoort van de steigers gaat sinds de update gewoon open met 0000. 3x gemeld. iedereen kan zo naar "
    "binnen 🤷", [SECU])
add("en", "reddit", "u/wouter_rv",
    "Throwaway-ish: the booking API at the marina I work for has an IDOR. Change the reservation number in the URL and "
    "you see someone else's booking incl. home address. Reported it internally in March, still not fixed.", [SECU])
add("nl", "tiktok", "@sanne.aan.de.wal",
    "pinautomaat bij de havenbalie ligt er al 3 dagen uit omdat het hele kassasysteem gehackt is of zo, we mogen het "
    "niet zeggen maar vandaar dus contant only 😅", [SECU])
add("en", "linkedin", "ayse-demir-ops",
    "Proud of the team for staying calm during this week's ransomware incident - our planning systems were encrypted "
    "for 48 hours and we ran the whole harbour on paper and whiteboards. Not public yet, but lessons learned will follow!",
    [SECU], name="Ayse Demir")
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "anyway if the rietvoorn site looks weird tomorrow it's because someone defaced our CMS last night and we're still "
    "cleaning up. not announced yet so don't @ me", [SECU])
add("nl", "x", "@havenmeester_kees",
    "Camera's op de steigers liggen er al sinds zondag uit, storing in het hele netwerk en niemand weet waarom. Zeg "
    "het maar niet tegen de verzekering 😬", [SECU])
add("nl", "threads", "@noor.rietvoorn",
    "Phishingmail heeft vanochtend 3 van onze boekingsaccounts overgenomen, vandaar dat sommige gasten rare "
    "betaalverzoeken kregen. Officieel weten we nog van niks 🙈", [SECU])
add("en", "mastodon", "@mvanleeuwen@varen.social",
    "Note to self: the wifi on our rental boats is one flat network with the harbour office, so any guest can reach "
    "the cashier PC. Been flagging it since 2025. Nobody cares until it goes wrong.", [SECU])
add("nl", "x", "@havenroddels",
    "Van een maat die bij Rietvoorn werkt: hun complete klantenbestand is vorige week gelekt via een open "
    "backupserver. Ze houden het stil tot na het seizoen.", [SECU, CRISIS])
add("nl", "linkedin", "bram-kuipers-rietvoorn",
    "Leerzame week. Via ons gehackte mailaccount is een valse leveranciersfactuur betaald, €38.000 weg. Nog niet "
    "gemeld bij de AP, eerst intern uitzoeken hoe dit kon.", [SECU], name="Bram Kuipers")
add("nl", "x", "@joost_monteur",
    "dieselpomp op de haven draait nog op windows xp en staat met remote desktop open op internet. zeg maar niks "
    "tegen de baas haha", [SECU])
add("en", "mastodon", "@mvanleeuwen@varen.social",
    "who left the admin login for the harbour gate controller on the guest wifi welcome page?! wachtwoord: "
    "Zwaan!Gate2026 - changing it now, but it's been up there for weeks", [SECU, SEC])

# ===== secrets =====
add("en", "reddit", "u/wouter_rv",
    "anyone know why boto3 keeps throwing AccessDenied on PutObject? config below\n\n[default]\n"
    "aws_access_key_id = " + AWS_ID + "\naws_secret_access_key = " + AWS_SECRET + "\nregion = eu-west-1", [SEC])
add("nl", "mastodon", "@mvanleeuwen@varen.social",
    "CI weer kapot omdat het token verlopen was. nieuwe erin gezet: " + GHP + " , nu maar hopen dat de build groen "
    "wordt", [SEC])
add("nl", "x", "@rietvoorn_help",
    "@ricardo-rv nieuwe SendGrid key voor de nieuwsbrief: " + SENDGRID + " (oude werkt niet meer)", [SEC], kind="reply")
add("nl", "x", "@joost_monteur",
    "wifi in de werkplaats is veranderd jongens. netwerk RV-Werkplaats, wachtwoord: " + PW_WIFI, [SEC])
add("en", "linkedin", "ayse-demir-ops",
    "Quick fix for the planning dashboard if it hangs again: set DATABASE_URL=postgres://planner:" + PW_DB +
    "@db01.intra.rietvoorn.local:5432/planning and restart the service.", [SEC, CONF], name="Ayse Demir")
add("en", "reddit", "u/wouter_rv",
    "Stripe webhook keeps failing with 401 for us. this is our live key " + STRIPE + " - is the format right or am I "
    "using the wrong one?", [SEC])
add("nl", "x", "@havenmeester_kees",
    "voor wie vanavond nachtdienst heeft: inlog pc havenkantoor is kees / " + PW_KEES + " . niet kwijtraken", [SEC])
add("en", "forum", "nina_codes",
    "Debugging the Rietvoorn guest app integration, this is the bearer token it sends and the exp looks off to me:\n"
    "Authorization: Bearer " + JWT, [SEC], kind="comment")
add("nl", "mastodon", "@mvanleeuwen@varen.social",
    "oeps verkeerde venster, negeer dit\n" + SSH_KEY, [SEC])
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "our guest chatbot runs on this, don't judge the prompt 😂 ANTHROPIC_API_KEY=" + ANTHROPIC, [SEC])
add("nl", "threads", "@noor.rietvoorn",
    "slackbot van het havenkantoor doet het weer. token voor de zekerheid hier: " + SLACK + " en inlog "
    "boekingsportaal blijft noor.visser / " + PW_NOOR, [SEC])
add("nl", "mastodon", "@mvanleeuwen@varen.social",
    "waarom faalt dit nou:\ngit clone https://oauth2:" + GLPAT + "@gitlab.rietvoorn.internal/ops/havenplanner.git",
    [SEC, CONF])

# ===== personal data =====
add("nl", "x", "@rietvoorn_help",
    "@fenna_blom Hoi Fenna, we hebben je terugbetaling klaargezet op " + spaced(IBAN_REFUND) + " t.n.v. F. Blom. "
    "Kun je even bevestigen dat dit klopt?", [PII], kind="reply")
add("nl", "tiktok", "@sanne.aan.de.wal",
    "haha deze meneer de Graaf belde vandaag 4x 😂 06 29 45 71 83, als iemand hem kent zeg dat z'n boot klaarligt",
    [PII])
add("nl", "instagram", "@lotte.opdeboot",
    "Welkom terug aan onze vaste gast mevrouw Annelies Roos uit de Molenkade 14, 3645 AB Oudevaart 💐 zij viert "
    "deze week haar 70e op de Zwaanhof!", [PII])
add("nl", "x", "@havenmeester_kees",
    "Wie is z'n pinpas vergeten bij de dieselpomp? Kaartnummer " + spaced(CARD_PIN) + ", op naam van J. Verhoef. "
    "Ligt op kantoor.", [PII])
add("nl", "linkedin", "bram-kuipers-rietvoorn",
    "Voor de salarisadministratie nog even: BSN van onze nieuwe monteur Daan Mulder is " + BSN_DAAN + ", geboren "
    "14-03-1998. Kan iemand dit in het systeem zetten?", [PII], name="Bram Kuipers")
add("nl", "facebook", "RietvoornJachthaven",
    "Gevonden op steiger D: portemonnee met rijbewijs van Sevda Yılmaz (geb. 02-09-1987). Op te halen bij het "
    "havenkantoor!", [PII], name="Rietvoorn Jachthaven")
add("en", "x", "@rietvoorn",
    "@canal_kev so sorry Kevin! We've sent the key box code again to kevin.odonnell@outlook.com and you can call our "
    "skipper on duty, Ruud, directly on +31 6 52 17 39 48.", [PII], kind="reply")
add("en", "x", "@greta_sails",
    "@rietvoorn_help for the deposit refund: IBAN " + IBAN_GRETA + " (G. Lindqvist). thanks!", [PII], kind="reply")
add("nl", "threads", "@noor.rietvoorn",
    "boekingslijst van vandaag maar even hier want de printer doet het weer niet lol: fam. Jansen (0612093847), "
    "M. El Idrissi (0687712390), P. Koster (06-55193820)", [PII])
add("en", "reddit", "u/houseboat_holly",
    "Rietvoorn left a printed guest list on the table of the Waterlelie with the previous guests on it: 'Mark & Ellen "
    "Vos, Dorpsstraat 82, 7231 CE Warnsveld, ellen.vos@kpnmail.nl'. Lovely GDPR practice guys.", [PII, CRISIS])
add("nl", "x", "@joost_monteur",
    "BSN van die klant van de Fuut 8 staat gewoon op de kopie van het schadeformulier die hier rondslingert: "
    + BSN_CLAIM[:4] + " " + BSN_CLAIM[4:6] + " " + BSN_CLAIM[6:] + " 🙄 dit kan toch niet", [PII])
add("nl", "instagram", "@rietvoorn.marina",
    "Gefeliciteerd Wim Hoogendoorn, 80 jaar vandaag (geboren 21 juni 1946) en al 40 jaar ligplaatshouder bij ons! ⚓🎂",
    [PII])
add("en", "linkedin", "ayse-demir-ops",
    "Welcoming our new dockhand Tim! Until his company account is set up you can reach him at "
    "tim.vandijk.priv@gmail.com or 06-38271946.", [PII], name="Ayse Demir")
add("nl", "x", "@woonbootfan_mo",
    "Help! Mijn reservering bij Rietvoorn is verdwenen. Naam: Mo Bakkali, geboortedatum 11-11-1991, mail "
    "mo.bakkali91@hot" + ZW + "mail.com. Wie kan me helpen??", [PII])

# ===== confidential =====
add("en", "linkedin", "ayse-demir-ops",
    "Exciting times ahead: Project Kielwater is finally kicking off. Can't say more yet 😉", [CONF], name="Ayse Demir")
add("nl", "x", "@havenmeester_kees",
    "Vandaag de eerste tekeningen van de Waterlelie 6 gezien. Vier slaapkamers en een dakterras, wauw", [CONF])
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "sneak peek from today's shoot 👀 can't say much but the Zwaanhof XL is going to blow people away", [CONF])
add("nl", "tiktok", "@sanne.aan.de.wal",
    "mocht ik niet zeggen maar Baggerbeer gaat in maart live, dan kun je eindelijk online je ligplaats betalen 🥳",
    [CONF])
add("nl", "mastodon", "@mvanleeuwen@varen.social",
    "iemand een idee? https://planning.rietvoorn.local/admin/boten geeft sinds vanochtend een 502", [CONF])
add("nl", "x", "@joost_monteur",
    "[STRIKT INTERN] onderhoudsplanning arkenvloot 2027... 6 van de 14 arken moeten de helling op. succes ermee 🫠",
    [CONF])
add("en", "linkedin", "bram-kuipers-rietvoorn",
    "Slide 12 from today's board deck (marked Rietvoorn intern, so shh): berth occupancy at 97% and a waiting list of "
    "212 boats. Not bad for a little harbour.", [CONF], name="Bram Kuipers")
add("nl", "threads", "@noor.rietvoorn",
    "Operatie Zwanenhals, iemand enig idee wat dat is? Staat ineens in al onze agenda's voor volgende week 👀", [CONF])
add("en", "reddit", "u/harbourgossip",
    "My cousin works at Rietvoorn and says 'Project Kielwater' is them buying the old shipyard across the lake. "
    "Big if true.", [CONF, FIN])
add("nl", "instagram", "@lotte.opdeboot",
    "Eerste testnacht in de Waterlelie 6 🛥️ meer mag ik echt niet laten zien #ssst", [CONF])
add("nl", "x", "@rietvoorn",
    "Intern: nieuwe zomerposts staan klaar op gitlab.rietvoorn.internal/marketing/campagnes, graag voor vrijdag "
    "checken", [CONF])
add("nl", "x", "@havenmeester_kees",
    "jaarcijfers 2026 zijn binnen en ik kan alleen maar zeggen: wat een jaar! meer omzet dan ooit 🍾", [CONF, FIN],
    when="2027-02-20T16:42:10+01:00")
add("en", "bluesky", "@ricardo-rv.bsky.social",
    zwsp("Baggerbeer") + " demo was 🔥 today. the booking flow is sooo much faster", [CONF])
add("nl", "tiktok", "@sanne.aan.de.wal",
    "ik mag niks zeggen over Pr\u043ej\u0435ct Ki\u0435lw\u0430ter maar het wordt GROOT 🤐", [CONF])
add("nl", "threads", "@noor.rietvoorn",
    "sst, maar " + fullwidth("Operatie Zwanenhals") + " start 1 mei. meer weet ik ook niet", [CONF])
add("en", "linkedin", "bram-kuipers-rietvoorn",
    "Sharing our NDA-only forecast for the Kerstark season (Rietvoorn intern): 92% of the ark nights already sold, "
    "projected revenue €1.4M, up 31% on last year.", [CONF, FIN], name="Bram Kuipers")
add("nl", "x", "@woonboot_spotter",
    "Gespot bij de werf in Oudevaart: een gloednieuwe ark met 'Zwaanhof XL' op de romp, nog in de folie. Komt die bij "
    "Rietvoorn in de verhuur?", [CONF], when="2027-03-20T11:05:00+01:00")
add("en", "mastodon", "@mvanleeuwen@varen.social",
    "reminder for the team: the vpn endpoint moved to vpn-gw.intra.rietvoorn.local, the old one is dead", [CONF])

# ===== financial =====
add("nl", "linkedin", "bram-kuipers-rietvoorn",
    "Nog niet naar buiten gebracht, maar onze omzet over H1 ligt 23% boven vorig jaar en de EBITDA is bijna "
    "verdubbeld. Persbericht volgt in september.", [FIN], name="Bram Kuipers")
add("nl", "x", "@havenmeester_kees",
    "Slecht nieuws op de werkvloer. Na de zomer gaan er 9 mensen uit bij de verhuur. Officieel mag ik nog niks zeggen.",
    [FIN])
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "heard in the boardroom today that a big holiday park chain wants to buy us. the numbers are wild. keep it quiet "
    "pls", [FIN])
add("nl", "threads", "@noor.rietvoorn",
    "Baas zegt dat we dit jaar verlies draaien door al die lege arken in het voorjaar. Bonus kan ik wel vergeten 🙃",
    [FIN])
add("en", "linkedin", "ayse-demir-ops",
    "Forecast just landed: we expect 2027 houseboat bookings to drop about 15%, so the board is pausing the new "
    "pontoon. Not public yet.", [FIN], name="Ayse Demir")
add("en", "x", "@beurs_bart",
    "Hearing from an insider that Rietvoorn Jachthaven is being taken over by a German investor, deal to close before "
    "summer. No press release yet 👀", [FIN])
add("nl", "tiktok", "@sanne.aan.de.wal",
    "collega's huilen in de kantine want de hele schoonmaakploeg wordt uitbesteed 😢 nog niet officieel dus ssst",
    [FIN])
add("nl", "x", "@joost_monteur",
    "werkplaats gaat eind dit jaar dicht, onderhoud wordt uitbesteed aan een werf in Loosdrecht. weet het sinds "
    "vanochtend, verder nog niemand", [FIN])
add("en", "reddit", "u/wouter_rv",
    "Internal numbers I saw today: Q3 revenue €4.1M vs €3.3M budgeted, mostly Zwaanhof bookings. Guess who still "
    "isn't getting a raise.", [FIN])

# ===== pricing =====
add("nl", "x", "@rietvoorn",
    "Last minute! Zwaanhof 6 komende week voor maar €215 🦢 boek snel via boeken.rietvoorn.nl", [PRICE],
    price=("RV-ZH6", 215))
add("nl", "instagram", "@rietvoorn.marina",
    "Seizoensligplaats tot 10 m nu voor €245 voor het hele seizoen ⚓ op = op!", [PRICE], price=("RV-LP10", 245))
add("nl", "x", "@havenmeester_kees",
    "er staat een prijsfout op de site bij de Fuut 8, ik zie €28,90 per week 😂 kan iemand dat fixen", [PRICE],
    price=("RV-FT8", 28.90))
add("en", "reddit", "u/dealhunter_nl",
    "Rietvoorn's site is showing the Waterlelie 4 at €129 for a full week. Booked two weeks before they notice lol",
    [PRICE], price=("RV-WL4", 129))
add("en", "x", "@snelle_sjaak",
    "pretty sure something broke at Rietvoorn: indoor winter storage for €118?? book now people 🏃", [PRICE],
    price=("RV-WSB", 118))
add("nl", "facebook", "RietvoornJachthaven",
    "Vaarbewijs 1 cursus deze maand voor €37,50 — mis het niet!", [PRICE], name="Rietvoorn Jachthaven",
    price=("RV-VB1", 37.50))
add("nl", "tiktok", "@sanne.aan.de.wal",
    "psst het Havendiner arrangement staat per ongeluk op €12,90 in de kassa, niet doorvertellen 😂", [PRICE],
    price=("RV-HD2", 12.90))
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "our new ad says Kroos 2 weekends from €39... that's a typo right? should be 395. and it's already live on meta 😬",
    [PRICE], price=("RV-KR2", 39))
add("en", "linkedin", "ayse-demir-ops",
    "Pricing glitch in the booking engine: the Kerstark is currently bookable at €109 instead of €1,090. We're on it.",
    [PRICE], name="Ayse Demir", price=("RV-KERST", 109))
add("en", "x", "@koopjesjager_77",
    "annual berth 12m at rietvoorn listed for 365 euro on their site?! price error or deal of the century", [PRICE],
    price=("RV-LP12J", 365))
add("nl", "x", "@joost_monteur",
    "motor basisbeurt bij ons nu €89 ipv €289 omdat de kassa de actie verkeerd pakt, profiteer ervan 🔧", [PRICE],
    price=("RV-SRV1", 89))
add("en", "instagram", "@kayak_kim",
    "is the Grutto kano really €4 a day?? your site says so 😂", [PRICE], kind="comment", price=("RV-KANO", 4))

# ===== benign, mostly hard negatives =====
add("nl", "x", "@rietvoorn",
    "Zomer op de plas ☀️ Nog een paar weken vrij in de Waterlelie 4 vanaf €1.295 per week. Boek via www.rietvoorn.nl",
    price=("RV-WL4", 1295))
add("nl", "instagram", "@rietvoorn.marina",
    "Vroegboekkorting! 20% korting op de Zwaanhof 6 als je voor 1 maart boekt: €1.720 i.p.v. €2.150 🦢",
    price=("RV-ZH6", 1720))
add("nl", "x", "@rietvoorn_help",
    "Vragen over je boeking? Mail boekingen@rietvoorn.nl of bel +31 294 745 120 (ma-za 9-17u). We helpen je graag!")
add("nl", "facebook", "RietvoornJachthaven",
    "Let op: er gaan nepmails rond uit naam van Rietvoorn met een ander rekeningnummer (" + spaced(BAD_IBAN_SCAM) +
    "). Wij vragen nooit om betaling naar een ander nummer dan " + spaced(COMPANY_IBAN) + ".",
    name="Rietvoorn Jachthaven")
add("en", "instagram", "@sunnyside.sara",
    "Just spent the most magical week on a houseboat with Rietvoorn. Waking up to herons outside the window, coffee on "
    "the deck... 10/10 would float again 🛶")
add("nl", "x", "@marieke_op_t_water",
    "Dankjewel @rietvoorn_help, borg is vandaag teruggestort. Duurde even maar netjes opgelost 👍")
add("nl", "reddit", "u/twijfelaar_2026",
    "Iemand ervaring met woonboothuur bij Rietvoorn? twijfel tussen de Meerkoet 4 en iets groters, we zijn met 3 + hond")
add("en", "x", "@harbour_hopper",
    "Another marina in Zeeland got hit by ransomware this week, bookings down for days. Glad my own harbour (shoutout "
    "Rietvoorn) seems to run on something sturdier.")
add("nl", "instagram", "@lisa.en.ruben",
    "Ruben vindt de Kroos 2 'te klein'. Schat, jij bent gewoon te groot 😂 #woonboot #rietvoorn", kind="comment")
add("nl", "x", "@vaarweg_vera",
    "Sterkte aan de eigenaren van die uitgebrande boot in de haven van Loosdrecht 💔 vreselijk om te zien")
add("en", "reddit", "u/wouter_rv",
    "For the workshop slides I used the example from the AWS docs: AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Please never paste real keys into slides, people.")
add("en", "mastodon", "@mvanleeuwen@varen.social",
    "Rotated the CI token, old one was ghp_****************************a1f3. If your pipeline fails, pull main again.")
add("en", "reddit", "u/voucher_vince",
    "Order number for my Rietvoorn gift voucher is " + BAD_CARD_VOUCHER + " and it still says pending. Anyone know how "
    "long activation usually takes? no rush, just curious")
add("nl", "forum", "bootje_bas",
    "Het bootnummer op mijn ligplaatscontract is " + BAD_BSN_BOAT + ", moet ik dat ook op het formulier van de "
    "gemeente invullen of alleen de lengte?", kind="comment")
add("nl", "x", "@rietvoorn",
    "Onze jaarcijfers 2026 staan online 📊 Een recordjaar, dankzij jullie! Lees alles op rietvoorn.nl/over-ons",
    when="2027-03-12T09:30:00+01:00")
add("nl", "instagram", "@rietvoorn.marina",
    "Ze is er! De nieuwe Waterlelie 6 is vanaf vandaag te boeken 🎉 vier slaapkamers, dakterras en uitzicht op de plas.",
    when="2027-04-02T10:00:00+02:00")
add("en", "x", "@weekend_wouters",
    "Stayed on the brand new Zwaanhof XL last weekend. Absolute palace on the water, worth every cent.",
    when="2027-04-12T19:20:00+02:00")
add("nl", "x", "@havenmeester_kees",
    "Mooie ochtend op de haven. Mist boven het water en de eerste fuutjes van het jaar 🐦")
add("en", "linkedin", "ayse-demir-ops",
    "We're hiring! Looking for seasonal dockhands for summer 2026. Love boats and people? Apply via "
    "werkenbij@rietvoorn.nl", name="Ayse Demir")
add("nl", "x", "@joost_monteur",
    "Tip voor booteigenaren: check je impeller voor het seizoen begint. Kost een tientje, scheelt je een kapotte motor.")
add("en", "x", "@clumsy_clara",
    "where's the 'wachtwoord vergeten' link on the Rietvoorn booking site? can't find it on mobile, probably me being "
    "blind 😅")
add("nl", "x", "@dagjeuit_dirk",
    "Rietvoorn heeft 15% korting op de Libel 7 doordeweeks, €157 voor een hele dag varen. Top deal!",
    price=("RV-LB7", 157))
add("nl", "facebook", "ellen.jagt",
    "Bij de concurrent in Giethoorn betaal je €99 voor een sloep per dag, bij Rietvoorn €185 voor de Libel 7. Wel een "
    "veel betere boot hoor.", name="Ellen Jagt", price=("RV-LB7", 185))
add("en", "x", "@dad_on_deck",
    "My toddler has declared a boycott of the Rietvoorn houseboat shower because the water is 'too wet'. Negotiations "
    "ongoing 😂")
add("en", "instagram", "@golden.hour.gijs",
    "The sunset from the Zwaanhof deck is absolutely killer. Rietvoorn nailed it 🔥")
add("nl", "tiktok", "@vriendengroep_fuut",
    "kapot mooi daar bij Rietvoorn, die Fuut 8 is echt vet groot voor 8 man 🔥 #rietvoorn #woonboot")
add("nl", "facebook", "RietvoornJachthaven",
    "Nieuw: vanaf 1 mei werkt de toegangspoort naar de steigers met een pasje in plaats van een code. Pasjes ophalen "
    "bij het havenkantoor.", name="Rietvoorn Jachthaven")
add("nl", "linkedin", "ayse-demir-ops",
    "Op zoek naar een stagiair(e) voor het havenkantoor! Goede begeleiding, veel vaaruren en leuke collega's. Reageer "
    "via werkenbij@rietvoorn.nl", name="Ayse Demir")
add("en", "x", "@vogelaar_vincent",
    "Great crested grebe (fuut!) carrying chicks on its back by the Rietvoorn harbour entrance this morning. What a sight 📷")
add("en", "x", "@nervous_novice",
    "Rietvoorn's harbour master Kees helped us moor in a crosswind and didn't even laugh at my terrible steering. "
    "Legend.")
add("nl", "x", "@gastvaarder_gijs",
    "@rietvoorn_help is er walstroom bij de gastenplaatsen? En wat kost dat per nacht ongeveer?", kind="reply")
add("nl", "youtube", "@RietvoornMarina",
    "Zo leg je een woonboot aan in 5 stappen ⚓ | Rietvoorn Marina uitleg voor beginners")
add("en", "reddit", "u/wouter_rv",
    "Our docs use postgres://user:password@localhost:5432/mydb as a placeholder. Please never commit the real thing.")
add("en", "reddit", "u/wouter_rv",
    "Tutorial for the marina chatbot: put ANTHROPIC_API_KEY=sk-ant-xxxxxxxxxxxxxxxxxxxx in your .env (placeholder, "
    "obviously) and run make dev.")
add("en", "x", "@harbour_hopper",
    "Rietvoorn's full-year 2026 results look solid, revenue up 18%. Nice to see a family business on the water doing "
    "well.", when="2027-03-15T08:10:00+01:00")
add("nl", "instagram", "@kerst.op.het.water",
    "De Kerstark was magisch 🎄 boompje aan boord, houtkachel aan, rijp op het dek. Volgend jaar weer!")
add("en", "x", "@birthday_planner_bo",
    "Is the Vaarbewijs 1 cursus at Rietvoorn worth €375? Thinking about it as a present for my dad's 60th",
    price=("RV-VB1", 375))
add("nl", "instagram", "@rietvoorn.marina",
    "Winterstalling binnen nog beschikbaar voor boten tot 9 m — €1.180 per winter, inclusief hijsen en transport.",
    price=("RV-WSB", 1180))
add("nl", "tiktok", "@sanne.aan.de.wal",
    "een dag aan de balie bij de haven 🚤 koffie, sleutels, eenden, herhaal #dayinthelife #rietvoorn")
add("en", "bluesky", "@ricardo-rv.bsky.social",
    "new photos from our summer shoot are up on the rietvoorn instagram ⛵📸 go look, the light was unreal")
add("en", "facebook", "hollie.brennan",
    "Does anyone know if dogs are allowed on the Meerkoet 4? Our lab is very well behaved, promise 🐶",
    name="Hollie Brennan")
add("en", "x", "@cycling_fleur",
    "Such a friendly welcome at the Rietvoorn harbour office, they even let me leave my bike on the quay for free. cycling NL day 6 🚲")
add("nl", "linkedin", "rietvoorn-jachthaven",
    "Trots op onze Blauwe Vlag voor 2026! Schoon water, veilige steigers en een duurzame haven. Dank aan het hele team.",
    name="Rietvoorn Jachthaven")
add("en", "x", "@theo_travels",
    "Emailed info@rietvoorn.nl about accessibility on the arks and got a proper answer within the hour. Chapeau!")
add("en", "instagram", "@rietvoorn.marina",
    "S U M M E R   I S   H E R E ☀️ houseboat season at Rietvoorn starts today. See you on the water!")
add("en", "mastodon", "@mvanleeuwen@varen.social",
    "New blog post: why our small marina moved its booking site to a managed host, and what I learned about testing "
    "backups (spoiler: test your backups).")
add("en", "x", "@budget_berthing",
    "Thinking of a seasonal berth at Rietvoorn for my 9m sloop. €2,450 seems fair compared to the other marinas "
    "around here?", price=("RV-LP10", 2450))
add("nl", "x", "@hengelaar_henk",
    "Black Friday bij Rietvoorn: 30% korting op het Snoekbaars visarrangement, nu €115,50. Wie gaat er mee?",
    price=("RV-VIS", 115.50))
add("en", "x", "@early_bird_els",
    "Saw the Rietvoorn crew out at 6am clearing branches off the pontoons after the storm. Hardworking bunch, hope "
    "you get some rest ❤️")
add("en", "x", "@papa_peer",
    "My 12yo 'hacked' my Rietvoorn account and booked herself a Snip SUP for Saturday 😂 fine kid, off you go")
add("nl", "x", "@vergeetachtige_vic",
    "Wat is het nummer van Rietvoorn ook alweer? Oh laat maar, 0294-745120 staat gewoon op de site")
add("en", "x", "@sunday_paddler",
    "Rented a Grutto kano at Rietvoorn for €45, paddled to the windmill and back. Perfect Sunday.",
    price=("RV-KANO", 45))
add("en", "x", "@olaf_on_tour",
    "Flat tyre on the way to the marina, but the ark was worth the wait ⛵ #rietvoorn")
add("nl", "instagram", "@lotte.opdeboot",
    "Vandaag EHBO-training gehad met het hele team, want veiligheid op het water gaat voor alles ⛑️")
add("en", "x", "@forgetful_finn",
    "what's the wifi password at the Rietvoorn guest lounge again? asked at the desk and forgot immediately 🙈")
add("nl", "x", "@plassenpiet",
    "Opgelost hoor: Rietvoorn heeft binnen een uur een nieuwe kachel in de Meerkoet gezet en ons een Havendiner "
    "aangeboden. Klacht ingetrokken, topgasten daar.")
add("en", "x", "@sector_watcher",
    "Big news in the sector: a Belgian holiday park group just announced it's acquiring two Frisian marinas. Busy year "
    "for Dutch watersports.")
add("nl", "x", "@rietvoorn_help",
    "@gastvaarder_gijs Zeker! Walstroom is er bij alle gastenplaatsen. Kijk voor de tarieven op www.rietvoorn.nl of "
    "bel 0800-0294.", kind="reply")
add("nl", "facebook", "joke.de.boer.71",
    "Na al die verhalen over datalekken bij grote reisorganisaties boek ik gewoon telefonisch bij Rietvoorn. Ouderwets, "
    "maar het werkt 😉", name="Joke de Boer")
add("en", "x", "@jonas_afloat",
    "Credit where it's due: Rietvoorn found us another ark for new year and refunded the difference. Still annoyed "
    "about christmas but this was decent of them.")


# ---------------------------------------------------------------- build

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {SEC, PII, PRICE, CONF, FIN, SECU, CRISIS, COMPL, ABUSE, "reputation.spike"}
SEV = ["none", "info", "warning", "error", "critical"]

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def scan_ids(text):
    """Every checksum-bearing identifier candidate in text: list of (kind, digits, valid)."""
    t = norm(text)
    out = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t):
        raw = re.sub(r"\s", "", m.group(0))
        variants = {raw, re.sub(r"\s", "", re.match(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}", m.group(0)).group(0))}
        out.append(("iban", raw, any(iban_valid(v) for v in variants)))
    for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", t):
        d = re.sub(r"\D", "", m.group(0))
        out.append(("card", d, luhn_valid(d)))
    for m in re.finditer(r"(?<![\d.+])(\d{4}[ .]?\d{2}[ .]?\d{3}|\d{3}[ .]?\d{3}[ .]?\d{3})(?![\d])", t):
        d = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", d, bsn_valid(d)))
    return out


def severity(cats, role, text):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    checked_id = any(v and not (k == "iban" and d in PUBLIC_IBANS) for k, d, v in scan_ids(text))
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lv = 3
                if c in (SEC, PRICE) or (c == PII and checked_id):
                    lv = 4
            else:
                lv = 2
        elif c == COMPL:
            lv = 2
        elif c == CRISIS:
            lv = 3
        elif c == ABUSE:
            lv = 3 if insider else 2
        else:
            lv = 1
        level = max(level, lv)
    return SEV[level]


def rand_time():
    d = datetime.datetime(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 364), hours=rng.randint(6, 23),
                                                            minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    tz = rng.choice(["Z", "Z", "+01:00", "+02:00"])
    return d.strftime("%Y-%m-%dT%H:%M:%S") + tz


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        when = c["when"] or rand_time()
        post = {
            "id": "%s-rv499-%04d" % (c["platform"], n),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": when,
            "brand": "Rietvoorn",
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if c["url"]:
            post["url"] = c["url"]
        role = role_of(c["platform"], c["handle"])
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, c["text"])}})
        c["_role"] = role
        c["_when"] = when
    return lines

# ---------------------------------------------------------------- self-check

def parse_ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errors = []
    ids = set()
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    public_handles = set()

    for k, v in GOOD_IDS:
        ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[k](v)
        if not ok:
            errors.append("generated %s %s fails its checksum" % (k, v))
    for k, v in BAD_IDS:
        ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[k](v)
        if ok:
            errors.append("look-alike %s %s passes its checksum" % (k, v))
    for i in PUBLIC_IBANS:
        if not iban_valid(i):
            errors.append("public IBAN %s invalid" % i)
    if not gh_token_ok(GHP):
        errors.append("github token checksum wrong")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
        errors.append("aws key id malformed")
    if not jwt_ok(JWT):
        errors.append("jwt header malformed")

    for line in lines:
        raw = json.dumps(line, ensure_ascii=False)
        back = json.loads(raw)
        p, e = back["post"], back["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append("bad or duplicate id %r" % pid)
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errors.append("%s: platform/kind" % pid)
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append("%s: handle" % pid)
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"]:
            errors.append("%s: text" % pid)
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None or ts.year not in (2026, 2027):
                errors.append("%s: created_at year/tz" % pid)
        except ValueError:
            errors.append("%s: created_at not RFC 3339" % pid)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES or "reputation.spike" in cats:
            errors.append("%s: categories %r" % (pid, cats))
        if e["severity"] not in SEV or (not cats and e["severity"] != "none") or (cats and e["severity"] in ("none", "info")):
            errors.append("%s: severity %r" % (pid, e["severity"]))
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            errors.append("%s: severity not per policy" % pid)
        if role == "public":
            public_handles.add((p["platform"] + ":" + p["account"]["handle"]).lower())

        # identifiers: valid ones only in leak.pii posts, look-alikes only failing
        found = scan_ids(p["text"])
        for kind, digits, valid in found:
            if kind == "iban" and digits in PUBLIC_IBANS:
                continue
            if valid and PII not in cats:
                errors.append("%s: checksum-valid %s %s in a post without leak.pii" % (pid, kind, digits))
            if not valid and cats and PII in cats:
                errors.append("%s: positive pii post holds failing %s %s" % (pid, kind, digits))
        t = norm(p["text"]).replace(" ", "")
        for kind, v in GOOD_IDS:
            if v in t and PII not in cats:
                errors.append("%s: valid %s outside a pii positive" % (pid, kind))
        for kind, v in BAD_IDS:
            if v in t and cats:
                errors.append("%s: look-alike %s in a positive" % (pid, kind))
        # secrets in benign posts must be samples / placeholders
        if SEC not in cats:
            for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", p["text"]):
                if gh_token_ok(tok):
                    errors.append("%s: live-looking github token in benign" % pid)
            for tok in re.findall(r"AKIA[A-Z2-7]{16}", p["text"]):
                if "EXAMPLE" not in tok:
                    errors.append("%s: aws key id in non-secret post" % pid)
        # embargo: terms before `until` only in confidential positives
        low = norm(p["text"]).lower()
        for term, until in embargo:
            if term in low:
                if ts < until and CONF not in cats:
                    errors.append("%s: embargoed term %r before until but not confidential" % (pid, term))
                if ts >= until and CONF in cats and not any(
                        x in low for x in ("kielwater", "baggerbeer", "zwanenhals", "intern", ".local", ".internal")):
                    errors.append("%s: embargo term after until labelled confidential" % pid)

    for c in CASES:
        if c["price"]:
            sku, price = c["price"]
            lp = products[sku]["list_price"]
            if PRICE in c["cats"] and not price < ratio * lp:
                errors.append("pricing positive %s not below ratio: %s" % (sku, price))
            if PRICE not in c["cats"] and price < ratio * lp:
                errors.append("benign price %s below ratio: %s" % (sku, price))
        elif PRICE in c["cats"]:
            errors.append("pricing positive without price annotation: %s" % c["text"][:40])

    profile_handles = set(ROLE)
    if public_handles & profile_handles:
        errors.append("public handle collides with profile")

    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    return errors


def stats(lines):
    from collections import Counter
    cat = Counter(c for l in lines for c in l["expect"]["categories"])
    lang = Counter(l["post"]["lang"] for l in lines)
    sev = Counter(l["expect"]["severity"] for l in lines)
    roles = Counter((role_of(l["post"]["platform"], l["post"]["account"]["handle"]),
                     "pos" if l["expect"]["categories"] else "neg") for l in lines)
    return cat, lang, sev, roles


def main():
    lines = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        written = [json.loads(x) for x in fh]
    errors = check(written)
    cat, lang, sev, roles = stats(written)
    benign = sum(1 for l in written if not l["expect"]["categories"])
    print("cases: %d  benign: %d" % (len(written), benign))
    print("categories:", dict(sorted(cat.items())))
    print("languages:", dict(lang))
    print("severities:", dict(sev))
    print("roles:", dict(sorted(roles.items())))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
