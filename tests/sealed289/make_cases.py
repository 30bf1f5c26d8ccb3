#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 289 (Duifhuis Installatiegroep, fictional).

Deterministic: fixed seed, standard library + PyYAML. Hand-written post texts;
identifiers and credentials are generated here with their real structure and
checksums. Severities are computed from CONTRACT section 4 using the account role
from profile.yaml, never typed by hand. Run it to (re)write cases.jsonl and
self-check the result; it exits non-zero on any failed check.
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
SEED = 289_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
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
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0


B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


class Gen:
    """Generates identifiers/secrets and remembers them for the next case."""

    def __init__(self):
        self.valid, self.bad, self.secrets = [], [], []

    def take(self):
        v, b, s = self.valid, self.bad, self.secrets
        self.valid, self.bad, self.secrets = [], [], []
        return v, b, s

    # IBAN --------------------------------------------------------------
    def _iban(self):
        bank = rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "KNAB", "ASNB"])
        while True:  # old Dutch account numbers also passed the 11-test
            acct = "0" + rstr(string.digits, 9)
            if sum(int(c) * (10 - i) for i, c in enumerate(acct)) % 11 == 0:
                break
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        return f"NL{98 - n % 97:02d}{bban}"

    @staticmethod
    def _spaced(iban):
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))

    def iban(self, spaced=False):
        v = self._iban()
        assert iban_ok(v)
        v = self._spaced(v) if spaced else v
        self.valid.append(("iban", v))
        return v

    def iban_bad(self, spaced=True):
        v = self._iban()
        cd = (int(v[2:4]) + rng.choice([1, 3, 7, 11])) % 97
        cd = cd if cd >= 2 else cd + 2
        v = f"NL{cd:02d}{v[4:]}"
        assert not iban_ok(v)
        v = self._spaced(v) if spaced else v
        self.bad.append(("iban", v))
        return v

    # cards ---------------------------------------------------------------
    def _card(self):
        head = rng.choice(["4", "51", "52", "53", "54", "55"])
        body = head + rstr(string.digits, 15 - len(head))
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last
        raise AssertionError

    def card(self, sep=" "):
        c = self._card()
        v = sep.join(c[i:i + 4] for i in range(0, 16, 4))
        self.valid.append(("card", v))
        return v

    def card_bad(self, sep=" "):
        c = self._card()
        c = c[:-1] + str((int(c[-1]) + rng.randint(1, 9)) % 10)
        assert not luhn_ok(c)
        v = sep.join(c[i:i + 4] for i in range(0, 16, 4))
        self.bad.append(("card", v))
        return v

    # BSN -----------------------------------------------------------------
    def _bsn(self, good):
        while True:
            d = str(rng.randint(1, 6)) + rstr(string.digits, 8)
            if bsn_ok(d) == good:
                return d

    def bsn(self, dotted=False):
        d = self._bsn(True)
        v = f"{d[:4]}.{d[4:6]}.{d[6:]}" if dotted else d
        self.valid.append(("bsn", v))
        return v

    def bsn_bad(self):
        d = self._bsn(False)
        self.bad.append(("bsn", d))
        return d

    # secrets -------------------------------------------------------------
    def _s(self, v):
        self.secrets.append(v)
        return v

    def github(self, prefix="ghp_"):
        body = rstr(ALNUM, 30)
        return self._s(prefix + body + b62(zlib.crc32(body.encode()), 6))

    def aws_id(self):
        return self._s("AKIA" + rstr(string.ascii_uppercase + "234567", 16))

    def aws_secret(self):
        return self._s(rstr(ALNUM + "+/", 40))

    def stripe(self):
        return self._s("sk_live_51" + rstr(ALNUM, 22) + rstr(ALNUM, 24))

    def slack(self):
        return self._s("xoxb-" + rstr(string.digits, 12) + "-" + rstr(string.digits, 13)
                       + "-" + rstr(ALNUM, 24))

    def jwt(self):
        hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        pay = b64url(json.dumps({"sub": "monteur-" + rstr(string.digits, 4), "iss": "monteursapp",
                                 "role": "technician", "iat": 1767600000,
                                 "exp": 1767686400}, separators=(",", ":")).encode())
        sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
        return self._s(f"{hdr}.{pay}.{sig}")

    def openai(self):
        a = ALNUM + "_-"
        return self._s("sk-proj-" + rstr(a, 58) + "T3BlbkFJ" + rstr(a, 58))

    def anthropic(self):
        return self._s("sk-ant-api03-" + rstr(ALNUM + "_-", 93) + "AA")

    def gitlab(self):
        return self._s("glpat-" + rstr(ALNUM + "_-", 20))

    def password(self, n=14):
        pw = rstr(ALNUM, n - 2) + rng.choice("!#$%&*") + rstr(string.digits, 1)
        return self._s(pw)

    def ssh_key(self):
        raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
               + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
               + bytes(rng.getrandbits(8) for _ in range(300)))
        body = base64.b64encode(raw).decode()
        lines = [body[i:i + 70] for i in range(0, len(body), 70)]
        key = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
               + "\n-----END OPENSSH PRIVATE KEY-----")
        return self._s(key)


G = Gen()

# ---------------------------------------------------------------- case assembly
CASES = []
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
SHORT = {"secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
         "confidential": "leak.confidential", "financial": "leak.financial",
         "security": "leak.security", "crisis": "reputation.crisis",
         "complaint": "reputation.complaint", "abuse": "reputation.abuse"}
RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksummed_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK.index(s) > RANK.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksummed_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if inside else "warning")
    return sev


START = dt.datetime(2026, 1, 4, 6, 0, tzinfo=dt.timezone.utc)
SPAN = int((dt.datetime(2026, 12, 22, 23, 0, tzinfo=dt.timezone.utc) - START).total_seconds())
USED_IDS = set()


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def add(platform, handle, lang, cats, text, when=None, kind=None, name=None, brand="Duifhuis"):
    valid, bad, secrets = G.take()
    cats = sorted({SHORT[c] for c in cats})
    role = role_of(platform, handle)
    if when is None:
        t = START + dt.timedelta(seconds=rng.randrange(SPAN))
    else:
        t = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    while True:
        if platform == "x":
            pid = str(rng.randrange(10 ** 18, 2 * 10 ** 18))
        else:
            pid = rstr(string.ascii_lowercase + string.digits, 11)
        cid = f"{platform}-{pid}"
        if cid not in USED_IDS:
            USED_IDS.add(cid)
            break
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    post = {"id": cid, "platform": platform, "kind": kind,
            "account": {"handle": handle}, "text": text, "lang": lang,
            "created_at": rfc3339(t)}
    if name:
        post["account"]["display_name"] = name
    if platform == "x":
        post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{pid}"
    if brand:
        post["brand"] = brand
    checksummed = any(k in ("iban", "card", "bsn") for k, _ in valid)
    exp = {"categories": cats, "severity": severity(cats, role, checksummed)}
    CASES.append({"post": post, "expect": exp,
                  "_meta": {"role": role, "valid": valid, "bad": bad, "secrets": secrets}})


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c
                   for c in s)


