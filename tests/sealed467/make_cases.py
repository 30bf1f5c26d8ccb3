#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed467 (Stratelle Aviation, private jet charter).

Deterministic: fixed seed, standard library + PyYAML. Hand-written post texts; identifiers
and credentials are generated here the way the real ones are built (with their checksums).
Severities are computed from CONTRACT section 4 and the account role in profile.yaml,
never typed by hand. The script self-checks its output and exits non-zero on any problem.
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
SEED = 467
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "DE": 22, "BE": 16, "FR": 27, "GB": 22}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(digits):
    d = [int(x) for x in re.sub(r"\D", "", digits)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_make(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    tot = sum(int(a) * b for a, b in zip(d, w))
    return tot % 11 == 0 and tot != 0


def bsn_make():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


def bsn_bad():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(d):
            return d


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# --------------------------------------------------------------------------- credentials
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "crew-" + rand(string.digits, 5), "role": "dispatcher",
                              "iss": "crew-api", "iat": 1767225600 + rng.randint(0, 9_000_000),
                              "exp": 1798761600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def pem_make():
    raw = b"\x30\x82\x04\xa3\x02\x01\x00\x02\x82\x01\x01\x00" + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password():
    words = ["Vlieg", "Cessna", "Tarmac", "Hangaar", "Citation", "Rwy24", "Sion", "Nice"]
    return rng.choice(words) + rand(string.digits, 3) + rng.choice("!*$") + rand(string.ascii_lowercase, 2) + rand(string.ascii_uppercase, 1)


AWS_ALPHA = string.ascii_uppercase + "234567"

V = {}
V["COMPANY_IBAN"] = PROFILE["public_identifiers"]["ibans"][0]
V["IBAN_NL1"] = group4(iban_make("NL", "INGB" + rand(string.digits, 10)))
V["IBAN_DE"] = group4(iban_make("DE", rand(string.digits, 18)))
V["CARD_VISA"] = group4(luhn_make("4", 16))
V["CARD_MC"] = luhn_make("5" + str(rng.randint(1, 5)), 16)
_amex = luhn_make(rng.choice(["34", "37"]), 15)
V["CARD_AMEX"] = _amex[:4] + " " + _amex[4:10] + " " + _amex[10:]
V["BSN1"] = bsn_make()


def bad_iban():
    good = iban_make("NL", "ABNA" + rand(string.digits, 10))
    i = rng.randint(8, 17)
    bad = good[:i] + str((int(good[i]) + rng.randint(1, 8)) % 10) + good[i + 1:]
    assert not iban_ok(bad)
    return bad


def bad_card():
    while True:
        d = "4" + rand(string.digits, 15)
        if not luhn_ok(d):
            return group4(d)


V["BAD_IBAN"] = group4(bad_iban())
V["BAD_IBAN2"] = bad_iban()
V["BAD_CARD"] = bad_card()
V["BAD_BSN"] = bsn_bad()

V["AKIA"] = "AKIA" + rand(AWS_ALPHA, 16)
V["AWSSECRET"] = rand(ALNUM + "/+", 40)
V["GHP"] = github_token("ghp_")
V["SK_LIVE"] = "sk_live_" + rand(ALNUM, 24)
V["XOXB"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rand(ALNUM + "_-", 64) + "T3BlbkFJ" + rand(ALNUM + "_-", 64)
V["AIZA"] = "AIza" + rand(ALNUM + "_-", 35)
V["SENDGRID"] = "SG." + rand(ALNUM + "_-", 22) + "." + rand(ALNUM + "_-", 43)
V["JWT"] = jwt_make()
V["PEM"] = pem_make()
V["PW_DB"] = password()
V["PW2"] = password()
V["PW3"] = password()
V["PW4"] = password()
V["GLPAT"] = "glpat-" + rand(ALNUM + "_-", 20)


# --------------------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"A": "\u0410", "E": "\u0415", "O": "\u041e", "T": "\u0422", "a": "\u0430", "e": "\u0435", "o": "\u043e"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------- cases
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}

CASES = []


def c(author, lang, cats, text, kind="post", ts=None, price=None, ids=(), secrets=(), neg_ids=()):
    CASES.append(dict(author=author, lang=lang, cats=[CAT[x] for x in cats], text=text, kind=kind,
                      ts=ts, price=price, ids=list(ids), secrets=list(secrets), neg_ids=list(neg_ids)))


# ---- complaints (public customers)
c("x:@marloes_vt", "nl", ["complaint"],
  "@stratelle_care 3 uur wachten op Rotterdam Airport omdat 'het toestel nog gepositioneerd moest worden'. "
  "Dat had ik om 7u al kunnen horen ipv om 10u. Beetje jammer voor 14k 😑", kind="reply")
c("x:@gregfromguernsey", "en", ["complaint"],
  "Booked a midsize with @stratelle_jets, got swapped last minute to a light jet with no proper lav for a 2h40 flight. "
  "No apology, no partial refund. Not how you treat a client.")
c("facebook:anouk.verheijen", "nl", ["complaint"],
  "Onze refund voor de geannuleerde Ski Shuttle staat nu al 9 weken open. Elke keer een ander 'casenummer' en "
  "niemand belt terug. Hoe lang nog Stratelle??", ts="2026-02-21T16:40:00Z")
c("reddit:u/tailwheel_tom", "en", ["complaint"],
  "PSA for anyone considering a Stratelle JetCard: the 'guaranteed availability' has blackout days they don't "
  "mention until you actually try to book. Got told no aircraft for Easter Monday with 48h notice. Pretty "
  "disappointed tbh", kind="comment")
c("instagram:@sophie.jetset", "nl", ["complaint"],
  "Signature catering besteld, kregen droge wraps en lauwe champagne. Voor €1150 verwacht je wel íets meer 🙃 "
  "@stratelle.aviation", kind="comment", price=("STR-CAT", 1150))
c("x:@hansdewitnl", "nl", ["complaint"],
  "Hond mee geboekt met Paws on Board, op de dag zelf: 'helaas, eigenaar van het toestel staat geen dieren toe'. "
  "Moest m'n hond last minute bij de buren droppen. Top service @stratelle_care 👎")
c("forum:jetlag_jules", "en", ["complaint"],
  "Hidden fees alert. Stratelle added a €2,300 'repositioning surcharge' to our invoice AFTER the flight. It was "
  "nowhere in the quote. Still going back and forth with their billing dept, 3 weeks now.")
c("tiktok:@raoul.reist", "nl", ["complaint"],
  "pov: je betaalt voor een privéjet en je koffer staat nog op Eindhoven terwijl jij in Nice landt 🫠 bedankt "
  "stratelle #privejet #fail")
c("x:@wvanrijn", "nl", ["complaint"],
  "Wifi aan boord 'inbegrepen'. Deed het geen seconde op de hele vlucht naar Londen. Had nog een deal te sluiten "
  "ook, dus dank je wel Stratelle.")
c("linkedin:marco-bosch-advies", "nl", ["complaint"],
  "Al 3 jaar zakelijk klant bij Stratelle Aviation maar de laatste maanden gaat het echt achteruit: "
  "vertragingen, een crew die de slotregels op Londen City niet kende, offertes die pas na 4 dagen komen. Zonde, "
  "want het was ooit top.")
c("x:@fam_jongbloed", "nl", ["complaint"],
  "Trouwvlucht geboekt voor ons 40-jarig jubileum. Bloemen vergeten, en de fotograaf mocht ineens niet mee "
  "'vanwege gewicht' terwijl dat vooraf zwart op wit was afgesproken. Heel teleurstellend @stratelle_jets", ts="2026-04-03T20:11:18Z")
c("x:@ton_h", "nl", ["complaint"],
  "Vlucht om 9u. Om 8:40 een appje 'crew staat in de file'. Vertrokken om 11:15, afspraak in Zürich gemist. "
  "Bedankt hoor Stratelle", ts="2026-02-13T11:32:05Z")
# complaint + abuse
c("x:@boze_bert", "nl", ["complaint", "abuse"],
  "Vlucht 2x verzet door jullie en nu ook nog €800 'administratiekosten'. Stelletje oplichters en zakkenvullers "
  "bij @stratelle_care, schaam je kapot", ts="2026-03-06T18:20:09Z")
c("x:@dkrause_", "en", ["complaint", "abuse"],
  "@stratelle_care your 'customer care' team are useless f*cking clowns. 4 emails, zero answers, and the flight "
  "gets cancelled the night before.", kind="reply")
# complaint + pii (customer exposing own data)
c("x:@ellen_rotterdam", "nl", ["complaint", "pii"],
  "@stratelle_care jullie bellen maar niet terug over mijn geannuleerde vlucht. Bel me dan zelf op 06-48213377, "
  "ik zit de hele dag te wachten", kind="reply", ts="2026-05-19T09:41:27Z")
c("x:@tobias_kern", "en", ["complaint", "pii"],
  "@stratelle_care refund still not here. For the 5th time, the account is {IBAN_DE}, T. Kern. Can't be that "
  "hard", kind="reply", ids=[("iban", "IBAN_DE")])
# first-hand safety incidents: crisis + complaint
c("x:@jdaltonfly", "en", ["crisis", "complaint"],
  "Flew Stratelle AMS→Geneva yesterday. Hard landing, the galley trolley wasn't latched and slammed into my wife's "
  "knee. 6 stitches. Crew barely reacted. Unacceptable.")
c("facebook:karin.meulendijk", "nl", ["crisis", "complaint"],
  "Na de Signature catering op onze vlucht naar Ibiza zijn we met z'n vieren doodziek geworden. "
  "Voedselvergiftiging, mijn zoon heeft een nacht in het ziekenhuis gelegen. Stratelle reageert niet eens op "
  "mijn mails.")
c("x:@pbuitenhuis", "nl", ["crisis", "complaint"],
  "Rook in de cabine vlak na het opstijgen vanaf Lelystad. Terug naar de grond en niemand die uitlegt wat er aan "
  "de hand was. Ik heb nog steeds hoofdpijn en m'n dochter moest overgeven van die lucht. Nooit meer "
  "@stratelle_jets")
c("instagram:@luca.moretti.av", "en", ["crisis", "complaint"],
  "Our Stratelle heli transfer in Monaco: the side door popped open on approach. OPEN. My friend's phone fell "
  "out and honestly it could have been her. Terrifying, and nobody from the company has called us since.")

# ---- crisis (third party, news, boycott, lawsuit, breach)
c("x:@luchtvaartflits", "nl", ["crisis"],
  "BREAKING: privéjet van Stratelle Aviation schiet van de baan bij landing op Maastricht Aachen Airport. Vier "
  "inzittenden lichtgewond, baan tijdelijk dicht. #MST")
c("x:@climate_now_ams", "en", ["crisis"],
  "Stratelle flies empty jets around Europe 40% of the time just to reposition. Boycott @stratelle_jets. Don't "
  "book them, don't work for them, don't sponsor their events. #BoycottStratelle #flygskam")
c("x:@xr_utrecht_blok", "nl", ["crisis"],
  "Zaterdag blokkeren we de hangaar van Stratelle op Schiphol-Oost. Privéjets voor de superrijken terwijl de "
  "planeet brandt. Kom allemaal, neem je buren mee! #StopPrivejets #BoycotStratelle")
c("x:@mr_vdlinde_adv", "nl", ["crisis"],
  "Namens 23 gedupeerde JetCard-houders hebben wij vandaag een dagvaarding uitgebracht tegen Stratelle Aviation "
  "B.V. wegens het stelselmatig niet nakomen van de beschikbaarheidsgarantie.")
c("x:@aviation_watchdog", "en", ["crisis"],
  "Sources: Dutch ILT has grounded two Stratelle Citation jets after finding falsified maintenance records. "
  "Company hasn't commented yet.")
c("x:@roddelpraat_nl", "nl", ["crisis"],
  "Schandaal 👀 Stratelle-jet vloog vorige maand een gesanctioneerde Russische zakenman naar Dubai, blijkt uit "
  "openbare vluchtdata. Wie controleert die lui eigenlijk?")
c("forum:vliegforum_piet", "nl", ["crisis"],
  "Iemand meer info over die Stratelle Phenom die gisteren een noodlanding maakte op Groningen? Zag 'm op "
  "flightradar 7700 squawken, brandweer stond klaar op de baan.")
c("youtube:@AeroDramaChannel", "en", ["crisis"],
  "NEW VIDEO: The Stratelle carbon-offset scam. How a 'climate neutral' jet charter sold worthless offsets to "
  "2,000 customers. Full investigation 👇")
c("x:@privacy_waakhond", "nl", ["crisis"],
  "Stratelle Aviation heeft maandenlang e-mailadressen en paspoortnummers van klanten onbeveiligd online gehad. "
  "Melding bij de AP gedaan? Nooit iets van gehoord. #datalek")
c("x:@jetnieuws_eu", "en", ["crisis"],
  "Stratelle Aviation is recalling all carriers from its 'Paws on Board' service after reports of latches "
  "failing mid-flight. Owners are asked to stop using them immediately.")

# ---- abuse
c("x:@jetjes_haters", "nl", ["abuse"],
  "Stratelle is een kutbedrijf vol arrogante klootzakken. Hoop dat jullie failliet gaan")
c("x:@v1i3gsch44mte", "nl", ["abuse"],
  "St4t3ll3 is 1 gr0t3 k4nk3rz00i en j3 p1l0t3n z1jn 1d10t3n 🤡")
c("x:@truthteller_1776", "en", ["abuse"],
  "Saw Stratelle hired a female captain from Suriname. No thanks, I want a real pilot flying me, not a "
  "diversity hire.")
c("instagram:@dennis_bakkie", "nl", ["abuse"],
  "@mirthe.inflight jij bent echt de lelijkste stewardess die ik ooit heb gezien, ga lekker terug naar de keuken",
  kind="comment")
c("x:@grumpyflyer", "en", ["abuse"],
  "s.c.u.m.b.a.g.s at Stratelle. every last one of them.")
c("x:@joostdispatch", "nl", ["abuse"],
  "@boze_bert hou toch je bek man, je hebt je vlucht zelf drie keer verzet, sukkel", kind="reply",
  ts="2026-03-06T21:47:33Z")
c("threads:@noor.charters", "en", ["abuse"],
  "some clients are just entitled idiots who think a jet card buys them a personal servant. looking at you, "
  "tuesday guy 🙄")
c("tiktok:@lisa.x.kritiek", "nl", ["abuse"],
  "die daan van stratelle sales is echt de grootste slijmbal van nederland 🤮 #stratelle", kind="comment")
c("x:@banter_bob", "en", ["abuse"],
  cyr("Stratelle staff are braindead morons, the lot of them", "aeo"))
c("x:@woedende_wendy", "nl", ["abuse"],
  "Die grondstewardess van Stratelle op Rotterdam is een hautaine trut. Hoop dat ze ontslagen wordt.")

# ---- confidential
c("x:@lotte_ops", "nl", ["confidential"],
  "Zo, eerste sessie Operatie Zilvermeeuw gehad vandaag. Kan er nog niks over zeggen, maar wauw 😎")
c("linkedin:daan-kuipers-stratelle", "en", ["confidential"],
  "Proud of the team working on Project Albatross. Can't say much yet, but our long-range clients are going to "
  "love what's coming in spring.")
c("x:@joostdispatch", "nl", ["confidential"],
  "weet iemand waarom flightdesk.stratelle.internal zo traag is vandaag? krijg m'n crewplanning niet geladen")
c("mastodon:@bas_devops", "en", ["confidential"],
  "Migrated the whole ops.stratelle.local cluster to k8s this weekend, zero downtime. writeup maybe later if "
  "legal lets me 😅")
c("instagram:@mirthe.inflight", "nl", ["confidential"],
  "Eerste blik op de nieuwe cabine van de Stratelle Horizon 😍 mag eigenlijk nog niks laten zien maar kon het "
  "niet laten #crewlife", ts="2026-10-14T18:22:05Z")
c("x:@capt_rvdmeer", "en", ["confidential"],
  "Sim session today for Horizon Longrange. The range is going to surprise a lot of people 👀",
  ts="2026-11-03T15:47:31Z")
c("linkedin:stratelle-aviation", "nl", ["confidential"],
  "Presentatie teamdag (STR-CONF): Q1-roadmap met Cirrus Nine pilotfase, uitrol nieuwe crew-app en herziening "
  "van de JetCard-voorwaarden. Dank aan iedereen voor de input!")
c("threads:@noor.charters", "en", ["confidential"],
  "not supposed to share but the deck literally says STRATELLE INTERNAL ONLY and it's the best sales plan I've "
  "seen in years lol")
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["confidential"],
  "screenshot van de nieuwe bonusregeling rondgestuurd, staat wel '" + cyr("STRATELLE INTERNAL ONLY", "TAEO")
  + "' op maar boeie, iedereen moet dit zien")
c("x:@lotte_ops", "nl", ["confidential"],
  "mag niks zeggen over O p e r a t i e   Z i l v e r m e e u w maar laten we zeggen dat Eindhoven het drukker "
  "gaat krijgen 😉")
c("x:@capt_rvdmeer", "en", ["confidential"],
  "Project Al" + ZW + "ba" + ZW + "tross test flight went great this morning ✈️ can't post pics yet")
c("reddit:u/charterbroker_eu", "en", ["confidential"],
  "friend at Stratelle sent me jira.stratelle.nl/browse/OPS-4471, it's the whole rollout plan for their JetCard "
  "Unlimited. wild stuff", kind="comment", ts="2026-09-08T21:10:44Z")
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["confidential"],
  "Mail van finance met 'vertrouwelijk - niet doorsturen' erboven, dus ik stuur hem netjes niet door 😇 maar "
  "Cirrus Nine gaat echt alles veranderen")
