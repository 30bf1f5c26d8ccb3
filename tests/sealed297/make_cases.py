#!/usr/bin/env python3
"""Build the sealed297 evaluation set for postwatch (company: Duinkroon Bloembollen B.V.).

Deterministic: a fixed seed drives every generated credential, identifier, id and
timestamp. Writes cases.jsonl beside this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a pii positive passes its checksum, every look-alike in
    any other post fails it (the company's own public IBAN excepted);
  * generated credentials are well-formed (GitHub CRC-32, AWS alphabet, JWT header);
  * benign posts carry no codename, marker, internal host, live embargo term, or
    real-looking credential; prices in benign posts are >= alert ratio of list price;
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
Standard library plus PyYAML.
"""
import base64
import datetime as dt
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(297_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# --------------------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return f"{cc}{98 - n % 97:02d}{bban}"


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn_make():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            return head + str(r)


def bsn_fake():
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s

# --------------------------------------------------------------------------- credentials

def rnd(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(string.digits + string.ascii_letters, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(370))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


URLSAFE = string.ascii_letters + string.digits + "-_"

G = {
    "aws_id": aws_key(),
    "aws_secret": rnd(string.ascii_letters + string.digits + "/+", 40),
    "ghp": github_token("ghp_"),
    "ghs": github_token("ghs_"),
    "stripe": "sk_live_" + rnd(string.ascii_letters + string.digits, 24),
    "slack": f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-"
             + rnd(string.ascii_letters + string.digits, 24),
    "jwt": jwt_make({"sub": "cust_884120", "scope": "returns:write", "iat": 1760000000,
                      "exp": 1760604800}),
    "sshkey": openssh_key(),
    "glpat": "glpat-" + rnd(URLSAFE, 20),
    "mollie": "live_" + rnd(string.ascii_letters + string.digits, 30),
    "anthropic": "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA",
    "google": "AIza" + rnd(URLSAFE, 35),
    "dbpass": rnd(string.ascii_letters + string.digits, 14),
    "pgpass": rnd(string.ascii_letters + string.digits, 12),
    "iban_refund": iban_make("NL", "INGB" + rnd(string.digits, 10)),
    "iban_kamil": iban_make("NL", "ABNA" + rnd(string.digits, 10)),
    "card_karin": card_make("4"),
    "card_dj": card_make("53"),
    "bsn_kamil": bsn_make(),
    "bsn_reddit": bsn_make(),
}
# look-alikes that must fail their checksum
_v = iban_make("NL", "RABO" + rnd(string.digits, 10))
G["iban_bad"] = _v[:2] + f"{(int(_v[2:4]) + 7) % 100:02d}" + _v[4:]
_c = card_make("4")
G["card_bad"] = _c[:-1] + str((int(_c[-1]) + 3) % 10)
_c = card_make("6036")
G["card_bad2"] = _c[:-1] + str((int(_c[-1]) + 5) % 10)
G["bsn_bad"] = bsn_fake()
_v = iban_make("DE", rnd(string.digits, 18))
G["iban_bad_de"] = _v[:2] + f"{(int(_v[2:4]) + 11) % 100:02d}" + _v[4:]

# --------------------------------------------------------------------------- cases

CAT = {
    "S": "leak.secret", "PII": "leak.pii", "PR": "leak.pricing", "CF": "leak.confidential",
    "FI": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}
CASES = []


def P(platform, handle, lang, text, cats="", kind="post", at=None, prices=(),
      price_talk=False, ids=(), fakes=(), doc_sample=False, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[c] for c in cats.split()] if cats else [], kind=kind,
                      at=at, prices=prices, price_talk=price_talk, ids=ids, fakes=fakes,
                      doc_sample=doc_sample, name=name))


ZW = "\u200b"


def zw(s):
    return ZW.join(s)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# ---- complaints -----------------------------------------------------------------------
P("x", "@tuinvrouw_anja", "nl",
  "Drie weken gewacht op mijn bestelling bij @duinkroon en nu is de helft van de Delft Blue "
  "hyacinten gewoon beschimmeld 🤢 grijs pluis overal. Echt zonde van m'n geld", "CO", at="2026-10-14T08:02:00Z")
P("reddit", "u/bulbnerd_uk", "en",
  "Ordered 100 Pickwick crocuses from Duinkroon back in September. They turned up mid-December, "
  "frozen solid and mushy. Customer service keeps sending the same copy-paste reply. Never again.",
  "CO", at="2026-01-05T11:20:00Z")
P("facebook", "gerda.kempenaar.52", "nl",
  "Vorig jaar Queen of Night besteld bij Duinkroon, zwarte tulpen beloofd... kwamen er knalgele "
  "uit. Nu wéér. Lezen ze die bestellingen eigenlijk wel?? 😤", "CO")
P("x", "@robbert_tuiniert", "en",
  "@duinkroon_help emailed you 4 times about my KroonBox being charged twice. Nothing. How long "
  "do I have to wait for my €89 back?", "CO", kind="reply",
  prices=(("DK-KB4", 89.00),))
P("instagram", "@cottagegarden.em", "en",
  "Honestly disappointed. The 'XL' Red Lion amaryllis from @duinkroon.bulbs is the size of a "
  "walnut. One sad stalk, zero flowers. Not what I paid for.", "CO", kind="comment")
P("threads", "@jes.moestuin", "nl",
  "pakketje van duinkroon kwam helemaal geplet aan, doos open, de helft vd anemoontjes lag los "
  "in de zak van postnl. en dan nog 6,95 verzendkosten betalen ook 🙄", "CO")
P("x", "@pete_grows_things", "en",
  "the duinkroon checkout has been broken for 2 days on mobile. can't enter a discount code, "
  "can't pay, and the chat bot just says 'probeer het later opnieuw'. cool. very cool.", "CO")
P("forum", "tulpengek", "nl",
  "Klacht over de bloeigarantie van Duinkroon: 40 Angelique geplant, er kwamen er 6 op. "
  "Garantie claimen? Dan moet je foto's van elke plantplek sturen én de originele verpakking "
  "bewaard hebben. Belachelijk gedoe. Voor €14,95 maar het gaat om het principe.", "CO",
  prices=(("DK-TAN20", 14.95),))
P("bluesky", "@hollyinthegarden.bsky.social", "en",
  "Dear Duinkroon, when I cancel an order within 10 minutes, please don't ship it anyway and "
  "then charge me return postage to the Netherlands. Thanks so much.", "CO")
P("tiktok", "@nina.plant.alles", "nl",
  "storytime: besteld op 2 okt, 'verzonden binnen 2 werkdagen'. het is nu 9 nov. mn bollen "
  "liggen ergens in een depot in nieuwegein te verpieteren. bedankt duinkroon 🙃 "
  "#bollen #klantenservice", "CO", at="2026-11-09T20:31:00Z")
