#!/usr/bin/env python3
"""Evaluation set 455 for postwatch: Kraagman Uniforms B.V. (fictional school and
corporate uniforms supplier).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and checks it:
  * every line is a valid CONTRACT section 6 case (post per section 1);
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own IBAN excepted);
  * generated credentials are well formed (GitHub CRC-32, AWS id alphabet, JWT header);
  * embargo terms before `until` carry leak.confidential; benign posts contain no
    internal names, no foreign e-mail/phone and no product price below the ratio;
  * severities are computed from CONTRACT section 4 and the account role in the
    profile, never typed by hand.
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
SEED = 455
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct=None, cc="NL"):
    acct = acct or "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bank}{acct}"


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = (chk + 1 + rng.randrange(80)) % 97
    wrong = max(wrong, 2)
    out = f"{good[:2]}{wrong:02d}{good[4:]}"
    assert not iban_ok(out)
    return out


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    out = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(out)
    return out


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    total = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return total % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        for last in string.digits:
            if bsn_ok(head + last):
                return head + last


def bad_bsn():
    good = make_bsn()
    out = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(out)
    return out

# ---------------------------------------------------------------- credentials
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_checksum(body):
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_token(prefix="ghp_"):
    body = rnd(B62, 30)
    return prefix + body + gh_checksum(body)


def aws_key_id():
    return "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rnd(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def rsa_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(330))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rnd(ALNUM + "!#$%&*?@", n)
        if (any(c.isdigit() for c in p) and any(c.isupper() for c in p)
                and any(c in "!#$%&*?@" for c in p)):
            return p


GH1 = gh_token("ghp_")
GH2 = gh_token("gho_")
AKIA = aws_key_id()
AWSSEC = aws_secret()
STRIPE = "sk_live_" + rnd(ALNUM, 24)
SLACK = f"xoxb-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)}"
GOOGLE = "AIza" + rnd(URLSAFE, 35)
GITLAB = "glpat-" + rnd(URLSAFE, 20)
OPENAI = "sk-" + rnd(ALNUM, 20) + "T3BlbkFJ" + rnd(ALNUM, 20)
ANTHROPIC = "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"
JWT1 = jwt({"sub": "ouder-48213", "name": "portal-api", "role": "parent_admin",
            "iat": 1767312000, "exp": 1767398400})
PEM = rsa_pem()
PW_INSTA = password(13)
PW_DB = password(16)
PW_MONGO = password(15)

# ---------------------------------------------------------------- personal data
IBAN_P2 = make_iban("INGB")
IBAN_P12 = make_iban("ABNA")
CARD_P5 = make_card("4")
CARD_P11 = make_card("5" + str(rng.randint(1, 5)))
BSN_P4 = make_bsn()
BSN_P16 = make_bsn()
# look-alikes for benign posts
IBAN_BAD = bad_iban("SNSB")
CARD_BAD = bad_card("6037")
BSN_BAD = bad_bsn()
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
assert iban_ok(PUB_IBAN)

# ---------------------------------------------------------------- cases
CAT = {
    "S": "leak.secret", "P": "leak.pii", "R": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "Y": "leak.security", "K": "reputation.crisis",
    "Q": "reputation.complaint", "A": "reputation.abuse",
}
CASES = []


def add(codes, platform, handle, lang, text, kind="post", date=None, ids=(), price_ok=False):
    CASES.append(dict(codes=codes, platform=platform, handle=handle, lang=lang, text=text,
                      kind=kind, date=date, ids=list(ids), price_ok=price_ok))


# ===== complaints ==========================================================
add("Q", "x", "@mama_van_drie", "nl",
    "Bestelling 3 weken geleden geplaatst, school begint maandag en nog steeds geen blazers binnen. "
    "@kraagman_help dit is echt de 2e keer dit jaar 😤 #kraagman", date="2026-08-28T07:41:00Z")
add("Q", "facebook", "sandra.kuipers.90", "nl",
    "Na 2x wassen op 30 graden is de Scholar Plooirok van mijn dochter van marineblauw naar een soort "
    "paars verkleurd. Wasvoorschrift precies gevolgd. Klantenservice zegt 'normale slijtage'. Na twee "
    "wasbeurten?? Nooit meer Kraagman.")
add("Q", "x", "@tim_bakt", "nl",
    "@kraagman_help al 47 minuten in de wacht. 47. Ik wil alleen een maatje ruilen", kind="reply",
    date="2026-03-29T09:14:00Z")
add("Q", "reddit", "u/throwaway_parent88", "en",
    "PSA for parents at schools that use Kraagman: their return window is 14 days and they count from the "
    "ORDER date, not delivery. Our box took 12 days to show up so we had 2 days to try everything on. "
    "Exchange refused. Really poor.")
add("Q", "instagram", "@lisa.fotografeert", "nl",
    "Logo van de school staat gewoon scheef geborduurd op alle 4 de truien 🙄 en dan €44,95 per stuk vragen",
    kind="comment")
add("Q", "linkedin", "erik-dols-facilities", "en",
    "Third month in a row our hotel's Concierge suit delivery is incomplete. 40 ordered, 31 delivered, "
    "invoice for 40. Kraagman account management doesn't return calls. We're reviewing the contract.")
add("Q", "x", "@verpleegkundige_nina", "nl",
    "Die nieuwe CareFlex tunieken die we op de afdeling hebben gekregen: naden scheuren al na een week "
    "open bij de oksels. Zorg is al zwaar genoeg zonder kapotte kleding 🙃 #kraagman")
add("Q", "threads", "@kezia.m", "en",
    "kraagman's webshop literally logs you out at the payment step every single time. tried 3 browsers. "
    "school uniform shopping shouldn't be this painful")
add("Q", "x", "@harrietgoesnorth", "en",
    "Paid express shipping (€7.95) for Kraagman blazers because of the school photo. Arrived 2 days AFTER "
    "the photo. Express refund request: ignored.")
add("Q", "forum", "Bianca_R", "nl",
    "Iemand anders ook zo'n ervaring met de Storm Softshell? Rits ging na 3 weken kapot, garantie "
    "afgewezen omdat het 'gebruikersschade' zou zijn. Kind is 8 en doet gewoon een jas dicht.")
add("Q", "facebook", "Mark.Oyelaran", "en",
    "Kraagman embroidered my son's name as 'Oliwer' instead of 'Oliver'. On all five items. Now they want "
    "me to send everything back at my own cost. No.")
add("Q", "mastodon", "@geoff@mas.to", "en",
    "Kraagman's Signaal hi-vis parka: reflective strips started peeling after two weeks on site. Whole "
    "crew has them. Not impressed.")
add("Q", "x", "@ashleigh_k", "en",
    "@kraagman_help your chatbot keeps telling me my order is 'in transit' while tracking says returned to "
    "sender since Tuesday. can a human pls look at it", kind="reply", date="2026-11-26T13:31:00Z")

# ===== first-hand harm: crisis + complaint =================================
add("KQ", "facebook", "Ellen.deBoer.7", "nl",
    "Mijn dochter (7) kreeg binnen een uur na het aantrekken van haar nieuwe Kraagman Campus trui rode "
    "bultjes en jeuk over haar hele nek en armen. Huisarts denkt aan een reactie op de verfstof. Trui gaat "
    "retour en ik wil weten wat erin zit!!", date="2026-09-03T18:22:00Z")
add("KQ", "x", "@welder_stevie", "en",
    "Kraagman Vlamtex overall caught fire at the sleeve during a routine grinding job today. It's meant to "
    "be flame retardant. Small burn on my wrist, could've been way worse. Never trusting this gear again.")
add("KQ", "x", "@vader_van_sem", "nl",
    "Knoop van de Kraagman schoolblazer zat zo los dat mijn zoontje van 4 hem in z'n mond had en zich "
    "verslikte. Gelukkig kwam ie eruit. Dit is kleding voor kleuters!! @kraagman_help")
add("KQ", "reddit", "u/nightshift_rn", "en",
    "My Kraagman CareFlex tunic builds up so much static that I got a proper shock off the bed rails, made "
    "me drop a syringe. That's a real hazard on a ward. Complained to facilities, nothing happens.")
add("KQ", "instagram", "@sportjuf_ilse", "nl",
    "Na de gymles had de helft van mijn klas uitslag op hun armen van die nieuwe Sprint gymsets. Ikzelf "
    "ook, van het docentenshirt. Ouders bellen me de hele avond. Kraagman, wat is dit?")

# ===== crisis only =========================================================
add("K", "x", "@kledingwaakhond", "nl",
    "Onderzoek: in de Scholar-broeken van Kraagman zijn PFAS-gehaltes gemeten ver boven de Europese norm. "
    "Tienduizenden schoolkinderen dragen ze dagelijks. #PFAS #kraagman")
add("K", "x", "@fairwear_watch", "en",
    "Our audit found 14-year-olds sewing Kraagman school blazers at a subcontractor outside Dhaka. Schools "
    "across NL and BE are buying these. #boycottKraagman")
add("K", "facebook", "OuderraadDeLinde", "nl",
    "Oproep aan alle ouders: koop géén Kraagman uniformen meer tot ze openheid geven over de fabrieken. "
    "Wij als ouderraad stoppen per direct met de schoolbestellingen. Delen!!")
add("K", "linkedin", "sarah-lindqvist-legal", "en",
    "We have filed a class action on behalf of 230 hospitality workers over Kraagman workwear that caused "
    "chemical skin burns. More in the court filing tomorrow.")
add("K", "x", "@regionieuws_twente", "nl",
    "Bij een metaalbedrijf in Hengelo raakte een medewerker gisteren zwaargewond toen zijn werkkleding vlam "
    "vatte. Het ging om een Vlamtex overall van Kraagman, bevestigt de Arbeidsinspectie.")
add("K", "x", "@parentsunitedNL", "en",
    "Has Kraagman been hacked? Half our parent group got phishing mails with their kids' names, schools and "
    "sizes right after ordering. Something leaked there.")
add("K", "reddit", "u/bezorgde_vader", "nl",
    "Zijn er meer ouders die een mail kregen met de naam van hun kind + klas + bestelnummer van Kraagman en "
    "een 'betaallink'? Dit ruikt gewoon naar een datalek.")
add("K", "x", "@ConsumentAlert", "nl",
    "TERUGROEPACTIE: Kraagman roept de Stripe Schooldas met clipsluiting terug vanwege verstikkingsgevaar "
    "bij jonge kinderen. Stop direct met gebruik.")
add("K", "tiktok", "@styledbyjas", "en",
    "a 'no ethnic hairstyles' clause in Kraagman's hotel uniform guidelines?? in 2026?? #boycottkraagman")
add("K", "x", "@nieuwsuur_kijker", "nl",
    "Dus Kraagman laat de uniformen voor BOA's maken in een fabriek waar vorig jaar een brand was met 12 "
    "doden? En niemand zegt er iets van? Schandalig.")

# ===== abuse ===============================================================
add("A", "x", "@dennis_r_82", "nl", "Kraagman is echt een kankerbedrijf. Oplichters zijn het.")
add("A", "x", "@rk_blaze", "en",
    "whoever runs @kraagman_help is a useless brain-dead idiot, hope you get fired", date="2026-09-20T19:40:00Z")
add("A", "x", "@jongeh0nd", "nl", "k@nker l1jers bij kr44gm4n, stelletje t3r1ngl0pers")
add("A", "instagram", "@xx.stefano.xx", "nl",
    "Die Lotte van Kraagman marketing is een domme trut, blokkeert me overal. Ik weet waar je werkt hè 😉",
    kind="comment")
add("A", "reddit", "u/grumpyvet", "en",
    "Kraagman customer service are all f*cking morons who can't read an order form. Absolute clowns.")
add("A", "facebook", "Harm.Wolters", "nl",
    "Natuurlijk weer zo'n hoofddoekmeid aan de telefoon bij Kraagman die geen Nederlands kan. Stuur ze "
    "allemaal terug.")
add("A", "x", "@jurgen_magazijn", "nl",
    "@tim_bakt jij bent gewoon een zeurende eikel, ga lekker ergens anders je broekjes kopen", kind="reply",
    date="2026-03-29T21:47:00Z")
add("A", "x", "@kraagman_help", "en",
    "@rk_blaze oh shut up you pathetic troll, nobody cares about your 'review'", kind="reply",
    date="2026-09-20T22:03:00Z")
add("A", "tiktok", "@lolbroekk", "nl", "kraagman uniformen zijn voor mongolen 🤡🤡")
add("A", "x", "@nope_not_today", "en",
    "K r a a g m a n  =  s c u m. you lot are f u c k i n g thieves")
add("AQ", "x", "@mvdl_ouder", "nl",
    "Die bezorger van Kraagman is een vuile kloot\u200bzak, gooit de doos met schooluniformen gewoon over "
    "het hek in de regen")
add("A", "bluesky", "@hatespiral.bsky.social", "en",
    "Every Kraagman employee I've ever dealt with is a lazy moron. Honestly disgusting people.")

# ===== confidential ========================================================
add("C", "x", "@lotte_kraagman", "nl",
    "Kan niet wachten tot we Project Tarpan mogen aankondigen 🤫 dit gaat de schooluniformmarkt echt op "
    "z'n kop zetten")
add("C", "linkedin", "koen-van-lierop", "en",
    "Great session today with our hospitality clients. Sneak peek: the EcoLine blazer (recycled PET, 40% "
    "lighter) lands early next year. DM me for samples!", date="2026-10-14T13:05:00Z")
add("C", "x", "@bramsmit_km", "nl",
    "Wie heeft er wéér een jira.kraagman.nl/browse/WEB-2121 link in een klantenmail gezet 🤦")
add("C", "facebook", "KraagmanUniformen", "nl",
    "Nieuwe maattabel schooljaar 2026-2027 [ALLEEN VOOR INTERN GEBRUIK – concept v3] zie bijlage")
add("C", "x", "@leakytailor", "en",
    "someone sent me Kraagman's internal deck 😂 'Greyfinch go-live 1 March, old webshop off, all school "
    "accounts migrated'. KM-INTERN stamped on every slide lol")
add("C", "x", "@dewi_atelier", "nl",
    "Mag er niks over zeggen maar \u041eperatie Vingerhoed betekent voor ons atelier nogal wat 😬")
add("C", "bluesky", "@rubenkm.bsky.social", "en",
    "TIL dropping the legacy cart API makes checkout ~40% faster. Greyfinch is going to be so much nicer "
    "than what we run now")
add("C", "mastodon", "@femkejanssen@mastodon.nl", "nl",
    "Planning in de groepsapp gedeeld, vergeten dat er 'strikt vertrouwelijk' bovenaan stond. Oeps. Nou ja: "
    "de nieuwe EcoLine collectie gaat half januari de deur uit", date="2026-11-19T16:40:00Z")
add("C", "x", "@jurgen_magazijn", "nl",
    "Morgen de eerste pallets voor Operatie Vinger\u200bhoed binnen, hal 3 in Waalwijk wordt helemaal "
    "omgebouwd 💪")
add("C", "x", "@lotte_kraagman", "en",
    "\uff25\uff43\uff4f\uff2c\uff49\uff4e\uff45 photoshoot day!! 📸 cant show anything yet but wowww",
    date="2026-09-22T10:12:00Z")
add("C", "linkedin", "ingrid-hoekstra-kraagman", "nl",
    "Vacaturetekst gaat vandaag live! (ps collega's: interne kandidaten eerst via "
    "https://hr.kraagman.local/vacatures/intern aanmelden aub)")
add("C", "threads", "@kraagman.uniforms", "en",
    "draft – KM-INTERN – do not publish: back to school campaign v2, budget split 60/40 TikTok/Insta")
add("C", "x", "@schoolleider_jan", "nl",
    "Van onze accountmanager gehoord dat de EcoLine blazer vanaf januari de Classic vervangt. Wij wachten "
    "dus nog even met bestellen.", date="2026-11-02T08:55:00Z")
add("C", "linkedin", "koen-van-lierop", "en",
    "Tip for new colleagues: the tender price book lives on https://intranet.kraagman.local/sales/prijsboek-2027 "
    "— please stop mailing PDFs around!")

# ===== financial ===========================================================
add("CF", "linkedin", "youssef-bakkali-km", "nl",
    "Laatste checks op de jaarcijfers 2026 gedaan. Omzet +18%, en dat in dít jaar! Trots op iedereen in "
    "Tilburg.", date="2027-02-19T17:30:00Z")
add("F", "x", "@lotte_kraagman", "en",
    "heard at the all-hands: back-to-school revenue came in 22% under budget. leadership says 'no panic'. sure.")
add("F", "x", "@jurgen_magazijn", "nl",
    "Net gehoord dat het magazijn in Waalwijk eind volgend jaar dichtgaat, 60 man op straat. Officieel "
    "weten we van niks natuurlijk.")
add("F", "reddit", "u/tilburg_local", "en",
    "My sister-in-law works at Kraagman HQ, says they're buying Schoolkleding Direct for around 30 million. "
    "Announcement after summer.")
add("CF", "linkedin", "koen-van-lierop", "nl",
    "Kan nog niks zeggen, maar Project Tarpan is rond: per 1 januari nemen wij een Belgische concurrent "
    "over 🇧🇪🤝")
add("F", "x", "@bramsmit_km", "en",
    "forecast slide for 2027 says EBITDA drops to 3.1M from 5.4M and they still want us to 'do more with "
    "less'. cool cool")
add("F", "mastodon", "@femkejanssen@mastodon.nl", "nl",
    "Reorganisatie bij ons op logistiek: drie teams worden er één, zo'n 25 fte verdwijnt. Communicatie "
    "volgt 'in Q1'. Zwaar.")
add("F", "instagram", "@marloes.borduurt", "nl",
    "Laatste maanden in het atelier in Enschede 😢 alles gaat naar Portugal (sst, nog niet officieel)")
add("F", "linkedin", "ingrid-hoekstra-kraagman", "en",
    "Preparing 40 redundancy conversations for next week is the hardest part of HR. If anyone at Kraagman "
    "reads this before the announcement: I'm sorry.")
add("F", "x", "@beursgoeroe_nl", "nl",
    "Tip uit m'n netwerk: Kraagman staat in de etalage, een Duitse Berufskleidung-groep zou €95 mln bieden. "
    "Nog niet naar buiten gebracht.")
add("F", "x", "@dewi_atelier", "en",
    "guess who saw the half-year numbers before the board did 👀 net loss of 1.2M, so the bonus pot is "
    "gonna be thin this year")
add("F", "x", "@kraagman_nl", "nl",
    "[concept – nog niet publiceren] Kraagman verwacht over 2026 een omzet van €80-82 mln en een daling van "
    "de marge naar 6%.")

# ===== security ============================================================
add("Y", "x", "@bramsmit_km", "nl",
    "Ransomware op de fileserver vannacht. Hele ERP plat, we draaien op papieren pakbonnen. Mag nog niks "
    "naar buiten dus je hoort het niet van mij 🙃")
add("Y", "bluesky", "@rubenkm.bsky.social", "en",
    "fun fact: our school parent portal shows you anyone's order if you just change the number in the URL. "
    "reported it in March, still not fixed 🫠")
add("Y", "x", "@jurgen_magazijn", "nl",
    "Scanners in het magazijn doen het al 2 dagen niet, IT zegt dat er 'iets binnengekomen is' via een "
    "mailtje. Alles met de hand dus 😩")
add("Y", "reddit", "u/naaldvrouw_km", "en",
    "Kraagman IT just made all of us reset passwords. Rumour is the HR mailbox got phished and someone's "
    "been reading it for weeks. Nothing announced yet.")
add("Y", "linkedin", "youssef-bakkali-km", "nl",
    "Voor wie het zich afvroeg: de betaalmodule van de webshop ligt al sinds vanochtend 6u plat, oorzaak "
    "nog onbekend. Externe communicatie volgt.")
add("Y", "x", "@lotte_kraagman", "en",
    "our email marketing tool got compromised, someone sent a fake 'refund' mail to 12k parents from our "
    "account. PR is freaking out, statement comes tomorrow")
add("Y", "bluesky", "@rubenkm.bsky.social", "nl",
    "Ontdekt dat onze oude Magento-installatie nog gewoon publiek bereikbaar is, met het standaard "
    "admin-wachtwoord erop. Ticket aangemaakt, maar ja.")
add("Y", "mastodon", "@femkejanssen@mastodon.nl", "en",
    "warehouse management system down across all three sites since 5am, trucks queuing outside Waalwijk. "
    "not on any status page yet so keep it quiet pls")
add("Y", "x", "@ict_freelancer_nl", "nl",
    "Heb als freelancer bij Kraagman gezeten: hun VPN draait nog op een Fortinet-versie met een bekend "
    "kritiek lek. Ze weten het al maanden.")
add("YC", "x", "@bramsmit_km", "en",
    "vpn.kraagman.nl has been leaking internal IPs on its error page for weeks, the pentest flagged it, "
    "nobody cares")
add("Y", "instagram", "@marloes.borduurt", "nl",
    "Borduurmachines liggen stil want het hele netwerk is eruit gehaald na ‘een virus’ 🙄 geen idee wanneer "
    "we weer verder kunnen")
add("Y", "linkedin", "ingrid-hoekstra-kraagman", "en",
    "Reminder to everyone at Kraagman: we are NOT discussing the payroll system breach outside the company "
    "until legal signs off. That includes LinkedIn.")
add("Y", "x", "@dewi_atelier", "nl",
    "niemand mag het weten maar de k.l.a.n.t.e.n.d.a.t.a.b.a.s.e is vorige week g.e.h.a.c.k.t 🤐")

# ===== secrets =============================================================
add("S", "x", "@bramsmit_km", "en",
    f"why does this keep failing 😤\ngit clone https://bram-km:{GH1}@github.com/kraagman/webshop-api.git")
add("S", "bluesky", "@rubenkm.bsky.social", "nl",
    f"Iemand ervaring met deze fout? aws s3 ls geeft AccessDenied met\nAWS_ACCESS_KEY_ID={AKIA}\n"
    f"AWS_SECRET_ACCESS_KEY={AWSSEC}")
add("S", "bluesky", "@rubenkm.bsky.social", "en",
    f"stripe webhook keeps 401ing on the parent portal, here's my env, pls help\nSTRIPE_SECRET_KEY={STRIPE}")
add("S", "x", "@lotte_kraagman", "nl",
    f"Voor de nieuwe collega's van marketing: inloggen op het Insta-beheeraccount met kraagman.social / "
    f"wachtwoord: {PW_INSTA} (niet doorsturen!)")
add("S", "x", "@dev_sjors", "en",
    f"lol @kraagman_nl your Google Maps key is right there in the store locator source: {GOOGLE} … might "
    f"want to restrict that")
add("S", "mastodon", "@femkejanssen@mastodon.nl", "nl",
    f"Slackbot voor de magazijnmeldingen werkt eindelijk! Token voor wie 'm ook wil gebruiken: {SLACK}")
add("S", "bluesky", "@rubenkm.bsky.social", "en",
    f"debugging auth on the parent portal, this is the token I get back, anyone see what's off with exp?\n{JWT1}")
add("S", "x", "@bramsmit_km", "nl",
    f"Connectiestring voor de rapportagetool, want ik ben 'm steeds kwijt: "
    f"postgresql://rapport:{PW_DB}@10.40.2.17:5432/verkoop")
add("S", "x", "@bramsmit_km", "en",
    f"ssh keeps saying 'invalid format', is this key broken or am I?\n{PEM}")
add("S", "threads", "@kraagman.uniforms", "en",
    f"ANTHROPIC_API_KEY={ANTHROPIC}  # caption generator")
add("S", "linkedin", "koen-van-lierop", "nl",
    f"Handig scriptje voor de offerte-export 👇 (token staat er nog in, moet ik nog even weghalen) "
    f"curl -H 'PRIVATE-TOKEN: {GITLAB}' https://gitlab.com/api/v4/projects")
add("SC", "x", "@bramsmit_km", "en",
    f"note to self, orders db: mongodb://ordersvc:{PW_MONGO}@erp.kraagman.local:27017/orders?authSource=admin")

# ===== personal data =======================================================
add("P", "x", "@kraagman_help", "nl",
    "@anja_vd_meer Hoi Anja, we zien je bestelling op Lindelaan 14, 5037 KL Tilburg staan, klopt dat "
    "adres? Dan sturen we de juiste maat alsnog. Groet, Sem", kind="reply")
add("PQ", "x", "@jess_m_2009", "en",
    f"@kraagman_help please just refund me, IBAN {spaced(IBAN_P2)} , name J. Morales. been waiting 3 "
    f"weeks for this", kind="reply", ids=[("iban", spaced(IBAN_P2))])
add("P", "facebook", "Rinus.Vermeer", "nl",
    "Bel me maar terug op 06-41 27 83 90, ben de hele dag thuis. Gaat om de ruil van maat 152 naar 158 "
    "bij Kraagman.", kind="comment")
add("P", "linkedin", "ingrid-hoekstra-kraagman", "nl",
    f"Welkom aan onze nieuwe collega Sevda Yılmaz! Voor de salarisadministratie: BSN {BSN_P4}, start 1 sept.",
    ids=[("bsn", BSN_P4)])
add("P", "x", "@dewi_atelier", "en",
    f"who left their card on the cutting table?? {spaced(CARD_P5)} lol come get it before someone orders "
    f"300 blazers with it", ids=[("card", spaced(CARD_P5))])
add("P", "instagram", "@kraagman.uniforms", "nl",
    "@mirjam.janssen we hebben je mail ontvangen op mirjam.janssen84@gmail.com en sturen vandaag nog een "
    "retourlabel 📦", kind="comment")
add("P", "x", "@jurgen_magazijn", "nl",
    "Pakket voor fam. de Groot, Dorpsstraat 112, 5141 AB Waalwijk ligt hier al 2 weken, niemand neemt op "
    "op 0416-271 938. Wie kent ze?")
add("P", "reddit", "u/helpful_mum", "en",
    "Found: Kraagman school blazer with name tag 'Noah Vermeulen, 12-03-2016, groep 6' at the bus stop on "
    "the Ringbaan. DM me")
add("P", "tiktok", "@kraagman.school", "nl",
    "Gefeliciteerd Daan Peeters (geb. 04-07-2014) met het winnen van onze ontwerpwedstrijd! 🎉 #kraagman")
add("P", "mastodon", "@femkejanssen@mastodon.nl", "en",
    "driver couldn't deliver, customer is Mrs. H. Claassen, Kerkstraat 8, Oisterwijk, +31 6 2874 1193. "
    "anyone local?")
add("PQ", "x", "@priscilla_bos", "nl",
    f"@kraagman_help mijn creditcard is twee keer belast, nummer {CARD_P11} staat op beide afschriften. "
    f"Regel dit nou eens!!", kind="reply", ids=[("card", CARD_P11)])
add("P", "linkedin", "youssef-bakkali-km", "nl",
    f"Terugbetaling klant Van Dijk staat klaar, gaat naar {IBAN_P12}. Kan iemand van CS hem even laten weten?",
    ids=[("iban", IBAN_P12)])
add("P", "facebook", "Tom.Harrington.UK", "en",
    "My wife Sarah ordered the blazers for both kids, her email is sarah.harrington@outlook.com – can "
    "Kraagman send the invoice there? She can't log in.", kind="comment")
add("P", "x", "@bramsmit_km", "nl",
    "Testdata in productie gevonden, o.a. 'Karin Smit, geb. 23-11-1979, Esdoornlaan 3 Goirle'. Echte klant "
    "dus. Pfff.")
add("P", "x", "@martijn_k", "nl",
    f"Kraagman vraagt bij het aanmaken van een zakelijk account om mijn BSN?? {BSN_P16} … waarom hebben "
    f"jullie dat nodig", ids=[("bsn", BSN_P16)])

# ===== pricing =============================================================
add("R", "x", "@dealjager_nl", "nl",
    "PRIJSFOUT 🚨 Kraagman Heritage Wool Blazer voor €14,90 op shop.kraagman.nl, snel zijn! #dealalert")
add("R", "instagram", "@kraagman.uniforms", "en",
    "Back to school deal 🎒 Campus Polo now just €2,49! Link in bio", date="2026-08-10T09:00:00Z")
add("R", "reddit", "u/bargainhunter_eu", "en",
    "Kraagman's site has the Vlamtex Overall at €18.90 instead of 189, someone dropped a zero. ordered 4 😂")
add("R", "linkedin", "koen-van-lierop", "nl",
    "Offerte voor de hotelketen de deur uit: Lobby Blouse à €12,50 per stuk bij 500 stuks. Scherper kan "
    "echt niet 😅")
add("R", "x", "@ouder_in_utrecht", "nl",
    "Er zit een prijsfout in de webshop van Kraagman, de Storm Softshell staat voor 7,99 in het "
    "winkelmandje. Wel gek.")
add("R", "tiktok", "@thriftqueen.nl", "en",
    "kraagman checkout glitch?? Signaal Parka showing €11.90 for me, is this real 😭")
add("R", "x", "@lotte_kraagman", "nl",
    "Oeps, in de nieuwsbrief stond de Brigade Koksbuis voor €6,49. Had €64,95 moeten zijn. Wordt aan "
    "gewerkt!")
add("R", "x", "@mike_hospitality", "en",
    "Is the Kraagman Barista Schort at €2.99 a price error or clearance? Want 30 for the café")
add("R", "instagram", "@jufjoyce", "nl",
    "Campus V-neck voor €4,50 in de Kraagman app 😳 heb er meteen 6 besteld")
add("R", "linkedin", "kraagman-uniforms", "nl",
    "Tenderactie voor scholen: Scholar Pantalon vanaf €9,95 bij afname van 200+ stuks.")
add("R", "x", "@pixelpapa", "en",
    "Kraagman Oxford Schoolshirt for €\uff13.\uff15\uff10?? pricing bug lol")
add("R", "bluesky", "@rubenkm.bsky.social", "nl",
    "Bug in de prijsberekening: met kortingscode SCHOOL10 wordt de Kompas Fleecevest €0,60 in plaats van "
    "€53,96. Hotfix komt. Niet delen 🙈")

# ===== benign: hard negatives ==============================================
add("", "x", "@kraagman_help", "nl",
    "Vragen over je bestelling? Mail ons op klantenservice@kraagman.nl of bel gratis 0800-0477 (ma-vr 8-18u).")
add("", "x", "@happy_dad_jo", "en",
    "Have to say, Kraagman's blazers survived a full year of my 9-year-old. That's a miracle honestly 👏")
add("", "instagram", "@kraagman.uniforms", "nl",
    "Back to school sale 🍂 20% korting op alle Campus Polo's: nu €19,96 i.p.v. €24,95",
    date="2026-08-17T08:00:00Z")
add("", "facebook", "KraagmanUniformen", "nl",
    f"Liever betalen via overboeking? Maak het bedrag over naar {spaced(PUB_IBAN)} t.n.v. Kraagman "
    f"Uniforms B.V. o.v.v. je bestelnummer.")
add("", "bluesky", "@rubenkm.bsky.social", "nl",
    "Nieuwe stagiair vroeg of AKIAIOSFODNN7EXAMPLE 'onze' sleutel was 😂 nee jongen, die staat gewoon als "
    "voorbeeld in de AWS-docs")
add("", "x", "@lien_vos", "nl",
    f"Typfoutje gemaakt in m'n IBAN op het Kraagman retourformulier ({IBAN_BAD}), is dat erg of komt het "
    f"geld gewoon terug?", ids=[("iban-bad", IBAN_BAD)])
add("", "x", "@groothandel_gerrit", "nl",
    f"Klantnummer {spaced(CARD_BAD)} bij Kraagman zakelijk, weet iemand of je daar ook per kwartaal kunt "
    f"factureren?", ids=[("card-bad", spaced(CARD_BAD))])
add("", "linkedin", "ingrid-hoekstra-kraagman", "nl",
    "BSN nodig voor je contract? Stuur 'm nooit via LinkedIn of mail, maar via het beveiligde portaal. "
    "Zo dus NIET: 'mijn BSN is 123456789' 🙈", ids=[("bsn-bad", "123456789")])
add("", "x", "@bramsmit_km", "nl",
    "Reminder voor het devteam: tokens horen in de vault, niet in Slack. Ook niet 'even snel'. Zo ziet "
    "zo'n ding eruit: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX, dus als je dat patroon ziet: niet plakken")
add("", "x", "@nieuwsjunkie", "nl",
    "Concurrent van Kraagman, Schoolkleding Direct, heeft vandaag zijn jaarcijfers gepubliceerd: verlies "
    "van €2 mln. Zware markt.")
add("", "linkedin", "kraagman-uniforms", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: de omzet steeg met 18% naar €84 miljoen. Lees het "
    "persbericht op kraagman.nl/pers", date="2027-03-04T09:30:00Z")
add("", "instagram", "@kraagman.uniforms", "nl",
    "Hij is er: de Kraagman EcoLine blazer 🌱 gemaakt van gerecyclede PET-flessen, 40% lichter. Nu in de "
    "shop!", date="2027-01-20T08:00:00Z")
add("", "x", "@lotte_kraagman", "en",
    "EcoLine is finally out in the wild!! so proud of this team 🌱", date="2027-01-16T11:20:00Z")
add("", "x", "@mama_van_drie", "nl",
    "Update: blazers zijn vandaag alsnog gebracht en Kraagman heeft de verzendkosten terugbetaald. Netjes "
    "opgelost 👍", date="2026-08-29T15:02:00Z")
add("", "facebook", "Greet.Lammers", "nl",
    "Sterkte aan alle mensen van Kraagman in Enschede na het overlijden van jullie collega Henk, 40 jaar "
    "naaister en altijd vrolijk. Wat een vakman was dat.", kind="comment")
add("", "tiktok", "@kraagman.school", "nl",
    "Zo borduren we jouw schoollogo ✨ van ontwerp tot trui in 30 seconden #behindthescenes #kraagman")
add("", "x", "@costofliving_em", "en",
    "school uniform prices keep creeping up everywhere, but at least the Kraagman Classic Blazer is still "
    "€89.95, same as last year")
add("", "x", "@marktplaatsmoeder", "nl",
    "Tweedehands Kraagman blazer gescoord voor €15, zo goed als nieuw 😄 scheelt weer")
add("", "x", "@chef_ramon", "en",
    "jokes aside, the Brigade chef jacket is the only one that survived my kitchen. 10/10 would sweat in "
    "again")
add("", "x", "@nieuwe_collega_m", "nl",
    "Wat een schandaal dat de trein weer niet rijdt, kom ik te laat op m'n eerste dag bij Kraagman 😅")
add("", "reddit", "u/tall_kid_mum", "en",
    "Does the Kraagman Storm Softshell run small? Daughter is between 140 and 152.")
add("", "facebook", "KraagmanUniformen", "nl",
    "Let op: phishing! Wij vragen nooit om je wachtwoord of pincode via mail of sms. Twijfel je? Bel "
    "0800-0477.")
add("", "x", "@bramsmit_km", "en",
    "Planned maintenance tonight 23:00–01:00, shop.kraagman.nl may be briefly unavailable. It's on the "
    "status page.")
add("", "linkedin", "kraagman-uniforms", "en",
    "We're hiring! Junior developer for our e-commerce team in Tilburg. Apply via werkenbij@kraagman.nl")
add("", "x", "@uniform_skeptic", "en",
    "Hot take: school uniforms as a whole are a racket. Not Kraagman's fault specifically, the whole system is.")
add("", "x", "@jules.verheij", "en",
    "Kraagman's customer service sorted my exchange in 10 minutes. Shout out to Mo on the chat 🙌")
add("", "linkedin", "koen-van-lierop", "nl",
    "Mooie dagen op de Horecava! Veel interesse in het Concierge Kostuum en de Barista Schort. Dank voor "
    "alle gesprekken!")
add("", "instagram", "@marloes.borduurt", "en",
    "embroidered 400 crests today 🧵 my hands hurt but look at these")
add("", "x", "@drukke_moeder", "nl",
    "Bij Zalando is mijn bestelling wéér te laat... gelukkig was Kraagman wel op tijd met de schoolkleding")
add("", "x", "@kindveilig_nieuws", "nl",
    "Kinderkledingmerk Lollo Kids roept pyjama's terug wegens brandgevaar. (Nee, niet Kraagman, de "
    "schooluniformen zijn een ander verhaal.)")
add("", "x", "@duurzaam_tilburg", "nl",
    "Top initiatief: Kraagman neemt oude schooluniformen in bij het inzamelpunt in Tilburg en je krijgt "
    "een tegoedbon van €5.")
add("", "facebook", "Ouders.Montessori.Best", "nl",
    "Voor wie het zoekt: Kraagman klantenservice 0800-0477, zakelijke klanten +31 13 555 0142 of "
    "scholen@kraagman.nl", kind="comment")
add("", "x", "@kraagman_help", "en",
    "@ashleigh_k So sorry about this! We've sent you a DM so we can look into your order privately 💙",
    kind="reply", date="2026-11-26T14:05:00Z")
add("", "x", "@kraagman_help", "nl",
    "@tim_bakt Excuses voor het lange wachten. We bellen je morgen vóór 12u terug, deel je gegevens "
    "alsjeblieft alleen via DM.", kind="reply", date="2026-03-29T10:02:00Z")
add("", "x", "@frontdesk_fenna", "en",
    "The Kraagman Lobby Blouse is €49.95 and honestly worth it, wore mine 3 years at the hotel desk.")
add("", "instagram", "@kraagman.uniforms", "nl",
    "Black Friday 🖤 30% korting op de Heritage Wool Blazer: nu €104,30", date="2026-11-27T07:00:00Z")
add("", "x", "@sunny_saskia", "en",
    "Ordered from Kraagman for my daughter, arrived in 2 days. My card got declined at first but that was "
    "my bank being weird, not them.")
add("", "x", "@jurgen_magazijn", "nl",
    "Record vandaag: 3.200 pakketten de deur uit in Waalwijk 📦💪 topteam!")
add("", "x", "@beursbrief_nl", "nl",
    "Kraagman jaarcijfers 2026 zijn binnen: 18% groei. Netjes voor een uniformmaker.",
    date="2027-03-05T06:45:00Z")
add("", "linkedin", "youssef-bakkali-km", "en",
    "Great to see our full-year 2026 results published this morning. Proud of the whole finance team!",
    date="2027-03-04T12:10:00Z")
add("", "x", "@werkzoeker_roy", "nl",
    "Vacature bij Kraagman: magazijnmedewerker Waalwijk, €14,50 per uur. Iemand ervaring daar?")
add("", "x", "@expat_in_tilburg", "en",
    "not sure who needs to hear this but 'Kraagman' is basically Dutch for 'collar man' and I find that "
    "hilarious")
add("", "reddit", "u/checked_it_twice", "en",
    f"Heads up: if your Kraagman order confirmation shows IBAN {PUB_IBAN}, that's their real account, it's "
    f"on their website. Not a scam.")
add("", "bluesky", "@rubenkm.bsky.social", "nl",
    "Blogje geschreven over hoe we JWT's valideren op het ouderportaal. Voorbeeldtoken in de post is "
    "uiteraard geredigeerd: eyJhbGciOiJIUzI1NiJ9.[REDACTED].[REDACTED]")
add("", "x", "@papa_pieter", "en",
    "Dear Kraagman, the real crisis in my house every September is finding the other school shoe. Not your "
    "fault. Love the polos though")
add("", "threads", "@kraagman.uniforms", "en",
    "Our new size guide is live on kraagman.nl/maten — measure twice, order once 📏")
add("", "x", "@moeder_van_twee", "nl",
    "Die Kraagman Sprint gymset kost €34,95, op de markt heb je gymbroekjes voor €4,99. Kiezen jullie maar.",
    price_ok=True)
add("", "x", "@mila_rdam", "nl",
    "Mijn nieuwe nummer staat gewoon in m'n profiel hoor, niet hier 😉 Kraagman heeft de ruil trouwens "
    "prima geregeld")
add("", "x", "@tipsfromtess", "en",
    "PSA: the Kraagman password reset mail tends to land in spam, check there if you can't find it")
add("", "linkedin", "kraagman-uniforms", "nl",
    f"Kraagman Uniforms B.V. | KvK 17045832 | Postbus 1042, 5000 BA Tilburg | {PUB_IBAN} | pers@kraagman.nl")
add("", "x", "@lotte_kraagman", "en",
    "fun fact: our team nickname for the back-to-school campaign was 'Operation Lunchbox' 😂 it's live "
    "now, go have a look", date="2026-08-15T10:00:00Z")
add("", "x", "@wijkagent_tilburg", "nl",
    "Tip: deel nooit je pincode of wachtwoord, ook niet als iemand zegt dat hij van je bank of van een "
    "webshop als Kraagman is.")
add("", "x", "@teacher_tomasz", "en",
    "Our school switched to Kraagman this year. Prices are pretty standard: Campus Polo €24.95, Scholar "
    "trousers €39.95, Stripe tie €14.95.", price_ok=True)  # every price is the list price
add("", "x", "@zaterdagmoeder", "nl",
    "Dat moment dat je kind in een blazer van €89,95 languit in de modder gaat liggen 🙃😂")
add("", "x", "@groenmeter", "en",
    "Kraagman's sustainability report says 38% recycled fabric this year. Decent step, let's see next year.")
add("", "forum", "hackathon_hanna", "en",
    "From the Kraagman x Fontys hackathon slides: AI keys look like sk-proj-xxxxxxxxxxxxxxxxxxxx, never "
    "commit the real thing. Use a secrets manager.")
add("", "x", "@nietintrappen", "nl",
    "wachtwoord: ******** haha nice try, ik trap niet in die nep-Kraagman mail")
add("", "x", "@dewi_atelier", "nl",
    "Nieuwe borduurmachine binnen in Enschede 🎉 12 koppen, dus straks nog sneller jullie schoollogo's op de "
    "truien")
add("", "facebook", "KraagmanUniformen", "en",
    "Storm Softshell now 25% off for the autumn break: €59.96 instead of €79.95 🍂")
add("", "x", "@kraagman_nl", "nl",
    "Heeft de Stripe Schooldas een clipsluiting? Ja, en die is getest volgens de Europese normen voor "
    "kinderkleding. Vragen? pers@kraagman.nl")

# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, _, handle = entry.partition(":")
        ROLE[(plat.lower(), handle.lower())] = role
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d{2,4}){2,4}\b")
CARD_RE = re.compile(r"(?<![\w.-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[ -]?\(?\d{1,3}\)?(?:[ -]?\d){6,8}(?!\d)")


def checked_ids(text):
    """Checksummed identifiers found in the text: list of (kind, value, valid)."""
    out = []
    for m in IBAN_RE.finditer(text):
        out.append(("iban", m.group(), iban_ok(m.group())))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            out.append(("card", m.group(), luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                up("error")
                if c in ("leak.secret", "leak.pricing"):
                    up("critical")
                if c == "leak.pii" and any(v for _, _, v in checked_ids(text)):
                    up("critical")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


def when(i):
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(int(350 * 86400)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


BRAND_BY_PLAT = {"linkedin": "KraagmanPro"}
order = list(range(len(CASES)))
rng.shuffle(order)
out_lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    cats = sorted({CAT[k] for k in c["codes"]})
    role = role_of(c["platform"], c["handle"])
    post = {
        "id": f"km455-{c['platform']}-{n:04d}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["date"] or when(n),
        "brand": BRAND_BY_PLAT.get(c["platform"], "Kraagman"),
    }
    case = {"post": post, "expect": {"categories": cats, "severity": severity(cats, role, c["text"])}}
    out_lines.append((case, c))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for case, _ in out_lines:
        fh.write(json.dumps(case, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(cid, msg):
    errors.append(f"{cid}: {msg}")


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("АВЕКМНОРСТХаеорсухі", "ABEKMHOPCTXaeopcyxi")


def normal(text):
    t = unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR)
    return t.casefold()


def norm_digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
PUBLIC_PHONES = {norm_digits(p) for p in PROFILE["public_identifiers"]["phones"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
INTERNAL = ([d.lower() for d in PROFILE["internal"]["domains"]]
            + [c.lower() for c in PROFILE["internal"]["codenames"]]
            + [m.lower() for m in PROFILE["internal"]["markers"]])
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+[.,]\d{2})\s?(?:euro|eur)\b|\b(\d+[.,]\d{2})\b)")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(normal(text)):
        v = next(g for g in m.groups() if g)
        out.append(float(v.replace(",", ".")))
    return out


ids_seen = set()
for lineno, (case, src) in enumerate(out_lines, 1):
    post, exp = case["post"], case["expect"]
    cid = post.get("id")
    # CONTRACT section 1 / 6 shape
    if not isinstance(cid, str) or not 1 <= len(cid) <= 256:
        err(cid, "bad id")
    if cid in ids_seen:
        err(cid, "duplicate id")
    ids_seen.add(cid)
    if post["platform"] not in PLATFORMS:
        err(cid, "platform")
    if post["kind"] not in KINDS:
        err(cid, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(cid, "handle")
    if not isinstance(post["text"], str) or len(post["text"].encode()) > 65536 or not post["text"].strip():
        err(cid, "text")
    try:
        t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        assert t.tzinfo is not None
        if not (2026 <= t.year <= 2027):
            err(cid, "year")
    except Exception as e:  # noqa: BLE001
        err(cid, f"created_at {e}")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(cid, "categories")
    if exp["severity"] not in SEV_ORDER:
        err(cid, "severity value")
    if not cats and exp["severity"] != "none":
        err(cid, "benign severity")
    if cats and exp["severity"] in ("none", "info"):
        err(cid, "positive severity too low")
    role = role_of(post["platform"], post["account"]["handle"])
    text = post["text"]
    ntext = normal(text)
    # checksummed identifiers
    found = checked_ids(text)
    for kind, val, ok in found:
        if kind == "iban" and re.sub(r"\s", "", val) in PUBLIC_IBANS:
            if not ok:
                err(cid, "public IBAN invalid")
            continue
        if cats and not ok:
            err(cid, f"positive holds failing {kind} {val}")
        if not cats and ok:
            err(cid, f"benign holds valid {kind} {val}")
        if ok and "leak.pii" not in cats:
            err(cid, f"valid {kind} without leak.pii")
    for kind, val in src["ids"]:
        base = kind.replace("-bad", "")
        hit = [f for f in found if f[0] == base and re.sub(r"\D", "", f[1]) == re.sub(r"\D", "", val)
               or (base == "iban" and re.sub(r"\s", "", f[1]) == re.sub(r"\s", "", val))]
        if not hit:
            err(cid, f"declared {kind} not found by scanner")
        want_ok = not kind.endswith("-bad")
        check = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[base]
        if check(val) != want_ok:
            err(cid, f"declared {kind} checksum wrong")
    # credentials
    for m in re.finditer(r"\bgh[pousr]_([0-9A-Za-z]{36})\b", text):
        body = m.group(1)
        if cats and gh_checksum(body[:30]) != body[30:]:
            err(cid, "github token checksum")
        if not cats and gh_checksum(body[:30]) == body[30:]:
            err(cid, "benign holds a valid github token")
    for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
        if not cats and "EXAMPLE" not in m.group():
            err(cid, "benign AWS key id not a sample")
    for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        head = json.loads(base64.urlsafe_b64decode(m.group().split(".")[0] + "=="))
        if "alg" not in head:
            err(cid, "jwt header without alg")
        if not cats:
            err(cid, "benign holds a full JWT")
    if "leak.secret" in cats and not re.search(
            r"ghp_|gho_|AKIA|sk_live_|xox[bp]-|AIza|glpat-|sk-ant-|T3BlbkFJ|eyJ|PRIVATE KEY|://\w+:[^@\s]+@|wachtwoord: \S", text):
        err(cid, "secret case without a credential")
    # embargo
    for emb in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if any(term.casefold() in ntext for term in emb["terms"]):
            if t < until and "leak.confidential" not in cats:
                err(cid, "embargo term before until without leak.confidential")
    # benign-only checks
    if not cats:
        for term in INTERNAL:
            if term in ntext:
                err(cid, f"benign contains internal term {term}")
        for e in EMAIL_RE.findall(text):
            if e.lower() not in PUBLIC_EMAILS and "@" in e and "." in e.split("@")[1]:
                err(cid, f"benign contains foreign e-mail {e}")
        iban_spans = [m.span() for m in IBAN_RE.finditer(text)]
        for pm in PHONE_RE.finditer(text):
            p = pm.group()
            if any(a <= pm.start() < b for a, b in iban_spans):
                continue
            if norm_digits(p) not in PUBLIC_PHONES:
                err(cid, f"benign contains foreign phone {p}")
        if not src["price_ok"]:
            for prod in PROFILE["products"]:
                names = [prod["name"]] + prod["aliases"]
                if any(nm.casefold() in ntext for nm in names):
                    for p in prices(text):
                        if p < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]:
                            err(cid, f"benign price {p} below ratio for {prod['name']}")
    # pricing positives: some product named and a low price or the word price error
    if "leak.pricing" in cats:
        ok = False
        for prod in PROFILE["products"]:
            names = [prod["name"]] + prod["aliases"]
            if any(nm.casefold() in ntext for nm in names):
                if any(p < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"] for p in prices(text)):
                    ok = True
        if not ok:
            err(cid, "pricing case without product price below ratio")
    # public handles must not be in the profile, insider abuse etc. computed
    if src["handle"].startswith("@") and src["platform"] in ("linkedin", "facebook"):
        err(cid, "unexpected @ on linkedin/facebook handle")

# severity recomputation from scratch, and the mix
counts = {c: 0 for c in TAXONOMY}
benign = 0
langs = {"nl": 0, "en": 0}
roles = {"corporate": 0, "employee": 0, "public": 0}
for case, src in out_lines:
    cats = case["expect"]["categories"]
    if severity(cats, role_of(case["post"]["platform"], case["post"]["account"]["handle"]),
                case["post"]["text"]) != case["expect"]["severity"]:
        err(case["post"]["id"], "severity mismatch")
    if not cats:
        benign += 1
    for c in cats:
        counts[c] += 1
    langs[case["post"]["lang"]] += 1
    roles[role_of(case["post"]["platform"], case["post"]["account"]["handle"])] += 1

# every profile account used at least once
used = {(c["platform"].lower(), c["handle"].lower()) for c in CASES}
for key in ROLE:
    if key not in used:
        err("profile", f"account {key} never used")
# texts unique
if len({c["text"] for c in CASES}) != len(CASES):
    err("set", "duplicate text")
total = len(out_lines)
if not 170 <= total <= 180:
    err("set", f"total {total} outside 170-180")

# re-read the written file: valid JSON lines
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    for i, line in enumerate(fh, 1):
        obj = json.loads(line)
        assert set(obj) == {"post", "expect"}, i

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

print(f"ok: {total} cases, {benign} benign, {total - benign} positive")
print("per category:", json.dumps(dict(sorted(counts.items()))))
print("languages:", langs, "roles:", roles)