c("facebook:StratelleJets", "nl", ["confidential"],
  "Link voor de crew: https://git.stratelle.local/ops/rooster-2026 (niet buiten het team delen aub)")
# confidential + financial (embargoed results before the embargo ends)
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["confidential", "financial"],
  "Jaarcijfers 2026 zijn binnen: omzet €214 mln, +31%. Eerste keer winst sinds de oprichting 🥂 (nog even "
  "stilhouden tot maart)", ts="2027-02-10T08:12:40Z")
c("linkedin:daan-kuipers-stratelle", "en", ["confidential", "financial"],
  "Sneak peek at our FY2026 results: best year ever for the charter division, EBITDA margin into double digits "
  "for the first time. More soon!", ts="2027-02-25T17:40:02Z")
c("x:@beursgerucht_nl", "nl", ["confidential", "financial"],
  "Hoor uit goede bron dat de jaarresultaten 2026 van Stratelle flink tegenvallen, verlies van ruim 12 miljoen. "
  "Publicatie pas volgende week.", ts="2027-03-01T20:05:13Z")
# confidential + security
c("mastodon:@bas_devops", "en", ["confidential", "security"],
  "vpn.stratelle.nl has been down since 04:00, whole ops team locked out, pilots getting briefed by phone. not "
  "announced yet so pls keep it quiet lol")

