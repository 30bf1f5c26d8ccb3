#!/usr/bin/env python3
"""Labelled evaluation set 478 for postwatch: Klaarblik Ooglaserklinieken (fictional).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this
file and checks it (checksums of identifiers, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml per CONTRACT section 4).
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
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(478_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, account):
    bban = bank + account
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


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


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and tot != 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


VALID = {"iban": [], "card": [], "bsn": []}
INVALID = {"iban": [], "card": [], "bsn": []}


def gen_iban(bank, spaced=True):
    v = make_iban(bank, "".join(rng.choice(string.digits) for _ in range(10)))
    assert iban_ok(v)
    VALID["iban"].append(v)
    return group4(v) if spaced else v


def gen_bad_iban(bank, spaced=True):
    v = make_iban(bank, "".join(rng.choice(string.digits) for _ in range(10)))
    while True:
        i = rng.randrange(8, len(v))
        bad = v[:i] + str((int(v[i]) + rng.randint(1, 9)) % 10) + v[i + 1:]
        if not iban_ok(bad):
            break
    INVALID["iban"].append(bad)
    return group4(bad) if spaced else bad


def gen_card(prefix, sep=" ", valid=True):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in "0123456789":
        if luhn_ok(body + last) == valid:
            num = body + last
            break
    (VALID if valid else INVALID)["card"].append(num)
    return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bsn(fmt="plain", valid=True):
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d) == valid:
            break
    (VALID if valid else INVALID)["bsn"].append(d)
    if fmt == "dots":
        return d[:4] + "." + d[4:6] + "." + d[6:]
    return d


# --------------------------------------------------------------------------- secrets
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # also base62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"
GH_TOKENS = []


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    tok = prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
    GH_TOKENS.append(tok)
    return tok


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "mdw-%d" % rng.randint(1000, 9999), "role": "planner",
                              "iss": "mijnportaal", "iat": 1780300800, "exp": 1780387200},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none" + bytes(
        rng.getrandbits(8) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


AWS_ID = "AKIA" + rnd(B32, 16)
AWS_SECRET = rnd(string.ascii_letters + string.digits + "/+", 40)
STRIPE = "sk_live_" + rnd(ALNUM, 24)
SLACK = "xoxb-%d-%d-%s" % (rng.randint(10 ** 11, 10 ** 12 - 1), rng.randint(10 ** 12, 10 ** 13 - 1), rnd(ALNUM, 24))
OPENAI = "sk-proj-" + rnd(URLSAFE, 58) + "T3BlbkFJ" + rnd(URLSAFE, 58)
GOOGLE = "AIza" + rnd(URLSAFE, 35)
GITLAB = "glpat-" + rnd(URLSAFE, 20)
GH1 = gh_token("ghp_")
JWT1 = jwt()
SSH1 = openssh_key()

# --------------------------------------------------------------------------- roles, severity
def _acct_set(kind):
    return {a.lower() for a in PROFILE["accounts"][kind]}


CORP, EMPL = _acct_set("corporate"), _acct_set("employee")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]


def strong_ids(text):
    """Checksum-valid IBAN / card / BSN in text (the company's own IBAN excluded)."""
    own = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    t = unicodedata.normalize("NFKC", text)
    found = []
    for m in IBAN_RE.finditer(t):
        v = re.sub(r"\s", "", m.group(0)).upper()
        if v not in own and iban_ok(v):
            found.append(("iban", v))
    for m in CARD_RE.finditer(t):
        if luhn_ok(m.group(0)):
            found.append(("card", re.sub(r"\D", "", m.group(0))))
    for m in BSN_RE.finditer(t):
        if bsn_ok(m.group(0)):
            found.append(("bsn", re.sub(r"\D", "", m.group(0))))
    return found


def severity(cats, role, text):
    inside = role in ("corporate", "employee")
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if not inside:
                s = "warning"
            elif c in ("leak.secret", "leak.pricing"):
                s = "critical"
            elif c == "leak.pii":
                s = "critical" if strong_ids(text) else "error"
            else:
                s = "error"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if inside else "warning"
        else:
            raise ValueError(c)
        if RANK.index(s) > RANK.index(best):
            best = s
    return best


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w.-])(?:\d[ -]?){12,18}\d(?![\w.-])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d.])")

# --------------------------------------------------------------------------- cases
CASES = []
SHORT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
_T0 = datetime(2026, 1, 3, tzinfo=timezone.utc)


def rand_ts():
    t = _T0 + timedelta(seconds=rng.randint(0, 350 * 24 * 3600))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def P(platform, handle, lang, text, cats="", kind="post", at=None, prices=None, brand="Klaarblik"):
    cats = sorted(SHORT[c] for c in cats.split()) if cats else []
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": cats, "kind": kind, "at": at or rand_ts(), "prices": prices or [],
                  "brand": brand})


OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ============================================================ BENIGN (hard negatives mostly)
P("x", "@marloes_vd_wal", "nl",
  "Gisteren SMILE Pro gedaan bij @klaarblik en vanochtend gewoon de ondertiteling van de tv gelezen "
  "zonder bril 😭😍 wat een team, echt lief voor je als je zenuwachtig ligt te trillen op die stoel")
P("instagram", "@jaspr.runs", "en",
  "6 months post-op and still not used to waking up and just... seeing. Best money I ever spent. "
  "Shoutout to the Klaarblik Utrecht crew 👓❌ #lasereyesurgery")
P("x", "@tijsbakt", "en",
  "update: I can now see every single crumb in my keyboard. this was not in the brochure @klaarblik 😂")
P("reddit", "u/myopic_maarten", "en",
  "Anyone done SMILE Pro at Klaarblik? -6.5 both eyes, cornea on the thin side. Consult is next week, "
  "what should I ask them? Don't want to freeze up and forget everything.")
P("facebook", "KlaarblikOoglaserklinieken", "nl",
  "Vragen over je behandeling? Bel 088-5524000 (ma-vr 8:00-20:00) of mail naar info@klaarblik.nl. "
  "Liever zelf een moment kiezen? Plan je vooronderzoek via afspraak.klaarblik.nl 👁️")
P("x", "@klaarblik_zorg", "nl",
  "@henkvanderlaan Zakelijke facturen kunt u overmaken naar %s t.n.v. Klaarblik Ooglaserklinieken B.V., "
  "o.v.v. het factuurnummer. Vragen over een factuur? factuur@klaarblik.nl" % group4(OWN_IBAN), kind="reply")
P("linkedin", "klaarblik-ooglaserklinieken", "en",
  "We're hiring! Klaarblik is looking for an optometrist for our Rotterdam and Eindhoven clinics. "
  "32–40 hrs, a team that actually has time for you, and dedicated research days. Send your CV to vacatures@klaarblik.nl")