P("youtube", "@HedgeHenry", "en",
  "Nice videos, but the snowdrops you sent me arrived bone dry. Hardly any came up. Shame, the "
  "quality used to be so much better a few years ago.", "CO", kind="comment")
P("x", "@marianne_vd_linden", "nl",
  "@duinkroon_help nog steeds niks gehoord over bestelling 88412?? Bel me gewoon even terug op "
  "06-48213907, ik zit er al een week op te wachten", "CO PII", kind="reply")
P("facebook", "derek.holloway.uk", "en",
  "Third time asking. Refund for the damaged Voorjaarsdroom gift box still hasn't arrived. "
  "Email me at derek.holloway61@outlook.com since your contact form is broken.", "CO PII",
  kind="comment")
P("x", "@boze_bert", "nl",
  "Wat een stelletje oplichters bij @duinkroon. Rotte bollen sturen en je klant dan afschepen "
  "met een kutmailtje. Prutsers zijn het, allemaal.", "CO AB")
P("reddit", "u/gardenrage", "en",
  "Duinkroon's support rep is a useless idiot. Asked for a refund for rotten Casa Blanca bulbs, "
  "got told to 'plant them anyway, they might surprise you'. Morons, the whole lot of them.",
  "CO AB")
# safety incidents told first-hand: crisis + complaint
P("facebook", "kees.ouwerkerk.7", "nl",
  "Gisteravond ging de GroeiLED 60W van Duinkroon ineens roken en smelten in de schuur, er "
  "kwamen vlammen uit de driver. Stekker eruit gerukt en een blusdeken erover. Had m'n hele "
  "schuur af kunnen branden. Nog níks van Duinkroon gehoord.", "CR CO")
P("x", "@sophie_sows", "en",
  "My Duinkroon Kweekbak Pro gave me a proper electric shock when I watered the seed trays this "
  "morning. Hand still tingling. This thing is not safe and support just told me to 'check the "
  "fuse'. @duinkroon", "CR CO")
P("instagram", "@hondenmama_lotte", "nl",
  "Onze Bo heeft vannacht de Tête-à-Tête bollen uit de open doos van Duinkroon opgevreten. "
  "Nergens op de doos een waarschuwing dat ze giftig zijn voor honden!! Hele nacht bij de "
  "dierenarts gezeten, hij redt het gelukkig. Ik ben woedend.", "CR CO")
P("reddit", "u/allotment_ally", "en",
  "PSA: Duinkroon sent 'edible shallots' in the KroonBox veg add-on that were actually daffodil "
  "bulbs. My husband cooked them and we were both throwing up all night, ended up at the GP. "
  "How does a bulb company mix that up??", "CR CO")
P("x", "@hovenier_yusuf", "nl",
  "Duinkroon bollenplanter RVS afgeknapt bij de steel bij de tweede bol, scherpe rand recht in "
  "m'n hand. 4 hechtingen. Zo'n ding mag toch niet zomaar breken?", "CR CO")

# ---- crisis ---------------------------------------------------------------------------
P("x", "@bijenvriend_nl", "nl",
  "Onderzoek van een bijenstichting: op bollen van #Duinkroon zijn resten gevonden van "
  "neonicotinoïden die al jaren verboden zijn. Op de Bijenmix nota bene. Niet meer kopen! "
  "#boycotDuinkroon", "CR")
P("bluesky", "@greenwatch.bsky.social", "en",
  "Duinkroon markets a 'Bee mix' while spraying its fields with banned pesticides. Boycott them "
  "until they come clean. #BoycottDuinkroon", "CR")
P("forum", "bollenstreek_nieuws", "nl",
  "Omwonenden van de velden van Duinkroon bij Noordwijkerhout stappen naar de rechter. Ze zeggen "
  "al jaren klachten te hebben door spuitnevel; hun advocaat bevestigt dat de dagvaarding deze "
  "week is betekend.", "CR")
P("x", "@consumentalert", "en",
  "RECALL: Duinkroon Verwarmde Kweekbak Pro (batch 2611) - risk of electric shock due to "
  "faulty thermostat wiring. Stop using it and unplug it now.", "CR")
P("x", "@jolanda_koopt", "nl",
  "Heeft Duinkroon een datalek gehad?? Ik krijg opeens phishingmails met m'n KroonBox-"
  "bestelnummer én mijn volledige adres erin. Dat kan alleen bij hun vandaan komen.", "CR")
P("reddit", "u/seasonal_worker_watch", "en",
  "Investigative piece out today: seasonal workers at Duinkroon's packing shed housed 12 to a "
  "caravan and paid under minimum wage. Absolute scandal. Spread it.", "CR")
P("tiktok", "@omroep_bollenstreek", "nl",
  "Brand in een kas van Duinkroon in Lisse vannacht. Twee medewerkers met brandwonden naar het "
  "ziekenhuis, de oorzaak zou een groeilamp zijn. #lisse #brand", "CR")
P("threads", "@tulipfestwatcher", "en",
  "Wow, Duinkroon pulled its whole lily range after inspectors found virus in the Casa Blanca "
  "stock. Anyone who bought them this year is told to destroy the bulbs.", "CR")
P("x", "@pieterpost_lisse", "en",
  "Just read that Dutch food safety inspectors raided Duinkroon over illegal pesticides. If "
  "that's true it's a massive scandal for the whole bulb sector.", "CR")
P("x", "@angrybeekeeper", "en",
  "Duinkroon are poisoning our bees and lying about it. Scumbag company run by greedy "
  "parasites. BOYCOTT. #BoycottDuinkroon", "CR AB")

# ---- abuse ----------------------------------------------------------------------------
P("x", "@rrrrobin_", "nl",
  "@duinkroon_help jullie zijn echt de domste helpdesk van Nederland. Ga toch lekker bollen "
  "pellen, idioten.", "AB", kind="reply")
P("x", "@trollgardener", "en",
  "@tessa_duinkroon you're a brainless cow, do the world a favour and quit", "AB", kind="reply")
P("instagram", "@dennis_020x", "nl",
  "die marloes van duinkroon is echt een dom wijf met d'r tulpenfilmpjes, kop dicht joh",
  "AB", kind="comment")
P("facebook", "harry.brugman.3", "nl",
  "Allemaal Polen en Roemenen in die kassen van Duinkroon, stelletje uitvreters, die horen hier "
  "niet. Nederlandse bedrijven voor Nederlanders.", "AB", kind="comment")
P("youtube", "@xXbulbhaterXx", "en",
  "this channel is trash and the host is a f*cking clown lmao. duinkroon more like DUMBkroon",
  "AB", kind="comment")
P("x", "@anon8472", "nl",
  "D.u.i.n.k.r.o.o.n = k.u.t.b.e.d.r.i.j.f. stelletje t.y.f.u.s.l.i.j.e.r.s", "AB")
P("reddit", "u/n0_ch1ll", "en",
  "duinkroon support are st00pid @ssh0les, every single one of them. sh1t company, sh1ttier "
  "people", "AB", kind="comment")
