#!/usr/bin/env python3
"""Sealed blind evaluation set for postwatch (company: Lumen Spark Groep N.V.).

    python3 make_cases.py            # (re)write cases.jsonl, then validate it
    python3 make_cases.py --check    # validate; fail if cases.jsonl differs from a fresh build
    python3 make_cases.py --stats    # also print the summary counts

Deterministic (seed SEED): every fake secret, identifier, id and timestamp comes from one
seeded random.Random, so a rebuild gives the same bytes. Needs Python 3.9+ and PyYAML.

Labels follow /work/shared/eval/README.md: severity is computed by severity_for() and never
typed by hand; every IBAN / card / BSN carried by a positive passes its checksum, every
look-alike in a post without leak.pii fails it (or is the company's own published data).
All secrets are random and fake, shaped like the real thing.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = os.path.join(HERE, "profile.yaml")
SEED = 20260917
rng = random.Random(SEED)

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEV = ["none", "info", "warning", "error", "critical"]

# ---------------------------------------------------------------- checksums
def _mod97(iban):
    r = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97

def iban_ok(s):
    s = re.sub(r"[\s.-]", "", s).upper()
    return bool(re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s)) and _mod97(s) == 1

def make_iban_from_bban(cc, bban):
    return f"{cc}{98 - _mod97(cc + '00' + bban):02d}{bban}"

def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        n = int(ch)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        tot += n
    return len(d) >= 12 and tot % 10 == 0

def bsn_ok(d):
    d = re.sub(r"\D", "", d)
    if len(d) == 8:
        d = "0" + d
    if len(d) != 9 or int(d) == 0:
        return False
    return (sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])) % 11 == 0

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")

def ghp_ok(tok):
    m = re.fullmatch(r"ghp_([A-Za-z0-9]{30})([A-Za-z0-9]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)

# ---------------------------------------------------------------- random fake data
D, UP, LO = string.digits, string.ascii_uppercase, string.ascii_lowercase
AN = string.ascii_letters + string.digits
HEX = "0123456789abcdef"

def rs(n, alpha=AN):
    return "".join(rng.choice(alpha) for _ in range(n))

def grp(s, n=4, sep=" "):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))

def iban(cc, bank=None):
    if cc == "NL":
        bban = (bank or rng.choice(["ABNA", "RABO", "INGB", "SNSB", "TRIO", "BUNQ", "KNAB", "ASNB"])) + rs(10, D)
    elif cc == "BE":
        n = rng.choice("0123456789") + rs(9, D)
        bban = n + f"{(int(n) % 97) or 97:02d}"
    elif cc == "DE":
        bban = rs(18, D)
    elif cc == "GB":
        bban = rng.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"]) + rs(14, D)
    else:
        raise ValueError(cc)
    v = make_iban_from_bban(cc, bban)
    assert iban_ok(v)
    return v

def bad_iban(cc):
    v = iban(cc)
    v = v[:2] + f"{(int(v[2:4]) + rng.randint(1, 9)) % 100:02d}" + v[4:]
    assert not iban_ok(v)
    return v

def card(kind):
    prefix, length = {
        "visa": ("4" + rs(1, "0123456789"), 16),
        "mc": ("5" + rng.choice("12345"), 16),
        "mc2": (str(rng.randint(2221, 2720)), 16),
        "amex": ("3" + rng.choice("47"), 15),
    }[kind]
    body = prefix + rs(length - len(prefix) - 1, D)
    for c in D:
        if luhn_ok(body + c):
            return body + c

def bad_digits_luhn(n, prefix=""):
    while True:
        v = prefix + rs(n - len(prefix), D)
        if not luhn_ok(v):
            return v

def bsn():
    while True:
        d8 = rng.choice("123456") + rs(7, D)
        c = sum(int(d8[i]) * (9 - i) for i in range(8)) % 11
        if c <= 9:
            v = d8 + str(c)
            assert bsn_ok(v)
            return v

def bad_nine():
    while True:
        v = rng.choice("123456789") + rs(8, D)
        if not bsn_ok(v):
            return v

def mobile():
    return "6" + rs(8, D)

def passport_nl():
    L = "ABCDEFGHIJKLMNPQRSTUVWXYZ"
    return rs(2, L) + rs(6, L + D) + rs(1, D)

def aws_pair():
    return "AKIA" + rs(16, UP + "234567"), rs(40, AN + "/+")

def ghp():
    body = rs(30, B62)
    tok = "ghp_" + body + _b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    assert ghp_ok(tok)
    return tok

def glpat():
    return "glpat-" + rs(20, AN + "-_")

def xoxb():
    while True:
        a, b = rs(12, D), rs(13, D)
        if not luhn_ok(a) and not luhn_ok(b):   # keep card detectors out of it
            return f"xoxb-{a}-{b}-{rs(24)}"

def stripe_live():
    return "sk_live_51" + rs(97)

def mollie_live():
    return "live_" + rs(30)

def openai_key():
    return "sk-proj-" + rs(64, AN + "-_") + "T3BlbkFJ" + rs(64, AN + "-_")

def anthropic_key():
    return "sk-ant-api03-" + rs(93, AN + "-_") + "AA"

def google_key():
    return "AIza" + rs(35, AN + "-_")

def slack_hook():
    return f"https://hooks.slack.com/services/T{rs(10, UP + D)}/B{rs(10, UP + D)}/{rs(24)}"

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(payload):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{h}.{p}.{s}"

def openssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           b"\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.randrange(256) for _ in range(250)))
    b = base64.b64encode(raw).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----"

def sha_hex(n):
    return rs(n, HEX)

# evasion helpers
ZW = "\u200b"
SHY = "\u00ad"

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)

def spaced(s):
    return " ".join(s)

# ---------------------------------------------------------------- time
def _last_sunday(y, m):
    d = datetime(y, m + 1, 1) - timedelta(days=1) if m < 12 else datetime(y, 12, 31)
    while d.weekday() != 6:
        d -= timedelta(days=1)
    return d

def ams_offset_hours(utc):
    y = utc.year
    start = _last_sunday(y, 3).replace(hour=1)
    end = _last_sunday(y, 10).replace(hour=1)
    return 2 if start <= utc.replace(tzinfo=None) < end else 1

def rand_time(lo=(2026, 1, 5), hi=(2026, 12, 22)):
    a, b = datetime(*lo), datetime(*hi)
    day = a + timedelta(days=rng.randrange((b - a).days))
    utc = day.replace(hour=rng.randint(5, 21), minute=rng.randrange(60), second=rng.randrange(60))
    ms = rng.random() < 0.2
    style = rng.random()
    if style < 0.45:
        s = utc.strftime("%Y-%m-%dT%H:%M:%S")
        return s + (f".{rng.randrange(1000):03d}" if ms else "") + "Z"
    off = ams_offset_hours(utc)
    loc = utc + timedelta(hours=off)
    s = loc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{rng.randrange(1000):03d}" if ms else "")
    return s + f"+0{off}:00"

def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

# ---------------------------------------------------------------- ids / urls
_seen_ids = set()

def post_id_url(platform, handle):
    h = handle.lstrip("@")
    while True:
        if platform in ("x", "twitter"):
            n = rng.choice(["19", "20"]) + rs(17, D)
            pid, url = f"x-{n}", f"https://x.com/{h}/status/{n}"
        elif platform == "linkedin":
            n = "7" + rs(18, D)
            pid, url = f"li-{n}", f"https://www.linkedin.com/feed/update/urn:li:activity:{n}/"
        elif platform == "instagram":
            c = rs(11, AN + "_-")
            pid, url = f"ig-{c}", f"https://www.instagram.com/p/{c}/"
        elif platform == "facebook":
            a, b = rs(15, D), rs(16, D)
            pid, url = f"fb-{a}_{b}", f"https://www.facebook.com/{h}/posts/{b}"
        elif platform == "tiktok":
            n = "73" + rs(17, D)
            pid, url = f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
        elif platform == "threads":
            c = "D" + rs(10, AN)
            pid, url = f"th-{c}", f"https://www.threads.net/@{h}/post/{c}"
        elif platform == "reddit":
            c = rs(7, LO + D)
            pid, url = f"t1_{c}", f"https://www.reddit.com/r/thenetherlands/comments/{rs(6, LO + D)}/comment/{c}/"
        elif platform == "youtube":
            c = "Ugx" + rs(21, AN + "_-")
            pid, url = f"yt-{c}", f"https://www.youtube.com/watch?v={rs(11, AN + '_-')}&lc={c}"
        elif platform == "mastodon":
            n = "11" + rs(16, D)
            pid, url = f"md-{n}", f"https://mastodon.nl/@{h}/{n}"
        elif platform == "bluesky":
            c = "3l" + rs(11, "234567abcdefghijklmnopqrstuvwxyz")
            pid, url = f"bsky-{c}", f"https://bsky.app/profile/{h}/post/{c}"
        elif platform == "forum":
            n = rs(8, D)
            pid, url = f"forum-{n}", f"https://forum.energievergelijk.example/t/{n}"
        else:
            c = rs(24, HEX)
            pid, url = f"{platform}-{c}", f"https://{platform}.example/reviews/{c}"
        if pid not in _seen_ids:
            _seen_ids.add(pid)
            return pid, url

# ---------------------------------------------------------------- cases
CASES = []

def C(platform, handle, lang, text, cats, *, kind="?", hint="=", when=None, tags=(), ids=(),
      prices=(), brand="?", display=None, url=True):
    """lang = the real language; hint '=' copies it, None leaves it out, anything else is a wrong hint.
    ids: checksum identifiers (kind, text-as-written) carried by a leak.pii post.
    prices: (alias, amount, mode) with mode leak | ok | secondhand | monthly | fee | discount."""
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=sorted(cats),
                      kind=kind, hint=hint, when=when, tags=list(tags), ids=list(ids),
                      prices=list(prices), brand=brand, display=display, url=url))

SEC, PII, PRC, CON, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                  "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"
EV = "evasion"

OWN_NL_IBAN, OWN_BE_IBAN = "NL47INGB0005553200", "BE89068941352085"


def build():
    # ============================================================ leak.secret
    kid, ksec = aws_pair()
    C("x", "@koen_dev_spark", "en",
      f"ugh. the deploy script I pasted in that thread earlier still had our creds in it:\n"
      f"AWS_ACCESS_KEY_ID={kid}\nAWS_SECRET_ACCESS_KEY={ksec}\nrotating in 5 min, please don't screenshot 🙈",
      [SEC])
    C("threads", "@dewi_noc", "nl",
      f"Wie heeft het GitLab-token in de README van de publieke mirror gezet?? {glpat()} "
      f"staat daar gewoon sinds dinsdag. Graag vandaag nog intrekken, ik heb geen rechten.",
      [SEC], kind="post")
    C("reddit", "u/apk_tinkerer", "en",
      f"Decompiled the Spark Mobiel Android app out of curiosity. res/values/strings.xml has a hardcoded "
      f"maps key: {google_key()} — no referrer restriction either. Come on, Spark.",
      [SEC], kind="comment")
    C("x", "@mvanleeuwen_lumen", "nl",
      f"Wie kijkt er even mee naar de nieuwe incassokoppeling? Sleutel staat in de vault maar die is traag "
      f"vandaag, dus voor nu: MOLLIE_API_KEY={mollie_live()} 🙏",
      [SEC])
    C("x", "@KOEN_DEV_SPARK", "en",
      f"our standup bot dies after ~1h every day 🙃 Bolt people, what am I doing wrong?\n"
      f"app = App(token=\"{xoxb()}\", signing_secret=\"{sha_hex(32)}\")",
      [SEC], kind="post")
    C("forum", "webbouwer_ron", "en",
      f"Doing some freelance work on the Spark Mobiel accessory shop. Checkout throws 'No such customer' in "
      f"production. My env: STRIPE_SECRET_KEY={stripe_live()} STRIPE_WEBHOOK_TOLERANCE=300. Ideas?",
      [SEC], hint=None)
    C("instagram", "@lotte_werktbijspark", "nl",
      f"Mijn eerste eigen chatbotje voor de klantenservice gebouwd tijdens de hackweek 🤖✨ "
      f"(config in de laatste slide: OPENAI_API_KEY={openai_key()})",
      [SEC], kind="post")
    C("x", "@bramdhondt_be", "en",
      f"whoever keeps running their side project on my API key: {anthropic_key()} is MINE and finance "
      f"is asking me about the invoice 😤",
      [SEC])
    C("x", "@koen_dev_spark", "en",
      f"can someone explain why ssh says 'invalid format' for this key? generated it this morning\n"
      f"{openssh_key()}",
      [SEC], kind="reply")
    tok = jwt({"sub": "svc-monitoring", "iss": "lumen-sso", "scope": "metrics:read alerts:write",
               "iat": 1781000000})
    C("threads", "@dewi_noc", "nl",
      f"Hoezo verloopt dit token van de monitoring-API nooit? Er zit gewoon geen exp in. "
      f"Authorization: Bearer {tok}",
      [SEC])
    C("x", "@mvanleeuwen_lumen", "nl",
      f"Waarom krijg ik een timeout op postgresql://billing_rw:{rs(14, AN)}!{rs(3, D)}@db-billing-02.corp.lumen.local:5432/facturatie "
      f"terwijl de VPN gewoon aanstaat? Iemand?",
      [SEC, CON])
    C("facebook", "anouk.smits.lumen", "nl",
      "Voor de collega's van de avonddienst: het wachtwoord van het gedeelde klantenservice-account "
      "is sinds vandaag Avondrood!Spark83 (niet meer dat oude met de hond erin) 😉",
      [SEC], kind="post")
    C("x", "@jvdb_freelance", "en",
      "lmao my old Spark Mobiel contractor login still works 8 months after my last invoice. "
      "user ext-jvdberg / pass Kw4rtel!Gouda19. Nobody offboards anyone over there",
      [SEC])
    C("x", "@bramdhondt_be", "en",
      f"outage SMS alerts failing again. Twilio account {('AC' + rs(32, HEX))} auth token {rs(32, HEX)} "
      f"— can someone from platform check whether we hit the rate limit?",
      [SEC], hint="nl")
    C("mastodon", "secwatch_nl", "nl",
      f"Spark Mobiel heeft in hun publieke status-page repo een Slack-webhook laten staan: {slack_hook()} "
      f"Iedereen kan nu berichten in hun kanaal posten.",
      [SEC])
    C("x", "@koen_dev_spark", "nl",
      f"Top begin van de maandag: mijn GitHub-token in een screenshot gezet. {ghp()} "
      f"Is al ingetrokken hoor, maar toch.",
      [SEC])
    C("facebook", "anouk.smits.lumen", "nl",
      f"ww van de admin-portal is weer veranderd, nieuwe = Lumen{ZW}Noord{ZW}2026{ZW}!kw (met hoofdletter L), "
      f"niet doorsturen naar de uitzendkrachten",
      [SEC], tags=[EV], kind="comment")

    # ============================================================ leak.pii
    v = grp(iban("NL"))
    C("x", "@hanna_kuipers", "nl",
      f"@lumen_helpt ik betaal al drie maanden netjes van {v} maar volgens jullie komt er niks binnen?! "
      f"Nu dreigen jullie met een incassobureau.",
      [PII, CMP], kind="reply", ids=[("iban", v)])
    m = mobile()
    C("facebook", "peter.brouwers.75", "nl",
      f"Kan iemand van Spark Mobiel me nou gewoon terugbellen? 0{m[0]}-{m[1:]} . Al twee weken van het kastje "
      f"naar de muur, elke keer een ander verhaal.",
      [PII, CMP], kind="comment")
    m = mobile()
    C("instagram", "@fleurtjevandam", "en",
      f"@lumen.energie for the heat pump survey on Thursday you can reach me on +31 {m[0]} {m[1:5]} {m[5:]} or "
      f"fleur.vandam91@gmail.com, the doorbell is broken 🙃",
      [PII], kind="comment")
    C("x", "@wraakengel_070", "en",
      "This is the Lumen door-to-door guy who lied to my mum: Dennis Vos, Kerkstraat 14, 3811 CW Amersfoort. "
      "Drop by and tell him what you think of him.",
      [PII, ABU])
    v = grp(card("visa"))
    C("reddit", "u/tilburgtim", "en",
      f"Spark charged my card twice for the Nova 5G (card ending up there: {v}, yes I know, covered most of it in "
      f"the screenshot but not enough). Bank says it's on their side, Spark says it's the bank.",
      [PII, CMP], kind="comment", ids=[("card", v)])
    v = bsn()
    C("forum", "marjoleinb", "nl",
      f"Lumen vraagt bij het afsluiten van de Vooruit 12 om mijn BSN. Moet dat echt? Heb het maar ingevuld "
      f"({v}) maar voelt niet goed.",
      [PII], ids=[("bsn", v)])
    v = grp(iban("NL"))
    C("facebook", "anouk.smits.lumen", "nl",
      f"Collega's, mevrouw M. Kuipers belt nu voor de vierde keer over die dubbele incasso. Rekening {v}. "
      f"Wie van backoffice pakt het op??",
      [PII], ids=[("iban", v)], kind="post")
    v = grp(card("mc"))
    C("x", "@mvanleeuwen_lumen", "en",
      f"real customer data in staging AGAIN. who typed {v} exp 09/28 into the test checkout? that's not a test card",
      [PII], ids=[("card", v)])
    C("linkedin", "yasmina-bouzid", "nl",
      "Welkom aan onze nieuwe collega Sanne de Wit! 🎉 Sanne is geboren op 14 maart 1998, woont aan de "
      "Vondellaan 22 in Haarlem en komt ons team Recruitment versterken.",
      [PII])
    C("tiktok", "@jorisbijlumen", "nl",
      "Vandaag bij mevrouw Jansen op de Lindelaan 7 in Zwolle een Laadpaal Home opgehangen, wat een schat, "
      "kreeg ik ook nog appeltaart 🥰 #monteurslife",
      [PII])
    b = bsn()
    v = f"{b[:4]}.{b[4:6]}.{b[6:]}"
    C("threads", "@dewi_noc", "en",
      f"Again someone pasted a customer's BSN ({v}) into the free-text field of a network ticket. "
      f"Please stop doing this, it ends up in every export.",
      [PII], ids=[("bsn", v)])
    v = grp(iban("BE"))
    C("x", "@bramdhondt_be", "nl",
      f"Klant Vermeulen uit Mechelen krijgt zijn terugbetaling niet, rekeningnummer {v} wordt geweigerd. "
      f"Iemand van finance die hier vandaag naar kan kijken?",
      [PII], ids=[("iban", v)])
    C("facebook", "anouk.smits.lumen", "nl",
      f"@Elif Yilmaz het paspoortnummer dat u doorgaf ({passport_nl()}) komt niet overeen met wat bij uw "
      f"aanvraag staat, wilt u het nog eens controleren?",
      [PII], kind="reply")
    m = mobile()
    C("x", "@Lumen_Helpt", "nl",
      f"@tvandijk_ Helemaal goed, we hebben je nieuwe nummer 06 {m[1:3]} {m[3:5]} {m[5:7]} {m[7:]} genoteerd. "
      f"Een collega belt je morgen voor 12 uur terug!",
      [PII], kind="reply")
    C("instagram", "@lumen.energie", "en",
      "@fleur_kookt we've resent the confirmation to fleur.brouwer88@hotmail.com, please check your spam folder 💚",
      [PII], kind="reply")
    C("x", "@joostkrmr", "en",
      "@sparkmobiel your chat has timed out on me five times today. just email me: joost.kramer [at] outlook [dot] com",
      [PII, CMP], kind="reply", tags=[EV])
    v = iban("DE")
    C("x", "@lenaschulz_ams", "en",
      f"Still paying my Lumen bill from my German account {v} and the direct debit bounces every single month. "
      f"Your app says 'unknown error'. Fix it @lumen_helpt",
      [PII, CMP], ids=[("iban", v)])
    C("forum", "gerrit_dalfsen", "nl",
      "Kreeg vandaag een brief van Lumen die voor de buurvrouw bedoeld was: 'Mevr. H. Bos, Dorpsstraat 3, "
      "7722 AB Dalfsen', met haar hele jaarafrekening erin. Hoe kan dit? Wie krijgt de mijne dan?",
      [PII, CRI])
    m = mobile()
    C("bluesky", "sterre.bsky.social", "nl",
      f"@sparkmobiel nummer overzetten mislukt al voor de derde keer. Mijn oude nummer is 0031 6{m[1:]}, "
      f"jullie systeem blijft zeggen dat het 'in gebruik' is.",
      [PII, CMP], kind="reply")
    v = grp(card("mc2"))
    C("x", "@sparkmobiel", "nl",
      f"@ricardo_b Dank voor je geduld! We zien de betaling met kaart {v} inderdaad twee keer, "
      f"de tweede wordt binnen 5 werkdagen teruggestort.",
      [PII], kind="reply", ids=[("card", v)])

    # ============================================================ leak.pricing
    C("x", "@dealjager_nl", "nl",
      "Nova 5G voor €44,90 op de site van Spark?? Meteen twee besteld, we zien wel of ze het leveren 😂",
      [PRC], prices=[("Nova 5G", 44.90, "leak")])
    C("x", "@koen_dev_spark", "nl",
      "Oeps. Door een decimaalfout in de feed staat de Laadpaal Home nu voor €119,90 in de webshop. "
      "Fix staat klaar, wacht op een approve 🙏",
      [PRC], prices=[("Laadpaal Home", 119.90, "leak")])
    C("reddit", "u/zonopdak", "en",
      "PSA: Lumen's website is listing Zonnepakket 8 at €495 including installation. Either a massive "
      "mistake or the deal of the century. Go go go",
      [PRC], prices=[("Zonnepakket 8", 495, "leak")])
    C("facebook", "koopjesgroep.oost", "nl",
      "PRIJSFOUT bij Spark Mobiel! 🔥 Modem X6 voor 22 euro, wie het eerst komt...",
      [PRC], prices=[("Modem X6", 22, "leak")], kind="post", display="Koopjes Oost-Nederland")
    C("threads", "@dewi_noc", "en",
      "price feed sync broke overnight and the Tab 11 went out to every comparison site at €37.90. "
      "somebody from e-commerce please wake up",
      [PRC], prices=[("Tab 11", 37.90, "leak")])
    C("x", "@warmtepompwill", "en",
      "Is the price glitch on Lumen's Hybride H4 still live? A mate says they will honour the orders.",
      [PRC])
    C("x", "@sparkmobiel", "nl",
      "🎉 Alleen vandaag: de Spark Nova 5G voor maar €4,49! Op = op. 👉 sparkmobiel.nl/nova",
      [PRC], prices=[("Spark Nova", 4.49, "leak")])
    C("instagram", "@budgetbabs", "nl",
      f"{spaced('PRIJSFOUT')} SlimMeter Hub bij Lumen voor een tientje 😱 snel zijn!!",
      [PRC], tags=[EV])
    C("tiktok", "@deals.daily", "en",
      f"{fullwidth('Nova 5G')} for €39 on the Spark app right now, screen-recorded it in case they pull it",
      [PRC], tags=[EV], prices=[("Nova 5G", 39, "leak")])
    C("x", "@mvanleeuwen_lumen", "nl",
      "De Hybride H4 stond gisteravond een uur lang voor €389,50 in de shop. 212 orders binnen. "
      "Mogen we die annuleren? Juridisch zegt voorlopig nee.",
      [PRC], prices=[("Hybride H4", 389.50, "leak")])
    C("forum", "rekenaar_87", "nl",
      "Vooruit 12 van Lumen vandaag afgesloten voor €174 ipv €1.740 😅 Iemand anders dit ook gezien? "
      "Volgens mij is er een nulletje weggevallen.",
      [PRC], prices=[("Vooruit 12", 174, "leak")])
    C("x", "@laadpaalvincent", "nl",
      "Prijsföut bij Lumen? Lääd­paal Home voor €129 in de app 🤯",
      [PRC], tags=[EV], prices=[("Laadpaal Home", 129, "leak")])
    C("linkedin", "Ruud-Hoekstra-Lumen", "en",
      "Lessons from last weekend: the pricing error on the Tab 11 cost us roughly €180k before we pulled it. "
      "Internal review starts Monday, and yes, finance will be in the room.",
      [PRC, FIN])
    C("bluesky", "goedkoopjes.bsky.social", "en",
      "Spark Mobiel has the Nova5G listed at €4.49 in their app, grabbed a screenshot before it's gone",
      [PRC], prices=[("Nova5G", 4.49, "leak")])

    # ============================================================ leak.confidential
    C("x", "@koen_dev_spark", "nl",
      "Eindelijk mag ik ook aan Project Zonnewijzer werken 🌞 meer kan ik er helaas niet over zeggen",
      [CON])
    C("linkedin", "ruud-hoekstra-lumen", "en",
      "So proud of the team behind Operatie Noorderlicht. Big things coming for our Flemish customers early next year.",
      [CON])
    C("threads", "@dewi_noc", "en",
      "Helios-X field test in Almere going better than expected, latency under 8 ms on the whole test ring",
      [CON])
    C("instagram", "@lotte_werktbijspark", "nl",
      "Sneak peek van ons nieuwe abonnement Spark Unlimited Max 👀 nog even geduld allemaal! #werkenbijspark",
      [CON], when="2026-08-20T18:42:10+02:00")
    C("x", "@energielekken", "nl",
      "Gelekte folder in mijn bezit: de Lumen Thuisbatterij komt in september, 10 kWh voor onder de vier mille.",
      [CON], when="2026-07-30T09:12:44Z")
    C("x", "@mvanleeuwen_lumen", "nl",
      "Kan iemand het runbook op wiki.lumenspark.nl/ops/failover-ams bijwerken? Daar staat nog de oude procedure.",
      [CON])
    C("x", "@bramdhondt_be", "en",
      "grafana.noc.sparkmobiel.nl/d/core-ams is red everywhere, core router Amsterdam has been flapping for "
      "20 min and the status page still says all good",
      [CON, SECU])
    C("facebook", "anouk.smits.lumen", "nl",
      "Haha kijk, de nieuwe belscripts voor de overstapweken (niet extern delen!) 😅 'Blijf altijd positief over "
      "de prijsstijging'",
      [CON])
    C("linkedin", "yasmina-bouzid", "en",
      "LUMEN INTERNAL – hybrid work policy 2027, slides attached. Comments welcome before Friday!",
      [CON])
    C("reddit", "u/insidertje", "en",
      "A guy on my team got a deck marked 'strikt vertrouwelijk' from a Lumen partner meeting. Project Zonnewijzer "
      "is apparently their home battery + dynamic tariff bundle.",
      [CON])
    C("x", "@koen_dev_spark", "nl",
      "Operatie\nNoorderlicht gaat live in maart, dan gaat alles tegelijk om. Ik heb er zin in (en slaap te weinig)",
      [CON], tags=[EV])
    C("threads", "@dewi_noc", "nl",
      f"Morgen weer workshop over Project Zonne{ZW}wijzer, ik neem koffie mee voor het hele team ☕",
      [CON], tags=[EV])
    C("tiktok", "@jorisbijlumen", "nl",
      "Vandaag de Lumen Thuisbatterij bij een testklant geplaatst, mag nog niks laten zien 🤫 maar wauw",
      [CON], when="2026-06-02T15:03:27+02:00")
    C("x", "@techjournaal_nl", "en",
      "Hearing that Spark Mobiel will launch 'Spark Unlimited Max' in mid-September at €45 a month. "
      "Unlimited 5G, no throttling.",
      [CON], when="2026-09-01T06:55:00Z", hint="nl")
    C("linkedin", "ruud-hoekstra-lumen", "nl",
      "Druk weekje op finance. Ik kan alleen zeggen: de jaarcijfers 2026 gaan jullie verrassen 📈",
      [CON, FIN], when="2026-12-03T17:20:00+01:00")
    C("x", "@batterijnerd", "nl",
      f"Bevestigd door twee installateurs: {spaced('Lumen Thuisbatterij')} komt half september, "
      f"LFP-cellen uit Zweden",
      [CON], tags=[EV], when="2026-08-11T20:17:09+02:00")
    C("facebook", "anouk.smits.lumen", "nl",
      "Nog heel even en dan mogen we het eindelijk zeggen: Spark Unlimited Max is er! 🚀",
      [CON], when="2026-09-15T09:59:00+02:00")
    C("linkedin", "vera-lammers-energyconsult", "en",
      "Congrats to the Lumen team on Helios-X, saw a demo at a supplier day last week. Impressive stuff.",
      [CON])
    C("x", "@lotte_werktbijspark", "nl",
      "Ik mag er niks over zeggen maar Operatie Noorderlicht wordt echt groot 🤐",
      [CON])

    # ============================================================ leak.financial
    C("linkedin", "ruud-hoekstra-lumen", "nl",
      "Na maanden van onderhandelen kan ik zeggen dat de overname van het Belgische Voltaro rond is. "
      "Officiële aankondiging volgt, dus nog even stil houden 😉",
      [FIN])
    C("x", "@mvanleeuwen_lumen", "nl",
      "Vandaag intern gehoord: 140 fte bij klantenservice Zwolle gaat eruit, alles wordt uitbesteed. Nog niet officieel.",
      [FIN])
    C("facebook", "anouk.smits.lumen", "nl",
      "Het vastrecht gaat per 1 januari met 22% omhoog, vandaag in de teamsessie gehoord. "
      "Klanten weten nog van niks, dus dat worden drukke weken 😬",
      [FIN], when="2026-10-21T19:40:11+02:00")
    C("threads", "@dewi_noc", "en",
      "reorg announced internally today: NOC Rotterdam merges into Amsterdam. half of us either relocate or leave. cool cool cool",
      [FIN])
    C("x", "@fd_tips", "en",
      "Sources: Lumen Spark Groep is in advanced talks to sell its telecom arm Spark Mobiel to a private equity "
      "buyer. Announcement expected after the summer.",
      [FIN])
    C("linkedin", "ruud-hoekstra-lumen", "en",
      "Q3 closed internally: EBITDA down 11% year on year, retail energy margins under pressure. Board meets Thursday.",
      [FIN], when="2026-10-08T08:05:00+02:00")
    C("x", "@bramdhondt_be", "nl",
      "Ons kantoor in Antwerpen gaat tegen de zomer dicht, heeft de directie net gezegd. Mag nog niet naar buiten, "
      "dus ssst.",
      [FIN])
    C("tiktok", "@jorisbijlumen", "nl",
      "Alle monteurs kregen vandaag een brief: vanaf maart worden we ingehuurd via een extern bedrijf. "
      "'Reorganisatie' heet dat. Top werkgever hoor.",
      [FIN])
    C("reddit", "u/stroomvreter", "nl",
      "Vriend van me werkt bij Lumen, zegt dat de tariefronde 2027 een flinke stijging wordt. Nu nog vastzetten dus?",
      [CON, FIN], when="2026-11-14T12:31:40+01:00")
    C("x", "@anon_spark_medewerker", "nl",
      f"Bij Spark worden volgende maand 60 mensen ont{SHY}slagen. Zeg het niet door, het is nog niet aangekondigd.",
      [FIN], tags=[EV])
    C("linkedin", "yasmina-bouzid", "en",
      "HR tip of the day: if you work in the Zwolle contact centre, start updating your CV. "
      "The outsourcing deal with Callnova is signed.",
      [FIN])
    C("x", "@koen_dev_spark", "en",
      "off the record: the FY2026 results will show Spark Mobiel's first loss in six years",
      [CON, FIN], when="2026-12-18T21:02:00+01:00")

    # ============================================================ leak.security
    C("threads", "@dewi_noc", "nl",
      "Sinds 03:12 ligt het 4G-kernnetwerk in heel Noord-Holland plat en de statuspagina staat nog op groen. "
      "Comms wacht op 'bevestiging' 🙄",
      [SECU])
    C("x", "@koen_dev_spark", "en",
      "found out this morning the Mijn Spark API returns other customers' invoices if you bump the account id. "
      "fix in progress, please don't tell anyone yet",
      [SECU])
    C("x", "@mvanleeuwen_lumen", "nl",
      "Ransomware op twee facturatieservers vannacht. Alle incasso's liggen stil. Als het aan de directie ligt "
      "komt dit pas maandag naar buiten.",
      [SECU])
    C("facebook", "anouk.smits.lumen", "nl",
      "Collega's: sinds vanochtend kunnen klanten in het portaal elkaars adressen zien. Aan de telefoon niks over "
      "zeggen, zegt de teamleider.",
      [SECU])
    C("x", "@bramdhondt_be", "en",
      "phishing campaign got into 14 mailboxes on our Antwerp sales team. IT still cleaning up and there is no "
      "customer communication planned.",
      [SECU])
    C("tiktok", "@jorisbijlumen", "nl",
      "Dus sinds de update geven duizenden slimme meters bij ons 0 kWh door. Iedereen krijgt straks een verkeerde "
      "afrekening en niemand buiten de afdeling weet het nog.",
      [SECU])
    C("x", "@kritischeklant", "en",
      "Someone inside Lumen told me they had a breach last month and are keeping it quiet. Customer IBANs included. "
      "Why no notification, @lumenenergie?",
      [SECU, CRI])
    C("threads", "@dewi_noc", "nl",
      "we zijn g3h@ckt 🫠 sim-swap via de winkelportal, 300+ nummers overgezet en nog niet gemeld bij de AP",
      [SECU], tags=[EV])
    C("x", "@koen_dev_spark", "en",
      "the Modem X6 firmware still ships with telnet open on port 23 and the same root login on every unit. "
      "reported it internally in March, nothing happened",
      [SECU])
    C("instagram", "@lotte_werktbijspark", "nl",
      "Het hele callcenter kan al twee uur niet inloggen, alle systemen liggen eruit. Klanten denken dat het aan "
      "hun kant ligt 🙈 #maandag",
      [SECU])
    C("x", "@mvanleeuwen_lumen", "en",
      "the billing DB backup sat in a public bucket for three weeks. closed it yesterday, legal is still deciding "
      "whether we report it",
      [SECU])
    C("forum", "netwerknerd_vls", "nl",
      "Insider bij Spark Mobiel bevestigt: de 'storing' van gisteren was een DDoS-aanval, maar naar buiten houden "
      "ze het op een technisch probleem.",
      [SECU, CRI])
    C("threads", "@dewi_noc", "en",
      "noc.sparkmobiel.nl showing 40% packet loss on the Rotterdam ring, status page says 'all systems operational' lol",
      [SECU, CON])

    # ============================================================ reputation.crisis
    C("x", "@sandravdlinden", "nl",
      "Lumen Energie heeft mijn gegevens gelekt. Sinds gisteren sms'jes met mijn klantnummer én adres erin. "
      "Dit is geen toeval.",
      [CRI])
    C("x", "@eerlijkestroom", "en",
      "#BoycottLumen — they cut off a family with a newborn in the middle of January. Switch supplier today.",
      [CRI], when="2026-01-22T08:14:00+01:00")
    C("facebook", "marco.hendriks.54", "nl",
      "Onze Laadpaal Home van Lumen is vannacht in de carport in brand gevlogen. Brandweer is geweest, gelukkig "
      "niemand gewond. Lumen belt pas 'binnen 5 werkdagen' terug.",
      [CRI, CMP])
    C("linkedin", "annemiek-ros-journalist", "en",
      "The Consumentenbond is taking Lumen Energie to court over 'fixed' contracts whose prices turned out not "
      "to be fixed at all. Thousands of households affected.",
      [CRI])
    C("x", "@techtips_nl", "nl",
      "Spark Mobiel roept de Modem X6 terug: de voedingsadapter kan oververhit raken. Check je serienummer op hun site!",
      [CRI])
    C("reddit", "u/kleinzoon_denhaag", "en",
      "Lumen door-to-door sellers are targeting elderly people in Den Haag. My grandma signed a five-year contract "
      "she didn't understand. This is a scandal.",
      [CRI])
    C("tiktok", "@overstappen.nu", "nl",
      "Iedereen weg bij Spark Mobiel! Ze verkopen je locatiegegevens aan adverteerders, staat gewoon in de nieuwe "
      "voorwaarden. #boycotspark",
      [CRI])
    C("x", "@huisje_boompje", "en",
      "A Lumen engineer left the gas meter cover loose and our hallway filled with gas. Could have killed us. "
      "Still waiting for anyone to call back.",
      [CRI, CMP])
    C("forum", "roamingrecht", "nl",
      "Rechtszaak tegen Spark Mobiel gewonnen! Ze moeten alle onterechte roamingkosten terugbetalen, kijk of jij "
      "ook recht hebt.",
      [CRI])
    C("mastodon", "klimaatkritisch", "en",
      "Lumen Energie is greenwashing: their 'groene stroom' is 80% grey power relabelled with cheap certificates, "
      "according to a new investigation.",
      [CRI], hint=None)
    C("x", "@opa_beschermer", "nl",
      "Spark Mobiel = b.o.y.c.o.t.t. Hebben mijn vader met dementie een abonnement van €70 per maand aangesmeerd.",
      [CRI], tags=[EV])
    C("instagram", "@ninavoslooo", "en",
      "Lumen l3aked my data and now I get scam calls every single day 🤬",
      [CRI], tags=[EV], kind="comment")
    C("youtube", "TechTestNL", "en",
      "Watch till the end: the Spark Nova 5G battery swelling and smoking on camera. Spark calls it 'an isolated case'.",
      [CRI], kind="post")
    C("facebook", "ilse.dekker.3", "nl",
      "De Tab 11 van mijn zoon werd tijdens het laden zo heet dat er een schroeiplek in zijn dekbed zit. "
      "Levensgevaarlijk, en Spark zegt 'opsturen voor onderzoek'.",
      [CRI, CMP], kind="post")
    C("bluesky", "breachwatch.bsky.social", "en",
      "Spark Mobiel customer records (400k rows, names, numbers, IBANs) are for sale on a hacker forum right now. "
      "Check if you're in it.",
      [CRI])

    # ============================================================ reputation.complaint
    C("x", "@r_bakker88", "nl",
      "@lumen_helpt €840 bijbetalen bij de jaarafrekening terwijl ons verbruik gedaald is?? Niemand kan het uitleggen.",
      [CMP], kind="reply")
    C("x", "@devbydaylight", "en",
      "Day three without internet. @sparkmobiel keeps saying 'the engineer is on the way'. Which way? Via Mars?",
      [CMP])
    C("facebook", "trudy.vanommen", "nl",
      "45 minuten in de wacht bij 0900-7727 en dan wordt de verbinding gewoon verbroken. En dat kost ook nog geld!",
      [CMP], kind="comment")
    C("instagram", "@milou.hm", "en",
      "Ordered the Modem X6 on the 2nd and it still hasn't arrived. Tracking hasn't moved in nine days 🙄",
      [CMP], kind="comment")
    C("trustpilot", "Karin V.", "nl",
      "Opzegging drie keer doorgegeven en tóch weer een incasso. Slechtste energieleverancier waar ik ooit klant was.",
      [CMP], hint=None)
    C("reddit", "u/heatedbills", "en",
      "Lumen raised my monthly advance from €120 to €310 without a word of explanation. Anyone else?",
      [CMP])
    C("x", "@famvisser", "nl",
      "Monteur komt wéér niet opdagen. Tweede keer voor niks een dag vrij genomen. Bedankt Lumen 👏👏",
      [CMP])
    C("x", "@ev_rijder_hans", "nl",
      "Laadpaal Home laten installeren en hij laadt maximaal 3,7 kW in plaats van 11. Monteur: 'ligt aan je auto'. "
      "Nee dus.",
      [CMP])
    C("linkedin", "martijn-oosterhout-bv", "en",
      "Switching our business energy to Lumen was a mistake. Four invoices, four different amounts, zero answers "
      "from the account manager.",
      [CMP])
    C("x", "@lisa_tweets_nl", "nl",
      "@sparkmobiel jullie chatbot snapt echt helemaal niks, ik wil gewoon een mens spreken",
      [CMP], kind="reply")
    C("youtube", "wanderwillem", "en",
      "Spark's roaming charges in Switzerland cost me €96 for one weekend. Not a single warning text.",
      [CMP], kind="comment")
    C("instagram", "@zonnigzuid", "nl",
      "Panelen liggen er al twee maanden maar de omvormer is nog steeds niet aangesloten 😤 @lumen.energie hallo??",
      [CMP])
    C("bluesky", "nachtuil.bsky.social", "en",
      "the SlimMeter Hub drops off the wifi every single night. support's advice: 'restart it'. thanks, very helpful",
      [CMP])
    C("x", "@vlissingen_vera", "nl",
      f"{spaced('Spark')} Mobiel: al vijf dagen geen bereik in Vlissingen-Oost en niemand die reageert",
      [CMP], tags=[EV])
    C("facebook", "lumenenergienl", "nl",
      "Hoi Gert, vervelend dat je je afrekening nog niet hebt ontvangen! Stuur ons even een privébericht, dan "
      "zoeken we het direct voor je uit. ^Mila",
      [], kind="reply", tags=["hn:corporate-service-reply"])

    # ============================================================ reputation.abuse
    C("x", "@boze_burger", "nl",
      "Lumen Energie is een stelletje oplichters en klootzakken, meer valt er niet over te zeggen.",
      [ABU])
    C("x", "@dutchrage", "en",
      "@sparkmobiel you absolute clowns, f*cking useless company",
      [ABU], tags=[EV], kind="reply")
    C("instagram", "@kees.zegthet", "nl",
      "@lumen.energie die Anouk van jullie klantenservice moet je gewoon ontslaan, wat een dom wijf is dat",
      [ABU], kind="comment")
    C("facebook", "henk.w.1958", "nl",
      "Natuurlijk krijg je bij Spark weer zo'n buitenlander aan de lijn die geen woord Nederlands spreekt. "
      "Stuur ze allemaal terug.",
      [ABU], kind="comment")
    C("tiktok", "@simswapsaga", "en",
      "spark mobiel customer service = a bunch of lazy idiots. proved it again today: three hours on hold for a SIM swap",
      [ABU, CMP])
    C("x", "@pietjepuk_", "nl",
      "Kutbedrijf. Vier weken zonder internet en jullie durven nog een factuur te sturen @sparkmobiel",
      [ABU, CMP])
    C("threads", "@angrytaxpayer", "en",
      "The Lumen CEO should be dragged out of his office, greedy pig",
      [ABU])
    C("x", "@rotterdamse_rik", "nl",
      "lumen = k4nkerbedrijf, zeg ik al jaren",
      [ABU], tags=[EV])
    C("x", "@grumpy_gerard", "en",
      "Spark Mobiel is a shït company run by ïdiots",
      [ABU], tags=[EV])
    C("x", "@koen_dev_spark", "en",
      "@jeroen_k maybe learn to read the manual before crying on twitter, idiot",
      [ABU], kind="reply")
    C("facebook", "Anouk.Smits.Lumen", "nl",
      "Weer zo'n zeurende boomer aan de lijn gehad, echt, sommige mensen zijn zo ontzettend dom",
      [ABU], kind="post")
    C("x", "@lumen_helpt", "nl",
      "@vera_b8 doe even normaal joh, sukkel",
      [ABU], kind="reply")
    C("linkedin", "frank-de-groot-1971", "en",
      "The women on Lumen's board are just diversity hires, no wonder the company is failing.",
      [ABU], hint="nl")
    C("youtube", "Dirk van Mierlo", "nl",
      "Wat een tering reclame van Spark weer, wie verzint die onzin",
      [ABU], kind="comment")

    # ============================================================ benign hard negatives
    # --- own contact data, other notations
    C("x", "@lumen_helpt", "nl",
      "Vragen over je jaarafrekening? Bel ons gratis op 0800 0455 of mail naar klantenservice@lumenenergie.nl. "
      "We staan voor je klaar van 8 tot 20 uur 💚",
      [], tags=["hn:own-contact"])
    C("x", "@geldzaken_gijs", "nl",
      f"Tip: teveel betaald aan Lumen? Ze storten het terug, maar je kunt ook zelf verrekenen via "
      f"{grp(OWN_NL_IBAN).lower()} met je klantnummer in de omschrijving.",
      [], tags=["hn:own-contact"])
    C("facebook", "expatsinutrecht", "en",
      "Spark's business line is +31 (0)88 555 32 00, much quicker than the chat in my experience.",
      [], tags=["hn:own-contact"], kind="comment", display="Expats in Utrecht")
    C("tiktok", "@SparkMobiel", "nl",
      "Zakelijke klant? Bel onze servicelijn 0900 - 7727 (lokaal tarief) of mail service@sparkmobiel.nl 📞",
      [], tags=["hn:own-contact"])
    C("x", "@vlaamsevincent", "nl",
      "Vlaamse klanten: bel gewoon 03 555 41 20, niet dat Nederlandse 0800-nummer, dan ben je sneller geholpen.",
      [], tags=["hn:own-contact"], hint=None)
    C("linkedin", "lumen-spark-groep", "nl",
      "We zoeken collega's voor ons contactcenter in Zwolle! Stuur je cv naar werkenbij@lumenspark.nl of kijk op "
      "lumenspark.nl/vacatures.",
      [], tags=["hn:own-contact"])
    C("facebook", "LumenEnergieNL", "en",
      f"Paying by bank transfer? Use {grp(OWN_NL_IBAN)} and mention your customer number. Belgian customers can "
      f"use {OWN_BE_IBAN}.",
      [], tags=["hn:own-contact"], kind="post")
    # --- numbers that fail their checksum, order / customer / meter numbers
    C("x", "@phishalarm", "nl",
      f"Let op: phishingmail uit naam van Lumen Energie! Ze vragen €89 over te maken naar {grp(bad_iban('NL'))}. "
      f"Niet doen, gewoon verwijderen.",
      [], tags=["hn:checksum-fail"])
    C("reddit", "u/eerstehuisje", "en",
      f"Lumen's invoice has a payment reference like {grp(bad_digits_luhn(16, '7001'))} – is that what goes in the "
      f"description field of the transfer?",
      [], tags=["hn:checksum-fail"], kind="comment")
    n9 = bad_nine()
    C("forum", "nieuwbijspark", "nl",
      f"Mijn klantnummer bij Spark is negen cijfers ({n9[:3]} {n9[3:6]} {n9[6:]}). Is dat hetzelfde als mijn "
      f"contractnummer, of staat dat ergens anders?",
      [], tags=["hn:customer-number"])
    C("x", "@overstapper_tom", "en",
      f"EAN code of my connection is {bad_digits_luhn(18, '871687')}, is that all Lumen needs to switch me over?",
      [], tags=["hn:meter-number"], hint="nl")
    C("facebook", "richard.meijer.7", "nl",
      f"Bestelling SPK-2026-{rs(6, D)} vandaag binnen, Modem X6 was in tien minuten geïnstalleerd 👍",
      [], tags=["hn:order-number", "hn:praise"], kind="post")
    C("x", "@firmwarefreak", "nl",
      f"Waar vind ik de firmwareversie van de Modem X6? Serienummer is X6A-{rs(4, D)}-{rs(4, D)}-{rs(2, D)}, "
      f"maar in de app zie ik alleen 'up to date'.",
      [], tags=["hn:serial-number", "hn:question"])
    C("linkedin", "energieadvies-noord", "nl",
      f"Wij adviseren huishoudens onafhankelijk over Lumen, Greenwatt en anderen. KvK {rs(8, D)}.",
      [], tags=["hn:kvk"])
    # --- normal prices and ordinary discounts
    C("x", "@gadgetgids", "nl",
      "Tab 11 nu €299 bij Spark (was €379). Nette deal als je nog een tablet voor de kids zoekt.",
      [], tags=["hn:price"], prices=[("Tab 11", 299, "ok")])
    C("instagram", "@lumen.energie", "nl",
      "Alleen dit weekend: €100 korting op de Laadpaal Home, inclusief installatie ⚡",
      [], tags=["hn:price"], prices=[("Laadpaal Home", 100, "discount")])
    C("x", "@budgetbellen", "nl",
      "Nova 5G met Sim Only 20GB: €19,50 per maand bij Spark, 24 maanden. Best scherp.",
      [], tags=["hn:price"], prices=[("Nova 5G", 19.50, "monthly")])
    C("facebook", "marktplaatsmarloes", "nl",
      "Tweedehands Modem X6 te koop voor €40, werkt prima, we zijn overgestapt op kabel.",
      [], tags=["hn:price", "hn:second-hand"], prices=[("Modem X6", 40, "secondhand")])
    C("x", "@lumenenergie", "nl",
      "Nee hoor, geen prijsfout 😉 De SlimMeter Hub is deze week gewoon €99 in onze zomeractie.",
      [], tags=["hn:price", "hn:denied-error"], prices=[("SlimMeter Hub", 99, "ok")])
    C("reddit", "u/pv_pieter", "en",
      "Quote for the Solar Pack 8 came in at €4,650 incl. installation. Fair, or should I haggle?",
      [], tags=["hn:price", "hn:question"], prices=[("Solar Pack 8", 4650, "ok")])
    C("x", "@laadpaalvragen", "nl",
      "Klopt het dat de installatiekosten van de Lumen Laadpaal €79 zijn als je al een groep vrij hebt?",
      [], tags=["hn:price", "hn:fee"], prices=[("Lumen Laadpaal", 79, "fee")])
    C("x", "@vergelijkvera", "en",
      "Coolblue has a Galaxy A-series for €189 while Spark's Nova 5G is €449. Anyone used both?",
      [], tags=["hn:price", "hn:other-brand"], prices=[("Nova 5G", 449, "ok")])
    # --- embargo terms after the embargo
    C("x", "@sparkmobiel", "nl",
      "Hij is er: Spark Unlimited Max! Onbeperkt 5G zonder afknijpen. Alles op sparkmobiel.nl/max 🚀",
      [], tags=["hn:embargo-after"], when="2026-09-15T08:00:00Z")
    C("x", "@zonnepanelenzoe", "en",
      "Had the Lumen Thuisbatterij installed last week. The app is slick and it already shaved a bit off our evening peak.",
      [], tags=["hn:embargo-after", "hn:praise"], when="2026-10-03T10:21:55+02:00")
    C("x", "@beursnieuwsnl", "nl",
      "Lumen Spark Groep publiceert jaarcijfers 2026: omzet +4%, telecomtak groeit het hardst.",
      [], tags=["hn:embargo-after", "hn:published-results"], when="2027-03-04T08:15:00+01:00")
    C("linkedin", "lisa-moerman-analyst", "en",
      "Spent the morning reading Lumen Spark Groep's FY2026 results. Solid growth in telecom, energy margins flat.",
      [], tags=["hn:embargo-after", "hn:published-results"], when="2027-03-10T09:40:12+01:00")
    C("linkedin", "lumen-spark-groep", "nl",
      "Vandaag publiceren wij onze jaarcijfers 2026. Lees het volledige verslag op lumenspark.nl/investors.",
      [], tags=["hn:embargo-after", "hn:published-results"], when="2027-03-04T07:45:00+01:00")
    C("threads", "@lumen.energie", "nl",
      "De tariefronde 2027 is bekend: voor de meeste klanten blijft het vastrecht gelijk. Check je nieuwe "
      "termijnbedrag in de app.",
      [], tags=["hn:embargo-after"], when="2027-04-01T10:00:00+02:00")
    # --- codename words in their ordinary sense
    C("instagram", "@wadfotograaf", "nl",
      "Noorderlicht gezien boven de Afsluitdijk vannacht 😍 #noorderlicht #auroraborealis",
      [], tags=["hn:codename-word"], when="2026-10-11T23:40:00+02:00")
    C("x", "@papa_knutselt", "en",
      "Built a zonnewijzer (a sundial!) with the kids this weekend. Dutch word of the day.",
      [], tags=["hn:codename-word"])
    C("forum", "tuinman_ad", "nl",
      "Onze oude zonnewijzer in de tuin loopt een uur achter in de zomertijd, haha. De panelen van Lumen op het "
      "dak lopen gelukkig prima.",
      [], tags=["hn:codename-word", "hn:praise"])
    C("x", "@inverter_iris", "en",
      "Named my new solar inverter 'Helios' 😎 the Lumen installers were great btw",
      [], tags=["hn:codename-word", "hn:praise"])
    # --- published results, other companies' breaches / layoffs, official notices
    C("linkedin", "energiemarkt-weekly", "nl",
      "Lumen Spark Groep publiceerde vandaag de halfjaarcijfers: omzet €1,9 miljard, nettowinst licht gestegen.",
      [], tags=["hn:published-results"], when="2026-08-06T07:30:00Z")
    C("x", "@telecomtoby", "en",
      "Another telco breach: Telvia lost data of 2 million customers. Glad I'm with Spark Mobiel.",
      [], tags=["hn:other-company"])
    C("x", "@nieuwsjunk_nl", "nl",
      "Concurrent Greenwatt schrapt 300 banen, las ik net. Zware tijden voor energieleveranciers.",
      [], tags=["hn:other-company"])
    C("x", "@sparkmobiel", "nl",
      "Storing opgelost ✅ Sinds 14:10 werkt mobiel internet in Noord-Holland weer normaal. Excuses voor het ongemak.",
      [], tags=["hn:official-notice"])
    C("threads", "@lumen.energie", "en",
      "Planned maintenance: the Lumen app will be unavailable on Sunday between 02:00 and 04:00. Thanks for your patience!",
      [], tags=["hn:official-notice"])
    # --- boycott / recall / storing / crash in other senses
    C("x", "@thuisaccu_tom", "en",
      "Storing solar energy in a home battery really pays off in winter. Did the maths against my Lumen contract.",
      [], tags=["hn:other-sense"])
    C("x", "@dewi_k", "en",
      "I honestly can't recall when I switched to Spark Mobiel. Must be five years, never had a problem.",
      [], tags=["hn:other-sense", "hn:praise"], hint=None)
    C("facebook", "bieb.zwolle", "nl",
      "Crashcursus zonnepanelen in de bibliotheek gisteravond. De mensen van Lumen gaven een heldere uitleg, dank!",
      [], tags=["hn:other-sense", "hn:praise"], kind="post", display="Bibliotheek Zwolle")
    C("x", "@forens_femke", "nl",
      "Verkeersstoring op de A12 dus ik was een half uur te laat, maar de Lumen-monteur wachtte gewoon even. Top!",
      [], tags=["hn:other-sense", "hn:praise"])
    C("x", "@pietervolt", "nl",
      "De beurs crasht, maar mijn zonnepanelen van Lumen draaien gewoon door ☀️",
      [], tags=["hn:other-sense"], hint=None)
    # --- negated complaints
    C("facebook", "wilma.denhartog", "nl",
      "Geen klachten over Lumen hier. Vier jaar klant en nooit een storing gehad.",
      [], tags=["hn:negated-complaint"], kind="comment")
    C("x", "@modemmaarten", "en",
      "Not a single issue with my Modem X6 since the install. Can't complain.",
      [], tags=["hn:negated-complaint"])
    C("threads", "@joycevdb", "nl",
      "Snap niet waarom iedereen zo over Spark klaagt, bij mij werkt alles gewoon prima.",
      [], tags=["hn:negated-complaint"], hint="en")
    # --- quotes, lyrics, mild words, literal sense
    C("x", "@lyricloop", "en",
      "'Damn, it feels good to be a gangsta' blasting in the car because Lumen finally refunded me. Small wins.",
      [], tags=["hn:lyric"])
    C("facebook", "mieke.ruiters", "nl",
      "Mijn moeder heeft kanker en Lumen heeft haar contract zonder gedoe kosteloos ontbonden toen ze naar het "
      "hospice ging. Dank jullie wel.",
      [], tags=["hn:literal-sense", "hn:praise"], kind="post")
    C("x", "@dadjokes_dirk", "en",
      "My dad: 'the bloody meter man always turns up when I'm in the shower.' The SlimMeter Hub solved that one.",
      [], tags=["hn:quote"])
    # --- praise, neutral questions, ordinary insider posts
    C("x", "@woonboot_wim", "nl",
      "Shoutout naar de monteur van Lumen die vandaag onze warmtepomp kwam installeren. Super netjes gewerkt.",
      [], tags=["hn:praise"])
    C("reddit", "u/esimcurious", "en",
      "Does Spark Mobiel support eSIM on the Nova 5G? Thinking of switching over from prepaid.",
      [], tags=["hn:question"])
    C("forum", "vastofvariabel", "en",
      "What's the actual difference between Lumen's Vooruit 12 and a normal monthly contract? Just paying upfront?",
      [], tags=["hn:question"])
    C("x", "@mijnlumenvraag", "nl",
      "Wachtwoord vergeten voor Mijn Lumen, waar kan ik dat resetten? Via mijn.lumenenergie.nl zie ik het niet.",
      [], tags=["hn:question", "hn:password-word"])
    C("linkedin", "yasmina-bouzid", "nl",
      "Wij zoeken vijf nieuwe collega's voor het team in Zwolle! Solliciteer via werkenbij@lumenspark.nl 💼",
      [], tags=["hn:own-contact", "hn:insider-benign"])
    C("x", "@koen_dev_spark", "nl",
      "Les van vandaag voor de juniors: nooit je .env committen. Gebruik placeholders zoals "
      "API_KEY=<jouw-key-hier> of AKIAXXXXXXXXXXXXXXXX.",
      [], tags=["hn:placeholder", "hn:insider-benign"])
    C("threads", "@dewi_noc", "nl",
      "Rustige nachtdienst, netwerk stabiel, koffie goed ☕",
      [], tags=["hn:insider-benign"])
    C("x", "@mvanleeuwen_lumen", "en",
      f"Today's release went out clean, tagged at commit {sha_hex(40)}. Thanks to everyone who tested!",
      [], tags=["hn:git-sha", "hn:insider-benign"])
    C("threads", "@lumen.energie", "nl",
      f"Nieuwe firmware voor de SlimMeter Hub (v3.2.1) staat klaar. Controleer de download met sha256 {sha_hex(64)}.",
      [], tags=["hn:checksum-hash"])
    C("tiktok", "@jorisbijlumen", "nl",
      "Zo hangt een monteur een Laadpaal Home op in vijf stappen ⚡ (laat het altijd door een erkende installateur doen!)",
      [], tags=["hn:insider-benign"])
    C("x", "@devrel_daan", "en",
      "TIL GitHub tokens that start with ghp_ get revoked automatically when pushed to a public repo. Neat.",
      [], tags=["hn:bare-prefix"])


# ---------------------------------------------------------------- severity
def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".lower()
    for r in ("corporate", "employee"):
        if key in (a.lower() for a in profile["accounts"][r]):
            return r
    return "public"

def severity_for(cats, role, has_checksum_id):
    insider = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 4 if c in (SEC, PRC) or (c == PII and has_checksum_id) else 3
            else:
                s = 2
        elif c == CMP:
            s = 2
        elif c == CRI:
            s = 3
        elif c == ABU:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        best = max(best, s)
    return SEV[best]

# ---------------------------------------------------------------- render
def render(profile):
    rows, meta = [], []
    wrong = {"nl": "en", "en": "nl"}
    for c in CASES:
        pid, url = post_id_url(c["platform"], c["handle"])
        when = c["when"] or rand_time()
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind == "?":
            kind = rng.choice(["post", "post", None])
        if kind:
            post["kind"] = kind
        acc = {"handle": c["handle"]}
        if rng.random() < 0.6:
            acc["id"] = rs(rng.choice([9, 11, 12]), D)
        if c["display"]:
            acc["display_name"] = c["display"]
        post["account"] = acc
        post["text"] = c["text"]
        hint = c["hint"]
        if hint == "=":
            hint = c["lang"] if rng.random() >= 0.09 else None
        if hint is not None:
            post["lang"] = hint
        post["created_at"] = when
        if c["url"] and rng.random() < 0.85:
            post["url"] = url
        brand = c["brand"]
        if brand == "?":
            low = (c["text"] + " " + c["handle"]).lower()
            brand = "spark-mobiel" if "spark" in low else "lumen-energie"
            if rng.random() < 0.25:
                brand = None
        if brand:
            post["brand"] = brand
        role = role_of(profile, c["platform"], c["handle"])
        has_id = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
        expect = {"categories": c["cats"], "severity": severity_for(c["cats"], role, has_id)}
        rows.append({"post": post, "expect": expect})
        meta.append(dict(c, role=role, created_at=when, id=pid))
    return rows, meta

# ---------------------------------------------------------------- validation
COUNTRY_LEN = {"NL": 18, "BE": 16, "DE": 22, "GB": 22}
SECRET_RES = [r"AKIA[A-Z2-7]{16}", r"ghp_[A-Za-z0-9]{36}", r"glpat-[A-Za-z0-9_-]{20}", r"xox[bp]-\d+-\d+-\w+",
              r"sk_live_\w{20,}", r"\blive_[A-Za-z0-9]{30}\b", r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{90,}",
              r"AIza[\w-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+",
              r"\bAC[0-9a-f]{32}\b", r"hooks\.slack\.com/services/", r"://[^/\s:@]+:[^@\s]+@"]
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MONEY_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|EUR)\b", re.I)

def parse_amount(s):
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        th = "." if dec == "," else ","
        return float(s.replace(th, "").replace(dec, "."))
    for sep in ",.":
        if sep in s:
            head, _, tail = s.rpartition(sep)
            if len(tail) == 3:                      # €4.950 / €4,650: thousands separator
                return float(s.replace(sep, ""))
            return float(head.replace(sep, "") + "." + tail)   # €44,90 / €4.49: decimals
    return float(s)

def norm_digits(s):
    return re.sub(r"\D", "", s)

def validate(rows, meta, profile):
    errs = []
    own_ibans = {i.upper() for i in profile["public_identifiers"]["ibans"]}
    own_emails = {e.lower() for e in profile["public_identifiers"]["emails"]}
    own_phone_digits = {norm_digits(p) for p in profile["public_identifiers"]["phones"]}
    for i in profile["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append(f"profile IBAN {i} fails mod-97")
    ratio = profile["pricing"]["alert_below_ratio"]
    alias_price = {}
    for p in profile["products"]:
        for a in [p["name"]] + p["aliases"]:
            alias_price[a.lower()] = p["list_price"]
    emb = [(t.lower(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codes = [c.lower() for c in profile["internal"]["codenames"]]
    markers = [m.lower() for m in profile["internal"]["markers"]]
    idoms = [d.lower() for d in profile["internal"]["domains"]]
    seen = set()
    for row, m in zip(rows, meta):
        post, exp, t = row["post"], row["expect"], m["text"]
        low = t.lower()
        tag = f"[{post['id']}] {t[:50]!r}"
        if post["id"] in seen:
            errs.append(f"{tag}: duplicate id")
        seen.add(post["id"])
        for c in exp["categories"]:
            if c not in CATS:
                errs.append(f"{tag}: unknown category {c}")
        if exp["categories"] != sorted(set(exp["categories"])):
            errs.append(f"{tag}: categories not sorted/unique")
        has_id = any(k in ("iban", "card", "bsn") for k, _ in m["ids"])
        if exp["severity"] != severity_for(exp["categories"], m["role"], has_id):
            errs.append(f"{tag}: severity mismatch")
        if not exp["categories"] and exp["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        if len(t.encode()) > 65536:
            errs.append(f"{tag}: text too large")
        parse_ts(post["created_at"])
        # declared checksum identifiers
        if m["ids"] and PII not in exp["categories"]:
            errs.append(f"{tag}: identifiers declared on a non-pii case")
        for kind, val in m["ids"]:
            if val not in t:
                errs.append(f"{tag}: identifier {val} not in text")
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if not ok:
                errs.append(f"{tag}: {kind} {val} fails its checksum")
            if kind == "iban" and re.sub(r"\s", "", val).upper() in own_ibans:
                errs.append(f"{tag}: own IBAN used as a leak")
        # secrets: ghp checksum; no secret-shaped strings outside leak.secret
        for tok in re.findall(r"ghp_[A-Za-z0-9]{36}", t):
            if not ghp_ok(tok):
                errs.append(f"{tag}: ghp token checksum wrong")
        if SEC not in exp["categories"]:
            for rx in SECRET_RES:
                if any(not re.fullmatch(r"AKIAX+", x.group(0)) for x in re.finditer(rx, t)):
                    errs.append(f"{tag}: secret-shaped string /{rx}/ in a non-secret case")
        # embargo, codenames, markers, internal hosts -> leak.confidential
        ts = parse_ts(post["created_at"])
        for term, until in emb:
            if term in low and ts < until and CON not in exp["categories"]:
                errs.append(f"{tag}: embargoed term '{term}' before {until} without leak.confidential")
        for cn in codes:
            if cn in low and CON not in exp["categories"]:
                errs.append(f"{tag}: codename without leak.confidential")
        for mk in markers:
            if mk in low and CON not in exp["categories"]:
                errs.append(f"{tag}: marker without leak.confidential")
        for dom in idoms:
            if re.search(r"(?<![\w-])(?:[\w-]+\.)*" + re.escape(dom) + r"\b", low) and CON not in exp["categories"]:
                errs.append(f"{tag}: internal host without leak.confidential")
        # look-alike personal identifiers outside leak.pii must fail / be our own
        if PII not in exp["categories"]:
            for mm in re.finditer(r"\b([A-Za-z]{2})(\d{2})((?:\s?[A-Za-z0-9]){10,30})", t):
                cc = mm.group(1).upper()
                if cc in COUNTRY_LEN:
                    comp = re.sub(r"\s", "", mm.group(0)).upper()[:COUNTRY_LEN[cc]]
                    if iban_ok(comp) and comp not in own_ibans:
                        errs.append(f"{tag}: valid foreign IBAN {comp} outside leak.pii")
            for mm in re.finditer(r"(?<![\d])\d(?:[ .-]?\d){7,18}(?![\d])", t):
                d = norm_digits(mm.group(0))
                if d in own_phone_digits or any(d in o or o in d for o in own_phone_digits if len(d) >= 7):
                    continue
                if 13 <= len(d) <= 19 and luhn_ok(d):
                    errs.append(f"{tag}: Luhn-valid number {d} outside leak.pii")
                if len(d) in (8, 9) and bsn_ok(d):
                    errs.append(f"{tag}: 11-proof-valid number {d} outside leak.pii")
            for em in EMAIL_RE.finditer(t):
                e = em.group(0)
                if re.search(r"://\S*$", t[:em.start()]):   # user:password@host of a connection string
                    continue
                if e.lower() not in own_emails:
                    errs.append(f"{tag}: e-mail {e} outside leak.pii")
            if re.search(r"(?<!\d)(?:\+31|0031|\(?0)\s?\(?6\)?[\s-]?\d", t):
                errs.append(f"{tag}: mobile-looking number outside leak.pii")
        # pricing
        for alias, amount, mode in m["prices"]:
            lp = alias_price.get(alias.lower())
            if lp is None:
                errs.append(f"{tag}: unknown product alias {alias}")
                continue
            if mode == "leak" and not amount < ratio * lp:
                errs.append(f"{tag}: price {amount} not below {ratio}x{lp}")
            if mode == "ok" and amount < ratio * lp:
                errs.append(f"{tag}: 'ok' price {amount} is below {ratio}x{lp}")
            if mode == "leak" and PRC not in exp["categories"]:
                errs.append(f"{tag}: leak price without leak.pricing")
        if PRC not in exp["categories"]:
            present = [a for a in alias_price if a in low]
            declared = {(a.lower(), float(x)) for a, x, _ in m["prices"]}
            for mm in MONEY_RE.finditer(t):
                amt = parse_amount(mm.group(1) or mm.group(2))
                for a in present:
                    if amt < ratio * alias_price[a] and not any(abs(amt - x) < 1e-6 for _, x in declared):
                        errs.append(f"{tag}: amount {amt} near '{a}' below ratio, undeclared")
        if "prijsfout" in low.replace(" ", "") or "price error" in low or "price glitch" in low:
            if PRC not in exp["categories"] and "hn:denied-error" not in m["tags"]:
                errs.append(f"{tag}: price-error talk without leak.pricing")
        if not exp["categories"] and not any(x.startswith("hn:") for x in m["tags"]):
            errs.append(f"{tag}: benign case without a hard-negative tag")
        if EV in m["tags"] and not exp["categories"]:
            errs.append(f"{tag}: evasion tag on a benign case")
    return errs

# ---------------------------------------------------------------- stats
def stats(rows, meta):
    out = []
    n = len(rows)
    ben = sum(1 for r in rows if not r["expect"]["categories"])
    multi = sum(1 for r in rows if len(r["expect"]["categories"]) > 1)
    ev = sum(1 for m in meta if EV in m["tags"])
    lang = Counter(m["lang"] for m in meta)
    out.append(f"cases {n}: positives {n - ben}, benign {ben} ({100 * ben / n:.0f}%), multi-category {multi}, "
               f"evasion {ev}")
    out.append(f"language: nl {lang['nl']} ({100 * lang['nl'] / n:.0f}%), en {lang['en']}; "
               f"lang hint missing {sum(1 for r in rows if 'lang' not in r['post'])}, "
               f"wrong {sum(1 for r, m in zip(rows, meta) if 'lang' in r['post'] and r['post']['lang'] != m['lang'])}")
    out.append("roles: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(m['role'] for m in meta).items())))
    out.append("severity: " + ", ".join(f"{s} {Counter(r['expect']['severity'] for r in rows)[s]}" for s in SEV))
    for c in CATS:
        sel = [(r, m) for r, m in zip(rows, meta) if c in r["expect"]["categories"]]
        lc = Counter(m["lang"] for _, m in sel)
        rc = Counter(m["role"] for _, m in sel)
        out.append(f"  {c:22s} {len(sel):3d}  nl {lc['nl']:2d} en {lc['en']:2d}  corp {rc['corporate']:2d} "
                   f"emp {rc['employee']:2d} pub {rc['public']:2d}  evasion {sum(1 for _, m in sel if EV in m['tags'])}")
    out.append("platforms: " + ", ".join(f"{k} {v}" for k, v in Counter(r['post']['platform'] for r in rows).most_common()))
    return "\n".join(out)

def main():
    with open(PROFILE, encoding="utf-8") as f:
        profile = yaml.safe_load(f)
    build()
    rows, meta = render(profile)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    errs = validate(rows, meta, profile)
    n = len(rows)
    if not 150 <= n <= 200:
        errs.append(f"case count {n} outside 150-200")
    for c in CATS:
        k = sum(1 for r in rows if c in r["expect"]["categories"])
        if k < 10:
            errs.append(f"category {c} has only {k} positives")
    if "--check" in sys.argv:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != data:
                errs.append("cases.jsonl differs from a fresh build; run make_cases.py")
    else:
        with open(OUT, "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
    # re-read the written file and re-validate what a consumer would see
    with open(OUT, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            obj = json.loads(line)
            assert set(obj) == {"post", "expect"}, ln
            for k in ("id", "platform", "account", "text", "created_at"):
                assert k in obj["post"], (ln, k)
    if "--stats" in sys.argv or "--check" not in sys.argv:
        print(stats(rows, meta))
    if errs:
        print("\n".join("ERROR " + e for e in errs), file=sys.stderr)
        sys.exit(1)
    print(f"OK: {n} cases validated ({OUT})")

if __name__ == "__main__":
    main()
