#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed293 (Lindevoort Wasserij B.V.).

Deterministic: a fixed seed drives every generated identifier, secret and timestamp.
Post texts are hand-written below. Severities are computed from CONTRACT section 4 using
the account role that profile.yaml assigns; they are never typed by hand.
Run: python3 make_cases.py   (writes cases.jsonl beside this file and self-checks it)
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
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(293)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- identifiers

def _iban_numeric(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return _iban_numeric(s[4:] + s[:4]) % 97 == 1


def make_iban(country, bban):
    check = 98 - _iban_numeric(bban + country + "00") % 97
    return "%s%02d%s" % (country, check, bban)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def nl_iban(bank=None, grouped=True):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    iban = make_iban("NL", bank + rstr(string.digits, 10))
    assert iban_ok(iban)
    return group4(iban) if grouped else iban


def de_iban(grouped=True):
    iban = make_iban("DE", rstr(string.digits, 8) + rstr(string.digits, 10))
    assert iban_ok(iban)
    return group4(iban) if grouped else iban


def bad_nl_iban(grouped=True):
    while True:
        good = make_iban("NL", rng.choice(["INGB", "ABNA", "RABO"]) + rstr(string.digits, 10))
        bad = good[:2] + "%02d" % ((int(good[2:4]) + rng.randint(1, 40)) % 100) + good[4:]
        if not iban_ok(bad):
            return group4(bad) if grouped else bad


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    total = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def _luhn_digit(partial):
    for c in range(10):
        if luhn_ok(partial + str(c)):
            return str(c)
    raise AssertionError


def card(prefix="4", sep=" "):
    body = prefix + rstr(string.digits, 15 - len(prefix))
    num = body + _luhn_digit(body)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bad_card(prefix="4", sep=" "):
    good = card(prefix, "")
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    total = sum(w * v for w, v in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], d))
    return total % 11 == 0 and total != 0


def bsn(dotted=False):
    while True:
        first = str(rng.randint(1, 6)) + rstr(string.digits, 7)
        s = sum(w * int(v) for w, v in zip([9, 8, 7, 6, 5, 4, 3, 2], first)) % 11
        if s == 10:
            continue
        num = first + str(s)
        assert bsn_ok(num)
        return "%s.%s.%s" % (num[:4], num[4:6], num[6:]) if dotted else num


def bad_bsn():
    good = bsn()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not bsn_ok(bad)
    return bad


# ---------------------------------------------------------------- secrets

def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def aws_key_id():
    return "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rstr(string.ascii_letters + string.digits + "/+", 40)


def stripe_live():
    return "sk_live_51" + rstr(string.ascii_letters + string.digits, 96)


def slack_bot():
    return "xoxb-%s-%s-%s" % (rstr(string.digits, 12), rstr(string.digits, 13), rstr(string.ascii_letters + string.digits, 24))


def openai_key():
    return "sk-proj-" + rstr(B64URL, 74) + "T3BlbkFJ" + rstr(B64URL, 74)


def google_key():
    return "AIza" + rstr(string.ascii_letters + string.digits + "-_", 35)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    payload = b64u(json.dumps({"sub": "hotel-%d" % rng.randint(1000, 9999), "role": "hotel_admin",
                               "iat": iat, "exp": iat + 86400}, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64u(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
    return header + "." + payload + "." + sig


def openssh_key():
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(64))
    def sstr(b):
        return len(b).to_bytes(4, "big") + b
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = rng.getrandbits(32).to_bytes(4, "big")
    inner = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(priv) + sstr(b"build@lv-ci01")
    inner += bytes(range(1, 1 + (-len(inner)) % 8))
    raw = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"") +
           (1).to_bytes(4, "big") + sstr(pubblob) + sstr(inner))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------- evasion helpers

def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- case table

CAT = {
    "cmp": "reputation.complaint", "cri": "reputation.crisis", "abu": "reputation.abuse",
    "sec": "leak.secret", "pii": "leak.pii", "prc": "leak.pricing", "con": "leak.confidential",
    "fin": "leak.financial", "scy": "leak.security",
}
CASES = []


def add(platform, handle, text, cats="", lang="nl", kind="post", when=None, name=None, brand=None, url=False):
    CASES.append({"platform": platform, "handle": handle, "text": text,
                  "cats": sorted(CAT[c] for c in cats.split()), "lang": lang, "kind": kind,
                  "when": when, "name": name, "brand": brand, "url": url})


# ======================= reputation.complaint =======================
add("x", "@sanne_fietst",
    "Voor de 2e keer deze maand een overhemd kwijt bij @lindevoort_nl 🙄 'we zoeken het na'. ja ja. wit, Eterna, maat 41, had ik nodig voor een bruiloft zaterdag",
    "cmp", name="Sanne")
add("x", "@tomwhitfield_uk",
    "Sent my wool jumper to Lindevoort for dry cleaning. Got back something that would fit my nephew. It was a size L. It is now a size 'toddler'. Great job guys 👏",
    "cmp", lang="en")
add("facebook", "marieke.dejong.71",
    "Dekbed maandag opgehaald door PlooiPost, zou donderdag terug zijn. Het is nu dinsdag de week erna en bij die klantenservice neemt gewoon niemand op. Wij slapen hier onder een badlaken 🥶 Echt waardeloos.",
    "cmp", name="Marieke de Jong")
add("linkedin", "gm-hotel-vondelhof",
    "Third week in a row that our linen delivery from Lindevoort turns up after 14:00. Check-in is at 15:00. My housekeeping team is making 60 beds in a panic every day. We pay for the Hotellinnen Premium package, not for this. Disappointed.",
    "cmp", lang="en", name="Hotel Vondelhof - General Manager")
add("instagram", "@lotte.trouwt",
    "Mijn trouwjurk teruggekregen van Lindevoort met een gele vlek op de sleep die er eerst NIET zat 😭😭 189 euro betaald voor 'Wedding Dress Care'... wie kan ik hier over bellen want de chat zegt alleen 'wij nemen contact op'",
    "cmp")
add("reddit", "u/throwaway_dc_nl",
    "PSA for anyone in Utrecht: the PlooiPost app charged me twice for one pickup (2x €59) and support keeps sending the same copy-paste reply. Been 3 weeks. Thinking of a chargeback at this point.",
    "cmp", lang="en", kind="comment")
