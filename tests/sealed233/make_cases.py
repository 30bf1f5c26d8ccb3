#!/usr/bin/env python3
"""Evaluation set 233 for postwatch: Perforo, a fictional Dutch office-supplies and printer-ink webshop.

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32, AWS alphabet, JWT header ...);
  * embargo terms, codenames, internal hosts and markers, and prices are consistent with the labels.
Run: python3 make_cases.py
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(233)

# ----------------------------------------------------------------------------------------------
# identifier generators and validators
# ----------------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    if s.startswith("NL") and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = rand(string.digits, 10)
    r = bank + acct + "NL00"
    check = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    iban = "NL%02d%s%s" % (check, bank, acct)
    assert iban_ok(iban)
    return iban


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix="4", length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def fmt_card(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + rand(string.digits, 7)
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            bsn = head + str(last)
            assert bsn_ok(bsn)
            return bsn


def break_digit(s, pos):
    """Change one digit so that a checksum fails (a single-digit change always breaks mod-97, Luhn, 11-proof)."""
    chars = list(s)
    digit_positions = [i for i, c in enumerate(chars) if c.isdigit()]
    i = digit_positions[pos]
    chars[i] = str((int(chars[i]) + 3) % 10)
    return "".join(chars)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767000000 + rng.randint(0, 20000000)
    payload = b64url(json.dumps({"sub": "usr_" + rand(string.digits, 6), "role": "customer",
                                 "iss": "admin-api", "iat": iat, "exp": iat + 3600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_ssh_key():
    blob = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
            b"\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
            + bytes(rng.randrange(256) for _ in range(32))
            + b"\x00\x00\x00\x90" + bytes(rng.randrange(256) for _ in range(150)))
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---- generated values (order matters for determinism) ----
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rand(ALNUM + "/+", 40)
GHP = github_token("ghp_")
PG_PW = rand(ALNUM, 18)
WIFI_PW = "%s%s%d%s" % (rng.choice(["Pallet", "Heftruck", "Rolcontainer"]), rng.choice("!#%&*"),
                        rng.randint(1000, 9999), rng.choice(["Venlo", "Dock", "Laadperron"]))
OPENAI = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
MOLLIE = "live_" + rand(ALNUM, 30)
SSH_KEY = make_ssh_key()
JWT = make_jwt()
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
KS_PW = rand(string.ascii_letters, 5) + rng.choice("!?#$") + rand(string.digits, 3) + rand(string.ascii_letters, 3)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GAPI = "AIza" + rand(URLSAFE, 35)

IBAN_SANDRA = make_iban("RABO")
IBAN_YILMAZ = make_iban("INGB")
IBAN_VERHOEF = make_iban("ABNA")
IBAN_OKAFOR = make_iban("BUNQ")
BSN_MILA = make_bsn()
CARD_MVL = make_card("4", 16)

OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]
IBAN_BAD = OWN_IBAN[:-2] + OWN_IBAN[-1] + OWN_IBAN[-2]        # the company's IBAN with two digits swapped
CARD_BAD = break_digit(make_card("4", 16), 15)
BSN_BAD = break_digit(make_bsn(), 8)

# ----------------------------------------------------------------------------------------------
# the cases
# ----------------------------------------------------------------------------------------------
CASES = []

SECRET = "leak.secret"
PII = "leak.pii"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
CRISIS = "reputation.crisis"
COMPLAINT = "reputation.complaint"
ABUSE = "reputation.abuse"


def case(platform, handle, lang, text, cats=(), kind="post", ts=None, ids=(), prices=(), brand=None):
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "kind": kind, "ts": ts, "ids": list(ids),
                  "prices": list(prices), "brand": brand})


# ---------------- complaints ----------------
case("x", "@marloes_vb", "nl",
     "Al 9 dagen wachten op m'n K40 XL cartridges van @perforo_nl 🙃 track & trace staat sinds vorige week dinsdag "
     "op 'in sorteercentrum'. morgen moet m'n scriptie geprint zijn. top timing",
     [COMPLAINT])
case("reddit", "u/inkless_in_leeds", "en",
     "Ordered a T-22 toner from Perforo. Box showed up with the seal broken and toner dust all over the inside of the "
     "carton, my hands were black just opening it. Asked for a replacement and got a canned reply saying 'our "
     "warehouse reports no damage at dispatch'. Cool, so it's my fault then?",
     [COMPLAINT])
case("facebook", "Henk Visser", "nl",
     "Al sinds 2019 zakelijk klant en nu voor de derde keer op rij een foute factuur van Perforo. Btw verkeerd "
     "berekend, ons inkoopordernummer staat er niet op en creditnota's komen pas na weken. Onze boekhouder wordt er "
     "gek van. Is er iemand die dit structureel kan oplossen??",
     [COMPLAINT], kind="comment")
case("x", "@jdoyle_prints", "en",
     "@perforo_help 40 min on hold, then the line just drops. happened twice today. all I want is to know where the "
     "refund for my returned IJ-7 is. it's been FIVE weeks",
     [COMPLAINT], kind="reply")
case("instagram", "@sanne.maakt", "nl",
     "Leuke foto hoor, maar mijn Rise 160 kwam binnen met een gedeukte poot en het zakje schroeven ontbrak gewoon. "
     "2x gemaild, 0 reactie 😤 Ligt nu al twee weken in onderdelen in mijn woonkamer",
     [COMPLAINT], kind="comment")
case("bluesky", "@tomasz-prints.bsky.social", "en",
     "the InkPeak 'XL' carts from perforo give me maybe 180 pages before the printer starts whining they're empty. "
     "the original brand ones did twice that. XL my foot",
     [COMPLAINT], brand="inkpeak")
case("x", "@gerritjan1961", "nl",
     "Dat retourlabel van jullie werkt dus niet. Drie keer een nieuwe aangevraagd en elke keer 'Er is iets misgegaan, "
     "probeer het later opnieuw'. Hoe krijg ik die SX-12 nou terug naar jullie @perforo_help ?",
     [COMPLAINT], kind="reply")
case("forum", "kantoormoeder", "nl",
     "Heeft iemand anders ook dat de InkPeak navulset gewoon niet werkt in een IJ-7? Na bijvullen weigert de printer "
     "de cartridge ('niet herkend'). Perforo zegt aan de telefoon dat het 'aan de printer ligt'... terwijl ze die "
     "printer zelf verkopen. Beetje jammer zo.",
     [COMPLAINT])
case("threads", "@leah.designs.studio", "en",
     "ordered a box of A4 from perforo for the studio. it arrived SOAKED, courier left it out in the rain, half the "
     "reams are wavy and useless. perforo says take it up with the courier. no?? I paid you, not them",
     [COMPLAINT])
case("x", "@bas_dekker_", "nl",
     "Perforo heeft deze maand 2x de InkPeak-bezorging afgeschreven en de klantenservice zegt letterlijk 'dat "
     "corrigeert zich vanzelf'. Nou, nee dus. Wil gewoon m'n €34,90 terug pls",
     [COMPLAINT], ts="2026-05-06T08:41:12Z")
case("facebook", "Graham Whitcombe", "en",
     "Bought the ErgoFlex chair in March. By September the left armrest had snapped clean off and the seat slowly "
     "sinks to the floor over the course of a morning. Warranty claim has been 'under review' for six weeks. Not "
     "impressed, Perforo.",
     [COMPLAINT], ts="2026-10-19T18:02:44Z")
case("tiktok", "@yaraaa.x", "nl",
     "bestel nooit je schoolspullen bij perforo ik kreeg 12 goedkope blauwe balpennen ipv de glide gelpennen en nu "
     "moet IK de retour betalen?? 💀",
     [COMPLAINT], kind="comment")
# complaint + abuse
case("x", "@kees_kantoor", "nl",
     "Wat een kutbedrijf is Perforo ook. Derde keer de verkeerde toner gestuurd en dan die helpdesk-clowns die je "
     "afschepen met een standaardmailtje. Stelletje prutsers.",
     [COMPLAINT, ABUSE])
case("x", "@furiousfreelancer", "en",
     "perforo you absolute clowns. my order's been 'processing' for 11 days. who runs your warehouse, a pack of "
     "brainless monkeys?",
     [COMPLAINT, ABUSE])

# ---------------- first-hand safety incidents: crisis + complaint ----------------
case("facebook", "Monique Verbeek", "nl",
     "Onze Lumo A3 lamineermachine van Perforo begon vanavond ineens te roken en er kwam een steekvlam uit de "
     "zijkant!! Stekker er meteen uit. Gelukkig niemand gewond, maar de hele werkkamer stinkt naar verbrand plastic "
     "en het bureaublad is zwart geblakerd. Dit mag toch niet kunnen?!",
     [CRISIS, COMPLAINT])
case("reddit", "u/dad_of_three_nl", "en",
     "Our 4 year old got his fingertips pulled into the Perforo SX-12 shredder. Auto-start kicked in even though the "
     "safety switch was on. Spent the night in A&E, stitches on two fingers. How is this thing sold as 'safe for home "
     "offices'? Returning it and reporting it.",
     [CRISIS, COMPLAINT])
case("x", "@fleur_thuiswerkt", "nl",
     "De gasveer van mijn ErgoFlex bureaustoel is vanochtend met een knal bezweken, ik sloeg achterover met mijn "
     "hoofd tegen de kast. Bult en hoofdpijn 🤕 @perforo_help ik wil graag een reactie, want dit is echt gevaarlijk",
     [CRISIS, COMPLAINT])
case("x", "@paulmakesstuff", "en",
     "got a proper electric shock off the back of my Perforo LP-500dn this morning when I touched the power socket. "
     "arm tingled for an hour. unplugged, boxed, going back. a printer shouldn't bite",
     [CRISIS, COMPLAINT])
case("instagram", "@studiolotte", "nl",
     "Na het navullen met de InkPeak Navulset Eco kreeg ik flinke hoofdpijn en werd ik misselijk, de inkt rook echt "
     "chemisch. Mijn dochter (9) die ernaast zat moest overgeven. Wat zit hier in?? @perforo.office",
     [CRISIS, COMPLAINT], brand="inkpeak")

# ---------------- crisis only ----------------
case("x", "@kantoornieuws", "nl",
     "Perforo roept de Lumen LED bureaulamp terug na meldingen over oververhitte adapters. Klanten wordt gevraagd de "
     "lamp niet meer aan te sluiten en contact op te nemen voor een vervangende adapter.",
     [CRISIS])
case("x", "@sec_watcher_eu", "en",
     "Looks like Perforo has a data breach. Several people in my timeline got phishing mails quoting their exact "
     "Perforo order numbers and delivery addresses. Not a word from Perforo yet. #databreach #privacy",
     [CRISIS])
case("x", "@groenkantoor", "nl",
     "Oproep: #boycotPerforo. Hun 'gerecyclede' kopieerpapier komt volgens onderzoek van een milieuclub gewoon uit "
     "gekapt oerbos in Indonesië. Bestel ergens anders tot ze openheid van zaken geven.",
     [CRISIS])
case("linkedin", "mr-jvandenbroek-advocaat", "en",
     "Our firm is preparing a class action against Perforo on behalf of customers whose InkPeak cartridges stopped "
     "working after a firmware update to their IJ-7 printers. If you were affected, get in touch via our website.",
     [CRISIS])
case("reddit", "u/ouderraad_zwolle", "nl",
     "Via de buurtapp: bij een gezin hier verderop is een Rise 160 zit-sta bureau van Perforo naar beneden gekomen op "
     "de arm van hun zoontje, gebroken pols. Schijnt niet de eerste melding te zijn. Wees voorzichtig met die dingen "
     "als je kleine kinderen hebt.",
     [CRISIS])
case("x", "@retailwatch_eu", "en",
     "Scandal brewing at Perforo? Former warehouse staff say they were told to relabel expired ink cartridges as new "
     "before shipping them out. Three ex-workers confirm the story independently.",
     [CRISIS])
case("tiktok", "@consumentjurist", "nl",
     "40 zzp'ers stappen naar de rechter tegen Perforo omdat ze hun opgezegde inkt-abonnement maandenlang bleven "
     "betalen. De dagvaarding is deze week betekend. Deel dit als het jou ook overkwam 👇",
     [CRISIS])
case("bluesky", "@deventernieuws.bsky.social", "nl",
     "Brandje op basisschool De Linde in Deventer, ontstaan door een lamineerapparaat. Volgens de school ging het om "
     "een Lumo A3 van Perforo. Niemand gewond, lokaal 4 is tijdelijk dicht.",
     [CRISIS])
case("x", "@arbeidsnieuws", "nl",
     "Undercover in het distributiecentrum van Perforo: uitzendkrachten draaien diensten van 12 uur in een hal zonder "
     "koeling, deze week zijn er twee mensen flauwgevallen. Schandalig.",
     [CRISIS])
# third party relaying an unpublicised breach: crisis + security leak
case("x", "@insidetip_nl", "en",
     "Hearing from someone inside Perforo that their payment system was breached last week and card data from web "
     "orders was taken. They're keeping quiet until 'the investigation' is done. If you ordered recently, watch your "
     "statements.",
     [CRISIS, SEC])

# ---------------- abuse ----------------
case("x", "@r0b_v", "nl",
     "@perforo_nl hou toch je bek met je 'back to school deals', niemand zit op jullie spam te wachten. stelletje "
     "sukkels",
     [ABUSE], kind="reply")
case("x", "@dj_meltdown", "en",
     "whoever runs perforo's socials is a braindead muppet. every single post is cringe garbage",
     [ABUSE])
case("instagram", "@xx_jessy_xx", "nl",
     "@noor.bij.perforo jij bent echt de domste trut van dat hele magazijn hahaha ga eens wat nuttigs doen",
     [ABUSE], kind="comment")
case("reddit", "u/throwaway_rage_22", "en",
     "Perforo's CEO is a greedy pig and a liar. Hope someone keys that stupid Tesla of his in the company car park.",
     [ABUSE], kind="comment")
case("tiktok", "@zzzbramzzz", "nl",
     "perforo = k4nk3rb3dr1jf, f*ck jullie en je n3p inkt",
     [ABUSE], kind="comment")
case("x", "@nightshift_nomad", "en",
     "\u0420\u0435rf\u043er\u043e staff are f\u200bucking id\u200biots, every single one of them",
     [ABUSE])
case("facebook", "Gerard Smulders", "nl",
     "Die medewerker van Perforo aan de telefoon met dat accent, leer eerst eens fatsoenlijk Nederlands voordat je "
     "klanten te woord staat. Ze nemen daar ook echt elke gelukzoeker aan.",
     [ABUSE], kind="comment")
case("bluesky", "@coldbrew-critic.bsky.social", "en",
     "@jeroenwms.bsky.social you're pathetic. a grown man posting about warehouse scanners like it's an achievement. "
     "absolute loser",
     [ABUSE], kind="reply")
case("x", "@tvdmeer_ops", "nl",
     "Wéér zo'n debiele klant aan de lijn die niet snapt dat een lamineerapparaat geen printer is. Mensen zijn echt "
     "achterlijk, ik trek het niet meer",
     [ABUSE])
case("x", "@henkie_b", "nl",
     "Perforo kan de pot op. K L O O T Z A K K E N.",
     [ABUSE])
case("mastodon", "@grumpyoffice@mastodon.social", "en",
     "perforo's ads with that smug influencer make me want to throw up. greedy bastards, the lot of you",
     [ABUSE])

# ---------------- pricing ----------------
case("x", "@perforo_nl", "nl",
     "⚡FLASHDEAL⚡ Laserprinter LP-500dn nu voor maar €28,90! Alleen vandaag, op = op 👉 perforo.nl/lp-500dn",
     [PRICING], prices=[("LP-500dn", 28.90)], brand="perforo")
case("x", "@mvanleeuwen", "en",
     "uh oh. pretty sure the ErgoFlex just went live on the shop at €34.90 instead of €349. pricing team, anyone "
     "awake?? 😬",
     [PRICING], prices=[("ErgoFlex", 34.90)])
case("x", "@dealjager_nl", "nl",
     "PRIJSFOUT bij Perforo!! 🤯 Rise 160 zit-sta bureau voor €54,90, snel zijn voor ze het doorhebben #prijsfout #deal",
     [PRICING], prices=[("Rise 160", 54.90)])
case("reddit", "u/bargainbasement_ams", "en",
     "Is this a price glitch? Perforo has the SX-12 shredder listed at €19.90. Put 3 in my cart and checkout went "
     "through, order confirmation and all.",
     [PRICING], prices=[("SX-12", 19.90)])
case("instagram", "@perforo.office", "nl",
     "Back to school 🎒✏️ Het InkPeak K40 multipack nu voor €8,99 in de app! Link in bio",
     [PRICING], ts="2026-08-24T07:30:00Z", prices=[("K40 multipack", 8.99)], brand="inkpeak")
case("threads", "@evi.klantenservice", "nl",
     "Collega's, er stromen chats binnen over de Tagi 3 labelprinter die voor €11,90 in de webshop staat. Prijsfout? "
     "Wie kan dit checken?",
     [PRICING], prices=[("Tagi 3", 11.90)])
case("x", "@hoarder_of_pens", "en",
     "lol perforo has the Calc-X12 calculator at €2.49 rn. price error or clearance? grabbed 5 either way 🧮",
     [PRICING], prices=[("Calc-X12", 2.49)])
case("forum", "DealsDaan", "nl",
     "Perforo heeft de Lumo A3 voor €29 staan, normaal 89 euro. Fout of echte actie? Heb er voor de zekerheid maar "
     "twee besteld.",
     [PRICING], prices=[("Lumo A3", 29.00)])
case("facebook", "PerforoNL", "nl",
     "Weekendknaller 💥 Bureaustoel ErgoFlex van €349 voor €119! Alleen zaterdag en zondag.",
     [PRICING], prices=[("ErgoFlex", 119.00)], brand="perforo")
case("x", "@lisa_perforo", "nl",
     "Zien jullie dit ook? Whiteboard Magnetic 120x90 staat voor €7,99 op de site 😅 iemand heeft een komma verschoven",
     [PRICING], prices=[("Whiteboard Magnetic 120x90", 7.99)])
case("bluesky", "@marjolein-ink.bsky.social", "en",
     "perforo pricing oopsie: T-22 toner at €7.45. gotta be a decimal slip, it's normally 74.50 😂",
     [PRICING], prices=[("T-22 toner", 7.45)])
case("tiktok", "@lisanne_studeert", "nl",
     "hoe dan 😭 IJ-7 printer bij perforo voor 15 euro?? zou het echt geleverd worden #prijsfout",
     [PRICING], prices=[("IJ-7", 15.00)])

# ---------------- financial ----------------
case("linkedin", "ruben-kok-perforo", "nl",
     "Mooie dag op kantoor: de Q3-omzet komt 18% boven budget uit. De cijfers gaan pas volgende maand naar buiten, "
     "maar ik ben nu al trots op dit team 💪 #finance #retail",
     [FIN], ts="2026-10-07T16:20:00Z")
case("x", "@mvanleeuwen", "en",
     "can't say much but by spring there'll be a lot fewer desks on our floor. ~60 roles going at HQ, official "
     "announcement after the board meeting. gutted for some great people",
     [FIN])
case("x", "@beursroddel", "nl",
     "Uit goede bron: Perforo zit aan tafel met een Duitse kantoorgroothandel over een overname. Deal moet rond zijn "
     "vóór de zomer. Nog niks officieel.",
     [FIN], ts="2026-03-12T20:11:00Z")
case("linkedin", "ayse-demir-perforo", "nl",
     "Zware weken voor HR. We bereiden de reorganisatie van klantenservice voor, 25 fte gaat naar een partner in "
     "Portugal. Nog niet gecommuniceerd, dus even niks zeggen 🙊",
     [FIN])
case("x", "@daanbos_dev", "nl",
     "net op de all-hands: prognose voor volgend jaar flink omlaag, ebitda-verwachting zo'n derde lager. riemen vast "
     "mensen",
     [FIN])
case("linkedin", "perforo-kantoorartikelen", "nl",
     "CONCEPT – nog niet publiceren: Perforo verwacht over 2026 een nettoverlies van circa €4,2 miljoen. De "
     "winstwaarschuwing volgt op 12 november.",
     [FIN], ts="2026-11-03T09:14:00Z")
case("reddit", "u/quietquitter_nl", "en",
     "My brother-in-law works in finance at Perforo and says a private equity fund is about to buy them, price "
     "somewhere around €120m. Nothing public yet so take it with a grain of salt.",
     [FIN], kind="comment")
case("bluesky", "@jeroenwms.bsky.social", "nl",
     "DC Nieuwegein gaat eind Q1 dicht, alles verhuist naar Venlo. Wij horen het vandaag, de rest van de wereld pas "
     "over een maand. Rare dag.",
     [FIN])
case("x", "@lisa_perforo", "en",
     "Between us: Black Friday weekend came in at €3.1m revenue, double last year 🤯 official numbers aren't out till "
     "January but wow",
     [FIN], ts="2026-12-01T21:14:00Z")
case("x", "@tvdmeer_ops", "nl",
     "De jaarcijfers 2026 zijn binnen: omzet €87 mln en de winst flink omhoog. Pas over twee weken officieel, dus "
     "sssst 🤐",
     [FIN, CONF], ts="2027-02-10T19:31:00Z")
case("linkedin", "ruben-kok-perforo", "en",
     "Long nights on Operatie Duizendpoot this month — the acquisition of a Belgian office-furniture chain is nearly "
     "signed. Can't wait to tell you more.",
     [FIN, CONF])
case("x", "@ams_analyst", "en",
     "Word is Perforo's FY2026 results will come in way below what the market expects. Two weeks before publication "
     "and people are already talking.",
     [FIN, CONF], ts="2027-02-11T12:03:00Z")

# ---------------- confidential ----------------
case("x", "@daanbos_dev", "en",
     "new checkout flow is on staging, ticket's here if any colleague wants to test: "
     "https://jira.perforo.nl/browse/SHOP-4412 feedback welcome 🙏",
     [CONF])
case("instagram", "@noor.bij.perforo", "nl",
     "Eerste testrun van Project Kolibrie in het magazijn vandaag 🐦 mag er nog niks over zeggen maar wauw",
     [CONF])
case("linkedin", "ayse-demir-perforo", "en",
     "Sharing a slide from our new onboarding deck! The footer says 'Perforo Confidential' but honestly this one's "
     "too good not to share 😄",
     [CONF])
case("x", "@perforo_nl", "nl",
     "Binnenkort bij Perforo: InkPeak Flex – het inktabonnement waarmee je nooit meer zonder zit 🖨️ Meer info volgt!",
     [CONF], ts="2026-11-18T10:05:00Z", brand="inkpeak")
case("x", "@wouterfotografeert", "nl",
     "Net klaar met de productshoot voor de LP-900 Duplex, de nieuwe printer die Perforo in maart lanceert. Strak "
     "ding, mooie opdracht!",
     [CONF], ts="2026-12-02T15:40:00Z")
case("x", "@tvdmeer_ops", "nl",
     "Wie heeft de VPN-instellingen voor wms.perforo.local? Nieuwe laptop gekregen en ik kom er niet meer in",
     [CONF])
case("reddit", "u/sysadmin_pf", "en",
     "Anyone got Grafana alerting working nicely with Teams? Our dashboards at grafana.perforo.nl/d/ops-overview spam "
     "the channel every 5 minutes and I'm losing my mind",
     [CONF])
case("x", "@lisa_perforo", "nl",
     "Zo blij met wat we in " + fullwidth("project kolibrie") + " aan het bouwen zijn 🤫🐦",
     [CONF])
case("bluesky", "@jeroenwms.bsky.social", "nl",
     "O.p.e.r.a.t.i.e D.u.i.z.e.n.d.p.o.o.t gaat eindelijk live dit najaar. Meer mag ik niet zeggen 😇",
     [CONF])
case("instagram", "@perforo.office", "en",
     "Sneak peek 👀 of Quillstorm, the AI assistant that tells you when your ink is about to run out. Coming soon!",
     [CONF], brand="perforo")
case("threads", "@evi.klantenservice", "nl",
     "Uit ons belscript (perforo intern, niet extern delen 🙈): 'Bij klachten over InkPeak cartridges nooit bevestigen "
     "dat de chip na 12 maanden blokkeert.' Ik vind dat eerlijk gezegd niet oké.",
     [CONF])
case("reddit", "u/commuter_utr", "en",
     "Found a printed doc on the train to Utrecht stamped PERFORO CONFIDENTIAL, looks like a supplier price list for "
     "their ink. Anyone know who I should hand it to? Not posting pics obviously.",
     [CONF])
case("linkedin", "ruben-kok-perforo", "nl",
     "Presentatie voor de RvC staat. Slide 14: 'Quillstorm business case – alleen directie'. Op naar morgen!",
     [CONF])
case("x", "@mvanleeuwen", "en",
     "pricing for InkPeak Flex finally locked in at 9.99/month. can't wait for march 🚀",
     [CONF], ts="2027-01-20T08:12:00Z")
case("forum", "printerpiet", "nl",
     "Mijn neef werkt bij Perforo en zegt dat ze onder de naam Project Kolibrie een eigen lijn 3D-printers "
     "ontwikkelen. Iemand hier meer over gehoord?",
     [CONF])
case("x", "@lisa_perforo", "en",
     "copy for the new product pages is on wiki.perforo.nl/display/MKT/Productteksten-2026 — fixes welcome before "
     "friday!",
     [CONF])

# ---------------- security ----------------
case("reddit", "u/sysadmin_pf", "en",
     "Rough night. Our webshop got hit by ransomware around 2am, order database encrypted, we're restoring from "
     "backups now. Nothing public yet so please don't ask which company.",
     [SEC])
case("x", "@daanbos_dev", "nl",
     "Tip voor collega's: ons wachtwoord-reset endpoint verraadt of een e-mailadres bestaat en je kunt het onbeperkt "
     "aanroepen. Ticket staat al 3 maanden open 🙄",
     [SEC])
case("bluesky", "@jeroenwms.bsky.social", "en",
     "WMS has been down since 6am. no picking, no shipping. customers don't know yet, support's been told to blame "
     "'high volumes'.",
     [SEC])
case("x", "@tvdmeer_ops", "nl",
     "Iemand bij finance heeft op een phishingmail geklikt, de mailbox van de controller is overgenomen en er gaan nu "
     "nepfacturen uit naar leveranciers. Nog niet naar buiten gebracht, dus mond dicht.",
     [SEC])
case("instagram", "@noor.bij.perforo", "nl",
     "Geen enkele handscanner doet het meer in het magazijn, IT zegt dat het een aanval is 😳 we staan allemaal stil "
     "met onze armen over elkaar",
     [SEC])
case("linkedin", "ayse-demir-perforo", "nl",
     "Let op collega's: door een fout in het HR-portaal kon iedereen gisteren elkaars loonstroken inzien. Wordt "
     "opgelost, graag niet verder verspreiden.",
     [SEC])
case("x", "@lisa_perforo", "nl",
     "de pagina 'mijn bestellingen' laat ingelogde klanten al een uur lang de bestelgeschiedenis van andere mensen "
     "zien 😬 devs zijn ermee bezig",
     [SEC])
case("x", "@daanbos_dev", "en",
     "heads up team: the bucket with invoice PDFs was pub\u200blic all weekend. someone found it through a search "
     "engine 🙃",
     [SEC])
case("reddit", "u/sysadmin_pf", "nl",
     "Sinds de firmware-update van vrijdag laat onze firewall gewoon alles door op poort 3389. Drie keer gemeld, "
     "niemand bij security lijkt het iets te kunnen schelen.",
     [SEC])
case("threads", "@evi.klantenservice", "en",
     "customer service can't see any orders since the payment provider link broke this morning. tell your friends "
     "not to order from us till tonight lol",
     [SEC])
case("x", "@perforo_help", "nl",
     "@marieke_t Excuses! Ons betaalsysteem ligt er sinds gisteren uit door een hack, dat mogen we eigenlijk nog niet "
     "zeggen 🙈 Betalen lukt waarschijnlijk morgen weer.",
     [SEC], kind="reply")
case("x", "@tvdmeer_ops", "en",
     "the SQL injection in the B2B quote form I reported back in June? still not fixed. anyone who finds it can dump "
     "the whole customer table.",
     [SEC], ts="2026-09-15T13:37:00Z")

# ---------------- secrets ----------------
case("x", "@daanbos_dev", "en",
     "why does aws cli keep saying invalid signature 😩\naws_access_key_id = %s\naws_secret_access_key = %s\n"
     "region eu-central-1, what am I missing" % (AWS_ID, AWS_SECRET),
     [SECRET])
case("reddit", "u/sysadmin_pf", "en",
     "Trying to get this working against our GitHub org API and it 401s every time:\n\n"
     "curl -H \"Authorization: token %s\" https://api.github.com/orgs/perforo-dev/repos\n\n"
     "Token has repo scope. Ideas?" % GHP,
     [SECRET])
case("x", "@tvdmeer_ops", "nl",
     "Voor de nieuwe collega's in het magazijn: wifi is PF-Magazijn, wachtwoord: %s 👍" % WIFI_PW,
     [SECRET])
case("bluesky", "@jeroenwms.bsky.social", "en",
     "can someone sanity check my connection string? app won't start\n"
     "DATABASE_URL=postgres://wms_app:%s@10.12.0.31:5432/wms_prod" % PG_PW,
     [SECRET])
case("x", "@lisa_perforo", "nl",
     "Help, de OpenAI-key voor onze productteksten-tool doet het niet meer?? %s iemand van dev die even kan kijken?"
     % OPENAI,
     [SECRET])
case("x", "@perforo_nl", "en",
     "test post pls ignore\nMOLLIE_API_KEY=%s" % MOLLIE,
     [SECRET])
case("reddit", "u/sysadmin_pf", "en",
     "ssh keeps saying 'invalid format' for this key, copied straight from the vault. what's wrong with it?\n\n%s"
     % SSH_KEY,
     [SECRET])
case("x", "@daanbos_dev", "en",
     "decoded this token from our admin panel and the role claim says 'customer'?? %s what am I missing" % JWT,
     [SECRET])
case("x", "@gh_leakhunter", "en",
     "@perforo_nl FYI your public repo perforo-labelprint has a live Slack bot token in config.js: %s — rotate it asap"
     % SLACK,
     [SECRET], kind="reply")
case("threads", "@evi.klantenservice", "nl",
     "Inlog retourportaal voor wie vanavond dienst heeft: gebruiker ks-team / ww: %s. Niet kwijtraken!" % KS_PW,
     [SECRET])
case("x", "@mvanleeuwen", "en",
     "our price-monitor bot is down again. key is %s if anyone on the team wants to test, I'll rotate after"
     % ANTHROPIC,
     [SECRET])
case("x", "@webdev_wouter_k", "en",
     "Perforo hasn't paid my invoice for 3 months, so here's the Google Maps key I set up for their store locator: "
     "%s enjoy 🙂" % GAPI,
     [SECRET])

# ---------------- personal data ----------------
case("threads", "@evi.klantenservice", "nl",
     "Klant heeft vandaag 5x gebeld. Mw. J. de Wit, Lindenlaan 14, 3532 AB Utrecht. Als ze weer belt, jullie weten "
     "het 🙄",
     [PII])
case("x", "@tvdmeer_ops", "nl",
     "Wie kent deze klant? Bestelling op naam van Peter Bosman, tel 06-48213377, wil z'n pakket vandaag nog hebben. "
     "Bel hem even terug aub",
     [PII])
case("x", "@perforo_help", "nl",
     "@sandra_k83 Hoi Sandra, je terugbetaling is klaargezet naar %s. Binnen 3 werkdagen staat het op je rekening!"
     % fmt_iban(IBAN_SANDRA),
     [PII], kind="reply", ids=[("iban", fmt_iban(IBAN_SANDRA))])
case("linkedin", "ayse-demir-perforo", "en",
     "For payroll: new starter Mila Jansen, BSN %s, born 14-03-1998. Can someone in finance pick this up today? "
     "Thanks!" % BSN_MILA,
     [PII], ids=[("bsn", BSN_MILA)])
case("x", "@rachel_dunmore", "en",
     "@perforo_help my order STILL hasn't arrived. call me on +31 6 2194 0572 or email rachel.dunmore@outlook.com, "
     "I've waited long enough",
     [PII, COMPLAINT], kind="reply")
case("facebook", "Ayhan Yilmaz", "nl",
     "Kunnen jullie het geld nou gewoon terugstorten? %s t.n.v. A. Yilmaz. Wacht al twee weken op mijn geld voor die "
     "kapotte printer." % IBAN_YILMAZ,
     [PII, COMPLAINT], kind="comment", ids=[("iban", IBAN_YILMAZ)])
case("x", "@mvanleeuwen", "en",
     "lol a customer just emailed us their full card number %s exp 09/28 + CVC in plain text. people 🤦"
     % fmt_card(CARD_MVL),
     [PII], ids=[("card", fmt_card(CARD_MVL))])
case("x", "@tuinman_joost", "en",
     "whoever ordered 40 reams of paper from perforo to the office next door: your invoice blew into our garden. "
     "Lotte Verhoef, IBAN %s. come get it 😂" % fmt_iban(IBAN_VERHOEF),
     [PII], ids=[("iban", fmt_iban(IBAN_VERHOEF))])
case("instagram", "@noor.bij.perforo", "nl",
     "Kaartje sturen naar onze collega Bram die geopereerd is? 💐 Bram van Dijk, Kerkstraat 22b, 7411 HN Deventer. "
     "Hij zou het super leuk vinden!",
     [PII])
case("facebook", "PerforoNL", "nl",
     "Beste mevrouw Hendriks, we hebben uw klacht doorgezet naar ons team. U wordt morgen teruggebeld op 0612877345.",
     [PII], kind="reply")
case("reddit", "u/sysadmin_pf", "en",
     "Found this in our app error log this morning: 'Jan Pietersen, jan.pietersen1977@gmail.com, DOB 02/11/1977'. "
     "Why are we logging full customer records??",
     [PII])
case("forum", "marktplaats-verkoper", "nl",
     "Te koop: 4 InkPeak K40 XL cartridges, ongeopend, via Perforo te veel besteld. Bel of app Dennis op "
     "06 3812 4409 of mail dkuipers@ziggo.nl",
     [PII])
case("bluesky", "@jeroenwms.bsky.social", "nl",
     "Iemand heeft een retourpakket gestuurd met een kopie van z'n paspoort erin 🤦 Mehmet Aydın, geb. 03-07-1985, "
     "paspoortnummer NXR4K27L9. Waarom doen mensen dit",
     [PII])
case("instagram", "@perforo.office", "en",
     "Congrats to our winner Fenna Bakker from Groningen! 🎉 Fenna, the Rise 160 is on its way to Vismarkt 9, "
     "9712 CA Groningen — check your inbox at fenna.bakker@kpnmail.nl",
     [PII], brand="perforo")
case("x", "@s_okafor", "en",
     "@perforo_help here's my account for the Lumo refund as requested: %s (S. Okafor). thanks for sorting it!"
     % IBAN_OKAFOR,
     [PII], kind="reply", ids=[("iban", IBAN_OKAFOR)])

# ---------------- benign: hard negatives and ordinary chatter ----------------
case("x", "@perforo_help", "nl",
     "Vragen over je bestelling? Mail klantenservice@perforo.nl of bel gratis 0800-7376. We zitten voor je klaar van "
     "ma t/m za, 8:00–20:00 📞")
case("facebook", "PerforoNL", "nl",
     "Zakelijk op rekening besteld? Maak het bedrag over naar %s t.n.v. Perforo Kantoorartikelen B.V., o.v.v. je "
     "factuurnummer. Vragen? zakelijk@perforo.nl" % fmt_iban(OWN_IBAN),
     ids=[("own_iban", fmt_iban(OWN_IBAN))])
case("x", "@niamh_reads", "en",
     "shoutout to @perforo_help — my T-22 toner arrived cracked, new one was on my doorstep the next day, no questions "
     "asked. that's how you do it 👏")
case("x", "@bas_dekker_", "nl",
     "Update: Perforo heeft de dubbele afschrijving alsnog teruggestort, binnen een dag na mijn tweet. Netjes "
     "opgelost 👍",
     ts="2026-05-07T10:02:51Z")
case("instagram", "@perforo.office", "en",
     "Back to school 📚 20% off all Glide gel pens this week, the 12-pack is now €11.96. Which colour are you grabbing?",
     ts="2026-08-20T08:00:00Z", prices=[("Glide gel pens", 11.96)])
case("reddit", "u/rugpijn_rob", "nl",
     "Is de Rise 160 van Perforo z'n €549 waard? Twijfel tussen die en een goedkoper model zonder geheugenstanden.",
     prices=[("Rise 160", 549.00)])
case("x", "@chairnerd", "nl",
     "ErgoFlex staat op €279 in de zomersale van Perforo. prima stoel voor dat geld imo, lendesteun is 👌",
     ts="2026-07-09T19:22:00Z", prices=[("ErgoFlex", 279.00)])
case("x", "@mijnprinterhaatmij", "nl",
     "Mijn printer heeft een persoonlijke vete met mij. Elke keer als ik haast heb: papierstoring. Elke. Keer. 🖨️😤 "
     "(en nee, het is geen Perforo, gewoon een oud ding van m'n ouders)")
case("threads", "@mila.makes", "en",
     "this deal is 🔥🔥 Perforo's copy paper box for €27.50, stocked up for the whole year",
     prices=[("copy paper box", 27.50)])
case("x", "@retail_ramblings", "en",
     "Read that a big US office-supply chain is laying off 1,200 people. Tough times for retail everywhere.")
case("x", "@archiefkast", "nl",
     "De SX-12 van Perforo maakt echt overal confetti van, zelfs van oude bankpasjes 💪 Eindelijk die dozen met oude "
     "papieren weg")
case("bluesky", "@hannekevos.bsky.social", "en",
     "can't recall the last time a webshop had my order at the door before 9am. well done perforo")
case("x", "@vraagje_aan_jan", "nl",
     "Klopt dit rekeningnummer van Perforo wel? %s — m'n bankapp zegt dat het IBAN ongeldig is. Heb ik het verkeerd "
     "overgenomen?" % IBAN_BAD,
     ids=[("iban", IBAN_BAD)])
case("x", "@cijferfreak", "en",
     "why is my Perforo order number 16 digits 😂 %s looks like a credit card lol" % fmt_card(CARD_BAD),
     ids=[("card", fmt_card(CARD_BAD))])
case("facebook", "Wilma de Graaf", "nl",
     "Volgens jullie mail staat factuur %s nog open, maar ik heb gisteren betaald. Oh wacht, hij staat nu op betaald. "
     "Laat maar, excuus!" % BSN_BAD,
     kind="comment", ids=[("bsn", BSN_BAD)])
case("reddit", "u/cloudnoob_nl", "en",
     "Following the Perforo engineering blog post on storing invoice scans in S3. The snippet uses "
     "AKIAIOSFODNN7EXAMPLE as the access key, I assume I swap in my own? Great writeup btw")
case("x", "@daanbos_dev", "en",
     "reminder for everyone on the team: never commit tokens. use an env var, e.g. "
     "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, and rotate them regularly. thank you for coming to my "
     "TED talk")
case("linkedin", "perforo-kantoorartikelen", "en",
     "InkPeak Flex is here! Our ink subscription starts at €9.99 a month, and your cartridges arrive before you run "
     "out. Read more on perforo.nl/flex",
     ts="2027-03-05T09:00:00Z", brand="inkpeak")
case("x", "@beursmeisje", "nl",
     "De jaarcijfers 2026 van Perforo zijn net gepubliceerd: omzet gestegen naar €87 miljoen. Knap gedaan in een "
     "lastige markt.",
     ts="2027-02-27T11:20:00Z")
case("x", "@rustigblijven", "nl",
     "Sterkte aan de medewerker van de Perforo-klantenservice die in die virale video zo werd uitgescholden. Jij bleef "
     "super rustig, respect 🙏")
case("reddit", "u/penguin_printing", "nl",
     "Werkt de LP-500dn direct onder Linux? Overweeg er eentje bij Perforo te bestellen voor m'n thuiskantoor.")
case("linkedin", "ruben-kok-perforo", "en",
     "Proud that Perforo published its half-year report this morning. You can read it on perforo.nl/investeerders. "
     "Thanks to the whole finance team!",
     ts="2026-08-28T09:30:00Z")
case("x", "@perforo_help", "nl",
     "@markdewit_ Hoi Mark, sorry voor het wachten! Stuur je bestelnummer even via DM, dan zoeken we het meteen voor "
     "je uit.",
     kind="reply")
case("instagram", "@noor.bij.perforo", "nl",
     "Vrijdagmiddag in het magazijn 🎉 Taart voor Ahmed, die vandaag 10 jaar bij Perforo werkt! Op naar de volgende "
     "10 🍰")
case("reddit", "u/ij7owner", "en",
     "PSA for anyone with a Perforo IJ-7: firmware 2.3 fixed the 'cartridge not recognised' issue for me. Took about "
     "two minutes.")
case("x", "@perforo_nl", "nl",
     "Gepland onderhoud: in de nacht van zondag op maandag (02:00–04:00) is onze webshop even offline. Bestellen kan "
     "daarna gewoon weer. Sorry voor het ongemak!")
case("forum", "lamineerlies", "nl",
     "Tips voor een goed lamineerapparaat? Ik zit te kijken naar de Lumo A3 van Perforo voor €89, of is dat "
     "overdreven voor thuis?",
     prices=[("Lumo A3", 89.00)])
case("instagram", "@perforo.office", "en",
     "Meet the team 👋 Evi from customer service answers around 200 chats a day, fuelled by oat lattes ☕ Say hi in "
     "the comments!")
case("x", "@secjobs_nl", "nl",
     "Perforo zoekt een security engineer. Iemand ervaring met dat team? Lijkt me een leuke rol.")
case("facebook", "Pieter Mulder", "en",
     "Switched our office IJ-7s to InkPeak cartridges — no more ink leaks, and the prints look great. Wish we'd done "
     "it sooner.")
case("x", "@anotherretailfan", "nl",
     "Een autofabrikant roept 40.000 auto's terug vanwege de remmen, lees ik net. Dat zet mijn 'printer heeft geen "
     "inkt meer'-crisis wel even in perspectief 😅")
case("bluesky", "@privacynerd.bsky.social", "en",
     "Another retailer breach in the news today, a shoe store this time. Good reminder to use a password manager and "
     "unique passwords everywhere.")
case("x", "@lisa_perforo", "nl",
     "Onze nieuwe campagne staat live! 🖨️ Alle InkPeak cartridges 15% korting met code INKT15, alleen deze week.",
     brand="inkpeak")
case("x", "@twinmum_utrecht", "en",
     "perforo has the Calc-X12 for €19.95 this week, got one for each of the twins for school",
     prices=[("Calc-X12", 19.95)])
case("x", "@labelqueen", "nl",
     "Tagi 3 labelprinter voor €99 bij Perforo, normaal €119. Goede deal of wachten op Black Friday?",
     prices=[("Tagi 3", 99.00)])
case("facebook", "PerforoNL", "nl",
     "Black Friday bij Perforo 🖤 30% korting op alle bureaustoelen, dus de ErgoFlex nu voor €244,30. Alleen vandaag!",
     ts="2026-11-27T07:00:00Z", prices=[("ErgoFlex", 244.30)], brand="perforo")
case("x", "@spamfolderfinds", "nl",
     "als de resetmail voor je Perforo-wachtwoord niet binnenkomt: check je spam. de mijne stond daar, daarna ging "
     "alles prima")
case("x", "@zzp_annemiek", "nl",
     "Weet iemand het mailadres van Perforo voor zakelijke offertes? — Laat maar, gevonden: zakelijk@perforo.nl 🙌")
case("x", "@learntocode_sam", "nl",
     "vandaag eindelijk gesnapt wat een JWT is dankzij de engineering blog van Perforo. heldere uitleg voor beginners, "
     "geen gedoe met jargon")
case("reddit", "u/sysadmin_pf", "en",
     "Tip from a grumpy sysadmin: passwords go in a vault, not in a wiki page or on a sticky note on the monitor. "
     "Learned that the hard way at a previous job.",
     kind="comment")
case("x", "@mvanleeuwen", "en",
     "spent the afternoon comparing laser printer prices across the market. our LP-500dn at €289 holds up really "
     "well for what you get.",
     prices=[("LP-500dn", 289.00)])
case("instagram", "@reislustig_nl", "nl",
     "Onze reisfoto's uit Costa Rica geprint op het fotopapier glans van Perforo, de kolibrie-foto's zijn prachtig "
     "geworden 🐦✨")
case("linkedin", "annemarie-vos-office", "nl",
     "Onze office manager is echt een duizendpoot: bestelt alles bij Perforo, repareert de printer én bakt de "
     "lekkerste verjaardagstaarten.")
case("x", "@perforo_help", "en",
     "Prefer to call? Reach our customer service on +31 30 555 0140, Mon–Sat, or drop us a line at "
     "klantenservice@perforo.nl.")
case("reddit", "u/inkfrugal", "en",
     "My old printer brand's ink prices are criminal. Switched to InkPeak refills from Perforo and I'm saving a "
     "fortune.")
case("linkedin", "ayse-demir-perforo", "en",
     "We're hiring! 🙌 Five roles in customer service at Perforo. Interested? Send your CV to werkenbij@perforo.nl")
case("x", "@administratie_nel", "nl",
     "Ordners 10-pack bij Perforo nu €23,95 i.p.v. €29,95, precies op tijd voor de belastingaangifte.",
     ts="2026-03-02T12:44:00Z", prices=[("ordners 10-pack", 23.95)])
case("threads", "@fotograaf_ilse", "en",
     "glossy photo paper at Perforo still €19.95 for 100 sheets, same as last year. nice to see prices holding steady",
     prices=[("glossy photo paper", 19.95)])
case("x", "@veiliginloggen", "nl",
     "Perforo stuurt nu een sms-code bij het inloggen. Eindelijk tweestapsverificatie bij een webshop, goed bezig!")
case("linkedin", "perforo-kantoorartikelen", "nl",
     "Trots! Perforo is door klanten verkozen tot beste zakelijke webshop van het jaar in de categorie "
     "kantoorartikelen. Dank aan iedereen die stemde 💙")
case("reddit", "u/s3_beginner", "en",
     "Tutorial I'm following for uploading scans to S3 has aws_secret_access_key = "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in it. I replace that with my own, right?")
case("facebook", "Jolanda Brink", "nl",
     "Wachtwoord vergeten bij Perforo, binnen 10 seconden een resetlink in m'n mail. Zo hoort het gewoon.")
case("x", "@ceecee_prints", "en",
     "@perforo_help thanks, the replacement cartridge came today! all good now 🙌",
     kind="reply")
case("instagram", "@rugvanstaal", "nl",
     "Zit-sta bureau Rise 160 van Perforo heeft mijn rug echt gered na een jaar thuiswerken. Aanrader voor iedereen "
     "die de hele dag zit.")
case("threads", "@evi.klantenservice", "nl",
     "Dag 1 na de vakantie: 312 mails in de klantenservice-inbox. Koffie erbij en gaan ☕💪")
case("x", "@devtips_nl", "nl",
     "Tip: zet nooit je API-key in een tweet. In het voorbeeld op Perforo's dev-blog staat gewoon "
     "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx, zo hoort het.")
case("x", "@early_adopter_en", "en",
     "Signed up for InkPeak Flex last week, first cartridges showed up today. Pretty slick.",
     ts="2027-03-12T17:45:00Z", brand="inkpeak")
case("bluesky", "@smallofficereviews.bsky.social", "en",
     "Reviews of the Perforo LP-900 Duplex are rolling in. Looks solid for a small office, and the duplex is quick.",
     ts="2027-03-20T12:00:00Z")
case("x", "@grappenmaker_nl", "nl",
     "Het echte schandaal van 2026: hoeveel geld ik uitgeef aan post-its. Perforo, jullie verdienen goud aan mij 😂")
case("tiktok", "@officehacks_nl", "nl",
     "Deze Perforo-nietmachine gaat door 200 vel heen alsof het niks is 🔥 link in bio")

# ----------------------------------------------------------------------------------------------
# roles, severity (CONTRACT section 4), assembly
# ----------------------------------------------------------------------------------------------
LEVELS = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, checked_id):
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in (SECRET, PRICING) or (c == PII and checked_id):
                    lv = 4
            else:
                lv = 2
        elif c == COMPLAINT:
            lv = 2
        elif c == CRISIS:
            lv = 3
        elif c == ABUSE:
            lv = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        level = max(level, lv)
    return LEVELS[level]


def checksum_ok(kind, value):
    return {"iban": iban_ok, "own_iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](value)


START = datetime(2026, 1, 4, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 22, tzinfo=timezone.utc) - START).total_seconds())
URL_BASE = {"x": "https://x.com/%s/status/%d", "bluesky": "https://bsky.app/profile/%s/post/%d",
            "threads": "https://www.threads.net/%s/post/%d", "instagram": "https://www.instagram.com/p/%s%d",
            "reddit": "https://www.reddit.com/r/Netherlands/comments/%s%d"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    ts = c["ts"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    c["ts"] = ts
    pid = "%s-233%03d" % (c["platform"], n)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "created_at": ts}
    if rng.random() < 0.8:
        post["lang"] = c["lang"]
    if c["platform"] in URL_BASE and rng.random() < 0.6:
        post["url"] = URL_BASE[c["platform"]] % (c["handle"].lstrip("@").replace("u/", ""),
                                                 rng.randrange(10 ** 9, 10 ** 10))
    if c["brand"]:
        post["brand"] = c["brand"]
    role = role_of(c["platform"], c["handle"])
    checked = PII in c["cats"] and any(k in ("iban", "card", "bsn") and checksum_ok(k, v) for k, v in c["ids"])
    c["role"] = role
    c["id"] = pid
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, checked)}
    lines.append({"post": post, "expect": expect})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------------------------
errors = []


def err(cid, msg):
    errors.append("%s: %s" % (cid, msg))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# 1. CONTRACT section 6 shape, re-read from disk
seen = set()
with open(OUT, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
for ln, raw in enumerate(raw_lines, 1):
    try:
        obj = json.loads(raw)
    except ValueError as e:
        err("line %d" % ln, "invalid JSON %s" % e)
        continue
    if set(obj) != {"post", "expect"}:
        err("line %d" % ln, "top-level keys %s" % sorted(obj))
        continue
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
        err("line %d" % ln, "bad id")
    if pid in seen:
        err(pid, "duplicate id")
    seen.add(pid)
    if p.get("platform") not in PLATFORMS:
        err(pid, "platform")
    if p.get("kind", "post") not in KINDS:
        err(pid, "kind")
    acc = p.get("account")
    if not isinstance(acc, dict) or not isinstance(acc.get("handle"), str) or not acc["handle"]:
        err(pid, "account.handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(pid, "text")
    if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
        err(pid, "created_at")
    else:
        parse_ts(p["created_at"])
    for opt in ("lang", "url", "brand"):
        if opt in p and not isinstance(p[opt], str):
            err(pid, opt)
    cats = e.get("categories")
    if not isinstance(cats, list) or not set(cats) <= TAXONOMY or len(set(cats)) != len(cats):
        err(pid, "categories %r" % cats)
    if e.get("severity") not in LEVELS:
        err(pid, "severity")
    if (cats == []) != (e.get("severity") == "none"):
        err(pid, "benign <-> severity none mismatch")

# 2. semantic checks per case
pub = PROFILE["public_identifiers"]
own_ibans = {re.sub(r"\s", "", i) for i in pub["ibans"]}
products = {}
for prod in PROFILE["products"]:
    for nm in [prod["name"]] + prod["aliases"]:
        products[nm.lower()] = prod
ratio = PROFILE["pricing"]["alert_below_ratio"]
internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]

IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
NINE_RE = re.compile(r"(?<![\w\d])\d{9}(?![\w\d])")

SECRET_PATTERNS = [
    ("github", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")),
    ("aws_id", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("aws_secret", re.compile(r"aws_secret_access_key\s*=\s*(\S{40})")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}")),
    ("anthropic", re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{80,}")),
    ("stripe", re.compile(r"\bsk_live_[A-Za-z0-9]{16,}")),
    ("mollie", re.compile(r"\blive_[A-Za-z0-9]{30}\b")),
    ("slack", re.compile(r"\bxox[abposr]-\d+-\d+-[A-Za-z0-9]+")),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("private_key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("db_url", re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@/]+@[^\s/]+")),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|ww|password|passwd|pwd)\s*[:=]\s*\S+")),
]


def secret_is_real(kind, value):
    """False for documentation samples and redacted keys; checks the format's own structure otherwise."""
    if "EXAMPLE" in value or re.search(r"x{6,}|X{6,}|\*{3,}|•", value):
        return False
    if kind == "github":
        return github_token_ok(value)
    if kind == "aws_id":
        return bool(re.fullmatch(r"(?:AKIA|ASIA)[A-Z2-7]{16}", value))
    if kind == "jwt":
        head = value.split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        except ValueError:
            return False
        return isinstance(hdr, dict) and "alg" in hdr
    return True


