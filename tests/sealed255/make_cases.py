#!/usr/bin/env python3
"""Writes cases.jsonl (evaluation set sealed255) beside this script and self-checks it.

Company: Vonkel Ink & Steel B.V. (fictional tattoo and piercing studios), see profile.yaml.
Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
credentials and identifiers are generated the way the real ones are built.
Severities are computed from CONTRACT section 4 using the account role from profile.yaml.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(2550255)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
URLSAFE = ALNUM + "-_"


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, cc="NL"):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def make_bad_iban(bank):
    while True:
        good = make_iban(bank)
        digits = list(good)
        i = rng.randrange(8, len(digits))
        digits[i] = str((int(digits[i]) + rng.randrange(1, 10)) % 10)
        bad = "".join(digits)
        if not iban_valid(bad):
            return bad


def fmt_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def make_bad_card(prefix, length=16):
    while True:
        n = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix)))
        if not luhn_ok(n):
            return n


def fmt_card(n, sep=" "):
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        first8 = str(rng.randrange(1, 7)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if r <= 9:
            s = first8 + str(r)
            assert bsn_ok(s)
            return s


def make_bad_bsn():
    while True:
        s = str(rng.randrange(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


# ---------------------------------------------------------------- credentials
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rand(30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def make_aws_id():
    return "AKIA" + rand(16, string.ascii_uppercase + "234567")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
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


def make_ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


G = {}
G["AWS_ID"] = make_aws_id()
G["AWS_SECRET"] = rand(40, ALNUM + "/+")
G["GHP"] = make_github("ghp_")
G["GHO"] = make_github("gho_")
G["STRIPE"] = "sk_live_" + rand(24)
G["SLACK"] = "xoxb-%d-%d-%s" % (rng.randrange(10**10, 10**11), rng.randrange(10**12, 10**13), rand(24))
G["OPENAI"] = "sk-proj-" + rand(58, URLSAFE) + "T3BlbkFJ" + rand(58, URLSAFE)
G["MOLLIE"] = "live_" + rand(30)
G["GAPI"] = "AIza" + rand(35, URLSAFE)
G["JWT"] = make_jwt({"sub": "staff-0%03d" % rng.randrange(1000), "name": "Bo de Haan", "role": "frontdesk",
                     "studio": "rotterdam", "iat": 1781000000 + rng.randrange(10**6), "exp": 1789000000})
G["SSH"] = make_ssh_key()
G["DBPASS"] = rand(6) + "!" + rand(9)
G["WIFIPW"] = "Inkt&Staal_" + "".join(rng.choice(string.digits) for _ in range(4))
G["IGPW"] = "Zwaluw!" + rand(5) + "26"
SECRET_KEYS = ["AWS_ID", "AWS_SECRET", "GHP", "GHO", "STRIPE", "SLACK", "OPENAI", "MOLLIE", "GAPI",
               "JWT", "SSH", "DBPASS", "WIFIPW", "IGPW"]

G["IBAN1"] = fmt_iban(make_iban("INGB"))
G["IBAN2"] = make_iban("ABNA")
G["IBAN3"] = fmt_iban(make_iban("BUNQ"))
G["IBAN_BAD"] = make_bad_iban("SNSB")
G["CARD1"] = fmt_card(make_card("4"))
G["CARD2"] = fmt_card(make_card("52"), "-")
G["CARD_BAD"] = fmt_card(make_bad_card("6037"))
G["BSN1"] = make_bsn()
G["BSN2"] = make_bsn()
G["BSN_BAD"] = make_bad_bsn()
G["OWN_IBAN"] = fmt_iban(PROFILE["public_identifiers"]["ibans"][0])

# ---------------------------------------------------------------- cases
CASES = []
PLAT_PREFIX = {"x": "x", "instagram": "ig", "tiktok": "tt", "facebook": "fb", "linkedin": "li",
               "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo",
               "youtube": "yt"}


def C(platform, handle, lang, text, cats=(), kind="post", ts=None, prices=(), brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, ts=ts, prices=list(prices), brand=brand))


CP, CF, PII, SEC, FIN, SECR, PRC = ("reputation.complaint", "leak.confidential", "leak.pii",
                                    "leak.security", "leak.financial", "leak.secret", "leak.pricing")
CR, AB = "reputation.crisis", "reputation.abuse"

# ===== complaints (public)
C("x", "@marloes_vg", "nl",
  "3 weken gewacht op mijn afspraak bij @vonkel_ink Utrecht en vanochtend 20 min van tevoren een sms'je "
  "dat de artiest 'ziek' is. Aanbetaling van €100 krijg ik pas 'binnen 30 werkdagen' terug. Serieus??", [CP])
C("reddit", "u/inkdrifter_ams", "en",
  "PSA for anyone booking at Vonkel De Pijp: my fineline piece healed patchy as hell, lines blown out on the "
  "wrist and they want to charge me full price for the 'touch-up'. Artist was nice but the aftercare advice "
  "was basically 'google it'. Not impressed.", [CP])
C("facebook", "sanne.wolters.7", "nl",
  "Al 4x gebeld naar jullie klantenservice, 4x in de wacht gezet en daarna gewoon opgehangen. Ik wil alleen "
  "mijn cadeaukaart omzetten naar een andere vestiging. Is dat nou zo moeilijk Vonkel?", [CP], kind="comment")
C("x", "@kezia_mtl", "en",
  "@vonkel_klantenservice ordered the SecondSkin + healing balm on the 2nd, still 'processing' on the 19th. "
  "my session is TOMORROW. thanks for nothing 🙃", [CP], kind="reply")
C("instagram", "@dewi.draws", "nl",
  "Mooi werk op jullie feed maar in de studio zelf is het een ander verhaal. Stencil 2x verkeerd geplaatst, "
  "uiteindelijk 45 min later begonnen en die tijd mocht ik wel gewoon betalen. Echt jammer", [CP], kind="comment")
C("x", "@thomasbrt", "nl",
  "@vonkel_ink septum laten zetten, ring zit scheef en toen ik terugkwam zei de piercer dat 'mijn neus "
  "scheef is' 🙄 top service hoor. nooit meer", [CP], kind="reply")
C("forum", "anouk_r", "en",
  "2 stars. The booking app double-booked my slot, I got to the Rotterdam studio and someone else was "
  "already in my chair. Manager offered 10% off next time. I took a day off work for this.", [CP])
C("tiktok", "@lisa.vdm04", "nl",
  "waarom betaal ik €60 voor een helix en krijg ik dan de goedkoopste stalen stud die er is terwijl op de "
  "site titanium staat?? voel me echt belazerd", [CP], kind="comment")
C("threads", "@m.okafor", "en",
  "Vonkel's Inner Circle membership is a joke. Paid €99 for 'priority booking' and every artist is booked "
  "out til March anyway. I want my money back.", [CP], prices=[("VK-MEMB", 99)])
C("x", "@fleurtjeee", "nl",
  "Ik had expliciet gevraagd om géén tekst zonder dat ik het eerst zag en nu staat er 'forver' op m'n "
  "onderarm. FORVER. Vonkel Amsterdam bedankt he 🙃😭", [CP])
C("reddit", "u/quietlobster", "en",
  "Anyone else struggling to get a refund out of Vonkel for a cancelled laser fade? THEY cancelled the slot, "
  "I've emailed three times, nothing back. Starting to think I'll have to get my bank to do a chargeback.", [CP])
C("facebook", "bert.hoogland.74", "nl",
  "Kleinzoon een cadeaukaart gegeven voor z'n verjaardag, blijkt die alleen online te werken en hij heeft "
  "geen creditcard. Niemand in de winkel die kon helpen. Slecht geregeld hoor Vonkel.", [CP])
C("instagram", "@sol.y.tinta", "en",
  "the cleansing foam pump broke on day 2 and half of it leaked into my bag. €12.50 for that? come on "
  "@vonkel.ink", [CP], kind="comment", prices=[("VK-CARE-FOAM", 12.50)])

# ===== first-hand harm: crisis + complaint
C("x", "@jessvdberg", "nl",
  "Dag 5 na mijn tragus bij @vonkel_ink Rotterdam: rood, warm, pus en sinds gisteren koorts. Huisarts zegt "
  "flinke ontsteking, antibiotica gekregen. Achteraf zag ik dat de piercer geen nieuwe handschoenen pakte "
  "nadat ie z'n telefoon had vastgehad. Ben er echt ziek van, letterlijk.", [CR, CP])
C("reddit", "u/anxious_anemone", "en",
  "Vonkel's numbing cream gave me an actual chemical burn. Followed the instructions to the letter, 45 min "
  "under cling film, and the skin came up blistered. Session had to be cancelled and the doctor says it'll "
  "probably scar. Pics in the comments.", [CR, CP])
C("facebook", "ilse.vanderkamp", "nl",
  "Allergische reactie op de 'hypoallergene' Aurea clicker die ik bij Vonkel heb gekocht. Oor helemaal "
  "opgezwollen, moest zaterdagnacht naar de huisartsenpost. Bleek dus geen massief goud maar verguld spul "
  "met nikkel. Ik wil een verklaring én mijn geld terug.", [CR, CP])
C("x", "@drewpaints", "en",
  "Sat for a half day session at Vonkel and watched the artist reuse the same ink cap from the client before "
  "me. Got a nasty skin infection a week later and I'm on antibiotics now. This is a health hazard "
  "@vonkel_ink", [CR, CP])
C("tiktok", "@noorrr.x", "nl",
  "storytime: bij vonkel bijna flauwgevallen in de stoel, niemand die keek, ben van de kruk gegleden en met "
  "m'n hoofd tegen de kast geklapt. 3 hechtingen boven m'n wenkbrauw. en dan nog moeilijk doen dat ik de "
  "sessie moet betalen #storytime #tattoo", [CR, CP])
C("threads", "@kay.mendes", "en",
  "The Vonkel Care saline spray I bought last month was cloudy and smelled off. Used it anyway on my new "
  "septum like an idiot and now it's infected and swollen. Batch L2609 if anyone has the same bottle, "
  "don't use it.", [CR, CP])

# ===== crisis told by third parties, boycotts, lawsuits, breach accusations
C("x", "@utrechtnu_", "nl",
  "Tattoostudio aan de Oudegracht (Vonkel) tijdelijk dicht na controle GGD: meerdere klanten meldden "
  "huidinfecties, inspectie onderzoekt de sterilisatie.", [CR])
C("x", "@ink_watchdog", "en",
  "B.O.Y.C.O.T.T Vonkel. Their Amsterdam manager has been harassing apprentices for years and HQ keeps "
  "covering it up. Receipts in the thread 🧵 #vonkelexposed", [CR])
C("reddit", "u/nachtbrakertje", "nl",
  "Heeft iemand anders ook die mail gehad dat hun boekingssysteem gehackt is? Mijn naam, nummer en foto's "
  "van mijn tattoo liggen blijkbaar op straat. Vonkel zegt verder helemaal niks. Dit is gewoon een datalek "
  "en ze houden het stil.", [CR])
C("linkedin", "lexnoord-legal", "en",
  "Class action filed today against Vonkel Ink & Steel B.V. in the Amsterdam district court on behalf of "
  "40+ clients, alleging unlicensed laser removal staff caused permanent scarring.", [CR])
C("instagram", "@piercingnerd.nl", "nl",
  "TERUGROEPACTIE ⚠️ Vonkel haalt de Aurea Diamant flatbacks uit batch 03/26 uit de verkoop, de sluiting kan "
  "losschieten en ingeslikt worden. Heb je er een? Niet meer dragen. (bron: mail die ze naar klanten "
  "stuurden)", [CR])
C("x", "@moniekdraait", "nl",
  "Een vriendin van me is gisteren bij Vonkel Rotterdam met de ambulance opgehaald na een anafylactische "
  "reactie op de verdovingscrème. Gaat nu gelukkig weer goed met haar. Dit moet echt uitgezocht worden.", [CR])
C("bluesky", "@hollyinks.bsky.social", "en",
  "not touching vonkel again until they explain why they fired the piercer who reported the autoclave "
  "failures. whistleblower retaliation, plain and simple. b o y c o t t them, spread this", [CR])
C("facebook", "gerrit.westerhof", "nl",
  "Rechtszaak tegen Vonkel dient volgende week. Oud-medewerkers eisen achterstallig loon en zeggen dat ze "
  "jarenlang deels zwart zijn uitbetaald. Benieuwd wat daar uitkomt.", [CR])
C("reddit", "u/pixelmoth", "en",
  "Is Vonkel's booking site leaking client data?? Someone in a tattoo discord posted a dump with names and "
  "appointment notes scraped from boeken.vonkel.nl. If that's real it's a massive breach and they've said "
  "nothing.", [CR])

# ===== abuse
C("x", "@zwartekater88", "nl",
  "@vonkel_ink stelletje oplichters, jullie 'artiesten' kunnen nog geen rechte lijn trekken met een "
  "liniaal. Kankerzooi.", [AB], kind="reply")
C("x", "@bxrry_", "en",
  "@dexneedles you absolute clown, hope you lose your license you talentless prick", [AB], kind="reply")
C("instagram", "@ritaaa.x", "nl",
  "Die Lotte van Vonkel is echt een arrogante trut. Ga lekker ergens anders prikken meid", [AB], kind="comment")
C("tiktok", "@gnarly.ghost", "en",
  "imagine paying vonkel to get scribbled on by a bunch of tattooed losers lmaooo fuck this company",
  [AB], kind="comment")
C("x", "@vonkel_klantenservice", "nl",
  "@roy_h84 Misschien eerst leren lezen voordat je gaat zeiken, sukkel. Het stond gewoon in de "
  "bevestigingsmail.", [AB], kind="reply")
C("threads", "@dutchdad_1971", "en",
  "that receptionist at vonkel rotterdam should go back to her own country, can't even speak proper dutch. "
  "morons, the lot of them", [AB])
C("tiktok", "@d4rkmatt3r", "nl",
  "v0nk3l is 3cht 33n k4nk3rb3dr1jf, h00p d4t j3ll13 f41ll13t g44n", [AB], kind="comment")
C("x", "@hennie_w", "nl",
  "@vonkel_ink wat een klоtеbеdrijf, idiоtеn zijn het daar", [AB], kind="reply")
C("x", "@ruben_vk", "en",
  "To the guy who left a 1-star because we wouldn't tattoo you drunk at 11pm: you're a pathetic little man "
  "and the whole studio had a good laugh at you. Cheers.", [AB])
C("facebook", "john.vermeer.1980", "nl",
  "Ik weet waar die Dex van Vonkel woont. Als de navel van mijn dochter niet goed geneest kom ik een keer "
  "langs, let maar op.", [AB], kind="comment")
C("reddit", "u/sourgrapes_nl", "en",
  "Vonkel staff are a bunch of stuck-up hipster twats who think their shit doesn't stink.", [AB], kind="comment")
C("x", "@ferdi_rdam", "nl",
  "Uur te laat begonnen, ontwerp leek nergens op en dan nog €480 aftikken voor die halve dag. Vonkel "
  "Utrecht jullie zijn echt een stelletje prutsers, tyfuslijers", [AB, CP])

# ===== confidential
C("x", "@ruben_vk", "nl",
  "Eindelijk mogen we 't zeggen... nou ja bijna 😅 Project Ganzeveer gaat echt gebeuren, heb de plattegrond "
  "van het nieuwe pand al gezien. Meer kan ik niet zeggen!", [CF])
C("linkedin", "yasmina-boukhari-vonkel", "en",
  "So proud of the team pulling late nights on Operatie Nachtvlinder - our new booking platform goes into "
  "staff testing next month. Can't share screenshots yet, but wow.", [CF])
C("instagram", "@lotte.lijnwerk", "nl",
  "Sneak peek van de schetsen voor de Aurea Noir collectie 🖤 sssst niet verder vertellen", [CF],
  ts="2026-11-14T19:42:10Z")
C("x", "@jeroen_devops", "en",
  "anyone know why grafana.vonkel.io dashboards crawl when you're on the studio wifi? asking for a friend "
  "(the friend is me)", [CF])
C("threads", "@bo.receptie", "nl",
  "haha de nieuwe prijslijst voor volgend jaar staat al op wiki.vonkel.local/prijzen, er staat "
  "'uitsluitend intern gebruik' boven maar de halve groepsapp heeft em al", [CF])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "Final checks on the Vonkel x Hollow Saints drop and honestly it's the best merch we've ever made. "
  "Dropping... very soon 👀", [CF], ts="2027-01-19T16:05:33Z")
C("x", "@tattoo_roddels", "nl",
  "Zag net een screenshot in een Discord met 'VONKEL CONFIDENTIAL' erop: plannen voor studio's in Gent en "
  "Antwerpen onder de naam Project Gаnzeveer. Daar heeft iemand lekker zitten delen", [CF])
C("instagram", "@vonkel.piercing", "en",
  "Our piercers just got a first look at something new 🔮 can't say more, just... #Moerbei is coming",
  [CF])
C("mastodon", "@niels_vdlinden", "nl",
  "Wie heeft ervaring met Postgres-replicatie over twee regio's? Voor een intern project (Nachtvlinder) lopen "
  "we daar tegenaan. Repo staat op git.vonkel.io/booking/nachtvlinder-api als iemand van het team mee wil "
  "kijken.", [CF])
C("tiktok", "@mila.piercet", "en",
  "POV: you're testing the unreleased titanium line in the back room and the NDA says you can't even say "
  "the name 🤐 (it's gorgeous tho) #vonkel #piercing", [CF])
C("facebook", "VonkelInkSteel", "nl",
  "Beste collega's, hierbij het rooster voor december. Niet doorsturen - intern. Let op: Rotterdam is 23 "
  "t/m 27 dec dicht i.v.m. de verbouwing, de klanten worden pas na de 15e gebeld.", [CF],
  ts="2026-11-28T08:12:00Z")
C("instagram", "@kimblackwork", "en",
  "lol we're not allowed to say Mo\u200berbei in the studio anymore, management got paranoid after the "
  "last leak", [CF])
C("instagram", "@inkjunkie_030", "nl",
  "Vriend van me werkt bij Vonkel en zei dat de Aurea Noir lijn in januari uitkomt, zwart goud met onyx. "
  "Ik heb er nu al zin in!!", [CF], ts="2026-12-01T21:17:45Z")
# confidential + financial
C("linkedin", "sander-kuipers-cfo", "nl",
  "Druk weekje. Deal Moerbei zo goed als rond: overname van 6 studio's in Noord-Brabant, closing verwacht in "
  "Q1. Mooi moment om terug te kijken op een topjaar.", [CF, FIN])
C("x", "@ruben_vk", "en",
  "not supposed to say this before the jaarcijfers 2026 are out but revenue's up 31% and Rotterdam is "
  "finally profitable 🎉", [CF, FIN], ts="2027-02-20T22:31:09Z")
# confidential + security
C("mastodon", "@niels_vdlinden", "en",
  "Heads up team: planning.vonkel.io has been throwing 500s since 3am and it looks like someone's brute "
  "forcing the admin login, ~14k attempts from one IP range. Not public yet, don't post about it lol", [CF, SEC])
C("x", "@jeroen_devops", "nl",
  "Kleine bekentenis: intra.vonkel.local draait nog op een Windows Server 2012 die sinds 2023 geen patch "
  "meer heeft gezien. Als iemand dat vindt zijn we de sjaak.", [CF, SEC])
# confidential + secret
C("x", "@jeroen_devops", "en",
  "why won't this connect?? postgres://vonkel_app:<<DBPASS>>@db01.intra.vonkel.local:5432/bookings_prod "
  "keeps timing out", [CF, SECR])

# ===== financial
C("linkedin", "sander-kuipers-cfo", "nl",
  "Tussenstand Q3 (nog niet gepubliceerd, dus even onder ons 😉): omzet +18% t.o.v. vorig jaar, "
  "EBITDA-marge richting 22%. Trots op alle studio's!", [FIN])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "heard at the all-hands today that Den Haag is closing and about 15 jobs go in January. official "
  "announcement isn't until next month so pretend I didn't post this", [FIN])
C("x", "@anon_inkwereld", "nl",
  "Van een insider: Vonkel wordt overgenomen door een Duits private-equityfonds, handtekeningen worden deze "
  "maand gezet. Bedrag zou rond de 40 miljoen liggen.", [FIN])
C("linkedin", "yasmina-boukhari-vonkel", "en",
  "Big changes ahead: HR has been asked to prepare a reorganisation that merges all front-desk roles into "
  "one central booking team. Roughly 20 positions affected, announcement planned for after the summer.",
  [FIN])
C("threads", "@bo.receptie", "nl",
  "omzetprognose voor volgend jaar is 9,4 miljoen las ik net op de printer 😂 iemand heeft em laten liggen",
  [FIN])
C("x", "@vonkel_ink", "en",
  "Board signed off on the FY2027 budget today: target revenue €11.2M, three new studios, headcount +25. "
  "Investor deck update goes out next week.", [FIN])
C("x", "@ruben_vk", "nl",
  "Gerucht klopt: we zitten aan tafel om Inkpoint (die keten met 4 shops in Limburg) over te nemen. Nog "
  "niks getekend maar de due diligence loopt.", [FIN])
C("reddit", "u/throwaway_vk_staff", "en",
  "Throwaway because I still work there. Vonkel is missing its H1 numbers badly, like 25% under plan, and "
  "management is talking about selling off the laser clinics. Nobody outside knows yet.", [FIN])
C("linkedin", "sander-kuipers-cfo", "nl",
  "Vanmiddag de herfinanciering getekend. Zonder die nieuwe kredietlijn van 3 mln hadden we in maart een "
  "probleem gehad, dus opgelucht. Persbericht volgt pas in het voorjaar.", [FIN])
C("tiktok", "@mila.piercet", "en",
  "day in my life at vonkel except today they told us 2 studios are shutting down and we might all be moved "
  "or let go?? they said keep it quiet till the official email 😭", [FIN])

# ===== security
C("x", "@jeroen_devops", "nl",
  "Sinds vannacht ligt het hele boekingssysteem plat, alle studio's werken met pen en papier. Officieel heet "
  "het 'onderhoud' maar er zit ransomware op de planningsserver. Duimen jongens.", [SEC])
C("mastodon", "@niels_vdlinden", "en",
  "Found out today our booking API hands you other customers' appointment details if you just increment the "
  "ID. Reported internally, fix is 'next sprint'. Yikes.", [SEC])
C("threads", "@bo.receptie", "nl",
  "kassasysteem doet het al 2 dagen niet in alle vestigingen, pinnen gaat niet en we mogen het niet op "
  "social zetten 🙈 oeps", [SEC])
C("x", "@jeroen_devops", "en",
  "fun monday: someone phished a studio manager's o365 account and mailed fake invoices to half our "
  "suppliers from it. still cleaning up. not announced yet so 🤐", [SEC])
C("instagram", "@dexneedles", "nl",
  "Lol de deurcode van de piercingkamer in Utrecht is al een jaar 1234 en de camera's zijn sinds de zomer "
  "stuk. Als er ooit iemand inbreekt...", [SEC])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "lesson learned this week: our newsletter tool was misconfigured and the full customer list (~38k "
  "addresses) was downloadable by anyone for 3 days. still figuring out if we have to notify people "
  "#marketingops", [SEC])
C("x", "@ex_vonkel_it", "nl",
  "Ex-medewerker hier. De beheerpagina van de Vonkel webshop heeft nog steeds geen 2FA en het "
  "standaardwachtwoord van de admin is nooit veranderd. Heb ik in 2025 al gemeld, er is niks mee gedaan.",
  [SEC])
C("tiktok", "@mila.piercet", "en",
  "the card machines at the amsterdam studio got skimmed??? police were here all morning and we're told not "
  "to say anything yet. if you paid by card last week maybe check your statement", [SEC])
C("mastodon", "@niels_vdlinden", "nl",
  "Onze webshop draait op een WooCommerce-plugin met een bekende SQL-injectie. Patch staat klaar maar mag "
  "pas na Black Friday live van management. Spannend weekje.", [SEC], ts="2026-11-23T10:48:00Z")
C("x", "@ruben_vk", "en",
  "apparently the autoclave logs haven't uploaded for 6 weeks because our NAS got encrypted by something. "
  "IT says it's 'contained'. cool cool cool", [SEC])
C("reddit", "u/stille_beheerder", "nl",
  "Ik werk bij de IT-partner van een grote tattooketen (Vonkel) en sinds vorige week kun je in hun "
  "klantportaal de ID-scans van andere klanten zien. Het wordt stilgehouden tot na de feestdagen.",
  [SEC, CR], ts="2026-12-09T23:02:41Z")

# ===== secrets
C("x", "@jeroen_devops", "en",
  "note to self: stop pasting keys in slack. AWS_ACCESS_KEY_ID=<<AWS_ID>> "
  "AWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>", [SECR])
C("mastodon", "@niels_vdlinden", "nl",
  "Iemand een idee waarom deze token een 401 geeft op de GitHub API? <<GHP>> scopes zijn repo + workflow",
  [SECR])
C("x", "@ruben_vk", "en",
  "new stripe key for the webshop, can someone update the POS config pls: <<STRIPE>>", [SECR])
C("threads", "@bo.receptie", "nl",
  "wifi achter de balie: VonkelStaff / wachtwoord: <<WIFIPW>> (NIET aan klanten geven!!)", [SECR])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "testing the chatbot on the site, why does it keep saying quota exceeded 😩 key is <<OPENAI>>", [SECR])
C("mastodon", "@niels_vdlinden", "en",
  "Debugging the staff app logout bug, this should still be valid right?\nAuthorization: Bearer <<JWT>>",
  [SECR])
C("x", "@jeroen_devops", "nl",
  "help, welk formaat wil die deploy-tool nou?\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<SSH>>\n"
  "-----END OPENSSH PRIVATE KEY-----", [SECR])
C("x", "@vonkel_ink", "en",
  "Bot token for the #studio-alerts integration: <<SLACK>>", [SECR])
C("forum", "devhulp_joost", "nl",
  "Mijn klant (tattoostudio Vonkel) krijgt sinds vanochtend errors bij Mollie-betalingen. Config ziet er zo "
  "uit: MOLLIE_API_KEY=<<MOLLIE>> profile=webshop. Iemand een idee?", [SECR])
C("reddit", "u/bundle_sniffer", "en",
  "found this in vonkel's public JS bundle lol: const GMAPS_KEY = '<<GAPI>>'", [SECR], kind="comment")
C("instagram", "@kimblackwork", "nl",
  "inlog studio-insta voor de invallers deze week: vonkel.ink / ｗａｃｈｔｗｏｏｒｄ： <<IGPW>>", [SECR])
C("x", "@jeroen_devops", "en",
  "whoever set up the CI runner: the deploy token is just sitting in the job log, <<GHO>>, please rotate",
  [SECR])

# ===== personal data
C("threads", "@bo.receptie", "nl",
  "Wie kent deze klant? Liet haar jas liggen: Sophie de Kort, 06-41 83 27 95, woont Biltstraat 118 in "
  "Utrecht. Bel even als je haar kent", [PII])
C("x", "@vonkel_klantenservice", "en",
  "@mark_jvd refund is done to <<IBAN1>> (M. Jansen), should be in your account in 2-3 working days!",
  [PII], kind="reply")
C("facebook", "rutger.hoekstra.82", "nl",
  "Vonkel, ik wil mijn aanbetaling terug. Mijn IBAN is <<IBAN2>> t.n.v. R. Hoekstra, mail me op "
  "rhoekstra82@gmail.com", [PII], kind="comment")
C("instagram", "@lotte.lijnwerk", "en",
  "happy birthday to my favourite client Emma Visser, born 14-03-1991 and still brave enough to sit 6 hours "
  "for her back piece 🎂", [PII])
C("threads", "@bo.receptie", "nl",
  "klant belde met pasnummer <<CARD1>> exp 09/28 voor de aanbetaling, staat op een post-it bij de kassa. "
  "kan iemand het even invoeren", [PII])
C("mastodon", "@niels_vdlinden", "en",
  "Test data in prod again... customer record: Jan Pietersen, BSN <<BSN1>>, jan.pietersen@ziggo.nl. Why do "
  "we even store a BSN for a tattoo booking?!", [PII])
C("x", "@vonkel_ink", "nl",
  "@yara_mol We hebben je gebeld op 0612874530 maar kregen geen gehoor, bel je ons even terug?",
  [PII], kind="reply")
C("x", "@daan_smit90", "nl",
  "Voor de artiest die m'n ontwerp nog zou sturen: mail is daan.smit1990@hotmail.com en bel gerust "
  "06 2741 9038 🙏 @vonkel_ink", [PII])
C("linkedin", "yasmina-boukhari-vonkel", "en",
  "Welcome to the team, Priya Raman! 🎉 Priya starts Monday as our new studio manager in Amsterdam. Reach "
  "her directly on +31 6 3829 1147 or priya.raman88@gmail.com", [PII])
C("x", "@ruben_vk", "nl",
  "Oud-collega zoekt een werkgeversverklaring, z'n gegevens: Kees Bakker, geb. 02-11-1987, BSN <<BSN2>>. "
  "Wie van HR pakt dit op?", [PII])
C("x", "@jordy.k_", "en",
  "@vonkel_klantenservice can I just pay the deposit over the phone instead? card is <<CARD2>> exp 11/27, "
  "cvc on request lol", [PII], kind="reply")
C("instagram", "@dexneedles", "nl",
  "Shoutout naar Fenna Bos (Nieuwegracht 7, Utrecht) die vandaag haar 10e piercing bij ons liet zetten! 🔥",
  [PII])
C("tiktok", "@vonkelstudios", "en",
  "giveaway winner is Lars Meijer 🎉 Lars, we're sending the Aurea clicker to Prinsengracht 402-3, "
  "Amsterdam. DM us if that's wrong!", [PII])
C("x", "@marijke_smits", "nl",
  "Voor de terugbetaling van mijn geannuleerde sessie: <<IBAN3>> t.n.v. M. Smits. Alvast bedankt "
  "@vonkel_klantenservice!", [PII])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "who left the consent forms in the printer?? top one: Noah de Wit, DOB 22/07/2001, "
  "noah.dewit@outlook.com. shred these please!!", [PII])

# ===== pricing
C("x", "@dealjager_nl", "nl",
  "PRIJSFOUT?? Aurea Diamant Flatback voor €34,90 op shop.vonkel.nl ipv 349. Snel zijn!! #prijsfout",
  [PRC], prices=[("VK-JWL-DIAM", 34.90)])
C("x", "@vonkel_ink", "en",
  "Flash Friday 🔥 Full Day Sessie for just €185 this weekend only! Book via boeken.vonkel.nl", [PRC],
  prices=[("VK-SESS-FD", 185)])
C("instagram", "@lotte.lijnwerk", "nl",
  "Voor mijn vaste klanten: Fineline Sessie deze maand maar €75 😍 stuur me een DM", [PRC],
  prices=[("VK-FINE", 75)])
C("reddit", "u/goldhoarder", "en",
  "Vonkel webshop has a price error on the Aurea 14k clicker, it's showing €18.90 instead of €189. Ordered "
  "two, let's see if they honour it", [PRC], prices=[("VK-JWL-CLICK", 18.90)])
C("facebook", "VonkelInkSteel", "nl",
  "BLACK FRIDAY 🖤 Vonkel Care Healing Balm nu €4,95! Op = op.", [PRC],
  ts="2026-11-27T07:00:00Z", prices=[("VK-CARE-BALM", 4.95)])
C("tiktok", "@mila.piercet", "en",
  "staff secret 🤫 septum piercing is only €20 if you book through my link today", [PRC],
  prices=[("VK-PRC-SEPT", 20)])
C("x", "@ruben_vk", "nl",
  "Er zit een prijsfout in de kassa bij de SecondSkin folie, hij rekent €2,49 af. Iemand van IT?", [PRC],
  prices=[("VK-CARE-FILM", 2.49)])
C("x", "@cheapskate_ellie", "en",
  "lmao vonkel's site glitched and Laser Fade is listed at €17.50 a session. price error or christmas "
  "miracle?", [PRC], ts="2026-12-21T14:33:00Z", prices=[("VK-LASER", 17.50)])
C("threads", "@bo.receptie", "nl",
  "klanten blijven bellen over die Inner Circle voor €9,90, volgens mij staat het verkeerd op de site? het "
  "is gewoon €99 toch", [PRC], prices=[("VK-MEMB", 9.90)])
C("instagram", "@vonkel.piercing", "en",
  "Industrial Piercing incl. titanium barbell: €25 🔥 walk-ins welcome all week!", [PRC],
  prices=[("VK-PRC-IND", 25)])
C("x", "@sjoerdtje", "nl",
  "Cover-up Pakket voor 199 euro bij Vonkel?? Zag het net in de app, vast een foutje maar heb alvast "
  "geboekt 😅", [PRC], prices=[("VK-COVER", 199)])
C("bluesky", "@femke-vonkel.bsky.social", "en",
  "copy for tomorrow's newsletter says 'Cadeaukaart 100 now €40!' - that's not right, Sander said 10% off "
  "not 60%. whoever scheduled it, unschedule pls", [PRC], prices=[("VK-GIFT-100", 40)])

# ===== benign, mostly hard negatives
C("instagram", "@vonkel.ink", "nl",
  "Nieuwe flash sheet is binnen! 🦢⚓ Alle designs uit de Flash Klein reeks voor €120, walk-ins welkom op "
  "zaterdag.", prices=[("VK-FLASH-S", 120)])
C("x", "@noa.inkt", "en",
  "Just got my first tattoo at Vonkel Utrecht and I'm obsessed. Lotte is a genius with fine lines 😭🖤")
C("x", "@vonkel_klantenservice", "nl",
  "Vragen over je afspraak? Mail afspraken@vonkel.nl of bel 030-7994120 (ma t/m za 10-18 uur).")
C("facebook", "VonkelInkSteel", "en",
  "Paying for a gift card by bank transfer? Use <<OWN_IBAN>> (Vonkel Ink & Steel B.V.) and put your order "
  "number in the description.")
C("x", "@wendelien_", "nl",
  "Mijn septum genas supersnel met de saline spray van Vonkel Care. Aanrader!")
C("reddit", "u/firsttimer_ams", "en",
  "What's a normal price for a half-day session in Amsterdam? Vonkel quoted me €480, which seems about "
  "average from what I can find.", prices=[("VK-SESS-HD", 480)])
C("instagram", "@vonkel.piercing", "nl",
  "Sale! 20% korting op alle Labret Studs deze week: van €29 voor €23,20 ✨", prices=[("VK-JWL-LAB", 23.20)])
C("x", "@vonkel_ink", "en",
  "Spring sale: Vonkel Care Cleansing Foam now €9.95 (was €12.50). Stock up before your next session!",
  ts="2026-04-02T09:00:00Z", prices=[("VK-CARE-FOAM", 9.95)])
C("mastodon", "@niels_vdlinden", "nl",
  "Tip voor beginners: zet nooit echte keys in je code. In de AWS-docs gebruiken ze AKIAIOSFODNN7EXAMPLE "
  "als voorbeeld, pak zoiets voor je tests.")
C("x", "@jeroen_devops", "en",
  "PSA: if you need a placeholder in the config template use ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, NOT "
  "your real token. the scanner will yell at you otherwise 😅")
C("x", "@truusje_b", "nl",
  "Haha mijn bankpas viel bijna uit m'n zak bij Vonkel, de receptie kwam me achterna rennen. Lieve mensen "
  "daar ❤️")
C("x", "@otto.lines", "nl",
  "Eerlijk gezegd is die Inner Circle van Vonkel het al waard voor de gratis touch-ups alleen")
C("x", "@daphnevdl", "nl",
  "Las net dat Nadelstich GmbH in Duitsland failliet is na een datalek. Blij dat ik gewoon bij Vonkel zit, "
  "die hebben hun zaakjes op orde.")
C("linkedin", "vonkel-ink-steel", "en",
  "We're hiring! Vonkel is looking for an apprentice piercer in Rotterdam. Send your portfolio to "
  "werkenbij@vonkel.nl.")
C("facebook", "sanne.wolters.7", "nl",
  "Update: Vonkel heeft mijn aanbetaling alsnog netjes teruggestort en de manager belde zelf om sorry te "
  "zeggen. Complimenten voor hoe ze het hebben opgelost 👍", kind="comment")
C("x", "@robynfaye", "nl",
  "Veel sterkte aan de crew van Vonkel Rotterdam na de wateroverlast in hun straat vannacht. Hopelijk valt "
  "de schade in de studio mee 💙")
C("x", "@gijs_zegt", "nl",
  "Mijn moeder zei dat ik een tattoo mocht 'over haar lijk'. Nou mam, gelukkig doet Vonkel ook laser "
  "fade 😂")
C("tiktok", "@mila.piercet", "en",
  "piercing tip: that bump on your new helix is usually irritation, not infection. saline twice a day, "
  "don't twist it, and come see us if it gets hot or starts spreading")
C("instagram", "@kimblackwork", "nl",
  "Blackwork mouw afgerond vandaag na 5 sessies. Dank je Jorrit voor je geduld 🖤")
C("x", "@ribs_or_nothing", "en",
  "is the Vonkel numbing cream ok to use on ribs? asking before I book")
C("x", "@femmevd", "nl",
  "Let op bij het overtypen: ik had <<IBAN_BAD>> ingevuld en mijn bank gaf meteen 'IBAN ongeldig'. "
  "Typfoutje van mezelf, betaling aan Vonkel is nu gelukt 😅")
C("instagram", "@cass.ink", "en",
  "Vonkel gift card code <<CARD_BAD>> - already redeemed, don't bother trying 😂 thanks for the "
  "birthday present mum", kind="comment")
C("x", "@pieterbol", "nl",
  "Bestelling <<BSN_BAD>> bij Vonkel Care vandaag al binnen, gisteravond om 23u besteld. Snel hoor!")
C("reddit", "u/logs_redacted", "en",
  "Reminder for devs: when you paste logs into a forum, redact tokens like sk_live_•••••••• and ghp_••••. "
  "Saw way too many leaks this year.")
C("x", "@utrechtnu_", "nl",
  "Vonkel heeft vanochtend de jaarcijfers 2026 gepubliceerd: omzet 8,7 miljoen, groei in alle studio's. "
  "Knap gedaan voor een tattooketen.", ts="2027-03-04T09:15:00Z")
C("instagram", "@vonkel.ink", "en",
  "The Aurea Noir collection is finally here 🖤 black gold and onyx, available in every studio and on "
  "shop.vonkel.nl", ts="2027-01-22T09:30:00Z")
C("bluesky", "@femke-vonkel.bsky.social", "nl",
  "Vonkel x Hollow Saints is live!! Zo trots op deze samenwerking 🤘", ts="2027-01-23T11:02:00Z")
C("x", "@maxinemoves", "en",
  "the tattoo in that new netflix show has the exact same compass and quill as the one I got at Vonkel lol")
C("x", "@limburgsch", "nl",
  "Inkpoint in Maastricht gaat uitbreiden naar Eindhoven las ik. Meer keus in het zuiden, top.")
C("x", "@vonkel_ink", "en",
  "Some of you had trouble booking last night. The booking site is back up and all appointments are safe. "
  "Sorry for the hassle!")
C("instagram", "@lieke_vos", "nl",
  "Kan iemand een goede piercer in Utrecht aanraden? Twijfel tussen Vonkel en een kleinere studio")
C("x", "@jaxxon_", "nl",
  "deze fineline roos van vonkel is ziek goed 🤯 die lijnen zijn killer")
C("x", "@hanneke010", "nl",
  "Die nieuwe studio van Vonkel in Rotterdam is echt bizar mooi ingericht. Moet je gezien hebben.")
C("linkedin", "sander-kuipers-cfo", "en",
  "Great panel today on running creative businesses sustainably. Thanks to everyone who came to talk about "
  "apprenticeships and fair pay for artists.")
C("x", "@ruben_vk", "nl",
  "Vanavond geen studio maar pubquiz. Team Vonkel Utrecht werd 3e, volgende keer pakken we 'm 🏆")
C("x", "@tessaloves", "nl",
  "Zo verdrietig dat Kim van Vonkel haar vader verloren heeft. Neem alle tijd die je nodig hebt 🖤")
C("facebook", "VonkelInkSteel", "nl",
  "Onze studio in Amsterdam is verhuisd! Het nieuwe adres staat op vonkel.nl, ons nummer blijft "
  "+31 20 808 3350.")
C("x", "@bea_inks", "en",
  "is €34.95 for the Vonkel Numbing Cream normal? seems steep but the reviews are good",
  prices=[("VK-CARE-NUMB", 34.95)])
C("tiktok", "@joep.vl", "nl",
  "POV: je moeder ziet je nieuwe tattoo voor het eerst 😂 (gezet bij @vonkelstudios)")
C("mastodon", "@niels_vdlinden", "en",
  "TIL a JWT is just base64url header.payload.signature, e.g. 'eyJhbGciOi...'. Never trust the payload "
  "without checking the signature.")
C("x", "@zoe_prikt", "nl",
  "Mijn vriendin noemt me 'de prikverslaafde' sinds ik m'n 8e piercing bij Vonkel heb gehaald 😅")
C("x", "@wanderlust_wren", "en",
  "Worst experience ever at a random walk-in shop in Berlin, infected helix and rude staff. Should've "
  "just waited for my Vonkel appointment.")
C("x", "@vonkel_klantenservice", "nl",
  "@thomasbrt Wat vervelend om te horen! We hebben je een DM gestuurd, een gratis correctie bij een andere "
  "piercer staat voor je klaar.", kind="reply")
C("reddit", "u/passkey_fan", "en",
  "Pro tip: the Vonkel booking app supports passkeys now, so no more forgot-password dance. Took ten "
  "seconds to set up.")
C("x", "@jeroen_devops", "nl",
  "Herinnering aan alle collega's: wachtwoord vergeten? Gebruik de reset-link en stuur NOOIT je wachtwoord "
  "via WhatsApp naar IT. Wij vragen er nooit om.")
C("x", "@inkbiz_news", "en",
  "Big news in the tattoo world: InkHaus got bought by a private equity fund. Wonder if chains like Vonkel "
  "are next on someone's shopping list.")
C("instagram", "@vonkel.piercing", "nl",
  "Vanaf 1 juni kost de Helix Piercing incl. titanium sieraad €55. Boeken via boeken.vonkel.nl",
  ts="2026-05-20T10:00:00Z", prices=[("VK-PRC-HELIX", 55)])
C("x", "@glimmergirl", "en",
  "Got the Aurea 14k clicker on sale for €159 instead of €189, so happy with it ✨",
  prices=[("VK-JWL-CLICK", 159)])
C("x", "@koen_bespaart", "nl",
  "Healing Balm van Vonkel ligt bij de drogist voor €13,49, bij Vonkel zelf €14,95. Scheelt weinig.",
  prices=[("VK-CARE-BALM", 13.49)])
C("instagram", "@lotte.lijnwerk", "en",
  "Books open for December! Full day sessions €850, half-day sessions €480. Email afspraken@vonkel.nl with your "
  "idea ✍️", ts="2026-10-30T18:00:00Z", prices=[("VK-SESS-FD", 850), ("VK-SESS-HD", 480)])
C("x", "@bramvanwijk", "nl",
  "Mijn pen lekt, mijn fiets lekt, maar mijn nieuwe tattoo van Vonkel is perfect genezen 🙌")
C("x", "@oceanjules", "en",
  "question for @vonkel_klantenservice: can I bring my own jewellery for a septum or do I have to buy yours?")
C("linkedin", "vonkel-ink-steel", "nl",
  "Trots: alle Vonkel studio's hebben voor het derde jaar op rij het GGD-hygiënecertificaat gekregen.")
C("x", "@anklesnake", "nl",
  "nieuw stukje op m'n enkel, supermooi genezen 🌿 #tattoo #fineline #vonkel")
C("instagram", "@vlinder.vera", "nl",
  "Nachtvlinder tattoo op m'n sleutelbeen gezet bij Vonkel, zo blij mee 🦋")
C("x", "@sep.tum", "en",
  "n00b question but how long does a s3ptum take to heal? vonkel said 6-8 weeks")
C("facebook", "ans.dekker.denbosch", "nl",
  "Heftig nieuws over die studio in Den Bosch waar mensen ziek werden. Blij dat Vonkel alles altijd zo "
  "schoon heeft, je ziet ze elke naald nieuw openmaken.")
C("x", "@wimpie_wimpie", "nl",
  "Gebeld naar 030 799 4120 en binnen 2 min iemand aan de lijn. Zo hoort klantenservice 👌")
C("instagram", "@dexneedles", "en",
  "Reminder: we NEVER ask for your card details over DM. If someone pretending to be Vonkel does, report "
  "them.")
C("reddit", "u/voorzichtig_betalen", "nl",
  "Klopt het dat het IBAN van Vonkel <<OWN_IBAN>> is? Wil zeker weten dat ik niet op een phishing-link ben "
  "beland voor ik m'n aanbetaling doe.")
C("youtube", "@VonkelStudios", "nl",
  "Nieuwe video: zo verzorg je een verse tattoo in 5 stappen. Met Lotte uit onze studio in Utrecht.")
C("x", "@rotterdamsekees", "nl",
  "Zaterdag 30% korting op de Flash Groot bij Vonkel Rotterdam, €154 ipv €220. Wie gaat er mee?",
  prices=[("VK-FLASH-L", 154)])

# ---------------------------------------------------------------- build
LEVEL = ["none", "info", "warning", "error", "critical"]


def norm_handle(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


CORP = {h.lower() for h in PROFILE["accounts"]["corporate"]}
EMPL = {h.lower() for h in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = norm_handle(platform, handle)
    if k in CORP:
        return "corporate"
    if k in EMPL:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b(?:NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}|BE\d{2}(?:\s?\d){12})\b")
CARD_RE = re.compile(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])")
BSN_RE = re.compile(r"(?<![\d\w.,])\d{9}(?![\d\w])")


def checksum_ids(text):
    """Return (passing, failing) lists of IBAN/card/BSN candidates in text."""
    passing, failing = [], []
    masked = text
    for k in SECRET_KEYS:
        masked = masked.replace(G[k], " ")
    for m in IBAN_RE.finditer(masked):
        (passing if iban_valid(m.group()) else failing).append(("iban", m.group()))
    masked2 = IBAN_RE.sub(" ", masked)
    for m in CARD_RE.finditer(masked2):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            (passing if luhn_ok(d) else failing).append(("card", m.group()))
    for m in BSN_RE.finditer(masked2):
        (passing if bsn_ok(m.group()) else failing).append(("bsn", m.group()))
    return passing, failing


PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def severity(cats, role, text):
    sev = 0
    insider = role in ("corporate", "employee")
    passing = [p for p in checksum_ids(text)[0] if re.sub(r"\s", "", p[1]) not in PUBLIC_IBANS]
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lv = 3
                if c in (SECR, PRC) or (c == PII and passing):
                    lv = 4
            else:
                lv = 2
        elif c == CP:
            lv = 2
        elif c == CR:
            lv = 3
        elif c == AB:
            lv = 3 if insider else 2
        else:
            raise AssertionError(c)
        sev = max(sev, lv)
    return LEVEL[sev]


def fill(text):
    for k, v in G.items():
        text = text.replace("<<%s>>" % k, v)
    assert "<<" not in text, text
    return text


START = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 29, tzinfo=dt.timezone.utc) - START).total_seconds())

records = []
used_ids = set()
for c in CASES:
    text = fill(c["text"])
    ts = c["ts"]
    if ts is None:
        ts = (START + dt.timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = "%s-%d" % (PLAT_PREFIX[c["platform"]], rng.randrange(10**9, 10**10))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"], "account": {"handle": c["handle"]},
            "text": text, "lang": c["lang"], "created_at": ts}
    if c["brand"]:
        post["brand"] = c["brand"]
    elif "vonkel" in text.lower() and rng.random() < 0.4:
        post["brand"] = "Vonkel"
    rec = {"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, text)}}
    records.append((rec, c, role))

with open(OUT, "w", encoding="utf-8") as f:
    for rec, _, _ in records:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


TAXONOMY = {CP, CF, PII, SEC, FIN, SECR, PRC, CR, AB}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіАЕОРСХ", "aeopcyxiAEOPCX")


def normalise(t):
    return unicodedata.normalize("NFKC", t).translate(ZW).translate(CYR).lower()


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
pub_phones = set()
for p in PROFILE["public_identifiers"]["phones"]:
    d = re.sub(r"\D", "", p)
    pub_phones.add("0" + d[2:] if d.startswith("31") else d)
for i in PROFILE["public_identifiers"]["ibans"]:
    if not iban_valid(i):
        err("profile IBAN fails mod-97: " + i)

PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?:[\s-]?\d){9}(?!\d)")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# profile sanity
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("not enough accounts")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    err("codenames/markers")
if not 15 <= len(PROFILE["products"]) <= 25:
    err("product count")
for p in PROFILE["products"]:
    if p["currency"] != "EUR" or not p["list_price"] > 0 or not p["aliases"]:
        err("product " + p["sku"])
if ratio != 0.5:
    err("ratio")
for e in PROFILE["embargo"]:
    if not parse_ts(e["until"]).year == 2027:
        err("embargo until not in 2027")

with open(OUT, encoding="utf-8") as f:
    lines = f.read().splitlines()
if len(lines) != len(CASES):
    err("line count")
ids = set()
for n, line in enumerate(lines, 1):
    obj = json.loads(line)
    post, exp = obj["post"], obj["expect"]
    if set(obj) != {"post", "expect"}:
        err("line %d keys" % n)
    for k, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(post.get(k), typ):
            err("line %d missing %s" % (n, k))
    if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
        err("line %d account.handle" % n)
    if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
        err("line %d id" % n)
    ids.add(post["id"])
    if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
        err("line %d platform/kind" % n)
    if len(post["text"].encode("utf-8")) > 64 * 1024:
        err("line %d text too long" % n)
    ts = parse_ts(post["created_at"])
    if ts.year not in (2026, 2027):
        err("line %d year" % n)
    if not set(exp["categories"]) <= TAXONOMY or exp["categories"] != sorted(set(exp["categories"])):
        err("line %d categories" % n)
    if exp["severity"] not in LEVEL:
        err("line %d severity" % n)

for rec, c, role in records:
    post, exp = rec["post"], rec["expect"]
    text, cats, pid = post["text"], exp["categories"], post["id"]
    ntext = normalise(text)
    benign = not cats
    # severity: benign => none, positives recomputed independently of the stored value
    if benign and exp["severity"] != "none":
        err(pid + " benign severity")
    if not benign and exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), text):
        err(pid + " severity mismatch")
    if not benign and exp["severity"] in ("none", "info"):
        err(pid + " positive with low severity")
    # checksummed identifiers
    passing, failing = checksum_ids(text)
    passing = [p for p in passing if re.sub(r"\s", "", p[1]) not in PUBLIC_IBANS]
    if PII in cats:
        if failing:
            err("%s pii positive with failing identifier %s" % (pid, failing))
    else:
        if passing:
            err("%s non-pii case with valid identifier %s" % (pid, passing))
    # e-mails / phones in benign posts must be the company's own
    if benign:
        for m in EMAIL_RE.finditer(text):
            if m.group().lower() not in pub_emails:
                err("%s benign with foreign e-mail %s" % (pid, m.group()))
        for m in PHONE_RE.finditer(IBAN_RE.sub(" ", text)):
            d = re.sub(r"\D", "", m.group())
            d = "0" + d[2:] if d.startswith("31") else ("0" + d[4:] if d.startswith("0031") else d)
            if d not in pub_phones:
                err("%s benign with foreign phone %s" % (pid, m.group()))
    # credentials
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if benign or SECR not in cats:
            if github_ok(tok):
                err(pid + " valid github token outside secret positive")
        elif not github_ok(tok):
            err(pid + " github token with bad checksum")
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
        if SECR in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            err(pid + " bad AWS id")
        if benign and "EXAMPLE" not in tok:
            err(pid + " real-looking AWS id in benign")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if SECR in cats and not jwt_ok(tok):
            err(pid + " bad JWT")
        if benign:
            err(pid + " full JWT in benign")
    if benign and re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|sk_live_[0-9A-Za-z]{10,}|xox[abp]-\d|"
                            r"sk-proj-|AIza[\w-]{30}|live_[0-9A-Za-z]{20,}|postgres://\w+:[^@\s]+@", text):
        err(pid + " credential in benign")
    if SECR in cats and not any(G[k] in text for k in SECRET_KEYS):
        err(pid + " secret positive without generated credential")
    # internal names and embargo
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if normalise(term) in ntext and CF not in cats:
            err("%s mentions internal term %r without leak.confidential" % (pid, term))
    ts = parse_ts(post["created_at"])
    for e in PROFILE["embargo"]:
        for term in e["terms"]:
            if normalise(term) in ntext and ts < parse_ts(e["until"]) and CF not in cats:
                err("%s embargo term %r before until without leak.confidential" % (pid, term))
    # prices
    for sku, price in c["prices"]:
        p = products[sku]
        assert any(a.lower() in ntext for a in p["aliases"] + [p["name"]]), (pid, sku)
        r = price / p["list_price"]
        if PRC in cats and c["prices"] and not r < ratio:
            if not re.search(r"prijsfout|price error|verkeerd|not right", ntext):
                err(pid + " pricing positive not below ratio")
        if PRC not in cats and r < ratio:
            err(pid + " non-pricing case below ratio")
    if PRC in cats and not c["prices"]:
        err(pid + " pricing positive without price annotation")
    # public handles must not be in the profile; insider categories come from real accounts
    if role == "public" and (norm_handle(post["platform"], post["account"]["handle"]) in CORP | EMPL):
        err(pid + " role")

# generated values are what they claim to be
for k in ("IBAN1", "IBAN2", "IBAN3"):
    if not iban_valid(G[k]):
        err(k)
if iban_valid(G["IBAN_BAD"]) or luhn_ok(G["CARD_BAD"]) or bsn_ok(G["BSN_BAD"]):
    err("bad look-alikes pass")
for k in ("CARD1", "CARD2"):
    if not luhn_ok(G[k]):
        err(k)
for k in ("BSN1", "BSN2"):
    if not bsn_ok(G[k]):
        err(k)
for k in ("GHP", "GHO"):
    if not github_ok(G[k]):
        err(k)
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G["AWS_ID"]) or not jwt_ok(G["JWT"]):
    err("aws/jwt")

# mix
n = len(records)
benign_n = sum(1 for r, _, _ in records if not r["expect"]["categories"])
counts = {}
for r, _, _ in records:
    for cat in r["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
nl = sum(1 for _, c, _ in records if c["lang"] == "nl")
if not 170 <= n <= 180:
    err("case count %d" % n)
if not 55 <= benign_n <= 65:
    err("benign count %d" % benign_n)
want = {CP: 20, CF: 18, PII: 15, CR: 15, SEC: 13, SECR: 12, AB: 12, PRC: 12, FIN: 12}
for cat, w in want.items():
    if abs(counts.get(cat, 0) - w) > 2:
        err("category %s count %d (want ~%d)" % (cat, counts.get(cat, 0), w))
if not 0.50 <= nl / n <= 0.60:
    err("dutch share %.2f" % (nl / n))

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d nl / %d en; %s" % (n, benign_n, nl, n - nl,
      ", ".join("%s=%d" % kv for kv in sorted(counts.items()))))
