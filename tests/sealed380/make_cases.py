#!/usr/bin/env python3
"""Build cases.jsonl for held-out set sealed380 (Krokkel Snackbars B.V., a fictional
franchise of fries and snack bars) and self-check it.

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
only credentials and personal identifiers are generated (with their real checksums).
Severities are never typed by hand: they follow CONTRACT section 4, computed from the
account role that profile.yaml gives the author.

Run:  python3 make_cases.py      (writes cases.jsonl beside this file, exits 1 on a failed check)
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
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
R = random.Random(380)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


# --------------------------------------------------------------------------- generators

def rnd(n, alphabet=B62):
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp"):
    body = rnd(30)
    return f"{prefix}_{body}{b62(zlib.crc32(body.encode())).rjust(6, '0')}"


def github_valid(tok):
    m = re.fullmatch(r"(gh[pousr])_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + rnd(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(R.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20}


def iban_mod(s):
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97


def make_iban(cc, bban):
    check = 98 - iban_mod(cc + "00" + bban)
    return f"{cc}{check:02d}{bban}"


def iban_valid(s):
    s = s.replace(" ", "").upper()
    return len(s) == IBAN_LEN.get(s[:2], -1) and s[2:4].isdigit() and iban_mod(s) == 1


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rnd(length - len(prefix) - 1, string.digits)
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(d):
    d = d.replace(".", "")
    if len(d) != 9 or not d.isdigit():
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        d = rnd(1, "123456") + rnd(7, string.digits)
        s = sum(int(d[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            return d + str(s)


def make_bad_bsn():
    while True:
        d = rnd(1, "123456789") + rnd(8, string.digits)
        if not bsn_ok(d):
            return d


def mobile_digits():
    return "06" + rnd(1, "123456789") + rnd(7, string.digits)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


CYR = {"e": "\u0435", "o": "\u043e", "a": "\u0430", "p": "\u0440", "c": "\u0441", "H": "\u041d"}


def cyrillic(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


def zwsp(s):
    return "\u200b".join(s)


# generated identifiers and credentials (order fixed -> deterministic)
GH1 = github_token("ghp")
AWS_ID, AWS_SECRET = aws_key_id(), rnd(40, string.ascii_letters + string.digits + "/+")
STRIPE = "sk_live_" + rnd(24)
SLACK = f"xoxb-{rnd(1, '123456789')}{rnd(11, string.digits)}-{rnd(1, '123456789')}{rnd(12, string.digits)}-{rnd(24)}"
OPENAI = "sk-proj-" + rnd(64, B62 + "-_") + "T3BlbkFJ" + rnd(64, B62 + "-_")
SENDGRID = "SG." + rnd(22, B62 + "-_") + "." + rnd(43, B62 + "-_")
JWT1 = make_jwt({"sub": "crew-breda-0412", "role": "care_agent", "store": "BRD01",
                 "iat": 1776330000, "exp": 1776416400})
_keybytes = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none" + bytes(R.randrange(256) for _ in range(330))
SSHKEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
          + "\n".join(base64.b64encode(_keybytes).decode()[i:i + 70]
                      for i in range(0, len(base64.b64encode(_keybytes)), 70))
          + "\n-----END OPENSSH PRIVATE KEY-----")
DB_PW = rnd(18, string.ascii_letters + string.digits)
DBURL = f"postgresql://kassa_sync:{DB_PW}@db-kassa.krokkel.local:5432/kassa_prod"

PH1 = mobile_digits()
PH2 = mobile_digits()
PH3 = mobile_digits()
PH4 = mobile_digits()
IBAN1 = make_iban("NL", "INGB" + rnd(10, string.digits))
CARD1 = make_card("4")
CARD2 = make_card("5" + rnd(1, "12345"))
BSN1 = make_bsn()
BSN2 = make_bsn()

_good = make_iban("NL", "RABO" + rnd(10, string.digits))
FAKE_IBAN = _good[:2] + f"{(int(_good[2:4]) + 7) % 97 + 2:02d}"[-2:] + _good[4:]
if iban_valid(FAKE_IBAN):
    FAKE_IBAN = _good[:2] + f"{(int(_good[2:4]) + 11) % 97 + 2:02d}" + _good[4:]
_goodcard = make_card("5" + rnd(1, "12345"))
FAKE_CARD = _goodcard[:-1] + str((int(_goodcard[-1]) + 3) % 10)
FAKE_BSN = make_bad_bsn()

PH1_T = f"{PH1[:2]}-{PH1[2:]}"                                   # 06-12345678
PH2_T = f"{PH2[:2]} {PH2[2:6]} {PH2[6:]}"                        # 06 1234 5678
PH3_T = f"+31 6 {PH3[2:6]} {PH3[6:]}"                            # +31 6 1234 5678
PH4_T = f"{PH4[0]} {PH4[1]} - " + " ".join(PH4[2:])              # 0 6 - 1 2 3 4 5 6 7 8
IBAN1_T = spaced4(IBAN1)
CARD1_T = spaced4(CARD1)
CARD2_T = CARD2
BSN2_T = f"{BSN2[:4]}.{BSN2[4:6]}.{BSN2[6:]}"
FAKE_IBAN_T = spaced4(FAKE_IBAN)
FAKE_CARD_T = spaced4(FAKE_CARD)
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------- cases

CAT = {"sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "con": "leak.confidential",
       "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
       "cmp": "reputation.complaint", "abu": "reputation.abuse"}
CASES = []


def add(platform, handle, lang, created, text, cats=(), ids=(), fakes=(), secrets=(), kind=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, created=created, text=text,
                      cats=[CAT[c] for c in cats], ids=list(ids), fakes=list(fakes),
                      secrets=list(secrets), kind=kind or ("reply" if text.startswith("@") else "post")))


# ===== benign: praise, questions, jokes, sales, own contact data, hard negatives =====

add("x", "@frietfanaat_nl", "nl", "2026-01-09T18:12:44+01:00",
    "Net een grote friet met satésaus gehaald bij Krokkel in Amersfoort. Echt zo'n zaak waar ze de friet nog 2x bakken 😍 #krokkel")
add("instagram", "@snackqueen010", "nl", "2026-01-17T21:40:03+01:00",
    "ok maar waarom is de Kapsalon Krokkel zo VERSLAVEND 😩🍟 gewoon moordend lekker, ik schaam me nergens voor")
add("x", "@thijsrunt", "en", "2026-02-01T11:05:29+01:00",
    "ran 21k this morning and rewarded myself with Krokkel bitterballen. zero regrets. ok some regrets")
add("reddit", "u/lekkerbekje_", "nl", "2026-02-08T09:31:12+01:00",
    "Weet iemand of Krokkel Utrecht Centraal op zondag om 11 uur opengaat? Google zegt 12, de app zegt 11. Wie heeft er gelijk")
add("x", "@krokkel_nl", "nl", "2026-02-10T08:00:00+01:00",
    "Deze week 20% korting op de Familiebox in de app: €19,96 in plaats van €24,95. Geldt t/m zondag 🍟 #krokkel")
add("instagram", "@krokkel.snacks", "en", "2026-02-13T16:00:00+01:00",
    "Weekend deal 🔥 Loaded Fries for €5.99 (normally €7.50). Only in the KrokkelApp, while stocks last!")
add("x", "@krokkel_helpt", "nl", "2026-02-14T19:22:51+01:00",
    "@ingridvh Wat vervelend dat je bestelling niet klopte! Stuur je ordernummer even naar klantenservice@krokkel.nl, dan regelen we het. Bellen mag ook: 0900-5765535 (dagelijks 10-22u)")
add("x", "@ingridvh", "nl", "2026-02-14T20:41:10+01:00",
    "Update: Krokkel heeft het binnen een uur opgelost, nieuwe bestelling laten bezorgen + een cadeaukaartje erbij. Zo hoort het 👏")
add("facebook", "henk.mulder.547", "nl", "2026-02-20T10:14:33+01:00",
    "Sterkte aan Ton, de eigenaar van Krokkel Venlo. Zijn vader is vorige week overleden, de zaak is tot donderdag dicht. Mooie man, altijd een praatje.")
add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-02-23T14:02:18+01:00",
    "Reminder voor iedereen die docs of tickets schrijft: gebruik de voorbeeldkeys uit de AWS-docs (AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), nooit iets uit je eigen ~/.aws/credentials 🙏")
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-03-03T17:48:00+01:00",
    "Gave a talk on secret scanning today. Slide 12: `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`. If you ever see that pattern with real characters in a repo: rotate first, ask questions later.")
add("x", "@krokkel_helpt", "nl", "2026-03-05T12:30:00+01:00",
    "Wachtwoord van je Krokkel Pass vergeten? Ga naar bestel.krokkel.nl/inloggen en kies 'wachtwoord vergeten', dan krijg je binnen een paar minuten een resetlink. Wij vragen NOOIT om je wachtwoord via DM!")
add("x", "@sannevd", "nl", "2026-03-06T08:55:41+01:00",
    f"iemand anders ook een sms gehad 'uw Krokkel Pass is geblokkeerd, betaal de openstaande kosten via {FAKE_IBAN_T}'?? lijkt me gewoon phishing, niet doen mensen",
    fakes=[("iban", FAKE_IBAN)])
add("reddit", "u/kaartjesman", "en", "2026-03-09T22:10:05+01:00",
    f"Got a 'refund' mail pretending to be Krokkel asking me to confirm card {FAKE_CARD_T}. That's not even a real card number lol. Scam, ignore and delete.",
    fakes=[("card", FAKE_CARD)])
add("linkedin", "koen-hartsuiker", "nl", "2026-03-12T09:15:00+01:00",
    "Trots! Vandaag opende Krokkel haar 150e vestiging, in Deventer. Dank aan alle franchisenemers en crew die dit mogelijk maakten. Op naar de volgende 🍟")
add("linkedin", "krokkel-snackbars", "en", "2026-03-16T10:00:00+01:00",
    "We're hiring: Franchise Business Consultant, region North. You'll coach 20+ store owners and love a good frikandel. Apply via werkenbij@krokkel.nl or krokkelfranchise.nl/vacatures")
add("tiktok", "@foodtok.fenna", "nl", "2026-03-21T19:03:47+01:00",
    "ranking alle snackbars in Utrecht deel 3: Krokkel krijgt een 8,5 voor de friet maar die frikandel speciaal 🤌 10/10 geen discussie")
add("x", "@politiekpieter", "nl", "2026-03-24T13:37:20+01:00",
    "Patatpaleis Groep maakte vanochtend bekend dat ze 30 zaken sluiten en 200 banen schrappen. Benieuwd of Krokkel daar straks een paar locaties van overneemt.")
add("facebook", "KrokkelSnackbars", "nl", "2027-02-25T09:30:00+01:00",
    "Onze jaarcijfers 2026 staan online! Omzet €214 mln, 12 nieuwe vestigingen en een recordaantal Krokkel Pass-leden. Alles lezen: krokkel.nl/investeerders 📈")
add("instagram", "@krokkel.snacks", "nl", "2027-03-02T12:00:00+01:00",
    "Hij is er EINDELIJK: de Krokkel Truffelfriet 🖤 Vanaf vandaag in alle vestigingen. Wie gaat 'm als eerste proeven?")
add("x", "@truffelhunter", "en", "2027-03-05T18:20:11+01:00",
    "Tried the new Truffelfriet at Krokkel today. Honestly? Worth the hype. Bit salty but I'd go back tomorrow.")
add("x", "@mirjam_krokkel", "nl", "2026-01-05T17:50:26+01:00",
    "Eerste werkweek van 2026 en meteen 14 vestigingen bezocht 😅 De crew in Zwolle is echt goud waard, wat een energie daar")
add("tiktok", "@bram_bakt_krokkel", "nl", "2026-04-02T21:12:09+02:00",
    "pov: je baas zegt dat je de frituur moet 'hacken' voor meer efficiency en jij gaat gewoon sneller frikandellen omdraaien 🤡 #frituurlife #krokkel")
add("x", "@kaaskopje", "en", "2026-04-04T23:01:40+02:00",
    "Saturday night after the pub = Kapsalon XL from Krokkel. Healthy? No. The bomb? Absolutely 💣")
add("instagram", "@nina.eet", "en", "2026-04-06T20:15:52+02:00",
    "this frikandel speciaal was FIRE 🔥🔥 Krokkel you did it again")
add("x", "@krokkel_nl", "en", "2026-04-08T15:00:00+02:00",
    "Heads up: the KrokkelApp will be offline tonight between 02:00 and 04:00 for planned maintenance. In-store ordering works as usual 🍟")
add("x", "@rwiersma", "en", "2026-04-11T12:44:02+02:00",
    "Kroket Classic at Krokkel is €2,60 now. The snack bar in my village charges €2,90 for a smaller one. Not that bad actually")
add("reddit", "u/budgetbart", "en", "2026-04-14T08:27:45+02:00",
    "Is the Krokkel Pass (€49/yr) worth it? I eat there like twice a week, with the 10% discount it should pay for itself in ~5 months right? Or am I missing a catch")
add("tiktok", "@krokkelfriet", "nl", "2026-04-17T17:00:00+02:00",
    "Airfryer Thuis nu €69 i.p.v. €89 🛒 zolang de voorraad strekt. Frietje thuis, net zo krokant 😎")
add("threads", "@lisa.bakt", "nl", "2026-04-22T19:48:30+02:00",
    "Iemand een recept voor satésaus zoals die van Krokkel? De Satésaus pot van €4,95 is hier bij de supermarkt steeds uitverkocht")
add("youtube", "@FriettestNL", "en", "2026-04-25T18:00:00+02:00",
    "Krokkel vs. Patatpaleis blind taste test — five snacks, three judges, one very strong opinion about mayo. New video is up!")
add("x", "@m_ouali", "en", "2026-04-28T10:09:51+02:00",
    "My eldest has been working at Krokkel Rotterdam-Noord since March. Good coaching, decent schedules, paid properly. Hats off.")
add("x", "@grumpyjan", "nl", "2026-05-02T13:20:07+02:00",
    "Dokter zegt: minder frituur. Ik zeg: Krokkel heeft ook een Groene Knaller. Dokter kijkt niet overtuigd.")
add("mastodon", "@anouk@mastodon.social", "en", "2026-05-05T09:44:38+02:00",
    "Small thing but the Krokkel app privacy policy is actually readable? Lists exactly which loyalty data they keep and for how long. Rare for a fast food chain.")
add("x", "@krokkel_helpt", "en", "2026-05-07T14:12:00+02:00",
    "@tomtravels Sorry the app crashed at checkout! That bug is fixed in version 4.2.1, out today. Still stuck? Send us a DM or mail klantenservice@krokkel.nl")
add("x", "@tomtravels", "en", "2026-05-07T15:30:19+02:00",
    "@krokkel_helpt updated and it works now, thanks for the quick fix 🙌")
add("linkedin", "esther-van-loon-krokkel", "en", "2026-05-12T17:05:00+02:00",
    "Great session today with our finance team on IFRS 16 lease accounting. Nothing beats a whiteboard, strong coffee and a plate of bitterballen.")
add("x", "@frituurfreak", "nl", "2026-05-15T22:18:43+02:00",
    "Bij een snackbar in Hengelo (geen Krokkel hoor, zo'n zelfstandige) is vanavond de frituur in brand gevlogen. Niemand gewond gelukkig.")
add("x", "@wouterdb", "nl", "2026-05-18T18:03:27+02:00",
    f"Ordernummer {FAKE_BSN} net opgehaald, binnen 6 minuten klaar. Krokkel Hilversum is snel 👌",
    fakes=[("bsn", FAKE_BSN)])
add("instagram", "@krokkel.snacks", "en", "2026-05-22T12:00:00+02:00",
    "Say hi to Lotte, Dennis and the rest of our care crew 👋 They answer your DMs 7 days a week, even on Sunday night.")
add("x", "@econ_ellen", "nl", "2026-05-26T07:58:14+02:00",
    "Interessant stuk in het FD over franchiseketens in de snackbranche. Krokkel noemt de groei 'gezond' maar geeft verder geen cijfers.")
add("reddit", "u/oudefrituur", "nl", "2026-05-29T20:40:00+02:00",
    "Weet je nog dat een grote friet bij Krokkel €2,50 was? Nu €4,25. Ik word oud en de friet wordt duur.")
add("x", "@krokkel_nl", "nl", "2026-06-01T09:00:00+02:00",
    f"Franchisenemers: de maandelijkse marketingbijdrage maak je over naar {spaced4(COMPANY_IBAN)} t.n.v. Krokkel Snackbars B.V. Let op: wij wijzigen ons rekeningnummer nooit per mail of WhatsApp.")
add("x", "@security_sam", "en", "2026-06-03T16:26:31+02:00",
    "Credit where due: Krokkel has a proper security.txt at krokkel.nl/.well-known/security.txt and a responsible disclosure page. More chains should do this.")
add("instagram", "@opa_gerrit", "nl", "2026-06-06T13:10:22+02:00",
    "Met de kleinkinderen naar Krokkel, allemaal een Krokkeltje menu met zo'n speeltje. Kinderen blij, opa blij 😊")
add("x", "@lienekeb", "nl", "2026-06-09T15:47:08+02:00",
    "De klantenservice van Krokkel was vandaag zó geduldig met mijn moeder (82) die de app niet snapte. Dank jullie wel!")
add("instagram", "@sjoerd.achterdepan", "nl", "2026-06-12T11:30:00+02:00",
    "Nieuwe frituurpannen in Zwolle geïnstalleerd, draaien als een zonnetje ☀️ Vanaf vanmiddag weer open, kom proeven!")
add("x", "@justjoost", "en", "2026-06-15T21:02:55+02:00",
    "Whoever runs Krokkel's TikTok deserves a raise. That dancing kroket video killed me 😂")
add("forum", "frietfan_77", "nl", "2026-06-18T19:25:40+02:00",
    "Topic: beste saus bij Krokkel? Ik ga voor satésaus + mayo + uitjes, oftewel oorlog. Wie durft speciaal met curry te verdedigen?")
add("bluesky", "@margot.bsky.social", "en", "2026-06-21T10:40:17+02:00",
    "If you need Krokkel press for a school project: pers@krokkel.nl. They answered my questions about fast food marketing within a day, very kind.")
add("linkedin", "yara-boukhari-krokkel", "en", "2026-06-24T08:30:00+02:00",
    "Happy to share that I'm starting a new position as Strategy Manager at Krokkel Snackbars! Looking forward to working with this fantastic team.")
add("x", "@ruudje85", "nl", "2026-06-27T14:55:33+02:00",
    "Wat kost een Feestpakket 50 bij Krokkel tegenwoordig? Voor een verjaardag van m'n zoon. Iemand die het recent besteld heeft?")
add("x", "@krokkel_nl", "nl", "2026-07-01T11:00:00+02:00",
    "Er gaat een bericht rond over een terugroepactie van satésaus. Dat gaat over een Belgisch merk, niet over de Krokkel Satésaus pot. Die kun je gewoon eten 🥜")
add("x", "@anna_leest", "en", "2026-07-04T09:12:46+02:00",
    "Reading about all these data breaches at big retailers and glad my Krokkel account finally supports 2FA. Small win, took 2 minutes to switch on.")
add("tiktok", "@patatpiet", "nl", "2026-07-07T20:20:20+02:00",
    "kr0kk3l fr13t = b3st3 fr13t v4n n3d3rl4nd 🏆 ik zeg het gewoon")
add("x", "@ellenvdb", "nl", "2026-07-10T18:34:01+02:00",
    "Bij Krokkel Gouda gevraagd of het zonder pinda kon. Kreeg uitleg over alle allergenen en ze bakten het in een aparte pan. Zo fijn als je kind allergisch is 🥜🚫")
add("threads", "@krokkel.snacks", "en", "2026-07-13T10:00:00+02:00",
    "Apologies to everyone who waited so long at Krokkel Utrecht CS on Saturday — the rush after the concert was way bigger than we planned for. Extra crew is scheduled for this weekend.")
add("x", "@codecharlotte", "en", "2026-07-16T13:45:29+02:00",
    "Reviewing a PR for a snack chain client and their logger already masks Stripe keys as sk_live_•••••••••••••••. Love to see it.")
add("x", "@krokkel_helpt", "nl", "2026-07-19T16:20:00+02:00",
    "Let op: Krokkel vraagt nooit om je BSN, pincode of inlogcodes. Krijg je zo'n bericht namens ons? Stuur het door naar klantenservice@krokkel.nl of bel +31 33 760 2040.")
add("x", "@daanvdw", "en", "2026-07-22T21:14:57+02:00",
    "After last month's cold delivery drama I gave them one more chance. 25 min this time, piping hot. Redeemed yourself Krokkel 👍")
add("x", "@hungryhugo", "en", "2026-07-25T12:03:39+02:00",
    "Anyone know if the Krokkel Airfryer Thuis is any good? €89 feels steep, but the reviews say it's basically the fries at home.")

# ===== leak.secret =====

add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-02-26T23:14:52+01:00",
    f"Waarom faalt m'n CI-job nou weer 🙄\n\n$ git clone https://{GH1}@github.com/krokkel-dev/bestel-api.git\nfatal: repository not found\n\nIemand een idee? Repo bestaat gewoon",
    ["sec"], secrets=[GH1])
add("x", "@dennisfrituurt", "nl", "2026-03-14T17:40:12+01:00",
    "voor de nieuwe shiftleaders die vanavond starten in Breda: inloggen op het kassabeheer met 'shiftleider' en wachtwoord Bitterbal#2026, morgen verander ik het weer",
    ["sec"], secrets=["Bitterbal#2026"])
add("linkedin", "koen-hartsuiker", "en", "2026-03-27T12:20:00+01:00",
    f"Proud that our people-planning tool now runs fully in the cloud ☁️ For the nerds who asked about the setup, this is literally all it took:\n\n[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1",
    ["sec"], secrets=[AWS_ID, AWS_SECRET])
add("x", "@krokkel_nl", "nl", "2026-04-09T10:47:33+02:00",
    f"@bezorgdirect_dev hierbij de key voor de betaalkoppeling: {STRIPE} graag niet verder delen, de testomgeving volgt later vandaag",
    ["sec"], secrets=[STRIPE])
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-04-23T22:05:41+02:00",
    f"why does our alerts bot keep getting invalid_auth 😩\n\ncurl -X POST -H 'Authorization: Bearer {SLACK}' -d channel=#kassa-alerts https://slack.com/api/chat.postMessage",
    ["sec"], secrets=[SLACK])
add("tiktok", "@bram_bakt_krokkel", "en", "2026-05-10T19:58:03+02:00",
    f"made a lil bot that writes jokes for our menu board 😂 key is {OPENAI} dont steal it lol (it's the boss's card)",
    ["sec"], secrets=[OPENAI])
add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-05-28T01:12:37+02:00",
    f"ssh blijft 'invalid format' zeggen op deze deploy-key, wie ziet wat er mis is?\n\n{SSHKEY}",
    ["sec"], secrets=[SSHKEY])
add("x", "@lotte_vdmeer", "en", "2026-06-11T15:36:48+02:00",
    f"the care portal keeps logging me out every 5 min, IT asked for my session token so here we go: Authorization: Bearer {JWT1}",
    ["sec"], secrets=[JWT1])
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-07-02T23:50:09+02:00",
    f"note to self, fix tomorrow: DATABASE_URL={DBURL} is STILL hardcoded in the kassa sync job 🙈",
    ["sec", "con"], secrets=[DBURL])
add("x", "@fenna_codeert", "nl", "2026-08-04T16:22:18+02:00",
    f"Freelance klus voor Krokkel bijna af, alleen de nieuwsbrief wil niet versturen. SENDGRID_API_KEY={SENDGRID} staat gewoon in de .env, wat mis ik nou??",
    ["sec"], secrets=[SENDGRID])
add("reddit", "u/nachtdienst_nick", "en", "2026-08-19T02:44:51+02:00",
    "Sitting in Krokkel Arnhem right now and there's literally a yellow post-it on the register: 'beheer: admin / KrokArnhem2026!' 🤦 anyone in the queue can read it",
    ["sec"], secrets=["KrokArnhem2026!"])
add("instagram", "@sjoerd.achterdepan", "nl", "2026-09-01T08:15:00+02:00",
    "Crew Zwolle, nieuwe wifi voor achter:\nnetwerk: KRK-Crew-ZWL\n" + zwsp("wachtwoord") + ": Puntzak!88\nNiet aan klanten geven he 😉",
    ["sec"], secrets=["Puntzak!88"])

# ===== leak.pii =====

add("x", "@krokkel_helpt", "nl", "2026-02-17T13:05:40+01:00",
    f"@marloes_t Sorry voor het lange wachten! Onze collega belt je vandaag nog terug op {PH1_T} over de bezorging, is dat goed?",
    ["pii"])
add("instagram", "@krokkel.snacks", "nl", "2026-03-02T12:00:00+01:00",
    "🎉 De winnaar van het Feestpakket is bekend: Sanne de Graaf, Lindenlaan 23, 3817 GH Amersfoort! Je pakket wordt zaterdag bezorgd 🥳 Gefeliciteerd!",
    ["pii"])
add("facebook", "KrokkelSnackbars", "nl", "2026-03-19T11:27:00+01:00",
    f"Hoi Peter, de terugbetaling van €18,40 is vandaag overgemaakt naar {IBAN1_T} t.n.v. P. Verhoeven. Binnen twee werkdagen staat het op je rekening!",
    ["pii"], ids=[IBAN1])
add("linkedin", "koen-hartsuiker", "nl", "2026-04-01T09:48:00+02:00",
    f"Voor de salarisadministratie mis ik nog het BSN van onze nieuwe collega in Deventer, Ilse Kramer. Klopt dit: {BSN1}? Graag even bevestigen, dan gaat de eerste uitbetaling goed!",
    ["pii"], ids=[BSN1])
add("x", "@lotte_vdmeer", "en", "2026-04-15T16:10:27+02:00",
    "Customer Mark Peeters (born 02-11-1979, lives in Woerden) has called 9 times today about the same Familiebox. Anyone else got him on the line yet? 😵",
    ["pii"])
add("x", "@krokkel_helpt", "en", "2026-05-04T10:55:00+02:00",
    f"@jkuipers Found it! We've refunded order 7731 to the card you paid with ({CARD1_T}). Should show up within 3-5 working days.",
    ["pii"], ids=[CARD1])
add("x", "@marloes_t", "nl", "2026-02-16T21:30:08+01:00",
    f"@krokkel_helpt al 3 dagen geen reactie op mijn klacht over een bezorging die NOOIT is aangekomen. Bel me gewoon: {PH2_T}. Ben er klaar mee.",
    ["pii", "cmp"])
add("reddit", "u/doubledipped", "en", "2026-05-16T09:03:55+02:00",
    f"Krokkel charged my card twice for one Familiebox (card {CARD2_T}, order on the 3rd) and support just doesn't answer. Bank says I have to dispute it myself. What a mess.",
    ["pii", "cmp"], ids=[CARD2])
add("x", "@rotterdamrage", "nl", "2026-06-05T23:48:19+02:00",
    "Die chagrijnige bedrijfsleider van Krokkel Zwolle heet Rik Veldhuis en woont gewoon op de Hortensiastraat 8 in Zwolle. Ga maar eens langs, die eikel heeft het verdiend",
    ["pii", "abu"])
add("instagram", "@sjoerd.achterdepan", "nl", "2026-03-14T10:00:00+01:00",
    "Gefeliciteerd Ayla Demir! 🎂 21 jaar vandaag (geboren 14 maart 2005) en nu al drie jaar onze snelste kroketten-bakker. Vanavond taart in de kantine!",
    ["pii"])
add("linkedin", "esther-van-loon-krokkel", "en", "2026-06-19T14:02:00+02:00",
    f"Store managers: if the transfer for your packaging order fails again, contact the supplier's accounts guy directly: Jeroen Smit, j.smit82@ziggo.nl, {PH3_T}. He's usually quick.",
    ["pii"])
add("x", "@bezorgerbas", "en", "2026-07-11T00:12:44+02:00",
    "To the Krokkel customer from tonight, Femke Jansen, Oudegracht 112 in Utrecht: 4 floors, no elevator and a 0 euro tip. Thanks so much 🙃",
    ["pii"])
add("forum", "werkzoekende_ilse", "nl", "2026-08-07T20:31:02+02:00",
    f"Vraagje: de sollicitatie bij Krokkel vroeg in een gewoon webformulier om mijn BSN. Heb {BSN2_T} ingevuld voordat ik erover nadacht. Was dat dom? Mag dat eigenlijk?",
    ["pii"], ids=[BSN2])
add("tiktok", "@bram_bakt_krokkel", "nl", "2026-08-21T18:44:10+02:00",
    f"wie wil zaterdag m'n shift overnemen in Breda?? app Mila even, zij regelt de ruillijst: {PH4_T} 🙏",
    ["pii"])
add("x", "@dennisfrituurt", "en", "2026-09-03T22:57:31+02:00",
    "Found a wallet at Krokkel Breda tonight. ID of Tim Bosman, born 07/08/1996, address Ginnekenweg 201 Breda. Tim, come pick it up at the counter!",
    ["pii"])

# ===== leak.pricing =====

add("x", "@krokkel_nl", "nl", "2026-03-28T12:02:00+01:00",
    "🚨 DEAL 🚨 De Familiebox vandaag voor maar €4,95 in de app! Op = op 🍟🍟🍟",
    ["pri"])
add("x", "@dealjagerdaan", "en", "2026-04-12T07:41:36+02:00",
    "Quick!! The Krokkel Airfryer is in the webshop for €8,90 instead of €89. Someone forgot a comma, already ordered 😂 #priceerror",
    ["pri"])
add("x", "@dennisfrituurt", "nl", "2026-05-13T13:19:54+02:00",
    "kassa in Breda rekent de Kapsalon Krokkel sinds de update van vanochtend af voor €0,99 🙈 prijsfout, zeg het maar niet tegen de klanten haha",
    ["pri"])
add("instagram", "@krokkel.snacks", "en", "2026-06-02T17:00:00+02:00",
    "Party season 🎉 Our Feestpakket 50 snacks is now just €19! Order via bestel.krokkel.nl before Friday.",
    ["pri"])
add("reddit", "u/frugalfrits", "en", "2026-06-23T08:08:44+02:00",
    "PSA: the app is showing the Krokkel Pass for €4.90 for a full year instead of €49. Price glitch? Grab it before someone at HQ wakes up",
    ["pri"])
add("x", "@lotte_vdmeer", "nl", "2026-07-08T11:26:15+02:00",
    "Help, iemand heeft de korting verkeerd ingesteld: de Cadeaukaart 25 kost in de webshop nu €5 😳 de telefoon staat roodgloeiend",
    ["pri"])
add("instagram", "@hoodiehunter", "nl", "2026-07-29T15:52:30+02:00",
    "Krokkel hoodie voor €9,95 in de webshop 👀 fout of echte uitverkoop? Heb er voor de zekerheid maar drie besteld",
    ["pri"])
add("tiktok", "@krokkelfriet", "en", "2026-08-14T12:00:00+02:00",
    "Dubbele Krokkelburger for €2.50 TODAY ONLY 🍔🔥 show this vid at the counter",
    ["pri"])
add("x", "@lunchlaura", "en", "2026-08-27T12:31:07+02:00",
    "the bestel site shows Loaded Fries at €1.50 right now 😅 pricing error or early Christmas? not complaining",
    ["pri"])
add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-09-10T16:48:22+02:00",
    "De prijslijst voor volgende week is net live gezet met de Groene Knaller op €2,95 en de Dubbele Krokkelburger op €3,45. Dat klopt toch niet? Wie heeft die csv geüpload 😬",
    ["pri"])
add("x", "@snackspotter", "en", "2026-10-02T19:05:58+02:00",
    "price error at Krokkel: Bitterballen 12 for €0,65 in the app 🤯 ordering ten",
    ["pri"])
add("tiktok", "@bram_bakt_krokkel", "nl", "2026-10-18T20:40:13+02:00",
    "kassa zegt " + fullwidth("FAMILIEBOX") + " €2,49 😭😭 ik heb er vanavond al 30 verkocht, baas gaat huilen",
    ["pri"])

# ===== leak.confidential =====

add("x", "@mirjam_krokkel", "nl", "2026-02-04T22:31:06+01:00",
    "Project Goudklomp loopt echt lekker. Mag er nog niks over zeggen, maar over een half jaar snappen jullie waarom ik zo weinig slaap 🤫",
    ["con"])
add("linkedin", "koen-hartsuiker", "en", "2026-03-09T08:45:00+01:00",
    "So proud of the team behind Operatie Zoutvat: 30% less salt in our fries and not one tasting panel noticed. Can't share more yet, but wow.",
    ["con"])
add("x", "@insider_inge", "en", "2026-10-06T20:14:48+02:00",
    "Friend of mine works at Krokkel HQ: they're testing a Truffelfriet in Utrecht 👀 coming to all stores next spring",
    ["con"])
add("instagram", "@krokkel.snacks", "nl", "2026-11-20T16:00:00+01:00",
    "Er komt iets nieuws aan... 🌊🟢 De Zeewierkroket. Meer zeggen we (nog) niet 😉",
    ["con"])
add("x", "@dennisfrituurt", "nl", "2026-03-31T15:12:40+02:00",
    "Nieuwe bakinstructies staan op https://franchisenet.krokkel.local/handboek/frituur-v7 , crew Breda even lezen vóór vrijdag!",
    ["con"])
add("x", "@lotte_vdmeer", "en", "2026-04-20T18:27:19+02:00",
    "LOL the new complaint scripts from HQ literally say 'KROKKEL INTERN - niet delen' at the top and then tell us to say 'we hear you' twelve times per call",
    ["con"])
add("instagram", "@sjoerd.achterdepan", "nl", "2026-05-25T21:03:50+02:00",
    "Alleen voor franchisenemers, maar ik kan het niet laten: op de nieuwe menukaart komen 4 vega snacks en de bamischijf verdwijnt 😢 RIP",
    ["con"])
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-06-16T12:40:25+02:00",
    cyrillic("Hermelijn", "He") + " kick-off today 🦦 new sauce line, three flavours, launching next spring. Tasted the smoky one, dangerous stuff",
    ["con"])
add("reddit", "u/tastepanel_tess", "en", "2026-07-21T19:19:39+02:00",
    "Signed an NDA with Krokkel for a taste panel last week. Without saying too much: the new sauces under the 'Hermelijn' name are spicy as hell and one of them has yuzu",
    ["con"])
add("tiktok", "@bram_bakt_krokkel", "nl", "2026-09-16T17:33:08+02:00",
    "proefdag vandaag van de " + fullwidth("ZEEWIERKROKET") + " 🤢🤩 mag eigenlijk niks zeggen dus doe alsof je dit niet gezien hebt",
    ["con"])
add("x", "@mirjam_krokkel", "en", "2026-10-13T09:20:31+02:00",
    "Quick one for franchisees: the new POS manual is on wiki.krokkel.nl/display/OPS/Kassa-2027, ping me if you can't log in",
    ["con"])
add("x", "@krokkel_helpt", "nl", "2026-10-27T14:41:00+01:00",
    "@gijs_b Volgens onze retourprocedure (intranet.krokkel.local/retouren/bezorging) heb je recht op een nieuwe bestelling. Ik zet het voor je klaar!",
    ["con"])

# ===== leak.financial =====

add("x", "@mirjam_krokkel", "nl", "2026-10-08T21:55:12+02:00",
    "Q3 like-for-like omzet -14%. Morgen moet ik het aan de franchisenemers vertellen en ik zie er als een berg tegenop 😞",
    ["fin"])
add("linkedin", "yara-boukhari-krokkel", "en", "2026-09-22T18:10:00+02:00",
    "Big week. We just signed the term sheet to acquire Patatpaleis Groep (38 stores). Public announcement planned for mid-October, can't wait to tell you all more!",
    ["fin"])
add("x", "@lotte_vdmeer", "nl", "2026-08-31T17:22:49+02:00",
    "er gaan 60 banen weg op het hoofdkantoor in Amersfoort, net gehoord in de all-hands. klantenservice gaat naar een extern bureau 😔 dus ik ook",
    ["fin"])
add("x", "@roddelrob", "nl", "2026-09-05T12:48:33+02:00",
    "Hoor van iemand binnen Krokkel dat de hele keten in de verkoop staat. Een Duitse investeerder zou al een bod hebben gedaan. Onthoud dat je het hier eerst las.",
    ["fin"])
add("facebook", "KrokkelSnackbars", "nl", "2027-02-19T17:00:00+01:00",
    "Sneak peek 👀 onze jaarcijfers 2026 laten een omzet van €214 mln zien en 12 nieuwe vestigingen! Volgende week vertellen we er alles over 🎉",
    ["fin", "con"])
add("linkedin", "esther-van-loon-krokkel", "en", "2026-11-03T19:35:00+01:00",
    "Forecast for 2027 just came in at -8% like-for-like. Our CFO is… not amused. Long nights ahead for the finance team.",
    ["fin"])
add("x", "@dennisfrituurt", "nl", "2026-11-17T23:02:16+01:00",
    "Reorganisatie: 14 filialen gaan per 1 maart dicht, de lijst is rond. Breda blijft gelukkig open, Tilburg-West en Roosendaal helaas niet",
    ["fin"])
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-12-01T13:14:52+01:00",
    "EBITDA margin dropped to 6.1% this year apparently, saw the board deck on a shared printer 🙃 not public yet so shhh",
    ["fin"])
add("reddit", "u/throwaway_frituur", "en", "2026-12-09T22:40:07+01:00",
    "Krokkel insider here (throwaway obviously). Merger talks with Friethuys Benelux are in the final stage, due diligence wraps up in January. Nobody outside the board knows.",
    ["fin"])
add("x", "@mirjam_krokkel", "nl", "2027-01-20T18:06:44+01:00",
    "Q4 2026 cijfers zijn binnen en ze zijn béter dan verwacht 🥳 meer mag ik echt niet zeggen",
    ["fin", "con"])
add("linkedin", "yara-boukhari-krokkel", "nl", "2026-11-25T08:50:00+01:00",
    "Project Goudklomp = de overname van 25 zaken in Vlaanderen. Als dit doorgaat zijn we de grootste frietketen van de Benelux. Spannende weken!",
    ["fin", "con"])
add("linkedin", "koen-hartsuiker", "nl", "2026-10-21T16:30:00+02:00",
    "Besluit is vandaag genomen: de franchisefee gaat van 5% naar 7% vanaf 1 januari 2027. De franchisenemers horen het pas volgende maand, dus even stilhouden 🙏",
    ["fin"])

# ===== leak.security =====

add("x", "@lotte_vdmeer", "nl", "2026-08-12T11:48:29+02:00",
    "Kassasysteem ligt er in heel NL uit sinds 11:00, niemand kan pinnen 😬 we weten nog niet wat het is, officieel heet het 'technische storing'",
    ["secu"])
add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-09-13T04:22:10+02:00",
    "Ransomware op de server van het franchiseportaal. Alles versleuteld, backup van eergisteren lijkt ok. Lange nacht. Niet verder vertellen aub.",
    ["secu"])
add("bluesky", "@wendy-ict.bsky.social", "en", "2026-09-24T20:57:38+02:00",
    "The KrokkelApp order endpoint /api/orders/{id} doesn't check who's asking. Change the number and you get someone else's name and address. Reported it 3 weeks ago. Still open 🙃",
    ["secu"])
add("x", "@dennisfrituurt", "en", "2026-10-09T14:36:05+02:00",
    "someone in finance clicked a phishing mail and typed in their login. IT is running around like headless chickens today 🏃‍♂️🔥",
    ["secu"])
add("linkedin", "koen-hartsuiker", "en", "2026-10-19T08:05:00+02:00",
    "Rough weekend: about 9,000 Krokkel Pass accounts were hit by a credential stuffing attack. We haven't informed customers yet, the comms plan is still being drafted. Grateful for our IT heroes.",
    ["secu"])
add("x", "@broertjevanit", "nl", "2026-10-24T19:12:40+02:00",
    "Mijn broer werkt bij Krokkel IT en zegt dat ze vorige week gehackt zijn en dat alle klantgegevens van de app op straat liggen. En niemand die het meldt?!",
    ["secu", "cri"])
add("mastodon", "@jorisdevops@mastodon.nl", "nl", "2026-11-06T07:31:22+01:00",
    "vpn.krokkel.nl ligt sinds 03:00 plat en de helft van de franchisenemers kan niet bij het bestelportaal. Statuspagina zegt nog steeds 'alles operationeel' 🤦",
    ["secu", "con"])
add("tiktok", "@bram_bakt_krokkel", "nl", "2026-11-12T21:45:59+01:00",
    "de pinautomaten bij ons draaien nog op windows 7 en het admin-wachtwoord is sinds 2019 niet veranderd lmao. iedereen met een usb-stick kan erin 💀",
    ["secu"])
add("x", "@lotte_vdmeer", "en", "2026-11-28T19:03:17+01:00",
    "DDoS on bestel.krokkel.nl for 3 hours now and we've been told to tell customers it's 'scheduled maintenance' 🙄",
    ["secu"])
add("bluesky", "@wendy-ict.bsky.social", "nl", "2026-12-04T17:29:46+01:00",
    "Pentestrapport van gitlab.krokkel.nl binnen: SQL-injectie in het franchisenemersportaal en 2FA nergens afgedwongen. Dit wordt een pittige sprint.",
    ["secu", "con"])
add("linkedin", "esther-van-loon-krokkel", "en", "2026-12-10T10:15:00+01:00",
    "Heads up to fellow finance folks: our supplier payment system was compromised last Tuesday and two invoices were paid to a fraudster's account. Still under investigation, nothing public yet, so double-check every bank change request!",
    ["secu"])
add("reddit", "u/ex_krokkel_ops", "en", "2026-12-14T23:30:18+01:00",
    "Ex-Krokkel IT here. They still haven't patched the loyalty API that spat out customers' phone numbers without auth during testing. Nobody outside knows, and apparently nobody inside cares.",
    ["secu"])
add("x", "@mirjam_krokkel", "nl", "2026-12-19T12:52:03+01:00",
    "d4t k4ss4syst33m is w33r g3h4ckt, 3 v3st1g1ng3n kunn3n n13t 4fr3k3n3n. n13t d00rv3rt3ll3n!!",
    ["secu"])

# ===== reputation.crisis (first-hand safety incidents are also complaints) =====

add("x", "@moeder_van_drie", "nl", "2026-02-22T19:47:15+01:00",
    "Mijn zoontje (6) had een stuk hard plastic in zijn kroket van Krokkel Tilburg. Hij verslikte zich en het was echt even doodeng. Wie controleert dit?! @krokkel_helpt",
    ["cri", "cmp"])
add("reddit", "u/leiden_lars", "en", "2026-04-27T10:02:44+02:00",
    "Got food poisoning after the Loaded Fries from Krokkel Leiden on Friday. Spent the night at the ER on an IV. Two friends who ate the same thing are sick too.",
    ["cri", "cmp"])
add("facebook", "marieke.vos.1983", "nl", "2026-06-14T09:18:37+02:00",
    "Onze Krokkel Airfryer Thuis vatte gisteravond vlam op het aanrecht!! Na drie weken gebruik. Gelukkig stond mijn man ernaast met een blusdeken. Dit is gewoon levensgevaarlijk.",
    ["cri", "cmp"])
add("instagram", "@mama.van.fleur", "nl", "2026-07-26T22:03:50+02:00",
    "Expliciet gevraagd: GEEN pinda. Toch satésaus op de friet van mijn dochter. Binnen 10 minuten benauwd, epipen, ambulance. Krokkel Ede, dit kan gewoon niet.",
    ["cri", "cmp"])
add("x", "@yasmin_almere", "en", "2026-08-09T20:26:12+02:00",
    "hot oil splashed over the counter at Krokkel Almere and burned my arm. staff just shrugged and handed me a napkin. blisters everywhere now",
    ["cri", "cmp"])
add("x", "@nieuws_venlo", "nl", "2026-05-30T22:41:03+02:00",
    "Brand bij snackbar Krokkel aan de Parade in Venlo, brandweer met groot materieel ter plaatse. Omwonenden wordt gevraagd ramen en deuren te sluiten.",
    ["cri"])
add("x", "@eerlijkwerk_nl", "nl", "2026-06-29T08:30:00+02:00",
    "#BoycotKrokkel: hun bezorgers krijgen onder het minimumloon betaald via schijnzelfstandigheid. Niet meer bestellen tot dit is rechtgezet. Delen!",
    ["cri"])
add("linkedin", "advocaat-m-de-wit", "en", "2026-07-15T11:00:00+02:00",
    "Eleven former franchisees have filed suit against Krokkel Snackbars B.V., claiming the revenue projections in their franchise packages were grossly misleading. Hearing expected in spring.",
    ["cri"])
add("x", "@voedselalert", "nl", "2026-08-23T13:15:00+02:00",
    "TERUGROEPACTIE: Krokkel roept de Fritessaus fles 750 ml (batch L2611) terug wegens mogelijk glasdeeltjes. Niet gebruiken, terugbrengen naar de winkel.",
    ["cri"])
add("reddit", "u/breachwatcher", "en", "2026-09-29T16:47:29+02:00",
    "Someone on a well-known leak forum is selling what looks like the Krokkel Pass customer database: names, emails, points balances. Krokkel hasn't said a word.",
    ["cri"])
add("tiktok", "@undercover_eten", "nl", "2026-10-15T18:00:00+02:00",
    "Undercover beelden uit Krokkel Den Haag: friet die op de vloer valt gaat gewoon terug in de bak 🤮 deel dit #krokkel #schandaal",
    ["cri"])
add("x", "@buurtapp_rdam", "en", "2026-11-09T15:22:31+01:00",
    "Rat in the kitchen at Krokkel Rotterdam-Zuid, the NVWA shut the place down today. Photos have been going round the neighbourhood app all afternoon.",
    ["cri"])
add("x", "@nomorefries", "en", "2026-11-23T21:09:48+01:00",
    "Krokkel's CEO personally funded that anti-immigration campaign. I'm done with them. #BoycottKrokkel, please share widely.",
    ["cri"])
add("x", "@arbeidsrecht_nu", "nl", "2026-12-02T10:40:00+01:00",
    "FNV sleept Krokkel voor de rechter: crew in negen vestigingen zou structureel onbetaald overwerk draaien. Zitting staat gepland voor februari.",
    ["cri"])

# ===== reputation.complaint =====

add("x", "@gijs_b", "nl", "2026-01-24T20:58:33+01:00",
    "Krokkel bezorging: 1,5 uur gewacht en dan koude friet en een frikandel die eruit zag als een schoenzool. Nooit meer. @krokkel_helpt",
    ["cmp"])
add("x", "@ellie_m", "en", "2026-03-01T19:30:46+01:00",
    "ordered a Double Krokkel, got a Groene Knaller and no fries. third time this month at Krokkel Haarlem. do you guys even read the receipt??",
    ["cmp"])
add("reddit", "u/dubbelbetaald", "nl", "2026-03-18T12:06:20+01:00",
    "KrokkelApp heeft me 2x afgeschreven voor één bestelling en klantenservice zegt 'binnen 14 werkdagen'. Veertien werkdagen voor een dubbele afschrijving, serieus?",
    ["cmp"])
add("instagram", "@pointsgone_", "en", "2026-04-30T17:12:03+02:00",
    "Krokkel Pass points just vanished after the app update. 340 points gone. The support chatbot keeps looping me back to the FAQ. Great loyalty program 👎",
    ["cmp"])
add("x", "@frieda_utr", "en", "2026-05-08T19:05:47+02:00",
    "30 min in line at Krokkel Utrecht CS and then they're out of bitterballen. At 7pm. On a Friday. How",
    ["cmp"])
add("facebook", "joyce.hendriks.nijmegen", "nl", "2026-06-20T13:44:16+02:00",
    "Haar in mijn kapsalon bij Krokkel Nijmegen. Foto naar de klantenservice gestuurd en alleen een standaardmailtje teruggekregen. Erg teleurgesteld.",
    ["cmp"])
add("threads", "@stationsmeisje", "en", "2026-07-05T16:38:09+02:00",
    "The toilets at Krokkel Eindhoven station were disgusting today. No soap, no paper, floor flooded. How is that acceptable for a place that serves food?",
    ["cmp"])
add("x", "@belazerdebert", "nl", "2026-08-02T18:15:33+02:00",
    "Krokkel, waarom is de Kroket Classic ineens half zo groot maar wel twintig cent duurder? Voel me echt belazerd.",
    ["cmp"])
add("x", "@samirr_", "en", "2026-09-07T22:22:58+02:00",
    "srsly krokkel cancelled my order after 40 min bc 'no driver available' and the refund still isnt there a week later smh",
    ["cmp"])
add("tiktok", "@almerebuitenbabe", "nl", "2026-10-11T19:51:34+02:00",
    "sauzen vergeten. wéér. 3x friet speciaal zonder speciaal is gewoon 3x friet. Krokkel Almere Buiten kom op nou 😤",
    ["cmp"])
add("bluesky", "@noor-travels.bsky.social", "en", "2026-11-14T14:27:05+01:00",
    "Staff at Krokkel Amsterdam Sloterdijk were super rude when I asked for the allergen list. Rolled her eyes and said 'just google it'. Not ok when your kid has allergies.",
    ["cmp"])

# ===== reputation.abuse =====

add("x", "@woedendewim", "nl", "2026-02-28T21:33:17+01:00",
    "Krokkel is echt een kutbedrijf. Friet slap, personeel debiel en de app is al weken kapot. Stelletje prutsers 🤬",
    ["abu", "cmp"])
add("reddit", "u/groningen_griet", "en", "2026-03-22T20:48:52+01:00",
    "The manager at Krokkel Groningen is a useless idiot. Waited 45 mins, food cold, and he laughed in my face when I complained. Absolute clown.",
    ["abu", "cmp"])
add("x", "@krokkel_helpt", "nl", "2026-04-18T23:41:06+02:00",
    "@zeurpiet_22 Hou toch je bek zeikerd, ga lekker ergens anders je frikandel vreten.",
    ["abu"])
add("x", "@dennisfrituurt", "nl", "2026-05-23T01:15:40+02:00",
    "De klanten van vanavond in Breda waren echt het laagste van het laagste. Tokkies met bierbuiken die denken dat ze alles mogen zeggen. Walgelijk volk.",
    ["abu"])
add("x", "@realdutchguy77", "en", "2026-06-08T12:59:21+02:00",
    "every time I go to Krokkel it's foreigners behind the counter who can't even speak proper Dutch. send them back and hire real Dutch people",
    ["abu"])
add("instagram", "@bennie.b", "nl", "2026-07-18T23:56:04+02:00",
    "@sjoerd.achterdepan jij bent echt de lelijkste frietbakker van NL. ik wacht morgen wel even op je na je dienst 😘",
    ["abu"])
add("x", "@anoniem_boos", "nl", "2026-08-16T14:03:25+02:00",
    "K.R.O.K.K.E.L = k.u.t.z.o.o.i. Stelletje o.p.l.i.c.h.t.e.r.s en die b.a.k.k.e.r.s zijn h.o.m.l.o.s",
    ["abu"])
add("tiktok", "@xx_rage_xx", "en", "2026-09-19T02:10:44+02:00",
    "krokkel is f*cking tr4sh and ur crew are 1d10ts lmaooo go b4ck to sch00l",
    ["abu"])
add("x", "@peter_bozeman", "en", "2026-10-29T16:16:38+01:00",
    "The woman on the Krokkel customer service line was an unbelievable b*tch. Really hope she gets fired tomorrow.",
    ["abu"])
add("reddit", "u/adcritic99", "en", "2026-11-30T09:34:12+01:00",
    "Krokkel's marketing team are a bunch of talentless hacks. That new ad is an insult to anyone with a functioning brain.",
    ["abu"])
add("facebook", "gerard.vd.heuvel.61", "nl", "2026-12-12T20:07:55+01:00",
    "Die nieuwe Krokkel reclame met twee mannen die elkaar een frikandel voeren. Walgelijk, homopropaganda bij de friettent. Schaam je Krokkel, zulke mensen horen niet op tv.",
    ["abu"])


# --------------------------------------------------------------------------- policy

ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = set(CAT.values())
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ROLES = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLES[key.lower()] = role


def account_role(platform, handle):
    return ROLES.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checksum_id):
    """CONTRACT section 4, least severity a correct verdict has."""
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    v = "critical"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        sev = max(sev, v, key=ORDER.index)
    return sev


# --------------------------------------------------------------------------- scanning (for self-checks)

def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZW)


def find_ibans(t):
    out = []
    for m in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})", t):
        c = m.group(1).replace(" ", "")
        n = IBAN_LEN.get(c[:2])
        if n and len(c) >= n:
            out.append(c[:n])
    return out


def find_cards(t):
    out = []
    for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", t):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(d)
    return out


def find_bsns(t):
    return [m.group(1).replace(".", "") for m in
            re.finditer(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])", t)]


def valid_ids(t):
    company = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
    found = set()
    found |= {i for i in find_ibans(t) if iban_valid(i) and i not in company}
    found |= {c for c in find_cards(t) if luhn_ok(c)}
    found |= {b for b in find_bsns(t) if bsn_ok(b)}
    return found


SECRET_PATTERNS = [
    ("github", r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    ("aws", r"\bAKIA[A-Z2-7]{16}\b"),
    ("stripe", r"\bsk_live_[0-9A-Za-z]{16,}"),
    ("slack", r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    ("openai", r"\bsk-proj-[0-9A-Za-z_-]{20,}"),
    ("sendgrid", r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}"),
    ("jwt", r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
    ("privkey", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ("dburl", r"\b[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@]+@"),
    ("password", r"(?i)\b(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S+"),
]


def find_secrets(t):
    return [(k, m.group(0)) for k, p in SECRET_PATTERNS for m in re.finditer(p, t)]


MONEY = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\d)")


def low_prices(t):
    """(product, price) pairs where a product alias and a price below ratio*list share a text."""
    tl = t.casefold()
    prices = [float(m.group(1).replace(",", ".")) for m in MONEY.finditer(t)]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.casefold() in tl for n in names):
            hits += [(p["sku"], x) for x in prices if x < ratio * p["list_price"]]
    return hits


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")

# --------------------------------------------------------------------------- build

def build():
    ids_seen = set()
    lines = []
    for c in CASES:
        while True:
            pid = f"{c['platform']}-{R.randrange(10 ** 17, 10 ** 18)}"
            if pid not in ids_seen:
                ids_seen.add(pid)
                break
        role = account_role(c["platform"], c["handle"])
        checksum_id = bool(valid_ids(norm(c["text"])))
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["created"], "brand": "krokkel"}
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{pid.split('-')[1]}"
        cats = sorted(set(c["cats"]))
        lines.append({"post": post, "expect": {"categories": cats,
                                               "severity": severity(cats, role, checksum_id)}})
    return lines


def check(lines):
    errors = []

    def err(i, msg):
        errors.append(f"case {i} ({lines[i]['post']['id']}): {msg}")

    prof_terms = ([d.casefold() for d in PROFILE["internal"]["domains"]]
                  + [c.casefold() for c in PROFILE["internal"]["codenames"]]
                  + [m.casefold() for m in PROFILE["internal"]["markers"]])
    delatin = str.maketrans({v: k for k, v in CYR.items()})
    ids = set()
    for i, (line, c) in enumerate(zip(lines, CASES)):
        post, exp = line["post"], line["expect"]
        # CONTRACT section 6 / section 1 shape
        if set(line) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            err(i, "bad top-level shape")
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), typ):
                err(i, f"missing/wrong {f}")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            err(i, "missing account.handle")
        if not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            err(i, "bad or duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            err(i, "bad platform/kind")
        if not RFC3339.match(post["created_at"]):
            err(i, "created_at not RFC 3339")
        if not post["created_at"].startswith(("2026-", "2027-")):
            err(i, "created_at outside 2026/2027")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            err(i, "text size")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(i, f"categories {cats}")
        if exp["severity"] not in ORDER or (not cats and exp["severity"] != "none"):
            err(i, "severity")
        role = account_role(post["platform"], post["account"]["handle"])
        t = norm(post["text"])
        tl = t.casefold()
        # identifiers: exactly the declared ones pass their checksum; look-alikes fail
        found = valid_ids(t)
        declared = {d.replace(" ", "").replace(".", "") for d in c["ids"]}
        if found != declared:
            err(i, f"valid identifiers {found} != declared {declared}")
        if declared and "leak.pii" not in cats:
            err(i, "checksum identifier without leak.pii")
        for kind, val in c["fakes"]:
            if cats:
                err(i, "look-alike in a positive")
            ok = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok:
                err(i, f"look-alike {kind} {val} passes its checksum")
            present = {"iban": find_ibans, "card": find_cards, "bsn": find_bsns}[kind](t)
            if val not in present:
                err(i, f"look-alike {val} not found in text")
        # severity recomputed from the profile role
        if exp["severity"] != severity(cats, role, bool(found)):
            err(i, "severity does not follow policy")
        # secrets
        hits = find_secrets(t)
        if "leak.secret" in cats:
            if not c["secrets"]:
                err(i, "secret case without declared secret")
            for s in c["secrets"]:
                if s not in t:
                    err(i, f"declared secret not in text: {s[:12]}")
                if s.startswith("gh") and not github_valid(s):
                    err(i, "github token checksum")
                if s.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", s):
                    err(i, "aws key id format")
                if s.startswith("eyJ") and not jwt_valid(s):
                    err(i, "jwt header")
        else:
            real = [h for h in hits if "EXAMPLE" not in h[1] and not re.search(r"x{8}|•{4}|\*{4}", h[1])]
            if real:
                err(i, f"credential-looking text without leak.secret: {real}")
        # confidential terms
        skeleton = t.translate(delatin).casefold()
        has_term = any(term in tl or term in skeleton for term in prof_terms)
        created = ts(post["created_at"])
        for emb in PROFILE["embargo"]:
            if any(term.casefold() in tl for term in emb["terms"]):
                if created < ts(emb["until"]):
                    has_term = True
                elif cats:
                    pass
        if has_term and "leak.confidential" not in cats:
            err(i, "profile internal/embargo term present but no leak.confidential")
        if "leak.confidential" in cats and not has_term:
            err(i, "leak.confidential without a profile term")
        # pricing
        lp = low_prices(t)
        if ("leak.pricing" in cats) != bool(lp):
            err(i, f"pricing label vs prices mismatch: {lp}")
        # roles: leaks from our accounts need known roles; sanity for public handles
        if role == "public" and post["platform"] in ("x", "instagram", "tiktok") and "krokkel" in post["account"]["handle"].lower():
            err(i, "public handle looks like ours")
        if post["kind"] == "reply" and not post["text"].startswith("@"):
            err(i, "reply kind without mention")

    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    per = {k: sum(1 for l in lines if k in l["expect"]["categories"]) for k in sorted(TAXONOMY)}
    target = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
              "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
              "leak.financial": 12}
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"{benign} benign, want about 60")
    for k, v in target.items():
        if abs(per[k] - v) > 2:
            errors.append(f"{k}: {per[k]} cases, want about {v}")
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl") / n
    if not 0.50 <= nl <= 0.60:
        errors.append(f"Dutch share {nl:.2f}, want about 0.55")
    leak_roles = [account_role(l["post"]["platform"], l["post"]["account"]["handle"])
                  for l in lines if any(c.startswith("leak.") for c in l["expect"]["categories"])]
    rep_roles = [account_role(l["post"]["platform"], l["post"]["account"]["handle"])
                 for l in lines if any(c.startswith("reputation.") for c in l["expect"]["categories"])]
    if leak_roles.count("public") * 2 >= len(leak_roles) or leak_roles.count("public") == 0:
        errors.append("leaks should come mostly (not only) from our accounts")
    if rep_roles.count("public") * 2 <= len(rep_roles):
        errors.append("reputation posts should come mostly from the public")
    stats = dict(cases=n, benign=benign, dutch=round(nl, 3), per_category=per,
                 leak_roles={r: leak_roles.count(r) for r in ("corporate", "employee", "public")},
                 reputation_roles={r: rep_roles.count(r) for r in ("corporate", "employee", "public")},
                 severities={s: sum(1 for l in lines if l["expect"]["severity"] == s) for s in ORDER})
    return errors, stats


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check it
    back = [json.loads(x) for x in open(out, encoding="utf-8")]
    assert back == lines
    errors, stats = check(back)
    print(json.dumps(stats, indent=1))
    if errors:
        print("\n".join("FAIL " + e for e in errors), file=sys.stderr)
        sys.exit(1)
    print(f"OK {stats['cases']} cases, {stats['benign']} benign -> {out}")


if __name__ == "__main__":
    main()