# ---- financial
c("linkedin:daan-kuipers-stratelle", "nl", ["financial"],
  "Kan nog niks officieel zeggen, maar de overname van Aurex Executive door Stratelle is zo goed als rond. Per "
  "1 januari een twee keer zo grote vloot 🚀")
c("x:@capt_rvdmeer", "en", ["financial"],
  "Word in the crew room: 60 pilot jobs cut at the Eindhoven base by summer. Management hasn't told anyone "
  "officially yet.")
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["financial"],
  "Forecast Q3 net bijgesteld: die 48 mln omzet halen we niet, eerder 39. Sfeer op de afdeling is om te snijden 😬")
c("threads:@noor.charters", "en", ["financial"],
  "Q2 bookings down 22% vs last year, numbers go to the board tomorrow. brace yourselves")
c("x:@lotte_ops", "nl", ["financial"],
  "Reorganisatie komt eraan: ops Rotterdam gaat dicht en alles gaat naar Schiphol-Oost. Zo'n 35 mensen moeten "
  "verhuizen of vertrekken. Is nog niet aangekondigd dus ssst")
c("x:@joostdispatch", "en", ["financial"],
  "lol the CFO just told the all-hands we'll lose money again next year, fuel hedge went south. -9M expected. "
  "who wants to buy my shares 😂")