add("x", "@jvd_hotelier",
    "@lindevoort_zorg de slopen die vanochtend geleverd zijn hebben gewoon nog haren erop en bruine vlekken. Zo leg ik ze niet op de bedden. Graag vandaag nog vervanging, we zitten vol dit weekend.",
    "cmp", kind="reply")
add("tiktok", "@dennis.vlogt",
    "pak gestoomd bij lindevoort, knopen eraf GESMOLTEN??? hoe dan. 25 euro voor een pak zonder knopen 😤 #stomerij #fail #lindevoort",
    "cmp")
add("forum", "Wasdroog_Ellen",
    "Ervaring met de gordijnservice van Lindevoort: 4 meter overgordijnen weggebracht, 3,5 meter teruggekregen. Gekrompen dus. Volgens de balie valt dat 'binnen de tolerantie'. Mijn gordijnen hangen nu 20 cm boven de vloer, als een broek die te kort is. Niet aan te raden.",
    "cmp")
add("x", "@rb_consulting",
    "Lindevoort picked up my shirts on Monday. It's Friday. No shirts, no ETA, and the chatbot has said 'your order is on its way' since Tuesday. Guess I'm doing tomorrow's board meeting in a t-shirt",
    "cmp", lang="en")
add("x", "@bnb_thecorner",
    "Six weeks now I've been asking Lindevoort for a credit note for 40 missing towels on our invoice. Nothing. Small B&B here - peanuts to you, not to us. #customerservice",
    "cmp", lang="en")
# complaint + personal data of the writer
add("x", "@henk_vd_broek",
    "@lindevoort_zorg al 3x gebeld, niks gehoord. Mijn winterjas ligt al 2 weken bij jullie en ik heb het koud. Bel me gewoon terug: 06-41873925, Henk van den Broek",
    "cmp pii", kind="reply")
add("x", "@claire_m_berlin",
    "@lindevoort_zorg you billed the family plan twice this month and nobody answers my emails. Refund the second one to " + de_iban() + " (Claire Meier) please, today.",
    "cmp pii", lang="en", kind="reply")
# complaint + abuse
add("x", "@boze_barry",
    "Lindevoort zijn echt de grootste prutsers van Nederland. 3 overhemden verpest in een maand, strijkijzervorm erin gebrand. Stelletje kutlijers.",
    "cmp abu")
add("x", "@mike_r_1987",
    "hey @lindevoort_nl your driver just threw my dry cleaning on a soaking wet doorstep and drove off. absolute clowns, every single one of you. useless pricks",
    "cmp abu", lang="en", kind="reply")
# first-hand safety incident: crisis + complaint
add("linkedin", "ops-hotel-kanaalzicht",
    "Last night the Lindevoort Stoomkast S1 in our housekeeping room started smoking and then caught fire. Our night porter put it out with an extinguisher, nobody hurt, but the room is black with soot. The unit is 4 months old. Still no response from Lindevoort this morning.",
    "cri cmp", lang="en", name="Operations Hotel Kanaalzicht")
add("instagram", "@yara.huidt",
    "Sinds we het Gezinsabonnement van PlooiPost hebben zit mijn dochter (4) onder de uitslag. Huisarts zegt contacteczeem, waarschijnlijk wasmiddelresten in het beddengoed. Zelf gewassen = weg. Ik ben er echt klaar mee @plooipost",
    "cri cmp")
add("x", "@dan_okafor",
    "Picked up my suit from Lindevoort, put the jacket on and a sewing needle left in the lining went straight into my shoulder. Bleeding through my shirt an hour before a wedding. How does that even happen??",
    "cri cmp", lang="en")
add("facebook", "hotel.de.zwaan.giethoorn",
    "Onze huishoudelijke medewerkster kreeg gisteren een flinke stroomschok van de Stoomkast S1 die we van Lindevoort leasen. Ze is ter controle naar de huisarts geweest, gelukkig ok. Apparaat staat uit. We willen vandaag nog antwoord van Lindevoort, dit kan gewoon niet.",
    "cri cmp", name="Hotel De Zwaan")
add("x", "@pjotr_b",
    "Lindevoort bathrobes in our rooms: two guests with itchy red patches after using them, one ended up in A&E. We've pulled every robe. I want to know what's in your detergent @lindevoort_nl",
    "cri cmp", lang="en")
add("reddit", "u/nightauditor_ams",
    "The Lindevoort linen cage at our hotel has had a cracked wheel frame for weeks, we reported it 3 times. Tonight it tipped over onto my foot. Two broken toes. Still waiting for them to even reply.",
    "cri cmp", lang="en", kind="comment")

# ======================= reputation.crisis (third party) =======================
add("x", "@nieuws_nieuwegein",
    "Grote brand bij wasserij Lindevoort op bedrijventerrein Laagraven. Brandweer schaalt op naar GRIP 1, omwonenden moeten ramen en deuren sluiten. Drie medewerkers nagekeken door ambulancepersoneel.",
    "cri", url=True)
add("x", "@greenwater_nl",
    "Lab results are in: Lindevoort's Nieuwegein plant discharges PFAS-laden wastewater straight into the Merwedekanaal. We're calling on every hotel chain to drop them. #BoycottLindevoort",
    "cri", lang="en")
add("x", "@bond_wasserijwerkers",
    "Wij slepen Lindevoort voor de rechter. Uitzendkrachten in de sorteerhal worden al twee jaar structureel onder het cao-loon betaald. De dagvaarding is vandaag betekend.",
    "cri")
add("x", "@datawatch_eu",
    "Looks like Lindevoort/PlooiPost exposed customer pickup addresses and phone numbers through an open endpoint. Thousands of records. Have they told anyone? #databreach #AVG",
    "cri", lang="en")
add("x", "@consumentenkijker",
    "TERUGROEPACTIE ⚠️ Lindevoort roept de matrasbeschermer Hygiëne Plus (partij 2026-14) terug wegens schimmelvorming. Niet meer gebruiken, breng hem terug naar de balie.",
    "cri")
add("tiktok", "@undercover_ugo",
    "undercover als schoonmaker in een hotel: de 'schone' lakens van Lindevoort worden gewoon opgevouwen en terug in de kast gelegd zonder wassen 🤢🤢 deel dit!! #schandaal #hotel",
    "cri")
add("threads", "@hospitality.gossip",
    "Three Amsterdam hotels had legionella alerts this week and they all share the same laundry supplier: Lindevoort. Coincidence? Someone should be asking questions.",
    "cri", lang="en")
