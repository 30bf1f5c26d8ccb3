#!/usr/bin/env python3
"""Build the sealed evaluation set 257 (Veldvers B.V., organic vegetable boxes).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case (and section 1 post);
  * severities follow CONTRACT section 4, computed from the account role that the
    profile gives, never typed by hand;
  * every IBAN / payment card / BSN in a leak.pii positive passes its checksum,
    every look-alike in a post without leak.pii fails it (company IBAN excepted);
  * generated GitHub tokens carry a correct CRC-32, JWT headers carry `alg`;
  * codenames, internal hosts, markers and embargo terms only appear where the
    labels say leak.confidential (or after the embargo);
  * the category mix, benign share and language mix are within the brief.
Exit status 0 only when every check passes.
Requires Python 3 and PyYAML.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(25700257)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"

# ---------------------------------------------------------------------------
# checksum helpers
# ---------------------------------------------------------------------------
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16, "FR": 27, "GB": 22}


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if len(s) < 15 or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", s):
        return False
    if s[:2] in IBAN_LEN and len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_valid(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s[0] == "0":
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t % 11 == 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


# ---------------------------------------------------------------------------
# generators (each identifier is registered so the self-check can find it)
# ---------------------------------------------------------------------------
REG = []  # (kind, text-as-written, valid)


def reg(kind, shown, valid):
    REG.append((kind, shown, valid))
    return shown


def _iban_check(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(cc="NL", bank=None, valid=True, spaced=True):
    if cc == "NL":
        bank = bank or rng.choice(["ABNA", "RABO", "INGB", "TRIO", "ASNB", "BUNQ", "KNAB", "SNSB"])
        bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    elif cc == "DE":
        bban = "".join(rng.choice(string.digits) for _ in range(18))
    elif cc == "BE":
        first = "".join(rng.choice(string.digits) for _ in range(10))
        chk = int(first) % 97 or 97
        bban = first + "%02d" % chk
    else:
        raise ValueError(cc)
    check = _iban_check(cc, bban)
    if not valid:
        check = "%02d" % ((int(check) + rng.randint(1, 40)) % 97 + 2)
        if _iban_check(cc, bban) == check:
            check = "%02d" % ((int(check) + 7) % 97 + 2)
    s = cc + check + bban
    shown = _group4(s) if spaced else s
    return reg("iban", shown, iban_valid(s))


def card(brand="visa", valid=True, sep=" "):
    if brand == "visa":
        body = "4" + "".join(rng.choice(string.digits) for _ in range(14))
        groups = (4, 4, 4, 4)
    elif brand == "mc":
        body = "5" + rng.choice("12345") + "".join(rng.choice(string.digits) for _ in range(13))
        groups = (4, 4, 4, 4)
    elif brand == "amex":
        body = "3" + rng.choice("47") + "".join(rng.choice(string.digits) for _ in range(12))
        groups = (4, 6, 5)
    else:
        raise ValueError(brand)
    for last in range(10):
        if luhn_valid(body + str(last)):
            break
    if not valid:
        last = (last + rng.randint(1, 9)) % 10
    num = body + str(last)
    parts, i = [], 0
    for g in groups:
        parts.append(num[i:i + g])
        i += g
    return reg("card", sep.join(parts), luhn_valid(num))


def bsn(valid=True):
    while True:
        first = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if last == 10:
            continue
        if not valid:
            last = (last + rng.randint(1, 9)) % 10
        num = first + str(last)
        if bsn_valid(num) == valid:
            return reg("bsn", num, valid)


def phone(style):
    sub = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
    if style == "dash":
        return "06-" + sub
    if style == "space":
        return "06 " + sub[:4] + " " + sub[4:]
    if style == "intl":
        return "+31 6 " + sub[:4] + " " + sub[4:]
    if style == "intl0":
        return "+31 (0)6 " + sub[:2] + " " + sub[2:4] + " " + sub[4:6] + " " + sub[6:]
    if style == "pairs":
        return "06 " + " ".join(sub[i:i + 2] for i in range(0, 8, 2))
    raise ValueError(style)


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


GH_TOKENS = []


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    GH_TOKENS.append(tok)
    return tok


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def mollie_live():
    return "live_" + rand(ALNUM, 30)


def _digits_failing(n):
    # digits for chat-token segments that can never look like a card or a BSN
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, n - 1)
        if not luhn_valid(s) and not bsn_valid(s):
            return s


def slack_bot():
    return "xoxb-" + _digits_failing(13) + "-" + _digits_failing(13) + "-" + rand(ALNUM, 24)


def openai_key():
    a = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rand(a, 74) + "T3BlbkFJ" + rand(a, 74)


def google_key():
    return "AIza" + rand(string.ascii_letters + string.digits + "_-", 35)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 97)


def pg_password():
    return rand(string.ascii_letters + string.digits, 12) + rng.choice("!#%") + rand(string.digits, 2)


def human_password():
    words = ["Spruitje", "Boerenkool", "Pompoen", "Bietje", "Radijs", "Prei", "Pastinaak", "Koolraap"]
    return rng.choice(words) + rng.choice(["!", "#", "@", "$"]) + str(rng.randint(10, 99)) + rng.choice(["", "vv", "Vv"])


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


JWTS = []


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 31_000_000)
    payload = {"sub": "cust_" + rand(string.digits, 6), "role": "customer", "iat": iat, "exp": iat + 900,
               "iss": "auth.veldvers.nl"}
    tok = ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                    b64url(json.dumps(payload, separators=(",", ":")).encode()),
                    b64url(bytes(rng.getrandbits(8) for _ in range(32)))])
    JWTS.append(tok)
    return tok


def rsa_private_key_block(lines=9):
    body = "MIIEpAIBAAKCAQEA" + rand(string.ascii_letters + string.digits + "+/", 48)
    out = [body]
    for _ in range(lines - 1):
        out.append(rand(string.ascii_letters + string.digits + "+/", 64))
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(out) + "\n-----END RSA PRIVATE KEY-----"


# ---------------------------------------------------------------------------
# case construction
# ---------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "sec": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def P(platform, handle, text, cats=(), lang="nl", kind=None, at=None, name=None, allow=()):
    """One hand-written post. `allow` lists deliberate hard-negative exceptions for the self-check."""
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(CAT[c] for c in cats),
                      lang=lang, kind=kind, at=at, name=name, allow=set(allow)))


# ======================= benign posts (hard negatives mostly) ===================
P("x", "@veldvers", "Nieuw in de Soepbox deze week: pompoen-gembersoep 🎃 Bestel vóór dinsdag 23:59 via veldvers.nl en hij staat vrijdag op je stoep.")
P("x", "@veldvers_help", "@lotte_bakt Oei, wat vervelend dat je box er nog niet is! Stuur je ordernummer even naar klantenservice@veldvers.nl of bel gratis 0800-8353, dan zoeken we het meteen uit 🙏")
P("x", "@jessiebakes_", "the veldvers salad box this week is honestly fire 🔥🔥 those radishes SLAP", lang="en")
P("x", "@gertjan_z", "@veldvers leveren jullie ook in Zwolle-Zuid? wil de groentebox middel wel eens proberen")
P("instagram", "@veldvers.nl", "Deze week 20% korting op de Fruitbox: €15,96 i.p.v. €19,95 🍎🍐 Alleen t/m zondag, op=op!")
P("reddit", "u/saltyspoon_nl", "Honest review after 3 months: the Veldvers Kookbox 2p is a killer deal imo. €39,95 for three dinners for two, cheaper than Thuisbezorgd and way less guilt.", lang="en")
P("x", "@mamavanmees", "Mijn zoontje noemt de knolselderij uit de @veldvers box 'het monster'. Hij heeft 'm nu Kees genoemd en wil hem niet meer opeten 😂")
P("x", "@dataprivacy_dan", "FreshCrate UK just confirmed a data breach hitting ~200k subscribers. Reminder to use unique passwords everywhere, folks. (no, not Veldvers, different company)", lang="en")
P("facebook", "ria.mulder.54", "Heel veel sterkte aan alle boeren in Limburg na het noodweer 💚 Mooi dat Veldvers heeft aangeboden de misoogst gewoon af te nemen.", name="Ria Mulder")
P("linkedin", "veldvers", "Onze jaarcijfers 2026 staan online 📊 Dank aan alle telers, chauffeurs en abonnees die dit mogelijk maakten. Lees het volledige verslag op veldvers.nl/investeerders",
  at="2027-03-04T09:30:00Z")
P("linkedin", "veldvers", "It's here: Oogstbox Pro 🌾 Our biggest box yet, filled by 40 Dutch organic farms. Order from today at veldvers.nl.",
  lang="en", at="2027-01-20T10:15:00Z")
P("x", "@wimpie1961", f"Is {iban('NL', 'INGB', valid=False, spaced=False)} het rekeningnummer van Veldvers? Kreeg een betaalverzoek via whatsapp, lijkt me niet te vertrouwen…")
P("reddit", "u/hobbyhacker42", "Following a tutorial to build a little dashboard for my Veldvers deliveries. It says to put AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the config — those are just the AWS placeholders, right?", lang="en")
P("x", "@priya_codes", "PSA for juniors: never paste tokens into tickets or PRs. If you see something shaped like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a diff, flag it and rotate. Vault exists for a reason.", lang="en")
P("x", "@lotte_bakt", "Update: de klacht van vorige week over mijn kapotte eierdoos is binnen een uur opgelost door @veldvers_help. Alles vergoed + een gratis appelsap erbij. Chapeau 👏")
P("threads", "@noodles.and.nonsense", "my fridge is 80% veldvers kale at this point. send help (jk it's delicious)", lang="en")
P("instagram", "@chef.noor.veldvers", "Pastinaak-appelsoep uit de Knollenbox 🥣 2 pastinaken, 1 zure appel, bouillon, snufje nootmuskaat. Pureren, klaar. Makkelijker wordt het niet! #veldvers #soepseizoen")
P("x", "@bo_vanderwal", "waar kan ik mijn wachtwoord wijzigen in de veldvers app? kan het nergens vinden 🙈")
P("x", "@dad_of_three_nl", f"my 6yo tried to order broccoli on the veldvers site with the 'card number' {card('visa', valid=False)}. it did not work. she is devastated", lang="en")
P("instagram", "@juf.sanne", f"Mijn leerlingen moesten een nep-BSN verzinnen voor een rekenles en eentje schreef {bsn(valid=False)} op een lege Veldvers-doos 😂 (klopt natuurlijk niet, we hebben samen de elfproef gedaan!)")
P("x", "@veldvers", "Groentebox Groot: €34,95 per week, genoeg voor 4 personen. Pauzeren of opzeggen kan altijd, gewoon in de app 🥕🥦")
P("x", "@theamsterdamcook", "Tried the Veldvers Gezinsbox for the first time. €44.95 felt steep but honestly the quality is unreal. Giving it a month.", lang="en")
P("x", "@foodbiz_watch", "Las net dat GroenGemak wordt overgenomen door een Duitse supermarktketen. Benieuwd of Veldvers de enige onafhankelijke boxenboer blijft.")
P("linkedin", "ilse-verbruggen", "We zoeken chauffeurs in regio Utrecht! 🚐 32-38 uur, elektrisch rijden, vaste route, leuk team. Stuur je cv naar werkenbij@veldvers.nl of bel 030 799 4410.")
P("x", "@kimchi_kiki", "veldvers is killing it with the mushroom box. those shiitake were insane 🍄", lang="en")
P("x", "@studentenkok", "Kookbox 4p komt neer op zo'n €5,83 per portie. Goedkoper dan de snackbar en je moeder is ook blij 😅", allow={"low_price"})
P("instagram", "@veldvers.nl", "New here? Get €5 off your first Groentebox Klein with code HALLOVELD 🌱", lang="en", allow={"low_price"})
P("x", "@ellen_runs", "Saw a Veldvers driver carry an old lady's shopping up three flights of stairs this morning before dropping off her box. Respect 🙏", lang="en")
P("x", "@b0ertje", "die gezinsbox is echt de bom 💣 alles vers, alles lekker, zelfs mijn puber eet spruitjes")
P("threads", "@femkefotografeert", "ik ga dood van het lachen, mijn kat zit al een uur in de lege veldvers koeltas 😹")
P("tiktok", "@veldvers.keuken", "3 manieren om je boerenkool op te maken voordat hij slap wordt 👇 #veldvers #nowaste #boerenkool")
P("bluesky", "@greenmum.bsky.social", "Yet another supermarket spinach recall this week (listeria). Reason #47 I get my veg from Veldvers now.", lang="en")
P("bluesky", "@kees-devops.bsky.social", "Finished moving our team's dashboards to the new monitoring stack this week. Zero downtime, very proud of the crew 💪 Writing up the general approach for my blog soon.", lang="en")
P("x", "@priya_codes", "conference slides are up! 'Scaling a subscription checkout to 100k weekly boxes' — no secrets in there, I promise 😄", lang="en")
P("mastodon", "@stackdiver@hachyderm.io", "PSA from our incident review: the log only ever showed sk_live_************************ — redaction works. Still rotated it, because paranoia is a feature.", lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", "Weekendklus: kippenhok gebouwd van oude Veldvers-kratten. Hergebruik ftw ♻️🐔")
P("x", "@marijevdb", "@veldvers_help hoi! kan ik mijn box een weekje overslaan als we op vakantie zijn? of moet ik dan opzeggen?")
P("x", "@dutchmarkets", "Veldvers full-year 2026 results out yesterday: subscribers up, margins thin. Not bad for a veg box company in this market.",
  lang="en", at="2027-03-05T11:02:00Z")
P("facebook", "hanneke.smit.utrecht", "Voor wie het zoekt: het gratis nummer van Veldvers is 0800-8353. Supervriendelijk geholpen vandaag 😊", name="Hanneke Smit")
P("facebook", "VeldversBiologisch", "Liever per overschrijving betalen voor je Oogstjaar abonnement? Dat kan! Maak €1.199 over naar NL63 RABO 0331 7720 95 t.n.v. Veldvers B.V. o.v.v. je klantnummer.")
P("reddit", "u/pausebuttonpro", "I fully exploit the Veldvers pause button every summer lol. 6 weeks off, zero fuss, box is back the day we land.", lang="en")
P("x", "@tuinman_theo", "onze regenton is lek maar de sla uit het Veldvers moestuinpakket groeit er gewoon vrolijk door 😂🥬")
P("x", "@mealprepmarco", "I hacked one Veldvers soup box into three lunches and a pasta sauce. Life hack: blend the leftover leek greens into pesto.", lang="en")
P("instagram", "@saar.eet", "Schandalig lekker, die Paddenstoelenbox. Echt een schande dat ik 'm niet eerder heb geprobeerd 🍄")
P("linkedin", "mark-devos-consultant", "Sad to see GreenCart laying off 300 people this week. The meal-box market is brutal. Good luck to everyone affected.", lang="en")
P("linkedin", "veldvers", "We're proud to welcome 12 new partner farms in Friesland and Groningen this season 🌱 More local, fewer kilometres.", lang="en")
P("x", "@vraagjevanvera", "Waarom staat er 'VV-' voor mijn ordernummer op de pakbon van Veldvers? Betekent dat iets?")
P("x", "@allergymama_", "Veldvers customer service 10/10. Asked about allergens in the Babyhapjesbox and had a full ingredient list within 5 minutes.", lang="en")
P("instagram", "@tuinvanjoke", "Vanochtend een kolibrievlinder op de lavendel uit mijn Veldvers kruidentuintje gespot 🦋 zo snel dat ik 'm bijna niet op de foto kreeg")
P("x", "@gerritsdad", "The kids found a massive earthworm in the Veldvers grow kit soil and named it Gerrit. Best €49,95 we ever spent.", lang="en")
P("x", "@bureaucratie_nl", "Fijn dat de Veldvers app gewoon niet om je BSN vraagt. Waarom wil de sportschool dat dan wél weten??")
P("x", "@marloes_akker", "Drukke maandag bij de klantenservice, maar alle vragen van het weekend zijn weggewerkt 💪 Trots op dit team!")
P("x", "@kerstfan88", "Feestbox in de aanbieding: €44,95 ipv €59,95. Meteen besteld voor kerst 🎄")
P("linkedin", "yara-oussaid", "Our spring campaign is live! Shot on a real farm in Flevoland, zero filters, real mud. Go have a look on our Instagram 🌱", lang="en")
P("x", "@newmum_leila", "dying to try the new Veldvers baby box, anyone used it with a 9 month old? is the puree too chunky?", lang="en")
P("facebook", "joyce.degraaf.1", "Bij mijn vorige maaltijdbox (niet Veldvers!) kwam alles altijd te laat en half bedorven. Sinds de overstap nooit meer gedoe 🙌", name="Joyce de Graaf")
P("x", "@priya_codes", "Reminder: `DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app` is how you template it. The literal password lives in the secret store, never in the repo.", lang="en")
P("x", "@bas_fietst", f"Huh, mijn incasso bij Veldvers mislukte. Bleek dat ik {iban('NL', 'ABNA', valid=False)} had ingevuld, één cijfer fout 🙈 eigen schuld, nu opgelost.")
P("x", "@veldvers_help", "@bas_fietst Fijn dat het gelukt is! Mocht het nog eens misgaan, mail ons gerust op klantenservice@veldvers.nl 💚")
P("x", "@dutchfoodie_", "Veldvers Express is live in Utrecht and my box showed up 90 minutes after ordering. Witchcraft.", lang="en", at="2027-01-22T18:40:00Z")
P("linkedin", "ilse-verbruggen", f"Voorbeeld voor onze training loonadministratie: BSN {bsn(valid=False)} (fictief, haalt de elfproef bewust niet). Nooit echte nummers in oefenmateriaal!")

# ======================= complaints ===========================================
P("x", "@kim_vrolijk", "@veldvers_help derde week op rij dat mijn groentebox pas om half 11 's avonds komt terwijl het venster 17-20u is. zo kan ik echt niks plannen hè 😤", ["complaint"])
P("x", "@marcusbakes", "opened my veldvers box and half the spinach was slimy mush. paying €24.95 a week for compost isn't it", ["complaint"], lang="en")
P("facebook", "ingrid.postma.7", "Probeer al twee weken mijn abonnement op te zeggen maar de knop in de app geeft steeds 'er ging iets mis'. Moet ik nou echt een aangetekende brief sturen?? #veldvers", ["complaint"], name="Ingrid Postma")
P("x", "@rainyday_rob", "box left in the pouring rain on my doorstep, cardboard basically dissolved and 4 of the eggs cracked. not what I pay for @veldvers", ["complaint"], lang="en")
P("x", "@tanteannie", "Wéér geen aardappels in de box terwijl ze gewoon op de pakbon staan. Vorige week waren de uien 'vergeten'. Kijkt daar eigenlijk iemand naar bij Veldvers?", ["complaint"])
P("x", "@holdmusic_hater", "47 minutes on hold with Veldvers support. FORTY SEVEN. just refund the missing fruit box pls", ["complaint"], lang="en")
P("x", "@jorisdewit", "@veldvers dubbel afgeschreven deze maand voor de kookbox 2p en nog steeds geen reactie op mijn mail van maandag. Hoe lang nog?", ["complaint"])
P("threads", "@kaleno_more", "why is every single veldvers box 60% kale. I get that it's seasonal but I am begging for ONE week without kale 😩", ["complaint"], lang="en")
P("instagram", "@groenegerda", "Zoveel plastic om één biologische komkommer @veldvers.nl, wat is hier nog duurzaam aan? Echt teleurgesteld.", ["complaint"], kind="comment")
P("x", "@nijmegenaar_p", "bezorger gooide de box gewoon over het hek. kruiden overal in de tuin, eieren gebroken. top werk veldvers 👏👏", ["complaint"])
# complaint + abuse
P("x", "@fleurtje_92", "Stelletje klootzakken bij Veldvers. Weer 2 uur te laat en wéér rotte tomaten in de box. Ik ben er klaar mee.", ["complaint", "abuse"])
P("x", "@annoyed_in_ams", "your app charged me twice and your support bot is useless. fuck you veldvers, seriously", ["complaint", "abuse"], lang="en")
P("x", "@zuurpruim", "3e keer geen fruit in mijn fruitbox. K.U.T.B.E.D.R.I.J.F. @veldvers_help", ["complaint", "abuse"])
# complaint + personal data (customer exposes own data)
P("x", "@rdijkstra", f"@veldvers_help al 3x gebeld, niemand belt terug. bel me AUB op {phone('dash')}, het gaat om 2 gemiste leveringen!!", ["complaint", "pii"])
P("x", "@jokafor", f"Refund STILL not in my account after 3 weeks. It's {iban('NL', 'BUNQ')} (J. Okafor). Veldvers please just transfer it already", ["complaint", "pii"], lang="en")
# first-hand harm: crisis + complaint
P("facebook", "mirjam.koster.3", "Na de spinazie uit onze Veldvers box van dinsdag is het hele gezin ziek. Overgeven, diarree, de kleinste is uitgedroogd. Huisarts denkt aan voedselvergiftiging. Wat zit er in jullie groente?!", ["crisis", "complaint"], name="Mirjam Koster")
P("x", "@tomhartley_", "Found a shard of GLASS in the pumpkin soup from my Veldvers soup box. My son nearly swallowed it. This is absolutely not ok @veldvers", ["crisis", "complaint"], lang="en")
P("instagram", "@mama.van.fenna", "Fenna heeft een notenallergie. In de Babyhapjesbox zat een potje met cashew dat NIET op het etiket stond. Met spoed naar de SEH gegaan. Ze is oké, maar @veldvers.nl dit had heel anders kunnen aflopen.", ["crisis", "complaint"])
P("reddit", "u/itchy_hands_22", "The ice pack in my Veldvers cool bag leaked some blue gel all over the veg and my daughter got a nasty rash on her hands from unpacking it. Anyone else??", ["crisis", "complaint"], lang="en")
P("x", "@hovenier_hans", "Gisteren m'n hand opengehaald aan een roestig nietje dat uit de Veldvers krat stak. 3 hechtingen. Graag een reactie @veldvers_help", ["crisis", "complaint"])

# ======================= crisis (third party / scandal / boycott) ==============
P("x", "@eerlijkvoedsel", "Veldvers laat seizoenswerkers 14 uur per dag werken voor een hongerloon. Zeg je abonnement op en deel dit. #boycotVeldvers", ["crisis"])
P("x", "@lisaontech", "Got a phishing email with my name, address AND my exact Veldvers order history. Pretty sure they've been breached and aren't telling anyone. #databreach", ["crisis"], lang="en")
P("x", "@nieuwsflits_nl", "Veldvers roept Saladebox van week 14 terug vanwege mogelijke listeria in de rucola. Klanten wordt gevraagd de sla niet te eten.", ["crisis"])
P("x", "@foodlawyer_eu", "Consumer group is taking Veldvers to court over 'organic' labels on imported produce that apparently was never certified. Big if true.", ["crisis"], lang="en")
P("tiktok", "@undercover_boer", "Undercover beelden 🎥 Veldvers-teler spuit gewoon bestrijdingsmiddel op 'biologische' sla. Dit is fraude en jullie betalen ervoor.", ["crisis"])
P("x", "@utrecht_updates", "A Veldvers delivery van crashed into a bus shelter on the Biltstraat this morning, two people taken to hospital per local news.", ["crisis"], lang="en")
P("x", "@voedselbankvrijwilliger", "B\u043e\u0443\u0441\u043et V\u0435ldv\u0435rs!! Ze gooien elke week tonnen goed eten weg terwijl de voedselbank leeg is.", ["crisis"])
P("facebook", "claire.vos.2019", "Hearing from several parents at school that their little ones got sick after the Veldvers baby food pouches. GGD is apparently looking into it. Be careful everyone.", ["crisis"], lang="en", name="Claire Vos")
P("x", "@wachtwoordweg", "Hoe kan het dat mijn Veldvers-wachtwoord in een gelekte lijst staat die op Telegram rondgaat?? Jullie database is gewoon gelekt, geef het nou gewoon toe.", ["crisis"])
P("x", "@farmersfirst_", "Veldvers donated to that anti-farmer lobby?? Cancelling today and telling everyone I know to do the same. #BoycottVeldvers", ["crisis"], lang="en")

# ======================= abuse =================================================
P("x", "@ontevredenklant", "Veldvers is een stelletje oplichters en hun klantenservice bestaat uit debielen.", ["abuse"])
P("x", "@grumpygus", "whoever runs the veldvers twitter account is a clueless moron lmao", ["abuse"], lang="en")
P("x", "@snauwtje", "@marloes_akker jij bent echt de domste teamleider die ik ooit heb meegemaakt, ga lekker ergens anders werken trut", ["abuse"])
P("x", "@truepatriot_77", "Of course Veldvers only hires foreigners to drive their vans. Go back where you came from, nobody wants you here.", ["abuse"], lang="en")
P("x", "@h4ter_nl", "V3ldv3rs kl00tz4kk3n, j4ll13 k4nn3n d00dv4ll3n", ["abuse"])
P("x", "@ruben_vv", "sommige klanten zijn echt zo dom als het achtereind van een varken. vandaag 3x aangebeld bij dezelfde idioot die 'niks had gehoord' 🙄", ["abuse"])
P("reddit", "u/angrycarrot", "Veldvers CEO is a greedy piece of shit, charging 45 euros for a box of muddy carrots", ["abuse"], lang="en")
P("x", "@boos_op_alles", "@veldvers_help jullie zijn echt een s t e l l e t j e   i d i o t e n", ["abuse"])
P("x", "@veganhatergrr", "@veldvers shut up and die, nobody wants your smug organic bullshit", ["abuse"], lang="en")

# ======================= personal data =========================================
P("x", "@veldvers_help", f"@henk_vdl Hoi Henk, we zien je bestelling op naam van H. van der Linden, Kastanjelaan 14, 3581 AB Utrecht. Klopt het dat we {iban('NL', 'INGB')} mogen gebruiken voor de terugbetaling?", ["pii"])
P("x", "@marloes_akker", f"Collega's, wie kan mevrouw Annelies Groot even terugbellen? {phone('space')}, gaat over een kapotte eierdoos. Ik zit vast in overleg", ["pii"])
P("linkedin", "ilse-verbruggen", "Welcome to our new warehouse lead Bram Willemsen (born 12 March 1989)! 🎉 Colleagues can reach him at bram.willemsen89@gmail.com for onboarding questions.", ["pii"], lang="en")
P("x", "@ruben_vv", "pakket voor mevr. T. Bos, Molenstraat 7b, 6811 HE Arnhem staat nog in het depot. rijdt er morgen iemand langs Arnhem?", ["pii"])
P("x", "@sophie_dkkr", "hey @veldvers_help my new email is sophie.m.dekker@outlook.com, please update it, the app won't let me change it myself", ["pii"], lang="en")
P("x", "@vincent_z", f"Mijn creditcard {card('visa')} wordt steeds geweigerd bij het afrekenen van de Fruitbox, wat doe ik fout? @veldvers_help", ["pii"])
P("x", "@priya_codes", f"debugging a failed payment: customer card {card('mc', sep='-')} exp 09/28 keeps getting declined by the gateway?? someone from payments pls look", ["pii"], lang="en")
P("bluesky", "@kees-devops.bsky.social", f"can someone from support check BSN {bsn()} in the old customer import? that field shouldn't even exist, we never asked customers for a BSN", ["pii"], lang="en")
P("facebook", "VeldversBiologisch", "Beste Fatma Yılmaz, we hebben uw nieuwe adres genoteerd: Bergweg 221, 3036 BK Rotterdam. Ter verificatie uw geboortedatum: 04-07-1976. Fijne dag!", ["pii"], kind="comment")
P("x", "@zomervakantie_zoe", f"Wie wil mijn Veldvers box overnemen tijdens de zomervakantie (3 weken)? App me even op {phone('pairs')}", ["pii"])
P("threads", "@sem.logistiek", f"Route 14 vandaag: dhr. Pieters ({phone('intl')}) wil de box bij de achterdeur, mevr. Hendriks op nr 12 wil 'm bij de buren. Succes Kevin!", ["pii"])
P("x", "@anke_b_de", f"Veldvers keeps failing the direct debit. The IBAN is {iban('DE')} (my husband's German account), is that the problem?", ["pii"], lang="en")
P("linkedin", "joost-hofstede-veldvers", f"Betaling aan onze teler Jan Hoekstra is twee keer teruggekomen, rekening {iban('NL', 'TRIO', spaced=False)}. Kan iemand van crediteuren het mandaat checken vóór vrijdag?", ["pii"])

# ======================= confidential ==========================================
P("x", "@priya_codes", "whoever broke the staging deploy on gitlab.veldvers.internal, I see you 👀 pipeline #4412 has been red since lunch", ["conf"], lang="en")
P("instagram", "@chef.noor.veldvers", "Sneak peek van de Oogstbox Pro die we vandaag fotograferen 🤫📸 nog even geheim, maar wat is ie mooi", ["conf"], at="2026-11-14T13:05:00Z")
P("linkedin", "yara-oussaid", "Big things coming with Kolibrie 👀 can't say more yet, but our customers are going to love ordering straight from their smartwatch.", ["conf"], lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", "Morgen kick-off van Project Pasti\u200bnaak. Eindelijk! Slaap er nu al slecht van 😅", ["conf"])
P("x", "@ruben_vv", "rooster voor december staat in wiki.veldvers.local/magazijn/planning — wie wil ruilen voor zaterdag de 20e?", ["conf"])
P("tiktok", "@veldvers.keuken", "[concept — alleen voor intern gebruik, niet posten vóór akkoord legal] Nieuwe serie: koken met restjes 🥕", ["conf"])
P("x", "@neefjevanjan", "Mijn neef werkt bij Veldvers en zegt dat ze in januari met Veldvers Express komen, bezorging binnen 2 uur. Zat in een interne presentatie 👀", ["conf"], at="2026-12-20T20:11:00Z")
P("bluesky", "@kees-devops.bsky.social", "if anyone at work needs the new on-call runbook it's at https://wiki.veldvers.local/ops/runbooks/bezorgplanning — oh wait you can't reach that from here, never mind 🙃", ["conf"], lang="en")
P("linkedin", "ilse-verbruggen", "Inspirerende sessie gehad over Operatie Regenworm met het MT. Spannende maanden tegemoet voor ons distributiecentrum! 💪", ["conf"])
P("threads", "@sem.logistiek", "Deze slide had ik misschien niet moeten delen 😬 'VV-INTERN — routeplanning Q1 2027' maar hé, we worden efficiënter!", ["conf"])
P("x", "@priya_codes", "lol the product team named the new app \uff4b\uff4f\uff4c\uff49\uff42\uff52\uff49\uff45, cutest codename ever 🐦", ["conf"], lang="en")
P("x", "@discordlurker", "someone dropped a Veldvers deck marked 'vertrouwelijk - veldvers' in our Discord. roadmap has drone deliveries in 2027 lmao", ["conf"], lang="en")
P("linkedin", "yara-oussaid", "Shot the launch film for Veldvers Express today 🎬 Can't wait for you all to see it in January!", ["conf"], lang="en", at="2026-12-02T16:45:00Z")
P("instagram", "@chef.noor.veldvers", "Fotoshoot voor K o l i b r i e vandaag 🤐 mag er nog helemaal niks over zeggen", ["conf"])
P("x", "@veldvers", "Benieuwd hoe druk het is op de weg? Kijk live mee op grafana.ops.veldvers.nl/d/bezorging 📈", ["conf"])
# confidential + financial
P("bluesky", "@kees-devops.bsky.social", "jaarcijfers 2026 are looking really good btw, ebitda finally positive. can't say more until march 😁", ["conf", "fin"], lang="en", at="2027-02-10T21:17:00Z")
P("linkedin", "joost-hofstede-veldvers", "Project Pastinaak is signed 🖊️ We're acquiring Boerenbak Direct for roughly €38M, announcement next month. Proud of this team.", ["conf", "fin"], lang="en")
# confidential + pricing
P("x", "@marloes_akker", "intern testen van de Kolibrie-app: Gezinsbox staat daar op €4,49 😂 moet nog even gefixt vóór de lancering", ["conf", "pricing"])

# ======================= financial =============================================
P("linkedin", "joost-hofstede-veldvers", "Q3 loopt boven verwachting: we zitten al op €21,4 mln omzet, ruim 12% boven budget. Nog niet publiek dus ssst 😉", ["fin"])
P("x", "@ruben_vv", "gerucht op de vloer klopt: DC Nieuwegein gaat in maart dicht. 60 man moet naar Zwolle of kan vertrekken. balen 😞", ["fin"])
P("linkedin", "ilse-verbruggen", "Tough weeks ahead in HR: preparing the conversations with the 45 colleagues affected by the reorganisation, which won't be announced until next week.", ["fin"], lang="en")
P("x", "@boardroomgossip", "Heard from a friend on the board that Veldvers is in talks to be bought by a big Belgian retailer. Deal could close before summer.", ["fin"], lang="en")
P("threads", "@sem.logistiek", "Volgens de prognose die vandaag rondging draaien we dit jaar zo'n €3 miljoen verlies. Niet echt motiverend 😬", ["fin"])
P("bluesky", "@kees-devops.bsky.social", "board just approved outsourcing all of IT to a vendor in Poland next year. guess I'm updating my CV", ["fin"], lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", "Interne mail: aantal abonnees gezakt naar 61.000, 9% minder dan vorig kwartaal. Wordt nog niet naar buiten gebracht.", ["fin"])
P("x", "@priya_codes", "heard at the all-hands that we're raising a €15M series B led by a Dutch impact fund, signing next Tuesday 🚀", ["fin"], lang="en")
P("x", "@zwagervanbank", "Mijn zwager zit bij de bank die de Veldvers-overname financiert. Ze gaan voor zo'n €90 miljoen weg, maar dat weet nog niemand 🤫", ["fin"])
P("linkedin", "yara-oussaid", "Voor de marketingbudgetten van 2027 rekenen we met 25% groei in abonnees. Blijft even tussen ons, maar ik ben optimistisch!", ["fin"])

# ======================= security ==============================================
P("x", "@priya_codes", "we've had a SQL injection in the voucher endpoint since tuesday and nobody's patched it yet. please don't tell twitter 🙃", ["sec"], lang="en")
P("bluesky", "@kees-devops.bsky.social", "3am and still restoring the order database after last night's ransomware hit. customers don't know yet. send coffee ☕", ["sec"], lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", "Sinds vanochtend kun je via onze API andermans bezorgadres opvragen door gewoon het klantnummer op te hogen. Ticket staat op prio 1, nog niet gefixt.", ["sec"])
P("threads", "@sem.logistiek", "Hele routeplanning ligt plat sinds 05:00, chauffeurs rijden op papieren lijstjes. Naar klanten is nog niks gecommuniceerd 😬", ["sec"])
P("x", "@ruben_vv", "vannacht heeft iemand malware op de handscanners in het magazijn gezet, IT is er mee bezig. we mogen er niks over zeggen dus ssst", ["sec"])
P("x", "@itfriend_tips", "A guy I know in Veldvers IT says their password reset links never expire and they still haven't fixed it after a month. Yikes.", ["sec"], lang="en")
P("linkedin", "joost-hofstede-veldvers", "Vanochtend de verzekeraar ingelicht over de phishing-aanval op de finance-mailbox. Forensisch onderzoek loopt nog, leveranciers weten van niks.", ["sec"])
P("x", "@marloes_akker", "Ons klantenservicesysteem is al 4 uur onbereikbaar, we kunnen letterlijk niemand helpen. Officieel 'gepland onderhoud' maar dat is het dus niet 🤫", ["sec"])
P("bluesky", "@kees-devops.bsky.social", "found an S3 bucket with every customer invoice set to public-read. fixing it now, pretty sure it's been open since march 😬", ["sec"], lang="en")
P("x", "@priya_codes", "our 2FA can be bypassed by just dropping the otp param from the login request lmao. reported it internally 3 weeks ago, still open", ["sec"], lang="en")
P("threads", "@sem.logistiek", "iemand heeft vannacht van buitenaf in de koelinstallatie van het DC zitten klooien, temperaturen aangepast. IT zegt: mond houden tot ze meer weten", ["sec"])
P("mastodon", "@daanbouwt@mastodon.nl", "to my coworkers: the vuln in our checkout plugin is being actively exploited, patch ETA friday. don't discuss it in the public slack channels pls", ["sec"], lang="en")
# security + secret
P("bluesky", "@kees-devops.bsky.social", f"rotating everything after the breach. old key was {aws_key_id()} / {aws_secret()} — if your script still uses it, it dies in an hour", ["sec", "secret"], lang="en")

# ======================= secrets ===============================================
P("x", "@priya_codes", f"can someone tell me why this 401s?? curl -H \"Authorization: token {github_token('ghp_')}\" https://api.github.com/orgs/veldvers/repos", ["secret"], lang="en")
P("bluesky", "@kees-devops.bsky.social", f"DATABASE_URL=postgres://vv_orders:{pg_password()}@db-prod-2:5432/orders ok who left this in the README 😂", ["secret"], lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", f"Webhook met Mollie werkt eindelijk 🎉 voor wie mee wil testen, key: {mollie_live()}", ["secret"])
P("x", "@marloes_akker", f"nieuw wachtwoord van het gedeelde klantenservice-account: {human_password()} — oeps, verkeerd venster 🙈", ["secret"])
P("x", "@veldvers", f"Nieuwe bestellingen-bot voor #bestellingen: SLACK_BOT_TOKEN={slack_bot()}", ["secret"])
P("bluesky", "@kees-devops.bsky.social", f"recipe bot is down because someone rotated the key. new one for whoever needs it: OPENAI_API_KEY={openai_key()}", ["secret"], lang="en")
P("mastodon", "@daanbouwt@mastodon.nl", f"Wie van jullie heeft deze op de deploy-server laten slingeren??\n{rsa_private_key_block()}", ["secret"])
P("x", "@apkpoker", f"lol the Veldvers android app has a Google Maps key hardcoded: {google_key()} found it in 5 min with apktool", ["secret"], lang="en")
P("x", "@priya_codes", f"waarom verloopt deze jwt meteen? {jwt()}", ["secret"])
P("threads", "@sem.logistiek", f"wifi in het DC: VV-Magazijn / wachtwoord: {human_password()} Niet doorgeven aan de uitzendkrachten graag 😉", ["secret"])
P("bluesky", "@kees-devops.bsky.social", f"stripe webhook faalt nog steeds op prod, daar staat {stripe_live()} iemand een idee?", ["secret"])
P("x", "@priya_codes", f"ci kan niet bij de oauth app, dit is de token uit de actions-log: {github_token('gho_')} waarom 403?", ["secret"])

# ======================= pricing ===============================================
P("x", "@veldvers", "🎉 Weekdeal: de Gezinsbox voor maar €4,95! Alleen deze week, op=op.", ["pricing"])
P("instagram", "@veldvers.nl", "The Harvest Year plan, now just €119 for the whole year 🌾 Link in bio!", ["pricing"], lang="en")
P("x", "@dealjager_nl", "SNEL!! Kookbox 4p staat in de Veldvers app voor €6,99 🤯 prijsfout denk ik, heb er meteen 3 besteld", ["pricing"])
P("x", "@bargainbecky", "Veldvers site has the Moestuinpakket at €4.99 instead of €49.95 lol, price error, go go go", ["pricing"], lang="en")
P("x", "@marloes_akker", "Collega's: er staat een prijsfout op de Feestbox in de webshop, klanten bellen er al over. Wie kan dat aanpassen?", ["pricing"])
P("linkedin", "yara-oussaid", "Price test goes live tomorrow: Kookbox 2p at €14.95 for returning customers 🤫", ["pricing"], lang="en")
P("x", "@lachendeklant", "Zijn jullie gek geworden @veldvers? Paddenstoelenbox voor €2,19 in de app 😂 foutje bedankt?", ["pricing"])
P("facebook", "VeldversBiologisch", "Alleen dit weekend: Fruitbox voor €1,99 🍓 Bestel via veldvers.nl!", ["pricing"])
P("x", "@checkoutchaos", "checkout glitch? Groentebox Groot showing €3.49 in my basket. not complaining 👀", ["pricing"], lang="en")
P("threads", "@sem.logistiek", "Kassa in de boerderijwinkel rekent het Oogstjaar abonnement af voor €119,90 ipv €1.199 😬 iemand van IT?", ["pricing"])
P("reddit", "u/dealhunter_eu", "PSA: there's a pricing error on the Veldvers Saladebox page right now, the 10-week bundle is listed at the single-week price", ["pricing"], lang="en")

# ---------------------------------------------------------------------------
# roles, severity, timestamps, output
# ---------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, _, handle = entry.partition(":")
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def ids_in(text):
    return [(k, v, ok) for (k, v, ok) in REG if v in text]


def severity(cats, role, text):
    """CONTRACT section 4, computed from role + labels (+ whether a checksum-valid id is present)."""
    insider = role in ("corporate", "employee")
    strong_pii = any(ok and k in ("iban", "card", "bsn") for k, v, ok in ids_in(text))
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lv = SEV.index("error")
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    lv = SEV.index("critical")
            else:
                lv = SEV.index("warning")
        elif c == "reputation.complaint":
            lv = SEV.index("warning")
        elif c == "reputation.crisis":
            lv = SEV.index("error")
        elif c == "reputation.abuse":
            lv = SEV.index("error") if insider else SEV.index("warning")
        else:
            raise ValueError(c)
        level = max(level, lv)
    return SEV[level]


def random_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 360 * 24 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
random.Random(257).shuffle(order)

lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    role = role_of(c["platform"], c["handle"])
    post = {
        "id": "vv257-%s-%03d" % (c["platform"], n),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["at"] or random_2026(),
        "brand": "veldvers",
    }
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
    lines.append({"post": post, "expect": expect})
    c["role"] = role
    c["out"] = lines[-1]

with open(OUT_PATH, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def fail(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


PUBLIC_IBANS = {x.replace(" ", "").upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def scan_ibans(text):
    out = []
    for m in re.finditer(r"\b([A-Z]{2})(\d{2})", text):
        cc = m.group(1)
        if cc not in IBAN_LEN:
            continue
        buf, j = m.group(0), m.end()
        while j < len(text) and len(buf) < IBAN_LEN[cc] and (text[j].isalnum() or text[j] == " "):
            if text[j] != " ":
                buf += text[j]
            j += 1
        if len(buf) == IBAN_LEN[cc] and re.fullmatch(r"[A-Z0-9]+", buf):
            out.append(buf)
    return out


def scan_cards(text):
    return [re.sub(r"\D", "", m.group(0)) for m in re.finditer(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])", text)]


def scan_nine(text):
    return [m.group(0) for m in re.finditer(r"(?<![\d\w.,])\d{9}(?![\d\w])", text)]


def word_in(term, text):
    return re.search(r"(?<![\w])" + re.escape(term.lower()) + r"(?![\w])", text.lower()) is not None


PRICE_RE = re.compile(r"(?:€\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d{1,2}))?)|(?:(\d+)(?:[.,](\d{2}))?\s?(?:euro|eur)\b)", re.I)


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        if m.group(1):
            whole = m.group(1).replace(".", "")
            out.append(float(whole + "." + (m.group(2) or "0")))
        else:
            out.append(float(m.group(3) + "." + (m.group(4) or "0")))
    return out


seen_ids = set()
with open(OUT_PATH, encoding="utf-8") as fh:
    raw_lines = fh.read().splitlines()
for ln, raw in enumerate(raw_lines, 1):
    try:
        obj = json.loads(raw)
    except ValueError as e:
        fail("line %d: not JSON: %s" % (ln, e))
        continue
    if set(obj) != {"post", "expect"}:
        fail("line %d: top-level keys %s" % (ln, sorted(obj)))
    p, e = obj["post"], obj["expect"]
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), t):
            fail("line %d: post.%s missing or wrong type" % (ln, f))
    if not (1 <= len(p["id"]) <= 256):
        fail("line %d: id length" % ln)
    if p["id"] in seen_ids:
        fail("line %d: duplicate id %s" % (ln, p["id"]))
    seen_ids.add(p["id"])
    if p["platform"] not in PLATFORMS:
        fail("line %d: platform %s" % (ln, p["platform"]))
    if p.get("kind", "post") not in KINDS:
        fail("line %d: kind" % ln)
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("line %d: account.handle" % ln)
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        fail("line %d: text size" % ln)
    if not RFC3339.match(p["created_at"]):
        fail("line %d: created_at %s" % (ln, p["created_at"]))
    if not isinstance(e.get("categories"), list) or e["categories"] != sorted(set(e["categories"])):
        fail("line %d: categories not a sorted distinct list" % ln)
    if not set(e["categories"]) <= ALL_CATS or "reputation.spike" in e["categories"]:
        fail("line %d: unknown category" % ln)
    if e.get("severity") not in SEV:
        fail("line %d: severity" % ln)
    if (e["severity"] == "none") != (not e["categories"]):
        fail("line %d: none <-> benign mismatch" % ln)

for c in CASES:
    out = c["out"]
    p, e = out["post"], out["expect"]
    text, cats, pid = p["text"], set(e["categories"]), p["id"]
    ts = parse_ts(p["created_at"])
    if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2028, 1, 1, tzinfo=timezone.utc)):
        fail("%s: created_at outside 2026/2027" % pid)
    if ts.year == 2027 and not any(word_in(t, text) for emb in PROFILE["embargo"] for t in emb["terms"]):
        fail("%s: 2027 timestamp without embargo context" % pid)
    # severity recomputed independently of the writer loop
    if e["severity"] != severity(e["categories"], role_of(p["platform"], p["account"]["handle"]), text):
        fail("%s: severity drift" % pid)
    # identifiers: positives pass, look-alikes in posts without leak.pii fail
    found = ids_in(text)
    if "leak.pii" in cats:
        for k, v, ok in found:
            if not ok:
                fail("%s: %s %s in a PII positive fails its checksum" % (pid, k, v))
        for s in scan_ibans(text):
            if not iban_valid(s):
                fail("%s: IBAN-like %s in PII positive fails mod-97" % (pid, s))
        for s in scan_cards(text):
            if 13 <= len(s) <= 19 and not luhn_valid(s):
                fail("%s: card-like %s in PII positive fails Luhn" % (pid, s))
        if re.search(r"\bBSN\b", text):
            for s in scan_nine(text):
                if not bsn_valid(s):
                    fail("%s: BSN %s in PII positive fails 11-proof" % (pid, s))
    else:
        for k, v, ok in found:
            if ok:
                fail("%s: checksum-valid %s %s in a post without leak.pii" % (pid, k, v))
        for s in scan_ibans(text):
            if iban_valid(s) and s not in PUBLIC_IBANS:
                fail("%s: valid IBAN %s outside PII positives" % (pid, s))
        for s in scan_cards(text):
            if 13 <= len(s) <= 19 and luhn_valid(s):
                fail("%s: Luhn-valid number %s outside PII positives" % (pid, s))
        for s in scan_nine(text):
            if bsn_valid(s):
                fail("%s: 11-proof-valid number %s outside PII positives" % (pid, s))
        for m in re.finditer(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
            if m.group(0).lower() not in PUBLIC_EMAILS and "@" in m.group(0) and not m.group(0).startswith("@"):
                fail("%s: e-mail %s outside PII positives" % (pid, m.group(0)))
        if re.search(r"(?<!\d)(?:\+31|0)\s?\(?0?\)?\s?6[\s-]?\d", text):
            fail("%s: mobile number outside PII positives" % pid)
    if "leak.pii" in cats and role_of(p["platform"], p["account"]["handle"]) != "public":
        strong = any(ok for k, v, ok in found)
        if strong != (e["severity"] == "critical"):
            fail("%s: PII severity does not follow checksum rule" % pid)
    # confidential terms
    needs_conf = []
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if word_in(term, text):
            needs_conf.append(term)
    for emb in PROFILE["embargo"]:
        for term in emb["terms"]:
            if word_in(term, text) and ts < parse_ts(emb["until"]):
                needs_conf.append(term)
    if needs_conf and "leak.confidential" not in cats:
        fail("%s: contains %s but not labelled leak.confidential" % (pid, needs_conf))
    # pricing sanity
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    low = []
    for prod in PROFILE["products"]:
        names = [prod["name"]] + prod["aliases"]
        if any(word_in(a, text) for a in names):
            for pr in prices(text):
                if pr < ratio * prod["list_price"]:
                    low.append((prod["sku"], pr))
    if "leak.pricing" in cats:
        if not low and not re.search(r"prijsfout|price error|pricing error|foutje", text, re.I):
            fail("%s: pricing positive without a low price or price-error talk" % pid)
    elif low and "low_price" not in c["allow"]:
        fail("%s: low price %s but not labelled leak.pricing" % (pid, low))
    # account roles
    role = role_of(p["platform"], p["account"]["handle"])
    if cats & {"leak.secret"} and not any(s in text for s in ("ghp_", "gho_", "AKIA", "live_", "xoxb-", "sk-proj-",
                                                                  "PRIVATE KEY", "AIza", "eyJ", "wachtwoord", "postgres://")):
        fail("%s: secret positive without a credential" % pid)

# generated credential formats
for tok in GH_TOKENS:
    body, crc = tok[4:34], tok[34:]
    if len(tok) != 40 or b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6) != crc:
        fail("GitHub token %s has a bad checksum" % tok[:8])
for tok in JWTS:
    head = tok.split(".")[0]
    hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    if "alg" not in hdr or tok.count(".") != 2:
        fail("JWT without alg header")
for pub in PUBLIC_IBANS:
    if not iban_valid(pub):
        fail("profile IBAN %s fails mod-97" % pub)

# profile shape
prof = PROFILE
if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
    fail("profile: too few accounts")
if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
    fail("profile: need 3 codenames and 3 markers")
if not (15 <= len(prof["products"]) <= 25) or any(x["currency"] != "EUR" for x in prof["products"]):
    fail("profile: products")
if prof["pricing"]["alert_below_ratio"] != 0.5:
    fail("profile: ratio")
if not all(e_["until"].startswith("2027") for e_ in prof["embargo"]):
    fail("profile: embargo until not in 2027")

# public authors must not be profile accounts; insiders must be
for c in CASES:
    if c["role"] == "public" and c["handle"].lstrip("@").startswith("veldvers"):
        fail("%s: public handle looks like a corporate one" % c["out"]["post"]["id"])

# mix
from collections import Counter
cnt = Counter(cat for c in CASES for cat in c["cats"])
benign = sum(1 for c in CASES if not c["cats"])
total = len(CASES)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
        "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for k, v in want.items():
    if abs(cnt[k] - v) > 2:
        fail("mix: %s has %d, want ~%d" % (k, cnt[k], v))
if not (170 <= total <= 180):
    fail("mix: %d cases" % total)
if not (55 <= benign <= 65):
    fail("mix: %d benign" % benign)
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not (0.50 <= nl / total <= 0.60):
    fail("mix: Dutch share %.2f" % (nl / total))
crisis_complaint = sum(1 for c in CASES if {"reputation.crisis", "reputation.complaint"} <= set(c["cats"]))
if crisis_complaint < 3:
    fail("mix: too few first-hand harm posts")
texts = [c["text"] for c in CASES]
if len(set(texts)) != len(texts):
    fail("duplicate post texts")

if errors:
    for m in errors:
        print("FAIL:", m, file=sys.stderr)
    sys.exit(1)
print("ok: %d cases, %d benign, %d Dutch; categories %s" % (total, benign, nl, dict(sorted(cnt.items()))))
