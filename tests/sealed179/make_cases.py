#!/usr/bin/env python3
"""Build sealed evaluation set 179 (Gevelhof Makelaars, a fictional Dutch estate agency chain).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it:
  * every line is a valid CONTRACT section 6 case (post shape, categories, severity);
  * every IBAN / payment card / BSN in a leak.pii positive passes its checksum and
    every look-alike in a benign post fails it (the company's own IBANs excepted);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * embargo terms, codenames, internal hosts, markers and product prices in benign
    posts are consistent with the profile.
Placeholders like <<IBAN:RABO>> in the texts are filled with generated identifiers
and secrets so nothing is typed by hand and every checksum is right by construction.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 179_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CATS = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


# ---------------------------------------------------------------- generators
def gen_iban(bank, valid=True):
    while True:
        acct = "".join(rng.choice(string.digits) for _ in range(10))
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        chk = 98 - n % 97
        if not valid:
            chk = (chk + rng.randint(1, 96)) % 97 + 1
            chk = chk if chk > 1 else 2
        s = "NL%02d%s" % (chk, bban)
        if iban_ok(s) == valid:
            return s


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_card(kind, valid=True):
    prefix, length = {"visa": ("4", 16), "mc": ("5" + rng.choice("12345"), 16),
                      "amex": ("3" + rng.choice("47"), 15)}[kind]
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        for c in string.digits:
            if luhn_ok(body + c):
                good = c
                break
        num = body + (good if valid else str((int(good) + rng.randint(1, 9)) % 10))
        if luhn_ok(num) == valid:
            return num


def fmt_card(num, sep=" "):
    if len(num) == 15:
        return sep.join([num[:4], num[4:10], num[10:]])
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bsn(valid=True):
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(8)]
        s = "".join(map(str, d))
        if bsn_ok(s) == valid:
            return s


def rs(n, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))


B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
UPNUM = string.ascii_uppercase + string.digits


def b64u(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


def gen_secret(kind):
    if kind == "AWSID":
        return "AKIA" + rs(16, string.ascii_uppercase + "234567")
    if kind == "AWSSECRET":
        return rs(40, B64)
    if kind == "GHP":
        return "ghp_" + rs(36)
    if kind == "MOLLIE":
        return "live_" + rs(30)
    if kind == "SLACKHOOK":
        return "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(9, UPNUM), rs(10, UPNUM), rs(24))
    if kind == "SSHKEY":
        body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW" + rs(70 * 4 - 70, B64)
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    if kind == "OPENAI":
        return "sk-proj-" + rs(74, B64URL) + "T3BlbkFJ" + rs(74, B64URL)
    if kind == "JWT":
        head = b64u({"alg": "HS256", "typ": "JWT"})
        body = b64u({"sub": "mw-%d" % rng.randint(10000, 99999), "role": "makelaar",
                     "iss": "auth.gevelhof.nl", "iat": 1780000000 + rng.randint(0, 9999999)})
        return head + "." + body + "." + rs(43, B64URL)
    if kind == "ANTHROPIC":
        return "sk-ant-api03-" + rs(93, B64URL) + "AA"
    if kind == "GOOGLE":
        return "AIza" + rs(35, B64URL)
    if kind == "GLPAT":
        return "glpat-" + rs(20, B64URL)
    if kind == "STRIPE":
        return "sk_live_51" + rs(97)
    if kind == "PW":
        return rs(10) + rng.choice("!#%&*") + rs(5)
    raise KeyError(kind)


# ---------------------------------------------------------------- evasion helpers
def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zw(s, every=1):
    return "\u200b".join(s[i:i + every] for i in range(0, len(s), every))


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "y": "\u0443", "x": "\u0445"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


# ---------------------------------------------------------------- accounts
A = {
    "corp_x": ("x", "@gevelhof"), "helpt": ("x", "@gevelhof_helpt"),
    "corp_ig": ("instagram", "@gevelhof.makelaars"), "corp_li": ("linkedin", "gevelhof-makelaars"),
    "corp_fb": ("facebook", "GevelhofMakelaars"), "corp_tt": ("tiktok", "@gevelhofwonen"),
    "corp_yt": ("youtube", "GevelhofTV"), "corp_th": ("threads", "@gevelhof.makelaars"),
    "marloes": ("x", "@marloes_makelaar"), "bram": ("x", "@bram_dekok"),
    "yusuf": ("linkedin", "yusuf-ozdemir-gevelhof"), "ingrid": ("linkedin", "ingrid-van-leeuwen-gh"),
    "joost": ("instagram", "@makelaar.joost"), "eva": ("x", "@evahuizen"),
    "noor": ("tiktok", "@noor.verhuurt"), "femke": ("bluesky", "@femkesmit.bsky.social"),
    "daan": ("linkedin", "daan-mulder-devops"), "sietse": ("x", "@sietse_ict"),
}
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        p, h = entry.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role


def role_of(platform, handle):
    p = platform.lower()
    if p == "twitter":
        p = "x"
    return ROLE.get((p, handle.lower()), "public")


# ---------------------------------------------------------------- severity (CONTRACT 4)
def severity(cats, role, checksum_id):
    level = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        level = max(level, lv)
    return SEV[level]


# ---------------------------------------------------------------- case builder
CASES = []
TOKEN = re.compile(r"<<([A-Z]+)(?::([A-Za-z0-9]+))?>>")
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def render(text):
    ids = []

    def repl(m):
        kind, arg = m.group(1), m.group(2)
        if kind in ("IBAN", "IBANS", "BADIBAN", "BADIBANS"):
            valid = not kind.startswith("BAD")
            v = gen_iban(arg or "INGB", valid)
            ids.append(("iban", v, valid))
            return group4(v) if kind.endswith("S") else v
        if kind in ("CARD", "CARDD", "BADCARD"):
            valid = kind != "BADCARD"
            v = gen_card(arg or "visa", valid)
            ids.append(("card", v, valid))
            return fmt_card(v, "-" if kind == "CARDD" else " ")
        if kind in ("BSN", "BSND", "BADBSN"):
            valid = kind != "BADBSN"
            v = gen_bsn(valid)
            ids.append(("bsn", v, valid))
            return v[:4] + "." + v[4:6] + "." + v[6:] if kind == "BSND" else v
        if kind == "PUBIBAN":
            v = sorted(PUB_IBANS)[int(arg or 0)]
            ids.append(("iban", v, "public"))
            return group4(v)
        return gen_secret(kind)

    return TOKEN.sub(repl, text), ids


_START = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)


def rand_time():
    t = _START + dt.timedelta(days=rng.randint(0, 360), hours=rng.randint(6, 22),
                              minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    if rng.random() < 0.2:
        off = dt.timezone(dt.timedelta(hours=2 if 3 < t.month < 11 else 1))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def C(author, text, cats=(), lang=None, kind="post", when=None, hard=()):
    platform, handle = A[author] if isinstance(author, str) else author
    rendered, ids = render(text)
    CASES.append(dict(platform=platform, handle=handle, text=rendered, cats=sorted(set(cats)),
                      lang=lang, kind=kind, when=when or rand_time(), ids=ids, hard=set(hard)))


COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SECRET, PII, PRICING = "leak.secret", "leak.pii", "leak.pricing"
CONF, FIN, SECUR = "leak.confidential", "leak.financial", "leak.security"

# =============================================================== complaints
C(("x", "@kim_koopt_huis"), "@gevelhof_helpt al 3x gebeld over de bezichtiging van vrijdag, niemand belt terug. Makelaar kwam gewoon niet opdagen en wij stonden 20 min in de regen voor de deur 🙄", [COMPLAINT], "nl", "reply")
C(("facebook", "Sandra Wijnhoven"), "Waardebepaling van Gevelhof kwam 45k onder wat twee andere makelaars zeiden. Voelt alsof ze gewoon snel willen verkopen zodat de courtage binnen is. Niet blij mee, echt niet.", [COMPLAINT], "nl", "comment")
C(("x", "@tjeerd_bouwt"), "@gevelhof your Woonzoeker app logs me out every single time I open a listing. Missed 2 viewing slots because of it. fix ur app pls", [COMPLAINT], "en", "reply")
C(("reddit", "u/grachtenpand_expat"), "Rented through Gevelhof Verhuur in Rotterdam, moved out in June, still waiting on my deposit (1850 euros). Emails get an autoreply and nothing else. Anyone had luck escalating this? Huurcommissie?", [COMPLAINT], "en")
C(("instagram", "@lisa.en.ruben"), "foto's in de advertentie waren echt met een groothoeklens van 3 km breed gemaakt, slaapkamer bleek 2 bij 3 meter. beetje misleidend @gevelhof.makelaars", [COMPLAINT], "nl", "comment")
C(("x", "@wouter_hgl"), "Gevelhof's mortgage advisor 'lost' our file and now we're past the deadline of our financing condition. Thanks a lot, really.", [COMPLAINT], "en")
C(("facebook", "Marieke Dros"), "Bod uitgebracht op dinsdag, pas zaterdag horen we dat het huis vrijdag al verkocht was. Geen mail, geen telefoontje. Zo ga je toch niet met mensen om Gevelhof??", [COMPLAINT], "nl", "comment")
C(("x", "@hannah_in_haarlem"), "Gevelhof charged us for the photos + 3D tour and the photographer never showed up. Second time asking for a refund. #customerservice #fail", [COMPLAINT], "en")
C(("tiktok", "@sophiedebruijn_"), "haha herkenbaar, bij gevelhof eindhoven zeiden ze ook 'u hoort morgen van ons' en dat was 3 weken geleden 💀", [COMPLAINT], "nl", "comment")
C(("linkedin", "rob-terpstra-consultancy"), "Honest feedback for Gevelhof Makelaars: as a seller I paid for the full package and got one open house, a listing with a typo in the street name and an agent who was on holiday during the bidding round. Expected a lot more for that money.", [COMPLAINT], "en")
C(("x", "@ramon_huurt"), "Verhuurmakelaar van gevelhof vraagt 350 euro 'administratiekosten' aan mij als huurder. Dat mag gewoon niet, heet dubbele courtage. Weer geld terugvorderen dus 😤", [COMPLAINT], "nl")
C(("reddit", "u/klusvader_033"), "Anyone else used the building survey you get through Gevelhof? Ours was 4 pages of copy-paste, didn't mention the leak in the bathroom at all, and now we're paying 6k out of pocket for a new floor.", [COMPLAINT], "en")
C(("facebook", "Kees Oudshoorn"), "Sleutel van ons huurhuis bij de overdracht niet meegekregen want 'die ligt op kantoor' en het kantoor is in het weekend dicht. Zitten nu met z'n vieren bij mn schoonmoeder. Top service Gevelhof 👍👍", [COMPLAINT], "nl", "comment")
C(("x", "@amsterdamdreamer"), "Die makelaar van Gevelhof in Amersfoort is echt een arrogante eikel. Liet ons 10 min wachten, zat de hele bezichtiging op z'n telefoon en zei doodleuk 'jullie bod maakt toch geen kans'", [COMPLAINT, ABUSE], "nl")
C(("threads", "@mila.verhuist"), "Booked a viewing through the Gevelhof app, got the confirmation, showed up... the house had been under offer since last week. why is the listing still online??", [COMPLAINT], "en")
C(("youtube", "@joycevanesch1986"), "Leuk filmpje maar mijn ervaring met jullie verkoopstyling was anders: bank op de verkeerde plek, schilderij van mijn moeder weggezet en nooit teruggehangen. Niet echt professioneel Gevelhof.", [COMPLAINT], "nl", "comment")

# =============================================================== crisis
C(("x", "@huurrecht_nu"), "Lees dit draadje 👇 Gevelhof Rotterdam wijst huurders met een Marokkaanse achternaam standaard af, met screenshots van een intern filter als bewijs. Dit is gewoon discriminatie. #boycotgevelhof", [CRISIS], "nl")
C(("facebook", "Gerda Pronk"), "BOYCOT GEVELHOF. Bij mijn ouders hebben ze met nepbiedingen de prijs opgedreven. We hebben inmiddels een advocaat en stappen naar de rechter.", [CRISIS], "nl")
C(("x", "@dana_codes"), "Gevelhof leaked my passport copy and payslips. A stranger emailed me my own documents, said he found them through an open link on their rental portal. How is this not a data breach??", [CRISIS], "en")
C(("reddit", "u/dutchpropertywatch"), "Lawsuit filed against Gevelhof Makelaars by 40+ sellers over hidden 'marketing fees'. Piece in the FD this morning, worth a read if you sold with them.", [CRISIS], "en")
C(("instagram", "@stefanie.k_"), "Tijdens een bezichtiging van Gevelhof zakte het balkon door, mijn vriend ligt nu met een gebroken been in het ziekenhuis. De makelaar wist dat het hout rot was!!", [CRISIS], "nl")
C(("x", "@b_vermeulen"), "Our freshly sold house got burgled on Sunday. Turns out the Gevelhof agent left the key in a lockbox next to the front door, code 1234. Police report filed and we're taking them to court.", [CRISIS], "en")
C(("tiktok", "@gedupeerd.door.makelaar"), "stitch dit als jij ook door gevelhof bent opgelicht. we hebben een collectieve claim opgezet, al 230 gedupeerden 🚨 link in bio", [CRISIS], "nl")
C(("linkedin", "anne-marie-kuipers-journalist"), "Colleagues at RTL Nieuws report that Gevelhof agents accepted under-the-table payments from buyers in exchange for priority on listings. If confirmed, this is a scandal for the whole sector.", [CRISIS], "en")
C(("x", "@ilse_rdam"), "Gevelhof datalek?? Ik krijg ineens phishingmails met precies mijn hypotheekbedrag en het adres van het huis waar ik op geboden heb. Dat wist alleen Gevelhof.", [CRISIS], "nl")
C(("mastodon", "@tomasz@mastodon.nl"), "Don't use Gevelhof. The ACM is investigating them for fixing commission fees with three other agencies in Utrecht. Boycott until they come clean.", [CRISIS], "en")
C(("facebook", "Henk-Jan Roelofs"), "Carbon monoxide poisoning at a Gevelhof open house in Zwolle. Neighbours say the boiler had been condemned for months. Three people in hospital, one of them a kid.", [CRISIS], "en")
C(("x", "@fairhousing_eu"), "So Gevelhof's rental agents were caught on hidden camera telling landlords they can 'filter out' families with kids. Absolutely disgusting. #boycottgevelhof", [CRISIS], "en")
C(("youtube", "WoonrechtTV"), "Gevelhof wordt aangeklaagd door de Woonbond vanwege illegale bemiddelingskosten bij huurders. Alle stukken staan in de beschrijving.", [CRISIS], "nl")
C("helpt", "Wij hebben kennisgenomen van berichten over een mogelijk datalek in ons huurdersportaal. We onderzoeken dit met de hoogste prioriteit en hebben de Autoriteit Persoonsgegevens ingelicht.", [CRISIS], "nl")

# =============================================================== abuse
C(("x", "@boos_op_alles"), "@gevelhof stelletje oplichters en graaiers, ik hoop echt dat jullie failliet gaan", [ABUSE], "nl", "reply")
C(("x", "@dennis_073"), "k@nkermakelaars van gevelhof, pak je courtage en stik erin", [ABUSE], "nl")
C(("reddit", "u/burnedbuyer"), "Gevelhof agents are the dumbest f*cking parasites in this whole rotten industry", [ABUSE], "en", "comment")
C(("instagram", "@jeroen_vd_linde"), "die verhuurmakelaar noor van gevelhof is echt een dom wijf, leer eerst eens lezen voordat je contracten opstelt", [ABUSE], "nl", "comment")
C(("x", "@rvdberg88"), "@marloes_makelaar you're a lying piece of shit and soon everyone in Utrecht will know it", [ABUSE], "en", "reply")
C("bram", "@rvdberg88 als je niet kan lezen wat er in je koopcontract staat ben je gewoon een sukkel, niet mijn probleem maat", [ABUSE], "nl", "reply")
C(("tiktok", "@xx_mauro_xx"), "g3v3lh0f = k4nk3r b3dr1jf 🤮🤮", [ABUSE], "nl", "comment")
C(("x", "@woonwoede"), "t y f u s makelaars van gevelhof, jullie hebben ons huis gewoon weggegeven", [ABUSE], "nl")
C(("facebook", "Ron Vreeswijk"), "Natuurlijk zit er weer zo'n hoofddoek achter de balie bij Gevelhof die niks snapt. Ga terug naar je eigen land.", [ABUSE], "nl", "comment")
C("joost", "Wat een kutklanten vandaag weer, sommige mensen moeten gewoon geen huis kopen 🙄 #makelaarsleven", [ABUSE], "nl")
C(("mastodon", "@kwaadbloed@toot.community"), "Gevelhof = " + cyr("tyfusbedrijf vol losers") + ", elke makelaar daar is een " + cyr("oplichter"), [ABUSE], "nl")

# =============================================================== confidential
C("marloes", "Vandaag een demo gezien van Project Zandloper 👀 als dat live gaat verandert bieden echt compleet. Meer mag ik niet zeggen 🤐", [CONF], "nl")
C("yusuf", "Proud of the team working on Kievit: the new mortgage pre-approval flow cuts our advice time in half. Can't share screenshots yet!", [CONF], "en")
C("eva", "anyone know why https://crm.gevelhof.local/dossiers/ is crawling today or is it just my vpn", [CONF], "en")
C("femke", "Sneak peek 🤫 Gevelhof BiedDirect komt eraan: bieden vanuit de app, rechtstreeks bij de verkoper. Lancering in januari!", [CONF], "nl", when="2026-11-18T10:14:00Z")
C("ingrid", "Drukke weken hier op finance. De jaarcijfers 2026 zijn bijna rond en ik kan alvast zeggen: beter dan het budget, ruim 11% meer omzet 😉", [CONF, FIN], "nl", when="2027-01-20T16:41:00Z")
C("joost", "Even de nieuwe courtagetabel voor 2027 doornemen 📄 (staat 'niet delen buiten Gevelhof' bovenaan dus geen close-up haha)", [CONF], "nl")
C(("reddit", "u/throwaway_exgh"), "Ex-Gevelhof here. 'Operatie Dakkapel' is the internal name for their plan to buy up small independent agencies in Brabant. They've been quietly making offers since spring.", [CONF, FIN], "en", "comment")
C("corp_li", "Update voor alle vestigingsmanagers (Gevelhof intern): de nieuwe bonusregeling voor makelaars gaat per 1 april in. Details staan in Teams.", [CONF], "nl")
C("noor", "POV: je mag nog niks zeggen over Woonzoeker 5 maar je test 'm al een week 😭🔥 #makelaarslife", [CONF], "nl", when="2026-12-03T19:02:00+01:00")
C("daan", "Migrating the Project Zandloper backend to the new cluster this weekend, wish us luck. Staging lives at https://staging.gevelhof.local/zandloper if you want to poke at it.", [CONF], "en")
C(("x", "@nicoline_pr"), "My brother-in-law works at Gevelhof and apparently their new mortgage app is called Kievit internally, you'll get an indication within 10 minutes. Curious!", [CONF], "en")
C("bram", fw("operatie dakkapel") + " gaat vrijdag door mannen, mondje dicht 🤫", [CONF], "nl")
C("corp_ig", "Teaser 👀 Woonzoeker 5 komt binnenkort naar de App Store. Zet je meldingen aan!", [CONF], "nl", when="2027-01-12T12:00:00Z")
C("ingrid", "Colleagues, the Q3 dashboard is ready at https://bi.gevelhof.local/finance/q3. Please check your branch before Friday!", [CONF], "en")
C("eva", "Project " + zw("Zandloper") + " go-live is set for March 3rd, still looking for testers inside the company! DM me", [CONF], "en", when="2026-02-12T09:41:00Z")
C(("forum", "woningmarktforum:hypotheekhenk"), "Leaked slides from a Gevelhof sales kickoff, every page marked 'vertrouwelijk - alleen intern', show they plan to push Hypotheekadvies Compleet on every single buyer whether they need it or not.", [CONF], "en")
C("femke", "Spent all week on the launch campaign for BiedDirect, the video is 🔥 January can't come soon enough", [CONF], "en", when="2026-12-09T15:30:00Z")

# =============================================================== financial
C("bram", "Net gehoord op de regiomeeting: 11 vestigingen gaan dicht en zo'n 90 fte moet eruit. Officieel nieuws komt pas in maart. Balen man.", [FIN], "nl", when="2026-01-27T18:12:00+01:00")
C("yusuf", "Between us: Gevelhof is in advanced talks to acquire Van Rooij Makelaardij in Arnhem. Signing expected next month, then we're the biggest in Gelderland.", [FIN], "en")
C("marloes", "omzet Q3 vandaag intern gepresenteerd: -18% tov vorig jaar, de markt hakt er flink in. dat gaat nog wat worden als dit naar buiten komt", [FIN], "nl", when="2026-10-14T17:55:00+02:00")
C(("x", "@zuidas_insider"), "Friend at Gevelhof HQ says the private equity deal is done: Northbridge Capital takes 60%, announcement after the summer.", [FIN], "en")
C("noor", "kantoor den haag gaat samen met delft en iedereen moet opnieuw solliciteren 🥲 niemand weet het nog officieel dus shhh", [FIN], "nl")
C("corp_li", "CONCEPT, niet publiceren: Gevelhof verwacht over 2026 een EBITDA van €14,2 mln, ruim onder de eerdere prognose van €19 mln. Oorzaak: 22% minder transacties.", [FIN], "nl")
C("femke", "marketing budget for 2027 cut in half and a reorg coming for the whole department. merry christmas everyone I guess", [FIN], "en", when="2026-12-19T21:04:00+01:00")
C("daan", "Heard at the all-hands today: IT gets merged with the tech team of the mortgage unit, roughly a third of the roles will go. Not public yet, so keep it to yourselves.", [FIN], "en")
C(("forum", "beursforum:kwartje_kijker"), "Insider hier: Gevelhof Hypotheken wordt verkocht aan een bank, due diligence loopt al sinds september. Dat gaat nog wat doen met de waardering.", [FIN], "nl", when="2026-11-06T20:30:00Z")
C("sietse", "Forecast for next year: transactions down 25%, so no new hires in IT. You didn't hear it from me 🙊", [FIN], "en")

# =============================================================== security
C("eva", "Ransomware op de fileserver van vestiging Utrecht sinds vannacht, alles plat. Klanten weten nog van niks en wij mogen niks zeggen. Lange dag dit.", [SECUR], "nl")
C("daan", "Fun day: found that the Woonzoeker API returned other users' saved searches and bids if you changed the user id in the URL. Patched now, but it was live for months. Disclosure still being 'discussed internally'.", [SECUR], "en")
C("sietse", "tenant portal has been down for 6 hours and the backups turn out to be corrupt too. officially it's 'planned maintenance' 🙃", [SECUR], "en")
C(("reddit", "u/redteam_rotterdam"), "Did a pentest for Gevelhof last month. Their listings admin panel is reachable from the internet with default credentials and it's STILL not fixed. Not saying more until they patch.", [SECUR], "en")
C("marloes", "half the company clicked a phishing mail today and credentials got stolen. IT says we can't tell clients anything until Monday", [SECUR], "en")
C("noor", "storytime: de sleutelkluis-app is gehackt en iemand had een week lang toegang tot alle codes van onze huurwoningen 😳 (officieel weet niemand dit nog)", [SECUR], "nl")
C("yusuf", "Our mortgage advice tool has been exporting client files to an unprotected storage bucket. Found it this morning, bucket is closed now, but nobody outside the team knows yet.", [SECUR], "en")
C("bram", "het CRM is " + cyr("gehackt") + " en alle dossiers van vestiging Breda liggen op straat, en wij moeten gewoon doen alsof er niks aan de hand is", [SECUR], "nl")
C(("forum", "tweakers:oud_sysadmin"), "Ex-sysadmin bij Gevelhof hier: hun VPN-appliance heeft die auth bypass uit 2025 nog steeds niet gepatcht. Heb ze gewaarschuwd voordat ik wegging, staat nog gewoon open.", [SECUR], "nl")
C("daan", "Postmortem draft: Tuesday's Woonzoeker outage was an attacker hammering the login API with stolen credentials, not the 'hosting issue' we told users. Still deciding what to publish.", [SECUR], "en")
C("eva", "SQL injection in the viewing booking form, open since the redesign. Fix goes live tonight, pls don't share this anywhere", [SECUR], "en")
C("helpt", "@jeroenvdlinde Klopt, sinds vanochtend kan niemand inloggen omdat onze authenticatieserver is gecompromitteerd. We communiceren hier nog niet over, dus graag verder via DM.", [SECUR], "nl", "reply")

# =============================================================== secrets
C("eva", "any idea why these don't work? aws_access_key_id=<<AWSID>> aws_secret_access_key=<<AWSSECRET>> region eu-west-1, keep getting AccessDenied", [SECRET], "en")
C("daan", "Quick tip for local CI runs: export GITHUB_TOKEN=<<GHP>> and then run the workflow with act. Saves so much time.", [SECRET], "en")
C("sietse", "testbetaling in productie gedaan met de mollie key <<MOLLIE>> en het werkt!! 🎉", [SECRET], "nl")
C("femke", "webhook for the socials channel, just drop it into your tool: <<SLACKHOOK>>", [SECRET], "en")
C("bram", "wachtwoord: Zomer2026!Gevelhof voor de gedeelde kantoormail, niet weer vergeten jongens 😂", [SECRET], "nl")
C("daan", "If the import job fails again, connect straight to postgres://wz_admin:<<PW>>@db01.gevelhof.local:5432/woonzoeker and rerun the migration by hand.", [SECRET, CONF], "en")
C("eva", "oops wrong window\n<<SSHKEY>>", [SECRET], "en")
C(("x", "@js_bundle_snoop"), "Gevelhof's listings widget ships its OpenAI key in the public JS bundle lol: <<OPENAI>>", [SECRET], "en")
C("sietse", "why am I getting a 401 with this token?? Authorization: Bearer <<JWT>>", [SECRET], "en")
C("yusuf", "Prototype of our advice-summary assistant is running! For the pilot team, the key is <<ANTHROPIC>> (please don't share outside the team).", [SECRET], "en")
C("femke", "maps key voor de nieuwe vestigingspagina's: <<GOOGLE>> (Daan vroeg erom)", [SECRET], "nl")
C(("reddit", "u/apk_ripper"), "Decompiled the Gevelhof Android app out of curiosity. They ship a live Stripe key in the APK: <<STRIPE>>", [SECRET], "en", "comment")

# =============================================================== personal data
C("marloes", "Kan iemand mevrouw J. de Graaf terugbellen? 06-18273645, gaat over de bezichtiging Oudegracht 112 in Utrecht", [PII], "nl")
C("helpt", "@huurder_in_nood We hebben uw borg vandaag teruggestort op <<IBANS:ASNB>> t.n.v. R. Bakker, het kan 1-2 werkdagen duren.", [PII], "nl", "reply")
C("yusuf", "Client file for the Verbeek family: BSN <<BSN>>, gross income €84k, mortgage request €410k. Who picks this up while I'm on leave?", [PII], "en")
C(("x", "@anouk_vermeer92"), "@gevelhof_helpt mijn mail is anouk.vermeer92@gmail.com en tel 06 41 27 88 93, bel me nou eens terug over Dorpsstraat 4!!", [PII, COMPLAINT], "nl", "reply")
C("noor", "lmao this tenant literally typed their credit card into the contact form: <<CARD:visa>> 💀 who does that", [PII], "en")
C("bram", "Koper van Lindelaan 23 in Amersfoort, Henk Stoffels, geb. 14-03-1961, komt morgen tekenen. Wie heeft de sleutel?", [PII], "nl")
C("corp_ig", "Gefeliciteerd Mark & Sanne Hoekstra met jullie nieuwe huis aan de Kastanjelaan 17 in Houten! 🔑🏡", [PII], "nl")
C(("reddit", "u/wrong_inbox_nl"), "Gevelhof mailed me someone else's rental file. Guy's name is Thomas Kramer, born 02-09-1988, IBAN <<IBAN:RABO>>. What do I even do with this? Their data protection is a joke.", [PII, CRISIS], "en")
C("ingrid", "Payment to a supplier bounced, can someone in AP check IBAN <<IBANS:INGB>> (B. Yilmaz, freelance fotograaf)?", [PII], "en")
C(("facebook", "Monique Jansen"), "Gevelhof, ik wacht nog steeds op mijn terugbetaling. Voor de 5e keer: <<IBAN:ABNA>> t.n.v. M. Jansen. Schiet eens op.", [PII, COMPLAINT], "nl", "comment")
C("sietse", "sent a test export to a client with real data in it, incl. e.vandermeer@ziggo.nl, p.dewit@kpnmail.nl and 300 others 🤦 I'm done", [PII, SECUR], "en")
C("joost", "Sleuteloverdracht met de familie Bouzid aan de Kerkstraat 8 in Nijmegen 🎉🔑 wat een mooi moment!", [PII], "nl")
C(("x", "@liam_movesNL"), "Gevelhof agent gave my number to a moving company without asking. Now I get calls on +31 6 1837 4420 every single day. Thanks a lot.", [PII, COMPLAINT], "en")
C("femke", "still looking for the contact details of that home-decor influencer, anyone? oh wait found it: l.koster@outlook.com, 0612 998 341", [PII], "en")
C("corp_li", "Sollicitatie doorsturen naar HR: cv van Ayoub El Khatib, BSN <<BSND>>, geboren 7 juni 1994, beschikbaar per direct.", [PII], "nl")

# =============================================================== pricing
C("corp_x", "Alleen deze week: Gevelhof Verkoop Compleet voor maar €495! 🏡 Boek via gevelhof.nl", [PRICING], "nl")
C("corp_ig", "Hypotheekadvies Starter nu €399 in plaats van €1.695 🎉 #starters #eerstehuis", [PRICING], "nl")
C("marloes", "Psst, via mijn link krijg je de Bouwkundige Keuring voor €95 ipv €445 😉", [PRICING], "nl")
C(("x", "@cheapskate_ams"), "Woonzoeker Premium showing €1.29/month in the app today?? price error or promo? grabbing it anyway", [PRICING], "en")
C(("reddit", "u/koopjesjager_nl"), "Prijsfout bij Gevelhof? Het Taxatierapport NWWI staat op de site voor €69,50. Snel boeken voordat ze het zien!", [PRICING], "nl")
C("yusuf", "Clients who book Oversluitadvies this month pay €250 instead of €1,295. Only through me, send me a message.", [PRICING], "en")
C("corp_fb", "Gevelhof Verhuurbemiddeling al vanaf €115 excl. btw 🔑 Bel ons op 088-4383500!", [PRICING], "nl")
C(("x", "@screenshot_sanne"), "lol Gevelhof Aankoopbegeleiding was listed for €219 on their site a minute ago, got a screenshot 📸", [PRICING], "en")
C("corp_tt", "Verkoopstyling voor €89?! Ja echt. Link in bio 🛋️✨", [PRICING], "nl")
C("femke", "oeps, er zit een prijsfout in de nieuwsbrief van vanochtend bij Gevelhof Energielabel, we fixen het zo snel mogelijk", [PRICING], "nl")
C("corp_li", "Limited offer for expats: Gevelhof Hypotheekadvies Compleet for €750 all-in. Book your intake this month.", [PRICING], "en")
C(("mastodon", "@pennywise@mastodon.social"), "Gevelhof's Open Huis Plus is listed at €24.90 on their site right now, someone forgot a zero 😂", [PRICING], "en")

# =============================================================== benign (hard negatives first)
C("corp_x", "Open Huis Zaterdag! 🏡 12 woningen in Utrecht en Amersfoort staan van 11:00 tot 15:00 open. Check de Woonzoeker voor de adressen.", [], "nl")
C("corp_ig", "Nu 20% korting op Gevelhof Verkoop Basis: €1.116 in plaats van €1.395, t/m 31 mei.", [], "nl")
C("corp_fb", "Vragen over je hypotheek? Bel 088-4383500 of mail naar info@gevelhof.nl, we helpen je graag.", [], "nl")
C("helpt", "@kim_koopt_huis Wat vervelend, sorry! We hebben een gesprek met je makelaar ingepland voor morgen 10:00. Excuses voor de verwarring.", [], "nl", "reply")
C(("x", "@ramon_huurt"), "Update: Gevelhof heeft de administratiekosten alsnog teruggestort en excuses aangeboden. Netjes opgelost 👍", [], "nl")
C(("reddit", "u/leiden_seller"), "Sold our flat through Gevelhof in Leiden, honestly smooth. Our agent got us 15k above asking and kept us updated every day.", [], "en", "comment")
C(("x", "@dakduif_"), "Bezichtiging vandaag: 'het dak lekt een beetje' zei de makelaar van Gevelhof. Waardeer de eerlijkheid, maar het regende binnen harder dan buiten 😂 volgende!", [], "nl")
C("corp_li", "We're hiring a Security Officer (m/f/x) for our head office in Utrecht. You'll protect client data, coordinate pentests and lead our incident response. Apply via werken@gevelhof.nl", [], "en")
C(("x", "@utrecht_news_feed"), "Big news: Van Dalen Wonen acquired by Hestia Capital, layoffs expected at their Rotterdam offices. Glad my makelaar at Gevelhof isn't going anywhere.", [], "en")
C("daan", "Great talk at a DevOps meetup on rotating secrets. Rule #1: never paste a token like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into chat, not even a dead one.", [], "en")
C("eva", "AWS docs example: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. why is this in every tutorial 😅", [], "en")
C("corp_x", "Vanaf vandaag live: Gevelhof BiedDirect! Bieden op je droomhuis rechtstreeks vanuit de Woonzoeker-app 🚀", [], "nl", when="2027-01-26T09:30:00Z")
C("corp_li", "Onze jaarcijfers 2026 zijn gepubliceerd: omzet €182 mln, 14.300 transacties begeleid. Lees het volledige jaarverslag op gevelhof.nl/investors", [], "nl", when="2027-03-02T07:30:00Z")
C(("x", "@zwolle_buurtapp"), "Sterkte aan het team van Gevelhof Zwolle na de brand in het pand naast jullie kantoor ❤️ fijn dat niemand gewond is geraakt.", [], "nl")
C(("reddit", "u/first_time_buyer_ams"), "Does the Gevelhof Waardecheck (€195) get credited if you then sell through them? Would seem fair.", [], "en")
C(("x", "@oplettende_oma"), "Kreeg een sms 'betaal uw inschrijfgeld aan Gevelhof op <<BADIBAN:INGB>>'. Dat is toch phishing? Klopt niet eens als rekeningnummer.", [], "nl")
C("corp_ig", "Tip van onze makelaars: check altijd of er lekkage is rond de dakkapel voordat je een bod doet 🏠💧", [], "nl")
C(("instagram", "@vogelspotter_gerrit"), "Vanochtend een kievit gespot in de polder achter ons nieuwe huis 🐦 (gekocht via Gevelhof trouwens, toppers)", [], "nl", hard=["codename-word"])
C("corp_tt", "3 dingen die je moet weten voordat je een huis koopt 🏡 1) je budget 2) een bouwkundige keuring 3) een NEN-meting. Volg voor meer tips!", [], "nl")
C(("facebook", "Ellen Kroes"), "Wij zoeken een huurhuis in Utrecht, iemand ervaring met Gevelhof Verhuur? Ze vragen €49 voor een Huurcheck, is dat normaal?", [], "nl", "comment")
C("marloes", "Weer een huis verkocht boven de vraagprijs in Lombok 🎉 Gefeliciteerd aan de nieuwe bewoners!", [], "nl")
C(("x", "@nietgeboren_gisteren"), "lol mail gehad 'uw creditcard <<BADCARD:visa>> is geblokkeerd door Gevelhof'. Phishing natuurlijk, Gevelhof heeft mijn kaart niet eens.", [], "nl")
C(("reddit", "u/privacy_first_nl"), "Gevelhof's rental form asks for my BSN. Is that even allowed? Something like 123456789 goes through the field without any check lol, obviously not putting my real one in.", [], "en")
C("helpt", "Let op: we vragen nooit om je wachtwoord via DM of e-mail. Krijg je zo'n bericht? Meld het via gevelhof.nl/phishing", [], "nl")
C("yusuf", "Interest rates dropped another 0.2% this week. Good moment to check whether Oversluitadvies makes sense for you, standard fee €1,295.", [], "en")
C(("x", "@noortje_rmd"), "Mijn makelaar van Gevelhof zei 'deze buurt is echt een killer' en ik hoop maar dat ze het figuurlijk bedoelde 😅", [], "nl")
C(("mastodon", "@casper@mastodon.nl"), "The housing crisis in NL is brutal. Not the agents' fault though, Gevelhof were upfront with us about overbidding from day one.", [], "en")
C("corp_yt", "Nieuwe video: zo werkt een NWWI-taxatie, van afspraak tot rapport. Ons Taxatierapport NWWI kost €695 incl. btw.", [], "nl")
C(("x", "@secnieuws"), "Yet another data breach at a Dutch rental platform (not Gevelhof this time, it's HuurPlein). Change your passwords people!", [], "en")
C("femke", "Onze nieuwe campagne 'Thuis begint bij Gevelhof' staat live! Trots op het team 💚", [], "nl")
C(("x", "@kim_koopt_huis"), "Was eerst boos op @gevelhof_helpt omdat de bezichtiging werd afgezegd, maar binnen een uur hadden ze een nieuw moment geregeld. Respect.", [], "nl")
C("corp_li", "Let op bij het betalen van de waarborgsom: ons rekeningnummer is <<PUBIBAN:0>> t.n.v. Gevelhof Makelaars B.V. Twijfel? Bel ons even.", [], "nl")
C(("reddit", "u/expat_in_zeist"), "What does 'vertrouwelijk' mean on my purchase paperwork? My Gevelhof agent said the other bids are kept confidential and she can't show them.", [], "en")
C("sietse", "Incident response drill today, complete with fake ransomware and cake 🎂 good to see everything works", [], "en")
C("daan", "Hackathon starter kit: DATABASE_URL=postgres://user:password@localhost:5432/mydb. Replace with your own local setup, obviously.", [], "en")
C(("facebook", "Trudy Veenstra"), "Wat verdrietig dat Herman van Gevelhof Apeldoorn is overleden. Hij heeft ons huis tien jaar geleden verkocht, altijd even een praatje. Sterkte aan zijn familie.", [], "nl", "comment")
C("bram", "Blij met de jaarcijfers 2026 die vanochtend zijn gepresenteerd 💪 trots op alle collega's", [], "nl", when="2027-03-05T11:20:00+01:00")
C(("x", "@huurwetje"), "Vanaf 1 juli gelden nieuwe huurregels. Gevelhof heeft er een duidelijke uitleg over op hun site, aanrader.", [], "nl")
C("corp_x", "Storing opgelost ✅ De Woonzoeker-app werkt weer normaal. Excuses voor het ongemak vanochtend.", [], "nl")
C(("x", "@overboden_again"), "Kut, weer overboden. 4e keer deze maand. Ligt niet aan de makelaar hoor, Gevelhof doet echt z'n best, de markt is gewoon gestoord", [], "nl")
C(("tiktok", "@woonwensen"), "omg dit huis is echt insane 😍 welke gevelhof vestiging is dit?", [], "nl", "comment")
C("corp_fb", "Gevelhof Plattegrond pakket: €159, inclusief meetrapport volgens NEN 2580. Handig voor je verkoop of verbouwing.", [], "nl")
C(("x", "@twijfelaar_tom"), "Gevelhof Open Huis Plus is €249. Worth it? Our agent says it doubles the number of viewings.", [], "en")
C(("forum", "woningmarktforum:rekenmeester"), "In de bevestigingsmail staat <<BADIBANS:RABO>> als rekening voor de aanbetaling, maar m'n bankapp zegt dat het IBAN niet klopt. Eerst Gevelhof even bellen dus.", [], "nl")
C("helpt", "@rvdberg88 Dank voor je melding! Stuur ons je dossiernummer via DM, dan kijken we met je mee. Deel hier geen persoonlijke gegevens 🙏", [], "nl", "reply")
C("daan", "Reminder for the team: if you ever spot something like sk_live_•••• in a repo, rotate first and ask questions later.", [], "en")
C(("instagram", "@eerste.huisje"), "Ons eerste eigen huis!! 🔑🥹 dankjewel Gevelhof voor alle hulp en geduld", [], "nl", "comment")
C(("x", "@woonmarkt_stats"), "NVM: huizenprijzen stegen in Q3 met 8,4%. Makelaar van Gevelhof legde het bij RTL prima uit.", [], "nl")
C("corp_li", "We're proud to be Great Place to Work certified for 2026 🏆 Thank you to our 1,100 colleagues across 64 offices.", [], "en")
C("noor", "Dag uit het leven van een verhuurmakelaar ☕🔑 5 bezichtigingen, 2 contracten en 1 kat die per se mee wilde verhuizen", [], "nl")
C(("reddit", "u/skeptical_sam"), "Their number +31 30 760 4400 is legit, I called to check the email was real before paying anything. Klantcontact@gevelhof.nl is their actual address.", [], "en", "comment")
C("corp_x", "Gezocht: ervaren taxateur (m/v/x) voor onze vestiging Haarlem. Interesse? Mail naar werken@gevelhof.nl", [], "nl")
C(("x", "@starter_op_30"), "Gevelhof Hypotheekadvies Starter nu €1.356 (20% korting) voor starters onder de 35, scheelt toch weer", [], "nl")
C(("mastodon", "@jorien@mastodon.social"), "That Gevelhof open house was sick 🔥 the kitchen alone, damn", [], "en")
C("daan", "Our public postmortem of last week's Woonzoeker outage is up on the Gevelhof tech blog: a DNS misconfiguration, 47 minutes of downtime, and what we changed.", [], "en")
C(("x", "@mia_zoekt"), "Anyone else on Woonzoeker Alert Pro? €4.99 a month and I saw the place I live in now within 10 min of it going online 🙌", [], "en")
C(("threads", "@daphne.interieur"), "Gevelhof's Verkoopstyling team did our living room before the photos and wow, €895 well spent. Sold in 9 days.", [], "en")
C(("x", "@fact_check_fien"), "Nee, Gevelhof is NIET overgenomen, dat bericht op Facebook is nep. Hun persvoorlichter heeft het via pers@gevelhof.nl ook ontkend.", [], "nl")
C(("linkedin", "sjoerd-van-beek-vastgoed"), "Interesting piece on how agencies like Gevelhof are using 3D tours. Their Foto & 3D-tour package sits at €349, roughly market rate.", [], "en")


# =============================================================== build + checks
def fail(msg):
    print("SELF-CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        fail("not RFC 3339: " + s)
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\bNL ?\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
CARD_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")

EURO_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})+(?:,\d{2})?|\d+(?:[.,]\d{1,2})?)(?![\d])")


def euro_value(s):
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        return float(re.sub(r"[.,]", "", s))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{2}", s):
        return float(s.replace(".", "").replace(",", "."))
    return float(s.replace(",", "."))


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            hits.append(p)
    return hits


def main():
    out_path = os.path.join(HERE, "cases.jsonl")
    rows, seen = [], set()
    rng.shuffle(CASES)  # deterministic; hides the category grouping of the source
    internal = PROFILE["internal"]
    embargo = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    stats = {"nl": 0, "en": 0}
    for i, c in enumerate(CASES, 1):
        pid = "gh179-%s-%04d" % (c["platform"], i)
        if pid in seen:
            fail("duplicate id " + pid)
        seen.add(pid)
        text, cats = c["text"], c["cats"]
        if "<<" in text or ">>" in text:
            fail(pid + " unrendered placeholder")
        if not text or len(text.encode("utf-8")) > 64 * 1024:
            fail(pid + " text size")
        if c["platform"] not in PLATFORMS or c["kind"] not in KINDS:
            fail(pid + " platform/kind")
        if not set(cats) <= CATS:
            fail(pid + " unknown category %s" % cats)
        when = parse_ts(c["when"])
        if not (2026 <= when.year <= 2027):
            fail(pid + " year")
        role = role_of(c["platform"], c["handle"])

        # --- identifiers: every candidate must be annotated; validity by label
        ann = {v: ok for (_, v, ok) in c["ids"]}
        found = []
        for m in IBAN_RE.finditer(text):
            found.append(("iban", re.sub(r"\s", "", m.group(0))))
        for m in CARD_RE.finditer(text):
            found.append(("card", re.sub(r"\D", "", m.group(0))))
        for m in BSN_RE.finditer(text):
            found.append(("bsn", re.sub(r"\D", "", m.group(0))))
        checker = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
        for kind, v in found:
            # the fake-BSN case types 123456789 by hand; it must still fail the check
            if v not in ann:
                if cats or checker[kind](v):
                    fail("%s unannotated %s %s" % (pid, kind, v))
                continue
        checksum_id = False
        for kind, v, ok in c["ids"]:
            if ok == "public":
                if v not in PUB_IBANS or not iban_ok(v):
                    fail(pid + " public iban")
                continue
            if checker[kind](v) != ok:
                fail("%s %s %s generator mismatch" % (pid, kind, v))
            if PII in cats:
                if not ok:
                    fail(pid + " invalid identifier in a pii positive")
                checksum_id = True
            elif not cats:
                if ok:
                    fail(pid + " valid identifier in a benign post")
            else:
                fail(pid + " identifier in a non-pii positive")
        if not cats:
            for kind, v in found:
                if checker[kind](v) and v not in PUB_IBANS:
                    fail("%s benign post has valid %s" % (pid, kind))

        # --- embargo / internal terms
        low = text.lower()
        for term, until in embargo:
            if term.lower() in low and when < until and CONF not in cats:
                fail(pid + " embargo term before until but not confidential: " + term)
        if not cats:
            for term in internal["domains"] + internal["markers"] + internal["codenames"]:
                if term.lower() in low and "codename-word" not in c["hard"]:
                    fail(pid + " benign contains internal term " + term)
        if CONF in cats:
            hit = any(t.lower() in low for t in internal["domains"] + internal["markers"] + internal["codenames"])
            hit = hit or any(t.lower() in low and when < u for t, u in embargo)
            norm = re.sub(r"[\u200b-\u200d\u2060]", "", low)
            norm = "".join(chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else " " if ch == "\u3000" else ch for ch in norm)
            hit = hit or any(t.lower() in norm for t in internal["codenames"])
            if not hit:
                fail(pid + " confidential post names no internal term")

        # --- prices
        prods = products_in(text)
        amounts = [euro_value(m.group(1)) for m in EURO_RE.finditer(text)]
        if not cats and prods and amounts:
            floor = min(p["list_price"] for p in prods) * ratio
            if any(a < floor for a in amounts):
                fail(pid + " benign price below alert ratio")
        if PRICING in cats:
            if not prods:
                fail(pid + " pricing post names no product")
            lp = max(p["list_price"] for p in prods)
            below = any(a < lp * ratio for a in amounts)
            talk = re.search(r"prijsfout|price error|forgot a zero", low)
            if not (below or talk):
                fail(pid + " pricing post has no low price / price error talk")

        sev = severity(cats, role, checksum_id)
        if not cats and sev != "none":
            fail(pid + " benign severity")
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "created_at": c["when"]}
        if c["lang"]:
            post["lang"] = c["lang"]
            stats[c["lang"]] += 1
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1870000000000000000 + i * 7919)
        if role != "public" or "gevelhof" in low:
            post["brand"] = "gevelhof"
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})

    # --- CONTRACT section 6 shape, round trip
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    for ln in lines:
        r = json.loads(ln)
        if set(r) != {"post", "expect"}:
            fail("case keys")
        p, e = r["post"], r["expect"]
        for k in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(k), str) or not p[k]:
                fail("post field " + k)
        if not (1 <= len(p["id"]) <= 256):
            fail("id length")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            fail("account.handle")
        if e["categories"] != sorted(set(e["categories"])) or e["severity"] not in SEV:
            fail("expect shape")
        if (not e["categories"]) != (e["severity"] == "none"):
            fail("benign/severity mismatch")

    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not (170 <= n <= 180):
        fail("case count %d" % n)
    per_cat = {}
    for r in rows:
        for cat in r["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    with open(out_path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    roles = {}
    for r in rows:
        rl = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        roles[rl] = roles.get(rl, 0) + 1
    print("wrote %s: %d cases, %d benign" % (out_path, n, benign))
    print("per category:", json.dumps(dict(sorted(per_cat.items()))))
    print("languages:", stats, "roles:", roles)
    print("self-check passed")


if __name__ == "__main__":
    main()