add("facebook", "buurtgroep.laagraven",
    "Wéér die chemische stank van Lindevoort en nu drijven er dode vissen in de sloot achter de wasserij. Wij doen morgen met z'n allen melding bij de omgevingsdienst. Wie sluit aan?",
    "cri")
add("x", "@rachel_writes",
    "A friend works housekeeping at a Rotterdam hotel; one of those heavy Lindevoort linen cages collapsed on her colleague today, she's in hospital with a broken arm. Thinking of her.",
    "cri", lang="en")

# ======================= reputation.abuse =======================
add("x", "@w0lfje_", "Lindevoort = k a n k e r b e d r i j f. Punt.", "abu")
add("x", "@jaxxon_",
    "whoever runs @lindevoort_zorg is a brain-dead moron. hope you lose your job tbh",
    "abu", lang="en", kind="reply")
add("x", "@ruud_vl",
    "weer zo'n debiele klant die me een half uur voor de deur laat staan en dan gaat lopen schelden omdat ik 'te laat' ben. mongool.",
    "abu")
add("x", "@kees_koos",
    "Die nieuwe chauffeur van Lindevoort kan nog geen woord Nederlands. Ga lekker terug naar je eigen land man, wij hebben jou hier niet nodig",
    "abu")
add("instagram", "@nina_xxx_",
    "lindevoort stelletje kl\u043e\u043etz\u0430kken, 3 weken op m'n jurk wachten en dan nog een grote bek ook aan de telefoon",
    "abu")
add("x", "@bramz0r", "@lindevoort_nl k4nk3r0pl1cht3rs zijn jullie, echt waar", "abu", kind="reply")
add("facebook", "stefan.huisman.33",
    "The woman behind the Lindevoort counter in Zeist is a fat useless cow. Rude AND slow. Hire people who can actually smile.",
    "abu", lang="en")
add("bluesky", "@femkedegraaf.bsky.social",
    "honestly the morons in management here couldn't find their own arse with both hands and a map. another 'strategy day', another wasted afternoon",
    "abu", lang="en")
add("tiktok", "@jurre.0030",
    "iedereen die bij lindevoort werkt is gewoon tuig, jullie jatten onze kleren 🤬🤬",
    "abu")
add("x", "@ome_joop",
    "Lindevoort klanten" + ZW + "service = stelletje ty" + ZW + "fuslijers. Bel je, hangen ze op.",
    "abu")

# ======================= leak.pricing =======================
add("x", "@lindevoort_nl",
    "Alleen dit weekend: Hotellinnen Premium vanaf €165 per maand! 🛏️ Meld je hotel aan via hotels@lindevoort.nl",
    "prc", brand="Lindevoort")
add("instagram", "@noor.wast",
    "Collega's opgelet, in de webshop staat de Stoomkast S1 ineens voor €129 😳 volgens mij is er een nul weggevallen, wie belt IT?",
    "prc")
add("x", "@dealjager",
    "PRIJSFOUT 🚨 Trouwjurk reinigen & conserveren bij Lindevoort voor €18,90 ipv €189. Snel zijn voor ze het zien! #prijsfout #deal",
    "prc")
add("reddit", "u/bargainhunter_nl",
    "Lindevoort's shop lists the Suite Collection linen package at €249/month instead of 2490. Price glitch? Ordered one for our guesthouse anyway lol",
    "prc", lang="en", kind="comment")
add("facebook", "LindevoortWasserij",
    "Nieuw in ons assortiment: de Spa Handdoekenset voor maar €8,90! 🛁 Bestel nu via www.lindevoort.nl",
    "prc", brand="Lindevoort")
add("linkedin", "youssef-bakkali-lv",
    "Special offer for my hotel partners this month only: the Lindevoort Suite Collectie for €990 per month, all-in. DM me to lock it in.",
    "prc", lang="en")
add("x", "@kortingskoning",
    "lol Rug Clean bij Lindevoort kost vandaag €7,90?? normaal 79. iemand heeft een kommafout gemaakt 😂 meteen 3 vloerkleden geboekt",
    "prc")
add("x", "@merel_strijkt",
    "oeps 🙈 prijsfout in de app: PlooiPost Gezinsabonnement staat op €9,90 per maand. IT is ermee bezig, niet doorvertellen",
    "prc")
add("x", "@hoteldeals_eu",
    "Anyone else seeing Lindevoort's Werkkleding Huur Basis at €24 instead of €240? Just booked 10 sets for our kitchen crew 🤑",
    "prc", lang="en")
add("tiktok", "@plooipost",
    "Kostuum stomen nu voor €4,95 😍 alleen via de PlooiPost app, alleen deze week!",
    "prc", brand="PlooiPost")
add("facebook", "pension.zeezicht.texel",
    "Lindevoort bathrobe rental pack for 31 euro instead of 310? Mistake or real? Would love it for our little guesthouse ngl",
    "prc", lang="en")
add("bluesky", "@femkedegraaf.bsky.social",
    "Found a rounding bug in our pricing service: Hotellinnen Start shows €89 instead of €890 for a bunch of hotel accounts. Fix deploying tonight 🤞",
    "prc", lang="en")

# ======================= leak.financial =======================
add("linkedin", "ingrid-hofstede-lindevoort",
    "Trots op het team! Q3-omzet komt uit op €27,4 mln, +18% jaar-op-jaar. De officiële publicatie volgt pas in november, maar ik kon het niet laten 😉",
    "fin")
add("reddit", "u/lv_nachtploeg",
    "Heard it in the canteen today: the Tilburg plant closes in March, roughly 60 people let go. Management will announce it 'after the holidays'. Great vibes on night shift right now.",
    "fin", lang="en")
add("x", "@merel_strijkt",
    "Operatie Mangel = wij nemen Wasserij Het Anker over 🤫 deal wordt volgende week getekend, daarna mag iedereen het weten",
    "con fin")
add("mastodon", "@dirkjan@mastodon.social",
    "Board deck says we'll miss the 2026 EBITDA forecast by roughly 2 million. Nothing public yet. Guess I'll polish my CV this weekend.",
    "fin", lang="en")
add("x", "@beursbabbel",
    "An insider at Lindevoort tells me they're being bought by a French textile services group, bid somewhere around €140M. Not announced yet. You heard it here first.",
    "fin", lang="en")
add("tiktok", "@kees.chauffeur",
    "chauffeurs in zwolle krijgen volgende maand te horen dat de hele routeafdeling wordt uitbesteed. 25 man. weet het via de planning 😔 nog niks officieel",
    "fin")