c("mastodon:@bas_devops", "nl", ["financial"],
  "Ons team van 12 devs wordt volgende maand 'geoutsourced' naar Polen. Hoorde het vandaag van m'n manager, "
  "de rest van het bedrijf weet nog van niks 🙃")
c("reddit:u/ex_stratelle_fo", "en", ["financial"],
  "ex-employee here: they're planning to shut down the whole Brussels operation in Q1, the hangar lease isn't "
  "being renewed. staff don't know yet.", kind="comment")
c("reddit:u/koen_mx", "en", ["financial"],
  "maintenance dept is being sold off to an MRO company in Q3. deal signed yesterday, union hasn't even been "
  "informed", kind="comment")

# ---- security
c("linkedin:priya-raghunath", "en", ["security"],
  "Long night. Ransomware hit our crew scheduling servers around 2am. We've isolated it but half of fleet "
  "planning is offline. A statement will follow later today, I'm told.")
c("mastodon:@bas_devops", "nl", ["security"],
  "Ontdekt dat je in het boekingsportaal andermans paspoortgegevens kunt zien door het boekingsnummer in de URL "
  "met 1 op te hogen. Ticket staat al 3 weken open, niemand pakt het op 🙄")
c("x:@joostdispatch", "en", ["security"],
  "our flight planning system has been dead for 5 hours, we're filing plans by hand and nobody outside knows. "
  "fun tuesday")
c("x:@lotte_ops", "nl", ["security"],
  "Iemand heeft vannacht met de inlog van een oud-collega in ons planningssysteem gezeten. IT zegt 'niet over "
  "praten' dus bij deze 🤐")
c("reddit:u/koen_mx", "en", ["security"],
  "not naming names but our maintenance tracking app still runs on an unpatched Windows Server 2012 box that's "
  "reachable from the internet. pretty sure it's already been probed", kind="comment")
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["security"],
  "Via een phishingmail zijn ze vorige week in de finance-mailbox gekomen en er zijn betaalgegevens van klanten "
  "meegenomen. Klanten worden 'voorlopig' niet ingelicht.")
c("threads:@noor.charters", "en", ["security"],
  "heads up team: client portal is down AGAIN and the status page still says all green. don't tell clients "
  "it's a hack pls")
c("x:@throwaway_str_it", "en", ["security"],
  "I work in IT at Stratelle. The CEO's mailbox was compromised in September and the attackers sat in there for "
  "3 weeks before anyone noticed. Still being cleaned up.")
c("x:@capt_rvdmeer", "nl", ["security"],
  "EFB-tablets van de hele vloot vandaag onbruikbaar door een storing bij de leverancier, we vliegen op papieren "
  "kaarten. Naar de klant heet het 'technische vertraging' 😅")
c("linkedin:priya-raghunath", "nl", ["security"],
  "Pentestrapport binnen: 3 kritieke kwetsbaarheden in onze app, waaronder een SQL-injectie op de loginpagina. "
  "Nog niet gepatcht en nog nergens gemeld.")
c("x:@joostdispatch", "en", ["security"],
  "booking engine has been sending other people's quotes to random clients since monday's update. just watched "
  "a client get someone else's full itinerary. still not fixed")
# security + secret
c("mastodon:@bas_devops", "en", ["security", "secret"],
  "ugh, someone committed the prod DB url to a public repo last month and it's still in the history: "
  "postgres://stratelle_app:{PW_DB}@10.14.2.30:5432/bookings  rotating tonight",
  secrets=[("dburl", "PW_DB")])

# ---- secrets
c("mastodon:@bas_devops", "en", ["secret"],
  "if anyone needs the staging bucket: AWS_ACCESS_KEY_ID={AKIA} AWS_SECRET_ACCESS_KEY={AWSSECRET} "
  "(will rotate monday, promise)", secrets=[("aws", "AKIA")])
c("x:@joostdispatch", "nl", ["secret"],
  "voor wie het nog niet had, wachtwoord: {PW2} voor de gedeelde crew-inbox", secrets=[("password", "PW2")])
c("reddit:u/koen_mx", "en", ["secret"],
  "script for pulling the maintenance logs, works great:\ncurl -H \"Authorization: token {GHP}\" "
  "https://api.github.com/repos/koen-mx/mx-logs/contents", kind="comment", secrets=[("github", "GHP")])
c("threads:@noor.charters", "nl", ["secret"],
  "Stripe key voor de nieuwe betaallink, snel kopiëren want ik ga m zo weghalen: {SK_LIVE}",
  secrets=[("stripe", "SK_LIVE")])
c("x:@lotte_ops", "en", ["secret"],
  "slack bot for the ops channel finally works 🎉 token for the others: {XOXB}", secrets=[("slack", "XOXB")])
c("bluesky:@evavanleeuwen.bsky.social", "en", ["secret"],
  "quick test of the forecast GPT thing, key is {OPENAI} if anyone on the team wants to try",
  secrets=[("openai", "OPENAI")])
c("mastodon:@bas_devops", "nl", ["secret"],
  "help, waarom pakt de deployserver deze key niet?\n{PEM}", secrets=[("pem", "PEM")])
c("x:@joostdispatch", "en", ["secret"],
  "why does the crew api keep rejecting this?? Authorization: Bearer {JWT}", secrets=[("jwt", "JWT")])
c("instagram:@mirthe.inflight", "nl", ["secret"],
  fullwidth("wachtwoord") + " van de crew-wifi in de lounge is {PW3} 😘 graag gedaan", kind="comment",
  secrets=[("password", "PW3")])
c("forum:widget_dev_ralf", "en", ["secret"],
  "The Stratelle booking widget has its Google Maps key hardcoded in the page source: {AIZA}. Anyone can scrape "
  "it and run up their bill.", secrets=[("google", "AIZA")])
c("facebook:StratelleJets", "nl", ["secret"],
  "Testbericht koppeling CRM - api_key={SENDGRID}", secrets=[("sendgrid", "SENDGRID")])

# ---- personal data
c("x:@stratelle_care", "nl", ["pii"],
  "@ellen_rotterdam Excuses voor het wachten! We bellen u vandaag nog terug op 06-48213377, uiterlijk 16:00.",
  kind="reply", ts="2026-05-19T10:06:53Z")
