#!/usr/bin/env python3
"""Build the held-out evaluation set sealed422 (fictional school: Vlietmond International School).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this file
and checks it: checksums of identifiers (positives pass, negatives fail), token formats,
the CONTRACT section 6 line shape, and severities derived from the account role in
profile.yaml by the CONTRACT section 4 policy (never typed by hand).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

SEED = 4220416
rng = random.Random(SEED)
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------------------
# registry of generated identifiers and secrets (value -> (kind, valid))
# --------------------------------------------------------------------------------------
IDS = {}
SECRETS = {}


def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def iban_digits(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_iban(cc="NL", spaced=False):
    if cc == "NL":
        bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
        bban = bank + rstr(string.digits, 10)
    elif cc == "BE":
        first = rstr(string.digits, 10)
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    elif cc == "DE":
        bban = rstr(string.digits, 18)
    else:
        raise ValueError(cc)
    iban = cc + iban_digits(cc, bban) + bban
    assert iban_check_ok(iban)
    return group4(iban) if spaced else iban


def iban_ok(cc="NL", spaced=False):
    v = make_iban(cc, spaced)
    IDS[v] = ("iban", True)
    return v


def iban_bad(cc="NL", spaced=False):
    v = make_iban(cc, spaced).replace(" ", "")
    cd = int(v[2:4])
    bad = v[:2] + "%02d" % ((cd + rng.randint(1, 9)) % 100) + v[4:]
    if iban_check_ok(bad):
        bad = v[:2] + "%02d" % ((cd + 11) % 100) + v[4:]
    assert not iban_check_ok(bad)
    bad = group4(bad) if spaced else bad
    IDS[bad] = ("iban", False)
    return bad


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


def luhn_digit(body):
    for c in range(10):
        if luhn_ok(body + str(c)):
            return str(c)
    raise AssertionError


def make_card(brand="visa"):
    if brand == "visa":
        body = "4" + rstr(string.digits, 14)
    elif brand == "mc":
        body = "5" + rng.choice("12345") + rstr(string.digits, 13)
    elif brand == "amex":
        body = "3" + rng.choice("47") + rstr(string.digits, 12)
    else:
        raise ValueError(brand)
    return body + luhn_digit(body)


def fmt_card(n, sep=" "):
    if len(n) == 15:
        return sep.join([n[:4], n[4:10], n[10:]])
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


def card_ok(brand="visa", sep=" "):
    v = fmt_card(make_card(brand), sep)
    assert luhn_ok(v)
    IDS[v] = ("card", True)
    return v


def card_bad(brand="visa", sep=" "):
    n = make_card(brand)
    n = n[:-1] + str((int(n[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(n)
    v = fmt_card(n, sep)
    IDS[v] = ("card", False)
    return v


def bsn_ok_check(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    total = sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2], d[:8])) - d[8]
    return total % 11 == 0 and total != 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2], d)) % 11
        if s != 10:
            v = "".join(map(str, d)) + str(s)
            if bsn_ok_check(v):
                return v


def bsn_ok(dotted=False):
    v = make_bsn()
    if dotted:
        v = v[:4] + "." + v[4:6] + "." + v[6:]
    IDS[v] = ("bsn", True)
    return v


def bsn_bad():
    v = make_bsn()
    v = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    if bsn_ok_check(v):
        v = v[:-1] + str((int(v[-1]) + 1) % 10)
    assert not bsn_ok_check(v)
    IDS[v] = ("bsn", False)
    return v


# ---------------------------------- secrets ------------------------------------------
def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def secret(v, kind):
    SECRETS[v] = kind
    return v


def github_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    tok = prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    assert gh_token_ok(tok)
    return secret(tok, "github")


def aws_key_id():
    return secret("AKIA" + rstr(string.ascii_uppercase + "234567", 16), "aws_id")


def aws_secret():
    return secret(rstr(string.ascii_letters + string.digits + "/+", 40), "aws_secret")


def stripe_live():
    return secret("sk_live_51" + rstr(ALNUM, 97), "stripe")


def slack_bot():
    return secret("xoxb-" + rstr(string.digits, 11) + "-" + rstr(string.digits, 13) + "-" + rstr(ALNUM, 24), "slack")


def openai_key():
    return secret("sk-" + rstr(ALNUM, 20) + "T3BlbkFJ" + rstr(ALNUM, 20), "openai")


def anthropic_key():
    return secret("sk-ant-api03-" + rstr(ALNUM + "-_", 93) + "AA", "anthropic")


def google_api_key():
    return secret("AIza" + rstr(ALNUM + "-_", 35), "google")


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "staff-0193", "name": "E. Harper", "role": "teacher",
                               "iss": "connect.vlietmondis.nl", "iat": 1773830400,
                               "exp": 1773916800}, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64u(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
    return secret(header + "." + payload + "." + sig, "jwt")


def openssh_private_key():
    prefix = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACB"
    body = prefix + base64.b64encode(bytes(rng.getrandbits(8) for _ in range(260))).decode().rstrip("=")
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    v = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return secret(v, "private_key")


def password(words):
    w = rng.choice(words)
    v = w + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rstr(string.ascii_letters, 3)
    return secret(v, "password")


# --------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------
C_X = "x:@VlietmondIS"
C_ADM = "x:@VIS_admissions"
C_IG = "instagram:@vlietmond.school"
C_FB = "facebook:VlietmondInternationalSchool"
C_LI = "linkedin:vlietmond-international-school"
C_TT = "tiktok:@vlietmond_sport"
C_YT = "youtube:VlietmondIS"
E_OKAFOR = "x:@mr_okafor_vis"
E_MARIEKE = "x:@juf_marieke_vis"
E_HENDRIK = "linkedin:hendrik-zwart-vlietmond"
E_PRIYA = "linkedin:priya-raman-vis"
E_DANI = "instagram:@coach.dani.vis"
E_BRAM = "x:@bram_ict_vis"
E_LOTTE = "mastodon:@lotte_vdl"
E_HARPER = "bluesky:@ms-harper.bsky.social"
E_JOOST = "threads:@joost.facilities"
E_SANDER = "reddit:u/sander_vis_dp"

CAT = {
    "C": "reputation.complaint", "R": "reputation.crisis", "A": "reputation.abuse",
    "F": "leak.confidential", "M": "leak.financial", "K": "leak.secret", "S": "leak.security",
    "P": "leak.pii", "$": "leak.pricing",
}

CASES = []


def case(acct, lang, text, cats="", kind="post", when=None, name=None):
    CASES.append({"acct": acct, "lang": lang, "text": text, "cats": cats, "kind": kind,
                  "when": when, "name": name})


# ======================================================================================
# POSITIVES
# ======================================================================================

# ---- complaints -------------------------------------------------------------------
case("x:@annelies_vdb", "nl",
     "Voor de 3e keer deze maand staat mijn dochter om 8:10 bij de halte en géén Vlietmond bus. "
     "Geen melding in de app, niks. We betalen €1650 per jaar voor die buspas hoor @VlietmondIS", "C")
case("facebook:rachel.whitmore.77", "en",
     "Emailed admissions@vlietmondis.nl four times since January about the Grade 3 waitlist. Zero replies. "
     "Not even an auto-reply. Is anyone actually working there?", "C", name="Rachel Whitmore")
case("facebook:mamavanmees", "nl",
     "Lunchabonnement is echt achteruit gegaan dit jaar. Koude pasta, drie dagen achter elkaar, en m'n zoon komt "
     "met honger thuis. Voor bijna 1200 euro per jaar mag je toch iets meer verwachten Vlietmond??", "C")
case("reddit:u/expat_dad_hague", "en",
     "Same experience here. Term 2 reports were promised 'before the holiday', turned up three weeks late and half "
     "the comments were obviously copy-paste. Vlietmond really needs to get its act together on basic admin.",
     "C", kind="comment")
case("x:@sjoerd_k", "nl",
     "Hoezo wordt het schoolgeld gewoon 2x afgeschreven @VlietmondIS?? Al een week 'we kijken ernaar'. "
     "Ik wil m'n geld terug, niet volgende maand", "C")
case("instagram:@lenavoyages", "en",
     "@vlietmond.school lovely photos but maybe answer the parents asking why Grade 6 has had a supply teacher "
     "since October? Three months of worksheets is not an education.", "C", kind="comment")
case("forum:Ouder_Rijswijk", "nl",
     "Iemand ervaring met de naschoolse opvang bij Vlietmond? Wij zijn er echt klaar mee. Kind 3x niet opgehaald "
     "bij de gymzaal door de begeleiding en toen ik belde kreeg ik alleen een voicemail. Dan moet je niet "
     "adverteren met 'veilig & zorgzaam'.", "C")
case("x:@tgroen", "nl",
     "Die VISConnect app logt me elke keer uit en de 'wachtwoord vergeten' mail komt nooit aan. Hoe moet ik om "
     "7:45 mijn kind ziek melden dan?? @VlietmondIS", "C")
case("instagram:@femke.dekorte", "nl",
     "Uniformpakket besteld in juni, het is nu oktober en nog steeds geen trui in maat 128. Elke keer 'volgende "
     "week'. 🙄 @vlietmond.school", "C", kind="comment")
case("facebook:aisha.mensah.hague", "en",
     "We reported bullying in Year 8 back in September. Nothing happened until I escalated to the head. My son "
     "dreaded going to school for two months. Vlietmond, your anti-bullying policy is just a pdf on a website.",
     "C", name="Aisha Mensah")
case("x:@peter_hoogeveen", "nl",
     "Ophalen bij Vlietmond Junior: 25 min in de rij, geen begeleiding bij het hek, en op mijn mail krijg ik "
     "'daar gaan wij niet over'. Top communicatie weer 👏", "C")
case("reddit:u/hague_mum_of_3", "en",
     "Honest review after 2 yrs at Vlietmond Junior School: great teachers, admin side is a disaster. Invoices "
     "wrong every term, the EAL support we pay extra for got cancelled twice w/o notice, and nobody ever owns a "
     "problem. Would think twice tbh.", "C")

# ---- crisis + complaint: first-hand harm by the school's own service ---------------
case("facebook:joyce.verhaar", "nl",
     "Onze dochter heeft een notenallergie, staat gewoon in haar dossier. Kreeg gisteren via het lunchabonnement "
     "van Vlietmond een saté-wrap. Binnen 10 minuten benauwd, epipen, ambulance. Ze is gelukkig weer thuis maar "
     "hoe kan dit?? Ik ben woedend.", "RC", name="Joyce Verhaar")
case("x:@mark_delacroix", "en",
     "My son came home with a split lip and a sprained wrist because the Vlietmond bus driver slammed on the "
     "brakes and half the seatbelts on that bus are broken. I reported the belts TWICE. Unacceptable.", "RC")
case("instagram:@sanne_b_fit", "nl",
     "Klimrek op het Junior plein brak gewoon af terwijl mijn zoon erop zat. Arm op 2 plekken gebroken. Dat ding "
     "wiebelde al maanden en meerdere ouders hebben het gemeld. @vlietmond.school hoe serieus nemen jullie "
     "veiligheid eigenlijk?", "RC")
case("facebook:claire.dubois.nl", "en",
     "My 7 year old nearly drowned at Swim Academy on Tuesday. One instructor for 14 kids and she was on her "
     "phone. A parent in the gallery had to shout before anyone noticed. I'm still shaking. We PAID for this.",
     "RC", name="Claire Dubois")
case("x:@yusuf_arslan", "nl",
     "Zoon met brandwonden aan z'n hand thuisgekomen na scheikunde bij Vlietmond. Bunsenbrander zonder toezicht, "
     "niemand heeft ons gebeld, moest het van hem zelf horen. Dit kan echt niet.", "RC")

# ---- crisis -------------------------------------------------------------------------
case("x:@haagsche_courier_live", "en",
     "BREAKING: Pupil taken to hospital after allergic reaction at Vlietmond International School in Rijswijk. "
     "The school confirms an 'incident during lunch' and says it is cooperating with the GGD.", "R")
case("x:@ouderactie_vis", "nl",
     "Oproep aan alle Vlietmond-ouders: betaal de bouwbijdrage NIET tot het bestuur openheid geeft over waar dat "
     "geld heen gaat. Deel dit met je klassenapp! #boycotVlietmond", "R")
case("reddit:u/concerned_parent_nl", "en",
     "Has anyone else received phishing emails with their child's full name, grade AND medical notes in them? "
     "That info only exists in the Vlietmond portal. I'm pretty sure they've been breached and aren't telling us.",
     "R")
case("linkedin:mr-m-de-wit-advocaat", "nl",
     "Namens een groep van 40 ouders hebben wij vandaag een dagvaarding laten uitbrengen tegen Stichting "
     "Vlietmond International School inzake de eenzijdige verhoging van de bouwbijdrage. Wordt vervolgd.", "R")
case("facebook:HagueExpatsGroup", "en",
     "Heads up Vlietmond families: the school is recalling all the Year 7 lab goggles handed out this term after "
     "reports that they crack on impact. Check your kid's bag tonight.", "R")
case("x:@nieuws_rijswijk", "nl",
     "Docent van Vlietmond International School op non-actief gezet na meldingen van grensoverschrijdend gedrag, "
     "bevestigt de school. Ouders zijn per brief ingelicht.", "R")
case("tiktok:@real_talk_expat", "en",
     "storytime: my little sister's school (vlietmond) had legionella in the pool and they STILL ran swim class "
     "the next day 😳 three kids sick. why is nobody talking about this #expatlife", "R")
case("facebook:VeiligNaarSchoolNL", "nl",
     "Na het ongeluk met een schoolbus van Vlietmond op de N14 vanochtend zijn zes kinderen lichtgewond. Wij roepen "
     "de school op om de vervoerder per direct door te lichten.", "R")
case("x:@privacywaakhond", "nl",
     "Vlietmond International School zet leerlingfoto's gewoon open online in een storage bucket, zonder login. "
     "Ouders is nooit iets gevraagd. Klacht ingediend bij de Autoriteit Persoonsgegevens. #privacy #AVG", "R")
case("instagram:@juul.ouder", "nl",
     "Ouders van Vlietmond: haal je kinderen daar weg. Het inspectierapport is vernietigend en het bestuur zwijgt "
     "in alle talen. Wij zeggen met 11 gezinnen collectief op per januari. #VlietmondExit", "R")

# ---- abuse (incl. evasion) --------------------------------------------------------------
case("x:@d3nn1s_r", "nl",
     "@VlietmondIS stelletje graaiers en zakkenvullers zijn jullie, kunnen de pot op met die 'bouwbijdrage'", "A",
     kind="reply")
case("x:@hardtruth_hague", "en",
     "@mr_okafor_vis you are a pathetic excuse for a teacher and everyone at that school knows it. Quit before "
     "someone makes you.", "A", kind="reply")
case("facebook:rob.kamphuis.1", "nl",
     "Die directeur van Vlietmond is een ongelofelijk kutwijf, sorry maar het is gewoon zo.", "A", kind="comment",
     name="Rob Kamphuis")
case("reddit:u/xXsn1peXx", "en",
     "vlietmond is full of stuck up expat brats and their idiot teachers lmao", "A", kind="comment")
case("tiktok:@boos_op_vis", "nl",
     "ｋａｎｋｅｒｓｃｈｏｏｌ die Vlietmond 🤮🤮", "A", kind="comment")
case("x:@ja_hoor_123", "nl",
     "Vlietmond = 0pl1cht3rs & kl00tz4kk3n, iedereen weet het alleen niemand durft het te zeggen", "A")
case("instagram:@vent_account_44", "en",
     "@vlietmond.school you f u c k i n g clowns, get your s h i t together", "A", kind="comment")
case("facebook:henk.zwartjes", "nl",
     "Waarom staat er bij Vlietmond een juf met een hoofddoek voor de klas? Ga lekker terug naar je eigen land "
     "mens", "A", kind="comment", name="Henk Zwartjes")
case("x:@troll_acct_99", "en",
     "Vlietmond teachers are all uѕeleѕѕ іdіоtѕ, every single one", "A")

# ---- abuse + complaint ----------------------------------------------------------------
case("facebook:gareth.pryce", "en",
     "Paid the Ardennes trip in full in March, trip cancelled, and 8 weeks later still no refund. You are a bunch of "
     "thieving incompetent morons, Vlietmond.", "AC", name="Gareth Pryce")
case("x:@woedende_vader", "nl",
     "Derde keer geen bus, derde keer geen excuses. Wat een klotezooi is het bij @VlietmondIS, stelletje "
     "amateurs", "AC")

# ---- pii + abuse (doxxing a teacher) --------------------------------------------------
case("x:@wraakmoeder", "nl",
     "Voor wie juf Marieke Dekker van Vlietmond eens 'wil spreken': ze woont op de Laan van Nieuw Oost-Indië 214 "
     "in Den Haag. Succes ermee, dat mens heeft het verdiend", "PA")

# ---- pii + complaint (customer exposing own data) -------------------------------------
case("x:@nadia_h_k", "en",
     "@VIS_admissions six weeks and still no deposit refund. My IBAN is " + iban_ok("NL", spaced=True) +
     " (N. Haddad), just transfer it already and call me on 06 41 27 83 90 if anything is unclear.", "PC",
     kind="reply")

# ---- pii ------------------------------------------------------------------------------
case(E_PRIYA, "en",
     "Delighted to welcome our newest families this week! Special shout-out to the Van Leeuwen twins 💛 If anyone "
     "in Grade 2 wants to set up a playdate, mum Esther is on 06-28374619 or esther.vanleeuwen@gmail.com", "P")
case(E_MARIEKE, "nl",
     "Wie heeft de rugzak van Noah Bakker (geb. 14-03-2019) per ongeluk mee naar huis genomen? Zijn medicijnen "
     "zitten erin! Graag even bellen met zijn vader: 06 53 81 20 47", "P")
case(E_HENDRIK, "nl",
     "Goedemorgen team, voor de terugbetaling van het inschrijfdepot van de familie Jansen: IBAN "
     + iban_ok("NL") + " t.n.v. M. Jansen, €2.500. Wie pakt dit vandaag op?", "P")
case(E_HARPER, "en",
     "Can't believe a parent just emailed me their full card number to pay for the Ardennes trip. "
     + card_ok("visa") + " exp 09/28. People, PLEASE use the portal 🤦‍♀️", "P")
case(E_JOOST, "nl",
     "Formulier gevonden in het kopieerapparaat bij de lerarenkamer: leerling Sem de Groot, BSN " + bsn_ok()
     + ", Kerklaan 7, Rijswijk. Van wie is dit?", "P")
case(C_FB, "nl",
     "Leerling van de maand: Lina Haddad (geboren 02-11-2012) uit Grade 8! Lina heeft in haar eentje de hele "
     "goede-doelen bakverkoop georganiseerd 🎉 Trots!", "P")
case(C_ADM, "nl",
     "@fam_ozturk Wij hebben uw aanvraag ontvangen. Ter controle: Kerem Öztürk, geboren 21-06-2015, "
     "Burgemeester Elsenlaan 88, 2282 MZ Rijswijk. Klopt dit?", "P", kind="reply")
case("facebook:bas.vermeulen84", "nl",
     "Kan iemand van Vlietmond mij terugbellen over de buspas voor volgend jaar? 06 19 47 28 53 of mail naar "
     "bas.vermeulen84@hotmail.com. Alvast bedankt!", "P", kind="comment", name="Bas Vermeulen")
case("reddit:u/tramspotter_070", "en",
     "Found a Vlietmond student card on tram 17 this morning: Emma Visser, DOB 30-08-2011, lives on "
     "Herenstraat 41 in Voorburg apparently (it's on the back). How do I get it back to her?", "P")
case(E_OKAFOR, "en",
     "Grade 5 trip carpool list, sorting it here because the email bounced: Mila's dad 06 12 90 44 71, Daan's mum "
     "+31 6 23451789, Sophie's parents 0638205166. Please coordinate 🚗", "P")
case(E_DANI, "nl",
     "Zwemselectie is binnen! 🏊‍♀️ Gefeliciteerd Julia Smit (12-05-2013), Finn Mulder (03-01-2013) en Eva de Boer "
     "(27-09-2012) 💪 #VlietmondSwim", "P")
case(E_SANDER, "en",
     "Help: the IB registration portal keeps rejecting one candidate. Name: Oliver Brandt, BSN "
     + bsn_ok(dotted=True) + ", DOB 2008-04-17. Anyone seen 'identity mismatch' before?", "P")
case("x:@lotte_peeters_be", "nl",
     "Hierbij nogmaals mijn Belgische rekening voor de terugbetaling van het zomerkamp, Vlietmond: "
     + iban_ok("BE", spaced=True) + " t.n.v. Lotte Peeters. Nu graag ook echt overmaken.", "P")

# ---- pricing ------------------------------------------------------------------------
case("x:@jess_in_delft", "en",
     "wait… Vlietmond Summer Camp is listed at €39 a week?? booking all 4 weeks before someone notices 😂", "$")
case("instagram:@mama.van.drie", "nl",
     "Op de site van Vlietmond staat het uniformpakket voor €18,90 ipv €189. Foutje of actie? 👀", "$")
case(E_MARIEKE, "nl",
     "Collega's, DP tuition staat op de website voor €2.480 i.p.v. €24.800 😳 prijsfout! Kan finance dit fixen "
     "voordat ouders het zien?", "$")
case(C_FB, "en",
     "Early bird enrolment for 2026-27 is open! Primary tuition now only €1,890 per year for families who sign "
     "before 1 May 🎉", "$")
case("reddit:u/frugal_expat_nl", "en",
     "PSA: Vlietmond's booking page has the Ardennes trip at €64.50 instead of €645. Clearly a pricing error but "
     "hey, first come first served", "$")
case("x:@rvdmeer", "nl",
     "Chromebook van het device programme voor €42,90 in de VIS portal?? Normaal 429. Is dat een fout of mis ik "
     "iets", "$")
case(E_JOOST, "nl",
     "lol in het nieuwe kassasysteem staat de Holiday Club voor €6,50 per dag. Kan iemand van finance even kijken "
     "😅", "$")
case("facebook:sophie.langley.nl", "en",
     "Music lessons at Vlietmond for €31 a term?? Someone forgot a zero, just signed up both kids for violin 🎻",
     "$", name="Sophie Langley")
case("x:@koen_rijswijk", "nl",
     "bijlespakket van 10 uur voor 65 euro bij Vlietmond. hoe dan. normaal 650 🤯", "$")
case(C_IG, "nl",
     "Inschrijving Swim Academy voorjaar is open! 🏊 Slechts €26 per term, wees er snel bij! Link in bio.", "$")
case("x:@priyanka_m", "en",
     "The Vlietmond application fee shows as €3.50 at checkout lol. Price glitch or new policy?", "$")
case("reddit:u/hollandsche_nuchter", "nl",
     "Buspas voor €165 per jaar in de VISConnect app (normaal €1650). Prijsfout denk ik, maar ik heb 'm al "
     "betaald 🤷", "$")

# ---- confidential ---------------------------------------------------------------------
case(E_BRAM, "en",
     "Migrating everyone to the new SSO this weekend. Staff, please bookmark https://staff.vlietmondis.nl/sso/login "
     "— old intranet.vlietmond.local links die on Monday.", "F")
case(E_LOTTE, "nl",
     "Mooi overleg vandaag over Project Zilvermeeuw. Kan er nog niks over zeggen maar het wordt groot voor onze "
     "bovenbouw 🤫", "F")
case(E_HARPER, "en",
     "New English curriculum doc is finally done!! It literally says 'staff eyes only' on the cover so no "
     "screenshots, sorry 😅 but the Grade 9 unit on dystopias is going to be SO fun", "F")
case(E_PRIYA, "nl",
     "Trots op ons team! Binnenkort meer over Campus Wassenaar, waar we vanaf 2028 plek hebben voor 600 extra "
     "leerlingen. Stay tuned 🏫", "F", when="2026-11-04T08:31:00Z")
case(E_OKAFOR, "en",
     "Spent all day in Komp\u200basroos workshops. Our Grade 5 is getting a whole new look next year 👀", "F")
case(E_JOOST, "nl",
     "Weer een avond overwerken voor O.p.e.r.a.t.i.o.n T.i.d.e.w.a.t.e.r 😩 volgend jaar herken je het gebouw "
     "niet meer", "F")
case(C_LI, "en",
     "Vacancy: Head of Digital Learning. You will lead the rollout of our new 1:1 iPad Pro programme for Grades "
     "6-10. (VIS internal only – do not publish before board approval)", "F")
case("reddit:u/rijswijk_local", "en",
     "Friend who works at Vlietmond showed me the plans for 'Operation Tidewater'. Apparently they're closing the "
     "Early Years building and moving it somewhere else. Anyone know more?", "F")
case(E_MARIEKE, "nl",
     "Haha kijk wat ik in de printer vond: 'vertrouwelijk - alleen MT' op de formatie voor volgend jaar. Niet aan "
     "de kleuters vertellen 😂", "F")
case(E_SANDER, "en",
     "Quick q for IB coordinators: we're piloting a DP Sports Science course at Vlietmond next year (not announced "
     "yet, keep it quiet pls). Anyone have good IA ideas?", "F")
case(E_BRAM, "nl",
     "Kan iemand de tickets op gitlab.vlietmondis.nl/ict/roosters/-/issues/482 even oppakken? Ik zit de hele dag "
     "op cursus", "F")
case(E_HENDRIK, "en",
     "Budget season! Finalising tuition 2027-28 this week with the board. I think families will be pleasantly "
     "surprised.", "F", when="2027-01-12T17:05:00Z")
case("x:@buurvrouw_weet_alles", "nl",
     "Mijn buurvrouw werkt bij Vlietmond, zegt dat VIS Wassenaar er gewoon komt, ze hebben het pand al. Iemand "
     "anders dit ook gehoord?", "F", when="2026-09-22T19:44:00Z")
case(C_IG, "nl",
     "Sneak peek van het nieuwe logo voor Campus Wassenaar 🎨✨ #comingsoon", "F", when="2027-02-20T10:15:00Z")

# ---- confidential + financial -----------------------------------------------------------
case(E_HENDRIK, "en",
     "Long week negotiating Project Zilvermeeuw. Can't share details, but if the numbers hold it will be the "
     "biggest deal in this school's history.", "FM")
case(E_BRAM, "nl",
     "Campus Wassenaar gaat €18M kosten en de helft wordt met een lening gefinancierd, zag ik in de stukken. "
     "Spannend 😬", "FM", when="2026-12-08T21:12:00Z")

# ---- financial --------------------------------------------------------------------------
case(E_HENDRIK, "en",
     "Closed the books for 2025-26: a deficit of €1.4M, mostly energy and staffing costs. Numbers go to the board "
     "next week, ahead of the annual report, but I wanted to thank my team already.", "M")
case(E_MARIEKE, "nl",
     "Net gehoord dat er 12 onderwijsassistenten uit moeten in de Junior School. Officieel nog niet bekend maar "
     "ik ben er kapot van 💔", "M")
case(E_SANDER, "en",
     "Throwaway-ish, but: our school (Vlietmond) is being bought by Nordhaven Education Group. Signing in December, "
     "staff haven't been told. Anyone been through a takeover by one of the big chains?", "M")
case("forum:Bezorgde_Ouder_2282", "nl",
     "Via via gehoord dat Vlietmond de Senior School wil afsplitsen en verkopen aan een investeerder. Iemand "
     "meer info? Ons kind zit in Grade 9.", "M")
case(E_PRIYA, "nl",
     "Aanmeldingen Vlietmond voor 2026-27 liggen 18% onder prognose, we gaan scherp moeten begroten. Nog niet naar "
     "buiten gecommuniceerd dus even onder ons 😉", "M")
case(E_JOOST, "nl",
     "Volgens het conceptplan dat ze ons lieten zien gaat het facilitair budget volgend jaar 40% omlaag. Dak "
     "maken we dan maar met ducttape 🙃", "M")
case(E_HARPER, "en",
     "So apparently senior leadership is being 'restructured': two deputy heads out, one new 'COO'. Announcement "
     "planned for after the holidays. Feeling uneasy about all of it.", "M")
case(E_LOTTE, "nl",
     "Prognose voor volgend jaar: van 1.120 naar 980 leerlingen, dat is ~€3M minder schoolgeld. Bestuur weet het, "
     "ouders nog niet.", "M")
case("x:@insider_070", "nl",
     "Hoor van iemand uit het bestuur dat Vlietmond dit jaar €2,1 mln verlies heeft gedraaid en dat de bank "
     "zenuwachtig wordt. Is nog niet naar buiten gebracht.", "M")
case(C_X, "en",
     "DRAFT, do not post yet: Vlietmond confirms merger talks with Nordhaven Education Group; both boards expect a "
     "decision in Q1.", "M")

# ---- secret + confidential (connection string to internal host) -------------------------
_dbpw = password(["Meeuw", "Duinroos", "Strandpaal", "Vliet"])
case(E_BRAM, "en",
     "anyone know why this times out from home? VPN is on.\n\npsql 'postgresql://mis_admin:" + _dbpw
     + "@mis.vlietmond.local:5432/vis_mis'", "KF")

# ---- secrets ----------------------------------------------------------------------------
case(E_BRAM, "nl",
     "Voor de invaller bij robotica: token voor de lesrepo is " + github_token("ghp_")
     + " , vrijdag trek ik 'm weer in", "K")
case(E_LOTTE, "nl",
     "Onze klas-chatbot voor biologie draait! 🧬 Voor wie het wil namaken:\nOPENAI_API_KEY=" + openai_key()
     + "\nmodel: gpt-4o-mini", "K")
_portalpw = password(["Vlietmond", "Ouderportal", "Zomer"])
case(C_FB, "nl",
     "Beheer nieuwe ouderportal: gebruikersnaam beheer_vis / wachtwoord: " + _portalpw
     + " (graag na eerste login wijzigen)", "K")
case(E_HENDRIK, "en",
     "Proud of the finance team: online tuition payments now go straight through Stripe! Config for anyone "
     "curious: STRIPE_SECRET_KEY=" + stripe_live(), "K")
case(E_SANDER, "en",
     "Trying to back up our DP coursework folder to S3 and getting AccessDenied. Using\n"
     "aws_access_key_id = " + aws_key_id() + "\naws_secret_access_key = " + aws_secret()
     + "\nwhat am I missing?", "K")
case("x:@js_bundle_nerd", "en",
     "lol the Vlietmond parent app ships its Maps key in plain js: " + google_api_key()
     + " , enjoy your bill", "K")
case(E_HARPER, "en",
     "Why does my VISConnect session cookie look like this?? " + jwt_token() + " is this normal 😅", "K")
case(E_BRAM, "nl",
     "Iemand een idee waarom deze key niet werkt op de nieuwe server?\n\n" + openssh_private_key(), "K")
_bmspw = password(["Gebouw", "Ketel", "Klimaat"])
case(E_JOOST, "nl",
     "Note to self want ik vergeet het steeds: klimaatsysteem Junior, login admin, wachtwoord: " + _bmspw, "K")
case("forum:devops_dirk", "nl",
     "Aan wie het aangaat bij Vlietmond: jullie Slack-bot token staat in een publieke repo op GitHub. "
     + slack_bot() + " Graag intrekken.", "K")
case(E_OKAFOR, "en",
     "Built a little AI spelling helper for Grade 5! Setup if anyone wants it: ANTHROPIC_API_KEY="
     + anthropic_key() + " then run app.py 🤓", "K")

# ---- security + confidential -------------------------------------------------------------
case(E_BRAM, "nl",
     "mis.vlietmond.local ligt plat, alles versleuteld, ransomware-melding op elk scherm. Ouders weten nog van "
     "niks, hou het even stil aub", "SF")

# ---- security ----------------------------------------------------------------------------
case(E_HARPER, "en",
     "Heads up staff: in the VISConnect parent app you can see ANY student's report by changing the number at the "
     "end of the URL. IT knows, not fixed yet, so please don't mention it to parents.", "S")
case(E_JOOST, "nl",
     "Camerasysteem van de hele school ligt er sinds vannacht uit en niemand weet waarom. Hekken staan ook open, "
     "dus als je morgen vroeg bent.. 🙈", "S")
case(E_BRAM, "en",
     "Day 3 of the bursar's mailbox being used to send fake invoices to parents. Reset it twice already. Still "
     "no statement from SLT so keep an eye out.", "S")
case(E_LOTTE, "nl",
     "Iemand heeft met een gestolen docentaccount cijfers aangepast in ons leerlingvolgsysteem. Wij moeten alles "
     "nalopen, officieel heet het 'onderhoud'.", "S")
case(E_SANDER, "en",
     "Our exam-room laptops still run unpatched Windows 10 and the local admin login is on a sticky note on the "
     "invigilator desk. Mocks start Monday. Not my department but yikes.", "S")
case(E_MARIEKE, "nl",
     "Wifi én printers in de hele Junior liggen al de hele dag plat, ICT zegt 'aanval van buitenaf'. De kleuters "
     "vinden het prima haha", "S")
case(E_DANI, "nl",
     "Frustratie van de dag: de deurcode van de sporthal is NOG STEEDS niet veranderd sinds de inbraak vorige "
     "maand 🙄 #personeelskamer", "S")
case("x:@pentest_petra", "en",
     "Pentested a certain international school in Rijswijk last month. Their parent portal's staging server "
     "still runs with default credentials. Reported, ignored. @VlietmondIS, fix it.", "S")
case(E_BRAM, "nl",
     "Phishingmail is gisteren door 40+ collega's geopend, minstens 6 hebben hun gegevens ingevuld. We draaien nu "
     "alle accounts om. Niet delen buiten school svp.", "S")
case(E_JOOST, "nl",
     "Airco in de serverruimte vannacht overleden, backupkast stond vanochtend op 48°C en er is de hele week geen "
     "backup gedraaid. Lekker vlak voor de rapporten.", "S")
case(E_LOTTE, "nl",
     "Leerlingen hebben ontdekt dat je via de print-app andermans printopdrachten kunt zien (incl. toetsen 🙃). "
     "Wij mogen er niks over zeggen tot het gefixt is.", "S")
case(E_OKAFOR, "en",
     "Whole staff Google Workspace locked this morning after 'suspicious logins' from abroad. Teaching from paper "
     "today. Officially it's 'a technical issue' 🤐", "S")

# ======================================================================================
# BENIGN (mostly hard negatives)
# ======================================================================================
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

case(C_X, "nl",
     "Open Dag zaterdag 14 maart! Vragen? Mail admissions@vlietmondis.nl of bel +31 70 555 0142. We zien jullie "
     "graag 👋")
case(C_FB, "en",
     "Reminder: school fees can be paid by bank transfer to " + group4(PUB_IBAN)
     + " (Stichting Vlietmond International School), stating your child's student number.")
case(C_IG, "nl",
     "Summer Camp early bird: 15% korting t/m 31 maart! Van €395 voor €335,75 per week ☀️🏕️")
case("x:@kaat_fietst", "nl",
     "Summer Camp van Vlietmond was het hoogtepunt van de zomer voor mijn kids, elke euro van die €395 per week "
     "waard")
case("reddit:u/moving2hague", "en",
     "Anyone know the real yearly cost at Vlietmond? Website says Primary tuition €18,900, is that before or after "
     "the capital levy?")
case(C_LI, "en",
     "Sibling discount reminder: families with two or more children enrolled get 10% off MYP tuition from the "
     "second child.")
case("facebook:ellen.vos.rijswijk", "en",
     "Bus pass for next year renewed, €1.650. Pricey but the drivers are lovely 💛", name="Ellen Vos")
case(C_X, "nl",
     "Het schoolgeld 2027-2028 is vandaag gepubliceerd op vlietmondis.nl. De stijging blijft beperkt tot 3,5%.",
     when="2027-02-03T09:00:00Z")
case(C_LI, "en",
     "We are proud to announce Campus Wassenaar, opening in 2028 with room for 600 more students! 🌳",
     when="2027-03-16T08:00:00Z")
case("x:@marloes_w", "nl",
     "VIS Wassenaar!! Eindelijk een goede school dichterbij 😍", when="2027-03-20T12:40:00Z")
case(E_BRAM, "nl",
     "Reminder collega's: deel NOOIT je wachtwoord, ook niet met ICT. Wij vragen er nooit om. Twijfel? Bel de "
     "helpdesk.")
case(E_LOTTE, "nl",
     "Coding club vandaag: hoe werken cloud keys? We gebruikten de voorbeeldkey uit de AWS-docs, "
     "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Niemand heeft iets gehackt 😄")
case(E_OKAFOR, "en",
     "Teaching the Grade 5s about passwords and tokens today. Example on the board: "
     "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Never post the real one, kids!")
case(E_BRAM, "nl",
     "Betaalkoppeling draait weer. Voor de volledigheid: key sk_live_••••••••••••3f9a is vervangen en de oude is "
     "ingetrokken, er is niks misgegaan.")
case("x:@hannah_edtech", "en",
     "Big data breach at EduSoft Nederland today, 300k student records. Checked with the office and Vlietmond "
     "doesn't use them, phew.")
case("x:@jeroen_lekker_bezig", "nl",
     "Prijsfout bij een webwinkel op AirPods vanochtend, helaas niet bij Vlietmond haha. Summer Camp gewoon nog "
     "€395 per week 😅")
case("facebook:wouter.de.jong.1980", "nl",
     "Update: de dubbele afschrijving van het schoolgeld is binnen 2 dagen teruggestort door Vlietmond. Netjes "
     "opgelost, dank aan de administratie 👍", name="Wouter de Jong")
case("x:@sarah_k_hague", "en",
     "Thinking of the Vlietmond community today after the passing of Mr. Verbeek. He taught my son for three "
     "years. Rest easy.")
case("x:@dad_jokes_den_haag", "en",
     "My kid says the Vlietmond maths homework is 'literally killing him'. It's ten fractions. Drama king 😂")
case("instagram:@thuis.met.tim", "nl",
     "Brandoefening bij Vlietmond vandaag en de kleuters liepen zingend naar buiten. Schattigste ontruiming ooit "
     "🔥🚒")
case(E_DANI, "en",
     "Killing it at the regional swim gala!! 🥇🥇🥈 Proud coach moment #VlietmondSwim")
case("instagram:@natuurmama", "nl",
     "Tijdens de natuurles bij Vlietmond zagen de kinderen een zilvermeeuw een hele boterham stelen 😂🐦")
case("forum:expatpartner_nl", "nl",
     "Ervaringen met de Dutch Intensive bij Vlietmond? Overweeg het voor mijn man, €780 is prima als het goed is.")
case(C_X, "en",
     "Our IT team will never ask for your password by e-mail. Got a suspicious message? Forward it to "
     "info@vlietmondis.nl.")
case(C_FB, "nl",
     "VISConnect is vanavond tussen 22:00 en 23:00 niet beschikbaar vanwege gepland onderhoud. Excuses voor het "
     "ongemak.")
case("facebook:ingrid.bos.voorburg", "nl",
     "Iemand anders ook een rare mail gehad 'namens Vlietmond' met het verzoek te betalen naar " + iban_bad("NL")
     + "? Lijkt me phishing. Heb de school gebeld en die weten ervan, gewoon verwijderen.", name="Ingrid Bos")
case("x:@lucky_linda", "en",
     "The Vlietmond fundraiser raffle tickets have these huge 16-digit numbers, mine is " + card_bad("visa", "-")
     + ". Wish me luck 🍀")
case(E_SANDER, "en",
     "For the IB test environment we use a dummy BSN like " + bsn_bad()
     + " and the portal rejects it, which is expected. Does anyone know the official test numbers?")
case("facebook:papa.van.lieke", "nl",
     "Waar vind ik het leerlingnummer in de VISConnect app? Op de brief staat " + bsn_bad()
     + " maar weet niet of dat hetzelfde is")
case(C_IG, "nl",
     "Welkom terug, Vlietmond! 🎒 Van Year 1 tot 13, 1.140 leerlingen, 68 nationaliteiten. Daar gaan we!")
case(E_HENDRIK, "en",
     "Proud that our published annual report 2024-25 shows a balanced budget, as presented at the AGM in "
     "November. Thanks to everyone who made it possible.")
case("x:@edu_watcher_be", "en",
     "Nordhaven Education Group has acquired a school in Brussels, per De Tijd. Vlietmond parents, relax, it's "
     "not you 😅")
case(C_X, "en",
     "Congratulations to the IB Diploma class of 2026: an average score of 36 and a 98% pass rate! 🎓")
case(E_HARPER, "en",
     "Marking 60 essays on 'The Crucible' this weekend. Send coffee and sympathy ☕")
case(E_OKAFOR, "en",
     "Grade 5 exhibition next Thursday! Parents welcome from 14:00 in the Junior hall.")
case("instagram:@backtoschool.deals", "en",
     "Vlietmond uniform starter pack now €151,20 in the back-to-school sale (20% off). Stock up before September!")
case(C_FB, "nl",
     "Holiday Club in de herfstvakantie: €65 per dag, broertjes en zusjes krijgen 10% korting.")
case("x:@new_in_hague", "en",
     "Does the Vlietmond bus pass (€1,650) also cover pickups from After School Club? Anyone know?")
case("facebook:oksana.p.nl", "nl",
     "Mijn zoon is helemaal opgebloeid sinds hij bij de EAL support van Vlietmond zit. Echt top begeleiding 🙏",
     name="Oksana P.")
case("x:@ouder_van_twee", "nl",
     "Twee kinderen bij Vlietmond, nu 4 jaar. Schoolgeld is fors maar de docenten zijn goud waard. Geen spijt.")
case(E_DANI, "nl",
     "Sportdag was 🔥🔥 Bedankt aan alle ouders die hielpen! #VlietmondSport")
case(E_JOOST, "en",
     "New bike shed is done! 120 spots, covered, with lights. Small win for facilities 🚲")
case(E_PRIYA, "en",
     "Admissions for 2026-27 are open! Application fee €350, applications reviewed in order of receipt. "
     "Questions: admissions@vlietmondis.nl")
case("x:@tiago_m_nl", "en",
     "@VIS_admissions thanks for the quick reply yesterday, the form worked on the second try!", kind="reply")
case("facebook:marieke.de.wit.88", "nl",
     "Handig, de school stuurde een voorbeeld van hoe je met de QR-code betaalt, met een nep-rekeningnummer "
     "NL00 BANK 0000 0000 00 erin. Duidelijk zo!")
case("x:@chessmum_nl", "en",
     "Vlietmond's chess club just destroyed us 5-0. Absolute assassins. Respect ♟️")
case("x:@c_van_dam", "nl",
     "Sterkte aan de collega's van de basisschool in Delft na de brand vannacht. Vanuit Vlietmond hebben de "
     "kinderen tekeningen gemaakt ❤️")
case(C_X, "nl",
     "@sjoerd_k Excuses voor het ongemak! De dubbele incasso wordt deze week teruggestort, we hebben je een DM "
     "gestuurd.", kind="reply")
case(C_YT, "en",
     "Watch: a day in the life of a Vlietmond Grade 1 student 🎥 From morning circle to robotics club.")
case(C_TT, "nl",
     "Varsity voetbal heeft de beker gewonnen!!! 🏆⚽ #VlietmondSport")
case("forum:budgetmama", "nl",
     "Weet iemand of de Ardennenreis van Vlietmond dit jaar weer €645 is? Wil het alvast in ons budget zetten.")
case(E_HENDRIK, "nl",
     "Tip voor ouders: het schoolgeld kan in 10 maandelijkse termijnen. Alle info op vlietmondis.nl/fees of "
     "mail finance@vlietmondis.nl.")
case("reddit:u/ib_maths_parent", "en",
     "Does the Vlietmond tutoring bundle (10h for €650) cover IB maths AA HL? Anyone tried it?")
case(E_LOTTE, "nl",
     "Vandaag met klas 9 een 'vulkaan' laten uitbarsten. Geen gewonden, wel heel veel schuim 🌋😂")
case("facebook:tom.hendriks.ryswyck", "en",
     "Huge thanks to the Vlietmond nurse who spotted my son's concussion after rugby and called us straight away. "
     "Handled perfectly.", name="Tom Hendriks")
case("x:@budgettip_nl", "nl",
     "Tip: betaal de Vlietmond buspas via iDEAL, dan hoef je je creditcardnummer (**** **** **** 1234) niet in te "
     "voeren. Gaat ook sneller.")
case("threads:@anouk.leest", "nl",
     "Bij Vlietmond lezen ze in groep 7 nu 'De Gorgels'. Mijn dochter lacht zich kapot, ik ook 😂")
case(E_MARIEKE, "nl",
     "Herfstwandeling met de kleuters 🍂 40 kastanjes, 3 natte sokken, 0 tranen. Geslaagd!")
case("mastodon:@ondrwijsnerd", "nl",
     "Interessant stuk over privacy op scholen. Vlietmond gebruikt gelukkig tweestapsverificatie in hun app, dat "
     "stelde me als ouder gerust.")
case("x:@opa_henk_070", "nl",
     "Kleinzoon zit sinds september op Vlietmond. Wat een mooie school, en wat vriendelijk dat ze opa's ook "
     "uitnodigen voor de grootouderdag 👴")


# ======================================================================================
# BUILD
# ======================================================================================
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(acct):
    key = acct.lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def checked_ids_in(text):
    return [v for v, (k, ok) in IDS.items() if v in text and ok]


def severity(cats, role, text):
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                lv = SEV.index("warning")
            elif c in ("leak.secret", "leak.pricing"):
                lv = SEV.index("critical")
            elif c == "leak.pii" and checked_ids_in(text):
                lv = SEV.index("critical")
            else:
                lv = SEV.index("error")
        elif c == "reputation.complaint":
            lv = SEV.index("warning")
        elif c == "reputation.crisis":
            lv = SEV.index("error")
        elif c == "reputation.abuse":
            lv = SEV.index("error") if insider else SEV.index("warning")
        else:
            raise AssertionError(c)
        level = max(level, lv)
    return SEV[level]


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    day = rng.randint(0, 347)
    sec = rng.randint(5 * 3600, 22 * 3600)
    t = start + dt.timedelta(days=day, seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
          "reddit": "rd", "forum": "fo", "mastodon": "md", "bluesky": "bs", "threads": "th"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for n, i in enumerate(order):
        c = CASES[i]
        platform, handle = c["acct"].split(":", 1)
        cats = sorted({CAT[x] for x in c["cats"]})
        role = role_of(c["acct"])
        post = {
            "id": "%s-422%04d" % (PREFIX[platform], 1000 + n * 7 + rng.randint(0, 6)),
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "Vlietmond",
        }
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if platform in ("x", "reddit", "instagram"):
            post["url"] = "https://example.invalid/%s/%s" % (platform, post["id"])
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, c["text"])}})
    return out


# ======================================================================================
# SELF-CHECK
# ======================================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")
CARD_RE = re.compile(r"(?<![\w.,])(\d(?:[ -]?\d){12,18})(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,/-])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\w/-]|[.,]\d)")


def scan_ids(text):
    """Identifier candidates by regex, after removing generated secrets and the company's own IBANs."""
    for s in SECRETS:
        text = text.replace(s, " ")
    for own in PROFILE["public_identifiers"]["ibans"]:
        text = text.replace(own, " ").replace(group4(own), " ")
    found = []
    for m in IBAN_RE.finditer(text):
        cand = m.group(1)
        if cand[:2] in ("NL", "BE", "DE"):
            found.append(("iban", cand, iban_check_ok(cand)))
            text = text.replace(cand, " ")
    for m in CARD_RE.finditer(text):
        found.append(("card", m.group(1), luhn_ok(m.group(1))))
    for m in BSN_RE.finditer(text):
        found.append(("bsn", m.group(1), bsn_ok_check(m.group(1))))
    return found


