#!/usr/bin/env python3
"""Held-out evaluation set for postwatch: Avondweide Dierenuitvaart B.V. (pet cremation).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and self-checks it (checksums, CONTRACT §6 shape, severities per CONTRACT §4
computed from the account role in profile.yaml).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(410_2026)

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return len(digits) >= 12 and tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(RNG.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def fmt_card(c, sep=" "):
    return sep.join(c[i:i + 4] for i in range(0, len(c), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(RNG.randint(1, 9)) + "".join(RNG.choice("0123456789") for _ in range(7))
        tot = sum(int(s[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            b = s + str(last)
            assert bsn_ok(b)
            return b


# --------------------------------------------------------------------------- secrets
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM


def rnd(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


AWS_ID = "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
AWS_SECRET = rnd(ALNUM + "+/", 40)
GH1 = make_github("ghp_")
GH2 = make_github("gho_")
STRIPE = "sk_live_" + rnd(ALNUM, 24)
SLACK = "xoxb-%d-%d-%s" % (RNG.randint(10**11, 10**12 - 1), RNG.randint(10**12, 10**13 - 1), rnd(ALNUM, 24))
OPENAI = "sk-proj-" + rnd(ALNUM + "_-", 74) + "T3BlbkFJ" + rnd(ALNUM + "_-", 74)
ANTHROPIC = "sk-ant-api03-" + rnd(ALNUM + "_-", 93) + "AA"
MOLLIE = "live_" + rnd(ALNUM, 30)
GOOGLE = "AIza" + rnd(ALNUM + "_-", 35)
JWT1 = make_jwt({"sub": "klant-48213", "role": "portal_admin", "iss": "klantportaal", "iat": 1781942400})
PEM_BODY = "\n".join(
    base64.b64encode(b"openssh-key-v1\x00" + bytes(RNG.getrandbits(8) for _ in range(37))).decode()[:70]
    if i == 0 else base64.b64encode(bytes(RNG.getrandbits(8) for _ in range(52))).decode()[:70]
    for i in range(5)
)
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + PEM_BODY + "\n-----END OPENSSH PRIVATE KEY-----"
DB_PW = "Tr0uwHondje" + str(RNG.randint(10, 99))
DB_URL = f"postgresql://avw_app:{DB_PW}@10.20.0.14:5432/crm"

JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
                 "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# --------------------------------------------------------------------------- identifiers
IBAN1 = make_iban("RABO", "%010d" % RNG.randint(10**8, 10**9))
IBAN2 = make_iban("INGB", "%010d" % RNG.randint(10**6, 10**7))
IBAN3 = make_iban("ABNA", "%010d" % RNG.randint(10**8, 10**9))
CARD1 = make_card("4")
CARD2 = make_card("5" + str(RNG.randint(1, 5)))
BSN1 = make_bsn()
BSN2 = make_bsn()

# look-alikes for negatives: each must FAIL its checksum
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
BAD_IBAN = "NL13RABO0312456789"
BAD_CARD = "4111 1111 1111 1112"
BAD_CARD2 = "5412 7534 1290 0416"
BAD_BSN = "123456780"

# --------------------------------------------------------------------------- roles
def _acct_set(kind):
    return {a.lower() for a in PROFILE["accounts"][kind]}


CORP, EMPL = _acct_set("corporate"), _acct_set("employee")


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, has_checksum_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = 3
                if c in ("leak.secret", "leak.pricing"):
                    lvl = 4
                if c == "leak.pii" and has_checksum_id:
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        s = max(s, lvl)
    return SEV[s]


# --------------------------------------------------------------------------- cases
CAT = {
    "C": "reputation.complaint", "X": "reputation.crisis", "A": "reputation.abuse",
    "P": "leak.pii", "K": "leak.secret", "S": "leak.security", "F": "leak.confidential",
    "N": "leak.financial", "R": "leak.pricing",
}
CASES = []


def c(acct, text, cats, lang, when=None, kind=None, ids=(), evasion=False, sample_ok=()):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(CAT[x] for x in cats),
                      lang=lang, when=when, kind=kind, ids=list(ids), evasion=evasion,
                      sample_ok=list(sample_ok)))


ZW = "\u200b"

# ============================ complaints ============================
c("x:@hanneke_vos", "@avondweide 9 dagen na de crematie van Guus nog steeds geen urn ontvangen. Elke keer als ik bel is het 'volgende week'. Dit is al zwaar genoeg zonder dat gedoe 😞", "C", "nl")
c("facebook:Mark.Tillemans", "Paid extra for the Thuisophaal service because I couldn't face driving with Luna in the back of the car. The van showed up 4 hours late and the driver didn't even say sorry. Avondweide, you can do so much better than this.", "C", "en")
c("instagram:@sarahvanhout_", "pootafdruk memento besteld en hij kwam aan in 3 stukken. niet eens fatsoenlijk ingepakt, gewoon in een envelop. dit was het laatste wat ik nog van mijn kat had @avondweide.nl", "C", "nl", kind="comment")
c("reddit:u/tired_lab_owner", "Long post, sorry. We chose individual cremation for our lab at Avondweide, the big dog tier, and we got the Eikenhart urn back with a deep scratch across the lid and the name plate spelled wrong (\"Bailie\"). Called them, 40 min on hold, then disconnected. Emailed twice. Nothing. Not how I wanted to remember him.", "C", "en")
c("x:@roos_ploeg", "Dubbel afgeschreven voor de gemeenschappelijke crematie van ons konijn. 2 weken geleden al gemaild, nul reactie. Hallo?? #avondweide", "C", "nl")
c("facebook:Ingrid.Haverkamp.71", "Heel erg teleurgesteld in Avondweide. De afscheidskamer was niet schoongemaakt, er lag nog een dekentje van de familie voor ons op de tafel. Wij wilden gewoon rustig afscheid nemen van Bikkel en moesten eerst zelf opruimen.", "C", "nl")
c("x:@milo_forever_", "ordered the Zilverpoot pendant w/ Milo's ashes in it. clasp snapped on day 3 and now half of him is somewhere on the tram. customer service says 'not covered by warranty'. great. thanks @avondweide", "C", "en")
c("forum:Tamara_B", "Mijn ervaring met Avondweide: telefonisch prima geholpen, maar daarna 3 weken niks gehoord over de herinneringsboom. Toen ik zelf belde bleek de bestelling 'kwijt' te zijn. 2 sterren en dat is nog vriendelijk.", "C", "nl")
c("threads:@jip.en.janneke", "wtf avondweide, €180 extra 'weekendtoeslag' op de factuur terwijl dat NERGENS op de site staat. had ik dat geweten…", "C", "nl")
c("tiktok:@dogmomlisa", "they told us individual cremation and then the certificate says 'gemeenschappelijke crematie'??? which one is it Avondweide, because we paid for the first one", "C", "en", kind="comment")
c("x:@gerdien_m", "Lieve @avondweide_zorg, ik hang nu 50 minuten in de wachtrij. Mijn hond ligt hier op een deken in de gang. Kan iemand alsjeblieft opnemen 🙏", "C", "nl")
c("mastodon:@quietfern@mastodon.social", "The online memorial page Avondweide made for our cat has had the wrong name on it for a month. Three emails. It still says 'Mickey' instead of 'Mikkie'. Small thing, but it hurts every time I open it.", "C", "en")

# ====================== crisis + complaint (first-hand safety) ======================
c("facebook:Yvonne.Brinkman", "Die Lichtpuntje kaars van Avondweide vloog gisteravond bijna in brand!! De hele houder werd zwart en smolt op de vensterbank, vlammen van 10 cm. Ik stond er gelukkig naast. Niet normaal voor een herdenkingskaars, kinderen hadden erbij kunnen zijn.", "XC", "nl")
c("x:@corinne_w", "My daughter cut her hand open on the Glasherinnering orb from @avondweide. It just cracked in her hands when she picked it up. 4 stitches at A&E tonight. Absolutely furious.", "XC", "en")
c("instagram:@nadia.kaya", "Sinds ik de Zilverpoot hanger draag heb ik een vuurrode jeukende uitslag in mijn nek, huisarts denkt aan nikkel. Er staat letterlijk 'nikkelvrij' op het doosje @avondweide.nl 😡", "XC", "nl", kind="comment")
c("reddit:u/greyhound_gone", "Warning about the Rustmand (the willow basket Avondweide sells so you can bring your pet in). Ours gave off such a strong chemical smell that my partner and I both got splitting headaches and were nauseous by the time we got there. Opened all the windows and we were fine after an hour, but what is in that varnish?? Not what you need on the worst day of the year.", "XC", "en")
c("x:@familie_oostra", "Medewerker van Avondweide tilde onze herder de ophaalbus in, de laadklep schoot los en kwam vol op het been van mijn vader. Ambulance erbij, scheenbeen gebroken. Geen excuus, niks gehoord sindsdien.", "XC", "nl")

# ============================ crisis (third party / news) ============================
c("x:@dierenrecht_wim", "BOYCOT @avondweide! Undercoverbeelden laten zien dat 'individuele' crematies gewoon met z'n vijven tegelijk de oven in gaan. Deel dit zodat niemand er meer intrapt. #avondweide #boycot", "X", "nl")
c("reddit:u/petlaw_nl", "Apparently a class action is being put together against Avondweide Dierenuitvaart by owners who think they got the wrong ashes back. The law firm's page went up yesterday, 60+ families signed up already.", "X", "en")
c("blog:houtenlokaal.nl", "Volgens RTV Utrecht heeft de omgevingsdienst een onderzoek geopend naar het crematorium van Avondweide aan de Meerkoetweg in Houten, na tientallen klachten over zwarte rook en stank. Omwonenden spreken van 'weken' overlast.", "X", "nl")
c("x:@zwolle_nieuws_", "Brand in een van de ovens bij Avondweide in Zwolle vannacht, twee medewerkers met brandwonden naar het Isala. Brandweer was er tot 4 uur.", "X", "nl")
c("facebook:Petra.vanVliet.3", "Klantgegevens van Avondweide liggen op straat?? In een Telegramgroep verkoopt iemand een lijst met namen, adressen en zelfs de namen van overleden huisdieren. Heeft iemand hier meer over gehoord? Ik sta er misschien ook in.", "X", "nl")
c("x:@consumentnl_tips", "Avondweide roept de Maanlicht urn terug: het glazuur zou lood bevatten. Gekocht tussen maart en juni? Niet aanraken met blote handen en contact opnemen.", "X", "nl")
c("tiktok:@truthaboutpets", "stitch this: ex-employee of Avondweide says pets were kept in an unrefrigerated shed for DAYS in the summer heat before cremation. if this is true it is horrifying #petloss #avondweide", "X", "en")
c("x:@paardenpraat", "Rechtszaak tegen Avondweide dient volgende maand. Eigenaresse van een paard eist schadevergoeding omdat de crematie die ze betaald heeft volgens haar nooit heeft plaatsgevonden.", "X", "nl")
c("bluesky:@anneloes.bsky.social", "Don't use Avondweide. Spread the word. What they did to those families is a scandal and still nobody is being held accountable. #BoycottAvondweide", "X", "en")
c("forum:kattenvrouwtje", "Iemand de uitzending van Radar gisteren gezien over Avondweide? Ze lieten zien dat de pootafdrukken soms van een 'standaardpoot' uit een mal worden gemaakt in plaats van van je eigen dier. Ik ben er echt kapot van.", "X", "nl")

# ============================ abuse ============================
c("x:@boze_burger_nl", "@avondweide stelletje aasgieren, verdienen geld aan het verdriet van mensen. Walgelijk tuig zijn jullie.", "A", "nl")
c("x:@rick_outspoken", "Avondweide staff are the most useless bunch of brain-dead idiots I've ever had the misfortune of dealing with. Every single one of them.", "A", "en")
c("instagram:@kim.x.o", "die dikke trut aan de balie bij avondweide houten moet echt ontslagen worden, wat een arrogant wijf", "A", "nl", kind="comment")
c("x:@nooitmeer_avw", "av0ndw31d3 = k4nk3rb3dr1jf. r0t 0p m3t jull13 'w4rm 4fsch31d' 🤮", "A", "nl", evasion=True)
c("reddit:u/throwaway_rage22", "f*** Avondweide and f*** that smug manager Ruud. Hope your ovens burn your whole shitty building to the ground with you in it.", "A", "en")
c("x:@kvdlinden", "Weer zo'n klant die denkt dat ie ons kan afzeiken omdat z'n hamster 'te lang' duurde. Ga lekker zeiken bij je dierenarts, achterlijke mongool.", "A", "nl")
c("x:@dutchgrump", "Avondweide you pathetic \u0441unts, rot in hell", "A", "en", evasion=True)
c("facebook:Sandra.deBoer.1980", "Drie keer gebeld over de as van onze Sammie, drie keer een ander verhaal. Stelletje prutsers en leugenaars zijn jullie. Kankerlijers.", "AC", "nl")
c("x:@tom_h_uk", "@avondweide_zorg your driver dropped my dog's body on the pavement right in front of my kids. You absolute morons. Worst day of our lives and you made it worse.", "AC", "en")
c("tiktok:@gewoonmartijn", "die gast van avondweide in die video is echt een vieze vuile flikker, bah", "A", "nl", kind="comment")
c("x:@avondweide_zorg", "@pietjepuk77 Get lost, you whiny idiot. Nobody here has to put up with your nonsense.", "A", "en")
c("x:@marja_1961", "Jullie zijn echt de grootste oplichters van Nederland, tyfuslijers. Ik hoop dat jullie failliet gaan @avondweide", "A", "nl")

# ============================ personal data ============================
c("x:@avondweide_zorg", "@miekevdb Dank voor uw geduld. We hebben het doorgezet: mevr. M. van den Berg, Lindelaan 14, 3712 AB Zeist, tel. 06-41278390. De chauffeur komt morgen tussen 9 en 11 uur.", "P", "nl")
c("x:@bregje_uitvaart", f"Can someone from finance pick this up pls? Refund €245 for dossier 44718 to K. Bos, {fmt_iban(IBAN1)}, she's been waiting 3 weeks already", "P", "en", ids=[("iban", IBAN1)])
c("x:@marloes_avw", "Collega's, wie heeft mevrouw Yıldız teruggebeld? Haar nummer is +31 6 2849 1175, ze wacht al sinds gisteren op nieuws over haar kat.", "P", "nl")
c("facebook:AvondweideDierenuitvaart", f"Beste Henk, de betaling met kaart {fmt_card(CARD1)} (geldig tot 08/28) is helaas mislukt. Wilt u het nog een keer proberen via de link in de mail?", "P", "nl", kind="comment", ids=[("card", CARD1)])
c("x:@kvdlinden", "lol the man who just brought in his iguana was born on 29-02-1964, Frank Oosterhuis, leap day baby, told us his whole life story at the counter 😂", "P", "en")
c("linkedin:ruud-hoekstra-avondweide", f"Nieuwe collega Sanne de Groot (BSN {BSN1}) begint maandag bij de ophaaldienst. Kan HR haar contract alvast klaarzetten? Welkom Sanne!", "P", "nl", ids=[("bsn", BSN1)])
c("instagram:@avondweide.nl", "@lotte_en_pip wat fijn dat de urn goed is aangekomen 💛 Voor de herinneringsboom hebben we uw mailadres lotte.pieters88@hotmail.com genoteerd, u hoort binnenkort van ons.", "P", "nl", kind="comment")
c("x:@daankuipers_", "@avondweide_zorg nobody ever calls me back. FINE. my number is 06 18 42 77 53 and email daan.kuipers@ziggo.nl. call me TODAY about my dog's ashes, it's been 3 weeks.", "PC", "en")
c("facebook:Rob.Meijer.Apeldoorn", f"Voor de mensen die vroegen hoe je je geld terugkrijgt bij Avondweide: ik heb gewoon mijn rekeningnummer {IBAN2} t.n.v. R. Meijer in de mail gezet en binnen 2 dagen stond het erop 👍", "P", "nl", ids=[("iban", IBAN2)])
c("mastodon:@joostp@mastodon.nl", "Testing the new intake form and pasted in a real one by accident: Name: Ilse Koster, DOB 14/07/1971, Kerkstraat 88, 1017 GL Amsterdam. oops. deleting in a sec", "P", "en")
c("x:@kvdlinden", "bel mevr. Van Dijk even terug over de Eikenhart: 0" + ZW + "6-5" + ZW + "5" + ZW + "1" + ZW + "9" + ZW + "3" + ZW + "0" + ZW + "2" + ZW + "7", "P", "nl", evasion=True)
c("linkedin:avondweide-dierenuitvaart", f"Bevestiging crematie 'Bolle': eigenaar J. Hendriks, Molenweg 3, 7421 CK Deventer, betaald met creditcard {fmt_card(CARD2, '-')}. Ophalen donderdag.", "P", "nl", ids=[("card", CARD2)])
c("reddit:u/zwolle_walker", f"Found this in a paper bin outside Avondweide in Zwolle: a payslip for a 'T. Brouwer' with BSN {BSN2[:3]} {BSN2[3:6]} {BSN2[6:]} and bank account {IBAN3} on it. No idea who to hand it to.", "P", "en", ids=[("bsn", BSN2), ("iban", IBAN3)])
c("instagram:@daan.crematietechniek", "Feestje vandaag! Onze trouwste klant mevrouw Annie Visser, geboren 3 mei 1931, komt al 20 jaar bij ons met haar katten. Gefeliciteerd Annie 🎂💐", "P", "nl")
c("bluesky:@femke-avw.bsky.social", "if anyone from the Deventer team sees this: the family's email is w.hoogland@kpnmail.nl and their phone 0570-612448, they asked for the paw print to be redone", "P", "en")

# ============================ secrets ============================
c("x:@kvdlinden", f"why does the aws cli keep saying access denied 🙃 using key {AWS_ID} and secret {AWS_SECRET}, region eu-west-1. halp", "K", "en")
c("mastodon:@joostp@mastodon.nl", f"wie heeft de nieuwe github token voor de planning-repo? deze werkt niet meer: {GH1}", "K", "nl")
c("linkedin:noor-el-idrissi", f"Quick tip for fellow webshop devs: set your Stripe key once in a config module instead of everywhere.\n\nimport stripe\nstripe.api_key = \"{STRIPE}\"\n\nSaved us hours this sprint!", "K", "en")
c("x:@marloes_avw", "wifi op locatie Houten is veranderd, voor wie vanavond dienst heeft: netwerk AVW-Staff, wachtwoord: Avw!Houten2026#", "K", "nl")
c("bluesky:@femke-avw.bsky.social", f"our slack bot stopped posting the daily pickup list. token is {SLACK}, anyone know if these expire?", "K", "en")
c("x:@bregje_uitvaart", f"De chatbot voor rouwvragen draait nu op GPT, best gaaf. Voor de collega's die willen testen: key is {OPENAI}", "K", "nl")
c("mastodon:@joostp@mastodon.nl", f"deploy broken again, can someone check if this is the right key for the oven-monitor box?\n\n{PEM}", "K", "en")
c("x:@kvdlinden", f"Deze token krijg ik terug van de klantportaal-API, waarom verloopt ie nooit? {JWT1}", "K", "nl")
c("facebook:ilse.verbeek.avondweide", f"Voor de stagiair die vroeg hoe hij bij de klantendatabase komt: {DB_URL} (niet doorsturen hè)", "K", "nl")
c("x:@webdev_spotter", f"Avondweide heeft hun Mollie API-key gewoon in de JavaScript van de betaalpagina staan lol: {MOLLIE}. iemand moet ze even mailen", "K", "nl")
c("bluesky:@femke-avw.bsky.social", f"ok who changed the Claude key for the memorial-text generator, the old one {ANTHROPIC} now 401s", "K", "en")
c("x:@marloes_avw", "inlog voor het urnenbeheer in de winkel: gebruiker beheer_houten / \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44\uff1a Kaars&Poot_71", "K", "nl", evasion=True)

# ============================ security ============================
c("x:@kvdlinden", "Het hele CRM ligt er al sinds 6 uur vanochtend uit, we kunnen geen ophaalafspraken meer zien. IT fluistert 'ransomware' maar we mogen niks tegen klanten zeggen 🤐", "S", "nl")
c("linkedin:noor-el-idrissi", "Not official yet, but last week we found that our customer portal let anyone see other families' invoices just by changing the number in the URL. Patch is coming. Big lesson for me about access control.", "S", "en")
c("mastodon:@joostp@mastodon.nl", "De besturing van oven 2 in Zwolle hing gewoon zonder wachtwoord aan het internet, ontdekte een collega vandaag. Voor zover ik weet nog niet gemeld bij de AP.", "S", "nl")
c("x:@bregje_uitvaart", "someone in finance clicked a phishing link monday and the attacker has been reading our shared mailbox all week. we only found out this morning. apparently we keep it quiet for now", "S", "en")
c("x:@marloes_avw", "backups van de klantdatabase draaien al 3 weken niet en niemand had het door. als er nu iets crasht zijn we alles kwijt. top geregeld weer", "S", "nl")
c("bluesky:@femke-avw.bsky.social", "heads up to my team: the online booking site will be down all weekend, we got hit by a ddos thursday night and management doesn't want to announce it", "S", "en")
c("instagram:@daan.crematietechniek", "De toegangspoortjes en camera's van de koelcel in Houten zijn al 4 dagen stuk, de deur staat 's nachts gewoon open. Niemand buiten ons die het weet. Hoop dat het snel gemaakt wordt.", "S", "nl")
c("mastodon:@joostp@mastodon.nl", "From the inside: a laptop with an unencrypted export of ~12k customer records was stolen from our Deventer office last week. Not announced yet. I think people deserve to know.", "S", "en")
c("x:@marloes_avw", "planning.avondweide.nl geeft al de hele ochtend 502, intern zeggen ze dat er iemand in de server heeft gezeten 😬", "SF", "nl")
c("linkedin:ruud-hoekstra-avondweide", "We found a SQL injection in the memorial page form last Friday and it's still unpatched, the vendor is slow. Not something we can talk about publicly yet, but frustrating.", "S", "en")
c("x:@kvdlinden", "our payment page has been skimmed since september apparently. forensics firm came in today. management still 'assessing' whether to tell customers", "S", "en")
c("facebook:ilse.verbeek.avondweide", "Laat maar weten als jullie vandaag niet op het klantportaal kunnen inloggen, er is een lek gevonden en alle wachtwoorden worden gereset. Is nog niet naar buiten gebracht hoor 😬", "S", "nl")
c("x:@bregje_uitvaart", "r.a.n.s.o.m.w.a.r.e op de planningscomputer van de ovens, 2e keer deze maand. we doen alles weer op papier", "S", "nl", evasion=True)

# ============================ confidential ============================
c("x:@marloes_avw", "Eerste tests met Project Zwaluw lopen super, klanten gaan dit echt fijn vinden. Meer mag ik nog niet zeggen 🤫", "F", "nl")
c("linkedin:noor-el-idrissi", "Spent the whole week in Kolibrie workshops with the product team. Can't share details yet, but 2027 is going to be a big year for us.", "F", "en")
c("x:@bregje_uitvaart", "Stroomrust komt eraan!! Eindelijk een alternatief zonder vuur voor mensen die dat niet willen 💧", "F", "nl", when="2026-09-14T18:22:05Z")
c("instagram:@avondweide.nl", "Introducing Avondweide Stroomrust: a gentle, water-based farewell for your companion. Bookings open in January 🌊", "F", "en", when="2026-11-03T10:00:00Z")
c("mastodon:@joostp@mastodon.nl", "Iemand de link naar het nieuwe rooster? Staat op https://intra.avondweide.local/rooster/week48 maar ik krijg hem thuis niet open", "F", "nl")
c("x:@kvdlinden", "screenshot from crm.avondweide.lan, look how many pickups we did in december 🔥 team is on fire", "F", "en")
c("linkedin:ruud-hoekstra-avondweide", "Trots op ons nieuwe kwaliteitshandboek! Het is eigenlijk 'uitsluitend intern gebruik', maar één highlight mag vast: elke familie krijgt binnen 24 uur een vaste contactpersoon.", "F", "nl")
c("reddit:u/leakwatcher_eu", "Someone posted an Avondweide slide deck marked 'AVONDWEIDE INTERNAL' on a forum. It's all about 'Operatie Nachtvlinder', looks like a new night-time pickup service.", "F", "en")
c("instagram:@daan.crematietechniek", "\uff2f\uff50\uff45\uff52\uff41\uff54\uff49\uff45 \uff2e\uff41\uff43\uff48\uff54\uff56\uff4c\uff49\uff4e\uff44\uff45\uff52 gaat door jongens 🦋🦋", "F", "nl", evasion=True)
c("x:@kvdlinden", "FY2026 results are looking really good internally, can't wait until we can share them 📈", "FN", "en", when="2027-01-15T16:40:12Z")
c("x:@marloes_avw", "K" + ZW + "o" + ZW + "l" + ZW + "i" + ZW + "b" + ZW + "r" + ZW + "i" + ZW + "e demo vandaag ging top, directie was om", "F", "nl", evasion=True)
c("bluesky:@femke-avw.bsky.social", "sneak peek van iets waar we aan werken, komt pas volgend jaar uit en mag eigenlijk nog niet: een urn met ingebouwde QR-code naar de online herdenkingspagina 🤫", "F", "nl")
c("mastodon:@joostp@mastodon.nl", "VPN acting up again, anyone else getting timeouts on vpn.avondweide.nl this morning?", "F", "en")
c("x:@bregje_uitvaart", "Net de mail gehad met 'niet extern delen' erboven haha, maar vooruit: vanaf januari geen weekendophaal meer in Friesland.", "F", "nl")
c("x:@yara_speculeert", "my cousin works at Avondweide and says 'Project Zwaluw' is a subscription thing, you pay monthly and your pet's cremation is covered later. calling it now", "F", "en")
c("x:@kvdlinden", "P.r.o.j.e.c.t Z.w.a.l.u.w gaat live in Q2 zeggen ze 👀", "F", "nl", evasion=True)
c("x:@marloes_avw", "Nog 8 dagen en dan mogen we eindelijk over Stroomrust praten 😍", "F", "nl", when="2027-01-12T08:15:00Z")

# ============================ financial ============================
c("linkedin:noor-el-idrissi", "Omzet in Q3 met 22% gestegen, maar de marge is bijna gehalveerd door de gasprijs. De cijfers komen pas in november naar buiten, maar ik ben nu al trots op het team.", "N", "nl")
c("x:@bregje_uitvaart", "heard at the all-hands today that we're being bought by Everrest Pet Memorials from the UK. deal closes in feb. nobody is supposed to know yet", "N", "en")
c("x:@marloes_avw", "Zwolle gaat dicht. 14 collega's eruit. Officieel wordt het pas na de kerst verteld. Ben er kapot van.", "N", "nl")
c("linkedin:noor-el-idrissi", "Our 2027 forecast has us at €31m revenue, up from €24m. The board signed off yesterday. Exciting times ahead!", "N", "en")
c("mastodon:@joostp@mastodon.nl", "Fusie met Rustpunt Dierencrematoria is zo goed als rond, hoorde ik van de CFO. Moet alleen nog langs de ACM.", "N", "nl")
c("linkedin:avondweide-dierenuitvaart", "Draft for the H1 post, numbers from finance: Avondweide H1 2026 EBITDA €3.4m on revenue €11.8m (+14%). CEO quote TBC before we publish on the 15th.", "N", "en")
c("x:@kvdlinden", "Reorganisatie: alle chauffeurs van de ophaaldienst gaan per 1 maart via een uitzendbureau ipv vast contract. Geheim tot de OR het gezien heeft.", "N", "nl")
c("reddit:u/utrecht_insider", "Friend in Avondweide's finance team says they're about €2m behind budget this year and the bank is getting nervous. Expect cuts soon.", "N", "en")
c("instagram:@daan.crematietechniek", "Prognose van de directie: volgend jaar 40% meer paardencrematies door het nieuwe contract met een grote manege-keten. Nog niet getekend maar het is binnen 😎", "N", "nl")
c("bluesky:@femke-avw.bsky.social", "so the 'restructuring' is real: 25 FTE gone across customer service and the Houten site, letters go out next week.", "N", "en")
c("x:@marloes_avw", "Jaarcijfers 2026: winst €1,9 mln, bijna het dubbele van vorig jaar. Ssst 🤐", "NF", "nl", when="2027-02-10T12:30:00Z")

# ============================ pricing ============================
c("x:@avondweide", "Deze week: individuele crematie kat voor slechts €24,50, inclusief Maanlicht urn! 🕯️", "R", "nl")
c("x:@bregje_uitvaart", "uhh our webshop is selling the Eikenhart urn for €11.90 right now, someone fix the price pls 😂", "R", "en")
c("x:@koopjesjager_nl", "Prijsfout bij Avondweide? Zilverpoot hanger voor €17,90 in de webshop, snel zijn!", "R", "nl")
c("reddit:u/frugal_in_nl", "PSA: Avondweide's site lists the Zachte Wolk Pakket at €49.50 instead of €495. Probably a typo, grab it if you need it, sadly.", "R", "en")
c("facebook:AvondweideDierenuitvaart", "Herinneringsboom nu tijdelijk voor €15,90 (normaal €159)! Plant een blijvende herinnering 🌳", "R", "nl")
c("linkedin:ruud-hoekstra-avondweide", "Collega's, let op: in de kassa staat de crematie paard op €145 in plaats van €1450. Prijsfout, niet verkopen tegen die prijs!", "R", "nl")
c("instagram:@avondweide.nl", "Glasherinnering bol, now only €22.90 ✨ link in bio", "R", "en")
c("tiktok:@budgetbabe_nl", "lol de Lichtpuntje kaars kost €2,49 op hun site, zal wel een prijsfout zijn maar ik heb er 10 besteld", "R", "nl", kind="comment")
c("x:@kvdlinden", "price error on the Kleine Vriend cremation in the booking app, it's showing €12.90 😬 already 30 bookings in", "R", "en")
c("x:@spaarvarken", "Avondweide Zorgplan voor €1,49 per jaar?? dat is toch een fout", "R", "nl")
c("x:@avondweide", "Pootafdruk Memento nu voor €4,90 bij elke crematie 🐾", "R", "nl")
c("mastodon:@joostp@mastodon.nl", "The Thuisophaal service shows €6.50 on the new site. Is that a price error or did someone decide pickups are basically free now?", "R", "en")

# ============================ benign (hard negatives) ============================
B = ""
c("facebook:Anja.Rademaker", "Wat een warm afscheid van onze Bobbie bij Avondweide. De Stiltekamer was prachtig en de medewerker nam alle tijd voor ons. Dank jullie wel ❤️", B, "nl")
c("x:@pip_and_me", "Just got Pip's ashes back in the Maanlicht urn from @avondweide. It's beautiful. Crying again, but the good kind.", B, "en")
c("x:@avondweide", "Heeft u vragen over een crematie? Wij zijn dag en nacht bereikbaar op 0800-2683 of via zorg@avondweide.nl.", B, "nl")
c("instagram:@avondweide.nl", "Individual cat cremation from €245, including collection from your vet. More at avondweide.nl 🐾", B, "en")
c("facebook:AvondweideDierenuitvaart", "Deze maand 20% korting op de Eikenhart urn: van €119 voor €95,20. Handgemaakt van Nederlands eikenhout.", B, "nl")
c("linkedin:avondweide-dierenuitvaart", "We're hiring an intern for our marketing team in Utrecht! Interested? Send your CV to vacatures@avondweide.nl.", B, "en")
c("forum:maxie_baasje", "Wat kost een individuele crematie hond groot bij Avondweide ongeveer? Onze Max wordt 15 en ik wil een beetje voorbereid zijn.", B, "nl")
c("x:@hazel_writes", "Wow, a pet crematorium in the UK got caught mixing ashes. So glad we went with Avondweide, where we could actually be there during the cremation.", B, "en")
c("x:@roos_ploeg", "Update: Avondweide heeft alsnog gebeld, excuses gemaakt en de dubbele afschrijving is teruggestort. Netjes opgelost 👍", B, "nl")
c("facebook:Chris.Lang.Ede", "Thinking of everyone who lost a pet this week. If you're in NL, the people at Avondweide were so kind to us last year. Sending love.", B, "en")
c("x:@marloes_avw", "Vandaag 12 jaar bij Avondweide. Elke dag verdrietig en mooi tegelijk. Dankbaar voor dit werk 🕊️", B, "nl")
c("x:@kvdlinden", "reminder for the new devs: never commit creds, use env vars. the docs example AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is fine to paste in a ticket, a real one is not", B, "en", sample_ok=["AKIAIOSFODNN7EXAMPLE"])
c("mastodon:@joostp@mastodon.nl", "Sinds vandaag loggen we tokens in de planningstool alleen nog gemaskeerd, zoals ghp_****************************a1. Goede tip van de security-meetup!", B, "nl")
c("x:@twijfelaar_88", f"Kan iemand checken of dit het rekeningnummer van Avondweide is? {BAD_IBAN} stond op een factuur die ik per mail kreeg, lijkt net anders dan op de site.", B, "nl")
c("reddit:u/checkout_woes", f"Why does Avondweide's checkout reject my card? I typed {BAD_CARD} to test the form and it just says 'invalid'. lol ok", B, "en")
c("x:@bregje_uitvaart", f"Uit de intaketraining: BSN {BAD_BSN} is ongeldig, want de 11-proef klopt niet. Handig om te weten als je formulieren controleert!", B, "nl")
c("x:@avondweide", "It's here: Avondweide Stroomrust, a gentle water-based farewell for your companion. Book from today at avondweide.nl 🌊", B, "en", when="2027-01-21T08:00:00Z")
c("linkedin:avondweide-dierenuitvaart", "Vandaag publiceren wij onze jaarcijfers 2026. De omzet steeg naar €24,6 miljoen. Het volledige verslag staat op avondweide.nl/investeerders.", B, "nl", when="2027-03-04T09:00:00Z")
c("x:@minoes_en_ik", "the way my cat stares at me like I've already booked her a slot at Avondweide 😂 relax Minoes, you're 6", B, "en")
c("x:@oldboy_benny", "fireworks tonight, keep your pets inside folks. lost my old boy to the stress on NYE a few years ago. Avondweide took such good care of him after.", B, "en")
c("facebook:Gert.Jan.Mulder", "Wij betaalden €325 voor de crematie van onze Jack Russell, inclusief ophalen bij de dierenarts. Vond het redelijk voor wat je krijgt bij Avondweide.", B, "nl")
c("reddit:u/planner_pete", "How does the Avondweide Zorgplan work? €149 a year seems steep but maybe worth it for peace of mind with two old dogs?", B, "en")
c("instagram:@daan.crematietechniek", "Kijkje achter de schermen: zo maken we een pootafdruk in klei. Elk afdrukje is uniek 🐾 #avondweide", B, "nl")
c("bluesky:@femke-avw.bsky.social", "Our team ran the Utrecht half marathon for the animal shelter today 🏃‍♀️ proud of every single one of them!", B, "en")
c("x:@zwolsemeid", "anyone know a good pet crematorium near Zwolle? avondweide or somewhere else? tips welcome, our cat doesn't have long", B, "en")
c("tiktok:@sophie_and_bruno", "the man who did our farewell at avondweide was an absolute angel. thank you Ruud, you made the worst day bearable", B, "en", kind="comment")
c("instagram:@avondweide.nl", "Vandaag is het Werelddierendag. We denken aan alle dieren die niet meer bij ons zijn 🌈", B, "nl")
c("x:@bregje_uitvaart", "Great session on phishing awareness today. Reminder to all our families: we will never ask for your password or bank details by phone.", B, "en")
c("x:@marloes_avw", "Wachtwoord vergeten voor het klantportaal? Klik op 'wachtwoord resetten' op de inlogpagina en je krijgt binnen een minuut een mail.", B, "nl")
c("facebook:ilse.verbeek.avondweide", f"Voor de cursus gebruiken we gewoon het voorbeeld van jwt.io: {JWT_IO_SAMPLE} — nooit een echte token in je slides!", B, "nl", sample_ok=[JWT_IO_SAMPLE])
c("x:@brabantnieuws_", "Dierencrematorium Hemelboog uit Tilburg is failliet verklaard. Klanten met een openstaande bestelling moeten zich melden bij de curator.", B, "nl")
c("x:@nala_forever", "Lost my cat Nala yesterday. Avondweide picked her up within two hours. If anyone needs them: +31 30 555 0190. They were lovely.", B, "en")
c("linkedin:ruud-hoekstra-avondweide", "Mooie dag op de beurs Dier & Afscheid in Houten. Veel gesproken over duurzaamheid en hoe we families nog beter kunnen begeleiden.", B, "nl")
c("x:@avondweide_zorg", "Some of you had trouble reaching us by phone this morning. That's fixed now, thank you for your patience 💙", B, "en")
c("instagram:@bram.was.here", "Het Sterretje staat naast de foto van Bram. Zo klein maar zo belangrijk 💫 (€39 en elke cent waard)", B, "nl", kind="comment")
c("reddit:u/bigdog_dad", "Anyone compared prices? Avondweide quoted €425 for the large dog cremation, the other place near Arnhem quoted €510. Both seemed decent.", B, "en")
c("x:@moeder_van_drie", "Avondweide heeft 15% korting op de Zilverpoot hanger, €152,15 ipv €179. Mooi cadeau voor mijn moeder die haar hond zo mist.", B, "nl")
c("x:@kvdlinden", "my nephew asked if I 'burn dogs for a living'. technically yes buddy 😂 kids are brutal", B, "en")
c("facebook:Marieke.Stam", "Mijn schoonzus werkt bij Avondweide en zegt dat het echt een fijne werkgever is. Respect voor dat werk, ik zou het niet kunnen.", B, "nl")
c("x:@biscuit_memories", "Happy birthday to Biscuit, who would've turned 10 today, born 12 March 2016 🎂 his little urn from Avondweide is on the mantelpiece. miss you buddy", B, "en")
c("linkedin:noor-el-idrissi", "Ten years ago I started as an intern at Avondweide. Today I lead our Deventer location. Grateful for everyone who believed in me.", B, "en")
c("reddit:u/rustig_afscheid", f"Betaald met creditcard eindigend op 4417, iDEAL deed even moeilijk. Mijn oude bestelnummer {BAD_CARD2} werkte trouwens niet meer in het portaal. Verder alles snel geregeld bij Avondweide.", B, "nl")
c("x:@privacy_petra", "Alweer een huisdierverzekeraar gehackt, 200.000 klantrecords op straat. Gelukkig vroeg Avondweide bij ons alleen wat echt nodig was.", B, "nl")
c("x:@avondweide", "Let op: er gaan nep-sms'jes rond namens Avondweide. Wij vragen nooit via sms om te betalen. Twijfelt u? Bel 0800-2683.", B, "nl")
c("x:@lotje_mama", "Stroomrust bij Avondweide gekozen voor onze Lotje. Geen vuur, heel rustig en kleinschalig. Mooi alternatief.", B, "nl", when="2027-02-02T19:45:00Z")
c("bluesky:@femke-avw.bsky.social", f"For families who prefer a bank transfer: our account is {PUB_IBAN} in the name of Avondweide Dierenuitvaart B.V., please add your file number.", B, "en")
c("x:@vet_recommends", "Our vet recommended Avondweide and honestly, no regrets. Clear, honest pricing and they called a week later just to check on us.", B, "en")
c("tiktok:@katjes_en_koffie", "POV: je neemt de urn mee naar huis en je kitten van 1 begint er meteen aan te snuffelen 😭🐈", B, "nl", kind="comment")
c("x:@sunset_room_fan", "The farewell room at Avondweide is stunning, floor-to-ceiling windows over the fields. I wasn't ready for how peaceful it felt.", B, "en")
c("x:@wouter_en_sam", "Our dog died yesterday 😢 Avondweide is coming to collect him tomorrow. I didn't know it could hurt this much.", B, "en")
c("x:@tom_h_uk", "@avondweide_zorg thanks for the call today, and for the driver coming round to apologise in person. it doesn't undo it but it means a lot.", B, "en")
c("linkedin:noor-el-idrissi", "Workshop secure coding vandaag. Voorbeeld uit de Stripe-docs: sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Zet nooit echte live keys in je code!", B, "nl")
c("reddit:u/first_time_loss", "Is it normal that a pet cremation takes a week? Avondweide said 5 to 7 working days for individual. Just want to know what to expect.", B, "en")
c("mastodon:@joostp@mastodon.nl", "config template for the new repo: DATABASE_URL=postgres://user:password@localhost:5432/dbname. replace with your own locally, obviously", B, "en")
c("x:@radarkijker", "Heel verhaal bij Radar over oplichters die zich voordoen als dierencrematorium. Gelukkig was Avondweide bij ons gewoon eerlijk en duidelijk.", B, "nl")
c("linkedin:avondweide-dierenuitvaart", "Our 2025 annual report is online: 14,000 farewells, 180 colleagues and a new location in Deventer. Thank you to every family who trusted us.", B, "en")
c("x:@hondenliefde_", "Bij Avondweide een pootafdruk laten maken voor €49, ziet er prachtig uit. Hangt nu naast de voordeur.", B, "nl")
c("threads:@avondweide.nl", "Nieuw in onze winkel: de Haarlok lijst, €59. Bewaar een plukje vacht voor altijd 🤍", B, "nl")
c("x:@ilona_vraagt", "Hoe werkt dat eigenlijk, een crematie paard bij Avondweide? Kan je erbij zijn? Onze merrie is 29 en ik wil het weten voordat het zover is.", B, "nl")
c("x:@marloes_avw", "De Herinneringsboom van mevrouw V. staat nu in het gedenkbos. Ze stuurde ons een kaartje, ik moest er even van huilen 🌳", B, "nl")


# --------------------------------------------------------------------------- build
def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = RNG.randint(0, 345 * 24 * 3600)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    out = []
    for n, i in enumerate(order, 1):
        k = CASES[i]
        role = role_of(k["platform"], k["handle"])
        checksum_ids = [v for kind, v in k["ids"] if kind in ("iban", "card", "bsn")]
        sev = severity(role, k["cats"], bool(checksum_ids) and "leak.pii" in k["cats"])
        kind = k["kind"] or ("reply" if k["text"].startswith("@") else "post")
        post = {
            "id": f"avw410-{n:03d}",
            "platform": k["platform"],
            "kind": kind,
            "account": {"handle": k["handle"]},
            "text": k["text"],
            "lang": k["lang"],
            "created_at": k["when"] or rand_time(),
            "brand": "avondweide",
        }
        out.append((k, role, {"post": post, "expect": {"categories": k["cats"], "severity": sev}}))
    return out


# --------------------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t).lower()


def prices(t):
    vals = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?!\d)(\s?(?:m|mln|miljoen)\b)?", t):
        if m.group(2):
            continue
        s = m.group(1)
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
            s = re.sub(r"[.,]", "", s)
        else:
            s = s.replace(",", ".")
        vals.append(float(s))
    return vals


def check(rows):
    errs = []
    ids = set()
    prof = PROFILE
    pub_ibans = {re.sub(r"\s", "", x).upper() for x in prof["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            errs.append(f"public IBAN {x} fails mod-97")
    codenames = [x.lower() for x in prof["internal"]["codenames"]]
    markers = [x.lower() for x in prof["internal"]["markers"]]
    idomains = [x.lower() for x in prof["internal"]["domains"]]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    for e in prof["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until must be in 2027")
    products = [(a.lower(), p["list_price"]) for p in prof["products"] for a in p["aliases"] + [p["name"]]]
    ratio = prof["pricing"]["alert_below_ratio"]
    assert ratio == 0.5 and all(p["currency"] == "EUR" for p in prof["products"])
    assert 15 <= len(prof["products"]) <= 25
    assert len(prof["accounts"]["corporate"]) >= 6 and len(prof["accounts"]["employee"]) >= 8
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3

    for k, role, row in rows:
        p, e = row["post"], row["expect"]
        pid = p["id"]
        # --- CONTRACT §6 shape
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        if back != row:
            errs.append(f"{pid}: json roundtrip")
        if set(row) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            errs.append(f"{pid}: top-level keys")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append(f"{pid}: bad/duplicate id")
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"]:
            errs.append(f"{pid}: text")
        if not RFC3339.fullmatch(p["created_at"]):
            errs.append(f"{pid}: created_at")
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027):
            errs.append(f"{pid}: year")
        if ts.year == 2027 and k["when"] is None:
            errs.append(f"{pid}: random 2027 date")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{pid}: categories {cats}")
        if e["severity"] not in SEV:
            errs.append(f"{pid}: severity")
        if not cats and e["severity"] != "none":
            errs.append(f"{pid}: benign must be none")
        if cats and e["severity"] == "none":
            errs.append(f"{pid}: positive with none")
        # severity recomputed independently from the profile role
        if role_of(p["platform"], p["account"]["handle"]) != role:
            errs.append(f"{pid}: role")

        t = p["text"]
        nt = norm(t)
        compact = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", t)).upper()
        # --- identifiers
        for kind, v in k["ids"]:
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](v)
            if not ok:
                errs.append(f"{pid}: {kind} {v} fails checksum in a positive")
            if re.sub(r"\D", "", v) not in re.sub(r"\D", "", t) and v not in compact:
                errs.append(f"{pid}: {kind} not in text")
            if "leak.pii" not in cats:
                errs.append(f"{pid}: id without leak.pii")
        for m in re.finditer(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", compact):
            s = m.group(0)
            if s in pub_ibans:
                continue
            if iban_ok(s) and "leak.pii" not in cats:
                errs.append(f"{pid}: valid IBAN {s} in a non-pii case")
            if not iban_ok(s) and cats:
                errs.append(f"{pid}: failing IBAN {s} in a positive")
        for m in re.finditer(r"(?<![\w-])(\d[\d \-]{11,22}\d)(?![\w-])", t):
            d = re.sub(r"\D", "", m.group(1))
            if 13 <= len(d) <= 19 and luhn_ok(d) and "leak.pii" not in cats:
                errs.append(f"{pid}: Luhn-valid number in a non-pii case")
            if 13 <= len(d) <= 19 and not luhn_ok(d) and "leak.pii" in cats:
                errs.append(f"{pid}: Luhn-failing card in a positive")
        for m in re.finditer(r"(?<![\d])(\d{3}\s?\d{3}\s?\d{3}|\d{9})(?![\d])", t):
            d = re.sub(r"\D", "", m.group(1))
            if bsn_ok(d) and "leak.pii" not in cats:
                errs.append(f"{pid}: 11-proof number in a non-pii case")
        if not cats:
            for bad in (BAD_IBAN, BAD_CARD, BAD_CARD2, BAD_BSN):
                if re.sub(r"\s", "", bad) in re.sub(r"\s", "", t):
                    if (iban_ok(bad) if bad.startswith("NL") else
                            (luhn_ok(bad) if len(re.sub(r"\D", "", bad)) > 9 else bsn_ok(bad))):
                        errs.append(f"{pid}: look-alike passes its checksum")
        # --- secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if not github_ok(tok):
                errs.append(f"{pid}: github token with bad CRC")
            if "leak.secret" not in cats:
                errs.append(f"{pid}: valid github token in a non-secret case")
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", t):
            if tok not in k["sample_ok"] and "leak.secret" not in cats:
                errs.append(f"{pid}: AWS key in a non-secret case")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if not jwt_ok(tok):
                errs.append(f"{pid}: JWT header without alg")
            if tok not in k["sample_ok"] and "leak.secret" not in cats:
                errs.append(f"{pid}: JWT in a non-secret case")
        if re.search(r"sk_live_|xoxb-|sk-proj-|sk-ant-|\blive_[0-9A-Za-z]{30}|BEGIN [A-Z ]*PRIVATE KEY", t) \
                and "leak.secret" not in cats:
            errs.append(f"{pid}: credential in a non-secret case")
        # --- internal names / embargo
        hits = [x for x in codenames + markers + idomains if x in nt]
        if hits and "leak.confidential" not in cats:
            errs.append(f"{pid}: internal term {hits} without leak.confidential")
        for term, until in embargo:
            if term in nt:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term '{term}' before until, not confidential")
                if ts >= until and "leak.confidential" in cats:
                    errs.append(f"{pid}: embargo term '{term}' after until labelled confidential")
        if "leak.confidential" in cats and not k["evasion"]:
            emb_before = any(term in nt and ts < until for term, until in embargo)
            if not hits and not emb_before and not re.search(r"(nog niet|volgend jaar|sneak peek)", nt):
                errs.append(f"{pid}: confidential without any internal term")
        # --- pricing
        found = [(a, lp) for a, lp in products if re.search(r"(?<!\w)" + re.escape(a) + r"(?!\w)", nt)]
        pr = prices(t)
        low = [(a, lp, v) for a, lp in found for v in pr if v < ratio * lp]
        talk = re.search(r"prijsfout|price error|typo|fix the price|\bfout\b", nt)
        if "leak.pricing" in cats:
            if not found or not (low or talk):
                errs.append(f"{pid}: pricing case without product + low price/price-error talk")
        else:
            # a low price next to a product outside a pricing case only in non-catalogue context
            if found and low:
                errs.append(f"{pid}: low price next to product {low} in a non-pricing case")
        # --- complaint+crisis rule, evasion presence
        if "reputation.crisis" in cats and role != "public":
            errs.append(f"{pid}: crisis from own account")
    # --- mix
    n = len(rows)
    benign = sum(1 for _, _, r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"total {n} not in 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"benign {benign} not ~60")
    return errs


def main():
    rows = build()
    errs = check(rows)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for _, _, row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    # summary
    from collections import Counter
    cat = Counter(c for _, _, r in rows for c in r["expect"]["categories"])
    lang = Counter(r["post"]["lang"] for _, _, r in rows)
    role = Counter(ro for _, ro, _ in rows)
    sev = Counter(r["expect"]["severity"] for _, _, r in rows)
    benign = sum(1 for _, _, r in rows if not r["expect"]["categories"])
    multi = sum(1 for _, _, r in rows if len(r["expect"]["categories"]) > 1)
    print(f"cases={len(rows)} benign={benign} positives={len(rows) - benign} multi-label={multi}")
    print("categories:", dict(sorted(cat.items())))
    print("lang:", dict(lang), "roles:", dict(role), "severity:", dict(sev))
    print("evasion cases:", sum(1 for k, _, _ in rows if k["evasion"]))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