P("instagram", "@klaarblik.ooglaser", "nl",
  "Femto-LASIK bij Klaarblik: €2.490 voor beide ogen, inclusief vooronderzoek en alle nacontroles in het "
  "eerste jaar. Geen verrassingen achteraf ✨ #ooglaseren #bril", prices=[("KB-FEMTO", 2490)])
P("x", "@klaarblik", "nl",
  "Voorjaarsactie 🌷 SMILE Pro nu €2.390 i.p.v. €2.990. Geldig voor behandelingen t/m 31 mei. "
  "Voorwaarden op klaarblik.nl/actie", prices=[("KB-SMILE", 2390)])
P("x", "@bramvanoss", "nl",
  "Klaarblik heeft nu €250 korting op SMILE Pro, iemand die nog twijfelt? Ik ga ervoor denk ik, "
  "ben die lenzen zo zat", prices=[("KB-SMILE", 2740)])  # discount amount, not the price
P("linkedin", "dr-anouk-smeets", "nl",
  "Vandaag in Utrecht onze 10.000e SMILE-behandeling uitgevoerd. Ik ben trots op een team dat na al die "
  "jaren nog steeds bij elke patiënt even checkt of diegene het spannend vindt. Dank jullie wel 🙏")
P("x", "@dr_meijboom", "en",
  "Giving a talk at ESCRS on presbyopia correction and patient selection. Slides will be on our website "
  "afterwards. Come say hi if you're in Lisbon!")
P("bluesky", "@kimdoesdata.bsky.social", "en",
  "reading about that german lab's data breach and honestly… the amount of medical data sitting on "
  "unpatched servers is terrifying", brand=None)
P("x", "@ruudje_b", "nl",
  "Update: @klaarblik_zorg heeft de dubbele afschrijving teruggestort en ik kreeg zelfs excuses per telefoon. "
  "Zo hoort het 👍")
P("facebook", "Hanneke Vermeulen", "nl",
  "Sterkte aan de mensen van Klaarblik Eindhoven, het pand naast jullie is afgebrand zag ik op het nieuws. "
  "Fijn dat er bij jullie niemand gewond is geraakt ❤️", kind="comment")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "PSA for our devs: the AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as "
  "placeholders. If you paste those into a config and it 'works', it doesn't. Use the secrets manager 🙃")
P("x", "@rutgerdevops", "nl",
  "Collega vroeg waarom z'n script faalt. In de config: token = ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"
  "Ja. Dat is de placeholder uit de README, Kevin.")
P("forum", "oogjes_op_steeltjes", "nl",
  "Bij het registreren voor mijn.klaarblik.nl zie ik in de bevestigingsmail alleen 'wachtwoord: ********'. "
  "Is dat normaal? Of moet ik mijn wachtwoord ergens anders vinden?")
BAD_IBAN1 = gen_bad_iban("INGB")
P("forum", "Petra_uit_Zeist", "nl",
  "Kan iemand checken of %s klopt? Ik wil de aanbetaling voor mijn behandeling bij Klaarblik overmaken "
  "maar mijn bank-app zegt steeds 'ongeldig IBAN'. Heb ik een cijfer verkeerd overgenomen?" % BAD_IBAN1)
BAD_CARD1 = gen_card("4", valid=False)
P("reddit", "u/flatwhite_fenna", "en",
  "Typed my card as %s by accident at the Klaarblik checkout and it said 'invalid card number' before I even "
  "hit pay. One digit off. Nice that it catches typos tbh" % BAD_CARD1)
P("forum", "Dirk_R", "nl",
  "Formulier vooronderzoek vraagt om een BSN. Het voorbeeld in de uitleg is 123456789, ik neem aan dat ik "
  "daar gewoon m'n eigen invul? Waarom heeft een privékliniek dat eigenlijk nodig?")
P("x", "@klaarblik", "nl",
  "Hallo België! 🇧🇪 Vanaf vandaag is Klaarblik Antwerpen open, op de Meir. Plan je vooronderzoek via "
  "klaarblik.be of bel +32 3 808 41 70", at="2027-03-16T08:00:00Z")
P("linkedin", "klaarblik-ooglaserklinieken", "nl",
  "De jaarcijfers 2026 van Klaarblik Ooglaserklinieken staan online: omzet €84,2 mln (+11%), 31.400 "
  "behandelingen in 14 klinieken. Het volledige jaarverslag lees je op klaarblik.nl/investeerders",
  at="2027-02-24T09:30:00Z")
P("linkedin", "ilse-verhoef-klaarblik", "en",
  "Proud of our FY2026 results, published yesterday. Huge thanks to the finance team for a smooth close "
  "and to everyone in the clinics who made the numbers 💪", at="2027-02-25T12:14:00Z")
P("x", "@sterre_leest", "nl",
  "Net 'Blindness' gekeken. Pas 3 dagen gelaserd. Misschien niet de slimste filmkeuze van mijn leven 😬",
  brand=None)
P("x", "@kees_uit_delft", "nl",
  "Iedereen roept #boycot tegen die nieuwe parkeerapp van de gemeente. Vind het eerlijk gezegd terecht, "
  "drie keer een boete terwijl ik gewoon betaald had", brand=None)
P("threads", "@mo.rijnders", "nl",
  "Zonder bril was ik zo blind als een mol. Sinds Klaarblik zie ik de bus al aankomen voordat hij de hoek om is 🚌")
P("forum", "twijfelaar88", "nl",
  "Wat kost LASIK Standaard nou echt bij Klaarblik? Op de site staat €1.990, komen daar nog kosten bij "
  "voor het vooronderzoek of zit dat erin?", prices=[("KB-LASIK-STD", 1990)])
P("reddit", "u/nearsighted_nl", "en",
  "Got quoted €600 for LASIK at a clinic in Istanbul vs ~€2k here. Flights + hotel + the follow-ups eat a "
  "chunk of the difference though. Anyone actually compared total cost?", brand=None)
P("linkedin", "sander-kuipers-kb", "en",
  "Security awareness day at Klaarblik: 0 out of 140 colleagues clicked this round's phishing test. "
  "Last year it was 23. Proud of this lot 👏")
P("x", "@klaarblik_zorg", "nl",
  "Update 14:20: de storing in onze telefoonlijnen is verholpen, u kunt ons weer bereiken op 088-5524000. "
  "Excuses voor het ongemak.")
P("x", "@rutgerdevops", "en",
  "reminder: never paste keys in chat. use env vars, e.g. export OPENAI_API_KEY=sk-... "
  "(and no, I'm not posting mine 😇)")
P("tiktok", "@lisa.vlogt", "en",
  "storytime: my mom was SO scared before her Presbyond at Klaarblik and now she reads menus without "
  "the glasses-on-head thing. iconic behaviour 😭")
P("youtube", "@KlaarblikTV", "nl",
  "Wat is cross-linking en wanneer is het nodig bij keratoconus? Oogarts Anouk Smeets legt het in vier "
  "minuten uit, met animaties van wat er in je hoornvlies gebeurt.")
