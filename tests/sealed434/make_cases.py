#!/usr/bin/env python3
"""Build cases.jsonl (sealed set 434, Kwartelbord B.V.) and self-check it.

Deterministic: fixed seed, standard library + PyYAML only. Run from anywhere:
    python3 make_cases.py
Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand. Exits non-zero if any self-check fails.
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
rng = random.Random(434)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------- generators
def rnd(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def gh_valid(tok):
    body, crc = tok[4:34], tok[34:40]
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6) == crc


def aws_key_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def stripe_live():
    return "sk_live_51" + rnd(string.ascii_letters + string.digits, 96)


def mollie_live():
    return "live_" + rnd(string.ascii_letters + string.digits, 30)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rnd(string.digits, 12), rnd(string.digits, 13),
                              rnd(string.ascii_letters + string.digits, 24))


def openai_key():
    return "sk-proj-" + rnd(URLSAFE, 58) + "T3BlbkFJ" + rnd(URLSAFE, 58)


def anthropic_key():
    return "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"


def gitlab_pat():
    return "glpat-" + rnd(URLSAFE, 20)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "pos-utr-03", "role": "kassa_admin", "iat": 1771400000,
                              "exp": 1771403600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none" + \
        bytes(rng.getrandbits(8) for _ in range(150))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    words = ["Tafel", "Dobbel", "Meeple", "Polder", "Kwartel", "Molen", "Tulp"]
    return rng.choice(words) + rng.choice("!#$%&*") + rnd(string.digits, 4) + rng.choice(["x", "Q", "zz", "Rk"])


def iban_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank):
    bban = bank + rnd(string.digits, 10)
    s = bban + "NL00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix):
    while True:
        n = prefix + rnd(string.digits, 15 - len(prefix))
        for last in string.digits:
            if luhn(n + last):
                n += last
                return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rnd(string.digits, 8)
        if bsn_ok(s):
            return s


def break_last(s, ok):
    """Change the last digit until the checksum fails (for look-alikes)."""
    idx = max(i for i, c in enumerate(s) if c.isdigit())
    for d in "1234567890":
        t = s[:idx] + d + s[idx + 1:]
        if t != s and not ok(t):
            return t
    raise RuntimeError("cannot break " + s)


def mobile(style):
    d = rnd(string.digits, 8)
    return {
        "dash": "06-" + d,
        "plain": "06" + d,
        "intl": "+31 6 %s %s" % (d[:4], d[4:]),
        "0031": "0031 6 " + d,
        "paren": "+31 (0)6 %s %s" % (d[:2], d[2:]),
        "space": "06 %s %s %s %s" % (d[:2], d[2:4], d[4:6], d[6:]),
    }[style]


def fw(text):
    """Full-width letters (evasion)."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


ZW = "\u200b"
CYR = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "K": "\u041a", "p": "\u0440", "c": "\u0441"}


def cyr(text, letters):
    return "".join(CYR[c] if c in letters else c for c in text)


# ---------------------------------------------------------------- time
def t(y, m, d, hh=None, mm=None):
    hh = rng.randint(7, 23) if hh is None else hh
    mm = rng.randint(0, 59) if mm is None else mm
    return dt.datetime(y, m, d, hh, mm, rng.randint(0, 59), tzinfo=dt.timezone.utc)


def t2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    return start + dt.timedelta(seconds=rng.randint(0, 360 * 86400))


# ---------------------------------------------------------------- cases
CASES = []


