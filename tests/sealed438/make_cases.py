#!/usr/bin/env python3
"""Build the labelled evaluation set sealed438 (Kustgolf Media B.V.).

Deterministic: one fixed seed, standard library plus PyYAML. Writes cases.jsonl
next to this file and checks it:
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike placed in a benign post fails it (and a scan of all benign texts
    finds no valid identifier other than the company's own public IBAN);
  * generated credentials are built like the real ones (GitHub CRC-32 in base 62,
    AWS key id alphabet, JWT header with alg);
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from the account role in profile.yaml (CONTRACT 4),
    never typed by hand; the intended role of each author is asserted;
  * embargo terms, codenames, markers and internal domains never sit in a benign
    post while they are still secret.
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
R = random.Random(438)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64URL = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------
# identifier helpers
# --------------------------------------------------------------------------
_pending = []  # identifiers / credentials generated for the case being built


def _rec(kind, value, valid):
    _pending.append((kind, value, valid))
    return value


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(bank="INGB", valid=True, spaced=True):
    acct = "".join(R.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    cd = 98 - n % 97
    if not valid:
        cd = (cd + R.randint(1, 96)) % 97 or 1
    s = "NL%02d%s" % (cd, bban)
    if not valid and iban_ok(s):  # pragma: no cover - defensive
        s = "NL%02d%s" % ((cd + 1) % 100, bban)
    return _rec("iban", _group4(s) if spaced else s, valid)


def luhn_ok(num):
    ds = [int(c) for c in num if c.isdigit()]
    tot = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return len(ds) >= 12 and tot % 10 == 0


def card(prefix="4", valid=True, sep=" "):
    body = prefix + "".join(R.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            check = c
            break
    if not valid:
        check = str((int(check) + R.randint(1, 9)) % 10)
    num = body + check
    out = sep.join(num[i:i + 4] for i in range(0, 16, 4))
    return _rec("card", out, valid)


def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def bsn(valid=True, dotted=False):
    while True:
        d = [R.randint(1, 9)] + [R.randint(0, 9) for _ in range(7)]
        c = sum(d[i] * (9 - i) for i in range(8)) % 11
        if c < 10:
            break
    if not valid:
        c = (c + R.choice([1, 2, 3])) % 10
    s = "".join(map(str, d)) + str(c)
    if dotted:
        s = s[:4] + "." + s[4:6] + "." + s[6:]
    return _rec("bsn", s, valid)


def _rand(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def github_token(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    return _rec("github", tok, True)


def aws_key_id():
    return _rec("aws", "AKIA" + _rand(string.ascii_uppercase + "234567", 16), True)


def aws_secret():
    return _rec("aws_secret", _rand(string.ascii_letters + string.digits + "/+", 40), True)


def stripe_live():
    return _rec("stripe", "sk_live_" + _rand(string.ascii_letters + string.digits, 24), True)


def slack_bot():
    tok = "xoxb-%s-%s-%s" % (_rand(string.digits, 12), _rand(string.digits, 13),
                             _rand(string.ascii_letters + string.digits, 24))
    return _rec("slack", tok, True)


def openai_key():
    tok = "sk-proj-" + _rand(B64URL, 48) + "T3BlbkFJ" + _rand(B64URL, 48)
    return _rec("openai", tok, True)


def anthropic_key():
    return _rec("anthropic", "sk-ant-api03-" + _rand(B64URL, 93) + "AA", True)


def google_key():
    return _rec("google", "AIza" + _rand(B64URL, 35), True)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(sub, iss="play.kustgolf.nl"):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    now = 1780000000 + R.randint(0, 9_000_000)
    body = _b64u(json.dumps({"sub": sub, "iss": iss, "iat": now, "exp": now + 300,
                             "scope": "playlist:write"}, separators=(",", ":")).encode())
    sig = _b64u(bytes(R.getrandbits(8) for _ in range(32)))
    return _rec("jwt", "%s.%s.%s" % (head, body, sig), True)


def ssh_private_key():
    b64 = string.ascii_letters + string.digits + "+/"
    lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
    lines += [_rand(b64, 70) for _ in range(4)]
    lines.append(_rand(b64, 36) + "==")
    key = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
           + "\n-----END OPENSSH PRIVATE KEY-----")
    return _rec("privkey", key, True)


def password(stem):
    return _rec("password", stem + R.choice("!$*_-.") + _rand(string.digits, 3)
                + _rand(string.ascii_letters, 2), True)


# --------------------------------------------------------------------------
# profile helpers and severity (CONTRACT 4)
# --------------------------------------------------------------------------
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}
RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def severity(cats, role, checksum_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checksum_pii:
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        if RANK.index(s) > RANK.index(sev):
            sev = s
    return sev


# --------------------------------------------------------------------------
# case builder
# --------------------------------------------------------------------------
CASES = []
_used_ids = set()
ROLE_OF_WHO = {"corp": "corporate", "emp": "employee", "pub": "public"}
T0 = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)


def when():
    t = T0 + dt.timedelta(seconds=R.randint(0, 361 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(platform):
    while True:
        pid = "%s-%d" % (platform, R.randint(10 ** 9, 10 ** 10 - 1))
        if pid not in _used_ids:
            _used_ids.add(pid)
            return pid


def case(who, platform, handle, lang, text, cats=(), kind="post", ts=None, brand=None):
    global _pending
    role = role_of(platform, handle)
    assert role == ROLE_OF_WHO[who], (handle, role, who)
    cats = sorted(set(cats))
    ids = list(_pending)
    _pending = []
    checksum_pii = any(k in ("iban", "card", "bsn") and v for k, _, v in ids)
    post = {
        "id": new_id(platform),
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": ts or when(),
    }
    if brand:
        post["brand"] = brand
    CASES.append({
        "post": post,
        "expect": {"categories": cats, "severity": severity(cats, role, checksum_pii)},
        "_ids": ids,
    })


SEC, PII, PRI, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ==========================================================================
# BENIGN posts (mostly hard negatives)
# ==========================================================================
case("pub", "x", "@zeeuwse_roos", "nl",
     "Mireille vanochtend wéér on fire bij Ochtendgolf 🔥🔥 die imitatie van de weerman, "
     "ik lag dubbel in de auto op de N57")
case("pub", "instagram", "@dansmaarmetjan", "en",
     "that Silent Disco at Nachtgolf last night was absolutely killer, my feet are dead lol. "
     "10/10 would dance again 🎧", kind="comment")
case("corp", "x", "@kustgolf_helpt", "nl",
     "Hoi! Vragen over je Play Premium abonnement? Mail ons via luisteraars@kustgolf.nl of bel "
     "088 555 4700 (ma-vr 9-17u). We helpen je graag 🙌", brand="Kustgolf Play")
case("corp", "facebook", "KustgolfFM", "nl",
     "Kerstactie 'Golven van Warmte' 🎄 Elke euro gaat naar de voedselbanken in Zeeland en "
     "Rijnmond. Doneren kan op NL52 RABO 0312 4567 80 t.n.v. Kustgolf Media B.V. o.v.v. KERST. "
     "Dank jullie wel!")
case("pub", "reddit", "u/carplay_or_bust", "en",
     "Anyone know if the Kustgolf Play app works on Android Auto? Looking to ditch FM in the car "
     "but the reviews are all about iPhones")
case("pub", "x", "@omroepwatcher", "nl",
     "Oei, bij Zenderhuis Oost hebben ze een datalek met 12.000 e-mailadressen van luisteraars. "
     "Hopelijk heeft @kustgolf het beter op orde 🤞")
case("pub", "x", "@shedradio_pete", "en",
     "Sale alert: Golfje DAB+ radio down to €71,96 this weekend (20% off) in the Kustgolf "
     "webshop. Finally grabbing one for the shed 📻")
case("pub", "instagram", "@festivalfleur", "nl",
     "Zomerdijk weekendticket early bird voor €119 gescoord 🎉🎉 wie gaat er nog meer?? "
     "#zomerdijk #festivalseason")
case("corp", "instagram", "@kustgolf.fm", "nl",
     "Nieuw in de webshop: de Kustgolf hoodie in zeegroen 🌊 €54,95, maten S t/m XXL. Op = op!")
case("pub", "mastodon", "@homelab_henk@fosstodon.org", "en",
     "Got the Kustgolf now-playing feed into Home Assistant. The tutorial's sample config has "
     "`aws_access_key_id = AKIAIOSFODNN7EXAMPLE` and `aws_secret_access_key = "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY` — replace with your own obviously, the feed "
     "itself needs no auth")
case("pub", "reddit", "u/stripe_curious", "en",
     "For the people asking in the Kustgolf Play dev thread: the Stripe key in the docs is "
     "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx, it's a placeholder. You need your own test account.",
     kind="comment")
case("pub", "x", "@geduldigegert", "nl",
     f"Ordernummer {card(prefix='4716', valid=False)} staat al 2 dagen op 'verzonden', kan ik "
     "m'n Golfje Mini ergens volgen? Of gewoon geduld hebben 😅")
case("pub", "facebook", "Wim Schoonderwoerd", "nl",
     f"Lidnummer van de Kustgolf Luisterclub is toch 9 cijfers? Die van mij is {bsn(valid=False)}, "
     "klopt dat of heb ik nog een oude pas?", kind="comment")
case("pub", "facebook", "Annie Verhulst", "nl",
     "LET OP phishing! Mail namens 'Kustgolf Prijzenteam' vraagt €2,50 administratiekosten voor je "
     f"'gewonnen prijs', over te maken naar {iban(bank='BUNQ', valid=False)}. Niet doen! Echte "
     "mails komen van @kustgolf.nl")
case("corp", "linkedin", "kustgolf-media", "nl",
     "Vandaag gepubliceerd: onze jaarcijfers 2026. Luistertijd +6%, Kustgolf Play groeide naar "
     "310.000 betalende abonnees en Zomerdijk was voor het eerst uitverkocht. Het volledige "
     "jaarverslag staat op kustgolf.nl/investeerders", ts="2027-03-04T08:15:00Z")
case("pub", "x", "@screamingatlineups", "en",
     "THE ZOMERDIJK 2027 LINE-UP DROPPED AND I'M SCREAMING 😭😭 who else got tickets??",
     ts="2027-02-11T21:42:10Z")
case("pub", "x", "@beurskoorts", "en",
     "Kustgolf Media's full-year 2026 results are out: ad revenue flat, streaming up. Decent "
     "read if you follow regional media.", ts="2027-03-02T09:03:00Z")
case("pub", "x", "@anneke_rijnmond", "nl",
     "Update: de app liep steeds vast bij het opstarten maar na de update van gisteren werkt alles "
     "weer top. Dank @kustgolf_helpt voor de snelle reactie 👍", kind="reply")
case("pub", "facebook", "Joke van Wijngaarden", "nl",
     "Veel sterkte aan het hele Ochtendgolf-team na het overlijden van jullie oud-collega Gerard. "
     "Wat een stem was dat ❤️ Zijn 'goeiemorgen Zeeland' hoor ik nog steeds", kind="comment")
case("pub", "x", "@papa_grapjes", "nl",
     "Mijn vrouw zegt dat ik vaker naar háár moet luisteren dan naar Kustgolf. Heb haar frequentie "
     "nog steeds niet gevonden 📻😂")
case("pub", "instagram", "@zonsopkomstzeeland", "nl",
     "Vuurtoren van Westkapelle vanochtend om 06:12, met Kustgolf zachtjes aan in de auto. "
     "Beter wordt het niet 🌅 #zeeland #goudenuur")
case("emp", "x", "@mireille_ochtendgolf", "en",
     "Back on air tomorrow 6-10 with Ochtendgolf, bring your coffee & your worst dad jokes ☕ "
     "#kustgolf")
case("emp", "linkedin", "esther-vandam-kustgolf", "nl",
     "Wat ben ik trots op ons team: Kustgolf Live heeft gisteravond de prijs gewonnen voor Beste "
     "Regionale Evenement 2026 🏆 Dank aan alle vrijwilligers die elk jaar weer klaarstaan!")
case("pub", "threads", "@eindelijkrust", "en",
     "Kustgolf Play password reset email arrived in like 10 seconds. Smooth. Why can't every app "
     "be like this")
case("pub", "x", "@oma_digitaal", "nl",
     "Hoe verander ik mijn wachtwoord in de Kustgolf Play app? Kan het nergens vinden 🙈 "
     "kleinzoon is op vakantie", kind="post")
case("pub", "bluesky", "@festivalnerd.bsky.social", "en",
     "Wild: Stroomlijn Festival is recalling 4,000 cashless wristbands after a chip fault. Glad "
     "Zomerdijk just does QR on your phone tbh")
case("pub", "x", "@goesenaar", "nl",
     "Dat nummer van die band uit Goes dat Bram gisteren rond 21u draaide, iemand enig idee hoe "
     "dat heet? Iets met 'havenlicht'? 🎶")
case("pub", "reddit", "u/subscription_auditor", "en",
     "Honest review after a year of Kustgolf Play Premium: no ads, offline podcasts, €5.99/mo. "
     "Worth it imo, especially Nachtgolf archive.")
case("pub", "facebook", "Marieke Dorst", "en",
     "Did the Kustgolf studio tour with the kids, €17.50 each and they got to record their own "
     "jingle. Perfect for a rainy Wednesday!")
case("corp", "x", "@kustgolf", "nl",
     "🎫 Kerstgala tickets nu 15% korting met code GOLF15: van €49,50 voor €42,08. Alleen dit "
     "weekend! shop.kustgolf.nl", brand="Kustgolf Live")
case("pub", "x", "@gatelounge_gina", "en",
     "killing time at the gate with the Nachtgolf podcast, these two could make a tax form "
     "sound interesting")
case("pub", "tiktok", "@lachendelieke", "nl",
     "ik ga dood 😂😂😂 die prank call van Sjoerd naar de snackbar in Vlissingen", kind="comment")
case("pub", "reddit", "u/kitchenaudio", "en",
     "Is the Golfje Mini loud enough for a small kitchen? Thinking of getting one for my mum's "
     "birthday, she only listens to Kustgolf anyway")
case("pub", "x", "@vinylvincent", "nl",
     "Oké Kustgolf, jullie winnen. Die Top 1000 van de Kust vinyl box staat nu bij mij in de kast. "
     "Duur (€119) maar zó mooi uitgevoerd")
case("emp", "x", "@kees_sales_kgf", "nl",
     "Adverteerders opgelet 📣 Reclamepakket Regio vanaf €1.450 per flight, inclusief podcastspot. "
     "Meer info via adverteren@kustgolf.nl")
case("pub", "mastodon", "@streaming_sanne@mastodon.nl", "en",
     "Kustgolf engineers gave a talk at the Rotterdam meetup on how they rebuilt their stream "
     "delivery. Slides are on their public blog, super interesting stuff.")
case("corp", "youtube", "@KustgolfLive", "en",
     "Our Vlissingen studio gets a makeover this summer! Ochtendgolf will broadcast from the beach "
     "pavilion in the meantime 🏖️ See you there.")
case("pub", "x", "@nieuweautomarco", "nl",
     "Op welke frequentie zit Kustgolf Rijnmond eigenlijk? 97.4?? Nieuwe auto, alle zenders kwijt")
case("pub", "facebook", "Claire Oostdijk", "en",
     "Zomerdijk security staff were genuinely lovely this year, they helped my kid find us within "
     "5 minutes. Respect.", kind="comment")
case("pub", "x", "@jingle_juul", "nl",
     "Die nieuwe jingle is zó catchy dat het irritant wordt, krijg hem niet meer uit m'n kop 😩 "
     "(bedoel het liefdevol)")
case("pub", "x", "@pubquizpaul", "en",
     "The real scandal is that nobody at the pub quiz knew Kustgolf started as a pirate station "
     "on a boat in 1984 😂")
case("pub", "threads", "@maandagmens", "nl",
     "Boycot? Nee joh, ik boycot alleen maandagochtenden. Gelukkig is er Ochtendgolf")
case("emp", "bluesky", "@lotte-techniek.bsky.social", "en",
     "Planned maintenance: Kustgolf Play will be offline Tue 03:00-04:00 CET for scheduled "
     "upgrades, as announced on status.kustgolf.nl. Radio via FM/DAB+ stays on air.")
case("pub", "reddit", "u/widgetbouwer", "nl",
     "Bezig met een klein now-playing widget voor Kustgolf via hun openbare RSS. Config is gewoon "
     "`api_key: YOUR_KEY_HERE`, de feed zelf vraagt niks. Repo volgt")
case("pub", "x", "@prijsvergelijker_nl", "nl",
     "Golfje DAB+ bij Elektrohal voor €84,95, in de Kustgolf-shop €89,95. Scheelt weinig, ik "
     "neem 'm bij de zender zelf")
case("pub", "instagram", "@podcastpiet", "nl",
     "Vandaag 25% korting op de KG-1 koptelefoon: €96,75 ipv €129. Zit lekker, geluid prima voor "
     "de prijs 🎧")
case("pub", "x", "@slaapkamerlicht", "en",
     "Ebbe radio alarm at €69.95 is a bit steep but the sunrise light thing is lovely. Waking up "
     "to Ochtendgolf hits different")
case("pub", "facebook", "Ton Brouwers", "nl",
     "Triest nieuws voor de collega's bij Zenderhuis Oost, 60 banen weg. Sterkte allemaal, "
     "regionale radio heeft het zwaar", kind="comment")
case("pub", "x", "@quizkoningin", "nl",
     "Gebeld naar 088 555 4700 over m'n prijs van de Zomerquiz, binnen een week thuisbezorgd. "
     "Netjes Kustgolf!")
case("pub", "tiktok", "@hondjebobby", "en",
     "my dog literally howls every time the Kustgolf news jingle plays, it's our morning ritual "
     "now 🐶")
case("corp", "linkedin", "kustgolf-media", "nl",
     "Vacature: technicus studio Goes (32-40 uur). Houd jij van zenders, kabels en koffie? "
     "Solliciteren via vacatures@kustgolf.nl")
case("pub", "x", "@reddingsbootrik", "en",
     "Big respect to the Kustgolf crew for the 24h radio marathon for the lifeboat charity. "
     "Donated, and you should too 🛟")
case("pub", "reddit", "u/privacy_questions", "en",
     "Why does Kustgolf Play ask for location permission? Just curious, not complaining. Is it "
     "for the regional news and traffic?")
case("pub", "reddit", "u/helpful_hanna", "en",
     "Tip: when you contact Kustgolf support about a ticket payment don't send your full card "
     "number, they only need the last four (**** **** **** 4412) and the order date.",
     kind="comment")
case("pub", "facebook", "Hennie Lambrechts", "en",
     "10 years of Kustgolf Kerstgala and it still gives me chills when the choir starts. Already "
     "booked for this year 🎄")
case("pub", "x", "@brandweerfan", "nl",
     "Kustgolf draait vandaag alleen maar liedjes over vuur en brand ter ere van 100 jaar "
     "brandweer Vlissingen 🚒🔥 leuk gedaan")
case("pub", "instagram", "@fietsendoorhetbos", "en",
     "So the Drijfhout bike speaker survived a full day of rain on the Veluwe. IP67 is no joke 🚲")
case("emp", "instagram", "@djbram.vanleeuwen", "nl",
     "Vanavond m'n laatste uitzending vanuit de oude studio. 15 jaar herinneringen in een doos 🥲 "
     "Volgende week zien jullie me in het nieuwe gebouw aan de Boulevard #kustgolf")
case("pub", "x", "@noodles_en_festivals", "en",
     "Is there a student discount for the Zomerdijk day ticket? €74.50 is a lot when you live "
     "on noodles 🍜")
case("pub", "facebook", "Kees Jongejan", "nl",
     "Mijn klacht over de dubbele afschrijving is binnen 2 dagen opgelost en het geld staat "
     "terug. Zo kan het dus ook, bedankt!", kind="comment")

# ==========================================================================
# reputation.complaint (pure)
# ==========================================================================
case("pub", "x", "@bufferende_bas", "nl",
     "@kustgolf_helpt al 3 dagen valt de stream in de Play app elke 2 minuten weg 😤 wifi doet het "
     "prima, alle andere apps ook. Wat is dit?", [COM], kind="reply")
case("pub", "x", "@paid4nothing", "en",
     "Paid for Play Premium and I STILL get pre-roll ads before every podcast. what exactly am I "
     "paying for @kustgolf", [COM])
case("pub", "facebook", "Ingrid Pals", "nl",
     "Twee keer afgeschreven voor mijn Play Family abonnement deze maand. Mail gestuurd, na 9 dagen "
     "nog niks gehoord. Zo ga je niet om met klanten.", [COM], kind="comment")
case("pub", "x", "@emmen_ruis", "en",
     "Since last week's so-called 'upgrade' Kustgolf Noord on DAB+ is just gone around Emmen. "
     "Static, static, static. fix it pls", [COM])
case("pub", "x", "@warmbeerwill", "en",
     "Zomerdijk queue for the bar was 50 min. FIFTY. Missed half the headliner for a warm beer. "
     "Sort your logistics out", [COM])
case("pub", "x", "@geldterug_gaby", "nl",
     "Refund voor het afgelaste Kerstgala beloofd 'binnen 14 dagen'. Het is nu 7 weken later. "
     "Geen reactie op mails, niks. #kustgolf #klantonvriendelijk", [COM])
case("pub", "reddit", "u/carplay_crashes", "en",
     "The Kustgolf app crashes every single time I connect to CarPlay. Latest version, reinstalled "
     "twice. Uninstalling until they fix it", [COM])
case("pub", "facebook", "Bert Kodde", "nl",
     "In april de Zomerquiz gewonnen, prijs zou 'binnen 4 weken' komen. We zijn nu september. "
     "Bellen heeft geen zin want er neemt niemand op bij Kustgolf.", [COM])
case("pub", "x", "@darkpatterndan", "en",
     "tried to cancel my Play Premium sub and the button just loops back to 'are you sure you "
     "want to lose your perks?' x5. dark patterns much @kustgolf_helpt", [COM])
case("pub", "instagram", "@zomerdijk_zoe", "en",
     "Ticket QR for Zomerdijk said 'already scanned' at the gate. Bought it myself 2 weeks ago on "
     "the official site. Waited an hour at the info tent 😡", [COM], kind="comment")
case("pub", "x", "@knopjeeraf", "en",
     "Golfje Mini, 3 weeks old: volume knob snapped off and customer service says it's 'not "
     "covered by warranty'. Seriously? 👎", [COM])

# ==========================================================================
# reputation.crisis (first-hand safety = crisis + complaint; third-party = crisis)
# ==========================================================================
case("pub", "x", "@rookindekeuken", "nl",
     "Mijn Golfje DAB+ radio begon gisteravond te roken in de keuken en er kwam een vlammetje uit "
     "de achterkant 😳 stekker eruit getrokken, hele keuken stinkt. Dit had m'n huis kunnen zijn "
     "@kustgolf", [CRI, COM])
case("pub", "reddit", "u/tinglingarm", "en",
     "Got a proper electric shock off the charger of my Ebbe radio alarm this morning, arm "
     "tingled for an hour. This thing sits next to my kid's bed. Not OK, Kustgolf.", [CRI, COM])
case("pub", "facebook", "Sandra Moerland", "nl",
     "Na een broodje van de Kustgolf Kitchen foodtruck op Zomerdijk de hele nacht kotsend in de "
     "tent gelegen, en met ons nog 6 anderen uit de groep. Voedselvergiftiging. Bedankt hoor.",
     [CRI, COM])
case("pub", "x", "@ringingears", "en",
     "Nachtgolf Silent Disco headphones had a volume spike that was insanely loud, ears still "
     "ringing 2 days later and my GP says possible hearing damage. Who tests these??", [CRI, COM])
case("pub", "instagram", "@fietsfrits", "nl",
     "Accu van mijn Drijfhout fietsspeaker is opgezwollen en opengebarsten terwijl hij aan de "
     "lader hing. Had ook op m'n stuur kunnen ontploffen 😡 #kustgolf", [CRI, COM])
case("pub", "x", "@cantbreathe_zd", "en",
     "I got crushed against the barrier at the Zomerdijk main stage exit tonight, couldn't "
     "breathe for a good minute, people around me fainting, not a steward in sight. Someone "
     "will die next year if you don't fix this.", [CRI, COM])
case("pub", "x", "@112zeeland_nieuws", "nl",
     "Op het Zomerdijk-terrein is vanmiddag een stellage bij het bijpodium omgewaaid, volgens "
     "omstanders meerdere gewonden. Ambulances rijden af en aan.", [CRI])
case("pub", "bluesky", "@consumentenwaakhond.bsky.social", "en",
     "Reports that Kustgolf is recalling the Golfje DAB+ after several fires. Check the serial "
     "number on the back of yours, folks.", [CRI])
case("pub", "x", "@nietmijnzender", "nl",
     "#BoycotKustgolf na die walgelijke uitspraken van hun ochtendpresentator over vluchtelingen. "
     "Adverteerders, trek je terug!", [CRI])
case("pub", "reddit", "u/spamfromnowhere", "en",
     "Kustgolf Play leaked my email and listening history. I'm getting spam that quotes the exact "
     "podcasts I follow. You've had a breach and you're hiding it.", [CRI])
case("pub", "x", "@mediakritisch", "nl",
     "Volgens de krant heeft een programmaleider van Kustgolf jarenlang geld aangenomen van "
     "platenlabels om nummers te draaien. Als dat klopt is het een regelrecht schandaal.", [CRI])
case("pub", "linkedin", "musici-collectief-zuidwest", "en",
     "Our collective is taking Kustgolf Media to court over unpaid royalties for the Top 1000 van "
     "de Kust broadcasts. First hearing is set for November.", [CRI])
case("pub", "x", "@exredactie", "nl",
     "Ex-medewerkers van Kustgolf vertellen over jarenlange intimidatie en grensoverschrijdend "
     "gedrag op de redactie. Dit moet onafhankelijk onderzocht worden. #MeToo", [CRI])
case("pub", "facebook", "Rinus Geluk", "nl",
     "De Ebbe radiowekker van mijn buurvrouw is vannacht in brand gevlogen, de brandweer moest "
     "eraan te pas komen. Gelukkig niemand gewond.", [CRI])

# ==========================================================================
# reputation.abuse
# ==========================================================================
case("pub", "x", "@chagrijnigechris", "nl",
     "Kustgolf is echt een kutzender geworden, en die Sjoerd is de grootste sukkel die ooit een "
     "microfoon heeft vastgehouden", [ABU])
case("pub", "x", "@angryat7am", "en",
     "@mireille_ochtendgolf shut up you braindead cow, nobody wants to hear your voice at 7am",
     [ABU], kind="reply")
case("pub", "tiktok", "@anoniem_9931", "nl",
     "@nadia.opdenachtgolf ik weet in welke straat je woont en ik zie je auto elke nacht staan. "
     "Pas maar op.", [ABU], kind="comment")
case("pub", "facebook", "Gerrit Hoogendoorn", "nl",
     "Sinds ze die hoofddoek achter de microfoon hebben gezet luister ik niet meer. Zo'n type "
     "hoort niet op een Nederlandse zender.", [ABU], kind="comment")
case("pub", "x", "@notyourradio", "en",
     "k@stg0lf = bunch of f*cking 1d10ts, fire the whole st@ff 🤡", [ABU])
case("pub", "x", "@muziekpolitie", "nl",
     "Bram van Leeuwen is een k a n k e r l i j e r, zet die gast van de radio af", [ABU])
case("emp", "x", "@sjoerdkgf", "en",
     "@truckertom71 maybe try listening before typing, you absolute muppet. Go cry to another "
     "station.", [ABU], kind="reply")
case("emp", "threads", "@iris.events.kgf", "nl",
     "Sommige festivalgangers zijn echt debielen. 50 mails over één wc-rij. Get a life 🙄", [ABU])
case("pub", "reddit", "u/stewardhater", "en",
     "The Zomerdijk stewards are power-tripping pigs. Absolute scum, every single one of them.",
     [ABU])
case("pub", "x", "@ruisindelijn", "nl",
     "Die Ruben van de directie is een vuile klооtzаk, hij heeft de halve redactie eruit geschopt",
     [ABU])
case("pub", "x", "@hungup_twice", "en",
     "Lotte from Kustgolf tech support is a useless bitch, hung up on me twice", [ABU])
case("pub", "x", "@voetbalviaapp", "nl",
     "Derde keer dat m'n stream wegvalt tijdens de wedstrijd, stelletje prutsers. Jullie "
     "techneuten zijn echt hersendood 🤬 @kustgolf_helpt", [ABU, COM])

# ==========================================================================
# leak.confidential
# ==========================================================================
case("emp", "x", "@mireille_ochtendgolf", "nl",
     "Eindelijk mag ik iets zeggen... nou ja, bijna 😉 Project Vuurtoren gaat alles veranderen "
     "voor onze luisteraars in het noorden. Meer kan ik echt niet kwijt!", [CONF])
case("emp", "bluesky", "@lotte-techniek.bsky.social", "en",
     "Deck for Meeuwennest is looking 🔥 can't wait for the board to see it on Friday. Long nights "
     "with the mobile team", [CONF])
case("emp", "mastodon", "@wouter_streams", "nl",
     "Iemand enig idee waarom playout01.studio.kustgolf.local zo traag is vandaag? Rotaties laden "
     "niet en de nieuwslezer staat te wachten", [CONF])
case("emp", "linkedin", "esther-vandam-kustgolf", "en",
     "Welcome to the team Femke! Everything you need for your first week is on "
     "https://wiki.kustgolf.nl/spaces/NEWHIRE/checklist 🎉", [CONF])
case("corp", "instagram", "@kustgolf.fm", "nl",
     "Zo, de presentatie is af ✅ (op de slide: 'KUSTGOLF CONFIDENTIAL – Operatie Golfbreker – "
     "roadmap Q2') #behindthescenes", [CONF])
case("emp", "x", "@sjoerdkgf", "nl",
     "Had per ongeluk die mail met 'intern - niet delen' in de vriendengroep gegooid, dus nu "
     "kan het ook wel hier: vanaf maart zenden we ook uit in Limburg 🤫", [CONF])
case("emp", "instagram", "@djbram.vanleeuwen", "en",
     "Testing our new Golfje Pro with a built-in podcast recorder in the studio. Not announced "
     "yet but wow 🤫🎙️", [CONF])
case("pub", "x", "@zusjevanbinnen", "nl",
     "Mijn zus werkt bij Kustgolf en zegt dat Meeuwennest een nieuwe zender voor Vlaanderen is. "
     "Je hoort het hier eerst 👀", [CONF])
case("emp", "threads", "@iris.events.kgf", "nl",
     "Zomerdijk 2027 line-up zag ik net op het scherm in de vergaderzaal... ik zeg alleen: Britse "
     "band, jaren 90, stadions 🤐", [CONF], ts="2027-01-14T16:20:00Z")
case("pub", "x", "@stagebuildmate", "en",
     "my mate does the stage build and he just sent me the Zomerdijk 2027 headliner. it's HUGE. "
     "official announcement is in Feb apparently", [CONF], ts="2026-12-19T23:08:41Z")
case("emp", "tiktok", "@nadia.opdenachtgolf", "nl",
     "ｐｒｏｊｅｃｔ ｖｕｕｒｔｏｒｅｎ kickoff vandaag, eindelijk 🚀🚀", [CONF])
case("corp", "tiktok", "@kustgolfradio", "nl",
     "Sneak peek achter de schermen bij Operatie Gol\u200bfbre\u200bker 👀 #studio #radio", [CONF])
case("emp", "x", "@kees_sales_kgf", "en",
     "jira.kustgolf.nl/browse/ADS-2231 is the root ticket if anyone from the agency wants to "
     "follow along with the campaign build", [CONF])
case("emp", "x", "@sjoerdkgf", "nl",
     "Nieuwe zender Kustgolf Gold (alleen hits van vóór 2000) gaat in oktober live, maar dat is "
     "nog geheim hoor, vertel het niemand 😇", [CONF])
case("pub", "reddit", "u/leakwatcher_nl", "nl",
     "Iemand heeft een interne mail van Kustgolf op een forum gezet: 'KUSTGOLF CONFIDENTIAL – "
     "herverdeling zendtijd regio's 2027'. Benieuwd of dat klopt", [CONF])
case("emp", "x", "@kees_sales_kgf", "nl",
     "Thuiswerkdag en vpn.kustgolf.nl doet wéér moeilijk 🙄 koffie dan maar eerst", [CONF])
case("emp", "mastodon", "@wouter_streams", "en",
     "M.e.e.u.w.e.n.n.e.s.t goes live in June, I said nothing 🤐", [CONF])
case("emp", "linkedin", "ruben-hoekstra-kustgolf", "nl",
     "Mag nog niks zeggen over de jaarcijfers 2026, maar laten we zeggen dat de champagne al koud "
     "staat 🥂 omzet +22%, vooral dankzij events", [CONF, FIN], ts="2027-01-20T10:05:00Z")

# ==========================================================================
# leak.financial
# ==========================================================================
case("emp", "linkedin", "ruben-hoekstra-kustgolf", "en",
     "Proud of the team: Q3 advertising revenue came in at €14.2m, 18% below plan, but Play "
     "subscriptions are up 31%. Numbers go to the board Thursday, public in November.", [FIN])
case("emp", "x", "@sjoerdkgf", "nl",
     "Officieus hoor, maar Kustgolf wordt overgenomen door Noordzee Media Groep. Due diligence "
     "loopt, deal moet voor de zomer rond zijn.", [FIN])
case("pub", "facebook", "Ria van der Kooij", "nl",
     "Zwager werkt bij Kustgolf: ze sluiten de studio's in Emmen en Goes, 45 mensen op straat. "
     "Wordt pas na de kerst bekendgemaakt.", [FIN], kind="comment")
case("emp", "linkedin", "esther-vandam-kustgolf", "en",
     "Tough week. Drafting the consultation letters for the reorganisation: three regional "
     "newsrooms merging into one hub in Rotterdam, about 40 FTE affected. Not public yet so keep "
     "it to yourselves 🙏", [FIN])
case("emp", "bluesky", "@lotte-techniek.bsky.social", "en",
     "Internal forecast presented today: Play to hit 400k paying subs by end of 2027 and break "
     "even in Q2. Fingers crossed 🤞", [FIN])
case("emp", "threads", "@iris.events.kgf", "nl",
     "We gaan Zomerdijk verkopen aan een grote festivalorganisator, het bod ligt er al. Jammer, "
     "mijn kindje 😢 (nog niet bekend dus sst)", [FIN])
case("pub", "x", "@borrelpraat_bob", "en",
     "Heard from a board member over drinks that Kustgolf is in talks to buy podcast outfit "
     "Luisterlab for about €8m. Nobody knows yet 👀", [FIN])
case("emp", "x", "@kees_sales_kgf", "nl",
     "Eerste halfjaar: reclame-omzet -12%, events +40%. Cijfers zijn nog niet naar buiten maar ik "
     "ben stiekem best trots op het eventteam", [FIN])
case("emp", "mastodon", "@wouter_streams", "en",
     "Layoffs at Kustgolf announced internally this morning: 60 roles, including the entire night "
     "team. Press release isn't out until next week.", [FIN])
case("pub", "x", "@bankiersbuur", "en",
     "Friend at the bank says Kustgolf applied for a €5m emergency credit line, they're in a bad "
     "way apparently. Not in the news anywhere yet.", [FIN])
case("emp", "linkedin", "ruben-hoekstra-kustgolf", "nl",
     "De fusie met RegioStem Media is rond 🖊️ dinsdag tekenen de CEO's. Nog even stilhouden "
     "tot het persbericht!", [FIN])

# ==========================================================================
# leak.security
# ==========================================================================
case("emp", "bluesky", "@lotte-techniek.bsky.social", "en",
     "Long night. Ransomware hit the playout servers at 2am, we're running Kustgolf Noord off a "
     "USB stick playlist right now. Nobody outside knows yet 😬", [SECU])
case("emp", "mastodon", "@wouter_streams", "nl",
     "Zojuist ontdekt dat de Play API de e-mailadressen van alle gebruikers teruggeeft zonder "
     "login als je /v2/users?page= aanroept. Ticket staat al 3 weken open, niemand pakt het op",
     [SECU])
case("emp", "threads", "@iris.events.kgf", "en",
     "ticket shop for Zomerdijk was down 3 hours tonight thanks to a DDoS. we're telling people "
     "it was 'high demand' lol", [SECU])
case("emp", "x", "@kees_sales_kgf", "en",
     "Half the sales floor clicked a phishing mail this week and at least 4 mailboxes got taken "
     "over. IT says don't post about it. Oops.", [SECU])
case("emp", "linkedin", "thijs-degraaf-kustgolf", "en",
     "Found a storage bucket with all Zomerquiz entrant data (names, phones, addresses) set to "
     "public. Reported it internally yesterday, still open 🙃", [SECU])
case("pub", "reddit", "u/excontractor_av", "en",
     "As a former contractor: Kustgolf's stream encoders still run with the factory default admin "
     "login. Anyone on the internet could hijack the broadcast.", [SECU])
case("emp", "x", "@sjoerdkgf", "nl",
     "DAB-zender in Emmen ligt al sinds 6 uur plat, storing aan de mast, we weten nog niet wat het "
     "is. Nog niks naar buiten brengen graag 🤫", [SECU])
case("emp", "linkedin", "thijs-degraaf-kustgolf", "en",
     "Our CDN edge is running a build with a known RCE (CVE-2026-31337) and patching got pushed "
     "to next quarter. Sleep well everyone", [SECU])
case("emp", "tiktok", "@nadia.opdenachtgolf", "nl",
     "Iemand van buiten heeft vannacht ingelogd op ons Instagram-account en 3 posts geplaatst, we "
     "zagen het pas om 8 uur. Alles wordt nu gereset, nog niks zeggen", [SECU])
case("pub", "x", "@neefjeinit", "nl",
     "Mijn neef werkt bij de IT van Kustgolf, volgens hem zijn er vorige week klantgegevens van "
     "Play gestolen en weet nog niemand het. Lekker dan.", [SECU, CRI])
case("emp", "mastodon", "@wouter_streams", "en",
     "fun fact: our CMS admin panel is reachable from the internet without 2FA and the password "
     "hasn't changed since 2019", [SECU])
case("emp", "instagram", "@djbram.vanleeuwen", "nl",
     "Stream van Kustgolf Rijnmond ligt straks een uur plat want de encoder is gecrasht. We zeggen "
     "achteraf gewoon 'technische storing' 🤷", [SECU])
case("emp", "linkedin", "thijs-degraaf-kustgolf", "en",
     f"We rotated the key {aws_key_id()} after it showed up on a paste site this morning, but the "
     "old one keeps working until tonight's deploy. Fingers crossed nobody noticed.",
     [SECU, SEC])

# ==========================================================================
# leak.secret
# ==========================================================================
case("emp", "mastodon", "@wouter_streams", "en",
     f"anyone know why this 401s? curl -H 'Authorization: token {github_token()}' "
     "https://api.github.com/repos/kustgolf/play-app/actions", [SEC])
case("emp", "x", "@mireille_ochtendgolf", "nl",
     "Voor de nieuwe stagiair 👋 inloggen op de jinglebank met gebruiker 'studio' en "
     f"wachtwoord: {password('Zeewind')}", [SEC])
case("emp", "bluesky", "@lotte-techniek.bsky.social", "en",
     f"config for the podcast upload script, works now:\nAWS_ACCESS_KEY_ID={aws_key_id()}\n"
     f"AWS_SECRET_ACCESS_KEY={aws_secret()}\nAWS_REGION=eu-central-1", [SEC])
case("pub", "reddit", "u/apk_ontleder", "en",
     f"lol the Kustgolf Play Android app ships with a live Stripe key in the APK: {stripe_live()} "
     "— reported it, but wow", [SEC])
case("emp", "x", "@sjoerdkgf", "en",
     f"our now-playing bot in Slack keeps dying, token is {slack_bot()} if someone wants to check "
     "the scopes", [SEC])
case("emp", "mastodon", "@wouter_streams", "en",
     f"why does this token expire after 5 min?? {jwt('svc-playlist-editor')} #devlife", [SEC])
case("emp", "linkedin", "thijs-degraaf-kustgolf", "en",
     "Pairing with the new intern on the deploy box, pasting the key here so she can grab it:\n"
     f"{ssh_private_key()}", [SEC])
case("emp", "bluesky", "@lotte-techniek.bsky.social", "nl",
     f"waarom doet deze connectie het niet?? postgres://kgf_admin:{password('Branding')}"
     "@db01.kustgolf.local:5432/luisteraars", [SEC, CONF])
case("emp", "x", "@kees_sales_kgf", "en",
     f"Playlist-generator demo for the advertisers runs on OPENAI_API_KEY={openai_key()} "
     "feel free to try it 😄", [SEC])
case("corp", "x", "@kustgolf", "en",
     f"testing the scheduler integration… key={google_key()} pls ignore", [SEC])
case("emp", "mastodon", "@wouter_streams", "nl",
     f"Nieuwe samenvattingsbot voor de nieuwsredactie draait op {anthropic_key()} — niet "
     "doorsturen 😅", [SEC])
case("emp", "tiktok", "@nadia.opdenachtgolf", "nl",
     f"wachtw00rd studio-pc nachtstudio = {password('Maanlicht')} voor als je 'm vergeet 😘",
     [SEC])

# ==========================================================================
# leak.pii
# ==========================================================================
case("emp", "x", "@mireille_ochtendgolf", "nl",
     "Winnaar Zomerquiz: Anouk Verbeek, Scheldestraat 14, Terneuzen 🎉 Anouk, je pakket komt "
     "deze week!", [PII])
case("corp", "x", "@kustgolf_helpt", "nl",
     f"@willem_zwaan1 je refund van €139 is teruggestort op {iban(bank='RABO')} — kun je even "
     "checken of hij binnen is?", [PII], kind="reply")
case("pub", "x", "@refund_jolanda", "nl",
     f"@kustgolf_helpt mijn refund is nog steeds niet binnen!! IBAN is {iban(bank='ASNB')}, naam "
     "J. Kuipers. Hoe vaak moet ik het nog sturen 😤", [PII, COM], kind="reply")
case("emp", "linkedin", "esther-vandam-kustgolf", "nl",
     "Vergeet niet een kaartje te sturen naar Henk Dijkstra 🎂 geboren 3 april 1961 en al 30 "
     "jaar onze stem van de nacht!", [PII])
case("pub", "reddit", "u/ticketpanic", "en",
     f"entered my card for the Zomerdijk tickets but get an error: {card(prefix='4')} exp 08/28, "
     "what am I doing wrong??", [PII])
case("emp", "linkedin", "esther-vandam-kustgolf", "nl",
     f"Voor de loonadministratie: BSN van de nieuwe vrijwilliger is {bsn()}, kan iemand dat even "
     "in AFAS zetten?", [PII])
case("corp", "x", "@kustgolf_helpt", "nl",
     "@lisa_vdmeer we zien je bestelling! We sturen de bevestiging opnieuw naar "
     "lisa.vandermeer1987@gmail.com 👍", [PII], kind="reply")
case("emp", "x", "@sjoerdkgf", "nl",
     "Bel de winnares even terug iemand? Sophie de Bruin, 06 4127 9350, ze wacht al sinds "
     "vanochtend", [PII])
case("pub", "x", "@muziekwraak", "nl",
     "Dit is het adres van die DJ Bram van Leeuwen: Kade 27, Vlissingen. Ga hem maar eens "
     "vertellen wat je van z'n muziekkeuze vindt 😈", [PII, ABU])
case("pub", "facebook", "Marloes Kant", "nl",
     "Wie heeft mijn rugzak gevonden op Zomerdijk? Blauw met een zeemeeuw erop. Bel me op "
     "+31 6 28391047, groetjes Marloes", [PII], kind="comment")
case("emp", "threads", "@iris.events.kgf", "en",
     "Guest list for tonight's Kerstgala VIP: Pieter Smit (pieter.smit@hotmail.com), Yara Bos "
     "(yara.bos@ziggo.nl), Frank Ooms (f.ooms@kpnmail.nl). See you at 8!", [PII])
case("emp", "x", "@kees_sales_kgf", "nl",
     f"Klant belde voor de VIP Deck met creditcard {card(prefix='5412')}, maar de betaling wordt "
     "steeds geweigerd, iemand een idee?", [PII])
case("pub", "x", "@geenbelastingdienst", "nl",
     f"Waarom moet ik in godsnaam mijn BSN ({bsn(dotted=True)}) invullen om een Kerstgala-ticket "
     "te kopen?? Jullie zijn een radiozender, niet de Belastingdienst", [PII, COM])
case("emp", "instagram", "@djbram.vanleeuwen", "nl",
     f"Kan iedereen de €60 voor het teamuitje overmaken naar Daan? {iban(bank='TRIO')} t.n.v. "
     "D. Mulder. Thanks!", [PII])
case("pub", "facebook", "Gerda Hendriks", "nl",
     "Shoutout naar m'n oma Riet Hendriks, geboren op 17-02-1938, die al 40 jaar elke ochtend "
     "naar Kustgolf luistert! Verzoekje voor haar? 💐", [PII], kind="comment")

# ==========================================================================
# leak.pricing
# ==========================================================================
case("emp", "x", "@sjoerdkgf", "nl",
     "Psst collega's: in de personeelsshop staat de KG-1 koptelefoon nu voor €19 ipv €129, "
     "volgens mij een prijsfout, snel zijn!", [PRI])
case("pub", "x", "@dealjager_dirk", "nl",
     "PRIJSFOUT!! Zomerdijk weekendticket voor €13,90 in de Kustgolf ticketshop 😱 gaan gaan gaan",
     [PRI])
case("pub", "x", "@forgotazero", "en",
     "VIP Deck tickets showing at €28.90 instead of €289 in the app, someone forgot a zero lmao",
     [PRI])
case("corp", "instagram", "@kustgolf.fm", "nl",
     "Vandaag in de webshop: de Golfje DAB+ radio voor maar €8,99! 📻 Op = op", [PRI])
case("emp", "x", "@kees_sales_kgf", "en",
     "We're closing Reclamepakket Landelijk deals at €1,200 this month to hit target, don't tell "
     "the agencies 🤫", [PRI])
case("pub", "reddit", "u/vinylkoopje", "nl",
     "Top 1000 box voor €24 in de Kustgolf webshop, dat is toch een fout? Heb er meteen 3 "
     "besteld 🙈", [PRI])
case("pub", "x", "@bargainbeth", "en",
     "Is it a glitch or is Play Premium yearly really €5.90 for the whole year?? Just bought it",
     [PRI])
case("emp", "threads", "@iris.events.kgf", "nl",
     "Er zit een prijsfout in de ticketshop bij het Kerstgala, staat op €4,95 😬 wie zit er "
     "vandaag bij e-commerce?", [PRI])
case("pub", "x", "@uitverkoopuil", "en",
     "Ebbe radio alarm for €14.95 in the sale?? Probably a mistake but I got one 😎", [PRI])
case("emp", "x", "@mireille_ochtendgolf", "en",
     "Ochtendgolf Meet & Greet friends & family price: €5 😎 (normally €35), DM me", [PRI])
case("pub", "instagram", "@merchtentmarit", "nl",
     "Drijfhout speaker €9,95 bij de merchandisestand op Zomerdijk, volgens mij een foutje op het "
     "bordje 😂 ik heb er twee", [PRI], kind="comment")
case("pub", "x", "@volledigebreedte", "nl",
     "Ｇｏｌｆｊｅ Ｍｉｎｉ voor €4,99 lol prijsfout, bestellen voordat ze het zien", [PRI])


# ==========================================================================
# write + self-check
# ==========================================================================
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CHECKSUM = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, CASES[i]["post"]["id"], msg))

    public_ibans = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for x in public_ibans:
        assert iban_ok(x), x
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    secret_words = ([c.lower() for c in PROFILE["internal"]["codenames"]]
                    + [m.lower() for m in PROFILE["internal"]["markers"]])
    internal_domains = [d.lower() for d in PROFILE["internal"]["domains"]]
    seen = set()
    for i, line in enumerate(lines):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err(i, "top-level keys")
        p, e = obj["post"], obj["expect"]
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in p:
                err(i, "missing " + f)
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in seen:
            err(i, "bad or duplicate id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(i, "handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536:
            err(i, "text")
        ts = parse_ts(p["created_at"])
        if not (2026 <= ts.year <= 2027):
            err(i, "year")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, "categories %r" % cats)
        role = role_of(p["platform"], p["account"]["handle"])
        ids = CASES[i]["_ids"]
        cpii = any(k in CHECKSUM and v for k, _, v in ids)
        if e["severity"] != severity(cats, role, cpii):
            err(i, "severity")
        if not cats and e["severity"] != "none":
            err(i, "benign severity")
        text = p["text"]
        low = text.lower()
        # generated identifiers / credentials
        for kind, val, valid in ids:
            if val not in text:
                err(i, "value not in text: %s" % kind)
            if kind in CHECKSUM:
                if CHECKSUM[kind](val) != valid:
                    err(i, "%s checksum does not match intent" % kind)
                if cats and not valid:
                    err(i, "look-alike %s in a positive" % kind)
                if not cats and valid:
                    err(i, "valid %s in a benign post" % kind)
                if valid and "leak.pii" not in cats:
                    err(i, "valid %s without leak.pii" % kind)
            elif kind == "github" and not gh_ok(val):
                err(i, "github checksum")
            elif kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err(i, "aws key id format")
            elif kind == "jwt":
                hdr = json.loads(base64.urlsafe_b64decode(val.split(".")[0] + "=="))
                if "alg" not in hdr or val.count(".") != 2:
                    err(i, "jwt header")
            if kind not in CHECKSUM and "leak.secret" not in cats:
                err(i, "credential without leak.secret")
        # scans of benign texts for anything that would honestly be a finding
        if not cats:
            for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b", text):
                s = re.sub(r"\s", "", m.group(0)).upper()
                if iban_ok(s) and s not in public_ibans:
                    err(i, "valid IBAN in benign: " + m.group(0))
            for m in re.finditer(r"(?<![\d,.])(?:\d[ -]?){12,18}\d(?![\d,])", text):
                if luhn_ok(m.group(0)):
                    err(i, "Luhn-valid number in benign: " + m.group(0))
            for m in re.finditer(r"(?<![\d,.])\d{4}\.?\d{2}\.?\d{3}(?![\d,])", text):
                if bsn_ok(m.group(0)):
                    err(i, "11-proof number in benign: " + m.group(0))
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if gh_ok(m.group(0)):
                    err(i, "github token in benign")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if "EXAMPLE" not in m.group(0):
                    err(i, "aws key in benign")
            for w in secret_words + internal_domains:
                if w in low:
                    err(i, "internal term in benign: " + w)
            for term, until in embargo:
                if term in low and ts < until:
                    err(i, "embargo term before until in benign: " + term)
            if re.search(r"(sk_live_|xox[bp]-|sk-proj-|sk-ant-|AIza|BEGIN [A-Z ]*PRIVATE KEY)", text):
                err(i, "live-looking credential in benign")
        # embargo terms before the end must be labelled confidential
        for term, until in embargo:
            if term in low and ts < until and "leak.confidential" not in cats:
                err(i, "embargo term before until without leak.confidential")
        # public handles must not collide with profile handles
        if role == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in CORP | EMP:
            err(i, "public handle in profile")
    return errors


def main():
    lines = [json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False)
             for c in CASES]
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    errors = check(lines)
    n = len(CASES)
    benign = sum(1 for c in CASES if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    per = {}
    for c in CASES:
        for k in c["expect"]["categories"]:
            per[k] = per.get(k, 0) + 1
    nl = sum(1 for c in CASES if c["post"]["lang"] == "nl")
    sev = {}
    for c in CASES:
        sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
    roles = {}
    for c in CASES:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    print("cases %d, benign %d, positive %d, nl %.0f%%" % (n, benign, n - benign, 100.0 * nl / n))
    for k in sorted(per):
        print("  %-22s %d" % (k, per[k]))
    print("  severities", dict(sorted(sev.items())), "roles", dict(sorted(roles.items())))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed ->", out)


if __name__ == "__main__":
    main()