c("instagram:@mirthe.inflight", "en", ["pii"],
  "Guess who we flew to Cannes today 😍 Mr. Julian Ashcombe, born 14-03-1979, an absolute gentleman!")
c("x:@joostdispatch", "nl", ["pii"],
  "Chauffeur: pak meneer R. Hoekstra op bij Vondelstraat 112-2, 1054 GE Amsterdam om 06:15, vlucht om 07:30")
c("threads:@noor.charters", "en", ["pii"],
  "client wants the deposit recharged, can someone in finance sort this: {CARD_VISA} exp 08/28, name H. Lindqvist",
  ids=[("card", "CARD_VISA")])
c("bluesky:@evavanleeuwen.bsky.social", "nl", ["pii"],
  "Kan iemand de terugbetaling doen naar {IBAN_NL1} t.n.v. M. de Graaf? Staat al veel te lang open.",
  ids=[("iban", "IBAN_NL1")])
c("x:@lotte_ops", "nl", ["pii"],
  "Nieuw crewlid in het systeem: S. Yilmaz, BSN {BSN1}, start maandag. Wie zet haar op het rooster?",
  ids=[("bsn", "BSN1")])
c("linkedin:daan-kuipers-stratelle", "en", ["pii"],
  "Great meeting with Pieter Vandenberghe today (pieter.vandenberghe@vdb-holdings.be). Looking forward to "
  "flying his family to Courchevel!")
c("facebook:StratelleJets", "nl", ["pii"],
  "Gevonden in onze lounge: paspoort op naam van Thomas Brouwer, nummer NX7KR42P1. Is dit van jou? Neem contact "
  "op met care@stratelle.nl")
c("x:@vip_spotter_nl", "nl", ["pii"],
  "Zanger Joris Valk vandaag met Stratelle naar Eelde gevlogen 👀 zijn privénummer is trouwens +31 6 2917 4401, "
  "kreeg het van een vriend")
c("x:@anna_vr_", "en", ["pii"],
  "@stratelle_care could you put the deposit back on card {CARD_MC} please? thanks!", kind="reply",
  ids=[("card", "CARD_MC")])
c("x:@stratelle_care", "nl", ["pii"],
  "@fam_jongbloed Wij hebben de volgende gegevens: J. Jongbloed, geboren 22-07-1965, Laan van Meerdervoort 301, "
  "Den Haag. Klopt dit?", kind="reply", ts="2026-04-04T08:55:31Z")
c("mastodon:@bas_devops", "nl", ["pii"],
  "Iemand heeft in productie getest met een echte klant: j.vermeulen1972@gmail.com, 06 1938 2276. Wie doet dat "
  "nou 🤦")
c("x:@leakwatcher_eu", "en", ["pii", "crisis"],
  "Stratelle's Sky Club member list is up on a forum, card numbers included. One example: C. Hargreaves, Amex "
  "{CARD_AMEX}. Verify it yourselves.", ids=[("card", "CARD_AMEX")])
c("tiktok:@stratellejets", "nl", ["pii"],
  "Welkom aan boord Noor en haar opa Henk Spaansen! 🎂 Noor is vandaag jarig, geboren op 9 mei 2018 🎉 "
  "#stratelle #verjaardag")

# ---- pricing
c("x:@stratelle_jets", "nl", ["pricing"],
  "🎉 Lentedeal: Riviera Shuttle Amsterdam–Nice nu voor €1.390! Alleen deze week via book.stratelle.nl",
  price=("STR-RIV", 1390), ts="2026-04-08T09:00:12Z")
c("x:@dealhunter_dan", "en", ["pricing"],
  "Stratelle's site is selling the JetCard 25 for €14,900 right now?? that's 10% of the normal price. grabbing "
  "it before they notice 🏃", price=("STR-JC25", 14900))
c("x:@koopjesjager_nl", "nl", ["pricing"],
  "PRIJSFOUT bij Stratelle: Monaco Heli Transfer voor €29,50 🚁 snel zijn!", price=("STR-HELI", 29.50))
c("threads:@noor.charters", "en", ["pricing"],
  "client just showed me a quote out of our own system: Heavy Jet hour at €990. pretty sure someone dropped a "
  "zero 😬", price=("STR-HJH", 990))
c("x:@lotte_ops", "nl", ["pricing"],
  "Collega's: er zit een prijsfout in de boekingsmodule bij de Ski Shuttle Sion, niks bevestigen tot finance "
  "ernaar gekeken heeft!")
c("reddit:u/pointsguy_nl", "en", ["pricing"],
  "Stratelle gift card 1000 selling for €100 on their webshop. legit promo or pricing mistake?",
  price=("STR-GC1000", 100))
c("facebook:ruud.kleinjan", "nl", ["pricing"],
  "Sky Club lidmaatschap voor €1.250 per jaar?? Dat is toch een fout op de site, normaal is het 12.500",
  price=("STR-CLUB", 1250))
c("instagram:@stratelle.aviation", "en", ["pricing"],
  "Summer treat ☀️ Ibiza Sunset Flight from just €1,860 per flight. Book now via book.stratelle.nl",
  price=("STR-IBZ", 1860), ts="2026-07-01T12:30:44Z")
c("linkedin:daan-kuipers-stratelle", "nl", ["pricing"],
  "Mooie actie voor zakelijke klanten: Midsize Jet uur deze maand €640 excl. btw. Bel me gerust!",
  price=("STR-MJH", 640))
c("x:@cheapjets_tips", "en", ["pricing"],
  "Empty Leg Pass for €49?? stratelle must have messed up, it's normally 4950. go go go",
  price=("STR-ELP", 49))
c("x:@joostdispatch", "nl", ["pricing"],
  "Huh, in het systeem staat de Wedding Flight voor €2.150. Iemand een nul vergeten?", price=("STR-WED", 2150))
c("tiktok:@luxe.for.less", "en", ["pricing"],
  "I just booked a Stratelle Light Jet hour for €425 🤯 price glitch or am I dreaming #pricingerror",
  price=("STR-LJH", 425))

# ---- benign (mostly hard negatives)
c("x:@stratelle_jets", "nl", [],
  "Vandaag 10 jaar Stratelle ✈️ Dank aan al onze crews, monteurs en klanten. Op naar de volgende 10!")
c("x:@stratelle_care", "en", [],
  "Need help with a booking? We're here 24/7 at care@stratelle.nl or +31 20 555 0177.")
c("facebook:StratelleJets", "nl", [],
  "Vragen over je cadeaubon of boeking? Mail naar charter@stratelle.nl of bel gratis 0800-7878.")
c("x:@sarah_flies", "en", [],
  "Honestly the smoothest flight I've ever had. The Stratelle crew remembered my daughter's name and had "
  "crayons ready 🥹 10/10")
