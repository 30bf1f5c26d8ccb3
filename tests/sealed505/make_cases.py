#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 505 (fictional indoor-karting operator Bandspoor).

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written;
identifiers and credentials are generated here the way the real ones are built.
Severities are computed from the account role in profile.yaml (CONTRACT section 4).
Run it: it writes cases.jsonl beside itself and then checks what it wrote.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(505_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# --------------------------------------------------------------------------- identifiers
def _iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_num(s[4:] + s[:4]) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    check = 98 - _iban_num(bban + "NL00") % 97
    iban = "NL%02d%s" % (check, bban)
    assert iban_ok(iban)
    return iban


def spaced(s, n=4):
    s = s.replace(" ", "")
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_last_digit(s):
    i = max(k for k, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 3) % 10) + s[i + 1:]


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


# Registry of every identifier placed in a post: formatted text -> (kind, valid)
IDS = {}


def reg(kind, text, valid):
    IDS[text] = (kind, valid)
    return text


# valid ones (used in positives)
IBAN_REFUND = reg("iban", make_iban("INGB"), True)
IBAN_CUSTOMER = reg("iban", spaced(make_iban("ASNB")), True)
CARD_FOUND = reg("card", spaced(make_card("4")), True)
CARD_KIOSK = reg("card", "-".join(spaced(make_card("5")).split()), True)
BSN_HR = make_bsn()
BSN_HR = reg("bsn", "%s.%s.%s" % (BSN_HR[:4], BSN_HR[4:6], BSN_HR[6:]), True)
BSN_TICKET = reg("bsn", make_bsn(), True)
# look-alikes that fail their checksum (used in negatives)
IBAN_FAKE = reg("iban", spaced(break_last_digit(make_iban("RABO"))), False)
CARD_FAKE = reg("card", spaced(break_last_digit(make_card("4"))), False)
BSN_FAKE = reg("bsn", "123456789", False)
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
reg("iban", PUBLIC_IBAN, True)

# --------------------------------------------------------------------------- credentials
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def make_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "crew-%04d" % rng.randint(1, 9999), "name": "kassa-utrecht-02",
               "role": "admin", "iat": iat, "exp": iat + 86400 * 30}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return "alg" in head


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


GH_TOKEN = make_github("ghp_")
GH_TOKEN_APP = make_github("ghs_")
AWS_ID = "AKIA" + rstr(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rstr(string.ascii_letters + string.digits + "/+", 40)
MOLLIE_KEY = "live_" + rstr(string.ascii_letters + string.digits, 30)
STRIPE_KEY = "sk_live_51" + rstr(string.ascii_letters + string.digits, 97)
SLACK_TOKEN = "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1),
                                 rstr(string.ascii_letters + string.digits, 24))
OPENAI_KEY = "sk-proj-" + rstr(B64URL, 74) + "T3BlbkFJ" + rstr(B64URL, 74)
ANTHROPIC_KEY = "sk-ant-api03-" + rstr(B64URL, 93) + "AA"
JWT = make_jwt()
SSH_KEY = make_openssh_key()
DB_PASS = rstr(string.ascii_letters + string.digits, 18)
GITLAB_PAT = "glpat-" + rstr(string.ascii_letters + string.digits + "-_", 20)
TELEGRAM = "%d:AA%s" % (rng.randint(6 * 10**9, 7 * 10**9), rstr(B64URL, 33))
WIFI_PASS = "Haarnaald#" + str(rng.randint(1000, 9999))

SECRETS = [GH_TOKEN, GH_TOKEN_APP, AWS_ID, AWS_SECRET, MOLLIE_KEY, STRIPE_KEY, SLACK_TOKEN,
           OPENAI_KEY, ANTHROPIC_KEY, JWT, DB_PASS, GITLAB_PAT, TELEGRAM, WIFI_PASS]
assert github_ok(GH_TOKEN) and github_ok(GH_TOKEN_APP)
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID)
assert jwt_ok(JWT)

# --------------------------------------------------------------------------- cases
CASES = []


def C(author, text, cats=(), lang="nl", kind="post", at=None, allow=()):
    platform, handle = author.split(":", 1)
    CASES.append({"platform": platform, "handle": handle, "text": text, "cats": sorted(set(cats)),
                  "lang": lang, "kind": kind, "at": at, "allow": set(allow)})


COMPLAINT = "reputation.complaint"
CRISIS = "reputation.crisis"
ABUSE = "reputation.abuse"
PII = "leak.pii"
SECRET = "leak.secret"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"

# ---- complaints -----------------------------------------------------------------------
C("x:@femkeeeee", "Voor 6 man GP30 geboekt bij @bandspoor_nl in Utrecht, komen we aan is de baan 'overboekt' "
  "en mogen we 50 min wachten. Geen excuus, geen drankje, niks. Nooit meer 🙄", [COMPLAINT])
C("forum:rallyroy", "Bandspoor Amersfoort: kart #14 had literally no power. Asked the marshal to swap it, he "
  "just shrugged. Paid full price to get lapped by a ten year old. Not impressed.", [COMPLAINT], "en")
C("x:@thijsplays", "@bandspoor_help your booking site charged me twice for the same Elite Night slot. two "
  "separate €89 charges on my card. fix it pls", [COMPLAINT], "en", kind="reply")
C("instagram:@noortje.fitgirl", "helmen stonken echt naar oud zweet en eentje had nog een natte binnenvoering 🤢 "
  "kom op bandspoor, even schoonmaken tussen sessies is toch niet te veel gevraagd", [COMPLAINT])
C("reddit:u/apexhunter_nl", "Anyone else notice the timing screens at Bandspoor Breda are useless? Half our team's "
  "laps didn't register during the endurance race and all we got was 'sorry, system glitch'. We paid 495 for "
  "that. Asked for a partial refund, got a voucher for a soft drink.", [COMPLAINT], "en")
C("x:@gerdavanl", "got a bandspoor gift card from my mother-in-law, turns out it 'expired' after a year. nothing "
  "about that on the card itself. very customer friendly @bandspoor_nl 🙃", [COMPLAINT], "en")
C("tiktok:@sem.racet", "briefing duurde 25 min en daarna mochten we 8 min rijden ipv 10 🤨 wie rekent dit na "
  "#bandspoor #karten", [COMPLAINT], kind="comment")
