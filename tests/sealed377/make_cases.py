#!/usr/bin/env python3
"""Held-out evaluation set 377 for postwatch.

Fictional company: Korvel Tegel & Natuursteen B.V., a chain of tile and natural-stone
shops with a fitting service (KorvelFit). Profile: profile.yaml beside this file.

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Writes cases.jsonl beside itself and checks it:
  * every line is a valid CONTRACT section 6 case with a valid section 1 post;
  * ids are unique;
  * every IBAN / card / BSN recorded in a positive passes its checksum, every
    look-alike recorded in a benign post fails it, and a scan of all benign posts
    finds no valid IBAN (other than the company's public one), card or BSN;
  * generated credentials are well-formed (GitHub CRC-32, AWS charset, JWT header);
  * severities are computed from CONTRACT section 4 and the account role in the profile.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(377)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
URLSAFE = string.ascii_letters + string.digits + "_-"

# --------------------------------------------------------------------------------------
# identifiers (valid and look-alikes); every call is recorded against the next case
# --------------------------------------------------------------------------------------
_pending = []


def _iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_valid(s):
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


def bsn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0


def _group(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def iban(bank="INGB", spaced=True, ok=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    chk = _iban_check("NL", bban)
    s = "NL" + chk + bban
    if not ok:
        # break it: change one account digit so mod-97 fails
        while iban_valid(s):
            i = rng.randrange(8, 18)
            s = s[:i] + str((int(s[i]) + rng.randint(1, 9)) % 10) + s[i + 1:]
    _pending.append(("iban", s, ok))
    return _group(s) if spaced else s


def card(kind="visa", ok=True, sep=" "):
    if kind == "visa":
        body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
    elif kind == "mc":
        body = "5" + rng.choice("12345") + "".join(rng.choice(string.digits) for _ in range(13))
    else:  # amex, 15 digits
        body = "37" + "".join(rng.choice(string.digits) for _ in range(12))
    for c in string.digits:
        if luhn_valid(body + c):
            num = body + c
            break
    if not ok:
        num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
        assert not luhn_valid(num)
    _pending.append(("card", num, ok))
    if kind == "amex":
        return sep.join([num[:4], num[4:10], num[10:]])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn(ok=True, sep=""):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if r == 10:
            continue
        num = "".join(map(str, d)) + str(r)
        break
    if not ok:
        while bsn_valid(num):
            num = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    _pending.append(("bsn", num, ok))
    if sep:
        return sep.join([num[:4], num[4:6], num[6:]])
    return num


# --------------------------------------------------------------------------------------
# credentials, built the way the real ones are
# --------------------------------------------------------------------------------------
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def openssh_key():
    def lp(b):
        return len(b).to_bytes(4, "big") + b
    pub = lp(b"ssh-ed25519") + lp(bytes(rng.getrandbits(8) for _ in range(32)))
    priv = bytes(rng.getrandbits(8) for _ in range(152))
    blob = (b"openssh-key-v1\x00" + lp(b"none") + lp(b"none") + lp(b"") +
            (1).to_bytes(4, "big") + lp(pub) + lp(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) +
            "\n-----END OPENSSH PRIVATE KEY-----")


def slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CASES = []


def add(acct, cats, text, kind="post", lang=None, at=None, price=None, url=None):
    platform, handle = acct.split(":", 1)
    ids = list(_pending)
    _pending.clear()
    CASES.append(dict(platform=platform, handle=handle, cats=sorted(cats), text=text,
                      kind=kind, lang=lang, at=at, ids=ids, price=price, url=url))


C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"

# ===================================== complaints =====================================
add("x:@margrietvdl", [C],
    "@korvel_klantenservice al 3 weken wacht ik op mijn Travertin Noce. Eerst 'volgende week', "
    "toen 'vertraging bij de leverancier', vandaag weer iemand anders aan de lijn die van niks weet. "
    "Ik heb de tegelzetter al 2x moeten afzeggen.", kind="reply", lang="nl")
add("x:@danny_builds", [C],
    "Korvel fitter didn't show. Again. Second time this month I took a day off for nothing and "
    "nobody even bothered to call", lang="en")
add("facebook:Hennie.Scholten.52", [C],
    "Halve pallet Leisteen Antraciet gisteren bezorgd, minstens 15 tegels gebroken in de doos. "
    "Chauffeur wilde niet wachten tot ik had gekeken. En nu moet ik zelf foto's mailen en 'binnen "
    "10 werkdagen' krijg ik reactie. Top service Korvel 👎", kind="comment", lang="nl")
add("instagram:@wonen.met.wies", [C],
    "Kleurverschil tussen de dozen Terrazzo Milaan, duidelijk een andere batch. In de winkel in "
    "Amersfoort zeggen ze 'dat hoort bij natuursteen'. Het is terrazzo van een fabriek jongens. "
    "Voel me echt niet serieus genomen @korvel.tegels", kind="comment", lang="nl")
add("x:@Pjotr_H", [C],
    "grout in my shower cracked after 2 months. KorvelFit promised a 5 yr warranty and all I get "
    "is an autoreply. has anyone ever actually reached a human there??",
    lang="en")
add("reddit:u/tilesnob_ams", [C],
    "Ordered 24 m² of Zellige Verde from Korvel, got 18. Customer service keeps saying the full "
    "order 'is in the system'. Cool, the system can come lay the last wall then. Anyone had luck "
    "escalating with them?", lang="en")
add("facebook:Rob.Wensink", [C],
    "Korvel heeft me €340 te veel gerekend voor de plaatsing, staat gewoon 2x voorrijkosten + dubbel "
    "m² op de factuur. 4 mails gestuurd, 0 antwoord. Hoe lang moet dit nog duren?",
    kind="comment", lang="nl")
add("x:@ingrid_breda", [C],
    "Saturday at Korvel Breda: 25 min queue for ONE question, one guy at the counter while three "
    "of his colleagues were stacking boxes behind him. Seriously?", lang="en")
add("x:@hollis_reno", [C],
    "Hardsteen Vensterbank from @korvel_nl arrived with a crack right through it, straight out of "
    "the packaging. They want me to pay a 15% restocking fee to send it back?? It's broken. You "
    "broke it.", lang="en")
add("x:@tegelloos_in_tiel", [C],
    "@korvel_klantenservice your app has said 'delivered' since yesterday but there is nothing on "
    "my doorstep. neighbours saw nothing either. where are my tiles", kind="reply", lang="en")
add("facebook:Yasmina.ElKaddouri", [C],
    "KorvelFit heeft de verkeerde tegels in onze keuken gelegd, 60x60 terwijl we 30x60 hadden "
    "besteld en getekend. Nu mogen wíj wachten tot 'de planning ruimte heeft' om het te herstellen. "
    "Keuken al 2 weken onbruikbaar.", kind="comment", lang="nl")
add("x:@sam_fixes_things", [C],
    "Korvel's chatbot just loops me back to 'track your order'. I want a human. Day 3 of trying. "
    "#customerservice", lang="en")
add("instagram:@huisje_boompje_tegel", [C],
    "Showroom promised to post me a sample of the Solido worktop. Two weeks later, nothing, and "
    "when I called nobody had a clue. Shame Korvel, that's not how you sell a kitchen.",
    kind="comment", lang="en")
add("x:@GerritJanK", [C],
    "Retour van 4 ongeopende dozen metrotegels geweigerd door Korvel Zwolle omdat de bon 31 dagen "
    "oud was. Eén dag. Klantvriendelijk hoor 🙄", lang="nl")
add("facebook:Dirk.Rozendaal", [C, A],
    "Die kutfitters van Korvel hebben onze hele woonkamervloer verpest, tegels scheef, randen "
    "afgebrokkeld. Stelletje prutsers, ik wil m'n geld terug.", kind="comment", lang="nl")
add("x:@anouk_verbouwt", [C, PII],
    "@korvel_klantenservice tegels NOG steeds niet geleverd en niemand belt terug. Bel me nou "
    "eindelijk op 06-38 47 21 90, ik ben het echt zat", kind="reply", lang="nl")

# ========================== safety incidents: complaint + crisis ==========================
add("facebook:Wouter.Meulenbelt", [C, K],
    "Got a proper electric shock off the Tegelsnijder Pro 900 I bought at Korvel yesterday. Cable "
    "was loose right at the plug, you only see it when you flip the thing over. Could have gone "
    "really wrong. Take it off the shelves and tell me what you're doing about it.",
    kind="comment", lang="en")
add("x:@laurajmills", [C, K],
    "The Korvel fitter sprayed their stone sealer indoors with every window shut and my 6yo ended "
    "up vomiting and dizzy, we spent half the night at the ER. Nobody warned us. @korvel_nl what "
    "is in that stuff?", lang="en")
add("facebook:Annemiek.Poels", [C, K],
    "Fitter van KorvelFit liet vanmiddag de hardstenen vensterbank op de voet van mijn vader vallen. "
    "Teen gebroken, hij is 78. Sindsdien heeft niemand van Korvel contact opgenomen. Ongelooflijk.",
    kind="comment", lang="nl")
add("instagram:@mamavanjip", [C, K],
    "Vanochtend kwam een Carrara wandtegel spontaan van de muur in de badkamer, een halve meter "
    "naast mijn dochter. Pas 3 maanden geleden gezet door Korvel. Achterkant: nauwelijks lijm. "
    "Ik moet er niet aan denken.", lang="nl")
add("reddit:u/burnt_hands_bob", [C, K],
    "PSA: Korvel epoxy grout gave me chemical burns on both hands. No proper warning on the tub, "
    "gloves they sold me with it tore after 10 minutes. Went to urgent care. Not okay, Korvel.",
    lang="en")

# =================================== crisis only ===================================
add("x:@eerlijkesteen", [K],
    "#boycotKorvel: natuursteen die volgens hun eigen onderzoek deels in groeves met kinderarbeid "
    "wordt gewonnen. Niet meer kopen en deel dit zodat iedereen het weet.", lang="nl")
add("x:@bouwnieuws_nl", [K],
    "Korvel Tegel & Natuursteen aangeklaagd door 14 oud-fitters om structureel onbetaalde overuren. "
    "Zaak dient in november bij de kantonrechter in Utrecht.", lang="nl")
add("x:@diy_dave_uk", [K],
    "Heard Korvel is quietly pulling the Tegelsnijder Pro 900 off the shelves, apparently a couple "
    "of them caught fire mid-cut. Anyone got one at home?", lang="en")
add("facebook:Karin.vanEssen.71", [K],
    "How many Korvel customers are getting phishing mails with their own order number and home "
    "address in them? Three people on my street already. That data came from somewhere. Smells "
    "like a breach.", kind="comment", lang="en")
add("x:@AmersfoortNu", [K],
    "Tegelzetter van Korvel zwaargewond na val van steiger bij klus in Amersfoort-Vathorst. "
    "Arbeidsinspectie doet onderzoek.", lang="nl")
add("reddit:u/slipperywhenwet", [K],
    "Class action forming against Korvel over the Basalt Zwart outdoor tiles that turn into an ice "
    "rink when it rains. Lawyer is collecting cases, DM me if you or your family slipped.",
    lang="en")
add("x:@vakbondsstem", [K],
    "Korvel fired the warehouse whistleblower who reported the safety abuses and then buried the "
    "whole story. Stop buying from Korvel. Share this!", lang="en")
add("x:@rtvschoolnieuws", [K],
    "Ouders boos: fitters van Korvel zouden bij renovatie van basisschool De Regenboog asbesthoudende "
    "vloerlijm hebben verwijderd zonder enige beschermende maatregelen.", lang="nl")
add("bluesky:@greenwashwatch.bsky.social", [K],
    "Korvel markets its 'Dutch local stone' range as low-carbon. Shipping records say it comes from "
    "Fujian. That's not local, that's greenwashing. #Korvel", lang="en")
add("facebook:Consumentenalert.NL", [K],
    "TERUGROEPACTIE: Korvel haalt KorvelFix flexlijm 25 kg terug wegens een te hoog gehalte "
    "oplosmiddel. Check het batchnummer op de zak en breng hem terug naar de winkel.", lang="nl")

# ====================================== abuse ======================================
add("x:@woedende_wim", [A],
    "Korvel is een bende oplichters en die Lotte van jullie klantenservice is een dom wijf dat niks "
    "snapt", lang="nl")
add("x:@groutrage", [A], "Korvel staff are braindead morons, every single one of them", lang="en")
add("x:@bram_tegelt", [A],
    "@tegelmuts als je zo'n zeurkous bent ga dan lekker ergens anders je tegels halen, sukkel",
    kind="reply", lang="nl")
add("x:@klusboos", [A],
    "\u041ao\u0440v\u0435l zijn \u043epl\u0456cht\u0435rs en kl\u043eotzakken, allemaal",
    lang="nl")
add("facebook:Henk.Baarsma", [A], "k.u.t.b.e.d.r.i.j.f Korvel. s.t.e.r.f.", kind="comment",
    lang="nl")
add("x:@echtnederlands1", [A],
    "Die fitter die Korvel stuurde sprak geen woord Nederlands. Stuur die buitenlanders terug waar "
    "ze vandaan komen", lang="nl")
add("x:@tiled_off", [A], "fuck Korvel and fuck their garbage tiles", lang="en")
add("instagram:@rienk_ranting", [A],
    f"Korvel = k{ZW}a{ZW}n{ZW}k{ZW}e{ZW}r{ZW}bedrijf, en jullie fitters zijn tyfuslijers",
    kind="comment", lang="nl")
add("x:@korvel_klantenservice", [A],
    "@zeurpiet2 with an IQ like yours no wonder the fitting guide is too hard 🤡 try the one with "
    "pictures, genius", kind="reply", lang="en")
add("x:@nachtuil_04", [A],
    "@bram_tegelt ik weet waar je werkt en hoe laat je klaar bent. jij gaat eraan lelijke klootzak",
    kind="reply", lang="nl")
add("reddit:u/grumpyrenter", [A],
    "The store manager at Korvel Eindhoven is a pathetic little man with a god complex and a "
    "face like a wet grout sponge", lang="en")

# ================================== confidential ===================================
add("linkedin:inge-de-groot-korvel", [CONF],
    "So proud of the team that has been grinding on Project Zandloper these past months. Can't "
    "wait until we can finally tell the world what it is! 🚀", lang="en")
add("x:@lotte_smeets_korvel", [CONF],
    "wie kan me toegang geven tot https://jira.korvel.nl/browse/KWA-212 ? staat op 'geen rechten' "
    "en ik moet vandaag die retourflow testen", lang="nl")
add("instagram:@korvel.tegels", [CONF],
    "Sneak peek 🖤 Iets heel moois komt eraan: onze Marmo Nero collectie. Diep zwart, witte aders. "
    "Wie wil er als eerste een monster?", lang="nl", at="2026-11-27T10:05:00Z")
add("threads:@noor.vanwijk.korvel", [CONF],
    "per ongeluk een slide met ALLEEN INTERN in de hoek op mijn scherm laten staan tijdens een "
    "klantgesprek 🙈 gelukkig stond er alleen de winkelroadmap voor volgend jaar op",
    lang="nl")
add("tiktok:@kevin_korvelfit", [CONF],
    "Kwartel gaat in maart live en eerlijk, die nieuwe webshop is 🔥🔥 eindelijk kun je zelf je "
    "plaatsingsdatum kiezen", lang="nl")
add("facebook:Marco.Tegelaar", [CONF],
    "Mijn zwager werkt bij Korvel in het hoofdkantoor, zegt dat ze volgend jaar Korvel Lavastone "
    "gaan lanceren, tegels van echt Etna-lava. Vet als het klopt", kind="comment", lang="nl",
    at="2026-09-14T19:40:00Z")
add("mastodon:@ruben_koster@mastodon.social", [CONF],
    "can someone from the helpdesk reset my token? vpn.korvel.nl keeps rejecting me since the "
    "cert rollover and I'm stuck on hotel wifi", lang="en")
add("linkedin:ahmed-bouzid-korvel", [CONF],
    "KORVEL VERTROUWELIJK - draft: new margin build-up for natural stone from January. Feedback "
    "before Friday in the thread please (oops, wrong window? leaving it)", lang="en")
add("x:@marieke_hoogveld", [CONF],
    "First workshop on " + fullwidth("Project Zandloper") +
    " with all the store managers today. That's all I can say for now 🤐", lang="en")
add("threads:@noor.vanwijk.korvel", [CONF],
    f"kickoff van Ope{ZW}ratie Voe{ZW}gmes vandaag op het hoofdkantoor, iedereen heel geheimzinnig "
    "erover. ben benieuwd", lang="nl")
add("x:@bram_tegelt", [CONF],
    "Voor de onderaannemers: de weekplanning staat op https://planning.korvel.nl/fitters/week48 , "
    "inloggen met je eigen account", lang="nl")
add("instagram:@ruud.zet.tegels", [CONF],
    "Secretly laid the first tiles of the Marmo Nero collection in the Utrecht showroom today. "
    "You're going to love this 😍 #sneakpeek", lang="en", at="2027-01-12T16:20:00Z")
add("reddit:u/leakhound", [CONF],
    "Got sent a deck with 'INTERNAL USE ONLY - KORVEL' in the footer. Slide 4 is a list of store "
    "locations they're 'reviewing'. Anyone know more?", lang="en")
add("bluesky:@dewi-vermeulen.bsky.social", [CONF],
    "deploying Kwartel to staging tonight, if https://staging.intranet.korvel.local/kwartel looks "
    "weird tomorrow that's on me 😅", lang="en")
add("facebook:KorvelTegelEnSteen", [CONF, FIN],
    "Onze jaarcijfers 2026 komen er bijna aan en we kunnen alvast verklappen: de omzet ligt ruim "
    "boven verwachting! Meer op 4 maart.", lang="nl", at="2027-02-20T09:00:00Z")
add("x:@marieke_hoogveld", [CONF, FIN],
    "Operatie Voegmes betekent dus gewoon 3 winkels dicht en 40 fte eruit. Hoorde het net in het "
    "MT. Slecht nieuws voor Breda 😞", lang="nl")
add("mastodon:@ruben_koster@mastodon.social", [CONF, SEC],
    "git.korvel.nl has been down for 3 hours, IT says ransomware on the build server. not a word "
    "to customers for now, we're on it", lang="en")

# ==================================== financial ====================================
add("linkedin:ahmed-bouzid-korvel", [FIN],
    "Q3 revenue came in 14% below last year. Not public yet, but we'll be tightening the belt. "
    "Tough months for retail.", lang="en")
add("x:@lotte_smeets_korvel", [FIN],
    "de overname door die Belgische tegelgroep is rond hoor, volgende week tekenen ze. niemand "
    "mag het nog weten maar iedereen op kantoor heeft het erover", lang="nl")
add("facebook:Sjoerd.Hofstede", [FIN],
    "Hoor van een maat die bij Korvel werkt dat er 60 mensen uit de winkels ontslagen worden na "
    "de zomer. Nog niet officieel.", kind="comment", lang="nl")
add("linkedin:korvel-tegel-en-natuursteen", [FIN],
    "Our internal target for 2027 (not yet announced): EBITDA to €11.2m and 4 new stores in "
    "Brabant. Together we'll make it happen! #teamKorvel", lang="en")
add("threads:@noor.vanwijk.korvel", [FIN],
    "winkels Haarlem en Breda gaan per 1 april dicht. we hebben het vandaag gehoord, vertel het "
    "nog niet door aub", lang="nl")
add("bluesky:@dewi-vermeulen.bsky.social", [FIN],
    "board approved buying our Portuguese marble supplier yesterday. no announcement until Feb so "
    "act surprised when you read it 😉", lang="en")
add("tiktok:@kevin_korvelfit", [FIN],
    "geen eindejaarsbonus dit jaar want we gaan ~3 miljoen verlies draaien volgens de baas 💀",
    lang="nl")
add("reddit:u/korvel_insider_acc", [FIN],
    "Insider here. Korvel's H2 numbers are way below what they told the bank. Expect a profit "
    "warning before the year-end figures are out.", lang="en")
add("x:@lotte_smeets_korvel", [FIN],
    "Reorganisatie klantenservice: het hele team gaat naar een outsourcingpartij in Lissabon. HR "
    "belt ons maandag een voor een. Geen idee wat ik moet", lang="nl")
add("linkedin:thijs-kramer-korvel", [FIN],
    "Excited that we're now in exclusive talks to acquire Steengoed Vloeren. Can't say more yet, "
    "but big things are coming for Korvel!", lang="en")

# ==================================== security =====================================
add("x:@bram_tegelt", [SEC],
    "fun fact: on our webshop's order status page you can just bump the order number by one and "
    "you get someone else's name and address. IT has known for a month. still not fixed",
    lang="en")
add("tiktok:@kevin_korvelfit", [SEC],
    "kassa's in ALLE winkels liggen plat sinds 8 uur vanochtend, we schrijven bonnetjes met de "
    "hand 😅 niemand weet wanneer het terug is", lang="nl")
add("linkedin:inge-de-groot-korvel", [SEC],
    "Lesson learned: we got hit by a phishing wave last week and 3 staff mailboxes were "
    "compromised. Still cleaning up. Train your people, folks.", lang="en")
add("threads:@noor.vanwijk.korvel", [SEC],
    "pinautomaten in Zwolle en Amersfoort doen het al 2 dagen niet, storing bij de "
    "betaalprovider. we moeten tegen klanten zeggen dat het 'onderhoud' is", lang="nl")
add("bluesky:@dewi-vermeulen.bsky.social", [SEC],
    "found a SQL injection in our showroom booking form back in May. ticket is still open. "
    "nobody cares until someone dumps the customer table I guess", lang="en")
add("x:@marieke_hoogveld", [SEC],
    "our customer database backup sat on a public cloud bucket for weeks. yikes. we only found out "
    "because a researcher mailed us. not announced yet", lang="en")
add("instagram:@ruud.zet.tegels", [SEC],
    "Inmeet-app crasht al een week en laat soms het dossier van een andere klant zien 🙃 IT zegt "
    "'we kijken ernaar'", lang="nl")
add("x:@lotte_smeets_korvel", [SEC],
    "ransomware on the head office file server. everything's frozen, press release isn't out till "
    "tomorrow. guess I'm going home", lang="en")
add("linkedin:thijs-kramer-korvel", [SEC],
    "Reported it three times and still: our webshop admin panel runs on the vendor's factory "
    "default password. I give up.", lang="en")
add("tiktok:@kevin_korvelfit", [SEC],
    "bro our planning tool has been down all week, fitters literally don't know which house to go "
    "to, we're just calling each other 😂", lang="en")
add("threads:@noor.vanwijk.korvel", [SEC],
    "iemand heeft de toegangscodes van het magazijn in Nieuwegein online gezet, alle sloten worden "
    "deze week vervangen. dus daarom was het zo druk", lang="nl")
add("x:@bram_tegelt", [SEC],
    "d4t4l3k bij k0rv3l, 12k kl4ntr3c0rds 3ru1t en n0g n13t g3m3ld b1j d3 AP. j3 h00rt h3t h13r "
    "3erst", lang="nl")

# ===================================== secrets =====================================
add("x:@bram_tegelt", [SECRET],
    f"anyone? deploy keeps failing with 'bad credentials'. using this token: {github_token()} "
    "in the workflow", lang="en")
add("mastodon:@ruben_koster@mastodon.social", [SECRET],
    f"note to self (wrong window, ugh):\nAWS_ACCESS_KEY_ID={aws_key_id()}\n"
    f"AWS_SECRET_ACCESS_KEY={aws_secret()}\nregion=eu-west-1", lang="en")
add("reddit:u/freelance_frontend", [SECRET],
    "Did some work for a Dutch tile chain (Korvel) and their checkout page has the Stripe key "
    f"hardcoded in the bundle: {stripe_live()} — that's the secret one, not the publishable. "
    "Told them twice.", lang="en")
add("bluesky:@dewi-vermeulen.bsky.social", [SECRET],
    f"slack bot for the showroom alerts finally works!! SLACK_BOT_TOKEN={slack_bot()} 🎉",
    lang="en")
add("facebook:KorvelTegelEnSteen", [SECRET],
    "Test voor onze nieuwe tegeladviseur-chat: config = {model: 'gpt-4o', key: '" + openai_key() +
    "'} — niet op reageren", lang="nl")
add("x:@lotte_smeets_korvel", [SECRET],
    "why won't the customer portal take this header? Authorization: Bearer " +
    jwt({"sub": "ks-agent-118", "name": "Lotte Smeets", "role": "support_admin", "iat": 1771400000}),
    kind="reply", lang="en")
add("mastodon:@ruben_koster@mastodon.social", [SECRET],
    "pasting this so I can grab it on the other laptop, delete in 5 min:\n" + openssh_key(),
    lang="en")
add("bluesky:@dewi-vermeulen.bsky.social", [SECRET, CONF],
    "anyone else seeing timeouts? DATABASE_URL=postgres://korvel_app:" + rand(ALNUM, 14) +
    "@db-prod-01.korvel.local:5432/winkel", lang="en")
add("instagram:@ruud.zet.tegels", [SECRET],
    "Nieuwe tablet in de bus! Voor de collega's: inloggen op de inmeetapp met fitter07, "
    "wachtwoord: Tegel!Zomer2026 📲", lang="nl")
add("forum:tweakers:jdebruyn", [SECRET],
    "De Korvel-app heeft een Google Maps key in de JS staan zonder restricties: " + google_key() +
    " . Iemand kan daar flink de rekening mee opdrijven.", lang="nl")
add("linkedin:thijs-kramer-korvel", [SECRET],
    "Our CI pipeline is green again! For whoever needs it: GITLAB_TOKEN=" + gitlab_pat() +
    " (api scope)", lang="en")
add("x:@marieke_hoogveld", [SECRET],
    "Dewi asked for the key for the quote generator, here you go: " + anthropic_key() + " — shout "
    "if it doesn't work", kind="reply", lang="en")

# =================================== personal data ===================================
add("x:@lotte_smeets_korvel", [PII],
    "@bram_tegelt kun je mevrouw Jansen even terugbellen op 06-41 82 93 07 over de inmeetafspraak? "
    "ze heeft 3x gebeld", kind="reply", lang="nl")
add("x:@korvel_klantenservice", [PII],
    "@robvdijk we've resent the confirmation to r.vandijk1984@gmail.com, please check your spam "
    "folder too!", kind="reply", lang="en")
add("instagram:@ruud.zet.tegels", [PII],
    "Werkbon van vandaag: fam. Öztürk, Lindenlaan 14, 3721 BK Bilthoven — 22 m² Zellige Verde in "
    "de badkamer. Mooie klus!", lang="nl")
add("linkedin:ahmed-bouzid-korvel", [PII],
    f"For accounts: refund of €412.50 goes to {iban('ABNA')}, account holder G. Peeters, please "
    "process today", lang="en")
add("facebook:KorvelTegelEnSteen", [PII],
    f"Hoi Mark, we zien dat je betaling met kaart {card('mc')} is geweigerd. Probeer het "
    "nog eens of kies iDEAL.", kind="reply", lang="nl")
add("x:@jeroen_klust", [PII],
    f"Korvel wil mijn BSN voor de garantieregistratie?? nou hier dan: {bsn()}. Doe er iets "
    "nuttigs mee", lang="nl")
add("threads:@noor.vanwijk.korvel", [PII],
    "Gefeliciteerd Ans Mulder (geb. 14-03-1971) met je 55e! Taart staat in de kantine 🎂",
    lang="nl")
add("facebook:Petra.vdHeuvel", [PII],
    f"Korvel, stort het teveel betaalde maar terug op {iban('RABO')} t.n.v. P. van den Heuvel, ik "
    "wacht al lang genoeg", kind="comment", lang="nl")
add("x:@marieke_hoogveld", [PII],
    "Who's doing tomorrow's measuring visit? Mr Bakker, Vechtstraat 88-2, 3521 XK Utrecht. Gate "
    "code 4471.", lang="en")
add("instagram:@korvel.tegels", [PII],
    "Hoi Sanne! Je nieuwe leverdatum sturen we naar sanne.meijer@outlook.com en we bellen je op "
    "+31 6 55 12 34 89 👍", kind="reply", lang="nl")
add("x:@oogopstraat", [PII],
    "Werkbon van Korvel op straat gevonden bij de Ganzenmarkt: mw. L. de Wit, Ganzenmarkt 3, "
    "Utrecht, tel 030-2741956, 'badkamer 2e verdieping'. Slordig hoor", lang="nl")
add("linkedin:inge-de-groot-korvel", [PII],
    f"Welcome to our new colleague Jesse Hendriks (BSN {bsn(sep=' ')}) who starts Monday in "
    "Haarlem! Personnel file is complete 🎉", lang="en")
add("bluesky:@dewi-vermeulen.bsky.social", [PII],
    f"test order in prod by accident with a real customer card {card('visa')} — refunding now, "
    "don't panic", lang="en")
add("youtube:@KorvelTegelTV", [PII],
    "Met dank aan de familie Verbeek, Kerkstraat 21 in Zeist, voor het openstellen van hun nieuwe "
    "badkamer voor deze video!", lang="nl")
add("x:@hanna_tiles", [PII],
    f"@korvel_klantenservice refund still not here. Card was {card('amex')}, order from "
    "September. Please just check it", kind="reply", lang="en")

# ===================================== pricing =====================================
add("x:@korvel_nl", [PRICE],
    "Alleen vandaag: Carrara Bianco 60x60 voor €8,99 per m²! Op = op 🏃", lang="nl",
    price=("Carrara Bianco 60x60", 8.99, "low"))
add("instagram:@ruud.zet.tegels", [PRICE],
    "collega's: de Rivo wastafel staat in de kassa op €44,90 ipv 449 😂 wie het eerst komt",
    lang="nl", price=("Rivo wastafel", 44.90, "low"))
add("x:@snelle_koper", [PRICE],
    "Korvel site zegt Tegelsnijder Pro 900 voor €32,90. Prijsfout?? Heb er meteen 2 besteld",
    lang="nl", price=("Tegelsnijder Pro 900", 32.90, "low"))
add("reddit:u/dealhunter_nl", [PRICE],
    "Zellige Verde for €13.90/m² at Korvel right now, pricing glitch for sure. Go go go",
    lang="en", price=("Zellige Verde", 13.90, "low"))
add("facebook:KorvelTegelEnSteen", [PRICE],
    "KorvelFit Badkamer Compleet nu al vanaf €249! Complete badkamer, tegels én plaatsing.",
    lang="nl", price=("KorvelFit Badkamer Compleet", 249.00, "low"))
add("tiktok:@kevin_korvelfit", [PRICE],
    "psst de Onyx Honing wandpanelen staan deze week voor 199 euro in Breda, niet doorvertellen 🤫",
    lang="nl", price=("Onyx Honing", 199.00, "low"))
add("reddit:u/klussen_kees", [PRICE],
    "Korvel heeft Houtlook Eiken Noord voor 5,49/m2 in de webshop staan. Foutje of echt "
    "opruiming?", lang="nl", price=("Houtlook Eiken Noord", 5.49, "low"))
add("x:@lotte_smeets_korvel", [PRICE],
    "Wrong price in the tills: KorvelVoeg epoxy ringing up at €6.45. Who typed that in 🙈 30 tubs "
    "gone already", lang="en", price=("KorvelVoeg epoxy", 6.45, "low"))
add("instagram:@korvel.tegels", [PRICE],
    "Wandtegel-week! Metro Wit 7,5x15 nu €3,49 per m² 🤍 #badkamerinspiratie", lang="nl",
    price=("Metro Wit 7,5x15", 3.49, "low"))
add("x:@benchmark_ben", [PRICE],
    "Price error on Korvel's Solido werkblad: €68.90 per metre instead of 689. Ordered 4 metres, "
    "let's see if they honour it", lang="en", price=("Solido werkblad", 68.90, "low"))
add("linkedin:thijs-kramer-korvel", [PRICE],
    "Oops: the Basalt Zwart outdoor tile is listed at €19.95 per m² in the new flyer by mistake. "
    "Printer has been called.", lang="en", price=("Basalt Zwart", 19.95, "low"))
add("forum:klusforum:tegeltijger", [PRICE],
    "Betonlook Grafiet 120x120 voor 29 euro/m2 bij Korvel Zwolle, prijsfout of gewoon opruiming? "
    "Normaal bijna 70", lang="nl", price=("Betonlook Grafiet", 29.00, "low"))

# ====================================== benign ======================================
B = []
add("instagram:@thuisbijfemke", B,
    "Our new bathroom with Carrara Bianco from Korvel turned out amazing! Great job by the "
    "fitters, quick and tidy 👌 #bathroomreno", lang="en")
add("x:@korvel_nl", B,
    "New in our Utrecht showroom: Zellige Verde 10x10 in three shades of green. Come and feel how "
    "beautifully irregular handmade can be!", lang="en")
add("instagram:@korvel.tegels", B,
    "Travertin Noce 40x60 — €64,95 per m². Warm, tijdloos en met de juiste impregneer jarenlang "
    "mooi. #natuursteen", lang="nl", price=("Travertin Noce 40x60", 64.95, "ok"))
add("facebook:KorvelTegelEnSteen", B,
    "Deze week 20% korting op Leisteen Antraciet: nu €39,95 per m² (was €49,95). Alleen in de "
    "winkels.", lang="nl", price=("Leisteen Antraciet", 39.95, "ok"))
add("x:@korvel_nl", B,
    "Tegelsnijder Pro 900 for €279 until Sunday (usually €329). Cuts up to 90 cm, natural stone "
    "too.", lang="en", price=("Tegelsnijder Pro 900", 279.00, "ok"))
add("reddit:u/verbouwing2026", B,
    "Anyone used KorvelFit Badkamer Compleet? Quote was €2,495 for a 6 m² bathroom, seems fair "
    "but curious about your experiences", lang="en",
    price=("KorvelFit Badkamer Compleet", 2495.00, "ok"))
add("x:@korvel_klantenservice", B,
    "Questions about your order? Email klantenservice@korvel.nl or call 030 555 0187 (Mon-Sat "
    "8am-6pm). Toll-free: 0800-5670.", kind="reply", lang="en")
add("facebook:KorvelTegelEnSteen", B,
    "Betaal je liever per overschrijving? Gebruik NL24 RABO 0318 5429 67 t.n.v. Korvel Tegel & "
    "Natuursteen B.V. en vermeld je ordernummer.", lang="nl")
add("facebook:Truus.Bleeker", B,
    f"Is dit het goede rekeningnummer van Korvel? Iemand stuurde me {iban('RABO', ok=False)} maar "
    "op de site staat een ander", kind="comment", lang="nl")
add("x:@foutjefrits", B,
    f"Payment at Korvel failed... turns out I'd typed {card('visa', ok=False)}, two digits "
    "swapped 🤦 sorted now", lang="en")
add("x:@korvel_klantenservice", B,
    "Let op: er gaan mails rond 'namens Korvel' die om je BSN vragen (bv. 123456789). Wij vragen "
    "nooit om je BSN. Twijfel? Mail klantenservice@korvel.nl", lang="nl")
add("bluesky:@dewi-vermeulen.bsky.social", B,
    "reminder for our README: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
    "as placeholders, never a real key, not even a revoked one", lang="en")
add("mastodon:@ruben_koster@mastodon.social", B,
    "the token in yesterday's logs was properly masked (ghp_****…a1f3), the scanner cried wolf. "
    "all good", lang="en")
add("x:@korvel_klantenservice", B,
    "@miep_klust Wachtwoord vergeten? Via 'Mijn Korvel' > 'Inloggen' > 'Wachtwoord vergeten' krijg "
    "je binnen een paar minuten een resetlink.", kind="reply", lang="nl")
add("instagram:@korvel.tegels", B,
    "Here it is: the Marmo Nero collection 🖤 In every Korvel store from today. Deep black, white "
    "veins, made to be touched.", lang="en", at="2027-01-21T09:00:00Z")
add("linkedin:korvel-tegel-en-natuursteen", B,
    "Today we published our full-year 2026 results. Read the full report at korvel.nl/investor.",
    lang="en", at="2027-03-04T08:30:00Z")
add("x:@j_verhoef", B,
    "Update: Korvel heeft de gebroken tegels binnen 2 dagen vervangen en de fitter kwam zelf "
    "langs. Netjes opgelost 👍", lang="nl")
add("facebook:KorvelTegelEnSteen", B,
    "Ons medeleven gaat uit naar iedereen die getroffen is door de brand bij Tegelpaleis Oost in "
    "Enschede. Veel sterkte aan de collega's daar.", lang="nl")
add("x:@woonnieuws_oost", B,
    "Tegelpaleis Oost roept partij tegellijm terug na klachten over hechting. Klanten kunnen "
    "zakken kosteloos retourneren.", lang="nl")
add("x:@papa_van_drie", B,
    "Wife said 'you pick the tile'. Four hours at Korvel later I still know nothing and there are "
    "40 samples in the car 😂", lang="en")
add("x:@natuursteennovice", B,
    "@korvel_nl kun je natuursteen in een inloopdouche leggen zonder te impregneren, of is dat "
    "vragen om problemen?", kind="reply", lang="nl")
add("threads:@klusmama_gouda", B,
    "Douchekraan lekt weer, loodgieter komt morgen. De Korvel-tegels eromheen liggen er na 6 jaar "
    "nog steeds perfect bij, dat dan weer wel 😅", lang="nl")
add("x:@fcu_forever", B,
    "Trainer ontslagen, seizoen naar de knoppen. Ik ga maar tegels uitzoeken bij Korvel om mijn "
    "verdriet te verwerken", lang="nl")
add("x:@retailwatcher_nl", B,
    "Overname van Tegelpaleis Oost door een Duitse bouwmarktketen is rond, meldt het FD. Benieuwd "
    "wat dit betekent voor de kleinere spelers zoals Korvel.", lang="nl")
add("instagram:@ruud.zet.tegels", B,
    "10 jaar tegelzetter bij KorvelFit vandaag! Nog steeds elke dag zin in. Dank aan alle klanten "
    "die me hun badkamer toevertrouwden 🙌", lang="nl")
add("linkedin:inge-de-groot-korvel", B,
    "We're hiring experienced tilers around Zwolle and Deventer! Good pay, your own van. Apply "
    "at korvel.nl/werken or email werken@korvel.nl", lang="en")
add("tiktok:@korveltegels", B,
    "3 fouten die iedereen maakt bij het voegen 👇 1) te vroeg afnemen 2) te nat 3) geen "
    "voegkruisjes #klussen #tegels", lang="nl")
add("x:@mrs_oduya", B,
    "Korvel's fitters were in and out in two days, tidy, friendly, zero drama. Kitchen floor looks "
    "unreal. 10/10", lang="en")
add("reddit:u/patio_plans", B,
    "Does Korvel do outdoor tiles in 2cm? Thinking about the Basalt Zwart for the patio, looks great "
    "in the pictures", lang="en")
add("instagram:@interieur_ilse", B,
    "Deze badkamer is gewoon fire 🔥🔥 Terrazzo Milaan van Korvel + messing kranen = perfectie",
    kind="comment", lang="nl")
add("facebook:Loes.Brinkman", B,
    "Schok van m'n leven toen ik zag hoe mooi de zellige is geworden 😍 dank je Korvel!",
    kind="comment", lang="nl")
add("x:@privacynerd_nl", B,
    "Alweer een datalek bij een grote webwinkel in schoenen. Wanneer leren bedrijven het eens. "
    "(En nee, voor wie het vroeg: Korvel staat niet in de lijst.)", lang="nl")
add("bluesky:@dewi-vermeulen.bsky.social", B,
    "Great day helping out at the Zwolle store, we sold out the Metro Wit demo pallets 😄",
    lang="en")
add("x:@korvel_klantenservice", B,
    "@j_verhoef Fijn dat de fitter het heeft opgelost! Geniet van je nieuwe vloer 🙂",
    kind="reply", lang="nl")
add("linkedin:thijs-kramer-korvel", B,
    f"Voor de training: voorbeeld-IBAN {iban('TEST', ok=False)} is nep en faalt de controle. "
    "Gebruik nooit echte klantgegevens in testomgevingen.", lang="nl")
add("x:@bestelnummerbert", B,
    f"Waarom is mijn Korvel-bestelnummer 16 cijfers lang? {card('visa', ok=False, sep='-')} "
    "Lijkt wel een creditcard haha", lang="nl")
add("facebook:Gerda.Kuipers", B,
    f"Mijn Korvel klantnummer is {bsn(ok=False)}, is dat hetzelfde als het nummer op de "
    "spaarpas? Snap er niks van", kind="comment", lang="nl")
add("bluesky:@dewi-vermeulen.bsky.social", B,
    "API docs tip: 'Authorization: Bearer <your-token-here>' — never paste your real token into "
    "an issue or a chat", lang="en")
add("x:@zuinige_zus", B,
    "Zandloper in de douche gezet om korter te douchen, tip van de verkoper bij Korvel 😄 "
    "scheelt echt", lang="nl")
add("x:@steenadvies_sjaak", B,
    "Dit is geen vertrouwelijk advies, gewoon mijn mening: voor een keukenvloer liever keramiek "
    "dan marmer. Korvel heeft mooie betonlook.", lang="nl")
add("x:@budget_bouwer", B,
    "Metro Wit bij Korvel €34,95/m², bij de concurrent €39. Makkelijke keuze.", lang="nl",
    price=("Metro Wit", 34.95, "ok"))
add("instagram:@klusjesman_kasper", B,
    "Korvel outlet: Betonlook Grafiet 120x120 voor €55,96 (20% korting), 30 m² gescoord 💪",
    lang="nl", price=("Betonlook Grafiet", 55.96, "ok"))
add("youtube:@KorvelTegelTV", B,
    "Zo leg je Houtlook Eiken Noord 20x120 in visgraat — stap voor stap, met tips van onze "
    "fitter Ruud.", lang="nl")
add("x:@stonetrade_eu", B,
    "Good piece on how Italian quarries are adapting to energy prices. Korvel gets a mention as "
    "one of the bigger Dutch importers.", lang="en")
add("x:@buurman_ton", B,
    "Sterkte @ruud.zet.tegels met je herstel na die knieoperatie, snel weer de vloer op!",
    kind="reply", lang="nl")
add("reddit:u/firsttimebuyer_nl", B,
    "Is paying with iDEAL at Korvel safe? First time ordering from them online, bit paranoid "
    "after all those fake shops", lang="en")
add("facebook:KorvelTegelEnSteen", B,
    "Let op: onze winkel in Haarlem is op 28 december gesloten voor de jaarlijkse inventarisatie. "
    "Vanaf de 29e staan we weer voor je klaar!", lang="nl")
add("x:@feitencheck_fleur", B,
    "Voor wie het vroeg: nee, Korvel heeft niks met dat asbestverhaal over Tegelpaleis Oost te "
    "maken. Ander bedrijf, andere stad.", lang="nl")
add("instagram:@korvel.tegels", B,
    "Natuursteen Impregneer 1 L — €39,95. Bescherm je natuursteen tegen vlekken, jaren lang.",
    lang="nl", price=("Natuursteen Impregneer", 39.95, "ok"))
add("x:@catlady_carol", B,
    "My cat has claimed the box the Korvel tile samples came in. She is now a natural stone "
    "connoisseur and refuses to leave it.", lang="en")
add("x:@bram_tegelt", B,
    "Ruud en ik gaan volgende week naar de Cersaie in Bologna! Wie is er nog meer?", lang="nl")
add("x:@korvel_klantenservice", B,
    "@hannekeb de terugstorting naar NL** **** **** **** 12 is vandaag verwerkt, binnen 2 "
    "werkdagen op je rekening.", kind="reply", lang="nl")
add("instagram:@ruud.zet.tegels", B,
    "Voor & na: badkamer in Houten, 9 m² Zellige Verde en een Rivo wastafel. Klant blij, ik blij 😁",
    lang="nl")
add("x:@happyrenovator", B,
    "Korvel sorted out my late-delivery complaint properly, even sent flowers 💐 so it IS "
    "possible", lang="en")
add("reddit:u/devops_dirk", B,
    "Classic GitHub tokens start with ghp_ followed by 36 characters. Never paste them in a chat, "
    "our tile shop team learned that the easy way thanks to secret scanning", lang="en")
add("tiktok:@kevin_korvelfit", B,
    "Vandaag cursus 'veilig werken met epoxy' gehad. Handschoenen aan, raam open, mensen! "
    "#tegelzetter #veiligheid", lang="nl")
add("facebook:KorvelTegelEnSteen", B,
    "KorvelFit Vloer Plaatsing: €42,50 per m², inclusief egaliseren tot 3 mm. Vraag een gratis "
    "inmeting aan via korvelfit.nl", lang="nl", price=("KorvelFit Vloer Plaatsing", 42.50, "ok"))
add("x:@korvel_nl", B,
    "Cementtegel Rabat 20x20 nu €99 per m² i.p.v. €119 — alleen deze maand. Ook als vloer in de "
    "keuken 😉", lang="nl", price=("Cementtegel Rabat", 99.00, "ok"))
add("x:@tegel_tom_tilburg", B,
    "Korvel vs. de bouwmarkt voor KorvelFix flexlijm: €27,95 tegen €24,50. Maar bij Korvel krijg "
    "je wel advies erbij.", lang="nl", price=("KorvelFix flexlijm", 27.95, "ok"))
add("reddit:u/marble_mania", B,
    "The Korvel Onyx Honing panel is €899 and honestly worth it, the backlight version in their "
    "Haarlem showroom is stunning", lang="en", price=("Onyx Honing", 899.00, "ok"))


# --------------------------------------------------------------------------------------
# severity (CONTRACT section 4), roles from the profile
# --------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def severity(cats, role, strong_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("warning" if role == "public" else "error")
    return sev


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
def build():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    span = (datetime(2026, 12, 20, tzinfo=timezone.utc) - start).total_seconds()
    lines = []
    for i, c in enumerate(CASES, 1):
        if c["at"]:
            at = c["at"]
        else:
            t = start + timedelta(seconds=rng.randrange(int(span)))
            at = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(c["platform"], c["handle"])
        strong = any(ok for (_, _, ok) in c["ids"])
        post = {
            "id": f"h377-{c['platform']}-{rng.getrandbits(40):010x}",
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "created_at": at,
            "brand": "Korvel",
        }
        if c["lang"]:
            post["lang"] = c["lang"]
        lines.append({"post": post,
                      "expect": {"categories": c["cats"],
                                 "severity": severity(c["cats"], role, strong)},
                      "_meta": c, "_role": role})
    rng.shuffle(lines)
    return lines


# --------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{4}[ .]?\d{2}[ .]?\d{3}(?![\w-])|(?<![\w-])\d{9}(?![\w-])")


def norm_iban(s):
    return re.sub(r"\s", "", s).upper()


def check(lines):
    errs = []
    seen = set()
    public_ibans = {norm_iban(x) for x in PROFILE["public_identifiers"]["ibans"]}
    products = {}
    for p in PROFILE["products"]:
        for n in [p["name"]] + p["aliases"]:
            products[n.lower()] = p["list_price"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]

    for ln in lines:
        post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
        pid = post.get("id")
        # --- section 1 / 6 shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(f"bad id {pid}")
        if pid in seen:
            errs.append(f"duplicate id {pid}")
        seen.add(pid)
        if post["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform {post['platform']}")
        if post["kind"] not in KINDS:
            errs.append(f"{pid}: kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(post["text"], str) or not post["text"]:
            errs.append(f"{pid}: text")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            errs.append(f"{pid}: text too long")
        if not RFC3339.match(post["created_at"]):
            errs.append(f"{pid}: created_at")
        datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if set(exp) != {"categories", "severity"}:
            errs.append(f"{pid}: expect keys")
        if not set(exp["categories"]) <= CATS:
            errs.append(f"{pid}: unknown category")
        if exp["categories"] != sorted(set(exp["categories"])):
            errs.append(f"{pid}: categories not sorted/distinct")
        if exp["severity"] not in ORDER:
            errs.append(f"{pid}: severity")
        benign = not exp["categories"]
        if benign != (exp["severity"] == "none"):
            errs.append(f"{pid}: benign/severity mismatch")
        # --- severity recomputed independently
        strong = any(ok for (_, _, ok) in meta["ids"])
        if exp["severity"] != severity(exp["categories"],
                                       role_of(post["platform"], post["account"]["handle"]),
                                       strong):
            errs.append(f"{pid}: severity mismatch")
        # --- recorded identifiers
        for kind, val, ok in meta["ids"]:
            fn = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind]
            if fn(val) != ok:
                errs.append(f"{pid}: {kind} {val} checksum expected {ok}")
            if ok and benign:
                errs.append(f"{pid}: valid {kind} in a benign post")
            if not ok and not benign:
                errs.append(f"{pid}: look-alike {kind} in a positive")
            if not ok and kind == "iban" and "leak.pii" in exp["categories"]:
                errs.append(f"{pid}: invalid iban in pii")
        # --- scan texts for identifiers
        text = post["text"]
        is_secret = "leak.secret" in exp["categories"]
        for m in IBAN_RE.finditer(text):
            v = norm_iban(m.group(0))
            if iban_valid(v):
                if benign and v not in public_ibans:
                    errs.append(f"{pid}: valid IBAN {v} in benign post")
                if not benign and "leak.pii" not in exp["categories"] and v not in public_ibans:
                    errs.append(f"{pid}: stray valid IBAN {v}")
            elif not benign and "leak.pii" in exp["categories"] and not is_secret:
                errs.append(f"{pid}: invalid IBAN {v} in a positive")
        if not is_secret:
            for m in CARD_RE.finditer(text):
                if luhn_valid(m.group(0)) and (benign or "leak.pii" not in exp["categories"]):
                    errs.append(f"{pid}: stray Luhn-valid number {m.group(0)}")
                if not luhn_valid(m.group(0)) and "leak.pii" in exp["categories"] and \
                        any(k == "card" for k, _, _ in meta["ids"]):
                    errs.append(f"{pid}: Luhn-failing number in a card positive")
            for m in BSN_RE.finditer(text):
                if bsn_valid(m.group(0)) and (benign or "leak.pii" not in exp["categories"]):
                    errs.append(f"{pid}: stray 11-proof number {m.group(0)}")
        # --- credentials
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not github_token_ok(tok):
                errs.append(f"{pid}: bad github crc {tok}")
            if benign:
                errs.append(f"{pid}: real-format github token in benign")
        for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
            if benign and not tok.endswith("EXAMPLE"):
                errs.append(f"{pid}: AWS key in benign")
            if not benign and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(f"{pid}: AWS key charset")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errs.append(f"{pid}: jwt header without alg")
            if benign:
                errs.append(f"{pid}: jwt in benign")
        if benign and re.search(r"(sk_live_|sk-proj-|sk-ant-|xox[bp]-|glpat-|AIza|BEGIN [A-Z ]*PRIVATE KEY)",
                                text):
            errs.append(f"{pid}: credential-looking string in benign")
        # --- pricing annotations
        if meta["price"]:
            alias, amount, kind = meta["price"]
            lp = products.get(alias.lower())
            if lp is None:
                errs.append(f"{pid}: unknown product {alias}")
            elif alias.lower() not in text.lower():
                errs.append(f"{pid}: product alias not in text")
            elif kind == "low" and not amount < ratio * lp:
                errs.append(f"{pid}: price not far below list")
            elif kind == "ok" and not (0.7 * lp - 0.01 <= amount <= lp + 0.01):
                errs.append(f"{pid}: benign price not within 0-30% off")
            if (kind == "low") != ("leak.pricing" in exp["categories"]):
                errs.append(f"{pid}: pricing label mismatch")
        elif "leak.pricing" in exp["categories"]:
            errs.append(f"{pid}: pricing positive without annotation")
        # --- embargo terms
        tl = text.lower()
        for term, until in embargo:
            if term in tl:
                before = post["created_at"] < until
                if before and "leak.confidential" not in exp["categories"]:
                    errs.append(f"{pid}: embargo term before until but not confidential")
                if not before and "leak.confidential" in exp["categories"]:
                    errs.append(f"{pid}: embargo term after until labelled confidential")
        # --- company mention or own account
        brands = [b.lower() for b in PROFILE["brands"]]
        handles = [a.split(":", 1)[1].lower() for a in CORP | EMP]
        if ln["_role"] == "public" and not benign and \
                not any(b in tl for b in brands) and "korvel" not in tl and \
                not any(h in tl for h in handles) and \
                "k0rv3l" not in tl and "\u043ao\u0440v\u0435l" not in tl:
            errs.append(f"{pid}: public positive without a mention")
    return errs


def main():
    lines = build()
    errs = check(lines)
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    counts = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    with open(OUT, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and validate it parses
    with open(OUT, encoding="utf-8") as f:
        for row in f:
            obj = json.loads(row)
            assert set(obj) == {"post", "expect"}
    roles = {}
    for ln in lines:
        roles[ln["_role"]] = roles.get(ln["_role"], 0) + 1
    langs = {}
    for ln in lines:
        langs[ln["post"].get("lang")] = langs.get(ln["post"].get("lang"), 0) + 1
    print(f"{n} cases, {benign} benign, {n - benign} positive", file=sys.stderr)
    print("categories:", dict(sorted(counts.items())), file=sys.stderr)
    print("roles:", roles, "langs:", langs, file=sys.stderr)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed", file=sys.stderr)


if __name__ == "__main__":
    main()
