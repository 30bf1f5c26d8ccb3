#!/usr/bin/env python3
"""Evaluation set sealed308 for postwatch: Kroonwaard Pandhuizen (fictional pawn-shop
chain and second-hand gold & watch buyer).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials. Writes cases.jsonl beside this file and self-checks it:
  * every IBAN / card / BSN placed in a positive passes its checksum,
    every look-alike placed in a benign post fails it, and no benign post contains
    a checksum-valid IBAN / card / BSN other than the company's own public ones;
  * generated credentials follow their real formats (GitHub CRC-32, AWS, JWT header);
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from CONTRACT section 4 and the account role taken from
    profile.yaml, never typed by hand;
  * embargo terms appear in benign posts only after their `until`.
Only the standard library and PyYAML are used.
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
R = random.Random(308)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORPORATE = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPLOYEE = {a.lower() for a in PROFILE["accounts"]["employee"]}

ZW = "\u200b"  # zero-width space

# ---------------------------------------------------------------- identifiers
_REG = []  # identifiers placed in the text of the case being built


def _reg(kind, value, valid):
    _REG.append((kind, value, valid))
    return value


def iban_valid_raw(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def iban_ok_check(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def _nl_bban():
    bank = R.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB"])
    return bank + "".join(R.choice(string.digits) for _ in range(10))


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(spaced=True, sep=" "):
    v = iban_valid_raw("NL", _nl_bban())
    assert iban_ok_check(v)
    _reg("iban", v, True)
    return sep.join(v[i:i + 4] for i in range(0, len(v), 4)) if spaced else v


def bad_iban(spaced=True):
    v = iban_valid_raw("NL", _nl_bban())
    chk = int(v[2:4])
    while True:
        new = R.randint(2, 98)
        if new != chk:
            break
    v = v[:2] + "%02d" % new + v[4:]
    assert not iban_ok_check(v)
    _reg("iban", v, False)
    return _group4(v) if spaced else v


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def _luhn_complete(prefix, length):
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def card(brand="visa", sep=" "):
    prefix = {"visa": "4", "mc": R.choice(["51", "52", "53", "54", "55"]), "amex": "37"}[brand]
    length = 15 if brand == "amex" else 16
    v = _luhn_complete(prefix, length)
    assert luhn_ok(v)
    _reg("card", v, True)
    if brand == "amex":
        return sep.join([v[:4], v[4:10], v[10:]])
    return sep.join(v[i:i + 4] for i in range(0, 16, 4))


def bad_card(sep=" "):
    v = _luhn_complete("4", 16)
    v = v[:-1] + str((int(v[-1]) + R.randint(1, 9)) % 10)
    assert not luhn_ok(v)
    _reg("card", v, False)
    return sep.join(v[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def bsn():
    while True:
        v = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if bsn_ok(v):
            _reg("bsn", v, True)
            return v


def bad_bsn():
    while True:
        v = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if not bsn_ok(v):
            _reg("bsn", v, False)
            return v


def mobile(style):
    d = "6" + "".join(R.choice(string.digits) for _ in range(8))
    rest = d[1:]
    if style == "dash":
        return "06-" + rest
    if style == "pairs":
        return "06 " + " ".join(rest[i:i + 2] for i in range(0, 8, 2))
    if style == "intl":
        return "+31 6 " + rest[:4] + " " + rest[4:]
    if style == "intl0":
        return "+31 (0)6 " + rest
    return "06" + rest


# ---------------------------------------------------------------- credentials
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order


def rnd(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(R.getrandbits(8) for _ in range(32)))
    return head + "." + body + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in hdr


def pem_rsa():
    raw = bytes([0x30, 0x82, 0x04, 0xA3, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + bytes(
        R.getrandbits(8) for _ in range(640))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rnd(string.ascii_letters + string.digits + "!#%&*?@", n)
        if any(c.isdigit() for c in p) and any(c in "!#%&*?@" for c in p):
            return p


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# ---------------------------------------------------------------- cases
SEV = ["none", "info", "warning", "error", "critical"]
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
        "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}

CASES = []
META = []  # (registered identifiers, price check) per case
_seq = [0]


def role_of(platform, handle):
    key = (platform + ":" + handle).lower()
    if key in CORPORATE:
        return "corporate"
    if key in EMPLOYEE:
        return "employee"
    return "public"


def severity(cats, role, has_valid_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_valid_id)
                lvl = "critical" if crit else "error"
            else:
                lvl = "warning"
        elif c == "reputation.complaint":
            lvl = "warning"
        elif c == "reputation.crisis":
            lvl = "error"
        elif c == "reputation.abuse":
            lvl = "warning" if role == "public" else "error"
        else:
            lvl = "info"
        best = max(best, SEV.index(lvl))
    return SEV[best]


def rdate(year=2026, lo=(1, 1), hi=(12, 31)):
    a = dt.datetime(year, lo[0], lo[1], tzinfo=dt.timezone.utc)
    b = dt.datetime(year, hi[0], hi[1], 23, 59, tzinfo=dt.timezone.utc)
    t = a + dt.timedelta(seconds=R.randint(0, int((b - a).total_seconds())))
    t = t.replace(hour=R.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def case(platform, handle, text, cats=(), lang="nl", when=None, kind=None, price=None, name=None):
    global _REG
    _seq[0] += 1
    cats = sorted(set(cats))
    role = role_of(platform, handle)
    ids = list(_REG)
    _REG = []
    has_valid = "leak.pii" in cats and any(k in ("iban", "card", "bsn") and v for k, _, v in ids)
    post = {
        "id": "%s-308%04d" % ({"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li",
                               "tiktok": "tt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
                               "threads": "th", "forum": "fo", "other": "ot"}[platform], _seq[0]),
        "platform": platform,
        "kind": kind or ("reply" if text.startswith("@") else "post"),
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": when or rdate(),
    }
    if name:
        post["account"]["display_name"] = name
    if _seq[0] % 3 == 0:
        post["brand"] = "Kroonwaard"
    if _seq[0] % 4 == 1:
        post["url"] = "https://%s.example/p/%s" % (platform, post["id"])
    CASES.append({"post": post, "expect": {"categories": cats,
                                           "severity": severity(cats, role, has_valid)}})
    META.append({"ids": ids, "price": price, "role": role})


C_ = "reputation.complaint"
K_ = "reputation.crisis"
A_ = "reputation.abuse"
PII = "leak.pii"
SEC = "leak.secret"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"
PRC = "leak.pricing"

# ============================================================ complaints
case("x", "@marloes_84",
     "@kroonwaard_help 3 weken geleden mijn ketting ingeleverd voor taxatie en nog stééds niks gehoord. "
     "Bellen = 25 min in de wacht en dan wordt er opgehangen. Serieus??", [C_])
case("reddit", "u/tickingaway",
     "PSA: bought a \"KW Certified\" Seamaster from Kroonwaard in Amsterdam last month. Runs +40 sec/day "
     "and there's a scratch on the bezel insert that was conveniently not in the photos. Store says it's "
     "\"within tolerance\". So much for certified.", [C_], lang="en")
case("facebook", "henk.verbeek.71",
     "Vorige week mijn trouwring laten wegen bij Kroonwaard Tilburg. Hun weegschaal: 4,1 gram. "
     "Juwelier om de hoek: 4,6 gram. Toeval zeker... ik ga daar niet meer heen", [C_], name="Henk Verbeek")
case("x", "@dutchie_debby",
     "pandbriefje 2 dagen over de termijn en de armband van mn moeder is al VERKOCHT. geen brief geen sms "
     "niks. @kroonwaard hoe leg je dit uit", [C_], kind="post")
case("x", "@j_okafor",
     "Waited 45 min at @kroonwaard Rotterdam Zuidplein, one counter open on a Saturday afternoon. "
     "Walked out without selling anything. Not great.", [C_], lang="en")
case("instagram", "@lisa.maakt.dingen",
     "Online besteld bij shop.kroonwaard.nl, \"morgen in huis\" stond er. Dag 9 vandaag. Track & trace "
     "staat nog altijd op 'label aangemaakt' 🙄 #kroonwaard #nooitmeer", [C_])
case("other", "@reviewer_4471",
     "★★☆☆☆ Kroonwaard offered me €610 for my Tudor and the same model is in their window for a lot more. "
     "I get that margin exists but that offer was insulting tbh.", [C_], lang="en")
case("x", "@rens_b",
     "die rente bij @kroonwaard op een pandlening van 3 maanden is echt absurd, stond nergens duidelijk "
     "in het contract. voel me behoorlijk genaaid", [C_])
case("facebook", "ans.de.wit.58",
     "Het horloge van mijn man lag bij jullie in bewaring en komt terug met een kras dwars over het glas. "
     "Medewerker haalt z'n schouders op. Graag een reactie, Kroonwaard.", [C_], name="Ans de Wit")
case("threads", "@mo.writes",
     "kroonwaard's app logs me out every single time i open it and the reset mail never arrives. "
     "tried 4 times now. pls fix", [C_], lang="en")
case("tiktok", "@sem.vlogt",
     "storytime: wou mn ps5 inruilen bij kroonwaard en ze boden €90. NEGENTIG. met 2 controllers erbij. "
     "lol nee #kroonwaard #inruilen", [C_])
case("x", "@greta_h",
     "@kroonwaard_help your website says Haarlem is open till 18:00. Got there at 17:10, door locked, "
     "lights off. Drove 40 minutes for nothing.", [C_], lang="en")
case("reddit", "u/zilverling",
     "Iemand anders ervaring met terugbetalen bij Kroonwaard? Zegelring binnen de bedenktijd teruggestuurd, "
     "5 weken later nog geen cent terug en klantenservice mailt alleen standaardzinnetjes.", [C_])
case("x", "@pietje_p",
     "Revisie van mijn Seiko bij Kroonwaard laten doen, 345 euro, en nu loopt ie slechter dan daarvoor. "
     "Top service hoor 👎", [C_])
# first-hand harm: crisis + complaint
case("instagram", "@yara.elhadi",
     "Oorbellen gekocht bij @kroonwaard.nl, ‘14 karaat’ volgens het kaartje. Na twee dagen zaten mijn "
     "oorlellen onder de blaren en waren ze ontstoken, huisarts zegt allergische reactie op nikkel. "
     "Dat is dus geen 14k. Ben er echt ziek van geweest.", [K_, C_])
case("reddit", "u/batterybrain",
     "The refurbished iPhone I bought at Kroonwaard swelled up and started smoking on my nightstand last "
     "night. Battery pushed the screen right off. Could have set the bedroom on fire. Store says to "
     "\"bring it in Monday\".", [K_, C_], lang="en")
case("x", "@tonnie_vd_meer",
     "Bij Kroonwaard Eindhoven spatte tijdens het testen van mijn ring het zuur op mijn hand. Brandwond, "
     "moest naar de huisartsenpost. Geen excuus, alleen een formuliertje. #kroonwaard", [K_, C_])
case("facebook", "claire.m.jansen",
     "The second-hand PS5 we bought from Kroonwaard gave my son an electric shock when he plugged it in. "
     "The power socket at the back was cracked and had been glued shut. He's ok, just shaken. "
     "How was this ever sold??", [K_, C_], lang="en", name="Claire Jansen")
# complaint + abuse
case("x", "@boze_barry",
     "@kroonwaard stelletje oplichters zijn jullie. 40 euro voor mijn gouden armband van 12 gram?? "
     "kankerbedrijf", [C_, A_])
case("x", "@rickyd_ldn",
     "kroonwaard staff at the Utrecht branch are rude as hell. the bald guy at the counter literally "
     "laughed at my nan's ring. absolute clowns, the lot of you", [C_, A_], lang="en")

# ============================================================ crisis
case("x", "@wouter_onderzoekt",
     "Bronnen bevestigen: FIOD doet vandaag een inval bij het hoofdkantoor van Kroonwaard in Utrecht. "
     "Verdenking: witwassen via de inkoop van oud goud. Draadje volgt 🧵", [K_])
case("reddit", "u/stolen_sub_2025",
     "My stolen Rolex turned up in a Kroonwaard display case with the serial still on it. Police report "
     "was filed in March. They bought stolen goods and now refuse to hand it back. See you in court.",
     [K_], lang="en")
case("x", "@stefan_k",
     "BOYCOT KROONWAARD. Ze kopen goud op van kwetsbare ouderen voor een fractie van de waarde. "
     "Deel dit en ga er niet meer heen! #boycotkroonwaard", [K_])
case("facebook", "nieuws.uit.zwolle",
     "Overval op het Kroonwaard-filiaal aan de Diezerstraat: een medewerker is gewond naar het ziekenhuis "
     "gebracht, de daders zijn op een scooter gevlucht.", [K_], name="Nieuws uit Zwolle")
case("x", "@privacywatch_eu",
     "Looks like Kroonwaard's customer database (ID scans, addresses, pawn histories) is being offered "
     "on a forum. The sample matches real customers. Kroonwaard hasn't said a word. #databreach",
     [K_], lang="en")
case("x", "@advocaat_mvd",
     "Namens 140 gedupeerden stappen wij naar de rechter tegen Kroonwaard Pandhuizen wegens verzwegen "
     "rentekosten op pandleningen. De dagvaarding gaat deze week de deur uit.", [K_])
case("linkedin", "goldtrade-insider-weekly",
     "Recall notice circulating: Kroonwaard 10 g gold bars from a July batch reportedly assay at 98.9% "
     "rather than the 99.99% stamped on them. Buyers are advised to contact the company.", [K_], lang="en")
case("tiktok", "@mila.onthult",
     "undercover bij kroonwaard: medewerkers krijgen een bonus als ze oude mensen zo laag mogelijk "
     "uitbetalen 😳 deel 1 #schandaal #kroonwaard", [K_])
case("bluesky", "@hannahreports.bsky.social",
     "Kroonwaard sold an \"authenticated\" Omega that turned out to be a fake to at least six buyers, "
     "according to documents I've seen. Story goes live tonight.", [K_], lang="en")
case("x", "@buurtapp_amersfoort",
     "Brand bij Kroonwaard in de Langestraat vanmiddag. Volgens de brandweer is een klant met "
     "rookvergiftiging naar het ziekenhuis gebracht, de rest is op tijd naar buiten gekomen.", [K_])
case("reddit", "u/ex_klant_kw",
     "Ken iemand die via de kroonwaard app gewoon de ID-scans van andere klanten kon zien. Dat is dus "
     "een datalek. Waarom staat dit nergens in het nieuws?", [K_])

# ============================================================ abuse
case("x", "@zwartekat1988", "@kroonwaard vieze aasgieren. hopelijk gaan jullie snel failliet", [A_])
case("x", "@nope_nope_nope",
     "@lotte_kw you're the dumbest bitch i've ever dealt with at a counter. hope they fire you",
     [A_], lang="en")
case("instagram", "@dennis_020",
     "die taxateur bij kroonwaard amsterdam west is een vuile kakkerlak. kijk maar goed uit als je straks "
     "naar buiten loopt vriend", [A_])
case("x", "@anoniem7781", fullwidth("kroonwaard") + " = " + fullwidth("tyfusbedrijf") + " 🤬🤬", [A_])
case("x", "@gh0st_trader",
     "kr00nwaard is run by fuck1ng cr00ks and 1d10ts, every single one of you", [A_], lang="en")
case("facebook", "gerrit.bos.1960",
     "Die buitenlanders achter de balie bij Kroonwaard spreken niet eens fatsoenlijk Nederlands. "
     "Stuur ze allemaal terug.", [A_], name="Gerrit Bos")
case("x", "@ruud_taxateur",
     "weer zo'n debiel aan de balie die denkt dat z'n verguld kettinkje 18k is. mensen zijn zo kut dom",
     [A_])
case("reddit", "u/clocksmith_rage",
     "Kroonwaard's so-called watch experts are a bunch of useless morons who couldn't tell a Seiko from "
     "a Rolex. Pathetic.", [A_], lang="en")
case("tiktok", "@jaydenxx", "kroonwaard medewerkers zijn echte mongolen 😂😂", [A_])
case("instagram", "@watchbro_99",
     "@bram.horloges lol nobody cares about your shitty wrist shots, you fat loser", [A_], lang="en")

# ============================================================ personal data
case("x", "@lotte_kw",
     "Klant van vanochtend heeft haar armband laten liggen 🙈 mevrouw J. Hoekstra, Burgemeester "
     "Reigerstraat 41 in Utrecht, als iemand haar kent laat het ff weten!", [PII])
case("x", "@koen_devops",
     f"testen in productie met echte data 🙃 BSN {bsn()} komt 3x voor in de pandtabel, wie doet dat", [PII])
case("facebook", "KroonwaardPandhuis",
     f"Beste meneer Kaya, de terugbetaling van €412,50 is vandaag overgemaakt naar {iban()} t.n.v. "
     f"E. Kaya. Excuses voor het lange wachten!", [PII], kind="comment")
case("x", "@marco_verkoopt",
     f"@kroonwaard_help kunnen jullie me terugbellen over mijn taxatie? {mobile('pairs')}, na 17u "
     f"het beste. Dank!", [PII])
case("x", "@sophie_relocates",
     f"@kroonwaard_help refund for order KW-88213 can go to {iban(spaced=False)}, S. Brandt. thanks!",
     [PII], lang="en")
case("mastodon", "@sietse@mastodon.nl",
     f"Payment terminal in our store printed the full card number on the receipt again: {card('mc')} "
     f"exp 09/28. Third time this week, someone please escalate this.", [PII, SECU], lang="en")
case("instagram", "@bram.horloges",
     "Hoera! Onze vaste klant Willem Verhoeven (geb. 14-03-1941) kwam vandaag z'n 85ste verjaardag "
     "vieren met een nieuwe Seiko uit de vitrine 🎉", [PII])
case("reddit", "u/loosecannon_ams",
     "Kroonwaard keeps ignoring me. If anyone from their team reads this: contact me at "
     "dirk.vanleeuwen88@hotmail.com about ticket 55120.", [PII], lang="en")
case("bluesky", "@noorvdlinden.bsky.social",
     f"Wie heeft de klant van de Omega-inruil teruggebeld? Mevr. Ouali, {mobile('dash')}, "
     f"m.ouali@ziggo.nl. Ze heeft al twee keer gebeld.", [PII])
case("x", "@verhuurder_gert",
     f"Deze gast heeft z'n pandbon van Kroonwaard bij mij laten liggen. Naam R. Sprenger, BSN {bsn()}. "
     f"Wie kent hem?", [PII])
case("linkedin", "annelies-dekker-kw",
     "Trots op ons nieuwe klantenportaal! Een voorbeeld uit een echt dossier: Fenna de Bruijn, "
     "Oudegracht 212, 3511 NT Utrecht, geboren 02-11-1987. Alles in één overzicht.", [PII])
case("x", "@kroonwaard_help",
     f"@tim_pakt_uit geregeld! Het bedrag staat klaar voor {iban(sep=ZW)} t.n.v. T. Smit 👍", [PII])
case("x", "@lucy_in_dam",
     f"hi @kroonwaard_help, trying to pay for the SPB143 but it says card {card('visa')} exp 04/27 is "
     f"invalid, can you check on your side?", [PII], lang="en")
case("x", "@koen_devops",
     f"if anyone from the Breda team needs the locksmith it's Jeroen Maas, {mobile('intl')}, "
     f"jeroen.maas.slotenmaker@kpnmail.nl", [PII], lang="en")
case("instagram", "@kroonwaard.nl",
     f"Zo ziet een pandcontract eruit ✍️ Naam: K. Bakker – BSN {bsn()} – Lening €1.250 – Looptijd "
     f"3 maanden. Simpel toch? #pandjeshuis", [PII])

# ============================================================ secrets
case("x", "@koen_devops",
     f"anyone else getting 401s from the package registry? my token {gh_token()} works locally but not "
     f"in CI 🤔", [SEC], lang="en")
case("mastodon", "@sietse@mastodon.nl",
     f"Sync voor de taxatiefoto's draait weer. Config voor wie het wil nadoen:\n"
     f"aws_access_key_id = {aws_key_id()}\naws_secret_access_key = {aws_secret()}", [SEC])
case("linkedin", "kroonwaard-pandhuizen",
     f"We zijn live met online aflossen! Developers, zo eenvoudig is het:\n"
     f"stripe.api_key = \"sk_live_{rnd(ALNUM, 24)}\" 🚀 #vacature #fintech", [SEC])
case("bluesky", "@noorvdlinden.bsky.social",
     f"waarom post onze slackbot niks meer in #filialen? token is "
     f"xoxb-{rnd(string.digits, 12)}-{rnd(string.digits, 13)}-{rnd(ALNUM, 24)} en de scopes lijken goed",
     [SEC])
case("linkedin", "mehmet-yilmaz-kroonwaard",
     f"Built a tiny helper that writes watch descriptions for our webshop in seconds. Snippet for the "
     f"curious:\nclient = OpenAI(api_key=\"sk-proj-{rnd(ALNUM + '_-', 58)}T3BlbkFJ{rnd(ALNUM + '_-', 58)}\")",
     [SEC], lang="en")
case("reddit", "u/apk_digger",
     f"decompiled the kroonwaard android app for fun. they ship AIza{rnd(ALNUM + '_-', 35)} in "
     f"strings.xml, unrestricted. lol", [SEC], lang="en")
case("x", "@koen_devops",
     "can someone tell me why ssh keeps rejecting this one\n" + pem_rsa(), [SEC], lang="en")
case("mastodon", "@sietse@mastodon.nl",
     f"iemand een idee waarom de kassa-api dit token weigert?\nAuthorization: Bearer "
     f"{jwt({'sub': 'kassa-utr-02', 'iat': 1767312000, 'role': 'pos'})}", [SEC])
case("bluesky", "@noorvdlinden.bsky.social",
     f"migration failing again:\nDATABASE_URL=postgres://kw_app:{password(16)}@db-prod-01.kroonwaard.local"
     f":5432/pandregister", [SEC, CONF], lang="en")
case("tiktok", "@jill_achter_de_toonbank",
     f"POV: je collega plakt het wachtwoord van de kluis-pc gewoon op een post-it 😭 "
     f"wachtwoord: {password(11)} #werk #pandjeshuis", [SEC])
_gl = "glpat-" + rnd(ALNUM + "_-", 20)
case("x", "@koen_devops",
     "rotating this one tomorrow anyway so whatever: GITLAB_TOKEN=" + ZW.join(_gl[i:i + 5] for i in range(0, len(_gl), 5)),
     [SEC], lang="en")
case("forum", "sec_pete",
     f"Found an exposed .env on a Kroonwaard staging box: SENDGRID_API_KEY=SG.{rnd(ALNUM + '_-', 22)}."
     f"{rnd(ALNUM + '_-', 43)} — mailed them a week ago, no answer.", [SEC], lang="en")

# ============================================================ confidential
case("linkedin", "mehmet-yilmaz-kroonwaard",
     "Drukke week met Project Zandloper. Kan er nog niks over zeggen, maar het wordt groot 👀", [CONF])
case("x", "@lotte_kw", "goudvink pilot starts in our store monday, finally!! #excited", [CONF], lang="en")
case("x", "@kroonwaard",
     "Vanaf vandaag: je waardevolle spullen digitaal bewaren én verzekeren met de Kluis+ app 🔐",
     [CONF], when="2026-11-12T10:00:00Z")
case("x", "@koen_devops",
     "new branch dashboard is live at https://grafana.kw-intern.nl/d/filialen — way nicer than the old one",
     [CONF], lang="en")
case("bluesky", "@noorvdlinden.bsky.social",
     "Net een mail met KW-VERTROUWELIJK in de onderwerpregel: de nieuwe bonusregeling voor taxateurs. "
     "Max 2% van de marge per pand, en dat pas vanaf 40 taxaties per week.", [CONF])
case("x", "@ruud_taxateur",
     "morgen kick-off Operatie \u041ar\u043e\u043enjuweel, ik mag nog niks zeggen 🤐",
     [CONF])
case("instagram", "@bram.horloges",
     "Something big is coming for watch lovers… G.o.u.d.v.i.n.k 🐦✨ that's all I can say", [CONF], lang="en")
case("tiktok", "@jill_achter_de_toonbank",
     "wij mogen vanaf volgende maand Project Zand" + ZW + "loper testen in de winkel 🤫 #pandjeshuis", [CONF])
case("reddit", "u/insider_gossip",
     "Friend at Kroonwaard says \"Operatie Kroonjuweel\" is their plan to roll out online pawn loans "
     "nationwide. Supposedly live in Q2.", [CONF], lang="en")
case("linkedin", "annelies-dekker-kw",
     "Sneak peek from today's workshop — slide 4 of the deck (marked kroonwaard confidential 😅): from "
     "March, B-grade watches disappear from the webshop and go to auction instead.", [CONF], lang="en")
case("x", "@lotte_kw",
     "jongens de Kluis+ app die we intern testen is echt vet, je laat je sieraden verzekeren met één foto",
     [CONF], when="2026-10-03T19:22:00Z")
case("facebook", "KroonwaardPandhuis",
     "[alleen intern kroonwaard] Filiaalmanagers: de nieuwe inkoopmarges voor oud goud gaan per "
     "1 december in, zie de bijlage.", [CONF])
case("mastodon", "@sietse@mastodon.nl",
     "if you're on the Zwolle team and can't reach taxatie-db.kroonwaard.local, use the VPN profile "
     "from the wiki", [CONF], lang="en")
case("x", "@ruud_taxateur", "hoorde net dat de jaarcijfers 2026 een stuk beter zijn dan verwacht 💪",
     [CONF, FIN], when="2026-12-18T16:40:00Z")
case("x", "@watchmarket_leaks",
     "Kroonwaard's Kluis+ app screenshots leaked: insurance + vault storage in one. Launch soon?",
     [CONF], lang="en", when="2027-01-15T12:05:00Z")
case("linkedin", "mehmet-yilmaz-kroonwaard",
     "Operatie Kroonjuweel betekent voor ons filiaal waarschijnlijk sluiting in het voorjaar. "
     "Zwaar nieuws voor het team.", [CONF, FIN])
case("x", "@lotte_kw",
     "weet iemand waar ik mn wachtwoord kan resetten voor intranet.kroonwaard.local? de link in de mail "
     "werkt niet", [CONF])
case("threads", "@kroonwaard.nl",
     "Coming soon to all our stores: the Goudvink self-service gold scale 👀 stay tuned!", [CONF], lang="en")

# ============================================================ financial
case("linkedin", "annelies-dekker-kw",
     "Intern gehoord: omzet Q3 ligt 11% onder budget, de directie praat al over kostenbesparingen. "
     "Spannende tijden.", [FIN])
case("x", "@lotte_kw",
     "so apparently we're being bought by that belgian pawn chain?? nobody tells us anything officially "
     "but the area manager basically confirmed it", [FIN], lang="en")
case("bluesky", "@noorvdlinden.bsky.social",
     "Morgen wordt bekendgemaakt dat er 14 filialen dichtgaan en zo'n 90 fte verdwijnt. Ik hoor het "
     "van drie kanten.", [FIN])
case("reddit", "u/goldbug_nl",
     "Cousin works in finance at Kroonwaard. Says the bank is about to pull their credit line after they "
     "breached covenants last quarter. Not public yet.", [FIN], lang="en")
case("x", "@ruud_taxateur",
     "verwachting van de CFO voor volgend jaar: ebitda verdubbelt door de online pandleningen. zei ie "
     "vandaag letterlijk in de townhall", [FIN])
case("linkedin", "kroonwaard-pandhuizen",
     "DRAFT – do not publish: Kroonwaard agrees to acquire Horlogehuys Brabant for €18.5M, "
     "announcement planned for 9 March.", [FIN], lang="en")
case("linkedin", "mehmet-yilmaz-kroonwaard",
     "Heads up to my network: our whole online team is restructured end of January and half the roles "
     "go. If you're hiring in e-commerce, DM me.", [FIN], lang="en")
case("tiktok", "@jill_achter_de_toonbank",
     "net gehoord dat onze bonus niet doorgaat want de halfjaarcijfers zijn 'dramatisch' 💀 nog niet "
     "officieel maar toch", [FIN])
case("x", "@beursgerucht",
     "Gerucht: private-equitypartij Valkenburg Capital in exclusieve gesprekken over overname van "
     "Kroonwaard Pandhuizen. Dealwaarde rond €120 mln.", [FIN])
case("x", "@koen_devops", "l4y0ffs h1tt1ng IT n3xt m0nth, 6 of us. k33p it qu13t pls", [FIN], lang="en")

# ============================================================ security
case("x", "@koen_devops",
     "kassasystemen in alle filialen plat sinds 8:40, lijkt op ransomware. nog niks naar buiten "
     "gecommuniceerd dus hou het even stil", [SECU])
case("mastodon", "@sietse@mastodon.nl",
     "found out our customer portal shows you any pawn contract if you just change the number in the URL. "
     "reported it internally 3 weeks ago, ticket still open 🙃", [SECU], lang="en")
case("tiktok", "@jill_achter_de_toonbank",
     "kluisalarm bij ons filiaal staat al 4 dagen uit wegens 'storing' 😬 niemand mag het weten haha", [SECU])
case("x", "@lotte_kw",
     "our store cameras have been offline since the weekend and head office says it's 'not a priority'. "
     "cool cool cool", [SECU], lang="en")
case("bluesky", "@noorvdlinden.bsky.social",
     "Vorige week kwam een phishingmail bij drie collega's door en één heeft z'n inlog ingevuld. Sindsdien "
     "rare inlogpogingen vanuit het buitenland op de boekhouding.", [SECU])
case("linkedin", "mehmet-yilmaz-kroonwaard",
     "Lesson learned this week: our webshop ran an outdated checkout plugin for months and someone "
     "injected card-skimming JS. Patching it now before anyone notices 😬", [SECU], lang="en")
case("x", "@ruud_taxateur",
     "taxatie-app ligt er al de hele dag uit en alle foto's van vandaag zijn weg. IT zegt dat er een "
     "server gewist is, niemand weet door wie", [SECU])
case("x", "@kroonwaard_help",
     "@annaleigh_ we know the app is down. Between us: our payment provider was breached overnight and "
     "we've cut the connection until it's sorted.", [SECU], lang="en")
case("mastodon", "@sietse@mastodon.nl",
     "De camerarecorders in de filialen draaien nog op het standaard admin-wachtwoord en hangen direct "
     "aan internet. Twee keer gemeld, niks gebeurd.", [SECU])
case("x", "@koen_devops",
     "d a t a   b r e a c h on the pawn db last night, tables exported. legal says say nothing.",
     [SECU], lang="en")
case("reddit", "u/pandhuis_insider",
     "Throwaway want ik werk bij een filiaal van Kroonwaard: ons systeem is sinds dinsdag gehackt, "
     "klantdossiers zijn gekopieerd en het management houdt het stil.", [SECU, K_])
case("bluesky", "@noorvdlinden.bsky.social",
     "Whole HQ network has been down since this morning, no mail, no ERP. Not allowed to say why but "
     "it's not a power cut 🤐", [SECU], lang="en")

# ============================================================ pricing
case("x", "@lotte_kw",
     "omg de Submariner 126610LN staat op de site voor €1.295 😂 iemand is een nul vergeten, snel bestellen",
     [PRC], price=("KW-W-SUB", 1295))
case("reddit", "u/dealhunter_eu",
     "PRICE ERROR: Kroonwaard webshop has the Omega Speedmaster Pro listed at €565. Ordered one, "
     "let's see if they honour it.", [PRC], lang="en", price=("KW-W-SPM", 565))
case("instagram", "@kroonwaard.nl",
     "Weekenddeal 🔥 Goudbaar 10 gram nu voor maar €114,90! Op = op.", [PRC], price=("KW-GB10", 114.90))
case("x", "@ruud_taxateur",
     "er zit een prijsfout in de kassa bij de Black Bay 58, ik mag er niks over zeggen maar haast je 😉", [PRC])
case("x", "@koopjesjager_nl",
     "Zilverbaar 1kg bij Kroonwaard voor €129?! Dat moet een fout zijn, normaal is het rond de 1290",
     [PRC], price=("KW-ZB1KG", 129))
case("facebook", "KroonwaardPandhuis",
     "Black Friday! TAG Carrera Chronograph for just €295 while stocks last ⌚", [PRC], lang="en",
     price=("KW-W-TAG", 295))
case("linkedin", "annelies-dekker-kw",
     "Fun one from the shop floor: a customer bought a Solitair Ring 0,50 ct for €185 today because the "
     "tag was misprinted, and we honoured it.", [PRC], lang="en", price=("KW-J-SOL", 185))
case("tiktok", "@sem.vlogt",
     "jongens KROONWAARD heeft de PS5 Slim voor 37 euro op de site 😭😭 bestellen nu", [PRC],
     price=("KW-E-PS5S", 37))
case("bluesky", "@noorvdlinden.bsky.social",
     "Collega heeft het gourmet collier 18k per ongeluk voor €249 in de webshop gezet, staat er al twee "
     "uur zo. Oeps.", [PRC], price=("KW-J-COL18", 249))
case("x", "@stackinggold",
     "@kroonwaard Krugerrand listed at €352 on your site, typo or is it my lucky day?", [PRC], lang="en",
     price=("KW-KRUG", 352))
case("tiktok", "@kroonwaardgoud",
     "Alleen vandaag: iPhone 15 Pro refurb voor €72! 📱 link in bio", [PRC], price=("KW-E-IPH15P", 72))
case("x", "@deals_bot_nl", fullwidth("Seamaster 300M") + " @ Kroonwaard €399 (pre-owned) 🏃💨", [PRC],
     lang="en", price=("KW-W-SEA", 399))

# ============================================================ benign (hard negatives mostly)
case("x", "@fleur_vdh",
     "Shoutout naar Kroonwaard Leiden: het zakhorloge van mijn opa heel eerlijk getaxeerd en ze namen "
     "echt de tijd voor zijn verhaal ❤️")
case("x", "@marloes_84",
     "Update: @kroonwaard_help heeft me gebeld, taxatie is binnen en het bod is netjes. Excuses "
     "aanvaard, dank jullie!", kind="post")
case("x", "@kroonwaard_help",
     "Vragen over je pandlening? Mail klantenservice@kroonwaard.nl of bel 088-5762900 (ma–za 9–18 uur).",
     kind="post")
case("instagram", "@kroonwaard.nl",
     "Najaarsactie ✨ 20% korting op onze gouden schakelarmbanden: de gouden schakelarmband 14k nu €956 "
     "i.p.v. €1.195", price=("KW-J-SCH14", 956))
case("x", "@kroonwaard",
     "Just in: Tudor Black Bay 58, full set from 2022. €3,290 at our Amsterdam store, DM us for a viewing.",
     lang="en", price=("KW-W-TUD", 3290))
case("x", "@financieel_nl",
     "Belgische pandhuisketen Goudkantoor Meyer sluit 9 vestigingen en schrapt 60 banen, meldt de "
     "onderneming vanochtend.")
case("x", "@metals_daily",
     "Gold hit a record €118/g this morning. Krugerrand premiums at Dutch dealers up about 4%.", lang="en")
case("x", "@grappige_gerda",
     "mijn man zegt altijd dat ik goud waard ben. vandaag bij Kroonwaard gevraagd hoeveel precies. "
     "ze lachten. ik niet 😂")
case("reddit", "u/firsttimepawn",
     "First time pawning something: how does Kroonwaard work out the loan amount on a watch? "
     "Is it a percentage of resale value?", lang="en")
case("x", "@koen_devops",
     "reminder for the new devs: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE as a "
     "placeholder for a reason 🙂", lang="en")
case("x", "@koen_devops",
     "PSA: if the CI log shows ghp_************************************ that's the masking doing its "
     "job, not a leak", lang="en")
case("facebook", "KroonwaardPandhuis",
     f"Let op: oplichters sturen sms'jes namens Kroonwaard met het verzoek te betalen op {bad_iban()}. "
     f"Dat is NIET ons rekeningnummer. Betaal alleen via de app of aan de balie.")
case("x", "@kroonwaard_help",
     "@jan_ramdin aflossen kan ook per overschrijving naar NL27 RABO 0312 4589 76 t.n.v. Kroonwaard "
     "Pandhuizen B.V., vermeld wel je pandnummer.")
case("x", "@kroonwaard",
     "Vanaf vandaag in de App Store én Google Play: de Kluis+ app 🔐 Bewaar, verzeker en beheer je "
     "waardevolle spullen.", when="2027-01-21T08:00:00Z")
case("linkedin", "kroonwaard-pandhuizen",
     "Vandaag publiceren wij de jaarcijfers 2026: de omzet steeg naar €84 mln. Het volledige jaarverslag "
     "staat op kroonwaard.nl/investeerders.", when="2027-03-04T08:00:00Z")
case("x", "@amira_writes",
     "Sending love to the team at Kroonwaard Zwolle. The lady who helped me today was so kind despite "
     "everything they've been through lately ❤️", lang="en")
case("reddit", "u/scamaware",
     f"Got a \"Kroonwaard refund\" phishing mail asking me to confirm card {bad_card()} — that isn't even "
     f"a valid card number lol. Report these, folks.", lang="en")
case("x", "@anne_checkt",
     f"Die nep-mail 'namens Kroonwaard' vraagt om je BSN en noemt als voorbeeld {bad_bsn()}. Gaat niet "
     f"eens door de elfproef. Niet invullen!")
case("instagram", "@bram.horloges",
     "Vandaag een prachtige Omega Speedmaster Pro binnengekregen, 1998, originele doos en papieren. Vanaf "
     "morgen in de webshop voor €5.650 🤩", price=("KW-W-SPM", 5650))
case("linkedin", "annelies-dekker-kw",
     "We're hiring appraisers in Utrecht and Den Bosch! Send your CV to vacatures@kroonwaard.nl — "
     "experience with watches is a big plus.", lang="en")
case("x", "@kroonwaard",
     "Journalisten kunnen contact opnemen via pers@kroonwaard.nl of +31 30 799 4400.")
case("tiktok", "@jill_achter_de_toonbank",
     "tip van de dag: zet NOOIT je wachtwoord op een post-it bij de kassa 🙈 (ja ik kijk naar jou, "
     "vorige werkgever)")
case("x", "@kroonwaard_help",
     "@sanne_kijkt wij vragen nooit naar je wachtwoord. Zie je een formulier met 'wachtwoord: ______'? "
     "Dan is het phishing, niet invullen!")
case("tiktok", "@kroonwaardgoud",
     "Summer sale 🌊 30% off the pre-owned Seiko Prospex SPB143, now €557", lang="en",
     price=("KW-W-SEI", 557))
case("x", "@cryptocarl",
     "my portfolio is so red i'm thinking about pawning my gold teeth at kroonwaard 💀", lang="en")
case("instagram", "@watchnerd_ams",
     "Picked up this Seamaster 300M from Kroonwaard. Paid the full €3,990 but it's mint. Happy camper ⌚",
     lang="en", price=("KW-W-SEA", 3990))
case("x", "@techredactie",
     "Datalek bij webwinkel BijouBoutique: gegevens van 40.000 klanten op straat. Kroonwaard en andere "
     "juweliers laten weten niet getroffen te zijn.")
case("x", "@consumer_alerts",
     "Recall: some SafeCo home safes have faulty locks. Checked with a few pawn shops incl. Kroonwaard, "
     "they don't stock them.", lang="en")
case("reddit", "u/eerlijkevraag",
     "Hoe zit het met de rente bij Kroonwaard vergeleken met andere pandjeshuizen? Wil mijn gitaar een "
     "maandje belenen.")
case("x", "@tourist_tom", "@kroonwaard_help are you open on Easter Monday in Maastricht?", lang="en")
case("x", "@kroonwaard_help",
     "@dutchie_debby wat vervelend om te lezen. Stuur je je pandnummer even in een DM? Dan zoeken we "
     "het meteen voor je uit.")
case("mastodon", "@vogelaar@mastodon.nl",
     "Vanochtend een goudvink in de tuin, de eerste van dit jaar! Mannetje, prachtig rood 🐦")
case("x", "@voetbalfan_ajx", "Die nieuwe spits is nu al het kroonjuweel van de selectie. Wat een goal.")
case("linkedin", "mehmet-yilmaz-kroonwaard",
     "Proud that Kroonwaard opened its 50th store today in Groningen 🎉 Great to see the team there.",
     lang="en")
case("x", "@ruud_taxateur",
     "Mooi stuk gehad vandaag: een gouden dukaat uit 1849. Iedereen vraagt 'wat is die waard?' Meer dan "
     "je denkt 😄")
case("x", "@gefrustreerd_gijs",
     "Bij Goudkantoor Meyer 2 uur gewacht en daarna een lachwekkend bod. Volgende keer gewoon naar "
     "Kroonwaard, daar ging het altijd vlot.")
case("x", "@goudstapelaar",
     "Goudbaar 10 gram: Kroonwaard €1.149, de concurrent €1.162. Scheelt weinig, maar toch.",
     price=("KW-GB10", 1149))
case("x", "@aesthetic_vibes",
     fullwidth("gold hour at the canals") + " ✨ (not the kroonwaard kind lol)", lang="en")
case("x", "@happy_hanna",
     "Absolutely shocked (the good kind) by what Kroonwaard offered for grandma's brooch. Way more than "
     "I expected!", lang="en")
case("tiktok", "@watchtok_jay", "this black bay 58 from kroonwaard is FIRE 🔥🔥 #watchtok", lang="en")
case("x", "@kroonwaard_help",
     "@erik_bouwt je terugbetaling is verstuurd naar je rekening eindigend op …4821. Binnen twee "
     "werkdagen staat het erop!")
case("facebook", "KroonwaardPandhuis",
     "Lost your pawn ticket? Email taxatie@kroonwaard.nl with a photo of your ID (cover your BSN!) and "
     "we'll sort it out.", lang="en")
case("x", "@fietsfanaat",
     f"@kroonwaard_help bestelling {bad_bsn()} staat sinds gisteren op 'in behandeling', is dat normaal?")
case("forum", "cloud_carla",
     "The classic wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY from the AWS docs still shows up in half the "
     "tutorials out there lol", lang="en")
case("x", "@koen_devops",
     "TIL a JWT is just header.payload.signature, base64url-encoded. e.g. eyJhbGciOiJIUzI1NiJ9.xxxxx.xxxxx "
     "— paste the first part in a decoder and you see the alg", lang="en")
case("mastodon", "@sietse@mastodon.nl",
     "docs tip: in de README schrijf je connection strings als postgres://USER:PASSWORD@HOST:5432/DB, "
     "nooit de echte")
case("facebook", "marja.kok.2",
     "Sterkte én gefeliciteerd aan de collega's van Kroonwaard Deventer, die vandaag Henk uitzwaaiden na "
     "40 jaar. Wat een vakman was dat!", name="Marja Kok")
case("x", "@watchmarket_leaks",
     "Kluis+ after two weeks: the photo-insurance flow is slick, booking a vault slot takes one tap too "
     "many. Solid 8/10.", lang="en", when="2027-02-05T18:30:00Z")
case("x", "@beursgerucht",
     "Kroonwaard FY2026 results are out: revenue €84M, net profit up 12%. Solid year.",
     lang="en", when="2027-03-05T09:10:00Z")
case("x", "@j_okafor",
     "Shoutout to Lotte at Kroonwaard Rotterdam for walking me through the whole pawn contract so "
     "patiently. 10/10", lang="en")
case("x", "@loud_lou",
     "holy shit, kroonwaard gave me €1,100 for my old chain. best day of the month", lang="en")
case("x", "@gamer_gold",
     "g0ld 4 l1fe 🏆 just got my first dukaat at kroonwaard, €455, hyped", lang="en",
     price=("KW-DUK", 455))
case("facebook", "KroonwaardPandhuis",
     "Alleen deze week 10% korting op onze Horloge Revisie: €310 in plaats van €345.",
     price=("KW-S-REV", 310))
case("x", "@lotte_kw",
     "a customer wrote her card number on the back of her pawn ticket today (please don't!). "
     "shredded it, obviously", lang="en")
case("linkedin", "kroonwaard-pandhuizen",
     "Oktober is de maand van cybersecurity. Drie tips om thuis een datalek te voorkomen: 1) gebruik een "
     "wachtwoordmanager 2) zet 2FA aan 3) klik niet op links in sms'jes.")
case("reddit", "u/oudgoudvraag",
     "Beetje off-topic maar: is een goudtestset van een paar tientjes betrouwbaar? Kroonwaard verkoopt er "
     "een voor €39,95, is dat de moeite?", price=("KW-G-TEST", 39.95))
case("x", "@kroonwaard_help",
     "@greta_h so sorry about that! Haarlem closed early for a staff emergency and the website wasn't "
     "updated in time. We've sent you a voucher by DM.", lang="en")
case("instagram", "@lisa.maakt.dingen",
     "Update: pakketje is er eindelijk! Klantenservice van Kroonwaard heeft het netjes opgelost en de "
     "verzendkosten teruggestort 🙏")


# ---------------------------------------------------------------- self-checks
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]


def strip_invisible(t):
    return re.sub(r"[\u200b\u200c\u200d\u2060\ufeff]", "", t)


def check():
    errors = []
    seen = set()
    for a in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok_check(a):
            errors.append("profile IBAN fails mod-97: " + a)
    for (c, m) in zip(CASES, META):
        p, e = c["post"], c["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not (1 <= len(pid) <= 256):
            errors.append("bad id %r" % pid)
        if pid in seen:
            errors.append("duplicate id " + pid)
        seen.add(pid)
        if p["platform"] not in PLATFORMS:
            errors.append(pid + ": platform")
        if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
            errors.append(pid + ": kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errors.append(pid + ": handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            errors.append(pid + ": text")
        if not RFC3339.match(p.get("created_at", "")):
            errors.append(pid + ": created_at")
        if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
            errors.append(pid + ": categories")
        if "reputation.spike" in e["categories"]:
            errors.append(pid + ": spike on a single post")
        if e["severity"] not in SEV:
            errors.append(pid + ": severity")
        role = role_of(p["platform"], p["account"]["handle"])
        if role != m["role"]:
            errors.append(pid + ": role")
        has_valid = "leak.pii" in e["categories"] and any(
            k in ("iban", "card", "bsn") and v for k, _, v in m["ids"])
        if e["severity"] != severity(e["categories"], role, has_valid):
            errors.append(pid + ": severity not per policy")
        if not e["categories"] and e["severity"] != "none":
            errors.append(pid + ": benign must be none")
        if e["categories"] and e["severity"] == "none":
            errors.append(pid + ": positive with none")
        benign = not e["categories"]
        flat = re.sub(r"[\s\-]", "", strip_invisible(p["text"]))
        # placed identifiers
        for kind, val, valid in m["ids"]:
            ok = {"iban": iban_ok_check, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            if ok != valid:
                errors.append("%s: %s %s checksum mismatch" % (pid, kind, val))
            if benign and valid:
                errors.append("%s: valid %s in a benign post" % (pid, kind))
            if not benign and "leak.pii" in e["categories"] and not valid:
                errors.append("%s: invalid %s used in a pii positive" % (pid, kind))
            if val not in flat:
                errors.append("%s: %s %s not found in text" % (pid, kind, val))
        # scan benign texts for any checksum-valid identifier
        if benign:
            t = strip_invisible(p["text"])
            for cand in re.findall(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", re.sub(r"\s", "", t)):
                if iban_ok_check(cand) and cand not in PUBLIC_IBANS:
                    errors.append("%s: benign has valid IBAN %s" % (pid, cand))
            joined = re.sub(r"(?<=\d)[ \-](?=\d)", "", t)
            for run in re.findall(r"\d+", joined):
                if 13 <= len(run) <= 19 and luhn_ok(run):
                    errors.append("%s: benign has Luhn-valid number %s" % (pid, run))
                if len(run) == 9 and bsn_ok(run):
                    errors.append("%s: benign has 11-proof number %s" % (pid, run))
        # secret formats
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            if not gh_token_ok(tok):
                errors.append(pid + ": GitHub token checksum")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", p["text"]):
            if not benign and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errors.append(pid + ": AWS key id alphabet")
            if benign and "EXAMPLE" not in tok:
                errors.append(pid + ": real-looking AWS key in benign")
        for tok in re.findall(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+", p["text"]):
            if not jwt_ok(tok):
                errors.append(pid + ": JWT header")
            if benign and "xxxxx" not in tok:
                errors.append(pid + ": real-looking JWT in benign")
        if "leak.secret" in e["categories"]:
            if not re.search(r"(ghp_|AKIA|sk_live_|xoxb-|sk-proj-|AIza|PRIVATE KEY|eyJ|postgres://|"
                             r"wachtwoord: |glpat-|SG\.)", strip_invisible(p["text"])):
                errors.append(pid + ": secret positive without a credential")
        # embargo terms
        when = dt.datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            if any(term.lower() in p["text"].lower() for term in emb["terms"]):
                if when < until and "leak.confidential" not in e["categories"]:
                    errors.append(pid + ": embargo term before until not labelled confidential")
                if benign and when < until:
                    errors.append(pid + ": benign with embargo term before until")
        # prices
        if m["price"]:
            sku, amount = m["price"]
            ratio = amount / PRODUCTS[sku]["list_price"]
            if "leak.pricing" in e["categories"] and ratio >= RATIO:
                errors.append(pid + ": pricing positive not below ratio")
            if benign and ratio < 0.7:
                errors.append(pid + ": benign price is more than a 30% discount")
        # public authors must not be in the profile, corporate/employee must be
        if e["categories"] and not benign:
            pass
    # year range
    for c in CASES:
        y = int(c["post"]["created_at"][:4])
        if y not in (2026, 2027):
            errors.append(c["post"]["id"] + ": year")
        if y == 2027 and c["post"]["created_at"][:7] > "2027-03":
            errors.append(c["post"]["id"] + ": 2027 date far from embargo")
    n = len(CASES)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    return errors


def summary():
    from collections import Counter
    cnt = Counter()
    roles = Counter()
    langs = Counter(c["post"]["lang"] for c in CASES)
    for c, m in zip(CASES, META):
        for cat in c["expect"]["categories"]:
            cnt[cat] += 1
        roles[(m["role"], bool(c["expect"]["categories"]))] += 1
    benign = sum(1 for c in CASES if not c["expect"]["categories"])
    return cnt, benign, langs, roles


def main():
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in CASES:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read to validate what was written
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    errs = check()
    if back != CASES:
        errs.append("written file does not round-trip")
    cnt, benign, langs, roles = summary()
    print("cases:", len(CASES), "benign:", benign)
    print("categories:", dict(sorted(cnt.items())))
    print("languages:", dict(langs))
    print("roles (role, positive):", dict(roles))
    print("severities:", dict(__import__("collections").Counter(c["expect"]["severity"] for c in CASES)))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
