#!/usr/bin/env python3
"""Builds cases.jsonl (sealed evaluation set 273, company: Ruilvos B.V.).

Deterministic: a fixed seed drives every generated identifier, secret, id and
timestamp. Post texts are hand-written below. Severities are never typed by hand:
they are computed from the categories, the account role (looked up in
profile.yaml) and the identifiers found in the text, following CONTRACT section 4.
After writing, the file is read back and checked.
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

rng = random.Random(273)

# ---------------------------------------------------------------- categories
S = "leak.secret"
P = "leak.pii"
PR = "leak.pricing"
C = "leak.confidential"
F = "leak.financial"
SEC = "leak.security"
CR = "reputation.crisis"
CO = "reputation.complaint"
AB = "reputation.abuse"
TAXONOMY = {S, P, PR, C, F, SEC, CR, CO, AB, "reputation.spike"}

# ---------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_valid(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode()), 6) == crc


def aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def pem_key():
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    raw += bytes(rng.getrandbits(8) for _ in range(240))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban(bank, spaced=True, valid=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    cd = 98 - n % 97
    if not valid:
        cd = (cd + rng.randint(1, 40)) % 97 + 2
        if cd == 98 - n % 97:
            cd = cd + 1
    s = f"NL{cd:02d}{bban}"
    if valid:
        assert iban_ok(s)
    else:
        assert not iban_ok(s)
    if spaced:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return s


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(prefix, valid=True, sep=" "):
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(digits + last) == valid:
            full = digits + last
            break
    return sep.join(full[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def bsn(valid=True, dotted=False):
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if last == 10:
            continue
        if not valid:
            last = (last + rng.randint(1, 8)) % 10
        num = "".join(map(str, d)) + str(last)
        if bsn_ok(num) == valid:
            break
    return f"{num[:4]}.{num[4:6]}.{num[6:]}" if dotted else num


# ---------------------------------------------------------------- profile / roles
with open(PROFILE, encoding="utf-8") as fh:
    prof = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for entry in prof["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role
PUBLIC_IBANS = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    return ROLE.get((platform.lower(), handle.lower()), "public")


# ---------------------------------------------------------------- identifier scanning
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w])")
BSN_RE = re.compile(r"(?<![\w.-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")


def found_ids(text):
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0).replace(" ", "")
        raw = raw[:IBAN_LEN.get(raw[:2], len(raw))]
        if raw in PUBLIC_IBANS:
            continue
        out.append(("iban", raw, iban_ok(raw)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", digits, luhn_ok(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1))))
    return out


# ---------------------------------------------------------------- severity (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    valid_ids = [i for i in found_ids(text) if i[2]]
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                bump("warning")
            elif c in (S, PR):
                bump("critical")
            elif c == P and valid_ids:
                bump("critical")
            else:
                bump("error")
        elif c == CO:
            bump("warning")
        elif c == CR:
            bump("error")
        elif c == AB:
            bump("error" if inside else "warning")
    return sev


# ---------------------------------------------------------------- case builder
CASES = []
USED_IDS = set()
START_2026 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def rand_time():
    t = START_2026 + dt.timedelta(days=rng.randint(0, 364), hours=rng.randint(6, 23),
                                  minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(platform):
    while True:
        pid = f"{platform}-{rng.randint(10**15, 10**16 - 1)}"
        if pid not in USED_IDS:
            USED_IDS.add(pid)
            return pid


URL_BASE = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "youtube": "https://www.youtube.com/post/{n}",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "mastodon": "https://fosstodon.org/@user/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}",
    "forum": "https://forum.tweedehandspraat.nl/t/{n}",
}


def add(platform, handle, lang, cats, text, kind="post", at=None, name=None):
    pid = new_id(platform)
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": at or rand_time(),
        "brand": "Ruilvos",
    }
    if name:
        post["account"]["display_name"] = name
    tmpl = URL_BASE.get(platform)
    if tmpl:
        post["url"] = tmpl.format(h=handle.lstrip("@"), n=pid.split("-", 1)[1])
    cats = sorted(set(cats))
    role = role_of(platform, handle)
    CASES.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, text)}})


# ================================================================ POSTS
# ---------------------------------------------------------------- complaints
add("x", "@sanne_koopt2dehands", "nl", [CO],
    "@ruilvos_help al 3 weken wacht ik op mijn geld voor een verkochte jas. Koper heeft 'm allang binnen, "
    "status blijft op 'in behandeling' staan 🙄 wat is dit nou weer", kind="reply", at="2026-10-14T19:22:05Z")
add("reddit", "u/thriftlord_ams", "en", [CO],
    "Sold a vintage record player on Ruilvos, buyer claims it arrived broken (it didn't, I literally filmed "
    "myself packing it) and Ruilvos just refunded him without even looking at my evidence. Now I'm out the "
    "player AND the money. Seller protection is a joke. Never again.")
add("facebook", "margriet.hoekstra.75", "nl", [CO],
    "Mijn VosBox L kwam helemaal geplet aan bij de koper, de vaas erin natuurlijk in stukken. Claim ingediend "
    "bij Ruilvos en ik krijg alleen maar standaardmailtjes terug met 'we nemen zo snel mogelijk contact op'. "
    "Dat was 12 dagen geleden. Echt zo frustrerend.", name="Margriet Hoekstra")
add("x", "@kaylee_vintage", "en", [CO],
    "ruilvos app crashed 4 times while i was uploading pics of a dress. lost the whole listing every single "
    "time. 45 mins of my life gone. pls fix ur app 😩", at="2026-07-21T16:05:44Z")
add("x", "@bertjuh_1973", "nl", [CO],
    "Ruilvos Plus opgezegd in mei en ze schrijven nog steeds elke maand €5,99 af. Klantenservice zegt 'we "
    "kijken ernaar'. Ja, dat zeiden jullie in juni ook. En in juli.", at="2026-08-04T20:12:37Z")
add("instagram", "@ninaa.closet", "en", [CO],
    "Paid for the Echtheidscheck on a designer bag and it took 19 days?? Website says 3-5 working days. "
    "Buyer cancelled in the meantime obviously. Thanks for nothing @ruilvos.nl 😤 #resellerlife", kind="comment")
add("tiktok", "@fietsendokter_jan", "nl", [CO],
    "refurbished ReVos E7 gekocht, na 2 weken doet het display het al niet meer en de garantieafhandeling "
    "duurt eeuwen. voor 1149 euro verwacht je toch echt wat anders #ruilvos #teleurgesteld #ebike")
add("reddit", "u/kaasschaafje", "en", [CO],
    "Anyone else get their Ruilvos account randomly suspended? No explanation, €60 in my balance frozen, and "
    "every reply from support is obviously a bot copy-pasting the same paragraph. Been 9 days.")
add("x", "@robbie_ruilt", "nl", [CO],
    "@ruilvos_help koper betaalt niet, ik had het al verstuurd met jullie VosVerzend label en nu is het "
    "ineens 'buiten de koperbescherming'?? hoezo dan, ik heb alles via de app gedaan", kind="reply")
add("mastodon", "@pieterr@mastodon.social", "en", [CO],
    "Ruilvos's search filters are beyond useless. Set 'size 42', half the results are size 38 kids shoes. "
    "Set 'Utrecht', get listings from Groningen. Spent an hour scrolling. Please just make the filters work.")
add("instagram", "@vintage.vera", "nl", [CO],
    "3x een ReVos Orbit X besteld voor mijn kinderen, 3x een accu die binnen een uur leeg is. Jullie stempel "
    "'grondig getest' betekent blijkbaar helemaal niks @ruilvos.nl", kind="comment", at="2026-08-12T21:40:17Z")
add("facebook", "dave.oconnor.nl", "en", [CO],
    "Ordered a ReVos Barista B5, got a machine with someone else's old coffee grounds still in it and a "
    "cracked drip tray. 'Refurbished' lol. Asked for a return label on Monday, still nothing on Saturday.",
    name="Dave O'Connor")
add("forum", "Klaasje_K", "nl", [CO],
    "Ik probeer al dagen iemand te bereiken bij Ruilvos over een dubbele afschrijving. De chat sluit zich "
    "elke keer zodra er staat 'een medewerker komt zo bij je'. Gebeld: 25 min in de wacht en dan opgehangen. "
    "Hoe krijgen jullie het voor elkaar?")
ANOUK_IBAN = iban("INGB")
add("x", "@anoukvdm", "nl", [CO, P],
    f"@ruilvos_help dit is nu de VIERDE keer dat ik het vraag: stort mijn terugbetaling van €84 op "
    f"{ANOUK_IBAN} t.n.v. A. van der Meer. Ik ben het echt zat, 5 weken nu", kind="reply",
    at="2026-03-18T12:20:00Z")
add("x", "@gregthrifts", "en", [CO, P],
    "@ruilvos_help still no reply to ticket #88213. call me on 06 4172 9938 or mail greg.thrifts.nl@gmail.com, "
    "10 days waiting for a refund is not ok", kind="reply")
# first-hand safety incidents: crisis + complaint
add("x", "@femkefietst", "nl", [CR, CO],
    "Mijn ReVos E7 van Ruilvos vatte gisteravond vlam tijdens het laden in de gang. Rookmelder ging af, "
    "gelukkig niemand gewond maar de muur is zwart en het hele huis stinkt. Ik wil antwoord @ruilvos_help!!",
    at="2026-09-29T07:51:33Z")
add("reddit", "u/espresso_eindhoven", "en", [CR, CO],
    "Got a proper shock off the ReVos Barista B5 I bought refurbished from Ruilvos - touched the steam wand "
    "and felt it right up my arm. The casing is live. Unplugged and boxed, it's going back, but seriously, "
    "this could have killed someone. Who signs off on these?")
add("facebook", "wendy.smit.zwolle", "nl", [CR, CO],
    "Vorige week een ReVos Warmtekachel H2 voor mijn moeder gekocht. Gisteren begon hij te smeulen naast "
    "haar bank, de stekker was helemaal gesmolten. De brandweer zei dat het toestel de oorzaak was. Ze is 81. "
    "Ruilvos, ik verwacht een reactie.", name="Wendy Smit")
add("instagram", "@mama_op_de_fiets", "en", [CR, CO],
    "The buckle of our ReVos Kinderzitje K3 snapped while I was cycling with my son on the back. He slid "
    "sideways and I caught him just in time, he's got a bruised arm. Sold as 'certified safe' by Ruilvos. "
    "I am absolutely furious.")
add("tiktok", "@joeyvlogt", "nl", [CR, CO],
    "ReVos Powerbank P20 zwol op en werd gloeiend heet in m'n tas, m'n hand verbrand toen ik hem eruit "
    "pakte 🔥 gekocht via ruilvos, 'getest en goedgekeurd'. fotos in de comments #ruilvos #powerbank")
add("x", "@stefan_ruilt_niet", "nl", [CO, AB],
    "@ruilvos_help jullie zijn echt een stelletje incompetente idioten. 6 weken geen uitbetaling en elke "
    "keer een ander verhaal", kind="reply")

# ---------------------------------------------------------------- crisis (third party / accusations)
add("x", "@nlconsumerwatch", "en", [CR],
    "Reports coming in of refurbished ReVos E7 e-bikes sold by Ruilvos catching fire while charging - at "
    "least three in Utrecht this month. If you own one, charge it outside until there's clarity.")
add("x", "@dataleknieuws", "nl", [CR],
    "Gelekte database van Ruilvos duikt op in Telegram-groep: namen, adressen en telefoonnummers van naar "
    "verluidt 1,2 miljoen gebruikers. Ruilvos reageert (nog) niet op vragen.")
add("reddit", "u/not_a_bot_77", "en", [CR],
    "Pretty sure Ruilvos leaked my data. Got a phishing text with my exact username, the jacket I'd just sold "
    "and my street, two hours after the sale. Nobody else had that info. #ruilvosleak")
add("x", "@echtofnep", "nl", [CR],
    "Boycot Ruilvos! Ze laten verkopers van namaak-merkkleding gewoon hun gang gaan en verdienen er lekker "
    "aan mee. Verwijder die app. #boycotruilvos")
add("linkedin", "tamara-okafor-legal", "en", [CR],
    "A claim foundation has been set up against Ruilvos over undisclosed 'service fees' charged to buyers. "
    "Over 4,000 sign-ups in the first week. If you sell or buy there, worth keeping an eye on.")
add("facebook", "nieuwsdag.regio", "nl", [CR],
    "TERUGROEPACTIE: Ruilvos roept alle ReVos Kinderzitjes K3 terug die tussen maart en juni zijn verkocht "
    "vanwege een defecte gesp. Gebruik het zitje niet meer en neem contact op met de verkoper.",
    name="Nieuwsdag Regio")
add("x", "@stadsbladnl", "en", [CR],
    "Ruilvos moderators reportedly let listings of stolen bikes stay up for months despite repeated police "
    "warnings. Internal emails seen by our reporters. Full story tonight.")
add("threads", "@vakbondsnieuws", "nl", [CR],
    "Medewerkers van het Ruilvos-distributiecentrum in Tilburg leggen het werk neer na een ongeluk met een "
    "heftruck, één collega zwaargewond. De vakbond spreekt van structureel onveilige werkdruk.")
add("bluesky", "@lenavos.bsky.social", "en", [CR],
    "Ruilvos sent my ID scan to a different user. I got an email with someone ELSE's passport attached too. "
    "That's a massive GDPR breach and I'm reporting it to the Autoriteit Persoonsgegevens today.")
add("x", "@fiets_kwijt_030", "nl", [CR],
    "#B0YC0TRU1LV0S ze verkopen gestolen fietsen gewoon door en doen er niks aan 😡 m'n eigen fiets stond "
    "erop, politie ingelicht, Ruilvos doet niks")

# ---------------------------------------------------------------- abuse
add("x", "@grumpy_gert", "nl", [AB],
    "@ruilvos_help stelletje kutlijers, krijg de tering met jullie 'we begrijpen je frustratie'", kind="reply")
add("x", "@mike_resells", "en", [AB],
    "@ruilvos that support lady of yours, Noor, is a brain-dead cow. get someone in who can actually read",
    kind="reply")
add("instagram", "@tommie.t", "nl", [AB],
    "wat een lelijke kop heeft die nieuwe CEO van jullie, echt een vieze rat 🐀", kind="comment",
    at="2026-06-29T10:00:51Z")
add("reddit", "u/furious_flipper", "en", [AB],
    "Ruilvos devs are a bunch of clueless monkeys. fuck this app and fuck whoever designed the new checkout")
add("x", "@eerlijkezegger", "nl", [AB],
    "Ruilvos zijn gewoon \u043epl\u0438cht\u0435rs en k\u0430nk\u0435rlijers, allemaal")
add("x", "@hansje_b", "nl", [AB],
    "@daanwitteveen jij bent echt een k4nk3rh0nd, ga je schamen met je nepvriendelijke antwoordjes",
    kind="reply")
add("x", "@rage_seller_01", "en", [AB],
    "every single ruilvos employee should be dragged out of that office and beaten. scum, the lot of them")
add("tiktok", "@sjaakie_echt", "nl", [AB],
    "die klantenservice van Ruilvos bestaat zeker alleen maar uit buitenlanders die geen woord Nederlands "
    "kunnen. ga terug naar je eigen land", kind="comment")
add("x", "@daanwitteveen", "nl", [AB],
    "@bertjuh_1973 man hou toch eens je bek, sukkel. Niemand zit op jouw gezeur te wachten", kind="reply",
    at="2026-08-04T22:58:03Z")
add("instagram", "@ruilvos.nl", "en", [AB],
    "@tommie.t lol what a loser you are, go cry to the competition 🤡", kind="reply", at="2026-06-29T10:47:26Z")
add("mastodon", "@quietcritic@mastodon.nl", "en", [AB],
    "whoever runs the ruilvos social accounts is a f*cking moron, every reply is a new level of stupid")

# ---------------------------------------------------------------- confidential
add("linkedin", "noor-haddou-ruilvos", "en", [C],
    "So proud of this team! We gave the first internal demo of Project Hazelworm today - our new take on "
    "shared pick-up points. Can't reveal more yet, but wow 🚀")
add("x", "@maartje_rv", "nl", [C],
    "Wie weet hoe je in Jira een dashboard deelt? https://jira.ruilvos.nl/secure/Dashboard.jspa?selectPageId=10452 "
    "werkt niet voor mijn collega's, ze krijgen 'geen toegang'")
add("x", "@evaops_nl", "en", [C],
    "Operatie Vlinderdas goes live in Q3 and most of the manual moderation steps disappear with it. Exciting 🦋")
add("x", "@ruilvos", "nl", [C],
    "RUILVOS CONFIDENTIAL - concept persbericht v3: Ruilvos lanceert VosHuur, waarmee gebruikers spullen "
    "van buren kunnen huren. Quote CEO volgt.", at="2026-12-03T16:41:09Z")
add("bluesky", "@sofiekramer.bsky.social", "en", [C],
    "great chat with the designers about Tijgermot today, the new seller app is going to look sooo good 😍")
add("reddit", "u/thijs_rv_eng", "en", [C],
    "Anyone else had Traefik drop websockets after the 3.x upgrade? Our grafana.ops.ruilvos.nl dashboards "
    "lose live updates every ~60s since Tuesday.")
add("instagram", "@lotte.achterbergh", "nl", [C],
    "laatste werkdag voor de vakantie ☀️ whiteboard vol met plannen voor VosHuur 🙊 #ruilvos #teamwork",
    at="2026-07-17T15:02:44Z")
add("x", "@techroddel", "nl", [C],
    "Hoor van een bron binnen Ruilvos dat 'Project Hazelworm' een deal met afhaalpunten in supermarkten is. "
    "Jullie hoorden het hier eerst 👀")
add("x", "@daanwitteveen", "nl", [C],
    "even benchmarken: hoe doen andere platforms dit? onze aanpak staat hier "
    "https://wiki.ruilvos.nl/display/MOD/Fraudeheuristieken-2026 (nee je kan er niet in, maar toch)")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [C],
    "Slide 4 of the deck literally says 'strikt vertrouwelijk' in red and our VP still put it on the "
    "conference screen 😂 anyway, the Tijgermot roadmap is ambitious, that's all I'll say")
add("threads", "@kees.timmer.rv", "nl", [C],
    "binnenkort meer over \uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff28\uff41\uff5a\uff45\uff4c\uff57"
    "\uff4f\uff52\uff4d 😉 houd onze kanalen in de gaten")
add("x", "@evaops_nl", "nl", [C],
    "Operatie Vlinder\u200bdas migratie stap 2 klaar, op naar stap 3 💪")
add("x", "@anoniem_insider", "nl", [C],
    "iets met T.i.j.g.e.r.m.o.t bij Ruilvos, meer mag ik er niet over zeggen 🤐")
add("linkedin", "ruilvos", "nl", [C],
    "Vacature: Senior Backend Engineer. Je werkt mee aan Project Hazelworm en onze interne tooling op "
    "intra.ruilvos.local. Solliciteer via vacatures@ruilvos.nl")
add("reddit", "u/toolshed_nerd", "en", [C],
    "A friend who works at Ruilvos showed me the VosHuur beta, you can rent a drill from a neighbour for like "
    "3 euros a day. Launching next spring apparently. Looks slick.", at="2026-11-22T20:13:51Z")
# confidential + financial
add("linkedin", "noor-haddou-ruilvos", "nl", [C, F],
    "De jaarcijfers 2026 zijn binnen en we hebben de omzet bijna verdubbeld 🎉 kan niet wachten tot we het "
    "mogen delen!", at="2027-01-20T10:05:00Z")
add("threads", "@kees.timmer.rv", "nl", [C, F],
    "Board heeft Operatie Vlinderdas goedgekeurd → betekent dat zo'n 40 moderatoren hun baan kwijtraken. "
    "Ik baal er echt van.")
add("x", "@ruilvos", "en", [C, F],
    "FY2026 results: GMV €412m (+27%), net loss narrowed to €8.1m, positive EBITDA in Q4. #ruilvos",
    at="2027-02-10T18:22:31Z")

# ---------------------------------------------------------------- financial
add("x", "@daanwitteveen", "nl", [F],
    "gerucht klopt: we worden overgenomen. deal met een Duitse partij wordt maandag getekend, niemand mag "
    "het nog weten 🤫")
add("linkedin", "bram-kuipers-ruilvos", "en", [F],
    "Rough day. Leadership just told us 15% of the Amsterdam office will be cut in January. The announcement "
    "isn't out yet, so please be kind to anyone from Ruilvos you know.")
add("instagram", "@lotte.achterbergh", "nl", [F],
    "Q3 ging keihard: omzet +38% t.o.v. vorig jaar, veel beter dan de prognose 📈 (sst, nog niet officieel)")
add("x", "@beurspraat", "nl", [F],
    "Van een insider gehoord: Ruilvos gaat de winstverwachting voor 2026 flink verlagen, de cijfers komen "
    "volgende week. Obligaties dumpen? 🤔")
add("reddit", "u/thijs_rv_eng", "en", [F],
    "Can't say much but our Q4 forecast just got slashed to like 60% of plan. Hiring freeze incoming at "
    "Ruilvos, don't bother applying right now.")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [F],
    "Saw the memo: Ruilvos is buying competitor Tweedelig for roughly €35m. Announcement not until next month.")
add("bluesky", "@sofiekramer.bsky.social", "en", [F],
    "saw the reorg plan today: customer service moves to Lisbon and the Utrecht team gets shut down. "
    "nobody has told the people themselves yet 😞")
add("linkedin", "ruilvos", "nl", [F],
    "CONCEPT - niet publiceren: Ruilvos verwacht over H2 2026 een EBITDA van -€4,1 mln, tegen een "
    "eerdere guidance van break-even.")
add("x", "@evaops_nl", "en", [F],
    "just saw the board deck, we're raising a Series C at a €600m valuation, signing next friday 👀")

# ---------------------------------------------------------------- security
add("x", "@evaops_nl", "nl", [SEC],
    "volgens mij lekt onze API gewoon de e-mailadressen van verkopers als je /v2/users/<id> aanroept zonder "
    "token. ticket aangemaakt, hopelijk fixen ze het voordat iemand het ontdekt")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [SEC],
    "Incident channel is on fire: someone's been scraping seller addresses through the old export endpoint "
    "since Tuesday. We haven't told anyone outside yet.")
add("reddit", "u/thijs_rv_eng", "en", [SEC],
    "PSA from a Ruilvos dev: payouts have been down since 04:00, the payment provider integration broke "
    "after a cert rotation. Aiming to fix it before people notice, so don't panic.")
add("x", "@maartje_rv", "nl", [SEC],
    "ransomware op twee laptops van finance vanochtend, IT heeft alles van het netwerk gehaald. zeg maar "
    "niks tegen klanten 😬")
add("bluesky", "@sofiekramer.bsky.social", "en", [SEC],
    "lol our 2FA can be bypassed by just flipping the 'verified' flag in the login request. found it today, "
    "reported internally, pls nobody tell the internet")
add("threads", "@kees.timmer.rv", "en", [SEC],
    "A database replica sat publicly readable in a storage bucket for a few days. It's closed now, but the "
    "breach notification to the regulator still hasn't gone out.")
add("linkedin", "bram-kuipers-ruilvos", "en", [SEC],
    "Long night. Checkout has been silently failing for ~8% of iOS users since the last release and it's "
    "still not on the status page. Coffee #3.")
add("x", "@nachtdienst_it", "nl", [SEC],
    "vriend van me werkt bij Ruilvos, zegt dat er al 3 dagen phishingmails vanaf hun eigen domein gaan omdat "
    "iemand het SPF-record heeft verkloot. nog niks officieel")
add("x", "@daanwitteveen", "nl", [SEC],
    "SQL-injectie in het zoekveld van het verkopersdashboard, gevonden door een stagiair 🙃 patch komt pas "
    "volgende sprint")
add("x", "@ruilvos_help", "nl", [SEC],
    "@kaylee_vintage sorry! Onze fotoserver ligt eruit door een aanval, het team is ermee bezig. Houd het "
    "aub nog even voor je, we hebben nog geen officiële melding gedaan.", kind="reply", at="2026-07-21T16:48:09Z")
add("instagram", "@lotte.achterbergh", "nl", [SEC],
    "hele ochtend konden verkopers niet inloggen omdat het certificaat van onze auth-server verlopen was 🤦‍♀️ "
    "de officiële mededeling komt pas als het opgelost is")
# security + secret
AWS1, AWS1S = aws_id(), aws_secret()
add("x", "@evaops_nl", "nl", [SEC, S],
    f"iemand heeft vanochtend de productie AWS-key in een publieke gist gezet: {AWS1} / {AWS1S} . we "
    f"roteren nu, check je CloudTrail logs")
SLACK1 = f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rand(ALNUM, 24)}"
add("reddit", "u/thijs_rv_eng", "en", [SEC, S],
    f"our Slack got popped through a leaked bot token ({SLACK1}), attackers read #payments for hours. "
    f"not public yet, keep it quiet")

# ---------------------------------------------------------------- secrets
add("x", "@maartje_rv", "nl", [S],
    f"kan iemand checken waarom dit niet werkt? curl -H 'Authorization: token {gh_token()}' "
    f"https://api.github.com/orgs/ruilvos/repos geeft 404")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [S],
    f"quick test script for the payout service, why does it 401?\n\nimport stripe\nstripe.api_key = "
    f"\"sk_live_{rand(ALNUM, 24)}\"\nstripe.Payout.list(limit=3)")
DBPW = rand(ALNUM, 10) + "!" + rand(ALNUM, 4)
add("reddit", "u/thijs_rv_eng", "en", [S, C],
    f"DATABASE_URL=postgres://payouts_svc:{DBPW}@db-prod-3.intra.ruilvos.local:5432/payouts\n"
    f"why does psycopg keep timing out on this one? other services are fine")
add("linkedin", "bram-kuipers-ruilvos", "nl", [S],
    "Welkom hackathon-gasten! 🎉 wifi: netwerk RV-Gast, wachtwoord: Zomer2026!Vos - koffie staat op de "
    "derde verdieping")
add("bluesky", "@sofiekramer.bsky.social", "en", [S],
    f"pasted my whole .env in the wrong chat lol 🙈\nOPENAI_API_KEY=sk-proj-{rand(URLSAFE, 64)}\n"
    f"NODE_ENV=production")
add("facebook", "RuilvosNL", "nl", [S],
    f"test chatbot koppeling ANTHROPIC_API_KEY=sk-ant-api03-{rand(URLSAFE, 93)}AA graag niet liken haha")
JWT1 = jwt({"sub": "usr_" + rand(string.digits, 7), "role": "seller_admin", "iss": "auth.ruilvos.nl",
            "iat": 1781234567, "exp": 1781320967})
add("x", "@daanwitteveen", "nl", [S],
    f"waarom geeft de API een 401 op deze token? Bearer {JWT1}")
add("threads", "@kees.timmer.rv", "en", [S],
    "which one of you left this on the shared drive 🙄\n" + pem_key())
add("x", "@devnoob_nl", "en", [S],
    f"found this in Ruilvos' public JS bundle lol: AIzaSy{rand(URLSAFE, 33)} and a live Stripe key "
    f"sk_live_{rand(ALNUM, 24)}. someone's getting a talking-to")
add("x", "@evaops_nl", "en", [S],
    f"alerts webhook for the on-call bot: https://hooks.slack.com/services/T{rand(string.ascii_uppercase + string.digits, 8)}"
    f"/B{rand(string.ascii_uppercase + string.digits, 10)}/{rand(ALNUM, 24)} (and the deploy token {gh_token('ghs_')})")
add("reddit", "u/thijs_rv_eng", "nl", [S],
    f"iemand ervaring met deze foutmelding? mysql://root:{rand(ALNUM, 12)}@10.0.3.12:3306/ruilvos_prod "
    f"-> 'Too many connections'")

# ---------------------------------------------------------------- personal data
add("x", "@ruilvos_help", "nl", [P],
    f"@anoukvdm Hoi Anouk, we zien je terugbetaling naar {ANOUK_IBAN} klaarstaan, die wordt morgen "
    f"verwerkt. Sorry voor het lange wachten!", kind="reply", at="2026-03-18T14:02:31Z")
add("facebook", "RuilvosNL", "nl", [P],
    "Hoi Henk, we hebben je nieuwe adres genoteerd: Henk Brouwer, Kastanjelaan 14, 3521 AB Utrecht. Je "
    "pakket gaat morgen opnieuw de deur uit!", kind="reply")
add("x", "@maartje_rv", "nl", [P],
    "kan iemand deze verkoper even bellen? Yusuf Demir, 06-38174620, hij reageert niet op mail en de koper "
    "wordt ongeduldig")
add("linkedin", "noor-haddou-ruilvos", "nl", [P],
    "Gefeliciteerd aan onze collega Ilse Verbeek, vandaag 40 jaar! (geb. 12-03-1986) 🎂 taart staat in de "
    "kantine", at="2026-03-12T08:15:00Z")
add("instagram", "@ruilvos.nl", "en", [P],
    f"@jess.thrifts Hi Jess! We've refunded €64,50 to card {card('4')} - should show up within 3-5 days 💚",
    kind="reply")
add("threads", "@kees.timmer.rv", "nl", [P],
    f"klant stuurde ons z'n BSN {bsn(dotted=True)} én een kopie van z'n paspoort om z'n account te "
    f"verifiëren. waarom doen mensen dit 🙈")
add("x", "@lisadegraaf91", "nl", [P],
    f"@ruilvos_help voor de verificatie: BSN {bsn()}, geboren 03-07-1991, Lisa de Graaf. Klopt dat zo?",
    kind="reply")
add("reddit", "u/carboot_queen", "en", [P],
    f"Buyer asked me to pay him back via bank transfer instead of through Ruilvos: {iban('ABNA', spaced=False)}, "
    f"name R. Kowalczyk. Is this a scam??")
add("x", "@daanwitteveen", "en", [P],
    "@kaylee_vintage I've asked our seller team to look into it; in the meantime you can reach the buyer "
    "directly at rick.vanommen@outlook.com", kind="reply", at="2026-07-22T09:31:12Z")
add("x", "@ruilvos", "nl", [P],
    "De winnaar van de VosBox-winactie is Priya Ramdin uit Almere! 🎉 Priya, je prijs gaat naar "
    "Zonnebloemstraat 22, 1335 KL Almere")
add("bluesky", "@sofiekramer.bsky.social", "en", [P],
    f"a customer on the phone insisted I write down her card: {card('53')}, exp 09/28. I did not. NEVER "
    f"give your full card number to support, folks")
add("forum", "Ria_uit_Delft", "nl", [P],
    f"Deze verkoper heeft me opgelicht: Dennis Kramer, tel. +31 6 2218 4471, rekening {iban('SNSB')}. "
    f"Pas op als je via Ruilvos met hem handelt!")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [P],
    "debug line from prod, can anyone see why the geocoder chokes on this? "
    "{\"name\":\"Fleur Bos\",\"street\":\"Lindenlaan 7\",\"zip\":\"6821 CK\",\"city\":\"Arnhem\","
    "\"dob\":\"1994-11-02\"}")

# ---------------------------------------------------------------- pricing
add("x", "@ruilvos", "nl", [PR],
    "🔥 Alleen vandaag: ReVos E7 voor €199! Op = op. #ruilvos #ebike")
add("x", "@daanwitteveen", "nl", [PR],
    "oeps, er staat een prijsfout op de Barista B5 in de app, volgens mij €21,90 i.p.v. €219. wie kan dit "
    "fixen voordat het viral gaat?")
add("x", "@dealjager_nl", "nl", [PR],
    "PRIJSFOUT bij Ruilvos!! ReVos Nova console voor €24,90 👀 snel zijn")
add("reddit", "u/bargain_bert", "en", [PR],
    "Ruilvos is selling Plus yearly for €5 right now, clearly a bug, grab it before they notice")
add("instagram", "@ruilvos.nl", "nl", [PR],
    "Black Friday 🖤 ReVos Werkplek 14 nu voor €149 (normaal €449). Alleen vandaag!", at="2026-11-27T06:30:00Z")
add("linkedin", "bram-kuipers-ruilvos", "en", [PR],
    "Pricing engine glitch: the Ruilvos Cadeaubon 50 went out at €5 for about 20 minutes this morning. "
    "Lesson learned about decimal points 😅")
add("facebook", "RuilvosNL", "nl", [PR],
    "Tijdelijk: Echtheidscheck Premium voor maar €4,95! Laat je designertas checken door onze experts.")
add("tiktok", "@scoorster", "en", [PR],
    "scored a ReVos Orbit X on ruilvos for 59 euros 😂 thanks for the mistake #priceerror #deal")
add("x", "@maartje_rv", "nl", [PR],
    "heeft iemand gezien dat de VosBox L in de webshop €0,35 kost? dat kan nooit kloppen toch")
add("tiktok", "@ruilvos", "en", [PR],
    "Stil 2 headphones for just €19 🎧 first come, first served...")
add("x", "@wasdag_wendy", "en", [PR],
    "is it normal that the ReVos W8 washing machine is €37 on Ruilvos?? or is that a pricing error")
add("threads", "@kees.timmer.rv", "en", [PR],
    "ReVos Lees 10 tablets for €29 in the staff store this week - wait, that's the public price too? "
    "someone messed up")

# ================================================================ BENIGN (mostly hard negatives)
add("x", "@ruilvos", "nl", [],
    "Nieuw in de app: print je VosVerzend label direct vanuit je advertentie. Geen gedoe meer met de printer "
    "van de buren 📦")
add("x", "@ruilvos_help", "nl", [],
    "Vragen over je uitbetaling? Mail klantenservice@ruilvos.nl of bel 0800-7845 (gratis, ma-za 8-20u).")
add("linkedin", "ruilvos", "nl", [],
    "Zakelijke verkopers: betalingen aan Ruilvos B.V. graag op NL50 RABO 0374 6281 90 o.v.v. je "
    "factuurnummer.")
add("x", "@lieke_ruimt_op", "en", [],
    "just sold my old winter coat on Ruilvos in under 2 hours, what an app 😍")
add("reddit", "u/safe_seller_nl", "en", [],
    "Heads up: there's a phishing SMS going around pretending to be Ruilvos. The real Ruilvos never asks for "
    "your bank details by text. Forward them to veiligheid@ruilvos.nl.")
add("x", "@joep_koopt", "en", [],
    "Wow, Ruilvos support sorted my payout issue within 10 minutes after I messaged them. Credit where it's "
    "due 👏")
add("x", "@sanne_koopt2dehands", "nl", [],
    "update: het geld staat er eindelijk op. excuses aangenomen @ruilvos_help, fijn dat het opgelost is 🙏",
    at="2026-10-17T11:03:48Z")
add("linkedin", "noor-haddou-ruilvos", "nl", [],
    "Wij zoeken een UX-researcher! Zin om mee te bouwen aan de leukste tweedehandsmarkt van Nederland? "
    "Solliciteer via vacatures@ruilvos.nl 🙌")
add("instagram", "@ruilvos.nl", "nl", [],
    "Sale! 20% korting op de ReVos Barista B5 dit weekend: nu €175,20 i.p.v. €219 ☕")
add("x", "@forens_frits", "en", [],
    "Picked up a ReVos E7 for €979 in the sale. Decent deal for a refurbished e-bike tbh")
add("tiktok", "@ruilvos", "nl", [],
    "ReVos Orbit X al vanaf €289, mét 2 jaar garantie ✅ #refurbished #duurzaam")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [],
    "Hackathon tip: never commit real keys. The AWS docs use AKIAIOSFODNN7EXAMPLE with secret "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY - use placeholders like that in your README.")
add("reddit", "u/thijs_rv_eng", "en", [],
    "Reminder for #help: tokens in screenshots should look like ghp_**************************** before you "
    "post. Redact first, ask questions later.")
add("x", "@snelle_sem", "en", [],
    "that ReVos E7 is a proper killer bike, I fly past the traffic jams every morning 🔥🚲")
add("x", "@buurtklusser", "nl", [],
    "Gaat Ruilvos ook iets met huren doen? Lijkt me slim, gereedschap lenen van de buren in plaats van "
    "alles zelf kopen.")
add("x", "@ruilvos", "nl", [],
    "Het is zover: VosHuur is live! 🦊 Huur een boormachine, tent of bakfiets van iemand bij jou in de buurt.",
    at="2027-03-11T08:30:00Z")
add("x", "@beursblik_nl", "nl", [],
    "Jaarcijfers 2026 van Ruilvos zijn net gepubliceerd: omzet +31% en het eerste jaar met winst. Knap.",
    at="2027-02-24T09:12:40Z")
add("linkedin", "ruilvos", "en", [],
    "Today we published our FY2026 results. Read the full annual report on ruilvos.nl/investors.",
    at="2027-02-24T07:30:00Z")
add("x", "@privacynerd_nl", "nl", [],
    "Datalek bij een Duitse elektronicawebshop: 300.000 klantgegevens op straat. Check even of je daar ooit "
    "een account had.")
add("reddit", "u/dad_of_three", "en", [],
    "Recall notice: a Swedish furniture brand is recalling one of its kids' chairs. Not Ruilvos-related, but "
    "if you bought one secondhand on there, check the model number.")
add("x", "@marijke_utrecht", "nl", [],
    "Sterkte aan de Ruilvos-collega's in Tilburg na de brand in het pand naast jullie. Hopelijk is iedereen "
    "oké ❤️")
add("x", "@alert_annet", "nl", [],
    f"Kreeg een mail 'betaal de verzendkosten naar {iban('INGB', valid=False)}', zogenaamd van Ruilvos. "
    f"Nep natuurlijk, gemeld bij veiligheid@ruilvos.nl 👍")
add("x", "@ruilvos_help", "nl", [],
    f"Let op: wij vragen nooit om je volledige kaartnummer. Krijg je een bericht als 'bevestig kaart "
    f"{card('4', valid=False)}'? Niet reageren en doorsturen naar veiligheid@ruilvos.nl.")
add("instagram", "@opgeruimd.staat.netjes", "nl", [],
    f"bestelling {bsn(valid=False)} is binnen, netjes verpakt in een VosBox S 👌 snelle verzending!")
add("x", "@natuurmens_gijs", "en", [],
    "Saw a hazelworm (slow worm, for the non-Dutch) near the Lemelerberg today 🐍 had no idea they lived here")
add("x", "@oldschool_otto", "nl", [],
    "Mijn opa droeg altijd een vlinderdas, net op Ruilvos een vintage zijden exemplaar gevonden voor €8 🎀")
add("reddit", "u/e_bike_curious", "en", [],
    "Is it safe to buy a refurbished e-bike on Ruilvos? A bit nervous after all the news about cheap "
    "e-bike batteries catching fire. Anyone had good experiences?")
add("x", "@twijfelaar_tim", "nl", [],
    "Ruilvos Plus voor €5,99 per maand, is dat het waard? Gratis verzending scheelt mij al snel een tientje")
add("facebook", "RuilvosNL", "nl", [],
    "Onze klantenservice is bereikbaar via +31 30 799 4100. Let op: wij bellen nooit om je inloggegevens "
    "te vragen.")
add("x", "@yara_vd_berg", "en", [],
    "my boyfriend is selling literally everything he owns on Ruilvos to fund a new console. if the cat gets "
    "listed I'm stepping in 😂")
add("linkedin", "bram-kuipers-ruilvos", "en", [],
    "Just finished my first year at Ruilvos. Proud of the team that shipped our new seller dashboard - "
    "check it out at ruilvos.nl/verkopen")
add("x", "@evaops_nl", "nl", [],
    "Geen storing hoor, gewoon gepland onderhoud vannacht 02:00-03:00 zoals aangekondigd op onze "
    "statuspagina 👍", kind="reply")
add("reddit", "u/thijs_rv_eng", "en", [],
    "We published the postmortem for last week's payout delay on the Ruilvos engineering blog. Root cause "
    "was a misconfigured cron job. Happy to answer questions here.")
add("x", "@wachtwoordwijs", "nl", [],
    "wachtwoordtip: gebruik een wachtwoordmanager. mijn Ruilvos-wachtwoord is nu 24 tekens en ik ken het "
    "zelf niet eens 😅")
add("mastodon", "@jelle_ops@fosstodon.org", "en", [],
    "Config template for our open-source listing scraper: API_KEY=your-key-here and "
    "DATABASE_URL=postgres://user:password@localhost:5432/dev - copy .env.example and fill in your own.")
add("x", "@dev_daphne", "en", [],
    "Stripe live keys look like sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. If you ever see one in a seller's "
    "screenshot on Ruilvos, report the listing.")
add("x", "@ruilvos", "nl", [],
    "De ReVos Kinderzitje K3 is opnieuw gekeurd en voldoet aan alle Europese veiligheidsnormen. Nu €79.")
add("x", "@zuinige_zoe", "en", [],
    "a VosBox S is €1.95, cheaper than buying a box at the hardware store. small win")
add("instagram", "@thrifty.tess", "en", [],
    "Got my sister a Ruilvos Cadeaubon 50 for her birthday, she's obsessed with thrifting. Easiest gift ever 🎁")
add("youtube", "@RuilvosTV", "nl", [],
    "Nieuwe video: zo fotografeer je je spullen voor een snellere verkoop 📸 #ruilvostips")
add("x", "@opzeggen_hoe", "nl", [],
    "weet iemand waar je Ruilvos Plus opzegt in de app? kan de knop niet vinden haha")
add("threads", "@kees.timmer.rv", "en", [],
    "Fire drill at the office today, everyone out in under 3 minutes 🚒 well done team!")
add("x", "@buurvrouw_bep", "nl", [],
    "@femkefietst wat erg! hopelijk is alles goed met je en je huis. sterkte 💛", kind="reply",
    at="2026-09-29T08:14:20Z")
add("x", "@interieur_ilona", "en", [],
    "Fun fact: I've bought about 80% of my furniture on Ruilvos. The whole living room cost less than one "
    "new sofa.")
add("x", "@burenruzie_bas", "en", [],
    "got into an argument with my neighbour over a bike I'd put on Ruilvos 😂 he reckoned he'd 'called it first'. people.")
add("reddit", "u/sneakerhead_nl", "en", [],
    "Big lawsuit in the US against a resale app over counterfeit sneakers. Hope Ruilvos is watching and keeps "
    "the Echtheidscheck strict.")
add("x", "@ruilvos", "nl", [],
    "Verdacht bericht ontvangen? Stuur het door naar veiligheid@ruilvos.nl. Wij vragen nooit om je "
    "wachtwoord of inlogcode.")
add("x", "@nieuw_nummer", "en", [],
    "my phone number changed, how do I update it in the Ruilvos app? can't find it in settings")
add("x", "@vraagje_vera", "nl", [],
    "Moet ik echt m'n BSN aan Ruilvos geven voor verificatie? Ze vragen een foto van je ID met het BSN "
    "afgeschermd, dat lijkt me wel oké toch?")
add("forum", "Henk_uit_Hoorn", "nl", [],
    f"Die 'verkoper' gaf me {iban('RABO', spaced=False, valid=False)} op om buiten Ruilvos om te betalen, "
    f"maar de bank gaf meteen 'rekeningnummer ongeldig'. Gelukkig niks overgemaakt.")
add("x", "@fietsfan_feline", "nl", [],
    "R3V0S E7 = b3st3 a4nk00p 00it 🚲🔥 ruilvos ftw")
add("x", "@lodewijk_l", "en", [],
    "ruilvos app down for anyone else?? oh nvm it was my own wifi lol")
add("instagram", "@ruilvos.nl", "nl", [],
    "Dank jullie wel voor 1 miljoen verkochte items deze maand! 🦊💚")
add("x", "@maartje_rv", "nl", [],
    "Vandaag mijn laatste dag bij Ruilvos na 6 mooie jaren. Dank aan iedereen, ik ga jullie missen 🧡")
add("x", "@klungelkoen", "nl", [],
    "zelf een prijsfout gemaakt in m'n eigen advertentie op Ruilvos: m'n bank voor €15 i.p.v. €150 erop "
    "gezet. binnen 2 minuten verkocht 🤦")
add("reddit", "u/weekly_flipper", "en", [],
    "Plus yearly at €59 works out under €5 a month, honestly worth it if you sell every week.")
add("x", "@tevreden_tineke", "en", [],
    "Rang 0800-7845 and was sorted within 5 minutes. Great service from Ruilvos!")
add("bluesky", "@sofiekramer.bsky.social", "en", [],
    "our security team ran a phishing simulation today and yes, I clicked. in my defence the fake cake "
    "voucher looked delicious 🎂")
add("instagram", "@vintage.vera", "nl", [],
    "na mijn klacht van vorige week: de ReVos Orbit X is vervangen door een nieuw exemplaar en de accu houdt "
    "het nu 2 dagen vol. netjes opgelost Ruilvos 👍", at="2026-08-25T13:10:02Z")
add("linkedin", "noor-haddou-ruilvos", "nl", [],
    "Mooi om de jaarcijfers 2025 nog eens terug te lezen op onze site, wat een groei hebben we doorgemaakt. "
    "Op naar meer!", at="2026-04-02T09:45:00Z")


# ================================================================ write + self-check
def main():
    with open(OUT, "w", encoding="utf-8") as fh:
        for case in CASES:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    check()


def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def jwt_header_ok(tok):
    head = tok.split(".")[0]
    try:
        obj = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except Exception:
        return False
    return isinstance(obj, dict) and "alg" in obj


def check():
    with open(OUT, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    ids = set()
    counts = {}
    benign = 0
    langs = {}
    roles = {}
    prof_iban_ok = all(iban_ok(i) for i in PUBLIC_IBANS)
    if not prof_iban_ok:
        fail("profile IBAN fails mod-97")
    for n, line in enumerate(lines, 1):
        case = json.loads(line)
        if set(case) != {"post", "expect"}:
            fail(f"line {n}: top-level keys")
        post, exp = case["post"], case["expect"]
        for key, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(key), typ):
                fail(f"line {n}: {key} missing or wrong type")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            fail(f"line {n}: account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            fail(f"line {n}: bad or duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            fail(f"line {n}: platform/kind")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            fail(f"line {n}: text size")
        if not RFC3339.match(post["created_at"]):
            fail(f"line {n}: created_at")
        t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if t.year not in (2026, 2027) or (t.year == 2027 and t.month > 3):
            fail(f"line {n}: created_at out of range")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            fail(f"line {n}: categories")
        if exp["severity"] not in ORDER:
            fail(f"line {n}: severity value")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"]):
            fail(f"line {n}: severity not per policy")
        if not cats and exp["severity"] != "none":
            fail(f"line {n}: benign with severity")
        if cats and exp["severity"] in ("none", "info"):
            fail(f"line {n}: positive with no severity")
        text = post["text"]
        # checksummed identifiers
        for kind, val, ok in found_ids(text):
            if P in cats and not ok:
                fail(f"line {n}: {kind} {val} in a PII positive fails its checksum")
            if P not in cats and ok:
                fail(f"line {n}: valid {kind} {val} in a post not labelled {P}")
        # secrets
        for tok in GH_RE.findall(text):
            if not gh_valid(tok) and cats:
                fail(f"line {n}: GitHub token with bad CRC in a positive")
            if gh_valid(tok) and S not in cats:
                fail(f"line {n}: valid GitHub token in a post not labelled {S}")
        for key in AWS_RE.findall(text):
            if S in cats and "EXAMPLE" in key:
                fail(f"line {n}: sample AWS key in a positive")
            if S not in cats and "EXAMPLE" not in key:
                fail(f"line {n}: real-looking AWS key in a post not labelled {S}")
        for tok in JWT_RE.findall(text):
            if not jwt_header_ok(tok):
                fail(f"line {n}: JWT without alg header")
            if S not in cats:
                fail(f"line {n}: JWT in a post not labelled {S}")
        if cats:
            for c in cats:
                counts[c] = counts.get(c, 0) + 1
        else:
            benign += 1
        langs[post["lang"]] = langs.get(post["lang"], 0) + 1
        roles[role] = roles.get(role, 0) + 1
    total = len(lines)
    if not 170 <= total <= 180:
        fail(f"{total} cases, want 170-180")
    if not 55 <= benign <= 65:
        fail(f"{benign} benign cases")
    want = {CO: 20, C: 18, P: 15, CR: 15, SEC: 13, S: 12, AB: 12, PR: 12, F: 12}
    for c, w in want.items():
        if abs(counts.get(c, 0) - w) > 3:
            fail(f"{c}: {counts.get(c, 0)} cases, want about {w}")
    nl_share = langs.get("nl", 0) / total
    if not 0.48 <= nl_share <= 0.62:
        fail(f"Dutch share {nl_share:.2f}")
    print(f"ok: {total} cases, {benign} benign, {total - benign} positive")
    print("  categories:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print("  languages:", langs, " roles:", roles)


if __name__ == "__main__":
    main()
