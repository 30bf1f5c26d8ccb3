#!/usr/bin/env python3
"""Evaluation set sealed394 for postwatch: Tolvanger Speelsystemen B.V. (playground equipment).

Deterministic: all random material (tokens, keys, IBANs, cards, BSNs, phone numbers, dates)
comes from random.Random(SEED). The post texts are hand-written; placeholders written as
«NAME» are filled with freshly generated values. Writes cases.jsonl beside this file and
checks it (identifier checksums, secret formats, CONTRACT §6 shape, §4 severities derived
from the account role in profile.yaml, counts and mix). Exits non-zero on any failure.
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

SEED = 394
HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_complete(prefix_digits):
    for last in range(10):
        if luhn_valid(prefix_digits + str(last)):
            return prefix_digits + str(last)
    raise AssertionError


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# --------------------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_ghp():
    body = rnd(ALNUM, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_aws_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rnd(ALNUM + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rnd(ALNUM, 96)


def gen_slack():
    return "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13), rnd(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rnd(URLSAFE, 64) + "T3BlbkFJ" + rnd(URLSAFE, 64)


def gen_google():
    return "AIzaSy" + rnd(URLSAFE, 33)


def gen_mollie():
    return "live_" + rnd(ALNUM, 30)


def gen_gitlab():
    return "glpat-" + rnd(URLSAFE, 20)


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(0, 30_000_000)
    payload = {"sub": "usr_%d" % rng.randrange(10000, 99999), "name": "Inge Post",
               "role": "projectleider", "iat": iat, "exp": iat + 28800}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def gen_eckey():
    der = (bytes.fromhex("30770201010420") + bytes(rng.randrange(256) for _ in range(32))
           + bytes.fromhex("a00a06082a8648ce3d030107a144034200") + b"\x04"
           + bytes(rng.randrange(256) for _ in range(64)))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"


def gen_pgpw():
    return rnd(ALNUM, 18)


def gen_ww():
    word = rng.choice(["Kabelbaan", "Schommel", "Zandbak", "Wipkip", "Glijbaan"])
    return "%s%s%d%s" % (word, rng.choice("#!$@"), rng.randrange(10, 99), rng.choice("!?*"))


BANKS = ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def _iban_raw():
    return iban_make("NL", rng.choice(BANKS) + rnd(string.digits, 10))


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban():
    return fmt_iban(_iban_raw())


def gen_iban_compact():
    return _iban_raw()


def gen_iban_bad():
    good = _iban_raw()
    while True:
        cd = "%02d" % rng.randrange(2, 99)
        bad = good[:2] + cd + good[4:]
        if not iban_valid(bad):
            return fmt_iban(bad)


def _card(prefix, length):
    body = prefix + rnd(string.digits, length - len(prefix) - 1)
    return luhn_complete(body)


def gen_card():
    c = _card("4", 16)
    return " ".join(c[i:i + 4] for i in range(0, 16, 4))


def gen_card_mc():
    c = _card(rng.choice(["51", "52", "53", "54", "55"]), 16)
    return "-".join(c[i:i + 4] for i in range(0, 16, 4))


def _luhn_bad(prefix, length):
    while True:
        c = prefix + rnd(string.digits, length - len(prefix))
        if not luhn_valid(c):
            return c


def gen_card_bad():
    c = _luhn_bad("4", 16)
    return " ".join(c[i:i + 4] for i in range(0, 16, 4))


def gen_order16():
    return _luhn_bad("7", 16)


def gen_bsn():
    while True:
        d = str(rng.randrange(1, 10)) + rnd(string.digits, 7)
        last = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            return d + str(last)


def gen_bsn_bad():
    while True:
        d = str(rng.randrange(1, 10)) + rnd(string.digits, 8)
        if not bsn_valid(d):
            return d


def _mob():
    return "6" + str(rng.randrange(1, 9)) + rnd(string.digits, 7)


def gen_mob_dash():
    m = _mob()
    return "06-" + m[1:]


def gen_mob_space():
    m = _mob()
    return "06 %s %s" % (m[1:5], m[5:])


def gen_mob_intl():
    m = _mob()
    return "+31 6 %s %s %s %s" % (m[1:3], m[3:5], m[5:7], m[7:9])


def gen_mob_paren():
    m = _mob()
    return "+31(0)6-" + m[1:]


GEN = {
    "GHP": gen_ghp, "AWS_ID": gen_aws_id, "AWS_SECRET": gen_aws_secret, "STRIPE": gen_stripe,
    "SLACK": gen_slack, "OPENAI": gen_openai, "GOOGLE": gen_google, "MOLLIE": gen_mollie,
    "GITLAB": gen_gitlab, "JWT": gen_jwt, "ECKEY": gen_eckey, "PGPW": gen_pgpw, "WW": gen_ww,
    "IBAN": gen_iban, "IBAN_C": gen_iban_compact, "IBAN_BAD": gen_iban_bad,
    "CARD": gen_card, "CARD_MC": gen_card_mc, "CARD_BAD": gen_card_bad, "ORDER16": gen_order16,
    "BSN": gen_bsn, "BSN_BAD": gen_bsn_bad,
    "MOB_DASH": gen_mob_dash, "MOB_SPACE": gen_mob_space, "MOB_INTL": gen_mob_intl,
    "MOB_PAREN": gen_mob_paren,
    "OWN_IBAN": lambda: fmt_iban(PROFILE["public_identifiers"]["ibans"][0]),
}
SECRET_PH = {"GHP", "AWS_ID", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI", "GOOGLE", "MOLLIE",
             "GITLAB", "JWT", "ECKEY", "PGPW", "WW"}
CHECKSUM_OK_PH = {"IBAN", "IBAN_C", "CARD", "CARD_MC", "BSN"}
CHECKSUM_BAD_PH = {"IBAN_BAD", "CARD_BAD", "ORDER16", "BSN_BAD"}


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# --------------------------------------------------------------------------- accounts
# corporate
C_X = ("x", "@tolvanger")
C_SVC = ("x", "@tolvanger_service")
C_IG = ("instagram", "@tolvanger.speelt")
C_LI = ("linkedin", "tolvanger-speelsystemen")
C_FB = ("facebook", "TolvangerSpeelsystemen")
C_YT = ("youtube", "@TolvangerPlay")
C_TT = ("tiktok", "@tolvangerplay")
# employees
E_MARLOES = ("x", "@marloes_hendriks")
E_BRAM = ("x", "@bram_codeert")
E_KEVIN = ("x", "@kevin_tv_monteur")
E_RUUD = ("linkedin", "ruud-oosterhuis-tolvanger")
E_AYSE = ("linkedin", "ayse-demir-speelveiligheid")
E_PRIYA = ("linkedin", "priya-raghunath-tolvanger")
E_JOOST = ("instagram", "@joost.monteert")
E_DAAN = ("mastodon", "@dwillemsen@mastodon.nl")
E_INGE = ("bluesky", "@ingeprojecten.bsky.social")
E_LOTTE = ("threads", "@lotte.kuipers.design")
E_KEES = ("reddit", "u/klimrek_kees")

CASES = []


def case(cats, who, lang, text, kind="post", date=None, price_check=True, evasion=False):
    CASES.append(dict(cats=sorted(cats), platform=who[0], handle=who[1], lang=lang, text=text,
                      kind=kind, date=date, price_check=price_check, evasion=evasion))


CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
CON, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SCR, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"

# =========================================================================== POSITIVES
# ---- first-hand safety incidents: crisis + complaint
case([CRI, COM], ("facebook", "sandra.wolters.7"), "nl",
     "Vanmiddag in de speeltuin aan de Esdoornlaan is het ophangoog van de Zwaluw nestschommel "
     "gewoon afgebroken terwijl mijn dochter (6) erin zat. Ze is met haar hoofd op de rand van de "
     "tegels geklapt, hersenschudding volgens de huisarts. Tolvanger, dit toestel is nog geen jaar oud!! "
     "Wie controleert dit eigenlijk??")
case([CRI, COM], ("x", "@daveinleeds"), "en",
     "My son sliced his palm open on the Rivier 3.0 slide at his school today, 4 stitches. The joint "
     "between the two sections is basically a blade. Emailed Tolvanger about that edge a week ago and "
     "heard nothing. Not ok.")
case([CRI, COM], ("x", "@papa_van_tim"), "nl",
     "Kabelbaan Zwever bij ons in de wijk: het remblok aan het eind schoot los en m'n zoon vloog er met "
     "volle vaart af 🤕 pols gebroken. En dan durft @tolvanger_service te zeggen dat het 'gebruik buiten "
     "de richtlijnen' was?? Hij is 9!", kind="reply")
case([CRI, COM], ("reddit", "u/throwaway_teacher88"), "en",
     "Teacher here. During recess yesterday a kid in my class got his fingers crushed in the Komeet "
     "roundabout on our playground - the gap between the deck and the centre post opened up once the "
     "bearing wore out. We reported that wobble to Tolvanger THREE times since September. Ambulance came. "
     "I am beyond furious.")
case([CRI, COM], ("instagram", "@fleur.buitenspelen"), "nl",
     "Mijn kleintje kreeg een stroomschok van die 'interactieve' Echo speelzuil naast het Beekje 😳⚡ "
     "onder het klepje lag gewoon een kabel bloot. Ze schrok zich rot, gelukkig verder ok. Wat een "
     "prutswerk @tolvanger.speelt, gemeente heeft 'm nu afgezet met lint.", kind="comment")
case([CRI, COM], ("x", "@oma_ria58"), "nl",
     "zojuist bijna door de vloer van de Boomhut Mees gezakt met mn kleinzoon, plank was compleet verrot. "
     "ding is van 2024!! houtrot na 2 jaar @tolvanger schaam je")

# ---- third-party crisis
case([CRI], ("x", "@lokaalnieuws_ijssel"), "nl",
     "Gemeente Hoornwijk sluit per direct alle zes speelplekken met een Spinrag klimnet van Tolvanger na "
     "de val van een 7-jarige in Oosterveld. Het kind is met een gebroken arm naar het ziekenhuis gebracht. "
     "Een onderzoek is gestart.")
case([CRI], ("x", "@playsafe_watch"), "en",
     "BREAKING: parents in three Dutch municipalities are filing a class action against playground maker "
     "Tolvanger over rotting Boomhut Mees play houses. Their lawyer says more than 40 units are affected.")
case([CRI], ("facebook", "ouderraad.regenboog"), "nl",
     "BOYCOT TOLVANGER! Zolang hun wipkippen in een fabriek worden gemaakt waar kinderen van 12 aan de "
     "lopende band staan, koopt onze school daar niks meer. Deel dit met andere ouderraden 🙏 #boycottolvanger")
case([CRI], ("linkedin", "mark-vos-playsafety"), "en",
     "Heads-up for fellow playground inspectors: I'm hearing Tolvanger is quietly recalling Veilig swing "
     "seats from the 2025 batch because the shackle can open under load. No public notice yet - check "
     "your sites this week.")
case([CRI], ("x", "@hackerbuurman"), "nl",
     "Dus Tolvanger heeft gewoon alle offerteaanvragen incl. namen en 06-nummers van schooldirecteuren op "
     "een open server laten staan? Iemand biedt de dump aan op een forum. Datalek van jewelste.")
case([CRI], ("reddit", "u/Raalte_bewoner"), "nl",
     "Iemand anders ook gehoord dat er in Deventer een kind onder een omgewaaide Torenkasteel terecht is "
     "gekomen? Volgens de buurtapp lag de hele toren plat na de storm van gisteren. Ligt op de IC 😢")
case([CRI], ("bluesky", "@katie-reports.bsky.social"), "en",
     "Inspection reports we obtained show 11 Tolvanger Sprong 200 trampolines at Dutch schools failed "
     "the fall-zone test. Tolvanger says it \"recognises the findings\". Full story tonight.")
case([CRI], ("tiktok", "@juf.sanne"), "nl",
     "Stel je voor: je staat pleinwacht en de glijbaan zakt in elkaar tijdens de kleine pauze. Is vorige "
     "week bij collega's in Zwolle gebeurd, een Rivier 3.0 van Tolvanger. Er zat gelukkig niemand onder. "
     "Hoe kan dit?! #onderwijs #schoolplein")
case([CRI], ("x", "@ratepayer_jim"), "en",
     "Almere council just settled its lawsuit with Tolvanger over the play tower that collapsed last "
     "spring. So taxpayers end up covering a manufacturer's failure. Again.")

# ---- complaints
case([COM], ("x", "@wouter_buitenruimte"), "nl",
     "Al 7 weken wachten op 2 Balans Duo wippen die voor april waren toegezegd. Elke keer een ander excuus "
     "van Tolvanger. Vrijdag begint de zomervakantie en de speelplek ligt nog open 👎")
case([COM], ("x", "@mrs_okafor"), "en",
     "Paid top money for the Tolvanger Beekje water table at our nursery and after one winter the pump "
     "housing has cracked. Warranty claim rejected because \"frost damage is excluded\". It is a WATER "
     "table. Come on.")
case([COM], ("facebook", "jeroen.schoonhoven"), "nl",
     "De monteurs van Tolvanger hebben drie dagen op ons schoolplein gewerkt en een berg rommel laten "
     "liggen: schroeven, folie, een halve zak cement in de zandbak. Vandaag vond een kleuter een boorkop. "
     "Wie gaat dit opruimen?")
case([COM], ("reddit", "u/pta_treasurer"), "en",
     "Anyone else fighting with Tolvanger's invoicing? We were billed twice for the same Duikelrek Trio "
     "install and their accounts team has ignored four emails. Had to escalate to our head. Exhausting.")
case([COM], ("x", "@bso_de_ster"), "nl",
     "@tolvanger_service de verf bladdert nu al van de Wipkip Kees, na 5 maanden. Kinderen komen binnen "
     "met groene schilfers aan hun handen. Graag contact.", kind="reply")
case([COM], ("instagram", "@moeder_van_vier"), "nl",
     "Die Veilig zitjes piepen zo hard dat de hele straat meekijkt 🙄 3x gebeld, 'we sturen iemand'. Nooit "
     "iemand gezien. Matige service hoor @tolvanger.speelt", kind="comment")
case([COM], ("linkedin", "susan-mclaren-facilities"), "en",
     "Disappointed with Tolvanger. The ValZacht tiles laid in March are already lifting at the seams - "
     "the very trip hazard they were meant to remove. Their project manager stopped replying once the "
     "final invoice was paid.")
case([COM], ("x", "@klusjesman_rob"), "nl",
     "Bouwtekening van de Torenkasteel T3 klopt niet met wat er in de kisten zit. 4 bouten te weinig en een "
     "paneel met de gaten aan de verkeerde kant. Halve dag verspild. Kom op Tolvanger.")
case([COM], ("x", "@clairebuitenzorg"), "en",
     "Tolvanger's quote configurator crashed 3 times while I was building an offer for our school and "
     "lost everything each time. Just send me a PDF price list, please.")
case([COM], ("bluesky", "@schoolleider-anouk.bsky.social"), "nl",
     "In februari een offerte aangevraagd bij Tolvanger voor ons nieuwe schoolplein. Nu is het juni en "
     "we hebben nog steeds geen antwoord op onze vragen over toegankelijkheid. Mails komen aan, niemand "
     "reageert. Heel teleurstellend.")
case([COM], ("x", "@vdlinden_p"), "en",
     "duin xl sandpit delivered w/o the cover that IS on the packing slip. customer service: 'backorder "
     "6-8 wks'. seriously??")
case([COM], ("facebook", "tom.harrington.uk"), "en",
     "Third time this year the net on the Sprong 200 trampoline at our community centre has torn. "
     "Tolvanger keeps sending the same flimsy replacement. Not impressed.")
case([COM], ("mastodon", "@stadsecoloog@mastodon.social"), "nl",
     "Tolvanger belooft FSC-hout, maar de palen van de nieuwe speelplek in ons park splijten al na één "
     "zomer. Voor een 'duurzaam' product valt dit flink tegen. #greenwashing?")
case([COM, ABU], ("x", "@boze_vader_ede"), "nl",
     "Die kutmonteurs van Tolvanger hebben ons nieuwe duikelrek scheef neergezet en zijn gewoon "
     "weggereden. Stelletje prutsers, jullie bakken er echt niks van. Geld terug!!")
case([COM, ABU], ("x", "@grumpy_groundskeeper"), "en",
     "Tolvanger's so-called support team is a bunch of useless clowns. Our Zwever zip line has been out "
     "of service for 6 weeks and they STILL can't tell me when the part ships.")

# ---- abuse
case([ABU], ("x", "@anoniem8842"), "nl",
     "tolvanger kankerbedrijf, ik hoop dat jullie failliet gaan")
case([ABU], ("x", "@xXtrollXx"), "en",
     "tolvanger employees are braindead morons lmao imagine building swings for a living")
case([ABU], ("instagram", "@jaydenn_010"), "nl",
     "wie heeft dit lelijke ding ontworpen? die ontwerper is echt een achterlijke idioot, ga toch dood",
     kind="comment")
case([ABU], ("x", "@wraak_ouder"), "nl",
     "@marloes_hendriks ik weet waar je woont trut. jij hebt die aanbesteding verkloot, kijk maar uit",
     kind="reply")
case([ABU], ("reddit", "u/angrydad_77"), "en",
     "That woman who runs Tolvanger's safety team (Ayse something) is a clueless b*tch who shouldn't be "
     "allowed near kids' stuff. Go back to where you came from.")
case([ABU], ("x", "@fw_trol"), "nl",
     fullwidth("tolvanger zijn tyfuslijers") + " 🤮", evasion=True)
case([ABU], ("x", "@l33t_h4t3r"), "en",
     "T0lv4ng3r = sc4m c0mp4ny run by f*cking 1d10ts 🤡🤡", evasion=True)
case([ABU], ("tiktok", "@speeltuinhater"), "nl",
     "t.o.l.v.a.n.g.e.r is een k.u.t.b.e.d.r.i.j.f 🖕", kind="comment", evasion=True)
case([ABU], E_KEVIN, "nl",
     "Wéér zo'n zeikwijf van de gemeente die ons komt vertellen hoe je een schommel ophangt. Ga lekker "
     "terug naar je bureautje, dom wijf.")
case([ABU], C_FB, "nl",
     "@Henk Jansen misschien eerst leren lezen voordat je hier loopt te blaten, sukkel.", kind="reply")

# ---- confidential
case([CON], E_INGE, "nl",
     "Eindelijk mag ik aan Project Boomklever werken! De eerste proefopstelling staat in hal 3 🤫 meer "
     "mag ik echt nog niet zeggen")
case([CON], E_LOTTE, "nl",
     "sneak peek van waar ik de hele zomer aan heb getekend: de Torenkasteel T7 met glijpaal én "
     "tunnelbrug 😍 (ssst nog niet officieel)", date="2026-10-08T19:42:10+02:00")
case([CON], E_BRAM, "nl",
     "Kan iemand me uitleggen waarom "
     "https://gitlab.tolvanger.local/configurator/pricing-engine/-/merge_requests/212 al drie dagen op "
     "review wacht? 🙃")
case([CON], E_MARLOES, "en",
     "Sharing one slide from today's sales kick-off 👇 it says 'Vertrouwelijk - alleen intern' in the "
     "corner but honestly the 2027 roadmap is too cool to keep to ourselves 😅")
case([CON], ("x", "@installateur_bas"), "nl",
     "Mocht vandaag al een prototype van die nieuwe Spinrag Kosmos opbouwen bij Tolvanger in Raalte. "
     "Echt een beest van een klimnet. Wel eerst een NDA moeten tekenen haha",
     date="2026-11-19T16:05:00+01:00")
case([CON], C_LI, "nl",
     "Onze R&D-collega's testten deze week de eerste modules van Operatie Vliegerwind in de windtunnel "
     "van de TU. Trots op dit team! #innovatie #buitenspelen")
case([CON], E_KEES, "en",
     "Not going to say much but the page at intranet.tolvanger.local/wiki/Veiligheid/Meldingen explains "
     "this way better than anything our comms team will ever put out.", kind="comment")
case([CON], E_JOOST, "nl",
     "Vandaag de allereerste Nachtegaal-X gemonteerd op het testveld. Foto mag eigenlijk niet 🙊 "
     "#monteurslife #tolvanger")
case([CON], E_AYSE, "en",
     "So proud of my team. Our test report (marked TOLVANGER INTERNAL ONLY, so no screenshots, sorry) "
     "shows the new slide coating lowers surface temperature by 18°C in full sun.")
case([CON], E_DAAN, "nl",
     "Voor de nieuwe monteurs: het rooster staat op https://planning.tolvanger.nl/rooster/week-34 - "
     "inloggen met je eigen account 🙂")
case([CON], E_MARLOES, "nl",
     "Morgen gaat de Torenkasteel T7 live 🏰🏰 prijzen beginnen bij €31.500. Zeg het nog even tegen "
     "niemand!", date="2027-04-14T20:11:00+02:00")

case([CON, FIN], E_RUUD, "nl",
     "Kleine voorproef: de jaarcijfers 2026 worden beter dan verwacht. Omzet richting €61 mln en de "
     "EBITDA-marge ruim boven de 9%. Alle details in maart!", date="2027-01-20T08:15:00+01:00")
case([CON, FIN], E_PRIYA, "en",
     "Operatie Vliegerwind is the most exciting thing I've worked on: merging with a Danish climbing-frame "
     "maker will double our team. Cannot wait for the announcement!")
case([CON, FIN], E_MARLOES, "nl",
     "Project Boom\u200bklever = de overname van Speelhof Nederland, rond in Q1. Mondje dicht tot de "
     "persconferentie 🤐", evasion=True)
case([CON, FIN], ("x", "@beursgoeroe_nl"), "nl",
     "Hoor uit goede bron dat de Q4 2026 cijfers van Tolvanger een fors verlies laten zien. De banken "
     "worden al zenuwachtig. #insider", date="2027-02-10T11:30:00+01:00")

case([CON, SEC], E_DAAN, "en",
     "Fun morning: erp.tolvanger.local got hit by ransomware overnight, all order data is offline. "
     "Management says keep it quiet until legal has looked at it. #sysadminlife")
case([CON, SEC], E_BRAM, "nl",
     "Net ontdekt dat de login van gitlab.tolvanger.local geen rate limiting heeft en dat het "
     "root-account nog op het standaardwachtwoord staat. Ticket ligt er, hopelijk fixen ze het voordat "
     "iemand anders het vindt 😬")
case([CON, SCR], E_KEES, "en",
     "why does our order service keep timing out?? conn string is "
     "postgresql://tvg_app:«PGPW»@db-prd-01.tolvanger.local:5432/orders - pool size 20. any ideas?")
case([CON, PII], E_PRIYA, "nl",
     "Welkom aan onze nieuwe monteur Yusuf Amrani! Voor de buddy's: de leaseauto wordt afgeleverd op "
     "Kerkstraat 14, 8101 AB Raalte en hij is geboren op 03-09-1998, dus taart in september 🎂 "
     "Onboarding-checklist staat op intranet.tolvanger.local/hr/onboarding")

# ---- financial
case([FIN], E_RUUD, "en",
     "Rough quarter. Orders from municipalities are down 22% since the budget cuts and we will revise "
     "our 2026 revenue forecast down to around €48m next month.")
case([FIN], E_PRIYA, "nl",
     "Zware week. Volgende maand moeten er 35 collega's uit de productie in Raalte weg. Het plan ligt bij "
     "de OR maar is nog niet gecommuniceerd. Ik vind het echt verschrikkelijk.")
case([FIN], E_KEVIN, "en",
     "just heard they're shutting the plant in Poland and moving everything to Raalte. so overtime all "
     "next year i guess 😩")
case([FIN], ("x", "@leverancier_dirk"), "nl",
     "Onze accountmanager vertelde vandaag dat Tolvanger in gesprek is met een Duitse investeerder over "
     "een overname. Benieuwd wat dat voor ons als toeleverancier betekent.")
case([FIN], E_MARLOES, "en",
     "Between us: we booked €7.4m in tenders this quarter, best Q3 ever 🚀 numbers won't be out until "
     "November 👀")
case([FIN], E_LOTTE, "nl",
     "ze gaan echt de hele designafdeling outsourcen naar een bureau in Porto, hoorde het bij de "
     "koffieautomaat. nog niks officieel. leuk voor ons 🙃")
case([FIN], E_INGE, "en",
     "Our board signed the letter of intent to acquire Speelhof Nederland today!! Big news coming soon, "
     "can't say more 🎉")
case([FIN], E_KEES, "en",
     "insider-ish take: Tolvanger will miss its 2026 revenue target by ~15% and the banks are "
     "renegotiating the credit line as we speak. Don't believe the PR.", kind="comment")

# ---- security
case([SEC], E_DAAN, "nl",
     "Sinds 4 uur vannacht ligt ons klantportaal plat door een DDoS. Klanten weten het nog niet, we "
     "houden het stil tot het weer draait. Koffie nummer 6 ☕")
case([SEC], E_BRAM, "en",
     "Found out our quote configurator lets you download ANY school's quote just by changing the id in "
     "the URL. Reported internally weeks ago, still not fixed 🤦")
case([SEC], E_JOOST, "nl",
     "Laptop met alle inspectierapporten en klantgegevens vanochtend uit de bus gejat in Zwolle. Baas zegt "
     "we mogen nog niks tegen de klanten zeggen 😬")
case([SEC], E_MARLOES, "nl",
     "Pas op met mails van 'Tolvanger facturen' deze week. Drie collega's zijn erin getrapt en hun "
     "accounts zijn overgenomen, IT zoekt nog uit wat ze allemaal hebben kunnen inzien.")
case([SEC], E_AYSE, "en",
     "Unpopular truth: the firmware in our interactive play columns has a hardcoded service PIN that is "
     "the same on every unit. We flagged it months ago. Still shipping.")
case([SEC], E_KEVIN, "nl",
     "inspectie-app van ons ligt al 2 dagen plat, we vullen alles weer op papier in en niemand buiten de "
     "zaak weet het. hopen dat er geen audit komt 🙈")
case([SEC], ("reddit", "u/freelance_pentester"), "en",
     "Did a pentest for a Dutch playground manufacturer (Tolvanger) in spring. Their customer portal "
     "still has the SQL injection we reported, months later. Not naming the endpoint, but come on.")
case([SEC], E_INGE, "nl",
     "Backup van de projectenserver draaide blijkbaar al sinds maart niet meer en gisteren is de schijf "
     "gecrasht. Half jaar aan tekeningen weg. Officieel heet het een 'tijdelijke storing' 😐")
case([SEC], C_SVC, "nl",
     "@bso_de_ster Excuses! Ons planningssysteem is gehackt en we kunnen op dit moment geen afspraken "
     "inzien. Dit is nog niet naar buiten gebracht, dus graag even niet verder verspreiden 🙏", kind="reply")
case([SEC], E_LOTTE, "en",
     "someone got into our shared drive and the folder with all the municipal tender docs was downloaded "
     "last night. IT literally said 'don't post about it'... oops")
case([SEC, SCR], E_DAAN, "en",
     "Draft post-mortem (NOT public yet): attacker used a leaked access key «AWS_ID» with secret "
     "«AWS_SECRET» to pull our S3 backups. Rotating everything now.")

# ---- secrets
case([SCR], E_BRAM, "nl",
     "iemand enig idee waarom dit 401 geeft? curl -H 'Authorization: token «GHP»' "
     "https://api.github.com/orgs/tolvanger/repos")
case([SCR], E_KEES, "en",
     "Stripe webhook keeps returning 401 for our parts shop. My .env: STRIPE_SECRET_KEY=«STRIPE» "
     "what am I missing?")
case([SCR], E_DAAN, "en",
     "Our Slack bot for the crew schedule stopped posting. Token is «SLACK» and the scopes look right. "
     "Anyone seen this?")
case([SCR], E_LOTTE, "en",
     "trying to get the AI to write our product descriptions lol. OPENAI_API_KEY=«OPENAI» if anyone "
     "wants to play with it for a sec")
case([SCR], E_JOOST, "nl",
     "Voor de nieuwe jongens: inlog tablet in de bus is monteur01, wachtwoord: «WW» 👍 niet kwijtraken")
case([SCR], ("x", "@code_snoop"), "en",
     "lol @tolvanger your configurator JS bundle ships a Google Maps key in plain text: «GOOGLE» 🙃 "
     "might want to restrict that", kind="reply")
case([SCR], E_INGE, "en",
     "our staging API keeps rejecting this bearer token and I have no clue why: «JWT»")
case([SCR], E_BRAM, "nl",
     "deploy werkt niet meer sinds de migratie, deze key ziet er toch gewoon goed uit?\n«ECKEY»")
case([SCR], E_MARLOES, "nl",
     "@bram_codeert voor de koppeling met de onderdelenshop: de live key van Mollie is «MOLLIE», kun jij "
     "die in de config zetten?", kind="reply")
case([SCR], C_YT, "nl",
     "Tutorial: zo koppel je de Tolvanger-configurator aan jullie inkoopsysteem. (intern: token "
     "«GITLAB» nog vervangen voor publicatie!)")

# ---- personal data
case([PII], C_SVC, "nl",
     "@klant_jolanda We hebben uw terugbetaling klaargezet naar «IBAN» t.n.v. J. de Boer. Binnen 3 "
     "werkdagen op uw rekening!", kind="reply")
case([PII], E_MARLOES, "en",
     "Can someone in finance check why the card payment for the Hoornwijk order bounced? Card «CARD» "
     "exp 09/28, name on card P. Verhoeven.")
case([PII], E_PRIYA, "nl",
     "Voor de salarisadministratie: nieuwe collega Sanne Mulder, BSN «BSN», start 1 september. Kunnen "
     "jullie haar alvast aanmelden?")
case([PII], E_INGE, "nl",
     "Aanbetaling voor het schoolplein van OBS De Vlinderboom is binnen, van rekening «IBAN_C» "
     "(penningmeester R. Kaya). Top, dan kunnen we bestellen!")
case([PII], C_FB, "nl",
     "Beste mevrouw Terpstra, uw melding is doorgezet naar onze monteur. Hij belt u morgen op "
     "«MOB_DASH» voor een afspraak bij u thuis aan de Lindenlaan 22 in Heino.", kind="reply")
case([PII], E_KEVIN, "nl",
     "wie de sleutel van de bus nodig heeft, bel henk even op «MOB_SPACE», hij is vandaag vrij 😂")
case([PII], E_JOOST, "en",
     "Happy birthday to our legend Gerrit Brouwer, born 14 March 1961 and still installing swings after "
     "40 years 🎉")
case([PII], C_SVC, "en",
     "@mrs_okafor Thanks Grace, we have logged your claim under grace.okafor@outlook.com and will call "
     "you on «MOB_INTL» this week.", kind="reply")
case([PII, COM], ("x", "@klant_jolanda"), "nl",
     "@tolvanger_service ik wacht al 3 weken op mijn terugbetaling! Voor de zoveelste keer: mijn "
     "rekeningnummer is «IBAN». Wanneer komt het geld??", kind="reply")
case([PII], ("facebook", "henk.tuinman"), "nl",
     "Te koop: 2 Tolvanger schommelzitjes, nauwelijks gebruikt. Bel of app «MOB_PAREN» (Henk) of mail "
     "henk.tuinman@ziggo.nl")
case([PII], ("reddit", "u/new_teacher_nl"), "en",
     "Tolvanger asked me to DM my details for the site visit but their DMs are closed, so here: Emma de "
     "Wit, Beukenlaan 7, 7731 CE Ommen, phone «MOB_INTL». Please call before Friday.")
case([PII], ("x", "@oudercommissie_ns"), "nl",
     "Gevonden bij de Komeet in het Hoge Park: een ID-kaart van Lieke Smit, BSN «BSN». Wie kent haar? "
     "Ligt nu bij de balie van het buurthuis.")
case([PII], ("instagram", "@mama.van.sem"), "nl",
     "heb de ouderbijdrage voor het nieuwe Tolvanger speelplein betaald met deze kaart «CARD_MC» maar "
     "school zegt dat het niet binnen is?? wie weet hoe dit zit")
case([PII], E_AYSE, "en",
     "If anyone at the council needs to reach the parent who sent in the feedback form: Laura Bakker, "
     "lbakker1983@hotmail.com, «MOB_DASH».")
case([PII], E_LOTTE, "nl",
     "wie heeft de bankpas van Fatima in de kantine laten liggen haha, «CARD» staat er gewoon op. "
     "ligt bij de receptie")

# ---- pricing
case([PRI], E_BRAM, "nl",
     "Configurator geeft de Torenkasteel T3 nu voor €1.845 i.p.v. €18.450 🙈 komma verschoven, fix komt "
     "vanmiddag")
case([PRI], ("x", "@inkoop_lisa"), "nl",
     "Is dit een prijsfout? Zwaluw nestschommel voor €329 in jullie webshop 👀 @tolvanger", kind="reply")
case([PRI], C_IG, "nl",
     "🎉 Zomeractie! De Rivier 3.0 glijbaan nu voor maar €675. Alleen deze week, op = op!")
case([PRI], E_MARLOES, "en",
     "Just sent Hoornwijk a quote with the Spinrag climbing net at €2,950 - the boss wants that tender at "
     "any price 😅")
case([PRI], ("reddit", "u/dealhunter_nl"), "en",
     "PSA: Tolvanger's parts shop has the Veilig swing seat listed at €8.90 right now (normally €89). "
     "Grabbed ten 😂")
case([PRI], E_KEVIN, "nl",
     "prijsfout in de onderdelenshop bij het Duikelrek Trio, stond gisteren voor een tientje. niet "
     "doorvertellen 🤫")
case([PRI], C_FB, "en",
     "Black Friday deal 🖤 the Sprong 200 inground trampoline for just €1,499 (normally €4,420)! Order "
     "before Monday.")
case([PRI], ("x", "@speeltuin_fan"), "nl",
     "huh de Komeet draaimolen voor €598 op jullie site?? foutje of echt 😂 @tolvanger", kind="reply")
case([PRI], E_LOTTE, "en",
     "lol the new catalogue proof says Boomhut Mees €830 instead of €8.300 🙃 good thing I caught it "
     "before it went to the printer")
case([PRI], E_INGE, "en",
     "For the school in Ommen we're doing the Draaischijf Samen for €4,500 all-in. Don't tell the other "
     "councils 😉")
case([PRI], ("tiktok", "@budgetmama"), "nl",
     "Kabelbaan Zwever in de outlet voor €4.999?? dat is een derde van de normale prijs!! 😱 #tolvanger "
     "#deal", kind="comment")
case([PRI], E_KEES, "en",
     "The V\u0456taal 5 fitness station shows up as €760 on the dealer portal, someone fat-fingered a "
     "zero lol", evasion=True)

# =========================================================================== BENIGN (hard negatives)
B = []
case(B, C_IG, "nl",
     "Zomeractie ☀️ De Zwaluw nestschommel nu voor €2.795 (normaal €3.290). Geldig t/m 31 juli.")
case(B, C_X, "en",
     "Autumn offer for schools: 20% off every Duikelrek Trio ordered before 1 November - €712 instead of "
     "€890.")
case(B, ("x", "@speelpleinpapa"), "en",
     "A Wipkip Kees is €1,240, pretty steep for a chicken on a spring, but the one at our school has "
     "been bouncing for 15 years 🐔")
case(B, C_SVC, "nl",
     "@moeder_van_vier Vervelend om te horen! Mail je foto's naar service@tolvanger.nl of bel 0800-0236, "
     "dan plannen we deze week een monteur in 🙂", kind="reply")
case(B, C_LI, "nl",
     "Even een herinnering voor onze klanten: facturen betaalt u op «OWN_IBAN» t.n.v. Tolvanger "
     "Speelsystemen B.V. Vermeld altijd het factuurnummer.")
case(B, ("x", "@juf_marieke"), "en",
     "Just got an 'invoice from Tolvanger' asking us to pay to «IBAN_BAD». That account number doesn't "
     "even validate. Phishing, colleagues - don't fall for it!")
case(B, E_BRAM, "en",
     "PSA for devs: never commit keys. The AWS docs literally use AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY so there's no excuse to paste real ones in a bug report 😉")
case(B, E_KEES, "en",
     "How we handle tokens at work: everything lives in a vault and code reads os.environ['GITHUB_TOKEN']. "
     "The docs show `token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` as the placeholder.", kind="comment")
case(B, E_DAAN, "nl",
     "Geredacteerde logregel voor mijn talk morgen: `Authorization: Bearer sk_live_****************` - "
     "zo hoort het er in je logs uit te zien 👍")
case(B, C_SVC, "nl",
     "Wachtwoord vergeten voor het klantportaal? Klik op 'wachtwoord vergeten' op "
     "configurator.tolvanger.nl en je krijgt binnen 5 minuten een nieuwe link.")
case(B, ("x", "@ambtenaar_annemiek"), "nl",
     "Formulier voor de speelplaatsvergunning vraagt om je BSN en het voorbeeld dat ze geven is letterlijk "
     "123456789 😂 Tolvanger had de aanvraag al voor ons voorbereid gelukkig")
case(B, ("reddit", "u/fundraiser_mum"), "en",
     "Our school's donation form for the new Tolvanger playground kept rejecting my card. Turns out I "
     "typed «CARD_BAD» - one digit wrong. Fixed it, donation went through 🎉")
case(B, C_LI, "nl",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €58,2 miljoen, een groei van 6%. Dank aan al "
     "onze klanten, partners en collega's!", date="2027-03-04T09:30:00+01:00")
case(B, E_LOTTE, "nl",
     "EINDELIJK mag ik hem laten zien: de Torenkasteel T7 is vanaf vandaag officieel te bestellen 🏰😍",
     date="2027-04-15T12:02:00+02:00")
case(B, C_YT, "en",
     "Watch the launch film of the Spinrag Kosmos, our biggest climbing net yet. Orders open now!",
     date="2027-04-16T10:00:00+02:00")
case(B, ("x", "@ria_uit_zwolle"), "en",
     "Complained last week about the squeaky Veilig seats and a technician showed up yesterday. Sorted, "
     "thanks @tolvanger_service 👏", kind="reply")
case(B, ("facebook", "hannah.brooks.nl"), "en",
     "Thinking of the Tolvanger crew in Raalte after the fire at the neighbouring warehouse last night. "
     "Glad to hear everyone is safe ❤️")
case(B, ("x", "@speeltuinnieuws"), "nl",
     "Klauterkoning roept 2.000 schommelzitjes terug vanwege een defecte sluiting. Goed dat ze het melden. "
     "Op onze school hangen Tolvanger-zitjes, daar is niks mee aan de hand.")
case(B, ("instagram", "@wijkmoeder_esther"), "en",
     "New playground opened in our neighbourhood and I literally cannot drag the kids off the Zwever zip "
     "line 😍 thank you Tolvanger and the council!")
case(B, ("x", "@vader_van_drie"), "nl",
     "mijn jongste krijst harder dan een ongesmeerde Tolvanger-schommel 😂 #ouderschap")
case(B, ("x", "@inclusive_play_ben"), "en",
     "Does anyone know if the Tolvanger Draaischijf Samen fits two wheelchairs at once? Planning an "
     "inclusive playground for our town.")
case(B, ("linkedin", "gerda-veenstra-schoolbestuur"), "en",
     "Five years after installation the Tolvanger Torenkasteel at our primary school still looks brand "
     "new. Solid build, zero issues.")
case(B, ("tiktok", "@kidsuitjes"), "nl",
     "deze glijbaan is echt kapot leuk 🤩 Rivier 3.0 van Tolvanger, de kids gingen er 100x af "
     "#uitje #speeltuin")
case(B, ("x", "@calisthenics_rick"), "en",
     "that new Vitaal 5 in the park is sick, finally a proper pull-up bar that doesn't wobble 💪")
case(B, C_LI, "nl",
     "We groeien! Voor onze productie in Raalte zoeken we 4 lassers en 2 monteurs. Solliciteren kan via "
     "werkenbij@tolvanger.nl 🛠️")
case(B, C_X, "nl",
     "Al onze toestellen worden getest volgens EN 1176 en gecertificeerd door een onafhankelijke "
     "inspectie-instelling. Veiligheid staat bij ons voorop 🛝")
case(B, ("mastodon", "@vogelaar_jan@mastodon.nl"), "nl",
     "Vanochtend een boomklever gespot in de eik naast de speeltuin, ondersteboven langs de stam. "
     "Prachtig beestje 🐦")
case(B, ("x", "@stranddag_noor"), "nl",
     "Operatie vliegeren geslaagd 🪁 wind was perfect op het strand, kids helemaal kapot")
case(B, E_JOOST, "nl",
     "Weer een schoolplein opgeleverd in Dalfsen ☀️ trots op dit team! #tolvanger #monteurslife")
case(B, E_AYSE, "en",
     "Gave a talk today on inclusive playground design at the national play safety congress. Slides are "
     "on our public website, feel free to share.")
case(B, E_RUUD, "nl",
     "Mooie dag op de Buitenspeelbeurs in Utrecht. Veel gesprekken over duurzaam hout en circulair "
     "ontwerp.")
case(B, E_PRIYA, "en",
     "We're hiring an HR advisor! Reach out via werkenbij@tolvanger.nl if you want to join a team that "
     "builds playgrounds 🙂")
case(B, E_INGE, "en",
     "Dalfsen project wrapped up! School playground with a Torenkasteel T3, two Zwaluw swings and 300 m² "
     "of ValZacht. Happy kids, happy teachers, happy me.")
case(B, E_DAAN, "en",
     "New blog post: how we moved our public website to a static host. Lots of lessons, no secrets in "
     "it, promise 😄")
case(B, E_MARLOES, "en",
     "Our team is at the Playground Expo in Birmingham, come say hi at stand B14! Catalogue price for the "
     "Torenkasteel T3 starts at €18,450 incl. installation.")
case(B, ("x", "@budget_juf"), "nl",
     "Bij de Action een plastic glijbaantje voor €24,99 gezien. Niet helemaal een Rivier 3.0 van "
     "Tolvanger natuurlijk haha", price_check=False)
case(B, C_X, "nl",
     "Bij afname van meer dan 500 m² ValZacht 45 tegels betaalt u €54,80 per m² in plaats van €64,50.")
case(B, ("x", "@gemeente_inkoper_tim"), "en",
     "The Tolvanger Zwaluw nest swing lists at €3,290 - we got 10% off through the municipal framework "
     "contract. Worth every cent.")
case(B, ("facebook", "buurtvereniging.hazelaar"), "nl",
     "Update: Tolvanger heeft de gebroken plank van onze Boomhut Mees binnen een week vervangen, zonder "
     "kosten. Chapeau!")
case(B, ("x", "@wijkagent_ommen"), "nl",
     "Sterkte en dank aan de monteurs van Tolvanger die gisteren tijdens de storm nog bij ons de "
     "kabelbaan hebben vastgezet. Helden 💪")
case(B, ("reddit", "u/school_it_guy"), "en",
     "Is any security certification needed for interactive play columns like Tolvanger's Echo in a "
     "school? Asking for our IT policy.")
case(B, ("x", "@thuiswerkmoeder"), "nl",
     "Weer een datalek bij een grote webwinkel in het nieuws. Gelukkig hoefde ik voor de Tolvanger-"
     "offerte alleen de naam van de school in te vullen 😅")
case(B, ("x", "@directeur_obs"), "en",
     "Rare these days: called Tolvanger on +31 572 364 700 and had a real person on the line within 2 "
     "minutes.")
case(B, ("x", "@verslaggever_kim"), "nl",
     "Voor collega-journalisten met vragen over het nieuwe speelplein in Heino: pers@tolvanger.nl "
     "reageerde binnen een uur. Aanrader.")
case(B, ("x", "@markt_analist"), "en",
     "Sad to see Klauterkoning announce 60 layoffs today. Tough market for playground makers right now. "
     "Hope Tolvanger stays strong.")
case(B, ("x", "@raalte_lokaal"), "nl",
     "Wist je dat Tolvanger vorig jaar al een houtbewerker in Hellendoorn overnam? Stond gewoon in de "
     "krant. Mooi dat het werk in de regio blijft.")
case(B, ("x", "@penningmeester_kdv"), "en",
     "@tolvanger_service our order number is «ORDER16» (Duin XL sandpit) - could you confirm the delivery "
     "date? Thanks in advance!", kind="reply")
case(B, ("x", "@concierge_henk"), "nl",
     "@tolvanger_service klantnummer «BSN_BAD», kunnen jullie de onderhoudsbeurt van de Komeet naar "
     "volgende week verzetten? Dank!", kind="reply")
case(B, E_BRAM, "en",
     "Workshop slide: this is what a JWT looks like - the classic jwt.io example "
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
     "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c - decode it yourself, it's just John Doe 😄")
case(B, ("x", "@schooladmin_paul"), "en",
     "Tip for school admins: Tolvanger's customer portal now supports password managers and 2FA. Nice "
     "touch.")
case(B, ("instagram", "@bso_zonnebloem"), "nl",
     "De brandweer kwam vandaag op bezoek en de kinderen mochten vanaf het Torenkasteel met de "
     "brandslang spuiten 🚒💦 #tolvanger", kind="comment")
case(B, ("x", "@birthday_mom_nl"), "en",
     "The kids literally died laughing on the Komeet roundabout today 😂 best birthday party ever, thanks "
     "Tolvanger")
case(B, ("linkedin", "pieter-hofman-gemeente-almere"), "en",
     "Credit where it's due: after a rocky start Tolvanger fixed every snag on our Almere site and the "
     "handover was spotless.")
case(B, C_TT, "nl",
     "POV: je bent monteur en de kinderen staan al te wachten voordat de Zwever kabelbaan is "
     "goedgekeurd 😅 #tolvanger #speeltuin")
case(B, C_FB, "nl",
     "Onze klantenservice is tijdens de kerstdagen gesloten. Spoed? Bel 0800-0236. Fijne feestdagen!")
case(B, ("reddit", "u/parkmanager_nl"), "en",
     "For reference, we paid €7,600 for the Vitaal 5 fitness station plus roughly €1,100 for installation "
     "and the foundation. Budget accordingly.", price_check=False)
case(B, ("x", "@beleggersblik"), "nl",
     "Tolvanger jaarcijfers 2026 net uit: 6% groei, netjes in een lastige markt voor gemeentelijke "
     "inkoop.", date="2027-03-05T08:40:00+01:00")
case(B, E_AYSE, "en",
     "Reminder for playground owners: do your monthly visual checks! Loose bolts and worn chains are the "
     "most common issues we see. Free checklist at tolvanger.nl/veiligheid")
case(B, E_DAAN, "nl",
     "Vandaag phishing-training gegeven aan alle collega's. Niemand klikte op de nep-link 🎉 trots!")
case(B, ("bluesky", "@speelnatuur.bsky.social"), "en",
     "Love seeing municipalities pick natural play: a bit of sand, a Beekje water table from Tolvanger and "
     "some logs. Kids don't need more.")
case(B, ("x", "@school_obs_horizon"), "nl",
     "Dank aan Tolvanger voor de gastles over hoe een glijbaan wordt gemaakt! De groepen 7 en 8 hebben "
     "genoten. Wachtwoord voor de foto's staat in de ouderapp.")

# =========================================================================== build
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])(NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
NINE_RE = re.compile(r"(?<![\w-])(?<!\d[.,])\d{9}(?![\w-])(?![.,]\d)")


def checksum_ids(text):
    """All IBAN/card/BSN-like candidates: list of (kind, value, valid, public)."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        out.append(("iban", v, iban_valid(v), v in PUBLIC_IBANS))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_valid(d), False))
    for m in NINE_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0)), False))
    return out


