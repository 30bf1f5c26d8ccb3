#!/usr/bin/env python3
"""Held-out labelled set sealed402 for postwatch.

Company: Kristalijs Schaatscentra B.V. (fictional ice-rink operator with the
GlijWijs skating school).  Post texts are hand-written below; identifiers and
credentials are generated with a fixed seed the way the real ones are built.
Writes cases.jsonl beside this file and checks it (CONTRACT v1, sections 3, 4, 6).

Run: python3 make_cases.py
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
SEED = 402_2026

SEC = "leak.secret"
PII = "leak.pii"
PRI = "leak.pricing"
CON = "leak.confidential"
FIN = "leak.financial"
SCY = "leak.security"
CRI = "reputation.crisis"
CMP = "reputation.complaint"
ABU = "reputation.abuse"
ALL_CATS = {SEC, PII, PRI, CON, FIN, SCY, CRI, CMP, ABU, "reputation.spike"}
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
B62 = DIGITS + UPPER + LOWER            # base-62 digit order 0-9A-Za-z
ALNUM = B62
URLSAFE = ALNUM + "-_"
ZW = "\u200b"


# ---------------------------------------------------------------- validators
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64url_decode(parts[0]))
        json.loads(b64url_decode(parts[1]))
        b64url_decode(parts[2])
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


# ---------------------------------------------------------------- generators
class Gen:
    def __init__(self, rng):
        self.rng = rng

    def chars(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    # identifiers -----------------------------------------------------------
    def iban(self, cc="NL", bank=None):
        if cc == "NL":
            bank = bank or self.rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "BUNQ", "TRIO", "KNAB"])
            bban = bank + self.chars(DIGITS, 10)
        elif cc == "BE":
            first = int(self.chars(DIGITS, 10))
            chk = first % 97 or 97
            bban = f"{first:010d}{chk:02d}"
        elif cc == "DE":
            bban = self.chars(DIGITS, 18)
        else:
            raise ValueError(cc)
        n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
        out = f"{cc}{98 - n % 97:02d}{bban}"
        assert iban_ok(out)
        return out

    def bad_iban(self, cc="NL"):
        good = self.iban(cc)
        chk = int(good[2:4])
        bad = good[:2] + f"{(chk + self.rng.randint(1, 9)) % 97 or 11:02d}" + good[4:]
        assert not iban_ok(bad)
        return bad

    def card(self, prefix, length):
        while True:
            body = prefix + self.chars(DIGITS, length - len(prefix) - 1)
            for last in DIGITS:
                if luhn_ok(body + last):
                    return body + last

    def bad_card(self, prefix, length):
        good = self.card(prefix, length)
        bad = good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10)
        assert not luhn_ok(bad)
        return bad

    def bsn(self):
        while True:
            d = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(7)]
            s = sum(d[i] * (9 - i) for i in range(8))
            last = s % 11
            if last <= 9:
                out = "".join(map(str, d + [last]))
                if bsn_ok(out):
                    return out

    def bad_bsn(self):
        good = self.bsn()
        bad = good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10)
        if bsn_ok(bad):
            return self.bad_bsn()
        return bad

    # credentials -----------------------------------------------------------
    def github(self, prefix="ghp_"):
        body = self.chars(ALNUM, 30)
        tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
        assert gh_ok(tok)
        return tok

    def aws(self):
        return "AKIA" + self.chars(UPPER + "234567", 16), self.chars(ALNUM + "/+", 40)

    def jwt(self, payload):
        enc = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps(payload, separators=(",", ":")).encode())
        sig = enc(bytes(self.rng.getrandbits(8) for _ in range(32)))
        tok = f"{head}.{body}.{sig}"
        assert jwt_ok(tok)
        return tok

    def openssh_key(self):
        raw = b"openssh-key-v1\x00" + bytes(self.rng.getrandbits(8) for _ in range(380))
        b = base64.b64encode(raw).decode()
        lines = [b[i:i + 70] for i in range(0, len(b), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def slack_bot(self):
        return f"xoxb-{self.chars(DIGITS, 11)}-{self.chars(DIGITS, 13)}-{self.chars(ALNUM, 24)}"

    def mollie_live(self):
        return "live_" + self.chars(ALNUM, 30)

    def openai(self):
        return "sk-proj-" + self.chars(URLSAFE, 64) + "T3BlbkFJ" + self.chars(URLSAFE, 64)

    def anthropic(self):
        return "sk-ant-api03-" + self.chars(URLSAFE, 93) + "AA"

    def google(self):
        return "AIza" + self.chars(URLSAFE, 35)

    def gitlab(self):
        return "glpat-" + self.chars(URLSAFE, 20)


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


CYR = {"o": "\u043e", "e": "\u0435", "a": "\u0430", "i": "\u0456", "c": "\u0441", "p": "\u0440"}


def cyr(s):
    return "".join(CYR.get(c, c) for c in s)


# ---------------------------------------------------------------- profile
def load_profile():
    with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def roles_of(profile):
    roles = {}
    for role in ("corporate", "employee"):
        for key in profile["accounts"][role]:
            roles[key.lower()] = role
    return roles


def severity(cats, role, checksum_pii):
    level = "none"

    def bump(v):
        nonlocal level
        if RANK[v] > RANK[level]:
            level = v

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                if c in (SEC, PRI) or (c == PII and checksum_pii):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif c == CMP:
            bump("warning")
        elif c == CRI:
            bump("error")
        elif c == ABU:
            bump("error" if insider else "warning")
    return level


# ---------------------------------------------------------------- the cases
def build():
    rng = random.Random(SEED)
    g = Gen(random.Random(SEED + 1))
    profile = load_profile()
    roles = roles_of(profile)
    cases = []

    def when_default():
        start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
        t = start + dt.timedelta(minutes=rng.randint(0, 358 * 24 * 60))
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def add(platform, handle, text, cats, lang, kind="post", ids=(), neg=(), when=None, name=None):
        created = when or when_default()
        n = len(cases) + 1
        cases.append(dict(platform=platform, handle=handle, text=text, cats=sorted(set(cats)),
                          lang=lang, kind=kind, ids=list(ids), neg=list(neg), created=created,
                          id=f"{platform}-402{n:03d}", name=name))

    # ===================================================== complaints (public)
    add("x", "@ijsjunkie",
        "Weer zo'n zompige plas ipv ijs vandaag bij @kristalijs Utrecht. €12,50 betaald om door de slush te "
        "ploeteren. Wordt eens tijd dat jullie die koeling fixen 🙄", [CMP], "nl")
    add("x", "@skatewithnina",
        "@kristalijs_help the rental skates at Zwolle are so blunt my kid kept sliding sideways the whole "
        "session. asked for another pair, got 'thats all we have'. not great.", [CMP], "en", kind="reply")
    add("facebook", "Sandra.Vermeulen.77",
        "Drie weken geleden de GlijWijs kidscursus opgezegd omdat mijn zoon zijn been had gebroken (niet op de "
        "baan hoor 😅). Nog steeds geen geld terug en mijn mails worden gewoon niet beantwoord. Heel slecht "
        "geregeld dit, Kristalijs.", [CMP], "nl")
    add("reddit", "u/puckhead_nl",
        "Anyone else get double charged in the Kristalijs app this weekend? Bank shows 2x €35 for the same disco "
        "night booking. Support chat just loops me back to the FAQ page. Cool cool cool.", [CMP], "en")
    add("instagram", "@lotte.schaatst",
        "kluisje 214 was kapot, mn telefoon en sleutels lagen gwn open en bloot 🤬 personeel haalde z'n "
        "schouders op. echt @kristalijs.arena dit kan niet", [CMP], "nl", kind="comment")
    add("x", "@pa_van_drie",
        "45 min queue for skate rental, then another 15 waiting for the resurfacer to finish. out of a 2 hour "
        "session we got maybe 50 minutes of actual skating. #kristalijs #neveragain", [CMP], "en")
    add("tiktok", "@jaylano_",
        "bro die qr code van de online tickets scant gewoon niet bij de poort, moesten alsnog aan de kassa "
        "betalen wtf kristalijs 💀", [CMP], "nl", kind="comment")
    add("facebook", "Marco.Dijkhuis",
        "Hockeyclinic weekend afgelopen zaterdag in Den Bosch: trainer kwam 40 minuten te laat, de helft van de "
        "oefeningen geschrapt en geen enkel excuus. Voor €219 verwacht je toch wel wat meer dan dit @Kristalijs.",
        [CMP], "nl")
    add("x", "@dutchfigureskater",
        "Third time my private lesson at GlijWijs got cancelled an hour before. I booked these in October. "
        "Please just tell me upfront if there's no coach instead of wasting my evenings", [CMP], "en")
    add("forum", "kouwevoeten",
        "Is het bij jullie ook zo erg? In de kantine van Kristalijs Zwolle is het zo koud dat je je jas niet "
        "uit kan doen. Verwarming is al sinds december stuk volgens het meisje achter de bar. Prima voor het "
        "ijs, maar niet voor ons ouders die twee uur staan te kijken.", [CMP], "nl")
    add("bluesky", "@theo-vm.bsky.social",
        "booked the company outing package at kristalijs for 30 ppl months ago. they gave our slot to another "
        "group and offered us 'tuesday maybe?'. zero apology. event planner nightmare", [CMP], "en")
    add("x", "@famdeboer",
        "@kristalijs_help en nu? Slijpbeurt laten doen bij jullie en de schaatsen zijn slechter dan ervoor, "
        "rand helemaal scheef. En nee ik ga niet nóg een keer €14,50 neerleggen.", [CMP], "nl", kind="reply")

    # ================================ first-hand harm: crisis + complaint
    add("facebook", "Petra.Hol",
        "Mijn dochter (9) is vandaag bij Kristalijs Utrecht met haar hand tussen de boarding gekomen, er zat "
        "een los paneel met een vlijmscherpe rand. 6 hechtingen op de SEH. Niemand van het personeel had een "
        "EHBO-doos bij de hand. Ik ben echt woedend.", [CRI, CMP], "nl")
    add("x", "@liam_skates",
        "Got a proper electric shock off the skate sharpening counter at Kristalijs Den Bosch today. Staff "
        "member goes 'yeah it does that sometimes'. My arm is still tingling. That's dangerous, get it fixed "
        "before it kills someone", [CRI, CMP], "en")
    add("x", "@bennie_sk8",
        "Gisteren bij het discoschaatsen in Zwolle hing er een sterke ammoniaklucht, mijn vriendin en ik werden "
        "allebei misselijk en duizelig. Niemand die iets deed, muziek ging gewoon door. Dit is toch niet "
        "normaal?? @kristalijs", [CRI, CMP], "nl")
    add("reddit", "u/hockeydad_ams",
        "My son's Glide Pro skate (bought at the Kristalijs pro shop, 2 months old) - the blade holder snapped "
        "mid-stride at practice and he went face first into the ice. Chipped tooth and a concussion check at the "
        "ER. Shop says it's 'wear and tear'. Not accepting that.", [CRI, CMP], "en")
    add("instagram", "@ilse.kunstrijdt",
        "na de tosti's in het café van kristalijs gister zijn mn zus en ik de hele nacht ziek geweest 🤢 kotsen "
        "en buikkramp. schijnbaar meer mensen uit onze groep. bedankt hoor", [CRI, CMP], "nl")
    add("threads", "@ruthie.k",
        "the Noorderlicht Noren I bought from Kristalijs: blade came loose mid-lap, I went down hard on my "
        "wrist. sprained, 3 weeks in a brace. this is their OWN brand skate. filing a complaint with the "
        "consumer authority.", [CRI, CMP], "en")

    # ================================ crisis only (third party, boycott, lawsuit, recall, scandal)
    add("x", "@utrechtnieuws030",
        "Brandweer rukt uit naar Kristalijs Arena Utrecht vanwege een ammoniaklek in de koelinstallatie. Hal "
        "is ontruimd, een aantal kinderen wordt nagekeken door ambulancepersoneel. #Utrecht #112", [CRI], "nl")
    add("x", "@rinkwatch",
        "BOYCOTT Kristalijs. They let go of the entire coaching team at Zwolle the week before Christmas and "
        "replaced them with unpaid 'interns'. Don't give them your money. #boycottkristalijs", [CRI], "en")
    add("facebook", "Wendy.Prins.Z",
        "Heeft iemand anders ook een mail gehad dat je gegevens bij Kristalijs op straat liggen? Mijn IBAN en "
        "adres blijken op een of ander forum te staan. Volgens mij hebben ze gewoon een datalek en zeggen ze "
        "niks!!", [CRI], "nl")
    add("reddit", "u/figure_mom_dtc",
        "Has anyone else heard about the GlijWijs coach in Den Bosch who's been suspended over inappropriate "
        "messages to minors? The parents' group chat is exploding and Kristalijs has said absolutely nothing.",
        [CRI], "en")
    add("x", "@mr_vd_linden_advocaat",
        "Namens drie gezinnen stappen wij naar de rechter tegen Kristalijs Schaatscentra B.V. na de valpartijen "
        "door losgeraakte boarding in Utrecht. De dagvaarding is vandaag betekend.", [CRI], "nl")
    add("x", "@consumerwatch_nl",
        "RECALL: Kristalijs asks owners of Noorderlicht Noren sizes 38-44 bought after 1 September to stop "
        "using them straight away; the blade rivets can shear off. Refund at any Kristalijs location.",
        [CRI], "en")
    add("tiktok", "@skatetok.nl",
        "jongen van een jaar of 12 werd vanmiddag bij kristalijs den bosch geraakt door de dweilmachine terwijl "
        "de baan nog niet vrij was?? ambulance kwam, ik hoop echt dat ie ok is 🙏", [CRI], "nl")
    add("mastodon", "@klimaatkees",
        "Een ijsbaan die in juli open is en 's nachts op vol vermogen staat te koelen terwijl de rest van NL "
        "energie moet besparen. Ik roep iedereen op: boycot Kristalijs deze zomer. #klimaat", [CRI], "nl",
        when="2026-07-09T21:14:00Z")
    add("bluesky", "@jdekker.bsky.social",
        "Kristalijs is being sued by a group of former ice technicians over years of unpaid night shifts, per "
        "the court listing in Zwolle. Hearing is set for March.", [CRI], "en")

    # ================================ abuse
    add("x", "@boze_bert",
        "@kristalijs jullie zijn echt een stelletje graaiende oplichters. Kankerbedrijf.", [ABU], "nl",
        kind="reply")
    add("x", "@iceh8r",
        "@kristalijs_help your staff are brain-dead morons, every single one of them. learn to do your f*cking "
        "job", [ABU], "en", kind="reply")
    add("instagram", "@stijnnn.x",
        "die trainer lieke is echt een vette trut, laat je kind daar nooit les krijgen", [ABU], "nl",
        kind="comment")
    add("x", "@daan_dweilt",
        "@boze_bert ga lekker ergens anders janken, sukkel. niemand mist je hier", [ABU], "nl", kind="reply")
    add("tiktok", "@xxrobin",
        "k4nk3rl1jers zijn het daar bij kr1st4l1js 🖕🖕", [ABU], "nl", kind="comment")
    add("x", "@fr0styboi",
        "the hockey coach at kristalijs is a total w.a.n.k.e.r lmao", [ABU], "en")
    add("facebook", "Gerrit.Bos.1960",
        "Sinds er bij Kristalijs alleen maar van die hoofddoekjes achter de kassa staan kom ik er niet meer. "
        "Ga terug naar je eigen land.", [ABU], "nl")
    add("x", "@kristalijs_help",
        "@iceh8r maybe learn to read before you open your stupid mouth, genius.", [ABU], "en", kind="reply")
    add("x", "@mo_hockey",
        "jullie ijsmeester merel is een arrogante teringlijer, kijkt je aan alsof je stront bent", [ABU], "nl")
    add("threads", "@skatergirl_lou",
        "imagine being so useless you can't keep ice frozen. IN WINTER. the ice was literally puddles again "
        "today. you absolute donkeys @kristalijs", [ABU, CMP], "en")
    add("x", "@ijsmuts",
        "Wat een " + cyr("klotebedrijf") + " is Kristalijs, " + cyr("idioten") + " allemaal daar", [ABU], "nl")
    add("x", "@wraakengel_88",
        "Die vuile loser van een ijsmeester Merel de Wit woont gewoon op de Lauwerecht 41 in Utrecht. Ga maar "
        "eens gezellig langs 😈", [ABU, PII], "nl")

    # ================================ personal data
    add("x", "@kristalijs_help",
        "@famdeboer Hoi Linda, we zien je boeking staan onder linda.deboer82@gmail.com en 06-41827753. We "
        "bellen je morgen tussen 10 en 12 terug!", [PII], "nl", kind="reply")
    be_refund = g.iban("BE")
    add("facebook", "KristalijsSchaatscentra",
        f"Beste mevrouw Janssens, de terugbetaling voor uw geannuleerde kinderfeestje is verwerkt naar "
        f"{grp4(be_refund)}. U ziet het bedrag binnen 3 werkdagen op uw rekening.", [PII], "nl", kind="comment",
        ids=[("iban", be_refund)])
    add("instagram", "@coach.lieke.glijwijs",
        "Hoera voor Sofie van Dam, vandaag 8 jaar geworden (geboren 14-03-2018)! 🎂 Beste leerling van de "
        "dinsdaggroep ⛸️💕", [PII], "nl", when="2026-03-14T08:12:00Z")
    card_bakker = g.card("4", 16)
    add("x", "@merel_ijsmeester",
        f"wie heeft z'n pinpas laten liggen bij kassa 2? naam R. Bakker, nummer {grp4(card_bakker)}. "
        f"even langs de balie komen!", [PII], "nl", ids=[("card", card_bakker)])
    bsn_kevin = g.bsn()
    add("linkedin", "yasmina-bouzid-kij",
        f"Welkom Kevin Smits in het team van Kristalijs Zwolle! Voor de salarisadministratie nog even: BSN "
        f"{bsn_kevin}, start 1 februari, contract 32 uur. (oeps, verkeerd venster)", [PII], "nl",
        ids=[("bsn", bsn_kevin)])
    iban_ellen = g.iban("NL", "ASNB")
    add("x", "@ellen_vos_",
        f"@kristalijs_help mijn restitutie is er na 5 weken nog steeds niet. Hier voor de 3e keer mijn "
        f"rekeningnummer: {iban_ellen} t.n.v. E. Vos. Graag vandaag nog!", [PII, CMP], "nl", kind="reply",
        ids=[("iban", iban_ellen)])
    add("reddit", "u/jhartman_skates",
        "Lost my wallet at Kristalijs Utrecht on Saturday (black leather, blue keyring). If anyone found it "
        "please call me on +31 6 2837 1046 or mail j.hartman.skates@outlook.com. Reward!", [PII], "en")
    add("instagram", "@kristalijs.arena",
        "De winnaar van onze kerstwinactie is Fleur Mulder uit Amersfoort! 🎁 Fleur, we sturen je prijs naar "
        "Kastanjelaan 12, 3817 BK Amersfoort. Gefeliciteerd!!", [PII], "nl", when="2026-12-21T12:00:00Z")
    amex = g.card("37", 15)
    add("x", "@bram_koster_it",
        f"Can someone from sales call back the guy who booked the Christmas company outing? Peter Claessens, "
        f"DOB 03/07/1979, paid with Amex {amex[:4]} {amex[4:10]} {amex[10:]} and the payment bounced",
        [PII], "en", ids=[("card", amex)])
    add("x", "@mamavanjesse",
        "Hi @kristalijs, could you put Jesse Verbeek (born 22-09-2015) on the waiting list for the Ice Camp in "
        "July? thanks in advance!", [PII], "en")
    add("bluesky", "@noortjedevos.bsky.social",
        "For the press day tomorrow: the reporter's direct contact is Iris Koster, iris.koster.journo@proton.me, "
        "06 53 82 19 40. Please don't all call her at once 😅", [PII], "en")
    add("linkedin", "kristalijs-schaatscentra",
        "CV in for the ice technician vacancy: A. El Idrissi, Vlierstraat 8, 5213 AB 's-Hertogenbosch, date "
        "of birth 11-11-1996. Who picks up the intake interview?", [PII], "en")
    card_fw = g.card("5" + str(g.rng.randint(1, 5)), 16)
    add("x", "@sophie__rg",
        "@kristalijs_help betaling voor het jaarabonnement mislukt steeds bij stap 3?? kaart is "
        + fullwidth(grp4(card_fw)) + " en die werkt overal anders gewoon", [PII, CMP], "nl", kind="reply",
        ids=[("card", card_fw)])
    add("x", "@daan_dweilt",
        "tel van die klant die z'n schaatstas kwijt is: 06" + ZW + "-" + ZW + "1742" + ZW + "9983, naam Gijs "
        "Brouwer. wie hem vindt even bellen", [PII], "nl")

    # ================================ secrets
    ghp = g.github("ghp_")
    add("mastodon", "@jorisvanleeuwen",
        "eindelijk draait de CI voor de ticket-app weer 🎉 (ja ik weet het, moet nog naar een env var)\n"
        f"export GITHUB_TOKEN={ghp}\nnpm run deploy", [SEC], "nl")
    akia, aws_secret = g.aws()
    add("x", "@bram_koster_it",
        f"aws creds for the backup bucket since the vault is down again, DM me if it fails:\n"
        f"AWS_ACCESS_KEY_ID={akia}\nAWS_SECRET_ACCESS_KEY={aws_secret}", [SEC], "en")
    add("threads", "@henk.koeltechniek",
        "inlog koelpaneel voor de nachtploeg deze week: https://koelbeheer.kristalijs.local/login "
        "gebruiker nachtdienst, wachtwoord: Zamb0ni#Koud88", [SEC, CON], "nl")
    add("mastodon", "@jorisvanleeuwen",
        "Anyone seen this on prod before?\npsycopg2.OperationalError: could not connect to server\n"
        "  dsn=postgresql://tickets_rw:Gl1jb44n!2026@db01.intra.kristalijs.local:5432/tickets", [SEC, CON], "en")
    mollie = g.mollie_live()
    add("x", "@freelance_devnl",
        f"anyone good with Mollie webhooks? building the payment module for the Kristalijs webshop and I keep "
        f"getting a 401. key I'm using: {mollie}", [SEC], "en")
    slack = g.slack_bot()
    add("bluesky", "@noortjedevos.bsky.social",
        f"the slack bot for our socials dashboard keeps dying every night?? token is {slack} if any dev "
        f"friend wants to take a look 🙏", [SEC], "en")
    jwt = g.jwt({"sub": "kassa-utr-02", "role": "admin", "iss": "tickets.kristalijs.nl",
                 "iat": 1767600000, "exp": 1799136000})
    add("x", "@bram_koster_it",
        f"why does this token give me a 401?? exp isn't until next year\n{jwt}", [SEC], "en")
    pem = g.openssh_key()
    add("mastodon", "@jorisvanleeuwen",
        "welke held heeft dit vanochtend in #algemeen geplakt 😬 graag weghalen en roteren\n\n" + pem,
        [SEC], "nl")
    oai = g.openai()
    add("reddit", "u/scriptkid_ijs",
        f"lol the Kristalijs website chatbot ships its OpenAI key in the JS bundle: {oai} "
        f"somebody tell them", [SEC], "en")
    add("tiktok", "@trainersven",
        "wifi voor de trainers in Utrecht: netwerk GlijWijs-Staff, ww: Pirouette!2026 (niet doorgeven aan de "
        "ouders 😂)", [SEC], "nl")
    ant = g.anthropic()
    add("mastodon", "@jorisvanleeuwen",
        f"nieuwe FAQ-bot voor GlijWijs getest, werkt best aardig. config:\n"
        f"MODEL=claude\nANTHROPIC_API_KEY={ant}", [SEC], "nl")
    add("x", "@merel_ijsmeester",
        fullwidth("wachtwoord") + ": IJsvogel_77 voor de kassa-pc in Den Bosch, morgen ben ik er niet", [SEC], "nl")

    # ================================ security (insiders)
    add("x", "@bram_koster_it",
        "niet verder vertellen maar het kassasysteem in alle vestigingen ligt sinds 6u plat, ransomware-melding "
        "op elk scherm. Klanten krijgen te horen dat het een 'storing' is.", [SCY], "nl")
    add("mastodon", "@jorisvanleeuwen",
        "We found that the booking API hands you other customers' names and phone numbers if you just "
        "increment the booking id. Ticket has been open for 3 weeks, nobody is fixing it before the season 🙃",
        [SCY], "en")
    add("threads", "@henk.koeltechniek",
        "De besturing van de koelinstallatie in Zwolle hangt gewoon aan internet met het fabriekswachtwoord. "
        "Al 2x gemeld. Als iemand dat vindt zet ie zo de hele baan op +5 graden.", [SCY], "nl")
    add("bluesky", "@noortjedevos.bsky.social",
        "heads up team: our newsletter account got phished last night and blasted 4k spam mails to the "
        "customer list. legal says keep quiet until monday", [SCY], "en")
    add("x", "@merel_ijsmeester",
        "ticket site has been down all morning and IT says it's a DDoS. nothing on the website yet so if people "
        "call, just say 'maintenance' 🙈", [SCY], "en")
    add("x", "@ex_kij_dev",
        "Als ex-developer van Kristalijs: ze bewaren de wachtwoorden van klanten nog steeds in plain text in de "
        "ticketdatabase. Heb het 100x aangekaart voor ik wegging.", [SCY], "nl")
    add("mastodon", "@jorisvanleeuwen",
        "our staging box staging.intra.kristalijs.local was wide open on port 8080 for two months and someone "
        "pulled the customer export. still figuring out how many rows", [SCY, CON], "en")
    add("x", "@bram_koster_it",
        "Patching the card terminals at all rinks tonight, vendor says the firmware has a remote code exec bug. "
        "Not public yet, advisory drops next week, so don't tweet about it 😅 (oops)", [SCY], "en")
    add("x", "@kristalijs",
        "@puckhead_nl Sorry!! Door een inbraak op ons betaalsysteem zijn sommige betalingen dubbel afgeschreven, "
        "dat mogen we eigenlijk nog niet zeggen 🙊 je krijgt het terug", [SCY], "nl", kind="reply")
    add("x", "@daan_dweilt",
        "that app 'outage' isn't the provider btw. 1200 customer accounts got taken over with passwords leaked "
        "from other sites. press release only goes out tomorrow", [SCY], "en")
    add("bluesky", "@noortjedevos.bsky.social",
        "IT just told me our instagram got logged into from an unknown country this morning and 2FA was off. "
        "reset now, but please don't mention it anywhere", [SCY], "en")
    add("mastodon", "@jorisvanleeuwen",
        "r.a.n.s.o.m.w.a.r.e op de fileserver van het hoofdkantoor vannacht. backups van vorige week zijn ok "
        "gelukkig, maar zeg nog niks", [SCY], "nl")
    add("x", "@bram_koster_it",
        "Fun fact: guest wifi and the POS network are the same VLAN at every Kristalijs rink. Pentest flagged it "
        "as critical in May. Still not fixed.", [SCY], "en")

    # ================================ confidential
    add("x", "@merel_ijsmeester",
        "first test laps on the Project Poolnacht ice tonight 🤫 you guys are not ready for this",
        [CON], "en")
    add("bluesky", "@noortjedevos.bsky.social",
        "can't say much but Sneeuwuil is going to change how you book ice time forever. soon 👀", [CON], "en")
    add("x", "@daan_dweilt",
        "Nieuwe dweilmachine staat al in de hal van IJspaleis Eindhoven, wat een beest 😍", [CON], "nl",
        when="2027-01-12T18:40:00Z")
    add("reddit", "u/ijsbaanspotter",
        "Friend in construction says Kristalijs is building a massive new rink, the plans say 'Kristalijs "
        "Eindhoven', opening next winter. Anyone know more?", [CON], "en")
    add("linkedin", "yasmina-bouzid-kij",
        "Can anyone open the new rota page? https://wiki.kristalijs.local/hr/roosters/2026-q3 gives me a 403",
        [CON], "en")
    add("mastodon", "@jorisvanleeuwen",
        "pushing Sneeuwuil v0.9 to gitlab.kristalijs.nl/sneeuwuil/booking-core tonight, wish me luck",
        [CON], "en")
    add("instagram", "@coach.lieke.glijwijs",
        "Nieuwe lesmethode binnengekregen, staat groot KIJ-INTERN op maar het is zo leuk dat ik het toch deel: "
        "week 1 draait helemaal om vallen en weer opstaan 🧊💪", [CON], "nl")
    add("threads", "@henk.koeltechniek",
        "Morgen proefdraaien met de Noorderlicht 4 prototypes op de wedstrijdbaan, liggen al in m'n kast 😁",
        [CON], "nl")
    add("instagram", "@kristalijs.arena",
        "Coming soon… ✨❄️ #ProjectPoolnacht #Kristalijs", [CON], "en")
    add("linkedin", "ruud-hoekstra-kristalijs",
        "Goed overleg met de RvC over de jaarcijfers 2026. Zonder te veel te zeggen: we gaan de prognose "
        "ruim overtreffen, winst ligt zo'n 30% boven plan.", [CON, FIN], "nl", when="2027-02-25T16:00:00Z")
    add("bluesky", "@noortjedevos.bsky.social",
        "S n e e u w u i l gaat in november live en ik mag er nog niks over zeggen 🤐", [CON], "nl")
    add("x", "@daan_dweilt",
        "Operatie D" + ZW + "oo" + ZW + "i is begonnen, halve ploeg in Zwolle mag na dit seizoen vertrekken 😔",
        [CON, FIN], "nl")
    add("linkedin", "kristalijs-schaatscentra",
        "Thank you to every team for today's kick-off of Operatie Dooi! Together we're building a more agile "
        "Kristalijs 💪", [CON], "en")
    add("tiktok", "@trainersven",
        fullwidth("project poolnacht") + " 🔥 wie raadt wat het is?", [CON], "nl")
    add("x", "@merel_ijsmeester",
        "Jira KIJ-INTERN-4412: ijsvloer hal 2 Den Bosch scheurt bij de rand, herstel pas na het seizoen. "
        "Niemand vertellen dat ik dit deel haha", [CON], "nl")

    # ================================ financial
    add("linkedin", "ruud-hoekstra-kristalijs",
        "Trots op het team: omzet Q3 ruim 22% boven budget en de EBITDA bijna verdubbeld. De officiële cijfers "
        "volgen in november, maar ik kon het niet voor me houden.", [FIN], "nl")
    add("x", "@merel_ijsmeester",
        "word on the floor is we're being bought by an Austrian winter sports group, deal supposedly closes in "
        "March", [FIN], "en")
    add("x", "@daan_dweilt",
        "Zwolle gaat na dit seizoen dicht. Hoorde het net van de regiomanager. 18 man op straat en niemand "
        "weet het nog.", [FIN], "nl")
    add("bluesky", "@noortjedevos.bsky.social",
        "marketing budget cut by 40% next year because the 2027 forecast is way below plan. hiring freeze "
        "too. fun times", [FIN], "en")
    add("linkedin", "kristalijs-schaatscentra",
        "We are pleased to announce that Kristalijs Schaatscentra B.V. has signed a binding agreement to "
        "acquire Belgian rink operator Glissando NV for €14.2 million. [DRAFT - embargo until board sign-off]",
        [FIN], "en")
    add("linkedin", "yasmina-bouzid-kij",
        "Volgende week staan er 35 gesprekken in mijn agenda voor de reorganisatie van de schaatsschool. Zwaar, "
        "maar het moet. Sterkte aan de collega's die het nog niet weten.", [FIN], "nl")
    add("x", "@beursblik_nl",
        "Hoor uit goede bron dat Kristalijs dit jaar onder de €30 mln omzet uitkomt. Winstwaarschuwing is al "
        "geschreven, komt na de feestdagen.", [FIN], "nl")
    add("x", "@bram_koster_it",
        "saw the board deck by accident: we lost €2.3M on the summer season. bonus this year? lol", [FIN], "en")
    add("threads", "@henk.koeltechniek",
        "Ze gaan de koeltechniek uitbesteden aan een extern bedrijf. Alle monteurs krijgen volgend jaar een "
        "ander contract of de deur. Nog niet officieel.", [FIN], "nl")
    add("tiktok", "@trainersven",
        "lowkey heard the owners are selling the whole chain to a private equity fund 👀 announcement after new "
        "year", [FIN], "en")

    # ================================ pricing
    add("x", "@kristalijs",
        "🎉 BLACK FRIDAY 🎉 Het Kristalijs Jaarabonnement nu voor maar €44,90! Alleen vandaag via de webshop.",
        [PRI], "nl", when="2026-11-27T07:30:00Z")
    add("x", "@dealjager",
        "PRIJSFOUT bij Kristalijs: Noorderlicht Noren voor €27,90 in de webshop 😱 snel zijn!!", [PRI], "nl")
    add("x", "@daan_dweilt",
        "lol wie heeft de gezinsabonnementen op €89 gezet in de kassa? hele rij mensen staat er nu een te kopen",
        [PRI], "nl")
    add("reddit", "u/ice_bargains",
        "Price glitch or what? GlijWijs Kunstrijden Jaarprogramma listed at €89.50 on their site right now "
        "(normally €895). Booked two just in case.", [PRI], "en")
    add("instagram", "@kristalijs.arena",
        "Boek nu je kinderfeestje arrangement voor €18,90 👧👦⛸️ inclusief schaatshuur en patat!", [PRI], "nl")
    add("x", "@pepperdeal_nl",
        "Glide Pro hockey skate €34.90 instead of €349 on kristalijs.nl 🔥🔥 #dealalert", [PRI], "en")
    add("bluesky", "@noortjedevos.bsky.social",
        "oops. the newsletter went out saying the Ice Camp costs €37.90 instead of €379. legal is asking "
        "whether we have to honour it", [PRI], "en")
    add("x", "@mieke_skeelert",
        "Is dit een prijsfout? Een privéles bij GlijWijs kost volgens de app nu €6,50 😳", [PRI], "nl")
    add("facebook", "KristalijsSchaatscentra",
        "Bedrijfsuitje IJs & Glühwein: nu voor €125 all-in voor je hele team! Boek snel via de website.",
        [PRI], "nl")
    add("x", "@merel_ijsmeester",
        "the till is charging €9.90 for the 10-ride card instead of €99 and we've sold 40 today 🙈 can someone "
        "from IT fix this?", [PRI], "en")
    add("tiktok", "@nina.figureskates",
        "Poolster Junior voor 19 euro 😳😳 is dat een fout of echt sale?", [PRI], "nl", kind="comment")
    add("x", "@kortingscodes_bob",
        "There's a massive pricing error on the Kristalijs annual pass in their webshop, people are buying "
        "them in bulk. Think they'll honour it?", [PRI], "en")

    # ================================ benign (mostly hard negatives)
    add("x", "@schaatsfan_utr",
        "what a morning at Kristalijs Utrecht ☀️⛸️ ice like glass, barely anyone there. perfect",
        [], "en")
    add("instagram", "@hanna.on.ice",
        "first time on skates at 34 and the GlijWijs adult course coach was SO patient. fell 12 times, laughed "
        "13 times 😂", [], "en")
    add("x", "@kristalijs_help",
        "Vragen over je boeking? Mail ons op klantenservice@kristalijs.nl of bel 0800-5474 (ma-vr 9-17u). "
        "We helpen je graag!", [], "nl")
    pub_iban = profile["public_identifiers"]["ibans"][0]
    add("facebook", "KristalijsSchaatscentra",
        f"Betaal je het schoolreisje liever per overschrijving? Gebruik {grp4(pub_iban)} t.n.v. Kristalijs "
        f"Schaatscentra B.V. en vermeld je boekingsnummer.", [], "nl")
    add("x", "@ijsjunkie",
        "Oké ik geef het toe: @kristalijs_help heeft mijn dubbele afschrijving binnen een dag teruggestort en "
        "er een gratis dagkaart bij gedaan. Netjes 👏", [], "nl")
    add("reddit", "u/skatemom_nl",
        "Sale alert: Kristalijs family pass is 20% off this week, €719 instead of €899. Worth it if you go "
        "twice a month like us.", [], "en")
    add("instagram", "@kristalijs.arena",
        "Nog maar 3 dagen: 15% korting op alle slijpbeurten 🔪⛸️ Normaal €14,50, nu €12,30.", [], "nl")
    add("x", "@jolien_xo",
        "Ice Disco friday night, ticket's €17.50. who's coming?? 🪩", [], "en")
    add("x", "@vincent_laps",
        "€279 for the Noorderlicht Noren seemed steep but honestly they're the best skates I've ever owned. "
        "zero regrets", [], "en")
    add("x", "@zamboniliefde",
        "Die dweilmachine bij Kristalijs is echt de beste DJ van de avond, iedereen stopt en staart 😂 "
        "#zamboniisleven", [], "nl")
    add("threads", "@carlos.crossovers",
        "ice at Kristalijs Den Bosch was absolutely killer tonight, new PB on my crossovers 🔥", [], "en")
    add("x", "@sportnieuws_dirk",
        "Sportschoolketen FitFabriek schrapt 200 banen, las ik net. Pfff, slechte tijden voor de sportbranche.",
        [], "nl")
    add("x", "@privacy_pam",
        "Big data breach at some UK concert ticketing platform today, change your passwords people. (nothing "
        "to do with the rink, just a PSA)", [], "en")
    add("x", "@merel_ijsmeester",
        "Om 5 uur begonnen met het ijs voor het NK junioren. Glad als een spiegel. Trots op ons team! 🥶💪",
        [], "nl")
    add("linkedin", "ruud-hoekstra-kristalijs",
        "Vandaag publiceerden we de jaarcijfers 2026 van Kristalijs. Dank aan alle collega's voor een mooi "
        "jaar, het volledige verslag staat op onze website.", [], "nl", when="2027-03-04T08:30:00Z")
    add("x", "@kristalijs",
        "Het is officieel: Kristalijs Eindhoven opent op 1 oktober 2027! Voorverkoop start vandaag 🎉⛸️",
        [], "nl", when="2027-01-20T09:05:00Z")
    add("threads", "@henk.koeltechniek",
        "De Noorderlicht 4 ligt nu eindelijk in de winkels. Heb er maandenlang op mogen testen, echt een "
        "topschaats.", [], "nl", when="2027-02-02T17:20:00Z")
    add("mastodon", "@jorisvanleeuwen",
        "PSA for devs: never paste real AWS keys in chat. The docs example AKIAIOSFODNN7EXAMPLE / "
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY is fine to copy, your own keys are not 🙃", [], "en")
    add("x", "@bram_koster_it",
        "Token in de README vervangen door ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en de oude ingetrokken, "
        "dus geen paniek mensen", [], "nl")
    add("mastodon", "@jorisvanleeuwen",
        "In de onboarding-docs staat DATABASE_URL=postgres://USER:PASSWORD@localhost:5432/dev. Vul je eigen "
        "lokale gegevens in, niet die van prod 🙏", [], "nl")
    add("x", "@tineke_schaatst",
        "Kreeg net een sms dat mijn Kristalijs-account geblokkeerd is, met een link naar kristal1js-login.com. "
        "Phishing toch? Niet klikken mensen!", [], "nl")
    add("x", "@kristalijs_help",
        "@tineke_schaatst Klopt, dat is phishing. Wij vragen nooit via sms om in te loggen. Je kunt het melden "
        "bij de Fraudehelpdesk 🙏", [], "nl", kind="reply")
    bad_nl = g.bad_iban("NL")
    add("facebook", "Ria.Koopmans",
        f"Welk rekeningnummer moet ik gebruiken voor de clubcontributie? Ik heb {bad_nl} opgeschreven maar "
        f"mijn bank zegt dat het ongeldig is. Zal wel een tikfout zijn.", [], "nl", neg=[("iban", bad_nl)])
    bad_card = g.bad_card("4", 16)
    add("x", "@bram_koster_it",
        f"Reminder voor de nieuwe kassamedewerkers: in trainingsmodus gebruik je het oefennummer "
        f"{grp4(bad_card)}, dat werkt nooit voor echte betalingen.", [], "nl", neg=[("card", bad_card)])
    bad_bsn = g.bad_bsn()
    add("linkedin", "yasmina-bouzid-kij",
        f"Tip bij het invullen van formulieren: een BSN heeft 9 cijfers en moet de elfproef halen. "
        f"{bad_bsn} is bijvoorbeeld níet geldig. Controleer het dus even!", [], "nl", neg=[("bsn", bad_bsn)])
    add("facebook", "Harm.Veldkamp",
        "Sterkte aan iedereen bij Kristalijs Zwolle na het overlijden van oud-trainer Gert. Hij heeft mij in "
        "1998 leren schaatsen. ❤️", [], "nl")
    add("x", "@puck_and_pints",
        "does Kristalijs Utrecht have lockers big enough for a hockey bag? asking before I haul it onto the "
        "train", [], "en")
    add("tiktok", "@femkefilmt",
        "POV: je ziet je moeder voor het eerst op de schaatsen bij kristalijs 😭😭 ze ging zo hard onderuit "
        "maar stond meteen weer op LEGEND", [], "nl")
    add("x", "@rinknerd",
        "Sad news from Canada: an ice rink in Ontario had an ammonia leak today, three workers in hospital. "
        "Hoping they all recover.", [], "en")
    add("tiktok", "@trainersven",
        "Kids zijn vandaag zó vaak gevallen bij de les, maar niemand huilde 💪 dat noem ik nou helden", [], "nl")
    add("tiktok", "@glijwijs.schaatsschool",
        "Valtechniek les 1: hoe val je veilig? 👇 knieën buigen, handen weg van de ijzers. #schaatstips "
        "#glijwijs", [], "nl")
    add("x", "@kristalijs",
        "Heads-up: Kristalijs Utrecht is closed on Monday 14 September for scheduled maintenance of the cooling "
        "system. See you on Tuesday!", [], "en", when="2026-09-08T10:00:00Z")
    add("x", "@teun_op_ijs",
        "forgot my password for the Kristalijs app and the reset mail landed within 10 seconds. sometimes things "
        "just work 😅", [], "en")
    add("instagram", "@axel.dreams",
        "Kristalijs isn't cheap but the coaching is worth every cent. My daughter landed her first axel "
        "today!!! 😭⛸️", [], "en")
    add("x", "@mugs_and_skates",
        "Who else thinks the Kristalijs hot chocolate is criminally underrated? 🍫", [], "en")
    add("instagram", "@kristalijs.arena",
        "Wist je dat ons ijs maar 4 cm dik is? De koelinstallatie houdt het op -6 °C. Stel gerust je vragen "
        "aan de ijsmeester tijdens de rondleiding! 🧊", [], "nl")
    add("youtube", "@KristalijsTV",
        "New video: 5 beginner mistakes on skates (and how our GlijWijs coaches fix them). Link in the "
        "description!", [], "en")
    add("linkedin", "kristalijs-schaatscentra",
        "We zoeken een ijsmeester voor Kristalijs Den Bosch! Ben jij handig en kun je tegen de kou? "
        "Solliciteer via careers@kristalijs.nl", [], "nl")
    add("x", "@opa_wim_schaatst",
        "@kristalijs_help is jullie nummer +31 30 799 4410 ook bereikbaar in het weekend?", [], "nl",
        kind="reply")
    add("x", "@leisurebiz_uk",
        "IceWorld Leeds has been acquired by a regional leisure group. Hope they keep the public sessions "
        "cheap.", [], "en")
    add("facebook", "IJshockeyclub.De.Poolvossen",
        "Onze club heeft vorige week 2 uur baanhuur bij Kristalijs gedaan voor €395 per uur. Prima ijs en "
        "super behulpzaam personeel!", [], "nl")
    add("reddit", "u/budgetdad",
        "Kids beginner course at GlijWijs is €149 for 10 lessons, so about €15 a lesson. Cheaper than "
        "swimming lessons lol", [], "en")
    add("instagram", "@kristalijs.arena",
        "Sinterklaas was vandaag op het ijs in Zwolle en de kinderen gingen helemaal los 🎁🐴", [], "nl",
        when="2026-11-28T15:40:00Z")
    add("x", "@resolved_rob",
        "Update on my locker drama from last week: Kristalijs sent a voucher and a proper apology. Fair enough, "
        "we're good 👍", [], "en")
    add("linkedin", "yasmina-bouzid-kij",
        "Proud that 12 of our ice technicians earned their refrigeration certificate this year. Investing in "
        "people pays off!", [], "en")
    add("x", "@bram_koster_it",
        "New post on our tech blog: how we moved the ticket shop to a new cloud setup without any downtime 🚀 "
        "(no secrets in there, promise)", [], "en")
    add("x", "@rekenmeester_jan",
        "Jaarabonnement bij Kristalijs is €449, dat is voor mij zo'n 37 euro per maand. Goed te doen als je "
        "elke week gaat.", [], "nl")
    add("x", "@first_sharpening",
        "is it normal that skates feel weird right after a sharpening? first time getting it done at "
        "Kristalijs. probably just me getting used to it", [], "en")
    add("x", "@thankful_tom",
        "Shoutout to the staff at Kristalijs Den Bosch who spent 20 minutes helping my dad find his phone "
        "under the stands. Kind people.", [], "en")
    add("x", "@vraagje_sam",
        "@kristalijs_help is een dagkaartje ook geldig voor het discoschaatsen of moet ik apart betalen?",
        [], "nl", kind="reply")
    add("x", "@kristalijs_help",
        "@vraagje_sam Hoi! Discoschaatsen is een apart ticket van €17,50. Tot vrijdag! ⛸️", [], "nl",
        kind="reply")
    add("x", "@slapshot_sean",
        "Our rec team got smashed 9-1 at Kristalijs Zwolle tonight. Brutal. Ice was great though.", [], "en")
    add("bluesky", "@noortjedevos.bsky.social",
        "FY2026 results are out this morning! Proud of what we built at Kristalijs this year 📈", [], "en",
        when="2027-03-04T10:15:00Z")
    add("x", "@eindhovenuit",
        "Net de nieuwe Kristalijs Eindhoven bezocht, wat een enorme hal! Volgende week meteen weer 😍", [], "nl",
        when="2027-10-03T19:30:00Z")
    add("x", "@calm_customer",
        "tip: if the Kristalijs app acts up, just call them at 0800-5474. they sorted my booking in five "
        "minutes", [], "en")
    add("instagram", "@spinning.mila",
        "my GlijWijs coach calls me 'the tornado' because I spin out of control lol. affectionate I think??",
        [], "en", kind="comment")
    add("x", "@kristalijs",
        "Let op: wij vragen NOOIT om je wachtwoord via DM. Twijfel je? Mail klantenservice@kristalijs.nl.",
        [], "nl")
    bad_de = g.bad_iban("DE")
    add("x", "@grenzgaenger_kim",
        f"Kristalijs signup form told me my IBAN {grp4(bad_de)} is invalid. It was right, I had swapped two "
        f"digits 🙈 nice validation", [], "en", neg=[("iban", bad_de)])
    add("forum", "wintervader",
        "Vraag: zijn de GlijWijs lessen ook geschikt voor kinderen met een beperking? Mijn dochter heeft een "
        "lichte vorm van CP maar wil dolgraag leren schaatsen.", [], "nl")
    add("youtube", "@KristalijsTV",
        "Live vanaf 19:00: de finale van de GlijWijs clubkampioenschappen kunstrijden. Duim voor onze "
        "rijders! 🏆", [], "nl")

    return cases, profile, roles


# ---------------------------------------------------------------- checks
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])\d{9}(?![\d])")
GH_RE = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
AKIA_RE = re.compile(r"AKIA[A-Z0-9]{16}")
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return t.replace(ZW, "").replace("\u200c", "").replace("\u200d", "").replace("\u2060", "")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def to_lines(cases, roles):
    lines = []
    for c in cases:
        role = roles.get(f"{c['platform']}:{c['handle']}".lower(), "public")
        checksum_pii = PII in c["cats"] and any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
        post = {"id": c["id"], "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["created"], "brand": "kristalijs"}
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, checksum_pii)}})
    return lines


def check(cases, lines, profile, roles):
    errs = []
    ok_checker = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
    pub = profile["public_identifiers"]
    pub_ibans = {re.sub(r"\s", "", x) for x in pub["ibans"]}
    pub_emails = {e.lower() for e in pub["emails"]}
    internal = [d.lower() for d in profile["internal"]["domains"]]
    codenames = [d.lower() for d in profile["internal"]["codenames"]]
    markers = [d.lower() for d in profile["internal"]["markers"]]
    embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in profile["embargo"]]
    names = []
    for p in profile["products"]:
        names += [p["name"].lower()] + [a.lower() for a in p["aliases"]]
    seen = set()

    for c, ln in zip(cases, lines):
        post, exp = ln["post"], ln["expect"]
        pid = post["id"]
        role = roles.get(f"{post['platform']}:{post['account']['handle']}".lower(), "public")
        # --- CONTRACT section 6 / section 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
            errs.append(f"{pid}: bad or duplicate id")
        seen.add(pid)
        if post["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform")
        if post["kind"] not in KINDS:
            errs.append(f"{pid}: kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(f"{pid}: handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
            errs.append(f"{pid}: text")
        if not RFC3339.match(post["created_at"]):
            errs.append(f"{pid}: created_at")
        created = parse_ts(post["created_at"])
        if created.year not in (2026, 2027):
            errs.append(f"{pid}: year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            errs.append(f"{pid}: categories")
        if exp["severity"] not in RANK:
            errs.append(f"{pid}: severity value")
        if (not cats) != (exp["severity"] == "none"):
            errs.append(f"{pid}: benign/severity mismatch")
        if cats and RANK[exp["severity"]] < RANK["warning"]:
            errs.append(f"{pid}: positive below warning")
        if role == "public" and post["account"]["handle"].lower() in {k.split(":", 1)[1] for k in roles}:
            errs.append(f"{pid}: public handle shadows a profile handle")

        text = norm(post["text"])
        low = text.lower()
        flat = re.sub(r"[\s\-.]", "", text)

        # --- identifiers registered by the generator
        for kind, val in c["ids"]:
            if not ok_checker[kind](val):
                errs.append(f"{pid}: positive {kind} fails checksum")
            if val not in flat:
                errs.append(f"{pid}: {kind} not in text")
            if PII not in cats:
                errs.append(f"{pid}: checksum id without leak.pii")
        for kind, val in c["neg"]:
            if ok_checker[kind](val):
                errs.append(f"{pid}: look-alike {kind} passes checksum")
            if val not in flat:
                errs.append(f"{pid}: look-alike {kind} not in text")
            if cats:
                errs.append(f"{pid}: look-alike in a positive")

        # --- independent scans of the text
        rest = text
        for m in IBAN_RE.finditer(text):
            v = m.group(0).replace(" ", "")
            if iban_ok(v):
                if v in pub_ibans:
                    pass
                elif PII not in cats:
                    errs.append(f"{pid}: valid IBAN {v} but no leak.pii")
            rest = rest.replace(m.group(0), " ")
        for m in CARD_RE.finditer(rest):
            if luhn_ok(m.group(0)) and PII not in cats:
                errs.append(f"{pid}: Luhn-valid number {m.group(0)} but no leak.pii")
        for m in BSN_RE.finditer(rest):
            if bsn_ok(m.group(0)) and PII not in cats:
                errs.append(f"{pid}: 11-proof number {m.group(0)} but no leak.pii")
        for m in GH_RE.finditer(text):
            if gh_ok(m.group(0)) != (SEC in cats):
                errs.append(f"{pid}: github token vs label")
        for m in AKIA_RE.finditer(text):
            if not m.group(0).endswith("EXAMPLE") and SEC not in cats:
                errs.append(f"{pid}: AWS key id but no leak.secret")
            if m.group(0).endswith("EXAMPLE") and cats:
                errs.append(f"{pid}: sample key in a positive")
        for m in JWT_RE.finditer(text):
            if jwt_ok(m.group(0)) and SEC not in cats:
                errs.append(f"{pid}: JWT but no leak.secret")
        if not cats:
            for m in EMAIL_RE.finditer(text):
                if m.group(0).lower() not in pub_emails:
                    errs.append(f"{pid}: benign post with non-public e-mail {m.group(0)}")
            for word in internal + codenames + markers:
                if word in low:
                    errs.append(f"{pid}: benign post contains internal term {word!r}")
            for w in ("live_", "sk-proj-", "sk-ant-", "xoxb-", "-----begin", "wachtwoord:", "ww:"):
                if w in low:
                    errs.append(f"{pid}: benign post contains {w!r}")
        for terms, until in embargo:
            if any(t in low for t in terms):
                if created < until and CON not in cats:
                    errs.append(f"{pid}: embargo term before until but no leak.confidential")
                if not cats and created < until:
                    errs.append(f"{pid}: benign embargo mention before until")
        if PRI in cats and not any(nm in low for nm in names):
            errs.append(f"{pid}: pricing case names no product")

    # --- mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"total {n} not in 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"benign {benign} not about 60")
    counts = {}
    for ln in lines:
        for cat in ln["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {CMP: 20, CON: 18, PII: 15, CRI: 15, SCY: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 3:
            errs.append(f"{cat}: {counts.get(cat, 0)} far from {w}")
    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl") / n
    if not 0.48 <= nl <= 0.62:
        errs.append(f"Dutch share {nl:.2f}")
    role_count = {}
    for ln in lines:
        r = roles.get(f"{ln['post']['platform']}:{ln['post']['account']['handle']}".lower(), "public")
        key = (r, bool(ln["expect"]["categories"]))
        role_count[key] = role_count.get(key, 0) + 1
    return errs, counts, benign, nl, role_count


def main():
    cases, profile, roles = build()
    lines = to_lines(cases, roles)
    # determinism: a second build must give identical output
    cases2, _, roles2 = build()
    if json.dumps(to_lines(cases2, roles2)) != json.dumps(lines):
        sys.exit("FAIL: output is not deterministic")
    # the company's own IBAN must be valid
    for x in profile["public_identifiers"]["ibans"]:
        if not iban_ok(x):
            sys.exit(f"FAIL: profile IBAN {x} fails mod-97")
    # every account key in the profile is platform:handle on a known platform
    for k in roles:
        if k.split(":", 1)[0] not in PLATFORMS:
            sys.exit(f"FAIL: profile account {k}")
    errs, counts, benign, nl, role_count = check(cases, lines, profile, roles)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps(ln, ensure_ascii=False) + "\n")
    # re-read what was written and make sure it round-trips
    with open(out, encoding="utf-8") as fh:
        back = [json.loads(x) for x in fh]
    if back != lines:
        errs.append("cases.jsonl does not round-trip")
    print(f"{len(lines)} cases, {benign} benign, Dutch share {nl:.2f}")
    print("per category:", json.dumps(dict(sorted(counts.items()))))
    print("role x positive:", {f"{r}/{'pos' if p else 'benign'}": v for (r, p), v in sorted(role_count.items())})
    if errs:
        print("FAIL:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