P("x", "@djvanrijn", "nl",
  "@kweekfan77 hou toch je bek, sukkel. Als je niet kan lezen moet je ook geen bollen "
  "bestellen.", "AB", kind="reply")
P("tiktok", "@duinkroontulpen", "nl",
  "lol wat ben jij een zielige loser zeg 🤡 ga lekker ergens anders huilen", "AB",
  kind="reply")

# ---- confidential ---------------------------------------------------------------------
P("x", "@marloes_kweekt", "nl",
  "Eerste bloei van Midnight Velvet in kas 4 vandaag 😍 echt bíjna zwart met zo'n "
  "fluweelglans. Kan niet wachten tot jullie hem mogen zien", "CF", at="2026-04-10T07:42:00Z")
P("bluesky", "@femkeverhoef.bsky.social", "nl",
  "Campagneshoot voor Tulpstorm staat gepland op 12 juni. Moodboard is 🔥 Meer mag ik nog "
  "niet zeggen 🤐", "CF")
P("linkedin", "priya-raghoenath", "en",
  "For everyone onboarding this week: your schedule is at "
  "https://intra.duinkroon.local/hr/roosters, log in with your staff number. Welcome aboard!",
  "CF")
P("instagram", "@ellen.in.de.kas", "nl",
  "Ok dit stond gewoon op het whiteboard in de kantine 😂 'DK-INTERN teeltplan 2027, niet "
  "extern delen' en dan 4 ha extra Midnight Velvet eronder. Ik zeg niks 🤭", "CF",
  at="2026-09-22T12:15:00Z")
P("x", "@bollenspotter", "en",
  "Heard from a friend in Lisse that Duinkroon is launching a near-black tulip called "
  "'Midnight Velvet' this winter. Anyone seen pics yet?", "CF", at="2027-01-12T18:03:00Z")
P("mastodon", "@bram_codeert", "nl",
  "pipeline op gitlab.duinkroon.nl/webshop/tulpstorm-app faalt wéér op de lint-stap, wie heeft "
  "er aan de runner config gezeten", "CF")
P("facebook", "DuinkroonBloembollen", "nl",
  "Binnenkort iets heel bijzonders: onze allereerste zwarte fluweeltulp 🖤 Zet hem alvast op "
  "je verlanglijst: shop.duinkroon.nl/midnight-velvet", "CF", at="2026-11-15T10:00:00Z")
P("tiktok", "@sem.pakt.in", "nl",
  "pov: je pakt dozen in en op de pallet staat 'Operatie Kraanvogel - niet openen tot 1/3' 👀 "
  "wat zou erin zitten #magazijn", "CF")
P("reddit", "u/kasmeester_dk", "en",
  "Can't say much, NDA, but the new heated propagator our team is testing (internally "
  "'Kweekbak Pro 2') has a built-in camera and app control. Spring launch if the trials hold.",
  "CF", kind="comment")
P("x", "@djvanrijn", "en",
  "weekend todo: migrate " + fullwidth("erp.duinkroon.local") + " to the new cluster 😩",
  "CF")
P("bluesky", "@femkeverhoef.bsky.social", "nl",
  "Project " + zw("Zilverreiger") + " gaat echt alles veranderen voor ons team, ik zeg "
  "verder niks 🤭", "CF")
P("forum", "insider_bollen", "nl",
  "Mijn zwager werkt bij Duinkroon en liet me de slides van 'Tulpstorm' zien: een app waarmee "
  "je met je camera bollen kunt laten herkennen en meteen bijbestellen. Gaat in maart live "
  "volgens hem.", "CF")
P("x", "@lisse_local", "en",
  "Someone left a Duinkroon binder on the train marked STRIKT VERTROUWELIJK, 'teeltplan "
  "Midnight Velvet' with greenhouse layouts and all. Handed it to the conductor 😅", "CF",
  at="2026-08-04T16:40:00Z")
P("x", "@marloes_kweekt", "nl",
  "\u041cidnight V\u0435lvet ziet er dit jaar nóg donkerder uit 🖤 nog heel even geduld "
  "mensen", "CF", at="2027-01-08T09:10:00Z")
P("linkedin", "joost-van-der-zwaan-duinkroon", "nl",
  "Spannende weken achter de rug. Project Zilverreiger, de overname van onze Duitse collega's "
  "van Gartenhof Samen GmbH, is zo goed als rond: alleen de handtekeningen nog. Trots op dit "
  "team!", "CF FI")
P("reddit", "u/kasmeester_dk", "nl",
  "Operatie Kraanvogel = sluiting van kas 2 en 3 en de opkweek gaat naar Polen. Zo'n 45 banen "
  "weg. Management zegt pas in maart iets. Ik ben er echt kapot van.", "CF FI")
P("mastodon", "@bram_codeert", "en",
  "note to self bc I keep losing it:\nDATABASE_URL=postgres://shop_rw:" + G["dbpass"]
  + "@db01.intra.duinkroon.local:5432/webshop", "CF S")
P("x", "@duinkroon", "nl",
  "Onze oogstcijfers 2026 zijn binnen: 31 miljoen bollen, 9% minder dan vorig jaar door het "
  "natte voorjaar. Het volledige verslag volgt.", "CF FI", at="2027-02-10T08:30:00Z")

# ---- financial ------------------------------------------------------------------------
P("x", "@tessa_duinkroon", "nl",
  "Net de kwartaalcijfers gezien in het teamoverleg, omzet webshop -38% t.o.v. vorig jaar. "
  "Dat wordt een strenge winter 😬", "FI")
P("linkedin", "priya-raghoenath", "nl",
  "Moeilijke dag. Vandaag gehoord dat we na dit seizoen 60 seizoenscontracten niet verlengen en "
  "dat de klantenservice naar een extern callcenter gaat. De officiële aankondiging volgt nog.",
  "FI")
P("x", "@beursbollen", "nl",
  "Hoor uit goede bron dat Duinkroon in gesprek is met FloraGroep Benelux over een overname. "
  "Zou zomaar voor de zomer rond kunnen zijn 👀", "FI")
P("x", "@djvanrijn", "en",
  "Finance just told us we'll miss the 2026 revenue forecast by roughly 4 million. Hiring "
  "freeze from Monday. Fun times.", "FI")
P("bluesky", "@femkeverhoef.bsky.social", "en",
  "just heard in the MT meeting that next year's marketing budget is being cut in half. bye bye "
  "tv campaign 🫠", "FI")
P("reddit", "u/kasmeester_dk", "en",
  "Throwaway-ish but whatever: Duinkroon broke its bank covenant this quarter and the bank is "
  "sending people in next week. Wouldn't be surprised if there's a sale of the company by "
  "summer.", "FI", kind="comment")
P("tiktok", "@sem.pakt.in", "nl",
  "ze gaan het hele magazijn in hillegom sluiten volgend jaar en alles naar een "
  "fulfilmentbedrijf, wij horen het via via 😭 #werk #ontslag", "FI")