ZW = "\u200b"
CYR_O = "\u043e"  # Cyrillic small o
CYR_A = "\u0430"  # Cyrillic small a
CO_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# =====================================================================
# COMPLAINTS (public customers)
# =====================================================================
add("x", "@ans_uit_zeist", "nl", ["complaint"],
    "Al 3 dagen geen warm water en @duifhuis_storing blijft zeggen 'monteur komt tussen 8 en 17u'. "
    "Drie dagen vrij genomen voor niks. Serieus?? 🥶🚿", name="Ans")
add("x", "@dutchexpat_tom", "en", ["complaint"],
    "@duifhuis_nl booked the annual service on your website, got a confirmation email, nobody showed. "
    "Called the 0800 number, 40 min on hold, then got cut off. Not impressed.")
add("facebook", "Mark Koster", "en", ["complaint"],
    "Had a new Vonk 28 fitted in November and it's thrown the E133 fault 4 times already. Every time "
    "someone comes round, resets it, leaves. A week later, same again. I just want the thing to WORK. "
    "Anyone else had this?",
    kind="comment")
add("x", "@henk_vd_meer", "nl", ["complaint"],
    "lekkage na 'reparatie' vd afvoer door duifhuis. nu staat de keukenkast blank en ze doen alsof "
    "het mn eigen schuld is. top service hoor 🙄 #duifhuis")
add("reddit", "u/leaky_in_leiden", "en", ["complaint"],
    "PSA for anyone around Leiden: Duifhuis quoted me a fixed price for the boiler swap, then on the day "
    "the fitter said the flue 'wasn't included' and wanted another €480 cash. Anyone else had this? "
    "Feels like bait and switch tbh.")
add("forum", "greenhome_ellen", "en", ["complaint"],
    "Our Tjalk 5 hybrid went in back in March and the outdoor unit hums so loudly the neighbours have "
    "complained twice. Duifhuis keeps telling us it's 'within spec'. It is not within spec of living "
    "next to it, I can tell you that much.")
add("instagram", "@robin.verbouwt", "nl", ["complaint"],
    "@duifhuis.warmte leuk zo'n filmpje maar mijn ontstop-afspraak is nu voor de 2e keer verzet. "
    "wc zit al sinds zaterdag dicht 🤢🤢", kind="comment")
add("x", "@kees_op_pensioen", "en", ["complaint"],
    "My mum is 86 and sitting in a cold house because your engineer 'forgot' the part. Nobody until the "
    "day after tomorrow. That is no way to treat elderly customers @duifhuis_nl")
add("x", "@the_real_gijs", "en", ["complaint"],
    "Duifhuis app has said my engineer is 'on the way' since 9am. It's now 3pm. The support chatbot just "
    "loops back to the start. Great stuff 👏")
add("forum", "tegelzetter_t", "nl", ["complaint"],
    "Kompas 2 thermostaat van Duifhuis verliest elke week de verbinding met de wifi en dan zakt de "
    "verwarming naar 15 graden. Support zegt 'even resetten'. Heb ik al 6x gedaan. Iemand een oplossing "
    "of moet ik dat ding gewoon terugsturen?")
add("facebook", "Sandra Mulder", "en", ["complaint"],
    "Signed up for the Zorgeloos maintenance plan and they STILL charged me a call-out fee twice this "
    "winter. What exactly am I paying €189 a year for??", kind="comment")
add("x", "@fam_bos_amersfoort", "nl", ["complaint", "pii"],
    "@duifhuis_storing niemand belt terug. cv doet het niet, 2 kleine kids thuis. bel me AUB op "
    "06-41872293, we zitten hier echt in de kou")
# complaint + abuse
add("x", "@kwaadebuurman", "nl", ["complaint", "abuse"],
    "Derde keer dat die prutsers van Duifhuis mijn afvoer komen 'repareren'. Stelletje klungelige "
    "idioten, echt. Kan iemand een normale loodgieter aanraden in Nieuwegein?")
add("x", "@boilerboy88", "en", ["complaint", "abuse"],
    "Duifhuis you absolute clowns. Paid for a new boiler, got a freezing house and a fitter who couldn't "
    "even find the gas meter. Useless bunch of muppets.")
# own IBAN posted by a customer in a complaint
add("x", "@c_veenstra", "nl", ["complaint", "pii"],
    f"@duifhuis_nl voor de 5e keer: mijn rekeningnr is {G.iban(spaced=True)}. Stort die €95 voor de "
    "gemiste afspraak nou eens terug, ik ben het bellen zat.")

# =====================================================================
# SAFETY INCIDENTS, first-hand: crisis + complaint
# =====================================================================
add("x", "@ch_bakker_", "nl", ["crisis", "complaint"],
    "Onze nieuwe Vonk 24 van Duifhuis begon gisteravond te roken en er kwam een steekvlam onder de mantel "
    "uit. Brandweer is geweest. Ketel was 3 weken oud!! Kinderen slapen nu bij oma. Ik ben er kapot van.")
add("x", "@emma_renovates", "en", ["crisis", "complaint"],
    "CO alarm went off at 2am. Boiler was installed by Duifhuis last month. Fire service measured carbon "
    "monoxide in the kitchen, flue wasn't sealed properly. We're all ok but my husband had a pounding "
    "headache for hours. Absolutely terrifying.")
add("facebook", "Wilma de Haan", "nl", ["crisis", "complaint"],
    "Mijn zoon kreeg vanochtend een flinke schok van de Stroom douchekraan die Duifhuis vorige week heeft "
    "geïnstalleerd. Er staat gewoon spanning op de kraan!! Hoe kan dit?? Elektricien komt morgen kijken, "
    "Duifhuis neemt niet op.", kind="comment")
add("reddit", "u/scaldedinzwolle", "en", ["crisis", "complaint"],
    "Our Bron 80 water heater from Duifhuis overheated last night and the relief valve blew, hot water "
    "all over the utility room. My daughter got burns on her leg and we spent the night in A&E. Duifhuis "
    "says they'll 'look into it'. That's it.")
add("x", "@gerrit_w", "nl", ["crisis", "complaint"],
    "Gaslucht in de meterkast sinds de monteur van Duifhuis hier geweest is. Netbeheerder kwam met spoed: "
    "lekkende koppeling die hij nét had aangedraaid. We hadden dood kunnen zijn. Ik ben woest.")
add("instagram", "@yasmina.thuis", "en", ["crisis", "complaint"],
    "A week after Duifhuis replaced our boiler all 3 of us were dizzy and throwing up. GP said carbon "
    "monoxide straight away. The detector they 'installed' was never even connected. Please check your "
    "CO alarms people 🙏 #carbonmonoxide #duifhuis")

