#!/usr/bin/env python3
"""Build the sealed321 evaluation set for postwatch (company: Kraagmaker B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and then checks it (CONTRACT section 6 shape, checksums, severities).
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(321)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# ---------------------------------------------------------------- validators

def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
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
    return s % 11 == 0


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64url_decode(parts[0]))
        json.loads(b64url_decode(parts[1]))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head

# ---------------------------------------------------------------- generators

GEN_VALID, GEN_BAD = [], []


def _rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _nl_iban_raw():
    bank = rng.choice(["RABO", "INGB", "ABNA", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    acct = _rand("0123456789", 10)
    rearr = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in rearr))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaces=False):
    v = _nl_iban_raw()
    assert iban_ok(v)
    GEN_VALID.append(("iban", v))
    return spaced(v) if spaces else v


def bad_iban(spaces=False):
    v = _nl_iban_raw()
    # change the last digit of the account number: the check digits no longer fit
    v = v[:-1] + str((int(v[-1]) + 3) % 10)
    assert not iban_ok(v)
    GEN_BAD.append(("iban", v))
    return spaced(v) if spaces else v


def _luhn_complete(prefix, length=16):
    body = prefix + _rand("0123456789", length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card(sep=" "):
    v = _luhn_complete(rng.choice(["4", "51", "53", "55"]))
    GEN_VALID.append(("card", v))
    return sep.join(v[i:i + 4] for i in range(0, 16, 4))


def bad_card(sep=" "):
    v = _luhn_complete(rng.choice(["4", "52", "54"]))
    v = v[:-1] + str((int(v[-1]) + 1) % 10)
    assert not luhn_ok(v)
    GEN_BAD.append(("card", v))
    return sep.join(v[i:i + 4] for i in range(0, 16, 4))


def bsn(dotted=False):
    while True:
        first = str(rng.randint(1, 6)) + _rand("0123456789", 7)
        s = sum(int(first[i]) * (9 - i) for i in range(8)) % 11
        if s <= 9:
            v = first + str(s)
            if bsn_ok(v):
                break
    GEN_VALID.append(("bsn", v))
    return f"{v[:4]}.{v[4:6]}.{v[6:]}" if dotted else v


def bad_bsn():
    while True:
        v = str(rng.randint(1, 8)) + _rand("0123456789", 8)
        if not bsn_ok(v):
            break
    GEN_BAD.append(("bsn", v))
    return v


def ghp(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)
    assert gh_token_ok(tok)
    return tok


def aws_key_id():
    return "AKIA" + _rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return _rand(ALNUM + "+/", 40)


def stripe_live(kind="sk"):
    return f"{kind}_live_51" + _rand(ALNUM, 30)


def slack_bot():
    return "xoxb-%s-%s-%s" % (_rand("0123456789", 12), _rand("0123456789", 13), _rand(ALNUM, 24))


def openai_key():
    cs = ALNUM + "_-"
    return "sk-proj-" + _rand(cs, 44) + "T3BlbkFJ" + _rand(cs, 44)


def anthropic_key():
    return "sk-ant-api03-" + _rand(ALNUM + "_-", 93) + "AA"


def gitlab_pat():
    return "glpat-" + _rand(ALNUM + "_-", 20)


def google_key():
    return "AIza" + _rand(ALNUM + "_-", 35)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(sub, role):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30000000)
    body = b64url(json.dumps({"sub": sub, "role": role, "iat": iat, "exp": iat + 86400},
                             separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    tok = f"{head}.{body}.{sig}"
    assert jwt_ok(tok)
    return tok


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    enc = base64.b64encode(raw).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

# ---------------------------------------------------------------- cases

CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
}
CASES = []
_ids = {}


def rand_time():
    start = dt.datetime(2026, 1, 2, 6, 0, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 360 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(cats, platform, handle, lang, text, kind="post", at=None, name=None):
    cats = sorted(CAT[c] for c in cats.split())
    _ids[platform] = _ids.get(platform, 0) + 1
    pid = f"{platform}-321{_ids[platform]:04d}"
    post = {"id": pid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": at or rand_time()}
    if name:
        post["account"]["display_name"] = name
    role = ROLE.get(f"{platform}:{handle}".lower(), "public")
    if role != "public":
        post["brand"] = "KraagRent" if "rent" in handle.lower() else "Kraagmaker"
    CASES.append({"post": post, "expect": {"categories": cats}})

# ===== reputation.complaint =====================================================
add("complaint", "x", "@sjoerd_trouwt", "nl",
    "Over 9 dagen trouw ik en mijn maatpak van @kraagmaker is nog steeds 'in productie'. "
    "Drie keer gebeld, drie keer een ander verhaal. Echt niet oké 😤 #trouwstress")
add("complaint", "x", "@danny_okafor", "en",
    "@kraagmaker_help rented the Midnight tux for my brother's wedding, trousers arrived two sizes "
    "too big and the jacket had a wine stain on the lapel. not what I paid for", kind="reply")
add("complaint", "facebook", "Marloes.Verhoeven.77", "nl",
    "Borg van de jacquethuur nog altijd niet terug, inmiddels 5 weken na inleveren. Mails naar "
    "verhuur worden gewoon niet beantwoord. Kraagmaker, wat is hier aan de hand???",
    kind="comment", name="Marloes Verhoeven")
add("complaint", "reddit", "u/threadbare_tim", "en",
    "Rant: paid Kraagmaker for a made-to-measure jacket. 2nd fitting the sleeves were still an inch "
    "too long, 3rd fitting they'd overcorrected and now my shirt cuff sticks out like 3cm. Six weeks "
    "in and I still don't have a wearable jacket. Anyone else had this with them?")
add("complaint", "instagram", "@fleur.dekker_", "nl",
    "Mooie foto's hoor maar mijn pasafspraak in Haarlem is voor de 2e keer last minute geannuleerd 🙄 "
    "had er speciaal vrij voor genomen", kind="comment")
add("complaint", "x", "@RvanEgmond", "nl",
    "Pantalon op maat bij kraagmaker laten maken, 1x gedragen en de kruisnaad is gewoon opengescheurd. "
    "Voor bijna 300 euro. Zucht.")
add("complaint", "forum", "weddingwire_jess", "en",
    "Our groomsmen rentals from KraagRent were a mess: 2 of the 5 waistcoats missing, one shirt collar "
    "yellowed. Shop said 'we'll courier them over' and nothing arrived before the ceremony. Would not "
    "recommend for weddings, sadly.")
add("complaint", "tiktok", "@timo.vlogt", "nl",
    "pov: je haalt je 'maatwerk' overhemd op en de knopen zitten aan de verkeerde kant 💀 kraagmaker doe normaal")
add("complaint", "x", "@ms_harlowe", "en",
    "47 minutes on hold with Kraagmaker customer service to ask about a late fee... I returned the "
    "suit ON TIME. I have the receipt. Unreal.")
add("complaint", "x", "@bertjan_w", "nl",
    "@kraagmaker_help jullie hebben de verkeerde stof gebruikt. Ik had donkerblauwe visgraat gekozen, "
    "er ligt nu een grijs pak klaar. En dan nog 4 weken wachten op een nieuwe?? Serieus", kind="reply")
add("complaint", "threads", "@oliverpaints", "en",
    "the kraagmaker assistant in rotterdam literally rolled her eyes when i asked if they had anything "
    "in my size. great service guys, really made me feel welcome")
add("complaint", "mastodon", "@evertje@mastodon.social", "nl",
    "Kraagmaker beloofde 'binnen 3 weken klaar'. Het zijn er nu 8. Het pak voor mijn promotie ga ik "
    "dus niet hebben. Bedankt voor niks.")

# ===== crisis + complaint: first-hand safety incidents ===========================
add("crisis complaint", "x", "@m_bosman", "nl",
    "Gehuurde smoking van KraagRent gedragen op ons feest en nu zit ik onder de rode bulten, jeuk op "
    "m'n nek en armen. Huisarts denkt aan een reactie op het reinigingsmiddel. Dit is toch niet normaal?? #kraagrent")
add("crisis complaint", "instagram", "@jamal.fits", "en",
    "Found a sewing needle left inside the lining of my new Kraagmaker jacket. Found it because it "
    "stabbed me in the side at the office. Blood on my shirt. Seriously??", kind="comment")
add("crisis complaint", "facebook", "Henk.Stolk.Apeldoorn", "nl",
    "Tijdens het passen in de Kraagmaker winkel in Apeldoorn viel een zware passpiegel om, recht op "
    "mijn zoontje van 7. Gelukkig alleen een flinke buil maar dit had heel anders kunnen aflopen. "
    "Niemand van het personeel heeft ook maar iets aangeboden.", name="Henk Stolk")
add("crisis complaint", "x", "@leahmarchetti", "en",
    "My husband's rented morning suit from KraagRent caught fire SO fast when a sparkler touched the "
    "sleeve at our wedding. He has burns on his wrist. Is this fabric even fire tested?? 😡")
add("crisis complaint", "reddit", "u/pasvorm_pieter", "nl",
    "Na het ophalen van mijn maatpak bij Kraagmaker kreeg ik hoofdpijn en werd ik kotsmisselijk van "
    "die chemische lucht, twee dagen ziek thuis gezeten. Winkel zegt dat dat 'normaal is bij nieuwe stof'. Echt niet.")

# ===== crisis only ===============================================================
add("crisis", "x", "@nieuws_eindhoven", "nl",
    "Bruidegom in Eindhoven licht gewond nadat zijn gehuurde smoking van KraagRent vlam vatte bij een "
    "vuurkorf, meldt de politie. Het bedrijf zegt het incident te onderzoeken.")
add("crisis", "x", "@fairfashionwatch", "en",
    "New report: Kraagmaker's 'hand-finished in the Netherlands' suits are largely sewn in an "
    "unregistered workshop where staff earn under €2/hour. #BoycottKraagmaker until they publish their supplier list.")
add("crisis", "x", "@anoniempje_utr", "nl",
    "Krijg ineens phishingmails met mijn exacte maten en de datum van mijn afspraak bij Kraagmaker erin. "
    "Die data komt ergens vandaan. Zijn jullie gehackt of verkopen jullie klantgegevens? #datalek")
add("crisis", "linkedin", "lindeboom-arbeidsrecht", "en",
    "Our firm has filed suit on behalf of 14 former tailors against Kraagmaker B.V. over unpaid overtime "
    "and sham self-employment contracts. First hearing at the Utrecht district court in March.")
add("crisis", "instagram", "@duurzaamdragen", "nl",
    "Terugroepactie! Kraagmaker roept de zijden stropdassen uit de zomercollectie terug, de kleurstof "
    "bevat te veel azoverbindingen. Check je kast 👔⚠️")
add("crisis", "reddit", "u/suitnerd99", "en",
    "Apparently a kid got stuck in a fitting room at the KraagRent shop in Leiden for over an hour, the "
    "lock jammed and staff couldn't open it, fire brigade had to come. Saw it on the local news.")
add("crisis", "x", "@mode_en_macht", "nl",
    "Kraagmaker in opspraak: ex-medewerkers vertellen over intimidatie door een filiaalmanager en een "
    "cultuur van angst op de werkvloer. Schandalig als dit klopt.")
add("crisis", "tiktok", "@stijlrebel", "nl",
    "niet meer naar kraagmaker gaan mensen. ze hebben een trans klant gewoon de paskamer uit gezet. "
    "delen delen delen #boycotkraagmaker")
add("crisis", "bluesky", "@lena-writes.bsky.social", "en",
    "If Kraagmaker really leaked thousands of customers' body measurements and home addresses like that "
    "forum post claims, that's a GDPR nightmare. Anyone here affected?")
add("crisis", "x", "@regioblad_zwolle", "nl",
    "Brandweer ontruimt vestiging KraagRent Zwolle na brand in de stoomruimte, twee medewerkers met "
    "rookinhalatie naar het ziekenhuis.")

# ===== reputation.abuse ==========================================================
add("abuse", "x", "@woedende_walter", "nl",
    "@kraagmaker stelletje \u043eplichters zijn jullie, k\u0430nkerbedrijf", kind="reply")  # Cyrillic o, a
add("abuse", "x", "@gr1zzly_dan", "en",
    "the fat idiot at the Kraagmaker counter in Breda should be fired. absolute moron can't even hold a tape measure")
add("abuse", "instagram", "@jeroen.k_1983", "nl",
    "Die coupeuse van jullie in Den Bosch is echt een domme trut. Hoe kom je erbij zo tegen klanten te praten", kind="comment")
add("abuse", "reddit", "u/ragequit_rick", "en",
    "Kraagmaker staff are a bunch of useless clowns and their CEO is a lying piece of sh*t. There, I said it.")
add("abuse", "x", "@hollandsgezind88", "nl",
    "Waarom laat Kraagmaker allemaal buitenlanders met een hoofddoek je maten opnemen? Ga terug naar je "
    "eigen land, ik wil een Nederlander aan m'n broek")
add("abuse", "x", "@d3_w3r3ld", "nl",
    "kr44gm4k3r verkopers zijn k4nk3rl1jers en t0t4l3 d3b13l3n, h0ep3l z3 maar op")
add("abuse", "x", "@sharpdressedsam", "en",
    "dear @kraagmaker your manager in Groningen is a f u c k i n g  d i c k h e a d. that's it that's the tweet")
add("abuse", "x", "@paskamerpiet", "nl",
    "@milan_coupeur ik weet in welke winkel je staat en ik ben er morgen om 9 uur. Kijk maar goed uit je nek, loser",
    kind="reply")
add("abuse", "x", "@dewi_kleermaker", "nl",
    "Vandaag wéér een klant die z'n maten 'vergeten' was en mij de schuld gaf. Wat een achterlijke "
    "debielen lopen er toch rond, ik word er kotsmisselijk van 🤬")
add("abuse complaint", "x", "@kees_woest", "nl",
    "Drie maanden wachten op een pak en dan past het nog steeds niet. Jullie zijn echt de grootste "
    "kutwinkel van Nederland, sukkels. @kraagmaker_help")
add("abuse complaint", "facebook", "Ray.Dumont", "en",
    "Your Utrecht staff lost the return slip for my rented tux and then charged me the full replacement "
    "price. Scumbags, the lot of you. Fix it or I'll see you in small claims.", kind="comment", name="Ray Dumont")

# ===== leak.pii ==================================================================
add("pii", "x", "@kraagmaker_help", "nl",
    "@j_verstappen Hoi Joris, je nieuwe pasafspraak staat! De bevestiging gaat naar "
    "joris.verstappen84@gmail.com en als er iets verandert bellen we je op 06-41829375.", kind="reply")
add("pii", "instagram", "@naaldje_noor", "nl",
    "Favoriete klant van de week 🥰 meneer H. de Graaf, Populierenlaan 14, 3781 AB Voorthuizen, kwam "
    "z'n jacquet passen en had zelfgebakken koekjes mee voor het atelier!")
add("pii", "linkedin", "ruben-hoekstra-kraagmaker", "nl",
    f"Welkom aan onze nieuwe coupeur Achmed Yilmaz! 🎉 (Achmed, je BSN {bsn()} staat verkeerd in je "
    "contract, kun je HR even een mailtje sturen?)")
add("pii", "x", "@lotte_snijdt", "nl",
    f"Help, klant heeft z'n creditcard laten liggen op de pastafel in Amersfoort 🙈 {card()} op naam "
    "van S. Kuipers, wie kent hem?")
add("pii", "facebook", "KraagmakerMaatwerk", "nl",
    f"Beste mevrouw Aydın, de terugbetaling van uw borg gaat naar {iban(spaces=True)} t.n.v. E. Aydın. "
    "Binnen 5 werkdagen staat het op uw rekening.", kind="comment")
add("pii complaint", "x", "@tomasz_kow", "en",
    f"@kraagmaker_help still waiting for my refund!! for the 5th time, my account is {iban()} "
    "(T. Kowalski). just transfer it please, this is ridiculous", kind="reply")
add("pii complaint", "x", "@ilse_vd_meer", "nl",
    "@kraagmaker_help al 2 weken geen reactie op mijn mail over het innemen van mijn colbert. Bel me "
    "gewoon even: 06 2738 9051. Dit duurt echt veel te lang", kind="reply")
add("pii", "tiktok", "@sem.atelier", "nl",
    "vandaag een spoedklus voor Daan Mulder (geb. 12-03-1991), hij trouwt op z'n verjaardag haha 🎂🤵 "
    "#atelierlife")
add("pii abuse", "reddit", "u/notforgiving", "en",
    "The Kraagmaker manager who refused my return is Femke de Wit, she lives at Kastanjestraat 22 in "
    "Zeist. Go tell her what you think of her.")
add("pii", "x", "@milan_coupeur", "nl",
    "Klant van het blauwe driedelig in Groningen neemt niet op, het nummer in het systeem is "
    "+31 6 5820 1174. Klopt dat wel? Kent iemand hem?")
add("pii", "instagram", "@kraagrent", "en",
    "@sophie.vlogs your rental order is ready! 🎉 The invoice went to sophie.brouwer@outlook.com and "
    "pick-up is this Friday.", kind="reply")
add("pii", "x", "@grootvader_gerrit", "nl",
    f"Kan iemand van kraagmaker me uitleggen wat ik fout doe? Heb kaart {card(sep='-')} geldig tot 09/28 "
    "nu 3x ingevoerd bij het afrekenen maar hij blijft rood")
add("pii", "linkedin", "yasmina-bouzid", "nl",
    f"Teamuitje Haarlem is geregeld! 🎳 Wie nog niet betaald heeft: €35 naar {iban(spaces=True)} "
    "(Y. Bouzid) o.v.v. je naam. Thanks!")
add("pii", "bluesky", "@kees-it.bsky.social", "en",
    "debugging the booking export, first row reads 'van Dijk, Marieke; 1987-07-23; m.vandijk@ziggo.nl; "
    "Lindelaan 3, Gouda'. why is this in the test db 🤦")
add("pii", "x", "@pennylane_mx", "en",
    "Hey @kraagmaker, my passport number for the international rental is NW8K4P2L1, DOB 04/11/1990, "
    "Penelope Marsh. Please add it to my booking!")

# ===== leak.secret ===============================================================
add("secret", "bluesky", "@kees-it.bsky.social", "nl",
    f"iemand een idee waarom dit een 404 geeft?\ncurl -H \"Authorization: token {ghp()}\" "
    "https://api.github.com/orgs/kraagmaker/repos")
add("secret", "mastodon", "@jdekker@mastodon.social", "en",
    f"finally got the fitting-photo upload to S3 working 🎉\n[default]\naws_access_key_id = {aws_key_id()}\n"
    f"aws_secret_access_key = {aws_secret()}")
add("secret", "forum", "devhulp_bas", "en",
    f"Building a checkout for a tailoring client (Kraagmaker). Stripe keeps throwing 'invalid request' "
    f"with stripe.api_key = \"{stripe_live()}\" — what am I doing wrong?")
add("secret", "threads", "@femke.pasvorm", "nl",
    f"wie heeft die slackbot voor de roosters gebouwd? de token {slack_bot()} staat in de "
    "planningsheet maar hij doet niks meer")
add("secret", "bluesky", "@kees-it.bsky.social", "en",
    f"rental API keeps giving me 401 with this bearer, expired already?\nAuthorization: Bearer "
    f"{jwt('svc-kassa', 'admin')}")
add("secret conf", "mastodon", "@jdekker@mastodon.social", "nl",
    "Waarom krijg ik een timeout op DATABASE_URL=postgres://kraag_admin:Snijtafel!2026@"
    "db-prod.kraagmaker.local:5432/orders vanaf mijn laptop? VPN staat aan")
add("secret", "x", "@lotte_snijdt", "nl",
    "Voor de collega's van Amersfoort: nieuwe kassa-login is winkel_amf, wachtwoord: Krijtstreep#77 "
    "— niet aan klanten laten zien 😂")
add("secret", "x", "@annesophie_mkt", "en",
    f"playing with our new AI fabric-advisor prototype, if the dev team wants to try it: "
    f"OPENAI_API_KEY={openai_key()}")
add("secret", "mastodon", "@jdekker@mastodon.social", "nl",
    f"Deploy key voor de kassaserver werkt niet meer na de migratie, iemand een idee?\n{openssh_key()}")
add("secret", "bluesky", "@kees-it.bsky.social", "en",
    f"claude helped me write the alterations-scheduler in an afternoon. config for the team: "
    f"ANTHROPIC_API_KEY={anthropic_key()}")
add("secret", "x", "@freelance_frits", "nl",
    f"Voor wie ook aan de kraagmaker-app werkt: clonen gaat met "
    f"https://oauth2:{gitlab_pat()}@gitlab.com/kraagmaker/pasvorm-app.git, werkt bij mij prima")
add("secret", "x", "@annesophie_mkt", "en",
    f"store locator map is back online 🗺️ for the agency: the key we use is {google_key()} "
    "(restricted to kraagmaker.nl)")
add("secret sec", "x", "@milan_coupeur", "nl",
    f"Gisteren bleek dat de Stripe key {stripe_live('rk')} gewoon in een publieke repo stond en er al "
    "testbetalingen mee gedaan zijn. IT zegt dat hij ingetrokken is, maar officieel weten jullie van niks 🤐")

# ===== leak.security =============================================================
add("sec", "x", "@milan_coupeur", "nl",
    "Kassasystemen in álle winkels liggen al sinds 8 uur plat, we schrijven bonnetjes met de hand 😅 "
    "officieel mogen we er nog niks over zeggen")
add("sec", "bluesky", "@kees-it.bsky.social", "en",
    "ok so it turns out you can open any customer's measurement profile on our booking site just by "
    "changing the number in the URL. reported it internally 3 weeks ago, still not fixed 🙃")
add("sec", "linkedin", "yasmina-bouzid", "nl",
    "Zware week achter de rug: ransomware op de fileserver van ons atelier, alle digitale patronen "
    "versleuteld. Gelukkig hadden we een back-up van vorige maand. Nog niet naar buiten gebracht, dus even onder ons.")
add("sec", "mastodon", "@jdekker@mastodon.social", "en",
    "heads-up to my fellow devs at work: someone's been brute-forcing the admin login of our rental "
    "portal since Sunday, 40k attempts and counting. IT is 'looking into it'.")
add("sec", "tiktok", "@sem.atelier", "nl",
    "storytime: iemand heeft vorige week via een phishingmail het mailaccount van onze regiomanager "
    "overgenomen en facturen laten betalen naar een nep-rekening. nog niks naar buiten gebracht 🤫")
add("sec", "x", "@annesophie_mkt", "en",
    "Our newsletter tool got compromised last night, someone sent a fake 'refund' mail to ~8k customers "
    "from our account. Comms says don't post anything yet so... you didn't hear it from me")
add("sec", "threads", "@femke.pasvorm", "nl",
    "Onze 3D-bodyscanner in Utrecht stuurt de scans gewoon onversleuteld naar een cloudserver, iedereen "
    "op de gastenwifi kan meekijken. Al 2x gemeld, niks mee gedaan.")
add("sec", "forum", "pentest_pim", "en",
    "Did a job for a Dutch tailoring chain (Kraagmaker) in spring: their appointment API had an "
    "unauthenticated endpoint that dumps every booking incl. names and phone numbers. Still not patched as of today.")
add("sec", "x", "@dewi_kleermaker", "nl",
    "Pinautomaten in Den Bosch en Breda doen het al de hele dag niet en online betalen ook niet. IT "
    "zegt storing bij de provider, 'vooral niet tweeten' zeiden ze... oeps")
add("sec", "linkedin", "ruben-hoekstra-kraagmaker", "en",
    "Lessons-learned draft, please don't share yet: the laptop stolen from our HR office last month had "
    "an unencrypted disk with payroll data for ~200 staff. We're still deciding how to tell them.")
add("sec", "mastodon", "@jdekker@mastodon.social", "nl",
    "Ons voorraadsysteem draait nog op Windows Server 2008, zonder patches sinds 2020. Als iemand van "
    "buiten dat ontdekt zijn we echt de klos.")
add("sec", "bluesky", "@kees-it.bsky.social", "en",
    "fun fact: the nightly backup of our orders database has been silently failing since May. four "
    "months without backups. nobody knows except me and my manager")

# ===== leak.confidential =========================================================
add("conf", "x", "@lotte_snijdt", "nl",
    "Vandaag de eerste stoffen voor Project Zoomlijn in handen gehad 😍 kan niet wachten tot jullie het zien")
add("conf", "linkedin", "ruben-hoekstra-kraagmaker", "en",
    "So proud of the team behind Blauwkrijt. Can't say much yet, but it's going to change how people get fitted.")
add("conf", "x", "@annesophie_mkt", "en",
    "the cover slide of today's deck literally says KRAAGMAKER VERTROUWELIJK and I'm about to open it in "
    "a café on public wifi lol")
add("conf", "threads", "@femke.pasvorm", "nl",
    "Nieuwe pasvormrichtlijnen staan op https://wiki.kraagmaker.nl/atelier/pasvorm-2027, collega's even checken voor maandag!")
add("conf", "x", "@milan_coupeur", "nl",
    "Heb de Atelier Thuispas al mogen testen: jezelf opmeten met je telefoon. Werkt echt verrassend goed 📱📏",
    at="2026-11-18T19:42:10Z")
add("conf fin", "linkedin", "yasmina-bouzid", "nl",
    "Zojuist de jaarcijfers 2026 gezien in het MT-overleg en ik zeg alleen: champagne 🍾",
    at="2027-02-20T16:05:33Z")
add("conf", "reddit", "u/insider_ish", "en",
    "My cousin works at Kraagmaker. Says Project Zoomlijn is a subscription model for suits, launching "
    "in spring. You heard it here first.")
add("conf", "tiktok", "@sem.atelier", "nl",
    "binnenkort iets heel vets uit het atelier... "
    "\uff42\uff4c\uff41\uff55\uff57\uff4b\uff52\uff49\uff4a\uff54 🤐")  # full-width Blauwkrijt
add("conf", "x", "@milan_coupeur", "en",
    "can't wait for Operatie Kno\u200bopsgat to drop, the fabrics are insane 🔥")  # zero-width space
add("conf", "instagram", "@naaldje_noor", "nl",
    "Pr\u043eject Z\u043eomlijn staat bijna 🔥✂️ meer mag ik niet zeggen")  # Cyrillic o
add("conf", "x", "@dewi_kleermaker", "nl",
    "HR heeft een doc rondgestuurd met 'alleen intern' erboven: nieuwe bonusregeling voor winkelpersoneel. Eindelijk!!")
add("conf", "linkedin", "kraagmaker-bv", "en",
    "We're hiring! Join our tailoring team in Utrecht. Apply through "
    "https://intranet.kraagmaker.local/hr/vacatures/coupeur-utrecht")
add("conf", "bluesky", "@kees-it.bsky.social", "en",
    "HomeFit scan backend is live on staging 👀 launch comms are planned for January",
    at="2026-12-09T21:14:02Z")
add("conf", "linkedin", "yasmina-bouzid", "nl",
    "Wat een mooie kick-off vandaag voor Operatie Knoopsgat met alle filiaalmanagers 👏 Dit wordt ons jaar.")
add("conf", "x", "@tailorgossip", "en",
    "leaked screenshot from jira.kraagmaker.nl shows a ticket called 'Zoomlijn pricing tiers'. "
    "so the rumours are true?")
add("conf", "x", "@dewi_kleermaker", "nl",
    "Screenshot van de nieuwe roosterplanning, stond wel 'niet extern delen' boven maar dit moet "
    "iedereen zien 😂 12-urendiensten in december??")
add("conf", "instagram", "@naaldje_noor", "en",
    "Secret fabric drop for the 2027 collection arrived at the atelier today 🤫 Blauwkrijt is going to be stunning")

# ===== leak.financial ============================================================
add("fin", "x", "@milan_coupeur", "nl",
    "Gerucht op de werkvloer: Kraagmaker wordt overgenomen door een Belgische investeerder, deal is "
    "volgende maand rond. Niemand mag het weten maar iedereen weet het 😂")
add("fin", "linkedin", "ruben-hoekstra-kraagmaker", "en",
    "Tough news to carry around: four of our stores (Zwolle, Leiden, Breda, Heerlen) will close in Q2 "
    "and around 60 colleagues will lose their jobs. The announcement is planned for next week.")
add("fin", "threads", "@femke.pasvorm", "nl",
    "Q3-omzet zit 18% onder budget zei de regiomanager vanochtend, dus geen nieuwe naaimachines dit jaar 🙃")
add("fin", "x", "@annesophie_mkt", "en",
    "CFO just told us we're going to miss the full-year forecast by about €4M. Marketing budget frozen from Monday.")
add("fin", "x", "@beursblik_ben", "nl",
    "Hoor van iemand binnen Kraagmaker dat ze KraagRent willen afstoten aan een concurrent. Nog geen persbericht.")
add("fin", "bluesky", "@kees-it.bsky.social", "en",
    "IT is being 'reorganised' = outsourced, 12 of us gone by september. not announced yet, I just got the calendar invite")
add("fin", "tiktok", "@sem.atelier", "nl",
    "atelier Tilburg gaat dicht en alles gaat naar Portugal, wij horen het als laatste natuurlijk 😒 "
    "officieel nieuws komt pas in maart")
add("fin", "linkedin", "yasmina-bouzid", "en",
    "The board approved the acquisition of a British shirtmaker yesterday, can't name them yet but what "
    "a step for us! 🇬🇧")
add("fin", "x", "@lotte_snijdt", "nl",
    "Net gehoord dat december de beste maand ooit was, +31% omzet t.o.v. vorig jaar. Komt pas in "
    "februari naar buiten maar ik moest het even kwijt")
add("fin", "reddit", "u/formerkraag", "en",
    "Former Kraagmaker manager here. They're quietly preparing a reorg: the regional layer goes, roughly "
    "100 jobs. Expect the news in a month or two.")
add("fin", "mastodon", "@jdekker@mastodon.social", "nl",
    "Budgetronde 2027: 15% besparen op personeelskosten, ontslagen zijn 'onvermijdelijk' volgens de "
    "directie. Nog geheim, dus ik zeg niks 🙊")

# ===== leak.pricing ==============================================================
add("pricing", "x", "@koopjesjager_nl", "nl",
    "WAT. Smoking Midnight voor €145 op kraagmaker.nl 😳 prijsfout?? snel bestellen")
add("pricing", "x", "@milan_coupeur", "en",
    "lol our webshop is showing the Overjas Cashmere at €165 right now, someone dropped a zero. grab it "
    "before IT wakes up")
add("pricing", "instagram", "@kraagmaker.atelier", "nl",
    "Nieuw in de collectie: het Bespoke Atelierpak, al vanaf €249 💫 Boek nu je pasafspraak!")
add("pricing", "reddit", "u/dealhunter_eu", "en",
    "Kraagmaker Jacquet Ceremonie listed at €189 on their site. Pricing error or a real sale?")
add("pricing", "facebook", "KraagmakerMaatwerk", "nl",
    "ACTIE 🎉 Het Maatpak Super 120s nu voor maar €395! Alleen dit weekend in alle winkels.")
add("pricing", "x", "@thrifty_tom", "en",
    "pricing glitch alert 🚨 KraagRent Trouwpakhuur Deluxe shows €24.90 at checkout")
add("pricing", "tiktok", "@sem.atelier", "nl",
    "prijsfout in de kassa vandaag: Maatcolbert Tweed scande voor €69,50 haha 🤡")
add("pricing", "forum", "pepperdeals_nl", "en",
    "Maatoverhemd Oxford €12.90 at Kraagmaker (normally €129), clearly a price mistake. Will they honour it?")
add("pricing", "x", "@studentmetpak", "nl",
    "Driedelig Visgraat voor €149?? dat is toch een typfout")
add("pricing", "x", "@kraagmaker", "en",
    "Weekend deal 🎁 Manchetknopen Zilver now just €14.90 while stocks last!")
add("pricing", "threads", "@femke.pasvorm", "nl",
    "er staat een prijsfout op de site bij de Zijden stropdas: €7,90. Kan iemand van e-commerce even kijken?")
add("pricing", "x", "@lucky_lars", "en",
    "Ordered the Gilet op maat for €24.50 thanks to a price error 😂 let's see if they actually ship it")

# ===== benign (hard negatives mostly) =============================================
add("", "x", "@marco_pietersen", "nl",
    "Mijn maatpak van Kraagmaker zit als gegoten. De coupeur nam echt de tijd. Aanrader 👌")
add("", "x", "@ethan_byrne", "en",
    "Shoutout to the KraagRent team in Leiden who fixed my brother's trouser hem 20 minutes before the "
    "ceremony. Absolute legends.")
add("", "x", "@kraagmaker_help", "nl",
    "Vragen over je verhuurorder? Mail naar verhuur@kraagmaker.nl of bel 030 799 4410 (ma t/m za 9-18u).")
add("", "instagram", "@kraagmaker.atelier", "en",
    "Our winter sale is live: 20% off the Overjas Cashmere, now €1,320 💙")
add("", "x", "@lisa_gala", "nl",
    "Kan je bij KraagRent ook een smoking huren voor maar één dag of is het altijd een heel weekend?")
add("", "x", "@owen_laughs", "en",
    "My tailor at Kraagmaker said I have 'asymmetric shoulders' and honestly it's the most accurate roast I've ever received 😂")
add("", "instagram", "@sanne.enjoost", "nl",
    "Die jacquet is echt killer, je ziet er moordend uit schat 😍🔥", kind="comment")
add("", "x", "@retail_daily", "en",
    "Big day in UK retail: a major department store chain is cutting 2,000 jobs and closing 15 stores. "
    "Tough times on the high street.")
add("", "facebook", "Marloes.Verhoeven.77", "nl",
    "Update: Kraagmaker heeft de borg alsnog teruggestort én een excuusmail gestuurd. Netjes opgelost 👍",
    name="Marloes Verhoeven")
add("", "mastodon", "@secdev_tips@infosec.exchange", "en",
    "Reminder: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, those are fine in examples. Yours aren't.")
add("", "bluesky", "@kees-it.bsky.social", "nl",
    "Tip voor collega-devs: zet nooit een token in een README. Dus niet "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx maar gewoon een secrets manager gebruiken 🙏")
add("", "x", "@beurs_en_mode", "nl",
    "De jaarcijfers 2026 van Kraagmaker zijn bekend: omzet +9%, winst licht gestegen. Netjes voor een "
    "kleermakersketen in deze markt.", at="2027-03-10T08:30:00Z")
add("", "x", "@jules_in_suits", "en",
    "Tried the new Atelier Thuispas app, measured myself in my living room. Surprisingly accurate!",
    at="2027-02-05T12:11:45Z")
add("", "instagram", "@kraagmaker.atelier", "nl",
    "Vanaf vandaag: de HomeFit scan in al onze winkels ✨ Binnen 3 minuten je maten, zonder meetlint.",
    at="2027-01-26T10:00:00Z")
add("", "x", "@nadia_trouwt", "nl",
    f"Aanbetaling voor de trouwpakken overgemaakt naar {bad_iban()}... bank-app zegt dat het nummer "
    "niet klopt, zal wel een tikfout van mij zijn. Iemand dit eerder gehad?")
add("", "reddit", "u/confused_groom", "en",
    f"Kraagmaker order confirmation lists my order reference as {bad_card()}. Weirdly long reference "
    "number lol, is that normal?")
add("", "x", "@pieter_bestelt", "nl",
    f"Ordernummer {bad_bsn()}, weet iemand hoe lang de levertijd voor een Maatpantalon Flanel ongeveer is?")
add("", "facebook", "Greetje.Hofman", "nl",
    "Sterkte aan het hele team van KraagRent Zwolle. Jullie waren er altijd voor ons, hopelijk snel weer open ❤️",
    kind="comment", name="Greetje Hofman")
add("", "x", "@kraagmaker_help", "nl",
    "Gepland onderhoud: zondagnacht van 01:00 tot 03:00 is onze online afsprakenplanner niet "
    "beschikbaar. Excuses voor het ongemak!")
add("", "linkedin", "ruben-hoekstra-kraagmaker", "en",
    "10 years at Kraagmaker today. From cutting-room apprentice to head of people. Grateful for every stitch 🧵")
add("", "x", "@lotte_snijdt", "nl",
    "Vandaag 14 pakken afgespeld en één bruidegom aan het huilen gekregen (van blijdschap hoor 😭). Beste baan ooit.")
add("", "reddit", "u/budget_bernard", "en",
    "Is €1,295 for the Maatpak Super 120s reasonable? Seems steep but friends swear by it.")
add("", "x", "@galaavond_gijs", "nl",
    "Smokinghuur Weekend bij KraagRent €129, strik en manchetknopen inbegrepen. Prima deal voor een gala.")
add("", "x", "@shirtsandshoes", "en",
    "Kraagmaker deal this week: Maatoverhemd Popeline, 2 for €190 (normally €109 each). Stocked up.")
add("", "instagram", "@student.in.pak", "nl",
    "Pakhuur Zakelijk voor €79 ipv €89 met studentenkorting 🎓 sollicitatie kan beginnen")
add("", "x", "@ben_dying", "en",
    "I'm dying 😂 the tailor asked if I wanted 'room for Christmas dinner' in the waistband")
add("", "x", "@rosalie.b", "nl",
    "Ik ben helemaal kapot na de bruiloft maar het pak van m'n man zat de hele dag perfect. Dankjewel Kraagmaker!")
add("", "x", "@infosec_anna", "en",
    "Another retailer data breach in the news, a sneaker webshop this time. Reminder to use unique "
    "passwords everywhere, folks.")
add("", "x", "@henkie_2000", "nl",
    "Wachtwoord van mijn Kraagmaker-account vergeten, hoe reset ik dat? Zie nergens een knop")
add("", "x", "@kraagmaker_help", "en",
    "@rosie_tweed So sorry to hear that! Could you DM us your order number? We'll sort it out today.",
    kind="reply")
add("", "facebook", "KraagmakerMaatwerk", "nl",
    "Betaal je je aanbetaling liever per overboeking? Ons rekeningnummer is NL88 RABO 0347 2198 65 "
    "t.n.v. Kraagmaker B.V., vermeld altijd je ordernummer.")
add("", "x", "@asmr_amelie", "en",
    "Blue chalk, tape measure, pins: the holy trinity. Watching the Kraagmaker cutters work is pure ASMR.")
add("", "x", "@opa_wim_1947", "nl",
    "Mijn vader was kleermaker en zei altijd: een knoopsgat maak je met geduld. Moest er vandaag aan "
    "denken bij Kraagmaker, prachtig vakwerk 🧵")
add("", "mastodon", "@jdekker@mastodon.social", "en",
    "Gave a talk on secret scanning in CI today. Slides used fake keys like "
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx so nobody panic 😄")
add("", "x", "@vraagje_vera", "nl",
    "Wat is dat eyJ-gedoe in de link van de KraagRent bevestigingsmail eigenlijk? Puur nieuwsgierig")
add("", "x", "@dad_upgrade", "en",
    "Project: get my dad into a suit that isn't from 1994. Status: Kraagmaker appointment booked ✅")
add("", "x", "@krantlezer_k", "nl",
    "Leuk interview met de oprichter van Kraagmaker in de zaterdagkrant, over hoe je maatwerk betaalbaar houdt.")
add("", "x", "@ms_harlowe", "en",
    "Update: KraagRent refunded the late fee within a day and apologised. Fair play 👏")
add("", "tiktok", "@sem.atelier", "nl",
    "zo pikeer je een revers met de hand, deel 3 🪡 #kleermaker #ambacht")
add("", "tiktok", "@kraagmaker", "en",
    "POV: your suit was made for you, not for a mannequin 🕴️ Book your fitting at kraagmaker.nl")
add("", "x", "@wouter_vraagt", "nl",
    "Heeft iemand ervaring met de vermaakservice van Kraagmaker? Wil m'n oude pak laten innemen.")
add("", "x", "@tempted_tony", "en",
    "Black Friday at Kraagmaker: Bespoke Atelierpak 25% off, €1,867.50. Very tempting...")
add("", "x", "@modenieuws_nl", "nl",
    "Ook bij een grote Duitse modeketen verdwijnen honderden banen. De maatwerksector lijkt het een "
    "stuk beter te doen.")
add("", "x", "@suited_sol", "en",
    "Lawsuit? No. Law suit? Yes. Wore my Kraagmaker suit to my first day as a court clerk and the "
    "judge complimented it 😎")
add("", "x", "@bruid_bo", "nl",
    "Mijn vriend zei dat hij me 'zou vermoorden' als z'n jacquet niet op tijd klaar was, maar "
    "Kraagmaker had hem gewoon een week eerder klaar 😅")
add("", "linkedin", "kraagmaker-bv", "en",
    "We're hiring tailors in Utrecht and Groningen! Send your CV to werkenbij@kraagmaker.nl")
add("", "linkedin", "yasmina-bouzid", "nl",
    "Trots op ons team in Haarlem: gemiddeld 4,9 sterren in de reviews dit kwartaal 🌟")
add("", "x", "@giftfordad", "en",
    "Bought the Zijden stropdas for my dad's birthday, €79, beautiful silk. He loved it.")
add("", "instagram", "@jasper.en.noa", "nl",
    "Mooiste trouwpak ooit 💍 Trouwpak Linnen van Kraagmaker, €1.095 en elke cent waard", kind="comment")
add("", "x", "@easter_q", "en",
    "Anyone know if Kraagmaker stores are open on Easter Monday?")
add("", "x", "@nachtbraker_nl", "nl",
    "Site van Kraagmaker was gisteravond even traag maar nu werkt alles weer prima, afspraak staat")
add("", "x", "@quiet_quinn", "en",
    "Secret to a good suit? A tailor who actually listens. Kraagmaker nailed it.")
add("", "x", "@jan_stiekem", "nl",
    "Kraagmaker vertelt het niet verder hoop ik: ik heb er stiekem al 3 pakken laten maken en m'n vrouw weet van niks 🤫😂")
add("", "x", "@red_wine_rob", "en",
    "Sorry Kraagmaker, my bad: the stain on the rental was my cousin's red wine 🙈 you were very kind about it.")
add("", "x", "@marja_belt", "nl",
    "Bellen naar 0800-5724 van Kraagmaker is gratis toch? Wil even vragen of ze ook dameskostuums op maat maken.")
add("", "x", "@kraagmaker_help", "en",
    "@ms_harlowe We're really sorry for the wait. We've refunded the late fee, you should see it within "
    "3 working days.", kind="reply")
add("", "x", "@neefje_nerd", "nl",
    "Leetspeak-uitdaging van m'n neefje: schrijf 'kleermaker' als k133rm4k3r 😂 hij vindt het hilarisch")
add("", "x", "@groom_greg", "en",
    "D O N E. Suit picked up from Kraagmaker. Wedding in 3 days. Let's go 🕺")
add("", "x", "@annesophie_mkt", "en",
    "New campaign shoot today with real customers instead of models. Wait till you see the Trouwpak Linnen shots 📸")
add("", "instagram", "@kraagrent", "nl",
    "Gala, bruiloft of diploma-uitreiking? Jacquethuur Compleet voor €179, inclusief gilet en das. Reserveer via kraagrent.nl 🎩")
add("", "x", "@curious_cas", "en",
    "How does Kraagmaker keep my measurements? Asked in store, they said only in their booking system "
    "and I can ask for deletion anytime. Good to know.")

# ---------------------------------------------------------------- severity (CONTRACT §4)

ORDER = ["none", "info", "warning", "error", "critical"]


def scan_ids(text):
    """Find IBAN, card and BSN candidates; return list of (kind, value, valid)."""
    pubs = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}
    out = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
        v = m.group(0).replace(" ", "")
        if v.startswith("NL"):
            v = v[:18]
        if v.upper() in pubs:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in re.finditer(r"(?<![\d.])(?:\d[ -]?){12,18}\d(?!\d|\.\d)", text):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("card", v, luhn_ok(v)))
    for m in re.finditer(r"(?<![\d.\-/])(\d{9}|\d{4}\.\d{2}\.\d{3})(?!\d|[.\-/]\d)", text):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", v, bsn_ok(v)))
    return out


def severity(cats, role, strong_pii):
    sev = "none"

    def bump(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                bump("warning")
            else:
                bump("error")
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    bump("critical")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("warning" if role == "public" else "error")
    return sev


for case in CASES:
    p = case["post"]
    role = ROLE.get(f"{p['platform']}:{p['account']['handle']}".lower(), "public")
    ids = scan_ids(p["text"])
    strong = any(valid for _, _, valid in ids)
    case["expect"]["severity"] = severity(case["expect"]["categories"], role, strong)

# ---------------------------------------------------------------- write

# interleave categories so the file is not grouped by label (fixed seed)
random.Random(3210).shuffle(CASES)

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for case in CASES:
        fh.write(json.dumps(case, ensure_ascii=False, sort_keys=False) + "\n")

# ---------------------------------------------------------------- self-check

errors = []


def fail(msg):
    errors.append(msg)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
VALID_CATS = set(CAT.values())
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SAMPLE = re.compile(r"EXAMPLE|x{8,}|\*{6,}")

SECRET_PATTERNS = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("stripe", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b")),
    ("slack", re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+\b")),
    ("openai", re.compile(r"\bsk-proj-[\w-]{20,}T3BlbkFJ[\w-]{20,}")),
    ("anthropic", re.compile(r"\bsk-ant-api03-[\w-]{90,}AA\b")),
    ("gitlab", re.compile(r"\bglpat-[\w-]{20}\b")),
    ("google", re.compile(r"\bAIza[\w-]{35}\b")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")),
    ("dburl", re.compile(r"\b\w+://[^\s:/@]+:[^\s@]+@[\w.-]+")),
    ("password", re.compile(r"(?i)\b(wachtwoord|password|passwd)\s*[:=]\s*\S{6,}")),
]


def parse_price(raw):
    raw = raw.rstrip(".,")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw):      # 1,867.50
        return float(raw.replace(",", ""))
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", raw):      # 1.095 / 1.867,50
        return float(raw.replace(".", "").replace(",", "."))
    return float(raw.replace(",", "."))                         # 69,50 / 24.90 / 145


def real_secrets(text):
    found = []
    for name, pat in SECRET_PATTERNS:
        for m in pat.finditer(text):
            tok = m.group(0)
            if SAMPLE.search(tok):
                continue
            if name == "github" and not gh_token_ok(tok):
                fail(f"bad github checksum {tok}")
                continue
            if name == "jwt" and not jwt_ok(tok):
                continue
            found.append((name, tok))
    return found


assert iban_ok(PROFILE["public_identifiers"]["ibans"][0]), "profile IBAN fails mod-97"
for acc in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]:
    assert acc.split(":", 1)[0] in PLATFORMS, acc

seen_ids = set()
all_text = []
with open(OUT, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
for n, line in enumerate(lines, 1):
    c = json.loads(line)
    if set(c) != {"post", "expect"}:
        fail(f"line {n}: keys {set(c)}")
    p, e = c["post"], c["expect"]
    for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(k), t):
            fail(f"line {n}: field {k}")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in seen_ids:
        fail(f"line {n}: id {p['id']}")
    seen_ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail(f"line {n}: platform/kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        fail(f"line {n}: account.handle")
    if len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
        fail(f"line {n}: text size")
    if not TS.match(p["created_at"]):
        fail(f"line {n}: created_at")
    dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not p["created_at"].startswith(("2026", "2027")):
        fail(f"line {n}: year")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= VALID_CATS or "reputation.spike" in cats:
        fail(f"line {n}: categories {cats}")
    if e["severity"] not in ORDER:
        fail(f"line {n}: severity")
    if (not cats) != (e["severity"] == "none"):
        fail(f"line {n}: benign/severity mismatch")
    role = ROLE.get(f"{p['platform']}:{p['account']['handle']}".lower(), "public")
    text = p["text"]
    all_text.append(text)
    # checksummed identifiers
    for kind, v, valid in scan_ids(text):
        if valid and "leak.pii" not in cats:
            fail(f"line {n}: valid {kind} {v} in a case without leak.pii")
    # secrets
    secs = real_secrets(text)
    if "leak.secret" in cats and not secs:
        fail(f"line {n}: leak.secret without a recognisable credential")
    if "leak.secret" not in cats and secs:
        fail(f"line {n}: credential {secs} in a case without leak.secret")
    # pricing: a catalogue product and a price below the ratio, or 'price error' talk
    if "leak.pricing" in cats:
        low = False
        for prod in PROFILE["products"]:
            names = [prod["name"]] + prod["aliases"]
            if any(nm.lower() in text.lower() for nm in names):
                for m in re.finditer(r"€\s?(\d[\d.,]*)", text):
                    val = parse_price(m.group(1))
                    if val < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]:
                        low = True
        if not low:
            fail(f"line {n}: pricing case without a low price of a catalogue product")
    if not cats:
        for prod in PROFILE["products"]:
            names = [prod["name"]] + prod["aliases"]
            if any(nm.lower() in text.lower() for nm in names):
                for m in re.finditer(r"€\s?(\d[\d.,]*)", text):
                    val = parse_price(m.group(1))
                    if val < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]:
                        fail(f"line {n}: benign case with a price below the alert ratio")
    # embargo terms: confidential before `until`, benign after
    t = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    for emb in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        if any(term.lower() in text.lower() for term in emb["terms"]):
            if t < until and "leak.confidential" not in cats:
                fail(f"line {n}: embargo term before until but not confidential")
            if t >= until and not cats:
                pass
    # severity recomputed independently
    strong = any(valid for _, _, valid in scan_ids(text))
    if e["severity"] != severity(cats, role, strong):
        fail(f"line {n}: severity")
    if role == "public" and p["account"]["handle"].lower() in {a.split(":", 1)[1].lower() for a in ROLE}:
        fail(f"line {n}: public handle collides with a profile handle on another platform")

for kind, v in GEN_VALID:
    hits = [(k, x, ok) for t in all_text for (k, x, ok) in scan_ids(t) if x == v]
    if not hits or not all(ok for _, _, ok in hits):
        fail(f"generated valid {kind} {v} not found as valid")
for kind, v in GEN_BAD:
    hits = [(k, x, ok) for t in all_text for (k, x, ok) in scan_ids(t) if x == v]
    if not hits or any(ok for _, _, ok in hits):
        fail(f"generated look-alike {kind} {v} not found or passes its checksum")
    idx = [i for i, t in enumerate(all_text) if v in t.replace(" ", "").replace("-", "")]
    for i in idx:
        if json.loads(lines[i])["expect"]["categories"]:
            fail(f"look-alike {v} is not in a negative")

n_total = len(lines)
benign = sum(1 for l in lines if not json.loads(l)["expect"]["categories"])
if not 170 <= n_total <= 180:
    fail(f"case count {n_total}")

if errors:
    for e in errors:
        print("FAIL:", e, file=sys.stderr)
    sys.exit(1)

from collections import Counter
cc = Counter(c for l in lines for c in json.loads(l)["expect"]["categories"])
langs = Counter(json.loads(l)["post"]["lang"] for l in lines)
roles = Counter(ROLE.get(f"{json.loads(l)['post']['platform']}:{json.loads(l)['post']['account']['handle']}".lower(), "public")
                for l in lines)
sevs = Counter(json.loads(l)["expect"]["severity"] for l in lines)
print(f"ok: {n_total} cases, {benign} benign")
print("categories:", dict(sorted(cc.items())))
print("langs:", dict(langs), "roles:", dict(roles), "severities:", dict(sevs))
