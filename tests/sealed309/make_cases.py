#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 309 (Kordana Wafer Systems N.V.).

Deterministic: fixed seed, standard library + PyYAML only.  Post texts are
hand-written; identifiers and credentials are generated the way the real ones
are built (with their checksums), look-alikes are generated to fail them.
Severities are computed from CONTRACT section 4 and the account role found in
profile.yaml, never typed by hand.  The script self-checks its output and exits
non-zero on any problem.
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
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(3092026)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"
ZW = "\u200b"


# --------------------------------------------------------------------------
# identifiers (checksummed) and their failing look-alikes
# --------------------------------------------------------------------------
def iban_ok(s):
    s = re.sub(r"[\s\u200b\u200c\u200d\u2060]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bank, nd):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(nd))
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban(cc, bank, nd):
    good = make_iban(cc, bank, nd)
    chk = int(good[2:4])
    bad = good[:2] + f"{(chk + 1 + rng.randrange(40)) % 97 + 2:02d}" + good[4:]
    while iban_ok(bad):
        bad = good[:2] + f"{rng.randrange(2, 99):02d}" + good[4:]
    return bad


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    return good[:-1] + str((int(good[-1]) + 1 + rng.randrange(8)) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(c) * w for c, w in zip(s[:8], range(9, 1, -1))) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        head = str(rng.randrange(1, 10)) + "".join(rng.choice(string.digits) for _ in range(7))
        last = sum(int(c) * w for c, w in zip(head, range(9, 1, -1))) % 11
        if last <= 9:
            return head + str(last)


def bad_bsn():
    good = make_bsn()
    while True:
        cand = good[:8] + str(rng.randrange(10))
        if not bsn_ok(cand):
            return cand


# --------------------------------------------------------------------------
# credentials
# --------------------------------------------------------------------------
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_|npm_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())) == m.group(3)