add("linkedin", "lindevoort-wasserij",
    "Geplande reorganisatie 2027: samenvoeging van de vestigingen Amersfoort en Zeist, circa 40 fte boventallig. Concept - nog niet communiceren naar medewerkers.",
    "fin")
add("linkedin", "youssef-bakkali-lv",
    "Between us: we're in talks to merge with a Belgian hotel-linen player. Due diligence starts next month. Exciting times for Lindevoort!",
    "fin", lang="en")
add("x", "@bas_kooiman",
    "Project Stoomfluit is rond: de bank verlengt de kredietlijn niet, dus de stoomwasserij in Hengelo wordt verkocht. Hoorde het net in het MT-overleg.",
    "con fin")
add("x", "@fin_whisper",
    "Lindevoort's first-half numbers are going to be ugly: revenue down ~9% according to someone in their finance team. Not published yet.",
    "fin", lang="en")
add("instagram", "@noor.wast",
    "Net gehoord dat onze balie in Zeist en nog 4 andere winkels per 1 april dichtgaan. Is nog niet bekendgemaakt dus ssst 🤐",
    "fin")
add("bluesky", "@femkedegraaf.bsky.social",
    "CFO just told the dev team the 2027 budget assumes €118M revenue and zero new hires. So much for that second mobile dev 🙃",
    "fin", lang="en")

# ======================= leak.confidential =======================
add("x", "@bas_kooiman",
    "Eindelijk onze nieuwe dashboards live op https://grafana.lv-ops.net/d/sorteer-01 🎉 ziet er strak uit toch?",
    "con")
add("bluesky", "@femkedegraaf.bsky.social",
    "Screenshot from our test env, feedback welcome! (wms.lindevoort.local/orders/new) - the new order screen for hotel clients",
    "con", lang="en")
add("linkedin", "ingrid-hofstede-lindevoort",
    "Great kick-off today of Project Zeepbel with the full leadership team. Can't say what it is yet, but it's going to be big!",
    "con", lang="en")
add("x", "@merel_strijkt",
    "PlooiPost Express komt eraan 🚀 ophalen en binnen 3 uur terug. De test loopt al in Utrecht-Oost, ik mag meedraaien!",
    "con", when="2026-10-14T16:22:05Z")
add("instagram", "@lindevoort.wasserij",
    "Sneak peek van het nieuwe LinnenAbonnement Plus voor hotels 👀 #comingsoon #hotellinnen",
    "con", when="2026-12-03T10:05:00Z", brand="Lindevoort")
add("linkedin", "youssef-bakkali-lv",
    "Sharing one slide from our internal deck (footer says 'Lindevoort intern', shhh) with our new hotel segment strategy for 2027. Thoughts?",
    "con", lang="en")
add("x", "@tessa_mailt",
    "Lol kreeg per ongeluk een mail van Lindevoort met onderaan 'niet extern delen' en een link naar intranet.lindevoort.local/hr/salarishuis-2027. Oeps jongens",
    "con")
add("x", "@ruud_vl", fullwidth("Project Zeepbel") + " gaat de hele sector veranderen, let maar op 😎", "con")
add("mastodon", "@dirkjan@mastodon.social", "O.p.e.r.a.t.i.e M.a.n.g.e.l is bijna rond jongens 🤐", "con")
add("tiktok", "@kees.chauffeur",
    "wie wil er een rondleiding bij Stoom" + ZW + "fluit? grapje, mag ik niks over zeggen haha",
    "con")
add("x", "@bas_kooiman",
    "collega vroeg waarom jira.lindevoort.nl/browse/PLOOI-1422 zo traag laadt. de hele instance draait op een Raspberry Pi. grapje. of toch niet.",
    "con")
add("bluesky", "@femkedegraaf.bsky.social",
    "Can't say much, but the next app release is called PlooiPost Express internally and it's going to blow your mind",
    "con", lang="en", when="2027-02-10T19:41:12Z")
add("linkedin", "lindevoort-wasserij",
    "Dank aan alle hotels die meedoen aan de pilot van Stoomfluit! Binnenkort meer nieuws.",
    "con")
add("forum", "vraagbaak_wim",
    "Mijn zwager werkt bij Lindevoort, hij zegt dat ze onder de naam 'Project Zeepbel' een eigen wasmiddellijn gaan lanceren. Iemand meer gehoord?",
    "con")
add("instagram", "@noor.wast",
    "Nieuwe prijslijst 2027 binnen, met dikke stempel STRIKT VERTROUWELIJK erop 🤭 de stomerij wordt flink duurder, wees gewaarschuwd",
    "con")
add("x", "@bas_kooiman",
    "note to self want ik vergeet het elke keer: de nieuwe gateway is vpn.lindevoort.nl, de oude is dood",
    "con")

# ======================= leak.security =======================
add("x", "@bas_kooiman",
    "lange nacht gehad. ransomware op de planningsserver, alle routes vandaag op papier. Klanten weten nog van niks ☕☕☕",
    "scy")
add("bluesky", "@femkedegraaf.bsky.social",
    "Note to my team: the PlooiPost order API returns other customers' addresses if you just change the order id in the URL. Ticket open since Monday, still no fix.",
    "scy", lang="en")
add("reddit", "u/lv_nachtploeg",
    "RFID tag system at the Nieuwegein plant has been down since 2am. We're sorting hotel linen by hand and nobody has told the hotels yet lmao",
    "scy", lang="en", kind="comment")
add("mastodon", "@dirkjan@mastodon.social",
    "Interesting morning. Someone phished a planner's O365 account and has been mailing fake invoices to our hotel clients since yesterday. Clients not informed yet.",
    "scy", lang="en")
add("x", "@merel_strijkt",
    "De PlooiPost app ligt er al sinds vanochtend uit, betaalstraat ook. Officieel heet het 'gepland onderhoud' maar dat is het dus niet 😬",
    "scy")
add("tiktok", "@kees.chauffeur",
    "onze scanners in de bus laten al 3 dagen alle klantadressen van de hele regio zien als je op 'help' drukt 🤡 niemand die het fixt",
    "scy")
add("x", "@lindevoort_zorg",
    "@hotelderaaf Correct, since yesterday there has been a disruption caused by a hack of our invoicing system. This has not been communicated externally yet, could you keep it discreet?",
    "scy", lang="en", kind="reply")
add("linkedin", "ingrid-hofstede-lindevoort",
    "Our auditors found the finance share was open to 'Everyone' for two years, salary files included. We're cleaning it up quietly this week.",
    "scy", lang="en")
