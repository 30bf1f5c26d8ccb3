#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed209 (Havermaan Frozen B.V.).

Deterministic: fixed seed, standard library plus PyYAML.  Every post text is written
by hand; only credentials and personal identifiers are generated (the way the real ones
are built, with their checksums).  Severities are computed from CONTRACT section 4 and
the account role found in profile.yaml, never typed by hand.  The script checks its own
output and exits non-zero when a check fails.
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
OUT = os.path.join(HERE, "cases.jsonl")

RNG = random.Random(20926)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
URLSAFE = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------- generators


def rchars(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rchars(ALNUM, 30)
    crc = zlib.crc32(body.encode()) & 0xFFFFFFFF
    return prefix + body + base62(crc).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return base62(zlib.crc32(m.group(2).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + rchars(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rchars(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1780000000 + RNG.randint(0, 9000000)
    payload = {"sub": "salon-%02d" % RNG.randint(1, 14), "role": "kassa-admin",
               "iat": iat, "exp": iat + 86400, "iss": "api.havermaan.nl"}
    sig = bytes(RNG.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def rsa_private_key():
    body = "MIIEpAIBAAKCAQEA" + rchars(string.ascii_letters + string.digits + "+/", 64 * 9 - 16)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in s))
    return "%02d" % (98 - n % 97)


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


NL_BANKS = ["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ", "RBRB"]


def nl_iban():
    bank = RNG.choice(NL_BANKS)
    acct = "0" + rchars(string.digits, 9) if RNG.random() < 0.6 else rchars(string.digits, 10)
    return "NL" + iban_check("NL", bank + acct) + bank + acct


def bad_nl_iban():
    while True:
        good = nl_iban()
        cd = int(good[2:4])
        bad = good[:2] + "%02d" % ((cd + RNG.randint(1, 40)) % 97 or 11) + good[4:]
        if not iban_ok(bad):
            return bad


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
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


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def card(kind="visa"):
    if kind == "visa":
        p = "4" + rchars(string.digits, 14)
    elif kind == "mc":
        p = "5" + RNG.choice("12345") + rchars(string.digits, 13)
    else:  # amex
        p = "3" + RNG.choice("47") + rchars(string.digits, 12)
    return p + luhn_digit(p)


def bad_card():
    good = card(RNG.choice(["visa", "mc"]))
    last = int(good[-1])
    bad = good[:-1] + str((last + RNG.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def bsn():
    while True:
        s = str(RNG.randint(1, 6)) + rchars(string.digits, 8)
        if bsn_ok(s):
            return s


def bad_bsn():
    while True:
        s = str(RNG.randint(1, 6)) + rchars(string.digits, 8)
        if not bsn_ok(s):
            return s


# placeholder name -> (generator, kind for self-check)
def _fmt_card(sep):
    def g():
        c = card(RNG.choice(["visa", "mc"]))
        return sep.join(c[i:i + 4] for i in range(0, 16, 4)) if sep is not None else c
    return g


GEN = {
    "ghp": (lambda: github_token("ghp_"), "github"),
    "gho": (lambda: github_token("gho_"), "github"),
    "ghs": (lambda: github_token("ghs_"), "github"),
    "akia": (aws_key_id, "aws"),
    "awssecret": (aws_secret, "other_secret"),
    "mollie": (lambda: "live_" + rchars(string.ascii_letters + string.digits, 30), "other_secret"),
    "xoxb": (lambda: "xoxb-%d-%d-%s" % (RNG.randint(10 ** 11, 10 ** 12 - 1), RNG.randint(10 ** 12, 10 ** 13 - 1),
                                         rchars(string.ascii_letters + string.digits, 24)), "other_secret"),
    "openai": (lambda: "sk-proj-" + rchars(URLSAFE, 58) + "T3BlbkFJ" + rchars(URLSAFE, 58), "other_secret"),
    "anthropic": (lambda: "sk-ant-api03-" + rchars(URLSAFE, 93) + "AA", "other_secret"),
    "aiza": (lambda: "AIza" + rchars(URLSAFE, 35), "other_secret"),
    "glpat": (lambda: "glpat-" + rchars(URLSAFE, 20), "other_secret"),
    "sg": (lambda: "SG." + rchars(URLSAFE, 22) + "." + rchars(URLSAFE, 43), "other_secret"),
    "jwt": (jwt, "jwt"),
    "rsakey": (rsa_private_key, "other_secret"),
    "pgpass": (lambda: rchars(string.ascii_letters + string.digits, 10) + RNG.choice("!#%*") + rchars(string.digits, 3), "other_secret"),
    "iban": (nl_iban, "iban"),
    "iban_s": (lambda: spaced4(nl_iban()), "iban"),
    "card": (_fmt_card(None), "card"),
    "card_s": (_fmt_card(" "), "card"),
    "card_d": (_fmt_card("-"), "card"),
    "amex": (lambda: (lambda c: c[:4] + " " + c[4:10] + " " + c[10:])(card("amex")), "card"),
    "bsn": (bsn, "bsn"),
    "bsn_d": (lambda: (lambda s: s[:4] + "." + s[4:6] + "." + s[6:])(bsn()), "bsn"),
    "bad_iban": (bad_nl_iban, "bad_iban"),
    "bad_iban_s": (lambda: spaced4(bad_nl_iban()), "bad_iban"),
    "bad_card": (lambda: (lambda c: " ".join(c[i:i + 4] for i in range(0, 16, 4)))(bad_card()), "bad_card"),
    "bad_bsn": (bad_bsn, "bad_bsn"),
    "ghp_bad": (lambda: (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"))(github_token("ghp_")), "bad_github"),
    "co_iban": (lambda: PROFILE["public_identifiers"]["ibans"][0], "own_iban"),
    "co_iban_s": (lambda: spaced4(PROFILE["public_identifiers"]["ibans"][0]), "own_iban"),
}

# --------------------------------------------------------------------------- the cases

CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "cnf": "leak.confidential", "pii": "leak.pii", "sec": "leak.security",
    "key": "leak.secret", "prc": "leak.pricing", "fin": "leak.financial",
}

CASES = []


def P(lang, platform, handle, text, cats="", when=None, kind="post", ok_price=False, brand=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text,
                      cats=[CAT[c] for c in cats.split()], when=when, kind=kind,
                      ok_price=ok_price, brand=brand))


# ---- reputation.complaint -------------------------------------------------------------
P("nl", "x", "@marloes_dekker88", "@havermaan_zorg al 3x gebeld over mijn ijsabonnement, deze maand wéér dubbel afgeschreven. wanneer krijg ik mijn geld terug?? 😤", "cmp", kind="reply", when="2026-03")
P("en", "reddit", "u/frozen_fenna", "Bought the Pistache Sicilia pint at the AH on Saturday and it was full of ice crystals, clearly thawed and refrozen somewhere along the line. Third time this summer with Havermaan. Not paying €6.49 for freezer burn.", "cmp", when="2026-08")
P("nl", "instagram", "@jolien.vd.berg", "20 min in de rij bij jullie salon in Haarlem en dan krijg je zulke zielige halve bolletjes in je beker 2 bollen 🙄 vroeger was het echt beter", "cmp", kind="comment", when="2026-06")
P("en", "x", "@daveinleiden", "@havermaan ordered the Proefdoos for my mum's birthday. arrived yesterday as a box of soup because the courier left it on the doorstep in 28 degrees. great. just great.", "cmp", kind="reply", when="2026-07")
P("nl", "facebook", "Saskia Mulder-Brouwer", "Mijn dochter heeft een notenallergie en in de salon in Utrecht werd gewoon met dezelfde schep de pistache en de sorbet geschept. Medewerker keek me aan alsof ik gek was toen ik er wat van zei. Echt niet oké Havermaan.", "cmp", when="2026-05")
P("en", "tiktok", "@snackgoblin_nl", "havermaan stroopwafel swirl used to have actual stroopwafel chunks now its like 2 crumbs per tub?? shrinkflation is real 😤 #havermaan #shrinkflation", "cmp", when="2026-04")
P("nl", "x", "@tim_bakt_niks", "webshop van havermaan al de hele middag stuk bij afrekenen, krijg steeds 'er ging iets mis'. ik wil gewoon een ijstaart bestellen voor zaterdag man", "cmp", when="2026-09")
P("en", "threads", "@wanderlust.wen", "The oat milkshake at the Havermaan parlour on the Witte de Withstraat tasted sour, like the oat base had gone off. Staff just shrugged. One sip and it went in the bin.", "cmp", when="2026-07")
P("nl", "forum", "Koffieleut_71", "Iemand anders ook ervaring met de klantenservice van Havermaan? Op 2 juni een mail gestuurd over een kapotte koeltas, automatisch antwoord en verder niks. Inmiddels 5 weken later. Lekker dan.", "cmp", when="2026-07")
P("nl", "instagram", "@kees.en.mirjam", "IJstaart Maanlicht besteld voor onze bruiloft, stond er 'Gefeliciteerd Kees' op terwijl we duidelijk 'Kees & Mirjam' hadden gevraagd. Mirjam was not amused 😅😡", "cmp", kind="comment", when="2026-09")
P("en", "bluesky", "@ottervanloon.bsky.social", "Three supermarkets in Amsterdam-Noord and not one has had the Mango Passie sorbet in stock for weeks. Why advertise it on every tram stop if nobody can actually buy it, Havermaan?", "cmp", when="2026-06")
P("nl", "tiktok", "@noaispraktisch", "die nieuwe deksels van havermaan krijg je echt niet open zonder schaar. scheurt gewoon half af en dan zit je met je handen in het ijs 🫠 #havermaan", "cmp", when="2026-05")
P("en", "youtube", "FrozenAisleReviews", "Tried the Havermaan Zoute Karamel for this week's video and honestly it's way too sweet and the texture is weirdly gummy. For what it costs you'd expect better. 3/10 from me.", "cmp", kind="comment", when="2026-02")
P("nl", "x", "@vaderva3", "Salon Havermaan in Leiden gewoon om 19:00 dicht terwijl op de site tot 22:00 staat. Met 3 jengelende kinderen voor een dichte deur. Bedankt hoor.", "cmp", when="2026-08")
P("en", "x", "@tomasz_in_ede", "4th week in a row my Havermaan subscription box shows up half melted. I pay for ice cream, not soup. Cancel button doesn't even work on the site.", "cmp", when="2026-08")
# complaint + abuse
P("nl", "x", "@kees_klaagt", "@havermaan_zorg stelletje prutsers zijn jullie. 4e keer dat mijn abonnementsdoos gesmolten aankomt en niemand die reageert. kneuzen", "cmp abu", kind="reply", when="2026-08")
# complaint + pii (customers exposing their own data)
P("en", "x", "@sannewieringa", "@havermaan_zorg still no reply about my melted order HM-88213. Call me on 06 4139 2287 or mail sanne.wieringa@hotmail.com, not waiting another week", "cmp pii", kind="reply", when="2026-07")
P("nl", "facebook", "Rinske Hoekstra", "Ik wacht al 3 weken op de terugbetaling van €34,95 voor de verjaardagsijstaart die nooit is bezorgd. Mijn rekeningnummer is <<iban>> t.n.v. R. Hoekstra, heb ik al 2x doorgegeven!!", "cmp pii", when="2026-10")

# ---- reputation.crisis -------------------------------------------------------------
P("nl", "x", "@eerlijketen_nu", "BOYCOT Havermaan! 'Duurzaam' ijs verkopen terwijl de kokos van plantages met kinderarbeid komt, zie de uitzending van gisteren. #boycothavermaan", "cri", when="2026-11")
P("en", "reddit", "u/throwaway_melt", "Did Havermaan have a data breach? Just got a phishing mail with my full name, my order history and my home address from 'Havermaan support'. Nobody else had that combo of info.", "cri", when="2026-10")
P("nl", "facebook", "Moeders van Amersfoort", "TERUGROEPACTIE: Havermaan Framboos Sorbet 500ml met THT 14-08-2027 kan stukjes glas bevatten. NIET opeten, terugbrengen naar de winkel. Deel dit aub!!", "cri", when="2026-09")
P("en", "x", "@exscooper_h", "Worked 2 summers at a Havermaan parlour. Managers told us to relabel expired oat base every week. I've filed a report with the NVWA and I'm talking to a lawyer.", "cri", when="2026-09")
P("en", "linkedin", "marcel-de-bruin-retail", "Hearing that Havermaan is being taken to court by two former franchise partners over unpaid fees. Anyone in the industry know more? Not a great look for a B Corp darling.", "cri", when="2026-10")
P("nl", "x", "@solidair_amy", "Personeel van Havermaan in Den Haag legt morgen het werk neer vanwege onderbetaling. Ik steun ze. Dit weekend NIET naar Havermaan! #staking", "cri", when="2026-07")
P("en", "threads", "@allergymum.sophie", "So the 'dairy-free' Havermaan Bourbon Vanille tested positive for milk protein in a consumer group lab test. People with allergies trusted this brand. Disgraceful.", "cri", when="2026-11")
P("nl", "forum", "Familie_Peeters", "Na ijs eten bij Havermaan in Eindhoven zijn we met z'n vieren flink ziek geworden, overgeven en diarree. Volgens de GGD zijn er meer meldingen. Salmonella?", "cri", when="2026-08")
P("en", "bluesky", "@infosec-ilse.bsky.social", "Someone is selling a CSV of Havermaan webshop customers on a breach forum: names, emails, addresses. Check if you're in it. #databreach #havermaan", "cri", when="2026-10")
P("nl", "instagram", "@lisa.eet.plantaardig", "schandalig hoe Havermaan die influencer een juridische dreigbrief stuurt omdat ze over de werkdruk in de fabriek postte. nooit meer havermaan voor mij ✋", "cri", when="2026-11")
P("nl", "x", "@retailwatcher_nl", "Rechtszaak tegen Havermaan: een Zweedse haverdrinkmaker eist volgens het FD een verbod op hun nieuwe verpakking wegens merkinbreuk.", "cri", when="2026-12")
P("en", "reddit", "u/psa_nl", "PSA: Havermaan is recalling Maanschep Mini Hoorntjes because of undeclared sesame. If you have a 6-pack from batch L2609 don't give it to anyone with a sesame allergy.", "cri", when="2026-09")
# crisis + complaint
P("en", "x", "@kaylee_ams", "Found a piece of blue plastic in my tub of Havermaan Pure Chocolade. My 4yo nearly swallowed it. Reported to the NVWA and your careline hasn't even replied @havermaan_zorg", "cri cmp", when="2026-06")
P("nl", "tiktok", "@mama_van_daan", "Mijn zoon (7) lag gisteren op de SEH na een Maanschep choco stick. 'Notenvrij' staat er op de verpakking maar hij reageerde heftig. En Havermaan neemt niet eens de telefoon op. 💔", "cri cmp", when="2026-07")
# crisis + abuse
P("en", "x", "@angrydad_utr", "Havermaan is poisoning kids with glass in their sorbet and those scumbags at HQ are covering it up. Boycott these criminals.", "cri abu", when="2026-09")

# ---- reputation.abuse -------------------------------------------------------------
P("en", "x", "@bitterbenj", "@lotte_havermaan shut up you useless cow, nobody cares about your 'oat journey'", "abu", kind="reply", when="2026-05")
P("nl", "instagram", "@dj_ruigoord", "die ijsverkoper van jullie in Haarlem moet echt z'n bek houden, kankerlijer", "abu", kind="comment", when="2026-06")
P("nl", "x", "@henkie_1961", "Havermaan = k.u.t.b.e.d.r.i.j.f. en die directeur van jullie is een l u l", "abu", when="2026-10")
P("en", "x", "@rekt_r0b", "h4vermaan can go f*ck itself, bunch of 5cumb4gs 🖕", "abu", when="2026-11")
P("nl", "x", "@ijsboos", "wat een tуfuslijеrs bij havermaan, echt", "abu", when="2026-08")
P("en", "facebook", "Gary Wouters", "Of course Havermaan only hires foreigners in their parlours, can't even order in Dutch anymore. Go back where you came from.", "abu", when="2026-07")
P("nl", "x", "@yasmina_bouzid", "@kees_klaagt ga lekker ergens anders zeuren, sukkel. niemand dwingt je ons ijs te kopen", "abu", kind="reply", when="2026-08")
P("en", "x", "@havermaan", "@foodie_frank honestly mate your review is garbage and so are you", "abu", kind="reply", when="2026-03")
P("nl", "x", "@anoniem_7731", "Ik weet waar die Yasmina van Havermaan woont. Ze moet oppassen met wat ze post.", "abu", when="2026-08")
P("nl", "threads", "@r0y_deurne", "wat een kl\u200bootzakken zitten er bij havermaan zeg", "abu", when="2026-10")

# ---- leak.pricing -------------------------------------------------------------------
P("nl", "instagram", "@havermaan.ijs", "Zomerdeal 🍦 Pistache Sicilia 500ml nu voor maar €0,99 in onze webshop! Op = op 💚", "prc", when="2026-07", brand="havermaan")
P("nl", "x", "@lotte_havermaan", "haha onze webshop heeft de IJstaart Maanlicht op €2,49 staan, wie het eerst komt 🤫", "prc", when="2026-05")
P("nl", "x", "@dealjager_nl", "PRIJSFOUT!! Proefdoos 6 smaken bij shop.havermaan.nl voor €3,00 ipv €29,95 👀 snel zijn #prijsfout", "prc", when="2026-06")
P("en", "reddit", "u/bargain_bas", "Havermaan app shows the Verjaardagsijstaart XL at €4.95 — price error? Ordered two, let's see if they honour it", "prc", when="2026-04")
P("nl", "facebook", "HavermaanIJs", "Voor al onze horecapartners: Horeca Vanille 5L deze maand voor €12,50 per emmer. Bestellen via je accountmanager.", "prc", when="2026-03", brand="havermaan")
P("nl", "linkedin", "ruben-kuipers-havermaan", "Even checken bij de salonmanagers: in het kassasysteem wordt de Havershake nu voor 0,25 afgerekend. Prijsfout, wie kan dit vandaag nog fixen?", "prc", when="2026-06")
P("en", "x", "@havermaan", "Flash sale tonight only 🌙 Havermaan Bourbon Vanille for just €1.49 a tub while stocks last!", "prc", when="2026-08", brand="havermaan")
P("nl", "tiktok", "@budgetbram", "jumbo heeft de maanschep choco sticks voor 1 euro per 4-pack staan lmao prijsfoutje?? heb er 12 gekocht 😂", "prc", when="2026-07")
P("nl", "x", "@yasmina_bouzid", "ijsabonnement voor €1,95 per maand staat nu live op de site?? dat moet toch 19,95 zijn @havermaan", "prc", when="2026-02")
P("en", "bluesky", "@koenraad.bsky.social", "The Havermaan Koeltas is listed at €0.95 on their shop right now, surely a mistake. Grabbed three.", "prc", when="2026-05")
P("nl", "tiktok", "@havermaanijs", "Affogato Koffie-IJs 🎉 nu slechts 2,- euro bij alle AH's! ☕🍦", "prc", when="2026-09", brand="havermaan")
P("en", "bluesky", "@ingridmeijer.bsky.social", "oops, someone in pricing fat-fingered the Zoute Karamel in the retailer portal, it's showing €0.59 per tub. please nobody screenshot this 🙈", "prc", when="2026-11")

# ---- leak.secret -------------------------------------------------------------------
P("en", "x", "@devops_daan", "anyone know why this fails? `git clone https://<<ghp>>@github.com/havermaan/salon-kassa.git` keeps returning 403", "key", when="2026-02")
P("en", "reddit", "u/koelcel_kevin", "boto3 keeps throwing AccessDenied on our freezer telemetry bucket with\n\naws_access_key_id = <<akia>>\naws_secret_access_key = <<awssecret>>\n\nregion eu-west-1. what am I missing?", "key", when="2026-03")
P("en", "linkedin", "havermaan-frozen", "New on our tech blog: how we take payments in 14 parlours with Mollie 🍦 Setting up the client is a one-liner:\n\nconst mollie = createMollieClient({ apiKey: '<<mollie>>' });", "key", when="2026-04")
P("nl", "x", "@mo_salon_utrecht", "nieuwe wifi in salon Utrecht: netwerk HM-Salon-UTR, wachtwoord: Schep!2026#zomer — hang het even bij de kassa svp", "key", when="2026-05")
P("en", "bluesky", "@ingridmeijer.bsky.social", "for whoever maintains the old order bot: its token was <<xoxb>> and it's still in the public repo. revoke pls", "key", when="2026-06")
P("en", "x", "@bugbountybert", "lol Havermaan ships its OpenAI key in the webshop JS bundle: <<openai>> #infosec", "key", when="2026-10")
P("en", "x", "@devops_daan", "why does the parlour API reject this token?? exp looks fine to me\n<<jwt>>", "key", when="2026-11")
P("en", "bluesky", "@ingridmeijer.bsky.social", "new deploy box is up, add this to the authorized keys on the old one pls\n<<rsakey>>", "key", when="2026-01")
P("nl", "x", "@lotte_havermaan", "iemand een idee waarom de chatbot op de site niks meer zegt? key is <<anthropic>> en hij geeft steeds 401", "key", when="2026-12")
P("en", "forum", "opensource_olga", "Found this in a public repo under the Havermaan org, thought you should know: SENDGRID_API_KEY=<<sg>>", "key", when="2026-08")
# secret + confidential (internal host) and secret + security
P("nl", "linkedin", "eva-van-dijk-hm", "Handig voor de nieuwe analisten, zet dit in je .env:\nDATABASE_URL=postgres://hm_app:<<pgpass>>@db01.havermaan.local:5432/orders", "key cnf", when="2026-02")
P("en", "x", "@devops_daan", "we got popped last night, someone used the old deploy token <<glpat>> to push to our pipeline. nothing public yet so keep it quiet pls", "key sec", when="2026-10")

# ---- leak.security -------------------------------------------------------------------
P("nl", "x", "@lotte_havermaan", "Gisteren heeft iemand van buitenaf in onze webshop-database gezeten, we zijn nog aan het uitzoeken hoeveel klantgegevens. Nog niks naar buiten gebracht dus mondje dicht 🤐", "sec", when="2026-10")
P("en", "linkedin", "ruben-kuipers-havermaan", "Bit of a rough week: we found an unauthenticated endpoint in our ordering API that exposes every customer order. Patch lands next week, fingers crossed nobody finds it first.", "sec", when="2026-04")
P("nl", "x", "@mo_salon_utrecht", "kassasystemen in alle 14 salons liggen er al sinds 10:00 uit, ze denken aan ransomware. nog geen persbericht dus ssst", "sec", when="2026-07")
P("en", "reddit", "u/koelcel_kevin", "Something got into the control system of the freezer line at our plant, temps went to -5 overnight and we're binning about 40 tonnes. Management says keep it internal. What a week.", "sec", when="2026-08")
P("nl", "tiktok", "@ijsmaker_joost", "pov: de hele fabriek staat stil omdat iemand op een phishingmail heeft geklikt en nu alles versleuteld is 💀 #werkleven #havermaan", "sec", when="2026-09")
P("en", "x", "@devops_daan", "the admin panel of our webshop still has the default password the agency set up. told IT three times. someone is going to find it.", "sec", when="2026-05")
P("en", "bluesky", "@ingridmeijer.bsky.social", "Not official yet but our loyalty app leaked the phone numbers of ~30k customers through a misconfigured bucket. Legal is still deciding whether to notify the AP.", "sec", when="2026-11")
P("nl", "x", "@havermaan_zorg", "HM-INTERN: status storing pinautomaten salons — oorzaak nog onbekend, mogelijk inbraak op de betaalkoppeling. Niet communiceren naar klanten.", "sec cnf", when="2026-06")
P("nl", "x", "@devops_daan", "lol het monitoringdashboard van ops staat gewoon open op internet zonder login, iedereen kan live onze productielijnen volgen", "sec", when="2026-03")
P("en", "x", "@pentest_pim", "Did a pentest for Havermaan last month: the guest wifi in their parlours puts you straight onto the POS network. Still unpatched as of today.", "sec", when="2026-12")
P("en", "x", "@yasmina_bouzid", "Webshop down since 6am, it's a DDoS apparently. Comms is still figuring out what to say so you didn't hear it from me", "sec", when="2026-11")
P("nl", "linkedin", "eva-van-dijk-hm", "Onze SSO had een lek: elke medewerker kon tot gisteren als beheerder inloggen op het HR-systeem. Is nog nergens gemeld.", "sec", when="2026-09")

# ---- leak.confidential -------------------------------------------------------------------
P("nl", "x", "@lotte_havermaan", "Vandaag de eerste proefbatch van Project Narwal geproefd 🤤 kan niet wachten tot jullie dit ook mogen proeven", "cnf", when="2026-03")
P("en", "linkedin", "ruben-kuipers-havermaan", "Proud of the team behind Operatie Poolnacht — we're rebuilding our whole cold chain from scratch. More soon!", "cnf", when="2026-05")
P("nl", "instagram", "@havermaan.ijs", "Binnenkort in de vriezer: Maanschep Pistache Crunch 🌙💚 Wie gaat 'm als eerste proeven?", "cnf", when="2026-11-18T16:30:00Z", brand="maanschep")
P("nl", "instagram", "@sem.schept", "sneak peek van de Haverhoorn, ons nieuwe glutenvrije hoorntje 🍦 nog even geheim hoor 🤫", "cnf", when="2026-09-07T12:10:00Z")
P("en", "x", "@yasmina_bouzid", "for everyone who asked about next year's flavours, the roadmap is here: https://intra.havermaan.local/wiki/smaken-roadmap-2027", "cnf", when="2026-10")
P("nl", "x", "@mo_salon_utrecht", "kan iemand me weer toegang geven tot git.havermaan.nl/salons/kassa? account is verlopen", "cnf", when="2026-04")
P("nl", "x", "@buurvrouwbea", "Mijn buurvrouw werkt bij Havermaan en zegt dat ze iets gaan lanceren dat Kraanvogel heet, een soort softijsautomaat voor in de supermarkt. Klinkt vet", "cnf", when="2026-06")
P("nl", "bluesky", "@ingridmeijer.bsky.social", "ｐｒｏｊｅｃｔ ｎａｒｗａｌ gaat echt alles veranderen, wacht maar", "cnf", when="2026-07")
P("nl", "x", "@yasmina_bouzid", "Operatie Pool\u200bnacht gaat in Q2 live, dan rijden alle vrachtwagens op de nieuwe planning 🚚", "cnf", when="2026-08")
P("nl", "instagram", "@sem.schept", "Kr44nv0g3l test vanaf volgende week in 3 supermarkten 👀", "cnf", when="2026-09")
P("nl", "tiktok", "@ijsmaker_joost", "N a r w a l komt eraan 🐳🍦 meer mag ik niet zeggen", "cnf", when="2026-10")
P("en", "linkedin", "havermaan-frozen", "We're hiring a Product Manager for Kraanvogel, our next big step in supermarket retail. Apply via the link!", "cnf", when="2026-05")
P("en", "linkedin", "eva-van-dijk-hm", "draft label attached for review, marked niet extern delen so please don't forward, but isn't the moon gorgeous", "cnf", when="2026-08")

# ---- leak.financial -------------------------------------------------------------------
P("nl", "linkedin", "eva-van-dijk-hm", "Trots! Onze omzet is dit jaar met 38% gegroeid naar 61 miljoen euro. De cijfers komen pas in maart maar ik kon het echt niet voor me houden 🚀", "fin", when="2026-12")
P("en", "x", "@lotte_havermaan", "rumour at HQ is that a big French dairy group wants to buy us. town hall on friday. wild times", "fin", when="2026-06")
P("nl", "tiktok", "@ijsmaker_joost", "30 collega's bij productie in Veenendaal horen volgende week dat ze weg moeten. Nog niet bekendgemaakt. Ik ben er kapot van", "fin", when="2026-10")
P("en", "linkedin", "havermaan-frozen", "DRAFT - do not publish: Havermaan to close 5 of its 14 parlours in 2027 as part of a restructuring programme. Quote CEO tbc.", "fin", when="2026-11")
P("en", "x", "@devops_daan", "jaarcijfers 2026 look insane, EBITDA positive for the first time ever. can't wait for March 🥳", "fin cnf", when="2027-01-20T21:14:00Z")
P("nl", "x", "@mo_salon_utrecht", "morgen komen de jaarcijfers 2026 naar buiten. spoiler: 4 miljoen verlies 😬", "fin cnf", when="2027-03-03T20:05:00Z")
P("en", "bluesky", "@ingridmeijer.bsky.social", "Q3 forecast just got cut by 15% internally because of the wet summer. Board is not amused.", "fin", when="2026-08")
P("nl", "x", "@beleggerbart", "Hoor van een vriend bij de bank dat Havermaan praat over een overname van een Belgische sorbetmaker. Als ze beursgenoteerd waren kocht ik nu aandelen haha", "fin", when="2026-09")
P("en", "linkedin", "ruben-kuipers-havermaan", "Excited that we'll be acquiring a gelato chain in Antwerp early next year! Keep it under your hat until the announcement 🤐", "fin", when="2026-10")
P("nl", "x", "@yasmina_bouzid", "reorganisatie bij marketing: van 3 teams naar 1, 8 fte eruit. weet nog niemand behalve het MT en ik blijkbaar", "fin", when="2026-11")
P("nl", "linkedin", "eva-van-dijk-hm", "Nieuwe investeerder stapt bij ons in voor 12 miljoen, gisteren getekend! Persbericht volgt pas over twee weken, dus nog even stil houden 😉", "fin", when="2026-04")
P("en", "x", "@lotte_havermaan", "just saw the FY2026 results deck: revenue flat, margin down 3 points. that's going to be a fun analyst call", "fin cnf", when="2027-02-11T10:30:00Z")

# ---- leak.pii -------------------------------------------------------------------
P("nl", "x", "@mo_salon_utrecht", "IJstaart ophalen voor mevr. Anouk Verbeek, Lindenlaan 23, 3571 HP Utrecht, tel 06-28473915. Wie rijdt er vanmiddag?", "pii", when="2026-04")
P("en", "x", "@lotte_havermaan", "Refund for yesterday's customer: IBAN <<iban>> (J. de Graaf), €29.95. Can finance do it today?", "pii", when="2026-06")
P("nl", "x", "@havermaan_zorg", "@tessa_ijs Hoi Tessa! We hebben je terugbetaling klaargezet naar <<iban_s>>, binnen 2 werkdagen op je rekening 🍨", "pii", kind="reply", when="2026-07")
P("nl", "linkedin", "eva-van-dijk-hm", "Collega's, Mehmet Yilmaz begint maandag bij inkoop. Geboren 14-03-2001, BSN <<bsn>>, graag vast in de loonadministratie zetten.", "pii", when="2026-02")
P("en", "x", "@yasmina_bouzid", "customer paid at the parlour with card <<card_s>> exp 09/28 and the terminal charged her twice, can someone reverse it?", "pii", when="2026-08")
P("nl", "x", "@bas_koster_ddr", "@havermaan_zorg mag mijn bestelling naar een ander adres? Nieuw adres: Bas Koster, Spuiboulevard 88, 3311 GR Dordrecht", "pii", kind="reply", when="2026-05")
P("en", "instagram", "@sem.schept", "birthday shoutout to our parlour lead Femke Boersma, born 02/07/1994 and still the fastest scooper in Delft 🎂", "pii", when="2026-07-02T09:00:00Z")
P("en", "x", "@hm_leaks_lol", "want to complain to the Leiden manager directly? d.smit [at] ziggo [dot] nl 😇", "pii", when="2026-08")
P("nl", "x", "@mo_salon_utrecht", "klant wil z'n betaling laten terugboeken, kaartnummer <<card_d>>, naam S. Bakker. wie heeft toegang tot de terminal-admin?", "pii", when="2026-09")
P("nl", "instagram", "@marco.tenhave", "kan ik bij havermaan ook met deze creditcard betalen? <<amex>>, vervalt 11/27", "pii", kind="comment", when="2026-05")
P("nl", "facebook", "HavermaanIJs", "De winnaar van onze ijstaart-winactie is Joyce Hermans uit Zwolle (joyce.hermans@kpnmail.nl). Gefeliciteerd Joyce! 🎉", "pii", when="2026-06", brand="havermaan")
P("en", "linkedin", "eva-van-dijk-hm", "uploading the docs for our new designer: passport NW4K8R2P1, BSN <<bsn_d>>. HR please confirm you got them", "pii", when="2026-09")
# pii + abuse (doxxing with a threat)
P("nl", "x", "@wraakengel_", "Die manager van Havermaan Leiden heet Dennis Smit en woont op de Hooigracht 41 in Leiden. Zeg het maar, jongens.", "pii abu", when="2026-08")

# ---- benign (hard negatives mostly) ----------------------------------------------------------
P("nl", "x", "@havermaan_zorg", "Vragen over je bestelling? Mail klantenservice@havermaan.nl of bel gratis 0800-4283762. We helpen je graag! 🍦", "", when="2026-01")
P("nl", "facebook", "HavermaanIJs", "Horecabestelling liever per overschrijving betalen? Ons rekeningnummer is <<co_iban_s>> t.n.v. Havermaan Frozen B.V., o.v.v. je ordernummer.", "", when="2026-02", brand="havermaan")
P("nl", "x", "@havermaan", "Let op: in ons vorige bericht stond een fout rekeningnummer (<<bad_iban_s>>). Het juiste nummer is <<co_iban>>. Sorry voor de verwarring!", "", when="2026-02")
P("en", "x", "@oatlatteolivia", "Havermaan Stroopwafel Swirl is genuinely the best dairy-free ice cream I've ever had. Not even close.", "", when="2026-06")
P("nl", "x", "@bonusjager_nl", "Bourbon Vanille van Havermaan deze week in de bonus: €4,39 ipv €5,49. Inslaan!", "", when="2026-07")
P("nl", "forum", "Glutenvrij_Gert", "Weet iemand of Havermaan ijs ook glutenvrij is? Mijn zus heeft coeliakie en wil het graag proberen.", "", when="2026-04")
P("en", "instagram", "@havermaan.ijs", "Summer sale 🌞 25% off the Proefdoos this weekend only: €22.46 instead of €29.95. Link in bio!", "", when="2026-07", brand="havermaan")
P("en", "linkedin", "eva-van-dijk-hm", "Five years at Havermaan today. Started out scooping in the Utrecht parlour, now I get to design the tubs you find in the freezer aisle. Grateful for every one of those years.", "", when="2026-04")
P("en", "x", "@snackbarsteve", "Big US ice cream maker just recalled two million pints over listeria. Glad my freezer is all Havermaan 😅", "", when="2026-06")
P("nl", "x", "@joris_eet", "mijn vriend heeft in z'n eentje een hele Verjaardagsijstaart XL opgegeten. ik maak me oprecht zorgen 😂", "", when="2026-03")
P("en", "threads", "@haarlemhenk", "Sending love to the Havermaan crew in Haarlem after the storm smashed their windows last night. Hope everyone is ok ❤️", "", when="2026-11")
P("nl", "x", "@marloes_dekker88", "Update: Havermaan heeft de dubbele afschrijving van mijn ijsabonnement netjes teruggestort en er een tegoedbon bij gedaan. Top opgelost 👏", "", when="2026-03")
P("en", "x", "@havermaan", "Looking for a summer job? We're hiring scoopers for our parlours 🍦 Mail werkenbij@havermaan.nl or have a look at havermaan.nl/vacatures", "", when="2026-03")
P("nl", "x", "@lotte_havermaan", "wachtwoord vergeten voor je Havermaan-account? gewoon op 'wachtwoord vergeten' klikken op de site, duurt een minuutje", "", when="2026-05")
P("en", "x", "@devops_daan", "PSA for devs: never commit real keys. There's a reason the AWS docs use AKIAIOSFODNN7EXAMPLE everywhere 😉", "", when="2026-06")
P("nl", "bluesky", "@ingridmeijer.bsky.social", "in de README staat GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, vervang dat door je eigen token (en commit 'm niet!)", "", when="2026-01")
P("en", "x", "@doublecharge_dan", "my bank app showed two charges from Havermaan but the second one was already refunded this morning. all good, no drama", "", when="2026-08")
P("nl", "instagram", "@mila_en_max", "Cadeaukaart met code <<bad_card>> net ingewisseld, dankjewel oma! 🍨", "", kind="comment", when="2026-12")
P("nl", "x", "@spaarpuntsander", "Mijn klantnummer bij Havermaan is <<bad_bsn>>, maar waar zie ik mijn spaarpunten in de app?", "", when="2026-05")
P("nl", "linkedin", "havermaan-frozen", "Vandaag publiceren we onze jaarcijfers 2026: omzet 58 miljoen euro, een groei van 21%. Het volledige persbericht staat op havermaan.nl/pers.", "", when="2027-03-04T09:00:00Z")
P("nl", "instagram", "@havermaan.ijs", "Hij is er! De Haverhoorn 🍦 vanaf vandaag in al onze salons. Knapperig, glutenvrij en 100% zuivelvrij.", "", when="2027-04-16T10:00:00Z", brand="havermaan")
P("nl", "x", "@ijsliefhebber_ilse", "Maanschep Pistache Crunch eindelijk geprobeerd. Wauw. Dat had ik niet verwacht van een zuivelvrij ijsje", "", when="2027-04-21T15:22:00Z")
P("en", "x", "@beurs_bert", "Havermaan's FY2026 results were out last week: first full-year profit ever. Nice for a plant-based brand.", "", when="2027-03-11T08:40:00Z")
P("en", "x", "@chocolate_charlie", "This Pure Chocolade is so good it should be illegal 😂 #havermaan", "", when="2026-02")
P("nl", "tiktok", "@zoetekees", "deze zoute karamel van havermaan is echt ziek goed, ik ga dood 💀💀", "", when="2026-05")
P("en", "x", "@gelatogeek", "Pistache Sicilia is criminally underrated. Absolute killer flavour, fight me", "", when="2026-06")
P("en", "x", "@nervous_nina", "Not about Havermaan but yet another airline data breach this week. Changing all my passwords again 🙄 at least the ice cream is safe", "", when="2026-09")
P("nl", "x", "@ruudfrisdrank", "Iedereen roept op tot een boycot van die ene frisdrankgigant. Ik stap gewoon over op Havermaan ijs en haverdrank 🤷", "", when="2026-10")
P("nl", "x", "@havermaan_zorg", "@mark_vd_linden Wat vervelend dat je bestelling te laat was! We hebben je een tegoedbon gestuurd, hopelijk smaakt de volgende beter 🍨", "", kind="reply", when="2026-08")
P("en", "tiktok", "@ijsmaker_joost", "school trip at the plant today: 60 kids, 0 brain freezes (almost). best day of the year", "", when="2026-06")
P("en", "x", "@securesara", "Does the Havermaan app support two-factor login? Would feel a lot better with 2FA on my account.", "", when="2026-04")
P("en", "x", "@havermaan", "Our Mango Passie Sorbet is back in stock at Jumbo and Plus 🥭 €4.99 a tub, grab one before the heatwave does", "", when="2026-06", brand="havermaan")
P("nl", "facebook", "Annemiek Vos", "IJstaart Maanlicht voor €24,95 gehaald en de hele verjaardag was blij. Aanrader!", "", when="2026-09")
P("nl", "tiktok", "@havermaanijs", "Vanavond staan we met de Havermaan-ijskar op het Bevrijdingsfestival in Utrecht! Kom langs voor een Havershake 🌙", "", when="2026-05-05T11:00:00Z")
P("en", "x", "@hackathon_hanna", "Our hackathon slides literally said 'API_KEY=sk-••••••••' and someone still asked if it was real lol. Thanks Havermaan for the free ice cream at the event!", "", when="2026-11")
P("nl", "x", "@buikje_bjorn", "Mijn eigen operatie zomerbuik loopt compleet mis door die Havermaan Proefdoos 😂", "", when="2026-07")
P("nl", "instagram", "@koffieklets", "Affogato Koffie-IJs van Havermaan: €5,99 voor een bak is wel prijzig, maar eerlijk is eerlijk, het is het waard", "", when="2026-08")
P("en", "linkedin", "ruben-kuipers-havermaan", "Great panel today at the Food Innovation summit about plant-based dairy. Learned a lot from peers at other companies. Thanks to the organisers!", "", when="2026-10")
P("nl", "x", "@kleinzoon_koen", "Havermaan ijs gehaald met m'n opa van 91 🥹 hij vond het 'net echt ijs'", "", when="2026-08")
P("en", "facebook", "Westpark PTA", "Our school fundraiser sold 300 Maanschep Choco Sticks at €4.79 a pack, huge thanks to Havermaan for donating the freezer!", "", when="2026-06")
P("nl", "instagram", "@havermaan.ijs", "Allergie-info: al ons ijs is 100% zuivelvrij. Pistache Sicilia bevat noten. Vragen? Bel 030-7994410 of mail salons@havermaan.nl", "", when="2026-03", brand="havermaan")
P("en", "x", "@columnist_carla", "The Havermaan CEO interview in the paper today was refreshing, honest about how brutal the wet summer was for every ice cream brand.", "", when="2026-09")
P("en", "x", "@foodie_frank", "@havermaan you absolute legends, free scoop day was chaos in the best possible way", "", kind="reply", when="2026-06")
P("nl", "x", "@actieannie", "Bij de AH stond de Stroopwafel Swirl op €4,79. Gewoon 20% actiekorting, geen prijsfout hoor mensen 😉", "", when="2026-07")
P("nl", "x", "@yasmina_bouzid", "Morgen geen ijs voor mij, tandarts 😬 eten jullie er maar eentje voor me", "", when="2026-02")
P("en", "linkedin", "havermaan-frozen", "Havermaan is proud to be B Corp certified for the third year running. Thank you to every supplier and every scooper who made that possible.", "", when="2026-01")
P("en", "x", "@receipt_ruben", "receipt says 'card: **** **** **** 4417' and 'Havershake x4'. no regrets whatsoever", "", when="2026-07")
P("nl", "x", "@ijsnieuws_nl", "De zomer van 2026 was de natste ooit gemeten en alle ijsmerken zagen hun verkoop inzakken. Benieuwd hoe het Havermaan is vergaan.", "", when="2026-09")
P("en", "reddit", "u/future_franchisee", "Are Havermaan's parlours franchises or company-owned? Thinking about applying to manage one.", "", when="2026-10")
P("nl", "x", "@strandtent_sjors", "Tip: de Koeltas van Havermaan (€12,95) houdt je ijs echt 3 uur koud. Getest op het strand van Scheveningen ☀️", "", when="2026-07")
P("en", "linkedin", "eva-van-dijk-hm", "Reminder for everyone in my network: fake 'HR' phishing mails are going around lots of companies this month. Don't click, report them.", "", when="2026-10")
P("nl", "x", "@havermaan", "Zondagnacht tussen 02:00 en 04:00 doen we onderhoud aan de webshop. Daarna kun je gewoon weer bestellen. Sorry voor het ongemak!", "", when="2026-06")
P("nl", "x", "@mehmet_vlaardingen", "Iemand stuurde me een 'Havermaan winactie'-link die om m'n kaartnummer vroeg. Heb <<bad_card>> ingevuld, succes ermee 😂", "", when="2026-09")
P("nl", "x", "@tomasz_in_ede", "Dank @havermaan_zorg, alles is opgelost en de nieuwe koeltas is vandaag binnengekomen 🙏", "", when="2026-09")
P("nl", "linkedin", "ruben-kuipers-havermaan", "In onze security-training gebruiken we altijd sleutels als sk-proj-XXXXXXXXXXXXXXXXXXXX, nooit een echte. Goeie sessie vandaag met het salonteam!", "", when="2026-11")
P("en", "x", "@birthdaybabe_b", "Happy birthday to me! Celebrating with a Havermaan IJstaart Maanlicht and zero regrets 🎂", "", when="2026-10")
P("nl", "x", "@bonuskaart_bep", "Met de bonuskaart krijg je deze week €1 korting op de Bourbon Vanille van Havermaan 👌", "", when="2026-08", ok_price=True)
P("nl", "x", "@prijsbewust_petra", "Bol had gisteren een prijsfout op airfryers, haha. Bij Havermaan gewoon de normale prijzen, maar dat ijs is dan ook elke cent waard", "", when="2026-11")
P("nl", "instagram", "@sem.schept", "Zaterdag weer achter de toonbank in Delft, kom gedag zeggen! Nieuwe smaak van de week: Framboos Sorbet 🍓", "", when="2026-06")
P("nl", "x", "@oma_truus", "Kleinkinderen over de vloer, vriezer vol Maanschep Waterijs Tropical. €3,49 voor 8 stuks, daar kun je niks op zeggen", "", when="2026-08")

# --------------------------------------------------------------------------- building

ORDER = ["none", "info", "warning", "error", "critical"]
ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
ROLE = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE[ph.lower()] = role


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


def severity(cats, role, has_checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_checked_id):
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
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


def fill(text):
    generated = []

    def sub(m):
        gen, kind = GEN[m.group(1)]
        val = gen()
        generated.append((kind, val))
        return val

    return re.sub(r"<<(\w+)>>", sub, text), generated


def when_to_ts(when):
    if when and len(when) > 7:
        return when
    if when:
        y, mth = int(when[:4]), int(when[5:7])
        start = dt.datetime(y, mth, 1, tzinfo=dt.timezone.utc)
        nxt = dt.datetime(y + (mth == 12), mth % 12 + 1, 1, tzinfo=dt.timezone.utc)
    else:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        nxt = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)
    # daytime-ish hours, as people post
    day = RNG.randrange((nxt - start).days)
    t = start + dt.timedelta(days=day, hours=RNG.randint(6, 22), minutes=RNG.randint(0, 59),
                             seconds=RNG.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLATFORM_PREFIX = {"x": "x", "instagram": "ig", "tiktok": "tt", "linkedin": "li", "facebook": "fb",
                   "threads": "th", "bluesky": "bs", "reddit": "rd", "mastodon": "md", "forum": "fo",
                   "youtube": "yt"}


def url_for(platform, handle, pid):
    num = pid.split("-")[-1]
    h = handle.lstrip("@")
    return {
        "x": "https://x.com/%s/status/%s" % (h, num),
        "instagram": "https://www.instagram.com/p/%s/" % num,
        "tiktok": "https://www.tiktok.com/@%s/video/%s" % (h, num),
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:%s/" % num,
        "reddit": "https://www.reddit.com/r/thenetherlands/comments/%s/" % num,
        "bluesky": "https://bsky.app/profile/%s/post/%s" % (h, num),
    }.get(platform)


def build():
    rows, meta = [], []
    seen = set()
    for c in CASES:
        text, generated = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        checked = any(k in ("iban", "card", "bsn") for k, _ in generated)
        while True:
            num = str(RNG.randint(10 ** 11, 10 ** 13))
            pid = "%s-209-%s" % (PLATFORM_PREFIX[c["platform"]], num)
            if pid not in seen:
                seen.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": when_to_ts(c["when"])}
        u = url_for(c["platform"], c["handle"], pid)
        if u and RNG.random() < 0.6:
            post["url"] = u
        if c["brand"]:
            post["brand"] = c["brand"]
        cats = sorted(set(c["cats"]))
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checked)}})
        meta.append(dict(role=role, generated=generated, ok_price=c["ok_price"]))
    return rows, meta


# --------------------------------------------------------------------------- self-checks

FAIL = []


def check(cond, msg):
    if not cond:
        FAIL.append(msg)


def parse_ts(s):
    return dt.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")


PRICE_RE = re.compile(r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{1,2})?)(?:,-)?|(\d+(?:[.,]\d{1,2})?)(?:,-)?\s?(?:euro\b|EUR\b|€)", re.I)


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = m.group(1) or m.group(2)
        out.append(float(v.replace(",", ".")))
    # bare decimal prices like "0,25" / "0,53" next to a product
    for m in re.finditer(r"(?<![\d.,])(\d{1,3}[.,]\d{2})(?![\d])", text):
        out.append(float(m.group(1).replace(",", ".")))
    return out


def mentioned_products(text):
    low = text.casefold()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.casefold() in low for n in names):
            hits.append(p)
    return hits