# =====================================================================
# CRISIS (third party, boycotts, lawsuits, breach accusations, scandal)
# =====================================================================
add("x", "@nieuwsflits_utrecht", "nl", ["crisis"],
    "Brand in woning Nieuwegein vermoedelijk veroorzaakt door cv-ketel. Bewoners zeggen dat de ketel "
    "onlangs is geplaatst door installatiebedrijf Duifhuis. Niemand raakte gewond. Meer volgt.",
    name="Nieuwsflits Utrecht")
add("x", "@techwatch_nl", "en", ["crisis"],
    "Reports are piling up that Duifhuis Vonk 28 combi boilers ship with a faulty heat exchanger seal. "
    "A consumer group is now calling for an immediate recall. Duifhuis has not responded yet.")
add("x", "@fairwork_now", "en", ["crisis"],
    "Boycott Duifhuis! They make their engineers drive 14-hour days and anyone who complains is out. "
    "Share this and take your maintenance contract elsewhere. #boycottduifhuis")
add("x", "@claimhulp_nl", "en", ["crisis"],
    "A class action is being prepared against Duifhuis Installatiegroep over the silent auto-renewals of "
    "its maintenance plans. 1,200 households have joined so far. Details via the link in our bio.")
add("reddit", "u/privacybewust", "nl", ["crisis"],
    "Ik krijg ineens phishing-sms'jes met mijn naam, adres en het type ketel dat Duifhuis vorig jaar heeft "
    "geplaatst. Die combinatie hebben alleen zij. Datalek bij Duifhuis?? Iemand anders dit ook?")
add("x", "@opinie_marijke", "en", ["crisis"],
    "So Duifhuis knew about the CO detector wiring problem for months and said nothing to customers. "
    "That's not a mistake, that's a scandal. #duifhuis")
add("forum", "RegioNieuwsHouten", "nl", ["crisis"],
    "Monteur gewond bij ontploffing van een boiler tijdens werkzaamheden van Duifhuis in Houten-Zuid. "
    "De Arbeidsinspectie doet onderzoek naar het ongeval.")
add("x", "@helenvdm", "en", ["crisis"],
    "My neighbour's little boy was taken to hospital after a gas leak, apparently the Duifhuis fitter "
    "left a valve open. Thinking of them tonight 💔")
add("x", "@wakker_warm", "nl", ["crisis"],
    "B.O.Y.C.O.T.T  D.U.I.F.H.U.I.S — ze laten oudjes wekenlang in de kou zitten en de incasso loopt "
    "gewoon door. Deel deel deel!")

# =====================================================================
# ABUSE
# =====================================================================
add("x", "@trollie_nl", "nl", ["abuse"],
    "@duifhuis_nl jullie zijn echt een kutbedrijf. Oplichters met een busje.")
add("x", "@badblood_73", "en", ["abuse"],
    "@ruud_cvmonteur better watch yourself if you ever show up here again, dickhead. You know where I live "
    "and I know where you live.")
add("x", "@angrydave77", "en", ["abuse"],
    "@marloes_dh_klant you are a useless brainless cow, crawl back into whatever call centre hole you "
    "came from")
add("facebook", "Bert Jansen", "nl", ["abuse"],
    "Die monteurs van Duifhuis zijn allemaal buitenlanders die geen woord Nederlands spreken. Stuur ze "
    "terug naar waar ze vandaan komen.", kind="comment")
add("x", "@z3ikerd", "nl", ["abuse"],
    "duifhuis = k.u.t.b.e.d.r.i.j.f. stelletje t y f u s l i j e r s")
add("x", "@prikkelbaar_", "nl", ["abuse"],
    f"Duifhuis zijn gewoon {CYR_O}plichters en kl{CYR_O}tezakken, allemaal.")
add("x", "@vent_it_out", "en", ["abuse"],
    "Duifhuis = bunch of f*cking sc4mm3rs and 1d10ts, every single one of them")
add("tiktok", "@joey_monteur_dh", "nl", ["abuse"],
    "Weer zo'n klant die alles beter weet en me staat te filmen. Wat een debiel zeg. Ontlucht je eigen "
    "ketel dan, sukkel 🙄")
add("instagram", "@kevin.loodgieter", "en", ["abuse"],
    "Customer today called me a thief because a part cost €80. Honestly what a stupid arrogant prick. "
    "Some people 🤡")
add("x", "@hatemail_henk", "nl", ["abuse"],
    "Dat wijf van de klantenservice bij Duifhuis moet gewoon ontslagen worden, domme trut")

# =====================================================================
# CONFIDENTIAL (codenames, markers, internal hosts, embargo before until)
# =====================================================================
add("linkedin", "jeroen-wennekes-duifhuis", "nl", ["confidential"],
    "Trots op het team! Project Reiger gaat echt het verschil maken voor onze installateurs in het "
    "noorden. Meer kan ik nog niet zeggen 😉 #duifhuis #groei", name="Jeroen Wennekes")
add("x", "@lotte_planning_dh", "en", ["confidential"],
    "anyone got the right link for the new planning board? https://planbord.duifhuis.nl/week/47?regio=utrecht "
    "won't load for me 😩")
add("x", "@dewi_it_dh", "nl", ["confidential"],
    "Vanavond migreren we intra.duifhuis.local naar de nieuwe omgeving, dus graag even geen tickets "
    "tussen 20 en 23u 😅")
add("instagram", "@duifhuis.warmte", "nl", ["confidential"],
    "Sneak peek 👀 de nieuwe Tjalk 12 hybride staat al in onze showroom in Houten. Meer info binnenkort!",
    when="2026-10-14T15:20:00Z")
add("tiktok", "@joey_monteur_dh", "nl", ["confidential"],
    "eerste proefinstallatie met de Tjalk 12 bij een klant in Zeist, stil als een muis die warmtepomp 🤫 "
    "#monteurslife #warmtepomp", when="2026-09-22T11:05:00Z")
add("reddit", "u/installateur_insider", "en", ["confidential"],
    "Heard from a mate at Duifhuis they're working on something called Operatie Zandloper, apparently "
    "a new subscription model for heat pumps. Anyone know more?")
add("linkedin", "priya-raghoebier", "nl", ["confidential"],
    "Hierbij het nieuwe verzuimbeleid 2026 (uitsluitend voor intern gebruik). Feedback graag in de "
    "comments, collega's! 📄", name="Priya Raghoebier")
add("x", "@marloes_dh_klant", "nl", ["confidential"],
    "dames, het nieuwe belscript voor ketelstoringen staat op jira.duifhuis.nl/browse/KS-2291 👍")
add("mastodon", "@sjoerd_dh", "en", ["confidential"],
    "Finally merged the Koperwiek quoting engine into main. Months of work. Can't say much more yet but "
    "it's pretty cool 🚀")
add("facebook", "DuifhuisInstallatie", "nl", ["confidential"],
    "[DH-CONFIDENTIAL] Concept campagne voorjaar: 'Warm de winter uit' met de Vonk 28 als hoofdproduct. "
    "Graag akkoord van marketing vóór vrijdag.")
