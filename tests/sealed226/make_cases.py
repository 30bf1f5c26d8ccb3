#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed226 (Veldhaven Vervoer, bus & tram).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to
this file and self-checks it against CONTRACT sections 3, 4 and 6.
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
from datetime import datetime, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 226

# ----------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


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


def bsn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        h = parts[0] + "=" * (-len(parts[0]) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


# ----------------------------------------------------------------- generators
class Gen:
    def __init__(self, rng):
        self.r = rng

    def chars(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def ghp(self, prefix="ghp"):
        body = self.chars(string.digits + string.ascii_letters, 30)
        return f"{prefix}_{body}{b62(zlib.crc32(body.encode()))}"

    def aws_id(self):
        return "AKIA" + self.chars(string.ascii_uppercase + "234567", 16)

    def aws_secret(self):
        return self.chars(string.ascii_letters + string.digits + "/+", 40)

    def stripe(self):
        return "sk_live_51" + self.chars(string.ascii_letters + string.digits, 96)

    def slack(self):
        return "xoxb-%s-%s-%s" % (self.chars(string.digits, 11), self.chars(string.digits, 13),
                                  self.chars(string.ascii_letters + string.digits, 24))

    def openai(self):
        a = string.ascii_letters + string.digits
        return "sk-proj-" + self.chars(a + "_-", 74) + "T3BlbkFJ" + self.chars(a + "_-", 74)

    def anthropic(self):
        return "sk-ant-api03-" + self.chars(string.ascii_letters + string.digits + "_-", 93) + "AA"

    def google(self):
        return "AIza" + self.chars(string.ascii_letters + string.digits + "_-", 35)

    def glpat(self):
        return "glpat-" + self.chars(string.ascii_letters + string.digits + "_-", 20)

    def password(self, n=14):
        return self.chars(string.ascii_letters + string.digits + "!#%*", n)

    def jwt(self, sub):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps({"sub": sub, "iss": "auth.veldhaven-vervoer.nl",
                               "iat": 1780300000, "exp": 1780303600},
                              separators=(",", ":")).encode())
        return f"{head}.{body}.{enc(self.r.randbytes(32))}"

    def pem(self):
        raw = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + self.r.randbytes(228)
        b = base64.b64encode(raw).decode()
        lines = [b[i:i + 64] for i in range(0, len(b), 64)]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"

    def iban(self, bank, spaced=False):
        acct = self.chars(string.digits, 10)
        n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
        s = "NL%02d%s%s" % (98 - n % 97, bank, acct)
        assert iban_ok(s)
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s

    def iban_bad(self, bank, spaced=False):
        good = self.iban(bank).replace(" ", "")
        chk = (int(good[2:4]) + 1 + self.r.randrange(90)) % 97
        s = "NL%02d%s" % (chk if chk > 1 else chk + 2, good[4:])
        if iban_ok(s):
            s = "NL%02d%s" % ((int(s[2:4]) + 3) % 97, good[4:])
        assert not iban_ok(s)
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s

    def card(self, first="4", sep=" "):
        body = first + self.chars(string.digits, 14)
        for c in string.digits:
            if luhn_ok(body + c):
                num = body + c
                break
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))

    def card_bad(self, first="4", sep=" "):
        num = self.card(first, "")
        num = num[:-1] + str((int(num[-1]) + 1 + self.r.randrange(8)) % 10)
        assert not luhn_ok(num)
        return sep.join(num[i:i + 4] for i in range(0, 16, 4))

    def bsn(self):
        while True:
            d = [self.r.randrange(1, 10)] + [self.r.randrange(10) for _ in range(7)]
            c = sum(d[i] * (9 - i) for i in range(8)) % 11
            if c < 10:
                s = "".join(map(str, d + [c]))
                assert bsn_ok(s)
                return s

    def bsn_bad(self):
        s = self.bsn()
        s = s[:-1] + str((int(s[-1]) + 1 + self.r.randrange(8)) % 10)
        assert not bsn_ok(s)
        return s


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# ----------------------------------------------------------------- profile
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in [a.lower() for a in PROFILE["accounts"][role]]:
            return role
    return "public"


PUBLIC_IBANS = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
LIST_PRICE = {}
for p in PROFILE["products"]:
    for n in [p["name"]] + p["aliases"]:
        LIST_PRICE[n.lower()] = float(p["list_price"])
EMBARGO = [(t, datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint",
    "abuse": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]

# ----------------------------------------------------------------- extraction
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
RX_IBAN = re.compile(r"\bNL ?\d{2} ?[A-Z]{4}(?: ?\d){10}\b")
RX_CARD = re.compile(r"(?<![\w+])([2-6](?:[ -]?\d){12,18})(?!\w)")
RX_BSN = re.compile(r"(?<![\w+.,-])(\d{9}|\d{3}\.\d{3}\.\d{3}|\d{4}\.\d{2}\.\d{3})(?![\w]|[.,]\d)")


def norm(text):
    return ZW.sub("", unicodedata.normalize("NFKC", text))


def identifiers(text):
    t = norm(text)
    out = []
    for m in RX_IBAN.finditer(t):
        v = re.sub(r"\s", "", m.group(0))
        out.append(("iban", v, iban_ok(v), v in PUBLIC_IBANS))
    for m in RX_CARD.finditer(t):
        v = re.sub(r"\D", "", m.group(1))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v), False))
    for m in RX_BSN.finditer(t):
        v = re.sub(r"\D", "", m.group(1))
        out.append(("bsn", v, bsn_ok(v), False))
    return out


def valid_checksum_id(text):
    return any(ok and not pub for _, _, ok, pub in identifiers(text))


def severity(cats, role):
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lvl = 3
                if c in ("leak.secret", "leak.pricing"):
                    lvl = 4
                if c == "leak.pii" and valid_checksum_id(TEXT_FOR_SEV[0]):
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if insider else 2
        else:
            raise ValueError(c)
        best = max(best, lvl)
    return SEV[best]


TEXT_FOR_SEV = [""]

# ----------------------------------------------------------------- the cases