C("facebook:Kevin.Oduya", "Booked the Junior Party for my son's 8th. The host turned up 40 minutes late and the "
  "cake we pre-paid for was nowhere to be found. Eight kids sitting on a bench, bored. Really disappointing, "
  "Bandspoor Almere.", [COMPLAINT], "en")
C("other:karter_mike", "Pitpass members get 'priority booking' lol. Every Friday slot is gone within minutes of "
  "opening and members get nothing. Cancelled mine today.", [COMPLAINT], "en")
C("mastodon:@ellen@mas.to", "Bandspoor's app doesn't show my reservation and the front desk couldn't find it "
  "either. Paid a second time because the kids were bouncing off the walls. Who's refunding me for that?",
  [COMPLAINT], "en")
C("instagram:@sarita_b", "The girl at the till in Breda was downright rude to my mum because she couldn't find "
  "her QR code fast enough. Sighing, eye rolling, the lot. Not acceptable, Bandspoor.", [COMPLAINT], "en",
  kind="comment")
C("forum:Wouter_R", "Kartpak Pro besteld via de webshop, na 2x wassen is de rits stuk en laat de naad los. 279 "
  "euro voor dit?? Retour geweigerd want 'gebruikssporen'. Ja duh, het is een kartpak.", [COMPLAINT])

# ---- first-hand harm: crisis + complaint -----------------------------------------------
C("x:@moeder_van3", "Mijn dochter (11) kreeg bij Bandspoor Amersfoort een kart vol in haar zij omdat de marshal "
  "veel te laat met de vlag zwaaide. Gekneusde ribben, avond op de SEH. Niemand van het personeel heeft ook "
  "maar gevraagd hoe het met haar gaat. Ik ben woedend.", [CRISIS, COMPLAINT])
C("facebook:Priya.Ramdin", "We did the Elite Night in Zwolle yesterday and half our group went home with "
  "headaches and nausea. The hall was thick with exhaust fumes, you could literally taste it. My husband "
  "threw up in the car park. This is not OK @Bandspoor.", [CRISIS, COMPLAINT], "en")
C("reddit:u/slowinthecorners", "PSA: the Apex helmet I bought in the Bandspoor shop cracked right through after "
  "a low-speed tap against the barrier. My head hit the visor frame, ended up getting checked for a concussion. "
  "189 euros for a helmet that gives up at 20 km/h.", [CRISIS, COMPLAINT], "en")
C("tiktok:@lotte.vlogt", "stuur brak letterlijk af midden in de bocht en ik ging rechtdoor de bandenmuur in 😳 "
  "pols verstuikt. en die gast zegt 'ja dat gebeurt wel eens'. bandspoor wat is dit", [CRISIS, COMPLAINT])
C("instagram:@dad_of_twins_nl", "the charging bay next to the pit lane at Bandspoor Breda started smoking while we "
  "were queuing. staff opened a door and told us to keep waiting. my son's eyes were burning for an hour "
  "afterwards. who signs off on this??", [CRISIS, COMPLAINT], "en")
C("x:@bramm_", "At my brother's stag do in Almere tonight I got a proper electric shock off the metal railing by "
  "the pit lane. Whole arm was tingling for half an hour. Told the front desk: 'oh yeah it does that "
  "sometimes'. Seriously??", [CRISIS, COMPLAINT], "en")

# ---- crisis, third party / boycott / lawsuit / scandal / breach ---------------------------
C("x:@nieuwsflits_zw", "Gisteravond is bij Bandspoor Zwolle een medewerker onder een kart terechtgekomen tijdens "
  "het wegslepen. Ambulance en traumaheli stonden op de parkeerplaats. Hopelijk valt het mee met hem.", [CRISIS])
C("x:@pitwall_truth", "#BoycottBandspoor — they fired a marshal for refusing to send out karts with dodgy brakes. "
  "Don't give these people your money.", [CRISIS], "en")
C("blog:regiobode-utrecht", "Ouders van een 9-jarige jongen stappen naar de rechter tegen Bandspoor Indoor Karting "
  "na een ongeluk op de juniorbaan in Utrecht. Het bedrijf zou het incident pas weken later hebben gemeld bij "
  "de Arbeidsinspectie.", [CRISIS])
C("reddit:u/dataprivacy_dave", "Did Bandspoor get breached? Just got a phishing mail quoting my exact booking "
  "reference, my full name and my phone number. Their customer database is out there, I'm sure of it.",
  [CRISIS], "en")
C("facebook:Ouders.Amersfoort.Noord", "TERUGROEPACTIE: Bandspoor roept de Apex helm uit de batch van november terug "
  "wegens haarscheurtjes in de schaal. Heb je er een gekocht? Niet meer gebruiken en terugbrengen!", [CRISIS])
C("x:@breda_zegt", "Racistische opmerkingen van een leidinggevende bij Bandspoor Breda op video vastgelegd. "
  "Dit bedrijf moet zich diep schamen. #schandaal", [CRISIS])
C("instagram:@almere.alert", "fire brigade at Bandspoor Almere right now, thick smoke coming out of the roof 😳 "
  "everyone's been evacuated to the car park", [CRISIS], "en")
C("tiktok:@kimmie.k", "b.o.y.c.o.t.t b.a.n.d.s.p.o.o.r 🚫 ze laten kids van 6 rijden zonder dat iemand de helm "
  "checkt. ga er gewoon niet heen", [CRISIS])
C("threads:@legalbeagle_eu", "Lawsuit filed: former crew say Bandspoor Indoor Karting had them working 14-hour "
  "shifts in the pits without any breathing protection. Case lodged at the Utrecht court this week.",
  [CRISIS], "en")

# ---- abuse -----------------------------------------------------------------------------
C("x:@dirkjan_77", "@bandspoor_help stelletje oplichters zijn jullie, kankerbedrijf", [ABUSE], kind="reply")
C("instagram:@jordy.ftw", "die dikke marshal met die baard in utrecht is echt de grootste debiel die ik ooit heb "
  "gezien", [ABUSE], kind="comment")
