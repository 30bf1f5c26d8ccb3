#!/usr/bin/env python3
"""Build the labelled evaluation set for the fictional Kristalpiste indoor ski hall.

Deterministic (fixed seed). Writes cases.jsonl next to this file and self-checks it:
checksums of identifiers, secret formats, CONTRACT section 6 shape, severity policy
(section 4) computed from the account role in profile.yaml, embargo windows, counts.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(256_0412)

SECRET, PII, PRICE, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                       "leak.confidential", "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {SECRET, PII, PRICE, CONF, FIN, SECU, CRISIS, COMPL, ABUSE, "reputation.spike"}

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase   # base-62 digit order
B64 = string.ascii_letters + string.digits + "+/"
URLSAFE = string.ascii_letters + string.digits + "-_"

# ----------------------------------------------------------------------------------
# identifier registry: every generated identifier is recorded with its intended validity
REG = []


def reg(kind, value, valid=True):
    REG.append((kind, value, valid))
    return value


def rnd(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# --- checksummed personal identifiers ---------------------------------------------
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def _nl_iban(bank, acct, check=None):
    if check is None:
        n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
        check = 98 - n % 97
    return "NL%02d%s%s" % (check, bank, acct)


def _spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaced=True):
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    v = _nl_iban(bank, "%010d" % rng.randrange(10 ** 8, 10 ** 10))
    return reg("iban", _spaced(v) if spaced else v, True)


def bad_iban(spaced=True):
    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO"])
    acct = "%010d" % rng.randrange(10 ** 8, 10 ** 10)
    good = int(_nl_iban(bank, acct)[2:4])
    wrong = (good + rng.randrange(1, 90)) % 100
    v = _nl_iban(bank, acct, wrong)
    assert not iban_ok(v)
    return reg("iban", _spaced(v) if spaced else v, False)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"[ -]", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def _luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c


def card(prefix=None, sep=" "):
    prefix = prefix or rng.choice(["4", "51", "52", "55", "4"])
    body = prefix + rnd(string.digits, 15 - len(prefix))
    num = body + _luhn_digit(body)
    return reg("card", sep.join(num[i:i + 4] for i in range(0, 16, 4)), True)


def bad_card(prefix="4", sep=" "):
    body = prefix + rnd(string.digits, 15 - len(prefix))
    ok = _luhn_digit(body)
    num = body + str((int(ok) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(num)
    return reg("card", sep.join(num[i:i + 4] for i in range(0, 16, 4)), False)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(c) * w for c, w in zip(s[:8], range(9, 1, -1))) - int(s[8])
    return tot % 11 == 0


def bsn():
    while True:
        head = str(rng.randrange(1, 10)) + rnd(string.digits, 7)
        r = sum(int(c) * w for c, w in zip(head, range(9, 1, -1))) % 11
        if r < 10:
            v = head + str(r)
            assert bsn_ok(v)
            return reg("bsn", v, True)


def bad_bsn():
    while True:
        v = str(rng.randrange(1, 10)) + rnd(string.digits, 8)
        if not bsn_ok(v):
            return reg("bsn", v, False)


def mobile(fmt):
    d = "6" + rng.choice("12345") + rnd(string.digits, 7)
    out = {"06-": "0" + d[:1] + "-" + d[1:],
           "06 ": "0" + d[:1] + " " + d[1:5] + " " + d[5:],
           "+31": "+31 " + d[:1] + " " + d[1:5] + " " + d[5:],
           "0031": "0031 " + d[:1] + " " + d[1:],
           "06": "0" + d}[fmt]
    return reg("phone", out, True)


def email(v):
    return reg("email", v, True)


def person(kind, v):
    """address / date of birth with a name (no checksum, recorded for the checks)"""
    return reg(kind, v, True)


# --- credentials, built the way the real ones are -----------------------------------
def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def github(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
    assert gh_ok(tok)
    return reg("github", tok, True)


def aws_id():
    return reg("aws_id", "AKIA" + rnd(string.ascii_uppercase + "234567", 16), True)


def aws_secret():
    return reg("aws_secret", rnd(string.ascii_letters + string.digits + "/+", 40), True)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return reg("jwt", "%s.%s.%s" % (head, body, sig), True)


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return len(tok.split(".")) == 3 and "alg" in hdr
    except Exception:
        return False


def stripe_live():
    return reg("stripe", "sk_live_51" + rnd(ALNUM, 22) + rnd(ALNUM, 77), True)


def slack_bot():
    return reg("slack", "xoxb-%d-%d-%s" % (rng.randrange(10 ** 11, 10 ** 12),
                                          rng.randrange(10 ** 12, 10 ** 13), rnd(ALNUM, 24)), True)


def openai_key():
    return reg("openai", "sk-proj-" + rnd(URLSAFE, 64) + "T3BlbkFJ" + rnd(URLSAFE, 64), True)


def anthropic_key():
    return reg("anthropic", "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA", True)


def google_key():
    return reg("google", "AIza" + rnd(URLSAFE, 35), True)


def ssh_ed25519_key(comment):
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    seed = bytes(rng.randrange(256) for _ in range(32))
    pubblob = s(b"ssh-ed25519") + s(pub)
    chk = struct.pack(">I", rng.randrange(2 ** 32))
    priv = chk + chk + s(b"ssh-ed25519") + s(pub) + s(seed + pub) + s(comment.encode())
    priv += bytes(range(1, 1 + (-len(priv) % 8)))
    blob = b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1) + s(pubblob) + s(priv)
    b = base64.b64encode(blob).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----" % body
    return reg("private_key", key, True)


def db_url():
    return reg("db_url", "postgres://kp_tickets:%s@10.20.4.11:5432/tickets_prod" % rnd(ALNUM, 18), True)


def password(v):
    return reg("password", v, True)


# --- evasion helpers -------------------------------------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"P": "\u0420", "e": "\u0435", "a": "\u0430", "o": "\u043e", "p": "\u0440", "c": "\u0441"}


def cyrillic(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


# ----------------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", at=None, allow=(), brand=None):
    ids = list(REG)
    REG.clear()
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "kind": kind, "at": at, "ids": ids,
                  "allow": set(allow), "brand": brand})


# ==================================================================================
# reputation.complaint
C("x", "@femkevd", "nl",
  "@kristalpiste_help al 40 min in de rij bij de verhuur en er zit precies 1 persoon achter de balie. "
  "mn 2-uurs skipas tikt ondertussen gewoon door 🙄 #kristalpiste", [COMPL], kind="reply")
C("instagram", "@jonas.rides", "en",
  "Paid for the Snowboard Starter course, 3 of the 4 lessons got cancelled last minute \"due to staffing\". "
  "Still no refund after 5 weeks and 3 emails. Not impressed, Kristalpiste.", [COMPL])
C("facebook", "Marieke Hoogendoorn", "nl",
  "Vandaag met de kids bij Kristalpiste geweest. De piste was onderaan één grote plas smeltwater, de kleine "
  "viel er 3x in en zat daarna drijfnat in de auto. Voor 62 euro per persoon verwacht ik echt wat beters.",
  [COMPL], kind="comment")
C("x", "@danny_rt", "en",
  "@kristalpiste your app charged my card twice for the same park session and the 'help' chat just loops "
  "me back to the FAQ. fix it pls", [COMPL], kind="reply")
C("reddit", "u/natte_sokken", "nl",
  "Iemand anders ook last van die kluisjes bij Kristalpiste? Muntje erin, deur gaat daarna niet meer open, "
  "en dan 25 minuten wachten op iemand met een sleutel. Elke. Keer.", [COMPL])
C("forum", "wintersportgek_77", "en",
  "Review: Kristalpiste apres ski evening. Fondue was lukewarm, the 'unlimited' drinks ran out at 9pm and "
  "the DJ never showed up. 2/5. Slope itself was fine tbh.", [COMPL])
C("tiktok", "@zoe.xo", "nl",
  "pov: je hebt een jaarabo bij kristalpiste en je wil opzeggen. bellen = wachtrij, mailen = geen antwoord, "
  "formulier = error 500. ik ben er klaar mee 😤 #opzeggen", [COMPL])
C("x", "@rick_b", "nl",
  "huurschoenen bij @kristalpiste waren gewoon NAT van binnen. nat. wie doet dat. sokken doorweekt na 10 min",
  [COMPL])
C("instagram", "@mum.of.three.nl", "en",
  "Booked the Yeti party for my daughter's 7th. Host turned up 20 min late, half the kids never got their "
  "hot chocolate and nobody told us the tubing lane was closed. Honestly wish we'd gone somewhere else.",
  [COMPL])
C("facebook", "Gert-Jan Mulder", "nl",
  "Jammer dat jullie de parkeerplaats nu €9 laten kosten terwijl er niet eens verlichting is op het achterste "
  "stuk. Om 22u in het donker je auto zoeken is geen pretje @Kristalpiste", [COMPL], kind="comment")
C("bluesky", "@lenaskis.bsky.social", "en",
  "the button lift at kristalpiste stopped 4 times in one hour today. every time you just stand there, "
  "nobody says a word over the speakers. annoying af when you've only paid for 2 hrs", [COMPL])
C("x", "@thijs_k", "nl",
  "Privéles geboekt voor 10:00, leraar kwam om 10:25 en we moesten alsnog om 11:00 stoppen. Geen sorry, "
  "geen extra tijd. Bedankt voor niks @kristalpiste_help", [COMPL], kind="reply")
C("linkedin", "priya-raman-hr", "en",
  "Organised our team outing at Kristalpiste this month. Communication beforehand was chaotic: three "
  "different contacts, invoice wrong twice, nobody knew our dietary list. Great slope, poor organisation.",
  [COMPL])

# first-hand harm: reputation.crisis + reputation.complaint
C("x", "@wendy_smeets", "nl",
  "Mijn zoon (9) is vanmiddag bij Kristalpiste met z'n hand klem geraakt in de sleeplift, het bandje haakte "
  "vast en niemand zette de lift stil. Nu op de SEH met gekneusde vingers. Ik ben echt woedend.",
  [CRISIS, COMPL])
C("facebook", "Tom Ashworth", "en",
  "Our group got sick after the buffet at Kristalpiste on Saturday night. 6 out of 11 of us throwing up all "
  "night. Called them Monday and got a 'we'll look into it'. That's not good enough.",
  [CRISIS, COMPL], kind="comment")
C("instagram", "@kimberley_sneeuw", "nl",
  "Nieuwe Kristal Pro Helm gekocht in jullie shop, bij de eerste val brak de gesp gewoon af en vloog de helm "
  "van m'n hoofd 😳 gelukkig alleen een buil. Dit hoort toch niet bij een helm van 119 euro!!",
  [CRISIS, COMPL])
C("reddit", "u/wristguard_wanted", "en",
  "Slipped on the metal stairs from the locker room down to the slope at Kristalpiste. No grit, solid ice. "
  "Fractured wrist. Staff member shrugged and said 'happens a lot'. Seriously??", [CRISIS, COMPL])
C("x", "@anouk_lp", "nl",
  "Rare scherpe lucht in de hal vanavond, ogen gingen tranen en mijn vriendin werd duizelig. Wij zijn naar "
  "buiten gegaan, het personeel deed alsof er niks aan de hand was. Kristalpiste wat lekte daar??",
  [CRISIS, COMPL])

# reputation.crisis, told by third parties
C("x", "@112flevo", "nl",
  "Bij skihal Kristalpiste in Lelystad is vanmiddag een skiër zwaargewond geraakt na een botsing op de piste. "
  "Traumaheli geland op de parkeerplaats. #112 #Lelystad", [CRISIS])
C("forum", "consumentennieuws", "en",
  "Consumer group files a lawsuit against Kristalpiste over the 'non-refundable' clause in its annual "
  "membership, claiming thousands of members were misled. First hearing is expected in spring.", [CRISIS])
C("x", "@groenlinks_jort", "nl",
  "Een skihal die 24/7 op gas koelt midden in een energiecrisis. Boycot #Kristalpiste tot ze overstappen op "
  "groene stroom. Delen! ♻️", [CRISIS])
C("instagram", "@skigear.watch", "en",
  "Heads up if you bought a Polar Goggle at Kristalpiste this winter: the batch is being recalled because the "
  "lens can shatter on impact. Check the code on the inside of the strap.", [CRISIS])
C("x", "@paranoid_pieter", "en",
  "Got a phishing mail with my full name, my membership number AND my kid's birthday. Only company that has "
  "all of that is Kristalpiste. You got breached and you're keeping quiet, aren't you?", [CRISIS])
C("tiktok", "@ex.skileraar", "nl",
  "ex-skileraar van kristalpiste hier. wat daar met minderjarige stagiaires gebeurt wordt gewoon onder de pet "
  "gehouden door de leiding. meer mensen moeten dit weten 🧵 1/6", [CRISIS])
C("facebook", "Nieuws uit Flevoland", "nl",
  "Ammoniaklek in skihal Kristalpiste: hal ontruimd, drie medewerkers ter controle naar het ziekenhuis. "
  "Brandweer meet nog in de omgeving.", [CRISIS])
C("x", "@lelystadpost", "en",
  "Labour inspectorate opens an investigation at Kristalpiste after a snow-groomer driver was injured during "
  "night maintenance, sources tell us.", [CRISIS])
C("reddit", "u/buurvrouw_weet_alles", "nl",
  "Waarom hoor je niks over dat kind dat vorige week van de rodelbaan bij Kristalpiste is gevlogen? Mijn "
  "buurvrouw stond erbij, ambulance en alles. Baan is nu 'wegens onderhoud' dicht lol.", [CRISIS])
C("bluesky", "@vakbond.freizeit.bsky.social", "en",
  "#BoycottKristalpiste is trending locally after they fired the instructor who reported the broken safety "
  "nets. Solidarity with the staff.", [CRISIS])

# ==================================================================================
# reputation.abuse
C("x", "@boos_op_alles", "nl", "@kristalpiste jullie zijn echt een stelletje graaiende klootzakken", [ABUSE],
  kind="reply")
C("instagram", "@rvdb_1999", "nl",
  "@marloes_skileraar jij bent zo'n arrogant kutwijf, geen wonder dat niemand les van je wil", [ABUSE],
  kind="comment")
C("x", "@slopehater", "en",
  "kristalpiste staff are the dumbest bunch of idiots I've ever met. absolute morons, every single one", [ABUSE])
C("tiktok", "@sem.snowpark", "nl",
  "weer zo'n debiele snowboarder die denkt dat ie de baas is in het park. echte mongool, ga lekker in je "
  "zandbak spelen thuis", [ABUSE])
C("x", "@w4ldo", "nl", "k4nk3rb3dr1jf @kristalpiste 🤮🤮 hoop dat jullie dak instort", [ABUSE])
C("facebook", "Henk Brouwer", "nl",
  "Wat een t.y.f.u.s.z.o.o.i daar bij Kristalpiste en die bedrijfsleider is een v.u.i.l.e l.u.l",
  [ABUSE], kind="comment")
C("x", "@echte_nederlander", "en",
  "why does kristalpiste only hire foreigners who can't even speak proper dutch. go back where you came from",
  [ABUSE])
C("reddit", "u/bootsize43", "en",
  "The guy running the rental desk at Kristalpiste is a complete prick. Fat lazy bastard couldn't find a pair "
  "of size 43 boots if his life depended on it.", [ABUSE])
C("tiktok", "@angrysnow", "en", fullwidth("kristalpiste sucks fucking scammers") + " 🖕", [ABUSE])
C("x", "@kristalpiste_help", "nl",
  "@skifanaat88 als je zo blijft zeuren ben je gewoon een zielige loser. blijf dan lekker weg", [ABUSE],
  kind="reply")
C("x", "@marco_dm", "nl",
  "3 uur gewacht op mijn terugbetaling en die kutmedewerkers van @kristalpiste_help lachen je gewoon uit aan "
  "de telefoon. Stelletje idioten.", [ABUSE, COMPL])
C("instagram", "@hannah.b", "en",
  "Lesson cancelled AGAIN, no refund AGAIN. You're a bunch of useless thieving scumbags, Kristalpiste.",
  [ABUSE, COMPL], kind="comment")

# ==================================================================================
# leak.pricing
C("x", "@naima_bz", "nl",
  "collega's!! de KristalPas Jaarabonnement staat sinds 8u voor €64,90 in de webshop ipv 649. er zijn er al "
  "40 verkocht 🙈 wie kan dit fixen", [PRICE])
C("x", "@dealjager_nl", "nl",
  "PRIJSFOUT 🚨 Kristal Stormjas voor €24,90 op kristalpiste.nl (normaal 249). Snel zijn! #prijsfout #deals",
  [PRICE])
C("reddit", "u/frugal_freerider", "en",
  "Kristalpiste webshop has the Pro Helm at €11.90 right now, pretty sure someone dropped a zero. Ordered two, "
  "let's see if they honour it.", [PRICE])
C("instagram", "@kristalpiste", "en",
  "Winter warm-up deal ❄️ Ski Starter course now only €18,90! 4 lessons, all gear included. Book via the link "
  "in bio", [PRICE])
C("forum", "skimama_almere", "nl",
  "Is die privéles van 60 min echt €7,90 via de app of is dat een foutje? Bij mij staat het zo, bij mijn "
  "vriendin staat er gewoon 79.", [PRICE])
C("instagram", "@lotte_rental", "nl",
  "Kassa rekent de ski-huurset vandaag af voor €2,20 😂 niemand die het doorheeft. Grapjas bij IT zeker",
  [PRICE])
C("tiktok", "@budgetboarder", "nl",
  "ff checken of de Polar Goggle nog steeds 19,95 is ipv 89,95 😂 jup. 3 besteld", [PRICE])
C("x", "@uncle_joe_nl", "en",
  "Price glitch? KristalPas Junior listed at €34.90 for the whole year (should be 349). Grabbed one for my "
  "nephew and screenshotted the checkout.", [PRICE])
C("linkedin", "ilse-verbeek-kristalpiste", "nl",
  "Even transparant: door een fout in de productfeed stond het Teamuitje Ski & Fondue gisteren voor €9,40 p.p. "
  "in onze advertenties. We zoeken uit hoe dit kon en nemen contact op met wie heeft geboekt.", [PRICE])
C("facebook", "Jeroen Kaptein", "nl",
  "Rodelbaan 10-rittenkaart voor €3,90?? Dat moet een prijsfout zijn maar ik heb 'm wel mooi binnen 😎",
  [PRICE], kind="comment")
C("x", "@parkrat_lisa", "nl",
  "psst de Frostbite Park sessie staat op de site voor €2,90 😅 iemand heeft de komma verkeerd gezet", [PRICE])
C("x", "@bram_ops", "en",
  "Deploy rolled back. Rounding bug showed the Kristal Dagpas at €6.20 for about 15 minutes. Refund script is "
  "running, don't ask 😅", [PRICE])

# ==================================================================================
# leak.secret
C("mastodon", "@wessel_kp", "en",
  "why does this keep failing... git push rejected with 403. remote is https://%s@github.com/kristalpiste/"
  "ticket-api.git, token is brand new. anyone?" % github(), [SECRET])
C("x", "@bram_ops", "en",
  "note to self (backup bucket, eu-west-1):\nAWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s"
  % (aws_id(), aws_secret()), [SECRET])
C("instagram", "@lotte_rental", "nl",
  "voor de avondploeg: wachtwoord van de verhuur-pc is %s 🔑 niet kwijtraken he haha"
  % password("Yeti!Verhuur2026"), [SECRET])
C("mastodon", "@wessel_kp", "en",
  "migration dies with 'password authentication failed' even though I copied the string straight from the "
  "env: DATABASE_URL=%s ... what am I missing" % db_url(), [SECRET])
C("x", "@bram_ops", "nl",
  "alerts-bot doet het eindelijk 🎉 token voor wie 'm ook in z'n eigen kanaal wil: %s" % slack_bot(), [SECRET])
C("bluesky", "@joepvanlier.bsky.social", "nl",
  "De besturing van de koelinstallatie staat gewoon open op poort 8080 met admin / %s — al 3x gemeld, niemand "
  "die er iets aan doet. Wachten tot iemand anders het vindt?" % password("Koude2024!"), [SECRET, SECU])
C("reddit", "u/js_snooper", "en",
  "lol Kristalpiste's booking page ships their Stripe secret key in the JS bundle: %s\nsomeone please tell them"
  % stripe_live(), [SECRET])
C("mastodon", "@wessel_kp", "en",
  "can someone tell me why exp is in the past on this one? it was issued 5 min ago\nAuthorization: Bearer %s"
  % jwt({"sub": "kp-staff-0412", "role": "admin", "iat": 1767268800, "exp": 1767272400}), [SECRET])
C("x", "@bram_ops", "en",
  "which one of you pasted this in #general 🙃 rotate it NOW\n%s" % ssh_ed25519_key("deploy@kassa-01"), [SECRET])
C("forum", "freelance_dev_rik", "en",
  "Working on a chatbot for an indoor ski hall (Kristalpiste). Is this the right way to set the key? "
  "OPENAI_API_KEY=%s in .env, then os.getenv in app.py. Getting 429s." % openai_key(), [SECRET])
C("x", "@naima_bz", "nl",
  "Voor wie vanavond de klantenservice-inbox doet: login is care-team, wachtwoord: %s. Succes!"
  % password("Sneeuwpop#77"), [SECRET])
C("mastodon", "@wessel_kp", "nl",
  "Route-widget op de contactpagina laadt niet meer. Key is %s, quota is nog niet op volgens mij. Iemand een idee?"
  % google_key(), [SECRET])

# ==================================================================================
# leak.security
C("x", "@bram_ops", "nl",
  "Kassasystemen al sinds 07:00 plat, op elk scherm een losgeldbericht. Mogen er nog niks over zeggen dus als je "
  "vandaag komt: neem contant mee 🤐", [SECU])
C("mastodon", "@wessel_kp", "en",
  "found out today our booking API hands you any customer's reservation if you just increment the id. no auth "
  "check at all. reported it internally, fix is 'next sprint' 🙃", [SECU])
C("x", "@naima_bz", "nl",
  "Drie collega's van finance hebben gisteren op een phishingmail geklikt en hun Microsoft-login ingevuld. IT "
  "zegt dat er mailboxen doorzocht zijn. Officieel weten we van niks.", [SECU])
C("instagram", "@daan.pistecrew", "nl",
  "morgen waarschijnlijk dicht want het toegangssysteem ligt eruit na die hack van vannacht. ga je nergens lezen "
  "trouwens 🙊", [SECU])
C("bluesky", "@joepvanlier.bsky.social", "en",
  "the badges for the staff doors at our hall can be cloned with a €30 reader. tried it on my manager's card, "
  "worked first time. nobody seems to care.", [SECU])
C("tiktok", "@sem.snowpark", "nl",
  "tip: de personeelswifi hangt op hetzelfde netwerk als de kassa's en de camera's. zeg ik verder niks over 🤫",
  [SECU])
C("x", "@bram_ops", "en",
  "We've been under a DDoS since 18:00, ticket shop is basically dead. Comms wants us to call it 'high demand' 🙄",
  [SECU])
C("x", "@naima_bz", "en",
  "Heads up team: the CRM export with ~12k member records sat on a public file share for 3 weeks. Legal is still "
  "deciding whether to notify anyone, so don't mention it to customers yet.", [SECU])
C("reddit", "u/former_contractor_kp", "en",
  "Did contract work for Kristalpiste last year. Their member portal still runs an unpatched Magento 1.9 with the "
  "admin panel wide open on /admin. Warned them in 2025. Still there.", [SECU])
C("mastodon", "@wessel_kp", "nl",
  "Backups van de ledenadministratie staan al maanden onversleuteld op een NAS in het technisch lokaal, zonder "
  "wachtwoord erop. Heb het vandaag maar weer eens aangekaart.", [SECU])
C("x", "@marloes_skileraar", "nl",
  "Lesplanning-app laat namen en telefoonnummers van álle cursisten zien aan iedereen met een instructeurslogin, "
  "ook aan oud-instructeurs. Al 2 maanden. Niemand fixt het.", [SECU])
C("x", "@bennie_r", "nl",
  "Mijn broer zit bij de IT van Kristalpiste: ze zijn vorige week gehackt en de klantgegevens liggen op straat. "
  "Ze houden het stil tot na de kerstvakantie.", [SECU, CRISIS])

# ==================================================================================
# leak.financial
C("linkedin", "ruud-hoekstra-kp", "en",
  "Proud of this team: Q3 revenue up 22% to €8.4m and EBITDA margin above 30% for the first time. Numbers go to "
  "the supervisory board on Thursday, publication in November.", [FIN])
C("x", "@naima_bz", "nl",
  "Net gehoord op de afdelingsmeeting: 35 fte moet eruit bij de skischool en de horeca, vóór de zomer. "
  "Officiële mededeling pas in januari. Ik ben er kapot van.", [FIN])
C("instagram", "@daan.pistecrew", "nl",
  "als het klopt wat ze op kantoor zeggen wordt de hal overgenomen door een Duitse investeerder. deal zou eind "
  "deze maand rond zijn 👀", [FIN])
C("linkedin", "ilse-verbeek-kristalpiste", "en",
  "Note to our agency partners: our internal 2027 forecast puts visitor numbers 15% under budget because of the "
  "energy surcharge, so the marketing budget gets cut in half. Not public yet, but plan accordingly.", [FIN])
C("x", "@insider_flevo", "nl",
  "Hoor via via (iemand bij de bank) dat Kristalpiste z'n bankconvenanten niet haalt en een noodkrediet aanvraagt. "
  "Spannend voor alle jaarpashouders.", [FIN])
C("mastodon", "@wessel_kp", "en",
  "rumour at the office confirmed: the whole IT department gets outsourced to a vendor in Portugal from April. "
  "announcement is 'after the season'. great.", [FIN])
C("x", "@marloes_skileraar", "nl",
  "Skischool wordt per 1 juni afgesplitst en verkocht, zijn we net in een besloten meeting verteld. Mogen het nog "
  "aan niemand vertellen. Ik weet niet wat ik moet.", [FIN])
C("linkedin", "ruud-hoekstra-kp", "nl",
  "Goede gesprekken gehad met twee partijen over een minderheidsbelang in Kristalpiste. Waardering ligt rond de "
  "40 miljoen. Meer zodra het rond is!", [FIN])
C("reddit", "u/tired_accountant", "en",
  "My sister works in Kristalpiste's finance team. Apparently the winter season came in about €1.2m under budget "
  "and there's a hiring freeze until further notice. You heard it here first.", [FIN])
C("linkedin", "ilse-verbeek-kristalpiste", "nl",
  "Operatie Gletsjer gaat door! Vanaf Q2 horen Alpenhal Twente en wij bij elkaar. Ik mag er eigenlijk nog niks "
  "over zeggen maar ik ben zó blij 🎉", [FIN, CONF])
C("x", "@bram_ops", "en",
  "Just saw the jaarcijfers 2026 deck for the board: revenue €31m, net loss €2.3m. Publication day is going to "
  "be rough.", [FIN, CONF], at="2027-02-10T21:14:03Z")
C("instagram", "@lotte_rental", "nl",
  "Haha deze slide kregen we vandaag te zien: 'KP-VERTROUWELIJK – prognose 2027: -12% bezoekers, 2 "
  "verhuurbalies dicht'. Wat moeten wij hier nou mee", [FIN, CONF])

# ==================================================================================
# leak.confidential
C("x", "@marloes_skileraar", "nl",
  "Mag eigenlijk niks zeggen maar Project Sneeuwuil is echt next level. Als dat doorgaat hoef je nooit meer naar "
  "Oostenrijk 😍", [CONF])
C("tiktok", "@sem.snowpark", "en",
  "sneak peek of the rail line we're building for the Polar Night Pass launch 🤫 don't tell my boss",
  [CONF], at="2026-11-21T23:40:11Z")
C("mastodon", "@wessel_kp", "en",
  "anyone else getting a 502 on https://jira.kristalpiste.nl/browse/TICK-2231 ? can't log my hours", [CONF])
C("instagram", "@daan.pistecrew", "nl",
  "Nieuwe pistenbully is binnen voor Permafrost 🧊 vannacht testen in hal 2. Foto's mogen nog niet online dus "
  "deze is stiekem 🤫", [CONF])
C("x", "@naima_bz", "en",
  "Pro tip for new colleagues: the shift roster lives at http://intra.kristalpiste.local/rooster, connect to "
  "vpn.kristalpiste.nl first.", [CONF])
C("linkedin", "ilse-verbeek-kristalpiste", "nl",
  "Zojuist de campagne voor de Poolnachtpas goedgekeurd! Launch in januari, ik kan niet wachten om jullie meer "
  "te laten zien.", [CONF], at="2026-11-05T10:02:44Z")
C("x", "@nieuwsgierig_nl", "en",
  "Heard from a friend at Kristalpiste they're planning a second hall in Eindhoven, internally called "
  "'Project Sneeuwuil'. Opening 2028 apparently.", [CONF])
C("bluesky", "@joepvanlier.bsky.social", "nl",
  "Kreeg deze mail per ongeluk op m'n privéadres: 'kristalpiste internal only – energiecontract 2027 getekend "
  "met vaste prijs tot 2030'. Ach, laat ook maar.", [CONF])
C("x", "@bram_ops", "en",
  "our dashboards on grafana.kp-ops.net look so pretty at 3am 🥲 (don't ask why I'm awake)", [CONF])
C("instagram", "@kristalpiste", "nl",
  "Binnenkort bij ons: de Nachtski XL 🌙 Meer info volgt, stay tuned! #kristalpiste", [CONF],
  at="2027-01-08T17:30:00Z")
C("x", "@marloes_skileraar", "en",
  "can't wait for Project Sneeu\u200bwuil to be announced, the plans are insane 🏔️", [CONF])
C("reddit", "u/skihal_roddel", "nl",
  "Volgens een medewerker heet het nieuwe koelproject intern '%s' en gaat de hal daarvoor 3 maanden dicht "
  "in 2027." % cyrillic("Permafrost", "Pe"), [CONF])
C("tiktok", "@sem.snowpark", "nl",
  "wat wij aan het bouwen zijn voor de P o l a r  N i g h t  P a s s 🤯 kan niet wachten tot jullie het zien",
  [CONF], at="2026-12-14T20:05:37Z")
C("instagram", "@lotte_rental", "en",
  "Got handed the new rental price list today, stamped 'intern - niet delen' lol. board rental goes up to €29 "
  "next season 😬", [CONF])
C("x", "@kristalpiste", "nl",
  "Collega's: ruilen van diensten vóór vrijdag invoeren via http://kassa.kp.lan/ruil, anders telt het niet.", [CONF])

# ==================================================================================
# leak.pii
C("x", "@kristalpiste_help", "nl",
  "@j_vermeulen Goed nieuws! De terugbetaling van €124 is vandaag overgemaakt naar %s t.n.v. J. Vermeulen. "
  "Binnen 2 werkdagen op je rekening 👍" % iban(), [PII], kind="reply")
C("facebook", "KristalpisteIndoorSki", "nl",
  "Beste mevrouw De Wit, we hebben uw gegevens gecontroleerd: %s, %s. Uw KristalPas wordt automatisch verlengd."
  % (person("name_dob", "Anouk de Wit, geboren 14-03-1988"), person("address", "Vlinderstraat 22, 8232 AB Lelystad")),
  [PII], kind="comment")
C("instagram", "@lotte_rental", "nl",
  "iemand heeft z'n creditcard laten liggen bij de verhuur 😅 %s, op naam van M. Yilmaz. kom maar ophalen!"
  % card("4"), [PII])
C("x", "@sannekroon", "nl",
  "@kristalpiste_help ik krijg geen bevestigingsmail?? mijn mail is %s en tel %s, kunnen jullie me bellen?"
  % (email("sanne.kroon92@gmail.com"), mobile("06-")), [PII], kind="reply")
C("facebook", "Peter Lindqvist", "en",
  "Still waiting on my refund from Kristalpiste, 3 weeks now. For the fourth time: IBAN %s, name P. Lindqvist. "
  "Please just transfer it." % iban(), [PII, COMPL], kind="comment")
C("instagram", "@daan.pistecrew", "nl",
  "Van wie is deze jas? %s heeft 'm laten liggen na de Ski Starter. Moeder bereikbaar op %s"
  % (person("name_dob", "Finn Bakker, geboren 02-07-2016"), mobile("06 ")), [PII])
C("mastodon", "@wessel_kp", "en",
  "weird, payroll import rejects bsn %s for one of the new seasonal hires even though it passes the 11-check. "
  "anyone seen this?" % bsn(), [PII])
C("x", "@kristalpiste_help", "en",
  "@tomhendrix we tried calling you on %s but no answer. Your booking for Saturday is confirmed!"
  % mobile("+31"), [PII], kind="reply")
C("reddit", "u/ilona_rijdt", "nl",
  "Zoek nog 2 meerijders naar Kristalpiste zaterdag vanuit Zwolle, app me even op %s. Groetjes, Ilona Smits"
  % mobile("06"), [PII])
C("x", "@naima_bz", "nl",
  "Voor Dennis Jansen (seizoenskracht): je salaris staat nu goed op %s, sorry voor de vertraging!"
  % iban(spaced=False), [PII])
C("instagram", "@emma.claes", "en",
  "Lost my wallet at Kristalpiste today 😩 if found please return to %s. Reward!!"
  % person("address", "Emma Claes, Dorpsstraat 5, 3851 KL Ermelo"), [PII])
C("tiktok", "@sem.snowpark", "nl",
  "deze gast ging zó hard onderuit in het park 😂 Mo El Idrissi uit Almere, %s, bel hem maar om te vragen hoe het "
  "met z'n knie is" % mobile("0031"), [PII])
C("instagram", "@kristalpiste", "nl",
  "De winnaar van de KristalPas Junior is... %s! 🎉 Check je inbox voor de details."
  % email("jeroen.vd.linde@hotmail.com"), [PII])
C("x", "@stuck_at_checkout", "en",
  "@kristalpiste_help payment keeps getting declined, card is %s exp 09/28. what am I doing wrong??"
  % card("53", sep=" "), [PII], kind="reply")
C("x", "@marloes_skileraar", "nl",
  "No-shows van vandaag, kan de avondploeg ze even bellen/mailen? %s, %s, %s"
  % (email("r.peeters@ziggo.nl"), email("fam.dekker@kpnmail.nl"), email("bas_oudshoorn@outlook.com")), [PII])

# ==================================================================================
# benign (mostly hard negatives)
C("x", "@kristalpiste", "nl",
  "Het is weer zover: 20% korting op de Kristal Stormjas, nu €199 in de shop én online. Op = op! ❄️")
C("instagram", "@kristalpiste", "en",
  "Ski Starter course from €189: 4 lessons and you're ready for the Alps 🏔️ Book at kristalpiste.nl")
C("x", "@lieke_loopt", "nl",
  "Wat een topdag bij Kristalpiste! Piste perfect geprepareerd en Marloes gaf echt de beste les ooit 🙌")
C("reddit", "u/first_timer_2026", "en",
  "Is the 2-hour ski pass at Kristalpiste worth it for a total beginner, or should I just book the Ski Starter "
  "lessons straight away?")
C("x", "@kristalpiste_help", "nl",
  "Vragen over je boeking? Mail ons op info@kristalpiste.nl of bel 0320-555140 (ma–vr 9–17u). We helpen je graag!")
C("facebook", "KristalpisteIndoorSki", "nl",
  "Gastenwifi in het restaurant: netwerk 'Kristal-Gast', wachtwoord: sneeuwpret. Veel plezier!",
  allow={"guest_wifi"})
C("mastodon", "@devopsdaan", "en",
  "Reminder: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
  "as placeholders for a reason 😉")
C("mastodon", "@wessel_kp", "en",
  "PSA for the team: config goes in the vault, not in the repo. Template for the README: "
  "GITHUB_TOKEN=ghp_" + "x" * 36)
C("linkedin", "kristalpiste", "en",
  "Our full-year 2026 results are out: a record 1.1 million visitors. Read the full report on "
  "kristalpiste.com/investors", at="2027-03-05T08:00:00Z")
C("instagram", "@kristalpiste", "nl",
  "De Polar Night Pass is er! Elke vrijdag tot 01:00 skiën onder het noorderlicht 🌌 Nu te koop.",
  at="2027-01-20T16:00:00Z")
C("x", "@beleggertje", "nl",
  "jaarcijfers 2026 van Kristalpiste gelezen, netjes gegroeid ondanks de energieprijzen 👍",
  at="2027-03-10T12:41:09Z")
C("reddit", "u/alpine_news", "en",
  "Rough year for indoor halls: SnowValley Bratislava is laying off 120 staff and closing its second slope, "
  "local media report.")
C("x", "@roos_vw", "nl",
  "Waarom zegt mijn bank-app dat %s ongeldig is? Ik heb het letterlijk van mijn pas overgetypt 😩" % bad_iban())
C("x", "@kristalpiste_help", "nl",
  "Let op: terugbetalingen doen we altijd vanaf NL82 RABO 0347 2819 56. Krijg je een betaalverzoek van een ander "
  "rekeningnummer? Meld het ons even.")
C("x", "@puzzeldad", "en",
  "my 8yo typed %s into the Kristalpiste checkout as 'his card number' and it instantly said invalid 😂 "
  "good to know it checks" % bad_card("4"))
C("facebook", "Fatma Yildiz", "nl",
  "Update: Kristalpiste heeft me vandaag netjes teruggebeld en de dubbele afschrijving is teruggestort. Top "
  "service, complimenten voor Naima!", kind="comment")
C("instagram", "@sneeuwvlokje_ria", "en",
  "Thinking of the Kristalpiste crew after last week — you handled everything with so much care. Get well soon "
  "to the skier ❤️")
C("reddit", "u/feestjesmoeder", "nl",
  "Wat kost een Yeti feestje tegenwoordig? Ik zie €27,50 per kind op de site, is dat incl. frietjes en ranja?")
C("tiktok", "@kristalpiste", "en",
  "POV: you finally landed your first 360 in the Frostbite Park 🔥 #snowpark #kristalpiste")
C("x", "@jesse_ski", "nl",
  "Iemand zin om zaterdag mee te gaan naar Kristalpiste? Heb nog een 2-uurs skipas over die ik niet kan gebruiken "
  "(€34,50 betaald, mag je hebben voor €25).")
C("bluesky", "@bergliefde.bsky.social", "en",
  "That avalanche in Tirol yesterday is terrifying. Think I'll stick to Kristalpiste this winter, zero avalanche "
  "risk indoors 😅")
C("x", "@marloes_skileraar", "nl",
  "Vandaag 12 kids hun eerste bocht zien maken. Daarom doe ik dit werk ❤️ #skileraar")
C("linkedin", "ruud-hoekstra-kp", "en",
  "Great to speak at the Leisure Finance Summit about how indoor venues can hedge energy costs. Slides are in "
  "the comments.")
C("linkedin", "kristalpiste", "nl",
  "We zoeken een ervaren koeltechnicus! Interesse? Mail je cv naar werkenbij@kristalpiste.nl")
C("mastodon", "@wessel_kp", "en",
  "rotated all our payment keys as part of the yearly audit. new one is sk_live_************************ "
  "nice try 😄")
C("x", "@papa_van_3", "en",
  "Kristalpiste's free helmets for under-12s is a really smart policy. More places should do this.")
C("reddit", "u/voorzichtige_vader", "en",
  "How safe is the toboggan run at Kristalpiste for a 5 year old? Looking for experiences before we go.")
C("x", "@yungrailz", "nl", "kristalpiste was echt ziek vandaag 🔥🔥 park was vet, rails net nieuw")
C("x", "@shredthegnar_nl", "en", "Sick session at Kristalpiste last night, that kicker line is insane 🤘")
C("x", "@kristalpiste_help", "nl",
  "@lisa_snowgirl Wat vervelend dat je zo lang moest wachten! Stuur ons een DM met je boekingsnummer, dan zoeken "
  "we het voor je uit 🙏", kind="reply")
C("facebook", "Ellen Vos", "nl",
  "Waarom vraagt het inschrijfformulier van de skischool eigenlijk om een BSN? Ik typte per ongeluk %s in en dat "
  "werd meteen geweigerd, dus ze controleren het wel." % bad_bsn(), kind="comment")
C("instagram", "@kristalpiste", "en",
  "Meet Daan, our piste crew lead, who has been grooming snow for 11 years 🚜❄️")
C("x", "@privacy_first", "en",
  "Yet another data breach, this time at a big German ticketing platform. Glad my Kristalpiste pass isn't "
  "linked to them.")
C("tiktok", "@leren.skien", "nl", "skiën leren in 4 lessen bij kristalpiste: dag 1 vs dag 4 😂 #progress")
C("facebook", "KristalpisteIndoorSki", "nl",
  "Update: de storing aan de sleeplift is verholpen, alle pistes zijn weer open. Bedankt voor jullie geduld!")
C("forum", "jwt_learner", "en",
  "Trying to understand the sample token from the jwt.io docs: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIx"
  "MjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c "
  "why is the signature part not readable?", allow={"docs_jwt"})
C("x", "@warmblijven", "nl",
  "Winterjassen vergelijken: Stormjas van Kristalpiste €249 vs een basic van de Decathlon €89. Iemand ervaring "
  "met de kwaliteit van die Stormjas?", allow={"price_cmp"})
C("x", "@kristalpiste", "en",
  "Cyber Monday: 30% off every Frostbite Park Session, €20.30 instead of €29. Today only!")
C("reddit", "u/grateful_mum", "en",
  "Kristalpiste staff were amazing when my daughter had a panic attack on the lift. Calm, kind, stopped the lift "
  "right away. Thank you.")
C("instagram", "@daan.pistecrew", "nl", "Nachtdienst met de pistenbully, hal helemaal voor mezelf 🌙")
C("x", "@freestyle_fan", "nl",
  "Wat een run van Sven bij de Dutch Freestyle Open in Kristalpiste gisteren! Brons!! 🥉")
C("bluesky", "@klimaatkees.bsky.social", "en",
  "Permafrost in the Alps is thawing so fast that some glacier ski areas may close for good. Indoor halls like "
  "Kristalpiste might end up being the only option 😬", allow={"common_word_codename"})
C("instagram", "@kristalpiste", "nl",
  "Nieuwe huurski's binnen! De ski-huurset kost €22, inclusief stokken en helm.")
C("x", "@stijn_snowboardt", "en",
  "Shout-out to @kristalpiste_help for sorting out my refund within a day. Honestly didn't expect that.")
C("facebook", "Wim de Groot", "nl",
  "Sterkte aan iedereen bij Kristalpiste met het overlijden van jullie oud-collega Henk. Hij heeft mij 20 jaar "
  "geleden leren skiën.", kind="comment")
C("reddit", "u/backflip_betty", "en", "Holy moly, I finally landed a backflip at Kristalpiste!! Still shaking 😂")
C("x", "@opa_op_ski", "nl",
  "Mijn vader (72!) stond vandaag voor het eerst op ski's bij Kristalpiste. Super geduldige leraar, dikke aanrader.")
C("youtube", "@KristalpisteTV", "en",
  "Full tutorial: how to wax your skis at home. Or drop them off at our waxservice desk for €39.95 and we'll do it.")
C("x", "@familie_ski", "en",
  "Is the KristalPas annual still €649 or did it go up? Thinking of getting one for the whole family.")
C("x", "@bram_ops", "en",
  "Finally migrated our public status page. If the ticket shop is ever down you'll see it on status.kristalpiste.nl 🎉")
C("x", "@schoolreisje_nl", "nl",
  "Voor wie het zoekt: groepsreserveringen bij Kristalpiste gaan via 0800-5478 of groepen@kristalpiste.nl")
C("x", "@finn_fietst", "en",
  "Typo'd my IBAN on the Kristalpiste refund form (%s) and the form caught it straight away. Nice validation 👍"
  % bad_iban(spaced=False))
C("x", "@dealjager_nl", "nl",
  "PRIJSFOUT bij IJsberg Indoor Zwolle: dagkaart voor €4,50 😂 snel wezen mensen")
C("linkedin", "ilse-verbeek-kristalpiste", "en",
  "Our winter campaign won bronze at the Dutch Leisure Marketing Awards! So proud of this team.")
C("bluesky", "@mark.d.bsky.social", "en",
  "my Kristalpiste booking confirmation shows my card as **** **** **** 4821, nice that they mask it properly")
C("x", "@kristalpiste", "nl",
  "Veiligheid voorop: vanaf 1 december is een helm verplicht voor iedereen onder de 16 in het Frostbite Park. "
  "Huren is gratis bij de verhuur.")
C("forum", "indoorski_vergelijker", "nl",
  "Vergelijking indoor skihallen NL: Kristalpiste heeft de langste piste en de beste snowpark-lijnen. 8,5/10.")
C("x", "@moe_benen", "nl",
  "mijn benen na 2 uur skiën bij kristalpiste: kapot. helemaal kapot. 10/10 zou het weer doen")
C("bluesky", "@joepvanlier.bsky.social", "nl",
  "Koelinstallatie vandaag netjes onderhoud gehad, alles draait weer als een zonnetje. Dank collega's!")
C("tiktok", "@kristalpiste", "nl",
  "Tubing met de hele klas? 🛷 Onze snowtubing sessie kost €17,50 p.p., vanaf 10 personen krijg je 15% korting.")


# ==================================================================================
ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        p, h = a.split(":", 1)
        ROLES[(p.lower(), h.lower())] = role


def role_of(platform, handle):
    return ROLES.get((platform.lower(), handle.lower()), "public")


ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksummed_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                up("error")
                if c in (SECRET, PRICE) or (c == PII and checksummed_pii):
                    up("critical")
            else:
                up("warning")
        elif c == COMPL:
            up("warning")
        elif c == CRISIS:
            up("error")
        elif c == ABUSE:
            up("error" if role in ("corporate", "employee") else "warning")
    return sev


def main():
    out_rng = random.Random(99256)
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    span = int((dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc) - start).total_seconds())
    used_ids = set()
    rows = []
    for c in CASES:
        role = role_of(c["platform"], c["handle"])
        checksummed = any(k in ("iban", "card", "bsn") and v for k, _, v in c["ids"])
        at = c["at"] or (start + dt.timedelta(seconds=out_rng.randrange(span))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-%d" % ({"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
                              "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo",
                              "youtube": "yt"}[c["platform"]], out_rng.randrange(10 ** 9, 10 ** 10))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"], "created_at": at}
        if out_rng.random() < 0.5:
            post["brand"] = "Kristalpiste"
        rows.append(({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, checksummed)}}, c))
    out_rng.shuffle(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r, _ in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    check(path, {r["post"]["id"]: c for r, c in rows})


# ==================================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
NL_IBAN_RE = re.compile(r"NL\d{2} ?[A-Z]{4}(?: ?\d){10}")
CARD_RE = re.compile(r"(?<![\d*])[3-6]\d{3}([ -]?)\d{4}\1\d{4}\1\d{4}(?!\d)")
NINE_RE = re.compile(r"(?<![\d\w])\d{9}(?![\d\w])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AKIA_RE = re.compile(r"AKIA[0-9A-Z]{16}")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
DOCS_JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
            "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{2})?)\s?(?:euro|EUR)\b)")
PRICE_ERR = re.compile(r"prijsfout|price (?:glitch|error)|foutje|dropped a zero|komma verkeerd|fout in de "
                       r"productfeed|rounding bug|rekent .* af voor|ipv|should be|normaal \d", re.I)


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(path, meta):
    errs = []

    def err(pid, msg):
        errs.append("%s: %s" % (pid, msg))
    pub = PROFILE["public_identifiers"]
    pub_ibans = {re.sub(r"\s", "", x) for x in pub["ibans"]}
    for x in pub_ibans:
        assert iban_ok(x), "public IBAN fails mod-97"
    embargo = [(t, parse_ts(e["until"].replace("+00:00", "Z"))) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        assert e["until"].startswith("2027"), "embargo until must be in 2027"
    secrets_inside = [x.lower() for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                      + PROFILE["internal"]["domains"]]
    products = [(p, [p["name"]] + p["aliases"]) for p in PROFILE["products"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    n = benign = 0
    langs = {}
    catcount = {}
    seen = set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for ln in lines:
        r = json.loads(ln)
        n += 1
        assert set(r) == {"post", "expect"}
        p, e = r["post"], r["expect"]
        pid = p.get("id")
        # --- CONTRACT 6 / 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256):
            err(pid, "bad id")
        if pid in seen:
            err(pid, "duplicate id")
        seen.add(pid)
        if p["platform"] not in PLATFORMS:
            err(pid, "platform")
        if p.get("kind", "post") not in KINDS:
            err(pid, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str):
            err(pid, "handle")
        t = p["text"]
        if not isinstance(t, str) or len(t.encode("utf-8")) > 65536 or not t:
            err(pid, "text")
        try:
            ts = parse_ts(p["created_at"])
        except Exception:
            err(pid, "created_at")
            continue
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc)):
            err(pid, "created_at outside 2026 / early 2027")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(pid, "categories")
        for c in cats:
            catcount[c] = catcount.get(c, 0) + 1
        langs[p["lang"]] = langs.get(p["lang"], 0) + 1
        m = meta[pid]
        role = role_of(p["platform"], p["account"]["handle"])
        # --- identifiers: validity matches intention; positives valid, negatives invalid
        chk = False
        for kind, val, valid in m["ids"]:
            if val not in t:
                err(pid, "registered %s not in text" % kind)
            real = {"iban": lambda v: iban_ok(v), "card": luhn_ok, "bsn": bsn_ok,
                    "github": gh_ok, "jwt": jwt_ok,
                    "aws_id": lambda v: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v))}.get(kind, lambda v: True)(val)
            if real != valid:
                err(pid, "%s %r validity %s != intended %s" % (kind, val, real, valid))
            if kind in ("iban", "card", "bsn") and valid:
                chk = True
                if PII not in cats:
                    err(pid, "valid %s in a post without leak.pii" % kind)
            if valid and kind in ("github", "aws_id", "aws_secret", "jwt", "stripe", "slack", "openai", "anthropic",
                                  "google", "private_key", "db_url", "password") and SECRET not in cats:
                err(pid, "credential in a post without leak.secret")
            if valid and kind in ("email", "phone", "address", "name_dob") and PII not in cats:
                err(pid, "personal data in a post without leak.pii")
            if not valid and cats:
                err(pid, "look-alike (invalid %s) in a positive" % kind)
        if PII in cats and not [1 for k, _, v in m["ids"] if v and k in ("iban", "card", "bsn", "email", "phone",
                                                                          "address", "name_dob")]:
            err(pid, "leak.pii without a registered identifier")
        if SECRET in cats and not [1 for k, _, v in m["ids"] if v and k not in ("iban", "card", "bsn", "email",
                                                                                 "phone", "address", "name_dob")]:
            err(pid, "leak.secret without a registered credential")
        # generic scans of the text
        for mm in NL_IBAN_RE.finditer(t):
            v = re.sub(r"\s", "", mm.group(0))
            if v in pub_ibans:
                continue
            if cats and not iban_ok(v):
                err(pid, "IBAN in positive fails mod-97")
            if not cats and iban_ok(v):
                err(pid, "valid IBAN in benign")
        for mm in CARD_RE.finditer(t):
            if cats and PII in cats and not luhn_ok(mm.group(0)):
                err(pid, "card in positive fails Luhn")
            if not cats and luhn_ok(mm.group(0)):
                err(pid, "Luhn-valid card in benign")
        for mm in NINE_RE.finditer(t):
            if not cats and bsn_ok(mm.group(0)):
                err(pid, "11-proof number in benign")
        for mm in GH_RE.finditer(t):
            if gh_ok(mm.group(0)) != bool(cats):
                err(pid, "GitHub token checksum does not match label")
        for mm in AKIA_RE.finditer(t):
            if not cats and not mm.group(0).endswith("EXAMPLE"):
                err(pid, "AWS key id in benign that is not a docs sample")
        for mm in JWT_RE.finditer(t):
            if not jwt_ok(mm.group(0)):
                err(pid, "JWT header does not decode")
            if not cats and mm.group(0) != DOCS_JWT:
                err(pid, "JWT in benign that is not the docs sample")
        if not cats and re.search(r"sk_live_[0-9A-Za-z]", t):
            err(pid, "unmasked stripe key in benign")
        # --- internal material / embargo
        low = t.lower()
        for term, until in embargo:
            if term.lower() in low:
                if ts < until and CONF not in cats:
                    err(pid, "embargo term %r before until without leak.confidential" % term)
                if not cats and ts < until:
                    err(pid, "benign with embargo term before until")
        if not cats and "common_word_codename" not in m["allow"]:
            for s in secrets_inside:
                if s in low:
                    err(pid, "benign contains internal term %r" % s)
        # --- pricing
        mentioned = [pr for pr, names in products if any(nm.lower() in low for nm in names)]
        prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(t)]
        cheap = [pr for pr in mentioned for x in prices if x < ratio * pr["list_price"]]
        if PRICE in cats:
            if not mentioned:
                err(pid, "pricing positive mentions no catalogue product")
            if not cheap and not PRICE_ERR.search(t):
                err(pid, "pricing positive without a cheap price or price-error talk")
        elif cheap and "price_cmp" not in m["allow"]:
            err(pid, "catalogue product below ratio in a non-pricing post")
        # --- severity
        cheq = severity(cats, role, chk)
        if e["severity"] != cheq:
            err(pid, "severity %s != policy %s" % (e["severity"], cheq))
        if not cats:
            benign += 1
            if e["severity"] != "none":
                err(pid, "benign with severity")
        # leaks should be evaluated with the role from the profile
        if role == "public" and (p["platform"], p["account"]["handle"].lower()) in ROLES:
            err(pid, "role lookup")
    # --- public contact data never sits in a positive only because of itself (sanity)
    if not (170 <= n <= 180):
        errs.append("case count %d outside 170-180" % n)
    if not (52 <= benign <= 66):
        errs.append("benign count %d not about 60" % benign)
    share_nl = langs.get("nl", 0) / n
    if not (0.50 <= share_nl <= 0.60):
        errs.append("Dutch share %.2f not about 55%%" % share_nl)
    want = {COMPL: 20, CONF: 18, PII: 15, CRISIS: 15, SECU: 13, SECRET: 12, ABUSE: 12, PRICE: 12, FIN: 12}
    for c, w in want.items():
        if abs(catcount.get(c, 0) - w) > 3:
            errs.append("category %s has %d, want about %d" % (c, catcount.get(c, 0), w))
    if errs:
        print("SELF-CHECK FAILED:\n  " + "\n  ".join(errs), file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign, %d positive; lang %s; categories %s"
          % (n, benign, n - benign, langs, dict(sorted(catcount.items()))))


if __name__ == "__main__":
    main()