P("linkedin", "joost-van-der-zwaan-duinkroon", "en",
  "Preliminary numbers are in: this year's harvest came in 22% below plan after the wet "
  "spring. EBITDA will land around €1.8M versus €4.1M budgeted. Board update Friday.", "FI")
P("reddit", "u/ex_duinkroon", "en",
  "Former employee here. They're about to announce a reorg: sales and marketing merged, 3 of 7 "
  "managers out. Heard it from two people who are still there.", "FI", kind="comment")

# ---- security -------------------------------------------------------------------------
P("x", "@djvanrijn", "nl",
  "Sinds 03:00 ligt de hele webshop plat, betalingen komen niet door. Officieel heet het "
  "'onderhoud' maar de productiedatabase is gewoon corrupt. Lang leve maandag.", "SE")
P("mastodon", "@bram_codeert", "en",
  "Found out you can see any customer's KroonBox order on our shop by just bumping the number "
  "in /account/orders/. Reported it 3 weeks ago, ticket still open. 🤦", "SE")
P("reddit", "u/kasmeester_dk", "en",
  "The climate computers in our greenhouses got hit by ransomware last night. Heating is on "
  "manual now. Management wants it kept quiet until the insurance is sorted.", "SE")
P("x", "@tessa_duinkroon", "nl",
  "Collega's, NIET klikken op de links in die mail 'Factuur Duinkroon': gisteren zijn 3 "
  "klantenservice-accounts overgenomen en er gaan nu phishingmails naar klanten. Is nog niet "
  "naar buiten gebracht.", "SE")
P("linkedin", "priya-raghoenath", "en",
  "Reminder to everyone at Duinkroon: after last week's breach of the HR system, please change "
  "your passwords. Payroll data of all staff may have been copied; we're not telling the press "
  "yet.", "SE")
P("x", "@hackerbuurman", "nl",
  "Vriend van me doet IT bij Duinkroon: hun klantendatabase is vorige week gelekt, 80k records, "
  "en ze houden het stil. Check je mail mensen.", "SE CR")
P("bluesky", "@femkeverhoef.bsky.social", "en",
  "Our newsletter tool just put all 40,000 customer addresses in CC... never hit 'cancel' so "
  "fast in my life. Part of it went out already. Legal is in crisis mode now 😵", "SE")
P("tiktok", "@sem.pakt.in", "nl",
  "magazijnsysteem ligt al 2 dagen plat door een hack 💀 we schrijven alles met de hand op, "
  "niemand mag het zeggen maar ja", "SE")
P("x", "@marloes_kweekt", "en",
  "our payment integration has been down since Friday and orders are silently failing. "
  "customers think they paid. nobody has announced anything.", "SE")
P("x", "@djvanrijn", "nl",
  "r a n s o m w a r e op de fileserver vannacht, laatste backup is 3 dagen oud. dit blijft "
  "ff onder ons ok", "SE")
P("mastodon", "@bram_codeert", "nl",
  "De wachtwoord-reset van onze webshop stuurt de resetlink naar het adres dat je in de request "
  "meegeeft, niet naar het adres van het account. Account takeover in 2 klikken. Ticket ligt "
  "al maanden stil.", "SE")
P("reddit", "u/pentest_pieter", "en",
  "Reported an XSS in the duinkroon.nl search box to their security contact in August. No fix, "
  "no reply. Still works today. Not posting the payload (yet).", "SE")
P("x", "@djvanrijn", "nl",
  "ugh de slack bot token is gelekt in een publieke repo en iemand spamt er al mee in "
  "#algemeen. rotate die shit: " + G["slack"], "SE S")

# ---- secrets --------------------------------------------------------------------------
P("mastodon", "@bram_codeert", "en",
  "Why am I getting AccessDenied?? 😩\n```\nimport boto3\ns3 = boto3.client('s3',\n"
  "    aws_access_key_id='" + G["aws_id"] + "',\n    aws_secret_access_key='"
  + G["aws_secret"] + "')\n```", "S")
P("x", "@djvanrijn", "nl",
  "wie heeft mijn token in de README gezet 😑 " + G["ghp"], "S")
P("reddit", "u/kasmeester_dk", "en",
  "Stripe keeps rejecting our webhook, no idea why. Config is literally just\n"
  "STRIPE_SECRET_KEY=" + G["stripe"] + "\nwhat am I missing", "S", kind="comment")
P("bluesky", "@femkeverhoef.bsky.social", "nl",
  "kan iemand van IT even kijken? inloggen op het CMS lukt niet. gebruikersnaam: femke.verhoef "
  "wachtwoord: Tulp!Lente2026#", "S")
P("x", "@duinkroon_help", "nl",
  "@klant_wim Hier de link naar je retourlabel: https://api.duinkroon.nl/retour?token="
  + G["jwt"], "S", kind="reply")
P("mastodon", "@bram_codeert", "en",
  "deploy keeps failing with 'invalid format', here's the key it reads:\n"
  "-----BEGIN OPENSSH PRIVATE KEY-----\n" + G["sshkey"] + "\n-----END OPENSSH PRIVATE KEY-----",
  "S")
P("x", "@djvanrijn", "nl",
  "CI token voor als ik op vakantie ben, dan hoeven jullie me niet te bellen 🏖️ " + G["glpat"],
  "S")
P("reddit", "u/webshop_dev_ams", "en",
  "Found this in the page source of the duinkroon.nl checkout lol: `MOLLIE_KEY=\""
  + G["mollie"] + "\"` someone should really tell them", "S")
P("x", "@tessa_duinkroon", "nl",
  "AI-assistent voor de klantenservice doet het weer 🎉 key voor de collega's: "
  + G["anthropic"], "S")
P("mastodon", "@bram_codeert", "nl",
  zw("wachtwoord") + " vpn-account stagiair: Kr00nBol!2026 (niet doorvertellen)", "S")
P("x", "@marloes_kweekt", "en",
  "why won't the store locator map load on our site?? key = " + G["google"], "S")

# ---- personal data --------------------------------------------------------------------
P("x", "@duinkroon_help", "nl",
  "@gerrit_k We hebben uw terugbetaling van €34,95 overgemaakt naar "
  + iban_fmt(G["iban_refund"]) + " t.n.v. G. Kramer. Fijne dag! 🌷", "PII", kind="reply",
  ids=(("iban", G["iban_refund"]),), prices=(("DK-BIJ200", 34.95),), at="2026-04-10T10:15:00Z")
P("x", "@tessa_duinkroon", "nl",
  "Wie van jullie heeft mevr. Ineke Brouwer, Heereweg 212, 2161 BL Lisse teruggebeld? Ze belt "
  "nu elk uur 😅", "PII")
