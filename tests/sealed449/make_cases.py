#!/usr/bin/env python3
"""Builds cases.jsonl for sealed set 449 (Wierhaven Aquafarms B.V.) and self-checks it.

Deterministic: fixed seed, standard library + PyYAML. Severities are computed from the
account role in profile.yaml and CONTRACT section 4, never typed by hand.
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
rng = random.Random(449017)

# ---------------------------------------------------------------- identifiers
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return "%s%02d%s" % (cc, chk, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def nl_iban(bank):
    return iban_make("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def be_iban():
    first = rng.randrange(10**9, 10**10)
    chk = first % 97 or 97
    return iban_make("BE", "%010d%02d" % (first, chk))


def bad_iban(good):
    # change one digit of the account part so that mod-97 fails
    s = good
    for pos in range(len(s) - 1, 4, -1):
        if s[pos].isdigit():
            t = s[:pos] + str((int(s[pos]) + 3) % 10) + s[pos + 1:]
            if not iban_ok(t):
                return t
    raise AssertionError


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        tot += n
    return tot % 10 == 0


def card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c


def bad_card(prefix):
    c = card(prefix)
    t = c[:-1] + str((int(c[-1]) + 4) % 10)
    assert not luhn_ok(t)
    return t


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bad_bsn():
    s = bsn()
    t = s[:-1] + str((int(s[-1]) + 5) % 10)
    assert not bsn_ok(t)
    return t


def spaced_card(c):
    return " ".join(c[i:i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------- secrets
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def gh_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def aws_key():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "edi-superbuur", "iss": "api.kaapzalm.nl", "role": "buyer",
                              "iat": 1773916800, "exp": 1774003200}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(390))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def slack():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))


def openai_key():
    return "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)


def stripe_key():
    return "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 24)


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


# concrete values (fixed by the seed)
GHP = gh_token()
AKIA, AWS_SECRET = aws_key(), aws_secret()
STRIPE = stripe_key()
SLACK = slack()
OPENAI = openai_key()
DBPW = rand(ALNUM, 10) + "!" + rand(ALNUM, 5)
GOOGLE = google_key()
SSH = ssh_key()
JWT = jwt()
GLPAT = gitlab_pat()

IBAN_MORGAN = nl_iban("INGB")
IBAN_PLAS = be_iban()
IBAN_TYPO = bad_iban(nl_iban("ABNA"))
IBAN_TYPO2 = bad_iban(nl_iban("RABO"))
CARD_MILLER = card("4")
CARD_OMA = card("52")
CARD_BAD1 = bad_card("4")
CARD_BAD2 = bad_card("5")
BSN_YILDIZ = bsn()
BSN_KONING = bsn()
BSN_BAD = bad_bsn()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", when=None, hn=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, hn=hn))


COMPL, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECRET, PII, PRICE = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints (public customers)
C("x", "@zeeuwsmeisje", "nl",
  "@wierhaven_zorg Net een pak Kaapzalm Gerookte Zalm opengemaakt, THT nog 9 dagen maar het ruikt echt niet fris meer 🤢 "
  "Teruggebracht naar de winkel maar ik verwacht wel wat meer van jullie.", [COMPL], kind="reply")
C("reddit", "u/brineandbread", "en",
  "Third time this month the ZeeGroen wakame has had grit in it. Like actual sand crunching between your teeth. "
  "Rinsed it twice. Not buying again until they sort their washing line out.", [COMPL], kind="comment")
C("facebook", "Ria.vanDam.Goes", "nl",
  "Zalmfilet van Kaapzalm zat vol graatjes, terwijl er op de verpakking toch echt 'graatloos' staat. "
  "Mijn kleinzoon wil het nu niet meer eten. Jammer hoor, we kochten het altijd", [COMPL], kind="comment",
  when="2026-04-21T12:14:09Z")
C("x", "@NoraEats", "en",
  "ordered the Wierhaven Visbox Familie for the weekend, box turned up 2 days late and the ice packs were completely melted. "
  "fish was lukewarm. had to bin all of it. €39.95 down the drain @wierhaven_zorg", [COMPL], when="2026-06-13T19:20:05Z")
C("x", "@b_dekker", "nl",
  "3 mails gestuurd naar jullie klantenservice over mijn kapotte visbox-levering, nul reactie. "
  "Hoe lang moet ik nog wachten @wierhaven_zorg??", [COMPL], when="2026-11-04T21:03:00Z")
C("instagram", "@kim.cooks.nl", "en",
  "the new packaging on the Kaapzalm Zalmsnippers is impossible to open without scissors AND it still leaks brine "
  "all over the fridge. please fix 🙏", [COMPL], kind="comment")
C("x", "@pietjepuk_zld", "nl",
  "Pakje ZeeGroen Zeewiersalade 150g nagewogen: 118 gram. Dat is geen afronding meer, dat is gewoon de klant "
  "bestelen. #krimpflatie #wierhaven", [COMPL])
C("forum", "moeke_anja", "nl",
  "Vinden jullie de Kaapzalm sashimi de laatste tijd ook zo papperig? Was altijd stevig. 3 bakjes bij verschillende "
  "winkels gehaald, elke keer hetzelfde. Gemaild en een standaard kopieer-plak antwoordje terug gekregen.", [COMPL])
C("x", "@tom_supermanager", "nl",
  "@wierhaven alweer een halve levering deze week, de helft van de Poké Bowls ontbrak en niemand die even belt. "
  "Klanten vragen er de hele dag naar. Zo kan ik m'n schap niet vullen", [COMPL], kind="reply")
C("facebook", "Gerrit.Bakker.54", "nl",
  "Voor €29,95 een Hele Zijde van Kaapzalm gekocht en de helft is grijs/bruin vet. Dat noem ik geen premium zalm. "
  "Ik wil m'n geld terug.", [COMPL])
C("bluesky", "@ecoellie.bsky.social", "en",
  "So Wierhaven sells the ZeeGroen range as 'plastic-free' but every nori pack comes in a plastic tray inside a "
  "plastic bag. Come on.", [COMPL])
# complaint + own personal data
C("x", "@fam_schouten", "nl",
  "@wierhaven_zorg nog steeds geen terugbetaling voor die bedorven Visbox. Bel me maar op 06-41 82 73 95, "
  "ik ben het mailen zat.", [COMPL, PII], kind="reply", when="2026-09-20T14:35:36Z")
C("facebook", "Linda.Morgan.NL", "en",
  "Been charged twice for my fish box subscription AGAIN. Refund it to %s please, account is in my name "
  "(L. Morgan). Second month in a row!!" % group4(IBAN_MORGAN), [COMPL, PII], kind="comment",
  when="2026-04-07T07:13:25Z")
# first-hand safety incidents: crisis + complaint
C("x", "@joostvanh", "nl",
  "Gisteren Kaapzalm Sashimi Zalm gegeten en vannacht de hele nacht boven de pot gehangen, mijn vriendin ook. "
  "Zelfde pak. THT was gewoon goed. @wierhaven_zorg wat zit hier in??", [CRISIS, COMPL])
C("reddit", "u/hollandhiker", "en",
  "Bit into a piece of hard blue plastic in a ZeeGroen Zeewiersalade today, cut the inside of my cheek and it bled "
  "quite a bit. Kept the tub and the piece. Anyone know how to report this to Wierhaven properly?", [CRISIS, COMPL])
C("instagram", "@mama_van_3", "nl",
  "Mijn dochter (notenallergie) kreeg een flinke reactie na jullie ZeeGroen Kelp Pesto. Nergens op het etiket staat "
  "cashew maar er zit het wel in?! Met spoed naar de huisartsenpost geweest. Dit kan echt niet @zeegroen.nl",
  [CRISIS, COMPL], kind="comment")
C("x", "@sam_r_cooks", "en",
  "Last night's Kaapzalm Zalmburgers were still raw in the middle after following the pack instructions to the "
  "minute. Whole family is sick today. The cooking time on the box is wrong, fix it.", [CRISIS, COMPL])
C("facebook", "Wim.Oosterhuis", "nl",
  "Na een kom soep met de ZeeGroen Kombu Bouillonblokjes kreeg mijn vrouw hartkloppingen en moest ze naar de SEH. "
  "Arts denkt aan te veel jodium. Op de verpakking staat er geen woord over. Ik ben woest.", [CRISIS, COMPL])

# ---- crisis (third parties)
C("x", "@nieuws_oosterschelde", "nl",
  "NVWA: terugroepactie Kaapzalm Gerookte Zalm 100g (THT 14-03 t/m 18-03) wegens mogelijke listeria. "
  "Consumenten wordt gevraagd het product niet te eten en terug te brengen naar de winkel.", [CRISIS])
C("x", "@rasfreenl", "en",
  "Footage from inside Wierhaven's salmon hall: hundreds of dead fish floating in one tank for days. This is what "
  "'sustainable' land farming looks like. #BoycottKaapzalm #animalwelfare", [CRISIS])
C("facebook", "StichtingSchoneSchelde", "nl",
  "Omwonenden in Yerseke stappen naar de rechter tegen Wierhaven vanwege stankoverlast en het lozen van spoelwater "
  "in de Oosterschelde. De dagvaarding is vandaag betekend.", [CRISIS])
C("reddit", "u/privacy_pieter", "en",
  "Got a scam email with my full name, home address AND my whole Visbox order history. The only company that has all "
  "of that is Wierhaven. They've been breached and they're not telling anyone.", [CRISIS])
C("x", "@omroepzld_112", "nl",
  "Ammoniaklek bij zalmkwekerij Wierhaven in Kats, twee medewerkers met ademhalingsklachten naar het ziekenhuis. "
  "Brandweer is ter plaatse, omwonenden ramen en deuren dicht.", [CRISIS])
C("tiktok", "@oceanfirst.nina", "en",
  "PSA: stop buying Kaapzalm. they feed their fish soy from cleared rainforest and lie about it on the pack. "
  "boycott until they come clean 🐟❌", [CRISIS])
C("threads", "@vegavoorzee", "nl",
  "Dus Wierhaven schreeuwt 'antibioticavrij' op elk pak, maar in het NVWA-rapport staan wél residuen in de "
  "Kaapzalm filets? Schandalig. Wie gaat hier de verantwoordelijkheid voor nemen?", [CRISIS])
C("x", "@chef_mireille", "en",
  "Heard from two restaurant friends that last week's Kaapzalm Zalmkuit batch gave a bunch of guests food poisoning at a "
  "wedding in Middelburg. GGD is looking into it.", [CRISIS])
C("bluesky", "@arbeidsrecht-zld.bsky.social", "nl",
  "Oud-medewerkers van Wierhaven slepen het bedrijf voor de kantonrechter over jarenlang onbetaalde overuren in de "
  "verwerkingshal. Zitting staat op 3 november in Middelburg.", [CRISIS])
C("instagram", "@kelp_activist", "en",
  "#BoycottWierhaven — their seaweed lines smothered the mussel beds near Bruinisse and they're still greenwashing "
  "every single pack. Share this.", [CRISIS], kind="comment")

# ---- abuse
C("x", "@dirkjan_1977", "nl",
  "@wierhaven stelletje oplichters, jullie zalm is net zo nep als jullie duurzaamheidspraatjes. Kankerbedrijf.",
  [ABUSE], kind="reply")
C("x", "@grumpyangler", "en",
  "@lotte_kweekt you're a clueless idiot who shouldn't be let near a fish, let alone a farm. shut up and go back to school",
  [ABUSE], kind="reply")
C("facebook", "Ronald.K.1969", "nl",
  "Die vrouw van de klantenservice van Wierhaven was aan de telefoon een arrogante trut, hing gewoon op toen ik over "
  "mijn bestelling begon. Wie neemt zulke mensen aan?", [ABUSE, COMPL], kind="comment")
C("reddit", "u/truthseeker_88", "en",
  "Wierhaven's processing plant is full of Polish and Romanian workers, no wonder the place is a mess. "
  "Send them all home and hire real Dutch people.", [ABUSE], kind="comment")
C("x", "@zeeuwsboos", "nl",
  "@mvisser_wh ik weet waar je woont Marloes, en ik weet ook hoe laat je dienst erop zit. Denk daar maar eens over na.",
  [ABUSE], kind="reply")
C("tiktok", "@xx_kevin_xx", "en", "kaapzalm more like kaapshit 💩 whoever runs this account is a moron",
  [ABUSE], kind="comment")
C("instagram", "@floor_fit_zld", "nl", "w13rh4v3n = k4nk3rz00i, h0ep3l d4t 1s h3t 🤮", [ABUSE], kind="comment")
C("x", "@yusuf_aqua", "en",
  "@NoraEats maybe learn to read a best-before date before whining online, genius. Some people are too stupid to own a fridge.",
  [ABUSE], kind="reply")
C("threads", "@sanne.verwerking", "nl",
  "Die klagers van vandaag kunnen echt de pot op, stelletje zeikerds 🙄 #lastigeklanten", [ABUSE])
C("youtube", "@liamthefisher", "en",
  "These Wierhaven clowns should be locked up. Absolute scum of the earth, every last one of them.", [ABUSE],
  kind="comment")
C("x", "@hansvanwemeldinge", "nl",
  "Wierhaven is een \u0441lubj\u0435 l\u0430mz\u0430kk\u0435n en jullie klantenservice kan de klere krijgen", [ABUSE])
C("x", "@ben_vdb", "en", "fuck wierhaven and fuck kaapzalm 🖕", [ABUSE])

# ---- confidential
C("x", "@lotte_kweekt", "nl",
  "Eerste proefoogst van Project Kelpwoud binnen! 🌿 Niemand mag het nog weten maar de opbrengst per lijn is bizar. "
  "Meer kan ik niet zeggen 🤐", [CONF])
C("linkedin", "daan-hoekstra-wierhaven", "en",
  "Great session in Utrecht today presenting Zilvermeeuw to two of the big supermarket buyers. Can't share details yet, "
  "but 2027 is going to be a big year for Kaapzalm! #sales #aquaculture", [CONF])
C("instagram", "@bram.op.zee", "nl",
  "Vanaf de boot foto's gemaakt van de nieuwe wierlijnen voor Project Kelpwoud 🚤 ver buiten de oude percelen. "
  "Zodra het mag laat ik meer zien!", [CONF])
C("x", "@mvisser_wh", "en",
  "Tasting the final recipe of the ZeeGroen Wierpasta with the team, honestly the best thing we've made. "
  "Shelves in January 🤫", [CONF], when="2026-10-22T15:41:09Z")
C("x", "@foodinsider_nl", "nl",
  "Van een bron binnen Wierhaven: in januari ligt de Kaapzalm Sashimi Blok in de supers, bedoeld voor sushi "
  "thuis maken. Je leest het hier als eerste.", [CONF], when="2026-11-28T19:02:44Z")
C("mastodon", "@keeswier@zeeland.social", "en",
  "anyone know why https://gitlab.wierhaven.nl/kweek/voer-planner/-/pipelines keeps timing out since the runner "
  "upgrade? asking for a friend (the friend is me)", [CONF])
C("linkedin", "anouk-terpstra", "nl",
  "Zo ziet mijn maandag eruit 😅 [foto: laptopscherm met slide 'WH-VERTROUWELIJK – marge per supermarktketen', "
  "koffie ernaast]", [CONF])
C("x", "@wierhaven", "en",
  "Team, reminder that the Zilvermeeuw pitch deck is wierhaven intern, do NOT forward to buyers yet. "
  "(sorry all, wrong account!!)", [CONF])
C("threads", "@sanne.verwerking", "en",
  "new smoking line is being tested this week as Operatie Springtij, only the processing crew knows so far. "
  "so proud of this team 💪", [CONF])
C("x", "@buurvrouw_kats", "nl",
  "Mijn buurman werkt bij Wierhaven en liet me een document zien met 'alleen voor kweekteam' erboven, over een "
  "tweede zalmhal in Kats. Wordt dus veel groter dan iedereen denkt.", [CONF])
C("linkedin", "ingrid-bos-wierhaven", "en",
  "We're hiring! Project manager for Operatie Springtij, help us build our second RAS hall. Full vacancy text is on "
  "vpn.wierhaven.nl/hr/vac-2291 (colleagues only for now)", [CONF])
C("instagram", "@zeegroen.nl", "nl",
  "Binnenkijkje in onze proefkeuken 👩‍🍳 psst… op het whiteboard zie je misschien al iets van onze ZeeGroen "
  "Wierpasta 👀", [CONF], when="2027-01-05T11:20:00Z")
C("tiktok", "@jorrit_zalmboer", "en",
  "can't wait for you all to see \uff3a\uff29\uff2c\uff36\uff25\uff32\uff2d\uff25\uff25\uff35\uff37 🐟🐟 "
  "big things coming", [CONF])
C("x", "@lotte_kweekt", "nl",
  "Project Kel\u200bp\u200bwoud loopt voor op schema, proefvakken 3 t/m 6 hangen vol. Nog even stil houden 🤫", [CONF])
C("linkedin", "anouk-terpstra", "nl",
  "Laatste loodjes voor de jaarcijfers 2026, de accountant zit er bovenop. Nog twee weken mondje dicht! ☕☕☕",
  [CONF], when="2027-02-10T08:15:00Z")
# confidential + financial
C("linkedin", "anouk-terpstra", "nl",
  "Trots op ons team: de jaarcijfers 2026 komen uit op €48 mln omzet, +17%. Officieel pas in februari, "
  "maar ik kon het niet laten 🎉", [CONF, FIN], when="2026-12-15T17:30:00Z")
C("x", "@mvisser_wh", "en",
  "Zilvermeeuw contract signed today, 5-year exclusive supply deal worth roughly €12m a year. "
  "Champagne in the canteen 🍾 not public till spring", [CONF, FIN])

# ---- financial
C("linkedin", "daan-hoekstra-wierhaven", "nl",
  "Q3 afgesloten met 22% meer omzet bij de supermarkten dan vorig jaar, en de cijfers gaan pas in november naar buiten. "
  "Wat een team!", [FIN])
C("x", "@mvisser_wh", "en",
  "Board told the managers this morning: profit forecast for this year cut in half because of the losses in hall 2. "
  "Bank gets the update in two weeks. Rough day.", [FIN])
C("threads", "@sanne.verwerking", "nl",
  "Net gehoord dat er begin volgend jaar 35 fte uit de verwerkingshal in Yerseke verdwijnen. Nog niet officieel, "
  "de OR weet het zelf pas sinds vanochtend 😢", [FIN])
C("reddit", "u/wh_nachtdienst", "en",
  "Throwaway-ish but whatever: management is in talks to sell Wierhaven to a Norwegian group. Due diligence people "
  "have been walking round the halls all week.", [FIN], kind="comment")
C("x", "@beursblik_nl", "nl",
  "Hoor van iemand bij de bank dat Wierhaven dit jaar geen dividend uitkeert, de kas is zo goed als leeg. "
  "Wordt pas later bekendgemaakt.", [FIN])
C("linkedin", "ingrid-bos-wierhaven", "en",
  "Hard week in HR. We're preparing a reorganisation of the seaweed division: the hatchery team merges into "
  "processing and about 20 roles will go. Announcement early next year. Be kind to each other.", [FIN])
C("mastodon", "@keeswier@zeeland.social", "nl",
  "Begroting 2027 is rond: IT krijgt 30% minder. Dus nee, die migratie gaat er niet komen. Het verwachte verlies "
  "is blijkbaar een stuk groter dan wat er naar buiten is gebracht.", [FIN])
C("x", "@fishmarket_analyst", "en",
  "Hearing Wierhaven is about to buy Ouwerkerk Wierkwekerij for ~€9m, announcement not before spring. "
  "You heard it here first.", [FIN])
C("instagram", "@bram.op.zee", "nl",
  "Een van de laatste tochten met deze boot. De wierkweek bij Bruinisse gaat volgend jaar dicht en alles verhuist. "
  "Officieel hoor je het pas in maart, maar ik ben er kapot van.", [FIN])
C("x", "@wierhaven", "nl",
  "Interne update: omzetprognose Kaapzalm 2027 gaat omlaag naar €21 mln na het verlies van het contract met SuperBuur. "
  "Niet delen aub.", [FIN])

# ---- security
C("x", "@yusuf_aqua", "nl",
  "Ransomware op de fileservers sinds 03:00, alles staat plat en er gaat voorlopig geen melding naar buiten. "
  "Lange nacht 😩", [SEC])
C("mastodon", "@keeswier@zeeland.social", "en",
  "Found out today that our supplier ordering portal still lets you download any supermarket's invoices by changing "
  "the number in the URL. Reported internally 3 months ago, still not fixed 🤦", [SEC])
C("reddit", "u/wh_nachtdienst", "nl",
  "Vannacht is de voerautomaat in hal 2 overgenomen door iemand van buiten, pompen gingen aan en uit. Waarschijnlijk "
  "via die oude TeamViewer. We mogen er niks over zeggen maar het is dus echt gebeurd.", [SEC])
C("x", "@mvisser_wh", "en",
  "Our supermarket order portal has been down since Tuesday night and we're telling customers it's 'maintenance'. "
  "It's not. #itlife", [SEC])
C("threads", "@sanne.verwerking", "nl",
  "Iedereen moest vandaag z'n wachtwoord resetten, er was een phishingmail doorgekomen en 4 accounts zijn gehackt. "
  "Officieel is er 'niks aan de hand' 🙃", [SEC])
C("mastodon", "@keeswier@zeeland.social", "en",
  "Spent the whole weekend cleaning up after someone got into our Microsoft 365 tenant through a compromised supplier "
  "account. Customer data may be involved, legal says stay quiet for now.", [SEC])
C("x", "@yusuf_aqua", "nl",
  "De zuurstofsensoren in de RAS-hallen hangen gewoon open aan internet, grafana.kweek.wierhaven.nl met het "
  "fabriekswachtwoord er nog op. Al 2x gemeld, niemand doet iets.", [SEC, CONF])
C("x", "@pentest_rik", "nl",
  "Vorige maand een pentest gedaan bij een Zeeuwse viskwekerij (ik noem geen namen… oké het is Wierhaven). Het hele "
  "OT-netwerk is plat en de PLC's draaien nog firmware uit 2014. Tot vandaag niks gepatcht.", [SEC])
C("tiktok", "@jorrit_zalmboer", "nl",
  "Koelcel 4 ligt sinds gisteren 'uit het systeem' na een storing in de temperatuurlogging, dus we schrijven alles "
  "met de hand op 😂 klanten merken er niks van hoor", [SEC])
C("reddit", "u/wh_nachtdienst", "en",
  "The B2B webshop got hit with credential stuffing over the weekend, ~300 supermarket buyer accounts tried and at "
  "least a dozen got in. No announcement yet.", [SEC])
C("mastodon", "@keeswier@zeeland.social", "nl",
  "Lek in de Java-app van ons bestelplatform: zonder inloggen kun je de prijslijsten van alle ketens opvragen. "
  "Patch staat pas voor Q1 gepland, tot die tijd duimen.", [SEC])
C("x", "@lotte_kweekt", "en",
  "Our lab system got encrypted overnight, every iodine test result from this month is gone. IT said don't post "
  "about it... oops", [SEC])
C("x", "@yusuf_aqua", "nl",
  "We zijn g e h a c k t. Klantportaal ligt eruit en niemand mag het buiten de deur zeggen 🤐", [SEC])

# ---- secrets
C("mastodon", "@keeswier@zeeland.social", "en",
  "why does this keep failing?? \n```\nexport GITHUB_TOKEN=%s\ngit clone https://github.com/wierhaven-dev/voer-planner\n```"
  % GHP, [SECRET])
C("x", "@yusuf_aqua", "nl",
  "Even voor mezelf bewaren want laptop doet raar: AWS key %s secret %s (prod-oogst)" % (AKIA, AWS_SECRET), [SECRET])
C("reddit", "u/wh_nachtdienst", "en",
  "stripe webhook keeps returning 401, here's my config, what am I doing wrong?\n\nSTRIPE_SECRET_KEY=%s\n"
  "WEBHOOK_URL=https://api.kaapzalm.nl/hooks/stripe" % STRIPE, [SECRET])
C("threads", "@sanne.verwerking", "nl",
  "Voor de nieuwe collega's van de avonddienst: wachtwoord van de etiketteerprinter is Zalm#Yerseke2026! "
  "(niet doorvertellen haha)", [SECRET])
C("mastodon", "@keeswier@zeeland.social", "en",
  "slack bot for the tank alarms is live 🎉 if anyone wants to poke at it the token is %s" % SLACK, [SECRET])
C("x", "@mvisser_wh", "nl",
  "Kan iemand checken of deze OpenAI key nog werkt voor de oogstvoorspelling? %s volgens mij is ons tegoed op" % OPENAI,
  [SECRET])
C("reddit", "u/wh_nachtdienst", "en",
  "psql keeps saying password authentication failed:\npostgresql://oogst_app:%s@10.40.2.17:5432/oogst_prod\nany ideas?"
  % DBPW, [SECRET], kind="comment")
C("x", "@frontend_freek", "nl",
  "lol @wierhaven jullie webshop heeft gewoon een onbeperkte Google Maps key in main.js staan: %s. even fixen "
  "voordat iemand jullie rekening opjaagt" % GOOGLE, [SECRET])
C("mastodon", "@keeswier@zeeland.social", "nl",
  "Wie heeft DIT op de gedeelde schijf gezet?? Dit is de deploy key van productie:\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
  "%s\n-----END OPENSSH PRIVATE KEY-----" % SSH, [SECRET])
C("x", "@yusuf_aqua", "en",
  "the supermarket API keeps rejecting this token but jwt.io says it's valid?? %s" % JWT, [SECRET])
C("forum", "dev_mark_zld", "nl",
  "Voor een klus bij een viskweker (Wierhaven) kreeg ik deze GitLab token gewoon per mail: %s. "
  "Is dat normaal, zoiets over de mail sturen?" % GLPAT, [SECRET])
C("tiktok", "@jorrit_zalmboer", "en",
  "day in the life of a salmon farmer pt 4 📹 (ignore the sticky note on my screen lol) "
  "[sticky note: wifi Kweekhal-3 / ww: Kaapzalm!Hal3-2026]", [SECRET])

# ---- personal data
C("x", "@wierhaven_zorg", "nl",
  "@fam_schouten Excuses! We hebben het doorgezet: mevr. Schouten, Gasthuisstraat 21, 4461 HK Goes, tel 06-41827395. "
  "Een collega belt u vandaag nog.", [PII], kind="reply", when="2026-09-21T08:52:10Z")
C("facebook", "WierhavenAquafarms", "en",
  "Hi Linda, we've refunded the double charge to %s (L. Morgan). Should be there within 2-3 working days!"
  % group4(IBAN_MORGAN), [PII], kind="reply", when="2026-04-08T10:02:44Z")
C("linkedin", "ingrid-bos-wierhaven", "nl",
  "Welkom aan onze nieuwe collega Fatma Yildiz! Voor de salarisadministratie nog even: BSN %s, geboren 14-06-1994. "
  "Oeps, verkeerd venster 🙈" % BSN_YILDIZ, [PII])
C("x", "@wierhaven_zorg", "en",
  "@davidkmiller sorry about that! We can see the payment with card %s failed twice, could you try another card?"
  % spaced_card(CARD_MILLER), [PII], kind="reply")
C("threads", "@sanne.verwerking", "nl",
  "Wie is dit kwijt? Loonstrook in de kantine gevonden: J. de Koning, Zandweg 8, Yerseke, BSN %s. "
  "Ligt bij de receptie" % BSN_KONING, [PII])
C("x", "@sophie_kitchen", "en",
  "@wierhaven_zorg my email is sophie.hartman84@gmail.com and my number is +31 6 2834 1957, please just call me "
  "about switching my box to every other week", [PII], kind="reply")
C("instagram", "@kaapzalm", "nl",
  "Gefeliciteerd Henk Pronk! 🎉 Jij wint het ZeeGroen Proefpakket. We sturen het naar Bachstraat 112, 3122 XN Schiedam, "
  "klopt dat adres?", [PII], kind="comment")
C("linkedin", "daan-hoekstra-wierhaven", "en",
  "Shoutout to Peter van Loon at SuperBuur (peter.vanloon@superbuur-inkoop.nl, 06 5193 2847) for the toughest "
  "and fairest negotiation of my career 🤝", [PII])
C("x", "@oma_truus", "nl",
  "Mijn kleinzoon heeft mijn pasje gebruikt voor zo'n Visbox, kunnen jullie dat stopzetten? Kaart %s, op naam van "
  "G. Visser" % CARD_OMA, [PII])
C("reddit", "u/wh_nachtdienst", "en",
  "Cake in the control room for our shift lead Ahmed Bouzid, born 03-02-1979, 47 today 🎂 don't tell him I posted "
  "his birthday lol", [PII], when="2026-02-03T04:12:00Z")
C("facebook", "WierhavenAquafarms", "nl",
  "De winnaar van onze winactie is Maaike Dijkstra uit Leeuwarden (geboren 22 augustus 1990)! We nemen contact met je "
  "op via maaike.dijkstra90@hotmail.com 🎉", [PII])
C("facebook", "Gerard.Plas.Schoonmaak", "en",
  "Hi Wierhaven finance, new bank account for my cleaning invoices from now on: %s, G. Plas. Thanks!"
  % group4(IBAN_PLAS), [PII], kind="comment")
C("x", "@mvisser_wh", "nl",
  "Voor wie de nieuwe stagiair kweek nog moet bellen: Tim Verhulst, 0113 - 57 29 84 of tim.verhulst03@gmail.com", [PII])

# ---- pricing
C("x", "@wierhaven", "nl", "🎉 Deze week bij alle supers: Kaapzalm Hele Zijde voor maar €9,95!", [PRICE])
C("instagram", "@kaapzalm", "en", "Weekend deal 🐟 Kaapzalm Sashimi Zalm 200g now just €2.99 while stocks last!", [PRICE])
C("linkedin", "daan-hoekstra-wierhaven", "nl",
  "Net de actiefolder voor week 12 goedgekeurd: ZeeGroen Kelp Pesto €1,49 en Kaapzalm Zalmkuit €2,99 😎", [PRICE])
C("x", "@dealhunter_nl", "en",
  "PRICE ERROR?? Wierhaven Visbox Familie showing €3.99 on their webshop right now, ordered 3 before they fix it 😂",
  [PRICE])
C("facebook", "KortingsjagerZeeland", "nl",
  "Prijsfout! Kaapzalm Zalmburgers 4st in de webshop van Wierhaven voor €0,65 😱 snel zijn", [PRICE])
C("tiktok", "@kaapzalm_official", "en", "Flash sale 🔥 Kaapzalm Zalmkuit 50g for €1.99, link in bio", [PRICE])
C("x", "@lotte_kweekt", "nl",
  "Collega's, ZeeGroen Wakame Gedroogd staat in het prijsbestand voor €0,99 ipv 3,99. Prijsfout of echt de actieprijs?",
  [PRICE])
C("x", "@thriftyjo", "en",
  "lmao self-checkout rang up my Kaapzalm Warm Gerookte Zalm Peper at €1.10. not complaining", [PRICE])
C("x", "@koopjesqueen", "nl",
  "Z.e.e.G.r.o.e.n P.r.o.e.f.p.a.k.k.e.t voor 3 euro in de webshop 😱 zeker een fout, bestel snel", [PRICE])
C("facebook", "WierhavenAquafarms", "en",
  "Celebrate World Oceans Day with us 🌊 Wierhaven Visbox Familie €14.95 this week only!", [PRICE])
C("instagram", "@zeegroen.nl", "nl",
  "Nieuw in de schappen en voor de introductie maar €0,49: ZeeGroen Zeespaghetti! 🍝", [PRICE])
C("linkedin", "daan-hoekstra-wierhaven", "en",
  "Heads up for our retail partners: there's a pricing mistake in this week's EDI feed. Kaapzalm Gerookte Zalm 100g "
  "came through at €0.50. Corrected file coming tonight.", [PRICE])

# ---- benign (mostly hard negatives)
C("x", "@wierhaven_zorg", "nl",
  "Vragen over je bestelling? Mail ons op klantenservice@wierhaven.nl of bel gratis 0800-9437 (ma–vr 8–18u). "
  "We helpen je graag! 🐟")
C("facebook", "WierhavenAquafarms", "en",
  "Paying your Visbox invoice by bank transfer? Use %s in the name of Wierhaven Aquafarms B.V. and mention your "
  "order number." % group4(PUBLIC_IBAN))
C("x", "@zeeuwsmeisje", "nl", "Kaapzalm Warm Gerookte Zalm Peper door de pasta gegooid, wat een feestje 😍")
C("instagram", "@kim.cooks.nl", "en", "this poke bowl is FIRE 🔥🔥 kaapzalm you've outdone yourselves", kind="comment")
C("x", "@anneke_bakt", "nl", "Kaapzalm Zalmfilet in de aanbieding: €6,49 i.p.v. €7,99. Vanavond dus zalm 🥳")
C("x", "@dutchdad_cooks", "en",
  "Sale alert: ZeeGroen Nori Vellen 10st at €3.49 instead of €4.29 at my local store, stocked up for sushi night")
C("reddit", "u/kookgek_zeeland", "nl", "Heeft iemand een goed recept met ZeeGroen Zeespaghetti? Ligt al weken in de kast 😅")
C("mastodon", "@keeswier@zeeland.social", "en",
  "Just open-sourced our tank temperature dashboard 🎉 The README config uses AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE, "
  "obviously swap in your own.")
C("x", "@yusuf_aqua", "nl",
  "Tip: zet nooit je token in je code. Gebruik iets als `export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` "
  "in je shellprofiel en commit dat bestand nooit.")
C("x", "@NoraEats", "en",
  "@wierhaven_zorg thanks, the replacement box came this morning and everything was perfect. issue solved, "
  "you guys are great 👍", kind="reply", when="2026-06-17T10:41:30Z")
C("facebook", "Ria.vanDam.Goes", "nl",
  "Update: Wierhaven heeft me na mijn klacht over de graatjes binnen een dag teruggebeld en een nieuw pakket gestuurd. "
  "Netjes opgelost!", when="2026-04-23T18:20:42Z")
C("x", "@zeelandlover", "en",
  "Thinking of the Wierhaven crew after last night's storm tore through the Oosterschelde. Hope everyone's safe "
  "and the lines held 💙")
C("x", "@visnieuws_nl", "nl",
  "Noorse zalmkweker Fjordlaks meldt 12% lagere winst en schrapt 200 banen. Zware tijden in de sector.")
C("reddit", "u/lowcarb_lars", "en",
  "TIL lifehack: use a sheet of ZeeGroen nori as a low-carb wrap. total game changer", kind="comment")
C("x", "@chipsmonster", "nl", "Die ZeeGroen Wierchips zijn dodelijk verslavend, zakje is altijd binnen 5 min leeg 😂")
C("x", "@wierhaven", "en",
  "Our annual results 2025 are out: revenue up 11%, full report at www.wierhaven.nl/investors",
  when="2026-03-05T07:00:00Z")
C("linkedin", "wierhaven-aquafarms", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €48 mln, een groei van 17%. Het volledige jaarverslag staat op "
  "www.wierhaven.nl/investors.", when="2027-02-25T07:05:00Z")
C("instagram", "@zeegroen.nl", "en", "It's here! ZeeGroen Wierpasta is now in stores across the Netherlands 🍝🌿",
  when="2027-01-20T09:00:00Z")
C("x", "@sushi_sara", "nl", "Kaapzalm Sashimi Blok gehaald bij de super, sushi-avond! 🍣", when="2027-02-01T18:45:00Z")
C("x", "@maartje_vos", "en",
  "Refund form says my IBAN is invalid. I typed %s, pretty sure I swapped two digits. will fix tomorrow"
  % group4(IBAN_TYPO))
C("x", "@pieter_b87", "nl", "Bestelling %s net binnen, alles koud en netjes verpakt 👌" % spaced_card(CARD_BAD1))
C("reddit", "u/visbox_newbie", "en",
  "Where do I find my customer number for the Visbox? Mine is %s but I'm not sure that's the right field" % BSN_BAD,
  kind="comment")
C("x", "@lotte_kweekt", "nl",
  "Vandaag met groep 7 van basisschool De Schelp op de wierboerderij. Wat een vragen! 🌿👧🧒")
C("linkedin", "ingrid-bos-wierhaven", "en",
  "We're hiring seasonal harvest crew for our seaweed farm in the Oosterschelde! Apply via werkenbij@wierhaven.nl")
C("x", "@kattenmama_ellen", "nl",
  "Mijn kat heeft net een hele Kaapzalm Zalmfilet van het aanrecht gejat. Crimineel. Ik ga aangifte doen 😾")
C("x", "@gravlax_gus", "en", "can't recall the last time smoked salmon was this good. kaapzalm ftw")
C("tiktok", "@jorrit_zalmboer", "nl",
  "Een dag als zalmboer: 5 uur voeren, 7 uur waterwaarden checken, 9 uur koffie ☕ #zalmboer #kweekhal")
C("x", "@ruthless_rob", "en",
  "Norwegian salmon giant Fjordlaks confirms a data breach hitting 40,000 customers. Glad my Kaapzalm comes from Zeeland 😅")
C("facebook", "WierhavenAquafarms", "nl",
  "Wist je dat zeewier geen zoet water, geen kunstmest en geen landbouwgrond nodig heeft? 🌊 Daarom kweken wij "
  "ZeeGroen in de Oosterschelde.")
C("x", "@fishfacts_eu", "en",
  "Fjordlaks recalls smoked salmon in Norway over listeria. Dutch producers are not affected, according to the NVWA.")
C("instagram", "@mamavanmats", "nl",
  "Ik ben fan van de Kaapzalm Zalmburgers, mijn kinderen vechten er letterlijk om 😂", kind="comment")
C("x", "@mvisser_wh", "en",
  "Proud to share we passed our ASC certification audit again this year 🐟✅ Full report will be on www.wierhaven.nl")
C("x", "@hester_coop", "nl", "Kaapzalm Gerookte Zalm €4,99 bij de Coop, prima prijs voor de kwaliteit.")
C("x", "@lunchbox_lou", "en", "2nd half price on the Kaapzalm Poké Bowl this week, so two for €13.49. Lunch sorted.")
C("x", "@onhandig_henk", "nl", "Hoe reset ik mijn wachtwoord voor het Visbox-account? Kan die knop nergens vinden 🙈")
C("mastodon", "@keeswier@zeeland.social", "en",
  "PSA from IT: if you paste logs anywhere, redact like this: `STRIPE_SECRET_KEY=sk_live_****************`. "
  "Thanks for keeping us safe!")
C("x", "@yusuf_aqua", "nl",
  "Vandaag security awareness training gegeven aan de hele verwerkingshal. Phishing herkennen, sterke wachtwoorden, "
  "MFA aan. Top groep! 🔐")
C("x", "@regio_nieuws_go", "nl", "Bij de garnalenpellerij in Stellendam verdwijnen 50 banen. Triest voor de regio.")
C("instagram", "@kaapzalm", "nl",
  "Recept: zalmfilet uit de oven met ZeeGroen Kelp Pesto en krieltjes. Klaar in 25 minuten! 👩‍🍳 #kaapzalm #recept")
C("x", "@wierhaven", "en",
  "Tomorrow we're at Horecava, stand B14, with tastings of the full Kaapzalm range. Come say hi! 👋")
C("x", "@zeeuwse_jan", "nl",
  "Sterkte aan de familie van de visser die vorige week bij Bruinisse verongelukte. Had niks met Wierhaven te maken "
  "maar hun boten lagen vandaag met de vlag halfstok. Mooi gebaar.")
C("x", "@ryebread_rach", "en",
  "Killer lunch today: Kaapzalm hot smoked salmon on rye with the ZeeGroen seaweed salad. 10/10")
C("linkedin", "anouk-terpstra", "nl",
  "Vandaag zijn onze halfjaarcijfers gepubliceerd. Trots op wat het team heeft neergezet! Het persbericht staat op "
  "www.wierhaven.nl/pers", when="2026-08-20T07:30:00Z")
C("x", "@allergie_annemiek", "nl",
  "Even gebeld met Wierhaven (0800-9437) over de allergenen in de pesto, heel vriendelijk en duidelijk antwoord 👍")
C("x", "@smooth_operator_nl", "en",
  "Paid for my Visbox with the card ending **** **** **** 4417, confirmation came in instantly. smooth.")
C("x", "@wierhaven_zorg", "nl",
  "Let op: wij vragen NOOIT via DM om je wachtwoord of bankgegevens. Twijfel je? Mail naar klantenservice@wierhaven.nl")
C("blog", "jwt-for-dummies", "en",
  "What a JWT looks like: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<signature>. Never paste a real token "
  "into a forum, not even for 'a quick question'.")
C("reddit", "u/oops_order", "en",
  "Was told my order reference %s doesn't exist, turns out I was looking at the wrong email. My bad, order is fine 😅"
  % spaced_card(CARD_BAD2), kind="comment")
C("x", "@karin_typt", "nl",
  "Klopt dit IBAN van Wierhaven? Op mijn briefje staat %s… oh nee, ik heb gewoon een cijfer verkeerd overgetypt, sorry!"
  % group4(IBAN_TYPO2))
C("facebook", "Joke.Verbeek.Tholen", "nl",
  "Is de Visbox Familie ook te doen met z'n tweeën of is dat echt te veel? Iemand ervaring?", kind="comment")
C("x", "@roe_fan", "en", "Kaapzalm Zalmkuit at €7.49 for 50g seems steep until you taste it. worth every cent")
C("x", "@zeeuwse_zus", "nl",
  "Mijn vriend noemt zichzelf 'de zalmfluisteraar' sinds hij een rondleiding bij Wierhaven heeft gehad 🙄🐟")
C("x", "@strandtent_vera", "nl",
  "Een zilvermeeuw jatte net mijn broodje Kaapzalm op het strand van Vlissingen 😤 brutaal beest", hn=True)
C("instagram", "@bram.op.zee", "nl",
  "Springtij vanavond, dus alle wierlijnen extra nagelopen. Zonsondergang kreeg ik er gratis bij 🌅")
C("x", "@tapenade_tineke", "nl",
  "Eerlijk? Ik vond de ZeeGroen Wiertapenade eerst raar, nu eet ik het bij alles. Verslaafd.")
C("x", "@wierhaven", "nl",
  "Onze zeewierboerderij legde dit jaar naar schatting 140 ton CO₂ vast. Lees hoe we dat meten op www.wierhaven.nl 🌊")
C("x", "@jaarverslag_junkie", "nl",
  "De jaarcijfers 2026 van Wierhaven zijn net uit, mooie groei. Goed bezig!", when="2027-02-26T10:12:00Z")
C("x", "@wierhaven_zorg", "en",
  "@b_dekker So sorry for the wait! We've just replied to your email and a new box is on its way tomorrow.",
  kind="reply", when="2026-11-05T08:30:00Z")
C("youtube", "@kookmetkees", "nl",
  "In deze video maak ik sushi met ZeeGroen Nori Vellen en Kaapzalm Sashimi Zalm, die kosten samen zo'n 14 euro.",
  kind="post")
C("x", "@zeeuws_boerke", "nl",
  "Kun je die ZeeGroen wakame ook rauw eten of moet die eerst weken? Vraag voor een vriend 😇")
# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        p, h = a.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def id_candidates(text):
    """All IBAN / card / BSN-shaped numbers: list of (kind, value, valid, public)."""
    out = []
    for m in re.finditer(r"\b([A-Z]{2})(\d{2}(?: ?[A-Z0-9]){8,30})", text):
        cc = m.group(1)
        if cc not in IBAN_LEN:
            continue
        s = (cc + m.group(2).replace(" ", ""))[:IBAN_LEN[cc]]
        if len(s) == IBAN_LEN[cc]:
            out.append(("iban", s, iban_ok(s) and s not in PUBLIC_IBANS, s in PUBLIC_IBANS))
    for m in re.finditer(r"(?<![\w-])(?<!\d\.)(?:\d[ -]?){12,18}\d(?![\w-])(?!\.\d)", text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d), False))
    for m in re.finditer(r"(?<![\w-])(?<!\d\.)\d{9}(?![\w-])(?!\.\d)", text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0)), False))
    return out


def severity(cats, role, text):
    """CONTRACT section 4, from the account role in the profile."""
    sev = "none"
    checksum = any(v for _, _, v, _ in id_candidates(text))
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                s = "warning"
            elif c in (SECRET, PRICE) or (c == PII and checksum):
                s = "critical"
            else:
                s = "error"
        elif c == COMPL:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if SEV.index(s) > SEV.index(sev):
            sev = s
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    sec = rng.randrange(0, 350 * 86400)
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


URLS = {"x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
        "facebook": "https://www.facebook.com/{h}/posts/{n}",
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
        "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
        "tiktok": "https://www.tiktok.com/{h}/video/{n}"}

order = list(range(len(CASES)))
rng.shuffle(order)
used_ids = set()
lines = []
meta = []
for i in order:
    c = CASES[i]
    while True:
        n = rng.randrange(10**6, 10**7)
        pid = "%s-%d" % (c["platform"], n)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    created = c["when"] or rand_time()
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"], "created_at": created}
    if c["platform"] in URLS:
        post["url"] = URLS[c["platform"]].format(h=c["handle"].lstrip("@"), n=n)
    role = role_of(c["platform"], c["handle"])
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})
    meta.append((c, role))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


CATS = {COMPL, CRISIS, ABUSE, CONF, FIN, SEC, SECRET, PII, PRICE}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# profile sanity
P = PROFILE
check(len(P["accounts"]["corporate"]) >= 6 and len(P["accounts"]["employee"]) >= 8, "profile accounts")
check(all(iban_ok(i) for i in P["public_identifiers"]["ibans"]), "profile IBAN mod-97")
check(15 <= len(P["products"]) <= 25, "product count")
check(all(p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"] for p in P["products"]), "product fields")
check(P["pricing"]["alert_below_ratio"] == 0.5, "ratio")
check(len(P["internal"]["codenames"]) == 3 and len(P["internal"]["markers"]) == 3, "codenames/markers")
check(all(str(e["until"]).startswith("2027") for e in P["embargo"]), "embargo until 2027")

# generated values
check(gh_ok(GHP) and re.fullmatch(r"ghp_[0-9A-Za-z]{36}", GHP) is not None, "github token")
check(re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA) is not None, "aws key")
h = JWT.split(".")[0]
check("alg" in json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4))), "jwt header")
for v in (IBAN_MORGAN, IBAN_PLAS):
    check(iban_ok(v), "valid iban " + v)
for v in (IBAN_TYPO, IBAN_TYPO2):
    check(not iban_ok(v), "bad iban " + v)
check(luhn_ok(CARD_MILLER) and luhn_ok(CARD_OMA), "cards")
check(not luhn_ok(CARD_BAD1) and not luhn_ok(CARD_BAD2), "bad cards")
check(bsn_ok(BSN_YILDIZ) and bsn_ok(BSN_KONING) and not bsn_ok(BSN_BAD), "bsn")

ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(t):
    return ZW.sub("", unicodedata.normalize("NFKC", t)).lower()


def ts(s):
    return dt.datetime.fromisoformat(str(s).replace("Z", "+00:00"))


public_handles = set()
for l, (c, role) in zip(lines, meta):
    post, exp = l["post"], l["expect"]
    pid = post["id"]
    check(isinstance(pid, str) and 1 <= len(pid) <= 256, "id " + pid)
    check(post["platform"] in PLATFORMS, "platform " + pid)
    check(post["kind"] in {"post", "reply", "repost", "comment", "message"}, "kind " + pid)
    check(isinstance(post["account"]["handle"], str) and post["account"]["handle"], "handle " + pid)
    check(isinstance(post["text"], str) and len(post["text"].encode()) <= 65536, "text " + pid)
    check(RFC3339.match(post["created_at"]) is not None, "created_at " + pid)
    ts(post["created_at"])
    check(post["created_at"][:4] in ("2026", "2027"), "year " + pid)
    check(set(exp["categories"]) <= CATS and exp["categories"] == sorted(set(exp["categories"])), "cats " + pid)
    check(exp["severity"] in SEV, "sev " + pid)
    check(set(l) == {"post", "expect"} and set(exp) == {"categories", "severity"}, "shape " + pid)
    benign = not exp["categories"]
    check((exp["severity"] == "none") == benign, "benign<->none " + pid)
    if role == "public":
        public_handles.add((post["platform"], post["account"]["handle"].lower()))
    text = post["text"]
    # checksummed identifiers: valid in positives, failing (or the company's own) in negatives
    for kind, val, valid, public in id_candidates(text):
        if benign or PII not in exp["categories"]:
            check(not valid, "valid %s %s in a post without pii: %s" % (kind, val, pid))
        else:
            check(valid or public, "invalid %s %s in a pii positive: %s" % (kind, val, pid))
    # secrets
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if benign:
            check(not gh_ok(tok) and "xxxx" in tok, "benign gh token " + pid)
        else:
            check(gh_ok(tok), "gh crc " + pid)
    for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
        check(key.endswith("EXAMPLE") == benign, "aws key vs label " + pid)
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        hh = tok.split(".")[0]
        check("alg" in json.loads(base64.urlsafe_b64decode(hh + "=" * (-len(hh) % 4))), "jwt " + pid)
        check(not benign, "jwt in benign " + pid)
    if SECRET in exp["categories"]:
        check(any(k in text for k in ("ghp_", "AKIA", "sk_live_", "xoxb-", "T3BlbkFJ", "postgresql://", "AIza",
                                      "PRIVATE KEY", "eyJ", "glpat-", "wachtwoord", "ww:")), "secret shape " + pid)
    # codenames, markers, internal domains
    nt = norm(text)
    for cn in P["internal"]["codenames"] + P["internal"]["markers"] + P["internal"]["domains"]:
        if cn.lower() in nt and not c["hn"]:
            check(CONF in exp["categories"], "internal term %r without confidential: %s" % (cn, pid))
    # embargo
    when = ts(post["created_at"])
    for e in P["embargo"]:
        until = ts(e["until"])
        for term in e["terms"]:
            if term.lower() in nt:
                if when < until:
                    check(CONF in exp["categories"], "embargo term before until w/o confidential " + pid)
                else:
                    check(CONF not in exp["categories"], "embargo term after until labelled confidential " + pid)
    # pricing: a benign post never names a product next to a price below alert_below_ratio of its list price
    if benign:
        prices = [float(p.replace(",", ".")) for p in
                  re.findall(r"€\s?(\d+(?:[.,]\d{1,2})?)|(?<![\w.,])(\d+(?:[.,]\d{1,2})?)\s?euro", text) for p in p if p]
        for prod in P["products"]:
            names = [prod["name"]] + prod["aliases"]
            if any(nm.lower() in nt for nm in names):
                for pr in prices:
                    check(pr >= P["pricing"]["alert_below_ratio"] * prod["list_price"],
                          "benign low price for %s: %s" % (prod["name"], pid))
    # severity recomputed from the profile role
    check(exp["severity"] == severity(exp["categories"], role_of(post["platform"], post["account"]["handle"]), text),
          "severity " + pid)

check(len(used_ids) == len(lines), "unique ids")
check(170 <= len(lines) <= 180, "case count %d" % len(lines))
for plat, hnd in public_handles:
    check((plat, hnd) not in ROLE, "public handle in profile")

# mix report
from collections import Counter
cnt = Counter(c for l in lines for c in l["expect"]["categories"])
nben = sum(1 for l in lines if not l["expect"]["categories"])
langs = Counter(l["post"]["lang"] for l in lines)
roles = Counter(r for _, r in meta)
pos_roles = Counter(r for (c, r) in meta if c["cats"])
print("cases", len(lines), "benign", nben, "langs", dict(langs))
print("categories", dict(sorted(cnt.items())))
print("roles", dict(roles), "positive roles", dict(pos_roles))
print("severities", dict(Counter(l["expect"]["severity"] for l in lines)))
check(50 <= nben <= 70, "benign count")
check(0.5 <= langs["nl"] / len(lines) <= 0.6, "language mix")

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