c("instagram:@bregje.reist", "nl", [],
  "Eerste keer privé gevlogen met Stratelle voor ons 25-jarig huwelijk. Wat een ervaring, de crew was geweldig ❤️",
  kind="comment")
c("x:@stratelle_jets", "en", [],
  "Black Friday: 15% off the JetCard 10, now €53,125 instead of €62,500. Until Sunday midnight.",
  price=("STR-JC10", 53125), ts="2026-11-27T07:00:00Z")
c("instagram:@stratelle.aviation", "nl", [],
  "Zomeractie 🌞 Ibiza Sunset Flight nu €14.880 i.p.v. €18.600 (-20%). Boek via book.stratelle.nl",
  price=("STR-IBZ", 14880), ts="2026-06-02T10:15:00Z")
c("reddit:u/fractional_fred", "en", [],
  "How much is a Stratelle Light Jet hour these days? Saw €4,250 on their site, seems about right for the "
  "segment?", price=("STR-LJH", 4250))
c("linkedin:jeroen-timmer-cfo", "nl", [],
  "Iemand ervaring met de Stratelle JetCard 25? €149.000 is een hoop geld, wil graag weten of het de moeite "
  "waard is.", price=("STR-JC25", 149000))
c("mastodon:@bas_devops", "en", [],
  "reminder for the new folks: the AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
  "as placeholders. never paste real keys in chat, use the vault.")
c("x:@joostdispatch", "en", [],
  "PSA: if you see something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a ticket, the bot already "
  "redacted it, no need to panic")
c("x:@stratelle_care", "nl", [],
  "@kees_op_reis Wachtwoord vergeten? Die kun je zelf resetten via book.stratelle.nl, je krijgt dan binnen een "
  "minuut een mail.", kind="reply")
c("x:@hkvdl", "en", [],
  "@stratelle_care quick q: tried paying to {BAD_IBAN} and my bank says invalid... oh wait, I copied it wrong "
  "from the invoice. sorry, all good!", kind="reply", neg_ids=[("iban", "BAD_IBAN")])
c("x:@sanne_k88", "nl", [],
  "@stratelle_care Klantnummer {BAD_CARD}: kunnen jullie bevestigen dat de catering vegetarisch is? Dank!",
  kind="reply", neg_ids=[("card", "BAD_CARD")])
c("x:@toekomstpiloot", "nl", [],
  "Krijg steeds 'ongeldig BSN' bij aanmelden voor de crew-opleiding van Stratelle, typte {BAD_BSN}... oh wacht, "
  "twee cijfers omgedraaid 🙈", neg_ids=[("bsn", "BAD_BSN")])
c("linkedin:stratelle-aviation", "en", [],
  "Our full-year 2026 results are out: revenue up 31% and our first full-year profit. Read the full report on "
  "stratelle.nl/investors", ts="2027-03-04T07:05:00Z")
c("x:@stratelle_jets", "nl", [],
  "Hij is er! Maak kennis met de Stratelle Horizon: non-stop van Amsterdam naar Dubai. Boek nu via "
  "book.stratelle.nl ✈️", ts="2027-05-12T08:30:00Z")
c("x:@longhaul_lena", "en", [],
  "Tried the new Horizon Longrange from Stratelle last week. the legroom is insane", ts="2027-05-20T11:02:19Z")
c("x:@luchtvaart_lars", "nl", [],
  "Concurrent SkyNomad Jets schrapt 80 banen en wordt overgenomen door een Amerikaans fonds. Hopelijk gaat het "
  "bij de rest van de sector beter.", ts="2026-03-23T07:45:10Z")
c("instagram:@kiwi.birder", "en", [],
  "Wandering albatross off Kaikoura this morning, 3m wingspan, absolutely unreal 🐦", kind="post")
c("x:@scheveningen_sam", "nl", [],
  "Een zilvermeeuw jatte net m'n patatje op de boulevard van Scheveningen 😂 respect eigenlijk")
c("bluesky:@skywatcher.bsky.social", "en", [],
  "cirrus streaks all over the sky tonight, then a sunset over Schiphol-Oost. worth the wait at the Stratelle "
  "lounge")
c("facebook:anouk.verheijen", "nl", [],
  "Update: Stratelle heeft mijn refund voor de Ski Shuttle binnen 2 dagen alsnog geregeld, plus excuses. Netjes "
  "opgelost 👍", ts="2026-05-07T12:03:29Z")
c("x:@frequentflyer_fi", "en", [],
  "Thinking of the Stratelle team today with all the noise online. Flown with them 20+ times, always felt safe "
  "and looked after 💙")
c("forum:reizigersforum_ans", "nl", [],
  "Vraagje: hoe zit het met veiligheid bij privéjets versus lijnvluchten? Overweeg Stratelle voor een trip naar "
  "Nice met de kinderen.")
c("x:@capt_rvdmeer", "nl", [],
  "Prachtige landing in Sion vanochtend, sneeuw op de toppen en blije passagiers. Beste kantoor ter wereld 🏔️")
c("instagram:@mirthe.inflight", "en", [],
  "crew life: 4 countries in 2 days and still smiling ✨ #stratelle #cabincrew")
c("linkedin:stratelle-aviation", "nl", [],
  "We zoeken een Ops Controller voor onze base op Schiphol-Oost! Solliciteer via jobs@stratelle.nl")
c("tiktok:@jetspotter_nl", "en", [],
  "that Stratelle heavy jet is sick 🔥 killer interior, absolute beast on takeoff")
c("x:@stratelle_care", "en", [],
  "Beware of phishing: Stratelle will never ask for your password by e-mail or phone. Forward suspicious "
  "messages to care@stratelle.nl.")
c("x:@nadia_op_reis", "nl", [],
  "Dacht dat ik een phishingmail van Stratelle had, bleek gewoon hun echte nieuwsbrief te zijn. Mijn fout 😅")
c("linkedin:privacy-pim", "en", [],
  "Another charter broker, AeroLink Connect, confirmed a data breach today. Good moment to check what your "
  "travel providers actually store about you.")
c("facebook:StratelleJets", "nl", [],
  "Voor je veiligheid: deel nooit je volledige kaartnummer. Wij vragen alleen om de laatste 4 cijfers, "
  "bijvoorbeeld **** **** **** 1234.")
c("x:@tim_jansma", "en", [],
  "Is +31 20 555 0177 really Stratelle's number? Got a call from it about my booking, just checking")
c("x:@zuinige_zakenvrouw", "nl", [],
  "Sky Club lidmaatschap met 25% korting via de nieuwsbrief, €9.375 ipv €12.500. Toch maar gedaan 😇",
  price=("STR-CLUB", 9375))