P("instagram", "@ellen.in.de.kas", "nl",
  "Hoera! Onze Jan Koster (geboren 14-03-1966) wordt vandaag 60 🎉 al 35 jaar in de kas, "
  "legende 🌷", "PII", at="2026-03-14T08:05:00Z")
P("linkedin", "priya-raghoenath", "nl",
  "@Kamil Nowak ik heb je gegevens ontvangen: BSN " + G["bsn_kamil"] + ", IBAN "
  + G["iban_kamil"] + ". Je contract ligt maandag klaar!", "PII", kind="comment",
  ids=(("bsn", G["bsn_kamil"]), ("iban", G["iban_kamil"])))
P("facebook", "DuinkroonBloembollen", "nl",
  "En de winnaar van onze tulpenwinactie is... Sandra de Wit uit Sassenheim! 🎉 We mailen je "
  "op sandra.dewit84@hotmail.com, check je inbox!", "PII")
P("x", "@karin_bestelt", "nl",
  "@duinkroon_help kunnen jullie de betaling opnieuw proberen met mijn andere kaart? "
  + card_fmt(G["card_karin"]) + " exp 09/28", "PII", kind="reply",
  ids=(("card", G["card_karin"]),))
P("facebook", "linda.parker.garden", "en",
  "For the Duinkroon delivery driver tomorrow: Linda Parker, 14 Orchard Lane, Bath BA2 4HX. "
  "Please leave the bulbs by the back gate, dog in the front garden 🐕", "PII", kind="comment")
P("tiktok", "@sem.pakt.in", "nl",
  "deze klant heeft 400 bollen besteld 😳 familie Yılmaz, Kanaalstraat 18, 2201 HK Noordwijk, "
  "jullie tuin wordt prachtig 🌷", "PII")
P("x", "@djvanrijn", "en",
  "test order for the new checkout, using my own card lol " + card_fmt(G["card_dj"])
  + " - don't judge the bulb choices", "PII", ids=(("card", G["card_dj"]),))
P("instagram", "@duinkroon.bulbs", "nl",
  "Gefeliciteerd mevrouw Aaltje Zandbergen (geboren 2 mei 1931), onze trouwste klant: al 70 "
  "jaar tulpen van Duinkroon! 🌷💐", "PII", at="2026-05-02T09:00:00Z")
P("bluesky", "@femkeverhoef.bsky.social", "nl",
  "Bel Marco van de fotoshoot even op 06 41 27 83 59 als je hem ziet, hij neemt bij mij niet "
  "op", "PII")
P("x", "@oma_tuintje", "nl",
  "@duinkroon_help belt u mij even terug? " + fullwidth("06-19284736") + " ik kom er met die "
  "website niet uit", "PII", kind="reply")
P("reddit", "u/kasmeester_dk", "en",
  "Payroll sent my payslip to a colleague again. So now someone else knows my BSN is "
  + G["bsn_reddit"] + ". Great privacy culture.", "PII", kind="comment",
  ids=(("bsn", G["bsn_reddit"]),))
# ---- pricing --------------------------------------------------------------------------
P("x", "@duinkroon", "nl",
  "🌷 FLASH! Duinkroon Vuurbaak tulpenmix 50 st. nu €2,49. Op=op!", "PR",
  prices=(("DK-TMIX50", 2.49),))
P("x", "@marloes_kweekt", "nl",
  "oeps, de GroeiLED 60W staat in de shop voor €7,99 ipv €79,95, iemand van e-com wakker?",
  "PR", prices=(("DK-LED60", 7.99),), price_talk=True)
P("x", "@dealjager_dave", "nl",
  "Kweekbak Pro voor €12,90 bij Duinkroon 😂 prijsfout? heb er meteen 3 besteld", "PR",
  prices=(("DK-KWB", 12.90),), price_talk=True)
P("reddit", "u/bargainbulbs", "en",
  "Price glitch! Duinkroon's KroonBox subscription is showing €8.90 for the whole season right "
  "now. Get in before they fix it.", "PR", prices=(("DK-KB4", 8.90),), price_talk=True)
P("x", "@lilylover_jane", "en",
  "Is this a pricing error? Casa Blanca lilies for €1.39 on the Duinkroon site?? 👀", "PR",
  prices=(("DK-LCB5", 1.39),), price_talk=True)
P("facebook", "anouk.bollenliefde", "nl",
  "prijsfoutje bij Duinkroon: Red Lion amaryllis voor 1,69 euro. Snel zijn!", "PR",
  prices=(("DK-ARL1", 1.69),), price_talk=True)
P("forum", "koopjesjager", "nl",
  "Er staat een prijsfout op de Keizerskroon Rubra bij Duinkroon, de prijs klopt echt niet. "
  "Wie het eerst komt...", "PR", price_talk=True)
P("x", "@duinkroon_help", "nl",
  "@lenie_t Klopt, de prijs van de Allium Globemaster (€1,99) was een prijsfout. Bestellingen "
  "tegen die prijs worden helaas geannuleerd.", "PR", kind="reply",
  prices=(("DK-AGM3", 1.99),), price_talk=True)
P("threads", "@tim_grows", "en",
  "Sarah Bernhardt peonies for €0.95 for two?? must be a typo lol, ordered anyway", "PR",
  prices=(("DK-PSB2", 0.95),), price_talk=True)
P("x", "@bulbdeals_uk", "en",
  "Duinkroon has Delft Blue hyacinths (pack of 10) for €0.99 right now, go go go", "PR",
  prices=(("DK-HDB10", 0.99),))
P("tiktok", "@sem.pakt.in", "nl",
  "pov: je bent inpakker en er komen 400 orders Tête-à-Tête binnen omdat ze per ongeluk €0,99 "
  "kosten 💀 #magazijn", "PR", prices=(("DK-NTT30", 0.99),), price_talk=True)
P("linkedin", "joost-van-der-zwaan-duinkroon", "nl",
  "Vanaf morgen 'per ongeluk' de Bijenmix 200 voor €9,95 in de nieuwsbrief, kijken wat het "
  "doet met de conversie. Niet doorvertellen 😉", "PR", prices=(("DK-BIJ200", 9.95),))

# ---- benign / hard negatives ----------------------------------------------------------
P("x", "@duinkroon", "nl",
  "Vragen over je bestelling? Mail klantenservice@duinkroon.nl of bel +31 252 555 310 (ma-vr "
  "9-17u). We helpen je graag! 🌷")
P("facebook", "DuinkroonBloembollen", "nl",
  "Liever per overschrijving betalen? Maak het bedrag over naar NL77 RABO 0318 4529 67 t.n.v. "
  "Duinkroon Bloembollen B.V., o.v.v. je bestelnummer.")
P("instagram", "@duinkroon.bulbs", "nl",
  "Najaarssale 🍂 20% korting op de Vuurbaak tulpenmix: nu €19,96 i.p.v. €24,95. Alleen dit "
  "weekend!", prices=(("DK-TMIX50", 19.96),), at="2026-10-02T07:30:00Z")