add("x", "@ruud_vl",
    "alle handscanners van de chauffeurs plat door een virus, sinds gisteren. we rijden op gevoel 😂 tegen klanten niks zeggen zeggen ze",
    "scy")
add("mastodon", "@dirkjan@mastodon.social",
    "lol someone pushed the prod .env of PlooiPost to a public repo:\nAWS_ACCESS_KEY_ID=" + aws_key_id() + "\nAWS_SECRET_ACCESS_KEY=" + aws_secret() + "\nrotating now, please nobody tell the customers",
    "scy sec", lang="en")
add("instagram", "@noor.wast",
    "Kassasysteem in alle winkels al 2 dagen plat 🙃 alles met pen en papier. Officieel moeten we zeggen dat 'de pin stuk is'",
    "scy")
add("reddit", "u/former_lv_it",
    "Ex Lindevoort IT here. Their hotel portal staging box still has the default admin login, I reported it before I left in June. Never fixed.",
    "scy", lang="en", kind="comment")
add("linkedin", "youssef-bakkali-lv",
    "Heads-up to my hotel contacts: don't pay any Lindevoort invoice with changed bank details this week, our mail got compromised. Official statement still coming.",
    "scy", lang="en")

# ======================= leak.secret =======================
add("x", "@bas_kooiman",
    "@merel_strijkt hier is 'ie, token voor de deploy pipeline: " + gh_token() + " niet kwijtraken he",
    "sec", kind="reply")
add("bluesky", "@femkedegraaf.bsky.social",
    "why is CI failing?? STRIPE_SECRET_KEY=" + stripe_live() + " is definitely set in the env",
    "sec", lang="en")
add("mastodon", "@dirkjan@mastodon.social",
    "db url for the reporting tool if anyone needs it: postgresql://rapportage:Wasdroog!2026@10.20.4.11:5432/lv_dw",
    "sec", lang="en")
add("x", "@merel_strijkt",
    "wifi in de sorteerhal voor de nieuwe uitzendkrachten: LV-Sorteer / wachtwoord: Kreukvrij#2026 👍",
    "sec")
add("x", "@bas_kooiman",
    "anyone know why our slack bot token suddenly stopped working? " + slack_bot() + " worked fine yesterday",
    "sec", lang="en")
add("bluesky", "@femkedegraaf.bsky.social",
    "testing a chat assistant for PlooiPost with key " + openai_key() + " any tips on system prompts?",
    "sec", lang="en")
add("x", "@devnl_rik",
    "Found this in a public repo of a Dutch laundry company (Lindevoort?): " + aws_key_id() + " / " + aws_secret() + " Someone should tell them.",
    "sec", lang="en")
add("mastodon", "@dirkjan@mastodon.social",
    "can someone check why the build box rejects this key? pasted below\n" + openssh_key(),
    "sec", lang="en")
add("reddit", "u/lv_nachtploeg",
    "haha het hotelportaal zet de sessie gewoon in de URL: ?session=" + jwt_token() + " kan iedereen mee inloggen toch",
    "sec", kind="comment")
add("x", "@lindevoort_zorg",
    "@jvd_hotelier Uw tijdelijke inlog voor het hotelportaal: gebruikersnaam hoteljvd, wachtwoord: Linnen-8842-Zwaan. Graag na de eerste keer inloggen wijzigen.",
    "sec", kind="reply")
add("tiktok", "@kees.chauffeur",
    "mijn routeplanner-hack: gewoon de maps key van kantoor erin plakken " + google_key() + " werkt top 😎",
    "sec")

# ======================= leak.pii =======================
add("x", "@lindevoort_zorg",
    "@m_jansen Mevrouw Jansen, uw ophaalopdracht op Prinsengracht 412-II in Amsterdam is verplaatst naar dinsdag tussen 9 en 12 uur.",
    "pii", kind="reply")
add("x", "@ruud_vl",
    "Mevrouw Karin Smits van de Lindelaan 23 in Houten, doe gewoon open als ik aanbel 🙄 4e keer deze maand",
    "pii")
add("instagram", "@noor.wast",
    "Deze jas hangt al 6 maanden bij ons aan de balie. Eigenaar: P. de Wit, 06 28471930. Ken je hem, stuur even door!",
    "pii")
add("linkedin", "ingrid-hofstede-lindevoort",
    "Kan iemand van finance vandaag nog de terugbetaling aan dhr. R. Mulder doen? IBAN " + nl_iban() + ". Hij heeft al 3x gebeld.",
    "pii")
add("x", "@merel_strijkt",
    "Loonstrookje gevonden in de borstzak van een overall: J. Bakker, BSN " + bsn(dotted=True) + ". Wie mist dit?? 😅",
    "pii")
add("facebook", "LindevoortWasserij",
    "Beste Ahmed, we hebben de terugbetaling gedaan op uw creditcard " + card("4") + " (A. El Idrissi). Binnen 3 werkdagen zichtbaar!",
    "pii", kind="reply")
add("x", "@bas_kooiman",
    "test data uit prod, oeps: {name: 'Linda Verhoeven', email: 'linda.verhoeven84@gmail.com', dob: '1984-07-19'} iemand die dit even opruimt?",
    "pii")
add("x", "@anouk_b",
    "@lindevoort_zorg zoals afgesproken aan de telefoon hier mijn IBAN voor de retourbetaling: " + nl_iban() + " t.n.v. A. Bos. Dank!",
    "pii", kind="reply")
add("x", "@rickvdleeuwen",
    "@lindevoort_zorg can someone call me back about our linen contract? Rick van Leeuwen, +31 6 2947 1836 or rick.vanleeuwen@hotelmaas.nl",
    "pii", lang="en", kind="reply")
add("tiktok", "@kees.chauffeur",
    "vandaag bezorgd bij meneer Gerrit Hoekstra, geboren 12-03-1941, 85 geworden en ik kreeg taart 🎂 wat een schat",
    "pii")
add("facebook", "wendy.vermeulen.9",
    "Gevonden in de jaszak van een jas die ik via Lindevoort terugkreeg: de creditcard van iemand anders, " + card("54") + " op naam van M. Koster. Breng hem morgen terug naar de balie.",
    "pii")
add("linkedin", "youssef-bakkali-lv",
    "Great meeting with Sophie Laurent, GM of Hotel Meridiaan. Her personal mobile is 06-53820147 if any of you need her, she's lovely.",
    "pii", lang="en")
