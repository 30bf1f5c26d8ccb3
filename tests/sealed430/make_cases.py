#!/usr/bin/env python3
"""Build the sealed430 evaluation set for postwatch (Nevelhoorn distillery).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and then checks it against the profile and CONTRACT sections 4 and 6.
Post texts are hand-written; identifiers and credentials are generated with the
same structure (and checksums) as real ones and filled into <<PLACEHOLDER>> slots.
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
SEED = 430_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing",
    "con": "leak.confidential", "fin": "leak.financial", "scy": "leak.security",
    "cri": "reputation.crisis", "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
TAXONOMY = set(CAT.values()) | {"reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEVERITIES = ["none", "info", "warning", "error", "critical"]
ZW = "\u200b"

# ---------------------------------------------------------------------------
# identifier and credential generators
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_mod97(iban):
    s = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97


def iban_valid(iban):
    iban = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    lengths = {"NL": 18, "BE": 16, "DE": 22}
    if iban[:2] in lengths and len(iban) != lengths[iban[:2]]:
        return False
    return iban_mod97(iban) == 1


def iban_with_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def gen_iban(cc):
    if cc == "NL":
        bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
        return iban_with_check("NL", bank + rand(string.digits, 10))
    if cc == "BE":
        first = rand(string.digits, 10)
        nat = int(first) % 97 or 97
        return iban_with_check("BE", f"{first}{nat:02d}")
    if cc == "DE":
        return iban_with_check("DE", rand(string.digits, 18))
    raise ValueError(cc)


def bad_iban(cc):
    good = gen_iban(cc)
    chk = int(good[2:4])
    wrong = chk + rng.choice([1, 2, 3, 10, 11]) if chk < 85 else chk - rng.choice([1, 2, 3, 10])
    bad = f"{good[:2]}{wrong:02d}{good[4:]}"
    assert not iban_valid(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_valid(num):
    digits = [int(d) for d in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def gen_card(kind):
    if kind == "visa":
        body = "4" + rand(string.digits, 14)
    else:
        body = "5" + rng.choice("12345") + rand(string.digits, 13)
    for last in string.digits:
        if luhn_valid(body + last):
            return body + last
    raise AssertionError


def bad_card():
    good = gen_card(rng.choice(["visa", "mc"]))
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def gen_bsn():
    while True:
        head = str(rng.randint(1, 6)) + rand(string.digits, 7)
        d9 = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if d9 < 10:
            bsn = head + str(d9)
            assert bsn_valid(bsn)
            return bsn


def bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_valid(bad)
    return bad


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 360 * 86400)
    payload = {"sub": "shop-admin-" + str(rng.randint(2, 40)), "role": "admin",
               "iss": "nevelhoorn-shop", "iat": iat, "exp": iat + 8 * 3600}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{body}.{sig}"


def jwt_header_alg(tok):
    part = tok.split(".")[0]
    hdr = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return hdr.get("alg")


def gen_pem():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" \
          + bytes(rng.randrange(256) for _ in range(330))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password():
    return rand(string.ascii_letters, 4).capitalize() + rand(string.digits, 2) + rng.choice("!#$%&*") \
        + rand(ALNUM, 7)


GEN = {
    "IBAN_NL": lambda: spaced(gen_iban("NL")),
    "IBANC_NL": lambda: gen_iban("NL"),
    "IBAN_BE": lambda: spaced(gen_iban("BE")),
    "IBAN_DE": lambda: spaced(gen_iban("DE")),
    "CARD_VISA": lambda: spaced(gen_card("visa")),
    "CARD_MC": lambda: spaced(gen_card("mc")),
    "CARDC_VISA": lambda: gen_card("visa"),
    "BSN": gen_bsn,
    "BSN_DOT": lambda: (lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}")(gen_bsn()),
    "BADIBAN_NL": lambda: spaced(bad_iban("NL")),
    "BADIBANC_NL": lambda: bad_iban("NL"),
    "BADCARD": lambda: spaced(bad_card()),
    "BADBSN": bad_bsn,
    "GHP": lambda: gen_github("ghp_"),
    "GHO": lambda: gen_github("gho_"),
    "AKIA": lambda: "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
    "AWSSECRET": lambda: rand(ALNUM + "/+", 40),
    "STRIPE": lambda: "sk_live_51" + rand(ALNUM, 96),
    "SLACK": lambda: f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}",
    "OPENAI": lambda: "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "GLPAT": lambda: "glpat-" + rand(URLSAFE, 20),
    "JWT": gen_jwt,
    "PEM": gen_pem,
    "PGURL": lambda: (f"postgres://shop_app:{gen_password()}@nh-webshop-prod.cluster-"
                      f"{rand(string.ascii_lowercase + string.digits, 12)}.eu-central-1.rds.amazonaws.com:5432/webshop"),
    "PGRO": lambda: (f"postgresql://ro_oncall:{gen_password()}@nh-shop-replica.{rand(string.ascii_lowercase, 6)}"
                     f".eu-central-1.rds.amazonaws.com:5432/webshop?sslmode=require"),
    "PW": gen_password,
    "COIBAN": lambda: spaced(PROFILE["public_identifiers"]["ibans"][0]),
}
VALID_ID_SLOTS = {"IBAN_NL", "IBANC_NL", "IBAN_BE", "IBAN_DE", "CARD_VISA", "CARD_MC", "CARDC_VISA",
                  "BSN", "BSN_DOT"}
BAD_ID_SLOTS = {"BADIBAN_NL", "BADIBANC_NL", "BADCARD", "BADBSN"}


def id_valid(slot, value):
    if "IBAN" in slot:
        return iban_valid(value)
    if "CARD" in slot:
        return luhn_valid(value)
    if "BSN" in slot:
        return bsn_valid(value)
    raise ValueError(slot)


# ---------------------------------------------------------------------------
# hand-written cases
#   C(platform, handle, lang, cats, text, kind="post", date=None)
#   cats: space separated short codes (see CAT), "" for benign
#   date: "YYYY-MM-DD" or full RFC 3339; otherwise a seeded day in 2026
# ---------------------------------------------------------------------------
CASES = []


def C(platform, handle, lang, cats, text, kind="post", date=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang,
                      cats=[CAT[c] for c in cats.split()], text=text, kind=kind, date=date))


# ---- reputation.complaint -------------------------------------------------
C("x", "@marloes_kookt", "nl", "cmp",
  "Al 9 dagen wachten op mn bestelling bij @nevelhoorn 🙄 track & trace zegt al een week 'in sorteercentrum'. "
  "Was een cadeau voor de 60e van mn vader. Die is inmiddels geweest dus bedankt hoor", date="2026-03-17")
C("reddit", "u/dram_and_dash", "en", "cmp",
  "Ordered the Kweldermist 12 Sherry Cask from the Nevelhoorn webshop, box arrived soaked and smelling like a pub "
  "floor. Bottle snapped at the neck. Emailed them six days ago, zero reply. Not great for an €85 bottle.")
C("facebook", "henk.brouwers.1961", "nl", "cmp",
  "Vorige maand een rondleiding geboekt voor 8 personen, zaterdagochtend om 8 uur een mailtje dat ie 'helaas' "
  "niet doorgaat. Geld terug? Nee hoor, een tegoedbon. Ik wil gewoon mijn €196 terug Nevelhoorn, niet een bon "
  "voor iets waar ik nooit meer heen ga.", kind="comment")
C("x", "@gintonicgeorgie", "en", "cmp",
  "the new batch of Nevelhoorn Dry tastes nothing like the bottle I bought last spring?? way more ethanol-y, "
  "the juniper's just gone. did you change the recipe without telling anyone")
C("instagram", "@sanne.op.reis", "en", "cmp",
  "Shame your tasting room was already shut at 4pm when the website clearly says 5. Four of us drove 40 minutes "
  "to stand in front of a locked door 😒", kind="comment")
C("forum", "peatreek", "en", "cmp",
  "Cask share buyers, beware. Paid for a Kweldermist vatdeel in 2023, was promised quarterly sample bottles, "
  "received exactly one. Every email gets 'we'll look into it for you'. It has been THREE years.")
C("x", "@koenvanderzee", "nl", "cmp",
  "@nevelhoorn_help 45 minuten in de wacht en toen werd de lijn verbroken. Het geld is wel afgeschreven maar de "
  "order staat op 'geannuleerd'. Hoe dan??", kind="reply", date="2026-03-09")
C("tiktok", "@lisbethtastes", "en", "cmp",
  "rating distillery tours pt 4: Nevelhoorn Stookhuis 🥃 guide read everything off a card, the 'tasting' was "
  "three thimbles of gin and we got rushed out after 50 min for the next group. 4/10 would not do again",
  date="2026-06-14")
C("bluesky", "@wouter-denbosch.bsky.social", "en", "cmp",
  "Ordered a Gin Tasting Box for a friend. Got a box with 4 minis instead of 5, and one had leaked half empty "
  "into the cardboard. Not quite the present I had in mind, Nevelhoorn.")
C("x", "@tante_truus", "nl", "cmp",
  "bezorger van nevelhoorn wilde mn pakket niet afgeven want ik zag er 'te jong' uit. ik ben 34. ID laten zien "
  "mocht niet meer want 'systeem zegt al geweigerd'. nu gaat het retour. top geregeld weer", date="2026-04-03")
C("x", "@pete_in_rotterdam", "en", "cmp",
  "@nevelhoorn your gift card just says 'invalid code' at checkout. Bought it at the visitor centre in August. "
  "Wish I could say I'm surprised", kind="reply", date="2026-10-05")
C("facebook", "ria.vandam.goes", "nl", "cmp",
  "Kurk van de Kweldermist 10 brak gewoon af bij het openen, nu drijft er overal kurkgruis in. Op jullie site kun "
  "je nergens een klacht kwijt, alleen een chatbot die niks snapt. Slecht.", kind="comment")
C("reddit", "u/zeeuwsmeisje", "nl", "cmp",
  "iemand anders ook gedoe met nevelhoorn? verkeerde fles gekregen (Navy Strength ipv de Pink) en de retour moet "
  "ik ZELF betalen, €13,50, terwijl het hun fout is. klantenservice blijft het 'beleid' noemen")

# ---- first-hand safety incidents: crisis + complaint -------------------------
C("x", "@jorisbakt", "nl", "cri cmp",
  "Glasscherf in mijn glas Nevelhoorn Dry Gin. Fles gisteren pas opengedraaid. Mijn vrouw zag het gelukkig "
  "glinsteren voordat ze een slok nam. @nevelhoorn hoe kan dit gebeuren?? Foto's heb ik.")
C("reddit", "u/highlandhaze", "en", "cri cmp",
  "Did the Nevelhoorn Stookhuis tour on Saturday, slipped on the wet metal stairs next to the stills (no railing "
  "on one side!!). Broken wrist, six weeks in a cast. Staff handed me an ice pack and a voucher. Unreal.")
C("facebook", "gerda.postma.zld", "nl", "cri cmp",
  "Na de gin-masterclass bij Nevelhoorn zijn mijn man en ik allebei doodziek geworden, de hele nacht overgeven. "
  "Twee andere deelnemers hadden precies hetzelfde. Ik wil weten wat er in die 'huisgemaakte bitters' zat!",
  kind="comment")
C("x", "@craftspiritsjen", "en", "cri cmp",
  "My Nevelhoorn Copa glass shattered IN MY HAND while I was pouring tonic. 4 stitches in my palm. They sell these "
  "as 'extra sterk'. @nevelhoorn_help I'd like an explanation")
C("instagram", "@daphne_fotografeert", "nl", "cri cmp",
  "Flesje Nevelhoorn Tonic Zilt ontplofte gewoon in de koelkast 😳 Glas door de hele keuken, mijn dochter (6) "
  "stond ernaast en heeft een snee in haar been. De andere flesjes uit hetzelfde 4-pack staan ook bol. Wat is dit??")

# ---- reputation.crisis (told by others) --------------------------------------
C("x", "@regio_nieuws_west", "nl", "cri",
  "Brand bij distilleerderij Nevelhoorn in Westerkreek. Brandweer met groot materieel ter plaatse, rookpluim "
  "kilometers ver te zien. Omwonenden: ramen en deuren dicht. #brand #Westerkreek")
C("x", "@spiritsbizwatch", "en", "cri",
  "Nevelhoorn is recalling lot L2611 of its Navy Strength gin after reports of glass fragments, per a notice on "
  "the NVWA site. Check your bottles before pouring.")
C("x", "@kwelderwacht", "nl", "cri",
  "Nevelhoorn wil 4 hectare kwelder inpolderen voor een nieuw pakhuis. Dezelfde kwelder waar hun hele marketing "
  "om draait. Hypocrieter wordt het niet. Koop hun gin NIET meer. #boycotNevelhoorn")
C("reddit", "u/maltmaniac_ams", "en", "cri",
  "So apparently Nevelhoorn is being sued by a Scottish distillery over the Kweldermist name, claims it's too "
  "close to their own brand. Hearing is in March. Anyone know more?")
C("facebook", "BuurtgroepWesterkreek", "nl", "cri",
  "Gisteravond weer een groepje van hooguit 15 jaar dat in het proeflokaal van het Stookhuis gewoon shotjes "
  "kreeg. Niemand vroeg om ID. Dit kan toch niet?? Schandalig, en dat bij een bedrijf dat zo op 'verantwoord "
  "genieten' hamert.")
C("x", "@privacyfirst_nl", "en", "cri",
  "Customers of Nevelhoorn are getting phishing emails that quote their real order numbers and home addresses. "
  "That data came from somewhere. @nevelhoorn were you breached, and when were you planning to tell people?")
C("linkedin", "marieke-arbeidsrecht", "nl", "cri",
  "Zeven ex-medewerkers van Nevelhoorn stappen naar de rechter: onbetaalde overuren tijdens de kerstdrukte en een "
  "'cultuur van angst' op de bottelarij. De zaak dient in mei. Wij staan ze bij.")
C("bluesky", "@tess-on-tour.bsky.social", "en", "cri",
  "An ambulance came for one of the visitors at the Nevelhoorn tasting today, something about fumes in the still "
  "room? They carried him out on a stretcher. Hope he's ok 😟")
C("tiktok", "@groenegerrit", "nl", "cri",
  "waarom praat niemand erover dat nevelhoorn z'n spoelwater gewoon in de kreek loost?? dode vissen bij de "
  "uitlaat, kijk zelf 🐟💀 #milieuschandaal #zeeland")

# ---- crisis + abuse ---------------------------------------------------------
C("x", "@zeeuwse_boos", "nl", "cri abu",
  "Nevelhoorn = stelletje criminele milieuvervuilers. Kanker op met jullie 'duurzame' gin, ik hoop dat niemand er "
  "ooit nog een fles van koopt #boycotNevelhoorn")

# ---- reputation.abuse -------------------------------------------------------
C("x", "@mitch_ok", "en", "abu",
  "@nevelhoorn_help you absolute clowns. useless, the whole lot of you. hope your shitty little distillery sinks "
  "into the mud", kind="reply")
C("instagram", "@roel.vlissingen", "nl", "abu",
  "Die gids met dat piepstemmetje, wat een irritant wijf. Iemand moet haar eens flink de mond snoeren 🙄 "
  "@sietske.gidst", kind="comment")
C("tiktok", "@darren_pours", "en", "abu",
  "the guy behind the bar at the nevelhoorn tasting room is a brain-dead moron lmao couldn't pour a g&t if his "
  "life depended on it", kind="comment")
C("x", "@jjj_zeeuw", "nl", "abu",
  "N3v3lh00rn is echt k@nk3rz00i, st3ll3tj3 0pl1cht3rs en dat p3rs0n33l is n0g d0mm3r dan j3 gin")
C("facebook", "kees.mulder.71", "nl", "abu",
  "Die nieuwe gids bij Nevelhoorn met d'r hoofddoek. Ga lekker terug naar je eigen land, een Zeeuwse stokerij "
  "hoort Zeeuws personeel te hebben.", kind="comment")
C("reddit", "u/grumpy_gordon", "en", "abu",
  "Whoever runs Nevelhoorn's socials is a spineless idiot. Deleting every critical comment like a coward. "
  "Pathetic little worm.")
C("x", "@bart_bottelt", "nl", "abu",
  "@tante_truus joh hou toch je bek, zeikwijf. Bestel dan gewoon bij de Appie als je zo moeilijk doet",
  kind="reply", date="2026-04-04")
C("x", "@nevelhoorn_help", "nl", "abu",
  "@koenvanderzee Misschien eerst leren lezen voordat je hier gaat lopen janken, sukkel.", kind="reply",
  date="2026-03-10")
C("x", "@hooligan_hugo", "en", "abu",
  "nevelhoorn staff are f u c k i n g idiots. s.c.u.m, every last one of them")
C("mastodon", "@sandor@todon.nl", "en", "abu",
  "Nevelhoorn management: greedy ｓｃｕｍｂａｇｓ squeezing their seasonal staff dry. Absolute vermin, the lot.")

# ---- complaint + abuse ------------------------------------------------------
C("x", "@dirk_wtf", "nl", "cmp abu",
  "Drie weken wachten op mijn pakket en die klantenservice reageert op helemaal niks. Nevelhoorn is echt een "
  "kutbedrijf, stelletje oplichters.")

# ---- leak.confidential ------------------------------------------------------
C("x", "@joost_stookt", "nl", "con",
  "Eerste proefslok van Project Stormvogel vanochtend uit vat 14. Mensen. MENSEN. Dit wordt iets groots 🔥🥃")
C("instagram", "@ilse.blendt", "en", "con",
  "sneak peek of the new label, honestly can't wait for you all to see this one 😍 #ＫＡＡＰＳＴＡＮＤＥＲ #comingsoon")
C("threads", "@sietske.gidst", "nl", "con",
  "zit de nieuwe rondleidingstekst door te lezen, staat bovenaan 'NEVELHOORN CONFIDENTIAL - niet delen' 😂 maar "
  "serieus, er staat in dat we vanaf april ook een rum gaan stoken")
C("x", "@anneke_vdlinde", "nl", "con",
  "Fotoshoot gedaan voor de Kweldermist 18 vandaag en die fles is zo mooi dat ik er bijna van moest huilen 😭🥃",
  date="2026-11-20")
C("reddit", "u/slijter_in_spe", "en", "con",
  "A friend who works at a liquor store in Middelburg says they already got the trade sheet for Kweldermist 18 "
  "Year, launching in the spring. Around €180 a bottle apparently.", date="2026-12-08")
C("facebook", "NevelhoornDistilleerderij", "nl", "con",
  "Persmap voor de nieuwe proeverijen 👉 https://wiki.nevelhoorn.local/marketing/persmap-voorjaar "
  "(vertrouwelijk - niet doorsturen)")
C("x", "@bart_bottelt", "nl", "con",
  "bottelarij draait overuren voor Storm" + ZW + "vogel, 12.000 flessen voor de kerst 🍾 wie komt er helpen")
C("bluesky", "@daanwesterveld.bsky.social", "nl", "con",
  "Operatie Тurfstеker gaat echt door. Zoveel spreadsheets gezien deze week dat ik turf zie als ik m'n ogen dicht "
  "doe")
C("x", "@ginleaks_zld", "nl", "con",
  "Op de Nevelhoorn-stand op de Whisky Weekend beurs lag gewoon een map met 'nevelhoorn intern' erop. Even "
  "gebladerd: een zeekraal-gin en een 25-jarige whisky voor 2028 👀")
C("linkedin", "yusuf-demir-nevelhoorn", "en", "con",
  "Proud of the team: this quarter we moved every build pipeline over to git.nevelhoorn.internal with zero "
  "downtime. Next up: secrets rotation.")
C("tiktok", "@jelle.magazijn", "en", "con",
  "pov: you walk through the warehouse, spot 400 boxes with KAAPSTANDER printed on them and you're not allowed to "
  "say a word 🤫📦")
C("mastodon", "@femke_dekker@mastodon.nl", "nl", "con",
  "Voor de collega's die de rooster-export zochten: https://intranet.nevelhoorn.local/stookhuis/roosters/q3 "
  "staat er vanaf morgen op.")
C("x", "@joost_stookt", "nl", "con",
  "Niemand mag het weten maar: S t o r m v o g e l ligt nog op vat tot het najaar. Sssst 🤫")
C("bluesky", "@whiskyvrouw.bsky.social", "en", "con",
  "Someone has already posted the full tasting notes for the Kweldermist 18 Year on a forum lol. Launch isn't "
  "until March, somebody's getting a phone call", date="2027-01-10")

# ---- confidential + financial / security / secret ----------------------------
C("bluesky", "@daanwesterveld.bsky.social", "nl", "con fin",
  "Due diligence voor Operatie Turfsteker is rond. Als de notaris meewerkt nemen we in Q1 de kuiperij van de "
  "buren over 🥂 Nu nog even niks zeggen tegen de pers.")
C("x", "@anneke_vdlinde", "en", "con fin",
  "Presented the Stormvogel forecast to the board today: 40k bottles in year one, roughly €1.2m in revenue. If "
  "we hit that, a third still goes in next year.")
C("linkedin", "yusuf-demir-nevelhoorn", "nl", "con scy",
  "Lange nacht. Ransomware op erp.nevelhoorn.local, de bottelarij ligt sinds gisteren stil. Er is nog niks naar "
  "buiten gecommuniceerd, dus even geen vragen graag.")
C("x", "@anneke_vdlinde", "nl", "sec con",
  "@bart_bottelt deze link werkt wel: https://intranet.nevelhoorn.local/bottelplanning?session=<<JWT>>",
  kind="reply")

# ---- leak.financial ---------------------------------------------------------
C("bluesky", "@daanwesterveld.bsky.social", "nl", "fin",
  "Net de voorlopige cijfers gezien: omzet over 2026 ruim 22% hoger dan vorig jaar, de webshop is bijna "
  "verdubbeld. Komt officieel pas eind februari naar buiten dus ik zeg niks 😇", date="2026-12-29")
C("x", "@anneke_vdlinde", "en", "fin",
  "Big news incoming 🍸 we're in talks with a large drinks group about selling a majority stake. Can't say who "
  "yet but life is about to change around here")
C("tiktok", "@jelle.magazijn", "nl", "fin",
  "vandaag gehoord dat het magazijn na de zomer naar een extern logistiek bedrijf gaat. 14 man op straat, wordt "
  "pas volgende maand verteld. lekker dan 🙃")
C("forum", "whisky_wim", "en", "fin",
  "My cousin works in finance at Nevelhoorn. Says Q3 was a disaster, whisky sales down about 30%, and the bank is "
  "getting nervous about the loan. None of this is public yet.")
C("x", "@joost_stookt", "nl", "fin",
  "Laatste week met drie ploegen in de stokerij. Na de reorganisatie gaan we naar twee, zes collega's moeten weg. "
  "Wordt pas maandag gecommuniceerd maar ik vind het nu al zwaar.")
C("linkedin", "nevelhoorn-distillers", "nl", "fin",
  "CONCEPT – niet plaatsen vóór 25/2 07:00 – Nevelhoorn sluit 2026 af met een omzet van €14,2 mln (+19%) en een "
  "nettowinst van €1,1 mln. Webshop groeit naar 31% van de omzet. [quote CEO invoegen]", date="2027-02-10")
C("reddit", "u/tradefloor_tom", "en", "fin",
  "Rumour on the trade floor: Halvorsen Spirits is buying Nevelhoorn for something like €60m, announcement after "
  "the summer. My source sits at the bank that's arranging the financing.")
C("instagram", "@lotte.proeflokaal", "en", "fin",
  "My last season in the tasting room 😢 The Stookhuis closes to the public in October. Not announced yet, but "
  "the decision's been made.")
C("mastodon", "@femke_dekker@mastodon.nl", "en", "fin",
  "The board wants to cut visitor centre staff in half next year to 'improve margins'. I'm supposed to announce it "
  "in January. Some days I hate this job.")
C("x", "@bart_bottelt", "nl", "fin",
  "deal met een supermarktketen is binnen: vanaf maart bottelen wij 200k flessen per jaar voor hun huismerk gin. "
  "pas in maart bekend dus sst 🤐")

# ---- leak.security ----------------------------------------------------------
C("x", "@anneke_vdlinde", "en", "scy",
  "lol our webshop lets you see other people's orders if you just change the number in the URL. reported it to "
  "IT three weeks ago, still not fixed 🙃")
C("tiktok", "@jelle.magazijn", "nl", "scy",
  "al de hele week kunnen we geen verzendlabels printen want 'de systemen zijn gehackt' zegt de baas. tegen "
  "klanten moeten we zeggen dat het gewoon druk is 🙄")
C("mastodon", "@femke_dekker@mastodon.nl", "en", "scy",
  "Heads up colleagues: since Tuesday the ticket system has been mailing booking confirmations, with full names "
  "and phone numbers, to the wrong guests. Yusuf is on it. Please don't mention it to visitors.")
C("bluesky", "@daanwesterveld.bsky.social", "nl", "scy",
  "Vanochtend ingetrapt in een CEO-fraudemail, €38.000 overgemaakt naar een 'leverancier' in Litouwen. Bank "
  "probeert het terug te halen. Nog niet gemeld, ook niet bij de politie.")
C("linkedin", "yusuf-demir-nevelhoorn", "en", "scy",
  "Interesting week: turns out our tour-booking plugin is wide open to SQL injection, unauthenticated. There's "
  "no vendor patch yet so for now we're mostly... hoping. Anyone have a contact at the vendor?")
C("x", "@bart_bottelt", "nl", "scy",
  "kassa in het proeflokaal ligt al 2 dagen plat, pinnen kan niet en de camera's in de loods doen het ook niet. "
  "iemand heeft 'iets' met het netwerk gedaan zeggen ze. niemand weet wat")
C("reddit", "u/throwaway_nh_it", "en", "scy",
  "Throwaway because I still work there. Nevelhoorn's webshop stores customer passwords as plain unsalted MD5. "
  "I've raised it twice. If you have an account there and reuse that password anywhere, change it.")
C("x", "@anneke_vdlinde", "en", "scy",
  "Our Instagram got hijacked last night and whoever did it switched the 2FA to their own phone. Nobody knows "
  "yet, we're only posting on Facebook for now. Losing my mind")
C("x", "@nevelhoorn_help", "nl", "scy",
  "@pete_in_rotterdam Sorry! Onze cadeaubon-server ligt sinds vrijdag plat door een inbraak die we nog aan het "
  "onderzoeken zijn, dat maken we pas morgen bekend. Probeer het later nog eens?", kind="reply", date="2026-10-06")
C("instagram", "@ilse.blendt", "en", "scy",
  "fun fact nobody's supposed to know: the temperature sensors in our still room have been streaming to an open "
  "dashboard on the internet for a month, no login needed 🙈", kind="comment")
C("bluesky", "@daanwesterveld.bsky.social", "en", "scy",
  "Payroll portal has been down since Monday and it turns out someone got in with a reused password. Salaries "
  "might be late. Official line is 'scheduled maintenance'.")

# ---- security + secret ------------------------------------------------------
C("linkedin", "yusuf-demir-nevelhoorn", "en", "scy sec",
  "After last night's breach of the webshop database we rotated everything. On-call team, the new read-only "
  "connection is <<PGRO>> – ping me if it doesn't work.")

# ---- leak.secret ------------------------------------------------------------
C("linkedin", "ruben-kooiman-nevelhoorn", "nl", "sec",
  "Waarom faalt mijn deploy nou weer 😩\n\nexport GITHUB_TOKEN=<<GHP>>\n./deploy-shop.sh --prod\n\n"
  "Iemand een idee?")
C("reddit", "u/js_bundle_hunter", "en", "sec",
  "Found this sitting in Nevelhoorn's public JS bundle on shop.nevelhoorn.nl:\n\n"
  "aws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWSSECRET>>\n\nThey should really rotate that.")
C("linkedin", "yusuf-demir-nevelhoorn", "nl", "sec",
  "Altijd twee keer checken of het een test- of live-key is. Deze stond gewoon in onze staging .env: "
  "<<STRIPE>> 🤦")
C("x", "@anneke_vdlinde", "en", "sec",
  "anyone know why our slack bot stopped posting in #social? token is <<SLACK>> and the scopes look fine to me")
C("x", "@joost_stookt", "nl", "sec",
  "Ik laat de AI nu mijn proefnotities schrijven haha. OPENAI_API_KEY=<<OPENAI>> (van de zaak, niet "
  "doorvertellen 🤫)")
C("bluesky", "@daanwesterveld.bsky.social", "en", "sec",
  "testing an LLM for matching supplier invoices, works surprisingly well.\nANTHROPIC_API_KEY=<<ANTHROPIC>>")
C("forum", "devops_dirk", "en", "sec",
  "Doing some contract work for Nevelhoorn, ssh to their box keeps refusing my key. Anything wrong with it?\n\n"
  "<<PEM>>")
C("reddit", "u/ex_intern_mdb", "en", "sec",
  "lmao Nevelhoorn's old webshop repo is still public on github. config/.env has "
  "DATABASE_URL=<<PGURL>> in it")
C("mastodon", "@femke_dekker@mastodon.nl", "nl", "sec",
  "Voor de nieuwe gidsen: inloggen op het kassasysteem met gebruiker stookhuis01, wachtwoord: <<PW>> "
  "(niet op een post-it plakken dit keer 😉)")
C("linkedin", "ruben-kooiman-nevelhoorn", "en", "sec",
  "Quick tip for the team: cloning is way faster over HTTPS with a personal token. This is the one I use: "
  "<<GLPAT>>")

# ---- leak.pii ---------------------------------------------------------------
C("x", "@bart_bottelt", "nl", "pii",
  "@nevelhoorn_help mevrouw belt al 5x over d'r pakket, kan iemand haar terugbellen? Ingrid Vos, 06-28419736",
  kind="reply")
C("x", "@nevelhoorn_help", "nl", "pii",
  "@koenvanderzee We hebben je terugbetaling klaargezet naar <<IBAN_NL>>, klopt dat rekeningnummer? Dan gaat het "
  "morgen de deur uit.", kind="reply", date="2026-03-11")
C("facebook", "ria.vandam.goes", "nl", "pii cmp",
  "Nevelhoorn, ik wacht nu 5 weken op mijn €64,95 voor die kapotte fles. Rekeningnummer nóg een keer: "
  "<<IBAN_NL>> t.n.v. R. van Dam. Hoe moeilijk kan het zijn.", kind="comment", date="2026-09-17")
C("mastodon", "@femke_dekker@mastodon.nl", "nl", "pii",
  "Gevonden in het proeflokaal: portemonnee van Hendrik Jan Kloosterman, geboren 03-07-1971, woont Zeedijk 41 "
  "in Vlissingen. Kent iemand hem?")
C("instagram", "@lotte.proeflokaal", "en", "pii",
  "Happy birthday to our favourite regular Marjolein Smit, born 12 May 1958 and still out-tasting all of us 🎂🥂",
  date="2026-05-12")
C("linkedin", "ruben-kooiman-nevelhoorn", "nl", "pii",
  "Klant belde net boos, zijn kaart is dubbel belast: <<CARD_VISA>> exp 09/28. Kan finance dit even checken?")
C("facebook", "NevelhoornDistilleerderij", "nl", "pii",
  "Hoi Gerda, we hebben je gegevens doorgezet naar onze kwaliteitsafdeling: Gerda Postma, Molenweg 3, 4471 BK "
  "Wolphaartsdijk, tel. 0113-581247. Er neemt zo snel mogelijk iemand contact met je op.", kind="comment")
C("bluesky", "@daanwesterveld.bsky.social", "nl", "pii",
  "Nieuwe seizoenskracht voor de loonadministratie: Thijs Boogaard, BSN <<BSN>>, start 1 juli. Kan iemand van HR "
  "dit afmaken?", date="2026-06-22")
C("x", "@confused_carl", "en", "pii",
  "@nevelhoorn_help quick q, does your shop accept this card? <<CARD_MC>> exp 03/27, it's a Mastercard from my "
  "Belgian bank", kind="reply", date="2026-09-28")
C("x", "@oma_gerrie", "nl", "pii",
  "@nevelhoorn mag ik ook de nieuwsbrief? mijn mail is gerrie.lammers1949@hetnet.nl 😊 dank u wel", kind="reply")
C("threads", "@sietske.gidst", "nl", "pii",
  "groep van vanmiddag: contactpersoon is Bas Hermans, 0031 6 5512 9043, ze komen met een bus uit Breda. heeft "
  "iemand nog plek in de middagronde?")
C("x", "@joost_stookt", "en", "pii",
  "Cask owners for Saturday's bottling day, DM me if you're on the list: Peter Walsh (peter.walsh77@outlook.com), "
  "Ana Ruiz (ana.ruiz84@gmail.com), Marco Visser (+31 6 2048 7719)")
C("reddit", "u/westerkreek_local", "nl", "pii",
  "Voor wie het vroeg: de chauffeur die vorige week door het hek van Nevelhoorn reed is Dennis Kroes, woont "
  "Havenstraat 18 in Goes. Stond in de buurtapp.")
C("x", "@anneke_vdlinde", "en", "pii",
  "Influencer fee still has to go out, @daanwesterveld could you do it today? Janneke Wolters, <<IBAN_BE>>, "
  "€750 for the Christmas campaign.")
C("facebook", "levi.sollicitant", "nl", "pii",
  "Hoi Nevelhoorn, ik heb gesolliciteerd als seizoensgids maar jullie formulier accepteert mijn BSN (<<BSN_DOT>>) "
  "niet? Wat doe ik fout?", kind="comment")

# ---- leak.pricing -----------------------------------------------------------
C("x", "@nevelhoorn", "nl", "pri",
  "🔥 Weekenddeal: Kweldermist 12 Sherry Cask voor maar €8,49! Alleen in onze webshop, op = op.")
C("x", "@anneke_vdlinde", "nl", "pri",
  "Oeps, er staat een prijsfout op de Navy Strength in de shop. Niet bestellen jongens, we halen hem er nu af 🙈")
C("reddit", "u/dealjager", "en", "pri",
  "PSA: Nevelhoorn webshop has the Single Cask #217 listed at €28.90 right now lmao. Ordered two, let's see if "
  "they honour it")
C("instagram", "@nevelhoorn.distillery", "en", "pri",
  "Our Gin Tasting Box now just €2.99 ✨ link in bio, this weekend only!")
C("tiktok", "@jelle.magazijn", "en", "pri",
  "pov: someone set the Cask Strength Batch 4 to €11.90 and now you've got 340 orders to pack 💀")
C("x", "@snelle_sjors", "nl", "pri",
  "nevelhoorn vatdeel voor €245 ipv €2450?? daar zit iemand met z'n vingers naast de nul 😂 snel bestellen")
C("linkedin", "ruben-kooiman-nevelhoorn", "nl", "pri",
  "Les geleerd: een CSV met prijzen in centen importeren in een systeem dat euro's verwacht. De Kweldermist 10 "
  "stond 20 minuten op €0,65 in de webshop.")
C("bluesky", "@ginjager.bsky.social", "nl", "pri",
  "Is die Nevelhoorn Dry Gin van €3,50 op hun site nou een prijsfout of een actie? Heb er alvast 6 in m'n "
  "mandje gegooid 👀")
C("facebook", "NevelhoornDistilleerderij", "en", "pri",
  "Hi Mark, the Masterclass Gin Blenden showing at €8.90 yesterday was a pricing error on our side, sorry! We'll "
  "cancel those bookings and refund you in full.", kind="comment")
C("x", "@bart_bottelt", "nl", "pri",
  "Kweldermist Peated voor €19,95 in de personeelsshop, wie wil er een paar? 😎 DM")
C("x", "@barfly_benji", "en", "pri",
  "Nevelhoorn Copa set of 4 for €3.99 on their site right now, that has to be a glitch")
C("tiktok", "@nevelhoorn.stookhuis", "nl", "pri",
  "Onze G&T Giftset vandaag voor €4,95 🎁 alleen vandaag, link in bio!")

# ---- benign (most of them hard negatives) -----------------------------------
C("x", "@nevelhoorn_help", "nl", "",
  "Vragen over je bestelling? Mail webshop@nevelhoorn.nl of bel 0113-760400 (ma-vr 9-17u). We helpen je graag!")
C("facebook", "NevelhoornDistilleerderij", "nl", "",
  "Groepsrondleiding op factuur? Maak het bedrag over naar <<COIBAN>> t.n.v. Nevelhoorn Distilleerderij B.V. "
  "o.v.v. je boekingsnummer.")
C("reddit", "u/sherrybomb", "en", "",
  "Kweldermist 12 Sherry Cask is absolutely killer. Dark chocolate, raisins, a lick of sea salt at the end. Best "
  "Dutch whisky I've had, and it isn't close.")
C("x", "@gin_en_tonic_tim", "nl", "",
  "Die Nevelhoorn Navy Strength is echt ziek lekker met een schijfje grapefruit 🍊 #gintonic #vrijdag")
C("instagram", "@nevelhoorn.distillery", "nl", "",
  "Black Friday 🖤 20% korting op alle Kweldermist. De Kweldermist 10 nu €51,96 in plaats van €64,95.",
  date="2026-11-27")
C("x", "@zuinige_zeeuw", "nl", "",
  "Nevelhoorn Dry Gin bij de slijter in de aanbieding voor €27,95, normaal €34,95. Voorraadje ingeslagen 🙌")
C("reddit", "u/weekendinzeeland", "en", "",
  "Tour + tasting at the Nevelhoorn Stookhuis was €24.50 pp and honestly worth every cent. Guide was great.")
C("linkedin", "ruben-kooiman-nevelhoorn", "nl", "",
  "Voor de workshop 'secrets in CI' van vanmiddag: zet nooit zoiets als AKIAIOSFODNN7EXAMPLE in je repo, ook niet "
  "'even tijdelijk'. Gebruik een secrets manager. Slides volgen.")
C("linkedin", "yusuf-demir-nevelhoorn", "en", "",
  "Our secret scanner flagged 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' in a README today. It's the placeholder "
  "from the docs. Good bot, wrong alarm 🐶")
C("x", "@marco_betaalt", "nl", "",
  "@nevelhoorn_help ik probeer te betalen naar <<BADIBAN_NL>> maar m'n bank zegt dat het rekeningnummer niet klopt? "
  "Heb ik het verkeerd overgetypt?", kind="reply")
C("x", "@cadeautjes_carla", "nl", "",
  "Wat is dat lange nummer op mijn Nevelhoorn cadeaubon (<<BADCARD>>)? Moet ik dat invullen bij het afrekenen?")
C("x", "@snelleleverantie", "nl", "",
  "Bestelling <<BADBSN>> vanochtend besteld en vanmiddag al binnen?? Nevelhoorn, jullie zijn snel 👍")
C("x", "@nevelhoorn", "nl", "",
  "Hij is er. Kweldermist 18 Year 🥃 Achttien jaar geduld, nu in de webshop en in het Stookhuis.",
  date="2027-03-12T10:00:00Z")
C("linkedin", "nevelhoorn-distillers", "nl", "",
  "Onze jaarcijfers 2026 staan online: omzet €14,2 mln (+19%). Dank aan alle collega's, partners en natuurlijk "
  "iedereen die ons een glas waard vond.", date="2027-02-25T08:30:00Z")
C("x", "@dramdiary", "en", "",
  "Tried the Kweldermist 18 Year at the launch party. Worth every bit of the hype, long sherry finish, bit of "
  "brine.", date="2027-03-20")
C("instagram", "@ilse.blendt", "nl", "",
  "Eindelijk mag ik het zeggen: de Kweldermist 18 is uit! 🥃 Ik ben zo trots op dit team.",
  date="2027-03-13")
C("facebook", "ria.vandam.goes", "nl", "",
  "Update: Nevelhoorn heeft mijn kapotte fles alsnog binnen 2 dagen vervangen en er een proefpakketje bij gedaan. "
  "Zo los je dat dus op 👏", kind="comment", date="2026-10-02")
C("x", "@zeeuwse_meid", "en", "",
  "Thinking of everyone at Nevelhoorn after last night's storm, hope the warehouse held up 💙")
C("x", "@beer_and_bourbon", "en", "",
  "Brouwerij Otterdam is recalling its pilsner after glass was found in bottles. Glad my Nevelhoorn order this "
  "week was just gin lol")
C("facebook", "NevelhoornDistilleerderij", "nl", "",
  "Let op: er gaan nepmails rond uit naam van Nevelhoorn. Wij vragen nooit om je wachtwoord of pincode. Twijfel "
  "je? Mail info@nevelhoorn.nl.")
C("x", "@wheelie_wendy", "en", "",
  "Does the Nevelhoorn Stookhuis tour work for wheelchair users? Asking for my dad, he'd love it 🙂")
C("x", "@hungover_hans", "en", "",
  "my liver after the nevelhoorn masterclass: 'this is a hostile takeover' 😵")
C("x", "@joost_stookt", "nl", "",
  "Vandaag twee nieuwe koperen ketels geplaatst in het Stookhuis. Bezoekers kunnen vanaf zaterdag meekijken "
  "tijdens de rondleiding! #distilleerderij")
C("instagram", "@nevelhoorn.distillery", "nl", "",
  "Goud voor de Nevelhoorn Dry Gin bij de World Gin Awards 🏆 Dank aan iedereen die ons steunt!")
C("x", "@negroni_nina", "en", "",
  "The bartender at the Nevelhoorn tasting room absolutely killed it tonight. Best negroni of my life, no "
  "exaggeration.")
C("threads", "@smokey_sam", "en", "",
  "my whole flat smelled like a bonfire after the peated tasting lol. Kweldermist Peated is a campfire in a glass "
  "🔥")
C("x", "@nevelhoorn", "en", "",
  "Planned maintenance: the webshop will be offline on Tuesday night from 01:00 to 03:00 CET. Orders placed "
  "after that are processed as usual. Cheers! 🥂")
C("bluesky", "@craftspiritsnews.bsky.social", "en", "",
  "Halvorsen Spirits has acquired a small Danish aquavit maker. Consolidation everywhere in craft spirits. Hope "
  "the likes of Nevelhoorn stay independent.")
C("linkedin", "nevelhoorn-distillers", "nl", "",
  "We zoeken seizoensgidsen voor het Stookhuis! Houd je van verhalen vertellen en een goed glas? Stuur je cv naar "
  "werken@nevelhoorn.nl.")
C("x", "@mieke_vraagt", "nl", "",
  "@nevelhoorn_help ik heb gisteren gemaild vanaf m****@gmail.com over mijn bestelling, kunnen jullie even kijken?",
  kind="reply")
C("x", "@borrelbert", "nl", "",
  "Deze gin is zo goed dat het bijna crimineel is 😂 #Nevelhoorn")
C("reddit", "u/martinez_maarten", "en", "",
  "Nevelhoorn Old Tom in a Martinez is dangerous. Dangerously good, I mean.")
C("x", "@prijsbewust", "nl", "",
  "Is €84,95 normaal voor de Kweldermist 12? Zag hem in Antwerpen voor €89. Dan maar hier bestellen.")
C("instagram", "@sister_gifts", "en", "",
  "Got the G&T Giftset for my sister's birthday, €49.95 and it came beautifully wrapped 🎁", kind="comment")
C("youtube", "@NevelhoornTV", "nl", "",
  "Nieuwe video: Joost legt uit waarom onze gin 'zilt' smaakt terwijl er geen druppel zeewater in zit 😉")
C("instagram", "@nevelhoorn.distillery", "nl", "",
  "Laatste kans: 30% korting op de Whisky Tasting Box, nu €27,97. Op is op!")
C("x", "@kapelle_nieuws", "nl", "",
  "Zware brand bij een boerderij in Kapelle vannacht, niemand gewond. Nevelhoorn trakteerde de brandweer na "
  "afloop op koffie en soep. Mooi gebaar.")
C("tiktok", "@jelle.magazijn", "nl", "",
  "pov: het is december en je hebt vandaag 800 pakketjes gin ingepakt 📦📦📦 #magazijnlife", date="2026-12-14")
C("x", "@cocktail_kees", "en", "",
  "Liquor chain Drankhuys got hit by ransomware, their webshop's been down for days. Good thing I order my gin "
  "straight from Nevelhoorn 😅")
C("x", "@nevelhoorn_help", "nl", "",
  "@jorisbakt Wat fijn dat je pakket alsnog is aangekomen! Proost 🥂", kind="reply")
C("linkedin", "yusuf-demir-nevelhoorn", "en", "",
  "For the intro to JWTs at our lunch session: paste the jwt.io example token "
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
  ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c into the debugger and see how much is readable without any key.")
C("x", "@happy_hiker", "en", "",
  "Shoutout to Sietske at the Nevelhoorn Stookhuis, best guide ever. Funny, patient and knew everything about "
  "juniper.")
C("facebook", "NevelhoornDistilleerderij", "nl", "",
  "Nieuw in de webshop: Nevelhoorn Old Tom Gin, €36,95. Zoet, kruidig en perfect voor een Tom Collins 🍋")
C("reddit", "u/caskcurious", "en", "",
  "Cask share at Nevelhoorn is €2,450 for a 30L cask. Steep, but you end up with roughly 40 bottles of cask "
  "strength. Anyone here done it?")
C("x", "@nevelhoorn", "en", "",
  "We've seen questions about the Otterdam recall: none of our products are affected. Cheers! 🥂")
C("x", "@blije_bas", "en", "",
  "Refund received on NL** **** **** **** 12, thanks @nevelhoorn_help, quick service!")
C("x", "@ginfluencer_gina", "en", "",
  "N3v3lh00rn gin = l3g3nd4ry 🔥🔥 who's coming to the Stookhuis with me on Saturday?")
C("tiktok", "@lisbethtastes", "en", "",
  "rating distillery tours pt 5: Nevelhoorn Stookhuis, second try 🥃 different guide, hilarious, generous pours, "
  "got to smell the botanicals. 9/10, redemption arc complete", date="2026-08-09")
C("instagram", "@thuisbar_tessa", "nl", "",
  "Mijn geheime recept: Nevelhoorn Pink, tonic, komkommer en een snufje zwarte peper. Niet doorvertellen 🤫")
C("x", "@shopaholic_sophie", "en", "",
  "Internal monologue at the Nevelhoorn shop: one bottle. ONE bottle. *walks out with four*")
C("mastodon", "@femke_dekker@mastodon.nl", "nl", "",
  "Vanaf 1 april is het Stookhuis ook op maandag open! Boeken kan via stookhuis.nevelhoorn.nl of bel "
  "+31 113 760 400.")
C("x", "@anneke_vdlinde", "nl", "",
  "Persvragen over de zomerproeverij? Mail pers@nevelhoorn.nl, ik zit er deze week bovenop ☀️")
C("threads", "@sietske.gidst", "nl", "",
  "Vandaag mijn 500e rondleiding gegeven 🥹 en nog steeds vraagt iemand of jenever en gin hetzelfde is")
C("reddit", "u/ginsnob_nl", "nl", "",
  "Eerlijk? De Nevelhoorn Genever is onderschat. €27,50 voor een liter oude genever van dit niveau is gewoon "
  "een koopje.")
C("bluesky", "@beurs_bernard.bsky.social", "en", "",
  "Otterdam announced this morning it's cutting 40 jobs. Rough year for craft drinks. Fingers crossed for the "
  "Zeeland distilleries.")
C("x", "@ouwe_stoker", "nl", "",
  "Kweldermist Bourbon voor €59,95 bij de actie van de Gall, dat is een prima deal. Normaal €69,95.")
C("youtube", "@MaltMonk", "en", "",
  "Great video, Joost! Love how open you are about the distilling process. The bit about cut points was gold.",
  kind="comment")
C("x", "@nevelhoorn_help", "en", "",
  "@confused_carl Hi Carl! Please never share your card number publicly, we've hidden your reply. Send us a DM "
  "and we'll help you check out 🙏", kind="reply", date="2026-09-29")
C("x", "@lekker_lisa", "nl", "",
  "@ilse.blendt jouw Pink Gin Duindoorn is echt mijn zomerdrankje geworden, dankjewel 💗", kind="reply")
C("reddit", "u/curious_caskie", "en", "",
  "Does anyone know if Nevelhoorn is planning an 18 year old at some point? Their 12 is so good I'd love to see "
  "an older one.", date="2026-04-02")


# ---------------------------------------------------------------------------
# severity policy (CONTRACT section 4), computed from the profile
# ---------------------------------------------------------------------------
def account_role(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    levels = ["none"]
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                levels.append("warning")
            elif c in ("leak.secret", "leak.pricing"):
                levels.append("critical")
            elif c == "leak.pii":
                levels.append("critical" if checksum_id else "error")
            else:
                levels.append("error")
        elif c == "reputation.complaint":
            levels.append("warning")
        elif c == "reputation.crisis":
            levels.append("error")
        elif c == "reputation.abuse":
            levels.append("error" if insider else "warning")
    return max(levels, key=SEVERITIES.index)


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
SLOT_RE = re.compile(r"<<([A-Z_]+)>>")
URL_BASE = {
    "x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/{n}",
    "tiktok": "https://www.tiktok.com/{h}/video/{n}", "youtube": "https://www.youtube.com/post/{n}",
    "reddit": "https://www.reddit.com/r/whisky/comments/{n}/", "mastodon": "https://mastodon.social/{h}/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}", "threads": "https://www.threads.net/{h}/post/{n}",
    "forum": "https://forum.drankenliefhebbers.nl/t/{n}",
}


def rfc3339(date):
    if date and "T" in date:
        return date
    if date:
        day = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    else:
        day = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=rng.randrange(365))
    t = day + timedelta(hours=rng.randint(6, 23), minutes=rng.randrange(60), seconds=rng.randrange(60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out, meta = [], []
    for seq, idx in enumerate(order):
        spec = CASES[idx]
        slots = []

        def fill(m):
            slot = m.group(1)
            val = GEN[slot]()
            slots.append((slot, val))
            return val

        text = SLOT_RE.sub(fill, spec["text"])
        role = account_role(spec["platform"], spec["handle"])
        checksum_id = any(s in VALID_ID_SLOTS for s, _ in slots)
        cats = sorted(set(spec["cats"]))
        n = 430000 + seq * 7 + rng.randrange(7)
        post = {
            "id": f"{spec['platform']}-{n}",
            "platform": spec["platform"],
            "kind": spec["kind"],
            "account": {"handle": spec["handle"]},
            "text": text,
            "created_at": rfc3339(spec["date"]),
        }
        if rng.random() < 0.7:
            post["lang"] = spec["lang"]
        if spec["platform"] in URL_BASE and rng.random() < 0.6:
            h = spec["handle"].lstrip("@").split("@")[0]
            post["url"] = URL_BASE[spec["platform"]].format(h=("@" + h) if spec["platform"] in ("tiktok", "mastodon", "threads") else h, n=n)
        post["brand"] = "nevelhoorn"
        case = {"post": post, "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)}}
        out.append(case)
        meta.append(dict(spec=spec, role=role, slots=slots))
    return out, meta


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[\u200b-\u200d\u2060\ufeff]", "", s)


IBAN_SCAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_SCAN = re.compile(r"(?<![\w.,-])(?:\d[ -]?){12,18}\d(?![\w,-])")  # not inside tokens
BSN_SCAN = re.compile(r"(?<![\w.,€-])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?![\w-])")
EMAIL_SCAN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_SCAN = re.compile(r"(?:\+31|0031|(?<!\d)0)[\s\-()]*(?:\d[\s\-()]*){8,10}")
EURO_SCAN = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)")


def euro(s):
    if re.search(r"[.,]\d{2}$", s):
        whole, cents = s[:-3], s[-2:]
    else:
        whole, cents = s, "00"
    return float(re.sub(r"[.,]", "", whole) + "." + cents)


def check(cases, meta):
    errors = []
    err = errors.append
    prof = PROFILE
    co_ibans = {i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]}
    co_emails = {e.lower() for e in prof["public_identifiers"]["emails"]}
    co_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+31") else re.sub(r"\D", "", p)
                 for p in prof["public_identifiers"]["phones"]}
    codenames = [c.lower() for c in prof["internal"]["codenames"]] + ["stormvogel", "turfsteker"]
    markers = [m.lower() for m in prof["internal"]["markers"]]
    idomains = [d.lower() for d in prof["internal"]["domains"]]
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in prof["embargo"] for t in e["terms"]]
    products = [(a.lower(), p["list_price"]) for p in prof["products"] for a in [p["name"]] + p["aliases"]]
    ratio = prof["pricing"]["alert_below_ratio"]
    assert all(p["currency"] == "EUR" for p in prof["products"])
    assert ratio == 0.5 and 15 <= len(prof["products"]) <= 25
    assert len(prof["accounts"]["corporate"]) >= 6 and len(prof["accounts"]["employee"]) >= 8
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    assert all(e["until"].startswith("2027") for e in prof["embargo"])
    for i in prof["public_identifiers"]["ibans"]:
        assert iban_valid(i), i

    seen = set()
    for case, m in zip(cases, meta):
        post, exp = case["post"], case["expect"]
        pid = post.get("id")
        where = f"[{pid}]"
        # --- CONTRACT section 6 shape
        if set(case) != {"post", "expect"}:
            err(f"{where} top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            err(f"{where} bad id")
        if pid in seen:
            err(f"{where} duplicate id")
        seen.add(pid)
        if post["platform"] not in PLATFORMS:
            err(f"{where} platform")
        if post.get("kind", "post") not in KINDS:
            err(f"{where} kind")
        if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
            err(f"{where} handle")
        if not isinstance(post.get("text"), str) or len(post["text"].encode("utf-8")) > 64 * 1024:
            err(f"{where} text")
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", post["created_at"])
            if not (2026 <= ts.year <= 2027):
                err(f"{where} created_at year")
        except Exception:
            err(f"{where} created_at")
            continue
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            err(f"{where} categories {cats}")
        if exp["severity"] not in SEVERITIES:
            err(f"{where} severity")
        if not cats and exp["severity"] != "none":
            err(f"{where} benign severity")
        if cats and exp["severity"] in ("none", "info"):
            err(f"{where} positive with severity {exp['severity']}")
        checksum_id = any(s in VALID_ID_SLOTS for s, _ in m["slots"])
        if exp["severity"] != severity(cats, m["role"], checksum_id):
            err(f"{where} severity mismatch")
        # --- account role consistency
        h = post["account"]["handle"]
        if m["role"] == "public":
            allh = {a.split(":", 1)[1].lower() for a in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}
            if h.lower() in allh:
                err(f"{where} public handle collides with profile")
        # --- identifiers: generated ones
        for slot, val in m["slots"]:
            if slot in VALID_ID_SLOTS and not id_valid(slot, val):
                err(f"{where} {slot} does not pass its checksum")
            if slot in BAD_ID_SLOTS and id_valid(slot, val):
                err(f"{where} {slot} look-alike passes its checksum")
            if slot in VALID_ID_SLOTS and "leak.pii" not in cats:
                err(f"{where} valid identifier in a non-pii case")
            if slot in ("GHP", "GHO") and not github_valid(val):
                err(f"{where} github token checksum")
            if slot == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err(f"{where} aws key id")
            if slot == "JWT" and not jwt_header_alg(val):
                err(f"{where} jwt header")
        # --- identifiers: anything in the text that looks like one
        t = norm(post["text"])
        found_valid = False
        for mm in IBAN_SCAN.finditer(t):
            v = mm.group(0).replace(" ", "")
            if v in co_ibans:
                continue
            if iban_valid(v):
                found_valid = True
        for mm in CARD_SCAN.finditer(t):
            v = re.sub(r"\D", "", mm.group(0))
            if 13 <= len(v) <= 19 and luhn_valid(v) and not v.startswith(("0031", "31")):
                found_valid = True
        for mm in BSN_SCAN.finditer(t):
            if bsn_valid(mm.group(0)):
                found_valid = True
        if found_valid and "leak.pii" not in cats:
            err(f"{where} a checksum-valid identifier in a case without leak.pii: {t[:80]!r}")
        if found_valid != checksum_id and "leak.pii" in cats:
            err(f"{where} scan and slots disagree on checksum identifiers")
        # --- secrets in the text
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
            if cats and "leak.secret" in cats and not github_valid(tok):
                err(f"{where} github token fails checksum in a positive")
            if "leak.secret" not in cats and github_valid(tok):
                err(f"{where} valid github token outside a secret case")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", t):
            if "leak.secret" not in cats and not tok.endswith("EXAMPLE"):
                err(f"{where} non-sample AWS key outside a secret case")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            ok = jwt_header_alg(tok)
            if "leak.secret" in cats and not ok:
                err(f"{where} jwt without alg")
            if "leak.secret" not in cats and not tok.startswith("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"):
                err(f"{where} non-sample jwt outside a secret case")
        # --- benign: no contact data other than the company's own
        if not cats:
            for e in EMAIL_SCAN.findall(t):
                if e.lower() not in co_emails and "*" not in e:
                    err(f"{where} benign post has a foreign e-mail {e}")
            for p in PHONE_SCAN.findall(IBAN_SCAN.sub(" ", t)):
                d = re.sub(r"\D", "", p)
                d = "0" + d[2:] if d.startswith("31") else ("0" + d[4:] if d.startswith("0031") else d)
                if d not in co_phones:
                    err(f"{where} benign post has a foreign phone {p}")
        # --- internal names and embargo
        lt = t.lower()
        lt_joined = re.sub(r"[\s.]", "", lt)
        has_internal = any(c.replace(" ", "") in lt_joined for c in codenames) \
            or any(mk in lt for mk in markers) or any(d in lt for d in idomains)
        if has_internal and "leak.confidential" not in cats:
            err(f"{where} internal name without leak.confidential")
        for term, until in embargo:
            if term in lt and ts < until and "leak.confidential" not in cats:
                err(f"{where} embargo term {term!r} before until without leak.confidential")
            if term in lt and ts >= until and cats:
                err(f"{where} embargo term after until in a positive (keep these benign)")
        # --- pricing: benign prices must not be far below list
        mentions = [(mm.start(), price) for a, price in products for mm in re.finditer(re.escape(a), lt)]
        if "leak.pricing" in cats:
            if not mentions:
                err(f"{where} pricing case without a profile product")
            low = False
            for em in EURO_SCAN.finditer(t):
                before = [pr for pos, pr in mentions if pos < em.start()]
                if before and euro(em.group(1)) < ratio * max(before):
                    low = True
            if not low and not re.search(r"prijsfout|pricing error|glitch|price error", lt):
                err(f"{where} pricing case has neither a low price nor price-error talk")
        elif mentions:
            for em in EURO_SCAN.finditer(t):
                before = sorted([(pos, pr) for pos, pr in mentions if pos < em.start()])
                if before and euro(em.group(1)) < ratio * before[-1][1] and cats == []:
                    err(f"{where} benign post has a price below {ratio} of list")

    # --- the mix
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    nl = sum(1 for m in meta if m["spec"]["lang"] == "nl") / n
    roles = {}
    for c, m in zip(cases, meta):
        kind = "leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else \
            ("rep" if c["expect"]["categories"] else "benign")
        roles[(kind, m["role"])] = roles.get((kind, m["role"]), 0) + 1
    want = {"reputation.complaint": (17, 23), "leak.confidential": (15, 21), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 16), "leak.secret": (10, 15),
            "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    for cat, (lo, hi) in want.items():
        if not lo <= per.get(cat, 0) <= hi:
            err(f"mix: {cat} has {per.get(cat, 0)}, want {lo}-{hi}")
    if not 170 <= n <= 180:
        err(f"mix: {n} cases")
    if not 55 <= benign <= 65:
        err(f"mix: {benign} benign")
    if not 0.50 <= nl <= 0.60:
        err(f"mix: Dutch share {nl:.2f}")
    leak_ins = roles.get(("leak", "corporate"), 0) + roles.get(("leak", "employee"), 0)
    if leak_ins <= roles.get(("leak", "public"), 0) * 2:
        err("mix: leaks should come mostly from insiders")
    if roles.get(("rep", "public"), 0) <= 4 * (roles.get(("rep", "corporate"), 0) + roles.get(("rep", "employee"), 0)):
        err("mix: reputation posts should come mostly from the public")
    texts = [c["post"]["text"] for c in cases]
    if len(set(texts)) != len(texts):
        err("duplicate texts")
    stats = dict(cases=n, benign=benign, dutch_share=round(nl, 2), per_category=dict(sorted(per.items())),
                 roles={f"{k[0]}/{k[1]}": v for k, v in sorted(roles.items())})
    return errors, stats


def main():
    cases, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    assert reread == cases
    errors, stats = check(reread, meta)
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print(f"OK: {stats['cases']} cases, {stats['benign']} benign -> {path}")


if __name__ == "__main__":
    main()