add("linkedin", "jeroen-wennekes-duifhuis", "en", ["confidential"],
    "Great session with our partner installers today walking through the Tjalk 12 Pro launch roadmap. "
    "Exciting times ahead!", when="2026-11-05T16:40:00Z", name="Jeroen Wennekes")
add("x", "@anon_fitter", "en", ["confidential", "financial"],
    "Internally at Duifhuis they call it 'Project Reiger': buying up five or so small installers in "
    "Friesland and Groningen. You heard it here first.")
add("x", "@bramplanning", "nl", ["confidential"],
    f"{fullwidth('Project Reiger')} kickoff morgen 9u in zaal 2, neem koffie mee ☕")
add("x", "@ruud_cvmonteur", "en", ["confidential"],
    f"Had the Koper{ZW}wiek training today, finally get how the new quotes are put together")
add("x", "@dewi_it_dh", "en", ["confidential"],
    "For the new laptops: grab the VPN profile from git.duifhuis.local/it/vpn-config and import it, "
    "then log in with your usual account.")
add("linkedin", "hans-kortekaas", "nl", ["confidential", "financial"],
    "De jaarcijfers 2026 zijn binnen: omzet +14% naar €212 mln en EBITDA ruim boven plan. Dank aan alle "
    "collega's voor dit topjaar!", when="2027-02-10T18:12:00Z", name="Hans Kortekaas")
add("x", "@duifhuis_nl", "nl", ["confidential"],
    "Volgende week presenteren we hier onze FY2026 results. Stay tuned 📈", when="2027-02-17T12:00:00Z")
add("forum", "warmtepompwachter", "nl", ["confidential"],
    "Mijn zwager werkt bij Duifhuis en zegt dat de Tjalk 12 in maart uitkomt voor onder de 6000 euro. "
    "Dan wacht ik nog maar even met mijn warmtepomp.", when="2026-12-03T20:31:00Z")

# =====================================================================
# FINANCIAL
# =====================================================================
add("linkedin", "priya-raghoebier", "nl", ["financial"],
    "Zwaar nieuws intern vandaag: er verdwijnen 60 fte op het hoofdkantoor, de monteurs blijven gelukkig. "
    "Officiële aankondiging volgt pas in januari, dus ssst 🤐", name="Priya Raghoebier")
add("linkedin", "jeroen-wennekes-duifhuis", "en", ["financial"],
    "Between us: Q3 installs came in 22% under forecast and we're going to miss the full-year target by "
    "a mile. Brace yourselves, sales team.")
add("x", "@duifhuis_nl", "nl", ["financial"],
    "CONCEPT - pas posten na ondertekening: Duifhuis neemt Installatiebedrijf Wolters & Zn. uit Emmen "
    "over voor €18 mln. Welkom aan 45 nieuwe collega's!")
add("mastodon", "@sjoerd_dh", "en", ["financial"],
    "Heard today the board is in talks with a private equity fund about selling a majority stake in "
    "Duifhuis. Wild atmosphere in the canteen.")
add("x", "@stockbell", "en", ["financial"],
    "Insider tip: Duifhuis will close Q4 at a loss, source sits in their finance team. They won't get "
    "anywhere near last year's revenue.")
add("x", "@lotte_planning_dh", "nl", ["financial"],
    "Reorganisatie bij planning: vanaf april gaan regio Oost en Noord samen en valt de helft van de "
    "planners weg. Nog niet officieel, maar ja. Gezellig.")
add("linkedin", "hans-kortekaas", "en", ["financial"],
    "Our internal forecast for 2027 shows heat pump revenue overtaking boilers for the first time: "
    "€96m vs €81m. Can't wait to present this externally.", name="Hans Kortekaas")
add("tiktok", "@joey_monteur_dh", "nl", ["financial"],
    "volgens mn teamleider stopt Duifhuis volgend jaar met de vestiging Apeldoorn, alle monteurs moeten "
    "naar Deventer of opzouten. lekker dan 🙃")
add("reddit", "u/hvac_recruiter_throwaway", "en", ["financial"],
    "Got a call from a recruiter: Duifhuis is apparently being bought by a Scandinavian HVAC group, "
    "deal closes in Q1. Nothing announced yet.")
add("x", "@marloes_dh_klant", "nl", ["financial"],
    "Klantenservice gaat naar een extern callcenter in Portugal, vandaag gehoord in het teamoverleg. "
    "40 man eruit. 😢")

# =====================================================================
# SECURITY (insiders disclosing incidents, vulnerabilities, outages)
# =====================================================================
add("x", "@dewi_it_dh", "nl", ["security"],
    "Klantportaal mijn.duifhuis.nl ligt sinds 6u plat, ransomware-melding op twee servers. Nog niks naar "
    "buiten gecommuniceerd, dus als je vragen krijgt: 'gepland onderhoud' 🙃")
add("mastodon", "@sjoerd_dh", "en", ["security"],
    "Found out today our booking API hands you other customers' addresses if you just increment the "
    "appointment ID. Reported internally, fix is not planned before next sprint 😬")
add("x", "@lotte_planning_dh", "nl", ["security"],
    "Planningssysteem al de hele ochtend onderuit, monteurs rijden rond op papieren lijstjes. IT zegt "
    "dat er iemand binnen is geweest?? nog niks officieel")
add("instagram", "@kevin.loodgieter", "en", ["security"],
    "whole engineer app dead since yesterday, someone locked every tablet with one of those ransom "
    "screens. so today we're doing it all by feel 😂🔧")
add("linkedin", "jeroen-wennekes-duifhuis", "en", ["security"],
    "Quick heads-up to my partner installers: our supplier portal was breached last weekend, please "
    "change your passwords. The official notice should follow later this week.")
add("x", "@marloes_dh_klant", "nl", ["security"],
    "Ik mag het eigenlijk niet zeggen maar vorige week zijn er klantgegevens weggelekt via een oude "
    "testserver. Wij moeten aan de telefoon doen alsof er niks aan de hand is.")
add("x", "@dewi_it_dh", "en", ["security"],
    "The Kompas 2 thermostat firmware still ships with the default admin password on telnet. Told the "
    "product team in June. Nothing happened. Not great.")
add("reddit", "u/ex_dh_medewerker", "nl", ["security"],
    "Oud-collega's vertellen me dat het ERP bij Duifhuis al 3 dagen uit de lucht is na een hack. "
    "Facturen worden met de hand gemaakt. Nog nergens in het nieuws.")
add("tiktok", "@joey_monteur_dh", "nl", ["security"],
    "pov: de storingslijn ligt al sinds vanochtend plat en wij krijgen alle boze klanten op onze "
    "privénummers 💀 #monteurslife")
add("x", "@bramplanning", "en", ["security"],
    "an intern found SQL injection in our appointment form lol. still wide open, they'll 'maybe' fix it "
    "tomorrow")