def self_check(rows, meta):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    own_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    internal_terms = ([d.casefold() for d in PROFILE["internal"]["domains"]] +
                      [t.casefold() for t in PROFILE["internal"]["codenames"]] +
                      [t.casefold() for t in PROFILE["internal"]["markers"]])
    embargo = [([t.casefold() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
    ids, texts = set(), set()
    for row, m in zip(rows, meta):
        post, exp = row["post"], row["expect"]
        pid = post.get("id")
        tag = pid
        # CONTRACT section 6 / section 1 shape
        check(set(row) == {"post", "expect"}, tag + ": top-level keys")
        check(isinstance(pid, str) and 1 <= len(pid) <= 256, tag + ": id")
        check(pid not in ids, tag + ": duplicate id")
        ids.add(pid)
        check(post["platform"] in ALLOWED_PLATFORMS, tag + ": platform")
        check(post["kind"] in {"post", "reply", "repost", "comment", "message"}, tag + ": kind")
        check(isinstance(post["account"].get("handle"), str) and post["account"]["handle"], tag + ": handle")
        check(isinstance(post["text"], str) and 0 < len(post["text"].encode("utf-8")) <= 65536, tag + ": text")
        check(post["text"] not in texts, tag + ": duplicate text")
        texts.add(post["text"])
        try:
            ts = parse_ts(post["created_at"])
            check(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts < dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc),
                  tag + ": created_at range")
        except ValueError:
            check(False, tag + ": created_at not RFC 3339")
            continue
        cats = exp["categories"]
        check(cats == sorted(set(cats)), tag + ": categories sorted/unique")
        check(all(c in TAXONOMY and c != "reputation.spike" for c in cats), tag + ": category")
        check(exp["severity"] in ORDER, tag + ": severity value")
        checked = any(k in ("iban", "card", "bsn") for k, _ in m["generated"])
        check(exp["severity"] == severity(cats, m["role"], checked), tag + ": severity policy")
        if not cats:
            check(exp["severity"] == "none", tag + ": benign severity")
        else:
            check(exp["severity"] != "none", tag + ": positive severity")
        text = post["text"]
        low = text.casefold()
        benign = not cats

        # generated identifiers and credentials
        for kind, val in m["generated"]:
            if kind == "iban":
                check(iban_ok(val), tag + ": IBAN should pass mod-97")
                check(not benign, tag + ": valid IBAN in benign")
            elif kind == "card":
                check(luhn_ok(val), tag + ": card should pass Luhn")
                check(not benign, tag + ": valid card in benign")
            elif kind == "bsn":
                check(bsn_ok(val), tag + ": BSN should pass 11-proof")
                check(not benign, tag + ": valid BSN in benign")
            elif kind == "bad_iban":
                check(not iban_ok(val), tag + ": look-alike IBAN passes")
            elif kind == "bad_card":
                check(not luhn_ok(val), tag + ": look-alike card passes")
            elif kind == "bad_bsn":
                check(not bsn_ok(val), tag + ": look-alike BSN passes")
            elif kind == "github":
                check(github_token_ok(val), tag + ": GitHub token checksum")
                check(not benign, tag + ": real-format GitHub token in benign")
            elif kind == "bad_github":
                check(not github_token_ok(val), tag + ": look-alike GitHub token passes")
            elif kind == "aws":
                check(re.fullmatch(r"AKIA[A-Z2-7]{16}", val) is not None, tag + ": AWS key id format")
                check(not benign, tag + ": AWS key in benign")
            elif kind == "jwt":
                check(jwt_ok(val), tag + ": JWT header")
                check(not benign, tag + ": JWT in benign")
            elif kind == "own_iban":
                check(iban_ok(val) and re.sub(r"\s", "", val) in own_ibans, tag + ": own IBAN")
            elif kind == "other_secret":
                check(not benign, tag + ": secret in benign")
        # scan the text itself for identifiers that pass their checksum
        for mm in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            cand = re.sub(r"\s", "", mm.group(0))
            if iban_ok(cand) and cand not in own_ibans:
                check("leak.pii" in cats, tag + ": valid IBAN without leak.pii")
        for mm in re.finditer(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])", text):
            cand = re.sub(r"\D", "", mm.group(0))
            if 13 <= len(cand) <= 19 and luhn_ok(cand):
                check("leak.pii" in cats, tag + ": Luhn-valid number without leak.pii: " + cand)
        for mm in re.finditer(r"(?<![\d.])(\d{4}\.?\d{2}\.?\d{3})(?![\d])", text):
            if bsn_ok(mm.group(1)):
                check("leak.pii" in cats, tag + ": 11-proof number without leak.pii")
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_token_ok(tok):
                check("leak.secret" in cats, tag + ": valid GitHub token without leak.secret")
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
            if not tok.endswith("EXAMPLE"):
                check("leak.secret" in cats, tag + ": AWS key id without leak.secret")
        if "leak.secret" in cats:
            check(any(k in ("github", "aws", "jwt", "other_secret") for k, _ in m["generated"]) or
                  "wachtwoord:" in low, tag + ": secret case has no credential")

        # internal names, markers, embargo
        if benign:
            for t in internal_terms:
                check(t not in low, tag + ": internal term in benign: " + t)
        for terms, until in embargo:
            if any(t in low for t in terms):
                if ts < until:
                    check("leak.confidential" in cats, tag + ": embargo term before until")
                else:
                    check(not benign or True, tag)

        # pricing
        low_price = False
        for p in mentioned_products(text):
            for v in prices(text):
                if 0 < v < ratio * p["list_price"]:
                    low_price = True
        if "leak.pricing" in cats:
            check(mentioned_products(text), tag + ": pricing case names no product")
            check(low_price or "prijsfout" in low or "price error" in low, tag + ": pricing case without low price")
        elif low_price:
            check(m["ok_price"], tag + ": price below ratio in non-pricing case")

        # role sanity: public handles must not be in the profile by accident
        if m["role"] == "public":
            h = post["account"]["handle"].lower()
            check(all(not k.endswith(":" + h) for k in ROLE), tag + ": public handle shadows a profile account")

    # the mix
    n = len(rows)
    benign_n = sum(1 for r in rows if not r["expect"]["categories"])
    check(170 <= n <= 180, "total %d outside 170-180" % n)
    check(55 <= benign_n <= 65, "benign %d not about 60" % benign_n)
    return n, benign_n


def main():
    rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written, to check the file and not only the objects
    rows2 = [json.loads(line) for line in open(OUT, encoding="utf-8")]
    check(rows2 == rows, "cases.jsonl does not round-trip")
    n, benign_n = self_check(rows2, meta)
    counts = {}
    for r in rows2:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    langs = {}
    for r in rows2:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r, m in zip(rows2, meta):
        if r["expect"]["categories"]:
            roles[m["role"]] = roles.get(m["role"], 0) + 1
    print("cases:", n, "benign:", benign_n, "positives:", n - benign_n)
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("languages:", langs, "positive roles:", roles)
    if FAIL:
        print("SELF-CHECK FAILED (%d):" % len(FAIL))
        for msg in FAIL:
            print("  -", msg)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