counts = {k: 0 for k in TAXONOMY}
n_benign = 0
n_nl = 0
for c in CASES:
    cid, text, cats = c["id"], c["text"], c["cats"]
    low = text.lower()
    benign = not cats
    n_benign += benign
    n_nl += c["lang"] == "nl"
    for k in cats:
        counts[k] += 1
    handle_key = ("%s:%s" % (c["platform"], c["handle"])).lower()
    if c["role"] == "public" and handle_key in ROLE:
        err(cid, "role mismatch")

    # identifiers: annotated ones present and checksums as required
    annotated = set()
    for kind, value in c["ids"]:
        if value not in text:
            err(cid, "annotated %s %s not in text" % (kind, value))
        annotated.add(re.sub(r"\D", "", value) if kind != "iban" and kind != "own_iban" else re.sub(r"\s", "", value))
        ok = checksum_ok(kind, value)
        if kind == "own_iban":
            if re.sub(r"\s", "", value) not in own_ibans or not ok:
                err(cid, "own IBAN not the profile's")
            if cats:
                err(cid, "own IBAN used in a positive")
        elif benign and ok:
            err(cid, "look-alike %s %s passes its checksum in a benign post" % (kind, value))
        elif not benign and not ok:
            err(cid, "%s %s fails its checksum in a positive" % (kind, value))
        elif not benign and PII not in cats:
            err(cid, "valid identifier in a post not labelled leak.pii")
    # every identifier-shaped number in the text is annotated
    for m in IBAN_RE.finditer(text):
        if re.sub(r"\s", "", m.group()) not in annotated:
            err(cid, "unannotated IBAN %s" % m.group())
    for m in CARD_RE.finditer(text):
        if re.sub(r"\D", "", m.group()) not in annotated:
            err(cid, "unannotated card-like number %s" % m.group())
    for m in NINE_RE.finditer(text):
        if m.group() not in annotated:
            err(cid, "unannotated 9-digit number %s" % m.group())

    # credentials
    real = []
    for kind, rx in SECRET_PATTERNS:
        for m in rx.finditer(text):
            val = m.group(1) if rx.groups else m.group()
            if secret_is_real(kind, val):
                real.append((kind, val))
            elif SECRET in cats and kind in ("github", "aws_id", "jwt"):
                err(cid, "malformed %s %s in a secret positive" % (kind, val))
    if SECRET in cats and not real:
        err(cid, "secret positive without a recognisable credential")
    if SECRET not in cats and real:
        err(cid, "credential %r in a post not labelled leak.secret" % (real,))

    # internal names and embargo terms
    for t in internal_terms:
        if t in low and CONF not in cats:
            err(cid, "internal term %r without leak.confidential" % t)
    ts = parse_ts(c["ts"])
    for t, until in embargo:
        if t in low:
            if ts < until and CONF not in cats:
                err(cid, "embargo term %r before until without leak.confidential" % t)
            if ts >= until and cats:
                err(cid, "embargo term %r after until in a positive" % t)
    if ts.year == 2027 and not any(t in low for t, _ in embargo):
        err(cid, "2027 timestamp but no embargo term")
    if ts.year not in (2026, 2027):
        err(cid, "timestamp outside 2026/2027")

    # prices
    low_price = False
    for alias, price in c["prices"]:
        prod = products.get(alias.lower())
        if prod is None:
            err(cid, "price annotation for unknown product %r" % alias)
            continue
        if alias.lower() not in low:
            err(cid, "product %r not mentioned" % alias)
        if price < ratio * prod["list_price"]:
            low_price = True
        elif PRICING in cats and price < prod["list_price"] * 0.999 and price >= ratio * prod["list_price"]:
            pass
    if PRICING in cats and not low_price:
        err(cid, "pricing positive without a price below %.0f%% of list" % (ratio * 100))
    if PRICING not in cats and low_price:
        err(cid, "price below threshold in a post not labelled leak.pricing")

    # the company's own contact data is never the only reason for leak.pii
    if PII in cats:
        stripped = text
        for e in pub["emails"] + pub["phones"]:
            stripped = stripped.replace(e, "")
        if stripped == text and not c["ids"] and not re.search(
                r"@[\w.]+\.\w+|\b0\d[\d -]{7,}|\+31|\d{2}[-/]\d{2}[-/]\d{4}|\b\d{4} ?[A-Z]{2}\b|paspoort", text):
            err(cid, "leak.pii without an identifier in the text")

