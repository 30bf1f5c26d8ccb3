#!/usr/bin/env python3
"""Build the labelled evaluation set sealed339 (Veldstraal Connect N.V.).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Post texts are hand-written; placeholders written as «NAME» are filled
with freshly generated values (valid IBANs/cards/BSNs for positives, checksum-failing
look-alikes for negatives, credentials built the way the real ones are).

Writes cases.jsonl next to this file and then checks it:
  * every line follows CONTRACT section 6 (post shape, categories, severities);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN in a pii positive passes its checksum, every look-alike
    elsewhere fails it; generated tokens carry their checksums;
  * embargo terms, codenames and prices agree with the labels.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import struct
import sys
import zlib

import yaml

SEED = 339
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # base-62 digit order used by GitHub token checksums
URLSAFE = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rchars(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rdigits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


# --------------------------------------------------------------------- checksums
def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------- generators
BANKS = ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban_compact():
    bank = rng.choice(BANKS)
    acct = rdigits(10)
    return "NL" + iban_check_digits("NL", bank + acct) + bank + acct


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def gen_iban_bad():
    good = gen_iban_compact()
    last = str((int(good[-1]) + 3) % 10)
    return good[:-1] + last


def gen_iban_swap():
    while True:
        good = gen_iban_compact()
        acct = list(good[8:])
        i = rng.randrange(0, 9)
        if acct[i] != acct[i + 1]:
            acct[i], acct[i + 1] = acct[i + 1], acct[i]
            return good[:8] + "".join(acct)


def gen_card(prefix, length=16):
    body = prefix + rdigits(length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def gen_card_bad():
    good = gen_card("4")
    return good[:-1] + str((int(good[-1]) + 5) % 10)


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8))
        last = s % 11
        if last <= 9:
            cand = "".join(map(str, d)) + str(last)
            if bsn_ok(cand):
                return cand


def gen_bsn_bad():
    good = gen_bsn()
    return good[:-1] + str((int(good[-1]) + 4) % 10)


def gen_ghp(prefix="ghp_"):
    body = rchars(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "svc-coverage", "role": "noc-admin", "iss": "auth.veldstraal",
               "iat": 1767312000 + rng.randrange(0, 10 ** 7)}
    payload["exp"] = payload["iat"] + 3600
    h = b64u(json.dumps(header, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64u(sig)


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def gen_ssh_body():
    pub = bytes(rng.randrange(256) for _ in range(32))
    priv = bytes(rng.randrange(256) for _ in range(32)) + pub
    pubblob = sshstr(b"ssh-ed25519") + sshstr(pub)
    check = struct.pack(">I", rng.getrandbits(32))
    sec = check + check + sshstr(b"ssh-ed25519") + sshstr(pub) + sshstr(priv) + sshstr(b"ruben@vs-laptop")
    pad = 1
    while len(sec) % 8:
        sec += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + struct.pack(">I", 1) + sshstr(pubblob) + sshstr(sec))
    b = base64.b64encode(blob).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


GEN = {
    "IBAN": gen_iban_compact,
    "IBAN_SP": lambda: spaced(gen_iban_compact()),
    "IBAN_BAD_SP": lambda: spaced(gen_iban_bad()),
    "IBAN_SWAP": gen_iban_swap,
    "CARD_VISA": lambda: spaced(gen_card("4")),
    "CARD_MC": lambda: gen_card(rng.choice(["51", "52", "53", "54", "55"])),
    "CARD_BAD": lambda: spaced(gen_card_bad()),
    "BSN": gen_bsn,
    "BSN_DOT": lambda: (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn()),
    "MOB": lambda: "06-" + rdigits(8),
    "MOB_SP": lambda: (lambda d: "06 " + d[:4] + " " + d[4:])(rdigits(8)),
    "MOB_INTL": lambda: (lambda d: "+31 6 " + d[:4] + " " + d[4:])(rdigits(8)),
    "MOB_INTL_NOSP": lambda: "+316" + rdigits(8),
    "MOB_FW": lambda: fullwidth("06-" + rdigits(8)),
    "GHP": gen_ghp,
    "AWS_ID": lambda: "AKIA" + rchars(B32, 16),
    "AWS_SECRET": lambda: rchars(ALNUM + "/+", 40),
    "SENDGRID": lambda: "SG." + rchars(URLSAFE, 22) + "." + rchars(URLSAFE, 43),
    "SLACK": lambda: "xoxb-" + rdigits(12) + "-" + rdigits(13) + "-" + rchars(ALNUM, 24),
    "OPENAI": lambda: "sk-proj-" + rchars(URLSAFE, 64) + "T3BlbkFJ" + rchars(URLSAFE, 64),
    "STRIPE": lambda: "sk_live_51" + rchars(ALNUM, 97),
    "GOOGLE": lambda: "AIza" + rchars(URLSAFE, 35),
    "TELEGRAM": lambda: str(rng.randint(6000000000, 7999999999)) + ":AA" + rchars(URLSAFE, 33),
    "GLPAT": lambda: "glpat-" + rchars(URLSAFE, 20),
    "DBPASS": lambda: rchars(ALNUM, 10) + "!" + rchars(ALNUM, 5),
    "JWT": gen_jwt,
    "SSHBODY": gen_ssh_body,
}


def fill(text):
    return re.sub(r"«(\w+)»", lambda m: GEN[m.group(1)](), text)


# --------------------------------------------------------------------- labels
CPL = "reputation.complaint"
CRI = "reputation.crisis"
ABU = "reputation.abuse"
SECR = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"

ZW = "\u200b"
CYR_BOYCOT = "\u0412\u043e\u0443\u0441\u043et"              # Вoусоt with Cyrillic letters
CYR_VELD = "V\u0435ldstr\u0430\u0430l"                       # Vеldstrааl with Cyrillic е, а

# (platform, handle, kind, lang, categories, text, created_at or None)
CASES = [
    # ================================================================ benign
    ("x", "@veldstraal", "post", "nl", [],
     "Update 14:20 — de storing in Zuidoost-Drenthe is verholpen. Dank voor jullie geduld! Actuele info vind je altijd op status.veldstraal.nl 📡", None),
    ("x", "@veldstraal_help", "reply", "nl", [],
     "@gerdien_k Vragen over je factuur? Mail ons op klantenservice@veldstraal.nl of bel gratis 0800 8353, ma t/m za 8-20u.", None),
    ("facebook", "VeldstraalConnect", "post", "nl", [],
     "Liever zelf overmaken dan automatische incasso? Kan prima: NL93 RABO 0347 1125 90 t.n.v. Veldstraal Connect N.V., o.v.v. je klantnummer.", None),
    ("x", "@boerderij_hilde", "post", "nl", [],
     "Eindelijk fatsoenlijk internet op de boerderij 🐄📡 80 Mbit in the middle of nowhere, dank je Veldstraal!", None),
    ("reddit", "u/quietcabin_nl", "post", "en", [],
     "Quick q: does the StraalBox 5 do WPA3, and can I put it in bridge mode behind my own router? Manual is a bit vague on that.", None),
    ("instagram", "@veldstraal.nl", "post", "nl", [],
     "Winteractie ❄️ De StraalBox 5 nu voor €159 (normaal €189). Alleen deze week in de webshop! #veldstraal", None),
    ("x", "@outbackjoris", "post", "en", [],
     "Big satellite outage at one of the US players this morning, half my feed was losing it. Meanwhile my Veldstraal dish didn't even blink 😎", None),
    ("linkedin", "yusuf-demir-rf", "post", "en", [],
     "Great discussion at the ESA workshop on rain-fade mitigation in Ka-band. Our slides are on the conference site, happy to chat about the measurements.", None),
    ("reddit", "u/sat_sander", "comment", "en", [],
     "If you're following the AWS CLI tutorial, use the docs' placeholders AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and never paste your real keys in here 🙃", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [],
     "Friendly reminder for everyone writing runbooks: if you must show a token, redact it like ghp_****************************9fQk. Reviewers will bounce anything else.", None),
    ("forum", "@tinyhouse_tessa", "post", "nl", [],
     "Wachtwoord vergeten van mijn.veldstraal.nl? Onderaan het inlogscherm staat 'reset', binnen twee minuten had ik een nieuwe link. Scheelt bellen.", None),
    ("x", "@pietjepost_", "post", "nl", [],
     "Gisteren nog boos getweet over de storing, vanochtend om 8 uur stond er een monteur op de stoep en alles doet het weer. Chapeau @veldstraal_help 👏", None),
    ("facebook", "Marijke.Wubbels", "post", "nl", [],
     "Sterkte aan alle Veldstraal-monteurs die vannacht in deze storm de masten overeind houden 💪 jullie zijn helden", None),
    ("x", "@rikdevries88", "post", "nl", [],
     "De StraalBox 6 is binnen!! Wifi 7 en de app is eindelijk snel. Upgrade meer dan waard 👌", "2027-03-20T18:42:10Z"),
    ("x", "@ruralnerd_eu", "post", "en", [],
     "Veldstraal's jaarcijfers 2026 are out: revenue +18% and a first positive EBITDA. Not bad for a rural ISP.", "2027-03-02T09:15:00Z"),
    ("linkedin", "veldstraal-connect", "post", "en", [],
     "Meet the VeldSat Orbit 🛰️ our smallest dish ever — fits in a backpack and is available from today at shop.veldstraal.nl.", "2027-03-16T08:00:00Z"),
    ("reddit", "u/skeptic_ads", "post", "en", [],
     "Scam warning: got a fake 'Veldstraal' invoice in the mail asking me to pay €89,95 to «IBAN_BAD_SP». Their real bank details are on their own website. Don't pay!", None),
    ("x", "@kabeltrui_", "post", "nl", [],
     "Besteld: een Sneeuwkap, ordernummer «CARD_BAD». Hoe snel wordt zoiets meestal verzonden? Eerste keer dat ik bij jullie bestel 🙂", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "nl", [],
     "Collega's die de nieuwe onboarding testen: gebruik als dummy-BSN gewoon 123456789. Die komt nooit door de elfproef, dus er kan niks misgaan.", None),
    ("forum", "@vogelaar_ellen", "post", "nl", [],
     "Vanochtend honderden kraanvogels boven het veld, prachtig gezicht vanaf het dak waar onze schotel staat 🐦📡", None),
    ("x", "@oldtimer_wim", "post", "nl", [],
     "Weet je nog, inbellen met 56k hier op het platteland? Sinds Veldstraal is het dorpsleven echt veranderd.", None),
    ("x", "@doehetzelf_dirk", "post", "nl", [],
     "Handige hack: zet je Dish Mini op een paal van 2 meter, scheelt een hoop bomen in beeld 👌 #veldstraal", None),
    ("reddit", "u/ardennes_cabin", "post", "en", [],
     "Veldstraal vs the 4G guys for a cabin? Sat 100 looks fine on paper at €59.95/mo and the dish is a one-off cost.", None),
    ("youtube", "@VeldstraalTV", "post", "en", [],
     "New video 🔧 How to fit the VeldSat Dakbeugel yourself in 20 minutes — tools, torque and the one mistake everyone makes.", None),
    ("tiktok", "@camping_carla", "post", "nl", [],
     "POV: oma videobelt vanaf de camping in Zweden dankzij de Roam kit 🥹📡", None),
    ("x", "@snowyschuur", "post", "nl", [],
     "Er ligt meer sneeuw op m'n schotel dan op m'n auto haha. Sneeuwkap besteld, opgelost ❄️", None),
    ("x", "@veldstraal", "post", "nl", [],
     "Gepland onderhoud: zondag 02:00–04:00 kan je verbinding in de regio Twente kort wegvallen. We houden je op de hoogte via status.veldstraal.nl.", None),
    ("bluesky", "@mirthe.bsky.social", "post", "en", [],
     "Kabelnet Oost announced 200 layoffs today. Really hope that doesn't hit the rural maintenance crews.", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "en", [],
     "Proud to present our published half-year results at the investor day in Amsterdam today. Full report and webcast on veldstraal.nl/investors.", None),
    ("x", "@famkedekker", "reply", "nl", [],
     "@veldstraal_help dank voor de snelle reactie! Nieuwe StraalBox komt morgen, top geregeld 👍", None),
    ("instagram", "@monteur.kees", "post", "nl", [],
     "Uitzicht vanaf het werk vandaag 😍 zon, wolken en een schotel die perfect op de satelliet staat #monteursleven #groningen", None),
    ("tiktok", "@lotte.veldwerk", "post", "nl", [],
     "dag in het leven van een planner ☕📞🗺️ vandaag 60 afspraken rondgepuzzeld en iedereen heeft koffie gehad", None),
    ("forum", "@anton_vk", "post", "en", [],
     "Is the Dish Pro actually worth the extra money over the Dish Mini for a farmhouse with a few trees around? Curious what people here went with.", None),
    ("x", "@bram_noc", "post", "en", [],
     "NOC pro tip after 10 years: if the dashboard is green but the group chat is red, trust the group chat 😂", None),
    ("x", "@heidi_h_nl", "post", "en", [],
     "Not sponsored, but the Veldstraal helpdesk guy today was patient as hell with my 80-year-old dad. Respect 🙌", None),
    ("facebook", "Gert.Jan.Oosting", "post", "nl", [],
     "Wat een gruwelijk goede verbinding, echt belachelijk snel voor hier achter de dijk 😂", None),
    ("reddit", "u/kleinwonen", "post", "nl", [],
     "Iemand ervaring met het ZonPakket 200W voor een tiny house? Webshop zegt €279, is dat incl. installatie of komt dat er nog bij?", None),
    ("linkedin", "veldstraal-connect", "post", "nl", [],
     "Vacature: NOC engineer (m/v/x) in Assen 🛰️ Zin om het platteland online te houden? Solliciteer via careers@veldstraal.nl", None),
    ("x", "@joostvanzuid", "reply", "nl", [],
     "@dorpsgenoot_ Storing? Bij mij alles prima hoor, net 70 Mbit gemeten. Misschien je eigen router even herstarten?", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [],
     "Our new campaign 'Internet voor iedereen, overal' is live 📡 Tell me honestly what you think!", None),
    ("x", "@nadia_k_", "post", "en", [],
     "Turns out the 'security breach' I was panicking about was me leaving my wifi open without a password 🤦‍♀️ changed it, all good, not Veldstraal's fault", None),
    ("mastodon", "@jwtjan@mastodon.nl", "post", "en", [],
     "JWT tip: the 'eyJhbGciOi' prefix you see everywhere is just base64 for '{\"alg\":' — nothing magic. Still, never paste a full token anywhere.", None),
    ("x", "@veldstraal_help", "post", "en", [],
     "Our phone lines are extra busy because of the storm. Call +31 85 303 4400 or use the chat on veldstraal.nl — we'll get to everyone 💙", None),
    ("x", "@caravan_gerda", "post", "nl", [],
     "VeldSat Orbit besteld voor de caravan! Kan niet wachten om ermee naar Frankrijk te gaan 🚐", "2027-03-18T12:05:33Z"),
    ("facebook", "Anneke.Smit.Ulrum", "post", "en", [],
     "Sad news, our village shop closed for good today 😢 at least Veldstraal still brings us the world", None),
    ("x", "@tom_ijsselmuiden", "reply", "nl", [],
     "@veldstraal_help wat kost een losse StraalRepeater AX? Is toch €69?", None),
    ("linkedin", "yusuf-demir-rf", "post", "nl", [],
     "Morgen spreek ik op de Dag van het Platteland in Zwolle over digitale inclusie. Kom gerust langs bij de stand!", None),
    ("reddit", "u/overstapper", "post", "en", [],
     "Setting up the direct debit and the form kept rejecting my IBAN «IBAN_SWAP». Turns out I swapped two digits 🤦 fixed now", None),
    ("x", "@sat_liefhebber", "post", "nl", [],
     "ｖｅｌｄｓｔｒａａｌ ｆｏｒ ｔｈｅ ｗｉｎ 📡 eindelijk kan ik streamen op de boerderij", None),
    ("tiktok", "@stormchaser_sjoerd", "post", "en", [],
     "kill me 😂 storm knocked my dish sideways AGAIN, realigned it myself in 5 min with the app though", None),
    ("x", "@kleindochter_anouk", "post", "nl", [],
     "Mijn opa (89) heeft nu ook internet via Veldstraal en stuurt me elke ochtend een foto van de zonsopgang 🥰", None),
    ("tiktok", "@veldstraal", "post", "nl", [],
     "Hoe richt je je schotel uit? 🎯 In 30 seconden uitgelegd, met de kompasfunctie in de app.", None),
    ("forum", "@regelneef_rob", "post", "nl", [],
     "Weet iemand of die ACM-uitspraak over Glasnet Zuid ook gevolgen heeft voor satellietproviders zoals Veldstraal?", None),
    ("reddit", "u/honest_reviews_eu", "post", "en", [],
     "Sat 250 review after 6 months: fast during the day, evenings a bit slower but still fine for 4K Netflix. 8/10 would recommend.", None),
    ("reddit", "u/sat_sander", "comment", "en", [],
     "For the thread, here's the shape of the config with everything sensitive stripped: DATABASE_URL=postgres://<user>:<password>@localhost:5432/app", None),
    ("x", "@lars_offgrid", "post", "nl", [],
     "haha de reclame van Veldstraal zegt 'moordende snelheid' en voor één keer liegt een reclame niet", None),
    ("instagram", "@zonsondergang_zoe", "post", "nl", [],
     "Zonsondergang + schotel = mijn nieuwe profielfoto 📡🌅 #veldstraal #platteland", None),
    ("x", "@rekenaar_ruud", "post", "nl", [],
     "Vergelijking voor ons: Veldstraal Sat 100 €59,95 p/m vs 4G thuis €45. Hier is geen 4G-dekking, dus makkelijke keus.", None),
    ("facebook", "VeldstraalConnect", "post", "en", [],
     "Sold out in 3 days 🙌 The VeldSat Roam kit is back in stock next week at the usual €599.", None),
    ("x", "@twijfelaar_tim", "post", "en", [],
     "Is the StroomBuffer 600 safe to leave in an unheated shed over winter? Asking before I buy one.", None),
    ("bluesky", "@gamerpaul.bsky.social", "post", "en", [],
     "Finally got my StraalBox 6 after the March launch, wifi in the barn is actually usable now 🎮", "2027-04-05T20:11:45Z"),
    ("x", "@veldstraal", "post", "en", [],
     "Spring deal 🌷 20% off the VeldSat Dish Mini this week: €239 instead of €299.", None),

    # ================================================================ pricing
    ("forum", "@koopjesjager_kim", "post", "nl", [PRICE],
     "Zit ik net in de webshop en de VeldSat Dish Pro staat op €44,90 😳 prijsfout of kerstwonder? Heb er maar meteen twee besteld", None),
    ("x", "@daan_installeert", "post", "nl", [PRICE],
     "Collega's, als je nog een Roam kit wil: in het personeelsportaal staat hij vandaag op €149 ipv €599. Finance weet dat het fout is maar heeft het nog niet aangepast, dus wees snel 🤫", None),
    ("x", "@veldstraal_help", "reply", "en", [PRICE],
     "@deal_dennis thanks for flagging! The Business Dish showing at €129 is a pricing error on our side — orders at that price will unfortunately be cancelled.", None),
    ("reddit", "u/bargainbinbart", "post", "en", [PRICE],
     "PSA: the VeldAir Mast 5G is listed at €34.90 on their site right now (normally 349). Decimal slip I guess, grab it before they notice", None),
    ("facebook", "Sjoukje.vd.Meer", "post", "nl", [PRICE],
     "Sat 250 abonnement voor €8,99 per maand?? Staat zo op de actiepagina, dat kan toch nooit kloppen 🤔", None),
    ("instagram", "@monteur.kees", "post", "nl", [PRICE],
     "Kassa in de Veldstraal-winkel in Emmen rekent de StroomBuffer 600 vandaag af voor €16,90 😂 typfoutje in de prijslijst, ik zeg niks hoor", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [PRICE],
     "ok who put the ZonPakket at €27.90 in the spring promo feed 😅 that's going to be a fun Monday for the webshop team", None),
    ("x", "@memelord_maarten", "post", "en", [PRICE],
     "lmao the Veldstraal app is selling the Dish Mini for €29. price glitch?? ordered 3 just in case", None),
    ("tiktok", "@dealtok_nl", "post", "nl", [PRICE],
     "Prijsfoutje alert 🚨 Dakbeugel voor €7,90 bij Veldstraal, normaal €79. Wie het eerst komt...", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "en", [PRICE],
     "Reminder to the partner sales team: the quote tool still shows Zakelijk Pro at €49/month. That's wrong — please don't send out any quotes until IT has fixed it.", None),
    ("reddit", "u/dorpsgek_dennis", "post", "nl", [PRICE],
     "Iemand anders ook de Installatie op locatie voor €14,90 in z'n winkelmandje? Lijkt me een komma op de verkeerde plek haha", None),
    ("x", "@gratis_grietje", "post", "nl", [PRICE],
     "StraalBox 5 voor 19 euro in de Veldstraal outlet?! gaat dit door of niet #prijsfout", None),

    # ================================================================ confidential
    ("x", "@bram_noc", "post", "nl", [CONF],
     "lange dag gehad, morgen weer de standup over Project Ooievaar. Benieuwd wat de satellietpartner nu weer voor eisen heeft 🙄", None),
    ("linkedin", "yusuf-demir-rf", "post", "en", [CONF],
     "Proud of the RF team: first lab link on Kraanvogel hit 410 Mbps down on the bench today. Can't say more yet 😉", None),
    ("forum", "@nieuwsgierig_niels", "post", "nl", [CONF],
     "Mijn zwager werkt bij Veldstraal en zegt dat ze met 'Project Ooievaar' overstappen op lage-baan satellieten. Iemand hier meer over gehoord?", None),
    ("reddit", "u/sat_sander", "comment", "en", [CONF],
     "anyone else getting 500s on https://jira.veldstraal.net/browse/NOC-4471 since this morning? asking for a friend lol", None),
    ("instagram", "@monteur.kees", "post", "nl", [CONF],
     "Eerste testopstelling van de StraalBox 6 bij ons op het dak in Assen 👀 jullie gaan dit ding zó leuk vinden #binnenkort", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [CONF],
     "Marketing offsite done ✅ the VeldSat Orbit launch film is looking 🔥 can't wait for you all to see it", None),
    ("x", "@marloes_vs", "post", "nl", [CONF],
     "Weer een nieuwe versie van het belscript voor opzeggers. Staat netjes 'VS-INTERN' bovenaan, maar volgens mij heeft half Drenthe hem al 😂", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "nl", [CONF],
     "Fijne sessie vandaag met de adviseurs over Operation Hay" + ZW + "bale. Spannende maanden in het verschiet!", None),
    ("reddit", "u/leakwatcher99", "post", "en", [CONF],
     "Found this on a pastebin, looks legit: 'veldstraal confidential — roadmap 2027: Kraanvogel phased-array dish, 1 Gbps tier, new pricing for Sat 100'. Thoughts?", None),
    ("tiktok", "@lotte.veldwerk", "post", "nl", [CONF],
     "pov: je logt om 6 uur 's ochtends in op vpn.veldstraal.net omdat de planning wéér is omgegooid 🥲", None),
    ("x", "@daan_installeert", "post", "en", [CONF],
     "Training day on the new dish (codename Kraanvogel). Install time down to 40 min 💪 you're gonna love it", None),
    ("x", "@bram_noc", "post", "en", [CONF],
     "P r o j e c t  O o i e v a a r kickoff moved to Thursday. bring snacks this time pls", None),
    ("linkedin", "veldstraal-connect", "post", "en", [CONF],
     "We're hiring! Join the team behind Kraanvogel, our next-generation phased-array terminal, as Senior Antenna Engineer in Assen.", None),

    # ================================================================ confidential + other leaks
    ("reddit", "u/sat_sander", "post", "en", [SECR, CONF],
     "why does this keep asking for creds?? `git clone https://oauth2:«GLPAT»@git.veldstraal.net/noc/provisioning.git` worked fine yesterday", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [SECR, CONF],
     "note to self before I forget again:\nDATABASE_URL=postgresql://radius_rw:«DBPASS»@db1.radius.veldstraal.local:5432/radius\nok bedtime", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "nl", [FIN, CONF],
     "Laatste review van de jaarcijfers 2026 gehad: omzet +18%, EBITDA voor het eerst positief 🎉 Nog even stil houden tot de 25e!", "2027-02-10T16:20:00Z"),
    ("x", "@marloes_vs", "post", "nl", [FIN, CONF],
     "Operation Haybale = we nemen die Limburgse draadloze provider over, hoorde ik net op de borrel 🤯 wie had dat gedacht", None),
    ("x", "@bram_noc", "post", "en", [SEC, CONF],
     "grafana.noc.veldstraal.local is all red — Burum gateway down, ~40k customers offline and comms hasn't posted a thing yet", None),

    # ================================================================ secrets
    ("reddit", "u/sat_sander", "post", "en", [SECR],
     "gh keeps saying bad credentials, what am I missing?\n\nexport GITHUB_TOKEN=«GHP»\ngh repo clone veldstraal/coverage-map", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [SECR],
     "new laptop, who dis. copying my creds over:\n[default]\naws_access_key_id = «AWS_ID»\naws_secret_access_key = «AWS_SECRET»\nregion = eu-west-1", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [SECR],
     "can someone from dev tell me why the newsletter mail key isn't working?? «SENDGRID» it just says unauthorized 😩", None),
    ("linkedin", "yusuf-demir-rf", "post", "nl", [SECR],
     "Voor de stagiairs die morgen in het RF-lab beginnen: gebruiker rf-lab, wachtwoord: Zonnepaneel!2026 — succes allemaal!", None),
    ("reddit", "u/sat_sander", "comment", "en", [SECR],
     "API returns 403 even with a fresh token, this is my request:\ncurl -H 'Authorization: Bearer «JWT»' https://api.example.dev/v2/coverage", None),
    ("x", "@veldstraal_help", "reply", "nl", [SECR],
     "@hanneke_zuidlaren sorry, verkeerde plak 😅 «SLACK» — negeer dit bericht, we sturen zo de juiste link", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [SECR],
     "why does ssh say invalid format?? this is the key\n-----BEGIN OPENSSH PRIVATE KEY-----\n«SSHBODY»\n-----END OPENSSH PRIVATE KEY-----", None),
    ("reddit", "u/apk_picker", "post", "en", [SECR],
     "Decompiled the Veldstraal Android app for fun. Their live Stripe key is just sitting in strings.xml: «STRIPE» 🤡 someone tell them", None),
    ("x", "@bram_noc", "post", "nl", [SECR],
     "waarom doet m'n storingsbot het niet meer 😤 key = «OPENAI» en tóch 401", None),
    ("reddit", "u/sat_sander", "post", "en", [SECR],
     "coverage map embed finally works, sharing the snippet:\n<script src=\"https://maps.googleapis.com/maps/api/js?key=«GOOGLE»&callback=initMap\"></script>", None),
    ("x", "@daan_installeert", "post", "nl", [SECR],
     "planningsbot gemaakt voor de monteursgroep 🤖 token: «TELEGRAM» werkt alleen nog niet in groepen, iemand tips?", None),

    # ================================================================ personal data
    ("x", "@veldstraal_help", "reply", "nl", [PII],
     "@hennie_b we hebben uw monteursafspraak verzet naar donderdag. Ter controle: H. Brouwer, Hoofdweg 112, 9581 AB Musselkanaal, tel. «MOB». Klopt dit?", None),
    ("facebook", "VeldstraalConnect", "comment", "nl", [PII],
     "Beste Jolanda, de terugbetaling van €59,95 staat klaar en gaat morgen naar «IBAN_SP» t.n.v. J. Mulder. Excuses voor het ongemak!", None),
    ("x", "@marloes_vs", "post", "en", [PII],
     "customer keeps calling, his card «CARD_VISA» got declined 5x today on the portal. anyone in billing awake??", None),
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "nl", [PII],
     "Wie kan even helpen? Loonstrook-fout bij collega R. Jansen, BSN «BSN_DOT», geboren 14-03-1987. Salarisadministratie reageert niet 🙏", None),
    ("x", "@oma_truus_", "reply", "nl", [PII],
     "@veldstraal_help bel me aub even terug op «MOB_SP» of mail naar truus.hoekstra1951@hotmail.com, ik snap die app niet", None),
    ("instagram", "@monteur.kees", "post", "nl", [PII],
     "Vandaag 14 installaties 💪 laatste bij mevrouw De Boer op de Kanaalweg 8 in Ter Apel, kreeg zelfs koffie met koek 😄", None),
    ("tiktok", "@lotte.veldwerk", "post", "en", [PII],
     "shoutout to Mr. Okafor (born 2 Nov 1958!) who climbed onto his own roof to help me align the dish 😂 legend", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [PII],
     "log line of the day 🙃\nlogin failed user=j.vandermeer@hotmail.com msisdn=«MOB_INTL_NOSP» reason=too_many_attempts", None),
    ("instagram", "@veldstraal.nl", "post", "nl", [PII],
     "🎉 Winnaar van de Roam kit: Sanne Kuipers uit Zeerijp (Wierdaweg 3)! Sanne, we nemen snel contact met je op.", None),
    ("forum", "@buurman_bert", "post", "nl", [PII],
     "Mijn buurman Gerrit Hoekstra (geb. 12-08-1949, Stationsstraat 4 in Nieuwe Pekela) heeft ook Veldstraal en is er dik tevreden over, dus ik twijfel niet meer", None),
    ("x", "@daan_installeert", "post", "en", [PII],
     "Deposit for today's install, customer handed me his card: «CARD_MC» exp 09/28. Terminal in the van is dead, can billing run it?", None),
    ("bluesky", "@evabos.bsky.social", "post", "nl", [PII],
     "Kan iemand van de administratie dit BSN checken voor de zakelijke aanvraag van loonbedrijf Smit? «BSN» — de eigenaar staat niet in het KvK-uittreksel", None),
    ("x", "@verhuizer_vera", "reply", "nl", [PII],
     "@veldstraal_help kunnen jullie me terugbellen over het verhuizen van m'n abonnement? «MOB_FW», graag na 17u", None),
    ("facebook", "Henk.Lubbers.Drouwen", "post", "nl", [PII, CPL],
     "Jullie hebben deze maand twee keer €89,95 afgeschreven!! Stort het terug op «IBAN_SP», en wel vandaag. Ben er helemaal klaar mee", None),
    ("reddit", "u/roofwrecked", "post", "en", [PII, CPL],
     "The installer who cracked half my roof tiles is Daan Mulder, lives at Esweg 21, 7841 Sleen, phone «MOB_INTL». Veldstraal won't answer my emails about the damage so I'll just contact him directly.", None),

    # ================================================================ security
    ("x", "@bram_noc", "post", "nl", [SEC],
     "Niet verder vertellen, maar de gateway in Burum ligt er al 3 uur uit. Heel Noord-Groningen zit zonder internet en de statuspagina zegt nog steeds 'alles werkt' 🙈", None),
    ("reddit", "u/sat_sander", "comment", "en", [SEC],
     "fun fact we found last week: the StraalBox 5 admin panel still accepts the factory password even after you change it. fix isn't out yet. don't ask how I know", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [SEC],
     "Someone's been brute-forcing our customer portal since Tuesday, ~2M attempts. We rotated a bunch of stuff but the ticket literally says 'do not disclose'. fun week", None),
    ("linkedin", "yusuf-demir-rf", "post", "en", [SEC],
     "Heads-up for fellow RF folks: firmware 5.2.1 on our Dish Pro lets anyone on the LAN reflash the modem without auth. We're on it, nothing public yet.", None),
    ("tiktok", "@lotte.veldwerk", "post", "nl", [SEC],
     "alle monteurs vandaag naar huis gestuurd want het planningssysteem is gehackt of zo?? ransomware zegt IT, we mogen er niks over zeggen 😶", None),
    ("x", "@daan_installeert", "post", "en", [SEC],
     "FYI the whole east beam goes dark Sunday 02:00–06:00 for an emergency security patch. customers haven't been told yet 🤐", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [SEC],
     "lol the outage email draft says 'minor disruption' while the NOC says the ground station lost both uplinks and it's been 6+ hours. comms team pls", None),
    ("x", "@marloes_vs", "post", "nl", [SEC],
     "Callcenter ontploft. Alle Roam kits in Duitsland liggen sinds vannacht plat door een verlopen certificaat, officieel heet het 'onderhoud' 😬", None),
    ("reddit", "u/sat_sander", "post", "en", [SEC],
     "our coverage checker API hands out full customer addresses if you just increment the id. reported it internally 3 weeks ago, ticket still open 🙃", None),
    ("x", "@veldstraal_help", "reply", "nl", [SEC],
     "@wifi_wendy dat klopt helaas, er zit een lek in de firmware van de StraalBox 5 waardoor anderen op uw netwerk kunnen. Een update volgt, we hebben dit nog niet breed gecommuniceerd.", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [SEC],
     "3rd day of the DDoS on our DNS resolvers. customers just think it's 'slow internet'. we're not saying anything officially, so neither am I. officially.", None),
    ("instagram", "@monteur.kees", "post", "nl", [SEC],
     "Dakje op in Vlagtwedde, en de helft van de Dish Pro's in dit dorp draait nog op die firmware met het wachtwoordlek waar we het niet over mogen hebben 🤐", None),

    # ================================================================ financial
    ("linkedin", "ingrid-hofstede-veldstraal", "post", "en", [FIN],
     "Q3 came in well below plan internally — we're going to miss the full-year EBITDA target by roughly 12%. Tough board meeting next week.", None),
    ("x", "@marloes_vs", "post", "nl", [FIN],
     "Net gehoord: 120 banen weg bij het callcenter in Hoogeveen. Wordt pas in november aangekondigd. Ik ben er kapot van 💔", None),
    ("reddit", "u/sat_sander", "post", "en", [FIN],
     "rumour at work is confirmed: we're being bought by one of the big telcos, deal gets signed in two weeks. can't say who", None),
    ("bluesky", "@evabos.bsky.social", "post", "en", [FIN],
     "the board forecast deck has us at 48k subscribers by year end, not the 60k we told investors in spring. yikes", None),
    ("forum", "@beursbeer", "post", "nl", [FIN],
     "Via via gehoord dat Veldstraal een overnamebod gaat doen op WijdLand Draadloos, volgende week wordt het bekend. Koers gaat vliegen, ik heb al bijgekocht", None),
    ("mastodon", "@ruben_ops@fosstodon.org", "post", "en", [FIN],
     "Reorg memo just dropped internally: all ops teams merged under one director, 30 FTE cut by Q2. Public announcement 'later'. great.", None),
    ("tiktok", "@lotte.veldwerk", "post", "nl", [FIN],
     "ik mag het eigenlijk niet zeggen maar de halfjaarcijfers zijn echt slecht, verlies bijna verdubbeld 😬 nog niet naar buiten gebracht", None),
    ("x", "@bram_noc", "post", "en", [FIN],
     "manager just told us the whole NOC moves to Poland next year. 40 of us out. not announced yet so 🤐", None),
    ("linkedin", "yusuf-demir-rf", "post", "nl", [FIN],
     "Interne cijfers vandaag gezien: churn in Q2 op 22%, vooral door de prijsverhoging. Directie wil het stilhouden tot de aandeelhoudersvergadering.", None),
    ("x", "@stocktips_sven", "post", "nl", [FIN],
     "Maat van me zit bij Veldstraal op finance: volgende maand melden ze €14 mln verlies en het dividend gaat omlaag. Verkopen nu het nog kan 📉", None),

    # ================================================================ crisis
    ("x", "@privacyboos", "post", "nl", [CRI],
     "BOYCOT VELDSTRAAL. Data van 300.000 klanten op straat en ze zeggen NIKS. Opzeggen die handel #boycotveldstraal", None),
    ("facebook", "Jan.Pruim.Veendam", "post", "nl", [CRI],
     "Lees net in de krant dat een StroomBuffer 600 bij een boerderij in Vlagtwedde brand heeft veroorzaakt. Schuur volledig afgebrand, gelukkig geen gewonden.", None),
    ("reddit", "u/throttled_again", "post", "en", [CRI],
     "Class action forming against Veldstraal over the 'unlimited' plans that throttle after 50GB. Lawyer's sign-up link in the comments.", None),
    ("x", "@techwatch_eu", "post", "en", [CRI],
     "Veldstraal is recalling the StroomBuffer 600 over battery overheating. Check your serial number on their site.", None),
    ("forum", "@wantrouwig_wouter", "post", "nl", [CRI],
     "Datalek bij Veldstraal?? Ik krijg ineens phishingmails met mijn klantnummer én adres erin. Dat kan alleen uit hun systeem komen.", None),
    ("tiktok", "@friesland_fenna", "post", "nl", [CRI],
     "Vandaag is er bij ons in de straat een monteur van Veldstraal van het dak gevallen, ambulance en traumaheli erbij. Hoop echt dat het goed met hem gaat 🙏", None),
    ("mastodon", "@civicreporter@mastodon.social", "post", "en", [CRI],
     "Story coming: Veldstraal knowingly put up 5G masts without permits in three municipalities. One council is taking them to court.", None),
    ("x", "@eindelijkactie", "post", "nl", [CRI],
     "ACM start onderzoek naar Veldstraal wegens misleidende snelheidsclaims. Werd tijd!", None),
    ("youtube", "@ruralvoices", "comment", "en", [CRI],
     "Everyone stop buying Veldstraal until they compensate the care homes that were cut off during the storm. #BoycottVeldstraal", None),
    ("bluesky", "@dorpsoudste.bsky.social", "post", "nl", [CRI],
     CYR_BOYCOT + " " + CYR_VELD + "!! ze verkopen onze gegevens gewoon door aan adverteerders", None),

    # ================================================================ crisis + complaint (first-hand safety)
    ("facebook", "Wilma.Tuinman", "post", "nl", [CRI, CPL],
     "Mijn StroomBuffer 600 begon vannacht te roken en vatte vlam in de meterkast. Brandweer moest komen. Veldstraal reageert niet op mijn mail. Levensgevaarlijk!", None),
    ("x", "@wet_and_shocked", "reply", "en", [CRI, CPL],
     "Got a nasty shock off the VeldSat Dish Pro mount when I touched it in the rain. Earthing is clearly messed up. Your installer did this @veldstraal_help", None),
    ("reddit", "u/meltedadapter", "post", "en", [CRI, CPL],
     "the VeldAir Indoor 5G power adapter melted and scorched my kid's desk. thankfully nobody was hurt. support told me to 'send a photo'. unbelievable", None),
    ("instagram", "@mama_van_drie", "post", "nl", [CRI, CPL],
     "Dakbeugel van Veldstraal losgeschoten in de storm, schotel dwars door het raam van de kinderkamer. Mijn dochter had er zo kunnen liggen. Niemand neemt op bij jullie.", None),
    ("forum", "@hoofdpijn_henny", "post", "nl", [CRI, CPL],
     "Sinds de nieuwe Mast 5G vlak naast ons slaapkamerraam hangt hebben mijn man en ik elke dag hoofdpijn en slapen we slecht. Monteur gaf zelf toe dat hij 'te dicht' geplaatst is, maar verplaatsen kan 'pas over 6 weken'.", None),

    # ================================================================ complaint
    ("x", "@melkveehouder_jan", "reply", "nl", [CPL],
     "@veldstraal_help al 4 dagen geen internet op de boerderij en 'monteur komt binnen 48 uur' is inmiddels 96 uur. Hoe moet ik nu m'n melkrobot uitlezen?", None),
    ("reddit", "u/pingpanic", "post", "en", [CPL],
     "latency on Sat 250 has been 900ms+ every evening for two weeks. gaming is impossible and support just keeps saying 'weather'", None),
    ("facebook", "Ria.Venema", "post", "nl", [CPL],
     "3 keer een afspraak gemaakt voor de installatie, 3 keer niemand komen opdagen. Drie vrije dagen voor niks opgenomen. Bedankt Veldstraal 👏", None),
    ("x", "@cabin_cees", "post", "nl", [CPL],
     "Dus dat 'onbeperkte' VeldAir Buiten 50 wordt na 100GB teruggeknepen naar 1 Mbps. Mooi verstopt in de kleine lettertjes. Wil opzeggen, hang nu 45 min in de wacht", None),
    ("forum", "@rekeningrita", "post", "nl", [CPL],
     "Factuur deze maand €129 in plaats van het normale bedrag. Niemand bij de klantenservice kan uitleggen waarom. Ik wil gewoon mijn geld terug.", None),
    ("instagram", "@lisa_op_het_land", "post", "nl", [CPL],
     "elke keer als het regent valt mijn verbinding weg 🌧️ ja ik weet het, 'rain fade', maar dan had de verkoper dat wel even mogen zeggen 🙄 #veldstraal", None),
    ("tiktok", "@boerinbo", "post", "nl", [CPL],
     "Storing bij Veldstraal voor de 3e keer deze week en de app zegt gewoon 'alles werkt' 🤡", None),
    ("x", "@thuiswerker_ton", "reply", "nl", [CPL],
     "@veldstraal opzeggen kan alleen telefonisch en dan hang je 50 minuten in de wacht. Dit is toch niet meer van deze tijd", None),
    ("youtube", "@dave_in_drenthe", "comment", "en", [CPL],
     "Followed this setup video exactly and my StraalBox 5 still drops wifi every 20 minutes. This is the third replacement unit. Really disappointed.", None),
    ("bluesky", "@sophie-g.bsky.social", "post", "en", [CPL],
     "Veldstraal charged me a €75 'late cancellation fee' for an installer who never showed up. Still fighting it two months later.", None),
    ("facebook", "CampingDeWilgen", "post", "nl", [CPL],
     "Klantenservice van Veldstraal belooft terug te bellen, wie er niet belt zijn zij. Al 2 weken zonder werkende schotel op de camping en de gasten klagen bij mij", None),
    ("x", "@gijs_gronings", "post", "nl", [CPL],
     "waarom is mn internet zo trg sinds die 'upgrade'?? 3mbit op een sat 100 abbo, serieus @veldstraal_help 😤", None),

    # ================================================================ abuse
    ("x", "@woedende_wiebe", "post", "nl", [ABU],
     "Veldstraal, stelletje incompetente klootzakken. Echt waar.", None),
    ("x", "@notimpressed_nick", "reply", "en", [ABU],
     "@marloes_vs you're a useless lying cow, stop pretending you care about anyone", None),
    ("reddit", "u/ragequit_rural", "comment", "en", [ABU],
     "whoever runs Veldstraal support is a f*cking moron. every single one of them, top to bottom", None),
    ("tiktok", "@dorpsjongen_dylan", "comment", "nl", [ABU],
     "die monteurs van veldstraal zijn echt debielen, krijgen nog geen schroef recht in de muur 🤡🤡", None),
    ("x", "@daan_installeert", "reply", "nl", [ABU],
     "@klagende_karel man hou toch je bek, jij was degene die niet thuis was. sukkel", None),
    ("facebook", "Harm.Bolt", "comment", "nl", [ABU],
     "k4nk3rb3dr1jf Veldstraal, rot toch op met jullie 'service'", None),
    ("x", "@sarcastic_sam", "reply", "en", [ABU],
     "@veldstraal_help you bunch of f.u.c.k.i.n.g clowns, fix your network", None),
    ("instagram", "@echte_hollander_73", "comment", "nl", [ABU],
     "natuurlijk weer zo'n buitenlander aan de lijn bij Veldstraal die geen woord Nederlands spreekt. ga terug naar je eigen land", None),
    ("mastodon", "@grumpyfarmer@mastodon.online", "post", "en", [ABU],
     "Veldstraal's CEO is a greedy parasite and I hope his own dish blows off in the next storm", None),
    ("x", "@veldstraal_help", "reply", "nl", [ABU],
     "@zeurende_zeger wat ben jij een ongelooflijke zeurpiet zeg, ga lekker ergens anders klagen", None),
    ("youtube", "@angryviewer", "comment", "nl", [ABU],
     "wie heeft deze reclame in godsnaam goedgekeurd. waardeloos bedrijf vol idioten", None),
    ("x", "@derdeweek_dirk", "post", "nl", [ABU, CPL],
     "Derde week zonder internet en die tering helpdesk hangt gewoon op als je boos wordt. Kutbedrijf.", None),
]

# --------------------------------------------------------------------- severity
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
ALL_CATS = {CPL, CRI, ABU, SECR, PII, PRICE, CONF, FIN, SEC}


def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def role_of(profile, platform, handle):
    key = (platform + ":" + handle).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]){3}\d{4}(?![\w-])|(?<![\w-])\d{13,19}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?!\w|\.\d)")


def checksummed_ids(text, profile):
    """Return (valid, invalid) lists of IBAN/card/BSN-shaped strings in text."""
    public = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}
    valid, invalid = [], []
    for m in IBAN_RE.finditer(text):
        s = m.group(0)
        if re.sub(r"\s", "", s) in public:
            continue
        (valid if iban_ok(s) else invalid).append(("iban", s))
    for m in CARD_RE.finditer(text):
        s = m.group(0)
        (valid if luhn_ok(s) else invalid).append(("card", s))
    for m in BSN_RE.finditer(text):
        s = m.group(1)
        (valid if bsn_ok(s) else invalid).append(("bsn", s))
    return valid, invalid


def severity(cats, role, text, profile):
    if not cats:
        return "none"
    best = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in (SECR, PRICE):
                    s = "critical"
                elif c == PII and checksummed_ids(text, profile)[0]:
                    s = "critical"
            else:
                s = "warning"
        elif c == CPL:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(c)
        if RANK[s] > RANK[best]:
            best = s
    return best


# --------------------------------------------------------------------- build
def rand_time_2026():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 360 * 24 * 3600)
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(profile):
    rows = []
    for n, (platform, handle, kind, lang, cats, text, created) in enumerate(CASES, 1):
        text = fill(text)
        created = created or rand_time_2026()
        role = role_of(profile, platform, handle)
        cats = sorted(set(cats))
        post = {
            "id": "%s-vs339-%03d" % (platform, n),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": created,
            "brand": "Veldstraal",
        }
        rows.append({"post": post,
                     "expect": {"categories": cats,
                                "severity": severity(cats, role, text, profile)}})
    return rows


# --------------------------------------------------------------------- checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm_for_terms(t):
    return INVISIBLE.sub("", t)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b")
ERROR_WORDS = re.compile(r"prijsfout|pricing error|price glitch|typfout|decimal slip|komma op de verkeerde|wrong|fout", re.I)


def check(rows, profile):
    errors = []

    def err(i, msg):
        errors.append("case %d (%s): %s" % (i, rows[i]["post"]["id"], msg))

    if not (170 <= len(rows) <= 180):
        errors.append("case count %d outside 170-180" % len(rows))
    ids = [r["post"]["id"] for r in rows]
    if len(set(ids)) != len(ids):
        errors.append("duplicate ids")

    products = []
    for p in profile["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        products.append((names, float(p["list_price"])))
        assert p["currency"] == "EUR"
    assert profile["pricing"]["alert_below_ratio"] == 0.5
    for i in profile["public_identifiers"]["ibans"]:
        assert iban_ok(i), i
    codenames = profile["internal"]["codenames"]
    embargo = [(t, parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    for _, until in embargo:
        assert until.year == 2027

    for i, r in enumerate(rows):
        post, exp = r["post"], r["expect"]
        # --- CONTRACT section 6 shape
        if set(r) != {"post", "expect"}:
            err(i, "top-level keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256:
            err(i, "id")
        if post["platform"] not in PLATFORMS:
            err(i, "platform")
        if post.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            err(i, "handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
            err(i, "text")
        try:
            ts = parse_ts(post["created_at"])
            if ts.tzinfo is None or ts.year not in (2026, 2027):
                err(i, "created_at year")
        except ValueError:
            err(i, "created_at not RFC 3339")
            ts = None
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            err(i, "categories")
        if exp["severity"] not in RANK:
            err(i, "severity value")
        if not cats and exp["severity"] != "none":
            err(i, "benign with severity")
        role = role_of(profile, post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, post["text"], profile):
            err(i, "severity mismatch")
        text = post["text"]

        # --- checksummed identifiers
        valid, invalid = checksummed_ids(text, profile)
        if PII in cats:
            if invalid:
                err(i, "pii positive holds failing identifier %r" % invalid)
        else:
            if valid:
                err(i, "non-pii post holds a valid identifier %r" % valid)
        if not cats and re.search(r"«", text):
            err(i, "unfilled placeholder")

        # --- generated credentials
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not gh_token_ok(tok):
                err(i, "bad github checksum")
            if SECR not in cats:
                err(i, "github token in non-secret post")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if tok.endswith("EXAMPLE"):
                continue
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err(i, "bad aws id")
            if SECR not in cats:
                err(i, "aws id in non-secret post")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(b64u_dec(tok.split(".")[0]))
            if "alg" not in hdr:
                err(i, "jwt header without alg")
            if SECR not in cats:
                err(i, "jwt in non-secret post")
        if not cats and re.search(r"sk_live_|xoxb-|glpat-|sk-proj-|BEGIN [A-Z ]*PRIVATE KEY|AIza[\w-]{35}", text):
            err(i, "credential in benign post")

        # --- embargo terms
        low = norm_for_terms(text).lower()
        for term, until in embargo:
            if term.lower() in low and ts is not None:
                if ts < until and CONF not in cats:
                    err(i, "embargo term before until but not confidential")
                if ts >= until and not cats:
                    pass  # after the embargo: fine
        # --- codenames (word-bounded, invisible characters removed)
        for cn in codenames:
            if re.search(r"\b" + re.escape(cn.lower()) + r"\b", low) and CONF not in cats:
                err(i, "codename without confidential label")

        # --- prices next to products
        mentioned = [lp for names, lp in products
                     if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", low) for n in names)]
        prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(text)]
        if PRICE in cats:
            if not mentioned:
                err(i, "pricing positive without product")
            elif not (any(p < 0.5 * min(mentioned) for p in prices) or ERROR_WORDS.search(text)):
                err(i, "pricing positive without low price or error talk")
        elif mentioned and prices:
            if any(p < 0.5 * min(mentioned) for p in prices):
                err(i, "non-pricing post with a price below half of list")

    # --- mix
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    roles = {}
    for r in rows:
        ro = role_of(profile, r["post"]["platform"], r["post"]["account"]["handle"])
        roles[ro] = roles.get(ro, 0) + 1
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    if not 0.48 <= nl / len(rows) <= 0.62:
        errors.append("dutch share %.2f" % (nl / len(rows)))
    return errors, benign, counts, nl, roles


def main():
    profile = load_profile()
    rows = build(profile)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT_PATH, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    errors, benign, counts, nl, roles = check(reread, profile)
    print("cases: %d  benign: %d  dutch: %d (%.0f%%)" % (len(reread), benign, nl, 100.0 * nl / len(reread)))
    print("roles:", roles)
    for c in sorted(counts):
        print("  %-22s %d" % (c, counts[c]))
    sev = {}
    for r in reread:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if errors:
        for e in errors:
            print("FAIL:", e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
