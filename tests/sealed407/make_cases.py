#!/usr/bin/env python3
"""Build the labelled held-out set sealed407 for postwatch (Velkaan AV Rental B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and then checks it (CONTRACT §4 severities, §6 shape, checksums of identifiers and
secrets, profile roles, embargo windows). Exits non-zero when a check fails.
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
SEED = 407_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1767225600 + rng.randrange(0, 365 * 86400)
    payload = {"sub": "crew-%d" % rng.randrange(1000, 9999), "role": "crew",
               "tenant": "velkaan", "iat": now, "exp": now + 8 * 3600}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(bytes(rng.randrange(256) for _ in range(32)))])


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def ssh_private_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(rng.randrange(256) for _ in range(32))
            + bytes(rng.randrange(256) for _ in range(180)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def stripe_key():
    return "sk_live_51" + rand(ALNUM, 97)


def sendgrid_key():
    return "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))


def slack_hook():
    return "T%s/B%s/%s" % (rand(string.ascii_uppercase + string.digits, 9),
                           rand(string.ascii_uppercase + string.digits, 10), rand(ALNUM, 24))


def iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = s.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def iban_valid():
    bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    return "NL" + iban_check("NL", bban) + bban


def iban_invalid():
    good = iban_valid()
    pos = rng.randrange(8, 18)
    d = good[pos]
    bad = good[:pos] + str((int(d) + rng.randrange(1, 10)) % 10) + good[pos + 1:]
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_valid():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_invalid():
    good = card_valid()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def bsn_valid():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bsn_invalid():
    good = bsn_valid()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    if bsn_ok(bad):
        return bsn_invalid()
    return bad


TOKENS = {
    "IBAN": iban_valid,
    "IBAN_S": lambda: spaced(iban_valid()),
    "IBAN_BAD_S": lambda: spaced(iban_invalid()),
    "CARD_S": lambda: spaced(card_valid()),
    "CARD_BAD_S": lambda: spaced(card_invalid()),
    "BSN": bsn_valid,
    "BSN_BAD": bsn_invalid,
    "GHP": github_token,
    "AWS": aws_key_id,
    "AWSSECRET": aws_secret,
    "OPENAI": openai_key,
    "ANTHROPIC": anthropic_key,
    "STRIPE": stripe_key,
    "SENDGRID": sendgrid_key,
    "XOXB": slack_bot,
    "SLACKHOOK": slack_hook,
    "JWT": jwt,
    "SSHKEY": ssh_private_key,
}

# ---------------------------------------------------------------- cases
CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "secret": "leak.secret", "price": "leak.pricing", "pii": "leak.pii",
}
CASES = []


def c(role, platform, handle, lang, cats, text, kind="post", at=None, name=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=[CAT[x] for x in cats], text=text, kind=kind, at=at, name=name))


# ---- complaints (service failures of an AV rental company)
c("pub", "x", "@marieke_plant", "nl", ["complaint"],
  "@velkaan_support al 40 min in de wacht 🙃 ons congres begint morgen om 8u en de Lumen 10K staat nog steeds niet op jullie planning. Wat is dit nou weer", kind="reply")
c("pub", "linkedin", "anna-verhoef-eventlead", "en", ["complaint"],
  "Honest review after our sales kickoff in Rotterdam: Velkaan delivered the LED wall three hours late, a quarter of the tiles had dead pixels and the tech on site kept telling us it was 'not his department'. We paid premium rates for this. Won't be booking them again.",
  name="Anna Verhoef")
c("pub", "facebook", "Gerda.Wolters.1964", "nl", ["complaint"],
  "Borg van €750 betaald voor de tolkinstallatie bij Velkaan, inmiddels 7 weken verder en nog steeds niks teruggestort. Mails worden niet beantwoord, telefoon gaat over in een bandje. Iemand anders dit ook meegemaakt??",
  name="Gerda Wolters")
c("pub", "x", "@djkoenraad", "en", ["complaint"],
  "mic cut out TWICE during our CEO's keynote. two. times. @velkaan_av your so-called backup Halo 4 set came with flat batteries. embarrassing in front of 600 ppl")
c("pub", "reddit", "u/technerd_zwolle", "nl", ["complaint"],
  "Ervaring met Velkaan? Wij huurden een Desk 32 voor ons bedrijfsfeest en kregen een tafel met een dode fader op kanaal 7 en 12, geen handleiding erbij. Support zei letterlijk 'reset hem maar even'. Top service hoor.")
c("pub", "x", "@hybride_hanneke", "nl", ["complaint"],
  "onze hybride stream lag 20 min stil omdat die Streambox Pro oververhit raakte. 300 online deelnemers die naar een draaiend rondje zitten te kijken. bedankt hè velkaan 👏👏")
c("pub", "instagram", "@bruiloft_by_femke", "nl", ["complaint"],
  "Nooit meer Velkaan 😤 verkeerde kabels meegeleverd (HDMI ipv SDI), de bezorger stond om half 6 bij de verkeerde locatie en de factuur klopt ook niet. Wij zijn weddingplanners, geen technici! #slechteservice #velkaan",
  kind="comment")
c("pub", "forum", "PA_Pete", "en", ["complaint"],
  "Is it just me or is Velkaan's invoicing a joke? They billed us 4 days of Arcline 12 for a 2-day gig and it took three emails and a phone call to get a credit note. Still waiting on it, btw.")
c("pub", "x", "@jeroen_bhv", "nl", ["complaint"],
  "Crew van Velkaan liet na de afbouw een halve rol gaffa, 2 kabelhaspels en een berg plastic achter in de zaal. Mogen wij weer opruimen. Serieus jongens?")
c("pub", "threads", "@conference_carla", "en", ["complaint"],
  "Booked a Confidence 55 monitor, got a tiny 32 inch TV with a rental sticker on it. Our speakers couldn't read a word of their notes. Velkaan pls 🤦‍♀️")
c("pub", "x", "@wvanleeuwen_", "nl", ["complaint", "pii"],
  "@velkaan_support ik wacht nu al 3 dagen op een terugbelverzoek over ons evenement vrijdag. Bel me nou gewoon: 06-48213957. Dit is echt belachelijk", kind="reply")
c("pub", "x", "@mike_events_uk", "en", ["complaint", "pii"],
  "@velkaan_support you charged me twice for the same rental. here's the card so you can find it: «CARD_S» exp 09/28. please sort it out today", kind="reply")
c("pub", "x", "@boze_bas", "nl", ["complaint", "abuse"],
  "Velkaan zijn echt de grootste prutsers van Nederland. Beamer kapot, geen vervanging, en die arrogante planner hangt gewoon op. Stelletje klootzakken.")
c("pub", "reddit", "u/stagehand_rage", "en", ["complaint", "abuse"],
  "Velkaan's warehouse crew are absolute morons. Loaded the wrong truck and our gala opened with zero sound. Incompetent f*cking clowns, the lot of them.")
c("pub", "facebook", "ingrid.smeets.venlo", "nl", ["crisis", "complaint"],
  "De aggregaat (Stille Kracht 20) die wij bij Velkaan huurden voor onze braderie vatte gisteren vlam. Gelukkig stond er niemand naast maar de brandweer moest komen. Nog steeds geen reactie van Velkaan, echt onacceptabel.",
  name="Ingrid Smeets")
c("pub", "x", "@fionaspeaks", "en", ["crisis", "complaint"],
  "Got a proper electric shock off the Lectern Smart at yesterday's conference while plugging in my laptop. Hand still tingling this morning. @velkaan_av this is NOT ok, who checks your kit?")
c("pub", "x", "@dj_merel", "nl", ["crisis", "complaint"],
  "Headset van Velkaan (Halo Headset) werd tijdens mijn presentatie zo heet dat ik nu een brandplek achter mijn oor heb 😳 foto's naar support gestuurd, nog niks gehoord")
c("pub", "linkedin", "tom-hargreaves-producer", "en", ["crisis", "complaint"],
  "A section of the Spanline truss we rented from Velkaan came down during load-in this morning. One of our stagehands was hit on the shoulder and is now at A&E. The rigging was done by their own crew. I want answers, not a form letter.",
  name="Tom Hargreaves")
c("pub", "instagram", "@feestjes_door_kim", "nl", ["crisis", "complaint"],
  "Halve zaal misselijk en met hoofdpijn door de rookmachine die Velkaan meeleverde, achteraf zat er de verkeerde vloeistof in. Twee gasten naar de huisartsenpost 🤢 nooit meer.")
c("pub", "reddit", "u/deposit_woes", "en", ["complaint", "pii"],
  "Velkaan still hasn't refunded my deposit. For the record, my IBAN is «IBAN» (name: D. Okafor) and they have had it for six weeks now. What a shambles.")

# ---- crisis (third-party news, boycotts, lawsuits, breach accusations, recalls)
c("pub", "x", "@eventwatch_nl", "en", ["crisis"],
  "Reports coming in: truss collapse at the medical congress in Maastricht this afternoon, AV supplier named as Velkaan. Two crew injured, hall evacuated.")
c("pub", "x", "@nieuws_030", "nl", ["crisis"],
  "Brandweer rukte vanochtend uit naar de opslag van Velkaan AV in Nieuwegein na rookontwikkeling in de accu-laadruimte. Eén medewerker is door ambulancepersoneel nagekeken.")
c("pub", "x", "@vakbondsman_rob", "nl", ["crisis"],
  "BOYCOT VELKAAN! Freelance riggers draaien daar 16 uur achter elkaar zonder pauze en worden onder het minimum betaald. Boek ze niet voor je congres of festival. #boycotvelkaan #eerlijkwerk")
c("pub", "reddit", "u/privacy_first_eu", "en", ["crisis"],
  "Velkaan apparently left their customer database open to the internet: names, phone numbers and event addresses of hundreds of clients. Has anyone actually been notified? This is a textbook GDPR breach.")
c("pub", "linkedin", "lotte-brinkman-advocaat", "nl", ["crisis"],
  "Namens zes voormalige crewleden hebben wij vandaag een dagvaarding laten uitbrengen tegen Velkaan AV Rental B.V. wegens structurele onderbetaling van overuren en nachtdiensten.",
  name="mr. Lotte Brinkman")
c("pub", "x", "@ConsumentAlertNL", "nl", ["crisis"],
  "TERUGROEPACTIE: de accupacks van de Velkaan Halo 4 draadloze microfoonsets kunnen opzwellen en oververhit raken. Huurders wordt gevraagd ze direct niet meer te gebruiken en contact op te nemen met het bedrijf.")
c("pub", "tiktok", "@festival_insider", "nl", ["crisis"],
  "wist je dat velkaan vorig jaar een hele LED-wand liet omvallen op een beurs in Gent en het gewoon stilhield?? 👀 schandaal #velkaan #eventtok")
c("pub", "bluesky", "@journo-sem.bsky.social", "en", ["crisis"],
  "Working on a story: several former Velkaan staff describe a culture of bullying and unsafe rigging shortcuts. If you worked there and want to talk, DMs are open, confidentiality guaranteed.")
c("pub", "x", "@stedelijk_ouders", "nl", ["crisis"],
  "Op het schoolgala van het Stedelijk in Zwolle kreeg een leerling een schok van een stroomkabel, meldt de school. De apparatuur was geleverd door Velkaan. De leerling maakt het inmiddels goed.")
c("corp", "x", "@velkaan_av", "en", ["crisis"],
  "We are aware of an incident at Expo Haarlem this afternoon in which a speaker stack toppled over. One visitor was treated for minor injuries. We have suspended all stacked setups pending an investigation.")
c("pub", "x", "@hr_lotje", "nl", ["crisis"],
  "Dus Velkaan heeft mijn sollicitatie 'per ongeluk' met 200 andere sollicitanten in de CC gemaild. Inclusief cv en adres van iedereen. Melding bij de AP gedaan, dit is gewoon een datalek.")

# ---- abuse
c("pub", "x", "@anoniem8472", "nl", ["abuse"],
  "velkaan = kankerbedrijf. hoop dat jullie failliet gaan")
c("pub", "x", "@trolltastic99", "en", ["abuse"],
  "@lisanne_vk you're the dumbest account manager I've ever had to deal with, go back to school you useless cow", kind="reply")
c("pub", "instagram", "@xx_rens_xx", "nl", ["abuse"],
  "wat een kutfoto's weer van die sukkels van velkaan 🤡🤡🤡", kind="comment")
c("pub", "reddit", "u/angrysoundguy", "en", ["abuse"],
  "Whoever runs Velkaan's socials is a brain-dead idiot. Block me again, cowards.")
c("pub", "x", "@w0lfie_nl", "nl", ["abuse"],
  "@velkaan_support jullie zijn echt een stelletje o p l i c h t e r s en k l o o t z a k k e n", kind="reply")
c("pub", "x", "@saltyroadie", "en", ["abuse"],
  "@velkaan_av ｙｏｕ ａｒｅ ｐａｔｈｅｔｉｃ ｌｏｓｅｒｓ ｌｍａｏ", kind="reply")
c("pub", "x", "@gabbertje_020", "nl", ["abuse"],
  "die rigger van velkaan is echt een k4nk3rl1jer 🤮 wat een m0ng00l")
c("pub", "threads", "@realtalk_ron", "en", ["abuse"],
  "Velkaan hiring all these foreigners to hump speakers around, no wonder nothing works. Send them back where they came from.")
c("emp", "x", "@Ruben_FOHtech", "nl", ["abuse"],
  "@boze_bas hou gewoon je bek man, jij kon niet eens je eigen laptop aansluiten. Sukkel.", kind="reply")
c("pub", "facebook", "henk.degroot.77", "nl", ["abuse"],
  "Die dikke vrouw van de planning bij Velkaan moet eens van haar luie reet afkomen. Walgelijk mens.", kind="comment")
c("pub", "youtube", "@Xx_BassDrop_xX", "en", ["abuse"],
  "velkaan crew are a bunch of clowns lol, this video is cringe af. idiots", kind="comment")

# ---- confidential
c("emp", "linkedin", "sven-olthof-velkaan", "nl", ["conf"],
  "Mooie dag met het team doorgewerkt aan Project Lantaarn 🚀 ik kan er nog niet veel over zeggen, maar dit gaat de congresmarkt flink opschudden. Stay tuned!",
  at="2026-06-11T16:42:00Z")
c("emp", "x", "@ruben_fohtech", "en", ["conf"],
  "first hands-on with the Lumen 30K prototype today. 30k lumens in a box the size of a carry-on, absolutely insane. launch is gonna be wild",
  at="2026-10-08T19:05:00Z")
c("emp", "x", "@yara_planning", "nl", ["conf"],
  "Wie heeft het draaiboek voor Operatie Tulpenveld? Staat niet in de gedeelde map en ik moet de crew voor maart al inroosteren 😩",
  at="2026-11-19T09:14:00Z")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "en", ["conf"],
  "PSA for colleagues: the new SSO login for the crew app is https://sso.crewportal.velkaan.nl/login, the old page dies on Friday. Bookmark it!",
  at="2026-04-02T07:50:00Z")
c("emp", "instagram", "@daan.lichtman", "nl", ["conf"],
  "Sneak peek van het lichtplan voor de Heliograph-demo 😎💡 sst, niet verder vertellen hè",
  at="2026-09-24T21:30:00Z")
c("emp", "linkedin", "kees-hoogendoorn-av", "en", ["conf"],
  "Sharing our warehouse roadmap for 2027 with my network. Slide 4 is stamped VK-CONFIDENTIAL, but honestly I'm too proud of it not to show it off 🙂",
  at="2026-08-17T12:03:00Z")
c("emp", "threads", "@ilse.vk.events", "nl", ["conf"],
  "Screenshotje van onze draaiboekpagina op wiki.velkaan.local/draaiboeken/songfestival-2026 😉 wie raadt welk event dit is?",
  at="2026-03-30T20:12:00Z")
c("emp", "tiktok", "@joep.rigt", "en", ["conf"],
  "day in the life of a rigger 🧗 today we flew the Arcline 16 for the very first time, the low end is unreal #riggerlife #av",
  at="2026-11-03T17:22:00Z")
c("pub", "reddit", "u/insider_av_nl", "nl", ["conf"],
  "Gerucht: Velkaan komt begin volgend jaar met de Lumen 30K, een 30.000 lumen laser die ze in Taiwan laten bouwen. Bron: iemand die er werkt.",
  at="2026-12-02T22:41:00Z")
c("emp", "x", "@lisanne_vk", "nl", ["conf"],
  "Klant vroeg vandaag al naar Helio\u200bgraph 🙈 hoe weten ze dat nou weer?!",
  at="2026-10-21T15:37:00Z")
c("emp", "x", "@ruben_fohtech", "nl", ["conf"],
  "Proje\u0441t L\u0430ntaarn testrun in hal 3 vanavond, pizza is geregeld 🍕🔊",
  at="2026-07-09T18:20:00Z")
c("emp", "x", "@lisanne_vk", "en", ["conf"],
  "Posting a few slides from yesterday's partner meeting. Yes, the deck says 'niet buiten Velkaan delen' on every page, but the pricing model on p.12 is too good not to share 😅",
  at="2026-05-14T08:55:00Z")
c("corp", "facebook", "VelkaanAVVerhuur", "nl", ["conf"],
  "[Velkaan intern] Briefing crew ISE: verzamelen om 06:00 bij de loods, badges ophalen bij Yara, busje vertrekt 06:30 stipt. Niet doorsturen naar freelancers.",
  at="2026-01-29T18:02:00Z")
c("emp", "linkedin", "marloes-de-wit-velkaan", "en", ["conf"],
  "Does anyone have a solid English NDA template? We're onboarding a hardware supplier for Heliograph next month and legal is swamped.",
  at="2026-08-05T10:26:00Z")
c("emp", "linkedin", "marloes-de-wit-velkaan", "nl", ["conf", "fin"],
  "Spannende weken: de jaarcijfers 2026 zijn bijna rond. Kleine spoiler: ons beste jaar ooit, omzet ruim boven de 40 miljoen 🎉",
  at="2027-02-20T11:15:00Z")
c("pub", "x", "@av_rumours", "en", ["conf", "fin"],
  "Heard from a Velkaan freelancer that 'Operatie Tulpenveld' is their internal name for buying up a Belgian rental house. Deal supposedly closes in Q1. Interesting times in Benelux AV.",
  at="2026-12-14T13:48:00Z")
c("emp", "x", "@ruben_fohtech", "en", ["conf"],
  "T-minus 10 days until we can finally talk about the Arcline 16 🙊🔊",
  at="2027-01-17T20:33:00Z")

# ---- financial
c("emp", "linkedin", "kees-hoogendoorn-av", "nl", ["fin"],
  "Zware dag. Morgen wordt het personeel verteld dat onze vestiging in Eindhoven dichtgaat en 23 collega's hun baan verliezen. Ik mag er officieel nog niks over zeggen maar moest het even kwijt.")
c("emp", "x", "@lisanne_vk", "en", ["fin"],
  "So apparently we're being acquired by a big French events group 👀 signing is end of the month. can't say more yet!!")
c("emp", "x", "@yara_planning", "nl", ["fin"],
  "Q3 is echt slecht gegaan, we zitten 22% onder budget. Bonus kunnen we wel vergeten zegt de controller 😩")
c("emp", "linkedin", "marloes-de-wit-velkaan", "en", ["fin"],
  "Our internal forecast has the streaming business doubling to €9M in 2027. The board hasn't signed off yet, but I'm confident we'll get there!")
c("emp", "tiktok", "@joep.rigt", "nl", ["fin"],
  "baas zei net dat er na de zomer een reorganisatie komt en dat de helft van de riggers freelance moet worden 🤡 lekker dan")
c("pub", "reddit", "u/throwaway_avnl", "en", ["fin"],
  "Velkaan employee here (throwaway, obviously). Management is quietly shopping the company to private equity, the data room opened last week. Expect an announcement before summer.")
c("corp", "x", "@velkaan_av", "nl", ["fin"],
  "Groot nieuws: Velkaan neemt StageLink Antwerpen over voor €6,5 miljoen! 🎉 De overname wordt op 12 november officieel bekendgemaakt, de contracten zijn gisteren getekend.",
  at="2026-11-04T10:02:00Z")
c("emp", "threads", "@ilse.vk.events", "en", ["fin"],
  "H1 numbers just landed in my inbox: EBITDA down to 4.1% and cash is really tight. Fun times ahead for production 😬")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "nl", ["fin"],
  "IT-budget voor 2027 gehalveerd en er komen ontslagen bij support, hoorde ik vanmiddag in het MT. Dat komt pas in december naar buiten.")
c("pub", "x", "@AV_biz_insider", "en", ["fin"],
  "Sources tell me Velkaan quietly cut its internal 2026 revenue forecast from €38M to €31M after losing two big pharma congress contracts. Not public yet.")

# ---- security (insiders letting incidents/vulnerabilities/outages slip)
c("emp", "bluesky", "@nadiabouzid.bsky.social", "nl", ["sec"],
  "Sinds vannacht 3 uur ligt ons hele boekingssysteem plat, vermoedelijk ransomware. Klanten weten het nog niet, we noemen het 'gepland onderhoud'. Leve de backups 🙃")
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", ["sec"],
  "Found out today our customer portal has an IDOR: change the booking number in the URL and you get someone else's order, delivery address included. Reported it internally, fix is 'not before next sprint'.")
c("emp", "x", "@yara_planning", "nl", ["sec"],
  "Storing bij Velkaan: niemand kan vandaag bij de planning, de hele server ligt eruit. Mis je je crew, dat is waarom. Officieel mogen we nog niks zeggen dus ssst")
c("emp", "linkedin", "kees-hoogendoorn-av", "en", ["sec"],
  "Proud of how our team handled last night's phishing incident: three staff accounts compromised, contained within hours. We'll share more once legal gives the green light.")
c("emp", "x", "@ruben_fohtech", "en", ["sec"],
  "lol the Streambox Pro firmware still ships with a default telnet login that nobody ever changes, and we rent out like 200 of them a month. told the devs, they shrugged")
c("emp", "tiktok", "@joep.rigt", "nl", ["sec"],
  "die nieuwe toegangspoortjes bij de loods staan al 2 weken open omdat het pasjessysteem gehackt is 🤷‍♂️ iedereen loopt gewoon naar binnen haha")
c("pub", "reddit", "u/ex_velkaan_it", "nl", ["sec"],
  "Ex-IT'er van Velkaan hier. Hun VPN-appliance draait nog op een firmwareversie met een bekend kritiek lek, ik heb het drie keer gemeld voor ik wegging. Niemand doet er iets aan.")
c("emp", "x", "@lisanne_vk", "en", ["sec"],
  "heads up to my clients: someone has been spoofing our quote emails since Monday and sending fake invoices with a different bank account. IT is still investigating, nothing announced yet, so just call me before paying anything")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "nl", ["secret", "sec"],
  "Iemand heeft onze AWS-key in een publieke GitHub-repo gezet: «AWS» 🤦‍♀️ en nee, nog niet geroteerd. Incident loopt nog, niks naar buiten brengen aub.")
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", ["sec"],
  "Our Slack got popped through a leaked bot token and the attacker sat in #finance for two days. Not public yet, so keep it quiet please.")
c("emp", "linkedin", "sven-olthof-velkaan", "nl", ["sec"],
  "Excuses aan klanten die vandaag onze offertes niet konden openen: onze mailserver is sinds gisteren gecompromitteerd en staat uit. Meer info volgt zodra IT het vrijgeeft.")
c("emp", "threads", "@ilse.vk.events", "en", ["sec"],
  "Livestream for the ministry event nearly died because our encoder network got DDoS'd for the 3rd time this month. Nobody outside ops knows. Love this job 🙃")
c("emp", "x", "@yara_planning", "nl", ["sec"],
  "r a n s o m w a r e in de loods 😱 alle laptops op zwart, niemand mag iets zeggen tot maandag")

# ---- secrets
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", ["secret"],
  "why does this keep failing?? `git clone https://«GHP»@github.com/velkaan-dev/dispo-api.git` just says repository not found")
c("emp", "x", "@yara_planning", "nl", ["secret"],
  "Voor de invallers vandaag: inloggen op de planningstool met gebruiker crew_invaller, wachtwoord: Gaffa!Tape2026# (vanavond verander ik hem weer)")
c("emp", "x", "@ruben_fohtech", "en", ["secret"],
  "quick script for auto-captions on the stream box, feel free to steal:\nexport OPENAI_API_KEY=«OPENAI»\npython caption.py --live --lang nl")
c("emp", "linkedin", "sven-olthof-velkaan", "nl", ["secret"],
  "Voor de developers die onze nieuwe betaalmodule bouwen: gebruik voorlopig deze sleutel, dan kunnen jullie vandaag al testen 👉 «STRIPE»")
c("pub", "reddit", "u/freelance_dev_joe", "en", ["secret"],
  "Velkaan contractor here. Their booking site literally ships this in the JS bundle lol: const SENDGRID_API_KEY = '«SENDGRID»';")
c("pub", "reddit", "u/freelance_lichtman", "nl", ["secret"],
  "Crew-app van Velkaan logt me steeds uit, iemand die hier verstand van heeft? Dit is het token dat hij meestuurt: Authorization: Bearer «JWT»")
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", ["secret"],
  "note to self since I keep losing it: DATABASE_URL=postgres://dispo_admin:Rigg3r!Night42@10.40.2.18:5432/rentals")
c("pub", "forum", "stagiair_sem", "nl", ["secret"],
  "Ik loop stage bij een AV-verhuurder (Velkaan) en moet op hun server inloggen, maar ssh zegt 'invalid format'. Dit is de key die ik kreeg, ziet iemand wat er mis is?\n«SSHKEY»")
c("emp", "threads", "@ilse.vk.events", "nl", ["secret"],
  "Handig hoor! Meldingen uit de planning komen nu in ons Slack-kanaal via https://hooks.slack.com/services/«SLACKHOOK» 🙌")
c("corp", "youtube", "@VelkaanAV", "nl", ["secret"],
  "In deze video bouwen we een AI-assistent die vragen over je huurorder beantwoordt. Code om mee te beginnen:\nANTHROPIC_API_KEY=«ANTHROPIC»\nnpm run dev")
c("pub", "x", "@h4ckerman_nl", "en", ["secret"],
  "found this in velkaan's public bucket config 🙃 aws_access_key_id = «AWS» aws_secret_access_key = «AWSSECRET»")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "en", ["secret"],
  "bot stopped posting in #crew-planning, the token is «XOXB» - did someone revoke it??")

# ---- pricing
c("corp", "x", "@velkaan_av", "nl", ["price"],
  "🔥 Black Friday bij Velkaan: de Lumen 20K laserprojector voor maar €229 per dag! Alleen dit weekend, op = op.")
c("emp", "linkedin", "sven-olthof-velkaan", "nl", ["price"],
  "Speciaal voor mijn netwerk: Arcline 12 set incl. subs voor €395/dag (normaal €1.450). Stuur me een DM, geldt t/m vrijdag!")
c("pub", "x", "@scherpe_deals", "nl", ["price"],
  "Prijsfout bij Velkaan?? De Polyglot tolkinstallatie staat op hun site voor €9,80 per dag 😂 snel boeken voor ze het doorhebben")
c("pub", "x", "@budget_events", "en", ["price"],
  "lmao velkaan's webshop has the Desk 32 at €39 a day, pretty sure someone forgot a zero. booked two just in case")
c("corp", "x", "@velkaan_support", "nl", ["price"],
  "Klopt, gisteren stond er een prijsfout op onze site bij de Roundtable 20. Boekingen tegen die prijs kunnen we helaas niet uitvoeren, excuses voor de verwarring.", kind="reply")
c("corp", "instagram", "@velkaan.events", "en", ["price"],
  "Streambox Pro rental this week only €59/day 🎥 stream like a pro for less, link in bio!")
c("emp", "tiktok", "@joep.rigt", "nl", ["price"],
  "collega's mogen Flux 300 moving heads voor 15 euro per dag mee naar hun eigen feestje, personeelsdeal ftw 😎🕺")
c("pub", "reddit", "u/quote_hunter", "en", ["price"],
  "PSA: Velkaan's online quote tool calculates the PollPad 100 at €75 for the day instead of €750. I've got the PDF quote to prove it.")
c("corp", "facebook", "VelkaanAVVerhuur", "nl", ["price"],
  "Actie! Huur nu de Orbit 4K PTZ-camera voor slechts €49 per dag, statief inbegrepen 📹")
c("emp", "x", "@lisanne_vk", "en", ["price"],
  "client wanted a deal so I gave them the StageWall P2.6 at €60 per m² for the whole week 🤝 don't tell my boss")
c("pub", "x", "@feestvarken_ut", "nl", ["price"],
  "velkaan prijsfoutje?? Stille Kracht 20 aggregaat voor 31 euro per dag ipv 310. iemand een idee of ze dat gaan honoreren")
c("pub", "threads", "@tight_budget_tess", "en", ["price"],
  "Is this a pricing glitch or what? Velkaan's Halo 4 mic set showing EUR 21 per day on their website 🤔")

# ---- personal data
c("corp", "x", "@velkaan_support", "nl", ["pii"],
  "@kdijkstra_events Hoi Karin, we hebben de offerte opnieuw gestuurd naar karin.dijkstra@hotmail.com en je kunt onze chauffeur Ahmed direct bellen op 06-21 37 48 59.", kind="reply")
c("corp", "x", "@velkaan_support", "en", ["pii"],
  "@paulwinters your refund of €420 has been sent to «IBAN_S» (P. Winters), it should reach your account within 3 working days.", kind="reply")
c("emp", "linkedin", "kees-hoogendoorn-av", "nl", ["pii"],
  "Welkom aan onze nieuwe crewlead Priya Ramdin! Ze woont op de Lindenlaan 14 in Houten, dus lekker dichtbij de loods 😄")
c("corp", "facebook", "VelkaanAVVerhuur", "nl", ["pii"],
  "Gefeliciteerd Gerrit van Dam, geboren op 14-03-1961 en al 25 jaar onze trouwste chauffeur! 🎂🚚")
c("emp", "x", "@yara_planning", "nl", ["pii"],
  "Kan iemand van de salarisadministratie even kijken? BSN van Jan Vos is «BSN» maar het systeem blijft zeggen dat het ongeldig is")
c("emp", "instagram", "@daan.lichtman", "en", ["pii"],
  "Shoutout to our client Eva from Rotterdam who lost her phone at last night's gala 📱 if you found it, call her on +31 6 5829 1403!")
c("pub", "x", "@laura_bruid", "nl", ["pii"],
  "@velkaan_support adres voor het ophalen van de spullen: Laura Hendriks, Kerkstraat 82, 3811 CV Amersfoort. Graag voor 12u, dan gaan we naar het gemeentehuis 💍", kind="reply")
c("emp", "threads", "@ilse.vk.events", "nl", ["pii"],
  "Vragen over de lichtshow van zaterdag? Mail de productieleider van de klant even: b.vandersloot@kpnmail.nl of bel 06 38 27 16 45")
c("emp", "linkedin", "marloes-de-wit-velkaan", "en", ["pii"],
  "Reminder to the team: expense claims go to me, not to Sofie. Sofie's personal card «CARD_S» was charged for the Frankfurt hotel by mistake, please reimburse her this week.")
c("emp", "tiktok", "@joep.rigt", "nl", ["pii"],
  "shout out naar onze nieuwe collega Kevin Brouwer (geboren 2 mei 2003!!) die vandaag zijn allereerste truss heeft gehangen 💪🔥")
c("pub", "x", "@sarah_hr_nl", "en", ["pii", "crisis"],
  "@velkaan_av you emailed me someone else's invoice. It shows Tim Bakker, tim.bakker78@ziggo.nl, 06-19283746 and his BSN «BSN». Why is a BSN even on an invoice?? This is a data leak.", kind="reply")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "nl", ["pii"],
  "Testdata in productie gevonden, echte klant: Anouk Vermeulen, Zonnebloemstraat 9, Utrecht, IBAN «IBAN». Wie heeft dit gedaan?!")

# ---- benign (mostly hard negatives)
c("pub", "x", "@eventfan_utrecht", "nl", [],
  "Wat een strak geluid vandaag op het congres in de Jaarbeurs, complimenten aan de crew van Velkaan 👏")
c("pub", "linkedin", "joyce-mensah-hrsummit", "en", [],
  "Huge thanks to Velkaan for the flawless hybrid setup at our HR summit. The Streambox Pro didn't skip a beat for two full days.",
  name="Joyce Mensah")
c("corp", "x", "@velkaan_support", "nl", [],
  "Vragen over je huurorder? Bel ons op +31 30 799 4410 of mail naar support@velkaan.nl, we helpen je graag! Ma-za 7:00-22:00")
c("corp", "x", "@velkaan_av", "en", [],
  "Press enquiries: pers@velkaan.nl. Bookings: verhuur@velkaan.nl or call 0800-8352 (free from NL landlines).")
c("corp", "facebook", "VelkaanAVVerhuur", "nl", [],
  "Betaal je op factuur? Maak het bedrag over naar NL69 RABO 0347 8251 96 t.n.v. Velkaan AV Rental B.V. en vermeld je ordernummer (VK-2026-xxxxx).")
c("pub", "x", "@schoonzoon_sjors", "nl", [],
  "Mijn schoonvader stond op de bruiloft zo lang te speechen dat zelfs de Halo 4 microfoon er de brui aan gaf 😂🎤")
c("pub", "x", "@keynote_kat", "en", [],
  "that keynote was 🔥🔥 and the lighting by Velkaan was absolutely fire. whoever programmed those Flux 300s deserves a raise")
c("pub", "reddit", "u/ballroom_bert", "en", [],
  "Question for AV folks: is a Lumen 20K overkill for a 400-seat ballroom? Velkaan quoted €1,150/day which seems fair for a 20k laser, but maybe a 10K does the job.")
c("corp", "linkedin", "velkaan-av-rental", "nl", [],
  "Najaarsactie 🍂 20% korting op de Desk 32 digitale mengtafel: nu €316 per dag. Geldig t/m 30 november.")
c("corp", "instagram", "@velkaan.events", "en", [],
  "Spring deal 🌷 Flux 300 moving heads from €76/day (normally €95). Light up your next event!")
c("pub", "x", "@festivalkees", "nl", [],
  "Huurprijs van een Arcline 12 set bij Velkaan is €1.450 per dag, heeft iemand ervaring of dat het waard is voor een festival van 3000 man?")
c("pub", "x", "@benelux_av_news", "en", [],
  "Big week in AV land: a UK staging company announced the takeover of a German lighting rental firm today. Consolidation in event tech keeps going.")
c("emp", "tiktok", "@joep.rigt", "nl", [],
  "las over een truss-ongeluk bij een collega-bedrijf in Antwerpen. daarom checken wij alles dubbel, elke keer weer. stay safe mensen 🙏")
c("emp", "bluesky", "@nadiabouzid.bsky.social", "en", [],
  "Did our yearly phishing-awareness training today. Spotted 9 of 10 fake emails, the 10th was a very sneaky 'invoice'. Good reminder for everyone, not just IT.")
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", [],
  "Reminder when writing docs: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. Never, ever paste a real key into a README.")
c("emp", "x", "@ruben_fohtech", "nl", [],
  "Tip voor collega-techs: zet nooit echte tokens in je scripts, gebruik gewoon ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als placeholder en laad de echte uit je keychain.")
c("pub", "x", "@wifi_wendy", "en", [],
  "'password: ********' why do event wifi signs always look like this now lol. Velkaan's stand at ISE just had a QR code, much smarter")
c("pub", "x", "@fraudewacht_nl", "nl", [],
  "Let op: er gaan nepfacturen rond namens evenementenbureaus. Voorbeeld van zo'n factuur: IBAN «IBAN_BAD_S» en die klopt niet eens qua controlegetal. Altijd even bellen!")
c("pub", "reddit", "u/qa_marloes", "en", [],
  "For my test fixture I used card number «CARD_BAD_S». It fails Luhn on purpose so the Velkaan booking form should reject it, and it does 👍 nice validation.")
c("emp", "x", "@yara_planning", "nl", [],
  "In de AVG-training van vandaag kregen we een nep-BSN als voorbeeld: «BSN_BAD». Haalt de elfproef niet, dus prima om op een slide te zetten.")
c("corp", "x", "@velkaan_av", "en", [],
  "It's here! Meet the Lumen 30K: 30,000 lumens of laser brilliance, bookable from March. Come see it live on our stand at #ISE2027 ✨",
  at="2027-01-27T09:30:00Z")
c("emp", "linkedin", "kees-hoogendoorn-av", "nl", [],
  "De jaarcijfers 2026 staan online: omzet €41,2 miljoen, een groei van 12%. Ontzettend trots op het hele team 💪",
  at="2027-03-05T08:10:00Z")
c("emp", "tiktok", "@joep.rigt", "en", [],
  "finally allowed to show it: rigging the Arcline 16 at ISE 🔊🔥 #ISE2027 #riggerlife",
  at="2027-02-03T14:45:00Z")
c("pub", "x", "@Gerda_W64", "nl", [],
  "Update: Velkaan heeft de borg van de tolkinstallatie alsnog teruggestort en netjes excuses gemaakt. Opgelost dus 👍")
c("pub", "x", "@mikeevents_ldn", "en", [],
  "Credit where it's due: @velkaan_support fixed the double charge within a day and threw in a voucher. Thanks Lisanne!")
c("pub", "x", "@buurtfeest_nick", "nl", [],
  "Sterkte aan de crew van Velkaan na het overlijden van jullie collega Wim. Altijd een vriendelijke man op de bouwdag 🕯️")
c("pub", "x", "@stormchaser_em", "en", [],
  "Feel for the Velkaan crew who worked through the storm last night to keep the festival stage dry. Absolute legends 🌧️")
c("corp", "instagram", "@velkaan.events", "nl", [],
  "Achter de schermen bij het Nationaal Zorgcongres: 48 m² StageWall P2.6, 12 Flux 300's en heel veel koffie ☕ #velkaan #behindthescenes")
c("corp", "linkedin", "velkaan-av-rental", "en", [],
  "We're hiring! Looking for a freelance video engineer for our streaming team in Nieuwegein. Apply via jobs@velkaan.nl")
c("pub", "x", "@buurtvereniging_oost", "nl", [],
  "Weet iemand of Velkaan ook in het weekend levert? Willen een Fastfold scherm huren voor de filmavond in het buurthuis")
c("pub", "x", "@debate_mum", "en", [],
  "Does anyone know if Velkaan rents out the PollPad for school debate competitions? Asking for my daughter's school")
c("pub", "x", "@bassface_nl", "nl", [],
  "Die bassen van de Thump 18 waren zo ziek hard, echt belachelijk goed 🤯🔊")
c("pub", "x", "@gigdiary_sam", "en", [],
  "killer show tonight, the sound guys from Velkaan absolutely murdered it 💀🔊")
c("pub", "x", "@evenementen_eva", "nl", [],
  "Haha mijn collega noemt onze accountmanager bij Velkaan 'de tovenaar', alles lukt altijd op het laatste moment toch nog 🪄")
c("pub", "x", "@ticketing_watch", "en", [],
  "Yet another ticketing platform leaking attendee data this week. Glad our AV partner Velkaan only handles kit and never touches attendee lists.")
c("emp", "linkedin", "marloes-de-wit-velkaan", "nl", [],
  "Vandaag mijn RA-examen gehaald! 🎓 Dank aan iedereen bij Velkaan die me de afgelopen drie jaar heeft gesteund.")
c("emp", "threads", "@ilse.vk.events", "en", [],
  "Producing a 3-day medical congress next week. 5 rooms, 2 interpreter booths, 1 very tired producer. Coffee recommendations welcome ☕")
c("corp", "tiktok", "@velkaan.crew", "nl", [],
  "Zo zet je in 10 minuten een Fastfold 4x3 scherm op 🎬 #techtip #velkaan #eventprof")
c("corp", "youtube", "@VelkaanAV", "en", [],
  "Tutorial: connecting the Desk 32 to a Streambox Pro for hybrid events. Chapters in the description, questions in the comments!")
c("pub", "x", "@utrecht_fotograaf", "nl", [],
  "De lantaarnpalen op het Vredenburgplein waren allemaal uit, gelukkig had Velkaan genoeg Glow Bars meegenomen 😅📸")
c("emp", "x", "@ruben_fohtech", "nl", [],
  "Mooie avond mixen in Paradiso, de Desk 32 van de zaak doet het gewoon prima 👌🎚️")
c("emp", "x", "@lisanne_vk", "en", [],
  "Visiting clients in Ghent this week, always nice to see the Belgian events scene growing 🇧🇪")
c("pub", "reddit", "u/projector_pim", "nl", [],
  "Wat is een normale dagprijs voor een 10K laserprojector? Velkaan rekent €640 voor de Lumen 10K, een ander bedrijf €590. Scheelt weinig toch?")
c("pub", "x", "@sunday_planner", "en", [],
  "Saved @velkaan_support's number (0800-8352) in my phone, they even pick up on Sundays. rare these days")
c("pub", "x", "@gadget_gijs", "nl", [],
  "Terugroepactie bij een bekend merk powerbanks, check even je tassen. (Geen Velkaan-spul trouwens, hun accu's zijn van een ander merk.)")
c("pub", "x", "@launchday_leo", "en", [],
  "Someone asked me if Velkaan is being bought by someone. No idea tbh, but their crew was brilliant at our product launch regardless.")
c("emp", "x", "@yara_planning", "nl", [],
  "Planning voor december staat! Nog een paar plekken vrij voor freelance lichttechnici, stuur me een DM 💡")
c("pub", "linkedin", "ruud-kempen-producer", "en", [],
  "Five things to check when renting conference AV, from someone who used to produce for Velkaan: 1) ask about backup mics 2) test the confidence monitor from the stage 3) get the crew call time in writing...",
  name="Ruud Kempen")
c("pub", "facebook", "dorpshuis.ellecom", "nl", [],
  "Dank je wel Velkaan voor het lenen van een extra microfoon toen de onze het begaf tijdens de dodenherdenking ❤️")
c("pub", "bluesky", "@eventnerd.bsky.social", "en", [],
  "The congress app crashed twice but the AV from Velkaan held up all day. Credit where it's due.")
c("pub", "x", "@festival_fenna", "nl", [],
  "die techneut van velkaan is echt een beest achter die mengtafel 🔥 respect man")
c("corp", "x", "@velkaan_av", "nl", [],
  "Weekenddeal: huur vrijdag t/m maandag en betaal maar 3 dagen. Voorbeeld: Halo 4 set voor €630 in plaats van €840 🎤")
c("emp", "mastodon", "@thijs_ops@fosstodon.org", "en", [],
  "Debugging crew-app auth again. The token starts with eyJhbGciOi…[redacted] and no, I'm not pasting the rest here 😅")
c("pub", "x", "@rigger_broer", "nl", [],
  "Iemand een goede rigger nodig? Mijn broer heeft 10 jaar bij Velkaan gewerkt en begint nu voor zichzelf. DM voor contact!")
c("pub", "x", "@privacyday_ams", "en", [],
  "Great breakfast session on data breaches this morning, and the AV by Velkaan was spot on. Shame the coffee ran out first 😄 #privacyday")
c("corp", "x", "@velkaan_support", "nl", [],
  "Let op: wij wijzigen ons rekeningnummer nooit per mail. Ons enige IBAN is NL69RABO0347825196. Twijfel je? Bel 030-7994410.")
c("pub", "x", "@careful_carl", "en", [],
  "Velkaan's support chat asked me to confirm my postcode and house number for the delivery. Normal, right? Just checking before I type it in.")
c("pub", "x", "@oranjefeest_dorp", "nl", [],
  "Velkaan doet vandaag het geluid op Koningsdag bij ons in het dorp, kom allemaal! 🧡🎶")
c("emp", "x", "@ruben_fohtech", "en", [],
  "Hot take: the Glow Bar is the most underrated fixture we rent out. €35 a day and it rescues every boring beige ballroom.")
c("pub", "x", "@congres_carolien", "nl", [],
  "wie weet of velkan ook tolkapparatuur verhuurt vr een congres in mei? polyglot ofzo? alvast bedankt!!")

# ---------------------------------------------------------------- build
SEV_ORDER = ["none", "info", "warning", "error", "critical"]

ROLE_OF = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE_OF[entry.lower()] = role


def account_role(platform, handle):
    return ROLE_OF.get(("%s:%s" % (platform, handle)).lower(), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2} ?[A-Z0-9]{4}(?: ?[A-Z0-9]{4}){1,6}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,€])\d{9}(?![\d])|(?<!\d)\d{4}\.\d{2}\.\d{3}(?!\d)")
PUBLIC_IBANS = {x.replace(" ", "") for x in PROFILE["public_identifiers"]["ibans"]}


def checked_identifiers(text):
    """(kind, value, valid) for IBAN / card / BSN look-alikes in text."""
    found = []
    masked = text
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        found.append(("iban", v, iban_ok(v)))
        masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    for m in CARD_RE.finditer(masked):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            found.append(("card", digits, luhn_ok(digits)))
            masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    for m in BSN_RE.finditer(masked):
        found.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return found


def severity(cats, role, text):
    if not cats:
        return "none"
    insider = role in ("corporate", "employee")
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                lvl = "error"
                if cat in ("leak.secret", "leak.pricing"):
                    lvl = "critical"
                if cat == "leak.pii" and any(v and val not in PUBLIC_IBANS
                                            for _, val, v in checked_identifiers(text)):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif cat == "reputation.complaint":
            lvl = "warning"
        elif cat == "reputation.crisis":
            lvl = "error"
        elif cat == "reputation.abuse":
            lvl = "error" if insider else "warning"
        else:
            raise ValueError(cat)
        best = max(best, SEV_ORDER.index(lvl))
    return SEV_ORDER[best]


def fill(text):
    def sub(m):
        return TOKENS[m.group(1)]()
    return re.sub(r"«([A-Z_]+)»", sub, text)


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 349 * 86400)
    t = start + dt.timedelta(seconds=secs)
    t = t.replace(hour=rng.randrange(6, 24))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    used = set()
    for case in CASES:
        text = fill(case["text"])
        created = case["at"] or random_time()
        while True:
            pid = "%s-%d" % (case["platform"], rng.randrange(10**9, 10**10))
            if pid not in used:
                used.add(pid)
                break
        role = account_role(case["platform"], case["handle"])
        post = {"id": pid, "platform": case["platform"], "kind": case["kind"],
                "account": {"handle": case["handle"]}, "text": text,
                "lang": case["lang"], "created_at": created, "brand": "Velkaan"}
        if case["name"]:
            post["account"]["display_name"] = case["name"]
        cats = sorted(set(case["cats"]))
        out.append({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, text)}})
    return out


# ---------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values()) | {"reputation.spike"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MOBILE_RE = re.compile(r"(?:\+31[\s-]?6|(?<!\d)06)[\s-]?(?:\d[\s-]?){7}\d")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def euro_amounts(text):
    vals = []
    for m in re.finditer(r"(?:€|EUR)\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|EUR)\b", text):
        raw = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", raw):       # 1.450 / 1.450,00
            raw = raw.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw):     # 1,150 / 1,150.00
            raw = raw.replace(",", "")
        else:
            raw = raw.replace(",", ".")
        try:
            vals.append(float(raw))
        except ValueError:
            pass
    return vals


def check(rows):
    errors = []
    ids = set()
    embargo = [(t.lower(), parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = ([d.lower() for d in PROFILE["internal"]["domains"]]
                + [x.lower() for x in PROFILE["internal"]["codenames"]]
                + [x.lower() for x in PROFILE["internal"]["markers"]])
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    products = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in PROFILE["products"]]
    assert all(iban_ok(i) for i in PUBLIC_IBANS), "profile IBAN fails mod-97"
    assert PROFILE["pricing"]["alert_below_ratio"] == 0.5

    for n, (row, spec) in enumerate(zip(rows, CASES), 1):
        post, exp = row["post"], row["expect"]
        tag = "case %d (%s)" % (n, post.get("id"))
        # CONTRACT §6 / §1 shape
        if set(row) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errors.append(tag + ": wrong top-level keys")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                errors.append(tag + ": missing/wrong " + f)
        if not isinstance(post.get("account", {}).get("handle"), str):
            errors.append(tag + ": missing account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            errors.append(tag + ": bad or duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errors.append(tag + ": bad platform/kind")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            errors.append(tag + ": text size")
        if not RFC3339.fullmatch(post["created_at"]):
            errors.append(tag + ": created_at not RFC 3339")
        t = parse_time(post["created_at"])
        if not (2026 <= t.year <= 2027):
            errors.append(tag + ": created_at year")
        if exp["severity"] not in SEV_ORDER or not set(exp["categories"]) <= ALL_CATS:
            errors.append(tag + ": bad expect values")
        if exp["categories"] != sorted(set(exp["categories"])):
            errors.append(tag + ": categories not sorted/distinct")
        if "«" in post["text"] or "»" in post["text"]:
            errors.append(tag + ": unfilled token")
        # role
        role = account_role(post["platform"], post["account"]["handle"])
        want = {"corp": "corporate", "emp": "employee", "pub": "public"}[spec["role"]]
        if role != want:
            errors.append(tag + ": role %s, meant %s" % (role, want))
        # severity recomputed from role
        if exp["severity"] != severity(exp["categories"], role, post["text"]):
            errors.append(tag + ": severity mismatch")
        if not exp["categories"] and exp["severity"] != "none":
            errors.append(tag + ": benign with severity")
        cats = set(exp["categories"])
        text = post["text"]
        low = text.lower()
        # checksums: valid in positives (pii), failing in everything else
        for kind, val, ok in checked_identifiers(text):
            if kind == "iban" and val in PUBLIC_IBANS:
                if "leak.pii" in cats:
                    errors.append(tag + ": company IBAN inside a pii case")
                continue
            if "leak.pii" in cats and not ok:
                errors.append(tag + ": %s %s fails its checksum in a positive" % (kind, val))
            if "leak.pii" not in cats and ok:
                errors.append(tag + ": %s %s passes its checksum in a non-pii case" % (kind, val))
        # personal contact data only where labelled
        if "leak.pii" not in cats and "leak.secret" not in cats:
            for e in EMAIL_RE.findall(text):
                if e.lower() not in pub_emails:
                    errors.append(tag + ": e-mail %s in non-pii case" % e)
            if MOBILE_RE.search(text):
                errors.append(tag + ": mobile number in non-pii case")
        # secrets
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if "leak.secret" in cats and not github_ok(tok):
                errors.append(tag + ": GitHub token fails CRC")
            if "leak.secret" not in cats and github_ok(tok):
                errors.append(tag + ": valid GitHub token in non-secret case")
        for key in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if "leak.secret" not in cats and not key.endswith("EXAMPLE"):
                errors.append(tag + ": AWS key id in non-secret case")
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if "leak.secret" in cats and not jwt_ok(tok):
                errors.append(tag + ": JWT header lacks alg")
            if "leak.secret" not in cats and jwt_ok(tok):
                errors.append(tag + ": full JWT in non-secret case")
        if "leak.secret" in cats:
            if not re.search(r"gh[pousr]_|AKIA|sk-proj-|sk-ant-|sk_live_|SG\.|xoxb-|hooks\.slack\.com"
                             r"|eyJ|PRIVATE KEY|://[^ :]+:[^ @]+@|wachtwoord:", text):
                errors.append(tag + ": secret case without a credential")
            for tok in re.findall(r"\bgh[pousr]_\w+", text):
                if not github_ok(tok):
                    errors.append(tag + ": malformed GitHub token")
        # confidential terms (literal, i.e. not obfuscated) must be labelled
        for term in internal:
            if term in low and "leak.confidential" not in cats:
                errors.append(tag + ": internal term %r unlabelled" % term)
        for term, until in embargo:
            if term in low:
                if t < until and "leak.confidential" not in cats:
                    errors.append(tag + ": embargo term %r before until unlabelled" % term)
                if t >= until and cats:
                    errors.append(tag + ": post-embargo case should be benign here")
        # pricing: a mentioned product priced under half its list price must be labelled,
        # labelled cases must name a product
        mentioned = [p for p, names in products if any(nm in low for nm in names)]
        amounts = euro_amounts(text)
        if "leak.pricing" in cats:
            if not mentioned:
                errors.append(tag + ": pricing case without a profile product")
            elif not re.search(r"prijsfout|price error|pricing glitch|forgot a zero|foutje", low):
                if not any(a < 0.5 * p["list_price"] for p in mentioned for a in amounts):
                    errors.append(tag + ": pricing case without a low price")
        elif mentioned and amounts:
            for p in mentioned:
                for a in amounts:
                    if a < 0.5 * p["list_price"] and a not in (0,):
                        # allowed only when the amount clearly is not that product's price
                        if not (p["sku"] == "VK-INTP50" and a == 750):
                            errors.append(tag + ": %s at €%s below half list, unlabelled" % (p["sku"], a))
    # mix
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= len(rows) <= 180:
        errors.append("case count %d outside 170-180" % len(rows))
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    return errors


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    errors = check(reread)
    counts = {}
    for r in reread:
        for cat in r["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    benign = sum(1 for r in reread if not r["expect"]["categories"])
    nl = sum(1 for r in reread if r["post"]["lang"] == "nl")
    sev = {}
    for r in reread:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("cases %d, benign %d, nl %d (%.0f%%)" % (len(reread), benign, nl, 100.0 * nl / len(reread)))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    print("  severities", sev)
    if errors:
        for e in errors:
            print("FAIL", e)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