def build():
    rng = random.Random(SEED)
    g = Gen(rng)
    S = {
        # secrets
        "ghp1": g.ghp("ghp"), "ghs1": g.ghp("ghs"),
        "aws1": g.aws_id(), "awssec1": g.aws_secret(),
        "stripe1": g.stripe(), "slack1": g.slack(), "openai1": g.openai(),
        "anth1": g.anthropic(), "gkey1": g.google(), "glpat1": g.glpat(),
        "jwt1": g.jwt("cust-883104"), "pem1": g.pem(),
        "pw1": g.password(13), "pwdb": g.password(16),
        # valid identifiers
        "iban1": g.iban("INGB", spaced=True), "iban2": g.iban("ABNA"),
        "iban3": g.iban("RABO", spaced=True), "iban4": g.iban("TRIO"),
        "card1": g.card("4"), "card2": g.card("5", "-"), "card3": g.card("4", ""),
        "bsn1": g.bsn(), "bsn3": g.bsn(), "bsn4": g.bsn(),
        # look-alikes that fail their checksum
        "iban_bad1": g.iban_bad("ABNA", spaced=True), "iban_bad2": g.iban_bad("INGB"),
        "iban_bad3": g.iban_bad("SNSB", spaced=True),
        "card_bad1": g.card_bad("4"), "card_bad2": g.card_bad("5", ""),
        "bsn_bad1": g.bsn_bad(), "bsn_bad2": g.bsn_bad(), "bsn_bad3": g.bsn_bad(),
        "public_iban": "NL82 RABO 0318 4275 60",
    }
    b2 = g.bsn()
    S["bsn2_fw"] = fullwidth(b2)
    S["bsn3_dots"] = S["bsn3"][:3] + "." + S["bsn3"][3:6] + "." + S["bsn3"][6:]

    cases = []

    def c(role, author, lang, cats, text, kind="post", date=None, price=None, brand=None):
        platform, handle = author.split(":", 1)
        text = re.sub("«(\\w+)»", lambda m: S[m.group(1)], text)
        cases.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                          cats=cats, text=text, kind=kind, date=date, price=price, brand=brand))

    # ============================================================ complaints
    c("P", "x:@pendelaar_anouk", "nl", ["complaint"],
      "@veldhaven_webcare lijn 42 wéér 25 min te laat en nu mis ik mn trein op Centraal. 3e keer deze week 🙄 #veldhaven",
      kind="reply")
    c("P", "facebook:Marja Scholten", "nl", ["complaint"],
      "Vanochtend om 7:10 stond ik met twee kinderen bij halte Polderweg en de bus van Veldhaven reed gewoon door. "
      "Chauffeur keek ons nog aan ook. Kinderen te laat op school, ik te laat op mijn werk. Hoe dan??")
    c("P", "x:@student_milan", "nl", ["complaint"],
      "tram 4 zo vol dat de deuren niet eens dicht konden, 2 trams laten gaan en alsnog te laat voor mn tentamen. "
      "Betaal €59 per maand voor Student Flex hiervoor?? 🤡", price=("Student Flex", 59.0))
    c("P", "x:@kees1974", "nl", ["complaint"],
      "Mijn VeldPas is 2x afgeschreven voor 1 rit. Twee keer €4,20. Klantenservice zegt 'duurt 10 werkdagen'. Lekker dan Veldhaven.",
      price=("VeldPas", 4.20))
    c("P", "instagram:@jolien_op_reis", "nl", ["complaint"],
      "Geen verwarming in tram 7 en het is -4 buiten 🥶 zat met handschoenen en muts te bibberen, dit is al de hele week zo @veldhaven.vervoer",
      kind="comment", date="2026-01-14T07:52:11Z")
    c("P", "x:@oma_truus", "nl", ["complaint"],
      "Chauffeur van lijn 61 wachtte niet tot ik met mijn rollator zat en trok meteen op. Ik kon me nog net vastgrijpen. "
      "Onbeschoft hoor, ik ben 81. @veldhaven_ov")
    c("P", "x:@daanvh", "nl", ["complaint"],
      "app van veldhaven: 'bus komt over 2 min'. 2 min later: 'rit vervallen'. elke. ochtend. 😤")
    c("P", "reddit:u/veldhaven_local", "nl", ["complaint"],
      "Is het bij jullie ook zo dat de nachtbus op vrijdag gewoon niet komt? Stond gisteren 45 minuten bij Hoge Zand, "
      "geen melding in de app, niks. Taxi naar huis was €38. Belachelijk gewoon van Veldhaven.")
    c("P", "x:@femke_db", "nl", ["complaint", "pii"],
      "@veldhaven_webcare al 2 weken geen reactie op mijn terugbetaalverzoek!! Bel me gewoon terug op 06-41782953, ik ben er klaar mee",
      kind="reply")
    c("P", "facebook:Ahmet Yildiz", "nl", ["complaint"],
      "Mijn zoon van 14 moest uit de bus stappen omdat zijn scholierenkaart 'niet werkte'. In het donker, 6 km van huis. "
      "Dit kan toch niet Veldhaven? Ik wil een verklaring.", date="2026-11-19T18:40:00Z")
    c("P", "x:@travelwithpriya", "en", ["complaint"],
      "Bought a Luchthaven Shuttle ticket for €14, the shuttle never showed up and I nearly missed my flight. @veldhaven_webcare how do I get my money back?",
      price=("Luchthaven Shuttle", 14.0))
    c("P", "x:@mark_from_leeds", "en", ["complaint"],
      "Veldhaven trams: lovely when they actually run. Waited 35 mins at Centraal tonight while the board just kept saying 'delayed'. Not great.")
    c("P", "reddit:u/expat_in_veldhaven", "en", ["complaint"],
      "PSA for anyone new here: the ticket machines at Oosterdijk are card-only AND have been broken for over a week. "
      "Had to walk 2 km to buy a day pass somewhere else. Customer service just says 'we are aware'. Cool cool cool.")
    c("P", "threads:@sam.rides", "en", ["complaint"],
      "driver on the 38 was yelling at passengers the whole ride and kept slamming the brakes for no reason. not ok veldhaven")
    c("P", "bluesky:@jonas-k.bsky.social", "en", ["complaint"],
      "Veldhaven charged me a full-day fare AGAIN because the back-door reader didn't register my check-out. Third time this month. Fix your readers pls.")
    c("P", "mastodon:@ritaontheroad@mstdn.social", "en", ["complaint"],
      "Tried to take my folding bike on tram 2 with a valid bike ticket and the driver refused to let me on. "
      "Your own website says it's allowed. Which is it, @veldhaven@ov.social?")
    c("P", "x:@woedende_wim", "nl", ["complaint", "abuse"],
      "kutbedrijf. wéér geen bus. wéér niemand die de telefoon opneemt. Veldhaven = stelletje amateurs 🤬🤬")
    c("P", "x:@grace_h", "en", ["complaint", "pii"],
      "@veldhaven_webcare still waiting on the refund for my week pass, you have my email grace.holloway84@gmail.com and nobody has written back in 3 weeks",
      kind="reply")
    c("P", "instagram:@bas.werkt.hier", "en", ["complaint"],
      "Lines 20 and 22 both cancelled this morning with zero notice. Half my office was late. Communication from @veldhaven.vervoer was non-existent.",
      kind="comment")

    # ============================================================ confidential
    c("E", "linkedin:yvonne-brink-veldhaven", "nl", ["conf"],
      "Super trots op het team! Na maanden hard werken aan Project Zilverreiger gaan we volgend voorjaar eindelijk... "
      "oeps, daar mag ik nog niks over zeggen 🤫 #teamwork #ov")
    c("E", "x:@sietse_planning", "nl", ["conf"],
      "concept dienstregeling 2027 staat al op planning.int.veldhaven-vervoer.nl/concept-2027 — lijn 61 en 63 worden samengevoegd. nog niet officieel hè")
    c("E", "instagram:@tram.joost", "nl", ["conf"],
      "Vannacht de eerste proefrit gemaakt met de Kolibrie 🚋✨ wat een beest, zo stil! #nietdoorvertellen #trambestuurder")
    c("C", "x:@veldhaven_ov", "nl", ["conf"],
      "VHV-CONFIDENTIAL: conceptbericht tariefwijziging 1 januari, niet publiceren voor akkoord directie. Tekst volgt van Comms.")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["conf"],
      "Shipping the new deploy pipeline for the journey planner today 🚀 if you're on the team, the runbook is at "
      "https://intranet.veldhaven.local/wiki/deploy-rp (VPN only)")
    c("E", "x:@marloes_rijdt", "nl", ["conf"],
      "Collega's vertelden net in de kantine dat Tramlijn 9 naar Oosterdijk echt doorgetrokken wordt!! Top nieuws voor de wijk 🥳",
      date="2026-11-12T13:05:44Z")
    c("P", "facebook:Buurtvereniging Oosterdijk", "nl", ["conf"],
      "Via via gehoord: de tramverlenging Oosterdijk gaat er echt komen! De officiële aankondiging van Veldhaven volgt nog, dus even geduld.",
      date="2027-01-18T19:21:00Z")
    c("C", "linkedin:veldhaven-vervoer", "en", ["conf"],
      "Internal only – do not share: draft org chart for the new Traffic Control Centre attached. Feedback to HR by Friday please.")
    c("E", "x:@ellen_ict_vhv", "en", ["conf"],
      "setting up my new laptop, is the vpn still vpn.veldhaven-vervoer.nl or did we move to the new gateway?")
    c("E", "x:@sietse_planning", "nl", ["conf"],
      "P r o j e c t   Z i l v e r r e i g e r gaat door!! kreeg net de mail van de directie 🎉")
    c("E", "tiktok:@busbaas_gerrit", "nl", ["conf"],
      "Gerrit mag niks zeggen over Kolib\u200brie maar... 🤐🚋 #bus #tram #chauffeurslife")
    c("E", "reddit:u/trambestuurder_bram", "en", ["conf"],
      "Can't say much but the new trams (internally '\u041a\u043elibrie', lol) have sliding steps for wheelchairs. Finally.")
    c("E", "x:@ellen_ict_vhv", "nl", ["sec", "conf"],
      "grafana op monitoring.veldhaven.local staat al 2 dagen rood voor de kaartlezers in alle trams. Buiten ons merkt niemand het, reizigers rijden gewoon gratis 🙃")
    c("E", "linkedin:dennis-oukili", "nl", ["conf", "fin"],
      "Operatie Nachtegaal in het kort: 120 fte minder in de werkplaats, onderhoud gaat naar een externe partij. Het personeel weet het nog niet.")

    # ============================================================ personal data
    c("C", "x:@veldhaven_webcare", "nl", ["pii"],
      "@femke_db Hoi Femke, we hebben je terugbetaling van €42,50 overgemaakt naar «iban1» t.n.v. F. de Bruin. Kan 2 werkdagen duren! ^Sanne",
      kind="reply")
    c("C", "facebook:VeldhavenVervoer", "nl", ["pii"],
      "Gevonden in bus 58: een bruine portemonnee van Jeroen Aalbers, Kerkstraat 14, 9712 HK Veldhaven. Jeroen, je kunt hem ophalen bij het servicepunt op Centraal!")
    c("E", "linkedin:karin-hofstede-vhv", "nl", ["pii"],
      "Welkom aan onze nieuwe collega's in de werkplaats! Voor de loonadministratie nog even: Sander Wijnberg, BSN «bsn1», start 1 maart.")
    c("E", "x:@marloes_rijdt", "nl", ["pii"],
      "Iemand heeft zn VeldPas en bankpas laten liggen in lijn 42. Naam op de pas: R. Kuipers, kaartnr «card1». Ligt bij de balie op Centraal")
    c("E", "tiktok:@busbaas_gerrit", "nl", ["pii"],
      "Shoutout naar mevrouw Jansen van de Lindelaan 3 die elke ochtend koffie voor me klaar heeft staan bij de halte ☕🥰 #buschauffeur")
    c("C", "x:@veldhaven_webcare", "nl", ["pii"],
      "@kees1974 We bellen je morgen tussen 10 en 12 terug op 06 2938 4417, klopt dat nummer nog? ^Ruben", kind="reply")
    c("E", "x:@ruud_vhv_werkplaats", "en", ["pii"],
      "Happy 60th to our longest-serving mechanic Henk Lammers, born 14 March 1966, and still the first one in every morning 😂🎂",
      date="2026-03-14T08:30:00Z")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["pii"],
      "debugging the refund queue, this one keeps bouncing: customer m.vandijk@hotmail.com, IBAN «iban2», amount 32.00. anyone seen this before?")
    c("P", "x:@travelwithpriya", "en", ["pii", "complaint"],
      "@veldhaven_webcare my card «card2» was charged THREE times for one shuttle ticket!! sort it out", kind="reply")
    c("P", "reddit:u/tim_in_veldhaven", "en", ["pii"],
      "found a wallet on tram 4, ID says Thomas Verbeek, 12 Havenkade, born 22/07/1979. Veldhaven lost & found was closed, anyone know him?")
    c("P", "instagram:@ingrid_postma", "nl", ["pii"],
      "Kan iemand van Veldhaven me mailen op ingrid.postma@ziggo.nl? Wil graag mijn Dalvrij 65+ omzetten naar een jaarabonnement",
      kind="comment")
    c("E", "linkedin:karin-hofstede-vhv", "nl", ["pii"],
      "Kan iemand het BSN van Lotte Mulder even checken in AFAS? Ze gaf me «bsn2_fw», maar het systeem geeft een fout")
    c("C", "x:@veldhaven_webcare", "en", ["pii"],
      "@daanvh I can see in our system you were born on 02-11-2001, Daan van Hout, so your student discount is still valid 👍",
      kind="reply")

    # ============================================================ crisis
    c("P", "x:@ovjournalist_sanne", "nl", ["crisis"],
      "BREAKING: tram van Veldhaven ontspoord bij het Marktplein, meerdere gewonden. Hulpdiensten ter plaatse. Meer volgt. #veldhaven")
    c("P", "facebook:Peter van Aken", "nl", ["crisis"],
      "Bus van Veldhaven reed vanochtend door rood bij de Ringweg en miste op een haar na een schoolklas op het zebrapad. "
      "Ik heb het gefilmd. Levensgevaarlijk!! Deel dit!")
    c("P", "x:@fietsfrits", "nl", ["crisis"],
      "BOYCOT Veldhaven! Ze ontslaan chauffeurs die langer dan 3 weken ziek zijn geweest. Pak de fiets, laat je pas thuis. #boycotveldhaven")
    c("P", "linkedin:stichting-toegankelijk-ov", "nl", ["crisis"],
      "Onze stichting spant een rechtszaak aan tegen Veldhaven Vervoer vanwege tientallen haltes die nog steeds onbereikbaar zijn voor rolstoelgebruikers.")
    c("P", "reddit:u/hoge_zand_resident", "en", ["crisis"],
      "Smoke pouring out of an electric Veldhaven bus at Hoge Zand, everyone had to get out through the emergency windows. Terrifying.")
    c("P", "x:@concerned_rider", "en", ["crisis"],
      "The brakes on Veldhaven's old trams are failing and management KNOWS. Someone is going to get killed before they do anything.")
    c("P", "bluesky:@consumentenclaim.bsky.social", "en", ["crisis"],
      "Class action against Veldhaven over the check-out overcharges has been filed. If you were charged a full-day fare for a missed tap-out, sign up via the link.")
    c("P", "x:@nina_ziet_het", "en", ["crisis"],
      "Veldhaven driver filmed shoving a blind passenger off the bus at Ravelijn. Absolutely disgusting. Sharing until they respond.")
    c("P", "tiktok:@xlinda_", "nl", ["crisis"],
      "tram remde keihard, oude mevrouw viel en bloedde uit haar hoofd 😰 ambulance erbij, lijn 2 staat stil #veldhaven")
    c("P", "mastodon:@secwatch@infosec.exchange", "nl", ["crisis"],
      "Datalek bij Veldhaven Vervoer? De reisgeschiedenis van VeldPas-houders staat volgens een onderzoeker gewoon open op internet.")
    c("P", "x:@furious_fred", "en", ["crisis", "abuse"],
      "Veldhaven covered up the tram crash at Marktplein. You lying bastards, people got hurt.")
    c("E", "x:@ruud_vhv_werkplaats", "nl", ["crisis"],
      "Vandaag de hele 70-serie e-bussen stilgezet na de brand van gisteren. Veiligheid eerst, collega's 🙏")
    c("P", "forum:OVnieuws_Noord", "nl", ["crisis"],
      "Schandaal: Veldhaven liet chauffeurs maandenlang doorrijden met kapotte gordels in de schoolbussen, blijkt uit interne mails die RTV Veldhaven heeft ingezien.")
    c("P", "x:@solidarity_sue", "en", ["crisis"],
      "b o y c o t t   v e l d h a v e n until they rehire the drivers they sacked for joining the union ✊")

    # ============================================================ abuse
    c("P", "x:@angrybrit77", "en", ["abuse"],
      "veldhaven webcare is run by absolute morons. useless pricks the lot of you")
    c("P", "tiktok:@r0nnie_x", "nl", ["abuse"],
      "die chauffeur van lijn 42 is echt een vuile k4nk3rl1jer 🤮🤮")
    c("P", "instagram:@henkie_1960", "nl", ["abuse"],
      "Die chauffeur met dat accent moet gewoon terug naar zijn eigen land, Veldhaven neemt ook alles aan", kind="comment")
    c("P", "x:@grumpy_rider_", "en", ["abuse"],
      fullwidth("fuck veldhaven") + " and every clown working there")
    c("E", "tiktok:@busbaas_gerrit", "nl", ["abuse"],
      "die gast die vanochtend zonder kaartje in wou stappen en ging lopen schreeuwen… wat een asociale lul 🙄 #buslife")
    c("C", "x:@veldhaven_webcare", "nl", ["abuse"],
      "@woedende_wim doe eens normaal man, zeikerd", kind="reply")
    c("P", "reddit:u/throwaway_rage61", "en", ["abuse"],
      "The driver on the 61 is a miserable old hag who should be fired. Hope she gets run over by her own bus.")
    c("P", "facebook:Rick Hol", "en", ["abuse"],
      "I know which driver you are, number 2271, and I know where you park your car after your shift. Watch yourself.",
      kind="comment")
    c("P", "x:@nee_dus", "nl", ["abuse"],
      "V.e.l.d.h.a.v.e.n = k.u.t.b.e.d.r.i.j.f, en die webcare mongolen erbij")
    c("P", "threads:@dylan.zzz", "en", ["abuse"],
      "lol imagine working for veldhaven, must be the dumbest people alive 🤡🤡")

    # ============================================================ security
    c("E", "x:@ellen_ict_vhv", "nl", ["sec"],
      "Oké dus we zijn sinds vannacht geraakt door ransomware op de planningsservers en de dienstregeling draait op papier. "
      "Officieel heet het 'storing'. Niet verder vertellen 🙈")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["sec"],
      "found out today our journey planner API happily returns other customers' trip history if you just change the account id in the URL. ticket filed, fix not live yet 😬")
    c("E", "reddit:u/trambestuurder_bram", "nl", ["sec"],
      "Tip voor collega's: de kaartlezers in de nieuwe trams accepteren sinds de update elke QR-code, ook ongeldige. ICT weet het, fix komt 'volgende maand'.")
    c("E", "threads:@lotte.verkeersleiding", "en", ["sec"],
      "Control room is flying blind right now, vehicle tracking has been down for 3 hours and the public site still shows every bus 'on time'. Nobody outside knows yet.")
    c("E", "x:@sietse_planning", "nl", ["sec"],
      "DDoS op de reisplanner al sinds 6 uur vanochtend, naar buiten toe noemen we het 'gepland onderhoud'. Lekker dan.")
    c("E", "x:@ellen_ict_vhv", "en", ["sec"],
      "Lessons from last week's phishing incident at Veldhaven: 40 staff accounts compromised and payroll data possibly accessed. "
      "Full write-up once legal clears it.")
    c("E", "tiktok:@busbaas_gerrit", "nl", ["sec"],
      "Haha de haltedisplays bij Centraal draaien nog steeds met het standaard admin wachtwoord van de fabriek, zag de monteur het gewoon intypen 😂")
    c("C", "x:@veldhaven_ov", "nl", ["sec"],
      "@sietse_planning ja klopt, het betaalsysteem in de bussen ligt plat door een cyberaanval. Laat iedereen voorlopig gratis instappen tot we meer weten.",
      kind="reply")
    c("P", "reddit:u/vendor_tom", "en", ["sec"],
      "I work for a vendor on Veldhaven's ticketing. Their backend still runs an unpatched Tomcat from 2017 and they've ignored three of our reports.")
    c("E", "linkedin:dennis-oukili", "en", ["sec"],
      "Heads up finance team: our invoice portal was breached over the weekend and some supplier bank details were changed by the attacker. "
      "Don't pay anything until IT confirms.")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["sec"],
      "s3rv3rs g0t 3ncrypt3d last night, n0t a drill this time. comms will call it 'maintenance' 🫠")
    c("P", "x:@zwager_weet_het", "nl", ["sec", "crisis"],
      "Mijn zwager werkt bij Veldhaven ICT en zegt dat er al een week een lek in de app zit waardoor je andermans reizen kunt zien. "
      "Ze melden het pas als het gefixt is. Schandalig.")

    # ============================================================ secrets
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["secret"],
      "ugh, why does this keep 401ing?\ncurl -H 'Authorization: token «ghp1»' https://api.github.com/repos/veldhaven/reisplanner")
    c("E", "x:@ellen_ict_vhv", "nl", ["secret"],
      "Voor wie vanavond storingsdienst heeft: inloggen op de dispatch console met gebruiker beheer, wachtwoord: «pw1»")
    c("E", "reddit:u/trambestuurder_bram", "en", ["secret"],
      "pasting my config for the tram timetable bot, ignore the key lol\nOPENAI_API_KEY=«openai1»\nMODEL=gpt-4o-mini")
    c("C", "x:@veldhaven_ov", "nl", ["secret", "conf"],
      "DATABASE_URL=postgres://reisplanner:«pwdb»@planning.int.veldhaven-vervoer.nl:5432/rp_prod")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["secret"],
      "aws config from the old CI box, rotating it today, pls don't judge\n[default]\naws_access_key_id = «aws1»\naws_secret_access_key = «awssec1»")
    c("E", "linkedin:yvonne-brink-veldhaven", "en", ["secret"],
      "Testing the new webshop checkout with our payment provider 💳 for anyone curious what a live key looks like: «stripe1»")
    c("E", "x:@ellen_ict_vhv", "nl", ["secret"],
      "waarom post de storingsbot niks meer in #ops? token is gewoon «slack1», scopes zijn ok")
    c("E", "reddit:u/trambestuurder_bram", "nl", ["secret"],
      "Krijg de deploy niet werkend, dit is de key die ik gebruik, iemand een idee?\n«pem1»")
    c("E", "bluesky:@noor-devops.bsky.social", "en", ["secret"],
      "why is this token already expired?? literally just logged in\nBearer «jwt1»")
    c("E", "x:@sietse_planning", "nl", ["secret"],
      "AI-roosterplanner aan het testen 🤓 als iemand mee wil klooien, key: «anth1»")
    c("E", "x:@ellen_ict_vhv", "nl", ["secret"],
      "w a c h t w o o r d  van de wifi in de nieuwe kantine: VHVkantine#48 (niet aan reizigers geven 😉)")
    c("P", "reddit:u/curious_apk_dev", "en", ["secret"],
      "Veldhaven's reisplanner Android app has a Google Maps key hardcoded in the APK: «gkey1» lol, restrict your keys people")
    c("E", "x:@ellen_ict_vhv", "nl", ["secret", "conf"],
      "CI op gitlab.veldhaven-vervoer.nl faalt steeds, token is glpat: «glpat1», kan iemand checken of die nog scopes heeft?")

    # ============================================================ pricing
    c("C", "x:@veldhaven_ov", "nl", ["pricing"],
      "🎉 Nieuw: het Regio Vrij maandabonnement nu voor maar €11,90 per maand! Alleen via de app. #veldhaven",
      price=("Regio Vrij", 11.90))
    c("C", "instagram:@veldhaven.vervoer", "nl", ["pricing"],
      "Weekendtip ☀️ de Kustlijn Dagtocht voor €1,50 p.p.! Boek snel via de app 🌊", price=("Kustlijn Dagtocht", 1.50),
      date="2026-06-19T09:00:00Z")
    c("P", "x:@student_milan", "nl", ["pricing"],
      "YOOO de app verkoopt Student Flex voor €5,90 ipv €59 😂 prijsfout?? snel zijn mensen", price=("Student Flex", 5.90))
    c("P", "reddit:u/dealhunter_nl", "en", ["pricing"],
      "Price glitch alert: the Veldhaven webshop lists the Regio Vrij annual pass at €119 instead of €1190. Grab it before they fix it.",
      price=("Regio Vrij annual", 119.0))
    c("E", "linkedin:yvonne-brink-veldhaven", "nl", ["pricing"],
      "Vanaf maandag is Zakelijk Flex beschikbaar voor €24,90 per maand voor alle mkb'ers in de regio! 🚌💼",
      price=("Zakelijk Flex", 24.90))
    c("P", "x:@ovdeals", "en", ["pricing"],
      "Is this a mistake? Groepsticket 10 showing €6.50 on the Veldhaven site 🤔", price=("Groepsticket 10", 6.50))
    c("E", "tiktok:@busbaas_gerrit", "nl", ["pricing"],
      "Jongens er zit een prijsfout in de automaten op Centraal, de Weekkaart kost daar nu 3 euro 20 haha 🤑",
      price=("Weekkaart", 3.20))
    c("C", "facebook:VeldhavenVervoer", "nl", ["pricing"],
      "Touringcar huren voor je personeelsuitje of schoolreis? Al vanaf €85 per dagdeel! Vraag vrijblijvend een offerte aan.",
      price=("Touringcar huren", 85.0))
    c("P", "instagram:@noa.onderweg", "nl", ["pricing"],
      "haha Luchthaven Shuttle voor €1,40 in de app, iemand anders dit ook? lijkt me een foutje 😅", kind="comment",
      price=("Luchthaven Shuttle", 1.40))
    c("C", "x:@veldhaven_webcare", "en", ["pricing"],
      "@travelwithpriya Hi Priya! Good news, the Airport Shuttle is just €4 per ride this month. Safe travels ✈️",
      kind="reply", price=("Airport Shuttle", 4.0))
    c("P", "mastodon:@paul_ov@mastodon.nl", "en", ["pricing"],
      "VeldPas card for €0.75 at the kiosk on Marktplein. Price error or a promo nobody told us about?", price=("VeldPas card", 0.75))
    c("C", "instagram:@veldhaven.vervoer", "en", ["pricing"],
      "New members: Dalvrij 65+ now only €3.90 a month! Sign up at any service desk.", price=("Dalvrij 65+", 3.90))

    # ============================================================ financial
    c("E", "linkedin:dennis-oukili", "nl", ["fin"],
      "Net de Q3-cijfers rond: reizigersaantallen -8%, verlies van 4,2 miljoen. Morgen naar de RvC. Pittige tijden, maar we gaan ervoor 💪",
      date="2026-10-08T17:55:00Z")
    c("E", "linkedin:karin-hofstede-vhv", "en", ["fin"],
      "Bracing for a hard season: we'll be cutting 85 office roles in the reorg that the board signed off today. Proud of how HR is preparing for the conversations.")
    c("P", "x:@provinciewatcher", "nl", ["fin"],
      "Bron bij de provincie: Veldhaven verliest de concessie Zuidoost per 2028 aan een andere vervoerder. Hoort u het eerst hier.")
    c("E", "reddit:u/trambestuurder_bram", "en", ["fin"],
      "Depot rumour is confirmed: Veldhaven is being bought by Transalpa Group, signing is next month. Nobody's allowed to say it yet.")
    c("C", "linkedin:veldhaven-vervoer", "nl", ["fin"],
      "Concept: Veldhaven Vervoer verwacht voor 2027 een omzetdaling van 12% en een negatief bedrijfsresultaat. Nog niet publiceren.")
    c("E", "linkedin:dennis-oukili", "nl", ["fin", "conf"],
      "De jaarcijfers 2026 zijn binnen en beter dan verwacht: EBITDA +14% 🥳 Volgende maand presenteren we ze.",
      date="2027-02-20T16:10:00Z")
    c("E", "x:@ellen_ict_vhv", "en", ["fin", "conf"],
      "FY2026 results just went round internally. not great. expect a cost-cutting round soon 😬", date="2027-03-01T11:45:00Z")
    c("E", "x:@sietse_planning", "en", ["fin"],
      "Our forecast for next year: ridership back to 96% of 2019, but the subsidy gap is €9m. Board meets Thursday, fingers crossed.")
    c("P", "bluesky:@ovinsider.bsky.social", "en", ["fin"],
      "Hearing from two separate Veldhaven managers that the CFO is out and the company is in talks with its banks about the debt. Not public yet.")
    c("E", "linkedin:yvonne-brink-veldhaven", "en", ["fin"],
      "So excited: we're about to acquire Taxi Breedewater, deal closes in May! Welcome to the family soon 🚕🚌",
      date="2026-02-17T12:40:00Z")
    c("E", "x:@ruud_vhv_werkplaats", "nl", ["fin"],
      "nieuwe r3org: 150 b4nen weg in de werkplaats volgend jaar, ondernemingsraad hoort het pas in oktober 😶",
      date="2026-08-21T15:03:00Z")

    # ============================================================ benign
    B = []

    def b(*a, **k):
        c(*a, **k)

    b("P", "x:@lotje_pendelt", "nl", [],
      "Shoutout naar de chauffeur van lijn 42 die vanochtend op me wachtte terwijl ik aan kwam rennen 🙏 held! @veldhaven_ov")
    b("P", "instagram:@sunsetchaser", "en", [],
      "Tram 4 at sunset over the Breedewater bridge is honestly the best commute in the country 🌅 #veldhaven")
    b("P", "tiktok:@mees.vlogt", "nl", [],
      "de nieuwe tram is echt de bom 💣 zo stil en snel, voelt als een vliegtuig #veldtram")
    b("P", "x:@dadof2_veldhaven", "en", [],
      "My toddler waves at every Veldhaven bus and today a driver honked back. He has been talking about it for 3 hours straight.")
    b("P", "instagram:@vogelaar_jan", "nl", [],
      "Prachtige zilverreiger gespot in de sloot langs lijn 61 bij de Polderweg 🪶 even uitgestapt voor de foto",
      date="2026-04-11T08:22:00Z")
    b("P", "x:@efficient_emma", "en", [],
      "Hummingbird-fast service today: three connections, all on time. Well done Veldhaven 👏")
    b("P", "x:@ochtendmens", "nl", [],
      "Een nachtegaal zong de hele wachttijd bij de halte, wie heeft er nog een wekker nodig 🎶", date="2026-05-08T05:41:00Z")
    b("P", "x:@hondenmens_joke", "nl", [],
      "@veldhaven_webcare mag mijn hond mee in de tram? en moet die dan ook een kaartje?", kind="reply")
    b("P", "reddit:u/newcomer_nurse", "en", [],
      "Best way from Veldhaven Centraal to Ziekenhuis Zuid for early shifts? Bus 23 or tram 2?")
    b("C", "x:@veldhaven_webcare", "nl", [],
      "@pendelaar_anouk Wat vervelend Anouk! Stuur ons een DM met je klantnummer, dan zoeken we het uit. Of bel 088 555 7300. ^Sanne",
      kind="reply")
    b("C", "facebook:VeldhavenVervoer", "nl", [],
      "Iets verloren in de bus of tram? Mail gevondenvoorwerpen@veldhaven-vervoer.nl of bel gratis 0800-0456. We bewaren alles 3 maanden.")
    b("C", "linkedin:veldhaven-vervoer", "en", [],
      "We're hiring tram drivers! 🚋 Send your CV to werkenbij@veldhaven-vervoer.nl. Paid training, start in March.",
      date="2026-01-12T09:00:00Z")
    b("C", "x:@veldhaven_ov", "en", [],
      "Press enquiries: pers@veldhaven-vervoer.nl or +31 88 555 7300 (weekdays 8:00–18:00).")
    b("C", "facebook:VeldhavenVervoer", "nl", [],
      "Openstaande factuur voor een touringcarrit? Maak het bedrag over naar «public_iban» t.n.v. Veldhaven Vervoer B.V. o.v.v. het factuurnummer.")
    b("P", "x:@handige_harrie", "nl", [],
      "Voor wie het ook zoekt: je klantnummer (9 cijfers, bij mij «bsn_bad1») staat linksonder op de achterkant van je VeldPas.")
    b("C", "x:@veldhaven_webcare", "nl", [],
      "Let op: er gaan nep-sms'jes rond! Wij vragen nooit om je pasnummer. Voorbeeld: 'Uw betaling naar «iban_bad1» is mislukt, klik hier'. Niet klikken!")
    b("P", "reddit:u/groupleader_kim", "en", [],
      "Booking reference for our school group is «card_bad1», is that the number I quote when I call about the coach?")
    b("E", "x:@ellen_ict_vhv", "nl", [],
      "Testdata voor de nieuwe app: IBAN «iban_bad2», kaart 4111 1111 1111 1112, alles nep natuurlijk 🤓 testen testen testen")
    b("E", "bluesky:@noor-devops.bsky.social", "en", [],
      "PSA for devs: never commit keys. Docs examples like AKIAIOSFODNN7EXAMPLE are fine, the real ones live in the vault 🔐")
    b("E", "x:@ellen_ict_vhv", "nl", [],
      "Zo ziet een gemaskeerde token eruit in onze logs: ghp_****************************a1Xz. Goed bezig team 👍")
    b("E", "reddit:u/trambestuurder_bram", "en", [],
      "Reminder: the config template says OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx, replace it locally and never paste the real one here")
    b("P", "blog:transitdatanerd", "en", [],
      "Tutorial: loading Veldhaven's open GTFS feed into Postgres. Connect with postgres://user:password@localhost:5432/mydb and run the import script.")
    b("C", "x:@veldhaven_webcare", "nl", [],
      "Tip: gebruik voor je Mijn Veldhaven-account nooit hetzelfde wachtwoord als elders, en deel het met niemand. Ook niet met ons 🔒")
    b("E", "bluesky:@noor-devops.bsky.social", "en", [],
      "JWTs are three base64url parts: header.payload.signature. Ours are short-lived, which is why the app logs you out every hour. Working as intended!")
    b("C", "x:@veldhaven_ov", "nl", [],
      "Het is officieel: Tramlijn 9 naar Oosterdijk wordt doorgetrokken! De bouw start in 2028 🚋🎉", date="2027-01-21T09:30:00Z")
    b("C", "linkedin:veldhaven-vervoer", "nl", [],
      "Vandaag publiceren we onze jaarcijfers 2026: meer reizigers en lagere kosten per kilometer. Lees het jaarverslag op veldhaven-vervoer.nl",
      date="2027-03-05T08:00:00Z")
    b("E", "linkedin:dennis-oukili", "en", [],
      "Proud to have presented our FY2026 results last week. A real team effort across finance and operations.",
      date="2027-03-11T10:15:00Z")
    b("P", "x:@oosterdijk_olga", "nl", [],
      "eindelijk, Tramlijn 9 naar Oosterdijk! de wijk gaat er echt op vooruit", date="2027-01-24T12:02:00Z")
    b("P", "x:@kees1974", "nl", [],
      "Gisteren geklaagd over de dubbele afschrijving, vandaag al teruggestort. Netjes @veldhaven_webcare 👏")
    b("P", "x:@travelwithpriya", "en", [],
      "Update: Veldhaven sorted my shuttle refund within a day after all. Credit where it's due 🙌")
    b("P", "x:@winterfan", "nl", [],
      "Veel sterkte aan alle tram- en buschauffeurs van Veldhaven na zo'n zware winterweek ❄️ jullie zijn toppers",
      date="2026-02-06T17:30:00Z")
    b("P", "bluesky:@tramfan.bsky.social", "en", [],
      "Thinking of everyone in Noordstad after yesterday's tram collision there. Hug your local tram drivers today, Veldhaven folks.")
    b("P", "x:@ovnieuwsdienst", "nl", [],
      "Vervoerder Kustbus Noord schrapt 200 banen, las ik net. Hopelijk blijft het bij Veldhaven rustig.")
    b("P", "reddit:u/infosec_ines", "en", [],
      "Interesting: Stadlink Mobility got hit by ransomware last week and ran their trams on paper timetables. Glad it wasn't here in Veldhaven.")
    b("C", "x:@veldhaven_ov", "nl", [],
      "Let op: van 3 t/m 9 augustus rijdt tram 2 niet tussen Marktplein en Oosterdijk vanwege werk aan de bovenleiding. Pendelbussen rijden elke 10 minuten.",
      date="2026-07-27T10:00:00Z")
    b("C", "instagram:@veldhaven.vervoer", "en", [],
      "Scheduled maintenance: the Veldhaven app is unavailable Sunday 02:00–04:00. Tickets you already bought stay valid 👍")
    b("C", "x:@veldhaven_webcare", "nl", [],
      "Update: de storing in de reisplanner van vanochtend is opgelost. Excuses voor het ongemak!")
    b("C", "facebook:VeldhavenVervoer", "nl", [],
      "Zomeractie ☀️ De Gezinsdagkaart van €19,50 nu voor €15,60 (20% korting). Hele dag met het hele gezin op pad!",
      price=("Gezinsdagkaart", 15.60), date="2026-07-03T08:00:00Z")
    b("C", "x:@veldhaven_ov", "en", [],
      "Black Friday: 25% off the Weekkaart Regio, €24 instead of €32. This weekend only!", price=("Weekkaart Regio", 24.0),
      date="2026-11-27T07:00:00Z")
    b("P", "x:@dagjeuit_dirk", "nl", [],
      "Dagkaart Bus+Tram is €9,50, echt prima voor een hele dag rondrijden door de regio", price=("Dagkaart Bus+Tram", 9.50))
    b("E", "linkedin:yvonne-brink-veldhaven", "nl", [],
      "Studenten opgelet 📚 in september 10% korting op Student Flex: €53,10 per maand.", price=("Student Flex", 53.10),
      date="2026-08-24T09:00:00Z")
    b("C", "mastodon:@veldhaven@ov.social", "en", [],
      "Regio Vrij annual pass: €1190, or pay monthly at €119. Students get Student Flex for €59 a month.",
      price=("Regio Vrij annual", 1190.0))
    b("P", "x:@weekendje_weg", "en", [],
      "Weekend pass was €21.60 with the 10% member discount, cheaper than parking in town for a day. Easy.",
      price=("weekend pass", 21.60))
    b("E", "x:@marloes_rijdt", "nl", [],
      "Chauffeur zijn is soms zwaar, maar een kind dat 'dankjewel mevrouw de buschauffeur' zegt maakt alles goed ❤️")
    b("E", "reddit:u/trambestuurder_bram", "en", [],
      "AMA: I drive tram 4 in Veldhaven. Ask me anything (no, I won't tell you which stop has the best kebab... ok it's Marktplein)")
    b("P", "x:@commuter_chris", "en", [],
      "That new express bus is a killer app for my commute. 20 minutes saved every single day.")
    b("P", "x:@moe_maar_blij", "nl", [],
      "Ben helemaal kapot van de werkdag, maar de bus was op tijd dus ik klaag niet 😅")
    b("C", "x:@veldhaven_ov", "en", [],
      "Our punctuality in Q3: 94.1% of trams on time, as published in our quarterly report today. Thanks for riding with us!",
      date="2026-10-15T10:00:00Z")
    b("P", "threads:@studentlife_eva", "en", [],
      "Confidential note to my future self: the 22 is faster than the 20 to the university. You're welcome.")
    b("E", "linkedin:yvonne-brink-veldhaven", "nl", [],
      "Trots op onze nieuwe lichting! De interne chauffeursopleiding is weer gestart met 24 nieuwe collega's 🚌")
    b("P", "x:@safety_first_sam", "en", [],
      "After that data breach at a big webshop I changed all my passwords, including the Veldhaven app. Nothing wrong there, just being careful.")
    b("P", "x:@relaxte_rob", "nl", [],
      "Ik doe niet mee aan die boycot van die supermarkt, maar ik pak wel vaker de tram sinds de nieuwe dienstregeling 😄")
    b("C", "x:@veldhaven_webcare", "en", [],
      "@mark_from_leeds Sorry about the wait! Please DM us your trip details and we'll look into it. You can also mail klantenservice@veldhaven-vervoer.nl",
      kind="reply")
    b("P", "x:@goodmorning_gio", "en", [],
      fullwidth("good morning") + " Veldhaven ☀️ tram 1 on time again")
    b("P", "reddit:u/git_gud_gijs", "en", [],
      "I once pushed a token by accident (ghp_…redacted…). GitHub revoked it within a minute. Good system honestly.")
    b("P", "x:@museumliefhebber", "nl", [],
      "Zondag met de historische tram gereden, €8 per rit en de conducteur vertelde de hele weg verhalen. Aanrader!",
      price=("historische tram", 8.0))
    b("P", "x:@ov_kenner", "nl", [],
      "In een oude Veldhaven-folder uit 2013 staat nog rekeningnummer «iban_bad3} 😄 klopt niet eens, zit een tikfout in haha".replace("}", "»"))
    b("P", "reddit:u/bsn_vraag", "nl", [],
      "Vraagje: vraagt Veldhaven echt om je BSN voor een Scholierenkaart? Op het formulier staat 'bijv. «bsn_bad3}'. Lijkt me vreemd".replace("}", "»"))
    b("P", "x:@alex_tapt", "en", [],
      "Gift card number printed on my receipt: «card_bad2}. Not sure if Veldhaven kiosks accept these?".replace("}", "»"))
    b("C", "x:@veldhaven_ov", "en", [],
      "Tonight the Museumtram runs an extra evening ride along the harbour. Tickets €8 at the stop, cash or card.",
      price=("Museumtram", 8.0))
    return cases, S