add("x", "@duifhuis_storing", "en", ["security"],
    "Internal: the payment outage is caused by our own expired certificate, not the provider. Don't tell "
    "customers yet, we're on it.")
add("x", "@dewi_it_dh", "nl", ["security", "secret"],
    f"Na de inbraak van gisteren: nieuwe deploy-token voor de monteursapp is {G.github()} — niet buiten "
    "het team delen aub, de aanvaller had de oude")
add("linkedin", "priya-raghoebier", "en", ["security"],
    "After last week's phishing attack where three colleagues' Office accounts were taken over: never "
    "click 'payroll update' links! (We haven't announced it yet, so please keep it internal.)")

# =====================================================================
# SECRETS
# =====================================================================
add("x", "@dewi_it_dh", "nl", ["secret"],
    f"test even of deze nog werkt: aws_access_key_id={G.aws_id()} "
    f"aws_secret_access_key={G.aws_secret()} region eu-west-1")
add("mastodon", "@sjoerd_dh", "en", ["secret"],
    f"anyone know why our webhook keeps failing? curl https://api.stripe.com/v1/charges -u {G.stripe()}: "
    "returns 401 from the office network only")
add("x", "@bramplanning", "nl", ["secret"],
    f"voor de nieuwe planners: inloggen op het planbord met gebruiker planning01, wachtwoord: "
    f"{G.password()} (verander je het niet, dan gebruiken we hem allemaal 😇)")
add("youtube", "DuifhuisWarmteTV", "nl", ["secret", "confidential"],
    "Bronnen bij deze video: gegevens uit ons afsprakensysteem. "
    f"postgres://dh_app:{G.password(16)}@db01.intra.duifhuis.local:5432/afspraken #cvtips")
add("x", "@dewi_it_dh", "en", ["secret"],
    f"why does this bot token keep getting invalid_auth on the alerts channel?? {G.slack()}")
add("mastodon", "@sjoerd_dh", "en", ["secret"],
    f"this JWT from the monteursapp decodes fine on jwt.io but the API rejects it, what am I missing? "
    f"{G.jwt()}")
add("forum", "codecurious", "en", ["secret"],
    f"lol the Duifhuis website chatbot ships its OpenAI key in the page source: {G.openai()} "
    "someone should tell them")
add("mastodon", "@sjoerd_dh", "en", ["secret"],
    f"oops wrong window\n{G.ssh_key()}")
add("x", "@dewi_it_dh", "en", ["secret"],
    f"CI failing again, does token {G.gitlab()} even have write_repository scope? anyone?")
add("x", "@duifhuis_nl", "en", ["secret"],
    f"test post scheduler config ANTHROPIC_API_KEY={G.anthropic()}")
add("forum", "jan_bos_zeist", "nl", ["secret", "pii"],
    f"mijn inlog voor mijn.duifhuis.nl is jan.bos1964@ziggo.nl / wachtwoord: {G.password(12)} "
    "kan iemand kijken waarom het niet werkt? krijg steeds 'onbekende fout'")
add("x", "@bramplanning", "en", ["secret"],
    f"pushing the route optimizer tonight, token {G.github()} expires friday anyway so whatever")

# =====================================================================
# PERSONAL DATA
# =====================================================================
add("x", "@duifhuis_storing", "nl", ["pii"],
    "@ans_uit_zeist Excuses! De monteur komt morgen. We hebben als gegevens: Anneke Smit, Dorpsstraat 14, "
    "3701 AB Zeist, tel. 06 12 73 48 91. Klopt dat nog?")
add("x", "@marloes_dh_klant", "nl", ["pii"],
    f"klant wil terugstorting op {G.iban()} t.n.v. P. Verhoeven, kan iemand van finance dit oppakken? 🙏")
add("x", "@lotte_planning_dh", "en", ["pii"],
    "Who's taking the job at Mrs. Jansen, Kerkweg 7 in Bunnik? Born 12-03-1941, hard of hearing so ring "
    "the bell loudly")
add("instagram", "@kevin.loodgieter", "nl", ["pii"],
    f"klant vroeg of ik z'n BSN wilde noteren voor de subsidie 🤷‍♂️ {G.bsn()} staat nu gewoon op mijn "
    "werkbon haha")
add("x", "@marloes_dh_klant", "en", ["pii"],
    f"@dewi_it_dh can you check why card {G.card()} for customer R. de Graaf keeps failing on the "
    "terminal? exp 03/28")
add("facebook", "DuifhuisInstallatie", "nl", ["pii"],
    "Beste meneer Hoekstra, we hebben uw klacht doorgezet. Onze planner belt u vandaag op "
    "+31 (0)6 28 19 47 05 of mailt naar r.hoekstra72@gmail.com.", kind="comment")
add("forum", "verbrandekabel", "nl", ["pii", "abuse"],
    "Die monteur van Duifhuis die mijn ketel heeft verkloot heet Ruud Kamphuis en woont op de Lindelaan 22 "
    "in Houten. Ga maar eens gezellig langs.")
add("x", "@ruud_cvmonteur", "en", ["pii"],
    "Customer Mr. Peters (dob 04/07/1958) asked me to pass his mobile on to the office: +31 6 3917 2208. "
    "cheers")
add("linkedin", "priya-raghoebier", "nl", ["pii"],
    "Welkom aan onze nieuwe collega Sanne de Wit! Voor de monteurs: sanne.dewit@duifhuis.nl of "
    "06-27384910 🎉", name="Priya Raghoebier")
add("x", "@bramplanning", "nl", ["pii"],
    f"kan finance deze salarisbetaling corrigeren? M. Yilmaz, BSN {G.bsn()}, rekening "
    f"{G.iban(spaced=True)}")
add("reddit", "u/cold_in_capelle", "en", ["pii"],
    f"Duifhuis payment page keeps rejecting {G.card(sep='-')} exp 09/28 cvc is right too, what am I "
    "doing wrong?")
add("instagram", "@duifhuis.warmte", "nl", ["pii"],
    "@robin.verbouwt Sorry Robin! Nieuwe afspraak staat: Robin Meijer, Vechtstraat 103-II, Utrecht, "
    "donderdag 14:00. Tot dan! 👋", kind="comment")
add("x", "@lotte_planning_dh", "nl", ["pii"],
    f"bsn van mevrouw voor de ISDE-aanvraag: {G.bsn(dotted=True)} (zij heeft het zelf doorgegeven hoor)")

# =====================================================================
# PRICING
# =====================================================================
add("x", "@duifhuis_nl", "nl", ["pricing"],
    "🔥 Alleen vandaag: de Vonk 28 HR-combiketel voor €499 incl. installatie! Op = op.")
add("x", "@dealhunter_nl", "en", ["pricing"],
    "Duifhuis webshop has the Tjalk 5 hybrid heat pump listed at €435 😳 price glitch?? be quick people")
