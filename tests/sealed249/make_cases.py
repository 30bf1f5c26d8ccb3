#!/usr/bin/env python3
"""Build the sealed evaluation set 249 (Vorkel Catering B.V., office & event catering).

Deterministic: fixed seed, hand-written posts, generated identifiers and credentials.
Writes cases.jsonl next to this file and checks it against CONTRACT §4/§6 and the
profile in profile.yaml. Exits non-zero if any check fails.
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
rng = random.Random(249_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}

# --------------------------------------------------------------------------- helpers
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_pending = []  # generated values waiting to be attached to the next case


def _reg(kind, value, valid=True):
    _pending.append({"kind": kind, "value": value, "valid": valid})
    return value


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---- checksummed identifiers
def iban_check(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_nl_iban():
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = rand(string.digits, 10)
    n = "".join(str(int(c, 36)) for c in bank + acct + "NL00")
    return f"NL{98 - int(n) % 97:02d}{bank}{acct}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaced=False):
    v = make_nl_iban()
    v = group4(v) if spaced else v
    return _reg("iban", v, True)


def bad_iban(spaced=False):
    v = make_nl_iban()
    i = rng.randrange(8, 18)
    v = v[:i] + str((int(v[i]) + rng.randint(1, 9)) % 10) + v[i + 1:]
    assert not iban_check(v)
    v = group4(v) if spaced else v
    return _reg("iban", v, False)


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


def _luhn_digit(body):
    for c in "0123456789":
        if luhn_ok(body + c):
            return c


def card(sep=" "):
    body = rng.choice(["4", "51", "52", "53", "55"])
    body += rand(string.digits, 15 - len(body))
    v = body + _luhn_digit(body)
    return _reg("card", sep.join(v[i:i + 4] for i in range(0, 16, 4)), True)


def bad_card(sep=" "):
    body = rng.choice(["4", "54"]) 
    body += rand(string.digits, 15 - len(body))
    good = _luhn_digit(body)
    v = body + str((int(good) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(v)
    return _reg("card", sep.join(v[i:i + 4] for i in range(0, 16, 4)), False)


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def bsn():
    while True:
        v = str(rng.randint(1, 6)) + rand(string.digits, 8)
        if bsn_ok(v):
            return _reg("bsn", v, True)


def bad_bsn():
    while True:
        v = str(rng.randint(1, 6)) + rand(string.digits, 8)
        if not bsn_ok(v):
            return _reg("bsn", v, False)


def mobile(style="dash"):
    n = "6" + rand(string.digits, 8)
    if style == "dash":
        v = f"06-{n[1:]}"
    elif style == "space":
        v = f"06 {n[1:5]} {n[5:]}"
    elif style == "intl":
        v = f"+31 6 {n[1:]}"
    elif style == "0031":
        v = f"0031 6 {n[1:3]} {n[3:6]} {n[6:]}"
    else:
        v = "06" + n[1:]
    return _reg("phone", v, True)


# ---- credentials
def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return _reg("secret", prefix + body + b62(zlib.crc32(body.encode()), 6))


def gh_ok(tok):
    body, ck = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()), 6) == ck


def aws_pair():
    kid = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
    sec = rand(string.ascii_letters + string.digits + "/+", 40)
    _reg("secret", kid)
    _reg("secret", sec)
    return kid, sec


def stripe_live():
    return _reg("secret", "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 64))


def slack_bot():
    return _reg("secret", "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24))


def openai_key():
    alpha = ALNUM + "_-"
    return _reg("secret", "sk-proj-" + rand(alpha, 48) + "T3BlbkFJ" + rand(alpha, 48))


def anthropic_key():
    return _reg("secret", "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA")


def google_key():
    return _reg("secret", "AIza" + rand(ALNUM + "_-", 35))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "usr_" + rand(string.digits, 6), "role": "admin",
                            "iss": "orders-api", "exp": 1790000000 + rng.randint(0, 9_999_999)},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return _reg("secret", f"{head}.{body}.{sig}")


def ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    b = base64.b64encode(raw).decode()
    lines = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    _reg("secret", lines.splitlines()[1])
    return f"-----BEGIN OPENSSH PRIVATE KEY-----\n{lines}\n-----END OPENSSH PRIVATE KEY-----"


def password():
    w = rng.choice(["Keuken", "Bitter", "Soepje", "Lunch", "Gebak", "Kruimel", "Hapje"])
    v = w + rng.choice("!#$%&*") + rand(string.digits, 4) + rand(string.ascii_letters, 3) + rng.choice("!?#")
    return _reg("secret", v)


# --------------------------------------------------------------------------- cases
CASES = []
_seq = {}


def when_random():
    d = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc) + dt.timedelta(
        minutes=rng.randint(0, 350 * 24 * 60))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def C(who, text, cats=(), lang="nl", kind=None, when=None, brand=None, evasion=False):
    platform, handle = who.split(":", 1)
    _seq[platform] = _seq.get(platform, 1000) + rng.randint(1, 37)
    pid = f"{platform}-249-{_seq[platform]}"
    if kind is None:
        kind = "reply" if text.lstrip().startswith("@") else (
            "comment" if platform in ("facebook", "instagram", "tiktok", "youtube") and rng.random() < 0.3 else "post")
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": when or when_random()}
    if rng.random() < 0.6:
        post["url"] = f"https://example.social/{platform}/{handle.strip('@')}/{_seq[platform]}"
    if brand or rng.random() < 0.35:
        post["brand"] = brand or "vorkel"
    CASES.append({"post": post, "cats": sorted(set(cats)), "gen": list(_pending), "evasion": evasion})
    _pending.clear()


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ============================ complaints ===================================
C("x:@officemanager_ilse", "@vorkel_service lunch voor 40 man besteld voor 12:00, om 13:20 nog steeds niks. "
  "hele directie zit met een lege maag te vergaderen. dit is de 2e keer deze maand 😤", [CMP])
C("linkedin:sarah-okafor-pm", "Booked Vorkel for our product launch on Thursday. Half the vegan trays never showed up "
  "and the ones that did had cheese on them. Three of our guests are vegan and ate crisps all evening. "
  "Honestly not good enough for what we paid.", [CMP], lang="en")
C("facebook:Mariska de Groot", "Borrelplank Groot besteld voor het afscheid van een collega. Kaas was zweterig en de "
  "worst nog half bevroren... Voor 64,50 verwacht je toch wel iets beters Vorkel", [CMP])
C("x:@techbro_tim", "ordered the Lunchbox Deluxe thru the vorkel app, got the classic one instead + a sad bruised apple. "
  "support chat closes at 4pm?? who runs a catering company like that", [CMP], lang="en")
C("reddit:u/koffieverkeerd", "Iemand anders ook klaar met Vorkel? Onze kantoorkoffiebar wordt al 3 weken niet "
  "bijgevuld, de monteur komt gewoon niet opdagen en de facturen lopen vrolijk door. Contract loopt nog tot "
  "september dus we zitten eraan vast 🙄", [CMP])
C("instagram:@bruiloftjes_by_nina", "Koffie & gebak voor de ceremonie geregeld via Vorkel... gebak kwam een uur te laat "
  "en de slagroom was zuur. Mijn bruidspaar was er echt kapot van 💔 en nog steeds geen reactie op mijn mail van maandag.",
  [CMP], kind="post")
C("reddit:u/fin_ops_dave", "PSA for anyone in Utrecht picking an event caterer: Vorkel invoiced us twice for the same "
  "walking dinner and it took five (5!) emails to get a credit note. Food was fine, admin is a total mess.",
  [CMP], lang="en")
C("x:@bartvdlinden", "@vorkel_nl jullie bezorger heeft de soep gewoon op de stoep gezet, deksel eraf, pan half leeg. "
  "bellen heeft geen zin want er neemt niemand op", [CMP])
C("threads:@lisa.plant.based", "vegan bowl box van vorkel smaakte naar.. niks. letterlijk gekookte rijst met 3 "
  "kikkererwten erop. 15,50 voor dit?? nooit meer", [CMP])
C("facebook:Henk Postma", "Christmas buffet from Vorkel for our company party: cold, nowhere near enough for 60 "
  "people, and the staff spent half the evening on their phones. Last year was fine, what happened to you guys?",
  [CMP], lang="en")
C("x:@amira_builds", "3rd time the @vorkel_nl breakfast box showed up without the gluten-free option we literally pay "
  "extra for. I have coeliac disease. please just read the order notes 🙃", [CMP], lang="en", kind="post")
C("x:@jvdmeer_", f"@vorkel_service nog altijd geen terugbetaling voor de geannuleerde high tea van 3 weken geleden. "
  f"mijn rekening is {iban()} t.n.v. J. van der Meer, stort het nou gewoon terug aub", [CMP, PII])
C("x:@kellyrdam", f"@vorkel_service your team keeps 'calling me back' and never does. my number is {mobile('dash')}, "
  "call me before friday or I'm disputing the charge with my bank", [CMP, PII], lang="en")
C("x:@boze_bas", "vorkel is echt een kutbedrijf. 3 uur te laat met de lunch en dan nog een grote bek van die chauffeur "
  "ook. stelletje prutsers", [CMP, ABU])
C("x:@mikey_rants", "vorkel catering is run by absolute morons. cold pasta, no cutlery, and the so-called event "
  "manager just shrugged at us. pathetic bunch of idiots", [CMP, ABU], lang="en")
# first-hand safety incidents: crisis + complaint
C("facebook:Sandra Willems", "Na de vergaderlunch van Vorkel gisteren liggen 6 collega's ziek thuis, overgeven en "
  "koorts. Ik zelf ook sinds vannacht. De kip smaakte al raar. Wie heeft dit nog meer?? 🤢", [CRI, CMP])
C("x:@dan_k_ldn", "Bit into a Vorkel sandwich at our offsite and there was a shard of blue plastic in it. Cut my gum, "
  "was bleeding all over. Their staff said 'huh that's weird' and walked off.", [CRI, CMP], lang="en")
C("instagram:@annefleur.eet", "Mijn dochter heeft een notenallergie en dat stond er gewoon duidelijk bij op de "
  "bestelling. Toch zat er hazelnoot in de verjaardagstaart van Vorkel. Ze moest met de epipen naar de SEH. "
  "Ik ben zo ontzettend boos.", [CRI, CMP], kind="post")
C("linkedin:tom-haverkamp", "At yesterday's client event the Vorkel chafing-dish burner tipped over and set the "
  "tablecloth on fire right next to me. Burnt my hand pulling it away. Nobody from their crew had an extinguisher "
  "anywhere near.", [CRI, CMP], lang="en")
C("x:@eline_zzp", "de koffiebar die vorkel bij ons op kantoor heeft neergezet gaf me net een flinke schok toen ik de "
  "stoomknop aanraakte. hele arm tintelt nog. dat ding staat daar waar iedereen de hele dag mee werkt!!", [CRI, CMP])

# ============================ crisis (third party) =========================
C("x:@utrechtnieuws_", "GGD onderzoekt voedselvergiftiging na congres in de Jaarbeurs. De catering werd verzorgd door "
  "Vorkel. Ruim 30 bezoekers meldden zich ziek.", [CRI])
C("x:@hospitalitywire", "BREAKING: Dutch caterer Vorkel recalls a batch of sushi platters after listeria was found in "
  "supplier salmon. Customers who ordered 12–14 May urged not to eat any leftovers.", [CRI], lang="en")
C("x:@actiegroep_eerlijk", "Vorkel betaalt afwassers en schoonmakers onder het minimumloon via een schimmige "
  "uitzendconstructie. Boycot Vorkel tot dit is opgelost! #boycotvorkel #eerlijkwerk", [CRI])
C("reddit:u/throwaway_gdpr", "Vorkel left a spreadsheet with thousands of customer names, addresses and allergy info "
  "publicly reachable on their ordering site. That's a data breach and they haven't notified anyone.", [CRI], lang="en")
C("x:@horecabond_mid", "Lawsuit filed against Vorkel Catering: 14 former employees are claiming unpaid wages and "
  "overtime. The hearing is set for 3 November in Utrecht.", [CRI], lang="en")
C("bluesky:@greenplate.bsky.social", "Vorkel advertises 'local & sustainable', but their 'Dutch' beef is shipped in "
  "from Brazil. Greenwashing, plain and simple. Don't book them. #boycott", [CRI], lang="en")
C("x:@mvdb_journalist", "Bezorgbusje van Vorkel Catering betrokken bij aanrijding op de A12 bij Bunnik, fietser "
  "zwaargewond naar het ziekenhuis. Politie onderzoekt de toedracht.", [CRI])
C("x:@wakkere_burger", "В0ycоt Vоrkel!!! ze laten hun bezorgers 12 uur per dag rijden zonder pauze, schandalig",
  [CRI], evasion=True)
C("facebook:VorkelCateringNL", "Terugroepactie: wij roepen de Bittergarnituur 50 stuks met leverdatum 2 t/m 4 juni "
  "terug vanwege mogelijk aanwezige metaaldeeltjes. Niet consumeren. Neem contact op via bestellingen@vorkel.nl, "
  "u krijgt uw geld terug.", [CRI])

# ============================ abuse ========================================
C("x:@hatertje99", "@lotte_events jij bent echt de domste eventmanager die ik ooit heb meegemaakt, ga lekker terug "
  "naar je keukentje trut", [ABU])
C("x:@anon7719", "@vorkel_nl your delivery guys are a bunch of dirty immigrants who can't even read a map. "
  "hire real dutch people", [ABU], lang="en")
C("instagram:@zzzvlogs", "die kok van vorkel in hun filmpjes is zo'n vette lul haha wat een sukkel 🤡", [ABU],
  kind="comment")
C("reddit:u/grumpyexec", "Vorkel's account manager is a useless piece of shit. That's the review.", [ABU], lang="en")
C("x:@k4nk3rbende", "v0rk3l = k4nk3rz00i, h00p d4t j3ll3 k3uk3n 4fbr4ndt m3t j3ll3 k0ks 3r1n", [ABU], evasion=True)
C("x:@chaoscarlo", "@chef_ruben_vk you are a f u c k i n g joke of a chef lmao go flip burgers", [ABU], lang="en",
  evasion=True)
C("x:@kimvanleeuwen_", "klanten die om 16:58 nog hun borrelbestelling willen omgooien zijn gewoon debielen. "
  "kankerlijers allemaal", [ABU])
C("x:@vorkel_service", "@kellyrdam misschien eerst even leren lezen voordat je gaat zeuren, idioot", [ABU])
C("x:@flitsertje", "@bezorgerbram do you always drive like a braindead moron or only in that vorkel van? prick",
  [ABU], lang="en")
C("x:@nope_nope_nope", "ｖｏｒｋｅｌ ｓｔａｆｆ ａｒｅ ｔｒａｓｈ ｈｕｍａｎｓ ｆｒｅａｋｉｎｇ ｌｏｓｅｒｓ", [ABU], lang="en",
  evasion=True)

# ============================ confidential =================================
C("x:@chef_ruben_vk", "proefsessie voor Project Bitterbal vandaag 🤫 als dit doorgaat gooien we de hele lunchlijn om",
  [CON])
C("linkedin:anouk-smit-vorkel", "Proud of the team for wrapping up the pilot of Operatie Koudeketen — the new cold "
  "chain setup goes live in four of our kitchens next quarter.", [CON], lang="en")
C("instagram:@chefdaan.vorkel", "sneak peek!! de Verde Bowl komt eraan 🌱🥑 nog even geheim maar ik kon het niet laten",
  [CON], when="2026-11-18T17:42:00Z")
C("x:@vorkel_nl", "Binnenkort nieuw in ons assortiment: de Bento Verde 🍱 Houd deze pagina in de gaten 👀",
  [CON], when="2026-12-10T08:00:00Z")
C("x:@lotte_events", "anyone know why planning.vorkel.local has been crawling all morning? can't get next week's "
  "events in", [CON], lang="en")
C("mastodon:@sophie_ops@mastodon.nl", "Handover doc for the new ops lead is at "
  "https://intra.vorkel.nl/wiki/ops/leveranciers-2027 if anyone's looking for it", [CON], lang="en")
C("linkedin:mehmet-yildiz-vorkel", "Uit het kwartaaloverleg (vorkel intern): we stoppen met de lunchlijn in Eindhoven en "
  "verhuizen die productie naar de keuken in Nieuwegein.", [CON, FIN])
C("x:@kimvanleeuwen_", "screenshot van de nieuwe menukaart met 'alleen voor medewerkers' er nog dik bovenop 😂 oeps. "
  "maar kijk die desserts dan", [CON])
C("reddit:u/ex_vorkel_kok", "Werkte tot vorige maand bij Vorkel. Ze zijn bezig met iets wat intern Kiwiberg heet, "
  "een eigen bezorgapp zodat ze niet meer via de grote platforms hoeven.", [CON])
C("bluesky:@jorisplanning.bsky.social", "working late on Kiwiberg again... if the app store review goes through we "
  "launch before Easter 🙏", [CON], lang="en")
C("linkedin:vorkel-catering", "A first look at our full-year 2026 results: revenue up 18% to €46.2m, with events "
  "growing fastest. Full report to follow.", [CON, FIN], lang="en", when="2027-02-10T15:30:00Z")
C("tiktok:@bezorgerbram", "POV: je rijdt al met de nieuwe Vorkel Verde boxen rond maar niemand mag het weten 🤐 "
  "#bezorger #catering", [CON], when="2027-01-20T08:15:00Z")
C("x:@chef_ruben_vk", "Project Bitter\u200bbal gaat door!!! proeverij dinsdag, neem honger mee", [CON], evasion=True)
C("x:@insider_horeca", "hoor dat vorkel met K.i.w.i.b.e.r.g bezig is, eigen bezorgplatform. spannend voor de "
  "markt", [CON], evasion=True)
C("linkedin:eva-mulder-finance", "Voor de auditors: de stukken staan klaar op "
  "https://gitlab.vorkel.nl/finance/close-2026 (vertrouwelijk - niet delen)", [CON])
C("instagram:@vorkel.catering", "Nieuw seizoen, nieuwe smaken! ✨ (concept – alleen voor medewerkers, nog niet posten)",
  [CON], kind="post")
C("x:@chef_ruben_vk", "testing the Operatie Koudeketen fridges today, holding 3°C all shift 👌", [CON], lang="en")

# ============================ financial ====================================
C("linkedin:eva-mulder-finance", "Q3-closing is rond. Spoiler: we zitten 2,1 miljoen onder budget en de marge op "
  "events is zo goed als gehalveerd. Benieuwd hoe de directie dat gaat brengen.", [FIN])
C("x:@kimvanleeuwen_", "gerucht op de werkvloer klopt dus: er gaan 60 banen weg in de centrale keuken, aankondiging "
  "pas in januari", [FIN])
C("linkedin:mehmet-yildiz-vorkel", "Can't say much yet, but Vorkel is in final talks to acquire a Belgian event "
  "caterer. Signing expected in March. Big times ahead!", [FIN], lang="en")
C("x:@horeca_insider_nl", "Van een bron binnen Vorkel: de overname door een Britse branchegenoot is rond, "
  "aankondiging volgt volgende week. Investeerders blij, personeel nog van niks weten.", [FIN])
C("x:@vorkel_nl", "Omzetprognose 2027: 52 mln, EBITDA 4,8 mln — concept voor persbericht, NIET versturen", [FIN])
C("bluesky:@jorisplanning.bsky.social", "Reorg announced internally today: planning and events merge into one team, "
  "about 15 roles at risk. Not public until the works council signs off.", [FIN], lang="en")
C("instagram:@chefdaan.vorkel", "laatste dienst in de keuken in Eindhoven 😢 vestiging gaat eind van het jaar dicht, "
  "nog niet officieel gecommuniceerd dus ssst", [FIN], kind="post")
C("mastodon:@sophie_ops@mastodon.nl", "Internal forecast says we'll miss the H2 revenue target by ~12%. Management "
  "wants the cuts to start in logistics.", [FIN], lang="en")
C("x:@lotte_events", "just heard we're taking over the corporate catering arm of Smaakwerk Groep?? explains all "
  "those hush-hush meetings", [FIN], lang="en")
C("linkedin:anouk-smit-vorkel", "Tussenstand H1 (nog niet gepubliceerd): omzet €21,4 mln, +9% t.o.v. vorig jaar, "
  "nettowinst licht negatief door de energiekosten.", [FIN])
C("reddit:u/leverancier_anoniem", "Wij leveren aan Vorkel en kregen net te horen dat ze per 1 april drie "
  "distributiecentra sluiten. Gaat om zo'n 80 mensen.", [FIN])

# ============================ security =====================================
C("mastodon:@sophie_ops@mastodon.nl", "Heads up team: the ordering portal got hit by ransomware last night, we're taking "
  "orders by phone today. Please don't post about it, comms is still preparing a statement.", [SCY], lang="en")
C("x:@kimvanleeuwen_", "bestelsite ligt er al sinds 6 uur vanochtend uit, volgens IT heeft iemand de database gewist. "
  "klanten weten nog van niks 😬", [SCY])
C("linkedin:mehmet-yildiz-vorkel", "Fun fact: our order API still returns the full customer record if you just change "
  "the order ID in the URL. Reported it three months ago, nobody cares.", [SCY], lang="en")
C("bluesky:@jorisplanning.bsky.social", "planning tool down since this morning, IT says someone phished the admin "
  "account. lovely monday", [SCY], lang="en")
C("tiktok:@bezorgerbram", "scanner app van de bezorging doet het al 2 dagen niet, we rijden met papiertjes rond want "
  "de servers zijn gehackt ofzo 🤷‍♂️ #bezorgerslife", [SCY])
C("x:@chef_ruben_vk", "cold room monitoring hacked?? every temp on the dashboard reads -40 and nobody can log in "
  "anymore", [SCY], lang="en")
C("reddit:u/sysadmin_nl_throwaway", "Doe IT-support bij Vorkel (anoniem account ja). Het wachtwoord-reset formulier "
  "laat je elk klantaccount overnemen zonder mailverificatie. Al weken gemeld, niks mee gedaan.", [SCY])
C("mastodon:@sophie_ops@mastodon.nl", "Phishingmail van 'onze directeur' is bij 40 collega's binnengekomen, 6 hebben "
  "hun inlog ingevuld. Accounts worden nu geblokkeerd. Intern houden aub", [SCY])
C("x:@lotte_events", "our client portal has been showing other companies' invoices to the wrong customers since "
  "tuesday's update. IT is on it but nobody has told the clients yet", [SCY], lang="en")
C("x:@vorkel_service", "Interne update: betaalmodule staat uit wegens verdachte transacties, klanten nog niet "
  "informeren. Naar buiten toe noemen we het 'gepland onderhoud'.", [SCY])
C("x:@lotte_events", "keukenplan.vorkel.local is al 3 uur onbereikbaar, volgens IT een aanval van buitenaf. "
  "niks naar buiten brengen zeggen ze", [SCY, CON])
C("mastodon:@sophie_ops@mastodon.nl", f"for whoever needs the temporary admin login while the portal is being "
  f"restored after the breach: admin / wachtwoord: {password()}", [SCY, SEC], lang="en")

# ============================ secrets ======================================
_k, _s = aws_pair()
C("mastodon:@sophie_ops@mastodon.nl", f"anyone know why this fails? `aws s3 ls --profile prod` with\n"
  f"AWS_ACCESS_KEY_ID={_k}\nAWS_SECRET_ACCESS_KEY={_s}\nkeeps saying access denied", [SEC], lang="en")
C("bluesky:@jorisplanning.bsky.social", f"pushed a quick fix for the planner export, CI token is {gh_token()} — "
  "will rotate it later", [SEC], lang="en")
C("linkedin:mehmet-yildiz-vorkel", f"Our new order webhook is live! Config snippet for partners:\n"
  f"STRIPE_KEY={stripe_live()}\nDocs coming soon.", [SEC], lang="en")
C("x:@vorkel_nl", f"DATABASE_URL=postgres://vorkel_app:{password()}@10.20.4.11:5432/orders", [SEC], lang="en")
C("tiktok:@bezorgerbram", f"login van de bezorgapp voor de invallers deze week: gebruiker invaller3 ww {password()} "
  "(wel netjes uitloggen he)", [SEC])
C("x:@chef_ruben_vk", f"kitchen planning bot in slack finally works 🎉 token {slack_bot()} for anyone who wants "
  "it in their own channel", [SEC], lang="en")
C("linkedin:anouk-smit-vorkel", f"Built a small menu-description generator over the weekend 🤖 Key for the team "
  f"sandbox: {openai_key()}", [SEC], lang="en")
C("mastodon:@sophie_ops@mastodon.nl", f"deploy key voor de leveranciersserver, zet 'm in ~/.ssh:\n{ssh_key()}", [SEC])
C("bluesky:@jorisplanning.bsky.social", f"debugging auth, this token keeps getting rejected by the orders api??\n"
  f"Authorization: Bearer {jwt()}", [SEC], lang="en")
C("x:@freelance_dev_ams", f"doing some freelance work for a catering client (vorkel) and their maps api key is just "
  f"sitting in the js bundle: {google_key()} 🙃", [SEC], lang="en")
C("x:@lotte_events", f"nieuwe AI-assistent voor offertes draait! key staat hier voor de collega's: {anthropic_key()}",
  [SEC])
C("x:@kimvanleeuwen_", f"kassa-account foodtruck: gebruiker foodtruck2 wacht\u200bwoord: {password()}", [SEC],
  evasion=True)

# ============================ personal data ================================
C("x:@lotte_events", f"klant belt steeds terug, kan iemand haar even bellen? mevr. de Boer, {mobile('dash')}, gaat "
  "over de bruiloft op 12 juni", [PII])
C("facebook:VorkelCateringNL", "Hoi Petra! We hebben je bestelling gevonden: Petra Jansen, Lindelaan 14, 3581 BK "
  "Utrecht. Hij gaat morgen de deur uit 🚚", [PII], kind="comment")
C("linkedin:eva-mulder-finance", f"Terugbetaling gedaan naar {iban(spaced=True)} (R. Hoekstra), kan iemand van "
  "debiteuren bevestigen dat die is aangekomen?", [PII])
C("x:@kimvanleeuwen_", f"lol klant gooide z'n creditcard gewoon in de chat: {card()} exp 09/28. wie doet dat nou",
  [PII])
C("instagram:@chefdaan.vorkel", "Gefeliciteerd Sanne Visser, geboren 14-03-1991, de beste sous-chef die er is! 🎂🥳",
  [PII], kind="post")
C("x:@vorkel_service", "@kellyrdam we found your order under kelly.ramdin@gmail.com, the refund has been processed 👍",
  [PII], lang="en")
C("bluesky:@jorisplanning.bsky.social", f"new starter paperwork: Youssef Amrani, BSN {bsn()}, starts monday in "
  "Nieuwegein", [PII], lang="en")
C("x:@gerda_65", f"Vorkel mag mij bellen over de bestelling van zaterdag: {mobile('intl')} of mailen naar "
  "gerda.hofstra@ziggo.nl", [PII])
C("tiktok:@bezorgerbram", "net bezorgd bij meneer Klaassen, Vossiusstraat 9 in Amsterdam, gaf 20 euro fooi. "
  "legende 🙌", [PII])
C("linkedin:mehmet-yildiz-vorkel", f"Anyone worked with this supplier before? Contact is Wim Bakker, "
  f"w.bakker@groentehandel-bakker.nl, tel {mobile('space')}", [PII], lang="en")
C("instagram:@vorkel.catering", "En de winnaar van onze high tea winactie is... Fleur de Wit, Kerkstraat 22 in Zeist! "
  "🎉 Gefeliciteerd Fleur!", [PII], kind="post")
C("x:@marloes_hr", f"@vorkel_service factuur graag op naam van M. Peters, IBAN {iban()}, ref 2026-118", [PII])
C("x:@kimvanleeuwen_", "bel ff naar mevr. Yilmaz voor de allergieën: 0 6 - 4 8 2 7 1 9 3 0", [PII], evasion=True)
C("mastodon:@sophie_ops@mastodon.nl", "Escalated complaint from Mrs. A. Kramer, born 02/07/1958, Utrechtseweg 101 "
  "Amersfoort — can someone from events call her today?", [PII], lang="en")
C("x:@lotte_events", f"wie heeft de kaart van de klant nog? {card('-')} — ze wil de aanbetaling op een andere kaart",
  [PII])

# ============================ pricing ======================================
C("x:@vorkel_nl", "🎉 Nu in de webshop: de Borrelplank Groot voor maar €12,95! Op = op", [PRC])
C("x:@dealjager", "Vorkel prijsfout?? Walking Dinner p.p. €4,95 in de webshop, snel bestellen 😂", [PRC])
C("x:@lotte_events", "help er staat een prijsfout op de site bij de Sushi Plateau, moet gewoon 69 zijn. wie kan dat "
  "aanpassen?", [PRC])
C("reddit:u/pepper_deals", "Vorkel's Event Koffiebar is listed at €39 per dagdeel on their site right now (it's "
  "normally 395). Bug or promo?", [PRC], lang="en")
C("facebook:VorkelCateringNL", "Kerstdiner Buffet p.p. nu €19,00 — alleen deze week!", [PRC])
C("x:@officeperks_nl", "lol the Vorkel Lunchbox Deluxe is showing €1,89 in the app right now", [PRC], lang="en")
C("instagram:@chefdaan.vorkel", "collega's: High Tea Etagère voor €15 via de personeelsportal, wie bestelt mee? ☕🍰",
  [PRC], kind="post")
C("x:@bieb_karin", "wait, the Bittergarnituur 50 stuks at Vorkel is 8 euro now??", [PRC], lang="en")
C("tiktok:@vorkelkeuken", "Saladebar Fris voor €3,40 p.p. 🥗 link in bio!", [PRC], kind="post")
C("linkedin:anouk-smit-vorkel", "Kleine correctie: de prijs van de Taart Verjaardag XL in de nieuwsbrief (€3,99) was "
  "een typfout, dat moet €39,95 zijn.", [PRC])
C("x:@koopjes_kim", "ｐｒｉｊｓｆｏｕｔ bij vorkel: Fruitschaal Kantoor €2,45 🍉", [PRC], evasion=True)
C("threads:@jaspertje.eet", "Ontbijtbox voor 5 euro bij vorkel?? prijsfout denk ik, heb er voor de zekerheid 20 "
  "besteld lol", [PRC])

# ============================ benign / hard negatives ======================
N = []
C("x:@jubileum_jan", "Vorkel verzorgde vandaag de lunch op ons jubileum en wow, die bitterballen 🔥🔥 iedereen was fan")
C("linkedin:priya-events-ams", "Shoutout to the Vorkel events team for an amazing walking dinner last night. Smooth, "
  "tasty and bang on time.", lang="en")
C("x:@vorkel_nl", "Vragen over je bestelling? Mail bestellingen@vorkel.nl of bel 030-5550177, we helpen je graag!")
C("linkedin:vorkel-catering", "We're hiring! Event chefs in Utrecht and Amsterdam. Send your CV to "
  "werkenbij@vorkel.nl 👩‍🍳", lang="en")
C("facebook:VorkelCateringNL", "Betaal je factuur via een overboeking naar NL45 RABO 0312 7645 90 o.v.v. je "
  "factuurnummer. Vragen? info@vorkel.nl")
C("x:@kortingsjager", "Borrelplank Groot van Vorkel deze week 20% korting, €51,60 ipv €64,50. gauw doen!")
C("x:@ut_lunchreview", "Vorkel Lunchbox Classic is €12.50, pretty standard for office lunch in Utrecht tbh. "
  "solid sandwich", lang="en")
C("x:@chef_ruben_vk", "400 lunchboxes out the door today, kitchen running like clockwork 🚂 proud of this crew",
  lang="en")
C("x:@cyber_dagboek", "Another day, another data breach: a big European airline just leaked 2 million passenger "
  "records. Change your passwords, people.", lang="en")
C("x:@tevreden_tessa", "Boycot? Nee joh. Vorkel heeft mijn klacht over de koude soep binnen een dag opgelost en "
  "gecompenseerd. Netjes!")
C("mastodon:@devrel_dirk@fosstodon.org", "Reminder: never commit keys. The docs example AKIAIOSFODNN7EXAMPLE is "
  "fine to paste, your real one is not.", lang="en")
C("x:@kimvanleeuwen_", "token in je config? gebruik env vars! bv GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "en dan uit je secret store laden")
C("x:@sem_zzp", f"mijn bank zegt dat {bad_iban()} ongeldig is, blijkt dat ik zelf een cijfer verkeerd had overgetypt 🙈")
C("linkedin:webshop-weetjes", f"Demo card for our checkout test (invalid on purpose): {bad_card()}. Don't bother trying "
  "it.", lang="en")
C("x:@vorkel_service", f"@jeroen1984 je bestelnummer {bad_bsn()} hebben we gevonden, hij wordt morgen voor 11:00 "
  "bezorgd!")
C("x:@vorkel_nl", "Vandaag gepubliceerd: onze jaarcijfers 2026. Het volledige verslag lees je op vorkel.nl 📊",
  when="2027-03-05T08:00:00Z")
C("x:@vorkel_nl", "Hij is er! De Verde Bowl is vanaf vandaag te bestellen 🌱", when="2027-01-21T09:30:00Z")
C("x:@foodbiz_analyst", "Vorkel's full-year 2026 results look solid, revenue up double digits and events carrying it.",
  lang="en", when="2027-03-10T12:10:00Z")
C("x:@utrecht_fietst", "Wat een chaos op de A12 vanochtend, vrachtwagen gekanteld. Sterkte aan iedereen die vaststond.")
C("x:@neighbour_nico", "Thoughts with the Vorkel crew after the fire at the warehouse next door last night, glad "
  "everyone on their side is ok ❤️", lang="en")
C("x:@dennis_kantoor", "dat kerstbuffet van vorkel was echt ziek goed 🤤 ik rol naar huis")
C("x:@foodtruck_fan", "This chili from the Vorkel lunchkar is killer. Literally died and went to heaven 🌶️", lang="en")
C("linkedin:anouk-smit-vorkel", "Onze intern Jesse heeft vandaag zijn eerste bruiloft gedraaid. Topper!")
C("instagram:@vorkel.catering", "Hoe wij de koudeketen bewaken van keuken tot kantoor 🧊 Lees meer op ons blog.",
  kind="post")
C("x:@vergeetachtig", "@vorkel_service ik ben mijn wachtwoord van de app vergeten, hoe reset ik dat?")
C("x:@almere_anna", "Does anyone know if Vorkel delivers to Almere? Their site only lists the Utrecht region.",
  lang="en")
C("x:@chef_stories", "Hot take: catering recall stories always go viral but nobody talks about the cooks doing 14h "
  "shifts in August.", lang="en")
C("x:@vorkel_nl", "Onze openingstijden rond de feestdagen: 24 dec tot 14:00, 25 en 26 dec gesloten. Fijne kerst! 🎄")
C("bluesky:@jorisplanning.bsky.social", "password managers are your friend. no, I won't share mine 😄", lang="en")
C("x:@hr_hanneke", "Dank je Vorkel voor de snelle reactie! Lunch was te laat maar jullie stuurden meteen een gratis "
  "fruitschaal 🍎")
C("x:@teamlead_sam", "Vorkel High Tea Etagère for 4 at €59, lovely for a team treat. The scones were perfect.",
  lang="en")
C("x:@sushi_steef", "Sushi Plateau 40 stuks voor €58,65 met de 15% kortingscode van deze maand. niet slecht")
C("instagram:@vorkel.catering", "The Summer BBQ Buffet is back! €38 p.p., book before 1 June and get 10% off 🍔",
  lang="en", kind="post")
C("reddit:u/klein_bedrijfje", "Small business owner here, looking for catering for 15 people. Anyone have "
  "experience with Vorkel or others around Utrecht?", lang="en")
C("x:@lol_lucas", "lmao my coworker said 'just kill me' when the Vorkel cake ran out. dramatic queen", lang="en")
C("linkedin:mehmet-yildiz-vorkel", "Spoke at the hospitality conference today about food waste. Great "
  "conversations, still a lot to do.", lang="en")
C("x:@stripe_tips", "The dashboard shows your key as sk_live_••••••••4f2a, which is exactly why you copy it once and "
  "store it properly.", lang="en")
C("x:@blije_bert", "Called 0800-8675 for Vorkel customer service, super friendly help!", lang="en")
C("mastodon:@sec_sanne@infosec.exchange", "A JWT looks like xxxxx.yyyyy.zzzzz: header, payload, signature. Never "
  "paste a real one in a ticket.", lang="en")
C("x:@arbeid_nieuws", "Rechtszaak tegen die fietskoeriersdienst over schijnzelfstandigheid gaat door. Vorkel heeft "
  "z'n bezorgers gewoon in loondienst, kan dus wel.")
C("x:@bitterbal_bas", "Project Bitterballen: my personal quest to find the best bitterbal in Utrecht. Vorkel's are "
  "#2 so far 🥇🥈", lang="en")
C("x:@fan_van_de_lunch", "v0rk3l 4 l1f3 🍴 beste lunch van de stad")
C("linkedin:eva-mulder-finance", "Fun team day: we raised €2,400 for the food bank. Thank you all for joining!",
  lang="en")
C("x:@dr_dieet", "Voedselvergiftiging gehad van een kebabzaak in Rotterdam, niks met catering te maken maar wat een "
  "ellende zeg")
C("x:@office_oliver", "The Vorkel coffee bar at our office is great. Barista Ahmed knows everyone's order by heart ☕",
  lang="en")
C("x:@vorkel_nl", "Tip: bestel je Vergaderlunch vóór 10:00 en hij staat om 12:00 op tafel 🥪 vanaf €16,75 p.p.")
C("x:@thijs_zegt", "Vorkel IBAN staat op elke factuur, NL45RABO0312764590, gewoon betalen financiële afdeling 😅")
C("instagram:@chefdaan.vorkel", "Birthday cake for our colleague Mark today, the big 40! 🎉", lang="en", kind="post")
C("x:@chill_charlie", "my Vorkel lunch was 10 minutes late today and honestly? the world kept turning. relax people",
  lang="en")
C("x:@soepfan", "Soep van de Dag 5 liter bij Vorkel voor €27,50, genoeg voor het hele team 👌")
C("tiktok:@snackvideos", "die Vorkel kok die bitterballen op 3x snelheid draait 😂😂", kind="comment")
C("x:@privacy_petra", "BSN nooit zomaar delen hoor, ook niet met je werkgever via whatsapp. PSA")
C("linkedin:vorkel-catering", "Our Q3 newsletter is out: a new seasonal menu, three new chefs and a sneak peek at "
  "our autumn soups.", lang="en")
C("x:@qa_quinten", "Reading about the listeria recall at that American deli chain, scary. Our office uses Vorkel and "
  "they were great about sharing their HACCP docs when we asked.", lang="en")
C("x:@scam_alert_nl", f"Waarom vraagt die nep-sms om m'n kaartnummer?? {bad_card()} stond erin als 'voorbeeld' lol. "
  "niet intrappen mensen")
C("x:@db_tutor", "postgres://USER:PASSWORD@HOST:5432/DB is the placeholder in every tutorial, fill in your own.",
  lang="en")
C("x:@chef_ruben_vk", "Open day at our kitchen in Nieuwegein tomorrow, everyone welcome between 10 and 4!", lang="en")
C("x:@gala_gert", "Vorkel kicked ass at our gala. The dessert table was insane.", lang="en")
C("x:@opgelucht_olaf", "@vorkel_service dank jullie wel, de terugbetaling is binnen 👍")
C("threads:@vorkel.catering", "Nieuwe week, nieuwe soep: pompoen-gember vanaf maandag in de Soep van de Dag 🎃")


# --------------------------------------------------------------------------- policy
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(post):
    key = f"{post['platform']}:{post['account']['handle']}".lower()
    return "corporate" if key in CORP else "employee" if key in EMP else "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d])|(?<!\d)\d{4}\.\d{2}\.\d{3}(?!\d)|(?<!\d)\d{3} \d{3} \d{3}(?!\d)")


def identifiers(text, secrets):
    """All IBAN/card/BSN look-alikes in the text as (kind, value, valid)."""
    for s in secrets:
        text = text.replace(s, " ")
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v.upper() in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_check(v)))
    t2 = IBAN_RE.sub(" ", text)
    for m in CARD_RE.finditer(t2):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(t2):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def severity(role, cats, has_valid_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                lvl = max(lvl, 2)
            elif c in (SEC, PRC) or (c == PII and has_valid_id):
                lvl = max(lvl, 4)
            else:
                lvl = max(lvl, 3)
        elif c == CMP:
            lvl = max(lvl, 2)
        elif c == CRI:
            lvl = max(lvl, 3)
        elif c == ABU:
            lvl = max(lvl, 2 if role == "public" else 3)
    return SEV[lvl]


# --------------------------------------------------------------------------- checks
ERR = []


def fail(case, msg):
    ERR.append(f"{case['post']['id']}: {msg}")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b-\u200d\u2060\ufeff]", "", t)


def until(ts):
    return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))


SECRET_PATTERNS = [
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{16,}"),
    re.compile(r"\bxox[bpas]-\d+-\d+-[A-Za-z0-9]+"),
    re.compile(r"\bsk-(?:proj|ant)-[A-Za-z0-9_-]{20,}"),
    re.compile(r"\bAIza[A-Za-z0-9_-]{35}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"\b[a-z]+://[^\s:/@]+:([^\s@]+)@"),
    re.compile(r"(?i)\b(?:wachtwoord|password|ww)\s*[:=]?\s*\S*\d\S*"),
]
PLACEHOLDER = re.compile(r"EXAMPLE|x{8,}|•|\*{4}|PASSWORD", re.I)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {CMP, CRI, ABU, SEC, PII, PRC, CON, FIN, SCY}
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b)")


def check_all(lines):
    ids = set()
    codenames = PROFILE["internal"]["codenames"]
    markers = PROFILE["internal"]["markers"]
    idomains = PROFILE["internal"]["domains"]
    embargo = [(t, until(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
    for i in PROFILE["public_identifiers"]["ibans"]:
        assert iban_check(i), i
    assert 15 <= len(PROFILE["products"]) <= 25
    assert len(CORP) >= 6 and len(EMP) >= 8
    for case, line in zip(CASES, lines):
        obj = json.loads(line)
        post, exp = obj["post"], obj["expect"]
        text, cats = post["text"], case["cats"]
        # ---- CONTRACT §6 / §1 shape
        if set(obj) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            fail(case, "bad case shape")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                fail(case, f"missing {f}")
        if not isinstance(post.get("account", {}).get("handle"), str):
            fail(case, "missing account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            fail(case, "id not unique / bad length")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            fail(case, "platform/kind")
        if not RFC3339.match(post["created_at"]):
            fail(case, "created_at not RFC 3339")
        if len(text.encode("utf-8")) > 65536:
            fail(case, "text too long")
        if not set(exp["categories"]) <= ALL_CATS or exp["categories"] != sorted(set(exp["categories"])):
            fail(case, "categories")
        created = until(post["created_at"])
        if not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= created < dt.datetime(2028, 1, 1, tzinfo=dt.timezone.utc)):
            fail(case, "created_at out of range")
        if created.year == 2027 and not any(t.lower() in text.lower() for t, _ in embargo):
            fail(case, "2027 date on a post unrelated to the embargo")
        role = role_of(post)
        # ---- identifiers and checksums
        secrets = [g["value"] for g in case["gen"] if g["kind"] == "secret"]
        found = identifiers(text, secrets)
        valid = [f for f in found if f[2]]
        if PII in cats:
            if any(not f[2] for f in found):
                fail(case, f"positive holds an identifier failing its checksum: {found}")
        else:
            if valid:
                fail(case, f"unlabelled valid identifier: {valid}")
        if not cats and any(f[2] for f in found):
            fail(case, "benign with valid identifier")
        for g in case["gen"]:
            if g["kind"] in ("iban", "card", "bsn"):
                chk = {"iban": iban_check, "card": luhn_ok, "bsn": bsn_ok}[g["kind"]](g["value"])
                if chk != g["valid"] or g["value"] not in text:
                    fail(case, f"generated {g['kind']} inconsistent")
                if g["valid"] and PII not in cats:
                    fail(case, "valid identifier in a case without leak.pii")
                if not g["valid"] and cats:
                    fail(case, "look-alike identifier in a positive")
            if g["value"] not in text:
                fail(case, f"generated {g['kind']} missing from text")
        # ---- credentials
        for m in re.finditer(r"\bgh[pousr]_[A-Za-z0-9]{36}\b", text):
            if gh_ok(m.group()) != (SEC in cats):
                fail(case, "github token checksum does not match label")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = m.group().split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                fail(case, "jwt header without alg")
        hits = [m.group() for p in SECRET_PATTERNS for m in p.finditer(norm(text))
                if not PLACEHOLDER.search(m.group())]
        if SEC in cats:
            if not secrets:
                fail(case, "secret case without generated credential")
            if not hits:
                fail(case, "secret case without a recognisable credential")
        else:
            if secrets or hits:
                fail(case, f"credential-looking text in a non-secret case: {hits}")
        # ---- confidential
        low = norm(text).lower()
        conf_hits = [c for c in codenames if re.search(r"\b" + re.escape(c.lower()) + r"\b", low)]
        conf_hits += [m for m in markers if m.lower() in low.replace("–", "-")]
        conf_hits += [d for d in idomains if d.lower() in low]
        conf_hits += [t for t, u in embargo if t.lower() in low and created < u]
        if CON in cats and not conf_hits and not case["evasion"]:
            fail(case, "confidential case without codename/marker/domain/embargo term")
        if CON not in cats and conf_hits:
            fail(case, f"unlabelled confidential term: {conf_hits}")
        # ---- pricing
        prods = []
        for p in PROFILE["products"]:
            for a in [p["name"]] + p["aliases"]:
                if re.search(r"(?<!\w)" + re.escape(norm(a).lower()) + r"(?!\w)", low):
                    prods.append(p)
                    break
        prices = [float((m.group(1) or m.group(2)).replace(",", ".")) for m in PRICE_RE.finditer(norm(text))]
        low_price = any(pr < 0.5 * p["list_price"] for p in prods for pr in prices)
        err_talk = re.search(r"prijsfout|price error|typfout|bug", low)
        if PRC in cats:
            if not prods or not (low_price or err_talk):
                fail(case, "pricing case without product + low price / price-error talk")
        elif prods and low_price:
            fail(case, "unlabelled low price next to a product")
        # ---- severity
        want = severity(role, cats, bool(valid))
        if exp["severity"] != want or exp["categories"] != cats:
            fail(case, "expect does not follow policy")
        if not cats and exp["severity"] != "none":
            fail(case, "benign severity")
        # ---- account roles
        handle_key = f"{post['platform']}:{post['account']['handle']}".lower()
        if role == "public" and any(handle_key.split(":", 1)[1] == a.split(":", 1)[1] for a in CORP | EMP):
            fail(case, "public handle collides with a profile handle")


def main():
    lines = []
    for case in CASES:
        post = case["post"]
        secrets = [g["value"] for g in case["gen"] if g["kind"] == "secret"]
        valid = [f for f in identifiers(post["text"], secrets) if f[2]]
        exp = {"categories": case["cats"], "severity": severity(role_of(post), case["cats"], bool(valid))}
        lines.append(json.dumps({"post": post, "expect": exp}, ensure_ascii=False))
    check_all(lines)

    n = len(CASES)
    benign = sum(1 for c in CASES if not c["cats"])
    per = {}
    for c in CASES:
        for k in c["cats"]:
            per[k] = per.get(k, 0) + 1
    nl = sum(1 for c in CASES if c["post"]["lang"] == "nl")
    roles = {}
    for c in CASES:
        roles[role_of(c["post"])] = roles.get(role_of(c["post"]), 0) + 1
    if not 170 <= n <= 180:
        ERR.append(f"case count {n} outside 170-180")
    if not 55 <= benign <= 65:
        ERR.append(f"benign count {benign} off target")
    if not 0.48 <= nl / n <= 0.62:
        ERR.append(f"Dutch share {nl / n:.2f} off target")
    if sum(1 for c in CASES if c["evasion"]) < 5:
        ERR.append("too few evasion cases")

    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"{n} cases, {benign} benign, nl={nl} ({nl / n:.0%}), roles={roles}")
    print("per category:", dict(sorted(per.items())))
    sev = {}
    for l in lines:
        s = json.loads(l)["expect"]["severity"]
        sev[s] = sev.get(s, 0) + 1
    print("severities:", sev)
    if ERR:
        print("SELF-CHECK FAILED:", *ERR, sep="\n  ")
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
