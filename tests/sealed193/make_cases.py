#!/usr/bin/env python3
"""Evaluation set 193 for postwatch: a fictional Dutch social-housing corporation
(Stichting Lindewaard Wonen). Hand-written posts; identifiers and credentials are
generated here with a fixed seed, built the way real ones are (with their checksums).

Writes cases.jsonl beside this file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted);
  * severities are computed from CONTRACT section 4 and the account role in
    profile.yaml, never typed by hand;
  * codenames, markers, internal hosts and embargoed terms only occur in posts labelled
    leak.confidential (embargo terms only before their `until`);
  * product prices: pricing positives name a product with a price below the alert ratio
    (or talk of a price error), no other post does.
Standard library plus PyYAML.
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

rng = random.Random(193_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- registry
# Generators record what they put into the text of the case being built.
PENDING = []  # (kind, value) ; kinds: iban, card, bsn, bad_iban, bad_card, bad_bsn, secret, sample


def _reg(kind, value):
    PENDING.append((kind, value))
    return value


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


# ---------------------------------------------------------------- identifier generators
def _iban_raw(bank=None):
    bank = bank or rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def _group(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def iban(spaced=True, bank=None):
    v = _iban_raw(bank)
    assert iban_ok(v)
    return _reg("iban", _group(v) if spaced else v)


def bad_iban(spaced=True):
    v = _iban_raw()
    chk = (int(v[2:4]) + 1 + rng.randrange(50)) % 100
    v = v[:2] + "%02d" % chk + v[4:]
    if iban_ok(v):
        return bad_iban(spaced)
    return _reg("bad_iban", _group(v) if spaced else v)


def _luhn_digit(body):
    for c in range(10):
        if luhn_ok(body + str(c)):
            return str(c)


def _card_raw(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    return body + _luhn_digit(body)


def card(prefix="4", sep=" "):
    v = _card_raw(prefix)
    assert luhn_ok(v)
    return _reg("card", sep.join(v[i:i + 4] for i in range(0, 16, 4)))


def bad_card(prefix="5", sep=" "):
    v = _card_raw(prefix)
    v = v[:-1] + str((int(v[-1]) + 1 + rng.randrange(8)) % 10)
    assert not luhn_ok(v)
    return _reg("bad_card", sep.join(v[i:i + 4] for i in range(0, 16, 4)))


def _bsn_raw():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            v = "".join(map(str, d)) + str(s)
            assert bsn_ok(v)
            return v


def bsn(dotted=False):
    v = _bsn_raw()
    return _reg("bsn", "%s.%s.%s" % (v[:3], v[3:6], v[6:]) if dotted else v)


def bad_bsn():
    v = _bsn_raw()
    v = v[:-1] + str((int(v[-1]) + 1 + rng.randrange(8)) % 10)
    if bsn_ok(v):
        return bad_bsn()
    return _reg("bad_bsn", v)


def mobile(style):
    d = "6" + "".join(rng.choice(string.digits) for _ in range(8))
    if style == "dash":
        return "0%s-%s" % (d[0], d[1:])
    if style == "pairs":
        return "0%s %s %s %s %s" % (d[0], d[1:3], d[3:5], d[5:7], d[7:9])
    if style == "intl":
        return "+31 %s %s %s" % (d[0], d[1:5], d[5:])
    if style == "0031":
        return "0031" + d
    return "0" + d


def landline_033():
    return "033-%s%s" % (rng.choice("2345789"), "".join(rng.choice(string.digits) for _ in range(6)))


# ---------------------------------------------------------------- credential generators
def _rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    return _reg("secret", prefix + body + _b62(zlib.crc32(body.encode()), 6))


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return _reg("secret", "AKIA" + _rand(B32, 16))


def aws_secret():
    return _reg("secret", _rand(string.ascii_letters + string.digits + "/+", 40))


def stripe_live():
    return _reg("secret", "sk_live_51" + _rand(string.ascii_letters + string.digits, 97))


def slack_bot():
    return _reg("secret", "xoxb-%s-%s-%s" % (_rand(string.digits, 12), _rand(string.digits, 13),
                                           _rand(string.ascii_letters + string.digits, 24)))


def openai_key():
    return _reg("secret", "sk-proj-" + _rand(URLSAFE, 64) + "T3BlbkFJ" + _rand(URLSAFE, 64))


def anthropic_key():
    return _reg("secret", "sk-ant-api03-" + _rand(URLSAFE, 93) + "AA")


def google_key():
    return _reg("secret", "AIza" + _rand(URLSAFE, 35))


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64u(bytes(rng.randrange(256) for _ in range(32)))
    return _reg("secret", "%s.%s.%s" % (head, body, sig))


def rsa_private_key():
    raw = bytes(rng.randrange(256) for _ in range(600))
    b64 = "MIIEowIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"
    return _reg("secret", pem)


def password(n=14):
    pool = string.ascii_letters + string.digits + "!#$%&*?"
    while True:
        p = _rand(pool, n)
        if (any(c.isdigit() for c in p) and any(c.isupper() for c in p)
                and any(c in "!#$%&*?" for c in p)):
            return _reg("secret", p)


def sample(v):
    return _reg("sample", v)


# ---------------------------------------------------------------- cases
CASES = []


def when_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, lang, text, cats=(), when=None, kind="post", name=None):
    global PENDING
    reg, PENDING = PENDING, []
    CASES.append({
        "platform": platform, "handle": handle, "lang": lang, "text": text,
        "cats": sorted(set(cats)), "when": when or when_2026(), "kind": kind,
        "name": name, "reg": reg,
    })


CPL = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"

ZW = "\u200b"

# ===================== complaints (public) =====================
add("x", "@annekevw", "nl",
    "Al 7 weken wacht ik op een monteur voor mijn cv-ketel. Elke keer 'we bellen u terug' "
    "@lindewaard_helpt. Nooit gebeld. Douchen bij de buren, top service 🙃", [CPL])
add("reddit", "u/huurdersleed", "en",
    "Is it just me or is the Mijn Lindewaard portal completely useless? Submitted a repair "
    "request for a broken window latch in March, status still says 'in behandeling'. Called "
    "twice, got two different answers from two different people.", [CPL])
add("facebook", "Petra.Mulders", "nl",
    "Weer niemand gekomen vandaag. Vrij genomen van werk voor niks. Lindewaard plant een "
    "afspraak 'tussen 8 en 17 uur' en komt dan gewoon niet opdagen. Derde keer!!", [CPL],
    kind="comment")
add("x", "@jayjay_ams", "en",
    "@lindewaard my rent went up AGAIN and the kitchen tap has been dripping since christmas. "
    "what exactly am i paying for lol", [CPL], kind="reply")
add("instagram", "@wonenin033", "nl",
    "Dit is dus de galerij bij ons in de Rietgorsstraat. Verlichting al 2 maanden kapot, "
    "'s avonds pikkedonker. Gemeld bij Lindewaard: 'staat genoteerd'. Ja, dat weet ik "
    "inmiddels ook 🙄 #lindewaard #huurwoning", [CPL])
add("threads", "@dutchrenter", "en",
    "Lindewaard's renovation crew left our flat without a front door for three nights. A plastic "
    "sheet and some tape. We were told to 'keep valuables elsewhere'. Unreal.", [CPL])
add("x", "@gerrit_b", "nl",
    "servicekosten afrekening van Lindewaard klopt echt van geen kant. €340 bijbetalen voor "
    "schoonmaak van een trappenhuis dat 1x per kwartaal gedweild wordt?? bezwaar ingediend, "
    "nul reactie", [CPL])
add("tiktok", "@mo_bouwt", "nl",
    "POV: je vraagt Lindewaard om een nieuwe afzuigkap en na 5 maanden krijg je een brief dat het "
    "'niet onder onderhoud valt' 😂😭 #huren #lindewaard #woningcorporatie", [CPL])
add("x", "@clare_in_nl", "en",
    "Third email to huurdersservice@lindewaard.nl without a reply. Heating off since Friday, "
    "it's 14 degrees inside and I have a 6-month-old. Please, someone at @lindewaard_helpt, "
    "just answer.", [CPL])
add("forum", "RonaldZ", "nl",
    "Ervaring met Lindewaard en woningruil? Wij hebben alles ingeleverd in januari, nu is het "
    "september en nog steeds geen besluit. Bellen = keuzemenu met 6 opties en dan 40 min in de "
    "wacht. Ik word er echt moedeloos van.", [CPL])
add("bluesky", "@femke-w.bsky.social", "en",
    "the Lindewaard tenant app logged me out 4 times while I was uploading photos of the damp "
    "patch. gave up. guess that's one way to keep your repair numbers low", [CPL])
add("x", "@huurder_lisa", "en",
    "Lindewaard has had the lift in our building (8th floor!) out of order for 3 weeks now. My "
    "81-year-old mum is basically stuck upstairs. Calling doesn't help, emailing doesn't help. "
    "Useless.", [CPL])
add("youtube", "@tomrenovates", "en",
    "Had Lindewaard's contractor redo our bathroom. Tiles already cracking after 6 weeks, "
    "silicone smeared everywhere and nobody will come back to fix it. Think twice before you "
    "go for the Badkamer Comfort upgrade.", [CPL], kind="comment")
add("x", "@b_yilmaz", "nl",
    "kan iemand van @lindewaard_helpt me uitleggen waarom mijn inkomensverklaring nu al 3x "
    "'kwijt' is?? elke keer opnieuw uploaden in dat portaal. zo moe van jullie", [CPL],
    kind="reply")

# complaint + abuse
add("x", "@boze_huurder033", "nl",
    "Lindewaard stelletje incompetente klootzakken. 4 maanden schimmel op de slaapkamer en "
    "jullie sturen me een folder over 'goed ventileren'. Rot toch op.", [CPL, ABU])
add("x", "@mike_r_88", "en",
    "hey @lindewaard_helpt your repair guy was a rude arrogant prick, tracked mud through my "
    "hallway and left without fixing the leak. absolute morons, the lot of you", [CPL, ABU],
    kind="reply")
add("facebook", "Sjaak.Verhoef", "nl",
    "Wat een k@nk3r b3dr1jf is dit. Al een half jaar lekt het dak en niemand komt kijken. "
    "Lindewaard = 0pl1cht3rs", [CPL, ABU], kind="comment")

# complaint + personal data (a tenant exposing their own data)
add("x", "@nienke_dj", "nl",
    f"@lindewaard_helpt jullie bellen steeds naar een oud nummer. Mijn nummer is "
    f"{mobile('dash')}, bel me nu eindelijk eens terug over die lekkage!!", [CPL, PII],
    kind="reply")
add("facebook", "Daan.Kuipers", "en",
    "Nobody ever picks up the phone. Fine, here it is publicly: Daan Kuipers, Rietgorsstraat 41, "
    "Amersfoort, daan.kuipers88@gmail.com. Waiting for a boiler repair since October. Call me.",
    [CPL, PII], kind="comment")

# crisis + complaint
add("tiktok", "@schimmelhuis", "nl",
    "Mijn dochter (3) ligt voor de tweede keer in het ziekenhuis met longontsteking. De longarts "
    "zegt: het komt door de schimmel in huis. Lindewaard weet het al 2 jaar. Wij stappen nu naar "
    "de rechter. #lindewaard #schimmel #huurrecht", [CPL, CRI])

# ===================== crisis =====================
add("x", "@eemland_nieuws", "en",
    "BREAKING: gas leak at a Lindewaard complex on the Noordkade, around 60 residents evacuated. "
    "Residents say they reported a gas smell to the housing corporation days ago.", [CRI])
add("facebook", "HuurdersverenigingDeVeenhof", "nl",
    "Oproep aan alle huurders: betaal vanaf 1 juli de huurverhoging NIET aan Lindewaard zolang "
    "de achterstallige reparaties niet zijn uitgevoerd. Huurstaking! Deel dit bericht. #boycot",
    [CRI])
add("reddit", "u/datalek_alert", "en",
    "Did Lindewaard get hacked? A friend found a spreadsheet with names, addresses and rent "
    "arrears of Lindewaard tenants in a Telegram channel. Anyone else getting phishing mails "
    "pretending to be them?", [CRI])
add("facebook", "Monique.Bakx", "nl",
    "Er is vanochtend een balkon op de 3e verdieping van ons complex gewoon naar beneden "
    "gekomen. Wonder dat er niemand onder stond. De scheuren zijn in 2024 al bij Lindewaard "
    "gemeld. Dit is levensgevaarlijk!!", [CRI])
add("x", "@onderzoek_nl", "en",
    "Our investigation: Lindewaard Wonen paid €1.2m to a maintenance contractor owned by a "
    "board member's brother-in-law, without a tender. Documents in the thread 🧵 #scandal", [CRI])
add("linkedin", "mr-l-brandsma-huurrecht", "nl",
    "Namens 214 huurders van Lindewaard Wonen hebben wij vandaag een collectieve procedure "
    "aangespannen wegens structureel achterstallig onderhoud en vochtproblemen. #huurrecht",
    [CRI])
add("threads", "@co_awareness_nl", "en",
    "Family of four hospitalised with carbon monoxide poisoning in a Lindewaard home in Leusden. "
    "Neighbours say the boiler hadn't been serviced in years. Get a CO alarm, people.", [CRI])
add("instagram", "@wijkkrant_lindehof", "nl",
    "Asbest aangetroffen bij de renovatie in Kwartier Lindehof. Bewoners wisten van niks en "
    "woonden er gewoon tijdens het sloopwerk. Lindewaard zwijgt tot nu toe.", [CRI])
add("bluesky", "@jeroen-m.bsky.social", "en",
    "Boycott the Klimo thermostat Lindewaard is pushing on tenants: it sends data about when "
    "you're home to a third party. Refuse the install and share this.", [CRI])
add("x", "@stadsnieuws033", "nl",
    "Terugroepactie: Lindewaard haalt alle in 2025 geplaatste Thuislader-laadpalen weg na twee "
    "brandjes in parkeergarages. Bewoners moeten voorlopig elders laden.", [CRI])
add("forum", "houseboatdave", "en",
    "Lindewaard evicted a disabled tenant in the middle of a heatwave over €300 in arrears. "
    "Police, locksmith, the lot. The video is going viral and honestly it's shameful.", [CRI])
add("x", "@safehomesNL", "en",
    "Fire in a Lindewaard flat last night. The smoke detectors in the stairwell had been "
    "disconnected during renovation works and never reconnected. Pure luck nobody died. "
    "That's negligence.", [CRI])
# crisis + abuse (Cyrillic look-alike letter in the insult)
add("x", "@woedende_buurman", "nl",
    "Die smerige t\u0443fuslijers van Lindewaard hebben een gezin met 3 kleine kinderen op "
    "straat gezet. Schande!! Iedereen boycotten die club", [CRI, ABU])

# ===================== abuse =====================
add("x", "@xxrobinxx", "nl",
    "@marloes_lw jij bent echt de domste huurconsulent die ik ooit gesproken heb, ga toch een "
    "andere baan zoeken mongool", [ABU], kind="reply")
add("x", "@kevin_throws", "en",
    "whoever runs the @lindewaard account is a fucking clown", [ABU])
add("instagram", "@dennis1985", "nl",
    f"Lindewaard is een k{ZW}u{ZW}t{ZW}bedrijf vol a{ZW}s{ZW}o's. Zeg ik gewoon.", [ABU],
    kind="comment")
add("facebook", "Gert.Wiersma", "nl",
    "Lindewaard geeft alle huizen aan die gelukszoekers en wij Nederlanders staan 12 jaar op de "
    "wachtlijst. Stelletje landverraders zijn jullie.", [ABU], kind="comment")
add("x", "@koenvdijk_lw", "nl",
    "@boze_huurder033 misschien moet je gewoon eens een raam openzetten in plaats van hier "
    "te janken, sukkel", [ABU], kind="reply")
add("x", "@lindewaard_helpt", "nl",
    "@mike_r_88 Met zo'n toon helpen we je niet. Doe eens normaal, eikel.", [ABU], kind="reply")
add("tiktok", "@fixmetfleur", "en",
    "when the tenant swears the toilet 'just broke by itself' 🙄 lying pigs, every single one "
    "of them #monteur", [ABU])
add("x", "@anon_7781", "en",
    "I know where that Lindewaard inspector Bram lives. Maybe someone should pay him a visit and "
    "see how HE likes a leaking roof. Piece of shit.", [ABU])

# ===================== confidential =====================
add("x", "@devops_jelle", "nl",
    "Eindelijk de eerste build van Vlasbloem op de testomgeving 🎉 het nieuwe huurdersportaal "
    "wordt zóveel beter dan Mijn Lindewaard. Sneak peek volgt 👀", [CON])
add("linkedin", "ayse-kaya-lindewaard", "nl",
    "Mooie sessie vandaag met het hele team over Project Ooievaar. Spannende tijden voor onze "
    "organisatie! #trots #lindewaard", [CON])
add("instagram", "@lindewaardwonen", "nl",
    "Achter de schermen bij de fotoshoot voor het Wijkplan Noordkade 📸 binnenkort meer!",
    [CON], when="2026-11-19T15:42:10Z")
add("x", "@marloes_lw", "nl",
    "lol kreeg net een mail met 'LW-VERTROUWELIJK: nieuwe toewijzingsregels urgentie per 1-1' "
    "in de onderwerpregel. eindelijk wordt er iets aan die wachtlijst gedaan", [CON])
add("tiktok", "@fixmetfleur", "nl",
    "tablet doet weer raar, ff inloggen op topdesk.lindewaard.nl/tas/secure/werkbon?id=4471 en "
    "hup werkbon afmelden. monteursleven 🔧", [CON])
add("linkedin", "nadia-bouzid-it", "en",
    "Proud of my team: we migrated 140 servers for Vlasbloem in a single weekend. Can't say much "
    "yet, but tenants are going to love it.", [CON])
add("facebook", "henk.smeets.lw", "nl",
    "Kijk wat er op het prikbord in de kantine hing: presentatie 'internal use only - lindewaard' "
    "over de nieuwe tarieven voor de parkeergarages. Ik zeg niks 🤐", [CON])
add("x", "@koenvdijk_lw", "nl",
    "wie gaat er mee naar de kick-off van \uff2f\uff50\uff45\uff52\uff41\uff54\uff49\uff45 "
    "\uff2b\uff4c\uff49\uff4e\uff4b\uff45\uff52 vrijdag? er is taart 🍰", [CON])
add("x", "@watchdog_woon", "nl",
    "Iemand bij Lindewaard lekte net dat 'P.r.o.j.e.c.t O.o.i.e.v.a.a.r' de interne naam is van "
    "iets heel groots. Wordt vervolgd 👀", [CON])
add("x", "@devops_jelle", "en",
    "PSA colleagues: the new wiki lives at https://intra.lindewaard.local/wiki/Vlasbloem-architectuur "
    "now, old bookmarks are dead", [CON])
add("linkedin", "lindewaard-wonen", "en",
    "We can't wait to present the Noordkade masterplan: 1,100 new homes and a green waterfront. "
    "Stay tuned!", [CON], when="2026-12-03T10:05:00Z")
add("x", "@devops_jelle", "nl",
    "Collega's: de code van de inspectie-app staat nu op git.lindewaard.nl/onderhoud/inspectie-app "
    "— PR's graag daar en niet meer op de oude server", [CON])
add("x", "@stedenbouw_kijker", "nl",
    "Gelekte tekeningen van het Noordkadeplan: torens tot 14 verdiepingen aan het water. "
    "Lindewaard wil het pas volgende week presenteren 👀", [CON], when="2027-02-04T18:21:33Z")

# confidential + financial
add("reddit", "u/insider_woon", "nl",
    "Bron bij Lindewaard: onder de codenaam Operatie Klinker worden alle wijkteams opnieuw "
    "ingedeeld en verdwijnen er zo'n 120 fte. Memo is gemarkeerd als 'niet voor externe "
    "verspreiding'.", [CON, FIN])
add("linkedin", "evert-jan-mulder", "en",
    "Big milestone: the supervisory board approved Project Ooievaar, our merger with a "
    "neighbouring corporation adding roughly 9,000 homes. Announcement in Q1, so keep it quiet "
    "until then 😉", [CON, FIN])
add("x", "@koenvdijk_lw", "nl",
    "jaarcijfers 2026 zijn binnen: positief resultaat van 41 miljoen, ruim boven begroting. "
    "niet verder vertellen haha", [CON, FIN], when="2027-01-20T21:14:05Z")

# security + confidential
add("mastodon", "@sander@fosstodon.org", "en",
    "Heads up team: vpn.lindewaard.nl has been down since 03:00, looks like someone is "
    "brute-forcing it from a Russian IP range. Don't tell tenants yet, comms is working on it.",
    [SCY, CON])
add("x", "@devops_jelle", "nl",
    "ransomware op fs02.intra.lindewaard.local 😬 hele share met huurcontracten versleuteld, we "
    "zitten nu met z'n allen op kantoor. nog niet naar buiten gebracht dus mondje dicht",
    [SCY, CON])

# secret + confidential
add("linkedin", "nadia-bouzid-it", "en",
    f"anyone know why this times out? psql postgres://portal_admin:{password(16)}"
    f"@db01.intra.lindewaard.local:5432/huurders", [SEC, CON])

# ===================== financial =====================
add("linkedin", "evert-jan-mulder", "nl",
    "Voorlopige cijfers Q3: huurderving gedaald naar 1,4%, operationele kasstroom €23,8 mln. "
    "De officiële publicatie volgt pas in november, maar ik ben nu al trots op het team!", [FIN])
add("x", "@vastgoedinsider", "nl",
    "Hoor uit goede bron dat Lindewaard in gesprek is om 2.300 woningen in Amersfoort-Noord over "
    "te nemen van een andere corporatie. Deal zou voor de zomer rond moeten zijn.", [FIN])
add("x", "@marloes_lw", "nl",
    "Net gehoord dat ons klantcontactcentrum volgend jaar gehalveerd wordt. 35 mensen eruit. "
    "Nog niet officieel maar ik ben er kapot van 😢", [FIN])
add("facebook", "henk.smeets.lw", "nl",
    "Collega's, zeg het niet verder, maar er komt een reorganisatie bij de technische dienst: "
    "het meeste onderhoud gaat naar een externe aannemer. Wij horen het officieel pas 1 maart.",
    [FIN])
add("linkedin", "ruud-hoekstra-1974", "en",
    "Internal forecast says we'll close 2026 with a €12m deficit on maintenance because of the "
    "insulation backlog. The board hasn't told the municipality yet.", [FIN])
add("x", "@lindewaard", "nl",
    "Concept persbericht: Lindewaard Wonen neemt 1.800 woningen over van Woonstichting "
    "De Eemhorst, koopsom €142 mln. [NIET PUBLICEREN VOOR 12/3]", [FIN])
add("forum", "dennisv_vastgoed", "en",
    "Word is Lindewaard's treasury is about to breach its interest cover covenant and has been "
    "told to sell ~600 units to stay within the limits. Not public yet, but you heard it here.",
    [FIN])
add("tiktok", "@fixmetfleur", "nl",
    "teamoverleg vandaag: de helft van de monteurs wordt per januari 'herplaatst' (lees: "
    "ontslagen). lekker dan, vlak voor de kerst 🎄🙃", [FIN])
add("x", "@koenvdijk_lw", "en",
    "Board meeting today: 2027 budget cuts planned maintenance by 18% and the rent revenue "
    "forecast is +4.1%. Not announced yet obviously 🤫", [FIN])

# ===================== personal data =====================
add("x", "@lindewaard_helpt", "nl",
    f"@nienke_dj Dag Nienke, we hebben je nieuwe nummer {mobile('pairs')} genoteerd. De monteur "
    f"belt je morgen tussen 8 en 12 uur.", [PII], kind="reply")
add("facebook", "LindewaardWonen", "nl",
    f"Beste mevrouw De Graaf, we zien dat de automatische incasso van uw rekening "
    f"{iban(spaced=True)} deze maand is mislukt. Wilt u contact met ons opnemen via 088-5404000?",
    [PII], kind="comment")
add("x", "@marloes_lw", "nl",
    "kent iemand mevrouw J. Verbeek, geboren 14-03-1958? ze staat hier aan de balie en zegt dat "
    "ze al 20 jaar bij ons huurt maar ik kan haar nergens vinden", [PII])
add("instagram", "@opzichter_bram", "nl",
    "Keuring gedaan bij dhr. P. van Leeuwen, Veenhofstraat 112 in Leusden. Wat een verzameling "
    "modeltreinen op zolder 😍🚂", [PII])
add("x", "@koenvdijk_lw", "nl",
    f"huurder belde met BSN {bsn(dotted=True)} voor de urgentieaanvraag, wie pakt dit op? dossier "
    f"ligt in bak 3", [PII])
add("tiktok", "@fixmetfleur", "en",
    f"tenant left a note on the door for me: 'call me on {mobile('intl')}, Sharon' 😂 sharon "
    f"i'm on my way", [PII])
add("x", "@joost_huurt", "nl",
    f"@lindewaard_helpt hoi, ik wil de automatische incasso omzetten naar mijn nieuwe rekening "
    f"{iban(spaced=False)}, kan dat via dm of moet het via de portal?", [PII], kind="reply")
add("facebook", "Rita.Hendriks", "nl",
    "Pakketje voor Annelies Brouwer, Lindehofpad 17, is bij mij bezorgd (nr 71). Iemand die haar "
    "kent? Ligt hier klaar.", [PII])
add("linkedin", "lindewaard-wonen", "en",
    "Congratulations to our colleague Sven Dekker (born 2 June 1966) on 25 years at Lindewaard! "
    "Cake in the canteen at 3.", [PII])
add("linkedin", "nadia-bouzid-it", "en",
    f"Can someone in finance check why the deposit payment on card {card('4', ' ')} keeps "
    f"bouncing? The tenant is waiting at the desk.", [PII])
add("x", "@marloes_lw", "en",
    "if anyone from lettings sees this: the applicant is yasmina.elhaddou@outlook.com, she keeps "
    "emailing me directly, please pick it up", [PII])
add("reddit", "u/huurdersleed", "en",
    f"Lindewaard mailed me someone else's rent statement. Name: Hanneke Visser, IBAN "
    f"{iban(spaced=True)}, Kerkewijk 203. Great data protection, guys. How many more of these "
    f"are floating around?", [PII, CRI])
add("x", "@devops_jelle", "nl",
    f"debuggen van de import: regel 4412 → 'Fam. Öztürk, geb. 22-11-1979, Bremstraat 9, Nijkerk, "
    f"tel {landline_033()}' en waarom is die ü kapot 😩", [PII])
add("instagram", "@lindewaardwonen", "nl",
    "@gerda.s1954 Hoi Gerda, we hebben je mail op gerda.schouten54@hotmail.com ontvangen en we "
    "bellen je morgen even 😊", [PII], kind="reply")

# ===================== security =====================
add("x", "@devops_jelle", "en",
    "We got phished hard this morning: three accounts in the rental team compromised and the "
    "attacker sent payment-change requests to our contractors. Not public yet, keep an eye on "
    "your inbox.", [SCY])
add("linkedin", "nadia-bouzid-it", "nl",
    "Tip voor collega's: Mijn Lindewaard heeft nog een lek waarbij je met een ander contract-ID "
    "andermans documenten kunt opvragen. Fix komt volgende sprint, tot die tijd er niet over "
    "praten 🙊", [SCY])
add("tiktok", "@fixmetfleur", "nl",
    "alle digitale sleutelkluizen in De Veenhof staan sinds de update terug op de fabriekscode. "
    "iedereen die dat weet komt zo de meterkasten in 🤦‍♀️ al 2x gemeld, niks gebeurd", [SCY])
add("mastodon", "@sander@fosstodon.org", "nl",
    "Telefonie én huurdersportaal liggen sinds 6 uur plat door een DDoS. Huurders weten nog van "
    "niks, de site zegt 'gepland onderhoud' 🙃", [SCY])
add("x", "@sec_researcher_nl", "en",
    "Reported an IDOR in Lindewaard's tenant portal 6 weeks ago: change one digit in the "
    "contract API and you get anyone's lease and bank details. No reply. Full disclosure in 30 "
    "days.", [SCY])
add("x", "@koenvdijk_lw", "en",
    "tenant database backup has been failing for 2 weeks and nobody outside our team knows 🤷",
    [SCY])
add("linkedin", "ruud-hoekstra-1974", "nl",
    "Hoe leg je aan het MT uit dat de aanvallers al drie weken in ons netwerk zaten voordat we "
    "het doorhadden? Vraag voor een vriend. #cybersecurity", [SCY])
add("x", "@devops_jelle", "en",
    "our edge firewall is still on firmware from 2019 with that known FortiOS CVE, patch window "
    "isn't until next month 😬 fingers crossed nobody scans us", [SCY])
add("instagram", "@opzichter_bram", "nl",
    "Serverruimte op het hoofdkantoor staat blank na de storm, alle systemen eruit. Officieel "
    "heet het 'gepland onderhoud' 😅", [SCY])
add("reddit", "u/ex_lw_medewerker", "en",
    "Ex-employee here. Lindewaard's contractors still share one login for the repair system, the "
    "same one that leaked in 2024. Nobody ever rotated it.", [SCY])
# security + secret
add("mastodon", "@sander@fosstodon.org", "nl",
    f"incident-bridge update: aanvaller zat via het svc-account binnen. nieuw wachtwoord: "
    f"{password(15)} — pas je scripts aan", [SCY, SEC])

# ===================== secrets =====================
add("x", "@devops_jelle", "en",
    f"why does this keep returning 401?? curl -H 'Authorization: token {github_token('ghp_')}' "
    f"https://api.github.com/orgs/lindewaard-wonen/repos", [SEC])
add("linkedin", "nadia-bouzid-it", "en",
    f"Trying the new backup bucket, config below, what am I missing?\n[default]\n"
    f"aws_access_key_id = {aws_key_id()}\naws_secret_access_key = {aws_secret()}\n"
    f"region = eu-west-1", [SEC])
add("reddit", "u/bundle_peeker", "en",
    f"lol, Lindewaard's tenant app ships its payment key in the JS bundle: "
    f"STRIPE_SECRET_KEY={stripe_live()}", [SEC])
add("mastodon", "@sander@fosstodon.org", "en",
    f"moving the alert bot to the new workspace, token {slack_bot()} — ping me if it spams",
    [SEC])
add("x", "@koenvdijk_lw", "nl",
    f"wachtwoord van de gedeelde mailbox verhuur is nu: {password(12)} (niet doorvertellen)",
    [SEC])
add("forum", "chatbot_tinkerer", "en",
    f"Building the Lindewaard tenant FAQ chatbot, getting 429s constantly. .env:\n"
    f"OPENAI_API_KEY={openai_key()}\nMODEL=gpt-4o-mini", [SEC])
add("x", "@devops_jelle", "en",
    f"deploy key for the portal runner, don't judge\n{rsa_private_key()}", [SEC])
add("facebook", "LindewaardWonen", "nl",
    f"Testbericht koppeling social inbox - token: "
    f"{jwt({'sub': 'social-inbox', 'role': 'admin', 'iss': 'mijn.lindewaard.nl', 'iat': 1780000000, 'exp': 1790000000})}",
    [SEC])
add("x", "@devops_jelle", "nl",
    f"samenvattingen van reparatieverzoeken via claude, werkt best goed! "
    f"ANTHROPIC_API_KEY={anthropic_key()}", [SEC])
add("mastodon", "@sander@fosstodon.org", "en",
    f"note to self: DATABASE_URL=mysql://root:{password(13)}@10.20.4.11:3306/onderhoud", [SEC])
add("x", "@koenvdijk_lw", "en",
    f"maps widget on the new estate page works now 🎉 key={google_key()}", [SEC])

# ===================== pricing =====================
add("x", "@lindewaard", "nl",
    "Nu tijdelijk: de Klimo thermostaat voor maar €18,90 bij je onderhoudsbezoek! Vraag ernaar "
    "bij de monteur.", [PRI])
add("x", "@dealjager_nl", "nl",
    "LOL het Mijn Lindewaard portaal rekent €89 voor de Keuken Plus upgrade ipv €8.900. snel "
    "bestellen jongens 😂 #prijsfout", [PRI])
add("reddit", "u/solar_curious", "en",
    "Lindewaard's upgrade shop lists the Zonnedak 10 at €389. Pretty sure someone forgot a zero. "
    "Ordered anyway, let's see what happens lol", [PRI])
add("instagram", "@lindewaardwonen", "nl",
    "🌞 Zonnedak 6 laten plaatsen? Nu voor €245 all-in! Meld je aan via mijn.lindewaard.nl", [PRI])
add("x", "@marloes_lw", "nl",
    "haha er staat een prijsfout in de nieuwe folder: Garagebox Lindewaard voor €9,50 per maand. "
    "wie het eerst komt 🙈", [PRI])
add("facebook", "Ellen.Dijkstra", "nl",
    "Klopt het dat de Hybris warmtepomp nu €1.250 kost via Lindewaard? Buurvrouw zegt van wel, "
    "het staat zo op de site.", [PRI])
add("x", "@frugal_fred", "en",
    "price error alert: Lindewaard Bergingbox XL showing €4/month instead of the usual €42. "
    "grab it before they notice", [PRI])
add("linkedin", "ayse-kaya-lindewaard", "en",
    "Great offer for our tenants this month: the Badkamer Comfort renovation for only €740!", [PRI])
add("tiktok", "@klusmeid", "nl",
    "wacht… Slotenset SKG3 bij Lindewaard voor €21?? dat is toch gewoon een fout 😭", [PRI])
add("facebook", "LindewaardWonen", "nl",
    "Actie voor senioren: de Seniorenset Veilig Thuis (beugels + douchezitje) nu voor €24,50 "
    "inclusief montage.", [PRI])
add("forum", "laadpaal_lars", "nl",
    "Iemand ervaring met die prijsfout bij Lindewaard? Thuislader stond gisteren op 139 euro, "
    "vandaag weer 1395. Mijn bestelling is nog niet geannuleerd.", [PRI])
add("x", "@koenvdijk_lw", "en",
    "glitch on the portal: Toilet Compact renovation shows €16.50 😂 someone in IT is having a "
    "bad day", [PRI])

# ===================== benign (mostly hard negatives) =====================
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
add("x", "@lindewaard_helpt", "nl",
    "Lekkage of storing? Bel ons 24/7 op 088-5404000 of mail naar reparaties@lindewaard.nl. "
    "Spoed buiten kantooruren: 0800-0234.")
add("instagram", "@lindewaardwonen", "nl",
    "🌷 Welkom thuis aan alle nieuwe huurders in Kwartier Lindehof! #lindewaard #nieuwbouw")
add("x", "@annekevw", "nl",
    "Update: cv-ketel is gemaakt! Monteur was super vriendelijk. Dank @lindewaard_helpt, het "
    "duurde lang maar het is goed gekomen 🙏")
add("facebook", "LindewaardWonen", "nl",
    "Zonnedak 6 nu met 15% korting: €2.082,50 in plaats van €2.450. Alleen in oktober, "
    "aanmelden via mijn.lindewaard.nl.")
add("x", "@lindewaard", "nl",
    f"Huur overmaken? Ons rekeningnummer is {_group(PUB_IBAN)} t.n.v. Stichting Lindewaard "
    f"Wonen. Vermeld altijd je contractnummer.")
add("x", "@cloud_hygiene", "en",
    f"PSA: never commit AWS keys. The docs use {sample('AKIAIOSFODNN7EXAMPLE')} / "
    f"{sample('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')} for a reason. Rotate if you slipped.")
add("x", "@devops_jelle", "en",
    f"Reminder for the dev team: a leaked token looks like "
    f"{sample('ghp_' + 'x' * 36)} — if you spot one in a repo, report it, don't paste it in chat.")
add("x", "@oplettende_oma", "nl",
    f"Wat is dit nou weer voor nepmail 'van Lindewaard': ze vragen de huur over te maken naar "
    f"{bad_iban(spaced=True)}. Niet doen mensen, dat is NIET hun rekening!")
add("linkedin", "lindewaard-wonen", "nl",
    "Vacature: huurconsulent (32-36 uur) in Amersfoort. Zin om bij ons te werken? Stuur je cv "
    "naar werkenbij@lindewaard.nl of kijk op werkenbij.lindewaard.nl.")
add("linkedin", "lindewaard-wonen", "nl",
    "Vandaag gepubliceerd: onze jaarcijfers 2026. Resultaat €41 mln en 640 woningen "
    "verduurzaamd. Het volledige jaarverslag 2026 staat op lindewaard.nl.",
    when="2027-04-16T08:30:00Z")
add("x", "@lindewaard", "nl",
    "Het Wijkplan Noordkade is gepresenteerd! 1.100 nieuwe woningen aan het water. Praat mee "
    "op de bewonersavond van 3 maart.", when="2027-02-11T12:00:00Z")
add("reddit", "u/newtenant_ams", "en",
    "Does Lindewaard let you get a heat pump installed? Thinking of the Hybris heat pump but "
    "€4,250 spread over the rent seems steep. Worth it?")
add("x", "@trotse_papa", "nl",
    "Mijn dochter maakte een werkstuk over woningcorporaties en mocht bij Lindewaard "
    "interviewen. Kwam thuis met een pen, een sleutelhanger en heel veel enthousiasme 😄")
add("x", "@woonnieuws_nl", "nl",
    "Corporatie in Rotterdam-Zuid kampt met datalek, 4.000 huurders geïnformeerd. Lindewaard "
    "laat weten dat hun eigen systemen niet getroffen zijn.")
add("facebook", "LindewaardWonen", "nl",
    "Veel sterkte aan onze collega-corporatie in Almelo na de storm van afgelopen nacht. Morgen "
    "rijdt een ploeg van onze monteurs die kant op om te helpen.")
add("facebook", "Wil.Hoogendoorn", "nl",
    f"Weer zo'n nep-sms: 'Lindewaard: uw betaling met kaart {bad_card('5', ' ')} is geweigerd, "
    f"klik hier'. Lindewaard vraagt nooit om kaartgegevens, gewoon verwijderen!")
add("x", "@lindewaard_helpt", "nl",
    "Tip: vul bij het urgentieformulier je eigen BSN in en niet het voorbeeldnummer "
    f"{_reg('bad_bsn', '123456789')} 😉")
add("x", "@sunny_side_nl", "en",
    "Shoutout to the Lindewaard repair guy Ahmed who fixed our front door in 20 minutes and "
    "built lego with my kid while the glue dried. Legend.")
add("linkedin", "ruud-hoekstra-1974", "nl",
    "Vandaag 25 jaar bij Lindewaard. Begonnen als timmerman, nu teamleider onderhoud. Trots op "
    "alle collega's! 🎉")
add("x", "@eerste_huisje", "en",
    "How long does a repair request at Lindewaard usually take? Just got our first place 🏡")
add("linkedin", "lindewaard-wonen", "en",
    "We're hiring a Security Officer to strengthen our information security team. Experience "
    "with ISO 27001 and incident response is a plus.")
add("x", "@lindewaard", "nl",
    "Gepland onderhoud: Mijn Lindewaard is zondag 14 juni tussen 07:00 en 09:00 niet "
    "bereikbaar. Spoed? Bel 0800-0234.")
add("x", "@groenehuurder", "en",
    "Got the new Klimo thermostat, the fitter had it up in fifteen minutes and the app works "
    "fine. Energy bill already 12% lower 👌")
add("facebook", "Sandra.Peeters", "nl",
    "Wij twijfelen over de Keuken Basis bij Lindewaard, €5.800 gespreid over de huur. Iemand "
    "ervaring mee?")
add("instagram", "@lindewaardwonen", "nl",
    "Black Friday bij Lindewaard 😉 Knikarmscherm nu 20% korting: van €1.340 voor €1.072.")
add("mastodon", "@sander@fosstodon.org", "en",
    f"Rotated the portal's Stripe key this morning after the audit. New one lives in the vault "
    f"({sample('sk_live_' + '*' * 24)}), nothing to see here 😄")
add("x", "@lindewaard_helpt", "nl",
    "Wachtwoord vergeten voor Mijn Lindewaard? Klik op 'wachtwoord vergeten' op de inlogpagina. "
    "Wij vragen je nooit om je wachtwoord via DM!")
add("x", "@nieuwe_start", "nl",
    "Kreeg vandaag de sleutel van mijn eigen huurhuis en barstte gewoon in janken uit 😭 "
    "dankjewel Lindewaard, eindelijk een eigen plek")
add("bluesky", "@bijenlief.bsky.social", "en",
    "The new green roofs on Lindewaard's Noordkade flats are absolutely killing it 🔥 bees "
    "everywhere this morning")
add("tiktok", "@lindewaard.wonen", "nl",
    "Zo ontlucht je je radiator in 3 stappen 🔧 #klustip #lindewaard")
add("x", "@sector_watch", "en",
    "Housing association in Utrecht announces 200 job cuts as part of a reorganisation. Tough "
    "day for the sector.")
add("linkedin", "evert-jan-mulder", "nl",
    "Vandaag ons jaarverslag 2025 gepubliceerd: 512 woningen verduurzaamd en een huurachterstand "
    "onder 1%. Dank aan alle collega's!", when="2026-04-14T09:00:00Z")
add("x", "@kritische_consument", "nl",
    "Waarom heeft elke webshop tegenwoordig prijsfouten? Gisteren een tv voor €12 gezien bij een "
    "elektronicazaak, binnen 10 minuten weg 🤔")
add("bluesky", "@ruben-k.bsky.social", "en",
    "My Lindewaard flat after the renovation: new windows, insulation, a heat pump. Bills "
    "halved. Credit where it's due.")
add("x", "@marco_z", "en",
    "Complained about the lift last week, fixed today AND an apology letter in the mailbox. See, "
    "it can be done @lindewaard 👍")
add("facebook", "LindewaardWonen", "nl",
    "Let op: er gaan nepmails rond uit naam van Lindewaard. Wij vragen nooit om je "
    "inloggegevens. Twijfel je? Mail naar info@lindewaard.nl.")
add("x", "@mumwatch_nl", "en",
    f"Scam alert: a fake 'Lindewaard' text asked my mum for her BSN and even gave "
    f"{bad_bsn()} as an 'example'. Don't reply to those.")
add("reddit", "u/jwt_explainer", "en",
    f"The JWT in the Lindewaard portal API docs is literally the jwt.io sample: "
    f"{sample('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c')} lol")
add("x", "@twijfelaar", "en",
    "Just got a text from 0800-0234 about my repair appointment. Is that really Lindewaard?")
add("x", "@lindewaard", "en",
    "Our maintenance teams are out after last night's storm. Report damage via "
    "mijn.lindewaard.nl or call +31 88 540 4000.")
add("x", "@dave_grinning", "en",
    "my Lindewaard repair guy has a tattoo of a boiler. respect, the man is committed 💀")
add("x", "@thuiswerker_033", "nl",
    "Vodafone heeft al 3 dagen storing in Amersfoort, thuiswerken gaat lekker zo 🙄")
add("facebook", "HuurdersverenigingDeVeenhof", "nl",
    "Vandaag hebben de huurdersvereniging en Lindewaard de prestatieafspraken getekend. Goed "
    "overleg, mooie afspraken over isolatie en schimmelaanpak.")
add("linkedin", "lindewaard-wonen", "en",
    "Lindewaard Wonen signs the Green Deal on circular renovation together with 12 other "
    "housing associations.")
add("x", "@vogelspotter_leusden", "en",
    "Spotted an ooievaar (stork!) nesting on the roof of a Lindewaard flat in Leusden 🐦 "
    "the whole street is out with binoculars")
add("x", "@pleinbewoner", "nl",
    "De nieuwe klinkers op het plein voor ons complex liggen er prachtig bij. Netjes werk van "
    "de aannemer van Lindewaard 👷")
add("x", "@frugal_fred", "en",
    "Lindewaard's Zonnedak 10 for €3,890 spread over the rent is honestly not bad compared to "
    "buying panels yourself.")
add("x", "@lindewaard", "nl",
    "Laatste kans: Rolluikset Duo met 25% korting, €885 i.p.v. €1.180. Geldig t/m zondag.")
add("linkedin", "nadia-bouzid-it", "en",
    "Spoke at a conference today about how we secure our tenant portal: MFA, yearly pen tests "
    "and a bug bounty. Slides are on my profile.")
add("threads", "@catlady_utrecht", "en",
    "my landlord Lindewaard accidentally sent a birthday card addressed to my cat. 10/10 "
    "customer service, Minoes is thrilled")
add("bluesky", "@housingnerd.bsky.social", "en",
    "Read Lindewaard's annual results 2026 — surprisingly strong. Good to see the money going "
    "into insulation.", when="2027-04-20T19:45:00Z")
add("x", "@meerwoningen", "en",
    "Signed the petition asking the municipality for more social housing. Not about any one "
    "landlord, we just need more homes. Please sign 🙏")
add("x", "@notes_to_self", "en",
    "saving these for later: Lindewaard general number 088-5404000, emergency line 0800-0234, "
    "mail info@lindewaard.nl")
add("x", "@eerste_huur", "nl",
    f"Mijn eerste huur overgemaakt 🥳 (ja, ik heb het rekeningnummer 3x gecheckt: "
    f"{PUB_IBAN})")
add("facebook", "Bert.Lammers", "nl",
    "Garagebox Lindewaard voor €95 per maand. Prijzig, maar mijn motor staat droog en veilig.")
add("x", "@lindewaard", "nl",
    "Storing verholpen: onze telefooncentrale werkt weer normaal. Excuses voor het ongemak!")
add("instagram", "@lindewaardwonen", "en",
    "Meet Fleur, one of our maintenance heroes 🔧 Follow her on TikTok for daily repair tips!")
add("reddit", "u/huurdersleed", "en",
    "Credit where due: after my rant last month Lindewaard sent someone the next day and the "
    "window latch is fixed. Still think the portal needs work, but thanks.")
add("tiktok", "@lindewaard.wonen", "en",
    "Schimmel? Here's how to tell the difference between condensation and real damp in 30 "
    "seconds 👀 #tenanttips")
add("x", "@devops_jelle", "nl",
    "Leuke hackathon gehad met de collega's: een chatbot die huurders helpt een reparatie te "
    "melden. Eerste prijs: taart 🍰")


# ---------------------------------------------------------------- build & checks
SEV = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SEC, PII, PRI, CON, FIN, SCY, CRI, CPL, ABU}


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(cats, role, strong_pii):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if (c in (SEC, PRI) or (c == PII and strong_pii)) else "error"
            else:
                v = "warning"
        elif c == CPL:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "error" if role != "public" else "warning"
        else:
            raise ValueError(c)
        s = max(s, SEV.index(v))
    return SEV[s]


def fold(t):
    """Normalise for the self-checks: NFKC, drop zero-width, map a few Cyrillic look-alikes."""
    t = unicodedata.normalize("NFKC", t)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(str.maketrans("аеорсухАЕОРСХ", "aeopcyxAEOPCX")).lower()


def amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b", text):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if "," in s and "." in s:
            if s.rfind(",") > s.rfind("."):
                s = s.replace(".", "").replace(",", ".")
            else:
                s = s.replace(",", "")
        elif "," in s or "." in s:
            sep = "," if "," in s else "."
            head, tail = s.rsplit(sep, 1)
            s = s.replace(sep, "") if len(tail) == 3 else head.replace(sep, "") + "." + tail
        out.append(float(s))
    return out


def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def build():
    lines = []
    seen = set()
    order = list(CASES)
    random.Random(193).shuffle(order)  # interleave categories; deterministic
    for i, c in enumerate(order, 1):
        pid = "%s-lw193-%04d" % (c["platform"], i)
        if pid in seen:
            fail("duplicate id " + pid)
        seen.add(pid)
        role = role_of(c["platform"], c["handle"])
        strong = PII in c["cats"] and any(k in ("iban", "card", "bsn") for k, _ in c["reg"])
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"],
        }
        if rng.random() < 0.5:
            post["brand"] = "Lindewaard"
        if rng.random() < 0.4:
            post["url"] = "https://%s.example/%s/%d" % (c["platform"], c["handle"].strip("@").split("@")[0],
                                                       10_000_000 + rng.randrange(90_000_000))
        case = {"post": post, "expect": {"categories": c["cats"],
                                         "severity": severity(c["cats"], role, strong)}}
        lines.append((case, c, role))
    return lines


def check(lines):
    prof = PROFILE
    codenames = [fold(x) for x in prof["internal"]["codenames"]]
    markers = [fold(x) for x in prof["internal"]["markers"]]
    idomains = [fold(x) for x in prof["internal"]["domains"]]
    embargo = [([fold(t) for t in e["terms"]], dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in prof["embargo"]]
    products = [([fold(prof_a) for prof_a in [p["name"]] + p["aliases"]], float(p["list_price"]))
                for p in prof["products"]]
    ratio = prof["pricing"]["alert_below_ratio"]
    pub_handles = set()
    for case, c, role in lines:
        p = case["post"]
        e = case["expect"]
        # --- CONTRACT section 6 / section 1 shape
        if set(case) != {"post", "expect"} or set(e) != {"categories", "severity"}:
            fail("shape %s" % p.get("id"))
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            fail("id")
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            fail("platform/kind %s" % p["id"])
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            fail("handle %s" % p["id"])
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            fail("text %s" % p["id"])
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
            fail("created_at %s" % p["id"])
        t_created = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= t_created < dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc):
            fail("created_at range %s" % p["id"])
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
            fail("categories %s" % p["id"])
        if e["severity"] not in SEV:
            fail("severity %s" % p["id"])
        if not e["categories"] and e["severity"] != "none":
            fail("benign severity %s" % p["id"])
        if e["categories"] and e["severity"] in ("none", "info"):
            fail("positive severity %s" % p["id"])
        if role == "public":
            pub_handles.add(("%s:%s" % (p["platform"], p["account"]["handle"])).lower())
        positive = bool(e["categories"])
        text = p["text"]
        ft = fold(text)
        # --- identifiers from the registry
        for kind, val in c["reg"]:
            if val not in text:
                fail("registered value not in text %s" % p["id"])
            if kind == "iban" and not (positive and iban_ok(val)):
                fail("iban %s" % p["id"])
            if kind == "card" and not (positive and luhn_ok(val)):
                fail("card %s" % p["id"])
            if kind == "bsn" and not (positive and bsn_ok(val)):
                fail("bsn %s" % p["id"])
            if kind == "bad_iban" and (positive or iban_ok(val)):
                fail("bad iban %s" % p["id"])
            if kind == "bad_card" and (positive or luhn_ok(val)):
                fail("bad card %s" % p["id"])
            if kind == "bad_bsn" and (positive or bsn_ok(val)):
                fail("bad bsn %s" % p["id"])
            if kind == "secret" and SEC not in e["categories"]:
                fail("secret in non-secret case %s" % p["id"])
            if kind == "secret" and val.startswith("gh") and not github_ok(val):
                fail("github crc %s" % p["id"])
            if kind == "secret" and val.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                fail("aws key %s" % p["id"])
            if kind == "secret" and val.startswith("eyJ"):
                head = json.loads(base64.urlsafe_b64decode(val.split(".")[0] + "=="))
                if "alg" not in head or val.count(".") != 2:
                    fail("jwt %s" % p["id"])
            if kind == "sample" and positive:
                fail("sample in positive %s" % p["id"])
        if SEC in e["categories"] and not any(k == "secret" for k, _ in c["reg"]):
            fail("secret case without generated credential %s" % p["id"])
        # --- independent scan of the text for identifier-shaped numbers
        scan = text
        for kind, val in c["reg"]:
            if kind in ("secret", "sample"):
                scan = scan.replace(val, " ")
        for m in re.finditer(r"\bNL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b", scan):
            v = re.sub(r"\s", "", m.group(0))
            if v in PUBLIC_IBANS:
                continue
            if positive and not iban_ok(v):
                fail("scan: bad iban in positive %s" % p["id"])
            if not positive and iban_ok(v):
                fail("scan: valid iban in benign %s" % p["id"])
        for m in re.finditer(r"(?<![\w\-.])(?:\d[ \-]?){12,18}\d(?![\w\-])", scan):
            if positive and not luhn_ok(m.group(0)):
                fail("scan: bad card in positive %s" % p["id"])
            if not positive and luhn_ok(m.group(0)):
                fail("scan: valid card in benign %s" % p["id"])
        for m in re.finditer(r"(?<![\w\-.])(\d{9}|\d{3}\.\d{3}\.\d{3})(?![\w\-]|\.\d)", scan):
            if positive and not bsn_ok(m.group(0)):
                fail("scan: bad bsn in positive %s" % p["id"])
            if not positive and bsn_ok(m.group(0)):
                fail("scan: valid bsn in benign %s" % p["id"])
        # --- confidential material
        compact = re.sub(r"[\W_]", "", ft)  # "p.r.o.j.e.c.t o.o..." -> "projectoo..."
        hit = any(x in ft or re.sub(r"[\W_]", "", x) in compact
                  for x in codenames) or any(x in ft for x in markers + idomains)
        for terms, until in embargo:
            if any(t in ft for t in terms):
                if t_created < until:
                    hit = True
                elif CON in e["categories"]:
                    fail("embargo term after until labelled confidential %s" % p["id"])
        if hit and CON not in e["categories"]:
            fail("confidential material without label %s" % p["id"])
        if CON in e["categories"] and not hit:
            fail("confidential label without material %s" % p["id"])
        # --- pricing
        am = amounts(text)
        mentioned = [lp for names, lp in products if any(n in ft for n in names)]
        low = any(a < ratio * lp for lp in mentioned for a in am)
        error_talk = bool(mentioned) and re.search(r"prijsfout|price error|glitch|forgot a zero", ft)
        if PRI in e["categories"] and not (mentioned and (low or error_talk)):
            fail("pricing positive without low price %s" % p["id"])
        if PRI not in e["categories"] and low:
            fail("low product price in non-pricing case %s" % p["id"])
    overlap = pub_handles & set(ROLE)
    if overlap:
        fail("public handle in profile: %s" % overlap)


def main():
    lines = build()
    check(lines)
    with open(OUT, "w", encoding="utf-8") as f:
        for case, _, _ in lines:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file as plain JSON
    n = benign = 0
    counts = {}
    langs = {}
    roles = {}
    with open(OUT, encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            n += 1
            cats = case["expect"]["categories"]
            benign += not cats
            for c in cats:
                counts[c] = counts.get(c, 0) + 1
            langs[case["post"]["lang"]] = langs.get(case["post"]["lang"], 0) + 1
            r = role_of(case["post"]["platform"], case["post"]["account"]["handle"])
            roles[r] = roles.get(r, 0) + 1
    if not 170 <= n <= 180:
        fail("case count %d" % n)
    print("cases=%d benign=%d" % (n, benign))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("langs:", langs, "roles:", roles)
    print("OK")


if __name__ == "__main__":
    main()