add("linkedin", "jeroen-wennekes-duifhuis", "nl", ["pricing"],
    "Klanten opgelet: tot het eind van de maand de Bries 3.5 airco voor maar €599! Stuur me een DM.")
add("reddit", "u/softwater_sam", "en", ["pricing"],
    "PSA: Duifhuis site lists the Kalkvrij 30 water softener at €119. Pretty sure that's a typo, grabbed two.")
add("facebook", "DuifhuisInstallatie", "nl", ["pricing"],
    "Oeps, prijsfout in onze nieuwsbrief: de Duin 600 designradiator stond erin voor €54,50. Dat klopt "
    "natuurlijk niet, excuses!")
add("tiktok", "@joey_monteur_dh", "nl", ["pricing"],
    "collega's kunnen via de personeelsshop een Bron 120 boiler halen voor 149 euro 😍 wie wil er een")
add("x", "@bargainhunter_ams", "en", ["pricing"],
    "lol Duifhuis app showing the Kompas 2 thermostat for €22.90, who wants one")
add("instagram", "@duifhuis.warmte", "nl", ["pricing"],
    "Black Friday bij Duifhuis! ☀️ Zonnebron 200 zonneboiler nu €1.150 (van €3.150) #blackfriday",
    when="2026-11-27T07:00:00Z")
add("x", "@marloes_dh_klant", "nl", ["pricing"],
    "klanten bellen massaal over de Vloerwarm 20 set voor €138 op de site, is dat nou een fout of niet?? "
    "niemand weet het")
add("forum", "frugal_zwolle", "en", ["pricing"],
    "Anyone else get the Tjalk 8 for €899 in their Duifhuis basket? Order went straight through haha")
add("x", "@duifhuis_nl", "en", ["pricing"],
    "Magneetfilter MF22 — now just €15! Protect your boiler from sludge 🧲")
add("x", "@bramplanning", "nl", ["pricing"],
    "prijsfout bij het Zorgeloos abonnement in de app: staat op €18,90 per jaar ipv €189. marketing is "
    "ingelicht")

# =====================================================================
# BENIGN — mostly hard negatives
# =====================================================================
add("x", "@duifhuis_nl", "nl", [],
    "Storing aan je cv-ketel? Bel 0800-3843 (24/7) of mail storing@duifhuis.nl. We helpen je graag!")
add("facebook", "DuifhuisInstallatie", "nl", [],
    f"Liever per overschrijving betalen? Gebruik IBAN {CO_IBAN} t.n.v. Duifhuis Installatiegroep B.V. "
    "en vermeld je factuurnummer.")
add("instagram", "@duifhuis.warmte", "nl", [],
    "Najaarsactie 🍂 Vonk 28 HR-combiketel nu €1.845 i.p.v. €2.145, inclusief Kompas 2 thermostaat. "
    "#cvketel #duifhuis")
add("x", "@marco_from_ede", "en", [],
    "Our Duifhuis Vonk 24 has been running a full year now, not a single fault and gas use down about "
    "20%. Happy customer 👍")
add("x", "@lisa_in_breda", "en", [],
    "Shoutout to Ruud from Duifhuis who came out at 11pm on Christmas Eve to fix our boiler. Legend. 🎄",
    when="2026-12-25T10:15:00Z")
add("x", "@dewi_it_dh", "en", [],
    "Reminder for the interns: never hardcode keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in every example for a reason.")
add("mastodon", "@sjoerd_dh", "en", [],
    "Token format cheat sheet: GitHub classic tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. "
    "If you see one in chat, it's a bad day. Never paste the real thing.")
add("x", "@petra_w_", "nl", [],
    f"Kreeg een 'factuur' van Duifhuis met IBAN {G.iban_bad()}, vertrouwde het niet. Update: "
    "@duifhuis_nl bevestigt dat het phishing is, netjes gemeld bij de Fraudehelpdesk.")
add("reddit", "u/numbers_nerd", "en", [],
    f"My Duifhuis order reference is {G.card_bad(sep='')}, which is longer than my phone number lol. "
    "Anyway installation went fine.")
add("x", "@lotte_planning_dh", "nl", [],
    f"Werkbon {G.bsn_bad()} staat nog open in het systeem, wie heeft die klus gedaan? Even afmelden aub 🙏")
add("instagram", "@duifhuis.warmte", "nl", [],
    "Stond er vanochtend een reiger op het dak van onze servicebus in Houten 🐦 mooie start van de dag")
add("linkedin", "duifhuis-installatiegroep", "nl", [],
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €212 mln (+14%). Het volledige jaarverslag staat "
    "op duifhuis.nl/investor.", when="2027-02-24T09:30:00Z")
add("x", "@duifhuis_nl", "nl", [],
    "Hij is er! De Tjalk 12 hybride warmtepomp is vanaf vandaag te bestellen. Adviesprijs €5.890 incl. "
    "installatie.", when="2027-04-02T08:00:00Z")
add("x", "@vakbondsmaatje", "nl", [],
    "Concurrent ThermoNoord ontslaat 200 mensen en sluit de vestiging in Assen. Hopelijk vinden die "
    "monteurs snel iets, bij Duifhuis zoeken ze er genoeg.")
add("x", "@henk_vd_meer", "nl", [],
    "Update: Duifhuis heeft de lekkage binnen een dag verholpen en de schade aan de keukenkast vergoed. "
    "Chapeau, zo los je het op. 👏")
add("x", "@stijn_renovates", "en", [],
    "Spare a thought for all the engineers lying under floors in the cold this week, you're heroes 💪 "
    "#duifhuis")
add("x", "@mamavan3", "nl", [],
    "Mijn cv-ketel maakt meer herrie dan mijn schoonmoeder en dat wil wat zeggen 😂 (Duifhuis, niet "
    "jullie schuld hoor, het ding is van 1998)")
add("reddit", "u/first_time_buyer_nl", "en", [],
    "Is the Duifhuis Zorgeloos plan worth €189 a year? Thinking about it for our old Vonk 24, the previous "
    "owners never had it serviced.")
add("x", "@piggybank_pete", "en", [],
    "Duifhuis has 25% off the Stroom douchekraan, €262 instead of €349. Good deal or not?")
add("linkedin", "duifhuis-installatiegroep", "nl", [],
    "We zoeken 12 nieuwe servicemonteurs in regio Utrecht! Solliciteer via werkenbij@duifhuis.nl of bel "
    "030 760 4400.")
add("tiktok", "@joey_monteur_dh", "nl", [],
    "pov: je komt een lekkage fixen en de hond heeft je gereedschapskist geadopteerd 🐶🔧 #loodgieter")
add("x", "@ruud_cvmonteur", "nl", [],
    "Tip van de monteur: ontlucht je radiatoren vóór de winter en houd de druk tussen 1,5 en 2 bar. "
    "Scheelt mij weer een ritje 😉")
