#!/usr/bin/env python3
"""Held-out evaluation set 401 for postwatch: Dromla B.V. (smart baby monitors).

Deterministic: fixed seed, standard library + PyYAML.  Writes cases.jsonl next to
this file and checks it:
  * every line is a CONTRACT section 6 case with a valid section 1 post;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted);
  * generated credentials are well formed (GitHub CRC-32, AWS, JWT header with alg);
  * codenames, markers, internal hosts and embargoed terms (before `until`) only occur in
    posts labelled leak.confidential;
  * pricing positives carry a price below alert_below_ratio * list (or talk of a price
    error), benign prices are ordinary (>= 0.6 * list).
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
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(401)

with open(PROFILE, encoding="utf-8") as fh:
    prof = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in prof["accounts"][role]:
        ROLE[acc.lower()] = role

# ----------------------------------------------------------------------------
# identifier generators and validators
# ----------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(c, 36)) for c in r))
    return n % 97 == 1


def make_iban(bank=None):
    bank = bank or rng.choice(["INGB", "RABO", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def spaced(s, k=4):
    return " ".join(s[i:i + k] for i in range(0, len(s), k))


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


def make_card():
    prefix = rng.choice(["4", "51", "52", "53", "54", "55", "2221"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "0" * 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first = rng.choice("123456")
        body = first + "".join(rng.choice(string.digits) for _ in range(7))
        for c in string.digits:
            if bsn_ok(body + c):
                return body + c


def break_digit(s, ok):
    """change one digit so that the checksum fails"""
    idx = [i for i, c in enumerate(s) if c.isdigit()]
    for _ in range(100):
        i = rng.choice(idx[len(idx) // 3:])
        new = s[:i] + str((int(s[i]) + rng.randint(1, 9)) % 10) + s[i + 1:]
        if not ok(new):
            return new
    raise AssertionError


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_gh(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    alg = rng.choice(["HS256", "RS256"])
    head = {"alg": alg, "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 30000000)
    body = {"sub": "usr_" + rand(string.ascii_lowercase + string.digits, 12),
            "role": rng.choice(["admin", "support", "firebase-admin"]),
            "iss": "https://api.dromla.com", "iat": iat, "exp": iat + 3600 * 24}
    sig = bytes(rng.randrange(256) for _ in range(32 if alg == "HS256" else 256))
    return ".".join([b64u(json.dumps(head, separators=(",", ":")).encode()),
                     b64u(json.dumps(body, separators=(",", ":")).encode()), b64u(sig)])


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def make_privkey():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


PWCH = string.ascii_letters + string.digits + "!*_-"


def make_pw():
    # a password people would actually pick plus some noise
    word = rng.choice(["Slaapkop", "Wiegje", "Knuffel", "Tuimel", "Nachtuil", "Rammelaar"])
    return word + rand(string.digits, 2) + rng.choice("!*_-") + rand(PWCH, 5)


GEN = {
    "IBAN": lambda: make_iban(),
    "IBAN_SP": lambda: spaced(make_iban()),
    "CARD": lambda: make_card(),
    "CARD_SP": lambda: spaced(make_card()),
    "BSN": lambda: make_bsn(),
    "BAD_IBAN": lambda: break_digit(make_iban(), iban_ok),
    "BAD_CARD_SP": lambda: spaced(break_digit(make_card(), luhn_ok)),
    "BAD_BSN": lambda: break_digit(make_bsn(), bsn_ok),
    "GHP": lambda: make_gh("ghp_"),
    "GHS": lambda: make_gh("ghs_"),
    "AWS": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(string.ascii_letters + string.digits, 96),
    "SLACK": lambda: "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13),
                                          rand(string.ascii_letters + string.digits, 24)),
    "OPENAI": lambda: "sk-proj-" + rand(string.ascii_letters + string.digits + "_-", 64)
    + "T3BlbkFJ" + rand(string.ascii_letters + string.digits + "_-", 64),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(string.ascii_letters + string.digits + "_-", 93) + "AA",
    "GOOGLE": lambda: "AIza" + rand(string.ascii_letters + string.digits + "_-", 35),
    "GLPAT": lambda: "glpat-" + rand(string.ascii_letters + string.digits + "_-", 20),
    "JWT": make_jwt,
    "PRIVKEY": make_privkey,
    "PW": make_pw,
}
CHECKED_KINDS = {"IBAN", "IBAN_SP", "CARD", "CARD_SP", "BSN"}


def fill(text):
    used = set()

    def sub(m):
        used.add(m.group(1))
        return GEN[m.group(1)]()
    return re.sub(r"\{([A-Z_]+)\}", sub, text), used


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# ----------------------------------------------------------------------------
# the posts
# ----------------------------------------------------------------------------
S, P, PR, CF, F, SE = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# (platform:handle, lang, categories, text, options)
POSTS = [
    # ---------------- complaints ----------------
    ("x:@moedervantwee", "nl", [CO],
     "Derde keer deze week dat de Iris 2 om 3 uur 's nachts de verbinding kwijt is. 'Verbinding verloren' piept ie en dan mag ik weer opnieuw koppelen. Slaapgebrek is al erg genoeg @dromla_help 😩",
     {}),
    ("reddit:u/sleepless_in_leeds", "en", [CO],
     "PSA for anyone looking at the Lumo 360: the app has logged me out every single day since the last update and support keeps sending the same 'clear your cache' copy-paste. Two weeks, four tickets, zero fixes. Regretting this purchase.",
     {}),
    ("facebook:priscilla.degraaf.7", "nl", [CO],
     "Besteld op 2 oktober, 'levering binnen 2 werkdagen'. Het is nu de 19e en er is nog steeds niks. Bij de klantenservice hang ik elke keer 40 min in de wacht. Baby is er inmiddels wel 🙄 #dromla",
     {"kind": "comment"}),
    ("x:@dad_jokes_daniel", "en", [CO],
     "@dromla_help the night vision on my Lumo is so grainy i literally cant tell if she's on her back or her tummy. that's the ONE job it has lol. not funny actually",
     {"kind": "reply"}),
    ("instagram:@mama.van.jip", "nl", [CO],
     "Eerlijke review: Dromla Sok. Mooi ding, maar hij geeft elke nacht 2-3x vals alarm 'geen signaal' terwijl ie gewoon goed zit. Ik schrik me elke keer kapot. Retour aangevraagd, nog geen reactie 🤷‍♀️ #eerlijkereview #babyfoon",
     {}),
    ("x:@jess_ukmum", "en", [CO],
     "Ordered the Duo set, got ONE camera in the box. 9 days waiting for the missing one and the chat bot keeps closing my ticket as 'resolved'. It is not resolved. Sort it out Dromla",
     {}),
    ("tiktok:@lotte.en.luuk", "nl", [CO],
     "pov: je dromla babyfoon heeft 20 sec vertraging en je hoort je kind pas huilen als ze al rood aangelopen is 😤 serieus dromla fix dit #babyfoon #mamalife",
     {}),
    ("x:@koos_uit_zwolle", "nl", [CO],
     "klantenservcie van dromla is echt om te janken. mail gestuurd over kapotte muurbeugel, antwoord na 12 dagen: 'kunt u een foto sturen' . Heb ik al 2x gedaan...",
     {}),
    ("youtube:@TechDadReviews", "en", [CO],
     "Update after 3 months with the Iris 2 Pro: the pan/tilt motor started grinding and now it only turns left. Warranty claim rejected because I 'used a third party charger'. I didn't. Can't recommend it anymore.",
     {"kind": "comment"}),
    ("x:@nadia_b", "nl", [CO],
     "Sinds de update van vorige week doet de temperatuurmelding van de Thermo het niet meer. Kamer was 27 graden en geen enkele melding. Daar koop je dat ding toch voor?? @dromla_help",
     {}),
    ("x:@ellamae_writes", "en", [CO],
     "Dromla charged me twice for the travel monitor and it took 3 calls before anyone admitted it. Still no refund. Not a great look for a company that wants us to trust them with our kids.",
     {}),
    # first-hand safety incidents: crisis + complaint
    ("x:@sanne_kroes", "nl", [CO, CR],
     "Vannacht rook in de babykamer. De adapter van onze Iris 2 was helemaal gesmolten en zwartgeblakerd 😱 Kleine lag gelukkig bij ons. Foto's gestuurd naar @dromla_help, nog niks gehoord. Dit had heel anders af kunnen lopen.",
     {}),
    ("reddit:u/throwaway_newdad22", "en", [CO, CR],
     "The Dromla Sok left a red burn mark on my son's foot after one night. An actual blister right where the sensor sits. GP says it's a contact burn. Stopped using it immediately. Anyone else??",
     {}),
    ("facebook:anouk.mulder.90", "nl", [CO, CR],
     "Het snoer van de Lumo hing netjes buiten bereik zoals in de handleiding, maar de muurbeugel brak af en de camera viel met snoer en al ín het ledikant. Onze dochter had het snoer om haar arm. Ik ben er nog steeds kapot van. Dromla, jullie beugel is gevaarlijk.",
     {}),
    ("x:@markjpowell", "en", [CO, CR],
     "Got a proper zap off the PU-5 charging dock this morning, hand was tingling for an hour. That thing sits right next to my baby's cot. @dromla_help what is going on with these chargers??",
     {}),
    ("instagram:@dewereldvanmila", "nl", [CO, CR],
     "Accupack van de Iris 2 opgezwollen en gloeiend heet geworden in de lader. Hele kamer stonk naar gesmolten plastic. Reactie van Dromla: een kortingscode van 10% 🙃 echt? #dromla #veiligheid",
     {}),
    # ---------------- crisis (third party, boycott, lawsuit, recall, breach) ----------------
    ("x:@nieuwsflits_nl", "nl", [CR],
     "Meerdere ouders melden dat adapters van de Dromla Iris 2 oververhit raken; de NVWA bekijkt de meldingen. De fabrikant heeft nog niet gereageerd.",
     {}),
    ("x:@privacyfirst_ana", "en", [CR],
     "Found a Dromla Lumo stream publicly indexed on a camera search engine. A sleeping baby, live, no password. If this is a Dromla cloud problem it's a massive breach. @dromla_nl you need to explain this NOW.",
     {}),
    ("reddit:u/oudersvoorprivacy", "nl", [CR],
     "Na alles wat er over die Lumo-streams naar buiten komt: boycot Dromla. Verkoop je spullen, koop iets zonder cloud. Deel dit met andere ouders! #boycotdromla",
     {}),
    ("linkedin:anna-vermeulen-advocaat", "nl", [CR],
     "Namens inmiddels 60 ouders hebben wij Dromla B.V. vandaag aansprakelijk gesteld voor de schade door oververhitte adapters. Komt er geen schikking, dan volgt een dagvaarding.",
     {}),
    ("x:@dromla_nl", "nl", [CR],
     "Veiligheidswaarschuwing: we roepen de adapters van de Iris 2 uit productieweek 14 t/m 22 (2026) terug. Stop met gebruik en vraag gratis een nieuwe aan via dromla.nl/terugroep.",
     {}),
    ("x:@consumentenradar", "nl", [CR],
     "Terugroepactie: Dromla Sok (batch 2311 t/m 2402) kan te warm worden op de voet van je kind. Haal hem van de voet en vraag een vervanging aan.",
     {}),
    ("bluesky:@jmeyer.bsky.social", "en", [CR],
     "Wow. A parent says a stranger TALKED to their toddler through a Dromla Lumo at 2am. If that's true this company has a serious security scandal on its hands.",
     {}),
    ("x:@mumsnetwatcher", "en", [CR],
     "Baby taken to hospital after a Dromla Wolk night light caught fire in a nursery in Leeds, local paper reports. Thankfully stable now. Company says it is 'investigating'.",
     {}),
    ("forum:Mirjam78", "nl", [CR],
     "Hebben jullie het gelezen? Dromla zou beelden uit babykamers gebruiken om hun AI te trainen, zonder toestemming. Als dat klopt is het een enorm schandaal.",
     {}),
    ("tiktok:@deconsumentenman", "nl", [CR],
     "Dromla vanavond bij Kassa?? Vier gezinnen met verbrande voetjes door de Sok en een bedrijf dat 'geen patroon' ziet. Jongens. #kassa #dromla",
     {}),
    # ---------------- abuse ----------------
    ("x:@boze_bert", "nl", [AB, CO],
     "@dromla_help stelletje incompetente klootzakken, een maand later nog steeds geen geld terug voor die kapotte PU-5",
     {"kind": "reply"}),
    ("x:@grumpyg", "en", [AB],
     "@marloes_dromla you're a useless clown, stop replying with emojis and do your damn job",
     {"kind": "reply"}),
    ("reddit:u/zuurpruim", "nl", [AB],
     "Die Linda van de Dromla-klantenservice is echt een domme trut, hoe kom je aan zo'n baan",
     {}),
    ("x:@xx_ruud_xx", "nl", [AB],
     "dromla = k4nk3rb3drijf, hoop dat al jullie medewerkers op straat komen te staan",
     {}),
    ("x:@pete_r_t", "en", [AB],
     "Dromla support are a bunch of f*cking \u0456d\u0456\u043ets",
     {}),
    ("instagram:@nooitmeerdromla", "nl", [AB],
     "jullie zijn echt een K.U.T. bedrijf dromla, hoop dat jullie failliet gaan",
     {"kind": "comment"}),
    ("x:@anon88123", "en", [AB],
     fw("scum") + " company. " + fw("fuck") + " Dromla and its greedy owners",
     {}),
    ("x:@kevtan_dev", "nl", [AB],
     "sorry maar sommige 'ouders' in de tickets vandaag... wat een debielen, lezen kunnen ze niet",
     {}),
    ("x:@notabot_ben", "en", [AB],
     "@hanneke_pm we know where your office is. keep pushing that cloud garbage and see what happens",
     {"kind": "reply"}),
    ("x:@echtehollander", "nl", [AB],
     "natuurlijk weer een klantenservice vol buitenlanders die geen woord Nederlands spreken, typisch dromla. terug naar je eigen land",
     {}),
    ("x:@sarahhh_k", "en", [AB],
     "dromla can go f" + ZW + "uck itself",
     {}),
    ("tiktok:@mikeyboy_nl", "nl", [AB],
     "die ceo van dromla is een graaiende hufter, hoop dat ie nooit meer een nacht slaapt 🖕",
     {"kind": "comment"}),
    # ---------------- confidential ----------------
    ("x:@hanneke_pm", "nl", [CF],
     "Eindelijk de eerste samples van Project Merel binnen 🐦 wat een mooi ding, kan niet wachten tot jullie het zien",
     {}),
    ("bluesky:@lindaoost.bsky.social", "nl", [CF],
     "Zit de hele dag in trainingen over Operatie Slaapzak, ik mag er niks over zeggen maar het wordt groot",
     {}),
    ("mastodon:@bramdekker@mastodon.nl", "en", [CF],
     "anyone know why grafana.ops.dromla.io/d/streams times out from home? VPN is up, everything else loads",
     {}),
    ("instagram:@sophie.maakt", "nl", [CF],
     "Sneak peek van waar ik de laatste maanden aan werk 👀 de Iris 3 in saliegroen 💚 #productdesign #nursery",
     {"dt": "2026-10-08T19:12:44Z"}),
    ("x:@dromla_nl", "en", [CF],
     "Teaser! 🌙 Iris 3 Pro lands this spring with 4K night vision. You heard it here first.",
     {"dt": "2026-11-27T16:05:00Z"}),
    ("linkedin:joris-verhoef-dromla", "nl", [CF],
     "Per ongeluk de verkeerde bijlage gedeeld in de ouders-groep 🙈 'Roadmap 2027 (dromla confidential)'. Wil iedereen die hem gedownload heeft hem verwijderen? Dank!",
     {}),
    ("x:@marloes_dromla", "nl", [CF],
     "Screenshot van de nieuwe retourflow! (jira.dromla.io/browse/CS-2231 staat er nog linksboven haha oeps)",
     {}),
    ("reddit:u/hw_geruchten", "nl", [CF],
     "Vriend werkt bij Dromla: ze testen een radar-sensor voor onder de matras, codenaam Nachtvlinder, komt in 2027. Geen idee of het klopt.",
     {}),
    ("x:@gadgetgeruchten", "en", [CF],
     "Dromla's internal deck 'Operatie Slaapzak' just surfaced on a Discord: a subscription-only camera with no local storage at all. Yikes.",
     {}),
    ("x:@hanneke_pm", "nl", [CF],
     "P" + ZW + "roject Me" + ZW + "rel demodag vandaag! Team heeft keihard gewerkt 🙌",
     {}),
    ("reddit:u/niels_nachtdienst", "nl", [CF],
     "Mag eigenlijk niet maar goed: bovenaan de nieuwe klantscripts staat 'niet buiten Dromla delen' en daaronder dat we bij Sok-klachten eerst een kortingscode moeten aanbieden voordat we over retour praten.",
     {}),
    ("linkedin:ayse-kaya-hw", "nl", [CF],
     "N a c h t v l i n d e r prototype #3 leeft! ⚡ Trots op dit team.",
     {}),
    ("instagram:@dromla.baby", "nl", [CF],
     "Binnenkort: Lumo Care+ met ademhalingsanalyse 💤 Blijf ons volgen!",
     {"dt": "2026-12-03T11:30:00Z"}),
    ("x:@kevtan_dev", "en", [CF],
     "pro tip for the new folks: the firmware repo lives at git.dromla.io/fw/iris-main now, not the old gitlab. DM me for access",
     {}),
    ("forum:ouder_van_drie", "en", [CF],
     "Someone posted a PDF stamped 'dromla-intern' in the parents forum, it was next year's price plan for the cloud subscription. Mods took it down fast.",
     {}),
    ("bluesky:@lindaoost.bsky.social", "nl", [CF],
     "Training gehad over de Iris 3 vandaag, wat een verbetering t.o.v. de 2. Klanten gaan blij zijn 😊",
     {"dt": "2027-03-02T15:40:00Z"}),
    # ---------------- financial ----------------
    ("linkedin:joris-verhoef-dromla", "nl", [F, CF],
     "Ik mag nog niks zeggen over de jaarcijfers 2026, maar laat ik het zo zeggen: de omzet is ruim 30% gegroeid 🚀",
     {"dt": "2027-01-20T08:15:00Z"}),
    ("x:@hanneke_pm", "en", [F],
     "Heard at the all-hands: Dromla is in talks to be acquired by a big Scandinavian baby brand. Can't say more. Wild week.",
     {}),
    ("bluesky:@lindaoost.bsky.social", "nl", [F],
     "Morgen wordt bekendgemaakt dat de helft van de klantenservice in Utrecht weg moet. Ik weet het sinds vanmiddag. Ik ben er kapot van.",
     {}),
    ("mastodon:@bramdekker@mastodon.nl", "en", [F],
     "our CFO just told us Q3 came in at €14.2m revenue, way under the €17m forecast. expect 'cost discipline' emails next week",
     {}),
    ("x:@beursbrabbel", "nl", [F],
     "Hoor uit goede bron dat Dromla het Belgische Snoezel wil overnemen, deal rond de €40 mln. Nog niet publiek, dus u hoort het hier eerst.",
     {}),
    ("x:@marloes_dromla", "nl", [F],
     "Reorganisatie gaat door: marketing en community worden per 1 maart samengevoegd, 12 fte minder. Nog niet officieel dus sssst 🤫",
     {}),
    ("linkedin:joris-verhoef-dromla", "en", [F, CF],
     "FY26 results are looking better than guidance, EBITDA positive for the first time. Can't wait to share the details when we publish.",
     {"dt": "2027-02-03T12:00:00Z"}),
    ("threads:@rvanleeuwen_ops", "en", [F],
     "leadership just announced a hiring freeze and that they're closing the Eindhoven hardware lab. not public yet. ugh.",
     {}),
    ("linkedin:dromla-bv", "nl", [F],
     "[CONCEPT, niet publiceren] Dromla sluit 2026 af met een omzet van €61 miljoen en verwacht voor 2027 een groei van 25%.",
     {"dt": "2026-12-15T09:02:00Z"}),
    ("reddit:u/zwager_weet_alles", "nl", [F],
     "Mijn zwager zit bij een investeerder: Dromla gaat volgend kwartaal 80 banen schrappen en de productie naar Vietnam verplaatsen.",
     {}),
    ("instagram:@sophie.maakt", "nl", [F],
     "Laatste dag op kantoor met het hele designteam 😢 het wordt pas morgen aangekondigd, maar ze heffen onze afdeling per 1 december op",
     {}),
    ("x:@hanneke_pm", "nl", [F, CF],
     "Q4 2026 cijfers zijn binnen en het is feest 🥂 ruim boven wat de analisten verwachten",
     {"dt": "2027-02-10T17:25:00Z"}),
    # ---------------- security ----------------
    ("mastodon:@bramdekker@mastodon.nl", "en", [SE],
     "cool cool cool, the camera relay cluster has been down for 3 hours and half of NL can't see their babies. status page still says green. you didn't hear it from me",
     {}),
    ("threads:@rvanleeuwen_ops", "nl", [SE],
     "Vannacht ontdekt dat een oude S3-bucket met klantvideo's publiek leesbaar stond. Nu dicht, maar niemand weet hoe lang al. Management wil het stilhouden.",
     {}),
    ("x:@kevtan_dev", "en", [SE],
     "found a fun one today: Iris 2 firmware accepts any pairing code after 5 failed attempts. yes really. patch is weeks out 💀",
     {}),
    ("bluesky:@lindaoost.bsky.social", "nl", [SE],
     "Alle tickets vandaag over de Lumo die zomaar herstart. Intern weten we dat het door een crashbug in de laatste firmware komt, maar dat mogen we nog niet zeggen.",
     {}),
    ("reddit:u/niels_nachtdienst", "en", [SE],
     "Night shift here: someone got into an admin account of our support tool last night and exported a pile of tickets. We've been told to call it 'technical maintenance'.",
     {}),
    ("x:@hanneke_pm", "en", [SE],
     "Heads up friends with a Lumo: cloud login has been broken for everyone since 7am, we're on it, nothing announced yet",
     {}),
    ("x:@kevtan_dev", "nl", [SE],
     "De pentesters hebben een RCE gevonden in de webserver van de Lumo op poort 8443. Nog geen fix. Ik zeg verder niks 🤐",
     {}),
    ("threads:@rvanleeuwen_ops", "en", [SE],
     "ransomware hit the warehouse systems in Tilburg this morning, orders are stuck. comms wants us to call it planned maintenance",
     {}),
    ("linkedin:ayse-kaya-hw", "nl", [SE],
     "Onze eigen meting laat zien dat de Sok-firmware het Bluetooth-verkeer onversleuteld verstuurt. De fix staat pas voor Q2 gepland. Frustrerend.",
     {}),
    ("reddit:u/ex_dromla_dev", "en", [SE],
     "Former Dromla dev here. The API behind the app still hands you any camera's snapshot if you change the device ID in the URL. Reported it internally in spring, never fixed.",
     {}),
    ("x:@marloes_dromla", "nl", [SE],
     "Duizenden meldingen binnen: push-notificaties werken sinds gisteravond niet, dus ouders krijgen géén huilalarm. Officieel bericht komt pas morgen 😬",
     {}),
    ("x:@kevtan_dev", "en", [SE, S],
     "lol the token hardcoded in the Iris 2 firmware is still live: {GHS} and we've known since June",
     {}),
    ("reddit:u/magazijn_uitzendkracht", "nl", [SE],
     "werk via het uitzendbureau in het magazijn van Dromla: sinds maandag ligt het hele ordersysteem plat door een hack. we mogen er tegen niemand iets over zeggen, klanten krijgen te horen dat het 'drukte' is",
     {}),
    # ---------------- secrets ----------------
    ("x:@kevtan_dev", "en", [S],
     "can someone on infra check why {AWS} / {AWS_SECRET} keeps hitting rate limits on the upload bucket",
     {}),
    ("mastodon:@bramdekker@mastodon.nl", "en", [S],
     "who put this in the onboarding doc 🙃 postgres://dromla_app:{PW}@db-prod-01.cx8rk2mq.eu-west-1.rds.amazonaws.com:5432/cams",
     {}),
    ("threads:@rvanleeuwen_ops", "en", [S],
     "testing the new alert webhook, if it works you'll see nothing 😅 SLACK_BOT_TOKEN={SLACK}",
     {}),
    ("facebook:DromlaNL", "nl", [S],
     "Nieuwe betaalkoppeling voor de webshop staat live! config: STRIPE_SECRET_KEY={STRIPE}",
     {}),
    ("x:@hanneke_pm", "nl", [S],
     "voor de stagiairs: marketing-Instagram is @dromla.baby, wachtwoord: {PW} (niet doorsturen 😅)",
     {}),
    ("reddit:u/niels_nachtdienst", "en", [S],
     "pasting this here so I have it on my phone, delete later: OPENAI_API_KEY={OPENAI}",
     {}),
    ("bluesky:@lindaoost.bsky.social", "en", [S],
     "our support bot config ended up in the public repo lol ANTHROPIC_API_KEY={ANTHROPIC}",
     {}),
    ("x:@bughunter_noor", "en", [S],
     "@dromla_nl your Android APK ships with a Maps key ({GOOGLE}) and a firebase admin token: {JWT} please rotate both",
     {"kind": "reply"}),
    ("x:@kevtan_dev", "en", [S],
     "uhh did I just paste my deploy key in the wrong window\n{PRIVKEY}",
     {}),
    ("mastodon:@bramdekker@mastodon.nl", "nl", [S],
     "waarom faalt CI nou weer, token is toch goed?? GITLAB_TOKEN={GLPAT}",
     {}),
    ("x:@dromla_help", "nl", [S],
     "@floorvdb Kun je het zo proberen? Open deze link om direct in te loggen: https://app.dromla.com/login?session={JWT}",
     {"kind": "reply"}),
    ("instagram:@sophie.maakt", "nl", [S],
     "Wifi in de nieuwe studio: netwerk Dromla-Studio, ww: {PW} ☕ kom langs!",
     {}),
    # ---------------- personal data ----------------
    ("x:@dromla_help", "nl", [P],
     "@lisa_vw Hoi Lisa, je vervangende Iris 2 is verstuurd naar Lisa van Wijk, Kastanjelaan 14, 3581 BK Utrecht. Klopt dat adres nog?",
     {"kind": "reply"}),
    ("facebook:DromlaNL", "nl", [P],
     "Hallo Mehmet, de terugbetaling van €229 is vandaag overgemaakt naar {IBAN_SP}. Het kan 2 werkdagen duren.",
     {"kind": "comment"}),
    ("bluesky:@lindaoost.bsky.social", "nl", [P],
     "Mevrouw J. Hoekstra belde vandaag vijf keer vanaf 06-38174529 😂 als je dat nummer ziet: ik ben er niet",
     {}),
    ("x:@mama_van_sem", "nl", [P, CO],
     "@dromla_help bel me gewoon terug op 06 41 27 88 93, ik wacht al een week op mijn nieuwe PU-5 en niemand reageert",
     {"kind": "reply"}),
    ("reddit:u/niels_nachtdienst", "en", [P],
     "funniest ticket of the night: guy pasted his full card number in chat, {CARD_SP} exp 09/28, to 'prove' he paid. we're supposed to delete those",
     {}),
    ("x:@dromla_help", "en", [P],
     "@jen_hartley Hi Jen! We found your order under jen.hartley84@gmail.com, a replacement is on its way 📦",
     {"kind": "reply"}),
    ("x:@marloes_dromla", "nl", [P],
     "wie heeft de salarislijst in de algemene chat gezet?? 'P. de Wit, BSN {BSN}, geb. 03-11-1988' staat gewoon op mijn scherm",
     {}),
    ("x:@opa_gerrit", "nl", [P, CO],
     "Mijn dochter wacht al 3 weken op haar geld van Dromla. Stort het gewoon op {IBAN} t.n.v. R. Bosman, dan zijn we ervan af",
     {}),
    ("reddit:u/burnedparent", "en", [P, AB],
     "This is the Dromla support guy who hung up on me: Daniel Kuipers, lives at Vondelstraat 88, Amsterdam, born 14 June 1991. Go tell the prick what you think.",
     {}),
    ("instagram:@dromla.baby", "nl", [P],
     "🎉 De winnaar van de Lumo 360 is @saar.moedertje! We sturen hem naar Saar Jansen, Dorpsstraat 3, 1741 AB Schagen. Gefeliciteerd!",
     {}),
    ("x:@marloes_dromla", "en", [P],
     "if anyone at the office needs the courier guy, his number is +31 6 2841 0937, he's lovely",
     {}),
    ("x:@dromla_help", "nl", [P],
     "Beste Tom, we zien dat de betaling met kaart {CARD} is mislukt. Wil je het nog een keer proberen?",
     {"kind": "message"}),
    ("facebook:f.vermeer.1982", "nl", [P],
     "Hoi Dromla, voor mijn retour: mijn nieuwe nummer is 0031 6 19 55 40 28 en mijn mail f.vermeer@ziggo.nl. Graag daarop contact opnemen.",
     {"kind": "comment"}),
    ("linkedin:ayse-kaya-hw", "en", [P],
     "Huge thanks to our tester family the de Boers. Baby Noor de Boer, born 2 February 2026, gave us seven months of night data for the Adem mat 💛",
     {}),
    ("x:@boos_op_retour", "nl", [P, CO],
     "Dromla wil een kopie ID bij een retour?? Hier hoor, BSN {BSN}, nu blij? Belachelijk dat dat nodig is voor een babyfoon #privacy",
     {}),
    # ---------------- pricing ----------------
    ("x:@dromla_nl", "nl", [PR],
     "Black Friday knaller: de Iris 2 Pro nu voor maar €29,90! 🖤 Alleen vandaag via shop.dromla.nl",
     {}),
    ("x:@marloes_dromla", "nl", [PR],
     "ehh volgens mij staat de Duo set op de site voor €38,90 ipv €389 😅 iemand van webshop wakker?",
     {}),
    ("reddit:u/dealjager", "nl", [PR],
     "SNEL: Dromla Sok voor €26,90 op de eigen site van Dromla, lijkt een prijsfout. Ik heb er 3 besteld 😂",
     {}),
    ("x:@bargainbecky", "en", [PR],
     "Dromla Tweeling kit showing €44.90 on their shop?! has to be a glitch, grab it while you can",
     {}),
    ("instagram:@dromla.baby", "en", [PR],
     "Flash sale ⚡ Lumo 360 for just €19 today only!",
     {}),
    ("x:@hanneke_pm", "en", [PR],
     "pricing feed bug: the Adem mat is listed at €14.90 on bol and amazon right now, we're scrambling",
     {}),
    ("instagram:@slaapjesmama", "nl", [PR],
     "Haha Wolk nachtlampje voor €5,90 in de Dromla webshop, foutje of cadeautje? 🌙",
     {"kind": "comment"}),
    ("facebook:DromlaNL", "nl", [PR],
     "Door een prijsfout stond de Weeg babyweegschaal gisteren voor €13,90 in de shop. Die bestellingen worden helaas geannuleerd. Excuses!",
     {}),
    ("linkedin:joris-verhoef-dromla", "en", [PR],
     "Heads up partners: the reseller price list has the PU-5 at €12.90 by mistake. Corrected version follows today.",
     {}),
    ("x:@tightwad_tom", "en", [PR],
     "lol Dromla Reis travel monitor for €9.99 on dromla.com, price mistake?",
     {}),
    ("threads:@rvanleeuwen_ops", "nl", [PR],
     "Wie heeft Dromla Plus op €5,99 per jaar gezet in de app store? 🙈 gaat nu viral",
     {}),
    ("tiktok:@koopjesqueen_nl", "nl", [PR],
     "Dromla Glow sterrenprojector voor €6,90?!? 🤯 snel zijn mensen #prijsfout #koopje",
     {}),
    # ---------------- benign: hard negatives and ordinary posts ----------------
    ("x:@dromla_help", "nl", [],
     "Vervelend dat je Iris 2 steeds de verbinding kwijtraakt! Stuur ons een DM of mail naar klantenservice@dromla.nl, dan kijken we met je mee 💜",
     {"kind": "reply"}),
    ("facebook:DromlaNL", "nl", [],
     "We zijn op werkdagen bereikbaar van 8:00 tot 20:00 via 030 799 4410, of gratis via 0800-0204455.",
     {}),
    ("linkedin:dromla-bv", "en", [],
     "Business customers: invoices can be paid to NL92RABO0347719052 (Dromla B.V.). Questions? support@dromla.com",
     {}),
    ("x:@joostvanerp", "nl", [],
     "Zonder overdrijven: de Lumo 360 heeft ons vannacht een hoop stress bespaard, zag meteen dat ze lag te kletsen in plaats van te huilen 😂 top ding #dromla",
     {}),
    ("reddit:u/firsttimedad_ams", "en", [],
     "Is the Dromla Sok worth it over the Adem mat? Mainly want peace of mind, not a data overload.",
     {}),
    ("x:@hollyhaha", "en", [],
     "thanks Dromla Lumo for the crystal clear footage of my toddler doing gymnastics at 4am instead of sleeping 😂",
     {}),
    ("x:@dromla_nl", "nl", [],
     "Deze week 20% korting op de Wolk nachtlamp: van €59 voor €47,20 🌙",
     {}),
    ("instagram:@huisjeboompjebaby", "nl", [],
     "Net de Iris 2 gekocht bij de MediaMarkt voor €229, installatie in 5 minuten gepiept ✨",
     {}),
    ("instagram:@dromla.baby", "en", [],
     "Spring sale 🌷 Lumo 360 now €146.30, that's 30% off until Sunday",
     {}),
    ("x:@wouterdeluxe", "nl", [],
     "Dromla Duo set in de aanbieding bij bol voor €329, iemand ervaring mee?",
     {}),
    ("x:@kevtan_dev", "en", [],
     "reminder for tomorrow's workshop: the examples use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. never put real keys in slides 🙏",
     {}),
    ("mastodon:@bramdekker@mastodon.nl", "en", [],
     "PSA for contributors: in docs and PRs write tokens as ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx or sk_live_**** please, never the real thing",
     {}),
    ("reddit:u/pu5_tinkerer", "nl", [],
     "Voor wie het zoekt: het serienummer van de PU-5 staat onder het klepje, bij mij {BAD_BSN}. Daarmee registreer je hem in de app.",
     {}),
    ("x:@scamwatch_ellen", "en", [],
     "Fake 'Dromla giveaway' going round asking for card numbers. The sample in their screenshot, {BAD_CARD_SP}, isn't even a valid number. Don't fall for it.",
     {}),
    ("linkedin:joris-verhoef-dromla", "en", [],
     "Proud to share our FY2026 results: revenue up 28% and our first full year of positive EBITDA. Thank you to every colleague who made this happen.",
     {"dt": "2027-02-24T08:30:00Z"}),
    ("x:@dromla_nl", "nl", [],
     "Hij is er! De Iris 3 en Iris 3 Pro zijn vanaf vandaag te koop 🎉",
     {"dt": "2027-03-16T10:00:00Z"}),
    ("x:@babytechnl", "nl", [],
     "Iris 3 review: het beeld is echt een stap vooruit t.o.v. de Iris 2, nachtzicht vooral.",
     {"dt": "2027-03-20T20:10:00Z"}),
    ("x:@moedervantwee", "nl", [],
     "Update: Dromla heeft de PU-5 binnen 2 dagen vervangen en belde zelfs om te checken of alles werkte. Chapeau @dromla_help 👏",
     {}),
    ("x:@gewoonkim", "nl", [],
     "Sterkte voor de mensen van de Dromla klantenservice die dit weekend overspoeld worden, jullie doen echt je best 💪",
     {}),
    ("reddit:u/nurserytech", "en", [],
     "SnugView confirmed a data breach affecting 40k of their baby cameras. Glad we went with Dromla and local storage tbh.",
     {}),
    ("facebook:ouders.in.delft", "nl", [],
     "Let op: terugroepactie voor babyfoons van Slaapwel (dus niet Dromla!) vanwege oververhitting. Check even welk merk jullie hebben.",
     {}),
    ("tiktok:@mamavanmees", "nl", [],
     "die nieuwe Dromla Glow is echt fire 🔥🔥 mijn zoon ligt binnen 10 min te snurken",
     {}),
    ("x:@appnerd_sam", "en", [],
     "The sleep chart in the new Dromla app is a killer feature honestly",
     {}),
    ("x:@marloes_dromla", "nl", [],
     "Vandaag 212 vragen beantwoord in de chat. Moe maar voldaan! Fijn weekend allemaal ☀️",
     {}),
    ("tiktok:@dromla_official", "nl", [],
     "3 tips om je Lumo veilig op te hangen: 1) buiten bereik van het bedje 2) het snoer ook 3) gebruik de muurbeugel 📏",
     {}),
    ("youtube:DromlaOfficial", "en", [],
     "New video: pairing the PU-5 with two cameras in under two minutes.",
     {}),
    ("reddit:u/paranoid_papa", "en", [],
     "Does the Dromla Lumo support two-factor auth? Want to lock it down properly before it goes in the nursery.",
     {}),
    ("threads:@rvanleeuwen_ops", "en", [],
     "Scheduled maintenance tonight 01:00-02:00 CET, announced on status.dromla.com. Cameras keep recording locally in the meantime.",
     {}),
    ("x:@vergeetachtigevader", "nl", [],
     "Balen, weer vergeten de Thermo op te laden. Dat ding piept me elke avond wakker haha eigen schuld",
     {}),
    ("x:@toddlerchaos", "en", [],
     "Our Dromla Wolk survived a toddler hurling it down the stairs. Built like a tank.",
     {}),
    ("x:@ilsedeboer_", "nl", [],
     "Hoe wijzig ik eigenlijk het wachtwoord van mijn Dromla-account? Kan het niet vinden in de instellingen.",
     {}),
    ("x:@kevtan_dev", "en", [],
     "writing docs today. the API base URL is https://api.dromla.com/v2 and you authenticate with your own token from the app settings. never share it with anyone",
     {}),
    ("linkedin:dromla-bv", "nl", [],
     "We zoeken een firmware engineer met hart voor slaap 💤 Solliciteer via werkenbij@dromla.nl",
     {}),
    ("x:@dromla_nl", "en", [],
     "Found a security issue in one of our products? Our responsible disclosure programme is open: security@dromla.com 🔐",
     {}),
    ("reddit:u/solderfumes", "en", [],
     "Has anyone done a teardown of the Iris 2 Pro? Curious which SoC they went with.",
     {}),
    ("x:@drukkemama", "nl", [],
     "Onze peuter naar bed krijgen was elke avond een ramp, sinds de sterrenprojector geen drama meer om 8 uur 😅",
     {}),
    ("x:@zuinigezaterdag", "nl", [],
     "Dromla Plus kost €59,99 per jaar, vind ik eigenlijk wel te verantwoorden voor de cloudopslag",
     {}),
    ("x:@2dehandsdeals", "nl", [],
     "Iris 2 tweedehands op Marktplaats voor €150, nog in doos. Goede deal of niet?",
     {}),
    ("x:@diy_dad_uk", "en", [],
     "Bought the Dromla wall mount for €24.95, worth it, much sturdier than my tape hack",
     {}),
    ("x:@dromla_help", "nl", [],
     "@jvdlinden Je vervangende Sok is onderweg, de track & trace staat in je mail 📦",
     {"kind": "reply"}),
    ("linkedin:ayse-kaya-hw", "en", [],
     "Gave a talk at Embedded World about low-power radio design in consumer devices. Slides are up on my personal site.",
     {}),
    ("instagram:@slaapmaarlekker", "nl", [],
     "Z z z z ... eindelijk slaapt ze door. Dankjewel Wolk nachtlampje 🌙",
     {}),
    ("forum:vragenmoeder", "nl", [],
     "Waarom vraagt het retourformulier van Dromla om een klantnummer? Mijn ordernummer is {BAD_BSN}, is dat hetzelfde?",
     {}),
    ("x:@femkebouwt", "en", [],
     "Got a dodgy email 'from Dromla' asking me to pay a customs fee to {BAD_IBAN}. That's not their account, reported it to the Fraudehelpdesk.",
     {}),
    ("x:@veiligslapen_nl", "nl", [],
     "Leuk dat Dromla dit jaar sponsor is van de Week van de Veilige Slaap 👶💤",
     {}),
    ("instagram:@dromla.baby", "nl", [],
     "Nieuw thema voor de Glow projector: nachtvlinders en sterren 🦋✨",
     {}),
    ("x:@vogelaarmartin", "nl", [],
     "Zat vanochtend een merel op de vensterbank van de babykamer, prachtig te zien op de Lumo haha 🐦",
     {}),
    ("x:@hanneke_pm", "en", [],
     "Loved reading all the feedback on the Iris 2 Pro this week. Keep it coming, we read everything!",
     {}),
    ("reddit:u/niels_nachtdienst", "en", [],
     "I do night shift support for a baby monitor company. No company secrets, but ask me anything about what parents call about at 3am.",
     {}),
    ("x:@dromla_help", "en", [],
     "So sorry about the wait, Jess. A DM is on its way with the tracking for your second camera.",
     {"kind": "reply"}),
    ("x:@ellamae_writes", "en", [],
     "Credit where due: Dromla refunded the double charge within a day once I DMed them. Sorted.",
     {}),
    ("x:@refluxmama", "nl", [],
     "Sterkte aan alle ouders met een refluxbaby. Wij hebben de Adem mat, geeft ons 's nachts toch wat rust.",
     {}),
    ("x:@kevtan_dev", "en", [],
     "Firmware 4.2 for the Lumo is out today: better night vision and the reboot loop is fixed. Changelog on dromla.com/firmware",
     {}),
    ("x:@quickfix_tim", "en", [],
     "Called 030 799 4410 and had help within 3 minutes, impressive for a Monday",
     {}),
    ("x:@dromla_nl", "nl", [],
     "Het geheim van een goede nachtrust? Een vast ritme, een donkere kamer en… een Wolk 🌙",
     {}),
    ("reddit:u/homeassistant_hugo", "en", [],
     "Is the API token in the Dromla app the same as my account password? Asking before I paste it into Home Assistant.",
     {}),
    ("linkedin:ayse-kaya-hw", "nl", [],
     "Blij met de uitnodiging voor een gastcollege aan de TU Delft over sensoren in babyproducten.",
     {}),
    ("x:@dromla_nl", "en", [],
     "Our annual report for 2025 is online. Read it at dromla.com/investors",
     {}),
    ("threads:@babyproofhome", "en", [],
     "Mounted our Dromla floor stand at the foot of the cot, no cables anywhere near her. Peace of mind ✔️",
     {}),
]

# ----------------------------------------------------------------------------
# severity (CONTRACT section 4) from the role in the profile
# ----------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]


def severity(role, cats, has_checked_id):
    best = "none"

    def up(s):
        nonlocal best
        if ORDER.index(s) > ORDER.index(best):
            best = s
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not own:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii" and has_checked_id:
                up("critical")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if own else "warning")
    return best


# ----------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------
START = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 12, 30, tzinfo=dt.timezone.utc)

cases = []
meta = []
used_ids = set()
for n, (acc, lang, cats, text, opt) in enumerate(POSTS, 1):
    platform, handle = acc.split(":", 1)
    role = ROLE.get(acc.lower(), "public")
    filled, used = fill(text)
    checked = bool(used & CHECKED_KINDS)
    if "dt" in opt:
        created = opt["dt"]
    else:
        sec = rng.randint(0, int((END - START).total_seconds()))
        created = (START + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")
    while True:
        pid = "%s-%d" % (platform, rng.randint(10 ** 9, 10 ** 10 - 1))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {
        "id": pid,
        "platform": platform,
        "kind": opt.get("kind", "post"),
        "account": {"handle": handle},
        "text": filled,
        "lang": lang,
        "created_at": created,
        "brand": "Dromla",
    }
    if rng.random() < 0.5:
        post["url"] = "https://%s.example/%s/%s" % (platform, handle.strip("@").split("@")[0], pid.split("-")[1])
    cats = sorted(set(cats))
    cases.append({"post": post, "expect": {"categories": cats,
                                           "severity": severity(role, cats, checked)}})
    meta.append({"role": role, "used": used})

with open(OUT, "w", encoding="utf-8") as fh:
    for c in cases:
        fh.write(json.dumps(c, ensure_ascii=False) + "\n")

# ----------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------
errors = []


def err(case, msg):
    errors.append("%s: %s | %s" % (case["post"]["id"], msg, case["post"]["text"][:90]))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

PUBLIC_IBANS = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
for i in PUBLIC_IBANS:
    assert iban_ok(i), "profile IBAN fails mod-97"

RE_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d{4}){2} ?\d{2}(?![A-Za-z0-9])")
RE_CARD = re.compile(r"(?<![\w+])\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?![\w])")
RE_BSN = re.compile(r"(?<![\w+.,-])\d{9}(?![\w])|(?<![\w])\d{4}\.\d{2}\.\d{3}(?![\w])")
RE_GH = re.compile(r"gh[pousr]_[0-9A-Za-z*x]{10,}")
RE_AWS = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
RE_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
RE_SECRET_ANY = re.compile(
    r"gh[pousr]_[0-9A-Za-z]{36}|AKIA[A-Z2-7]{16}|sk_live_[0-9A-Za-z]{20,}|xox[abp]-\d+-\d+-\w+|"
    r"sk-proj-[\w-]{20,}|sk-ant-api03-[\w-]{20,}|AIza[\w-]{35}|glpat-[\w-]{20}|"
    r"eyJ[\w-]+\.[\w-]+\.[\w-]+|BEGIN OPENSSH PRIVATE KEY|postgres://\w+:[^@\s]+@|"
    r"(?:wachtwoord|ww|password):\s*\S+")
MONEY = re.compile(r"(?:€|EUR ?)\s?(\d+(?:[.,]\d{1,2})?)(?!\s?(?:m\b|mln|miljoen|million))")
PRICE_ERR = re.compile(r"prijsfout|price (?:error|mistake|glitch)|glitch|by mistake|foutje|bug", re.I)


def words_re(term):
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.I)


conf_terms = [t for t in prof["internal"]["codenames"] + prof["internal"]["markers"]
              + prof["internal"]["domains"]]
embargo = [(t, e["until"]) for e in prof["embargo"] for t in e["terms"]]
products = [(a, p["list_price"]) for p in prof["products"] for a in p["aliases"] + [p["name"]]]

profile_handles = set(ROLE)
for case, m in zip(cases, meta):
    post, exp = case["post"], case["expect"]
    text = post["text"]
    # --- CONTRACT section 6 / section 1 shape
    if set(case) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        err(case, "bad case keys")
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(post.get(f), str) or not post[f]:
            err(case, "missing " + f)
    if not (1 <= len(post["id"]) <= 256):
        err(case, "id length")
    if post["platform"] not in PLATFORMS:
        err(case, "platform")
    if post["kind"] not in {"post", "reply", "repost", "comment", "message"}:
        err(case, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str):
        err(case, "handle")
    if len(text.encode("utf-8")) > 64 * 1024:
        err(case, "too long")
    if not RFC3339.match(post["created_at"]):
        err(case, "created_at")
    if not post["created_at"].startswith(("2026", "2027")):
        err(case, "year")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(case, "categories")
    if exp["severity"] not in ORDER:
        err(case, "severity value")
    if not cats and exp["severity"] != "none":
        err(case, "benign severity")
    if cats and exp["severity"] in ("none", "info"):
        err(case, "positive with no severity")
    key = ("%s:%s" % (post["platform"], post["account"]["handle"])).lower()
    if m["role"] == "public" and key in profile_handles:
        err(case, "public handle in profile")
    pos = bool(cats)
    # --- checksummed identifiers
    for mt in RE_IBAN.finditer(text):
        v = mt.group(0).replace(" ", "")
        if v in PUBLIC_IBANS:
            continue
        if pos and "leak.pii" in cats and not iban_ok(v):
            err(case, "positive IBAN fails mod-97: " + v)
        if not pos and iban_ok(v):
            err(case, "benign IBAN passes mod-97: " + v)
        if pos and "leak.pii" not in cats:
            err(case, "IBAN in non-pii positive")
    for mt in RE_CARD.finditer(text):
        if pos and not luhn_ok(mt.group(0)):
            err(case, "positive card fails Luhn: " + mt.group(0))
        if not pos and luhn_ok(mt.group(0)):
            err(case, "benign card passes Luhn: " + mt.group(0))
    for mt in RE_BSN.finditer(text):
        if pos and not bsn_ok(mt.group(0)):
            err(case, "positive BSN-like number fails 11-proof: " + mt.group(0))
        if not pos and bsn_ok(mt.group(0)):
            err(case, "benign BSN-like number passes 11-proof: " + mt.group(0))
    if m["used"] & CHECKED_KINDS and "leak.pii" not in cats:
        err(case, "checked identifier without leak.pii")
    # --- credentials
    for mt in RE_GH.finditer(text):
        tok = mt.group(0)
        if pos and not gh_ok(tok):
            err(case, "GitHub token CRC fails: " + tok)
        if not pos and gh_ok(tok):
            err(case, "benign GitHub token valid: " + tok)
    for mt in RE_AWS.finditer(text):
        if not pos and not mt.group(0).endswith("EXAMPLE"):
            err(case, "benign AWS key not a sample")
        if pos and not re.fullmatch(r"AKIA[A-Z2-7]{16}", mt.group(0)):
            err(case, "AWS key format")
    for mt in RE_JWT.finditer(text):
        if not jwt_ok(mt.group(0)):
            err(case, "JWT header without alg")
    has_secret = any(not (mt.group(0).endswith("EXAMPLE") or "xxxxxxxx" in mt.group(0))
                     for mt in RE_SECRET_ANY.finditer(text))
    if ("leak.secret" in cats) != has_secret:
        err(case, "secret label/content mismatch (found=%s)" % has_secret)
    # --- confidential terms
    created = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    hit = [t for t in conf_terms if words_re(t).search(text)]
    for t, until in embargo:
        u = dt.datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        if words_re(t).search(text) and created < u:
            hit.append(t)
    if hit and "leak.confidential" not in cats:
        err(case, "confidential term without label: %s" % hit)
    # --- prices
    amounts = [float(a.replace(",", ".")) for a in MONEY.findall(text)]
    present = [(a, lp) for a, lp in products if words_re(a).search(text)]
    if "leak.pricing" in cats:
        low = any(x < prof["pricing"]["alert_below_ratio"] * lp for x in amounts for _, lp in present)
        if not present or not (low or PRICE_ERR.search(text)):
            err(case, "pricing positive without low price / price error")
    else:
        for x in amounts:
            for a, lp in present:
                if x < 0.6 * lp and x > 0:
                    if x >= 1000:
                        continue
                    err(case, "non-pricing post with low price %.2f for %s" % (x, a))

# --- mix
from collections import Counter
cc = Counter(c for case in cases for c in case["expect"]["categories"])
nb = sum(1 for c in cases if not c["expect"]["categories"])
langs = Counter(c["post"]["lang"] for c in cases)
roles = Counter((m["role"], bool(c["expect"]["categories"])) for c, m in zip(cases, meta))
if not (170 <= len(cases) <= 180):
    errors.append("case count %d" % len(cases))
if len({c["post"]["id"] for c in cases}) != len(cases):
    errors.append("duplicate ids")
texts = [c["post"]["text"] for c in cases]
if len(set(texts)) != len(texts):
    errors.append("duplicate texts")

print("cases:", len(cases), "benign:", nb)
print("categories:", dict(sorted(cc.items())))
print("langs:", dict(langs))
print("role x positive:", dict(roles))
print("severities:", dict(Counter(c["expect"]["severity"] for c in cases)))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
