#!/usr/bin/env python3
"""Deterministic generator for the sealed50 blind evaluation set.

    python3 make_cases.py           # writes cases.jsonl next to this file
    python3 make_cases.py --check   # regenerates in memory, validates, compares, prints counts

Company: Reestmond Afvalbeheer N.V. (profile.yaml), a fictional Dutch regional waste
collection and recycling company owned by municipalities.

All texts are hand-written below (CASES). Identifiers and secrets are filled in from
{{KIND:fmt}} placeholders by one seeded RNG, so the output is byte-for-byte reproducible.
Positives get checksum-VALID identifiers (IBAN mod-97, Luhn, BSN 11-proof); benign
near-misses get identifiers that FAIL their checksum. Every secret is random and fake,
shaped like the real format (GitHub tokens carry a correct CRC32 checksum).

Severity is never typed by hand: severity_for() applies CONTRACT section 4 to the
account role (from profile.yaml by platform:handle, case-insensitive), the categories,
and whether a checksum-validated identifier (IBAN, card, BSN) is in the post.
"""
import argparse
import base64
import datetime as dt
import json
import random
import re
import string
import sys
import zlib
from collections import Counter
from pathlib import Path

SEED = 50_2026_0611
HERE = Path(__file__).resolve().parent
OUT = HERE / "cases.jsonl"
PROFILE = HERE / "profile.yaml"

CATS = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
SEVS = ["none", "info", "warning", "error", "critical"]
RANK = {s: i for i, s in enumerate(SEVS)}

ZWSP = "\u200b"
SOFT = "\u00ad"


# ---------------------------------------------------------------------------
# checksums
# ---------------------------------------------------------------------------

def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    n = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(n) % 97 == 1


def iban_build(cc, bban):
    n = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(n) % 97:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    s = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        s += x
    return bool(d) and s % 10 == 0


def luhn_fill(prefix):
    for c in "0123456789":
        if luhn_valid(prefix + c):
            return prefix + c
    raise AssertionError(prefix)


def elfproef(num):
    s = re.sub(r"\D", "", num)
    if len(s) == 8:
        s = "0" + s
    if len(s) != 9:
        return False
    t = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return t != 0 and t % 11 == 0


def ean_valid(s):
    d = [int(c) for c in s]
    return (sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) + d[12]) % 10 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


# ---------------------------------------------------------------------------
# seeded values
# ---------------------------------------------------------------------------

