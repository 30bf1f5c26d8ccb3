#!/usr/bin/env python3
"""Build the sealed451 evaluation set for postwatch (fictional company: Manevelt Haarwerken).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and checks it: CONTRACT §6 shape, checksums of IBANs / cards / BSNs (valid in positives,
invalid look-alikes in benign posts), secret formats, and severities computed from the
account role in profile.yaml following CONTRACT §4.
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
SEED = 451
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, rnd):
    acct = "".join(rnd.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban(bank, rnd):
    good = make_iban(bank, rnd)
    cd = int(good[2:4])
    wrong = "%02d" % ((cd + rnd.randint(1, 40)) % 97 + 2)
    s = "NL" + wrong + good[4:]
    assert not iban_ok(s)
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


def make_card(prefix, rnd, length=16):
    body = prefix + "".join(rnd.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, rnd):
    good = make_card(prefix, rnd)
    s = good[:-1] + str((int(good[-1]) + rnd.randint(1, 9)) % 10)
    assert not luhn_ok(s)
    return s


def group4(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0 and s[0] != "0"


def make_bsn(rnd):
    while True:
        s = str(rnd.randint(100000000, 699999999))
        if bsn_ok(s):
            return s


def bad_bsn(rnd):
    while True:
        s = str(rnd.randint(100000000, 699999999))
        if not bsn_ok(s):
            return s


# --------------------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def rand(chars, n, rnd=rng):
    return "".join(rnd.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "studio-utrecht", "role": "admin", "iat": 1771234567,
                                 "exp": 1771320967}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def private_key():
    body = base64.b64encode(b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(250))).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


V = {}  # placeholder -> generated value
V["GHP"] = github_token("ghp_")
V["AKIA"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
V["AWS_SECRET"] = rand(ALNUM + "/+", 40)
V["STRIPE"] = "sk_live_" + rand(ALNUM, 24)
V["MOLLIE"] = "live_" + rand(ALNUM, 30)
V["JWT"] = make_jwt()
V["PRIVKEY"] = private_key()
V["SLACK"] = "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))
V["OPENAI"] = "sk-proj-" + rand(ALNUM + "-_", 56) + "T3BlbkFJ" + rand(ALNUM + "-_", 56)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(ALNUM + "-_", 93) + "AA"
V["GLPAT"] = "glpat-" + rand(ALNUM + "-_", 20)
V["DBPASS"] = rand(ALNUM, 10) + "!" + rand(ALNUM, 4)
V["IPADPW"] = "Krullen" + rand(string.digits, 4) + "!"

V["IBAN_GARY"] = make_iban("INGB", rng)
V["IBAN_GARY_SP"] = group4(V["IBAN_GARY"])
V["IBAN_NEWHIRE"] = make_iban("RABO", rng)
V["IBAN_BAD1"] = bad_iban("ABNA", rng)
V["IBAN_BAD1_SP"] = group4(V["IBAN_BAD1"])
V["IBAN_BAD2"] = bad_iban("INGB", rng)
V["CARD_PAS"] = group4(make_card("4", rng))
V["CARD_CHARGE"] = group4(make_card("5", rng), "-")
V["CARD_BAD"] = group4(bad_card("4", rng))
V["BSN_NEWHIRE"] = make_bsn(rng)
V["BSN_JOL"] = make_bsn(rng)
V["BSN_BAD"] = bad_bsn(rng)
V["PUBLIC_IBAN"] = group4(PROFILE["public_identifiers"]["ibans"][0])

# look-alikes placed in benign posts: each must be present and must fail its check
LOOKALIKES = {"IBAN_BAD1_SP": iban_ok, "IBAN_BAD2": iban_ok,
              "CARD_BAD": luhn_ok, "BSN_BAD": bsn_ok}
# identifiers placed in positives: each must pass
VALID_IDS = {"IBAN_GARY": iban_ok, "IBAN_GARY_SP": iban_ok, "IBAN_NEWHIRE": iban_ok,
             "CARD_PAS": luhn_ok, "CARD_CHARGE": luhn_ok, "BSN_NEWHIRE": bsn_ok, "BSN_JOL": bsn_ok}

# --------------------------------------------------------------------------- categories
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {S, P, PR, C, F, SEC, CR, CO, AB, "reputation.spike"}

# --------------------------------------------------------------------------- the posts
# (platform, handle, kind, lang, categories, text, created_at or None)
CASES = []


def add(platform, handle, kind, lang, cats, text, when=None):
    CASES.append((platform, handle, kind, lang, list(cats), text, when))


# ======================================================== complaints (public)
add("x", "@petra_vd_linden", "post", "nl", [CO],
    "Al 9 weken wachten op mijn maatwerkpruik bij @manevelt_nl. Elke keer is het 'volgende week'. "
    "Ik heb over 12 dagen een bruiloft, wat moet ik nou 😤 #manevelt")
add("reddit", "u/baldbutbold_88", "post", "en", [CO],
    "PSA for anyone considering Manevelt's Silkroot system: mine started lifting at the front hairline "
    "after 6 days. Went back, the 'tech' slapped more glue on and then charged me for a refit. Not impressed. "
    "At all.")
add("facebook", "marloes.timmerman.7", "comment", "nl", [CO],
    "Zeer teleurgesteld in de studio in Amersfoort. Afspraak om 10:00, om 10:50 nog steeds niet geholpen "
    "en niemand die even sorry zegt. Ik kom daar voor een pruik omdat ik chemo heb, niet voor de gezelligheid.")
add("x", "@jd_moorman", "post", "en", [CO],
    "ordered the Lotte bob in 'ash blonde', received something I can only describe as traffic cone orange. "
    "returns page on manevelt.nl gives a 404. cool cool cool")
add("instagram", "@wigsbyrosa_", "comment", "en", [CO],
    "@manevelt.haar you reply to literally every comment except the DMs about returns. 3rd time asking: "
    "where is my money for the Ivy??")
add("x", "@kees_in_zwolle", "post", "en", [CO],
    "47 min on hold with Manevelt customer service and then they just drop the call. stellar service 👏👏")
add("threads", "@chemo.chronicles", "post", "en", [CO],
    "My Noor mono is shedding like a golden retriever after three washes with THEIR OWN shampoo. "
    "For what it cost I expected it to last the year, not a month. Manevelt pls")
add("forum", "Jolanda62", "post", "nl", [CO],
    "Heeft iemand ervaring met de vergoeding via de zorgverzekeraar bij Manevelt? Zij zouden de machtiging "
    "opsturen maar hebben dat 'vergeten', nu weigert mijn verzekeraar de declaratie en zit ik met een "
    "rekening van 1295 euro. Echt slordig, zeker als je al ziek bent.")
add("tiktok", "@dani.wears.wigs", "comment", "en", [CO],
    "the lace on my Aurelia tore while i was putting it on. GENTLY. first week. customer service said "
    "'user error'. ok babe 🙄")
add("x", "@annemiekvr", "reply", "nl", [CO],
    "@manevelt_zorg nog steeds geen reactie op mijn mail van 3 maart. De gripband die ik kreeg laat na een "
    "dag al los, zo heb ik er niks aan")
add("other", "R. Hendriks", "post", "en", [CO],
    "1 star. Stylist in the Rotterdam studio made a 'joke' about my bald patch in front of two other "
    "customers. I have alopecia areata, I was already nervous. Left in tears and I'm not going back to Manevelt.")
add("tiktok", "@lisa.kaal.en.trots", "post", "nl", [CO],
    "kan iemand mij uitleggen waarom de tape-ins van manevelt na 2 weken al loslaten?? 329 euro weggegooid 🙃 "
    "#extensions #fail")
# complaint + abuse
add("x", "@frankiefrank_", "post", "nl", [CO, AB],
    "Manevelt is echt een kutbedrijf. 6 weken op mijn toupet gewacht en nu past ie niet eens. "
    "Stelletje oplichters zijn het")
add("x", "@mikey_ltr", "reply", "en", [CO, AB],
    "@manevelt_zorg your 'hair system specialists' are clueless morons. Third refit and it STILL lifts at "
    "the temples. fix it or refund me")
# complaint + customer's own personal data
add("x", "@ria_bosman", "reply", "nl", [CO, P],
    "@manevelt_zorg Ik word maar niet teruggebeld over mijn kapotte Noor pruik. Mijn nummer is "
    "06-41 27 83 95, bel me nou gewoon!!")
add("facebook", "gary.whitmore.uk", "comment", "en", [CO, P],
    "Still waiting on my refund for the Vela topper, 3 weeks now. Manevelt, here's my IBAN AGAIN since "
    "you apparently 'lost' it: <<IBAN_GARY_SP>> - G. Whitmore")
add("x", "@sven_hofstede", "reply", "en", [CO, P],
    "@manevelt_zorg my card <<CARD_CHARGE>> got charged twice for the Remy clip-ins!!! "
    "two weeks and nobody fixes it")

# ======================================================== crisis + complaint (first-hand harm)
add("instagram", "@yvonne.k.haar", "post", "nl", [CR, CO],
    "Mijn Fenna pruik vatte vlam toen ik de oven opendeed 😨 Alleen de pony, maar toch. Op de doos staat "
    "nergens dat het zo brandbaar is. @manevelt.haar dit had echt heel slecht af kunnen lopen.")
add("x", "@sarahmcb", "post", "en", [CR, CO],
    "Used the Manevelt Ultrahold glue exactly as instructed and woke up with blisters all along my hairline. "
    "GP says chemical burn. I'm in pain and honestly furious.")
add("facebook", "henk.de.groot.5", "post", "nl", [CR, CO],
    "Die HeatSafe styler van Manevelt gaf me gisteren een flinke schok toen ik hem in het stopcontact stak. "
    "Snoer was gewoon nieuw. Durf hem niet meer aan te raken. Dit is toch levensgevaarlijk?")
add("reddit", "u/momof2girls", "post", "en", [CR, CO],
    "My 7yo's Pien kids wig gave her a horrible rash and her left eye swelled shut, we ended up at the ER last "
    "night. Manevelt on the phone: 'could be anything'. It wasn't anything.")
add("x", "@tbakker_", "post", "en", [CR, CO],
    "The Mira turban gave me such a reaction I had to grab my inhaler. Chemical smell straight out of the "
    "packet. Manevelt what is IN this?? I'm sick enough already")
add("x", "@bald_bert", "post", "en", [CR, CO],
    "So Manevelt sent my order confirmation, with my home address AND a note about my alopecia, to a total "
    "stranger's email. Data breach much? Reported it to the AP.")

# ======================================================== crisis (third party / boycott / lawsuit / recall)
add("x", "@nieuwsflits_utr", "post", "nl", [CR],
    "Utrecht: vrouw met brandwonden naar het ziekenhuis nadat haar pruik van Manevelt vlam vatte bij een "
    "barbecue, meldt RTV Utrecht. Het bedrijf zegt de zaak te onderzoeken.")
add("x", "@retailwatch_eu", "post", "en", [CR],
    "Report: Manevelt Haarwerken faces a class action in NL over allegedly misleading '100% Remy human hair' "
    "claims on its extensions. Independent lab tests reportedly found synthetic blends.")
add("x", "@alopecia_annie", "post", "nl", [CR],
    "BOYCOT Manevelt! Ze weigerden gisteren een transvrouw te helpen in de studio in Den Haag. Deel dit "
    "zoveel mogelijk. #boycotmanevelt")
add("bluesky", "@privacyhawk.bsky.social", "post", "en", [CR],
    "Hearing Manevelt leaked customer medical files — chemo patients' names and diagnoses floating around a "
    "Telegram channel. If you're a customer: watch out for phishing.")
add("x", "@consumentwijzer", "post", "nl", [CR],
    "Terugroepactie ⚠️ Manevelt roept Ultrahold lijmsets uit batch 24-117 terug vanwege ernstige "
    "huidirritaties. Niet meer gebruiken, je krijgt je geld terug in de winkel.")
add("facebook", "ManeveltHaarwerken", "post", "nl", [CR],
    "Veiligheidswaarschuwing: we roepen de HeatSafe styler uit serie HS-2 terug. Bij een klein aantal "
    "exemplaren kan de isolatie van het snoer beschadigd zijn. Stop met gebruik en lever hem in bij een van "
    "onze studio's.")
add("tiktok", "@hairtruths", "post", "en", [CR],
    "the manevelt scandal nobody's talking about: their 'ethically sourced' hair comes from brokers who pay "
    "women in debt next to nothing. receipts in my bio. stop buying from them.")
add("reddit", "u/kaal_in_delft", "post", "nl", [CR],
    "Las op een forum dat een jongen in Groningen een flinke hoofdhuidinfectie heeft opgelopen na het "
    "plaatsen van een Silkroot systeem in hun studio, blijkbaar met niet-gesteriliseerde instrumenten. "
    "Weet iemand hier meer van?")
add("x", "@stophairtheft", "post", "en", [CR],
    "Manevelt being sued by eight former stylists over years of unpaid overtime, first hearing is in March. "
    "Not a great look for a company that sells 'care'.")

# ======================================================== abuse
add("x", "@h8r_0031", "post", "nl", [AB],
    "Die stylist Nadia van Manevelt is een dikke lelijke trut, ga eens een echte baan zoeken ipv filmpjes maken")
add("x", "@trollking77", "reply", "en", [AB],
    "@manevelt_nl lmao imagine paying a bunch of f*cking clowns to glue a dead rat on your head")
add("instagram", "@dj_vdh", "comment", "nl", [AB],
    "@ruben.haarsystemen jij bent zo'n kankerlijer, blijf uit mijn buurt in die studio of ik weet je te vinden")
add("x", "@n0_ch1ll", "post", "en", [AB],
    "manevelt = sc4mmers and their staff r f.u.c.k.i.n.g 1d10ts")
add("x", "@echte_nederlander12", "post", "nl", [AB],
    "Bij Manevelt werken alleen nog maar hoofddoekjes. Ga terug naar je eigen land en laat Nederlanders "
    "hun eigen haar doen")
add("x", "@ilse_kapt_mv", "reply", "nl", [AB],
    "@frankiefrank_ hou toch je bek, zielige zeikerd. Je hebt die toupet zelf verprutst.")
add("tiktok", "@manevelt.studio", "reply", "en", [AB],
    "@hairtruths maybe get a life instead of spreading lies, you pathetic clown 🤡")
add("x", "@anoniem_haar", "post", "nl", [AB],
    "Manevelt Tilburg: \u0430chterlijke kl00tz\u0430kken allemaal, nooit meer")
add("x", "@quietrage", "post", "en", [AB],
    "Manevelt st\u200baff are use\u200bless f\u200bucking idiots, every single one of them")
add("youtube", "@wigfails", "comment", "en", [AB],
    "this dumb b*tch in the video has no clue what she's doing lol, manevelt hires the cheapest idiots they "
    "can find")

# ======================================================== pricing
add("x", "@manevelt_nl", "post", "nl", [PR],
    "🔥 FLASH DEAL 🔥 Aurelia lace front pruik nu voor €129! Alleen vandaag via shop.manevelt.nl")
add("x", "@dealjager_nl", "post", "nl", [PR],
    "PRIJSFOUT bij Manevelt?? Silkroot haarsysteem voor €165 in de webshop 😱 snel zijn mensen")
add("reddit", "u/bargainbinbob", "comment", "en", [PR],
    "Manevelt's site lists the Brons custom wig at €245 — pretty sure someone dropped a zero lol. "
    "Ordered one just to see what happens")
add("instagram", "@lieke.atelier", "post", "nl", [PR],
    "Psst lieverds, via mijn personeelslink krijg je de Ivy lang voor €99 😉 niet doorvertellen hoor")
add("x", "@hanneke_ops", "post", "nl", [PR],
    "Oeps, prijsfout in de kassa: de Vela topper staat in alle studio's op 69,50 ipv 695. Collega's, niet "
    "afrekenen tot het gefixt is!")
add("tiktok", "@manevelt.studio", "post", "en", [PR],
    "New in ✨ Remy clip-ins 50 cm for just €39 — link in bio, get them while they last")
add("facebook", "sandra.wijnen", "comment", "nl", [PR],
    "Is dit een foutje? Noor pruik voor €84,90 op de site. Normaal 849. Gauw besteld haha")
add("x", "@kevin_deals", "post", "en", [PR],
    "manevelt pricing glitch: Jonas toupet shows EUR 99.50 at checkout. works with iDEAL, go go go")
add("x", "@devjoost", "post", "en", [PR],
    "price import went sideways last night, the Silkroot Thin Skin sat at €18.90 in the shop for three hours. "
    "sorry finance 😅")
add("instagram", "@manevelt.haar", "post", "nl", [PR],
    "Laatste kans! Lotte bob nu €34,90 — op = op 💇‍♀️")
add("x", "@koopjesqueen", "post", "nl", [PR],
    "\uff30\uff49\uff45\uff4e \uff50\uff52\uff55\uff49\uff4b voor €39 bij manevelt, prijsfout of echt?? 👀")
add("facebook", "ManeveltHaarwerken", "post", "nl", [PR],
    "Kerstactie 🎄 Topper Vela 18 cm van €695 voor €295! Alleen in december, zolang de voorraad strekt.",
    "2026-12-03T10:15:00+01:00")

# ======================================================== confidential
add("linkedin", "marieke-dekkers-manevelt", "post", "nl", [C],
    "Trots op het team dat Project Zilverreiger zo ver heeft gekregen. Na anderhalf jaar bouwen zijn we er "
    "bijna. Binnenkort meer!")
add("x", "@devjoost", "post", "nl", [C],
    "wie heeft de staging build op gitlab.manevelt.nl/salon/booking weer stuk gemaakt 😩 vrijdagmiddag ffs")
add("instagram", "@ruben.haarsystemen", "post", "en", [C],
    "Sneak peek of something we've been building for a year now 🤫 #kamperfoelie #manevelt #hairsystem")
add("tiktok", "@stylistnadia", "post", "nl", [C],
    "pov: je mag al met de Aurelia Air werken maar je mag er nog NIKS over zeggen 🤐",
    "2026-11-20T19:42:00+01:00")
add("linkedin", "yusuf-ozdemir-manevelt", "post", "nl", [C],
    "Zo ziet onze nieuwe studio-indeling voor 2027 eruit (slide uit de MT-deck, uitsluitend intern 😉): "
    "vier behandelkamers, een aparte ingang voor oncologie-klanten en een pasruimte zonder spiegels.")
add("x", "@hanneke_ops", "post", "nl", [C, SEC],
    "grafana.manevelt.local zegt dat de hele regio Rotterdam weer offline is, kassa's en boekingen. "
    "Nog niks naar klanten gecommuniceerd, iemand een idee?")
add("x", "@manevelt_nl", "post", "nl", [C],
    "Operatie Vlechtwerk start 1 juni. Planning per studio staat op intranet.manevelt.local/vlechtwerk")
add("reddit", "u/throwaway_mv_temp", "comment", "en", [C],
    "Former Manevelt temp here. They're building a salon-at-home subscription, internally it's called "
    "Kamperfoelie, launch was planned for spring.")
add("bluesky", "@sjoerd-mv.bsky.social", "post", "nl", [C],
    "Studiomanagersdag in Zwolle. Veel geleerd over de Silkroot Invisible, echt een gamechanger voor klanten "
    "met littekens op de hoofdhuid.",
    "2026-10-02T17:05:00+02:00")
add("instagram", "@lieke.atelier", "post", "nl", [C],
    "Werkbank vandaag 📸 (ja ik weet het, die map met MANEVELT CONFIDENTIAL erop had ik even weg moeten "
    "leggen 🙈 het is de kleurkaart voor 2027)")
add("x", "@ilse_kapt_mv", "post", "nl", [C],
    "Z.i.l.v.e.r.r.e.i.g.e.r gaat alles veranderen in de salon, wacht maar 😏")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [C],
    "the \uff2b\uff41\uff4d\uff50\uff45\uff52\uff46\uff4f\uff45\uff4c\uff49\uff45 pilot in Utrecht is going "
    "really well 👀 can't say more")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [C],
    "fun debugging night: erp.manevelt.local kept timing out because someone set the connection pool size "
    "to 1 🙃")
add("linkedin", "claire-vos-manevelt", "post", "en", [C],
    "We're hiring for a role that doesn't officially exist yet 😄 Help us launch the Silkroot Invisible line "
    "next year. DM me!",
    "2026-09-14T09:30:00+02:00")
add("x", "@hairbiz_insider", "post", "nl", [C],
    "Zag net een screenshot van een interne Manevelt-mail, 'niet extern delen' stond er nog boven: ze gaan de "
    "hele extensions-lijn bij een nieuwe leverancier onderbrengen.")
add("x", "@devjoost", "post", "en", [C],
    "can't wait to demo Project Zil\u200bver\u200breiger to the board next week, it's finally fast")
add("linkedin", "yusuf-ozdemir-manevelt", "post", "nl", [C],
    "Eerste testklanten voor de Aurelia Air zijn laaiend enthousiast! Ik mag nog niet te veel zeggen...",
    "2027-02-20T08:10:00+01:00")
add("linkedin", "manevelt-haarwerken", "post", "nl", [C, F],
    "Wij zoeken een projectleider voor Operatie Vlechtwerk, de landelijke herinrichting van ons "
    "studionetwerk waarbij we een derde van de locaties samenvoegen.")

# ======================================================== financial
add("linkedin", "marieke-dekkers-manevelt", "post", "nl", [F],
    "Q3 is nog niet gepubliceerd maar ik verklap alvast: omzet +18% en EBITDA ruim boven budget. "
    "Wat een team! 🎉", "2026-10-12T07:50:00+02:00")
add("bluesky", "@sjoerd-mv.bsky.social", "post", "nl", [F],
    "Hoorde vandaag dat er begin volgend jaar zes studio's dichtgaan, o.a. Heerlen en Emmen. Rot voor de "
    "collega's daar.")
add("x", "@hanneke_ops", "post", "en", [F],
    "so... apparently we're being bought by Hallberg Capital. signing next month. act surprised 🤫")
add("reddit", "u/beursbaas", "comment", "nl", [F],
    "Iemand die bij Manevelt werkt vertelde me dat de omzet in H2 zo'n 12% daalt en dat de bank de "
    "kredietlijn aan het heroverwegen is.")
add("linkedin", "claire-vos-manevelt", "post", "nl", [F],
    "Zware weken voor de boeg: we gaan afscheid nemen van ongeveer 40 collega's op het hoofdkantoor. De "
    "officiële aankondiging volgt later.")
add("x", "@ilse_kapt_mv", "post", "nl", [F],
    "fusie met Haarmode Beekman is rond!! eindelijk meer collega's in het zuiden 🥳 (mag nog niet officieel "
    "zeggen shhh)")
add("linkedin", "yusuf-ozdemir-manevelt", "post", "en", [F],
    "Our 2027 plan in one line: €9.4M revenue, 31 studios, break-even in Belgium by Q2. Not public yet, but "
    "I'm really proud of it.")
add("bluesky", "@sjoerd-mv.bsky.social", "post", "nl", [C, F],
    "De H1-cijfers 2027 zijn binnen en ze zijn 🔥. Meer mag ik niet zeggen 😇",
    "2027-07-20T21:14:00+02:00")
add("x", "@devjoost", "post", "en", [F],
    "heard in the kitchen: the whole IT department gets outsourced to some agency in Kraków by Q1. great.")
add("x", "@manevelt_nl", "post", "nl", [F],
    "Manevelt Haarwerken neemt Pruikenhuys Lemmens over voor €7,2 mln. Persbericht volgt morgen.")
add("x", "@haarbranche_nws", "post", "nl", [F],
    "Gerucht: Manevelt in gesprek met een investeerder over verkoop van een meerderheidsbelang. Twee "
    "bronnen binnen het bedrijf bevestigen de gesprekken.")
add("linkedin", "marieke-dekkers-manevelt", "post", "nl", [F, C],
    "Budget 2027 goedgekeurd: marketing -30% en drie regiomanagers eruit. Uitsluitend intern, maar ik "
    "moest het even kwijt.")

# ======================================================== security
add("x", "@hanneke_ops", "post", "nl", [SEC],
    "Ransomware op de boekingsserver sinds vannacht 03:00, alle afspraken van deze week kwijt. Klanten weten "
    "nog van niks, pers ook niet. Koffie ☕☕☕")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [SEC],
    "found an IDOR in our appointment portal: change the id in the URL and you see another customer's intake "
    "form incl. diagnosis. ticket filed, not fixed yet 😬")
add("x", "@devjoost", "post", "en", [SEC],
    "the bucket with all the before/after client photos was public for ~2 weeks. nobody outside noticed "
    "(we think). keeping it quiet for now")
add("tiktok", "@stylistnadia", "post", "nl", [SEC],
    "alle kassa's in alle studio's liggen eruit sinds 9 uur, we schrijven bonnetjes met de hand 😂 IT zegt "
    "iets over een hack??")
add("linkedin", "yusuf-ozdemir-manevelt", "post", "en", [SEC],
    "Busy week: a phishing mail got three of our studio managers to enter their credentials and the attacker "
    "read a shared mailbox for days. We haven't announced it yet, but lessons learned for our awareness "
    "program.")
add("x", "@ex_mv_dev", "post", "en", [SEC, S],
    "Used to work in Manevelt IT. The studio admin login on afspraak.manevelt.nl still takes 'welkom01' as "
    "password. Has been like that for years, nobody cares.")
add("x", "@devjoost", "post", "en", [SEC, S],
    "prod db creds sat in a public repo for a month, rotating now: "
    "postgres://mv_app:<<DBPASS>>@db01.manevelt.nl:5432/klanten")
add("bluesky", "@sjoerd-mv.bsky.social", "post", "nl", [SEC],
    "Rare dag. Iemand is binnengekomen op het klantportaal en heeft wachtwoordresets naar duizenden klanten "
    "gestuurd. Nog geen verklaring naar buiten, dus shhh.")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [SEC],
    "unauthenticated RCE over the LAN in the POS firmware we run in every studio. vendor says patch in Q1, "
    "so all 34 studios are exposed till then. fun.")
add("instagram", "@ruben.haarsystemen", "post", "en", [SEC],
    "Website down since this morning and the mail server too, people at HQ whispering about a DDoS. "
    "Appointments on paper today, old school 📋")
add("x", "@hanneke_ops", "post", "nl", [SEC],
    "Intern bevestigd: d\u0430t\u0430l\u0435k via het intakeformulier, ruim 8000 klantdossiers. Communicatie "
    "wacht nog op de juristen.")
add("x", "@devjoost", "post", "nl", [SEC],
    "log4shell-achtige bug in onze eigen fotoservice, iedereen met de juiste payload kan code uitvoeren. "
    "Patch pas volgende sprint 🫠")

# ======================================================== secrets
add("x", "@devjoost", "post", "en", [S],
    "anyone able to check if this token still works? <<GHP>>")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [S],
    "why does this 403?? my .env from the booking service:\n"
    "AWS_ACCESS_KEY_ID=<<AKIA>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>")
add("x", "@hanneke_ops", "post", "nl", [S],
    "stripe key voor de webshop: <<STRIPE>> — niet in slack zetten zei ik nog 🙈")
add("facebook", "ManeveltHaarwerken", "post", "nl", [S],
    "Mollie API key voor de koppeling met de kassa: <<MOLLIE>>")
add("x", "@ilse_kapt_mv", "post", "nl", [S],
    "wachtwoord van de salon-ipad is <<IPADPW>> voor wie het kwijt was 🙃")
add("x", "@devjoost", "post", "nl", [S],
    "staging jwt doet het niet meer, wie heeft de secret geroteerd? <<JWT>>")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [S],
    "ok which of you put this in the team wiki 😑\n<<PRIVKEY>>")
add("x", "@hanneke_ops", "post", "en", [S],
    "who keeps posting the slack bot token in public channels?! here it is AGAIN: <<SLACK>>")
add("x", "@devjoost", "post", "nl", [S],
    "de klantenservice-chatbot draait op deze key, als iemand de limiet kan verhogen: <<OPENAI>>")
add("x", "@jsnoop_dev", "post", "en", [S],
    "lol found this in Manevelt's public JS bundle on shop.manevelt.nl: <<ANTHROPIC>> — someone's getting a "
    "bill")
add("x", "@devjoost", "post", "en", [S],
    "gitlab token for the CI runner, can someone pass it to the freelancer: <<GLPAT>>")

# ======================================================== personal data
add("x", "@manevelt_zorg", "reply", "nl", [P],
    "@annemiekvr Hoi Annemiek, we hebben je terugbelverzoek doorgezet. Klopt je nummer nog: 06 23 84 71 09? "
    "En je adres Lindelaan 14, Houten?")
add("instagram", "@ruben.haarsystemen", "post", "en", [P],
    "Happy client! Maarten Kuipers (born 12-03-1979) finally loves his hair again after three years 💪 #silkroot")
add("facebook", "ManeveltHaarwerken", "post", "nl", [P],
    "Gefeliciteerd aan onze winnaar Fatma Kaya, Schoolstraat 8, 5611 AB Eindhoven! Je prijs komt eraan 🎁")
add("x", "@ilse_kapt_mv", "post", "nl", [P],
    "Klant heeft haar bankpas laten liggen in studio Breda, nummer <<CARD_PAS>>. Ze is bereikbaar op "
    "06-18347762, wie belt haar even?")
add("linkedin", "claire-vos-manevelt", "message", "nl", [P],
    "Welkom Daan! Voor de salarisadministratie: BSN <<BSN_NEWHIRE>>, IBAN <<IBAN_NEWHIRE>> — oeps, "
    "verkeerde chat")
add("x", "@manevelt_zorg", "reply", "en", [P],
    "@gary_whitmore Refund of €695 went out today to <<IBAN_GARY>> (G. Whitmore). Sorry for the wait!")
add("bluesky", "@sjoerd-mv.bsky.social", "post", "nl", [P],
    "Klant belde over haar bestelling, mailadres is j.vanleeuwen77@hotmail.com. Kan iemand van de webshop "
    "haar even mailen? Ik kom niet in Zendesk.")
add("instagram", "@manevelt.haar", "reply", "en", [P],
    "@dani.wears.wigs So sorry! We've booked you in Amsterdam on Tuesday at 14:00, confirmation goes to "
    "danielle.okafor@outlook.com and +31 6 1857 2290 💛")
add("forum", "JolandaP62", "post", "nl", [P],
    "Wie kan mij helpen met de declaratie voor mijn pruik? Mijn BSN is <<BSN_JOL>> en mijn geboortedatum "
    "14-07-1962, Jolanda Peeters. Manevelt zegt dat het aan de verzekeraar ligt.")
add("linkedin", "yusuf-ozdemir-manevelt", "comment", "en", [P],
    "Address for the Leeuwarden pickup: Mr. H. Dijkstra, Tuinstraat 22, 8911 KL Leeuwarden, tel 058-2134567")
add("youtube", "@ManeveltTV", "post", "nl", [P],
    "In deze video vertelt Anouk Brouwer (geboren 3 mei 1988) over twintig jaar alopecia en haar eerste "
    "Aurelia.")
add("x", "@hanneke_ops", "post", "nl", [P],
    "wie heeft dit rondgestuurd?? belijst voor morgen: M. Jansen 0612873340, K. de Boer 06-38291746, "
    "R. Aydin +31 6 4417 0823")

# ======================================================== benign (mostly hard negatives)
add("x", "@manevelt_nl", "post", "nl", [],
    "Nieuw: studio in Leiden! Vanaf 1 september ben je welkom aan de Breestraat. Afspraak maken via "
    "afspraak.manevelt.nl of bel gratis 0800-6263.")
add("x", "@manevelt_zorg", "post", "nl", [],
    "Vragen over je vergoeding? Mail vergoedingen@manevelt.nl of bel +31 30 555 0142, we zoeken het samen "
    "met je uit.")
add("facebook", "ManeveltHaarwerken", "post", "nl", [],
    "Liever per overschrijving betalen? Dat kan naar <<PUBLIC_IBAN>> t.n.v. Manevelt Haarwerken B.V., "
    "o.v.v. je ordernummer.")
add("instagram", "@noor.na.chemo", "post", "nl", [],
    "Na mijn chemo voelde ik me eindelijk weer mezelf met de Aurelia van Manevelt ❤️ Dank je Ilse voor al je "
    "geduld die eerste keer.")
add("x", "@tom_wears_a_system", "post", "en", [],
    "Honestly the Silkroot guys in Utrecht gave me my confidence back. 10/10 would recommend.")
add("x", "@fleurtje88", "post", "en", [],
    "my wig has more followers than me 😂 #manevelt #wiglife")
add("tiktok", "@jaylawigs", "comment", "en", [],
    "this Ivy curl is FIRE 🔥🔥 i'm literally dead 💀 manevelt did THAT")
add("x", "@groningse_gerda", "post", "nl", [],
    "Weet iemand of Manevelt in Groningen ook op zaterdag open is?")
add("facebook", "ria.vermeulen.33", "post", "nl", [],
    "Las dat een Amerikaanse pruikenfabrikant een terugroepactie heeft vanwege brandbaar haar. Even nagevraagd "
    "bij Manevelt: hun hittebestendige pruiken voldoen aan de Europese norm. Fijn om te weten.")
add("x", "@manevelt_nl", "post", "nl", [],
    "Black Friday ✨ 20% korting op alle Remy clip-ins: van €399 voor €319. Alleen dit weekend.",
    "2026-11-27T08:00:00+01:00")
add("tiktok", "@manevelt.studio", "post", "en", [],
    "Spring sale 🌷 Noor mono now €699 (was €849). In studio only, while stock lasts.",
    "2026-04-08T12:00:00+02:00")
add("instagram", "@bestraling_en_ik", "post", "nl", [],
    "Mira tulband gekocht voor €49, super zacht en hij blijft goed zitten tijdens de bestralingen 🧡")
add("x", "@petra_vd_linden", "post", "nl", [],
    "Update: Manevelt heeft mijn maatwerkpruik tóch op tijd geleverd, plus een gratis onderhoudsbeurt als "
    "excuus. Excuses aanvaard 🙏 de bruiloft was prachtig")
add("facebook", "wilma.de.jager", "comment", "nl", [],
    "Sterkte aan iedereen die vandaag de stap naar een pruik zet. Het is oké om even te huilen in die stoel. "
    "Het team van Manevelt Den Haag was zo lief voor me.")
add("x", "@devjoost", "post", "nl", [],
    "tip voor de docs: gebruik altijd AKIAIOSFODNN7EXAMPLE als voorbeeld, nooit een echte key 😅")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [],
    "reminder: a token like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a screenshot is still a token if it's "
    "real. install the pre-commit hook, it catches them.")
add("x", "@mvdberg_", "post", "nl", [],
    "Mijn bank zegt dat <<IBAN_BAD1_SP>> geen geldig rekeningnummer is. Heb ik het van de Manevelt-factuur "
    "verkeerd overgetypt? Ja dus 🤦")
add("forum", "Kaal_en_Blij", "comment", "nl", [],
    "Het formulier van Manevelt accepteerde mijn BSN niet, ik had <<BSN_BAD>> ingevuld. Twee cijfers "
    "omgedraaid, die 11-proef is best slim eigenlijk")
add("x", "@onlyhairthings", "post", "en", [],
    "manevelt checkout kept saying my card was invalid, I typed <<CARD_BAD>> like five times... wrong last "
    "digit 🙃 my bad")
add("x", "@mvdberg_", "post", "nl", [],
    "Eindelijk! De Aurelia Air is er en hij is zo licht, je voelt hem gewoon niet 😍",
    "2027-03-12T14:22:00+01:00")
add("instagram", "@manevelt.haar", "post", "nl", [],
    "Vanaf vandaag: Silkroot Invisible in al onze studio's. Het meest natuurlijke haarsysteem dat we ooit "
    "maakten.", "2027-03-09T10:30:00+01:00")
add("x", "@haarbranche_nws", "post", "nl", [],
    "Halfjaarcijfers 2027 van Manevelt: omzet licht gestegen, marge onder druk door de uitbreiding naar "
    "België.", "2027-07-30T08:05:00+02:00")
add("instagram", "@ruben.haarsystemen", "post", "nl", [],
    "Eerste Silkroot Invisible vandaag geplaatst. Klant keek in de spiegel en zei niks, alleen maar knikken. "
    "Daarom doe ik dit werk.", "2027-03-10T18:40:00+01:00")
add("linkedin", "manevelt-haarwerken", "post", "en", [],
    "We're hiring! Hair system specialist (32–40h) in Rotterdam. Questions? werkenbij@manevelt.nl or "
    "werkenbij.manevelt.nl")
add("x", "@sannehaar", "post", "nl", [],
    "Mijn dak lekt en mijn pruik is kletsnat geworden 😭 gelukkig konden ze hem bij Manevelt weer opfrissen")
add("tiktok", "@wigtok_amy", "post", "en", [],
    "wig hack: brush your lace front from the ends up, never root down. learned that at Manevelt and my "
    "Noor lasts way longer now")
add("x", "@arnhem_anne", "post", "en", [],
    "Manevelt Arnhem is so busy with the new colours I thought their booking site would crash lol. "
    "snagged a slot anyway")
add("x", "@chris_baldwin", "post", "en", [],
    "Manevelt customer care actually called me back within 10 minutes. Is this legal? 😂")
add("reddit", "u/sweatyscalp", "post", "en", [],
    "Is the Silkroot Thin Skin worth it over the regular Silkroot? Hot summers, I cycle to work every day.")
add("youtube", "@ManeveltTV", "post", "nl", [],
    "Zo was je je synthetische pruik: lauw water, een dopje pruikenshampoo en nooit föhnen op de hoogste "
    "stand. Bekijk de hele video!")
add("instagram", "@mo.fresh.cuts", "comment", "en", [],
    "Nadia from Manevelt absolutely killed it with my cut today 🔪✨")
add("x", "@retailwatch_eu", "post", "en", [],
    "Extensions chain BellaLocks files for bankruptcy, 200 jobs lost. Competitor Manevelt says its studios "
    "are not affected.")
add("instagram", "@manevelt.haar", "post", "nl", [],
    "Onze stylisten zijn getraind om klanten met alopecia, chemo of trichotillomanie met zorg te helpen. "
    "Je bent welkom, altijd 🤍")
add("instagram", "@lot_en_haar_pruik", "post", "nl", [],
    "Yesss de vergoeding van mijn zorgverzekeraar is rond, volgende week mijn Noor pruik ophalen 🥹")
add("x", "@ilse_kapt_mv", "post", "nl", [],
    "Vandaag afscheid van mijn allereerste klant van 2019, ze is genezen verklaard en heeft haar pruik niet "
    "meer nodig. Gejankt in de koffiekamer 🥲")
add("x", "@devjoost", "post", "en", [],
    "Nice talk at DevOpsDays about rotating secrets. Slides are up, no real keys inside I promise 😉")
add("x", "@zwolsezus", "post", "nl", [],
    "Boycot fast fashion, koop je pruik gewoon lokaal. Ik ga naar Manevelt in Zwolle: klein team, eerlijk "
    "advies.")
add("x", "@hanneke_ops", "post", "nl", [],
    "Reminder collega's: jullie wachtwoord verloopt vrijdag. Kies iets langs, en nee, niet de naam van je "
    "kat plus het jaartal 😉")
add("x", "@kimberly_h", "post", "en", [],
    "the stylist asked for my date of birth for the insurance form, totally normal right? manevelt is so "
    "thorough lol")
add("reddit", "u/toupee_tim", "comment", "en", [],
    "Had a rough start with my Jonas toupee last month but Ruben fixed the fit in 20 minutes. Credit where due.")
add("reddit", "u/heatnerd", "comment", "en", [],
    "TIL human hair wigs can take up to ~180°C but most synthetic fibre melts around 120. Manevelt's HeatSafe "
    "line is rated to 160 btw.")
add("x", "@manevelt_zorg", "post", "nl", [],
    "Storing opgelost ✅ Onze telefoonlijnen werken weer. Sorry voor het ongemak vanochtend!")
add("linkedin", "manevelt-haarwerken", "post", "en", [],
    "Our full-year results 2025 are out: revenue up 11%, four new studios. Read the press release on "
    "manevelt.nl.", "2026-02-19T07:00:00+01:00")
add("linkedin", "marieke-dekkers-manevelt", "post", "nl", [],
    "Mooie dag op het finance-congres in Breukelen. Goed gesprek over hoe je als familiebedrijf een overname "
    "aanpakt, in het algemeen dan 😉")
add("reddit", "u/curious_investor", "comment", "en", [],
    "Manevelt stock? lol they're not even listed. Family owned since 1987 afaik.")
add("instagram", "@ruben.haarsystemen", "post", "nl", [],
    "De nieuwe kleurkaart is uit! 24 tinten, van ijsblond tot espresso. Kom langs om te passen 💇‍♂️")
add("facebook", "karin.smit.hrl", "comment", "nl", [],
    "Mijn oma (82) draagt al twintig jaar Manevelt en ziet er altijd top uit. Respect voor die dames in "
    "Haarlem 🌸")
add("x", "@kaal_en_blij_nl", "post", "nl", [],
    "Als ik nog één keer 'bad hair day' hoor... ik heb geeneens haar 😂 @manevelt.haar zet het op een shirt")
add("bluesky", "@emmen.love.bsky.social", "post", "en", [],
    "Sending love to the Manevelt team in Emmen after the flooding in the shopping centre. Hope you reopen "
    "soon ❤️")
add("blog", "docent-dirk", "post", "nl", [],
    "Voor mijn studenten die stage lopen bij Manevelt: een JWT bestaat uit header.payload.signature. Zet nooit "
    "een echte token in je verslag, gebruik jwt.io met de voorbeeldtoken.")
add("x", "@hanneke_ops", "post", "nl", [],
    "Testdata voor de nieuwe kassa: <<IBAN_BAD2>> (expres ongeldig, de mod-97 faalt, dus die mag afgewezen "
    "worden)")
add("forum", "Baldy_Bas", "post", "nl", [],
    "Wat kost een Silkroot haarsysteem nou eigenlijk? Iemand zei 1650 euro, klopt dat een beetje?")
add("x", "@manevelt_nl", "post", "nl", [],
    "Pruikenshampoo Zacht 250 ml: €17,95. Nu ook als voordelige 2-pack voor €32,90 🧴")
add("tiktok", "@bart.explains", "post", "en", [],
    "the Manevelt guy explaining tape vs glue for toupees is genuinely educational. not an ad, just a bald "
    "man who learned something")
add("tiktok", "@stylistnadia", "post", "nl", [],
    "pov: je klant komt binnen met een bob en gaat weg met krullen tot haar middel 💁‍♀️ #manevelt #ivy")
add("x", "@reislustige_ria", "post", "en", [],
    "quick q: can a Manevelt wig just go in hand luggage? flying to Curaçao next week 🌴")
add("facebook", "ManeveltHaarwerken", "post", "nl", [],
    "Fijne feestdagen van alle 31 studio's en ons hele team! Tussen kerst en oud & nieuw zijn we beperkt "
    "open.", "2026-12-20T10:00:00+01:00")
add("reddit", "u/wigcompare", "post", "en", [],
    "Manevelt vs HairCraft: both fine, Manevelt is pricier but the fitting is way more personal. Aurelia "
    "€1,295 vs their equivalent at roughly €1,100.")
add("x", "@veilig_verzorgd", "post", "nl", [],
    "Heel fijn dat Manevelt bij de intake checkt of je allergisch bent voor de lijm. Voelde me echt veilig.")
add("mastodon", "@bramvk@mastodon.nl", "post", "en", [],
    "we just open-sourced our wig size calculator 🎉 github.com/manevelt/pruikmaat — PRs welcome")
add("x", "@jd_moorman", "post", "en", [],
    "update: Manevelt swapped the orange Lotte bob for the right colour, no questions asked. fair play")


# --------------------------------------------------------------------------- build
def fill(text):
    def rep(m):
        return V[m.group(1)]
    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text)


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\bNL ?\d{2} ?[A-Z]{4}(?: ?\d){10}\b|\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b")
CARD_RE = re.compile(r"(?<![\d\w])(?:\d{4}[ -]){3}\d{4}(?![\d\w])|(?<![\d\w])\d{16}(?![\d\w])")
BSN_RE = re.compile(r"(?<![\d\w.])\d{9}(?![\d\w])")
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}


def checked_ids(text):
    """(kind, value, passes) for every IBAN / card / BSN look-alike in the text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (S, PR):
                    s = 4
                if c == P and any(ok for _, _, ok in checked_ids(text)):
                    s = 4
            else:
                s = 2
        elif c == CO:
            s = 2
        elif c == CR:
            s = 3
        elif c == AB:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, s)
    return SEV[lvl]


