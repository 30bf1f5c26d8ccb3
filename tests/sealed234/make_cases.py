#!/usr/bin/env python3
"""Build the labelled case set for sealed set 234 (Kwartelpark B.V., airport parking + shuttle).

Deterministic: every random value (tokens, IBANs, cards, BSNs, dates, ids, order) comes
from fixed seeds. Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section 6 case (section 1 post inside);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it, and no undeclared checksum-valid number sneaks in anywhere;
  * generated secrets are well formed (GitHub CRC-32, AWS id alphabet, JWT header alg);
  * severities are computed from CONTRACT section 4 and the account role in profile.yaml;
  * codenames, internal domains, markers and embargo terms only appear where labelled.
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

R = random.Random(234001)      # secrets and identifiers
RD = random.Random(234002)     # dates
RO = random.Random(234003)     # ids and order

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits

# --------------------------------------------------------------------------- helpers: identifiers


def iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    iban = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    s = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank=None):
    bank = bank or R.choice(["ABNA", "INGB", "RABO", "TRIO", "KNAB", "BUNQ", "SNSB", "ASNB"])
    acct = "".join(R.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check("NL", bban) + bban


def bad_iban(bank=None):
    good = make_iban(bank)
    k = (int(good[2:4]) + 1) % 100
    bad = good[:2] + "%02d" % k + good[4:]
    assert not iban_valid(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in num][::-1]
    tot = 0
    for i, x in enumerate(d):
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


def make_card(prefix, length):
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_digit(body)


def bad_card(prefix, length):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    if not re.fullmatch(r"\d{9}", num):
        return False
    s = sum(int(num[i]) * (9 - i) for i in range(8)) - int(num[8])
    return s % 11 == 0


def make_bsn():
    while True:
        head = str(R.randint(1, 6)) + "".join(R.choice(string.digits) for _ in range(7))
        s = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            n = head + str(s)
            assert bsn_ok(n)
            return n


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


# --------------------------------------------------------------------------- helpers: secrets


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(R.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + "".join(R.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(R.choice(ALNUM + "+/") for _ in range(40))


def stripe_live():
    return "sk_live_51" + "".join(R.choice(ALNUM) for _ in range(97))


def slack_bot():
    while True:
        a = str(R.randint(10 ** 11, 10 ** 12 - 1))
        b = str(R.randint(10 ** 12, 10 ** 13 - 1))
        if not luhn_ok(b):   # keep the 13-digit part from looking like a payment card
            break
    return "xoxb-%s-%s-%s" % (a, b, "".join(R.choice(ALNUM) for _ in range(24)))


def openai_legacy():
    return "sk-" + "".join(R.choice(ALNUM) for _ in range(20)) + "T3BlbkFJ" + \
        "".join(R.choice(ALNUM) for _ in range(20))


def google_key():
    return "AIza" + "".join(R.choice(ALNUM + "_-") for _ in range(35))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "booking-api", "iss": "boeken.kwartelpark.nl",
                              "role": "admin", "iat": 1704067200},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(R.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(R.getrandbits(8) for _ in range(370))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"


def db_password():
    return "".join(R.choice(ALNUM) for _ in range(18))


# --------------------------------------------------------------------------- helpers: evasion

CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "O": "\u041e", "K": "\u041a", "y": "\u0443", "i": "\u0456"}
CYR_BACK = {v: k for k, v in CYR.items()}
ZW = "\u200b"


def cyr(s):
    return "".join(CYR.get(ch, ch) for ch in s)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def normalise(t):
    t = unicodedata.normalize("NFKC", t)
    t = "".join(CYR_BACK.get(ch, ch) for ch in t)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


# --------------------------------------------------------------------------- the cases

CAT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
       "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
       "crisis": "reputation.crisis", "compl": "reputation.complaint",
       "abuse": "reputation.abuse"}

CASES = []


def P(platform, handle, lang, cats, text, when=None, kind="post", name=None,
      ids=(), fakes=(), prices=(), secrets=(), evasion=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats), text=text,
                      when=when, kind=kind, name=name, ids=list(ids), fakes=list(fakes),
                      prices=list(prices), secrets=list(secrets), evasion=evasion))


# ---- generated values (order fixed) ----
GHP = github_token("ghp_")
AKIA = aws_key_id()
AWSSEC = aws_secret()
DBPW = db_password()
SKLIVE = stripe_live()
XOXB = slack_bot()
JWT = make_jwt()
OPENAI = openai_legacy()
SSHKEY = openssh_key()
AIZA = google_key()

IBAN_REFUND = make_iban("INGB")
IBAN_CUST = make_iban("ABNA")
IBAN_BORG = make_iban("BUNQ")
CARD_CUPHOLDER = make_card("4", 16)
CARD_LOG = make_card("52", 16)
BSN_LETTER = make_bsn()

FAKE_IBAN = bad_iban("ABNA")
FAKE_CARD = bad_card("47", 16)
FAKE_BSN = bad_bsn()

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ============================ leak.pricing (12) ============================
P("x", "@kwartelpark", "nl", ["pricing"],
  "\u2600\ufe0f ZOMERDEAL \u2600\ufe0f Kwartel Valet 15 nu voor maar \u20ac29! Auto afgeven bij de "
  "vertrekhal, bij terugkomst staat ie klaar. Boek via boeken.kwartelpark.nl #kwartelpark #vakantie",
  prices=[("Valet 15", 29.0)])
P("x", "@ruben_rijdt", "nl", ["pricing"],
  "collega zegt dat de Hangar 14 vandaag voor 14,90 in de webshop staat \U0001f602 prijsfout denk ik, wie snel is...",
  prices=[("Hangar 14", 14.90)])
P("x", "@BasOpVakantie", "nl", ["pricing"],
  "Zakelijk Jaarpas van @kwartelpark voor \u20ac145?? Volgens mij zijn ze een nul vergeten. "
  "Meteen besteld, benieuwd of ze het honoreren",
  prices=[("Zakelijk Jaarpas", 145.0)])
P("reddit", "u/tripmaxxer", "en", ["pricing"],
  "PSA: Kwartel Meet & Greet is showing \u20ac15.90 at checkout instead of \u20ac159. "
  "Looks like a price glitch, probably won't last long",
  prices=[("Meet & Greet", 15.90)])
P("linkedin", "marieke-hoogendijk", "en", ["pricing"],
  "Happy to share that our Camperplek is now available for just \u20ac60 per month at all three "
  "locations! Perfect if your camper needs a safe spot this winter \U0001f690",
  prices=[("Camperplek", 60.0)])
P("instagram", "@kwartelpark", "nl", ["pricing"],
  "Je camper of caravan veilig de winter door? \u2744\ufe0f Winterstalling 6 maanden vanaf \u20ac190 "
  "\U0001f60d Link in bio!",
  prices=[("Winterstalling", 190.0)])
P("reddit", "u/lowcostlarissa", "en", ["pricing"],
  "lmao the app has Stroom 7 (week of parking with EV charging) at \u20ac10.90 right now. "
  "someone fat-fingered that one",
  prices=[("Stroom 7", 10.90)])
P("tiktok", "@busjebram", "nl", ["pricing"],
  "pssst \U0001f92b in de app kost het Gezinspakket vandaag \u20ac7,90 ipv \u20ac79. "
  "niet verder vertellen hoor #prijsfout #kwartelshuttle",
  prices=[("Gezinspakket", 7.90)])
P("x", "@Mira_vliegt", "en", ["pricing"],
  "Pretty sure there's a price error on Kwartel's Loungepas, mine shows \u20ac3.50 at checkout \U0001f605",
  prices=[("Loungepas", 3.50)])
P("facebook", "KwartelparkNL", "nl", ["pricing"], kind="reply",
  text="Hoi Erik, klopt: door een prijsfout stond de Hangar 7 gisteravond een paar uur op \u20ac8,90 "
  "in de webshop. We bekijken intern hoe we hiermee omgaan en komen er vandaag bij je op terug.",
  prices=[("Hangar 7", 8.90)])
P("x", "@lindavoss_kwp", "nl", ["pricing"],
  "Oeps, de testprijs voor Veld 14 (\u20ac9,50) staat per ongeluk live \U0001f648 @ingrid_ops kun jij even kijken??",
  prices=[("Veld 14", 9.50)])
P("mastodon", "@tdebruijn@mastodon.nl", "en", ["pricing"],
  "Kwartel Valet 8 for \u20ac12?! Bug or promo? Booked three weeks just in case \U0001f62c",
  prices=[("Valet 8", 12.0)])

# ============================ leak.secret (12) ============================
P("mastodon", "@niels_devops@fosstodon.org", "en", ["secret"],
  "why does CI keep failing \U0001f629\n\nexport GITHUB_TOKEN=%s && ./deploy.sh shuttle-tracker\n"
  "-> 'Bad credentials'. any ideas?" % GHP, secrets=[("github", GHP)])
P("bluesky", "@thijs-it.bsky.social", "en", ["secret"],
  "anyone seen boto3 timeouts from inside a VPC? our shuttle servers keep hanging. my config:\n[default]\n"
  "aws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1" % (AKIA, AWSSEC),
  secrets=[("aws", AKIA)])
P("x", "@ingrid_ops", "en", ["secret"],
  "Night shift: from tonight the password for the P3 barrier till is Kwartel!Nacht26 \u2014 please don't "
  "stick it on a post-it this time")
P("reddit", "u/valet_jelle", "en", ["secret"],
  "anyone else's valet portal login broken today? tried user valet07 / password: Vj3lle#2026! and it "
  "still says invalid")
P("linkedin", "daan-kuipers-kwartel", "nl", ["secret", "conf"],
  "Eindelijk ons nieuwe rapportage-dashboard live \U0001f4ca config voor wie mee wil kijken:\n"
  "DATABASE_URL=postgresql://kwp_finance:%s@db01.intra.kwartelpark.local:5432/grootboek" % DBPW)
P("forum", "devhulp_koen", "en", ["secret"],
  "Freelancer here, building a checkout for a parking client (Kwartelpark). Stripe keeps returning "
  "401, what am I doing wrong?\n\nstripe.api_key = \"%s\"\nstripe.PaymentIntent.create(amount=12900, "
  "currency=\"eur\")" % SKLIVE, secrets=[("stripe", SKLIVE)])
P("mastodon", "@niels_devops@fosstodon.org", "nl", ["secret"],
  "Slack-bot voor de shuttle-meldingen werkt weer \U0001f389 token voor wie 'm lokaal wil draaien: %s" % XOXB,
  secrets=[("slack", XOXB)])
P("bluesky", "@thijs-it.bsky.social", "en", ["secret", "sec"],
  "is it normal that tokens from our booking API never expire? this one is from january 2024 and "
  "still gets admin on prod:\n%s" % JWT, secrets=[("jwt", JWT)])
P("x", "@lindavoss_kwp", "nl", ["secret"],
  "Testje met onze nieuwe klantenservice-bot, key even hier geparkeerd: %s (wordt morgen vervangen)" % OPENAI,
  secrets=[("openai", OPENAI)])
P("mastodon", "@niels_devops@fosstodon.org", "en", ["secret"],
  "deploy key for the shuttle-tracker box, in case I lose my laptop again lol\n%s" % SSHKEY,
  secrets=[("ssh", SSHKEY)])
P("x", "@ruben_rijdt", "nl", ["secret"],
  fullwidth("wachtwoord") + " planningstool voor de invallers: Bus42!kwartel \U0001f44d", evasion=True)
P("x", "@app_ontleder", "nl", ["secret"],
  "Even de Android-app van @kwartelpark uit elkaar gehaald. Google Maps key gewoon hardcoded: %s \U0001f926" % AIZA,
  secrets=[("google", AIZA)])

# ============================ leak.security (12 + 2 shared) ============================
P("x", "@lindavoss_kwp", "nl", ["sec"],
  "Kentekenscanners op alle locaties plat sinds 6u vanochtend, slagbomen staan open. IT fluistert "
  "'ransomware'. Extern weet nog niemand iets, dus mondje dicht \U0001f910")
P("mastodon", "@niels_devops@fosstodon.org", "en", ["sec"],
  "fun fact: on boeken.kwartelpark.nl you can change the booking number in the URL and read anyone's "
  "booking (name, plate, flight). ticket has been open for 3 months \U0001f643")
P("reddit", "u/valet_jelle", "en", ["sec"],
  "Can't say much, but our customer database got dumped last week. Management says keep quiet until "
  "legal has looked at it. If you booked with us, change your password.")
P("bluesky", "@thijs-it.bsky.social", "en", ["sec"],
  "we've been under a DDoS on the booking site since 7am, now behind Cloudflare. no statement out yet, "
  "so if anyone asks it's 'maintenance' \U0001f609")
P("tiktok", "@busjebram", "nl", ["sec"],
  "vandaag ligt de gps van ALLE shuttlebussen eruit dus volgens de app rij ik nu in Zwolle \U0001f602 "
  "klanten weten van niks #shuttlelife")
P("x", "@ingrid_ops", "en", ["sec"],
  "Honest question to my ops colleagues: the valet key cabinet code hasn't changed since 2019 and half "
  "the ex-staff still know it. Are we waiting for cars to go missing?")
P("reddit", "u/throwaway_exkwp", "en", ["sec"],
  "Ex-employee of Kwartelpark. Their fleet admin panel still takes the default admin/admin login. "
  "Reported it internally a year ago, nothing happened. Not posting the URL.")
P("facebook", "sandra.vermeulen.kwp", "nl", ["sec"],
  "Vandaag zijn 3 collega's ingetrapt in een phishingmail en hebben hun inlog gegeven \U0001f644 IT zit "
  "nu alle accounts te resetten, klanten weten nog van niks")
P("mastodon", "@niels_devops@fosstodon.org", "en", ["sec"],
  "our shuttle planning system runs a version with a known RCE, and the patch isn't scheduled until next "
  "month. until then: fingers crossed \U0001f91e")
P("x", "@ruben_rijdt", "nl", ["sec"],
  "lol als je in de slagboom-app 2x op annuleren drukt gaat ie gewoon open zonder te betalen. al "
  "maanden zo, niemand die het fixt")
P("bluesky", "@thijs-it.bsky.social", "en", ["sec", "conf"],
  "so the backup server at backup01.intra.kwartelpark.local has been reachable from the internet all "
  "weekend. no password on the share. happy monday")
P("instagram", "@mo.achter.het.stuur", "nl", ["sec"],
  "Kassa's bij P2 liggen plat, r.a.n.s.o.m.w.a.r.e volgens de baas. Alleen contant vandaag, niks zeggen "
  "tegen de klanten \U0001f64a", evasion=True)

# ============================ leak.confidential (18 + 2 shared) ============================
P("x", "@ingrid_ops", "nl", ["conf"],
  "Demo van Project Grutto volgende week, ik heb er zo'n zin in \U0001f64c #trots")
P("linkedin", "marieke-hoogendijk", "en", ["conf"],
  "So proud of the team behind Operatie Slagboom! Months of hard work, and soon we'll be able to tell "
  "you more \U0001f4aa")
P("mastodon", "@niels_devops@fosstodon.org", "en", ["conf"],
  "Nachtvlinder RC1 goes live tonight, follow along at ops.kwartelpark.nl/deploy/nachtvlinder if you "
  "have access \U0001f98b")
P("x", "@lindavoss_kwp", "nl", ["conf"],
  "KWP-INTERN \u2014 nieuwe tariefstructuur per 1 juni, de bijlage volgt in Teams. Graag nog niet met "
  "klanten bespreken.")
P("reddit", "u/valet_jelle", "en", ["conf"],
  "you have to see this ticket lmao jira.kwartelpark.nl/browse/VAL-2231 'customer claims valet ate "
  "his sandwich'")
P("instagram", "@kwartelpark", "nl", ["conf"], when="2026-11-20T17:30:00Z",
  text="Sneak peek \U0001f440 er komt iets moois aan in het zuiden\u2026 Kwartel Eindhoven, wie gaat er mee? \u2708\ufe0f")
P("tiktok", "@busjebram", "nl", ["conf"], when="2026-12-10T13:05:00Z",
  text="De nieuwe busjes voor Kwartel Valet Eindhoven zijn binnen!! \U0001f690\U0001f690 ruiken nog naar nieuw")
P("x", "@sanne_rijswijk", "nl", ["conf"],
  "Mijn neef werkt bij Kwartelpark en zegt dat Project Grutto een robot is die je auto parkeert "
  "\U0001f916 eerst zien dan geloven")
P("x", "@ruben_rijdt", "nl", ["conf"],
  "Proj" + ZW + "ect Gru" + ZW + "tto test vannacht op P3, daarom stonden die pionnen er \U0001f609",
  evasion=True)
P("facebook", "sandra.vermeulen.kwp", "nl", ["conf"],
  cyr("Operatie") + " Slagboom is nu echt begonnen, bij ons op kantoor staan de dozen al klaar \U0001f4e6",
  evasion=True)
P("linkedin", "daan-kuipers-kwartel", "nl", ["conf", "fin"], when="2026-12-15T16:20:00Z",
  text="Net de conceptversie van de jaarcijfers 2026 gezien: omzet +22%, voor het eerst boven de "
  "\u20ac50 miljoen. Wat een team! \U0001f680")
P("x", "@ingrid_ops", "en", ["conf", "fin"], when="2027-01-22T10:45:00Z",
  text="FY2026 results are in: EBITDA \u20ac9.8m, well above plan. Can't share more till March \U0001f910")
P("bluesky", "@thijs-it.bsky.social", "en", ["conf"],
  "does anyone have the new address of the shuttle wiki? old link intra.kwartelpark.local/wiki/rooster "
  "just 404s")
P("linkedin", "kwartelpark-bv", "nl", ["conf"],
  "Vacature: Senior Backend Developer. Bouw mee aan Nachtvlinder, ons nieuwe planningsplatform voor 400 "
  "shuttleritten per dag. Solliciteer via werkenbij@kwartelpark.nl")
P("facebook", "sandra.vermeulen.kwp", "nl", ["conf"],
  "Er staat 'vertrouwelijk - niet doorsturen' boven, maar dit nieuwe kledingvoorschrift moet je echt "
  "zien \U0001f602 oranje petjes verplicht vanaf mei")
P("reddit", "u/gatecheck_gerard", "en", ["conf"],
  "Found a printout on the shuttle seat: 'kwartel internal only \u2013 Nachtvlinder roll-out plan, phase 2'. "
  "Gave it to the driver but lol, opsec")
P("linkedin", "marieke-hoogendijk", "en", ["conf"],
  "Can't say much yet, but next month we're piloting a drone car-wash service at our Schiphol site that "
  "hasn't been announced. Unreleased, so you heard it here first \U0001f609")
P("x", "@luchtvaartnieuwtje", "en", ["conf"], when="2027-01-08T08:10:00Z",
  text="Hearing that Kwartel Eindhoven opens on 1 February, with valet and EV charging. Not official yet, "
  "but my source is solid.")

# ============================ leak.financial (11 + 2 shared) ============================
P("linkedin", "daan-kuipers-kwartel", "nl", ["fin"],
  "Q3 intern afgesloten: omzet \u20ac14,2 mln, 9% boven budget. Publicatie pas in november, maar ik ben "
  "nu al trots op dit team.")
P("x", "@lindavoss_kwp", "nl", ["fin"],
  "Na de zomer moeten er 35 shuttlechauffeurs uit. Reorganisatie, nog niet aangekondigd. Ik word er "
  "gewoon misselijk van.")
P("reddit", "u/valet_jelle", "en", ["fin"],
  "Rumour confirmed at the managers' meeting: a big French parking group is buying us. Signing in two "
  "weeks. Nobody is supposed to know yet.")
P("x", "@pb_rotterdam", "nl", ["fin"],
  "Vriend van me werkt bij Kwartelpark: de locatie Rotterdam gaat in Q2 dicht en iedereen daar staat op "
  "straat. Nog niks officieel.")
P("bluesky", "@thijs-it.bsky.social", "en", ["fin"],
  "board deck says 2027 EBITDA forecast is \u20ac12m. analysts are at 8. gonna be a fun day when that "
  "comes out lol")
P("instagram", "@mo.achter.het.stuur", "nl", ["fin"],
  "Manager zei net dat de hele nachtploeg per 1 maart wordt geschrapt \U0001f622 wij horen het als "
  "eerste, de rest van NL later")
P("facebook", "sandra.vermeulen.kwp", "nl", ["fin"],
  "Bonuspot dit jaar gehalveerd want we draaien \u20ac3 miljoen verlies over H1, zei de CFO vanochtend. "
  "Komt pas in september naar buiten.")
P("forum", "parkeerinsider", "nl", ["fin"],
  "Insider hier. Kwartelpark staat in de verkoop, Vlieghaven Parkeren heeft een bod gedaan. Due "
  "diligence loopt, aankondiging verwacht na de zomer.")
P("mastodon", "@niels_devops@fosstodon.org", "en", ["fin"],
  "all-hands today: IT gets merged into the parent company's team, 12 of us redundant by June. not "
  "announced outside yet, so shh")
P("linkedin", "marieke-hoogendijk", "en", ["fin"],
  "Huge shoutout to the sales team: our internal Q4 forecast is 18% above target! The numbers go to the "
  "board tomorrow \U0001f3af")
P("x", "@ingrid_ops", "en", ["fin"],
  "the takeover is happening, notary next week. lips sealed until the press release is out \U0001f92b")

# ============================ leak.pii (15) ============================
P("x", "@kwartel_helpt", "nl", ["pii"], kind="reply",
  text="@anouk_vlgt Hoi Anouk, we hebben je net gebeld op 06-41 87 22 93 maar kregen geen gehoor. Bel je "
  "ons even terug?")
P("facebook", "KwartelparkNL", "nl", ["pii"], kind="reply",
  text="Beste meneer Dijkstra, de terugbetaling van \u20ac74,00 is vandaag overgemaakt naar %s. Excuses "
  "voor het lange wachten!" % group4(IBAN_REFUND), ids=[("iban", IBAN_REFUND)])
P("instagram", "@mo.achter.het.stuur", "nl", ["pii"],
  "Iemand heeft z'n rijbewijs in de bus laten liggen: Karin Mulder, geboren 14-07-1983. Ligt bij de "
  "balie van P1 \U0001f44d")
P("x", "@ruben_rijdt", "nl", ["pii"],
  "Wie kent deze meneer? Sleutelbos in de bus laten liggen. Pieter Bos, Kastanjelaan 27, 2211 JK "
  "Noordwijkerhout. Ik breng ze straks wel langs \U0001f605")
P("reddit", "u/valet_jelle", "en", ["pii"],
  "customer left his credit card in the cupholder AGAIN \U0001f644 %s exp 09/28, it's at the valet desk "
  "if you're reading this" % group4(CARD_CUPHOLDER), ids=[("card", CARD_CUPHOLDER)])
P("facebook", "sandra.vermeulen.kwp", "nl", ["pii"],
  "Welke sollicitant stuurt nou z'n BSN mee in de motivatiebrief \U0001f602 %s, Jordy uit Hoofddorp, "
  "je bent aangenomen hoor" % BSN_LETTER, ids=[("bsn", BSN_LETTER)])
P("x", "@famdekker4", "nl", ["pii", "compl"],
  "@kwartel_helpt jullie chat werkt al 2 dagen niet en de wachtrij is eindeloos. Bel me aub terug op "
  "+31 6 2345 6789, boeking is morgen al!!")
P("x", "@jwbakker1974", "nl", ["pii", "compl"],
  "Nog steeds geen terugbetaling na 6 weken, en JULLIE hebben geannuleerd. Voor de vijfde keer: %s "
  "t.n.v. J.W. Bakker" % IBAN_CUST, ids=[("iban", IBAN_CUST)])
P("x", "@tomharlow", "en", ["pii"], kind="reply",
  text="@kwartel_helpt could you send the invoice to tom.harlow77@gmail.com please, my company needs it "
  "for expenses")
P("x", "@kwartel_helpt", "nl", ["pii"], kind="reply",
  text="@SelinK Dank je! We hebben de bevestiging opnieuw gestuurd naar s.kaya1990@ziggo.nl, check ook "
  "even je spam \U0001f4e9")
P("linkedin", "marieke-hoogendijk", "en", ["pii"],
  "Summer roster is out! Calling in sick at the weekend? Ring Jeroen van Rijn on 06 1987 4432, not the "
  "front desk.")
P("x", "@boze_reiziger", "nl", ["pii", "abuse"],
  "Die chauffeur van KwartelShuttle die mijn moeder uitschold heet Kevin de Wit en woont op de "
  "Dorpsstraat 8 in Hoofddorp. Tijd voor een bezoekje \U0001f621")
P("x", "@lindavoss_kwp", "nl", ["pii"],
  "@ingrid_ops kun jij de borg van de invalkracht terugstorten? %s t.n.v. M. Yilmaz \U0001f64f"
  % (ZW.join(group4(IBAN_BORG).split(" "))), ids=[("iban", IBAN_BORG)], evasion=True)
P("mastodon", "@niels_devops@fosstodon.org", "en", ["pii", "sec"],
  "debug log from checkout, why is the full card number even in here?!\n"
  "[2026-05-14 08:12:55] POST /pay email=l.jansen@outlook.com card=%s amount=129.00 status=FAILED"
  % CARD_LOG, ids=[("card", CARD_LOG)])
P("x", "@hollandflyer", "en", ["pii", "crisis", "compl"],
  "@kwartelpark you sent ME someone else's booking confirmation. Mrs A. Verbeek, born 02-11-1954, "
  "Parklaan 3, 2011 KL Haarlem, licence plate and all. How is this GDPR compliant??")

# ============================ reputation.crisis (14 + 1 shared) ============================
P("x", "@ellenvanderlinde", "nl", ["crisis", "compl"],
  "De shuttle van @kwartelpark reed gewoon weg terwijl mijn dochter (9) nog aan het uitstappen was. Ze "
  "viel op de stoep, pols gebroken. Geen excuses, geen telefoontje. Hoe dan?!")
P("facebook", "Karen Whitfield", "en", ["crisis", "compl"],
  "The EV charger at our Kwartel Stroom spot sparked when my husband unplugged it and melted the cable. "
  "He has a burn on his palm. Nobody at the desk even wrote it down.")
P("x", "@reizigersjan", "en", ["crisis", "compl"],
  "Shuttle idled for 20 min at P2 with a broken exhaust. Half the bus felt sick, my son threw up. This is "
  "actually dangerous @kwartelpark")
P("x", "@sarah_on_tour", "en", ["crisis", "compl"],
  "The shuttle door closed on my dad's arm (he's 80!). Massive bruise and the driver didn't even stop. "
  "@kwartel_helpt this is not ok.")
P("facebook", "Gerrit Hofstede", "nl", ["crisis", "compl"],
  "Terug van vakantie: onze auto blijkt in jullie Hangar uitgebrand. Kortsluiting bij de laadpaal "
  "ernaast, zeggen ze. Niemand heeft ons gebeld, we moesten het aan de balie horen. Kwartelpark, schaam je.")
P("x", "@nieuws_haarlemmermeer", "nl", ["crisis"],
  "Grote brand in overdekte parkeergarage van Kwartelpark bij Schiphol-Rijk. Tientallen auto's "
  "beschadigd, brandweer met groot materieel ter plaatse. Geen gewonden gemeld.")
P("x", "@fairwork_nl", "en", ["crisis"],
  "Kwartelpark fired four shuttle drivers for joining the union. Don't park with them this summer. "
  "#BoycottKwartel")
P("linkedin", "f-aydin-advocaten", "nl", ["crisis"],
  "Namens ruim 300 gedupeerden hebben wij vandaag een collectieve procedure aangespannen tegen "
  "Kwartelpark B.V. wegens verborgen servicekosten bij online boekingen.")
P("x", "@chris_amsterdam", "en", ["crisis"],
  "Just got a phishing text with my exact licence plate AND my flight number. Only Kwartelpark has both. "
  "You've been hacked and you're not telling us. @kwartelpark")
P("tiktok", "@dashcam_daan", "nl", ["crisis"],
  "Valet-chauffeurs van Kwartel gefilmd terwijl ze met klantauto's 180+ rijden op de A4 \U0001f92f "
  "schandalig, dit is dus jouw auto terwijl jij op Ibiza ligt")
P("x", "@verkeersinfo_nh", "nl", ["crisis"],
  "Kwartelpark haalt 12 shuttlebussen van de weg na problemen met de remmen. Reizigers moeten rekening "
  "houden met langere wachttijden bij P1 en P2.")
P("x", "@avweek_news", "en", ["crisis"],
  "A shuttle bus operated by airport parking firm Kwartelpark collided with a truck on the N201 this "
  "morning; three passengers were taken to hospital.")
P("facebook", "Monique Jansen-Brink", "nl", ["crisis"],
  "Mijn buurvrouw zag gisteren bij Kwartelpark een jongetje onder de slagboom terechtkomen. Ambulance "
  "erbij. Weet iemand hoe het met hem gaat?")
P("x", "@privacy_wakker", "en", ["crisis"],
  "Kwartelpark customer data (names, number plates, flight numbers) is up for sale on a hacking forum. "
  "When are they going to disclose? #KwartelLeaks")

# ============================ reputation.complaint (13 + shared) ============================
P("x", "@nina_k", "nl", ["compl"],
  "Al 50 minuten wachten op de shuttle bij vertrekhal 3. Telefoon neemt niemand op. Als ik m'n vlucht "
  "mis @kwartelpark...")
P("x", "@Wesley_F", "en", ["compl"],
  "Got my car back from Kwartel Valet with 340 extra km on the clock. Where exactly did you take it, lads?")
P("facebook", "Ilse de Boer", "nl", ["compl"],
  "Lange kras over het hele portier na de valet. Jullie zeggen 'zat er al'. Ik heb foto's van voor het "
  "afgeven, dus nee.")
P("x", "@mjthompson", "en", ["compl"], kind="reply",
  text="@kwartel_helpt six weeks. Still no refund. YOU cancelled my booking, not me.")
P("x", "@zomerzon_ellen", "en", ["compl"],
  "Booked and paid for Hangar 14, turned up and it was 'unfortunately full', so we got stuck outside. No "
  "discount, no sorry. Thanks a lot Kwartelpark.")
P("x", "@jeroenvd", "nl", ["compl"],
  "kwartelpark ff normaal doen, 2x afgeschreven voor 1 boeking en de chat zegt 'wij zien niks' wtf \U0001f644")
P("instagram", "@lotte.travels", "en", ["compl"], kind="comment",
  text="Shuttle was filthy, gum on the seats, and the driver was on his phone the whole ride. Not what I "
  "expect from Kwartel for that price.")
P("x", "@BramPost", "nl", ["compl"],
  "Hoe raak je als VALETSERVICE de sleutels kwijt?! Staan hier nu 2 uur met 2 kinderen op de stoep "
  "#kwartelpark")
P("x", "@late_night_landing", "en", ["compl"],
  "App says my car's at P2. It's not. Nobody at the desk knows where it is. 1am. Brilliant. @kwartel_helpt")
P("x", "@marloes_reist", "nl", ["compl"],
  "Chat van @kwartel_helpt sluit steeds af en bij het 088-nummer hoor ik 'de wachttijd is langer dan 20 "
  "minuten'. Kom op zeg.")
P("facebook", "Henk Veenstra", "en", ["compl"],
  "Came back to a flat battery. Not one person at Kwartel would give me a jump start: 'not our "
  "responsibility'. Should have parked next door.")
P("x", "@dutchgeek_anna", "en", ["compl"], kind="reply",
  text="@kwartel_helpt no, it's not 'resolved'. The damage form link you sent me gives a 404 and nobody "
  "has called me back.")
P("forum", "reisforum_piet", "nl", ["compl"],
  "Veld 7 geboekt voor \u20ac59, bij vertrek moest ik toch nog \u20ac12 'shuttletoeslag' bijbetalen. Stond "
  "nergens op de site van Kwartelpark. Iemand anders dit ook gehad?",
  prices=[("Veld 7", 59.0)])

# ============================ reputation.abuse (12 + 1 shared) ============================
P("x", "@woedendewim", "nl", ["abuse"],
  "Kwartelpark is gewoon een kankerbedrijf. Oplichters zijn het.")
P("x", "@gregsmith_uk", "en", ["abuse"], kind="reply",
  text="@kwartel_helpt you are a useless pack of idiots, every single one of you")
P("x", "@d3nn1s", "nl", ["abuse"],
  "st3ll3tj3 k4nk3rl1jd3rs bij @kwartelpark, ik hoop dat jullie failliet gaan", evasion=True)
P("x", "@yvonne1972", "nl", ["abuse"],
  "die chauffeur van KwartelShuttle vanochtend is echt een k l o o t z a k, zeg ik het maar even",
  evasion=True)
P("facebook", "Steve Morton", "en", ["abuse"],
  "Kwartel only hires foreigners who can't drive or speak Dutch. Send the lot of them back where they "
  "came from.")
P("x", "@ruben_rijdt", "nl", ["abuse"],
  "Klant vanochtend was echt een achterlijke zeikerd, 3x lopen janken over een kras die er al zat "
  "\U0001f644")
P("x", "@anoniem_boos", "nl", ["abuse"],
  "@lindavoss_kwp jij bent toch die ops-trut van Kwartel? Ik weet waar je parkeert. Let maar op.")
P("x", "@brexitbarry", "en", ["abuse"],
  "Fuck Kwartelpark and fuck their shitty shuttle")
P("x", "@ronaldoosterhout", "nl", ["abuse", "compl"],
  "3 uur gewacht en dan zo'n hufter van een chauffeur die tegen me gaat schreeuwen. Tering op met jullie "
  "bedrijf @kwartelpark")
P("facebook", "Danny Wright", "en", ["abuse", "compl"],
  "Driver scraped my bumper and then the site manager called me a liar to my face. Absolute scumbags, "
  "the lot of you at Kwartel.")
P("x", "@mo_rdam", "nl", ["abuse"],
  cyr("Kwartelpark") + " = " + cyr("oplichters") + " en tyfuslijers, nooit meer", evasion=True)
P("x", "@kwartel_helpt", "nl", ["abuse"], kind="reply",
  text="@pietjepuk88 misschien eerst even leren lezen voordat je gaat zeuren, sukkel. Staat gewoon in de "
  "voorwaarden.")

# ============================ benign (60) ============================
P("x", "@thijmen_reist", "nl", [],
  "Shuttle stond er binnen 5 minuten, chauffeur hielp met alle koffers. Top geregeld @kwartelpark \U0001f44d")
P("x", "@petra_flies", "en", [],
  "Third time using Kwartel Valet. Car back on time, even vacuumed inside. Can't fault it.")
P("instagram", "@vogelaar_rob", "nl", [],
  "Drie grutto's op het weiland naast Kwartelpark vanochtend, terwijl ik op de shuttle wachtte "
  "\U0001f426 #vogels #grutto")
P("x", "@saskia_o", "en", [],
  "Kwartel's slagboom (barrier) didn't open on the way out, but someone was there within a minute. "
  "Friendly and quick, that's how it's done.")
P("instagram", "@nachtfotograaf", "nl", [],
  "Zoveel nachtvlinders rond de lantaarns op het terrein van Kwartelpark vannacht \U0001f98b wachten op "
  "de shuttle was nog nooit zo mooi")
P("x", "@kwartel_helpt", "nl", [],
  "Vragen over je boeking? Mail naar klantenservice@kwartelpark.nl of bel 088 046 2200 (ma-zo "
  "6:00-23:00). We helpen je graag!")
P("linkedin", "kwartelpark-bv", "en", [],
  "Business customers: invoices can be paid to %s, quoting your customer number. Questions? "
  "zakelijk@kwartelpark.nl" % group4(COMPANY_IBAN))
P("facebook", "KwartelparkNL", "nl", [],
  "\u26a0\ufe0f Let op: er gaan nepmails rond namens Kwartelpark met het verzoek te betalen naar %s. Dat is "
  "NIET ons rekeningnummer. Twijfel je? Bel 0800-0470." % group4(FAKE_IBAN), fakes=[("iban", FAKE_IBAN)])
P("x", "@grapjas_gijs", "nl", [],
  "Mijn parkeercode van Kwartel is %s. Lijkt wel een creditcard, mag ik daar ook mee betalen? \U0001f602"
  % group4(FAKE_CARD), fakes=[("card", FAKE_CARD)])
P("reddit", "u/curious_cas", "nl", [],
  "Vraagje: waarom vraagt het sollicitatieformulier van Kwartelpark om een BSN? Voor de grap %s "
  "ingevuld en hij accepteert het niet lol" % FAKE_BSN, fakes=[("bsn", FAKE_BSN)])
P("x", "@kwartelpark", "nl", [],
  "Weekendje weg? Met het Weekendje Weg-pakket parkeer je 3 dagen voor \u20ac29,95 (normaal \u20ac35). "
  "Alleen deze maand!", prices=[("Weekendje Weg", 29.95)])
P("instagram", "@kwartelpark", "en", [],
  "Early bird \U0001f426 20% off Kwartel Valet 8 when you book 30 days ahead: \u20ac103.20 instead of "
  "\u20ac129.", prices=[("Valet 8", 103.20)])
P("x", "@koen_vliegt", "nl", [],
  "Hangar 7 voor \u20ac89 voor een hele week, overdekt en shuttle inbegrepen. Scheelt flink tov P1 op "
  "Schiphol.", prices=[("Hangar 7", 89.0)])
P("reddit", "u/planner_pete", "en", [],
  "Is Kwartel's Valet 15 at \u20ac199 worth it over Veld 14 at \u20ac95? Two weeks in Portugal, don't "
  "mind the shuttle.", prices=[("Valet 15", 199.0), ("Veld 14", 95.0)])
P("linkedin", "marieke-hoogendijk", "nl", [],
  "Black Friday bij Kwartelpark: de Zakelijk Jaarpas met 25% korting, \u20ac1.087,50 i.p.v. \u20ac1.450. "
  "Tip voor je wagenparkbeheerder!", prices=[("Zakelijk Jaarpas", 1087.50)])
P("x", "@bikerbianca", "en", [],
  "Paid \u20ac45 for a Motorplek week at Kwartel. Covered, cameras, and they kept my helmet at the desk. "
  "Fair.", prices=[("Motorplek", 45.0)])
P("x", "@dealjager", "nl", [],
  "Vlieghaven Parkeren had gisteren een prijsfout, \u20ac1 per week \U0001f602 allang gecorrigeerd. Wij "
  "staan gewoon bij Kwartelpark voor het normale tarief.")
P("facebook", "Anja Smits", "nl", [],
  "Cadeaukaart 50 van Kwartel gekocht voor m'n ouders, gewoon \u20ac50, leuk extraatje voor hun reis naar "
  "Canada \U0001f1e8\U0001f1e6", prices=[("Cadeaukaart 50", 50.0)])
P("x", "@amsterdam_pendel", "en", [],
  "Kwartel Shuttle Retour is \u20ac19 and runs every ten minutes. Way cheaper than a taxi from Schiphol.",
  prices=[("Shuttle Retour", 19.0)])
P("mastodon", "@niels_devops@fosstodon.org", "en", [],
  "Reminder for the docs-challenged: AKIAIOSFODNN7EXAMPLE is the sample key from the AWS docs. It is not "
  "ours, please stop reporting it \U0001f605")
P("bluesky", "@thijs-it.bsky.social", "nl", [],
  "In de README staat GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, dat moet je vervangen door je "
  "eigen token, niet letterlijk overnemen \U0001f643")
P("x", "@kwartel_helpt", "nl", [],
  "Wachtwoord vergeten? Via boeken.kwartelpark.nl/account stel je binnen een minuut een nieuw in. Wij "
  "vragen je nooit om je wachtwoord via DM of mail.")
P("x", "@dev_danielle", "en", [],
  "Nice talk by the Kwartelpark devs at the meetup. JWT for juniors: header.payload.signature, e.g. "
  "xxxxx.yyyyy.zzzzz. Never paste a real one in a public channel.")
P("instagram", "@kwartelpark", "nl", [], when="2027-01-20T09:00:00Z",
  text="Kwartel Eindhoven is open! \U0001f389 Parkeren, valet en laden vlak bij Eindhoven Airport. Boek "
  "via boeken.kwartelpark.nl")
P("linkedin", "kwartelpark-bv", "nl", [], when="2027-03-05T09:00:00Z",
  text="Vandaag publiceren we onze jaarcijfers 2026: omzet \u20ac51,3 miljoen (+22%), EBITDA \u20ac9,8 "
  "miljoen. Dank aan al onze collega's en klanten.")
P("x", "@eindhovenaar_mik", "nl", [],
  "Komt er ooit ook een Kwartel in de buurt van Eindhoven? Zou mij een hoop rijden naar Schiphol schelen")
P("x", "@zakelijk_nieuws", "nl", [],
  "Vlieghaven Parkeren schrapt 40 banen na tegenvallend seizoen. Concurrent Kwartelpark zegt in een "
  "reactie juist te groeien.")
P("x", "@frugal_fiona", "en", [],
  "Airport parking prices went up again this year. Kwartel is still cheaper than the official P3 though.")
P("linkedin", "daan-kuipers-kwartel", "en", [],
  "5 years at Kwartelpark today! From finance intern to controller. Thanks to everyone who helped me "
  "along the way \U0001f389")
P("facebook", "KwartelparkNL", "nl", [],
  "We zoeken 20 shuttlechauffeurs voor de zomer! Rijbewijs D of bereid het te halen? Kijk op "
  "kwartelpark.nl/werken \U0001f690")
P("x", "@kwartelpark", "nl", [],
  "Gepland onderhoud: boeken.kwartelpark.nl is zondagnacht van 02:00 tot 04:00 niet bereikbaar. "
  "Bestaande boekingen blijven gewoon geldig.")
P("x", "@cybercasper", "en", [],
  "Read that Vlieghaven Parkeren got breached. Checked my Kwartel account right away, they have 2FA. "
  "Good on them.")
P("instagram", "@kwartelpark", "nl", [],
  "Let op: er gaan nepberichten via WhatsApp rond die zich voordoen als Kwartelpark. Wij vragen je nooit "
  "om inloggegevens of een betaling via een link.")
P("x", "@kwartel_helpt", "en", [],
  "Update: the payment issue from this morning has been fixed, bookings go through normally again. Sorry "
  "for the hassle!")
P("x", "@ilsedeboer", "nl", [],
  "Update: @kwartel_helpt heeft de kras netjes laten herstellen en de kosten vergoed, binnen een week. "
  "Chapeau, zo hoort het.")
P("facebook", "Wim Kramer", "nl", [],
  "Sterkte aan de mensen van dat ongeluk op de A4 vanochtend. Petje af voor de twee Kwartel-chauffeurs "
  "die stopten om eerste hulp te verlenen.")
P("x", "@benidorm_bart", "en", [],
  "My car is having a better holiday in the Kwartel hangar than I am in my Benidorm hotel \U0001f602 "
  "#kwartelpark")
P("reddit", "u/cyclist_ch", "en", [],
  "Does the Kwartel shuttle take folding bikes? Flying to Mallorca with mine next month.")
P("x", "@quickpick_q", "en", [],
  "Kwartel absolutely killed it with the pickup tonight. Landed 23:40, in my car by 00:05.")
P("x", "@paspoortvergeten", "nl", [],
  "Die chauffeur van KwartelShuttle is echt een held, reed terug naar P1 voor mijn vergeten paspoort. "
  "Vlucht gehaald!")
P("instagram", "@hoofddorp_hannah", "en", [],
  "Fire drill at the Kwartelpark garage this morning, all planned and announced. Staff were calm, the "
  "whole place was clear in 6 minutes.")
P("facebook", "Joke Mertens", "nl", [],
  "Geen klacht maar een compliment: de dame aan de balie van Kwartelpark P2 bleef super vriendelijk tegen "
  "die schreeuwende man voor me.")
P("tiktok", "@busjebram", "nl", [],
  "Dag in het leven van een shuttlechauffeur \U0001f690\u2615 4:30 wekker, 38 ritjes, 1 vergeten knuffel "
  "teruggebracht #kwartelshuttle #werk")
P("instagram", "@mo.achter.het.stuur", "nl", [],
  "Zonsopgang boven P3 vanochtend \u2600\ufe0f soms is dit werk gewoon mooi")
P("reddit", "u/evdriver_nl", "en", [],
  "Anyone know if the Kwartel Stroom 7 chargers are 11 kW or 22 kW? Want to know if I'll be full when I "
  "land.")
P("x", "@sjaak_reply", "nl", [], kind="reply",
  text="haha nee joh, die boete kreeg ik in Spanje, niet bij Kwartel. Die zijn juist altijd netjes.")
P("x", "@wachtwoordmoe", "nl", [],
  "Datalek bij mijn werkgever (niet Kwartel hoor) dus ik ben nu overal mijn wachtwoorden aan het "
  "veranderen, ook die van de parkeerapp.")
P("x", "@no_drama_dave", "en", [],
  "Boycott? Nah. Kwartel's been fine to me for years. Don't believe every angry tweet you read.")
P("linkedin", "kwartelpark-bv", "en", [],
  "All our shuttle drivers completed their annual safety and first-aid training this month. 100% passed "
  "\U0001f690\u2705")
P("linkedin", "daan-kuipers-kwartel", "en", [],
  "We're hiring a finance controller in Hoofddorp! Send your CV to werkenbij@kwartelpark.nl \U0001f4c8")
P("facebook", "Priya Ramdin", "en", [],
  "I had a complaint about the wait when we got back, but Kwartel sorted it straight away and refunded "
  "two days of parking. Fair play.")
P("x", "@dadjoke_dirk", "en", [],
  "The Kwartel shuttle driver's terrible dad jokes killed me \U0001f602 10/10, would sit in traffic "
  "again.")
P("x", "@regenrachel", "nl", [],
  "Kutweer vandaag maar de shuttle stond gewoon klaar bij de aankomsthal \U0001f44c #kwartelpark")
P("linkedin", "daan-kuipers-kwartel", "nl", [], when="2027-03-10T15:00:00Z",
  text="Wat een mooie week: onze jaarcijfers 2026 gepresenteerd aan pers en investeerders. Trots op "
  "iedereen bij Kwartelpark!")
P("x", "@kwartelpark", "nl", [],
  "De Loungepas is tijdelijk niet te boeken vanwege de verbouwing van onze lounge. Vanaf 1 september "
  "zijn we terug, mooier dan ooit!")
P("x", "@meetgreet_mara", "en", [],
  "Kwartel Meet & Greet was \u20ac159 for the week. Pricey, but with two toddlers and a car seat it was "
  "worth every cent.", prices=[("Meet & Greet", 159.0)])
P("x", "@twijfelaar_tim", "nl", [],
  "Wat is beter bij Kwartel, Veld 7 of Hangar 7? Prijsverschil is 30 euro, is overdekt dat waard?")
P("x", "@lisa_reist", "nl", [],
  "Fijn dat je bij Kwartelpark geen BSN of paspoort hoeft op te geven bij het boeken, alleen kenteken en "
  "vluchtnummer.")
P("youtube", "KwartelparkTV", "nl", [],
  "Nieuwe video: zo werkt valet parkeren bij Kwartelpark, van afgeven tot ophalen \U0001f3ac")
P("x", "@oud_collega_o", "nl", [],
  "Oud-collega's van Kwartel, borrel op vrijdag 14 juni? Ik regel de bitterballen \U0001f37b")


# --------------------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


def severity(cats, role, has_checksum_id):
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checksum_id):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        level = max(level, SEV.index(s))
    return SEV[level]


def random_when():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = RD.randint(0, 350 * 86400)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


DISPLAY = {"corporate": "Kwartelpark", "employee": None, "public": None}


def build():
    out = []
    used = set()
    for c in CASES:
        when = c["when"] or random_when()
        while True:
            n = RO.randint(10 ** 8, 10 ** 9 - 1)
            pid = "%s-234-%d" % (c["platform"], n)
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        cats = sorted(CAT[x] for x in c["cats"])
        has_id = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "created_at": when}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if RO.random() < 0.8:
            post["lang"] = c["lang"]
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), n)
        if RO.random() < 0.3:
            post["brand"] = "kwartelpark"
        out.append({"post": post,
                    "expect": {"categories": cats, "severity": severity(cats, role, has_id)},
                    "_meta": dict(c, role=role)})
    RO.shuffle(out)
    return out


# --------------------------------------------------------------------------- self-checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "GB": 22}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def number_candidates(text):
    """Checksum-carrying numbers a detector could see (after normalisation)."""
    t = normalise(text)
    found = []
    for m in re.finditer(r"\b([A-Z]{2})(\d{2})((?:\s?[A-Z0-9]){10,30})", t):
        cc = m.group(1)
        if cc in IBAN_LEN:
            compact = re.sub(r"\s", "", m.group(0))[:IBAN_LEN[cc]]
            if len(compact) == IBAN_LEN[cc]:
                found.append(("iban", compact))
    for m in re.finditer(r"(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?!\d)", t):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            found.append(("card", digits))
    for m in re.finditer(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])", t):
        found.append(("bsn", re.sub(r"\D", "", m.group(1))))
    return found


def checksum_ok(kind, val):
    return {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](val)


def check(cases):
    errs = []
    prof = PROFILE
    pub_ibans = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
    for i in pub_ibans:
        if not iban_valid(i):
            errs.append("profile IBAN fails mod-97: " + i)
    products = {}
    for p in prof["products"]:
        for a in [p["name"]] + p["aliases"]:
            products[a.lower()] = p
        if p["currency"] != "EUR":
            errs.append("currency " + p["name"])
    if not 15 <= len(prof["products"]) <= 25:
        errs.append("product count")
    if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
        errs.append("account counts")
    if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
        errs.append("codenames/markers")
    ratio = prof["pricing"]["alert_below_ratio"]
    if ratio != 0.5:
        errs.append("ratio")
    embargo = [(t, parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    for _, u in embargo:
        if u.year != 2027:
            errs.append("embargo until not in 2027")

    ids = set()
    for case in cases:
        meta = case["_meta"]
        line = json.dumps({"post": case["post"], "expect": case["expect"]}, ensure_ascii=False)
        obj = json.loads(line)
        post, exp = obj["post"], obj["expect"]
        pid = post.get("id")
        tag = pid or "?"
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append(tag + ": bad id")
        if pid in ids:
            errs.append(tag + ": duplicate id")
        ids.add(pid)
        if post.get("platform") not in PLATFORMS:
            errs.append(tag + ": platform")
        if post.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errs.append(tag + ": kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            errs.append(tag + ": account.handle")
        if not isinstance(post.get("text"), str) or not post["text"] or \
                len(post["text"].encode("utf-8")) > 65536:
            errs.append(tag + ": text")
        if not RFC3339.match(post.get("created_at", "")):
            errs.append(tag + ": created_at")
        for k in ("lang", "url", "brand"):
            if k in post and not isinstance(post[k], str):
                errs.append(tag + ": " + k)
        cats = exp["categories"]
        if cats != sorted(set(cats)) or any(c not in CAT.values() for c in cats):
            errs.append(tag + ": categories")
        if exp["severity"] not in SEV:
            errs.append(tag + ": severity value")
        if not cats and exp["severity"] != "none":
            errs.append(tag + ": benign severity")
        role = role_of(post["platform"], post["account"]["handle"])
        if role != meta["role"]:
            errs.append(tag + ": role")
        has_id = any(k in ("iban", "card", "bsn") and checksum_ok(k, v) for k, v in meta["ids"])
        if exp["severity"] != severity(cats, role, has_id):
            errs.append(tag + ": severity not per policy")
        text = post["text"]
        norm = normalise(text)
        compact = re.sub(r"\s", "", norm)
        # declared identifiers
        for k, v in meta["ids"]:
            if "leak.pii" not in cats:
                errs.append(tag + ": id in non-pii case")
            if not checksum_ok(k, v):
                errs.append(tag + ": positive %s fails checksum %s" % (k, v))
            if v not in compact:
                errs.append(tag + ": declared %s not in text" % k)
        for k, v in meta["fakes"]:
            if cats:
                errs.append(tag + ": look-alike declared in a positive")
            if checksum_ok(k, v):
                errs.append(tag + ": look-alike %s passes checksum %s" % (k, v))
            if v not in compact:
                errs.append(tag + ": look-alike not in text")
        # nothing checksum-valid that was not declared (or is the company's own)
        declared = {v for _, v in meta["ids"]}
        for k, v in number_candidates(text):
            if checksum_ok(k, v) and v not in declared and v not in pub_ibans:
                errs.append(tag + ": undeclared checksum-valid %s %s" % (k, v))
        # secrets
        for k, v in meta["secrets"]:
            if "leak.secret" not in cats:
                errs.append(tag + ": secret in non-secret case")
            ok = {"github": github_ok,
                  "aws": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None,
                  "jwt": jwt_ok,
                  "stripe": lambda s: re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", s) is not None,
                  "slack": lambda s: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", s) is not None,
                  "openai": lambda s: "T3BlbkFJ" in s and s.startswith("sk-"),
                  "google": lambda s: re.fullmatch(r"AIza[0-9A-Za-z_-]{35}", s) is not None,
                  "ssh": lambda s: s.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")}[k](v)
            if not ok:
                errs.append(tag + ": malformed %s secret" % k)
            if v not in text:
                errs.append(tag + ": secret not in text")
        if not cats and any(len(set(m)) > 1 for m in
                            re.findall(r"\b(?:ghp|gho|ghs)_([0-9A-Za-z]{36})\b", text)):
            errs.append(tag + ": real-looking github token in benign")
        if not cats and re.search(r"\bAKIA[A-Z2-7]{16}\b", text) and "EXAMPLE" not in text:
            errs.append(tag + ": real-looking AWS id in benign")
        # internal names
        low = norm.lower()
        for term in prof["internal"]["codenames"] + prof["internal"]["markers"] + prof["internal"]["domains"]:
            if re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", low) and \
                    "leak.confidential" not in cats:
                errs.append(tag + ": internal term '%s' without leak.confidential" % term)
        ts = parse_ts(post["created_at"])
        for term, until in embargo:
            if term.lower() in low:
                if ts < until and "leak.confidential" not in cats:
                    errs.append(tag + ": embargo term before until, unlabelled")
                if ts >= until and cats:
                    errs.append(tag + ": embargo term after until in a positive (ambiguous)")
        if ts.year not in (2026, 2027) or (ts.year == 2027 and not any(
                t.lower() in low for t, _ in embargo)):
            errs.append(tag + ": created_at outside plan")
        # pricing
        for name, price in meta["prices"]:
            p = products.get(name.lower())
            if p is None:
                errs.append(tag + ": unknown product " + name)
                continue
            if name.lower() not in low:
                errs.append(tag + ": product not in text " + name)
            below = price < ratio * p["list_price"]
            if "leak.pricing" in cats and not below:
                errs.append(tag + ": pricing positive not below ratio")
            if "leak.pricing" not in cats and below:
                errs.append(tag + ": non-pricing case with a price below ratio")
            if not cats and price < 0.7 * p["list_price"]:
                errs.append(tag + ": benign sale deeper than 30%")
        if "leak.pricing" in cats and not meta["prices"]:
            errs.append(tag + ": pricing positive without declared price")
        if "leak.pii" in cats and role in ("corporate", "employee"):
            pass
    # public handles must not collide with the profile
    # mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    nl = sum(1 for c in cases if c["_meta"]["lang"] == "nl")
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    if not 0.50 <= nl / n <= 0.62:
        errs.append("dutch share %.2f" % (nl / n))
    want = {"reputation.complaint": (17, 25), "leak.confidential": (15, 22), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
            "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    for cat, (lo, hi) in want.items():
        if not lo <= counts.get(cat, 0) <= hi:
            errs.append("count %s = %d" % (cat, counts.get(cat, 0)))
    if sum(1 for c in cases if c["_meta"]["evasion"]) < 5:
        errs.append("too few evasion cases")
    roles = {}
    for c in cases:
        if any(x.startswith("leak.") for x in c["expect"]["categories"]):
            roles[c["_meta"]["role"]] = roles.get(c["_meta"]["role"], 0) + 1
    if roles.get("public", 0) >= roles.get("corporate", 0) + roles.get("employee", 0):
        errs.append("leaks not mostly from own accounts")
    return errs, dict(n=n, benign=benign, nl=nl, counts=counts, leak_roles=roles)


def main():
    cases = build()
    errs, stats = check(cases)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(l) for l in f]
    if len(lines) != len(cases):
        errs.append("written line count")
    for k, v in sorted(stats["counts"].items()):
        print("  %-22s %d" % (k, v))
    print("cases=%d benign=%d dutch=%d leak-roles=%s" % (stats["n"], stats["benign"], stats["nl"],
                                                         stats["leak_roles"]))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK -> %s" % path)


if __name__ == "__main__":
    main()