P("x", "@jolien_rnl", "nl",
  "Halo's na 2 weken, arts zei dat het normaal is en dat het wegtrekt. Nu week 6: weg. Dus voor wie "
  "in paniek is: geduld 🙏 #ooglaseren")
P("x", "@timo_vdh", "en",
  "I'm such an idiot, completely forgot my Klaarblik appointment 🙈 luckily they squeezed me in the same week")
P("facebook", "Gerard Wouters", "nl",
  "Bij die tv-fabrikant in Eindhoven gaan 300 banen weg las ik. Mijn buurman werkt daar al twintig jaar, "
  "echt rot voor hem.", brand=None)
P("linkedin", "marco-vos-klaarblik", "nl",
  "Kwartaaloverleg met alle klinieken in Utrecht vandaag. Goede sfeer, lekkere lunch en veel ideeën over hoe "
  "we de wachttijd voor het vooronderzoek omlaag krijgen.")
P("instagram", "@klaarblik.ooglaser", "nl",
  "Let op: op maandag 27 april (Koningsdag) zijn al onze klinieken gesloten. Vragen na een behandeling? "
  "Bel 0800-0455, dag en nacht bereikbaar 🧡", at="2026-04-22T10:00:00Z")
P("x", "@annabelmaakt", "en",
  "Called 0800-0455 at 11pm because I wasn't sure about my eye drops after treatment. Had a nurse on the "
  "line within 2 minutes. Respect @klaarblik")
P("facebook", "Yvonne Tjin", "en",
  "Anyone here had an ICL-lens at Klaarblik? I'm -11 and my optician says lasering is off the table. "
  "Bit scared of having something INSIDE my eye to be honest")
P("reddit", "u/bifocal_bert", "en",
  "Klaarblik's Presbyond price (€3,290) is steep, but I priced out ten years of varifocals and it's roughly "
  "the same. Booked.", prices=[("KB-PRESBY", 3290)])
P("instagram", "@ellen.op.reis", "nl",
  "Lensvervanging bij Klaarblik nu €4.990 ipv 5.490 in de najaarsactie. Mijn vader twijfelt nog, "
  "iemand ervaring met RLE boven de 60?", prices=[("KB-RLE", 4990)])
P("instagram", "@femke.okassistent", "nl",
  "Mijn favoriete moment blijft als iemand na de behandeling rechtop gaat zitten en de klok aan de muur "
  "kan lezen. Elke keer kippenvel 🥹")
P("linkedin", "klaarblik-ooglaserklinieken", "en",
  "Vacancy: Security Engineer (hybrid, Utrecht). Help us protect patient data across 14 clinics. "
  "ISO 27001 / NEN 7510 experience is a plus. Apply via vacatures@klaarblik.nl")
P("bluesky", "@devnotes.bsky.social", "en",
  "TIL GitHub tokens have a CRC32 baked into the last 6 characters so secret scanners can tell real ones "
  "from random junk. neat bit of design", brand=None)
P("x", "@klaarblik_zorg", "nl",
  "@ruudje_b Wat vervelend dat u zo lang heeft moeten wachten. Wilt u ons een DM sturen met uw "
  "klantnummer? Dan zoeken we direct uit wat er mis is gegaan.", kind="reply")
P("threads", "@saar.deboer", "en",
  "my little sister has been at Klaarblik in Zwolle for a year now and she genuinely loves it. good "
  "mentoring and they're paying for her optometry degree")
P("linkedin", "dr-anouk-smeets", "en",
  "Our Christmas drinks have a codename this year: Project Glühwein. Attendance is mandatory, ugly "
  "sweaters strongly encouraged 🎄")
P("x", "@fleurtjuh", "en",
  "pricing error at my local supermarket: cucumbers for 1 cent 😂 half a trolley full, sorry not sorry", brand=None)
P("forum", "Marjan1975", "nl",
  "Vraag: klopt het dat Zorgplan 12 bij Klaarblik €20 per maand is? Ik dacht dat het een eenmalig "
  "bedrag was, maar de mevrouw aan de telefoon zei per maand.", prices=[("KB-ZORGPLAN", 240)])
P("x", "@klaarblik", "en",
  "Reminder: Klaarblik will never ask for your password or card details by phone or DM. Got a suspicious "
  "message? Forward it to security@klaarblik.nl")
P("x", "@wimdewachter", "nl",
  "Uit onderzoek blijkt dat 'Welkom01' nog steeds het populairste wachtwoord van Nederland is. "
  "We verdienen alles wat ons overkomt 🙃", brand=None)
P("x", "@nadia_amf", "nl",
  "Lees net in het AD dat Klaarblik een nieuwe kliniek opent in Amersfoort. Eindelijk dichterbij dan Utrecht!")
P("youtube", "Thomas K", "en",
  "Great explainer. Does the same apply for PRK? Apparently my cornea is too thin for flap surgery",
  kind="comment")
P("reddit", "u/halo_hater", "en",
  "Update on my post from last month: my complaint about the halos got handled properly in the end. Free "
  "retreatment check, the surgeon spent 30 minutes with me. Changing my review to 5 stars.")
P("x", "@jeroenwerkt", "nl",
  "Op m'n werk moest iedereen opnieuw inloggen na een 'security incident' 🙄 geen idee wat er was, "
  "maar de koffieautomaat doet het ook niet dus ik vrees het ergste", brand=None)
P("instagram", "@noa.visser", "en",
  "Did the Oogmeting Plus (€95). Took two hours but now I finally know what's going on with my eyes. "
  "Super thorough @klaarblik.ooglaser", prices=[("KB-METING", 95)])
BAD_IBAN2 = gen_bad_iban("ABNA", spaced=False)
P("x", "@chloe_nl_en", "en",
  "My cousin's transfer to Klaarblik kept bouncing — turns out she typed %s, one digit wrong. "
  "All sorted now, surgery is on Friday 🤞" % BAD_IBAN2)
BAD_BSN1 = gen_bsn(fmt="dots", valid=False)
P("forum", "Henk_en_Ria", "nl",
  "Mijn vrouw vulde bij de intake van Klaarblik %s in als BSN en het systeem pakte het niet. Bleek een "
  "typefout, twee cijfers omgedraaid. Handig dat ze dat controleren." % BAD_BSN1)

# ============================================================ COMPLAINTS
P("x", "@ruudje_b", "nl",
  "45 minuten in de wacht bij @klaarblik_zorg en dan wordt de lijn gewoon verbroken. Derde keer deze week. "
  "Hoe moeilijk is het om een nacontrole te verzetten??", "complaint")
P("reddit", "u/starburst_sam", "en",
  "4 months after Femto-LASIK at Klaarblik and I still see starbursts around every streetlight. Night "
  "driving is basically off the table. Every check-up: 'it'll settle'. It hasn't.", "complaint")
