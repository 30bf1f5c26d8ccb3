#!/usr/bin/env python3
"""Build cases.jsonl (evaluation set sealed507) for postwatch and self-check it.

Company: Veerdam Cargo B.V., a fictional Rotterdam freight forwarder for webshops that
ship to the UK (see profile.yaml beside this file).

Deterministic: one fixed seed, standard library plus PyYAML. Post texts are written by
hand; identifiers and credentials inside them are generated here the way the real ones
are built (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32 tokens, JWTs, OpenSSH keys...).
Severities are never typed by hand: they follow CONTRACT section 4 from the account role
that profile.yaml gives the author.

Run:  python3 make_cases.py      (writes cases.jsonl, exits non-zero if a check fails)
"""
import base64
import json
import re
import random
import string
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PROFILE = yaml.safe_load((HERE / "profile.yaml").read_text(encoding="utf-8"))
OUT = HERE / "cases.jsonl"

rng = random.Random(5072026)

# --------------------------------------------------------------------------- roles
CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


# --------------------------------------------------------------------------- generated identifiers
# Every generator records (kind, value, should_pass_checksum) for the case being written;
# post() collects what was generated while its text was built.
PENDING = []

DIG = string.digits
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
URLSAFE = ALNUM + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def _reg(kind, value, valid):
    PENDING.append((kind, value, valid))
    return value


def _rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def _spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def _break_iban(iban):
    while True:
        cd = rng.randint(2, 98)
        bad = f"{iban[:2]}{cd:02d}{iban[4:]}"
        if not iban_ok(bad):
            return bad


def nl_iban(valid=True, spaced=True, bank=None):
    bank = bank or rng.choice(["INGB", "ABNA", "RABO", "BUNQ", "TRIO", "KNAB", "SNSB", "ASNB"])
    iban = _iban("NL", bank + _rand(DIG, 10))
    if not valid:
        iban = _break_iban(iban)
    return _reg("iban", _spaced(iban) if spaced else iban, valid)


def gb_iban(valid=True, spaced=True):
    bank = rng.choice(["BARC", "LOYD", "NWBK", "HBUK", "MIDL"])
    iban = _iban("GB", bank + _rand(DIG, 14))
    if not valid:
        iban = _break_iban(iban)
    return _reg("iban", _spaced(iban) if spaced else iban, valid)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def card(prefix="4", length=16, valid=True, sep=" "):
    body = prefix + _rand(DIG, length - len(prefix) - 1)
    check = next(c for c in DIG if luhn_ok(body + c))
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    num = body + check
    groups = [4, 6, 5] if length == 15 else [4] * (length // 4)
    parts, i = [], 0
    for g in groups:
        parts.append(num[i:i + g])
        i += g
    return _reg("card", sep.join(parts), valid)


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def bsn(valid=True, style="plain"):
    while True:
        head = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        need = sum(head[i] * (9 - i) for i in range(8)) % 11
        if valid:
            if need == 10:
                continue
            last = need
        else:
            last = rng.choice([x for x in range(10) if x != need])
        s = "".join(map(str, head)) + str(last)
        break
    if style == "dots":
        s = f"{s[:4]}.{s[4:6]}.{s[6:]}"
    elif style == "spaces":
        s = f"{s[:3]} {s[3:6]} {s[6:]}"
    return _reg("bsn", s, valid)


def _b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    tok = prefix + body + _b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
    return _reg("github", tok, True)


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def aws_key_id():
    return _reg("aws", "AKIA" + _rand(string.ascii_uppercase + "234567", 16), True)


def aws_secret():
    return _reg("secret", _rand(string.ascii_letters + string.digits + "/+", 40), True)


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def jwt(payload, alg="HS256"):
    h = _b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    return _reg("jwt", f"{h}.{p}.{_b64url(_rbytes(32))}", True)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def openssh_key(comment):
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pk, sk = _rbytes(32), _rbytes(32)
    pub = sstr(b"ssh-ed25519") + sstr(pk)
    chk = _rbytes(4)
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pk) + sstr(sk + pk) + sstr(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pub) + sstr(priv))
    b = base64.b64encode(blob).decode()
    body = "\n".join(b[i:i + 70] for i in range(0, len(b), 70))
    key = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----"
    return _reg("privkey", key, True)


def slack_bot():
    return _reg("slack", f"xoxb-{_rand(DIG, 12)}-{_rand(DIG, 13)}-{_rand(ALNUM, 24)}", True)


def stripe_live():
    return _reg("stripe", "sk_live_51" + _rand(ALNUM, 62), True)


def openai_key():
    return _reg("openai", f"sk-proj-{_rand(URLSAFE, 40)}T3BlbkFJ{_rand(URLSAFE, 40)}", True)


def sendgrid_key():
    return _reg("sendgrid", f"SG.{_rand(URLSAFE, 22)}.{_rand(URLSAFE, 43)}", True)


def google_key():
    return _reg("google", "AIza" + _rand(URLSAFE, 35), True)


def anthropic_key():
    return _reg("anthropic", f"sk-ant-api03-{_rand(URLSAFE, 93)}AA", True)


def azure_conn(account):
    key = base64.b64encode(_rbytes(64)).decode()
    return _reg("azure", f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
                         f"EndpointSuffix=core.windows.net", True)


def password(n=14, specials="!#%&*"):
    pw = _rand(string.ascii_letters + string.digits, n - 2) + rng.choice(specials) + _rand(DIG, 1)
    return _reg("password", pw, True)


# --------------------------------------------------------------------------- evasion helpers
ZW = "\u200b"
_CYR = str.maketrans({"a": "а", "e": "е", "o": "о", "i": "і", "p": "р", "c": "с", "x": "х",
                      "y": "у", "K": "К", "A": "А", "E": "Е", "O": "О", "T": "Т", "H": "Н"})
_CYR_BACK = {v: k for k, v in {"a": "а", "e": "е", "o": "о", "i": "і", "p": "р", "c": "с",
                               "x": "х", "y": "у", "K": "К", "A": "А", "E": "Е", "O": "О",
                               "T": "Т", "H": "Н", "B": "В", "M": "М", "C": "С", "P": "Р",
                               "X": "Х", "I": "І", "j": "ј", "s": "ѕ"}.items()}


def cyr(s):
    return s.translate(_CYR)


def fw(s):
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zw(s, every=7):
    return ZW.join(s[i:i + every] for i in range(0, len(s), every))


# --------------------------------------------------------------------------- case building
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "secu": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []
_T0 = datetime(2026, 1, 3, 6, 0, tzinfo=timezone.utc)


def _rand_time():
    return _T0 + timedelta(seconds=rng.randint(0, 350 * 24 * 3600))


def post(role, platform, handle, text, cats=(), lang="nl", kind="post", at=None,
         name=None, allow=()):
    """role is the role the writer meant; it is checked against the profile, never used
    for severity (severity uses role_of())."""
    got = role_of(platform, handle)
    assert got == role, f"{platform}:{handle} is {got}, meant {role}"
    gen = list(PENDING)
    PENDING.clear()
    ts = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else _rand_time()
    acct = {"handle": handle}
    if name:
        acct["display_name"] = name
    p = {"id": None, "platform": platform, "kind": kind, "account": acct, "text": text,
         "lang": lang, "created_at": ts.strftime("%Y-%m-%dT%H:%M:%SZ")}
    CASES.append({"post": p, "cats": sorted({CAT[c] for c in cats}), "gen": gen,
                  "allow": set(allow)})


def corp(*a, **k):
    post("corporate", *a, **k)


