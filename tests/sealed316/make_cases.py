#!/usr/bin/env python3
"""Build the sealed evaluation set 316 (Lanterfant Hospitality, hostels and budget hotels).

Deterministic: a fixed seed drives every generated identifier, token, id and timestamp.
Writes cases.jsonl next to this file and then checks it; exits non-zero on any problem.
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
rng = random.Random(316316)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# generators for realistic identifiers and credentials
# --------------------------------------------------------------------------------------
DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "_-"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, spaced=False):
    bban = bank + rand(DIG, 10)
    ib = "NL" + iban_check("NL", bban) + bban
    assert iban_ok(ib)
    if spaced:
        ib = " ".join(ib[i:i + 4] for i in range(0, len(ib), 4))
    return ib


def bad_iban(bank):
    ib = make_iban(bank)
    cd = int(ib[2:4])
    bad = ib[:2] + "%02d" % ((cd + 7) % 97 + 2) + ib[4:]
    if iban_ok(bad):
        bad = ib[:2] + "%02d" % ((cd + 13) % 97 + 2) + ib[4:]
    assert not iban_ok(bad)
    return bad


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix, length=16, sep=" "):
    body = prefix + rand(DIG, length - len(prefix) - 1)
    for c in DIG:
        if luhn_ok(body + c):
            num = body + c
            break
    assert luhn_ok(num)
    if sep and length == 16:
        num = sep.join(num[i:i + 4] for i in range(0, 16, 4))
    return num


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = rng.choice("123456") + rand(DIG, 8)
        if bsn_ok(d):
            return d


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "guest-" + rand(DIG, 7), "bkg": "LF" + rand(DIG, 8),
                                 "iat": 1772000000 + rng.randint(0, 9999999),
                                 "exp": 1790000000 + rng.randint(0, 9999999)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def make_pem():
    raw = bytes(rng.getrandbits(8) for _ in range(608))
    body = base64.b64encode(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


V = {}
V["ghp1"] = gh_token("ghp_")
V["gho1"] = gh_token("gho_")
V["akia"] = "AKIA" + rand(B32, 16)
V["aws_secret"] = rand(B64, 40)
V["sk_live"] = "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 74)
V["xoxb"] = "xoxb-" + rand(DIG, 12) + "-" + rand(DIG, 13) + "-" + rand(ALNUM, 24)
V["jwt"] = make_jwt()
V["pem"] = make_pem()
V["dbpw"] = rand(ALNUM, 14) + "!" + rand(ALNUM, 3)
V["pw1"] = "Uiltje" + rand(DIG, 4) + "!" + rand(string.ascii_lowercase, 3)
V["pw2"] = "Kl" + rand(ALNUM, 8) + "#" + rand(DIG, 2)
V["openai"] = "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)
V["anthropic"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["sendgrid"] = "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)

V["iban_pub_cust"] = make_iban("ABNA", spaced=True)
V["iban_corp_reply"] = make_iban("INGB")
V["iban_koen"] = make_iban("SNSB", spaced=True)
V["iban_bad_phish"] = bad_iban("BUNQ")
V["card_cust"] = make_card("4", sep=" ")
V["card_lost"] = make_card("5", sep="-")
V["card_bad_train"] = "4111 1111 1111 1112"
V["bsn_porter"] = make_bsn()
V["bsn_lost"] = make_bsn()
V["bsn_lost"] = V["bsn_lost"][:4] + "." + V["bsn_lost"][4:6] + "." + V["bsn_lost"][6:]
V["booking_ref_bad"] = "482913375"
V["giftcard_bad"] = "6012 3456 7890 1235"

assert not bsn_ok(V["booking_ref_bad"])
assert not luhn_ok(V["card_bad_train"]) and not luhn_ok(V["giftcard_bad"])

# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
C = "reputation.complaint"
X = "reputation.crisis"
A = "reputation.abuse"
P = "leak.pii"
K = "leak.confidential"
F = "leak.financial"
S = "leak.security"
T = "leak.secret"
R = "leak.pricing"

CASES = []


def add(acct, lang, cats, text, kind="post", when=None, brand=None):
    platform, handle = acct.split(":", 1)
    CASES.append({"acct": acct, "platform": platform, "handle": handle, "lang": lang,
                  "cats": sorted(set(cats)), "text": text, "kind": kind, "when": when,
                  "brand": brand})


# ---- complaints ---------------------------------------------------------------------
add("x:@backpackbram", "nl", [C],
    "@lanterfant_help al 3 weken wachten op m'n refund voor de geannuleerde boeking in Utrecht. "
    "3 mails gestuurd, 0 antwoord. Hoe lang nog?? 😤", kind="reply")
add("reddit:u/eurotrip_kate", "en", [C],
    "Stayed at Lanterfant Rotterdam last weekend. The 8-bed dorm smelled like wet socks, two of the "
    "lockers had no doors and the 'hot' shower was lukewarm at best. Staff just shrugged. "
    "Not going back tbh.")
add("instagram:@lisa.op.reis", "nl", [C],
    "Dus je boekt een privé twin bij Lanterfant Gent en bij aankomst is het 'sorry, we zijn overboekt, "
    "u kunt in de slaapzaal'. Echt niet oké. Geld terug graag. #lanterfant #overboekt")
add("x:@tomhikes", "en", [C],
    "Lanterfant charging a towel fee AND a cleaning fee AND city tax on top of a price that was "
    "advertised as all-in. Feels like bait and switch ngl", when="2026-07-05T19:26:03Z")
add("facebook:gerda.pronk.1967", "nl", [C],
    "Wij zaten met groep 8 in Lanterfant Maastricht. Om kwart over acht was het ontbijt al op, de helft "
    "van de kinderen kreeg alleen een beschuitje met jam. Voor zo'n groepsreis verwacht je echt beter. "
    "Graag een reactie van de directie.")
add("tiktok:@jaydenvlogs", "nl", [C],
    "pov: het is 23:40, je staat bij lanterfant amsterdam oost, de zelf-incheckzuil doet het niet en er "
    "zit niemand achter de balie 🙃🙃 45 min buiten gestaan #fail")
add("x:@hannah_travels_", "en", [C],
    "wifi at lanterfant groningen is a joke. couldn't even load my boarding pass this morning. "
    "'free fast wifi' my foot")
add("bluesky:@pieterpost.bsky.social", "nl", [C],
    "Borg voor het kluisje nog steeds niet terug van Lanterfant. 'Binnen 5 werkdagen' zeiden ze. "
    "Inmiddels 5 weken verder en 3x gebeld. Slecht geregeld.")
add("reddit:u/sleepless_in_utrecht", "en", [C],
    "Anyone else had the LanterfantGo app cancel a booking by itself? Got a 'your stay has been "
    "cancelled' push at 2am, no reason given, still no refund. Support chat is a bot that loops "
    "back to the FAQ every time.")
add("x:@ilse_vd_m", "nl", [C],
    "nog nooit zo'n onbeschofte receptionist meegemaakt als vanavond bij Lanterfant Den Haag. "
    "we werden gewoon uitgelachen toen we vroegen waar ons extra bed bleef 👎")

# ---- complaint + crisis: first-hand harm --------------------------------------------
add("x:@marit_reist", "nl", [C, X],
    "Ik zit onder de bulten van de bedwantsen na 2 nachten in de slaapzaal van Lanterfant Utrecht. "
    "Foto's heb ik. Receptie zei 'kan niet bij ons vandaan komen'. Ik ben er klaar mee. #bedwantsen")
add("reddit:u/greg_on_the_road", "en", [C, X],
    "PSA: got food poisoning from the breakfast at Lanterfant Eindhoven. Me and two other guests were "
    "throwing up all night after the scrambled eggs. Told the desk in the morning, got a shrug and a "
    "voucher form.", when="2026-04-25T08:40:19Z")
add("instagram:@noor.explores", "nl", [C, X],
    "Het bovenste stapelbed bij Lanterfant Rotterdam zakte gewoon in terwijl ik erin lag. Met mijn rug "
    "op de spijlen van het onderste bed terechtgekomen, zit nu op de SEH. Dat ding hing al los, zeiden "
    "mijn kamergenoten. Wie gaat dit betalen?")
add("x:@dan_goes_dutch", "en", [C, X],
    "The socket next to my bunk at Lanterfant Gent literally sparked and started smoking while my phone "
    "was charging. Melted the cable and nearly set my pillow on fire. This place is a fire hazard, "
    "and the night guy told me to 'just use another plug'.")
add("facebook:kees.hoogland.zwolle", "nl", [C, X],
    "Kreeg gisteren een flinke schok van de douchekraan in kamer 212 van Lanterfant Hotels Zwolle. "
    "Mijn hand tintelt nog steeds. Dit is levensgevaarlijk en niemand neemt het serieus!!")
add("tiktok:@sofia.wanders", "en", [C, X],
    "slipped on the cracked tiles in the shower at lanterfant maastricht and split my chin open. "
    "4 stitches 🥲 they had duct tape over the crack like that fixes anything 🙄")

# ---- complaint + pii: customers exposing their own data -----------------------------
add("x:@j_vermeulen88", "nl", [C, P],
    f"@lanterfant_help 2x afgeschreven voor 1 nacht!! Kaart {V['card_cust']}, graag vandaag nog "
    "terugstorten. Bel me maar op 06-41822937", kind="reply", when="2026-07-26T09:12:41Z")
add("facebook:anouk.wijnberg", "nl", [C, P],
    "Lanterfant, ik wacht nu al 6 weken op mijn terugbetaling van €178 voor de geannuleerde "
    f"familiereis. Stort het nou gewoon terug op {V['iban_pub_cust']} t.n.v. A. Wijnberg. "
    "Dit is belachelijk.")

# ---- complaint + abuse ----------------------------------------------------------------
add("x:@rickyyy_010", "nl", [C, A],
    "lanterfant rotterdam is echt een kutbedrijf. kamer smerig, haren in de douche en die gast aan de "
    "balie is een arrogante eikel. nooit meer")
add("reddit:u/fedup_traveller", "en", [C, A],
    "Lanterfant you absolute clowns. Cancelled our group booking two days before the trip and your "
    "'help' desk is staffed by useless idiots who can't even read an email.")

# ---- crisis (third party, breach, boycott, lawsuit, scandal) ------------------------
add("x:@groninger_nieuws_live", "nl", [X],
    "Brand in Lanterfant Hostel aan de Vismarkt vannacht: 40 gasten geëvacueerd, twee mensen met "
    "rookvergiftiging naar het UMCG. Oorzaak nog onbekend. #groningen")
add("reddit:u/privacy_first_nl", "en", [X],
    "Pretty sure Lanterfant got breached. My Lanterfant-only email alias suddenly gets phishing mails "
    "quoting my exact booking dates and room type. Did they leak our data and keep quiet about it?")
add("x:@fairwork_collectief", "nl", [X],
    "Schoonmakers bij Lanterfant krijgen via een schimmig uitzendbureau minder dan het minimumloon. "
    "Wij roepen op: boycot Lanterfant tot dit is rechtgezet. #boycotlanterfant")
add("linkedin:mr-m-de-graaf-advocaten", "nl", [X],
    "Namens 27 oud-medewerkers hebben wij vandaag een dagvaarding uitgebracht tegen Lanterfant "
    "Hospitality B.V. wegens structureel onbetaald overwerk en het ontbreken van pauzes bij nachtdiensten.")
add("x:@travelsafe_eu", "en", [X],
    "Legionella found in the water system of Lanterfant Den Haag according to the regional health "
    "service. Guests from the past two weeks with flu-like symptoms are advised to see a GP.")
add("instagram:@stopverborgencameras", "nl", [X],
    "Gasten vonden een verborgen camera in een gedeelde badkamer van een Lanterfant hostel. Volgens "
    "meerdere meldingen wist de vestigingsmanager ervan. Dit moet tot op de bodem uitgezocht worden.")
add("x:@jolienreist", "en", [X],
    "A friend of mine was staying at Lanterfant Amsterdam Oost when part of the ceiling in the common "
    "room came down in the night. Two guests hurt. She's fine thankfully but wow.")
add("tiktok:@112_brabant_nu", "nl", [X],
    "Vanochtend zes gasten van Lanterfant Hotels Eindhoven met koolmonoxidevergiftiging naar het "
    "ziekenhuis, meldt de brandweer. Het hotel is voorlopig gesloten.")
add("x:@angry_ex_guest", "en", [X, A],
    "Lanterfant's management are a bunch of lying scumbags. They KNEW about the bedbugs and kept selling "
    "beds anyway. Boycott these rats. #boycottlanterfant")

# ---- abuse ---------------------------------------------------------------------------
add("x:@stinkbeer_", "nl", [A],
    "@femke_frontdesk jij bent echt de domste trut die ik ooit achter een balie heb zien staan",
    kind="reply")
add("x:@mad_max_travels", "en", [A],
    "@lanterfant_help fuck you and fuck your shitty hostels", kind="reply")
add("x:@gertjan_1985", "nl", [A],
    "lanterfant = kl0t3b3dr1jf, dat hele personeel zijn l00z3rs die nog geen bed kunnen opmaken")
add("facebook:r.smeets.utrecht", "nl", [A],
    "die nachtportier van lanterfant utrecht is een v.u.i.l.e. k.l.o.o.t.z.a.k., zeg ik gewoon eerlijk")
add("x:@echteHollander_", "nl", [A],
    "Bij Lanterfant staan alleen nog maar buitenlanders achter de balie. Ga terug naar je eigen land en "
    "leer eerst normaal Nederlands praten")
add("reddit:u/cringe_police", "en", [A],
    "whoever runs the Lanterfant tiktok is a braindead moron, please delete your account")
add("x:@mireille_lf", "nl", [A],
    "dit k*tbedrijf betaalt onze toeslagen alwéér te laat. management is een stelletje incompetente "
    "idioten, ik zeg het maar gewoon")
add("x:@lanterfant_help", "en", [A],
    "@tomhikes maybe read the booking terms before whining, genius. Nobody forced you to stay with us.",
    kind="reply", when="2026-07-06T08:14:27Z")
add("x:@nightowl_nomad", "en", [A],
    "Lanterfant staff are \u0066u\u0441king useless. every single one of them")

# ---- personal data -------------------------------------------------------------------
add("instagram:@joris.receptie", "nl", [P],
    "Gevonden in de lobby: portemonnee van Daan Hoekstra, geboren 14-07-2001, woont Tolstraat 88-2 in "
    "Amsterdam. Daan, kom je hem ophalen? 😄")
add("x:@lanterfant_help", "nl", [P],
    "@j_vermeulen88 we hebben de dubbele afschrijving gevonden. De terugstorting naar "
    f"{V['iban_corp_reply']} t.n.v. J. Vermeulen staat ingepland voor vrijdag 🙏", kind="reply", when="2026-07-27T14:03:09Z")
add("reddit:u/lf_nachtportier", "en", [P],
    "night shift story: guy checks in at 3am, hands over his passport with a post-it stuck on it: "
    f"'BSN {V['bsn_porter']} for the tax form'. people. why")
add("linkedin:ayse-demir-lf", "nl", [P],
    "Welkom aan onze nieuwe collega's! Vragen over je contract? Bel Laura de Jong gewoon rechtstreeks op "
    "06 28 71 40 55 of mail naar laura.dejong.prive@gmail.com")
add("facebook:LanterfantHostels", "nl", [P],
    "De winnaar van de Weekendje Weg Box is Sem Bosman uit Haarlem! 🎉 Sem, we sturen je prijs naar "
    "Kleverparkweg 19, 2023 CB Haarlem. Check ook je mail (sem.bosman97@hotmail.com)!")
add("tiktok:@femke_frontdesk", "en", [P],
    "shoutout to our guest Margot Lemaire who turned 80 today (born 3 May 1946) and is backpacking "
    "solo through Europe 🥹 legend", when="2026-05-03T16:48:00Z")
add("x:@mo_reist", "nl", [P],
    "@lanterfant_help ik wil mijn boeking van volgende week naar 3 nachten veranderen, kunnen jullie "
    "me bellen op 0031 6 4450 1276? thx", kind="reply")
add("reddit:u/binfinder_eu", "en", [P],
    "lol found a printed guest list in the recycling bin behind Lanterfant Groningen. first line: "
    "'R. Smit, 06-17328840, Oosterstraat 7a Groningen, 2 nights'. not great, lanterfant")
add("x:@mireille_lf", "nl", [P],
    f"Wie is zijn bankpas vergeten in kamer 4? {V['card_lost']}, exp 08/28, ligt in de kluis bij de "
    "receptie 🙈")
add("bluesky:@sanne-housekeeping.bsky.social", "nl", [P],
    f"Gevonden bij het opruimen: ID-kaart van Yara Sedney, geb. 22-11-1999, BSN {V['bsn_lost']}. "
    "Ligt bij de receptie in Utrecht.")
add("instagram:@lanterfant.hostels", "en", [P],
    "@noah.kramer congrats, you won the pub crawl for 4! 🍻 We'll call you on +31 6 3355 9081 tomorrow "
    "to set it all up", kind="reply")
add("x:@petty_ex_99", "en", [P],
    "lol my ex left her booking confirmation on my laptop: Eva Koster, eva.koster@proton.me, "
    "+31 6 2290 4817, staying at Lanterfant Gent 12-14 June. have fun eva")
add("linkedin:koen-verhoef-lanterfant", "nl", [P],
    "Voor de nieuwe leverancier van linnengoed: de voorschotfacturen graag naar mij persoonlijk, "
    f"IBAN {V['iban_koen']} t.n.v. K. Verhoef. Dank!")

# ---- confidential ---------------------------------------------------------------------
add("x:@bas_revenue_lf", "nl", [K],
    "Project Marmot gaat volgende week eindelijk naar de stuurgroep 🤞 drie jaar werk in één deck")
add("linkedin:thijs-bakker-it-lanterfant", "en", [K],
    "This week we moved the whole staff portal to https://intranet.lanterfant.local/staff/home. "
    "Huge shoutout to the team for pulling it off in four days!")
add("instagram:@joris.receptie", "nl", [K],
    "Nieuwe huisregels net binnen, er staat 'alleen intern lanterfant' boven maar deze is te mooi: "
    "'Gasten niet wekken met de stofzuiger vóór 07:00' 😂")
add("tiktok:@femke_frontdesk", "nl", [K],
    "we mogen er nog niks over zeggen maar Operatie Slaapmuts wordt zo leuk 👀 alle uniformen gaan eraan")
add("x:@mireille_lf", "en", [K],
    "can't wait for \uff42\uff4c\uff55\uff45\uff42\uff55\uff4e\uff4b to launch 🐋 best thing we've "
    "built in years")
add("bluesky:@sanne-housekeeping.bsky.social", "nl", [K],
    "Bl\u200bue\u200bbunk pilot in Utrecht vanaf maandag: housekeeping krijgt eindelijk tablets "
    "in plaats van die papieren lijstjes")
add("reddit:u/hostelgossip", "en", [K],
    "Heard from a friend at Lanterfant HQ that 'Project Marmot' is basically them turning half their "
    "dorms into capsule pods. Anyone know more?")
add("x:@ruben_devops", "en", [K],
    "staging finally green on https://git.lanterfant.io/pms/booking-engine/-/pipelines 🎉 "
    "only took 41 attempts")
add("linkedin:ayse-demir-lf", "nl", [K],
    "Trots op ons nieuwe onboardingprogramma! Screenshot uit de deck (LF-CONFIDENTIAL, maar dit "
    "stukje mag vast wel 😉): 'dag 1: koffie, keycard, kroegentocht'")
add("instagram:@joris.receptie", "nl", [K],
    "Sneak peek van de stapelbedden voor Lanterfant Lissabon 😍🇵🇹 ik mag eigenlijk nog niks zeggen…",
    when="2027-02-15T18:22:10Z")
add("x:@lanterfant", "en", [K],
    "Big news coming: Lanterfant Lisbon opens its doors this spring! 🇵🇹🦉 Stay tuned.",
    when="2026-11-19T10:05:00Z")
add("x:@bas_revenue_lf", "nl", [K],
    "\u0420r\u043e\u0458\u0435ct \u041c\u0430rm\u043et kick-off morgen om 9:00, koffie en "
    "stroopwafels staan klaar")
add("linkedin:thijs-bakker-it-lanterfant", "nl", [K],
    "Voor wie het zoekt: de nieuwe VPN-handleiding staat op "
    "https://wiki.lanterfant-ops.nl/it/vpn-setup — graag vóór vrijdag installeren")
add("linkedin:lanterfant-hospitality", "en", [K],
    "Curious where we're heading in 2027? Here's a first look at the expansion map 🗺️ "
    "[LF-CONFIDENTIAL – board pack v3, p.14]")
add("x:@mireille_lf", "nl", [K],
    "De nieuwe SlaapPod XL (nog niet aangekondigd, sst) komt in vier kleuren en krijgt een eigen "
    "ventilator. Ik wil er nu al eentje")

# ---- confidential + financial ---------------------------------------------------------
add("reddit:u/lf_nachtportier", "en", [K, F],
    "not supposed to say this but O p e r a t i e  S l a a p m u t s means night shift goes down to "
    "one person per hostel from september. lovely.")
add("linkedin:koen-verhoef-lanterfant", "nl", [K, F],
    "Jaarcijfers 2026 liggen klaar: omzet €84,3 mln (+17%), EBITDA-marge 21%. Nog even stil houden tot "
    "de 25e 😉", when="2027-02-12T16:40:00Z")
add("x:@mireille_lf", "en", [K, F],
    "FY2026 results look insane, 91% occupancy across all hostels. can't say more yet 🤐",
    when="2027-01-20T21:13:45Z")

# ---- confidential + security ----------------------------------------------------------
add("x:@ruben_devops", "nl", [K, S],
    "pms.lanterfant.local ligt er weer uit, derde keer deze week. gasten kunnen niet inchecken en we "
    "mogen het nog steeds niet op de statuspagina zetten 🙄")

# ---- financial ------------------------------------------------------------------------
add("linkedin:koen-verhoef-lanterfant", "en", [F],
    "Q3 internally: revenue per available bed is 12% below forecast and we'll miss the full-year "
    "target by roughly €4m. Tough quarter ahead, team.", when="2026-10-08T17:45:12Z")
add("x:@bas_revenue_lf", "nl", [F],
    "Hoor net dat we worden overgenomen door een Duitse hostelketen?? De deal wordt pas in maart "
    "bekendgemaakt. Bizar.")
add("reddit:u/lf_nachtportier", "en", [F],
    "heads up to anyone applying: they're closing the Maastricht and Zwolle locations in Q2. "
    "announcement isn't out yet, staff were told yesterday.", when="2026-02-10T22:17:55Z")
add("linkedin:ayse-demir-lf", "nl", [F],
    "Zware week. Volgende maand verdwijnen er 60 fte bij Lanterfant, de receptie gaat grotendeels over "
    "op zelf-check-in. Nog niet officieel, maar het voelt niet goed om te zwijgen.")
add("tiktok:@femke_frontdesk", "nl", [F],
    "management zei vandaag dat we in 2027 naar de beurs gaan?? 📈 wie weet hoe aandelen werken lol")
add("x:@hospitality_insider_nl", "nl", [F],
    "Bronnen binnen Lanterfant melden dat het bedrijf vergevorderd in gesprek is om Slaapstad Hostels "
    "over te nemen voor zo'n €40 mln. Officiële aankondiging zou binnen weken volgen.")
add("bluesky:@sanne-housekeeping.bsky.social", "en", [F],
    "so we just got told the Utrecht building is being sold to a property fund and leased back. "
    "nobody outside knows yet. apparently it's 'good for the balance sheet'")
add("x:@lanterfant", "nl", [F],
    "Mooi nieuws: de omzet over Q2 ligt 22% boven vorig jaar en ruim boven onze eigen prognose! "
    "De officiële cijfers volgen later 🦉", when="2026-07-08T09:00:00Z")
add("linkedin:thijs-bakker-it-lanterfant", "en", [F],
    "The 2027 forecast was shared at today's all-hands: doubling to 9,000 beds and breaking even on "
    "the new hotels by Q3. Exciting times, can't wait for it to go public!")

# ---- security -------------------------------------------------------------------------
add("x:@ruben_devops", "en", [S],
    "we've had ransomware on the booking servers since sunday night. every hostel is doing paper "
    "check-in. comms says we can't call it a 'hack' yet 🫠")
add("linkedin:thijs-bakker-it-lanterfant", "nl", [S],
    "Pentestrapport binnen: de keycards van al onze hostels zijn met een Flipper van €30 te kopiëren. "
    "De fix duurt maanden. Tja.")
add("tiktok:@femke_frontdesk", "en", [S],
    "booking site has been down for 6 hours and we're told to say 'maintenance' to guests lol "
    "it is definitely not maintenance")
add("reddit:u/lf_nachtportier", "en", [S],
    "fun fact: the door code for the staff rooms is the same in every single Lanterfant hostel and "
    "hasn't changed since 2019. reported it twice. nothing happened.")
add("bluesky:@sanne-housekeeping.bsky.social", "nl", [S],
    "Gisteren bleek dat iedereen via de gastenwifi bij de camerabeelden van de lobby kon. Is nu "
    "'tijdelijk' dichtgezet, maar we mogen er met niemand over praten.")
add("x:@bas_revenue_lf", "en", [S],
    "our whole guest database sat in an open S3 bucket for at least two weeks 😬 security is on it, "
    "legal says no statement yet")
add("instagram:@joris.receptie", "nl", [S],
    "Betaalterminals liggen sinds vanochtend in ALLE vestigingen plat, storing bij de betaalprovider. "
    "Officieel weet nog niemand het, wij schrijven alles met de hand op 😅")
add("x:@ruben_devops", "nl", [S],
    "SQL-injectie in het groepsboekingsformulier is al 3 maanden bekend en nog steeds niet gepatcht. "
    "Ik ben het zat.")
add("linkedin:ayse-demir-lf", "en", [S],
    "HR note: someone phished our payroll admin last week and changed the bank details of 14 colleagues. "
    "We're sorting it out internally before anything goes out.")
add("tiktok:@femke_frontdesk", "nl", [S],
    "de LanterfantGo app laat al 2 dagen de boeking van een ándere gast zien als je je "
    "reserveringsnummer met 1 ophoogt 💀 IT weet ervan")
add("reddit:u/throwaway_lf_staff", "en", [S],
    "throwaway because I work there: the Lanterfant PMS admin panel is reachable from the internet "
    "with the vendor's default login. Has been like that for a year.")
add("x:@mireille_lf", "nl", [S],
    "Channel manager ligt al sinds 14:00 plat, alle koppelingen met de boekingssites dood, we "
    "overboeken nu waarschijnlijk in elke vestiging 🙃 niet doorvertellen")

# ---- secrets --------------------------------------------------------------------------
add("x:@ruben_devops", "nl", [T],
    f"eindelijk werkt de deploy weer 🙌 voor wie het nodig heeft: export GH_TOKEN={V['ghp1']} "
    "(niet doorsturen he)")
add("linkedin:thijs-bakker-it-lanterfant", "en", [T],
    "Backup job config for the new bucket, in case someone on the team needs it:\n"
    f"aws_access_key_id = {V['akia']}\naws_secret_access_key = {V['aws_secret']}\nregion = eu-west-1")
add("x:@bas_revenue_lf", "en", [T],
    f"why is stripe rejecting our webhooks 😩 using {V['sk_live']} and the endpoint looks right. anyone?")
add("bluesky:@sanne-housekeeping.bsky.social", "nl", [T],
    f"Hoe krijg ik die housekeeping-bot in Slack weer aan de praat? token is {V['xoxb']}, "
    "hij reageert gewoon niet meer")
add("x:@lanterfant_help", "en", [T],
    "@greg_on_the_road sorry about that! Could you try this link to reopen your booking? "
    f"https://boeken.lanterfant.nl/mijn-boeking?session={V['jwt']}", kind="reply", when="2026-04-26T10:02:44Z")
add("reddit:u/lf_nachtportier", "en", [T],
    "found this on the reception PC desktop in a file called 'server_key_DONT_DELETE.txt'. is this bad? "
    f"lol\n\n{V['pem']}")
add("x:@ruben_devops", "en", [T],
    "if the report tool breaks again the conn string is "
    f"postgresql://lf_reporting:{V['dbpw']}@10.40.2.17:5432/pms_prod , knock yourselves out")
add("instagram:@joris.receptie", "nl", [T],
    "Welkom nieuwe collega's! 👋 Inloggen op de receptie-pc: gebruiker receptie_ams, "
    f"wachtwoord: {V['pw1']} . Succes vandaag!")
add("x:@mireille_lf", "en", [T],
    f"playing with a gpt bot that answers guest FAQs 🤖 OPENAI_API_KEY={V['openai']} works "
    "surprisingly well!")
add("x:@webdev_wouter", "nl", [T],
    "lol de chatbot op de site van lanterfant heeft z'n Anthropic key gewoon in de page source staan: "
    f"{V['anthropic']} 🤦")
add("tiktok:@femke_frontdesk", "nl", [T],
    f"notitie voor mezelf want ik vergeet het altijd: kluis-app w\u200bachtwoord: {V['pw2']} 🙈")
add("linkedin:ayse-demir-lf", "nl", [T],
    "Voor iedereen die de nieuwsbriefkoppeling test: "
    f"SENDGRID_API_KEY={V['sendgrid']} . Laat maar weten of het werkt!")
add("x:@ruben_devops", "en", [T],
    f"note to self, CI bot oauth token: {V['gho1']} , rotate after the migration")

# ---- pricing --------------------------------------------------------------------------
add("x:@bas_revenue_lf", "nl", [R],
    "Oeps. De Zwerfpas 30 staat sinds vanochtend voor €74,90 in de shop in plaats van €749. Iemand is "
    "een nul vergeten 😬")
add("instagram:@lanterfant.hostels", "en", [R],
    "Flash deal!! The Rooftop Suite for €19 a night, this weekend only 🔥🦉")
add("x:@dealjager_nl", "nl", [R],
    "PRIJSFOUT bij Lanterfant!! Familiekamer voor €12 per nacht via de app, snel zijn 🏃‍♂️💨", when="2026-02-09T07:51:30Z")
add("reddit:u/frugal_backpacker", "en", [R],
    "Lanterfant has a price glitch: Surfweek Zandvoort showing €49 instead of €495. Booked two, let's "
    "see if they honour it")
add("tiktok:@femke_frontdesk", "nl", [R],
    "aan iedereen die vannacht een Private Twin voor €8 heeft geboekt: sorry, dat was een fout in het "
    "systeem 😅")
add("linkedin:koen-verhoef-lanterfant", "en", [R],
    "Honest post: yesterday our Groepsdeal Schoolreis went live at €195 instead of €1,950 for about an "
    "hour. Lesson learned about four-eyes checks on price changes.")
add("facebook:LanterfantHostels", "nl", [R],
    "Alleen vandaag: het Uilclub jaarlidmaatschap voor €3,90! 🦉 Op = op.")
add("x:@sjoerd_saves", "en", [R],
    "lanterfant selling the Zwerfpas 10 for €29?? is that a mistake or am I dreaming")
add("instagram:@budgetbabe.nl", "nl", [R],
    "SlaapPod voor €4,90?? 😱 prijsfoutje bij lanterfant denk ik, ik heb er maar gelijk 3 nachten "
    "gepakt")
add("x:@mireille_lf", "en", [R],
    "someone on the team put the Budget Double at €7.90 on the booking sites for the whole of May 🤦‍♀️ "
    "fixing it now")
add("bluesky:@koopjesklaas.bsky.social", "nl", [R],
    "Cadeaubon 50 voor €5 in de webshop van Lanterfant, dat kan toch niet kloppen? Iemand anders ook?")
add("x:@lanterfant_help", "nl", [R],
    "@dealjager_nl klopt, de Familiekamer stond per abuis voor €12 in de app. Boekingen tegen die prijs "
    "worden helaas geannuleerd en volledig terugbetaald.", kind="reply", when="2026-02-09T15:30:02Z")

# ---- benign, mostly hard negatives ----------------------------------------------------
add("x:@lotte_zwerft", "nl", [],
    "Lanterfant Utrecht is echt het beste hostel waar ik ooit ben geweest. Schoon, gezellig en Femke "
    "aan de balie is een legende 🙌")
add("instagram:@ravi.roams", "en", [],
    "Rooftop party at Lanterfant Rotterdam was FIRE 🔥🔥 killer views, dead tired now lol")
add("x:@lanterfant", "nl", [],
    "Deze week: Zwerfpas 10 tijdelijk €249 i.p.v. €299. Tien nachten, al onze hostels 🦉")
add("instagram:@lanterfant.hostels", "en", [],
    "Spring sale 🌷 20% off every 4-bed dorm bed in May, so from €31.20 a night. Go go go", when="2026-04-10T12:30:00Z")
add("facebook:LanterfantHostels", "nl", [],
    "Vragen over groepsboekingen? Mail groepen@lanterfant.nl of bel +31 20 555 0147, we helpen je graag.")
add("x:@lanterfant_help", "en", [],
    "Refunds are sent within 5 working days. Anything unclear? Drop us a line at "
    "reserveringen@lanterfant.nl 💌")
add("reddit:u/packlight_paul", "en", [],
    "Does Lanterfant Gent have lockers big enough for a 65L backpack? Thinking about adding the "
    "Locker XL for €6, worth it?")
add("x:@veilig_op_reis", "nl", [],
    "Na die brand in een hostel in Lissabon (niet van Lanterfant trouwens) vraag ik me af: hoe check je "
    "eigenlijk of je hostel brandveilig is? Tips?")
add("x:@hostel_economics", "en", [],
    "HostelHub Europe just announced a 30% drop in H1 profit and 200 job cuts. Rough year for the "
    "hostel sector overall.")
add("x:@sterre_b", "nl", [],
    "Had gedoe met mijn terugbetaling, maar @lanterfant_help heeft het binnen 10 minuten opgelost. "
    "Netjes!")
add("facebook:marloes.dijkman", "nl", [],
    "Sterkte aan het team van Lanterfant Groningen na de waterschade bij de buren. Jullie hebben de "
    "gasten super opgevangen ❤️")
add("x:@ja_nee_misschien", "nl", [],
    f"Boekingsnummer {V['booking_ref_bad']}, kan ik nog een nacht bijboeken bij @lanterfant_help of "
    "moet ik een nieuwe boeking maken?")
add("x:@lanterfant", "nl", [],
    "Let op: er gaan phishingmails rond die je vragen te betalen naar "
    f"{V['iban_bad_phish']}. Dat is NIET van ons! Ons enige rekeningnummer is NL39 RABO 0314 1592 67.")
add("reddit:u/giftcard_gwen", "en", [],
    f"My Lanterfant gift card number is {V['giftcard_bad']} (wrote it down wrong probably, the site says "
    "invalid). How do I check the balance online?")
add("linkedin:thijs-bakker-it-lanterfant", "en", [],
    "Security tip for devs: never commit keys. Even the AWS docs example AKIAIOSFODNN7EXAMPLE with "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY trips leak scanners, so imagine a real one 😉")
add("x:@ruben_devops", "en", [],
    "PSA: tokens in screenshots get redacted like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, not just "
    "blurred. blur can be undone.")
add("x:@lanterfant", "nl", [],
    "Lanterfant Lissabon is open! 🇵🇹 220 bedden, een rooftopbar en uitzicht over de Taag. Boek nu via "
    "lanterfant.nl", when="2027-03-01T10:00:00Z")
add("linkedin:lanterfant-hospitality", "en", [],
    "Today we published our FY2026 results: revenue €84.3m (+17%) and occupancy of 91% across our "
    "hostels. Thank you to every colleague and guest.", when="2027-02-25T08:30:00Z")
add("x:@snurkende_stijn", "nl", [],
    "Mijn stapelbedgenoot snurkt als een kettingzaag 😂 Lanterfant, verkopen jullie ook oordopjes?")
add("instagram:@wijnenweekend", "nl", [],
    "Nog een slaapmutsje in de bar van Lanterfant Maastricht en dan naar bed 🍷✨")
add("instagram:@alpine.anna", "en", [],
    "Saw an actual marmot on the hike today, then back to the Lanterfant for pizza and a shower. "
    "perfect day")
add("linkedin:ayse-demir-lf", "nl", [],
    "We zoeken nachtportiers in Utrecht en Gent! 🦉 Stuur je cv naar werken@lanterfant.nl, "
    "ervaring is geen must.")
add("tiktok:@femke_frontdesk", "en", [],
    "day in the life of a hostel receptionist 🦉 twelve check-ins, one lost teddy bear and three "
    "pub crawl sign-ups")
add("x:@budget_bart", "nl", [],
    "Net geboekt: 3 nachten in de 8-persoons slaapzaal voor €32 per nacht, ontbijtbuffet €9,50 erbij. "
    "Prima deal voor Amsterdam.")
add("reddit:u/groningen_bound", "en", [],
    "is the Lanterfant pub crawl worth €25? heading to Groningen next week and never done one")
add("x:@infosec_ingrid", "en", [],
    "Another hotel chain breached: BedNest confirms 1.2m guest records stolen. Happy I mostly stay at "
    "Lanterfant these days")
add("x:@lanterfant_help", "nl", [],
    "Vannacht tussen 02:00 en 04:00 doen we gepland onderhoud aan de LanterfantGo app. Daarna kun je "
    "weer gewoon boeken. Slaap lekker 🌙")
add("x:@lanterfant_help", "nl", [],
    "@mo_reist Wachtwoord vergeten? Tik in de app op 'wachtwoord resetten', dan krijg je binnen een "
    "minuut een mailtje.", kind="reply")
add("x:@ruben_devops", "en", [],
    "hot take: storing JWTs in localStorage is fine for most apps. fight me")
add("x:@bas_revenue_lf", "en", [],
    "Rotated all our payment keys this morning, the old ones (sk_live_…redacted) are dead. "
    "good hygiene friday 🧼")
add("reddit:u/seaside_sam", "en", [],
    "Lanterfant Den Haag near the beach is so underrated. Clean, cheap, and the staff gave me a map "
    "with their favourite fish stalls.")
add("x:@heimwee_hanna", "nl", [],
    "Ben ziek van heimwee, maar de Lanterfant in Gent maakt een hoop goed 🥲")
add("x:@pancake_pete", "en", [],
    "@lanterfant this hostel killed it with the breakfast, the pancakes are to die for 😍",
    kind="reply")
add("tiktok:@lanterfant.stays", "nl", [],
    "Black Friday 🖤 Weekendje Weg Box van €149 voor €119. Alleen dit weekend!", when="2026-11-27T08:00:00Z")
add("x:@thoughtful_theo", "en", [],
    "Thoughts with the staff at that hostel in Prague after the fire. Hostel workers everywhere "
    "deserve better pay and safer buildings.")
add("x:@vragenvera", "nl", [],
    "Is €89 voor een Private Twin in Utrecht normaal in het weekend? Vind het prima trouwens, "
    "gewoon benieuwd")
add("bluesky:@lanterfant.bsky.social", "en", [],
    "Press enquiries: pers@lanterfant.nl or call 085 555 0190. We usually reply within a working day.")
add("facebook:LanterfantHostels", "nl", [],
    "Aanbetaling voor je groepsreis? Ons IBAN is NL39RABO0314159267 t.n.v. Lanterfant Hospitality B.V. "
    "Vermeld altijd je boekingsnummer.")
add("x:@mireille_lf", "en", [],
    "Revenue management meetup in Amsterdam was great, lots of talk about dynamic pricing. no secrets "
    "spilled, promise 😇")
add("reddit:u/wetshower_wendy", "en", [],
    "Update: Lanterfant fixed the shower within the hour and moved us to a private room at no extra cost. "
    "Fair play, that's how you handle it.")
add("x:@reiziger_rik", "nl", [],
    "Iedereen roept boycot van die ene airline, maar ik vlieg gewoon. Anyway, morgen naar Lanterfant "
    "Rotterdam!")
add("instagram:@laptop.lena", "en", [],
    "Love that the lockers at Lanterfant open with your keycard. Feels safe leaving my laptop there "
    "while I explore")
add("reddit:u/grateful_guest", "en", [],
    "Leaving a 5-star review for Lanterfant Eindhoven. The night porter helped me when I was sick at "
    "3am, called a doctor and everything. Real MVP.")
add("x:@privacy_pien", "nl", [],
    "Moet je bij het inchecken bij Lanterfant echt je BSN opgeven? Ik heb alleen een paspoort bij me.")
add("tiktok:@femke_frontdesk", "en", [],
    f"training day at the desk: how to spot a fake card number 🤓 e.g. {V['card_bad_train']} fails the "
    "Luhn check, so the terminal won't even try it")
add("instagram:@gent.graphics", "en", [],
    "the blue bunk beds at Lanterfant Gent are so cute, whoever picked that colour deserves a raise 💙")
add("x:@bas_revenue_lf", "nl", [],
    "Altijd leuk, de zomerdrukte. Utrecht zit komend weekend zo goed als vol, boek op tijd!", when="2026-07-16T11:20:00Z")
add("x:@lanterfant", "en", [],
    "Fire drill at Lanterfant Groningen today at 11:00, don't panic when the alarm goes off 🚒")
add("x:@slaapkop_sil", "nl", [],
    "Zo lekker geslapen bij Lanterfant Zwolle, die matrassen zijn echt beter dan thuis")
add("reddit:u/privacy_nerd_nl", "en", [],
    "How does Lanterfant handle passport scans at check-in? Asking before I book, privacy nerd here.")
add("x:@fd_lezer", "nl", [],
    "Slaapstad Hostels schrapt 80 banen, las ik net in de krant. Hoop dat het bij Lanterfant beter gaat.")
add("tiktok:@lanterfant.stays", "en", [],
    "POV: you booked a SlaapPod for €49 and wake up to canal views 🌅")
add("x:@kroegtijger", "nl", [],
    "Welke Lanterfant heeft de beste kroegentocht, Groningen of Maastricht? Wil het weekend wat leuks")
add("linkedin:koen-verhoef-lanterfant", "en", [],
    "Proud to share that Lanterfant was named Best Budget Hospitality Employer 2026! Thank you team 💜")
add("reddit:u/side_project_sven", "en", [],
    "Built a little hostel price tracker for Lanterfant and two others. Config example is just "
    "API_KEY=your-key-here, never put real keys in a README 😅")
add("facebook:mirjam.tenhove", "nl", [],
    "Mijn dochter zat vorige week met school in Lanterfant Maastricht en vond het geweldig. Dank aan "
    "de begeleiding en het personeel!")
add("linkedin:koen-verhoef-lanterfant", "nl", [],
    "Blij dat de jaarcijfers 2026 nu eindelijk openbaar zijn. Trots op wat we samen hebben neergezet.",
    when="2027-02-26T09:15:00Z")
add("x:@surf_sanne", "nl", [],
    "Surfweek Zandvoort geboekt bij Lanterfant voor €495, inclusief board en wetsuit. Zin in!")
add("x:@lanterfant", "nl", [],
    "Goedemorgen! ☕ Het ontbijtbuffet in al onze hostels kost €9,50 en is vanaf nu tot 11:00 open "
    "in het weekend.")
add("x:@gijs_grapjas", "nl", [],
    "Die receptionist van Lanterfant Den Haag gaf me een upgrade omdat ik hem aan het lachen maakte. "
    "Topvent 😂")

# --------------------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------------------
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


def norm_acct(platform, handle):
    return f"{platform}:{handle}".lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    k = norm_acct(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMPL else "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d+])[3-6](?:[ -]?\d){12,18}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.]\d)")


def checked_ids(text):
    """All checksum-bearing identifier candidates: (kind, raw, valid)."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0)
        if re.sub(r"\s", "", raw) in PUB_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", m.group(0), luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"
    valid_id = any(ok for _, _, ok in checked_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                s = "warning"
            elif c in (T, R) or (c == P and valid_id):
                s = "critical"
            else:
                s = "error"
        elif c == C:
            s = "warning"
        elif c == X:
            s = "error"
        elif c == A:
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 360 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
for idx in order:
    c = CASES[idx]
    while True:
        pid = f"{c['platform']}-{rng.randint(10**9, 10**10 - 1)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or rand_time_2026(),
        "url": f"https://{c['platform']}.example/{pid}",
    }
    role = role_of(c["platform"], c["handle"])
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
    lines.append({"post": post, "expect": expect})

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for rec in lines:
        fh.write(json.dumps(rec, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {C, X, A, P, K, F, S, T, R}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def jwt_ok(tok):
    try:
        head = tok.split(".")[0]
        head += "=" * (-len(head) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(head))
    except Exception:
        return False


PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})+(?!\d)|\d+(?:[.,]\d{1,2})?)")