def random_time():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, used):
    while True:
        if platform == "x":
            i = "x-%d" % rng.randint(10 ** 17, 10 ** 18)
        elif platform == "reddit":
            i = "reddit-t3_" + rand(string.ascii_lowercase + string.digits, 7)
        elif platform in ("linkedin",):
            i = "linkedin-urn-li-activity-%d" % rng.randint(10 ** 17, 10 ** 18)
        else:
            i = "%s-%s" % (platform, rand(string.ascii_lowercase + string.digits, 11))
        if i not in used:
            used.add(i)
            return i


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used, lines = set(), []
    for idx in order:
        platform, handle, kind, lang, cats, text, when = CASES[idx]
        text = fill(text)
        role = role_of(platform, handle)
        cats = sorted(set(cats))
        post = {
            "id": make_id(platform, used),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": when or random_time(),
        }
        lines.append({"post": post, "expect": {"categories": cats,
                                                "severity": severity(cats, role, text) if cats else "none"}})
    return lines


# --------------------------------------------------------------------------- checks
def money_amounts(text):
    out = []
    pat = re.compile(r"(?:€|EUR|eur)\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|€|EUR)\b")
    for m in pat.finditer(text):
        raw = m.group(1) or m.group(2)
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
            val = float(re.sub(r"[.,]", "", raw))
        else:
            val = float(raw.replace(",", "."))
        out.append(val)
    return out