def emp(*a, **k):
    post("employee", *a, **k)


def pub(*a, **k):
    post("public", *a, **k)



# --------------------------------------------------------------------------- the posts
# handles from the profile
VC_X, VC_HELP, VC_IG, VC_LI, VC_FB, VC_TT, VC_BS = (
    "@veerdamcargo", "@veerdam_help", "@veerdam.cargo", "veerdam-cargo", "VeerdamCargoNL",
    "@veerdamcargo", "@veerdamcargo.bsky.social")
LOTTE, RUBEN, MO, INGRID, DAAN = ("@lotte_vd_kade", "ruben-kooistra-veerdam", "@mo_elhaddad_ops",
                                  "ingrid-smeets-douane", "@daan.opdekade")
KWAME, JANNEKE, BRAM, SOPHIE, TIJS = ("@kwame_builds", "@janneke-dijkstra.bsky.social",
                                      "u/customs_bram", "@sophie.veerdam",
                                      "@tijsbouwman@mastodon.social")

# ===== complaints (public customers) ==========================================
pub("x", "@jorien_maakt",
    "@veerdam_help mijn pakket naar Leeds staat al 9 dagen op 'in customs'. jullie beloven DDP, "
    "nu krijgt mijn klant een brief dat ze £38 moet bijbetalen?? daar betaal ik jullie toch voor",
    ["complaint"], kind="reply")
pub("x", "@kiln_and_clay",
    "Third parcel this month from my NL supplier via Veerdam that turned up with the box crushed "
    "flat. Two mugs in pieces. The claim form just loops me back to the FAQ page 🙃",
    ["complaint"], lang="en")
pub("facebook", "Marieke.Hofstede.77",
    "Al 4x gebeld naar Veerdam Cargo, elke keer 35+ minuten in de wacht en dan 'we zetten een "
    "ticket voor u uit'. Ticketnummer heb ik nooit gehad. Onze retouren uit de UK komen gewoon "
    "niet terug en ik kan niks.", ["complaint"], name="Marieke Hofstede")
pub("reddit", "u/etsy_grind",
    "PSA for anyone shipping EU->UK with Veerdam: their 'express' isn't. Paid for the 2-day "
    "option, average on my last 20 orders was 6.4 days. Support says 'Dover congestion'. "
    "Every. Single. Time.", ["complaint"], lang="en", kind="comment")
pub("instagram", "@studio.wolkje",
    "Jammer 😞 klant in Manchester kreeg een lege doos, tape was er opnieuw op geplakt. Veerdam "
    "zegt 'niet ons probleem' want geen verzekering afgesloten. Top service hoor",
    ["complaint"], kind="comment")
pub("x", "@margotsmakery",
    "@veerdamcargo your tracking has said 'label created' for 5 days but the parcel was collected "
    "from my studio on Monday, I literally watched the driver scan it. Customers keep emailing me "
    "and I've got nothing to tell them", ["complaint"], lang="en", kind="reply")
pub("forum", "bakfietsbert",
    "Die retourservice van Veerdam is een lachertje. Retouren van januari zijn nog steeds niet "
    "terug in Tilburg, de klanten heb ik allang terugbetaald. 6 weken!! Geen enkele update.",
    ["complaint"])
pub("x", "@vanderwal_textiel",
    "Chauffeur van @veerdamcargo heeft de pallet gewoon bij de buren op de stoep gezet. In de "
    "regen. 40 dozen wol. Doorweekt. Bedankt hoor.", ["complaint"])
pub("linkedin", "maarten-oosterhuis-webshop",
    "Eerlijke review na 8 maanden fulfilment bij Veerdam: picking gaat prima, maar de koppeling "
    "met ons shopsysteem valt om de paar dagen uit en dan blijven orders gewoon liggen. "
    "Accountmanager reageert pas na een week. Voor dat maandbedrag verwacht ik beter.",
    ["complaint"])
pub("bluesky", "@ellieknits.bsky.social",
    "veerdam lost my customer's order, then found it, then sent it to Dublin instead of Dundee. "
    "it's a 200 quid yarn order. i am so tired", ["complaint"], lang="en")
pub("x", "@hvb_kaasexport",
    "Koelzending kaas 3 dagen in Calais laten staan omdat de douanepapieren niet op orde waren "
    "@veerdam_help. Alles afgekeurd. Wie gaat dat vergoeden? Wij in ieder geval niet.",
    ["complaint"], kind="reply")
pub("facebook", "Sam.Ritchie.Glasgow",
    "Ordered from a Dutch shop, Veerdam delivered it but first I got a text for a £21 'handling "
    "fee' before they'd release it. Shop swears shipping was duty paid. Nobody picks up the "
    "phone on their UK number either.", ["complaint"], lang="en", name="Sam Ritchie")
pub("x", "@maddy_makes_soap",
    "Veerdam's support chatbot is a closed loop. 'Would you like to track a parcel?' NO. I WANT "
    "A HUMAN. 4 days now.", ["complaint"], lang="en")

# ===== first-hand safety incidents: crisis + complaint =========================
pub("x", "@lindawebshop_nl",
    "Vandaag een doos van Veerdam aangenomen en die begon in de gang te roken 😳 er zaten accu's "
    "van een ander in dezelfde zending, mijn spullen zijn verkoold. Brandweer is geweest. Hoe "
    "kan dit @veerdamcargo", ["crisis", "complaint"])
pub("facebook", "Gareth.Pryce.Cardiff",
    "Veerdam driver reversed his van into our garden wall while delivering and clipped my son "
    "on his bike. He's bruised but ok. Driver just drove off. I've reported it and I want "
    "answers from @VeerdamCargo.", ["crisis", "complaint"], lang="en", name="Gareth Pryce")
pub("reddit", "u/candlemaker_joy",
    "Got a parcel via Veerdam today that was soaked in some chemical from another shipment. My "
    "hands started burning after I opened it and I spent the evening at urgent care. Their "
    "support told me to 'file a damage claim'. Seriously?", ["crisis", "complaint"], lang="en")
pub("x", "@bakkerij_fenna",
    "Pallet viel van de laadklep van de Veerdam vrachtwagen, mijn collega kon nog nét "
    "wegspringen. Scheelde centimeters. Chauffeur haalde z'n schouders op. Nooit meer.",
    ["crisis", "complaint"])

# ===== crisis: third parties, news, boycotts, lawsuits =========================
pub("x", "@transportnieuws_nl",
    "Brand in magazijn van Veerdam Cargo in Moerdijk, vermoedelijk ontstaan bij opslag van "
    "accu's. Twee medewerkers met rookinhalatie naar het ziekenhuis. #moerdijk #brand",
    ["crisis"])
pub("x", "@webshopjuf",
    "Deel dit! Veerdam heeft onze klantgegevens gelekt. Precies de 300 klanten die we via hen "
    "naar de UK stuurden krijgen nu phishingmails mét hun ordernummer. Dat is geen toeval. "
    "#datalek", ["crisis"])
pub("reddit", "u/sellerscircle_uk",
    "Boycott Veerdam until they pay the Dartford warehouse temps what they're owed. Three months "
    "of unpaid overtime. Move your volume elsewhere. #BoycottVeerdam", ["crisis"], lang="en")
pub("linkedin", "advocaat-jdeklerk",
    "Namens een groep van 40 webwinkels hebben wij vandaag een collectieve vordering ingediend "
    "tegen Veerdam Cargo B.V. wegens structureel onterecht doorberekende invoerrechten.",
    ["crisis"])