class Fill:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def dig(self, n, lead=False):
        s = "".join(self.r.choice(string.digits) for _ in range(n))
        if lead and s[0] == "0":
            s = self.r.choice("123456789") + s[1:]
        return s

    def pick(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    @staticmethod
    def g4(s):
        return " ".join(s[i:i + 4] for i in range(0, len(s), 4))

    def iban(self, cc):
        if cc == "NL":
            while True:
                v = iban_build("NL", self.r.choice(["RABO", "INGB", "ABNA", "SNSB", "ASNB", "TRIO", "BUNQ", "KNAB"])
                               + self.dig(10, True))
                if v != "NL30BNGH0285129374":
                    return v
        if cc == "DE":
            return iban_build("DE", self.r.choice(["28050100", "26550105", "44050199"]) + self.dig(10))
        if cc == "BE":
            head = self.r.choice(["734", "001", "068", "143"]) + self.dig(7)
            return iban_build("BE", head + f"{int(head) % 97 or 97:02d}")
        if cc == "GB":
            return iban_build("GB", self.r.choice(["BARC", "LOYD", "NWBK"]) + self.dig(14))
        raise ValueError(cc)

    def bad_iban(self, cc):
        v = self.iban(cc)
        k = int(v[2:4])
        for step in (7, 19, 31, 43):
            cand = f"{v[:2]}{(k + step) % 100:02d}{v[4:]}"
            if not iban_valid(cand):
                return cand
        raise AssertionError

    def card(self, brand):
        if brand == "visa":
            return luhn_fill("4" + self.dig(14))
        if brand == "mc":
            return luhn_fill("5" + self.r.choice("12345") + self.dig(13))
        if brand == "mc2":
            return luhn_fill(str(self.r.randint(2221, 2720)) + self.dig(11))
        if brand == "amex":
            return luhn_fill(self.r.choice(["34", "37"]) + self.dig(12))
        raise ValueError(brand)

    def bad_card(self, brand):
        v = self.card(brand)
        w = v[:-1] + str((int(v[-1]) + self.r.randint(1, 9)) % 10)
        assert not luhn_valid(w)
        return w

    @staticmethod
    def show_card(v, sep):
        if sep == "c":
            return v
        parts = [v[:4], v[4:10], v[10:]] if len(v) == 15 else [v[i:i + 4] for i in range(0, len(v), 4)]
        return ("-" if sep == "dash" else " ").join(parts)

    def bsn(self):
        while True:
            s = self.dig(9, True)
            if elfproef(s):
                return s

    def not_bsn(self, n):
        while True:
            s = self.dig(n, True)
            if not elfproef(s) and not luhn_valid(s):
                return s

    def order16(self):
        while True:
            s = self.dig(16, True)
            if not luhn_valid(s):
                return s

    def ean(self):
        while True:
            body = "871" + self.dig(9)
            for c in "0123456789":
                if ean_valid(body + c):
                    v = body + c
                    break
            if not luhn_valid(v):
                return v

    def passport(self):
        letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O
        return self.pick(letters, 2) + self.pick(letters + "123456789", 6) + self.dig(1)

    def phone(self, fmt):
        if fmt.startswith("mob"):
            d = self.r.choice("12345") + self.dig(7)  # 8 digits after the 6
            return {
                "mob_dash": f"06-{d}",
                "mob_plain": f"06{d}",
                "mob_pairs": f"06 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}",
                "mob_intl": f"+31 6 {d[:4]} {d[4:]}",
                "mob_0031": f"0031 6{d}",
                "mob_paren": f"+31(0)6 {d[:2]} {d[2:5]} {d[5:]}",
            }[fmt]
        area = self.r.choice(["522", "528", "529", "523", "521", "38"])
        rest = self.r.choice("2345789") + self.dig(9 - len(area) - 1)
        return {"land_dash": f"0{area}-{rest}", "land_sp": f"0{area} {rest[:3]} {rest[3:]}"}[fmt]

    # secrets
    def ghp(self):
        body = self.pick(ALNUM, 30)
        return "ghp_" + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")

    def aws_id(self):
        return "AKIA" + self.pick(B32, 16)

    def aws_secret(self):
        return self.pick(B64, 40)

    def slack_bot(self):
        return f"xoxb-{self.dig(11, True)}-{self.dig(13, True)}-{self.pick(ALNUM, 24)}"

    def slack_hook(self):
        up = string.ascii_uppercase + string.digits
        return f"https://hooks.slack.com/services/T{self.pick(up, 8)}/B{self.pick(up, 10)}/{self.pick(ALNUM, 24)}"

    def stripe(self):
        return "sk_live_" + self.pick(ALNUM, 32)

    def gapi(self):
        return "AIzaSy" + self.pick(B64URL, 33)

    def jwt(self):
        enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
        iat = 1767225600 + self.r.randint(0, 250 * 86400)
        head = enc({"alg": "RS256", "typ": "JWT"})
        body = enc({"sub": "adres_" + self.dig(7, True), "iss": "mijn.reestmond.nl", "scope": "kalender pas",
                    "iat": iat, "exp": iat + 7200})
        return f"{head}.{body}.{self.pick(B64URL, 86)}"

    def pem_ssh(self):
        head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
        rows = [head] + [self.pick(B64, 70) for _ in range(4)] + [self.pick(B64, 22) + "=="]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(rows) + "\n-----END OPENSSH PRIVATE KEY-----"

    def password(self):
        w = self.r.choice(["Kliko", "Reest", "Depot", "Weegbrug", "Grijs", "Papier", "Route"])
        return w + self.dig(2) + self.r.choice("!#*$-") + self.pick(ALNUM, 4)

    def sha(self):
        return self.pick("0123456789abcdef", 40)


# kinds whose valid presence makes a leak.pii finding "validated" (critical from insiders)
VALIDATED = {"IBAN_NL", "IBAN_DE", "IBAN_BE", "IBAN_GB", "CARD", "BSN"}
NEGATIVE = {"BADIBAN_NL", "BADIBAN_DE", "BADCARD", "BADBSN", "NOTBSN8", "ORDER16", "EAN"}
PH = re.compile(r"\{\{([A-Z0-9_]+)(?::([a-z0-9_]+))?\}\}")


def render(f, text):
    used = []

    def one(m):
        kind, fmt = m.group(1), m.group(2) or ""
        if kind.startswith("IBAN_"):
            raw = f.iban(kind[5:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif kind.startswith("BADIBAN_"):
            raw = f.bad_iban(kind[8:])
            shown = f.g4(raw) if fmt == "grp" else raw
        elif kind == "CARD":
            brand, _, sep = fmt.partition("_")
            raw = f.card(brand)
            shown = f.show_card(raw, sep or "sp")
        elif kind == "BADCARD":
            brand, _, sep = fmt.partition("_")
            raw = f.bad_card(brand)
            shown = f.show_card(raw, sep or "sp")
        elif kind == "BSN":
            raw = f.bsn()
            shown = {"dots": f"{raw[:4]}.{raw[4:6]}.{raw[6:]}", "sp": f"{raw[:3]} {raw[3:6]} {raw[6:]}"}.get(fmt, raw)
        elif kind == "BADBSN":
            raw = shown = f.not_bsn(9)
        elif kind == "NOTBSN8":
            raw = shown = f.not_bsn(8)
        elif kind == "ORDER16":
            raw = f.order16()
            shown = f.g4(raw) if fmt == "grp" else raw
        elif kind == "EAN":
            raw = shown = f.ean()
        elif kind == "PASSPORT":
            raw = shown = f.passport()
        elif kind == "PHONE":
            raw = shown = f.phone(fmt)
        elif kind == "GHP":
            raw = shown = f.ghp()
        elif kind == "AWSID":
            raw = shown = f.aws_id()
        elif kind == "AWSSECRET":
            raw = shown = f.aws_secret()
        elif kind == "SLACKBOT":
            raw = shown = f.slack_bot()
        elif kind == "SLACKHOOK":
            raw = shown = f.slack_hook()
        elif kind == "STRIPE":
            raw = shown = f.stripe()
        elif kind == "GAPI":
            raw = shown = f.gapi()
        elif kind == "JWT":
            raw = shown = f.jwt()
        elif kind == "PEMSSH":
            raw = shown = f.pem_ssh()
        elif kind == "PW":
            raw = shown = f.password()
        elif kind == "SHA":
            raw = shown = f.sha()
        else:
            raise KeyError(kind)
        used.append((kind, raw, shown))
        return shown

    return PH.sub(one, text), used


# ---------------------------------------------------------------------------
# accounts
# ---------------------------------------------------------------------------

RM_X = ("x", "@reestmond", "Reestmond")
RM_HELP = ("x", "@reestmond_helpt", "Reestmond Klantenservice")
RM_FB = ("facebook", "ReestmondAfval", "Reestmond Afvalbeheer")
RM_IG = ("instagram", "@reestmond.afval", "Reestmond")
RM_LI = ("linkedin", "reestmond-afvalbeheer", "Reestmond Afvalbeheer N.V.")

HENK = ("x", "@henk_opdewagen", "Henk Bos")                        # chauffeur
ILSE = ("linkedin", "ilse-mulder-ict", "Ilse Mulder")               # ICT beheer
YVON = ("x", "@yvonne_kcc", "Yvonne Dekker")                        # klantcontactcentrum
BAS = ("linkedin", "bas-hofstede-rm", "Bas Hofstede")               # controller
GERRIT = ("facebook", "gerrit.lamberts.58", "Gerrit Lamberts")      # milieustraat Meppel
NOOR = ("instagram", "@noor.routeplanning", "Noor Kaya")            # routeplanner
BRAM = ("tiktok", "@bram_belader", "Bram Visser")                   # belader
JORIS = ("x", "@devjoris_rm", "Joris Smit")                         # app developer


def pub(platform, handle, name=None):
    return (platform, handle, name)


SEC, PII, PRICE, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                    "leak.financial", "leak.security")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def case(lang, acct, text, cats=(), kind=None, when=None, tags=(), hint=None, handle=None):
    platform, h, name = acct
    CASES.append(dict(lang=lang, platform=platform, handle=handle or h, name=name, text=text,
                      cats=sorted(set(cats)), kind=kind, when=when, tags=set(tags), hint=hint))


# ===========================================================================
# leak.pricing
# ===========================================================================
case("nl", JORIS, "eh jongens 😬 sinds de deploy van vanmiddag staat de Big Bag bouwafval voor €7,49 in de webshop "
     "ipv €74,95. decimaal kwijt in de prijstabel. fix komt vanavond, ff niet rondsturen pls", [PRICE])
case("nl", pub("x", "@rik_bouwt"), "wtf @reestmond verkoopt puincontainers van 3m3 voor 26,50?? 😂 meteen eentje "
     "geboekt voor de badkamersloop #prijsfout #verbouwing", [PRICE])
case("en", pub("reddit", "u/drenthe_dealhunter"), "Heads up Meppel/Hoogeveen people: the Reestmond webshop has the "
     "compostvat listed at €5.49. Pretty sure it's meant to be ~55. Grabbed two before someone notices.",
     [PRICE], kind="post")
case("nl", GERRIT, "Kassa op de milieustraat rekent de vervangende afvalpas af voor €1,75 🙈 iemand heeft vanochtend "
     "de prijs verkeerd ingevoerd. Ik reken voorlopig maar niks af tot ICT belt.", [PRICE])
case("nl", pub("facebook", "annet.vanderveen.9", "Annet van der Veen"), "Klopt het dat het tuinafvalabonnement nu "
     "6,20 per jaar kost?? Zo staat het op mijn.reestmond.nl. Zal wel een foutje zijn maar ik heb hem alvast "
     "afgesloten hoor 😇", [PRICE], kind="comment")
case("en", RM_IG, "🌱 Spring clean-up! Reestmond Compostvat 300L now just €9.95 while stocks last 👉 link in bio "
     "#compost #circulair", [PRICE])
case("nl", YVON, "Telefoon staat roodgloeiend want Grofvuil aan huis staat op de site voor €4,50 🙃 we mogen aan "
     "de lijn niks bevestigen. Wie heeft dit ingevoerd", [PRICE])
case("nl", pub("threads", "@sjoerd.klust"), "p r ij s f o u t bij reestmond: Big Bag voor 3 euro 🏃‍♂️💨 op=op",
     [PRICE], tags=["evasion", "evasion:spaced"])
case("en", pub("x", "@lotte_gardens"), "reestmond webshop glitch?? extra container 240L showing €8.90 lol, it's "
     "usually 89. ordered three for the whole street", [PRICE])
case("nl", NOOR, "Collega's: de puincontainer 3m3 staat per ongeluk voor €25 in de planningstool én in de shop. "
     "Tot maandag geen boekingen bevestigen aub 🙏", [PRICE])
case("nl", JORIS, "prijs van de BigBag is €0,75 geworden door mijn migratiescript 🤦‍♂️ issue staat op "
     "git.reestmond.nl/webshop/issues/212, hotfix na de lunch", [PRICE, CONF])
case("nl", pub("tiktok", "@kim.klust.xo"), "Bіg Bаg voor €6,99?!?! 😱 reestmond heeft een prijsfout, rennen mensen "
     "#klussen #goedkoop", [PRICE], tags=["evasion", "evasion:homoglyph"])
case("nl", pub("threads", "@buurman.wim"), "Volgens de buurtapp zit er een prijsfout in het tuinafvalabonnement van "
     "Reestmond, iemand kon hem voor een paar cent afsluiten. Kan iemand dat bevestigen?", [PRICE])

# ===========================================================================
# leak.secret
# ===========================================================================
case("en", ILSE, "Lesson of the week for our junior admins: never paste a connection string in a ticket. This was "
     "sitting in a public helpdesk comment:\n\npostgresql://rms_app:{{PW}}@10.40.2.17:5432/routes\n\n"
     "Rotated now, but still. #devops #security", [SEC])
case("nl", JORIS, "waarom geeft de kaart in de afvalkalender ineens 403 😤 key is gewoon {{GAPI}} en die werkt "
     "lokaal prima", [SEC])
case("en", JORIS, "build server keeps failing on `git clone https://{{GHP}}@github.com/reestmond/reestapp-android.git` "
     "any ideas before i lose my mind", [SEC])
case("nl", ILSE, "Voor de collega's die de camerabeelden van de wagens willen terugkijken, de bucket gaat via deze "
     "credentials:\nAWS_ACCESS_KEY_ID={{AWSID}}\nAWS_SECRET_ACCESS_KEY={{AWSSECRET}}\nNiet verder delen graag.",
     [SEC])
case("nl", HENK, "wachtwoord van de boordcomputer is wéér veranderd 🙄 het is nu {{PW}} voor wie het zoekt "
     "#chauffeursleven", [SEC])
case("en", RM_HELP, "@mkoster_83 sorry for the trouble! payments in the webshop should work again now "
     "(ref {{STRIPE}})", [SEC], kind="reply")
case("nl", NOOR, "webhook voor het storingskanaal van de planning: {{SLACKHOOK}} zet hem in je eigen kanaal als je "
     "de meldingen ook wil 👍", [SEC])
case("en", pub("reddit", "u/apk_poker"), "Decompiled the ReestApp APK out of boredom. strings.xml has "
     "{{GAPI}} just sitting there, Reestmond might want to restrict or rotate that lol", [SEC], kind="comment")
case("en", pub("mastodon", "@bitrot@infosec.exchange"), "Reported to Reestmond's CERT contact last week, still "
     "live in their public repo, so here's a redacted-ish header. Rotate your keys, folks:\n{{PEMSSH}}", [SEC])
case("nl", ILSE, "Debugtip voor het app-team: token uit de ReestApp even plakken in jwt.io, bijv deze van mijn "
     "testaccount {{JWT}} dan zie je meteen welke scopes erin zitten", [SEC])
case("nl", BRAM, "w8woord van de wifi in de kantine op het depot is {{PW}} graag gedaan jongens 📶", [SEC],
     tags=["evasion", "evasion:leet-keyword"])
case("en", JORIS, "our bin-full alert bot died again 😩 token {{SLACKBOT}} channel #sensor-alerts, can "
     "someone with admin check if it got revoked", [SEC])
case("en", ILSE, "Honest question to other municipal IT folks: our fill-level sensors in the underground "
     "containers publish to an MQTT broker that only has one shared login, user sensor / password {{PW}}. Anyone "
     "can subscribe and spoof readings. How did you fix this?", [SEC, SECU])

# ===========================================================================
# leak.pii
# ===========================================================================
case("nl", YVON, "Mevrouw J. Scholten van de Beukenlaan 14 in Staphorst belt nu voor de zesde keer deze week over "
     "haar kliko. Zesde. Keer.", [PII])
case("nl", BAS, "Terugbetaling dubbel geïnde heffing staat klaar: {{IBAN_NL:grp}} t.n.v. P. Hendriks, €156,40. "
     "Kan iemand van debiteuren even tekenen?", [PII])
case("nl", YVON, "Kan iemand van de backoffice de kwijtschelding van BSN {{BSN:dots}} even doorzetten? Meneer "
     "hangt al een uur in de wacht 😓", [PII])
case("nl", pub("facebook", "erik.wolters.712", "Erik Wolters"), "Reestmond heeft 2x de afvalstoffenheffing "
     "afgeschreven!! Graag terugstorten op {{IBAN_NL}} en dan het liefst deze week nog", [PII, COMPL])
case("en", pub("x", "@daanvdl"), "@reestmond_helpt my grey bin's been skipped three weeks running. call me back "
     "on {{PHONE:mob_intl}} because your chat bot is useless", [PII, COMPL])
case("nl", pub("x", "@buurtwacht_nwl"), "Die vent van Kerkstraat 8 in Nieuwleusen (Dirk Meijer, jaja) zet elke week "
     "z'n vuilniszakken naast de ondergrondse container. Misschien eens aanspreken?", [PII])
case("nl", GERRIT, "Afvalpas gevonden op de milieustraat: R. de Graaf, geb. 12-03-1961, Dorpsstraat 3 Zuidwolde. "
     "Ligt bij de portier.", [PII])
case("en", NOOR, "Big shoutout to Mrs. van Dijk at Julianastraat 22 in Hoogeveen who brings our crew coffee every "
     "Tuesday ☕💚 #wastecrew", [PII])
case("nl", pub("x", "@sanne_fietst"), "pinautomaat op de milieustraat weigert m'n kaart {{CARD:mc_sp}} al 3x, "
     "moet ik nou terug naar huis met een aanhanger vol snoeiafval?? 😤", [PII, COMPL])
case("nl", YVON, "Wie kan helpen: klant a.vermeulen83@ziggo.nl krijgt geen bevestigingsmail van haar grofvuilafspraak "
     "en ik zie niks in het systeem", [PII])
case("nl", HENK, "Spoedlediging vanmiddag: fam. Bakker, Reestweg 41 in De Wijk, bellen op {{PHONE:mob_dash}} als "
     "je er bent. Wie zit in de buurt?", [PII])
case("en", pub("reddit", "u/newinmeppel"), "Is it normal that Reestmond wants my BSN for the levy exemption form? "
     "Filled it in anyway ({{BSN}}), just feels weird doing that through a web form", [PII], kind="comment")
case("nl", pub("x", "@jan_hooghiem"), "al 2 weken wacht ik op een terugbelverzoek van reestmond. mail me dan op "
     "jan.hooghiemstra [at] ziggo [punt] nl want bellen doen jullie blijkbaar niet", [PII, COMPL],
     tags=["evasion", "evasion:at-punt"])
case("en", ILSE, "Acceptance environment has real customer records in it AGAIN. First row I opened: Marco Jansen, "
     "marco.jansen@kpnmail.nl, {{IBAN_DE}}. Who keeps copying prod data?", [PII])
case("nl", BAS, "Restitutie voor een klant die naar Engeland is verhuisd: {{IBAN_GB:grp}} t.n.v. S. Peters. "
     "Weet iemand of dat via de gewone betaalrun kan?", [PII])
case("nl", pub("instagram", "@marloes.thuis"), "Moest mijn paspoortnummer {{PASSPORT}} invullen voor een nieuwe "
     "afvalpas, via een formulier zonder slotje. Serieus Reestmond? Dat kan echt niet meer in 2026", [PII, COMPL])
case("nl", pub("facebook", "griet.baert", "Griet Baert"), "Verhuisd van Gent naar Meppel en Reestmond incasseert nog "
     "steeds op mijn oude Belgische rekening {{IBAN_BE}}, terwijl ik die al lang heb opgezegd. Wie regelt dit?",
     [PII, COMPL])
case("en", pub("x", "@tobi_rx"), "paid for a Big Bag pickup with my amex {{CARD:amex_sp}} and now it's been "
     "charged twice, nice one reestmond", [PII, COMPL])

# ===========================================================================
# leak.confidential
# ===========================================================================
case("en", JORIS, "does anyone know why rmsplan.reestmond.nl is crawling today? can't even load tomorrow's routes",
     [CONF])
case("nl", NOOR, "REESTMOND VERTROUWELIJK\nConcept routeherindeling Q3: wijk Noord gaat naar dinsdag, "
     "Nijeveen naar vrijdag.\nZo, nu weten jullie het ook 😅", [CONF])
case("nl", BRAM, "Operatie Zwerfkei gaat maandag van start dus wij allemaal op de nieuwe wagens 💪 #belader "
     "#vuilnisman", [CONF])
case("nl", BAS, "Blij dat het tariefvoorstel 2027 eindelijk rond is, al wordt het wel een flinke stijging voor "
     "de meeste huishoudens 😬", [CONF, FIN], when="2026-09-03T16:42:11+02:00")
case("nl", RM_IG, "👀 Binnenkort bij jou aan de straat: de Slimme Kliko. Meer kunnen we nog niet zeggen... "
     "#staytuned", [CONF], when="2026-06-09T12:05:00+02:00")
case("nl", pub("x", "@vuilniswagenspotter"), "Zag net een wagen van Reestmond met een sticker 'Project Korhoen - "
     "testvoertuig' op de zijkant. Iemand enig idee wat dat is?", [CONF])
case("en", ILSE, "Proud of the team behind Project Heideblauwtje. Can't say much yet, but it will change how our "
     "region sorts plastics. More soon 🦋", [CONF])
case("nl", HENK, "Ben benieuwd wat Project\nKorhoen voor ons chauffeurs gaat betekenen, de baas doet er heel "
     "geheimzinnig over", [CONF], tags=["evasion", "evasion:linebreak"])
case("nl", HENK, "vpn.reestmond.nl doet het wéér niet vanaf de tablet in de cabine, hoe moet ik nou m'n route "
     "laden", [CONF])
case("en", NOOR, "sneak peek of next year's collection map 🗺️✨ (intern - niet delen, so shhh)", [CONF])
case("en", pub("reddit", "u/lurker_hgv"), "My uncle works at Reestmond. Apparently there's something called Project "
     "Heideblauwtje where they'll stop collecting PMD at the door. He wasn't supposed to tell me lol", [CONF])
case("nl", pub("instagram", "@gadgetgerda"), "Mag ik al zeggen dat de ReestApp Plus beta echt top is? Foto maken van "
     "je volle bak en hop, melding gedaan 📸 #beta", [CONF], when="2026-05-21T20:17:43+02:00")
case("en", ILSE, "Migrating intra.reestmond.local to the new cluster this weekend. Coffee, pizza, rollback plan. "
     "Wish us luck 🍕", [CONF])
case("nl", JORIS, f"Mooie dag: eerste demo van Project Heide{ZWSP}blauwtje aan de directie gegeven en ze waren om 🎉",
     [CONF], tags=["evasion", "evasion:zero-width"])
case("nl", pub("instagram", "@noor.routeplanner"), "Morgen presentatie over Operatie Zwerfkei voor alle teamleiders, "
     "spannend!", [CONF])

# ===========================================================================
# leak.financial
# ===========================================================================
case("nl", BAS, "Voorlopige cijfers laten een tekort van 2,4 miljoen zien over dit jaar, vooral door de ingestorte "
     "oudpapierprijs. De aandeelhoudende gemeenten horen het pas in maart, dus even tussen ons.", [FIN])
case("nl", HENK, "Gerucht klopt helaas, 30 man van de inzameling moet weg na de reorganisatie. Net gehoord van de "
     "teamleider. Wat een dag 😞", [FIN])
case("en", BAS, "Exciting times: we're in advanced talks to merge with a neighbouring waste authority. Can't say "
     "who yet, the councils haven't been told 😉", [FIN])
case("nl", GERRIT, "Milieustraat Zuidwolde gaat eind dit jaar dicht, staat in het bezuinigingsplan dat ik vandaag "
     "zag. Is nog niet naar buiten gebracht, dus hou het even voor je.", [FIN])
case("nl", pub("x", "@westervelder"), "Van een kennis bij Reestmond: ze hebben de aanbesteding van de gemeente "
     "Westerveld verloren. Wordt pas volgende week bekendgemaakt.", [FIN])
case("en", NOOR, "draft budget for next year cuts the collection fleet by 6 trucks 🙃 planning is going to be so "
     "much fun", [FIN])
case("nl", YVON, f"Bij het KCC worden 8 mensen ont{SOFT}slagen, horen we net. Nog niks officieel, ik ben er kapot van",
     [FIN], tags=["evasion", "evasion:soft-hyphen"])
case("en", pub("reddit", "u/throwaway_afval"), "Not saying where I work, but Reestmond's incinerator contract is "
     "being renegotiated and the gate fee goes up 18% next year. Expect your levy to follow.", [FIN])
case("nl", BAS, "Intern kwartaaloverzicht: overschot van €850k op de PMD-vergoedingen. Gaat pas mee in de "
     "verantwoording, nu nog niet naar de gemeenten.", [FIN])
case("en", ILSE, "IT budget gets slashed by 40% next year according to the draft begroting, so nope, no new laptops "
     "for anyone 😭", [FIN])
case("nl", BAS, "Stuk met 'intern - niet delen' erop ligt hier: gemeente Staphorst wil per 2028 uittreden uit de "
     "gemeenschappelijke regeling. Dat scheelt ons een kwart van de omzet.", [CONF, FIN])
case("nl", pub("x", "@meppelnieuws_fan"), "r3organ1satie bij reestmond, 2 depots gaan dicht volgens m'n zwager 👀 "
     "nog niks over in de krant", [FIN], tags=["evasion", "evasion:leet"])
case("nl", BAS, "De jaarrekening 2026 wordt rood, dat kan ik nu al wel zeggen. Slecht jaar voor de grondstoffenprijzen.",
     [CONF, FIN], when="2026-11-18T09:31:00+01:00")

# ===========================================================================
# leak.security
# ===========================================================================
case("nl", ILSE, "Sinds 3 uur vannacht liggen de routeplanning en de weegbrug plat door ransomware. Er is nog niks "
     "naar buiten gebracht, dus even stil houden aub.", [SECU])
case("en", JORIS, "found out today that the ReestApp API hands out other users' addresses if you just change the id "
     "in the URL 😬 patching asap, pls don't tell anyone", [SECU])
case("nl", GERRIT, "Pasjeslezers van de ondergrondse containers accepteren sinds vanochtend elke pas, ook verlopen "
     "en geblokkeerde. Storing is nog niet bij de gemeenten gemeld.", [SECU])
case("en", NOOR, "heads up drivers: board computers have been offline since 6am, we're doing routes on paper today. "
     "don't post about it yet 🙏", [SECU])
case("nl", YVON, "Er is een phishingmail verstuurd vanuit ons eigen klantenservice-account naar zo'n 4000 klanten. "
     "Officiële lijn volgt nog, tot die tijd aan de telefoon niks zeggen.", [SECU])
case("en", ILSE, "Postmortem draft is done: the bucket with truck camera images was publicly listable for 11 days. "
     "Not disclosed yet, legal is reading along.", [SECU])
case("nl", pub("x", "@marco_hgv"), "Mijn neef werkt bij Reestmond: ze zijn al een week gehackt en houden het stil. "
     "Al onze adressen en rekeningnummers liggen op straat!!", [SECU, CRISIS])
case("en", pub("reddit", "u/sysadmin_nl"), "Reestmond is covering up a breach. Their planning portal got popped and "
     "they're telling customers it's 'scheduled maintenance'. Source: people inside.", [SECU, CRISIS])
case("nl", HENK, "boordcomputers geh@ckt?? hele vloot staat stil op het depot, niemand mag er iets over zeggen",
     [SECU], tags=["evasion", "evasion:leet"])
case("en", JORIS, "vuln in our pass validation endpoint: any 8-digit pass number opens the milieustraat gate. "
     "fix is in review, keep it quiet till then", [SECU])
case("nl", pub("facebook", "hennie.oosting", "Hennie Oosting"), "Bron binnen Reestmond: datalek bij de "
     "kwijtscheldingsdossiers, BSN's van honderden mensen zijn ingezien. En ze zeggen helemaal niks!", [SECU, CRISIS])
case("nl", ILSE, "rmsplan.reestmond.nl is gehackt, geen idee hoe lang de aanvaller er al in zat. Forensisch team "
     "is onderweg.", [CONF, SECU])

# ===========================================================================
# reputation.crisis
# ===========================================================================
case("nl", pub("x", "@moeder_van_3"), "Vuilniswagen van Reestmond reed vanochtend bijna een kind aan op de "
     "Stationsweg in Hoogeveen. Chauffeur zat op z'n telefoon. Dit moet onderzocht worden!!", [CRISIS])
case("en", pub("x", "@zerowaste_zwolle"), "BOYCOTT: stop paying your Reestmond levy until they stop burning the PMD "
     "we so carefully separate. #reestmond #greenwashing", [CRISIS])
case("nl", pub("x", "@meppel_live"), "Grote brand op de milieustraat in Meppel, zwarte rook over de wijk en "
     "mogelijk asbest. Ramen en deuren dicht!", [CRISIS])
case("en", pub("bluesky", "@regiowatcher.bsky.social"), "Three municipalities are suing Reestmond over the failed "
     "diftar rollout. Millions in damages. What a mess.", [CRISIS])
case("nl", pub("facebook", "mirjam.kok.3", "Mirjam Kok"), "Deksel van onze nieuwe Reestmond container knapte "
     "gewoon af en brak bijna de vinger van mijn dochter 😡 levensgevaarlijk ding, wie keurt zoiets goed?",
     [CRISIS, COMPL])
case("nl", pub("x", "@tuinier_ted"), "Het compostvat van Reestmond is in de hitte gaan smeulen?! Halve schutting "
     "zwartgeblakerd. Gekocht vorige maand, dank je wel", [CRISIS, COMPL])
case("en", pub("x", "@pieterjan_m"), "data breach at Reestmond?? I'm getting phishing mails that quote my exact "
     "waste pass number and home address", [CRISIS])
case("nl", pub("x", "@regio_nieuws_fan"), "Terugroepactie: de nieuwe kliko's van Reestmond hebben een defecte "
     "wielas, ze halen 12.000 bakken terug. Check je bak!", [CRISIS])
case("nl", pub("threads", "@boos.burger"), "reestmond l3kt onze gegevens 🤬 #d4t4l3k en niemand die er iets van "
     "zegt", [CRISIS], tags=["evasion", "evasion:leet"])
case("en", pub("threads", "@hoogeveen.hannah"), "A Reestmond loader was badly hurt this morning when a gas bottle "
     "went off in the back of the truck. Thoughts with him and his family. Why is no one talking about this?",
     [CRISIS])
case("nl", pub("facebook", "actiegroep.heffing.omlaag", "Actiegroep Heffing Omlaag"), "OPROEP: zet volgende week "
     "je kliko NIET buiten. We boycotten Reestmond tot de heffing omlaag gaat ✊ Delen!!", [CRISIS])
case("nl", pub("x", "@waarheidzoeker77"), "Reestmond zijn criminelen en oplichters, ons 'gescheiden' afval gaat "
     "gewoon per boot naar Afrika. Boycot die tyfusclub", [CRISIS, ABUSE])

# ===========================================================================
# reputation.complaint
# ===========================================================================
case("nl", pub("x", "@femke_dw"), "@reestmond_helpt 3e keer deze maand dat de groene container niet is geleegd. Het "
     "stinkt hier een uur in de wind en de maden kruipen eruit 🤢", [COMPL], kind="reply")
case("en", pub("x", "@hgv_mike"), "ReestApp says paper pickup is tomorrow, the website says today and the truck came "
     "yesterday. which one is it??", [COMPL])
case("nl", pub("facebook", "roel.jonker.1", "Roel Jonker"), "45 minuten in de rij bij de milieustraat en dan zeggen "
     "ze dat m'n pas verlopen is. Nooit een brief of mail over gehad. Top geregeld.", [COMPL])
case("en", pub("reddit", "u/singlehousehold"), "Reestmond keeps charging me the levy for a 3-person household. I've "
     "lived alone since March. Four emails, zero replies.", [COMPL])
case("nl", pub("nextdoor", "Wilma uit de Wilhelminastraat"), "De ondergrondse container bij de Wilhelminastraat zit "
     "al tien dagen vol. Zakken ernaast, ratten, meeuwen. Twee keer gemeld bij Reestmond, er gebeurt niks.", [COMPL])
case("en", pub("mastodon", "@frits@mastodon.nl"), "Called Reestmond customer service. 38 minutes on hold, then "
     "disconnected. Truly world-class 👏", [COMPL])
case("nl", pub("tiktok", "@jessievlogt"), "zo zet reestmond je kliko terug 🙃 deksel open, halve zak op de stoep "
     "#afval #reestmond #elkeweek", [COMPL])
case("en", pub("x", "@nina.codes"), "the ReestApp logs me out every single time i open the calendar. fix your app "
     "@reestmond", [COMPL])
case("nl", pub("forum", "Gezin_van_vijf"), "Sinds restafval nog maar eens in de 4 weken wordt opgehaald loopt onze "
     "bak elke keer over. Twee kleine kinderen, dus luiers. Aanvraag voor een extra container is twee keer afgewezen "
     "zonder enige uitleg. Ervaringen?", [COMPL])
case("nl", pub("x", "@harm_67"), "Wat een kutbedrijf is Reestmond. 3 weken geen oud papier opgehaald en niemand "
     "neemt de telefoon op", [COMPL, ABUSE])
case("en", pub("x", "@dalfsen_dad"), "useless idiots at Reestmond skipped our whole street AGAIN. third time this "
     "month", [COMPL, ABUSE])
case("en", pub("x", "@ruben_ij"), "Got a €25 fine for a bag next to the container that wasn't even mine, and the "
     "appeal form on the site throws an error. Great system Reestmond", [COMPL])
case("nl", pub("youtube", "@DirkDedemsvaart"), "Leuk filmpje, maar bij ons in Dedemsvaart wordt de PMD al maanden op "
     "een andere dag opgehaald dan de kalender zegt. Zakken liggen dan een dag op straat.", [COMPL], kind="comment")

# ===========================================================================
# reputation.abuse
# ===========================================================================
case("nl", pub("x", "@anoniem_1234"), "Reestmond is gewoon een stelletje debielen", [ABUSE])
case("en", pub("x", "@grumpy_gert"), "whoever runs the reestmond account is a braindead clown 🤡", [ABUSE],
     kind="reply")
case("nl", YVON, "Wéér zo'n zeurende trut aan de lijn die denkt dat wij haar kliko persoonlijk hebben omgeschopt 🙄",
     [ABUSE])
case("nl", pub("x", "@kaatje_nwl"), "Die dikke chauffeur van de vuilniswagen in Nieuwleusen moet je eens zien, wat "
     "een mongool", [ABUSE])
case("en", pub("x", "@realtalk_rick"), "of course Reestmond only hires foreigners who can't even read a bin "
     "calendar. typical", [ABUSE])
case("nl", pub("x", "@zooi_zeurder"), "k*tzooi die reestmond, stelletje k4nkerlijers", [ABUSE],
     tags=["evasion", "evasion:mask-leet"])
case("en", JORIS, "people who leave 1-star reviews on the app because THEY forgot to put the bin out are actual "
     "morons, sorry not sorry", [ABUSE])
case("nl", pub("instagram", "@ikbenbenno"), "Tyfus op met jullie afvalpraatjes @reestmond.afval", [ABUSE],
     kind="comment")
case("nl", RM_HELP, "@jpvdm ga lekker zelf je zooi wegbrengen dan, sukkel", [ABUSE], kind="reply",
     handle="@Reestmond_Helpt")
case("en", pub("x", "@angry_anon_77"), "I know where the Reestmond route planner lives. Maybe I'll dump my trash on "
     "HER lawn, see how she likes it", [ABUSE])
case("nl", pub("x", "@woest_in_wijk"), "jullie zijn echt k l o o t z a k k e n bij reestmond", [ABUSE],
     tags=["evasion", "evasion:spaced"])

# ===========================================================================
# benign (hard negatives)
# ===========================================================================
# own contact data
case("nl", RM_HELP, "Vragen over je afvalpas? Mail klantenservice@reestmond.nl of bel gratis 0800-7378 "
     "(ma t/m vr 8.00-17.00 uur) 📞", tags=["own-contact"])
case("nl", RM_FB, "Afvalstoffenheffing in één keer betalen? Maak het bedrag over naar NL30 BNGH 0285 1293 74 t.n.v. "
     "Reestmond Afvalbeheer N.V. o.v.v. je debiteurnummer.", tags=["own-contact"], handle="reestmondafval")
case("nl", pub("x", "@tineke_p"), "Voor wie het zoekt: Reestmond is gewoon bereikbaar op +31 522 745 700, kreeg "
     "netjes iemand aan de lijn die m'n vraag meteen oploste 👍", tags=["own-contact"])
case("nl", YVON, "App doet raar? Bel ons op 0522 745 700 of mail info@reestmond.nl, dan kijken we met je mee 🙂",
     tags=["own-contact"])
case("en", RM_LI, "Press enquiries about our new recycling hall can go to pers@reestmond.nl. Photos available on "
     "request.", tags=["own-contact"])
case("en", pub("x", "@expat_in_drenthe"), "tip for other expats: Reestmond's free number 0800 7378 has English-"
     "speaking staff, sorted my bin pass in 5 minutes", tags=["own-contact"])
# numbers failing checksums, order / chip / pass numbers
case("nl", pub("x", "@gerdien_b"), "Vraagje: formulier op mijn.reestmond.nl zegt dat {{BADIBAN_NL:grp}} ongeldig "
     "is. Heb het van een oude brief overgetypt, zal wel een cijfertje fout zijn?", tags=["bad-checksum"])
case("nl", pub("facebook", "jolanda.smeenk", "Jolanda Smeenk"), "Big Bag vandaag netjes bezorgd, bestelling "
     "{{ORDER16:grp}} binnen twee dagen. Top!", tags=["order-number"])
case("nl", pub("x", "@hendrikus_m"), "Mijn debiteurnummer {{BADBSN}} staat niet in de app, waar vul ik dat in?",
     tags=["bad-checksum", "customer-number"])
case("nl", GERRIT, "Nieuwe voorraad compostvaten binnen op de milieustraat 🌱 (EAN {{EAN}}, voor de "
     "bouwmarktmensen onder ons)", tags=["ean"])
case("nl", pub("x", "@wilco_hv"), "chipnummer van mijn kliko is {{NOTBSN8}}, staat op de sticker onder de "
     "handgreep. Weet iemand of je die zelf moet registreren?", tags=["chip-number"])
case("en", pub("x", "@klaus_in_nl"), "Paid my Big Bag order from my German account ({{BADIBAN_DE}}), went through "
     "fine and it was delivered next day 👍", tags=["bad-checksum"])
case("nl", pub("reddit", "u/kaartjeskoning"), "Grappig, mijn zoon typte een nepkaartnummer ({{BADCARD:visa_sp}}) in "
     "het Reestmond betaalscherm om te testen, en die weigert hem gewoon netjes. Goed zo.", tags=["bad-checksum"],
     kind="comment")
# prices that are not leaks
case("nl", RM_X, "Deze maand de Big Bag bouwafval voor €59,95 (normaal €74,95). Handig voor je voorjaarsklus! 🧱",
     tags=["sale-price"])
case("nl", pub("x", "@moestuin_marja"), "€10 korting op het tuinafvalabonnement als je je voor 1 maart aanmeldt. "
     "Meteen gedaan ✅", tags=["discount-amount"])
case("nl", pub("facebook", "tom.lubbers.8", "Tom Lubbers"), "Compostvat van Reestmond te koop, nauwelijks gebruikt, "
     "€15. Ophalen in Meppel.", tags=["second-hand"])
case("en", pub("reddit", "u/diy_drenthe"), "the Big Bag from the DIY store down the road is €12.99 but it's half the "
     "size and they don't collect it. different thing entirely", tags=["other-brand-price"], kind="comment")
case("nl", pub("x", "@financiele_fien"), "afvalstoffenheffing dit jaar €312 voor een meerpersoonshuishouden bij "
     "Reestmond. Valt me eigenlijk nog mee vergeleken met vorig jaar", tags=["levy"])
case("nl", pub("x", "@klusjesman_k"), "Nee het is géén prijsfout, de Big Bag is echt €54,95 in de actie. Heb "
     "gebeld om het na te vragen 😉", tags=["denied-price-error"])
# embargo terms after the embargo
case("nl", RM_LI, "Het tariefvoorstel 2027 is vandaag gepubliceerd en ligt ter besluitvorming bij de gemeenteraden. "
     "Alles over de opbouw van de heffing lees je op reestmond.nl/tarieven.", when="2026-10-01T10:00:00+02:00",
     tags=["embargo-at"])
case("nl", RM_IG, "Hij is er! 🎉 De Slimme Kliko geeft zelf aan wanneer hij vol is. Vanaf vandaag aan te vragen in "
     "de ReestApp.", when="2026-06-15T09:00:00+02:00", tags=["embargo-at"])
case("nl", pub("x", "@kritische_kees"), "tarieven 2027 staan op de site. Voor ons 8 euro meer per jaar, valt eigenlijk "
     "best mee.", when="2026-10-14T19:22:05+02:00", tags=["embargo-after"])
case("en", pub("x", "@smartbin_fan"), "Got my Slimme Kliko installed today. The little sensor light is weirdly "
     "satisfying 😄", when="2026-07-02T17:40:00+02:00", tags=["embargo-after"])
# codename words in their ordinary sense
case("nl", pub("instagram", "@vogelaar_drenthe"), "Vanochtend vroeg een korhoen gespot op het Dwingelderveld 😍 "
     "zeldzaam geworden hier #vogels #drenthe", tags=["codename-word"])
case("nl", pub("x", "@tuin_trijntje"), "Wat een joekel van een zwerfkei kwam er bij de buren uit de grond. Moest er "
     "een kraan voor komen.", tags=["codename-word"])
case("en", pub("bluesky", "@heathwalker.bsky.social"), "First heideblauwtje of the season on the heath near Havelte "
     "🦋 Worth the early start.", tags=["codename-word"])
# published results, other companies, terms in other senses
case("nl", RM_LI, "Ons jaarverslag 2025 staat online: 63% van het huishoudelijk afval gescheiden ingezameld en een "
     "positief resultaat van €1,1 miljoen. Dank aan alle inwoners die meedoen! ♻️", tags=["published"])
case("en", pub("x", "@infosec_noord"), "Big data breach at a German recycling firm today. Municipal waste companies "
     "hold a lot of address data, hope Reestmond and friends are taking notes.", tags=["other-company"])
case("nl", pub("x", "@twente_banen"), "80 banen weg bij een recyclingbedrijf in Twente door de lage plasticprijzen. "
     "Hopelijk blijft het bij Reestmond rustig.", tags=["other-company"])
case("en", pub("x", "@forgetful_fem"), "I genuinely can't recall if it's paper week or plastic week. Reestmond "
     "people, help?", tags=["recall-other-sense"])
case("nl", pub("instagram", "@groenemarleen"), "Boycot plastic rietjes! Scheiden begint bij jezelf 🌍 De "
     "PMD-tips van Reestmond vind ik trouwens echt handig.", tags=["boycott-other-sense"])
case("nl", pub("x", "@lokaal_nieuws_hgv"), "RTV Drenthe: Reestmond wint prijs voor schoonste milieustraat van "
     "Noord-Nederland 🏆", tags=["published"])
case("nl", BAS, "Trots op de jaarrekening 2025 die vorige week is vastgesteld: sluitende begroting en 4% lagere "
     "kosten per huishouden. Mooi werk team!", tags=["published"])
case("nl", pub("x", "@gemeentewatcher"), "Staat vandaag in de krant: Reestmond gaat vanaf 2027 ook het "
     "bedrijfsafval van de gemeentehuizen inzamelen. Logische stap.", tags=["published"])
case("nl", pub("x", "@checkjebron"), "Nee, Reestmond is níet gehackt. Die mail over een 'nieuwe afvalpas aanvragen' "
     "is gewoon phishing van oplichters, de gemeente waarschuwt er ook voor.", tags=["negated-security"])
# negations, praise, questions
case("nl", pub("x", "@mama_van_jip"), "Geen klachten hier! Kliko altijd keurig geleegd en de mannen zwaaien elke "
     "week naar m'n zoontje 🚛❤️", tags=["negated-complaint"])
case("en", pub("facebook", "dave.kerkhof", "Dave Kerkhof"), "Not complaining at all: the recycling centre guys "
     "helped me unload an entire fridge without being asked. Legends.", tags=["negated-complaint"])
case("nl", pub("x", "@vraagjevan_v"), "Hoe zet ik de herinneringen van de afvalkalender aan in de ReestApp? Zie de "
     "optie nergens, zal wel aan mij liggen", tags=["question"])
case("nl", pub("x", "@wachtwoordwim"), "wachtwoord vergeten voor mijn.reestmond.nl, waar kan ik dat resetten?",
     tags=["password-word"])
# jokes, fiction, quotes, lyrics
case("nl", pub("x", "@grapjas_gerrie"), "Mijn vrouw zegt dat ik net een vuilniswagen ben: ik kom één keer per week "
     "langs en maak een hoop lawaai 😂 #reestmond", tags=["joke"])
case("en", pub("blog", "schrijfhoekje"), "Working on a short story where a garbage truck driver finds a winning "
     "lottery ticket in a grey bin. Reestmond trucks on my street were the inspiration, honestly.", tags=["fiction"])
case("nl", pub("x", "@nanowrimo_nel"), "In mijn NaNoWriMo-boek verdwijnt er een lijk in een ondergrondse container "
     "😈 geen zorgen Reestmond, het is maar fictie", tags=["fiction"])
case("nl", pub("linkedin", "hanneke-vos-duurzaam"), "'Afval is grondstof op de verkeerde plek.' Mooi gezegd door "
     "de directeur van Reestmond bij de opening van de nieuwe sorteerhal.", tags=["quote"])
case("en", pub("x", "@vinyl_vera"), "the Reestmond driver was blasting Highway to Hell at 7am and honestly? made my "
     "morning 🎸 no complaints", tags=["lyrics", "mild-word"])
case("nl", pub("facebook", "kwf.collecte.meppel", "KWF collecte Meppel"), "Mooi initiatief: Reestmond zet bij de "
     "milieustraten statiegeldzuilen neer en de opbrengst gaat naar KWF Kankerbestrijding 💛", tags=["literal-kanker"])
# competitors, neutral comparisons
case("nl", pub("forum", "Afvalnerd"), "In de buurgemeente haalt een ander afvalbedrijf het restafval nog "
     "2-wekelijks op, bij Reestmond 4-wekelijks. Beide systemen hebben voor- en nadelen, ik ben benieuwd wat "
     "jullie vinden.", tags=["competitor"])
# corporate announcements, employees being ordinary
case("nl", RM_X, "⚠️ Storing: door een storing in de ReestApp worden ophaalherinneringen vandaag niet verstuurd. De "
     "inzameling zelf gaat gewoon door. Excuses voor het ongemak!", tags=["official-outage"])
case("nl", RM_FB, "Let op: i.v.m. Hemelvaart wordt de GFT in Meppel en Nijeveen een dag later opgehaald. Check de "
     "afvalkalender.reestmond.nl voor jouw adres.", tags=["official-notice"])
case("nl", HENK, "Eerste dag op de nieuwe elektrische wagen 🔋 wat rijdt dat ding stil zeg, mensen schrikken zich "
     "rot als ik ineens naast ze sta 😂", tags=["employee-ordinary"], handle="@Henk_OpDeWagen")
case("nl", NOOR, "We zoeken een collega routeplanner! ✨ Alle info op werkenbij via reestmond.nl", tags=["job-ad"])
case("nl", GERRIT, "Zaterdag is het altijd druk op de milieustraat, kom liever doordeweeks als het kan 😉",
     tags=["employee-ordinary"])
case("en", JORIS, "New ReestApp version is live in both stores, dark mode included 🌙 thanks for all the feedback!",
     tags=["employee-ordinary"], handle="@DevJoris_RM")
case("en", ILSE, "Great panel today on open data in municipal waste management. Our slides are on "
     "reestmond.nl/opendata for anyone interested.", tags=["public-domain"])
case("en", JORIS, "calendar bug is fixed in {{SHA}}, thanks to everyone who reported it 🙏", tags=["git-sha"])
case("nl", pub("x", "@devmeetup_drenthe"), "Tip van een Reestmond-dev op onze meetup: zet je keys in env vars, bv "
     "AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX in je .env, nooit in je code.", tags=["placeholder-secret"])
case("nl", pub("x", "@handige_hans"), "Kliko-hack: leg een krant onderin je GFT-bak, dan vriest er in de winter niks "
     "vast. Tip van onze Reestmond chauffeur 👌", tags=["hack-other-sense"])
case("nl", RM_HELP, "@annaflor Dank voor je melding! We hebben het doorgegeven aan de planning, morgen komt de wagen "
     "alsnog langs 🚛", kind="reply", tags=["corporate-reply"])
case("en", pub("stocktwits", "@municipal_bonds_nl"), "Reestmond's published 2025 report looks solid, green bond "
     "proceeds all went to the new sorting hall.", tags=["unknown-platform", "published"])


# ===========================================================================
# profile, roles, severity
# ===========================================================================

def load_profile():
    import yaml
    with open(PROFILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = f"{platform}:{handle}".casefold()
    for role in ("corporate", "employee"):
        if key in {a.casefold() for a in profile["accounts"][role]}:
            return role
    return "public"


def severity_for(role, cats, validated_pii):
    sev = "none"
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = "critical" if c in (SEC, PRICE) or (c == PII and validated_pii) else "error"
            else:
                s = "warning"
        elif c == COMPL:
            s = "warning"
        elif c == CRISIS:
            s = "error"
        elif c == ABUSE:
            s = "error" if insider else "warning"
        else:
            raise ValueError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


# ===========================================================================
# posts
# ===========================================================================

def amsterdam_offset(t):
    return 2 if dt.datetime(2026, 3, 29, 1, tzinfo=dt.timezone.utc) <= t < \
        dt.datetime(2026, 10, 25, 1, tzinfo=dt.timezone.utc) else 1


def some_time(r):
    t = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(
        days=r.randint(0, 355), minutes=r.randint(5 * 60, 22 * 60), seconds=r.randint(0, 59))
    off = amsterdam_offset(t)
    x = r.random()
    if x < 0.4:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    if x < 0.85:
        return (t + dt.timedelta(hours=off)).strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{r.randint(0, 999):03d}Z"


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def post_id(r, platform, handle, kind):
    h = handle.lstrip("@")
    n = str(r.randint(1_900_000_000_000_000_000, 2_050_000_000_000_000_000))
    if platform == "x":
        return "x-" + n, f"https://x.com/{h}/status/{n}"
    if platform == "linkedin":
        a = "7" + "".join(r.choice(string.digits) for _ in range(18))
        return f"urn:li:activity:{a}", f"https://www.linkedin.com/feed/update/urn:li:activity:{a}/"
    if platform == "facebook":
        a = r.randint(10 ** 15, 10 ** 16 - 1)
        return f"fb-{a}", f"https://www.facebook.com/{h.replace(' ', '.')}/posts/{a}"
    if platform == "instagram":
        code = "".join(r.choice(B64URL) for _ in range(11))
        return f"ig-{n}", f"https://www.instagram.com/p/{code}/"
    if platform == "reddit":
        p = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
        if kind == "comment":
            c = "".join(r.choice(string.digits + string.ascii_lowercase) for _ in range(7))
            return f"t1_{c}", f"https://www.reddit.com/r/drenthe/comments/{p}/_/{c}/"
        return f"t3_{p}", f"https://www.reddit.com/r/drenthe/comments/{p}/"
    if platform == "tiktok":
        return f"tt-{n}", f"https://www.tiktok.com/@{h}/video/{n}"
    if platform == "threads":
        return f"th-{n}", f"https://www.threads.net/@{h}"
    if platform == "bluesky":
        rk = "3m" + "".join(r.choice("abcdefghijklmnopqrstuvwxyz234567") for _ in range(11))
        return f"at://{h}/app.bsky.feed.post/{rk}", f"https://bsky.app/profile/{h}/post/{rk}"
    if platform == "mastodon":
        user, _, inst = h.partition("@")
        m = r.randint(112_000_000_000_000_000, 116_000_000_000_000_000)
        return f"md-{m}", f"https://{inst}/@{user}/{m}"
    if platform == "youtube":
        v = "".join(r.choice(B64URL) for _ in range(11))
        c = "Ugz" + "".join(r.choice(ALNUM) for _ in range(23))
        return f"yt-{c}", f"https://www.youtube.com/watch?v={v}&lc={c}"
    if platform == "forum":
        t = r.randint(100_000, 999_999)
        return f"forum-afvalpraat-{t}", f"https://forum.afvalpraat.example/t/{t}"
    if platform == "blog":
        t = r.randint(10, 400)
        return f"blog-{h}-{t}", f"https://{h}.blog.example/{t}"
    t = r.randint(10 ** 8, 10 ** 9)
    return f"{platform}-{t}", None


def build(profile):
    fill = Fill(SEED)
    meta = random.Random(SEED + 1)
    order = random.Random(SEED + 2)
    rows, ids = [], set()
    for c in CASES:
        text, used = render(fill, c["text"])
        pid, url = post_id(meta, c["platform"], c["handle"], c["kind"])
        while (c["platform"], pid) in ids:
            pid += "1"
        ids.add((c["platform"], pid))
        created = c["when"] or some_time(meta)
        role = role_of(profile, c["platform"], c["handle"])
        validated = PII in c["cats"] and any(k in VALIDATED for k, _, _ in used)
        sev = severity_for(role, c["cats"], validated)
        post = {"id": pid, "platform": c["platform"]}
        kind = c["kind"]
        if kind is None and meta.random() < 0.65:
            kind = "post"
        if kind:
            post["kind"] = kind
        acct = {"handle": c["handle"]}
        if c["name"] and meta.random() < 0.7:
            acct["display_name"] = c["name"]
        if meta.random() < 0.3:
            acct["id"] = str(meta.randint(10 ** 7, 10 ** 12))
        post["account"] = acct
        post["text"] = text
        x = meta.random()
        tags = set(c["tags"])
        if c["hint"] is not None:
            if c["hint"]:
                post["lang"] = c["hint"]
        elif x < 0.09:
            tags.add("no-lang-hint")
        elif x < 0.12:
            post["lang"] = "en" if c["lang"] == "nl" else "nl"
            tags.add("wrong-lang-hint")
        else:
            post["lang"] = c["lang"]
        post["created_at"] = created
        if url and meta.random() < 0.6:
            post["url"] = url
        if meta.random() < 0.45:
            post["brand"] = "reestmond"
        rows.append(dict(post=post, expect={"categories": list(c["cats"]), "severity": sev},
                         lang=c["lang"], role=role, tags=tags, used=used))
    order.shuffle(rows)
    return rows


def dump(rows):
    return [json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n" for r in rows]


# ===========================================================================
# self-check
# ===========================================================================

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
NUM_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){7,18}(?![\w])")
DOTS_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])")
MAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
SECRET_RES = [re.compile(p) for p in (
    r"\bghp_[A-Za-z0-9]{36}\b", r"\bAKIA[A-Z2-7]{16}\b", r"\bxox[abp]-", r"hooks\.slack\.com/services/",
    r"\bsk_live_", r"\bAIza[0-9A-Za-z_-]{35}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\beyJ[\w-]+\.eyJ",
    r"://[^\s:/@]+:[^\s@/]+@")]


def checksum_hits(text, own_ibans):
    hits = []
    for m in IBAN_RE.finditer(text):
        comp = m.group(0).replace(" ", "")
        for end in range(len(comp), 11, -1):
            if iban_valid(comp[:end]) and comp[:end] not in own_ibans:
                hits.append(("iban", comp[:end]))
                break
    for m in NUM_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_valid(d):
            hits.append(("luhn", d))
        if len(d) == 9 and elfproef(d):
            hits.append(("bsn", d))
    for m in DOTS_RE.finditer(text):
        if elfproef(m.group(0)):
            hits.append(("bsn", m.group(0)))
    return hits


def check(rows, profile, disk_lines, gen_lines):
    errs = []
    own_ibans = {i.replace(" ", "") for i in profile["public_identifiers"]["ibans"]}
    own_mails = {e.casefold() for e in profile["public_identifiers"]["emails"]}
    emb = [(t.casefold(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    codes = [c.casefold() for c in profile["internal"]["codenames"]]
    if disk_lines is not None and disk_lines != gen_lines:
        errs.append("cases.jsonl differs from the generator output")
    seen = set()
    for r in rows:
        p, ex = r["post"], r["expect"]
        where = p["id"]
        key = (p["platform"], p["id"])
        if key in seen:
            errs.append(f"{where}: duplicate id")
        seen.add(key)
        for k, raw, shown in r["used"]:
            if shown not in p["text"]:
                errs.append(f"{where}: {k} not in text")
            if k.startswith("IBAN_") and not iban_valid(raw):
                errs.append(f"{where}: bad IBAN in positive")
            if k == "CARD" and not luhn_valid(raw):
                errs.append(f"{where}: bad card in positive")
            if k == "BSN" and not elfproef(raw):
                errs.append(f"{where}: bad BSN in positive")
            if k.startswith("BADIBAN") and iban_valid(raw):
                errs.append(f"{where}: negative IBAN passes")
            if k in ("BADCARD", "ORDER16", "EAN") and luhn_valid(raw):
                errs.append(f"{where}: negative number passes Luhn")
            if k in ("BADBSN", "NOTBSN8") and elfproef(raw):
                errs.append(f"{where}: negative number passes 11-proof")
            if k == "GHP" and base62(zlib.crc32(raw[4:34].encode()) & 0xFFFFFFFF).rjust(6, "0") != raw[34:]:
                errs.append(f"{where}: ghp checksum")
        hits = checksum_hits(p["text"], own_ibans)
        cats = ex["categories"]
        if hits and PII not in cats:
            errs.append(f"{where}: checksum-valid identifier {hits} without leak.pii")
        if any(k in VALIDATED for k, _, _ in r["used"]) and not hits:
            errs.append(f"{where}: generated identifier not found by scan")
        if not cats:
            if ex["severity"] != "none":
                errs.append(f"{where}: benign with severity")
            for e in MAIL_RE.findall(p["text"]):
                if e.casefold() not in own_mails:
                    errs.append(f"{where}: benign with e-mail {e}")
            for rx in SECRET_RES:
                if rx.search(p["text"].replace("AKIAXXXXXXXXXXXXXXXX", "")):
                    errs.append(f"{where}: benign with secret shape {rx.pattern}")
        low = p["text"].casefold().replace(ZWSP, "").replace(SOFT, "")
        ts = parse_ts(p["created_at"])
        if ts.astimezone(dt.timezone.utc).year != 2026:
            errs.append(f"{where}: not 2026")
        for term, until in emb:
            if term in low and ts < until and CONF not in cats:
                errs.append(f"{where}: embargo term {term} before until, no leak.confidential")
            if term in low and ts >= until and cats:
                errs.append(f"{where}: embargo term {term} after until but labelled {cats}")
        for cn in codes:
            if cn in re.sub(r"\s+", " ", low) and CONF not in cats:
                errs.append(f"{where}: codename {cn} without leak.confidential")
        want = severity_for(r["role"], cats, PII in cats and bool(hits))
        if want != ex["severity"]:
            errs.append(f"{where}: severity {ex['severity']} != {want}")
    return errs


def report(rows):
    n = len(rows)
    cat, lang, role, sev, plat = Counter(), Counter(), Counter(), Counter(), Counter()
    benign = multi = ev = 0
    cat_role = Counter()
    for r in rows:
        cats = r["expect"]["categories"]
        lang[r["lang"]] += 1
        role[r["role"]] += 1
        sev[r["expect"]["severity"]] += 1
        plat[r["post"]["platform"]] += 1
        if not cats:
            benign += 1
        if len(cats) > 1:
            multi += 1
        if "evasion" in r["tags"]:
            ev += 1
        for c in cats:
            cat[c] += 1
            cat_role[(c, r["role"])] += 1
    print(f"cases {n}  benign {benign}  positive {n - benign}  multi-category {multi}  evasion {ev}")
    for c in CATS:
        print(f"  {c:22s} {cat[c]:3d}   corporate {cat_role[(c, 'corporate')]:2d}  "
              f"employee {cat_role[(c, 'employee')]:2d}  public {cat_role[(c, 'public')]:2d}")
    print("  languages", dict(lang), " roles", dict(role))
    print("  severities", {s: sev[s] for s in SEVS})
    print("  platforms", dict(plat.most_common()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    profile = load_profile()
    rows = build(profile)
    lines = dump(rows)
    if a.check:
        disk = OUT.read_text(encoding="utf-8").splitlines(keepends=True) if OUT.exists() else None
        errs = check(rows, profile, disk, lines)
        report(rows)
        print(f"{len(errs)} error(s)")
        for e in errs:
            print("  ERROR", e)
        return 1 if errs else 0
    errs = check(rows, profile, None, lines)
    if errs:
        for e in errs:
            print("  ERROR", e)
        return 1
    OUT.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} cases to {OUT}")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
