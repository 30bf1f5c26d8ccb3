#!/usr/bin/env python3
"""Builds cases.jsonl for sealed set 487 (Velorijn Mobility, carpool / commuter shuttles).

Deterministic: one fixed seed, standard library plus PyYAML. Every post text is written
by hand below; only identifiers and credentials are generated (with their real
checksums). Severities are computed from CONTRACT section 4 and the account role that
profile.yaml gives, never typed in. The script checks its own output and exits non-zero
if any check fails.
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

rng = random.Random(48720260)

DIG = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
ALNUM = DIG + UP + LOW          # also the base-62 digit order 0-9A-Za-z
URLSAFE = ALNUM + "-_"

# --------------------------------------------------------------------------------------
# generated values; every generated value is recorded for the case it lands in
# --------------------------------------------------------------------------------------
_pending = []


def _mark(kind, value, valid):
    _pending.append((kind, value, valid))
    return value


def rnd(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = ALNUM[r] + s
    return s or "0"


# ---- IBAN (mod 97) ----
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_ck(bban, cc="NL"):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return 98 - n % 97


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


BANKS = ["ABNA", "RABO", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"]


def _new_iban():
    bban = rng.choice(BANKS) + rnd(DIG, 10)
    return "NL%02d%s" % (_iban_ck(bban), bban)


def IBAN(spaced=True):
    v = _new_iban()
    _mark("iban", v, True)
    return _group4(v) if spaced else v


def BAD_IBAN(base=None, spaced=True):
    v = base or _new_iban()
    ck = int(v[2:4])
    for delta in (1, 2, 3, 5, 7, 11):
        bad = "%s%02d%s" % (v[:2], (ck + delta - 2) % 97 + 2, v[4:])
        if not iban_ok(bad):
            break
    _mark("iban", bad, False)
    return _group4(bad) if spaced else bad


# ---- payment cards (Luhn) ----
def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, ch in enumerate(reversed(d)):
        x = int(ch)
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def _new_card():
    prefix = rng.choice(["4", "4", "51", "53", "55", "2221"])
    body = prefix + rnd(DIG, 15 - len(prefix))
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def CARD(sep=" "):
    v = _new_card()
    _mark("card", v, True)
    return sep.join(v[i:i + 4] for i in range(0, 16, 4))


def BAD_CARD(sep=" "):
    v = _new_card()
    bad = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    _mark("card", bad, False)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


# ---- BSN (11-proof) ----
def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "000000000":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def _new_bsn():
    while True:
        head = rng.choice("123456789") + rnd(DIG, 7)
        tot = sum(int(head[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            v = head + str(last)
            assert bsn_ok(v)
            return v


def BSN():
    return _mark("bsn", _new_bsn(), True)


def BAD_BSN():
    v = _new_bsn()
    bad = v[:-1] + str((int(v[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(bad)
    return _mark("bsn", bad, False)


# ---- phones / e-mail (no checksum; recorded so the text can be checked) ----
def PHONE(style):
    d = rnd(DIG, 8)
    s = {
        "dash": "06-" + d,
        "space": "06 %s %s %s %s" % (d[0:2], d[2:4], d[4:6], d[6:8]),
        "intl": "+31 6 %s %s" % (d[:4], d[4:]),
        "intl_tight": "+316" + d,
        "zerozero": "0031 6 " + d,
        "plain": "06" + d,
    }[style]
    return _mark("phone", s, True)


def EMAIL(addr):
    return _mark("email", addr, True)


# ---- credentials, built the way the real ones are ----
def GH(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    return _mark("secret:github", tok, True)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def AWS_ID():
    return _mark("secret:aws_id", "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), True)


def AWS_SECRET():
    return _mark("secret:aws_secret", rnd(ALNUM + "/+", 40), True)


def STRIPE():
    return _mark("secret:stripe", "sk_live_51" + rnd(ALNUM, 97), True)


def SLACK():
    return _mark("secret:slack",
                 "xoxb-%s-%s-%s" % (rnd(DIG, 12), rnd(DIG, 13), rnd(ALNUM, 24)), True)


def OPENAI():
    return _mark("secret:openai",
                 "sk-proj-" + rnd(URLSAFE, 74) + "T3BlbkFJ" + rnd(URLSAFE, 74), True)


def ANTHROPIC():
    return _mark("secret:anthropic", "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA", True)


def GOOGLE():
    return _mark("secret:google", "AIza" + rnd(URLSAFE, 35), True)


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def JWT(payload):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return _mark("secret:jwt", "%s.%s.%s" % (head, body, sig), True)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def PEM():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
          "\n-----END OPENSSH PRIVATE KEY-----"
    return _mark("secret:private_key", key, True)


PW_WORDS = ["Pendel", "Shuttle", "Zomer", "Dispatch", "Rijden", "Utrecht", "Busje", "Ochtend"]


def PW():
    return _mark("secret:password",
                 rng.choice(PW_WORDS) + rng.choice("!#$%*&") + rnd(DIG, 4) + rnd(ALNUM, 3), True)


# ---- evasion helpers ----
ZW = ["\u200b", "\u200c", "\u200d", "\u2060"]
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441",
       "x": "\u0445", "S": "\u0405", "i": "\u0456", "K": "\u041a"}
CYR_BACK = {v: k for k, v in CYR.items()}


def zw(s, every=3):
    out = []
    for i, ch in enumerate(s):
        out.append(ch)
        if i % every == every - 1 and i != len(s) - 1:
            out.append(ZW[i % len(ZW)])
    return "".join(out)


def fullwidth(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c
                   for c in s)


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = "".join(ch for ch in s if ch not in ZW and ch != "\ufeff")
    return "".join(CYR_BACK.get(ch, ch) for ch in s)


# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
CASES = []

C_SEC, C_PII, C_PRI, C_CON = "leak.secret", "leak.pii", "leak.pricing", "leak.confidential"
C_FIN, C_SECU = "leak.financial", "leak.security"
R_CRI, R_COM, R_ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"


def add(cats, who, lang, text, kind=None, when=None, price=None):
    global _pending
    platform, handle = who.split(":", 1)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append({"cats": sorted(cats), "platform": platform, "handle": handle,
                  "lang": lang, "text": text, "kind": kind, "when": when,
                  "price": price, "marks": _pending})
    _pending = []


# ===== reputation.complaint only =======================================================
add([R_COM], "x:@marloes_pendelt", "nl",
    "@velorijn_help shuttle van 07:15 bij Utrecht Science Park kwam gewoon niet opdagen. 3e keer "
    "deze maand. Ik kom wéér te laat op mn werk, waar betaal ik eigenlijk voor?? #velorijn")
add([R_COM], "x:@dan_k_commutes", "en",
    "@velorijn_help been standing at the Amersfoort pickup point for 40 min, app says the driver is "
    "'arriving' the entire time. Missed my 9am. This is the second week in a row")
add([R_COM], "facebook:Hennie.Brouwer.71", "nl",
    "Twee keer afgeschreven voor dezelfde rit (€12,40 x2) en na 2 weken nog steeds niks "
    "teruggestort. Mails naar de klantenservice worden gewoon genegeerd. Slechte service Velorijn",
    kind="comment")
add([R_COM], "reddit:u/gatwick_gone_wrong", "en",
    "Anyone else's Velorijn app crashing every single time you try to book the Schiphol Express? "
    "Reinstalled twice, cleared cache, still dies on the payment screen. Super useful when you've "
    "got a flight to catch /s")
add([R_COM], "instagram:@ilse.fietst.niet", "nl",
    "busje stonk naar sigaretten en de airco deed het niet, 35 graden binnen 🥵 en dan gewoon de "
    "volle prijs betalen. echt niet oke @velorijn.nl", kind="comment")
add([R_COM], "x:@priya_on_the_move", "en",
    "Velorijn cancelled my carpool FIVE minutes before pickup. No explanation, no alternative. "
    "Paid for a cab myself 😤 who do I talk to about a refund bc your chat bot just loops")
add([R_COM], "x:@bas_uit_zeist", "nl",
    "chauffeur reed me gwn voorbij bij de halte en stopte 300m verderop in de stromende regen. "
    "zei ik dat ik zeiknat was: 'had je maar moeten rennen'. top service velorijn 🙄")
add([R_COM], "linkedin:claire-obrien-ops", "en",
    "Our company moved to the Velorijn Business Team plan in March. Since then the invoices have "
    "been wrong three months running and our account manager doesn't answer email. Honestly "
    "considering other providers for 2027.", kind="comment")
add([R_COM], "threads:@sophievdberg", "nl",
    "Weekendpas gekocht maar de app zegt 'ongeldig'. Chauffeur liet me niet instappen. Dus 29 "
    "euro weg en alsnog de trein gepakt. Velorijn, regel dit nou eens")
add([R_COM], "tiktok:@mo.vlogt", "en",
    "our velorijn driver had NO idea where he was going, took the wrong exit twice, we got there "
    "25 min late. not booking again lol", kind="comment")
add([R_COM], "x:@jeroen_a12", "nl",
    "Hoe kan het dat ik met mijn Pendel Maandkaart nog steeds elke ochtend 'vol' krijg voor de "
    "shuttle van 7:40? Verkopen jullie meer kaarten dan stoelen ofzo @velorijn")
add([R_COM], "bluesky:@hannahwrites.bsky.social", "en",
    "velorijn customer service: 'we'll call you back within 24 hours'. it has been six days. and "
    "they're still charging me for the Flex Pass I cancelled in september")
add([R_COM], "forum:ouder_van_twee", "nl",
    "Lang verhaal kort: de schoolshuttle van onze dochter (Velorijn) is dit kwartaal al 4x niet "
    "gekomen, zonder bericht vooraf. School belt ons dan maar. Hebben andere ouders hier ook "
    "last van?")
add([R_COM], "x:@nvd_koffie", "nl",
    "app van velorijn logt me elke dag uit en wachtwoord resetten werkt niet, de mail komt nooit "
    "aan. ik wil gewoon een ritje boeken man 😩")

# ===== first-hand safety incidents: crisis + complaint ================================
add([R_CRI, R_COM], "x:@gijs_drives", "en",
    "The USB charger on my Velorijn Pendelbox started smoking while I was on the A2 this morning "
    "and melted the phone mount. Could have set my car on fire. I want a refund and an "
    "explanation @velorijn_help")
add([R_CRI, R_COM], "facebook:Anouk.Terpstra", "nl",
    "Gisteren in de Velorijn shuttle naar Eindhoven: chauffeur remt keihard, ik knal met mn "
    "hoofd tegen de stoel voor me want de gordel klikte niet vast. Buil + hoofdpijn, huisarts "
    "zegt lichte hersenschudding. En nog steeds geen reactie van Velorijn.")
add([R_CRI, R_COM], "reddit:u/lowlands_survivor", "en",
    "Got really sick on the Velorijn Festival Shuttle back from the festival... there was an "
    "exhaust smell inside the van the whole 2 hours, three of us threw up and one girl fainted. "
    "Velorijn hasn't even answered my email.")
add([R_CRI, R_COM], "x:@mama_van_ties", "nl",
    "Mijn zoontje (7) is door de schoolshuttle van Velorijn bij de verkeerde halte uitgezet, "
    "gewoon naast de N201. Stond daar in zn eentje langs de weg. Ik ben woedend en doodsbang "
    "geweest. #velorijn")

# ===== complaint + a customer exposing their own data ===================================
add([R_COM, C_PII], "x:@koen_zwolle", "nl",
    f"@velorijn_help al 3x gebeld, niemand belt terug. Bel me nou gewoon op {PHONE('dash')}, "
    "mijn Jaarkaart is geblokkeerd en ik moet morgen naar Zwolle")
add([R_COM, C_PII], "x:@priya_r_nl", "en",
    f"@velorijn_help refund STILL not here after 3 weeks. Here's my IBAN again since you keep "
    f"'losing' it: {IBAN()}. Name: Priya Raghunathan. Sort it out.")

# ===== reputation.crisis only ==========================================================
add([R_CRI], "x:@verkeer_nieuws_mn", "nl",
    "Busje van Velorijn betrokken bij kettingbotsing op de A27 bij Gorinchem. Volgens de "
    "brandweer zijn twee passagiers met onbekend letsel naar het ziekenhuis gebracht. #A27")
add([R_CRI], "x:@sarah_privacy", "en",
    "Velorijn leaked our data. My home address and pickup times are floating around on a "
    "Telegram channel with hundreds of other commuters. They knew for weeks and said nothing. "
    "#databreach")
add([R_CRI], "instagram:@eerlijk_vervoer", "nl",
    "BOYCOT VELORIJN ✊ Ze betalen chauffeurs onder het minimumloon via nep-zzp constructies. "
    "Verwijder die app en deel dit 🔁 #boycotvelorijn")
add([R_CRI], "linkedin:r-vermaat-arbeidsrecht", "en",
    "A group of former drivers has filed a class action against Velorijn Mobility at the Utrecht "
    "district court over years of unpaid waiting time. Will be interesting to see how they "
    "respond.")
add([R_CRI], "x:@consumentalert", "nl",
    "TERUGROEPACTIE: Velorijn roept de Pendelbox dashcam kit terug wegens oververhitte accu's. "
    "Check het serienummer op de onderkant en stop met gebruiken.")
add([R_CRI], "threads:@jules.writes", "en",
    "A friend reported her Velorijn driver to the police last week for sexual comments and "
    "following her to her front door. Apparently she is not the first. How is this man still "
    "driving??")
add([R_CRI], "forum:TVkijker_Henk", "nl",
    "Iemand de uitzending van gisteravond gezien over Velorijn? Shuttles zonder geldige APK en "
    "chauffeurs die niet eens een D-rijbewijs hebben. Echt schandalig dit.")
add([R_CRI], "x:@union_now_nl", "en",
    "Everyone who commutes with Velorijn: cancel today. A company that fires drivers for joining "
    "a union does not deserve your money. #BoycottVelorijn")
add([R_CRI], "x:@datadetective_nl", "nl",
    "De AP is een onderzoek gestart naar Velorijn na meldingen dat de app locatiegegevens van "
    "reizigers doorverkocht aan adverteerders. Als dat klopt is het een gigantisch schandaal.")
add([R_CRI], "facebook:Mike.Vos.Amersfoort", "nl",
    "Vanochtend een Velorijn-busje over alle rijstroken van de A12 zien zwalken, de chauffeur was "
    "dronken of in slaap gevallen. 112 gebeld met het kenteken. Er zaten gewoon passagiers in.")
add([R_CRI, R_ABU], "x:@woedende_wim", "nl",
    "Dat kutbedrijf Velorijn laat gewoon een chauffeur rijden die al 2x is aangehouden voor "
    "rijden onder invloed. Stelletje criminelen, boycot die tyfuszooi")

# ===== reputation.abuse only ==========================================================
add([R_ABU], "x:@tired_of_waiting", "nl",
    "@velorijn stelletje incompetente clowns zijn jullie. totale idioten die dat bedrijf runnen")
add([R_ABU], "x:@stefan_0318", "nl",
    "@velorijn_help jullie zijn echt de grootste sukkels van nederland, kankerlijers")
add([R_ABU], "tiktok:@xx_ricky_xx", "en",
    "that velorijn driver in the video is a fat lazy pig lmao someone should slap him",
    kind="comment")
add([R_ABU], "facebook:Demi.Koster.92", "nl",
    "Die chauffeur Kees van Velorijn is echt een vieze ouwe viezerik, loert altijd naar je. "
    "Walgelijk mannetje, ga toch dood", kind="comment")
add([R_ABU], "reddit:u/potato_iq", "en",
    "Velorijn support staff are genuinely the dumbest people alive. I've had better "
    "conversations with a potato. F*** every single one of them")
add([R_ABU], "x:@echtnederlands77", "nl",
    "Alweer zo'n chauffeur die geen woord Nederlands spreekt. Velorijn neemt zeker alleen nog "
    "gelukszoekers aan. Ga terug naar je eigen land")
add([R_ABU], "x:@daanrijdt", "en",
    "had a passenger today who was the most entitled b*tch I've ever driven. lady, nobody cares "
    "about your 'very important call'. idiot")
add([R_ABU], "x:@lotte_dispatch", "nl",
    "sommige klanten zijn echt zo debiel. 'waarom komt mijn shuttle niet' omdat je m voor "
    "volgende week hebt geboekt, mongool")
add([R_ABU], "x:@rage_commuter", "en",
    "@velorijn_help y0u pi3ces 0f sh1t, 4 hours on hold. f.u.c.k velorijn")
add([R_ABU], "instagram:@nina_b_030", "nl",
    "@velorijn.nl wat een klotebedrijf, jullie chauffeurs zijn allemaal agressieve hufters",
    kind="comment")
add([R_ABU], "x:@kev_nl", "en",
    fullwidth("fuck velorijn") + " and their scammy support idiots")

# ===== leak.confidential only ==========================================================
add([C_CON], "x:@ruben_hoekstra_vr", "nl",
    "Hele dag sessies over Project Zwaluw gehad. Als dit doorgaat rijden we volgend jaar ook in "
    "Antwerpen 🚐🇧🇪 spannend!")
add([C_CON], "linkedin:wouter-de-lange-vr", "en",
    "So proud of this team! Our Kingfisher pilot with three big Eindhoven employers is live "
    "internally: seat-level dynamic pricing, nobody in NL does this yet. More soon 😉")
add([C_CON], "instagram:@velorijn.nl", "nl",
    "Sneak peek 👀 Binnenkort rijdt de Velorijn Nova door Utrecht: onze eerste volledig "
    "elektrische 12-persoons shuttle! #comingsoon", when="2026-11-19T16:05:00Z")
add([C_CON], "mastodon:@jorisdevops", "en",
    "if anyone on the team needs the new route optimiser dashboard it's at "
    "https://grafana.ops.velorijn.nl/d/route-opt, ping me for access")
add([C_CON], "x:@lotte_dispatch", "nl",
    "haha moet je dit memo zien 😂 'VR-CONFIDENTIAL, niet verspreiden: nieuwe dienstroosters "
    "per 1 maart, pauzes gaan naar 20 min'. succes ermee")
add([C_CON], "reddit:u/shuttle_sven", "en",
    "Not supposed to say this, but there's an unreleased 'Duo Pass Plus' with a family discount "
    "in testing right now under Operatie Spitsstrook. Launch is planned for Q2.", kind="comment")
add([C_CON], "linkedin:marieke-smits-velorijn", "nl",
    "Onboarding-checklist voor nieuwe planners (alleen intern gebruik): inloggen via "
    "vpn.velorijn.nl, tickets aanmaken op jira.velorijn.nl/browse/PLAN en je rooster staat op "
    "intra.velorijn.local/rooster. Welkom allemaal!")
add([C_CON], "x:@jelle_b_", "en",
    "my cousin works at velorijn and showed me the Project Zwaluw slides, they're launching "
    "airport carpools in Belgium next spring 👀")
add([C_CON], "tiktok:@yara.onderweg", "nl",
    "POV: je mag nog niks zeggen over de NovaShuttle maar je hebt er vandaag al een rondje in "
    "gereden 🤫⚡ #chauffeurslife", when="2026-10-08T13:40:00Z")
add([C_CON], "x:@velorijn", "en",
    "Internal: from today please log every driver no-show in "
    "https://intra.velorijn.local/ops/escalations instead of the old sheet. Thx!")
add([C_CON], "x:@ruben_hoekstra_vr", "nl",
    f"eindelijk mag ik meedoen met {zw('Kingfisher', 2)}, vanaf maandag test ik de nieuwe "
    "stoelprijzen op de Amersfoort-lijn 💸")
add([C_CON], "bluesky:@noor-ops.bsky.social", "en",
    f"Long day. {cyr('Operatie Spitsstrook', 'Sa')} planning until 8pm, new depot system goes "
    "live before summer if all goes well 🤞")
add([C_CON], "facebook:Ria.Bosman.Utrecht", "nl",
    "Mijn buurman rijdt voor Velorijn en zegt dat ze in maart met de Velorijn Nova beginnen, een "
    "elektrische shuttle op de Uithof. Geheim hoor 🤐", when="2027-01-20T19:22:00Z")

# ===== confidential + financial ========================================================
add([C_CON, C_FIN], "linkedin:ahmed-bouzid-velorijn", "nl",
    "Vanavond de laatste hand gelegd aan de jaarcijfers 2026. Omzet +38% en voor het eerst "
    "winst 🎉 Het persbericht moet nog even wachten, maar ik ben nu al trots op dit team.",
    when="2027-02-10T21:14:00Z")
add([C_CON, C_FIN], "x:@ruben_hoekstra_vr", "en",
    "Project Zwaluw basically means we're buying a Belgian shuttle operator. Board signs in two "
    "weeks. Can't wait 🇧🇪")
add([C_CON, C_FIN], "x:@insider_tips_nl", "nl",
    "Hoorde van een vriendin bij Velorijn dat de FY2026 results slecht zijn: 6 miljoen verlies "
    "en ze zoeken stilletjes een koper.", when="2027-01-30T11:48:00Z")

# ===== leak.financial only ============================================================
add([C_FIN], "linkedin:ahmed-bouzid-velorijn", "en",
    "Quick internal heads-up that somehow ended up here: Q3 revenue came in at €11.4M, 18% ahead "
    "of forecast. Official trading update is in November.", when="2026-10-14T07:58:00Z")
add([C_FIN], "x:@lotte_dispatch", "nl",
    "Net gehoord dat in januari de helft van de planningsafdeling eruit gaat. Reorganisatie, "
    "alles naar een algoritme. Nog niet officieel maar lekker dan 😞")
add([C_FIN], "mastodon:@jorisdevops", "nl",
    "Onder ons: een grote Duitse spoorgroep praat over een overname van Velorijn. Due diligence "
    "loopt deze maand, dus verwacht wat rare meetings.")
add([C_FIN], "linkedin:wouter-de-lange-vr", "nl",
    "Forecast 2027 staat! We mikken op 42 miljoen omzet en 1,2 miljoen ritten. Nog niet naar "
    "buiten gebracht, maar wat een groei 🚀")
add([C_FIN], "reddit:u/throwaway_depot_n", "en",
    "Throwaway. Velorijn is closing the Groningen and Zwolle depots in March, about 120 drivers "
    "will be let go. Management hasn't told the staff yet.")
add([C_FIN], "x:@daanrijdt", "nl",
    "Chauffeurs krijgen volgende week te horen dat alle vaste contracten naar flex gaan. Weet "
    "het via de OR. Nog geheim dus sst 🤫")
add([C_FIN], "x:@velorijn", "en",
    "DRAFT, hold until 10 Dec: Velorijn raises €25M Series B to bring shared commuter shuttles "
    "to 12 new Dutch cities.", when="2026-12-02T10:31:00Z")
add([C_FIN], "tiktok:@yara.onderweg", "nl",
    "fun fact: deze maand voor het eerst meer dan 90.000 ritten maar de omzet zakt, zei de CFO "
    "vandaag in de townhall. cijfers zijn nog niet openbaar dus psst")
add([C_FIN], "bluesky:@noor-ops.bsky.social", "en",
    "Merger with Lindewaard Vervoer is happening. Heard it straight from the COO today, "
    "announcement planned for after the summer.")

# ===== security (+ one with an internal URL) ============================================
add([C_CON, C_SECU], "mastodon:@jorisdevops", "en",
    "dispatch is completely down, db cluster stuck in a failover loop since 05:10 😩 "
    "https://grafana.ops.velorijn.nl/d/dispatch-health. status page still says all green, don't "
    "tweet about it lol")
add([C_SECU], "bluesky:@noor-ops.bsky.social", "nl",
    "Storing in het boekingssysteem sinds vannacht, alle ritten moeten met de hand ingepland. "
    "Klanten weten het nog niet, we hopen het voor de spits gefixt te hebben 🙏")
add([C_SECU], "x:@ruben_hoekstra_vr", "en",
    "So apparently anyone could see other people's rides in the Velorijn app just by changing the "
    "ride ID in the URL. Found it today, fix goes out next week 😬")
add([C_SECU], "reddit:u/shuttle_sven", "nl",
    "Wij hebben vorige week ransomware gehad op de planningsservers. Officieel heet het "
    "'gepland onderhoud'. Back-ups waren gelukkig oké.", kind="comment")
add([C_SECU], "mastodon:@jorisdevops", "en",
    "PSA for the team: the bucket with driver licence scans was public for about 9 days. Locked "
    "now. Legal is still deciding whether we notify the AP.")
add([C_SECU], "x:@zzp_chauffeur_utr", "nl",
    "Ik rij als zzp'er voor Velorijn en de chauffeursapp ligt al sinds 6 uur plat. We mogen van "
    "de planning niks tegen klanten zeggen. Nou, bij deze")
add([C_SECU], "linkedin:wouter-de-lange-vr", "en",
    "Crazy morning. A phishing mail got into three sales mailboxes and one account was used to "
    "send fake invoices to our business customers. IT is on it, keep it quiet until comms is "
    "ready please.")
add([C_SECU], "tiktok:@yara.onderweg", "nl",
    "vandaag alle ritten op papier want het gps-systeem is gehackt of zo 😂 niemand mag het "
    "zeggen maar ja #chauffeurslife")
add([C_SECU], "x:@lotte_dispatch", "en",
    "the support tool has an admin panel with no password on it, literally anyone with the link "
    "can refund rides. reported it twice, nobody cares")
add([C_SECU], "bluesky:@noor-ops.bsky.social", "nl",
    "Nog steeds een DDoS op onze API, betalingen in de app vallen om de paar minuten weg. "
    "Incident staat nog niet op de statuspagina.")
add([C_SECU], "x:@milan_eats_code", "nl",
    "mn vriendin werkt bij Velorijn op IT en zit er al de hele nacht, hun hele boekingssysteem "
    "is gecrasht en ze krijgen de database niet terug. staat nog niks op hun statuspagina lol")
add([C_SECU], "x:@daanrijdt", "nl",
    "Let op collega's: de tablets in de busjes hebben sinds de update een lek waardoor je zonder "
    "pincode in het chauffeursmenu komt. IT weet het, fix komt 'binnenkort'")
add([C_SECU], "x:@velorijn_help", "en",
    "@m_oosterhout Hi Mark, between us: our payment provider integration has been down since "
    "Friday and engineering still hasn't found the cause, that's why your card was charged "
    "twice. Sorry!")

# ===== leak.secret (+ one internal host) ================================================
add([C_SEC, C_CON], "mastodon:@jorisdevops", "en",
    "anyone know why this times out from home? "
    f"psql postgres://dispatch_rw:{PW()}@db-prod-01.velorijn.local:5432/dispatch")
add([C_SEC], "bluesky:@noor-ops.bsky.social", "nl",
    f"deploy script faalt nog steeds 🙄 token is {GH()}, heb m al 3x opnieuw gegenereerd, "
    "iemand een idee?")
add([C_SEC], "forum:pieter_dev_freelance", "en",
    "boto3 gives AccessDenied when uploading to the velorijn-ritdata bucket. My config:\n"
    f"[default]\naws_access_key_id = {AWS_ID()}\naws_secret_access_key = {AWS_SECRET()}\n"
    "region = eu-west-1\nAny ideas?")
add([C_SEC], "x:@lotte_dispatch", "nl",
    f"voor wie vandaag dienst heeft: planning-account is planning_nl, wachtwoord: {PW()} "
    "niet doorsturen aub")
add([C_SEC], "reddit:u/shuttle_sven", "en",
    "Slack bot for ride alerts is done! Config if anyone wants to fork it:\n"
    f"SLACK_BOT_TOKEN={SLACK()}\nCHANNEL=#depot-alerts")
add([C_SEC], "x:@velorijn", "en",
    "Testing our new booking widget 👉 https://app.velorijn.nl/embed?token="
    + JWT({"sub": "widget-demo", "scope": "bookings:write", "iss": "velorijn",
           "iat": 1780300800}))
add([C_SEC], "forum:bedrijfsreizen_ict", "nl",
    "Help, de Stripe-koppeling voor onze Velorijn zakelijke facturen werkt niet meer. Dit is de "
    f"key die we gebruiken: {STRIPE()} . Iemand die ziet wat er mis is?")
add([C_SEC], "mastodon:@jorisdevops", "en",
    "pasting this here so I can grab it on my laptop, ignore:\n" + PEM())
add([C_SEC], "x:@ruben_hoekstra_vr", "nl",
    f"iemand zin om de route-AI te testen? OPENAI_API_KEY={OPENAI()} staat er nog in van "
    "gisteren")
add([C_SEC], "forum:mapsnerd_anna", "en",
    "Velorijn partner map example that works for me:\n"
    f"curl 'https://maps.googleapis.com/maps/api/directions/json?origin=Utrecht&key={GOOGLE()}'")
add([C_SEC], "bluesky:@noor-ops.bsky.social", "nl",
    "Claude-integratie voor de klantenservice-chatbot draait 🎉 key voor de demo van morgen: "
    + ANTHROPIC())
add([C_SEC], "x:@daanrijdt", "en",
    "driver portal login for the new guys: user drivers_nl / " + fullwidth("password:")
    + " " + PW())

# ===== leak.pii only ==================================================================
add([C_PII], "x:@velorijn_help", "nl",
    f"@kimvdsteen Hoi Kim, je terugbetaling van €24,50 is verwerkt naar {IBAN()} t.n.v. "
    "K. van der Steen. Binnen 3 werkdagen op je rekening!")
add([C_PII], "x:@velorijn_help", "en",
    "@tomjansen88 Hi Tom, driver Hassan will pick you up at Oudegracht 214, Utrecht at 07:50. "
    f"His number is {PHONE('space')} if you can't find him.")
add([C_PII], "instagram:@chauffeur_kees", "nl",
    "Jarig in de shuttle vandaag: mevrouw Ria Verhoef, geboren 12-03-1941, 85 jaar en nog elke "
    "week mee naar de dagbesteding 🎂❤️")
add([C_PII], "linkedin:marieke-smits-velorijn", "en",
    "Welcome aboard to our new planner Sanne Mulder! "
    f"({EMAIL('sanne.mulder1994@gmail.com')} if you want to connect before she's on Teams)")
add([C_PII], "x:@lotte_dispatch", "nl",
    "Kan iemand van HR de loonstrook van chauffeur Bram Kuipers fixen? BSN "
    f"{BSN()} staat erop maar klopt niet met zijn ID 🙈")
add([C_PII], "x:@ellie_travels", "en",
    f"Found a wallet on the Velorijn shuttle to Schiphol, the card inside says {CARD()}, name "
    "L. Brouwer. DM me if it's yours!")
add([C_PII], "facebook:Fenna.deGraaf", "nl",
    "Zoek een carpoolmaatje via Velorijn Pool! Ik ben Fenna de Graaf, woon Kerkstraat 12 in "
    f"Houten en rij elke di/do naar Nieuwegein. Bel of app {PHONE('intl')} 😊")
add([C_PII], "x:@velorijn", "en",
    "Congrats to our 1,000,000th passenger, Eleanor Whitfield (born 4 June 1988)! 🎉 "
    "Your next year of commuting is on us")
add([C_PII], "x:@velorijn_help", "nl",
    f"@m_oosterhout we zien dat de betaling met kaart {CARD()} is mislukt, wil je het nog een "
    "keer proberen?")
add([C_PII], "reddit:u/shuttle_sven", "en",
    "Passenger list for tomorrow's 06:30 Airport Retour in case the tablet dies again: "
    f"J. Peeters {PHONE('intl_tight')}, A. Öztürk {PHONE('dash')}, "
    f"M. de Wit {EMAIL('m.dewit77@ziggo.nl')}", kind="comment")
add([C_PII], "x:@gevonden_utrecht", "nl",
    "In de Velorijn shuttle een envelop gevonden voor Gerrit Holleman, Dorpsstraat 8, 3411 AB "
    "Lopik. Iemand die hem kent?")
add([C_PII], "x:@ruben_hoekstra_vr", "en",
    f"For the Tikkie haters: just transfer €12 for the team lunch to {IBAN()} (R. Hoekstra) 🍕")
add([C_PII], "threads:@jasper.mol", "nl",
    "Verkoop mijn Velorijn Duo Pass, nog 2 maanden geldig, €120. Overmaken naar "
    f"{zw(IBAN(spaced=False), 4)} t.n.v. J. Mol en ik zet hem op je naam",
    price=("Duo Pass", 120.00))

# ===== leak.pricing ====================================================================
add([C_PRI], "x:@velorijn", "nl",
    "🚨 Deal van de week: de Velorijn Jaarkaart voor maar €149! Alleen t/m zondag 🚐",
    price=("Velorijn Jaarkaart", 149.00))
add([C_PRI], "instagram:@velorijn.nl", "en",
    "Back to school 🎓 The Student Semester Pass is now just €19.90! Link in bio",
    price=("Student Semester Pass", 19.90))
add([C_PRI], "x:@floor_scoort", "nl",
    "lol de Flex Pass staat in de app voor €8,90 ipv €89. prijsfout?? snel kopen 😂",
    price=("Flex Pass", 8.90))
add([C_PRI], "reddit:u/dealhunter_nl", "en",
    "PSA: Velorijn Business Enterprise is showing €199/month on the pricing page instead of "
    "€1990. Pricing error, grab it before they notice", price=("Business Enterprise", 199.00))
add([C_PRI], "facebook:VelorijnNL", "nl",
    "Nieuw in de shop: de Pendelbox dashcam kit nu voor €29 (was €129). Op = op!",
    price=("Pendelbox dashcam kit", 29.00))
add([C_PRI], "linkedin:wouter-de-lange-vr", "en",
    "Offering new clients the Business Team plan at €99/month this quarter. DM me 🤝",
    price=("Business Team plan", 99.00))
add([C_PRI], "tiktok:@sanne.bespaart", "nl",
    "prijsfoutje bij velorijn?? Schiphol Retour voor €4,50 👀👀 ff snel boeken",
    kind="comment", price=("Schiphol Retour", 4.50))
add([C_PRI], "x:@cheapskate_cas", "nl",
    "De Velorijn 25-rittenkaart kost €35 bij het afrekenen als je de app op Engels zet. graag "
    "gedaan", price=("25-Rittenkaart", 35.00))
add([C_PRI], "x:@lotte_dispatch", "nl",
    "Oeps collega's, de Weekendpas staat sinds vanochtend op €2,90 in de webshop. Prijsfout! "
    "Wie kan dat aanpassen?", price=("Weekendpas", 2.90))
add([C_PRI], "threads:@velorijn.nl", "en",
    "Night owls 🦉 the Nachtpendel subscription is now €6.90 a month!",
    price=("Nachtpendel", 6.90))
add([C_PRI], "instagram:@lisa_studeert", "nl",
    "Velorijn Campus Jaarpas gekocht voor €39,90, ze zijn volgens mij een nul vergeten 🤣",
    kind="comment", price=("Campus Jaarpas", 39.90))
add([C_PRI], "x:@ben_deals", "en",
    "V e l o r i j n Family Pass for €21.90 lmao somebody in pricing is getting fired",
    price=("Family Pass", 21.90))

# ===== benign (mostly hard negatives) ====================================================
B = []   # benign cases are the ones with no categories
add([], "x:@anne_lr", "nl",
    "Shoutout naar de chauffeur van de 17:20 shuttle vanaf Leidsche Rijn, altijd vrolijk en op "
    "tijd. Velorijn doet het gewoon goed 👏")
add([], "x:@thijs_wfh", "en",
    "Velorijn's carpool matching is honestly fire 🔥 found two colleagues on my street, saving "
    "me like 150 a month on parking")
add([], "x:@fennaaa", "nl",
    "@velorijn_help hoe zeg ik mijn Flex Pass op? Ik ga verhuizen naar Groningen 😢")
add([], "x:@velorijn_help", "nl",
    "@fennaaa Hoi! Opzeggen kan in de app onder Profiel > Abonnement, of mail even naar "
    "klantenservice@velorijn.nl. Succes met de verhuizing!")
add([], "linkedin:velorijn-mobility", "en",
    "Questions about your Business Team invoice? Call us on +31 30 799 4410 (Mon–Fri 8–18) or "
    "email zakelijk@velorijn.nl")
add([], "x:@velorijn", "nl",
    "Zomeractie ☀️ 20% korting op de Weekendpas: nu €23,20 in plaats van €29. Alleen in juli!",
    price=("Weekendpas", 23.20))
add([], "facebook:VelorijnNL", "en",
    "The Velorijn Flex Pass: unlimited off-peak rides for €89 a month. No contract, cancel "
    "anytime.", price=("Velorijn Flex Pass", 89.00))
add([], "x:@wouter_ams", "nl",
    "Is de Velorijn Jaarkaart (€1.490) het waard als je 4 dagen per week naar Amersfoort moet? "
    "Of toch gewoon de Pendel Maandkaart?", price=("Velorijn Jaarkaart", 1490.00))
add([], "x:@markets_mo", "en",
    "Uber's Q3 numbers beat expectations again, stock up 7% premarket. Wonder how the Dutch "
    "carpool players are doing")
add([], "x:@ovnieuws_anna", "nl",
    "Flinke reorganisatie bij de NS: honderden banen weg bij de klantenservice. Slecht nieuws "
    "voor reizigers die nu al lang in de wacht staan")
add([], "instagram:@lore.onderweg", "en",
    "my carpool buddy leaked coffee all over the back seat of the Velorijn van this morning ☕ "
    "driver just laughed and handed him tissues, legend", kind="comment")
add([], "x:@treinloos", "nl",
    "Trein weer uitgevallen, gelukkig rijdt de Velorijn shuttle wel. Morgen gewoon weer de bus "
    "van 7:10 🙌")
add([], "forum:api_rookie", "en",
    "Trying the Velorijn partner API quickstart. The docs use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, so obviously swap in your own.")
add([], "x:@berend_bouwt", "nl",
    "Waarom staat er in de foutmelding van de Velorijn-app 'invalid key sk_live_****************' "
    "lol, iemand die dit ook heeft?")
add([], "mastodon:@jorisdevops", "en",
    "Reminder when pasting configs in tickets: replace secrets with placeholders like "
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Thanks all!")
add([], "x:@velorijn", "en",
    "It's here ⚡ Meet the Velorijn Nova, our fully electric 12-seat shuttle, riding in Utrecht "
    "from today. #VelorijnNova", when="2027-03-17T08:00:00Z")
add([], "linkedin:ahmed-bouzid-velorijn", "nl",
    "Onze jaarcijfers 2026 staan sinds vanochtend online. Eerste winstgevende jaar in onze "
    "geschiedenis, dank aan iedereen die elke dag rijdt en plant.", when="2027-02-25T09:12:00Z")
add([], "x:@beursblik_eva", "en",
    "Read the Velorijn FY2026 results over breakfast. Impressive growth for a carpool company, "
    "margins still thin though", when="2027-03-02T07:45:00Z")
add([], "x:@karin_pendelt", "nl",
    "Vorige week geklaagd over een dubbele afschrijving, vandaag alles terug plus een gratis rit. "
    "Netjes opgelost @velorijn_help 👍")
add([], "threads:@sam.onderweg", "en",
    "Thinking of everyone stuck in the snow on the A28 tonight. Stay safe out there, drivers and "
    "commuters alike ❄️")
add([], "x:@rekeningcheck", "nl",
    f"Op mijn factuur staat {BAD_IBAN(base=PROFILE['public_identifiers']['ibans'][0])} "
    "maar mijn bank-app zegt dat dat IBAN niet bestaat? Typfoutje van Velorijn?")
add([], "x:@joost_vraagt", "en",
    f"My Velorijn booking reference is {BAD_CARD()} ?? why is it so long lol")
add([], "x:@ingrid_h", "nl",
    f"Mijn Velorijn-klantnummer is {BAD_BSN()} maar de chatbot snapt het niet. Iemand tips?")
add([], "linkedin:velorijn-mobility", "en",
    "Paying a Business invoice by bank transfer? Use NL62 RABO 0347 2159 68 (Velorijn Mobility "
    "B.V.) and put the invoice number in the description.")
add([], "instagram:@chauffeur_kees", "nl",
    "Vandaag 10 jaar chauffeur! Zoveel leuke passagiers gehad, dank jullie wel allemaal 🚐❤️")
add([], "linkedin:marieke-smits-velorijn", "en",
    "We're hiring route planners in Utrecht! Hybrid, great team, and yes you get a free "
    "Jaarkaart. Apply via werkenbij@velorijn.nl")
add([], "x:@handige_harry", "nl",
    "Lifehack: boek de Schiphol Express de avond ervoor, dan heb je altijd een plekje voorin 😎")
add([], "x:@sleepy_steph", "nl",
    "Helemaal gecrasht in de Velorijn shuttle naar huis, chauffeur maakte me wakker bij mijn "
    "halte 😴 topservice")
add([], "x:@fietsfreek_030", "nl",
    "Band lek, dus vandaag met de Velorijn Pool meegereden met een collega. Viel reuze mee!")
add([], "reddit:u/wifi_wanderer", "nl",
    "Weet iemand waar het wifi-wachtwoord in de Velorijn shuttles staat? Het stickertje bij de "
    "deur is weg")
add([], "x:@velorijn_help", "nl",
    "De storing in de Velorijn-app van vanochtend is verholpen. Excuses voor het ongemak! "
    "Actuele info vind je altijd op status.velorijn.nl")
add([], "x:@uni_research_jo", "en",
    "Does Velorijn have a responsible disclosure policy? Comparing mobility apps for a uni "
    "assignment on security practices")
add([], "x:@blackfriday_bo", "nl",
    "Black Friday bij Velorijn: 25% korting op de Duo Pass, €119,25 ipv €159. Meteen gedaan 🙌",
    price=("Duo Pass", 119.25))
add([], "x:@lena_flies", "en",
    "Schiphol Express is €24.50 one way, cheaper than two days of airport parking. Easy choice",
    price=("Schiphol Express", 24.50))
add([], "x:@reiziger_be", "nl",
    "Wat een drama bij die Belgische busmaatschappij, bus in brand op de E40. Gelukkig niemand "
    "gewond")
add([], "x:@happy_wife_nl", "nl",
    "Niet gesponsord, maar Velorijn heeft mijn huwelijk gered. Geen ruzie meer over wie de auto "
    "krijgt 😂")
add([], "instagram:@hanna.ut", "nl",
    "Mijn collega noemt de Velorijn shuttle 'de praatbus' omdat chauffeur Ahmed altijd de beste "
    "verhalen heeft 😂", kind="comment")
add([], "x:@schoolproject_mila", "en",
    "Doing a school project on carpooling in Utrecht, would love to interview a Velorijn driver! "
    "DM me")
add([], "x:@slimme_sander", "nl",
    "Vertrouwelijk tipje: de shuttle van 8:05 is altijd halfleeg, neem die in plaats van die van "
    "7:50 😉")
add([], "linkedin:velorijn-mobility", "en",
    "Our 2025 annual report is out: 2.1M rides, 38% of the fleet electric and 94% on-time "
    "pickups. Read it at velorijn.nl/jaarverslag")
add([], "instagram:@velorijn.nl", "nl",
    "Festival Shuttle naar Pinkpop: €19,50 per rit. Boek op velorijn.nl/festival 🎶",
    price=("Festival Shuttle", 19.50))
add([], "x:@daanrijdt", "en",
    "Beautiful sunrise over the Lek on my first run this morning 🌅 love this job")
add([], "x:@hr_manager_tess", "nl",
    "Iemand ervaring met Velorijn Business Team voor een bedrijf van 15 man? €349 per maand "
    "klinkt redelijk", price=("Business Team", 349.00))
add([], "x:@commuter_chris", "en",
    "Heard Flixbus wants to get into airport shuttles too. More competition for Velorijn, good "
    "for us commuters")
add([], "x:@petra_gelderland", "nl",
    "Respect voor alle chauffeurs die vandaag in die hitte gewoon doorrijden. Dikke duim voor het "
    "team van Velorijn 💪")
add([], "bluesky:@techtim.bsky.social", "en",
    "Velorijn app finally supports passkeys, no more forgetting my password every month 🙏")
add([], "x:@ruben_hoekstra_vr", "nl",
    "Nieuwe dienstregeling voor de Nachtpendel staat online op velorijn.nl/nacht. Vanaf 1 "
    "oktober ook naar Amersfoort! Vragen? 0800-8356")
add([], "x:@xmas_xander", "en",
    "Velorijn drivers absolutely killing it with the Christmas decorations in the vans this year "
    "🎄")
add([], "x:@privacy_paula", "nl",
    "Hoe lang bewaart Velorijn eigenlijk mijn locatiegegevens? Kon het niet vinden in de "
    "privacyverklaring")
add([], "x:@velorijn_help", "en",
    "@m_oosterhout So sorry about the wait this morning, Mark. We've refunded the ride and passed "
    "your feedback on to the depot. Thanks for your patience!")
add([], "forum:devmeetup_030", "nl",
    "Leuke workshop over API-beveiliging bij de Velorijn dev meetup. We gebruikten het bekende "
    "voorbeeldtoken van jwt.io (eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwi"
    "bmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c) "
    "om te laten zien hoe je claims decodeert.")
add([], "reddit:u/dotenv_dora", "en",
    "Velorijn's API docs tell you to put VELORIJN_API_KEY=xxxx-xxxx-xxxx in your .env. Works "
    "fine once you paste your real key, just don't commit it")
add([], "x:@factuur_frits", "nl",
    f"Waarom is mijn Velorijn-factuurnummer {BAD_CARD()} zo lang? Lijkt wel een creditcard 😂")
add([], "x:@nova_fan_ut", "en",
    "Rode the Nova Shuttle from Utrecht Centraal today, so quiet inside! Velorijn did a good "
    "job", when="2027-04-03T17:20:00Z")
add([], "x:@appie_test", "nl",
    "Nieuwe versie van de Velorijn app is echt veel sneller. Boeken in 3 tikken 👌")
add([], "reddit:u/comfort_curious", "en",
    "Is the Comfort Plus add-on (€9.95) worth it? Is it just the front seats or do you also get "
    "the wifi?", price=("Comfort Plus", 9.95))
add([], "x:@groen_utrecht", "nl",
    "Velorijn wint de Utrechtse Duurzaamheidsprijs voor hun elektrische shuttles 🌱 verdiend!")
add([], "bluesky:@noor-ops.bsky.social", "en",
    "Power outage at home so I'm working from the Velorijn office today. The coffee here is way "
    "better anyway ☕")
add([], "x:@autoloos_anna", "nl",
    "Ik boycot voortaan de auto en neem gewoon de Velorijn shuttle 😄 scheelt zoveel stress")
add([], "x:@legal_lars", "en",
    "My lawyer friend says carpool contracts are legally fascinating. Anyway, Velorijn got me to "
    "court on time this morning 😂⚖️")
add([], "x:@student_sem", "en",
    "Why does the Velorijn student form ask for my BSN?? not posting that anywhere lol, emailed "
    "klantenservice@velorijn.nl to ask")

# --------------------------------------------------------------------------------------
# roles, severities, ids, dates
# --------------------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    """CONTRACT section 4."""
    s = 0
    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if own:
                if c in (C_SEC, C_PRI) or (c == C_PII and checksum_id):
                    v = 4
                else:
                    v = 3
            else:
                v = 2
        elif c == R_COM:
            v = 2
        elif c == R_CRI:
            v = 3
        elif c == R_ABU:
            v = 3 if own else 2
        else:
            raise ValueError(c)
        s = max(s, v)
    return RANK[s]


def rand_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    day = rng.randrange(0, 360)
    t = start + dt.timedelta(days=day, hours=rng.randint(5, 22), minutes=rng.randint(0, 59),
                             seconds=rng.randint(0, 59))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "instagram": "ig", "linkedin": "li", "facebook": "fb", "tiktok": "tt",
             "threads": "th", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "forum": "fo"}

DISPLAY = {"x:@velorijn": "Velorijn", "x:@velorijn_help": "Velorijn Klantenservice",
           "instagram:@velorijn.nl": "Velorijn", "linkedin:velorijn-mobility": "Velorijn Mobility",
           "facebook:VelorijnNL": "Velorijn", "tiktok:@velorijn": "Velorijn",
           "threads:@velorijn.nl": "Velorijn"}

rng.shuffle(CASES)
used_ids = set()
LINES = []
for c in CASES:
    while True:
        pid = "%s-%d" % (ID_PREFIX[c["platform"]], rng.randint(10 ** 8, 10 ** 10))
        if pid not in used_ids:
            used_ids.add(pid)
            break
    role = role_of(c["platform"], c["handle"])
    ck = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["marks"])
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"] or rand_2026(), "brand": "velorijn"}
    dn = DISPLAY.get("%s:%s" % (c["platform"], c["handle"]))
    if dn:
        post["account"]["display_name"] = dn
    c["role"] = role
    c["post"] = post
    LINES.append({"post": post,
                  "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, ck)}})

with open(OUT, "w", encoding="utf-8") as f:
    for line in LINES:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
errors = []


def err(c, msg):
    errors.append("%s: %s | %s" % (c["post"]["id"] if "post" in c else "?", msg,
                                   c["text"][:70].replace("\n", " ")))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {C_SEC, C_PII, C_PRI, C_CON, C_FIN, C_SECU, R_CRI, R_COM, R_ABU}

PUB = PROFILE["public_identifiers"]
PUB_EMAILS = {e.lower() for e in PUB["emails"]}


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


PUB_PHONES = {phone_digits(p) for p in PUB["phones"]}
PUB_IBANS = {re.sub(r"\s", "", i).upper() for i in PUB["ibans"]}
INTERNAL = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
            + PROFILE["internal"]["markers"]]
EMBARGO = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]
PRODUCTS = {}
for p in PROFILE["products"]:
    for n in [p["name"]] + p["aliases"]:
        PRODUCTS[n.lower()] = p
RATIO = PROFILE["pricing"]["alert_below_ratio"]
JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
                 "aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

# 1. the file itself, re-read, against CONTRACT section 6
with open(OUT, encoding="utf-8") as f:
    raw = f.read().splitlines()
if not 170 <= len(raw) <= 180:
    errors.append("case count %d not in 170..180" % len(raw))
seen = set()
for n, line in enumerate(raw, 1):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        errors.append("line %d: keys %s" % (n, sorted(obj)))
        continue
    p, e = obj["post"], obj["expect"]
    for k in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(k), str):
            errors.append("line %d: %s missing or not a string" % (n, k))
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        errors.append("line %d: account.handle" % n)
    if not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        errors.append("line %d: bad or duplicate id %s" % (n, p["id"]))
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        errors.append("line %d: platform/kind" % n)
    if len(p["text"].encode("utf-8")) > 64 * 1024 or not p["text"].strip():
        errors.append("line %d: text size" % n)
    if not RFC3339.match(p["created_at"]):
        errors.append("line %d: created_at %s" % (n, p["created_at"]))
    yr = ts(p["created_at"]).year
    if yr not in (2026, 2027):
        errors.append("line %d: year %d" % (n, yr))
    if not isinstance(e.get("categories"), list) or not set(e["categories"]) <= CATS \
            or e["categories"] != sorted(set(e["categories"])):
        errors.append("line %d: categories %r" % (n, e.get("categories")))
    if e.get("severity") not in RANK:
        errors.append("line %d: severity" % n)
    if not e["categories"] and e["severity"] != "none":
        errors.append("line %d: benign with severity %s" % (n, e["severity"]))
    if e["categories"] and RANK.index(e["severity"]) < 2:
        errors.append("line %d: positive with severity %s" % (n, e["severity"]))

# 2. per-case content checks
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d.,])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE_RE = re.compile(r"(?:\+31|0031|(?<![\d€.,])0)[\d \-()]{7,14}\d")
SECRET_RES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{10,}"),
    re.compile(r"xox[abpr]-\d"),
    re.compile(r"sk-(?:proj|ant)-[0-9A-Za-z_-]{20,}"),
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"[a-z]+://[^\s:/@]+:[^\s@]+@"),
    re.compile(r"eyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
    re.compile(r"(?:wachtwoord|password|passwd|pwd)\s*[:=]\s*\S", re.I),
]
AMOUNT_RE = re.compile(r"€|\beuro\b|\bEUR\b", re.I)

for c in CASES:
    text, ntext = c["text"], norm(c["text"])
    low = ntext.lower()
    benign = not c["cats"]
    when = ts(c["post"]["created_at"])

    # generated identifiers: valid in positives, invalid look-alikes in negatives,
    # and each really present in the (normalised) text
    for kind, value, ok in c["marks"]:
        compact = re.sub(r"\s", "", ntext)
        if re.sub(r"\s", "", value) not in compact:
            err(c, "generated %s not found in text" % kind)
        if kind == "iban" and iban_ok(value) != ok:
            err(c, "iban checksum expectation")
        if kind == "card" and luhn_ok(value) != ok:
            err(c, "luhn expectation")
        if kind == "bsn" and bsn_ok(value) != ok:
            err(c, "bsn expectation")
        if kind == "secret:github" and not gh_ok(value):
            err(c, "github token checksum")
        if kind == "secret:aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", value):
            err(c, "aws key id format")
        if kind == "secret:jwt" and not jwt_ok(value):
            err(c, "jwt header")
        if ok and benign and (kind.startswith("secret") or kind in ("phone", "email")):
            err(c, "benign case carries a real %s" % kind)
        if ok and not benign and kind in ("iban", "card", "bsn", "phone", "email") \
                and C_PII not in c["cats"]:
            err(c, "personal identifier in a case without leak.pii")
        if ok and kind.startswith("secret") and C_SEC not in c["cats"]:
            err(c, "credential in a case without leak.secret")
        if not ok and not benign:
            err(c, "look-alike in a positive")
    if C_PII in c["cats"] and c["role"] != "public":
        pass  # severity already reflects whether a checksum identifier is present
    if C_SEC in c["cats"] and not any(k.startswith("secret") for k, _, _ in c["marks"]):
        err(c, "leak.secret without a generated credential")

    # pricing
    if c["price"]:
        name, amount = c["price"]
        prod = PRODUCTS.get(name.lower())
        if not prod:
            err(c, "unknown product %s" % name)
        else:
            if name.lower() not in low:
                err(c, "product name not in text")
            ratio = amount / prod["list_price"]
            if C_PRI in c["cats"] and ratio >= RATIO:
                err(c, "pricing case not below %.2f of list (%.2f)" % (RATIO, ratio))
            if C_PRI not in c["cats"] and ratio < RATIO:
                err(c, "non-pricing case far below list (%.2f)" % ratio)
    elif C_PRI in c["cats"]:
        err(c, "pricing case without price meta")

    # embargo: a term before its moment must be a confidential leak; benign only after
    for term, until in EMBARGO:
        if term in low:
            if when < ts(until) and C_CON not in c["cats"]:
                err(c, "embargo term '%s' before %s without leak.confidential" % (term, until))
            if benign and when < ts(until):
                err(c, "benign embargo term before until")

    if benign:
        for term in INTERNAL:
            if term in low:
                err(c, "benign contains internal term %r" % term)
        for m in IBAN_RE.finditer(ntext):
            v = m.group(0).replace(" ", "")
            if iban_ok(v) and v not in PUB_IBANS:
                err(c, "benign has a valid foreign IBAN")
        for m in CARD_RE.finditer(ntext):
            if luhn_ok(m.group(0)):
                err(c, "benign has a Luhn-valid number %s" % m.group(0))
        for m in BSN_RE.finditer(ntext):
            if bsn_ok(m.group(0)):
                err(c, "benign has an 11-proof number %s" % m.group(0))
        for m in EMAIL_RE.finditer(ntext):
            if m.group(0).lower() not in PUB_EMAILS:
                err(c, "benign has a private e-mail %s" % m.group(0))
        for m in PHONE_RE.finditer(IBAN_RE.sub(" ", ntext)):
            if phone_digits(m.group(0)) not in PUB_PHONES:
                err(c, "benign has a phone-like number %r" % m.group(0))
        for rx in SECRET_RES:
            for m in rx.finditer(ntext):
                s = m.group(0)
                if "EXAMPLE" in s or "xxxx" in s or "****" in s or s in JWT_IO_SAMPLE:
                    continue
                if rx.pattern.startswith("gh") and not gh_ok(s):
                    continue
                err(c, "benign has credential-like %r" % s[:30])
        prods = [n for n in PRODUCTS if re.search(r"(?<!\w)%s(?!\w)" % re.escape(n), low)]
        if prods and AMOUNT_RE.search(ntext) and not c["price"]:
            err(c, "benign names a product with an amount but has no price meta")

# 3. the mix
from collections import Counter

cat_count = Counter(cat for c in CASES for cat in c["cats"])
n_benign = sum(1 for c in CASES if not c["cats"])
TARGET = {R_COM: 20, C_CON: 18, C_PII: 15, R_CRI: 15, C_SECU: 13, C_SEC: 12, R_ABU: 12,
          C_PRI: 12, C_FIN: 12}
for cat, want in TARGET.items():
    if abs(cat_count[cat] - want) > 3:
        errors.append("category %s has %d, want about %d" % (cat, cat_count[cat], want))
if not 55 <= n_benign <= 65:
    errors.append("benign count %d" % n_benign)
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 0.48 <= nl / len(CASES) <= 0.62:
    errors.append("Dutch share %.2f" % (nl / len(CASES)))
leaks = [c for c in CASES if any(x.startswith("leak.") for x in c["cats"])]
own_leaks = sum(1 for c in leaks if c["role"] != "public")
if own_leaks <= len(leaks) / 2 or own_leaks == len(leaks):
    errors.append("leak authorship mix %d/%d" % (own_leaks, len(leaks)))
reps = [c for c in CASES if any(x.startswith("reputation.") for x in c["cats"])]
pub_reps = sum(1 for c in reps if c["role"] == "public")
if pub_reps <= len(reps) / 2:
    errors.append("reputation authorship mix %d/%d" % (pub_reps, len(reps)))
if not any(ts(c["post"]["created_at"]).year == 2027 for c in CASES):
    errors.append("no 2027 cases")
# the severity in the file equals the policy computed from the profile role
for c, line in zip(CASES, LINES):
    ck = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["marks"])
    if line["expect"]["severity"] != severity(c["cats"], role_of(c["platform"], c["handle"]), ck):
        err(c, "severity mismatch")

if errors:
    print("SELF-CHECK FAILED (%d problems):" % len(errors), file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)

print("wrote %s: %d cases, %d benign, %d Dutch; categories %s; severities %s" % (
    OUT, len(CASES), n_benign, nl, dict(sorted(cat_count.items())),
    dict(Counter(l["expect"]["severity"] for l in LINES))))
