#!/usr/bin/env python3
"""Evaluation set sealed237 for postwatch: Stofvlinder Wonen B.V.

A fictional Dutch chain of curtain, blind and interior-styling shops.
Hand-written posts; identifiers and credentials are generated here with a
fixed seed the way the real ones are built (checksums included), so the
output is byte-for-byte reproducible.

Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, categories, severity);
  * ids are unique;
  * every IBAN / card / BSN in a personal-data positive passes its checksum,
    every look-alike in a benign post fails it, and no unregistered
    identifier-shaped number hides anywhere;
  * generated credentials are well formed (GitHub CRC-32, AWS, JWT header ...);
  * sample / redacted keys only occur in benign posts;
  * severities follow CONTRACT section 4 from the account role in profile.yaml;
  * codenames, markers, internal domains and embargoed terms (before `until`)
    only occur in posts labelled leak.confidential;
  * pricing posts: price/list ratio below alert_below_ratio for positives,
    at or above it for benign sale posts;
  * the mix (size, benign share, per-category counts, languages).

Usage: python3 make_cases.py
Requires Python 3.8+ and PyYAML.
"""
import base64
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 237

CATEGORIES = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
    "leak.financial", "leak.security", "reputation.crisis",
    "reputation.complaint", "reputation.abuse",
}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok",
             "youtube", "reddit", "mastodon", "bluesky", "threads", "forum",
             "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = string.ascii_letters + string.digits + "-_"


# --------------------------------------------------------------------------
# identifier and credential generators
# --------------------------------------------------------------------------

def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
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


def bsn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def github_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def digits(self, n):
        return "".join(self.r.choice(string.digits) for _ in range(n))

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    # -- personal identifiers ------------------------------------------------
    def iban_nl(self, bank, valid=True):
        acct = self.digits(10)
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        chk = 98 - n % 97
        iban = "NL%02d%s" % (chk, bban)
        if not valid:
            # a single changed digit always breaks mod-97
            i = len(iban) - 1 - self.r.randrange(10)
            iban = iban[:i] + str((int(iban[i]) + 1 + self.r.randrange(8)) % 10) + iban[i + 1:]
        assert iban_valid(iban) == valid
        return iban

    def card(self, prefix, length=16, valid=True):
        body = prefix + self.digits(length - len(prefix) - 1)
        for c in string.digits:
            if luhn_valid(body + c):
                good = c
                break
        num = body + (good if valid else str((int(good) + 1 + self.r.randrange(8)) % 10))
        assert luhn_valid(num) == valid
        return num

    def bsn(self, valid=True):
        while True:
            d = [self.r.randrange(1, 10)] + [self.r.randrange(10) for _ in range(7)]
            rest = sum(d[i] * (9 - i) for i in range(8)) % 11
            if rest < 10:
                break
        last = rest if valid else (rest + 1 + self.r.randrange(8)) % 10
        num = "".join(map(str, d)) + str(last)
        assert bsn_valid(num) == valid
        return num

    def mobile(self):
        return str(self.r.randrange(1, 6)) + self.digits(7)

    # -- credentials -----------------------------------------------------------
    def github(self, prefix="ghp_"):
        body = self.chars(B62, 30)
        tok = prefix + body + b62(zlib.crc32(body.encode()), 6)
        assert github_token_valid(tok)
        return tok

    def aws_key_id(self):
        return "AKIA" + self.chars(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.chars(ALNUM + "/+", 40)

    def stripe_live(self):
        return "sk_live_51" + self.chars(ALNUM, 97)

    def slack_bot(self):
        return "xoxb-%s-%s-%s" % (self.digits(12), self.digits(13), self.chars(ALNUM, 24))

    def openai_project(self):
        return "sk-proj-" + self.chars(B64URL, 74) + "T3BlbkFJ" + self.chars(B64URL, 74)

    def google_api(self):
        return "AIza" + self.chars(B64URL, 35)

    def sendgrid(self):
        return "SG." + self.chars(B64URL, 22) + "." + self.chars(B64URL, 43)

    def jwt(self, payload):
        header = {"alg": "HS256", "typ": "JWT"}
        return ".".join([
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(json.dumps(payload, separators=(",", ":")).encode()),
            b64url(bytes(self.r.randrange(256) for _ in range(32))),
        ])

    def password(self):
        word = self.r.choice(["Gordijn", "Plooi", "Zonwering", "Lamel", "Vitrage", "Roede"])
        return word + self.digits(4) + self.r.choice("!#$%&*?") + self.chars(ALNUM, 3)

    def db_password(self):
        return self.chars(ALNUM, 18)

    def openssh_ed25519(self, comment):
        def s(b):
            return struct.pack(">I", len(b)) + b
        pub = bytes(self.r.randrange(256) for _ in range(32))
        seed = bytes(self.r.randrange(256) for _ in range(32))
        pub_blob = s(b"ssh-ed25519") + s(pub)
        chk = struct.pack(">I", self.r.getrandbits(32)) * 2
        priv = chk + s(b"ssh-ed25519") + s(pub) + s(seed + pub) + s(comment.encode())
        pad = 1
        while len(priv) % 8:
            priv += bytes([pad])
            pad += 1
        blob = (b"openssh-key-v1\x00" + s(b"none") + s(b"none") + s(b"")
                + struct.pack(">I", 1) + s(pub_blob) + s(priv))
        b64 = base64.b64encode(blob).decode()
        lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
        return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
                + "\n-----END OPENSSH PRIVATE KEY-----")