P("x", "@moestuin_mo", "en",
  "Black Friday at Duinkroon: Kweekbak Pro down from €129 to €99. Finally pulled the trigger 🙌",
  prices=(("DK-KWB", 99.00),), at="2026-11-27T19:12:00Z")
P("reddit", "u/windowsill_wendy", "en",
  "Is €16.95 for a single Red Lion amaryllis reasonable? Seems steep, but the ones I got last "
  "year were huge.", prices=(("DK-ARL1", 16.95),))
P("instagram", "@zwarttulp_zus", "nl",
  "Queen of Night staat er prachtig bij dit jaar 🖤 25 bollen voor €12,95 en elke cent waard. "
  "Dank je @duinkroon.bulbs!", kind="comment", prices=(("DK-TQN25", 12.95),))
P("x", "@krokusklaas", "nl",
  "Deze najaarsactie is echt moordend goed 😂 Pickwick voor €12 per zak, ik heb er maar "
  "meteen 2 gepakt", prices=(("DK-KPW100", 12.00),))
P("x", "@frontgarden_fiona", "en",
  "These Duinkroon tulips are absolutely killing it this year 🔥🔥 the whole front garden is on "
  "fire with colour")
P("threads", "@hyacintje", "nl",
  "ik werd er bijna ziek van hoe lekker die Delft Blue hyacinten ruiken 😍 niet normaal")
P("x", "@tuinnieuws_nl", "nl",
  "Datalek bij webwinkel TuinDirect24, zo'n 200.000 klanten getroffen. Gelukkig bestel ik m'n "
  "bollen gewoon bij Duinkroon 😅")
P("bluesky", "@hortiweekly.bsky.social", "en",
  "Sad to read that GreenThumb Nurseries is laying off 200 staff. Tough times across "
  "horticulture; fingers crossed for Duinkroon and the other Dutch growers this winter.")
P("facebook", "ria.van.velzen", "nl",
  "Sterkte aan alle kwekers in de Bollenstreek na die hagelbui van gisteren 💔 ook bij "
  "Duinkroon lagen de velden plat zag ik onderweg.")
P("x", "@tuinvrouw_anja", "nl",
  "Update: @duinkroon_help heeft het super opgelost, binnen 2 dagen nieuwe hyacinten gestuurd. "
  "Top service, klacht ingetrokken 👍", at="2026-10-17T12:10:00Z")
P("reddit", "u/bulbnerd_uk", "en",
  "Follow-up to my rant last month: Duinkroon refunded the crocuses in full and threw in a free "
  "bag of Tête-à-Tête. Credit where it's due.", kind="comment", at="2026-02-10T17:45:00Z")
P("mastodon", "@bram_codeert", "en",
  "PSA for new devs: never hardcode creds. In our docs we use AKIAIOSFODNN7EXAMPLE and "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders; real ones live in the vault.",
  doc_sample=True)