def parse_price(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))


def price_ratios(text):
    low = text.lower()
    spots = []
    for a, lp in ALIASES:
        for m in re.finditer(re.escape(a), low):
            spots.append((m.start(), m.end(), lp))
    out = []
    for m in PRICE_RE.finditer(text):
        if not spots:
            break
        price = parse_price(m.group(1))
        near = min(spots, key=lambda s: min(abs(m.start() - s[1]), abs(s[0] - m.end())))
        out.append(price / near[2])
    return out


ERR_WORDS = ("prijsfout", "price glitch", "price error", "pricing error", "fout in het systeem",
             "per abuis", "mistake", "vergeten", "instead of", "in plaats van", "kan toch niet kloppen")

seen = set()
n_benign = 0
for i, rec in enumerate(lines, 1):
    p, e = rec["post"], rec["expect"]
    where = f"line {i} ({p.get('id')})"
    # CONTRACT section 6 / section 1 shape
    if set(rec) != {"post", "expect"}:
        errors.append(f"{where}: top-level keys")
    for f_ in ("id", "platform", "account", "text", "created_at"):
        if f_ not in p:
            errors.append(f"{where}: missing {f_}")
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        errors.append(f"{where}: bad or duplicate id")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        errors.append(f"{where}: platform/kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        errors.append(f"{where}: handle")
    if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
        errors.append(f"{where}: text")
    if not RFC3339.match(p["created_at"]):
        errors.append(f"{where}: created_at")
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027):
        errors.append(f"{where}: year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        errors.append(f"{where}: categories")
    if e["severity"] not in RANK:
        errors.append(f"{where}: severity")
    if not cats:
        n_benign += 1
        if e["severity"] != "none":
            errors.append(f"{where}: benign severity")
    role = role_of(p["platform"], p["account"]["handle"])
    if e["severity"] != severity(cats, role, p["text"]):
        errors.append(f"{where}: severity mismatch")
    text = p["text"]
    # checksummed identifiers: valid in pii positives, invalid everywhere else
    for kind_, raw, ok in checked_ids(text):
        if P in cats and not ok:
            errors.append(f"{where}: {kind_} {raw!r} in a pii positive fails its checksum")
        if P not in cats and ok:
            errors.append(f"{where}: valid {kind_} {raw!r} in a post not labelled pii")
    # credentials
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", text):
        if (T in cats) != gh_ok(tok):
            errors.append(f"{where}: github token checksum vs label")
    for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", text):
        real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and not tok.endswith("EXAMPLE")
        if bool(real) != (T in cats):
            errors.append(f"{where}: AWS key vs label")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if jwt_ok(tok) != (T in cats):
            errors.append(f"{where}: JWT vs label")
    # codenames, markers, internal domains only in confidential positives
    # (spaced, zero-width, full-width and look-alike spellings are checked by hand)
    low = text.lower()
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + \
            PROFILE["internal"]["domains"]:
        if term.lower() in low and K not in cats:
            errors.append(f"{where}: internal term {term!r} without confidential label")
    # embargo terms: confidential before `until`, benign-compatible after
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in low and ts < until and K not in cats:
                errors.append(f"{where}: embargo term {term!r} before until without label")
            if term.lower() in low and ts >= until and K in cats:
                errors.append(f"{where}: embargo term {term!r} after until labelled confidential")
    # pricing
    ratios = price_ratios(text)
    if R in cats:
        if not (any(r < PROFILE["pricing"]["alert_below_ratio"] for r in ratios)
                or any(w in low for w in ERR_WORDS)):
            errors.append(f"{where}: pricing positive without low price or error talk")
        if not any(a in low for a, _ in ALIASES):
            errors.append(f"{where}: pricing positive without product")
    else:
        if any(r < PROFILE["pricing"]["alert_below_ratio"] for r in ratios):
            errors.append(f"{where}: low price on a product in a post not labelled pricing {ratios}")

# evasion spellings present
joined = "\n".join(r["post"]["text"] for r in lines)
for needle in ("\u200b", "\uff42", "\u0420", "\u0441", "kl0t3", "v.u.i.l.e", "O p e r a t i e"):
    if needle not in joined:
        errors.append(f"evasion sample {needle!r} missing")

# the mix
from collections import Counter
cnt = Counter(c for r in lines for c in r["expect"]["categories"])
langs = Counter(r["post"]["lang"] for r in lines)
roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in lines)
if not 170 <= len(lines) <= 180:
    errors.append(f"case count {len(lines)}")
if not 55 <= n_benign <= 65:
    errors.append(f"benign count {n_benign}")
for acct in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
    if not re.fullmatch(r"[a-z]+:\S+", acct):
        errors.append(f"profile account {acct}")
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        errors.append(f"profile IBAN {ib} fails mod-97")

if "-v" in sys.argv or errors:
    print("categories:", dict(sorted(cnt.items())))
    print("languages:", dict(langs), "roles:", dict(roles))
if errors:
    for e_ in errors:
        print("CHECK FAILED:", e_, file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(lines)} cases, {n_benign} benign -> {OUT}")
