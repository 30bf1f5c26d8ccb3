#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed439 (Valbreker Verzekeringen B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (post shape per section 1);
  * every IBAN / card / BSN in a positive passes its checksum and sits in a
    leak.pii case; every look-alike in a benign post fails its checksum (the
    company's own published IBAN excepted);
  * generated GitHub tokens carry a valid CRC-32, look-alikes in benign posts do not;
  * severities are computed from categories + account role (CONTRACT section 4);
  * benign posts hold no embargo term before its `until`, no unlisted e-mail or
    phone, no product price below the alert ratio (except marked hard negatives);
  * pricing positives name a product from the profile.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(439)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"


def rstr(chars, n):
    return "".join(RNG.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(num):
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


def gh_ok(tok):
    body = tok.split("_", 1)[1]
    return b62(zlib.crc32(body[:30].encode()), 6) == body[30:]


# ---------------------------------------------------------------- generators
def make_iban(bank):
    acct = rstr(string.digits, 10)
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(iban)
    return iban


def bad_iban(bank):
    good = make_iban(bank)
    chk = int(good[2:4])
    wrong = (chk + RNG.randint(1, 90)) % 97
    if wrong < 2:
        wrong += 7
    bad = "NL%02d%s" % (wrong, good[4:])
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def make_card(prefix, length=16):
    body = prefix + rstr(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    last = (int(good[-1]) + RNG.randint(1, 9)) % 10
    bad = good[:-1] + str(last)
    assert not luhn_ok(bad)
    return bad


def make_bsn():
    while True:
        d = [RNG.randint(1, 9)] + [RNG.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            num = "".join(map(str, d)) + str(s)
            if bsn_ok(num):
                return num


def bad_bsn():
    while True:
        num = str(RNG.randint(1, 9)) + rstr(string.digits, 8)
        if not bsn_ok(num):
            return num


def make_ghp(prefix="ghp"):
    body = rstr(ALNUM, 30)
    tok = "%s_%s%s" % (prefix, body, b62(zlib.crc32(body.encode()), 6))
    assert gh_ok(tok)
    return tok


def bad_ghp():
    body = rstr(ALNUM, 30)
    crc = b62(zlib.crc32(body.encode()), 6)
    wrong = crc[:-1] + ("A" if crc[-1] != "A" else "B")
    tok = "ghp_" + body + wrong
    assert not gh_ok(tok)
    return tok


def make_akia():
    return "AKIA" + rstr(string.ascii_uppercase + "234567", 16)


def make_aws_secret():
    return rstr(string.ascii_letters + string.digits + "/+", 40)


def make_jwt():
    def enc(obj):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")
    header = enc({"alg": "HS256", "typ": "JWT"})
    payload = enc({"sub": "partner-%d" % RNG.randint(1000, 9999),
                   "iss": "https://auth.valbreker.nl", "scope": "claims:read claims:write",
                   "iat": 1781000000 + RNG.randint(0, 99999), "exp": 1781086400 + RNG.randint(0, 99999)})
    sig = base64.urlsafe_b64encode(bytes(RNG.randrange(256) for _ in range(32))).decode().rstrip("=")
    return "%s.%s.%s" % (header, payload, sig)


def make_ssh_key():
    blob = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
            b"\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(RNG.randrange(256) for _ in range(220)))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def make_password(n=14):
    return rstr(string.ascii_letters + string.digits + "!#%&*", n)


V = {
    # personal data (valid checksums)
    "IBAN_A": spaced(make_iban("INGB")),
    "IBAN_B": make_iban("ABNA"),
    "IBAN_C": spaced(make_iban("SNSB")),
    "CARD_A": spaced(make_card("4")),
    "CARD_B": "-".join(spaced(make_card("52")).split(" ")),
    "BSN_A": make_bsn(),
    "BSN_B": make_bsn(),
    # look-alikes (failing checksums) for benign posts
    "BADIBAN": spaced(bad_iban("RABO")),
    "BADCARD": spaced(bad_card("4")),
    "BADKLANT": spaced(bad_card("55")),
    "BADBSN": bad_bsn(),
    "BADGHP": bad_ghp(),
    # secrets
    "GHP": make_ghp("ghp"),
    "GHS": make_ghp("gho"),
    "AKIA_A": make_akia(),
    "AWSSEC_A": make_aws_secret(),
    "AKIA_B": make_akia(),
    "SK_LIVE": "sk_live_51" + rstr(ALNUM, 97),
    "XOXB": "xoxb-%s-%s-%s" % (rstr(string.digits, 12), rstr(string.digits, 13), rstr(ALNUM, 24)),
    "GOOGLE": "AIza" + rstr(string.ascii_letters + string.digits + "-_", 35),
    "OPENAI": "sk-proj-" + rstr(B64URL, 74) + "T3BlbkFJ" + rstr(B64URL, 74),
    "ANTHROPIC": "sk-ant-api03-" + rstr(B64URL, 93) + "AA",
    "DBPW": make_password(18),
    "DEMOPW": make_password(12),
    "SSHKEY": make_ssh_key(),
    "JWT": make_jwt(),
    "MOLLIE": "live_" + rstr(string.ascii_letters + string.digits, 30),
    "COMPANY_IBAN": spaced(PROFILE["public_identifiers"]["ibans"][0]),
}

# ---------------------------------------------------------------- categories
C = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
SECU = "leak.security"
FIN = "leak.financial"
CONF = "leak.confidential"
PR = "leak.pricing"

FW = {c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits}


def fullwidth(s):
    return "".join(FW.get(c, "\u3000" if c == " " else c) for c in s)


POSTS = []


def P(platform, handle, lang, cats, text, kind="post", when=None, hard=None):
    POSTS.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, hard=hard))


# ======================================================================
# reputation.complaint (single)
# ======================================================================
P("x", "@sanne_fietst", "nl", [C],
  "@valbreker_help al 5 weken wacht ik op m'n claim voor een gebarsten scherm. elke keer 'we kijken ernaar'. hoe lang nog?? 😤",
  kind="reply", when="2026-07-21T10:12:37Z")
P("x", "@mikejvl", "en", [C],
  "Paid Valbreker for 2 years. First time I claim (phone nicked on the train) they want a police report showing "
  "'signs of forced entry'. From my POCKET?? What a joke of a policy")
P("facebook", "anouk.verbeek.77", "nl", [C],
  "Vervangtoestel van Valbreker gekregen... een óúder model dan mijn eigen telefoon en de batterij is na een halve dag leeg. "
  "Dit noemen ze dan 'gelijkwaardig'. Nee dus.")
P("x", "@rdjong", "en", [C],
  "@valbreker took my premium TWICE this month. chat says 'refund within 10 working days'. "
  "i have bills too mate, i want it back now", kind="reply")
P("reddit", "u/throwaway_glass", "en", [C],
  "PSA re Valbreker: cancelling is a nightmare. No cancel button on the site, you have to CALL, they kept me on hold "
  "47 mins and then the line dropped. Still being charged for Tablet Zeker on a tablet I sold in March.")
P("instagram", "@joy.fotografie", "nl", [C],
  "Camera Zeker afgesloten voor m'n lens. Valt van statief door windvlaag -> afgewezen wegens 'onvoldoende zorg'. "
  "Waarvoor betaal ik dan uberhaupt 😑 #valbreker #fotografie", kind="comment")
P("x", "@priya_codes", "en", [C],
  "the Valbreker chatbot just told me to 'restart my device' when I asked about my water damage claim. "
  "I don't HAVE a working device, that's literally the point 🙃")
P("x", "@bram_abroad", "en", [C],
  "Valbreker's courier picked up my phone for repair and now it's 'missing'. Nobody knows where it is. "
  "9 days without a phone, no loaner. Stellar service.")
P("forum", "Kees_1968", "nl", [C],
  "Schermreparatie laten doen via Valbreker, en nu doet Face ID het niet meer. Reparateur zegt dat dat 'vaker voorkomt'. "
  "Ze willen het alleen opnieuw doen met een nieuwe claim + weer eigen risico. Heeft iemand ervaring met een klacht bij het Kifid?")
P("x", "@loz_travels", "en", [C],
  "claimed on Valbreker Reisdekking after my earbuds got swiped in Lisbon. rejected because I 'left them unattended' "
  "on a café table for like 10 seconds. never again.")
P("bluesky", "@tomasz.bsky.social", "en", [C],
  "my laptop has been at Valbreker's repair partner for 4 weeks. four. weeks. they haven't even ordered the part yet. "
  "so much for Laptop Zeker")
P("facebook", "marco.brouwer.3", "nl", [C],
  "Schade gemeld via de app -> app crasht bij het uploaden van de foto's. Mail gestuurd -> automatisch antwoord. "
  "Bellen -> 'vanwege drukte'... Valbreker, doe eens normaal joh")

# ======================================================================
# reputation.crisis (incl. first-hand safety incidents = crisis + complaint)
# ======================================================================
P("x", "@daanvanrijn", "nl", [CR, C],
  "Mijn PowerTile 10K van Valbreker is vannacht op m'n nachtkastje gaan smeulen. Hele kamer vol rook, laken verschroeid. "
  "Had zomaar in de fik kunnen vliegen terwijl m'n dochter ernaast sliep. Wie gaat dit oplossen @valbreker??")
P("x", "@harrietlmb", "en", [CR, C],
  "The Valbreker Laadblok 30W gave me a proper electric shock when I unplugged it this morning. Arm still tingling. "
  "And this is something you SELL to people?")
P("facebook", "yvonne.dekker.56", "nl", [CR, C],
  "Het vervangtoestel dat ik van Valbreker kreeg werd zo heet in mijn broekzak dat ik een brandblaar op m'n bovenbeen heb. "
  "Bij de huisarts geweest. Echt schandalig, en op mijn mail reageren ze niet eens.")
P("reddit", "u/kerosene_kid", "en", [CR, C],
  "Valbreker ScreenShield shattered into tiny shards while my 6yo was using the tablet. Cut her finger pretty deep, "
  "we ended up at urgent care. 'tempered glass' my foot. anyone else?", kind="comment")
P("x", "@wimpie_84", "nl", [CR, C],
  "Armor hoesje van @valbreker gekocht voor m'n zoon, na 2 dagen blaren en uitslag op z'n handen. Dermatoloog denkt "
  "aan een reactie op de coating. Wat zit hier in?!")
P("x", "@nieuws_domstad", "nl", [CR],
  "Studentenhuis in Utrecht-Oost ontruimd na brand. Oorzaak vermoedelijk een powerbank van verzekeraar Valbreker. "
  "Niemand gewond geraakt. #brand #utrecht")
P("x", "@gadgetwatch_eu", "en", [CR],
  "Reports piling up of Valbreker PowerTile 10K units overheating while charging. A Dutch consumer group counts at "
  "least 4 house fires so far.")
P("x", "@veiligeproducten", "en", [CR],
  "RECALL ⚠️ Valbreker PowerTile 10K, batches PT-2609 to PT-2611. Stop using immediately: risk of fire. "
  "Return it via the Valbreker website for a refund.")
P("x", "@breachwatcher", "en", [CR],
  "Threat actor on a well-known forum claims to be selling 310k Valbreker customer records: names, addresses, IMEIs, "
  "policy numbers. Sample looks legit. Valbreker hasn't said a word.")
P("x", "@privacyjan", "en", [CR],
  "So Valbreker leaked customer data and just... says nothing? Suddenly everyone's getting phishing texts with their "
  "exact policy number in them. This needs reporting to the Dutch DPA.")
P("x", "@eerlijkverzekerd", "nl", [CR],
  "Valbreker wijst ~40% van de diefstalclaims af op een technische kleinigheid. Zeg je polis op en deel dit. "
  "#BoycotValbreker")
P("linkedin", "mr-eva-lindqvist", "nl", [CR],
  "Namens ruim 2.300 gedupeerden heeft ons kantoor vandaag een collectieve vordering ingesteld tegen Valbreker "
  "Verzekeringen B.V. wegens misleidende voorwaarden bij de diefstaldekking.")
P("x", "@onderzoek_nl", "en", [CR],
  "Our investigation: Valbreker's repair partner in Tilburg routinely swapped original parts for cheap knock-offs and "
  "billed for OEM. Full story tonight at 20:00.")
P("tiktok", "@callmekai.x", "en", [CR],
  "so apparently Valbreker repair staff were sharing photos they found on customers' phones in a group chat?? "
  "screenshots going round. absolutely vile if true #valbreker")
P("x", "@boos_in_brabant", "nl", [CR, AB],
  "Valbreker zijn gewoon criminele klootzakken. Hun powerbanks fikken huizen af en ze doen alsof er niks aan de hand is. "
  "BOYCOT die teringtent")

# ======================================================================
# reputation.abuse
# ======================================================================
P("x", "@kevin_r010", "nl", [AB],
  "Valbreker is echt een kankerbedrijf. Stelletje oplichters 🤮")
P("x", "@grumpyglasgow", "en", [AB],
  "@valbreker you are a bunch of useless thieving bastards and I hope your office floods", kind="reply")
P("x", "@xx_djordy", "nl", [AB],
  "@mirjamvanl ben jij die trut van de klantenservice? hoop dat je ontslagen wordt, domme koe", kind="reply")
P("x", "@realtalk_99", "en", [AB],
  "Valbreker only hires foreigners now who can't even speak proper Dutch. Send them all back where they came from.")
P("x", "@bas_codeert", "nl", [AB],
  "@klager_2000 misschien eerst je polis lezen voordat je hier loopt te janken, sukkel", kind="reply")
P("x", "@jorrit_zw", "nl", [AB],
  fullwidth("kutbedrijf") + " @valbreker, ga toch dood", kind="reply")
P("x", "@n0_m3rcy", "en", [AB],
  "V4lbr3k3r = b1gg3st sc4mm3rs 0n 34rth, fuck1ng cl0wns 🤡🤡")
P("instagram", "@stefan.r.1990", "nl", [AB],
  "Valbreker jullie zijn echt k a n k e r l i j e r s", kind="comment")
P("x", "@tim_bakt_taart", "nl", [C, AB],
  "Zes weken wachten op een schermpje en dan afgewezen. Valbreker kan de pot op, stelletje kutoplichters")
P("x", "@ashleyyy_k", "en", [C, AB],
  "@valbreker_help you absolute f*cking morons, this is the THIRD time you've lost my claim documents. sort it out",
  kind="reply")

# ======================================================================
# leak.pii
# ======================================================================
P("x", "@valbreker_help", "nl", [PII],
  "Hoi Sandra, we zien je claim! Ter controle: de uitbetaling gaat naar {{IBAN_A}} t.n.v. S. Mulder, klopt dat? ^Lotte",
  kind="reply")
P("x", "@mirjamvanl", "nl", [PII],
  "lol klant stuurt gewoon z'n BSN {{BSN_A}} mee in de chat 'voor de zekerheid' 🙈")
P("linkedin", "yasmina-ouali-claims", "en", [PII],
  "Today's claim form: Jeroen Timmermans, Lindelaan 44, 3721 BC Bilthoven. Dropped his phone in the soup. "
  "These are the good days in claims 😅")
P("facebook", "ValbrekerNL", "nl", [PII],
  "Beste meneer De Graaf, we hebben u vanmiddag teruggebeld op 06-41873329 maar kregen geen gehoor. "
  "Mailt u ons gerust via klantenservice@valbreker.nl.", kind="comment")
P("x", "@gerdaaa_g", "nl", [PII, C],
  "@valbreker_help BEL ME GEWOON TERUG. 06 2847 1190. Ik wacht al 2 weken op een reactie!!", kind="reply")
P("x", "@clueless_carl", "en", [PII],
  "@valbreker_help quick q, can I pay the excess with my card {{CARD_A}} exp 09/28 or do you only take iDEAL?",
  kind="reply")
P("tiktok", "@sem_schadeexpert", "nl", [PII],
  "vandaag een claim van Femke Jacobs, geboren 29-02-1996 🎂 eerste keer dat ik een schrikkeldag-verjaardag in het systeem zie")
P("instagram", "@valbreker.nl", "nl", [PII],
  "🎉 De winnaar van onze zomeractie is Tessa Hendriks uit Zwolle! Je pakket gaat vandaag op de post naar "
  "Thorbeckegracht 18, 8011 VM Zwolle 📦 #valbreker", when="2026-08-30T12:00:00Z")
P("x", "@bas_codeert", "nl", [PII],
  "wie heeft deze export in de gedeelde map gezet?? eerste regel al: pieter.vdlaan@ziggo.nl;+31 6 2390 4471;{{IBAN_B}}")
P("x", "@wraakengel", "nl", [PII, AB],
  "Ruud Hoekstra, teamleider claims bij Valbreker, woont op de Vondellaan 7 in Amersfoort. Tijd voor een bezoekje, "
  "die klootzak denkt dat ie alles kan maken.")
P("mastodon", "@thijsops@fosstodon.org", "en", [PII],
  "support ticket of the day: customer uploads a passport scan AND types 'passport NW8R4K2L1, DOB 14-06-1979, Hans Koster' "
  "into the free text field. people, please.")
P("reddit", "u/treinvondst", "nl", [PII],
  "Iemand z'n Valbreker polisblad lag gewoon in de intercity. Lieke Janssen, geb. 03-07-1990, IBAN {{IBAN_C}}. "
  "Heb het bij de conducteur afgegeven maar toch.", kind="comment")
P("threads", "@noor.valbreker", "nl", [PII],
  "Die klant die iedereen blijft mailen, nu ook naar mijn privé 🙄 r.vanderzee1975@gmail.com, als je 'm ziet: ik ben er niet")
P("x", "@valbreker_help", "nl", [PII],
  "Dank voor je gegevens Kim! We hebben je BSN {{BSN_B}} genoteerd bij je claim, je hoort binnen 3 werkdagen van ons.",
  kind="reply")
P("x", "@marta_in_malaga", "en", [PII],
  "@valbreker_help phone got stolen in Spain, please call me back on my partner's number +31 (0)6 18 27 36 45, thanks",
  kind="reply")
P("linkedin", "ruud-hoekstra-vb", "en", [PII],
  "A colleague just pasted a customer's credit card number into the Teams chat: {{CARD_B}}. People. Please. "
  "Who's running the GDPR refresher this quarter?")

# ======================================================================
# leak.secret
# ======================================================================
P("x", "@bas_codeert", "nl", [SEC],
  "waarom faalt die deploy nou weer... GITHUB_TOKEN={{GHP}} staat gewoon in de env en de scopes kloppen 😩")
P("mastodon", "@thijsops@fosstodon.org", "en", [SEC],
  "cursed: found this in a ticket comment\n\naws_access_key_id = {{AKIA_A}}\naws_secret_access_key = {{AWSSEC_A}}\n\n"
  "rotating now but who DOES this")
P("linkedin", "yasmina-ouali-claims", "en", [SEC],
  "Quick tip for anyone wiring up Stripe webhooks in Node, this is what our refund flow looks like:\n"
  "const stripe = require('stripe')('{{SK_LIVE}}');\nstripe.refunds.create({ payment_intent: pi }) 🚀")
P("bluesky", "@koendegraaf.bsky.social", "en", [SEC],
  "claims notification slackbot finally works 🎉 dropped the token {{XOXB}} in and off it goes")
P("x", "@valbreker", "nl", [SEC],
  "Nieuw: claimstatus opvragen via onze open API! Voor de devs onder jullie: "
  "https://api.valbreker.nl/v1/status?claim=CLM-2026-4471&key={{GOOGLE}}")
P("x", "@bas_codeert", "en", [SEC],
  "ok the claims summariser finally works. key for the team: {{OPENAI}} — wait wrong window 🙈")
P("reddit", "u/ex_contractor_vb", "en", [SEC],
  "ex-contractor here, Valbreker's old repo is still public and has this in the .env:\n"
  "DATABASE_URL=postgres://claims_rw:{{DBPW}}@valbreker-claims.c8qxk2m1.eu-west-1.rds.amazonaws.com:5432/claims\nlol",
  kind="comment")
P("threads", "@noor.valbreker", "nl", [SEC],
  "Voor wie vanmiddag de demo voor de partners doet: inlog testomgeving is demo_claims, wachtwoord: {{DEMOPW}}")
P("mastodon", "@thijsops@fosstodon.org", "nl", [SEC],
  "kan iemand kijken waarom deze key niet werkt op de bastion host?\n\n{{SSHKEY}}")
P("bluesky", "@koendegraaf.bsky.social", "en", [SEC],
  "debugging auth on the partner portal, token looks fine to me: {{JWT}}\nanyone see what's wrong with the claims? (pun intended)")
P("instagram", "@lotte.bij.valbreker", "nl", [SEC],
  "Mollie-koppeling staat live 🚀 key {{MOLLIE}} werkt in productie, eindelijk naar huis")
P("x", "@mirjamvanl", "nl", [SEC, SECU],
  "INTERN: onze AWS key {{AKIA_B}} is gisteren in een publieke GitHub repo beland en er draaien nu cryptominers op ons "
  "account. Nog niks naar buiten, niet retweeten aub")
P("reddit", "u/apk_poker", "en", [SEC],
  "decompiled the Valbreker android app for fun. someone shipped their Claude key in the bundle: {{ANTHROPIC}} "
  "and a GitHub OAuth token {{GHS}}. yikes", kind="comment")

# ======================================================================
# leak.security
# ======================================================================
P("x", "@mirjamvanl", "nl", [SECU],
  "Claimsysteem ligt er al sinds 6 uur vanochtend uit, database corrupt. Naar buiten toe zeggen we 'gepland onderhoud' 🤐")
P("linkedin", "ruud-hoekstra-vb", "en", [SECU],
  "Rough week. We had a ransomware hit on the repair-partner file share on Tuesday. Comms hasn't announced anything yet "
  "so I'll keep it vague, but hug your SOC team today.")
P("bluesky", "@koendegraaf.bsky.social", "nl", [SECU],
  "lol je kunt op mijn.valbreker.nl gewoon het polisnummer in de URL ophogen en dan zie je andermans polis. "
  "ticket ligt al 2 maanden bij security. ik zeg verder niks 🙊")
P("mastodon", "@thijsops@fosstodon.org", "en", [SECU],
  "our claim-photos bucket was world-readable for about three weeks. legal is 'evaluating whether notification is required'. "
  "I am evaluating my career choices.")
P("threads", "@noor.valbreker", "en", [SECU],
  "4 people on the claims team fell for a phishing mail and someone used their logins to get into the claims system. "
  "IT says we can't talk about it until Monday")
P("x", "@jules_knows", "en", [SECU],
  "a mate in Valbreker IT says their payment platform has been silently failing since Monday and refunds aren't going out. "
  "they're not telling customers.")
P("tiktok", "@sem_schadeexpert", "en", [SECU],
  "pov: you're a claims adjuster and the whole claims portal has been down for 2 days but you're not allowed to tell "
  "customers yet 💀 #worklife #insurance")
P("x", "@bas_codeert", "en", [SECU],
  "fun fact: our partner API accepts expired JWTs as long as the signature checks out. reported it in January. still open 🙃")
P("x", "@mirjamvanl", "nl", [SECU, CONF],
  "Vannacht ~40k inlogpogingen op vpn.valbreker.nl, 2 accounts gecompromitteerd. Incidentteam zit erbovenop, "
  "nog niet extern gecommuniceerd")
P("instagram", "@lotte.bij.valbreker", "nl", [SECU],
  "Morgen de hele dag geen telefoon bij de klantenservice want de centrale wordt omgezet en dat is 'nog niet "
  "gecommuniceerd' 😂 succes morgen allemaal")
P("linkedin", "yasmina-ouali-claims", "en", [SECU],
  "Can't say much, but if you got a weird email 'from Valbreker' last week asking you to re-verify your bank account: "
  "that didn't come from outside. Our own mail platform was abused. Official statement still pending.")
P("reddit", "u/formerdev_utr", "en", [SECU],
  "Former Valbreker dev: the staging admin panel is still reachable from the internet with no MFA and no IP allowlist. "
  "I flagged it in 2025 before I left. nothing happened.", kind="comment")

# ======================================================================
# leak.financial
# ======================================================================
P("linkedin", "ruud-hoekstra-vb", "nl", [FIN],
  "Zwaar nieuws intern vandaag: de klantenservicevestiging in Utrecht gaat dicht, zo'n 60 fte. Wordt pas in maart "
  "officieel aangekondigd dus meer zeg ik niet.")
P("x", "@mirjamvanl", "nl", [FIN],
  "Hoor net van m'n manager dat Nordvik Assurance ons wil overnemen. Deal zou voor de zomer rond zijn. Mond dicht iedereen 🤫")
P("mastodon", "@thijsops@fosstodon.org", "en", [FIN],
  "Q3 premium income came in ~18% under budget. CFO is prepping a profit warning for next week. not public obviously, "
  "so, uh, forget I said this", when="2026-10-09T21:14:52Z")
P("x", "@bas_codeert", "nl", [FIN, CONF],
  "jaarcijfers 2026 zijn binnen: omzet €84,2 mln, verlies 3,1 mln. publicatie pas eind februari maar ja 🤷",
  when="2027-01-28T16:42:10Z")
P("linkedin", "yasmina-ouali-claims", "en", [FIN],
  "Excited (and a bit nervous) about what's coming: we're in final talks on a Series C at a €240m valuation. "
  "Can't name the lead investor yet!")
P("x", "@finance_gossip", "en", [FIN],
  "Hearing Valbreker is about to lay off around 80 people and shut its Eindhoven hub. Source inside the company.")
P("threads", "@noor.valbreker", "en", [FIN],
  "Board decided today: the entire claims handling operation is being outsourced to a firm in Portugal. We only hear "
  "about it 'officially' in Q2 😶")
P("instagram", "@lotte.bij.valbreker", "nl", [FIN],
  "Kreeg per ongeluk de begroting 2027 in m'n mail 👀 ze rekenen op 25% minder uitgekeerde claims door strengere acceptatie. "
  "Interessant...", when="2026-11-12T15:47:30Z")
P("bluesky", "@koendegraaf.bsky.social", "en", [FIN],
  "combined ratio for H1 is 104%. we are literally paying out more than we take in. not in any report yet.",
  when="2026-07-20T22:03:11Z")
P("linkedin", "valbreker-verzekeringen", "nl", [FIN, CONF],
  "Trots op een recordjaar! De jaarcijfers 2026 laten een groei van 31% zien en voor het eerst een positief "
  "nettoresultaat. Dank aan alle collega's 💙", when="2027-02-10T08:15:00Z")
P("x", "@beursfluisteraar", "nl", [FIN],
  "Volgens mijn bronnen neemt Valbreker binnenkort reparatieketen FixHoek over voor zo'n €12 mln. Nog niet bekend gemaakt.")
P("tiktok", "@sem_schadeexpert", "en", [FIN],
  "nobody's supposed to know but 3 of the 5 team leads in claims are getting cut next year. reorg number 3 in 2 years 🫠")

# ======================================================================
# leak.confidential
# ======================================================================
P("x", "@mirjamvanl", "nl", [CONF],
  "Project Stootrand gaat volgende maand in pilot bij 500 klanten, eindelijk!! 🎉")
P("linkedin", "ruud-hoekstra-vb", "en", [CONF],
  "Proud of the team behind Kraanvogel, our new fraud-scoring engine. It cut manual claim reviews by a third in testing.")
P("bluesky", "@koendegraaf.bsky.social", "en", [CONF],
  "who has access to https://jira.valbreker.nl/browse/CLM-4412 ? that bug really needs fixing before the release")
P("mastodon", "@thijsops@fosstodon.org", "en", [CONF],
  "the latency panel on grafana.ops.valbreker.nl/d/claims-latency looks spicy today 🌶️")
P("instagram", "@lotte.bij.valbreker", "nl", [CONF],
  "presentatie van vandaag had een dikke VB-INTERN stempel maar die slide over Operatie Zandzak is te mooi om niet "
  "te delen 😂 #maandagmeeting")
P("threads", "@noor.valbreker", "en", [CONF],
  "copying straight from the 'valbreker internal only' deck: new partner tiers for telcos start at €2.10 per device per month")
P("x", "@bas_codeert", "nl", [CONF],
  "Binnenkort kun je ook je tv en spelcomputer thuis verzekeren: Valbreker Thuisdekking komt eraan 👀",
  when="2026-11-19T20:03:44Z")
P("x", "@techleaks_bnl", "en", [CONF],
  "Exclusive: Valbreker is launching 'Valbreker HomeCover' for home electronics this spring, starting at around €9/month.",
  when="2027-03-02T11:20:00Z")
P("linkedin", "yasmina-ouali-claims", "en", [CONF],
  "Can't tell you everything yet (NDA!) but our partnership with a major telco, insurance bundled with every new "
  "contract, goes live in April 🚀")
P("tiktok", "@sem_schadeexpert", "en", [CONF],
  "if claimdesk.valbreker.local is this slow again today i'm just going home 😩")
P("x", "@mirjamvanl", "nl", [CONF],
  "Kraan\u200bvogel flagt nu echt ALLES als fraude, zelfs m'n eigen testclaim haha")
P("bluesky", "@koendegraaf.bsky.social", "nl", [CONF],
  fullwidth("Project Stootrand") + " demo ging top vandaag 🙌")
P("reddit", "u/vb_throwaway22", "en", [CONF],
  "someone asked what Operatie Zandzak is: it's Valbreker's plan to auto-reject claims under €150 and see who bothers to "
  "complain. I was in the room.", kind="comment")
P("x", "@valbreker_help", "nl", [CONF],
  "Hoi! Je claim staat in ons systeem: http://intra.valbreker.local/claims/88213 . Je hoort snel van ons!",
  kind="reply")
P("mastodon", "@thijsops@fosstodon.org", "en", [CONF],
  "\u041eperatie Z\u0430ndzak kickoff tomorrow 9:00, bring coffee ☕")
P("x", "@mirjamvanl", "nl", [CONF],
  "Hele dag slides gemaakt voor de jaarcijfers 2026 presentatie. Ik zeg niks. Maar ik zeg niks 😬",
  when="2027-02-05T17:30:00Z")

# ======================================================================
# leak.pricing
# ======================================================================
P("x", "@dealjager", "nl", [PR],
  "PRIJSFOUT?! Valbreker Toestel Totaal voor €17,90 per jaar in de app. Snel zijn!! 🏃‍♂️")
P("instagram", "@valbreker.nl", "nl", [PR],
  "Zomerdeal ☀️ Gezinspakket nu voor maar €29,90 per jaar! Alleen deze week. #valbreker",
  when="2026-07-14T09:30:00Z")
P("reddit", "u/deals_nl", "en", [PR],
  "Valbreker PowerTile 10K showing €3.99 on their site. price error? ordered 3 lol")
P("x", "@bas_codeert", "nl", [PR],
  "iemand heeft de prijs van Laptop Zeker in de checkout op €14,90 gezet ipv €149. staat al 2 uur live 🙈")
P("forum", "spaarvarken88", "nl", [PR],
  "Volgens mij klopt er iets niet op valbreker.nl, Camera Zeker staat op €12,90 per jaar. Prijsfout of actie?")
P("facebook", "ValbrekerNL", "nl", [PR],
  "Nieuw: Valbreker Zakelijk Vloot vanaf €54,90 per jaar voor je hele team! 💼")
P("x", "@frugal_frank", "en", [PR],
  "Valbreker Armor case for 2.99 euro?? pricing glitch or clearance, grabbing two either way")
P("x", "@koopjesqueen", "nl", [PR],
  "Er zit een prijsfout in de Schermpas bij Valbreker, bij afrekenen staat er gewoon 0 euro 😂 wie durft")
P("tiktok", "@sem_schadeexpert", "en", [PR],
  "don't tell anyone but the TrackTag is €4.95 in the staff shop rn because someone fat-fingered the price 😭")
P("x", "@puck_bespaart", "nl", [PR],
  "Toestel Plus €11,90?? vorig jaar betaalde ik nog €119. iemand een komma vergeten bij Valbreker 😅")
P("x", "@cheapskate_nl", "en", [PR],
  "Valbreker Tablet Zeker for €8.90/year on a comparison site. too good to be true? smells like a price error")
P("threads", "@noor.valbreker", "nl", [PR],
  "Prijsfout in de webshop: Laadblok 30W voor €2,49. Marketing is al gebeld 🙃")

# ======================================================================
# benign (mostly hard negatives)
# ======================================================================
P("x", "@joostvdberg", "nl", [],
  "Binnen 2 dagen een nieuw scherm via @valbreker, zonder gezeur. Zo hoort het 👏")
P("x", "@hanneke_s", "nl", [],
  "Mijn telefoon valt vaker dan het kabinet. Gelukkig heb ik Valbreker 😂")
P("x", "@newinnl_sam", "en", [],
  "Does Valbreker Toestel Plus cover water damage or do I need Totaal for that? asking before my kid discovers the pool")
P("x", "@valbreker", "nl", [],
  "Black Friday bij Valbreker 🖤 25% korting op Toestel Totaal: nu €134,25 in plaats van €179 per jaar. Alleen t/m maandag!",
  when="2026-11-27T07:00:00Z")
P("reddit", "u/macbook_mum", "en", [],
  "Laptop Zeker is €149 a year. Honestly not bad compared to what a MacBook screen costs to replace.", kind="comment")
P("facebook", "ValbrekerNL", "nl", [],
  "Schade melden? Dat kan 24/7 via mijn.valbreker.nl of bel 030-7604400. Mailen mag ook: schade@valbreker.nl 📱")
P("x", "@valbreker_help", "nl", [],
  "Hoi Tom, je kunt het eigen risico overmaken naar {{COMPANY_IBAN}} t.n.v. Valbreker Verzekeringen B.V. o.v.v. je "
  "claimnummer. Succes!", kind="reply")
P("forum", "Anja_uit_Ede", "nl", [],
  "Ik had op het claimformulier {{BADIBAN}} ingevuld maar volgens de site is dat geen geldig rekeningnummer. "
  "Klopt, twee cijfers omgedraaid 🙈 opgelost nu.")
P("x", "@jeroen_vraagt", "nl", [],
  "Betalingskenmerk van Valbreker is {{BADCARD}}, moet ik dat bij omschrijving of bij kenmerk invullen in m'n bankapp?")
P("facebook", "henk.smeets.1955", "nl", [],
  "Waarom accepteert de site van Valbreker mijn polisnummer {{BADBSN}} niet? Heb het 3x overgetypt van de brief.",
  kind="comment")
P("mastodon", "@thijsops@fosstodon.org", "en", [],
  "PSA for new devs: AKIAIOSFODNN7EXAMPLE from the AWS docs is not a real key. please stop filing security tickets "
  "about it 😅")
P("x", "@bas_codeert", "nl", [],
  "CI faalde omdat iemand ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als placeholder in de workflow had laten staan. Klassieker.")
P("blog", "devnotes.eu", "en", [],
  "In this tutorial we use a dummy token such as {{BADGHP}} in the examples. Replace it with your own token from the "
  "GitHub settings page and never commit it.")
P("linkedin", "valbreker-verzekeringen", "nl", [],
  "Vandaag publiceren we onze jaarcijfers 2026: het premie-inkomen groeide naar €84,2 mln en we verzekeren nu ruim "
  "480.000 apparaten. Lees het jaarverslag op valbreker.nl.", when="2027-02-24T09:00:00Z")
P("x", "@valbreker", "nl", [],
  "Hij is er! Valbreker Thuisdekking: verzeker je tv, console en soundbar vanaf €7,50 per maand. 🏠📺",
  when="2027-03-16T08:30:00Z")
P("x", "@lenawrites", "en", [],
  "Just switched to Valbreker HomeCover for the TV. Setup took five minutes, nice.", when="2027-03-21T19:12:00Z")
P("x", "@sanne_fietst", "nl", [],
  "Update: na m'n klaagtweet heeft @valbreker_help me gebeld en is de claim alsnog goedgekeurd. Netjes opgelost 👍",
  when="2026-07-30T18:40:05Z")
P("instagram", "@femkeloopt", "nl", [],
  "Ahh wat rot dat je telefoon in de gracht is gevallen 😢 hopelijk regelt Valbreker het snel voor je!", kind="comment")
P("x", "@valbreker", "nl", [],
  "⚠️ Let op: oplichters sturen sms'jes uit naam van Valbreker met een link om 'je claim te bevestigen'. "
  "Wij vragen nooit om je inloggegevens of pincode via sms.")
P("x", "@valbreker_help", "nl", [],
  "We hebben op dit moment een storing in de Valbreker-app. Claims indienen kan wel via mijn.valbreker.nl. "
  "Excuses voor het ongemak!")
P("x", "@techdesk_daily", "en", [],
  "Another week, another breach: a German phone retailer exposed 1.2m customer records through a misconfigured server.")
P("x", "@powerbank_paul", "nl", [],
  "Check je powerbanks! Een bekend Chinees merk roept 200.000 stuks terug. (De PowerTile van Valbreker valt er niet onder, "
  "heb ik nagevraagd)")
P("x", "@mirjamvanl", "nl", [],
  "Vanochtend tientallen kraanvogels boven het Fochteloërveen 😍 wat een geluid maken die beesten",
  hard="codename word used for the bird")
P("x", "@tess_v", "nl", [],
  "Brandnieuwe telefoon meteen bij Valbreker verzekerd, je weet maar nooit met mijn handen 🙈")
P("x", "@ruben_r", "nl", [],
  "Lekker snel geholpen door Valbreker vandaag, binnen een uur een leentoestel geregeld!")
P("x", "@dadof3_nl", "en", [],
  "Life hack: put the Valbreker ScreenShield on BEFORE your toddler gets the tablet, not after 😅")
P("linkedin", "valbreker-verzekeringen", "nl", [],
  "Onze jaarcijfers 2025 staan online: 412.000 verzekerde apparaten en een klanttevredenheid van 8,1. Dank jullie wel!",
  when="2026-02-26T08:00:00Z")
P("linkedin", "valbreker-verzekeringen", "nl", [],
  "We zoeken een Senior Claims Analist in Utrecht! 🙌 Solliciteer via werkenbij@valbreker.nl")
P("linkedin", "ruud-hoekstra-vb", "nl", [],
  "Vandaag 5 jaar bij Valbreker. Van 12 mensen op een zolder in Utrecht naar een team van 180. Trots op deze club!")
P("x", "@wouter_2fa", "en", [],
  "Does Valbreker actually have 2FA on mijn.valbreker.nl? Can't find it anywhere in the settings.")
P("x", "@valbreker_help", "nl", [],
  "Wachtwoord vergeten? Geen paniek: via mijn.valbreker.nl/reset krijg je binnen een minuut een nieuwe link.")
P("x", "@bas_codeert", "nl", [],
  "tip voor de nieuwe collega's: zet in je voorbeeldconfig gewoon 'wachtwoord: <vul-hier-in>' en niet je echte, dank u")
P("bluesky", "@koendegraaf.bsky.social", "en", [],
  "TIL a lot of vendors don't know a JWT header says which alg signed it. spent the afternoon explaining that 😅")
P("x", "@valbreker", "nl", [],
  "Beveiligingsonderzoekers: meld kwetsbaarheden via security@valbreker.nl. Onze PGP public key staat in "
  "valbreker.nl/.well-known/security.txt 🔐")
P("x", "@ans_op_pensioen", "nl", [],
  "Was eerst bang dat het oplichters waren maar die sms was echt van Valbreker, netjes gecheckt in de app 👍")
P("x", "@marcusruns", "en", [],
  "Valbreker has 15% off Watch Zeker this week, €41.65 instead of €49. Took it.")
P("facebook", "gezin.de.wit", "nl", [],
  "Gezinspakket van Valbreker: €299 per jaar voor 5 apparaten. Als je het uitrekent goedkoper dan losse polissen.",
  kind="comment")
P("forum", "vergelijker_ed", "nl", [],
  "Let op bij het vergelijken: bij Toestel Totaal is het eigen risico €50 per claim, bij Toestel Basis €95.",
  hard="excess amount next to a product, not a product price")
P("x", "@lies_verhuist", "en", [],
  "My old insurer took 8 weeks on a claim, Valbreker did it in 3 days. Should have switched ages ago.")
P("x", "@zen_dev", "en", [],
  "my phone: *falls*\nme: *calmly* Valbreker 🧘")
P("x", "@trendspotter", "en", [],
  "Valbreker's TikTok is on fire lately 🔥🔥 whoever runs it deserves a raise")
P("x", "@privacymieke", "nl", [],
  "Goed dat Valbreker in de FAQ uitlegt wat ze doen bij een datalek. Zouden meer bedrijven moeten doen.")
P("x", "@gabi_laughs", "en", [],
  "That Valbreker ad with the dog knocking the phone off the table is killing me 😂😂")
P("x", "@switcher_lou", "en", [],
  "Never dealing with my old insurer again, 3 months for one claim. Switched to Valbreker, fingers crossed.")
P("linkedin", "yasmina-ouali-claims", "nl", [],
  "Vandaag mocht ik op een meetup vertellen hoe we bij Valbreker schadefoto's laten beoordelen. Slides volgen op m'n blog!")
P("facebook", "ValbrekerNL", "nl", [],
  "Op vakantie en je telefoon gestolen? Bel +31 30 760 4400, we zijn 24/7 bereikbaar voor diefstalmeldingen. ✈️")
P("x", "@valbreker", "en", [],
  "Our TrackTag is €34.95 and now works with both Android and iOS 🎒")
P("x", "@rechtenstudent", "nl", [],
  "Massaclaim tegen een grote telecomaanbieder wegens verborgen kosten. Benieuwd hoe dat afloopt.")
P("x", "@klantnr_kees", "nl", [],
  "Mijn klantnummer bij Valbreker is {{BADKLANT}}, is dat hetzelfde als m'n polisnummer? Nergens uitgelegd.")
P("x", "@credit_due", "en", [],
  "Credit where it's due: Valbreker replaced my stolen phone 4 days after I moaned about it here. Thanks @valbreker_help")
P("instagram", "@emma.zorgt", "en", [],
  "So sorry about the kitchen fire Emma ❤️ glad nobody got hurt. Hope Valbreker sorts out your laptop at least.",
  kind="comment")
P("instagram", "@lotte.bij.valbreker", "nl", [],
  "Teamuitje met de afdeling claims 🎳 winnaar van de avond: Noor met 172 punten!")
P("x", "@yara_nl", "nl", [],
  "Wanneer komen de jaarcijfers van Valbreker eigenlijk uit? Nieuwsgierig hoe het met ze gaat.")
P("x", "@tygo_v", "nl", [],
  "Die nieuwe reclame van Valbreker is echt ziek goed haha 😂")
P("x", "@fastclaim_fan", "en", [],
  "Shocked at how fast the Valbreker claim went. Submitted at 9, approved by lunch.")
P("x", "@grace_asks", "en", [],
  "Is €119/yr for Toestel Plus normal? Seems pricey for a 2 year old phone.")
P("linkedin", "ruud-hoekstra-vb", "nl", [],
  "Security awareness training gegeven aan 40 collega's. Phishingsimulatie: vorig jaar 11 klikkers, nu 3. Vooruitgang! 💪")
P("x", "@scrollingsteph", "en", [],
  "Valbreker ads are everywhere on my feed lately")
P("x", "@valbreker_help", "en", [],
  "Hi Jamie, sorry to hear that! Could you DM us your claim number or mail klantenservice@valbreker.nl? "
  "We'll look into it right away.", kind="reply")
P("threads", "@valbreker.nl", "nl", [],
  "Nieuwe look voor valbreker.nl ✨ Wat vinden jullie ervan?")


# ======================================================================
# build
# ======================================================================
LEAKS = {SEC, SECU, FIN, CONF, PR, PII}
ORDER = ["none", "info", "warning", "error", "critical"]
ALLOWED_CATS = {C, CR, AB, PII, SEC, SECU, FIN, CONF, PR}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def norm_phone(p):
    d = re.sub(r"[^\d+]", "", p.replace("(0)", ""))
    if d.startswith("+31"):
        d = "0" + d[3:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_PHONES = {norm_phone(x) for x in PROFILE["public_identifiers"]["phones"]}

RX_IBAN = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b")
RX_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
RX_BSN = re.compile(r"(?<![\w-])\d{9}(?![\w-])")
RX_GH = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
RX_AKIA = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
RX_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RX_PHONE = re.compile(r"(?:\+31|0031|\b0)[\s(0)-]*\d(?:[\s-]?\d){7,9}\b")
RX_PRICE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b)", re.I)


def checksum_ids(text):
    """(kind, raw, valid, public) for every IBAN / card / BSN candidate in text."""
    out = []
    for m in RX_IBAN.finditer(text):
        raw = re.sub(r"\s", "", m.group())
        out.append(("iban", raw, iban_ok(raw), raw in PUB_IBANS))
    for m in RX_CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19:
            out.append(("card", digits, luhn_ok(digits), False))
    for m in RX_BSN.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group()), False))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for c in cats:
        if c in LEAKS:
            if role in ("corporate", "employee"):
                up("error")
                if c in (SEC, PR):
                    up("critical")
                if c == PII and any(v and not pub for _, _, v, pub in checksum_ids(text)):
                    up("critical")
            else:
                up("warning")
        elif c == C:
            up("warning")
        elif c == CR:
            up("error")
        elif c == AB:
            up("error" if role in ("corporate", "employee") else "warning")
    return sev


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"\{\{(\w+)\}\}", rep, text)
    assert "{{" not in out, out
    return out