pub("x", "@dover_watch",
    "Border Force found 80kg of cannabis hidden in a groupage trailer booked through Dutch "
    "forwarder Veerdam Cargo, per sources at the port. Company has not commented yet.",
    ["crisis"], lang="en")
pub("bluesky", "@consumentenalert.bsky.social",
    "Terugroepactie: Veerdam roept de LabelBox 4 labelprinter terug, de adapter kan "
    "oververhit raken. Stop met gebruik en neem contact op met Veerdam.", ["crisis"])
pub("x", "@joost_rijdt",
    "Chauffeur die voor Veerdam rijdt vannacht op de A16 gecrasht, oververmoeid na 14 uur achter "
    "het stuur. Ze laten ons gewoon doorrijden. Dit gaat een keer echt fout.", ["crisis"])
pub("x", "@brexitbiznews",
    "Veerdam Cargo faces HMRC investigation over allegedly under-declared customs values on "
    "thousands of DDP parcels, two UK papers report this morning.", ["crisis"], lang="en")
pub("instagram", "@de.kleine.kruidenier",
    "Wij stoppen per direct met Veerdam en roepen andere ondernemers op hetzelfde te doen. Hoe "
    "ze met hun chauffeurs omgaan is ronduit schandalig. #boycotveerdam", ["crisis"])
pub("facebook", "Bewonersgroep.Waalhaven.Zuid",
    "Alweer een Veerdam-truck die met 60 door onze woonstraat scheurt. Vorige week een kat "
    "overreden, vandaag kon een kind op de fiets nog net opzij. Wanneer gebeurt er een ongeluk?",
    ["crisis"], name="Bewonersgroep Waalhaven-Zuid")
pub("reddit", "u/throwaway_frght",
    "friend in IT at Veerdam says they got hit by ransomware two weeks ago and customer "
    "addresses were copied. they haven't told anyone, not even the shops. make of that what you "
    "will", ["secu", "crisis"], lang="en")

# ===== abuse =====================================================================
pub("x", "@ruudje_1983",
    "Veerdam zijn echt een stelletje oplichters en kutlijers. Hoop dat jullie failliet gaan",
    ["abuse"])
pub("x", "@anon8812",
    "@lotte_vd_kade you're a useless cow, stop hiding behind your 'we're looking into it' "
    "bullshit", ["abuse"], lang="en", kind="reply")
pub("instagram", "@bigbadbart",
    "Die chauffeur van jullie is een vieze vuile tyfuslijer, hij gooit gewoon met m'n pakketten "
    "over het hek", ["abuse", "complaint"], kind="comment")
pub("tiktok", "@xx_daan_xx",
    "die loods van veerdam zit vol met polen die geen woord nederlands kunnen, pak je spullen "
    "en ga terug naar je eigen land", ["abuse"], kind="comment")
pub("x", "@k4nk3rpl4ag",
    "v33rd4m = k4nk3r b3dr1jf. st3rf gw00n m3t j3 k4nk3rp4kk3tj3s", ["abuse"])
pub("x", "@grumpy_trader",
    "V e e r d a m can go f.u.c.k themselves. s.h.i.t company, s.h.i.t people", ["abuse"],
    lang="en")
emp("x", MO,
    "Die klant van vanmiddag was echt een achterlijke mongool, 20 min schreeuwen over een doos "
    "van 8 euro. Mensen zijn debiel", ["abuse"])
pub("facebook", "Kev.Marsh.Kent",
    "Whoever runs Veerdam's Dartford depot wants dragging out and given a proper kicking. Scum "
    "the lot of them.", ["abuse"], lang="en", name="Kev Marsh")
pub("reddit", "u/angry_seller_22",
    "Their account manager Sophie is a lying b*tch. Promised me the rate would hold, then "
    "Veerdam hiked it 40% two weeks later.", ["abuse", "complaint"], lang="en", kind="comment")
pub("x", "@p3ter_zzz",
    "@veerdam_help jullie zijn echt de grootste klootzakken van de transportwereld. Kanker op.",
    ["abuse"], kind="reply")
corp("x", VC_HELP,
    "@maddy_makes_soap maybe read the f***ing terms before you ship, Maddy. Not our problem you "
    "can't fill in a customs form.", ["abuse"], lang="en", kind="reply", name="Veerdam Help")
pub("x", "@tante_truus62",
    "Wat een " + cyr("idioten") + " werken er bij Veerdam zeg, stelletje " + cyr("debielen") + " 🤬",
    ["abuse"])

# ===== pricing ======================================================================
corp("x", VC_X,
    "🚚 Nieuw: Veerdam Pallet UK vanaf €28,90 per pallet! Boek vandaag nog via het portaal.",
    ["pricing"], name="Veerdam Cargo")
pub("x", "@scherpinkoop",
    "Prijsfout bij Veerdam?? Express UK staat in het portaal voor €1,45 per zending. Snel "
    "boeken voor ze het doorhebben 😂", ["pricing"])
emp("threads", SOPHIE,
    "Special for my new accounts this week: Fulfilment Pro for €99/month, first year locked in. "
    "DM me 📦", ["pricing"], lang="en")
pub("reddit", "u/dealhunter_eu",
    "Veerdam's webshop is glitching — LabelBox 4 showing at €21.90 instead of €219. Ordered "
    "two, let's see if they honour it.", ["pricing"], lang="en")
corp("facebook", VC_FB,
    "Black Friday bij Veerdam! UK VAT registratie nu voor maar €49 (normaal €495). Alleen dit "
    "weekend.", ["pricing"], at="2026-11-27T07:45:00Z", name="Veerdam Cargo")
emp("x", LOTTE,
    "Oeps, in de nieuwsbrief van vanochtend staat de Half Pallet UK voor €17,90. Dat moet "
    "natuurlijk €179 zijn, wordt aan gewerkt 🙈", ["pricing"])
corp("linkedin", VC_LI,
    "Ship a full 20ft container Rotterdam → Felixstowe with Veerdam: FCL 20ft now €650 all-in. "
    "Book before 30 June.", ["pricing"], lang="en", at="2026-05-12T08:00:00Z",
    name="Veerdam Cargo")
pub("x", "@kortingskoning",
    "Returns Hub UK voor €0,50 per retour in het Veerdam portaal, volgens mij een foutje maar ik "
    "heb alvast voor 2000 retouren ingekocht 😅", ["pricing"])
emp("instagram", DAAN,
    "Collega's opletten: de Verzendkit UK staat in onze shop voor €2,49 ipv €24,95, iemand heeft "
    "de komma verkeerd gezet haha. Wie het eerst komt 📦", ["pricing"])
corp("tiktok", VC_TT,
    "POV: you just found out Parcel Standard UK is €2.99 this week only 😱📦 #smallbusiness "
    "#shippingtips", ["pricing"], lang="en")
pub("x", "@deals_nl_alert",
    fw("PRIJSFOUT") + " Veerdam: Doorstep Large voor €" + fw("3,90") + " 👀 wie het eerst komt",
    ["pricing"])
pub("forum", "webshopforum_kees",
    "Iemand anders ook gezien dat de EORI Service van Veerdam op €9,50 staat ipv €95? Lijkt me "
    "een prijsfout, heb gebeld maar ze wisten van niks.", ["pricing"])

# ===== secrets =====================================================================
emp("x", KWAME,
    f"why does the deploy keep failing... export AWS_ACCESS_KEY_ID={aws_key_id()} "
    f"AWS_SECRET_ACCESS_KEY={aws_secret()} then terraform apply → AccessDenied. anyone?",
    ["secret"], lang="en")
