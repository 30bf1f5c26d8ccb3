#!/usr/bin/env python3
"""Build the sealed evaluation set 454 (Vonkenberg Porselein / Tafelvonk).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are written by
hand; identifiers and credentials inside them are generated here the way the real
ones are built (IBAN mod-97, Luhn, BSN 11-proof, GitHub CRC-32 tokens, AWS key ids,
JWTs, OpenSSH keys ...). Expected severities are computed from the CONTRACT §4
policy and the account role in profile.yaml, never typed by hand.

Writes cases.jsonl next to this file and checks it; exits non-zero on any problem.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(454_2026)

# --------------------------------------------------------------------------- categories
SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCU = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"
TAXONOMY = {SEC, PII, PRI, CON, FIN, SCU, CRI, CMP, ABU, "reputation.spike"}

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


# identifiers generated for the case currently being written
_pending = []

BANKS = ["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB", "RBRB"]


def _iban_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(valid=True, spaced=True, cc="NL"):
    while True:
        if cc == "NL":
            bban = rng.choice(BANKS) + "".join(rng.choice(string.digits) for _ in range(10))
        elif cc == "BE":
            bban = "".join(rng.choice(string.digits) for _ in range(12))
        else:  # DE
            bban = "".join(rng.choice(string.digits) for _ in range(18))
        ck = _iban_check(cc, bban)
        if not valid:
            ck = "%02d" % ((int(ck) + rng.randint(1, 90)) % 97 + 2)
            ck = ck[-2:]
        s = cc + ck + bban
        if iban_ok(s) == valid:
            break
    _pending.append(("iban", s, valid))
    return _group4(s) if spaced else s


def card(valid=True, sep=" "):
    while True:
        prefix = rng.choice(["4", "4", "51", "53", "55", "2221"])
        body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
        for last in "0123456789":
            if luhn_ok(body + last):
                good = last
                break
        last = good if valid else rng.choice([c for c in "0123456789" if c != good])
        num = body + last
        if luhn_ok(num) == valid:
            break
    _pending.append(("card", num, valid))
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def bsn(valid=True, style="plain"):
    while True:
        d = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s == 10:
            continue
        last = s if valid else rng.choice([x for x in range(10) if x != s])
        num = "".join(map(str, d)) + str(last)
        if bsn_ok(num) == valid:
            break
    _pending.append(("bsn", num, valid))
    if style == "dots":
        return num[:4] + "." + num[4:6] + "." + num[6:]
    return num


# --------------------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def _b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    tok = prefix + body + _b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    _pending.append(("secret", tok, True))
    return tok


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and _b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    k = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    _pending.append(("secret", k, True))
    return k


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def stripe_live():
    k = "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))
    _pending.append(("secret", k, True))
    return k


def slack_bot():
    k = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1),
                           "".join(rng.choice(ALNUM) for _ in range(24)))
    _pending.append(("secret", k, True))
    return k


def openai_key():
    a = "".join(rng.choice(ALNUM + "_-") for _ in range(74))
    b = "".join(rng.choice(ALNUM + "_-") for _ in range(74))
    k = "sk-proj-" + a + "T3BlbkFJ" + b
    _pending.append(("secret", k, True))
    return k


def google_api_key():
    k = "AIza" + "".join(rng.choice(ALNUM + "_-") for _ in range(35))
    _pending.append(("secret", k, True))
    return k


def gitlab_pat():
    k = "glpat-" + "".join(rng.choice(ALNUM + "_-") for _ in range(20))
    _pending.append(("secret", k, True))
    return k


def _b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(sub, name, role):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1780000000 + rng.randint(0, 9_000_000)
    body = _b64u(json.dumps({"sub": sub, "name": name, "role": role, "iat": iat,
                             "exp": iat + 86400}, separators=(",", ":")).encode())
    sig = _b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    tok = head + "." + body + "." + sig
    _pending.append(("secret", tok, True))
    return tok


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def openssh_ed25519(comment):
    """A structurally correct unencrypted OpenSSH ed25519 private key (random bytes)."""
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    pub, seed = rb(32), rb(32)
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = rb(4)
    priv = chk + chk + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(comment.encode())
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    blob = (b"openssh-key-v1\0" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    _pending.append(("secret", key, True))
    return key


def pw(n=14):
    k = "".join(rng.choice(ALNUM + "!#%&*") for _ in range(n))
    _pending.append(("secret", k, True))
    return k


# --------------------------------------------------------------------------- roles
def _key(platform, handle):
    return (platform + ":" + handle).lower()


ROLE = {}
for h in PROFILE["accounts"]["corporate"]:
    ROLE[h.lower()] = "corporate"
for h in PROFILE["accounts"]["employee"]:
    ROLE[h.lower()] = "employee"


def role_of(platform, handle):
    return ROLE.get(_key(platform, handle), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, ids):
    checksum_id = any(kind in ("iban", "card", "bsn") and ok for kind, _, ok in ids)
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRI):
                    v = "critical"
                elif c == PII:
                    v = "critical" if checksum_id else "error"
                else:
                    v = "error"
            else:
                v = "warning"
        elif c == CMP:
            v = "warning"
        elif c == CRI:
            v = "error"
        elif c == ABU:
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, SEV.index(v))
    return SEV[best]


# --------------------------------------------------------------------------- timestamps
T0 = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc)


def rand_time():
    t = T0 + dt.timedelta(seconds=rng.randint(0, int((T1 - T0).total_seconds())))
    return t


def fmt_time(t):
    if rng.random() < 0.2:
        off = dt.timezone(dt.timedelta(hours=2 if 4 <= t.month <= 9 else 1))
        return t.astimezone(off).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- cases
CASES = []
_used_ids = set()


def P(platform, handle, lang, cats, text, kind="post", when=None):
    global _pending
    ids = _pending
    _pending = []
    while True:
        pid = "%s-%d" % (platform, rng.randint(10**6, 10**7 - 1))
        if pid not in _used_ids:
            _used_ids.add(pid)
            break
    t = at(when) if when else rand_time()
    post = {
        "id": pid,
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": fmt_time(t) if not when else when,
    }
    if platform == "x":
        post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), rng.randint(10**17, 10**18))
    role = role_of(platform, handle)
    cats = sorted(set(cats))
    CASES.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, ids)},
                  "_ids": ids, "_role": role, "_t": t})


# ============================================================ complaints (incl. safety)
P("x", "@marloes_vk", "nl", [CMP],
  "@tafelvonk_hulp drie weken na bestelling nog steeds geen Kwelder servies. Track & trace zegt "
  "'in behandeling' sinds 2 mei. Serieus?", kind="reply")
P("instagram", "@lucy.makes.things", "en", [CMP],
  "Ordered the Duinzand dinner plates as a wedding gift, 2 of the 6 arrived cracked and nobody "
  "has answered my email in 9 days. Not impressed tbh", kind="comment")
P("facebook", "Ingrid Schalkwijk", "nl", [CMP],
  "Glazuur van mijn Nevel mokken bladdert na een paar keer vaatwasser al af aan de rand 😒 "
  "Voor bijna 20 euro per stuk verwacht je toch echt beter van Vonkenberg")
P("reddit", "u/tea_and_grumbles", "en", [CMP],
  "PSA re Tafelvonk: the 'handmade' mugs all being slightly different sizes is charming, sure. "
  "Mine leaks at the handle join though. Returned it and they want ME to pay return shipping. Meh.")
P("x", "@stijn_antw", "nl", [CMP],
  "echt?? verzending naar België ineens €14,95 bij tafelvonk. heb net 2 Veenklei bekers besteld "
  "van 17,50. verzendkosten bijna net zo duur als de beker zelf")
P("x", "@hollie_rdam", "en", [CMP],
  "Booked the pottery wheel workshop at Vonkenberg for my mum's 60th. Turned up, locked door, "
  "it had been cancelled and nobody told us. Drove an hour for nothing.")
P("forum", "theeleut_72", "nl", [CMP],
  "Kwelder theepot binnen, deksel past niet, klappert bij het schenken en er loopt thee langs de "
  "tuit over het tafelkleed. Voor 89 euro vind ik dat gewoon slordig afgewerkt.")
P("threads", "@gwen.interiors", "en", [CMP],
  "the Slikwad vase on the website: soft sage green. the Slikwad vase in my hallway: swamp. "
  "and the returns portal has been throwing an error since Tuesday")
P("instagram", "@famvanderzande", "nl", [CMP],
  "4x gebeld met jullie klantenservice, elke keer 25 min in de wacht en dan verbroken. "
  "Retour #TV-208341 is nog steeds niet terugbetaald. Hoe lang nog?", kind="comment")
P("bluesky", "@maggiepotts.bsky.social", "en", [CMP],
  "Tafelvonk shipped all 18 pieces of my Kwelder set wrapped in ONE sheet of paper. Guess how many "
  "survived. Who packs porcelain like that")
P("tiktok", "@mama_van_3", "nl", [CMP],
  "kikkerdril kinderservies na 1 week al oranje verkleurd van de tomatensaus... staat nergens op "
  "de site dat je er geen pasta op mag doen. zonde van het geld", kind="comment")
P("x", "@dev_kathleen", "en", [CMP],
  "@vonkenberg your gift cards don't work at checkout. Tried three times, 'invalid code' every time. "
  "It was a birthday present so that's embarrassing, thanks", kind="reply")
P("x", "@henk_uit_lopik", "nl", [CMP, PII],
  "@tafelvonk_hulp niemand belt me terug over die kapotte Slikwad schaal. Bel dan gewoon zelf: "
  "06-41 87 29 53, ik ben de hele dag thuis", kind="reply")
# first-hand safety incidents: crisis + complaint
P("x", "@ellen_kookt", "nl", [CRI, CMP],
  "Haardvuur ovenschaal uit de oven gehaald en hij knapte gewoon in mijn handen. Scherven in mijn "
  "onderarm, net terug van de huisartsenpost met 3 hechtingen. @vonkenberg dit kan echt niet.")
P("facebook", "Rachel Denholm", "en", [CRI, CMP],
  "My 4 year old drank out of his Kikkerdril cup and bits of glaze were floating in his milk. "
  "GP wants a lead test now. @Vonkenberg what exactly is in this glaze??")
P("instagram", "@studio_lies", "nl", [CRI, CMP],
  "Kwelder theepot in de magnetron gezet (op de doos staat magnetronbestendig!!) en dat gouden "
  "randje begon te vonken en te roken. Magnetron kapot, ik schrok me dood. Leuk hoor Vonkenberg.",
  kind="comment")
P("reddit", "u/burnt_by_a_mug", "en", [CRI, CMP],
  "Update on my Nevel mug saga: the handle snapped off while I was carrying hot coffee and it went "
  "all over my hand. Second-degree burn. Vonkenberg's response was a 10% voucher. Seriously.")
P("x", "@sanne_s_thuis", "nl", [CRI, CMP],
  "Sinds we van de nieuwe Duinzand borden eten zijn mijn dochter en ik allebei misselijk. Huisarts "
  "vraagt of het glazuur wel getest is. @tafelvonk_hulp kunnen jullie dat aantonen??")

# ============================================================ crisis (third party, boycott, breach ...)
P("x", "@jorisvlaar", "nl", [CRI],
  "Via een vriendin: in een restaurant in Leiden is gisteren een Slikwad schaal op tafel "
  "gesprongen, een gast moest met een snee in haar hand naar de EHBO. Vonkenberg zou het onderzoeken.")
P("x", "@ethical_tableware", "en", [CRI],
  "Vonkenberg sells itself as 'made in Gouda' but the Kwelder set is cast in a factory abroad and "
  "only glazed here. Not buying another piece until they come clean. #boycottvonkenberg")
P("facebook", "Wendy Baars", "nl", [CRI],
  "Sinds gisteren krijg ik phishingmails met mijn naam én mijn complete Tafelvonk-bestelling erin. "
  "Dat kan alleen als hun klantgegevens op straat liggen. Wie heeft dit nog meer??")
P("threads", "@designwatch_eu", "en", [CRI],
  "Reading that an independent ceramicist is taking Vonkenberg to court, claiming the Slikwad vase "
  "is a straight copy of her 2022 piece. Oof.")
P("x", "@nieuws_gouwe", "nl", [CRI],
  "Vonkenberg roept Kikkerdril kinderbekers terug vanwege loslatend glazuur. Klanten krijgen hun "
  "geld terug, aldus het bedrijf.")
P("bluesky", "@fairwork.watch", "en", [CRI],
  "Former staff say Vonkenberg's kiln crew worked 12-hour shifts next to 1200°C kilns during the "
  "heatwave with no extra breaks. If true that's a scandal. #ethicalceramics")
P("x", "@oog_op_gouda", "nl", [CRI],
  "Brand bij Vonkenberg?? Dikke zwarte rook boven het bedrijventerrein aan de Goudse kant, "
  "drie wagens van de brandweer staan voor de werkplaats")
P("tiktok", "@greenwash.detector", "en", [CRI],
  "stitch this: Vonkenberg's 'plastic-free' packaging arrived stuffed with styrofoam peanuts. "
  "greenwashing 101. don't buy from them till they fix it")
P("x", "@keuringsnieuws", "nl", [CRI],
  "Uit de nieuwe test van de Consumentenbond: 2 van de 8 ovenschalen gaven te veel lood af, "
  "waaronder de Haardvuur van Vonkenberg.")
P("facebook", "Tamsin O'Reilly", "en", [CRI],
  "Is anyone else's card getting hit with random charges right after ordering from tafelvonk.nl? "
  "Three of us in this group now. Smells like a skimmer on their checkout.")

# ============================================================ abuse
P("facebook", "Gert Zwanenburg", "nl", [ABU],
  "Vonkenberg is een stelletje oplichters en die snertgriet van de klantenservice van gisteren mag "
  "wat mij betreft direct op straat gezet worden. Dom wicht.")
P("x", "@k0tsbeker", "nl", [ABU],
  "Vonkenberg = k4nk3rz00i, die mokken van jullie zijn gewoon k.u.t. en jullie ook")
P("x", "@truthbomb_77", "en", [ABU],
  "@mirjam_draait stick to spinning clay sweetheart, nobody asked for your opinion. ugly bitch",
  kind="reply")
P("facebook", "Hans de Ruiter", "nl", [ABU],
  "Sinds er zo'n hoofddoek achter de kassa staat in de winkel in Gouda kom ik er niet meer. "
  "Ga lekker terug naar je eigen land.")
P("x", "@angrymugs", "en", [ABU],
  "Ｆｕｃｋ Ｖｏｎｋｅｎｂｅｒｇ and their overpriced mud cups")
P("instagram", "@dirkjan.z", "nl", [ABU, CMP],
  "Derde kapotte levering op rij en dan nog zo'n kutmailtje terugkrijgen van jullie 'klantenservice'. "
  "Stelletje amateurs, echt kansloos.", kind="comment")
P("x", "@mike_w_uk", "en", [ABU, CMP],
  "Waited 6 weeks for a teapot that arrived in pieces. Your support woman Femke is a useless moron. "
  "Refund me already.")
P("x", "@gouwe_gast", "nl", [ABU],
  "Wat een sсhоftеn zijn het toch bij Vоnkеnbеrg, tuig van de richel")
P("x", "@no_more_mr_nice", "en", [ABU],
  "I know where your glaze guy Daan lives. Maybe I'll pay him a visit with a hammer and see how he "
  "likes broken things")
P("x", "@bas_ovenploeg", "nl", [ABU],
  "Als je zo'n zeikerd bent koop je je borden toch lekker bij de Action, eikel.", kind="reply")
P("x", "@tafelvonk_hulp", "nl", [ABU],
  "Met alle respect, maar wat een onzinpost. Misschien eerst even leren lezen voor je gaat "
  "zeuren, idioot.", kind="reply")

# ============================================================ personal data
P("x", "@tafelvonk_hulp", "nl", [PII],
  f"Hoi Marleen, je retour is verwerkt! Het bedrag gaat terug naar {iban()} op naam van M. Jacobs, "
  "binnen 5 werkdagen op je rekening.", kind="reply")
P("x", "@femke_webshop", "en", [PII],
  "Customer keeps calling about a missing Zilte melkkan, her number is +31 6 2874 1196 if anyone on "
  "the team can ring her back, I'm off today")
P("reddit", "u/rik_magazijn", "nl", [PII],
  "lol label van vandaag: J. de Boer, Kattensingel 14, 2801 CA Gouda, DRIE Kwelder sets. kan iemand "
  "die mevrouw vertellen dat we geen verhuisbedrijf zijn")
P("instagram", "@vonkenberg.porselein", "nl", [PII],
  "🎉 De winnaar van onze Zomerdijk-winactie is Sophie van Rijn (geboren 14-03-1991, uit Bodegraven)! "
  "Stuur ons even een DM Sophie!")
P("linkedin", "yasmina-oulad-ali", "nl", [PII],
  f"Voor de loonadministratie mis ik nog van Tim Kuipers: BSN {bsn()} en rekening {iban(spaced=False)}. "
  "Tim, check je mail even 🙏")
P("facebook", "VonkenbergPorselein", "nl", [PII],
  f"Beste klant, we konden uw creditcard {card()} helaas niet belasten voor bestelling TV-211907. "
  "Wilt u het opnieuw proberen?", kind="comment")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [PII],
  "Huge thanks to Hotel De Waag for ordering 400 Duinzand plates! Contact there is Erik Mulder, "
  "erik.mulder@dewaaghotel.nl / 06 19283746 — great guy, recommend reaching out.")
P("x", "@priya_r_gouda", "nl", [PII],
  f"@tafelvonk_hulp hierbij mijn gegevens voor de retour: Priya Ramdin, Van Bergen IJzendoornpark 33, "
  f"Gouda, IBAN {iban()}", kind="reply")
P("x", "@jamesontour", "en", [PII],
  f"@vonkenberg can you refund to my card instead? it's {card()} exp 09/28", kind="reply")
P("mastodon", "@kvdlinden", "en", [PII],
  "Weird checkout bug: order for lisa.vermeulen88@gmail.com throws a 500 on the address "
  "'Turfmarkt 102, Gouda'. anyone seen this with Shopware 6.5?")
P("bluesky", "@lotteschildert.bsky.social", "nl", [PII],
  "Gefeliciteerd Mirjam Hoekstra!! 🎂 geboren 7 juni 1992 en nog steeds de snelste draaister van "
  "Gouda", when="2026-06-07T08:12:44Z")
P("x", "@wraakengel_gd", "nl", [PII, ABU],
  "Die glazuurman Daan Verhoef woont op de Oosthaven 61 in Gouda. Ga er gerust eens langs om te "
  "vertellen wat je van z'n rotservies vindt.")
P("linkedin", "vonkenberg-porselein", "nl", [PII],
  "Gesprek bevestigd met kandidaat Sem Bakker (tel. 0031 6 55 12 90 47, geb. 02-11-1998) voor de "
  "functie glazuurtechnicus. Tot donderdag Sem!", kind="comment")
P("linkedin", "yasmina-oulad-ali", "en", [PII],
  f"Reminder for payroll: Wouter, your salary bounced — is {iban()} still your account? We have BSN "
  f"{bsn(style='dots')} on file, please confirm both.")

# ============================================================ confidential
P("x", "@mirjam_draait", "nl", [CON],
  "Eindelijk de eerste proefstukken van Project Kiezelwit uit de oven 😍 mag nog niks laten zien "
  "maar WOW")
P("instagram", "@noor.modelleert", "nl", [CON],
  "Mallen klaar voor Moddervink ✔️ nog een paar weken en dan mogen jullie eindelijk zien waar ik "
  "al maanden mee bezig ben 🤐 #pottery #mouldmaking")
P("mastodon", "@kvdlinden", "en", [CON],
  "anyone know why https://wiki.vonkenberg.nl/ovens/stookschema keeps timing out behind nginx? "
  "proxy_read_timeout is already 300")
P("instagram", "@vonkenberg.porselein", "nl", [CON],
  "Sneak peek 👀 Zwart glazuur, gouden lustre... de Nachtvlinder-collectie komt eraan 🦋",
  when="2026-11-18T17:05:00Z")
P("instagram", "@glazuur.daan", "nl", [CON],
  "Recept voor het Nachtvlinder servies eindelijk stabiel: 38% veldspaat, 22% kwarts, 4% "
  "mangaan... (uitsluitend intern, dus sst 🤫)", when="2026-12-02T21:40:00Z")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [CON],
  "Excited that our new premium line (Operatie Sintelberg internally 😉) will be in De Bijenkorf "
  "next spring!")
P("x", "@femke_webshop", "en", [CON],
  "pasted the wrong link in the newsletter draft, it pointed to erp.vonkenberg.nl/orders/export "
  "lol. nobody outside can open that anyway right?")
P("x", "@ceramicgossip", "nl", [CON],
  "Mijn zus werkt bij Vonkenberg en zegt dat ze volgend jaar een mat zwart servies lanceren onder de "
  "naam Moddervink. You heard it here first 👀")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [CON],
  "Slide 4 of the deck literally says 'Vonkenberg confidential' but the new cake stand renders are "
  "too good not to share 😅")
P("bluesky", "@lotteschildert.bsky.social", "nl", [CON],
  "Vandaag de eerste decors geschilderd voor Pro\u200bject Kiezel\u200bwit 🎨 mijn pols is op maar "
  "wat wordt dit mooi")
P("x", "@mirjam_draait", "nl", [CON],
  "ＭＯＤＤＥＲＶＩＮＫ proefstook geslaagd!!! 🔥🔥")
P("tiktok", "@vonkenberg_atelier", "en", [CON],
  "POV: you're not allowed to talk about the Moth collection yet but you're way too excited 🦋🤫",
  when="2027-01-09T16:30:00Z")
P("linkedin", "ruben-kastelein-vonkenberg", "nl", [CON, FIN],
  "Voorlopige jaarcijfers 2026 binnen: omzet +18%, beste jaar in onze geschiedenis. Officieel pas "
  "in maart, maar ik ben nu al trots op dit team.", when="2027-02-11T19:02:00Z")
P("reddit", "u/rik_magazijn", "en", [CON, SCU],
  "our warehouse scanner app talks to intra.vonkenberg.local:8443 and it's been down since 6am, so "
  "nothing ships today. customers haven't been told yet lol")
P("x", "@supplychain_sleuth", "en", [CON],
  "Leaked supplier doc, marked 'niet extern delen': Vonkenberg is moving the whole Duinzand line to a "
  "factory in Portugal next year.")
P("linkedin", "vonkenberg-porselein", "nl", [CON],
  "Trots op het hele team achter Operatie Sintelberg! Binnenkort meer nieuws 🔥")
P("x", "@bas_ovenploeg", "nl", [CON],
  "Morgen presentatie van Kiеzеlwit bij de directie, duimen jullie mee? 🤞")

# ============================================================ financial
P("linkedin", "ruben-kastelein-vonkenberg", "nl", [FIN],
  "Q3 valt tegen. We stellen de omzetprognose voor 2026 bij naar -12%; morgen vertellen we het "
  "intern. Geen fijne week.")
P("linkedin", "yasmina-oulad-ali", "en", [FIN],
  "Tough weeks ahead at Vonkenberg: we'll be letting go of around 25 people in the webshop team. "
  "Announcement is next Monday. If you're hiring, please ping me.")
P("x", "@bas_ovenploeg", "nl", [FIN],
  "hoorde net in de kantine dat we overgenomen worden door een Deens designhuis 😳 niemand mag het "
  "weten maar de hele ovenploeg weet het al")
P("reddit", "u/porcelain_insider", "en", [FIN],
  "My uncle sits on Vonkenberg's board. They're in talks to buy a Portuguese porcelain factory, "
  "announcement before summer apparently.")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [FIN],
  "Pretty sure Q4 closes at €6.1M revenue, way above plan 🚀 don't tell anyone I said that 🙊")
P("x", "@vonkenberg", "nl", [FIN],
  "Interne update: de winkel in Delft sluit per 1 maart, de 6 medewerkers worden herplaatst of "
  "krijgen een vertrekregeling.")
P("x", "@mirjam_draait", "nl", [FIN],
  "Reorganisatie bij ons: vanaf januari geen handgedraaide series meer, alles wordt gegoten in de "
  "nieuwe fabriek. Weet nog niet of ik blijf 😢")
P("linkedin", "ruben-kastelein-vonkenberg", "en", [FIN],
  "Our lenders approved the bridge loan this morning, which gives us runway into Q2 2027. Not public "
  "yet, but what a relief.")
P("x", "@femke_webshop", "nl", [FIN],
  "webshopomzet oktober -31% tov vorig jaar. als dit doorzet wordt 2026 een rood jaar. pfff")
P("reddit", "u/goudse_kaasschaaf", "nl", [FIN],
  "Insider info: er ligt een bod van 14 miljoen van een investeringsfonds op tafel bij Vonkenberg. "
  "Gaat waarschijnlijk gewoon door.")
P("instagram", "@noor.modelleert", "nl", [FIN],
  "Niemand zegt het hardop, maar de modelmakerij gaat terug naar 2 fte. Wie er blijft horen we "
  "15 november. Slecht geslapen.")

# ============================================================ security
P("mastodon", "@kvdlinden", "nl", [SCU],
  "Lekker dan. Iemand is via een oude plugin binnengekomen met admin-rechten op onze webshop. We "
  "zitten er sinds vannacht bovenop, nog niks naar buiten gebracht dus sst.")
P("x", "@femke_webshop", "en", [SCU],
  "heads up team: Tafelvonk checkout has been down for 4 hours and we still haven't put up a banner. "
  "payment provider says the problem is on our side")
P("mastodon", "@kvdlinden", "en", [SCU],
  "found an IDOR on our own order page: change the number in /account/orders/ and you get someone "
  "else's address. reported internally, fix ETA friday. not disclosed yet")
P("x", "@bas_ovenploeg", "nl", [SCU],
  "ransomware op de pc van de ovenbesturing, alle stookprogramma's versleuteld. we stoken vandaag op "
  "de gok lol")
P("reddit", "u/rik_magazijn", "en", [SCU],
  "warehouse got a phishing mail, someone clicked it, IT reset everyone's passwords and the label "
  "printers are offline. fun monday. officially it's 'maintenance'")
P("linkedin", "anouk-brouwer-vonkenberg", "nl", [SCU],
  "Onze nieuwsbrieflijst (± 40.000 klanten) is per ongeluk via een open link met een extern bureau "
  "gedeeld. IT zoekt nu uit wie het bestand gedownload heeft. Nog niet gecommuniceerd.")
P("x", "@tafelvonk_hulp", "nl", [SCU],
  "Excuses voor de trage reacties, ons klantsysteem is gehackt en we werken nu even met pen en "
  "papier", kind="reply")
P("mastodon", "@kvdlinden", "en", [SCU],
  "TLS cert on pay.vonkenberg.nl expired at midnight and nobody noticed, customers got browser "
  "warnings for 6 hours. postmortem tomorrow, keep it quiet till then")
P("mastodon", "@kvdlinden", "en", [SCU, SEC],
  f"well. our staging S3 creds sat in a public repo for 2 days: {aws_key_id()} / {aws_secret()} "
  "— rotated now, but check your buckets")
P("x", "@ceramic_it_guy", "en", [SCU],
  "Mate of mine in Vonkenberg IT says their backup server has been wide open to the internet for "
  "months and management won't pay to fix it.")
P("instagram", "@noor.modelleert", "nl", [SCU],
  "onze fileserver is g e h a c k t, alle 3D-modellen van volgend seizoen weg. niet doorvertellen "
  "aub", kind="comment")
P("mastodon", "@kvdlinden", "nl", [SCU, CON],
  "vpn.vonkenberg.nl ligt al 2 dagen plat na die exploit in de firewall, niemand kan thuiswerken. "
  "officieel 'onderhoud' 🙃")

# ============================================================ secrets
P("mastodon", "@kvdlinden", "nl", [SEC],
  f"waarom werkt dit niet?? git clone https://{github_token()}@github.com/vonkenberg/webshop-theme.git "
  "geeft 'repository not found'")
P("x", "@femke_webshop", "en", [SEC],
  f"testing the new checkout, stripe key is {stripe_live()} — should this go in .env or in the "
  "plugin config?")
P("mastodon", "@kvdlinden", "nl", [SEC],
  f"DATABASE_URL=postgres://shop_admin:{pw(12)}@10.20.0.14:5432/tafelvonk\nwaarom krijg ik "
  "steeds 'too many connections'?")
P("instagram", "@vonkenberg.porselein", "nl", [SEC],
  f"Onze nieuwe planningstool werkt! wachtwoord: {pw(13)} (oeps verkeerde venster 🙈)",
  kind="comment")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [SEC],
  f"Our Slack bot for order alerts is live: {slack_bot()} — can someone add it to #webshop-orders?")
P("mastodon", "@kvdlinden", "nl", [SEC],
  f"productteksten laten we nu door AI schrijven, key {openai_key()} staat nog hard in de plugin, "
  "fix ik later")
P("reddit", "u/rik_magazijn", "nl", [SEC],
  f"kan iemand dit token checken? scanner zegt 401\nAuthorization: Bearer "
  f"{jwt('rik.peeters', 'Rik Peeters', 'warehouse')}")
P("mastodon", "@kvdlinden", "en", [SEC],
  "deploy key for the kiln temperature monitor, paste it into ~/.ssh on the pi:\n"
  + openssh_ed25519("kilnmon@vonkenberg"))
P("x", "@sourcecode_snoop", "en", [SEC],
  f"lol tafelvonk.nl has a live Google Maps key in the page source: {google_api_key()} "
  "someone tell them")
P("x", "@femke_webshop", "en", [SEC],
  f"CI keeps failing on the theme build, token is {gitlab_pat()} — expired or wrong scope?")
P("x", "@bas_ovenploeg", "nl", [SEC],
  f"wifi ovenhal: netwerk VB-Oven, ww: {pw(11)} voor de nieuwe jongens 👍")

# ============================================================ pricing
P("x", "@vonkenberg", "nl", [PRI],
  "🔥 Flash deal! Kwelder 18-delige serviesset nu voor €34,90. Op = op!")
P("x", "@femke_webshop", "nl", [PRI],
  "oeps, prijsfout in de webshop: Kwelder theepot staat op €8,90 ipv €89. wordt aan gewerkt, "
  "niet doorvertellen 🙈")
P("x", "@snelle_sjaan", "nl", [PRI],
  "RENNEN: Slikwad vaas hoog voor €12,90 op tafelvonk.nl, dat moet een prijsfout zijn 🏃‍♀️🏃‍♀️")
P("reddit", "u/dealhunter_nl", "en", [PRI],
  "Tafelvonk is selling the Haardvuur baking dish for 6.40 EUR right now lmao, ordered four")
P("instagram", "@vonkenberg.porselein", "nl", [PRI],
  "Nieuw in de shop: het Zomerdijk taartplateau op voet, slechts €6,90 🍰")
P("linkedin", "anouk-brouwer-vonkenberg", "en", [PRI],
  "B2B quote going out today for the hotel: Duinzand dinner plates at €9.50 each, 400 pieces. "
  "Best deal they'll ever get!")
P("x", "@thomas_koffie", "nl", [PRI],
  "Zit er een fout in de app? Nevel mok kost daar €1,99 en op de site gewoon 19,95")
P("facebook", "VonkenbergPorselein", "nl", [PRI],
  "BLACK FRIDAY ⚫ Brons espressokopje met schotel van €16,50 voor €4,95!")
P("reddit", "u/kiln_curious", "en", [PRI],
  "price glitch? Atelier Thuis glaze kit shows €5.90 at checkout on the Vonkenberg shop. anyone "
  "else seeing this")
P("reddit", "u/rik_magazijn", "nl", [PRI],
  "half magazijn staat vol met Veenklei bekers, volgende week gaan ze voor 5 euro per stuk de "
  "deur uit")
P("x", "@budgetmama_nl", "nl", [PRI],
  "Kikkerdril kinderservies voor € 3 , 9 0 ??? prijsfout bij tafelvonk, snel zijn")
P("x", "@alexinamsterdam", "en", [PRI],
  "booked the draaiworkshop for €9.50 instead of €95, thank you Vonkenberg pricing error 😂")

# ============================================================ benign (mostly hard negatives)
P("x", "@tafelvonk_hulp", "nl", [],
  "Vragen over je bestelling? Mail klantenservice@tafelvonk.nl of bel 0182 555 310 (ma–vr 9–17 u). "
  "We helpen je graag!")
P("threads", "@vonkenberg.porselein", "en", [],
  "Press enquiries: pers@vonkenberg.nl. Our factory shop in Gouda is open Tuesday to Saturday.")
P("facebook", "VonkenbergPorselein", "nl", [],
  "Liever per overschrijving betalen? Dat kan naar NL14 RABO 0312 8450 76 t.n.v. Vonkenberg "
  "Porselein B.V., onder vermelding van je ordernummer.")
P("x", "@vonkenberg", "nl", [],
  f"Let op: er gaan nepfacturen rond uit naam van Vonkenberg met rekeningnummer {iban(valid=False)}. "
  "Dat is NIET ons nummer, niet betalen!")
P("x", "@koffieverkeerd", "nl", [],
  "Nevel mok, €19,95, elke cent waard ☕ drink er al een jaar dagelijks uit")
P("instagram", "@vonkenberg.porselein", "nl", [],
  "Zomeruitverkoop ☀️ Duinzand dinerbord van €34,50 voor €27,60 (-20%). Alleen deze week!")
P("x", "@oliviatakestea", "en", [],
  "got the Kwelder teapot in the sale for €71.20 and I'm obsessed")
P("x", "@gouwe_deals", "nl", [],
  "Kwelder servies 25% korting t/m zondag bij Tafelvonk, wie gaat er los?")
P("mastodon", "@kvdlinden", "en", [],
  "Nice writeup on rotating AWS keys. Note that the docs use AKIAIOSFODNN7EXAMPLE as the placeholder "
  "— never paste a real one into a ticket.")
P("mastodon", "@kvdlinden", "nl", [],
  "Tip voor collega-devs: zet nooit een token in een issue. Zo herken je ze: "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — zie je dat patroon, meteen intrekken.")
P("instagram", "@vonkenberg.porselein", "nl", [],
  "Hij is er! De Nachtvlinder-collectie is vanaf vandaag te koop in de webshop en in onze winkel 🦋",
  when="2027-01-22T10:15:00Z")
P("threads", "@vonkenberg.porselein", "en", [],
  "Meet the Moth collection: deep black glazes, a touch of gold lustre, thrown and fired in Gouda.",
  when="2027-02-03T11:00:00Z")
P("linkedin", "ruben-kastelein-vonkenberg", "nl", [],
  "Vandaag publiceerden we onze jaarcijfers 2026: omzet +18%. Dank aan alle collega's, klanten en "
  "leveranciers!", when="2027-03-05T09:30:00Z")
P("x", "@jeroen_fietst", "nl", [],
  "Update: @tafelvonk_hulp heeft de kapotte schaal binnen 2 dagen vervangen, met een handgeschreven "
  "kaartje erbij. Zo los je dat op 👏")
P("facebook", "Marianne Koolhaas", "nl", [],
  "Sterkte aan iedereen bij Vonkenberg met het overlijden van jullie oud-oprichter. Zijn theepot "
  "staat hier nog elke ochtend op tafel.")
P("x", "@retailwatcher_nl", "nl", [],
  "Grote Duitse serviesfabrikant schrapt 300 banen. Hopelijk houden kleinere ateliers als "
  "Vonkenberg het wel vol.")
P("x", "@parentinggeek", "en", [],
  "Another brand recalled kids' cups over lead this week. Checked our Vonkenberg bowls — their site "
  "says the glaze is lead-free and lab-tested. Phew.")
P("x", "@souffle_sophie", "nl", [],
  "Mijn oven is ontploft. Grapje, mijn soufflé in de Haardvuur ovenschaal was gewoon héél "
  "enthousiast 😂")
P("threads", "@noahdecor", "en", [],
  "the Slikwad vase is so good it should honestly be illegal")
P("x", "@vraagjevanjet", "nl", [],
  "Kun je de Duinzand borden in de magnetron? Kan het nergens op de site vinden")
P("reddit", "u/dublin_dishes", "en", [],
  "Does anyone know if Vonkenberg ships to Ireland? Their site only lists NL, BE and DE.")
P("x", "@mirjam_draait", "nl", [],
  "Vandaag 60 mokken gedraaid, mijn onderarmen zijn op 💪 #pottery #gouda")
P("instagram", "@glazuur.daan", "en", [],
  "Weekend glaze tests. The copper red finally behaves. Not sharing the recipe — some secrets stay "
  "in the kiln 😉")
P("linkedin", "vonkenberg-porselein", "nl", [],
  "We zoeken een glazuurtechnicus (32–38 uur)! Stuur je cv naar werkenbij@vonkenberg.nl of bel "
  "0182 555 310.")
P("x", "@tafelvonk_hulp", "nl", [],
  "Let op: er gaan nep-sms'jes rond namens Tafelvonk. Wij vragen NOOIT om je wachtwoord of "
  "pincode. Twijfel? Bel 0800-0727.")
P("x", "@vonkenberg", "en", [],
  "Scheduled maintenance: the webshop will be offline Sunday 02:00–04:00 CET while we upgrade. "
  "Orders placed before then ship as usual.")
P("reddit", "u/flatpack_hacker", "en", [],
  "hacked an IKEA shelf to fit all my Vonkenberg mugs, zero regrets")
P("instagram", "@lifeofbram", "nl", [],
  "Die Brons cappuccinokop is echt een killer, ik wil er nog zes", kind="comment")
P("x", "@happy_customer_jo", "en", [],
  "Customer service at Tafelvonk was brilliant — Femke sorted my address mix-up in five minutes")
P("x", "@appgebruiker_nl", "nl", [],
  f"Handig: in de Tafelvonk-app staat je klantnummer ({bsn(valid=False)}) meteen bovenaan, scheelt "
  "zoeken in je mail")
P("reddit", "u/numbers_nerd", "en", [],
  f"My Tafelvonk order confirmation number looks like a credit card lol: {card(valid=False)}")
P("x", "@factuurkijker", "en", [],
  "Tafelvonk's invoice template literally shows 'NL00 BANK 0000 0000 00' as the sample account "
  "number, made me laugh")
P("instagram", "@kraamvisite_kim", "nl", [],
  "Kikkerdril kinderservies gekocht voor de kraamvisite, zo schattig 🐸", kind="comment")
P("x", "@shopsmall_sam", "en", [],
  "Big data breach at some UK homeware chain today. Glad I mostly buy from small places like "
  "Tafelvonk.")
P("facebook", "Femmy Blom", "nl", [],
  "Ik boycot al jaren fast fashion, maar servies koop ik gewoon bij Vonkenberg. Gaat 30 jaar mee.")
P("x", "@clumsy_carl", "en", [],
  "If my Nevel mug ever breaks I'm suing gravity, not Vonkenberg 😂")
P("x", "@vonkenberg", "nl", [],
  "Onze winkel in Gouda is op Koningsdag gesloten. Fijne dag allemaal! 🧡",
  when="2026-04-25T10:00:00Z")
P("bluesky", "@lotteschildert.bsky.social", "nl", [],
  "Decoreren in de werkplaats, podcast aan, thee uit de Kwelder pot. Beste baan die er is.")
P("linkedin", "ruben-kastelein-vonkenberg", "en", [],
  "Proud that Vonkenberg was named Gouda Employer of the Year. Great team, great people.")
P("instagram", "@saar.maakt", "nl", [],
  "Draaiworkshop gedaan bij Vonkenberg, mijn kom lijkt op een asbak maar ik ben trots 😅")
P("tiktok", "@vonkenberg_atelier", "en", [],
  "Fun fact: our glazes are mixed by hand in 20 kg batches. Ask us anything 👇")
P("x", "@tech_tess", "en", [],
  "Used 'forgot password' on tafelvonk.nl and the reset link arrived in seconds. Nice.")
P("mastodon", "@kvdlinden", "en", [],
  "Blogpost: how we moved our webshop to containers without downtime. Spoiler: staging first, lots "
  "of coffee.")
P("mastodon", "@kvdlinden", "en", [],
  "Config example from my meetup talk: DATABASE_URL=postgres://user:password@localhost:5432/shop "
  "— obviously a placeholder, not our real one.")
P("forum", "servieshulp", "nl", [],
  "Onze oude theepot lekte als een mandje, de Kwelder theepot lekt geen druppel. Aanrader.")
P("x", "@kiln_curious", "en", [],
  "Went to the Vonkenberg open day, the kiln is HUGE, like a small house on fire 🔥")
P("facebook", "VonkenbergPorselein", "nl", [],
  "Onze vaste prijzen: Nevel mok €19,95 · Veenklei beker €17,50 · Brons cappuccinokop €21. Gratis "
  "verzending vanaf €75.")
P("facebook", "Tineke Oosterhuis", "nl", [],
  "Gekregen voor mijn verjaardag: de Slikwad serveerschaal (79 euro!!). Mijn schoonmoeder is de beste.")
P("bluesky", "@cityofgouda.fan", "en", [],
  "Sad to see the fire at the bakery next to Vonkenberg's shop last night. Everyone's safe and the "
  "shop is untouched, thank goodness ❤️")
P("instagram", "@noor.modelleert", "nl", [],
  "Nieuwe mal voor de Veenklei beker af. Zonder oor blijft gewoon het mooist.")
P("linkedin", "vonkenberg-porselein", "en", [],
  "Reminder: our 2026 price list is on vonkenberg.nl/prijzen. No surprises at checkout.")
P("x", "@tafelvonk_hulp", "nl", [],
  "@jeroen_fietst Vervelend dat je mok beschadigd aankwam! We sturen vandaag een nieuwe, je hoeft "
  "niks terug te sturen.", kind="reply")
P("x", "@delft_daily", "en", [],
  "Vonkenberg's new shop in Delft opened today, queue around the block!")
P("x", "@vonkenfan", "nl", [],
  "V O N K E N B E R G ❤️ mijn favoriete winkel van heel Gouda")
P("reddit", "u/agency_life", "en", [],
  "Layoffs at e-commerce agencies everywhere this year. Rough times. Anyway, who makes nice mugs? "
  "Someone recommended Vonkenberg.")
P("x", "@vonkenberg", "nl", [],
  "Morgen om 10:00 een grote aankondiging... 👀🦋", when="2027-01-21T18:00:00Z")
P("youtube", "@HandmadeHomeNL", "nl", [],
  "Nieuwe video: ik test 5 theepotten van Nederlandse makers, waaronder de Kwelder theepot van "
  "Vonkenberg. Spoiler: die wint.")
P("x", "@moneyminded_mo", "en", [],
  "Funny how everyone's posting their FY2025 results this week and I'm just here buying another "
  "Nevel mug")
P("x", "@femke_webshop", "nl", [],
  "Druk in de webshop door de feestdagen! Alle bestellingen van vóór 20 december zijn voor kerst "
  "binnen 🎄")
P("facebook", "Jolanda Verweij", "nl", [],
  "Reactie op de recall van die kinderbekers vorig jaar: bij mij netjes geld terug binnen een week. "
  "Zo hoort het.", kind="comment")


# ============================================================================ checks
problems = []


def err(i, msg):
    problems.append("case %d (%s): %s" % (i, CASES[i]["post"]["id"], msg))


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
for x in PUBLIC_IBANS:
    if not iban_ok(x):
        problems.append("profile public IBAN fails mod-97: " + x)

IBAN_RE = {
    "NL": re.compile(r"\bNL\s?\d{2}(?:\s?[A-Z0-9]){14}\b"),
    "BE": re.compile(r"\bBE\s?\d{2}(?:\s?\d){12}\b"),
    "DE": re.compile(r"\bDE\s?\d{2}(?:\s?\d){18}\b"),
}
CARD_RE = re.compile(r"(?<![\d])[2-6](?:[ -]?\d){14,18}(?!\d)")
BSN_RE = re.compile(r"\b(?:\d{9}|\d{4}\.\d{2}\.\d{3})\b")
MONEY_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?))|(?:(\d+(?:[.,]\d{1,2})?)\s?(?:EUR|euro))", re.I)
CONTRACT_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                      "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

confidential_terms = ([t.lower() for t in PROFILE["internal"]["codenames"]]
                      + [t.lower() for t in PROFILE["internal"]["markers"]]
                      + [t.lower() for t in PROFILE["internal"]["domains"]])
embargo = [([t.lower() for t in e["terms"]], at(e["until"])) for e in PROFILE["embargo"]]

for i, c in enumerate(CASES):
    post, exp, text = c["post"], c["expect"], c["post"]["text"]
    cats = exp["categories"]
    benign = not cats
    # --- CONTRACT §6 / §1 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
        err(i, "bad id")
    if post["platform"] not in CONTRACT_PLATFORMS:
        err(i, "platform")
    if post["kind"] not in KINDS:
        err(i, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(i, "handle")
    if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
        err(i, "text")
    try:
        ts = at(post["created_at"])
        if ts.tzinfo is None:
            err(i, "created_at without offset")
    except ValueError:
        err(i, "created_at not RFC 3339")
        ts = None
    if ts and not (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) <= ts
                   < dt.datetime(2027, 12, 31, tzinfo=dt.timezone.utc)):
        err(i, "created_at out of range")
    if not set(cats) <= TAXONOMY or "reputation.spike" in cats or cats != sorted(set(cats)):
        err(i, "categories")
    if exp["severity"] not in SEV:
        err(i, "severity")
    if benign and exp["severity"] != "none":
        err(i, "benign with severity")
    if not benign and exp["severity"] in ("none", "info"):
        err(i, "positive without severity")
    # --- generated identifiers: valid in positives, invalid in negatives
    for kind, val, ok in c["_ids"]:
        if kind in ("iban", "card", "bsn"):
            real = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if real != ok:
                err(i, "generator mismatch %s %s" % (kind, val))
            if benign and real:
                err(i, "valid %s in a negative" % kind)
            if not benign and not real:
                err(i, "invalid %s look-alike in a positive" % kind)
            if real and PII not in cats:
                err(i, "valid %s but no leak.pii" % kind)
        if kind == "secret" and SEC not in cats:
            err(i, "generated secret without leak.secret")
    # --- independent scan of the text for checksum-bearing numbers
    found = []
    for cc, rx in IBAN_RE.items():
        for m in rx.finditer(text):
            v = re.sub(r"\s", "", m.group(0))
            found.append(("iban", v, iban_ok(v) and v not in PUBLIC_IBANS, v in PUBLIC_IBANS))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 15 <= len(v) <= 19:
            found.append(("card", v, luhn_ok(v), False))
    for m in BSN_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        found.append(("bsn", v, bsn_ok(v), False))
    for kind, v, ok, public in found:
        if public:
            continue
        if benign and ok:
            err(i, "scan: valid %s %s in a negative" % (kind, v))
        if not benign and not ok:
            err(i, "scan: invalid %s look-alike %s in a positive" % (kind, v))
        if ok and PII not in cats:
            err(i, "scan: valid %s without leak.pii" % kind)
    # --- secrets: real formats in positives, only samples in negatives
    for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        if set(tok[4:]) == {"x"}:
            continue  # redacted sample
        if benign:
            err(i, "github token in negative")
        elif not github_token_ok(tok):
            err(i, "github token fails CRC-32 " + tok)
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if benign and not tok.endswith("EXAMPLE"):
            err(i, "AWS key id in negative")
        if not benign and (tok.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)):
            err(i, "AWS key id malformed")
    for tok in re.findall(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if benign:
            err(i, "JWT in negative")
        elif not jwt_ok(tok):
            err(i, "JWT header has no alg")
    if benign and re.search(r"sk_live_|xoxb-|glpat-|sk-proj-|AIza[0-9A-Za-z_-]{35}|PRIVATE KEY", text):
        err(i, "credential-shaped string in negative")
    if SEC in cats and not any(k == "secret" for k, _, _ in c["_ids"]):
        err(i, "leak.secret without a generated credential")
    # --- confidential terms and embargo
    low = text.lower()
    for t in confidential_terms:
        if t in low and CON not in cats:
            err(i, "internal term %r without leak.confidential" % t)
    for terms, until in embargo:
        for t in terms:
            if t in low:
                if ts and ts < until and CON not in cats:
                    err(i, "embargo term %r before until without leak.confidential" % t)
                if ts and ts >= until and benign is False and CON in cats and not any(
                        x in low for x in confidential_terms):
                    err(i, "embargo term %r after until labelled confidential" % t)
    # --- prices below the alert ratio next to a product
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    amounts = [float((a or b).replace(",", ".")) for a, b in MONEY_RE.findall(text)]
    for prod in PROFILE["products"]:
        names = [prod["name"]] + prod["aliases"]
        if any(n.lower() in low for n in names):
            if any(x < ratio * prod["list_price"] for x in amounts) and PRI not in cats:
                err(i, "amount below %.0f%% of %s without leak.pricing" % (ratio * 100, prod["sku"]))
    # --- severity recomputed from the profile role
    if exp["severity"] != severity(cats, role_of(post["platform"], post["account"]["handle"]), c["_ids"]):
        err(i, "severity mismatch")

# mix
from collections import Counter
n = len(CASES)
n_benign = sum(1 for c in CASES if not c["expect"]["categories"])
per_cat = Counter(x for c in CASES for x in c["expect"]["categories"])
langs = Counter(c["post"]["lang"] for c in CASES)
roles = Counter(c["_role"] for c in CASES)
if not 170 <= n <= 180:
    problems.append("case count %d outside 170-180" % n)
if not 50 <= n_benign <= 70:
    problems.append("benign count %d" % n_benign)
if len({c["post"]["id"] for c in CASES}) != n:
    problems.append("duplicate ids")
if not 0.48 <= langs["nl"] / n <= 0.62:
    problems.append("Dutch share %.2f" % (langs["nl"] / n))
texts = [c["post"]["text"] for c in CASES]
if len(set(texts)) != n:
    problems.append("duplicate texts")
p = PROFILE
if len(p["accounts"]["corporate"]) < 6 or len(p["accounts"]["employee"]) < 8:
    problems.append("profile accounts")
if not 15 <= len(p["products"]) <= 25 or len(p["internal"]["codenames"]) != 3 or len(p["internal"]["markers"]) != 3:
    problems.append("profile products/codenames/markers")
for e in p["embargo"]:
    if not e["until"].startswith("2027"):
        problems.append("embargo until not in 2027")

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for c in CASES:
        f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
    for ln, line in enumerate(f, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
            problems.append("line %d shape" % ln)
        for k in ("id", "platform", "account", "text", "created_at"):
            if k not in obj["post"]:
                problems.append("line %d misses %s" % (ln, k))

print("cases: %d  benign: %d  positives: %d" % (n, n_benign, n - n_benign))
print("per category: " + ", ".join("%s=%d" % kv for kv in sorted(per_cat.items())))
print("languages: " + ", ".join("%s=%d" % kv for kv in sorted(langs.items())))
print("roles: " + ", ".join("%s=%d" % kv for kv in sorted(roles.items())))
print("severities: " + ", ".join("%s=%d" % kv for kv in sorted(Counter(c["expect"]["severity"] for c in CASES).items())))
if problems:
    print("SELF-CHECK FAILED:")
    for pr in problems:
        print("  - " + pr)
    sys.exit(1)
print("self-check OK")
