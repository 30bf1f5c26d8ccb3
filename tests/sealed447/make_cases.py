#!/usr/bin/env python3
"""Build the labelled evaluation set sealed447 (Lonthuis B.V., candles & soap).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and self-checks it:
  * every line is a valid CONTRACT section 6 case with a valid section 1 post;
  * every IBAN / payment card / BSN in a leak.pii positive passes its checksum, and every
    look-alike in any other post fails it;
  * generated secrets are built like the real ones (GitHub CRC-32, AWS key id, JWT ...);
  * severities are computed from CONTRACT section 4 with the account role looked up in
    profile.yaml, never typed by hand;
  * codenames, markers, internal domains and embargoed terms only appear where labelled
    leak.confidential (or after the embargo ends);
  * price checks against the catalogue for pricing positives and everything else.
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
SEED = 447
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"
ALL_CATS = {S, P, PR, C, F, SEC, CR, CO, AB, "reputation.spike"}

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


# ---------------------------------------------------------------- identifiers
def iban_check_digits(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    lengths = {"NL": 18, "BE": 16, "DE": 22, "FR": 27}
    if len(s) < 15 or lengths.get(s[:2], len(s)) != len(s):
        return False
    r = s[4:] + s[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1
    except ValueError:
        return False


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def make_iban(cc="NL", bank=None):
    if cc == "NL":
        bank = bank or rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ", "ASNB"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "BE":
        bban = "".join(rng.choice(string.digits) for _ in range(12))
    else:  # DE
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    return cc + iban_check_digits(cc, bban) + bban


def bad_iban(cc="NL"):
    good = make_iban(cc)
    ck = int(good[2:4])
    bad = good[:2] + "%02d" % ((ck + 7) % 97 or 3) + good[4:]
    assert not iban_valid(bad)
    return bad


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix="4", length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix="4", length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def fmt_card(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


def bsn_ok(s):
    if len(s) != 9 or not s.isdigit():
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = first8 + str(last)
            assert bsn_ok(s)
            return s


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


def make_mobile(style):
    d = "6" + "".join(rng.choice(string.digits[1:]) for _ in range(1)) + \
        "".join(rng.choice(string.digits) for _ in range(7))
    if style == 0:
        return "0" + d[:1] + "-" + d[1:]
    if style == 1:
        return "+31 6 " + d[1:5] + " " + d[5:]
    if style == 2:
        return "0" + d[:1] + " " + d[1:3] + " " + d[3:6] + " " + d[6:]
    return "+31 (0)6 " + d[1:]


# ---------------------------------------------------------------- secrets
def rand_str(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand_str(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand_str(string.ascii_uppercase + "234567", 16)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "admin-17", "role": "admin", "iss": "api.lonthuis.nl",
                                 "iat": 1781000000, "exp": 1781086400},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in hdr


def slack_token():
    while True:
        a = str(rng.randint(1, 9)) + rand_str(string.digits, 10)
        b = str(rng.randint(1, 9)) + rand_str(string.digits, 12)
        if not luhn_ok(b):
            return "xoxb-%s-%s-%s" % (a, b, rand_str(ALNUM, 24))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
           "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    pool = string.ascii_letters + string.digits + "!#%*-_"
    while True:
        p = rand_str(pool, n)
        if any(c.isdigit() for c in p) and any(c in "!#%*-_" for c in p):
            return p


V = {
    # secrets
    "ghp1": github_token("ghp_"),
    "akia": aws_key_id(),
    "awssecret": rand_str(string.ascii_letters + string.digits + "/+", 40),
    "mollie": "live_" + rand_str(ALNUM, 30),
    "stripe": "sk_live_51" + rand_str(ALNUM, 32),
    "slack": slack_token(),
    "openai": "sk-proj-" + rand_str(ALNUM + "_-", 32) + "T3BlbkFJ" + rand_str(ALNUM + "_-", 32),
    "glpat": "glpat-" + rand_str(ALNUM + "_-", 20),
    "jwt1": make_jwt(),
    "sshkey": openssh_key(),
    "pw1": password(18),
    "pw2": "Lont" + password(8),
    # personal data that passes its checksum
    "iban_nl1": fmt_iban(make_iban("NL", "INGB")),
    "iban_nl2": make_iban("NL", "ASNB"),
    "iban_be1": fmt_iban(make_iban("BE")),
    "card1": fmt_card(make_card("4", 16)),
    "card2": make_card("5" + str(rng.randint(1, 5)), 16),
    "bsn1": make_bsn(),
    "bsn2": make_bsn(),
    "phone1": make_mobile(0),
    "phone2": make_mobile(1),
    "phone3": make_mobile(2),
    "phone4": make_mobile(3),
    # look-alikes that fail their checksum (benign)
    "bad_iban1": fmt_iban(bad_iban("NL")),
    "bad_card1": fmt_card(bad_card("4", 16)),
    "bad_bsn1": bad_bsn(),
    "bad_iban2": bad_iban("BE"),
}
V["bsn1_dots"] = V["bsn1"][:4] + "." + V["bsn1"][4:6] + "." + V["bsn1"][6:]

assert github_ok(V["ghp1"])
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["akia"])
assert jwt_ok(V["jwt1"])


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


ZW = "\u200b"
# Cyrillic look-alikes
CYR = {"B": "\u0412", "i": "\u0456", "j": "\u0458", "s": "\u0455", "c": "\u0441",
       "o": "\u043e", "e": "\u0435", "a": "\u0430", "p": "\u0440"}

# ---------------------------------------------------------------- the cases
CASES = []


def case(role, plat, handle, lang, cats, text, kind="post", date=None, brand=None,
         ck=False, harmless_term=False, lookalike=False):
    CASES.append(dict(role=role, plat=plat, handle=handle, lang=lang, cats=sorted(cats),
                      text=text, kind=kind, date=date, brand=brand, ck=ck,
                      harmless_term=harmless_term, lookalike=lookalike))


E, CP, PU = "employee", "corporate", "public"

# ===== leak.secret =====
case(E, "bluesky", "@semdev.bsky.social", "en", [S],
     "ugh, 2am hotfix for the checkout and CI still refuses to auth against the repo. "
     "works fine locally with export GITHUB_TOKEN=<<ghp1>> so wtf is the runner doing 🫠")
case(E, "mastodon", "@rubenkok", "nl", [S, C],
     "Kan iemand even meekijken waarom dit een time-out geeft vanaf mijn laptop?\n"
     "postgres://lonthuis_app:<<pw1>>@db-prod-02.lonthuis.local:5432/webshop\n"
     "(ja ik weet het, ik roteer hem straks 😅)")
case(E, "x", "@merelvos_lont", "nl", [S],
     "Nieuwe Mollie-koppeling staat eindelijk live 🎉 Voor de collega's die vanavond "
     "testen: <<mollie>> … niet doorsturen hè!!")
case(CP, "facebook", "LonthuisKaarsenZeep", "nl", [S],
     "test koppeling social tool - api key sk_live_<<stripe_tail>> (negeer dit bericht aub)")
case(E, "linkedin", "bas-hoekstra-ops", "en", [S],
     "Six months ago our whole webshop ran on one rented server. Today we deploy to the "
     "cloud in 4 minutes. Super proud of the team! For anyone curious, this is literally "
     "all the config you need to get started:\n\n[default]\naws_access_key_id = <<akia>>\n"
     "aws_secret_access_key = <<awssecret>>\nregion = eu-west-1\n\n#devops #cloud #growth")
case(E, "threads", "@joris.lonthuis", "nl", [S],
     "wie heeft het wachtwoord van de zeepzolder insta veranderd?? het was <<pw2>> en nu "
     "kom ik er niet meer in en om 12 moet de post eruit 😤")
case(E, "bluesky", "@semdev.bsky.social", "en", [S],
     "why does our order-notification bot keep getting invalid_auth, token looks fine to "
     "me?? <<slack>>")
case(PU, "reddit", "u/webdevwim", "nl", [S],
     "lol doe even view-source op shop.lonthuis.nl, de chatwidget heeft gewoon hun "
     "OpenAI key hardcoded: <<openai>>\nIemand van Lonthuis moet dit echt even fixen "
     "voordat iemand er een rekening van duizenden euro's op zet",
     kind="comment")
case(E, "mastodon", "@rubenkok", "en", [S],
     "can someone explain why the admin api rejects this? exp isn't even close.\n"
     "Authorization: Bearer <<jwt1>>")
case(E, "x", "@femke_klantenservice", "nl", [S],
     "Voor de nieuwe uitzendkrachten die morgen beginnen: inloggen op de gedeelde "
     "klantenservice-mailbox met gebruiker ks-team, ww: <<pw2b>> 👍 veel succes allemaal!")
case(E, "linkedin", "bas-hoekstra-ops", "en", [S],
     "Small win today: our deploy pipeline now pulls over SSH instead of HTTPS. This is the "
     "deploy key we put on the build box, in case it helps anyone set up the same thing:\n"
     "<<sshkey>>")
case(PU, "x", "@freelance_koen", "en", [S],
     "Ex-contractor for @lonthuis here. 8 months since my contract ended and my access "
     "token still works 🙃 <<glpat>> — maybe revoke your stuff, folks")

# ===== leak.security =====
case(E, "x", "@merelvos_lont", "nl", [SEC],
     "Zeg het nog even niet tegen klanten maar de betaalpagina van de webshop ligt er al "
     "sinds 6 uur vanochtend uit. Niemand kan afrekenen, IT zit er bovenop 🙃")
case(E, "linkedin", "bas-hoekstra-ops", "en", [SEC],
     "Long weekend. Someone phished their way into one of our customer service mailboxes "
     "on Friday and quietly set up forwarding rules. We still don't know exactly what they "
     "read, so nothing has gone out to customers yet. Check your mailbox rules, people.")
case(E, "mastodon", "@rubenkok", "nl", [SEC],
     "Grappig (niet): onze kortingscode-API slikt elke code zolang je het bedrag negatief "
     "maakt. Ticket staat al drie weken open en de webshop draait gewoon door 🤡")
case(E, "bluesky", "@semdev.bsky.social", "en", [SEC],
     "fun discovery of the day: the bucket with our nightly order exports has been "
     "publicly readable for who knows how long. names, addresses, the lot. locking it down "
     "now, pls don't tell my manager i posted this")
case(E, "tiktok", "@lotte.winkel.utrecht", "nl", [SEC],
     "alle kassa's in alle winkels plat sinds vanochtend 😭 we schrijven bonnetjes met de "
     "hand en hoofdkantoor fluistert iets over ransomware?? #winkelleven #help",
     brand="Lonthuis")
case(E, "x", "@femke_klantenservice", "nl", [SEC],
     "vandaag tientallen mails van klanten die een nep-betaalverzoek kregen mét hun "
     "bestelnummer erin... volgens mij zijn er gegevens weggelekt maar we mogen nog niks "
     "zeggen. voel me echt rot hierover")
case(E, "threads", "@joris.lonthuis", "en", [SEC],
     "heads up team: loyalty app login has been broken for every android user since last "
     "night's update. no promo posts today until it's fixed, customers haven't noticed yet")
case(E, "linkedin", "wendy-smit-hr", "nl", [SEC],
     "Gisteren is er een laptop met alle personeelsdossiers uit de auto van een collega "
     "gestolen. Niet versleuteld. De melding bij de AP moet nog gedaan worden. Ik weet even "
     "niet wat ik moet zeggen.")
case(E, "x", "@daan_giet", "nl", [SEC],
     "deur van het atelier gaat al een week niet meer op slot omdat het pasjessysteem "
     "'gecompromitteerd' is of zo. iedereen kan gwn naar binnen lopen lol, niemand die het weet")
case(E, "mastodon", "@rubenkok", "en", [SEC],
     "note to self: the admin panel on our staging box is reachable from the open internet "
     "without any login at all. it has a copy of last month's customer table. ticket filed, "
     "nobody outside dev knows")
case(PU, "x", "@jesse_tw", "nl", [SEC, CR],
     "Mijn neef werkt bij Lonthuis en zegt dat hun klantendatabase vorige week gehackt is. "
     "Ze houden het gewoon stil. Heb je daar ooit besteld? Verander je wachtwoorden.")
case(E, "bluesky", "@semdev.bsky.social", "en", [SEC],
     "the password reset links on lonthuis.nl never expire. like, ever. found it this "
     "morning, fix is 'next sprint' apparently 🫠")
case(CP, "x", "@lonthuis_help", "nl", [SEC],
     "@tessavd Sorry voor het wachten! Onze server met klantgegevens is sinds gisteren "
     "gecompromitteerd en we zoeken nog uit wat er is meegenomen, daarom zijn we traag.",
     kind="reply")

# ===== leak.financial =====
case(E, "linkedin", "ayla-demir-lonthuis", "nl", [F],
     "Trots op dit team 💪 Q3-omzet €4,8 mln, 22% boven plan, en dat terwijl de cijfers pas "
     "in november naar buiten gaan 😉 #finance #trots")
case(E, "x", "@merelvos_lont", "nl", [F],
     "vandaag gehoord dat 3 van onze 11 winkels in maart dichtgaan. de winkelteams weten het "
     "zelf nog niet eens 😔")
case(E, "linkedin", "wendy-smit-hr", "en", [F],
     "Tough week in HR. Preparing 40 redundancy letters for the Amersfoort workshop staff, "
     "they go out right after the board meeting on the 14th. Self-care matters, colleagues.")
case(E, "threads", "@joris.lonthuis", "en", [F],
     "rumour's true btw, we're being bought 👀 signing is next month, can't say by who but "
     "think big scandinavian home brand")
case(PU, "x", "@retailinsider_nl", "nl", [F],
     "Hoor uit goede bron dat Lonthuis in vergevorderde gesprekken is over de overname van "
     "zeepmerk Schuimwolk. Nog niks officieel, dus onthoud waar je het eerst las.")
case(E, "linkedin", "ayla-demir-lonthuis", "en", [F],
     "Well, that was a sobering morning. Our full-year revenue forecast just got cut from "
     "€19m to €15m. Board deck due Friday. Coffee please.")
case(E, "mastodon", "@rubenkok", "nl", [F, C],
     "Project Amberwolk blijkt dus gewoon het opheffen van het distributiecentrum in Tiel "
     "te zijn. Fijn om dat via een per ongeluk gedeelde agenda te horen.")
case(E, "linkedin", "ayla-demir-lonthuis", "nl", [F, C],
     "jaarcijfers 2026 rond 🎉 omzet 18,3 mln, ebitda helaas net negatief. Persbericht "
     "volgt 4 maart, tot die tijd duimen jullie maar mee",
     date="2027-02-20T16:42:10Z")
case(CP, "linkedin", "lonthuis-bv", "nl", [F],
     "[CONCEPT, nog niet publiceren] Lonthuis B.V. maakt bekend dat CEO Anouk Brandsma per "
     "1 januari terugtreedt. Tegelijk start een reorganisatie waarbij circa 60 functies "
     "vervallen.")
case(PU, "reddit", "u/inkoper_anoniem", "nl", [F],
     "Werk bij een leverancier van Lonthuis. Ze hebben alle inkooporders voor Q1 gewoon "
     "gehalveerd, dus reken maar dat daar binnenkort iets gaat gebeuren.",
     kind="comment")
case(E, "x", "@femke_klantenservice", "en", [F],
     "found out today our whole customer service team gets outsourced to Portugal by "
     "summer. not announced yet. cool cool cool")
case(E, "linkedin", "bas-hoekstra-ops", "nl", [F],
     "Budget 2027 is net goedgekeurd. We rekenen op 9% krimp in omzet en stoppen met de "
     "groothandelstak. Zwaar, maar duidelijk.")

# ===== leak.confidential =====
case(E, "instagram", "@kim.maakt.zeep", "nl", [C],
     "sneak peek 🤫 de eerste blokken van Nachtjasmijn, de nieuwe lijn waar we al maanden "
     "aan werken. Nog even geduld lieverds 💜", brand="Zeepzolder")
case(E, "tiktok", "@lotte.winkel.utrecht", "en", [C],
     "ok the Bloesemnacht candles that just arrived in our stockroom smell UNREAL. can't "
     "wait for you guys to smell them 🌸🌸")
case(CP, "instagram", "@lonthuis.nl", "nl", [C],
     "Psst… er komt iets moois aan. Bloesemnacht 🌸 Meer zeggen we nog niet.",
     date="2026-11-18T18:00:00Z")
case(E, "mastodon", "@rubenkok", "en", [C],
     "anyone else getting cert errors on https://erp.lonthuis.local/inkoop/orders this "
     "morning or is it just my machine")
case(E, "x", "@merelvos_lont", "nl", [C],
     "haha kijk deze slide van de kick-off 😂 'ALLEEN INTERN – Operatie Bijenwas: vanaf 2027 "
     "geen paraffine meer in het assortiment'. Eindelijk!")
case(E, "threads", "@joris.lonthuis", "nl", [C],
     "moodboard voor de kerstcampagne staat op https://wiki.lonthuis.nl/marketing/kerst-2026 "
     "voor wie nog wil meedenken! deadline vrijdag")
case(PU, "forum", "kaarsenliefhebber77", "nl", [C],
     "Vreemd: bij mijn bestelbevestiging zat per ongeluk een pdf met bovenaan 'Lonthuis "
     "Vertrouwelijk – prijsstrategie 2027'. Er staan marges per product in. Moet ik hier "
     "iets mee?")
case(E, "bluesky", "@semdev.bsky.social", "en", [C],
     "Project Amberwolk standup moved to 10:30 tomorrow, sorry all 🙏")
case(E, "x", "@daan_giet", "nl", [C],
     "eerste proefgietsel van de Nacht" + ZW + "jasmijn kaarsen staat af te koelen 🕯️ ruikt "
     "echt te gek, jullie gaan dit zo vet vinden")
case(E, "tiktok", "@lotte.winkel.utrecht", "nl", [C],
     "mag niks zeggen over P r o j e c t   A m b e r w o l k maar jullie gaan het merken 👀👀 "
     "#lonthuis #comingsoon")
case(E, "threads", "@joris.lonthuis", "nl", [C],
     "Planning voor Operatie " + CYR["B"] + CYR["i"] + CYR["j"] + "enwas ligt er, de "
     "nieuwe sojaleverancier start in april. Spannend!")
case(E, "x", "@femke_klantenservice", "nl", [C],
     "interne memo (alleen intern!!) zegt dat we klachten over de Drielont XL voortaan "
     "afkopen met een tegoedbon ipv geld terug 🙄 succes ermee")
case(E, "instagram", "@kim.maakt.zeep", "en", [C],
     "testing a solid conditioner bar that isn't out yet 🤭 vegan, rosemary & mint, "
     "launching in spring. you heard it here first!")
case(PU, "x", "@zwager_van_bart", "nl", [C],
     "Zwager werkt bij Lonthuis, zegt dat 'Operatie Bijenwas' gaat over het dumpen van hun "
     "vaste bijenwasleverancier lol")
case(CP, "facebook", "LonthuisKaarsenZeep", "en", [C],
     "Who's ready for the Blossom Night collection? 🌸 Only a few more weeks!",
     date="2027-01-20T17:30:00Z")

# ===== leak.pricing =====
case(PU, "x", "@snelle_deals_nl", "nl", [PR],
     "RENNEN 🏃‍♀️ Drielont XL staat voor €5,49 op shop.lonthuis.nl, dat MOET een prijsfout "
     "zijn")
case(E, "x", "@merelvos_lont", "nl", [PR],
     "oeps. de Geurstokjes Ceder staan sinds vanochtend voor 3,49 in de webshop ipv 34,95. "
     "wie heeft dat ingevoerd 😅")
case(PU, "instagram", "@jade.xoxo", "en", [PR],
     "the Four Seasons gift box is €7.99 right now??? ordered three before they notice lmao",
     kind="comment")
case(CP, "x", "@lonthuis", "nl", [PR],
     "Alleen vandaag: Kaarsenabo 3 maanden voor maar €19! 🕯️ Op is op.")
case(E, "tiktok", "@lotte.winkel.utrecht", "nl", [PR],
     "kassa rekent de Oliebrander vandaag af voor €9 haha, ik neem er zelf ook maar eentje "
     "mee 🤫")
case(PU, "reddit", "u/dealhunter_eu", "en", [PR],
     "PSA: the Lonthuis Woodfire candle is listed at €2.99 on their site. Pricing glitch "
     "obviously, grab one while it lasts")
case(PU, "facebook", "Marjolein Peters", "nl", [PR],
     "Workshop kaarsen gieten net geboekt voor €12,50 via de site, normaal 45 euro 😳 Gaan "
     "ze dit nakomen of krijg ik straks zo'n 'prijsfout'-mailtje?")
case(E, "threads", "@joris.lonthuis", "en", [PR],
     "lol whoever put Black Fig at €2.75 in the newsletter feed, the comma is in the wrong "
     "place 😂 fixing it now, 4k subscribers already got it")
case(CP, "instagram", "@zeepzolder", "nl", [PR],
     "Shampoobar Rozemarijn nu voor €1,95 🌿 op=op, snel zijn!")
case(PU, "tiktok", "@mila.koopt", "en", [PR],
     "is this a pricing error?? advent candle for €1.99 in the lonthuis app 😳😳",
     kind="comment")
case(E, "x", "@femke_klantenservice", "nl", [PR],
     "telefoon staat roodgloeiend over de Handzeep Citroengras die in de app voor 1,50 "
     "staat. ja, het is een fout. nee, we weten nog niet of we leveren.")
case(PU, "forum", "tealight_tina", "en", [PR],
     "Price error at Lonthuis?? 50 soy tealights for €1.25 😍 just ordered ten packs before "
     "someone notices")

# ===== leak.pii =====
case(CP, "x", "@lonthuis_help", "nl", [P],
     "@sanne_kookt Hoi Sanne! We hebben je pakket opnieuw verstuurd naar Sanne de Wit, "
     "Populierenlaan 14, 3731 GK De Bilt. Klopt dat adres nog?", kind="reply")
case(E, "x", "@femke_klantenservice", "nl", [P],
     "@ayla_demir_lh kan finance vandaag nog de terugbetaling voor mevrouw Yilmaz doen? "
     "Rekening <<iban_nl1>>, bedrag 54,95", ck=True)
case(PU, "x", "@rob_dijkstra", "nl", [P, CO],
     "@lonthuis_help al 3x gebeld, nooit teruggebeld. Bel me dan gewoon zelf: <<phone1>>. "
     "Bestelling is al twee weken zoek!!", kind="reply")
case(PU, "instagram", "@hannah.b.lives", "en", [P, CO],
     "@lonthuis.nl your checkout keeps failing, I've typed my card <<card1>> like five "
     "times now and it just spins. what is going on", kind="comment", ck=True)
case(E, "linkedin", "wendy-smit-hr", "nl", [P],
     "Welkom aan onze nieuwe collega Priya Ramdin (geboren 12-04-1998)! Vanaf maandag "
     "versterkt ze de winkel in Leiden 🎉")
case(E, "x", "@merelvos_lont", "nl", [P],
     "kan iemand checken wie dit is? klant klaagt via de chat maar reageert niet meer: "
     "j.verbeek1974@hotmail.com, tel <<phone2>>")
case(CP, "facebook", "LonthuisKaarsenZeep", "en", [P],
     "Hi Mark, we found your order! It went to Mark Oosterhuis, Kanaalweg 88-B, 2628 EB "
     "Delft — we'll resend it tomorrow morning.", kind="reply")
case(E, "x", "@daan_giet", "nl", [P],
     "stagiair laat z'n loonstrook gwn in de kantine liggen 🙄 BSN <<bsn1_dots>> ligt hier "
     "open en bloot naast de koffieautomaat", ck=True)
case(E, "linkedin", "wendy-smit-hr", "en", [P],
     "For the payroll switch, could someone double-check the BSN for Tom Kuipers: <<bsn2>>? "
     "The old system had a typo in it.", ck=True)
case(PU, "reddit", "u/pissedcustomer22", "en", [P, AB],
     "the rude girl at the Lonthuis in Haarlem is Noa Bakker, she lives at Kleverparkweg 21 "
     "in Haarlem. go tell her what you think of her attitude",
     kind="comment")
case(PU, "x", "@petra_groen", "nl", [P],
     "@lonthuis_help mijn nieuwe mailadres is petra.groen@ziggo.nl en mijn nummer "
     "<<phone3>>, kunnen jullie dat in mijn account aanpassen? Lukt me zelf niet", kind="reply")
case(CP, "instagram", "@zeepzolder", "en", [P],
     "🎉 And the winner of our giveaway is… Lisa Jansen! Lisa, we're sending the details of "
     "your soap box to lisa.jansen89@gmail.com, check your inbox 💌")
case(E, "x", "@femke_klantenservice", "en", [P],
     "refund for this lady pls, she's been waiting weeks: card <<card2>> exp 09/28. "
     "@merelvos_lont can you push it through?", ck=True)
case(PU, "facebook", "Rianne Hendriks", "nl", [P, CO],
     "Voor de derde keer: ik wil mijn geld terug voor die kapotte oliebrander. IBAN "
     "<<iban_be1>> t.n.v. R. Hendriks. Hoe moeilijk kan het zijn?", ck=True)
case(E, "tiktok", "@lotte.winkel.utrecht", "nl", [P],
     "wie is z'n portemonnee vergeten in de winkel in Utrecht? id-kaart op naam van Hanna "
     "Vermeulen, geboren 03-11-1987 😬 kom m maar ophalen!")

# ===== reputation.crisis (+ complaint when first-hand harm) =====
case(PU, "x", "@tom_reijnders", "en", [CR, CO],
     "My @lonthuis Drielont XL just set my windowsill on fire. All three wicks flared into "
     "one huge flame within minutes. Thank god I was home. Never again.")
case(PU, "facebook", "Jolien van Rijn", "nl", [CR, CO],
     "Onze dochter (4) kreeg uitslag over haar hele lijf na de Haver & Honing zeep van "
     "Zeepzolder. Huisarts zegt allergische reactie. Er staat NERGENS op de verpakking dat er "
     "amandelolie in zit!!")
case(PU, "instagram", "@studio_evi", "nl", [CR, CO],
     "glazen pot van mijn Houtvuur kaars knapte gewoon terwijl hij brandde, scherven over "
     "mijn bureau en een snee in mijn hand 🩸 @lonthuis.nl wat is dit??")
case(PU, "reddit", "u/catmom_nl", "en", [CR, CO],
     "Used the Lonthuis ceramic wax burner for maybe 20 min and the bottom cracked. Hot wax "
     "all over the table and my cat's paw. Vet bill incoming. Absolutely furious.")
case(PU, "tiktok", "@noor.vlogt", "nl", [CR, CO],
     "bruisbal eucalyptus van zeepzolder in bad gegooid en mn ogen brandden zo erg dat ik naar "
     "de huisartsenpost moest 😭 NOOIT meer")
case(PU, "youtube", "Dave Whitfield", "en", [CR, CO],
     "The Vanilla Tonka candle threw off so much black smoke that the alarm went off and my "
     "son had an asthma attack. Emailed them a week ago, no reply.", kind="comment")
case(PU, "x", "@regio_nieuws_oost", "nl", [CR],
     "Brandweer rukt uit voor woningbrand in Zwolle-Zuid. Volgens bewoners begon het bij een "
     "geurkaars van Lonthuis die onbeheerd brandde. Niemand gewond.")
case(PU, "x", "@cosmeticawatch", "en", [CR],
     "Our lab found allergenic limonene in Zeepzolder soap bars sold as 'fragrance free'. "
     "Full report tomorrow. Lonthuis has not responded to our questions.")
case(PU, "x", "@eerlijk_kopen", "nl", [CR],
     "#BoycotLonthuis — hun 'handgemaakte' zeep komt gewoon uit een fabriek in het "
     "buitenland, zegt een oud-medewerker. Niet meer kopen mensen.")
case(PU, "instagram", "@smallmakers.collective", "en", [CR],
     "Lonthuis is being sued by a one-woman candle studio from Utrecht for copying her "
     "entire Black Fig jar design. Support makers, not thieves. #boycott")
case(PU, "forum", "wendy_v", "nl", [CR],
     "Sinds mijn bestelling bij Lonthuis krijg ik phishing-sms'jes met mijn naam én mijn "
     "bestelnummer. Die hebben gewoon een datalek en zeggen er niks over.")
case(CP, "x", "@lonthuis", "nl", [CR],
     "Veiligheidswaarschuwing ⚠️ Wij roepen de Keramiek Oliebrander (batches 24-09 t/m "
     "24-11) terug vanwege mogelijke scheurvorming bij verhitting. Gebruik hem niet meer; je "
     "krijgt je geld terug.")
case(PU, "threads", "@exlonthuis", "en", [CR],
     "Ex-employee here. Atelier staff were told to skip the wick burn test to hit Christmas "
     "volume. Someone is going to get hurt and they know it.")
case(PU, "x", "@dierenvriend_k", "nl", [CR],
     "B0yc0t L0nthu1s!! ze testen hun geuren gewoon op dieren, kijk de reportage van "
     "gisteravond 🐰 #b0yc0t")
case(PU, "x", "@anouk_rents", "en", [CR, CO],
     "Burned a Lonthuis candle for one evening: ceiling black with soot and the smoke alarm "
     "went off. Now my landlord wants the whole room repainted. Who's paying for this?")

# ===== reputation.complaint =====
case(PU, "x", "@bramsworld", "nl", [CO],
     "Besteld op de 3e, track & trace staat nog steeds op 'label aangemaakt'. @lonthuis "
     "serieus, twee weken?")
case(PU, "instagram", "@roos.interieur", "en", [CO],
     "my Sea Breeze candle tunnels like crazy. after three burns there's a 2cm wall of wax "
     "left on the sides. €23 for this?", kind="comment")
case(PU, "facebook", "Gert-Jan Mulder", "nl", [CO],
     "Kaarsenabonnement opzeggen is onmogelijk. Knop doet niks, mail wordt niet beantwoord "
     "en ondertussen schrijven ze gewoon weer 69 euro af. Belachelijk.")
case(PU, "x", "@thijs_r", "en", [CO],
     "ordered Black Fig, got Sea Breeze. messaged @lonthuis_help four days ago. crickets.")
case(PU, "tiktok", "@fleur.thuis", "en", [CO],
     "cedar diffuser from lonthuis smells of literally nothing after 3 days 🙄 waste of money "
     "honestly")
case(PU, "forum", "gezinvanderveen", "nl", [CO],
     "Workshop kaarsen gieten in Amersfoort werd twee uur van tevoren afgezegd via een sms. "
     "Geen excuses, geen nieuwe datum. Wij kwamen er speciaal voor uit Groningen.")
case(PU, "reddit", "u/lowtide_", "en", [CO],
     "Lonthuis customer service is a joke. Chatbot loops, phone line closes at 4, emails get "
     "a copy-paste reply that doesn't answer anything.", kind="comment")
case(PU, "x", "@marloes_k", "en", [CO],
     "Zeepzolder box arrived: half the soaps snapped in two and everything covered in the "
     "hand soap that leaked out. Great packing guys 🙃")
case(PU, "instagram", "@kaarsjesfan", "nl", [CO],
     "@lonthuis.nl waar blijft mijn terugbetaling? retour is al 5 weken binnen volgens jullie "
     "eigen mail", kind="comment")
case(PU, "x", "@scentsnob", "en", [CO],
     "the honey wax melts have zero scent throw. literally cannot smell them unless I stick "
     "my nose in the burner. disappointed tbh")

# ===== reputation.abuse =====
case(PU, "x", "@boze_barbara", "nl", [AB],
     "@lonthuis_help jullie zijn een stelletje oplichters en die Femke van de chat is een "
     "domme koe", kind="reply")
case(PU, "tiktok", "@xx_dutchguy_xx", "en", [AB],
     "@lotte.winkel.utrecht nobody wants to see your ugly face, stick to pouring wax",
     kind="comment")
case(PU, "x", "@lol_nl_99", "nl", [AB],
     "L0nthu1s = k@nk3rz00i, medewerkers zijn allemaal m0ngolen")
case(PU, "reddit", "u/trueDutchman", "en", [AB],
     "of course the Lonthuis in Rotterdam only hires foreigners who can't even speak proper "
     "Dutch. go back where you came from", kind="comment")
case(E, "x", "@daan_giet", "nl", [AB],
     "@kaarsjesfan jij bent echt de irritantste zeur ooit, ga lekker ergens anders kopen, "
     "debiel", kind="reply")
case(PU, "facebook", "Henk Vos", "nl", [AB, CO],
     "Drie weken wachten op een vervangende kaars en dan krijg ik een lullig tegoedbonnetje. "
     "Klootzakken zijn jullie.")
case(PU, "x", "@mike_ams", "en", [AB, CO],
     "Paid €55 for the Drielont and it arrived in pieces. Your support team is a bunch of "
     "useless idiots.")
case(PU, "threads", "@wraakengel", "nl", [AB],
     "ik weet precies waar die Merel van de webshop werkt. wacht maar tot ik haar na "
     "sluitingstijd tegenkom")
case(PU, "x", "@candlehater", "en", [AB],
     fullwidth("fuck lonthuis") + " and their overpriced candles")
case(CP, "instagram", "@lonthuis.nl", "nl", [AB],
     "@mvanleeuwen als je het allemaal zo slecht vindt, rot dan lekker op", kind="reply")
case(PU, "x", "@h3nk1e", "nl", [AB],
     "@lonthuis jullie zijn " + CYR["s"] + CYR["c"] + "h" + CYR["o"] + "ft" + CYR["e"] +
     "n, allemaal", kind="reply")

# ===== benign (hard negatives first) =====
case(CP, "x", "@lonthuis_help", "nl", [],
     "Vragen over je bestelling? Mail ons op klantenservice@lonthuis.nl of bel 0800-5668 "
     "(ma–za 9–18 uur) 💬")
case(CP, "facebook", "LonthuisKaarsenZeep", "en", [],
     "Stockists and wholesale enquiries: groothandel@lonthuis.nl or +31 30 555 0142. We'd "
     "love to hear from you!")
case(CP, "linkedin", "lonthuis-bv", "nl", [],
     "Liever per overboeking betalen? Dat kan op NL87 RABO 0312 4578 96 t.n.v. Lonthuis B.V. "
     "onder vermelding van je bestelnummer.")
case(PU, "x", "@ilse_smells", "en", [],
     "that Black Fig candle is straight fire 🔥🔥 my whole flat smells like it")
case(PU, "instagram", "@bathtime.bella", "en", [],
     "the eucalyptus bath bomb is THE BOMB 💣 not even kidding, best bath of my life",
     kind="comment")
case(PU, "tiktok", "@woonblogger_lisa", "nl", [],
     "Houtvuur knettert echt als een kampvuur, ik ben verliefd 😍 #lonthuis #hygge")
case(PU, "reddit", "u/firsttimeburner", "en", [],
     "Is it safe to burn a 3-wick candle like the Lonthuis Drielont for more than 4 hours? "
     "Asking before I ruin it lol")
case(CP, "instagram", "@lonthuis.nl", "nl", [],
     "Kaarstip 🕯️ Knip je lont voor elk gebruik op 5 mm en laat je kaars nooit onbeheerd "
     "branden. Zo voorkom je roet en een te hoge vlam.")
case(PU, "x", "@jaap1971", "en", [],
     "Just read that Geurhuys is recalling their scented candles over a fire risk. Glad I "
     "only have Lonthuis ones at home.")
case(PU, "x", "@retailweek_eu", "en", [],
     "Big week in home retail: Scandinavian chain Norrhem announced it is acquiring a German "
     "candle maker. Will smaller Dutch brands like Lonthuis feel the pressure?")
case(CP, "x", "@lonthuis", "nl", [],
     "Black Friday 🖤 25% korting op alle geurkaarsen. Zwarte Vijg nu €20,63 in plaats van "
     "€27,50.", date="2026-11-27T07:00:00Z")
case(CP, "instagram", "@zeepzolder", "nl", [],
     "Zomersale ☀️ Haver & Honing zeep van €7,95 voor €6,36 (-20%). Alleen deze week!")
case(PU, "x", "@ella_mae", "en", [],
     "got the Four Seasons gift box for my mum in the 15% off sale, €33.96, she absolutely "
     "loved it 💐")
case(PU, "forum", "kees_uit_zwolle", "nl", [],
     "Update: Lonthuis heeft mijn kapotte pakket binnen 2 dagen vervangen en er een "
     "reisblikje lavendel bij gedaan. Netjes opgelost, klacht ingetrokken 👍")
case(PU, "x", "@leiden_local", "en", [],
     "Heard the Lonthuis shop on the Breestraat had to close for a day when the water main "
     "burst on their street. Hope the staff are ok, lovely people ❤️")
case(E, "linkedin", "wendy-smit-hr", "nl", [],
     "We zoeken een intern voor marketing & social (5 maanden, vanaf september)! Stuur je "
     "motivatie naar werkenbij@lonthuis.nl 🕯️", date="2026-06-10T08:30:00Z")
case(E, "linkedin", "bas-hoekstra-ops", "en", [],
     "We're hiring a medior developer for our webshop team. Python, Postgres, a bit of Vue. "
     "Hybrid from Utrecht. Apply via werkenbij@lonthuis.nl")
case(E, "mastodon", "@rubenkok", "en", [],
     "reminder when writing docs: use AKIAIOSFODNN7EXAMPLE and "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, never anything real 🙏")
case(E, "bluesky", "@semdev.bsky.social", "en", [],
     "onboarding template for new devs: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
     "— put your own in .env and never ever commit it")
case(PU, "x", "@sophie_vdb", "en", [],
     "Forgot my Lonthuis password and the reset mail landed within 10 seconds. A webshop "
     "that just works, imagine 😂")
case(CP, "x", "@lonthuis_help", "nl", [],
     "Let op: wij vragen nooit om je wachtwoord of pincode via DM, sms of mail. Krijg je zo'n "
     "bericht? Meld het via klantenservice@lonthuis.nl 🙏")
case(CP, "x", "@lonthuis", "nl", [],
     "Gepland onderhoud: zondag 8 maart tussen 02:00 en 04:00 is de webshop even niet "
     "bereikbaar. Daarna ben je weer van harte welkom!", date="2026-03-05T10:00:00Z")
case(PU, "facebook", "Gerda Smits", "nl", [],
     "Iemand op Marktplaats wil dat ik <<bad_iban1>> betaal voor een 'Lonthuis-pakket'. "
     "Klopt dat nummer wel? Volgens mij is het nep.", lookalike=True)
case(PU, "x", "@not_falling_for_it", "en", [],
     "Got a text saying my Lonthuis order is 'on hold' and asking me to confirm card "
     "<<bad_card1>>. That's not even my card lol. Nice try scammers.", lookalike=True)
case(PU, "forum", "vraagje_retour", "nl", [],
     "Het retourformulier van Lonthuis vraagt om een klantnummer. Is dat het nummer van "
     "mijn bevestiging, <<bad_bsn1>>? Of iets anders?", lookalike=True)
case(PU, "x", "@gijs_gaat_los", "en", [],
     "Order LH-2026-448190 already here today, super fast! The lavender travel tin lives in "
     "my car now 🚗💜")
case(CP, "instagram", "@lonthuis.nl", "nl", [],
     "Bloesemnacht is er 🌸 Vijf nieuwe geuren, vanaf nu online en in al onze winkels.",
     date="2027-02-03T08:00:00Z")
case(CP, "linkedin", "lonthuis-bv", "nl", [],
     "Vandaag publiceerden wij onze jaarcijfers 2026. Het volledige verslag lees je op "
     "lonthuis.nl/investeerders.", date="2027-03-05T07:30:00Z")
case(PU, "x", "@springfever_em", "en", [],
     "The Blossom Night collection smells exactly like spring and I'm obsessed 🌸",
     date="2027-02-10T19:12:44Z")
case(PU, "x", "@candle_addict", "en", [],
     "My boyfriend says I have a problem. I own 14 Lonthuis candles. HE has the problem: not "
     "enough shelf space.")
case(PU, "threads", "@catsandcandles", "en", [],
     "my cat knocked my Sea Breeze candle off the shelf (unlit, relax) and now the rug smells "
     "like a beach holiday. 10/10")
case(PU, "instagram", "@belgische_bea", "nl", [],
     "Verzenden jullie ook naar België? En hoe lang duurt dat ongeveer?", kind="comment")
case(PU, "x", "@sensitive_sam", "en", [],
     "@lonthuis_help do you have a fragrance-free soap for sensitive skin? dermatologist "
     "says no perfumes for a while", kind="reply")
case(PU, "youtube", "Claire Moss", "en", [],
     "Did the candle making workshop in Utrecht with my sister, best afternoon ever. The "
     "teacher was so patient with us 😄", kind="comment")
case(PU, "x", "@houtvuurfan", "nl", [],
     "ik HAAT het dat de Houtvuur alweer uitverkocht is 😭 restock pls @lonthuis")
case(PU, "tiktok", "@glowwithgwen", "nl", [],
     "deze geitenmelkzeep is ziek goed, mijn huid is nog nooit zo zacht geweest")
case(PU, "x", "@cabin_dreams", "en", [],
     "That Woodfire candle is killer. Smells like a cabin in the woods.")
case(PU, "instagram", "@balkontuin_marja", "nl", [],
     "Mijn nachtjasmijn op het balkon bloeit eindelijk 🌼 ruikt 's avonds bijna net zo lekker "
     "als mijn Lonthuis kaarsen", harmless_term=True)
case(PU, "x", "@myhousesmells", "en", [],
     "Neighbours nearly called the fire brigade… turns out they just wanted to know what I "
     "was baking. It was my Vanilla Tonka candle 😂")
case(PU, "x", "@broke_but_cozy", "en", [],
     "Dear Lonthuis, my only complaint is that I can't afford every candle you make. Please "
     "fix.")
case(PU, "x", "@moeder_van_drie", "nl", [],
     "Gisteren in de winkel in Delft geweest, Noor hielp me een geur uitzoeken voor mijn "
     "moeder. Wat een lieve meid!")
case(CP, "tiktok", "@lonthuis", "nl", [],
     "Behind the scenes in ons atelier 🕯️ zo gieten we elke dag zo'n 300 kaarsen met de hand "
     "#handgemaakt")
case(E, "instagram", "@kim.maakt.zeep", "nl", [],
     "Vandaag 120 blokken Haver & Honing gesneden ✂️ mijn armen zijn op, maar kijk hoe mooi")
case(E, "x", "@daan_giet", "en", [],
     "Nothing beats the smell of the atelier on a Monday morning. Pouring Woodfire all day 🔥")
case(PU, "x", "@privacynerd", "en", [],
     "Yet another data breach at a big European fashion webshop this week. Makes me glad "
     "small shops like Lonthuis only ask for what they need at checkout.")
case(PU, "reddit", "u/waxnerd", "en", [],
     "Are the Lonthuis soy tealights actually 100% soy or a blend? €12,50 for 50 seems fair "
     "either way", kind="comment")
case(CP, "x", "@lonthuis", "nl", [],
     "Onze winkels zijn op 2e Paasdag open van 12:00 tot 17:00. Fijne Pasen! 🐣",
     date="2026-04-02T09:00:00Z")
case(E, "linkedin", "ayla-demir-lonthuis", "nl", [],
     "Vandaag mijn laatste RA-examen gehaald! 🎓 Dank aan iedereen bij Lonthuis die me de "
     "afgelopen jaren heeft gesteund.")
case(E, "bluesky", "@semdev.bsky.social", "en", [],
     "tip from today's security training: if a log line shows sk_live_****************, "
     "the masking works. if you ever see a whole key, ping the security channel")
case(PU, "x", "@oma_annie", "nl", [],
     "Mijn oma van 92 is dol op de Vanille & Tonka kaars, ze krijgt er elk jaar een voor haar "
     "verjaardag 🎂")
case(PU, "instagram", "@mixandmatch.home", "en", [],
     "ok Black Fig + Sea Breeze in the same room? chaotic but it works")
case(PU, "facebook", "Kerstmarkt Deventer", "nl", [],
     "Wie gaat er mee naar de kerstmarkt? Lonthuis staat er dit jaar ook, met adventskaarsen "
     "voor €19,95 🎄", date="2026-12-05T12:15:00Z")
case(PU, "mastodon", "@databewust", "nl", [],
     "Ik lees steeds meer over #datalek bij webshops. @lonthuis, hoe bewaren jullie "
     "eigenlijk betaalgegevens? Oprecht benieuwd.")
case(E, "threads", "@joris.lonthuis", "nl", [],
     "Eerste dag als marketeer bij Lonthuis! Mijn nieuwe bureau ruikt naar Zeebries 🌊")
case(CP, "facebook", "LonthuisKaarsenZeep", "nl", [],
     "De winnaar van onze winactie is bekend en persoonlijk benaderd via DM! Dank aan "
     "iedereen die meedeed 💛")
case(E, "bluesky", "@semdev.bsky.social", "en", [],
     "reading up on JWTs today: header.payload.signature, and the header just says which alg "
     "is used. neat little format")
case(PU, "x", "@tevreden_tim", "nl", [],
     "Net 0800-5668 gebeld, binnen 2 minuten geholpen door een supervriendelijke dame. Zo "
     "hoort het!")
case(PU, "instagram", "@curlsandcoffee", "en", [],
     "Tried the rosemary shampoo bar for a month. Hair's less greasy and it smells like a "
     "herb garden. Worth the €12.95 🌿")
case(CP, "tiktok", "@lonthuis", "nl", [],
     "Drielont XL deze week voor €38,47 (30% korting) 🔥 Zolang de voorraad strekt.")
case(PU, "x", "@koopjesjager_jan", "nl", [],
     "Er stond gisteren een prijsfout bij een fietsenwinkel, waarom nooit eens bij Lonthuis "
     "haha")
case(PU, "x", "@annelies_w", "nl", [],
     "Sterkte aan de mensen van Lonthuis in Haarlem, ik zag dat de hele straat weken open "
     "ligt. Ik kom gewoon via de achterkant hoor 💪")
case(PU, "threads", "@brussels_buyer", "en", [],
     "Someone on a marketplace asked me to pay for 'Lonthuis stock' to <<bad_iban2>> — "
     "that IBAN doesn't even validate. Reported.", lookalike=True)


# ---------------------------------------------------------------- severity policy
ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (S, PR) or (c == P and checksum_id):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == CO:
            up("warning")
        elif c == CR:
            up("error")
        elif c == AB:
            up("error" if insider else "warning")
    return sev


# ---------------------------------------------------------------- detection helpers (checks)
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]){3}\d{1,7}(?![\w-])|(?<![\w-])\d{13,19}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?![\w-])")


def checksum_ids(text):
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        if s in PUBLIC_IBANS:
            continue
        (valid if iban_valid(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            (valid if luhn_ok(d) else invalid).append(("card", d))
    for m in BSN_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        (valid if bsn_ok(d) else invalid).append(("bsn", d))
    return valid, invalid


EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+31|\b0)[\s-]?(?:\(0\))?[\s-]?[1-9](?:[\s-]?\d){7,8}\b")
PUBLIC_PHONES = {re.sub(r"\D", "", p).lstrip("0").replace("31", "", 1) if p.startswith("+")
                 else re.sub(r"\D", "", p).lstrip("0")
                 for p in PROFILE["public_identifiers"]["phones"]}
PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(?<![\d.,])(\d+[.,]\d{2})(?![\d.,])|"
                      r"(?<![\d.,])(\d+)\s?euro")
PRICE_WORDS = ("prijsfout", "price error", "pricing error", "pricing glitch", "wrong place",
               "het is een fout")


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = next(g for g in m.groups() if g)
        out.append(float(v.replace(",", ".")))
    return out


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            hits.append(p)
    return hits


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- build
def substitute(text):
    def rep(m):
        key = m.group(1)
        if key == "stripe_tail":
            return V["stripe"][len("sk_live_"):]
        if key == "pw2b":
            return V["pw2b"]
        return V[key]
    return re.sub(r"<<(\w+)>>", rep, text)


V["pw2b"] = "Lonthuis" + password(6)

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
lines = []
errors = []
seen_ids = set()
for i, c in enumerate(CASES, 1):
    text = substitute(c["text"])
    role = role_of(c["plat"], c["handle"])
    if role != c["role"]:
        errors.append("case %d: intended role %s, profile says %s" % (i, c["role"], role))
    if c["date"]:
        created = c["date"]
    else:
        t = start + dt.timedelta(days=rng.randint(0, 350), seconds=rng.randint(6 * 3600, 23 * 3600))
        created = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    valid_ids, invalid_ids = checksum_ids(text)
    sev = severity(c["cats"], role, bool(valid_ids))
    pid = "sb447-%s-%04d" % (c["plat"], i)
    post = {"id": pid, "platform": c["plat"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": created}
    if c["brand"]:
        post["brand"] = c["brand"]
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})

    # ---- per-case checks
    tag = "case %d (%s)" % (i, pid)
    if pid in seen_ids:
        errors.append(tag + ": duplicate id")
    seen_ids.add(pid)
    if "<<" in text or ">>" in text:
        errors.append(tag + ": unsubstituted placeholder")
    if P in c["cats"]:
        if bool(valid_ids) != c["ck"]:
            errors.append(tag + ": checksum identifiers %r vs ck=%s" % (valid_ids, c["ck"]))
        if invalid_ids:
            errors.append(tag + ": pii positive with failing identifier %r" % (invalid_ids,))
    else:
        if valid_ids:
            errors.append(tag + ": non-pii post holds valid identifier %r" % (valid_ids,))
        if not c["cats"]:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in PROFILE["public_identifiers"]["emails"]:
                    errors.append(tag + ": benign post with e-mail " + e)
            for ph in PHONE_RE.findall(IBAN_RE.sub(" ", text)):
                d = re.sub(r"\D", "", ph)
                d = d[2:] if d.startswith("31") else d.lstrip("0")
                if d not in PUBLIC_PHONES:
                    errors.append(tag + ": benign post with phone " + ph)
    if c["lookalike"] and not invalid_ids:
        errors.append(tag + ": look-alike case without a failing identifier")
    # confidential terms
    low = text.lower()
    terms = list(PROFILE["internal"]["codenames"]) + list(PROFILE["internal"]["markers"]) + \
        list(PROFILE["internal"]["domains"])
    hit = [t for t in terms if t.lower() in low]
    for emb in PROFILE["embargo"]:
        if any(t.lower() in low for t in emb["terms"]) and parse_ts(created) < \
                dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00")):
            hit.append("embargo:" + emb["until"])
    if hit and C not in c["cats"] and not c["harmless_term"]:
        errors.append(tag + ": confidential terms %r but not labelled" % hit)
    # pricing
    prods = products_in(text)
    pr = prices(text)
    below = [p for p in prods for v in pr
             if v < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]
             and v >= 0.5]  # ignore tiny numbers such as '0,5'
    words = any(w in low for w in PRICE_WORDS)
    if PR in c["cats"]:
        if not prods or not (below or words):
            errors.append(tag + ": pricing positive without product/price evidence")
    elif prods and c["cats"] != [CO] and (below or (words and prods)):
        errors.append(tag + ": unlabelled price below ratio %r" % [p["sku"] for p in below])
    elif prods and c["cats"] == [CO] and below:
        errors.append(tag + ": complaint with below-ratio price")


# ---- whole-set checks and CONTRACT section 6 validation
def valid_case(obj):
    p, e = obj.get("post"), obj.get("expect")
    assert isinstance(p, dict) and isinstance(e, dict)
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert p["platform"] in PLATFORMS
    assert p.get("kind", "post") in KINDS
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and len(p["text"].encode("utf-8")) <= 65536
    parse_ts(p["created_at"])
    assert isinstance(e["categories"], list) and all(x in ALL_CATS for x in e["categories"])
    assert e["categories"] == sorted(set(e["categories"]))
    assert "reputation.spike" not in e["categories"]
    assert e["severity"] in ORDER
    if not e["categories"]:
        assert e["severity"] == "none"
    else:
        assert e["severity"] in ("warning", "error", "critical")


for k in ("iban_nl1", "iban_nl2", "iban_be1"):
    assert iban_valid(V[k]), k
for k in ("card1", "card2"):
    assert luhn_ok(re.sub(r"\D", "", V[k])), k
for k in ("bsn1", "bsn2"):
    assert bsn_ok(V[k]), k
for k in ("bad_iban1", "bad_iban2"):
    assert not iban_valid(V[k]), k
assert not luhn_ok(re.sub(r"\D", "", V["bad_card1"]))
assert not bsn_ok(V["bad_bsn1"])
for i in PROFILE["public_identifiers"]["ibans"]:
    assert iban_valid(i), i
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert all(p["currency"] == "EUR" for p in PROFILE["products"])
assert 15 <= len(PROFILE["products"]) <= 25

out_path = os.path.join(HERE, "cases.jsonl")
with open(out_path, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# re-read and validate what was written
with open(out_path, encoding="utf-8") as fh:
    written = [json.loads(line) for line in fh]
for n, obj in enumerate(written, 1):
    try:
        valid_case(obj)
    except Exception as exc:  # noqa: BLE001
        errors.append("line %d invalid: %r" % (n, exc))
    # secret formats inside leak.secret positives
    t = obj["post"]["text"]
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
        if obj["expect"]["categories"] and not github_ok(tok):
            errors.append("line %d: GitHub token with bad CRC" % n)
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
        if not jwt_ok(tok):
            errors.append("line %d: JWT without alg header" % n)
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", t):
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and not tok.endswith("EXAMPLE"):
            errors.append("line %d: malformed AWS key id" % n)

if not 170 <= len(written) <= 180:
    errors.append("case count %d outside 170-180" % len(written))

benign = sum(1 for o in written if not o["expect"]["categories"])
counts = {}
for o in written:
    for cat in o["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
nl = sum(1 for o in written if o["post"]["lang"] == "nl")
roles = {}
for o in written:
    r = role_of(o["post"]["platform"], o["post"]["account"]["handle"])
    roles[r] = roles.get(r, 0) + 1
years = sorted({o["post"]["created_at"][:4] for o in written})

print("cases: %d, benign: %d, positives: %d" % (len(written), benign, len(written) - benign))
print("per category:", json.dumps(dict(sorted(counts.items()))))
print("nl share: %.0f%%, roles: %s, years: %s" % (100.0 * nl / len(written), roles, years))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
