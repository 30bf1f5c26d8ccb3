#!/usr/bin/env python3
"""Build the sealed325 evaluation set for postwatch (Stroomkluis Datacenters B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and self-checks it (CONTRACT section 6 shape, checksums, secret formats,
embargo windows, pricing ratios, severities computed from the profile).
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
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 325_013
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
ALNUM = DIGITS + UPPER + LOWER          # base-62 alphabet, in this order
B64URL = UPPER + LOWER + DIGITS + "-_"
B64STD = UPPER + LOWER + DIGITS + "+/"

# --------------------------------------------------------------------------------------
# registry: every generated identifier / secret is recorded for the case being built
# --------------------------------------------------------------------------------------
PENDING = []


def _reg(kind, value, valid):
    PENDING.append({"kind": kind, "value": value, "valid": valid})
    return value


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------- checksums ----------------------------------------
def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def iban_ok(s):
    s = re.sub(r"[\s.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0 and any(d)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        pad = "=" * (-len(parts[0]) % 4)
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


# ---------------------------------- secrets ------------------------------------------
def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    tok = prefix + body + base62(zlib.crc32(body.encode()), 6)
    assert gh_token_ok(tok)
    return _reg("github", tok, True)


def aws_key_id():
    return _reg("aws_id", "AKIA" + rnd(UPPER + "234567", 16), True)


def aws_secret():
    return rnd(UPPER + LOWER + DIGITS + "/+", 40)


def slack_webhook():
    return _reg("slack", "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rnd(UPPER + DIGITS, 8), rnd(UPPER + DIGITS, 10), rnd(ALNUM, 24)), True)


def stripe_live():
    return _reg("stripe", "sk_live_51" + rnd(ALNUM, 97), True)


def openai_key():
    return _reg("openai", "sk-proj-" + rnd(ALNUM + "-_", 64) + "T3BlbkFJ" + rnd(ALNUM + "-_", 64), True)


def anthropic_key():
    return _reg("anthropic", "sk-ant-api03-" + rnd(ALNUM + "-_", 93) + "AA", True)


def gitlab_pat():
    return _reg("gitlab", "glpat-" + rnd(ALNUM + "-_", 20), True)


def azure_conn(account):
    key = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(64))).decode()
    return _reg("azure", "DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;"
                "EndpointSuffix=core.windows.net" % (account, key), True)


def openssh_private_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
          "\n-----END OPENSSH PRIVATE KEY-----"
    return _reg("private_key", key, True)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(sub, name, iat):
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": sub, "name": name, "role": "portal-admin", "iat": iat,
                              "exp": iat + 86400}, separators=(",", ":")).encode())
    secret = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(secret, (hdr + "." + body).encode(), hashlib.sha256).digest())
    tok = hdr + "." + body + "." + sig
    assert jwt_ok(tok)
    return _reg("jwt", tok, True)


def password():
    words = ["Koudgang", "Rackrij", "Stroom", "Kluis", "Dieselpomp", "Patchkast", "Glasvezel"]
    return _reg("password", rng.choice(words) + rnd(DIGITS, 2) + rng.choice("!#$%&*") +
                rnd(ALNUM, 6), True)


# ------------------------------- personal data --------------------------------------
NL_BANKS = ["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "BUNQ", "ASNB"]


def _iban_raw():
    bank = rng.choice(NL_BANKS)
    acct = rnd(DIGITS, 10)
    s = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in s)) % 97
    return "NL%02d%s%s" % (chk, bank, acct)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(valid=True, spaced=True):
    v = _iban_raw()
    if not valid:
        chk = int(v[2:4])
        bad = (chk + rng.randint(1, 60)) % 97
        bad = 2 if bad < 2 else bad
        v = "NL%02d%s" % (bad, v[4:])
        if iban_ok(v):
            v = "NL%02d%s" % ((bad + 1) % 97 or 3, v[4:])
    assert iban_ok(v) == valid
    out = _group4(v) if spaced else v
    return _reg("iban", out, valid)


def card(valid=True, brand="visa"):
    prefix = "4" if brand == "visa" else "5" + str(rng.randint(1, 5))
    body = prefix + rnd(DIGITS, 15 - len(prefix))
    for chk in range(10):
        if luhn_ok(body + str(chk)):
            break
    if not valid:
        chk = (chk + rng.randint(1, 9)) % 10
    num = body + str(chk)
    assert luhn_ok(num) == valid
    return _reg("card", _group4(num), valid)


def bsn(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * x for w, x in zip(range(9, 1, -1), d))
        last = s % 11
        if last == 10:
            continue
        if not valid:
            choices = [x for x in range(10) if x != last]
            last = rng.choice(choices)
        num = "".join(map(str, d)) + str(last)
        if bsn_ok(num) == valid:
            return _reg("bsn", num, valid)


def mobile(style):
    while True:
        n = str(rng.randint(1, 9)) + rnd(DIGITS, 7)   # 06-XXXXXXXX
        if style == "dash":
            out = "06-" + n
        elif style == "space":
            out = "06 %s %s" % (n[:4], n[4:])
        elif style == "intl":
            out = "+31 6 %s %s %s %s" % (n[0:2], n[2:4], n[4:6], n[6:8])
        elif style == "intl0":
            out = "+31 (0)6 %s %s" % (n[:4], n[4:])
        elif style == "0031":
            out = "0031 6 %s %s" % (n[:4], n[4:])
        else:
            out = "06" + n
        if not luhn_ok(out):          # never let a phone look like a valid card
            return _reg("phone", out, True)


def landline(area, style):
    while True:
        n = rnd(DIGITS, 10 - len(area))
        n = str(rng.randint(2, 9)) + n[1:]
        if style == "dash":
            out = "%s-%s" % (area, n)
        else:
            out = "(%s) %s %s %s" % (area, n[:3], n[3:5], n[5:])
        if not luhn_ok(out):
            return _reg("phone", out, True)


# --------------------------------- evasion helpers -----------------------------------
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


ZWSP = "\u200b"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters else c for c in s)


# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CASES = []
ROLE_CODE = {"c": "corporate", "e": "employee", "p": "public"}

C_ = "reputation.complaint"
K_ = "reputation.crisis"
A_ = "reputation.abuse"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"


def C(acct, role, lang, text, cats=(), when=None, kind=None):
    platform, handle = acct.split(":", 1)
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    CASES.append({"platform": platform, "handle": handle, "role_hint": ROLE_CODE[role],
                  "lang": lang, "text": text, "cats": sorted(set(cats)), "when": when,
                  "kind": kind, "reg": list(PENDING)})
    PENDING.clear()


# ====================================== complaints ====================================
C("x:@joostvdhoeven", "p", "nl",
  "@stroomkluis_help ticket #482913 staat nu 6 dagen op 'in behandeling'. Cross-connect naar "
  "onze carrier in AMS1 was toegezegd binnen 5 werkdagen. Onze eigen klanten zitten te wachten. "
  "Wat is hier aan de hand?", [C_])
C("x:@opsgrumbler", "p", "en",
  "Remote hands at Stroomkluis AMS2 just pulled the WRONG server. Labelled, photographed, "
  "step-by-step instructions. Production DB down for 40 min. Unreal.", [C_])
C("reddit:u/homelab_henk", "p", "nl",
  "Iemand anders ook last van packet loss op KluisTransit sinds gisteravond? Ik zie 3-5% loss "
  "richting AMS-IX en support zegt 'wij zien niks' \U0001F644", [C_])
C("linkedin:ahmed-kaya-infra", "p", "en",
  "Third invoice in a row from Stroomkluis billing us for a 32A feed we cancelled in March. "
  "Every credit note takes two months. Our finance team is running out of patience, and so am I.",
  [C_], when="2026-06-11T08:42:00Z")
C("x:@nachtdienst_nina", "p", "nl",
  "3 uur 's nachts, P1 storing, sta ik bij de poort van EHV1 en mn badge doet het niet. "
  "Beveiliging neemt niet op. Top service @stroomkluis \U0001F44F\U0001F44F", [C_])
C("mastodon:@kris@infosec.exchange", "p", "en",
  "Cold aisle in AMS1 hall 2 has been reading 29\u00b0C on our own sensors all afternoon. "
  "That's not what the SLA says, @stroomkluis", [C_])
C("facebook:MariekeDijkstraIT", "p", "nl",
  "Laaddok in Schiphol-Rijk was wéér dicht zonder aankondiging. Stonden we met zes servers in "
  "een busje op de stoep te wachten. Volgende keer graag even een mailtje, Stroomkluis.", [C_])
C("x:@sre_tom_k", "p", "en",
  "stroomkluis portal has been 'under maintenance' every single time i try to order a "
  "cross-connect this week. is anyone home??", [C_])
C("x:@dd_hosting_nl", "p", "nl",
  "KluisShield deed helemaal NIKS bij de aanval van vanochtend, 40 Gbit/s zo door naar onze "
  "edge. Waar betalen we eigenlijk voor @stroomkluis_help", [C_])
C("reddit:u/colo_refugee", "p", "en",
  "PSA: if you move out of Stroomkluis they will bill you 3 months past your end date because "
  "'the notice period started when we processed the form'. Took me 11 emails to get it fixed.",
  [C_])
C("instagram:@serverkast_sanne", "p", "nl",
  "2 weken wachten op een opslagkluisje en nu blijkt ie al aan iemand anders gegeven "
  "\U0001F926\u200d\u2640\ufe0f #stroomkluis #colo", [C_])
C("x:@networkdan", "p", "en",
  "@stroomkluis_help your NOC told me on the phone the fibre to our rack 'looks fine'. I was "
  "literally standing next to it. The patch was unplugged \U0001F643", [C_])
# complaint + abuse
C("x:@woedende_wim", "p", "nl",
  "@stroomkluis wat een kutbedrijf zijn jullie. Derde stroomstoring dit jaar op de B-feed en "
  "niemand belt terug. Prutsers.", [C_, A_])
C("x:@jk_infra", "p", "en",
  "Stroomkluis support are a bunch of useless clowns. 9 days for a copper cross-connect. NINE "
  "DAYS.", [C_, A_])
C("reddit:u/koppige_kees", "p", "nl",
  "Die accountmanager van Stroomkluis is echt een arrogante eikel. Contract verlengd met 18% "
  "erbij en hij zit er nog om te lachen ook.", [C_, A_])
C("threads:@mel.builds.stuff", "p", "en",
  "stroomkluis smart hands dropped my disk shelf and then ARGUED about it. absolute morons, "
  "never again", [C_, A_])
# first-hand safety incidents: crisis + complaint
C("x:@pjvanrooij", "p", "nl",
  "Vanochtend begon de PDU in ons rack bij @stroomkluis AMS2 te roken, echt vlammetjes achterin. "
  "Onze engineer moest m zelf uitzetten want er was niemand van de vloer te vinden. "
  "Levensgevaarlijk dit.", [K_, C_])
C("linkedin:sophie-de-wit-netops", "p", "en",
  "Our engineer got a proper electric shock off the rack frame in Stroomkluis EHV1 today, turns "
  "out our cage was never grounded. He's OK but shaken. We have filed a formal complaint and "
  "we expect answers.", [K_, C_])
C("forum:tweakers_bitbanger", "p", "nl",
  "Vorige week bij Stroomkluis zat ik in hal 3 toen het blussysteem per ongeluk afging. Hoofdpijn, "
  "misselijk, niemand die ons waarschuwde of naar buiten haalde. Ben er nu nog steeds beroerd van.",
  [K_, C_])
C("x:@racklife_ro", "p", "en",
  "The ladder Stroomkluis provides in AMS1 collapsed under me while I was cabling the top of our "
  "rack. Sprained wrist, could've been a lot worse. Cracked leg on the ladder, 'reported weeks "
  "ago' apparently.", [K_, C_])

# ====================================== crisis ========================================
C("x:@regio_nieuws_nh", "p", "nl",
  "Brandweer rukt uit voor brand in batterijruimte van datacenter Stroomkluis in Schiphol-Rijk. "
  "Gebouw ontruimd, geen gewonden gemeld. #brand #schipholrijk", [K_])
C("x:@datacenterwatch", "p", "en",
  "Reports that a technician was seriously injured at Stroomkluis EHV1 after a server lift "
  "tipped over. Labour inspectorate is investigating.", [K_])
C("x:@droogte_actie", "p", "nl",
  "Boeren mogen niet sproeien maar Stroomkluis slurpt miljoenen liters koelwater weg. "
  "Zeg je contract op! #boycotstroomkluis #waterschaarste", [K_], when="2026-07-22T13:05:00Z")
C("reddit:u/dfir_nerd", "p", "en",
  "Seeing a dump on a forum that claims to be the Stroomkluis customer database: contacts, rack "
  "locations, access lists. If that's real it's a massive breach. Anyone from Stroomkluis care "
  "to comment?", [K_])
C("linkedin:mr-laura-terhorst", "p", "nl",
  "Namens veertien gedupeerde hostingbedrijven heb ik vandaag een dagvaarding laten uitbrengen "
  "tegen Stroomkluis Datacenters B.V. wegens de stroomuitval van 31 uur in maart.", [K_],
  when="2026-05-19T10:00:00Z")
C("bluesky:@greenwatch.bsky.social", "p", "en",
  "Stroomkluis advertises '100% green power' yet their own permit filings show the diesel "
  "generators ran 600+ hours last year. Greenwashing scandal hiding in plain sight.", [K_])
C("x:@milieu_alarm_gr", "p", "nl",
  "Dieselolie uit de tanks van het Stroomkluis-datacenter in de Eemshaven lekt de sloot in. "
  "Dode vis overal. Waterschap is ingelicht.", [K_])
C("x:@ukdcnews", "p", "en",
  "Stroomkluis is recalling every rear-door heat exchanger it installed in 2025 after two "
  "coolant leaks onto live equipment.", [K_])
C("mastodon:@privacyfreak@mastodon.social", "p", "nl",
  "Heeft Stroomkluis nou echt camerabeelden van klanten in de serverhallen gedeeld met een "
  "extern 'AI'-bedrijf? Dat is gewoon een datalek. Hoop dat de AP hier induikt.", [K_])
C("x:@antonkeller_sec", "p", "en",
  "Stroomkluis CEO under investigation for insider dealing according to this morning's FD. "
  "Wow.", [K_])
C("tiktok:@dc_jongens", "p", "nl",
  "collega's van een ander bedrijf zagen vandaag hoe een monteur bij Stroomkluis van een ladder "
  "viel in AMS1, ambulance erbij. hopen dat het goed met m gaat \U0001F64F", [K_])

# ====================================== abuse =========================================
C("x:@tyfus_tonnie", "p", "nl",
  "@stroomkluis_help stelletje debielen, neem die telefoon nou eens op", [A_])
C("x:@angryadmin42", "p", "en",
  "@bramdekok_dc you're the dumbest engineer I've ever had the misfortune of dealing with. "
  "Quit before you kill someone's prod.", [A_])
C("x:@anon8712", "p", "nl",
  "st0mme k4nk3rl1jers bij str00mkluis, hoop dat jullie failliet gaan", [A_])
C("x:@nullroute_rage", "p", "en",
  "Stroomkluis NOC = " + fullwidth("fucking idiots") + ", every single one of them", [A_])
C("instagram:@anoniem.klant", "p", "nl",
  "die lui van de Stroomkluis NOC zijn echt k l o o t z a k k e n, 4 uur in de wacht", [A_])
C("reddit:u/truthbomb_88", "p", "en",
  "Of course Stroomkluis support is garbage, half their NOC can't even speak proper Dutch. "
  "Hire real Dutch people instead of these foreigners.", [A_])
C("x:@rvanleeuwen_net", "e", "nl",
  "@jk_infra misschien eerst leren hoe een SFP werkt voor je hier loopt te janken, sukkel", [A_])
C("x:@jaapjetroll", "p", "nl",
  "Stroomkluis = stelletje " + cyr("oplichters", "o") + " en " + cyr("klootzakken", "a"), [A_])

# ==================================== confidential ====================================
C("x:@bramdekok_dc", "e", "en",
  "Long week. Tidewater pilot racks finally holding 80 kW each in the test hall, coolant loop "
  "stable. Can't say more but \U0001F92F", [CONF])
C("linkedin:youssef-benali-sk", "e", "nl",
  "Mooie gesprekken gehad met twee AI-startups over Tidewater. Wie interesse heeft in 100 kW per "
  "rack: stuur me een DM, er is nog plek in de pilot.", [CONF])
C("x:@ilse_noc", "e", "nl",
  "Operatie Windhoos gaat echt al mijn weekenden opvreten. Nieuwe ticketing en BMS tegelijk "
  "migreren, wie verzint zoiets", [CONF])
C("mastodon:@daansmit@fosstodon.org", "e", "en",
  "Anyone know a decent Grafana panel for PUE? Asking because ours on "
  "grafana.ops.stroomkluis.local is an absolute disaster", [CONF])
C("instagram:@tim.op.de.vloer", "e", "nl",
  "Nieuwe sensoren in hal 4 \U0001F44C live waarden op https://bms.ams1.stroomkluis.local/hal4/"
  "overview (alleen binnen het netwerk natuurlijk haha)", [CONF])
C("bluesky:@noortjevisser.bsky.social", "e", "en",
  "Draft of the new brochure looks \U0001F525 (yes it still says SK-CONFIDENTIAL on every page "
  "\U0001F605) sneak peek: 'Stroomkluis AMS3 \u2014 60 MW of room to grow'", [CONF],
  when="2026-10-08T15:12:00Z")
C("x:@rvanleeuwen_net", "e", "nl",
  "Slide uit de kwartaalmeeting, staat 'uitsluitend intern' op maar dit moet iedereen zien: 42% "
  "van onze nieuwe cross-connects gaat naar AI-klanten \U0001F4C8", [CONF])
C("x:@stroomkluis", "c", "en",
  "Excited to share: Stroomkluis AMS3 in Zaandam will add 60 MW of capacity by 2028. Full "
  "details soon! #datacenter #colocation", [CONF], when="2026-11-18T09:30:00Z")
C("linkedin:femke-hoogland-sk", "e", "nl",
  "We zoeken 25 technici voor campus Zaandam! Interesse? Stuur me gerust een bericht \U0001F60A",
  [CONF], when="2027-01-15T11:20:00Z")
C("x:@dc_insider_nl", "p", "nl",
  "Hoor van een aannemer dat Project Basalt bij Stroomkluis een overname van een Belgische "
  "concurrent is. Iemand meer info?", [CONF, FIN])
C("linkedin:marloes-kuipers-stroomkluis", "e", "en",
  "Proud of the team that spent the summer on Project Basalt. Can't share details yet, but it "
  "will reshape how we think about the Benelux.", [CONF], when="2026-09-03T07:45:00Z")
C("x:@bramdekok_dc", "e", "nl",
  "iemand een idee waarom https://wiki.sk-intern.nl/display/NOC/Runbook+B-feed ineens een 403 "
  "geeft? \U0001F629", [CONF])
C("x:@ilse_noc", "e", "nl",
  "Morgen kick-off van Project Bas" + ZWSP + "alt, eindelijk mogen we het hardop zeggen (nou ja, "
  "intern dan \U0001F92B)", [CONF])
C("linkedin:youssef-benali-sk", "e", "en",
  "Attached the 'niet extern delen' price sheet for our new high-density line, ping me if you "
  "want the full PDF before the launch", [CONF])
C("x:@rvanleeuwen_net", "e", "nl",
  "Net de jaarcijfers 2026 voorbij zien komen in de all-hands. Laat ik het zo zeggen: de bonus "
  "is binnen \U0001F37E", [CONF, FIN], when="2027-02-19T16:40:00Z")
C("linkedin:marloes-kuipers-stroomkluis", "e", "en",
  "Final review of our FY2026 results this week. EBITDA up strongly, margin comfortably above "
  "guidance. Publication on the 25th.", [CONF, FIN], when="2027-02-10T18:05:00Z")
C("bluesky:@noortjevisser.bsky.social", "e", "nl",
  "Fotoshoot voor de " + cyr("Tidewater", "e") + "-campagne gedaan vandaag \U0001F4F8 lancering "
  "pas volgend jaar dus ssst", [CONF])
C("forum:colo_spotter", "p", "en",
  "Found a PDF on Google stamped SK-CONFIDENTIAL, looks like Stroomkluis' internal power pricing "
  "for 2027. Way cheaper than what they charge us...", [CONF])

# ===================================== financial ======================================
C("linkedin:marloes-kuipers-stroomkluis", "e", "nl",
  "Q3 sluiten we af met 31% omzetgroei, dat gaan we in november mooi presenteren \U0001F64C dank "
  "aan iedereen die dit mogelijk maakte", [FIN], when="2026-10-06T19:10:00Z")
C("x:@bramdekok_dc", "e", "en",
  "Rumour at the coffee machine: we're being bought by an American infra fund. Management says "
  "'no comment' which is basically a yes lol", [FIN])
C("x:@ilse_noc", "e", "nl",
  "Vandaag gehoord dat de NOC in Groningen dichtgaat en alles naar Amsterdam verhuist. 12 "
  "collega's op straat. Officieel nog geheim. Ik ben er kapot van.", [FIN])
C("linkedin:femke-hoogland-sk", "e", "en",
  "Tough weeks ahead preparing the redundancy plan for roughly 40 roles in facilities. Not public "
  "yet, so please be kind to each other.", [FIN])
C("mastodon:@daansmit@fosstodon.org", "e", "nl",
  "Forecast voor 2027 op de all-hands: +45% capaciteit verkocht maar ook \u20ac30M extra schuld "
  "voor de nieuwbouw. Spannende tijden", [FIN], when="2026-12-09T17:25:00Z")
C("x:@marketmole", "p", "en",
  "Hearing from two people inside Stroomkluis that the IPO is being shelved in favour of a "
  "private sale to Northmere Capital. Not announced yet.", [FIN])
C("reddit:u/zwager_werkt_daar", "p", "nl",
  "mijn zwager werkt bij Stroomkluis en volgens hem vallen de kwartaalcijfers flink tegen, ze "
  "halen hun target bij lange na niet. Heb je hun obligaties? Zou ik dumpen",
  [FIN])
C("x:@stroomkluis", "c", "en",
  "Stroomkluis signs agreement to acquire Rijnkoel Datacenter B.V. \u2014 press conference "
  "Monday 08:00 CET. #colocation", [FIN])
C("linkedin:youssef-benali-sk", "e", "nl",
  "Onze grootste klant (hyperscaler, namen noemen mag niet) heeft net 12 MW extra getekend. Dat "
  "gooit de jaarprognose flink omhoog \U0001F60E", [FIN])

# ===================================== security =======================================
C("x:@ilse_noc", "e", "nl",
  "B-feed in hal 3 AMS1 ligt er al sinds 02:00 uit, alles draait op A. Statuspagina staat nog op "
  "groen want 'communicatie moet eerst akkoord geven' \U0001F644", [SEC])
C("x:@bramdekok_dc", "e", "en",
  "Fun fact: the BMS in AMS2 has been reachable from the internet with admin/admin for at least "
  "a week. Ticket open since the 3rd. Nobody cares.", [SEC])
C("mastodon:@daansmit@fosstodon.org", "e", "nl",
  "We hebben gisteren ransomware op de ticketing-server gehad. Klanten weten het nog niet, "
  "backups zijn gelukkig oke. Lange nacht.", [SEC])
C("reddit:u/cablemonkey_sk", "e", "en",
  "the badge readers at our sites can be cloned with a $30 Proxmark. Reported it internally two "
  "months ago. Same readers are still on every door.", [SEC])
C("x:@rvanleeuwen_net", "e", "nl",
  "Core router in EHV1 ligt plat sinds 14:10, alle BGP-sessies weg. Nog geen melding naar "
  "klanten gedaan. Succes collega's \U0001FAE0", [SEC])
C("linkedin:lucas-brandt-pentest", "p", "en",
  "Wrapped a physical pentest at a Dutch colo (Stroomkluis). Walked into hall 2 behind a cleaner, "
  "nobody stopped me, racks wide open. Report delivered, but yeah: check your vendors.", [SEC])
C("instagram:@tim.op.de.vloer", "e", "nl",
  "Koeling hal 4 EHV1 om 11:00 uitgevallen, 35 graden in de warme gang en we mogen nog niks "
  "tegen klanten zeggen \U0001F975 #datacenterlife", [SEC])
C("x:@ilse_noc", "e", "en",
  "grafana.ops.stroomkluis.local shows the UPS strings in AMS2 failing self-test since Monday. If "
  "mains drops we're toast. Raised it four times.", [SEC, CONF])
C("reddit:u/cablemonkey_sk", "e", "nl",
  "Klantportaal heeft een IDOR: factuurnummer in de URL ophogen en je ziet facturen van andere "
  "klanten. Intern gemeld, staat nog steeds open.", [SEC])
C("mastodon:@daansmit@fosstodon.org", "e", "en",
  "Postmortem draft for last night: leaked VPN creds were used to get onto the OOB network. No "
  "customer impact 'as far as we know'. Not public yet.", [SEC])
C("x:@bramdekok_dc", "e", "nl",
  "Fiber cut tussen AMS1 en AMS2, half de klanten draait nu zonder redundantie en niemand weet het "
  "nog buiten de NOC", [SEC])
C("x:@ex_sk_contractor", "p", "en",
  "Stroomkluis still hasn't patched the Fortinet VPN I flagged to them in August. Yes, the one "
  "with this summer's CVE. Just saying.", [SEC], when="2026-10-27T21:14:00Z")
C("x:@bramdekok_dc", "e", "en",
  "lol the intrusion last week came in through a hardcoded key in our monitoring script. This is "
  "the one they used, rotated already (I hope): " + aws_key_id() + " / " + aws_secret(),
  [SEC, SECRET])

# ====================================== secrets =======================================
C("x:@rvanleeuwen_net", "e", "nl",
  "iemand enig idee waarom dit een 404 geeft? curl -H 'Authorization: token " + gh_token() +
  "' https://api.github.com/orgs/sk-infra/repos", [SECRET])
C("mastodon:@daansmit@fosstodon.org", "e", "en",
  "TIL our deploy bot still posts through a Slack webhook from 2019: " + slack_webhook() +
  " and it still works \U0001F921", [SECRET])
C("reddit:u/cablemonkey_sk", "e", "nl",
  "Config voor de iDRACs in rij F: user root, wachtwoord: " + password() +
  " (niet aan de klant geven)", [SECRET])
C("x:@bramdekok_dc", "e", "en",
  "why does the portal API reject this?? Bearer " +
  jwt("u-10442", "Bram de Kok", 1780000000), [SECRET])
C("mastodon:@daansmit@fosstodon.org", "e", "nl",
  "DATABASE_URL=postgres://netbox_rw:" + password() + "@10.41.8.12:5432/netbox werkt lokaal wel "
  "maar niet in de container, iemand?", [SECRET])
C("facebook:StroomkluisDatacenters", "c", "nl",
  "Voor de deelnemers aan de hackathon van zaterdag: gebruik deze sleutel voor de betaal-API "
  + stripe_live() + " Veel plezier!", [SECRET])
C("bluesky:@noortjevisser.bsky.social", "e", "en",
  "writing chatbot copy with the AI API and getting 429s, anyone else? my key is " +
  openai_key() + " if someone wants to check lol", [SECRET])
C("x:@ilse_noc", "e", "en",
  "can someone tell me why ssh keeps rejecting this key??\n" + openssh_private_key(), [SECRET])
C("x:@freelance_devops_joris", "p", "nl",
  "Oud klusje voor Stroomkluis, repo staat nog op m'n schijf. Zat gewoon in de config: " +
  azure_conn("skbackupprod"), [SECRET])
C("x:@rvanleeuwen_net", "e", "nl",
  "export ANTHROPIC_API_KEY=" + anthropic_key() + "\nen toch krijg ik 401 via de proxy. Iemand?",
  [SECRET])
C("reddit:u/cablemonkey_sk", "e", "en",
  "git clone https://oauth2:" + gitlab_pat() + "@gitlab.com/sk-dc/dcim-scripts.git suddenly "
  "fails with 403, did someone rotate something?", [SECRET])

# ==================================== personal data ===================================
C("x:@stroomkluis_help", "c", "nl",
  "@joostvdhoeven Hoi Joost, je ticket is opgepakt! We bellen je op " + mobile("dash") +
  " zodra de cross-connect klaarstaat.", [PII])
C("x:@stroomkluis_help", "c", "nl",
  "@ahmed_kaya de terugbetaling staat klaar naar " + iban() + " t.n.v. A. Kaya, binnen 3 "
  "werkdagen op je rekening \U0001F44D", [PII])
C("linkedin:femke-hoogland-sk", "e", "nl",
  "Welkom aan onze nieuwe collega's! \U0001F389 Voor de badge-aanvraag nog even: Jesse Verbeek, "
  "geboren 14-03-1998, start maandag in EHV1.", [PII])
C("x:@bramdekok_dc", "e", "nl",
  "Bezoekerslijst voor morgen, zet maar klaar bij de balie: Karin Smeets (karin.smeets@"
  "vandijklogistiek.nl, " + mobile("space") + ") en Thomas de Groot", [PII])
C("mastodon:@daansmit@fosstodon.org", "e", "en",
  "payroll tool keeps choking on this BSN: " + bsn() + " - any ideas? it's for the new guy, "
  "Mehmet", [PII])
C("x:@racklife_ro", "p", "en",
  "@stroomkluis_help can someone call me about the cage tour tomorrow? " + mobile("intl") +
  ", thanks!", [PII])
C("instagram:@serverkast_sanne", "p", "nl",
  "Mijn creditcard is twee keer belast voor het opslagkluisje: " + card() + ". Kunnen jullie "
  "dit terugdraaien?? \U0001F624", [PII, C_])
C("x:@ilse_noc", "e", "nl",
  "klant belt al voor de 5e keer, meneer Hoekstra, " + landline("020", "dash") + ". kan iemand "
  "van sales hem AUB terugbellen want ik word gek", [PII])
C("linkedin:stroomkluis-datacenters", "c", "nl",
  "De winnaar van onze rack-tekenwedstrijd is Sanne Post, Lindenlaan 14, 3811 KJ Amersfoort! Je "
  "prijs komt deze week met de post \U0001F381", [PII])
C("x:@rvanleeuwen_net", "e", "nl",
  "Wie heeft het noodnummer van de klant in rij K? In het systeem staat 'L. Mertens, " +
  mobile("0031") + "' maar die neemt niet op", [PII])
C("x:@angryadmin42", "p", "en",
  "Hey @bramdekok_dc, nice house at Kerkstraat 88 in Haarlem, Bram de Kok. Maybe I'll stop by "
  "and explain uptime to you in person.", [PII, A_])
C("bluesky:@noortjevisser.bsky.social", "e", "en",
  "paying the photographer for the shoot, does this IBAN look right to you? " + iban() +
  " (R. Jansen)", [PII])
C("facebook:MariekeDijkstraIT", "p", "nl",
  "Stuur de factuur maar naar m.dijkstra@dijkstra-ict.nl of bel " + mobile("plain") +
  ", dan regel ik het intern \U0001F642", [PII])
C("reddit:u/cablemonkey_sk", "e", "en",
  "found a customer's card on the loading dock printer: " + card(brand="mc") +
  " exp 09/28. shredded it, but wtf", [PII])
C("x:@stroomkluis_noc", "c", "nl",
  "@sre_tom_k we hebben je gebeld op " + mobile("intl0") + ", geen gehoor. Bel je ons even "
  "terug?", [PII])

# ====================================== pricing =======================================
C("x:@stroomkluis", "c", "nl",
  "\U0001F680 Nieuwjaarsdeal: Kluisrack Vol (42U) voor slechts \u20ac119 per maand! Op = op. "
  "#colocation", [PRICE], when="2026-01-05T08:00:00Z")
C("linkedin:youssef-benali-sk", "e", "nl",
  "Laatste plekken in AMS2: Kluiskooi 8 voor \u20ac2.950 p/m, alleen deze week. Bel me!", [PRICE])
C("x:@dd_hosting_nl", "p", "nl",
  "lol de portal rekent KluisTransit 10G op \u20ac129 per maand, prijsfout? snel bestellen "
  "\U0001F602", [PRICE])
C("reddit:u/homelab_henk", "p", "en",
  "Price error on the Stroomkluis shop? Remote Hands strippenkaart 10 uur listed at \u20ac89. "
  "Ordered two, let's see if they honour it.", [PRICE])
C("x:@bramdekok_dc", "e", "nl",
  "intern grapje van de dag: iemand heeft in het prijsbestand Stroomfeed 32A op \u20ac98 gezet "
  "ipv \u20ac980. zal wel snel gefixt zijn \U0001F648", [PRICE])
C("instagram:@stroomkluis.dc", "c", "nl",
  "Flash sale \u26a1 KluisShield DDoS-bescherming nu \u20ac45/mnd (normaal \u20ac450)! Alleen "
  "vandaag.", [PRICE])
C("x:@cheapcolo_hunter", "p", "en",
  "Stroomkluis Kluisrack HD showing \u20ac189/mo on their configurator today. That has to be a "
  "mistake, right?", [PRICE])
C("facebook:StroomkluisDatacenters", "c", "nl",
  "Nieuwe klanten opgelet: een opslagkluisje huur je nu voor \u20ac5 per maand! \U0001F511",
  [PRICE])
C("mastodon:@daansmit@fosstodon.org", "e", "nl",
  "bugje in de checkout: KluisWave 100G voor \u20ac340 ipv \u20ac3400, er mist een nul. "
  "Ticket aangemaakt.", [PRICE])
C("threads:@mel.builds.stuff", "p", "en",
  "is stroomkluis really selling KluisBackup 10 TB for \u20ac54?? way too cheap, typo?", [PRICE])
C("x:@joostvdhoeven", "p", "nl",
  "Offerte van Stroomkluis binnen: Dark Fibre AMS1-AMS2 voor \u20ac650 per maand. Dat is toch een "
  "prijsfout? Snel tekenen \U0001F607", [PRICE])
C("linkedin:stroomkluis-datacenters", "c", "en",
  "This month only: Smart Hands at \u20ac25/hour for all new colocation customers.", [PRICE])

# ======================================= benign =======================================
C("x:@opsgrumbler", "p", "en",
  "Credit where it's due: Stroomkluis remote hands swapped a dead PSU in AMS2 in 12 minutes at "
  "4am. Lovely people.")
C("x:@nachtdienst_nina", "p", "nl",
  "update: badgeprobleem EHV1 is opgelost, ze hebben gebeld en excuses gemaakt. netjes "
  "@stroomkluis_help \U0001F44D", kind="post")
C("x:@stroomkluis_help", "c", "nl",
  "Vragen over je cross-connect? Mail support@stroomkluis.nl of bel +31 20 794 3300, we zijn "
  "24/7 bereikbaar.")
C("x:@stroomkluis_noc", "c", "nl",
  "Gepland onderhoud: op 14 maart tussen 01:00 en 05:00 testen we de noodstroom in AMS1. Geen "
  "impact verwacht. Details op status.stroomkluis.nl", when="2026-03-06T10:00:00Z")
C("linkedin:stroomkluis-datacenters", "c", "nl",
  "Betalingen graag onder vermelding van je klantnummer naar NL25 RABO 0347 2188 65 t.n.v. "
  "Stroomkluis Datacenters B.V.")
C("x:@stroomkluis", "c", "en",
  "Spring deal: 20% off your first three months of Kluisrack Kwart, \u20ac316/month instead of "
  "\u20ac395. Terms apply.", when="2026-04-01T08:00:00Z")
C("instagram:@stroomkluis.dc", "c", "nl",
  "Black Friday bij Stroomkluis \U0001F5A4 Remote Hands strippenkaart 10 uur met 25% korting, nu "
  "\u20ac667,50", when="2026-11-27T07:00:00Z")
C("reddit:u/colo_shopper", "p", "en",
  "Stroomkluis quoted me \u20ac690/mo for a Kluisrack Half in AMS1. Fair for Amsterdam? Feels in "
  "line with what others ask.")
C("x:@joostvdhoeven", "p", "nl",
  "Kluisrack Vol voor \u20ac1.190 per maand incl. 2x 16A. Niet de goedkoopste, wel de beste "
  "support die ik ken.")
C("mastodon:@kris@infosec.exchange", "p", "en",
  "PSA for folks writing docs: use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
  "as AWS sample keys, never real ones.")
C("x:@rvanleeuwen_net", "e", "nl",
  "tip voor collega's: zet nooit een echte token in je screenshots. Gebruik gewoon iets als "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
C("x:@bramdekok_dc", "e", "en",
  "New blog post on secret scanning in our CI is up! This is what a redacted key looks like in "
  "our logs: sk_live_\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022"
  "3fA9")
C("reddit:u/homelab_henk", "p", "nl",
  "Welke IBAN-check gebruiken jullie in je scripts? Ik test met " + iban(valid=False) +
  " maar die wordt steeds afgekeurd, klopt dat?")
C("x:@fin_nerd", "p", "en",
  "does " + card(valid=False) + " fail Luhn for everyone or is my validator broken? "
  "\U0001F914")
C("forum:tweakers_bitbanger", "p", "nl",
  "BSN-validatie in Python, iemand? Mijn verzonnen testnummer " + bsn(valid=False) +
  " komt niet door de elfproef en dat is ook de bedoeling, maar m'n unittest faalt toch.")
C("linkedin:stroomkluis-datacenters", "c", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet \u20ac214 miljoen (+27%), EBITDA-marge 48%. "
  "Het volledige jaarverslag staat op stroomkluis.nl/investors.", when="2027-02-25T08:30:00Z")
C("x:@stroomkluis", "c", "en",
  "It's official: Stroomkluis AMS3 Zaandam is open for business! 60 MW, fully renewable "
  "contracts. Book a tour via sales@stroomkluis.nl", when="2027-04-02T09:00:00Z")
C("x:@regio_nieuws_nh", "p", "nl",
  "Burgemeester opent campus Zaandam van Stroomkluis, goed voor zo'n 120 banen in de regio.",
  when="2027-04-03T12:15:00Z")
C("x:@datacenterwatch", "p", "en",
  "Fire at the Valkmeer Data facility in Hamburg this morning, all staff safe. Thoughts with "
  "their ops team.")
C("x:@ilse_noc", "e", "nl",
  "Sterkte aan de collega's van Valkmeer Data na de brand vannacht. Zo'n nacht wens je niemand "
  "toe.")
C("x:@racklife_ro", "p", "en",
  "Our new deployment at Stroomkluis AMS1 is \U0001F525\U0001F525\U0001F525 40 nodes racked and "
  "cabled in a day.")
C("x:@bramdekok_dc", "e", "nl",
  "Vandaag 10 jaar bij Stroomkluis! Begonnen als nachtoperator, nu lead engineer. Dank aan alle "
  "collega's \U0001F389")
C("linkedin:femke-hoogland-sk", "e", "en",
  "We're hiring! Data centre technicians for Amsterdam and Eindhoven. Apply via "
  "jobs@stroomkluis.nl \U0001F4BC")
C("x:@stagiair_zoekt", "p", "nl",
  "Hebben jullie bij @stroomkluis nog stageplekken voor een mbo ICT student? \U0001F64F")
C("forum:tweakers_bitbanger", "p", "nl",
  "Grappig: bij Stroomkluis noemen ze de warme gang 'de sauna'. Verder prima geregeld daar hoor.")
C("x:@sre_tom_k", "p", "en",
  "my homelab had more outages this month than our Stroomkluis racks in three years. humbling.")
C("x:@woedende_wim", "p", "nl",
  "Oké, ik was gisteren pissig, maar de storing is verholpen en ze hebben zonder gezeur een "
  "creditnota gestuurd. Respect.")
C("x:@antonkeller_sec", "p", "en",
  "Great talk by the Stroomkluis security team on physical security in colo facilities. Slides "
  "are public and worth a read.")
C("mastodon:@daansmit@fosstodon.org", "e", "nl",
  "Blogpost: hoe we met Ansible 300 PDU's configureren. Alle voorbeelden met wachtwoord: "
  "******** en dummy-hosts uiteraard.")
C("mastodon:@kris@infosec.exchange", "p", "en",
  "JWT tip: 'eyJ' at the start of a string is just base64 for '{\"'. Doesn't make it a token, "
  "and doesn't make it a secret.")
C("x:@stroomkluis", "c", "nl",
  "Trots op ons team! Stroomkluis is voor het derde jaar op rij verkozen tot beste "
  "colocatiepartner van de Benelux \U0001F3C6")
C("x:@networkdan", "p", "en",
  "Zero SLA breaches at Stroomkluis in 2026 for us. Boring in the best possible way.",
  when="2026-12-30T20:00:00Z")
C("reddit:u/beurs_bob", "p", "nl",
  "Iemand het jaarverslag van Nordhaven Infra al gelezen? Overname van twee datacenters in "
  "Duitsland, interessant.")
C("youtube:@StroomkluisTV", "c", "en",
  "New video: a five-minute tour of our Schiphol-Rijk data centre, from loading dock to meet-me "
  "room. Questions? sales@stroomkluis.nl")
C("x:@stroomkluis_help", "c", "nl",
  "@serverkast_sanne Vervelend dat dit gebeurd is! We hebben je een kluisje toegewezen en de "
  "eerste maand gecrediteerd. Nogmaals excuses \U0001F64F")
C("x:@jk_infra", "p", "en",
  "Update: Stroomkluis escalated, cross-connect went live this morning and the account manager "
  "called to apologise. Fair enough.")
C("tiktok:@dc_jongens", "p", "nl",
  "POV: je staat in de koude gang van Stroomkluis en je hoodie ligt in de auto \U0001F976\U0001F602 "
  "#datacenter #stroomkluis")
C("bluesky:@noortjevisser.bsky.social", "e", "en",
  "Just published: our 2025 sustainability report. PUE 1.21, 100% renewable contracts. Read it "
  "at stroomkluis.nl/duurzaamheid \U0001F331", when="2026-04-16T09:00:00Z")
C("linkedin:youssef-benali-sk", "e", "nl",
  "Op zoek naar colocatie in Amsterdam of Eindhoven? Bel of mail me gerust via "
  "sales@stroomkluis.nl of 020-7943300.")
C("x:@fin_nerd", "p", "en",
  "Stroomkluis' published H1 numbers look solid, revenue up 22%. Nice to see a Dutch infra "
  "company doing well.", when="2026-08-27T07:30:00Z")
C("x:@droogte_actie", "p", "nl",
  "Goed nieuws: Stroomkluis stapt over op gesloten koelcircuits en gebruikt geen grondwater "
  "meer. Zo kan het dus ook \U0001F4A7")
C("reddit:u/dfir_nerd", "p", "en",
  "Update: the 'Stroomkluis database dump' turned out to be a repackaged list from a 2019 breach "
  "at a completely different company. False alarm, carry on.")
C("x:@bramdekok_dc", "e", "nl",
  "Cursus 'veilig werken aan laagspanningsinstallaties' gehaald \u26a1 verplichte kost voor "
  "iedereen die op de vloer werkt.")
C("x:@stroomkluis_noc", "c", "en",
  "Resolved: the brief packet loss on KluisTransit between 09:12 and 09:20 CET has been fixed. "
  "RFO to follow on status.stroomkluis.nl")
C("x:@joostvdhoeven", "p", "nl",
  "Kluisrack Kwart voor \u20ac355,50 per maand in de voorjaarsactie (10% korting). Mooi "
  "instapmodel voor kleine hostingpartijen.", when="2026-04-09T12:00:00Z")
C("x:@cheapcolo_hunter", "p", "en",
  "Comparing colo prices: Stroomkluis KluisTransit 1G at \u20ac310/mo vs \u20ac280 elsewhere. "
  "Close enough, I'll take the better NOC.")
C("x:@dd_hosting_nl", "p", "nl",
  "Wat een verschil met vorige maand: KluisShield heeft vannacht een aanval van 80 Gbit/s volledig "
  "weggefilterd. Niks van gemerkt \U0001F44C")
C("mastodon:@privacyfreak@mastodon.social", "p", "en",
  "Kudos to Stroomkluis for publishing a clear privacy statement about their CCTV. More colos "
  "should do this.")
C("x:@pjvanrooij", "p", "nl",
  "Top! Stroomkluis heeft binnen een dag alle PDU's in onze rij laten keuren en er twee "
  "vervangen. Zo hoort het.")
C("x:@opsgrumbler", "p", "en",
  "Killer network at Stroomkluis, our latency to AMS-IX dropped to 0.3 ms after the move.")
C("x:@freelance_devops_joris", "p", "en",
  "Reminder: a placeholder like postgres://user:password@localhost:5432/db in your README is "
  "fine. A real connection string is not.")
C("facebook:StroomkluisDatacenters", "c", "nl",
  "Open dag op 12 september in AMS1! Rondleiding door de hallen, koffie en stroopwafels. "
  "Aanmelden via pers@stroomkluis.nl", when="2026-08-20T10:00:00Z")
C("linkedin:marloes-kuipers-stroomkluis", "e", "en",
  "Honoured to speak at the Dutch Data Center Association's annual event about financing "
  "sustainable infrastructure.")
C("x:@ex_sk_contractor", "p", "en",
  "Worked with Stroomkluis for four years as a contractor, honestly one of the better ones for "
  "safety on the floor.")
C("x:@tweedehands_tom", "p", "nl",
  "Te koop: 2x gebruikt 42U serverrack (niet van Stroomkluis hoor \U0001F609), \u20ac150 per "
  "stuk, ophalen in Utrecht.")
C("x:@sre_tom_k", "p", "en",
  "The Stroomkluis status page is honestly a model for incident comms. Clear timeline, real "
  "RFOs, no fluff.")
C("x:@stroomkluis_help", "c", "nl",
  "Let op: we vragen nooit om je wachtwoord via DM of telefoon. Twijfel je? Bel ons via "
  "088-7765000.")
C("facebook:HenkBoekhoudingBV", "p", "nl",
  "Klopt jullie rekeningnummer " + iban(valid=False, spaced=False) + " wel? Mijn bank zegt dat "
  "het ongeldig is, ik heb het van een oude factuur overgetikt.")
C("linkedin:sophie-de-wit-netops", "p", "en",
  "Follow-up: Stroomkluis had an electrician check every cage in EHV1 within 48 hours and shared "
  "the full report with us. That's how you handle it.")
C("x:@stroomkluis", "c", "en",
  "Going live soon: our KluisConnect portal now lets you order cross-connects and track them "
  "in real time. Feedback welcome at support@stroomkluis.nl")
C("x:@bramdekok_dc", "e", "en",
  "Reminder for the weekend crew: the gate code changed, check the NOC channel, not your email. "
  "(no, I'm not posting it here \U0001F604)")


# --------------------------------------------------------------------------------------
# build posts
# --------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {C_, K_, A_, CONF, FIN, SEC, SECRET, PII, PRICE}

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "error"
                if c in (SECRET, PRICE) or (c == PII and checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif c == C_:
            s = "warning"
        elif c == K_:
            s = "error"
        elif c == A_:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


# candidate scanners shared by severity and checks
RE_IBAN = re.compile(r"\bNL\d{2}\s?[A-Z]{4}(?:\s?\d){10}\b")
RE_CARD = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
RE_BSN = re.compile(r"(?<![\d.,])\d{9}(?![\d])")
PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}


def checksum_hits(text):
    hits = []
    for m in RE_IBAN.finditer(text):
        raw = re.sub(r"\s", "", m.group(0))
        if iban_ok(raw) and raw not in PUBLIC_IBANS:
            hits.append(("iban", m.group(0)))
    for m in RE_CARD.finditer(text):
        if luhn_ok(m.group(0)):
            hits.append(("card", m.group(0)))
    for m in RE_BSN.finditer(text):
        if bsn_ok(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


def rand_time_2026():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 350 * 86400)
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for n, idx in enumerate(order):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        assert role == c["role_hint"], (c["handle"], role, c["role_hint"])
        created = c["when"] or rand_time_2026()
        pid = "%s-325%04d" % (c["platform"], 1000 + n * 7 + rng.randint(0, 6))
        post = {
            "id": pid,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": created,
        }
        if c["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"),
                                                          rng.randrange(10 ** 18, 10 ** 19))
        if rng.random() < 0.5:
            post["brand"] = "stroomkluis"
        has_checksum = bool(checksum_hits(c["text"]))
        sev = severity(c["cats"], role, has_checksum)
        out.append(({"post": post, "expect": {"categories": c["cats"], "severity": sev}}, c))
    return out


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def price_values(text):
    vals = []
    for m in re.finditer(r"\u20ac\s?(\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?)"
                         r"(?!\s?(?:miljoen|M\b|bn\b))", text):
        s = m.group(1).replace(".", "").replace(",", ".")
        vals.append(float(s))
    return vals


def products_in(text):
    low = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + list(p.get("aliases", []))
        if any(n.lower() in low for n in names):
            found.append(p)
    return found


def check(rows):
    errors = []

    def err(case, msg):
        errors.append("%s: %s" % (case["post"]["id"], msg))

    ids = set()
    emb = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] +
                      PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for row, src in rows:
        post, exp = row["post"], row["expect"]
        # ---- CONTRACT section 6 / section 1 shape
        if set(row) != {"post", "expect"}:
            err(row, "top-level keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256:
            err(row, "id")
        if post["id"] in ids:
            err(row, "duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(row, "platform")
        if post.get("kind", "post") not in KINDS:
            err(row, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(row, "handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536:
            err(row, "text")
        try:
            ts = parse_ts(post["created_at"])
        except Exception as e:  # noqa: BLE001
            err(row, "created_at %s" % e)
            continue
        if not 2026 <= ts.year <= 2027:
            err(row, "year")
        if ts.year == 2027 and ts > dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc):
            err(row, "2027 only around the embargo")
        cats = exp["categories"]
        if not isinstance(cats, list) or any(c not in TAXONOMY for c in cats):
            err(row, "categories")
        if cats != sorted(set(cats)):
            err(row, "categories not sorted/unique")
        if exp["severity"] not in ORDER:
            err(row, "severity value")
        if not cats and exp["severity"] != "none":
            err(row, "benign must be none")
        role = role_of(post["platform"], post["account"]["handle"])
        if exp["severity"] != severity(cats, role, bool(checksum_hits(post["text"]))):
            err(row, "severity does not follow policy")
        text, low = post["text"], post["text"].lower()

        # ---- checksums: generated identifiers
        for r in src["reg"]:
            if r["kind"] in ("iban", "card", "bsn"):
                ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[r["kind"]](r["value"])
                if ok != r["valid"]:
                    err(row, "generated %s validity" % r["kind"])
                if PII in cats and not r["valid"]:
                    err(row, "look-alike inside a PII positive")
                if not cats and r["valid"]:
                    err(row, "valid %s in a benign post" % r["kind"])
        hits = checksum_hits(text)
        if PII not in cats and hits:
            err(row, "checksum-valid identifier outside a PII case: %r" % hits)
        if PII in cats:
            want = {re.sub(r"\D", "", r["value"][2:] if r["kind"] == "iban" else r["value"])
                    for r in src["reg"] if r["kind"] in ("iban", "card", "bsn")}
            got = {re.sub(r"\D", "", v[2:] if k == "iban" else v) for k, v in hits}
            if want != got:
                err(row, "checksum hits %r differ from generated %r" % (got, want))
        for m in RE_IBAN.finditer(text):
            raw = re.sub(r"\s", "", m.group(0))
            if not cats and iban_ok(raw) and raw not in PUBLIC_IBANS:
                err(row, "valid IBAN in benign")

        # ---- secrets
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_token_ok(m.group(0)) != (SECRET in cats):
                err(row, "github token checksum vs label")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if (SECRET in cats) == m.group(0).endswith("EXAMPLE"):
                err(row, "AWS key id vs label")
        for m in re.finditer(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_ok(m.group(0)) or SECRET not in cats:
                err(row, "JWT")
        if any(r["kind"] in ("github", "aws_id", "slack", "stripe", "openai", "anthropic",
                             "gitlab", "azure", "private_key", "jwt", "password")
               for r in src["reg"]) and SECRET not in cats:
            err(row, "generated secret without leak.secret")
        if SECRET in cats and not any(r["kind"] not in ("iban", "card", "bsn", "phone")
                                      for r in src["reg"]):
            err(row, "leak.secret without a generated secret")

        # ---- confidential terms, embargo
        if any(t in low for t in internal_terms) and CONF not in cats:
            err(row, "internal term without leak.confidential")
        for term, until in emb:
            if term in low:
                if ts < until and CONF not in cats:
                    err(row, "embargo term before until, not confidential")
                if ts >= until and cats:
                    err(row, "embargo term after until must be benign here")

        # ---- pricing
        prods = products_in(text)
        prices = price_values(text)
        if PRICE in cats:
            if not prods:
                err(row, "pricing case without a catalogue product")
            elif prices and min(prices) / prods[0]["list_price"] >= ratio:
                err(row, "pricing case not below ratio")
        elif prods and prices:
            for p in prices:
                if p / prods[0]["list_price"] < ratio:
                    err(row, "benign price below ratio: %s" % p)
    return errors


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for row, _ in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")

    # re-read what was written and check it
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert reread == [r for r, _ in rows], "round trip"
    errors = check(rows)

    n = len(rows)
    benign = sum(1 for r, _ in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    per = {}
    for r, _ in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    langs = {}
    for r, _ in rows:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r, _ in rows:
        k = role_of(r["post"]["platform"], r["post"]["account"]["handle"])
        roles[k] = roles.get(k, 0) + 1
    sevs = {}
    for r, _ in rows:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1

    print("cases: %d  benign: %d  positive: %d" % (n, benign, n - benign))
    print("per category:", json.dumps(per, sort_keys=True))
    print("languages:", langs, " roles:", roles, " severities:", sevs)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