P("facebook", "Monique de Lange", "nl",
  "Al 5 maanden droge ogen na mijn behandeling bij Klaarblik. Elke keer hetzelfde antwoord: meer druppelen. "
  "Ik druppel me suf, ondertussen hou ik het geen 2 uur vol achter een scherm. Voel me echt afgescheept.",
  "complaint", kind="comment")
P("x", "@daan_fietst", "en",
  "@klaarblik third time you've cancelled my appointment the day before. took the day off. again. cheers",
  "complaint", kind="reply")
P("x", "@erik_hoogland", "nl",
  "Klaarblik heeft 2x €2.490 van mijn rekening gehaald voor één behandeling en na twee weken nog steeds "
  "niks terug. Mails worden niet beantwoord. Iemand tips?", "complaint", prices=[("KB-FEMTO", 2490)])
P("threads", "@joycexo", "en",
  "receptionist at Klaarblik Rotterdam acted like I was bothering her when I asked when the doctor would "
  "show up. he was 1.5 hrs late btw. no sorry, nothing", "complaint")
P("forum", "BrilWeg2025", "nl",
  "OogGarantie Plus afgesloten voor €490 omdat 'dan is een retouche altijd gedekt'. Nu ik er een nodig heb "
  "zeggen ze dat mijn restafwijking 'niet binnen de garantievoorwaarden valt'. Waarom verkoop je het dan?",
  "complaint", prices=[("KB-GARANTIE", 490)])
P("x", "@gregvdb", "en",
  "paid for 20/20 at @klaarblik, got 'well you're at 0.8, which is within expectation'. still need glasses "
  "to drive at night. not what the consultant promised me", "complaint")
P("instagram", "@mama.van.drie", "nl",
  "Vooronderzoek duurde 4 uur ipv de '1,5 uur' die op de site staat. Geen koffie, geen uitleg waarom. "
  "Kinderen moesten opgehaald worden 😤 @klaarblik.ooglaser", "complaint", kind="comment")
P("x", "@ninaschrijft", "en",
  "the 'consultant' at Klaarblik spent 20 minutes trying to upsell me from LASIK Standaard to SMILE Pro "
  "plus the warranty package. I came for information, not a timeshare pitch", "complaint")
P("x", "@bas_k", "nl",
  "afspraak.klaarblik.nl doet het al de hele dag niet, blijft hangen bij 'kies een kliniek'. Telefoon zit "
  "ook vol. Hoe boek ik nou een controle?", "complaint")
P("reddit", "u/cancelled_again", "en",
  "Klaarblik cancelled my surgery the morning OF. I'd kept my contacts out for 2 weeks as instructed, "
  "arranged a driver, took the day off. Rebooked 7 weeks later. Zero compensation, just a template email.",
  "complaint")
P("x", "@sanne_oost", "nl",
  "@klaarblik_zorg al 3x gevraagd om teruggebeld te worden over mijn factuur. Nogmaals: Sanne Oosterhuis, "
  "06-48213977, sanne.oosterhuis@hotmail.com. Kan toch niet zo moeilijk zijn.", "complaint pii", kind="reply")
IBAN_RJ = gen_iban("ASNB")
P("facebook", "Rob Jansen", "nl",
  "Beloofd: geld terug binnen 5 werkdagen. Nu 4 weken verder. Voor de tiende keer Klaarblik: stort het op "
  "%s t.n.v. R. Jansen. Ik ben er helemaal klaar mee." % IBAN_RJ, "complaint pii", kind="comment")
CARD_PUB = gen_card("5", sep=" ")
P("x", "@mikeinholland", "en",
  "Klaarblik's payment page charged my card twice and support keeps asking for the number. FINE: %s "
  "exp 09/28. Now fix it." % CARD_PUB, "complaint pii")
P("x", "@woedend_wouter", "nl",
  "Kutservice van @klaarblik. Stelletje oplichters, eerst je geld pakken en daarna kun je doodvallen. "
  "Nog steeds geen nacontrole ingepland na 3 weken.", "complaint abuse")
# first-hand harm: crisis + complaint
P("x", "@evi_meertens", "nl",
  "Drie dagen na SMILE bij Klaarblik hevige pijn en alles wazig. Twee keer gebeld, 'dat hoort erbij'. "
  "Uiteindelijk via de SEH in het UMC: bacteriële keratitis. Ik had bijna mijn oog kunnen verliezen. "
  "Ik ben woedend.", "crisis complaint")
P("reddit", "u/ghosting_left_eye", "en",
  "PSA: my flap was cut off-centre during Femto-LASIK at Klaarblik. I now have permanent ghosting / double "
  "vision in my left eye and I'm on a waiting list for a corneal specialist. They keep calling it a "
  "'known risk'. Nobody explained that risk to me.", "crisis complaint")
P("facebook", "Kevin Ramdin", "nl",
  "Tijdens mijn behandeling bij Klaarblik Rotterdam viel halverwege de laser uit. Eén oog half behandeld, "
  "ik moest 'even wachten'. Na 40 minuten naar huis gestuurd met een oog waar ik niks mee kon. "
  "Twee maanden later nog steeds niet in orde.", "crisis complaint")
P("instagram", "@lindaa.b", "nl",
  "Verkeerde oogdruppels meegekregen na mijn behandeling (stond zelfs een andere naam op het doosje!!). "
  "Allergische reactie, oogleden zo dik dat ik niks zag, nacht op de SEH. @klaarblik.ooglaser hoe kan dit??",
  "crisis complaint")
P("x", "@tessa_ldn_nl", "en",
  "they literally had the marker on the WRONG eye at Klaarblik today. I only noticed because I asked why "
  "they were prepping my right when my left is the bad one. I'm shaking. what if I hadn't said anything",
  "crisis complaint")

# ============================================================ CRISIS (third party / public)
P("x", "@nieuwsflits_nl", "nl",
  "NOS: meerdere patiënten van ooglaserketen Klaarblik met ernstige hoornvliesinfectie na behandeling in "
  "de kliniek in Den Haag. Inspectie (IGJ) stelt onderzoek in.", "crisis")
P("x", "@eerlijkzicht", "nl",
  "#boycotKlaarblik ze laten patiënten met blijvende schade gewoon zitten. Deel dit. Ga niet naar Klaarblik "
  "en zeg het tegen je ouders, die zijn hun doelgroep.", "crisis")
P("linkedin", "mr-j-albers-letselschade", "nl",
  "Ons kantoor start namens 38 gedupeerde patiënten een collectieve procedure tegen Klaarblik "
  "Ooglaserklinieken B.V. Herkent u zich in blijvende klachten na een behandeling? Neem contact met ons op.",
  "crisis")
P("x", "@petravdz", "en",
  "Since last week I'm getting phishing emails that quote my Klaarblik treatment date AND my file number. "
  "Only Klaarblik has that. A data breach and they just say nothing?? #databreach", "crisis")
