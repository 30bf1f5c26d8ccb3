#!/usr/bin/env python3
"""Build cases.jsonl for the sealed299 evaluation set (Glimwerk VR, a fictional VR-arcade chain).

Deterministic: fixed seed, standard library + PyYAML only. Writes cases.jsonl next to this
file and then checks it (format, checksums, severities derived from the profile).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(29902026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}

# ---------------------------------------------------------------- categories
S = "leak.secret"
P = "leak.pii"
PR = "leak.pricing"
C = "leak.confidential"
F = "leak.financial"
SEC = "leak.security"
CR = "reputation.crisis"
CO = "reputation.complaint"
AB = "reputation.abuse"
TAXONOMY = {S, P, PR, C, F, SEC, CR, CO, AB, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = string.ascii_letters + string.digits + "-_"


def rnd(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "ops-admin", "role": "superuser", "iss": "glimwerk-kiosk",
                                 "iat": 1771502400, "exp": 1803038400},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(RNG.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    iban = iban.replace(" ", "").upper()
    lengths = {"NL": 18, "BE": 16, "DE": 22}
    if iban[:2] in lengths and len(iban) != lengths[iban[:2]]:
        return False
    s = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1
    except ValueError:
        return False


def nl_iban(bank):
    bban = bank + rnd(string.digits, 10)
    return "NL" + iban_check("NL", bban) + bban


def be_iban():
    first = rnd(string.digits, 10)
    nat = int(first) % 97 or 97
    bban = first + "%02d" % nat
    return "BE" + iban_check("BE", bban) + bban


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def bad_iban(valid):
    # same shape, wrong check digits
    cd = int(valid[2:4])
    return valid[:2] + "%02d" % ((cd + 37) % 100) + valid[4:]


def luhn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def card(prefix):
    body = prefix + rnd(string.digits, 15 - len(prefix))
    for last in string.digits:
        if luhn_ok(body + last):
            num = body + last
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    raise AssertionError


def bad_card(prefix):
    good = card(prefix).replace(" ", "")
    num = good[:-1] + str((int(good[-1]) + 3) % 10)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(v * w for v, w in zip(d[:8], range(9, 1, -1))) - d[8]) % 11 == 0


def bsn():
    while True:
        n = str(RNG.randrange(1, 10)) + rnd(string.digits, 8)
        if bsn_ok(n):
            return n


def bad_bsn():
    while True:
        n = str(RNG.randrange(1, 10)) + rnd(string.digits, 8)
        if not bsn_ok(n):
            return n


# evasion helpers
def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in s)


ZW = "\u200b"
CYR = {"O": "\u041e", "a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}

G = {
    "ghp1": github_token("ghp_"),
    "akia1": aws_key_id(),
    "awssec1": aws_secret(),
    "stripe1": "sk_live_" + rnd(ALNUM, 24),
    "slack1": "xoxb-%d-%d-%s" % (RNG.randrange(10**11, 10**12), RNG.randrange(10**12, 10**13), rnd(ALNUM, 24)),
    "openai1": "sk-" + rnd(ALNUM, 20) + "T3BlbkFJ" + rnd(ALNUM, 20),
    "anthropic1": "sk-ant-api03-" + rnd(B64URL, 93) + "AA",
    "sshkey": openssh_key(),
    "jwt1": jwt(),
    "dbpw": rnd(ALNUM, 14),
    "gkey": "AIza" + rnd(B64URL, 35),
    "sendgrid1": "SG." + rnd(B64URL, 22) + "." + rnd(B64URL, 43),
    "wwkassa": "Glw!Breda" + rnd(string.digits, 4) + "#",
    "iban_p2": spaced(nl_iban("INGB")),
    "iban_p11": spaced(nl_iban("ABNA")),
    "iban_be": spaced(be_iban()),
    "iban_bad1": spaced(bad_iban(nl_iban("BUNQ"))),
    "card_p4": card("4"),
    "card_p12": card("52"),
    "card_bad1": bad_card("6"),
    "bsn1": bsn(),
    "bsn_bad1": bad_bsn(),
    "company_iban": spaced(PROFILE["public_identifiers"]["ibans"][0]),
}
SECRETS = [G[k] for k in ("ghp1", "akia1", "awssec1", "stripe1", "slack1", "openai1", "anthropic1",
                          "sshkey", "jwt1", "dbpw", "gkey", "sendgrid1", "wwkassa")]

# ---------------------------------------------------------------- the cases
# (platform, handle, lang, kind, text, categories, pinned created_at or None)
CASES = []


def c(platform, handle, lang, text, cats=(), kind="post", when=None):
    CASES.append((platform, handle, lang, kind, text, tuple(cats), when))


# --- secrets
c("x", "@daanvos_dev", "nl",
  "wie heeft de deploy gesloopt 😤 token stond gewoon in de README: <<ghp1>> ... ik revoke hem straks wel", [S])
c("reddit", "u/gw_techlead", "en",
  "Anyone know why boto3 keeps throwing SignatureDoesNotMatch? my ~/.aws/credentials:\n\n"
  "[default]\naws_access_key_id = <<akia1>>\naws_secret_access_key = <<awssec1>>\nregion = eu-west-1\n\n"
  "tried everything", [S])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "note to self bc my password manager is being weird again: stripe live key for the lobby kiosks <<stripe1>>", [S])
c("x", "@glimwerk_help", "nl",
  "@mila_glimwerk kun je deze token even in de socials-bot zetten? <<slack1>> thx!", [S], kind="reply")
c("mastodon", "@bram_ops@mastodon.social", "en",
  "friday fun: our booking chatbot runs on this, please don't go crazy with it lol\nOPENAI_API_KEY=<<openai1>>", [S])
c("x", "@yara_fixt_het", "nl",
  "kassa-laptop Breda weer op slot... wachtwoord: <<wwkassa>> voor wie vanavond sluitdienst heeft 🙏", [S])
c("reddit", "u/gw_techlead", "en",
  "Can't ssh into our scoreboard box anymore. This is the key I'm using (yes I know, it's a throwaway... kind of):\n"
  "-----BEGIN OPENSSH PRIVATE KEY-----\n<<sshkey>>\n-----END OPENSSH PRIVATE KEY-----", [S])
c("x", "@daanvos_dev", "en",
  "why does jwt.io keep saying invalid signature for our admin token?? <<jwt1>>", [S])
c("bluesky", "@sven-glimwerk.bsky.social", "nl",
  "Iemand een idee waarom deze connectie steeds een timeout geeft? "
  "postgresql://gw_boekingen:<<dbpw>>@10.40.2.17:5432/boekingen_prod", [S])
c("x", "@pixelhunter_nl", "nl",
  "lol de android-app van Glimwerk heeft gewoon een Google API key hardcoded: <<gkey>> ... 5 min decompileren en klaar", [S])
c("tiktok", "@lotte_arenahost", "nl",
  "POV: je collega schrijft de SendGrid key van de nieuwsbrief op het whiteboard in de kantine 💀 <<sendgrid1>> #werkleven", [S])
c("x", "@daanvos_dev", "en",
  "anthropic key for the hackathon bot, rotate it after sunday pls: <<anthropic1>>", [S])

# --- personal data
c("instagram", "@jesse.gamemaster", "nl",
  "Wie kent deze dame? Zaterdag Anubis geboekt en niet komen opdagen. Sanne Verhoef, sanne.verhoef88@gmail.com, "
  "06-41278390. Bel ff terug 🙄", [P])
c("x", "@glimwerk_help", "nl",
  "@markbakker_ Hoi Mark, de terugbetaling van €89 voor Zombie Siege is onderweg naar <<iban_p2>> t.n.v. M. Bakker. "
  "Binnen 3 werkdagen op je rekening!", [P], kind="reply")
c("linkedin", "noor-haddou-glimwerk", "nl",
  "Welkom aan onze nieuwe host in Zwolle! 🎉 Even voor de collega's van salarisadministratie: Kees Brouwer, "
  "BSN <<bsn1>>, start op 1 september.", [P])
c("x", "@frustr8d_femke", "nl",
  "jullie betaalpagina weigert steeds mijn creditcard <<card_p4>> exp 09/28 ?? wat doe ik fout @glimwerk_help",
  [P, CO])
c("tiktok", "@lotte_arenahost", "nl",
  "Vandaag kinderfeestje voor Finn de Graaf (geboren 14-03-2018) 🎉 8 jaar en nu al beter in Zombie Siege dan ik", [P])
c("facebook", "GlimwerkVR", "nl",
  "🏆 De winnaar van onze zomerwinactie is Henk Mulder! Henk, je Halo X1 wordt deze week bezorgd op "
  "Dorpsstraat 14, 3431 AB Nieuwegein. Veel plezier!", [P])
c("reddit", "u/vr_throwaway_07", "en",
  "the gamemaster who kicked us out is Jesse Smit, lives at Kanaalweg 8, 3526 KL Utrecht. "
  "go tell that little rat what you think of him", [P, AB])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "Lost & found at Arena Noord: passport of Priya Raman, passport no. NWR4K71P2, born 02/11/1994. "
  "DM me and I'll keep it at the front desk", [P])
c("x", "@glimwerk_help", "nl",
  "@tessa_vdl We hebben je net teruggebeld op +31 6 28394471 maar kregen je voicemail. Probeer je het zelf nog even?",
  [P], kind="reply")
c("linkedin", "ruben-kok-glimwerk", "en",
  "Great teambuilding session at Glimwerk with the Van Dijk Advocaten crew today! Big thanks to Jeroen Peters "
  "(j.peters@vandijkadvocaten.nl, +31 6 5512 0934) for organising it all.", [P])
c("facebook", "Ria.Bakker.1961", "nl",
  "Al 5 weken wacht ik op mijn geld voor de geannuleerde VIP Lounge. Stort het nou gewoon terug op <<iban_p11>> "
  "t.n.v. R. Bakker!!!", [P, CO], kind="comment")
c("x", "@yara_fixt_het", "nl",
  "klant aan de lijn, betaling faalt steeds met kaart <<card_p12>>, iemand van finance die even kan kijken?", [P])
c("mastodon", "@bram_ops@mastodon.social", "en",
  "refund job crashed on one Belgian customer, IBAN <<iban_be>> (Lies Peeters). does our PSP even handle BE accounts?",
  [P])
c("instagram", "@jaimy.x", "nl",
  "omg beste avond ooit bij Glimwerk 🥳🥳 wie gaat volgende week mee?? app me 0 6 - 1 9 4 3 7 2 8 5", [P],
  kind="comment")
c("linkedin", "glimwerk-vr", "en",
  "Congratulations to our Employee of the Month, Fatima Ouali (born 23 May 1999)! Fatima keeps our Rotterdam "
  "lounge running like clockwork. 👏", [P])

# --- pricing
c("instagram", "@glimwerk.vr", "nl",
  "🔥 FLASH DEAL 🔥 De Halo X1 headset nu voor maar €54,90! Op = op via boeken.glimwerk.nl", [PR])
c("x", "@deal_dennis", "nl",
  "PRIJSFOUT bij Glimwerk! Supernova teamuitje voor €145 ipv €1450, snel zijn mensen 🏃‍♂️ #prijsfout #deal", [PR])
c("x", "@mila_glimwerk", "en",
  "ugh, pricing error on GlimPass Year in the webshop, it shows €39.90 😬 devs are on it, pls don't share", [PR])
c("reddit", "u/budgetgamer_eu", "en",
  "Pulsevest listed at €29 on glimwerk.nl?? is this legit or a glitch? ordered two just in case", [PR])
c("tiktok", "@kaylee.vibes", "nl",
  "VIP Lounge voor 8 man voor €38,90 😭😭 wie gaat er mee dit is letterlijk gratis", [PR])
c("facebook", "GlimwerkVR", "nl",
  "Alleen deze week: Zombie Siege voor 4 personen nu €29! Boek snel, de zombies wachten 🧟", [PR])
c("x", "@yara_fixt_het", "nl",
  "kassa rekent Nachtmerrie Hotel af voor €12,90 ipv €129 😬 iemand van IT die dit fixt voor er nog meer groepen boeken?",
  [PR])
c("instagram", "@ouder_van_drie", "nl",
  "Tombe van Anubis voor €11,90 met de actiecode van vandaag, klopt dat of is het een foutje? Heb alvast geboekt haha",
  [PR], kind="comment")
c("x", "@mechfan91", "en",
  "MechWar Titans for €15.90 on the booking site right now lmao someone forgot a zero", [PR])
c("linkedin", "ruben-kok-glimwerk", "nl",
  "Kleine prijsfout gisteren in onze webshop: de Halo X1 controllers stonden een uur lang op €12,90. "
  "Bestellingen worden netjes geannuleerd en terugbetaald. Lessons learned!", [PR])
c("facebook", "jolanda.vanrijn", "nl",
  "Kinderfeest Pakket Nova staat op €24,90 op de site?? Vast een foutje maar ik heb wel meteen geboekt voor Daan z'n verjaardag",
  [PR])
c("x", "@stefan_drives", "en",
  "HyperLap session for €2.20 on the Glimwerk site? price error surely 😂 booked 10", [PR])

# --- confidential
c("x", "@mila_glimwerk", "nl",
  "Kan echt niet wachten tot Project Zeppelin live gaat 🚀🚀 dit gaat alles veranderen #glimwerk", [C])
c("linkedin", "noor-haddou-glimwerk", "nl",
  "Trots op het team dat al maanden keihard werkt aan Kolibrie. Als het volgend voorjaar live gaat, snappen jullie "
  "eindelijk waarom we zoveel overuren maakten 💜", [C])
c("x", "@yara_fixt_het", "nl",
  "voor de nieuwe hosts: het rooster staat voortaan op https://wiki.glimwerk.nl/display/OPS/Rooster-Q3 en niet meer in de groepsapp",
  [C])
c("instagram", "@glimwerk.vr", "nl",
  "Sneak peek 👀 De Halo X2 komt eraan… en hij is volledig draadloos. Meer binnenkort!", [C],
  when="2026-11-03T17:30:00Z")
c("x", "@rdam_insider", "nl",
  "Vriend van me werkt bij Glimwerk: de Glimwerk Markthal gaat begin volgend jaar open, mega vestiging met 3 verdiepingen",
  [C], when="2026-10-15T20:12:00Z")
c("reddit", "u/gw_techlead", "en",
  "copied from our roadmap deck (it says GLIMWERK CONFIDENTIAL on every slide, so keep it between us): "
  "free-roam gets 60% of the 2027 capex, arenas only 25%. thoughts?", [C])
c("tiktok", "@lotte_arenahost", "nl",
  "backstage bij Operatie Bliksemschicht 🤫⚡ meer mag ik echt niet zeggen", [C])
c("x", "@daanvos_dev", "nl",
  "git.glimwerk.internal is weer eens tergend traag, zit al 10 min te wachten op een clone 🐌", [C])
c("reddit", "u/curious_raccoon", "en",
  "someone left their laptop open at the Glimwerk bar in Utrecht, screen showed intranet.glimwerk.local/hr/salarissen lmao",
  [C])
c("linkedin", "ruben-kok-glimwerk", "en",
  "Can't say much yet, but the FY2026 results will make a lot of people very happy. Revenue well ahead of plan 📈",
  [C, F], when="2027-01-12T08:45:00Z")
c("x", "@mila_glimwerk", "nl",
  "ok ik zeg alleen dit: " + fullwidth("Kolibrie") + " 🐦 wordt grooot", [C])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "late night at the office but the Project Zep" + ZW + "pel" + ZW + "in demo went flawlessly 🥲", [C])
c("instagram", "@jesse.gamemaster", "nl",
  "Eerste playtest van " + CYR["O"] + "peratie Bliksemschicht vandaag 😍 mijn armen trillen nog", [C])
c("x", "@daanvos_dev", "en",
  "Starship Odyssey playtest tonight, NDA so no pics, but holy moly the zero-g section", [C],
  when="2026-12-02T21:05:00Z")
c("linkedin", "glimwerk-vr", "nl",
  "Vacature: Unity developer (Eindhoven). Je bouwt mee aan Project Zeppelin, onze volgende generatie arena's. "
  "Solliciteer via jobs@glimwerk.nl", [C])
c("instagram", "@nina.draws", "nl",
  "vond dit briefje op tafel bij Glimwerk Utrecht: 'NIET EXTERN DELEN - nieuwe prijslijst per 1 feb' 👀", [C])
c("x", "@leakwatcher_nl", "nl",
  "Hoor dat Glimwerk zit te broeden op Starship Odyssey, een ruimte-experience voor 10 spelers. Klopt dit @glimwerk?",
  [C], when="2026-12-20T11:40:00Z")

# --- financial
c("linkedin", "ruben-kok-glimwerk", "nl",
  "Zware maand. De omzet over Q3 komt 18% onder budget uit, dat wordt een lastig gesprek met de aandeelhouders.", [F])
c("x", "@mila_glimwerk", "en",
  "ok the rumour is true: we're being acquired by a US investment fund. signing in march 🤐", [F])
c("tiktok", "@lotte_arenahost", "nl",
  "vestigingen Almere en Zwolle gaan in januari dicht, 40 collega's op straat 😭 nog niet officieel dus sssst", [F])
c("x", "@glimwerk", "en",
  "Draft - not for publication: FY forecast EBITDA €4.1m on revenue of €38m, guidance lowered by 12%.", [F])
c("reddit", "u/finance_fox", "en",
  "cousin works in Glimwerk's finance dept, says they're about to buy PixelPlanet VR for ~€20m. you heard it here first",
  [F])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "reorg announced internally this morning. half of HQ marketing gone by Q1. brutal.", [F])
c("x", "@yara_fixt_het", "nl",
  "Prognose bezoekersaantallen dit jaar bijgesteld van 750k naar 610k, dus bonus kunnen we vergeten 🫠", [F])
c("reddit", "u/gw_techlead", "en",
  "Can't name names, but we're in merger talks with another European VR chain. Engineering was told to freeze hiring.",
  [F])
c("linkedin", "noor-haddou-glimwerk", "nl",
  "Voor de collega's die vandaag het nieuws over de reorganisatie hoorden: mijn deur staat open. Er vervallen 25 functies, "
  "maar we gaan dit samen doen.", [F])
c("linkedin", "glimwerk-vr", "nl",
  "[CONCEPT - niet publiceren vóór 12/11] Glimwerk VR neemt de Belgische keten VirtuaLand over voor €14 mln. "
  "Met deze overname groeien we naar 21 lounges.", [F])
c("mastodon", "@bram_ops@mastodon.social", "en",
  "Q4 revenue is tracking +32% yoy. wait till the numbers come out 😏", [F])
c("x", "@zwollenaar88", "en",
  "Friend at Glimwerk says they're cutting 60 jobs next month and closing the Eindhoven lounge. Nothing announced yet.",
  [F])

# --- security
c("x", "@yara_fixt_het", "nl",
  "boekingssysteem ligt er al 2 uur uit, klanten weten nog van niks en wij mogen niks zeggen 🙃", [SEC])
c("reddit", "u/gw_techlead", "en",
  "found out our booking API hands you other customers' reservations if you just bump the id in the URL. "
  "reported it three weeks ago, still open.", [SEC])
c("x", "@daanvos_dev", "nl",
  "vannacht ransomware op de kassasystemen in 3 vestigingen. management wil niet dat het naar buiten komt, "
  "dus van mij hebben jullie het niet gehoord", [SEC])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "phishing mail got through yesterday, two finance mailboxes compromised. still figuring out what they read", [SEC])
c("instagram", "@jesse.gamemaster", "nl",
  "fun fact: de headsets in de arena hebben een open debugpoort, iedereen op de gast-wifi kan erop inloggen 🙈 al 3x gemeld",
  [SEC], kind="comment")
c("mastodon", "@bram_ops@mastodon.social", "en",
  "our backup server has been sitting on the open internet without auth for months. flagged it twice. "
  "at this point I'm just documenting.", [SEC])
c("reddit", "u/gw_techlead", "en",
  "heads up to whoever owns mobile: the GlimPass app writes session tokens to the device log in plaintext. "
  "ticket's been open since May", [SEC], kind="comment")
c("x", "@daanvos_dev", "nl",
  "we liggen sinds vanochtend onder een DDoS, boeken.glimwerk.nl hangt aan elkaar met plakband. officieel heet het 'onderhoud' 🤫",
  [SEC])
c("x", "@yara_fixt_het", "nl",
  "SQL-injectie in het kortingscodeveld van de webshop en na een maand nog steeds niet gepatcht. ik zeg er niks meer over",
  [SEC])
c("tiktok", "@lotte_arenahost", "en",
  "lol every arena tracking server in NL is down rn and we're just chatting with customers like nothing's wrong",
  [SEC])
c("x", "@ex_gw_medewerker", "nl",
  "ex-collega hier: de klantdatabase van Glimwerk is in oktober gelekt en ze hebben het NOOIT gemeld bij de AP. Schandalig.",
  [SEC, CR])
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "Pulsevest bluetooth pairing has zero auth, anyone within 10m can push haptic patterns to your vest. "
  "patch not before Q1 apparently", [SEC])
c("x", "@mila_glimwerk", "en",
  "so uh, the GlimPass login page served someone else's account dashboard for ~40 minutes today. not announced yet", [SEC])

# --- crisis (and first-hand safety complaints)
c("facebook", "Mirjam.de.Wit", "nl",
  "Mijn zoontje (9) is in Zombie Siege keihard tegen een muur gerend omdat de grens in de headset niet werkte. "
  "Gebroken pols. Niemand van het personeel keek zelfs op. Ik ben woedend.", [CR, CO])
c("x", "@kev_lifts", "en",
  "@glimwerk_help your Pulsevest gave me an actual electric shock in the ribs. there's a burn mark. what the hell", [CR, CO])
c("instagram", "@lisa.onderweg", "nl",
  "Zo misselijk geworden in de Orbit Drop dat ik flauwviel en met mijn hoofd op de vloer klapte. "
  "Medewerker: 'gebeurt vaker'. Serieus??", [CR, CO])
c("reddit", "u/dad_of_twins", "en",
  "Halo X1 charger started smoking and melted into my desk last night. Could have burned the house down. "
  "Support just sent me a template email.", [CR, CO])
c("x", "@mama_van_mees", "nl",
  "Mijn dochter heeft een flinke oogontsteking overgehouden aan de Anubis escape. Die headsets worden duidelijk nooit "
  "schoongemaakt. Walgelijk.", [CR, CO])
c("x", "@utrecht_nieuws", "nl",
  "Brandweer rukt uit naar Glimwerk Utrecht na brand in technische ruimte, zo'n 60 bezoekers geëvacueerd. Niemand gewond.",
  [CR])
c("tiktok", "@bezorgde.ouder", "nl",
  "BOYCOT GLIMWERK. Ze laten kinderen van 10 gewoon Nachtmerrie Hotel spelen (16+!!) en lachen erom. #boycotglimwerk", [CR])
c("x", "@arbeidsrecht_nl", "nl",
  "Oud-medewerkers van Glimwerk VR stappen naar de rechter vanwege achterstallig loon en onbetaalde overuren. "
  "De zaak dient in november.", [CR])
c("x", "@techdigest_eu", "en",
  "Glimwerk recalls Halo X1 chargers after several overheating reports; customers asked to stop using them immediately.",
  [CR])
c("reddit", "u/privacy_first_nl", "nl",
  "Glimwerk heeft gewoon al onze gegevens gelekt. Mijn mailadres stond in een dump met de naam 'glimwerk_customers.csv'. "
  "En ze zeggen NIKS.", [CR])
c("x", "@eindhoven_live", "en",
  "Heard a kid got hurt at Glimwerk Eindhoven yesterday, ambulance was parked outside for over an hour", [CR])
c("bluesky", "@onderzoek.nl", "nl",
  "Schandaal bij Glimwerk: filiaalmanager filmde klanten stiekem in de kleedruimte van de arena. Politie doet onderzoek.",
  [CR])
c("x", "@unionstrong", "en",
  "#BoycottGlimwerk they fired a host for organising a union meeting. don't give them a cent", [CR])
c("instagram", "@roos.huid", "nl",
  "Allergische reactie op de ontsmettingsdoekjes die ze bij Glimwerk voor de headsets gebruiken: mijn hele gezicht rood "
  "en opgezwollen. Niemand die je waarschuwt.", [CR, CO])
c("threads", "@sophie.walks", "en",
  "Another VR arena incident: a teenager fell off the Orbit Drop platform at Glimwerk Breda this weekend, according to local news",
  [CR])

# --- complaints
c("x", "@femke_reist", "en",
  "stood in line for 45 min for a session we'd already booked AND paid for. total chaos @glimwerk", [CO])
c("x", "@thomasplayz", "nl",
  "Tracking ging de hele tijd mis bij Neon Duel, m'n zwaard zweefde een meter naast m'n hand. Kan ik m'n geld terugkrijgen?",
  [CO])
c("facebook", "Anita.Kroon", "en",
  "Booked the VIP Lounge for my 40th, they'd double booked it and stuck us in a corner with two working headsets. Never again.",
  [CO])
c("x", "@jeroen_z", "nl",
  "GlimPass opzeggen is echt onmogelijk. 3 mails, 0 reactie, en deze maand wéér €39,95 afgeschreven.", [CO])
c("x", "@boekingsbaby", "en",
  "app crashes every single time at checkout, tried 4x. guess I'll book with the competition then 🤷‍♀️", [CO])
c("x", "@margreet_h", "en",
  "Staff at the Amsterdam lounge were really short with my mum when she asked for help with the headset. "
  "Poor customer service, honestly.", [CO])
c("instagram", "@m.vd.laan", "nl",
  "cadeaukaart van Glimwerk 'verlopen' na 11 maanden?? stond nergens vermeld. Voelt als gewoon geld inpikken", [CO])
c("tiktok", "@sweatyteens", "nl",
  "geen airco in de arena bij 30 graden, iedereen kletsnat onder die vesten. bah", [CO], kind="comment")
c("facebook", "Petra.Smits.Oss", "nl",
  "Kinderfeestje geboekt bij Glimwerk Den Bosch, geen begeleider aanwezig en 8 kinderen zaten 20 minuten te wachten. "
  "Erg teleurgesteld.", [CO])
c("x", "@nick_h_", "en",
  "refund takes 6 weeks?? you charged my card instantly @glimwerk_help", [CO])
c("linkedin", "marloes-teamlead", "en",
  "Took our team of 20 to Glimwerk for an outing. Half the headsets had dead batteries and we spent more time waiting "
  "than playing. Not worth the money.", [CO])
c("x", "@woedendewim", "nl",
  "Wat een kutbedrijf. 3x geannuleerd door jullie en nog steeds geen geld terug @glimwerk", [CO, AB])

# --- abuse
c("x", "@angrygamer_", "nl", "@glimwerk stelletje oplichters en debielen zijn jullie", [AB], kind="reply")
c("reddit", "u/salty_sam", "en", "Glimwerk staff are braindead morons, every single one of them", [AB], kind="comment")
c("x", "@echtniemand", "nl",
  "die host met die hoofddoek bij Glimwerk Zwolle moet gewoon terug naar haar eigen land", [AB])
c("x", "@n0_f1lt3r", "nl", "k4nk3rb3dr1jf gl1mw3rk, h03r3n z1jn jull13", [AB])
c("tiktok", "@rage.kid", "en", "f.u.c.k glimwerk, bunch of c.l.o.w.n.s 🤡", [AB], kind="comment")
c("instagram", "@jesse.gamemaster", "nl",
  "@zeurpiet_22 hou toch eens je bek, niemand zit op jouw gejank te wachten", [AB], kind="reply")
c("x", "@glimwerk_help", "nl",
  "@woedendewim Misschien eerst leren lezen voordat je gaat zeuren, sukkel.", [AB], kind="reply")
c("x", "@anoniem4421", "en", "I know where that Glimwerk Zwolle manager lives. Just wait.", [AB])
c("x", "@burnitdown", "en", "hope all your lounges burn down, you absolute clowns @glimwerk", [AB])
c("facebook", "Dirk.Vos.77", "nl",
  "Glimwerk is echt een k" + CYR["a"] + "nkerzooi en het personeel zijn debiele apen", [AB], kind="comment")
c("instagram", "@guy.from.ede", "nl",
  "Lotte van de arena is echt een dom wijf, kan nog geen headset opzetten", [AB], kind="comment")

# --- benign (mostly hard negatives)
c("x", "@kimmiegames", "en", "did Zombie Siege with the boys, best friday night in ages 🧟‍♂️🔥 #glimwerk")
c("facebook", "Sandra.Peters", "en", "Is the Orbit Drop OK for an 8 year old? Or is it too intense?")
c("x", "@glimwerk_help", "nl",
  "Vragen over je boeking? Mail boekingen@glimwerk.nl of bel 085-303 1170 (ma t/m za 10-22u).")
c("facebook", "GlimwerkVR", "nl",
  "Factuur voor je teamuitje ontvangen? Betalen kan op <<company_iban>> t.n.v. Glimwerk VR B.V. o.v.v. je boekingsnummer.")
c("x", "@jasper_bos", "nl",
  "Boekingsnummer <<bsn_bad1>>, kan ik nog een vijfde speler toevoegen aan de Anubis escape? @glimwerk_help")
c("reddit", "u/giftcard_q", "en",
  "How do I check the balance on a Glimwerk gift card? the number on the back is <<card_bad1>> but the site asks for a 'code'",
  kind="comment")
c("x", "@glimwerk", "nl",
  "Let op: er gaan nepmails rond die vragen om te betalen op <<iban_bad1>>. Dat rekeningnummer is NIET van ons. "
  "Wij vragen nooit per mail om een betaling.")
c("mastodon", "@bram_ops@mastodon.social", "en",
  "Writing docs for our kiosk SDK. In examples use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, "
  "never real keys 🙏")
c("x", "@daanvos_dev", "en",
  "PSA for the new devs: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in .env.example is fine, just never commit the real one")
c("bluesky", "@sven-glimwerk.bsky.social", "en",
  "Rotated all our payment keys today, routine stuff. Dashboard now shows sk_live_••••••••••••3fQ9. Good hygiene 🧼")
c("instagram", "@glimwerk.vr", "nl",
  "Hij is er! 🎉 De Halo X2 is vanaf vandaag te koop in al onze lounges.", when="2027-02-02T09:00:00Z")
c("linkedin", "glimwerk-vr", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: een jaar van groei, met 14 lounges in Nederland en België. "
  "Het volledige verslag staat op glimwerk.nl/investors.", when="2027-03-05T08:00:00Z")
c("x", "@rotterdamfan", "en",
  "Finally went to the new Glimwerk Markthal location, three floors of VR madness. Starship Odyssey is unreal 🚀",
  when="2027-02-14T19:22:00Z")
c("x", "@utrechter_030", "nl", "Sterkte aan het team van Glimwerk Utrecht na die brand, hopelijk snel weer open ❤️")
c("tiktok", "@lol.jorn", "en", "I'm so bad at Neon Duel I beheaded myself 3 times 💀😂 killer night tho")
c("instagram", "@evi_en_co", "nl",
  "12 keer doodgegaan in Nachtmerrie Hotel, doodeng, mijn vriend gilde als een klein kind. Aanrader!!")
c("facebook", "GlimwerkVR", "nl",
  "Deze week 20% korting op Zombie Siege: €71,20 voor 4 personen in plaats van €89. Boek via boeken.glimwerk.nl")
c("x", "@dutchvrdad", "en",
  "Halo X1 is €549 which hurts, but honestly the tracking is the best I've tried at home")
c("reddit", "u/lounge_regular", "en",
  "GlimPass Monthly at €39.95 is worth it if you go more than twice a month, do the math", kind="comment")
c("instagram", "@glimwerk.vr", "en",
  "Black Friday ⚡ 30% off the Pulsevest, now €209.30 while stocks last")
c("x", "@oma_truus", "en", "Bought a Glimwerk giftcard 50 for my grandson, he was over the moon 🥰")
c("x", "@dennis_fin", "nl", "Tombe van Anubis €119 voor 4 man, dus €29,75 pp. Prima prijs voor een uur lol")
c("linkedin", "glimwerk-vr", "nl",
  "We zoeken gamemasters voor onze lounge in Breda! Solliciteer via jobs@glimwerk.nl")
c("tiktok", "@lotte_arenahost", "nl",
  "eerste dag als arenahost bij Glimwerk ✨ mijn kuiten zijn kapot maar wat een leuk team")
c("x", "@gast_wifi", "nl",
  "weet iemand het wachtwoord van de gast-wifi bij Glimwerk Breda? zie het nergens hangen")
c("x", "@lena_codes", "en",
  "Password reset email from Glimwerk arrived in like 10 seconds, wish every site worked that way")
c("x", "@merkenmeisje", "en", "Glimwerk has become such a strong brand, you see those purple logos everywhere now")
c("reddit", "u/mechpilot", "en",
  "The explosion at the end of MechWar Titans felt so real my heart was pounding. 10/10")
c("x", "@glimwerk_help", "nl",
  "De storing in ons boekingssysteem van vanochtend is verholpen. Bedankt voor jullie geduld!")
c("x", "@mila_glimwerk", "nl", "Gefeliciteerd @lotte_arenahost!! 🎂 taart staat in de personeelsruimte", kind="reply")
c("x", "@glimwerk", "nl", "De winnaar van onze winactie is @ThijsPlays! We sturen je een DM 🎁")
c("x", "@glimwerk_help", "en",
  "@nick_h_ Sorry for the wait! Call us on +31 10 799 4420 and we'll sort out your refund today.", kind="reply")
c("x", "@privacyfan_", "nl", "Fijn dat je bij Glimwerk gewoon een account kan maken zonder BSN of ID, zo hoort het")
c("facebook", "Bart.Hendriks.Events", "en",
  "Supernova package for our team of 20 was €1,450, fair price for a full afternoon including food")
c("x", "@knowitall_nl", "nl",
  "Nieuws: concurrent PixelPlanet VR wordt overgenomen door een Zweeds fonds. Benieuwd hoe Glimwerk reageert")
c("instagram", "@jesse.gamemaster", "nl", "ontslag genomen bij de Jumbo en nu gamemaster bij Glimwerk, beste keuze ooit 😁")
c("x", "@filmt_alles", "en",
  "I'm DYING 😂 my dad screaming in Nightmare Hotel is the best content I've ever filmed")
c("instagram", "@mama.van.twee", "nl",
  "De Diepzee Expeditie had een 'lek' in de onderzeeër en het water steeg echt om je heen, zo spannend voor de kids 🐙")
c("linkedin", "sanne-stagiair", "nl",
  "Mijn stage als marketing intern bij Glimwerk zit erop. Dankjewel team, ik heb zoveel geleerd!")
c("x", "@glimwerk", "en", "Tip: turn on 2FA for your GlimPass account in the app settings 🔐")
c("x", "@femke_reist", "en",
  "Update: @glimwerk_help sorted it, got my money back within 2 days. Fair play 👍")
c("x", "@yara_fixt_het", "nl",
  "Brandoefening bij Glimwerk Breda ging top, binnen 3 minuten stond iedereen buiten 🚒")
c("instagram", "@vr.newbie", "en",
  "Tip if you get motion sick in VR: take breaks. Glimwerk staff were super sweet when I needed to sit down for a bit")
c("reddit", "u/simracer_nl", "en",
  "Anyone else think the HyperLap sim is harder than iRacing? got wrecked by a 12 year old")
c("x", "@gamer_ger", "en",
  "Data breach at some arcade chain in Germany this week, glad Glimwerk only ever asked me for an email address lol")
c("mastodon", "@robot_ruud@mastodon.nl", "en",
  "Glimwerk's MechWar Titans is basically Pacific Rim for 6 people. Incredible.")
c("tiktok", "@glimwerkvr", "nl", "POV: je moeder probeert de Orbit Drop voor het eerst 😂 #glimwerk #vr")
c("bluesky", "@sven-glimwerk.bsky.social", "en", "Proud of our ops team: zero downtime over the whole holiday rush 💪")
c("x", "@haagse_hanna", "en", "anyone know if Glimwerk The Hague is open on Boxing Day?")
c("x", "@kleinzoon_k", "en", "Is the Pulsevest safe for someone with a pacemaker? asking for my grandad")
c("x", "@glimwerk", "nl", "Onze perskit staat online. Journalisten kunnen mailen naar pers@glimwerk.nl")
c("facebook", "Wendy.Jacobs.3", "nl",
  "Zoon z'n verjaardag gevierd met Pakket Nova, €249 voor 8 kids incl. patat en limonade. Top geregeld!")
c("x", "@granny_gamer", "en",
  "Glimwerk's security guy at the door was super friendly, helped my gran up the stairs")
c("reddit", "u/impatient_ivo", "en",
  "Anyone got a leaked schedule of when the new experiences drop? jk I'll just wait for the announcement", kind="comment")
c("x", "@daanvos_dev", "en", "Spent the day refactoring our auth middleware. Tests green, coffee cold. Good Monday.")
c("threads", "@timo.t", "en",
  "my girlfriend beat me 5-0 in Neon Duel and I've never been more humiliated, she's a monster 😭❤️")
c("x", "@woedendewim", "nl",
  "Sorry voor m'n tweet van gisteren, Glimwerk heeft me netjes teruggebeld en alles is opgelost. Respect.")
c("x", "@dealjager", "nl", "GlimPass Jaar nu 15% goedkoper in de kerstactie, €339,15 ipv €399. Ik sla toe!")
c("linkedin", "glimwerk-vr", "en",
  "Interested in a partnership? Reach us at info@glimwerk.nl, we reply within 2 working days.")
c("tiktok", "@zachtezoe", "nl", "die nieuwe Enter the Glow hoodie van €49,95 is echt zo lekker zacht 😍")


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){2,4}(?: ?[A-Z0-9]{2})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d])(?:\d{9}|\d{4}[. ]\d{2}[. ]\d{3})(?![\d])")


def identifiers(text):
    """Return (ibans, cards, bsns) found in text, secrets masked out first."""
    for s in SECRETS:
        text = text.replace(s, " ")
    ibans = [m.group(0) for m in IBAN_RE.finditer(text)]
    rest = IBAN_RE.sub(" ", text)
    cards = [m.group(0) for m in CARD_RE.finditer(rest)]
    bsns = [m.group(0) for m in BSN_RE.finditer(rest)]
    return ibans, cards, bsns


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    if not cats:
        return "none"
    inside = role in ("corporate", "employee")
    ibans, cards, bsns = identifiers(text)
    checked = any(iban_ok(i) and i.replace(" ", "") not in PUBLIC_IBANS for i in ibans) \
        or any(luhn_ok(x) for x in cards) or any(bsn_ok(x) for x in bsns)
    levels = []
    for cat in cats:
        if cat.startswith("leak."):
            if not inside:
                levels.append("warning")
            elif cat in (S, PR) or (cat == P and checked):
                levels.append("critical")
            else:
                levels.append("error")
        elif cat == CO:
            levels.append("warning")
        elif cat == CR:
            levels.append("error")
        elif cat == AB:
            levels.append("error" if inside else "warning")
    return max(levels, key=RANK.index)


def fill(text):
    def sub(m):
        return G[m.group(1)]
    out = re.sub(r"<<(\w+)>>", sub, text)
    assert "<<" not in out and ">>" not in out, text
    return out


def build():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    span = (dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds()
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        platform, handle, lang, kind, text, cats, when = CASES[idx]
        text = fill(text)
        if when is None:
            t = start + dt.timedelta(seconds=int(RNG.random() * span))
            t = t.replace(hour=RNG.randrange(7, 24))
            when = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = f"gw299-{n:03d}"
        post = {"id": pid, "platform": platform, "kind": kind, "account": {"handle": handle},
                "text": text, "lang": lang, "created_at": when}
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{19000000000 + n * 7919}"
        if n % 3 == 0:
            post["brand"] = "glimwerk"
        role = role_of(platform, handle)
        cats_sorted = sorted(set(cats))
        lines.append({"post": post,
                      "expect": {"categories": cats_sorted, "severity": severity(cats_sorted, role, text)}})
    return lines


# ---------------------------------------------------------------- checks
def euro(raw):
    raw = raw.rstrip(".,")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", raw):
        return float(re.sub(r"[.,]", "", raw))
    return float(raw.replace(".", "").replace(",", ".")) if "," in raw else float(raw)


def check(lines):
    errors = []
    ids = set()
    rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for ln in lines:
        post, exp = ln["post"], ln["expect"]
        pid = post.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errors.append(f"bad/duplicate id {pid}")
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str):
                errors.append(f"{pid}: {f} missing")
        if post["platform"] not in PLATFORMS:
            errors.append(f"{pid}: platform")
        if post.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errors.append(f"{pid}: kind")
        if not isinstance(post.get("account", {}).get("handle"), str):
            errors.append(f"{pid}: handle")
        if len(post["text"].encode("utf-8")) > 65536:
            errors.append(f"{pid}: too long")
        if not rfc3339.match(post["created_at"]):
            errors.append(f"{pid}: created_at")
        when = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if when.year not in (2026, 2027):
            errors.append(f"{pid}: year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errors.append(f"{pid}: categories {cats}")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            errors.append(f"{pid}: severity")
        if not cats and exp["severity"] != "none":
            errors.append(f"{pid}: benign severity")
        if cats and exp["severity"] not in ("warning", "error", "critical"):
            errors.append(f"{pid}: positive severity {exp['severity']}")
        text = post["text"]
        ibans, cards, bsns = identifiers(text)
        if cats:
            for i in ibans:
                if not iban_ok(i):
                    errors.append(f"{pid}: IBAN fails in positive: {i}")
            for x in cards:
                if not luhn_ok(x):
                    errors.append(f"{pid}: card fails Luhn in positive: {x}")
            for x in bsns:
                if not bsn_ok(x):
                    errors.append(f"{pid}: BSN fails 11-proof in positive: {x}")
        else:
            for i in ibans:
                if iban_ok(i) and i.replace(" ", "") not in PUBLIC_IBANS:
                    errors.append(f"{pid}: valid IBAN in negative: {i}")
            for x in cards:
                if luhn_ok(x):
                    errors.append(f"{pid}: Luhn-valid number in negative: {x}")
            for x in bsns:
                if bsn_ok(x):
                    errors.append(f"{pid}: 11-proof number in negative: {x}")
            for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
                if github_ok(tok):
                    errors.append(f"{pid}: valid GitHub token in negative")
            for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
                if not key.endswith("EXAMPLE"):
                    errors.append(f"{pid}: AWS key in negative")
            low = text.lower()
            for term, until in embargo:
                if term in low and when < until:
                    errors.append(f"{pid}: embargo term '{term}' before until in negative")
            for cn in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
                if cn.lower() in low:
                    errors.append(f"{pid}: internal term '{cn}' in negative")
        if P in cats and not (ibans or cards or bsns or "@" in text or re.search(r"\d", text)):
            errors.append(f"{pid}: pii positive without identifier")
        if PR in cats and not re.search(r"€\s?\d", text):
            errors.append(f"{pid}: pricing positive without price")
    # generated secrets are well-formed
    if not github_ok(G["ghp1"]):
        errors.append("ghp token checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", G["akia1"]):
        errors.append("aws key id")
    if not jwt_ok(G["jwt1"]):
        errors.append("jwt header")
    for k in ("iban_p2", "iban_p11", "iban_be", "company_iban"):
        if not iban_ok(G[k]):
            errors.append(f"{k} fails mod-97")
    if iban_ok(G["iban_bad1"]) or luhn_ok(G["card_bad1"]) or bsn_ok(G["bsn_bad1"]):
        errors.append("look-alike passes its checksum")
    if not (luhn_ok(G["card_p4"]) and luhn_ok(G["card_p12"]) and bsn_ok(G["bsn1"])):
        errors.append("positive identifier fails checksum")
    for pi in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(pi):
            errors.append("profile IBAN fails mod-97")
    # profile shape
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errors.append("profile accounts")
    if not 15 <= len(PROFILE["products"]) <= 25 or PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("profile products/pricing")
    # pricing ground truth: in a benign post every euro amount next to a product name is at
    # least alert_below_ratio of its list price, except a deliberate per-person split ("pp")
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for ln in lines:
        text = ln["post"]["text"]
        if ln["expect"]["categories"]:
            continue
        low = text.lower()
        for prod in PROFILE["products"]:
            names = [prod["name"]] + prod["aliases"]
            if not any(a.lower() in low for a in names):
                continue
            for m in re.finditer(r"€\s?(\d[\d.,]*)(\s?pp)?", text):
                price = euro(m.group(1))
                if price < ratio * prod["list_price"] and not m.group(2):
                    errors.append(f"{ln['post']['id']}: benign price {price} below ratio for {prod['sku']}")
    # mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")
    per = {}
    for ln in lines:
        for cat in ln["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
    return errors, n, benign, per, nl


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errors, n, benign, per, nl = check(reread)
    print(f"{n} cases, {benign} benign, {nl} nl / {n - nl} other")
    for cat in sorted(per):
        print(f"  {cat:22s} {per[cat]}")
    sev = {}
    for ln in reread:
        sev[ln["expect"]["severity"]] = sev.get(ln["expect"]["severity"], 0) + 1
    print("  severities:", dict(sorted(sev.items(), key=lambda kv: RANK.index(kv[0]))))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