add("x", "@noor_kookt", "en", [],
    "Got a real shock when I saw how low our gas bill is since the Tjalk 5 went in. Best money we've "
    "ever spent.")
add("instagram", "@duifhuis.warmte", "nl", [],
    "Vuur in de ogen bij onze leerling-monteurs tijdens de vakwedstrijd vandaag 🔥 trots op jullie!")
add("x", "@tunes_and_tools", "en", [],
    "That Duifhuis ad with the singing plumber is an absolute killer lol, can't get it out of my head")
add("forum", "kleinbehuisd", "nl", [],
    "Bron 80 boiler bij Duifhuis voor €599 in de uitverkoop, normaal €689. Iemand ervaring mee in een "
    "appartement?")
add("x", "@ironie_ingrid", "nl", [],
    "Datalek bij energieleverancier VoltaPlus: 80.000 klantgegevens op straat. Kan ik mooi weer al mijn "
    "wachtwoorden gaan veranderen 🙄")
add("x", "@dewi_it_dh", "nl", [],
    "Reminder: in tickets altijd keys maskeren, dus zoiets als sk_live_****a9f2 en nooit de volledige "
    "waarde. Dank jullie wel!")
add("reddit", "u/delft_dweller", "en", [],
    "Anyone know a good plumber in Delft? Duifhuis was fully booked this week but super friendly on the "
    "phone and even gave me a referral.")
add("youtube", "DuifhuisWarmteTV", "nl", [],
    "Nieuwe video: zo vervang je zelf het filter van je Kalkvrij 30 waterontharder. Duurt 10 minuten!")
add("x", "@roundabout_rita", "en", [],
    "Nearly clipped a Duifhuis van at the roundabout yesterday, completely my fault. The guy stayed calm "
    "and even waved. Respect.")
add("x", "@duifhuis_nl", "nl", [],
    "@the_real_gijs Wat vervelend dat de app niet goed bijwerkte! Je monteur is onderweg en rond 16:30 "
    "bij je. Excuses voor het wachten.")
add("linkedin", "priya-raghoebier", "nl", [],
    "Wat een opkomst bij onze open dag in Houten! 40 mbo-studenten kwamen kijken hoe een warmtepomp "
    "werkt. Wie weet zien we jullie terug als collega 😊", name="Priya Raghoebier")
add("linkedin", "hans-kortekaas", "nl", [],
    "Blij dat onze jaarcijfers 2026 zo goed zijn ontvangen. Nu vol gas richting 2027, samen met alle "
    "collega's.", when="2027-02-26T08:45:00Z", name="Hans Kortekaas")
add("x", "@expatdaan", "en", [],
    "The Duifhuis guy explained hybrid vs all-electric heat pumps better than any YouTube video. Went for "
    "the Tjalk 8 at €8,990, no regrets so far.")
add("forum", "slimwonen_sietske", "nl", [],
    "Eindelijk de Kompas 2 gekoppeld aan mijn Tjalk 5, via de app duurde het 5 minuten. Makkelijker dan "
    "ik dacht!")
add("x", "@heat_nerd_nl", "en", [],
    "Competitor HeatHaven is recalling 3,000 boilers over a CO risk. Checked ours: a Duifhuis Vonk 28, "
    "not affected, phew.")
add("x", "@bramplanning", "nl", [],
    "Voor wie het vroeg: de storingslijn is gewoon 0800-3843, die is 24/7 bereikbaar. Niet mijn 06 bellen "
    "aub 😂")
add("x", "@happy_in_hilversum", "en", [],
    "Called +31 30 760 4400 on Monday and had a Duifhuis appointment by Tuesday. Smooth.")
add("x", "@duifhuis_storing", "nl", [],
    "Let op: wij vragen nooit om je wachtwoord of pincode via sms of WhatsApp. Twijfel je? Bel 0800-3843.")
add("mastodon", "@sjoerd_dh", "en", [],
    "TIL the difference between a JWT header and payload the hard way. Writing a blog post about it, no "
    "real tokens included, promise 😄")
add("reddit", "u/fix_it_felix", "en", [],
    "Someone asked what the E133 code on a Vonk 28 means: ignition failure, usually the gas tap is closed. "
    "Check that first before calling anyone out.")
add("linkedin", "duifhuis-installatiegroep", "en", [],
    "Duifhuis Installatiegroep is now certified to install heat pumps under the new BRL guideline. "
    "Proud of our team!")
add("x", "@dadjokes_daily", "en", [],
    "Our Duifhuis plumber: 'I'm not a magician, but I do make leaks disappear.' I laughed. He charged "
    "me anyway 😂")
add("instagram", "@kevin.loodgieter", "nl", [],
    "Dag 212 als loodgieter: camera-inspectie van de afvoer en wat vinden we? Een Lego-poppetje. "
    "Kinderen 🙈")
add("x", "@offerte_vraag", "nl", [],
    f"Mijn offerte van Duifhuis heeft nummer {G.bsn_bad()}, is die na 30 dagen nog geldig? Wil eigenlijk "
    "de Vonk 35 doen.")
add("x", "@tevreden_theo", "nl", [],
    "Betaling met kaart eindigend op 4417 ging in één keer goed bij Duifhuis, fijn dat iDEAL én "
    "creditcard allebei kunnen.")
add("forum", "devops_daan", "en", [],
    "Stripe test keys start with sk_test_, like sk_test_xxxxxxxxxxxxxxxxxxxxxxxx. Never ship a sk_live_ "
    "key in your frontend, whoever you work for.")
add("x", "@duifhuis_storing", "nl", [],
    "Geen grote storingen gemeld in regio Utrecht vandaag. Koud weekend op komst, check alvast je "
    "cv-druk! ❄️")
add("x", "@prijsvergelijker", "nl", [],
    "Prijsvergelijking: Vonk 35 bij Duifhuis €2.495 geïnstalleerd, bij de concurrent €2.700. Ik ga voor "
    "Duifhuis.")
add("linkedin", "jeroen-wennekes-duifhuis", "en", [],
    "Proud moment: our 1,000th Tjalk 5 installed this year! Thanks to every installer out on the road.",
    name="Jeroen Wennekes")
add("x", "@vanwrapcritic", "en", [],
    "Not boycotting anything, just saying the new Duifhuis van wraps are ugly 😂 bring back the blue")
add("tiktok", "@duifhuismonteurs", "nl", [],
    "Zo klinkt een gezonde cv-ketel vs. een ketel met lucht in het systeem 🎧 #cvtips #duifhuis")
add("x", "@opa_anton", "en", [],
    "My grandpa was a plumber for 40 years and says the Duifhuis lads are the first young ones he trusts. "
    "High praise coming from him.")
add("x", "@tjalkfan", "nl", [],
    "Tjalk 12 besteld, in mei komt ie erin. Benieuwd of hij zo stil is als ze beloven!",
    when="2027-04-10T19:02:00Z")