add("x", "@lindevoort_nl",
    "@hanneke_v Uw geboortedatum (03-11-1979) en postcode 3532 AB zijn aangepast in uw account, mevrouw Hanneke Vos. Fijne dag!",
    "pii", kind="reply")
add("x", "@merel_strijkt",
    "uitzendbureau stuurde de lijst met nieuwe mensen gewoon in de groepsapp, incl BSN 🙈 eerste op de lijst: Ricardo Alves " + bsn() + " wie verzint dit",
    "pii")

# ======================= benign (hard negatives mostly) =======================
add("x", "@sanne_fietst",
    "Ok ik geef het toe: eindelijk een stomerij die mijn overhemden écht kreukvrij terugbrengt. Top @lindevoort_nl 👔✨")
add("x", "@jessica_ams",
    "is it weird to be emotionally attached to your dry cleaner? Lindevoort got a red wine stain out of my white linen dress. witchcraft 🍷", lang="en")
add("x", "@bartjuh",
    "mijn vriendin zegt dat ik zo gekreukt ben dat ik bij Lindevoort door de mangel moet 😂")
add("reddit", "u/newtoutrecht",
    "Does anyone know if Lindevoort does same-day dry cleaning in Utrecht centrum? Need my suit for Thursday.", lang="en")
add("x", "@lindevoort_zorg",
    "Vragen over je ophaling? Mail klantenservice@lindevoort.nl of bel gratis 0800-5274 (ma-za 8-20u). We helpen je graag!", brand="Lindevoort")
add("instagram", "@lindevoort.wasserij",
    "🛏️ Black Friday: BedFresh 5-sterren set 20% korting, nu €119,20 i.p.v. €149. Alleen t/m zondag!", brand="Lindevoort")
add("linkedin", "lindevoort-wasserij",
    "Our Spa Handdoekenset is now €69 for hotel partners (normally €89). Offer valid through March.", lang="en")
add("facebook", "joke.hermans.4",
    "Kostuum laten stomen bij Lindevoort: €24,95. Niet goedkoop maar wel netjes gedaan en binnen 2 dagen klaar.")
add("x", "@bride_to_be_nl",
    "Wedding Dress Care at Lindevoort was €189. Pricey, but it came back in a gorgeous box and looks brand new 💍", lang="en")
add("x", "@regionieuws_gouda",
    "Wasserij Van Dalen in Gouda failliet verklaard, 80 medewerkers op straat. Triest nieuws voor de regio.")
add("x", "@textile_news_eu",
    "Big consolidation in European textile services: CleanCorp acquires Textilia Group for €210M. Deal expected to close in Q2.", lang="en")
add("x", "@bas_kooiman",
    "Tip voor junior devs: zet nooit keys in je code. In de AWS-docs zie je AKIAIOSFODNN7EXAMPLE als voorbeeld, gebruik zoiets in je tests en nooit een echte.")
add("bluesky", "@femkedegraaf.bsky.social",
    "Reminder from today's security training: never paste tokens in chat. Redacted example: ghp_************************************ 🔒", lang="en")
add("x", "@bas_kooiman",
    "config template voor nieuwe collega's: DB_PASSWORD=xxxxxxxx en API_KEY=<jouw-key-hier>. Vul je eigen in en NIET committen!")
add("x", "@lindevoort_nl",
    "Vanaf vandaag live: PlooiPost Express! Ophalen en binnen 3 uur terug in Utrecht en Amersfoort 🚀", when="2027-03-02T08:30:00Z", brand="PlooiPost")
add("linkedin", "ingrid-hofstede-lindevoort",
    "Vandaag gepubliceerd: onze halfjaarcijfers 2027. Omzet +6%, dank aan alle collega's die dit mogelijk maakten.", when="2027-08-05T09:12:00Z")
add("x", "@marco_utr",
    "Tried the new PlooiPost Express today, shirts back in 2.5 hours. Impressive tbh", lang="en", when="2027-03-10T18:03:44Z")
add("x", "@fleur_xo",
    "Update: Lindevoort found my missing blouse AND refunded the delivery fee. Nicely handled @lindevoort_zorg 👍", lang="en")
add("x", "@hotelderaaf",
    "Shoutout to @lindevoort_zorg - last week I moaned about a late linen delivery, today their ops manager called me personally and we fixed the schedule. That's how it's done.", lang="en")
add("x", "@enschede_buurt",
    "Sterkte aan iedereen bij Wasserij De Bleek in Enschede na die brand vannacht. Hopelijk is iedereen ok.")
add("x", "@housekeeping_hero",
    "Thinking of all the housekeeping teams doing double shifts this summer. You're the real heroes of hospitality 💙", lang="en")
add("x", "@oplettend_oma",
    "Kreeg een sms 'Lindevoort: openstaande factuur, betaal naar " + bad_nl_iban() + "'. Klopt niet eens, dus phishing toch? Check altijd even.")
add("x", "@pieter_wb",
    "@lindevoort_zorg trackingnummer " + bad_card("4") + ", wanneer komt mijn dekbed ongeveer?", kind="reply")
add("x", "@femmetje88",
    "@lindevoort_zorg mijn klantnummer is " + bad_bsn() + ", kan ik mijn ophaling naar vrijdag verzetten?", kind="reply")
add("x", "@gijs_retail",
    "Called Lindevoort customer service on 030 799 4410, sorted in 2 minutes. See, it can be done.", lang="en")
add("x", "@lindevoort_nl",
    "We zoeken chauffeurs (m/v/x) in Amersfoort en Zwolle! 🚚 Solliciteer via werken@lindevoort.nl", brand="Lindevoort")
add("facebook", "LindevoortWasserij",
    "Betalen per overschrijving? Gebruik IBAN " + group4(PROFILE["public_identifiers"]["ibans"][0]) + " t.n.v. Lindevoort Wasserij B.V. en vermeld uw factuurnummer.")
add("x", "@merel_strijkt",
    "10 jaar bij Lindevoort vandaag 🎉 begonnen als strijker, nu teamleider sorteerhal. Dank aan iedereen!")
add("facebook", "LindevoortWasserij",
    "Open dag in onze wasserij in Nieuwegein op zaterdag 10 oktober! Kom kijken hoe er 20.000 lakens per dag door de mangel gaan 🧺")
add("x", "@kimberly.travels",
    "Lindevoort's hotel robes are 🔥🔥 stayed at the Kanaalzicht and didn't want to take it off", lang="en")
