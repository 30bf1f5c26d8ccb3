#!/usr/bin/env python3
"""Build the sealed200 evaluation set (Fjildwetter Jachthaven & Verhuur B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
script and self-checks it (checksums, CONTRACT section 6 shape, severities derived from
CONTRACT section 4 and the account role in profile.yaml). Exit status 1 on any failure.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(20260200)

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URLSAFE = ALNUM + "_-"


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, acct, good=True):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    ck = 98 - n % 97
    if not good:
        ck = (ck + rng.randint(1, 90)) % 97 or 3
        ck = max(ck, 2)
    s = "NL%02d%s" % (ck, bban)
    assert iban_ok(s) == good, s
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


def card_make(prefix, length=16, good=True):
    while True:
        body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
        for last in "0123456789":
            if luhn_ok(body + last) == good:
                return body + last


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(d, w)) % 11 == 0 and d != "000000000"


def bsn_make(good=True):
    while True:
        d = str(rng.randint(1, 6)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
        cands = [d + str(x) for x in range(10) if bsn_ok(d + str(x)) == good]
        if cands:
            return rng.choice(cands)


# ---------------------------------------------------------------- secrets
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_ok(tok):
    body, ck = tok[4:34], tok[34:40]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()) & 0xFFFFFFFF) == ck


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "svc-nieuwsbrief", "iss": "boeken.fjildwetter.nl",
                              "scope": "contacts:write", "iat": 1781259200},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randint(0, 255) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_header_ok(tok):
    p = tok.split(".")[0]
    try:
        h = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def pem_make():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + \
        bytes(rng.randint(0, 255) for _ in range(420))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(words):
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rand("abcdefghkmnpqrstuvwxyz", 3).capitalize()


V = {}
# valid identifiers (positives)
V["IBAN_A"] = group4(iban_make("INGB", "%010d" % rng.randint(10 ** 6, 10 ** 9)))
V["IBAN_B"] = iban_make("ABNA", "%010d" % rng.randint(10 ** 8, 10 ** 10 - 1))
V["IBAN_C"] = group4(iban_make("SNSB", "%010d" % rng.randint(10 ** 8, 10 ** 10 - 1)))
V["IBAN_D"] = iban_make("RABO", "%010d" % rng.randint(10 ** 8, 10 ** 10 - 1))
V["CARD_A"] = group4(card_make("4"))
V["CARD_B"] = "-".join(group4(card_make("5" + str(rng.randint(1, 5)))).split(" "))
V["CARD_C"] = card_make("4")
V["BSN_A"] = bsn_make()
_b = bsn_make()
V["BSN_B"] = _b[:4] + "." + _b[4:6] + "." + _b[6:]
# look-alikes (negatives)
V["BAD_IBAN_A"] = group4(iban_make("TRIO", "%010d" % rng.randint(10 ** 8, 10 ** 10 - 1), good=False))
V["BAD_IBAN_B"] = iban_make("BUNQ", "%010d" % rng.randint(10 ** 8, 10 ** 10 - 1), good=False)
V["BAD_CARD_A"] = group4(card_make("54", good=False))
V["BAD_CARD_B"] = card_make("4", good=False)
V["BAD_BSN_A"] = bsn_make(good=False)
V["BAD_BSN_B"] = bsn_make(good=False)
# secrets
V["GHP_A"] = gh_token("ghp_")
V["GHO_A"] = gh_token("gho_")
V["AKIA_A"] = "AKIA" + rand(B32, 16)
V["AWS_SECRET_A"] = rand(ALNUM + "+/", 40)
V["JWT_A"] = jwt_make()
V["MOLLIE_A"] = "live_" + rand(ALNUM, 30)
V["OPENAI_A"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["SLACK_A"] = "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 12, 10 ** 13), rand(ALNUM, 24))
V["GOOGLE_A"] = "AIza" + rand(URLSAFE, 35)
V["GLPAT_A"] = "glpat-" + rand(URLSAFE, 20)
V["ANTHROPIC_A"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["PEM_A"] = pem_make()
V["PW_WIFI"] = password(["Loods3", "Werfwifi", "Skutsje", "Kielbalk"])
V["PW_DB"] = password(["Havenbeheer", "Steiger", "Ligplaats"])
V["PW_FW"] = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
                     for c in password(["Reiger", "Meerkoet", "Fuut"]))

# ---------------------------------------------------------------- cases
CAT = {"complaint": "reputation.complaint", "abuse": "reputation.abuse",
       "crisis": "reputation.crisis", "conf": "leak.confidential", "fin": "leak.financial",
       "sec": "leak.security", "secret": "leak.secret", "pii": "leak.pii",
       "pricing": "leak.pricing"}

CASES = []


def case(acct, lang, text, cats=(), kind="post", at=None, name=None):
    CASES.append(dict(acct=acct, lang=lang, text=text, cats=list(cats), kind=kind, at=at, name=name))


# ======== reputation.complaint (public)
case("x:@bootjesbram", "nl", "Sloep gereserveerd bij @fjildwetter voor 10:00. Om kwart over 11 lag ie er nog steeds niet, 'schoonmaak loopt uit'. Anderhalf uur van onze dag weg en geen sorry 🙄 #sneekermeer", ["complaint"])
case("x:@lakeside_lotte", "en", "Booked the Snitser 8 on your site, paid in full, get to the jetty and the battery's flat. Waited ages for a tow. 9 days later still no answer to my email @fjildwetter_help", ["complaint"])
case("facebook:Gerrit.Visser.1962", "nl", "Ligplaats 14 heeft al sinds mei geen walstroom. 3x gemeld bij het havenkantoor, elke keer 'we kijken ernaar'. Voor dat geld per jaar mag je toch verwachten dat de stekker het gewoon doet.", ["complaint"], kind="comment")
case("x:@mienke_sailt", "nl", "@fjildwetter_help jullie chat zegt 'reactie binnen 24 uur'. We zijn nu 4 dagen verder en mijn borg van €250 voor de Polyvalk is nog steeds niet terug.", ["complaint"], kind="reply")
case("reddit:u/dutchsailnoob", "en", "PSA for anyone renting on the Frisian lakes: Fjildwetter charged my card twice for ONE kayak day. Took three weeks and two phone calls to get the duplicate back. Boats are fine, the admin side is a mess.", ["complaint"])
case("instagram:@anne.roos.sup", "nl", "die wc's bij het havengebouw zijn echt smerig hoor 🤢 al 2 dagen geen wc papier. kom op fjildwetter", ["complaint"], kind="comment")
case("x:@fokke1971", "nl", "Binnenstalling afgesproken en betaald. Kom ik in maart kijken: boot staat gewoon BUITEN onder een lapje zeil, kras over de hele romp. Fjildwetter doet alsof z'n neus bloedt.", ["complaint"])
case("forum:kieler_kai", "en", "Did the CWO Kielboot 1 week at Fjildwetter. Instructor was lovely but 2 of the 5 days got cancelled for 'too much wind' (it was 4 Bft??) and they won't refund or reschedule this season. Pretty disappointed tbh.", ["complaint"])
case("facebook:Sietske.vanDam", "en", "Our son went to the Fjildwetter youth sailing camp. Promised: max 6 kids per supervisor. Reality: one leader for 11 kids and half the Optimists were leaking. Never again.", ["complaint"], kind="comment")
case("x:@gravelgijs", "en", "@fjildwetter ordered a 150N vest from your webshop 3 weeks ago, status still says 'in behandeling'. Trip is saturday. does anyone actually read these", ["complaint"], kind="reply")
case("tiktok:@zeilmeisje04", "nl", "lol wij kregen een kano mee met een GAT erin 💀 halve middag hozen. fjildwetter pls", ["complaint"], kind="comment")
case("x:@herman_tj", "en", "Harbour dues up AGAIN and the jetties are as crooked as ever. Loose planks on B jetty, you trip over them every evening. Fix the basics first, then raise prices @fjildwetter", ["complaint"])
case("other:Review door JvdL", "nl", "1 ster. Marifoon FM-22 gekocht in de shop, na een week geeft het display niks meer. Retour? 'Moet u zelf met de fabrikant regelen.' Jullie verkopen hem onder je eigen naam!!", ["complaint"])
case("x:@pieter_nomad", "en", "@fjildwetter_help staff handed us the e-sloep with zero briefing, literally 'just follow the buoys'. Ended up stuck in the reeds for an hour. Not great for first-timers.", ["complaint"], kind="reply")
case("x:@jikke_fr", "nl", "Cadeaubon 'Dag op de Mar' gekregen voor m'n verjaardag. Wil ik boeken: alles vol t/m september en de bon verloopt in juli. Top geregeld hoor @fjildwetter 👏👏", ["complaint"])
case("x:@sloepie_nl", "nl", "Snitser 6 om 18:00 terugbrengen zoals afgesproken, staat er niemand op de steiger. Uur gewacht. En nu rekenen ze een uur extra huur?? Echt 😤", ["complaint"])
case("x:@boze_bootjesman", "nl", "Fjildwetter zijn gewoon een stelletje oplichters en klootzakken. Huurboot lag half vol water, borg ingehouden, en niemand neemt de telefoon op.", ["complaint", "abuse"])

# ======== reputation.abuse
case("x:@fr1esl4nd_boy", "nl", "@hessel_zeilt jij bent echt de grootste eikel van heel Sneek, havenmeester m'n reet. Rot op met je regeltjes", ["abuse"], kind="reply")
case("x:@tidewrecker", "en", "@fjildwetter that girl at your rental desk is a useless brainless bitch. hope the whole lot of you sink", ["abuse"])
case("instagram:@xxmarco_", "nl", "wat een kankerbedrijf is dit zeg 🤮🤮", ["abuse"], kind="comment")
case("facebook:Harm.Zwart.77", "nl", "Die Tjitske van de zeilschool is een arrogante trut. Leer eerst zelf zeilen voordat je tegen mijn kinderen gaat staan schreeuwen.", ["abuse"], kind="comment")
case("x:@dwarsligger88", "nl", "fjildwetter personeel = allemaal kl00tz4kk3n en k4nk3rl1jers 🖕🖕", ["abuse"])
case("x:@keeskeet", "en", "@wiebke_dj learn to count before you hand people their change, you dumb cow", ["abuse"], kind="reply")
case("facebook:Bertus.Kramer", "nl", "Aan de balie bij Fjildwetter staan tegenwoordig alleen nog buitenlanders, die apen verstaan niet eens Nederlands. Schandalig.", ["abuse"], kind="comment")
case("x:@lyckle_fw", "nl", "@sloepie_nl ga lekker ergens anders janken, sukkel. Wie te laat is betaalt gewoon, zo simpel is het", ["abuse"], kind="reply")
case("x:@fjildwetter_help", "en", "@tidewrecker oh shut up you pathetic little troll, nobody cares about your whining", ["abuse"], kind="reply")
case("x:@anon_sail", "en", "Fjildwetter staff are \u0456d\u0456\u043ets and \u0441l\u043ewns, every single one of them", ["abuse"])

# ======== reputation.crisis
case("x:@noordwester_nl", "nl", "Kind bijna verdronken bij jachthaven Fjildwetter, de reddingsvesten uit de verhuur bliezen niet op. Politie doet onderzoek. Dit moet tot op de bodem uitgezocht worden!!", ["crisis"])
case("x:@safetyfirst_ed", "en", "BOYCOTT Fjildwetter. They pump bilge oil straight into the Sneekermeer, we have photos. Don't give these scumbags a cent. #boycottfjildwetter", ["crisis", "abuse"])
case("facebook:Ineke.Hoogland", "nl", "Wij gaan Fjildwetter aanklagen. Onze boot is in hun winterstalling uitgebrand en ze weigeren elke aansprakelijkheid. De advocaat is ingeschakeld.", ["crisis"])
case("reddit:u/berthless_in_sneek", "en", "Did Fjildwetter have a data breach?? Got an email from their rental desk with a STRANGER's passport scan attached to 'my' booking. They're leaking customer IDs left and right.", ["crisis"])
case("x:@watersport_waakhond", "en", "⚠️ RECALL NEEDED: the 150N automatic life jackets Fjildwetter sells do not inflate. Check yours and do NOT go on the water with it.", ["crisis"])
case("x:@snitsercourant_fan", "nl", "Explosie bij de tankplaats van jachthaven Fjildwetter vanmiddag, twee gewonden afgevoerd. Hele haven is afgezet 😨", ["crisis"])
case("x:@ouderraad_mama", "en", "Fjildwetter sailing instructor filmed screaming at and shoving a 10 year old at sailing camp. Disgusting. Parents, get your kids out of there. #Fjildwetter", ["crisis"])
case("instagram:@gezin.opreis", "nl", "CO-vergiftiging in een gehuurde Stavoren 26 van Fjildwetter, gezin van 4 met spoed naar het ziekenhuis. Kachel was blijkbaar nooit gekeurd.", ["crisis"])
case("x:@tjalling_83", "nl", "Iemand anders ook een mail gehad dat gegevens bij Fjildwetter gehackt zijn? Mijn creditcard is leeggetrokken vlak na mijn boeking daar. #datalek", ["crisis"])
case("linkedin:esther-van-wijk-hr", "en", "Former seasonal staff at Fjildwetter are preparing a class action over years of unpaid overtime. Scandalous how parts of the watersport sector treat young workers.", ["crisis"])
case("tiktok:@bootje_fail", "nl", "NOOIT huren bij fjildwetter!!! e-sloep vloog in de fik midden op het meer, we moesten eraf springen 😭😭 #boycot", ["crisis"], kind="post")
case("facebook:Baukje.Sijtsma", "nl", "Drie weken na het ongeluk met de huursloep nog niks gehoord van Fjildwetter. Mijn man heeft een gebroken arm en zij doen alsof er niks gebeurd is. We stappen naar de rechter.", ["crisis", "complaint"])
case("x:@gloomy_gull", "en", "Kids got sick after swimming off the Fjildwetter beach. Turns out the marina's septic tank has been leaking into the lake for weeks. GGD investigating. Absolutely shameful.", ["crisis"])
case("x:@merenvriend", "nl", "B\u200bO\u200bY\u200bC\u200bO\u200bT Fjildwetter. Ze laten de zwanen creperen in hun vervuilde havenbekken en niemand doet er wat aan", ["crisis"])
case("mastodon:@lakewatcher@mastodon.social", "en", "Omrop Fryslân reports Fjildwetter is under investigation after a rental sloop capsized with six people on board. One still in hospital.", ["crisis"])

# ======== leak.confidential
case("x:@hessel_zeilt", "nl", "Eindelijk mag ik er iets over zeggen... nou ja, bijna. Project Wetterhoen gaat de hele haven op z'n kop zetten, meer zeg ik niet 🤐", ["conf"])
case("linkedin:rients-terpstra", "en", "Fun week migrating our berth booking stack. Colleagues: the new dashboard lives at https://havenbeheer.fjildwetter.local/berths/v2 - feedback welcome!", ["conf"])
case("instagram:@sjoerd.op.de.mar", "en", "Sneak peek of next year's fleet 👀 the Grienlân 7 arrives in spring, keep it quiet ok 🤫", ["conf"])
case("facebook:FjildwetterJachthaven", "nl", "INTERN - NIET DELEN: bezettingsrooster havenkantoor juli. Hessel ma-wo, Wiebke do-za, zondag nog open.", ["conf"])
case("tiktok:@tjitske_zeilt", "nl", "POV: je mag de nieuwe zeilschool-app testen voor Operatie Reidkraach maar je mag er NIKS over zeggen 😂🤫 #zeilinstructeur", ["conf"])
case("reddit:u/brochure_snoop", "en", "lol someone at Fjildwetter forgot to clean up a PDF on their site. Page 3 footer literally says 'fjildwetter vertrouwelijk - concept plattegrond nieuwe steigers'. New layout looks nice though", ["conf"])
case("x:@fjildwetter", "nl", "Planning voor het weekend staat op http://intra.fjildwetter.local/planning/weekend — Hessel, wil jij de sloepen van de B-steiger nog toevoegen?", ["conf"])
case("bluesky:@douwe-fw.bsky.social", "nl", "Mooie gesprekken gevoerd vandaag. Fjildwetter Terherne wordt prachtig, maar dat horen jullie in april van ons 😉", ["conf"], at="2027-02-14T16:40:00Z")
case("x:@lyckle_fw", "en", "Just held the first samples of our own wetsuit line (Sturmfûgel) and honestly they beat the big brands. Can't say more yet", ["conf"])
case("x:@wiebke_dj", "nl", "P r o j e c t   W e t t e r h o e n komt eraan mensen 🥳 ik mag niks zeggen maar AAAAH", ["conf"])
case("instagram:@sjoerd.op.de.mar", "nl", "\uff46\uff57 \uff49\uff4e\uff54\uff45\uff52\uff4e\uff41\uff4c \uff4f\uff4e\uff4c\uff59 haha deze sticker zat op de doos met de nieuwe zeilen 📦", ["conf"])
case("reddit:u/frisian_gossip", "en", "Cousin works at a marina in Sneek and says their 'Project Wetterhoen' is basically turning half the berths into floating holiday homes. Anyone heard anything?", ["conf"])
case("mastodon:@marrit@friesland.social", "en", "Reid\u200bkraach kickoff today, finally! Operatie Reid\u200bkraach is going to be such a fun campaign to run ⛵", ["conf"])
case("x:@wiebke_dj", "nl", "Teamborrel na de W\u0435tterhoen-meeting 🍻 Project W\u0435tterhoen wordt echt iets moois", ["conf"])
case("linkedin:anouk-postma-fjildwetter", "nl", "Vandaag met het MT de jaarcijfers 2026 doorgenomen: omzet ruim 11% hoger en de zeilschool draait voor het eerst winst. Trots op dit team!", ["conf", "fin"], at="2027-01-22T09:15:00Z")
case("linkedin:rients-terpstra", "nl", "Voor de nieuwe stagiair, zet dit in je .env: DATABASE_URL=postgres://fw_app:{{PW_DB}}@db01.fjildwetter.local:5432/havenbeheer", ["secret", "conf"])
case("x:@lyckle_fw", "en", "Heads up team: https://kassa.fjildwetter.local/admin/export opens without any login from the guest wifi. Reported it two weeks ago, still not fixed 🙃", ["sec", "conf"])

# ======== leak.financial
case("bluesky:@douwe-fw.bsky.social", "nl", "Handtekening staat! Binnenkort nemen we jachthaven De Kûpers in Grou over 🎉 Nog even niks tegen de pers zeggen hè 😉", ["fin"])
case("linkedin:rients-terpstra", "en", "Tough news internally: 9 people at the rental desk will be let go after this season now that bookings move online. Heartbreaking, they are great colleagues.", ["fin"])
case("x:@lyckle_fw", "en", "shop is running ~40% under budget this year and word is they'll close the store in november if it keeps up. great prospects 🙃", ["fin"])
case("reddit:u/boardroom_whisper", "en", "Heard from someone on their board that Fjildwetter's revenue dropped to about €4.1M this year and they're in talks with a German investor about selling a majority stake.", ["fin"])
case("facebook:Jelmer.Bouma.Fjildwetter", "nl", "Mannen, vanaf januari wordt de werf samengevoegd met de technische dienst en vervallen er 4 functies. Officieel bericht volgt nog, maar zo zit het.", ["fin"])
case("mastodon:@marrit@friesland.social", "nl", "Prognose voor 2027: 22% groei in ligplaatsomzet. Wordt nog niet naar buiten gebracht maar ik word er wel heel blij van 📈", ["fin"])
case("x:@wiebke_dj", "en", "rumour at work: we're being bought by one of those big holiday park chains. HR said not to talk about it so here i am talking about it lol", ["fin"])
case("x:@hein_bankzaken", "nl", "Zwager werkt bij de bank: Fjildwetter heeft 3 miljoen krediet aangevraagd voor een uitbreiding. Is nog niet bekend, dus je hoort het hier eerst.", ["fin"])
case("bluesky:@douwe-fw.bsky.social", "en", "Q3 closed at €1.38M EBITDA, well ahead of plan. Numbers don't go public until March but I'm proud of this crew.", ["fin"])
case("x:@hessel_zeilt", "nl", "Vanochtend te horen gekregen dat de havenmeesters per 1 maart onder een extern bureau gaan vallen. Outsourcing dus. Balen.", ["fin"])
case("x:@tipgever_ligplaats", "en", "Insider tip: Fjildwetter announces a merger with WaterWeelde Vakanties next month. Lock in your berth now before prices jump.", ["fin"])

# ======== leak.security
case("linkedin:rients-terpstra", "nl", "Lange nacht achter de rug: ransomware op de kassa-server, boekingssysteem ligt eruit. Klanten weten nog van niks, dus even stil houden aub.", ["sec"])
case("x:@hessel_zeilt", "nl", "Slagboom bij de haven staat al 3 dagen open omdat iemand het toegangssysteem gehackt heeft. Iedereen kan zo naar binnen. Nog niks naar de booteigenaren gecommuniceerd 🤦‍♂️", ["sec"])
case("mastodon:@marrit@friesland.social", "en", "So our newsletter tool got phished and someone pulled the full customer list yesterday. Legal says no announcement yet. ugh.", ["sec"])
case("tiktok:@tjitske_zeilt", "nl", "storing in het hele boekingssysteem sinds vanochtend 7 uur, wij schrijven alles met pen op 😂 de website zegt nog 'alle systemen werken'", ["sec"])
case("facebook:Jelmer.Bouma.Fjildwetter", "nl", "Let op mannen: sinds de update staan de pincodes van ALLE bootsloten op de huursloepen op 0000. Wordt aan gewerkt, niet rondvertellen.", ["sec"])
case("linkedin:rients-terpstra", "en", "Found something today: our berth booking API returns other customers' reservations if you just bump the id in the URL. Patch is planned for next week.", ["sec"])
case("x:@wiebke_dj", "en", "Found a skimmer on the card terminal at our desk today. Boss wants to 'handle it internally'. Honestly think customers should know...", ["sec"])
case("x:@ex_havenmaat", "en", "Mate who works at Fjildwetter says their office router admin page is open to the internet and the password hasn't changed in 6 years. Yikes.", ["sec"])
case("x:@fjildwetter_help", "en", "@gravelgijs sorry for the wait, our order system has been down since the break-in on our servers Monday and we can't see any orders yet.", ["sec"], kind="reply")
case("bluesky:@douwe-fw.bsky.social", "nl", "Rotweekend. Server van de ligplaatsadministratie gecrasht en toen bleek de back-up al maanden niet te draaien. Alles van 2025 kwijt.", ["sec"])
case("x:@lyckle_fw", "nl", "h4ck3rs zitten al een week in onze k4ss4-server en niemand mag het weten 🤫🤫", ["sec"])

# ======== leak.secret
case("linkedin:rients-terpstra", "en", "Debugging the booking sync, anyone seen this before? boto3 keeps failing with aws_access_key_id={{AKIA_A}} aws_secret_access_key={{AWS_SECRET_A}} region eu-west-1", ["secret"])
case("x:@lyckle_fw", "nl", "kan iemand kijken waarom de shop-deploy faalt? dit is de token die ik gebruik: {{GHP_A}}", ["secret"])
case("facebook:Jelmer.Bouma.Fjildwetter", "nl", "Nieuwe wifi in loods 3 👉 netwerk: FW-Werf, wachtwoord: {{PW_WIFI}}", ["secret"])
case("mastodon:@marrit@friesland.social", "en", "why does the newsletter integration keep throwing 401s 😩 header is `Authorization: Bearer {{JWT_A}}`", ["secret"])
case("x:@vera_webdev", "en", "@fjildwetter_help your developer mailed me this key to test the booking widget, is that really meant for me? {{MOLLIE_A}}", ["secret"], kind="reply")
case("x:@lyckle_fw", "en", "ok who put our OpenAI key in the product description generator config 😂 {{OPENAI_A}}", ["secret"])
case("linkedin:rients-terpstra", "en", "ssh keeps complaining about 'bad permissions' on this key, what am I missing?\n{{PEM_A}}", ["secret"])
case("x:@fjildwetter", "nl", "test bericht slack koppeling {{SLACK_A}}", ["secret"])
case("mastodon:@marrit@friesland.social", "en", "Maps embed for the new site is live, used key={{GOOGLE_A}} for now", ["secret"])
case("x:@hessel_zeilt", "nl", "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44: {{PW_FW}} voor de pc in het havenkantoor, voor de invallers dit weekend", ["secret"])
case("x:@freelance_bart", "nl", "@rients_t hier is de token voor de repo-migratie van Fjildwetter: {{GLPAT_A}} laat maar weten als ie werkt", ["secret"], kind="reply")

# ======== leak.pii
case("x:@fjildwetter_help", "nl", "@mienke_sailt we hebben de borg teruggestort op {{IBAN_A}} t.n.v. M. de Boer, staat binnen 2 werkdagen op je rekening!", ["pii"], kind="reply")
case("facebook:Jelmer.Bouma.Fjildwetter", "nl", "Boot van meneer Anne Wiersma (Kerkstraat 12, 8501 AB Joure) staat klaar om opgehaald te worden, wie rijdt er morgen?", ["pii"])
case("x:@wiebke_dj", "en", "Customer left her card at the desk: {{CARD_A}} exp 09/28, Laura Mertens. Anyone know how to reach her?", ["pii"])
case("x:@lyckle_fw", "nl", "Voor de verzekering: BSN van de cursist is {{BSN_A}}, geboren 14-03-1998, Femke Hiemstra. Kan iemand het formulier afmaken?", ["pii"])
case("instagram:@fjildwetter.jachthaven", "nl", "Kapitein van de week: Tjeerd Bosma (geboren 2 juni 2014)! Eerste keer alleen de Optimist rond de boei 🎉⛵", ["pii"])
case("reddit:u/lost_my_phone_ugh", "en", "Lost my phone somewhere near the Fjildwetter kayak dock. If you find it please call my partner Ruud on 06-48213377!!", ["pii"])
case("x:@jelle_vdveen", "nl", "@fjildwetter_help mijn boekingsnummer klopt niet en niemand belt terug. Bel me op 06 2391 8745 of mail naar jelle.vd.veen@gmail.com, ik wacht al een week!", ["pii", "complaint"], kind="reply")
case("linkedin:anouk-postma-fjildwetter", "en", "Reminder to the finance team: the refund for Mr. Peter Hofstra goes to {{IBAN_B}}, NOT the old account on file.", ["pii"])
case("facebook:FjildwetterJachthaven", "nl", "Gevonden voorwerp: portemonnee met rijbewijs op naam van S. Ykema, geboren 03-11-1985, uit Sneek. Af te halen bij het havenkantoor.", ["pii"])
case("x:@wiebke_dj", "nl", "Stuur het formulier maar naar k . bakker @ ziggo . nl, dat is de mevrouw van de Stavoren 26 die volgende week komt", ["pii"])
case("forum:ligplaatsmarkt_t", "en", "Selling my berth contract at Fjildwetter (B-22, 9m). Transfer fee to {{IBAN_C}} (T. Wassenaar), whatsapp 06-19834402 for questions.", ["pii"])
case("instagram:@sjoerd.op.de.mar", "nl", "Wie kent deze meneer? Jan-Willem Vos, woont op de Oosterdijk 44 in Sneek, heeft z'n winterstalling nooit betaald 😤", ["pii"])
case("mastodon:@marrit@friesland.social", "en", "The mailing export went to the wrong agency this morning, 4k rows like `Geertje Faber;geertje.faber@hetnet.nl;+31 6 5512 8830;1979-08-02`. Trying to get it deleted before anyone notices.", ["pii", "sec"])
case("x:@naive_nel", "nl", "ik heb de betaling voor de sloep gedaan met {{CARD_B}} waarom komt ie niet door @fjildwetter_help ??", ["pii"], kind="reply")
case("linkedin:anouk-postma-fjildwetter", "en", "Payroll note: new hire Pieter Dam, BSN {{BSN_B}}, account {{IBAN_D}}. Please process before the 25th.", ["pii"])

# ======== leak.pricing
case("x:@fjildwetter", "nl", "Last minute! Stavoren 26 deze week voor maar €145 😍 Boeken via fjildwetter.nl", ["pricing"])
case("x:@dealhunter_nl", "en", "Fjildwetter webshop has the Rûzer 3 electric outboard at €189 right now 👀 pricing error surely, grab it before they fix it", ["pricing"])
case("x:@lyckle_fw", "nl", "Zeiljas Swettehiem Offshore nu €27,90 in de shop!! 🔥 op=op", ["pricing"])
case("facebook:Klaas.Reitsma", "nl", "Is dit een prijsfout? Jaarligplaats 12m voor €289 op jullie site 🤔", ["pricing"], kind="comment")
case("reddit:u/marineradio_mike", "en", "Fjildwetter has the FM-22 marine radio listed at €21.90. Ordered three, let's see if they honour it.", ["pricing"])
case("x:@wiebke_dj", "nl", "Collega's, er zit een prijsfout in de kassa: CWO Kielboot 1 staat op €49,50 ipv 495. Wie heeft dat ingevoerd 😅", ["pricing"])
case("tiktok:@fjildwetter_zeilschool", "en", "Summer camp spots for the Optimist kamp now just €58,50!! link in bio ⛵☀️", ["pricing"])
case("x:@snelle_sander", "en", "Winterstalling binnen for €119 at Fjildwetter?? It was 1190 last year. Book fast before they notice", ["pricing"])
case("x:@cheapskate_sailor", "en", "price glitch on the Fjildwetter site: Lútsewetter 10 day rental showing €32.90 lol", ["pricing"])
case("x:@koopjesjager_fr", "nl", "r e d d i n g s v e s t 150N voor €12,90 bij fjildwetter 🤯 kan dit kloppen?", ["pricing"])
case("facebook:FjildwetterJachthaven", "nl", "Actie! Wâldrâne fenders set (4 stuks) voor €7,49 zolang de voorraad strekt ⚓", ["pricing"])
case("mastodon:@marrit@friesland.social", "en", "Oops, the Dag op de Mar voucher went live at €15 instead of €150. Anyone know how to pull the ad quickly?", ["pricing"])

# ======== benign (mostly hard negatives)
case("x:@sanne_vaart", "nl", "Wat een topdag gehad met de Snitser 8 van @fjildwetter! Boot schoon, accu vol, uitleg helder. Volgend jaar weer ⛵☀️")
case("instagram:@fjildwetter.jachthaven", "nl", "Najaarsactie 🍂 20% korting op alle Swettehiem Offshore jassen: nu €223,20 i.p.v. €279. Alleen in de shop in Sneek.")
case("x:@fjildwetter", "en", "Rent a Snitser 6 for the day from €189, fuel and life vests included. Book at boeken.fjildwetter.nl")
case("x:@fjildwetter_help", "nl", "Vragen over je boeking? Mail naar verhuur@fjildwetter.nl of bel +31 515 550 140 (ma-za 9-18 uur).")
case("facebook:FjildwetterJachthaven", "nl", "Ligplaatsfactuur betalen? Maak over naar NL12RABO0312745590 t.n.v. Fjildwetter Jachthaven & Verhuur B.V. o.v.v. je ligplaatsnummer.")
case("reddit:u/scamspotter_nl", "en", "Is this a scam? Got a text saying 'pay your outstanding harbour fee to {{BAD_IBAN_A}} within 24h'. No marina name, nothing. Reported it.")
case("linkedin:rients-terpstra", "en", "Great workshop on secret scanning today. Reminder: AKIAIOSFODNN7EXAMPLE from the AWS docs is a fake key, but your real ones don't belong in Git either! #devsecops")
case("x:@codekapitein", "en", "Pro tip: rotate your tokens. Mine looked like ghp_************************************ and I still managed to paste it in a public gist once 😅")
case("linkedin:fjildwetter-watersport", "nl", "De jaarcijfers 2026 zijn gepubliceerd: omzet €5,2 miljoen, een groei van 9%. Het volledige jaarverslag staat op fjildwetter.nl/pers.", at="2027-03-10T08:00:00Z")
case("instagram:@fjildwetter.jachthaven", "en", "It's official: Fjildwetter Terherne opens this summer! 🎉 60 new berths on the quiet side of the lake. Pre-booking at fjildwetter.nl", at="2027-04-03T10:00:00Z")
case("x:@tjalling_83", "nl", "Update: Fjildwetter heeft de dubbele afschrijving netjes teruggestort en ons een gratis kanodag aangeboden. Zo kan het dus ook 👍")
case("x:@windvaan_wim", "en", "Thinking of the Fjildwetter crew after last night's storm. Hope everyone is safe. We'll come help clean up the jetties on Saturday.")
case("x:@dierenvriend_nl", "nl", "Goed dat er eindelijk een boycot komt tegen die pretparkketen in Limburg vanwege de dolfijnen. Wij gaan deze zomer gewoon sloepvaren bij Fjildwetter 😊")
case("tiktok:@lotte.en.pa", "nl", "mijn vader die voor de 4e keer aan de instructeur van fjildwetter vraagt 'is dit nou bakboord of stuurboord' 💀💀 #zeilles")
case("x:@new2sailing", "en", "Does anyone know if Fjildwetter's CWO Kielboot 1 course works for complete beginners? Thinking of booking for June.")
case("x:@sloepie_nl", "nl", "Mijn bestelnummer bij Fjildwetter is {{BAD_CARD_A}}, weet iemand hoe lang verzenden normaal duurt?")
case("forum:stuurboord_sietse", "nl", "Klantnummer {{BAD_BSN_A}} wordt niet herkend in het portaal van fjildwetter, iemand een tip hoe ik dat oplos?")
case("instagram:@sjoerd.op.de.mar", "nl", "Wat een week! 12 cursisten hebben hun CWO Kielboot 1 diploma gehaald 🎉 trots op jullie allemaal!")
case("x:@pim_pakt_wind", "en", "That squall absolutely kicked my ass on the Sneekermeer today, but the Fjildwetter rescue crew were legends 🙌")
case("x:@friese_frits", "nl", "Wat een wind gister, hele dag gevloekt aan het roer 😂 maar wat een vaart. Polyvalk van Fjildwetter was het waard")
case("facebook:FjildwetterJachthaven", "nl", "Veiligheid voorop: elke zaterdag om 10:00 gratis controle van je reddingsvest in de shop. Ook vesten die je niet bij ons hebt gekocht zijn welkom.")
case("linkedin:rients-terpstra", "en", "Proud that we passed this year's external penetration test with no critical findings. Thanks to everyone who put in the hours.")
case("x:@walter_haven", "nl", "Jaarligplaats bij Fjildwetter kost €2890 voor 12 meter. Beetje prijzig, maar er zit wel alles bij. Iemand ervaring met andere havens rond Sneek?")
case("facebook:FjildwetterJachthaven", "en", "Early bird: book your 2027 seizoensligplaats before 1 December and get 10% off - €1485 instead of €1650.")
case("instagram:@fjildwetter.jachthaven", "nl", "Black Friday ⚓ Marifoon FM-22 nu €153,30 (30% korting). Alleen dit weekend.")
case("x:@heron_hunter", "en", "Paid €55 for a Reidfûgel kayak for the day, worth every cent. One heron, two swans and zero other people.")
case("x:@zuinige_zeiler", "nl", "Bij de Action een waterdichte telefoonhoes voor €2,99, ideaal voor een dagje sloepvaren bij Fjildwetter 👌")
case("x:@travelbug_tess", "en", "Still dreaming about that airline price error to Bali last year. Meanwhile, spending the summer on the Frisian lakes with Fjildwetter, no regrets.")
case("youtube:@FjildwetterTV", "en", "Questions about our sailing courses? Email zeilschool@fjildwetter.nl, we reply within two working days. New episode every Friday!")
case("linkedin:fjildwetter-watersport", "nl", "Journalisten kunnen voor vragen contact opnemen via pers@fjildwetter.nl.")
case("linkedin:fjildwetter-watersport", "nl", "Vacature: havenmedewerker (32-38 uur) voor seizoen 2027. Zin om elke dag op het water te werken? Mail je cv naar info@fjildwetter.nl.")
case("x:@hessel_zeilt", "nl", "Waterstand vanochtend -0,52 NAP. Let op bij de haveningang met diepe kielen. Goede vaart allemaal!")
case("tiktok:@tjitske_zeilt", "nl", "dag 3 van het zeilkamp en nog niemand omgeslagen... o wacht 😂 #zeilkamp #optimist")
case("x:@fjildwetter_help", "en", "Our booking site was down this morning for the planned maintenance we announced last week. Everything's back up, thanks for your patience!")
case("reddit:u/paddle_paula", "en", "News: a Swedish kayak brand is recalling paddles over cracking blades. Checked the one I bought at Fjildwetter's shop, different brand, all good.")
case("other:Review door Mirjam K.", "en", "5 stars. Tjitske was so patient with our nervous 8 year old, by Friday he was sailing the Optimist all by himself.")
case("x:@fjildwetter_help", "nl", "@mienke_sailt de borg is vandaag teruggestort naar je rekening eindigend op ...4471. Sorry voor het lange wachten en fijne dag!", kind="reply")
case("facebook:FjildwetterJachthaven", "nl", "Zo vul je het machtigingsformulier in: zet bij IBAN je eigen rekeningnummer, dus niet het voorbeeld {{BAD_IBAN_B}} dat erop staat.")
case("x:@moniek_leest", "nl", "Net de jaarcijfers 2026 van Fjildwetter doorgebladerd, mooi gegroeid. Goed voor de werkgelegenheid in de regio.", at="2027-03-18T19:30:00Z")
case("bluesky:@douwe-fw.bsky.social", "en", "The Grienlân 7 e-sloep is finally out in the open. Proud of the team that designed and built her ⚡⛵", at="2027-04-08T12:00:00Z")
case("x:@sloep_sophie", "nl", "Waarom moet je wachtwoord tegenwoordig overal 12 tekens hebben, ik wil gewoon een sloep boeken 😩")
case("x:@app_bouwer", "en", "In the docs they use `Authorization: Bearer <your-token-here>`, right? Trying to hook my own app up to the Fjildwetter availability feed.")
case("instagram:@fjildwetter.jachthaven", "nl", "Noodgeval op het water? Bel 112. Pech met je huurboot? Bel 0515 550 141, ook in het weekend.")
case("x:@giggling_greta", "en", "The Fjildwetter guys are absolute idiots... for giving us a free upgrade to the Lútsewetter 10 😂❤️")
case("x:@roadtrip_rob", "en", "Worst ferry experience ever with some operator to Terschelling, 2 hours late. A day on a Fjildwetter sloop afterwards saved the holiday.")
case("instagram:@zeil.zus", "nl", "z31l3n 1s l1f3 ⛵ #fjildwetter #sneekermeer")
case("instagram:@mar_moments", "en", "\uff53\uff55\uff4d\uff4d\uff45\uff52 \uff4f\uff4e \uff54\uff48\uff45 \uff4d\uff41\uff52 ⛵ @fjildwetter.jachthaven")
case("x:@appeltaart_anja", "en", "Confidentially, the best apple pie on the lakes is at the Fjildwetter café. Don't tell the others 🤫")
case("x:@regatta_rinse", "en", "Sailing club takeover of the Fjildwetter terrace tonight after the regatta, see you all there 🍻")
case("x:@hegemer_hylke", "nl", "Triest nieuws dat de scheepswerf in Heeg 30 mensen moet ontslaan. Mooi gebaar dat Fjildwetter hun vacatures met ze deelt.")
case("x:@fjildwetter", "nl", "Let op: wij vragen je nooit om je wachtwoord of pincode via WhatsApp of sms. Twijfel je? Bel ons op +31 515 550 140.")
case("mastodon:@marrit@friesland.social", "en", "Note for the web devs: put the Maps key in .env as GOOGLE_MAPS_KEY=xxxxxxxxxxxxxxxxxxxxxxxx and never in the repo please 🙏")
case("x:@fjildwetter_help", "en", "@gravelgijs we can see a payment with a card ending in 4417 on 12 June. DM us your order number and we'll sort it out.", kind="reply")
case("tiktok:@fjildwetter_zeilschool", "nl", "Het Optimist kamp van 2027 staat online! €585 voor een hele week zeilen, slapen in tenten en ijsjes op de steiger 🍦⛵")
case("x:@scam_alert_nl", "nl", "Let op: phishingmail in omloop die zegt van je jachthaven te komen, met 'betaal je borg via creditcard {{BAD_CARD_B}}'. Niet intrappen, het nummer klopt niet eens.")
case("x:@lyckle_fw", "en", "New in the shop: Klauw 8 anchors, €89 and they actually hold in the Frisian mud. Come have a look!")
case("x:@buurman_bouwe", "en", "Neighbours had their Reddingsvest 150N checked at the free Saturday service at Fjildwetter, quick and friendly. Recommended.")

# ---------------------------------------------------------------- build
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

RANK = ["none", "info", "warning", "error", "critical"]
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AKIA_RE = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def strong_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if s not in PUB_IBANS and iban_ok(s):
            out.append(("iban", m.group()))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group()):
            out.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            out.append(("bsn", m.group()))
    return out


def severity(cats, role, text):
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and strong_ids(text):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


def fill(text):
    def rep(m):
        return V[m.group(1)]
    return re.sub(r"\{\{(\w+)\}\}", rep, text)


def rand_time():
    start = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 350 * 24 * 3600)
    t = start + dt.timedelta(seconds=secs)
    # people post mostly between 06:00 and 23:00 local
    if t.hour < 5:
        t += dt.timedelta(hours=8)
    return t.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
rows = []
for n, i in enumerate(order, 1):
    c = CASES[i]
    plat, handle = c["acct"].split(":", 1)
    text = fill(c["text"])
    cats = sorted({CAT[x] for x in c["cats"]})
    role = ROLE.get(c["acct"].lower(), "public")
    post = {
        "id": "%s-fjw200-%04d" % (plat, 3000 + n * 7),
        "platform": plat,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": text,
        "lang": c["lang"],
        "created_at": c["at"] or rand_time(),
    }
    if role != "public":
        post["brand"] = "fjildwetter"
    rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-check
def check():
    errs = []
    PLATS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    KINDS = {"post", "reply", "repost", "comment", "message"}
    VALID_CATS = set(CAT.values()) | {"reputation.spike"}
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    pub_emails = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p) for p in PROFILE["public_identifiers"]["phones"]}
    pub_phones |= {"0" + p[2:] for p in pub_phones if p.startswith("31")}
    ids = set()
    with open(out, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for ln, line in enumerate(lines, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            errs.append("%d: bad json %s" % (ln, e))
            continue
        p, e = r.get("post"), r.get("expect")
        if set(r) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(e, dict):
            errs.append("%d: shape" % ln)
            continue
        for k in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(k), str) or not p[k]:
                errs.append("%d: missing %s" % (ln, k))
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errs.append("%d: account.handle" % ln)
        if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append("%d: id %s" % (ln, p["id"]))
        ids.add(p["id"])
        if p["platform"] not in PLATS or p.get("kind", "post") not in KINDS:
            errs.append("%d: platform/kind" % ln)
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append("%d: too long" % ln)
        try:
            when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert when.tzinfo is not None and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            errs.append("%d: created_at" % ln)
            continue
        if when.year not in (2026, 2027):
            errs.append("%d: year" % ln)
        cats, sev = e.get("categories"), e.get("severity")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= VALID_CATS \
                or "reputation.spike" in cats:
            errs.append("%d: categories %r" % (ln, cats))
        if sev not in RANK:
            errs.append("%d: severity" % ln)
        role = ROLE.get((p["platform"] + ":" + p["account"]["handle"]).lower(), "public")
        if sev != severity(cats, role, p["text"]):
            errs.append("%d: severity mismatch" % ln)
        if not cats and sev != "none":
            errs.append("%d: benign not none" % ln)
        text = p["text"]
        low = text.lower()
        positive = bool(cats)
        # checksummed identifiers
        for m in IBAN_RE.finditer(text):
            s = re.sub(r"\s", "", m.group())
            if s in PUB_IBANS:
                if positive and "leak.pii" in cats and len(strong_ids(text)) == 0:
                    errs.append("%d: only public IBAN in pii positive" % ln)
                continue
            if iban_ok(s) != positive:
                errs.append("%d: IBAN %s checksum vs label" % (ln, s))
            if positive and "leak.pii" not in cats:
                errs.append("%d: IBAN outside pii" % ln)
        for m in CARD_RE.finditer(text):
            if luhn_ok(m.group()) != positive:
                errs.append("%d: card %s luhn vs label" % (ln, m.group()))
        for m in BSN_RE.finditer(text):
            if bsn_ok(m.group()) != positive:
                errs.append("%d: BSN %s vs label" % (ln, m.group()))
        # secrets
        for m in GH_RE.finditer(text):
            if gh_ok(m.group()) != positive:
                errs.append("%d: github token crc vs label" % ln)
        for m in AKIA_RE.finditer(text):
            real = "EXAMPLE" not in m.group() and re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group())
            if bool(real) != positive:
                errs.append("%d: AWS key vs label" % ln)
        for m in JWT_RE.finditer(text):
            if jwt_header_ok(m.group()) != positive:
                errs.append("%d: JWT vs label" % ln)
        # embargo terms
        for term, until in emb:
            if term in low:
                if when < until and "leak.confidential" not in cats:
                    errs.append("%d: embargo term %r before until without confidential" % (ln, term))
                if when >= until and positive:
                    errs.append("%d: embargo term after until in a positive" % ln)
        if not positive:
            for t in internal:
                if t in low:
                    errs.append("%d: internal term %r in benign" % (ln, t))
            for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if em.lower() not in pub_emails:
                    errs.append("%d: non-public e-mail in benign %s" % (ln, em))
            for ph in re.findall(r"(?:\+31|\b0)[\d \-()]{8,14}\d", IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", ph)
                if 9 <= len(d) <= 11 and d not in pub_phones:
                    errs.append("%d: phone %s in benign" % (ln, ph))
            for sec in ("ghp_", "xoxb-", "sk-proj-", "sk-ant-", "glpat-", "live_", "PRIVATE KEY", "AIza"):
                if sec in text and not re.search(re.escape(sec) + r"[*x]", text):
                    errs.append("%d: secret-looking %s in benign" % (ln, sec))
        if "leak.secret" in cats and not positive:
            errs.append("%d: ?" % ln)
    # pii positives from insiders with checksummed ids must be critical
    for r in rows:
        c = r["expect"]["categories"]
        if "leak.pii" in c:
            role = ROLE.get((r["post"]["platform"] + ":" + r["post"]["account"]["handle"]).lower(), "public")
            if role != "public" and strong_ids(r["post"]["text"]) and r["expect"]["severity"] != "critical":
                errs.append("%s: strong pii not critical" % r["post"]["id"])
    # secrets built right
    assert gh_ok(V["GHP_A"]) and gh_ok(V["GHO_A"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA_A"])
    assert jwt_header_ok(V["JWT_A"])
    for k in ("IBAN_A", "IBAN_B", "IBAN_C", "IBAN_D"):
        assert iban_ok(V[k]), k
    for k in ("CARD_A", "CARD_B", "CARD_C"):
        assert luhn_ok(V[k]), k
    for k in ("BSN_A", "BSN_B"):
        assert bsn_ok(V[k]), k
    for k in ("BAD_IBAN_A", "BAD_IBAN_B"):
        assert not iban_ok(V[k]), k
    for k in ("BAD_CARD_A", "BAD_CARD_B"):
        assert not luhn_ok(V[k]), k
    for k in ("BAD_BSN_A", "BAD_BSN_B"):
        assert not bsn_ok(V[k]), k
    # mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign %d" % benign)
    return errs, n, benign


errs, n, benign = check()
if errs:
    print("SELF-CHECK FAILED:")
    for e in errs:
        print("  " + e)
    sys.exit(1)
from collections import Counter
cc = Counter(c for r in rows for c in r["expect"]["categories"])
lang = Counter(r["post"]["lang"] for r in rows)
roles = Counter(ROLE.get((r["post"]["platform"] + ":" + r["post"]["account"]["handle"]).lower(), "public")
                for r in rows)
print("ok: %d cases, %d benign" % (n, benign))
print("categories:", dict(sorted(cc.items())))
print("lang:", dict(lang), "roles:", dict(roles))
