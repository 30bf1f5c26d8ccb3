#!/usr/bin/env python3
"""Build the sealed292 evaluation set for postwatch (Kinevia Fysio & Sport B.V.).

Deterministic: a fixed seed drives every generated identifier, credential, id and
timestamp. The post texts are hand-written below. Writes cases.jsonl next to this
file and then checks it:

  * every line is a valid CONTRACT section 6 case (post shape, taxonomy, severities);
  * severities are computed from the account role in profile.yaml (section 4);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it; generated credentials carry their real structure/checksums;
  * prices, embargo terms and internal names agree with the labels.

Standard library plus PyYAML only.
"""
import base64
import json
import os
import random
import re
import string
import sys
import unicodedata
import zlib
from collections import Counter
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 292_0417
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

DIG = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
ALNUM = DIG + UP + LOW
B62 = DIG + UP + LOW            # base-62 digit order 0-9A-Za-z
URLSAFE = ALNUM + "-_"

# value as it appears in a text -> (kind, real)
# real=True: a genuine-looking identifier/credential (must pass its checks)
# real=False: a look-alike or documentation sample (must fail / be a sample)
REG = {}


def _reg(value, kind, real):
    REG[value] = (kind, real)
    return value


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- identifiers

def mod97(s):
    s = s.replace(" ", "").upper()
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97


def iban_ok(s):
    s = s.replace(" ", "").upper()
    return len(s) == 18 and s.startswith("NL") and mod97(s) == 1


def iban(valid=True, grouped=True, bank=None):
    bank = bank or rng.choice(["RABO", "INGB", "ABNA", "TRIO", "KNAB", "SNSB", "ASNB", "BUNQ"])
    acct = rand(DIG, 10)
    cd = 98 - mod97("NL00" + bank + acct)
    if not valid:
        cd = cd + rng.randint(1, 5) if cd < 90 else cd - rng.randint(1, 5)
    s = f"NL{cd:02d}{bank}{acct}"
    if grouped:
        s = " ".join(s[i:i + 4] for i in range(0, len(s), 4))
    return _reg(s, "iban", valid)


def luhn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(valid=True, prefix="4", sep=" "):
    body = prefix + rand(DIG, 15 - len(prefix))
    for c in DIG:
        if luhn_ok(body + c):
            check = c
            break
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    n = body + check
    s = sep.join(n[i:i + 4] for i in range(0, 16, 4)) if sep is not None else n
    return _reg(s, "card", valid)


def bsn_ok(s):
    d = [int(c) for c in s if c.isdigit()]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def bsn(valid=True, dotted=False):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last != 10:
            break
    if not valid:
        last = (last + rng.randint(1, 9)) % 10
    s = "".join(map(str, d)) + str(last)
    if dotted:
        s = f"{s[:4]}.{s[4:6]}.{s[6:]}"
    return _reg(s, "bsn", valid)


def mobile(style):
    n = rng.choice("123456") + "".join(rng.choice(DIG) for _ in range(7))
    out = {
        "dash": f"06-{n}",
        "pairs": f"06 {n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
        "intl": f"+31 6 {n[:4]} {n[4:]}",
        "intl_compact": f"+316{n}",
        "dash2": f"06-{n[:2]} {n[2:5]} {n[5:]}",
        "0031": f"0031 6 {n}",
        "plain": f"06{n}",
    }[style]
    return _reg(out, "phone", True)


# ---------------------------------------------------------------- credentials

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return _reg(prefix + body + b62(zlib.crc32(body.encode()), 6), "github", True)


def aws_key_id():
    return _reg("AKIA" + rand(UP + "234567", 16), "aws", True)