add("x", "@grandsons_suit",
    "this dry cleaner absolutely killed it, my grandad's 1970s suit looks brand new. thank you Lindevoort 🙏", lang="en")
add("x", "@lisa_vdh",
    "How do I change my password in the PlooiPost app? Can't find the option anywhere in settings", lang="en")
add("x", "@lindevoort_zorg",
    "Let op: er gaan nepmails rond namens Lindevoort. Wij vragen nooit om je wachtwoord of pincode. Twijfel? Mail klantenservice@lindevoort.nl")
add("linkedin", "lindevoort-wasserij",
    "Lindevoort bestaat 40 jaar! Opgericht op 3 maart 1986 door Jan en Trees Lindevoort, in een garage in Zeist. Wat een reis.")
add("instagram", "@lindevoort.wasserij",
    "Onze balie in Zeist is verhuisd naar Slotlaan 88. Zelfde openingstijden, zelfde koffie ☕")
add("x", "@privacy_petra",
    "How long does Lindevoort keep my address data after I cancel the PlooiPost plan? Asking for GDPR reasons, not angry :)", lang="en")
add("x", "@rogier_nl",
    "Wasbeer Stomerij lost my coat and now acts like it's my fault. Never again.", lang="en")
add("x", "@ouders_online",
    "Terugroepactie BabyBliss babyfoon wegens oververhitting. Check even je zolder en de kinderkamer!")
add("instagram", "@noor.wast",
    "Mijn collega's in de sorteerhal zijn de beste. Zonder hen geen schone lakens in half Utrecht 💪")
add("linkedin", "hotel-de-linde-utrecht",
    "Proud to announce our partnership with Lindevoort for all our room linen: cleaner, greener, and with 30% less water per wash.", lang="en")
add("reddit", "u/singlelife_nl",
    "Is €59/month for the PlooiPost Huishoudabonnement worth it if you live alone? Thinking about it.", lang="en")
add("x", "@thuis_met_tim",
    "Had my curtains done at Lindevoort, €12.50 per m². Not bad actually.", lang="en")
add("tiktok", "@plooipost",
    "Dekbed wassen XL nu €25,90 (normaal €34,50) 🛏️ tot eind januari!", brand="PlooiPost")
add("threads", "@lindevoort.nl",
    "Spring deal: leather jacket cleaning for €55 instead of €69 🧥 book in the app", lang="en")
add("linkedin", "ingrid-hofstede-lindevoort",
    "Just wrapped up the ISO 14001 audit at our Nieuwegein plant: zero findings. Proud of this team.", lang="en")
add("x", "@catlady_eva",
    "Not Lindevoort's fault but my cat peed on the duvet the day it came back from cleaning 😭 back it goes", lang="en")
add("x", "@anoniem_fan", fullwidth("Lindevoort = top") + " 👌")
add("x", "@frequentflyer_j",
    "Reading about that data breach at a German hotel chain... glad my hotel still uses paper registration cards lol", lang="en")
add("tiktok", "@kees.chauffeur",
    "vandaag 212 stops gereden, nieuw record 🚚 en alle klanten waren vriendelijk!")
add("bluesky", "@femkedegraaf.bsky.social",
    "Wrote a blog post on how we made the PlooiPost app load 40% faster. Link in bio. No secrets in it, I promise 😄", lang="en")
add("x", "@dirk_trouwt",
    "Lindevoort kreeg de vlek uit mijn trouwpak, ik had het echt al opgegeven. Helden.")
add("x", "@lindevoort_zorg",
    "@amira_travels So sorry to hear that! Could you DM us the hotel name? We'd like to look into it.", lang="en", kind="reply")
add("linkedin", "boutique-hotel-aan-de-gracht",
    "What's the difference between Hotellinnen Start and Premium? We're a 20-room boutique hotel, advice welcome.", lang="en")
add("x", "@mam_van_drie",
    "BSN nooit delen via social media mensen, ook niet met je stomerij 😅 vandaag weer zo'n nepactie gezien")
add("x", "@papa_piet",
    "hahaha mijn dochter van 6 'strijkt' haar knuffels met een houten blokje. straks gaat ze nog bij Lindevoort werken")
add("linkedin", "youssef-bakkali-lv",
    "Visited 14 hotels in Amsterdam this week. Common theme: they want greener laundry. Good news, that's exactly where we're heading.", lang="en")
add("x", "@no_iron_ever",
    "I love my PlooiPost subscription. Haven't ironed a shirt since January.", lang="en")
add("facebook", "LindevoortWasserij",
    "Onze chauffeurs rijden sinds deze maand volledig elektrisch ⚡ Goed voor de lucht in de stad.")
add("x", "@scamalert_nl",
    "Iemand ook een 'gratis Lindevoort cadeaukaart' aangeboden gekregen met nummer " + bad_card("6") + "? Scam toch, niet op klikken.")
add("x", "@thomas_eats",
    "Our restaurant switched to Lindevoort's table linen package last month (€420/month). Napkins finally look crisp again.", lang="en")

# ---------------------------------------------------------------- build

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role

PLATFORM_ALIAS = {"x": "x"}
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16, "FR": 27, "GB": 22, "IE": 22}
CARD_RE = re.compile(r"(?<!\d)\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d.]?\d)")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)


def identifiers(text):
    """Return list of (kind, raw, valid) for every IBAN-, card- and BSN-looking token."""
    t = norm(text)
    out = []
    spans = []
    for m in IBAN_RE.finditer(t):
        spans.append(m.span())
        s = m.group(0).replace(" ", "")
        cc = s[:2]
        if cc in IBAN_LEN:
            s = s[:IBAN_LEN[cc]]
        out.append(("iban", s, iban_ok(s)))
    for m in CARD_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, checksum_pii):
    insider = role in ("corporate", "employee")
    level = "none"
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_pii)) else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[level]:
            level = s
    return level


def random_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "linkedin": "li", "instagram": "ig", "facebook": "fb", "tiktok": "tt",
             "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    used = set()
    for c in (CASES[i] for i in order):
        role = ROLE.get((c["platform"].lower(), c["handle"].lower()), "public")
        ids = identifiers(c["text"])
        checksum_pii = "leak.pii" in c["cats"] and any(v for k, _, v in ids)
        while True:
            pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in used:
                used.add(pid)
                break
        acct = {"handle": c["handle"]}
        if c["name"]:
            acct["display_name"] = c["name"]
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"], "account": acct,
                "text": c["text"], "lang": c["lang"],
                "created_at": c["when"] or random_time()}
        if c["brand"]:
            post["brand"] = c["brand"]
        if c["url"]:
            post["url"] = "https://example.org/%s/%s" % (c["platform"], pid)
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, checksum_pii)}})
    return lines


