#!/usr/bin/env python3
"""Held-out evaluation set 421 for postwatch.

Company: Brisvorst Koeltechniek B.V. (fictional), industrial refrigeration for
supermarkets. Profile: profile.yaml beside this script.

Deterministic (fixed seed). Writes cases.jsonl beside itself and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are built like the real ones (GitHub CRC-32 base62,
    AWS AKIA + base32, JWT header with alg, ...);
  * embargo terms, codenames, markers and internal hosts agree with the labels;
  * pricing labels agree with the list prices and pricing.alert_below_ratio;
  * severities follow CONTRACT section 4, computed from the account role.
Standard library plus PyYAML only.
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
SEED = 421
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# identifiers with checksums
# --------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lengths = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20}
    if s[:2] in lengths and len(s) != lengths[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_check_digits(cc, bban):
    r = bban + cc + "00"
    return "%02d" % (98 - int("".join(str(int(c, 36)) for c in r)) % 97)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban_nl():
    bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check_digits("NL", bban) + bban


def gen_iban_be():
    first = "".join(rng.choice(string.digits) for _ in range(10))
    nat = int(first) % 97 or 97
    bban = first + "%02d" % nat
    return "BE" + iban_check_digits("BE", bban) + bban


def gen_bad_iban_nl():
    while True:
        good = gen_iban_nl()
        cd = int(good[2:4])
        bad = good[:2] + "%02d" % ((cd + rng.randint(1, 40)) % 97 + 2) + good[4:]
        if not iban_valid(bad):
            return bad


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


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def gen_card(prefix="4"):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    return group4(body + luhn_digit(body))


def gen_bad_card(prefix="4"):
    good = re.sub(r"\s", "", gen_card(prefix))
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    bad = good[:-1] + str(last)
    assert not luhn_ok(bad)
    return group4(bad)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def gen_bsn():
    while True:
        head = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = head + str(r)
            assert bsn_ok(s)
            return s


def gen_bad_bsn():
    while True:
        s = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_ok(s):
            return s


# --------------------------------------------------------------------------
# credentials, built the way the real ones are
# --------------------------------------------------------------------------
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def gen_aws_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randint(0, 20000000)
    payload = {"sub": "store-%04d" % rng.randint(1, 9999), "iss": "sentra-api",
               "scope": "telemetry:read alarms:write", "iat": iat, "exp": iat + 31536000}
    signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, signing.encode(), hashlib.sha256).digest())
    return signing + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def gen_stripe():
    return "sk_live_51" + rand(ALNUM, 97)


def gen_slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 11), rand(string.digits, 13), rand(ALNUM, 24))


def gen_slack_hook():
    up = string.ascii_uppercase + string.digits
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (rand(up, 8), rand(up, 10), rand(ALNUM, 24))


def gen_openai():
    ch = ALNUM + "_-"
    return "sk-proj-" + rand(ch, 64) + "T3BlbkFJ" + rand(ch, 64)


def gen_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gen_gitlab():
    return "glpat-" + rand(ALNUM + "_-", 20)


def gen_google():
    return "AIza" + rand(ALNUM + "_-", 35)


def gen_password():
    words = ["Koelcel", "Vriezer", "Ijsbeer", "Pinguin", "Zwolle", "Glacier", "Sneeuw", "Poolster"]
    return rng.choice(words) + rng.choice("!#$%&*") + rand(string.digits, 4) + rng.choice(words).lower()


def gen_db_password():
    return rand(string.ascii_letters + string.digits, 18)


def gen_ssh_key():
    body = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" + \
        bytes(rng.getrandbits(8) for _ in range(360))
    b = base64.b64encode(body).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# --------------------------------------------------------------------------
# evasion helpers
# --------------------------------------------------------------------------
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445",
       "y": "\u0443", "j": "\u0458", "i": "\u0456", "P": "\u0420", "A": "\u0410", "E": "\u0415",
       "O": "\u041e", "C": "\u0421", "T": "\u0422", "K": "\u041a", "M": "\u041c", "H": "\u041d",
       "B": "\u0412", "X": "\u0425", "I": "\u0406", "J": "\u0408"}
CYR_BACK = {v: k for k, v in CYR.items()}
ZW = "\u200b"


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


def zw(s):
    return ZW.join(s)


def fw(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def normalise(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", "", s)
    return "".join(CYR_BACK.get(c, c) for c in s)


# --------------------------------------------------------------------------
# placeholders  <<NAME>>  -> generated values (recorded for the checks)
# --------------------------------------------------------------------------
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
GEN = {
    "IBAN": lambda: group4(gen_iban_nl()),
    "IBANRAW": gen_iban_nl,
    "IBAN_BE": lambda: group4(gen_iban_be()),
    "BADIBAN": lambda: group4(gen_bad_iban_nl()),
    "PUBIBAN": lambda: group4(PUBLIC_IBAN),
    "CARD": lambda: gen_card("4"),
    "CARD_MC": lambda: gen_card(rng.choice(["51", "53", "55"])),
    "BADCARD": lambda: gen_bad_card("4"),
    "BADCARD_MC": lambda: gen_bad_card("52"),
    "BSN": gen_bsn,
    "BADBSN": gen_bad_bsn,
    "GHP": lambda: gen_github("ghp_"),
    "GHO": lambda: gen_github("gho_"),
    "AKIA": gen_aws_id,
    "AWSSECRET": gen_aws_secret,
    "JWT": gen_jwt,
    "STRIPE": gen_stripe,
    "SLACK": gen_slack_bot,
    "SLACKHOOK": gen_slack_hook,
    "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic,
    "GLPAT": gen_gitlab,
    "GAPI": gen_google,
    "PWD": gen_password,
    "DBPWD": gen_db_password,
    "SSHKEY": gen_ssh_key,
}


def fill(text, log):
    def rep(m):
        key = m.group(1)
        val = GEN[key]()
        log.append((key, val))
        return val
    return re.sub(r"<<([A-Z_]+)>>", rep, text)


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
COMPLAINT, CRISIS, ABUSE = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, SECRET, PRICING = "leak.pii", "leak.secret", "leak.pricing"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"

RAW = []


def C(who, lang, cats, text, kind="post", at=None, price=None, name=None):
    RAW.append(dict(who=who, lang=lang, cats=sorted(set(cats)), text=text, kind=kind,
                    at=at, price=price, name=name))


# ---- complaints --------------------------------------------------------------
C("x:@filiaal_wout", "nl", [COMPLAINT],
  "Derde keer deze maand dat de Vitrix GD-5 bij ons in het filiaal op alarm gaat. Monteur van "
  "@brisvorst_service belooft 'binnen 4 uur' en komt de volgende ochtend. Ondertussen 200 kilo "
  "diepvries weggooien. Top service hoor \U0001f644")
C("linkedin:mark-oldenburger", "en", [COMPLAINT],
  "Honest review after 18 months with Brisvorst multidecks in 4 of our stores: the cabinets "
  "themselves are fine, the service organisation is not. Tickets closed without a visit, invoices "
  "for call-outs that never happened, account manager changed three times. We're re-tendering "
  "the maintenance next quarter.")
C("x:@buurtsuper_delinde", "nl", [COMPLAINT],
  "Nieuwe Floe IS-240 geleverd met een flinke deuk in de zijkant en een gebroken schuifdeksel. "
  "Foto's gestuurd, 'we nemen contact met u op'. Dat was 2 weken geleden @brisvorst")
C("reddit:u/nightshift_stocker", "en", [COMPLAINT],
  "anyone else's store have those brisvorst glass door freezers that fog up every single time you "
  "open them?? customers cant see a thing, we wipe them like 40 times a shift. management says "
  "its 'normal'. its not lol", kind="comment")
C("instagram:@slager_bram", "nl", [COMPLAINT],
  "die Deli SV-90 ziet er mooi uit op jullie foto's maar bij ons lekt ie sinds de oplevering water "
  "op de vloer \U0001f624 wie komt dat eindelijk fixen", kind="comment")
C("x:@grocer_tomasz", "en", [COMPLAINT],
  "Brisvorst Sentra Cloud has shown 'no data' for both our stores since Monday. Paying a licence "
  "per store for a dashboard that shows nothing. Sort it out please.")
C("x:@coldchain_carla", "en", [COMPLAINT],
  "@brisvorst_service been waiting 3 days for a part for our Glacio CU-14. store manager is losing "
  "her mind, dairy aisle running on rented coolers. is anyone actually working there??", kind="reply")
C("facebook:deborah.kline.shop", "en", [COMPLAINT],
  "The LumiRail strips on our new Arcta MD-250s started flickering after five weeks. Emailed "
  "service@brisvorst.nl twice, no answer at all. Not great for what we paid.")
C("x:@ondernemer_ayse", "nl", [COMPLAINT],
  "Factuur van Brisvorst binnen voor een 'spoedbezoek' van 3 uur. Monteur was er 40 min en heeft "
  "alleen de regelaar gereset. Bel je erover, krijg je niemand te pakken. Klantvriendelijk is anders.")
C("tiktok:@vakkenvuller.joep", "nl", [COMPLAINT],
  "pov: de vriezer van brisvorst doet het wéér niet en jij mag alle ijsjes naar achteren sjouwen "
  "\U0001f972 3e keer deze maand #supermarkt #vakkenvuller #brisvorst")
# ---- first-hand safety incidents: crisis + complaint ---------------------
C("x:@vers_aan_de_vecht", "nl", [CRISIS, COMPLAINT],
  "Gisteravond vloog de condensing unit (Glacio CU-14) achter onze winkel in brand. Brandweer "
  "erbij, gelukkig niemand gewond maar de hele laad- en losruimte is zwart. Ding was 8 maanden oud. "
  "@brisvorst dit wil ik uitgelegd hebben.")
C("x:@deli_counter_dan", "en", [CRISIS, COMPLAINT],
  "Got a proper electric shock off the rail of our Brisvorst deli counter this morning, arm "
  "tingling for an hour. Our electrician says the earth was never connected at install. Not ok "
  "@brisvorst_service")
C("facebook:ineke.post.winkel", "nl", [CRISIS, COMPLAINT],
  "Onze medewerkster is vanochtend uitgegleden over het water dat al WEKEN uit de Arcta multidek "
  "lekt en heeft haar pols gebroken. 3x gemeld bij Brisvorst, nooit iemand geweest. Nu gaat het "
  "via de verzekering en een advocaat.")
C("reddit:u/storemgr_lea", "en", [CRISIS, COMPLAINT],
  "Our walk-in freezer (Brisvorst Polarcel FR-8) latch failed and a colleague got stuck inside for "
  "about 20 minutes before someone heard her banging. The inside release handle had snapped off, "
  "we reported it weeks ago. She's ok but really shaken. Posting this so other stores check theirs.")
C("x:@maaike_supermarkt", "nl", [CRISIS, COMPLAINT],
  "Tientallen klanten ziek na kipfilet uit onze koeling. GGD zegt: temp in de Vitrix koeler liep "
  "'s nachts op tot 14 graden en het alarm van Brisvorst is NIET afgegaan. Wij draaien op voor "
  "jullie falende systeem.")

# ---- complaint + abuse --------------------------------------------------------
C("x:@gerrit_vriest", "nl", [COMPLAINT, ABUSE],
  "Brisvorst stelletje prutsers, drie monteurs gehad en niemand snapt hoe jullie eigen koelkast "
  "werkt. Kanker op met jullie 'service'.")
C("x:@angry_aisle", "en", [COMPLAINT, ABUSE],
  "@brisvorst_service your so-called engineer was a useless idiot who left our freezer door open "
  "overnight. 3k of stock in the bin. Absolute clowns.", kind="reply")

# ---- complaint + own personal data ----------------------------------------
C("x:@supermarkt_ruud", "nl", [COMPLAINT, PII],
  "@brisvorst_service al 2 dagen geen reactie op m'n storingsmelding. Bel me gewoon terug op "
  "06-41829357, Ruud Kramer van SuperVers Dalfsen. Koeling staat op 11 graden!!", kind="reply")
C("facebook:priya.nair.foods", "en", [COMPLAINT, PII],
  "Still waiting on the refund for the cancelled Cube PC-60 order. I've sent my IBAN (<<IBAN>>) "
  "three times to your finance team now. Priya Nair, Nair Foods Leiden. Seriously?")
C("facebook:mo.haddad.market", "en", [COMPLAINT, PII],
  "Brisvorst, please refund the double-charged service visit to <<IBAN_BE>> (Mo Haddad, Haddad "
  "Market Antwerpen). Third time asking and still nothing.", kind="comment")

# ---- crisis, third party / boycott / lawsuit / recall / breach accusation ---
C("x:@nieuws_kampen", "nl", [CRISIS],
  "Brand in supermarkt aan de Oudestraat mogelijk veroorzaakt door koelinstallatie. Volgens "
  "omstanders ging het om een unit van Brisvorst Koeltechniek. Niemand raakte gewond.")
C("x:@retailtechwatch", "en", [CRISIS],
  "Reports piling up of Brisvorst Floe island freezers leaking refrigerant in Belgian stores. Two "
  "staff hospitalised last week according to local press. Brisvorst hasn't commented yet.")
C("x:@boycot_koud", "nl", [CRISIS],
  "Brisvorst verkoopt nog steeds installaties met superschadelijke F-gassen aan supermarkten terwijl "
  "er al jaren alternatieven zijn. Supermarkten: stop met Brisvorst. #BoycotBrisvorst #klimaat")
C("linkedin:elena-march-legal", "en", [CRISIS],
  "Acting for three independent grocers, we have today filed a claim against Brisvorst Koeltechniek "
  "B.V. over defective Glacio CO2 booster units and the resulting stock losses. More to follow.")
C("reddit:u/koelnerd_030", "nl", [CRISIS],
  "Heeft iemand die Sentra dump gezien die op een forum rondgaat? Lijkt erop dat Brisvorst gegevens "
  "van honderden filialen op straat heeft gegooid, namen, adressen, alarmcodes. Waarom hoor je hier "
  "niks over??")
C("x:@safetyfirst_eu", "en", [CRISIS],
  "RECALL: Brisvorst is recalling Vitrix GD-3 freezers built between March and June over a defrost "
  "heater fault that can overheat. Check the serial plate behind the kick panel.")
C("x:@regio_nieuws_ov", "nl", [CRISIS],
  "Medewerker van supermarkt in Hardenberg gewond geraakt bij werkzaamheden aan koelinstallatie van "
  "Brisvorst. Nederlandse Arbeidsinspectie doet onderzoek.")
C("tiktok:@fridge.tok", "en", [CRISIS],
  "a brisvorst freezer literally exploded at my local store today lmaooo glass everywhere \U0001f633"
  "\U0001f633 hope the cashier is ok #brisvorst #wtf")
C("x:@klimaatactie_nl", "nl", [CRISIS],
  "Uit gelekte mails blijkt dat Brisvorst in Brussel lobbyt tegen het F-gassenverbod. Schandalig "
  "voor een bedrijf dat overal 'duurzaam koelen' roept.")
C("x:@consumerwatch_eu", "en", [CRISIS],
  "Class action forming against Brisvorst over Sentra alarms that failed silently. If your store "
  "lost stock because of it, DM us.")

# ---- abuse ----------------------------------------------------------------------
C("x:@vrieskist_haat", "nl", [ABUSE],
  "@brisvorst_service jullie zijn echt het grootste kutbedrijf van Nederland, hoop dat jullie "
  "failliet gaan", kind="reply")
C("x:@xxfrostbite", "en", [ABUSE],
  "@tjeerd_r744 you fat useless moron, learn to fix a fridge before posting your little van selfies",
  kind="reply")
C("instagram:@jeffrey_0511", "nl", [ABUSE],
  "wat doet een wijf als monteur, ga lekker terug naar de keuken \U0001f602\U0001f602", kind="comment")
C("x:@boze_ondernemer", "nl", [ABUSE],
  "Die Ruben Visscher van Brisvorst is een gladde leugenaar en een oplichter. Iedereen moet weten "
  "wat een klootzak dat is.")
C("x:@k1ll_br1sv0rst", "en", [ABUSE], "br1sv0rst r s0 fuck1ng us3l3ss, 1d10ts th3 l0t 0f y0u")
C("x:@hater_1990", "nl", [ABUSE], "@brisvorst k.u.t.b.e.d.r.i.j.f, l u l l e n zijn jullie allemaal",
  kind="reply")
C("x:@dennis_storing", "nl", [ABUSE],
  "Klant uit Emmen belt voor de 5e keer vandaag over z'n 'lauwe' yoghurt. Wat een debiele zeikerd, "
  "serieus \U0001f644")
C("x:@brisvorst_service", "en", [ABUSE],
  "@angry_aisle maybe if your staff weren't complete idiots the door would've been closed. Just "
  "saying.", kind="reply")
C("reddit:u/frigo_fenna", "en", [ABUSE],
  "honestly some of the store managers we deal with are brain-dead morons who think a fridge is "
  "magic. today's one was a real piece of sh*t to my colleague", kind="comment")

# ---- confidential ----------------------------------------------------------------
C("x:@tjeerd_r744", "nl", [CONF],
  "Vandaag voor het eerst het prototype van Project IJsvogel in de testkamer gezien. Als dit zo "
  "wordt gaan de multideks van de concurrent er héél oud uitzien \U0001f60e")
C("bluesky:@keesvanderlaan.bsky.social", "en", [CONF],
  "Long week in the climate chamber. Tundra-7 hit -28°C pull-down in under 40 min on R290. Can't "
  "say more yet but wow.")
C("instagram:@lisa.monteur", "nl", [CONF],
  "Vandaag de Arcta Zero testopstelling gebouwd bij een pilotklant in Deventer \U0001f9ca\U0001f527 "
  "#monteurslife #koeltechniek", at="2026-10-14T15:22:00Z")
C("x:@marloes_koelt", "en", [CONF],
  "Sneak peek \U0001f440 the Arcta Zero launch video is in the can. Counting the days!",
  at="2026-11-27T10:05:00Z")
C("linkedin:ruben-visscher-brisvorst", "nl", [CONF],
  "Mooie presentatie vandaag bij een grote retailer over Operatie Sneeuwuil. Als dat doorgaat wordt "
  "het de grootste order uit onze geschiedenis.")
C("reddit:u/frigo_fenna", "en", [CONF],
  "if anyone on the installer side needs the full sentra error code list it's on "
  "https://jira.brisvorst.nl/browse/SENT-4412, just ask me for access", kind="comment")
C("x:@brisvorst", "en", [CONF],
  "Screenshot from our dealer deck \u2014 yes it says 'vertrouwelijk - alleen MT' in the corner, "
  "ignore that \U0001f605 \u2014 anyway, big things coming in Q2!")
C("x:@koeltech_insider", "nl", [CONF],
  "Van een bron binnen Brisvorst: Project IJsvogel is een nieuwe CO2-multidek zonder externe rack. "
  "Lancering ergens voorjaar 2027.")
C("forum:hvac_greg", "en", [CONF],
  "Found an unlisted PDF on Brisvorst's partner portal, every page stamped 'intern - niet delen', "
  "with the whole 2027 cabinet roadmap. Posting the highlights below, grab it before they notice.")
C("mastodon:@brisvorst@techhub.social", "nl", [CONF],
  "Wie is er klaar voor de Arcta Zero? \U0001f609 Binnenkort meer!", at="2026-12-08T09:00:00Z")
C("threads:@sanne.brisvorst", "nl", [CONF],
  "Hebben jullie het NDA-document voor de pilot al gelezen? Staat op "
  "https://intra.brisvorst.local/hr/nda-pilot.pdf \U0001f60a", kind="reply")
C("youtube:@BrisvorstTV", "en", [CONF],
  "Behind the scenes at our Zwolle test centre! (Eagle-eyed viewers might spot a certain Tundra-7 "
  "cabinet in the background at 02:14 \U0001f440)")
C("bluesky:@keesvanderlaan.bsky.social", "nl", [CONF],
  "Morgen weer de hele dag " + cyr("Project") + " " + cyr("IJsvogel") + " meten \U0001f976 koffie mee")
C("x:@tjeerd_r744", "nl", [CONF],
  "Operatie " + zw("Sneeuwuil") + " gaat echt door jongens, vandaag de eerste 40 meters ingemeten "
  "\U0001f4aa")

# ---- financial ---------------------------------------------------------------
C("linkedin:anouk-degraaf-finance", "nl", [FIN, CONF],
  "Eerste doorrekening jaarcijfers 2026 is af: omzet ruim 9% onder budget, EBITDA nog lager. Dat "
  "wordt een pittig gesprek met de bank volgende maand.", at="2026-12-10T17:40:00Z")
C("x:@marloes_koelt", "en", [FIN, CONF],
  "Not supposed to say it but the FY2026 results are going to surprise a lot of people (in a good "
  "way) \U0001f4c8", at="2027-01-20T12:15:00Z")
C("x:@tjeerd_r744", "nl", [FIN],
  "Gerucht op de werkvloer: Brisvorst wordt overgenomen door een Duitse koelgigant, deal zou in "
  "maart rond zijn. Iemand die het kan bevestigen?")
C("linkedin:ruben-visscher-brisvorst", "en", [FIN],
  "Can finally breathe \u2014 the NordFrost deal is signed on our side, just waiting for the "
  "regulator before anyone announces it. Brisvorst + NordFrost is going to be a monster.")
C("threads:@sanne.brisvorst", "nl", [FIN],
  "Zwaar weekje op HR. In januari verdwijnen er zo'n 60 banen bij de productie in Zwolle en "
  "niemand mag het nog weten. Slaap er slecht van.")
C("x:@dennis_storing", "en", [FIN],
  "word is the whole Eindhoven service hub closes in Q1 and gets folded into Zwolle. mgmt hasn't "
  "told the guys yet \U0001f62c")
C("x:@beurs_insider", "nl", [FIN],
  "Hoor van een contact bij Brisvorst dat de omzetprognose voor 2027 met 15% naar beneden gaat. "
  "Nog nergens naar buiten gebracht.")
C("reddit:u/throwaway_koel", "en", [FIN],
  "Brisvorst employee here (throwaway obv). Board signed off on a reorg last week: the Antwerp and "
  "Lyon sales offices close, roughly 40 FTE. Announcement planned for after the holidays.")
C("linkedin:anouk-degraaf-finance", "nl", [FIN],
  "Q3 intern afgesloten: brutomarge 31,4%, orderintake +22% dankzij twee grote ketens. Gaat pas in "
  "maart naar buiten maar ik ben nu al trots op het team! \U0001f4aa")
C("bluesky:@keesvanderlaan.bsky.social", "en", [FIN],
  "Heard at the all-hands: capex for the new Zwolle line is frozen and R&D budget gets cut 20% next "
  "year. Not public yet. Great.")
C("linkedin:brisvorst-koeltechniek", "en", [FIN, CONF],
  "[DRAFT \u2013 do not publish before 24/2 08:00 CET] Brisvorst reports full-year 2026 results: "
  "revenue \u20ac212m (+6%), net profit \u20ac11.8m, order book at record level.",
  at="2027-02-24T06:40:00Z")
C("x:@tjeerd_r744", "nl", [FIN],
  "prognose voor de servicecontracten volgend jaar is in de interne review net gehalveerd. reken "
  "maar op wat 'herstructurerings'-mailtjes binnenkort haha")

# ---- security -----------------------------------------------------------------
C("x:@dennis_storing", "nl", [SEC],
  "Sentra Cloud ligt al sinds 3 uur vannacht plat, er komt geen enkel winkelalarm binnen. Wij bellen "
  "nu met de hand alle filialen af. Nog niks naar klanten gecommuniceerd \U0001f648")
C("linkedin:youssef-benali-koeltechniek", "en", [SEC],
  "Rough night: ransomware hit our ERP environment around 02:00. We've isolated it, but orders and "
  "invoicing are down until further notice. Not public yet, so please keep it to yourselves.")
C("reddit:u/frigo_fenna", "nl", [SEC],
  "Even ventileren: we hebben ontdekt dat de Sentra EC-4 regelaars een hardcoded admin-account "
  "hebben dat gewoon bereikbaar is via het winkelnetwerk. Patch duurt nog maanden en geen idee of "
  "we klanten gaan inlichten.", kind="comment")
C("bluesky:@keesvanderlaan.bsky.social", "en", [SEC],
  "Found out today our controller firmware update server doesn't verify signatures at all. "
  "Reported it internally 3 months ago. Ticket still open. \U0001f643")
C("x:@tjeerd_r744", "nl", [SEC],
  "storingsdienst-app is al 2 dagen stuk, we zien geen werkbonnen meer. ik rij maar op gevoel naar "
  "klanten \U0001f602 officieel weet niemand het")
C("x:@marloes_koelt", "en", [SEC],
  "So apparently someone phished our finance team and got into a mailbox last week. IT says 'no "
  "data left the building' \U0001f91e keep it quiet pls")
C("linkedin:youssef-benali-koeltechniek", "nl", [SEC],
  "Bij een interne pentest bleek dat ons dealerportaal dossiers van andere dealers liet zien als je "
  "het ID in de URL aanpaste. Fix gaat morgen live, melding bij de AP wordt nog besproken.")
C("x:@ex_brisvorst_it", "en", [SEC],
  "Ex-Brisvorst IT here. They still run the Sentra backend on Windows Server 2012 with RDP open to "
  "the internet. Matter of time.")
C("x:@brisvorst_service", "nl", [SEC],
  "@filiaal_wout Excuses! Iemand is binnengedrongen in ons monitoringplatform, we hebben het "
  "tijdelijk uitgezet en daarom kwam uw alarm niet door. Nog even geduld a.u.b.", kind="reply")
C("reddit:u/frigo_fenna", "en", [SEC],
  "PSA for coworkers: VPN has been down since this morning because of 'suspicious logins' from "
  "abroad. don't try to reset your password, IT is on it", kind="comment")
C("instagram:@lisa.monteur", "nl", [SEC],
  "Vandaag bij 3 filialen geweest waar de regelaar 'vanzelf' de setpoints naar +12 had gezet. "
  "Volgens kantoor een softwarefoutje maar intern wordt er gefluisterd over een hack \U0001f440")
C("threads:@sanne.brisvorst", "en", [SEC],
  "HR just got told the payroll system was breached and our bank details might be out there. "
  "Official mail 'coming later'. cool cool cool")
C("x:@monteur_bas", "nl", [SEC],
  "Als onderaannemer van Brisvorst kregen we net een appje: 'NIET inloggen op het serviceportaal, er "
  "zit iemand in het systeem'. Klanten weten nog van niks.")

# ---- secrets ------------------------------------------------------------------
C("reddit:u/frigo_fenna", "en", [SECRET],
  "can someone tell me why this fails? `aws s3 ls --profile sentra` with\n"
  "aws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWSSECRET>>\nkeeps giving AccessDenied",
  kind="comment")
C("x:@tjeerd_r744", "nl", [SECRET],
  "Voor de collega's die vragen hoe je bij de testdatabase komt: "
  "postgres://sentra_app:<<DBPWD>>@db-test.brisvorst.nl:5432/sentra veel plezier \U0001f602")
C("bluesky:@keesvanderlaan.bsky.social", "en", [SECRET],
  "Anyone seen this with the GitHub CLI? I did export GH_TOKEN=<<GHP>> and it still says bad "
  "credentials \U0001f914")
C("x:@marloes_koelt", "nl", [SECRET],
  "Hoi team, het gedeelde Instagram-account heeft een nieuw wachtwoord: <<PWD>> (niet doorvertellen!!)")
C("reddit:u/dev_on_contract", "en", [SECRET],
  "Contracting for a fridge company (Brisvorst) and their Slack bot token is just sitting in a public "
  "repo: <<SLACK>> \u2014 do I tell them or...")
C("x:@dennis_storing", "nl", [SECRET],
  "stripe webhook van de onderdelenshop faalt steeds, hier m'n .env als iemand kan helpen "
  "STRIPE_SECRET_KEY=<<STRIPE>>")
C("forum:koelhulp_arjen", "nl", [SECRET],
  "Voor wie met de Sentra API wil spelen, deze token werkt nog gewoon:\nAuthorization: Bearer <<JWT>>")
C("bluesky:@keesvanderlaan.bsky.social", "en", [SECRET],
  "pasted my OpenAI key in the wrong window, it's this one <<OPENAI>> \u2014 rotating now lol")
C("x:@tjeerd_r744", "nl", [SECRET],
  "Iemand die kan helpen? ssh naar de testbank lukt niet met deze key:\n<<SSHKEY>>")
C("x:@brisvorst", "en", [SECRET],
  "Testing our new alerts integration, ignore this \U0001f64f <<SLACKHOOK>>")
C("reddit:u/frigo_fenna", "nl", [SECRET],
  "Key voor onze interne chatbot: <<ANTHROPIC>> \u2014 let op dat je 'm niet in git zet \U0001f605",
  kind="comment")
C("mastodon:@secresearch@infosec.exchange", "en", [SECRET],
  "Brisvorst's Sentra Android app ships with a Maps key (<<GAPI>>) and a database URI with creds: "
  "mongodb+srv://sentra_ro:<<DBPWD>>@cluster0.brx7k.mongodb.net/telemetry \u2014 reported, no reply so far")
C("x:@dennis_storing", "en", [SECRET],
  "gitlab token for the planning repo in case CI breaks while i'm on holiday: <<GLPAT>>")

# ---- personal data ---------------------------------------------------------------
C("threads:@sanne.brisvorst", "en", [PII],
  "Welcome to our new engineer Lars Meijerink! If you need him on day one: "
  "lars.meijerink@gmail.com or +31 6 5521 8890 \U0001f44b")
C("facebook:BrisvorstKoeltechniek", "nl", [PII],
  "Beste meneer De Wit, wij hebben uw terugbetaling overgemaakt naar <<IBAN>> t.n.v. H. de Wit. "
  "Excuses voor het ongemak!", kind="reply")
C("x:@brisvorst_service", "en", [PII],
  "@grocer_tomasz we tried charging the card you gave us (<<CARD>>, exp 09/28) but it was "
  "declined, could you check with your bank?", kind="reply")
C("threads:@sanne.brisvorst", "nl", [PII],
  "Nieuwe collega Fleur van Dam (geb. 14-03-1994) start maandag bij planning, taart staat klaar "
  "\U0001f382")
C("x:@tjeerd_r744", "nl", [PII],
  "Klant wil dat we de koelcel bij hem thuis komen bekijken: dhr. Koen Bos, Lindenlaan 14, 8021 KC "
  "Zwolle. Wie zit er morgen in de buurt?")
C("linkedin:anouk-degraaf-finance", "nl", [PII],
  "Voor de salarisadministratie nog het BSN van de nieuwe stagiair nodig, Emma stuurde het net door: "
  "<<BSN>>. Kan iemand dat in het systeem zetten?")
C("reddit:u/frigo_fenna", "en", [PII],
  "customer emailed me from her private address (t.vermeulen1978@hotmail.com) asking why her store "
  "alarm went off at 3am, anyone know what's up with the EC-4s?", kind="comment")
C("x:@klant_sandra", "nl", [PII],
  "@brisvorst_service hier mijn gegevens voor de terugbetaling: Sandra Bruins, IBAN <<IBAN>>, "
  "tel 06-19384756", kind="reply")
C("x:@xxfrostbite", "en", [PII, ABUSE],
  "Here's the home address of that Brisvorst 'engineer' who wrecked our store: Tjeerd Reitsma, "
  "Kerkstraat 9, 8401 AB Gorredijk. Go pay him a visit, he deserves it.")
C("linkedin:ruben-visscher-brisvorst", "en", [PII],
  "Great meeting with Michiel Hartog from FreshPoint today. If anyone needs to reach him directly: "
  "michiel.hartog@freshpoint-retail.eu or 0031 6 1122 3344.")
C("x:@dennis_storing", "nl", [PII],
  "klant belde z'n creditcard door voor die onderdelen, zet 'm even hier zodat ik 'm niet kwijtraak "
  "haha <<CARD_MC>> exp 11/27")
C("x:@tjeerd_r744", "nl", [PII],
  "Als ik niet opneem bel m'n vrouw Jolanda even: " + fw("06-48213975") + " thx")

# ---- pricing --------------------------------------------------------------------
C("x:@marloes_koelt", "nl", [PRICING],
  "Oeps, de webshop toont de Cube PC-60 nu voor \u20ac235 i.p.v. \u20ac2.350 \U0001f648 collega's "
  "zijn het aan het fixen, niet bestellen!!", price=("BV-PC60", 235))
C("x:@dealhunter_nl", "en", [PRICING],
  "lol the Brisvorst shop has the LumiRail LED set at \u20ac26.50, mistake surely? ordered 10 anyway "
  "\U0001f602", price=("BV-LR", 26.5))
C("reddit:u/koopjesjager", "nl", [PRICING],
  "Prijsfout bij Brisvorst?? Floe IS-180 eilandvriezer voor \u20ac520 excl. btw op de site. Snel zijn!",
  price=("BV-IS180", 520))
C("linkedin:ruben-visscher-brisvorst", "en", [PRICING],
  "Special for our long-standing partners this month: Arcta MD-250 multideck at \u20ac3.900 per "
  "unit, first 20 orders only. DM me.", price=("BV-MD250", 3900))
C("x:@brisvorst", "nl", [PRICING],
  "\U0001f525 Black Friday bij Brisvorst: Vitrix GD-5 glasdeurvriezer nu voor \u20ac1.180! "
  "Op = op.", price=("BV-GD5", 1180))
C("x:@dennis_storing", "en", [PRICING],
  "there's a price error on the parts shop, the Sentra EC-4 controller is listed at \u20ac9.20 "
  "\U0001f602 someone tell webteam", price=("BV-EC4", 9.2))
C("facebook:tim.lammers.95", "nl", [PRICING],
  "Kan iemand bevestigen dat de Glacio CU-8 echt maar \u20ac475 kost op jullie site? Lijkt me een "
  "prijsfout maar ik bestel er wel 3 \U0001f911", kind="comment", price=("BV-CU8", 475))
C("x:@tjeerd_r744", "en", [PRICING, CONF],
  "internal price list says 'brisvorst confidential' on top but whatever: dealer price for the "
  "Glacio CO2 booster is \u20ac28.500. list is 64k. crazy margins", price=("BV-GCO2", 28500))
C("instagram:@brisvorst.koeltechniek", "nl", [PRICING],
  "Nieuw: NightCover nachtafdekking vanaf \u20ac38,90 per meter \U0001f319 bespaar tot 40% energie "
  "'s nachts!", price=("BV-NC1", 38.9))
C("x:@storeowner_kai", "en", [PRICING],
  "Brisvorst sales rep offered me a ThermaLoop HX-2 for \u20ac7,000 if I sign today. List is 18.5k. "
  "Legit or a pricing mistake?", price=("BV-HX2", 7000))
C("x:@marloes_koelt", "nl", [PRICING],
  "Help, in de nieuwsbrief van vanochtend staat een prijsfout bij de Polarcel CR-12 \U0001f648 "
  "rectificatie volgt")
C("mastodon:@brisvorst@techhub.social", "en", [PRICING],
  "Our ServicePlus maintenance contract now starts at \u20ac240/year per store! Peace of mind for "
  "your whole cold chain.", price=("BV-SP", 240))

# ---- benign (mostly hard negatives) ------------------------------------------
B = []
C("x:@brisvorst", "nl", B,
  "Storing aan je koelmeubel? Onze storingsdienst is 24/7 bereikbaar via +31 38 760 2299 of "
  "service@brisvorst.nl. We staan voor je klaar \u2744\ufe0f")
C("linkedin:brisvorst-koeltechniek", "en", B,
  "We're hiring! Service engineers (m/f/x) in Zwolle, Eindhoven and Antwerp. Send your CV to "
  "werkenbij@brisvorst.nl.")
C("x:@filiaal_wout", "nl", B,
  "Update: monteur van Brisvorst is vanochtend toch geweest, de Vitrix draait weer op -22. Netjes "
  "opgelost, dank @brisvorst_service \U0001f44d")
C("x:@coldchain_carla", "en", B,
  "Credit where due: @brisvorst_service got the part for our Glacio CU-14 driven over from Germany "
  "overnight. Dairy aisle back to normal. Thanks guys!")
C("instagram:@brisvorst.koeltechniek", "nl", B,
  "Zomeractie! 15% korting op de Cube PC-60 drankenkoeler, nu \u20ac1.997,50 excl. btw. Alleen in "
  "juli \u2600\ufe0f\U0001f964", price=("BV-PC60", 1997.5))
C("x:@marloes_koelt", "nl", B,
  "Deze maand 20% korting op de LumiRail LED-sets: \u20ac212 i.p.v. \u20ac265. Ideaal moment om die "
  "oude koelmeubels op te frissen \U0001f4a1", price=("BV-LR", 212))
C("linkedin:ruben-visscher-brisvorst", "nl", B,
  "De Arcta MD-125 blijft onze bestseller: \u20ac6.850 inclusief LumiRail-verlichting. Offerte "
  "aanvragen kan via shop.brisvorst.nl", price=("BV-MD125", 6850))
C("x:@dealhunter_nl", "en", B,
  "Brisvorst Floe IS-240 going for \u20ac5,400 at a dealer near Utrecht, about 15% under list. "
  "Decent if you need an island freezer.", price=("BV-IS240", 5400))
C("x:@vogelaar_henk", "nl", B,
  "Vanochtend een ijsvogel gespot langs het water achter de fabriek van Brisvorst in Zwolle "
  "\U0001f426\U0001f499 wat een kleuren!")
C("x:@truckguy_88", "en", B,
  "Just picked up a used Toyota Tundra, first job: hauling a Brisvorst drinks cooler for my "
  "brother's shop lol")
C("x:@marloes_koelt", "nl", B,
  "Eindelijk mogen we het zeggen: de Arcta Zero is er! \U0001f389 Onze eerste multidek met R290 en "
  "zonder externe koelinstallatie.", at="2027-03-02T08:05:00Z")
C("linkedin:brisvorst-koeltechniek", "en", B,
  "Brisvorst publishes its full-year 2026 results today: revenue up 6% to \u20ac212m. The full "
  "report is on brisvorst.com.", at="2027-02-24T07:30:00Z")
C("x:@koeltech_nieuws", "nl", B,
  "Eerste indruk van de Arcta Zero op de beursvloer: stil, zuinig en strak vormgegeven. Prijs nog "
  "onbekend.", at="2027-03-10T13:20:00Z")
C("x:@sysadmin_jo", "en", B,
  "Reminder when writing docs: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
  "as placeholders, never real creds. Brisvorst's Sentra API docs get this right, nice.")
C("reddit:u/frigo_fenna", "nl", B,
  "Voor de nieuwe collega's: in de API-docs staat GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "als voorbeeld. Vervang dat door je eigen token en zet 'm NOOIT in een ticket.", kind="comment")
C("x:@dennis_storing", "en", B,
  "PSA: if you paste config in a ticket, redact it like STRIPE_SECRET_KEY=sk_live_******** please. "
  "thanks \U0001f64f")
C("linkedin:youssef-benali-koeltechniek", "nl", B,
  "Wachtwoordtip voor iedereen: gebruik een wachtwoordmanager, zet MFA aan en plak nooit een "
  "wachtwoord in een chat of op een post-it op de koelcel.")
C("x:@ethicalhacker_lu", "en", B,
  "Good experience reporting a bug to Brisvorst's security team: fixed within a week and I got "
  "credited in their public advisory. This is how it should go.")
C("x:@tjeerd_r744", "nl", B,
  "Vandaag 9 koelmeubels in één dag opgeleverd in Meppel \U0001f4aa team top gedaan, klant blij. "
  "#monteurslife #brisvorst")
C("instagram:@lisa.monteur", "en", B,
  "3 years as a refrigeration engineer at Brisvorst today \U0001f4aa\U0001f9ca best decision I ever made")
C("x:@klant_gerda", "nl", B,
  "Weet iemand of de Sentra Cloud app ook op een oude iPad werkt? Wil graag de temperaturen in de "
  "winkel kunnen zien vanaf de bank.")
C("reddit:u/fridge_curious", "en", B,
  "How loud is a Brisvorst Glacio CU-8 compared to older units? Thinking about one for the back of "
  "my shop but the neighbours are close.")
C("x:@bakkerij_tim", "nl", B,
  "Onze nieuwe Deli SV-90 toonbank staat erin! Taarten zagen er nog nooit zo goed uit \U0001f382\U0001f60d")
C("x:@retail_ally", "en", B,
  "Thinking of the Brisvorst team in Zwolle after the fire at the neighbouring warehouse last "
  "night. Glad everyone got out safe.")
C("x:@grapjas_kees", "nl", B,
  "Mijn vriendin zegt dat ik zo koud ben als een Brisvorst vriezer. Ik zie het als compliment: "
  "stabiel, betrouwbaar en zuinig \U0001f602")
C("x:@coldjokes", "en", B,
  "my ex's heart has better insulation than a Brisvorst walk-in and that's saying something \U0001f976")
C("linkedin:brisvorst-koeltechniek", "nl", B,
  "Let op: Brisvorst wijzigt nooit per e-mail haar rekeningnummer. Betalingen uitsluitend naar "
  "<<PUBIBAN>> t.n.v. Brisvorst Koeltechniek B.V. Twijfel? Bel +31 38 760 2200.")
C("x:@ordernr_fan", "nl", B,
  "Bestelling bij de Brisvorst onderdelenshop, ordernummer <<BADCARD>>, wanneer komt die nou? "
  "\U0001f604 nee grapje, stond vanochtend al voor de deur")
C("forum:iban_nerd", "en", B,
  "Brisvorst's parts webshop rejected my IBAN because I fat-fingered it (<<BADIBAN>>). Nice that "
  "they actually check the checksum.")
C("x:@admin_marieke", "nl", B,
  "Formulier van Brisvorst vroeg om een klantnummer van 9 cijfers, ik vulde <<BADBSN>> in en het werd "
  "gewoon geaccepteerd \U0001f605")
C("x:@brisvorst_service", "en", B,
  "Hi @grocer_tomasz, sorry about the trouble! Please DM us your store number and we'll call you "
  "back on the number we have on file. ^MK", kind="reply")
C("x:@brisvorst_service", "nl", B,
  "@buurtsuper_delinde Vervelend om te horen! De nieuwe schuifdeksel is onderweg en donderdag kijkt "
  "onze monteur naar de deuk. Excuses voor het wachten. ^DS", kind="reply")
C("youtube:@BrisvorstTV", "en", B,
  "New video: how to defrost and clean your Floe island freezer in 10 minutes. Step by step, no "
  "tools needed \u2744\ufe0f")
C("facebook:BrisvorstKoeltechniek", "nl", B,
  "Vrijdag 14 augustus zijn onze kantoren gesloten i.v.m. het personeelsuitje. De storingsdienst is "
  "gewoon bereikbaar via 0800-2747876.")
C("bluesky:@keesvanderlaan.bsky.social", "en", B,
  "Fun fact: CO2 as a refrigerant (R744) was used in ships' holds more than 100 years ago. "
  "Everything old is new again.")
C("x:@supermarkt_ruud", "nl", B,
  "Ruud hier weer: koeling is gerepareerd en Brisvorst heeft de weggegooide producten vergoed. Hulde.")
C("x:@student_hvac", "en", B,
  "Doing my thesis on heat recovery in supermarkets \u2014 anyone with real data from a ThermaLoop "
  "install? Happy to sign an NDA.")
C("x:@jeroen_nieuws", "nl", B,
  "Gisteren brand in de bakkerijoven van een supermarkt in Utrecht. De koelinstallatie van Brisvorst "
  "bleef gelukkig gespaard, zegt de eigenaar.")
C("x:@investor_pete", "en", B,
  "Brisvorst is private so no earnings calls, but their published annual report on brisvorst.com is "
  "surprisingly detailed. Good read.")
C("linkedin:anouk-degraaf-finance", "nl", B,
  "Trots dat we als finance-team de jaarafsluiting 2025 binnen 15 werkdagen rond hadden. Het "
  "gepubliceerde jaarverslag staat op brisvorst.com.")
C("threads:@sanne.brisvorst", "en", B,
  "We're growing! 25 new vacancies in Zwolle this year, from welders to software devs. Come say hi "
  "at our open day on 12 September \U0001f44b")
C("x:@weerman_jan", "nl", B,
  "Tropische temperaturen volgende week. Supermarkten: check je koeling! Brisvorst heeft een handige "
  "hittechecklist op hun site.")
C("x:@tjeerd_r744", "nl", B,
  "Mooiste van het vak: bedrijfsleider in Hoorn had taart gebakken omdat we op zondag haar vriezer "
  "kwamen maken \U0001f382 #brisvorst")
C("x:@buurman_piet", "nl", B,
  "Sterkte aan de medewerkers van de supermarkt aan de Oudestraat na de brand van gisteren. Fijn dat "
  "niemand gewond is.")
C("x:@cooling_geek", "en", B,
  "Brisvorst vs Koelvast multidecks: Brisvorst wins on energy use, Koelvast on price. Both solid tbh.")
C("tiktok:@vakkenvuller.joep", "nl", B,
  "nieuwe vriezers van brisvorst in de winkel en ze zijn echt zo stil \U0001f633 eindelijk geen "
  "gebrom meer bij de kassa #vakkenvuller")
C("reddit:u/refrigeration_tech", "en", B,
  "Anyone have the Brisvorst Sentra EC-4 manual? The public manual lists a default PIN that you're "
  "forced to change on first login, which I appreciate.", kind="comment")
C("x:@cyberjan", "nl", B,
  "Hack bij een Duitse supermarktketen legt kassasystemen plat. Geen relatie met leveranciers zoals "
  "Brisvorst, meldt het bedrijf zelf.")
C("x:@marloes_koelt", "en", B,
  "Stand B214 at the retail expo next week! Come see the Arcta MD-250 up close and grab a coffee \u2615")
C("x:@brisvorst", "nl", B,
  "Kwetsbaarheid gevonden in een van onze producten? Meld het vertrouwelijk via "
  "security@brisvorst.nl. We reageren binnen 2 werkdagen.")
C("x:@dutch_grocer", "en", B,
  "Paid \u20ac6,850 for the Arcta MD-125 last year and it's been flawless. Worth every euro.",
  price=("BV-MD125", 6850))
C("reddit:u/bakker_joost", "nl", B,
  "Nepmail gehad 'van Brisvorst' met een ander rekeningnummer: <<BADIBAN>>. Klopt niet eens, de "
  "checksum faalt. Klantenservice bevestigde dat het phishing was, dus niks aan de hand.")
C("x:@ondernemer_ayse", "nl", B,
  "Update over die factuur: Brisvorst heeft 'm gecrediteerd en excuses aangeboden. Zo kan het ook "
  "\U0001f44d")
C("x:@nieuws_retail", "nl", B,
  "Koelvast Installatietechniek neemt concurrent Frigidex over, meldt het FD. De overname moet in "
  "het tweede kwartaal rond zijn.")
C("linkedin:hannah-vos-retail", "en", B,
  "Great webinar by Brisvorst on cutting supermarket refrigeration energy by 30%. Slides are on "
  "their site.")
C("x:@stagiair_koeltech", "nl", B,
  "Stage gevonden bij Brisvorst in Zwolle!! \U0001f389 Vanaf september meelopen met de storingsdienst.")
C("x:@card_tester", "nl", B,
  "Onderdelenshop van Brisvorst zei dat m'n kaart <<BADCARD_MC>> ongeldig was. Bleek ik gewoon een "
  "cijfer verkeerd te hebben getypt \U0001f926")
C("facebook:BrisvorstKoeltechniek", "nl", B,
  "Herfstactie: Vitrix GD-3 glasdeurvriezer nu \u20ac6.715 (15% korting), inclusief plaatsing in "
  "heel Nederland.", price=("BV-GD3", 6715))
C("x:@marloes_koelt", "nl", B,
  "Collega Tjeerd zag vanochtend een ijsvogel op de parkeerplaats en nu heeft iedereen z'n camera "
  "mee \U0001f4f8\U0001f426")
C("x:@koelmonteur_ali", "nl", B,
  "Sentra Cloud storing van vanochtend is opgelost volgens de statuspagina van Brisvorst, alles weer "
  "groen bij ons. Snel gefixt.")

# Dates that must tell a coherent story (follow-ups after the first post, seasonal
# offers in their season, announcements before the events they mention).
FIXED_DATES = {
    "Derde keer deze maand dat de Vitrix GD-5": "2026-09-03T08:12:00Z",
    "Iemand is binnengedrongen in ons monitoringplatform": "2026-09-03T11:05:00Z",
    "Update: monteur van Brisvorst is vanochtend toch geweest": "2026-09-04T10:40:00Z",
    "been waiting 3 days for a part": "2026-11-03T09:20:17Z",
    "Credit where due: @brisvorst_service": "2026-11-06T14:02:00Z",
    "Nieuwe Floe IS-240 geleverd met een flinke deuk": "2026-05-12T19:31:00Z",
    "De nieuwe schuifdeksel is onderweg": "2026-05-13T08:47:00Z",
    "al 2 dagen geen reactie op m'n storingsmelding": "2026-10-09T07:41:00Z",
    "Ruud hier weer": "2026-10-14T16:25:00Z",
    "Factuur van Brisvorst binnen voor een": "2026-06-14T17:44:17Z",
    "Update over die factuur": "2026-06-25T12:10:00Z",
    "has shown 'no data' for both our stores": "2026-10-12T20:21:00Z",
    "Please DM us your store number": "2026-10-13T08:10:00Z",
    "we tried charging the card you gave us": "2026-10-20T13:37:00Z",
    "your so-called engineer was a useless idiot": "2026-05-18T04:40:00Z",
    "maybe if your staff weren't complete idiots": "2026-05-18T09:02:00Z",
    "Black Friday bij Brisvorst": "2026-11-27T07:00:00Z",
    "Zomeractie!": "2026-06-29T08:00:00Z",
    "Herfstactie:": "2026-10-05T07:30:00Z",
    "Brand in supermarkt aan de Oudestraat": "2026-03-13T06:08:00Z",
    "Sterkte aan de medewerkers van de supermarkt aan de Oudestraat": "2026-03-14T09:15:00Z",
    "Tropische temperaturen volgende week": "2026-07-13T06:30:00Z",
    "Stage gevonden bij Brisvorst": "2026-05-20T18:02:00Z",
    "Vrijdag 14 augustus": "2026-08-03T09:00:00Z",
    "jaarafsluiting 2025": "2026-03-20T11:45:00Z",
    "Q3 intern afgesloten": "2026-10-16T16:20:00Z",
    "In januari verdwijnen er zo'n 60 banen": "2026-11-12T21:03:00Z",
    "wordt overgenomen door een Duitse koelgigant": "2026-12-03T12:48:00Z",
    "Announcement planned for after the holidays": "2026-12-09T22:14:00Z",
    "omzetprognose voor 2027": "2026-11-20T10:34:00Z",
    "built between March and June": "2026-07-21T09:00:00Z",
    "open day on 12 September": "2026-08-11T10:05:17Z",
}

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
LEVELS = ["none", "info", "warning", "error", "critical"]

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.-])(?:\d{4}[ -]){3}\d{4}(?![\w-])|(?<![\w.-])\d{13,19}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")


def checked_ids(text):
    """All IBAN / card / BSN look-alikes in a text with their checksum outcome."""
    t = normalise(text)
    out = []
    for m in IBAN_RE.finditer(t):
        raw = m.group(0).replace(" ", "")
        if raw == PUBLIC_IBAN:
            out.append(("public_iban", raw, True))
        else:
            out.append(("iban", raw, iban_valid(raw)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, text):
    own = role in ("corporate", "employee")
    strong_pii = any(ok and kind in ("iban", "card", "bsn") for kind, _, ok in checked_ids(text))
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if own:
                lvl = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == "reputation.complaint":
            lvl = "warning"
        elif c == "reputation.crisis":
            lvl = "error"
        elif c == "reputation.abuse":
            lvl = "error" if own else "warning"
        else:
            raise AssertionError(c)
        best = max(best, LEVELS.index(lvl))
    return LEVELS[best]


def rand_time_2026():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randint(0, (dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - start).days * 86400)
    secs = secs - secs % 60 + rng.choice([0, 0, 0, 17, 42])
    return (start + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    cases = []
    used_ids = set()
    for snippet, ts in FIXED_DATES.items():
        hits = [r for r in RAW if snippet in r["text"]]
        assert len(hits) == 1, snippet
        assert hits[0]["at"] is None, snippet
        hits[0]["at"] = ts
    for r in RAW:
        platform, handle = r["who"].split(":", 1)
        log = []
        text = fill(r["text"], log)
        while True:
            num = rng.randint(1000000, 9999999)
            pid = "%s-%d" % (platform, num)
            if pid not in used_ids:
                used_ids.add(pid)
                break
        created = r["at"] or rand_time_2026()
        post = {"id": pid, "platform": platform, "kind": r["kind"],
                "account": {"handle": handle}, "text": text, "lang": r["lang"],
                "created_at": created, "brand": "Brisvorst"}
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), 1800000000000000000 + num)
        role = role_of(platform, handle)
        case = {"post": post,
                "expect": {"categories": r["cats"], "severity": severity(r["cats"], role, text)}}
        cases.append((case, r, log, role))
    return cases


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(cases):
    errs = []

    def err(case, msg):
        errs.append("%s: %s | %s" % (case["post"]["id"], msg, case["post"]["text"][:80]))

    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t, parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + \
        PROFILE["internal"]["domains"]
    pub_emails = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}
    pub_phones = {re.sub(r"\D", "", p).replace("31", "0", 1) if p.startswith("+") else re.sub(r"\D", "", p)
                  for p in PROFILE["public_identifiers"]["phones"]}
    seen = set()
    for case, r, log, role in cases:
        post, exp = case["post"], case["expect"]
        line = json.dumps(case, ensure_ascii=False)
        back = json.loads(line)
        if back != case:
            err(case, "json round trip")
        # --- CONTRACT section 1 / 6 shape
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            err(case, "id")
        if post["id"] in seen:
            err(case, "duplicate id")
        seen.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(case, "platform")
        if post["kind"] not in KINDS:
            err(case, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(case, "handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536:
            err(case, "text")
        try:
            ts = parse_ts(post["created_at"])
            assert ts.tzinfo is not None
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", post["created_at"])
        except Exception:
            err(case, "created_at")
            continue
        if not (2026 <= ts.year <= 2027):
            err(case, "year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(case, "categories")
        if exp["severity"] not in LEVELS:
            err(case, "severity value")
        if not cats and exp["severity"] != "none":
            err(case, "benign must be none")
        if cats and exp["severity"] in ("none", "info"):
            err(case, "positive with none")
        if exp["severity"] != severity(cats, role, post["text"]):
            err(case, "severity mismatch")
        # --- checksummed identifiers
        ids = checked_ids(post["text"])
        for kind, val, ok in ids:
            if kind == "public_iban":
                continue
            if cats and not ok:
                err(case, "positive holds a failing %s %s" % (kind, val))
            if not cats and ok:
                err(case, "benign holds a valid %s %s" % (kind, val))
            if ok and PII not in cats:
                err(case, "valid %s without leak.pii" % kind)
        for key, val in log:
            if key in ("IBAN", "IBANRAW", "IBAN_BE") and not iban_valid(val):
                err(case, "generated IBAN invalid")
            if key in ("CARD", "CARD_MC") and not luhn_ok(val):
                err(case, "generated card invalid")
            if key == "BSN" and not bsn_ok(val):
                err(case, "generated BSN invalid")
            if key == "BADIBAN" and iban_valid(val):
                err(case, "bad IBAN passes")
            if key.startswith("BADCARD") and luhn_ok(val):
                err(case, "bad card passes")
            if key == "BADBSN" and bsn_ok(val):
                err(case, "bad BSN passes")
            if key in ("IBAN", "IBANRAW", "IBAN_BE", "CARD", "CARD_MC", "BSN"):
                if not any(v for k, v2, v in ids if re.sub(r"\D", "", v2) == re.sub(r"\D", "", val)):
                    err(case, "generated %s not found by scanner" % key)
            if key.startswith("BAD"):
                if not any(re.sub(r"\W", "", v2) == re.sub(r"\W", "", val) for _, v2, _ in ids):
                    err(case, "look-alike %s not found by scanner" % key)
            if key in ("GHP", "GHO") and not github_ok(val):
                err(case, "github token checksum")
            if key == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                err(case, "aws id")
            if key == "JWT" and not jwt_ok(val):
                err(case, "jwt header")
        # --- credentials vs labels
        t = normalise(post["text"])
        secret_hits = []
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if github_ok(m.group(0)):
                secret_hits.append(m.group(0))
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", t):
            if not m.group(0).endswith("EXAMPLE"):
                secret_hits.append(m.group(0))
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            if jwt_ok(m.group(0)):
                secret_hits.append(m.group(0))
        for pat in [r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"sk_live_[0-9A-Za-z]{20,}",
                    r"xox[abp]-\d+-\d+-\w+", r"hooks\.slack\.com/services/T\w+/B\w+/\w+",
                    r"sk-proj-[\w-]{40,}", r"sk-ant-api03-[\w-]{40,}", r"glpat-[\w-]{20}",
                    r"AIza[\w-]{35}", r"[a-z+]+://[^\s:/@]+:[^\s@]+@", r"(?i)wachtwoord: \S+"]:
            secret_hits += [m.group(0) for m in re.finditer(pat, t)]
        if secret_hits and SECRET not in cats:
            err(case, "credential without leak.secret: %s" % secret_hits[0][:30])
        if SECRET in cats and not secret_hits:
            err(case, "leak.secret without a credential")
        # --- confidential terms
        tl = t.lower()
        conf_needed = any(term.lower() in tl for term in internal)
        for term, until in embargo:
            if term.lower() in tl and ts < until:
                conf_needed = True
        if conf_needed and CONF not in cats:
            err(case, "internal/embargo term without leak.confidential")
        if not cats and conf_needed:
            err(case, "benign with internal term")
        # --- pricing
        if r["price"]:
            sku, amount = r["price"]
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(n.lower() in tl for n in names):
                err(case, "priced product not named")
            below = amount < ratio * prod["list_price"]
            if below != (PRICING in cats):
                err(case, "pricing label vs ratio")
        elif PRICING in cats and not re.search(r"(?i)prijsfout|price error|pricing mistake", t):
            err(case, "pricing without price or price-error talk")
        # --- personal data in benign posts: only the company's own contact data
        if not cats:
            t_noiban = IBAN_RE.sub(" ", t)
            for m in re.finditer(r"[\w.+-]+@[\w-]+\.[\w.]+", t):
                if m.group(0).lower().rstrip(".") not in pub_emails:
                    err(case, "benign with foreign e-mail")
            for m in re.finditer(r"(?:\+31|0031|\b0)[\s\-()]*\d(?:[\s\-()]*\d){7,9}", t_noiban):
                d = re.sub(r"\D", "", m.group(0))
                d = "0" + d[2:] if d.startswith("31") else ("0" + d[4:] if d.startswith("0031") else d)
                if not any(d in p or p in d for p in pub_phones):
                    err(case, "benign with foreign phone %s" % m.group(0))
        # --- public handles must not be profile accounts; leaks mostly from own accounts
        if role == "public" and ("%s:%s" % (post["platform"], post["account"]["handle"])).lower() in CORP | EMPL:
            err(case, "role")
    # --- the mix
    n = len(cases)
    benign = sum(1 for c, *_ in cases if not c["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("total %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errs.append("benign %d not about 60" % benign)
    per = {}
    for c, *_ in cases:
        for cat in c["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    want = {COMPLAINT: 20, CONF: 18, PII: 15, CRISIS: 15, SEC: 13, SECRET: 12, ABUSE: 12,
            PRICING: 12, FIN: 12}
    for cat, w in want.items():
        if abs(per.get(cat, 0) - w) > 3:
            errs.append("category %s has %d, want about %d" % (cat, per.get(cat, 0), w))
    nl = sum(1 for c, *_ in cases if c["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errs.append("Dutch share %.2f" % (nl / n))
    texts = [c["post"]["text"] for c, *_ in cases]
    if len(set(texts)) != len(texts):
        errs.append("duplicate texts")
    return errs, per, benign, nl


def main():
    cases = build()
    rng_order = random.Random(SEED + 1)
    rng_order.shuffle(cases)
    errs, per, benign, nl = check(cases)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for case, *_ in cases:
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    # re-read the written file and check it once more as a reader would
    with open(out, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    if [c for c, *_ in cases] != lines:
        errs.append("written file differs")
    roles = {}
    for c, r, log, role in cases:
        roles[role] = roles.get(role, 0) + 1
    print("cases %d, benign %d, dutch %d, roles %s" % (len(cases), benign, nl, roles))
    print("per category: " + ", ".join("%s=%d" % kv for kv in sorted(per.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