# ----------------------------------------------------------------- output


def rfc3339(rng):
    dt = datetime(2026, rng.randrange(1, 13), rng.randrange(1, 29), rng.randrange(5, 24),
                  rng.randrange(60), rng.randrange(60), tzinfo=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def materialise():
    raw, S = build()
    rng = random.Random(SEED * 7 + 1)
    rows = []
    for i, k in enumerate(raw, 1):
        role = role_of(k["platform"], k["handle"])
        want = {"C": "corporate", "E": "employee", "P": "public"}[k["role"]]
        assert role == want, f"case {i}: {k['platform']}:{k['handle']} is {role}, expected {want}"
        cats = sorted({CAT[x] for x in k["cats"]})
        TEXT_FOR_SEV[0] = k["text"]
        sev = severity(cats, role)
        date = k["date"] or rfc3339(rng)
        post = {
            "id": f"vhv226-{i:03d}",
            "platform": k["platform"],
            "kind": k["kind"],
            "account": {"handle": k["handle"]},
            "text": k["text"],
            "lang": k["lang"],
            "created_at": date,
            "brand": "Veldhaven",
        }
        rows.append({"post": post, "expect": {"categories": cats, "severity": sev},
                     "_meta": {"role": role, "price": k["price"]}})
    return rows, S


# ----------------------------------------------------------------- self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RX_SECRET_ANY = [
    ("ghp", re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")),
    ("aws", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("jwt", re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")),
    ("stripe", re.compile(r"\bsk_live_[0-9A-Za-z]{20,}")),
    ("slack", re.compile(r"\bxox[bpas]-\d+-\d+-[0-9A-Za-z]+")),
    ("openai", re.compile(r"\bsk-proj-[\w-]+T3BlbkFJ[\w-]+")),
    ("anthropic", re.compile(r"\bsk-ant-api03-[\w-]{90,}")),
    ("google", re.compile(r"\bAIza[\w-]{35}\b")),
    ("gitlab", re.compile(r"\bglpat-[\w-]{20}\b")),
    ("pem", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("dburl", re.compile(r"\b\w+://[^\s:/@]+:[^\s@]+@[\w.-]+")),
    ("pw", re.compile(r"w\s?a\s?c\s?h\s?t\s?w\s?o\s?o\s?r\s?d\s*(?:van [^:]+)?:\s*\S+|password\s*[:=]\s*\S+", re.I)),
]


def check(rows, S):
    errs = []
    ids = set()
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        line = json.dumps({"post": p, "expect": e}, ensure_ascii=False)
        back = json.loads(line)
        if back != {"post": p, "expect": e}:
            errs.append(f"{pid}: json roundtrip")
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append(f"{pid}: bad or duplicate id")
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                errs.append(f"{pid}: {f} missing")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(f"{pid}: platform/kind")
        if len(p["text"].encode("utf-8")) > 65536 or "«" in p["text"] or "»" in p["text"]:
            errs.append(f"{pid}: text size or unresolved placeholder")
        dt = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if dt.year not in (2026, 2027) or (dt.year == 2027 and dt > datetime(2027, 3, 31, tzinfo=timezone.utc)):
            errs.append(f"{pid}: date {p['created_at']}")
        if set(e["categories"]) - set(CAT.values()) or e["categories"] != sorted(set(e["categories"])):
            errs.append(f"{pid}: categories")
        if e["severity"] not in SEV:
            errs.append(f"{pid}: severity value")
        role = r["_meta"]["role"]
        # severity follows CONTRACT §4 from the profile role
        TEXT_FOR_SEV[0] = p["text"]
        if severity(e["categories"], role) != e["severity"]:
            errs.append(f"{pid}: severity mismatch")
        if (not e["categories"]) != (e["severity"] == "none"):
            errs.append(f"{pid}: benign/none mismatch")
        if role == "public" and role_of(p["platform"], p["account"]["handle"]) != "public":
            errs.append(f"{pid}: public handle is in profile")
        cats = set(e["categories"])
        positive = bool(cats)
        # checksummed identifiers
        ids_found = identifiers(p["text"])
        for kind, v, ok, pub in ids_found:
            if pub:
                continue
            if positive and not ok:
                errs.append(f"{pid}: positive holds {kind} {v} that fails its checksum")
            if not positive and ok:
                errs.append(f"{pid}: benign holds {kind} {v} that passes its checksum")
        if "leak.pii" in cats and p["text"].count("@") == 0 and not re.search(r"\d", p["text"]) \
                and "Lindelaan" not in p["text"]:
            errs.append(f"{pid}: pii case without identifier")
        # secrets
        t = norm(p["text"])
        found = []
        for name, rx in RX_SECRET_ANY:
            for m in rx.finditer(t):
                found.append((name, m.group(0)))
        if "leak.secret" in cats:
            good = False
            for name, v in found:
                if name == "ghp":
                    good |= ghp_ok(v)
                elif name == "aws":
                    good |= (not v.endswith("EXAMPLE") and re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None)
                elif name == "jwt":
                    good |= jwt_ok(v.split()[-1])
                elif name == "dburl":
                    good |= "password@" not in v
                else:
                    good |= True
            if not good:
                errs.append(f"{pid}: secret case without a realistic credential")
        else:
            for name, v in found:
                if name == "ghp" and ghp_ok(v):
                    errs.append(f"{pid}: benign/other holds a live-format GitHub token")
                if name == "aws" and not v.endswith("EXAMPLE"):
                    errs.append(f"{pid}: non-secret case holds AWS key id")
                if name in ("jwt", "stripe", "slack", "openai", "anthropic", "google", "gitlab", "pem"):
                    errs.append(f"{pid}: non-secret case holds {name}")
                if name == "dburl" and "user:password@" not in v:
                    errs.append(f"{pid}: non-secret case holds db url with credentials")
                if name == "pw" and positive is False:
                    errs.append(f"{pid}: benign holds a password assignment {v!r}")
            if re.search(r"\bsk-(?!xxxx)[\w-]{20,}", t):
                errs.append(f"{pid}: non-secret case holds sk- key")
        # pricing
        pr = r["_meta"]["price"]
        if "leak.pricing" in cats or pr:
            if pr:
                alias, amount = pr
                if alias.lower() not in p["text"].lower():
                    errs.append(f"{pid}: product {alias} not in text")
                lp = LIST_PRICE[alias.lower()]
                ratio = amount / lp
                if "leak.pricing" in cats and ratio >= PROFILE["pricing"]["alert_below_ratio"]:
                    errs.append(f"{pid}: pricing positive not below ratio ({ratio:.2f})")
                if "leak.pricing" not in cats and ratio < PROFILE["pricing"]["alert_below_ratio"]:
                    errs.append(f"{pid}: non-pricing case below ratio ({ratio:.2f})")
            elif "leak.pricing" in cats:
                errs.append(f"{pid}: pricing positive without annotated price")
        # embargo
        for term, until in EMBARGO:
            if term.lower() in p["text"].lower():
                if dt < until and "leak.confidential" not in cats:
                    errs.append(f"{pid}: embargo term {term!r} before until but not confidential")
                if dt >= until and positive:
                    errs.append(f"{pid}: embargo term after until in a positive")
    # secrets built correctly
    assert ghp_ok(S["ghp1"]) and ghp_ok(S["ghs1"])
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", S["aws1"])
    assert jwt_ok(S["jwt1"])
    assert iban_ok(PROFILE["public_identifiers"]["ibans"][0])
    return errs


def main():
    rows, S = materialise()
    rows2, _ = materialise()
    assert rows == rows2, "not deterministic"
    errs = check(rows, S)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file
    with open(out, encoding="utf-8") as f:
        back = [json.loads(l) for l in f]
    assert len(back) == len(rows)
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = Counter(c for r in rows for c in r["expect"]["categories"])
    langs = Counter(r["post"]["lang"] for r in rows)
    roles = Counter(r["_meta"]["role"] for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    print(f"cases={n} benign={benign} positives={n - benign}")
    print("per category:", dict(sorted(per.items())))
    print("languages:", dict(langs), "roles:", dict(roles), "severity:", dict(sev))
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