def P(platform, handle, text, cats=(), lang="nl", kind="post", when=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                      lang=lang, kind=kind, when=when or t2026(), brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, SEC, PRI = "leak.pii", "leak.secret", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints (public)
P("x", "@mirjam_speelt",
  "Al 3 weken wachten op mijn bestelling bij @KwartelShop 🙄 track & trace zegt 'in behandeling' sinds 12 mei. "
  "Mail beantwoorden zit er ook niet in blijkbaar", [CPL], kind="post", brand="KwartelShop")
P("facebook", "Henk Zwaneveld",
  "Gisteren met 6 man gereserveerd bij Kwartelbord Utrecht, kwamen we aan was onze tafel gewoon weggegeven aan "
  "een ander groepje. Een excuus kon er niet eens af. Nooit meer.", [CPL], kind="comment")
P("reddit", "u/meeplemadness",
  "PSA: ordered the Molenmeester Big Box from KwartelShop, box arrived crushed and half the wooden tokens missing. "
  "Support says 'send photos' - did that twice, no reply in 10 days. Pretty disappointed tbh", [CPL], lang="en")
P("instagram", "@saar.speelt",
  "@kwartelbord.cafes leuke foto maar bij jullie in Haarlem is de helft vd spellen incompleet. Catan zonder 4 "
  "graantegels, Azul met 3 tegels kwijt... check die dozen eens 🙃", [CPL], kind="comment")
P("x", "@boardgamebex",
  "@kwartelbord your 'unlimited play' day pass is a joke when the café is so packed you wait 45 min for a table. "
  "Paid €7.50 to stand around by the coat rack.", [CPL], lang="en", kind="reply")
P("x", "@jeroentje_b",
  "kwartelshop stuurt me voor de 2e keer de verkeerde editie van Dijkgraaf (Duits ipv NL). en de retour moet ik "
  "zelf betalen?? echt niet normaal", [CPL])
P("forum", "Tafelridder77",
  "Mijn Kwartelpas is bij de verlenging 2x afgeschreven. Klantenservice belt niet terug, de chat sluit af na 'we "
  "kijken ernaar'. Iemand ervaring hoe je je geld terugkrijgt van Kwartelbord?", [CPL])
P("threads", "@nina.rolls",
  "ngl the service at Kwartelbord Rotterdam last night was rough. waited 30 mins for drinks, the game explainer "
  "never showed up and they still added the 'service fee'. not coming back for a while", [CPL], lang="en")
P("tiktok", "@lisa_spelletjes",
  "jullie dobbeltoren LED doet het na 2 weken al niet meer 😒 lampje flikkerde en nu helemaal dood. garantie "
  "aangevraagd, nog niks gehoord", [CPL], kind="comment")
P("x", "@tobias_plays",
  "3rd time my KwartelShop order ships without the sleeves I paid for. How hard is it to pack a €4.95 item, guys",
  [CPL], lang="en")
P("x", "@dekker_family",
  "Booked the party package at Kwartelbord Amersfoort for my daughter's 8th. No game host, cake was late, the kids "
  "sat waiting for an hour. For 159 euros I expected a lot more 😞", [CPL], lang="en")

# ---- complaint + pii (customer exposing own data)
P("x", "@r_vanleeuwen",
  "@kwartelbord_hulp bestelling KB-558102 nog steeds niet binnen en niemand reageert op mijn mails. Bel me "
  "gewoon terug op %s, ik ben er echt klaar mee" % mobile("dash"), [CPL, PII], kind="reply")
P("facebook", "Amira Bouzid",
  "KwartelShop charged my card twice for the same mystery box order. Your chat told me to post my details here "
  "for the refund?? Fine: amira.bouzid87@gmail.com, IBAN %s. Please just sort it." % spaced(make_iban("INGB")),
  [CPL, PII], lang="en", kind="comment")

# ---- complaint + abuse
P("x", "@woedende_wim",
  "Kwartelbord Den Bosch wat een kutzaak zijn jullie. Bestelling kwijt, geld kwijt en die eikel achter de bar "
  "lacht me nog uit ook", [CPL, ABU])
P("x", "@gamenight_gary",
  "@KwartelShop you absolute clowns. 6 weeks, no table delivered, no refund, no answers. Fuck this company.",
  [CPL, ABU], lang="en", kind="reply")

# ---- first-hand safety incident: crisis + complaint
P("x", "@maaikevd",
  "Onze Kwartel Tafellamp begon gisteravond te roken en te smelten boven de speeltafel 😱 stekker er net op tijd "
  "uit getrokken. Dit hoort echt niet @kwartelbord_hulp!!", [CRI, CPL])
P("reddit", "u/dicegoblin_nl",
  "Got a proper shock off the USB charger that came with my LED dice tower from KwartelShop. Arm tingled for an "
  "hour. Unplugged it and it's going back - this is dangerous stuff, people.", [CRI, CPL], lang="en")
P("facebook", "Sandra Hoekstra",
  "Na de tosti's en de kaasplank bij Kwartelbord Zwolle zaterdag lagen we met z'n vieren ziek op bed. Overgeven, "
  "koorts, alles. Zelfde avond, zelfde eten. Heb de GGD al gebeld.", [CRI, CPL])
P("instagram", "@thekimchimeeple",
  "@kwartelbord.cafes the bench in your Leiden café collapsed under my partner last night and he needed stitches "
  "in his leg. Nobody even filled in an incident report. Unacceptable.", [CRI, CPL], lang="en", kind="comment")
P("x", "@pap_van_twee",
  "Mijn zoontje (3) had een stuk van een houten pion uit de Meeple Mysterybox in z'n mond. Afgebroken, scherp, "
  "bijna verslikt. Geen leeftijdswaarschuwing op de doos. Ik ben woest.", [CRI, CPL])
P("threads", "@noor.rolls.dice",
  "hot chocolate at Kwartelbord Arnhem comes in these wobbly glasses w/o a handle, tipped straight over my hand. "
  "blisters. staff handed me a wet cloth and that was it", [CRI, CPL], lang="en")

# ---- crisis (third party / public)
P("x", "@speelgoedalert",
  "TERUGROEPACTIE: Kwartelbord roept de Kwartel Dobbelset Messing terug, de verf op de cijfers bevat te veel lood. "
  "Niet meer gebruiken, zeker niet door kinderen. #recall", [CRI])
P("x", "@meeple_news",
  "Reports coming in that KwartelShop customer data (names, addresses, order history) is being sold on a breach "
  "forum. Kwartelbord hasn't commented yet.", [CRI], lang="en")
P("x", "@vakbond_jan",
  "#BoycotKwartelbord - ze hebben een barista ontslagen omdat ze een OR wilde oprichten. Ik ga er niet meer heen "
  "tot dit is teruggedraaid. Delen!", [CRI])
P("bluesky", "@laura.writes.bsky.social",
  "Former staff at Kwartelbord say a regional manager harassed young employees for years and HR buried every "
  "single complaint. Thread with testimonies 👇", [CRI], lang="en")
P("linkedin", "mr-ellen-vos-advocaat",
  "Namens 14 oud-medewerkers van Kwartelbord B.V. is vandaag een dagvaarding uitgebracht wegens structureel "
  "onbetaalde overuren. Wij zien de zaak met vertrouwen tegemoet.", [CRI])
P("x", "@nieuws_zwolle",
  "Vijf gasten van spellencafé Kwartelbord in Zwolle met voedselvergiftiging bij de huisarts, NVWA onderzoekt de "
  "keuken.", [CRI])
P("x", "@ttrpg_tom",
  "lol my friend's Kwartel game table apparently has a recall notice now, the fold-out hinge can trap fingers. "
  "hope nobody got hurt", [CRI], lang="en")
P("tiktok", "@dennisdebordspeler",
  "Brand bij Kwartelbord Amsterdam-Oost vannacht, keuken helemaal zwart 🔥🚒 gelukkig niemand gewond volgens de "
  "buren", [CRI])
P("x", "@sanne_tipt",
  "Vriendin van me werkt bij Kwartelbord: hun klantendatabase is vorige week gehackt en ze houden het bewust "
  "stil. Heb je daar een account, verander je wachtwoord!!", [CRI, SECU])

# ---- abuse
P("x", "@ajaxfan_1999",
  "die dikke mongool achter de kassa bij kwartelbord utrecht moet echt ontslagen worden", [ABU])
P("x", "@toxic_rollz",
  "@kwartelbord your staff are brain-dead idiots, every single one of them", [ABU], lang="en", kind="reply")
P("instagram", "@k4ssie",
  "stelletje kl0t3zakk3n bij @kwartelbord.cafes 🤮🤮", [ABU], kind="comment")
P("reddit", "u/grumpy_goblin",
  "kwartelbord's owner is a greedy piece of shit and everyone who works there is a spineless bootlicker",
  [ABU], lang="en", kind="comment")
P("x", "@tijn_0031",
  ZW.join("tering") + " kwartelbord, ik hoop dat jullie failliet gaan k" + ZW + "ankerlijers", [ABU])
P("x", "@anon88_rolls",
  "f.u.c.k k.w.a.r.t.e.l.b.o.r.d and that smug b.i.t.c.h who runs the Haarlem branch", [ABU], lang="en")
P("facebook", "Gerard Pol",
  "Die meiden met hun hoofddoekjes achter de bar bij Kwartelbord Rotterdam, ga eerst maar eens normaal doen in "
  "ons land. Terug naar waar je vandaan komt.", [ABU], kind="comment")
P("x", "@sietse_kb",
  "eerlijk, die klant van tafel 12 vanavond was de grootste zeikerd ooit. wat een achterlijke lul", [ABU])
P("tiktok", "@ratking_games",
  "kwartelbord employees are the dumbest cunts on earth lmao", [ABU], lang="en", kind="comment")
P("threads", "@m4rloes_",
  "@kim.kwartelbord jij bent echt een " + fw("waardeloze trut") + ", blijf met je poten van mijn reserveringen af",
  [ABU], kind="reply")

# ---- pricing
P("instagram", "@kwartelbord.cafes",
  "🎲 Weekendactie! De Kwartel Speeltafel Eik nu voor €189,00 - alleen dit weekend in de shop! Link in bio", [PRI])
P("x", "@bramspeelt",
  "huh staat Polderkoning nou voor 4,49 in de webshop?? iemand van e-com even kijken, lijkt me een prijsfout", [PRI])
P("x", "@dealjager",
  "PRIJSFOUT 🚨 KwartelShop: Molenmeester Big Box €6,50 ipv €64,95. Snel zijn!! #deal", [PRI])
P("reddit", "u/bargainbeard",
  "KwartelShop has the walnut game table listed at €234.90 right now, pretty sure someone dropped a zero 😂 ordered "
  "one anyway, let's see", [PRI], lang="en")
P("facebook", "KwartelbordNL",
  "Kwartelpas Jaarabonnement nu voor slechts €12,90! Word lid van de club en speel het hele jaar 🥳", [PRI])
P("linkedin", "noor-haddou",
  "Heads-up team: the brass dice set shows €3.49 on the Belgian site, looks like a price error in the feed. "
  "Ping me once fixed.", [PRI], lang="en")
P("x", "@studentdeals_eu",
  "kwartelbord gift card 50 for 15 euros in the app?? glitch or legit, anyone know", [PRI], lang="en")
P("mastodon", "@daanvl@spellen.social",
  "Mysterybox has been €9.95 since this morning thanks to a botched import. We've sold 400 already 🙈", [PRI],
  lang="en")
P("instagram", "@bordspelbaas",
  "lmao de LED dobbeltoren voor 5,99 bij kwartelshop, bestellen voor ze het doorhebben", [PRI], kind="comment")
P("x", "@kwartelbord",
  "Nieuw in de shop: Dijkgraaf voor maar €3,99! 🌊 Op = op", [PRI])
P("bluesky", "@cheapskate.bsky.social",
  "there's a price mistake on KwartelShop - the oak game table is €18.99 in the cart. anyone tried checking out?",
  [PRI], lang="en")
P("threads", "@kim.kwartelbord",
  "wie heeft de speelmat neopreen op €2,50 gezet in de kassa? 😂 drie klanten al afgerekend", [PRI])

# ---- confidential
P("x", "@lotte_kwartel",
  "Eindelijk mag ik meedraaien in Project Zandloper 🥳 eerste pilot-café in Antwerpen als het doorgaat!", [CONF])
P("bluesky", "@jorisdev.bsky.social",
  "spent the whole week on Korenwolf (the loyalty app rewrite) and honestly it's the cleanest codebase we've had "
  "in years", [CONF], lang="en")
P("linkedin", "ruben-oosterhout-kwartelbord",
  "Trots op het team achter Operatie Ganzenveer. Binnenkort meer, maar het gaat de manier waarop wij eigen spellen "
  "uitgeven flink veranderen. #bordspellen", [CONF])
P("instagram", "@eva.baristameeple",
  "Kijk wat er op het prikbord in de personeelsruimte hangt 👀 'KB-INTERN: nieuwe menukaart + prijzen per 1 sept, "
  "bier +€0,60' 📋", [CONF])
P("x", "@sietse_kb",
  "lol kreeg net een mail met als onderwerp 'Niet extern delen - sluitingsrooster winter: Zwolle dicht op "
  "maandag en dinsdag' en ik deel 'm dus meteen. grapje. of niet", [CONF])
P("mastodon", "@daanvl@spellen.social",
  "Our roadmap deck has 'Kwartelbord Confidential' on every slide and someone still left it printed in the café. "
  "Slide 4 literally says 'openingen Gent + Brugge Q2' 🤦", [CONF], lang="en")
P("reddit", "u/kb_dev_wouter",
  "anyone else run Grafana behind nginx? ours is at https://grafana.kwartelbord.local/d/kassa-health and the "
  "oauth redirect keeps looping", [CONF], lang="en")
P("x", "@bramspeelt",
  "voorraad checken via http://voorraad.kb.intern/zoek gaat sneller dan die app lol, tip voor collega's", [CONF])
P("x", "@lotte_kwartel",
  "De Stormvloed-uitbreiding voor Polderkoning is echt zo vet, vandaag getest met de spelleiders 🌊🌊",
  [CONF], when=t(2026, 11, 19))
P("forum", "DikesAndDice",
  "As a playtester I'm technically not allowed to say this, but the Stormvloed expansion has a dike-breach "
  "mechanic that changes everything. Gonna be a hit.", [CONF], lang="en", when=t(2026, 12, 8))
P("linkedin", "noor-haddou",
  "Net de jaarcijfers 2026 doorgelezen voor de RvC: omzet +22% en het eerste jaar met winst. Trots op iedereen! 🎉",
  [CONF, FIN], when=t(2027, 1, 28))
P("x", "@sietse_kb",
  "can't say much but our FY2026 results are gonna surprise people. EBITDA positive for the first time 👀",
  [CONF, FIN], lang="en", when=t(2027, 2, 16))
P("threads", "@kim.kwartelbord",
  "mag niks zeggen over project Z a n d l o p e r maar misschien verhuis ik volgend jaar naar België 😏", [CONF])
P("x", "@bramspeelt",
  cyr("Korenwolf", "oe") + " demo vandaag, de nieuwe app is zoveel sneller dan de oude spaarkaart-app", [CONF])
P("instagram", "@eva.baristameeple",
  "vergadering over " + fw("Operatie Ganzenveer") + " vanmiddag 🤫 spannend hoor", [CONF])
P("forum", "MeepleMister",
  "Someone dropped a pdf in the Discord with 'KB-INTERN' at the top. It's KwartelShop's full purchase price list. "
  "70% margin on Polderkoning lol", [CONF], lang="en")
P("linkedin", "ruben-oosterhout-kwartelbord",
  "Onder NDA dus weinig details, maar Molenmeester 2 ligt al bij de drukker. Release staat voor september!", [CONF])

# ---- financial
P("x", "@lotte_kwartel",
  "ok dus we worden overgenomen door een Duitse spellenketen?? deal wordt in maart getekend hoorde ik van m'n "
  "manager. ik weet niks officieel hè", [FIN])
P("linkedin", "ruben-oosterhout-kwartelbord",
  "Moeilijke weken. De vestigingen Den Bosch en Zwolle gaan per 1 april dicht, zo'n 35 collega's raken hun baan "
  "kwijt. Het wordt pas na de zomer gecommuniceerd, maar ik slaap er slecht van.", [FIN])
P("mastodon", "@daanvl@spellen.social",
  "Q3 internals: cafés €3.1M, webshop €1.4M, way under budget. Full-year forecast just got cut by 18%.",
  [FIN], lang="en")
P("bluesky", "@jorisdev.bsky.social",
  "board signed off on selling the webshop arm to a private equity outfit, papers go out next month. wild times",
  [FIN], lang="en")
P("x", "@sietse_kb",
  "gerucht klopt: we nemen Spelmuis in Gent over, handtekening volgende week 🇧🇪", [FIN])
P("x", "@zwager_speelt",
  "Zwager zit bij Kwartelbord op finance, zegt dat de bank dreigt de kredietlijn in te trekken en dat een "
  "faillissement niet uitgesloten is. Heb je nog cadeaukaarten liggen, maak ze op!", [FIN])
P("threads", "@kim.kwartelbord",
  "reorg nieuws: hele klantenservice gaat naar een callcenter in Portugal, wij horen het 'officieel' pas in juni", [FIN])
P("linkedin", "noor-haddou",
  "Excited (and nervous): we're in final talks with an investor on a €6M round to open in Belgium and Germany. "
  "Nothing public yet, so keep it quiet 🤞", [FIN], lang="en")
P("reddit", "u/kb_dev_wouter",
  "finance just told the team leads we'll breach the bank covenant this quarter. hiring freeze starts monday, "
  "not announced yet", [FIN], lang="en")
P("instagram", "@eva.baristameeple",
  "omzet kerstmaand in onze vestiging -30% tov vorig jaar, directie gaat 'snijden' zeiden ze op het overleg. "
  "spannend 😬", [FIN])

# ---- security (insiders)
P("x", "@bramspeelt",
  "alle kassa's in alle vestigingen liggen plat sinds 9u, IT zegt ransomware. tegen klanten moeten we zeggen dat "
  "het 'een storing' is 🙃", [SECU])
P("reddit", "u/kb_dev_wouter",
  "found an IDOR in our own webshop: change the order id in /api/orders/ and you see someone else's address. "
  "reported it 3 weeks ago, still open lol", [SECU], lang="en")
P("bluesky", "@jorisdev.bsky.social",
  "today I learned our nightly DB backups have been sitting in a world-readable S3 bucket since March. rotating "
  "everything now, please nobody tell twitter", [SECU], lang="en")
P("x", "@sietse_kb",
  "someone in finance clicked a phishing mail and now her mailbox is sending fake invoices to suppliers. "
  "being kept quiet till monday", [SECU], lang="en")
P("mastodon", "@daanvl@spellen.social",
  "Webshop has been down for 4 hours from a DDoS and Black Friday is in two days. Officially it's called "
  "'maintenance' 🙄", [SECU], lang="en")
P("threads", "@kim.kwartelbord",
  "tip voor collega's: het reserveringssysteem laat je met elk telefoonnummer andermans reservering + naam zien. "
  "bug staat al maanden open", [SECU])
P("linkedin", "noor-haddou",
  "Post-mortem from last week: someone got into the admin panel through an ex-colleague's account that was never "
  "disabled. Legal wants it kept quiet until we know what they touched.", [SECU], lang="en")
P("x", "@lotte_kwartel",
  "sql injectie in de zoekbalk van de webshop staat nog steeds open, ticket ligt al 3 maanden bij het bureau 🤦‍♀️",
  [SECU])
P("instagram", "@eva.baristameeple",
  "Gasten-wifi in Utrecht zit gewoon op hetzelfde netwerk als de pinautomaten. 2x gemeld bij IT, niks mee gedaan.",
  [SECU])
P("reddit", "u/kb_dev_wouter",
  "our loyalty app emails people their password in plaintext on reset. it's a 'known issue' apparently. sigh",
  [SECU], lang="en", kind="comment")
P("bluesky", "@jorisdev.bsky.social",
  "the booking plugin on all 9 café sites has an unpatched RCE (vendor advisory out since june) and we still "
  "haven't updated. nobody cares until it's too late", [SECU], lang="en")
P("x", "@sietse_kb",
  "mfa staat uit op het admin-account van de webshop 'omdat het te lastig was'. succes ermee", [SECU])

# ---- secrets
P("x", "@bramspeelt",
  "deploy faalt weer, heb voor nu deze token in de pipeline gezet: %s morgen netjes oplossen" % gh_token(), [SEC])
P("mastodon", "@daanvl@spellen.social",
  "can someone see why this fails?\n[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
  "region = eu-central-1" % (aws_key_id(), aws_secret()), [SEC], lang="en")
P("bluesky", "@jorisdev.bsky.social",
  "testing the Mollie webhook locally with MOLLIE_API_KEY=%s and it still returns 401, any ideas?" % mollie_live(),
  [SEC], lang="en")
P("x", "@sietse_kb",
  "rota slack bot finally works 🎉 if you want to fork it: SLACK_BOT_TOKEN=%s" % slack_bot(), [SEC], lang="en")
P("reddit", "u/kb_dev_wouter",
  "OpenAI keeps rate limiting us, here's the config, what am I doing wrong?\n```\nOPENAI_API_KEY=%s\n"
  "model=gpt-4o-mini\n```" % openai_key(), [SEC], lang="en")
P("x", "@lotte_kwartel",
  "DATABASE_URL=postgres://kb_shop:%s@db-prod.kwartelbord.local:5432/webshop waarom werkt dit niet vanaf thuis 😩"
  % password(), [SEC, CONF])
P("forum", "Bitjesvreter",
  "Kwartelbord, jullie Android-app bevat gewoon een live Stripe key: %s - even roteren misschien?" % stripe_live(),
  [SEC])
P("threads", "@kim.kwartelbord",
  "voor de nieuwe collega's in Utrecht: inlog kassa-beheer is beheer_utr / wacht" + ZW + "woord: " + password() +
  " (niet doorvertellen 😉)", [SEC])
P("mastodon", "@daanvl@spellen.social",
  "pasted the wrong thing in the group chat, ignore pls\n" + openssh_key(), [SEC], lang="en")
P("bluesky", "@jorisdev.bsky.social",
  "debugging the POS API, token expires weirdly early: Authorization: Bearer %s" % jwt(), [SEC], lang="en")
P("reddit", "u/kb_dev_wouter",
  "Claude keeps timing out on long prompts, using ANTHROPIC_API_KEY=%s with the python sdk, anyone seen this?"
  % anthropic_key(), [SEC], lang="en", kind="comment")
P("facebook", "KwartelbordNL",
  "@Merel hier de login voor het Insta-account zoals gevraagd: gebruikersnaam kwartelbord.cafes, wachtwoord: %s 👍"
  % password(), [SEC], kind="reply")
P("x", "@bramspeelt",
  "git clone https://oauth2:%s@git.kwartelbord-dev.nl/webshop/checkout.git werkt niet meer sinds de migratie, "
  "iemand?" % gitlab_pat(), [SEC, CONF])

# ---- personal data
P("x", "@kwartelbord_hulp",
  "@r_vanleeuwen Sorry voor het wachten! We hebben je adres gecontroleerd: R. van Leeuwen, Oudegracht 214-bis, "
  "3511 NR Utrecht. Klopt dat? Dan versturen we vandaag opnieuw.", [PII], kind="reply")
P("facebook", "KwartelbordNL",
  "Hoi Amira, de terugbetaling staat klaar op IBAN %s, duurt 2-3 werkdagen! 💸" % make_iban("INGB"),
  [PII], kind="reply")
P("x", "@sietse_kb",
  "klant liet z'n creditcard liggen aan tafel 7, iemand die hem kent? %s, exp 09/28, naam J. Mulder"
  % make_card("4"), [PII])
P("threads", "@kim.kwartelbord",
  "wie heeft de personeelslijst ook gekregen? staat gewoon het bsn van iedereen in. die van mij: %s 🤡" % make_bsn(),
  [PII])
P("instagram", "@kwartelbord.cafes",
  "@thekimchimeeple we've emailed you at kim.choi.nl@outlook.com and called %s, please check! 💛" % mobile("intl"),
  [PII], lang="en", kind="reply")
P("linkedin", "noor-haddou",
  "Congrats to the winner of our Polderkoning championship, Fleur Jansen (born 14-03-2001) from Amersfoort! 🏆",
  [PII], lang="en")
P("x", "@hans_boos88",
  "die manager van Kwartelbord Haarlem die me eruit gooide heet Mark Timmer en woont op de Kleverparkweg 33, "
  "2023 CE Haarlem. ga maar eens gezellig bij hem langs, die eikel", [PII, ABU])
P("forum", "Joost_B",
  "Voor wie de Tulpenkoorts-ruilactie van Kwartelbord wil doen: mail me op joost.bakker1979@ziggo.nl of app "
  "%s" % mobile("0031"), [PII])
P("mastodon", "@daanvl@spellen.social",
  "if anyone finds a phone at our Leiden café: the owner is Peter de Wit, %s, p.dewit@kpnmail.nl"
  % mobile("paren"), [PII], lang="en")
P("tiktok", "@kwartelbord",
  "Gefeliciteerd Sem van Dijk uit Tilburg! 🎂 Geboren op 2 juni 2016 en nu al Dijkgraaf-kampioen van ons café",
  [PII], kind="comment")
P("x", "@lotte_kwartel",
  "stagiair vroeg om z'n loonstrookgegevens, heb ik per ongeluk in de verkeerde chat gezet lol: Mohamed El "
  "Idrissi, IBAN %s, BSN %s" % (spaced(make_iban("ABNA")), make_bsn()), [PII])
P("reddit", "u/lostandfound_ut",
  "Found a wallet at Kwartelbord Utrecht, has a card %s and an ID for Laura Smits, born 22/11/1994. DM me if "
  "it's yours" % make_card("52"), [PII], lang="en")
P("linkedin", "kwartelbord-bv",
  "Welkom aan onze nieuwe vestigingsmanager in Gent, Dirk Verhoeven! Bereikbaar via d.verhoeven74@gmail.com "
  "of %s" % mobile("space"), [PII])

# ---- benign / hard negatives
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
P("x", "@kwartelbord_hulp",
  "Vragen over je bestelling? Mail webshop@kwartelbord.nl of bel +31 30 799 4410 (ma-za 9-18u) 📦", kind="reply")
P("facebook", "KwartelbordNL",
  "Betaal je liever per overschrijving? Maak het bedrag over naar %s o.v.v. je ordernummer. Dan gaat je pakket "
  "dezelfde dag de deur uit!" % spaced(COMPANY_IBAN))
P("x", "@lena_abroad",
  "Kwartelbord Utrecht is my favourite spot in the city, the game hosts are amazing ❤️🎲", lang="en")
P("x", "@jakeplaysgames",
  "Killer game night at Kwartelbord Leiden, we absolutely murdered each other in Polderkoning 😂", lang="en")
P("x", "@koopjesmam",
  "Sale bij KwartelShop: Polderkoning van €44,95 voor €35,96 (20% korting) t/m zondag, nu slaan!")
P("instagram", "@kwartelbord.cafes",
  "Black Friday 🖤 25% korting op alle speelmatten: de Kwartel Speelmat Neopreen nu €18,71 ipv €24,95")
P("reddit", "u/oakandmeeples",
  "Just paid €1899 for the oak game table and honestly worth every cent. Gorgeous piece of furniture.", lang="en")
P("x", "@kwartelbord",
  "Dagpas Onbeperkt Spelen: €7,50 p.p., kinderen onder de 6 gratis 🎲 Zien we je zaterdag?")
P("x", "@gerdavh",
  "Update: bestelling kwam eerst beschadigd binnen maar @kwartelbord_hulp heeft binnen een dag een nieuwe gestuurd. "
  "Top geregeld 👏", kind="reply")
P("reddit", "u/twoplayerpls",
  "Any tips for a good 2-player game? Browsing KwartelShop and drowning in options", lang="en")
P("x", "@stadjer_bas",
  "Sterkte aan het team van Kwartelbord Groningen na de waterschade door die stortbui. Hopelijk snel weer open 💙")
P("x", "@tabletop_analyst",
  "Hasbro reported its Q3 results today, board game segment down 5%. Curious whether cafés like Kwartelbord feel "
  "that too.", lang="en")
P("x", "@spelavond_pien",
  "die zandloper van Tulpenkoorts is echt te kort, 30 seconden is niks 😅 #spelavond @kwartelbord")
P("instagram", "@natuurfotograaf_limburg",
  "Zag vandaag een echte korenwolf in het Geuldal 🐹 bijna uitgestorven beestje. Tip voor Kwartelbord: maak er een "
  "spel over!")
BAD_IBAN = break_last(make_iban("RABO"), iban_check)
P("x", "@oplettende_opa",
  "Iemand ook een mail 'van Kwartelbord' gehad om je bestelling te betalen op %s? Lijkt me phishing, die IBAN "
  "klopt niet eens. Gewoon negeren." % spaced(BAD_IBAN))
BAD_CARD = break_last(make_card("4"), luhn)
P("facebook", "Ilse Vermeer",
  "Haha mijn dochter typte '%s' in op het tablet bij Kwartelbord, ze speelde winkeltje 😂" % BAD_CARD,
  kind="comment")
BAD_BSN = break_last(make_bsn(), bsn_ok)
P("x", "@quiznight_pete",
  "Pub quiz at Kwartelbord: 'how many digits does a Dutch BSN have?' I wrote %s as an example and still got no "
  "point 🙄" % BAD_BSN, lang="en")
P("reddit", "u/kb_dev_wouter",
  "For the workshop I'll use the AWS docs example creds, AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never real ones 🙂", lang="en")
P("bluesky", "@jorisdev.bsky.social",
  "PSA to devs: if you paste config in an issue, redact it like STRIPE_KEY=sk_live_**************** . learned "
  "that the hard way at a previous job", lang="en")
P("x", "@sietse_kb",
  "tutorial voor de stagiairs: zet nooit een echte token in je code, gebruik een placeholder zoals "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en lees de echte uit een env var")
P("x", "@kwartelbord",
  "Wifi in al onze cafés: netwerk 'Kwartelbord Gasten', het wachtwoord staat op je tafelkaart 📶")
P("x", "@kwartelbord",
  "Hij is er! Polderkoning: Stormvloed ligt vanaf vandaag in alle cafés en in de shop 🌊🌊",
  when=t(2027, 1, 21, 10, 5))
P("linkedin", "kwartelbord-bv",
  "Onze jaarcijfers 2026 zijn gepubliceerd: omzet +22% en voor het eerst winst. Lees het jaarverslag op "
  "kwartelbord.nl/investeerders", when=t(2027, 3, 4, 8, 30))
P("x", "@retail_watcher",
  "Kwartelbord's FY2026 results look solid. Nice to see a café chain doing well for once.", lang="en",
  when=t(2027, 3, 6))
P("x", "@vera_loses",
  "i hate that i ALWAYS lose at Dijkgraaf 😭 my girlfriend is an absolute monster at that game", lang="en")
P("threads", "@molenfan",
  "Brutal. Absolutely brutal. Molenmeester destroyed our friendship and we loved every second. 10/10", lang="en")
P("reddit", "u/mathisnotmything",
  "Is the Kwartelpas worth €129 if you go twice a month? Someone do the maths for me 🙏", lang="en")
P("x", "@kwartelbord",
  "Cadeautip 🎁 de Kwartelbord Cadeaukaart 50, nu met een gratis pakje sleeves erbij zolang de voorraad strekt")
P("x", "@piggybank_pete",
  "€10 off the Kwartelpas with code SPEL10, nice! just renewed mine", lang="en")
P("x", "@budget_boardgamer",
  "Action has card games for €2.99 but for proper games I still go to KwartelShop", lang="en")
P("linkedin", "ruben-oosterhout-kwartelbord",
  "Vacature! We zoeken spelleiders voor onze cafés in Utrecht en Leiden. Solliciteer via werkenbij@kwartelbord.nl")
P("x", "@lotte_kwartel",
  "Eerste dienst als spelleider zit erop 🥳 8 keer Tulpenkoorts uitgelegd en nog steeds leuk")
P("x", "@belgian_meeple",
  "Does KwartelShop ship to Belgium? shop.kwartelbord.nl doesn't really say", lang="en")
P("x", "@ouder_van_drie",
  "Een Duitse speelgoedfabrikant roept houten blokjes terug wegens splinters. Fijn dat Kwartelbord meteen liet "
  "weten dat hun spellen niet van die leverancier komen 👍")
P("tiktok", "@dm_danielle",
  "The LED dice tower from KwartelShop is fire 🔥🔥 my players lose their minds every time it lights up",
  lang="en", kind="comment")
P("x", "@vrijdagvibes",
  "Brandend verlangen naar vrijdag, dan weer Polderkoning bij Kwartelbord 🔥")
P("x", "@kwartelbord",
  "Gepland onderhoud: de webshop is zondag 3 mei tussen 02:00 en 04:00 niet bereikbaar. Excuses voor het ongemak!",
  when=t(2026, 4, 28, 14, 0))
P("x", "@infosec_ines",
  "Kwartelbord is hiring a security engineer, saw it on LinkedIn. Good sign they take this stuff seriously.",
  lang="en")
P("mastodon", "@daanvl@spellen.social",
  "Gave a meetup talk about how we keep secrets out of git: pre-commit hooks, a vault, rotation. Slides on my blog.",
  lang="en")
P("x", "@forgetful_tom",
  "Forgot the password for my KwartelShop account, reset mail arrived within a minute. Fine by me.", lang="en")
P("facebook", "Wendy Koster",
  "Bel gewoon de Kwartelbord klantenservice op 030 799 4410, werd supervriendelijk geholpen met m'n retour 😊",
  kind="comment")
P("x", "@arnhemse_anne",
  "Klachten? Nee hoor, alleen maar lof voor het personeel van Kwartelbord Arnhem 😄")
P("x", "@gentse_gamer",
  "Sad to hear a café in Ghent (not Kwartelbord, the one near the station) had a kitchen fire last night. Hope "
  "everyone's ok.", lang="en")
P("linkedin", "kwartelbord-bv",
  "Vandaag in het FD: Kwartelbord opent dit jaar twee nieuwe cafés, in Breda en Nijmegen. Lees het hele interview "
  "met onze oprichters via de link.")
P("reddit", "u/walnutwonder", "Who else thinks the walnut game table at €2349 is steep? Pretty though.",
  lang="en", kind="comment")
P("x", "@zomerkoopje",
  "Meeple Mysterybox voor €39,95 in de zomeractie van KwartelShop (was €49,95), gekocht!")
P("instagram", "@eva.baristameeple",
  "Nieuwe latte-art poging in het café ☕🎲 wie speelt er vanavond mee?")
P("x", "@table3_tim",
  "Fight over the last Catan tile, nearly ended in a lawsuit at table 3 😂 another great night at Kwartelbord",
  lang="en")
P("reddit", "u/dicebag_danny",
  "Lost my dice bag at Kwartelbord Leiden, staff found it and messaged me the next day. Absolute legends.",
  lang="en")
P("x", "@sleevevraag",
  "@kwartelbord_hulp wat is jullie retourbeleid voor Kwartel sleeves als de verpakking al open is?", kind="reply")
P("x", "@cheap_but_happy",
  "Boycott? Nah, the only thing I'm boycotting is my own savings account because KwartelShop keeps having great "
  "sales 😅", lang="en")
P("x", "@curious_expat", "Why is Polderkoning so popular anyway? ELI5", lang="en")
BAD_CARD2 = break_last(make_card("54"), luhn)
P("forum", "MonopolyMaarten",
  "Bij Monopoly Bankieren gebruikten we de nep-pinpasjes, op die van mij stond %s haha. Daarna naar Kwartelbord "
  "voor een echt spel." % BAD_CARD2)
P("x", "@snelle_sophie",
  "Got my order confirmation from webshop@kwartelbord.nl within 2 minutes. Smooth.", lang="en")
P("x", "@tulpenliefde",
  "Jullie prijzen zijn echt te gek laag joh, Tulpenkoorts voor €19,95, cadeautje!")
P("x", "@molen_mopper",
  "Is it a price error or do board games just cost €65 now? Molenmeester Big Box, why so expensive 😩", lang="en")
P("linkedin", "noor-haddou",
  "Voorbeeld uit onze fraudetraining: 'betaal naar NL00 BANK 0123 4567 89', zo'n IBAN klopt nooit. Altijd "
  "checken!")
P("x", "@quail_dad",
  "My kid asked if quails play board games. Now we're going to Kwartelbord on Sunday to find out 🐦", lang="en")
P("x", "@spellenwinkelnieuws",
  "Duitse spellenketen ontslaat 200 mensen. Blij dat het bij Kwartelbord goed lijkt te gaan, daar zit ik elke week.")
P("instagram", "@kwartelbord.cafes",
  "Hygiëne is bij ons top prioriteit: alle spellen worden na elk gebruik gecontroleerd en schoongemaakt ✨ "
  "Vragen? hallo@kwartelbord.nl")


# ---------------------------------------------------------------- severity (CONTRACT §4)
ORDER = ["none", "info", "warning", "error", "critical"]


def _key(platform, handle):
    return ("%s:%s" % (platform, handle)).lower()


CORP = {k.lower() for k in PROFILE["accounts"]["corporate"]}
EMPL = {k.lower() for k in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    k = _key(platform, handle)
    return "corporate" if k in CORP else "employee" if k in EMPL else "public"


def normalise(text):
    text = unicodedata.normalize("NFKC", text)
    text = re.sub("[\u200b-\u200d\u2060\ufeff]", "", text)
    return "".join({v: k for k, v in CYR.items()}.get(c, c) for c in text)


PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\d)(?<!\d[ -])(?:\d{4}[ -]){3}\d{4}(?!\d)(?![ -]\d)|(?<![\w-])\d{13,19}(?![\w-])")
BSN_RE = re.compile(r"(?<![\d.])\d{9}(?![\d])")


def checked_ids(text):
    """Returns lists of (kind, value, valid) for IBAN / card / BSN-like numbers."""
    text = normalise(text)
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if v in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_check(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s

    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                up("error")
                if c in (SEC, PRI):
                    up("critical")
                if c == PII and any(v for _, _, v in checked_ids(text)):
                    up("critical")
            else:
                up("warning")
        elif c == CPL:
            up("warning")
        elif c == CRI:
            up("error")
        elif c == ABU:
            up("error" if own else "warning")
    return sev


# ---------------------------------------------------------------- build
def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        pid = "kb434-%s-%04d" % (c["platform"], n)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + n * 7919)
        post["brand"] = c["brand"] or "kwartelbord"
        role = role_of(c["platform"], c["handle"])
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                                "severity": severity(c["cats"], role, c["text"])}})
    return lines