def aws_key():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(B64) for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(400))
    enc = base64.b64encode(raw).decode()
    lines = [enc[i:i + 70] for i in range(0, len(enc), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# --------------------------------------------------------------------------
# case registry
# --------------------------------------------------------------------------
CASES = []
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def ts(s=None):
    if s:
        return s
    t = T0 + dt.timedelta(seconds=rng.randrange(364 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def case(lang, platform, handle, text, cats=(), kind="post", when=None, valid=(),
         fakes=(), secrets=(), price=None, allow_word=()):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text,
                      cats=sorted(set(cats)), kind=kind, when=ts(when), valid=list(valid),
                      fakes=list(fakes), secrets=list(secrets), price=price,
                      allow_word=list(allow_word)))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, CONF, FIN = "leak.pii", "leak.confidential", "leak.financial"
SEC, SECRET, PRICE = "leak.security", "leak.secret", "leak.pricing"

# ==========================================================================
# COMPLAINTS (public customers, everyday failures of an equipment supplier)
# ==========================================================================
case("nl", "x", "@fabtech_ron",
     "Derde keer deze maand dat onze Lumen SC-12 halverwege een batch stilvalt met "
     "'E-417 chuck vacuum lost'. @kordana_support ticket staat al 9 dagen op 'in behandeling'. Serieus?",
     [CPL])
case("en", "linkedin", "karel-ooms-fabmanager",
     "Waited 11 weeks for a replacement Helix RF generator from Kordana. Eleven. Quoted lead time was 3. "
     "Our etch bay ran at 60% capacity the whole time and nobody there could tell me where the unit was. "
     "Not impressed, and I'll be saying so at our supplier review.",
     [CPL])
case("nl", "reddit", "u/etch_or_die",
     "FabPilot update 8.2 heeft al onze recept-parameters teruggezet naar defaults. Heeft niemand bij "
     "Kordana dat even getest?? 2 dagen requalificatie voor niks 🙃",
     [CPL])
case("en", "x", "@waferjockey",
     "@kordana_support your FSE showed up without the PF-12 o-ring set he was supposed to bring. PM window "
     "blown, tool down another shift. #fail",
     [CPL], kind="reply")
case("nl", "x", "@chipwatcher_nl",
     "kordana heeft de CarePlus factuur 2x geïncasseerd en de debiteurenafdeling reageert gewoon niet op mail. "
     "3 weken nu. hoe dan",
     [CPL], when="2026-06-15T09:43:10Z")
case("en", "reddit", "u/cleanroom_cat",
     "Anyone else getting garbage particle counts after Kordana does PM on the SC-12? We see ~3x adders "
     "post-service literally every time. Their answer: 'within spec'. lol ok",
     [CPL], kind="comment")
case("nl", "linkedin", "sanne-wouters-procesingenieur",
     "Kordana Academy heeft de training van volgende week last-minute geannuleerd. Vier operators hadden al "
     "een hotel in Veldhoven geboekt. Geen telefoontje, geen excuus, alleen een no-reply mailtje. Jammer, "
     "want de inhoud is normaal prima.",
     [CPL])
case("en", "x", "@fab7_ops",
     "Kordana shipped us an LP-25 with the wrong FOUP adapter. Again. Second RMA this quarter. How hard is "
     "it to read a PO",
     [CPL], when="2026-10-09T13:51:20Z")
case("nl", "x", "@lithoLotte",
     "portal van kordana ligt er sinds vanochtend uit, kan geen tickets aanmaken en de hotline zet me 40 min "
     "in de wacht. top service 👏👏",
     [CPL])
case("en", "forum", "mfg_dave",
     "Optica M9 overlay readings drift ~2 nm after every chamber warm-up. Kordana's advice: recalibrate "
     "weekly. We paid 1.7 million for this thing, it should hold its calibration. Anyone found a workaround?",
     [CPL])
case("nl", "x", "@mvdlinden_fab",
     "Vortex VX-80 na 4 maanden wéér een lager kapot. Garantie? 'Valt onder slijtage' volgens Kordana. Ja doei.",
     [CPL])
case("nl", "x", "@ingrid_procesbeheer",
     "Monteur van Kordana heeft bij de PM een kabelboom verkeerd teruggezet, tool gaf daarna 30 alarmen en we "
     "hebben het zelf moeten uitzoeken. Mag dat van de factuur af @kordana_support?",
     [CPL])
case("nl", "facebook", "gerrit.bosman.73",
     "Als toeleverancier ben ik er klaar mee. Kordana betaalt onze facturen pas na 120 dagen terwijl er 30 "
     "is afgesproken, en bij de inkoopafdeling krijg je alleen een voicemail.",
     [CPL])

# ==========================================================================
# CRISIS (safety first-hand = crisis + complaint; third-party = crisis only)
# ==========================================================================
case("nl", "x", "@jeroen_fabtech",
     "Vandaag in onze fab een Helix RF generator van Kordana die begon te roken en vlam vatte midden in een "
     "run. Collega heeft z'n hand verbrand bij het uitschakelen en de cleanroom is ontruimd. Dit had veel "
     "erger kunnen aflopen. @kordana_support ???",
     [CRI, CPL])
case("en", "linkedin", "aisha-okafor-ehs",
     "One of our technicians took a mains shock from the chassis of a Kordana FlowSure gas box this week - "
     "the ground strap was never connected at installation. He is OK, thankfully. Incident report filed. "
     "Kordana, your install crews need to do better than this.",
     [CRI, CPL])
case("nl", "reddit", "u/nachtdienst_nadia",
     "HF-lek bij de Lumen SC-12 afgelopen nacht en ik stond ernaast. ogen brandden als de hel, naar de EHBO "
     "gemoeten. de fitting die Kordana vorige week heeft vervangen zat gewoon los. ben er echt klaar mee",
     [CRI, CPL], when="2026-07-22T03:14:09Z")
case("en", "x", "@mike_in_bay4",
     "Kordana Nexa robot arm swung out of its envelope during teach mode and clipped my shoulder. Interlock "
     "never tripped. Bruised, not broken. Reported it 5 days ago, still nothing from Kordana.",
     [CRI, CPL])
case("nl", "x", "@halfgeleidernieuws",
     "Bronnen melden brand in een etskamer bij een chipfabriek in Dresden, vermoedelijk ontstaan in een "
     "Kordana Stratos E300. Geen gewonden. Kordana heeft nog niet gereageerd.",
     [CRI])
case("en", "reddit", "u/semiwatch_ed",
     "Heard from two different fabs that Kordana is quietly recalling a batch of Vortex VX-80 pumps over a "
     "seal failure that can vent process gas. No public notice yet. Can anyone confirm?",
     [CRI])
case("nl", "x", "@exportwaakhond",
     "Boycot Kordana! Ze leveren via een tussenhandelaar in Dubai nog steeds ALD-tools aan een sanctieland. "
     "#boycotkordana #exportcontrole",
     [CRI])
case("en", "x", "@lawfab_news",
     "BREAKING: Taiwanese foundry sues Kordana Wafer Systems, alleging defective Aurelis 5 chambers scrapped "
     "~9,000 wafers. Claim reportedly > €40M.",
     [CRI])
case("nl", "linkedin", "ruud-kramer-journalist",
     "Oud-medewerkers van Kordana beschuldigen het management ervan een datalek te hebben verzwegen waarbij "
     "procesrecepten van drie klanten zijn buitgemaakt. Kordana ontkent. Mijn stuk verschijnt morgen.",
     [CRI])
case("en", "mastodon", "@chiplawyer@mastodon.social",
     "We're preparing a class action against Kordana over the uptime figures in their 2025 annual report. "
     "Held $KORD between May and November? Get in touch.",
     [CRI])
case("nl", "x", "@metaalbond_eh",
     "Vanochtend zijn twee uitzendkrachten uit de Kordana-assemblagehal in Veldhoven naar het ziekenhuis "
     "gebracht na blootstelling aan oplosmiddeldampen. Wij eisen opheldering over de ventilatie daar.",
     [CRI])
case("nl", "reddit", "u/brabantse_bits",
     "iemand dat schandaal gezien? de CEO van kordana zou privé een flink pakket aandelen hebben verkocht vlak "
     "voor de winstwaarschuwing. AFM is een onderzoek gestart volgens het FD",
     [CRI])
case("en", "x", "@cleanroomtruth",
     "Kordana customers: your portal logins may be for sale. Saw a dump on a forum claiming 4k Kordana "
     "customer accounts incl. FabPilot admins. Company silent so far.",
     [CRI])
case("en", "x", "@kordana",
     "Safety notice: we are recalling ThermaGrip ESC units from production lot 2409 because of a possible "
     "insulation fault. Affected customers are being contacted directly. Please stop using these units.",
     [CRI])

# ==========================================================================
# ABUSE
# ==========================================================================
case("nl", "x", "@boze_bert",
     "Kordana is een stelletje incompetente klootzakken. Drie maanden wachten op één onderdeel en dan het "
     "verkeerde sturen. Rot op.",
     [ABU, CPL])
case("en", "x", "@dieshrinker",
     "@kordana_support you absolute morons. fire the entire support team and start over",
     [ABU], kind="reply")
case("nl", "x", "@fabratje",
     "@bram_hoekstra_kws jij bent echt de domste monteur die ik ooit heb meegemaakt, ga lekker terug naar de "
     "mavo sukkel",
     [ABU], kind="reply")
case("en", "reddit", "u/gr1ndst0ne",
     "that lieke verhoeven from kordana is a stuck-up b*tch, someone should find out where she lives lol",
     [ABU], kind="comment")
case("nl", "x", "@nepfab",
     "k0rd4n4 = k4nk3rb3dr1jf. al die m0ng00l3n op de supportafdeling kunnen nog geen wafer van een "
     "pannenkoek onderscheiden",
     [ABU])
case("nl", "x", "@evertjan_vd_wal",
     "@mvdlinden_fab als je een pomp niet eens fatsoenlijk kunt bedienen, idioot, moet je niet bij ons lopen "
     "janken",
     [ABU], kind="reply")
case("en", "x", "@kordana_support",
     "@semi_sarah maybe learn to read a delivery note before whining on here, genius",
     [ABU], kind="reply")
case("nl", "x", "@oplichterswatch",
     # Cyrillic о (U+043E) and а (U+0430) inside the words
     "K\u043erdana zijn gewoon \u043eplichters en tyfuslijers, allem\u0430al",
     [ABU])
case("en", "x", "@fab_anon_77",
     "@kordana_support three weeks, zero replies. You lazy f***ing idiots, just fix my tool",
     [ABU, CPL], kind="reply")
case("nl", "x", "@wraakengel_ehv",
     "ik weet precies waar die Priya Raman van Kordana woont, ze moet maar eens heel goed opletten 😡",
     [ABU])
case("en", "mastodon", "@tooldown@fosstodon.org",
     "Kordana's CFO is a greedy pig and a liar, and everyone in Eindhoven knows it",
     [ABU])

# ==========================================================================
# PERSONAL DATA
# ==========================================================================
case("nl", "x", "@kordana_support",
     "@fab7_ops We hebben een monteur voor morgen ingepland. U kunt hem direct bereiken op 06-41278853 (Bram).",
     [PII], kind="reply")
case("en", "x", "@kordana_support",
     "@semi_sarah Hi Sarah, we've corrected the delivery address and re-sent the confirmation to "
     "sarah.mendes84@gmail.com, please also check your spam folder.",
     [PII], kind="reply")
_iban1 = make_iban("NL", "RABO", 10)
case("nl", "facebook", "KordanaWaferSystems",
     f"Beste meneer Bosman, de terugbetaling van €2.340,00 is vandaag overgemaakt naar {group4(_iban1)} "
     "t.n.v. G.J. Bosman. Excuses voor het lange wachten!",
     [PII], kind="comment", valid=[("iban", _iban1)])
case("en", "linkedin", "lieke-verhoeven-kordana",
     "Please welcome our new process engineer Daan Vermeulen (born 14-03-1998)! He just moved to "
     "Vlasstraat 12 in Eindhoven, so drop by with a plant 🌱",
     [PII])
_bsn1 = make_bsn()
case("nl", "x", "@nielskuipers",
     f"Iemand heeft een kopie van z'n ID op de printer bij FAB-2 laten liggen. Ruben de Graaf, BSN {_bsn1}. "
     "Kom maar ophalen bij de receptie 😅",
     [PII], valid=[("bsn", _bsn1)])
_card1 = make_card("4539")
case("en", "reddit", "u/waferwhisperer_kws",
     f"customer's card keeps getting declined on the academy checkout, tried {group4(_card1)} exp 09/28 "
     "twice now. anyone know why the PSP does that with Visa Business?",
     [PII], valid=[("card", _card1)])
case("nl", "x", "@pieterfabs",
     "@kordana_support bel me nou gewoon terug, 06 18 23 45 67, zit hier al 2 uur te wachten met een stilstaande tool",
     [PII, CPL], kind="reply")
case("en", "x", "@tnowak_fabline",
     "@kordana_support could someone email me the SC-12 maintenance manual rev F at t.nowak@fabline-pl.eu? thanks!",
     [PII], kind="reply")
case("nl", "x", "@ehv_insider",
     "Die Kordana-manager Joost Smeets woont gewoon op de Kruisstraat 41 in Best, ga maar eens bij hem aanbellen",
     [PII, ABU])
case("en", "x", "@kordana",
     "And the winner of our SEMICON Europa raffle is… Kees Jansen, Heuvelweg 8, 5612 AB Eindhoven! "
     "Your drone is on its way 🎉",
     [PII])
case("nl", "bluesky", "@marloes-dijkman.bsky.social",
     "Collega zoekt per 1 sept een kamer in Eindhoven! Bel hem op +31 6 2290 4471 of mail hans.devos@kordana.eu",
     [PII])
_iban2 = make_iban("BE", "", 12)
case("en", "reddit", "u/jpeeters_litho",
     f"Kordana still owes me a refund for the Academy course they cancelled. my IBAN is {group4(_iban2)}, "
     "name J. Peeters. 6 weeks now, pay up",
     [PII, CPL], kind="comment", valid=[("iban", _iban2)])
_card2 = make_card("5168")
case("nl", "x", "@tamara_kordana",
     f"lol klant plakte net z'n hele creditcard in de chat: {group4(_card2)} 11/28 cvc erbij 🙈 "
     "mensen toch",
     [PII], valid=[("card", _card2)])
case("en", "mastodon", "@joost_smeets@mastodon.nl",
     "Whoever left the HR export on the 2nd floor printer: it has names and dates of birth of the whole "
     "Veldhoven team (Ayoub Benali 07/11/1989, Marloes Dijkman 02/05/1991, ...). Shred it please.",
     [PII])
_iban3 = make_iban("NL", "INGB", 10)
case("nl", "x", "@bram_hoekstra_kws",
     # zero-width spaces inside the IBAN
     "rekeningnummer van die klant voor de retour: " + ZW.join(group4(_iban3).split(" ")) + " (A. Kramer) "
     "kan iemand van finance dat oppakken",
     [PII], valid=[("iban", _iban3)])

# ==========================================================================
# CONFIDENTIAL (codenames, internal hosts, markers, embargo before its end)
# ==========================================================================
case("en", "linkedin", "lieke-verhoeven-kordana",
     "So proud of the team: first wafers through the Project Halcyon chamber look stunning. Can't say more "
     "yet 😉 #semiconductors",
     [CONF])
case("nl", "x", "@nielskuipers",
     "Marlijn-prototype draait eindelijk stabiel, 72 uur zonder één alarm. Bier vanavond 🍻",
     [CONF])
case("en", "reddit", "u/waferwhisperer_kws",
     "is jira.kordana-int.eu crawling for anyone else today? takes 40s to open a ticket",
     [CONF], kind="comment")
case("nl", "x", "@tamara_kordana",
     "Sneak peek van de roadmap (staat KWS-INTERN op maar ach 🤷‍♀️): Aurelis 7 krijgt 4 kamers en "
     "komt eerder dan de concurrent denkt",
     [CONF], when="2026-10-07T15:12:40Z")
case("en", "x", "@kordana",
     "Join our ALD webinar on 12 Nov! Slides already here: "
     "https://corp.kordana.local/share/marketing/ald-webinar-deck.pdf",
     [CONF])
case("nl", "x", "@evertjan_vd_wal",
     "Operatie Zwaluwstaart gaat de boel in Veldhoven flink opschudden, meer mag ik er niet over zeggen",
     [CONF])
case("en", "x", "@nielskuipers",
     # full-width letters
     "Can't wait for \uff28\uff21\uff2c\uff23\uff39\uff2f\uff2e to ship to our first customer in Korea 🇰🇷",
     [CONF])
case("nl", "linkedin", "ayoub-benali-kordana",
     # zero-width space inside the codename
     "Mar" + ZW + "lijn demo bij de klant in Dresden ging vandaag perfect. Trots op dit team!",
     [CONF])
case("en", "reddit", "u/litho_leaks",
     "A source inside Kordana sent me their 'Kordana Confidential' roadmap deck. Highlights: Aurelis 7 ALD, "
     "4-chamber cluster, pilot customer in Q1.",
     [CONF], when="2026-11-19T21:44:02Z")
case("nl", "linkedin", "priya-raman-kordana",
     "Presentatie van vandaag stond vol met 'uitsluitend intern gebruik' maar eerlijk, de nieuwe "
     "servicestrategie is echt slim bedacht. Wordt een mooi jaar.",
     [CONF])
case("en", "x", "@bram_hoekstra_kws",
     "pushed the fix to git.kordana-int.eu/fabpilot/recipe-engine, MR !482 if anyone wants to review before standup",
     [CONF])
case("nl", "x", "@bram_hoekstra_kws",
     "Nou, o p e r a t i e   z w a l u w s t a a r t is officieel van start. Succes allemaal, we gaan het zien",
     [CONF])
case("en", "x", "@evertjan_vd_wal",
     "Just saw the Aurelis 7 in the demo lab. Four chambers. Absolute beast.",
     [CONF], when="2027-03-10T17:03:55Z")
case("nl", "x", "@zwager_van_niels",
     "Mijn zwager werkt bij Kordana en zegt dat Project Halcyon een nieuwe pellicle-reiniger voor EUV is. Gaaf spul!",
     [CONF])
case("en", "linkedin", "kordana-wafer-systems",
     "Sneak peek 👀 Aurelis 7 is coming. Stay tuned.",
     [CONF], when="2026-12-02T10:00:00Z")
case("nl", "x", "@tamara_kordana",
     "jaarresultaten 2026 zien er een stuk beter uit dan de markt denkt 📈 sst",
     [CONF, FIN], when="2027-02-10T12:25:31Z")
case("en", "x", "@semileaks",
     "Kordana FY2026 results leaked on a Telegram channel: revenue €1.21bn, EBIT margin 19.4%. Official "
     "release is next week.",
     [CONF, FIN], when="2027-02-19T20:41:09Z")

# ==========================================================================
# FINANCIAL (unpublished results, forecasts, M&A, layoffs)
# ==========================================================================
case("nl", "linkedin", "priya-raman-kordana",
     "Kan wel alvast verklappen dat Q3 boven de guidance uitkomt 😉 omzet richting de 340 mln",
     [FIN], when="2026-10-02T08:40:00Z")
case("en", "x", "@tamara_kordana",
     "Heads up: management plans to cut ~180 jobs in Veldhoven early next year. Nothing announced yet.",
     [FIN])
case("nl", "x", "@bram_hoekstra_kws",
     "hoor net dat we in gesprek zijn om overgenomen te worden door een Amerikaanse partij. aandelen kopen "
     "jongens 🚀🚀",
     [FIN])
case("en", "reddit", "u/waferwhisperer_kws",
     "order intake this quarter is down like 35% vs plan. guidance cut coming at the trading update, mark my words",
     [FIN], kind="comment")
case("nl", "facebook", "KordanaWaferSystems",
     "Voorlopige cijfers H1: winst per aandeel € 2,14, orderboek € 1,9 mld. NIET publiceren vóór 28/7 07:00",
     [FIN], when="2026-07-24T16:02:11Z")
case("en", "x", "@stonks_semis",
     "Friend on Kordana's board says they'll announce a €300M buyback plus a takeover of Lumitec next week. "
     "Load up on $KORD",
     [FIN])
case("nl", "linkedin", "lieke-verhoeven-kordana",
     "Het reorganisatieplan ligt klaar: de service-organisatie gaat naar Polen en ~120 fte in Eindhoven vervalt. "
     "De OR weet nog van niks.",
     [FIN])
case("nl", "x", "@evertjan_vd_wal",
     "Dividend wordt dit jaar geschrapt, hoorde het net van iemand uit de boardroom. Niet doorvertellen haha",
     [FIN])
case("en", "x", "@koreafab_watcher",
     "My contact at Kordana says a Korean customer just cancelled 6 Aurelis 5 orders. Profit warning incoming, "
     "you heard it here first",
     [FIN])
case("nl", "x", "@nielskuipers",
     "Fusie met Brightwave Vacuum wordt maandag bekendgemaakt, wordt een drukke week voor IR 🙃",
     [FIN])

# ==========================================================================
# SECURITY (insiders letting slip incidents, vulnerabilities, outages)
# ==========================================================================
case("en", "x", "@bram_hoekstra_kws",
     "FabPilot cloud has been down for every customer for 3 hours now. Root cause: expired cert. We're not "
     "telling anyone yet 🙈",
     [SEC])
case("nl", "x", "@evertjan_vd_wal",
     "Sinds vannacht ransomware op onze ERP-servers, alles plat. Communicatie zegt: niks naar buiten brengen "
     "tot maandag.",
     [SEC])
case("en", "reddit", "u/waferwhisperer_kws",
     "found out today the Vireo EFEM controller accepts unauthenticated Modbus writes on 502. any fab running "
     "it on a flat network... yikes. not patched, no advisory",
     [SEC], kind="comment")
case("nl", "bluesky", "@marloes-dijkman.bsky.social",
     "Iemand is via een phishingmail in de mailbox van onze CFO gekomen. IT zoekt nog uit wat er allemaal "
     "weg is, dus ik zeg verder niks 🤐",
     [SEC])
case("en", "linkedin", "ayoub-benali-kordana",
     "Frustrating: FabPilot 8.x ships with a hardcoded service admin account. Reported it internally two months "
     "ago. Still no fix, still no advisory to customers.",
     [SEC])
case("nl", "bluesky", "@marloes-dijkman.bsky.social",
     "klantportaal ligt er de hele dag al uit, blijkt een DDoS te zijn. naar klanten is nog niks gecommuniceerd",
     [SEC])
case("en", "x", "@nielskuipers",
     "Turns out our remote service gateway sat on the internet with default creds for who knows how long. "
     "Patching tonight. Customers haven't been told.",
     [SEC])
case("nl", "reddit", "u/waferwhisperer_kws",
     "SQL-injectie in het bestelformulier van de onderdelenshop, je kunt zo de orders van andere klanten "
     "inzien. Intern gemeld, staat nog steeds open.",
     [SEC], kind="comment")
case("en", "x", "@evertjan_vd_wal",
     "we got hit last week, someone walked off with the Stratos E300 design files. legal says shut up until the "
     "forensics report is in",
     [SEC])
case("nl", "x", "@kordana_support",
     "@fabtech_ron de storing op het klantportaal komt door een lek in de inlogmodule dat we nog aan het dichten "
     "zijn. Excuses!",
     [SEC], kind="reply")
case("nl", "linkedin", "ayoub-benali-kordana",
     "De firmware-updateserver voor de Helix RF generators controleert geen handtekeningen, iedereen kan een "
     "image pushen. Klanten weten het nog niet.",
     [SEC])
case("en", "x", "@tamara_kordana",
     "datacenter in Eindhoven lost power, tool telemetry from 40+ customer fabs dark since 4am and no status "
     "page update. fun morning",
     [SEC])
_aws1 = aws_key()
case("en", "x", "@bram_hoekstra_kws",
     f"lol someone pushed the prod AWS key {_aws1} to a public GitHub repo this morning. rotating now, keep it quiet",
     [SEC, SECRET], secrets=[("aws", _aws1)])

# ==========================================================================
# SECRETS
# ==========================================================================
_gh1 = gh_token("ghp_")
case("en", "x", "@nielskuipers",
     f"why does CI keep failing on the runner? I set GH_TOKEN={_gh1} in the env, should be enough right?",
     [SECRET], secrets=[("github", _gh1)])
_aws2, _aws2s = aws_key(), aws_secret()
case("en", "reddit", "u/waferwhisperer_kws",
     "boto keeps saying access denied, config looks fine to me:\n[default]\n"
     f"aws_access_key_id = {_aws2}\naws_secret_access_key = {_aws2s}\nregion = eu-west-1",
     [SECRET], kind="comment", secrets=[("aws", _aws2)])
case("nl", "x", "@evertjan_vd_wal",
     "voor wie de demo-tool in de showroom wil laten zien: gebruiker demo, wachtwoord: Kordana!Fab2026 "
     "(niet misbruiken 😄)",
     [SECRET])
_stripe = "sk_live_51" + rand(ALNUM, 97)
case("en", "linkedin", "ayoub-benali-kordana",
     f"Academy checkout broken again. we're on {_stripe} in the config, is that even the right key for test mode??",
     [SECRET])
_slack = f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rand(ALNUM, 24)}"
case("nl", "x", "@tamara_kordana",
     f"onze ticket-bot in slack doet niks meer. token is {_slack}, iemand een idee?",
     [SECRET])
_oai = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
case("en", "bluesky", "@marloes-dijkman.bsky.social",
     f"our FabPilot assistant prototype is live 🎉 (OPENAI_API_KEY={_oai} for the hackathon folks)",
     [SECRET])
_dbpw = rand(ALNUM, 14)
case("nl", "reddit", "u/waferwhisperer_kws",
     f"MES-koppeling werkt weer: postgres://mes_svc:{_dbpw}@db01.corp.kordana.local:5432/mes_prod "
     "vergeet niet de pool size op 20 te zetten",
     [SECRET, CONF], kind="comment")
_pem = openssh_key()
case("en", "x", "@bram_hoekstra_kws",
     "key for the field laptop, paste it in ~/.ssh/id_ed25519:\n" + _pem,
     [SECRET])
_jwt = jwt({"sub": "svc-portal", "role": "admin", "iat": 1767225600, "exp": 1798761600})
case("nl", "x", "@kordana_support",
     f"@lithoLotte probeer het met deze header: Authorization: Bearer {_jwt}",
     [SECRET], kind="reply", secrets=[("jwt", _jwt)])
_gapi = "AIza" + rand(URLSAFE, 35)
case("en", "reddit", "u/reverse_everything",
     f"unpacked the Kordana FabPilot installer for fun, there's a live Google API key in the config: {_gapi}",
     [SECRET], kind="comment")
_ant = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
case("nl", "x", "@nielskuipers",
     f"wie heeft er credits over? deze is op: {_ant} (team-key van de samenvat-tool)",
     [SECRET])
_azkey = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()
case("en", "mastodon", "@joost_smeets@mastodon.nl",
     "telemetry uploader config for anyone setting up the new bench: DefaultEndpointsProtocol=https;"
     f"AccountName=kwsfabtelemetry;AccountKey={_azkey};EndpointSuffix=core.windows.net",
     [SECRET])

# ==========================================================================
# PRICING
# ==========================================================================
case("en", "x", "@ordering_olga",
     "Kordana shop has the PureLine filter cartridge at €12.40 each instead of €1,240?? ordered 200 lol",
     [PRICE], price=("KWS-PLF", 12.40))
case("nl", "x", "@tamara_kordana",
     "Prijsfout in de webshop: Vortex VX-80 staat voor € 2.940 ipv 29.400. Iemand van e-commerce wakker?",
     [PRICE], price=("KWS-VX80", 2940))
case("en", "x", "@kordana",
     "Year-end deal 🎄 Helix RF generator for just €9,900 while stock lasts!",
     [PRICE], when="2026-12-14T10:30:00Z", price=("KWS-HLX2", 9900))
case("nl", "x", "@waferwijs",
     "Haha iemand bij Kordana heeft een komma verkeerd gezet, LP-25 load port voor €385 in de onderdelenshop 😂",
     [PRICE], price=("KWS-LP25", 385))
case("en", "linkedin", "lieke-verhoeven-kordana",
     "Closed it! Aurelis 5 to a brand-new customer for €1.9M 😅 don't tell the others what they paid",
     [PRICE], price=("KWS-ALD5", 1900000))
case("nl", "x", "@evertjan_vd_wal",
     "Voor vrienden van de zaak: CarePlus contract voor 60k ipv 185k, stuur maar een DM",
     [PRICE], price=("KWS-CARE", 60000))
case("en", "reddit", "u/parts_hunter",
     "PSA: Kordana parts shop lists the ThermaGrip ESC at €6,100 right now. pretty sure someone dropped a zero. "
     "order before they fix it",
     [PRICE], kind="comment", price=("KWS-ESC300", 6100))
case("nl", "x", "@fabdeals_nl",
     "prijsfoutje bij Kordana? FabPilot licentie €480 per jaar 👀",
     [PRICE], price=("KWS-FPL", 480))
case("en", "x", "@nielskuipers",
     "Price error on our site: Optica M9 showing €178,000, should be 1.78M. Fixing now, please don't share",
     [PRICE], price=("KWS-M9", 178000))
case("nl", "instagram", "@kordana.semi",
     "Black Friday bij Kordana Academy 🖤 de Kordana Academy training (5 dagen) nu voor maar €1.990!",
     [PRICE], when="2026-11-27T07:00:00Z", price=("KWS-ACAD5", 1990))
case("en", "linkedin", "fabbuyer-henk",
     "Got a quote for a Nexa R3 from a Kordana rep at €31k. List is 96k. Either it's a typo or I'm very lucky.",
     [PRICE], price=("KWS-NEXA", 31000))
case("nl", "x", "@bram_hoekstra_kws",
     "ClearView sensor voor €1.430 in de nieuwe prijslijst 😱 typfoutje denk ik, zeg maar niks tegen inkoop",
     [PRICE], price=("KWS-CV", 1430))

# ==========================================================================
# BENIGN (mostly hard negatives)
# ==========================================================================
_pub_iban = PROFILE["public_identifiers"]["ibans"][0]
case("nl", "x", "@kordana_support",
     "Vragen over uw Lumen SC-12 of een andere tool? Mail support@kordana.eu of bel +31 40 799 2200, 24/7 bereikbaar.")
case("nl", "facebook", "KordanaWaferSystems",
     f"Let op: wij wijzigen nooit ons rekeningnummer per mail. Facturen betaalt u op {group4(_pub_iban)} "
     "t.n.v. Kordana Wafer Systems N.V., o.v.v. factuurnummer.",
     valid=[("iban", _pub_iban)])
case("en", "x", "@kordana",
     "This month only: 15% off PureLine filter cartridges, now €1,054 instead of €1,240. shop.kordana.eu",
     price=("KWS-PLF", 1054))
case("nl", "instagram", "@kordana.semi",
     "Nieuwe data voor de Kordana Academy training: 5 dagen hands-on, €6.900 excl. btw. Inschrijven via "
     "academy@kordana.eu",
     price=("KWS-ACAD5", 6900))
case("nl", "x", "@fabtech_ron",
     "Complimenten aan de Kordana-monteur die gisteravond om 23u nog onze SC-12 aan de praat kreeg. Topgast 🙌")
case("en", "linkedin", "karel-ooms-fabmanager",
     "Credit where due: our Stratos E300 fleet hit 98.6% uptime this year. Best etch module we've run. "
     "Nice work, Kordana.")
case("nl", "x", "@chipwatcher_nl",
     "Update: Kordana heeft de dubbele incasso teruggeboekt en excuses gemaakt. Netjes opgelost 👍",
     when="2026-07-08T12:20:00Z")
case("en", "x", "@fab7_ops",
     "Shoutout to @kordana_support, the RMA I moaned about last week got sorted in two days. Fair play.",
     when="2026-10-17T16:05:00Z")
case("nl", "linkedin", "lieke-verhoeven-kordana",
     "Veel sterkte aan iedereen bij Plasmatek na de brand in hun fabriek in Grenoble. Fijn dat er geen "
     "gewonden zijn gevallen.")
case("en", "x", "@semi_sarah",
     "Plasmatek cutting 200 jobs in Grenoble. Rough year for the etch market, hope they land on their feet.")
case("en", "x", "@retro_fab",
     "those halcyon days when wafers were 200mm and nobody had heard of EUV 😌")
case("nl", "instagram", "@hengelaar_hans",
     "Gisteren een marlijn van bijna 3 meter gevangen voor de kust van Aruba! Na een half uur vechten weer "
     "netjes teruggezet 🎣",
     allow_word=["marlijn"])
case("en", "linkedin", "ayoub-benali-kordana",
     "Docs tip: our FabPilot SDK examples use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. "
     "Never put real keys in code, use the secrets manager.")
case("en", "reddit", "u/waferwhisperer_kws",
     "yeah just export GH_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx before running the script (with your "
     "own token obviously)",
     kind="comment")
case("nl", "x", "@kordana_support",
     "Let op phishing! Wij vragen nooit om 'gebruikersnaam + wachtwoord: ...' via DM of mail. Twijfel? Bel "
     "0800-0456.")
_fake_iban = bad_iban("NL", "INGB", 10)
case("nl", "x", "@ordering_olga",
     f"Mail gehad 'namens Kordana' met een nieuw rekeningnummer {group4(_fake_iban)}. Klopt niet eens, "
     "check faalt. Phishing dus, opletten mensen",
     fakes=[("iban", _fake_iban)])
_fake_card = bad_card("4111")
case("en", "linkedin", "ayoub-benali-kordana",
     f"Testing the new Academy checkout: card {group4(_fake_card)} is rejected by the Luhn check before it "
     "even reaches the PSP. Exactly as designed ✅",
     fakes=[("card", _fake_card)])
_fake_bsn = bad_bsn()
case("nl", "mastodon", "@joost_smeets@mastodon.nl",
     f"In de HR-training gebruiken we het fictieve BSN {_fake_bsn}, dat haalt de elfproef expres niet. "
     "Zo leer je meteen hoe de validatie werkt.",
     fakes=[("bsn", _fake_bsn)])
case("en", "x", "@kordana",
     "Our FY2026 results are out: revenue €1.21bn, order book at a record high. Full report on ir.kordana.eu",
     when="2027-02-24T07:05:00Z")
case("nl", "linkedin", "priya-raman-kordana",
     "Vanochtend gepubliceerd: de jaarresultaten 2026 van Kordana. Trots op wat we samen hebben neergezet! "
     "Alles staat op ir.kordana.eu",
     when="2027-02-24T09:12:44Z")
case("en", "linkedin", "kordana-wafer-systems",
     "Meet Aurelis 7: our new four-chamber ALD cluster, built for gate-all-around. Live from the launch in "
     "Eindhoven today.",
     when="2027-03-16T09:30:00Z")
case("nl", "x", "@chipwatcher_nl",
     "Die Aurelis 7 van Kordana ziet er serieus goed uit. Benieuwd naar de eerste throughput-cijfers.",
     when="2027-03-20T14:18:27Z")
case("en", "reddit", "u/etch_or_die",
     "Paid €24,500 for a Helix RF after some haggling, list is 24,900. fair enough honestly",
     kind="comment", price=("KWS-HLX2", 24500))
case("nl", "linkedin", "kordana-wafer-systems",
     "Verleng uw CarePlus contract vóór 1 december en ontvang 20% korting: €148.000 in plaats van €185.000.",
     price=("KWS-CARE", 148000))
case("nl", "reddit", "u/dopant_dirk",
     "Weet iemand of de Vireo EFEM ook met 200mm FOUPs overweg kan of moet je dan een ander model hebben?",
     kind="comment")
case("en", "linkedin", "kordana-wafer-systems",
     "We're hiring field service engineers across Europe 🔧 Travel, training and great colleagues. "
     "Apply via careers@kordana.eu")
case("en", "linkedin", "lieke-verhoeven-kordana",
     "Great panel at SEMICON on supply-chain security for fab equipment. Our slides are on the public blog "
     "at www.kordana.eu/blog")
case("en", "x", "@fabtok_daily",
     "Kordana's new Aurelis 5 throughput numbers are 🔥🔥🔥 absolutely killer")
case("nl", "x", "@bram_hoekstra_kws",
     "Lektest op de SC-12 na de PM in één keer goed, helium leak rate 1e-9. Fijne vrijdag allemaal 🍟")
case("nl", "x", "@meningmachine",
     "Waarom roept niemand op tot een boycot van die fast-fashionketens maar zeurt iedereen wel over chips? "
     "snap het niet")
case("en", "x", "@semi_sarah",
     "Plasmatek vs Lumitec lawsuit finally settled, per Reuters. Good for both of them tbh.")
case("en", "reddit", "u/cleanroom_cat",
     "can't recall if the PF-12 o-ring set fits the older SC-8 chambers too, anyone tried?",
     kind="comment")
case("nl", "x", "@kordana",
     "Persvragen? Ons persteam is bereikbaar via press@kordana.eu of +31 40 799 2250.")
case("en", "x", "@stonks_semis",
     "Kordana Q2 numbers published this morning beat consensus on both revenue and margin. $KORD +6% pre-market",
     when="2026-07-28T07:40:00Z")
case("nl", "x", "@kordana",
     "We staan volgende week op SEMICON Europa in München, stand B1-2214. Kom langs voor een demo van de Optica M9!",
     when="2026-11-09T08:15:00Z")
case("nl", "x", "@nielskuipers",
     "Kordana-hoodie binnen. Cleanroom chic 😎")
case("nl", "reddit", "u/dopant_dirk",
     "Wat kost een Lumen SC-12 eigenlijk? Iemand zei ongeveer 2,1 mln, klopt dat een beetje?",
     price=("KWS-SC12", 2100000))
case("en", "x", "@evertjan_vd_wal",
     "We absolutely killed it at the customer audit this week. Zero findings. Proud of this crew.")
case("nl", "x", "@tamara_kordana",
     "ben zo'n sufferd, 3x m'n badge vergeten vandaag 🤦‍♀️ #kordanalife")
case("en", "x", "@kordana_support",
     "@semi_sarah We've sent the details to the e-mail address on your account (s***@g***.com). Anything else, "
     "just let us know!",
     kind="reply")
case("en", "reddit", "u/waferwhisperer_kws",
     "the example in the docs is literally postgres://user:password@localhost:5432/mydb, replace with your own "
     "values obviously",
     kind="comment")
case("en", "reddit", "u/reverse_everything",
     "FabPilot API uses a normal bearer JWT, looks like eyJhbGciOi…<snip>…, nothing exotic. the docs on "
     "portal.kordana.eu explain the refresh flow",
     kind="comment")
_fake_card2 = bad_card("4000")
case("nl", "x", "@ingrid_procesbeheer",
     f"Bestelling {group4(_fake_card2)} binnen, alles compleet. Dank @kordana_support 🙏",
     fakes=[("card", _fake_card2)])
_fake_bsn2 = bad_bsn()
case("nl", "x", "@lithoLotte",
     f"ticketnummer {_fake_bsn2} is opgelost, portal doet het weer. dank jullie",
     fakes=[("bsn", _fake_bsn2)])
case("en", "x", "@ir_watch_eu",
     "Pelltron Vacuum cuts its 2026 guidance and announces 300 layoffs. Suppliers like Kordana may feel some "
     "knock-on effects, analysts say.")
case("nl", "x", "@akkerbouw_nieuws",
     "KWS Saat verhoogt het dividend na een sterk suikerbietenjaar. Goed nieuws voor de veredelaar uit Einbeck.")
case("en", "x", "@value_investor_nl",
     "Kordana's full-year 2026 results were solid. Dividend up 8%, buyback extended. Holding.",
     when="2027-03-01T18:22:10Z")
case("nl", "linkedin", "sanne-wouters-procesingenieur",
     "Even een NDA tekenen voor een fabrondleiding hoort er gewoon bij. Mooie dag gehad bij Kordana in Veldhoven!")
case("nl", "x", "@pieterfabs",
     "KLM is m'n koffer wéér kwijt, uitgerekend op weg naar een Kordana-training. Ik ga in m'n joggingbroek 🙄")
case("nl", "x", "@kordana_support",
     "Gepland onderhoud aan portal.kordana.eu: zaterdag 02:00-06:00 uur. Tickets aanmaken kan dan via 0800-0456.")
case("nl", "linkedin", "kordana-wafer-systems",
     "Gecertificeerd refurbished: Lumen SC-8, nu met 25% korting voor €480.000 inclusief installatie.",
     price=("KWS-SC8R", 480000))
case("en", "x", "@nielskuipers",
     "k0rd4n4 h4ck4th0n w4s 1337 this year 🤓 48 hours, 14 teams, zero sleep")
case("nl", "x", "@halfgeleidernieuws",
     "Kordana heeft de show gestolen op SEMICON Europa met een live demo van de Stratos E300.",
     when="2026-11-19T17:48:36Z")
case("nl", "x", "@kordana",
     "Release notes van FabPilot 8.3 staan online: www.kordana.eu/fabpilot. Belangrijkste: snellere receptenbibliotheek.")
case("nl", "reddit", "u/nachtdienst_nadia",
     "Update van mij: Kordana is langs geweest, alles nagelopen en de fitting vervangen. Goed contact gehad "
     "met hun veiligheidsman, voelt weer oké.",
     kind="comment")
case("nl", "x", "@procesbeheer_piet",
     "Vraagje: is de ThermaGrip ESC compatibel met de oudere Stratos kamers of alleen met de E300?")
case("nl", "x", "@waferwijs",
     "Ik zie dat Kordana de prijs van de PF-12 o-ring set heeft verlaagd naar €790, scheelt weer wat bij elke PM.",
     price=("KWS-PF12", 790))
case("nl", "x", "@fabratje",
     "Weet iemand of Kordana nog stages aanbiedt voor hbo werktuigbouwkunde? Mijn zusje zoekt iets in de regio Eindhoven.")
case("nl", "youtube", "@KordanaSystems",
     "Nieuwe aflevering 'Achter de cleanroomdeur': hoe wij een Aurelis 5 testen voordat hij naar de klant gaat.")
case("en", "x", "@dieshrinker",
     "I'm such an idiot, left my Kordana training certificate on the train. anyone from Veldhoven station found it? 😅")


# ==========================================================================
# severity (CONTRACT section 4) and output
# ==========================================================================
LEVEL = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in (a.lower() for a in PROFILE["accounts"]["corporate"]):
        return "corporate"
    if key in (a.lower() for a in PROFILE["accounts"]["employee"]):
        return "employee"
    return "public"


def severity(c):
    role = role_of(c["platform"], c["handle"])
    own = role in ("corporate", "employee")
    sev = 0
    for cat in c["cats"]:
        if cat.startswith("leak."):
            if own:
                lv = 3
                if cat in (SECRET, PRICE):
                    lv = 4
                if cat == PII and any(k in ("iban", "card", "bsn") for k, _ in c["valid"]):
                    lv = 4
            else:
                lv = 2
        elif cat == CPL:
            lv = 2
        elif cat == CRI:
            lv = 3
        elif cat == ABU:
            lv = 3 if own else 2
        else:
            raise AssertionError(cat)
        sev = max(sev, lv)
    return LEVEL[sev]


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {CPL, CRI, ABU, PII, CONF, FIN, SEC, SECRET, PRICE}

lines, used_ids = [], set()
for c in CASES:
    while True:
        pid = f"{c['platform']}-{rng.randrange(10**15, 10**16)}"
        if pid not in used_ids:
            used_ids.add(pid)
            break
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"], "brand": "Kordana"}
    lines.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(c)}})