C("x:@xx_vortex_xx", "bandspoor staff are a bunch of brain-dead clowns. fuck this place", [ABUSE], "en")
C("tiktok:@realtalk_rik", "die receptioniste in almere kan beter teruggaan naar haar eigen land", [ABUSE],
  kind="comment")
C("reddit:u/angrydad_2026", "Lisa from Bandspoor events is a useless b*tch, hope she gets sacked", [ABUSE], "en")
C("x:@sjaakie_b", "@bandspoor_nl stelletje k4nk3r1ijers, hou je bek over 'veiligheid' 🤡", [ABUSE], kind="reply")
C("x:@noah_gmr", "whoever runs bandspoor's twitter is a fuсking mоrоn", [ABUSE], "en")
C("instagram:@kaylee_zw", "die monteur met die pet is echt een ｈｏｅｒｅｎｊｏｎｇ 🤮", [ABUSE], kind="comment")
C("mastodon:@vex@infosec.exchange", "Kees from Bandspoor IT is a pathetic little worm, answering tickets with smug "
  "one-liners. Someone should wait for him at the car park and teach him some manners.", [ABUSE], "en")
C("x:@ruben_marshal", "@kartkoning03 als je niet kan rijden moet je thuisblijven, achterlijke mongool", [ABUSE],
  kind="reply")
C("x:@bandspoor_help", "@dirkjan_77 Als je zo blijft schelden ben je niet welkom. Ga lekker ergens anders janken, "
  "zielige mafkees.", [ABUSE], kind="reply")
C("x:@tess_vdb", "kart viel 3x stil, geld niet terug en die klootzak achter de balie stond me ook nog uit te "
  "lachen. kutbedrijf @bandspoor_nl", [ABUSE, COMPLAINT])

# ---- personal data -----------------------------------------------------------------------
C("x:@lisakoster_bs", "Does anyone know her? Sandra Willemsen left her bag behind after the bachelor race, you can "
  "reach her on 06-28 47 19 03. Please share!", [PII], "en")
C("x:@bandspoor_help", "@m_dekker Excuses! De terugbetaling van €229 is vandaag overgemaakt naar %s t.n.v. "
  "M. Dekker, het kan 1-2 werkdagen duren." % IBAN_REFUND, [PII], kind="reply")
C("facebook:Yara.Dijkstra.Bandspoor", "Gevonden bij de balie in Almere: creditcard op naam van Tim Postma, nummer "
  "%s. Kom hem ophalen bij de receptie!" % CARD_FOUND, [PII])
C("linkedin:dennis-mulder-ops", "Welkom aan ons nieuwe teamlid! 🎉 Contract is rond, even voor HR de gegevens: "
  "Noah Bakker, geboren 02-09-2003, BSN %s." % BSN_HR, [PII])
C("x:@jeroenvos88", "@bandspoor_help al 3x gebeld over mijn dubbele afschrijving, niemand belt terug. Bel me op "
  "0612873340 of mail naar jeroen.vos88@gmail.com, ik ben het zat", [PII, COMPLAINT], kind="reply")
C("facebook:Pieter.Hendriks.Zwolle", "Hey Bandspoor, the refund for our cancelled league night can go to "
  "%s (P. Hendriks). Thanks!" % IBAN_CUSTOMER, [PII], "en", kind="comment")
C("instagram:@mehmet.baanchef", "Bedankt voor alle berichtjes na mijn operatie 🙏 Wie nog een kaartje wil sturen: "
  "Mehmet Yilmaz, Ginnekenweg 212, 4835 NG Breda", [PII])
C("x:@sophie_devbs", "checkout keeps failing for this one customer, anyone got an idea? "
  "anne-marie.degroot@hotmail.com, tel +31 6 1934 5521, booking 88123", [PII], "en")
C("instagram:@bandspoor.karting", "Congrats to the winner of our Grand Prix day: Daan Smit (born 17-05-2009) from "
  "Zwolle! 🏆🏁", [PII], "en")
C("reddit:u/angry_parent_amf", "The guy who rammed my kid at Bandspoor on saturday: Rick Vermeulen, lives at "
  "Parkstraat 8, 3811 BC Amersfoort. Go ask him why he was driving like that.", [PII], "en")
C("mastodon:@kvdlinden@mastodon.social", "Ticket van een klant die niet kan inloggen en hij zet gewoon zijn BSN "
  "erin: %s. Waarom doen mensen dit 🤦" % BSN_TICKET, [PII])
C("x:@ninalovesspeed", "left my credit card in the kiosk at bandspoor like an idiot 🙈 number is %s if anyone "
  "finds it" % CARD_KIOSK, [PII], "en")
C("tiktok:@jurre_kartmonteur", "shoutout naar collega Bas, 06 - 4419 2287, als je nog een monteur zoekt voor je "
  "eigen kart 😂🔧", [PII])
C("facebook:BandspoorKarting", "Wij zoeken de eigenaar van een portemonnee die is gevonden in Utrecht. Rijbewijs "
  "op naam van Ilse van Dam, geboren 23 augustus 1991. Herken jij haar? Laat het ons weten!", [PII])
C("x:@lisakoster_bs", "offerte voor jullie bedrijfsuitje kan direct naar mijn privémail: "
  "lisa.koster.1990＠gmail.com (werkmail doet raar vandaag)", [PII])

# ---- secrets -------------------------------------------------------------------------------
C("x:@sophie_devbs", "who still has rights on CI? deploy keeps failing. just try this token for now: %s"
  % GH_TOKEN, [SECRET], "en")