# ---------------------------------------------------------------- self-checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {CPL, CRI, ABU, PII, SEC, PRI, CONF, FIN, SECU}
GH_RE = re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z0-9]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def self_check(lines):
    errs = []
    ids = set()
    if not 170 <= len(lines) <= 180:
        errs.append("case count %d not in 170-180" % len(lines))
    handles_in_profile = CORP | EMPL
    for ln in lines:
        p, e = ln["post"], ln["expect"]
        pid = p.get("id")
        # CONTRACT §6 / §1 shape
        if set(ln) != {"post", "expect"}:
            errs.append("%s: top-level keys" % pid)
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append("%s: bad or duplicate id" % pid)
        ids.add(pid)
        if p.get("platform") not in PLATFORMS:
            errs.append("%s: platform" % pid)
        if p.get("kind", "post") not in KINDS:
            errs.append("%s: kind" % pid)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
                or not p["account"]["handle"]:
            errs.append("%s: account.handle" % pid)
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            errs.append("%s: text" % pid)
        try:
            ts = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        except Exception:
            errs.append("%s: created_at" % pid)
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append("%s: year" % pid)
        if ts.year == 2027 and ts.month > 3:
            errs.append("%s: 2027 date far from embargo" % pid)
        cats, sev = e.get("categories"), e.get("severity")
        if not isinstance(cats, list) or not set(cats) <= CATS or cats != sorted(set(cats)):
            errs.append("%s: categories" % pid)
        if sev not in ORDER:
            errs.append("%s: severity" % pid)
        role = role_of(p["platform"], p["account"]["handle"])
        if sev != severity(cats, role, p["text"]):
            errs.append("%s: severity mismatch" % pid)
        if not cats and sev != "none":
            errs.append("%s: benign with severity" % pid)
        if cats and sev in ("none", "info"):
            errs.append("%s: positive without severity" % pid)
        text = p["text"]
        norm = normalise(text)
        # checksummed identifiers
        found = checked_ids(text)
        if PII in cats:
            for kind, v, ok in found:
                if not ok:
                    errs.append("%s: %s %s in a pii positive fails its checksum" % (pid, kind, v))
        else:
            for kind, v, ok in found:
                if ok:
                    errs.append("%s: valid %s %s outside a pii positive" % (pid, kind, v))
        if not cats and PII not in cats:
            pass
        # secrets
        for m in GH_RE.finditer(norm):
            if (SEC in cats) != gh_valid(m.group(0)):
                errs.append("%s: github token checksum vs label" % pid)
        for m in AWS_RE.finditer(norm):
            k = m.group(0)
            ok = re.fullmatch(r"AKIA[A-Z2-7]{16}", k) and "EXAMPLE" not in k
            if bool(ok) != (SEC in cats):
                errs.append("%s: aws key vs label" % pid)
        for m in JWT_RE.finditer(norm):
            try:
                hdr = json.loads(b64d(m.group(0).split(".")[0]))
                good = "alg" in hdr
            except Exception:
                good = False
            if not good:
                errs.append("%s: jwt header has no alg" % pid)
            if SEC not in cats:
                errs.append("%s: jwt in non-secret case" % pid)
        # embargo
        for emb in PROFILE["embargo"]:
            until = dt.datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
            for term in emb["terms"]:
                if term.lower() in norm.lower():
                    if ts < until and CONF not in cats:
                        errs.append("%s: embargo term before until not labelled confidential" % pid)
                    if ts >= until and cats:
                        errs.append("%s: embargo term after until in a positive (check label)" % pid)
        # internal markers / domains / codenames must not appear in benign posts
        if not cats:
            low = norm.lower()
            for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"] + \
                    PROFILE["internal"]["codenames"]:
                if x.lower() in low and not (x == "Korenwolf" and "Geuldal" in text):
                    errs.append("%s: internal term %r in benign" % (pid, x))
        # public authors must not be profile accounts and vice versa
        if role == "public" and _key(p["platform"], p["account"]["handle"]) in handles_in_profile:
            errs.append("%s: role lookup" % pid)
    # every profile account is a real platform:handle
    for k in handles_in_profile:
        if k.split(":", 1)[0] not in PLATFORMS:
            errs.append("profile account %s: platform" % k)
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check(ib):
            errs.append("profile IBAN %s fails mod-97" % ib)
    if not (2026 <= 2027):
        pass
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("alert_below_ratio")
    # the look-alikes really fail
    for v, ok in ((BAD_IBAN, iban_check), (BAD_CARD, luhn), (BAD_CARD2, luhn), (BAD_BSN, bsn_ok)):
        if ok(v):
            errs.append("look-alike %s passes its checksum" % v)
    return errs


def report(lines):
    from collections import Counter
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    cat = Counter(c for ln in lines for c in ln["expect"]["categories"])
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    lang = Counter(ln["post"]["lang"] for ln in lines)
    roles = Counter(role_of(ln["post"]["platform"], ln["post"]["account"]["handle"]) for ln in lines)
    print("cases %d, benign %d, positive %d" % (len(lines), benign, len(lines) - benign))
    for k in sorted(cat):
        print("  %-22s %d" % (k, cat[k]))
    print("severity", dict(sev))
    print("lang", dict(lang), "nl share %.2f" % (lang["nl"] / len(lines)))
    print("roles", dict(roles))
    return benign


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for ln in lines:
            f.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(out, encoding="utf-8") as f:
        reread = [json.loads(x) for x in f]
    errs = self_check(reread)
    report(reread)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK ->", out)


if __name__ == "__main__":
    main()
