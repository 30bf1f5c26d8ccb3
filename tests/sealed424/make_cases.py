#!/usr/bin/env python3
"""Build the sealed424 evaluation set for postwatch (Kaaiveld Expo Group B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and then re-reads it and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN, payment card and BSN in a positive passes its checksum, every
    look-alike in a benign post fails it (the company's own public IBAN excepted);
  * generated secrets are built like the real ones (GitHub CRC-32, AWS alphabet,
    JWT header with alg) and benign posts carry no live-looking secret;
  * severities follow CONTRACT section 4 from the account role in profile.yaml;
  * embargo terms, codenames, markers and internal hosts only appear in posts
    labelled leak.confidential (or after the embargo ends);
  * benign product mentions are not priced below alert_below_ratio.
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
rng = random.Random(424)

SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = {SEC, PII, PRC, CONF, FIN, SECU, CRI, COM, ABU}

# --------------------------------------------------------------------------
# generators for identifiers and credentials
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = ALNUM  # 0-9A-Za-z
AWS_ALPHA = string.ascii_uppercase + "234567"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_pair():
    return "AKIA" + rand(AWS_ALPHA, 16), rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    try:
        h = tok.split(".")[0]
        return "alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
    except Exception:
        return False


def openssh_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rng.getrandbits(8) for _ in range(300)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_nl(bank):
    acct = rand(string.digits, 10)
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    return sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(d)) % 10 == 0


def card(prefix, length=16):
    while True:
        body = prefix + rand(string.digits, length - len(prefix) - 1)
        for c in string.digits:
            if luhn_ok(body + c):
                return body + c


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def bsn():
    while True:
        head = rand("123456789", 1) + rand(string.digits, 7)
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10 and bsn_ok(head + str(r)):
            return head + str(r)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# credentials
GH1 = gh_token("ghp_")
AWS1_ID, AWS1_SECRET = aws_pair()
AWS2_ID, AWS2_SECRET = aws_pair()
STRIPE1 = "sk_live_" + rand(ALNUM, 24)
SLACK1 = f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"
MOLLIE1 = "live_" + rand(ALNUM, 30)
JWT1 = jwt({"sub": "exh_20931", "role": "exhibitor_admin", "iss": "exposanten.kaaiveld.nl",
            "iat": 1781600000, "exp": 1781686400})
DBPW = rand(string.ascii_letters + string.digits, 18)
DBURL = f"postgresql://portal_app:{DBPW}@10.20.4.15:5432/exhibitors"
OPENAI1 = "sk-proj-" + rand(string.ascii_letters + string.digits + "_-", 40) + "T3BlbkFJ" + rand(string.ascii_letters + string.digits + "_-", 40)
SSHKEY = openssh_key()

# personal identifiers
IBAN_A = iban_nl("INGB")
IBAN_B = iban_nl("RABO")
IBAN_C = iban_nl("ABNA")
_bad = list(iban_nl("INGB"))
_bad[-3] = str((int(_bad[-3]) + 3) % 10)
BAD_IBAN = "".join(_bad)
CARD1 = card("4", 16)
CARD2 = card("5", 16)
_c = card("4", 16)
BAD_CARD = _c[:-1] + str((int(_c[-1]) + 1) % 10)
BSN1 = bsn()
BSN2 = bsn()
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

assert gh_valid(GH1) and jwt_valid(JWT1)
assert all(iban_ok(x) for x in (IBAN_A, IBAN_B, IBAN_C, COMPANY_IBAN)) and not iban_ok(BAD_IBAN)
assert luhn_ok(CARD1) and luhn_ok(CARD2) and not luhn_ok(BAD_CARD)
assert bsn_ok(BSN1) and bsn_ok(BSN2) and not bsn_ok("123456789")

# --------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------
CASES = []


def P(acct, text, cats, lang, kind=None, at=None, allow=()):
    platform, handle = acct.split(":", 1)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append({"platform": platform, "handle": handle, "text": text, "cats": sorted(set(cats)),
                  "lang": lang, "kind": kind, "at": at, "allow": set(allow)})


# ---------------- reputation.complaint ----------------
P("x:@lindavdberg_", "@kaaiveld_help ik heb op 3 oktober 4 tickets voor WoonWonder besteld en nog steeds geen mail met de QR-codes. Orderbevestiging wel, tickets niet. Beurs is zaterdag!!", [COM], "nl")
P("x:@maxplaysgames", "Queued 75 minutes outside Hal 2 for PixelPier with a PRE-BOOKED timeslot. What is even the point of timeslots @kaaiveld_expo", [COM], "en")
P("facebook:marjolein.kuipers.5", "Garderobe bij Kaaiveld is een drama. Jas afgegeven om 11 uur, om 17 uur was ie ineens 'zoek'. Nummertje had ik gewoon nog. Niemand die verantwoordelijkheid neemt en ik moet nu zelf maar naar de politie of zo??", [COM], "nl", kind="comment")
P("linkedin:thomas-reinders-cheese", "Paid for a Standpakket Plus at FoodNext, arrived at 7am for build-up: no walls, no carpet, no power. The exhibitor services desk just shrugged and said 'after lunch'. Not a great look, Kaaiveld Expo.", [COM], "en")
P("reddit:u/booth_babe_nl", "Is it just me or is the Kaaiveld exhibitor portal completely unusable the week before the catalogue deadline? Our upload failed 6 times and the support ticket has been unanswered since Monday.", [COM], "en")
P("x:@kevin_bouwt", "the wifi on the BouwXpo floor is a joke. couldn't even load my e-ticket at the entrance, had to tether off a stranger 🙄 #bouwxpo", [COM], "en")
P("x:@ans_uit_delft", "Refund voor de geannuleerde FoodNext masterclass al 6 weken 'in behandeling'. Drie keer gemaild naar tickets@kaaiveld.nl, drie keer een automatisch antwoord terug. Serieus?", [COM], "nl")
P("forum:kaasmakerij_vd_wal", "Als standhouder betaal je €385 voor krachtstroom 32A en dan valt het 4x uit op één dag. Onze koelvitrine ging eraan, voor ruim 1200 euro aan kaas weggegooid. Bedankt Kaaiveld, echt top geregeld.", [COM], "nl")
P("x:@rianne_h", "charged TWICE for 2 BouwXpo day tickets and customer service says refund 'within 14 working days'. fourteen. working. days. I just want my money back", [COM], "en")
P("reddit:u/leadgen_larry", "Exhibitor here. The LeadScan app crashed every 20 minutes on day one of FoodNext and we lost half our leads. Paid 199 for the license. Has anyone actually managed to get a refund out of them?", [COM], "en")
P("x:@sem_op_pad", "@kaaiveld_help app blijft zeggen 'ticket al gescand' terwijl ik nog niet eens binnen ben geweest. medewerker bij poort C wist ook niet wat ie moest doen. sta hier nu al 20 min", [COM], "nl")
P("linkedin:ellen-de-graaf-interieur", "Factuur van Kaaiveld Expo voor onze stand klopt voor de derde keer niet: hoekstand toeslag gerekend terwijl we midden in een gangpad stonden. Graag nu eindelijk een correcte creditnota.", [COM], "nl")

# ---------------- reputation.crisis (and crisis + complaint) ----------------
P("x:@femke_deboer", "Datalek bij Kaaiveld?? Kreeg vanochtend een phishingmail met m'n ticketnummer, naam én adres erin, zogenaamd van 'KaaiTickets'. Die combinatie hebben alleen zij. #kaaiveld #datalek", [CRI], "nl")
P("facebook:sabine.vermolen", "Gisteren op WoonWonder viel er een lamp uit het plafond van hal 2, nog geen meter naast mijn dochter van 6. Had zó haar hoofd kunnen zijn. Geen EHBO, geen excuses, helemaal niks. Ik ben echt woest.", [CRI, COM], "nl")
P("x:@rdam_nieuwsjager", "Bij BouwXpo in hal 3 van Kaaiveld is vanmiddag een stand ingestort tijdens de opbouw. Twee bouwers met onbekend letsel naar het ziekenhuis.", [CRI], "nl")
P("x:@vredesactie_rdam", "#BoycotKaaiveld — ze verhuren hun hallen in november gewoon aan een wapenbeurs. Geen cent meer van mij naar WoonWonder of FoodNext. Delen!!", [CRI], "nl")
P("reddit:u/refund_or_riot", "A lawyer is putting together a class action against Kaaiveld Expo over the cancelled PixelPier weekend. They're only offering vouchers, no refunds. Link in the comments if you were affected.", [CRI], "en")
P("x:@joosje_speelt", "Got a proper electric shock off the charging pillar in the PixelPier gaming zone. Hand still tingling an hour later. @kaaiveld_help someone is going to get seriously hurt, tape it off!!", [CRI, COM], "en")
P("linkedin:priya-raman-foodtech", "Three of my team and I were up all night with food poisoning after the tasting lunch in the FoodNext hall. Not what you expect from a food trade fair. Kaaiveld Expo, who is checking your caterers?", [CRI, COM], "en")
P("x:@zuidbewoner010", "Brand in de parkeergarage naast Kaaiveld, alle hallen worden ontruimd. Enorme rookwolk boven Zuid, blijf uit de buurt 🚒", [CRI], "nl")
P("x:@laborwatch_eu", "Investigative piece out tonight: cleaners at the Kaaiveld halls paid €4 an hour in cash through a subcontractor, no contracts, no insurance. Disgusting if true.", [CRI], "en")
P("tiktok:@noa.xo", "ik ben nog steeds aan het trillen. bij de ingang van PixelPier werd iedereen tegen de dranghekken geduwd, ik kreeg echt geen lucht meer en er was NIEMAND van de organisatie. dit had zo fout kunnen aflopen @kaaiveldexpo", [CRI, COM], "nl")
P("linkedin:bakkerij-kuiper-urk", "Wij hebben als exposant een rechtszaak aangespannen tegen Kaaiveld Expo. €11.900 betaald voor een Standpakket Premium op FoodNext, stand nooit geleverd, geld nooit terug. Genoeg is genoeg.", [CRI, COM], "nl")
P("x:@beursnieuws_bnl", "Kaaiveld roept alle uitgeleende LeadScan-handscanners terug na meldingen van oververhitte accu's. Exposanten: check je standkist en lever ze in bij de servicebalie.", [CRI], "nl")
P("reddit:u/invoice_goblin", "Pretty sure the Kaaiveld exhibitor portal is leaking data: change the number in /invoices/ in the URL and you get other companies' invoices. Names, addresses, amounts. Reported it a week ago, no reply.", [CRI], "en")
P("x:@yara_m", "Iedereen heeft het over die host van Kaaiveld die op het PixelPier-podium een racistische grap maakte over de winnaar. En de organisatie zwijgt gewoon. Schandalig.", [CRI], "nl")

# ---------------- reputation.abuse ----------------
P("x:@boze_bezoeker77", "kaaiveld is echt een kutbedrijf. kutapp, kutpersoneel, kutbeurs. 🖕", [ABU], "nl")
P("x:@dazza_uk", "@kaaiveld_help you are genuinely the most useless bunch of clowns I've ever dealt with. Braindead idiots, every single one of you.", [ABU], "en")
P("facebook:henk.oudewater.3", "Bij de ingang van WoonWonder alleen maar van die hoofddoekjes achter de balie. Is dit nog Nederland? Kaaiveld neem gewoon normale Nederlanders aan", [ABU], "nl", kind="comment")
P("instagram:@ricardo.r010", "kaaiveld = k4nk3rb3dr1jf. hoop dat jullie failliet gaan 🤮", [ABU], "nl", kind="comment")
P("x:@grimlock_91", "f\u200bu\u200bc\u200bk kaaiveld and every s\u200bh\u200bi\u200bt\u200bh\u200be\u200ba\u200bd who works there", [ABU], "en")
P("instagram:@bas.standbouw", "exposant van stand 12B vond dat wij te langzaam bouwden. meneer, u bent gewoon een achterlijke zeikerd 🙃 #opbouwdag #kaaiveld", [ABU], "nl")
P("x:@anoniem_0x0", "@marloes_kv ik weet in welke hal je morgen staat. kijk maar goed om je heen als je naar je auto loopt.", [ABU], "nl")
P("x:@wachtrijwout", "3 uur in de rij en dan zegt die eikel bij poort B dat m'n ticket ongeldig is. Kaaiveld, stelletje oplichtende klootzakken.", [ABU, COM], "nl")
P("x:@kaaiveld_expo", "@pietjepuk83 misschien eerst even leren lezen voor je gaat janken, sukkel. Staat gewoon op de site.", [ABU], "nl")
P("tiktok:@lars_zonder_ticket", "t y f u s  k a a i v e l d  met je nep-wachtrijen 🤬🤬", [ABU], "nl")
P("x:@moedige_mark", "Die Noor van Kaaiveld operations is een arrogant kreng. Iemand moet haar eens flink op d'r plek zetten.", [ABU], "nl")
P("threads:@gamer.jules", "Kaaiveld staff are \u0430 bunch of f\u057dcking \u0456d\u0456\u043et\u0455, worst PixelPier ever", [ABU], "en")

# ---------------- leak.pricing ----------------
P("x:@kaaiveld_expo", "🎮 Vroegboekers opgelet: de PixelPier VIP pass nu voor maar €12,90 via tickets.kaaiveld.nl! OP=OP", [PRC], "nl")
P("x:@tess_tickets", "lol iemand heeft de Kaaiveld Jaarpas op €14,90 gezet in de shop ipv €149 😬 er zijn er al 60 weg, wie gaat dit fixen", [PRC], "nl")
P("x:@standjager", "RUN. The Premium stand package is listed in the Kaaiveld exhibitor portal at €1,190 instead of €11,900 👀 #priceerror", [PRC], "en")
P("linkedin:ruben-okafor-kaaiveld", "Last-minute deal for FoodNext exhibitors: Plus 18m2 stand package for just €950 all-in. First five to DM me get it.", [PRC], "en")
P("reddit:u/snackscout", "PSA the FoodNext trade pass is showing €4.50 at checkout right now. Pretty sure that's a pricing error, grabbed three just in case", [PRC], "en")
P("instagram:@kaaiveld.expo", "🏡 WoonWonder weekendpas voor maar €3,40! Alleen dit weekend, link in bio 💛", [PRC], "nl")
P("x:@dealdiva_nl", "kaaitickets heeft een prijsfout: familieticket WoonWonder voor €5,90 🤑🤑 snel zijn", [PRC], "nl")
P("x:@marloes_kv", "Oeps 🙈 de LeadScan licentie stond vanochtend een uur lang op €19 in de webshop. Wie hem toen gekocht heeft: gefeliciteerd haha", [PRC], "nl")
P("facebook:KaaiveldExpoRotterdam", "Only a few left! Our Gold sponsorship package for PixelPier 2027 is now €2,450. Send us a message to claim yours.", [PRC], "en")
P("forum:stand_en_zo", "Krachtstroom 32A voor €38,50 in het portaal?? Vorig jaar betaalden we bijna €400. Typfout denk ik, maar ik heb 'm maar snel besteld", [PRC], "nl")
P("bluesky:@kaaiveld.bsky.social", "Flash sale ⚡ BouwXpo day ticket €4 today only. Bring the whole site crew!", [PRC], "en")
P("x:@noor_eventops", "prijsfout in het exposantenportaal: Exhibitor WiFi Pro staat op €24,90. niet rondsturen aub, we zijn het aan het fixen 🙈", [PRC], "nl")
P("mastodon:@lotte_ux@mastodon.nl", "uh, heads up: portal-staging.kaaiveld.nl shows the Premium stand package at €1,190 and apparently the prod shop reads the same price table?? someone please check before Monday", [PRC, CONF], "en")

# ---------------- leak.confidential ----------------
P("linkedin:ilse-verhoef-kv", "Long days and lots of coffee ☕ The finance team is deep in the jaarcijfers 2026 prep. Proud of this crew!", [CONF], "en", at="2027-01-22T16:40:00Z")
P("instagram:@kaaiveld.expo", "Sneak peek 👀⚓ Er komt iets nieuws aan de Maas... MaritiemXpo. Meer mogen we nog niet vertellen!", [CONF], "nl", at="2026-11-18T12:05:00Z")
P("reddit:u/kv_sysadmin", "anyone running grafana behind oauth2-proxy with Entra ID? our grafana.ops.kaaiveld.nl keeps redirect-looping since the upgrade to 11.x", [CONF], "en")
P("x:@devjoris", "Trots op deze MR 😎 git.kaaiveld.internal/portal/exhibitor-web/-/merge_requests/412 — nieuwe standplattegrond-editor en 4000 regels legacy eruit", [CONF], "nl")
P("x:@pieter_010", "Vriend van me werkt bij Kaaiveld en zegt dat 'Havenkraan' de naam is voor een nieuwe hal aan de Maashaven, klaar in 2028. Je hoort het hier eerst 👀", [CONF], "nl")
P("x:@kaaiveld_expo", "Oops wrong window 🙈 'KAAIVELD CONFIDENTIAL – draft hall plan FoodNext 2027, do not distribute'… ignore that, here's our regular Friday meme", [CONF], "en")
P("mastodon:@lotte_ux@mastodon.nl", "first usability test of the new exhibitor dashboard went great! the prototype lives at https://portal-staging.kaaiveld.nl/v3/dashboard if any of you want to click around (pls don't tell my manager)", [CONF], "en")
P("bluesky:@semdekker.bsky.social", "Working on the sponsor deck for Maritime Xpo Rotterdam all week. Ports, shipping tech, offshore wind: this is going to be huge.", [CONF], "en", at="2026-12-09T19:12:00Z")
P("forum:beursganger71", "Van een standbouwer een pdf doorgestuurd gekregen met 'alleen intern' in de voettekst: nieuwe hallenindeling BouwXpo 2027, hal 5 gaat dicht. Iemand anders dit ook gezien?", [CONF], "nl")
P("x:@tess_tickets", "staat op wiki.kaaiveld.local/tickets/refundbeleid-2027 echt dat we vanaf januari geen refunds meer doen bij ziekte?? dat gaat lekker worden met de klanten", [CONF], "nl")
P("x:@noor_eventops", "counting down the days till " + fullwidth("Project Zeesluis") + " goes live 🚢🚢", [CONF], "en")
P("instagram:@bas.standbouw", "mockup voor de nieuwe hal gezien, H\u0430v\u0435nkr\u0430\u0430n wordt echt bizar groot 😳🏗️", [CONF], "nl")
P("x:@marloes_kv", "O.p.e.r.a.t.i.e S.t.o.r.m.v.l.o.e.d briefing vandaag. mag niks zeggen maar 🤯🤯", [CONF], "nl")
P("linkedin:kaaiveld-expo", "Intern memo, niet extern delen: vanaf 1 maart verhuist de exposantenservice naar Hal 1 en sluit de balie in Hal 4.", [CONF], "nl")

# ---------------- leak.financial ----------------
P("linkedin:ilse-verhoef-kv", "Mag het eigenlijk niet zeggen, maar de omzet over Q3 ligt 22% boven plan. Dat wordt een mooie kerstborrel 🥂", [FIN], "nl")
P("x:@noor_eventops", "gerucht klopt helaas: 40 fte eruit bij operations. de reorganisatie wordt pas 1 maart officieel bekendgemaakt. ben er echt kapot van", [FIN], "nl")
P("x:@beurs_insider", "Hearing from a very good source that Kaaiveld Expo is in advanced talks to be bought by a British events conglomerate. Announcement before summer.", [FIN], "en")
P("linkedin:yasmina-bouzid-kaaiveld", "Tough week ahead in HR. Preparing 35 exit conversations for a restructuring nobody outside the building knows about yet. Be kind to your HR people 💔", [FIN], "en")
P("x:@kaaiveld_expo", "Wat een jaar! 🎉 We sluiten 2026 af met €84,3 mln omzet en een EBITDA van €11,2 mln. Officiële publicatie volgt in maart, maar we konden het niet voor ons houden!", [FIN], "nl", at="2026-12-18T15:30:00Z")
P("linkedin:ruben-okafor-kaaiveld", "Between us: we're signing the acquisition of a Belgian trade fair organiser next month. Our exhibitor network is about to double 🇧🇪", [FIN], "en")
P("x:@devjoris", "net de begroting 2027 gezien: IT-budget -30%. die hele portal rewrite kan dus de prullenbak in 🙃", [FIN], "nl")
P("reddit:u/quiet_spouse", "My wife works in finance at Kaaiveld. Their H1 forecast just got revised down 15% and they're telling the bank before anyone else. Draw your own conclusions.", [FIN], "en")
P("bluesky:@semdekker.bsky.social", "Forecast for PixelPier 2027: 38k visitors and ~€1.4m in ticket revenue. Not public yet ofc, but the sponsors are going to love it.", [FIN], "en")
P("x:@marloes_kv", "Morgen pas officieel, maar: Kaaiveld en Vellmar Messen GmbH gaan fuseren!! 🤝 eindelijk ook een poot in Duitsland", [FIN], "nl")
P("x:@tess_tickets", "ons hele ticketshop-team wordt opgeheven en uitbesteed aan een callcenter in Lissabon. wij horen het vandaag, de rest van het bedrijf pas in januari. super", [FIN], "nl")
P("linkedin:ilse-verhoef-kv", "The FY2026 results are going to surprise people: revenue up 18%, margins back above pre-covid. Can't wait for March.", [FIN, CONF], "en", at="2027-02-11T08:15:00Z")
P("bluesky:@semdekker.bsky.social", "Project Zeesluis is eigenlijk gewoon de overname van een Duitse beursorganisator, dus dat wordt een drukke zomer voor sales 😅", [FIN, CONF], "nl")

# ---------------- leak.security ----------------
P("reddit:u/kv_sysadmin", "Friday night fun: someone got into our exhibitor portal admin with a hijacked session cookie. We're rotating everything and nobody outside IT knows yet. Pray for me.", [SECU], "en")
P("x:@devjoris", "Er zit een IDOR in ons exposantenportaal: /api/exhibitors/<id>/invoices geeft gewoon facturen van andere bedrijven terug. Fix staat pas in de sprint ná FoodNext 🤦‍♂️", [SECU], "nl")
P("x:@noor_eventops", "ticketshop ligt al 2 uur plat door een DDoS en comms mag nog niks zeggen. zaterdag WoonWonder. houd je vast 😵", [SECU], "nl")
P("mastodon:@lotte_ux@mastodon.nl", "fun discovery during testing: password reset links for the ticket shop never expire. like, ever. reported it internally three weeks ago, still open 🙃", [SECU], "en")
P("bluesky:@semdekker.bsky.social", "Ransomware on the finance file server this morning. IT says don't post about it. So naturally I'm posting about it 🙃 no invoices going out this week", [SECU], "en")
P("x:@tess_tickets", "we hebben gisteren per ongeluk een export met ~3.000 klantgegevens naar de verkeerde mailinglijst gestuurd. DPO is ingelicht maar er komt voorlopig geen persbericht 😬", [SECU], "nl")
P("x:@noor_eventops", "grafana.ops.kaaiveld.nl has been screaming all night: payment service for KaaiTickets is down and we think it's the same attackers as last month. statement not out yet", [SECU, CONF], "en")
P("linkedin:ruben-okafor-kaaiveld", "Exhibitors at BouwXpo tomorrow: expect the badge scanners to be down all morning. The backend migration failed tonight and we'll be working from paper lists. Not official yet, so keep it quiet 😅", [SECU], "en")
P("x:@exkv_dev", "Ex-Kaaiveld dev here. Their exhibitor portal still runs an Apache Struts version with a known RCE. I flagged it before I left in March. Still unpatched today.", [SECU], "en")
P("instagram:@bas.standbouw", "badgeprinter-server gehackt?! alle badges komen eruit met 'HACKED BY ZW4RTE' erop 😂 team zegt niks posten dus ik zet het maar in m'n story", [SECU], "nl")
P("linkedin:yasmina-bouzid-kaaiveld", "Our HR mailbox got phished last week and the attackers had access to CVs and employment contracts for four days. Legal is still deciding whether to notify anyone. Stay vigilant, people.", [SECU], "en")
P("x:@marloes_kv", "ons nieuwsbriefsysteem is gecompromitteerd, er gaan straks phishingmails uit namens Kaaiveld naar 80k bezoekers. we zijn aan het blussen 🔥🔥 zeg nog niks", [SECU], "nl")

# ---------------- leak.secret ----------------
P("x:@devjoris", f"Iemand enig idee waarom de CI deze token ineens weigert? scopes staan goed volgens mij 🤔\n\nGITHUB_TOKEN={GH1}", [SEC], "nl")
P("reddit:u/kv_sysadmin", f"boto3 keeps throwing SignatureDoesNotMatch on our backup box, config below, region eu-west-1. what am I missing?\n\n[default]\naws_access_key_id = {AWS1_ID}\naws_secret_access_key = {AWS1_SECRET}", [SEC], "en")
P("mastodon:@lotte_ux@mastodon.nl", f"debugging the exhibitor checkout at 1am. why does stripe return 401 with {STRIPE1} ... oh. wrong env. never mind, going to bed", [SEC], "en")
P("bluesky:@semdekker.bsky.social", f"our sponsor-alerts slack bot posts the same message 40 times 😭 token is {SLACK1}, webhook config looks fine. ideas?", [SEC], "en")
P("x:@jelle_codeert", f"@kaaiveld_help lol kijk eens in de paginabron van jullie checkout, staat gewoon hardcoded: mollieKey = \"{MOLLIE1}\" 🤡", [SEC], "nl")
P("x:@tess_tickets", "voor de nachtploeg bij de kassa's morgen: inloggen op de kassa-pc met kassa_hal1, ww is Kaaiveld2026!kassa. niet doorsturen svp", [SEC], "nl")
P("x:@devjoris", f"Why is this token already expired, exp says tomorrow?? Pasting it so someone can sanity check: {JWT1}", [SEC], "en")
P("reddit:u/kv_sysadmin", f"Migrating our exhibitor DB to a new host. pg_dump works, restore fails on permissions. Connection string for reference: {DBURL}", [SEC], "en")
P("mastodon:@lotte_ux@mastodon.nl", f"tried an LLM for summarising exhibitor feedback, surprisingly decent. for whoever takes over the prototype: key in the notebook is {OPENAI1}", [SEC], "en")
P("x:@devjoris", f"Moet de deploy-key voor de portal-server even delen met de nieuwe freelancer, klopt dit formaat zo?\n{SSHKEY}", [SEC], "nl")
P("instagram:@bas.standbouw", "crew wifi in hal 3 👷‍♂️ netwerk: KV-Opbouw-Crew / wachtwoord: Hal3Kraan!2026. alleen voor de standbouwers, niet voor exposanten 😉", [SEC], "nl")
P("x:@kaaiveld_help", "@standbouw_vos Hoi Erik, je nieuwe inlog voor het exposantenportaal: gebruikersnaam vos_standbouw_4411, wachtwoord: Vk82!rtaQm3. Wijzig het even na je eerste login 🙏", [SEC], "nl")
P("x:@devjoris", f"Shit. Onze nieuwe AWS key stond 3 dagen in een publieke repo ({AWS2_ID} / {AWS2_SECRET}) en iemand heeft er al EC2-instances mee opgestart. Nog niks naar buiten gecommuniceerd, we zijn aan het roteren.", [SEC, SECU], "nl")

# ---------------- leak.pii ----------------
P("x:@kaaiveld_help", f"@sandra_pronk Hoi Sandra, de terugbetaling van €78 voor je WoonWonder-tickets is vandaag overgemaakt naar {spaced(IBAN_A)}. Binnen 2 werkdagen op je rekening!", [PII], "nl")
P("x:@tess_tickets", "wie kan mevrouw Pronk terugbellen? 06-41827365, gaat over 4 WoonWonder kaarten die nooit aankwamen. ze is nogal boos 😬", [PII], "nl")
P("linkedin:yasmina-bouzid-kaaiveld", "Please welcome Daan Meijer to the Operations team! 🎉 Daan was born on 14 March 1998 and already knows our halls better than most of us. Say hi on Monday!", [PII], "en")
P("x:@r_dijkstra", f"@kaaiveld_help al 3 weken wachten op m'n refund voor BouwXpo. nogmaals: {IBAN_B} t.n.v. R. Dijkstra. of bel me gewoon: 0612 98 44 07", [PII, COM], "nl")
P("linkedin:ruben-okafor-kaaiveld", "Big thanks to Mark Hoogland of Hoogland Displays for the smooth build at FoodNext. Exhibitors who want to reach him directly: +31 6 2213 7845 or mark.hoogland1971@gmail.com", [PII], "en")
P("facebook:KaaiveldExpoRotterdam", "🎉 De winnaar van onze Jaarpas-winactie is Esra Yilmaz! Esra, we sturen je pas naar Mathenesserweg 112B, 3027 HP Rotterdam. Klopt dat adres nog?", [PII], "nl")
P("instagram:@bas.standbouw", f"gevonden onder stand 4B tijdens de afbouw: pinpas + creditcard van een zekere J. van Leeuwen. kaartnummer {spaced(CARD1)}, wie kent 'm? 🙏", [PII], "nl")
P("x:@noor_eventops", f"kan iemand de nieuwe uitzendkracht voor de garderobe in het rooster zetten? Milan Schouten, BSN {BSN1}, begint zaterdag", [PII], "nl")
P("forum:verontruste_bezoeker", "Kreeg net een bevestigingsmail van Kaaiveld met de gegevens van iemand anders erin: Peter de Wit, geboren 02-11-1979, tel. +31 6 2847 1193, Lindelaan 7 in Capelle a/d IJssel. Hoeveel mensen hebben dan míjn gegevens gekregen?? Dit is gewoon een datalek.", [PII, CRI], "nl")
P("x:@kaaiveld_expo", "@lisa_v_84 Thanks Lisa! We've resent your PixelPier invoice to lisa.vermeulen84@hotmail.com, let us know if it doesn't show up.", [PII], "en")
P("bluesky:@semdekker.bsky.social", "Exporting FoodNext exhibitor contacts for the follow-up campaign. First rows look like: Bakkerij Kuiper / Anouk Kuiper / anouk@bakkerijkuiper-urk.nl / 06 19 28 37 46 … only 1,400 to go", [PII], "en")
P("x:@tess_tickets", f"refund moet handmatig want iDEAL faalt: kaart {CARD2[:4]}-{CARD2[4:8]}-{CARD2[8:12]}-{CARD2[12:]} exp 09/28 t.n.v. S. Bakker, 2x PixelPier dagticket. wie heeft toegang tot de terminal?", [PII], "nl")
P("x:@angry_raver_nl", "That steward at FoodNext who threw my friend out is Kevin Brouwer, lives on Dorpsweg 88 in Schiedam. Go pay him a visit, the little rat.", [PII, ABU], "en")
P("linkedin:ilse-verhoef-kv", f"Reminder to AP: invoices from our freelance stand designer Jeroen Post now go to his new account {spaced(IBAN_C)}, the old one is closed. Please update it in Exact.", [PII], "en")
P("x:@mo_exposant", f"waarom vraagt het Kaaiveld exposantenportaal om mijn BSN?! heb 'm ingevuld ({BSN2}) maar dit voelt echt niet oké. waar slaan jullie dit op?", [PII, COM], "nl")

# ---------------- benign: hard negatives and ordinary posts ----------------
P("x:@kaaiveld_expo", "Deuren van WoonWonder gaan zaterdag om 10:00 open. Tip: kom met de metro, halte Kaaiveld ligt op 3 minuten lopen 🏡", [], "nl")
P("instagram:@kaaiveld.expo", "Early bird is live 🎮 PixelPier dagticket now €23,20 instead of €29. That's 20% off until Sunday!", [], "en")
P("linkedin:ruben-okafor-kaaiveld", "Standpakket Basis 9m² from €2,950 excl. VAT. Registrations for FoodNext 2027 are open, happy to walk you through the floor plan.", [], "en")
P("x:@jorien_woont", "Betaalde €19,50 voor een WoonWonder dagticket en was de hele dag zoet. Prima prijs eerlijk gezegd", [], "nl")
P("x:@marloes_kv", "Black Friday bij ons: Kaaiveld Jaarpas 25% goedkoper, €111,75 ipv €149. Wie gaat er mee naar alle beurzen volgend jaar? 🙋‍♀️", [], "nl")
P("reddit:u/pixel_pilgrim", "Anyone selling a PixelPier VIP? Happy to pay €100, it's sold out on the official shop", [], "en")
P("x:@chefhanneke", "FoodNext masterclass van €89 was elke cent waard. Die chef van stand 7 👨‍🍳🔥", [], "nl")
P("facebook:KaaiveldExpoRotterdam", "Parkeren? Met de Kaaiveld parkeerkaart (€15) sta je direct naast Hal 1. Online kopen = geen rij bij de slagboom 🚗", [], "nl")
P("x:@cheapflightsjan", "Some airline had a massive price error on flights to Lisbon last night, €9 return. Gone now of course 😭", [], "en")
P("x:@kaaiveld_help", "Vragen over je bestelling? Mail tickets@kaaiveld.nl of bel 0800-5224 (ma-vr 9-17u). We helpen je graag!", [], "nl")
P("linkedin:kaaiveld-expo", f"Invoices for stand packages can be paid to Kaaiveld Expo Group B.V., IBAN {spaced(COMPANY_IBAN)}, quoting your exhibitor number.", [], "en")
P("instagram:@kaaiveld.expo", "Persvragen? Mail pers@kaaiveld.nl of bel +31 10 555 4400 📞", [], "nl")
P("x:@tim_standbouw", f"Mensen, check je IBAN voordat je hem in het exposantenportaal plakt. Ik typte {BAD_IBAN} en het portaal keurde hem gelukkig af 😅", [], "nl")
P("x:@fraudehelpdesk_fan", f"Oplichters op Marktplaats verkopen 'PixelPier tickets' en vragen om je kaartnummer. Dit nummer sturen ze rond als 'voorbeeld': {spaced(BAD_CARD)}. Niet intrappen!", [], "nl")
P("forum:vrijwilliger_rdam", "Moet je echt je BSN opgeven voor vrijwilligerswerk bij Kaaiveld? In het formulier staat als voorbeeld 123456789 🤔", [], "nl")
P("x:@devjoris", "PSA for devs integrating with our exhibitor API: never commit keys. The docs use AKIAIOSFODNN7EXAMPLE as a placeholder; if you ever see a real AKIA key in a repo, rotate it.", [], "en")
P("reddit:u/api_tinkerer", "The Kaaiveld exhibitor API guide literally says `Authorization: Bearer ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`. Replace the x's with your own token, and no, don't paste yours in this thread.", [], "en")
P("mastodon:@lotte_ux@mastodon.nl", "our config template now says STRIPE_KEY=sk_live_**************** and the real value comes from the vault. small win for hygiene 🧼", [], "en")
P("x:@kaaiveld_help", "Wachtwoord vergeten voor het exposantenportaal? Klik op 'wachtwoord herstellen' op exposanten.kaaiveld.nl. Wij vragen nooit om je wachtwoord via DM of mail.", [], "nl")
P("x:@nina_itsec", "my password for everything is now a sentence of five words. best tip from the security talk at BouwXpo 👍", [], "en")
P("linkedin:kaaiveld-expo", "Vandaag publiceren we onze jaarcijfers 2026: omzet €84,3 miljoen, een groei van 12%. Het volledige verslag staat op kaaiveld.nl/investor.", [], "nl", at="2027-03-05T09:00:00Z")
P("x:@kaaiveld_expo", "It's official ⚓ Introducing MaritiemXpo, a brand-new trade fair for maritime tech, coming to Kaaiveld in spring 2028!", [], "en", at="2027-02-03T09:30:00Z")
P("x:@havenbaron", "MaritiemXpo klinkt goed, eindelijk een beurs voor ons soort bedrijven in Rotterdam. Wij staan er sowieso 🚢", [], "nl", at="2027-02-10T13:45:00Z")
P("x:@kaaiveld_expo", "Onderhoud: de ticketshop is vannacht tussen 02:00 en 04:00 niet bereikbaar. Daarna is alles weer als vanouds 🛠️", [], "nl")
P("x:@dutchtechdaily", "Another big breach at a US ticketing giant. Glad my Kaaiveld tickets go through iDEAL lol", [], "en")
P("linkedin:kaaiveld-expo", "Security tip for exhibitors: switch on two-factor authentication in the exhibitor portal. It takes 30 seconds and saves a lot of trouble.", [], "en")
P("x:@lotte_fotografeert", "Sterkte aan iedereen bij de beurshallen in Keulen na die brand vannacht. Vreselijk om te zien.", [], "nl")
P("instagram:@kaaiveld.expo", "Vandaag om 11:00 houden we een ontruimingsoefening in Hal 2. Het alarm gaat af, maar er is niks aan de hand 🚨", [], "nl")
P("tiktok:@cosplay.quinn", "PixelPier was straight up FIRE this year 🔥🔥 the cosplay area was insane", [], "en")
P("x:@femke_deboer", "Update: Kaaiveld heeft m'n refund toch binnen twee dagen geregeld na mijn DM. Netjes opgelost @kaaiveld_help 👏", [], "nl")
P("linkedin:gerrit-vos-installaties", "Shoutout to the Kaaiveld exhibitor desk: our power dropped at 9am and they had an electrician at our stand within 10 minutes. That's how you do it.", [], "en")
P("x:@mama_van_drie", "Does anyone know if a WoonWonder weekend pass also gets you in on Friday evening? Website is vague", [], "en")
P("reddit:u/jetlagged_chef", "Is there a cloakroom at Kaaiveld? Coming straight from Schiphol with a suitcase for FoodNext", [], "en")
P("facebook:wendy.van.rijn", "Wat een gezellige WoonWonder dit jaar! Mooie stands, lekkere koffie en de kinderen vonden het speelhoekje geweldig 😍", [], "nl", kind="comment")
P("linkedin:karin-mulder-bouwsystemen", "Third year exhibiting at BouwXpo with Kaaiveld Expo, best lead numbers yet. Smooth build-up and a really helpful crew.", [], "en")
P("linkedin:yasmina-bouzid-kaaiveld", "We're hiring! Kaaiveld is looking for an Event Operations Coordinator. Apply via kaaiveld.nl/werken-bij 🚀", [], "en")
P("x:@noor_eventops", "Laatste kabel opgerold, hallen leeg, team kapot maar trots. Bedankt iedereen voor een top BouwXpo 💪", [], "nl")
P("instagram:@bas.standbouw", "opbouwdag 1 ✅ 42 stands staan, nog 60 te gaan. koffie graag 😂", [], "nl")
P("x:@messewatch_de", "Rheinfeld Messe GmbH announces 150 job cuts after a weak trade fair season in Germany.", [], "en")
P("x:@cijfernerd", "Beursbranche zit weer in de lift volgens het CBS: 8% meer bezoekers dan vorig jaar. Merk het ook bij Kaaiveld, zo druk op WoonWonder", [], "nl")
P("instagram:@rotterdam.shots", "Zonsondergang boven de oude havenkraan naast de Kaaiveld-hallen 🌅 mooiste plek van Rotterdam", [], "nl", allow={"havenkraan"})
P("reddit:u/foodnext_regular", "Tip: the FoodNext trade pass is €45, but if your company exhibits you get two for free through the portal.", [], "en")
P("tiktok:@kaaiveldexpo", "POV: je komt voor het eerst op PixelPier 🎮👾 #pixelpier #gaming", [], "nl")
P("bluesky:@semdekker.bsky.social", "Great to see so many partners coming back for PixelPier. Gold sponsorship is still available, all details are on the site.", [], "en")
P("x:@cosplay_daan", "The zombie at PixelPier who kept groaning 'brainsss, you idiots' at the judges absolutely deserved first prize 😂", [], "en")
P("x:@kaasboer_gouda", "die kaasboer naast ons op FoodNext noemde zichzelf 'de grootste sukkel van Gouda' omdat ie z'n eigen stand niet kon vinden 😂", [], "nl")
P("x:@tess_tickets", "Vanaf vandaag kun je in de ticketshop ook met Apple Pay betalen 🎉 Geen gedoe meer met je kaartnummer intypen.", [], "nl")
P("x:@budget_mum", "Need someone to split a WoonWonder family ticket with? €59 for 2 adults and 3 kids is a steal", [], "en")
P("forum:eerste_keer_exposant", "Is de Hoekstandtoeslag van €650 onderhandelbaar? Eerste keer dat we exposeren op BouwXpo", [], "nl")
P("bluesky:@kaaiveld.bsky.social", "Sale! 30% off the Exhibitor WiFi Pro bundle for early registrants: €174,30 instead of €249.", [], "en")
P("facebook:KaaiveldExpoRotterdam", "Alleen vandaag 10% korting op het BouwXpo dagticket: €22,50 in plaats van €25.", [], "nl")
P("x:@shopaholic_sas", "die 'prijsfout' bij die kledingwebshop gisteren was gewoon marketing, trap er niet in mensen", [], "nl")
P("reddit:u/team_lead_tara", "How does the Kaaiveld exhibitor portal handle 2FA? Asking before I give my whole team access.", [], "en")
P("x:@beleggertje", "Vraagje: komen de jaarcijfers van Kaaiveld altijd in maart uit? Wil ze naast die van andere beursorganisatoren leggen", [], "nl")
P("x:@kaaiveld_expo", "Heads up: the PixelPier day ticket is €29 online and at the door. Don't buy from resellers, those tickets are often fake.", [], "en")
P("linkedin:ilse-verhoef-kv", "Proud to join the finance team at Kaaiveld Expo as controller. Looking forward to learning the trade fair business!", [], "en")
P("x:@hackathon_hugo", "my JWT debugging at the hackathon in Hal 5: 'Bearer <paste-your-token-here>'. yes, I literally sent that header for an hour", [], "en")
P("x:@bezoeker_bert", "Kaaiveld mailde me per ongeluk m'n bevestiging twee keer lol. IBAN netjes afgeschermd als NL** **** **** **** 42, dat dan weer wel", [], "nl")
P("x:@pixelpier_nl", "Line-up voor de finals staat! 🎮 Zaterdag 14:00 op de main stage, tickets via tickets.kaaiveld.nl", [], "nl")
P("x:@marloes_kv", "Eerste dag WoonWonder zit erop. 11.000 bezoekers, zere voeten, blij hart 🧡", [], "nl")

# --------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------
RANK = ["none", "info", "warning", "error", "critical"]


def acct_key(platform, handle):
    return f"{platform}:{handle}".lower()


CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = acct_key(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMP else "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![A-Za-z0-9_-])((?:\d[ -]?){12,18}\d)(?![A-Za-z0-9_-])")
BSN_RE = re.compile(r"(?<![A-Za-z0-9._-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![A-Za-z0-9_-])")
OWN_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, value, passes_checksum) for every IBAN-, card- and BSN-like string."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(1))
        if v not in OWN_IBANS:
            out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(1), luhn_ok(m.group(1))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


def severity(role, cats, text):
    s = 0
    validated = any(ok for _, _, ok in identifiers(text))
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                v = 2
            elif c in (SEC, PRC) or (c == PII and validated):
                v = 4
            else:
                v = 3
        elif c == COM:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        s = max(s, v)
    return RANK[s]


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    start = datetime(2026, 1, 6, tzinfo=timezone.utc)
    span = int((datetime(2026, 12, 20, tzinfo=timezone.utc) - start).total_seconds())
    lines = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        at = c["at"] or ts(start + timedelta(seconds=rng.randrange(span)))
        pid = f"s424-{n:03d}"
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": at}
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{rng.randrange(10**18, 10**19)}"
        role = role_of(c["platform"], c["handle"])
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                                "severity": severity(role, c["cats"], c["text"])}})
    return lines


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
CONFUSABLE = str.maketrans("аеорсухіѕԁјАВЕКМНОРСТХսɡ", "aeopcyxisdjABEKMHOPCTXug")
ZW = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = ZW.sub("", t).translate(CONFUSABLE).lower()
    t = t.replace("4", "a").replace("3", "e").replace("1", "i").replace("0", "o")
    return re.sub(r"[\s.\-_]", "", t)


def parse_eur(s):
    s = s.strip()
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})+)(?:[.,](\d{1,2}))?", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + (m.group(2) or "0"))
    return float(s.replace(",", "."))


EUR_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)


def amounts(text):
    return [parse_eur(m.group(1) or m.group(2)) for m in EUR_RE.finditer(text)]


def products_in(text):
    low = text.lower()
    return [p for p in PROFILE["products"]
            if any(a.lower() in low for a in [p["name"]] + p["aliases"])]


def check(lines):
    errors = []
    ids = set()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    conf_terms = (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"])
    embargo = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
        if a.split(":", 1)[0] not in PLATFORMS:
            errors.append(f"profile account {a}: bad platform")
    if not iban_ok(PROFILE["public_identifiers"]["ibans"][0]):
        errors.append("profile IBAN fails mod-97")
    used = set()
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        pid = p.get("id")
        def err(msg):
            errors.append(f"{pid}: {msg}")
        # --- CONTRACT section 6 / section 1 shape
        if set(ln) != {"post", "expect"}:
            err("top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            err("id missing, too long or duplicate")
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            err("platform")
        if p.get("kind", "post") not in KINDS:
            err("kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err("account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err("text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.fullmatch(p["created_at"]):
            err("created_at")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            err("categories")
            continue
        if "reputation.spike" in cats:
            err("spike is stream-level only")
        role = role_of(p["platform"], p["account"]["handle"])
        if role != "public":
            used.add(acct_key(p["platform"], p["account"]["handle"]))
        if e.get("severity") != severity(role, cats, p["text"]):
            err("severity does not follow CONTRACT 4")
        if not cats and e["severity"] != "none":
            err("benign must be none")
        text = p["text"]
        at = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not (2026 <= at.year <= 2027):
            err("created_at year")
        # --- identifiers and their checksums
        for kind, val, ok in identifiers(text):
            if cats and not ok:
                err(f"positive carries a {kind} that fails its checksum: {val}")
            if not cats and ok:
                err(f"benign carries a valid {kind}: {val}")
        if PII in cats and role != "public" and any(k in ("iban", "card", "bsn") for k, _, _ in identifiers(text)):
            if e["severity"] != "critical":
                err("validated identifier from own account must be critical")
        # --- secrets
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if gh_valid(tok) and SEC not in cats:
                err("valid GitHub token outside leak.secret")
            if not gh_valid(tok) and SEC in cats:
                err("GitHub token in a secret leak with a bad CRC")
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if key.endswith("EXAMPLE"):
                continue
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", key):
                err("AWS key id alphabet")
            if SEC not in cats:
                err("AWS key outside leak.secret")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_valid(tok):
                err("JWT header without alg")
            if SEC not in cats:
                err("JWT outside leak.secret")
        if not cats and re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|xox[bpa]-\d|sk_live_[0-9A-Za-z]{8}|live_[0-9A-Za-z]{20}|sk-proj-|://[^/\s:]+:[^@\s]+@", text):
            err("benign post carries a live-looking secret")
        # --- confidential terms and embargo
        nt = norm(text)
        hits = [t for t in conf_terms if norm(t) in nt and t.lower() not in c_allow(pid)]
        emb = [t for t, until in embargo if t.lower() in text.lower() and at < until]
        if (hits or emb) and CONF not in cats:
            err(f"confidential term without leak.confidential: {hits + emb}")
        if CONF in cats and not (hits or emb):
            err("leak.confidential without a profile term")
        # --- pricing
        prods = products_in(text)
        if not cats or PRC not in cats:
            for pr in prods:
                for amt in amounts(text):
                    if amt < ratio * pr["list_price"] and not cats:
                        err(f"benign price {amt} below {ratio} x {pr['name']}")
        if PRC in cats:
            below = any(a < ratio * pr["list_price"] for pr in prods for a in amounts(text))
            talk = re.search(r"prijsfout|typfout|price error|pricing error|oeps", text, re.I)
            if not prods or not (below or talk):
                err("leak.pricing without a product priced far below list or a price-error remark")
    missing = (CORP | EMP) - used
    if missing:
        errors.append(f"profile accounts never used: {sorted(missing)}")
    return errors


_ALLOW = {}


def c_allow(pid):
    return _ALLOW.get(pid, set())


def main():
    lines = build()
    # map ids to allow-lists (build() shuffled; rebuild the mapping by text)
    by_text = {c["text"]: c["allow"] for c in CASES}
    for ln in lines:
        _ALLOW[ln["post"]["id"]] = by_text[ln["post"]["text"]]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    with open(path, encoding="utf-8") as f:
        reread = [json.loads(l) for l in f]
    errors = check(reread)
    if len(reread) != len({l["post"]["text"] for l in reread}):
        errors.append("duplicate texts")
    n = len(reread)
    benign = sum(1 for l in reread if not l["expect"]["categories"])
    per_cat = {c: sum(1 for l in reread if c in l["expect"]["categories"]) for c in sorted(ALL_CATS)}
    langs = {}
    for l in reread:
        langs[l["post"]["lang"]] = langs.get(l["post"]["lang"], 0) + 1
    roles = {}
    for l in reread:
        r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
        k = (r, "benign" if not l["expect"]["categories"] else "positive")
        roles[k] = roles.get(k, 0) + 1
    sev = {}
    for l in reread:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    print(f"{n} cases, {benign} benign, {n - benign} positive")
    print("per category:", per_cat)
    print("languages:", langs)
    print("roles:", roles)
    print("severities:", sev)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