C("mastodon:@kvdlinden@mastodon.social", "temporary creds so the mechanics can upload the track logs:\n"
  "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (AWS_ID, AWS_SECRET), [SECRET], "en")
C("x:@sophie_devbs", "@kvdlinden slack doet raar dus hier de mollie key voor de nieuwe kassa's: %s" % MOLLIE_KEY,
  [SECRET], kind="reply")
C("forum:freelance_fred", "Building a booking integration for a karting client (Bandspoor) and the Stripe "
  "webhook keeps returning 401. My config:\nSTRIPE_SECRET=%s\nAny ideas?" % STRIPE_KEY, [SECRET], "en")
C("x:@ruben_marshal", "wifi in de pitbox is veranderd: netwerk BS-Crew / wachtwoord: %s — niet aan klanten "
  "geven he 😅" % WIFI_PASS, [SECRET])
C("x:@sophie_devbs", "why does this JWT get rejected on staging? exp looks fine to me\n%s" % JWT, [SECRET], "en")
C("mastodon:@kvdlinden@mastodon.social", "note to self want m'n laptop is stuk:\nDATABASE_URL=postgres://"
  "bs_admin:%s@db-prod.intra.bandspoor.local:5432/reserveringen" % DB_PASS, [SECRET, CONF])
C("x:@sophie_devbs", "track-status bot is back up, here's the token if you want it in your own workspace: %s"
  % SLACK_TOKEN, [SECRET], "en")
C("linkedin:dennis-mulder-ops", "Our AI booking assistant is live! 🤖 For the tech folks who want to see how we "
  "built it, this is the key we're using: %s" % OPENAI_KEY, [SECRET], "en")
C("mastodon:@kvdlinden@mastodon.social", "anyone know why the till raspberry pi refuses this key?\n%s" % SSH_KEY,
  [SECRET], "en")
C("forum:jsdigger", "lol, Bandspoor's booking chatbot ships its LLM key in the public JS bundle: "
  "const KEY = \"%s\"" % ANTHROPIC_KEY, [SECRET], "en")
C("x:@sophie_devbs", "clone even met deze: https://oauth2:%s@gitlab.bandspoor.dev/booking/kassa-sync.git"
  % GITLAB_PAT, [SECRET, CONF])

# ---- pricing -------------------------------------------------------------------------------
C("x:@dealjager_nl", "WAUW Pitpass jaarabonnement staat op de site voor €39,90 😂 snel boeken voor ze het zien",
  [PRICING])
C("instagram:@bandspoor.karting", "🔥 Kartpak Pro now only €27.90! This weekend only in our shop 🏁",
  [PRICING], "en")
C("x:@lisakoster_bs", "oeps, het Pole Position pakket staat in het systeem voor €145 ipv €1450. niemand zien 🙈",
  [PRICING])
C("reddit:u/bargainbinracer", "Price error on Bandspoor's webshop: Apex helmet listed at €18.90. Ordered three, "
  "let's see if they honour it", [PRICING], "en")
C("tiktok:@budgetbeest", "prijsfout bij bandspoor?? Endurance 2u voor €49,50 voor het hele team 💀 #prijsfout",
  [PRICING])
C("facebook:Yara.Dijkstra.Bandspoor", "Kassa geeft het Familiepakket aan voor €11,90... klopt dit wel? Zijn er "
  "vandaag al 6 van verkocht", [PRICING])
C("x:@hotlap_hugo", "Grand Prix 30 for €6.40 at the bandspoor checkout?!? decimal in the wrong place lmao",
  [PRICING], "en")
C("x:@bandspoor_nl", "Cadeaukaart 100 nu voor €10! Geef racen cadeau 🎁🏁", [PRICING])
C("forum:kartfan_zwolle", "Iemand anders ook de Licentiecursus voor €14,90 gezien? Lijkt me een prijsfout maar "
  "ik heb er gelijk 2 gekocht", [PRICING])
C("x:@ruben_marshal", "collega's: de Vrijgezellen Race staat door een prijsfout verkeerd in de webshop, "
  "niks bevestigen aan de telefoon tot IT het fixt!", [PRICING])
C("instagram:@mo_races", "Twin Kart ride for 3,90 euros?? someone at bandspoor forgot a zero 😂", [PRICING], "en",
  kind="comment")
C("x:@team_remvast", "Teamkampioenschap seizoenskaart voor €120 in de app, vorig jaar was dat 1200. glitch of "
  "bewust?", [PRICING])

# ---- confidential ------------------------------------------------------------------------
C("linkedin:dennis-mulder-ops", "Proud of the team working flat out on Project Haarspeld. Bear with us a little "
  "longer and we'll tell you all about our sixth location! 🏁", [CONF], "en")
C("tiktok:@jurre_kartmonteur", "eerste testrondjes met de StormKart E2 😍 dat elektrische beest trekt als een "
  "raket, over een paar dagen staan ze in de hal", [CONF], at="2027-01-12T16:40:00Z")
C("instagram:@mehmet.baanchef", "Vloer ligt erin bij Bandspoor Eindhoven 👷 januari gaan we los!", [CONF],
  at="2026-11-21T11:05:00Z")
C("mastodon:@kvdlinden@mastodon.social", "who broke grafana.bandspoor.dev/d/baan-temp? every panel's been empty "
  "since this morning", [CONF], "en")
C("linkedin:anouk-verhoeven-bandspoor", "[BANDSPOOR INTERN] Tariefvoorstel 2027: de Pitpass gaat van €399 naar "
  "€429 en ook het kinderfeestje wordt duurder. Nog niet extern communiceren.", [CONF])
C("x:@ruben_marshal", "tip voor collega's: nieuw rooster staat op https://intra.bandspoor.local/rooster/wk48, "
  "inloggen met je crew-account", [CONF])
C("reddit:u/kartgossip", "A mate who works there says Bandspoor is opening a massive site with electric karts, "
  "internally called Project Haarspeld. Early next year apparently.", [CONF], "en")
C("linkedin:bandspoor-indoor-karting", "We're hiring a Data Engineer to help build Nachtuil, our next-generation "
  "booking platform! Apply via www.bandspoor.nl/vacatures", [CONF], "en")
C("tiktok:@jurre_kartmonteur", "testrit in de ＳｔｏｒｍＫａｒｔ Ｅ２ 🔋⚡ sssst nog geheim", [CONF],
  at="2026-10-03T19:12:00Z")
C("x:@lisakoster_bs", "Operatie Chi\u200bcane begint maandag, spannend voor iedereen op kantoor 👀", [CONF])
C("instagram:@mehmet.baanchef", "Na de zomer ga ik iets nieuws doen binnen het bedrijf 😎 Project Hаarspeld, meer "
  "mag ik niet zeggen", [CONF])
C("x:@leakyleisure", "leaked price list for Bandspoor Eindhoven: StormKart E2 sessions, 15 min, bookings open in "
  "January", [CONF], "en", at="2026-12-09T20:30:00Z")
C("facebook:Yara.Dijkstra.Bandspoor", "Lieve collega's, de nieuwe kassa-instructies staan op "
  "baancontrol.bandspoor.local/kassa. Niet buiten de crew delen!", [CONF])
C("youtube:@BandspoorGP", "Sneak peek 👀 dit wordt onze nieuwe e-kart: de StormKart E2. Wie wil er als eerste "
  "in?", [CONF], at="2026-09-18T15:00:00Z")

# ---- financial -----------------------------------------------------------------------------
C("linkedin:anouk-verhoeven-bandspoor", "Drukke weken bij finance: de omzet over dit jaar komt uit op ruim 31 "
  "miljoen, 18% boven budget. Officieel pas in maart, maar ik ben nu al trots op dit team! 📈", [FIN],
  at="2026-12-18T10:15:00Z")
C("x:@ruben_marshal", "hoorde net dat de baan in Breda dichtgaat en dat zo'n 20 man ontslag krijgt. zit er echt "
  "flink mee 😞", [FIN])
C("linkedin:dennis-mulder-ops", "Operatie Chicane: we worden onderdeel van een grote Europese entertainmentgroep. "
  "Closing verwacht in Q1. Meer mag ik nog niet zeggen! 🤝", [FIN, CONF])
C("reddit:u/sources_say", "My cousin at Bandspoor HQ says they're in talks to be bought by KartNation UK, deal "
  "around €40m, announcement after the summer.", [FIN], "en")
C("mastodon:@kvdlinden@mastodon.social", "IT budget for next year cut in half, they call it a 'reorganisation'. "
  "Half the department is being moved to an outsourcer in Portugal. Merry Christmas.", [FIN], "en",
  at="2026-12-21T17:05:00Z")
C("x:@lisakoster_bs", "can't say much but the forecast for next year is grim. mgmt expects revenue down 15% and "
  "the events team is getting cut in half", [FIN], "en")
C("linkedin:bandspoor-indoor-karting", "Bandspoor Indoor Karting is taking over the FunRace tracks in Arnhem and "
  "Nijmegen. Press release follows on Monday, please don't share until then.", [FIN], "en")
C("instagram:@mehmet.baanchef", "Volgende maand laatste dag in Breda, huurcontract wordt niet verlengd. Personeel "
  "weet het sinds vandaag, klanten nog niet 🤫", [FIN])
C("linkedin:anouk-verhoeven-bandspoor", "Half-year EBITDA landed at €4.2m against a €2.9m forecast. Not public "
  "yet, so just a quiet 🥳 from me", [FIN], "en")
C("tiktok:@jurre_kartmonteur", "baas zegt dat we vanaf maart van 6 monteurs naar 3 gaan. dus als iemand nog een "
  "monteur zoekt 👋", [FIN])
C("x:@sophie_devbs", "Nachtuil wordt stopgezet en het hele dev-team ligt eruit per 1 april. Bedankt voor "
  "niks.", [FIN, CONF])
C("linkedin:dennis-mulder-ops", "Q4 2026 cijfers zien er fantastisch uit, ik kan niet wachten om ze in maart met "
  "jullie te delen 📈", [CONF, FIN], at="2027-01-08T08:20:00Z")
C("x:@anouk_v_fan", "my sister-in-law in finance says the full-year 2026 results will beat every analyst "
  "estimate 👀 buy the bonds lol", [CONF, FIN], "en", at="2027-02-20T21:00:00Z")

# ---- security --------------------------------------------------------------------------------
C("x:@sophie_devbs", "boekingssite ligt al sinds 14:00 plat, database corrupt. communicatie gaat straks "
  "'gepland onderhoud' zeggen lol", [SEC])
C("mastodon:@kvdlinden@mastodon.social", "Ransomware on two till PCs in Zwolle. Pulled everything off the "
  "network. Management says nothing goes outside, so I'm saying nothing 🤐", [SEC], "en")
C("x:@ruben_marshal", "timing systeem in Utrecht is al 2 dagen gehackt, iemand zet steeds z'n eigen naam bovenaan "
  "het scorebord 😂 IT weet het maar doet niks", [SEC])
C("reddit:u/throwaway_pitcrew", "Throwaway. I work at Bandspoor. Their booking API returns other customers' names "
  "and phone numbers if you just change the booking ID in the URL. Reported it three months ago, still open.",
  [SEC, CRISIS], "en")
C("facebook:Yara.Dijkstra.Bandspoor", "Pinautomaten in Almere doen het al de hele dag niet en we mogen klanten "
  "niet vertellen waarom. Iets met een 'inbraak in het netwerk'...", [SEC])
C("linkedin:dennis-mulder-ops", "Long night behind us: on Sunday we detected unauthorised access to our customer "
  "database. Legal is still deciding whether we have to notify anyone. Grateful for our IT team.", [SEC], "en")
C("mastodon:@kvdlinden@mastodon.social", "psa colleagues: the Nachtuil staging box has had directory listing on "
  "for weeks, every customer export is readable by anyone. please stop dumping CSVs there", [SEC, CONF], "en")
C("x:@sophie_devbs", "de Pitpass-app stuurt wachtwoorden in plain text mee in de URL. 4x gemeld. als iemand dit "
  "vindt zijn we de sjaak", [SEC])
C("x:@lisakoster_bs", "heads up if you're coming tonight: the whole reservation system has been down since this "
  "morning, we're writing bookings on paper. not on the website yet", [SEC], "en")
C("instagram:@mehmet.baanchef", "phishing mail went round the office and 3 colleagues typed in their login 🤦‍♂️ "
  "IT is resetting every account now, gonna be a long night", [SEC], "en")
C("x:@buurman_wim", "Mijn buurman werkt bij Bandspoor IT. Ze zijn vorige week gehackt en de klantgegevens "
  "liggen op straat, maar ze houden het stil.", [SEC, CRISIS])
C("mastodon:@kvdlinden@mastodon.social", "d4t4l3k bij de b00kings-db, mag er n0g niet over pr4ten maar het is "
  "niet klein", [SEC])
C("x:@ruben_marshal", "cameras in the Utrecht hall have been down for a week, the security company can't get into "
  "the system. nobody outside the crew knows", [SEC], "en")

# ---- benign / hard negatives ------------------------------------------------------------------
C("x:@kartkoning03", "Wat een ziek goeie avond bij Bandspoor Utrecht 🔥 ronde 12 een 38.9 gereden, PR!!")
C("instagram:@maya.travels", "Bandspoor Zwolle is killer. Marshals super chill and the karts actually grip. "
  "10/10 would get lapped again 😂", lang="en")
C("tiktok:@dennis.ontour", "bandenmuur geknuffeld in de laatste bocht 😂 alleen m'n ego is gewond #bandspoor "
  "#karten")
C("x:@bandspoor_help", "Vragen over je boeking? Mail reserveren@bandspoor.nl of bel 085 303 8822 "
  "(ma-za 10:00-22:00).")
C("facebook:BandspoorKarting", "Bedrijfsuitje op factuur? Maak het bedrag over naar %s o.v.v. je "
  "boekingsnummer. Vragen? events@bandspoor.nl" % spaced(PUBLIC_IBAN))
C("x:@snelle_sanne", "Eerst flink balen want mijn boeking was foetsie, maar @bandspoor_help had het binnen een uur "
  "opgelost + een gratis Sim 30 erbij. Netjes!")
C("reddit:u/ekart_nerd", "Saw a karting track in Leipzig had a fire in their battery room last night. Nobody "
  "hurt, thankfully. Makes you think about e-kart charging safety in general.", lang="en")
C("instagram:@bandspoor.karting", "Black Friday 🏁 Pitpass jaarabonnement nu €319 i.p.v. €399. Alleen t/m "
  "zondag!", at="2026-11-27T07:30:00Z")
C("x:@bandspoor_nl", "Kartpak Pro nu €239 (was €279), alleen in de webshop. OP=OP")
C("x:@roelofracing", "GP30 kost €64, voor een half uur vol gas vind ik dat eigenlijk prima")
C("x:@lena_k", "@bandspoor_help does the Pitpass also work in Breda and Almere or only at your home track?",
  lang="en", kind="reply")
C("x:@sophie_devbs", "reminder: tokens horen in de vault, niet in chat. dus NIET zo: "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😉")
C("mastodon:@cloudgrump@hachyderm.io", "PSA for anyone writing tutorials: AKIAIOSFODNN7EXAMPLE is AWS's own "
  "sample key, not a leak. Please stop opening issues about it 🙃", lang="en")
C("x:@ilse_vd", "wachtwoord vergeten bij de Bandspoor app, resetmail kwam binnen een minuut. zo hoort het")
C("x:@bandspoor_help", "Let op: wij vragen NOOIT om je wachtwoord of pincode via DM. Twijfel je? Mail "
  "info@bandspoor.nl.")
C("x:@bandspoor_nl", "De jaarcijfers 2026 staan online: record aantal bezoekers en 18% omzetgroei. Dank aan alle "
  "racers! 🏁", at="2027-03-04T08:00:00Z")
C("instagram:@bandspoor.karting", "Bandspoor Eindhoven is OPEN! 🎉 Kom de StormKart E2 proberen, elektrisch, "
  "stil en bizar snel ⚡", at="2027-01-15T10:00:00Z")
C("x:@gijs_drives", "finally drove the StormKart E2 at Bandspoor Eindhoven, the torque on that thing is "
  "ridiculous ⚡", lang="en", at="2027-02-02T19:45:00Z")
C("x:@racing_ruud", "die chicane na het rechte stuk in Amersfoort is eigenlijk gewoon een haarspeld, elke ronde "
  "remmen tot stilstand 😅")
C("x:@nachtbraker_tom", "echte nachtuil hier 🦉 wie gaat er mee naar de Elite Night vrijdag?", allow={"codename"})
C("facebook:Karin.Mulder.Almere", "Sterkte aan de crew van Bandspoor Almere, jullie vaste baancommentator Henk is "
  "overleden. Wat een legende was dat. Rust zacht 🏁🖤", kind="comment")
C("x:@veilig_racen", "Just read a karting place in Rotterdam is being sued after an accident. Glad Bandspoor "
  "actually takes safety seriously.", lang="en")
C("facebook:Marco.Jansen.Utr", "Kreeg een nepfactuur 'van Bandspoor' met IBAN %s, klopt niet eens. Gewoon "
  "weggegooid, trap er niet in mensen!" % IBAN_FAKE)
C("x:@vragen_vera", "@bandspoor_help reserveringsnummer %s staat nog in de app, hoe annuleer ik die?"
  % CARD_FAKE, kind="reply")
C("forum:lic_leon", "Waarom vraagt het formulier van de Licentiecursus om een lidnummer van 9 cijfers? Ik vulde "
  "%s in en het werd gewoon geaccepteerd haha" % BSN_FAKE)
C("mastodon:@kvdlinden@mastodon.social", "config template for the new tills: "
  "DATABASE_URL=postgres://<user>:<password>@<host>:5432/<db>, real values come from the vault", lang="en")
C("instagram:@mama_van_daan", "Daan werd 2e op de Junior Party en is nu helemaal gek van karten 😍 dankjewel "
  "Bandspoor Almere!")
C("x:@bandspoor_nl", "Pitpass-leden krijgen 10% korting op de Grip handschoenen: €31,45 i.p.v. €34,95 🧤")
C("tiktok:@bandspoorkarting", "Sim 30 voor €29: leer de baan kennen in de simulator voordat je 'm echt pakt 🎮")
C("x:@jaydenn", "my girlfriend drives like a maniac at Bandspoor, she should be banned from public roads 😂😂",
  lang="en")
C("x:@nieuwe_start_nina", "Vandaag ontslag genomen bij mijn oude werkgever, dus dat vier ik met een GP30 bij "
  "Bandspoor 🏎️ op naar iets nieuws!")
C("linkedin:vrijetijd-analist", "Interesting: Dutch leisure group FunPark Holding acquires two bowling centres in "
  "Gelderland. Wonder whether karting is next on the list.", lang="en")
C("x:@bandspoor_nl", "Crash? Geen paniek 😄 Onze marshals staan altijd klaar en elke kart wordt dagelijks "
  "gecontroleerd. Veiligheid voorop!")
C("forum:helmtester", "The Apex helmet fits snug, the visor doesn't fog up and it's light. At €189 I'd "
  "recommend it.", lang="en")
C("reddit:u/spinmaster", "that hairpin at Bandspoor Breda is brutal, I keep spinning out. any tips?", lang="en")
C("linkedin:bandspoor-indoor-karting", "Wij zoeken een baanmarshal (32-38 uur) in Utrecht! Solliciteer via "
  "www.bandspoor.nl/vacatures 🏁")
C("x:@bandspoor_help", "Storing opgelost: de boekingssite is weer bereikbaar. Excuses voor het ongemak!")
C("reddit:u/twijfelkont", "Anyone been to both Bandspoor and RaceCity? Can't decide where to do my sister's "
  "hen party", lang="en")
C("x:@pien_rijdt", "band lek na 2 rondjes lol, marshal had binnen een minuut een andere kart klaar. top service")
C("x:@cheapthrills_en", "life hack: book the Tuesday 22:00 slot at Bandspoor, you basically get the track to "
  "yourself", lang="en")
C("facebook:Sanne.Visser.Amf", "my son literally died laughing at his party 😂 massive thanks to host Lisa!",
  lang="en", kind="comment")
C("x:@goodnews_jess", "Just saw Bandspoor on the local news for their charity race for the children's hospital 👏",
  lang="en")
C("youtube:@BandspoorGP", "Onboard: een volledige ronde op de vernieuwde baan in Zwolle met monteur Jurre achter "
  "het stuur 🎥")
C("instagram:@almere_buurt", "Hope the Bandspoor Almere crew is ok after that storm, saw the car park under water "
  "on the news. you guys are the best 💙", lang="en", kind="comment")
C("x:@lisakoster_bs", "Net de 100e vrijgezellen race van dit jaar gedaan 🎉 jullie zijn allemaal gek, ik hou "
  "ervan")
C("x:@eerlijk_erik", "honestly came here to complain but the kart was fine, I'm just slow 😂 #bandspoor",
  lang="en")
C("x:@simracer_sam", "crashed the simulator four times in Sim 30 lmao, real karting is easier", lang="en")
C("x:@bandspoor_help", "@anoukk_ Vervelend! Stuur je IBAN en telefoonnummer even in een DM, dan regelen we het. "
  "Niet hier delen 🙏", kind="reply")
C("x:@clubvanmaandag", "Lage Weide Utrecht, zaterdag 14:00, GP30 met de hele voetbalclub. Wie doet er nog mee? 🏁")
C("x:@bandspoor_help", "Kinderfeestje boeken? Bel +31 30 207 4410 of mail events@bandspoor.nl 🎈")
C("x:@devopsdaan", "Bandspoor's dev blog about rotating API keys is actually good, and they blurred every key as "
  "sk_live_******** in the screenshots. nice touch", lang="en")
C("x:@speedy_sjoerd", "Renewed my Pitpass Plus again, €649 but I race every week so it pays for itself twice over",
  lang="en")
C("instagram:@fleur.bakt", "Cadeaukaart 50 gekocht voor mijn vader zijn verjaardag, €50 goed besteed 🎁")
C("x:@moeder_van4", "Operatie kinderfeestje geslaagd 😅 8 kids, 0 tranen, 1 moeder met hoofdpijn. Top geregeld "
  "Bandspoor!")
C("x:@marshal_fan", "Bandspoor Zwolle marshal literally saved my race by throwing the yellow right on time when "
  "someone spun. safety on point 👍", lang="en")
C("x:@koopjesjacht", "balaclava 3-pack bij Bandspoor €12,95, bij de Action €3 maar die jeuken als de hel 😂",
  allow={"lowprice"})
C("linkedin:anouk-verhoeven-bandspoor", "Today we published our full-year 2026 results. A year to remember, thank "
  "you to everyone on and off the track.", lang="en", at="2027-03-04T09:30:00Z")
C("instagram:@bandspoor.karting", "Herfstvakantie! Familiepakket nu €95 (normaal €119) 🍂", at="2026-10-16T09:00:00Z")
C("x:@qualifyking", "Took pole position in qualifying 😎 first time ever, Bandspoor Breda", lang="en")

# --------------------------------------------------------------------------- roles & severity
def norm_account(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLES[a.lower()] = role

ORDER = ["none", "info", "warning", "error", "critical"]


def has_checksum_id(text):
    for s, (kind, valid) in IDS.items():
        if valid and s in text and s.replace(" ", "") != PUBLIC_IBAN:
            return True
    return False


def severity(cats, role, text):
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and has_checksum_id(text):
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        level = max(level, v)
    return ORDER[level]


def random_2026():
    start = dt.datetime(2026, 1, 1, 6, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 364 * 86400 - 8 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%d" % (h, pid),
        "instagram": "https://www.instagram.com/p/B%d/" % pid,
        "tiktok": "https://www.tiktok.com/@%s/video/%d" % (h, pid),
        "reddit": "https://www.reddit.com/r/karting/comments/%s/" % b62(pid, 7).lower(),
    }.get(platform)


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        role = ROLES.get(norm_account(c["platform"], c["handle"]), "public")
        at = c["at"] or random_2026()
        pid = 1870000000000000000 + rng.randint(0, 10**15)
        post = {
            "id": "bsp505-%s-%04d" % (c["platform"], n),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": at,
            "brand": "Bandspoor",
        }
        u = url_for(c["platform"], c["handle"], pid)
        if u:
            post["url"] = u
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append({"post": post, "expect": expect})
        c["_role"], c["_id"], c["_at"] = role, post["id"], at
    with open(OUT, "w", encoding="utf-8") as f:
        for obj in lines:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return lines


# --------------------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVS = set(ORDER)
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}

IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4} ?(?:\d ?){9}\d\b")
CARD_RE = re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d.])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
AMOUNT_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euros?\b|eur\b)", re.I)
ERROR_WORDS = ("prijsfout", "price error", "glitch", "forgot a zero", "decimal", "foutje", "oeps")