def aws_secret():
    return _reg(rand(ALNUM + "/+", 40), "aws_secret", True)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload, alg="HS256"):
    h = b64u(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return _reg(f"{h}.{p}.{s}", "jwt", True)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def stripe_key():
    return _reg("sk_live_51" + rand(ALNUM, 96), "stripe", True)


def slack_token():
    return _reg(f"xoxb-{rand(DIG, 12)}-{rand(DIG, 13)}-{rand(ALNUM, 24)}", "slack", True)


def openai_key():
    return _reg("sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74), "openai", True)


def anthropic_key():
    return _reg("sk-ant-api03-" + rand(URLSAFE, 93) + "AA", "anthropic", True)


def gitlab_token():
    return _reg("glpat-" + rand(URLSAFE, 20), "gitlab", True)


def sendgrid_key():
    return _reg("SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43), "sendgrid", True)


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(190))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return _reg(key, "private_key", True)


def password(n=14):
    chars = ALNUM + "!#%&*?@$"
    while True:
        p = rand(chars, n)
        if any(c in DIG for c in p) and any(c in "!#%&*?@$" for c in p):
            return _reg(p, "password", True)


def db_url(scheme, user, host, port, db):
    pw = rand(ALNUM, 10) + rng.choice("!*%") + rand(ALNUM, 5)
    return _reg(f"{scheme}://{user}:{pw}@{host}:{port}/{db}", "db_url", True)


def sample(value, kind):
    return _reg(value, kind, False)


# ---------------------------------------------------------------- evasion helpers

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445",
       "H": "\u041d", "A": "\u0410", "E": "\u0415", "O": "\u041e", "P": "\u0420", "C": "\u0421", "T": "\u0422"}
CYR_BACK = {v: k for k, v in CYR.items()}


def cyr(s, letters="eo"):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


ZW = "\u200b"

# ---------------------------------------------------------------- cases

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def C(cats, platform, handle, text, lang, kind="post", at=None, price=None, name=None):
    CASES.append({"cats": [CAT[c] for c in cats], "platform": platform, "handle": handle,
                  "text": text, "lang": lang, "kind": kind, "at": at, "price": price,
                  "name": name})


PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ===== complaints (customers, public) ==========================================
C(["complaint"], "x", "@marloes_rent",
  "@kinevia_helpt al 3x gebeld voor een vervolgafspraak bij Utrecht-Oost, elke keer 'u wordt teruggebeld'. "
  "Niemand belt. Mijn knie wacht niet hoor 🙄", "nl", kind="reply")
C(["complaint"], "reddit", "u/knee_deep_in_bills",
  "Kinevia billed my insurer for 9 sessions. I went to 6. Asked the front desk twice, got \"we'll look into it\" "
  "both times. Now half my yearly physio coverage is gone for nothing. Anyone else had this with them?", "en")
C(["complaint"], "facebook", "gerda.wolters.73",
  "Wachtkamer 40 min uitgelopen en dan krijg ik een stagiair die m'n dossier niet eens gelezen had. "
  "Voor 42 euro per keer verwacht ik echt meer van Kinevia.", "nl", kind="comment")
C(["complaint"], "x", "@tiredlegs_tom",
  "bought the Kinevia FoamRoller Pro, foam is already cracking after 3 weeks. support says thats 'normal wear'. "
  "lol ok. normal for what, a week?", "en")
C(["complaint"], "instagram", "@jessy.loopt",
  "jullie afspraken-app crasht elke keer bij het betalen, 4e keer nu 😩 fix het aub @kinevia.fysio", "nl",
  kind="comment")
C(["complaint"], "forum", "RunnerRuud",
  "Kinevia cancelled my sports medical the morning of, by text, no reason given. I'd taken the day off for it. "
  "Next available slot? Six weeks out. My club needs the certificate before the season starts so... thanks for nothing.",
  "en")
C(["complaint"], "x", "@hdekker_amf",
  "Physio at Kinevia Amersfoort: 10 minutes of actual treatment, 20 minutes of him typing on a laptop. "
  "Feels like throwing money away tbh #physio", "en")
C(["complaint"], "linkedin", "annelies-kuipers-hr",
  "Honestly disappointed with my Kinevia StrideSole insoles. €169, two 'adjustments' later they still don't fit "
  "properly, and my refund request has been sitting unanswered for a month now.", "en", price=("KV-SOLE", 169.00))
C(["complaint"], "reddit", "u/fietsfanaat_020",
  "Iemand ervaring met geld terugkrijgen van Kinevia? Move-abo opgezegd per 1 maart, ze schrijven nog gwn €49 "
  "per maand af. Mails worden niet beantwoord, telefoon gaat naar een bandje.", "nl", price=("KV-MOVE-M", 49.00))
C(["complaint"], "mastodon", "@wren@mastodon.online",
  "Third physio in as many months at Kinevia. Every single one asks me to explain my whole injury history again "
  "from scratch. Do you people not share notes??", "en")
C(["complaint"], "threads", "@zwolse_sanne",
  "lift kapot bij Kinevia Zwolle en ik mocht met krukken 2 trappen op naar de behandelkamer. niemand die even "
  "hielp 😤 serieus jongens", "nl")

# ===== first-hand safety incidents: crisis + complaint ============================
C(["crisis", "complaint"], "x", "@rugpijn_ramon",
  "Mijn Kinevia PulseRelief T3 gaf gisteravond ineens een flinke schok, op stand 2 nota bene. Rode plek op mijn "
  "onderrug en ik durf dat ding niet meer aan te zetten. @kinevia_helpt wat is dit??", "nl")
C(["crisis", "complaint"], "x", "@chloe_lifts",
  "My Percuss M2 from Kinevia started smoking while it was charging last night. Battery swelled up, the whole "
  "bedroom stank of burnt plastic. This could have burned my flat down.", "en")
C(["crisis", "complaint"], "facebook", "ingrid.vanbeek.denbosch",
  "Na de shockwavebehandeling bij Kinevia Den Bosch loop ik al 5 dagen mank, hele hiel blauw en opgezwollen. "
  "Fysio zei 'hoort erbij'. De huisarts dacht daar heel anders over.", "nl")
C(["crisis", "complaint"], "reddit", "u/coldfeet_hotwrap",
  "Got a blister the size of a 2 euro coin from the Kinevia ThermaWrap. Followed the instructions to the letter, "
  "20 min on the lowest setting. Pics in the comments. This thing should not be on sale.", "en")
C(["crisis", "complaint"], "instagram", "@dewi.traint",
  "tijdens de VO2max test bij @kinevia.fysio schoot de loopband ineens op vol tempo, ik ben er letterlijk "
  "afgelanceerd 😳 pols gekneusd en niemand die de noodstop pakte", "nl", kind="comment")
C(["crisis", "complaint"], "threads", "@mo.plays.futsal",
  "strap on my KneeGuard 2 snapped mid-match and my knee just buckled. the physio at the clinic fitted it himself "
  "two weeks ago. out for another 6 weeks now, thanks Kinevia", "en")

# ===== crisis only ================================================================
C(["crisis"], "x", "@regionieuws_oost",
  "Volgens De Stentor zijn na dry needling bij een Kinevia-vestiging twee sporters met een klaplong in het "
  "ziekenhuis beland. De inspectie doet onderzoek.", "nl")
C(["crisis"], "x", "@fairplay_frank",
  "BOYCOTT Kinevia. They close every clinic in the small towns and keep the ones in the rich postcodes. "
  "Don't give them your money. #BoycottKinevia", "en")
C(["crisis"], "reddit", "u/privacybewust",
  "Lees net dat Kinevia een datalek heeft gehad, patiëntdossiers van duizenden mensen zouden gewoon online "
  "staan. Heeft iemand al een mail van ze gekregen?", "nl")
C(["crisis"], "linkedin", "p-verhoef-advocatuur",
  "We are preparing a class action against Kinevia Fysio & Sport B.V. over treatment plans sold to elderly "
  "patients that were never medically needed. Affected? Send me a message.", "en")
C(["crisis"], "facebook", "trees.hogenkamp",
  "TERUGROEPACTIE?? Buurvrouw zegt dat de PulseRelief van Kinevia uit de schappen wordt gehaald omdat mensen er "
  "schokken van kregen. Weet iemand of dat klopt?", "nl")
C(["crisis"], "x", "@amateurvoetbal_nl",
  "Kinevia's star sports doctor allegedly signed off medical certificates for players he never examined. "
  "Big scandal brewing in the amateur leagues 👀", "en")
C(["crisis"], "tiktok", "@fysiofails",
  "kinevia wordt voor de rechter gesleept door een ex-patiënt wiens achillespees scheurde door hun 'protocol'. "
  "zoek maar op", "nl", kind="comment")
C(["crisis"], "bluesky", "@kasia-w.bsky.social",
  "A friend says a Percuss M2 caught fire in a Kinevia clinic in Breda this afternoon, whole waiting room had to "
  "get out. Hope everyone's okay 😟", "en")
C(["crisis"], "x", "@jw_critical",
  "#KineviaLeak is trending. Even their own people say patient records were left exposed for months. "
  "Disgraceful.", "en")

# ===== abuse ========================================================================
C(["abuse"], "x", "@boze_bert66", "@kinevia_helpt stelletje kutoplichters zijn jullie. Echt.", "nl", kind="reply")
C(["abuse"], "x", "@gymrat_gary",
  "Kinevia physios are clueless idiots who couldn't find a hamstring with a map and a torch", "en")
C(["abuse"], "instagram", "@xlisa_t",
  "that physio of yours in Tilburg is an arrogant prick, hope he loses his job over it", "en", kind="comment")
C(["abuse"], "reddit", "u/nope_not_again",
  "f*ck kinevia and f*ck their smug little receptionists", "en", kind="comment")
C(["abuse"], "x", "@d3_h4ker",
  "k1n3v14 = 3en st3ll3tj3 k4nk3rl1jers, wie gaat daar nou nog heen", "nl")
C(["abuse"], "x", "@sourgrapes_sam",
  f"Kinevia's staff are a bunch of use{ZW}less mo{ZW}rons, every single one of them", "en")
C(["abuse"], "x", "@bramsportarts",
  "weer zo'n zeikerd van een patiënt die na 5 min googlen denkt dat hij het beter weet dan ik. idioot.", "nl")
C(["abuse"], "x", "@stalkerish_steve",
  "I know which Kinevia clinic that physio Femke works at. Maybe I'll wait outside after her shift and tell her "
  "what I think of her 😉", "en")
C(["abuse"], "facebook", "henk.onverbloemd",
  "Bij Kinevia nemen ze tegenwoordig alleen nog hoofddoekjes aan, die verstaan je niet eens. Ga terug naar je "
  "eigen land.", "nl", kind="comment")
C(["abuse"], "mastodon", "@grumbles@social.example",
  "Kinevia is run by absolute clowns. Trash company, trash 'therapists', trash everything.", "en")
C(["abuse", "complaint"], "x", "@pieter_zat_erbij",
  "Kinevia jullie zijn echt een stelletje prutsers. 2 weken wachten op de uitslag van een simpele sportkeuring "
  "en dan is het formulier 'zoekgeraakt'. Klotebedrijf.", "nl")
C(["abuse", "complaint"], "x", "@nat_runs_late",
  "@kinevia_helpt your 'customer care' is a f***ing joke. charged twice for one intake and nobody picks up the "
  "phone", "en", kind="reply")

# ===== personal data ===================================================================
C(["pii"], "x", "@lotte_fysio",
  "Wie mist er een sporttas? Ligt bij de balie in Utrecht. Op het label: Jeroen Smits, Brederodestraat 14, "
  "3531 TK Utrecht. Kom 'm gerust ophalen 😊", "nl")
C(["pii"], "facebook", "KineviaFysioSport",
  f"Beste mevrouw Veldkamp, uw terugbetaling van €126 staat klaar en gaat vandaag naar {iban()} t.n.v. "
  "A. Veldkamp. Excuses voor het lange wachten!", "nl", kind="reply")
C(["pii"], "linkedin", "marieke-hoogland-kinevia",
  "Nieuwe collega! Welkom Sanne de Wit (geb. 12-04-1994), die vanaf maandag ons team in Amersfoort komt "
  "versterken 🎉", "nl")
C(["pii", "complaint"], "x", "@kbosman_77",
  f"@kinevia_helpt bel me aub terug op {mobile('pairs')}, al 3 dagen geen reactie op mijn klacht over die "
  "dubbele factuur", "nl", kind="reply")
C(["pii"], "x", "@kinevia_helpt",
  f"@runner_mo thanks for your patience! Your physio Tom has agreed to help, you can reach him directly on "
  f"{mobile('intl')}.", "en", kind="reply")
C(["pii"], "x", "@joost_it_kv",
  f"test van de nieuwe pinkoppeling met mijn eigen creditcard {card(prefix='4', sep=' ')} exp 11/28 werkt "
  "eindelijk 💪 #friday", "nl")
C(["pii"], "instagram", "@femke.runs.physio",
  "Gefeliciteerd Henk Brouwer (geboren 17 juni 1946), die vandaag na zijn nieuwe heup weer 5 km heeft gewandeld!! "
  "Wat een held 👏", "nl")
C(["pii"], "threads", "@sven.sportarts",
  f"kan iemand van de backoffice checken waarom BSN {bsn()} niet matcht in de verzekeringscheck? patiënt staat al "
  "een uur aan de balie", "nl")
C(["pii", "complaint"], "x", "@ellen_wacht_nog",
  f"@kinevia_helpt ik wacht nog steeds op mijn geld. Rekeningnummer is {iban(grouped=False)}, hoe moeilijk kan "
  "het zijn?!", "nl", kind="reply")
C(["pii", "abuse"], "x", "@wraak_op_fysio",
  "Die fysio van Kinevia, Youssef Benali, woont op de Kanaalweg 88 in Utrecht. Ga daar maar eens aanbellen, "
  "kijken hoe hij het vindt", "nl")
C(["pii"], "x", "@lotte_fysio",
  "Voor de hardloopgroep van zaterdag: aanmelden kan via mijn privémail lotte.vermeulen88@gmail.com, mijn "
  "werkmail doet raar", "nl")
C(["pii"], "instagram", "@kinevia.fysio",
  "🎉 Winner of our FoamRoller Pro giveaway: Eva Martens, Laan van Nieuw Oost-Indië 201, Den Haag. "
  "Your parcel is on its way!", "en")
C(["pii"], "x", "@citycyclist_rdam",
  "Found a wallet outside Kinevia Rotterdam this morning. ID says Pieter Groen, born 02/11/1987. "
  "RT so he gets it back?", "en")
C(["pii"], "linkedin", "youssef-benali-fysio",
  f"Patient list for tomorrow's shockwave clinic, can someone print it: L. Bakker {mobile('dash')}, "
  f"R. Hendriks {mobile('dash2')}, W. Timmer {mobile('plain')}", "en")
C(["pii"], "x", "@kinevia_helpt",
  f"@sportieve_sas we zien je betaling met kaart {card(prefix='5', sep=' ')} niet terug in ons systeem, "
  "kun je even een screenshot sturen?", "nl", kind="reply")
C(["pii", "complaint"], "reddit", "u/confused_checkout",
  f"Kinevia's website won't take my card {card(prefix='4', sep='-')} exp 09/28, tried 5 times now. "
  "What am I doing wrong??", "en")

# ===== confidential ====================================================================
C(["confidential"], "linkedin", "marieke-hoogland-kinevia",
  "Great workshop today on Operatie Zandloper with the board. Can't say more yet, but the future of our clinics "
  "is going to look very different!", "en")
C(["confidential"], "x", "@joost_it_kv",
  "wie weet waarom https://jira.kinevia.nl/browse/EPD-2291 ineens op 'won't fix' staat?? dit is letterlijk de "
  "bug waar de balie elke dag over klaagt", "nl")
C(["confidential"], "instagram", "@kinevia.fysio",
  "Sneak peek 👀 De KneeGuard X komt eraan: lichter, sterker, slimmer. Binnenkort in alle vestigingen!", "nl",
  at="2027-01-10T16:00:00+01:00")
C(["confidential"], "bluesky", "@anneke-kv.bsky.social",
  "beta-testen van de Kinevia Coach app met mijn revalidatiegroepje, ze zijn fan!! 📱", "nl",
  at="2026-11-18T20:14:00+01:00")
C(["confidential"], "mastodon", "@daan@fysio.social",
  "Slide uit de kwartaalpresentatie, rechtsboven 'Kinevia Confidential': NPS per regio, Noord scoort "
  "beroerd. Dat verklaart een hoop.", "nl")
C(["confidential"], "x", "@fysio_fan_01",
  "Vriend van me werkt bij Kinevia en zegt dat Hermelijn hun nieuwe online fysio-platform wordt, lancering "
  "ergens zomer 2027", "nl")
C(["confidential"], "x", "@lotte_fysio",
  fullwidth("project albatros") + " demo vandaag ging strak 😎 #trots", "nl")
C(["confidential"], "threads", "@sven.sportarts",
  cyr("Hermelijn", "e") + " sprint review done ✅ next stop: pilot in 3 clinics", "en")
C(["confidential"], "x", "@noor_balie",
  "o p e r a t i e   z a n d l o p e r gaat gewoon door hoorde ik net bij de koffieautomaat 🙃", "nl")
C(["confidential"], "linkedin", "kinevia-fysio-sport",
  "[uitsluitend voor medewerkers] Nieuwe tariefstructuur per 1 april: intake naar €72, vervolgbehandeling naar "
  "€46. Graag nog niet met patiënten bespreken.", "nl")
C(["confidential"], "linkedin", "youssef-benali-fysio",
  "Wrapping up the Hermelijn pilot results deck tonight. Spoiler: patients love it.", "en")
C(["confidential"], "x", "@noor_balie",
  "iemand de link naar het nieuwe rooster? staat op intranet.kinevia.local/rooster/q3 maar ik krijg een 403", "nl")
C(["confidential"], "x", "@joost_it_kv",
  "grafana.kinevia.local/d/boekingen says 3,812 online bookings today, new record! 🚀", "en")
C(["confidential"], "tiktok", "@kinevia.move",
  "Wie wil als eerste de Kinevia Coach app proberen? 👇 Comment COACH en wie weet ben jij erbij!", "nl",
  at="2026-12-03T18:00:00+01:00")

# ===== financial ==========================================================================
C(["confidential", "financial"], "x", "@deal_watcher",
  "Leaked slide: Kinevia FY2026 results show revenue up 18% to €163m, margin down though. "
  "Official numbers due next month.", "en", at="2027-02-22T08:40:00Z")
C(["confidential", "financial"], "linkedin", "rick-de-graaf-kinevia",
  "Drukke weken met de jaarcijfers 2026. Trots op het team: EBITDA voor het eerst boven de 14 miljoen 📈",
  "nl", at="2027-02-12T21:05:00+01:00")
C(["financial", "confidential"], "x", "@noor_balie",
  "Operatie Zandloper = 11 vestigingen dicht in 2027. Daar gaat mijn baan in Emmen 😞", "nl")
C(["financial"], "linkedin", "rick-de-graaf-kinevia",
  "Q3 closed: revenue €38.2m, 6% under budget. Board meeting tomorrow is going to be interesting.", "en")
C(["financial"], "x", "@lotte_fysio",
  "Net op de afdelingsmeeting gehoord dat er 40 baliefuncties verdwijnen, alles gaat naar een centraal "
  "callcenter. Nog niet officieel dus sst 🤐", "nl")
C(["financial"], "reddit", "u/zwager_weet_alles",
  "Mijn zwager zit bij een private-equityclub en die staan op het punt Kinevia over te nemen, iets van 120 "
  "miljoen. Wordt volgende maand bekendgemaakt.", "nl")
C(["financial"], "x", "@kinevia_nl",
  "Intern: forecast FY2026 bijgesteld naar €151 mln (was €160 mln). Communicatie volgt na de RvC-vergadering.",
  "nl")
C(["financial"], "threads", "@sven.sportarts",
  "our clinic alone lost 400k this year and management says another round of cuts before summer. not public yet "
  "but brace yourselves", "en")
C(["financial"], "bluesky", "@anneke-kv.bsky.social",
  "De gesprekken met Motus Zorggroep over een fusie lopen al maanden. Als dat doorgaat zijn wij de grootste "
  "fysioketen van NL", "nl")
C(["financial"], "x", "@or_watcher",
  "Insider tip: Kinevia will announce a reorganisation in March, around 200 FTE cut. Heard it from someone on "
  "the works council.", "en")
C(["financial"], "linkedin", "marieke-hoogland-kinevia",
  "Privileged to be in the room today as we signed the LOI to acquire SportPoli Brabant 🤝 Announcement soon!",
  "en")
C(["financial"], "x", "@bramsportarts",
  "january revenue 23% below forecast, management in full panic mode lol", "en")
C(["financial"], "instagram", "@femke.runs.physio",
  "Kerstborrel-speech van de CEO: 'volgend jaar geen winstdeling, we draaien dit jaar verlies' 🙃 gezellig hoor",
  "nl")

# ===== security ==============================================================================
C(["security", "confidential"], "x", "@lotte_fysio",
  "vpn.kinevia.nl ligt er alweer uit sinds vanochtend, thuis rapportages schrijven zit er vandaag niet in", "nl")
C(["security"], "x", "@noor_balie",
  "Ransomware op de server van vestiging Nijmegen, alle dossiers versleuteld. We werken weer met pen en papier. "
  "Niks tegen patiënten zeggen, zeggen ze.", "nl")
C(["security"], "linkedin", "youssef-benali-fysio",
  "Found out today our booking site lets you see anyone's appointment just by changing the number in the URL. "
  "Reported it 3 weeks ago, ticket still open 🤦", "en")
C(["security"], "mastodon", "@daan@fysio.social",
  "Phishingmail is bij 30 collega's binnengekomen en minstens 4 hebben hun wachtwoord ingevuld. IT rent zich "
  "rot.", "nl")
C(["security"], "x", "@noor_balie",
  "afsprakensysteem ligt sinds 7u plat bij ALLE vestigingen, patiënten krijgen geen bevestigingsmails. staat nog "
  "nergens op de site", "nl")
C(["security"], "linkedin", "marieke-hoogland-kinevia",
  "Spent the weekend cleaning up after someone got into our Microsoft 365 tenant. Patient emails may have been "
  "read. Comms hasn't decided what to say yet.", "en")
C(["security"], "threads", "@sven.sportarts",
  "someone's been brute forcing the staff portal all night, we've locked 50+ accounts so far. nothing on the "
  "status page yet", "en")
C(["security"], "x", "@joost_it_kv",
  "the wifi passwords for every single clinic are sitting in a public Google Sheet. Have been for a year. "
  "Nobody fixes it.", "en")
C(["security"], "mastodon", "@daan@fysio.social",
  "Backup van de patiëntendatabase is sinds oktober niet meer gelukt en niemand had het door. Als er nu iets "
  "misgaat...", "nl")
C(["security"], "bluesky", "@anneke-kv.bsky.social",
  "fun fact: the Kinevia app API still happily accepts expired tokens. told the devs. shrug.", "en")
C(["security"], "instagram", "@femke.runs.physio",
  "r.a.n.s.o.m.w.a.r.e bij ons in Breda 😬 geen idee wanneer het systeem terug is, succes collega's", "nl")
C(["security"], "x", "@kinevia_nl",
  "Interne update: het patiëntportaal is offline i.v.m. een beveiligingsincident. Niet extern communiceren "
  "tot nader bericht.", "nl")

# ===== secrets ==============================================================================
C(["secret", "security"], "x", "@joost_it_kv",
  f"na het incident van vorige week is de gelekte key nog steeds actief?! {aws_key_id()} / {aws_secret()} "
  "iemand die 'm ff intrekt", "nl")
C(["secret"], "x", "@joost_it_kv",
  f"kan iemand checken of deze token nog werkt voor de CI? {github_token('ghp_')} krijg steeds 401", "nl")
C(["secret"], "mastodon", "@daan@fysio.social",
  "welke held heeft dit in het openbare kanaal geplakt 🙈\n" + ssh_private_key(), "nl")
C(["secret", "confidential"], "linkedin", "youssef-benali-fysio",
  f"DATABASE_URL={db_url('postgres', 'epd_app', 'epd.kinevia.local', 5432, 'epd')}  why won't this connect "
  "from the docker container?", "en")
C(["secret"], "x", "@noor_balie",
  f"nieuwe login personeelsportaal voor de invallers: gebruiker balie.zwolle wachtwoord: {password()} "
  "(niet kwijtraken!)", "nl")
C(["secret"], "bluesky", "@anneke-kv.bsky.social",
  f"anyone know why Stripe keeps rejecting {stripe_key()} on the new webshop checkout?", "en")
C(["secret"], "x", "@joost_it_kv",
  f"bot voor het roosterkanaal draait weer, token {slack_token()} voor wie 'm wil hergebruiken", "nl")
C(["secret"], "threads", "@sven.sportarts",
  f"our chatbot key, forgot to rotate it after the demo lol: {openai_key()}", "en")
C(["secret"], "linkedin", "youssef-benali-fysio",
  "Debugging the app login, this token keeps getting a 401, any ideas? "
  + jwt({"sub": "kv-staff-4471", "role": "therapist", "iat": 1774000000, "exp": 1774003600}), "en")
C(["secret"], "reddit", "u/bugbounty_bas",
  f"lol Kinevia left AWS creds in a public GitHub repo: {aws_key_id()} with secret {aws_secret()}. "
  "Reported it, no answer yet.", "en")
C(["secret"], "x", "@infosec_ingo",
  f"Kinevia's public gitlab snippet still has this in it: {gitlab_token()} 🤦", "en")
C(["secret"], "mastodon", "@daan@fysio.social",
  f"anthropic key voor de triagebot, gebruik maar voor je eigen tests: {anthropic_key()}", "nl")
C(["secret"], "facebook", "KineviaFysioSport",
  f"test post pls ignore SENDGRID_API_KEY={sendgrid_key()}", "en")

# ===== pricing ==============================================================================
C(["pricing"], "x", "@dealjager_dirk",
  "KINEVIA PRIJSFOUT 🚨 Percuss M2 voor €19,90 in de webshop, snel zijn!!", "nl", price=("KV-PM2", 19.90))
C(["pricing"], "instagram", "@kinevia.fysio",
  "Black Friday 🖤 StrideSole inlegzolen op maat nu voor €16,90!", "nl", price=("KV-SOLE", 16.90))
C(["pricing"], "x", "@bramsportarts",
  "lol de webshop zegt dat de PulseRelief T3 €13,90 kost, iemand is een nul vergeten 😂", "nl",
  price=("KV-TENS3", 13.90))
C(["pricing"], "reddit", "u/frugal_physio",
  "Price glitch at Kinevia: the Move Jaarabonnement shows €49.90 for a whole year. Grab it before they notice.",
  "en", price=("KV-MOVE-J", 49.90))
C(["pricing"], "facebook", "KineviaFysioSport",
  "Alleen dit weekend: Sportkeuring Plus voor maar €21,90! Plan je keuring via de site.", "nl",
  price=("KV-SMK-P", 21.90))
C(["pricing"], "linkedin", "youssef-benali-fysio",
  "Someone at HQ typed €8.99 for the KneeGuard 2 on the site. Ordered three, don't tell my manager 🤫", "en",
  price=("KV-KG2", 8.99))
C(["pricing"], "x", "@koopjes_kim",
  "haha Kinevia heeft een prijsfout met de ThermaWrap, staat op €4,95 #prijsfout #koopje", "nl",
  price=("KV-THERMA", 4.95))
C(["pricing"], "x", "@knee_recovery_j",
  "Rehab 12 program listed at €59.90 on kinevia.nl?? Is this real or a glitch", "en", price=("KV-REHAB12", 59.90))
C(["pricing"], "x", "@kinevia_nl",
  "Nieuw in de webshop: FoamRoller Pro voor €3,99 🙌", "nl", price=("KV-FRPRO", 3.99))
C(["pricing"], "x", "@noor_balie",
  "Prijsfout in de kassa: het Shockwave 5-pack wordt afgerekend als €34,90. Al 12 klanten zo geholpen voordat "
  "iemand het zag…", "nl", price=("KV-SHOCK5", 34.90))
C(["pricing"], "x", "@sportmama_ilse",
  "Rugfit 10-rittenkaart for €22.90 at Kinevia?? probably a typo but I ordered one anyway", "en",
  price=("KV-RUG10", 22.90))
C(["pricing"], "threads", "@hyrox_hannah",
  "kinevia app has the VO2max test at €17.90 this morning, booked two slots lol", "en", price=("KV-VO2", 17.90))

# ===== benign (mostly hard negatives) ===========================================================
C([], "instagram", "@kinevia.fysio",
  "SALE 🎉 20% korting op de Percuss M2: nu €159 in plaats van €199. Alleen deze week!", "nl",
  price=("KV-PM2", 159.00))
C([], "facebook", "KineviaFysioSport",
  "FlexBand set nu €19,95 (was €24,95). Ideaal voor je oefeningen thuis 💪", "nl", price=("KV-FLEX", 19.95))
C([], "x", "@runningrosa",
  "Shoutout naar de fysio's van Kinevia Leiden, na 8 weken weer pijnvrij hardlopen 🏃‍♀️❤️", "nl")
C([], "x", "@matt_b_cycles",
  "Kinevia's sports doctor picked up my heart arrhythmia during a routine sports exam. Probably saved my life. "
  "Thank you.", "en")
C([], "x", "@kinevia_helpt",
  "@marloes_rent vervelend om te lezen! Mail je gegevens naar afspraak@kinevia.nl of bel +31 30 555 0188, dan "
  "zoeken we het vandaag nog uit.", "nl", kind="reply")
C([], "facebook", "KineviaFysioSport",
  f"Liever overmaken? Dat kan naar {PUB_IBAN} t.n.v. Kinevia Fysio & Sport B.V. onder vermelding van je "
  "factuurnummer.", "nl")
C([], "x", "@joost_it_kv",
  f"Tip voor devs: zet nooit echte keys in je voorbeelden. AWS heeft er zelfs eentje voor: "
  f"{sample('AKIAIOSFODNN7EXAMPLE', 'aws')} 😉", "nl")
C([], "linkedin", "youssef-benali-fysio",
  f"Config snippet for Saturday's hackathon: GITHUB_TOKEN={sample('ghp_' + 'x' * 36, 'github')} "
  "(use your own, obviously)", "en")
C([], "x", "@vera_pasjes",
  f"Bij de balie vroegen ze mijn ledenpasnummer, {card(valid=False, prefix='6', sep=' ')}, staat dat ding ook "
  "ergens in de app?", "nl")
C([], "linkedin", "kinevia-fysio-sport",
  "Onze jaarcijfers 2026 staan online: een jaar met 6 nieuwe vestigingen en ruim 410.000 behandelingen. "
  "Lees het hele verslag op kinevia.nl 📊", "nl", at="2027-03-04T07:30:00Z")
C([], "instagram", "@kinevia.fysio",
  "Vanaf vandaag verkrijgbaar: de KneeGuard X 🦵 In alle vestigingen en op shop.kinevia.nl", "nl",
  at="2027-01-26T09:15:00Z")
C([], "x", "@nat_runs_late",
  "Update: Kinevia called me back within an hour and sorted the double charge. Fair play, that's decent service.",
  "en")
C([], "facebook", "marja.teunissen",
  "Sterkte aan alle fysio's van Kinevia Apeldoorn na het overlijden van jullie collega. Mooie herdenking vandaag.",
  "nl", kind="comment")
C([], "x", "@tandarts_watch",
  "Another data breach at a dental chain in Belgium. Meanwhile my physio (Kinevia) still makes me sign paper "
  "forms lol", "en")
C([], "reddit", "u/groningse_gijs",
  "Weet iemand of Kinevia ook dry needling doet in Groningen? En wordt dat vergoed vanuit de aanvullende "
  "verzekering?", "nl")
C([], "x", "@kinevia_nl",
  "Let op: wij vragen NOOIT via sms of WhatsApp om je BSN of bankgegevens. Twijfel je? Bel 0800-5463842.", "nl")
C([], "x", "@lotte_fysio",
  "Mijn dag: 14 patiënten, 2 koffie, 1 kapotte foamroller (van mezelf, niet van een patiënt 😅)", "nl")
C([], "x", "@stretchy_sue",
  "'just stretch it out' should be illegal as medical advice. anyway, booked at Kinevia for Thursday.", "en")
C([], "instagram", "@kuitenkoning",
  "Die massagegun van Kinevia is echt bizar goed, mijn kuiten zijn herboren 🔥", "nl", kind="comment")
C([], "x", "@kinevia_nl",
  "Sportkeuring Basis: €119, inclusief ECG en uitgebreid rapport. Plan 'm vóór het nieuwe seizoen!", "nl",
  price=("KV-SMK-B", 119.00))
C([], "reddit", "u/lowback_larry",
  "PulseRelief tip from my Kinevia physio: start on the lowest setting and go up slowly. Works wonders for my "
  "back.", "en", kind="comment")
C([], "linkedin", "sophie-lammers-sportarts",
  "Proud to share that I've joined Kinevia Sportmedisch Centrum as a sports physician in Eindhoven!", "en")
C([], "x", "@kinevia_helpt",
  "@jdriessen_ je betaling met de kaart eindigend op 4417 is binnen, tot dinsdag!", "nl", kind="reply")
C([], "instagram", "@bootcamp_babs",
  "killer workout at the Kinevia bootcamp today, my legs are DEAD 💀🔥", "en")
C([], "x", "@voetbalvader",
  "Die fysio van Kinevia is echt een beest, mijn zoon kon amper lopen en nu staat ie weer op het veld 💚", "nl")
C([], "x", "@deventer_dirk",
  "That other physio chain just cut 60 jobs, really hope Kinevia here in Deventer stays open 🤞", "en")
C([], "linkedin", "kinevia-fysio-sport",
  "We zoeken een Security Officer 🔐 Help jij ons patiëntgegevens veilig te houden? Reageer via "
  "werkenbij@kinevia.nl", "nl")
C([], "x", "@curious_claire",
  f"why does the Kinevia intake form want my BSN? typed {bsn(valid=False)} just to see and it said invalid lol",
  "en")
C([], "linkedin", "youssef-benali-fysio",
  "Slides from my API security talk: always log headers like 'Authorization: Bearer eyJhbGciOi…<redacted>', "
  "never the full token.", "en")
C([], "x", "@enkel_verzwikt",
  "Rolled my ankle AGAIN 🙃 but with the Kinevia AnkleLock I still finished the match", "en")
C([], "x", "@bianca_sport",
  "Pfff fysio vandaag was echt zwaar, ik HAAT squats 😩😂 maar ja, moet van Kinevia", "nl")
C([], "linkedin", "kinevia-fysio-sport",
  "Our autumn newsletter is out: two new clinics, new team members and a winter running guide.", "en")
C([], "reddit", "u/first_time_shock",
  "Is it normal that shockwave therapy hurts like hell for two minutes? First session at Kinevia tomorrow, "
  "kinda scared lol", "en")
C([], "x", "@gadget_gijs",
  "Just paid €159 for the Percuss M2 in the Kinevia sale, worth every cent.", "en", price=("KV-PM2", 159.00))
C([], "x", "@kinevia_nl",
  "StrideSole inlegzolen op maat nu €118,30 (30% korting) t/m zondag 👟", "nl", price=("KV-SOLE", 118.30))
C([], "instagram", "@femke.runs.physio",
  "Vandaag 10 jaar bij Kinevia 🎉 Dank aan alle collega's en natuurlijk alle patiënten!", "nl")
C([], "x", "@netjes_nelleke",
  f"Terugbetaling binnen op {iban(valid=False)}, netjes geregeld Kinevia 👍", "nl")
C([], "reddit", "u/cardnerd",
  f"Kinevia gift card came with the code {card(valid=False, prefix='4', sep=' ')} printed on it, had to check "
  "it wasn't a real card number lol (it isn't, fails Luhn)", "en")
C([], "x", "@reformed_skipper",
  "Used to hate going to physio. Kinevia kind of changed that. Weird flex but ok.", "en")
C([], "linkedin", "zorgmarkt-analyse",
  "Interesting read on how physio chains in NL keep consolidating through mergers. Kinevia is named as one of "
  "the larger independent players.", "en")
C([], "x", "@trein_tineke",
  "Storing bij de NS wéér, kom te laat voor mijn afspraak bij Kinevia 🙄 hopelijk mag ik iets later komen", "nl")
C([], "reddit", "u/budget_hurdler",
  "Is the Kinevia Move abo worth €49 a month? Thinking about signing up for the group sessions.", "en",
  price=("KV-MOVE-M", 49.00))
C([], "instagram", "@femke.runs.physio",
  "Workshop kinesiotapen vandaag! ProTape rollen liggen voor €34,95 bij de balie voor wie thuis wil oefenen",
  "nl", price=("KV-TAPE6", 34.95))
C([], "x", "@kinevia_nl",
  "Reminder: our clinics are closed on King's Day. Urgent? Call +31 30 555 0188 👑", "en")
C([], "facebook", "KineviaFysioSport",
  "Deel je wachtwoord nooit, ook niet met ons. Verdachte mail gezien die van ons lijkt te komen? Stuur 'm door "
  "naar privacy@kinevia.nl", "nl")
C([], "x", "@bramsportarts",
  "Passed my sports medicine exams!! Official results in 6 weeks but I already know 🤞", "en")
C([], "x", "@zwolse_sanne",
  "Kinevia Zwolle is verbouwd en de lift doet het weer, ziet er echt top uit nu 👌", "nl")
C([], "bluesky", "@breda-buurt.bsky.social",
  "So sorry to hear about the fire at the bakery next to Kinevia Breda, hope the clinic staff and everyone "
  "there are ok", "en")
C([], "x", "@prijsbewust_piet",
  "Kan iemand uitleggen waarom een VO2max test €179 kost? Niet boos hoor, gewoon benieuwd wat er allemaal bij "
  "zit", "nl", price=("KV-VO2", 179.00))
C([], "mastodon", "@daan@fysio.social",
  "Blogpost over onze migratie naar Kubernetes staat online, met voorbeeldconfig (alle keys vervangen door "
  "<REDACTED>)", "nl")
C([], "x", "@average_andy",
  "Kinevia vs my old local physio: both fine, Kinevia has better opening hours. That's it, that's the review.",
  "en")
C([], "youtube", "@KineviaTV",
  "Nieuwe video: 3 oefeningen tegen een stijve nek 🎥 Doe mee en laat in de comments weten hoe het ging!", "nl")
C([], "x", "@jwt_jonas",
  "jwt.io example for the workshop, decode it yourself: "
  + sample("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ijox"
           "NTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "jwt"), "en")
C([], "x", "@itb_ines",
  "My Kinevia physio says my IT band is 'angry'. Same, IT band. Same.", "en")
C([], "linkedin", "kinevia-fysio-sport",
  "Our FY2026 results are published: read the full annual report on kinevia.nl.", "en",
  at="2027-03-05T10:00:00+01:00")
C([], "x", "@appie_revalideert",
  "Kinevia Coach app eindelijk uit en ik gebruik 'm al een week voor mijn knie-oefeningen. Fijne app!", "nl",
  at="2027-02-02T19:20:00+01:00")
C([], "x", "@noor_balie",
  "Vragen over je afspraak? Mail afspraak@kinevia.nl, ik lees niet alles via DM 🙏", "nl")
C([], "x", "@kinevia_helpt",
  "@tiredlegs_tom sorry to hear that! A replacement FoamRoller Pro is on its way, no need to send the old one back.",
  "en", kind="reply")
C([], "x", "@hardloopclub_hazen",
  "Sportkeuring Basis bij Kinevia voor onze leden deze maand €99 i.p.v. €119, via de clubcode. Top geregeld!",
  "nl", price=("KV-SMK-B", 99.00))
C([], "reddit", "u/ortho_curious",
  f"Does anyone know if this IBAN from an old Kinevia invoice is theirs? {iban(valid=False, bank='RABO')}? "
  "My banking app says the number is invalid, so probably a typo on my end.", "en")


# ---------------------------------------------------------------- assemble

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}
LEVELS = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CHECKED_KINDS = {"iban", "card", "bsn"}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def checked_ids_in(text):
    return [v for v, (k, real) in REG.items() if k in CHECKED_KINDS and real and v in text]


def severity(cats, role, has_checked_id):
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lv = 3
                if c in ("leak.secret", "leak.pricing"):
                    lv = 4
                if c == "leak.pii" and has_checked_id:
                    lv = 4
            else:
                lv = 2
        elif c == "reputation.complaint":
            lv = 2
        elif c == "reputation.crisis":
            lv = 3
        elif c == "reputation.abuse":
            lv = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, lv)
    return LEVELS[lvl]


TZS = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=2))]