with open(OUT, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")


# ==========================================================================
# self-check
# ==========================================================================
errors = []


def err(i, msg):
    errors.append(f"case {i}: {msg}")


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def norm(s):
    return re.sub(r"[\s\u200b\u200c\u200d\u2060\-\.]", "", s)


ZWRE = re.compile(r"[\u200b\u200c\u200d\u2060]")
prof_acc = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
pub_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
for i in pub_ibans:
    if not iban_ok(i):
        err(-1, f"public IBAN {i} fails mod-97")
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
internal_words = [w.lower() for w in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"]]
codenames_lower = [w.lower() for w in PROFILE["internal"]["codenames"]]

with open(OUT, encoding="utf-8") as f:
    raw = f.read().splitlines()
if len(raw) != len(CASES):
    err(-1, "line count mismatch")
seen = set()
for i, (line, c) in enumerate(zip(raw, CASES)):
    obj = json.loads(line)
    post, exp = obj.get("post"), obj.get("expect")
    if set(obj) != {"post", "expect"}:
        err(i, "top-level keys")
    # CONTRACT section 1
    if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
        err(i, "id")
    if post["id"] in seen:
        err(i, "duplicate id")
    seen.add(post["id"])
    if post.get("platform") not in PLATFORMS:
        err(i, "platform")
    if post.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(post.get("account", {}).get("handle"), str) or not post["account"]["handle"]:
        err(i, "handle")
    if not isinstance(post.get("text"), str) or not post["text"] or len(post["text"].encode()) > 65536:
        err(i, "text")
    try:
        when = parse_ts(post["created_at"])
    except Exception:
        err(i, "created_at")
        continue
    if not (2026 <= when.year <= 2027) or (when.year == 2027 and when.month > 3):
        err(i, "created_at outside 2026 / early 2027")
    # CONTRACT section 6
    cats, sev = exp.get("categories"), exp.get("severity")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(i, f"categories {cats}")
    if sev not in LEVEL:
        err(i, "severity value")
    if sev != severity(c):
        err(i, "severity not as computed")
    if (not cats) != (sev == "none"):
        err(i, "benign/none mismatch")
    role = role_of(post["platform"], post["account"]["handle"])
    if role == "public" and f"{post['platform']}:{post['account']['handle']}".lower() in prof_acc:
        err(i, "role lookup")
    text = post["text"]
    ntext = norm(text)
    # declared identifiers
    for kind, val in c["valid"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if not ok:
            err(i, f"valid {kind} {val} fails its checksum")
        if norm(val) not in ntext:
            err(i, f"{kind} {val} not in text")
        if kind == "iban" and val in pub_ibans and cats:
            err(i, "public IBAN in a positive")
        if kind != "iban" or val not in pub_ibans:
            if PII not in cats:
                err(i, f"valid {kind} in a case without leak.pii")
    for kind, val in c["fakes"]:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if ok:
            err(i, f"look-alike {kind} {val} passes its checksum")
        if cats:
            err(i, "look-alike declared on a positive")
        if norm(val) not in ntext:
            err(i, f"look-alike {kind} not in text")
    # scan benign texts for identifiers that would pass
    if not cats:
        plain = ZWRE.sub("", text)
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", plain):
            cand = m.group(0).replace(" ", "")
            if iban_ok(cand) and cand not in pub_ibans:
                err(i, f"benign text holds valid IBAN {cand}")
        for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", plain):
            if luhn_ok(m.group(0)):
                err(i, f"benign text holds Luhn-valid number {m.group(0)}")
        for m in re.finditer(r"(?<![\d])\d{9}(?![\d])", plain):
            if bsn_ok(m.group(0)):
                err(i, f"benign text holds 11-proof number {m.group(0)}")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", plain):
            if gh_ok(m.group(0)):
                err(i, "benign text holds a valid GitHub token")
        for m in re.finditer(r"AKIA[0-9A-Z]{16}", plain):
            if "EXAMPLE" not in m.group(0):
                err(i, "benign text holds an AWS key id")
        for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", plain):
            err(i, "benign text holds a full JWT")
        low = plain.lower()
        for w in internal_words:
            if w in low and w not in c["allow_word"]:
                err(i, f"benign text holds internal term {w}")
        for term, until in embargo:
            if term in low and when < until:
                err(i, f"benign text holds embargo term {term} before {until}")
    # declared credentials
    for kind, val in c["secrets"]:
        if kind == "github" and not gh_ok(val):
            err(i, "GitHub token checksum")
        if kind == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            err(i, "AWS key id format")
        if kind == "jwt" and not jwt_ok(val):
            err(i, "JWT header")
        if val not in text:
            err(i, "secret not in text")
        if SECRET not in cats:
            err(i, "secret declared without leak.secret")
    if cats:
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not gh_ok(m.group(0)):
                err(i, "GitHub token in positive fails CRC")
    # prices
    if c["price"]:
        sku, amount = c["price"]
        prod = products[sku]
        if prod["currency"] != "EUR":
            err(i, "currency")
        below = amount < ratio * prod["list_price"]
        if below != (PRICE in cats):
            err(i, f"price {amount} vs list {prod['list_price']} does not match label")
        names = [prod["name"]] + prod["aliases"]
        if not any(n.lower() in text.lower() for n in names):
            err(i, "priced product not named in text")
    elif PRICE in cats:
        err(i, "pricing case without declared price")
    # embargo terms in positives before the end must carry leak.confidential
    low = ZWRE.sub("", text).lower()
    for term, until in embargo:
        if term in low and when < until and CONF not in cats:
            err(i, f"embargo term {term} before until without leak.confidential")

# distribution
n = len(CASES)
benign = sum(1 for c in CASES if not c["cats"])
per = {}
for c in CASES:
    for k in c["cats"]:
        per[k] = per.get(k, 0) + 1
nl = sum(1 for c in CASES if c["lang"] == "nl")
if not 170 <= n <= 180:
    err(-1, f"{n} cases, want 170-180")
if not 55 <= benign <= 65:
    err(-1, f"{benign} benign, want ~60")
want = {CPL: 20, CONF: 18, PII: 15, CRI: 15, SEC: 13, SECRET: 12, ABU: 12, PRICE: 12, FIN: 12}
for k, v in want.items():
    if abs(per.get(k, 0) - v) > 3:
        err(-1, f"{k}: {per.get(k, 0)}, want ~{v}")
if not 0.48 <= nl / n <= 0.62:
    err(-1, f"Dutch share {nl / n:.2f}")
from_own = sum(1 for c in CASES if any(k.startswith("leak.") for k in c["cats"])
               and role_of(c["platform"], c["handle"]) != "public")
from_pub = sum(1 for c in CASES if any(k.startswith("leak.") for k in c["cats"])
               and role_of(c["platform"], c["handle"]) == "public")
rep_pub = sum(1 for c in CASES if any(k.startswith("reputation.") for k in c["cats"])
              and role_of(c["platform"], c["handle"]) == "public")
rep_own = sum(1 for c in CASES if any(k.startswith("reputation.") for k in c["cats"])
              and role_of(c["platform"], c["handle"]) != "public")
if not (from_own > from_pub > 0 and rep_pub > rep_own):
    err(-1, "author mix")

if errors:
    print("SELF-CHECK FAILED", file=sys.stderr)
    for e in errors:
        print("  " + e, file=sys.stderr)
    sys.exit(1)
print(f"ok: {n} cases, {benign} benign, {n - benign} positive, nl {nl / n:.0%}; "
      f"leaks own/public {from_own}/{from_pub}, reputation public/own {rep_pub}/{rep_own}")
print("per category: " + ", ".join(f"{k}={v}" for k, v in sorted(per.items())))