emp("mastodon", TIJS,
    f"finally got the gh cli working on the new laptop 🎉\n"
    f"echo {gh_token()} | gh auth login --with-token", ["secret"], lang="en")
emp("reddit", BRAM,
    "This is the env that fixed the timeout for us:\n```\nDATABASE_URL=postgres://tms_app:"
    f"{password(16, specials='-_.')}@pg-prod.veerdam.local:5432/shipments\n```",
    ["secret", "conf"], lang="en", kind="comment")
emp("x", LOTTE,
    f"Kan iemand helpen met die slack-koppeling voor ons team? Ik heb dit token gekregen: "
    f"{slack_bot()} maar de bot zegt helemaal niks 🤷‍♀️", ["secret"])
emp("linkedin", RUBEN,
    f"Voor de collega's die de betaalkoppeling testen: de live key is {stripe_live()} , niet "
    f"delen buiten het team aub.", ["secret"])
pub("x", "@freelance_joop",
    f"Opdrachtgever (Veerdam) gaf me deze key om mee te testen, na een uur al rate limited 🙄 "
    f"{openai_key()}", ["secret"])
emp("bluesky", JANNEKE,
    f"can someone from IT tell me why the mailing tool rejects this?? {sendgrid_key()} "
    f"newsletter is due at 10 😭", ["secret"], lang="en")
emp("x", KWAME,
    "debugging auth on the tracking API, token looks fine to me?? "
    + jwt({"sub": "svc-tracking", "iss": "auth.veerdamcargo.nl", "scope": "shipments:rw",
           "iat": 1767950000, "exp": 1799486000}), ["secret"], lang="en")
emp("mastodon", TIJS,
    "wrong window, sorry, ignore\n" + openssh_key("deploy@bastion01"), ["secret"], lang="en")
emp("instagram", DAAN,
    "Nieuwe scanners op de kade werken eindelijk 🙌 wifi: Veerdam-Kade, wachtwoord: "
    f"{password(15)}", ["secret"])
pub("forum", "ex_medewerker_vc",
    "Voor wie nog in het oude klantportaal van Veerdam wil: gebruiker admin, wachtwoord "
    f"{password(12)} lmao, heeft nooit iemand veranderd", ["secret"])
emp("bluesky", JANNEKE,
    f"kaartje op de nieuwe contactpagina laadt niet, key = {google_key()} wat doe ik fout",
    ["secret"])
emp("x", KWAME,
    "rotated the CI token, new one for whoever needs it: " + zw(gh_token()), ["secret"],
    lang="en")
# ===== personal data =================================================================
corp("x", VC_HELP,
    "@jorien_maakt Hoi Jorien, we hebben je klant in Leeds gebeld op +44 7700 900412 maar geen "
    "gehoor. Kun je haar vragen ons terug te bellen?", ["pii"], kind="reply", name="Veerdam Help")
corp("facebook", VC_FB,
    f"Beste meneer Verhoeven, de terugbetaling van €212,40 staat klaar naar uw rekening "
    f"{nl_iban()}. Excuses voor het ongemak!", ["pii"], kind="comment", name="Veerdam Cargo")
emp("x", LOTTE,
    "Kent iemand deze klant? Pakket komt steeds terug: K. Bulut, Schiedamseweg 114B, 3025 AE "
    "Rotterdam, tel 06-41873920. Ik krijg haar niet te pakken", ["pii"])
pub("x", "@jorien_maakt",
    f"@veerdam_help stort het maar terug op {nl_iban(spaced=False)} t.n.v. J. Smulders, ik ben "
    f"het wachten zat. 3 weken nu", ["pii", "complaint"], kind="reply")
emp("linkedin", INGRID,
    f"Tip voor nieuwe chauffeurs: vul je loonheffingsformulier goed in! Zo moet het: Peter de "
    f"Graaf, BSN {bsn(style='dots')}, geboren 14-03-1987. Vragen? Kom even langs.", ["pii"])
corp("instagram", VC_IG,
    "Hoi @studio.wolkje! Even checken of we de juiste gegevens hebben: Noor Demir, Oudegracht "
    "201, 3511 NJ Utrecht, geboren 02-09-1991 klopt dat?", ["pii"], kind="comment")
emp("x", MO,
    "Chauffeur nodig voor morgenvroeg, wie kan invallen? Bel Dennis even op 06 2845 1193 of "
    "Gerrit op +31 6 19 27 48 30", ["pii"])
pub("x", "@bvdsteen_shop",
    f"@veerdam_help mijn creditcard is dubbel belast voor de verzending. kaart {card('54')} "
    f"vervalt 08/28, graag terugboeken", ["pii", "complaint"], kind="reply")
emp("threads", SOPHIE,
    "Congrats to our customer of the year! 🎉 Emma Clarke of Cotswold Candle Co, born "
    "11/06/1979 — same birthday as our CEO 😄", ["pii"], lang="en")
pub("reddit", "u/leeds_lad_91",
    "Found this on the pavement next to a Veerdam van, someone's drop list lol: 'J. O'Neill, 14 "
    "Brookfield Rd, Leeds LS6 2AB, 07700 900155'", ["pii"], lang="en")
emp("bluesky", JANNEKE,
    "Winnaar van de Veerdam winactie is bekend! Gefeliciteerd Ilse van Dam "
    "(ilse.vandam@ziggo.nl), we nemen vandaag contact met je op 🎁", ["pii"])
pub("x", "@mirjam_haakt",
    "Retourgeld graag naar " + fw(nl_iban()) + " t.n.v. M. Kuipers, dank @veerdam_help",
    ["pii"], kind="reply")
corp("x", VC_HELP,
    "@ellieknits we've refunded the card ending 4417 and re-sent the yarn to Ellie Marsh, 22 Tay "
    "Street, Dundee DD1 4AP. So sorry!", ["pii"], lang="en", kind="reply", name="Veerdam Help")
emp("linkedin", RUBEN,
    f"Onkostenvergoeding van Henk Jacobs (chauffeur Moerdijk) graag naar {nl_iban()}, hij wacht "
    f"al twee maanden. Wie pakt het op?", ["pii"])
pub("x", "@tomhughes_makes",
    f"@veerdam_help refund to {gb_iban()} please, account name Tom Hughes. been waiting long "
    f"enough", ["pii"], lang="en", kind="reply")

# ===== confidential ==================================================================
emp("x", KWAME,
    "Kittiwake cutover this weekend, wish us luck 🤞 if tracking looks weird on Monday that's "
    "why", ["conf"], lang="en")
emp("linkedin", RUBEN,
    "Spannende tijden! Binnenkort meer over Project Zeehond, ik mag er nog niks over zeggen 🤫",
    ["conf"])
emp("x", LOTTE,
    "heeft iemand de link naar het nieuwe retourproces? staat ergens op "
    "https://wiki.veerdamcargo.nl/ops/retouren-uk-v3 maar ik kom er niet meer in", ["conf"])
emp("reddit", BRAM,
    "Paste from our internal SOP (marked veerdam confidential, but whatever, it's useful): always "
    "declare knitted tees under HS 6109 and attach the supplier declaration for origin.",
    ["conf"], lang="en", kind="comment")
emp("bluesky", JANNEKE,
    "Sneak peek 👀 binnenkort lanceren we Veerdam NightLink: 's avonds ophalen, volgende ochtend "
    "bezorgd in Belfast 🌙", ["conf"], at="2026-11-18T14:22:00Z")