def random_2026():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    dt = start + timedelta(seconds=rng.randint(0, 364 * 86400 + 86399))
    tz = rng.choice(TZS)
    s = dt.astimezone(tz).isoformat(timespec="seconds")
    return s.replace("+00:00", "Z")


def build():
    ids = rng.sample(range(1_000_000, 9_999_999), len(CASES))
    prefix = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "tiktok": "tt", "youtube": "yt",
              "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th", "forum": "fo"}
    out = []
    for case, num in zip(CASES, ids):
        role = role_of(case["platform"], case["handle"])
        cats = sorted(set(case["cats"]))
        post = {
            "id": f"{prefix[case['platform']]}-292{num}",
            "platform": case["platform"],
            "kind": case["kind"],
            "account": {"handle": case["handle"]},
            "text": case["text"],
            "lang": case["lang"],
            "created_at": case["at"] or random_2026(),
            "brand": "Kinevia",
        }
        sev = severity(cats, role, bool(checked_ids_in(case["text"])))
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})
    return out


# ---------------------------------------------------------------- checks

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def squash(s):
    s = unicodedata.normalize("NFKC", s)
    s = "".join(CYR_BACK.get(c, c) for c in s)
    s = s.replace(ZW, "").lower()
    s = s.translate(str.maketrans("013457", "oieast"))
    return re.sub(r"[^a-z0-9]", "", s)


