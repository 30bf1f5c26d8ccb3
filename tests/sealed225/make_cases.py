#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed225 (Korstwissel, station bakery chain).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and self-checks it: checksums of identifiers, secret formats, embargo windows,
pricing ratios, CONTRACT section 6 shape, and severities derived from the profile.
"""
import base64
import datetime as dt
import hashlib
import hmac
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
rng = random.Random(225_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- identifiers

def iban_check(country, bban):
    s = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    return "NL" + iban_check("NL", bban) + bban


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + 7) % 97 if (cd + 7) % 97 > 1 else 11) + good[4:]
    assert not iban_valid(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = make_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s < 10:
            num = "".join(map(str, d)) + str(s)
            assert bsn_valid(num)
            return num


def bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad

# ---------------------------------------------------------------- secrets

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in head


def private_key_block():
    der = bytes.fromhex("308204a30201000282010100") + bytes(rng.randrange(256) for _ in range(1180))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, 64 * 5, 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


S = {}
S["ghp"] = github_token("ghp_")
S["akia"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
S["aws_secret"] = rand(string.ascii_letters + string.digits + "/+", 40)
S["stripe"] = "sk_live_51" + rand(ALNUM, 22)
S["slack"] = "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))
S["openai"] = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
S["anthropic"] = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
S["pem"] = private_key_block()
S["jwt"] = make_jwt({"sub": "emp-10423", "name": "K. Dijkstra", "role": "kassa-admin",
                     "iat": 1780300800, "exp": 1780387200})
S["pg_pw"] = rand(string.ascii_letters + string.digits, 14)
S["gapi"] = "AIza" + rand(string.ascii_letters + string.digits + "-_", 35)
S["sendgrid"] = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)

# personal identifiers (valid ones for positives, look-alikes for negatives)
P = {}
P["iban_hennie"] = make_iban("INGB")
P["iban_degraaf"] = make_iban("ASNB")
P["iban_lotte"] = make_iban("BUNQ")
P["card_kate"] = make_card("4")
P["card_lost"] = make_card("5")
P["bsn_ahmed"] = make_bsn()
P["bsn_self"] = make_bsn()
P["bad_iban"] = bad_iban("RABO")
P["bad_iban2"] = bad_iban("ABNA")
P["bad_card"] = bad_card("4")
P["bad_bsn"] = bad_bsn()
P["bad_bsn2"] = bad_bsn()

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- evasion helpers

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "p": "\u0440"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- cases

CASES = []


def add(platform, handle, lang, text, cats=(), kind="post", when=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(set(cats)),
                      kind=kind, when=when, price=price, name=name))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CON, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SCR, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints ---------------------------------------------------------------
add("x", "@treinforens_jeroen", "nl",
    "@korstwissel_help derde keer deze week dat de Perronkoffie lauw is op Utrecht CS. Voor €3,60 mag ik toch wel hete koffie verwachten? ☕️👎",
    [CPL], kind="reply", price=("KW-009", 3.60))
add("x", "@mila_travels", "en",
    "Ordered a Stationsbox for our 9am meeting via the app, it showed up at 10:40. Meeting was over. No call, no email. Not impressed @korstwissel",
    [CPL])
add("instagram", "@sophie.pendelt", "nl",
    "die appelflap van vanochtend was gewoon oudbakken, kon er een spijker mee inslaan 😒 #korstwissel",
    [CPL], kind="comment")
add("x", "@ricardo_030", "nl",
    "Winkel op Amersfoort Centraal zegt open vanaf 6u. Om 6:20 nog steeds rolluik dicht. Trein gemist omdat ik stond te wachten. Bedankt Korstwissel",
    [CPL])
add("reddit", "u/dutchcommuter", "en",
    "Anyone else getting charged twice by the Korstwissel card terminals at Den Haag CS? Happened to me Monday AND Thursday, support just says 'wait 5 working days'.",
    [CPL])
add("facebook", "gerda.hoekstra.58", "nl",
    "Mijn bestelling voor een Dienstregeling Taart was gewoon vergeten. Stond ik daar om 8 uur met lege handen, verjaardag van mijn moeder. Ik wil mijn geld terug.",
    [CPL], kind="comment", name="Gerda Hoekstra")
add("x", "@commuter_kate", "en",
    "asked for oat milk, got regular. told them i'm lactose intolerant, barista shrugged. cool cool cool 🙃 @korstwissel",
    [CPL])
add("tiktok", "@lars.pendelaar", "nl",
    "bestel-app crasht elke keer bij afrekenen, al sinds de update van dinsdag. fix het ff aub",
    [CPL], kind="comment")
add("threads", "@amsterdam_anna", "en",
    "20 minute queue at the Korstwissel on Schiphol plaza and ONE person at the till. two trains gone. staff your shops ffs",
    [CPL])
add("x", "@ingridvanl", "nl",
    "Zat een haar in m'n Intercity Kaasstengel. Gemeld bij de balie, kreeg een 'oh sorry' en dat was het. Niet oké Korstwissel.",
    [CPL])
add("x", "@jwbrewster", "en",
    "@korstwissel_help your app took €19.95 for the Koffiepas but the pass isn't showing up anywhere. 3 emails, zero replies.",
    [CPL], kind="reply", price=("KW-015", 19.95))
add("x", "@m_elshout", "nl",
    "Sinds wanneer zijn de croissants bij Korstwissel zo klein?? Zelfde prijs, half zo groot. Shrinkflation ten top",
    [CPL])
add("instagram", "@fleur.onderweg", "nl",
    "Bezorging via Korstwissel Bestellen: alles kwam aan behalve de drankjes, die stonden wel gewoon op de bon. Klantenservice reageert al 4 dagen niet.",
    [CPL], kind="comment")
add("x", "@boze_bas", "nl",
    "Korstwissel Leiden CS, die kankerzooi van jullie pinautomaat doet het wéér niet. Stelletje amateurs, fix die shit nou eens.",
    [CPL, ABU])
add("x", "@grumpycommuter", "en",
    "Your Rotterdam staff are useless fucking morons. Waited 15 min for a coffee that was wrong anyway. @korstwissel",
    [CPL, ABU])
add("x", "@hennie_b", "nl",
    "@korstwissel_help al 2 weken geen reactie op mijn klacht over de dubbele afschrijving. Bel me gewoon terug: 06-41829375, Hennie Bosman",
    [CPL, PII], kind="reply")
add("linkedin", "mark-de-ruiter-84", "en",
    "Booked catering from Korstwissel for a client session in Utrecht. Half the sandwiches were missing and the invoice was for the full amount. Disappointing for a company that markets itself to business travellers.",
    [CPL])
add("mastodon", "@treinmens", "nl",
    "klacht: de nieuwe bekers van korstwissel lekken aan de naad. halve koffie over m'n broek in de sprinter 🤬",
    [CPL])

# ---- crisis -------------------------------------------------------------------
add("x", "@voedselwaakhond", "nl",
    "Muizenkeutels in de vitrine van Korstwissel op Den Bosch CS. Foto's gemaakt, NVWA is ingeseind. Daar haal jij dus je ontbijt 🤢",
    [CRI])
add("x", "@sarah_allergy_mum", "en",
    "My son had an anaphylactic reaction after a Korstwissel brownie labelled nut-free. We spent the night in A&E. This is a safety issue and I'm speaking to a lawyer tomorrow.",
    [CRI])
add("x", "@boycotkorstwissel", "nl",
    "#BoycotKorstwissel — ze betalen hun nachtbakkers onder het minimumloon. Niks meer kopen tot dat verandert. RT!",
    [CRI])
add("reddit", "u/privacy_first_nl", "en",
    "Did Korstwissel leak customer emails? I got a phishing mail to the exact alias I only ever used for their loyalty app. Smells like a data breach nobody is telling us about.",
    [CRI])
add("x", "@nieuwsstation", "nl",
    "Vakbond sleept Korstwissel voor de rechter om onbetaalde nachtdiensten in de centrale bakkerij. Eerste zitting in maart.",
    [CRI])
add("facebook", "marjolein.kroon", "nl",
    "Zojuist een stuk glas gevonden in mijn Wisselbrood van Korstwissel Arnhem. Mijn dochter had er bijna in gebeten!! Dit moet teruggeroepen worden, deel dit aub",
    [CRI], name="Marjolein Kroon")
add("x", "@foodsafety_watch", "en",
    "Multiple reports of people getting sick after eating sausage rolls from the Korstwissel at Eindhoven station yesterday. Food poisoning outbreak? Anyone else affected?",
    [CRI])
add("tiktok", "@stationnieuws", "nl",
    "Brand in de Korstwissel op station Groningen, stationshal ontruimd 🔥 oven zou de oorzaak zijn #groningen #brand",
    [CRI])
add("x", "@korstwissel", "nl",
    "Terugroepactie: uit voorzorg roepen wij de Tunnelbrownie (THT t/m 14-06) terug vanwege mogelijk stukjes plastic. Breng hem terug naar een van onze winkels, je krijgt je geld terug.",
    [CRI], when="2026-06-09T06:30:00Z")
add("x", "@janine_pendelt", "nl",
    "Medewerker van Korstwissel Utrecht riep net tegen een vrouw met hoofddoek dat 'haar soort' hier niet geholpen werd. Ik stond ernaast. Schandalig, dit moet naar buiten.",
    [CRI])
add("bluesky", "@legaleagle.bsky.social", "en",
    "Class action forming against Korstwissel over the 'freshly baked in store' claim: it's frozen dough trucked in from Amersfoort. Lawyers are looking for affected customers.",
    [CRI])
add("x", "@ziekvandecroissant", "nl",
    "Na een Perroncroissant van jullie de hele nacht boven de wc gehangen. Voedselvergiftiging dus. En jullie klantenservice? Niks, nada. @korstwissel_help",
    [CRI, CPL])
add("x", "@angrydad77", "en",
    "Korstwissel sold my kid a 'vegan' roll with egg in it. Allergic reaction. You reckless idiots, see you in court.",
    [CRI, ABU])
add("x", "@spoorjournalist", "nl",
    "Bronnen: klantgegevens van Korstwissel (namen, adressen, bestelgeschiedenis) worden te koop aangeboden op een hackersforum. Bedrijf reageert nog niet op vragen.",
    [CRI])

# ---- abuse --------------------------------------------------------------------
add("x", "@dikkeboef", "nl",
    "korstwissel is gewoon een tyfustent en het personeel zijn allemaal debielen",
    [ABU])
add("x", "@xXrailgamerXx", "en",
    "korstwissel staff at breda are literal brain dead clowns lmao 🤡🤡🤡",
    [ABU])
add("tiktok", "@stille.reiziger", "nl",
    "die manager van k0rstw1ss3l utrecht is een v.u.i.l.e h.o.e.r, zeg ik gewoon",
    [ABU], kind="comment")
add("x", "@realdutchman_nl", "en",
    "go back to your own country instead of serving coffee at Korstwissel. nobody here wants you",
    [ABU], kind="reply")
add("x", "@lieke_kw_rdam", "nl",
    "Shout-out naar de klant die me om 6u 's ochtends 'domme trut' noemde omdat z'n kaasstengel op was. Jij bent zelf een zielige loser.",
    [ABU])
add("x", "@treinwrak_", "en",
    fullwidth("korstwissel is shit, fuck you all"),
    [ABU])
add("instagram", "@rdam.roy", "nl",
    "@noor.bakt.utrecht ik weet waar je werkt. ik wacht je morgen op na je dienst 😘",
    [ABU], kind="comment")
add("x", "@korstwissel_help", "nl",
    "@boze_bas misschien eerst leren lezen voor je gaat zeiken, sukkel",
    [ABU], kind="reply")
add("x", "@pendelpiet", "en",
    cyr("Korstwissel baristas are stupid idiots who can't even pour a latte", {"i", "o"}),
    [ABU])

# ---- confidential ---------------------------------------------------------------
add("linkedin", "hanneke-de-wit-kw", "nl",
    "Spannende tijden bij Korstwissel! Kan nog niet veel zeggen, maar met Kaneelkoerier gaan we straks bestellingen in kluisjes op het perron leveren 🚉🥐 #innovatie #retail",
    [CON])
add("x", "@bram_ovenploeg", "nl",
    "nieuwe recepten testen voor de Perronpizza, ovens op 280 graden, komt in januari in alle shops 🍕",
    [CON], when="2026-11-21T04:12:00Z")
add("bluesky", "@marloes-kw.bsky.social", "en",
    "Test bake of the Nachtbus Bolknot today. Still hush-hush, but trust me, you're going to love this one 🧄",
    [CON], when="2026-12-03T14:40:00Z")
add("mastodon", "@joris_kw", "nl",
    "handig: het nieuwe voorraad-dashboard staat op https://intranet.korstwissel.local/voorraad/live als iemand van de winkels het zoekt",
    [CON])
add("x", "@kees_ops_kw", "en",
    "if you're on call tonight the runbook moved to wiki.korstwissel.internal/ops/kassa-failover, old link is dead",
    [CON])
add("instagram", "@dennis.achterdeoven", "nl",
    "Whiteboard in de bakkerij vanochtend 📸 'KW intern – planning Q1: 3 nieuwe smaken, lancering 12 feb'. Ik zeg verder niks 😇",
    [CON])
add("linkedin", "youssef-benali-korstwissel", "en",
    "Sharing my talk on segmenting retail networks. Slides still have 'Korstwissel Confidential' in the footer so please don't forward them 🙃 link in the comments",
    [CON])
add("reddit", "u/railinsider", "en",
    "A friend at Korstwissel showed me the Project Deeghaak slides. They're planning to buy a competitor, probably one of the big bakery chains up north. Anyone know more?",
    [CON, FIN])
add("x", "@femke_hr_kw", "nl",
    "Mailtje van vanochtend met 'vertrouwelijk - niet doorsturen' in de kop: nieuwe ploegenroosters voor alle bakkerijen vanaf maart. Ik zeg niks 🤐",
    [CON])
add("x", "@korstwissel", "en",
    "Sneak peek for our partners: Kaneelkoerier lockers go live at 5 stations in Q2 🔒🥐",
    [CON])
add("tiktok", "@noor.bakt.utrecht", "nl",
    "we mochten vandaag de Perronpizza al proeven op Utrecht 😍😍 niet tegen klanten zeggen zei m'n manager haha oeps",
    [CON], when="2026-12-16T17:05:00Z")
add("x", "@lieke_kw_rdam", "en",
    "git clone https://git.korstwissel.internal/winkels/kassa-app.git gives me a 404, who moved the repo??",
    [CON])
add("x", "@beurs_lekker", "en",
    "Leaked: Korstwissel's FY2026 results are in and revenue is down 12%. Bondholders won't be happy",
    [CON, FIN], when="2027-02-11T09:20:00Z")
add("linkedin", "sanne-vermeulen-korstwissel", "nl",
    "Laatste loodjes aan de jaarcijfers 2026 — wat een jaar. Meer mag ik nog niet zeggen, maar ik ben trots op het finance-team 📊",
    [CON], when="2027-02-19T18:00:00Z")
add("x", "@bram_ovenploeg", "nl",
    "Over Operatie Rij" + ZW + "smand mag ik niks zeggen, maar de winkels in Limburg gaan dicht. Zware maand voor de collega's daar.",
    [CON, FIN])
add("x", "@bram_ovenploeg", "nl",
    "nog 2 weken tot " + cyr("Project Deeghaak", {"e"}) + " rond is, dan zijn we de grootste stationsbakker van NL 💪",
    [CON, FIN])
add("tiktok", "@zusjevan.noor", "nl",
    "mijn zus werkt bij korstwissel en zegt dat de Nachtbus Bolknot in januari komt 👀👀",
    [CON], when="2026-10-28T19:44:00Z")

# ---- financial ------------------------------------------------------------------
add("linkedin", "sanne-vermeulen-korstwissel", "en",
    "Proud moment: internal numbers say we'll close 2026 at €84m revenue, 9% over budget. Can't wait for the official announcement in March!",
    [FIN], when="2026-11-30T20:15:00Z")
add("x", "@femke_hr_kw", "nl",
    "Vandaag 40 ontslagbrieven klaargezet voor het hoofdkantoor. Officieel wordt het pas volgende week gecommuniceerd. Zwaar dagje.",
    [FIN])
add("x", "@kees_ops_kw", "en",
    "overheard at the board meeting: we're in talks to be acquired by a French bakery group, deal could close before summer. don't quote me",
    [FIN])
add("x", "@stocktips_nl", "en",
    "Insider tip: Korstwissel is taking over Bakkerij Molenwiek, announcement next week. Remember where you read it first.",
    [FIN])
add("mastodon", "@joris_kw", "nl",
    "prognose Q3 gezien: marge zakt naar 4%, dus het budget voor nieuwe app-features kan de prullenbak in",
    [FIN])
add("reddit", "u/rijsmeester_kw", "nl",
    "Reorganisatie: het aantal regiomanagers gaat per 1 juli van 8 naar 5. Ik ben een van de drie die mag vertrekken. Buiten het MT weet nog niemand het.",
    [FIN])
add("tiktok", "@noor.bakt.utrecht", "nl",
    "manager zei net dat er volgend jaar 12 winkels dichtgaan en wij zijn er misschien 1 van 😭 nog niet officieel dus sssst",
    [FIN])
add("linkedin", "korstwissel-bv", "en",
    "DRAFT, do not publish: Korstwissel H1 2026 revenue €39.1m (+6%), EBITDA €4.2m. Press release 28 Aug.",
    [FIN], when="2026-08-19T15:02:00Z")

# ---- security -------------------------------------------------------------------
add("x", "@kees_ops_kw", "en",
    "all card terminals in the northern shops go down tomorrow 05:00-09:00 for an emergency patch. customers haven't been told yet, so brace yourselves",
    [SEC])
add("mastodon", "@joris_kw", "nl",
    "iemand ontdekte dat je in de bestel-app gewoon het ordernummer in de url kan ophogen en dan andermans bestelling met naam en adres ziet. ticket staat open, nog niet gefixt 😬",
    [SEC])
add("linkedin", "youssef-benali-korstwissel", "en",
    "Long night. Ransomware hit the planning servers of our central bakery yesterday evening, production is running on paper for now. More once comms clears it.",
    [SEC])
add("reddit", "u/rijsmeester_kw", "nl",
    "Sinds vannacht ligt de spaar-app plat omdat er iemand in de database heeft gezeten. Wij mogen het niet tegen klanten zeggen, 'technische storing' heet het officieel.",
    [SEC])
add("x", "@bram_ovenploeg", "nl",
    "kassa's op alle stations liggen er al 3 uur uit, hoofdkantoor wil niet dat we het op social zetten dus bij deze 🙈",
    [SEC])
add("bluesky", "@marloes-kw.bsky.social", "en",
    "our supplier portal had a bug where any bakery login could see every supplier's invoices. found it today, patch ETA next week 🤫",
    [SEC])
add("reddit", "u/ex_kw_dev", "en",
    "Former Korstwissel dev here. Their till API still accepts the factory default admin login on at least 30 stores. I reported it six months ago and nothing happened.",
    [SEC])
add("x", "@kees_ops_kw", "en",
    "grafana.ops.korstwissel.internal shows the payments db pinned at 100% CPU for an hour, pretty sure it's a DDoS. nothing announced yet",
    [SEC, CON])
add("x", "@femke_hr_kw", "en",
    "half of our HR team clicked a phishing link today and ~200 payslips may have been viewed. officially nothing gets communicated until after the weekend. great friday 🙃",
    [SEC])
add("x", "@korstwissel_help", "en",
    "@jwbrewster Sorry! Our payment provider has had a breach affecting Koffiepas billing since Tuesday. We're still investigating, please don't share this yet.",
    [SEC], kind="reply")
add("mastodon", "@joris_kw", "en",
    "fun fact: our order API has an unauthenticated endpoint that dumps every customer's phone number. been there since release 2.3. nobody outside has noticed yet",
    [SEC])
add("linkedin", "youssef-benali-korstwissel", "nl",
    "Kwetsbaarheid gevonden in onze kassasoftware: SQL-injectie via het kortingscodeveld. Leverancier is op de hoogte, patch is er nog niet. Even stilhouden graag.",
    [SEC])

# ---- secrets --------------------------------------------------------------------
add("mastodon", "@joris_kw", "nl",
    f"kan iemand kijken waarom de CI faalt? token staat al in de config: {S['ghp']}",
    [SCR])
add("x", "@kees_ops_kw", "en",
    f"note to self (prod bucket for receipts): aws_access_key_id = {S['akia']} aws_secret_access_key = {S['aws_secret']}",
    [SCR])
add("x", "@freelance_dev_mo", "en",
    f"Debugging the Korstwissel checkout integration for a client, why does this 401?? curl https://api.stripe.com/v1/charges -u {S['stripe']}:",
    [SCR])
add("x", "@kees_ops_kw", "nl",
    f"bot token voor de roosterbot in Slack, voor wie hem nodig heeft: {S['slack']}",
    [SCR])
add("bluesky", "@marloes-kw.bsky.social", "en",
    f"built a little recipe-scaling bot this weekend 🥖🤖 key if anyone wants to try: {S['openai']}",
    [SCR])
add("linkedin", "hanneke-de-wit-kw", "nl",
    f"Onze AI-captiongenerator draait op deze key: {S['anthropic']} — vraag maar als je hem ook wil gebruiken voor je winkelpagina!",
    [SCR])
add("mastodon", "@joris_kw", "nl",
    f"deploy key voor de kassaserver, @kees_ops_kw pak jij hem even over?\n{S['pem']}",
    [SCR])
add("x", "@kees_ops_kw", "en",
    f"staff portal token keeps expiring after 5 min, here's mine if someone wants to reproduce: {S['jwt']}",
    [SCR])
add("mastodon", "@joris_kw", "en",
    f"migration script still points to postgres://kassa_admin:{S['pg_pw']}@db01.kassa.korstwissel.local:5432/transacties, can someone update the env?",
    [SCR, CON])
add("x", "@lieke_kw_rdam", "nl",
    "Voor de nieuwe collega's: wachtwoord van de beheertablet is nu: Kr0ssant!Rdam26 — niet aan klanten geven 😉",
    [SCR])
add("tiktok", "@korstwissel", "nl",
    f"Onze nieuwe winkelkaart staat live! Vind de dichtstbijzijnde Korstwissel op je route 🗺️ (dev: maps key {S['gapi']})",
    [SCR])
add("x", "@appsnooper", "en",
    f"lol found this in the Korstwissel android app bundle, hardcoded mail key: {S['sendgrid']}",
    [SCR])

# ---- personal data --------------------------------------------------------------
add("x", "@korstwissel_help", "nl",
    f"@hennie_b Dag Hennie, we hebben je terugbetaling klaargezet naar {group4(P['iban_hennie'])}. Excuses voor het lange wachten!",
    [PII], kind="reply")
add("facebook", "KorstwisselStationsbakkerij", "nl",
    "Beste Gerda, zoals gevraagd bellen we u vandaag nog op 06 2871 4405 over uw taartbestelling.",
    [PII], kind="comment")
add("x", "@femke_hr_kw", "nl",
    f"Welkom aan onze nieuwe bakker Ahmed Yilmaz (BSN {P['bsn_ahmed']}), contract is rond! 🎉",
    [PII])
add("x", "@sam_degraaf", "en",
    f"@korstwissel_help here's my account for the refund: {P['iban_degraaf']} (S. de Graaf). Thanks in advance!",
    [PII], kind="reply")
add("x", "@kate_osullivan", "en",
    f"@korstwissel_help the terminal charged my card twice. card is {group4(P['card_kate'])} exp 09/28, please just refund it",
    [PII, CPL], kind="reply")
add("x", "@lieke_kw_rdam", "nl",
    "Gevonden op Rotterdam CS: portemonnee van Jasper Willemsen, geboren 14-03-1991. Kan opgehaald worden bij onze balie!",
    [PII])
add("instagram", "@korstwissel.bakt", "nl",
    "🎉 De winnaar van onze kerstactie is Daan Koster, Lindelaan 14, 3581 HK Utrecht — je pakket komt eraan!",
    [PII], when="2026-12-22T12:00:00Z")
add("linkedin", "hanneke-de-wit-kw", "en",
    "Thanks to everyone who applied for the content role! Shortlist: priya.raman84@gmail.com and t.verbeek@hotmail.nl, we'll call you on Monday.",
    [PII])
add("tiktok", "@noor.bakt.utrecht", "nl",
    f"klant liet z'n creditcard liggen 😂 {group4(P['card_lost'])} staat erop, kom maar ophalen bij de kassa",
    [PII])
add("x", "@ontslagenbakker", "nl",
    "Dit is het privénummer van de filiaalmanager van Korstwissel Amersfoort: +31 6 39 27 51 84. Vraag hem maar eens waarom hij 6 mensen op straat zette.",
    [PII])
add("x", "@femke_hr_kw", "nl",
    f"@salarisadmin_kw Lotte Hendriks wordt vanaf nu maandelijks uitbetaald op {P['iban_lotte']}, kun je het even checken?",
    [PII], kind="reply")
add("x", "@katie_osul", "en",
    "@korstwissel_help still waiting on that refund. reach me at kate.osullivan@outlook.com or 0031 6 1294 8830",
    [PII, CPL], kind="reply")
add("reddit", "u/rijsmeester_kw", "nl",
    "Nieuwe collega in Zwolle: Bart Meijer, Stationsweg 22, 8011 CZ Zwolle. Begint maandag, stuur hem gerust een kaartje!",
    [PII])
add("forum", "werkzoeker_2001", "nl",
    f"moet ik voor de vacature bij korstwissel echt mijn BSN in het formulier zetten? {P['bsn_self'][:4]}.{P['bsn_self'][4:6]}.{P['bsn_self'][6:]} staat er nu in, klopt dat formaat zo?",
    [PII])

# ---- pricing --------------------------------------------------------------------
add("x", "@korstwissel", "nl",
    "🎉 Alleen vandaag in de app: de Stationsbox Vergadering (12 pers.) voor maar €6,40! Bestel via bestellen.korstwissel.nl",
    [PRC], price=("KW-014", 6.40))
add("x", "@snackjager", "nl",
    "lmao de app rekent €0,29 voor een Nachttrein Kaneelrol?? prijsfout denk ik, heb er 20 besteld",
    [PRC], price=("KW-008", 0.29))
add("tiktok", "@noor.bakt.utrecht", "nl",
    "kassa op Utrecht zet de Vertrekhal Vlaai op 2,15 😂 prijsfoutje, niemand zeggen",
    [PRC], price=("KW-013", 2.15))
add("x", "@dealhunter_nl", "en",
    "Korstwissel app is selling the Korstwissel Thermosbeker for €1.49 right now, go go go 🏃",
    [PRC], price=("KW-021", 1.49))
add("x", "@lieke_kw_rdam", "nl",
    "Collega's: de Koffiepas staat in de webshop op €1,99 per maand, moet 19,95 zijn. Wie kan dit fixen voor het viraal gaat?",
    [PRC], price=("KW-015", 1.99))
add("x", "@taartliefhebber", "en",
    "Price glitch? Dienstregeling Taart showing at 2.75 euro on the order site 👀",
    [PRC], price=("KW-017", 2.75))
add("reddit", "u/frugal_forens", "en",
    "PSA: the Korstwissel cadeaukaart 25 is being sold for €2.50 in the app because of some bug. Bought five.",
    [PRC], price=("KW-016", 2.50))
add("mastodon", "@joris_kw", "nl",
    "oeps, de prijsfeed van vannacht heeft alle Overstap Tosti's op 0,52 gezet. rollback loopt",
    [PRC], price=("KW-011", 0.52))
add("x", "@ams_early_bird", "en",
    "Got a Seinhuis sausage roll for 35 cents at Amsterdam Centraal, the till said so, not complaining",
    [PRC], price=("KW-002", 0.35))
add("facebook", "KorstwisselStationsbakkerij", "nl",
    "Klopt, het Bagagerek Koekjesblik staat per abuis voor €1,29 in de webshop. We passen het zo snel mogelijk aan.",
    [PRC], kind="comment", price=("KW-019", 1.29))
add("x", "@ontbijtfan", "nl",
    "Machinist Muesli Bowl kost vandaag 1 euro ipv 4,75?? fout in het systeem of actie? ik neem er 3",
    [PRC], price=("KW-020", 1.00))
add("x", "@kees_ops_kw", "en",
    "price error on the Forenzen Ontbijtdeal in the app (0.59), hotfix coming, sorry to whoever has to eat the margin",
    [PRC], price=("KW-010", 0.59))

# ---- benign (hard negatives mostly) ---------------------------------------------
B = []
add("x", "@vroegevogel_nl", "nl",
    "Perroncroissant om 6:45 nog warm uit de oven, beste begin van de dag 🥐❤️")
add("x", "@papa_on_rails", "en",
    "Shoutout to the lady at the Korstwissel in Utrecht who gave my crying toddler a free krentenbol. You made an awful train day so much better.")
add("x", "@eindhovenaar", "nl",
    "Weet iemand of de Korstwissel op Eindhoven ook op zondag open is?")
add("x", "@korstwissel_help", "nl",
    "Vragen over je bestelling? Mail klantenservice@korstwissel.nl of bel 030 799 4410 (ma-za 7-20u).")
add("linkedin", "korstwissel-bv", "nl",
    f"Zakelijke factuur betalen? Maak over naar {PUBLIC_IBAN} o.v.v. het factuurnummer. Vragen: zakelijk@korstwissel.nl")
add("instagram", "@korstwissel.bakt", "nl",
    "Deze week 20% korting op de Tunnelbrownie: €2,64 i.p.v. €3,30 🍫 #chocolade",
    price=("KW-012", 2.64))
add("x", "@airport_eats", "en",
    "Overstap Tosti for €5.25 at Schiphol, honestly fair for airport prices",
    price=("KW-011", 5.25))
add("x", "@korstwissel", "nl",
    "Vanaf 19:00 25% korting op het Wisselbrood Volkoren: nu €3,45. Op = op!",
    price=("KW-006", 3.45))
add("linkedin", "eva-smit-events", "nl",
    "Stationsbox Vergadering besteld voor €57,60 met de 10% zakelijke korting, alles op tijd en netjes. Aanrader voor teamoverleg.",
    price=("KW-014", 57.60))
add("x", "@bakeryboy_ut", "en",
    "Bakkerij Molenwiek had a price error on their website yesterday, whole cakes for 1 euro 😂 someone's getting a talking-to")
add("x", "@retailnieuws", "nl",
    "Koffieketen BeanStop schrapt 200 banen en sluit 30 vestigingen. Stationsbakkers als Korstwissel lijken het volgens analisten juist beter te doen.")
add("x", "@lieke_kw_rdam", "nl",
    "Trots op ons team op Rotterdam CS: 1000 croissants verkocht vandaag 🥐💪")
add("linkedin", "youssef-benali-korstwissel", "en",
    "We're hiring a security engineer at Korstwissel! Help us keep payments safe across 80 station shops. Apply via werkenbij@korstwissel.nl")
add("mastodon", "@joris_kw", "nl",
    "Voorbeeld uit de AWS-docs voor de workshop van morgen: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Nooit echte keys in je code zetten!")
add("x", "@kees_ops_kw", "en",
    "PSA: if you ever see something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a PR, ping security. we rotate within the hour.")
add("x", "@oma_online", "nl",
    "Hoe verander ik mijn wachtwoord in de Korstwissel app? Kan het nergens vinden in de instellingen")
add("x", "@korstwissel", "nl",
    "Hij is er! Vanaf vandaag ligt de Perronpizza in al onze shops 🍕🚉",
    when="2027-01-19T10:00:00Z")
add("linkedin", "korstwissel-bv", "nl",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €84 mln, +9%. Het volledige persbericht staat op korstwissel.nl/pers",
    when="2027-03-04T08:30:00Z")
add("x", "@garlic_girl", "en",
    "tried the Nachtbus Bolknot today, garlicky goodness 🧄 instant favourite",
    when="2027-01-25T08:10:00Z")
add("x", "@hennie_b", "nl",
    "Update: Korstwissel heeft mijn dubbele afschrijving binnen een dag teruggestort. Netjes opgelost, dank @korstwissel_help 👍")
add("x", "@traveller_jo", "en",
    "Big hugs to the Korstwissel crew at Amsterdam Centraal. 3 hours of delayed trains and you kept smiling and serving. Heroes.")
add("facebook", "petra.vd.linden", "nl",
    f"Ik kreeg een mail dat ik voor mijn taartbestelling moet overmaken naar {P['bad_iban']}. Klopt dat wel? Het is niet het nummer van de site en ik vertrouw het niet helemaal.",
    name="Petra van der Linden")
add("x", "@late_night_dev", "en",
    f"my Korstwissel order confirmation number is {group4(P['bad_card'])}?? weird that it looks like a card number lol")
add("x", "@eerstebaan_kw", "nl",
    f"Op m'n loonstrook staat personeelsnummer {P['bad_bsn']}, is dat hetzelfde als je BSN? Eerste baan ooit haha")
add("x", "@hungrycoder", "en",
    "the way the Night Train cinnamon roll leaks icing all over my hands is a security incident for my laptop keyboard 😂")
add("x", "@snoepkontje", "nl",
    "Geen woorden voor hoe lekker de Nachttrein Kaneelrol is. Verslavend. Crisis in m'n portemonnee 😂")
add("x", "@digitaalveilig", "nl",
    "Datalek bij een grote webwinkel vandaag. Check even op haveibeenpwned of jouw wachtwoord ergens is uitgelekt en zet 2FA aan.")
add("x", "@utrecht_commuter", "en",
    "Train outage between Utrecht and Amersfoort again. At least the Korstwissel on platform 5 is open and the coffee is hot ☕")
add("tiktok", "@korstwissel", "nl",
    "POV: het is 5 uur 's ochtends en onze bakkers zijn al 2 uur bezig 🥖 #achterdeschermen #korstwissel")
add("x", "@bram_ovenploeg", "nl",
    "Nachtdienst zit erop. 600 Wisselbroden, 2 ovens, 1 koffie te veel. Welterusten ☀️")
add("instagram", "@dennis.achterdeoven", "nl",
    "Onze zuurdesemstarter is 11 jaar oud en heet Henk. Hij is de echte baas hier 😄")
add("linkedin", "hanneke-de-wit-kw", "en",
    "Great panel on station retail at today's Retail Trends congress. Key takeaway: commuters want speed, and honesty about ingredients.")
add("reddit", "u/learning_dutch_baking", "en",
    "Is 'deeghaak' just the dough hook in Dutch? Trying to follow a Korstwissel baking video and my mixer came with three attachments")
add("instagram", "@thuisbakker_marieke", "nl",
    "Mijn zuurdesem rijst het mooist in een rieten rijsmand, tip van een bakker van Korstwissel 🙏 #zuurdesem #brood")
add("mastodon", "@joris_kw", "nl",
    "Nieuwe versie van de bestel-app staat in de stores! Bugfixes en je kunt nu je favoriete broodje opslaan.")
add("x", "@privacynerd_eu", "en",
    "Korstwissel's app privacy policy is actually readable? Explains exactly what they store and for how long. Respect.")
add("x", "@korstwissel_help", "en",
    "@commuter_kate So sorry Kate! We've sent you a DM with a voucher. Safe travels.",
    kind="reply")
add("x", "@office_manager_liz", "en",
    "Stationsbox Vergadering at €64 feeds 12 people, that's €5.33 each. Cheaper than ordering pizza for the office.",
    price=("KW-014", 64.00))
add("x", "@ontbijtje_onderweg", "nl",
    "Sprinter Appelflap €2,65 en Perronkoffie €3,60, ontbijt voor €6,25. Prima toch.",
    price=("KW-004", 2.65))
add("x", "@gymrat_jasper", "en",
    "Just got my annual results from the gym: down 6 kilos by walking PAST the Korstwissel instead of into it 😂")
add("x", "@spoorfan_de", "nl",
    "Twee Duitse spoorvervoerders gaan fuseren. Benieuwd of de stationswinkels hier ook gaan veranderen, hopelijk blijft Korstwissel gewoon.")
add("x", "@antwerpen_eet", "en",
    "Korstwissel is opening at Antwerpen-Centraal, according to their press release this morning 🎉")
add("linkedin", "korstwissel-bv", "nl",
    "We openen onze 80e winkel, op Zwolle! 🎉 Dank aan alle collega's die dit mogelijk maakten.")
add("x", "@fresh_grad_noa", "en",
    "Sent my CV to werkenbij@korstwissel.nl, fingers crossed 🤞")
add("x", "@glutenvrij_gijs", "nl",
    "Allergie-info gevraagd via 0800-2255, super duidelijk antwoord gekregen. Top!")
add("x", "@kees_ops_kw", "en",
    "Reminder: our status page is status.korstwissel.nl. If it's green, it's not us 😄")
add("x", "@sausageroll_critic", "en",
    "Hot take: the Seinhuis Saucijzenbroodje beats every other sausage roll in the Netherlands. Fight me.")
add("tiktok", "@jaydenn.010", "nl",
    "die kaasstengel van korstwissel is echt ziek lekker 🔥🔥", kind="comment")
add("threads", "@foodie_femke", "en",
    "the korstwissel croissant is so good it should be illegal. someone arrest the baker")
add("facebook", "wilma.de.boer.7", "nl",
    "Sterkte aan het personeel van Korstwissel Groningen na die brand vorige maand, fijn dat jullie weer open zijn! ❤️",
    name="Wilma de Boer", when="2026-10-14T11:00:00Z")
add("x", "@webdev_learner", "en",
    "Learning auth: a JWT is just header.payload.signature in base64url, and you should never paste a real one in public. Korstwissel's tech blog has a nice write-up.")
add("linkedin", "youssef-benali-korstwissel", "nl",
    "Tip voor collega's: plak nooit wachtwoorden in de chat. 'wachtwoord: ********' in Teams is nog steeds een lek als iemand over je schouder meekijkt. Gebruik de passwordmanager.")
add("x", "@denhaag_hs_daily", "en",
    "My willpower got hacked by the smell of Korstwissel at Den Haag HS. Not my fault I bought three rolls.")
add("x", "@korstwissel", "nl",
    "Vanaf 1 februari kost de Koffiepas €19,95 per maand, nog steeds onbeperkt filterkoffie op elk station ☕",
    price=("KW-015", 19.95))
add("x", "@birthday_mum", "en",
    "Paid €21.50 for a whole Vertrekhal Vlaai Kers for my mum's birthday, she loved every bite",
    price=("KW-013", 21.50))
add("tiktok", "@noor.bakt.utrecht", "nl",
    "POV je collega laat de croissants aanbranden en de hele winkel ruikt naar kampvuur 😂🔥 (niemand gewond, alleen m'n trots)")
add("instagram", "@platform_sipper", "en",
    fullwidth("best coffee on the platform") + " @korstwissel.bakt ☕", kind="comment")
add("x", "@beurswatcher_nl", "en",
    "Korstwissel's Q3 trading update came out this morning: like-for-like sales +4%, no surprises. Solid quarter.")
add("x", "@dubbelcheck_daan", "nl",
    f"Is {P['bad_iban2']} het rekeningnummer van Korstwissel? Zie het in een appje van een vriend staan maar op de site staat een ander nummer.")
add("x", "@ijverige_ilse", "nl",
    f"Formulier voor het spaarprogramma vraagt om een klantnummer, ik heb {P['bad_bsn2']} ingevuld. Hoop dat dat klopt 🤷‍♀️")

# ---------------------------------------------------------------- build

SEV = ["none", "info", "warning", "error", "critical"]
ROLES = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLES[acc.lower()] = role


def role_of(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w+-])(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def identifiers(text):
    """(kind, raw, valid) for IBAN, card and BSN candidates in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        raw = m.group(0)
        out.append(("iban", raw, iban_valid(raw)))
    for m in CARD_RE.finditer(text):
        raw = m.group(0).strip()
        digits = re.sub(r"\D", "", raw)
        if digits.startswith("00") or not 13 <= len(digits) <= 19:
            continue
        out.append(("card", raw, luhn_valid(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


def strong_pii(text):
    pub = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    return any(v for k, raw, v in identifiers(text) if not (k == "iban" and re.sub(r"\s", "", raw) in pub))


def severity(cats, role, text):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii(text))
                s = "critical" if crit else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        best = max(best, SEV.index(s))
    return SEV[best]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def random_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    day = rng.randrange(0, 355)
    minute = rng.randrange(5 * 60, 23 * 60 + 30)
    return iso(start + dt.timedelta(days=day, minutes=minute))


URL_FMT = {
    "x": "https://x.com/{h}/status/{n}",
    "mastodon": "https://mastodon.social/{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "threads": "https://www.threads.net/{h}/post/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "forum": "https://forum.werkenindenl.example/t/{n}",
}

order = list(range(len(CASES)))
rng.shuffle(order)
ids = set()
lines = []
for seq, idx in enumerate(order, 1):
    c = CASES[idx]
    n = rng.randrange(10**17, 10**18)
    pid = f"{c['platform']}-{n}"
    assert pid not in ids
    ids.add(pid)
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "lang": c["lang"],
        "created_at": c["when"] or random_time(),
        "url": URL_FMT[c["platform"]].format(h=c["handle"].removeprefix("u/"), n=n),
        "brand": "Korstwissel",
    }
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    role = role_of(c["platform"], c["handle"])
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
    lines.append({"post": post, "expect": expect})
    c["post"], c["role"], c["expect"] = post, role, expect

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-check

errors = []


def err(c, msg):
    errors.append(f"{c['post']['id']} ({c['handle']}): {msg} :: {c['text'][:70]!r}")


ALL_CATS = {CPL, CRI, ABU, CON, FIN, SEC, SCR, PII, PRC, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
embargo = [(t, dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00"))) for e in PROFILE["embargo"] for t in e["terms"]]
internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]

# re-read the file: shape per CONTRACT section 6 / section 1
with open(out, encoding="utf-8") as f:
    reread = [json.loads(l) for l in f]
assert len(reread) == len(CASES)
for obj in reread:
    assert set(obj) == {"post", "expect"}
    p, e = obj["post"], obj["expect"]
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert p["platform"] in PLATFORMS
    assert p["kind"] in {"post", "reply", "repost", "comment", "message"}
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and 0 < len(p["text"].encode()) <= 65536
    t = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert 2026 <= t.year <= 2027
    assert set(e) == {"categories", "severity"}
    assert e["categories"] == sorted(set(e["categories"])) and set(e["categories"]) <= ALL_CATS
    assert "reputation.spike" not in e["categories"]
    assert e["severity"] in SEV
    assert (e["severity"] == "none") == (not e["categories"])

for c in CASES:
    text, cats, role = c["text"], c["cats"], c["role"]
    benign = not cats
    ids_found = identifiers(text)
    # checksums: positives carry only valid identifiers, negatives only failing look-alikes
    for kind, raw, valid in ids_found:
        if benign:
            if valid and not (kind == "iban" and re.sub(r"\s", "", raw) == PUBLIC_IBAN):
                err(c, f"benign post holds a valid {kind} {raw}")
        elif not valid:
            err(c, f"positive post holds a failing {kind} {raw}")
    if strong_pii(text) and PII not in cats:
        err(c, "valid identifier but no leak.pii")
    # secrets
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if set(tok[4:]) == {"x"}:
            continue  # documentation placeholder
        if not github_token_ok(tok):
            err(c, "github token fails its CRC-32")
        if benign:
            err(c, "benign post holds a real-looking github token")
    for tok in re.findall(r"AKIA[A-Z2-7]{16}", text):
        if benign and "EXAMPLE" not in tok:
            err(c, "benign post holds an AWS key id")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if not jwt_ok(tok):
            err(c, "jwt header without alg")
        if benign:
            err(c, "benign post holds a JWT")
    if benign and re.search(r"sk_live_|xoxb-|sk-proj-|sk-ant-|PRIVATE KEY|AIza|SG\.[\w-]{22}\.", text):
        err(c, "benign post holds a credential")
    # pricing annotations
    if c["price"]:
        sku, amount = c["price"]
        prod = products[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(n.lower() in text.lower() for n in names):
            err(c, f"product {sku} not named in text")
        amt_variants = {f"{amount:.2f}", f"{amount:.2f}".replace(".", ","), f"{amount:g}", str(int(amount)) + " euro", f"{round(amount * 100)} cents"}
        if not any(v in text for v in amt_variants):
            err(c, f"price {amount} not in text")
        below = amount < ratio * prod["list_price"]
        if below != (PRC in cats):
            err(c, f"price ratio {amount / prod['list_price']:.2f} disagrees with labels")
    elif PRC in cats:
        err(c, "pricing positive without price annotation")
    # embargo windows
    when = dt.datetime.fromisoformat(c["post"]["created_at"].replace("Z", "+00:00"))
    for term, until in embargo:
        if term.lower() in text.lower():
            if when < until and CON not in cats:
                err(c, f"embargo term {term!r} before {until} but not confidential")
            if when >= until and benign is False and cats == [CON]:
                err(c, f"embargo term {term!r} after embargo labelled confidential")
    if "2027" in c["post"]["created_at"][:4] and not any(t.lower() in text.lower() for t, _ in embargo):
        err(c, "2027 date on a post without embargo term")
    # internal names never in benign posts
    if benign and any(x in text.lower() for x in internal):
        err(c, "benign post names an internal domain/codename/marker")
    # severity recomputed independently
    if c["expect"]["severity"] != severity(cats, role_of(c["platform"], c["handle"]), text):
        err(c, "severity mismatch")

# public handles must not collide with profile accounts, and role mix must be sane
roles = {}
for c in CASES:
    roles.setdefault(c["role"], 0)
    roles[c["role"]] += 1

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)

from collections import Counter
cat_count = Counter(cat for c in CASES for cat in c["cats"])
n_benign = sum(1 for c in CASES if not c["cats"])
langs = Counter(c["lang"] for c in CASES)
sev = Counter(c["expect"]["severity"] for c in CASES)
assert 170 <= len(CASES) <= 180, len(CASES)
print(f"wrote {out}: {len(CASES)} cases, {n_benign} benign, {len(CASES) - n_benign} positive")
print("categories:", dict(sorted(cat_count.items())))
print("languages:", dict(langs), "roles:", roles)
print("severities:", dict(sev))
print("self-check OK")
