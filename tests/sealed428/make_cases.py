#!/usr/bin/env python3
"""Evaluation set sealed428 for postwatch: Solvenne Eyewear (fictional sunglasses/sports eyewear).

Deterministic: fixed seed, hand-written post texts. Writes cases.jsonl beside this script
and self-checks it against CONTRACT v1 (format, severity policy, checksums, embargo, prices).
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
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(428)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ZW = "\u200b"


# ----------------------------------------------------------------- identifier builders
def iban_check_ok(iban):
    s = re.sub(r"[\s\u200b\u200c\u200d\u2060\ufeff]", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def bad_iban():
    good = make_iban()
    cd = int(good[2:4])
    for delta in range(1, 97):
        cand = "NL%02d%s" % ((cd + delta) % 100, good[4:])
        if not iban_check_ok(cand):
            return cand
    raise RuntimeError


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix="4"):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise RuntimeError


def group4(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bad_card(prefix="6"):
    good = make_card(prefix)
    return good[:-1] + str((int(good[-1]) + 3) % 10)


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
        last = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            return head + str(last)


def bad_bsn():
    while True:
        n = str(rng.randint(100000000, 999999999))
        if not bsn_ok(n):
            return n


# ----------------------------------------------------------------- secret builders
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    tok = tok.replace(ZW, "")
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key():
    return "AKIA" + "".join(rng.choice(B32) for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "+/") for _ in range(40))


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-webshop", "role": "admin", "iat": 1768212000,
                                 "exp": 1768219200}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(230))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def strong_pw():
    return rand(5) + rng.choice("!#$%") + rand(4) + rng.choice("!#$%") + rand(3)


# ----------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "s": "\u0455", "c": "\u0441", "p": "\u0440"}


def cyr(s, letters="aeos"):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# ----------------------------------------------------------------- generated values
V = {}
V["gh1"] = gh_token("ghp_")
V["gh_zw_raw"] = gh_token("ghp_")
V["gh_zw"] = V["gh_zw_raw"][:14] + ZW + V["gh_zw_raw"][14:27] + ZW + V["gh_zw_raw"][27:]
V["ghs"] = gh_token("ghs_")
V["aws"] = aws_key()
V["aws_secret"] = aws_secret()
V["stripe"] = "sk_live_51" + rand(22) + rand(74)
V["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13), rand(24))
V["openai"] = "sk-" + rand(20) + "T3BlbkFJ" + rand(20)
V["anthropic"] = "sk-ant-api03-" + rand(93, ALNUM + "-_") + "AA"
V["gapi"] = "AIza" + rand(35, ALNUM + "-_")
V["jwt"] = jwt()
V["sshkey"] = openssh_key()
V["pw1"] = strong_pw()
V["dbpw"] = strong_pw().replace("#", "x").replace("%", "q")
V["dburl"] = "postgres://shop_rw:%s@10.40.2.17:5432/orders" % V["dbpw"]

V["iban1"] = make_iban("INGB")
V["iban2"] = make_iban("ABNA")
V["iban3"] = make_iban("RABO")
V["iban_zw"] = V["iban3"][:4] + ZW + " " + V["iban3"][4:8] + " " + V["iban3"][8:12] + ZW + " " + V["iban3"][12:16] + " " + V["iban3"][16:]
V["card1"] = make_card("4")
V["card2"] = make_card("52")
V["bsn1"] = make_bsn()
V["bad_iban"] = bad_iban()
V["bad_card"] = bad_card("6")
V["bad_card2"] = bad_card("7")
V["bad_bsn"] = bad_bsn()
V["company_iban"] = PROFILE["public_identifiers"]["ibans"][0]

# ----------------------------------------------------------------- the posts
CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", at=None, ids=(), bad_ids=(), prices=(),
      url=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(cats),
                      kind=kind, at=at, ids=list(ids), bad_ids=list(bad_ids), prices=list(prices),
                      url=url, brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECU = "leak.confidential", "leak.financial", "leak.security"

# ---- complaints ------------------------------------------------------------------------
P("x", "@fenna_rijdt", "nl",
  "@solvenne_care al 3 weken wachten op het geld van mijn retour (Velox Pro). Retourlabel gescand op 2 mei, "
  "sindsdien radiostilte. Hoe lang nog??", [CPL], kind="reply")
P("x", "@coastal_mike", "en",
  "two months old and the polarized coating on my Marino is literally flaking off at the edges. "
  "\"not covered by warranty\" lol ok @solvenne_care", [CPL])
P("facebook", "Ingrid Molenaar", "nl",
  "Sportbril op sterkte (Prisma RX) besteld in de winkel in Utrecht, krijg ik hem terug met de cilinder verkeerd "
  "ingeslepen. Hoofdpijn vanaf dag 1 en nu weer twee weken wachten op nieuwe glazen. Echt teleurgesteld.",
  [CPL], kind="comment")
P("reddit", "u/gravel_grinder_nl", "en",
  "PSA: Solvenne webshop charged me twice for one Trailblaze order and support keeps sending the exact same "
  "canned reply. Third email now. Anyone else had this?", [CPL])
P("instagram", "@sophie.loopt", "en",
  "nice pics and all but my order from June 12th still hasn't shipped and nobody answers my emails. bit of a "
  "letdown tbh @solvenne.eyewear", [CPL], kind="comment")
P("x", "@tjerk_w", "en",
  "@solvenne_nl hinge on my Luna Cat-Eye snapped after 5 weeks of normal wear. For that money I expected a "
  "bit more than a flimsy bit of metal tbh", [CPL], kind="reply")
P("tiktok", "@milaontheslopes", "en",
  "ordered the Alpenglow in mirror blue, got plain grey 🙃 and the exchange form on the site just throws an error "
  "every time. cmon solvenne", [CPL], kind="comment")
P("forum", "brillenbob", "nl",
  "Klacht over de Halo Audio: verbinding met mijn telefoon valt om de 10 minuten weg. Firmware geüpdatet, "
  "helpt niks. Klantenservice zegt 'resetten'. Heb ik inmiddels zes keer gedaan. Iemand een oplossing? Zo niet "
  "dan gaat ie terug.", [CPL])
P("bluesky", "@kaylee.runs", "en",
  "third time the Solvenne app logs me out right at checkout. i literally just want to buy replacement lenses pls",
  [CPL])
P("x", "@daantje_vb", "en",
  "how are there scratches all over the lenses of my Kustlijn when it's only ever been in that hardcase?? "
  "explain pls @solvenne_care", [CPL])
P("facebook", "Gareth Pryce", "en",
  "Bought kids sunnies (Piccolo Kids) for my son for our holiday, a lens popped out on day two on the beach and we "
  "never found it. 59 euros. Quality control, anyone?", [CPL], kind="comment", prices=[("SV-PICC", 59)])

# ---- first-hand safety incidents: crisis + complaint -----------------------------------
P("x", "@nadia_k", "en",
  "my Halo Audio got SO hot while charging that it melted the nose pad and burned my fingers when I picked it up 😡 "
  "@solvenne_care this is dangerous, what are you going to do about it?", [CRI, CPL])
P("facebook", "Erik Jonkers", "nl",
  "Tijdens het fietsen schoot het glas van mijn Velox Pro eruit na een steentje en een splinter kwam in mijn oog. "
  "Vannacht op de SEH gezeten. Hoezo 'impact resistant', Solvenne??", [CRI, CPL])
P("instagram", "@mama_van_tess", "nl",
  "Mijn dochter heeft rode uitslag en blaartjes op haar neus van het montuur van de Piccolo Kids 😢 huisarts denkt "
  "aan een reactie op de coating. Ben echt boos @solvenne.eyewear", [CRI, CPL], kind="comment")
P("reddit", "u/offpiste_otto", "en",
  "Solvenne Stormvogel goggle fogged up completely and then the strap buckle just let go on a red run. Went down "
  "hard, cracked rib. Never again, and I want an answer from them.", [CRI, CPL])
P("x", "@kees_tuinier", "nl",
  "de oplader van mijn Halo Audio begon gewoon te roken op mijn bureau 😳 stekker er nog net op tijd uit. "
  "@solvenne_care wat is dit???", [CRI, CPL])

# ---- complaint + abuse ----------------------------------------------------------------
P("x", "@rvdheuvel", "nl",
  "@solvenne_care jullie zijn echt een stelletje kutoplichters, 6 weken en nog steeds geen geld terug voor mijn "
  "retour", [CPL, ABU], kind="reply")
P("x", "@ironjaw_dan", "en",
  "Solvenne customer service is run by absolute morons. Lens cracked in the case, they say it's MY fault. "
  "Fuck you guys.", [CPL, ABU])

# ---- complaint + pii ------------------------------------------------------------------
P("x", "@hansbroek", "nl",
  "@solvenne_care nog steeds geen reactie. bel me gwn terug op 06-41728830 ipv steeds die automatische mailtjes, "
  "mijn bril is gewoon kapot aangekomen", [CPL, PII], kind="reply")
P("facebook", "Sanne van Vleuten", "en",
  "Ordered my Trailblaze three weeks ago, order is under sanne.vleuten88@gmail.com and it's STILL 'processing'. "
  "Can someone please look at this?", [CPL, PII], kind="comment")
P("x", "@jkoops", "nl",
  "@solvenne_care mijn creditcard " + group4(V["card1"]) + " is 2x belast voor dezelfde bestelling, graag één "
  "keer terugboeken!!", [CPL, PII], kind="reply", ids=[("card", V["card1"])])

# ---- crisis (third party / accusations) ------------------------------------------------
P("x", "@lisa_online", "en",
  "Several people in my group chat are getting Solvenne order confirmations with OTHER customers' details in them. "
  "Names, addresses, everything. Did your customer database leak or what? #databreach", [CRI])
P("x", "@ethicalshopper", "en",
  "BOYCOTT Solvenne. Their 'sustainable' frames come from a factory that was just exposed for child labour. "
  "Share this. #boycottsolvenne", [CRI])
P("blog", "retailnieuws-nl", "nl",
  "Solvenne roept Halo Audio terug na meldingen van oververhitte accu's. Volgens de NVWA zijn er zeker vier "
  "gevallen van brandwonden gemeld. Klanten wordt gevraagd de bril niet meer op te laden.", [CRI],
  url="https://retailnieuws.example/solvenne-halo-terugroep")
P("reddit", "u/uvnerd", "en",
  "Heads up: a class action was filed against Solvenne Eyewear today over their UV400 claims. Independent lab "
  "tests show the Piccolo Kids lenses block way less UV than advertised.", [CRI])
P("x", "@zwemjuf_ans", "nl",
  "Zwemjuf hier. Vandaag bij twee kinderen het bandje van de Getij zwembril zien knappen, glas sloeg tegen hun oog. "
  "Ouders, let op! @solvenne_nl", [CRI])
P("x", "@n0t_impressed", "en",
  "So Solvenne's CEO was caught on video mocking customers with disabilities at a trade fair. Disgusting. Not "
  "spending another cent there.", [CRI])
P("facebook", "Wilma Hoekstra", "nl",
  "Mijn buurman is met de fiets onderuit gegaan omdat het glas van zijn Solvenne Velox Lite ineens versplinterde. "
  "Hij ligt in het ziekenhuis met een oogletsel. Dit moet echt onderzocht worden.", [CRI])
P("linkedin", "consumentenwaakhond", "en",
  "Our mystery shoppers found Solvenne stores selling 'polarized' sunglasses that are not polarized at all. We are "
  "preparing legal action on behalf of affected buyers.", [CRI])
P("tiktok", "@jorisduidtuit", "en",
  "anyone who ever ordered from solvenne: CHECK YOUR BANK STATEMENTS!! people are reporting weird charges after "
  "buying from their webshop #databreach #solvenne", [CRI])
P("x", "@arbeidsrecht_anouk", "nl",
  "Solvenne laat winkelpersoneel onderbetaald 60 uur per week draaien. Boycot die klotezooi gewoon.", [CRI, ABU])

# ---- abuse -----------------------------------------------------------------------------
P("x", "@kevin_zzz", "en", "@solvenne_nl your marketing team is a bunch of braindead clowns lmao", [ABU], kind="reply")
P("x", "@snelle_sjaak", "nl",
  "@lotte_zonnig ga toch lekker schijten jij met je 'klantvriendelijkheid', domme trut", [ABU], kind="reply")
P("instagram", "@dr1ft3r_", "nl", "s0lv3nn3 = k4nk3r b3dr1jf, st1kt3r gwn 🤮", [ABU], kind="comment")
P("youtube", "GrumpyCyclist77", "en",
  "the guy presenting this video is a f u c k i n g idiot, who hired him lol", [ABU], kind="comment")
P("x", "@ruudmeijer_dev", "nl",
  "@pietjebel88 wat een zeikerd ben jij zeg. lees gewoon de handleiding, idioot", [ABU], kind="reply")
P("x", "@mo_says", "en", "Solvenne staff are " + cyr("stupid assholes") + ", every single one of them", [ABU])
P("threads", "@boze_bas", "en", "What a shitty scumbag company Solvenne is. Hope you all go bankrupt 🖕", [ABU])
P("x", "@anon4729", "en",
  "@mkoster_slv nobody asked for your ugly face in every ad, go away you fat cow", [ABU], kind="reply")
P("x", "@capslockcarl", "en", fullwidth("SOLVENNE IS GARBAGE RUN BY IDIOTS"), [ABU])

# ---- confidential ---------------------------------------------------------------------
P("x", "@mkoster_slv", "nl",
  "Eindelijk de eerste samples van Project IJsvogel op mijn bureau. Dat display in het glas werkt echt 🤯 "
  "kan niet wachten tot jullie dit zien", [CONF])
P("linkedin", "eva-de-graaf-solvenne", "en",
  "Proud of the product team: the Vector X2 passed every drop test this week. Launch can't come soon enough!",
  [CONF])
P("instagram", "@solvennesport", "nl", "Sneak peek 👀 iets nieuws komt eraan... #VectorX2 #solvenne", [CONF])
P("reddit", "u/optician_sem", "nl",
  "Mag er niet veel over zeggen maar met Zilvermeeuw wordt de hele kassa + voorraad in de winkels vervangen. "
  "Eindelijk weg van dat oude systeem.", [CONF], kind="comment")
P("mastodon", "@jelle_ops@mastodon.nl", "nl",
  "wie heeft de runbook op https://intra.solvenne.local/wiki/ops/kassa-failover verplaatst? link is dood en ik heb "
  "dienst", [CONF])
P("x", "@lotte_zonnig", "nl",
  "Haha de nieuwe planning hangt in de kantine met in koeienletters 'SOLVENNE INTERN – zomercollectie 2027, "
  "3 nieuwe modellen in april' 🙈", [CONF])
P("x", "@a_pietersen", "en",
  "mate of mine works at solvenne, says the Vector X2 drops in march with a titanium frame, around €349. hyped", [CONF])
P("x", "@ruudmeijer_dev", "en",
  "who broke CI on gitlab.solvenne.internal again 😭 nobody can deploy today", [CONF])
P("linkedin", "bram-hendriks-solvenne", "nl",
  "Lange weken achter de rug met Operatie Koraalrif. Als dit rond komt verdubbelen we ons aantal winkels in "
  "België. Meer kan ik nog niet zeggen 😉", [CONF, FIN])
P("x", "@mkoster_slv", "nl",
  "Project IJ" + ZW + "svo" + ZW + "gel demo gaat morgen naar de investeerders 🤞", [CONF])
P("x", "@leakhunter_eu", "en",
  "leaked pic of the Solvenne " + cyr("Vector X2", "e") + " frame 👀 looks sick honestly", [CONF])
P("x", "@mkoster_slv", "nl",
  "briefing voor de campagne: 'solvenne-confidential – Alpenglow 2 lanceert in oktober met een olympisch skiester "
  "als ambassadeur' oeps moet ik dit niet posten 😂", [CONF])
P("x", "@solvenne_care", "nl",
  "@jip_fietst we hebben je ticket doorgezet naar de winkel, de status kun je hier volgen: "
  "https://kassa-beheer.solvenne.nl/tickets/88213", [CONF], kind="reply")
P("linkedin", "noor-el-idrissi", "nl",
  "Collega's, de interne vacatures voor het nieuwe seizoen staan online op intra.solvenne.local/hr/vacatures. "
  "Reageren kan tot vrijdag!", [CONF])
P("reddit", "u/freelance_fw", "en",
  "Did some contract work for Solvenne last year. Their smart glasses thing is called Project IJsvogel, prototype "
  "battery lasted about 2 hours lol", [CONF], kind="comment")
P("x", "@lotte_zonnig", "en",
  "Whole store team got trained on the Vector X2 today. Those shades are next level 😎", [CONF])
P("mastodon", "@jelle_ops@mastodon.nl", "en",
  "cert on vpn.solvenne.nl expires tomorrow. does anyone know who owns that box?", [CONF])
P("linkedin", "bram-hendriks-solvenne", "nl",
  "De jaarcijfers 2026 zijn klaar: omzet +14%, EBITDA-marge 11,2%. Trots op dit team! Publicatie volgt binnenkort.",
  [CONF, FIN], at="2027-02-10T16:42:00Z")

# ---- financial ------------------------------------------------------------------------
P("linkedin", "bram-hendriks-solvenne", "nl",
  "Omzetverwachting voor Q3 intern bijgesteld naar -8% door het natte voorjaar. Zware maanden in de retail, maar "
  "we komen er doorheen.", [FIN])
P("x", "@mkoster_slv", "en",
  "heard in the all-hands today: 6 stores closing in Q1 and about 40 FTE cut at HQ. not announced yet. rough day 😞",
  [FIN])
P("x", "@marketmole", "en",
  "Hearing from someone on Solvenne's board: they're in takeover talks with a big French eyewear group. Deal "
  "expected before summer.", [FIN])
P("linkedin", "eva-de-graaf-solvenne", "nl",
  "Webshop deed vorige maand €4,3 mln omzet, +31% jaar op jaar, beste maand ooit! (cijfers nog niet extern dus "
  "shhh 🤫)", [FIN])
P("reddit", "u/optician_sem", "en",
  "Rumours confirmed in our store meeting: management wants to sell the prescription/optician business to a "
  "private equity firm. Due diligence is already running.", [FIN])
P("threads", "@yara.vdlinden", "nl",
  "reorganisatie klantenservice is bevestigd, de helft van ons team gaat naar een callcenter in Portugal. nog niet "
  "officieel dus niks doorvertellen", [FIN])
P("x", "@ruudmeijer_dev", "en",
  "budget for next year just got slashed 35%, CFO says H2 numbers are way below plan. guess no new laptops for us",
  [FIN])
P("forum", "oud_collega_limburg", "en",
  "Former colleagues confirm it: Solvenne will close all 4 stores in Limburg at the end of the year, about 25 "
  "people out of a job. Not announced yet.", [FIN])
P("linkedin", "noor-el-idrissi", "nl",
  "Moeilijke dag. Vandaag de lijst gezien van de 32 collega's die gaan in de reorganisatie. De communicatie volgt "
  "pas volgende maand en dat voelt niet goed.", [FIN])
P("x", "@lotte_zonnig", "nl",
  "o v e r n a m e van Brilwerk Noord door Solvenne is rond, 2,8 miljoen, maandag pas bekend 🤐", [FIN])

# ---- security -------------------------------------------------------------------------
P("mastodon", "@jelle_ops@mastodon.nl", "en",
  "Rough night. Someone got into the webshop admin with an old API key and customer order data was exposed. "
  "We're not public with it yet, legal is still deciding 😩", [SECU])
P("x", "@ruudmeijer_dev", "nl",
  "tip voor wie het weet: /api/v2/orders/{id} op de shop checkt de user niet, je kunt gewoon andermans bestelling "
  "opvragen. ticket staat al 3 maanden open 🙃", [SECU])
P("x", "@lotte_zonnig", "nl",
  "Alle kassa's in de winkels liggen plat sinds 9 uur, ransomware zegt IT. Klanten kunnen alleen contant betalen. "
  "We mogen er niks over zeggen", [SECU])
P("threads", "@yara.vdlinden", "en",
  "we're not allowed to tell customers the webshop got hacked, we have to say 'technical issue' 🙄", [SECU])
P("reddit", "u/optician_sem", "en",
  "The eye-test PCs in our store still run Windows 7 and the patient records share is reachable from the guest "
  "wifi. Reported it twice internally, nothing happens.", [SECU])
P("x", "@solvenne_care", "nl",
  "@fietsfanaat_rob klopt, onze betaalprovider is sinds gisteren gecompromitteerd en we zetten iDEAL tijdelijk "
  "uit. Meer info volgt zodra we het officieel mogen melden.", [SECU], kind="reply")
P("linkedin", "eva-de-graaf-solvenne", "en",
  "Shoutout to our security team who worked all weekend after the phishing hit on finance. 3 mailboxes "
  "compromised but contained. Not public yet, but proud of you all 💪", [SECU])
P("x", "@bughunter_lena", "en",
  "pentested solvenne's webshop last month: password reset tokens are sequential. told them, still not fixed. "
  "just saying.", [SECU])
P("x", "@mkoster_slv", "nl",
  "nieuwsbrieftool is gelekt, zo'n 80k mailadressen van klanten liggen op straat. komt pas volgende week naar "
  "buiten 😬", [SECU])
P("mastodon", "@jelle_ops@mastodon.nl", "en",
  "webshop down again, orders db refusing connections. anyone on call?? I'm on the fallback now: " + V["dburl"],
  [SECU, SEC], ids=[("dburl", V["dburl"])])
P("x", "@ruudmeijer_dev", "en",
  "shop's been under DDoS for 4 hours, checkout is dead and marketing wants to call it 'planned maintenance' lol", [SECU])
P("instagram", "@daan.winkel.utrecht", "nl",
  "pinautomaat bij ons in de winkel ge" + ZW + "hackt, vanochtend een skimmer gevonden 😬 politie is er, niet "
  "verder vertellen", [SECU])
P("linkedin", "bram-hendriks-solvenne", "en",
  "Heads up to colleagues: our supplier payment system was breached and €180k went to a fraudulent account. Keep "
  "it quiet until the board statement.", [SECU])

# ---- secrets --------------------------------------------------------------------------
P("x", "@ruudmeijer_dev", "nl",
  "iemand ervaring met deze error? 'Bad credentials' met token " + V["gh1"] + " ... werkte gisteren nog prima",
  [SEC], ids=[("github", V["gh1"])])
P("mastodon", "@jelle_ops@mastodon.nl", "en",
  "note to self for the new laptop:\naws_access_key_id = " + V["aws"] + "\naws_secret_access_key = "
  + V["aws_secret"], [SEC], ids=[("aws", V["aws"])])
P("x", "@ruudmeijer_dev", "en",
  "stripe webhooks failing since the deploy. key is " + V["stripe"] + " is that even the right format?",
  [SEC], ids=[("stripe", V["stripe"])])
P("threads", "@yara.vdlinden", "nl",
  "voor de late dienst, de inlog van het leveranciersportaal: gebruiker solvenne_cs wachtwoord: " + V["pw1"] + " 🙏",
  [SEC], ids=[("password", V["pw1"])])
P("reddit", "u/optician_sem", "en",
  "Our store Slack bot stopped posting stock alerts. Token is " + V["slack"] + " and it just returns 401. Ideas?",
  [SEC], ids=[("slack", V["slack"])])
P("x", "@ruudmeijer_dev", "en",
  "OPENAI_API_KEY=" + V["openai"] + " works locally but prod says invalid key. why 😭", [SEC],
  ids=[("openai", V["openai"])])
P("x", "@jsdev_tim", "en",
  "lol solvenne's checkout bundle has a hardcoded Google key: " + V["gapi"] + " someone should tell them", [SEC],
  ids=[("google", V["gapi"])])
P("mastodon", "@jelle_ops@mastodon.nl", "nl",
  "ssh naar de bastion pakt deze key niet, iemand een idee?\n" + V["sshkey"], [SEC], ids=[("sshkey", V["sshkey"])])
P("x", "@ruudmeijer_dev", "en",
  "why is this JWT already expired?? " + V["jwt"] + " should be valid for 2h", [SEC], ids=[("jwt", V["jwt"])])
P("x", "@mkoster_slv", "en",
  "key for the product copy generator: " + V["anthropic"] + " (got it from Ruud, am I allowed to share it?)",
  [SEC], ids=[("anthropic", V["anthropic"])])
P("x", "@ruudmeijer_dev", "nl",
  "@jelle_ops dit is de deploy token " + V["gh_zw"] + " (niet doorsturen)", [SEC], kind="reply",
  ids=[("github", V["gh_zw"])])
P("forum", "codeneus", "en",
  "Found this in a public repo of Solvenne's agency: GITHUB_TOKEN=" + V["ghs"] + " in a CI config. Reported, but "
  "it's still there.", [SEC], ids=[("github", V["ghs"])])

# ---- pricing --------------------------------------------------------------------------
P("x", "@wielrenwouter", "nl",
  "WAUW Velox Pro voor €39 in de webshop van Solvenne?? bestellen voordat ze het fixen 🏃‍♂️", [PRC],
  prices=[("SV-VLX-PRO", 39)])
P("reddit", "u/dealzone", "en",
  "Price glitch alert: Solvenne Alpenglow skibril listed at €24.90 on shop.solvenne.nl right now", [PRC],
  prices=[("SV-ALP", 24.90)])
P("x", "@lotte_zonnig", "nl",
  "Kassa geeft de Stormvogel skibril aan voor €27,90 ipv €279 😂 komma verschoven, wie fixt dit", [PRC],
  prices=[("SV-STRM", 27.90)])
P("instagram", "@solvenne.eyewear", "nl",
  "🔥 FLASH SALE 🔥 Halo Audio nu voor maar €49! Alleen vandaag, op = op!", [PRC], prices=[("SV-HALO", 49)])
P("x", "@budgetbaas", "en", "is this a pricing error? Marino Polarized showing €16.90 😳", [PRC],
  prices=[("SV-MRN", 16.90)])
P("tiktok", "@koopjesqueen", "nl", "PRIJSFOUT bij solvenne!!! trailblaze voor 17,95 gaan gaan gaan 🏃‍♀️", [PRC],
  prices=[("SV-TRL", 17.95)])
P("threads", "@yara.vdlinden", "nl",
  "Collega's: klanten bellen massaal over de Orbit Shield voor €22,90 in de app. Dat is een fout, niet bevestigen "
  "aan de telefoon!", [PRC], prices=[("SV-ORB", 22.90)])
P("facebook", "Chris Doyle", "en",
  "Just got two Prisma RX for €89 each. Was expecting 329. Not complaining 😅", [PRC], prices=[("SV-PRSM", 89)])
P("x", "@hipster_henk", "en",
  "Nova Aviator on the Solvenne webshop for 25 euros. paid full whack for mine last year 🤡",
  [PRC], prices=[("SV-NOVA", 25)])
P("x", "@solvenne_nl", "nl", "Zomerdeal ☀️ de Kustlijn nu voor maar €19! Alleen online.", [PRC],
  prices=[("SV-KST", 19)])
P("bluesky", "@loopjes.bsky", "en",
  "prices on the solvenne webshop are broken lol, Gletsjer Glacier glasses for 9.99. grabbed three", [PRC],
  prices=[("SV-GLET", 9.99)])
P("x", "@ouder_van_3", "nl", "€45 voor de Alpenglow Junior? hoe kan dat, is dat een fout?", [PRC],
  prices=[("SV-ALP-JR", 45)])

# ---- personal data --------------------------------------------------------------------
P("x", "@solvenne_care", "nl",
  "@mirjam_k we hebben je vervangende Velox Lite vandaag verstuurd naar Mirjam Kok, Vossenlaan 27, 6531 SN "
  "Nijmegen. Track & trace volgt!", [PII], kind="reply")
P("facebook", "SolvenneNL", "nl",
  "Beste Henk, de terugbetaling van je Kustlijn is gedaan naar " + spaced_iban(V["iban1"]) + " t.n.v. H. Brouwer. "
  "Laat je even weten of het binnen is?", [PII], kind="comment", ids=[("iban", V["iban1"])])
P("threads", "@yara.vdlinden", "nl",
  "Klant aan de lijn die zijn BSN " + V["bsn1"] + " doorgaf voor de zorgverzekeraar-declaratie van zijn Prisma RX. "
  "Moeten we dat ergens noteren??", [PII], ids=[("bsn", V["bsn1"])])
P("facebook", "Dirk van Hoof", "en",
  "Selling my unused Alpenglow goggle, still in the box. Text me on +31 6 2843 1907 or mail dirk.vanhoof@outlook.com",
  [PII])
P("linkedin", "noor-el-idrissi", "nl",
  "Welkom aan onze nieuwe collega Fatma Yılmaz (geboren 14-03-1994) in de winkel in Haarlem! 🎉", [PII])
P("reddit", "u/optician_sem", "en",
  "Customer left her prescription in the store: Anouk Verbeek, DOB 02/11/1987, phone 06 38125540. Anyone know her?",
  [PII])
P("x", "@solvenne_care", "nl",
  "@tim_rijdt we zien je bestelling staan onder tim.vdberg@kpnmail.nl, klopt dat e-mailadres nog?", [PII],
  kind="reply")
P("x", "@juul_smit", "en",
  "hey @solvenne_care, please send my refund to " + V["iban2"] + " (J. Smit) 🙏", [PII], ids=[("iban", V["iban2"])])
P("x", "@lotte_zonnig", "en",
  "Who has the lost-and-found glasses of Mr Karel Dijkstra, Parkstraat 8 in Amersfoort? He's been calling all day 😅",
  [PII])
P("mastodon", "@jelle_ops@mastodon.nl", "en",
  "debug log from the webshop, anyone seen this? order=55123 card=" + V["card2"] + " exp=09/28 status=declined",
  [PII], ids=[("card", V["card2"])])
P("forum", "lieke_dw", "nl",
  "Voor wie mijn Stormvogel skibril wil overnemen: Lieke de Wit, Merelstraat 112, 2024 KT Haarlem. Ophalen kan in "
  "het weekend.", [PII])
P("bluesky", "@noor.visser", "en",
  "lost my Luna Cat-Eye (tortoise) at the Solvenne store in Amsterdam. if anyone finds it plz mail "
  "noor.visser92@gmail.com 🙏", [PII])
P("facebook", "SolvenneNL", "nl",
  "Hoi Sandra, je terugbetaling gaat naar IBAN " + V["iban_zw"] + ", binnen 3 werkdagen op je rekening.", [PII],
  kind="comment", ids=[("iban", V["iban_zw"])])
P("x", "@wielrenwouter", "nl",
  "Mijn Velox Pro is echt fire 🔥 200 km gefietst vandaag en geen moment hoeven knijpen tegen de zon")
P("instagram", "@lena.surfs", "en", "these Kustlijn shades are sick 😎 best buy of the summer #solvenne", kind="comment")
P("x", "@skimarjan", "nl", "Weet iemand of de Alpenglow skibril ook over een gewone bril op sterkte past?")
P("x", "@solvenne_care", "nl",
  "@anne_lyn stuur je ordernummer even naar klantenservice@solvenne.nl of bel gratis 0800-7658, dan kijken we "
  "met je mee!", kind="reply")
P("x", "@solvenne_nl", "nl",
  "Zomersale! 20% korting op alle Marino Polarized, nu €135,20 in plaats van €169 🌊", prices=[("SV-MRN", 135.20)])
P("x", "@fietsmama", "en", "scored a Velox Lite in the sale for €119, really happy with it", prices=[("SV-VLX-LT", 119)])
P("reddit", "u/trailrunner_eu", "en",
  "Is the Trailblaze worth 179 at Solvenne or should I just get cheaper running glasses?", prices=[("SV-TRL", 179)])
P("x", "@nieuwsjunk", "nl",
  "Brilwerk Noord sluit drie winkels en schrapt 20 banen, las ik vanochtend. Zonde, was een leuke zaak.")
P("x", "@dad_of_twins", "en",
  "OptiVista just recalled their kids' sunglasses over UV issues. Glad our Piccolo Kids from Solvenne passed the "
  "test our optician did 😌")
P("x", "@ruudmeijer_dev", "nl",
  "tip: gebruik nooit echte keys in voorbeelden, gewoon AKIAIOSFODNN7EXAMPLE zoals AWS zelf in de docs doet")
P("mastodon", "@jelle_ops@mastodon.nl", "nl",
  "README template bijgewerkt: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, vul je eigen token in en "
  "commit hem NIET")
P("x", "@beppie_b", "nl",
  "wachtwoord vergeten voor mijn Solvenne account en de resetlink kwam niet... oh wacht, spamfolder 🙈 opgelost")
P("x", "@tjerk_w", "en",
  "Update: @solvenne_care replaced my broken Luna within 2 days, no questions asked. Top service 👏")
P("x", "@hardloopclub_utr", "nl",
  "Respect voor de medewerkers van de Solvenne op de Neude die gisteren een hardloper met een zonnesteek opvingen "
  "tot de ambulance er was 💛")
P("forum", "fietsfrits", "nl",
  "Waarom pakt de Solvenne webshop mijn IBAN " + V["bad_iban"] + " niet? Oh wacht, typfout, twee cijfers "
  "omgedraaid. Laat maar 😅", bad_ids=[("iban", V["bad_iban"])])
P("x", "@cadeautje_cor", "nl",
  "Op mijn Solvenne cadeaukaart staat " + group4(V["bad_card"]) + ", waar vul ik dat in bij het afrekenen?",
  bad_ids=[("card", V["bad_card"])])
P("x", "@marieke_loopt", "nl",
  "Ordernummer " + V["bad_bsn"] + " is binnen, wat snel! De Trailblaze zit perfect 😊",
  bad_ids=[("bsn", V["bad_bsn"])])
P("x", "@gadgetgijs", "nl", "Vector X2 vandaag gekocht bij Solvenne, wat een ding 😍", at="2027-03-20T14:05:00Z")
P("x", "@solvenne_nl", "nl",
  "Hij is er: de Solvenne Vector X2 🕶️ Vanaf nu in alle winkels en op shop.solvenne.nl #VectorX2",
  at="2027-03-16T09:30:00Z")
P("linkedin", "solvenne-eyewear", "nl",
  "Vandaag publiceren wij onze jaarcijfers 2026: omzet €61,4 mln (+14%). Het volledige persbericht staat op "
  "solvenne.nl/pers", at="2027-02-24T07:05:00Z")
P("linkedin", "bram-hendriks-solvenne", "nl",
  "Trots op de jaarcijfers 2026 die we gisteren presenteerden. Dank aan alle collega's in de winkels en op kantoor!",
  at="2027-02-25T08:15:00Z")
P("x", "@grapjas_gert", "en",
  "my Solvenne shades are so dark I didn't recognise my own cat yesterday 😂")
P("x", "@outletjager", "en", "killer deal at the Solvenne outlet: free hardcase with every Kustlijn 👌")
P("youtube", "SkiTom", "en",
  "great review, the Stormvogel looks way better than my old goggles. price is steep though at 279", kind="comment",
  prices=[("SV-STRM", 279)])
P("instagram", "@strandtent_sanne", "nl",
  "Een zilvermeeuw jatte vandaag mijn patat op het strand van Scheveningen. Mijn Marino gelukkig niet 😂")
P("instagram", "@duikdiana", "nl",
  "Snorkelen bij het koraalrif op Bonaire met de Getij zwembril, kristalhelder zicht 🐠🐢")
P("x", "@natuurnico", "nl",
  "IJsvogel gespot langs de Vecht tijdens mijn fietsrondje. Zonder mijn Velox Pro had ik hem nooit gezien in dat "
  "tegenlicht")
P("x", "@solvenne_care", "nl",
  "@rick_optiek je oogmeting en recept behandelen we altijd vertrouwelijk, die delen we nooit met derden.",
  kind="reply")
P("x", "@tipstertom", "en",
  "life hack: clean your Solvenne lenses with the cloth they come with, not your shirt. saves you a ton of scratches")
P("x", "@mtb_mirthe", "en", "Crashed hard on the mtb last week, Trailblaze survived and so did my eyes. Tough stuff!")
P("x", "@lotte_zonnig", "nl", "Winkel Utrecht is zondag gesloten i.v.m. verbouwing, maandag vanaf 10u weer open! ☀️")
P("x", "@retailwatcher", "en",
  "So Zonnekap Optiek got bought by a German chain? Hope Solvenne stays independent")
P("x", "@journo_jet", "nl", "Persvragen over de nieuwe Solvenne collectie? Mail pers@solvenne.nl, stond op hun site")
P("facebook", "SolvenneNL", "nl",
  "Liever betalen via overschrijving? Dat kan op " + V["company_iban"] + " t.n.v. Solvenne Eyewear B.V. onder "
  "vermelding van je ordernummer.", kind="comment")
P("x", "@ruudmeijer_dev", "nl",
  "reminder voor devs: log nooit keys, ook niet half. zelfs sk_live_**** in een log is al te veel info 😉")
P("x", "@muziekmaarten", "en", "My Halo Audio plays so loud the neighbours sing along 🎶 10/10")
P("x", "@gravelgirl_", "nl",
  "Velox Pro heeft mijn ogen gered toen er een steentje opspatte bij de gravelrace. Kras in het glas, verder niks. "
  "Dank je Solvenne!")
P("instagram", "@solvenne.eyewear", "nl",
  "Nieuw in de collectie: de Luna Cat-Eye in rosé ✨ €139, shop via de link in bio", prices=[("SV-LUNA", 139)])
P("x", "@bril_op_sterkte", "nl",
  "met mijn ledenkorting (10%) kwam de Prisma RX op €296,10. duur, maar hij zit perfect",
  prices=[("SV-PRSM", 296.10)])
P("x", "@vraagvanvera", "en", "any Solvenne discount codes going around? like 15%? want a Nova Aviator")
P("x", "@solvenne_care", "nl",
  "@ellen_fietst wat vervelend om te horen van je valpartij! Fijn dat je bril je ogen heeft beschermd. "
  "Beterschap 💛", kind="reply")
P("linkedin", "noor-el-idrissi", "nl",
  "We zoeken een store manager voor onze winkel in Den Haag! Interesse? Mail werkenbij@solvenne.nl")
P("x", "@secure_sarah", "en",
  "another airline data breach this week 🙄 glad my Solvenne account at least has 2FA")
P("x", "@mkoster_slv", "nl",
  "Shoot voor de nieuwe Kustlijn-kleuren vandaag op het strand van Zandvoort ☀️ wat een dag!")
P("instagram", "@solvenne.eyewear", "nl",
  "Winkel Maastricht, Grote Staat 21: open van 10 tot 18 uur, zondag vanaf 12 uur 👋")
P("reddit", "u/gearnerd", "en",
  "The serial on my Trailblaze is " + group4(V["bad_card2"], "-") + ", is that how Solvenne registers warranty?",
  bad_ids=[("card", V["bad_card2"])])
P("youtube", "SolvenneSport", "nl",
  "In deze video laten we zien hoe je de glazen van je Velox Pro wisselt. Velox vervangglazen vind je op "
  "shop.solvenne.nl")
P("tiktok", "@solvenne", "nl", "POV: je vindt eindelijk de perfecte skibril 🎿 Alpenglow, nu in 4 kleuren")
P("linkedin", "eva-de-graaf-solvenne", "en",
  "After five great years at Solvenne I'm starting a new adventure next month. Thank you all, it's been a blast!")
P("x", "@kamper_koen", "en",
  "holy moly the Alpenglow is good, finally saw the piste in a whiteout yesterday. damn fine goggle")
P("x", "@fair_fashion_fem", "nl",
  "Niet Solvenne maar die fast-fashion keten moet geboycot worden. Solvenne doet het juist goed met hun "
  "gerecyclede monturen.")
P("bluesky", "@antwerpse_an", "en", "Anyone know when Solvenne opens in Antwerp? Saw a vacancy on their site")
P("x", "@solvenne_care", "nl",
  "@kim_loopt we hebben je IBAN eindigend op ...4300 genoteerd, de terugbetaling volgt binnen 5 werkdagen",
  kind="reply")
P("instagram", "@solvennesport", "en",
  "Water days ahead 🌊 Getij zwembril €39, add a Hardcase for €29 and you're set", prices=[("SV-GETIJ", 39),
                                                                                          ("SV-CASE", 29)])
P("x", "@alpineanna", "nl",
  "Alpenglow -30% in de wintersale, nu €174,30. Toch maar gedaan 🙈", prices=[("SV-ALP", 174.30)])
P("x", "@marloes.kookt", "nl",
  "Nog even over die verwerkingskosten: Solvenne heeft ze teruggestort en excuses gemaakt. Netjes opgelost 👍")
P("reddit", "u/dev_question", "en",
  "Newbie q: a JWT is header.payload.signature right? our Solvenne integration docs just show eyJ... placeholders")
P("threads", "@yara.vdlinden", "nl",
  "Lieve klanten, door drukte kan het antwoord op je mail iets langer duren. Je kunt ons ook bellen op 0800-7658 📞")
P("x", "@sheila_pmb", "en",
  "Sending love to the Solvenne folks in Rotterdam, the flooding near their store looked awful. Hope everyone's ok 💙")
P("x", "@pricewatch_piet", "nl",
  "Prijsfout bij Fietsplaza: helmen voor €4,99 😂 bij Solvenne kost een Clip-On Polarized gewoon €49, daar geen "
  "fouten", prices=[("SV-CLIP", 49)])


# ----------------------------------------------------------------- severity policy (CONTRACT §4)
RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


ZW_RE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.,])\d{9}(?![\d.,])")


def valid_ids_in(text):
    t = ZW_RE.sub("", text)
    found = []
    pub = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for m in IBAN_RE.finditer(t):
        if iban_check_ok(m.group()) and re.sub(r"\s", "", m.group()) not in pub:
            found.append(("iban", m.group()))
    for m in CARD_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(t):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def severity(cats, role, text):
    sev = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SEC, PRC):
                    s = 4
                if c == PII and valid_ids_in(text):
                    s = 4
            else:
                s = 2
        elif c == CPL:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        sev = max(sev, s)
    return RANK[sev]


# ----------------------------------------------------------------- build
def build():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds())
    lines = []
    counters = {}
    for c in CASES:
        if c["at"]:
            ts = c["at"]
        else:
            t = start + dt.timedelta(seconds=rng.randrange(span))
            ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        counters[c["platform"]] = counters.get(c["platform"], 0) + 1
        pid = "s428-%s-%04d" % (c["platform"], 100 + counters[c["platform"]] * 7 + rng.randrange(7))
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": ts}
        if c["url"]:
            post["url"] = c["url"]
        elif rng.random() < 0.3:
            post["url"] = "https://%s.example/%s/%s" % (c["platform"], c["handle"].strip("@").replace("/", "_"),
                                                        pid)
        if rng.random() < 0.5:
            post["brand"] = "solvenne"
        role = role_of(c["platform"], c["handle"])
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append({"post": post, "expect": expect})
    return lines


# ----------------------------------------------------------------- self-check
def check(lines):
    errs = []
    ok_platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
                    "bluesky", "threads", "forum", "blog", "other"}
    cats_ok = {CPL, CRI, ABU, SEC, PII, PRC, CONF, FIN, SECU}
    ids = set()
    prod = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    emb = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    internals = [d.lower() for d in PROFILE["internal"]["domains"]] + \
                [m.lower() for m in PROFILE["internal"]["markers"]] + \
                [c.lower() for c in PROFILE["internal"]["codenames"] if " " in c]

    # profile sanity
    pr = PROFILE
    if len(pr["accounts"]["corporate"]) < 6 or len(pr["accounts"]["employee"]) < 8:
        errs.append("profile: too few accounts")
    if not 15 <= len(pr["products"]) <= 25:
        errs.append("profile: product count")
    for ib in pr["public_identifiers"]["ibans"]:
        if not iban_check_ok(ib):
            errs.append("profile: public IBAN fails mod-97")
    if len(pr["internal"]["codenames"]) != 3 or len(pr["internal"]["markers"]) != 3:
        errs.append("profile: codenames/markers")
    for e in pr["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("profile: embargo until not in 2027")
    if pr["pricing"]["alert_below_ratio"] != 0.5 or any(p["currency"] != "EUR" for p in pr["products"]):
        errs.append("profile: pricing")

    for i, (ln, c) in enumerate(zip(lines, CASES)):
        p, e = ln["post"], ln["expect"]
        where = "case %d (%s)" % (i, p.get("id"))
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str) or not p[f]:
                errs.append(where + ": missing " + f)
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(where + ": missing account.handle")
        if p["id"] in ids or len(p["id"]) > 256:
            errs.append(where + ": id duplicate/too long")
        ids.add(p["id"])
        if p["platform"] not in ok_platforms:
            errs.append(where + ": platform")
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(where + ": kind")
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append(where + ": text too large")
        try:
            ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            if ts.tzinfo is None or ts.year not in (2026, 2027):
                errs.append(where + ": created_at year/tz")
            if ts.year == 2027 and not (dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc) <= ts <
                                        dt.datetime(2027, 4, 1, tzinfo=dt.timezone.utc)):
                errs.append(where + ": 2027 date not around embargo")
        except ValueError:
            errs.append(where + ": created_at not RFC 3339")
            continue
        if set(e["categories"]) - cats_ok or e["categories"] != sorted(set(e["categories"])):
            errs.append(where + ": categories")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(e["categories"], role, p["text"]):
            errs.append(where + ": severity mismatch")
        if not e["categories"] and e["severity"] != "none":
            errs.append(where + ": benign with severity")
        if e["categories"] and e["severity"] == "none":
            errs.append(where + ": positive with none")
        if role != "public" and e["categories"] and all(x.startswith("leak.") for x in e["categories"]):
            if RANK.index(e["severity"]) < 3:
                errs.append(where + ": insider leak below error")

        text = p["text"]
        norm = ZW_RE.sub("", text)
        low = norm.lower()
        positive = bool(e["categories"])
        # declared identifiers
        for kind, val in c["ids"]:
            raw = ZW_RE.sub("", val)
            if raw not in norm and val not in text and re.sub(r"\s", "", raw) not in re.sub(r"\s", "", norm):
                errs.append(where + ": declared id not in text")
            okf = {"iban": iban_check_ok, "card": luhn_ok, "bsn": bsn_ok, "github": gh_ok, "jwt": jwt_ok,
                   "aws": lambda v: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))}.get(kind)
            if okf and not okf(raw):
                errs.append(where + ": declared %s fails its check" % kind)
            if kind in ("iban", "card", "bsn") and PII not in e["categories"]:
                errs.append(where + ": valid identifier without leak.pii")
        for kind, val in c["bad_ids"]:
            okf = {"iban": iban_check_ok, "card": luhn_ok, "bsn": bsn_ok}[kind]
            if okf(val) or positive:
                errs.append(where + ": look-alike %s passes its check or case not benign" % kind)
        # scanned identifiers
        found = valid_ids_in(text)
        if found and not positive:
            errs.append(where + ": benign post holds a valid identifier %r" % (found,))
        if found and PII not in e["categories"]:
            errs.append(where + ": valid identifier %r but no leak.pii" % (found,))
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", norm):
            if positive and SEC in e["categories"] and not gh_ok(tok):
                errs.append(where + ": github token fails CRC")
            if not positive and gh_ok(tok):
                errs.append(where + ": benign holds a real-format github token")
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", norm):
            if not positive and "EXAMPLE" not in tok:
                errs.append(where + ": benign holds an AWS key id")
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", norm):
            if not jwt_ok(tok):
                errs.append(where + ": JWT header without alg")
        # embargo / internal names
        for term, until in emb:
            if term in low and ts < until and CONF not in e["categories"]:
                errs.append(where + ": embargoed term before until but not confidential")
            if term in low and ts >= until and CONF in e["categories"] and not any(
                    x in low for x in internals):
                errs.append(where + ": embargo over but labelled confidential")
        if not positive:
            for x in internals:
                if x in low:
                    errs.append(where + ": benign holds internal name " + x)
        # prices
        for sku, price in c["prices"]:
            r = price / prod[sku]["list_price"]
            if PRC in e["categories"] and r >= ratio:
                errs.append(where + ": pricing case not below ratio")
            if PRC not in e["categories"] and r < ratio:
                errs.append(where + ": price below ratio but no leak.pricing")
        if PRC in e["categories"] and not c["prices"]:
            errs.append(where + ": pricing case without price annotation")
        # account role sanity: public handles must not be in the profile by accident
        if c["handle"].lower().endswith(("_slv", "_solvenne")) and role == "public":
            errs.append(where + ": public handle looks like an insider handle")

    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d not in 170-180" % n)
    # round-trip the written file
    with open(OUT, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    if back != lines:
        errs.append("cases.jsonl does not round-trip")
    return errs, n, benign


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False, sort_keys=False) + "\n")
    errs, n, benign = check(lines)
    stats = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            stats[c] = stats.get(c, 0) + 1
    langs = {}
    for ln in lines:
        langs[ln["post"]["lang"]] = langs.get(ln["post"]["lang"], 0) + 1
    roles = {}
    for ln in lines:
        r = role_of(ln["post"]["platform"], ln["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    print("cases:", n, "benign:", benign, "positive:", n - benign)
    print("categories:", json.dumps(stats, sort_keys=True))
    print("languages:", langs, "roles:", roles)
    if errs:
        print("SELF-CHECK FAILED:")
        for x in errs:
            print("  -", x)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