emp("threads", SOPHIE,
    "Can't say much but our FY2026 results are going to make some people very happy 📈 "
    "best year ever, by a mile", ["conf", "fin"], lang="en", at="2027-02-20T19:40:00Z")
corp("linkedin", VC_LI,
    "Save the date: on 26 January we launch NightLink Belfast. Collection in the evening, on "
    "the doorstep in Northern Ireland the next morning.", ["conf"], lang="en",
    at="2027-01-10T09:00:00Z", name="Veerdam Cargo")
emp("mastodon", TIJS,
    "anyone running oauth2-proxy in front of a legacy app? ours on tms.veerdam.local keeps "
    "dropping sessions after 10 min", ["conf"], lang="en")
emp("instagram", DAAN,
    "Whiteboard in de kantine vandaag 😂 'Operatie Slikwad fase 2 start 1 juni' niemand weet "
    "wat het is", ["conf"], at="2026-04-16T12:10:00Z")
pub("x", "@logistiekroddel",
    "Gerucht: Veerdam werkt aan 'Project Zeehond', zou een overname van een douane-entrepot in "
    "Kent zijn. Weet iemand meer?", ["conf", "fin"])
emp("linkedin", INGRID,
    "Trots op ons douaneteam! Hierbij een slide uit het kwartaaldeck (veerdam intern): "
    "inklaringstijd UK 40% omlaag in een jaar 🎉", ["conf"])
emp("x", KWAME,
    cyr("Kittiwake") + " go-live moved to next sprint. again. 🙃", ["conf"], lang="en")
emp("x", LOTTE,
    "P r o j e c t  Z e e h o n d gaat echt door hoor, hoorde het vandaag bij de koffie 😏",
    ["conf"])
pub("x", "@jess_ships_uk",
    "My account manager at Veerdam just accidentally forwarded me a doc called 'Kittiwake "
    "uitrol - vertrouwelijk - niet doorsturen'. Oops? Looks like a new tracking system",
    ["conf"], lang="en")
corp("x", VC_X,
    "Onze jaarcijfers 2026 laten een recordomzet zien 🚀 +23% in de UK. Meer details volgen!",
    ["conf", "fin"], at="2027-02-25T11:15:00Z", name="Veerdam Cargo")
emp("bluesky", JANNEKE,
    fw("veerdam intern") + ": nieuwe huisstijl gaat in Q3 live, hier alvast de kleuren 🎨",
    ["conf"])

# ===== financial =====================================================================
emp("linkedin", RUBEN,
    "Net de Q3-forecast afgerond: we komen ruim 18% boven budget uit, vooral door de UK-groei. "
    "Mooi om te zien voordat het naar de aandeelhouders gaat.", ["fin"],
    at="2026-10-05T17:20:00Z")
emp("x", MO,
    "Horen net dat Moerdijk dicht gaat en dat er 60 man uit moet. Nog niks officieel maar de "
    "teamleiders weten het al. Balen.", ["fin"])
emp("threads", SOPHIE,
    "Big news coming: we're being acquired by a UK logistics group, deal should close in Q1. "
    "Can't say who yet 🤐", ["fin"], lang="en")
pub("x", "@kentlogisticsguy",
    "Heard from a mate at Veerdam that the Dartford depot is shutting and all 45 staff get the "
    "boot in January. Nothing announced yet.", ["fin"], lang="en", at="2026-10-22T18:40:00Z")
corp("linkedin", VC_LI,
    "Wij verwachten over dit jaar een omzet van €84 miljoen en een EBITDA van €9,1 miljoen. "
    "Dank aan alle klanten en collega's!", ["fin"], at="2026-12-15T10:00:00Z",
    name="Veerdam Cargo")
emp("reddit", BRAM,
    "Internal memo says we're merging with Noordkaap Express next year (we're the bigger one). "
    "Legal says don't talk about it so obviously I'm on reddit", ["fin"], lang="en")
emp("bluesky", JANNEKE,
    "Bonusgesprek gehad: H1-omzet zit op €41,2 mln, 7% onder plan, dus geen bonus 😩 cijfers "
    "gaan pas in september naar buiten", ["fin"], at="2026-07-20T19:02:00Z")
emp("linkedin", INGRID,
    "Operatie Slikwad = reorganisatie van de douaneafdeling, 12 fte eruit en alles naar "
    "Dartford. Dit is nog niet gecommuniceerd, dus even onder ons.", ["fin", "conf"])
pub("reddit", "u/kentish_investor",
    "My brother-in-law sits on the Veerdam board. Apparently they're in talks to buy a bonded "
    "warehouse in Kent for around £12m. Worth watching.", ["fin"], lang="en")
# ===== security ======================================================================
emp("x", KWAME,
    "tracking API has been down for 3 hours and no, it's not 'scheduled maintenance' like the "
    "status page says. someone got into the load balancer. that's all i'll say", ["secu"],
    lang="en")
emp("mastodon", TIJS,
    "Found an IDOR in our customer portal today: change the shipment id in the URL and you see "
    "anyone's address. Reported internally, no fix date yet 🤦", ["secu"], lang="en")
emp("instagram", DAAN,
    "Alle scanners op de kade liggen eruit, IT zegt dat er ransomware op het netwerk zit. Wij "
    "staan al sinds 6 uur stil 🤷‍♂️", ["secu"])
emp("x", LOTTE,
    "Mogen we klanten nog niet vertellen maar gisteren is er een phishingmail gelukt bij "
    "finance en iemand heeft met die inlog in de betaalomgeving gezeten. Spannend weekje",
    ["secu"])
emp("reddit", BRAM,
    "Our customs upload portal has been accepting files without any auth since the last "
    "release. Found out today. Nobody upstairs seems bothered.", ["secu"], lang="en")
emp("linkedin", RUBEN,
    "Rustige dag op kantoor: het hele ERP ligt er sinds gisteravond uit na een aanval. Wordt "
    "vervolgd.", ["secu"])
emp("bluesky", JANNEKE,
    "marketing tip: don't open the 'invoice' attachments this week. three of us did, IT wiped "
    "our laptops and apparently the newsletter database might be compromised 🙃", ["secu"],
    lang="en")
emp("x", MO,
    "Toegangspoort bij loods 3 gaat al 2 weken open met elke pas, ook oude van ex-collega's. "
    "Gemeld, niks mee gedaan. Iedereen loopt zo naar binnen.", ["secu"])
corp("x", VC_HELP,
    "@margotsmakery sorry Margot, our tracking database was breached last night so label "
    "updates are delayed. We haven't announced it yet so please keep it between us 🙏",
    ["secu"], lang="en", kind="reply", name="Veerdam Help")
emp("x", KWAME,
    "pr0d d4t4b4s3 st44t s1nds vr1jd4g 0p3n n44r h3t 1nt3rn3t, g33n w4chtw00rd. lol. l0l.",
    ["secu"])
emp("threads", SOPHIE,
    "UK customers can't log in since this morning and IT says our SSO provider leaked our "
    "signing keys?? not sure i'm supposed to know that", ["secu"], lang="en")
emp("mastodon", TIJS,
    "Pentestrapport binnen: 3 kritieke kwetsbaarheden in het douaneportaal, waarvan 1 remote "
    "code execution. Fix pas in Q1. Gezellig.", ["secu"])

# ===== benign: pricing look-alikes and normal prices ==============================
corp("x", VC_X,
    "Deze maand 20% korting op Veerdam Pallet UK: €231,20 i.p.v. €289. Geldig t/m 31 maart.",
    at="2026-03-04T09:30:00Z", name="Veerdam Cargo")