def squash_plain(s):
    s = unicodedata.normalize("NFKC", s)
    s = "".join(CYR_BACK.get(c, c) for c in s)
    return re.sub(r"[^a-z0-9]", "", s.replace(ZW, "").lower())


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(cases):
    errors = []

    def err(i, msg):
        errors.append(f"case {i} ({cases[i]['post']['id']}): {msg}")

    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errors.append(f"profile IBAN {ib} fails mod-97")
    prods = {p["sku"]: p for p in PROFILE["products"]}
    if not 15 <= len(prods) <= 25:
        errors.append("profile needs 15-25 products")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("alert_below_ratio must be 0.5")
    if len(CORP) < 6 or len(EMP) < 8:
        errors.append("profile needs 6+ corporate and 8+ employee accounts")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errors.append("embargo until must be in 2027")
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    pub_ids = [PUB_IBAN.replace(" ", "")] + PROFILE["public_identifiers"]["emails"]

    # registry: every real identifier/credential passes, every look-alike fails
    for v, (kind, real) in REG.items():
        if kind == "iban":
            ok = iban_ok(v)
        elif kind == "card":
            ok = luhn_ok(v) and len(re.sub(r"\D", "", v)) == 16
        elif kind == "bsn":
            ok = bsn_ok(v)
        elif kind == "github":
            ok = gh_ok(v)
        elif kind == "aws":
            ok = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", v)) and "EXAMPLE" not in v
        elif kind == "jwt":
            ok = jwt_ok(v) and v != ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gR"
                                     "G9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
            if not real and not jwt_ok(v):
                errors.append(f"sample JWT should still be structurally a JWT: {v}")
        else:
            ok = True
        if ok != real:
            errors.append(f"registry {kind} {v[:30]!r}: real={real} but check={ok}")

    seen_ids = set()
    iban_re = re.compile(r"\bNL\d{2}(?: ?[A-Z0-9]{4}){3}(?: ?[A-Z0-9]{2})\b")
    cardlike_re = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
    bsnlike_re = re.compile(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d])")

    for i, c in enumerate(cases):
        p, e = c["post"], c["expect"]
        if set(c) != {"post", "expect"}:
            err(i, "top-level keys")
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err(i, "bad id")
        if p["id"] in seen_ids:
            err(i, "duplicate id")
        seen_ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(i, "bad platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "bad kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
                or not p["account"]["handle"]:
            err(i, "bad account.handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            err(i, "bad text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            err(i, "bad created_at")
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027) or (ts.year == 2027 and ts.month > 3):
            err(i, "created_at outside 2026 / early 2027")
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY \
                or "reputation.spike" in cats:
            err(i, "bad categories")
        if e.get("severity") not in LEVELS:
            err(i, "bad severity")
        role = role_of(p["platform"], p["account"]["handle"])
        want = severity(cats, role, bool(checked_ids_in(p["text"])))
        if e["severity"] != want:
            err(i, f"severity {e['severity']} != policy {want}")
        if not cats and e["severity"] != "none":
            err(i, "benign must be none")
        if cats and e["severity"] in ("none", "info"):
            err(i, "positive with severity below warning")

        text = p["text"]
        positive = bool(cats)
        # registered identifiers / credentials present in the text
        for v, (kind, real) in REG.items():
            if v in text:
                if positive and not real:
                    err(i, f"positive contains look-alike/sample {kind}")
                if not positive and real:
                    err(i, f"benign contains real {kind}")
        # independent scan for IBAN / card / BSN shaped numbers
        for m in iban_re.finditer(text):
            raw = m.group(0).replace(" ", "")
            if raw == PUB_IBAN:
                continue
            if positive and "leak.pii" in cats and not iban_ok(raw):
                err(i, f"positive IBAN {raw} fails mod-97")
            if not positive and iban_ok(raw):
                err(i, f"benign IBAN {raw} passes mod-97")
            if positive and "leak.pii" not in cats and iban_ok(raw):
                err(i, "valid IBAN in a post not labelled pii")
        for m in cardlike_re.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                if not positive:
                    err(i, f"benign card-like {digits} passes Luhn")
                elif "leak.pii" not in cats and "leak.secret" not in cats:
                    err(i, f"Luhn-valid number in a post not labelled pii: {digits}")
        for m in bsnlike_re.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if bsn_ok(digits) and not positive:
                err(i, f"benign BSN-like {digits} passes 11-proof")
        if "leak.pii" in cats:
            has_any = any(v in text for v, (k, real) in REG.items() if k in CHECKED_KINDS | {"phone"} and real)
            has_other = bool(re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text)) or bool(
                re.search(r"(geb\.|geboren|born)", text)) or bool(re.search(r"(straat|weg|laan|plein|gracht|kade|singel|dijk|Indië) \d+", text, re.I))
            if not (has_any or has_other):
                err(i, "pii label without an identifier")
        for em in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
            if em not in pub_ids and not positive:
                err(i, f"benign contains non-public e-mail {em}")

        # secrets
        if "leak.secret" in cats:
            if not any(v in text and real for v, (k, real) in REG.items()
                       if k not in CHECKED_KINDS | {"phone"}):
                err(i, "secret label without a generated credential")
        # internal names / markers / embargo
        sq = squash(text)
        sqp = squash_plain(text)
        internal = PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]
        hits = [t for t in internal if squash_plain(t) in sqp or squash_plain(t) in sq]
        if hits and "leak.confidential" not in cats:
            err(i, f"internal name {hits} without confidential label")
        emb_hits = []
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for t in emb["terms"]:
                if squash_plain(t) in sqp:
                    emb_hits.append((t, ts < until))
        if any(before for _, before in emb_hits) and "leak.confidential" not in cats:
            err(i, f"embargo term before until without confidential: {emb_hits}")
        if not positive and any(before for _, before in emb_hits):
            err(i, "benign post with embargo term before until")
        if "leak.confidential" in cats and not hits and not any(b for _, b in emb_hits):
            err(i, "confidential label without internal name, marker, domain or live embargo term")

        # pricing
        src = CASES[i]
        if src["price"]:
            sku, price = src["price"]
            prod = prods[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(n.lower() in text.lower() for n in names):
                err(i, f"price case does not name product {sku}")
            shown = f"{price:.2f}"
            if shown not in text and shown.replace(".", ",") not in text and f"{price:g}" not in text:
                err(i, f"price {price} not in text")
            below = price < ratio * prod["list_price"]
            if below != ("leak.pricing" in cats):
                err(i, f"price ratio {price / prod['list_price']:.2f} disagrees with pricing label")
        elif "leak.pricing" in cats:
            err(i, "pricing label without price annotation")

        # author roles
        if role == "public":
            key = f"{p['platform']}:{p['account']['handle']}".lower()
            if key in CORP or key in EMP:
                err(i, "public handle collides with profile")

    # distribution
    n = len(cases)
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    per = Counter(cat for c in cases for cat in c["expect"]["categories"])
    want_ranges = {"reputation.complaint": (17, 24), "leak.confidential": (15, 22), "leak.pii": (13, 18),
                   "reputation.crisis": (13, 18), "leak.security": (11, 15), "leak.secret": (10, 15),
                   "reputation.abuse": (10, 15), "leak.pricing": (10, 15), "leak.financial": (10, 15)}
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"{benign} benign, want about 60")
    for cat, (lo, hi) in want_ranges.items():
        if not lo <= per[cat] <= hi:
            errors.append(f"{cat}: {per[cat]} not in {lo}-{hi}")
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append(f"Dutch share {nl / n:.2f}")
    # no repeated sentence frames: texts must be pairwise distinct in their first 25 characters
    heads = Counter(c["post"]["text"][:25].lower() for c in cases)
    for h, k in heads.items():
        if k > 1:
            errors.append(f"repeated opening {h!r} x{k}")
    return errors, n, benign, per, nl


def main():
    cases = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        written = [json.loads(line) for line in fh]
    errors, n, benign, per, nl = check(written)
    roles = Counter(role_of(c["post"]["platform"], c["post"]["account"]["handle"]) for c in written)
    print(f"{n} cases, {benign} benign, {n - benign} positive, Dutch {nl}/{n}")
    print("roles:", dict(roles))
    for cat, k in sorted(per.items()):
        print(f"  {cat:22s} {k}")
    print("severity:", dict(Counter(c["expect"]["severity"] for c in written)))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