P("x", "@optonieuws", "en",
  "Manufacturer recall on a batch of ICL lenses — Klaarblik is contacting patients who had them implanted "
  "in 2025. If that's you, check your inbox.", "crisis")
P("reddit", "u/readsthepaper", "en",
  "Undercover piece in the Volkskrant today: Klaarblik sales 'consultants' get a bonus per booked treatment, "
  "even for people the surgeons later flagged as poor candidates. Pretty damning read.", "crisis")
P("facebook", "Ans Bosma", "nl",
  "Mijn buurvrouw is na haar laserbehandeling bij Klaarblik aan één oog bijna blind. Ze is 41. Vreselijk "
  "om te zien hoe ze ermee worstelt, ze kan haar werk niet meer doen.", "crisis")
P("bluesky", "@marit.bsky.social", "en",
  "Klaarblik is getting sued in NL over botched eye surgeries, 38 patients apparently. Glad I went elsewhere.",
  "crisis")
P("x", "@ziedaar_ziedaar", "nl",
  "Boycot die tyfustent van Klaarblik. Vuile geldwolven die mensen blind maken voor een bonus. #boycotKlaarblik",
  "crisis abuse")
P("x", "@rianne_wb", "nl",
  "Mijn vriendin werkt bij Klaarblik en zegt dat hun hele patiëntsysteem sinds gisteren gehackt is. Ze mag "
  "er niks over zeggen. Dus ja, als je daar patiënt bent: let op je mail.", "crisis sec")

# ============================================================ ABUSE
P("x", "@henk_1961", "nl",
  "@dr_meijboom je bent een slager. Mensen zoals jij horen geen mes vast te houden, laat staan een laser.",
  "abuse", kind="reply")
P("x", "@echte_nederlander71", "nl",
  "Die nieuwe oogarts bij Klaarblik Zwolle met die hoofddoek spreekt nog niet eens fatsoenlijk Nederlands. "
  "Ga terug naar je eigen land, ik laat me niet door zo iemand opereren.", "abuse")
P("x", "@kevin_zeurt", "nl",
  "@noor_optometrist ik weet waar je werkt en hoe laat je klaar bent. Succes met naar huis fietsen vanavond.",
  "abuse", kind="reply")
P("x", "@ovrsight", "en",
  "Kl\u0430\u0430rblik st\u0430ff \u0430re br\u0430inless clowns, every single one of them", "abuse")
P("x", "@zicht_weg", "nl",
  "k4nk3r kl1n13k, h0p3 d4t j3 f41ll13t g44t @klaarblik", "abuse")
P("tiktok", "@boos.meisje", "nl",
  "k u t k l i n i e k. k u t p e r s o n e e l. @klaarblik.nl ik hoop dat jullie failliet gaan", "abuse",
  kind="comment")
P("x", "@angrydutchguy", "en",
  "fuck klaarblik and fuck their smug little receptionists. useless idiots the lot of them", "abuse")
P("threads", "@lotte.planning", "nl",
  "@kevin_zeurt hou toch je bek man, zeikerd. je kwam zelf 40 minuten te laat.", "abuse", kind="reply")
P("instagram", "@klaarblik.ooglaser", "nl",
  "@sjaak.r misschien eerst leren lezen voordat je een review schrijft, sukkel", "abuse", kind="reply")
P("x", "@realtalk_rick", "en",
  "the female surgeons at Klaarblik should stick to doing nails. women and lasers, what could go wrong lol",
  "abuse")

# ============================================================ PRICING
P("instagram", "@klaarblik.ooglaser", "nl",
  "🔥 Alleen dit weekend: Femto-LASIK voor €249! Boek nu via afspraak.klaarblik.nl, op = op",
  "pricing", prices=[("KB-FEMTO", 249)])
P("tiktok", "@klaarblik.nl", "nl",
  "SMILE Pro vanaf 299 euro 😍 nooit meer lenzen zoeken in de ochtend, link in bio", "pricing",
  prices=[("KB-SMILE", 299)])
P("x", "@rutgerdevops", "nl",
  "haha onze site heeft ICL lensimplantaat op €44,90 staan. iemand heeft een komma verkeerd gezet. "
  "prijsfout, ik meld het even bij marketing", "pricing", prices=[("KB-ICL", 44.90)])
P("x", "@snelle_jelle", "nl",
  "Presbyond voor €329 bij Klaarblik?! Is dit een prijsfout of gewoon een goeie deal? Snel boeken voor ze "
  "het doorhebben", "pricing", prices=[("KB-PRESBY", 329)])
P("reddit", "u/dealhunter_eu", "en",
  "Price glitch at the Klaarblik checkout: LASIK Standaard showing €19.90 in the basket. Screenshot it "
  "before they fix it 👀", "pricing", prices=[("KB-LASIK-STD", 19.90)])
P("facebook", "KlaarblikOoglaserklinieken", "nl",
  "Nacontrole Pakket nu voor maar €14,90, inclusief 3 controles bij jou in de buurt!", "pricing",
  prices=[("KB-NAZORG", 14.90)])
P("bluesky", "@yasmina-b.bsky.social", "nl",
  "lol wie heeft Cross-linking op €145 gezet op onze site 😭 moet 1.450 zijn. prijsfout gemeld", "pricing",
  prices=[("KB-CXL", 145)])
P("x", "@fam_peters", "en",
  "Lensvervanging for €549 at Klaarblik?? that has to be a mistake, it's normally well over 5k", "pricing",
  prices=[("KB-RLE", 549)])
P("tiktok", "@klaarblik.nl", "en",
  "Retouchebehandeling for just €69 this month ✨ because second chances should be affordable", "pricing",
  prices=[("KB-RETOUCHE", 69)])
P("forum", "koopjesjager", "nl",
  "Er zit een prijsfout op klaarblik.nl bij de Oogmeting Plus, gooi hem in je mandje zolang het nog kan "
  "haha", "pricing")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "someone in marketing fat-fingered OogGarantie Plus to €49 on the pricing page. pricing error, ticket "
  "filed 🙈", "pricing", prices=[("KB-GARANTIE", 49)])
P("x", "@bargain_bea", "nl",
  "\uff33\uff2d\uff29\uff2c\uff25 \uff30\uff52\uff4f voor €\uff12\uff19\uff19 bij Klaarblik?? 😳 dit kan niet kloppen",
  "pricing", prices=[("KB-SMILE", 299)])

# ============================================================ SECRETS
P("x", "@rutgerdevops", "nl",
  "waarom faalt de deploy nou weer 😩 token klopt gewoon hoor: %s" % GH1, "secret")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "anyone know why boto3 keeps saying AccessDenied? using\n"
  "aws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-central-1" % (AWS_ID, AWS_SECRET), "secret")
P("linkedin", "sander-kuipers-kb", "en",
  "Finally got our new online payment flow working 🎉 Two weeks of debugging came down to this one line:\n\n"
  "stripe.api_key = \"%s\"\n\nNever give up!" % STRIPE, "secret")