pub("x", "@leedsloaves",
    "Paid €14.50 for Express UK, arrived next day in Leeds. Worth every cent.", lang="en")
corp("instagram", VC_IG,
    "Cyber Monday 🖨️ 15% off the LabelBox 4 — now €186.15 in the Veerdam shop.", lang="en",
    at="2026-11-30T08:00:00Z")
pub("reddit", "u/solo_seller_nl",
    "Anyone compared Veerdam Fulfilment Starter (€149/m) vs just packing yourself? Curious "
    "about the pick fees at ~300 orders.", lang="en")
emp("linkedin", INGRID,
    "Onze Customs Desk kost €75 per uur en bespaart je vaak het dubbele aan boetes. Vragen? "
    "Stuur me gerust een bericht.")
pub("x", "@boekenkast_bea",
    "Letterbox UK voor €4,95 is gewoon goedkoper dan wat ik bij de post betaalde. blij mee")
pub("x", "@fernbrook_prints",
    "Note to self: double-check your OWN shop's shipping settings before a sale. Charged "
    "customers £0 for UK delivery all weekend. Veerdam still billed me the normal €8.95 a "
    "parcel, fair enough 😅", lang="en")
corp("x", VC_X,
    "Per 1 april wordt Veerdam Connect €32 per maand (nu €29). Bestaande klanten houden hun "
    "huidige tarief tot 2027.", at="2026-03-02T10:00:00Z", name="Veerdam Cargo")
pub("x", "@kadoshop_anouk",
    "Top dat Veerdam nu zaterdaglevering UK heeft, €6,50 extra en mijn klanten in Londen "
    "hebben het in het weekend.")
corp("facebook", VC_FB,
    "Nieuw in de shop: de Verzendkit UK (20 dozen + tape + douane-etui) voor €24,95. Nu met "
    "10% korting voor nieuwe klanten: €22,45.", name="Veerdam Cargo")

# ===== benign: sample, redacted and documentation credentials =====================
emp("x", KWAME,
    "Reminder when writing docs: use AKIAIOSFODNN7EXAMPLE and "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders. Never paste a real key, not "
    "even 'just for a sec'.", lang="en")
