#!/usr/bin/env python3
"""Builds cases.jsonl for the Heftrix held-out set (deterministic) and self-checks it.

Post texts are hand-written below. Identifiers and credentials are generated here
(fixed seed) and substituted into the texts through markers of the form [[name]].
Severities are never typed by hand: they follow CONTRACT section 4, computed from
the account role in profile.yaml.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 423
rng = random.Random(SEED)

# --------------------------------------------------------------------------
# validators
# --------------------------------------------------------------------------
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if len(s) < 15 or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    if s[:2] in IBAN_LEN and len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9 or all(x == 0 for x in d):
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(b64url_decode(parts[0]))
        json.loads(b64url_decode(parts[1]))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


# --------------------------------------------------------------------------
# generators (built the way the real ones are built)
# --------------------------------------------------------------------------
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


ALNUM = string.digits + string.ascii_letters


def gen_iban(cc, bban):
    t = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in t))
    return cc + "%02d" % (98 - n % 97) + bban


def gen_iban_nl():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    return gen_iban("NL", bank + rs(string.digits, 10))


def gen_iban_be():
    first = rs(string.digits, 10)
    chk = int(first) % 97 or 97
    return gen_iban("BE", first + "%02d" % chk)


def spaced(s, group=4):
    return " ".join(s[i:i + group] for i in range(0, len(s), group))


def gen_card(prefix, length):
    body = prefix + rs(string.digits, length - len(prefix) - 1)
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def break_luhn(card):
    last = int(card[-1])
    bad = card[:-1] + str((last + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def gen_github(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gen_jwt():
    hdr = {"alg": "HS256", "typ": "JWT"}
    pl = {"sub": "dealer-%d" % rng.randint(1000, 9999), "scope": "fleet:read fleet:write",
          "iss": "fleetview", "iat": 1767225600 + rng.randint(0, 9_000_000)}
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    sig = bytes(rng.randint(0, 255) for _ in range(32))
    return ".".join([enc(json.dumps(hdr, separators=(",", ":")).encode()),
                     enc(json.dumps(pl, separators=(",", ":")).encode()), enc(sig)])


def gen_rsa_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.randint(0, 255) for _ in range(1180))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)][:8]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


V = {}
V["iban_nl1"] = gen_iban_nl()
V["iban_nl2"] = gen_iban_nl()
V["iban_be"] = spaced(gen_iban_be())
_bad = gen_iban_nl()
_bad = _bad[:2] + "%02d" % ((int(_bad[2:4]) + 11) % 97 or 13) + _bad[4:]
V["iban_bad"] = spaced(_bad)
V["iban_nl1_sp"] = spaced(V["iban_nl1"])
V["card_visa"] = spaced(gen_card("4", 16))
V["card_mc"] = gen_card("5" + str(rng.randint(1, 5)), 16)
V["card_amex"] = gen_card("37", 15)
V["card_bad"] = spaced(break_luhn(gen_card("4", 16)))
V["bsn1"] = gen_bsn()
_b2 = gen_bsn()
V["bsn2"] = _b2[:4] + "." + _b2[4:6] + "." + _b2[6:]
_bb = gen_bsn()
_bb = _bb[:8] + str((int(_bb[8]) + 4) % 10)
V["bsn_bad"] = _bb
V["ghp"] = gen_github("ghp_")
V["ghs"] = gen_github("gho_")
V["aws_id"] = "AKIA" + rs(string.ascii_uppercase + "234567", 16)
V["aws_secret"] = rs(ALNUM + "/+", 40)
V["stripe"] = "sk_live_" + rs(ALNUM, 24)
V["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13), rs(ALNUM, 24))
V["jwt"] = gen_jwt()
V["pg_pwd"] = rs(ALNUM + "!#%", 18)
V["rsa"] = gen_rsa_pem()
V["openai"] = "sk-proj-" + rs(ALNUM + "_-", 74) + "T3BlbkFJ" + rs(ALNUM + "_-", 74)
V["anthropic"] = "sk-ant-api03-" + rs(ALNUM + "_-", 93) + "AA"
V["google"] = "AIza" + rs(ALNUM + "_-", 35)
V["glpat"] = "glpat-" + rs(ALNUM + "_-", 20)

VALID_IDS = {"iban_nl1", "iban_nl2", "iban_be", "iban_nl1_sp", "card_visa", "card_mc",
             "card_amex", "bsn1", "bsn2"}
LOOKALIKES = {"iban_bad", "card_bad", "bsn_bad"}

# --------------------------------------------------------------------------
# the posts
# C complaint, K crisis, A abuse, P pricing, F financial, N confidential,
# S security, T secret, I pii ; "" = benign
# --------------------------------------------------------------------------
CAT = {"C": "reputation.complaint", "K": "reputation.crisis", "A": "reputation.abuse",
       "P": "leak.pricing", "F": "leak.financial", "N": "leak.confidential",
       "S": "leak.security", "T": "leak.secret", "I": "leak.pii"}

POSTS = [
    # ---------------- complaints ----------------
    ("C", "x:@magazijnmaarten", "nl",
     "3e keer deze maand dat de monteur van @heftrix_service 'tussen 8 en 17u' komt en dan gewoon niet. Hele inslag ligt stil. Wat een service 🙄"),
    ("C", "linkedin:jo-verhoeven-fleet", "en",
     "Our leased Heftrix Volt E20s have been eating batteries since spring. PowerCell swaps were promised in April, it's now July and we're still running on loaner packs that die halfway through second shift. Account manager stopped answering emails. Not the partnership we signed up for."),
    ("C", "facebook:Kim Vos", "nl",
     "Huurheftruck besteld voor vrijdag 7u. Om 13u nog niks. Klantenservice: 'hij staat op de planning'. Ja top, mijn vrachtwagen met 26 pallets staat ook op de planning… #heftrix", {"kind": "comment"}),
    ("C", "x:@pallet_pete", "en",
     "ordered a Mule M15 from heftrix shop, arrived with a bent fork and the handle wobbles like jelly. return form just loops back to the same page. great."),
    ("C", "x:@kwiktransport_ops", "nl",
     "@heftrix_service factuur april 2x afgeschreven, al 3 mails gestuurd zonder reactie. Graag terugstorten, we zitten nu op 6 weken.", {"kind": "reply"}),
    ("C", "reddit:u/nachtploeg_ahmed", "nl",
     "Iemand anders ook zo'n gedoe met de FleetView app van Heftrix? Sinds de update kan niemand meer inloggen, chauffeurs kunnen hun dagcontrole niet afvinken en ik krijg mailtjes van de verzekeraar dat de checks ontbreken."),
    ("C", "forum:logi_bert", "en",
     "Returned our rented Titan D25 after 3 months and Heftrix Rent billed us 2140 euro in 'damage' for scratches that were already there on delivery. We have the photos, timestamped. Now they say delivery photos 'don't count'. Avoid their rental desk."),
    ("C", "instagram:@stapelmeester_sjoerd", "nl",
     "Onderdeel voor de mast besteld op 3 maart. Levertijd 'een weekje'. We zitten nu in week 7. Ondertussen staat de reachtruck stil en huren we er eentje bij. Dank je Heftrix 👏👏", {"kind": "comment"}),
    ("C", "x:@coldchain_claire", "en",
     "Heftrix Lease renewal: they quietly bumped our monthly rate 18% and called it 'indexation'. Nobody told us until the direct debit hit. Shady way to treat a customer of 9 years."),
    ("C", "tiktok:@dc_nightshift_ray", "en",
     "bought the QuickCharge 48V and it trips our breaker every single night lol. support said 'try another socket'. sir this is an industrial charger 💀", {"kind": "comment"}),
    ("C", "x:@vdberg_koeltransport", "nl",
     "Beste @heftrix_nl, jullie Stacker S12 piept bij elke beweging zo hard dat m'n mensen oordoppen dragen. Uitzetten kan niet volgens de monteur. Serieus? Dit was de duurste offerte maar wel de slechtste keuze",
     {"kind": "reply"}),
    # abuse + complaint
    ("AC", "x:@hanneke_logistiek", "nl",
     "Wat een kutbedrijf is Heftrix ook. 4 weken wachten op een accu en dan sturen ze de verkeerde. Stelletje prutsers."),
    ("AC", "x:@aisle4_anthony", "en",
     "Heftrix service desk are a bunch of useless clowns. Third no-show this month, our Reacher R14 is dead in aisle 4 and nobody picks up the phone."),
    # crisis + complaint: first-hand harm / near miss
    ("KC", "x:@wh_venray_erik", "nl",
     "Onze PowerCell 48V van Heftrix begon vannacht te roken aan de lader. Brandmelder af, hele hal ontruimd. Niemand gewond gelukkig maar ik ben woest, dit is al de tweede accu die raar doet. @heftrix_service??"),
    ("KC", "linkedin:sophie-maas-ops", "en",
     "Yesterday the mast on our Heftrix Reacher R20 dropped about 40 cm with a full pallet at 8 metres. My colleague was standing right next to the rack. Nobody hurt, pure luck. Heftrix's answer so far: 'we'll schedule an inspection next week'. That is not acceptable."),
    ("KC", "facebook:Marieke Bosman", "nl",
     "Mijn zoon (vakantiekracht) kreeg gisteren een flinke schok van de laadkabel van een Heftrix Mule P20. Huisartsenpost: brandwondje op zijn hand. Dat snoer was vorige week nog 'gerepareerd' door hun monteur, 'helemaal veilig'. Nou nee dus.",
     {"kind": "comment"}),
    ("KC", "reddit:u/forkliftfrank88", "en",
     "PSA: parking brake on the Titan G25 we rent from Heftrix failed on the loading ramp today, truck rolled back into the dock door with me on it. Bruised ribs. Their rental desk says 'operator error'. I have it on camera, mate."),
    ("KC", "x:@bloemenveiling_dirk", "nl",
     "Gisteren CO-alarm in onze loods. Bleek de Titan G25 van Heftrix te zijn die nét uit onderhoud kwam. Twee collega's misselijk naar huis. En Heftrix stuurt 'misschien morgen' iemand. Echt??"),
    ("KC", "instagram:@packhouse_nina", "en",
     "the brand new Heftrix Volt E16 we got last week took off in reverse on its own when my operator stepped off. pinned a pallet against the wall an inch from her legs. we've parked every single one. @heftrix.nl call me back, 3rd message",
     {"kind": "comment"}),
    # ---------------- crisis (third party, recalls, lawsuits, boycott, breach) -------
    ("K", "x:@vakblad_intralogistiek", "nl",
     "Heftruck gekanteld bij distributiecentrum in Venlo, bestuurder met hoofdletsel naar het ziekenhuis. Volgens de politie ging het om een Titan D35 van Heftrix. Arbeidsinspectie doet onderzoek."),
    ("K", "x:@safetyfirst_uk", "en",
     "Heftrix is recalling PowerCell 80V packs built March–June 2026 over a cell welding defect that can cause thermal runaway. If you run one: stop fast-charging it and call your dealer."),
    ("K", "linkedin:fnv-logistiek-brabant", "nl",
     "Drie ongelukken in een half jaar met Heftrix reachtrucks bij één Brabantse webwinkel. Wij eisen dat de Inspectie de hele R-serie laat stilzetten tot duidelijk is wat er mis is."),
    ("K", "reddit:u/opsguy_rotterdam", "en",
     "Anyone else get an email from 'Heftrix' with their full lease contract and bank details attached? Looks like their customer portal got breached. Our account manager won't confirm or deny anything."),
    ("K", "x:@transportjan", "nl",
     "#BoycotHeftrix Ze laten klanten maandenlang met onveilige trucks rondrijden en doen alsof er niks aan de hand is. Niks meer bij ze huren of kopen, deel dit!"),
    ("K", "x:@courtwatch_nl", "en",
     "Former dealer Van Oss Intralogistiek is suing Heftrix for €4.2m over the sudden end of its dealership contract. First hearing in Den Bosch set for November."),
    ("K", "facebook:Nieuws uit Zeeland", "nl",
     "Verschrikkelijk nieuws: medewerker van een tuinbouwbedrijf in Kapelle overleden na een ongeval met een gehuurde heftruck van Heftrix. De politie onderzoekt de toedracht."),
    ("K", "linkedin:femke-oudshoorn-journalist", "en",
     "Investigation: test reports seen by us show Heftrix knew about brake fade on its Titan diesel range for over a year before telling customers. Full story in tonight's broadcast."),
    ("K", "x:@heftruckforum", "nl",
     "Terugroepactie! Heftrix haalt Volt E30's terug na meldingen dat ze uit zichzelf gaan rijden. Check je serienummer op hun site en zet hem stil tot de monteur langs is geweest."),
    # ---------------- abuse ----------------
    ("A", "x:@boos_op_heftrix", "nl",
     "Heftrix is een stelletje oplichters en die verkoper van ze, Sander, is een gladde leugenaar. Schaam je."),
    ("A", "x:@grumpy_dockhand", "en",
     "whoever runs @heftrix_service is a brain-dead moron. hope you all get fired"),
    ("A", "x:@pieter_uit_tilburg", "nl",
     "die monteur van h3ftr1x is echt een k4nkerlijer, nooit meer"),
    ("A", "facebook:Gerrit Kloosterman", "nl",
     "Heftrix? K.u.t.b.e.d.r.i.j.f. Jullie klantenservice kan de t.y.f.u.s krijgen.", {"kind": "comment"}),
    ("A", "x:@late_shift_lou", "en",
     "Heftrix support are f\u200bucking id\u200biots, every single one of them"),
    ("A", "threads:@moving_mike_", "en",
     "Heftrix sales team = lying s\u0441umb\u0430gs. every. single. one."),
    ("A", "x:@vrachtwagen_vera", "nl",
     "Jullie planner bij Heftrix is een ｄｏｍｍｅ ｔｒｕｔ, leer eerst eens klokkijken voor je een levering belooft"),
    ("A", "x:@ruud_steegs", "en",
     "customer in Tilburg screaming at our driver again. honestly what a fat useless prick, hope his racking collapses on him"),
    ("A", "instagram:@daan.op.de.vork", "nl",
     "Die klant op de demodag vandaag… wat een achterlijke mongool, 3x uitgelegd hoe de sideshift werkt 🙄"),
    ("A", "x:@hardwerkende_henk", "nl",
     "@ilse_monteur ga lekker terug naar de keuken schat, sleutelen is niks voor wijven", {"kind": "reply"}),
    # ---------------- pricing ----------------
    ("P", "x:@heftrix_nl", "nl",
     "⚡ Deal van de week: Heftrix Volt E16 voor €2.895 excl. btw! Op = op. shop.heftrix.nl"),
    ("P", "x:@mvdlinde_hx", "nl",
     "haha klanten bellen al. Reacher R14 staat sinds vanochtend op €4.680 in de shop. iemand bij e-commerce heeft een nul gemist 😬"),
    ("P", "x:@budgetbouwer", "nl",
     "Heftrix shop heeft de Mule P20 voor €349 staan?! Meteen 3 besteld, benieuwd of ze gaan leveren 😂"),
    ("P", "reddit:u/lagerleiter_nl", "en",
     "Price glitch? Heftrix webshop lists the PowerCell 48V at €745. That's like a tenth of normal. Ordered two, will report back."),
    ("P", "linkedin:heftrix-material-handling", "en",
     "Upgrade your fleet: the Heftrix Titan D35 is now available from €14,500 for a limited time. Talk to your account manager today."),
    ("P", "linkedin:bram-de-wit-heftrix", "nl",
     "Collega's, let op: prijsfout in de dealerprijslijst van deze week. De Picker OP10 staat op €1.980 in plaats van €19.800. Graag niet naar klanten sturen voor het gecorrigeerd is."),
    ("P", "facebook:Wim Verstappen", "nl",
     "Iemand anders de Tug T30 voor 2.250 euro gezien in een advertentie van Heftrix zelf? Zo goedkoop heb ik die trekker nog nooit gezien", {"kind": "comment"}),
    ("P", "x:@devjoris_hx", "en",
     "pushed the new pricing feed to prod and uh… every QuickCharge 48V is now €18.90 on the site. rolling back, pls don't screenshot"),
    ("P", "instagram:@heftrix.nl", "nl",
     "Nieuw in de shop 🎉 Heftrix AllWeather cabine nu €325,- incl. montage! Link in bio"),
    ("P", "x:@warehouse_wendy", "en",
     "lol heftrix is selling the Stacker S12 for €895 today, either a typo or a miracle"),
    ("P", "bluesky:@noortje-planning.bsky.social", "nl",
     "Klant vraagt waarom de FleetView module €69 kost op de site. Eh… omdat iemand een prijsfout heeft gemaakt? Moet €690 zijn. Gaat leuk worden morgen"),
    ("P", "facebook:HeftrixNL", "nl",
     "BLACK FRIDAY bij Heftrix 🔥 Titan G25 LPG heftruck voor maar €11.990! Alleen vandaag."),
    # ---------------- financial ----------------
    ("F", "linkedin:joost-hermans-heftrix", "en",
     "Proud of the team: closing Q3 tomorrow and we'll beat budget by roughly 12%, EBITDA north of €18m. Can't wait for the announcement next month 🎯"),
    ("F", "x:@mvdlinde_hx", "nl",
     "Net gehoord in het salesoverleg: forecast 2027 is naar beneden bijgesteld, -15% omzet bij de verhuur. Dat gaat pijn doen."),
    ("F", "mastodon:@tkoster@fosstodon.org", "en",
     "all-hands just now: we're being acquired by a Scandinavian handling group, deal gets signed end of month. nobody outside is supposed to know yet so act surprised 😅"),
    ("F", "linkedin:ayse-kaya-heftrix", "nl",
     "Zware weken bij HR. We bereiden de gesprekken voor: 45 fte in de werkplaats Uden verdwijnt begin volgend jaar. Nog niet gecommuniceerd, dus alvast sterkte aan iedereen die het straks hoort."),
    ("FN", "x:@ruud_steegs", "nl",
     "Operatie Zwaluwstaart gaat door!! Volgende maand nemen we dealer Vorkmans in Zwolle over 🚀"),
    ("F", "x:@gossip_logistics", "en",
     "My brother-in-law works in Heftrix finance: they're closing the Belgian branch and moving everything to Uden, announcement in January. About 60 jobs apparently."),
    ("F", "reddit:u/hx_servicetech", "nl",
     "Intern mailtje van de directie vandaag: de verhuurtak wordt afgesplitst en verkocht aan een investeringsmaatschappij. Wij van service weten nog niet waar we terechtkomen."),
    ("F", "linkedin:bram-de-wit-heftrix", "en",
     "Off the record from the MT offsite: H2 revenue is tracking at €212m vs €236m budget, so guidance will have to come down. Board decides Thursday."),
    ("F", "x:@beursbeer", "nl",
     "Uit goede bron: Heftrix en LiftNord gaan fuseren, wordt in maart bekendgemaakt. Nu instappen bij de moedermaatschappij 😉"),
    ("F", "x:@ilse_monteur", "en",
     "they just told us in the canteen: 3 of the 7 service regions get merged and half the planners move to a call centre. 'official' in Q1 but we all know now"),
    ("FN", "linkedin:joost-hermans-heftrix", "nl",
     "Boarddeck (uitsluitend intern gebruik) ligt klaar: winstwaarschuwing voor 2026, operationele marge 4,1% in plaats van de beloofde 7%. Lange week."),
    ("F", "linkedin:karin-de-leeuw-supplychain", "en",
     "Hearing from a supplier that Heftrix has stopped paying invoices on time and is renegotiating its credit line with the banks. Something is going on before year end."),
    # ---------------- confidential ----------------
    ("N", "linkedin:bram-de-wit-heftrix", "nl",
     "Sneak peek waar we aan werken 👀 Project Bergeend: een autonome reachtruck met lidar, pilot bij twee klanten in Q2."),
    ("N", "x:@devjoris_hx", "en",
     "if anyone at work needs the staging build it's at https://dealerportal-test.heftrix.nl/build/412 — login is the usual"),
    ("N", "bluesky:@noortje-planning.bsky.social", "nl",
     "Wie heeft de planning voor volgende week? Staat niet op wiki.heftrix.nl/planning/wk42 🤔"),
    ("N", "mastodon:@tkoster@fosstodon.org", "en",
     "ugh, jira.heftrix.nl is crawling again. ticket HXOPS-2231 for the 5th time this week"),
    ("N", "instagram:@daan.op.de.vork", "nl",
     "Vandaag testrit gemaakt met de Volt E25 Hydro 💧 stil, sterk en alleen waterdamp uit de uitlaat. Kan niet wachten tot jullie hem zien! #waterstof #heftruck",
     {"ts": "2026-10-14T15:42:09Z"}),
    ("N", "x:@forkfan_dave", "en",
     "Dealer mate showed me spec sheets of the Heftrix Reacher R25 — 13.5 m lift height, launch next spring. Absolute beast.",
     {"ts": "2026-11-21T19:05:33Z"}),
    ("N", "linkedin:joost-hermans-heftrix", "nl",
     "Druk druk druk: de Q4 2026 cijfers worden deze week afgerond, de accountant zit bij ons op kantoor. Koffie is op.",
     {"ts": "2027-01-20T08:14:51Z"}),
    ("NF", "x:@mvdlinde_hx", "en",
     "FY2026 results look really strong from where I sit 😏 stay tuned",
     {"ts": "2027-02-10T12:30:00Z"}),
    ("N", "facebook:HeftrixNL", "nl",
     "Beste dealers, hierbij het nieuwe kortingsschema voor Q3. HX-VERTROUWELIJK. Staffel A: 12%, staffel B: 18%, vanaf 10 trucks in overleg."),
    ("N", "x:@ruud_steegs", "nl",
     "Eindelijk groen licht voor Ｉｒｏｎｆｏｏｔ 🎉 eerste prototypes staan volgende maand in de hal"),
    ("N", "x:@mvdlinde_hx", "en",
     "Project Berg\u200beend demo went great today, the customer wants 40 units if the pilot works out"),
    ("N", "reddit:u/vorkheftruckfan", "nl",
     "Ex-collega van Heftrix vertelde me dit: 'Ironfoot' wordt hun eigen elektrische terreinheftruck, concurrent voor de grote jongens. Zou in 2027 op de markt komen."),
    ("N", "x:@ilse_monteur", "en",
     "Spent the day at a customer under NDA testing our new 80V fast-charge firmware. can't say who, but it charges a full truck in 35 min 🔋"),
    ("N", "x:@curious_netadmin", "en",
     "lol the heftrix VPN login page is just sitting there on vpn.heftrix.nl, found it via a google search"),
    ("N", "x:@heftrix_service", "nl",
     "@kwiktransport_ops Excuses! Uw ticket staat hier: https://intra.heftrix.local/servicedesk/T-88214 — een collega pakt het vandaag nog op.",
     {"kind": "reply"}),
    # ---------------- security ----------------
    ("S", "x:@devjoris_hx", "nl",
     "Nachtje doorgehaald: ransomware op de ERP-server, facturatie en planning liggen plat. Communicatie naar klanten volgt 'als we meer weten'. Koffie graag ☕"),
    ("S", "mastodon:@tkoster@fosstodon.org", "en",
     "heads-up for whoever's on call: the FleetView telematics API returns other customers' truck locations if you just change the fleet id in the URL. reported it 3 weeks ago, still open."),
    ("S", "reddit:u/hx_servicetech", "nl",
     "Sinds dinsdag kunnen wij monteurs niet meer inloggen op de diagnosetool. Blijkt dat er iemand met gestolen inloggegevens in zat. Officieel heet het 'onderhoud' 🙃"),
    ("S", "x:@ilse_monteur", "en",
     "fyi the remote-disable on the Volt trucks has no auth at all, any laptop on the truck's wifi can lock it. found it by accident today. no patch yet."),
    ("S", "x:@heftrix_service", "nl",
     "@fleetmgr_jo Klopt, de klantportal ligt eruit omdat we afgelopen nacht een aanval op onze servers hebben gehad. IT is ermee bezig, meer info volgt.",
     {"kind": "reply"}),
    ("S", "linkedin:bram-de-wit-heftrix", "en",
     "Pen-test report came back: 14 critical findings in the dealer portal, including SQL injection on the quote form. Fixing it before anyone notices 🤞"),
    ("S", "bluesky:@noortje-planning.bsky.social", "nl",
     "Hele planningssysteem down sinds 6u vanochtend, IT zegt dat het een DDoS is. Chauffeurs rijden op papieren lijstjes 😂 klanten weten nog van niks"),
    ("S", "x:@it_klusjesman_nl", "en",
     "Did a job for a forklift company in Brabant (Heftrix 👀). Same wifi password on every site and the admin panel of their truck chargers open to the internet. Told them in May. Still open."),
    ("S", "x:@ruud_steegs", "nl",
     "Lekker dan. Phishingmail gisteren en nu zijn 3 mailboxen van sales overgenomen, klanten krijgen nepfacturen met ons logo. Mag nog niks zeggen van IT."),
    ("S", "instagram:@daan.op.de.vork", "en",
     "demo truck wouldn't start today because the whole fleet-management backend has been down since last night, apparently a server got hacked. shhh 🤫"),
    ("S", "reddit:u/zwager_weet_alles", "nl",
     "Mijn zwager werkt bij Heftrix IT. Volgens hem zit er al twee weken een lek in de FleetView-app waarmee je de GPS van andere klanten kan zien, en ze doen er niks mee."),
    ("S", "x:@devjoris_hx", "en",
     "our SSO provider got pwn3d last night, all of heftrix doing password resets today. not public yet so dont @ me"),
    ("S", "linkedin:joost-hermans-heftrix", "nl",
     "Vandaag ontdekt dat de betaalbestanden naar de bank zijn gemanipuleerd: 3 leveranciersrekeningen vervangen door die van oplichters. Forensisch onderzoek loopt, graag nog even stil houden."),
    # ---------------- secrets ----------------
    ("T", "x:@devjoris_hx", "en",
     "anyone know why this fails? `git clone https://[[ghp]]@github.com/heftrix/fleetview-api.git` keeps returning 403"),
    ("T", "mastodon:@tkoster@fosstodon.org", "nl",
     "Config voor de nieuwe S3-bucket, werkt eindelijk:\n\naws_access_key_id = [[aws_id]]\naws_secret_access_key = [[aws_secret]]\nregion = eu-west-1"),
    ("T", "reddit:u/hx_servicetech", "en",
     "why is our test checkout charging real cards?? found this in the shop frontend: Stripe('[[stripe]]') — someone shipped the live key"),
    ("T", "x:@ruud_steegs", "nl",
     "voor de collega's die niet in de planning kunnen: gebruiker planning01, wachtwoord: Vork!2026Uden — niet doorsturen he"),
    ("T", "bluesky:@noortje-planning.bsky.social", "en",
     "our Slack bot for the planning channel finally works!! token [[slack]] in case Joris needs it tomorrow"),
    ("T", "forum:integrator_koen", "en",
     "Integrating Heftrix FleetView for a client. Their support mailed me this and it still works months later:\nAuthorization: Bearer [[jwt]]"),
    ("T", "x:@devjoris_hx", "nl",
     "postgres://fleet_admin:[[pg_pwd]]@10.20.4.11:5432/fleetview werkt niet vanaf thuis, iemand een idee?"),
    ("T", "mastodon:@tkoster@fosstodon.org", "en",
     "why does ssh say 'invalid format' for this key?? copied straight from the deploy box\n\n[[rsa]]"),
    ("T", "x:@webdev_wouter", "en",
     "@heftrix_nl your website chatbot leaks its OpenAI key in the page source lol: [[openai]]", {"kind": "reply"}),
    ("T", "x:@mvdlinde_hx", "nl",
     "Mijn offerte-assistentje draait 🎉 gewoon export ANTHROPIC_API_KEY=[[anthropic]] en gaan"),
    ("T", "reddit:u/hx_servicetech", "en",
     "dealer locator map broken again? key is [[google]] if anyone wants to check the quota in the console"),
    ("T", "x:@freelance_fleur", "nl",
     "Freelancer hier. Heftrix liet me voor hun repo een GitLab token gebruiken, werkt na 8 maanden nog steeds: [[glpat]]  🤦‍♀️"),
    # ---------------- personal data ----------------
    ("I", "x:@heftrix_service", "nl",
     "@kimvos_bv Hoi Kim, we konden u niet bereiken op 06-41827365. Klopt uw adres nog: Kerkstraat 14, 5461 AB Veghel? Dan plannen we de monteur in.",
     {"kind": "reply"}),
    ("I", "facebook:HeftrixNL", "nl",
     "Beste meneer Hendriks, de terugbetaling van €312,40 gaat vandaag naar [[iban_nl1_sp]] t.n.v. P. Hendriks. Excuses voor de vertraging!",
     {"kind": "comment"}),
    ("I", "x:@ruud_steegs", "nl",
     "Wie kent deze klant? Betaalt al 3 maanden niet. Jeroen Smits, geb. 12-03-1981, Molenweg 7 in Boxtel. Rijdt wel in een Tesla hoor"),
    ("I", "linkedin:ayse-kaya-heftrix", "nl",
     "Welkom aan onze nieuwe collega Sanne! 🎉 (oeps verkeerde screenshot, dat was haar loonstrook met BSN [[bsn1]]… even weghalen)"),
    ("I", "reddit:u/hx_servicetech", "en",
     "customer paid the callout fee with card [[card_visa]] exp 09/28 and the terminal printed the whole number on the receipt lmao"),
    ("IC", "x:@priya_inbound", "en",
     "@heftrix_service been waiting 2 days for a callback about our broken reach truck. Just call me: +31 6 2384 9170. Ask for Priya.",
     {"kind": "reply"}),
    ("I", "x:@jderks_logistiek", "nl",
     "Hoi Heftrix, voor de offerte van twee Volt E20's mag je mailen naar j.derks.logistiek@gmail.com, dank!"),
    ("I", "linkedin:heftrix-material-handling", "en",
     "Congrats to our customer of the year, Bakkerij Vermeulen! Want a reference visit? Contact their fleet lead Anouk Vermeulen at anouk.vermeulen@bakkerijvermeulen.nl or 0413-482915."),
    ("IA", "x:@woedende_wessel", "nl",
     "Deze Heftrix-verkoper heeft me opgelicht. Mark de Groot, woont Lindelaan 22 in Oss, privénummer 06 19 27 48 36. Bel die eikel maar eens wakker!"),
    ("I", "x:@mvdlinde_hx", "en",
     "Closed the deal with Bram at Kwik Transport 🎉 his direct line is +31 (0)6 5512 3098 in case anyone from service needs him"),
    ("I", "bluesky:@noortje-planning.bsky.social", "nl",
     "Nieuw rooster rondgestuurd, wie ruilt zaterdag met Fatma? Haar nummer: 0031 6 44 71 20 93"),
    ("IC", "x:@tjanssens_be", "en",
     "Heftrix still owes me the deposit for the Mule P20 rental. For the 5th time: [[iban_be]], name T. Janssens. Pay up."),
    ("I", "facebook:HeftrixNL", "nl",
     "Beste Linda, de betaling met creditcard [[card_mc]] is helaas mislukt. Wilt u het nog eens proberen via de link in uw mail?",
     {"kind": "comment"}),
    ("I", "linkedin:ayse-kaya-heftrix", "en",
     "Reminder to our new hires: send a passport scan to HR before day one. Tom's came in perfectly: passport NW8K4R2T1, born 04-11-1995 😊"),
    ("I", "x:@sevda_yilmaz90", "nl",
     "Heftrix, mijn heftruckcertificaat is bij jullie blijven liggen. Sevda Yilmaz, geboren 23 juni 1990, bsn [[bsn2]]. Graag opsturen!"),

    # ================= benign (hard negatives mostly) =================
    ("", "x:@kees_koelhuis", "nl",
     "Shoutout naar Ilse van Heftrix service: binnen 2 uur hier en de lekkende hydrauliekslang van onze Reacher R14 vervangen. Top!"),
    ("", "linkedin:tom-brouwer-3pl", "en",
     "Really impressed by the Heftrix Volt E30 demo today. Lifted 3 tonnes like nothing and the cabin is properly quiet. Might finally replace our diesels."),
    ("", "x:@heftrix_service", "nl",
     "Storing of schade? Bel 0800-0433 (24/7) of mail service@heftrix.nl. We staan voor je klaar 💪"),
    ("", "linkedin:heftrix-material-handling", "en",
     "Paying an invoice? Please transfer to NL41 RABO 0318 2746 50 (Heftrix Material Handling B.V.) and mention your invoice number. Questions: service@heftrix.nl"),
    ("", "instagram:@heftrix.nl", "nl",
     "Zomeractie ☀️ 15% korting op de Heftrix Mule M15 handpallettruck: nu €415,65 i.p.v. €489. Alleen deze maand!"),
    ("", "x:@heftrix_nl", "en",
     "Spring deal: Titan D25 diesel from €31,900 (list €36,900). Ask your dealer or visit shop.heftrix.nl"),
    ("", "x:@magazijn_mo", "nl",
     "Vraagje: hoe lang gaat een PowerCell 48V accu mee bij 2 ploegen? Denken aan overstap van loodzuur."),
    ("", "reddit:u/palletpusher", "en",
     "Is €7,450 a fair price for a Heftrix PowerCell 48V? Competitor quoted us 8k for something similar."),
    ("", "instagram:@lotte_op_de_heftruck", "nl",
     "Heftruckcertificaat gehaald 🎓 officieel bevoegd om pallets te slopen 😂 dankjewel aan de instructeur van Heftrix!"),
    ("", "x:@pickrate_pam", "en",
     "That new Reacher R20 absolutely kills it in narrow aisles. Our pick rate went up 20% in a month."),
    ("", "x:@logistiekdesk", "nl",
     "Concurrent LiftNord schrapt 200 banen in Duitsland, meldt het FD. Benieuwd wat dit doet met de markt voor Heftrix en de rest."),
    ("", "x:@dry_humour_dan", "en",
     "A big car maker is recalling 300k SUVs over airbag issues this week. Glad our Heftrix forklifts are a bit simpler 😅"),
    ("", "x:@devjoris_hx", "nl",
     "Tip voor de AWS-workshop morgen: gebruik in voorbeelden altijd AKIAIOSFODNN7EXAMPLE en nooit je eigen key 🙏"),
    ("", "mastodon:@tkoster@fosstodon.org", "en",
     "PSA: never paste tokens in tickets. If you need to show the format, write ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx like the docs do."),
    ("", "reddit:u/hx_servicetech", "en",
     "Rotated the payment key after the audit. Old one was sk_live_****…a9F2, new one lives in the vault where it belongs. Boring but good."),
    ("", "x:@eenmanszaak_erwin", "nl",
     "Oeps, m'n eigen IBAN verkeerd ingevuld in het klantportaal van Heftrix ([[iban_bad]]), bankapp zei meteen 'ongeldig'. Gelukkig snel verbeterd 😅"),
    ("", "x:@numbers_nerd", "en",
     "Order confirmation from the Heftrix shop has reference [[card_bad]]. That's longer than my phone number lol"),
    ("", "x:@boekhouder_bas", "nl",
     "Mijn klantnummer bij Heftrix is [[bsn_bad]], negen cijfers, net een BSN haha. Ieder z'n eigen administratie."),
    ("", "linkedin:heftrix-material-handling", "nl",
     "Vandaag publiceren we onze jaarcijfers 2026: omzet €241 miljoen, een groei van 6%. Het volledige verslag staat op heftrix.nl/investors",
     {"ts": "2027-02-24T09:00:00Z"}),
    ("", "x:@heftrix_nl", "en",
     "It's here: meet the Heftrix Volt E25 Hydro, our first hydrogen forklift. Zero emissions, 5-minute refuel. #LogiMAT",
     {"ts": "2027-04-14T10:15:00Z"}),
    ("", "x:@forkfan_dave", "en",
     "Test-drove the Reacher R25 at the Heftrix open day. 13.5 m lift height is no joke, smooth as butter.",
     {"ts": "2027-05-02T14:48:27Z"}),
    ("", "x:@kwiktransport_ops", "nl",
     "Update: Heftrix heeft de dubbele afschrijving binnen een dag teruggestort en excuses gemaakt. Netjes opgelost 👍"),
    ("", "facebook:Anja Timmermans", "nl",
     "Sterkte aan alle Heftrix-collega's in Uden na de overstroming van jullie parkeerterrein. Hopelijk zijn de demotrucks droog gebleven 🙏",
     {"kind": "comment"}),
    ("", "x:@vogelaar_uden", "nl",
     "Zag vanochtend een bergeend bij de sloot naast het Heftrix-terrein in Uden 🦆 mooi beestje"),
    ("", "x:@startup_sietske", "nl",
     "Iemand tips voor een goede heftruck-training? Heftrix doet 'm voor €395, lijkt me redelijk."),
    ("", "linkedin:heftrix-material-handling", "en",
     "Come and see us at LogiMAT Stuttgart, hall 10, stand C21. Live demos of the Reacher R20 every hour on the hour."),
    ("", "x:@heftrix_nl", "nl",
     "Wist je dat? Een dagelijkse controle van je heftruck (banden, vorken, remmen, claxon) voorkomt de meeste ongelukken. Download onze checklist op heftrix.nl/veilig"),
    ("", "x:@quote_queen", "en",
     "The word 'confidential' on every Heftrix quote PDF cracks me up. It's a quote for two pallet trucks, guys 😂"),
    ("", "x:@ict_ingrid", "nl",
     "Ons wachtwoordbeleid is strenger dan dat van de bank 😂 elke 30 dagen een nieuwe. Wachtwoord vergeten? Loop maar even langs bij IT."),
    ("", "mastodon:@sander_codes@mastodon.nl", "en",
     "Reminder: a JWT is just base64, don't put secrets in the payload. Great talk at the Heftrix dev meetup tonight."),
    ("", "x:@ilse_monteur", "nl",
     "Weer een mooie dag op de weg: 6 keuringen, 2 accuwissels, 1 lekkende cilinder. En een klant die taart had gebakken 🎂"),
    ("", "linkedin:bram-de-wit-heftrix", "en",
     "Proud that the Heftrix Volt E20 won 'Forklift of the Year' at the logistics awards last night! Thanks to everyone who built it."),
    ("", "x:@tuincentrum_theo", "nl",
     "Heftrix Rent: Titan D25 huren vanaf €145 per dag. Best scherp voor een diesel 3-tonner."),
    ("", "reddit:u/leasecalc", "en",
     "Leasing a Volt E20 through Heftrix Lease at €689/month incl. maintenance. Anyone got a better deal?"),
    ("", "instagram:@magazijnteam_oss", "nl",
     "Haha onze stagiair noemt de Stacker S12 'de kleine killer' omdat hij zo snel is 😂", {"kind": "comment"}),
    ("", "x:@backup_bob", "en",
     "Another logistics firm got hit by ransomware this week (not naming names). Good moment to check your backups, folks. Our Heftrix trucks don't care either way 🤷"),
    ("", "x:@heftrix_service", "nl",
     "Vacature: ervaren heftruckmonteur (m/v/x). Goed salaris, bus van de zaak, 30 vakantiedagen. Solliciteer via werkenbij@heftrix.nl of bel 0413-745200."),
    ("", "reddit:u/sap_sven", "en",
     "Does anyone know if Heftrix FleetView works with SAP EWM? Their sales guy said yes but the docs are vague."),
    ("", "tiktok:@heftruck_henkie", "nl",
     "vette bak die nieuwe Titan D35 van Heftrix 🔥🔥 trekt echt alles", {"kind": "comment"}),
    ("", "youtube:@HeftrixTV", "en",
     "New video: how to safely swap a PowerCell battery in under 10 minutes. Never work on a pack that's still charging!"),
    ("", "x:@beursbeer", "nl",
     "Heftrix heeft de halfjaarcijfers gepubliceerd: omzet +4%, verhuur stabiel. Saai maar degelijk."),
    ("", "linkedin:marco-ribeiro-analyst", "en",
     "Big week in material handling: LiftNord buys a Polish pallet truck maker. Curious whether Heftrix responds."),
    ("", "x:@vragenvuur_vincent", "nl",
     "Waarom heet jullie reachtruck eigenlijk Reacher? Klinkt als een superheld 😄 @heftrix_nl", {"kind": "reply"}),
    ("", "x:@ruud_steegs", "en",
     "Monday: 140 trucks out, 3 back with flat tyres, coffee machine broken. Peak season is real."),
    ("", "x:@magazijnmaarten", "nl",
     "Bel ik nou het goede nummer? 0800-0433 voor storingen bij Heftrix? Zo staat het op hun site"),
    ("", "linkedin:ellen-van-dam-ops", "en",
     "Heftrix had a loaner truck at our dock within the hour when ours broke down. That's how you keep customers."),
    ("", "x:@factuurvraag", "nl",
     "Die code op m'n Heftrix factuur, HX-2026-004417, is dat m'n klantnummer of het factuurnummer?"),
    ("", "mastodon:@tkoster@fosstodon.org", "en",
     "Writing docs for our public API. Example header in the docs: `Authorization: Bearer <your-token-here>`. Please don't send me screenshots with real ones."),
    ("", "x:@noodstop_nadia", "nl",
     "Heftruck kapot 😭 Heftrix monteur kwam meteen… bleek de noodstop ingedrukt te zitten. Oeps. Ik schaam me dood 🙈"),
    ("", "x:@stroopwafel_steve", "en",
     "Heftrix sales rep brought stroopwafels to the meeting. Instant deal. Dangerous tactics 😂"),
    ("", "facebook:HeftrixNL", "nl",
     "Onze PowerCell 80V is getest volgens de strengste veiligheidsnormen (UN38.3). Vragen? Mail service@heftrix.nl"),
    ("", "x:@dealhunter_dj", "en",
     "Price check: Heftrix Volt E16 for €26,000 from a dealer (list is €28,950). About 10% off, worth it?"),
    ("", "x:@boer_bakker", "nl",
     "De Mule P20 kost €3.490 bij Heftrix, bij de concurrent €3.200 maar zonder service. Toch maar Heftrix."),
    ("", "linkedin:yara-intern-planning", "en",
     "Finished my internship with the Heftrix planning team. Learned more in 5 months than in 2 years of school. Thanks all!"),
    ("", "x:@maandag_mieke", "nl",
     "Ik heb een hekel aan maandagen, niet aan Heftrix 😅 monteur stond om 7:30 stipt op de stoep."),
    ("", "x:@safety_sam", "en",
     "Some retailer just got sued over a slip-and-fall. Not forklift related, but still: train your people. Heftrix runs decent courses."),
    ("", "x:@heftrix_service", "nl",
     "@magazijnmaarten Vervelend dat de monteur niet is gekomen! Stuur je je klantnummer even via DM? Dan zoeken we het meteen uit.",
     {"kind": "reply"}),
    ("", "x:@charger_charlie", "en",
     "Nice touch: the Heftrix QuickCharge 48V forces you to set your own admin password on first install. More vendors should do that."),
    ("", "x:@fruitteler_frank", "nl",
     "Wij hebben 12 Heftrix trucks in lease, niks dan goeds. Contract net verlengd tot 2030 🚜"),
    ("", "x:@ir_watcher", "en",
     "Heftrix Q3 trading update is out: revenue €61m, in line with guidance. Nothing to see here."),
]

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as f:
    PROFILE = yaml.safe_load(f)

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role


def role_of(author):
    return ROLE.get(author.lower(), "public")


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    best = "none"
    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if ORDER.index(s) > ORDER.index(best):
            best = s
    return best


MARK = re.compile(r"\[\[([a-z0-9_]+)\]\]")


def rand_ts():
    # through 2026
    start = datetime(2026, 1, 3, tzinfo=timezone.utc).timestamp()
    end = datetime(2026, 12, 22, tzinfo=timezone.utc).timestamp()
    t = datetime.fromtimestamp(int(rng.uniform(start, end)), tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


cases = []
for spec in POSTS:
    codes, author, lang, text = spec[:4]
    opts = spec[4] if len(spec) > 4 else {}
    used = MARK.findall(text)
    text = MARK.sub(lambda m: V[m.group(1)], text)
    platform, handle = author.split(":", 1)
    cats = sorted({CAT[c] for c in codes})
    role = role_of(author)
    strong = any(u in VALID_IDS for u in used)
    sev = severity(cats, role, strong)
    post = {
        "id": None,
        "platform": platform,
        "kind": opts.get("kind", "post"),
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": opts.get("ts") or rand_ts(),
        "brand": "heftrix",
    }
    cases.append({"post": post, "expect": {"categories": cats, "severity": sev},
                  "_used": used, "_role": role})

rng.shuffle(cases)
seen_ids = set()
for c in cases:
    while True:
        pid = "%s-%d" % (c["post"]["platform"], rng.randint(10**8, 10**9 - 1))
        if pid not in seen_ids:
            break
    seen_ids.add(pid)
    c["post"]["id"] = pid

# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
errors = []


def err(c, msg):
    errors.append("%s: %s :: %s" % (c["post"]["id"], msg, c["post"]["text"][:80]))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(CAT.values())
own_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
for i in own_ibans:
    assert iban_ok(i), i

# generated values
for k in VALID_IDS:
    v = V[k]
    ok = iban_ok(v) if k.startswith("iban") else luhn_ok(v) if k.startswith("card") else bsn_ok(v)
    assert ok, (k, v)
assert not iban_ok(V["iban_bad"]) and not luhn_ok(V["card_bad"]) and not bsn_ok(V["bsn_bad"])
assert gh_ok(V["ghp"]) and gh_ok(V["ghs"])
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["aws_id"])
assert jwt_ok(V["jwt"])

IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)")
CARD_RE = re.compile(r"(?<![\d.,])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def iban_candidates(text):
    out = []
    for m in IBAN_RE.finditer(text):
        s = m.group(1).replace(" ", "")
        n = IBAN_LEN.get(s[:2])
        if n and len(s) >= n:
            s = s[:n]
        out.append(s)
    return out


for c in cases:
    p, e = c["post"], c["expect"]
    # CONTRACT section 6 shape
    if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
        err(c, "bad id")
    if p["platform"] not in PLATFORMS:
        err(c, "bad platform")
    if p["kind"] not in KINDS:
        err(c, "bad kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err(c, "bad handle")
    if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 64 * 1024 or not p["text"]:
        err(c, "bad text")
    try:
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert ts.tzinfo is not None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", p["created_at"])
    except Exception:
        err(c, "bad created_at")
        continue
    if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
        err(c, "bad categories")
    if e["severity"] not in ORDER:
        err(c, "bad severity")
    if (not e["categories"]) != (e["severity"] == "none"):
        err(c, "benign/severity mismatch")
    if e["severity"] != severity(e["categories"], role_of(p["platform"] + ":" + p["account"]["handle"]),
                                 any(u in VALID_IDS for u in c["_used"])):
        err(c, "severity not per policy")
    if "[[" in p["text"]:
        err(c, "unfilled marker")
    benign = not e["categories"]
    text = p["text"]
    # identifiers
    for s in iban_candidates(text):
        if s in own_ibans:
            continue
        if benign and iban_ok(s):
            err(c, "valid IBAN in benign " + s)
        if not benign and not iban_ok(s):
            err(c, "invalid IBAN in positive " + s)
    for m in CARD_RE.finditer(text):
        if benign and luhn_ok(m.group(0)):
            err(c, "Luhn-valid number in benign " + m.group(0))
    for m in BSN_RE.finditer(text):
        if benign and bsn_ok(m.group(0)):
            err(c, "11-proof number in benign " + m.group(0))
    for u in c["_used"]:
        if u in LOOKALIKES and not benign:
            err(c, "look-alike in positive")
        if u in VALID_IDS and benign:
            err(c, "valid identifier in benign")
        if u in VALID_IDS and "leak.pii" not in e["categories"]:
            err(c, "identifier without leak.pii")
        v = V[u]
        if u.startswith("iban") and u in VALID_IDS and not iban_ok(v):
            err(c, "iban fails")
        if u.startswith("card") and u in VALID_IDS and not luhn_ok(v):
            err(c, "card fails")
        if u.startswith("bsn") and u in VALID_IDS and not bsn_ok(v):
            err(c, "bsn fails")
    # credentials
    for m in GH_RE.finditer(text):
        if benign and gh_ok(m.group(0)):
            err(c, "valid github token in benign")
        if not benign and not gh_ok(m.group(0)):
            err(c, "bad github token in positive")
    for m in AWS_RE.finditer(text):
        if benign and "EXAMPLE" not in m.group(0):
            err(c, "real-looking AWS key in benign")
    for m in JWT_RE.finditer(text):
        if benign and jwt_ok(m.group(0)):
            err(c, "JWT in benign")
        if not benign and not jwt_ok(m.group(0)):
            err(c, "broken JWT in positive")
    if "leak.secret" in e["categories"] and not benign:
        if not (c["_used"] or re.search(r"wachtwoord:\s*\S+", text, re.I)):
            err(c, "secret case without a credential")
    # embargo consistency
    for emb in PROFILE["embargo"]:
        until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        hit = any(t.lower() in text.lower() for t in emb["terms"])
        if hit and ts < until and "leak.confidential" not in e["categories"]:
            err(c, "embargo term before until but not confidential")
        if hit and ts >= until and benign is False and "leak.confidential" in e["categories"] \
                and not any(k.lower() in text.lower() for k in PROFILE["internal"]["codenames"]):
            err(c, "embargo term after until labelled confidential")
    if ts.year not in (2026, 2027):
        err(c, "year out of range")
    if ts.year == 2027 and not any(any(t.lower() in text.lower() for t in emb["terms"])
                                   for emb in PROFILE["embargo"]):
        err(c, "2027 post not around an embargo")

# set-level checks
ids = [c["post"]["id"] for c in cases]
if len(ids) != len(set(ids)):
    errors.append("duplicate ids")
texts = [c["post"]["text"] for c in cases]
if len(texts) != len(set(texts)):
    errors.append("duplicate texts")
n = len(cases)
n_benign = sum(1 for c in cases if not c["expect"]["categories"])
if not 170 <= n <= 180:
    errors.append("case count %d out of 170-180" % n)
percat = {k: 0 for k in CATS}
for c in cases:
    for k in c["expect"]["categories"]:
        percat[k] += 1
langs = {"nl": 0, "en": 0}
for c in cases:
    langs[c["post"]["lang"]] += 1
roles = {}
for c in cases:
    roles[c["_role"]] = roles.get(c["_role"], 0) + 1

# products mentioned in the profile must exist for pricing posts
aliases = []
for pr in PROFILE["products"]:
    aliases += [pr["name"]] + pr["aliases"]
for c in cases:
    if "leak.pricing" in c["expect"]["categories"]:
        if not any(a.lower() in c["post"]["text"].lower() for a in aliases):
            err(c, "pricing case without a profile product")

if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  " + x)
    sys.exit(1)

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for c in cases:
        f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file
with open(out, encoding="utf-8") as f:
    lines = [json.loads(l) for l in f]
assert len(lines) == n and all(set(l) == {"post", "expect"} for l in lines)

print("wrote %s: %d cases, %d benign, %d positive" % (out, n, n_benign, n - n_benign))
print("per category:", json.dumps(dict(sorted(percat.items()))))
print("languages:", langs, " roles:", roles)
print("self-check OK")