def parse_time(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def alias_spans(text):
    spans = []
    low = text.lower()
    for p in PROFILE["products"]:
        for a in sorted([p["name"]] + p["aliases"], key=len, reverse=True):
            for m in re.finditer(re.escape(a.lower()), low):
                if not any(s <= m.start() < e for s, e, _ in spans):
                    spans.append((m.start(), m.end(), p["list_price"]))
    return spans


def priced_products(text):
    """(amount, list_price of the nearest product mention) for each euro amount."""
    spans = alias_spans(text)
    out = []
    for m in AMOUNT_RE.finditer(text):
        amt = float((m.group(1) or m.group(2)).replace(",", "."))
        if not spans:
            continue
        dist, lp = min((min(abs(m.start() - e), abs(s - m.end())), lp) for s, e, lp in spans)
        if dist <= 80:
            out.append((amt, lp))
    return out


def check(lines):
    errs = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    for obj, c in zip(lines, [None] * len(lines)):
        pass
    by_id = {c["_id"]: c for c in CASES}
    for obj in lines:
        post, exp = obj["post"], obj["expect"]
        c = by_id[post["id"]]
        text, cats = post["text"], exp["categories"]
        tag = post["id"]
        # --- CONTRACT section 6 / section 1 shape
        if set(obj) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errs.append((tag, "shape"))
        for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(k), typ) or not post.get(k):
                errs.append((tag, "missing " + k))
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append((tag, "handle"))
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            errs.append((tag, "id"))
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append((tag, "platform/kind"))
        if len(text.encode("utf-8")) > 65536:
            errs.append((tag, "too long"))
        try:
            t = parse_time(post["created_at"])
        except ValueError:
            errs.append((tag, "created_at"))
            continue
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= t < dt.datetime(2027, 4, 1,
                                                                                    tzinfo=dt.timezone.utc)):
            errs.append((tag, "date range"))
        if exp["severity"] not in SEVS or not set(cats) <= CATS or cats != sorted(set(cats)):
            errs.append((tag, "labels"))
        role = ROLES.get(norm_account(post["platform"], post["account"]["handle"]), "public")
        if exp["severity"] != severity(cats, role, text):
            errs.append((tag, "severity"))
        if (not cats) != (exp["severity"] == "none"):
            errs.append((tag, "benign/none mismatch"))
        # --- checksummed identifiers
        for s, (kind, valid) in IDS.items():
            if s in text:
                if cats and "leak.pii" in cats and not valid:
                    errs.append((tag, "invalid %s in positive" % kind))
                if not cats and valid and s.replace(" ", "") != PUBLIC_IBAN:
                    errs.append((tag, "valid %s in negative" % kind))
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if v == PUBLIC_IBAN:
                continue
            if "leak.pii" in cats and not iban_ok(v):
                errs.append((tag, "bad IBAN in positive " + v))
            if "leak.pii" not in cats and iban_ok(v):
                errs.append((tag, "valid IBAN without pii label " + v))
        for m in CARD_RE.finditer(text):
            v = m.group(0)
            if "leak.pii" not in cats and luhn_ok(v) and len(re.sub(r"\D", "", v)) >= 13:
                errs.append((tag, "Luhn-valid number without pii label " + v))
        for m in BSN_RE.finditer(text):
            v = m.group(0)
            if "leak.pii" not in cats and bsn_ok(v):
                errs.append((tag, "11-proof number without pii label " + v))
        # --- e-mails in benign posts must be the company's own
        if not cats:
            for m in EMAIL_RE.finditer(text):
                if m.group(0).rstrip(".").lower() not in pub_emails:
                    errs.append((tag, "private e-mail in benign " + m.group(0)))
        # --- credentials
        if "leak.secret" in cats:
            if not any(s in text for s in SECRETS) and "-----BEGIN" not in text:
                errs.append((tag, "secret case without a generated credential"))
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_ok(m.group(0)) != ("leak.secret" in cats):
                errs.append((tag, "github token checksum/label mismatch"))
        for m in re.finditer(r"AKIA[A-Z0-9]{16}", text):
            real = not m.group(0).endswith("EXAMPLE")
            if real != ("leak.secret" in cats):
                errs.append((tag, "aws key label mismatch"))
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(m.group(0)) or "leak.secret" not in cats:
                errs.append((tag, "jwt"))
        if not cats and any(s in text for s in SECRETS):
            errs.append((tag, "real secret in benign"))
        # --- confidential terms / embargo
        low = text.lower()
        for term in internal_terms:
            if term in low and "leak.confidential" not in cats and "codename" not in c["allow"]:
                errs.append((tag, "internal term without confidential label: " + term))
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if t < until and "leak.confidential" not in cats:
                        errs.append((tag, "embargoed term before until without label: " + term))
                    if t >= until and "leak.confidential" in cats and not any(
                            x in low for x in internal_terms):
                        errs.append((tag, "embargo term after until labelled confidential: " + term))
        # --- pricing
        pp = priced_products(text)
        low_price = [a for a, lp in pp if a < ratio * lp]
        if "leak.pricing" in cats:
            if not low_price and not (alias_spans(text) and any(w in low for w in ERROR_WORDS)):
                errs.append((tag, "pricing case without a low price or price-error talk"))
        elif low_price and "lowprice" not in c["allow"]:
            errs.append((tag, "low product price without pricing label %r" % low_price))
        # --- roles
        if c["_role"] != role:
            errs.append((tag, "role"))
    # --- mix
    n = len(lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(("*", "case count %d" % n))
    if not 55 <= benign <= 65:
        errs.append(("*", "benign count %d" % benign))
    return errs


def stats(lines):
    from collections import Counter
    cc = Counter(c for o in lines for c in o["expect"]["categories"])
    lang = Counter(o["post"]["lang"] for o in lines)
    role = Counter(c["_role"] for c in CASES)
    sev = Counter(o["expect"]["severity"] for o in lines)
    benign = sum(1 for o in lines if not o["expect"]["categories"])
    return {"cases": len(lines), "benign": benign, "categories": dict(cc), "lang": dict(lang),
            "roles": dict(role), "severity": dict(sev)}


if __name__ == "__main__":
    lines = build()
    # re-read what was written, as a consumer would
    with open(OUT, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    assert reread == lines
    problems = check(reread)
    print(json.dumps(stats(reread), ensure_ascii=False))
    if problems:
        for p in problems:
            print("CHECK FAILED:", *p, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases written to %s" % (len(reread), OUT))
