#!/usr/bin/env python3
"""Build the labelled evaluation set sealed215 (fictional company: Rekenhuys Software B.V.).

Deterministic: a fixed seed drives every generated identifier, credential and timestamp.
Writes cases.jsonl beside this file and then checks it:
  * every line is a valid labelled case (CONTRACT section 6, post shape of section 1);
  * severities are computed from the categories and the account role taken from
    profile.yaml (CONTRACT section 4), never typed by hand;
  * every IBAN / payment card / BSN put into a positive passes its checksum, every
    look-alike put into a benign post fails it, and no benign post carries a valid one
    (except the company's own published IBAN);
  * generated credentials are well formed (GitHub CRC-32, AWS key id alphabet, JWT header);
  * embargo terms, codenames and prices agree with the labels.
Standard library plus PyYAML only.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 215
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def luhn_complete(prefix, length):
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        d = [rng.randint(0, 9) for _ in range(8)]
        if d[0] == 0:
            continue
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def bsn_bad():
    while True:
        s = str(rng.randint(100000000, 999999999))
        if not bsn_ok(s):
            return s


def nl_account():
    # ten digits that also pass the old Dutch 11-proof for bank accounts
    while True:
        a = "".join(str(rng.randint(0, 9)) for _ in range(10))
        if a[0] != "0" and sum(int(c) * w for c, w in zip(a, range(10, 0, -1))) % 11 == 0:
            return a


def nl_iban(bank):
    return iban_make("NL", bank + nl_account())


def be_iban():
    acct = "".join(str(rng.randint(0, 9)) for _ in range(10))
    chk = int(acct) % 97 or 97
    return iban_make("BE", f"{acct}{chk:02d}")


def iban_bad(valid):
    s = list(valid)
    for i in range(8, len(s) - 1):
        if s[i] != s[i + 1] and s[i].isdigit() and s[i + 1].isdigit():
            t = s[:]
            t[i], t[i + 1] = t[i + 1], t[i]
            if not iban_ok("".join(t)):
                return "".join(t)
    raise AssertionError


def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------------------
# credential generators (built the way the real ones are)
# ---------------------------------------------------------------------------
ALNUM = string.ascii_letters + string.digits


def rand(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, alg="HS256"):
    h = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32 if alg == "HS256" else 64)))
    return f"{h}.{p}.{s}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = ALNUM + "-_"

V = {}
V["ghp_a"] = github_token("ghp_")
V["aws_id_a"] = "AKIA" + rand(16, string.ascii_uppercase + "234567")
V["aws_secret_a"] = rand(40, ALNUM + "/+")
V["stripe_a"] = "sk_live_51" + rand(14, string.digits + string.ascii_uppercase) + rand(83)
V["mollie_a"] = "live_" + rand(30)
V["slack_a"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11), rng.randint(10**12, 10**13), rand(24))
V["slackhook_a"] = "https://hooks.slack.com/services/T0%s/B0%s/%s" % (
    rand(8, string.ascii_uppercase + string.digits), rand(8, string.ascii_uppercase + string.digits), rand(24))
V["openai_a"] = "sk-proj-" + rand(64, URLSAFE) + "T3BlbkFJ" + rand(64, URLSAFE)
V["dbpw_a"] = rand(14) + "!" + rand(4)
V["pem_a"] = openssh_key()
V["jwt_a"] = jwt({"sub": "usr_18422", "tid": "rh-core", "role": "superadmin",
                  "iat": 1767225600, "exp": 1798761600})
V["jwt_b"] = jwt({"iss": "https://app.rekenhuys.nl", "sub": "client_7731", "scope": "invoices:read invoices:write",
                  "iat": 1771000000, "exp": 1771003600}, alg="RS256")

# personal identifiers: valid ones (for positives) and look-alikes (for negatives)
V["iban_a"] = nl_iban("INGB")
V["iban_b"] = nl_iban("ABNA")
V["iban_b_g"] = group4(V["iban_b"])
V["iban_c"] = nl_iban("KNAB")
V["iban_d"] = nl_iban("TRIO")
V["iban_be"] = be_iban()
V["iban_be_g"] = group4(V["iban_be"])
V["badiban_a"] = iban_bad(nl_iban("RABO"))
V["badiban_a_g"] = group4(V["badiban_a"])
V["card_a"] = luhn_complete("4", 16)
V["card_a_g"] = group4(V["card_a"])
V["card_b"] = luhn_complete("5" + str(rng.randint(1, 5)), 16)
V["card_b_g"] = group4(V["card_b"], "-")
V["card_c"] = luhn_complete("37", 15)
V["card_c_g"] = V["card_c"][:4] + " " + V["card_c"][4:10] + " " + V["card_c"][10:]
_bc = luhn_complete("4", 16)
V["badcard_a"] = _bc[:-1] + str((int(_bc[-1]) + 3) % 10)
V["badcard_a_g"] = group4(V["badcard_a"])
_bc = luhn_complete("6", 16)
V["badcard_b"] = _bc[:-1] + str((int(_bc[-1]) + 7) % 10)
V["badcard_b_g"] = group4(V["badcard_b"])
V["bsn_a"] = bsn_make()
V["bsn_b"] = bsn_make()
V["bsn_b_dot"] = V["bsn_b"][:4] + "." + V["bsn_b"][4:6] + "." + V["bsn_b"][6:]
V["badbsn_a"] = bsn_bad()
V["badbsn_b"] = bsn_bad()
V["own_iban"] = PROFILE["public_identifiers"]["ibans"][0]
V["own_iban_g"] = group4(V["own_iban"])

# ---------------------------------------------------------------------------
# roles and severity (CONTRACT section 4)
# ---------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE[ph.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


LEVELS = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing"):
                    v = 4
                if c == "leak.pii" and checksum_id:
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return LEVELS[lvl]


# ---------------------------------------------------------------------------
# the posts (hand-written). Placeholders <<name>> are filled from V.
# ---------------------------------------------------------------------------
SEC, PII, PRC, CNF, FIN, SCY = ("leak.secret", "leak.pii", "leak.pricing",
                                "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def C(platform, handle, lang, text, cats=(), kind="post", at=None, name=None, url=None,
      brand=None, allow=()):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=tuple(cats),
                      kind=kind, at=at, name=name, url=url, brand=brand, allow=tuple(allow)))


# --- complaints ------------------------------------------------------------
C("x", "@bakkerij_vos", "nl",
  "@rekenhuys_help bankkoppeling met ING doet het al 4 dagen niet. Geen enkele transactie binnen en ik moet vrijdag m'n btw doen. Hallo??",
  [CMP], kind="reply")
C("x", "@jmcallister", "en",
  "Been on hold with Rekenhuys support for 47 minutes now. Forty. Seven. The hold music is burned into my brain.",
  [CMP])
C("facebook", "hanneke.dijkman", "nl",
  "Sinds jullie update van dinsdag klopt mijn btw-aangifte niet meer. Alle verlegde btw staat er dubbel in en ik krijg het er niet uit. Wie betaalt straks mijn boete als ik dit zo indien?",
  [CMP], kind="comment", name="Hanneke Dijkman")
C("reddit", "u/quietledger", "en",
  "Rekenhuys charged my card twice for March and won't refund until I 'open a ticket'. I have opened three tickets. Three. Anyone else dealing with this?",
  [CMP])
C("instagram", "@studio.lune", "nl",
  "opzeggen bij jullie is echt een escape room 🙄 knop zit verstopt onder instellingen > abonnement > meer > beheren en dan moet je alsnog bellen?? kom op Rekenhuys",
  [CMP], kind="comment")
C("x", "@daanbouwt", "nl",
  "wrm stuurt factuurflow mn facturen nie door via peppol?? klant zegt dat ie niks heeft ontvangen, 3e keer deze maand ffs",
  [CMP])
C("linkedin", "marloes-vermeulen-ra", "en",
  "Genuinely disappointed with Rekenhuys Accountant. The export to our audit software broke for the third time this quarter, and every time our team loses a full day re-mapping ledgers. We pay for a professional tool and expect it to behave like one.",
  [CMP], name="Marloes Vermeulen RA")
C("bluesky", "@zzp-els.bsky.social", "nl",
  "De chatbot van Rekenhuys snapt m'n vraag niet, de telefoon geeft een bandje en mail wordt 'binnen 5 werkdagen' beantwoord. Hoe krijg je daar in vredesnaam een mens te spreken?",
  [CMP])
C("forum", "kroegbaas_ronnie", "en",
  "Rekenhuys Kassa keeps dropping card payments at peak time. Friday night, full bar, lost at least six payments because the app froze mid-transaction. Support told me to 'restart the tablet'. Brilliant advice, thanks.",
  [CMP])
C("x", "@tegelzetter_mo", "nl",
  "Na de migratie begonnen al mijn factuurnummers weer bij 0001. Dat gaat de Belastingdienst geweldig vinden. Echt slordig werk, Rekenhuys.",
  [CMP])
C("tiktok", "@boekhoudbabe", "en",
  "pov: your annual accounts are due friday and the rekenhuys jaarrekeningservice still hasn't even started on yours 🫠 #smallbusiness #zzp",
  [CMP])
C("facebook", "gemma.walsh.ceramics", "en",
  "Your Scan feature reads every 8 as a 3. Just found a €38 receipt booked as €33 and an €880 invoice as €330. My VAT return is a mess, thanks a lot.",
  [CMP], kind="comment", name="Gemma Walsh")
C("mastodon", "@ferdinand@mastodon.social", "en",
  "Rekenhuys support closed my ticket as 'resolved' without a single reply. It is not resolved. The bank feed is still empty.",
  [CMP])

# --- crisis ----------------------------------------------------------------
C("x", "@annemiekpost", "nl",
  "Rekenhuys heeft mijn gegevens gelekt, ik weet het zeker. Ik krijg ineens phishingmails met mijn exacte factuurbedragen en klantnamen erin. Dat weet alleen mijn boekhoudpakket. #datalek",
  [CRI])
C("x", "@openbooks_dev", "en",
  "#BoycottRekenhuys: they've been selling 'anonymised transaction insights' from small businesses to a marketing firm. Anonymised my foot. Cancel your subscriptions.",
  [CRI])
C("linkedin", "mr-j-aksoy-advocaat", "nl",
  "Namens ruim 400 ondernemers hebben wij vandaag een dagvaarding uitgebracht tegen Rekenhuys Software B.V. wegens structureel foutieve btw-aangiftes via hun BTW-aangifte service. Gedupeerden kunnen zich nog bij ons kantoor melden.",
  [CRI], name="mr. J. Aksoy")
C("facebook", "CafetariaDeKrommeElleboog", "nl",
  "WAARSCHUWING voor andere ondernemers: onze Rekenhuys Kassa terminal werd gisteren gloeiend heet en de accu is helemaal opgezwollen. Het ding lag naast de frituur, het scheelde echt weinig. Support heeft na twee mails nog steeds niet gereageerd.",
  [CRI, CMP], name="Cafetaria De Kromme Elleboog")
C("x", "@techpolder", "en",
  "Dutch privacy watchdog AP has opened an investigation into Rekenhuys after reports that invoices of roughly 80k small businesses were exposed. Big one for the Dutch SaaS scene.",
  [CRI])
C("reddit", "u/bikeshop_breda", "en",
  "Is Rekenhuys recalling the Kassa terminals?? Just got an email telling me to stop using it immediately and unplug the charger. No explanation whatsoever.",
  [CRI])
C("tiktok", "@kimsbloemen", "nl",
  "storytime: door een fout in Rekenhuys kreeg ik een naheffing van €8.000 van de Belastingdienst 😭 support zegt 'niet ons probleem' dus ik heb nu een advocaat ingeschakeld",
  [CRI, CMP])
C("bluesky", "@ilse-freelance.bsky.social", "en",
  "So Rekenhuys sent a batch of Peppol invoices to the wrong companies. A complete stranger now has my client list and my rates. How is this not a data breach??",
  [CRI])
C("instagram", "@groenegrachtbakery", "nl",
  "Ondernemers opgelet: zeg je abonnement bij Rekenhuys op. Ze geven jullie cijfers gewoon door aan derden. Delen maar! #boycotrekenhuys",
  [CRI])
C("x", "@claimcollectief", "en",
  "We're preparing a class action against Rekenhuys over the double direct debits in Q2. If you were charged twice, DM us.",
  [CRI])
C("mastodon", "@sjoerd@mastodon.nl", "nl",
  "Tijd voor een # b o y c o t t van Rekenhuys. Ze hebben dat lek maandenlang onder de pet gehouden en nu doen ze verbaasd.",
  [CRI])
C("youtube", "@LedgerWatchNL", "en",
  "Rekenhuys fired the engineer who reported the breach internally. If that's true, it's a scandal and someone should be investigating them.",
  [CRI], kind="comment")
C("threads", "@privacy_pien", "nl",
  "Rekenhuys Scan stuurt je bonnetjes naar servers buiten de EU zonder dat ergens te melden. Gewoon een AVG-schending. Melding bij de AP is de deur uit.",
  [CRI])

# --- abuse -----------------------------------------------------------------
C("x", "@bart_ijzerwerk", "nl", "@rekenhuys stelletje oplichtende klootzakken zijn jullie", [ABU], kind="reply")
C("x", "@rkellerman", "en",
  "Rekenhuys support are the dumbest fucking people I have ever dealt with. Absolute clowns.", [ABU])
C("x", "@henkie_1970", "nl", "@noor_support_rh ga toch een echte baan zoeken, domme trut", [ABU], kind="reply")
C("instagram", "@kees.klusbedrijf", "nl",
  "kutbedrijf. bankkoppeling ALWEER stuk, 3e keer deze maand, en ondertussen schrijven jullie gewoon m'n abonnement af",
  [ABU, CMP], kind="comment")
C("x", "@echtnederland_1", "nl",
  "Natuurlijk krijg je bij Rekenhuys weer een hoofddoek aan de lijn die geen woord normaal Nederlands spreekt. Neem gewoon echte Nederlanders aan.",
  [ABU])
C("reddit", "u/ux_hater", "en",
  "whoever designed the Rekenhuys dashboard should be launched into the sun. absolute morons, every single one of them", [ABU],
  kind="comment")
C("x", "@noor_support_rh", "nl",
  "weer zo'n debiele klant die na 40 minuten nog steeds niet snapt wat btw is 🙄 waarom doe ik dit werk #supportlife", [ABU])
C("x", "@pietjepuk88", "nl", "@rekenhuys_help jullie zijn echt t3r1ng 1d10t3n, weer geen reactie", [ABU], kind="reply")
C("mastodon", "@grumpyzzp@mastodon.social", "en", "f\u200buck Rekenhuys and every cl\u200bown working there", [ABU])
C("x", "@r_de_groot", "nl",
  "@mirjam_rh ik weet waar jullie kantoor zit. Morgen om 17:00 sta ik bij de uitgang en dan gaan we praten, jij en ik.",
  [ABU], kind="reply")
C("x", "@rekenhuys_help", "nl",
  "@bart_ijzerwerk misschien eerst leren lezen voordat u gaat schelden, meneer. De handleiding staat gewoon online, zelfs u moet dat kunnen vinden.",
  [ABU], kind="reply")
C("facebook", "tom.brennan.design", "en",
  "To the genius at Rekenhuys who signed off on the new pricing: you're a clown and your product is garbage.",
  [ABU], kind="comment", name="Tom Brennan")

# --- pricing ---------------------------------------------------------------
C("x", "@rekenhuys", "nl",
  "🔥 Alleen deze week: Rekenhuys Pro voor maar €4,95 per maand! Alle functies, onbeperkt facturen. Mis het niet 👉 rekenhuys.nl/pro",
  [PRC])
C("x", "@koen_vleeuwen", "en",
  "lol the pricing page currently lists Rekenhuys Plus Jaar at €24.90 instead of €249. who touched the decimal 😂", [PRC])
C("reddit", "u/freelancefinn", "en",
  "PSA: Rekenhuys Accountant is showing €8.90/month on their site right now. Obviously a price error, but the checkout goes through. Grab it before they notice.",
  [PRC])
C("instagram", "@rekenhuys.nl", "nl", "Kassa terminal nu voor €29 🎉 Alleen dit weekend, op = op! #ondernemen #kassa", [PRC])
C("x", "@dealjager_nl", "nl",
  "Prijsfout bij Rekenhuys?! Jaarrekening Service voor €49,50 in de webshop. Normaal bijna 500 euro. Snel zijn 🏃", [PRC])
C("linkedin", "eva-kramer-rh", "en",
  "Exciting news for our reseller network: from next month partners can offer FactuurFlow Peppol to their clients for just €2 per month. DM me for the partner sheet.",
  [PRC], name="Eva Kramer")
C("facebook", "RekenhuysNL", "nl",
  "Nieuw in onze webshop: Rekenhuys Uren! Houd je uren bij en factureer ze met één klik, voor slechts €0,65 per maand.",
  [PRC])
C("x", "@mirjam_rh", "nl",
  "Zit er een prijsfout in de checkout? Klanten bellen dat het Onboarding pakket voor €24,90 wordt afgerekend. @bramdevos_dev kun jij even kijken?",
  [PRC])
C("linkedin", "rekenhuys-software", "en",
  "Developers, this one's for you: Rekenhuys API access now costs just €2.90 per month. Build integrations with bank feeds, invoices and VAT data.",
  [PRC])
C("x", "@bargainbert", "en",
  "R e k e n h u y s  P r o for €3.99 a month?!? their site is bugging, screenshot it before it's gone", [PRC])
C("x", "@bramdevos_dev", "en",
  "Billing bug of the week: the BTW-aangifte service got charged at €14.90 instead of €149 for about 200 customers. Finance is not amused.",
  [PRC])
C("x", "@rekenhuys_help", "nl",
  "@zaak_van_zoe klopt, de Voorraad module staat door een fout op €0,99 per maand in de webshop. We passen het vandaag nog aan.",
  [PRC], kind="reply")

# --- financial -------------------------------------------------------------
C("x", "@mirjam_rh", "nl",
  "Mag er eigenlijk niks over zeggen maar Q4 was waanzinnig. Omzet bijna 40% boven begroting 🚀 trots op dit team",
  [FIN], at="2027-01-08T19:42:11Z")
C("linkedin", "daan-hoekstra-rekenhuys", "en",
  "Long week. Term sheet with Baltrum Capital signed last night: majority stake, valuation north of €180M. Announcement after the holidays, so keep it quiet for now 🤐",
  [FIN], at="2026-12-18T08:15:40Z", name="Daan Hoekstra")
C("x", "@noor_support_rh", "nl",
  "dus de reorg is echt. hele supportteam in Groningen gaat per 1 maart dicht, 35 man. nog niet officieel aangekondigd en ik ben er kapot van",
  [FIN])
C("reddit", "u/anon_utrecht", "en",
  "My cousin works at Rekenhuys. They're laying off around 60 people in January, nothing announced yet, so if you're there, update your CV.",
  [FIN])
C("bluesky", "@rubenbos.bsky.social", "en",
  "The board deck ended up in the all-hands channel: ARR forecast for 2027 is €52M and break-even slides to Q3. Someone is getting a talking-to.",
  [FIN])
C("x", "@koen_vleeuwen", "nl",
  "Operatie Dijkgraaf is rond 🎉 we nemen Boekvink over. Persbericht volgt maandag, tot die tijd mondje dicht",
  [CNF, FIN])
C("x", "@rekenhuys", "nl",
  "CONCEPT, niet extern delen: Rekenhuys sluit H2 af met een EBITDA van €6,1 mln en een omzetgroei van 27%. Publicatie volgt eind februari.",
  [CNF, FIN], at="2027-01-27T10:03:00Z")
C("mastodon", "@thijs@fosstodon.org", "en",
  "churn hit 4.2% last month, the CFO is pacing the hallway and the price increase is coming a lot sooner than planned",
  [FIN])
C("x", "@vcwatcher_eu", "en",
  "Hearing from two sources that Rekenhuys is about to be bought by a US payroll giant. Deal expected to close in February. You heard it here first.",
  [FIN])
C("linkedin", "daan-hoekstra-rekenhuys", "nl",
  "Nieuwe financieringsronde van €25 mln is zo goed als rond. Nog even stilhouden tot de notaris is geweest, maar wat een mijlpaal 🙌",
  [FIN], name="Daan Hoekstra")
C("linkedin", "yasmina-bouzid", "nl",
  "De jaarcijfers 2026 liggen bij de RvC: omzet +31% en voor het eerst winst. Op 24 februari mogen we het van de daken schreeuwen, tot die tijd: sssst 🤫",
  [CNF, FIN], at="2027-02-11T16:20:05Z", name="Yasmina Bouzid")

# --- confidential ----------------------------------------------------------
C("x", "@koen_vleeuwen", "nl",
  "Vandaag Project Tulpenbol gedemonstreerd aan het MT. Bonnetje fotograferen en hij boekt 'm zelf, inclusief btw-code. Ze waren lyrisch 🌷",
  [CNF])
C("linkedin", "yasmina-bouzid", "en",
  "Proud of the team for hitting the first Kraanvogel milestone: 40% of tenants moved to the new platform without a single support ticket.",
  [CNF], name="Yasmina Bouzid")
C("x", "@noor_support_rh", "nl",
  "wie pakt deze op? https://jira.rekenhuys.nl/browse/SUP-2231 klant ziet alle btw dubbel sinds gisteren", [CNF])
C("linkedin", "rekenhuys-software", "nl",
  "[NIET EXTERN DELEN] Concept persbericht: Rekenhuys introduceert een AI-boekhouder voor zzp'ers. Quote CEO nog invullen, beeld volgt.",
  [CNF])
C("bluesky", "@rubenbos.bsky.social", "en",
  "oops. someone screenshotted the roadmap slide with 'Rekenhuys internal only' on it. H1 2027: RH Loon GA, Peppol Belgium, pricing v3. it's on Discord now",
  [CNF], at="2026-09-15T21:11:48Z")
C("x", "@mirjam_rh", "nl",
  "Rekenhuys Loon komt eraan 👀 de eerste pilotklanten draaien hun salarisstroken er al doorheen. Support wordt alvast getraind.",
  [CNF], at="2026-11-12T12:30:00Z")
C("reddit", "u/zzp_ruben", "en",
  "A friend at Rekenhuys showed me Project Tulpenbol over drinks. It auto-books your receipts with an LLM and suggests the VAT code. Apparently launching in spring.",
  [CNF])
C("mastodon", "@thijs@fosstodon.org", "en",
  "K\u0440\u0430\u0430nvogel cutover weekend again. Coffee, pizza and 14,000 tenants to move. Wish us luck", [CNF])
C("x", "@bramdevos_dev", "nl",
  "pizza op kantoor want de deadline van \uff2f\uff50\uff45\uff52\uff41\uff54\uff49\uff45 \uff24\uff49\uff4a\uff4b\uff47\uff52\uff41\uff41\uff46 is morgen 🍕",
  [CNF])
C("x", "@rekenhuys", "nl",
  "Handig overzicht van al onze koppelingen vind je hier: https://intra.rekenhuys.local/wiki/koppelingen-overzicht 📎", [CNF])
C("forum", "partnerdag_insider", "en",
  "Someone dropped the Rekenhuys partner day deck in a Discord. Every slide says 'Rekenhuys internal only' and there's a whole section on the Loonmodule and new price tiers.",
  [CNF], at="2026-10-06T14:52:19Z")
C("linkedin", "daan-hoekstra-rekenhuys", "en",
  "Sneak peek of the FY2026 results deck going to the board this afternoon. Let's just say the numbers are very green 📈",
  [CNF, FIN], at="2027-02-19T09:05:33Z", name="Daan Hoekstra")
C("x", "@koen_vleeuwen", "en",
  "Project Tulpen\u200bbol beta feedback call at 15:00, bring the receipts (literally)", [CNF])
C("instagram", "@rekenhuys.nl", "nl",
  "Teamdag 📸 Wie herkent wie? (let niet op het whiteboard met de Kraanvogel-planning op de achtergrond 😅)", [CNF])

# --- security --------------------------------------------------------------
C("x", "@bramdevos_dev", "nl",
  "Rabo-koppeling ligt er sinds 6 uur vanochtend uit voor ALLE klanten. Staat nog niet op de statuspagina want 'eerst impact bepalen' 🤫",
  [SCY])
C("mastodon", "@thijs@fosstodon.org", "en",
  "Found an IDOR in our invoice PDF endpoint this morning. Change the number in the URL and you get someone else's invoice. Patch is in review, nothing disclosed yet.",
  [SCY])
C("x", "@koen_vleeuwen", "en",
  "ransomware on two support laptops this morning. IT is wiping everything and we've been told not to mention it to customers yet. great monday",
  [SCY])
C("bluesky", "@rubenbos.bsky.social", "nl",
  "Gisteren zijn er zo'n 1.200 Peppol-facturen naar de verkeerde ontvangers gegaan. Ik mag er officieel nog niks over zeggen maar dit is echt heel slecht.",
  [SCY])
C("reddit", "u/lars_at_rh", "en",
  "Not naming names, but our export server has been running a library with a known RCE for six weeks. Security knows. Nobody has patched it. I'm losing my mind.",
  [SCY])
C("forum", "ex_rh_dev", "en",
  "Ex-Rekenhuys dev here. Their backup bucket with full customer ledgers was publicly readable for months in 2025. They found out, closed it quietly and never told anyone. Make of that what you will.",
  [SCY, CRI])
C("x", "@noor_support_rh", "en",
  "those phishing mails our customers got yesterday? they came from our own compromised mail server. comms is still 'deciding on messaging'",
  [SCY])
C("x", "@koen_vleeuwen", "nl",
  "2FA kon tot vannacht omzeild worden via de oude v1 API. Gelukkig gefixt, maar we gaan het niet melden zegt management. Hmm.",
  [SCY])
C("x", "@rekenhuys_help", "nl",
  "@ilse_admin klopt, bij onze scanpartner is een datalek geweest waarbij ook bonnetjes van klanten zijn ingezien. Dat maken we volgende week bekend, wilt u het tot die tijd nog niet delen?",
  [SCY], kind="reply")
C("bluesky", "@rubenbos.bsky.social", "en",
  "DB failover failed at 03:00. We lost about two hours of bookings for 40 tenants and the status page is still green. Don't ask me how I'm doing.",
  [SCY])
C("x", "@mirjam_rh", "nl",
  "er zit een d.a.t.a.l.e.k in de export naar accountants, klanten zien elkaars grootboek. nog niet publiek dus sst", [SCY])
C("mastodon", "@thijs@fosstodon.org", "en",
  "Pen test report landed: three criticals in the app.rekenhuys.nl login flow, session fixation among them. Remediation deadline Q1. Please don't ask.",
  [SCY])
C("x", "@bramdevos_dev", "nl",
  "Hele ochtend incident response. Iemand heeft met gestolen inloggegevens van een accountantskantoor 300 administraties gedownload. Klanten weten nog van niks.",
  [SCY])

# --- secrets ---------------------------------------------------------------
C("x", "@koen_vleeuwen", "nl",
  "deploy faalt weer op de CI 😩 lokaal werkt het prima met export GITHUB_TOKEN=<<ghp_a>> , iemand een idee wat ik mis?",
  [SEC])
C("x", "@bramdevos_dev", "en",
  "Why does terraform keep ignoring my profile?? ~/.aws/credentials:\n[rekenhuys-prod]\naws_access_key_id = <<aws_id_a>>\naws_secret_access_key = <<aws_secret_a>>\nregion = eu-central-1",
  [SEC])
C("bluesky", "@rubenbos.bsky.social", "en",
  "anyone see why this 401s? curl https://api.stripe.com/v1/balance -u <<stripe_a>>: works fine in postman 🤔", [SEC])
C("instagram", "@rekenhuys.nl", "nl",
  "Vrijdagmiddagborrel op kantoor 🍻 Welkom aan alle nieuwe collega's! (gasten: wifi RH-Gast, wachtwoord: Tulp!Kantoor2026)",
  [SEC])
C("reddit", "u/lars_at_rh", "en",
  "Can anyone tell me why ssh keeps saying 'invalid format'? This is the key I'm using:\n<<pem_a>>", [SEC])
C("x", "@bramdevos_dev", "en",
  "why is our admin token valid for a whole year?? just decoded this one: <<jwt_a>>", [SEC])
C("x", "@bakkerijvos_anja", "nl",
  "@rekenhuys_help al 3 dagen kan ik niet inloggen!! gebruikersnaam bakkerijvos, wachtwoord Vos1978!bakker. wat doe ik fout?? echt belachelijk dit",
  [SEC, CMP], kind="reply")
C("bluesky", "@rubenbos.bsky.social", "en",
  "weekend hack: auto-categorising receipts with GPT. works scarily well. OPENAI_API_KEY=<<openai_a>> (rate limits are brutal)",
  [SEC])
C("x", "@koen_vleeuwen", "en",
  "our deploy bot posts to <<slackhook_a>> with token <<slack_a>> and Slack keeps answering not_authed. what am I missing",
  [SEC])
C("x", "@bramdevos_dev", "nl",
  "Iemand een idee waarom deze niet connect? DATABASE_URL=postgresql://rh_app:<<dbpw_a>>@db-prod-03.rekenhuys.internal:5432/ledger  timeout na 30s",
  [SEC, CNF])
C("reddit", "u/integrator_joost", "en",
  "Rekenhuys API keeps giving me 403 on /v2/invoices. My request:\nGET /v2/invoices\nAuthorization: Bearer <<jwt_b>>\nAny ideas?",
  [SEC])
C("x", "@noor_support_rh", "nl",
  "voor wie de gedeelde supportmailbox zoekt: inlog teamsupport, w.a.c.h.t.w.o.o.r.d: Zomer2026!Haring", [SEC])

# --- personal data ---------------------------------------------------------
C("x", "@noor_support_rh", "nl",
  "@bakkerij_vos we hebben uw IBAN <<iban_a>> genoteerd, de terugstorting volgt binnen 5 werkdagen.", [PII], kind="reply")
C("facebook", "RekenhuysNL", "nl",
  "Hoi Sandra, we hebben je nummer 06-28417730 doorgegeven aan onze installateur voor de Kassa terminal, hij belt je morgen tussen 9 en 12.",
  [PII], kind="comment")
C("x", "@mirjam_rh", "en",
  "this customer has called us 9 times today: Jeroen Mulder, jeroen.mulder84@gmail.com. i love my job, i love my job, i love my job",
  [PII])
C("x", "@pdegraaf_hoveniers", "nl",
  "@rekenhuys_help incasso is mislukt zie ik, mijn rekeningnummer is <<iban_b_g>> t.n.v. P. de Graaf. Kunnen jullie het opnieuw proberen?",
  [PII], kind="reply")
C("linkedin", "eva-kramer-rh", "en",
  "Great onboarding session with a new customer today! (ignore my screen 🙈 'Customer: Femke Jansen · BSN <<bsn_a>> · born 14-03-1979')",
  [PII], name="Eva Kramer")
C("x", "@rekenhuys_help", "nl",
  "@kwekerij_tuin we zien de betaling met kaart <<card_a_g>> nog niet binnenkomen. Kunt u bij uw bank navragen of die is geblokkeerd?",
  [PII], kind="reply")
C("facebook", "liam.oconnor.dev", "en",
  "Rekenhuys, please just refund the double charge to my card <<card_b_g>> exp 09/28. This is the fourth time I'm asking.",
  [PII, CMP], kind="comment", name="Liam O'Connor")
C("bluesky", "@rubenbos.bsky.social", "nl",
  "Adres voor de kerstborrel bij ons thuis: Ruben & Lisa Bos, Biltstraat 112, 3572 BJ Utrecht. Neem een fles mee 🍷", [PII])
C("x", "@mirjam_rh", "nl",
  "Hoera voor onze collega Lotte van Dijk, geboren 3 juli 1991 en vandaag dus 35! 🎂 Taart staat in de keuken", [PII],
  at="2026-07-03T08:10:00Z")
C("reddit", "u/anon_florist", "en",
  "Rekenhuys just sent me someone else's invoice. Addressed to Marco Bianchi, Kanaalweg 8, 2312 AB Leiden, marco.bianchi@outlook.com. That's a data breach and I'm reporting it to the AP.",
  [PII, CRI])
C("x", "@koen_vleeuwen", "en",
  "can someone in finance call this supplier back? Hans from the printer company, +31 6 4817 2290. he's called me 4 times", [PII])
C("x", "@freelance_yara", "nl",
  "Waarom vraagt Rekenhuys Loon om m'n BSN? Zal wel moeten voor de loonaangifte. Nou vooruit: <<bsn_b_dot>>. Hopelijk werkt het nu wel",
  [PII], at="2027-02-02T20:14:51Z")
C("x", "@bramdevos_dev", "en",
  "accidentally got cc'd on this: 'Dear Mr. Visser, we could not charge card <<card_c_g>>, please update your details'. Why is billing emailing full card numbers around???",
  [PII])
C("x", "@marja_kapper", "nl",
  "Al 3x beloofd dat ik teruggebeld word. Nog één keer dan: 0031 6 2719 4408, vraag naar Marja. Ben het echt zat, Rekenhuys",
  [PII, CMP])
C("linkedin", "daan-hoekstra-rekenhuys", "en",
  "Our first Belgian pilot customer just paid from <<iban_be_g>>. First euro from Flanders 🇧🇪", [PII], name="Daan Hoekstra")

# --- benign (mostly hard negatives) ----------------------------------------
C("x", "@rekenhuys_help", "nl",
  "Vragen over je factuur of abonnement? Mail ons op support@rekenhuys.nl of bel 030-7994410 (ma–vr 8:30–17:30). We helpen je graag!")
C("facebook", "RekenhuysNL", "nl",
  "Liever zelf overmaken in plaats van automatische incasso? Dat kan naar <<own_iban_g>> t.n.v. Rekenhuys Software B.V., onder vermelding van je klantnummer.")
C("x", "@tuinontwerp_jet", "nl",
  "Bankkoppeling van Rekenhuys werkt echt perfect. Alles staat er binnen een minuut in, inclusief omschrijving 👌")
C("x", "@oliverbakes", "en",
  "Had a bank sync issue this morning, Rekenhuys support sorted it in 10 minutes on chat. That's how it should be.")
C("x", "@zzp_tim", "nl",
  "Mijn boekhouding is elk kwartaal weer een crisis, maar eerlijk is eerlijk: dat ligt aan mij en niet aan Rekenhuys 😅")
C("linkedin", "saas-nieuws-nl", "en",
  "Kasgeld.io announces 120 layoffs after a weak third quarter and a failed funding round. Tough market for Dutch fintech.",
  name="SaaS Nieuws NL")
C("x", "@nieuwe_ondernemer", "nl",
  "Hoe reset ik mijn wachtwoord bij Rekenhuys? Ik zie nergens een knop 'wachtwoord vergeten' in de app")
C("x", "@bramdevos_dev", "en",
  "Reminder from the AWS docs: AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY are the sample keys. If your key doesn't end in EXAMPLE, it doesn't belong in a blog post.")
C("x", "@rekenhuys", "nl",
  "Let op: wij vragen nooit om je wachtwoord, pincode of inlogcode via social media, mail of telefoon. Twijfel je? Bel 0800-7353.")
C("x", "@bookkeeper_nina", "nl",
  "Klant gaf me IBAN <<badiban_a>> en Rekenhuys bleef 'ongeldig' zeggen. Bleek een tikfout, twee cijfers omgedraaid 🤦 goed dat het gecheckt wordt")
C("reddit", "u/devjelle", "en",
  "Testing the Rekenhuys sandbox: the card <<badcard_a_g>> gets rejected before it even reaches the payment provider. Guess their form runs a Luhn check client-side, nice touch.")
C("x", "@schildersbedrijf_ok", "nl",
  "Bij Rekenhuys vroegen ze m'n klantnummer <<badbsn_a>> voor het terugbelverzoek. Handig dat dat gewoon op elke factuur staat.")
C("linkedin", "rekenhuys-software", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: een omzetgroei van 31% en voor het eerst een positief resultaat. Dank aan al onze klanten en collega's! Het volledige verslag staat op rekenhuys.nl/investor.",
  at="2027-02-24T07:30:00Z")
C("x", "@salonsanne", "nl",
  "Rekenhuys Loon is eindelijk live en ik heb net in 5 minuten de salarisstroken van mijn twee medewerkers gemaakt. Waarom duurde dit zo lang 😂",
  at="2027-01-21T18:02:44Z")
C("x", "@rekenhuys", "nl",
  "Het is zover: Rekenhuys Loon is live! 🎉 Salarisadministratie en loonaangifte direct vanuit je boekhouding. Lees alles op rekenhuys.nl/loon",
  at="2027-01-19T08:05:00Z")
C("x", "@fleur_zzp", "nl",
  "Sterkte aan de mensen van Rekenhuys support vandaag. Die krijgen vast de ene boze beller na de andere door die storing bij de bank, terwijl zij er niks aan kunnen doen 💐")
C("x", "@rekenhuys_help", "nl",
  "We zien een storing in de bankkoppeling met ABN AMRO. Transacties komen vertraagd binnen. Volg de updates op status.rekenhuys.nl")
C("x", "@rekenhuys", "nl",
  "⚠️ Er gaan phishingmails rond uit naam van Rekenhuys met een nep-factuur. Klik niet op de link en stuur de mail door naar security@rekenhuys.nl.")
C("mastodon", "@thijs@fosstodon.org", "en",
  "Slides from my talk at OWASP Benelux are up: how we rotate secrets at Rekenhuys without downtime. Spoiler: automate everything, trust nothing.")
C("x", "@koen_vleeuwen", "nl",
  "Kraanvogels boven de Veluwe vanochtend, honderden! Fiets even stilgezet om te kijken 😍", allow=("codename",))
C("x", "@rekenhuys", "nl",
  "Black Friday bij Rekenhuys 🖤 25% korting op Rekenhuys Plus: het eerste jaar €18,71 per maand in plaats van €24,95.",
  at="2026-11-27T07:00:00Z")
C("instagram", "@rekenhuys.nl", "nl",
  "Net begonnen als ondernemer? Met Rekenhuys Start regel je je facturen en btw al vanaf €12,50 per maand. Link in bio.")
C("x", "@prijsvergelijker_nl", "nl",
  "Rekenhuys Pro €39,95 p/m vs Boekvink Compleet €42. Qua prijs ontlopen ze elkaar weinig, Rekenhuys heeft wel de betere bankkoppeling.")
C("linkedin", "eva-kramer-rh", "nl",
  "Studenten ondernemerschap opgelet: 30% korting op de Rekenhuys Academy cursus met je studentenmail, dus €90,30 in plaats van €129.",
  name="Eva Kramer")
C("x", "@koopjesknaller", "nl",
  "Prijsfout bij de bouwmarkt: accuboormachine voor €9,99. Helaas alleen online en al uitverkocht 😭")
C("forum", "py_noob", "en",
  "In the tutorial they write DATABASE_URL=postgres://user:password@localhost:5432/mydb. Do I literally type 'password' there or is that a placeholder?")
C("x", "@bramdevos_dev", "en",
  "Good logging looks like 'Authorization: Bearer [REDACTED]'. If you see an actual token in your logs, you have a bug, not a feature.")
C("x", "@hella_vertaalt", "en",
  "Rekenhuys e-invoicing through Peppol just works. My German clients get the invoice within seconds and pay faster.")
C("instagram", "@rekenhuys.nl", "nl",
  "Jouw administratie blijft van jou. Alles wat je in Rekenhuys zet behandelen we vertrouwelijk, en we verkopen nooit data aan derden. 🔒")
C("threads", "@kaat.keramiek", "en",
  "damn, Rekenhuys Scan is scary good at reading crumpled receipts. even the one that went through the wash")
C("x", "@jordy_h", "nl",
  "Die nieuwe reclame van Rekenhuys met die zingende rekenmachine is zo cringe 😂 zit nu wel al de hele dag in m'n hoofd")
C("reddit", "u/utrecht_ondernemer", "en",
  "Anyone know a good accountant in Utrecht who works with Rekenhuys? Moving from a shoebox to actual bookkeeping this year.")
C("linkedin", "daan-hoekstra-rekenhuys", "nl",
  "Vandaag precies vijf jaar bij Rekenhuys. Begonnen als eenpitter op de financiële administratie, nu een team van zes. Dank aan iedereen met wie ik dit mocht doen!",
  at="2026-06-01T07:45:00Z", name="Daan Hoekstra")
C("linkedin", "rekenhuys-software", "en",
  "We're hiring a Security Engineer (m/f/x) in Utrecht. Help us keep the books of 60,000 small businesses safe. Apply via werkenbij@rekenhuys.nl")
C("x", "@techpolder", "en",
  "Kasgeld.io confirms a data breach affecting 12,000 users. Notification emails went out this morning.")
C("x", "@zzp_kees", "nl",
  "Lekkage in de keuken, loodgieter komt pas morgen. Ondertussen wel netjes al mijn facturen verstuurd via Rekenhuys, prioriteiten 🛠️")
C("facebook", "RekenhuysNL", "nl",
  "Nieuw nummer voor spoed bij storingen aan je Kassa terminal: 0800-7353, zeven dagen per week bereikbaar.")
C("x", "@tekstbureau_lot", "nl",
  "Waar staan mijn gegevens eigenlijk als ik Rekenhuys gebruik? Alleen in de EU hoop ik? Iemand die dat weet?")
C("linkedin", "accountantskantoor-de-linde", "en",
  "We moved 80 clients to Rekenhuys Accountant this year. Best decision we made: the shared workflows save us hours every week.",
  name="Accountantskantoor De Linde")
C("x", "@matthijs_bouwt", "nl",
  "Iemand riep dat Rekenhuys mensen gaat ontslaan, maar hun vacaturesite staat vol met 30 open posities. Lijkt me een fabeltje.")
C("x", "@koen_vleeuwen", "en",
  "Our Q3 update went out this morning. Thanks to every customer who stuck with us this year. Full post on rekenhuys.nl/blog",
  at="2026-10-14T09:30:00Z")
C("reddit", "u/jwt_fan", "en",
  "JWTs for beginners: header.payload.signature, each part base64url-encoded. And no, I'm not pasting a real one, I like my job 😄")
C("x", "@ellen_vdm", "nl", "@mirjam_rh gecondoleerd met je vader, heel veel sterkte de komende tijd 💐", kind="reply")
C("x", "@robin_codes", "en",
  "Rekenhuys had a rough week with that outage, but honestly their updates were clear and everything's back to normal now. Respect to the team.")
C("x", "@mirjam_rh", "nl",
  "Tip van de dag: gebruik een wachtwoordmanager en een lange zin als wachtwoord. 'ikbenzzpenikhouvanfacturen' is al een stuk beter dan 'Welkom01'.")
C("x", "@drukwerk_daan", "nl",
  "Rekenhuys zet mijn ordernummer <<badcard_b_g>> automatisch als kenmerk op de factuur. Klein dingetje, scheelt me elke week gezoek.")
C("linkedin", "btw-tips-nl", "nl",
  "Een btw-id ziet er zo uit: NL<<badbsn_b>>B01. Zet het altijd op je factuur; Rekenhuys doet dat automatisch als je het in je profiel invult.",
  name="Btw-tips")
C("x", "@rekenhuys_help", "nl",
  "Storing opgelost ✅ Alle bankkoppelingen werken weer en gemiste transacties zijn inmiddels opgehaald. Sorry voor het ongemak!")
C("threads", "@sam.schrijft", "en",
  "Just watched a conference talk on how Rekenhuys handles 2FA for accountants with 200 clients each. Really thoughtful engineering.")
C("x", "@dankbare_klant", "nl", "Dankjewel @noor_support_rh, je hebt me echt gered vandaag met die jaarafsluiting 🙏")
C("x", "@rekenhuys", "en",
  "Spring deal 🌷 Rekenhuys Uren is 15% off until the end of April: €5.52 a month instead of €6.50.",
  at="2026-04-02T08:00:00Z")
C("facebook", "RekenhuysNL", "nl",
  "Kassa terminal nu €249 (normaal €299). Inclusief installatie en een jaar garantie.")
C("x", "@zzp_koffie", "nl",
  "Rekenhuys Pro voor €39,95 per maand? Dat is minder dan wat ik aan koffie uitgeef. Gewoon doen.")
C("youtube", "@RekenhuysTV", "nl",
  "In deze video laten we zien hoe je je bank koppelt in drie stappen. Vragen? Stel ze in de comments of mail support@rekenhuys.nl")
C("reddit", "u/lars_at_rh", "en",
  "For anyone integrating with us: keys in our API docs look like rh_live_xxxxxxxxxxxxxxxxxxxx. Swap the x's for your own key and never commit it.")
C("x", "@vera_vertaalt", "en",
  "Rekenhuys sent me my GDPR data export within a day of asking. Neat JSON, everything there. More companies should do this.")
C("x", "@peterpeppol", "nl",
  "Eerste e-factuur via FactuurFlow Peppol verstuurd naar de gemeente. Binnen 2 dagen betaald! 🎉")
C("x", "@forgetful_fabian", "en",
  "Forgot my Rekenhuys password for the fourth time this year. At least the reset email shows up instantly 😅")
C("bluesky", "@hanna-boekt.bsky.social", "nl",
  "Rekenhuys Plus Jaar voor €224 met de partnerkorting van mijn accountant. Scheelt weer 25 euro.")
C("x", "@wouter_wijnhandel", "nl",
  "Gisteren gezeurd over de bankkoppeling, vandaag belde support me zelf terug en het is opgelost. Dan ook even een compliment, Rekenhuys 👍")

# ---------------------------------------------------------------------------
# assemble
# ---------------------------------------------------------------------------
PLACEHOLDER = re.compile(r"<<([a-z0-9_]+)>>")
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 22, tzinfo=timezone.utc) - START).total_seconds())
PFX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
       "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo", "blog": "bl"}
BRAND_OF = {"FactuurFlow": "FactuurFlow"}

order = list(range(len(CASES)))
rng.shuffle(order)

lines = []
meta = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    used = PLACEHOLDER.findall(c["text"])
    text = PLACEHOLDER.sub(lambda m: V[m.group(1)], c["text"])
    at = c["at"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    role = role_of(c["platform"], c["handle"])
    checksum_id = any(u.startswith(("iban_", "card_", "bsn_")) for u in used)
    cats = sorted(set(c["cats"]))
    post = {
        "id": f"{PFX[c['platform']]}-215{n:03d}{rng.randrange(10)}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "lang": c["lang"],
        "created_at": at,
    }
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if c["platform"] in ("x", "reddit", "bluesky") and rng.random() < 0.4:
        slug = c["handle"].lstrip("@").replace("u/", "")
        post["url"] = f"https://example.social/{c['platform']}/{slug}/{rng.randrange(10**9, 10**10)}"
    if c["brand"]:
        post["brand"] = c["brand"]
    elif "factuurflow" in text.lower():
        post["brand"] = "FactuurFlow"
    elif "rekenhuys" in text.lower() or role != "public":
        post["brand"] = "Rekenhuys"
    expect = {"categories": cats, "severity": severity(cats, role, checksum_id)}
    lines.append({"post": post, "expect": expect})
    meta.append(dict(case=c, used=used, role=role))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for l in lines:
        fh.write(json.dumps(l, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
errors = []


def err(i, msg):
    errors.append(f"line {i + 1} ({lines[i]['post']['id']}): {msg}")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = {SEC, PII, PRC, CNF, FIN, SCY, CRI, CMP, ABU}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


own_ibans = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in own_ibans:
    assert iban_ok(x), "profile IBAN fails mod-97"

EMBARGO = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
for _, u in EMBARGO:
    assert u.year == 2027
CODENAMES = [c.lower() for c in PROFILE["internal"]["codenames"]]
MARKERS = [m.lower() for m in PROFILE["internal"]["markers"]]
IDOMAINS = [d.lower() for d in PROFILE["internal"]["domains"]]
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
assert 15 <= len(PROFILE["products"]) <= 25
assert PROFILE["pricing"]["alert_below_ratio"] == 0.5
assert all(p["currency"] == "EUR" for p in PROFILE["products"])

IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})\b")
CARD_RE = re.compile(r"(?<!\d)(?<!\d[.,])\d(?:[ -]?\d){12,18}(?!\d|[.,]\d)")
BSN_RE = re.compile(r"(?<!\d)(?<!\d\.)(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?!\d|\.\d)")


def fold(t):
    t = unicodedata.normalize("NFKC", t).replace("\u200b", "")
    return t.translate(str.maketrans("\u0430\u0440\u0435\u043e\u0441", "apeoc"))


def prices(t):
    out = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:\.\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro", t):
        s = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", s):
            s = s.replace(".", "")
        out.append(float(s.replace(",", ".")))
    return out


ids = set()
for i, (l, m) in enumerate(zip(lines, meta)):
    p, e = l["post"], l["expect"]
    # CONTRACT section 6 / section 1 shape
    if set(l) != {"post", "expect"}:
        err(i, "top-level keys")
    if not (isinstance(p.get("id"), str) and 1 <= len(p["id"]) <= 256) or p["id"] in ids:
        err(i, "id missing, bad or duplicate")
    ids.add(p["id"])
    if p.get("platform") not in PLATFORMS:
        err(i, "platform")
    if p.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
        err(i, "handle")
    if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
        err(i, "text")
    if "<<" in p["text"] or ">>" in p["text"]:
        err(i, "unfilled placeholder")
    if not RFC3339.fullmatch(p.get("created_at", "")):
        err(i, "created_at not RFC 3339")
    ts = parse_ts(p["created_at"])
    if not (2026 <= ts.year <= 2027) or (ts.year == 2027 and ts.month > 3):
        err(i, "created_at outside 2026 / early 2027")
    if not isinstance(e.get("categories"), list) or any(c not in TAXO for c in e["categories"]):
        err(i, "categories")
    if e["categories"] != sorted(set(e["categories"])):
        err(i, "categories not sorted/distinct")
    if e.get("severity") not in LEVELS:
        err(i, "severity value")
    if not e["categories"] and e["severity"] != "none":
        err(i, "benign with severity")
    if e["categories"] and e["severity"] in ("none", "info"):
        err(i, "positive with severity below warning")
    # severity recomputed from the role in the profile
    role = role_of(p["platform"], p["account"]["handle"])
    cid = any(u.startswith(("iban_", "card_", "bsn_")) for u in m["used"])
    if severity(e["categories"], role, cid) != e["severity"]:
        err(i, "severity disagrees with policy")
    if role == "public" and ("rekenhuys" in p["account"]["handle"].lower() and p["account"]["handle"].lower() in
                             [h.split(":", 1)[1].lower() for h in ROLE]):
        err(i, "public handle collides with profile handle")
    # placeholders: valid identifiers only in PII positives, look-alikes only in benign posts
    for u in m["used"]:
        val = V[u]
        if u.startswith("iban_"):
            if not iban_ok(val) or PII not in e["categories"]:
                err(i, f"valid IBAN placeholder misuse {u}")
        if u.startswith("card_"):
            if not luhn_ok(val) or PII not in e["categories"]:
                err(i, f"valid card placeholder misuse {u}")
        if u.startswith("bsn_"):
            if not bsn_ok(val) or PII not in e["categories"]:
                err(i, f"valid BSN placeholder misuse {u}")
        if u.startswith("badiban_") and (iban_ok(val) or e["categories"]):
            err(i, f"IBAN look-alike passes or sits in a positive {u}")
        if u.startswith("badcard_") and (luhn_ok(val) or e["categories"]):
            err(i, f"card look-alike passes or sits in a positive {u}")
        if u.startswith("badbsn_") and (bsn_ok(val) or e["categories"]):
            err(i, f"BSN look-alike passes or sits in a positive {u}")
        if u.startswith("ghp_") and not github_ok(val):
            err(i, "GitHub token CRC wrong")
        if u.startswith("aws_id") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            err(i, "AWS key id malformed")
        if u.startswith("jwt_") and not jwt_ok(val):
            err(i, "JWT header lacks alg")
        if (u.startswith(("ghp_", "aws_", "stripe_", "mollie_", "slack", "openai_", "dbpw_", "pem_", "jwt_"))
                and SEC not in e["categories"]):
            err(i, "credential in a post not labelled leak.secret")
    # scan the whole text for any checksum-valid identifier
    t = p["text"]
    found = []
    for mm in IBAN_RE.finditer(t):
        s = re.sub(r"\s", "", mm.group(0))
        if iban_ok(s) and s not in own_ibans:
            found.append(("iban", s))
    for mm in CARD_RE.finditer(t):
        if luhn_ok(mm.group(0)) and len(re.sub(r"\D", "", mm.group(0))) >= 13:
            found.append(("card", mm.group(0)))
    for mm in BSN_RE.finditer(t):
        if bsn_ok(mm.group(0)):
            found.append(("bsn", mm.group(0)))
    if found and PII not in e["categories"]:
        err(i, f"checksum-valid identifier in a post without leak.pii: {found}")
    if PII in e["categories"] and bool(found) != cid:
        err(i, f"checksum scan disagrees with placeholders: {found}")
    # embargo consistency
    low = fold(t).lower()
    for term, until in EMBARGO:
        if term in low and ts < until and CNF not in e["categories"]:
            err(i, f"embargo term '{term}' before until without leak.confidential")
    # codenames / markers / internal domains only in confidential posts
    cn_allowed = "codename" in m["case"]["allow"]
    for term in CODENAMES + MARKERS + IDOMAINS:
        if term in re.sub(r"\s+", " ", low) and CNF not in e["categories"] and not cn_allowed:
            err(i, f"internal term '{term}' in a post without leak.confidential")
    # generated credentials must not appear in benign posts; sample keys must look like samples
    if not e["categories"]:
        if re.search(r"gh[pousr]_[0-9A-Za-z]{36}", t) and github_ok(re.search(r"gh[pousr]_[0-9A-Za-z]{36}", t).group(0)):
            err(i, "real-looking GitHub token in benign post")
        for mm in re.finditer(r"AKIA[A-Z2-7]{16}", t):
            if not mm.group(0).endswith("EXAMPLE"):
                err(i, "non-sample AWS key in benign post")
        if re.search(r"sk_live_[0-9A-Za-z]{10,}|xox[bp]-\d|-----BEGIN [A-Z ]*PRIVATE KEY", t):
            err(i, "credential-shaped string in benign post")
    # pricing: positives name a product below ratio (or talk of a price error), benign ones do not
    ft = fold(t)
    compact = re.sub(r"\s+", "", ft.lower())
    hits = [pr for pr in PROFILE["products"]
            if any(re.sub(r"\s+", "", a.lower()) in compact for a in pr["aliases"] + [pr["name"]])]
    ps = prices(ft)
    below = any(pp < PROFILE["pricing"]["alert_below_ratio"] * pr["list_price"]
                for pr in hits for pp in ps if pp > 0)
    if PRC in e["categories"]:
        if not hits or not (below or re.search(r"prijsfout|price error|fout|decimal", ft, re.I)):
            err(i, f"pricing positive without product/price: hits={[h['sku'] for h in hits]} prices={ps}")
    elif hits and ps:
        # every price mentioned next to one of our products must be at least the ratio of the
        # cheapest matching product (normal prices and 10-30% sales)
        floor = min(pr["list_price"] for pr in hits) * PROFILE["pricing"]["alert_below_ratio"]
        if any(0 < pp < floor for pp in ps):
            err(i, f"non-pricing post names a product below ratio: prices={ps}")
    # role sanity: corporate/employee posts use handles from the profile exactly
    if m["role"] != role:
        err(i, "role drift")

# counts and mix
n_total = len(lines)
n_benign = sum(1 for l in lines if not l["expect"]["categories"])
per_cat = {c: sum(1 for l in lines if c in l["expect"]["categories"]) for c in sorted(TAXO)}
langs = {lg: sum(1 for l in lines if l["post"]["lang"] == lg) for lg in ("nl", "en")}
roles = {}
for l in lines:
    r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
    k = (r, "benign" if not l["expect"]["categories"] else "pos")
    roles[k] = roles.get(k, 0) + 1
if not (170 <= n_total <= 180):
    errors.append(f"total {n_total} outside 170-180")
if not (55 <= n_benign <= 65):
    errors.append(f"benign {n_benign} not about 60")
if not (0.50 <= langs["nl"] / n_total <= 0.60):
    errors.append(f"Dutch share {langs['nl'] / n_total:.2f}")
if len({l["post"]["text"] for l in lines}) != n_total:
    errors.append("duplicate texts")
if sum(1 for l in lines if l["post"]["created_at"].startswith("2027")) < 3:
    errors.append("too few 2027 posts")

# round trip: the file parses back to the same objects
with open(out, encoding="utf-8") as fh:
    back = [json.loads(x) for x in fh]
if back != lines:
    errors.append("cases.jsonl does not round-trip")

if "-v" in sys.argv or errors:
    print(f"total={n_total} benign={n_benign} langs={langs}", file=sys.stderr)
    print("per category:", per_cat, file=sys.stderr)
    print("roles:", roles, file=sys.stderr)
    sev = {}
    for l in lines:
        sev[l["expect"]["severity"]] = sev.get(l["expect"]["severity"], 0) + 1
    print("severities:", sev, file=sys.stderr)
if errors:
    for x in errors:
        print("CHECK FAILED:", x, file=sys.stderr)
    sys.exit(1)
print(f"ok: wrote {out} ({n_total} cases, {n_benign} benign)")