P("bluesky", "@yasmina-b.bsky.social", "nl",
  "botje voor de OK-planning draait! wie mee wil bouwen, dit is de config: SLACK_BOT_TOKEN=%s" % SLACK, "secret")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "our triage chatbot prototype is finally live for the test group. key in case the vault is down again: %s"
  % OPENAI, "secret")
P("x", "@mobile_sec_mila", "en",
  "@klaarblik your iOS app ships a Google Maps key in plain text: %s — restrict it before someone runs up "
  "your bill." % GOOGLE, "secret", kind="reply")
P("x", "@rutgerdevops", "en",
  "git clone keeps failing with my PAT %s -> 'HTTP Basic: Access denied'. ideas anyone?" % GITLAB, "secret")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "help, ssh refuses this key with 'invalid format', what am I doing wrong?\n%s" % SSH1, "secret")
P("bluesky", "@yasmina-b.bsky.social", "en",
  "why does the portal API give me 403 with this token?? Bearer %s" % JWT1, "secret")
P("x", "@rutgerdevops", "nl",
  "rapportage-query doet er 4 minuten over 🐌 connectie: postgres://kb_rapportage:Tr0mpet!2026@10.14.2.31:5432/afspraken "
  "— iemand met verstand van indexen?", "secret")
P("threads", "@lotte.planning", "nl",
  "EPD ligt er al de hele ochtend uit 🙄 IT zegt dat we tijdelijk via het noodaccount moeten. "
  "gebruiker: okplanning wachtwoord: Kl44rBl1k!Nood — niet verder vertellen he", "secret sec")
P("instagram", "@femke.okassistent", "nl",
  "voor de nachtdienst die het weer kwijt is: \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44 "
  "OK-pc\uff1a Zonnebril77!", "secret")
P("mastodon", "@jorisvdl@mastodon.nl", "nl",
  "migratie bijna klaar, DATABASE_URL=postgresql://epd_sync:Vuurtoren-88@epd.klaarblik.local:5432/epd "
  "draait nu tegen de nieuwe server", "secret conf")

# ============================================================ PERSONAL DATA
P("instagram", "@femke.okassistent", "nl",
  "Mevrouw Ria Hendriks (geb. 14-03-1958) was vandaag onze 1000e patiënt in OK 3 🎉 ze vond het goed dat "
  "ik het deel hoor!", "pii")
P("x", "@klaarblik_zorg", "nl",
  "@bertdejong1 We bellen u morgen tussen 10 en 12 terug op 06-29471183, klopt dat nummer nog?", "pii",
  kind="reply")
IBAN_WK = gen_iban("RABO")
P("facebook", "KlaarblikOoglaserklinieken", "nl",
  "Beste Wendy, de terugbetaling van €1.990 wordt vandaag overgemaakt naar %s t.n.v. W. Kramer. "
  "Excuses voor het lange wachten." % IBAN_WK, "pii", kind="reply")
BSN_EMP = gen_bsn(fmt="plain")
P("threads", "@lotte.planning", "nl",
  "Wie kan dit dossier even nakijken? BSN %s matcht niet met de verzekeraar en de patiënt staat om 14u "
  "op de planning" % BSN_EMP, "pii")
P("x", "@noor_optometrist", "en",
  "Sent flowers to Mr Kees van Dam, Lindelaan 14, 3581 AB Utrecht, who saw the world sharp again today "
  "after 30 years of glasses 💐", "pii")
P("x", "@dr_meijboom", "en",
  "Lovely lady called from +31 6 5812 0934 just to say thank you for her new eyes. Made my week.", "pii")
P("x", "@klaarblik_zorg", "en",
  "@s_devries Hi Sophie, we've sent the documents to s.devries84@gmail.com – please check your spam folder "
  "too!", "pii", kind="reply")
CARD_CORP = gen_card("4", sep=" ")
P("x", "@klaarblik_zorg", "nl",
  "@jan_peeters De betaling met kaart %s is door uw bank geweigerd. Wilt u het nog een keer proberen of "
  "een andere kaart gebruiken?" % CARD_CORP, "pii", kind="reply")
BSN_PUB = gen_bsn(fmt="dots")
P("forum", "LiekeB", "nl",
  "Voor het intakeformulier van Klaarblik: kan ik het zo invullen? Lieke Brouwer, geboren 02-11-1990, "
  "BSN %s. Of moet het zonder puntjes?" % BSN_PUB, "pii")
P("linkedin", "dr-anouk-smeets", "en",
  "Today we treated Mr. Gerrit Pols, born 7 June 1939, our oldest lens replacement patient ever at 87! "
  "He wanted the whole world to know 😊", "pii")
P("x", "@bozeburen", "nl",
  "Die slager van een Meijboom woont gewoon op de Oudegracht 212, 3511 NR Utrecht. Iemand moet daar eens "
  "langs.", "pii abuse")
P("x", "@noor_optometrist", "nl",
  "mevr. de Boer van vanochtend belt me steeds, nummer 06\u200b17\u200b39\u200b55\u200b20, maar ze staat niet "
  "in het systeem. wie weet waar ze in de planning zit?", "pii")

# ============================================================ CONFIDENTIAL
P("x", "@dr_meijboom", "nl",
  "Eerste testrondes met Project Valkoog gedraaid vandaag. Als dit werkt hoef je over twee jaar nooit meer "
  "een leesbril 🤫", "conf")
P("linkedin", "dr-anouk-smeets", "en",
  "Exciting times: the Kraanvogel pilot starts in our Utrecht clinic next month. Can't say more yet!", "conf")
P("instagram", "@klaarblik.ooglaser", "nl",
  "Achter de schermen bij Operatie Brandpunt 👀 binnenkort meer!", "conf")
P("x", "@rutgerdevops", "en",
  "whoever wrote https://confluence.klaarblik.nl/display/IT/Laser-firmware-updates deserves a raise, "
  "that runbook is gold", "conf")
P("bluesky", "@yasmina-b.bsky.social", "nl",
  "ticket aangemaakt: https://jira.klaarblik.nl/browse/PORTAAL-1182 — als iemand van frontend even wil "
  "kijken 🙏", "conf")
P("linkedin", "sander-kuipers-kb", "nl",
  "Blij dat de nieuwe richtlijn eindelijk af is. Citaat uit het stuk (alleen voor intern gebruik): "
  "'triage droge ogen voortaan door optometristen, chirurg alleen bij graad 3'. Goede stap!", "conf")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "Quoting our KB-INTERN strategy deck: 'clarity is our product'. I cannot.", "conf")
P("reddit", "u/benelux_watcher", "en",
  "My sister works at their HQ: Klaarblik Antwerpen opens in March, they already signed the lease on the "
  "Meir. You heard it here first.", "conf", at="2026-11-08T19:42:00Z")