P("x", "@djvanrijn", "nl",
  "zo ziet een token in je config er dan uit: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "(nee, niet je echte plakken 🙃)", doc_sample=True)
P("x", "@nieuwe_tuinier", "nl",
  "vraagje: ik belde de klantenservice over mijn bestelling en ze vroegen naar de laatste 4 "
  "cijfers van mijn IBAN, is dat normaal?")
P("x", "@lenie_t", "nl",
  "Klopt het dat het rekeningnummer van Duinkroon " + iban_fmt(G["iban_bad"]) + " is? Zo staat "
  "het op mijn factuur, lijkt anders dan op de site", fakes=(("iban", G["iban_bad"]),))
P("x", "@wachtenopbollen", "nl",
  "Trackingcode " + card_fmt(G["card_bad"]) + " staat al 3 dagen op 'aangemeld', is dat bij "
  "Duinkroon altijd zo in het hoogseizoen?", fakes=(("card", G["card_bad"]),))
P("forum", "bollenbeginner", "nl",
  "Waar vind ik mijn klantnummer bij Duinkroon? Op de pakbon staat " + G["bsn_bad"]
  + " maar het inlogscherm wil iets met letters.", fakes=(("bsn", G["bsn_bad"]),))
P("x", "@duinkroon", "nl",
  "Ze is er! 🖤 De Duinkroon Midnight Velvet tulp: bijna zwart, met een fluweelglans. Vanaf "
  "vandaag te bestellen.", at="2027-01-20T09:00:00Z")
P("linkedin", "duinkroon-bloembollen", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026. Lees het volledige verslag op "
  "duinkroon.nl/investor.", at="2027-03-04T08:00:00Z")
P("instagram", "@petalpusher.ava", "en",
  "My Midnight Velvet tulips arrived today and they're even darker in person. Worth the hype 🖤",
  at="2027-02-14T15:22:00Z")
P("x", "@lelie_lies", "nl",
  "Wanneer moet je Casa Blanca lelies planten? Nu nog of beter wachten tot het voorjaar?")
P("reddit", "u/allium_andy", "en",
  "How deep should I plant Globemaster alliums? Duinkroon says 15cm but some YouTube guy says "
  "20.")
P("tiktok", "@duinkroontulpen", "nl",
  "3 fouten die iedereen maakt bij het planten van tulpen 🌷 (nr. 2 deed ik zelf ook 🙈) "
  "#tuintips #duinkroon")
P("x", "@marloes_kweekt", "en",
  "Grower's tip: don't park your amaryllis above the radiator or you'll get long floppy stems. "
  "Cool and bright is the way 🌱")
P("x", "@duinkroon_help", "nl",
  "@tuinvrouw_anja Wat vervelend dat je hyacinten beschimmeld aankwamen! Stuur je ons een DM "
  "met je bestelnummer? Dan sturen we nieuwe.", kind="reply", at="2026-10-14T09:37:00Z")
P("youtube", "@bulb_lasagne_fan", "en",
  "Duinkroon's gardening videos honestly got me through a grim winter. Marloes explaining bulb "
  "lasagne is peak television 😂", kind="comment")
P("reddit", "u/growlight_gary", "en",
  "Amazon seller recalling cheap no-name LED grow lights after several fires. Checked mine, it's "
  "a Duinkroon GroeiLED, not on the list. Phew.")
P("linkedin", "priya-raghoenath", "nl",
  "We zoeken seizoensmedewerkers voor de oogst! 🌷 Solliciteer via werkenbij@duinkroon.nl, "
  "ook als je nog nooit in de bollen hebt gewerkt.")
P("youtube", "DuinkroonTV", "nl",
  "In deze video: alles over het bewaren van dahliaknollen over de winter. Vragen? Mail "
  "hello@duinkroonbulbs.com")
P("mastodon", "@bram_codeert", "en",
  "Our secrets scanner now runs in CI and masks anything shaped like sk_live_**** in build "
  "logs. Small win for a Friday 🎉", doc_sample=True)
P("forum", "jwt_leerling", "en",
  "Learning JWTs with the classic jwt.io example token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c - why is the payload readable?",
  doc_sample=True)
P("instagram", "@buzzing_borders", "en",
  "Duinkroon's Bee mix (200 bulbs) is €34.95, pricey but my garden was buzzing all spring 🐝",
  prices=(("DK-BIJ200", 34.95),))
P("x", "@twijfelaar_tom", "en",
  "Bijenmix 200 is 15% off at Duinkroon right now (€29.71), for anyone still on the fence",
  prices=(("DK-BIJ200", 29.71),))
P("reddit", "u/seedling_sam", "en",
  "Spring sale: 25% off the GroeiLED 60, so €59.96. Worth it for starting tomatoes indoors?",
  prices=(("DK-LED60", 59.96),))
P("facebook", "DuinkroonBloembollen", "nl",
  "Met verdriet hebben we afscheid genomen van onze collega Henk, ruim 40 jaar kweker bij "
  "Duinkroon. We zullen zijn verhalen en zijn tulpen missen. Rust zacht, Henk.")
P("x", "@vogelaar_lisse", "nl",
  "De kraanvogels trekken vanochtend over de bollenvelden bij Lisse, wat een geluid! 🐦")
P("bluesky", "@birding.bea.bsky.social", "en",
  "Little egret (zilverreiger, for the Dutch crowd) fishing in the ditch next to the Duinkroon "
  "fields this morning. Gorgeous.")
P("reddit", "u/cautious_carol", "en",
  "Got an email claiming to be from Duinkroon asking me to 'verify my payment details'. The "
  "sender address looked off. Legit or scam? Not clicking anything.")
P("x", "@duinkroon_help", "nl",
  "Let op: wij vragen nooit per mail om je wachtwoord of bankgegevens. Twijfel je? Mail "
  "klantenservice@duinkroon.nl")
P("x", "@blij_met_bollen", "en",
  "Duinkroon order arrived today, everything neatly packed and the bulbs firm as anything. "
  "That's how it should be 👌")
P("x", "@dahlia_dan", "en",
  "Hot take: Duinkroon's Café au Lait dahlias are the best value on the market. Fight me 😤")
P("facebook", "esther.bloemendaal", "en",
  "My mother-in-law insists supermarket tulips are just as good. I gave her a bag of Angelique "
  "from Duinkroon. We are no longer speaking 😂")
P("linkedin", "joost-van-der-zwaan-duinkroon", "en",
  "Proud that Duinkroon has been named Horticulture Employer of the Year by our regional trade "
  "association. Thank you to all 180 colleagues who make it happen.")
P("x", "@duinkroon", "en",
  "Our FY2026 results are out: revenue €38.2M. Thank you to every customer and colleague. Full "
  "report on our site.", at="2027-03-04T10:00:00Z")
P("x", "@bollenbeurs_bas", "nl",
  "Jaarcijfers 2026 van Duinkroon vallen best mee gezien dat natte voorjaar, las ik in de krant.",
  at="2027-03-06T07:30:00Z")
P("reddit", "u/order_nerd", "en",
  "Does anyone know what the 'DK-2026' prefix on Duinkroon order numbers means? Mine is "
  "DK-2026-118832 and I'm just curious.")
P("instagram", "@chelsea_chloe", "en",
  "Lovely chat at the Duinkroon stand at the flower show. They gave me their card: "
  "hello@duinkroonbulbs.com - definitely ordering this autumn!")
P("facebook", "bollenstreek.actueel", "nl",
  "Triest nieuws: kwekerij Van Amstel Bulbs is failliet. Hopelijk vinden de mensen snel ander "
  "werk, Duinkroon zocht nog mensen las ik.")
P("tiktok", "@duinkroontulpen", "en",
  "POV: you planted 500 bulbs in October and forgot where. Spring: surprise! 🌷😂 "
  "#bulbs #duinkroon")
P("tiktok", "@sem.pakt.in", "nl",
  "vandaag 1200 dozen ingepakt 💪 nieuw record! #magazijn #bollenseizoen")
P("x", "@opendag_olga", "en",
  "Duinkroon open day was lovely. Guest wifi is 'Duinkroon-Gasten', password on the sign at the "
  "entrance 😄 bring a coat, the greenhouses are warm but the fields are not")
P("reddit", "u/giftcard_gus", "en",
  "Gift card code " + card_fmt(G["card_bad2"]) + " won't apply at the Duinkroon checkout. Do "
  "they expire after a year?", fakes=(("card", G["card_bad2"]),))
P("x", "@iban_les", "en",
  "Teaching my students IBAN checks. Spot the typo: " + iban_fmt(G["iban_bad_de"])
  + " fails mod-97. Paid for my Duinkroon bulbs with the correct one, don't worry 😄",
  fakes=(("iban", G["iban_bad_de"]),))
P("x", "@tulpentoerist", "en",
  "Cycled past the Duinkroon fields near Lisse today. Rows of red, yellow and purple as far as "
  "you can see. Netherlands, you're showing off.")
P("instagram", "@duinkroon.bulbs", "en",
  "Planting season is here! 🌷 Order before 15 November and your bulbs ship within 2 working "
  "days. Happy planting!", at="2026-09-15T08:00:00Z")
P("bluesky", "@quiet.gardener.bsky.social", "en",
  "Ordered a KroonBox for my mum who can't get out much since her op. She cried when it "
  "arrived. Thank you Duinkroon 💛")
P("x", "@gerrit_k", "nl",
  "@duinkroon_help terugbetaling binnen, dank jullie wel voor de snelle afhandeling 👍",
  kind="reply", at="2026-04-12T18:40:00Z")
P("facebook", "DuinkroonBloembollen", "en",
  "Lost your order confirmation? Email klantenservice@duinkroon.nl with your name and postcode "
  "and we'll resend it.")

# --------------------------------------------------------------------------- build

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        plat, _, h = a.partition(":")
        ROLE[(plat.lower(), h.lower())] = role

RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
IBAN_LEN = {"NL": 18, "DE": 22, "BE": 16, "GB": 22, "FR": 27}


def find_ibans(text):
    out = []
    for m in re.finditer(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30})", text):
        s = m.group(1).replace(" ", "")
        n = IBAN_LEN.get(s[:2])
        if n and len(s) >= n:
            out.append(s[:n])
    return out