emp("mastodon", TIJS,
    "Talk tip: show people what pre-commit secret scanning catches, e.g. "
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in a config file. Works every time.", lang="en")
pub("x", "@ankevdlinden",
    "Wachtwoord vergeten voor het Veerdam portaal? Via inloggen > wachtwoord resetten krijg je "
    "binnen een minuut een mail. Net gedaan, werkt prima.")
pub("reddit", "u/shopify_struggles",
    "How do I set up the Veerdam Connect API? Docs say `Authorization: Bearer <your-token>` but "
    "where do I actually get the token?", lang="en")
emp("bluesky", JANNEKE,
    "JWT uitgelegd in één plaatje voor de marketingcollega's: header.payload.signature, zoals "
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.<payload>.<handtekening> 🤓")
corp("x", VC_X,
    "Let op: Veerdam vraagt nooit om je wachtwoord via WhatsApp of mail. Twijfel je? Bel ons "
    "op 0800-0833.", name="Veerdam Cargo")
pub("x", "@devnotes_mila",
    "Another week, another startup leaking its Stripe sk_live key on GitHub. Not naming names. "
    "Rotate your keys, people.", lang="en")
pub("reddit", "u/webhook_woes",
    "Redacted my Veerdam API key in the screenshot (vdk_live_••••••••••••3f9a) — anyone know "
    "why the status webhook returns 403?", lang="en")

# ===== benign: checksum-failing look-alikes ========================================
pub("forum", "marloes_webwinkel",
    f"Let op bij het invullen van het Veerdam retourformulier: het voorbeeld "
    f"'{nl_iban(valid=False)}' in hun handleiding is geen echt rekeningnummer, vul je eigen in "
    f"hè 😅")
pub("x", "@happyhound_uk",
    f"Tracking no. {card('5', valid=False)} said delivered and it actually was! First time ever. "
    f"Thanks Veerdam 🐶", lang="en")
pub("x", "@lampenlab",
    f"Klantnummer {bsn(valid=False)} bij Veerdam, iemand een idee hoe ik oude facturen "
    f"download? Zie het nergens in het portaal.")
pub("reddit", "u/accounts_amy",
    f"Weird: Veerdam's invoice template shows payee {gb_iban(valid=False)} in the demo PDF. "
    f"Obviously a dummy, the real one is on the actual invoice.", lang="en")

# ===== benign: the company's own public contact data ==============================
corp("x", VC_HELP,
    "Vragen over je zending? Mail naar klantenservice@veerdamcargo.nl of bel 0800-0833 "
    "(ma–vr 8–18u). We helpen je graag!", name="Veerdam Help")
corp("linkedin", VC_LI,
    "We're hiring! Customs specialist (m/f/x) for our Rotterdam office. Send your CV to "
    "werkenbij@veerdamcargo.nl", lang="en", name="Veerdam Cargo")
corp("facebook", VC_FB,
    "Liever per overschrijving betalen? Gebruik ons rekeningnummer NL18 RABO 0381 7264 50 o.v.v. "
    "je factuurnummer. Vragen: facturen@veerdamcargo.nl", name="Veerdam Cargo")
pub("x", "@phoneholly",
    "For anyone else hunting for Veerdam's UK phone number: it's +44 20 7946 0321. Took me "
    "ages to find, leaving it here.", lang="en")
pub("facebook", "Debbie.Cole.Leeds",
    "PSA: fake 'Veerdam customs fee' texts are going around. Their real support is "
    "hello@veerdamcargo.co.uk, don't click links in the SMS.", lang="en", name="Debbie Cole")
corp("x", VC_X,
    "Heads-up: Dover–Calais crossings are delayed up to 6 hours today due to weather. UK "
    "deliveries may shift by a day. Follow your parcel at track.veerdamcargo.nl",
    lang="en", name="Veerdam Cargo")
corp("x", VC_X,
    "Wij gaan vertrouwelijk om met je gegevens. Lees onze privacyverklaring op "
    "veerdamcargo.nl/privacy.", name="Veerdam Cargo")
corp("x", VC_HELP,
    "Storing track & trace van vanochtend (9:10–9:55) is opgelost. Excuses voor het ongemak!",
    name="Veerdam Help")

# ===== benign: codename / embargo words used harmlessly ============================
pub("x", "@vera_fietst",
    "Op weg naar het Veerdam-depot een zeehond gespot in de Waalhaven 🦭 dag is goed begonnen")
pub("bluesky", "@tynesidebirder.bsky.social",
    "Kittiwakes back nesting on the Tyne Bridge! Absolute joy on the lunch break 🐦",
    lang="en", allow={"codename_word"})
corp("x", VC_X,
    "Vanaf vandaag live: Veerdam NightLink 🌙 's avonds opgehaald, 's ochtends bezorgd in "
    "Belfast. Boek via het portaal!", at="2027-01-26T08:05:00Z", name="Veerdam Cargo")
emp("threads", SOPHIE,
    "Veerdam NightLink has been live for a week and we've already moved 4,000 parcels to "
    "Belfast overnight 🌙", lang="en", at="2027-02-02T12:30:00Z")
corp("linkedin", VC_LI,
    "Vandaag publiceren we onze jaarcijfers 2026. Lees het volledige verslag op "
    "veerdamcargo.nl/investeerders.", at="2027-03-10T07:30:00Z", name="Veerdam Cargo")
pub("x", "@fin_watcher_uk",
    "Read Veerdam's FY2026 results this morning, solid growth in the UK segment. Good for them.",
    lang="en", at="2027-03-12T09:10:00Z")
emp("linkedin", RUBEN,
    "Trots op ons finance-team: de jaarafsluiting 2025 is keurig op tijd en de jaarcijfers 2025 "
    "staan sinds vandaag op onze site.", at="2026-03-11T08:00:00Z")
corp("x", VC_X,
    "Naar aanleiding van berichten over Noordkaap Express: Veerdam is niet betrokken bij "
    "overnamegesprekken. Business as usual.", name="Veerdam Cargo")

# ===== benign: news about others, sympathy, resolved complaints ===================
pub("reddit", "u/freightnewsbot",
    "Noordkaap Express to cut 120 jobs after losing two UK contracts. Rough time for the "
    "smaller forwarders.", lang="en")
pub("x", "@modehuisjet",
    "Datalek bij een grote webwinkel vandaag in het nieuws, gelukkig heeft dat niks met onze "
    "verzender (Veerdam) te maken. Check wel even je wachtwoorden mensen")
pub("x", "@paperandpine",
    "Update: Veerdam found my missing pallet at Dartford and delivered it the same day with a "
    "handwritten note. Complaint withdrawn, thank you @lotte_vd_kade 🙏", lang="en")
pub("facebook", "Henk.Zandstra.Transport",
    "Sterkte aan alle chauffeurs die vannacht vast stonden bij Calais door de storm. Ook de "
    "mannen van Veerdam, jullie zijn helden.", name="Henk Zandstra")
pub("instagram", "@atelier.vanrossum",
    "Klacht van vorige week is netjes opgelost, Veerdam heeft de 2 gebroken vazen binnen 3 "
    "dagen vergoed. Chapeau.")
pub("x", "@northernsoaps",
    "My parcel 'stuck in customs' was actually waiting for ME to upload the invoice. My bad, "
    "not Veerdam's. Sorted now 🙈", lang="en")
pub("x", "@runclubrdam",
    "Kanker is een rotziekte. Zondag lopen we mee voor het KWF, ook een heel team van Veerdam "
    "Moerdijk loopt mee 💛 #samentegenkanker")
# ===== benign: praise, questions, everyday posts ===================================
pub("x", "@norfolkknots",
    "Shout-out to Veerdam Cargo: 300 orders to the UK last month and zero customs drama. First "
    "December since Brexit I've actually slept.", lang="en", at="2026-01-06T21:14:00Z")
pub("instagram", "@wolwinkel.zus",
    "Eerste zending via Veerdam naar Londen: maandag weg, woensdag bezorgd 🇬🇧📦 dank jullie!")
pub("x", "@theeleuk",
    "Vraagje: moet ik bij het DDP Customs Pack van Veerdam nog zelf een EORI hebben of regelen "
    "jullie dat? @veerdam_help", kind="reply")
emp("linkedin", INGRID,
    "Volgende week spreek ik op de Cross-Border Ecommerce dag in Utrecht over UK-btw na de "
    "Brexit. Slides deel ik daarna hier!")
emp("x", MO,
    "Laatste nachtdienst erop, 1400 dozen gescand 💪 ff slapen nu")
emp("instagram", DAAN,
    "Zonsopkomst boven de Moerdijkbrug vanuit de cabine 🌅 beste kantoor van Nederland")
pub("tiktok", "@packwithpriya",
    "packing UK orders tonight, Veerdam pickup at 9 tomorrow 📦✨ #smallbusiness #packwithme",
    lang="en")
pub("x", "@lifehack_lars",
    "Lifehack voor UK-zendingen: print je handelsfacturen vooraf en plak ze op de doos. De "
    "chauffeurs van Veerdam worden er blij van.")
corp("instagram", VC_IG,
    "Maak kennis met Daan, een van onze chauffeurs, die al 600 keer het Kanaal is overgestoken "
    "🚛🇬🇧 #peopleofveerdam")
emp("reddit", BRAM,
    "General tip for anyone shipping to Northern Ireland: read the HMRC guidance on the green "
    "lane before blaming your forwarder 😉", lang="en", kind="comment")
emp("bluesky", JANNEKE,
    "Campagneshoot vandaag met onze chauffeurs in Dover 🎬 over een paar weken te zien!")
emp("mastodon", TIJS,
    "Talk recording is up: 'Scanning two million shipping labels a day with Rust'. Feedback "
    "welcome!", lang="en")
emp("threads", SOPHIE,
    "Loved meeting our customers at the Birmingham craft fair today. So many lovely little NL "
    "shops shipping over here 💛", lang="en")
emp("x", LOTTE,
    "Excuses aan iedereen die vandaag lang moest wachten in de chat, we waren onderbezet door "
    "de griep. Morgen zijn we weer met z'n allen 💪", at="2026-02-11T17:30:00Z")
pub("x", "@cosycornercrafts",
    fw("Thank you Veerdam") + " 🥹 everything arrived in one piece this time!", lang="en")
# --------------------------------------------------------------------------- severity (CONTRACT s4)
RANK = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KINDS = ("iban", "card", "bsn")


def severity(cats, role, has_checked_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "error"
                if c in ("leak.secret", "leak.pricing"):
                    v = "critical"
                if c == "leak.pii" and has_checked_id:
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
            raise ValueError(c)
        best = max(best, RANK.index(v))
    return RANK[best]


# --------------------------------------------------------------------------- normalisation for checks
ZW_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = ZW_RE.sub("", s)
    return "".join(_CYR_BACK.get(c, c) for c in s)


def compact(s):
    return re.sub(r"[^0-9a-z]", "", norm(s).lower())


PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def iban_candidates(t):
    return [re.sub(r"\s", "", m.group(0)) for m in
            re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", t)]


def card_candidates(t):
    return [re.sub(r"\D", "", m.group(0)) for m in
            re.finditer(r"(?<![\w+\-])\d(?:[ -]?\d){12,18}(?![\w\-])", t)]


def bsn_candidates(t):
    pats = [r"(?<![\d.\-/])\d{9}(?![\d.\-/])", r"(?<!\d)\d{4}\.\d{2}\.\d{3}(?!\d)",
            r"(?<![\d.])\d{3}[. ]\d{3}[. ]\d{3}(?![\d.])"]
    return [re.sub(r"\D", "", m.group(0)) for p in pats for m in re.finditer(p, t)]


def amounts(t):
    out = []
    for m in re.finditer(r"(?:€|EUR)\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:€|euro)\b", t):
        v = (m.group(1) or m.group(2)).replace(",", ".")
        out.append(float(v))
    return out


def products_in(t):
    low = t.lower()
    found = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![0-9a-z])" + re.escape(a.lower()) + r"(?![0-9a-z])", low):
                found.append(p)
                break
    return found


PRICE_ERR = re.compile(r"prijsfout|price error|pricing error|glitch|foutje|komma verkeerd|"
                       r"moet natuurlijk", re.I)
RATIO = PROFILE["pricing"]["alert_below_ratio"]
EMBARGO = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
INTERNAL = ([("codename", x) for x in PROFILE["internal"]["codenames"]]
            + [("marker", x) for x in PROFILE["internal"]["markers"]]
            + [("domain", x) for x in PROFILE["internal"]["domains"]])
CHECKERS = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok, "github": gh_ok, "jwt": jwt_ok}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())


# --------------------------------------------------------------------------- build + check
def main():
    errors = []

    def err(case, msg):
        errors.append(f"{case['post']['id']}: {msg} :: {case['post']['text'][:70]!r}")

    order = list(range(len(CASES)))
    rng.shuffle(order)
    cases = [CASES[i] for i in order]
    seen_ids = set()
    for n, c in enumerate(cases, 1):
        p = c["post"]
        p["id"] = f"{p['platform']}-507{n:03d}"
        assert p["id"] not in seen_ids
        seen_ids.add(p["id"])

    lines = []
    for c in cases:
        p = c["post"]
        role = role_of(p["platform"], p["account"]["handle"])
        cats = c["cats"]
        t = norm(p["text"])
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))

        # ---- generated identifiers and credentials
        checked_ids = False
        for kind, value, valid in c["gen"]:
            if norm(value) not in t:
                err(c, f"generated {kind} not found in text")
            chk = CHECKERS.get(kind)
            if chk and chk(norm(value)) != valid:
                err(c, f"{kind} {value!r} checksum should be {valid}")
            if kind in CHECKSUM_KINDS:
                if valid:
                    checked_ids = True
                    if "leak.pii" not in cats:
                        err(c, f"valid {kind} in a post without leak.pii")
                    if re.sub(r"\s", "", value).upper() in PUB_IBANS:
                        err(c, "generated IBAN collides with a public identifier")
                elif cats:
                    err(c, f"invalid {kind} look-alike in a positive post")
            elif valid and "leak.secret" not in cats:
                err(c, f"credential {kind} in a post without leak.secret")

        # ---- scans over the normalised text
        for ib in iban_candidates(t):
            ok = iban_ok(ib)
            if ok and ib.upper() not in PUB_IBANS and "leak.pii" not in cats:
                err(c, f"valid IBAN {ib} in a post without leak.pii")
            if not ok and cats and "leak.pii" in cats:
                err(c, f"IBAN look-alike {ib} failing mod-97 in a pii positive")
            if ok and ib.upper() not in PUB_IBANS and role != "public" and "leak.pii" in cats:
                checked_ids = True
        for cc in card_candidates(t):
            if 13 <= len(cc) <= 19 and luhn_ok(cc) and "leak.pii" not in cats:
                err(c, f"Luhn-valid number {cc} in a post without leak.pii")
        for b in bsn_candidates(t):
            if bsn_ok(b) and "leak.pii" not in cats:
                err(c, f"11-proof number {b} in a post without leak.pii")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if gh_ok(m.group(0)) != ("leak.secret" in cats):
                err(c, f"github token {m.group(0)[:8]}… checksum/label mismatch")
        for m in re.finditer(r"AKIA[0-9A-Z]{16}", t):
            if "EXAMPLE" in m.group(0) and cats:
                err(c, "documentation AWS key in a positive")
            if "EXAMPLE" not in m.group(0) and "leak.secret" not in cats:
                err(c, "AWS key id in a post without leak.secret")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if jwt_ok(m.group(0)) != ("leak.secret" in cats):
                err(c, "JWT/label mismatch")
        if re.search(r"-----BEGIN [A-Z ]*PRIVATE KEY-----", t) and "leak.secret" not in cats:
            err(c, "private key in a post without leak.secret")
        if not cats and re.search(r"(sk_live_|sk-proj-|sk-ant-|xox[bp]-|SG\.|AIza)[0-9A-Za-z_\-]{16,}", t):
            err(c, "live-looking credential in a benign post")

        # ---- confidential material
        low, comp = t.lower(), compact(p["text"])
        hits = []
        for kind, term in INTERNAL:
            if term.lower() in low or compact(term) in comp:
                hits.append(term)
        for term, until in EMBARGO:
            if term.lower() in low and ts < until:
                hits.append(term)
                if "leak.confidential" not in cats:
                    err(c, f"embargoed term {term!r} before {until} without leak.confidential")
        if not cats and hits and "codename_word" not in c["allow"]:
            err(c, f"benign post contains internal material {hits}")
        if "leak.confidential" in cats and not hits:
            err(c, "leak.confidential without any codename/marker/internal host/embargo term")

        # ---- pricing
        prods = products_in(t)
        amts = amounts(t)
        low_price = any(a < RATIO * p_["list_price"] for p_ in prods for a in amts)
        if "leak.pricing" in cats:
            if not prods:
                err(c, "pricing positive without a catalogue product")
            if not (low_price or PRICE_ERR.search(t)):
                err(c, "pricing positive without a price below ratio or price-error talk")
        elif prods and (low_price or PRICE_ERR.search(t)):
            err(c, f"non-pricing post with product {prods[0]['name']} and low price {amts}")

        # ---- schema (CONTRACT s1 / s6)
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(c, "bad id")
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            err(c, "bad platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(c, "bad handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            err(c, "bad text")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]):
            err(c, "bad created_at")
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2028, 1, 1, tzinfo=timezone.utc)):
            err(c, "created_at outside 2026-2027")
        if not set(cats) <= TAXONOMY or cats != sorted(set(cats)):
            err(c, "bad categories")

        sev = severity(cats, role, checked_ids)
        if not cats and sev != "none":
            err(c, "benign post with severity")
        lines.append({"post": p, "expect": {"categories": cats, "severity": sev}})

    # ---- set-level checks
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    per_cat = {k: 0 for k in sorted(TAXONOMY)}
    for l in lines:
        for k in l["expect"]["categories"]:
            per_cat[k] += 1
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    want = {"reputation.complaint": (17, 24), "leak.confidential": (15, 22), "leak.pii": (13, 18),
            "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 15),
            "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"{benign} benign, want about 60")
    for k, (lo, hi) in want.items():
        if not lo <= per_cat[k] <= hi:
            errors.append(f"{k}: {per_cat[k]} posts, want {lo}-{hi}")
    if not 0.50 <= nl / n <= 0.60:
        errors.append(f"Dutch share {nl / n:.2f}, want about 0.55")
    leak = [l for l in lines if any(k.startswith("leak.") for k in l["expect"]["categories"])]
    rep = [l for l in lines if l["expect"]["categories"]
           and all(k.startswith("reputation.") for k in l["expect"]["categories"])]
    insider = sum(1 for l in leak if role_of(l["post"]["platform"], l["post"]["account"]["handle"]) != "public")
    public_rep = sum(1 for l in rep if role_of(l["post"]["platform"], l["post"]["account"]["handle"]) == "public")
    if not (0.65 <= insider / len(leak) < 1.0):
        errors.append(f"leak authors: {insider}/{len(leak)} insiders")
    if not (0.8 <= public_rep / len(rep) < 1.0):
        errors.append(f"reputation authors: {public_rep}/{len(rep)} public")
    texts = [l["post"]["text"] for l in lines]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")

    with OUT.open("w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")

    # re-read the file as a consumer would
    for i, raw in enumerate(OUT.read_text(encoding="utf-8").splitlines(), 1):
        obj = json.loads(raw)
        if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
            errors.append(f"line {i}: bad shape")
        if obj["expect"]["severity"] not in RANK:
            errors.append(f"line {i}: bad severity")

    sev_count = {}
    for l in lines:
        sev_count[l["expect"]["severity"]] = sev_count.get(l["expect"]["severity"], 0) + 1
    print(f"{n} cases, {benign} benign, nl {nl}/{n} ({nl / n:.0%}), insiders {insider}/{len(leak)} "
          f"of leaks, public {public_rep}/{len(rep)} of reputation")
    print("per category:", json.dumps(per_cat))
    print("severities:", json.dumps(sev_count, sort_keys=True))
    if errors:
        print(f"SELF-CHECK FAILED ({len(errors)}):")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check passed")


if __name__ == "__main__":
    main()