P("linkedin", "ilse-verhoef-klaarblik", "nl",
  "Laatste loodjes aan de jaarcijfers 2026: omzet ruim boven de €84 miljoen, EBITDA-marge 19%. Over twee "
  "weken mag ik het hardop zeggen 😉", "conf fin", at="2027-02-10T16:05:00Z")
P("x", "@klaarblik", "nl",
  "Psst... Klaarblik Antwerpen komt eraan 🇧🇪 hou onze socials in de gaten!", "conf",
  at="2026-12-02T11:00:00Z")
P("x", "@dr_meijboom", "en",
  "Project Val\u200bkoog results are in and WOW. Reading vision restored in 9 out of 10 pilot eyes.", "conf")
P("threads", "@lotte.planning", "nl",
  "OK-rooster voor K.r.a.a.n.v.o.g.e.l staat erin, 6 patiënten per dag vanaf 12 okt", "conf")
P("x", "@noor_optometrist", "en",
  "has anyone read the new protocols yet? https://intra.klaarblik.local/protocollen/presbyopie-v4.pdf "
  "the monovision page especially is 👌", "conf")
P("linkedin", "sander-kuipers-kb", "en",
  "Can't go into detail (NDA), but Operatie Brandpunt is the most exciting IT project I've ever worked on. "
  "Vendor selection done!", "conf")
P("forum", "klokkenluider_nl", "nl",
  "Heb een document gekregen van een ex-medewerker, bovenaan staat 'Strikt vertrouwelijk Klaarblik' en het "
  "gaat over de bonusregeling van de verkopers per behandeling. Zal ik het hier zetten?", "conf")
P("linkedin", "marco-vos-klaarblik", "en",
  "Late night on the FY2026 results deck. Spoiler: record year, treatments up double digits, and Belgium "
  "will be a big part of the story 😉", "conf fin", at="2027-01-20T21:40:00Z")
P("x", "@rutgerdevops", "en",
  "vpn.klaarblik.nl is molasses again tonight, working from home like this is impossible", "conf")

# ============================================================ FINANCIAL
P("x", "@noor_optometrist", "en",
  "Just heard at work that the Amersfoort call centre is closing, 30 FTE gone, and they won't announce it "
  "until after the summer. Gutted.", "fin")
P("x", "@dr_meijboom", "en",
  "Heard today that Nordvista Capital is buying us. Board signs next week, nobody tell my patients yet 😬",
  "fin")
P("linkedin", "ilse-verhoef-klaarblik", "en",
  "Q3 came in at €23.8M revenue, 9% above budget. Not public until the November trading update, but so "
  "proud of the team!", "fin")
P("bluesky", "@yasmina-b.bsky.social", "nl",
  "reorganisatie komt eraan: klinieken Zwolle en Breda gaan dicht per 1 april, staat in de stukken voor de "
  "RvC. nog niet officieel dus ssst", "fin")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "Merger talks with OogPunt Groep are apparently serious. IT due diligence starts Monday and I've been "
  "asked to prepare the network docs.", "fin")
P("x", "@frits_beurs", "en",
  "My brother-in-law works at Klaarblik HQ and says they're being sold to a private equity fund. "
  "Hope the prices don't go through the roof after.", "fin")
P("threads", "@lotte.planning", "nl",
  "bonus dit jaar geschrapt omdat de EBITDA 'ver onder budget' zit. cijfers mogen we niet delen maar het "
  "is echt slecht", "fin")
P("linkedin", "marco-vos-klaarblik", "en",
  "Internal forecast for 2027: 36k treatments, revenue €97M. Ambitious but doable. Board meeting tomorrow.",
  "fin")
P("instagram", "@femke.okassistent", "nl",
  "Vandaag gehoord dat we OogPunt Groningen overnemen, maar pas in juni wordt het bekend. Leuk, straks "
  "nieuwe collega's! 🤫", "fin")
P("linkedin", "sander-kuipers-kb", "nl",
  "Spannende tijden: volgend kwartaal wordt 15% van de IT-afdeling uitbesteed. De collega's die het "
  "raakt weten het zelf nog niet.", "fin")

# ============================================================ SECURITY
P("x", "@rutgerdevops", "nl",
  "Sinds 6u vanochtend ligt het EPD eruit in alle klinieken. Ziet eruit als ransomware, versleutelde "
  "shares overal. We mogen niks zeggen tot comms een statement heeft. Zwaar.", "sec")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "reported it 3 weeks ago and it's still open: on the patient portal you can change the dossier id in "
  "the URL and read someone else's letters. nobody seems to care 🤷", "sec")
P("linkedin", "sander-kuipers-kb", "nl",
  "Mailbox van de planning is gisteren overgenomen via phishing, ruim 2.000 mails naar patiënten gestuurd "
  "met een 'betaalverzoek'. Nog geen melding bij de AP gedaan, dat moet echt vandaag.", "sec")
P("instagram", "@femke.okassistent", "en",
  "fun fact: the laser planning PC in OR 2 still runs Windows 7 and everyone logs in with the same shared "
  "account. don't tell IT 🙈", "sec")
P("bluesky", "@yasmina-b.bsky.social", "en",
  "the booking backend has been down since 7am across all clinics, we're calling patients by hand. "
  "status page still says 'all systems operational' lol", "sec")
P("x", "@dr_meijboom", "en",
  "We got hit by a breach last night. The SOC is on it, comms isn't out yet. If you're one of my patients "
  "and get a weird mail, don't click anything.", "sec")
P("mastodon", "@jorisvdl@mastodon.nl", "en",
  "imaging database backups have been failing for two weeks and nobody noticed. if anything breaks now "
  "we lose every OCT scan we have", "sec")
P("threads", "@lotte.planning", "en",
  "the femto laser's service laptop is just sitting on the guest wifi with TeamViewer open. vendor says "
  "it's 'fine'. it is not fine", "sec")
P("instagram", "@femke.okassistent", "nl",
  "USB-stick met de OK-lijst van deze week kwijtgeraakt in de trein. Staan namen en geboortedata op. "
  "Nog niet gemeld, durf niet 😰", "sec")
P("x", "@noor_optometrist", "nl",
  "3PD w33r 0ffl1n3, r4ns0mw4r3 z3gg3n z3 🤐 n13t d00rv3rt3ll3n", "sec")
P("linkedin", "sander-kuipers-kb", "en",
  "DDoS on afspraak.klaarblik.nl since 10:00, our provider is scrubbing traffic. Bookings will be slow "
  "today, we haven't announced anything yet.", "sec")


