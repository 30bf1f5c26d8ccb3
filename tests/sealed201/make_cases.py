#!/usr/bin/env python3
"""Build the sealed201 evaluation set for postwatch (fictional club FC Lindehoven).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it (checksums of identifiers, CONTRACT section 6 shape,
severities recomputed from the account role in profile.yaml).
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
SEED = 201_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

CAT = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "sec": "leak.security",
    "crisis": "reputation.crisis",
    "compl": "reputation.complaint",
    "abuse": "reputation.abuse",
}
SEV_RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}

# --------------------------------------------------------------------------------------
# identifier and credential generators (registries feed the self-checks)
# --------------------------------------------------------------------------------------
VALID_IDS = []    # (kind, value as written)
BAD_IDS = []      # look-alikes that must fail their checksum
SECRETS = []      # (kind, value)
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(c) for c in digits]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(digits):
    if len(digits) != 9 or not digits.isdigit():
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    s = sum(int(c) * k for c, k in zip(digits, w))
    return s % 11 == 0 and int(digits) != 0


def _nl_iban_raw(bank):
    acct = _rand(string.digits, 10)
    r = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def _spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(bank="RABO", spaced=True):
    v = _nl_iban_raw(bank)
    v = _spaced(v) if spaced else v
    VALID_IDS.append(("iban", v))
    return v


def bad_iban(bank="INGB", spaced=True):
    v = _nl_iban_raw(bank)
    chk = int(v[2:4])
    v = v[:2] + "%02d" % ((chk + 7) % 97 or 13) + v[4:]
    v = _spaced(v) if spaced else v
    BAD_IDS.append(("iban", v))
    return v


def _card_digits(prefix, length=16):
    body = prefix + _rand(string.digits, length - len(prefix) - 1)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card(prefix="4", sep=" "):
    d = _card_digits(prefix)
    v = sep.join(d[i:i + 4] for i in range(0, 16, 4))
    VALID_IDS.append(("card", v))
    return v


def bad_card(prefix="4", sep=" "):
    d = _card_digits(prefix)
    d = d[:-1] + str((int(d[-1]) + 3) % 10)
    v = sep.join(d[i:i + 4] for i in range(0, 16, 4))
    BAD_IDS.append(("card", v))
    return v


def bsn(dotted=False):
    while True:
        d = str(rng.randint(1, 9)) + _rand(string.digits, 8)
        if bsn_ok(d):
            break
    v = "%s.%s.%s" % (d[:4], d[4:6], d[6:]) if dotted else d
    VALID_IDS.append(("bsn", v))
    return v


def bad_bsn():
    while True:
        d = str(rng.randint(1, 9)) + _rand(string.digits, 8)
        if not bsn_ok(d):
            break
    BAD_IDS.append(("bsn", d))
    return d


def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    v = prefix + body + _b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    SECRETS.append(("github", v))
    return v


def aws_pair():
    kid = "AKIA" + _rand(string.ascii_uppercase + "234567", 16)
    sec = _rand(string.ascii_letters + string.digits + "/+", 40)
    SECRETS.append(("aws_id", kid))
    SECRETS.append(("aws_secret", sec))
    return kid, sec


def stripe_live():
    v = "sk_live_51" + _rand(ALNUM, 97)
    SECRETS.append(("stripe", v))
    return v


def mollie_live():
    v = "live_" + _rand(ALNUM, 30)
    SECRETS.append(("mollie", v))
    return v


def slack_bot():
    v = "xoxb-%s-%s-%s" % (_rand(string.digits, 11), _rand(string.digits, 13), _rand(ALNUM, 24))
    SECRETS.append(("slack", v))
    return v


def openai_key():
    cs = ALNUM + "_-"
    v = "sk-proj-" + _rand(cs, 74) + "T3BlbkFJ" + _rand(cs, 74)
    SECRETS.append(("openai", v))
    return v


def anthropic_key():
    v = "sk-ant-api03-" + _rand(ALNUM + "_-", 93) + "AA"
    SECRETS.append(("anthropic", v))
    return v


def google_key():
    v = "AIza" + _rand(ALNUM + "_-", 35)
    SECRETS.append(("google", v))
    return v


def gitlab_pat():
    v = "glpat-" + _rand(ALNUM + "_-", 20)
    SECRETS.append(("gitlab", v))
    return v


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    v = "%s.%s.%s" % (head, body, sig)
    SECRETS.append(("jwt", v))
    return v


def rsa_private_key():
    der = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    der += bytes(rng.getrandbits(8) for _ in range(600))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    v = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
    SECRETS.append(("private_key", v))
    return v


def password(n=14):
    v = _rand(string.ascii_letters + string.digits, n - 2) + rng.choice("!#%&*") + rng.choice(string.digits)
    SECRETS.append(("password", v))
    return v


def literal_secret(kind, v):
    SECRETS.append((kind, v))
    return v


# --------------------------------------------------------------------------------------
# case builder
# --------------------------------------------------------------------------------------
CASES = []
_used_ids = set()


def _rand_time():
    start = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, 357 * 24 * 3600)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_id(platform):
    while True:
        if platform == "x":
            i = "x-%d" % rng.randint(1_800_000_000_000_000_000, 1_899_999_999_999_999_999)
        elif platform == "reddit":
            i = "reddit-t3_" + _rand(string.ascii_lowercase + string.digits, 7)
        else:
            i = "%s-%d" % (platform, rng.randint(10_000_000, 99_999_999))
        if i not in _used_ids:
            _used_ids.add(i)
            return i


def add(platform, handle, text, cats=(), lang=None, when=None, kind=None, price=None):
    cid = _new_id(platform)
    created = when or _rand_time()
    if kind is None:
        kind = "reply" if text.lstrip().startswith("@") else "post"
    post = {"id": cid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "created_at": created}
    if lang and len(CASES) % 7 != 3:  # the hint is optional; leave it out now and then
        post["lang"] = lang
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), cid[2:])
    if len(CASES) % 3 != 1:
        post["brand"] = "fclindehoven"
    CASES.append({"post": post, "cats": sorted(CAT[c] for c in cats), "price": price, "lang": lang})


# --------------------------------------------------------------------------------------
# benign posts (hard negatives mostly)
# --------------------------------------------------------------------------------------
add("x", "@FCLindehoven", "3 punten in de pocket! 💙🤍 Wat een tweede helft van De Reigers. Volgende week uit bij Oosterduin, wie gaat er mee? #FCLOOS #samensterk", lang="nl")
add("instagram", "@fclindehoven", "Matchday vibes at Het Reigernest 🏟️ Doors open 18:30, kick-off 20:00. Grab a Reigerburger before the anthem and be loud!", lang="en")
add("x", "@henk_op_noord", "die nieuwe spits is echt ziek goed man. 2x raak en dan nog die hakbal 😮 #FCL", lang="nl")
add("x", "@sarahkicks_nl", "our back line leaked like a sieve in the first half lol but Mulder in goal bailed us out again. love this club 💙", lang="en")
add("reddit", "u/reigerfan_1994", "Does anyone know if the renewal window for the season ticket North Stand is open yet? Club site just says 'binnenkort'. Don't want to lose my seat in N4.", lang="en")
add("x", "@FCL_Service", "Vragen over je seizoenkaart? Mail naar tickets@fclindehoven.nl of bel 0900-1908 (ma t/m vr 9-17u). We helpen je graag!", lang="nl")
add("facebook", "FCLindehovenOfficieel", "Inschrijven voor het zomerkamp van de Reiger Academie kan via de site. Liever overmaken? Dat kan naar NL11 RABO 0312 4578 09 t.n.v. FC Lindehoven o.v.v. naam en geboortejaar van je kind.", lang="nl")
add("x", "@ReigerStore", "SALE 🔥 Uitshirt 2025/26 nu 30% korting: van €89,95 voor €62,95. Alleen deze week, zolang de voorraad strekt.", lang="nl", price=("FCL-SH-A26", 62.95))
add("x", "@dirkjan1908", "Thuisshirt gehaald voor €89,95, prijzig maar hij zit echt top. Bedrukking met naam was nog €15 extra, die heb ik maar overgeslagen", lang="nl", price=("FCL-SH-H26", 89.95))
add("instagram", "@weekendwithmaaike", "Did the stadium tour at Het Reigernest today, €17.50 and worth every cent. Our guide was hilarious and we got to sit in the dugout 🥹", lang="en", price=("FCL-TOUR", 17.50))
add("x", "@roelofsz", "Update: mijn kapotte seizoenkaart is binnen 2 dagen vervangen door @FCL_Service. Netjes opgelost, en sorry voor m'n boze tweet van vorige week 🙏", lang="nl")
add("facebook", "Gerda.Hoekstra.52", "Sterkte aan de familie van oud-keeper Wim Roelofs. Zaterdag een minuut applaus in het Reigernest, dat heeft hij verdiend. Rust zacht legende 🕊️", lang="nl", kind="comment")
add("x", "@footy_nl_news", "Oosterduin's ticketing supplier got hacked and thousands of their fans' emails are out there. Different system from the one FCL uses, but check your inbox for phishing anyway, folks.", lang="en")
add("x", "@ultra_piet", "Supporters van Rijnveld roepen op tot een boycot van hun eigen sponsor, wat een drama daar. Bij ons gelukkig rustig 😅 #FCL", lang="nl")
add("linkedin", "youssef-bakkali-it", "Handige tip voor mede-developers: zet nooit echte keys in je documentatie. Het voorbeeld van AWS zelf, AKIAIOSFODNN7EXAMPLE met secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, is daar prima voor.", lang="nl")
add("x", "@jvdmeulen", "config voorbeeld voor de nieuwe stagiairs: DATABASE_URL=postgres://user:<password>@localhost:5432/dev\nvul je eigen wachtwoord lokaal in en commit dat nooit 🙃", lang="nl")
add("x", "@fenna_lh", "wachtwoord vergeten van m'n clubcard account, reset-mail was er binnen een minuut. ging soepel eigenlijk 👍", lang="nl")
add("x", "@bartjuh_fcl", "haha de barcode op m'n papieren kaart is %s, lijkt net een creditcard. scanner deed het gewoon hoor" % bad_card("4"), lang="nl")
add("x", "@FCL_Service", "Let op: er gaan WhatsApp-berichten rond met een 'clubrekening' %s. Dat is NIET van ons. Betaal alleen via tickets.fclindehoven.nl." % bad_iban("INGB"), lang="nl")
add("x", "@lindehovenlover", "de klantnummers bij de ReigerStore zijn 9 cijfers lang 😂 die van mij is %s, lijkt wel een telnr zonder 06" % bad_bsn(), lang="nl")
add("x", "@voetbalzaken", "Brakel Energie wordt de nieuwe hoofdsponsor van FC Lindehoven, net bekendgemaakt. Logo staat best strak op het shirt eigenlijk.", lang="nl", when="2027-03-02T14:12:09Z")
add("instagram", "@noor.in.blauw", "Just got the home shirt 2027/28 delivered and the gold trim is gorgeous 😍 best kit in years", lang="en", when="2027-06-04T17:40:22Z")
add("x", "@FCLindehoven", "Halfjaarcijfers 2026/27 zijn gepubliceerd: omzet €21,4 mln, operationeel resultaat licht positief. Het volledige persbericht lees je op fclindehoven.nl", lang="nl", when="2027-02-26T08:30:00Z")
add("x", "@tim_kuipers", "My wife said it's me or FC Lindehoven. Anyway, see you all Saturday at the Reigernest 😂", lang="en")
add("x", "@koppie_noord", "Wat een moordpass van Bakker, echt dodelijk. Die verdediging van Veendam lag er helemaal af 😂", lang="nl")
add("reddit", "u/dutchgroundhopper", "Visiting from the UK next month. Do kids under 4 need a ticket at Het Reigernest? Taking my daughter to her first match 💙", lang="en")
add("instagram", "@kitman_dennis", "Shirts hung, boots polished, 26 squad numbers double-checked. Matchday routine ✅ #behindthescenes #FCL", lang="en")
add("tiktok", "@jaimy.academy", "onze O13 heeft vandaag het toernooi in Zwolle gewonnen!! zo trots op deze gasten 🏆 #ReigerAcademie", lang="nl")
add("linkedin", "fc-lindehoven", "Vacature: medewerker ticketing (32 uur). Solliciteer via vacatures@fclindehoven.nl. Wij zoeken iemand met een blauw-wit hart en geduld van staal.", lang="nl")
add("youtube", "@ReigersTV", "Every goal from the first half of the season in 10 minutes ⚽ Subscribe to ReigersTV for more behind-the-scenes!", lang="en")
add("x", "@eredivisie_daily", "Veendam FC confirm 15 staff redundancies after losing their stadium naming deal. Rough times in the Eerste Divisie.", lang="en")
add("x", "@hennie_n4", "Seizoenkaart Noord weer verlengd, €389 voor 17 thuiswedstrijden. Kom je op €22,88 per wedstrijd, prima toch", lang="nl", price=("FCL-ST-NRD", 389.00))
add("x", "@mikey_lhv", "FCL tracksuit was 20% off in the fan shop, paid €95.96 instead of €119.95. bargain tbh", lang="en", price=("FCL-TRK", 95.96))
add("x", "@ReigerStore", "Black Friday bij de ReigerStore: 25% korting op de Stadionjas Winter, nu €112,46. Op=op!", lang="nl", price=("FCL-JAS", 112.46))
add("x", "@sjoerd_eet", "€12.50 for a Reigerburger is steep, but fair play, it's genuinely good 🍔", lang="en", price=("FCL-CAT-RB", 12.50))
add("facebook", "Anouk.Brouwer.7", "The matchball replica for €34.95 was a nice present for my nephew, he sleeps with it now haha", lang="en", kind="comment", price=("FCL-BAL", 34.95))
add("bluesky", "@lotte-horeca.bsky.social", "4,000 Reigerburgers flipped today, a new record! Huge thanks to every volunteer behind the grill 🔥", lang="en")
add("x", "@vraagjeaan_", "waarom heet jullie stadion eigenlijk Het Reigernest? echt benieuwd naar het verhaal erachter @FCLindehoven", lang="nl")
add("x", "@matchdayjunkie", "Thoughts with the Oosterduin fan hurt in the crush at their ground last night. Football should never cost anyone that. Respect from Lindehoven.", lang="en")
add("x", "@gijs_fcl", "decent game tbh, 0-0 but never boring. our keeper MOTM by a mile 🧤", lang="en")
add("x", "@FCLindehoven", "We hebben berichten gezien over een hack bij een ticketingpartij van andere clubs. FC Lindehoven werkt niet met die partij; jouw gegevens zijn daar niet bij betrokken.", lang="nl")
add("x", "@amyvdberg", "Good password tip in the FCL newsletter: use a password manager for your clubcard login. Sound advice tbh", lang="en")
add("x", "@ruud_tenhave", "Persconferentie morgen om 13:00 in de perszaal. Accreditatie aanvragen via pers@fclindehoven.nl", lang="nl")
add("x", "@sjaalloos", "ik ben echt een sukkel, Reiger sjaal laten liggen in de trein 🤦‍♂️ iemand een blauwe sjaal gevonden op Zwolle CS?", lang="nl")
add("reddit", "u/noordvak_nerd", "Someone pasted a payment API key in the FCL fan Discord last night, mods swapped it for sk_live_•••••••• within minutes. Good on them.", lang="en")
add("linkedin", "youssef-bakkali-it", "Vandaag een sessie gegeven over secret scanning. Voorbeeldtoken in de slides: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — gebruik nooit een echte 😉", lang="nl")
add("facebook", "Wim.Nijland.1961", "Vroeger woonde ik aan de Reigerlaan vlak bij het stadion, elke zaterdag hoorde je het gejuich. Mooie tijd was dat.", lang="nl", kind="comment")
add("x", "@jessvk", "is the third shirt €94.95 for everyone or is there a clubcard discount? asking before I buy", lang="en", price=("FCL-SH-T26", 94.95))
add("tiktok", "@fclindehoven", "POV: you're the mascot and it has been raining for 90 minutes straight 🌧️🐦 #FCL #matchday", lang="en")
add("facebook", "Esther.Zomer.88", "Het zomerkamp van de Reiger Academie was TOP, zoon wil volgend jaar meteen weer. Trainers waren geweldig 👏", lang="nl", kind="comment")
add("x", "@groundhop_gaz", "lol Rijnveld's webshop had their kits for €8.99 by mistake this morning, already fixed. our lot would never 😂", lang="en")
add("instagram", "@laura.fcl", "Derde shirt is prachtig, die donkerblauwe kleur 😍 €94,95 wel aan de prijs maar ik ga hem toch halen", lang="nl", kind="comment", price=("FCL-SH-T26", 94.95))
add("x", "@FCLindehoven", "Kaartverkoop bekerwedstrijd tegen Veendam start dinsdag 10:00 via tickets.fclindehoven.nl. Losse kaart Zuid €32,50, clubcardhouders hebben 24u voorrang.", lang="nl", price=("FCL-MT-ZUID", 32.50))
add("x", "@marloes_tickets_fcl", "Druk dagje aan de balie, 600 seizoenkaarten uitgereikt 💪 dank voor jullie geduld allemaal!", lang="nl")
add("x", "@neutral_nick", "That ref was having a shocker today. Terrible calls both ways, no idea how he's still in the top flight.", lang="en")
add("x", "@busreis_noord", "wie gaat er mee met de supportersbus naar de uitwedstrijd? vertrek 14:00 bij het Reigernest, DM me", lang="nl")
add("facebook", "Tifo.Noord.Lindehoven", "Inzameling voor de nieuwe tifo van Noord! Elke euro helpt. Overmaken kan op %s, of geef contant bij de bus." % bad_iban("SNSB"), lang="nl")
add("x", "@clubcard_carl", "Renewed my clubcard membership, €35 for presale access and 10% off in the shop. Easy decision.", lang="en", price=("FCL-CLUB", 35.00))
add("x", "@supportershome", "The new commercial manager has some good ideas for the supporters' home at FCL. Curious what actually comes of it", lang="en")
add("threads", "@nadia.fcl", "New in the ReigerStore: the centenary book is back in stock, €39.95 and signed by three club legends 📖", lang="en", price=("FCL-BOEK", 39.95))

# --------------------------------------------------------------------------------------
# complaints
# --------------------------------------------------------------------------------------
add("x", "@jan_van_noord", "@FCL_Service al 3 weken wachten op m'n seizoenkaart en nog steeds niks in de bus. Zaterdag eerste thuiswedstrijd, hoe dan??", ["compl"], lang="nl")
add("x", "@emmaxvx", "Queued 45 minutes at gate C and missed kick-off. Three scanners for the entire North Stand?? Sort it out @FCLindehoven", ["compl"], lang="en")
add("facebook", "Sandra.Meijer.Lhv", "Bestelling bij de ReigerStore op 2 oktober geplaatst, het is nu 5 november. Mails worden niet beantwoord. Zoon is volgende week jarig en nog steeds geen shirt 😤", ["compl"], lang="nl", kind="comment")
add("x", "@robbiedutch", "Paid €15 for name printing on my home shirt and it came back as VAN DJIK. Not even close. Sent it back 3 weeks ago, zero reply.", ["compl"], lang="en")
add("x", "@bier_en_ballen", "warm beer, cold burger and 25 mins in the queue at half time. catering at the Reigernest has become a joke", ["compl"], lang="en")
add("x", "@kellyyy_22", "the FCL app logs me out EVERY time I open my ticket at the turnstile. had to beg a steward to let me in. fix ur app pls", ["compl"], lang="en")
add("facebook", "Familie.Doornbos", "Zomerkamp van de academie afgelast en nu al 6 weken geen geld terug. €245 is veel geld voor ons gezin @FC Lindehoven. Reageer eens!", ["compl"], lang="nl", kind="comment")
add("x", "@petervdkamp", "@FCL_Service 'we reageren binnen 48 uur' was 12 dagen geleden. Nog steeds geen refund voor de verplaatste bekerwedstrijd.", ["compl"], lang="nl")
add("x", "@zicht_op_beton", "zit achter een pilaar op de hoofdtribune, zie de helft van het veld niet. €549 voor een seizoenkaart met uitzicht op beton 🙄 #FCL", ["compl"], lang="nl")
add("instagram", "@mumof3_lh", "ordered a kids home shirt in 140, got a 116. and now exchanging costs ME €6.95 shipping?? your mistake not mine @reigerstore", ["compl"], lang="en", kind="comment")
add("x", "@boze_bert", "FCL customer service is just unreachable. 40 min on hold and then they hang up. brilliant.", ["compl"], lang="en")
add("facebook", "Hans.Verbeek.Lindehoven", "The disabled section at Het Reigernest had no working lift again today. My father had to be carried up the stairs. Third time this season, FC Lindehoven.", ["compl"], lang="en", kind="comment")
add("x", "@daanlh", "2x afgeschreven voor dezelfde losse kaarten (2x €47,50) en de club zegt 'bel je bank'. nee, jullie systeem heeft dubbel geïncasseerd @FCL_Service", ["compl"], lang="nl")
add("reddit", "u/frozen_at_gate4", "Stadium tour guide never showed up. 20 of us waited 40 minutes in the cold and then got told it was cancelled. No voucher, no apology, nothing. Not impressed with FCL.", ["compl"], lang="en")
add("x", "@renske_b", "Why does the season ticket renewal site crash on day one EVERY year?? 2 hours of refreshing @FCLindehoven 😩", ["compl"], lang="en")
add("x", "@bosman_j", "@FCL_Service bel me gwn terug op 06-48213957, ik ben die mails zat. seizoenkaart NOG steeds niet ontvangen", ["compl", "pii"], lang="nl")
add("x", "@woedende_wim", "@FCL_Service jullie zijn echt een stelletje incompetente klootzakken, 4e keer dat mijn kaart niet werkt bij de poort", ["compl", "abuse"], lang="nl")

# --------------------------------------------------------------------------------------
# crisis
# --------------------------------------------------------------------------------------
add("x", "@liesbeth_k", "Mijn mailadres en 06-nummer worden nu gebruikt voor phishing 'namens FC Lindehoven'. Die combinatie had ALLEEN de club. Datalek bij de ticketing? Wanneer gaan jullie dat toegeven? #datalek", ["crisis"], lang="nl")
add("x", "@fairkit_now", "Boycott the ReigerStore until FCL drops that sweatshop supplier. The investigative piece on their kit factory is damning. #BoycotFCL", ["crisis"], lang="en")
add("x", "@n3_getuige", "Hekwerk bij vak N3 bezweken bij het doelpunt, meerdere mensen naar beneden gevallen en gewond. Hoe kan dit in 2026?? @FCLindehoven", ["crisis"], lang="nl")
add("x", "@anti_racism_nl", "Racist chants from the home end went on for ten minutes and FC Lindehoven did NOTHING. Stewards just stood there. Shameful.", ["crisis"], lang="en")
add("facebook", "Monique.Tjoelker", "Voedselvergiftiging na de Reigerburger zaterdag, hele gezin ziek en ik hoor van nog 5 mensen hetzelfde. De GGD moet dit bij FC Lindehoven gaan onderzoeken", ["crisis"], lang="nl", kind="comment")
add("x", "@sportjournal_lr", "Former youth players are taking FC Lindehoven to court over abuse by an academy coach in the 2010s. They say the club knew. Thread 🧵", ["crisis"], lang="en")
add("x", "@ouder_alert", "TERUGROEPACTIE: de kids thuisshirts van FCL bevatten te veel azo-kleurstof volgens de NVWA. Waarom staat dit nergens op de site van de club?", ["crisis"], lang="nl")
add("x", "@southstand_sam", "Crush at the south gate after full time, gates shut and people pressed against the fence. A kid fainted right next to me. Someone at FCL has to answer for this.", ["crisis"], lang="en")
add("x", "@voetbalroddels", "Matchfixing-onderzoek bij FC Lindehoven?! Volgens de NOS zijn twee spelers verhoord. Als dit klopt is de club kapot", ["crisis"], lang="nl")
add("x", "@noordfront_lhv", "Noordfront announces a full boycott of all FCL home games until the board resigns. Empty stand on Saturday. #FCLout", ["crisis"], lang="en")
add("x", "@vakD_moeder", "Flare thrown into block D, a woman carried out with burns. Security at the Reigernest is failing completely. Someone will die at this rate.", ["crisis"], lang="en")
add("reddit", "u/seat_snatched", "A group of fans is filing a class action against FC Lindehoven for reselling season ticket seats of holders who were away, without asking. Anyone else affected?", ["crisis"], lang="en")
add("x", "@privacyfirst_nl", "Iemand heeft een spreadsheet met 12.000 namen en adressen van FCL-seizoenkaarthouders online gezet. Kom op @FCLindehoven, leg uit hoe dit kan! #datalek", ["crisis"], lang="nl")
add("x", "@boosinnoord", "Deze corrupte schoften in het bestuur van FC Lindehoven hebben ons clubgeld verkwist. Boycot die hele tent tot ze weg zijn.", ["crisis", "abuse"], lang="nl")

# --------------------------------------------------------------------------------------
# abuse
# --------------------------------------------------------------------------------------
add("x", "@hater_noord", "@FCLindehoven stelletje kutclub, waardeloze amateurs zijn jullie allemaal", ["abuse"], lang="nl")
add("x", "@gazza_lhv", "Your chairman is a spineless rat and everyone inside FCL knows it. Pathetic little man.", ["abuse"], lang="en")
add("x", "@kees_balie", "@marloes_tickets_fcl jij bent echt de domste trut die ik ooit achter een loket heb gezien", ["abuse"], lang="nl")
add("x", "@r4g3_fan", "FCL = f*cking cl0wn sh1tsh0w, every single one of y0u c*nts in that office", ["abuse"], lang="en")
add("x", "@tyfus_tom", "hoop dat die hele directie van FCL een ongeluk krijgt op weg naar huis. tyfuslijers", ["abuse"], lang="nl")
add("x", "@oldschool_bob", "Typical FCL putting a woman in charge of ticketing, no wonder nothing works. Back to the kitchen love", ["abuse"], lang="en")
add("x", "@ruud_tenhave", "@kees_noord hou toch je bek, zeurende idioot. koop dan geen kaart", ["abuse"], lang="nl")
add("x", "@ReigerStore", "@grumpyfan82 lol ga lekker huilen, loser", ["abuse"], lang="nl")
add("facebook", "Dave.Stoker.UK", "The stewards at the Reigernest are a bunch of thick power-tripping goons. Absolute scum, the lot of them.", ["abuse"], lang="en", kind="comment")
add("x", "@k_u_t_fcl", "k.u.t.c.l.u.b FCL en die k4nker kitman erbij 🤮", ["abuse"], lang="nl")
add("instagram", "@nobody_cares99", "@kitman_dennis nobody cares about your stupid matchday videos you fat waste of space", ["abuse"], lang="en", kind="comment")

# --------------------------------------------------------------------------------------
# personal data
# --------------------------------------------------------------------------------------
add("x", "@marloes_tickets_fcl", "@jan_noord kaart ligt klaar op naam van J. Bosman, Kastanjelaan 14, 9711 AB Lindehoven. Kun je hem vrijdag ophalen?", ["pii"], lang="nl")
add("x", "@FCL_Service", "Dag Priya, je terugbetaling van €95,00 is overgemaakt naar %s t.n.v. P. Ramdin. Binnen 2 werkdagen op je rekening!" % iban("INGB"), ["pii"], lang="nl")
add("threads", "@nadia.fcl", "wie heeft er een ReigerStore bestelling op naam van Kim de Wit? kim.dewit88@gmail.com / 06-21873460, pakket ligt hier nog in de winkel", ["pii"], lang="nl")
add("x", "@ouder_van_sem", "@FCL_Service waarom moet ik het BSN van mijn zoon (%s) op jullie inschrijfformulier voor de academie zetten? Dat hoort een voetbalclub niet te vragen." % bsn(), ["pii", "compl"], lang="nl")
add("tiktok", "@jaimy.academy", "welkom bij onze O13 Daan Visser (geb. 14-03-2013)! 🎉 wat een talent #ReigerAcademie", ["pii"], lang="nl")
add("facebook", "FCLindehovenOfficieel", "Winnaar van de shirtactie: Mehmet Yilmaz, Weverstraat 3, 9718 KC Lindehoven. Gefeliciteerd, je gesigneerde shirt komt deze week!", ["pii"], lang="nl")
add("x", "@jvdmeulen", "Sponsor betaalde de skybox met creditcard %s exp 09/28, kan iemand van finance dit even verwerken? Ik ben er morgen niet" % card("4"), ["pii"], lang="nl")
add("x", "@tickets4sale_lh", "Selling 2 North Stand tickets for Saturday at face value. Pay to %s and I'll transfer them in the app. Questions? 06 1794 2285" % iban("ABNA"), ["pii"], lang="en")
add("mastodon", "@bram_ops@voetbal.social", "Steward emergency contact tonight is Erik Janssen, 0612874039. He's at block N3 if anything comes up.", ["pii"], lang="en")
add("instagram", "@reigeracademie", "Gefeliciteerd Sem Bos! 🎂 Vandaag 12 jaar geworden (geboren 15-06-2014). Fijne verjaardag namens de hele Reiger Academie 💙", ["pii"], lang="nl", when="2026-06-15T07:30:00Z")
add("linkedin", "sophie-de-graaf-fcl", "Payroll check voor de nieuwe analist: BSN %s, klopt dit met wat er in AFAS staat? Dan kan de eerste salarisrun eruit." % bsn(dotted=True), ["pii"], lang="nl")
add("x", "@tom_reinders_", "my old FCL season card literally has my full address printed on it: Tom Reinders, Havenkade 22B, 9713 LP Lindehoven. why would you print that??", ["pii", "compl"], lang="en")
add("x", "@FCL_Service", "@lisa_vdb we zien je bestelling! We bellen je op +31 6 5392 8417 zodra het keepersshirt binnen is 🧤", ["pii"], lang="nl")
add("x", "@marloes_tickets_fcl", "Customer at the desk tried to pay with %s and the terminal keeps declining it. Anyone seen this before with Mastercard?" % card("5412"), ["pii"], lang="en")

# --------------------------------------------------------------------------------------
# financial
# --------------------------------------------------------------------------------------
add("linkedin", "sophie-de-graaf-fcl", "Voorlopige halfjaarcijfers 2026/27: verlies van €3,8 mln, ruim boven budget. Dat gaat pijn doen bij de licentiecommissie.", ["fin", "conf"], lang="nl", when="2026-12-18T16:05:41Z")
add("x", "@jvdmeulen", "Can't say much but an American investment group is about to buy 49% of the club. Signing next month. Big things coming 👀", ["fin"], lang="en")
add("mastodon", "@bram_ops@voetbal.social", "Hoorde net op de gang dat er na de winterstop 14 fte uit commercie moet. Niemand weet het nog officieel, ook de mensen zelf niet.", ["fin"], lang="nl")
add("linkedin", "koen-mulder-fcl", "Trots op het team: onze prognose is dat we dit boekjaar voor het eerst sinds 2019 afsluiten met een positief resultaat van rond de €1,2 mln. De officiële cijfers volgen later.", ["fin"], lang="nl")
add("reddit", "u/insidetheboardroom", "A friend in FCL's finance department says the club is going to fail the KNVB licensing check next month. Apparently there's a €6m hole nobody has disclosed yet.", ["fin"], lang="en")
add("x", "@ruud_tenhave", "Transfer van onze spits naar Genk is rond: €7,5 mln + 15% doorverkoop. Aankondiging pas vrijdag dus ssst 🤫", ["fin"], lang="nl")
add("linkedin", "fc-lindehoven", "CONCEPT – NIET PUBLICEREN: FC Lindehoven en SC Veendam fuseren per 1 juli 2027. Persbericht volgt na de aandeelhoudersvergadering.", ["fin", "conf"], lang="nl")
add("threads", "@nadia.fcl", "ReigerStore revenue is down 31% this quarter and management is panicking. Pretty sure the city centre shop closes in January.", ["fin"], lang="en")
add("linkedin", "youssef-bakkali-it", "Slecht nieuws intern: het IT-budget wordt gehalveerd en de hele afdeling gaat per 1 maart over naar een extern bedrijf. 5 collega's verliezen hun baan.", ["fin"], lang="nl")
add("x", "@jvdmeulen", "sponsorship income down €2.1m next season because the main sponsor is walking. you won't hear it from the club yet but that's how it is", ["fin"], lang="en")
add("reddit", "u/minutes_leaker", "Leaked board minutes: FCL plans to sell Het Reigernest to the municipality and lease it back to cover its debts. Vote is in December.", ["fin"], lang="en")
add("linkedin", "sophie-de-graaf-fcl", "Q3 numbers are in: matchday revenue €4.3m against a €5.1m budget. Thursday's board meeting is going to be rough.", ["fin"], lang="en")

# --------------------------------------------------------------------------------------
# security
# --------------------------------------------------------------------------------------
add("linkedin", "youssef-bakkali-it", "Lange nacht gehad: ransomware op de kassaservers van het stadion, alle horecakassa's plat. Communicatie naar buiten volgt pas maandag, dus graag nog niet delen.", ["sec"], lang="nl")
add("x", "@jvdmeulen", "FYI the turnstile system at the Reigernest has been down since 2pm and we're letting people in by hand. Not announced yet, keep it quiet.", ["sec"], lang="en")
add("x", "@marloes_tickets_fcl", "bug in de ticketapp: pas je het kaartnummer in de url aan, dan zie je andermans seizoenkaart met naam en QR. al 2 weken gemeld bij IT, nog niks gefixt 🙈", ["sec"], lang="nl")
add("mastodon", "@bram_ops@voetbal.social", "De camera's rond vak Zuid draaien nog steeds op het standaard admin-account. Iedereen met toegang tot de wifi kan erin. Roep ik al een jaar.", ["sec"], lang="nl")
add("linkedin", "youssef-bakkali-it", "Heads up team: the finance mailbox got phished on Friday and the attacker sent fake invoices to three sponsors. Still scoping it, no public statement yet.", ["sec"], lang="en")
add("reddit", "u/ex_fcl_dev", "Worked at FCL until last year: their ticket database backups sit in a publicly readable S3 bucket. Not kidding. Reported it twice internally, nobody listened.", ["sec"], lang="en")
add("threads", "@nadia.fcl", "webshop offline sinds 6u vanochtend, iemand heeft skimmer-code in de betaalpagina gezet. klanten weten nog van niks en we mogen er niks over zeggen", ["sec"], lang="nl")
add("x", "@FCL_Service", "@roos_lh klopt, er is vannacht ingebroken in ons klantsysteem. We weten nog niet welke gegevens zijn buitgemaakt, houd je mail in de gaten.", ["sec"], lang="nl")
add("x", "@ruud_tenhave", "press room wifi has been wide open with no password for 3 days since someone reset the router. nobody in IT answering lol", ["sec"], lang="en")
add("linkedin", "youssef-bakkali-it", "DDoS op de kaartverkoop sinds 10:00, ook vpn.fclindehoven.nl ligt er half uit. Nog niks naar buiten gecommuniceerd, we werken eraan.", ["sec", "conf"], lang="nl")
add("bluesky", "@lotte-horeca.bsky.social", "since the update the card terminals at the food trucks have a hole: the previous customer's transaction just stays readable on screen. reported it, nobody picks it up", ["sec"], lang="en")
add("x", "@jvdmeulen", "Our CRM vendor admitted today that an old API of theirs exposed sponsor contact data for months. Legal says we say nothing until the audit's done.", ["sec"], lang="en")
add("linkedin", "youssef-bakkali-it", "Na het incident van vorige week draait productie nog steeds op dezelfde DB-gebruiker: postgres://fcl_app:%s@10.20.1.15:5432/tickets. Hoe vaak moet ik het nog zeggen." % password(16), ["sec", "secret"], lang="nl")

# --------------------------------------------------------------------------------------
# secrets
# --------------------------------------------------------------------------------------
add("linkedin", "youssef-bakkali-it", "kan iemand checken of deze token nog werkt voor de deploy pipeline? %s" % gh_token("ghp_"), ["secret"], lang="nl")
_kid, _sec = aws_pair()
add("x", "@jvdmeulen", "sharing the AWS creds for the ticket export job, don't lose them:\naccess key %s\nsecret %s" % (_kid, _sec), ["secret"], lang="en")
add("x", "@ReigerStore", "@webbureau_noord de Mollie key voor de nieuwe checkout is toch %s ? Krijg steeds een 401" % mollie_live(), ["secret"], lang="nl")
add("mastodon", "@bram_ops@voetbal.social", "matchday alerts slack bot is alive again 🎉 token for whoever wants it in their own script: %s" % slack_bot(), ["secret"], lang="en")
add("x", "@jvdmeulen", "if anyone wants to play with the fan shop chatbot, here's our key: %s (don't go crazy with it)" % openai_key(), ["secret"], lang="en")
add("linkedin", "youssef-bakkali-it", "Deploy naar de stadion-displays faalt met deze key, iemand een idee?\n%s" % rsa_private_key(), ["secret"], lang="nl")
add("x", "@marloes_tickets_fcl", "waarom krijg ik een 401 met deze token in het ticketportaal? %s" % jwt({"sub": "mhendriks", "role": "ticket-admin", "iat": 1767780000, "exp": 1767866400}), ["secret"], lang="nl")
add("instagram", "@kitman_dennis", "voor de nieuwe collega's in het magazijn: wacht\u200bwoord wifi is %s 😉" % literal_secret("password", "Reiger!2026#blauw"), ["secret"], lang="nl")
add("reddit", "u/curious_coder_lh", "LOL, FCL's webshop has its live Stripe secret key sitting in the page source: %s . Someone tell them before it gets abused." % stripe_live(), ["secret"], lang="en")
add("x", "@jvdmeulen", "Anthropic key for the sponsor report tool, in case the shared vault is down again: %s" % anthropic_key(), ["secret"], lang="en")
add("linkedin", "youssef-bakkali-it", "Stagiairs: de GitLab token voor de scoreboard-repo is %s , niet in je eigen repo zetten graag" % gitlab_pat(), ["secret"], lang="nl")

# --------------------------------------------------------------------------------------
# confidential
# --------------------------------------------------------------------------------------
add("x", "@jvdmeulen", "weer 4 uur vergaderd over Project Blauwe Reiger. als dit doorgaat is het stadion straks onherkenbaar 😍", ["conf"], lang="nl")
add("linkedin", "koen-mulder-fcl", "Really excited about Operatie Kraanvogel. Can't share details yet, but our youth academy will never be the same.", ["conf"], lang="en")
add("instagram", "@kitman_dennis", "sneak peek 👀 het thuisshirt 2027/28 hangt al in het magazijn. goud met blauw. meer mag ik niet zeggen", ["conf"], lang="nl", when="2027-01-22T11:02:57Z")
add("x", "@brabo_insider", "Heard from a mate at the club that the new main sponsor is going to be Brakel Energie. You read it here first.", ["conf"], lang="en", when="2026-12-03T21:18:40Z")
add("x", "@ruud_tenhave", "for the new scouts: reports live at https://scout.fcl-intern.nl/reports/2026-winter, log in with your club account", ["conf"], lang="en")
add("mastodon", "@bram_ops@voetbal.social", "plattegrond van de nieuwe vleugel staat op intranet.fcl.local/ops/plannen. Reigernest Oost wordt echt gaaf", ["conf"], lang="nl", when="2027-04-08T13:47:10Z")
add("linkedin", "sophie-de-graaf-fcl", "Slide from today's all-hands (FCL confidential): the new matchday app launches in March and the stadium goes fully cashless. Exciting!", ["conf"], lang="en")
add("facebook", "FCLindehovenOfficieel", "alleen intern FCL: draaiboek voor de bekerfinale staat in de gedeelde map, graag voor vrijdag doorlezen", ["conf"], lang="nl")
add("threads", "@nadia.fcl", "samples van de Zilverspar-collectie zijn binnen, wat een mooie stoffen 🤐 nog even geheimhouden tot de lancering", ["conf"], lang="nl")
add("x", "@ruud_tenhave", "ｐｒｏｊｅｃｔ ｂｌａｕｗｅ ｒｅｉｇｅｒ gaat door!! 🎉🎉", ["conf"], lang="nl")
add("x", "@lh_scoops", "Nieuwe shirtsponsor van FCL wordt \u0412r\u0430k\u0435l Energie, bron binnen de club. Onthoud dat je het hier eerst las", ["conf"], lang="nl", when="2027-01-09T19:33:05Z")
add("x", "@jvdmeulen", "Opera\u200btie Kraan\u200bvogel: eerste gesprekken met de gemeente staan gepland 🤫", ["conf"], lang="nl")
add("x", "@jvdmeulen", "Jira board for the stadium works is jira.fcl-intern.nl/browse/BR-112 if anyone at the contractor still needs access", ["conf"], lang="en")
add("x", "@lindehoven_leaks", "B.r.a.k.e.l E.n.e.r.g.i.e wordt het 👀 meer zeg ik niet #FCL", ["conf"], lang="nl", when="2027-02-11T08:55:31Z")

# --------------------------------------------------------------------------------------
# pricing
# --------------------------------------------------------------------------------------
add("x", "@ReigerStore", "FLASH DEAL ⚡ Thuisshirt 2026/27 nu voor €8,95! Alleen vandaag in de webshop", ["pricing"], lang="nl", price=("FCL-SH-H26", 8.95))
add("x", "@cheapskate_chris", "lmao the fan shop has the away shirt listed at €9.99, ordered 4 before anyone notices 😂 #FCL", ["pricing"], lang="en", price=("FCL-SH-A26", 9.99))
add("x", "@snelzijn_lhv", "Prijsfout op de site?? Seizoenkaart Hoofdtribune voor €54,90 in plaats van €549. Snel zijn mensen!", ["pricing"], lang="nl", price=("FCL-ST-HFD", 54.90))
add("threads", "@nadia.fcl", "collega's, de Stadionjas Winter staat in de kassa voor €14,99 ipv €149,95. wie heeft dat ingevoerd 😅", ["pricing"], lang="nl", price=("FCL-JAS", 14.99))
add("tiktok", "@fclindehoven", "Zomerkamp bij de Reiger Academie nu voor maar €24,50 😱 link in bio, wees er snel bij!", ["pricing"], lang="nl", price=("FCL-ACAD-ZK", 24.50))
add("reddit", "u/skybox_dreams", "Business seat in the skybox for €295 for the whole season?? Either a typo or the deal of the century", ["pricing"], lang="en", price=("FCL-BUS-SKY", 295.00))
add("x", "@marloes_tickets_fcl", "Junior seizoenkaart staat op de site voor €12,90 in plaats van €129, er is iets misgegaan bij de import. IT kijkt ernaar", ["pricing"], lang="nl", price=("FCL-ST-JR", 12.90))
add("x", "@koopjesjager_", "Trainingspak Pro voor €11,99 in de ReigerStore app, is dit een fout of mag ik 'm houden? 👀", ["pricing"], lang="nl", price=("FCL-TRK", 11.99))
add("instagram", "@fclindehoven", "Keepersshirt 2026/27 nu €19,95 in onze webshop 🧤 Wie is jouw favoriete keeper?", ["pricing"], lang="nl", price=("FCL-SH-GK", 19.95))
add("x", "@glitchhunter", "price glitch: matchball replica at €3.49 on reigerstore.nl. grabbed 10 lol", ["pricing"], lang="en", price=("FCL-BAL", 3.49))
add("bluesky", "@lotte-horeca.bsky.social", "tills are ringing up the Horecakaart 25 at €2.50 lol, someone fix that before half time", ["pricing"], lang="en", price=("FCL-CAT-HK25", 2.50))
add("x", "@stijn_z", "Clubcard for €3.50?? It's normally €35. Pretty sure that's a pricing mistake on the club site 😅", ["pricing"], lang="en", price=("FCL-CLUB", 3.50))


# --------------------------------------------------------------------------------------
# severity (CONTRACT section 4), from the account role in the profile
# --------------------------------------------------------------------------------------
def _role_table():
    t = {}
    for role in ("corporate", "employee"):
        for e in PROFILE["accounts"][role]:
            plat, handle = e.split(":", 1)
            t[(plat.lower(), handle.lower())] = role
    return t


ROLES = _role_table()


def role_of(post):
    return ROLES.get((post["platform"].lower(), post["account"]["handle"].lower()), "public")


def _norm_digits(s):
    return re.sub(r"[\s.\-]", "", s)


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def scan_checksummed(text):
    """Every IBAN, payment card and BSN in text that passes its checksum."""
    found = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", text):
        raw = re.sub(r"\s", "", m.group())
        for n in range(len(raw), 14, -1):
            if iban_ok(raw[:n]) and raw[:n] not in PUBLIC_IBANS:
                found.append(("iban", raw[:n]))
                break
    for m in re.finditer(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])", text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            found.append(("card", d))
    for m in re.finditer(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])", text):
        d = re.sub(r"\D", "", m.group())
        if bsn_ok(d):
            found.append(("bsn", d))
    return found


def _strip_secrets(text):
    for _, s in SECRETS:
        text = text.replace(s, " ")
    return text


def severity(post, cats):
    role = role_of(post)
    inside = role in ("corporate", "employee")
    sev = "none"
    checksummed = bool(scan_checksummed(_strip_secrets(post["text"])))
    for c in cats:
        if c.startswith("leak."):
            if inside:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checksummed:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise AssertionError(c)
        if SEV_RANK[s] > SEV_RANK[sev]:
            sev = s
    return sev


# --------------------------------------------------------------------------------------
# write
# --------------------------------------------------------------------------------------
OUT = os.path.join(HERE, "cases.jsonl")
rows = []
for c in CASES:
    rows.append({"post": c["post"], "expect": {"categories": c["cats"], "severity": severity(c["post"], c["cats"])}})
with open(OUT, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
def fail(msg):
    print("SELF-CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    return dt.datetime.strptime(s.replace("Z", "+00:00"), "%Y-%m-%dT%H:%M:%S%z")


lines = open(OUT, encoding="utf-8").read().splitlines()
if not 170 <= len(lines) <= 180:
    fail("case count %d outside 170-180" % len(lines))

valid_cats = set(CAT.values())
seen = set()
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
internal_terms = (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"])
pub_handles = set()

for n, line in enumerate(lines):
    obj = json.loads(line)
    c = CASES[n]
    if set(obj) != {"post", "expect"}:
        fail("line %d: top-level keys" % n)
    p, e = obj["post"], obj["expect"]
    # CONTRACT section 1 input shape
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256):
        fail("line %d: id" % n)
    if p["id"] in seen:
        fail("duplicate id " + p["id"])
    seen.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        fail("line %d: platform" % n)
    if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
        fail("line %d: kind" % n)
    if not (isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str) and p["account"]["handle"]):
        fail("line %d: account.handle" % n)
    if not (isinstance(p.get("text"), str) and p["text"] and len(p["text"].encode("utf-8")) <= 65536):
        fail("line %d: text" % n)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p.get("created_at", "")):
        fail("line %d: created_at" % n)
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts.month > 7):
        fail("line %d: created_at out of range" % n)
    # CONTRACT section 6 expect shape
    cats = e.get("categories")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= valid_cats:
        fail("line %d: categories" % n)
    if "reputation.spike" in cats:
        fail("line %d: spike on a single post" % n)
    if e.get("severity") not in SEV_RANK:
        fail("line %d: severity" % n)
    if (not cats) != (e["severity"] == "none"):
        fail("line %d: benign <-> none" % n)
    if e["severity"] != severity(p, cats):
        fail("line %d: severity not recomputable" % n)
    role = role_of(p)
    if role == "public":
        pub_handles.add((p["platform"], p["account"]["handle"].lower()))
    text = p["text"]
    plain = _strip_secrets(text)
    low = text.lower()

    # checksummed identifiers
    found = scan_checksummed(plain)
    if found and "leak.pii" not in cats:
        fail("line %d: checksum-valid identifier %r in a post without leak.pii" % (n, found))
    for kind, v in VALID_IDS:
        if v in text and "leak.pii" not in cats:
            fail("line %d: generated identifier in non-pii post" % n)
    # secrets only in secret posts; benign posts carry none
    for kind, s in SECRETS:
        if s in text and "leak.secret" not in cats:
            fail("line %d: secret %s in a post without leak.secret" % (n, kind))
    if "leak.secret" in cats and not any(s in text for _, s in SECRETS):
        fail("line %d: secret post without a generated credential" % n)
    # internal names only in confidential posts
    for t in internal_terms:
        if t.lower() in low and "leak.confidential" not in cats:
            fail("line %d: internal term %r outside a confidential post" % (n, t))
    # embargo terms: before `until` => confidential; benign only after
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for t in emb["terms"]:
            if t.lower() in low:
                if ts < until and "leak.confidential" not in cats:
                    fail("line %d: embargo term %r before until without confidential" % (n, t))
                if not cats and ts < until:
                    fail("line %d: benign embargo term before until" % n)
    # pricing annotations
    if c["price"]:
        sku, val = c["price"]
        prod = products[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(a.lower() in low for a in names):
            fail("line %d: priced product not named in text" % n)
        below = val < ratio * prod["list_price"]
        if "leak.pricing" in cats and not below:
            fail("line %d: pricing positive not below ratio" % n)
        if not cats and below:
            fail("line %d: benign price below ratio" % n)
    if "leak.pricing" in cats and not c["price"]:
        fail("line %d: pricing positive without annotation" % n)

# public handles must not be in the profile; every generated identifier checks out
for plat, h in pub_handles:
    if (plat, h) in ROLES:
        fail("public handle in profile")
for kind, v in VALID_IDS:
    d = _norm_digits(v)
    ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](d)
    if not ok:
        fail("generated %s %s fails its checksum" % (kind, v))
    hits = [r for r in rows if v in r["post"]["text"]]
    if len(hits) != 1 or "leak.pii" not in hits[0]["expect"]["categories"]:
        fail("valid id %s not in exactly one pii positive" % v)
for kind, v in BAD_IDS:
    d = _norm_digits(v)
    ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](d)
    if ok:
        fail("look-alike %s %s passes its checksum" % (kind, v))
    hits = [r for r in rows if v in r["post"]["text"]]
    if len(hits) != 1 or hits[0]["expect"]["categories"]:
        fail("look-alike %s not in exactly one benign post" % v)
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        fail("profile IBAN %s fails mod-97" % ib)

# credentials are built like the real ones
for kind, v in SECRETS:
    if kind == "github":
        m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", v)
        if not m or _b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) != m.group(2):
            fail("bad github token " + v)
    elif kind == "aws_id":
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            fail("bad aws id")
    elif kind == "jwt":
        parts = v.split(".")
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        if len(parts) != 3 or "alg" not in hdr:
            fail("bad jwt")
    if "EXAMPLE" in v or "xxxx" in v.lower():
        fail("real secret looks like a sample")

# the mix
benign = [r for r in rows if not r["expect"]["categories"]]
count = {}
for r in rows:
    for cat in r["expect"]["categories"]:
        count[cat] = count.get(cat, 0) + 1
want = {"reputation.complaint": (17, 23), "leak.confidential": (15, 21), "leak.pii": (13, 18),
        "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
        "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
for cat, (lo, hi) in want.items():
    if not lo <= count.get(cat, 0) <= hi:
        fail("category %s count %d outside %d-%d" % (cat, count.get(cat, 0), lo, hi))
if not 55 <= len(benign) <= 65:
    fail("benign count %d" % len(benign))
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 0.48 <= nl / len(CASES) <= 0.62:
    fail("Dutch share %.2f" % (nl / len(CASES)))
for r in rows:
    if r["expect"]["categories"] and r["expect"]["severity"] == "none":
        fail("positive with none")

print("ok: %d cases, %d benign, %d Dutch; per category %s"
      % (len(rows), len(benign), nl, json.dumps(count, sort_keys=True)))