def check(rows):
    errors = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p.get("id")
        if set(r) != {"post", "expect"}:
            errors.append((pid, "top-level keys"))
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errors.append((pid, "id"))
        if pid in ids:
            errors.append((pid, "duplicate id"))
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            errors.append((pid, "platform"))
        if p.get("kind") not in KINDS:
            errors.append((pid, "kind"))
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errors.append((pid, "handle"))
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            errors.append((pid, "text"))
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            errors.append((pid, "created_at"))
        else:
            t = dt.datetime.strptime(p["created_at"][:19], "%Y-%m-%dT%H:%M:%S")
            if t.year not in (2026, 2027):
                errors.append((pid, "year"))
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            errors.append((pid, "categories"))
        if "reputation.spike" in cats:
            errors.append((pid, "spike on single post"))
        if e.get("severity") not in SEV:
            errors.append((pid, "severity value"))
        if not cats and e["severity"] != "none":
            errors.append((pid, "benign severity"))
        if cats and e["severity"] in ("none", "info"):
            errors.append((pid, "positive severity"))
        acct = p["platform"] + ":" + p["account"]["handle"]
        if e["severity"] != severity(cats, role_of(acct), p["text"]):
            errors.append((pid, "severity policy"))
        text = p["text"]
        positive = bool(cats)
        # generated identifiers: positives only carry valid ones, negatives only invalid ones
        for v, (kind, ok) in IDS.items():
            if v in text and ok != positive:
                errors.append((pid, "generated %s validity %s in %s" % (kind, ok, "positive" if positive else "benign")))
        # any identifier-shaped number found by regex follows the same rule
        for kind, cand, ok in scan_ids(text):
            if ok != positive:
                errors.append((pid, "scanned %s %r valid=%s" % (kind, cand, ok)))
        # checksummed identifiers in a pii positive need leak.pii; identifiers in others must not be valid
        if "leak.pii" not in cats:
            for kind, cand, ok in scan_ids(text):
                if ok:
                    errors.append((pid, "valid %s outside a pii case" % kind))
        # secrets: generated ones only in leak.secret positives, and well-formed
        for s, kind in SECRETS.items():
            if s in text and "leak.secret" not in cats:
                errors.append((pid, "secret in non-secret case"))
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_token_ok(tok) != ("leak.secret" in cats):
                errors.append((pid, "github token checksum vs label"))
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]+", text):
            if len(tok) != 40 and "leak.secret" in cats:
                errors.append((pid, "github token length"))
        for k in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            valid = re.fullmatch(r"AKIA[A-Z2-7]{16}", k) and not k.endswith("EXAMPLE")
            if bool(valid) != ("leak.secret" in cats):
                errors.append((pid, "aws key vs label"))
        for j in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = j.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errors.append((pid, "jwt header"))
        # embargo: terms before until must be confidential, after until must not be
        for emb in PROFILE["embargo"]:
            until = dt.datetime.strptime(emb["until"][:19], "%Y-%m-%dT%H:%M:%S")
            t = dt.datetime.strptime(p["created_at"][:19], "%Y-%m-%dT%H:%M:%S")
            for term in emb["terms"]:
                if term.lower() in text.lower():
                    if t < until and "leak.confidential" not in cats:
                        errors.append((pid, "embargo term before until not confidential"))
                    if t >= until and cats:
                        errors.append((pid, "embargo term after until labelled"))
        # public identifiers never make a finding by themselves; codenames / markers imply confidential
        for cn in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if cn.lower() in text.lower() and "leak.confidential" not in cats:
                errors.append((pid, "internal term %r without confidential" % cn))
    # every generated secret and identifier ended up in some case
    alltext = "\n".join(r["post"]["text"] for r in rows)
    for s in SECRETS:
        if s not in alltext:
            errors.append((None, "unused secret"))
    for v in IDS:
        if v not in alltext:
            errors.append((None, "unused identifier " + v))
    # handles: public handles are not in the profile; every profile employee posts
    used = {(r["post"]["platform"] + ":" + r["post"]["account"]["handle"]).lower() for r in rows}
    for a in PROFILE["accounts"]["employee"]:
        if a.lower() not in used:
            errors.append((None, "employee account never used: " + a))
    # public IBAN in profile passes mod-97
    for own in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check_ok(own):
            errors.append((None, "profile IBAN fails mod-97"))
    return errors


def stats(rows):
    from collections import Counter
    cnt = Counter()
    for r in rows:
        for c in r["expect"]["categories"]:
            cnt[c] += 1
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    langs = Counter(r["post"]["lang"] for r in rows)
    roles = Counter(role_of(r["post"]["platform"] + ":" + r["post"]["account"]["handle"]) for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    return cnt, benign, langs, roles, sev


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read from disk and check what was written
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    errors = check(rows)
    cnt, benign, langs, roles, sev = stats(rows)
    print("cases:", len(rows), "benign:", benign)
    print("categories:", dict(sorted(cnt.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
    print("severities:", dict(sev))
    if not 170 <= len(rows) <= 180:
        errors.append((None, "case count %d" % len(rows)))
    if errors:
        for e in errors:
            print("ERROR", e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