def grp(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------

C = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
CF = "leak.confidential"
FI = "leak.financial"
SE = "leak.security"
SK = "leak.secret"
PI = "leak.pii"
PR = "leak.pricing"

ZW = "\u200b"          # zero-width space
CYR_O = "\u043e"       # Cyrillic small o
CYR_DZE = "\u0405"     # Cyrillic capital dze, looks like S


def build():
    rnd = random.Random(SEED)
    g = Gen(rnd)
    cases = []

    def add(platform, handle, lang, text, cats=(), kind="post", when=None,
            ids=(), secrets=(), samples=(), price=None, name=None, evasion=False):
        cases.append({
            "platform": platform, "handle": handle, "lang": lang, "text": text,
            "cats": sorted(set(cats)), "kind": kind, "when": when,
            "ids": list(ids), "secrets": list(secrets), "samples": list(samples),
            "price": price, "name": name, "evasion": evasion,
        })

    # ======================================================================
    # reputation.complaint (single)
    # ======================================================================
    add("x", "@petravdl_", "nl",
        "@stofvlinder 3e keer dat de inmeter niet komt opdagen. Hele ochtend vrij "
        "genomen, niemand belt af, niemand neemt op. Serieus hoe moeilijk is het", [C])
    add("x", "@graham_in_utrecht", "en",
        "@stofvlinder_hulp ordered the Duet plissé in 'sand', got something that's "
        "basically mustard. 5 weeks wait for that. any chance of a reply this month?",
        [C], kind="reply")
    add("facebook", "Wendy.Kroeze.77", "nl",
        "Rolgordijn van 2 weken oud en het koordje is al geknapt. Kwaliteit ver te "
        "zoeken bij Stofvlinder, en nu zeggen ze aan de telefoon dat ik 'm verkeerd "
        "bediend heb?? Nee hoor. Gewoon slecht spul", [C])
    add("reddit", "u/throwaway_blinds", "en",
        "PSA if you're considering Stofvlinder for made-to-measure: they measured my "
        "bay window wrong, the blinds are 4cm too narrow on each side, and now they "
        "want €120 for a 're-measure'. Their mistake, my bill. Avoid.", [C])
    add("instagram", "@huisjevanmies", "nl",
        "Mooie foto's hoor maar mijn Velours Oker gordijnen zijn na 1x wassen op 30 "
        "graden 8 cm gekrompen 😤 wasvoorschrift precies gevolgd. Wie betaalt dit?",
        [C], kind="comment")
    add("x", "@j_hoekstra", "nl",
        "Retour gestuurd op 2 maart, vandaag is het 9 april en nog steeds geen geld "
        "terug van @stofvlinder. Chat zegt elke keer 'binnen 5 werkdagen'. Welke 5 "
        "werkdagen dan?", [C], when="2026-04-09T19:42:11Z")
    add("x", "@lenaxmoves", "en",
        "the Motion blind remote won't pair after the update and stofvlinder support "
        "just sends me the same pdf. three times. i don't want a pdf i want my "
        "bedroom dark 😩", [C])
    add("forum", "bewoner_tilburg", "nl",
        "Ervaringen met Vlindr Studio kleuradvies? Ik betaalde 95 euro, stylist was "
        "40 min te laat, bleef nog geen half uur en stuurde daarna een moodboard met "
        "stalen die ze zelf niet eens leveren. Voelt als weggegooid geld eerlijk gezegd.",
        [C])
    add("threads", "@mira.k.design", "en",
        "Stofvlinder app says 'delivered' for my order. Nothing at the door, nothing "
        "with the neighbours, courier says not his problem. And their customer "
        "service closes at 5 apparently. great. just great", [C])
    add("tiktok", "@dewoonkamervanbo", "nl",
        "Part 3 van mijn stofvlinder saga: de montagejongens hebben gaten in mijn "
        "kozijn geboord op de verkeerde plek en de rail hangt scheef 🙃 nu mag ik "
        "zelf een klusjesman bellen #fail #stofvlinder #verbouwing", [C])
    add("bluesky", "@tomasz-r.bsky.social", "en",
        "waited 45 min on the " + CYR_DZE + "tofvlinder phone line, got cut off the "
        "second someone picked up. redialled: 50 min. this is the company that "
        "charged me 350 for ONE roller blind", [C], evasion=True)

    # ======================================================================
    # first-hand safety incidents: complaint + crisis
    # ======================================================================
    add("facebook", "Sandra.Meulenbelt", "nl",
        "Ik zit nog steeds te trillen. Het motortje van ons Motion rolgordijn begon "
        "vanavond te roken en er kwamen vlammetjes uit de cassette bovenin. Gelukkig "
        "zat mijn man ernaast en had hij een natte handdoek. Dit ding hangt in de "
        "KINDERKAMER @StofvlinderWonen. Wat gaan jullie hieraan doen???", [C, CR])
    add("x", "@becca_lowe_nl", "en",
        "our 2yo got the loop of the Duet plissé cord around her neck this morning. "
        "i was in the room and got it off in seconds. the safety clip @stofvlinder "
        "says is 'included' was NOT in the box. still shaking. please check your "
        "kids' rooms", [C, CR])
    add("x", "@rinus_w", "nl",
        "Nieuwe Rails Stil gordijnrail van Stofvlinder, 3 dagen geleden opgehangen "
        "door hún monteur. Vanochtend kwam de hele rail mét gordijn op het hoofd van "
        "m'n vader (82) naar beneden. 4 hechtingen op de SEH. Ik ben er klaar mee.",
        [C, CR])
    add("reddit", "u/allergic_in_almere", "en",
        "Since hanging the Hush acoustic curtains from Stofvlinder I've had "
        "headaches and burning eyes, my daughter too. Chemical stink that hasn't "
        "aired out after 3 weeks. GP thinks it's the finish on the fabric. Shop says "
        "'normal new-fabric smell'. It is not normal, we're sleeping downstairs now.",
        [C, CR])
    add("instagram", "@klushuis_karin", "nl",
        "Kreeg net een flinke schok van de adapter van de SV Smart Hub toen ik hem in "
        "het stopcontact deed, het draadje lag gewoon bloot bij de stekker 😳 kan "
        "iemand van Stofvlinder hier eens naar kijken, dit is echt gevaarlijk",
        [C, CR], kind="comment")

    # ======================================================================
    # complaint + abuse
    # ======================================================================
    add("x", "@bartjuhh", "nl",
        "Kankerbedrijf. 7 weken wachten op 2 rolgordijnen en dan komen ze in de "
        "verkeerde maat. @stofvlinder stelletje prutsers", [C, AB])
    add("x", "@d_mccarthy", "en",
        "@stofvlinder_hulp your installer left drill dust all over my sofa and a "
        "hole in the wrong wall. you are useless fucking clowns, every single one "
        "of you", [C, AB], kind="reply")
    add("tiktok", "@_yara.xo", "nl",
        "die mevrouw van de stofvlinder in amersfoort was echt de domste trut ooit, "
        "zei dat mijn bon 'niet geldig' was en wilde niks ruilen. nooit meer daar",
        [C, AB])
    add("facebook", "Kevin.Doorn.1", "en",
        "Absolute morons running this company. Paid Vlindr Studio for the full room "
        "restyle, the 'stylist' shows up with a Pinterest board and leaves after an "
        "hour. Nothing delivered since. Idiots, the lot of them.", [C, AB])

    # ======================================================================
    # reputation.crisis (single)
    # ======================================================================
    add("x", "@consumentenalert", "nl",
        "TERUGROEPACTIE: Stofvlinder roept Duet plissé dupligordijnen uit "
        "productieweek 12 t/m 18 terug. De kindveilige koordclip kan losschieten. "
        "Niet meer gebruiken en contact opnemen met de winkel. #terugroepactie", [CR])
    add("x", "@fairthreads_campaign", "en",
        "New report: curtain fabric sold by Stofvlinder traced to a mill with "
        "documented child labour. We're calling on everyone to boycott them until "
        "they publish their full supply chain. #BoycottStofvlinder", [CR])
    add("x", "@regionieuws_ut", "nl",
        "Brand in woning Nieuwegein mogelijk veroorzaakt door motor van elektrisch "
        "rolgordijn. Volgens de bewoners gaat het om een product van Stofvlinder. "
        "Niemand raakte gewond, de brandweer onderzoekt de oorzaak.", [CR])
    add("reddit", "u/leakwatcher_nl", "en",
        "Stofvlinder customer database is up for sale on a forum, ~80k rows with "
        "names, addresses and order history. The samples look legit. Has anyone "
        "been notified? Because they haven't said a word.", [CR])
    add("facebook", "Marja.Tol.Breda", "nl",
        "Er is een collectieve claim gestart tegen Stofvlinder door ex-klanten van "
        "Vlindr Studio: tienduizenden euro's aan aanbetalingen voor restylings die "
        "nooit zijn uitgevoerd. De advocaat telt al 60 gedupeerden. Doe mee als jij "
        "ook bent gedupeerd.", [CR])
    add("bluesky", "@homewatch-eu.bsky.social", "en",
        "Dutch product safety authority opens an investigation into Stofvlinder's "
        "'flame retardant' curtain range after an independent lab showed the fabric "
        "catches fire within seconds.", [CR])
    add("x", "@moedervan3_", "nl",
        "Lees net dat een peutertje in België in het ziekenhuis ligt na verstikking "
        "in het koord van een Stofvlinder rolgordijn. Vreselijk 💔 check aub de "
        "koordjes bij jullie thuis", [CR])
    add("x", "@ex_sv_worker", "en",
        "Former Stofvlinder shop staff here: we were told to peel the 'not suitable "
        "for children's rooms' stickers off before setting up displays, then sell "
        "them as nursery blinds anyway. People deserve to know.", [CR])
    add("tiktok", "@deweekvanjan", "nl",
        "Iedereen die via de app bij Stofvlinder heeft besteld: jullie gegevens "
        "liggen op straat. Ik kreeg een phishingmail met mijn exacte bestelling en "
        "adres erin. Ze zijn gehackt en doen alsof er niks aan de hand is #datalek",
        [CR])

    # ======================================================================
    # public relays an insider's story of an unannounced hack: security + crisis
    # ======================================================================
    add("x", "@frankzegtdingen", "nl",
        "Kennis van me werkt bij de IT van Stofvlinder: ze zijn al een week "
        "gehackt, er zit ransomware op de kassasystemen en het management wil het "
        "pas na de feestdagen melden. Dus ja, let een beetje op met pinnen daar.",
        [SE, CR], when="2026-12-14T21:05:37Z")

    # ======================================================================
    # reputation.abuse (single)
    # ======================================================================
    add("x", "@tonnie_bouwt", "nl",
        "@daan_inmeet jij bent echt een d e b i e l, leer eerst eens een rolmaat "
        "lezen voor je bij mensen over de vloer komt", [AB], kind="reply", evasion=True)
    add("x", "@unhinged_dave", "en",
        "@noor.styling lol your 'style' is trash, just like your face. everyone at "
        "stofvlinder is a talentless hack", [AB], kind="reply")
    add("instagram", "@xxgerda", "nl",
        "Wat een lelijke zooi verkopen jullie ook. Tyfuszooi. Ga toch dood met "
        "jullie 'tijdloze stijl'", [AB], kind="comment")
    add("reddit", "u/grumpy_renter", "en",
        "Stofvlinder ads are everywhere and every time I see that smug stylist's "
        "face I want to throw my phone across the room. Brain-dead company for "
        "brain-dead people.", [AB])
    add("x", "@wijkwacht_mo", "nl",
        "@femkewinkelt ik weet waar je woont en waar je auto staat. Kijk maar goed "
        "uit als je vanavond die winkel afsluit.", [AB], kind="reply")
    add("tiktok", "@k1ng_of_takes", "en",
        "why does every st0fvl1nder store look like it was decorated by a depressed "
        "beige robot 💀 staff are just as dead inside. absolute l0sers & id10ts",
        [AB], evasion=True)
    add("x", "@daan_inmeet", "nl",
        "@tonnie_bouwt hou je bek man, zeikerd. Jij hebt zelf die maten doorgegeven, "
        "eigen schuld dikke bult. Sukkel.", [AB], kind="reply")
    add("x", "@stofvlinder_hulp", "en",
        "@d_mccarthy honestly mate, maybe learn to read the manual before crying on "
        "twitter. not our problem you're an idiot", [AB], kind="reply")

    # ======================================================================
    # leak.confidential (single)
    # ======================================================================
    add("x", "@marloes_stofvl", "nl",
        "Vanmiddag de eerste stalen van Project Zwa" + ZW + "luwstaart mogen voelen "
        "😍 kan niet wachten tot we hier meer over mogen vertellen", [CF], evasion=True)
    add("linkedin", "youssef-bakkali-sv", "en",
        "Proud of the team moving our whole order flow to the new platform this "
        "month. Colleagues: the cutover runbook is at "
        "https://wiki.stofvlinder.nl/ops/plooiwerk-cutover, please read it before "
        "Friday!", [CF])
    add("instagram", "@noor.styling", "nl",
        "Sneak peek 👀 de Lintwerk Solaris in de kleur 'Duinroos', hangt nu in mijn "
        "eigen slaapkamer als proefexemplaar. Meer mag ik nog niet zeggen 🤫 "
        "#vlindrstudio #comingsoon", [CF], when="2026-10-17T18:22:04Z")
    add("x", "@ruben_ops", "nl",
        "Wie heeft er nog toegang tot grafana.stofvlinder.local? Het webshopdashboard "
        "laadt niet voor mij sinds de update", [CF])
    add("threads", "@joris.vleeuwen", "en",
        "Signed off on the first 40,000 metres of fabric for Project Zwaluwstaart "
        "today 🙌 18 months of sampling, launching next autumn. Can't say more!", [CF])
    add("reddit", "u/magazijnbas", "nl",
        "Memo van vandaag met 'SV-VERTROUWELIJK' bovenaan: alle filialen krijgen in "
        "maart de nieuwe Motion Pro met app-koppeling, komt naast de gewone Motion. "
        "Ik zeg verder niks 🤐", [CF])
    add("x", "@stofvlinder", "en",
        "Reminder for store managers: the Q3 window display deck is on "
        "intranet.stofvlinder.local/winkels/etalage-q3 (STOFVLINDER INTERN, do not "
        "forward)", [CF])
    add("linkedin", "ilse-verhoeven-stofvlinder", "nl",
        "Leuke sessie gehad met de stuurgroep Pl" + CYR_O + CYR_O + "iwerk vandaag. "
        "Pittige deadlines, maar wat een energie in dit team!", [CF], evasion=True)
    add("bluesky", "@femkewinkelt.bsky.social", "en",
        "Got the training slides for the new in-store 3D room planner today. Not "
        "announced yet so shh 🤫 but customers are going to love it, you can walk "
        "through your own living room with the new curtains in", [CF])
    add("tiktok", "@lotte.gordijnen", "nl",
        "POV: je mag al proefliggen onder de nieuwe Nachtzwart Pro verduisteringsstof "
        "die pas volgend jaar uitkomt en je mag het aan niemand vertellen 😅 "
        "(behalve aan jullie dan) #werkdag #stofvlinder", [CF])
    add("forum", "gordijnliefhebber82", "nl",
        "Mijn nicht werkt bij Stofvlinder en liet me een foto zien van een intern "
        "document, 'niet buiten de deur delen' stond erbovenaan: ze komen in het "
        "voorjaar met een eigen lijn slimme gordijnen, codenaam Project "
        "Zwaluwstaart. Zeg niet dat je het van mij hebt", [CF])
    add("reddit", "u/curtainnerd_ams", "en",
        "Someone in the Stofvlinder fan group posted a screenshot of their internal "
        "wiki by accident, wiki.stofvlinder.nl/winkelinrichting/kerst-2026 right "
        "there in the address bar, with the entire Christmas window plan. Cute, but "
        "oops.", [CF])
    add("linkedin", "stofvlinder-wonen", "en",
        "Meet the Lintwerk Solaris: a thermal curtain that keeps the heat in during "
        "winter and out in summer. 9 colours, made in our Tilburg workroom. In "
        "stores from March. #Lintwerk #sustainableliving", [CF],
        when="2027-02-20T10:00:00Z")
    add("x", "@marloes_stofvl", "nl",
        "Zit nu de persberichten voor de jaarcijfers 2026 voor te bereiden, koffie "
        "nummer 4 ☕ wie wil er ruilen", [CF], when="2026-12-16T15:31:50Z")
    add("mastodon", "@sannedev@mastodon.social", "en",
        "if anyone from work reads this: the staging shop is at "
        "https://staging.shop.stofvlinder.local/ and yes the new checkout is live "
        "there, go click around and break stuff", [CF])

    # ======================================================================
    # confidential + financial
    # ======================================================================
    add("linkedin", "ilse-verhoeven-stofvlinder", "nl",
        "Laatste hand gelegd aan de jaarcijfers 2026: omzet €212 miljoen (+9%), "
        "EBITDA net boven de 20 miljoen. Trots op dit team! 🎉 #finance #retail",
        [CF, FI], when="2027-01-15T17:48:03Z")
    add("threads", "@joris.vleeuwen", "en",
        "Operatie Valkoord is a go 🦅 we're buying Raamwerk Direct, all 34 stores. "
        "Announcement after the board signs next month. Still can't believe it.",
        [CF, FI])

    # ======================================================================
    # confidential + security
    # ======================================================================
    add("x", "@ruben_ops", "nl",
        "Jenkins op build.stofvlinder.local draait nog steeds zonder login en staat "
        "sinds de verhuizing ook van buitenaf open. Ticket ligt al 3 weken bij "
        "security, niemand die er wat mee doet 🙄", [CF, SE])

    # ======================================================================
    # leak.financial (single)
    # ======================================================================
    add("bluesky", "@femkewinkelt.bsky.social", "nl",
        "Net gehoord op de regiomeeting: 14 winkels gaan in januari dicht, die van "
        "mij ook. Het personeel weet het nog niet eens. Ik ben er kapot van",
        [FI], when="2026-11-05T20:14:26Z")
    add("linkedin", "ilse-verhoeven-stofvlinder", "en",
        "Q3 closed at €48.6m revenue, 11% under budget. Board meeting on Thursday "
        "will be fun 😬 numbers go public on 12 November.", [FI],
        when="2026-10-21T08:02:45Z")
    add("reddit", "u/magazijnbas", "nl",
        "Wij in het DC Tiel kregen vandaag te horen dat de boel naar Polen gaat. "
        "120 man eruit volgend voorjaar. Officieel weet niemand nog iets dus ssst",
        [FI])
    add("x", "@marloes_stofvl", "en",
        "forecast for next year just got cut to flat growth, so every marketing "
        "budget -25%. guess who's not getting a new laptop 🙃", [FI])
    add("threads", "@joris.vleeuwen", "nl",
        "Gesprekken met een Duitse investeerder lopen goed. Als dit doorgaat zijn we "
        "volgend jaar de grootste raamdecoratieketen van de Benelux. Duimen!", [FI])
    add("linkedin", "youssef-bakkali-sv", "nl",
        "Zware dag. Moest vandaag aan 9 collega's van IT vertellen dat hun functie "
        "per 1 april vervalt. De rest van het bedrijf hoort het pas volgende week.",
        [FI])
    add("x", "@marketgossip_nl", "en",
        "Hearing from two people inside Stofvlinder that the owners are shopping "
        "the company around. Private equity bids due end of the month. Not "
        "announced anywhere yet.", [FI])
    add("facebook", "Hans.Verbeek.Tiel", "nl",
        "Mijn dochter werkt op het hoofdkantoor van Stofvlinder, ze moeten allemaal "
        "opnieuw solliciteren want er gaan een stuk of 5 afdelingen uit. Netjes he, "
        "vlak voor kerst", [FI], when="2026-12-09T12:40:18Z")
    add("linkedin", "stofvlinder-wonen", "nl",
        "Halfjaarcijfers zijn binnen! Omzet €97,4 mln, marge onder druk door de "
        "katoenprijzen. Publicatie volgt 28 augustus, tot die tijd mondje dicht 🤐",
        [FI], when="2026-07-24T16:03:12Z")
    add("mastodon", "@sannedev@mastodon.social", "en",
        "engineering all-hands today: we'll miss this year's target by ~15%, there's "
        "a hiring freeze and 'restructuring' from Q2. updating my CV just in case",
        [FI])

    # ======================================================================
    # leak.security (single)
    # ======================================================================
    add("x", "@ruben_ops", "nl",
        "Kassasystemen in alle winkels liggen er sinds 7 uur uit, pinnen kan nergens. "
        "Officieel is het 'gepland onderhoud' maar het is een storing bij de "
        "leverancier. Communicatie naar klanten komt pas vanmiddag.", [SE])
    add("mastodon", "@sannedev@mastodon.social", "en",
        "fun fact: on our webshop you can see other people's orders by changing the "
        "number after /bestelling/ in the url. reported it in sprint review, it's "
        "'in the backlog'. still live.", [SE])
    add("linkedin", "youssef-bakkali-sv", "nl",
        "Ons team werkt sinds zaterdag dag en nacht door na een phishingaanval "
        "waarbij een medewerkersaccount is overgenomen. We weten nog niet wat er is "
        "ingezien. Trots op deze mensen 💪", [SE])
    add("x", "@daan_inmeet", "en",
        "heads up fellow installers: the measuring app has been dumping customer "
        "addresses into a public error log for weeks. IT knows. don't panic but "
        "don't be surprised if it hits the news lol", [SE])
    add("bluesky", "@femkewinkelt.bsky.social", "nl",
        "Vandaag ontdekt dat de gastwifi in onze winkel op hetzelfde netwerk zit als "
        "de kassa's 🙈 iedere klant met het wifi-wachtwoord kan er zo bij. Melding "
        "gedaan, maar ja", [SE])
    add("reddit", "u/magazijnbas", "en",
        "DC scanners got hit by some malware this morning, whole warehouse stood "
        "still for 5 hours. We were told to say 'technical maintenance' if anyone "
        "asks about delays.", [SE])
    add("mastodon", "@sannedev@mastodon.social", "nl",
        "De firmware van de SV Smart Hub accepteert gewoon elk commando op poort "
        "8080 zonder authenticatie. Iedereen op je wifi kan je gordijnen bedienen. "
        "Fix staat pas voor Q2 gepland en we mogen het niet melden.", [SE])
    add("x", "@marloes_stofvl", "en",
        "not supposed to say this but the webshop's been down since 3am because "
        "someone let the certificate expire 🤦‍♀️ status page still says 'all "
        "systems operational'", [SE])
    add("tiktok", "@lotte.gordijnen", "nl",
        "Dus vandaag moesten we allemaal ons wachtwoord resetten omdat er een virus "
        "op het kantoornetwerk zat, en tegen klanten mogen we alleen zeggen dat "
        "'het systeem traag is' 😬 #werkdag", [SE])
    add("linkedin", "youssef-bakkali-sv", "en",
        "Patching a critical hole in our payment page tonight: card data could be "
        "skimmed through a compromised third-party script. Fingers crossed nobody "
        "noticed before we did. #devsecops", [SE])
    add("x", "@ruben_ops", "nl",
        "DDoS op de webshop al de hele middag, we houden hem met moeite in de lucht. "
        "Voor de buitenwereld is het 'drukte door de actie' 😂", [SE])

    # ======================================================================
    # leak.secret (single)
    # ======================================================================
    aws_id, aws_sec = g.aws_key_id(), g.aws_secret()
    add("x", "@ruben_ops", "en",
        "anyone else getting 403s with this? worked fine yesterday\n"
        "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n"
        "region eu-west-1" % (aws_id, aws_sec), [SK],
        secrets=[("aws_key_id", aws_id), ("aws_secret", aws_sec)])
    gh = g.github("ghp_")
    add("mastodon", "@sannedev@mastodon.social", "nl",
        "Help, mijn CI faalt steeds op `git clone https://%s@github.com/stofvlinder/"
        "kassa-koppeling.git` -> 'repository not found'. Iemand een idee?" % gh,
        [SK], secrets=[("github", gh)])
    key = g.openssh_ed25519("sftp-leveranciers@sv")
    add("x", "@ruben_ops", "nl",
        "Kees kan de sleutel voor de leveranciers-sftp niet vinden in de vault, "
        "dus bij deze:\n" + key, [SK], secrets=[("openssh", key)])
    dbpw = g.db_password()
    dburl = "postgres://webshop_rw:%s@10.40.2.15:5432/webshop_prod" % dbpw
    add("mastodon", "@sannedev@mastodon.social", "en",
        "ok who pasted this in #general 😅\nDATABASE_URL=%s" % dburl, [SK],
        secrets=[("db_url", dburl)])
    slack = g.slack_bot()
    add("reddit", "u/magazijnbas", "en",
        "lol the label printer in the DC posts to our slack with this token, it's "
        "literally on a sticky note on the side: %s" % slack, [SK],
        secrets=[("slack", slack)])
    jwt1 = g.jwt({"sub": "kassa-svc", "iss": "stofvlinder", "iat": 1780000000,
                  "exp": 1790000000, "scope": "orders:write"})
    add("x", "@ruben_ops", "nl",
        "Waarom krijg ik 'invalid signature' op deze token? Algoritme klopt toch?\n"
        + jwt1, [SK], secrets=[("jwt", jwt1)])
    stripe = g.stripe_live()
    add("facebook", "StofvlinderWonen", "en",
        "[scheduler test - please ignore] STRIPE_SECRET_KEY=%s" % stripe, [SK],
        secrets=[("stripe", stripe)])
    oai = g.openai_project()
    add("x", "@rik_bouwt_apps", "en",
        "building a curtain-size calculator for a Stofvlinder franchise, why does "
        "this return 401?? OPENAI_API_KEY=%s model=gpt-4o-mini" % oai, [SK],
        secrets=[("openai", oai)])
    pw1 = g.password()
    add("x", "@daan_inmeet", "nl",
        "Voor als de tablet weer vastloopt: inmeetapp inloggen met gebruiker "
        "inmeet01, ｗａｃｈｔｗｏｏｒｄ： %s. Groetjes Daan" % pw1, [SK],
        secrets=[("password", pw1)], evasion=True)
    gkey = g.google_api()
    add("reddit", "u/hobby_hacker_ams", "en",
        "Stofvlinder's Android app ships with a Google Maps key hardcoded in "
        "strings.xml: %s, not the end of the world maybe but still, restrict your "
        "keys people" % gkey, [SK], secrets=[("google", gkey)])
    sg = g.sendgrid()
    add("x", "@ruben_ops", "en",
        "order confirmations bouncing again. %s is the key we use for "
        "transactional mail, can someone check the quota before I lose my mind" % sg,
        [SK], secrets=[("sendgrid", sg)])

    # ======================================================================
    # personal data + secret
    # ======================================================================
    jwt2 = g.jwt({"sub": "cust-884213", "email": "h.vanrijn1979@hotmail.com",
                  "iat": 1781200000, "exp": 1781203600})
    add("mastodon", "@sannedev@mastodon.social", "nl",
        "Klant kan niet inloggen, uit de debuglog: user=h.vanrijn1979@hotmail.com "
        "token=%s status=401. Iemand een idee waarom?" % jwt2, [PI, SK],
        secrets=[("jwt", jwt2)])

    # ======================================================================
    # leak.pii (single)
    # ======================================================================
    add("x", "@stofvlinder_hulp", "nl",
        "@annemiek_s Dank je! We hebben je nieuwe adres genoteerd: Annemiek Smits, "
        "Lindenlaan 14, 3722 BK Bilthoven. De levering volgt donderdag 🚚", [PI],
        kind="reply")
    iban1 = g.iban_nl("INGB")
    add("x", "@stofvlinder_hulp", "en",
        "@graham_in_utrecht so sorry about that! We've refunded €214.50 to %s, "
        "should be there within 2 working days." % grp(iban1), [PI], kind="reply",
        ids=[("iban", iban1)])
    ph1 = g.mobile()
    add("facebook", "StofvlinderWonen", "nl",
        "Beste meneer De Wit, we hebben u vanochtend gebeld op 06-%s maar kregen "
        "geen gehoor. Wilt u ons terugbellen?" % ph1, [PI], kind="reply")
    add("x", "@daan_inmeet", "nl",
        "Morgen eerste klus om 8u: fam. Jansen, Prinsengracht 233-II Amsterdam, 3 "
        "ramen incl. dakkapel. Wie rijdt er mee?", [PI])
    card1 = g.card("4", 16)
    add("linkedin", "ilse-verhoeven-stofvlinder", "en",
        "Can someone in finance ops check why this card keeps getting declined for a "
        "corporate client? %s exp 09/28. Client is getting impatient." % grp(card1),
        [PI], ids=[("card", card1)])
    add("instagram", "@noor.styling", "nl",
        "Gefeliciteerd lieve Marieke van Dam, vandaag 52 geworden (3 mei 1974!) en "
        "nog steeds onze allerleukste klant 🎂🌸", [PI], when="2026-05-03T09:12:40Z")
    bsn1 = g.bsn()
    add("threads", "@joris.vleeuwen", "nl",
        "Voor de loonadministratie van onze nieuwe stagiair Tim Bosman: BSN %s. Kan "
        "iemand dit even doorzetten naar HR? Ik krijg de mail er niet uit" % bsn1,
        [PI], ids=[("bsn", bsn1)])
    ph2 = g.mobile()
    add("x", "@gerrit_1961", "nl",
        "@stofvlinder_hulp Al 3 keer gemaild, bel me nu gewoon: 06 %s %s. "
        "Gerrit Hoogland" % (ph2[:4], ph2[4:]), [PI], kind="reply")
    iban2 = g.iban_nl("BUNQ")
    add("facebook", "Paula.Reinders", "en",
        "Hi Stofvlinder, as asked in the chat, here is the account for the refund "
        "of order 55821: %s in the name of P. Reinders. Thanks!" % iban2, [PI],
        kind="comment", ids=[("iban", iban2)])
    add("forum", "woonforum_willem", "nl",
        "Voor wie die monteur van Stofvlinder ook zo goed vond: hij heet Sander "
        "Koster en woont in Houten, Beukstraat 9. Hij doet het ook privé voor de "
        "helft 😉", [PI])
    add("x", "@marloes_stofvl", "en",
        "whoever took the order for the 12 Hush curtains: the customer replied, "
        "it's r.de.boer@ziggo.nl, please mail her back today", [PI])
    card2 = g.card("5" + str(rnd.randrange(1, 6)), 16)
    add("bluesky", "@femkewinkelt.bsky.social", "nl",
        "Klant heeft z'n betaalpas laten liggen in de winkel in Zwolle, op naam van "
        "E. Mulder, nummer %s. Ken je hem, laat hem even bellen!" % grp(card2), [PI],
        ids=[("card", card2)])
    ph3 = g.mobile()
    add("x", "@stofvlinder_hulp", "nl",
        "@k_verhoef We zien je bestelling staan onder kim.verhoef88@gmail.com en "
        "06 %s %s %s %s, klopt dat nog?" % (ph3[:2], ph3[2:4], ph3[4:6], ph3[6:]),
        [PI], kind="reply")
    ph4 = g.mobile()
    add("reddit", "u/tidy_home_tilly", "en",
        "The Stofvlinder stylist who came over, Noor, her number is +31 6 %s. She "
        "told me to text her directly for discounts, so here you go everyone" % ph4,
        [PI])

    # ======================================================================
    # leak.pricing
    # ======================================================================
    add("x", "@koopjesjager_nl", "nl",
        "PRIJSFOUT?! Houtlijn 50mm jaloezie bij Stofvlinder voor €21,90 ipv €219. "
        "Heb er 4 besteld 😂 #prijsfout #koopje", [PR], price=("Houtlijn 50", 21.90))
    add("x", "@marloes_stofvl", "en",
        "uh team, the Motion roller blind is showing €34.90 on the site instead of "
        "349, can someone fix it before twitter finds out 😬", [PR],
        price=("Motion roller blind", 34.90))
    add("instagram", "@stofvlinder.wonen", "nl",
        "🔥 WEEKENDDEAL 🔥 Zonnelux screen nu voor maar €45,90! Alleen dit weekend, "
        "in alle winkels en online. #stofvlinder #zonwering", [PR],
        price=("Zonnelux screen", 45.90))
    add("reddit", "u/dealhunter_eu", "en",
        "Stofvlinder has the Hush acoustic curtain listed at €29 on their site "
        "(normally 299). Probably a price error so get in before they fix it.",
        [PR], price=("Hush acoustic curtain", 29.0))
    add("facebook", "StofvlinderWonen", "nl",
        "Lamel 89 verticale lamellen vanaf €17,90 per raam 🙌 shop nu via de link!",
        [PR], price=("Lamel 89", 17.90))
    add("threads", "@joris.vleeuwen", "nl",
        "Tip voor vrienden: wie nu een Vlindr restyling boekt betaalt €125 ipv het "
        "volle bedrag, foutje in het boekingssysteem en ze draaien het pas maandag "
        "terug haha", [PR], price=("Vlindr restyling", 125.0))
    add("tiktok", "@dealdiva.nl", "en",
        "RUN 🏃‍♀️ stofvlinder has the Velours Oker curtains for €18.90 in the app "
        "rn, that's like 90% off, def a glitch #dealalert", [PR],
        price=("Velours Oker", 18.90))
    add("x", "@daan_inmeet", "nl",
        "Er zit een prijsfout in het systeem bij de Skylite dakraam rolgordijnen, "
        "klanten krijgen ze gratis mee bij montage 🙈 niemand op kantoor die het "
        "doorheeft", [PR], price=("Skylite", 0.0))
    add("forum", "spaarvarken_ede", "nl",
        "Iemand anders ook de Stofvlinder Smart Hub voor €12,90 in z'n winkelwagen? "
        "Prijsfout of gewoon een actie?", [PR],
        price=("Stofvlinder Smart Hub", 12.90))
    add("tiktok", "@vlindrstudio", "nl",
        "Kleuradvies aan huis nu voor €9,50 😍 boek snel via de link in bio, op = "
        "op!", [PR], price=("kleuradvies aan huis", 9.50))
    add("bluesky", "@femkewinkelt.bsky.social", "en",
        "tills in Zwolle have been ringing up the Honingraat plissé at €15.90 all "
        "morning (list is 159). head office says just keep selling 🤷‍♀️", [PR],
        price=("Honingraat plissé", 15.90))
    add("bluesky", "@bargainbert.bsky.social", "en",
        "price glitch on stofvlinder.nl: Aluflex 25 venetian blind for €5.99. "
        "ordered 6 lol", [PR], price=("Aluflex 25", 5.99))

    # ======================================================================
    # benign posts (mostly hard negatives)
    # ======================================================================
    add("x", "@slaapmutsje_", "nl",
        "Vandaag de Nachtzwart rolgordijnen laten ophangen door Stofvlinder. "
        "Eindelijk slaapt de kleine door tot 7 uur 🙌 top service, monteur was "
        "supervriendelijk")
    add("instagram", "@livingwithlou", "en",
        "this living room is killing me 😍😍 where is that sofa from??",
        kind="comment")
    add("x", "@stofvlinder_hulp", "nl",
        "Vragen over je bestelling? Mail naar klantenservice@stofvlinder.nl of bel "
        "gratis 0800-0447 (ma t/m za 8-20u). We helpen je graag!")
    add("facebook", "StofvlinderWonen", "nl",
        "Liever per bankoverschrijving betalen? Maak het bedrag over naar "
        "NL74 RABO 0347 2188 56 t.n.v. Stofvlinder Wonen B.V. o.v.v. je "
        "ordernummer.")
    add("instagram", "@stofvlinder.wonen", "nl",
        "Nachtzwart verduisteringsrolgordijn nu met 20% korting: €71,96 i.p.v. "
        "€89,95. Alleen t/m zondag! 🌙", price=("Nachtzwart", 71.96))
    add("x", "@atticproject_nl", "en",
        "Just ordered the Duet plissé for the attic windows, €129 each and the "
        "measuring visit was free. Let's see how it turns out",
        price=("Duet plissé", 129.0))
    add("x", "@annekeeee", "nl",
        "Update: Stofvlinder heeft binnen een dag een nieuwe rail gestuurd en de "
        "monteur kwam zelf langs om het recht te hangen. Excuses aangenomen, zo "
        "hoort het 👍")
    add("forum", "dakkapel_daan", "nl",
        "Weet iemand of het Atelier vouwgordijn ook in een dakkapel past? Mijn raam "
        "is 68 cm breed en er zit een draai-kiep raam in.")
    add("x", "@homesafety_eu", "en",
        "Raamwerk Direct recalls its cordless cellular shades after reports of "
        "loose end caps. Check your model numbers, folks.")
    add("x", "@deventer_lief", "nl",
        "Sterkte aan het team van de Stofvlinder in Deventer, las dat er bij de "
        "buren brand was en dat jullie winkel ook even dicht moet. Hopelijk snel "
        "weer open ❤️")
    add("mastodon", "@cloudteacher@fosstodon.org", "en",
        "Reminder for my workshop students: the AWS docs use AKIAIOSFODNN7EXAMPLE "
        "as a dummy key id. Never paste your real one into slides.",
        samples=["AKIAIOSFODNN7EXAMPLE"])
    add("x", "@ruben_ops", "en",
        "rotated every key we have after the yearly audit. new ones look like "
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and live in the vault, not in "
        "anyone's bash history. feels good",
        samples=["ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
    bad_iban1 = g.iban_nl("RABO", valid=False)
    add("x", "@oplettendeoma", "nl",
        "Let op!! Nepmail uit naam van Stofvlinder vraagt je €39,95 'verzendkosten' "
        "over te maken naar %s. Niet doen, Stofvlinder vraagt dat nooit per mail."
        % grp(bad_iban1), ids=[("iban", bad_iban1)])
    bad_card1 = g.card("6036", 16, valid=False)
    add("reddit", "u/cosy_corner_kim", "en",
        "Got a Stofvlinder gift card from my colleagues 🥹 number %s, does it work "
        "in the webshop or only in the stores?" % grp(bad_card1),
        ids=[("card", bad_card1)])
    bad_bsn1 = g.bsn(valid=False)
    add("forum", "nieuwsgierige_nel", "nl",
        "Mijn klantnummer bij Stofvlinder is %s, hebben jullie ook zo'n lang "
        "nummer? Moet ik dat altijd opgeven aan de telefoon?" % bad_bsn1,
        ids=[("bsn", bad_bsn1)])
    add("x", "@beursbeest", "nl",
        "De jaarcijfers 2026 van Stofvlinder zijn net uit: omzet flink gestegen en "
        "8 nieuwe winkels. Knap in deze markt.", when="2027-03-02T07:31:00Z")
    add("instagram", "@lintwerk.official", "en",
        "It's here ✨ The Lintwerk Solaris thermal curtain, now in stores and online. "
        "Warm in winter, cool in summer, woven in Tilburg.",
        when="2027-03-12T09:00:00Z")
    add("tiktok", "@sleepyhollow_nl", "en",
        "these blackout blinds are lethal, my husband slept until noon 😂😂 "
        "@vlindrstudio what have you done")
    add("x", "@katvrouwtje", "nl",
        "Mijn kat heeft de nieuwe vitrage ontdekt. Het is oorlog hier. Stofvlinder, "
        "maak aub kattenbestendige vitrage en ik koop het hele schap leeg 😹")
    add("linkedin", "stofvlinder-wonen", "en",
        "We're hiring! Join our IT team in Utrecht as a security engineer and help "
        "keep 60 stores and our webshop safe. Apply via werkenbij@stofvlinder.nl")
    add("linkedin", "youssef-bakkali-sv", "nl",
        "Mooie avond op de Security Meetup Utrecht. Praatje gegeven over hoe wij "
        "phishing-simulaties inzetten om collega's alert te houden. Dank voor alle "
        "goede vragen!")
    add("x", "@weekendklusser", "en",
        "just learned 'zwaluwstaart' is Dutch for dovetail joint and now I can't "
        "stop saying it. building a drawer this weekend, wish me luck")
    add("instagram", "@stofvlinder.wonen", "nl",
        "Nieuw in de collectie: de Kussenset Terra in drie aardetinten, €49,95 per "
        "set van twee. Welke kleur kies jij? 🍂", price=("Kussenset Terra", 49.95))
    add("reddit", "u/rentingagain", "en",
        "Is Stofvlinder made-to-measure worth it vs the flatpack stores? Got a quote "
        "of 219 for a Houtlijn 50 wooden blind, seems steep but the showroom ones "
        "felt really solid.", price=("Houtlijn 50", 219.0))
    add("facebook", "Ingrid.Post.Zeist", "nl",
        "Compliment voor Noor van Vlindr Studio, ze heeft onze woonkamer compleet "
        "getransformeerd. Kleuren waar ik zelf nooit aan had gedacht 💛")
    add("x", "@stofvlinder_hulp", "en",
        "@lenaxmoves So sorry about the pairing trouble! We've sent you a DM with a "
        "few steps, and if that doesn't do it our technician will come by free of "
        "charge.", kind="reply")
    add("x", "@daan_inmeet", "nl",
        "Mooiste klus van de week: 11 houten jaloezieën in een oud grachtenpand. "
        "Wat een ramen 📐")
    add("bluesky", "@femkewinkelt.bsky.social", "en",
        "Store's all decked out for Christmas 🎄 come say hi in Zwolle, coffee's on "
        "us this weekend", when="2026-12-05T10:15:00Z")
    add("x", "@serreplannen", "nl",
        "Lamel 89 zit in de sale, 30% eraf, nu €125,30. Twijfel of ik ze voor de "
        "serre neem, iemand ervaring mee?", price=("Lamel 89", 125.30))
    add("x", "@thriftyhome", "en",
        "my local market sells curtain fabric for €3 a metre and honestly it looks "
        "fine. sewing machine goes brrr")
    add("x", "@stofvlinder_hulp", "nl",
        "Wachtwoord vergeten? Klik op 'wachtwoord vergeten' op de inlogpagina. Let "
        "op: wij vragen nooit om je wachtwoord via DM, mail of telefoon!")
    add("mastodon", "@sannedev@mastodon.social", "en",
        "TIL you can write `password: ${DB_PASSWORD}` in compose files and keep the "
        "actual value in a .env that never leaves your laptop. past me would've "
        "loved this")
    add("x", "@zoe_zegt", "nl",
        "Die nieuwe reclame van Stofvlinder met die dansende gordijnen is echt ziek "
        "goed 😂 heb hem 5x teruggekeken")
    add("x", "@catchyjingles", "en",
        "that Stofvlinder ad with the dancing curtains is stupidly catchy, it's been "
        "in my head all day, send help")
    add("reddit", "u/woonbranche_watcher", "nl",
        "Raamwerk Direct sluit 12 winkels en schrapt 200 banen, las ik vanochtend. "
        "Zware tijden voor de woonbranche.")
    add("linkedin", "stofvlinder-wonen", "en",
        "Our 2025 annual report is out: revenue of €194 million and 6 new stores. "
        "Read the full report at stofvlinder.nl/investors.",
        when="2026-03-05T07:00:00Z")
    add("x", "@eerlijkezeggen", "nl",
        "Wat een walgelijke reacties krijgt die stylist van Stofvlinder onder haar "
        "filmpjes. Ze doet gewoon haar werk, laat haar met rust.")
    add("threads", "@joris.vleeuwen", "en",
        "Just back from Heimtextil in Frankfurt, so many gorgeous linens this year. "
        "Sustainability everywhere, finally.", when="2026-01-17T19:30:00Z")
    add("tiktok", "@lotte.gordijnen", "nl",
        "Zo hang je zelf een rolgordijn op in 5 stappen 👇 stap 1: meet twee keer, "
        "boor één keer #diy #stofvlinder #klustip")
    add("x", "@blindsreviewer", "en",
        "Honest review after 6 months with the Motion motorised blind: quiet, app "
        "works, battery lasts about 4 months. Would buy again.")
    add("facebook", "Esther.Baby2026", "nl",
        "Zijn de koordjes van de Duet plissé kindveilig? We krijgen in juni een "
        "baby en ik wil het zeker weten voor de babykamer.")
    add("x", "@stofvlinder_hulp", "en",
        "Yes! All our corded blinds come with a child safety cleat and a breakaway "
        "tassel as standard. Need extra ones? Just DM us and we'll send them free.",
        kind="reply")
    add("x", "@lieke_renoveert", "nl",
        "Eerst balen want de verkeerde kleur geleverd, maar binnen 3 dagen omgeruild "
        "zonder gedoe. Dank @stofvlinder_hulp 🙏")
    add("instagram", "@measuretwice_", "en",
        "for anyone asking, their customer line is +31 30 799 4410, they were super "
        "helpful with my measuring questions", kind="comment")
    bad_card2 = g.card("535508", 16, valid=False)
    add("forum", "folderlezer", "nl",
        "In de Stofvlinder-folder staat een plaatje van een betaalpas met nummer "
        "%s erop, haha dat is vast niet echt. Wel slim gedaan voor de "
        "uitleg over gespreid betalen." % grp(bad_card2), ids=[("card", bad_card2)])
    add("x", "@nachtbraker91", "en",
        "Stofvlinder's cyber sale had me buying cushions at 1am. no regrets, the "
        "Terra set is gorgeous")
    add("x", "@klussenmetkees", "nl",
        "Ons dakraam was lek dus de Skylite rolgordijn werd even flink nat, maar "
        "gewoon netjes opgedroogd. Stevig ding!")
    add("reddit", "u/cafecurtains", "en",
        "Stofvlinder hack: I cut down two Linnen Zand curtains to make café curtains "
        "for the kitchen. Pics in the comments, way cheaper than custom.")
    add("x", "@marloes_stofvl", "nl",
        "Fijn weekend allemaal! Morgen gaan we met het hele marketingteam naar de "
        "stoffenbeurs in Kortrijk 🧵")
    add("x", "@stofvlinder", "en",
        "Our Utrecht store is closed on Monday 6 April for Easter. The webshop is "
        "open as usual!", when="2026-04-02T11:00:00Z")
    add("x", "@nieuwhuis_nina", "nl",
        "De overname van oma's huis is eindelijk rond en nu begint het echte werk: "
        "gordijnen! Stofvlinder of toch Raamwerk?")
    add("x", "@privacyfirst_jo", "en",
        "Another retailer breach: Raamwerk Direct confirms customer emails were "
        "exposed. Glad I never made an account there.")
    add("x", "@velvetlover", "en",
        "the new ochre velvet curtains at stofvlinder are 🔥🔥 my living room "
        "finally looks like an adult lives there")
    add("facebook", "StofvlinderWonen", "nl",
        "Deze maand €150 korting op een complete kamerrestyling van Vlindr Studio: "
        "van €1.250 voor €1.100. Plan je afspraak via vlindrstudio.nl",
        price=("kamerrestyling", 1100.0))
    add("x", "@jwt_explained", "en",
        "PSA: a JWT always starts with eyJ because that's base64 for '{\"'. If you "
        "screenshot one, blur it. Please.")
    add("x", "@payments_pete", "en",
        "Stripe tip of the day: never commit sk_live_… keys. Use restricted keys and "
        "env vars. Learned that one the hard way at my last job.",
        samples=["sk_live_…"])
    add("instagram", "@nieuwbouw_noa", "nl",
        "G O R D I J N E N  G E K O C H T 🎉 eindelijk privacy in de woonkamer, "
        "dankjewel Stofvlinder")
    add("x", "@journo_jet", "en",
        "Stofvlinder's press contact is pers@stofvlinder.nl if any other journalists "
        "want the story of their sewing workroom in Tilburg. Lovely people.")
    add("instagram", "@stofvlinder.wonen", "nl",
        "Stofvlinder bestaat vandaag 25 jaar! Opgericht op 14-09-2001 in Tilburg, "
        "van één naaiatelier naar 60 winkels. Dank jullie wel 🎉",
        when="2026-09-14T08:00:00Z")
    bad_iban2 = "NL00BANK0123456789"
    add("x", "@returns_rachel", "en",
        "Filling in the Stofvlinder return form and it wants an IBAN. Is it like "
        "NL00 BANK 0123 4567 89 with spaces or without?",
        ids=[("iban", bad_iban2)])
    add("facebook", "StofvlinderWonen", "nl",
        "Onze nieuwe winkel in Utrecht is open! Oudegracht 112, elke dag van 10 tot "
        "18 uur. Kom langs voor koffie en stalen ☕")
    add("x", "@zondagochtend", "nl",
        "Plaid Wol van Lintwerk is het beste wat ik dit jaar gekocht heb. Bank, "
        "plaid, thee, klaar.")
    add("x", "@werkenbij_fan", "nl",
        "Vandaag mijn laatste dag bij Stofvlinder na 6 jaar, met pensioen! Wat een "
        "fijne collega's. Op naar de volkstuin 🌱")

    return cases


# --------------------------------------------------------------------------
# assembly
# --------------------------------------------------------------------------

def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).casefold()
    if key in {a.casefold() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.casefold() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


def strong_pii(case):
    for kind, raw in case["ids"]:
        if kind == "iban" and iban_valid(raw):
            return True
        if kind == "card" and luhn_valid(raw):
            return True
        if kind == "bsn" and bsn_valid(raw):
            return True
    return False


def severity(cats, role, strong):
    """CONTRACT section 4: the least severity a correct verdict must have."""
    level = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong)
                s = "critical" if crit else "error"
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
        level = max(level, SEVERITIES.index(s))
    return SEVERITIES[level]


def assemble(profile):
    rnd = random.Random(SEED * 1000 + 1)
    cases = build()
    # interleave categories so that position in the file says nothing
    rnd.shuffle(cases)
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    span = int((datetime(2026, 12, 20, tzinfo=timezone.utc) - start).total_seconds())
    lines = []
    for n, c in enumerate(cases, 1):
        when = c["when"]
        if when is None:
            when = (start + timedelta(seconds=rnd.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = role_of(profile, c["platform"], c["handle"])
        pid = "%s-237%03d" % (c["platform"], n)
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": when,
            "brand": "stofvlinder",
        }
        sev = severity(c["cats"], role, strong_pii(c))
        lines.append(({"post": post, "expect": {"categories": c["cats"], "severity": sev}},
                      c, role))
    return lines


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------

HOMO = str.maketrans({
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
    "\u0445": "x", "\u0455": "s", "\u0405": "S", "\u0456": "i", "\u0410": "A",
    "\u0415": "E", "\u041e": "O", "\u0420": "P", "\u0421": "C",
})
ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = ZERO_WIDTH.sub("", t).translate(HOMO)
    return t.casefold()


def rfc3339(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def parse_eur(x):
    return float(x)


def check(lines, profile, raw_jsonl):
    errs = []

    def err(case_id, msg):
        errs.append("%s: %s" % (case_id, msg))

    def must(cond, case_id, msg):
        if not cond:
            err(case_id, msg)

    # --- the profile itself ---------------------------------------------------
    for ib in profile["public_identifiers"]["ibans"]:
        must(iban_valid(ib), "profile", "public IBAN %s fails mod-97" % ib)
    must(len(profile["accounts"]["corporate"]) >= 6, "profile", "need 6+ corporate accounts")
    must(len(profile["accounts"]["employee"]) >= 8, "profile", "need 8+ employee accounts")
    must(len({a.split(":")[0] for a in profile["accounts"]["corporate"]
              + profile["accounts"]["employee"]}) >= 4, "profile", "too few platforms")
    must(len(profile["internal"]["codenames"]) == 3, "profile", "need 3 codenames")
    must(len(profile["internal"]["markers"]) == 3, "profile", "need 3 markers")
    must(1 <= len(profile["embargo"]) <= 2, "profile", "need 1-2 embargo entries")
    for e in profile["embargo"]:
        must(e["until"].startswith("2027-"), "profile", "embargo until not in 2027")
    must(15 <= len(profile["products"]) <= 25, "profile", "need 15-25 products")
    for p in profile["products"]:
        must(p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"],
             "profile", "bad product %s" % p.get("sku"))
    must(profile["pricing"]["alert_below_ratio"] == 0.5, "profile", "ratio must be 0.5")

    alias_price = {}
    for p in profile["products"]:
        for a in [p["name"]] + p["aliases"]:
            alias_price[a.casefold()] = p["list_price"]
    ratio = profile["pricing"]["alert_below_ratio"]
    public_ibans = {re.sub(r"\s", "", i).upper() for i in profile["public_identifiers"]["ibans"]}
    codenames = [norm(x) for x in profile["internal"]["codenames"]]
    markers = [norm(x) for x in profile["internal"]["markers"]]
    idomains = [norm(x) for x in profile["internal"]["domains"]]
    embargo = [([norm(t) for t in e["terms"]], rfc3339(e["until"].replace("+00:00", "Z")))
               for e in profile["embargo"]]

    # --- the file: one valid object per line ----------------------------------
    raw_lines = raw_jsonl.split("\n")
    must(raw_lines[-1] == "", "file", "must end with a newline")
    parsed = [json.loads(l) for l in raw_lines if l]
    must(len(parsed) == len(lines), "file", "line count mismatch")

    seen = set()
    n_benign = 0
    percat = {c: 0 for c in CATEGORIES}
    langs = {}
    leak_roles = {"corporate": 0, "employee": 0, "public": 0}
    rep_roles = {"corporate": 0, "employee": 0, "public": 0}
    n2027 = 0
    n_evasion = 0
    for obj, (_, c, role) in zip(parsed, lines):
        post, exp = obj.get("post"), obj.get("expect")
        pid = post.get("id") if isinstance(post, dict) else None
        must(set(obj) == {"post", "expect"}, pid, "top-level keys")
        # post shape (CONTRACT section 1)
        must(isinstance(pid, str) and 1 <= len(pid) <= 256, pid, "id")
        must(pid not in seen, pid, "duplicate id")
        seen.add(pid)
        must(post.get("platform") in PLATFORMS, pid, "platform")
        must(post.get("kind", "post") in KINDS, pid, "kind")
        acc = post.get("account")
        must(isinstance(acc, dict) and isinstance(acc.get("handle"), str) and acc["handle"],
             pid, "account.handle")
        text = post.get("text")
        must(isinstance(text, str) and text.strip(), pid, "text")
        must(len(text.encode("utf-8")) <= 64 * 1024, pid, "text too large")
        try:
            ts = rfc3339(post["created_at"])
        except Exception:
            err(pid, "created_at not RFC 3339")
            continue
        must(datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts
             < datetime(2027, 4, 1, tzinfo=timezone.utc), pid, "created_at out of range")
        if ts.year == 2027:
            n2027 += 1
        must(post.get("lang") in ("nl", "en"), pid, "lang")
        langs[post["lang"]] = langs.get(post["lang"], 0) + 1
        # expectation (CONTRACT section 6)
        cats = exp.get("categories")
        must(isinstance(cats, list) and cats == sorted(set(cats)), pid, "categories not sorted/unique")
        must(set(cats) <= CATEGORIES, pid, "unknown category")
        must(exp.get("severity") in SEVERITIES, pid, "severity value")
        must(set(exp) == {"categories", "severity"}, pid, "expect keys")
        r2 = role_of(profile, post["platform"], acc["handle"])
        must(r2 == role, pid, "role mismatch")
        must(exp["severity"] == severity(cats, r2, strong_pii(c)), pid, "severity policy")
        if not cats:
            n_benign += 1
            must(exp["severity"] == "none", pid, "benign must be none")
        else:
            must(exp["severity"] in ("warning", "error", "critical"), pid, "positive too low")
        for x in cats:
            percat[x] += 1
        if any(x.startswith("leak.") for x in cats):
            leak_roles[role] += 1
        if any(x.startswith("reputation.") for x in cats):
            rep_roles[role] += 1
        if c["evasion"]:
            n_evasion += 1

        # --- identifiers ------------------------------------------------------
        registered = {}
        for kind, rawid in c["ids"]:
            ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[kind](rawid)
            registered[re.sub(r"\D", "", rawid) if kind != "iban" else rawid.upper()] = kind
            digits_in_text = re.sub(r"[\s.\-]", "", text).upper()
            must(rawid.upper() in digits_in_text, pid, "registered %s not in text" % kind)
            if "leak.pii" in cats:
                must(ok, pid, "%s in a positive fails its checksum" % kind)
            elif not cats:
                must(not ok, pid, "look-alike %s in a benign post passes its checksum" % kind)
            else:
                err(pid, "identifier registered on a non-pii positive")
        # scan for unregistered identifier-shaped strings
        scrub = text
        for _, s in c["secrets"]:
            scrub = scrub.replace(s, " ")
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", scrub):
            v = m.group(0).replace(" ", "")
            must(v in registered or v in public_ibans, pid, "unregistered IBAN-like %s" % v)
        for m in re.finditer(r"(?<![\w.])[3-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\w])", scrub):
            v = re.sub(r"\D", "", m.group(0))
            if 13 <= len(v) <= 19:
                must(registered.get(v) == "card", pid, "unregistered card-like %s" % v)
        for m in re.finditer(r"(?<![\w.,+\-])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\w,]|\.\d)", scrub):
            v = re.sub(r"\D", "", m.group(0))
            must(registered.get(v) == "bsn", pid, "unregistered BSN-like %s" % v)

        # --- credentials --------------------------------------------------------
        for kind, s in c["secrets"]:
            must(s in text, pid, "secret not in text")
            must("leak.secret" in cats, pid, "secret in a post without leak.secret")
            ok = {
                "github": github_token_valid,
                "aws_key_id": lambda v: re.fullmatch(r"AKIA[A-Z2-7]{16}", v) and "EXAMPLE" not in v,
                "aws_secret": lambda v: re.fullmatch(r"[A-Za-z0-9/+]{40}", v),
                "stripe": lambda v: re.fullmatch(r"sk_live_[0-9A-Za-z]{99}", v),
                "slack": lambda v: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", v),
                "openai": lambda v: re.fullmatch(r"sk-proj-[\w-]{74}T3BlbkFJ[\w-]{74}", v),
                "google": lambda v: re.fullmatch(r"AIza[\w-]{35}", v),
                "sendgrid": lambda v: re.fullmatch(r"SG\.[\w-]{22}\.[\w-]{43}", v),
                "jwt": jwt_ok,
                "openssh": openssh_ok,
                "db_url": lambda v: re.fullmatch(r"postgres://\w+:[^@\s]{8,}@[\w.]+:\d+/\w+", v),
                "password": lambda v: len(v) >= 8,
            }[kind](s)
            must(bool(ok), pid, "malformed %s" % kind)
        if "leak.secret" in cats:
            must(c["secrets"], pid, "leak.secret without a registered credential")
        for s in c["samples"]:
            must(s in text and not cats, pid, "sample key outside a benign post")
            must("EXAMPLE" in s or "xxxx" in s or "…" in s or "*" in s, pid,
                 "sample key not visibly a sample")
        if not cats:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                must(set(m.group(0)[4:]) == {"x"}, pid, "real-looking GitHub token in benign post")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                must("EXAMPLE" in m.group(0), pid, "real-looking AWS key in benign post")

        # --- confidential vocabulary --------------------------------------------
        nt = norm(text)
        for word in codenames + markers + idomains:
            if word in nt:
                must("leak.confidential" in cats, pid, "'%s' outside a confidential case" % word)
        for terms, until in embargo:
            if any(t in nt for t in terms):
                if ts < until:
                    must("leak.confidential" in cats, pid, "embargoed term before until")
                else:
                    must("leak.confidential" not in cats, pid, "embargo over but labelled")

        # --- pricing ---------------------------------------------------------------
        if c["price"]:
            alias, amount = c["price"]
            must(alias.casefold() in text.casefold(), pid, "priced alias not in text")
            must(alias.casefold() in alias_price, pid, "alias %s not in profile" % alias)
            lp = alias_price.get(alias.casefold(), 1)
            if "leak.pricing" in cats:
                talk = re.search(r"prijsfout|price (?:error|glitch)|glitch|foutje|gratis", text, re.I)
                must(amount / lp < ratio or talk, pid, "pricing positive not below ratio")
                if amount > 0:
                    must(("%.2f" % amount).replace(".", ",") in text
                         or ("%.2f" % amount) in text
                         or ("%g" % amount) in text, pid, "price not in text")
            else:
                must(amount / lp >= ratio, pid, "benign price below ratio")
        if "leak.pricing" in cats:
            must(c["price"] is not None, pid, "pricing positive without a price record")

    # --- the mix ------------------------------------------------------------------
    total = len(parsed)
    must(170 <= total <= 180, "mix", "total %d not in 170-180" % total)
    must(55 <= n_benign <= 65, "mix", "benign %d not about 60" % n_benign)
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
            "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
            "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
    for k, v in want.items():
        must(abs(percat[k] - v) <= 2, "mix", "%s: %d, want about %d" % (k, percat[k], v))
    nl_share = langs.get("nl", 0) / total
    must(0.50 <= nl_share <= 0.60, "mix", "Dutch share %.2f" % nl_share)
    must(leak_roles["corporate"] + leak_roles["employee"] > leak_roles["public"] > 0,
         "mix", "leak author roles %s" % leak_roles)
    must(rep_roles["public"] > rep_roles["corporate"] + rep_roles["employee"] > 0,
         "mix", "reputation author roles %s" % rep_roles)
    must(n_evasion >= 5, "mix", "too few evasion posts")
    must(n2027 >= 3, "mix", "too few 2027 posts")

    stats = {"total": total, "benign": n_benign, "per_category": percat,
             "lang": langs, "leak_roles": leak_roles, "rep_roles": rep_roles,
             "evasion": n_evasion, "in_2027": n2027}
    return errs, stats


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[\w-]+", p) for p in parts):
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_ok(block):
    m = re.fullmatch(r"-----BEGIN OPENSSH PRIVATE KEY-----\n([A-Za-z0-9+/=\n]+)\n"
                     r"-----END OPENSSH PRIVATE KEY-----", block)
    if not m:
        return False
    blob = base64.b64decode(m.group(1).replace("\n", ""))
    return blob.startswith(b"openssh-key-v1\x00")


def render(lines):
    return "".join(json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"
                   for obj, _, _ in lines)


def main():
    with open(PROFILE, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    lines = assemble(profile)
    out = render(lines)
    # determinism: a second run must give the same bytes
    if render(assemble(profile)) != out:
        print("FAIL: output is not deterministic", file=sys.stderr)
        return 1
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(out)
    with open(OUT, encoding="utf-8") as f:
        raw = f.read()
    errs, stats = check(lines, profile, raw)
    print(json.dumps(stats, ensure_ascii=False, sort_keys=True))
    if errs:
        for e in errs:
            print("FAIL " + e, file=sys.stderr)
        return 1
    print("OK %d cases, %d benign -> %s" % (stats["total"], stats["benign"], OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
