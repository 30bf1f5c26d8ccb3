#!/usr/bin/env python3
"""Build the sealed evaluation set 440 for postwatch (fictional company: Betonbocht Skate B.V.).

Deterministic: a fixed seed drives every generated identifier, credential, id and timestamp.
Writes cases.jsonl beside this file and then checks it against CONTRACT §3, §4 and §6:
  * every line is a valid labelled case (post shape, categories, severity words);
  * severities are computed from the account role in profile.yaml, never typed by hand;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a benign post fails;
  * generated credentials are built the way the real ones are (GitHub CRC-32, AWS alphabet, JWT header);
  * codenames, markers, internal hosts and embargoed terms only appear in posts labelled confidential.
Standard library plus PyYAML only.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(440)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# ---------------------------------------------------------------- identifiers
def iban_check_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, valid=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 90)) % 97 + 2
        if chk > 98:
            chk = 2
    s = f"NL{chk:02d}{bban}"
    assert iban_check_ok(s) == valid, s
    return s


def group4(s):
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


def make_card(prefix, length=16, valid=True):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in range(10):
        if luhn_ok(body + str(last)):
            break
    if not valid:
        last = (last + rng.randint(1, 9)) % 10
    s = body + str(last)
    assert luhn_ok(s) == valid
    return s


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def make_bsn(valid=True):
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        part = sum(int(c) * k for c, k in zip(s, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = part % 11
        if last == 10:
            continue
        if not valid:
            last = (last + rng.randint(1, 8)) % 10
        out = s + str(last)
        if bsn_ok(out) == valid:
            return out


# ---------------------------------------------------------------- credentials
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "shop-api", "role": "admin", "iss": "betonbocht-webshop",
                                 "iat": 1767225600 + rng.randint(0, 9_000_000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def private_key():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + \
        bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def human_password():
    words = ["Kickflip", "Coping", "Maashaven", "Grindbox", "Halfpipe", "Ollie", "Betonrot", "Zwolle"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rng.choice(words).lower() + rng.choice("!?#")


G = {}
G["aws_id"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
G["ghp"] = github_token("ghp_")
G["ghs"] = github_token("ghs_")
G["db_pw"] = rand(string.ascii_letters + string.digits, 18)
G["wifi_pw"] = human_password()
G["portal_pw"] = human_password()
G["stripe"] = "sk_live_51" + rand(ALNUM, 12) + rand(ALNUM, 87)
G["slack"] = f"xoxb-{rng.randint(10**10, 10**11 - 1)}-{rng.randint(10**11, 10**12 - 1)}-{rand(ALNUM, 24)}"
G["openai"] = "sk-proj-" + rand(ALNUM + "_-", 58) + "T3BlbkFJ" + rand(ALNUM + "_-", 58)
G["anthropic"] = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
G["jwt"] = make_jwt()
G["pem"] = private_key()
SECRETS = [v for k, v in G.items()]

# personal identifiers that pass their checksum (positives)
G["iban_refund"] = make_iban("INGB")
G["iban_party"] = make_iban("ABNA")
G["iban_deposit"] = make_iban("RABO")
G["iban_zw"] = make_iban("SNSB")
G["card_counter"] = make_card("4")
G["card_log"] = make_card("53")
G["card_found"] = make_card("4")
G["bsn_hr"] = make_bsn()
# look-alikes that fail their checksum (benign)
G["bad_iban"] = make_iban("RABO", valid=False)
G["bad_iban2"] = make_iban("INGB", valid=False)
G["bad_card"] = make_card("4", valid=False)
G["bad_card2"] = make_card("51", valid=False)
G["bad_bsn"] = make_bsn(valid=False)
G["bad_bsn2"] = make_bsn(valid=False)

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
ZW = "\u200b"
iban_zw_text = ZW.join(group4(G["iban_zw"]).split(" "))  # zero-width between the groups

# ---------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def P(who, lang, text, cats="", kind="post", when=None):
    CASES.append({"who": who, "lang": lang, "text": text,
                  "cats": sorted(CAT[c] for c in cats.split()), "kind": kind, "when": when})


# ======== complaints (public customers) ========
P("x:@fleur_rdam", "nl", "@betonbocht_help al 12 dagen wachten op mijn bestelling, track & trace zegt 'in sortering' "
  "sinds vorige week dinsdag. Mails worden niet beantwoord. Verjaardag van m'n zoon is zaterdag 😤", "complaint", "reply")
P("instagram:@skatervince", "en", "ordered the Straatwaarde Complete, griptape was peeling off after literally 2 sessions. "
  "bubbles everywhere. not what you expect for 149 euro tbh", "complaint", "comment")
P("x:@mirjam_k", "nl", "Jaarpas gekocht bij Betonbocht Utrecht en nu is de hal al 3 weken dicht 'wegens onderhoud', "
  "zonder enige compensatie. Ik betaal dus voor niks. Wie gaat dit regelen??", "complaint")
P("facebook:sandra.dewit.77", "nl", "Gisteren een kinderfeestje gehad bij Betonbocht Zwolle. Instructeur kwam 40 minuten te laat, "
  "de kinderen stonden buiten in de kou te wachten en de pizza was koud. Voor 199 euro verwacht je echt meer. Nooit meer.", "complaint")
P("reddit:u/kickturn_karel", "en", "Anyone else get the wrong size from Betonbocht's webshop? Ordered a Pro Deck 8.5, got an 8.0 "
  "with a completely different graphic. And the return label costs ME 7.95 apparently. lame.", "complaint")
P("x:@jurre_skt", "nl", "stroop lagers van betonbocht na 1 regenbuitje al roestig. zonde van je geld man 🙄 #betonbocht", "complaint")
P("tiktok:@noaskates", "en", "pov: you booked a beginner lesson at betonbocht rotterdam and the teacher spent 45 min on his phone 📱 "
  "refund pls?? 🙃", "complaint")
P("x:@petra_hendriks", "nl", "@betonbocht_help Retour is op 3 maart al teruggestuurd, nog steeds geen geld terug. Dit is de "
  "vierde keer dat ik mail. Echt waardeloze service.", "complaint", "reply")
P("instagram:@bram.rolt", "nl", "Dijkrijder longboard, deck gescheurd bij de truckbolts na 2 maanden normaal cruisen. Garantie? "
  "'Valt onder slijtage.' Serieus @betonbocht.skate?", "complaint", "comment")
P("x:@ellie_sk8s", "en", "the betonbocht app charged my card twice for one day pass. support keeps saying 'we'll look into it'. "
  "it's been 3 weeks", "complaint")
P("forum:skatepunt_max", "nl", "Zomerkamp van Betonbocht was een teleurstelling. Groepen van 25 kinderen op 1 begeleider, mijn "
  "dochter heeft de hele week alleen op de mini ramp gestaan omdat de rest 'te druk' was. 295 euro voor veredelde oppas.", "complaint")
P("x:@dennis_fkn", "nl", "Betonbocht webshop is echt een kutbedrijf, 3x mijn bestelling geannuleerd zonder reden en het geld "
  "pas na 2 weken terug. Stelletje amateurs.", "complaint abuse")
P("youtube:@ramp_builder_tom", "en", "Bought the Mini Ramp Kit after watching this. Half the screws were missing and two of the "
  "plywood sheets were warped. Customer service hasn't answered in 10 days.", "complaint", "comment")
P("bluesky:@quinnrolls.bsky.social", "en", "Betonbocht's Schuurpapier Low: sole came off the upper after 3 weeks. Sent photos, got "
  "offered a 10% coupon. No thanks.", "complaint")
P("threads:@anouk.vdm", "nl", "Les weer afgezegd een uur van tevoren via sms, 2e keer deze maand. Lessenkaart van 179 euro en "
  "ik heb er pas 3 van kunnen gebruiken 😒 @betonbocht", "complaint")
P("x:@sofie_vl", "nl", "wachtrij bij de kassa betonbocht utrecht: 35 min. op een woensdagmiddag. 1 kassa open. kom op zeg",
  "complaint")
# first-hand safety incidents: crisis + complaint
P("x:@marco_v_dijk", "nl", "Mijn zoon (9) is vandaag gevallen in Betonbocht Rotterdam door een losliggende plaat op de funbox. "
  "Pols gebroken. Personeel zei dat die plaat 'al een paar dagen los zat'. Ik ben woest.", "crisis complaint")
P("instagram:@hanna.ollie", "en", "my Vert Helm cracked clean in half on a tiny slam in the bowl. concussion + a night in A&E. "
  "this thing is supposed to protect you @betonbocht.skate", "crisis complaint", "comment")
P("facebook:jolanda.krijgsman", "nl", "Mijn dochter kreeg een flinke schok van de metalen reling bij de bowl in Betonbocht Zwolle. "
  "Er hangt daar gewoon een kabel los achter het paneel. Hoe kan dit??", "crisis complaint")
P("reddit:u/grindrail_gert", "en", "Had burgers at the Betonbocht Utrecht snack bar on Saturday, three of us were puking all "
  "night. Food poisoning for sure. Someone should send the health inspector.", "crisis complaint")

# ======== crisis reported by third parties ========
P("x:@rijnmond_meldingen", "nl", "Bij skatehal Betonbocht Rotterdam is vanmiddag een jongen van 14 met de ambulance afgevoerd "
  "na een val van de vert ramp. Volgens omstanders ontbrak er een stuk coping.", "crisis")
P("x:@skatedad_ut", "en", "Heard Betonbocht customer data got leaked. My email turned up in a breach dump together with my "
  "home address and order history. Did they ever tell anyone??", "crisis")
P("instagram:@sk8collectief", "nl", "BOYCOT BETONBOCHT. Ze lobbyen om het gratis buitenpark in Zwolle-Zuid te laten slopen zodat "
  "iedereen naar hun betaalde hal moet. Koop daar niks meer en deel dit! #boycotbetonbocht", "crisis")
P("x:@mr_lmeijer", "nl", "Namens 40 ouders stappen wij naar de rechter tegen Betonbocht Skate B.V. vanwege de ongelukken "
  "tijdens het zomerkamp van 2025. De dagvaarding is vandaag betekend.", "crisis")
P("facebook:helmcheck.ouders", "en", "RECALL: Betonbocht is apparently pulling the Vert Helm from the shelves after it failed "
  "impact tests. Check your kids' helmets people!", "crisis")
P("reddit:u/exinstructor_nl", "en", "Betonbocht thread: several ex-instructors now say they were told to keep injury reports away "
  "from the insurer. If true this is a proper scandal.", "crisis")
P("x:@nieuwsflits_zwolle", "nl", "Brand in skatehal Betonbocht Zwolle, hal ontruimd. Geen gewonden gemeld. Oorzaak vermoedelijk "
  "kortsluiting in de kantine.", "crisis")
P("tiktok:@fenna.films", "nl", "die betonbocht instructeur die kinderen staat uit te schelden gaat gewoon viral 😳 hoe is die "
  "man nog niet ontslagen #schandaal #betonbocht", "crisis")
P("mastodon:@rollerjoris", "en", "Betonbocht webshop got hacked? At least five people in our skate group got phishing mails "
  "quoting their exact order numbers. Smells like a breach to me.", "crisis")
P("x:@moeder_van_3", "nl", "Vanochtend zijn bij Betonbocht Utrecht drie kinderen onwel geworden door de dampen van "
  "schoonmaakmiddel in de kleedkamer, vertelt een moeder in de groepsapp. Ambulance erbij.", "crisis")

# ======== abuse ========
P("x:@rvdb_1990", "nl", "@betonbocht_help jullie zijn echt een stelletje debielen, gewoon oplichters", "abuse", "reply")
P("instagram:@vandal.vic", "en", "the bald guy at the zwolle counter is a useless fat pig, how is he allowed near kids",
  "abuse", "comment")
P("x:@tygo_040", "nl", "betonbocht personeel zijn allemaal vuile kl\u043e\u043etzakken, nooit meer", "abuse")  # Cyrillic o
P("tiktok:@noscopes_nils", "en", "betonbocht staff are f*cking 1d10ts, bunch of sh1theads lol 🖕", "abuse", "comment")
P("x:@daan_grindt", "nl", "@petra_hendriks misschien eerst leren lezen voordat je gaat zeuren, muts", "abuse", "reply")
P("x:@betonbocht_help", "nl", "@jurre_skt wat een zeurpiet ben jij zeg. ga lekker ergens anders lopen janken", "abuse", "reply")
P("reddit:u/trueskater88", "en", "Betonbocht Rotterdam hires nothing but foreigners now, can't understand half the instructors. "
  "Go back to your own country and take your accents with you.", "abuse")
P("x:@kees_knalt", "nl", "b e t o n b o c h t = k u t z o o i. en die eigenaar is een o.p.l.i.c.h.t.e.r", "abuse")
P("youtube:@boardmeester", "nl", "Wat een kutvideo weer, die presentator is echt een sukkel 🤡", "abuse", "comment")
P("x:@anon_rage77", "en", "@mo_elkaddouri I know where you work. wait till I catch you after your shift at betonbocht, "
  "you're dead", "abuse", "reply")
P("instagram:@boos_op_bb", "nl", "@lotte.skatejuf dikke trut, blijf met je 'tips' van mijn zoontje af", "abuse", "comment")

# ======== confidential ========
P("x:@mo_elkaddouri", "nl", "lange dag maar de Project Zeehond sprint demo ging eindelijk goed 🙌 nieuwe checkout is sneller "
  "dan de oude ooit geweest is", "conf")
P("instagram:@lotte.skatejuf", "en", "sneak peek 👀 testing the Moerasvlinder prototypes today, grip is insane. can't say more!! "
  "#staffperks", "conf")
P("linkedin:ruben-hoekstra-betonbocht", "nl", "Trots op het team dat de afgelopen maanden keihard aan Operatie Walrus heeft "
  "gewerkt. Binnenkort meer!", "conf")
P("x:@kimvdlinden_ops", "en", "anyone know why wiki.betonbocht.local is crawling today? can't even open the rota page", "conf")
P("x:@daan_grindt", "nl", "screenshot van de memo, BB-INTERN VERTROUWELIJK: vanaf 1 juni is hal Utrecht op maandag en dinsdag "
  "dicht. Jammer voor de avondlessen", "conf")
P("tiktok:@betonbocht", "nl", "behind the scenes bij de fotoshoot voor de nieuwe Vert Helm 2 🤫 nog even geheim hoor!", "conf")
P("x:@mo_elkaddouri", "en", "if staging is down again just check https://git.bb-intern.nl/webshop/checkout/-/merge_requests/412 "
  "for the diff", "conf")
P("x:@brommer_bas", "nl", "Vriendin van me werkt bij Betonbocht, zegt dat ze volgend jaar een hal in Eindhoven openen. Bowl 040 "
  "gaat het heten. Je hoort het hier eerst 😎", "conf")
P("bluesky:@noor-bb.bsky.social", "en", "prepping the launch slides for Bowl 040 and the deep end is 3.4 metres 😍 nobody tell "
  "anyone", "conf")
P("linkedin:ilse-vermeulen-bb", "nl", "Net de jaarcijfers 2026 doorgenomen met het MT en het ziet er beter uit dan verwacht 🎉 "
  "Trots op iedereen!", "conf fin", when="2027-02-10T16:42:00Z")
P("instagram:@betonbocht.parks", "nl", "Planning zomer – ALLEEN VOOR BB-CREW – kampweek 3 schuift door naar Zwolle, Rotterdam "
  "doet dan alleen losse lessen", "conf")
P("reddit:u/former_bb_staff", "en", "ex-Betonbocht here. 'Moerasvlinder' is their in-house shoe line v2, made in the same "
  "factory as a big sneaker brand. drops spring '27.", "conf")
P("mastodon:@wsmit_bb", "nl", "\uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff3a\uff45\uff45\uff48\uff4f\uff4e\uff44 gaat in "
  "oktober live, eindelijk weg van dat oude platform", "conf")  # full-width letters
P("instagram:@lotte.skatejuf", "en", "I know, NDA, but LOOK at this colourway 😍 new OG Deck series with a Rotterdam graffiti "
  "artist, out in spring", "conf")
P("x:@daan_grindt", "nl", "Operatie W" + ZW + "al" + ZW + "rus overleg duurde 4 uur 😵 ik zeg verder niks", "conf")  # zero-width
P("facebook:BetonbochtSkateparks", "nl", "Interne planning (niet doorsturen - BB): personeelsfeest 12/12 in de Maashaven hal, "
  "vanaf 20:00", "conf")

# ======== financial ========
P("linkedin:ruben-hoekstra-betonbocht", "en", "Q3 revenue landed 18% below plan, so we'll have to reopen the 2027 budget. Not the "
  "quarter we were hoping for.", "fin")
P("x:@daan_grindt", "nl", "hoorde net dat hal Zwolle dichtgaat en dat 11 collega's hun baan kwijtraken. nog niks officieel maar wtf",
  "fin")
P("instagram:@lotte.skatejuf", "en", "rumour is true btw: Betonbocht is buying Rampenfabriek in Groningen 👀 papers signed last week",
  "fin")
P("linkedin:ilse-vermeulen-bb", "nl", "Zware week. Vandaag de eerste gesprekken gevoerd over de reorganisatie van het webshopteam, "
  "er gaan 6 fte uit. Went nooit.", "fin")
P("x:@betonbocht", "nl", "Verwachting omzet 2027: €14,2 mln, +22%. Zie het deck voor de aandeelhouders.", "fin")
P("reddit:u/boardroom_nephew", "en", "My uncle is on the Betonbocht board: they're in talks to sell the whole company to a private "
  "equity fund, announcement after the summer.", "fin")
P("x:@mo_elkaddouri", "nl", "webshopomzet deze maand 40% onder vorig jaar, management in paniek. er gaan koppen rollen", "fin")
P("linkedin:ruben-hoekstra-betonbocht", "en", "Operatie Walrus is closing: we are acquiring Rampenfabriek for roughly €3.1M, "
  "regulatory sign-off expected in January.", "conf fin")
P("bluesky:@noor-bb.bsky.social", "en", "forecast I saw today says the Utrecht hall won't break even until 2029. oof.", "fin")
P("x:@kimvdlinden_ops", "nl", "Officieus: EBITDA over H1 is negatief en de bank wil extra zekerheden. Niet verder vertellen", "fin")
P("x:@zwagerkoen", "nl", "Zwager werkt daar op finance: Betonbocht gaat in januari 20 man ontslaan, staat al in het plan", "fin")

# ======== security ========
P("x:@kimvdlinden_ops", "en", "up since 3am. someone got into our shop admin panel through an old plugin, customer table might "
  "be exposed. not public yet so shhh", "sec")
P("x:@mo_elkaddouri", "nl", "grappig: de checkout accepteert nog steeds negatieve aantallen, zo kun je korting afdwingen. ticket "
  "staat al 4 maanden open 🙈", "sec")
P("mastodon:@wsmit_bb", "en", "Card terminals in all three halls have been down since this morning and the payment provider "
  "has no ETA. Don't tell customers it's a hack yet, we honestly don't know.", "sec")
P("tiktok:@jesse_parkcrew", "nl", "de poortjes bij de ingang gaan open met elke oude jaarpas, ook als ie al lang verlopen is lol. "
  "al maanden zo", "sec")
P("reddit:u/bb_shopjelle", "en", "PSA from the inside: our password reset mails leak the reset token via the referer to a "
  "tracking script. They know, the fix isn't live yet.", "sec")
P("x:@kimvdlinden_ops", "nl", "ransomware op de kassaserver van Zwolle, we draaien op pin-only. komt vanmiddag vast in het nieuws",
  "sec")
P("linkedin:ruben-hoekstra-betonbocht", "en", "Yesterday our finance team got a spoofed CEO e-mail and wired €48k before anyone "
  "noticed. Police are involved. Lessons learned internally.", "sec")
P("bluesky:@noor-bb.bsky.social", "en", "customer database backup sat in a public bucket for 2 weeks 😬 closed it this "
  "morning, legal is deciding whether we notify", "sec")
P("x:@mo_elkaddouri", "en", "heads up: api.betonbocht.nl/v1/orders hands you any order if you just change the id. yes really. "
  "patch on friday", "sec")
P("x:@ex_bb_barista", "nl", "Oud-collega hier: het wifi-wachtwoord van het kantoornetwerk bij Betonbocht is al 5 jaar hetzelfde "
  "en iedereen in de kantine zit gewoon op het interne netwerk", "sec")
P("x:@betonbocht_help", "nl", "@ellie_sk8s sorry! Onze betaalserver ligt er sinds gisteravond uit door een aanval, we mogen er "
  "nog niks over zeggen", "sec", "reply")
P("instagram:@lotte.skatejuf", "en", "no lessons today, whole booking system wiped after someone at HQ clicked a phishing link 🙃 "
  "IT says don't post about it so… oops", "sec")

# ======== secrets ========
P("x:@mo_elkaddouri", "en", f"why does this keep failing?? export AWS_ACCESS_KEY_ID={G['aws_id']} "
  f"AWS_SECRET_ACCESS_KEY={G['aws_secret']}", "secret")
P("x:@mo_elkaddouri", "nl", f"token voor de CI deploy: {G['ghp']} morgen niet vergeten in de vault te zetten", "secret")
P("mastodon:@wsmit_bb", "en", f"shop db config for the new laptop: DATABASE_URL=postgres://shop_admin:{G['db_pw']}"
  f"@db01.betonbocht.local:5432/webshop", "secret conf")
P("x:@kimvdlinden_ops", "nl", f"voor de nieuwe collega's: wifi BB-Crew, wachtwoord: {G['wifi_pw']}", "secret")
P("reddit:u/bb_shopjelle", "en", f"stripe webhook keeps 401ing, my setup is literally just stripe.api_key = \"{G['stripe']}\" "
  "what am I missing", "secret")
P("bluesky:@noor-bb.bsky.social", "en", f"got the rota bot running 🥳 SLACK_BOT_TOKEN={G['slack']}", "secret")
P("x:@mo_elkaddouri", "en", f"playing with AI product descriptions, key is {G['openai']} if anyone wants to try before I rotate it",
  "secret")
P("forum:freelance_fenne", "en", f"Doing some work on a skate shop's webshop (Betonbocht). Getting 'invalid signature' with this "
  f"token: {G['jwt']} — what am I doing wrong?", "secret")
P("x:@kimvdlinden_ops", "en", f"pasted the wrong thing in the group chat earlier 🤦\n{G['pem']}", "secret")
P("instagram:@betonbocht.skate", "nl", f"caption tool config test, negeer maar ANTHROPIC_API_KEY={G['anthropic']}", "secret")
P("x:@daan_grindt", "nl", f"roosterportaal: gebruiker daan.b / wachtwoord: {G['portal_pw']} (ff voor jesse, morgen weer "
  "veranderen)", "secret")
P("x:@bughunter_lisa", "en", f"lol Betonbocht's dev left this in their public JS bundle: {G['ghs']}", "secret")

# ======== personal data ========
P("x:@betonbocht_help", "nl", "@fleur_rdam we hebben je bestelling gevonden! Klopt het adres Fleur Jansen, Schiekade 112B, "
  "3032 AJ Rotterdam? Anders bellen we je op 06-41827365", "pii", "reply")
P("x:@betonbocht_help", "en", f"@ellie_sk8s the refund for the double charge goes to {G['iban_refund']} (E. Verhoeven), "
  "should be there within 3 working days", "pii", "reply")
P("instagram:@lotte.skatejuf", "nl", "Gefeliciteerd aan onze jongste leerling Saar de Graaf, vandaag 7 jaar geworden "
  "(geb. 14-05-2019)! 🎂🛹", "pii", when="2026-05-14T15:10:00Z")
P("x:@daan_grindt", "en", f"whoever left their card at the Utrecht counter: {group4(G['card_counter'])} exp 09/28, come pick "
  "it up", "pii")
P("linkedin:ilse-vermeulen-bb", "nl", f"Welkom Youssef Amrani in het team! Youssef, voor de salarisadministratie nog even "
  f"checken: BSN {G['bsn_hr']}, klopt dat?", "pii")
P("x:@keesvroom", "nl", "@betonbocht_help mijn retour staat al 2 weken open en niemand reageert. mail me op kees.vroom84@gmail.com "
  "of bel 06-28461937, ik word er gek van", "pii complaint", "reply")
P("facebook:marloes.bakker.52", "nl", f"Voor de terugbetaling van het kinderfeestje: mijn rekeningnummer is {G['iban_party']} "
  "t.n.v. M. Bakker. Graag deze week nog", "pii", "comment")
P("x:@betonbocht", "en", "Congrats to our giveaway winner Tim Oosterhuis, Lindenlaan 8, 8021 Zwolle – your Polder Cruiser is "
  "on its way! 🎉", "pii")
P("x:@mo_elkaddouri", "en", f"debugging order 88213, customer anna.kuipers@ziggo.nl, and the full PAN is in the log: "
  f"{G['card_log']} ... who wrote this logger", "pii")
P("reddit:u/verkeerde_factuur", "en", "Betonbocht sent me someone else's invoice: Jeroen Smit, born 03-11-1988, Kerkstraat 21, "
  "Amersfoort, phone 06-19283746. That's a GDPR breach, right?", "pii crisis")
P("x:@boardgejat", "nl", "Wie kent deze gast? Heeft mijn board gejat bij Betonbocht Utrecht. Sem Hoekstra, woont Oudegracht 201 "
  "in Utrecht. Delen!", "pii")
P("instagram:@betonbocht.parks", "nl", f"Gevonden bij de bowl: bankpas op naam van L. de Boer, {group4(G['card_found'])}. "
  "Ophalen bij de balie!", "pii")
P("mastodon:@wsmit_bb", "nl", f"kan iemand van finance checken of de aanbetaling van fam. de Vos (IBAN {G['iban_deposit']}) "
  "binnen is? staat nog op open", "pii")
P("x:@milan_skates", "en", f"@betonbocht_help refund me already, 4 weeks now!! {iban_zw_text} M. Peters", "pii complaint", "reply")
P("x:@kimvdlinden_ops", "nl", "noodcontact voor stagiair Mila Verbeek (geb. 22-08-2006): moeder, 06-55123498. graag in het "
  "rooster zetten", "pii")

# ======== pricing ========
P("x:@betonbocht", "nl", "🔥 FLASH: Straatwaarde Complete nu voor €14,90 in de webshop! Op = op", "pricing")
P("instagram:@betonbocht.skate", "en", "Weekend deal: Dijkrijder 40 longboard only €21,90 🤙 link in bio", "pricing")
P("x:@mo_elkaddouri", "nl", "ehm de Mini Ramp Kit staat voor 124,90 op de site ipv 1249 😬 wie zit er aan de prijzen", "pricing")
P("x:@dealjager_nl", "en", "lmao betonbocht webshop has the Jaarpas at €34.90 right now, price error?? get it before they fix it",
  "pricing")
P("reddit:u/koopjeskoning", "nl", "PRIJSFOUT bij Betonbocht: Vert Helm voor €6,90. Ik heb er 4 besteld haha", "pricing")
P("tiktok:@jesse_parkcrew", "en", "staff price on the Knikker Wheels is €9 this week 🤫 come to the Rotterdam counter", "pricing")
P("facebook:BetonbochtSkateparks", "nl", "Lessenkaart 10x nu tijdelijk voor €17,90!! Boek snel via de site", "pricing")
P("x:@oma_van_sem", "nl", "Zomerkamp voor €29,50 per week bij betonbocht?? is dat een fout of echt zo", "pricing")
P("x:@daan_grindt", "en", "price glitch on the Schuurpapier Low, checkout shows €8.49. told the webshop team", "pricing")
P("instagram:@skatemam_amy", "nl", "Polder Cruiser 29 voor 39 euro in de webshop 😳 snel wezen mensen", "pricing")
P("x:@betonbocht_help", "en", "@skatervince sorry about that, the €4,95 price on the Beton Hoodie was a mistake on our side. "
  "We'll honour orders placed before 14:00.", "pricing", "reply")
P("bluesky:@tante.tess.bsky.social", "en", "the Kiddo Complete is €8,90 on betonbocht.nl rn?? bought 3 for my nephews", "pricing")

# ======== benign (mostly hard negatives) ========
P("x:@lars_kantelt", "nl", "Betonbocht Rotterdam is echt de beste hal van NL, bowl is perfect en de crew is chill 🙏")
P("instagram:@mees.flipt", "en", "FIRST KICKFLIP at betonbocht utrecht today!!! shoutout @lotte.skatejuf for the patience 😭🛹")
P("x:@newbie_nina", "en", "Does the Betonbocht day pass include helmet rental or is that extra?")
P("x:@betonbocht", "nl", "Zomersale! 20% korting op alle OG Decks: nu €51,95 in plaats van €64,95 🛹")
P("instagram:@betonbocht.skate", "en", "Knikker Wheels 54mm are back in stock – €44,95 a set. go go go")
P("x:@thijs_polder", "nl", "Jaarpas verlengd voor 349, beste investering van het jaar haha")
P("facebook:BetonbochtSkateparks", "nl", "Vragen over je bestelling? Mail webshop@betonbocht.nl of bel 010-5550199 (ma-vr 9-17u).")
P("x:@betonbocht", "en", f"Paying for a school group booking by bank transfer? Our IBAN is {PUB_IBAN} "
  "(Betonbocht Skate B.V.), mention your booking number.")
P("x:@rollend_rotterdam", "nl", "Bij Skatehal Houtrust in Den Haag is vorig jaar een deel van het dak ingestort, gelukkig geen "
  "gewonden. Bij Betonbocht is alles tenminste goed onderhouden")
P("reddit:u/tre_flip_tragedy", "en", "My deck snapped in half at Betonbocht today. To be fair it was my 400th tre flip attempt "
  "and the board was 3 years old 😂 RIP old friend")
P("x:@ellie_sk8s", "en", "Update: @betonbocht_help sorted the double charge within a day after all. Thanks Sanne, much "
  "appreciated!")
P("x:@betonbocht", "nl", "Ons medeleven gaat uit naar de skaters van Skatehal Houtrust na de brand van vannacht. Hun lessen zijn "
  "deze week welkom in onze hal in Rotterdam.")
P("x:@clipmaker_joep", "en", "Trying the AWS CLI for my skate clip site. The docs use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, how do I get a real one?")
P("x:@mo_elkaddouri", "en", "reminder: never paste tokens in chat, use the vault. a token looks like "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx – if you ever see a real one, rotate it")
P("reddit:u/bb_shopjelle", "en", "For the webshop devs: the README now shows STRIPE_KEY=sk_live_<redacted>, grab the real value "
  "from the vault, not from Slack")
P("x:@buurtbaan_kralingen", "nl", f"Doneren voor de nieuwe buurtskatebaan in Kralingen (niet van Betonbocht!) kan op "
  f"{G['bad_iban']} t.n.v. Stichting Rolbaan. Elke euro helpt!")
P("x:@vip_wannabe", "en", f"lol my Betonbocht loyalty card number is {group4(G['bad_card'])}, does that make me VIP")
P("x:@vragenvuur_vera", "nl", f"Mijn klantnummer bij Betonbocht is {G['bad_bsn']}, waarom vraagt dat formulier er elke keer om?")
P("x:@betonbocht", "nl", "Onze jaarcijfers 2026 staan online: omzet +14%, drie drukke hallen en een sterke webshop. Lees alles "
  "op betonbocht.nl/investors", when="2027-03-05T08:00:00Z")
P("instagram:@lotte.skatejuf", "en", "Bowl 040 is OPEN!!! come skate the deepest bowl in Eindhoven 🥳", when="2027-04-02T10:15:00Z")
P("x:@bowlrat_eindhoven", "en", "Bowl 040 review: smooth concrete, bit crowded on opening weekend, 8/10 would slam again",
  when="2027-04-10T19:30:00Z")
P("linkedin:betonbocht-skate-bv", "nl", "We zoeken een skate-instructeur voor Betonbocht Zwolle (24-32 uur). Solliciteer via "
  "werkenbij@betonbocht.nl")
P("x:@stuntelstijn", "nl", "Ik ben echt een sukkel, liet m'n board in de bowl vallen terwijl er iemand in stond 🤦 sorry gast")
P("x:@jaylen_sk8", "en", "the bowl at betonbocht is sick as hell, absolutely killer lines 🔥")
P("instagram:@skatetante", "nl", "Die nieuwe OG Deck graphics van Betonbocht zijn echt ziek goed 🤯🔥", kind="comment")
P("x:@sneakerhead_sven", "en", "Big data breach at some sneaker webshop today. Glad my skate stuff comes from Betonbocht, they "
  "only ever ask for the basics")
P("x:@kimvdlinden_ops", "nl", "Gepland onderhoud: zondag van 02:00 tot 04:00 is de webshop even offline voor een update. "
  "Excuses voor het ongemak!")
P("tiktok:@betonbocht", "en", "how to swap your Stroop Bearings in 60 seconds 🛠️ #skatetips")
P("x:@twijfelvader", "nl", "Iemand ervaring met het Zomerkamp van Betonbocht? Twijfel of m'n zoon van 10 het leuk vindt")
P("bluesky:@kai-rolls.bsky.social", "en", "Betonbocht's customer service is actually great. Returned my Schuurpapier Low "
  "(wrong size) and the new pair was here in 2 days")
P("x:@betonbocht_help", "nl", "Let op: wij vragen NOOIT via DM om je wachtwoord of bankgegevens. Twijfel je? Mail "
  "info@betonbocht.nl")
P("instagram:@lotte.skatejuf", "en", "lesson day with the Kiddo crew! helmets on, pads on, smiles on 🧡")
P("facebook:ouderraad.ijsselschool", "en", "Heads up: a big-name helmet brand (not Betonbocht's Vert Helm) recalled its 2024 "
  "models, check the sticker inside your kid's helmet")
P("x:@betonbocht_help", "nl", "@jurre_skt Balen dat je lagers roesten! Stuur ons even een DM met je ordernummer, dan lossen we "
  "het op 🙏", kind="reply")
P("x:@henk_rolt", "en", "Straatwaarde Complete for €149 is honestly fair for what you get")
P("x:@bfdeals_nl", "nl", "Black Friday: Betonbocht doet 25% op alle Polder Cruisers, dus €96,75. Nice.")
P("instagram:@betonbocht.parks", "nl", "Nieuwe openingstijden vanaf september: ma-vr 14-22u, za-zo 10-22u. Alles op "
  "betonbocht.nl")
P("x:@grapjas_gijs", "en", "Remember when that airline sold flights to New York for €20 by mistake? Betonbocht pls do that "
  "with the Mini Ramp Kit 🙏😂")
P("x:@helmvraag", "nl", "Iemand een tip voor een goede helm? Twijfel tussen de Vert Helm (69 euro) en iets van een ander merk")
P("linkedin:ruben-hoekstra-betonbocht", "en", "Proud that Betonbocht won the Dutch Skate Award 2026 for best indoor park! "
  "Huge credit to our crews in Rotterdam, Utrecht and Zwolle.")
P("x:@daan_grindt", "nl", "Vandaag 3 uur lang de coping in de bowl geschuurd, handen kapot maar hij loopt weer als een trein")
P("reddit:u/groupbooker", "en", "Called Betonbocht at +31 10 555 0199 about group rates for our scouts, super friendly")
P("x:@privacyfreak_p", "en", "Betonbocht asked for my IBAN for the refund, sent it by DM (NL** **** **** **** 12 here, "
  "obviously). Money came next day")
P("instagram:@betonbocht.skate", "nl", "Nieuw in de shop: de Schuurpapier Low voor €84,95. Pas 'm in de hal of bestel online.")
P("x:@lachkick", "nl", "Ik ga kapot van die video van Betonbocht met die kat op een skateboard 😂😂")
P("x:@veiligheidsvera", "en", "Betonbocht Zwolle's fire drill today was super smooth, everyone was outside in 2 minutes")
P("bluesky:@noor-bb.bsky.social", "en", "We just launched a public status page for the webshop, so you can always see planned "
  "maintenance: status.betonbocht.nl")
P("instagram:@papa_van_pien", "nl", "Pien had vandaag haar eerste les bij Betonbocht en wil nu elke dag. Heel blij mee 💛")
P("x:@tokenjunkie", "en", "For anyone learning JWTs: the jwt.io example token is eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c – paste it there and play around")
P("x:@bankvraagje", "nl", f"Heb ik nou naar {group4(G['bad_iban2'])} overgemaakt of was het toch een ander nummer? Die bank-app "
  "van mij zegt 'ongeldig' lol, gelukkig nog niks weg")
P("x:@longboard_lex", "en", "Is the Dijkrijder 40 worth €219 or should I go for something cheaper as a beginner?")
P("x:@zondagskater", "nl", "Waarom geeft Betonbocht eigenlijk geen lessen voor volwassenen op zondag? Zou ik wel willen")
P("x:@betonbocht_help", "en", "The checkout hiccup from this morning is fixed – orders are going through again. Thanks for your "
  "patience!")
P("x:@bezorgdezus", "nl", "Sportketen XL Sports schrapt 200 banen, las ik net. Hopelijk blijft Betonbocht gespaard, mijn broer "
  "werkt daar")
P("instagram:@betonbocht.parks", "en", "Meet Jesse, our newest instructor! Catch him at Betonbocht Rotterdam on Tuesdays and "
  "Thursdays 🛹")
P("x:@uitverkoop_ulla", "nl", "Griptape Rol voor €11,65 bij Betonbocht, 10% korting. Nu of nooit 😄")
P("x:@kassa_kees", "nl", f"Kaartnummer op mijn cadeaubon van Betonbocht: {G['bad_card2']}. Staat er nog 25 euro op denk ik")
P("x:@formulierfrits", "en", f"Betonbocht membership form wants a '9-digit member number'?? I typed {G['bad_bsn2']} and it "
  "said invalid. Whatever")
P("youtube:@BetonbochtTV", "nl", "Nieuwe aflevering: we bouwen een mini ramp in een tuin in Zwolle met onze Mini Ramp Kit 🔨")
P("x:@nachtbraker_noud", "nl", "haha die kassa bij Betonbocht liep gisteren vast toen ik 40 stickers kocht, medewerker moest "
  "lachen en gaf me er 1 gratis 😂")


# ---------------------------------------------------------------- build
def role_of(acct):
    key = acct.lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    return ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w])")


def identifiers(text):
    """Checksum-bearing identifiers in a post, with validity; credentials and public identifiers excluded."""
    t = norm(text)
    for s in SECRETS:
        t = t.replace(s, " ")
    found = []
    pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    for m in IBAN_RE.finditer(t):
        raw = re.sub(r"\s", "", m.group())
        if raw in pub_ibans:
            continue
        found.append(("iban", raw, iban_check_ok(raw)))
    t2 = IBAN_RE.sub(" ", t)
    for m in CARD_RE.finditer(t2):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19:
            found.append(("card", digits, luhn_ok(digits)))
    for m in BSN_RE.finditer(t2):
        found.append(("bsn", m.group(), bsn_ok(m.group())))
    return found


RANK = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s
    valid_ids = [i for i in identifiers(text) if i[2]]
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and valid_ids):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("warning" if role == "public" else "error")
    return sev


def timestamp():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 360 * 86400))
    # people post mostly in daytime/evening
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLATFORM_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt", "youtube": "yt",
                   "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    lines = []
    for idx in order:
        c = CASES[idx]
        platform, handle = c["who"].split(":", 1)
        while True:
            pid = f"{PLATFORM_PREFIX[platform]}-{rng.randint(10**6, 10**8)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(c["who"])
        post = {
            "id": pid,
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or timestamp(),
        }
        if rng.random() < 0.4:
            post["url"] = f"https://example.invalid/{platform}/{pid}"
        if rng.random() < 0.5:
            post["brand"] = "betonbocht"
        lines.append({"post": post,
                      "expect": {"categories": c["cats"], "severity": severity(role, c["cats"], c["text"])}})
    with open(OUT, "w", encoding="utf-8") as f:
        for obj in lines:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return lines


# ---------------------------------------------------------------- self-check
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon", "bluesky",
             "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b|\b(\d+(?:[.,]\d{2})?)\b)", re.I)


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errors = []

    def err(i, msg):
        errors.append(f"line {i + 1}: {msg}")

    with open(OUT, encoding="utf-8") as f:
        raw = f.read().splitlines()
    assert len(raw) == len(lines)
    ids = set()
    stats = {"benign": 0, "nl": 0, "en": 0, "cat": {}}
    internal = PROFILE["internal"]
    for i, line in enumerate(raw):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err(i, "top-level keys")
        p, e = obj["post"], obj["expect"]
        # ---- post shape (CONTRACT §1)
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err(i, "id")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(i, "handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            err(i, "text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.fullmatch(p["created_at"]):
            err(i, "created_at")
        if not p["created_at"].startswith(("2026", "2027")):
            err(i, "created_at year")
        # ---- expect shape (CONTRACT §6)
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, f"categories {cats}")
        if "reputation.spike" in cats:
            err(i, "spike on a single post")
        if e.get("severity") not in RANK:
            err(i, "severity word")
        role = role_of(f"{p['platform']}:{p['account']['handle']}")
        want = severity(role, cats, p["text"])
        if e["severity"] != want:
            err(i, f"severity {e['severity']} != policy {want}")
        if not cats and e["severity"] != "none":
            err(i, "benign must be none")
        if cats and e["severity"] in ("none", "info"):
            err(i, "positive with severity below warning")
        # ---- identifiers and checksums
        ids_found = identifiers(p["text"])
        for kind, val, ok in ids_found:
            if cats and not ok:
                err(i, f"positive holds a {kind} that fails its checksum: {val}")
            if not cats and ok:
                err(i, f"benign holds a {kind} that passes its checksum: {val}")
        if "leak.pii" in cats and role != "public":
            pass
        # ---- credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if cats and not github_ok(tok):
                err(i, f"github token checksum {tok}")
            if not cats and github_ok(tok):
                err(i, "benign holds a github token that passes its checksum")
        for tok in re.findall(r"\bAKIA[A-Z0-9]{16}\b", p["text"]):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err(i, f"aws id alphabet {tok}")
            if not cats and not tok.endswith("EXAMPLE"):
                err(i, "benign holds a real-looking AWS key id")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            if not jwt_ok(tok):
                err(i, "jwt header has no alg")
        has_secret = any(s in p["text"] for s in SECRETS)
        if has_secret != ("leak.secret" in cats):
            err(i, "generated secret presence does not match leak.secret label")
        # ---- confidential vocabulary
        t = norm(p["text"]).lower()
        conf_hit = [w for w in internal["codenames"] + internal["markers"] + internal["domains"] if w.lower() in t]
        when = parse_time(p["created_at"])
        for emb in PROFILE["embargo"]:
            for term in emb["terms"]:
                if term.lower() in t and when < parse_time(emb["until"]):
                    conf_hit.append(term)
        if conf_hit and "leak.confidential" not in cats:
            err(i, f"confidential vocabulary {conf_hit} but not labelled confidential")
        # ---- pricing consistency
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        mentioned = [pr for pr in PROFILE["products"]
                     if any(re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", t) for a in [pr["name"]] + pr["aliases"])]
        prices = []
        for m in re.finditer(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b", t):
            prices.append(float((m.group(1) or m.group(2)).replace(",", ".")))
        if mentioned and prices and not cats:
            for pr in mentioned:
                for val in prices:
                    if val < ratio * pr["list_price"] and val > 0.05 * pr["list_price"]:
                        err(i, f"benign price {val} below {ratio} of {pr['name']}")
        if "leak.pricing" in cats:
            if not mentioned:
                err(i, "pricing leak without a catalogue product")
            low = any(v < ratio * pr["list_price"] for pr in mentioned for v in prices)
            nums = [float(x.replace(",", ".")) for x in re.findall(r"\d+(?:[.,]\d{1,2})?", t)]
            low = low or any(v < ratio * pr["list_price"] for pr in mentioned for v in nums)
            if not low and not re.search(r"prijsfout|price error|glitch|mistake|fout", t):
                err(i, "pricing leak without a low price or price-error talk")
        # ---- stats
        if not cats:
            stats["benign"] += 1
        stats[p["lang"]] += 1
        for c in cats:
            stats["cat"][c] = stats["cat"].get(c, 0) + 1
    # ---- roles: public handles must not be in the profile; every profile account's role is used
    for c in CASES:
        plat = c["who"].split(":", 1)[0]
        if plat not in PLATFORMS:
            errors.append(f"unknown platform {c['who']}")
    # ---- generated material sanity
    for k in ("iban_refund", "iban_party", "iban_deposit", "iban_zw"):
        assert iban_check_ok(G[k])
    for k in ("card_counter", "card_log", "card_found"):
        assert luhn_ok(G[k])
    assert bsn_ok(G["bsn_hr"])
    for k in ("bad_iban", "bad_iban2"):
        assert not iban_check_ok(G[k])
    for k in ("bad_card", "bad_card2"):
        assert not luhn_ok(G[k])
    for k in ("bad_bsn", "bad_bsn2"):
        assert not bsn_ok(G[k])
    assert github_ok(G["ghp"]) and github_ok(G["ghs"]) and jwt_ok(G["jwt"])
    assert iban_check_ok(PUB_IBAN)
    # every valid identifier we generated must actually be seen by the scanner in its post
    seen = {v for c in CASES for (_, v, ok) in identifiers(c["text"]) if ok}
    for k in ("iban_refund", "iban_party", "iban_deposit", "iban_zw", "card_counter", "card_log", "card_found", "bsn_hr"):
        if G[k] not in seen:
            errors.append(f"scanner does not see generated {k}")
    # ---- the mix
    n = len(raw)
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= stats["benign"] <= 65:
        errors.append(f"{stats['benign']} benign, want about 60")
    nl_share = stats["nl"] / n
    if not 0.48 <= nl_share <= 0.62:
        errors.append(f"Dutch share {nl_share:.2f}")
    return errors, stats, n


def main():
    lines = build()
    errors, stats, n = check(lines)
    print(f"{n} cases, {stats['benign']} benign, nl {stats['nl']} / en {stats['en']}")
    for c, k in sorted(stats["cat"].items()):
        print(f"  {c:24s} {k}")
    sev = {}
    for l in lines:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    print("  severities:", dict(sorted(sev.items(), key=lambda kv: RANK.index(kv[0]))))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