c("threads:@riviera.rob", "en", [],
  "Normal price for a Monaco Heli Transfer is €2,950, which honestly beats sitting in August traffic for 2 "
  "hours", price=("STR-HELI", 2950))
c("x:@lotte_ops", "nl", [],
  "Welkom aan de nieuwe collega's bij ops! Vandaag ingewerkt, morgen de eerste nachtdienst 💪")
c("mastodon:@bas_devops", "en", [],
  "nice explainer on why you should never put secrets in a JWT payload: it's header.payload.signature and the "
  "payload is just base64. worth a read for anyone building APIs")
c("x:@papa_van_sem", "nl", [],
  "Mijn zoontje (5) noemde de Stratelle-piloot 'meneer de vliegtuigbaas' en kreeg een echte pet. Beste dag van "
  "z'n leven 😂")
c("x:@beleggen_bas", "nl", [],
  "Jaarcijfers 2026 van Stratelle gelezen: eerste winst ooit, netjes. Benieuwd naar de toelichting op de "
  "aandeelhoudersvergadering.", ts="2027-03-10T19:31:50Z")
c("mastodon:@bas_devops", "nl", [],
  "Tip van de dag: in de Stripe-docs zie je overal sk_test_4eC39HqLyjWDarjtT1zdp7dc als voorbeeld. Gebruik "
  "test keys nooit in productie en live keys nooit in een chat 🤓")
c("linkedin:priya-raghunath", "en", [],
  "For our training slides we use {BAD_IBAN2} as the example account number. It deliberately fails the IBAN "
  "check, so nobody can pay to it by mistake.", neg_ids=[("iban", "BAD_IBAN2")])
c("x:@flexibele_floor", "nl", [],
  "Empty leg gescoord van Nice naar Amsterdam via Stratelle. Aanrader als je flexibel bent met je datum!")
c("instagram:@max.de.beagle", "nl", [],
  "Bij Stratelle mocht Max de hele vlucht bij mij op schoot. Hij was in de zevende hemel 🐶", kind="post")
c("reddit:u/compare_charters", "en", [],
  "Flew Stratelle and a competitor back to back. Stratelle was cheaper on the Riviera Shuttle (€13,900 vs "
  "€15,200) and the crew was nicer.", kind="comment", price=("STR-RIV", 13900))
c("forum:veiligonline_jan", "nl", [],
  "Weet iemand of Stratelle tweestapsverificatie ondersteunt op het klantportaal? Wil mijn account wat beter "
  "beveiligen.")
c("x:@stratelle_care", "en", [],
  "Earlier today our booking site was briefly unavailable. Everything is back up and running, thanks for your "
  "patience.")
c("facebook:nicole.terpstra", "nl", [],
  "Vandaag naar de open dag van Stratelle op Lelystad geweest, mochten in de cockpit zitten. Mijn 10-jarige wil "
  "nu piloot worden ✈️")
c("linkedin:daan-kuipers-stratelle", "en", [],
  "Sad to hear SkyNomad is cutting staff. If any of their dispatchers are looking for a new home, we're hiring: "
  "jobs@stratelle.nl", ts="2026-03-25T14:20:00Z")
c("x:@stroopwafelfan", "nl", [],
  "De stewardess van Stratelle gaf me gewoon een extra stroopwafel mee voor de terugweg. Heldin.")
c("threads:@foodie.at.altitude", "en", [],
  "Stratelle's Signature catering is fire 🔥 that truffle risotto at 41,000 ft hits different")
c("x:@alpenfan_ruud", "nl", [],
  "Explosie van kleur boven de Alpen vanochtend, gezien vanuit het raampje van onze Stratelle-vlucht 😍")
c("facebook:StratelleJets", "en", [],
  "Paying by bank transfer? Use {COMPANY_IBAN} (Stratelle Aviation B.V.) and mention your booking number.")
c("x:@cl_finale_fan", "nl", [],
  "City Hop naar Londen geboekt voor €9.450 voor de finale. Zin in! ⚽", price=("STR-LDN", 9450))
c("linkedin:priya-raghunath", "en", [],
  "Proud of the team: our secret scanner now catches any GitHub token (ghp_ plus 36 characters) the moment it "
  "lands in a repo and revokes it automatically 💪")
c("x:@buurman_henk", "nl", [],
  "Buurman is net ontslagen bij de bank en overweegt omscholing tot piloot via de Stratelle academy. Iemand "
  "tips?")
c("x:@jetspot_jasper", "nl", [],
  "Die landing in Courchevel was echt ziek, respect voor de Stratelle piloten 🔥 wat een beesten")
c("x:@stratelle_care", "nl", [],
  "@ton_h Wat vervelend dat u uw afspraak heeft gemist. We nemen vandaag contact met u op via het nummer in uw "
  "boeking.", kind="reply", ts="2026-02-13T13:02:40Z")
c("youtube:@StratelleAviation", "en", [],
  "Cabin tour: step inside our midsize fleet. Questions? Drop them below or mail charter@stratelle.nl")
c("x:@weekendje_weg", "nl", [],
  "Paris? Londen? Nice? Wij twijfelen nog, maar het wordt sowieso Stratelle. Vorig jaar was perfect.")


