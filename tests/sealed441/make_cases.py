#!/usr/bin/env python3
"""Build cases.jsonl for the fictional vineyard 'Wijngoed Heuvelrank B.V.'.

Deterministic (fixed seed). Post texts are hand-written; credentials, IBANs,
card numbers, BSNs and phone numbers are generated here the way real ones are
built. Severities are computed from CONTRACT section 4 and the account role in
profile.yaml, never typed by hand. The script self-checks its output and exits
non-zero on any problem.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(441_2026)

# --------------------------------------------------------------------------
# generators
# --------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = ALNUM + "+/"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(B32, 16)


def aws_secret():
    return rs(B64, 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


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
    def s(b):
        return struct.pack(">I", len(b)) + b
    pk = bytes(rng.getrandbits(8) for _ in range(32))
    seed = bytes(rng.getrandbits(8) for _ in range(32))
    pub = s(b"ssh-ed25519") + s(pk)
    chk = struct.pack(">I", rng.getrandbits(32))
    priv = chk + chk + s(b"ssh-ed25519") + s(pk) + s(seed + pk) + s(comment.encode())
    i = 1
    while len(priv) % 8:
        priv += bytes([i])
        i += 1
    blob = b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1) + s(pub) + s(priv)
    enc = base64.b64encode(blob).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def nl_iban(bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "0" + "".join(rng.choice("0123456789") for _ in range(9))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(prefix):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c


def group4(n):
    return " ".join(n[i:i + 4] for i in range(0, len(n), 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and tot != 0


def bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(x * (9 - i) for i, x in enumerate(d)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            if bsn_ok(s):
                return s


def break_last_digit(s, ok):
    """A look-alike: same shape, last digit changed so the checksum fails."""
    idx = max(i for i, c in enumerate(s) if c.isdigit())
    for c in "0123456789":
        t = s[:idx] + c + s[idx + 1:]
        if c != s[idx] and not ok(t):
            return t
    raise RuntimeError("cannot break " + s)


def mobile():
    return "6" + "".join(rng.choice("0123456789") for _ in range(8))


# --------------------------------------------------------------------------
# generated values used in the texts ({{name}} placeholders)
# --------------------------------------------------------------------------
G = {}
G["mollie"] = "live_" + rs(ALNUM, 30)
G["akia"] = aws_key_id()
G["awssecret"] = aws_secret()
G["ghp"] = gh_token("ghp_")
G["ghs"] = gh_token("ghs_")
G["slack_hook"] = "https://hooks.slack.com/services/T%s/B%s/%s" % (rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 9), rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10), rs(ALNUM, 24))
G["openai"] = "sk-proj-" + rs(ALNUM + "_-", 48) + "T3BlbkFJ" + rs(ALNUM + "_-", 48)
G["sshkey"] = openssh_ed25519("fenna@kelder-pi")
G["jwt"] = jwt({"sub": "boekingsapp", "role": "staff", "uid": 1187, "iat": 1781190000, "exp": 1781276400})
G["stripe"] = "sk_live_51" + rs(ALNUM, 96)
G["xoxb"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rs(ALNUM, 24))
G["aiza"] = "AIza" + rs(ALNUM + "_-", 35)

G["iban_p1"] = spaced_iban(nl_iban("INGB"))
G["iban_p11"] = nl_iban("RABO")
G["iban_p16"] = spaced_iban(nl_iban("KNAB"))
G["card_p6"] = group4(card("4"))
G["card_p14"] = card("53")
_b = bsn()
G["bsn_p7"] = f"{_b[:4]}.{_b[4:6]}.{_b[6:]}"
G["ph_p2a"] = "06-" + mobile()[1:]
G["ph_p2b"] = "(043) 3%s %s %s" % (rs("0123456789", 2), rs("0123456789", 2), rs("0123456789", 2))
_m = mobile()
G["ph_p5"] = f"0{_m[0]} {_m[1:5]} {_m[5:]}"
_m = mobile()
G["ph_p8"] = f"+31 {_m[0]} {_m[1:5]} {_m[5:]}"
_m = mobile()
G["ph_cmp"] = f"06{_m[1:]}"

# look-alikes for benign posts: right shape, wrong checksum
G["card_bad"] = group4(break_last_digit(card("45"), luhn_ok))
G["bsn_bad"] = break_last_digit(bsn(), bsn_ok)
G["iban_bad"] = spaced_iban(break_last_digit(nl_iban("RABO"), iban_check))
G["card_bad2"] = break_last_digit(card("6"), luhn_ok)

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]
G["company_iban"] = spaced_iban(COMPANY_IBAN)

# --------------------------------------------------------------------------
# roles and severity (CONTRACT section 4)
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


SEV = ["none", "info", "warning", "error", "critical"]


def find_checksum_ids(text):
    """IBANs, payment cards and BSNs in the text, with their checksum result."""
    t = normalise(text)
    out = []
    for m in re.finditer(r"\bNL\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d\b", t):
        out.append(("iban", m.group(0), iban_check(m.group(0))))
    for m in re.finditer(r"(?<!\d)(?<!\d[.,])(?:\d[ -]?){12,18}\d(?!\d)(?![.,]\d)", t):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in re.finditer(r"(?<!\d)(?<!\d[.,])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?!\d)(?![.,]\d)", t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def is_public_iban(s):
    return re.sub(r"\s", "", s).upper() in {i.upper() for i in PROFILE["public_identifiers"]["ibans"]}


def severity(role, cats, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV.index(s) > SEV.index(sev):
            sev = s
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                bump("error")
                if c in ("leak.secret", "leak.pricing"):
                    bump("critical")
                if c == "leak.pii" and any(ok and not (k == "iban" and is_public_iban(v))
                                           for k, v, ok in find_checksum_ids(text)):
                    bump("critical")
            else:
                bump("warning")
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("warning" if role == "public" else "error")
    return sev


# --------------------------------------------------------------------------
# text normalisation used by the self-checks (evasion aware)
# --------------------------------------------------------------------------
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
CYR = str.maketrans("аеорсухіјАВЕКМНОРСТХІ", "aeopcyxijABEKMHOPCTXI")


def normalise(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).translate(CYR)


def squash(text):
    return re.sub(r"[^0-9a-zà-ÿ]", "", normalise(text).lower())


# --------------------------------------------------------------------------
# case builder
# --------------------------------------------------------------------------
CASES = []
_seq = [0]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
WHO = {"c": "corporate", "e": "employee", "p": "public"}
ABBR = {"complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
        "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
        "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security"}


def rand_time():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 358 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21, 22, 23]))
    return t


def fmt_time(t):
    if rng.random() < 0.25:
        off = dt.timezone(dt.timedelta(hours=2 if 4 <= t.month <= 10 else 1))
        return t.astimezone(off).isoformat()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fill(text):
    def sub(m):
        return G[m.group(1)]
    return re.sub(r"\{\{(\w+)\}\}", sub, text)


def case(who, platform, handle, lang, cats, text, at=None, kind="post", brand=None, **flags):
    _seq[0] += 1
    n = _seq[0]
    text = fill(text)
    role = role_of(platform, handle)
    assert role == WHO[who], (n, handle, role, who)
    cats = sorted(ABBR[c] for c in cats)
    post = {
        "id": f"{platform}-hr441-{n:04d}",
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "created_at": at if at else fmt_time(rand_time()),
    }
    if n % 7 != 3:
        post["lang"] = lang
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{19000000000000000 + n * 7919}"
    if brand or rng.random() < 0.3:
        post["brand"] = "heuvelrank"
    CASES.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, text)},
                  "_flags": flags, "_lang": lang})


# ==========================================================================
# CASES
# ==========================================================================

# ---------------- complaints (public) ----------------
case("p", "x", "@marloes_vaals", "nl", ["complaint"],
     "Besteld op 2 juni bij de wijnshop van @heuvelrank, nu drie weken later nog steeds niks. Track & trace zegt al 12 dagen 'in behandeling' 🙄 en op mijn mails reageert ook niemand #klantenservice")
case("p", "x", "@gert_proeft", "nl", ["complaint"],
     "@heuvelrank_service 2 van de 6 flessen uit de proefdoos kwamen kapot aan, hele doos doorweekt en stinkend naar wijn. Foto's gestuurd op maandag, nog geen reactie. Beetje jammer voor €89",
     kind="reply")
case("p", "facebook", "ingrid.peeters.71", "nl", ["complaint"],
     "Zaterdag met vriendinnen de wijngaardwandeling bij Heuvelrank gedaan. Gids was 25 minuten te laat, de 'proeverij' waren vier bodempjes in een plastic bekertje en we mochten niet eens zitten. Voor 37,50 pp vind ik dat echt ondermaats. Wij komen niet meer.")
case("p", "x", "@winewanderer_uk", "en", ["complaint"],
     "Booked the classic tasting at Heuvelrank for my wife's birthday, drove 2 hrs from Antwerp and they'd cancelled it without telling us. No email, no call. Just a locked gate and a sign saying 'gesloten'. Great.")
case("p", "reddit", "u/corkdork_ams", "en", ["complaint"],
     "PSA: the Pinot Noir Kalksteen 2022 I got from the Heuvelrank webshop was corked. Wet cardboard, zero fruit, undrinkable. Their contact form just throws an error when you submit. Has anyone actually managed to get a replacement out of them?")
case("p", "x", "@dirkjan1971", "nl", ["complaint"],
     "Bij @heuvelrank Regent Barrique 2022 besteld, Regent 2021 gekregen. Ander etiket, andere wijn. En nu moet ik 'm zélf terugsturen op eigen kosten?? serieus??")
case("p", "tiktok", "@jaimy.ontdekt", "nl", ["complaint"],
     "storytime: wijnproeverij bij heuvelrank geboekt voor m'n vriendin haar verjaardag en de sommelier deed de hele tijd alsof wij te dom waren voor wijn omdat we 22 zijn 💀 kregen ook kleinere glazen dan de tafel naast ons. never again #wijnproeverij #limburg")
case("p", "forum", "wijnforum:Henny_B", "nl", ["complaint"],
     "Al zes weken wacht ik op de terugbetaling van ons geannuleerde oogstdiner (2 personen, 190 euro). Drie keer gemaild, twee keer het antwoord 'we kijken ernaar'. Wijngoed Heuvelrank, zo ga je toch niet met je gasten om?")
case("p", "facebook", "ron.hermans.7", "nl", ["complaint"],
     "Cadeaubon van Heuvelrank gekregen voor m'n 50e. Willen ze hem bij de wijngaardwandeling niet accepteren want 'alleen geldig in de webshop'. Dat staat nergens op die bon!! Wat een gedoe zeg, ik sta hier met m'n vrouw voor niks.")
case("p", "bluesky", "@kees-eet.bsky.social", "en", ["complaint"],
     "Adopted a vine at Heuvelrank for my dad last Christmas. Promised: a personalised bottle and a name plate in the vineyard. Plate: misspelled. Bottle: never arrived. Emails: ignored. Lovely gift, thanks guys.")

# ---------------- crisis (first-hand harm: crisis + complaint) ----------------
case("p", "x", "@lieke_mheer", "nl", ["crisis", "complaint"],
     "Fles Mergel Brut van @heuvelrank ontplofte gewoon in de koelkast toen ik de deur opendeed. Glas overal, snee in m'n onderarm, moest naar de huisartsenpost voor 3 hechtingen. Dit is toch niet normaal?? 😡")
case("p", "facebook", "martine.kessels.gulpen", "nl", ["crisis", "complaint"],
     "Afgelopen zaterdag bij het oogstdiner van Heuvelrank gegeten. Sindsdien zijn mijn man en ik flink ziek, overgeven en diarree, en van onze tafel van acht zijn er nog vier anderen ook ziek geworden. Ik heb de GGD ingelicht. Van het wijngoed zelf nog niks gehoord.",
     at="2026-10-05T19:41:00+02:00")
case("p", "reddit", "u/glassinmywine", "en", ["crisis", "complaint"],
     "Poured the last glass from a Heuvelrank Solaris 2024 tonight and there was a sliver of glass at the bottom. I'd already drunk most of the bottle. Throat feels scratchy. Anyone else had this? Messaged them, nothing back yet.")
case("p", "x", "@tom_and_fleur", "en", ["crisis", "complaint"],
     "Our daughter has a nut allergy. We told heuvelrank TWICE when booking the tasting and she still got served a bite with walnut in it. Epipen, ambulance, the lot. I'm still shaking. How does this even happen")
case("p", "instagram", "@fitfoodie_britt", "en", ["crisis", "complaint"],
     "Did the Heuvelrank vineyard walk today. The guide took us right past rows they had sprayed that morning, no sign, no warning. My eyes and throat burned for hours and my boyfriend threw up in the car park. Not okay. #heuvelrank",
     at="2026-06-14T17:02:00+02:00")
case("p", "youtube", "@WijnVlogMaas", "nl", ["crisis", "complaint"],
     "Zonet een flesje verjus van Heuvelrank opengedraaid voor de saus, dopje knalde eraf en er dreef schimmel in. Mijn zoontje had er al een slok van genomen en heeft nu buikpijn. Fles bewaard voor de NVWA.")
case("p", "reddit", "u/throwaway_cardmess", "en", ["crisis", "complaint"],
     "Heuvelrank's webshop is leaking card details, I'm sure of it. Ordered there on the 3rd, by the 5th my card had 4 charges from some shop in Romania. Two friends who ordered the same week got the exact same thing. They're sitting on a breach and not telling anyone.")

# ---------------- crisis (third party / news / boycott / lawsuit / recall) ----------------
case("p", "x", "@heuvelland_nieuws", "nl", ["crisis"],
     "Bezoeker gewond bij Wijngoed Heuvelrank in Vaals nadat een trekker tijdens een wijngaardwandeling achteruit reed. Ambulance ter plaatse, slachtoffer is naar het MUMC+ gebracht. Oorzaak wordt onderzocht.")
case("p", "x", "@buurt_tegen_gif", "nl", ["crisis"],
     "OPROEP: boycot Heuvelrank! Ze spuiten pal naast basisschool De Wingerd terwijl de kinderen buiten spelen. Deel dit en koop hun wijn niet meer tot ze stoppen. #boycotheuvelrank #gifspuiten #vaals")
case("p", "linkedin", "mr-m-verheijen-advocaat", "nl", ["crisis"],
     "Namens een groep omwonenden hebben wij vandaag een dagvaarding uitgebracht tegen Wijngoed Heuvelrank B.V. wegens aanhoudende nachtelijke geluidsoverlast van de vorstventilatoren en de daaruit voortvloeiende gezondheidsschade. De zaak dient in januari bij de rechtbank Limburg.")
case("p", "x", "@arbeid_onder_druk", "nl", ["crisis"],
     "Schrijnend: Poolse plukkers bij Wijngoed Heuvelrank sliepen met 14 man in één schuur zonder douche, 10 uur per dag voor ver onder het minimumloon. De Arbeidsinspectie is ingeschakeld. #uitbuiting #seizoensarbeid",
     at="2026-10-21T08:15:00Z")
case("p", "x", "@limburg_vandaag", "nl", ["crisis"],
     "NVWA: Heuvelrank roept Rankbloem Rosé (lot L2406) terug. In enkele flessen kunnen glasdeeltjes zitten. Niet opdrinken en terugbrengen naar het verkooppunt.")
case("p", "tiktok", "@wijnmeisje_", "en", ["crisis"],
     "apparently a 16 y/o got served three full glasses at the heuvelrank tasting last weekend, nobody checked ID, and she ended up in hospital. this place needs to be shut down fr 😳")
case("c", "x", "@heuvelrank", "nl", ["crisis"],
     "Uit voorzorg roepen wij de Mergel Brut met lotnummer MB-2511 terug. Bij een klein aantal flessen kan de druk in de fles te hoog zijn. Open de fles niet en breng hem terug; u krijgt het volledige aankoopbedrag retour. Vragen: info@heuvelrank.nl")
case("p", "x", "@etiketdetective", "en", ["crisis"],
     "Heuvelrank sells its Auxerrois as 'natural, no added sulfites'. Our lab test: 92 mg/l total SO2. That's not a rounding error, that's lying on the label to people with sulfite sensitivity. Full report in the thread 🧵")

# ---------------- abuse ----------------
case("p", "x", "@xXwijnhaterXx", "nl", ["abuse"],
     "heuvelrank = kankerwijn voor kankermensen. rot toch op met je 'terroir' en je mergel")
case("p", "instagram", "@real_rutger_88", "en", ["abuse"],
     "your sommelier Yara is a clueless bimbo who shouldn't be allowed near a wine glass lol. hire someone with a brain next time @heuvelrank.wijnen",
     kind="comment")
case("p", "x", "@grenzen_dicht_nl", "nl", ["abuse"],
     "Heuvelrank laat alleen Polen en Roemenen plukken. Gore gelukzoekers allemaal, stuur ze terug en neem gewoon Nederlanders aan. Walgelijk bedrijf.")
case("e", "x", "@joepvandervin", "nl", ["abuse"],
     "@dirkjan1971 man ga toch lekker janken. Als je het verschil tussen 2021 en 2022 niet eens proeft ben je gewoon een sukkel",
     kind="reply")
case("c", "instagram", "@heuvelrank.wijnen", "en", ["abuse"],
     "@sophie.drinkt.wijn maybe learn to read your own bank statement before whining on our page, idiot",
     kind="comment")
case("p", "x", "@k3ld3rr4t", "nl", ["abuse"],
     "h3uv3lr4nk zijn echte k4nk3rl1jers, h0p3 d4t j3 w1jng44rd 4fbr4ndt h4h4")
case("p", "x", "@anon_wijnfles", "en", ["abuse"],
     "Heuvelrank staff are f\u200bucking m\u200bor\u200bons, every single one of them. Pathetic little vineyard.")
case("p", "facebook", "harry.dohmen.1964", "nl", ["complaint", "abuse"],
     "Wéér geen levering!! Jullie zijn een stelletje incompetente klungels bij Heuvelrank, echt waardeloos volk. Drie weken wachten op zes flessen en niemand die de telefoon opneemt.")
case("p", "x", "@angie_b_london", "en", ["complaint", "abuse"],
     "Heuvelrank charged me twice for the wine club and the woman on the phone hung up on me. Absolute clowns, dumbest bunch of muppets I have ever dealt with.")
case("p", "tiktok", "@sjaak.on.tour", "nl", ["abuse"],
     "die dikke gids bij heuvelrank, Marieke ofzo, moet eerst zelf maar eens afvallen voordat ze ons gaat vertellen hoe we moeten proeven 🐷🐷🐷")
case("p", "x", "@wijnkenner404", "nl", ["abuse"],
     "H e u v e l r a n k  =  t e r i n g t e n t. Klootzakken zijn het daar.")

# ---------------- confidential ----------------
case("e", "x", "@lotte_brouns", "nl", ["conf"],
     "Eerste proefbatch van Project Nachtvorst vandaag gebotteld 🍾 nog niks zeggen hè, maar dit wordt echt iets bijzonders")
case("e", "instagram", "@bram.wijnboer", "en", ["conf"],
     "Sneak peek: base wine for the new Rubis Brut Rosé just came out of the press 🍓 can't wait for you all to taste it!",
     at="2026-09-22T18:30:00+02:00")
case("e", "linkedin", "marieke-hoenen", "nl", ["conf"],
     "Mooie sessie vandaag met het team over de nieuwe proefruimte en de routing van de groepen (Operatie Houtvat). Screenshot van de plattegrond hieronder — staat wel 'heuvelrank intern' op, dus niet te ver doorsturen 😉")
case("e", "x", "@fenna_devops", "en", ["conf"],
     "anyone got a sane nginx config for a reverse proxy in front of kelder.heuvelrank.local? the cellar tablets need it by friday and I'm out of ideas")
case("e", "threads", "@yara.sommelier", "en", ["conf"],
     "tasted the Ganzenveer blend with Lotte today. 60/40 Souvignier Gris and Johanniter and that's all I'm saying 🤐")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["conf"],
     "kelderdag vlog 🎥 hier zie je het vat van de Rubis Sekt, release pas volgend jaar dus sssst 🤫 #kelderleven",
     at="2026-11-08T15:12:00Z")
case("c", "facebook", "WijngoedHeuvelrank", "nl", ["conf"],
     "Nieuwe ronde vacatures voor oogst en proeflokaal! Collega's: de interne versie met salarisschalen staat op https://intranet.heuvelrank.local/hr/vacatures-2026 . Externe kandidaten solliciteren via werken@heuvelrank.nl.")
case("p", "reddit", "u/ex_plukker_2025", "nl", ["conf"],
     "Ik heb vorige oogst bij Heuvelrank gewerkt. Ze zijn bezig met iets dat 'Project Nachtvorst' heet, volgens mij een alcoholvrije bubbel. Hangt gewoon op het whiteboard in de kantine lol")
case("e", "bluesky", "@sannekuijpers.bsky.social", "nl", ["conf"],
     "Persbericht voor de lancering van de Heuvelrank Rubis is af 🎉 nu nog een paar maandjes op m'n handen zitten...",
     at="2026-12-03T10:05:00Z")
case("e", "x", "@joepvandervin", "en", ["conf"],
     "new bottle designs for the 2027 range just landed in my inbox. marked 'niet buiten het domein delen' but honestly they're too pretty not to show you 👀 [4 images]")
case("e", "mastodon", "@tijmen_webshop", "en", ["conf"],
     "Pushed the new checkout branch to https://git.heuvelrank.nl/webshop/checkout-v3 — reviews welcome (internal folks only, obviously)")
case("e", "x", "@lotte_brouns", "nl", ["conf"],
     "ｐｒｏｊｅｃｔ ｎａｃｈｔｖｏｒｓｔ gaat volgende maand de tank in 🥂🥂")
case("e", "instagram", "@bram.wijnboer", "nl", ["conf"],
     "Vandaag de eerste vaten voor Oреratiе Ноutvаt gevuld. Nog even geheim wat erin zit 🪵")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["conf"],
     "G.a.n.z.e.n.v.e.e.r komt eraan en het wordt 🔥🔥 (mag eigenlijk niks zeggen)")
case("e", "threads", "@yara.sommelier", "en", ["conf"],
     "Can't say much, but we're making an orange wine from Souvignier Gris that nobody outside the cellar knows about yet 🍊🤫 skin contact, 3 weeks",
     unreleased=True)
case("e", "linkedin", "henk-ramakers-heuvelrank", "nl", ["conf", "fin"],
     "Trots op het team: de jaarcijfers 2026 laten een omzetgroei van 31% zien en een EBITDA ruim boven budget. De officiële presentatie volgt in maart, maar ik wilde jullie dit alvast laten weten.",
     at="2027-01-28T11:20:00+01:00")
case("p", "x", "@wijnjournalist_li", "nl", ["conf", "fin"],
     "Heb het oogstrapport 2026 van Heuvelrank al in handen 👀 spoiler: de hagel heeft ze veel harder geraakt dan ze naar buiten brengen. Opbrengst per hectare bijna gehalveerd.",
     at="2027-01-20T09:44:00Z")

# ---------------- financial ----------------
case("e", "x", "@lotte_brouns", "en", ["fin"],
     "Just came out of the MT meeting: we're being bought by a big Belgian drinks group. Nothing official yet so lips sealed everyone 😬")
case("e", "linkedin", "marieke-hoenen", "en", ["fin"],
     "Tough day. Management told the team leads today that 9 of the 22 hospitality jobs will go after the season and the tasting room will close on weekdays. The rest of the staff hears it next week. Be kind to each other.",
     at="2026-08-27T19:02:00+02:00")
case("e", "threads", "@yara.sommelier", "nl", ["fin"],
     "mensen vragen waarom we in de winter geen proeverijen meer doen: reorganisatie, de halve bediening gaat er in januari uit. hoort nog niemand te weten btw")
case("e", "x", "@joepvandervin", "en", ["fin"],
     "webshop revenue Q3 is down 38% vs last year, the internal dashboard is just red everywhere. not exactly the vibe going into the holidays 😬",
     at="2026-10-09T16:45:00Z")
case("p", "x", "@drankenbranche_insider", "nl", ["fin"],
     "Hoor uit goede bron dat Heuvelrank in gesprek is met de buren van Wijndomein Eyserhof over een fusie. Deal zou vóór de oogst rond moeten zijn. Wordt vervolgd.")
case("e", "bluesky", "@sannekuijpers.bsky.social", "en", ["fin"],
     "finance shared the 2027 forecast at the all-hands: a loss of roughly €400k because of the frost damage. not public yet so this stays between me and my 12 followers 😅")
case("c", "linkedin", "wijngoed-heuvelrank", "nl", ["fin"],
     "CONCEPT – NOG NIET PLAATSEN: Wijngoed Heuvelrank neemt per 1 januari wijnhandel De Kurkentrekker in Maastricht over. Over de overnamesom is niets bekendgemaakt. Quote Henk volgt.")
case("e", "x", "@fenna_devops", "en", ["fin"],
     "IT budget for next year got cut by 60% as part of the 'herstructurering'. Half the freelancers are gone by March. Fun times ahead.")
case("p", "reddit", "u/former_hr_person", "en", ["fin"],
     "Saw an internal memo before I left: Heuvelrank is going into 2027 on a 2.5m credit line from the bank, they've missed their revenue target two years running, and an investor from Dubai is supposedly coming in. Draw your own conclusions.")
case("e", "instagram", "@bram.wijnboer", "nl", ["fin"],
     "Oogst 2026 zit erin: 41 ton, zo'n 35% minder dan vorig jaar door de hagel 🍇 De officiële cijfers zijn nog niet naar buiten, maar jullie vroegen er zo vaak om.",
     at="2026-10-30T20:10:00+01:00")

# ---------------- security ----------------
case("e", "x", "@fenna_devops", "en", ["sec"],
     "lol turns out the wijnshop admin panel was reachable without a login for 3 days. patched it this morning. customers won't hear about it if it's up to management 🙃")
case("e", "mastodon", "@tijmen_webshop", "en", ["sec"],
     "Heads up team: the order export endpoint on the shop returns any customer's name and address if you just increment the order id. Not fixed yet, ticket is filed. Please don't share outside.")
case("e", "x", "@lotte_brouns", "nl", ["sec"],
     "Hele kelder-ERP ligt plat door ransomware sinds vannacht, we kunnen geen orders meer picken. Naar buiten toe heet het 'technisch onderhoud' 🙄")
case("e", "linkedin", "marieke-hoenen", "nl", ["sec"],
     "Collega's: de boekingsmodule voor de proeverijen ligt er morgen de hele dag uit, de migratie is mislukt. Gasten weten nog van niks, dus bel de boekingen van morgen zelf even na.")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["sec"],
     "de tanktemperatuur kan letterlijk iedereen aanpassen via een open poortje op internet 😂 IT weet het al 2 weken en er gebeurt niks. als de Regent straks kookt weet je waarom")
case("e", "bluesky", "@sannekuijpers.bsky.social", "en", ["sec"],
     "our newsletter list leaked: ~12k customer emails sat in a public bucket for a week. we're 'assessing the situation' before telling anyone. I hate this job sometimes.")
case("e", "threads", "@yara.sommelier", "en", ["sec"],
     "fun fact: the guest wifi in the tasting room is on the same network as the card terminals. told IT in spring. still the same. 🙃")
case("e", "x", "@joepvandervin", "en", ["sec"],
     "phishing mail got through to 3 colleagues and one of them typed in her Microsoft login. now fake invoices are going out to customers from her account and nobody has warned the customers yet 😬")
case("p", "reddit", "u/pentest_pete", "en", ["sec"],
     "Reported a stored XSS on Heuvelrank's gift voucher page two months ago. Zero response, still unpatched as of today. Not posting details yet but this is getting silly.")
case("c", "x", "@heuvelrank_service", "nl", ["sec"],
     "@anoukvl klopt, onze betaalprovider is sinds vanochtend gehackt en we hebben online betalen uitgezet. Zeg het nog even niet verder aub, er komt vanmiddag een statement.",
     kind="reply")
case("e", "x", "@fenna_devops", "en", ["sec"],
     "the customer database backup hasn't run since July and nobody noticed. if that server dies now we lose literally everything. great.")
case("e", "mastodon", "@tijmen_webshop", "en", ["sec"],
     "We're still running the shop on Magento 2.3 with CVE-2022-24086 open. Migration got postponed again. Fingers crossed nobody scans us 🤞")

# ---------------- secrets ----------------
case("e", "mastodon", "@tijmen_webshop", "en", ["secret"],
     "can someone sanity-check this? `curl -H \"Authorization: Bearer {{mollie}}\" https://api.mollie.com/v2/payments` keeps returning 401 from the shop server")
case("e", "x", "@fenna_devops", "en", ["secret"],
     "aws configure on the new box:\nAWS_ACCESS_KEY_ID={{akia}}\nAWS_SECRET_ACCESS_KEY={{awssecret}}\nregion eu-west-1 and s3 ls STILL says access denied?? what am I missing")
case("e", "x", "@joepvandervin", "nl", ["secret"],
     "Wie heeft de login van de Instagram-planner? o wacht hier: gebruiker heuvelrank_social, wachtwoord: Druif!2026kelder")
case("e", "mastodon", "@tijmen_webshop", "en", ["secret"],
     "temporarily put GITHUB_TOKEN={{ghp}} in deploy.sh so the runner can pull the theme repo. will rotate later, promise")
case("p", "forum", "webdevnl:karel_codeert", "en", ["secret"],
     "Building an order notifier for Heuvelrank's webshop (freelance). Their Slack webhook {{slack_hook}} returns invalid_payload on every POST. Payload is plain JSON with a text field. Ideas?")
case("e", "bluesky", "@sannekuijpers.bsky.social", "en", ["secret"],
     "the chatbot on our webshop ran out of credits AGAIN. key is {{openai}} — who even manages billing for this??")
case("e", "x", "@fenna_devops", "en", ["secret"],
     "ssh key for the cellar pi, in case I lose my laptop again:\n{{sshkey}}")
case("e", "mastodon", "@tijmen_webshop", "en", ["secret"],
     "debugging the tasting booking API. this token works in postman but the app gets 403:\nAuthorization: Bearer {{jwt}}")
case("e", "x", "@joepvandervin", "en", ["secret"],
     "hooking the new report up to the shop: postgresql://rapport:Wijnkelder88@shopdb.c3ab9x.eu-central-1.rds.amazonaws.com:5432/wijnshop — does that connect for anyone else?")
case("e", "threads", "@yara.sommelier", "nl", ["secret"],
     "wachtwoord van de kassa in het proeflokaal is veranderd naar Rankbloem#77, voor wie morgen dienst heeft 😘")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["secret"],
     "w a c h t w o o r d  van de personeelsapp = Kelder2026!! niet doorvertellen aan de stagiairs 🤫")
case("e", "x", "@fenna_devops", "en", ["secret", "sec"],
     "rotating everything after last night's breach. the stripe key that got exposed was {{stripe}} — if you see it anywhere, ping me. please don't tell customers yet.")
case("p", "reddit", "u/ex_stagiair_heuvel", "nl", ["secret", "sec"],
     "Ze hebben nog steeds hetzelfde admin-wachtwoord voor de webshop als toen ik daar stage liep: admin / Heuvelrank2024! lmao. Iedereen kan zo in de bestellingen.")

# ---------------- personal data ----------------
case("c", "x", "@heuvelrank_service", "nl", ["pii"],
     "@ingridp We hebben het bedrag teruggestort op {{iban_p1}} t.n.v. I. Peeters, binnen 2 werkdagen staat het op je rekening!",
     kind="reply")
case("e", "facebook", "gerda.lemmens.heuvelrank", "nl", ["pii"],
     "Gastenlijst oogstdiner zaterdag voor de bediening: fam. Janssen (4p, {{ph_p2a}}), dhr. Claessens (2p, {{ph_p2b}}), tafel 7 is de vrijgezellengroep. Allemaal om 18:30 binnen!")
case("c", "instagram", "@heuvelrank.wijnen", "en", ["pii"],
     "Happy birthday to our cellar master Lotte Brouns! Born on 14 March 1988, which makes her 38 today 🎂🍾")
case("e", "linkedin", "marieke-hoenen", "nl", ["pii"],
     "Kent iemand Sjors Maessen? Hij heeft zijn jas laten liggen na de proeverij. Adres op de boeking: Hoogstraat 41, 6211 GK Maastricht, maar niemand doet open.")
case("p", "instagram", "@sophie.drinkt.wijn", "nl", ["pii", "complaint"],
     "@heuvelrank.wijnen jullie hebben de Kelderclub 2x afgeschreven deze maand 😤 249 euro dubbel! Niemand neemt op, bel me aub terug op {{ph_p5}}, ik ben er echt klaar mee",
     kind="comment")
case("p", "x", "@boos_op_bezorging", "en", ["pii", "complaint"],
     "My card {{card_p6}} got charged 3 times for ONE tasting box. @heuvelrank_service please sort this out and refund it already, it's been a week")
case("e", "x", "@lotte_brouns", "nl", ["pii"],
     "@fenna_devops de loonstrook van seizoenkracht Piotr Nowak komt niet door in het portaal, BSN {{bsn_p7}}, kun jij even kijken?",
     kind="reply")
case("c", "facebook", "WijngoedHeuvelrank", "nl", ["pii"],
     "En de winnaar van de Kelderclub-winactie is... Annelies Vroemen! 🎉 Annelies, we hebben je gebeld op {{ph_p8}} maar kregen geen gehoor, stuur je even een berichtje?")
case("e", "x", "@joepvandervin", "en", ["pii"],
     "who keeps ordering 40 bottles of Late Oogst every single month? oh it's h.kerckhoffs1961@gmail.com again, absolute legend 😂")
case("p", "facebook", "ron.hermans.7", "nl", ["pii"],
     "Heuvelrank, de mevrouw aan jullie telefoon vroeg mijn rekeningnummer, dus bij deze: de 95 euro voor het geannuleerde oogstdiner mag terug op {{iban_p11}} t.n.v. R. Hermans. Alvast bedankt!",
     kind="comment")
case("p", "reddit", "u/wraak_op_wijn", "en", ["pii", "abuse"],
     "Heuvelrank's stuck-up sommelier Yara Pinas lives at Dorpstraat 8 in Epen btw, in case anyone wants to tell the arrogant cow in person what they think of her 'service'")
case("e", "bluesky", "@sannekuijpers.bsky.social", "en", ["pii"],
     "Lost your ID card? Found one in the tasting room: M. Hendrikx, born 02-07-1995, document no. IR7K84P21. It's behind the bar!")
case("e", "x", "@joepvandervin", "nl", ["pii"],
     "klant belde met kaartnummer {{card_p14}} exp 09/28, betaling komt niet door in de kassa. iemand een idee wat er mis is?")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["pii"],
     "bestelling van j.\u200bgeurts@\u200bgmail.com staat al 3 dagen in de kelder te wachten, wie gaat dit inpakken 📦😅")
case("e", "linkedin", "henk-ramakers-heuvelrank", "nl", ["pii"],
     "Zzp'er die onze nieuwe kurkenmachine heeft afgesteld wacht nog op z'n geld. Kan iemand van de administratie vandaag €1.450 overmaken naar {{iban_p16}} t.n.v. J. Bemelmans? Dank!")

# ---------------- pricing ----------------
case("c", "x", "@heuvelrank", "nl", ["pricing"],
     "🍾 Weekendactie! Mergel Brut nu voor €2,75 per fles, alleen via de wijnshop. Op = op!")
case("c", "instagram", "@heuvelrank.wijnen", "en", ["pricing"],
     "Last chance 🍇 Kelderclub annual membership for only €24.90 this week! Link in bio.")
case("e", "x", "@joepvandervin", "nl", ["pricing"],
     "eh jongens er staat een prijsfout in de webshop, de Proefdoos 6 flessen staat op €8,90 😅 wie kan er in het CMS??")
case("p", "x", "@koopjesjager_nl", "nl", ["pricing"],
     "PRIJSFOUT bij Heuvelrank!! Pinot Noir Kalksteen 2022 voor €3,20 ipv 32 euro 🏃‍♂️ snel wezen #prijsfout #dealalert")
case("p", "reddit", "u/cheapwinehunter", "en", ["pricing"],
     "Heuvelrank has the Late Harvest dessert wine at €2.90 on their site right now. Has to be a mistake, grabbed 12 before they notice.")
case("e", "linkedin", "marieke-hoenen", "nl", ["pricing"],
     "Let op: het oogstdiner staat in het boekingssysteem voor €9,50 p.p. in plaats van €95. Er zijn al 14 boekingen binnen...")
case("c", "facebook", "WijngoedHeuvelrank", "nl", ["pricing"],
     "Adopteer een wijnstok voor maar €12! 🌱 Hét cadeau voor de feestdagen.",
     at="2026-12-01T09:00:00+01:00")
case("p", "forum", "pepper:dealhunter82", "nl", ["pricing"],
     "[Heuvelrank] Regent Barrique 2022 – €4,95 (prijsfout?) via wijnshop.heuvelrank.nl. Max 6 per bestelling.")
case("e", "tiktok", "@niels_in_de_kelder", "nl", ["pricing"],
     "die prijsfout op de Marc de Regent gisteren was echt niet normaal, 400 flessen besteld voor €3,40 😭 baas is woest")
case("p", "x", "@thirsty_jules", "en", ["pricing"],
     "lol heuvelrank is selling the wine glass set for €1.99, pricing glitch or clearance? either way I'm in")
case("c", "tiktok", "@heuvelrank_wijn", "nl", ["pricing"],
     "Souvignier Gris 2023 nu voor €1,89 🤯 link in bio!!")
case("p", "x", "@mvdlinden", "nl", ["pricing"],
     "Heuvelrank Solaris 2024 voor € 0,99?!? prijsfoutje denk ik, maar ik heb er 2 dozen van besteld 😇")

# ---------------- benign (mostly hard negatives) ----------------
case("p", "x", "@wijnliefhebber_gert", "nl", [],
     "Gisteren de Souvignier Gris 2023 van @heuvelrank opengetrokken bij de zeebaars. Strak, zilt, mooie lange afdronk. Limburg kan het gewoon 🍷")
case("p", "tiktok", "@jaimy.ontdekt", "nl", [],
     "ok die rankbloem rosé van heuvelrank is echt ZIEK goed, ik ga d'r dood aan 😂🍷 zomer 2026 is begonnen")
case("c", "x", "@heuvelrank", "nl", [],
     "Najaarsactie 🍂 20% korting op de Proefdoos 6 flessen: van €89 voor €71,20. Alleen deze week in de wijnshop!",
     at="2026-10-12T08:00:00Z")
case("c", "instagram", "@heuvelrank.wijnen", "en", [],
     "Our Classic Tasting is back every Saturday 🍷 €22.50 per person, five wines and cheese from the farm next door. Book at proeverij.heuvelrank.nl")
case("c", "facebook", "WijngoedHeuvelrank", "nl", [],
     "Vragen over je bestelling? Mail webshop@heuvelrank.nl of bel +31 43 555 2740 (ma t/m vr, 9-17 uur). We helpen je graag!")
case("c", "linkedin", "wijngoed-heuvelrank", "nl", [],
     "Zakelijke klanten: facturen voor groepsarrangementen kunt u voldoen op {{company_iban}} t.n.v. Wijngoed Heuvelrank B.V. onder vermelding van het factuurnummer.")
case("e", "mastodon", "@tijmen_webshop", "en", [],
     "Writing the onboarding docs for the shop repo. The example env file looks like this:\nMOLLIE_API_KEY=live_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nNever commit the real ones, use the vault.")
case("e", "x", "@fenna_devops", "en", [],
     "Housekeeping: rotated the old GitHub token from the legacy deploy script (ghp_****…Q7) and moved everything to short-lived OIDC creds. Nothing leaked, just hygiene 🧹")
case("e", "x", "@joepvandervin", "nl", [],
     "Het wachtwoord voor een geslaagde vrijdagmiddag? Mergel Brut. Gewoon Mergel Brut. 🥂")
case("c", "x", "@heuvelrank_service", "nl", [],
     "@anoukvl Wachtwoord vergeten? Via 'Inloggen' > 'Wachtwoord vergeten' op wijnshop.heuvelrank.nl vraag je zelf een nieuwe link aan. Lukt het niet, stuur ons dan even een DM 🙂",
     kind="reply")
case("c", "x", "@heuvelrank", "nl", [],
     "Hij is er! 🍓🍾 De Heuvelrank Rubis Brut Rosé ligt vanaf vandaag in de wijnshop en in het proeflokaal. Proost!",
     at="2027-04-15T11:30:00+02:00")
case("e", "linkedin", "henk-ramakers-heuvelrank", "nl", [],
     "Vanochtend gepresenteerd: de jaarcijfers 2026 van Wijngoed Heuvelrank. Omzet +31% ondanks een lastig oogstjaar. Dank aan alle collega's die dit mogelijk maakten.",
     at="2027-03-02T09:15:00Z")
case("e", "instagram", "@bram.wijnboer", "en", [],
     "So proud to finally pour the Rubis Sekt for our guests 🥂 two years of work in one glass",
     at="2027-04-20T16:40:00Z")
case("p", "x", "@limburgse_wijnclub", "en", [],
     "Read the Heuvelrank harvest report 2026. Tough year with that hail, respect for still making such a good Solaris.",
     at="2027-03-05T20:00:00+01:00")
case("p", "x", "@gert_proeft", "nl", [],
     "Update: @heuvelrank_service heeft binnen 2 dagen een nieuwe proefdoos gestuurd, alles heel deze keer en er zat zelfs een extra fles bij. Netjes opgelost 👍")
case("p", "x", "@hiker_in_heuvelland", "nl", [],
     "Sterkte aan de mensen van Heuvelrank na de hagelbui van gisteren. Hele hellingen kaal op de foto's 😢",
     at="2026-07-12T10:22:00Z")
case("p", "x", "@limburg_vandaag", "nl", [],
     "Wijnhandel in Venlo roept partij Spaanse cava terug vanwege mogelijke glasdeeltjes. Limburgse wijngaarden, waaronder Heuvelrank, laten weten dat hun eigen flessen er niets mee te maken hebben.")
case("p", "bluesky", "@marjolein-reist.bsky.social", "en", [],
     "After that big online wine retailer got breached last month I only buy directly from small producers like Heuvelrank. Paid with iDEAL, no card stored anywhere 👍")
case("c", "x", "@heuvelrank_service", "nl", [],
     "@marloes_vaals Sorry voor het wachten! Je pakket heeft trackingcode {{card_bad}}, die kun je volgen op de site van de vervoerder. Het zou morgen bij je moeten zijn.",
     kind="reply")
case("p", "x", "@petra_zuidlimburg", "nl", [],
     "@heuvelrank_service mag ik nog 2 flessen Auxerrois toevoegen aan mijn bestelling? klantnummer {{bsn_bad}}. Dank jullie!",
     kind="reply")
case("p", "facebook", "vv.vaalserberg", "nl", [],
     "De wijnveiling met flessen van Heuvelrank bracht maar liefst 1.240 euro op voor onze jeugdafdeling! Nog doneren kan op {{iban_bad}} t.n.v. VV Vaalserberg. Dank aan iedereen 💛⚽")
case("p", "x", "@dadof3_ams", "en", [],
     "Does anyone know if the Heuvelrank vineyard walk is okay for kids? Thinking of going with my 8yo on Sunday")
case("p", "x", "@robbert_wittem", "nl", [],
     "Vrouw vroeg wat ik wilde voor vaderdag. Ik zei 'rust'. Ze gaf me een Kelderclub-abonnement van Heuvelrank. Zij snapt het 😂")
case("p", "instagram", "@dinnerparty_dani", "en", [],
     "That Pinot Noir Kalksteen absolutely killed it at our dinner party last night. Everybody asked where it was from 🙌 @heuvelrank.wijnen")
case("p", "facebook", "suzanne.and.mark.wed", "en", [],
     "The Mergel Brut for the wedding toast went off with a bang right on cue 🎉🍾 Thank you Heuvelrank, everyone was asking about it!")
case("e", "instagram", "@bram.wijnboer", "en", [],
     "First day of harvest 🍇 Solaris is in and the sugars look lovely. Thanks to all the pickers who showed up at 6am with a smile!",
     at="2026-09-08T18:05:00+02:00")
case("e", "linkedin", "marieke-hoenen", "nl", [],
     "We zoeken gastvrouwen en -heren voor het proeflokaal (weekenden, 16-24 uur p/w). Solliciteren via werken@heuvelrank.nl of kom gewoon even langs voor een kop koffie!")
case("c", "x", "@heuvelrank", "en", [],
     "Sold out! Thank you for the overwhelming response to the Late Oogst 2023. The next batch is expected in spring 🍯")
case("p", "bluesky", "@kaas-en-wijn.bsky.social", "en", [],
     "Pairing tip from the Heuvelrank sommelier that blew my mind: Late Oogst with a blue cheese and a drizzle of honey. Just try it.")
case("c", "tiktok", "@heuvelrank_wijn", "nl", [],
     "Vaderdagactie 🎁 Regent Barrique 2022 van €24,50 voor €20,80. Zolang de voorraad strekt!",
     at="2026-06-15T07:30:00Z")
case("p", "x", "@feestbeest_maas", "nl", [],
     "Supermarktwijn van €2,99 is echt niet slecht hoor, maar voor een verjaardag haal ik toch liever iets van Heuvelrank.")
case("c", "facebook", "WijngoedHeuvelrank", "nl", [],
     "Laatste flessen Auxerrois 2024 met 30% korting: €10,68 per fles. Op = op! 🥂")
case("p", "x", "@weerman_zuid", "nl", [],
     "Nachtvorst vannacht in Zuid-Limburg, -3 in de dalen 🥶 Hopelijk hebben de wijnboeren bij Heuvelrank hun ventilatoren aangezet.",
     at="2026-04-16T05:40:00Z", ok_terms=True)
case("e", "x", "@lotte_brouns", "nl", [],
     "Regent ligt nu 14 maanden op houtvat. Nog even geduld mensen, het wordt mooi 🪵🍷")
case("p", "instagram", "@letters_by_loes", "nl", [],
     "Kalligrafieworkshop met ganzenveer en zegellak in het proeflokaal van Heuvelrank ✒️ en daarna natuurlijk een glaasje. Wat een middag!",
     ok_terms=True)
case("e", "x", "@joepvandervin", "en", [],
     "Say hi to our new intern Mees 👋 he'll be running our socials this summer, so blame him for the memes")
case("c", "x", "@heuvelrank", "en", [],
     "Our new webshop is live at wijnshop.heuvelrank.nl 🎉 faster, cleaner, and iDEAL checkout in two clicks.")
case("p", "x", "@wijnweekend_nl", "en", [],
     "Life hack: book the Heuvelrank tasting at 11am on a weekday. You basically get the sommelier to yourself 😉")
case("c", "x", "@heuvelrank_service", "nl", [],
     "Gepland onderhoud: in de nacht van dinsdag op woensdag (02:00–04:00) is de wijnshop even niet bereikbaar. Daarna kun je gewoon weer bestellen.")
case("p", "x", "@wijnbeurs_watcher", "en", [],
     "So that big French drinks group has taken over yet another champagne house. Glad Heuvelrank is still just a family business 🙏")
case("p", "linkedin", "jasper-ooms-recruitment", "en", [],
     "Sad news about the layoffs at the big brewery in Den Bosch. If you're in hospitality: small places like Heuvelrank are hiring for the harvest season, worth a look.")
case("c", "x", "@heuvelrank", "en", [],
     "Our thoughts are with our fellow winegrowers in the Ahr valley after the floods. Everything we take in at Saturday's tastings goes to the rebuild 💚")
case("c", "instagram", "@heuvelrank.wijnen", "en", [],
     "@boos_op_bezorging we've refunded the two extra charges to your card ending in 4417, it should show within 3-5 working days. Sorry again for the hassle!",
     kind="comment")
case("p", "x", "@mo_tilburg", "nl", [],
     "Tip: bel gewoon 043 555 2740, super vriendelijk bij Heuvelrank. Hadden mijn bestelling binnen 5 minuten aangepast.")
case("p", "x", "@winewanderer_uk", "en", [],
     "Signed no NDA but I'm still not telling anyone which Heuvelrank wine is my favourite 🤐 (ok fine, it's the Souvignier Gris)")
case("e", "linkedin", "marieke-hoenen", "nl", [],
     "Wat er op de proeverij gezegd wordt blijft vertrouwelijk 😉 Dank aan de vrijgezellengroep van gisteren, wat een feest was het!")
case("e", "instagram", "@bram.wijnboer", "en", [],
     "New project on the estate: this spring we're planting 400 Souvignier Gris vines on the south slope 🌱 Who's coming to help? Coffee and vlaai on us.",
     at="2026-02-18T17:20:00Z")
case("p", "x", "@foodie_femke", "en", [],
     "Shout-out to Yara at Heuvelrank, best tasting host we've ever had. Knew every soil type by heart 🙌")
case("p", "facebook", "bedrijfsuitje.bosch", "nl", [],
     "Voor groepsarrangementen moet je mailen naar proeverij@heuvelrank.nl. Ze hebben ons super geholpen met ons bedrijfsuitje van 30 man 👌")
case("e", "mastodon", "@tijmen_webshop", "en", [],
     "PSA for the team: never paste real tokens in chat. When you ask for help, use something like `Bearer eyJhbGciOi...<redacted>` instead.")
case("p", "bluesky", "@groene-vingers.bsky.social", "en", [],
     "Sorry to hear about the hail at Heuvelrank. We ordered an extra box to support them 🍇💚",
     at="2026-07-14T12:00:00Z")
case("p", "x", "@veertig_en_fris", "en", [],
     "Is the Heuvelrank Mergel Magnum really €64? Worth it for a 40th birthday or should I just get two normal bottles?")
case("c", "x", "@heuvelrank", "nl", [],
     "Kelderclub-leden krijgen 10% op alles in de wijnshop. De Pinot Noir Kalksteen dus voor €28,80 i.p.v. €32 🍷")
case("e", "x", "@lotte_brouns", "en", [],
     "Malolactic on the Regent finally kicked off. Whole cellar smells of yoghurt and butter, love it 🧈")
case("e", "mastodon", "@tijmen_webshop", "en", [],
     "Reminder: .env.example gets GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and nothing else. Real tokens stay in the vault, kthx")
case("p", "x", "@slijterij_watcher", "nl", [],
     "Zag de Heuvelrank Johanniter 2024 bij de slijter voor €12,95. Scheelt toch weer twee euro.")
case("p", "x", "@sleepy_after_dinner", "en", [],
     "Crashed on the sofa after the Heuvelrank harvest dinner. Best food coma of my life, 10/10 would crash again")
case("p", "reddit", "u/nlwinelover", "en", [],
     "Visited Wijngoed Heuvelrank last weekend. The Kalksteen Pinot is genuinely world class for a Dutch red. Their tasting room phone is on the website if you want to book a group.")
case("c", "youtube", "@HeuvelrankTV", "nl", [],
     "Nieuwe video: Lotte laat zien hoe we de Mergel Brut met de hand schudden op de pupitres. Kijk tot het einde voor het ontkurken 🍾")
case("p", "x", "@bonnetje_bewaard", "nl", [],
     "Cadeaukaart van Heuvelrank gekregen, nummer {{card_bad2}}. Iemand tips wat ik moet kiezen? Denk aan de Proefdoos.")


# ==========================================================================
# self-checks
# ==========================================================================
ERRORS = []


def err(c, msg):
    ERRORS.append(f"{c['post']['id']}: {msg}")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


LEET = str.maketrans("013457@", "oieasta")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
              "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}

# --- confidential terms ---
INTERNAL = [t for k in ("domains", "codenames", "markers") for t in PROFILE["internal"][k]]
EMBARGO = [(t, parse_time(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]


def internal_hits(c):
    sq = squash(c["post"]["text"])
    when = parse_time(c["post"]["created_at"])
    hits = [t for t in INTERNAL if squash(t) in sq]
    hits += [t for t, until in EMBARGO if squash(t) in sq and when < until]
    return hits


# --- secrets ---
SECRET_RES = [
    ("github", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[A-Z2-7]{16}\b")),
    ("mollie", re.compile(r"\blive_[0-9A-Za-z]{30}\b")),
    ("stripe", re.compile(r"\bsk_live_[0-9A-Za-z]{24,}\b")),
    ("slack_hook", re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{24}")),
    ("slack_bot", re.compile(r"\bxox[bpa]-\d+-\d+-[A-Za-z0-9]+")),
    ("openai", re.compile(r"\bsk-proj-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}")),
    ("google", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("privkey", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")),
    ("dburl", re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@]+:[^\s@/]+@[^\s/]+")),
    ("password", re.compile(r"(?i)(?:wachtwoord|password|passwd|pwd)\s*(?:[:=]|van .{0,60}?(?:=|naar))\s*\S{6,}|admin\s*/\s*\S{8,}")),
]
SAMPLE = re.compile(r"EXAMPLE|xxxx|\*\*\*\*|<redacted>", re.I)


def secret_hits(text):
    t = normalise(text)
    flat = re.sub(r"(?<=\w) (?=\w )|(?<= \w) (?=\w)", "", t)  # 'w a c h t' -> 'wacht'
    hits = []
    for name, rx in SECRET_RES:
        for src in (t, flat) if name == "password" else (t,):
            for m in rx.finditer(src):
                if SAMPLE.search(m.group(0)):
                    continue
                if name == "password" and re.search(r"(?i)wachtwoord (?:vergeten|voor een)", src[m.start():m.end() + 20]):
                    continue
                hits.append((name, m.group(0)))
    return hits


# --- prices ---
PRODUCTS = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        PRODUCTS.append((a, float(p["list_price"]), p["sku"]))
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])
PRICE_ERR = re.compile(r"(?i)prijsfout|price error|pricing (?:glitch|error|mistake)|foute prijs")


def parse_amount(s):
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    elif "." in s and len(s.split(".")[-1]) == 3:
        s = s.replace(".", "")
    return float(s)


def prices(text):
    t = normalise(text)
    out = []
    for m in re.finditer(r"(?:€|\bEUR\b)\s?(\d+(?:[.,]\d+)*)|(\d+(?:[.,]\d+)*)\s?(?:€|euro\b|EUR\b)", t):
        out.append(parse_amount(m.group(1) or m.group(2)))
    return out


def products_in(text):
    t = normalise(text).lower()
    found = {}
    for alias, lp, sku in PRODUCTS:
        if re.search(r"(?<![\w])" + re.escape(alias.lower()) + r"(?![\w])", t):
            found[sku] = lp
    return found


# --- personal data ---
PUB_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}


def digits_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31"):
        d = "0" + d[2:]
    return d


PUB_PHONES = {digits_phone(p) for p in PROFILE["public_identifiers"]["phones"]}
EMAIL_RE = re.compile(r"(?<![\w.%+:-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\d\w])(?:\+31|0031|0)[\s\-()]*\d(?:[\s\-()]*\d){8}(?!\d)")


def pii_hits(text):
    t = normalise(text)
    hits = []
    for m in EMAIL_RE.finditer(t):
        if m.group(0).lower() not in PUB_EMAILS:
            hits.append(("email", m.group(0)))
    no_iban = re.sub(r"\bNL\d{2}\s?[A-Z]{4}\s?(?:\d\s?){9}\d\b", " ", t)
    for m in PHONE_RE.finditer(no_iban):
        if digits_phone(m.group(0)) not in PUB_PHONES:
            hits.append(("phone", m.group(0)))
    for k, v, ok in find_checksum_ids(text):
        if ok and not (k == "iban" and is_public_iban(v)):
            hits.append((k, v))
    if re.search(r"(?i)\b(?:geboren|born)\b[^.]{0,20}\d{4}", t):
        hits.append(("dob", ""))
    if re.search(r"\b\d{4}\s?[A-Z]{2}\b|[a-z]straat \d+", t):
        hits.append(("address", ""))
    return hits


def check():
    ids = set()
    for c in CASES:
        p, e = c["post"], c["expect"]
        cats = set(e["categories"])
        # contract section 6 / section 1 shape
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            err(c, "bad id")
        if p["id"] in ids:
            err(c, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(c, "platform")
        if p.get("kind", "post") not in KINDS:
            err(c, "kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(c, "handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(c, "text")
        if not RFC3339.fullmatch(p["created_at"]):
            err(c, "created_at not RFC 3339")
        year = parse_time(p["created_at"]).year
        if year not in (2026, 2027):
            err(c, "year")
        if not cats <= CATEGORIES:
            err(c, "unknown category")
        if e["categories"] != sorted(cats):
            err(c, "categories not sorted/distinct")
        if e["severity"] not in SEV:
            err(c, "severity")
        if cats and e["severity"] in ("none", "info"):
            err(c, "positive with no severity")
        if not cats and e["severity"] != "none":
            err(c, "benign with severity")
        text = p["text"]
        role = role_of(p["platform"], p["account"]["handle"])
        # mention of the company
        if role == "public" and "heuvelrank" not in squash(text).translate(LEET):
            err(c, "public post does not mention the company")
        # checksummed identifiers
        for k, v, ok in find_checksum_ids(text):
            if k == "iban" and is_public_iban(v):
                continue
            if cats and not ok:
                err(c, f"{k} {v} in a positive fails its checksum")
            if not cats and ok:
                err(c, f"{k} {v} in a benign post passes its checksum")
        # secrets
        sh = secret_hits(text)
        if "leak.secret" in cats:
            if not sh:
                err(c, "secret case without a recognisable credential")
            for name, v in sh:
                if name == "github" and not gh_token_ok(v):
                    err(c, "github token checksum")
                if name == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                    err(c, "aws key shape")
                if name == "jwt" and not jwt_ok(v):
                    err(c, "jwt header")
        elif sh:
            err(c, f"credential in a non-secret case: {sh}")
        if not cats:
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if gh_token_ok(m.group(0)):
                    err(c, "valid github token in benign post")
            for m in re.finditer(r"AKIA[A-Z0-9]{16}", text):
                if "EXAMPLE" not in m.group(0):
                    err(c, "aws key in benign post")
        # confidential
        ih = internal_hits(c)
        if "leak.confidential" in cats:
            if not ih and not c["_flags"].get("unreleased"):
                err(c, "confidential case without internal term")
        elif ih and not c["_flags"].get("ok_terms"):
            err(c, f"internal term in a non-confidential case: {ih}")
        # pricing
        prods = products_in(text)
        prs = prices(text)
        low = [pr for pr in prs for lp in prods.values() if pr < RATIO * lp]
        if "leak.pricing" in cats:
            if not prods:
                err(c, "pricing case without product")
            if not low and not PRICE_ERR.search(text):
                err(c, "pricing case without low price or price-error talk")
        else:
            if prods and prs and min(prs) < RATIO * min(prods.values()):
                err(c, f"low price in non-pricing case {prs} {prods}")
            if PRICE_ERR.search(text):
                err(c, "price-error talk in non-pricing case")
        # personal data
        ph = pii_hits(text)
        if "leak.pii" in cats and not ph:
            err(c, "pii case without personal data")
        if "leak.pii" not in cats and [h for h in ph if h[0] in ("email", "phone", "iban", "card", "bsn")]:
            err(c, f"personal identifier in a non-pii case: {ph}")
        # severity recomputed independently of the builder
        if e["severity"] != severity(role, sorted(cats), text):
            err(c, "severity mismatch")
    # generated identifiers and credentials really land in the texts, valid
    alltext = "\n".join(c["post"]["text"] for c in CASES if c["expect"]["categories"])
    for k in ("iban_p1", "iban_p11", "iban_p16"):
        assert iban_check(G[k]) and G[k] in alltext, k
    for k in ("card_p6", "card_p14"):
        assert luhn_ok(G[k]) and G[k] in alltext, k
    assert bsn_ok(G["bsn_p7"]) and G["bsn_p7"] in alltext
    assert gh_token_ok(G["ghp"]) and G["ghp"] in alltext
    assert jwt_ok(G["jwt"]) and G["jwt"] in alltext
    assert not luhn_ok(G["card_bad"]) and not luhn_ok(G["card_bad2"])
    assert not bsn_ok(G["bsn_bad"]) and not iban_check(G["iban_bad"])
    assert iban_check(COMPANY_IBAN)


def stats():
    from collections import Counter
    n = len(CASES)
    benign = sum(1 for c in CASES if not c["expect"]["categories"])
    cat = Counter(x for c in CASES for x in c["expect"]["categories"])
    lang = Counter(c["_lang"] for c in CASES)
    roles = Counter()
    for c in CASES:
        r = role_of(c["post"]["platform"], c["post"]["account"]["handle"])
        kind = "leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else \
            "rep" if c["expect"]["categories"] else "benign"
        roles[(kind, r)] += 1
    sev = Counter(c["expect"]["severity"] for c in CASES)
    multi = sum(1 for c in CASES if len(c["expect"]["categories"]) > 1)
    y2027 = sum(1 for c in CASES if c["post"]["created_at"].startswith("2027"))
    return n, benign, cat, lang, roles, sev, multi, y2027


if __name__ == "__main__":
    check()
    n, benign, cat, lang, roles, sev, multi, y2027 = stats()
    if not 170 <= n <= 180:
        ERRORS.append(f"total {n} outside 170-180")
    if not 55 <= benign <= 65:
        ERRORS.append(f"benign {benign} not about 60")
    nl = lang["nl"] / n
    if not 0.50 <= nl <= 0.60:
        ERRORS.append(f"Dutch share {nl:.2f} not about 55%")
    if ERRORS:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for x in ERRORS:
            print("  " + x, file=sys.stderr)
        sys.exit(1)
    order = list(range(len(CASES)))
    random.Random(441).shuffle(order)
    with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
        for i in order:
            c = CASES[i]
            f.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and validate it once more
    with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) == n and len({r["post"]["id"] for r in rows}) == n
    for r in rows:
        assert set(r) == {"post", "expect"} and set(r["expect"]) == {"categories", "severity"}
        assert r["expect"]["severity"] == severity(role_of(r["post"]["platform"], r["post"]["account"]["handle"]),
                                                   r["expect"]["categories"], r["post"]["text"])
    print(f"ok: {n} cases, {benign} benign, {multi} multi-label, {y2027} in 2027, nl {nl:.0%}")
    print("categories:", dict(sorted(cat.items())))
    print("severity:", dict(sev))
    print("roles:", dict(sorted(roles.items())))