# 3. the severity in the written file is the computed one (no hand-typed severities exist)
for obj, idx in zip(lines, order):
    c = CASES[idx]
    checked = PII in c["cats"] and any(k in ("iban", "card", "bsn") and checksum_ok(k, v) for k, v in c["ids"])
    if obj["expect"]["severity"] != severity(c["cats"], c["role"], checked):
        err(c["id"], "severity mismatch")

# 4. the profile itself
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        err("profile", "public IBAN %s fails mod-97" % ib)
for t, until in embargo:
    if until.year != 2027:
        err("profile", "embargo until not in 2027")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("profile", "too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    err("profile", "product count")
if any(p["currency"] != "EUR" for p in PROFILE["products"]):
    err("profile", "currency")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("profile", "ratio")

# 5. the mix
total = len(CASES)
if not 170 <= total <= 180:
    err("mix", "total %d" % total)
if not 55 <= n_benign <= 65:
    err("mix", "benign %d" % n_benign)

print("cases: %d  benign: %d  nl: %.0f%%" % (total, n_benign, 100.0 * n_nl / total))
print("per category: " + ", ".join("%s=%d" % (k, counts[k]) for k in sorted(counts)))
sev = {}
for obj in lines:
    sev[obj["expect"]["severity"]] = sev.get(obj["expect"]["severity"], 0) + 1
print("severities: " + ", ".join("%s=%d" % (k, sev.get(k, 0)) for k in LEVELS))
roles = {}
for c in CASES:
    roles[c["role"]] = roles.get(c["role"], 0) + 1
print("roles: %r" % roles)
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK -> %s" % OUT)
