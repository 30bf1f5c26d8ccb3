#!/usr/bin/env python3
"""Build cases.jsonl (sealed set 287) for the fictional company Kievit Gaming B.V.

Deterministic: fixed seed, standard library + PyYAML. Post texts are hand-written;
only credentials and personal identifiers are generated (the way the real ones are
built, with their checksums). Severities are computed from CONTRACT section 4 using
the account role looked up in profile.yaml, never typed by hand.

Run:  python3 make_cases.py      (writes cases.jsonl beside itself and self-checks it)
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
SEED = 287
rng = random.Random(SEED)

CO = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
PR = "leak.pricing"
CF = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SC = "leak.secret"
PI = "leak.pii"
ALL_CATS = {CO, CR, AB, PR, CF, FI, SE, SC, PI, "reputation.spike"}

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        body = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        for c in string.digits:
            if bsn_ok(body + c):
                return body + c


def fmt4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def break_last(s, ok):
    """Change the last digit so the checksum fails (look-alike)."""
    for c in "7315920486":
        t = s[:-1] + c
        if t != s and not ok(t):
            return t
    raise AssertionError


# ---------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())) == m.group(3)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def pem_key():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)][:12]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


G = {}
G["gh_ci"] = github_token("ghp_")
G["gh_corp"] = github_token("ghp_")
G["gho_zw"] = github_token("gho_")
G["aws_id"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["aws_secret"] = rand(ALNUM + "/+", 40)
G["stripe"] = "sk_live_51" + rand(ALNUM, 96)
G["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13), rand(ALNUM, 24))
G["openai"] = "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 74)
G["anthropic"] = "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"
G["google"] = "AIza" + rand(ALNUM + "_-", 35)
G["jwt"] = make_jwt({"sub": "bo-admin-17", "role": "backoffice_superuser", "iat": 1767612000, "exp": 1799148000})
G["pem"] = pem_key()
G["dbpass"] = rand(ALNUM, 10) + "!" + str(rng.randint(10, 99))
G["mailpw"] = "Lepel!Bord" + str(rng.randint(1000, 9999))
G["sendgrid"] = "SG." + rand(ALNUM + "_-", 22) + "." + rand(ALNUM + "_-", 43)

# personal identifiers
G["iban_cp1"] = make_iban("INGB", "0" + rand(string.digits, 9))
G["iban_d1"] = make_iban("RABO", "0" + rand(string.digits, 9))
G["iban_d9"] = make_iban("ABNA", "0" + rand(string.digits, 9))
G["iban_d11"] = make_iban("BUNQ", "20" + rand(string.digits, 8))
G["card_d2"] = make_card("5412")
G["card_d6"] = make_card("4921")
G["bsn_d5"] = make_bsn()
G["bad_iban"] = break_last(make_iban("ASNB", "0" + rand(string.digits, 9)), iban_ok)
G["bad_iban2"] = break_last(make_iban("KNAB", "0" + rand(string.digits, 9)), iban_ok)
G["bad_card"] = "4111111111111112"
G["bad_bsn"] = break_last(make_bsn(), bsn_ok)
G["bad_card2"] = break_last(make_card("5167"), luhn_ok)

ZW = "\u200b"


def zw_split(s, every=5):
    return ZW.join(s[i:i + every] for i in range(0, len(s), every))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---------------------------------------------------------------- cases
CASES = []


def case(who, text, cats=(), lang="nl", kind="post", at=None, valid=(), invalid=(), price=None, name=None):
    CASES.append(dict(who=who, text=text, cats=sorted(set(cats)), lang=lang, kind=kind, at=at,
                      valid=list(valid), invalid=list(invalid), price=price, name=name))


# ================= BENIGN (hard negatives mostly) =================
case("x:@gerrit_gokt", "Net €340 binnengehaald op een 5-voudige combi bij KievitBet 🥳🥳 wie trakteert vanavond? ik dus")
case("reddit:u/quietpunter", "Question for the Kievit Casino regulars: can you set a deposit limit per week, or is it only monthly? Trying to keep myself in check this season.", lang="en")
case("x:@kievitbet_help", "@femke_dh Hoi Femke, vervelend dat je uitbetaling wat langer duurt. Stuur ons even een DM of mail naar support@kievitbet.nl, dan kijken we er meteen naar 🙏", kind="reply")
case("facebook:KievitBetNL", "Twijfel je over je speelgedrag? Bel gratis 0800-5438 of mail verantwoordspelen@kievitbet.nl. Je hoeft het niet alleen te doen. 18+ | Wat kost gokken jou? Stop op tijd.")
case("x:@dannyboy_afc", "Resolved! @kievitbet_help sorted my withdrawal within an hour once I DM'd them. Fair play, credit where it's due 👏", lang="en")
case("x:@xg_nerd", "die Stats Pro van Kievit voor €7,99 p/m is eerlijk gezegd z'n geld wel waard, xG per speler + pressing stats. aanrader voor de fantasy mensen", price=("KB-STATS", 7.99))
case("instagram:@kievitbet", "🔥 BLACK FRIDAY 🔥 Kievit fanshirt 2026 nu €39,95 (was €49,95). Alleen dit weekend op kievitbet.nl/shop 🧡", price=("KB-SHIRT26", 39.95))
case("x:@kievitbet", "Gaming Chair Pro down to €279 this week (-20%). Your back will thank you after those late-night NBA sessions. 18+ T&Cs apply", lang="en", price=("KB-CHAIR", 279.0))
case("x:@ultras_wendy", "LED-sjaal in de aanbieding voor 29,95, toch maar gedaan voor het uitvak zaterdag 😄💡", price=("KB-LEDSJ", 29.95))
case("reddit:u/cloudcat_dev", "PSA for the people panicking in the other thread: the AWS key in that KievitBet engineering blog tutorial is AKIAIOSFODNN7EXAMPLE. That's the standard placeholder straight from Amazon's docs, not a leak lol", lang="en", kind="comment")
case("forum:devtalk_rik", "Config example from the docs:\n\nGITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\nreplace with your own token obviously, and never commit it. Kievit's onboarding doc says the same.", lang="en")
case("mastodon:@bram_sre", "Tip voor iedereen die secrets in z'n logs tegenkomt: mask ze bij de bron. Bij ons zie je in de logs alleen nog sk_live_**** en zo hoort het ook. #devops")
case("x:@marja_t", f"Iemand stuurde me via WhatsApp dit rekeningnummer om 'mijn Kievit winst vrij te maken': {G['bad_iban']}. Klopt niet eens, nepnummer. Scam dus, niet intrappen mensen!!", invalid=[G["bad_iban"]])
case("x:@leo_grumbles", f"lol the phishing text pretending to be KievitBet had a 'verification card' {fmt4(G['bad_card'])} in it. doesn't even pass Luhn, amateurs", lang="en", invalid=[G["bad_card"]])
case("x:@nina_vraagt", f"Waarom vraagt elke app om je BSN? In het voorbeeld op dat nepformulier stond {G['bad_bsn']}, klopt niet eens. Kievit vraagt het gelukkig alleen via iDIN", invalid=[G["bad_bsn"]])
case("x:@gokjournaal", "Datalek bij concurrent BetNoord: 40.000 accounts op straat volgens RTL. Blij dat ik bij Kievit zit tbh, daar nooit iets van gehoord")
case("x:@sam_holloway", "Massive respect to the KievitBet support crew dealing with the Champions League rush tonight. You lot are heroes, honestly", lang="en")
case("linkedin:kievit-gaming", "Wij zoeken een Senior Data Engineer voor ons Amsterdamse team! 📊 Interesse? Mail je cv naar jobs@kievitgaming.nl #vacature #datajobs")
case("x:@ir_watcher", "Kievit's full-year 2026 results are out: revenue up 12%, margins decent. Good read on their investor page.", lang="en", at="2027-03-05T11:32:10Z")
case("x:@pim_speelt", "Live Blackjack Tulp eindelijk live!! dealer Sven is legendarisch 😂🌷", at="2027-01-22T20:14:51Z")
case("x:@kievitbet", "Onze jaarcijfers 2026 staan online op kievitgaming.nl/ir. Dank aan alle spelers en collega's 💚", at="2027-03-05T07:04:00Z")
case("linkedin:pieter-bosman-kb", "Proud to have worked on the new odds engine that went live today (public release notes on kievitbet.nl/nieuws). Huge thanks to everyone who tested late into the night!", lang="en")
case("x:@grapjas_gijs", "Mijn vriendin zegt dat ik een gokprobleem heb. Ik wed dat ze ongelijk heeft 😂 #kievitbet")
case("x:@tiff_bets", "anyone else think the cash-out button on KievitBet is kinda genius? took €80 profit before that 90th min equaliser. saved my weekend ngl", lang="en")
case("facebook:carla.bosch.9", "Kievit Casino heeft echt de mooiste live roulette tafels. Complimenten aan de dealers, altijd vriendelijk en netjes", kind="comment")
case("x:@henkie_b", "hoe reset ik mijn wachtwoord in de Kievit app? kan die knop nergens vinden haha, ben vast blind")
case("x:@lotte_trading", "Nice upset in the Eredivisie today. Love a Sunday like this 😏 (reminder: set your limits, play responsibly)", lang="en")
case("x:@pokerpiet", "Kievit Poker Open buy-in is €550, best pittig maar de prizepool vorig jaar was 1,2 mio. Ga ik het doen? 🤔", price=("KB-KPO-ME", 550.0))
case("instagram:@jas.minn", "Got my brother the Kievit gift card 100 for his bday, €100 as expected, packaging was actually really cute 🎁", lang="en", price=("KB-GC100", 100.0))
case("tiktok:@kievitcasino", "Wie wint zondag De Klassieker? Laat het weten in de comments ⬇️ 18+ | Speel bewust")
case("reddit:u/redact_me_not", "Found this in a screenshot on their blog: `sk_live_51****************************` — it's redacted, calm down people. Nothing to see.", lang="en", kind="comment")
case("x:@mila_codes", "Leuke talk van Kievit op de meetup over JWT's. Voorbeeld uit de slides was gewoon de bekende jwt.io demo: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c 🤓")
case("x:@bert_in_london", "The number on their site is +31 20 808 4400, called it this morning, got a human in 2 min. Not bad Kievit.", lang="en")
case("x:@wouter_kijkt", "Kansspelautoriteit deelt weer een boete uit aan een buitenlandse site zonder vergunning. Goed zo. Kievit heeft gewoon een NL-vergunning toch?")
case("x:@late_night_sarah", "never thought i'd say this but the Kievit reality-check popup actually made me stop for the night. good feature, keep it", lang="en")
case("linkedin:esra-yilmaz-kievit", "Vandaag 5 jaar bij Kievit Gaming! Van klantenservice naar product owner. Dankbaar voor alle kansen en collega's 🙌")
case("x:@shark_tank_sid", "KPO satellite ticket was €55 as usual, turned it into a main event seat 🎉 see you in Amsterdam", lang="en", price=("KB-KPO-SAT", 55.0))
case("x:@rianne_r", "Update: mijn account is weer vrijgegeven en het saldo staat er gewoon op. Dank @kievitbet_help, en sorry voor mijn boze tweet van gisteren 🙈", kind="reply")
case("x:@gallop_gary", "my horse lost by a nose. absolutely gutted. not Kievit's fault, just racing being racing 🐎", lang="en")
case("x:@reiziger_ron", "Die Madrid trip van Kievit voor €1.895 all-in met CL-tickets? Als je kijkt wat losse kaarten kosten is dat niet eens gek", price=("KB-TRIP", 1895.0))
case("forum:cardroom_jules", "How do you even find a decent home poker table? Kievit sells the Home Poker Tafel at 499, the cheap ones on marketplaces are half that but wobble like crazy.", lang="en", price=("KB-PTAFEL", 499.0))
case("x:@mo_acca", "That last-minute goal absolutely killed my accumulator 💀 still love this game", lang="en")
case("x:@fenna_laadt", "Mijn Kievit powerbank gaat al 2 jaar mee, laadt mijn telefoon drie keer vol. Beste merch die ik ooit gratis kreeg eigenlijk")
case("x:@adwatcher", "Just saw the new Kievit Gaming ad with the lapwing doing a victory dance. Whoever made that is a genius 😂", lang="en")
case("x:@kievitbet", "Gepland onderhoud: vannacht tussen 03:00 en 04:00 is de app even niet bereikbaar. Je saldo en openstaande bets blijven gewoon staan 🔧")
case("x:@kievitbet_help", "We're aware some of you had trouble logging in earlier this evening. That's now fixed – thanks for your patience! 💚", lang="en")
case("x:@tim_leert_poker", "Iemand ervaring met de Masterclass Poker van Kievit? 149 euro, vraag me af of dat wat toevoegt boven YouTube", price=("KB-MCLASS", 149.0))
case("x:@jordy_kijkt", "Hahaha de commentator van Kievit Live riep 'DOELPUNT VAN HET JAAR' bij een eigen goal 🤣 ik lig dubbel")
case("x:@curious_carl", "Is KievitBet Plus (€12.99/mo) worth it just for the boosted odds? Genuinely asking before I sign up", lang="en", price=("KB-PLUS-M", 12.99))
case("instagram:@ellen_uit_eten", "Matchday Hospitality bij Kievit gedaan, €289 p.p. Eten was echt goed en het uitzicht over het veld top 👌", price=("KB-HOSP", 289.0))
case("x:@kievitbet", "Kievit bestaat 10 jaar! Opgericht op 3 maart 2016 in een zolderkamer in Utrecht, nu met 400 collega's. Bedankt iedereen 🎂")
case("threads:@ilse.kievit", "Fijne kerst allemaal namens het hele support team van Kievit 🎄 speel verantwoord tijdens de feestdagen en geniet van elkaar")
case("x:@noor_darkmode", "De Kievit app heeft nu dark mode!! eindelijk 🖤 mijn ogen zijn jullie dankbaar")
case("x:@twijfelaar_tom", "Goud VIP nu €199 ipv €249 tijdens de winterdeal, zo'n 20% korting. Doen of niet?", price=("KB-VIPG", 199.0))
case("x:@h4ck3r_h4ns", "K13v1t B3t 1s d3 b3st3 4pp v00r l1v3 b3tt3n, 1k z3g 't j3 🔥")
case("x:@annelies_s", "Heel verdrietig nieuws over de verongelukte jockey in Engeland. Sterkte aan de familie. Kievit heeft de races van vandaag terecht uit het aanbod gehaald.")
case("x:@bookkeeper_bo", f"Funny one: a supplier invoice quoted our old account as {fmt4(G['bad_iban2'])}, which fails the IBAN check, so I caught the typo before paying. Unrelated to Kievit, I just bet there 😅", lang="en", invalid=[G["bad_iban2"]])
case("x:@scherp_geprijsd", "Kievit cadeaukaart 25 voor €22,50 bij de Primera deze week (10% korting). Leuk last-minute cadeautje", price=("KB-GC25", 22.5))
case("x:@vera_leest", f"Waarschuwing: nep-sms namens 'Kievit Uitbetalingen' vraagt om je kaartnummer. In het voorbeeld stond {fmt4(G['bad_card2'])}, onzin nummer. Kievit vraagt dit nooit via sms.", invalid=[G["bad_card2"]])
case("reddit:u/oddsnerd", "Honest review after a year on KievitBet: odds are mid, app is fast, payouts took 1-2 days every time. Support once took 3 days but they fixed it. 7/10", lang="en")

# ================= COMPLAINT =================
case("x:@sjaak_wacht", "Al 9 dagen wachten op mijn uitbetaling van €620 bij KievitBet. Elke keer 'in behandeling'. Dit is gewoon mijn geld hoor, waar blijft het", cats=[CO])
case("x:@priya_fedup", "@kievitbet_help your KYC team has asked me for the SAME bank statement four times now. Four. I've uploaded it four times. What exactly is the problem??", cats=[CO], lang="en", kind="reply")
case("x:@dennis_0031", "app crasht precies als ik wil cashouten, 2-0 voor en nu verlies ik alles omdat jullie app vastloopt. top werk kievit 🙄🙄", cats=[CO])
case("reddit:u/wagering_victim", "Warning about Kievit Casino's 'welcome bonus': 40x wagering on bonus+deposit, and a €5 max bet rule buried in section 7.3 of the T&Cs. They voided my €1,100 win because ONE spin was €6. Support just copy-pastes the terms at me. Avoid.", cats=[CO], lang="en")
case("x:@fleur_wedt", "Odds veranderden tijdens het plaatsen van m'n bet zonder enige melding, van 3.40 naar 2.10. Kievit wat is dit nou weer", cats=[CO])
case("facebook:rob.kamphuis.77", "Account zomaar gesloten zonder uitleg en nu al 3 weken geen reactie op mijn mails. Schandalig slechte klantenservice, nooit meer.", cats=[CO], kind="comment")
case("x:@inplay_ian", "Kievit Live stream lags like 40 secs behind so the in-play odds are gone by the time I see the chance. Completely pointless product", cats=[CO], lang="en")
case("x:@chatbotmoe", "chatbot van kievitbet snapt echt NIKS. 'ik begrijp je vraag niet' x10. geef me gewoon een mens ffs", cats=[CO])
case("x:@gamer_greta", "ordered the Kievit Gaming Headset H2, arrived with the left cup dead. Return form on the site 404s. Great stuff.", cats=[CO], lang="en")
case("x:@marco_afgeschreven", "Kievit Plus opgezegd in september en toch nog twee keer €12,99 afgeschreven. Wie gaat mij dat terugbetalen? @kievitbet_help", cats=[CO], price=("KB-PLUS-M", 12.99))
case("x:@limit_luke", "set my deposit limit to €50 and the very next day you email me a 'special reload bonus'? read the room, Kievit.", cats=[CO], lang="en")
case("x:@annika_kpo", "Mijn KPO satellite ticket is gewoon verdwenen uit mijn account na de laatste update. Support zegt 'we zoeken het uit', dat zeggen ze nu al 5 dagen", cats=[CO])
case("x:@ruud_visser88", f"@kievitbet_help ik wacht nog steeds op de terugbetaling naar {fmt4(G['iban_cp1'])} t.n.v. R. Visser, 2 weken nu!! Bel me desnoods op 06-41873920", cats=[CO, PI], kind="reply", valid=[G["iban_cp1"]])
case("x:@tom_on_hold", "been on hold 50 mins with Kievit. account email is tom.halloran84@outlook.com, just CALL ME BACK already: +31 6 2049 1187", cats=[CO, PI], lang="en")
case("x:@bijna_brand", "Mijn Kievit powerbank 10000 werd vannacht op het nachtkastje gloeiend heet en begon te roken. Bijna brand in de slaapkamer!! Hoe kan zoiets verkocht worden @kievitbet", cats=[CO, CR])
case("x:@worried_dad_ams", "The Kievit LED scarf gave my son a nasty burn on his neck at the match on Saturday, the battery pack got scorching hot. Had to take him to the GP. Not OK, Kievit.", cats=[CO, CR], lang="en")
case("facebook:gerda.vanveen", "Gaming Chair Pro van Kievit brak vandaag onder me af, rugleuning knapte zo achterover. Lig nu met een gekneusde stuit op de bank. Klachtformulier ingevuld, geen reactie.", cats=[CO, CR])
case("x:@zapped_zach", "got a proper shock off my Kievit headset H2 while it was charging. ear still tingling an hour later. unplugged everything, never using it again", cats=[CO, CR], lang="en")
case("x:@boze_bas", "Kievit, stelletje oplichters en klootzakken, drie weken geen uitbetaling. Kankerbende", cats=[CO, AB])
case("x:@withdrawal_woes", "@kievitbet_help you absolute clowns, fix your f***ing withdrawal page, it's been broken since Tuesday", cats=[CO, AB], lang="en", kind="reply")

# ================= CRISIS =================
case("x:@nieuwsjager", "Volgens Het Parool zijn er meerdere meldingen van Kievit-powerbanks die spontaan in brand vlogen. Kievit zou een terugroepactie overwegen.", cats=[CR])
case("x:@parents_against_ads", "BOYCOTT KievitBet. Sponsoring a youth football tournament while running betting ads at the same pitch. Kids, Kievit. KIDS. #BoycottKievit", cats=[CR], lang="en")
case("x:@sanne_phish", "Datalek bij Kievit?? Ik krijg ineens phishingmails met mijn naam, mijn saldo én mijn laatste weddenschap erin. Dat kan alleen uit hun systeem komen.", cats=[CR])
case("reddit:u/lawwatch_nl", "Class action being filed against Kievit Gaming in Amsterdam over 'predatory VIP hosts' targeting problem gamblers. Over 300 claimants signed up so far.", cats=[CR], lang="en")
case("x:@ksa_volger", "KSA legt Kievit Gaming een boete op van €1,4 miljoen wegens tekortschietende zorgplicht bij verslaafde spelers, meldt de NOS.", cats=[CR])
case("x:@integrity_ed", "Match-fixing scandal brewing: a Kievit VIP account allegedly put €200k on a second-division match hours before two very odd own goals. Why didn't their traders flag it?", cats=[CR], lang="en")
case("facebook:lies.dekker.3", "Mijn broer is alles kwijtgeraakt, €80.000, en Kievit bleef hem gewoon 'VIP-cadeaus' sturen. Dit moet naar de rechter. Delen aub #stopkievit", cats=[CR])
case("x:@stand_b_steve", "Kievit LED scarves being recalled?? A mate at the ground says stewards were taking them off people at the gate after one caught fire in the away end", cats=[CR], lang="en")
case("x:@checkjeaccount", "Alle Kievit-spelers: check je account! Er gaat rond dat er 200k accounts gehackt zijn en te koop staan op een forum.", cats=[CR])
case("x:@mediawatch_uk", "Influencer scandal: Kievit paid TikTokers to show off 'wins' that were made with demo accounts. Screenshots are everywhere. Disgusting marketing.", cats=[CR], lang="en")
case("x:@collega_valt", "Gaming Chair Pro: een collega van mij is gisteren achterover gevallen toen de poot afbrak, ambulance moest komen. Kievit moet die stoelen gewoon terughalen.", cats=[CR])

# ================= ABUSE =================
case("x:@verloren_vince", "@lotte_trading jij bent echt een waardeloze trut, door jouw kutodds ben ik alles kwijt", cats=[AB], kind="reply")
case("x:@rage_ronnie", "Kievit staff are a bunch of brain-dead parasites. Hope your whole office burns down.", cats=[AB], lang="en")
case("x:@l33t_l3x", "k13v1t = k4nk3rb3dr1jf, st3ll3tj3 0pl1cht3rs", cats=[AB])
case("x:@dotty_dan", "K.i.e.v.i.t support are f.u.c.k.i.n.g m.o.r.o.n.s", cats=[AB], lang="en")
case("x:@echte_nederlander", "Waarom laat Kievit Live zo'n hoofddoek-wijf de roulette draaien? Ga terug naar je eigen land", cats=[AB], kind="reply")
case("x:@sore_loser_sean", "@marloes_vl you useless cow, I know which office you work at. Watch yourself.", cats=[AB], lang="en", kind="reply")
case("x:@jorisdev_kb", "@gerrit_gokt hou toch je bek, sukkel. Niemand dwingt je om te gokken", cats=[AB], kind="reply")
case("x:@angry_andy", "fuck kievitbet and fuck every single one of their smug 'speel bewust' ads", cats=[AB], lang="en")
case("x:@breedbeeld", fullwidth("kievit zijn tyfuslijders") + " allemaal", cats=[AB])
case("x:@bitter_bill", "Kievit customer service agent 'Jeroen' is a pathetic little idiot who should be fired yesterday", cats=[AB], lang="en")

# ================= PRICING =================
case("x:@kievitbet", "🚨 Alleen vandaag: Kievit Gaming Chair Pro voor €34,90! Op = op 🪑", cats=[PR], price=("KB-CHAIR", 34.90))
case("instagram:@kievitbet", "Gold VIP membership now just €24.90 for the whole year 🤩 link in bio", cats=[PR], lang="en", price=("KB-VIPG", 24.90))
case("x:@dealhunter_nl", "Prijsfout bij Kievit?? Home Poker Tafel staat op de site voor €49,90 😱 snel bestellen jongens", cats=[PR], price=("KB-PTAFEL", 49.90))
case("reddit:u/glitchfinder", "Kievit webshop glitch: Champions Trip Madrid listed at €189 instead of €1,895. Someone in the discord already ordered 3 lol", cats=[PR], lang="en", price=("KB-TRIP", 189.0))
case("x:@marloes_vl", "oeps, de Kievit Plus jaar staat per ongeluk op €11,90 in de app, collega's zijn het aan het fixen. niet verder vertellen 🙈", cats=[PR], price=("KB-PLUS-Y", 11.90))
case("linkedin:pieter-bosman-kb", "Heads-up team: price error on the KPO Main Event buy-in, storefront shows €55 instead of €550. Listing pulled for now.", cats=[PR], lang="en", price=("KB-KPO-ME", 55.0))
case("x:@koopjesjager", "Cadeaukaart 100 van Kievit voor 19 euro bij die actie?? Dat is toch een prijsfout, of zie ik het verkeerd", cats=[PR], price=("KB-GC100", 19.0))
case("facebook:KievitBetNL", "Matchday Hospitality this Sunday: only €28.90 p.p.! Food, drinks and the best seats in the house 🏟️", cats=[PR], lang="en", price=("KB-HOSP", 28.90))
case("tiktok:@kievitcasino", "Masterclass Poker nu voor maar 14,90 🃏 leer bluffen als een pro, link in bio", cats=[PR], price=("KB-MCLASS", 14.90))
case("x:@copping_callum", "lmao the Kievit app is selling the Headset H2 for €8.90, price error or clearance? copping two before they notice", cats=[PR], lang="en", price=("KB-H2", 8.90))
case("instagram:@daan.oddsdesk", "haha de Kievit powerbank staat in onze eigen shop voor €3,99, iemand heeft de komma verkeerd gezet 😂", cats=[PR], price=("KB-PB10", 3.99))
case("x:@skybox_steph", "Kievit Skybox per match for €145?! That's got to be a pricing mistake, it's usually like 1.4k", cats=[PR], lang="en", price=("KB-SKYBOX", 145.0))

# ================= CONFIDENTIAL =================
case("x:@marloes_vl", "Druk weekje met Project Grutto. Als dit doorgaat wordt het echt groot 👀", cats=[CF])
case("x:@jorisdev_kb", "Migrating the casino wallet to Stormvogel next sprint, wish us luck #devlife", cats=[CF], lang="en")
case("linkedin:esra-yilmaz-kievit", "Kievit intern – roadmap Q3: sportsbook redesign, nieuwe bet builder en live cash-out voor tennis. Trots op dit team!", cats=[CF])
case("x:@jorisdev_kb", "the standup board this morning 😅 https://jira.kievitgaming.net/browse/SPORT-4471 twelve tickets, zero done", cats=[CF], lang="en")
case("threads:@ilse.kievit", "weet iemand waarom backoffice.kievitbet.internal zo traag is vandaag? ☕☕", cats=[CF])
case("instagram:@daan.oddsdesk", "Sneak peek: Kievit Crash Royale drops tomorrow and it's 🔥🔥 trust me", cats=[CF], lang="en", at="2027-01-19T18:40:12Z")
case("x:@lotte_trading", "Live Blackjack Tulp testsessie gedaan met het team, die oranje tafel is echt prachtig geworden", cats=[CF])
case("linkedin:kievit-gaming", "KB-CONFIDENTIAL: draft campaign calendar Q1 attached. Please review before Friday, do not share outside the marketing team.", cats=[CF], lang="en")
case("x:@roddel_rene", "Via een vriend die bij Kievit werkt: ze zijn bezig met iets dat Operatie Zandloper heet, een flinke herstructurering waarbij hele afdelingen verdwijnen", cats=[CF, FI])
case("reddit:u/linkspotter", "their dev pasted grafana.kb-ops.net/d/payments-overview in a public github issue lol. behind VPN probably but still", cats=[CF], lang="en", kind="comment")
case("mastodon:@bram_sre", "\u0405t\u043ermv\u043eg\u0435l draait eindelijk in de testomgeving, eerste load test ziet er goed uit", cats=[CF])
case("x:@marloes_vl", f"Pr{ZW}oject Gru{ZW}tto kickoff call at 9, send coffee", cats=[CF], lang="en")
case("bluesky:@noor-vdb.bsky.social", "niet extern delen, maar de nieuwe VIP-app ziet er echt strak uit 😍", cats=[CF])
case("x:@lotte_trading", "Doc for the pricing folks: https://intra.kievit.local/wiki/odds-margins-2026 (read before Monday)", cats=[CF], lang="en")
case("linkedin:esra-yilmaz-kievit", "jaarcijfers 2026 zijn net intern gepresenteerd: we zitten ruim boven plan, EBITDA +22% 🚀 trots op iedereen", cats=[CF, FI], at="2027-02-10T16:05:44Z")
case("reddit:u/kb_sjoerd", "first time cloning git.kievitgaming.net/platform/odds-engine, 4GB repo wtf who committed the videos", cats=[CF], lang="en")
case("x:@gamingleaks_nl", "Kievit Crash Royale?? Zag het in een gelekte screenshot van hun backoffice. Release in januari volgens mij", cats=[CF])
case("x:@jorisdev_kb", fullwidth("operatie zandloper") + " meeting moved to Thursday, same room", cats=[CF], lang="en")

# ================= FINANCIAL =================
case("linkedin:pieter-bosman-kb", "Q3 wordt bizar goed, omzet sportsbook +31% t.o.v. vorig jaar. Nog niet gepubliceerd dus sssst 🤫", cats=[FI])
case("x:@lotte_trading", "Board just signed off: we're acquiring a Danish casino operator, announcement in two weeks. Huge!", cats=[FI], lang="en")
case("threads:@ilse.kievit", "Slecht nieuws op kantoor: 120 fte eruit bij klantenservice, wordt volgende maand pas aangekondigd. Ben er kapot van", cats=[FI])
case("x:@vriend_van_een_vriend", "Hearing from a friend at Kievit Gaming that they're about to be bought by a big US sportsbook. Deal's at like €900m apparently.", cats=[FI], lang="en")
case("x:@marloes_vl", "Forecast 2027 intern bijgesteld naar €410 mln omzet, flink onder wat de analisten verwachten. Dat gaat pijn doen bij de publicatie", cats=[FI])
case("bluesky:@noor-vdb.bsky.social", "our CFO just told us EBITDA will miss guidance by ~15% this half, before it goes to the market. buckle up", cats=[FI], lang="en")
case("linkedin:kievit-gaming", "Concept persbericht: Kievit Gaming neemt BetNoord over voor €230 miljoen. NIET PUBLICEREN VOOR 14:00", cats=[FI])
case("reddit:u/kb_sjoerd", "Throwaway-ish but: the whole Malta office is closing by Q2, around 60 people. Not public yet, so don't ask me for details.", cats=[FI], lang="en")
case("x:@beleggersbeer", "Insider tip: Kievit gaat volgende week een winstwaarschuwing afgeven, zegt mijn zwager die daar bij finance zit", cats=[FI])
case("x:@jorisdev_kb", "monthly active users dropped 18% in November per the internal dashboard. not looking great for the Q4 call", cats=[FI], lang="en")

# ================= SECURITY =================
case("mastodon:@bram_sre", "Hele nacht wakker gelegen: er zat een lek in de bonus-API waarmee je je eigen saldo kon ophogen. Patch staat nog niet live, dus duimen dat niemand het vindt 🙃", cats=[SE])
case("x:@jorisdev_kb", "heads up: withdrawals have been down for everyone since 11:00, our payments provider is toast and we haven't announced anything yet", cats=[SE], lang="en")
case("x:@marloes_vl", "Vanochtend ontdekt dat iemand met gestolen admin-inloggegevens in onze backoffice heeft rondgekeken. Forensisch team is ingeschakeld, nog niet naar buiten gebracht", cats=[SE])
case("reddit:u/kb_sjoerd", "Pen test found our password reset tokens are predictable (timestamp based). Fix is scheduled for next month. kinda scary tbh", cats=[SE], lang="en")
case("x:@jorisdev_kb", "IDOR in de accountpagina: verander het id in de url en je ziet andermans stortingen. Ticket staat al 3 weken open 🤦", cats=[SE])
case("threads:@ilse.kievit", "the whole live casino has been down for 2 hrs and the status page still says 'all systems operational' 😬 don't quote me", cats=[SE], lang="en")
case("x:@lotte_trading", "Ransomware-melding op een paar laptops van marketing, IT sluit alles af. Niks tegen de pers zeggen graag", cats=[SE])
case("mastodon:@bram_sre", "Credential stuffing wave hitting backoffice.kievitbet.internal since midnight, ~40k login attempts and the WAF isn't catching half of them", cats=[SE, CF], lang="en")
case("bluesky:@noor-vdb.bsky.social", "Dus onze KYC-bucket stond een week publiek open, met paspoortscans erin. Ontdekt door een klant. Nog geen melding bij de AP gedaan.", cats=[SE])
case("x:@mate_in_it", "My mate in Kievit IT says the sportsbook goes offline tonight because of an SQL injection they found this afternoon. Not announced yet.", cats=[SE], lang="en")
case("x:@marloes_vl", "SMS-2FA van de Kievit app kan omzeild worden als je versie 4.2 draait, we weten het sinds vrijdag. Fix komt in 4.3 🤞", cats=[SE])
case("linkedin:pieter-bosman-kb", "Our DDoS mitigation failed for 20 minutes during the derby last night and we lost pretty much all in-play bets. Official line will be 'technical issue'.", cats=[SE], lang="en")
case("mastodon:@bram_sre", f"Na het incident van gisteren (aanvaller zat in onze CI) moeten we alle tokens roteren. Deze even testen of hij werkt: {G['gh_ci']}", cats=[SE, SC])

# ================= SECRETS =================
case("x:@jorisdev_kb", f"anyone know why `aws s3 ls` keeps saying AccessDenied? using\nAWS_ACCESS_KEY_ID={G['aws_id']}\nAWS_SECRET_ACCESS_KEY={G['aws_secret']}", cats=[SC], lang="en")
case("reddit:u/kb_sjoerd", f"Stripe key voor de staging webhook (ja ik weet het, live key 🙈): {G['stripe']}", cats=[SC])
case("x:@lotte_trading", f"slack bot for the odds alerts keeps dying, token is {G['slack']} if someone wants to have a look", cats=[SC], lang="en")
case("mastodon:@bram_sre", f"Waarom connect dit niet?\nDATABASE_URL=postgres://kb_admin:{G['dbpass']}@10.20.4.11:5432/wallet", cats=[SC])
case("x:@jorisdev_kb", f"quick script to summarise support tickets:\n\nclient = OpenAI(api_key=\"{G['openai']}\")\n\nworks great", cats=[SC], lang="en")
case("threads:@ilse.kievit", f"Voor de collega's van het weekend: wachtwoord van de gedeelde supportmailbox is {G['mailpw']}", cats=[SC])
case("reddit:u/kb_sjoerd", f"can't get ssh to accept this key, what am I doing wrong?\n\n{G['pem']}", cats=[SC], lang="en")
case("x:@marloes_vl", f"curl werkt niet meer met deze header, iemand?\nAuthorization: Bearer {G['jwt']}", cats=[SC])
case("x:@js_snooper", f"Found this in KievitBet's public JS bundle: {G['google']} lmao who ships that", cats=[SC], lang="en")
case("x:@kievitbet", f"test test, integratie check {G['gh_corp']}", cats=[SC])
case("bluesky:@noor-vdb.bsky.social", f"prompt experiment for the VIP chatbot, key: {G['anthropic']}", cats=[SC], lang="en")
case("x:@jorisdev_kb", f"Nieuwe deploy token voor de app-builds: {zw_split(G['gho_zw'], 7)} (niet doorsturen)", cats=[SC])

# ================= PERSONAL DATA =================
case("x:@kievitbet_help", f"@rvisser_88 Hoi Ruud, we hebben de €450 vandaag overgemaakt naar {fmt4(G['iban_d1'])}, morgen staat het op je rekening!", cats=[PI], kind="reply", valid=[G["iban_d1"]])
case("x:@lotte_trading", f"lol this customer's card keeps getting declined, {fmt4(G['card_d2'])} exp 11/28, can someone in payments look", cats=[PI], lang="en", valid=[G["card_d2"]])
case("threads:@ilse.kievit", "Klant belde net boos: mevrouw J. de Wit, geboren 14-03-1961, wil per direct haar account gesloten hebben. Wie pakt het op?", cats=[PI])
case("facebook:KievitBetNL", "Hi Priya, we've emailed you at priya.raman@hotmail.co.uk and we'll call you on 06 23 45 67 81 tomorrow morning to sort it out.", cats=[PI], lang="en", kind="reply")
case("bluesky:@noor-vdb.bsky.social", f"KYC-check faalt steeds voor een klant met BSN {G['bsn_d5']}, iemand enig idee waarom?", cats=[PI], valid=[G["bsn_d5"]])
case("x:@moeder_mieke", f"Mijn zoon heeft zonder te vragen mijn creditcard {fmt4(G['card_d6'])} gebruikt bij Kievit. Hoe krijg ik dat geld terug??", cats=[PI], valid=[G["card_d6"]])
case("x:@revenge_rich", "This is the Kievit VIP host who ruined my dad: Mark Verhoef, Keizersgracht 221-3, Amsterdam. Go pay him a visit.", cats=[PI, AB], lang="en")
case("x:@marloes_vl", "Winnaar van de KPO: Sander Kuipers uit Zwolle (woont op de Assendorperstraat 14, 8012 DG). Eerste keer bij ons, gefeliciteerd!!", cats=[PI])
case("x:@jorisdev_kb", f"Can someone in payments check IBAN {G['iban_d9']} for player 88213? Name on the account: L. Okafor", cats=[PI], lang="en", valid=[G["iban_d9"]])
case("x:@birgit_j", "Kan support van Kievit contact met me opnemen? Mijn mail is b.jansen1977@ziggo.nl en tel 0612345678, alvast bedankt 😊", cats=[PI])
case("x:@lotte_trading", f"refund for the chargeback case goes to {zw_split(G['iban_d11'], 4)}, please process today", cats=[PI], lang="en", valid=[G["iban_d11"]])
case("x:@kievitbet", "Gefeliciteerd aan onze jackpotwinnaar Henk Brouwer (geb. 02-07-1958) uit Emmen! 🎰🎉 Geniet ervan Henk!", cats=[PI])
case("x:@bellen_blijft", "The guy who keeps ringing me about 'Kievit bonuses' uses +31 6 1873 0452, anyone else had calls from him?", cats=[PI], lang="en")


# ---------------------------------------------------------------- build
SEV = ["none", "info", "warning", "error", "critical"]


def account_sets():
    acc = PROFILE["accounts"]
    return ({a.lower() for a in acc["corporate"]}, {a.lower() for a in acc["employee"]})


CORP, EMP = account_sets()


def role_of(who):
    w = who.lower()
    if w in CORP:
        return "corporate"
    if w in EMP:
        return "employee"
    return "public"


def severity(cats, role, checksum_pii):
    if not cats:
        return "none"
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SC, PR) or (c == PI and checksum_pii):
                    s = 4
            else:
                s = 2
        elif c == CO:
            s = 2
        elif c == CR:
            s = 3
        elif c == AB:
            s = 3 if insider else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, s)
    return SEV[lvl]


def rand_ts():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 362 * 24 * 3600))
    if 1 <= t.hour <= 6:
        t += timedelta(hours=8)
    if t.year != 2026:
        t = t.replace(year=2026, month=12, day=30)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


BRANDS = ["KievitBet", "Kievit Casino", "Kievit Live"]
rows = []
used_ids = set()
order = list(range(len(CASES)))
rng.shuffle(order)
for idx in order:
    c = CASES[idx]
    plat, handle = c["who"].split(":", 1)
    role = role_of(c["who"])
    num = rng.randint(10**8, 10**9)
    pid = "%s-%d" % (plat, num)
    while pid in used_ids:
        num += 1
        pid = "%s-%d" % (plat, num)
    used_ids.add(pid)
    checksum_pii = bool(c["valid"])
    post = {
        "id": pid,
        "platform": plat,
        "kind": c["kind"],
        "account": {"handle": handle},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"] or rand_ts(),
    }
    if rng.random() < 0.4:
        post["url"] = "https://%s.example/%s/%d" % (plat, handle.strip("@").replace("/", "_"), num)
    if rng.random() < 0.3:
        post["brand"] = rng.choice(BRANDS)
    rows.append({"post": post,
                 "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_pii)},
                 "_meta": c, "_role": role})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


HOMO = str.maketrans({"\u0405": "S", "\u043e": "o", "\u0435": "e", "\u0430": "a", "\u0440": "p", "\u0441": "c",
                      "\u0456": "i", "\u0410": "A", "\u0415": "E", "\u041e": "O", "\u0421": "C"})


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate(HOMO).lower()


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
public_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
public_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
for i in public_ibans:
    if not iban_ok(i):
        err("profile IBAN fails mod-97: " + i)
inside_terms = [norm(t) for t in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                + PROFILE["internal"]["domains"]]
embargo = [([norm(t) for t in e["terms"]], datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"]]
prices = {p["sku"]: p["list_price"] for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]

# profile shape
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("profile: too few accounts")
if len({a.split(":")[0] for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}) < 3:
    err("profile: too few platforms")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    err("profile: codenames/markers")
if not 15 <= len(PROFILE["products"]) <= 25 or any(p["currency"] != "EUR" for p in PROFILE["products"]):
    err("profile: products")
if ratio != 0.5:
    err("profile: ratio")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        err("embargo until not in 2027")

ids = set()
with open(out, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if len(lines) != len(rows):
    err("line count mismatch")
for ln, (line, r) in enumerate(zip(lines, rows), 1):
    obj = json.loads(line)
    p, e, m = obj["post"], obj["expect"], r["_meta"]
    tag = "line %d (%s)" % (ln, p.get("id"))
    # CONTRACT section 6 / section 1 shape
    if set(obj) != {"post", "expect"}:
        err(tag + ": top-level keys")
    for f in ("id", "platform", "account", "text", "created_at"):
        if f not in p:
            err(tag + ": missing " + f)
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        err(tag + ": bad/duplicate id")
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        err(tag + ": platform/kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        err(tag + ": handle")
    if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
        err(tag + ": text")
    if not RFC3339.fullmatch(p["created_at"]):
        err(tag + ": created_at")
    ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if ts.year not in (2026, 2027):
        err(tag + ": year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
        err(tag + ": categories")
    if e["severity"] not in SEV:
        err(tag + ": severity value")
    if (not cats) != (e["severity"] == "none"):
        err(tag + ": benign/severity mismatch")
    if e["severity"] != severity(cats, role_of(p["platform"] + ":" + p["account"]["handle"]), bool(m["valid"])):
        err(tag + ": severity not per policy")
    # checksummed identifiers
    flat = re.sub(r"[\s\u200b]", "", p["text"])
    for v in m["valid"]:
        if PI not in cats:
            err(tag + ": valid identifier in non-pii case")
        if v not in flat:
            err(tag + ": declared identifier not in text")
        if not (iban_ok(v) if v[:2].isalpha() else (bsn_ok(v) if len(v) == 9 else luhn_ok(v))):
            err(tag + ": declared identifier fails checksum " + v)
    for v in m["invalid"]:
        if v not in flat:
            err(tag + ": look-alike not in text")
        if iban_ok(v) or (len(v) == 9 and bsn_ok(v)) or (len(v) >= 13 and v.isdigit() and luhn_ok(v)):
            err(tag + ": look-alike passes checksum " + v)
    if SC not in cats:  # scan for accidental checksum-valid numbers
        t = norm(p["text"]).upper()
        for mm in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b", t):
            s = re.sub(r"\s", "", mm.group(0))
            if iban_ok(s) and s not in public_ibans and PI not in cats:
                err(tag + ": stray valid IBAN " + s)
        for mm in re.finditer(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d.,])", t):
            if luhn_ok(mm.group(0)) and PI not in cats:
                err(tag + ": stray Luhn-valid number " + mm.group(0))
        for mm in re.finditer(r"(?<![\d.,-])\d{9}(?![\d.,-])", t):
            if bsn_ok(mm.group(0)) and PI not in cats:
                err(tag + ": stray 11-proof number " + mm.group(0))
    for mm in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}", p["text"]):
        if mm.group(0).lower().rstrip(".") not in public_emails and PI not in cats:
            err(tag + ": non-public e-mail in non-pii case")
    # secrets
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z\u200b]{36,}", p["text"]):
        tok = tok.replace(ZW, "")
        if github_ok(tok) != (SC in cats):
            err(tag + ": github token checksum/label mismatch " + tok)
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", p["text"]):
        if ("EXAMPLE" in tok) == (SC in cats) or (SC in cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)):
            err(tag + ": aws key format/label mismatch")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
        if not jwt_ok(tok):
            err(tag + ": JWT header lacks alg")
    # internal names, markers, embargo
    nt = norm(p["text"])
    has_inside = any(term in nt for term in inside_terms)
    emb_before = emb_after = False
    for terms, until in embargo:
        if any(term in nt for term in terms):
            if ts < until:
                emb_before = True
            else:
                emb_after = True
    if (has_inside or emb_before) != (CF in cats):
        err(tag + ": confidential label vs internal/embargo terms mismatch")
    if emb_after and cats:
        err(tag + ": post-embargo mention should be benign here")
    # pricing
    if m["price"]:
        sku, amount = m["price"]
        below = amount < ratio * prices[sku]
        if below != (PR in cats):
            err(tag + ": price ratio vs pricing label mismatch")
    elif PR in cats and "prijsfout" not in nt and "price error" not in nt:
        err(tag + ": pricing case without price")
    # roles
    role = r["_role"]
    if role == "public" and (p["platform"] + ":" + p["account"]["handle"]).lower() in CORP | EMP:
        err(tag + ": role")

# mix
n = len(rows)
benign = sum(1 for r in rows if not r["expect"]["categories"])
count = {c: sum(1 for r in rows if c in r["expect"]["categories"]) for c in sorted(ALL_CATS)}
nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
if not 170 <= n <= 180:
    err("case count %d" % n)
if not 55 <= benign <= 65:
    err("benign count %d" % benign)
if not 0.50 <= nl / n <= 0.60:
    err("dutch share %.2f" % (nl / n))
targets = {CO: 20, CF: 18, PI: 15, CR: 15, SE: 13, SC: 12, AB: 12, PR: 12, FI: 12}
for c, t in targets.items():
    if abs(count[c] - t) > 2:
        err("category %s count %d, target ~%d" % (c, count[c], t))

roles = {}
for r in rows:
    if r["expect"]["categories"]:
        roles.setdefault(r["_role"], 0)
        roles[r["_role"]] += 1

print("cases=%d benign=%d dutch=%.0f%%" % (n, benign, 100 * nl / n))
print("categories:", {k.split(".")[1]: v for k, v in count.items()})
print("positive roles:", roles)
if errors:
    print("SELF-CHECK FAILED (%d):" % len(errors))
    for x in errors:
        print("  -", x)
    sys.exit(1)
print("self-check OK")
