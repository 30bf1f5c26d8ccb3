#!/usr/bin/env python3
"""Build the sealed288 evaluation set for postwatch (riding school + equestrian shop).

Deterministic: every random value comes from random.Random(SEED).
Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, categories, severity);
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml;
  * IBANs / cards / BSNs in positives pass their checksum, look-alikes in negatives fail;
  * no post outside leak.pii carries a valid IBAN, card or BSN by accident;
  * generated credentials are well formed (GitHub CRC-32, AWS id alphabet, JWT header);
  * embargo terms appear in benign posts only after `until`, in leaks only before;
  * product prices in non-pricing posts are not below the alert ratio (unless noted).
Needs Python 3 and PyYAML.
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

SEED = 288
HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}

# --------------------------------------------------------------------------
# checksums
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


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(digits):
    d = [int(c) for c in digits if c.isdigit()]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and int("".join(map(str, d))) > 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_nl_iban(bank):
    return iban_make("NL", bank + "".join(rng.choice(string.digits) for _ in range(10)))


def gen_be_iban():
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    chk = int(acct) % 97 or 97
    return iban_make("BE", acct + "%02d" % chk)


def gen_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def gen_bsn():
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_ok(s)
            return s


def break_iban(s):
    """Same shape, wrong check digits."""
    c = s.replace(" ", "")
    cd = int(c[2:4])
    bad = c[:2] + "%02d" % ((cd + 7) % 97 or 13) + c[4:]
    assert not iban_ok(bad)
    return bad


def break_luhn(s):
    last = int(s[-1])
    bad = s[:-1] + str((last + 3) % 10)
    assert not luhn_ok(bad)
    return bad


# --------------------------------------------------------------------------
# accidental identifier scan (used on every post)
# --------------------------------------------------------------------------
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})")
CARD_RE = re.compile(r"(?<![\d])(\d(?:[ -]?\d){12,18})(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\d])")


def valid_ids_in(text):
    found = []
    for m in IBAN_RE.finditer(text):
        c = m.group(1).replace(" ", "")
        L = IBAN_LEN.get(c[:2])
        if L and len(c) >= L and iban_ok(c[:L]):
            found.append(("iban", c[:L]))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if luhn_ok(digits):
            found.append(("card", digits))
    for m in BSN_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(1))
        if bsn_ok(digits):
            found.append(("bsn", digits))
    return found


def clean_secret(make):
    """Draw until the token carries no accidental IBAN/card/BSN look-alike."""
    while True:
        s = make()
        if not valid_ids_in(s):
            return s


# --------------------------------------------------------------------------
# credential generators, built the way the real ones are
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B32 = string.ascii_uppercase + "234567"
URLSAFE = ALNUM + "-_"


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = b64url(json.dumps({"sub": "cust_%d" % rng.randint(10000, 99999), "role": "customer",
                                 "scope": "account:login", "iat": iat, "exp": iat + 86400},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def openssh_key_body():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def slack_bot_token():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 96)


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def human_password(words, symbols="!#$%&*?"):
    return rng.choice(words) + rand(string.digits, 2) + rng.choice(symbols) + rng.choice(words).lower()


GH1 = clean_secret(github_token)
AKIA1 = clean_secret(aws_key_id)
AWSSEC1 = clean_secret(aws_secret)
STRIPE1 = clean_secret(stripe_live)
MOLLIE1 = clean_secret(mollie_live)
SLACK1 = clean_secret(slack_bot_token)
OPENAI1 = clean_secret(openai_key)
PEM1 = clean_secret(openssh_key_body)
JWT1 = clean_secret(jwt_token)
DBPW1 = human_password(["Hoefslag", "Galop", "Stalmeester", "Zadelkamer"], "!*_-")
KASSAPW = human_password(["Merrie", "Hooibaal", "Voerkar", "Weidepaal"])
GOOGLE1 = clean_secret(google_key)
ANTH1 = clean_secret(anthropic_key)

# personal identifiers for positives
IBAN_P1 = gen_nl_iban("INGB")
IBAN_P2 = gen_nl_iban("ABNA")
IBAN_P3 = gen_be_iban()
CARD_P1 = gen_card("4", 16)
CARD_P2 = gen_card("5" + str(rng.randint(1, 5)), 16)
BSN_P1 = gen_bsn()
# look-alikes for negatives
IBAN_BAD = break_iban(gen_nl_iban("RABO"))
CARD_BAD = break_luhn(gen_card("54", 16))
BSN_BAD = "123456789"
assert not bsn_ok(BSN_BAD)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "O": "\u041e",
       "S": "\u0405", "K": "\u041a"}


def cyrillic(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


ZW = "\u200b"

# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", when=None, ids=(), cheap_ok=False, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(cats),
                      kind=kind, when=when, ids=list(ids), cheap_ok=cheap_ok, brand=brand))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"
CNF, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"

# ---------------------------------------------------------------- benign (60)
C("x", "@sanne_rijdt", "nl", "Eerste galop vandaag op Bolletje bij @veldlaerke 🐴💨 Mirjam is echt de allerbeste instructrice, ik was zo bang maar ze bleef zo rustig")
C("instagram", "@veldlaerke.stal", "nl", "Open dag zondag 14 juni! 🎉 Proeflessen, ponyrijden voor de kleintjes en 15% korting in de shop. Aanmelden via www.veldlaerke.nl/opendag #manege #opendag", brand="Veldlaerke")
C("x", "@veldlaerke_help", "nl", "@ruiterjoop Vervelend dat je pakket er nog niet is! Stuur je ordernummer even naar info@veldlaerke.nl of bel ons op 0341-555210 (ma-za 9-17u), dan zoeken we het meteen uit.", kind="reply")
C("facebook", "marieke.dolders", "nl", "Weet iemand of de Luna rijbroek klein valt? Twijfel tussen 38 en 40 🙈")
C("x", "@hoefslagheidi", "nl", "Luna rijbroek nu in de sale voor €111,20 ipv €139 👌 heb er meteen twee besteld, die full grip is echt top")
C("reddit", "u/dressage_dad", "en", "Bought the Celeste dressage saddle from Veldlaerke last spring. €1,895 hurt the wallet but my mare's back has never been happier, and their fitter came out twice at no extra cost.")
C("x", "@paardenmeisje_09", "en", "lol my pony literally ate my old helmet today 😂 thank god the Helios cap was safe in the tack room for Sunday")
C("linkedin", "veldlaerke-bv", "en", "We're hiring! Veldlaerke is looking for a part-time riding instructor (level 3) for our youth programme. Send your CV to vacatures@veldlaerke.nl or read more at www.veldlaerke.nl/vacatures.", brand="Veldlaerke")
C("x", "@lisa_en_storm", "nl", "Sterkte aan alle meiden van Veldlaerke, Bram de oude lespony is vannacht ingeslapen 💔 wat een schat was dat. Rust zacht lieverd 🌈")
C("x", "@ruiterjoop", "nl", "Update: pakket is binnen en de Kensington laarzen passen perfect. Dank @veldlaerke_help voor het snelle regelen, excuses voor m'n gemopper van gisteren 🙏")
C("forum", "Hoefijzer_Henk", "nl", "Wie heeft er ervaring met de Noorderlicht staldeken 300g? Mijn KWPN'er is een enorme koukleum en ik twijfel of 300 gram genoeg is bij -5 's nachts.")
C("x", "@dev_thijsk", "en", "Reminder for anyone writing our webshop docs: the AWS examples use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never paste real keys into tickets, that's what the vault is for.")
C("mastodon", "@keesbrink@paard.social", "nl", "Als je in een README zoiets ziet als ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx dan is dat een placeholder hè. Echte tokens horen in een secret manager, niet in git. #devops")
C("x", "@techtrien", "en", "Forgot my password for the Veldlaerke lesson app AGAIN, third time this month 🙃 reset mail came within a minute though, so fair play")
C("tiktok", "@veldlaerke_manege", "nl", "POV: je pony ziet een plastic zak 😱🐴 #manegeleven #ponylove #veldlaerke")
C("x", "@eqnieuws", "nl", "Datalek bij de Duitse webwinkel ReitWelt: gegevens van 40.000 klanten liggen op straat. Klanten wordt aangeraden hun wachtwoord te wijzigen.")
C("instagram", "@jumpwithjade", "en", "That moment when your AirGuard goes off because you forgot to unclip before dismounting 🤦‍♀️ €30 for a new CO2 cartridge, lesson learned lol", cheap_ok=True)
C("x", "@veldlaerke", "nl", "Prijsupdate: vanaf 1 juli kost de 10-rittenkaart €395 (was €375). Al gekochte kaarten blijven gewoon geldig 🐴", brand="Veldlaerke")
C("facebook", "VeldlaerkeRuitersport", "nl", "Kerstactie 🎄 Tundra outdoordeken van €159 voor €127,20 (20% korting), zolang de voorraad strekt. In de winkel en op shop.veldlaerke.nl")
C("x", "@mamavanfleur", "en", "Fleur had her first trial lesson at Veldlaerke and now she NEVER wants to go home 😅 thank you Femke!!")
C("linkedin", "veldlaerke-bv", "en", "Veldlaerke annual results 2026: revenue up 11% to €8.4m, driven by lessons and the webshop. The full report is on www.veldlaerke.nl/investeerders.", when="2027-02-25T09:30:00Z", brand="Veldlaerke")
C("x", "@mirjam_rijinstructrice", "nl", "Eindelijk mogen we het zeggen: de Veldlaerke Arena Almere is open!! 🏟️🐎 Zaterdag de eerste lessen, ik heb er zó'n zin in", when="2027-04-03T08:15:00Z")
C("x", "@ruitersportfan", "nl", "Net de jaarcijfers 2026 van Veldlaerke doorgelezen, netjes gegroeid. Benieuwd of ze dat volhouden nu die nieuwe hal er staat.", when="2027-03-01T19:42:00Z")
C("x", "@stalmaatje", "nl", f"Wie snapt dit: de Veldlaerke app vraagt om mijn IBAN en ik typ {group4(IBAN_BAD)} maar hij zegt steeds 'ongeldig' 🤔 blijkt dat ik twee cijfers omgedraaid had, nu werkt het", ids=[("iban", IBAN_BAD, False)])
C("x", "@gamerfrits", "en", f"Veldlaerke checkout rejected my card because I fat-fingered it as {group4(CARD_BAD)} 🤦 typed it again properly and it went through fine", ids=[("card", CARD_BAD, False)])
C("forum", "ponymama_gld", "nl", f"Vraagje over het inschrijfformulier voor het ponykamp: in het voorbeeld staat BSN {BSN_BAD}, dat is toch gewoon een nepnummer? Moet je echt je eigen BSN invullen voor een kamp??", ids=[("bsn", BSN_BAD, False)])
C("instagram", "@bas.stalmeester", "en", "New load of hay in 🌾 third cut, smells amazing. The horses are already stamping at the feed door")
C("x", "@anouk_eventing", "en", "Honestly the Pampa jumping saddle is killer. My mare jumps like a dream in it 🔥🔥")
C("threads", "@horsey.memes", "en", "Horses: I will literally die if I see a puddle.\nAlso horses: *rolls in mud for an hour straight*")
C("x", "@dolfijntje", "nl", "De klaprozen langs de buitenbak bij Veldlaerke staan er prachtig bij 🌺 even stilgestaan na de les")
C("youtube", "@VeldlaerkeTV", "en", "New video: how to fit your Helios cap correctly — 5 checks before every ride. Safety first! 🎥")
C("x", "@papa_van_3", "nl", "@veldlaerke is het ponykamp in augustus al vol? Dochter (8) wil heel graag, maar ik zie op de site geen data staan", kind="reply")
C("x", "@veldlaerke_help", "nl", "@papa_van_3 Hoi! Er zijn nog plekken in week 32 en 33 🐴 Inschrijven kan via lessen@veldlaerke.nl of bel +31 341 555 210.", kind="reply")
C("facebook", "henk.slagter", "en", "Free horse manure at Veldlaerke for your veggie patch, bring a wheelbarrow and help yourself 😄 proper good stuff")
C("reddit", "u/saddle_sore", "en", "PSA: don't ever post API keys on social media. Saw a dev at some riding school get burned by it last year. Use env vars, rotate keys, done.")
C("x", "@sophie_dressage", "en", "Had a private dressage lesson at Veldlaerke today, €75 for 45 min but worth every cent. Finally get the half-halt")
C("bluesky", "@tribunemoeder.bsky.social", "nl", "Zit op de tribune bij de clubwedstrijd van Veldlaerke, die kleinste ponyruiters zijn echt te schattig. Eentje huilt omdat ze een rozet won 😭💙")
C("instagram", "@stablehands_eva", "en", "Krachtbrok for €29,95 this week at Veldlaerke, stocking up before winter hits 🐴🍂")
C("linkedin", "ilse-van-tongeren-vl", "en", "Proud to have completed my register controller (RC) programme this month. Thanks to everyone at Veldlaerke who covered for me during exam weeks!")
C("x", "@lekkerbezig", "en", "I'm actually crying at that Veldlaerke video where the pony steals the instructor's cap 😂😂 #iconic")
C("x", "@eqnieuws", "nl", "Terugroepactie bij het Duitse merk Reitsicher: caps uit productiejaar 2024 voldoen niet aan de VG1-norm. Veldlaerke laat weten dat de Helios cap níet onder de actie valt.")
C("x", "@veldlaerke", "en", "We've updated our privacy statement. No action needed — read it at www.veldlaerke.nl/privacy. Questions? privacy@veldlaerke.nl")
C("x", "@jesse_vlt", "en", "Anyone know a good farrier near Ermelo? Ours just retired. Asking for a very dramatic Friesian.")
C("tiktok", "@femke_rijdt", "nl", "Les van vandaag: hielen omlaag, schouders naar achter en ADEMEN 😤 jullie kunnen dit! #rijles #instructeur")
C("forum", "airbag_anna", "en", "Comparing airbag vests: the AirGuard at €649 is mid-range, the Swedish one I tried is €799. Both have the same certification, AirGuard fits shorter torsos better.")
C("x", "@moeder_van_noor", "nl", "Dochter viel vandaag van de pony tijdens de les bij Veldlaerke, niks aan de hand gelukkig en ze stapte meteen weer op 💪 de juf deed het super rustig")
C("x", "@horse_lover_22", "en", "Veldlaerke staff are damn good with nervous riders. My anxious 40-something self cantered today!!")
C("instagram", "@veldlaerke.stal", "en", "Meet Nova, our newest lesson horse! 7 years old, gentle as can be and absolutely obsessed with carrots 🥕")
C("x", "@sander_hoefsmid", "nl", "Weer 14 paarden beslagen vandaag. Rug doet pijn maar de hoeven staan er strak bij 💪 #hoefsmid")
C("x", "@ditisdaan", "nl", "Die lessen-app van Veldlaerke werkt sinds de update echt fijn trouwens, in twee tikken je les geboekt")
C("x", "@veldlaerke_help", "nl", "Wachtwoord van de lessen-app vergeten? Tik op 'wachtwoord vergeten' en je krijgt binnen een minuut een resetlink. Lukt het niet, mail dan lessen@veldlaerke.nl 🙂")
C("facebook", "jolanda.wentink", "nl", "Nieuwe collectie Luna rijbroeken is binnen in de winkel! Kom gerust passen, koffie staat klaar ☕")
C("x", "@valuehunter_nl", "en", "Mistral chaps are €79 and mine have lasted three years of daily mucking out. Best value thing in the Veldlaerke shop.")
C("x", "@redacted_dev", "en", "How we share screenshots at work: sk_live_••••••••••••••••3f2a — always mask keys before posting anything, even internally.")
C("x", "@tevreden_klant", "nl", "Veldlaerke heeft m'n klacht over de laarzen keurig opgelost: nieuwe rits erin en gratis teruggestuurd. Zo hoort het 👏")
C("instagram", "@paardinputten", "nl", "Pensionstalling bij Veldlaerke: €685 per maand incl. weidegang en dagelijks uitmesten. Voor deze regio echt netjes.")
C("x", "@dev_thijsk", "en", "Friendly reminder: a JWT is just base64, not encryption. Anyone can decode the payload, so never put secrets in it.")
C("x", "@branchenieuws", "nl", "Hippische branche onder druk: omzet ruitersportwinkels daalde vorig jaar met 8%, meldt de brancheorganisatie. Vooral kleine zaken hebben het zwaar.")
C("x", "@veldlaerke_help", "nl", "Gepland onderhoud: zondagnacht tussen 02:00 en 04:00 is de lessen-app even niet bereikbaar. Boeken kan daarna weer gewoon.")
C("x", "@jorien_jumps", "nl", "Mijn pony was vandaag echt een klein kreng 😂 weigerde elke sprong en at daarna vrolijk de bloemen van de hindernis op")

# ---------------------------------------------------------------- complaints (12)
C("x", "@ellen_paardenmoeder", "nl", "Voor de 3e keer deze maand les afgezegd door @veldlaerke, een uur van tevoren 😡 en nee geen geld terug want 'staat in de voorwaarden'. Serieus??", [CPL])
C("x", "@jordy_rides", "en", "Ordered Kensington boots from Veldlaerke 3 weeks ago, still says 'processing'. Emailed twice, zero reply. What's going on @veldlaerke_help", [CPL])
C("facebook", "tamara.vdlinden", "nl", "12 kinderen in één groepsles en één instructrice die de helft van de tijd aan de telefoon hing. Mijn dochter heeft 45 minuten stapvoets rondjes gelopen. Dit is toch geen les voor €32,50 Veldlaerke?", [CPL])
C("instagram", "@renske.rijdt", "nl", "Luna rijbroek na 2x wassen al een gat bij de kniegrip… voor €139 verwacht ik echt meer @veldlaerke.stal 👎", [CPL], kind="comment")
C("x", "@pensionboer_ger", "nl", "Stallingsgeld wéér omhoog en de boxen worden nog steeds maar om de dag uitgemest. Mijn merrie staat tot haar enkels in de natte mest. Veldlaerke, doe er wat aan.", [CPL])
C("reddit", "u/horsemum_eu", "en", "Veldlaerke cancelled the pony summer camp a week before start 'due to staff shortage'. Six weeks later we still haven't seen our €595 back. Anyone else waiting?", [CPL])
C("x", "@marloes_k", "nl", "Hallo @veldlaerke_help, al 5 dagen geen reactie op mijn mail over de dubbele afschrijving voor mijn rittenkaart. Kan iemand me aub terugbellen?!", [CPL], kind="reply")
C("forum", "greyhorse_gert", "en", "The arena footing at Veldlaerke is rock hard since the rain, my gelding came out of the lesson short-striding. Told the staff, nobody seemed bothered.", [CPL])
C("x", "@bo_ponymeisje", "en", "bought a Noorderlicht rug from Veldlaerke, one week in the field and it's in shreds. seams just came apart 🙄 useless", [CPL])
C("tiktok", "@lindaenhaarpaard", "nl", "rittenkaart verlopen terwijl ik 8 weken met een gebroken pols thuis zat en Veldlaerke weigert hem te verlengen. klantvriendelijk hoor 🙃", [CPL])
C("facebook", "peter.huisman.74", "en", "Hay in the livery barn at Veldlaerke was mouldy again this week. Paying top euro for a pensionbox and my gelding gets dusty grey hay. Not acceptable.", [CPL])
C("x", "@ilona_rijdt", "nl", "bestelling #VL-204417 kwam binnen met een Sovereign hoofdstel in full terwijl ik cob had besteld. En dan moet ik zelf de retour betalen?? echt niet normaal", [CPL])

# ---------------------------------------------------------------- complaint + crisis, first hand (5)
C("facebook", "wendy.oosterhof", "nl", "Vannacht heeft de Equilux stallamp van Veldlaerke in de box van mijn paard vlam gevat 🔥 De buurman hoorde het gelukkig, paard ongedeerd, maar de halve box is zwartgeblakerd. Dit had heel anders kunnen aflopen. Hoe kan zoiets verkocht worden??", [CPL, CRI])
C("x", "@rickvdhoeven", "en", "My mare got a proper electric shock drinking from the ThermoDrink trough we bought at Veldlaerke. She's now terrified of water. Electrician says the heating element is badly insulated. Absolutely furious.", [CPL, CRI])
C("instagram", "@mama.van.isa", "nl", "Isa viel vandaag tijdens de les en de sluiting van haar Helios cap brak gewoon af, cap vloog van haar hoofd. Hersenschudding. Nooit meer @veldlaerke.stal 💔", [CPL, CRI], kind="comment")
C("reddit", "u/xc_rider_nl", "en", "Came off at a cross-country fence on Sunday and my Veldlaerke AirGuard vest didn't inflate at all. Two cracked ribs. Cartridge was new, lanyard was clipped. I want answers.", [CPL, CRI])
C("x", "@stal_de_eik", "nl", "Drie paarden bij ons op stal met koliek na de nieuwe zakken Krachtbrok van Veldlaerke. Dierenarts vond schimmel in het voer. Eentje is er bijna aan onderdoor gegaan. Walgelijk.", [CPL, CRI])

# ---------------------------------------------------------------- complaint + abuse (2)
C("x", "@boze_ruiter", "nl", "Wat een kutbedrijf is Veldlaerke. 4 weken wachten op m'n zadel en dan krijg ik de verkeerde maat. Stelletje incompetente sukkels.", [CPL, ABU])
C("x", "@justme_kaylee", "en", "@veldlaerke you absolute clowns. Third lesson cancelled this month and your 'customer service' is a useless bunch of morons. Refund me.", [CPL, ABU], kind="reply")

# ---------------------------------------------------------------- crisis (10)
C("x", "@nieuwsveluwe", "nl", "Meisje (9) zwaargewond na val van lespony bij manege Veldlaerke in Ermelo. Politie en Inspectie onderzoeken of de veiligheidsregels zijn nageleefd.", [CRI])
C("x", "@dierenwelzijn_nu", "nl", "Undercoverbeelden tonen hoe lespaarden bij Veldlaerke met de zweep krijgen en uren zonder water staan. BOYCOT deze manege! #boycotveldlaerke #paardenleed", [CRI])
C("x", "@animaljusticeNL", "en", "Sign the petition: no more riding lessons at Veldlaerke until an independent welfare audit is done. 12,000 signatures and counting. #BoycottVeldlaerke", [CRI])
C("reddit", "u/breachwatcher", "en", "Heads up: a file called veldlaerke_customers_2026.csv is being sold on a breach forum. Names, emails and lesson schedules of kids. Has Veldlaerke said anything at all?? Looks like they got breached.", [CRI])
C("x", "@bezorgde_ouder", "nl", "Heeft Veldlaerke een datalek?? Ik krijg ineens sms'jes met de naam van mijn dochter én haar lestijd erin, 'betaal hier je openstaande saldo'. Dat kan alleen uit hun systeem komen.", [CRI])
C("linkedin", "mr-dijkstra-advocatuur", "nl", "Namens twaalf ouders hebben wij vandaag een aansprakelijkheidsprocedure aanhangig gemaakt tegen Ruitersport Veldlaerke B.V. vanwege herhaalde ongevallen tijdens groepslessen.", [CRI])
C("x", "@omroep_gld_regio", "nl", "Brand in stallencomplex Veldlaerke: twee paarden omgekomen, brandweer onderzoekt de oorzaak. Omwonenden zagen rond 03.00 uur vlammen uit de hooischuur slaan.", [CRI])
C("facebook", "ruiters.van.de.veluwe", "en", "Veldlaerke is recalling the Helios cap (batch 2025-11) after reports of buckles snapping. If you own one, stop using it now and share this please!", [CRI])
C("x", "@ruitersportpers", "nl", "NVWA onderzoekt partij Weidemix muesli van Veldlaerke na meldingen van zieke paarden in drie provincies.", [CRI])
C("threads", "@equi.tea", "en", "The Veldlaerke scandal keeps getting worse: former staff now say the owner covered up injuries to kids for years. How is this place still open?", [CRI])

# ---------------------------------------------------------------- abuse (10)
C("x", "@xxdemonxx", "nl", "Veldlaerke = kankerbedrijf. Jullie instructeurs zijn stuk voor stuk debielen", [ABU])
C("instagram", "@nina_hatesyou", "nl", "die Mirjam van Veldlaerke is echt een vette lelijke koe, niemand wil les van jou 🐄🤮", [ABU], kind="comment")
C("x", "@throwaway_3391", "en", "Hey @veldlaerke, your stable manager Bas is a spineless little rat and everyone at the yard knows it.", [ABU])
C("x", "@nooit_meer_vl", "nl", "Veldlaerke zijn gewoon " + fullwidth("oplichters") + " en " + fullwidth("klootzakken") + ", allemaal", [ABU])
C("x", "@r1jd3r_h8", "nl", "v3ldl43rk3 st3ll3tj3 k4nk3rl1jers, hoop dat jullie failliet gaan", [ABU])
C("x", "@waarheidspreker77", "nl", "die nieuwe instructeur bij Veldlaerke is echt een t.y.f.u.s.l.i.j.e.r, ga terug naar je eigen land", [ABU])
C("tiktok", "@kyle.rides", "en", "this Veldlaerke girl teaching is so f*cking dumb lmao how did she even get hired 🤡", [ABU], kind="comment")
C("x", "@countrytom", "en", "Veldlaerke staff are a bunch of inbred hicks, never seen such idiots near a horse", [ABU])
C("x", "@mirjam_rijinstructrice", "nl", "@ellen_paardenmoeder ga lekker ergens anders zeuren jij verwend wijf, niemand hier gaat je missen", [ABU], kind="reply")
C("x", "@veldlaerke_help", "en", "@justme_kaylee honestly get lost, you entitled idiot. nobody wants you at our stables", [ABU], kind="reply")

# ---------------------------------------------------------------- confidential (16)
C("x", "@dev_thijsk", "en", "Long day on Project Sterrenhoef, the new booking flow is going to be 🔥 can't wait for you all to see it", [CNF])
C("linkedin", "ruben-achterberg-it", "en", "Great sprint review today on Project Sterrenhoef — the new member portal is going to change how our riders book and pay. Shout-out to the team! #agile", [CNF])
C("instagram", "@bas.stalmeester", "nl", "Sneak peek 👀 proefzadel van de Hazelwind lijn vandaag getest op Nova. Zit als een huis! Meer mag ik nog niet zeggen 🤫", [CNF])
C("tiktok", "@femke_rijdt", "nl", "onze nieuwe hal is bijna klaar 😍 Arena Almere wordt echt gigantisch, 3 binnenbakken!! ssst niet verder vertellen 🤐", [CNF], when="2026-10-17T16:20:00Z")
C("bluesky", "@noor-veldlaerke.bsky.social", "nl", "Oeps verkeerde chat 😅 maar goed: 'Tarieven 2027 — veldlaerke intern — privéles naar €82 en alle groepslessen 6% omhoog'. Niet doorvertellen hè", [CNF])
C("x", "@dev_thijsk", "en", "If checkout looks weird for you, that's me testing: https://staging.veldlaerke.local/checkout?debug=1 — fixing it now", [CNF])
C("facebook", "jolanda.wentink", "nl", "Collega's: de nieuwe voorraadlijsten staan op backoffice.veldlaerke.nl/voorraad/2026-q4, graag voor vrijdag alles tellen!", [CNF])
C("linkedin", "veldlaerke-bv", "en", "Excited to share a first glimpse of what's next: Operatie Klaproos kicks off this spring. More soon! 🐎", [CNF])
C("x", "@stalroddel", "nl", "Hoorde in de kantine dat Veldlaerke met 'Project Sterrenhoef' bezig is, iets met een eigen app waar je je paard kan volgen? Iemand meer info?", [CNF])
C("x", "@mirjam_rijinstructrice", "en", "Gave my first lesson on the Hazel" + ZW + "wind prototype today 😍 what a saddle, my back is thanking me", [CNF])
C("x", "@sander_hoefsmid", "nl", "Vandaag mee naar die stal in Putten voor " + cyrillic("Operatie Klaproos", "Oae") + ", de hoeven daar zijn een drama 😬 werk aan de winkel", [CNF])
C("bluesky", "@noor-veldlaerke.bsky.social", "nl", "mag nog niks zeggen over H a z e l w i n d maar jullie gaan het zó mooi vinden 😍🐴", [CNF])
C("threads", "@lotte.vl", "nl", "Voor wie ernaar vraagt: nee, de Celeste Pro II ligt nog niet in de winkel, die lanceren we pas in het voorjaar. Het prototype achter de balie is wel next level (niet verder vertellen 😉)", [CNF])
C("reddit", "u/shopcounter_ghost", "en", "Someone left a laptop open at the Veldlaerke shop counter, saw a doc titled 'STRIKT VERTROUWELIJK – nieuwe leveranciers zadels 2027' with all the supplier names on screen. Oops.", [CNF])
C("mastodon", "@keesbrink@paard.social", "en", "Moving the stable camera dashboards to intranet.veldlaerke.local/cams this weekend, expect some hiccups 🛠️", [CNF])
C("x", "@dev_thijsk", "en", "Building the booking pages for Arena Almere this week, launch is going to be massive 🏟️", [CNF], when="2027-02-10T14:05:00Z")

# ---------------------------------------------------------------- confidential + financial, confidential + security
C("linkedin", "ilse-van-tongeren-vl", "nl", "Jaarafsluiting bijna rond 🎉 De jaarcijfers 2026 zien er sterk uit: omzet ruim €8,4 mln en de EBITDA bijna verdubbeld. Officieel nieuws volgt eind februari!", [CNF, FIN], when="2027-01-20T11:10:00Z")
C("mastodon", "@keesbrink@paard.social", "nl", "vpn.veldlaerke.nl ligt er al sinds vannacht uit na een aanval, firewall-logs vol brute-force pogingen uit het buitenland. Nog niks naar buiten gebracht dus ssst", [CNF, SCY])

# ---------------------------------------------------------------- financial (11)
C("linkedin", "ilse-van-tongeren-vl", "en", "Q3 numbers are in and lessons are 14% behind budget. Tough conversations with the board ahead, before any of this goes public.", [FIN])
C("threads", "@lotte.vl", "nl", "Gerucht op de werkvloer is geen gerucht meer: de winkel in Harderwijk gaat dicht en 9 collega's raken hun baan kwijt. Wordt pas in november bekendgemaakt 😞", [FIN])
C("x", "@sander_hoefsmid", "en", "Boss told us today we're being taken over by a big German equestrian chain. Deal isn't done yet but we're talking ~12 million. Exciting times", [FIN])
C("facebook", "jolanda.wentink", "nl", "Vandaag intern bericht gekregen: volgend jaar wordt de shop 'heringericht' met 'optimalisatie van personeelsinzet'. Lees: ontslagen. Ik weet nu al wie 😢", [FIN])
C("linkedin", "ruben-achterberg-it", "en", "Can't say much yet, but Veldlaerke is in final talks to acquire Manege De Brink. Signing planned for next month. Big step for us!", [FIN])
C("x", "@paardenroddel_nl", "nl", "Mijn zus werkt op de administratie bij Veldlaerke: ze halen hun omzetdoel dit jaar bij lange na niet en er komt een flinke bezuinigingsronde aan", [FIN])
C("bluesky", "@noor-veldlaerke.bsky.social", "en", "forecast meeting was grim lol. we're projecting a loss for the year unless the new hall opens on time", [FIN])
C("instagram", "@bas.stalmeester", "en", "Just heard the owner is selling half the shares to an investor from Dubai 😳 officially still a secret of course", [FIN])
C("tiktok", "@femke_rijdt", "nl", "storytime: iedereen van de lesafdeling had vandaag een gesprek, 6 van de 14 instructeurs moeten weg per 1 januari. nog niet officieel dus ik zeg verder niks 🤐", [FIN])
C("x", "@marketmole", "en", "Insider tip: Veldlaerke's holding is about to report a 30% drop in half-year profit. Heard it straight from someone in their finance team.", [FIN])
C("linkedin", "ilse-van-tongeren-vl", "nl", "Voorlopige halfjaarcijfers: omzet webshop -22%, lessen +5%, nettoverlies €310k. Publicatie pas 15 augustus, dus nog even stilhouden collega's.", [FIN])

# ---------------------------------------------------------------- security (12)
C("x", "@dev_thijsk", "en", "Found out today that the lesson app API shows you other riders' bookings if you just change the id in the URL. Not fixed yet, please don't tell anyone 😬", [SCY])
C("mastodon", "@keesbrink@paard.social", "nl", "Ransomware op de kassa-pc's in de winkel vanochtend. Alles versleuteld, we draaien op pen en papier. Naar klanten toe mogen we er nog niks over zeggen.", [SCY])
C("linkedin", "ruben-achterberg-it", "en", "Long night. Someone got into our webshop admin with a phished password and exported the whole customer table. Legal says no statement until Monday.", [SCY])
C("threads", "@lotte.vl", "nl", "Als klanten bellen over hun betaling: de pinautomaten liggen al 3 dagen plat door een hack bij de leverancier, maar wij moeten zeggen dat het 'onderhoud' is 🙄", [SCY])
C("tiktok", "@femke_rijdt", "en", "lol the entire stable planner got wiped by a virus yesterday and there was no backup 💀 nobody knows who's riding when anymore", [SCY])
C("x", "@dev_thijsk", "en", "Team heads-up: the old booking plugin on the shop has an unpatched SQL injection that's being exploited in the wild. No patch yet. Keep this quiet until we've mitigated.", [SCY])
C("facebook", "jolanda.wentink", "nl", "Collega's opgelet: er is gisteren ingebroken op het netwerk van de winkel, iemand heeft de camera's overgenomen. IT zoekt het uit, aub nog niet naar buiten brengen", [SCY])
C("bluesky", "@noor-veldlaerke.bsky.social", "en", "marketing lost access to all our socials for 6 hours yesterday, someone hijacked them through the old agency login. we're acting like nothing happened 😅", [SCY])
C("mastodon", "@keesbrink@paard.social", "en", "Our NAS with all the lesson contracts was reachable from the internet without any auth for about two months. Only noticed today. Management wants to wait before reporting it.", [SCY])
C("x", "@sander_hoefsmid", "nl", "De elektronische toegangspoort van de stallen gaat al een week open met elke willekeurige tag, zegt de IT-jongen. Wordt pas na de kerst gefixt. Handig voor paardendieven 🙃", [SCY])
C("x", "@veldlaerke_help", "nl", "@marloes_k Excuses, onze betaalomgeving is sinds het datalek van dinsdag nog niet veilig, daarom werken betalingen even niet. Dit is nog niet officieel bekend.", [SCY], kind="reply")
C("linkedin", "ruben-achterberg-it", "nl", "Pentestrapport binnen: 23 kritieke kwetsbaarheden in ons boekingssysteem, waaronder wachtwoorden die onversleuteld worden opgeslagen. Tot het gefixt is houden we het binnenskamers.", [SCY])

# ---------------------------------------------------------------- secrets (12)
C("x", "@dev_thijsk", "en", f"CI keeps failing on the shop repo, anyone see what's wrong?\n\nexport GITHUB_TOKEN={GH1}\nnpm run deploy", [SEC])
C("mastodon", "@keesbrink@paard.social", "en", f"note to self for the backup script:\naws_access_key_id = {AKIA1}\naws_secret_access_key = {AWSSEC1}", [SEC])
C("x", "@dev_thijsk", "en", f"stripe webhook finally works 🎉 tested it with {STRIPE1} just to be sure", [SEC])
C("x", "@dev_thijsk", "nl", f"Mollie-koppeling van de webshop staat live! API key voor de collega's: {MOLLIE1}", [SEC])
C("threads", "@lotte.vl", "en", f"Can someone from IT fix the Slack bot? the token in the config is {SLACK1} and it keeps saying invalid_auth", [SEC])
C("x", "@freelance_fenna", "en", f"Built a little FAQ chatbot for a riding school client (@veldlaerke) this week. Their key {OPENAI1} still had $400 credit on it lol", [SEC])
C("mastodon", "@keesbrink@paard.social", "nl", f"Kan iemand deze sleutel op de backupserver zetten? thx\n-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM1}\n-----END OPENSSH PRIVATE KEY-----", [SEC])
C("x", "@veldlaerke_help", "nl", f"@sophie_dressage Probeer deze link, dan ben je meteen ingelogd: https://www.veldlaerke.nl/account/login?token={JWT1}", [SEC], kind="reply")
C("x", "@dev_thijsk", "en", f"DATABASE_URL=postgres://shop_admin:{DBPW1}@db.veldlaerke-prod.eu:5432/webshop\nwhy is this connection timing out??", [SEC])
C("facebook", "jolanda.wentink", "nl", f"Voor wie morgen de winkel opent: inlog kassa is jolanda / wachtwoord: {KASSAPW} 👍", [SEC])
C("x", "@ex_stagiair_vl", "en", f"lmao my old internship at Veldlaerke left their Google Maps key in the site source: {GOOGLE1} still works too", [SEC])
C("bluesky", "@noor-veldlaerke.bsky.social", "nl", f"voor de nieuwsbrief-generator gebruiken we deze: ANTHROPIC_API_KEY={ANTH1} — als hij weer 401 geeft ping me even", [SEC])

# ---------------------------------------------------------------- personal data (15)
C("x", "@veldlaerke_help", "nl", f"@marloes_k We hebben de dubbele afschrijving teruggestort op {group4(IBAN_P1)} t.n.v. M. Kuipers, binnen 2 werkdagen zichtbaar.", [PII], kind="reply", ids=[("iban", IBAN_P1, True)])
C("x", "@rdegraaf_rijdt", "nl", f"@veldlaerke_help zoals gevraagd mijn rekeningnummer voor de terugbetaling van het kamp: {IBAN_P2} t.n.v. R. de Graaf. Dank jullie!", [PII], kind="reply", ids=[("iban", IBAN_P2, True)])
C("instagram", "@bas.stalmeester", "nl", "Gefeliciteerd Sophie de Wit (geb. 14-03-2012), vandaag je eerste rozet én je bent jarig 🎉🐴", [PII])
C("x", "@mirjam_rijinstructrice", "nl", "@papa_van_3 Ik bel je zo even op 06-41782290, is dat nog het goede nummer voor Emma?", [PII], kind="reply")
C("facebook", "VeldlaerkeRuitersport", "nl", f"Gevonden in de kantine: bankpas op naam van J. Verhoef, nummer {group4(CARD_P1)}. Af te halen bij de balie!", [PII], ids=[("card", CARD_P1, True)])
C("linkedin", "ilse-van-tongeren-vl", "nl", f"Kan iemand van HR even checken: nieuwe stalhulp Kevin Bos, BSN {BSN_P1}, staat nog niet in de salarisadministratie.", [PII], ids=[("bsn", BSN_P1, True)])
C("x", "@ouder_van_lisa", "en", "@veldlaerke_help my daughter's booking is under lisa.vermeulen2011@gmail.com, could you move her lesson to Thursday please?", [PII], kind="reply")
C("x", "@veldlaerke_help", "en", "@jordy_rides Hi Jordy, found your order — it went to Kastanjelaan 14, 3851 AB Ermelo for Jordy van Dam. Could that be an old address?", [PII], kind="reply")
C("threads", "@lotte.vl", "nl", "Wie weet wie dit is? Klant belt al de hele dag: Petra Smulders, petra.smulders@ziggo.nl, 0577-123456 — ze wil haar pony aanmelden voor het kamp", [PII])
C("x", "@annemiek_fries", "nl", "Ik zoek de eigenaar van die zwarte Fries die bij Veldlaerke gestald staat, bel me even: +31 6 2487 1930 (Annemiek)", [PII])
C("reddit", "u/lostandfound_ermelo", "en", "Found a wallet by the Veldlaerke car park: Thomas Brouwer, born 02/09/1987, Stationsweg 3, Putten. DM me if you know him.", [PII])
C("x", "@veldlaerke", "nl", "De winnaar van onze winactie is Daan Hoekstra uit Nijkerk (Boslaan 27, 3862 XK)! Je AirGuard vest wordt deze week bezorgd 🎉", [PII])
C("x", "@dev_thijsk", "en", f"debugging the refund job, failing record: card {CARD_P2} exp 08/28 holder 'N. Jansen' — anyone seen this error before?", [PII], ids=[("card", CARD_P2, True)])
C("tiktok", "@belgische_bo", "nl", f"lol mijn IBAN staat gewoon op de lesfactuur die ik hier film: {group4(IBAN_P3)} 🙈 ach boeie", [PII], kind="comment", ids=[("iban", IBAN_P3, True)])
C("tiktok", "@femke_rijdt", "nl", "Aan de ouders van Julia Meijer (groep zaterdag 10u): mail me even op femke.devries88@hotmail.com, haar geboortedatum 21-06-2014 klopt niet in het systeem", [PII])

# ---------------------------------------------------------------- pricing (12)
C("x", "@veldlaerke", "nl", "🔥 FLASH DEAL 🔥 AirGuard airbagvest nu voor €64,90! Op=op via shop.veldlaerke.nl", [PRC], brand="Veldlaerke")
C("x", "@dealjager", "nl", "PRIJSFOUT bij Veldlaerke! Celeste dressuurzadel voor €189,50 in de webshop 😱 snel zijn!!", [PRC])
C("reddit", "u/bargainrider", "en", "Veldlaerke webshop has the Kensington boots listed at €42.90 instead of €429. Ordered two pairs, let's see if they honour it lol", [PRC])
C("facebook", "VeldlaerkeRuitersport", "nl", "Nu in de shop: Pampa springzadel van €1.649 voor €164,90 🐎 alleen dit weekend!", [PRC])
C("instagram", "@bas.stalmeester", "nl", "Haha er zit een foutje in de prijskaartjes in de winkel, de ThermoDrink staat op €24,90 😂 wie eerst komt…", [PRC])
C("x", "@curious_cath", "en", "Is this a price error? Helios cap for €18,90 on the Veldlaerke site, it's normally €189", [PRC])
C("tiktok", "@veldlaerke_manege", "nl", "10-rittenkaart nu €95 i.p.v. €395!! 😍 link in bio #rijles #deal", [PRC])
C("x", "@scherpe_prijs", "nl", "volgens mij heeft Veldlaerke een prijsfout op het Sovereign hoofdstel, hij staat er voor een tientje in 🤔", [PRC])
C("x", "@dev_thijsk", "en", "oops, the import script divided the whole breeches category by 10 — Luna breeches showing €13.90 on prod right now, fixing asap 🙈", [PRC])
C("x", "@koopjesmarije", "en", "Veldlaerke has the Noorderlicht stable rug at €11,90 right now haha probably a typo but I ordered 3", [PRC])
C("facebook", "jolanda.wentink", "nl", "Voor de vaste klanten: Weidemix muesli deze week €4,95 per zak, zeg het voort! 😉", [PRC])
C("threads", "@glitchhunter", "en", "There's a pricing glitch on the Duet lunging girth at Veldlaerke — €1.19 at checkout. Anyone else seeing this?", [PRC])

# --------------------------------------------------------------------------
# severity (CONTRACT section 4), from the profile role
# --------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(cats, role, checked_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRC) or (c == PII and checked_id):
                    s = 4
                else:
                    s = 3
            else:
                s = 2
        elif c == CPL:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        lvl = max(lvl, s)
    return SEV[lvl]


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
URLBASE = {"x": "https://x.com/%s/status/%d", "instagram": "https://www.instagram.com/p/%s%d/",
           "tiktok": "https://www.tiktok.com/%s/video/%d", "threads": "https://www.threads.net/%s/post/%d"}


def rand_time():
    start = dt.datetime(2026, 1, 2, 6, 0, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 30, 23, 0, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
out = []
for n, i in enumerate(order):
    c = CASES[i]
    role = role_of(c["platform"], c["handle"])
    checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
    sev = severity(c["cats"], role, checked)
    pid = "%s-288%04d" % (c["platform"], 1000 + n * 7 + rng.randint(0, 6))
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"],
            "created_at": c["when"] or rand_time()}
    if n % 5 != 3:
        post["lang"] = c["lang"]
    if c["platform"] in URLBASE:
        h = c["handle"].lstrip("@")
        post["url"] = URLBASE[c["platform"]] % ("@" + h if c["platform"] in ("tiktok", "threads") else h,
                                                 rng.randint(10 ** 17, 10 ** 18))
    if c["brand"]:
        post["brand"] = c["brand"]
    out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    c["role"] = role

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps(o, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------
# self-checks (re-read the written file)
# --------------------------------------------------------------------------
errors = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {CPL, CRI, ABU, SEC, PII, PRC, CNF, FIN, SCY}
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
for i in PUBLIC_IBANS:
    if not iban_ok(i):
        errors.append("profile IBAN fails mod-97: " + i)

by_text = {c["text"]: c for c in CASES}
lines = open(path, encoding="utf-8").read().splitlines()
seen = set()
for ln, line in enumerate(lines, 1):
    o = json.loads(line)
    p, e = o["post"], o["expect"]
    where = "line %d (%s)" % (ln, p.get("id"))
    if set(o) != {"post", "expect"}:
        errors.append(where + ": top-level keys")
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        errors.append(where + ": id")
    if p["id"] in seen:
        errors.append(where + ": duplicate id")
    seen.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        errors.append(where + ": platform")
    if p.get("kind", "post") not in KINDS:
        errors.append(where + ": kind")
    if not isinstance(p.get("account", {}).get("handle"), str):
        errors.append(where + ": handle")
    if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        errors.append(where + ": text")
    try:
        ts = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
            errors.append(where + ": created_at range/tz")
    except Exception:
        errors.append(where + ": created_at not RFC 3339")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        errors.append(where + ": categories")
    if e["severity"] not in SEV:
        errors.append(where + ": severity value")
    if (not cats) != (e["severity"] == "none"):
        errors.append(where + ": benign/none mismatch")
    c = by_text[p["text"]]
    role = role_of(p["platform"], p["account"]["handle"])
    checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
    if severity(cats, role, checked) != e["severity"]:
        errors.append(where + ": severity not per policy")
    # declared identifiers
    compact = re.sub(r"[ ]", "", p["text"])
    for kind, val, should in c["ids"]:
        if val.replace(" ", "") not in compact:
            errors.append(where + ": declared %s not in text" % kind)
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if ok != should:
            errors.append(where + ": %s checksum %s, expected %s" % (kind, ok, should))
        if should and PII not in cats:
            errors.append(where + ": valid identifier in a non-pii case")
        if not should and cats:
            errors.append(where + ": look-alike declared in a positive")
    # accidental valid identifiers
    for kind, val in valid_ids_in(p["text"]):
        if kind == "iban" and val in PUBLIC_IBANS:
            continue
        if PII not in cats:
            errors.append(where + ": accidental valid %s %s" % (kind, val))
    # credentials
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
        if github_ok(tok) != (SEC in cats):
            errors.append(where + ": github token checksum vs label")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", p["text"]):
        real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
        if bool(real) != (SEC in cats):
            errors.append(where + ": AWS id vs label")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", p["text"]):
        if not jwt_ok(tok):
            errors.append(where + ": JWT header lacks alg")
    # embargo
    for emb in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        for term in emb["terms"]:
            if term.lower() in p["text"].lower():
                before = ts < until
                if before and CNF not in cats:
                    errors.append(where + ": embargo term before until but not confidential")
                if not before and cats:
                    errors.append(where + ": embargo term after until in a positive (check intent)")
    # prices
    low = p["text"].lower()
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    mentioned = [pr for pr in PROFILE["products"]
                 if any(a.lower() in low for a in pr["aliases"] + [pr["name"]])]
    prices = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:eur|euro)\b", p["text"], re.I):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in s and "." in s:
            v = float(s.replace(".", "").replace(",", "."))
        elif "," in s:
            v = float(s.replace(",", ".")) if len(s.split(",")[-1]) == 2 else float(s.replace(",", ""))
        elif "." in s:
            v = float(s) if len(s.split(".")[-1]) != 3 else float(s.replace(".", ""))
        else:
            v = float(s)
        prices.append(v)
    cheap = any(v < ratio * pr["list_price"] for v in prices for pr in mentioned)
    if PRC in cats:
        if not mentioned:
            errors.append(where + ": pricing case names no catalogue product")
        if not cheap and not re.search(r"prijsfout|price error|glitch|typfout|typo|foutje|tientje", low):
            errors.append(where + ": pricing case without a low price or price-error talk")
    elif cheap and not c["cheap_ok"]:
        errors.append(where + ": product priced below alert ratio in a non-pricing case")

# role sanity: leak-heavy mix and public handles really public
roles = {}
for c in CASES:
    roles.setdefault(c["role"], 0)
    roles[c["role"]] += 1

n = len(lines)
benign = sum(1 for c in CASES if not c["cats"])
per_cat = {k: sum(1 for c in CASES if k in c["cats"]) for k in sorted(CATS)}
nl = sum(1 for c in CASES if c["lang"] == "nl")
evasive = sum(1 for c in CASES if any(unicodedata.category(ch) == "Cf" or 0xFF01 <= ord(ch) <= 0xFF5E
                                       or 0x0400 <= ord(ch) <= 0x04FF for ch in c["text"])
              or re.search(r"\b\w(?:[. ]\w){5,}\b", c["text"]) and re.search(r"(?:\b\w[. ]){5}", c["text"])
              or re.search(r"\b\w*\d\w*[a-z]\d\w*\b", c["text"]) and "l1" in c["text"])
if not (170 <= n <= 180):
    errors.append("case count %d outside 170-180" % n)

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)

print("wrote %s: %d cases, %d benign, %d positive" % (path, n, benign, n - benign))
print("per category:", json.dumps(per_cat))
print("roles:", json.dumps(roles), " dutch share: %.0f%%" % (100.0 * nl / n), " evasive:", evasive)
print("self-check OK")