def find_cards(text):
    return [re.sub(r"\D", "", m.group(0))
            for m in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", text)]


def find_bsns(text):
    return [m.group(0) for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", text)]


def valid_ids(text):
    t = unicodedata.normalize("NFKC", text)
    v = [("iban", s) for s in find_ibans(t) if iban_ok(s) and s not in PUBLIC_IBANS]
    v += [("card", s) for s in find_cards(t) if luhn_ok(s)]
    v += [("bsn", s) for s in find_bsns(t) if bsn_ok(s)]
    return v


def severity(role, cats, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if RANK[s] > RANK[sev]:
            sev = s
    own = role in ("corporate", "employee")
    checksum_id = any(k in ("iban", "card", "bsn") for k, _ in valid_ids(text))
    for c in cats:
        if c.startswith("leak."):
            if not own:
                bump("warning")
            elif c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                bump("critical")
            else:
                bump("error")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if own else "warning")
    return sev


PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
          "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
          "forum": "fo", "blog": "bl"}
start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
span = int((dt.datetime(2026, 12, 28, tzinfo=dt.timezone.utc) - start).total_seconds())

order = list(range(len(CASES)))
rng.shuffle(order)
lines, meta, seen = [], [], set()
for i in order:
    c = CASES[i]
    while True:
        pid = f"{PREFIX[c['platform']]}-{rng.randint(10**8, 10**10 - 1)}"
        if pid not in seen:
            seen.add(pid)
            break
    at = c["at"] or (start + dt.timedelta(seconds=rng.randrange(span))).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    role = ROLE.get((c["platform"], c["handle"].lower()), "public")
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": at, "brand": "duinkroon"}
    if c["platform"] == "x":
        post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{pid[2:]}"
    cats = sorted(set(c["cats"]))
    lines.append({"post": post, "expect": {"categories": cats,
                                           "severity": severity(role, cats, c["text"])}})
    meta.append((c, role))

with open(OUT, "w", encoding="utf-8") as f:
    for l in lines:
        f.write(json.dumps(l, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------- self-check

errors = []


def err(case, msg):
    errors.append(f"{case['post']['id']}: {msg} :: {case['post']['text'][:70]!r}")


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(CAT.values())
PRICES = {p["sku"]: p["list_price"] for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
CONF_TERMS = [x.lower() for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
              + PROFILE["internal"]["domains"]]
PUB_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}

assert len(PRICES) >= 15 and len(PRICES) <= 25
assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
assert all(iban_ok(x) for x in PROFILE["public_identifiers"]["ibans"])
assert all(e["until"].startswith("2027") for e in PROFILE["embargo"])
assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3

with open(OUT, encoding="utf-8") as f:
    raw = f.read().splitlines()
ids = set()
for line, (c, role) in zip(raw, meta):
    case = json.loads(line)
    p, e = case["post"], case["expect"]
    if set(case) != {"post", "expect"}:
        err(case, "top-level keys")
    for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), t):
            err(case, f"field {k}")
    if not isinstance(p.get("account", {}).get("handle"), str):
        err(case, "account.handle")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
        err(case, "id length/unique")
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        err(case, "platform/kind")
    if len(p["text"].encode("utf-8")) > 65536:
        err(case, "text too long")
    try:
        when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        assert when.tzinfo is not None and 2026 <= when.year <= 2027
    except Exception:
        err(case, "created_at")
        continue
    cats, sev = e["categories"], e["severity"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(case, "categories")
    if sev not in RANK or (not cats) != (sev == "none"):
        err(case, "severity/benign mismatch")
    if sev != severity(role, cats, p["text"]):
        err(case, "severity not per policy")
    text = p["text"]
    low = text.lower()
    nfkc = unicodedata.normalize("NFKC", text).replace(ZW, "").lower()
    # checksummed identifiers
    for kind, val in c["ids"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if not ok or "leak.pii" not in cats:
            err(case, f"declared {kind} {val} invalid or not pii")
        if re.sub(r"\s", "", val) not in re.sub(r"\s", "", text):
            err(case, f"declared {kind} not in text")
    for kind, val in c["fakes"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if ok:
            err(case, f"look-alike {kind} {val} passes its checksum")
    if valid_ids(text) and "leak.pii" not in cats:
        err(case, f"valid identifier in non-pii post: {valid_ids(text)}")
    # credentials
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if github_ok(tok) != ("leak.secret" in cats):
            err(case, "github token checksum vs label")
    for tok in re.findall(r"AKIA[0-9A-Z]{16}", text):
        real = re.fullmatch(r"AKIA[A-Z2-7]{16}", tok) and "EXAMPLE" not in tok
        if bool(real) != ("leak.secret" in cats):
            err(case, "aws key vs label")
    for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        if not jwt_ok(tok):
            err(case, "jwt header")
        if not cats and not c["doc_sample"]:
            err(case, "jwt in benign post")
    # benign posts: no confidential terms, live embargo terms or own-account leaks
    if not cats:
        for t in CONF_TERMS:
            if t in nfkc:
                err(case, f"benign contains internal term {t}")
        for m in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
            if m.lower() not in PUB_EMAILS:
                err(case, f"benign contains e-mail {m}")
        for tok in re.findall(r"(?:sk_live_|xox[bp]-|glpat-|sk-ant-|AIza|live_)[\w-]{8,}", text):
            err(case, f"benign contains credential {tok}")
    for t, until in EMBARGO:
        if t in nfkc:
            if when < until and "leak.confidential" not in cats:
                err(case, f"embargo term {t} before until without label")
            if when >= until and "leak.confidential" in cats and not any(
                    x in nfkc for x in CONF_TERMS):
                err(case, f"embargo term {t} after until labelled confidential")
    # prices
    for sku, price in c["prices"]:
        if sku not in PRICES:
            err(case, f"unknown sku {sku}")
            continue
        below = price < RATIO * PRICES[sku]
        if below and "leak.pricing" not in cats:
            err(case, f"price {price} for {sku} below ratio but unlabelled")
        if re.sub(r"\.", ",", f"{price:.2f}") not in text and f"{price:.2f}" not in text \
                and f"{price:g}" not in text and f"€{price:.0f}" not in text:
            err(case, f"price {price} not found in text")
    if "leak.pricing" in cats:
        if not (c["price_talk"] or any(p2 < RATIO * PRICES[s] for s, p2 in c["prices"])):
            err(case, "pricing positive without low price or price-error talk")
    # role sanity for reputation posts by own staff
    if role == "public" and c["handle"].lower() in {h for (_, h) in ROLE}:
        err(case, "public handle collides with a profile handle")

n = len(lines)
benign = sum(1 for l in lines if not l["expect"]["categories"])
percat = {}
for l in lines:
    for c in l["expect"]["categories"]:
        percat[c] = percat.get(c, 0) + 1
nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append(f"case count {n} outside 170-180")
if not 0.48 <= nl / n <= 0.62:
    errors.append(f"Dutch share {nl / n:.2f} off target")
if not 52 <= benign <= 68:
    errors.append(f"benign count {benign} off target")

print(f"{n} cases, {benign} benign, {n - benign} positive, nl={nl} en={n - nl}")
for k in sorted(percat):
    print(f"  {k:22s} {percat[k]}")
sevs = {}
for l in lines:
    sevs[l["expect"]["severity"]] = sevs.get(l["expect"]["severity"], 0) + 1
print("  severities:", dict(sorted(sevs.items(), key=lambda kv: RANK[kv[0]])))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