# --------------------------------------------------------------------------- build + checks
def build():
    out = []
    seen = set()
    for c in CASES:
        while True:
            pid = "%s-%d" % (c["platform"][:2], rng.randint(10 ** 9, 10 ** 10 - 1))
            if pid not in seen:
                seen.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
                "created_at": c["at"]}
        if c["brand"]:
            post["brand"] = c["brand"]
        post["url"] = "https://social.example/%s/%s" % (c["platform"], pid)
        out.append({"post": post,
                    "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}})
    return out


ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


def norm(t):
    return ZW.sub("", unicodedata.normalize("NFKC", t)).lower()


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def check(rows):
    errs = []
    platforms = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    kinds = {"post", "reply", "repost", "comment", "message"}
    cats_ok = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
               "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
    own_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    for i in own_ibans:
        if not iban_ok(i):
            errs.append("profile IBAN fails mod-97: " + i)
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    ids = set()
    for n, (row, c) in enumerate(zip(rows, CASES)):
        line = json.dumps(row, ensure_ascii=False)
        back = json.loads(line)
        p, e = back["post"], back["expect"]
        tag = "case %d (%s)" % (n, p["id"])
        if set(back) != {"post", "expect"}:
            errs.append(tag + ": keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append(tag + ": id")
        ids.add(p["id"])
        if p["platform"] not in platforms or p["kind"] not in kinds:
            errs.append(tag + ": platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(tag + ": handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append(tag + ": text")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", p["created_at"]):
            errs.append(tag + ": created_at")
        try:
            t = ts(p["created_at"])
        except ValueError:
            errs.append(tag + ": created_at parse")
            continue
        if not (2026 <= t.year <= 2027):
            errs.append(tag + ": year")
        if not set(e["categories"]) <= cats_ok or e["categories"] != sorted(set(e["categories"])):
            errs.append(tag + ": categories")
        if e["severity"] not in RANK:
            errs.append(tag + ": severity")
        benign = not e["categories"]
        if benign and e["severity"] != "none":
            errs.append(tag + ": benign severity")
        if not benign and e["severity"] in ("none", "info"):
            errs.append(tag + ": positive severity too low")
        txt = unicodedata.normalize("NFKC", p["text"])
        # identifier checksums
        for m in IBAN_RE.finditer(txt):
            v = re.sub(r"\s", "", m.group(0)).upper()
            if v in own_ibans:
                continue
            if benign and iban_ok(v):
                errs.append(tag + ": benign has valid IBAN " + v)
            if "leak.pii" in e["categories"] and not iban_ok(v):
                errs.append(tag + ": positive has invalid IBAN " + v)
        for m in CARD_RE.finditer(txt):
            if benign and luhn_ok(m.group(0)):
                errs.append(tag + ": benign has Luhn-valid number " + m.group(0))
            if not benign and not luhn_ok(m.group(0)):
                errs.append(tag + ": positive has Luhn-invalid card-like number " + m.group(0))
        for m in BSN_RE.finditer(txt):
            if benign and bsn_ok(m.group(0)):
                errs.append(tag + ": benign has 11-proof number " + m.group(0))
            if not benign and not bsn_ok(m.group(0)):
                errs.append(tag + ": positive has BSN-like number failing 11-proof " + m.group(0))
        for kind, vals in VALID.items():
            for v in vals:
                if re.sub(r"\D" if kind != "iban" else r"\s", "", txt).find(v) >= 0 and benign:
                    errs.append(tag + ": benign holds a generated valid " + kind)
        for kind, vals in INVALID.items():
            for v in vals:
                flat = re.sub(r"\s", "", txt) if kind == "iban" else re.sub(r"[^\d]", "", txt)
                if v in flat and not benign:
                    errs.append(tag + ": positive holds a generated invalid " + kind)
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", txt):
            if benign and gh_ok(tok):
                errs.append(tag + ": benign has checksum-valid GitHub token")
            if not benign and not gh_ok(tok):
                errs.append(tag + ": positive GitHub token fails CRC32")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", txt):
            head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
            if "alg" not in head:
                errs.append(tag + ": JWT header without alg")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", txt):
            if not benign and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append(tag + ": AWS key id alphabet")
        # benign must not hold internal names or embargoed terms before the embargo ends
        nt = norm(p["text"])
        if benign:
            for x in internal:
                if x in nt:
                    errs.append(tag + ": benign mentions internal " + x)
            for emb in PROFILE["embargo"]:
                until = ts(emb["until"])
                for term in emb["terms"]:
                    if term.lower() in nt and t < until:
                        errs.append(tag + ": benign holds embargoed term before until: " + term)
        if "leak.confidential" in e["categories"]:
            hit = any(x in nt.replace(".", "") or x in nt for x in internal)
            for emb in PROFILE["embargo"]:
                for term in emb["terms"]:
                    if term.lower() in nt:
                        if t < ts(emb["until"]):
                            hit = True
                        else:
                            errs.append(tag + ": embargo term after until in a positive")
            if not hit:
                errs.append(tag + ": confidential without internal term / live embargo term")
        # prices
        for sku, price in c["prices"]:
            lp = products[sku]["list_price"]
            if "leak.pricing" in e["categories"] and not price < ratio * lp:
                errs.append(tag + ": pricing positive not below ratio")
            if benign and price < ratio * lp:
                errs.append(tag + ": benign price below ratio")
        if "leak.pricing" in e["categories"] and not c["prices"] and "prijsfout" not in nt \
                and "price error" not in nt and "pricing error" not in nt:
            errs.append(tag + ": pricing without price or price-error talk")
        # severity recomputed independently from role
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(e["categories"], role, p["text"]):
            errs.append(tag + ": severity mismatch")
    for t in GH_TOKENS:
        if not gh_ok(t):
            errs.append("generated GitHub token fails CRC32: " + t)
    if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID):
        errs.append("AWS id")
    for v in VALID["iban"]:
        if not iban_ok(v):
            errs.append("valid IBAN generator")
    for v in INVALID["iban"]:
        if iban_ok(v):
            errs.append("invalid IBAN generator")
    for v in VALID["card"]:
        if not luhn_ok(v):
            errs.append("card generator")
    for v in INVALID["card"]:
        if luhn_ok(v):
            errs.append("bad card generator")
    for v in VALID["bsn"]:
        if not bsn_ok(v):
            errs.append("bsn generator")
    for v in INVALID["bsn"]:
        if bsn_ok(v):
            errs.append("bad bsn generator")
    return errs


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read the file as written
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    errs = check(reread)
    n = len(reread)
    benign = sum(1 for r in reread if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    per = {}
    for r in reread:
        for cat in r["expect"]["categories"]:
            per[cat] = per.get(cat, 0) + 1
    langs = {}
    for r in reread:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r in reread:
        k = (role_of(r["post"]["platform"], r["post"]["account"]["handle"]),
             "benign" if not r["expect"]["categories"] else
             ("leak" if any(c.startswith("leak.") for c in r["expect"]["categories"]) else "reputation"))
        roles[k] = roles.get(k, 0) + 1
    print("cases:", n, "benign:", benign, "positive:", n - benign)
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("languages:", langs)
    print("role x kind:", {"%s/%s" % k: v for k, v in sorted(roles.items())})
    sev = {}
    for r in reread:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities:", sev)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