# ---------------------------------------------------------------- self-check

SECRET_RES = [
    re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[bpa]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"[a-z]+://[^\s:/@]+:[^\s@]+@"),
    re.compile(r"(?i)(wachtwoord|password)\s*[:=]\s*(?![x*<]+\b)[^\sx*<][^\s]{5,}"),
]

PRICE_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b|instead of (\d+)|normaal (\d+)", re.I)
ERROR_WORDS = re.compile(r"prijsfout|kommafout|price (?:error|glitch)|glitch|\bfout\b|rounding bug|nul weggevallen", re.I)


def amounts(text):
    out = []
    for m in PRICE_RE.finditer(text):
        v = next(g for g in m.groups() if g)
        out.append(float(v.replace(",", ".")))
    return out


def mentioned_products(text):
    t = norm(text).lower()
    res = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p.get("aliases", [])
        if any(n.lower() in t for n in names):
            res.append(p)
    return res


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def check(lines):
    errs = []
    allowed_platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                         "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    allowed_cats = set(CAT.values())
    own_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    internal = ([d.lower() for d in PROFILE["internal"]["domains"]] +
                [c.lower() for c in PROFILE["internal"]["codenames"]] +
                [m.lower() for m in PROFILE["internal"]["markers"]])
    ids = set()
    texts = set()
    for n, line in enumerate(lines):
        raw = json.dumps(line, ensure_ascii=False)
        back = json.loads(raw)
        p, e = back["post"], back["expect"]
        where = "%s (%s)" % (p.get("id"), p["text"][:50])
        # CONTRACT section 6 / section 1 shape
        for f, typ in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(f), typ):
                errs.append("%s: missing/invalid %s" % (where, f))
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append("%s: account.handle" % where)
        if not (1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append("%s: id not unique/length" % where)
        ids.add(p["id"])
        if p["text"] in texts:
            errs.append("%s: duplicate text" % where)
        texts.add(p["text"])
        if p["platform"] not in allowed_platforms:
            errs.append("%s: platform" % where)
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append("%s: kind" % where)
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append("%s: too long" % where)
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            errs.append("%s: created_at" % where)
            continue
        if not (2026 <= ts.year <= 2027):
            errs.append("%s: year" % where)
        if set(e) != {"categories", "severity"} or e["severity"] not in RANK:
            errs.append("%s: expect shape" % where)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= allowed_cats:
            errs.append("%s: categories" % where)
        role = ROLE.get((p["platform"].lower(), p["account"]["handle"].lower()), "public")
        idents = identifiers(p["text"])
        ck = "leak.pii" in cats and any(v for _, _, v in idents)
        if e["severity"] != severity(cats, role, ck):
            errs.append("%s: severity" % where)
        if not cats and e["severity"] != "none":
            errs.append("%s: benign severity" % where)
        t = norm(p["text"])
        tl = t.lower()
        # checksummed identifiers
        for kind, val, ok in idents:
            if cats:
                if not ok:
                    errs.append("%s: positive holds invalid %s %s" % (where, kind, val))
            else:
                if ok and not (kind == "iban" and val in own_ibans):
                    errs.append("%s: benign holds valid %s %s" % (where, kind, val))
        if "leak.pii" in cats and role != "public" and any(k in ("iban", "card", "bsn") for k, _, _ in idents) and not ck:
            errs.append("%s: pii checksum flag" % where)
        # secrets
        hits = [r for r in SECRET_RES if r.search(t)]
        if "leak.secret" in cats and not hits:
            errs.append("%s: secret positive without credential" % where)
        if "leak.secret" not in cats:
            for r in SECRET_RES:
                for m in r.finditer(t):
                    if "EXAMPLE" in m.group(0):
                        continue
                    errs.append("%s: credential-like text in non-secret case: %s" % (where, m.group(0)[:30]))
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", t):
            if not gh_ok(tok):
                errs.append("%s: github token fails crc" % where)
        for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", t):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                errs.append("%s: jwt header" % where)
        # internal names / markers and embargo
        has_internal = any(w in tl for w in internal)
        if has_internal and "leak.confidential" not in cats:
            errs.append("%s: internal term but not confidential" % where)
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            if any(term.lower() in tl for term in emb["terms"]):
                if ts < until and "leak.confidential" not in cats:
                    errs.append("%s: embargo term before until, not confidential" % where)
                if ts >= until and not cats:
                    pass
                if not cats and ts < until:
                    errs.append("%s: benign with embargo term before until" % where)
        if ts.year == 2027 and not any(any(term.lower() in tl for term in emb["terms"]) for emb in PROFILE["embargo"]):
            errs.append("%s: 2027 date without embargo context" % where)
        # pricing
        prods = mentioned_products(p["text"])
        amts = amounts(t)
        if "leak.pricing" in cats:
            low = any(a < PROFILE["pricing"]["alert_below_ratio"] * pr["list_price"] for a in amts for pr in prods)
            if not prods or not (low or ERROR_WORDS.search(t)):
                errs.append("%s: pricing positive without product/low price" % where)
        elif prods and amts:
            floor = PROFILE["pricing"]["alert_below_ratio"] * min(pr["list_price"] for pr in prods)
            if any(a < floor for a in amts):
                errs.append("%s: benign with price below ratio" % where)
        # roles
        if p["account"]["handle"].lower() in {h for (_, h) in ROLE} and role == "public":
            errs.append("%s: handle of profile on other platform" % where)
    return errs


def main():
    lines = build()
    errs = check(lines)
    # profile sanity
    for iban in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(iban):
            errs.append("profile IBAN fails mod-97: %s" % iban)
    for emb in PROFILE["embargo"]:
        if not emb["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("ratio")
    total = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not (170 <= total <= 180):
        errs.append("case count %d out of range" % total)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # stats
    from collections import Counter
    cc = Counter(c for l in lines for c in l["expect"]["categories"])
    langs = Counter(l["post"]["lang"] for l in lines)
    roles = Counter(ROLE.get((l["post"]["platform"], l["post"]["account"]["handle"].lower()), "public") for l in lines)
    sev = Counter(l["expect"]["severity"] for l in lines)
    print("cases %d, benign %d" % (total, benign))
    print("categories", dict(sorted(cc.items())))
    print("langs", dict(langs), "roles", dict(roles), "severity", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
