#!/usr/bin/env python3
"""Held-out evaluation set for postwatch: Vennhoek Steigerbouw B.V. (scaffolding rental/erection).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file and
self-checks it (checksums of identifiers, secret formats, CONTRACT section 6 shape, severities
computed from the account role in profile.yaml per CONTRACT section 4).
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 378_2026

rng = random.Random(SEED)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 digit order
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = string.ascii_letters + string.digits + "-_"

CAT = {
    "secret": "leak.secret",
    "pii": "leak.pii",
    "pricing": "leak.pricing",
    "conf": "leak.confidential",
    "fin": "leak.financial",
    "sec": "leak.security",
    "crisis": "reputation.crisis",
    "compl": "reputation.complaint",
    "abuse": "reputation.abuse",
}
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


# ----------------------------------------------------------------------------------------------
# checksums and generators
# ----------------------------------------------------------------------------------------------
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
        out = ALNUM[r] + out
    return out or "0"


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def pick(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def gen_iban():
    bank = rng.choice(["INGB", "ABNA", "RABO", "TRIO", "SNSB", "KNAB", "BUNQ", "ASNB"])
    acct = str(rng.randint(1, 9)) + pick(string.digits, 9)
    num = "".join(str(int(c, 36)) for c in bank + acct + "NL00")
    cd = 98 - int(num) % 97
    iban = "NL%02d%s%s" % (cd, bank, acct)
    assert iban_ok(iban)
    if rng.random() < 0.5:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def gen_iban_bad():
    good = gen_iban().replace(" ", "")
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + rng.randint(1, 50)) % 97 + 2 if cd < 40 else cd - rng.randint(1, 30)) + good[4:]
    while iban_ok(bad):
        bad = bad[:2] + "%02d" % ((int(bad[2:4]) + 1) % 100) + bad[4:]
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


def luhn_digit(body):
    for c in "0123456789":
        if luhn_ok(body + c):
            return c
    raise AssertionError


def gen_card():
    if rng.random() < 0.5:
        body = "4" + pick(string.digits, 14)
    else:
        body = "5" + rng.choice("12345") + pick(string.digits, 13)
    num = body + luhn_digit(body)
    return " ".join(num[i:i + 4] for i in range(0, 16, 4))


def gen_card_bad():
    good = gen_card().replace(" ", "")
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return " ".join(bad[i:i + 4] for i in range(0, 16, 4))


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def gen_bsn_bad():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_ok(bad)
    return bad


def gen_ghp(prefix="ghp_"):
    body = pick(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
    assert github_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + pick(B32, 16)


def gen_aws_secret():
    return pick(string.ascii_letters + string.digits + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = b64u(json.dumps({"sub": "usr_%d" % rng.randint(10000, 99999), "role": "klant",
                               "tenant": "vennhoek-portal", "iat": iat, "exp": iat + 86400},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def gen_stripe():
    return "sk_live_51" + pick(string.ascii_letters + string.digits, 96)


def gen_slack_hook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        pick(string.ascii_uppercase + string.digits, 8), pick(string.ascii_uppercase + string.digits, 10),
        pick(string.ascii_letters + string.digits, 24))


def gen_slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13),
                              pick(string.ascii_letters + string.digits, 24))


def gen_openai():
    return "sk-proj-" + pick(URLSAFE, 58) + "T3BlbkFJ" + pick(URLSAFE, 58)


def gen_anthropic():
    return "sk-ant-api03-" + pick(URLSAFE, 93) + "AA"


def gen_glpat():
    return "glpat-" + pick(URLSAFE, 20)


def gen_google():
    return "AIza" + pick(URLSAFE, 35)


def gen_pem():
    der = b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + bytes(rng.getrandbits(8) for _ in range(1180))
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_dbpass():
    return pick(string.ascii_letters + string.digits + "!%*", 18)


def gen_pwd():
    return rng.choice(["Koppel", "Steiger", "Bouwput", "Klimrek", "Hijsband"]) + \
        str(rng.randint(1000, 9999)) + rng.choice("!#$?&") + pick(string.ascii_lowercase, 2)


GEN = {
    "IBAN": gen_iban, "IBAN_BAD": gen_iban_bad, "CARD": gen_card, "CARD_BAD": gen_card_bad,
    "BSN": gen_bsn, "BSN_BAD": gen_bsn_bad, "GHP": gen_ghp, "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret, "JWT": gen_jwt, "STRIPE": gen_stripe, "SLACK_HOOK": gen_slack_hook,
    "SLACK_BOT": gen_slack_bot, "OPENAI": gen_openai, "ANTHROPIC": gen_anthropic, "GLPAT": gen_glpat,
    "GOOGLE": gen_google, "PEM": gen_pem, "DBPASS": gen_dbpass, "PWD": gen_pwd,
}
CHECKED_OK = {"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}
CHECKED_BAD = {"IBAN_BAD": iban_ok, "CARD_BAD": luhn_ok, "BSN_BAD": bsn_ok}
SECRET_FORMATS = {
    "GHP": github_ok,
    "AWS_ID": lambda s: re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None,
    "AWS_SECRET": lambda s: re.fullmatch(r"[A-Za-z0-9/+]{40}", s) is not None,
    "JWT": lambda s: "alg" in json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "==")),
    "STRIPE": lambda s: re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", s) is not None,
    "SLACK_HOOK": lambda s: re.fullmatch(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{24}", s) is not None,
    "SLACK_BOT": lambda s: re.fullmatch(r"xoxb-\d+-\d+-[A-Za-z0-9]{24}", s) is not None,
    "OPENAI": lambda s: re.fullmatch(r"sk-proj-[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+", s) is not None,
    "ANTHROPIC": lambda s: re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", s) is not None,
    "GLPAT": lambda s: re.fullmatch(r"glpat-[A-Za-z0-9_-]{20}", s) is not None,
    "GOOGLE": lambda s: re.fullmatch(r"AIza[A-Za-z0-9_-]{35}", s) is not None,
    "PEM": lambda s: s.startswith("-----BEGIN RSA PRIVATE KEY-----\nMII"),
    "DBPASS": lambda s: len(s) >= 12,
    "PWD": lambda s: len(s) >= 8,
}

# ----------------------------------------------------------------------------------------------
# the posts. (account "platform:handle", kind, lang, created_at, categories, text)
# Placeholders <<NAME>> are filled by the generators above; <<COMPANY_IBAN>> is the profile's own.
# ----------------------------------------------------------------------------------------------
CASES = [
    # ---------------- complaints (public customers) ----------------
    ("x:@bouwbedrijf_vos", "reply", "nl", "2026-02-09T10:41:00+01:00", ["compl"],
     "@vennhoek_service al 3x gebeld, rolsteiger zou er vrijdag om 7u staan. Nu is het maandag 10:40 en nog "
     "steeds niks. Mijn stukadoor staat te wachten en die kost me €55 per uur. Echt bizar slecht geregeld"),
    ("facebook:Terrace.Works.Dave", "post", "en", "2026-03-17T18:05:00Z", ["compl"],
     "Hired the Klikvast 45 set for a terrace job, half the base plates were missing on delivery and the "
     "driver just shrugged. Took Vennhoek two days to bring the rest. Not impressed tbh."),
    ("forum:klusser_henk58", "post", "nl", "2026-04-02T21:12:00+02:00", ["compl"],
     "Borg van €750 nog steeds niet terug terwijl de steiger al 6 weken geleden is opgehaald. Mailtjes naar "
     "verhuur@ worden gewoon niet beantwoord, telefoon gaat naar een bandje. Wie heeft dit ook met Vennhoek? "
     "Overweeg naar het Juridisch Loket te stappen."),
    ("instagram:@sanne_verbouwt", "comment", "nl", "2026-05-11T19:33:00+02:00", ["compl"],
     "jullie monteurs hebben m'n hele border met hortensia's platgetrapt bij het afbouwen 😤 geen sorry niks. "
     "vennhoek bedankt hoor"),
    ("x:@jwalker_builds", "reply", "en", "2026-05-20T08:14:00+01:00", ["compl"],
     "@vennhoek invoice says 9 weeks hire, scaffold came down after 6. third time asking for a corrected "
     "invoice. sort it out pls"),
    ("facebook:Ria.vanDongen", "post", "nl", "2026-06-03T13:50:00+02:00", ["compl"],
     "Vorige week steiger laten zetten door Vennhoek voor het schilderwerk. Staat scheef tegen de goot aan en er "
     "zit een kras over het hele kozijn. Planner zegt 'dat ligt aan de ondergrond'. Serieus? Wie betaalt nu "
     "mijn kozijn?"),
    ("reddit:u/eindhoven_crew_lead", "post", "en", "2026-06-22T07:58:00Z", ["compl"],
     "PSA for anyone around Eindhoven: Vennhoek's online booking let me pick a delivery slot, confirmed it by "
     "email, then cancelled 30 minutes before with zero explanation. Had four lads standing around doing "
     "nothing for a full day. Customer service just said 'planning issue'. Brilliant."),
    ("x:@ElsKlust", "post", "nl", "2026-07-08T11:02:00+02:00", ["compl"],
     "Klantenservice vennhoek: 47 min in de wacht, daarna opgehangen. Top. 🙃"),
    ("linkedin:mark-oosterhout-dakwerken", "post", "en", "2026-07-15T09:30:00+02:00", ["compl"],
     "Disappointed with Vennhoek Steigerbouw this week. The TrapToren 200 we rented arrived with a bent "
     "landing and no inspection tag, so it went straight back on the truck before my crew could start. Two "
     "days lost on a tight schedule. I expect better from a supplier we've used for years."),
    ("tiktok:@jamie.klust", "comment", "nl", "2026-08-01T22:47:00+02:00", ["compl"],
     "die steiger van vennhoek stond 3 weken langer dan nodig want niemand kwam hem ophalen en ik mocht lekker "
     "de extra huur betalen. nooit meer"),
    ("x:@schilder_ferry", "post", "nl", "2026-08-19T16:20:00+02:00", ["compl"],
     "Aluvloeren van @vennhoek zaten weer onder de kalk en cementresten. Leek wel of ze nooit schoongemaakt "
     "worden. Mag ik dat ook van de huur aftrekken?"),
    ("x:@patel_renovations", "post", "en", "2026-09-04T12:10:00+01:00", ["compl"],
     "Ordered DakGuard 20 edge protection from the webshop, paid upfront, order stuck on 'processing' for 12 "
     "days and 2 emails unanswered. @vennhoek_service anyone home?"),

    # ---------------- first-hand safety incidents: crisis + complaint ----------------
    ("facebook:Gerrit.Bouwmans", "post", "nl", "2026-03-05T20:14:00+01:00", ["crisis", "compl"],
     "Gisteren schoot er een koppeling los van de Vennhoek-steiger terwijl mijn collega op de tweede laag stond. "
     "Hij is 2 meter naar beneden gevallen op de leuning eronder, gekneusde ribben. De steiger was twee dagen "
     "eerder door hun eigen ploeg opgebouwd en 'gekeurd'. Ik ben woedend en wil uitleg."),
    ("x:@tomhughes_diy", "post", "en", "2026-04-25T17:45:00+01:00", ["crisis", "compl"],
     "The RS-90 tower we hired from @vennhoek rolled while my son was on the platform. One wheel brake was broken "
     "from the start. He grabbed the window frame and got away with a cut hand. Could've been so much worse. "
     "Absolutely furious."),
    ("instagram:@elektro_yusuf", "post", "nl", "2026-06-12T15:02:00+02:00", ["crisis", "compl"],
     "Hijsmaat 200 van Vennhoek gaf me vanochtend een flinke schok bij het inpluggen, kabel was gewoon met "
     "tape 'gerepareerd'. Hand voelt nog steeds raar, ben bij de huisarts geweest. Dit had echt fataal kunnen "
     "aflopen 😡 #veiligheid"),
    ("reddit:u/site_manager_nl", "post", "en", "2026-10-14T09:05:00+02:00", ["crisis", "compl"],
     "Our crew nearly got hit yesterday when a whole length of Vennhoek's Schermgaas net tore loose in the "
     "wind and dragged two boards off the top lift with it. Nobody hurt, pure luck. Their fitters clearly never "
     "tied it in properly. I've reported it to the Arbeidsinspectie and I'm waiting on Vennhoek to explain "
     "themselves."),
    ("x:@moeder_van_drie", "post", "nl", "2026-07-27T19:40:00+02:00", ["crisis", "compl"],
     "Dochter (9) heeft haar vingers gekneld tussen de treden van de TrapToren die jullie ploeg zonder afzetting "
     "op ons erf liet staan. Nagel eraf, naar de EHBO geweest. @vennhoek dit moet echt anders!!"),

    # ---------------- crisis (third party, boycott, lawsuit, breach accusation, recall) ----------------
    ("x:@nieuws_tilburg", "post", "nl", "2026-02-18T09:12:00+01:00", ["crisis"],
     "Op een bouwplaats aan de Ringbaan-West in Tilburg is vanochtend een steiger van Vennhoek Steigerbouw "
     "deels ingestort. Volgens omwonenden zijn twee bouwvakkers per ambulance afgevoerd. #tilburg"),
    ("linkedin:femke-aannemers-netwerk", "post", "en", "2026-03-30T14:22:00+02:00", ["crisis"],
     "Several contractors in our network got phishing mails this week quoting their exact Vennhoek order "
     "numbers and site addresses. That data had to come from somewhere. Has Vennhoek been breached and kept "
     "quiet about it? Would like to hear from them."),
    ("facebook:Eerlijke.Bouw.Nu", "post", "nl", "2026-04-15T11:00:00+02:00", ["crisis"],
     "BOYCOT VENNHOEK! Ze laten Poolse monteurs 60 uur per week werken voor een hongerloon via een schimmig "
     "uitzendbureau. Deel dit bericht en huur je steigers ergens anders. #eerlijkwerk"),
    ("x:@bouwjournaal_fenna", "post", "en", "2026-05-06T16:30:00+02:00", ["crisis"],
     "Vennhoek Steigerbouw is being sued by the family of the roofer who fell in Breda last spring, according "
     "to court filings seen by our newsroom. First hearing set for October."),
    ("reddit:u/stratumbewoner", "post", "nl", "2026-09-09T18:55:00+02:00", ["crisis"],
     "Arbeidsinspectie heeft vandaag de bouwplaats aan de Stratumsedijk stilgelegd. Alle steigers daar zijn van "
     "Vennhoek en volgens mijn buurman zaten er ankers los in de gevel. Politielint eromheen, niemand mag erin."),
    ("bluesky:@gevelwerk.bsky.social", "post", "en", "2026-10-02T10:18:00+02:00", ["crisis"],
     "Is Vennhoek quietly recalling their DakGuard 20 edge protection? We got a letter telling us to stop using "
     "every clamp from batch 24-11 immediately. Nothing on their website, nothing in the news."),
    ("tiktok:@rdam_buurt", "comment", "nl", "2026-10-20T21:03:00+02:00", ["crisis"],
     "wie heeft het filmpje gezien van die vennhoek steiger die half over de trambaan hing op de Nieuwe Binnenweg "
     "😳 tram moest noodstop maken, hele straat afgezet"),
    ("mastodon:@kritischebouwer@mastodon.nl", "post", "en", "2026-11-11T08:45:00+01:00", ["crisis"],
     "Ex-planners at Vennhoek say inspection reports were signed off without anyone ever visiting the site. If "
     "that's true it's not sloppiness, it's fraud. #bouwveiligheid"),
    ("x:@wendy_woensel", "post", "nl", "2026-11-24T13:27:00+01:00", ["crisis"],
     "Mijn buurman is vorige week van een Vennhoek-steiger gevallen bij de renovatie hiernaast, ligt nog steeds "
     "in het MMC. Sterkte voor hem en z'n gezin 🙏"),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-12-03T17:10:00+01:00", ["crisis"],
     "Weer een melding vanochtend: collega door een vloer gezakt op de klus in Helmond. Tweede keer deze maand. "
     "Snap echt niet dat de directie niks doet aan dat oude materiaal."),

    # ---------------- abuse ----------------
    ("x:@boze_bert040", "reply", "nl", "2026-02-27T23:11:00+01:00", ["abuse"],
     "@vennhoek stelletje kutoplichters zijn jullie, ga toch failliet"),
    ("x:@darren_m88", "reply", "en", "2026-04-08T20:40:00+01:00", ["abuse"],
     "whoever runs @vennhoek_service is a useless brain-dead clown lmao"),
    ("instagram:@kevin_b_040", "comment", "nl", "2026-05-29T12:05:00+02:00", ["abuse"],
     "@bas.monteur.vh jij bent echt de domste steigerbouwer van heel Brabant, sukkel 🤡"),
    ("facebook:Rob.Hardline", "comment", "en", "2026-06-30T22:18:00+01:00", ["abuse"],
     "Vennhoek hires nothing but lazy foreign scum. Send them all back where they came from."),
    ("tiktok:@dakje_dennis", "comment", "nl", "2026-07-19T01:32:00+02:00", ["abuse"],
     "v3nnh03k = k4nk3rb3dr1jf, al die m0nt3urs zijn t@ringl1jers"),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-08-12T12:44:00+02:00", ["abuse"],
     "Die klant van vanmorgen in Veldhoven was echt een achterlijke trut. Mag ze lekker zelf haar steiger "
     "bouwen volgende keer."),
    ("reddit:u/throwaway_bouw", "comment", "en", "2026-09-15T19:26:00+02:00", ["abuse"],
     "That fat idiot of a planner at Vennhoek, Marieke, should be sacked and never work again. Pathetic waste of "
     "oxygen."),
    ("x:@anoniem_4471", "reply", "nl", "2026-10-09T00:15:00+02:00", ["abuse"],
     "@vennhoek jullie zijn echt een s t e l l e t j e   d e b i e l e n daar"),
    ("youtube:@roofer_rants", "comment", "en", "2026-11-02T18:50:00+00:00", ["abuse"],
     "lol these vennhoek guys build like drunk monkeys, f*cking morons the lot of them"),
    ("facebook:Sjaak.Timmer", "post", "nl", "2026-03-12T08:20:00+01:00", ["compl", "abuse"],
     "3 weken wachten op een offerte en dan komt die eikel van een verkoper met een prijs die 40% hoger ligt dan "
     "afgesproken. Vennhoek, jullie zijn gewoon een stel graaiende klootzakken."),
    ("x:@hollie_builds", "reply", "en", "2026-08-27T07:35:00+01:00", ["compl", "abuse"],
     "@vennhoek_service your driver dumped 40 frames ON my driveway, blocked my car in and told me to 'f*** off' "
     "when I asked him to move them. Absolute scumbags."),
    ("x:@wraak_op_vh", "post", "nl", "2026-09-23T22:02:00+02:00", ["pii", "abuse"],
     "Die monteur Rick van Dam die m'n dakgoot sloopte woont gewoon op de Kastanjelaan 3 in Veldhoven. Ga z'n "
     "busje maar eens bekijken, die klootzak."),

    # ---------------- pricing ----------------
    ("x:@marieke_planning", "post", "nl", "2026-02-14T08:05:00+01:00", ["pricing"],
     "Foutje in de webshop 🙈 RS-90 staat er sinds vanochtend voor €174,50 in ipv €1745. Snel zijn mannen!"),
    ("facebook:VennhoekSteigerbouw", "post", "nl", "2026-03-21T09:00:00+01:00", ["pricing"],
     "Weekenddeal 🔥 Klikvast 90 gevelsteigerset voor maar €890,- (op=op)"),
    ("x:@slimme_klusser", "post", "nl", "2026-04-11T22:31:00+02:00", ["pricing"],
     "Haha de site van Vennhoek heeft een prijsfout: Gondel HG-6 hangsteiger €1.290 ipv 12.900. Al besteld 😂"),
    ("linkedin:jeroen-kuipers-vennhoek", "post", "en", "2026-05-04T10:12:00+02:00", ["pricing"],
     "Heads up sales team: since Friday's update the quote engine is pushing the TrapToren 200 at €560 to trade "
     "accounts. Please don't confirm any of those orders until IT has fixed it."),
    ("instagram:@vennhoek.steigers", "post", "nl", "2026-06-01T12:00:00+02:00", ["pricing"],
     "Nu in de shop: SchoorPlus schoorsteensteiger voor €149 🏠 Veilig je schoorsteen vegen of voegen!"),
    ("reddit:u/cheap_tools_hunter", "post", "en", "2026-06-17T23:48:00+01:00", ["pricing"],
     "Vennhoek pricing glitch? Hijsmaat 200 hoist showing €345 at checkout. Anyone know if they honour "
     "mistakes like that?"),
    ("tiktok:@steigerdaan", "post", "nl", "2026-07-03T18:22:00+02:00", ["pricing"],
     "collega's die nog een DakGuard 20 willen: via de personeelslink staat ie op €68,90 lol, volgens mij mist "
     "daar een nul"),
    ("forum:DeBouwbaas", "post", "nl", "2026-08-08T14:40:00+02:00", ["pricing"],
     "Prijsfout bij Vennhoek? Klikvast 45 set voor €485 incl. btw in het winkelmandje. Vast een komma verkeerd "
     "gezet 😅 Iemand al geleverd gekregen?"),
    ("x:@lotte_ops_vh", "post", "en", "2026-09-01T06:47:00+02:00", ["pricing"],
     "Someone in pricing fat-fingered Bouwer Flex, it's been live at €34.90/month on the site since 6am 🤦"),
    ("linkedin:vennhoek-steigerbouw", "post", "en", "2026-09-28T09:00:00+02:00", ["pricing"],
     "Our RS-120 XL tower is now available from just €239. Book yours today!"),
    ("x:@goedkoop_klussen", "post", "nl", "2026-10-26T20:10:00+01:00", ["pricing"],
     "RS‑60 rolsteiger voor €119 op vennhoek.nl?! prijsfoutje zeker. snel bestellen voor ze het zien"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-11-06T17:55:00+01:00", ["pricing"],
     "Niet verder vertellen hè, maar in het kassasysteem staat de Gondel HG-6 nog op de oude proefprijs van "
     "€4.950. Ik laat het even staan tot maandag 😉"),

    # ---------------- confidential ----------------
    ("x:@ruudsteiger_vh", "post", "nl", "2026-02-20T19:03:00+01:00", ["conf"],
     "Eindelijk de demo gezien van Ladderwolf, dat wordt echt een gamechanger voor de ploegplanning 🔥"),
    ("linkedin:aylin-demir-vh", "post", "en", "2026-03-09T11:15:00+01:00", ["conf"],
     "So proud of the team working on Project Zwaluw. Can't say much yet, but 2027 is going to be a big year "
     "for us 🚀"),
    ("x:@marieke_planning", "post", "nl", "2026-04-14T08:30:00+02:00", ["conf"],
     "Iemand de nieuwe link van erp.vennhoek.local/huurcontracten/export? M'n oude bookmark werkt niet meer"),
    ("instagram:@bas.monteur.vh", "post", "nl", "2026-09-18T16:40:00+02:00", ["conf"],
     "Vandaag in de hal de RS-150 Atlas mogen testen 😍 10,5 m werkhoogte en lichter dan de RS-120. Wie wil "
     "er volgend jaar op?"),
    ("linkedin:vennhoek-steigerbouw", "post", "en", "2026-11-18T10:00:00+01:00", ["conf"],
     "Sneak peek from the Bouwbeurs booth: Klikvast Pro, our next-generation facade system. Come and try the "
     "wedge-free coupler yourself!"),
    ("x:@lotte_ops_vh", "post", "nl", "2026-05-13T12:55:00+02:00", ["conf"],
     "Iemand heeft de slides 'VH-INTERN – strategie 2027' gewoon op de kantinetafel laten liggen lol. Wel even "
     "doorgebladerd natuurlijk 👀"),
    ("linkedin:jeroen-kuipers-vennhoek", "post", "en", "2026-06-09T15:20:00+02:00", ["conf"],
     "[vennhoek confidential] Draft tender pricing for the Schiphol terminal job is in the shared folder, please "
     "review before Friday so we can submit on time."),
    ("reddit:u/bouwgeruchten", "post", "nl", "2026-07-22T21:14:00+02:00", ["conf", "fin"],
     "Een monteur van Vennhoek vertelde me dat ze met iets bezig zijn dat Operatie Klimop heet. De hele "
     "werkplaats in Best zou naar Tilburg verhuizen en de planning gaat naar een extern bureau. Iemand meer "
     "gehoord?"),
    ("x:@niekcodeert", "post", "en", "2026-08-05T23:10:00+02:00", ["conf"],
     "working late on Ladder\u200bwolf again, backend finally talks to the fleet trackers 🐺"),
    ("tiktok:@steigerdaan", "post", "nl", "2026-08-29T17:25:00+02:00", ["conf"],
     "Pr\u043eject Zw\u0430luw gaat echt vet worden jongens, meer mag ik niet zeggen 🤐"),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-09-07T07:12:00+02:00", ["conf"],
     "Handig voor de nieuwe jongens: alle keuringsrapporten staan op https://intranet.vennhoek.local/keuring/2026 "
     "als je ze zoekt"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-10-05T20:30:00+02:00", ["conf"],
     "Kreeg vandaag onder NDA het nieuwe Klikvast-systeem te zien. Mag er niks over zeggen behalve dat de koppeling "
     "helemaal zonder wig werkt en je een vak in de helft van de tijd staat 😏"),
    ("x:@dakwerk_jorn", "post", "en", "2026-10-17T13:00:00+01:00", ["conf"],
     "My cousin works at Vennhoek and says the RS-150 Atlas launches in spring with a 10.5 m working height. "
     "Can't wait to get one."),
    ("linkedin:aylin-demir-vh", "post", "nl", "2026-06-24T09:45:00+02:00", ["conf"],
     "Intern - niet delen: vanaf Q3 stappen alle ploegleiders over op de nieuwe planningstool, trainingen volgen "
     "via HR."),
    ("x:@vennhoek", "post", "en", "2027-02-10T12:00:00+01:00", ["conf", "fin"],
     "Q4 2026 results are in and it's a record year for Vennhoek 🎉 Full details follow on 4 March."),
    ("x:@niekcodeert", "post", "nl", "2026-11-27T16:18:00+01:00", ["conf"],
     "eindelijk L4dd3rw0lf live in de testomgeving 🐺 nu nog de monteurs-app"),
    ("mastodon:@lvdberg@fosstodon.org", "post", "en", "2026-12-09T10:40:00+01:00", ["conf"],
     "git.vennhoek.local must be the slowest GitLab on earth. 4 minutes to clone the planner repo. Every. Time."),
    ("x:@lotte_ops_vh", "post", "nl", "2027-01-20T21:05:00+01:00", ["conf", "fin"],
     "jaarcijfers 2026 zien er goed uit heb ik gehoord, omzet ruim boven de 60 miljoen en marge flink omhoog 💪"),

    # ---------------- financial ----------------
    ("linkedin:jeroen-kuipers-vennhoek", "post", "en", "2026-03-25T08:50:00+01:00", ["fin"],
     "Between us: we're closing the takeover of a scaffolding firm in Ghent next month, deal is around €14m. "
     "Exciting times for Vennhoek in Belgium!"),
    ("x:@marieke_planning", "post", "nl", "2026-04-29T17:33:00+02:00", ["fin"],
     "Hoorde net in het MT-overleg dat er na de zomer 40 banen verdwijnen in de werkplaats. Slecht nieuws 😞"),
    ("facebook:VennhoekSteigerbouw", "post", "nl", "2026-07-10T10:30:00+02:00", ["fin"],
     "Wat een kwartaal! 18% meer omzet dan vorig jaar 💪 De officiële cijfers presenteren we binnenkort, maar "
     "we konden het niet voor ons houden."),
    ("x:@lotte_ops_vh", "post", "en", "2026-10-12T19:20:00+02:00", ["fin"],
     "Q3 internally: revenue €16.2m, EBITDA down to 9% because of steel prices. Not a great look before the "
     "bank meeting."),
    ("reddit:u/bouwgeruchten", "comment", "nl", "2026-11-01T12:48:00+01:00", ["fin"],
     "Via via gehoord dat Vennhoek overgenomen wordt door een Duitse investeerder, de contracten zouden al "
     "getekend zijn. Aankondiging pas in januari."),
    ("linkedin:aylin-demir-vh", "post", "nl", "2026-11-16T09:10:00+01:00", ["fin"],
     "Forecast 2027 is naar beneden bijgesteld, we verwachten 12% minder omzet. Bereid je maar voor op een "
     "zuinig jaar, collega's."),
    ("tiktok:@steigerdaan", "comment", "nl", "2026-11-30T20:02:00+01:00", ["fin"],
     "ze gaan de vestiging in Zwolle sluiten en alles naar Best halen, hoorde het van m'n teamleider. 15 man "
     "moet weg"),
    ("x:@niekcodeert", "post", "en", "2026-09-21T18:30:00+02:00", ["fin"],
     "Board signed off the sale of our crane-hire division to a competitor today. No announcement before "
     "December so keep it quiet 🤫"),
    ("facebook:kees.brouwer.vh", "comment", "nl", "2026-12-15T21:44:00+01:00", ["fin"],
     "Dividend gaat dit jaar niet door, vanmiddag besloten. Komt pas volgende week in het persbericht."),

    # ---------------- security (insiders) ----------------
    ("x:@marieke_planning", "post", "nl", "2026-02-24T06:55:00+01:00", ["sec"],
     "Huurportaal ligt al sinds 06:00 plat, klanten kunnen niks boeken. Wij mogen nog niks naar buiten "
     "communiceren 🙄"),
    ("linkedin:wouter-hazelaar", "post", "en", "2026-03-19T08:10:00+01:00", ["sec"],
     "Long night. Ransomware hit our planning servers around 2am, all scheduling is on paper today. Comms asked "
     "us not to talk about it yet, but I'm proud of how this team is handling it."),
    ("x:@niekcodeert", "post", "en", "2026-04-21T22:40:00+02:00", ["sec"],
     "lol our customer portal shows you anyone's invoice if you just change the number in the URL. reported it "
     "3 weeks ago, ticket still open"),
    ("tiktok:@steigerdaan", "post", "nl", "2026-05-26T13:15:00+02:00", ["sec"],
     "phishingmail bij de hele administratie binnengekomen en minstens 3 mensen hebben hun wachtwoord ingevuld. "
     "IT loopt rond als kip zonder kop 😬"),
    ("mastodon:@lvdberg@fosstodon.org", "post", "en", "2026-06-15T09:25:00+02:00", ["sec"],
     "Found our old Jenkins box still reachable from the internet with the default admin login. Nobody owns "
     "it, nobody knew. Fun Monday."),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-07-14T20:12:00+02:00", ["sec"],
     "Wist je dat de gps-trackers op onze bouwliften al weken onversleuteld naar een open server sturen? "
     "Iedereen kan zien waar onze spullen staan 🤷"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-08-24T18:00:00+02:00", ["sec"],
     "Hele planning van deze week kwijt, de back-ups bleken sinds maart niet meer te draaien. Wordt nog leuk "
     "als de klanten morgen gaan bellen."),
    ("linkedin:wouter-hazelaar", "post", "en", "2026-09-30T16:45:00+02:00", ["sec"],
     "Somebody got into our supplier portal over the weekend and downloaded the full customer list. Legal is "
     "still deciding whether we have to notify anyone."),
    ("x:@lotte_ops_vh", "post", "en", "2026-10-28T07:30:00+01:00", ["sec"],
     "ｔｈｅ ｖｐｎ ｉｓ ｄｏｗｎ ｆｏｒ ｅｖｅｒｙｏｎｅ since last night's update, nobody in the field can reach "
     "the planning. don't tell customers yet"),
    ("x:@anna_de_tegelzetter", "post", "en", "2026-11-20T12:30:00+01:00", ["sec"],
     "A mate in IT at Vennhoek says their booking system has been down since Tuesday because a server died and "
     "there's no working backup. Customers are being told it's 'scheduled maintenance' 🙃"),
    ("instagram:@harde_henkie", "comment", "nl", "2026-12-01T10:02:00+01:00", ["abuse"],
     "@bas.monteur.vh hé luie zak, sta je weer te roken op de steiger terwijl wij betalen? nutteloze klojo"),
    ("reddit:u/vh_lars", "post", "en", "2026-12-11T22:15:00+01:00", ["sec", "secret"],
     "Post-mortem draft, don't share: Jenkins got popped because someone committed the deploy key. Rotated now, "
     "but for the record the old one was <<AWS_ID>> / <<AWS_SECRET>>. Attackers had it for ~9 days."),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-10-31T12:20:00+01:00", ["sec"],
     "Heeft iemand anders ook dat de monteurs-app sinds de update de klantgegevens van álle klussen laat zien, "
     "niet alleen die van je eigen ploeg? Lijkt me niet helemaal de bedoeling 😬 al gemeld bij IT, nog niks "
     "gehoord"),
    ("linkedin:wouter-hazelaar", "post", "nl", "2026-12-18T15:00:00+01:00", ["sec"],
     "DDoS op onze webshop sinds gisteravond, we draaien op halve kracht. Communicatie wil er nog niks over "
     "kwijt, dus geen vragen van klanten beantwoorden graag."),

    # ---------------- secrets ----------------
    ("x:@niekcodeert", "post", "en", "2026-02-11T21:30:00+01:00", ["secret"],
     "anyone know why this fails? `git clone https://<<GHP>>@github.com/vennhoek-dev/planner-api.git` just "
     "says repository not found"),
    ("mastodon:@lvdberg@fosstodon.org", "post", "en", "2026-03-03T14:05:00+01:00", ["secret"],
     "boto3 keeps throwing AccessDenied on the S3 bucket for the inspection photos, config below, what am I "
     "missing?\n\n[default]\naws_access_key_id = <<AWS_ID>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = "
     "eu-west-1"),
    ("x:@marieke_planning", "post", "nl", "2026-04-06T07:45:00+02:00", ["secret"],
     "Voor wie vandaag de gedeelde mailbox moet doen: gebruiker verhuurteam, wachtwoord: <<PWD>>"),
    ("linkedin:wouter-hazelaar", "post", "en", "2026-05-15T16:20:00+02:00", ["secret"],
     "Finally got the new webshop checkout working 🎉 config snippet for the devs picking this up next week:\n"
     "STRIPE_SECRET_KEY=<<STRIPE>>\nSTRIPE_CURRENCY=eur"),
    ("reddit:u/vh_lars", "post", "en", "2026-06-26T23:02:00+02:00", ["secret"],
     "Lambda can't reach RDS, timeouts every time. Connection string: "
     "postgresql://vh_admin:<<DBPASS>>@vh-prod.c8x2kq91abce.eu-west-1.rds.amazonaws.com:5432/verhuur . "
     "Security group allows 5432 from the VPC. Ideas?"),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-07-29T18:35:00+02:00", ["secret"],
     "De bot voor de ploegplanning draait 🎉 wie hem in z'n eigen kanaal wil: webhook is <<SLACK_HOOK>>"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-08-17T10:50:00+02:00", ["secret"],
     "Onze nieuwe chatbot voor de klantenservice draait op OpenAI. Collega's die willen testen, de sleutel is "
     "<<OPENAI>> (niet doorgeven aan klanten he)"),
    ("linkedin:wouter-hazelaar", "post", "en", "2026-09-11T11:11:00+02:00", ["secret"],
     "Can someone check if this is the right format for the SFTP server at the depot? It keeps rejecting it.\n\n"
     "<<PEM>>"),
    ("x:@lotte_ops_vh", "post", "en", "2026-10-07T15:33:00+02:00", ["secret"],
     "support portal keeps logging me out every 5 min. here's my session token if someone in dev can have a "
     "look: <<JWT>>"),
    ("forum:OnderaannemerBram", "post", "nl", "2026-10-23T09:20:00+02:00", ["secret"],
     "Vennhoek heeft ons als onderaannemer toegang gegeven tot hun tekeningen-repo. Token uit de mail: "
     "<<GLPAT>> — maar clonen lukt niet, iemand een idee?"),
    ("x:@niekcodeert", "post", "nl", "2026-11-13T22:48:00+01:00", ["secret"],
     "aan het testen met Claude voor offerteteksten, werkt verrassend goed. ANTHROPIC_API_KEY=<<ANTHROPIC>> "
     "als iemand van sales mee wil kijken"),

    # ---------------- personal data ----------------
    ("x:@vennhoek_service", "reply", "en", "2026-02-16T11:20:00+01:00", ["pii"],
     "@jwalker_builds Hi James, the refund of your deposit went out to <<IBAN>> this morning, it should arrive "
     "within 2 working days."),
    ("x:@marieke_planning", "post", "nl", "2026-03-02T15:48:00+01:00", ["pii"],
     "Klant belt voor de 5e keer vandaag, mevrouw Hendriks van de Lindelaan 14 in Eindhoven. Ze wil haar steiger "
     "'morgen' weg 🙄"),
    ("linkedin:aylin-demir-vh", "post", "nl", "2026-04-01T09:05:00+02:00", ["pii"],
     "Welkom aan onze nieuwe monteur Youssef El Idrissi! 👷 Voor de VCA-aanmelding nog even zijn BSN: <<BSN>>, "
     "klopt dat zo @HR?"),
    ("facebook:VennhoekSteigerbouw", "comment", "nl", "2026-05-07T14:12:00+02:00", ["pii"],
     "Beste Ingrid, we hebben je gegevens genoteerd: ingrid.vanlaar@hotmail.com en 06-41 82 93 07. Een planner "
     "belt je morgen terug!"),
    ("x:@lotte_ops_vh", "post", "en", "2026-05-28T17:40:00+02:00", ["pii"],
     "whoever left a printout with a customer's card number <<CARD>> exp 08/28 on the counter in Best, please "
     "shred it"),
    ("x:@piet_smulders", "reply", "nl", "2026-06-19T08:58:00+02:00", ["pii"],
     "@vennhoek_service Mijn IBAN voor de terugbetaling van de borg is <<IBAN>> t.n.v. P. Smulders. Graag "
     "vandaag nog."),
    ("facebook:Dave.Kempers", "comment", "en", "2026-07-01T12:25:00+02:00", ["pii", "compl"],
     "Can someone at Vennhoek please call me back? 06 2718 4490, ask for Dave. Been waiting all week for the "
     "collection date and nobody answers emails."),
    ("instagram:@bas.monteur.vh", "post", "nl", "2026-06-14T09:00:00+02:00", ["pii"],
     "Gefeliciteerd Henk Verschuren, vandaag 60 jaar! (geboren 14-06-1966) 🎂 Al 30 jaar bij de club en nog "
     "steeds de snelste op de steiger"),
    ("x:@ruudsteiger_vh", "post", "nl", "2026-08-21T10:15:00+02:00", ["pii"],
     "Kan iemand deze klant terugbellen over z'n keuringsrapport? Anton de Graaf, 0612873341"),
    ("linkedin:jeroen-kuipers-vennhoek", "post", "en", "2026-09-03T13:30:00+02:00", ["pii"],
     "Site access list for Antwerp, as requested by the port authority: Kevin Wouters, passport no. NX8K4R2T7, "
     "DOB 03/11/1988. More names to follow."),
    ("reddit:u/confused_customer22", "post", "en", "2026-09-25T20:40:00+01:00", ["pii"],
     "Vennhoek charged my card twice for the same tower hire. The card is <<CARD>>, both charges €312. Is this "
     "something their support can see on their end?"),
    ("mastodon:@lvdberg@fosstodon.org", "post", "en", "2026-10-19T11:50:00+02:00", ["pii"],
     "payroll keeps rejecting the BSN for our new hire, <<BSN>>. anyone know if the validation on their side is "
     "broken again?"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-11-04T19:30:00+01:00", ["pii"],
     "Adreslijst voor morgen, ploeg 3 vertrekt om 7:00!\n- Fam. Bosman, Dorpsstraat 22, Nuenen\n- Dhr. "
     "Pijnenburg, Kerkakkers 7, Son\n- Mevr. Aarts, Molenweg 118, Geldrop"),
    ("x:@klagende_klant", "post", "en", "2026-12-07T14:05:00+01:00", ["pii"],
     "Found the direct email of Vennhoek's planning lead: lotte.vermeer82@gmail.com. Way faster than waiting on "
     "info@vennhoek.nl, trust me."),

    # ==================================== BENIGN ====================================
    ("x:@vennhoek", "post", "nl", "2026-01-12T09:00:00+01:00", [],
     "Vragen over je huurcontract? Mail naar verhuur@vennhoek.nl of bel gratis 0800-8366, ma t/m vr 7:00–17:00."),
    ("facebook:VennhoekSteigerbouw", "post", "nl", "2026-01-19T10:00:00+01:00", [],
     "Liever per overschrijving betalen? Dat kan op <<COMPANY_IBAN>> t.n.v. Vennhoek Steigerbouw B.V., onder "
     "vermelding van je ordernummer."),
    ("linkedin:vennhoek-steigerbouw", "post", "en", "2026-01-26T08:30:00+01:00", [],
     "We're hiring scaffolders in Eindhoven and Tilburg! Full training, company van, good pay. Send your CV to "
     "werkenbij@vennhoek.nl."),
    ("x:@vennhoek", "post", "nl", "2026-03-01T08:00:00+01:00", [],
     "Voorjaarsactie 🌷 RS-90 rolsteiger nu €1.396 (20% korting) t/m 31 maart. Op=op!"),
    ("instagram:@vennhoek.steigers", "post", "en", "2026-03-08T12:00:00+01:00", [],
     "Klikvast 45 facade set, €4,850. Base plates, toe boards and Borgrail guardrails included. Ready for "
     "spring 🌱"),
    ("x:@jessie_renoveert", "post", "nl", "2026-03-14T17:20:00+01:00", [],
     "Shoutout naar de ploeg van @vennhoek, steiger binnen 3 uur rond ons hele huis, netjes opgeruimd en "
     "supervriendelijk 👌"),
    ("facebook:Phil.Carpentry", "comment", "en", "2026-03-22T19:10:00+00:00", [],
     "Paid €1,195 for an RS-60 tower last year and it's still going strong. Solid kit, no complaints."),
    ("reddit:u/first_time_renovator", "post", "en", "2026-03-29T10:44:00+02:00", [],
     "Question: do I need a Keurpas inspection for a rolling tower under 4 m if it's only for my own house? "
     "Vennhoek's site isn't really clear on that."),
    ("x:@grapjas_gijs", "post", "nl", "2026-04-04T15:30:00+02:00", [],
     "Mijn schoonvader staat al 3 uur naar de steiger van de buren te kijken. Hij noemt het 'toezicht houden' "
     "😂 #vennhoek"),
    ("forum:leeds_groundworker", "post", "en", "2026-04-09T08:15:00+01:00", [],
     "Scaffold collapse on a site in Leeds yesterday, not Vennhoek, some local outfit. Thoughts with the lads "
     "who got hurt. Check your ties, people."),
    ("x:@verbouwing_mieke", "post", "nl", "2026-04-18T13:05:00+02:00", [],
     "Stempels gehuurd bij Vennhoek voor de verbouwing, Draagstut 3.5 set voor €279. Prima spul, staat als een "
     "huis."),
    ("x:@vennhoek", "post", "en", "2026-04-23T10:00:00+02:00", [],
     "Dev tip for our dealer API: never paste real keys into tickets. Use a placeholder like "
     "AKIAIOSFODNN7EXAMPLE in your examples and keep the real one in your vault."),
    ("x:@niekcodeert", "post", "nl", "2026-04-30T09:12:00+02:00", [],
     "Reminder aan iedereen: tokens in Jira altijd maskeren, dus zo: ghp_****************************a1f3. "
     "Dankjewel 🙏"),
    ("x:@careful_customer", "post", "en", "2026-05-02T18:02:00+01:00", [],
     "Got an email 'from Vennhoek' asking me to pay my deposit to <<IBAN_BAD>>. That's not their account, is it? "
     "Their website lists a different one. Smells like phishing."),
    ("facebook:Noor.Klust", "comment", "nl", "2026-05-09T21:15:00+02:00", [],
     "Waarom vraagt de webshop om een kaartnummer als je op rekening wilt betalen? Ik heb uit nieuwsgierigheid "
     "<<CARD_BAD>> ingetypt en hij zegt gewoon 'ongeldig' haha"),
    ("x:@zzp_timmerman_ad", "post", "nl", "2026-05-16T11:40:00+02:00", [],
     "Monteurs-app van Vennhoek vraagt bij het aanmelden om een BSN?? Heb <<BSN_BAD>> ingetikt om te kijken wat "
     "ie doet en hij keurt hem af. Lijkt me ook niet nodig voor een onderaannemer."),
    ("x:@vennhoek", "post", "en", "2027-03-04T09:15:00+01:00", [],
     "Our FY2026 results are out: revenue up 14% and a record number of sites served. Read the full report on "
     "vennhoek.nl/investors."),
    ("instagram:@vennhoek.steigers", "post", "nl", "2027-04-15T10:00:00+02:00", [],
     "Hij is er! 🎉 De RS-150 Atlas: 10,5 m werkhoogte en 30% lichter dan z'n voorganger. Vanaf vandaag te "
     "bestellen."),
    ("x:@gevelmonteur_nick", "post", "en", "2027-04-20T17:45:00+02:00", [],
     "Saw the Klikvast Pro demo at the launch event in Eindhoven today. The wedge-free coupler is properly "
     "clever, will be trying it on the next job."),
    ("x:@klusser_henk58", "post", "nl", "2026-05-23T10:10:00+02:00", [],
     "Update: borg is alsnog teruggestort en ze hebben excuses aangeboden. Netjes opgelost @vennhoek_service 👍"),
    ("facebook:Linda.Roofing", "comment", "en", "2026-12-05T09:30:00+00:00", [],
     "Thinking of the Vennhoek crew after a tough few weeks, hope your colleague recovers quickly ❤️"),
    ("x:@dakkapel_danny", "post", "nl", "2026-05-30T20:20:00+02:00", [],
     "Weet iemand of Vennhoek ook in het weekend levert? Wil zaterdag beginnen met de dakkapel."),
    ("linkedin:jeroen-kuipers-vennhoek", "post", "en", "2026-06-05T16:00:00+02:00", [],
     "Completed my scaffolding inspector refresher this week. Safety first on every Vennhoek site 🦺"),
    ("instagram:@bas.monteur.vh", "post", "nl", "2026-06-11T06:10:00+02:00", [],
     "Zonsopgang vanaf 24 meter, mooiste kantoor van Nederland 🌅 #steigerbouwer #vennhoek"),
    ("linkedin:vennhoek-steigerbouw", "post", "nl", "2026-06-18T09:00:00+02:00", [],
     "Vennhoek Steigerbouw opent een nieuwe vestiging in Apeldoorn! Kom 12 september langs op onze open dag, "
     "koffie en worstenbroodjes staan klaar."),
    ("reddit:u/quiet_neighbourhood", "post", "en", "2026-06-23T21:30:00+02:00", [],
     "Anyone used the Hijsmaat 200 hoist? How loud is it? The neighbours are already annoyed about the "
     "scaffold lol"),
    ("x:@bouwer_barry", "post", "nl", "2026-07-02T12:45:00+02:00", [],
     "Datalek bij een groot bouwbedrijf in Utrecht vandaag in het nieuws. Gelukkig geen klant daar, wij huren "
     "al jaren bij Vennhoek."),
    ("x:@ruudsteiger_vh", "post", "en", "2026-07-06T19:50:00+02:00", [],
     "That TrapToren 200 is a killer on the calves, 14 flights before lunch 😅"),
    ("x:@jongens_van_de_bouw", "post", "nl", "2026-07-11T14:00:00+02:00", [],
     "Die gasten van Vennhoek zijn echt beesten, steiger in no time neergezet 🔥🔥"),
    ("x:@vennhoek_service", "post", "en", "2026-07-16T15:00:00+02:00", [],
     "Scheduled maintenance: our customer portal will be offline on Sunday 02:00–04:00 CET. Need us? Call "
     "+31 40 555 2710."),
    ("facebook:VennhoekSteigerbouw", "post", "nl", "2026-07-21T11:30:00+02:00", [],
     "Storing verholpen! De webshop is weer bereikbaar. Excuses voor het ongemak vanochtend."),
    ("x:@voorzichtige_vera", "post", "en", "2026-07-25T09:40:00+02:00", [],
     "Vennhoek's website says their payment IBAN is <<COMPANY_IBAN>>. Can anyone confirm that's legit before I "
     "transfer the deposit?"),
    ("x:@bas_kantoorheld", "post", "nl", "2026-07-30T16:25:00+02:00", [],
     "Nieuwe wachtwoordregels op het werk: minimaal 14 tekens en elke 90 dagen wisselen. M'n hoofd zit vol 🤯"),
    ("forum:api_tinkerer", "post", "en", "2026-08-03T22:10:00+02:00", [],
     "For anyone integrating with Vennhoek's public booking API: in GitHub Actions use ${{ secrets.GITHUB_TOKEN }} "
     "or a repo secret, never paste something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into the workflow."),
    ("x:@prijsbewust_piet", "post", "nl", "2026-08-10T10:05:00+02:00", [],
     "Vastgrip koppelingen: €95 voor 25 stuks bij Vennhoek, is dat normaal? Bij de concurrent zag ik €89."),
    ("instagram:@vennhoek.steigers", "post", "en", "2026-08-14T12:00:00+02:00", [],
     "DakGuard 20 edge protection: 15% off this week, now €585.65 🏗️"),
    ("facebook:kees.brouwer.vh", "post", "nl", "2026-08-22T22:00:00+02:00", [],
     "Teamuitje met de ploeg uit Best, karten en daarna bbq. Wat een club mensen ❤️"),
    ("x:@storm_survivor", "post", "en", "2026-08-31T08:20:00+01:00", [],
     "Neighbour's Vennhoek scaffold came through last night's storm without a scratch. Ours, from another firm, "
     "is lying in the garden. Impressed."),
    ("facebook:Ilse.Aanhanger", "post", "nl", "2026-09-05T15:15:00+02:00", [],
     "Hoe krijg ik zo'n Vennhoek rolsteiger in m'n aanhanger? De RS-60 past nét niet 🤔"),
    ("linkedin:aylin-demir-vh", "post", "en", "2026-09-10T09:00:00+02:00", [],
     "Great to see Vennhoek in this year's Cobouw top 10 of scaffolding companies! Proud of every crew."),
    ("x:@aannemer_ton", "post", "nl", "2026-09-14T18:40:00+02:00", [],
     "Steigerbedrijf uit Den Bosch liet onze steiger 2 maanden te lang staan, wat een drama. Volgende keer "
     "gewoon weer Vennhoek."),
    ("x:@vennhoek_service", "reply", "nl", "2026-09-19T10:35:00+02:00", [],
     "@marco_klust Vervelend dat het niet lukt! Bel ons even op +31 40 555 2710, dan zoeken we het samen uit."),
    ("reddit:u/wet_weekend", "comment", "en", "2026-09-26T11:05:00+02:00", [],
     "Had a water leak right next to the Vennhoek scaffold at ours. Turned out to be the roof, not the scaffold. "
     "All good, their guys even helped spot it."),
    ("x:@ruudsteiger_vh", "post", "en", "2026-10-03T20:00:00+02:00", [],
     "Confidential tip for DIYers: tie your tower in every 4 metres. Not confidential at all actually, it's in "
     "every manual 😄"),
    ("linkedin:vennhoek-steigerbouw", "post", "en", "2026-10-15T08:00:00+02:00", [],
     "Project update: the facade scaffold at the Catharina hospital is complete, 4,200 m² put up in 11 days by "
     "our Eindhoven crews. Thanks to everyone involved."),
    ("x:@trade_buyer_sam", "post", "en", "2026-10-21T14:50:00+01:00", [],
     "How much does a Klikvast 90 set usually go for? Found €8,900 on Vennhoek's site, any trade discount?"),
    ("x:@vennhoek_service", "reply", "nl", "2026-10-24T09:20:00+02:00", [],
     "Voor de borg hebben we je IBAN nodig. Stuur die via DM, nooit in een openbare reactie! Formaat bijvoorbeeld "
     "NL00 BANK 0123 4567 89."),
    ("x:@klussen_met_kim", "post", "en", "2026-10-30T16:10:00+01:00", [],
     "Stapvast 2 m step ladder is €271 at Vennhoek this week (15% off). Grabbed one for the garage."),
    ("forum:bouwplaats_praat", "post", "nl", "2026-11-03T07:50:00+01:00", [],
     "Steigerbouwers van Vennhoek zijn zo'n beetje de enigen die nog fatsoenlijk 'goedemorgen' zeggen op de "
     "bouw 😂"),
    ("tiktok:@dad_jokes_daily", "post", "en", "2026-11-12T19:00:00+01:00", [],
     "POV: your dad rents one tower from Vennhoek and suddenly thinks he's a pro roofer 💀"),
    ("youtube:VennhoekTV", "post", "nl", "2026-11-17T12:00:00+01:00", [],
     "Nieuwe video: zo bouw je veilig een RS-90 rolsteiger op in 8 stappen. Let op: altijd eerst de remmen "
     "vastzetten!"),
    ("mastodon:@ouder_van_tim@mastodon.social", "post", "en", "2026-11-21T08:30:00+01:00", [],
     "Toddler is obsessed with the scaffolding across the street. We now say good morning to 'the Vennhoek men' "
     "every single day."),
    ("linkedin:jeroen-kuipers-vennhoek", "post", "nl", "2026-12-02T17:00:00+01:00", [],
     "Trots dat we vandaag de 1000e Keurpas-inspectie van dit jaar hebben afgerond 💪 Veiligheid blijft "
     "nummer 1."),
    ("x:@vogelaar_vincent", "post", "nl", "2026-05-19T07:25:00+02:00", [],
     "Zwaluwen hebben een nest gebouwd onder de steigervloer en Vennhoek laat dat deel gewoon staan tot de jongen "
     "uitgevlogen zijn. Top 🐦"),
    ("reddit:u/early_riser_nl", "comment", "en", "2026-12-10T12:40:00+01:00", [],
     "Vennhoek fitters were blasting the worst music at 7am but honestly the scaffold is great 😂"),
    ("x:@vennhoek", "post", "en", "2026-12-14T10:00:00+01:00", [],
     "Heads up: fake 'Vennhoek' accounts are DMing customers asking for card details. We never ask for payment "
     "info via DM. Our official accounts are @vennhoek and @vennhoek_service."),
    ("facebook:Gert.Hangwerk", "post", "nl", "2026-12-19T13:20:00+01:00", [],
     "Voor wie het vroeg: gondel gehuurd bij Vennhoek, ging prima. Een HG-6 kopen kost €12.900, dus huren scheelt "
     "echt als je het maar twee weken nodig hebt."),
    ("x:@vennhoek", "post", "nl", "2026-12-22T09:00:00+01:00", [],
     "Tussen kerst en oud & nieuw zijn onze depots in Best en Tilburg gesloten. Spoed? Bel 0800-8366, we staan "
     "24/7 klaar voor noodsituaties."),
    ("x:@stukadoor_sem", "post", "nl", "2026-12-28T11:11:00+01:00", [],
     "Vennhoek ff een pluim: steiger in de kerstvakantie nog opgehaald terwijl ik dacht dat het januari zou worden 🙌"),
    ("bluesky:@retro_builder.bsky.social", "post", "en", "2026-02-05T19:00:00+00:00", [],
     "Dug up an old Vennhoek brochure from 1998. Tubes and clamps, not a single Klikvast in sight. How times "
     "change 😄"),
]

# ----------------------------------------------------------------------------------------------
def severity(role, cats, pii_checked):
    if not cats:
        return "none"
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checked):
                    v = 4
                else:
                    v = 3
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 3 if role in ("corporate", "employee") else 2
        else:
            raise AssertionError(c)
        lvl = max(lvl, v)
    return SEV[lvl]


def main():
    prof = yaml.safe_load(open(PROFILE, encoding="utf-8"))
    corp = {a.lower() for a in prof["accounts"]["corporate"]}
    emp = {a.lower() for a in prof["accounts"]["employee"]}
    company_ibans = [i.replace(" ", "") for i in prof["public_identifiers"]["ibans"]]
    errors = []

    # profile checks
    assert prof["pricing"]["alert_below_ratio"] == 0.5
    assert len(corp) >= 6 and len(emp) >= 8
    for i in company_ibans:
        assert iban_ok(i), i
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    for e in prof["embargo"]:
        assert e["until"].startswith("2027")
    assert 15 <= len(prof["products"]) <= 25
    for p in prof["products"]:
        assert p["currency"] == "EUR" and p["list_price"] > 0 and p["aliases"]

    order = list(range(len(CASES)))
    rng_order = random.Random(SEED + 1)
    rng_order.shuffle(order)

    out = []
    seen_ids = set()
    stats = {"role": {}, "lang": {}, "cat": {}}
    for n, idx in enumerate(order):
        acct, kind, lang, created, cats_short, text = CASES[idx]
        platform, handle = acct.split(":", 1)
        key = acct.lower()
        role = "corporate" if key in corp else "employee" if key in emp else "public"
        cats = sorted(CAT[c] for c in cats_short)

        tracked = []  # (placeholder name, value)

        def fill(m):
            name = m.group(1)
            if name == "COMPANY_IBAN":
                return prof["public_identifiers"]["ibans"][0]
            val = GEN[name]()
            tracked.append((name, val))
            return val

        text = re.sub(r"<<([A-Z_]+)>>", fill, text)
        assert "<<" not in text

        pii_checked = any(nm in CHECKED_OK for nm, _ in tracked)
        sev = severity(role, cats, pii_checked and "leak.pii" in cats)

        # --- identifier checks
        for nm, val in tracked:
            if nm in CHECKED_OK:
                if not CHECKED_OK[nm](val):
                    errors.append("%s: %s fails checksum" % (idx, val))
                if "leak.pii" not in cats:
                    errors.append("%s: valid %s in a post without leak.pii" % (idx, nm))
            if nm in CHECKED_BAD:
                if CHECKED_BAD[nm](val):
                    errors.append("%s: look-alike %s passes checksum" % (idx, val))
                if cats:
                    errors.append("%s: look-alike used in a positive" % idx)
            if nm in SECRET_FORMATS:
                if not SECRET_FORMATS[nm](val):
                    errors.append("%s: bad secret format %s" % (idx, nm))
                if "leak.secret" not in cats:
                    errors.append("%s: secret in a post without leak.secret" % idx)
        valid_tracked = {re.sub(r"\D", "", v) if nm != "IBAN" else v.replace(" ", "")
                         for nm, v in tracked if nm in CHECKED_OK}
        # generic scans over the final text
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            s = m.group(0).replace(" ", "")
            if iban_ok(s) and s not in company_ibans and s not in valid_tracked:
                errors.append("%s: untracked valid IBAN %s" % (idx, s))
        for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", text):
            s = re.sub(r"\D", "", m.group(0))
            if luhn_ok(s) and s not in valid_tracked:
                errors.append("%s: untracked Luhn-valid number %s" % (idx, s))
        for m in re.finditer(r"(?<![\d])\d{9}(?![\d])", text):
            if bsn_ok(m.group(0)) and m.group(0) not in valid_tracked:
                errors.append("%s: untracked 11-proof number %s" % (idx, m.group(0)))
        if not cats:
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if not m.group(0).endswith("EXAMPLE"):
                    errors.append("%s: live-looking AWS id in benign" % idx)
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if github_ok(m.group(0)):
                    errors.append("%s: valid GitHub token in benign" % idx)
        # embargo consistency: a term before `until` must be labelled confidential
        ts = datetime.fromisoformat(created.replace("Z", "+00:00"))
        for e in prof["embargo"]:
            until = datetime.fromisoformat(e["until"].replace("Z", "+00:00"))
            for t in e["terms"]:
                if t.lower() in text.lower() and ts < until and "leak.confidential" not in cats:
                    errors.append("%s: embargo term %r before until but not confidential" % (idx, t))

        cid = "%s-vh378-%03d" % (platform, n + 1)
        assert cid not in seen_ids
        seen_ids.add(cid)
        post = {
            "id": cid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle, "id": "acc-%08d" % (zlib.crc32(key.encode()) % 10**8)},
            "text": text,
            "lang": lang,
            "created_at": created,
            "url": "https://example.invalid/%s/%s/%d" % (platform, handle.strip("@").replace("/", "_"),
                                                         1000000 + n * 7919),
            "brand": "vennhoek",
        }
        out.append({"post": post, "expect": {"categories": cats, "severity": sev}})
        stats["role"][role] = stats["role"].get(role, 0) + 1
        stats["lang"][lang] = stats["lang"].get(lang, 0) + 1
        for c in cats:
            stats["cat"][c] = stats["cat"].get(c, 0) + 1

    # --- CONTRACT section 6 shape checks
    taxonomy = set(CAT.values())
    texts = set()
    for rec in out:
        p, e = rec["post"], rec["expect"]
        if set(rec) != {"post", "expect"}:
            errors.append("bad keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errors.append("bad id")
        if p["platform"] not in PLATFORMS:
            errors.append("bad platform %s" % p["platform"])
        if p["kind"] not in KINDS:
            errors.append("bad kind")
        if not (isinstance(p["account"]["handle"], str) and p["account"]["handle"]):
            errors.append("bad handle")
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errors.append("bad text")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p["created_at"]):
            errors.append("bad created_at %s" % p["created_at"])
        datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if not set(e["categories"]) <= taxonomy or e["categories"] != sorted(set(e["categories"])):
            errors.append("bad categories")
        if e["severity"] not in SEV:
            errors.append("bad severity")
        if not e["categories"] and e["severity"] != "none":
            errors.append("benign with severity")
        if e["categories"] and SEV.index(e["severity"]) < 2:
            errors.append("positive below warning")
        if p["text"] in texts:
            errors.append("duplicate text")
        texts.add(p["text"])
        json.loads(json.dumps(rec, ensure_ascii=False))

    n_benign = sum(1 for r in out if not r["expect"]["categories"])
    if not 170 <= len(out) <= 180:
        errors.append("case count %d" % len(out))

    with open(OUT, "w", encoding="utf-8") as f:
        for rec in out:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # re-read and re-validate the written file
    with open(OUT, encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    assert back == out

    if errors:
        for e in errors:
            print("ERROR", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign" % (len(out), n_benign))
    print("roles:", stats["role"])
    print("langs:", stats["lang"])
    print("cats:", dict(sorted(stats["cat"].items())))


if __name__ == "__main__":
    main()
