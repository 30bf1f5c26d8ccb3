#!/usr/bin/env python3
"""Writes cases.jsonl (labelled evaluation set 208) beside this file and self-checks it.

Company: Naafwerk B.V. (fictional), see profile.yaml.
Deterministic: fixed seed, standard library + PyYAML only.
Severities are never typed by hand: they are computed from the categories, the account
role looked up in profile.yaml and whether a checksum-valid identifier was inserted.
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
SEED = 2082026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# identifier and credential generators
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"])
    acct = "0" + rand(string.digits, 9) if rng.random() < 0.6 else rand(string.digits, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_valid(iban)
    return iban


def fmt_iban(iban):
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def bad_iban():
    iban = make_iban()
    pos = rng.randrange(8, 18)
    d = iban[pos]
    nd = str((int(d) + rng.randint(1, 9)) % 10)
    bad = iban[:pos] + nd + iban[pos + 1:]
    assert not iban_valid(bad)
    return bad


def luhn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(ds) >= 12 and total % 10 == 0


def make_card():
    first = rng.choice(["4", "51", "52", "53", "54", "55", "2221"])
    body = first + rand(string.digits, 15 - len(first))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def fmt_card(num):
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card():
    num = make_card()
    bad = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(num):
    ds = [int(c) for c in re.sub(r"\D", "", num)]
    if len(ds) != 9:
        return False
    s = sum(d * w for d, w in zip(ds, [9, 8, 7, 6, 5, 4, 3, 2, -1]))
    return s % 11 == 0 and s != 0


def make_bsn():
    while True:
        ds = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d * w for d, w in zip(ds, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if last <= 9:
            num = "".join(map(str, ds)) + str(last)
            if bsn_valid(num):
                return num


def bad_bsn():
    num = make_bsn()
    bad = num[:-1] + str((int(num[-1]) + 1) % 10)
    assert not bsn_valid(bad)
    return bad


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}
    now = 1767225600 + rng.randint(0, 30_000_000)
    payload = {"sub": "usr_" + rand(string.digits, 6), "iss": "https://auth.naafwerk.nl",
               "role": rng.choice(["admin", "cs_agent", "warehouse"]), "iat": now, "exp": now + 3600}
    sig = bytes(rng.getrandbits(8) for _ in range(32 if header["alg"] == "HS256" else 256))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()), b64url(sig)])


def make_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def make_password():
    word = rng.choice(["Remblok", "Zomer", "Kettingslot", "Fietspomp", "Naafdop", "Velgrem", "Bougie"])
    return word + rand(string.digits, rng.randint(2, 4)) + rng.choice("!?#$%&*") + rand(string.ascii_letters, 2)


GEN = {
    "IBAN": lambda: fmt_iban(make_iban()),
    "CARD": lambda: fmt_card(make_card()),
    "BSN": make_bsn,
    "BAD_IBAN": lambda: fmt_iban(bad_iban()),
    "BAD_CARD": lambda: fmt_card(bad_card()),
    "BAD_BSN": bad_bsn,
    "PUB_IBAN": lambda: " ".join(PROFILE["public_identifiers"]["ibans"][0][i:i + 4] for i in range(0, 18, 4)),
    "GHP": lambda: gh_token("ghp_"),
    "GHS": lambda: gh_token("ghs_"),
    "AKIA": lambda: "AKIA" + rand(B32, 16),
    "AWS_SECRET": lambda: rand(ALNUM + "/+", 40),
    "JWT": make_jwt,
    "PEM": make_pem,
    "PW": make_password,
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 88),
    "MOLLIE": lambda: "live_" + rand(ALNUM, 30),
    "SLACK": lambda: "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24)),
    "SLACK_HOOK": lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (rand(string.ascii_uppercase + string.digits, 9), rand(string.ascii_uppercase + string.digits, 10), rand(ALNUM, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "GLPAT": lambda: "glpat-" + rand(URLSAFE, 20),
    "GOOGLE": lambda: "AIza" + rand(URLSAFE, 35),
}
CHECKSUM_TOKENS = {"IBAN", "CARD", "BSN"}

# ---------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------
SECRET = "leak.secret"
PII = "leak.pii"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
CRISIS = "reputation.crisis"
COMPLAINT = "reputation.complaint"
ABUSE = "reputation.abuse"
ALL_CATS = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE, "reputation.spike"}

CASES = []


def c(acct, lang, cats, text, at=None, kind=None):
    CASES.append({"acct": acct, "lang": lang, "cats": list(cats), "text": text, "at": at, "kind": kind})


# ===========================================================================
# POSITIVES
# ===========================================================================

# --- reputation.complaint ---------------------------------------------------
c("x:@anouk_r", "nl", [COMPLAINT],
  "Besteld om 21:40, 'morgen in huis' zei de site. Het is nu donderdagavond en Track & Trace staat nog steeds op 'label aangemaakt'. Zo werkt next-day dus niet @naafwerk_help", kind="reply")
c("facebook:bas.verhoef.77", "nl", [COMPLAINT],
  "Verkeerde remblokken gekregen. Op de pakbon staat Golf 7, in de doos zitten ze voor een Polo. En nu moet ik ze éérst terugsturen voordat jullie de goede versturen?? Auto staat al 2 dagen stil Naafwerk.")
c("reddit:u/velovent", "en", [COMPLAINT],
  "PSA for anyone ordering a cassette from Naafwerk: mine (Trail 11-46) came with two cogs missing from the stack. Support has now asked me for 'a clearer photo' three times. 9 days and counting.")
c("instagram:@mtb_maaike", "nl", [COMPLAINT],
  "retour aangemeld op 2 mei, pakket is 4 mei afgeleverd bij jullie magazijn (heb bewijs!!) en nog steeds geen geld terug. ik ben echt klaar met wachten 🙄 #naafwerk", kind="comment")
c("linkedin:erik-bosman-fleet", "en", [COMPLAINT],
  "We moved our fleet workshop to a Naafwerk Zakelijk account last quarter. Invoices arrive without PO numbers, credit notes take weeks, and our account manager has changed three times since January. Not what we were promised in the sales pitch.")
c("x:@petrolhead_023", "nl", [COMPLAINT],
  "prijsgarantie? lachwekkend. laat zien dat de ScanMate elders voor €149 staat, krijg ik 'dat is geen erkende webshop' terug. Het is letterlijk een grote Nederlandse winkel. @naafwerk_help", kind="reply")
c("x:@dutchcycledad", "en", [COMPLAINT],
  "45 minutes in the Naafwerk phone queue just to be told the chat team 'can't see my order'. Then why does the chat exist? 🙃")
c("tiktok:@sleutelsanne", "nl", [COMPLAINT],
  "pov: je bestelt een complete doppenset en er zitten 11 doppen in ipv 94 😭😭 @naafwerk dit is toch een grap #klussen #fail")
c("forum:oldtimer_henk", "nl", [COMPLAINT],
  "Derde keer dat de JumpBox 1200 die ik bij Naafwerk kocht na een week niet meer oplaadt. Omruilen mag, maar de verzendkosten moet ik zelf betalen. Vind ik niet netjes voor een product dat gewoon defect is.")
c("x:@lisa_b_utrecht", "en", [COMPLAINT],
  "ordered a Spaaq chain for next-day delivery, got an email at 23:50 saying 'delayed due to high volume'. I'd planned my whole Saturday repair around it. just be honest on the product page pls")
c("facebook:gertjan.mulder", "nl", [COMPLAINT],
  "Pakket kapot aangekomen, de fles LongLife 5W-30 is over de hele doos uitgelopen. Bezorger zette 'm gewoon in de regen neer. Reactie van Naafwerk: 'meld het bij de vervoerder'. Nee, jullie zijn mijn verkoper, niet PostNL.")
c("bluesky:@ritawrenches.bsky.social", "en", [COMPLAINT],
  "Naafwerk's return portal keeps throwing 'order not found' for an order that's literally sitting in my account. Tried 3 browsers. The chatbot loops me straight back to the portal. Great stuff.")
c("x:@wielrenjoris", "nl", [COMPLAINT],
  "Aero 45 wielset, achternaaf tikt na 200 km al. Garantieclaim ingediend bij Naafwerk, antwoord: 'onderhoudsfout'. Ik heb er nog niks aan gedaan behalve fietsen 🤷‍♂️")
c("instagram:@koen.klust", "en", [COMPLAINT],
  "the torque wrench (MomentPro 40-200) arrived way off, reads 20% low on my tester. for a tool you literally buy for accuracy that's a bad look @naafwerk.nl", kind="comment")
# complaint + abuse
c("x:@boze_ruud", "nl", [COMPLAINT, ABUSE],
  "3 dagen wachten op een remklauw die 'morgen' zou komen en dan een mailtje dat ie uitverkocht is. kankerbedrijf, nooit meer @naafwerk")
c("reddit:u/grumpy_wrench", "en", [COMPLAINT, ABUSE],
  "Naafwerk support are a bunch of clueless idiots. Sent me the wrong car battery TWICE and now they want me to pay the return shipping. Absolute clowns.")
# complaint + crisis
c("x:@ev_emma", "nl", [COMPLAINT, CRISIS],
  "Mijn Volt 500 accu van Naafwerk werd gloeiend heet tijdens het laden en begon te roken in de gang. Brandweer is geweest. Klantenservice reageert al 4 dagen niet. Dit is gewoon gevaarlijk!!")
c("facebook:sandra.koopmans.9", "nl", [COMPLAINT, CRISIS],
  "Remschijven (Asfalt Pro DiscSet) door onze garage gemonteerd, na 300 km scheurt er eentje door op de A12. Gelukkig niemand gewond. Naafwerk wil alleen het geld terugstorten en 'het onderzoeken'. Hoeveel mensen rijden hier nog mee rond?")
# complaint + pii (customer exposing own data)
c("x:@famvandam_nl", "nl", [COMPLAINT, PII],
  "@naafwerk_help al 2x gemaild over mijn terugbetaling, niks gehoord. Bel me gewoon even terug op 06-41827730 aub, order NW-2026-0488172", kind="reply")
c("facebook:marco.schouten.nl", "nl", [COMPLAINT, PII],
  "Nog steeds geen refund voor mijn geretourneerde Ritmeter. Hier nogmaals mijn rekeningnummer want blijkbaar raken jullie het steeds kwijt: {IBAN} t.n.v. M. Schouten", kind="comment")

# --- reputation.crisis ------------------------------------------------------
c("x:@consumentalert_nl", "nl", [CRISIS],
  "⚠️ Meerdere meldingen binnen van afgebroken remhendels van de Spaaq Stopper, gekocht via Naafwerk. Rijd je ermee? Laat je remmen nakijken. We hebben Naafwerk om opheldering gevraagd.")
c("x:@privacyjan", "en", [CRISIS],
  "Got a phishing mail quoting my exact Naafwerk order number, the part I bought and my delivery address. That didn't come from nowhere. @naafwerk did you have a data breach??")
c("reddit:u/rijkwaterbike", "nl", [CRISIS],
  "Iemand anders ook ineens sms'jes 'uw Naafwerk pakket wacht op betaling' met je echte naam en adres erin? Ze hebben onze gegevens gelekt, ik weet het zeker. Niemand anders heeft die combinatie.")
c("x:@boycotbas", "nl", [CRISIS],
  "#BoycotNaafwerk ✊ ze laten hun magazijnmensen tijdens de hittegolf 10 uur doorwerken zonder koeling of extra pauzes. Deel dit en bestel je onderdelen ergens anders.")
c("linkedin:mr-m-dekker-advocatuur", "nl", [CRISIS],
  "Namens ruim 40 zakelijke klanten hebben wij vandaag een dagvaarding laten uitbrengen tegen Naafwerk B.V. wegens structureel onjuiste facturatie via het zakelijke portaal. Gedupeerd? Neem contact met ons kantoor op.")
c("x:@mobiliteitnieuws", "en", [CRISIS],
  "BREAKING: Dutch parts webshop Naafwerk under scrutiny after an e-bike battery fire in an Almere apartment block; two residents taken to hospital. The battery was reportedly a Spaaq unit.")
c("tiktok:@truckertim", "nl", [CRISIS],
  "jongens NIET die trekhaak kit (TowLine) van naafwerk gebruiken!!! caravan losgeslagen op de A28, scheelde echt weinig. foto's in mijn story. levensgevaarlijk spul")
c("youtube:@BikeTechReviewNL", "en", [CRISIS],
  "Recall incoming? Naafwerk quietly pulled the Spaaq Carbon Rigid 29 fork from its site after our stress test snapped two steerer tubes. Still no statement from them.", kind="comment")
c("mastodon:@fietsbond_fan@mastodon.social", "nl", [CRISIS],
  "Naafwerk verkoopt de Beam 80 koplamp nog steeds terwijl al een week bekend is dat hij geen geldig K-keurmerk heeft. Schandalig, dit is gewoon verkeersonveilig.")
c("x:@nieuwsjager_en", "en", [CRISIS],
  "Investigative piece in today's paper: Naafwerk's next-day warehouse staff are hired through a bogus agency setup to dodge the collective labour agreement. If that holds up it's a proper scandal.")
c("facebook:wendy.brouwer.83", "nl", [CRISIS],
  "Onze zoon (12) is gevallen omdat de nieuwe ketting van Naafwerk gewoon brak bij het optrekken. Zes hechtingen in zijn kin. Wij doen aangifte en schakelen een advocaat in.")
c("x:@kritischeklant", "nl", [CRISIS],
  "Undercoverreportage van Radar vanavond: Naafwerk zou gereviseerde remklauwen als nieuw verkopen. Als dat klopt is het gewoon oplichting van klanten.")
# crisis + abuse
c("x:@fed_up_frank", "en", [CRISIS, ABUSE],
  "@naafwerk leaked my data AND now ignores me. You thieving bastards, see you in court.", kind="reply")

# --- reputation.abuse -------------------------------------------------------
c("x:@hatert_wout", "nl", [ABUSE],
  "@naafwerk_help jullie zijn echt een stelletje debielen", kind="reply")
c("instagram:@tr0ll_mtb", "en", [ABUSE],
  "whoever runs this account is a braindead muppet lmao", kind="comment")
c("x:@anon_9921", "nl", [ABUSE],
  "@yara_sleutelt hou je mond maar, wijven horen niet in een werkplaats. ga terug naar de keuken", kind="reply")
c("reddit:u/shopgrump", "en", [ABUSE],
  "Rang Naafwerk and got some guy with an accent I couldn't follow. Hire people who speak proper Dutch instead of these foreigners ffs.")
c("tiktok:@kevtje_030", "nl", [ABUSE],
  "naafwerk = k.u.t.w.i.n.k.e.l en die lotte van de klantenservice is een t.y.f.u.s.w.i.j.f 🤮", kind="comment")
c("x:@mtbmarco_", "en", [ABUSE],
  "@naafwerk_help y0u're a bunch 0f fr4uds and sc4mmers, fvck y0u and fvck y0ur c4ll centre", kind="reply")
c("x:@mkoster_nw", "nl", [ABUSE],
  "Sommige klanten zijn echt zo dom als het achtereind van een varken. Leer eerst een band plakken voordat je ons gaat lopen afzeiken.")
c("threads:@lotte.naafwerk", "en", [ABUSE],
  "to the guy who called my colleague a stupid cow on the phone today: you're a pathetic little worm and frankly an idiot.")
c("facebook:henk.zwart.1966", "nl", [ABUSE],
  "Die Daan Hoekstra van Naafwerk met zijn grijns in de krant, wat een walgelijke graaier. Iemand moet die vent eens een lesje komen leren bij hem thuis.")

# --- leak.confidential ------------------------------------------------------
c("x:@mkoster_nw", "nl", [CONF],
  "Morgen de fotoshoot voor Project Zandloper 📸 kan niet wachten tot jullie het zien!!")
c("instagram:@bram.fietst", "en", [CONF],
  "Test ride on the Spaaq Volt 750 prototype today, range is insane 🔋⚡ can't say more yet 🤫 #ebike #sneakpeek",
  at="2026-10-14T16:22:05+02:00")
c("linkedin:ilse-de-wit-nw", "nl", [CONF],
  "Leuke sessie gehad met het team over Kraanvogel. Voor wie er niet bij kon zijn: de slides staan op intranet.naafwerk.local/hr/kraanvogel")
c("x:@naafwerk_help", "en", [CONF],
  "Hi Tom, I've escalated it to our logistics team. You can follow it here: https://jira.naafwerk.nl/browse/CS-48211 🙂", kind="reply")
c("bluesky:@joostsmit.bsky.social", "nl", [CONF],
  "Screenshot van ons nieuwe retourdashboard, trots op het team 💪 (ja linksboven staat 'INTERN - NIET DELEN', het is maar een mockup 😅)")
c("reddit:u/wh_ruben_nl", "en", [CONF],
  "Can't go into detail, but we're moving all bike-parts picking to a new hall; internal name is Operatie Bovenwind. Peak season is going to be chaos, order early lol")
c("x:@yara_sleutelt", "nl", [CONF],
  "Eerste video met de Naafwerk Lease-bus gedraaid vandaag!! Vanaf maart kunnen jullie ook... oeps, te vroeg 🙊",
  at="2026-11-27T19:03:40+01:00")
c("x:@insider_tips_nl", "nl", [CONF],
  "Via via gehoord dat Naafwerk volgend voorjaar de Spaaq Volt 750 lanceert, 750Wh voor onder de 700 euro. Screenshot van hun interne presentatie hieronder 👇",
  at="2026-09-02T21:47:12+02:00")
c("instagram:@naafwerk.nl", "nl", [CONF],
  "Sneak peek 👀 er komt iets moois aan... #kraanvogel #naafwerk #binnenkort")
c("mastodon:@pvdlinden@mastodon.nl", "en", [CONF],
  "Page 3 of the supplier deck is stamped 'naafwerk confidential', but honestly everyone should know our return rate on e-bike batteries is 14%. Fix your suppliers, people.")
c("x:@mkoster_nw", "nl", [CONF],
  "Project Zand\u200bloper gaat live in week 12, zet 'm alvast in je agenda 😉")
c("threads:@lotte.naafwerk", "en", [CONF],
  "Training for the Kr\u0430\u0430nvogel rollout with the whole CS team tomorrow, coffee's on me ☕")
# confidential + financial
c("linkedin:daan-hoekstra-naafwerk", "nl", [CONF, FIN],
  "Mooie week. Operatie Bovenwind is rond: per 1 januari nemen we een Belgische onderdelenwebshop over. Meer kan ik nog niet zeggen, het persbericht komt later.")
c("x:@mkoster_nw", "nl", [CONF, FIN],
  "halfjaarcijfers 2027 zien er belachelijk goed uit, omzet +31% 🚀 nog even stil houden hè 🤐",
  at="2027-06-20T22:14:09+02:00")
c("reddit:u/throwaway_nw_finance", "en", [CONF, FIN],
  "Friend in finance at Naafwerk says the H1 2027 results will show their first loss ever and that Project Zandloper (the Belgium expansion) is being shelved.",
  at="2027-05-12T11:30:00+02:00")
# confidential + security
c("x:@nadia_ops_nw", "en", [CONF, SEC],
  "grafana.naafwerk.nl is all red, order-api down since 06:10 and we're failing over by hand. if your order hangs, that's why. no official statement yet 🙈")
c("bluesky:@joostsmit.bsky.social", "nl", [CONF, SEC],
  "Nou, wms.naafwerk.local blijkt zonder login bereikbaar vanaf het gasten-wifi in het magazijn. Ticket staat al maanden open. Ik zeg verder niks 🙃")
# confidential + secret
c("x:@nadia_ops_nw", "nl", [CONF, SECRET],
  "wie weet waarom deze niet connect?? postgres://wms_app:{PW}@db01.wms.naafwerk.local:5432/wms")

# --- leak.financial ---------------------------------------------------------
c("linkedin:ilse-de-wit-nw", "nl", [FIN],
  "Zware weken bij HR. Er verdwijnen 60 functies in het distributiecentrum Nieuwegein voor de zomer, de OR hoort het pas volgende week. Sterkte aan iedereen die het straks te horen krijgt.")
c("x:@mkoster_nw", "en", [FIN],
  "Not official yet but Q3 revenue came in €4.2M under plan. Marketing budget frozen for the rest of the year, so no more influencer deals from us 😬")
c("reddit:u/wh_ruben_nl", "nl", [FIN],
  "Op het werk gaat het al weken rond, maar ik heb de mail nu zelf gezien: we worden overgenomen door een Duitse partij. Deal moet voor kerst getekend zijn.")
c("instagram:@bram.fietst", "en", [FIN],
  "Forecast meeting done ✅ we expect bike-parts sales to double next year while car parts shrink ~15%. Guess which team is getting the budget 😎")
c("x:@beursroddel", "nl", [FIN],
  "Hoor uit goede bron dat Naafwerk volgende maand een winstwaarschuwing afgeeft. Omzet Q2 ruim 20% onder verwachting. Doe er je voordeel mee.")
c("linkedin:daan-hoekstra-naafwerk", "en", [FIN],
  "Board approved the plan today to close our Antwerp pick point and merge it into Nieuwegein by March; around 25 colleagues are affected. Staff will be told on Monday.")
c("threads:@lotte.naafwerk", "nl", [FIN],
  "ze gaan de hele klantenservice outsourcen naar Portugal, hoorde ik net in het MT-overleg. wij horen het 'officieel' pas in oktober. lekker dan")
c("mastodon:@pvdlinden@mastodon.nl", "en", [FIN],
  "Sitting in on due diligence calls all week: a bigger webshop wants a stake in us, 40% is what's on the table. Weird times at Naafwerk.")
c("x:@naafwerk", "nl", [FIN],
  "Wat een jaar! Met €58 miljoen omzet en 22% groei sluiten we 2026 af 🎉 (de officiële jaarcijfers volgen pas in maart, maar we konden niet wachten) Bedankt klanten!",
  at="2026-12-30T12:00:00+01:00")

# --- leak.security ----------------------------------------------------------
c("x:@nadia_ops_nw", "nl", [SEC],
  "Niet doorvertellen maar we hebben vannacht ransomware gehad op twee kassasystemen bij de afhaalbalie in Nieuwegein. Pers weet nog van niks.")
c("bluesky:@joostsmit.bsky.social", "en", [SEC],
  "Found out today our password reset links never expire and can be reused by anyone who has the mail. Reported it internally in March. Still live. Love that for us.")
c("mastodon:@pvdlinden@mastodon.nl", "nl", [SEC],
  "Kleine update voor wie het volgt: de inbraak in onze leveranciersportal van vorige week was groter dan gedacht, zo'n 8.000 accounts geraakt. Communicatie naar buiten komt 'ergens deze maand'.")
c("reddit:u/wh_ruben_nl", "en", [SEC],
  "Scanners in our warehouse have been offline since Tuesday, malware on the handheld fleet apparently. We're picking from paper lists. That's why your next-day is next-week rn.")
c("x:@naafwerk_help", "en", [SEC],
  "Hi Sam, sorry for the delay. Between us: our payment integration was compromised yesterday so card payments are paused for now. Please don't share this yet 🙏", kind="reply")
c("threads:@lotte.naafwerk", "nl", [SEC],
  "Sinds gisteren krijgen klanten uit ons CRM mails met andermans facturen erin. IT zegt dat het 'een bug' is. We mogen er nog niks over zeggen, dus ik zeg ook niks 😶")
c("instagram:@bram.fietst", "en", [SEC],
  "lol the whole site goes offline at 18:00 tomorrow for 6 hours, a DDoS extortion mail came in and we're buying extra protection. act surprised 😅")
c("x:@mkoster_nw", "nl", [SEC],
  "Ons nieuwsbriefsysteem is gehackt, vanochtend zijn er 30k phishingmails vanuit ons account de deur uit gegaan. Zeg maar niks tegen je vrienden 🙈")
c("reddit:u/ex_nw_dev", "en", [SEC],
  "Ex-Naafwerk dev here. Their admin panel still runs an unpatched Magento 2.3 with a known RCE. They know. Nobody fixed it by the time I left in June.")
c("x:@nadia_ops_nw", "en", [SEC],
  "\uff4f\uff55\uff54\uff41\uff47\uff45 again: checkout api dead, root cause = expired TLS cert on the payment gateway. nothing on the status page yet 🤫")
c("x:@yara_sleutelt", "nl", [SEC],
  "Vandaag geen video: heel kantoor moest van het netwerk af, er zat iemand in ons systeem via een phishingmail. Meer mag ik niet zeggen 🤐")

# --- leak.secret ------------------------------------------------------------
c("x:@nadia_ops_nw", "en", [SECRET],
  "why is terraform still complaining 😩\naws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}")
c("bluesky:@joostsmit.bsky.social", "nl", [SECRET],
  "tijdelijk token voor de build-pipeline, haal ik na de demo weer weg: {GHP}")
c("reddit:u/freelance_koen", "en", [SECRET],
  "Building a stock-sync plugin for Naafwerk. Anyone know why Mollie gives me a 401 with this header? Authorization: Bearer {MOLLIE}")
c("mastodon:@pvdlinden@mastodon.nl", "en", [SECRET],
  "note to self, don't judge:\n{PEM}")
c("x:@mkoster_nw", "nl", [SECRET],
  "Voor de nieuwe stagiairs: inloggen op het marketing-Instagram met gebruikersnaam naafwerk_stage, wachtwoord: {PW} 🙌")
c("threads:@lotte.naafwerk", "en", [SECRET],
  "For the chatbot tests, use this key until IT sets up yours: {ANTHROPIC}")
c("x:@naafwerk", "nl", [SECRET],
  "Test webhook, graag negeren: {SLACK_HOOK}")
c("bluesky:@joostsmit.bsky.social", "en", [SECRET],
  "debugging auth on staging, this JWT keeps getting rejected, anyone spot why?\n{JWT}")
c("instagram:@bram.fietst", "nl", [SECRET],
  "werkplekje voor vandaag 💻☕ vergeet even dat die .env open staat 😂\nSTRIPE_SECRET_KEY={STRIPE}\nOPENAI_API_KEY={OPENAI}")
c("reddit:u/wh_ruben_nl", "nl", [SECRET],
  "Voor de nachtploeg: de wifi in hal 3 heet NW-Magazijn, w.a.c.h.t.w.o.o.r.d: {PW}. Niet aan de uitzendkrachten geven.")
c("x:@nadia_ops_nw", "en", [SECRET],
  "slack bot broke again, token {SLACK} returns invalid_auth. anyone?")
c("forum:dev_sem", "en", [SECRET],
  "Naafwerk's public parts-API example repo has this in .gitlab-ci.yml: CI_PUSH_TOKEN: {GLPAT} and a Maps key {GOOGLE}. Someone should tell them.")

# --- leak.pii ---------------------------------------------------------------
c("x:@naafwerk_help", "nl", [PII],
  "Hoi Priya, we storten het bedrag terug op {IBAN} zoals je doorgaf, binnen 3 werkdagen staat het op je rekening 👍", kind="reply")
c("threads:@lotte.naafwerk", "nl", [PII],
  "Klant van de dag 🙄 Ronald Verbeek, Kerkstraat 14 in Zeist, belt elke dag over dezelfde remblokken. Ronald, als je dit leest: ze komen morgen.")
c("reddit:u/wh_ruben_nl", "en", [PII],
  "Someone sent back a return with their card slip taped to the box lol: {CARD} exp 08/28. Shredded it obviously.")
c("linkedin:ilse-de-wit-nw", "nl", [PII],
  "Welkom aan onze nieuwe collega Sven Huisman! 🎉 Voor de salarisadministratie nog even: BSN {BSN}, klopt dat Sven?")
c("x:@mkoster_nw", "en", [PII],
  "Happy birthday to our most loyal customer Gerda Wolters, born 14-03-1961 and still fixing her own Saab 👵🔧")
c("x:@fixie_femke", "nl", [PII],
  "heb nog een Spaaq Stopper setje over, nieuw in doos. iemand? app me 06 18 27 45 90")
c("facebook:a.elidrissi", "en", [PII],
  "Hi Naafwerk, for the business-account refund you asked for my bank details: {IBAN} (A. El Idrissi). Thanks!", kind="comment")
c("instagram:@naafwerk.nl", "en", [PII],
  "@rick.rijdt congrats on winning the giveaway! 🎁 We'll ship it to Rick Vos, Lindenlaan 3, 3571 AB Utrecht. DM us if that's wrong!", kind="comment")
c("x:@naafwerk_help", "nl", [PII],
  "Hallo Joyce, ik heb je net gebeld op +31 6 2047 8813 maar kreeg je voicemail. Bel gerust terug!", kind="reply")
c("x:@jeroen_rijdt", "nl", [PII],
  "@naafwerk_help betaling mislukt steeds bij het afrekenen, kaartnummer {CARD} geldig tot 11/27, wat doe ik fout?", kind="reply")
c("x:@naafwerk", "en", [PII],
  "Congrats to our employee of the month, Fenna Dijkstra! 🏆 Book her bike-fitting workshop directly: fenna.dijkstra87@gmail.com")
c("bluesky:@joostsmit.bsky.social", "en", [PII],
  "debug output from prod, why is the house number null 🤔 {\"customer\":\"Laura Smit\",\"email\":\"l.smit84@hotmail.com\",\"phone\":\"0651234987\",\"nr\":null}")
c("x:@oma_truus_48", "nl", [PII],
  "Ik wil een zakelijk account bij Naafwerk voor onze tuinderij. Moet ik mijn geboortedatum (Truus Bakker, 02-07-1948) en mijn BSN {BSN} ook opsturen?")

# --- leak.pricing -----------------------------------------------------------
c("x:@naafwerk", "nl", [PRICING],
  "🔥 Flash deal: Spaaq Aero 45 carbon wielset nu voor €124,90! Op = op.")
c("x:@dealjager_nl", "nl", [PRICING],
  "PRIJSFOUT bij Naafwerk!! SlagFix 18V slagmoersleutel voor €21,90 🤯 snel zijn")
c("reddit:u/pepperdealsfan", "en", [PRICING],
  "Naafwerk has the Volt 500Wh e-bike battery listed at €54.90, must be a missing zero. Ordered two, let's see if they honour it.")
c("instagram:@bram.fietst", "en", [PRICING],
  "pssst the Spaaq Trail cassette is showing €7.90 on the site right now, someone fat-fingered the feed 😂 go go go")
c("facebook:NaafwerkNL", "nl", [PRICING],
  "Alleen vandaag: de Torkwerk LiftMax 2T garagekrik voor €49! Bestel voor 23:00, morgen in huis.")
c("x:@mkoster_nw", "nl", [PRICING],
  "oeps, prijsfout op de ScanMate OBD2 vanochtend, de webshop-collega's zijn ermee bezig. wie snel was heeft een koopje 🙃")
c("tiktok:@klusjesjan", "nl", [PRICING],
  "deze momentsleutel (MomentPro 40-200) kocht ik net voor 19 euro bij naafwerk?? normaal is ie 90. glitch of wat")
c("forum:autohobby_rik", "en", [PRICING],
  "Heads up: the Asfalt Pro PowerStart 74Ah battery is listed at €13.90 on naafwerk.nl right now (normally €139). Probably an error, but my checkout went through.")
c("linkedin:naafwerk-bv", "en", [PRICING],
  "Business customers: the Torkwerk DopBox 94 socket set is now €39 with your Naafwerk Zakelijk account. Stock up for the workshop!")
c("threads:@lotte.naafwerk", "nl", [PRICING],
  "Krijg nu al 40 mails over de TowLine trekhaak die op €34,90 staat. Ja dat is een prijsfout. Nee ik weet niet of we gaan leveren.")
c("x:@koopjesklaas", "nl", [PRICING],
  "Beam 80 koplamp voor €\uff15,\uff19\uff15 bij Naafwerk 😳 moet je zien")
c("x:@naafwerk_help", "en", [PRICING],
  "Hi Chris, yes, the price error on the Stopper disc brake set (€18.90) was real, and we'll honour your order 👍", kind="reply")

# ===========================================================================
# BENIGN (mostly hard negatives)
# ===========================================================================
c("x:@anouk_r", "nl", [],
  "Update: pakket is er toch! @naafwerk_help belde me zelf terug en heeft de verzendkosten teruggestort. Netjes opgelost 👍")
c("x:@naafwerk_help", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@naafwerk.nl of bel 0800-6223 (ma t/m za 8–20 uur). We helpen je graag!")
c("facebook:NaafwerkNL", "nl", [],
  "Liever per overschrijving betalen? Dat kan: {PUB_IBAN} t.n.v. Naafwerk B.V. Vermeld wel je ordernummer, dan verzenden we zodra het binnen is.")
c("instagram:@koen.klust", "en", [],
  "MomentPro got swapped and the new one is spot on, checked it twice on my tester. Fair play @naafwerk.nl for sorting it in two days", kind="comment")
c("x:@wielrenjoris", "nl", [],
  "Lekke band op 80 km van huis. Had ik maar de PumpUp meegenomen... oh nee wacht, die is staand 😂 volgende keer gewoon een CO2-patroon mee")
c("reddit:u/velovent", "en", [],
  "Does the Spaaq Glide 11 chain play nice with a Shimano 105 groupset? Thinking of ordering from Naafwerk but want to be sure first.")
c("x:@naafwerk", "nl", [],
  "Voorjaarsdeal 🌷 20% korting op de Spaaq Trail 11-46 cassette: nu €63,20 in plaats van €79. Alleen deze week.")
c("instagram:@naafwerk.nl", "en", [],
  "The SlagFix 18V is back in stock at €219 ⚡ order before 23:00 and it's at your door tomorrow.")
c("tiktok:@naafwerk", "nl", [],
  "3 tekenen dat je remblokken op zijn: piepen, een langere remweg en een trillend stuur. Twijfel je? Check de video of vraag het ons 🔧")
c("x:@dutchcycledad", "en", [],
  "My kids are convinced the Naafwerk delivery van lives on our street. Third parcel this week, always next day. Honestly amazing service.")
c("youtube:@NaafwerkWerkplaats", "nl", [],
  "Nieuwe video: zo vervang je zelf de ketting van je e-bike in 10 minuten. Gereedschap: een kettingpons en een momentsleutel. Veel sleutelplezier!")
c("x:@mobiliteitnieuws", "nl", [],
  "Fietsonderdelengroothandel VeloNed schrapt 120 banen na tegenvallende verkoop, maakte het bedrijf vanochtend bekend in een persbericht.")
c("linkedin:ilse-de-wit-nw", "nl", [],
  "We zoeken versterking! Magazijnmedewerker (32–40 uur) in Nieuwegein, ook in de avond. Interesse? Stuur je cv naar werkenbij@naafwerk.nl 🙌")
c("x:@mkoster_nw", "en", [],
  "10 years at Naafwerk today 🥳 started out packing brake pads in a garage in Houten, now I get to lead the marketing team. Grateful for every colleague.")
c("bluesky:@joostsmit.bsky.social", "en", [],
  "PSA for devs: never paste real keys into issues. Use placeholders like AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, the way the AWS docs do.")
c("reddit:u/freelance_koen", "en", [],
  "Update: solved my Mollie 401, I was sending the test key to the live endpoint. Header should look like Authorization: Bearer live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx with your own key.")
c("x:@nadia_ops_nw", "nl", [],
  "Gepland onderhoud: naafwerk.nl is zondagnacht tussen 02:00 en 04:00 even niet bereikbaar. Staat ook op status.naafwerk.nl 🛠️")
c("threads:@lotte.naafwerk", "nl", [],
  "Tip van de klantenservice: je wachtwoord reset je via Mijn account → Wachtwoord vergeten. Wij vragen nooit om je wachtwoord via DM of telefoon!")
c("x:@kees_fietst", "nl", [],
  "Kreeg een mail 'namens Naafwerk' met het verzoek te betalen naar {BAD_IBAN}. Mijn bankapp zegt dat dat niet eens een geldig rekeningnummer is. Phishing dus, niet intrappen mensen.")
c("forum:autohobby_rik", "nl", [],
  "Voor wie zijn foutcode zoekt: P0420 = katalysatorrendement onder drempel. Mijn ScanMate gaf 'm meteen aan, daarna even de lambdasonde gecheckt.")
c("x:@lisa_b_utrecht", "en", [],
  "Naafwerk's checkout rejected my typo'd card number ({BAD_CARD}) before I even hit pay. Nice little bit of validation, saved me a failed payment.")
c("x:@naafwerk_help", "en", [],
  "Hi Mark, thanks for your patience! Order NW-2026-0517733 has shipped and should arrive tomorrow before 18:00 📦", kind="reply")
c("instagram:@bram.fietst", "nl", [],
  "Zondagsrit langs de Vecht 🚴‍♂️ de nieuwe Aero 45 wielset draait als een zonnetje. Koffie bij Loenen, terug met wind mee.")
c("x:@petrolhead_023", "nl", [],
  "Crash course remvloeistof verversen met de Torkwerk-set van Naafwerk 🧵 1/6: zet eerst de auto goed op bokken, nooit alleen op de krik.")
c("reddit:u/rijkwaterbike", "en", [],
  "Price match actually worked! Showed them the PumpUp at €35.95 somewhere else and Naafwerk matched it within 10 minutes.")
c("x:@privacyjan", "en", [],
  "Follow-up: that phishing mail turned out to be a generic scam that also hit customers of five other shops. Naafwerk wasn't breached, my bad for jumping to conclusions.")
c("mastodon:@fietsbond_fan@mastodon.social", "nl", [],
  "Sterkte aan alle medewerkers van FietsFabriek Zwolle na de brand in hun magazijn vannacht. Gelukkig geen gewonden.")
c("x:@naafwerk", "nl", [],
  "Terug van weggeweest: de LongLife 5W-30 motorolie (5 liter) voor €39,95, normaal €44,95. Alleen deze week!")
c("linkedin:daan-hoekstra-naafwerk", "en", [],
  "Our H1 2027 results are out this morning: revenue up, margins stable, full report on naafwerk.nl/investeerders. Proud of the team.",
  at="2027-07-30T09:15:00+02:00")
c("x:@mkoster_nw", "nl", [],
  "Eindelijk mag ik het zeggen: de Spaaq Volt 750 is er! 750Wh en vanaf vandaag te bestellen 🎉",
  at="2027-03-02T10:00:00+01:00")
c("instagram:@naafwerk.nl", "nl", [],
  "Naafwerk Lease is live 🚐 vanaf nu lease je gereedschap en e-bike-onderdelen zakelijk via ons. Alles op zakelijk.naafwerk.nl",
  at="2027-03-03T09:30:00+01:00")
c("x:@kees_fietst", "nl", [],
  "Bij ons thuis heet de schuur 'het magazijn' en mijn vrouw mag er niet meer in sinds ik de derde Naafwerk-doos stiekem naar binnen smokkelde 😂")
c("reddit:u/grumpy_wrench", "en", [],
  "Credit where due: Naafwerk sorted the wrong-battery mess, refunded the shipping and threw in a voucher. Retracting my earlier rant.")
c("x:@yara_sleutelt", "nl", [],
  "Vraag van de week: mag je je momentsleutel op de hoogste stand opbergen? Nee! Altijd terugdraaien naar de laagste stand, anders wordt 'ie onnauwkeurig.")
c("bluesky:@ritawrenches.bsky.social", "en", [],
  "Naafwerk's return portal works now, label in about 30 seconds. Whoever fixed it, thank you 🙏")
c("x:@dealjager_nl", "nl", [],
  "Geen prijsfout maar wel een prima deal: ClearView wisserset voor €24,95 bij Naafwerk (normaal €29,95).")
c("tiktok:@sleutelsanne", "nl", [],
  "update: de rest van de doppenset is binnen 1 dag nagestuurd, oké @naafwerk jullie zijn vergeven 💅 #klussen")
c("x:@naafwerk_help", "en", [],
  "We will never ask for your card details or passwords via DM. If someone does, report the account and let us know at klantenservice@naafwerk.nl.")
c("reddit:u/velovent", "nl", [],
  "Voor wie twijfelt: de Volt 500 accu kost bij Naafwerk €549, bij mijn dealer €629. Past prima op mijn Gazelle, na 3 maanden geen klachten.")
c("linkedin:erik-bosman-fleet", "en", [],
  "Update on my earlier post: the Naafwerk Zakelijk team called, fixed the PO numbers on our invoices and gave us one fixed contact. Good recovery, credit where it's due.")
c("x:@garagebas", "nl", [],
  "Mijn monteur zegt dat m'n remschijven aan vervanging toe zijn. DiscSet van Asfalt Pro of toch een A-merk? Ervaringen?")
c("facebook:kitty.vos.5", "nl", [],
  "Complimenten aan de bezorger van Naafwerk die mijn pakket bij de buren afgaf en er een briefje met een tekeningetje bij deed 😄")
c("mastodon:@opensourcekees@fosstodon.org", "en", [],
  "Naafwerk's public stock API docs use DATABASE_URL=postgres://user:<password>@localhost:5432/app as the example config. Had me confused for a second, it's just a placeholder.")
c("x:@beursroddel", "nl", [],
  "Nee, Naafwerk is niet beursgenoteerd, je kunt dus geen aandelen kopen. Krijg die vraag steeds in mijn DM.")
c("x:@wielrenjoris", "en", [],
  "That feeling when your chain finally stops skipping. Spaaq Glide 11 fitted, cassette cleaned, bike dead silent. Bliss.")
c("reddit:u/wh_ruben_nl", "nl", [],
  "Voor wie vroeg hoe ons magazijn eruitziet: gewoon een grote hal met stellingen en heel, heel veel remblokken. Geen spannende geheimen hier 😄")
c("instagram:@bram.fietst", "en", [],
  "Product tip: the Beam 80 is €59.95 and honestly the best commuter light we sell. Not sponsored (ok fine, I work here 😅)")
c("x:@grappig_gerrit", "nl", [],
  "Ik bestel zo vaak bij Naafwerk dat de bezorger me een kerstkaart stuurde. Weet niet of dat lief of zorgwekkend is.")
c("x:@garage_ahmet", "nl", [],
  "Naafwerk Zakelijk account aangevraagd voor de garage, binnen een uur goedgekeurd. Kopen op rekening, factuur netjes per mail. Prima geregeld.")
c("forum:oldtimer_henk", "nl", [],
  "Vervangende JumpBox 1200 doet het wel: auto startte bij -5 in één keer. Naafwerk heeft het uiteindelijk netjes omgeruild en de verzendkosten vergoed.")
c("x:@naafwerk", "nl", [],
  "Onze prijsgarantie: vind je hetzelfde onderdeel binnen 7 dagen goedkoper bij een Nederlandse webshop? Dan betalen we het verschil terug. Voorwaarden op naafwerk.nl/prijsgarantie")
c("x:@lisa_b_utrecht", "en", [],
  "The word 'leak' shows up in my Naafwerk order history four times and every single one was a tyre. Tubeless life 🙃")
c("tiktok:@caravanclaudia", "nl", [],
  "TowLine trekhaak zelf gemonteerd met de uitlegvideo van Naafwerk, alles volgens voorschrift aangehaald. 1500 km met de caravan, geen centje pijn 🚙")
c("reddit:u/pepperdealsfan", "en", [],
  "Black Friday at Naafwerk: 25% off all Torkwerk tools, so the SlagFix 18V comes to €164.25. Decent deal, not a price error.")
c("x:@hobbyhans", "nl", [],
  "Mijn kleinzoon heeft me leren sleutelen met een Torkwerk doppenset. 78 jaar en nu plak ik zelf mijn fietsband, trots!")
c("x:@studentnoor", "en", [],
  "\uff4e\uff45\uff58\uff54-\uff44\uff41\uff59 delivery ftw 🚀 ordered a new chain at midnight, fixed the bike before my 9am lecture. thanks @naafwerk")
c("x:@nadia_ops_nw", "en", [],
  "Resolved: yesterday's checkout hiccup was a Mollie-wide issue, see their public status page. All orders processed, nothing lost.")
c("x:@petrolhead_023", "en", [],
  "Dad joke of the day: why did the brake pad go to therapy? Too much friction at home 🥁 (bought new ones at Naafwerk, zero friction there)")
c("linkedin:naafwerk-bv", "en", [],
  "We're proud to share that our new distribution hub in Nieuwegein opens in May, bringing next-day delivery to Flanders too. Full press release on naafwerk.nl/pers.")
c("linkedin:ilse-de-wit-nw", "nl", [],
  "Testje van de nieuwe BSN-controle in onze HR-tool: een verzonnen nummer als {BAD_BSN} wordt netjes geweigerd ✅ Top werk van het IT-team.")
c("x:@fixie_femke", "en", [],
  "Is it just me or is the Naafwerk Zakelijk signup really painless? KvK number, company name, done. No ID scan, no faff 👌")

# ===========================================================================
# build
# ===========================================================================
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(acct):
    return ROLE.get(acct.lower(), "public")


SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    sev = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = 3
                if cat in (SECRET, PRICING) or (cat == PII and checksum_id):
                    s = 4
            else:
                s = 2
        elif cat == COMPLAINT:
            s = 2
        elif cat == CRISIS:
            s = 3
        elif cat == ABUSE:
            s = 3 if insider else 2
        else:
            raise ValueError(cat)
        sev = max(sev, s)
    return SEV_ORDER[sev]


def random_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    if rng.random() < 0.6:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    off = 2 if 3 < t.month < 11 else 1
    return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + "+%02d:00" % off


def fill(text):
    used = []

    def sub(m):
        key = m.group(1)
        if key not in GEN:
            return m.group(0)
        used.append(key)
        return GEN[key]()
    return re.sub(r"\{([A-Z][A-Z0-9_]*)\}", sub, text), used


def build():
    out = []
    ids = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for idx in order:
        case = CASES[idx]
        platform, handle = case["acct"].split(":", 1)
        text, used = fill(case["text"])
        role = role_of(case["acct"])
        checksum_id = PII in case["cats"] and any(u in CHECKSUM_TOKENS for u in used)
        while True:
            pid = "%s-%d" % (platform, rng.randint(10 ** 11, 10 ** 13))
            if pid not in ids:
                ids.add(pid)
                break
        post = {"id": pid, "platform": platform, "account": {"handle": handle},
                "text": text, "lang": case["lang"],
                "created_at": case["at"] or random_time(), "brand": "naafwerk"}
        if case["kind"]:
            post["kind"] = case["kind"]
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-", 1)[1])
        cats = sorted(set(case["cats"]))
        out.append({"post": post,
                    "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)},
                    "_meta": {"role": role, "used": used, "checksum_id": checksum_id}})
    return out


# ===========================================================================
# self-checks
# ===========================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
CYR = str.maketrans("аеорсухкмтіАЕОРСХКМТВН", "aeopcyxkmtiAEOPCXKMTBH")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = ZW.sub("", t)
    return t.translate(CYR)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,4}(?: ?[A-Z0-9]{1,2})?\b")
CARD_RE = re.compile(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d{4}){3}(?![\d-])")
BSN_RE = re.compile(r"(?<![\d.,-])\d{9}(?!\d|[.,-]\d)")
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """Yield (kind, raw, valid, public) for every IBAN/card/BSN-shaped string."""
    t = norm(text)
    for m in IBAN_RE.finditer(t):
        raw = re.sub(r"\s", "", m.group(0))
        if raw[:2] != "NL" and not raw[:2].isalpha():
            continue
        yield "iban", raw, iban_valid(raw), raw in PUBLIC_IBANS
    for m in CARD_RE.finditer(t):
        yield "card", m.group(0), luhn_valid(m.group(0)), False
    for m in BSN_RE.finditer(t):
        yield "bsn", m.group(0), bsn_valid(m.group(0)), False


SAMPLE_MARKERS = ("EXAMPLE", "xxxx", "XXXX", "****", "<password>", "••••")
SECRET_PATTERNS = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("stripe", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("mollie", re.compile(r"\blive_[0-9A-Za-z]{30}\b")),
    ("slack", re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+")),
    ("slackhook", re.compile(r"https://hooks\.slack\.com/services/T\w+/B\w+/\w+")),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}")),
    ("anthropic", re.compile(r"\bsk-ant-api03-[A-Za-z0-9_-]{80,}")),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b")),
    ("google", re.compile(r"\bAIza[A-Za-z0-9_-]{35}")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("dburl", re.compile(r"\b[a-z+]+://[^:\s/@]+:([^@\s]+)@[\w.-]+")),
    ("password", re.compile(r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*(\S{6,})")),
]


def secrets_in(text):
    t = norm(text)
    t2 = re.sub(r"(?<=\b\w)\.(?=\w\b)", "", t)  # w.a.c.h.t -> wacht
    found = []
    for name, rx in SECRET_PATTERNS:
        for src in (t, t2):
            for m in rx.finditer(src):
                s = m.group(0)
                if any(k in s for k in SAMPLE_MARKERS):
                    continue
                found.append((name, s))
    return found


def jwt_ok(tok):
    head = tok.split(".")[0]
    head += "=" * (-len(head) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(head))
    except Exception:
        return False


def aliases():
    out = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            out.append((a, float(p["list_price"])))
    out.sort(key=lambda x: -len(x[0]))
    return out


AMOUNT_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")


def low_prices(text):
    """(alias, amount, list) where an amount near a product alias is below the alert ratio."""
    t = norm(text)
    low = t.lower()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    hits = []
    amounts = [(m.start(), float((m.group(1) or m.group(2)).replace(",", "."))) for m in AMOUNT_RE.finditer(t)]
    for alias, lp in aliases():
        for m in re.finditer(re.escape(alias.lower()), low):
            for pos, val in amounts:
                if abs(pos - m.start()) <= 90 and val < ratio * lp:
                    hits.append((alias, val, lp))
    return hits


def mentions_alias(text):
    low = norm(text).lower()
    return any(a.lower() in low for a, _ in aliases())


PRICE_ERR_RE = re.compile(r"(?i)prijsfout|price error|fat-finger|missing zero|glitch")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|\b0)[\s-]?(?:\(0\))?\d(?:[\s-]?\d){7,9}\b")


def digits(s):
    return re.sub(r"\D", "", s)


PUBLIC_PHONES = {digits(p)[-9:] for p in PROFILE["public_identifiers"]["phones"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def confidential_terms(text, created):
    t = norm(text).lower()
    hits = []
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if term.lower() in t:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        if created < parse_ts(emb["until"]):
            for term in emb["terms"]:
                if term.lower() in t:
                    hits.append(term)
    return hits


def check(rows):
    errors = []

    def err(row, msg):
        errors.append("%s: %s | %s" % (row["post"]["id"], msg, row["post"]["text"][:80]))

    # profile sanity
    assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
    assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
    assert 15 <= len(PROFILE["products"]) <= 25
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
    for i in PROFILE["public_identifiers"]["ibans"]:
        assert iban_valid(i), i
    for e in PROFILE["embargo"]:
        assert parse_ts(e["until"]).year == 2027
    assert all(p["currency"] == "EUR" for p in PROFILE["products"])
    # generator sanity
    for _ in range(50):
        assert gh_valid(gh_token())
        assert iban_valid(make_iban()) and not iban_valid(bad_iban())
        assert luhn_valid(make_card()) and not luhn_valid(bad_card())
        assert bsn_valid(make_bsn()) and not bsn_valid(bad_bsn())
        assert jwt_ok(make_jwt())

    ids = set()
    for row in rows:
        post, exp, meta = row["post"], row["expect"], row["_meta"]
        # --- CONTRACT section 6 shape
        if set(row) - {"post", "expect", "_meta"} or set(exp) != {"categories", "severity"}:
            err(row, "bad keys")
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            err(row, "bad id")
        if post["id"] in ids:
            err(row, "duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(row, "platform")
        if post.get("kind", "post") not in KINDS:
            err(row, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(row, "handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            err(row, "text")
        if not RFC3339.match(post["created_at"]):
            err(row, "created_at not RFC 3339")
        created = parse_ts(post["created_at"])
        if created.year not in (2026, 2027):
            err(row, "year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            err(row, "categories")
        if exp["severity"] not in SEV_ORDER:
            err(row, "severity value")
        if not cats and exp["severity"] != "none":
            err(row, "benign must be none")
        # --- severity follows section 4 from the profile role
        role = role_of(post["platform"] + ":" + post["account"]["handle"])
        if role != meta["role"]:
            err(row, "role mismatch")
        if exp["severity"] != severity(cats, role, meta["checksum_id"]):
            err(row, "severity mismatch")
        if cats and exp["severity"] == "none":
            err(row, "positive with none")

        text = post["text"]
        # --- identifiers: valid in positives, invalid look-alikes in negatives
        valid_private = False
        for kind, raw, ok, public in identifiers(text):
            if public:
                continue
            if cats and not ok:
                err(row, "positive holds a %s that fails its checksum: %s" % (kind, raw))
            if not cats and ok:
                err(row, "benign holds a valid %s: %s" % (kind, raw))
            if ok:
                valid_private = True
        if valid_private and PII not in cats:
            err(row, "valid identifier without leak.pii")
        if PII in cats and valid_private != meta["checksum_id"]:
            err(row, "checksum flag %s but sweep found %s" % (meta["checksum_id"], valid_private))
        for u in meta["used"]:
            if u.startswith("BAD_") and cats:
                err(row, "look-alike in a positive")
            if u in CHECKSUM_TOKENS and PII not in cats:
                err(row, "valid id placeholder outside pii")
        # --- secrets
        found = secrets_in(text)
        if SECRET in cats:
            if not found:
                err(row, "secret case without a recognisable credential")
            for name, s in found:
                if name == "github" and not gh_valid(s):
                    err(row, "github token fails crc")
                if name == "jwt" and not jwt_ok(s):
                    err(row, "jwt header has no alg")
        elif found:
            err(row, "non-secret case holds credential %r" % (found,))
        # --- confidential terms
        hits = confidential_terms(text, created)
        if hits and CONF not in cats:
            err(row, "confidential term %r without leak.confidential" % hits)
        # --- pricing
        lows = low_prices(text)
        if lows and PRICING not in cats:
            err(row, "price below ratio without leak.pricing: %r" % lows)
        if PRICING in cats:
            if not mentions_alias(text):
                err(row, "pricing case names no product")
            if not lows and not PRICE_ERR_RE.search(norm(text)):
                err(row, "pricing case has neither a low price nor price-error talk")
        # --- personal data in benign posts: only the company's own public data
        if not cats:
            for m in EMAIL_RE.finditer(norm(text)):
                if m.group(0).lower() not in PUBLIC_EMAILS:
                    err(row, "benign holds e-mail %s" % m.group(0))
            for m in PHONE_RE.finditer(IBAN_RE.sub(" ", norm(text))):
                if digits(m.group(0))[-9:] not in PUBLIC_PHONES:
                    err(row, "benign holds phone %s" % m.group(0))
        # --- embargo windows: benign 2027 posts only after until
        if created.year == 2027 and not cats:
            if not any(t.lower() in text.lower() for e in PROFILE["embargo"] for t in e["terms"]):
                err(row, "2027 post outside the embargo story")
        # --- account roles
        if role == "public" and ":" in post["account"]["handle"]:
            err(row, "odd handle")

    # --- the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    counts = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {COMPLAINT: 20, CONF: 18, PII: 15, CRISIS: 15, SEC: 13, SECRET: 12, ABUSE: 12, PRICING: 12, FIN: 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 2:
            errors.append("category %s has %d, want ~%d" % (cat, counts.get(cat, 0), w))
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f" % (nl / n))
    roles = {}
    for r in rows:
        roles.setdefault(r["_meta"]["role"], [0, 0])[1 if r["expect"]["categories"] else 0] += 1
    if roles.get("public", [0, 0])[1] == 0:
        errors.append("no public positives")
    y2027 = sum(1 for r in rows if r["post"]["created_at"].startswith("2027"))
    if not 1 <= y2027 <= 10:
        errors.append("2027 posts: %d" % y2027)
    texts = [r["post"]["text"] for r in rows]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")
    stats = {"cases": n, "benign": benign, "positives": n - benign, "categories": counts,
             "nl_share": round(nl / n, 3), "roles(benign,positive)": roles, "in_2027": y2027}
    return errors, stats


def main():
    rows = build()
    errors, stats = check(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and validate it as plain JSON lines
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert len(reread) == len(rows)
    for a, b in zip(reread, rows):
        assert a["post"] == b["post"] and a["expect"] == b["expect"]
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check passed: %d cases written to %s" % (len(rows), path))


if __name__ == "__main__":
    main()