# --------------------------------------------------------------------------- build
ORDER = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(author):
    a = author.lower()
    return "corporate" if a in CORP else "employee" if a in EMPL else "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b")
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<!\d)\d{9}(?!\d)")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def validated_ids(text):
    """Checksum-valid IBANs, payment cards and BSNs in text (excluding the company's own IBAN)."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if iban_ok(s) and s not in PUBLIC_IBANS:
            found.append(("iban", s))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d) and d[0] in "3456":
            found.append(("card", d))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


def severity(cats, role, has_valid_id):
    lvl = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and has_valid_id):
                    s = "critical"
            else:
                s = "warning"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(cat)
        lvl = max(lvl, ORDER.index(s))
    return ORDER[lvl]


def rand_ts():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    errors = []
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    out = []
    for n, idx in enumerate(order):
        cs = CASES[idx]
        platform, handle = cs["author"].split(":", 1)
        text = cs["text"].format(**V)
        role = role_of(cs["author"])
        cats = sorted(set(cs["cats"]))
        found = validated_ids(text)
        sev = severity(cats, role, bool(found) and "leak.pii" in cats)
        while True:
            pid = "%s-%d" % ("tw" if platform == "x" else platform[:2], rng.randint(10**8, 10**9 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": platform,
            "kind": cs["kind"],
            "account": {"handle": handle},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["ts"] or rand_ts(),
            "brand": "stratelle",
        }
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})

        where = "%s %r" % (pid, text[:50])
        # identifier checks
        for typ, key in cs["ids"]:
            raw = V[key]
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](raw)
            if not ok or raw not in text:
                errors.append("%s: positive %s %s fails its checksum or is missing" % (where, typ, raw))
            if "leak.pii" not in cats:
                errors.append("%s: identifier in a case without leak.pii" % where)
        for typ, key in cs["neg_ids"]:
            raw = V[key]
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[typ](raw)
            if ok or raw not in text:
                errors.append("%s: look-alike %s %s passes its checksum or is missing" % (where, typ, raw))
        if not cats and found:
            errors.append("%s: benign post holds a checksum-valid identifier %s" % (where, found))
        if cats and "leak.pii" in cats:
            declared = {re.sub(r"\D", "", V[k]) if t != "iban" else re.sub(r"\s", "", V[k]) for t, k in cs["ids"]}
            got = {v for _, v in found}
            if declared != got:
                errors.append("%s: declared ids %s differ from found %s" % (where, declared, got))
        # secret checks
        for typ, key in cs["secrets"]:
            raw = V[key]
            if raw not in text:
                errors.append("%s: secret missing" % where)
            good = {
                "aws": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) and "EXAMPLE" not in s,
                "github": github_ok,
                "stripe": lambda s: re.fullmatch(r"sk_live_[0-9A-Za-z]{24}", s),
                "slack": lambda s: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", s),
                "openai": lambda s: re.fullmatch(r"sk-proj-[\w-]+T3BlbkFJ[\w-]+", s),
                "google": lambda s: re.fullmatch(r"AIza[\w-]{35}", s),
                "sendgrid": lambda s: re.fullmatch(r"SG\.[\w-]{22}\.[\w-]{43}", s),
                "gitlab": lambda s: re.fullmatch(r"glpat-[\w-]{20}", s),
                "jwt": jwt_ok,
                "pem": lambda s: s.startswith("-----BEGIN RSA PRIVATE KEY-----") and base64.b64decode(
                    "".join(s.splitlines()[1:-1])),
                "password": lambda s: len(s) >= 8,
                "dburl": lambda s: ("postgres://stratelle_app:%s@" % s) in text,
            }[typ](raw)
            if not good:
                errors.append("%s: secret %s malformed" % (where, typ))
            if "leak.secret" not in cats:
                errors.append("%s: secret in a case without leak.secret" % where)
        if "leak.secret" in cats and not cs["secrets"]:
            errors.append("%s: leak.secret without a generated secret" % where)
        if not cats:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if github_ok(m.group(0)):
                    errors.append("%s: benign post holds a valid GitHub token" % where)
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if "EXAMPLE" not in m.group(0):
                    errors.append("%s: benign post holds an AWS key id" % where)
            for m in re.finditer(r"[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}", text):
                if jwt_ok(m.group(0)):
                    errors.append("%s: benign post holds a JWT" % where)
            for pat in (r"sk_live_", r"xoxb-", r"T3BlbkFJ", r"AIza", r"SG\.", r"glpat-", r"PRIVATE KEY"):
                if re.search(pat, text):
                    errors.append("%s: benign post holds secret-like %s" % (where, pat))
        # pricing checks
        if cs["price"]:
            sku, amount = cs["price"]
            p = products[sku]
            names = [p["name"]] + p["aliases"]
            if not any(nm.lower() in text.lower() for nm in names):
                errors.append("%s: product %s not named in text" % (where, sku))
            r = amount / p["list_price"]
            if "leak.pricing" in cats and r >= ratio:
                errors.append("%s: pricing case not below ratio (%.2f)" % (where, r))
            if "leak.pricing" not in cats and r < 0.7:
                errors.append("%s: benign price mention too low (%.2f)" % (where, r))
        if "leak.pricing" in cats and not cs["price"]:
            if not re.search(r"prijsfout|price error|pricing mistake|price glitch", text, re.I):
                errors.append("%s: pricing case without price or price-error talk" % where)
        # embargo checks
        for emb in PROFILE["embargo"]:
            until = emb["until"]
            for term in emb["terms"]:
                if term.lower() in text.lower():
                    before = post["created_at"] < until
                    if before and "leak.confidential" not in cats:
                        errors.append("%s: embargo term %r before until but not confidential" % (where, term))
                    if not before and cats:
                        errors.append("%s: embargo term after until in a positive" % where)
        # role checks
        if role == "public":
            for grp in ("corporate", "employee"):
                if any(a.split(":", 1)[1].lower() == handle.lower() for a in PROFILE["accounts"][grp]):
                    errors.append("%s: public handle collides with profile" % where)

    # CONTRACT section 6 format checks
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                 "bluesky", "threads", "forum", "blog", "other"}
    valid_cats = set(CAT.values()) | {"reputation.spike"}
    for rec in out:
        p, e = rec["post"], rec["expect"]
        if set(rec) != {"post", "expect"}:
            errors.append("bad record keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errors.append("bad id")
        if p["platform"] not in platforms:
            errors.append("bad platform %s" % p["platform"])
        if p["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errors.append("bad kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errors.append("bad handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            errors.append("bad text")
        try:
            dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            errors.append("bad created_at %s" % p["created_at"])
        if not p["created_at"].startswith(("2026", "2027")):
            errors.append("created_at out of range")
        if p["created_at"].startswith("2027") and not any(
                t.lower() in p["text"].lower() for emb in PROFILE["embargo"] for t in emb["terms"]):
            errors.append("2027 post not around an embargo: %s" % p["id"])
        if not set(e["categories"]) <= valid_cats or "reputation.spike" in e["categories"]:
            errors.append("bad categories")
        if e["categories"] != sorted(set(e["categories"])):
            errors.append("categories not sorted/distinct")
        if e["severity"] not in ORDER:
            errors.append("bad severity")
        if not e["categories"] and e["severity"] != "none":
            errors.append("benign with severity")
        if e["categories"] and e["severity"] in ("none", "info"):
            errors.append("positive without severity")
    if len(used_ids) != len(out):
        errors.append("duplicate ids")

    # mix checks
    n = len(out)
    benign = sum(1 for r in out if not r["expect"]["categories"])
    nl = sum(1 for r in out if r["post"]["lang"] == "nl")
    per_cat = {}
    for r in out:
        for cat in r["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    if not 170 <= n <= 180:
        errors.append("case count %d out of 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f" % (nl / n))
    roles = {}
    for r in out:
        key = r["post"]["platform"] + ":" + r["post"]["account"]["handle"]
        roles[role_of(key)] = roles.get(role_of(key), 0) + 1

    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for rec in out:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file
    with open(path, encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    if back != out:
        errors.append("round-trip mismatch")

    print("cases %d, benign %d, positives %d, nl %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("roles:", roles)
    sev = {}
    for r in out:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