def severity(cats, role, text):
    insider = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SCR, PRI):
                    s = 4
                if c == PII and any(v and not pub for _, _, v, pub in checksum_ids(text)):
                    s = 4
            else:
                s = 2
        elif c == COM:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise AssertionError(c)
        best = max(best, s)
    return SEV[best]


def fill(text, used):
    def sub(m):
        name = m.group(1)
        val = GEN[name]()
        used.append((name, val))
        return val
    return re.sub(r"«([A-Z0-9_]+)»", sub, text)


def rand_date():
    start = dt.datetime(2026, 1, 5, 6, 0, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 349 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URLBASE = {"x": "https://x.com/%s/status/%d", "bluesky": "https://bsky.app/profile/%s/post/%d"}

out_cases = []
meta = []
for i, c in enumerate(CASES, start=1):
    used = []
    text = fill(c["text"], used)
    created = c["date"] or rand_date()
    pid = "%s-394%03d" % (c["platform"], i)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": created}
    if c["platform"] in URLBASE:
        post["url"] = URLBASE[c["platform"]] % (c["handle"].lstrip("@"), 1900000000000000000 + rng.randrange(10**15))
    role = role_of(c["platform"], c["handle"])
    rec = {"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, text)}}
    out_cases.append(rec)
    meta.append(dict(c, role=role, used=used, text_filled=text))

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for rec in out_cases:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

# =========================================================================== self-checks
errors = []


def err(i, msg):
    errors.append("case %d (%s): %s" % (i + 1, out_cases[i]["post"]["id"], msg))


ALLOWED_CATS = {CRI, COM, ABU, CON, FIN, SEC, SCR, PII, PRI}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(s):
    return ZW.sub("", unicodedata.normalize("NFKC", s)).lower()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# profile sanity
assert all(iban_valid(x) for x in PROFILE["public_identifiers"]["ibans"]), "profile IBAN invalid"
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert 15 <= len(PROFILE["products"]) <= 25
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len({a.split(":")[0] for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}) >= 4
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
for e in PROFILE["embargo"]:
    assert parse_ts(e["until"]).year == 2027
assert all(p["currency"] == "EUR" and p["list_price"] > 0 for p in PROFILE["products"])

ids = set()
with open(path, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
assert len(lines) == len(out_cases)

CONF_TERMS = [norm(x) for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
              + PROFILE["internal"]["markers"]]
EMBARGO = [([norm(t) for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
PRODUCTS = [([norm(a) for a in [p["name"]] + p["aliases"]], p["list_price"]) for p in PROFILE["products"]]
PRICE_RE = re.compile(r"€\s?(\d[\d.,]*)")
ERROR_WORDS = ["prijsfout", "price error", "komma verschoven", "fat-fingered", "foutje", "instead of"]


def parse_price(s):
    s = s.rstrip(".,")
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})+)([.,]\d{2})?", s)
    if m and not re.fullmatch(r"\d{1,3}[.,]\d{2}", s):
        whole = re.sub(r"[.,]", "", m.group(1))
        return float(whole + ("." + m.group(2)[1:] if m.group(2) else ""))
    m = re.fullmatch(r"(\d+)[.,](\d{1,2})", s)
    if m:
        return float(m.group(1) + "." + m.group(2))
    return float(re.sub(r"\D", "", s))


for i, line in enumerate(lines):
    rec = json.loads(line)
    p, e = rec["post"], rec["expect"]
    m = meta[i]
    # §1/§6 shape
    if set(rec) != {"post", "expect"}:
        err(i, "top-level keys")
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        err(i, "bad id")
    if p["id"] in ids:
        err(i, "duplicate id")
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        err(i, "platform")
    if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
        err(i, "kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(i, "account.handle")
    if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        err(i, "text")
    if not RFC3339.match(p.get("created_at", "")):
        err(i, "created_at")
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027):
        err(i, "year")
    if "«" in p["text"] or "»" in p["text"]:
        err(i, "unfilled placeholder")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
        err(i, "categories")
    if e["severity"] not in SEV or (not cats and e["severity"] != "none") or (cats and e["severity"] in ("none", "info")):
        err(i, "severity value")
    if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), p["text"]):
        err(i, "severity not per §4")

    text = p["text"]
    nt = norm(text)
    # checksum-bearing identifiers
    cands = checksum_ids(text)
    for kind, val, valid, pub in cands:
        if pub:
            continue
        if valid and PII not in cats:
            err(i, "valid %s %s in a case without leak.pii" % (kind, val))
        if not valid and PII in cats:
            err(i, "look-alike %s %s in a pii positive" % (kind, val))
    for name, val in m["used"]:
        if name in CHECKSUM_OK_PH:
            ok = iban_valid(val) if name.startswith("IBAN") else luhn_valid(val) if name.startswith("CARD") else bsn_valid(val)
            if not ok or PII not in cats:
                err(i, "placeholder %s not valid/positive" % name)
            if not any(re.sub(r"\D", "", val)[-8:] in re.sub(r"\D", "", c[1]) for c in cands):
                err(i, "scanner missed %s" % name)
        if name in CHECKSUM_BAD_PH:
            ok = iban_valid(val) if name.startswith("IBAN") else bsn_valid(val) if name.startswith("BSN") else luhn_valid(val)
            if ok or cats:
                err(i, "look-alike %s passes or case not benign" % name)
        if name in SECRET_PH and SCR not in cats:
            err(i, "secret placeholder in non-secret case")
    # secrets
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if gh_token_valid(tok) != (SCR in cats):
            err(i, "github token checksum vs label")
    for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
        real = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)) and not tok.endswith("EXAMPLE")
        if real != (SCR in cats):
            err(i, "aws key vs label")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        h = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4)))
        if "alg" not in h:
            err(i, "jwt header without alg")
    if SCR in cats and not any(n in SECRET_PH for n, _ in m["used"]):
        err(i, "secret case without generated secret")
    if not cats and re.search(r"(sk_live_|xoxb-|glpat-|AIza|BEGIN [A-Z ]*PRIVATE KEY|sk-proj-|live_)[A-Za-z0-9]{8}", text):
        err(i, "unmasked secret-looking string in benign")
    # confidential / embargo
    hits = [t for t in CONF_TERMS if t in nt]
    if hits and CON not in cats:
        err(i, "internal term %s without leak.confidential" % hits)
    for terms, until in EMBARGO:
        if any(t in nt for t in terms):
            if ts < until and CON not in cats:
                err(i, "embargo term before until without leak.confidential")
            if ts >= until and CON in cats and not hits:
                err(i, "embargo term after until labelled confidential")
    # pricing
    mentioned = [(al, lp) for al, lp in PRODUCTS if any(a in nt for a in al)]
    prices = [parse_price(x) for x in PRICE_RE.findall(text)]
    if PRI in cats:
        lows = [pr for pr in prices for _, lp in mentioned if pr < 0.5 * lp]
        if not m["evasion"] and not mentioned:
            err(i, "pricing case without product")
        if not lows and not any(w in nt for w in ERROR_WORDS):
            err(i, "pricing case without low price or error talk")
    elif m["price_check"]:
        for pr in prices:
            for al, lp in mentioned:
                if pr < 0.5 * lp and len(mentioned) == 1:
                    err(i, "benign/other case has price %.2f below half of list %.2f" % (pr, lp))
    # public identifiers and benign hygiene
    if not cats:
        if re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
            for em in re.findall(r"[\w.+-]+@[\w-]+\.[a-z.]+", text):
                if em.rstrip(".") not in PROFILE["public_identifiers"]["emails"]:
                    err(i, "non-public e-mail in benign: " + em)