def mentioned_products(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        for name in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(name.lower()) + r"(?![\w])", low):
                found.append(p)
                break
    return found


def check(lines):
    errs = []
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    ids = set()
    insiders = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    for n, line in enumerate(lines):
        post, exp = line["post"], line["expect"]
        tag = "line %d (%s)" % (n + 1, post.get("id"))
        if set(line) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errs.append(tag + ": bad keys")
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256) or post["id"] in ids:
            errs.append(tag + ": bad/duplicate id")
        ids.add(post["id"])
        if post["platform"] not in platforms or post["kind"] not in kinds:
            errs.append(tag + ": platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + ": handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"]:
            errs.append(tag + ": text")
        try:
            t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert t.tzinfo is not None and 2026 <= t.year <= 2027
        except Exception:
            errs.append(tag + ": created_at")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append(tag + ": categories")
        role = role_of(post["platform"], post["account"]["handle"])
        want = severity(cats, role, post["text"]) if cats else "none"
        if exp["severity"] != want:
            errs.append(tag + ": severity %s != %s" % (exp["severity"], want))
        # checksummed identifiers
        for kind, val, ok in checked_ids(post["text"]):
            if cats and not ok:
                errs.append(tag + ": positive holds failing %s %s" % (kind, val))
            if not cats and ok:
                errs.append(tag + ": benign holds valid %s %s" % (kind, val))
        # pricing sanity
        prods = mentioned_products(post["text"])
        amounts = money_amounts(post["text"])
        low = [(p["name"], a) for p in prods for a in amounts
               if a < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]]
        if PR in cats and not low and not re.search(r"prijsfout|price error|glitch", post["text"], re.I):
            errs.append(tag + ": pricing positive without low price")
        if PR not in cats and low and not cats:
            errs.append(tag + ": benign with low price %s" % low)
        if PR in cats and not prods and "\uff30" not in post["text"]:
            errs.append(tag + ": pricing positive names no product")
        # embargo consistency for benign posts
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in post["text"].lower():
                    if not cats and t < until:
                        errs.append(tag + ": benign uses embargoed term before until")
                    if cats and t >= until and C in cats:
                        errs.append(tag + ": embargo positive after until")
    # placed look-alikes / valid ids
    alltext = "\n".join(l["post"]["text"] for l in lines)
    benign_text = "\n".join(l["post"]["text"] for l in lines if not l["expect"]["categories"])
    pos_text = "\n".join(l["post"]["text"] for l in lines if l["expect"]["categories"])
    for k, fn in LOOKALIKES.items():
        if V[k] not in benign_text or fn(V[k]) or V[k] in pos_text:
            errs.append("look-alike %s misplaced or valid" % k)
    for k, fn in VALID_IDS.items():
        if V[k] not in pos_text or not fn(V[k]):
            errs.append("identifier %s missing or invalid" % k)
    for k in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(k):
            errs.append("public IBAN fails mod-97")
    # secret formats
    if not github_ok(V["GHP"]):
        errs.append("github token checksum")
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", V["AKIA"]):
        errs.append("aws key id")
    if not jwt_ok(V["JWT"]):
        errs.append("jwt header")
    for k in ("GHP", "AKIA", "AWS_SECRET", "STRIPE", "MOLLIE", "JWT", "SLACK", "OPENAI", "ANTHROPIC",
              "GLPAT", "DBPASS", "IPADPW"):
        if V[k] not in pos_text or V[k] in benign_text:
            errs.append("secret %s misplaced" % k)
    if "BEGIN OPENSSH PRIVATE KEY" not in pos_text:
        errs.append("private key missing")
    # public handles must not be profile accounts; insiders must be
    pub = [l for l in lines if role_of(l["post"]["platform"], l["post"]["account"]["handle"]) == "public"]
    for l in pub:
        if ("%s:%s" % (l["post"]["platform"], l["post"]["account"]["handle"])).lower() in insiders:
            errs.append("public handle in profile")
    # mix
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    return errs


def main():
    lines = build()
    errs = check(lines)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check again
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errs += [] if reread == lines else ["round-trip mismatch"]
    counts = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    roles = {}
    for l in lines:
        r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    langs = {}
    for l in lines:
        langs[l["post"]["lang"]] = langs.get(l["post"]["lang"], 0) + 1
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    print("cases %d, benign %d, positives %d" % (len(lines), benign, len(lines) - benign))
    print("categories", json.dumps(dict(sorted(counts.items()))))
    print("roles", roles, "langs", langs)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