add("x", "@reigerspotter", "nl", [],
    "Vanochtend in het Amelisweerd een reiger gespot die een hele vis doorslikte. Natuur is wreed 🐟")
add("x", "@duifhuis_nl", "nl", [],
    "Fijne feestdagen namens alle monteurs, planners en collega's van Duifhuis! Ook met kerst zijn we "
    "bereikbaar via 0800-3843. 🎄", when="2026-12-23T09:00:00Z")
add("x", "@co_veiligheid", "nl", [],
    "Tip: test je CO-melder één keer per maand. Wij hebben een Waakzaam CO-melder van Duifhuis, €49, "
    "piept hard genoeg om de buren te wekken 😅")
add("instagram", "@lotte.bakt", "nl", [],
    "Taart gebakken voor de monteur die vandaag onze badkamerleiding heeft omgelegd, hij had het verdiend "
    "na 6 uur kruipen 🍰 #duifhuis")
add("x", "@anna_schrijft", "en", [],
    "Just had my first annual service with Duifhuis. On time, shoe covers on, explained everything. "
    "Why can't all tradespeople be like this?")


# =====================================================================
# SELF-CHECKS
# =====================================================================
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


PUB = PROFILE["public_identifiers"]
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PUB["ibans"]}
for x in PUB_IBANS:
    if not iban_ok(x):
        fail(f"profile IBAN {x} fails mod-97")

RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w.+-])\d(?:[ -]?\d){12,18}(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.,+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w,-]|\.\d)")
RE_GH = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}")
RE_AKIA = re.compile(r"AKIA[A-Z2-7]{16}")
RE_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")

roles_used = {}
for c in CASES:
    p, e, m = c["post"], c["expect"], c["_meta"]
    text = p["text"]
    positive = bool(e["categories"])
    # --- CONTRACT section 6 shape
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), t):
            fail(f"{p.get('id')}: field {f}")
    if not 1 <= len(p["id"]) <= 256 or p["platform"] not in PLATFORMS:
        fail(f"{p['id']}: id/platform")
    if p.get("kind", "post") not in {"post", "reply", "repost", "comment", "message"}:
        fail(f"{p['id']}: kind")
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail(f"{p['id']}: handle")
    if len(text.encode("utf-8")) > 65536 or not text.strip():
        fail(f"{p['id']}: text size")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]):
        fail(f"{p['id']}: created_at")
    dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if not p["created_at"].startswith(("2026", "2027")):
        fail(f"{p['id']}: year")
    if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
        fail(f"{p['id']}: categories")
    if e["severity"] not in RANK:
        fail(f"{p['id']}: severity")
    if positive and e["severity"] in ("none", "info"):
        fail(f"{p['id']}: positive with low severity")
    if not positive and e["severity"] != "none":
        fail(f"{p['id']}: benign severity")
    role = role_of(p["platform"], p["account"]["handle"])
    if role != m["role"]:
        fail(f"{p['id']}: role")
    chk = any(k in ("iban", "card", "bsn") for k, _ in m["valid"])
    if severity(e["categories"], role, chk) != e["severity"]:
        fail(f"{p['id']}: severity mismatch")
    roles_used.setdefault(role, 0)
    roles_used[role] += 1
    # --- generated identifiers
    for kind_, v in m["valid"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind_](v)
        if not ok or "leak.pii" not in e["categories"] or v not in text:
            fail(f"{p['id']}: valid {kind_} {v}")
    for kind_, v in m["bad"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind_](v)
        if ok or positive or v not in text:
            fail(f"{p['id']}: look-alike {kind_} {v}")
    # --- scan every text for identifier shapes (secrets removed first)
    scan = text
    for s in m["secrets"]:
        if s not in text:
            fail(f"{p['id']}: secret not in text")
        scan = scan.replace(s, " ")
    for mm in RE_IBAN.finditer(scan):
        v = re.sub(r"\s", "", mm.group(0))
        if v in PUB_IBANS:
            continue
        if iban_ok(v) != ("leak.pii" in e["categories"]):
            fail(f"{p['id']}: IBAN-shaped {v} inconsistent with label")
    for mm in RE_CARD.finditer(scan):
        v = re.sub(r"\D", "", mm.group(0))
        if luhn_ok(v) and "leak.pii" not in e["categories"]:
            fail(f"{p['id']}: Luhn-valid number {v} in a post without pii")
        if positive and "leak.pii" in e["categories"] and 15 <= len(v) <= 16 and not luhn_ok(v):
            fail(f"{p['id']}: card-shaped {v} fails Luhn in pii positive")
    for mm in RE_BSN.finditer(scan):
        v = mm.group(0)
        if bsn_ok(v) and "leak.pii" not in e["categories"]:
            fail(f"{p['id']}: 11-proof number {v} in a post without pii")
        if not bsn_ok(v) and positive:
            fail(f"{p['id']}: BSN-shaped {v} in a positive fails 11-proof")
    # --- credentials
    for tok in RE_GH.findall(text):
        if gh_ok(tok) != ("leak.secret" in e["categories"]):
            fail(f"{p['id']}: GitHub token checksum vs label")
    for tok in RE_AKIA.findall(text):
        if tok.endswith("EXAMPLE") == ("leak.secret" in e["categories"]):
            fail(f"{p['id']}: AWS key id vs label")
    for tok in RE_JWT.findall(text):
        hdr = json.loads(b64url_dec(tok.split(".")[0]))
        if "alg" not in hdr or "leak.secret" not in e["categories"]:
            fail(f"{p['id']}: JWT")
    if m["secrets"] and "leak.secret" not in e["categories"]:
        fail(f"{p['id']}: generated secret in a post without leak.secret")
    if "leak.secret" in e["categories"] and not m["secrets"]:
        fail(f"{p['id']}: secret label without generated credential")

ids = [c["post"]["id"] for c in CASES]
if len(ids) != len(set(ids)):
    fail("duplicate ids")
n = len(CASES)
benign = sum(1 for c in CASES if not c["expect"]["categories"])
if not 170 <= n <= 180:
    fail(f"case count {n}")
counts = {}
for c in CASES:
    for cat in c["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
nl = sum(1 for c in CASES if c["post"]["lang"] == "nl")

# interleave categories in a fixed, seeded order so the file is not grouped by label
random.Random(SEED + 1).shuffle(CASES)

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for c in CASES:
        fh.write(json.dumps({"post": c["post"], "expect": c["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file as plain JSON lines
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    back = [json.loads(line) for line in fh]
if len(back) != n or any(set(b) != {"post", "expect"} for b in back):
    fail("written file does not round-trip")

print(f"ok: {n} cases, {benign} benign, {n - benign} positive, nl {nl}/{n} ({100 * nl // n}%)")
print("roles:", roles_used)
for k in sorted(counts):
    print(f"  {k:22s} {counts[k]}")
sev = {}
for c in CASES:
    sev[c["expect"]["severity"]] = sev.get(c["expect"]["severity"], 0) + 1
print("severities:", sev)