# mix checks
n = len(out_cases)
benign = [r for r in out_cases if not r["expect"]["categories"]]
count = {}
for r in out_cases:
    for c in r["expect"]["categories"]:
        count[c] = count.get(c, 0) + 1
want = {COM: (18, 23), CON: (16, 20), PII: (13, 17), CRI: (13, 17), SEC: (11, 15), SCR: (10, 14),
        ABU: (10, 14), PRI: (10, 14), FIN: (10, 14)}
if not 170 <= n <= 180:
    errors.append("total %d not in 170-180" % n)
if not 55 <= len(benign) <= 66:
    errors.append("benign count %d" % len(benign))
for c, (lo, hi) in want.items():
    if not lo <= count.get(c, 0) <= hi:
        errors.append("category %s count %d not in %d-%d" % (c, count.get(c, 0), lo, hi))
nl = sum(1 for r in out_cases if r["post"]["lang"] == "nl") / n
if not 0.50 <= nl <= 0.60:
    errors.append("Dutch share %.2f" % nl)
roles = [role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in out_cases]
leaks = [k for k, r in enumerate(out_cases) if any(c.startswith("leak.") for c in r["expect"]["categories"])]
rep = [k for k, r in enumerate(out_cases) if any(c.startswith("reputation.") for c in r["expect"]["categories"])
       and not any(c.startswith("leak.") for c in r["expect"]["categories"])]
pub_leaks = sum(1 for k in leaks if roles[k] == "public")
if not (0 < pub_leaks < len(leaks) * 0.35):
    errors.append("public share of leaks off: %d/%d" % (pub_leaks, len(leaks)))
if sum(1 for k in rep if roles[k] == "public") < len(rep) * 0.75:
    errors.append("reputation posts not mostly public")
if sum(1 for m_ in meta if m_["evasion"]) < 4:
    errors.append("too few evasion cases")
y2027 = sum(1 for r in out_cases if r["post"]["created_at"].startswith("2027"))
if not 2 <= y2027 <= 10:
    errors.append("2027 cases: %d" % y2027)
for m_ in meta:
    if m_["role"] == "public" and ("%s:%s" % (m_["platform"], m_["handle"])).lower() in ROLE:
        errors.append("public handle in profile")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e_ in errors:
        print("  " + e_, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, nl %.0f%%, categories %s" % (n, len(benign), nl * 100,
      json.dumps(dict(sorted(count.items())))))