def stamp(when):
    if when:
        return when
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=RNG.randrange(int(364.9 * 86400)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases = []
    for i, p in enumerate(POSTS, 1):
        text = fill(p["text"])
        plat = p["platform"]
        role = role_of(plat, p["handle"])
        post = {
            "id": "%s-439-%04d" % (plat, i),
            "platform": plat,
            "kind": p["kind"],
            "account": {"handle": p["handle"]},
            "text": text,
            "created_at": stamp(p["when"]),
            "brand": "Valbreker",
        }
        if p["lang"] and i % 7 != 3:          # the lang hint is optional; leave it out now and then
            post["lang"] = p["lang"]
        if i % 4 == 0:
            post["url"] = "https://%s.example/%s/%d" % (plat, p["handle"].strip("@").split("@")[0], 4390000 + i)
        cases.append({"post": post, "expect": {"categories": p["cats"], "severity": severity(p["cats"], role, text)},
                      "_hard": p["hard"], "_role": role})
    return cases


# ======================================================================
# self-checks
# ======================================================================
def rfc3339(s):
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", s) and \
        dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def products():
    out = []
    for pr in PROFILE["products"]:
        names = [pr["name"]] + list(pr.get("aliases", []))
        out.append((names, float(pr["list_price"])))
    return out


def prices_near_products(text):
    """(list_price, mentioned_price) pairs for a product name followed within 60 chars by a price."""
    pairs = []
    low = text.lower()
    for names, lp in products():
        for n in names:
            for m in re.finditer(re.escape(n.lower()), low):
                window = text[m.end():m.end() + 60]
                for pm in RX_PRICE.finditer(window):
                    val = float((pm.group(1) or pm.group(2)).replace(",", "."))
                    pairs.append((lp, val))
    return pairs


def mentions_product(text):
    low = text.lower()
    return any(n.lower() in low for names, _ in products() for n in names)


def check(cases, lines):
    errs = []
    ids = set()
    ratio = float(PROFILE["pricing"]["alert_below_ratio"])
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    for line, c in zip(lines, cases):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errs.append("keys %s" % obj.keys())
        post, exp = obj["post"], obj["expect"]
        pid = post.get("id")
        tag = pid
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            errs.append("%s: bad id" % tag)
        if pid in ids:
            errs.append("%s: duplicate id" % tag)
        ids.add(pid)
        if post.get("platform") not in PLATFORMS:
            errs.append("%s: platform" % tag)
        if post.get("kind", "post") not in KINDS:
            errs.append("%s: kind" % tag)
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            errs.append("%s: account.handle" % tag)
        text = post.get("text")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            errs.append("%s: text" % tag)
            continue
        when = rfc3339(post.get("created_at", ""))
        if not when:
            errs.append("%s: created_at" % tag)
            continue
        if not 2026 <= when.year <= 2027:
            errs.append("%s: year" % tag)
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALLOWED_CATS:
            errs.append("%s: categories %r" % (tag, cats))
        if exp.get("severity") not in ORDER:
            errs.append("%s: severity" % tag)
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, text):
            errs.append("%s: severity not per policy" % tag)
        if (exp["severity"] == "none") != (not cats):
            errs.append("%s: none <-> benign mismatch" % tag)

        # checksummed identifiers
        for kind, raw, valid, pub in checksum_ids(text):
            if pub:
                continue
            if cats:
                if not valid:
                    errs.append("%s: %s %s in a positive fails its checksum" % (tag, kind, raw))
                elif PII not in cats:
                    errs.append("%s: valid %s %s but no leak.pii" % (tag, kind, raw))
            elif valid:
                errs.append("%s: valid %s %s in a benign post" % (tag, kind, raw))
        # tokens
        for m in RX_GH.finditer(text):
            ok = gh_ok(m.group())
            if cats and SEC in cats and not ok:
                errs.append("%s: github token with bad CRC in a secret case" % tag)
            if not cats and ok:
                errs.append("%s: valid github token in a benign post" % tag)
        for m in RX_AKIA.finditer(text):
            if not cats and not m.group().endswith("EXAMPLE"):
                errs.append("%s: real-looking AWS key in a benign post" % tag)
            if cats and m.group().endswith("EXAMPLE"):
                errs.append("%s: sample AWS key in a positive" % tag)
        if SEC in cats and not re.search(
                r"gh[pousr]_|AKIA|sk_live_|xox[bp]-|AIza|sk-proj-|sk-ant-|PRIVATE KEY|eyJ|://\w+:[^@\s]+@|wachtwoord:|live_",
                text):
            errs.append("%s: secret case without a recognisable credential" % tag)

        low = text.lower()
        if not cats:
            for term, until in embargo:
                if term in low and when < until:
                    errs.append("%s: embargo term %r before until in a benign post" % (tag, term))
            for m in RX_EMAIL.finditer(text):
                if m.group().lower() not in PUB_EMAILS:
                    errs.append("%s: unlisted e-mail %s in a benign post" % (tag, m.group()))
            for m in RX_PHONE.finditer(RX_IBAN.sub(" ", text)):
                if norm_phone(m.group()) not in PUB_PHONES:
                    errs.append("%s: unlisted phone %s in a benign post" % (tag, m.group()))
            for lp, val in prices_near_products(text):
                if val < ratio * lp and not c["_hard"]:
                    errs.append("%s: benign post has %.2f next to a product listed at %.2f" % (tag, val, lp))
            names = [n.lower() for n in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                     + PROFILE["internal"]["domains"]]
            if any(n in low for n in names) and not c["_hard"]:
                errs.append("%s: internal name in a benign post" % tag)
        if PR in cats:
            if not mentions_product(text):
                errs.append("%s: pricing case without a product from the profile" % tag)
            pairs = prices_near_products(text)
            if not any(val < ratio * lp for lp, val in pairs) and not re.search(r"prijsfout|price error|glitch|fat-finger",
                                                                                low):
                errs.append("%s: pricing case without a low price or price-error talk" % tag)
        if CONF in cats and not when:
            pass

    # the generated identifiers themselves
    for k in ("IBAN_A", "IBAN_B", "IBAN_C"):
        assert iban_ok(V[k]), k
    for k in ("CARD_A", "CARD_B"):
        assert luhn_ok(V[k]), k
    for k in ("BSN_A", "BSN_B"):
        assert bsn_ok(V[k]), k
    assert not iban_ok(V["BADIBAN"]) and not luhn_ok(V["BADCARD"]) and not luhn_ok(V["BADKLANT"])
    assert not bsn_ok(V["BADBSN"]) and not gh_ok(V["BADGHP"])
    assert gh_ok(V["GHP"]) and gh_ok(V["GHS"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA_A"]) and re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA_B"])
    hdr = V["JWT"].split(".")[0]
    assert "alg" in json.loads(base64.urlsafe_b64decode(hdr + "=" * (-len(hdr) % 4)))
    for ib in PROFILE["public_identifiers"]["ibans"]:
        assert iban_ok(ib), ib

    # the mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    return errs


def main():
    cases = build()
    lines = [json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False, sort_keys=False)
             for c in cases]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    errs = check(cases, lines)
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    nl = sum(1 for p in POSTS if p["lang"] == "nl")
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    roles = {}
    for c in cases:
        key = (c["_role"], "benign" if not c["expect"]["categories"] else "positive")
        roles[key] = roles.get(key, 0) + 1
    print("cases: %d  benign: %d  positive: %d" % (len(cases), benign, len(cases) - benign))
    print("dutch: %d (%.0f%%)" % (nl, 100.0 * nl / len(cases)))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    for k in sorted(roles):
        print("  %-22s %d" % ("/".join(k), roles[k]))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
