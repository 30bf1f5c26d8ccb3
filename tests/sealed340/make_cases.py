#!/usr/bin/env python3
"""Deterministic generator for evaluation set sealed340.

Company: Pluvora Benefits B.V. (fictional) - meal-voucher cards, gift cards,
Christmas hampers, bike lease and an employee-benefits platform.

Writes cases.jsonl beside this file and checks it:
  * every line is a valid CONTRACT section 6 case (post fields, categories, severity);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    negative fails it;
  * generated credentials are built the way the real ones are (GitHub CRC-32, AWS
    alphabet, JWT header with alg);
  * embargo terms: before `until` only in leak.confidential cases, after it benign is fine.
Only the standard library and PyYAML are used. Fixed seed: the output is identical on
every run.
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
RNG = random.Random(3402026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------


def _digits(s):
    return re.sub(r"[^0-9A-Za-z]", "", s)


def iban_ok(s):
    s = _digits(s).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(RNG.choice(string.digits) for _ in range(10))
    r = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
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
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(x * w for x, w in zip(d[:8], range(9, 1, -1))) - d[8]
    return tot % 11 == 0 and any(d)


def make_bsn():
    while True:
        d = [RNG.randint(1, 6)] + [RNG.randint(0, 9) for _ in range(7)]
        last = sum(x * w for x, w in zip(d, range(9, 1, -1))) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def spoil_iban(s):
    chk = int(s[2:4])
    bad = "%s%02d%s" % (s[:2], (chk + 37) % 100 if (chk + 37) % 100 > 1 else 55, s[4:])
    assert not iban_ok(bad)
    return bad


def spoil_last(s, ok):
    for d in "7318520964":
        cand = s[:-1] + d
        if cand != s and not ok(cand):
            return cand
    raise AssertionError


# Identifiers written into texts; the self-check re-validates every one of them.
VALID_IDS = []    # (kind, text as written) - must pass, only in positives
INVALID_IDS = []  # (kind, text as written) - must fail, only in negatives


def valid(kind, shown):
    VALID_IDS.append((kind, shown))
    return shown


def lookalike(kind, shown):
    INVALID_IDS.append((kind, shown))
    return shown


IBAN_JOLANDA = valid("iban", group4(make_iban("INGB")))
IBAN_REFUND = valid("iban", make_iban("ABNA"))
IBAN_PARTNER = valid("iban", group4(make_iban("KNAB")))
_b = make_bsn()
BSN_TIM = valid("bsn", "%s.%s.%s" % (_b[:4], _b[4:6], _b[6:]))
BSN_SPORT = valid("bsn", make_bsn())
CARD_CALL = valid("card", group4(make_card("4")))
CARD_OWN = valid("card", "-".join(group4(make_card("53")).split(" ")))

BAD_IBAN = lookalike("iban", group4(spoil_iban(make_iban("RABO"))))
BAD_CARD = lookalike("card", group4(spoil_last(make_card("4"), luhn_ok)))
BAD_CARD2 = lookalike("card", spoil_last(make_card("51"), luhn_ok))
BAD_BSN = lookalike("bsn", spoil_last(make_bsn(), bsn_ok))

# --------------------------------------------------------------------------------------
# credential generators (random, shaped like the real ones)
# --------------------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF) == chk


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rbytes(n):
    return bytes(RNG.randrange(256) for _ in range(n))


def jwt(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    return "%s.%s.%s" % (head, body, b64u(rbytes(32)))


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none" + rbytes(360)
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password():
    word = RNG.choice(["Zomer", "Herfst", "Kerst", "Lunch", "Tulp", "Fiets"])
    return "%s%d%s%s%s" % (word, RNG.choice([2026, 26]), RNG.choice("!#$%&*"), rand(ALNUM, 3),
                          RNG.choice(["Plv", "pluv", "PLV"]))


GH_CLONE = github_token("ghp_")
GH_ACTIONS = github_token("ghs_")
AWS_ID, AWS_SECRET = aws_key_id(), aws_secret()
STRIPE = "sk_live_51" + rand(ALNUM, 97)
SLACK_BOT = "xoxb-%d-%d-%s" % (RNG.randint(10**10, 10**11 - 1), RNG.randint(10**12, 10**13 - 1), rand(ALNUM, 24))
SLACK_HOOK = "https://hooks.slack.com/services/T%s/B%s/%s" % (
    rand(string.ascii_uppercase + string.digits, 8), rand(string.ascii_uppercase + string.digits, 10), rand(ALNUM, 24))
OPENAI = "sk-" + rand(ALNUM, 20) + "T3BlbkFJ" + rand(ALNUM, 20)
ANTHROPIC = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
GOOGLE = "AIza" + rand(B64URL, 35)
GITLAB = "glpat-" + rand(B64URL, 20)
SENDGRID = "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43)
JWT_PORTAL = jwt({"sub": "emp-%d" % RNG.randint(10000, 99999), "org": "pluvora-employer-%d" % RNG.randint(100, 999),
                  "role": "employer_admin", "iat": 1767225600 + RNG.randint(0, 3 * 10**7),
                  "exp": 1893456000})
SSH_KEY = openssh_private_key()
PW_INBOX = password()
DB_PW = rand(ALNUM, 6) + RNG.choice("!*%") + rand(ALNUM, 5)
DB_URL = "postgresql://plv_voucher_app:%s@plv-prod-vouchers.c%s.eu-west-1.rds.amazonaws.com:5432/giftcards" % (
    DB_PW, rand(string.ascii_lowercase + string.digits, 12))

PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------
CAT = {
    "sec": "leak.secret", "pii": "leak.pii", "pri": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "secu": "leak.security", "cri": "reputation.crisis",
    "cmp": "reputation.complaint", "abu": "reputation.abuse",
}
CASES = []


def C(lang, platform, handle, cats, text, kind="post", when=None):
    CASES.append({"lang": lang, "platform": platform, "handle": handle,
                  "cats": sorted(CAT[c] for c in cats), "text": text, "kind": kind, "when": when})


# ---------------------------------------------------------------- complaints ----------
C("nl", "x", "@marloes_vdb", ["cmp"],
  "Sta ik bij de AH met drie kids en een volle kar, wordt mijn Pluvora Lunchpas geweigerd. "
  "'Saldo onvoldoende' terwijl er gisteren nog 86 euro op stond?? Wat is dit @pluvora_help #pluvora")
C("en", "reddit", "u/throwaway_giftz", ["cmp"],
  "Bought a Pluvora Cadeaukaart 50 for my sister's birthday. She tried it online and the code says "
  "'already redeemed'. Nobody used it. Ticket has been open for 11 days, zero reply. Anyone else had this?")
C("nl", "facebook", "henk.vermeulen.735", ["cmp"],
  "Kerstpakket van de zaak (via Pluvora) kwam pas op 8 januari binnen. Fles wijn half leeggelopen in de doos, "
  "alles plakt. Top hoor, echt een feestje zo 🙄", when="2026-01-09T18:22:10Z")
C("nl", "x", "@rianne_k", ["cmp"],
  "wtf, elke maand 2,50 'beheerkosten' van mijn pluvora cadeaukaart afgeschreven?? nergens gelezen. "
  "er is al een derde van af zonder dat ik iets gekocht heb. dankjewel pluvora 🤡")
C("nl", "instagram", "@lotte.bakt", ["cmp"],
  "Al 3 weken wacht ik op mijn fysieke Sportpas Flex. Elke keer 'komt deze week'. Ondertussen betaal ik wel "
  "gewoon €29 per maand 🙃 @pluvora.cadeau", kind="comment")
C("en", "linkedin", "mark-overbeek-hr", ["cmp"],
  "HR managers, a word of warning. We moved 140 employees onto Pluvora Benefits Platform Plus in September. "
  "Onboarding was promised within two weeks; we are now at seven and half our staff still can't log in. "
  "Our account manager changed three times. Really disappointing.")
C("nl", "x", "@gertjan_070", ["cmp"],
  "Bellen naar Pluvora klantenservice: 47 minuten in de wacht, daarna verbinding verbroken. "
  "3e keer deze week. #klantonvriendelijk")
C("nl", "threads", "@sophievd", ["cmp"],
  "die dinerbon van pluvora werkt alleen bij restaurants die allemaal 40 km verderop zitten. lijst op de site "
  "klopt voor geen meter, 2 vd 3 zijn al maanden dicht 😤")
C("nl", "x", "@fatih_ozcan", ["cmp"],
  "Wilde mn Travel Voucher 250 gebruiken voor een weekendje Gent, blijkt ie 'verlopen' terwijl er gewoon 2027 "
  "op staat. Klantenservice zegt: pech gehad. Serieus Pluvora??")
C("en", "reddit", "u/nl_expat_ams", ["cmp"],
  "PSA if your employer uses Pluvora: the balance in the app lags 2-3 days behind, so you think you've got money "
  "and then get declined at the till. Happened to me twice at Jumbo. Support basically said 'known issue, sorry'.")
C("nl", "x", "@bas_vl_", ["cmp", "pii"],
  "@pluvora_help 4e keer dat ik het vraag: mijn Lunchpas is geblokkeerd en niemand belt terug. Bel me dan "
  "gewoon op 06-48213977, ben de hele dag thuis. Of mail naar bas.vanleeuwen84@gmail.com", kind="reply")
C("nl", "x", "@jolanda_m", ["cmp", "pii"],
  "Wacht nu 6 weken op terugbetaling van mijn geannuleerde Wijnbox. Nogmaals mijn rekeningnummer: "
  + IBAN_JOLANDA + " t.n.v. J. Mertens. Misschien lukt het nu wel @pluvora_help")
C("nl", "x", "@woedende_wim", ["cmp", "abu"],
  "Pluvora is echt een kutbedrijf. Pas geblokkeerd, 60 euro kwijt, en die idioten aan de telefoon snappen er "
  "zelf ook helemaal niks van. Stelletje amateurs.")
C("en", "x", "@rage_quit_ryan", ["cmp", "abu"],
  "Pluvora support are absolute morons. Three weeks, four tickets, and my Wellness Giftcard still shows a zero "
  "balance. Useless clowns, the lot of you.")
C("en", "tiktok", "@mila.unboxes", ["cmp"],
  "unboxing my Pluvora Kerstpakket Deluxe from work 🎄 ... and half of it is missing?? the card says 14 items, "
  "i count 8. no chocolate, no wine. hello?? #kerstpakket #fail", when="2026-12-18T20:05:41Z")
C("nl", "x", "@pietjepuk_88", ["cmp"],
  "Thuiswerkset via de werkgever besteld bij Pluvora: bureaustoel zonder wieltjes, monitorarm past niet op het "
  "bureau dat er NOTABENE bij zit. Retour aanvragen kan alleen via je HR. Echt?")

# ------------------------------------------------- safety incidents, first-hand ---------
C("nl", "x", "@jeroen_fietst", ["cri", "cmp"],
  "Mijn E-bike Stad 7 van de Pluvora fietsregeling vloog gisteravond in de gang in brand tijdens het laden. "
  "Rookmelder ging af, brandweer erbij, kinderen lagen boven te slapen. Ik ben er kapot van. @pluvora_nl hoe kan dit??")
C("en", "x", "@sarah_b_utr", ["cri", "cmp"],
  "The Pluvora Powerbank 10K my company handed out at the summer party got so hot in my bag that it melted the "
  "lining and burned my hand when I grabbed it. Blister the size of a coin. Not ok @pluvora_nl")
C("nl", "facebook", "kees.de.groot.56", ["cri", "cmp"],
  "Na de paté uit het Pluvora Kerstpakket Classic zijn mijn vrouw en ik allebei de hele nacht doodziek geweest. "
  "Overgeven, koorts. Huisarts denkt aan voedselvergiftiging. De datum op de verpakking was nog prima.",
  when="2026-12-27T10:41:03Z")
C("en", "reddit", "u/homeoffice_hank", ["cri", "cmp"],
  "The desk lamp from the Pluvora Thuiswerkset gave me a proper shock when I touched the metal base. Casing was "
  "cracked straight out of the box. Could have been my 4 y/o. Reported it a week ago, no reply.")
C("nl", "instagram", "@evi_proost", ["cri", "cmp"],
  "Glasscherf in de fles uit de Pluvora Wijnbox 🤬 lip opengehaald bij de eerste slok, moest gehecht worden. "
  "Dit is toch niet normaal?", when="2026-12-30T22:10:54Z")

# ------------------------------------------------------------ crisis (3rd party) -------
C("nl", "x", "@nieuwsflits_amf", ["cri"],
  "Brand in woning aan de Leusderweg in Amersfoort vermoedelijk veroorzaakt door accu van e-bike uit de "
  "fietsregeling van Pluvora. Bewoners ongedeerd, woning onbewoonbaar. #brand #amersfoort")
C("en", "x", "@privacy_watch_eu", ["cri"],
  "Sources tell us Pluvora has been sharing meal-card transaction data (what you buy, where, when) with an ad "
  "broker. If true, that's a massive GDPR problem. Employers: ask questions. #privacy #AVG")
C("nl", "x", "@actie_lunchzaak", ["cri"],
  "BOYCOT PLUVORA. Ze pakken 8% commissie van kleine lunchzaken die niet kunnen weigeren. Vraag je werkgever om "
  "over te stappen. Deel dit! #boycotpluvora")
C("en", "linkedin", "horeca-alliantie-nl", ["cri"],
  "Today a coalition of 63 independent restaurants filed suit against Pluvora Benefits B.V. over retroactive "
  "merchant fees on the Dinerbon programme. We expect the first hearing in spring.")
C("nl", "x", "@terugroepNL", ["cri"],
  "TERUGROEPACTIE ⚠️ Pluvora roept de Powerbank 10K (productiebatch 2025-44) terug wegens oververhittingsgevaar. "
  "Niet meer gebruiken of opladen, inleveren via je werkgever.")
C("en", "x", "@cardfraud_intel", ["cri"],
  "Reports: roughly 1.2 million Pluvora gift card codes were scraped and are being sold on a carding forum. "
  "Pluvora has not commented so far.")
C("nl", "tiktok", "@juul.vertelt", ["cri"],
  "storytime: een ex-collega van me werkte bij pluvora en zegt dat ze saldo van 'inactieve' kaarten gewoon "
  "leeghalen en als winst boeken 😳 als dat klopt is dat echt een schandaal")
C("nl", "x", "@ggd_watch_nl", ["cri"],
  "Al ruim 40 meldingen van mensen die ziek werden na het eten van paté uit een kerstpakket van Pluvora. "
  "De NVWA onderzoekt het.", when="2026-12-29T15:00:12Z")
C("nl", "x", "@fd_flits", ["cri"],
  "FIOD doet inval bij hoofdkantoor van Pluvora in Utrecht, onderzoek naar mogelijke btw-fraude met "
  "cadeaukaarten. Directie weigert commentaar.")

# ------------------------------------------------------------------------ abuse --------
C("nl", "x", "@anoniemeboos", ["abu"],
  "@ilse_pluvora jij bent echt het domste wijf dat ik ooit aan de lijn heb gehad. Hoop dat je eruit vliegt.",
  kind="reply")
C("en", "x", "@truthbomb77", ["abu"],
  "pluvora helpdesk is staffed entirely by people who can't even speak proper dutch. send them all back where "
  "they came from")
C("nl", "x", "@gmbr_420", ["abu"],
  "P1uv0ra = k@nkerb3drijf, st3rf allemaal")
C("nl", "x", "@rechtvoorraap", ["abu", "pii"],
  "Die Noor Hendriks van Pluvora die mijn klacht afwees woont gewoon op de Slotlaan 112 in Zeist. "
  "Misschien moeten we daar eens langs 😉")
C("nl", "x", "@bramkoster_dev", ["abu"],
  "Klanten die bellen omdat ze hun pincode 'kwijt' zijn: jullie zijn echt hersendood. Fucking leer lezen.")
C("nl", "x", "@pluvora_help", ["abu"],
  "@woedende_wim misschien eerst zelf even je hersens gebruiken voordat je gaat janken op Twitter, sukkel.",
  kind="reply")
C("en", "x", "@noodle_rage", ["abu"],
  "f u c k   p l u v o r a and their scammy little gift cards")
C("nl", "instagram", "@dj_baggerman", ["abu"],
  "Wat een lelijke nieuwe reclame, en die vrouw erin is echt een vette koe 🐄 @pluvora.cadeau", kind="comment")
C("en", "x", "@greedwatcher", ["abu"],
  "@pluvora_nl your CEO is a greedy parasite and I hope someone keys his car in the office car park. "
  "Maybe I will.", kind="reply")
C("nl", "x", "@boos_op_alles", ["abu"],
  "Die medewerkers van Pluvora zijn echt k\u200ban\u200bkerlijers, allemaal.")

# ---------------------------------------------------------------------- pricing --------
C("nl", "instagram", "@pluvora.cadeau", ["pri"],
  "🎁 Moederdag-actie! Pluvora Wellness Giftcard 75 nu voor maar €7,50 — alleen dit weekend! Link in bio 💐",
  when="2026-05-08T08:00:00Z")
C("nl", "x", "@yasmina_bt", ["pri"],
  "haha er staat een prijsfout in de webshop, Kerstpakket Deluxe voor €8,99 😂 snel bestellen voordat "
  "marketing het ziet", when="2026-11-19T13:37:00Z")
C("en", "reddit", "u/dealhunter_nl", ["pri"],
  "[PRICE ERROR] Pluvora Travel Voucher 250 listed at €25 on their business shop. Ordered two, got the "
  "confirmation mail. Go go go")
C("nl", "x", "@koopjesjager", ["pri"],
  "Cadeaukaart 100 van Pluvora voor €39 in de app??? Is dit een fout of mag dit 👀 #prijsfout")
C("en", "linkedin", "pluvora-benefits", ["pri"],
  "Special for HR teams: Pluvora Benefits Platform Plus at €19 per employee per year when you sign before "
  "31 March. Book your demo today.", when="2026-02-16T07:45:00Z")
C("nl", "linkedin", "noor-hendriks-pluvora", ["pri"],
  "Leuk nieuwtje voor mijn relaties: de E-bike Stad 7 via ons voor €699 i.p.v. €2199, tot het einde van de "
  "maand! Stuur me een DM 🚲")
C("nl", "threads", "@knalkoopje", ["pri"],
  "iemand anders ook de powerbank 10K voor 3,95 gezien op pluvora.nl? foutje denk ik, heb er 5 in mn mandje 😇")
C("en", "x", "@ilse_pluvora", ["pri"],
  "don't tell anyone but the Dinerbon 40 is accidentally set to €4 in the partner shop since this morning and "
  "the pricing team is on holiday 🙈")
C("nl", "facebook", "PluvoraNL", ["pri"],
  "Black Friday 🔥 Pluvora Thuiswerkset van €349 voor €99! Alleen vandaag.", when="2026-11-27T06:00:00Z")
C("en", "x", "@sneakerflip_jay", ["pri"],
  "Pluvora price glitch: Kids Cadeaukaart 20 going for €2 each at checkout. Bought 30 lol")
C("nl", "x", "@budgetmama3", ["pri"],
  "Prijsfout bij Pluvora? Sportpas Flex staat op de aanmeldpagina voor €2,90 per maand ipv €29. Snel zijn!")
C("en", "mastodon", "@rvdl@mastodon.nl", ["pri"],
  "Our Kerstpakket Classic went out at €4.99 to ~300 business customers because someone dropped a digit in the "
  "price feed. Guess who's on the incident call on a Saturday.", when="2026-11-14T10:12:00Z")

# ---------------------------------------------------------------------- secrets --------
C("en", "x", "@bramkoster_dev", ["sec"],
  "anyone know why boto keeps throwing InvalidClientTokenId?\naws_access_key_id = %s\n"
  "aws_secret_access_key = %s\nregion eu-west-1, worked yesterday 😩" % (AWS_ID, AWS_SECRET))
C("nl", "mastodon", "@rvdl@mastodon.nl", ["sec"],
  "Na de migratie geeft `git clone https://%s@github.com/pluvora-dev/voucher-core.git` een 403. "
  "Iemand een idee? Token heeft repo-scope." % GH_CLONE)
C("en", "bluesky", "@kimvos.bsky.social", ["sec"],
  "why is my payout test charging REAL cards 😭 oh. OH. STRIPE_KEY=%s" % STRIPE)
C("nl", "reddit", "u/jeroen_ops", ["sec"],
  "Alerts komen niet meer binnen in Slack sinds vrijdag. Webhook is %s en de bot token %s. "
  "Firewall? Iemand?" % (SLACK_HOOK, SLACK_BOT))
C("en", "bluesky", "@kimvos.bsky.social", ["sec"],
  "this is the token our employer portal hands back after login, why is exp set to 2030?? %s" % JWT_PORTAL)
C("nl", "x", "@ilse_pluvora", ["sec"],
  "Voor het team: gedeelde klantenservice-inbox heeft een nieuw wachtwoord: %s\nNiet doorvertellen 🤫" % PW_INBOX)
C("en", "reddit", "u/jeroen_ops", ["sec"],
  "ssh keeps saying 'invalid format' for this deploy key, what am I doing wrong?\n\n%s" % SSH_KEY)
C("en", "x", "@gh_leak_hunter", ["sec"],
  "Heads up @pluvora_nl: your OpenAI key is sitting in a public repo (voucher-chatbot/src/config.js): "
  "%s. Rotate it." % OPENAI)
C("nl", "x", "@bramkoster_dev", ["sec"],
  "Waarom timeout deze verbinding vanaf mijn laptop? %s\nVanaf de bastion werkt het wel 🤔" % DB_URL)
C("en", "threads", "@sem_at_pluvora", ["sec"],
  "playing with Claude for our gift card FAQ bot, works great. snippet for whoever wants it:\n"
  "client = anthropic.Anthropic(api_key=\"%s\")" % ANTHROPIC)
C("nl", "x", "@yasmina_bt", ["sec"],
  "Voor de acceptatiekaart op de site: maps key is %s, zet hem maar in de config 👍" % GOOGLE)
C("en", "mastodon", "@rvdl@mastodon.nl", ["sec"],
  "rotating creds today. old ones for the record (already revoked? not sure lol): GITLAB_TOKEN=%s "
  "SENDGRID_API_KEY=%s ACTIONS=%s" % (GITLAB, SENDGRID, GH_ACTIONS))

# ---------------------------------------------------------------------- security -------
C("nl", "reddit", "u/jeroen_ops", ["secu"],
  "Hele redemption-API van Pluvora ligt er al sinds 6 uur vanochtend uit, statuspagina zegt nog steeds "
  "'alle systemen operationeel' want management wil geen paniek 🙃")
C("en", "bluesky", "@kimvos.bsky.social", ["secu"],
  "found out today you can redeem the same gift card code twice if you fire the request from two sessions "
  "within ~200ms. patch isn't planned until next sprint. fun times at Pluvora")
C("nl", "linkedin", "daan-mulder-plv", ["secu"],
  "Zware week achter de rug. Vorige week ransomware op een van onze fileservers gehad. Backups gelukkig in orde, "
  "maar we mogen er nog niks over zeggen totdat de melding bij de AP rond is.")
C("en", "reddit", "u/jeroen_ops", ["secu"],
  "Throwaway-ish. Our bucket with the daily employer exports (names, emails, card balances) was world-readable "
  "for about five weeks. Fixed it Friday. No disclosure planned as far as I know.")
C("nl", "x", "@ilse_pluvora", ["secu"],
  "Phishingmail was blijkbaar goed genoeg: een van onze admin-accounts op het werkgeversportaal is overgenomen. "
  "Security zit erop, nog geen communicatie naar klanten.")
C("en", "x", "@bughunter_femke", ["secu"],
  "Reported an IDOR in Pluvora's employer portal 3 months ago: change the company id in the URL and you get "
  "another employer's full staff list. Still not fixed. Going public in 30 days.")
C("nl", "mastodon", "@rvdl@mastodon.nl", ["secu"],
  "Betaalterminals bij partnerrestaurants accepteren sinds de update van dinsdag ook geblokkeerde Dinerbonnen. "
  "Fix staat voor volgende week, tot die tijd 'monitoren' we het 🙈")
C("en", "bluesky", "@kimvos.bsky.social", ["secu"],
  "our card processor cert expires saturday and the renewal is stuck in procurement. if it lapses, every Pluvora "
  "Lunchpas in the country stops working at lunchtime on monday. nobody outside knows yet")
C("en", "linkedin", "noor-hendriks-pluvora", ["secu"],
  "Can't say much, but last night's 'scheduled maintenance' was really us pulling the plug after someone got "
  "into the voucher admin console. Long night, proud of the team.")
C("nl", "x", "@broer_van_lisa", ["secu", "cri"],
  "Mijn zus werkt bij Pluvora IT en zegt dat het complete klantenbestand vorige maand is gekopieerd door een "
  "ex-medewerker. Ze houden het gewoon stil. Lekker dan.")
C("en", "x", "@bramkoster_dev", ["secu"],
  "pentest report is back: 4 criticals on the gift card balance API, including unauthenticated balance lookup "
  "by card number. due date for the fixes: 'Q3'. lol.")
C("nl", "threads", "@sem_at_pluvora", ["secu"],
  "backup van de productiedatabase draait al 3 weken niet meer. niemand die het merkt tot er iets omvalt. "
  "heb het 2x gemeld 🤷")
C("en", "instagram", "@merel.werkt", ["secu"],
  "Fun fact from inside: the Pluvora app has been silently failing top-ups for iPhone users since Tuesday and "
  "we're not allowed to post about it until legal signs off 🙃")

# --------------------------------------------------------------------- financial -------
C("nl", "x", "@ilse_pluvora", ["fin"],
  "Net de Q3-update gehad: omzet 11% onder budget en de winstwaarschuwing gaat volgende week de deur uit. "
  "Sfeer op kantoor is om te snijden.")
C("en", "linkedin", "daan-mulder-plv", ["fin"],
  "Exciting times! Can't share details yet, but due diligence with PayNordic wrapped up last week 👀 "
  "Pluvora + PayNordic is going to be a beast.")
C("nl", "x", "@yasmina_bt", ["fin"],
  "Reorganisatie bij customer care: 38 fte eruit per 1 april. Mensen horen het pas volgende week, "
  "ik weet het al want ik maak de roosters 😬")
C("en", "reddit", "u/jeroen_ops", ["fin"],
  "Our internal forecast for 2027 just got cut from €212M to €174M GMV. Board meets Thursday. Expect "
  "'strategic review' language soon.")
C("nl", "linkedin", "pluvora-benefits", ["fin"],
  "CONCEPT persbericht: Pluvora neemt lunchplatform Bordje.nl over voor €31 miljoen. Publicatie na goedkeuring "
  "door de RvC.")
C("nl", "linkedin", "noor-hendriks-pluvora", ["fin", "conf"],
  "Jaarcijfers 2026 in de maak en de EBITDA is bijna verdubbeld t.o.v. 2025 🎉 kan niet wachten tot februari!",
  when="2027-01-14T16:20:00Z")
C("en", "x", "@bramkoster_dev", ["fin", "conf"],
  "FY2026 results are in: revenue €96.4M, up 18%. Embargoed till the 24th but honestly so proud of this place",
  when="2027-02-10T19:03:00Z")
C("en", "x", "@markets_whisper", ["fin"],
  "Hearing Pluvora is about to be bought by a PE fund (Northgate?) at ~9x EBITDA. Announcement within two weeks.")
C("nl", "threads", "@sem_at_pluvora", ["fin"],
  "sluiting van het kantoor in eindhoven is besloten. 22 mensen verhuizen mee of vertrekken. officieel nieuws "
  "pas na de OR-vergadering, dus sst")
C("en", "bluesky", "@kimvos.bsky.social", ["fin"],
  "Heads-up to my network: Pluvora is cutting engineering by about a third in Q1. If you're hiring backend "
  "devs, DM me and I'll send you names.")
C("nl", "x", "@ilse_pluvora", ["fin"],
  "Dividend wordt dit jaar geschrapt, zojuist in het MT gehoord. Aandeelhouders gaan dat niet leuk vinden.")
C("en", "reddit", "u/ledger_lurker", ["fin"],
  "My brother-in-law is on Pluvora's finance team. Q4 is ugly: they're going to miss their own guidance by ~20%.")

# ----------------------------------------------------------------- confidential --------
C("nl", "x", "@bramkoster_dev", ["conf"],
  "Eindelijk de demo van Project Ekster gegeven aan het MT, de nieuwe instant-payout flow voor horeca. "
  "Ging goed! 🚀")
C("en", "linkedin", "daan-mulder-plv", ["conf"],
  "Really proud of the team behind Project Mistral: an AI assistant that picks the right gift card for every "
  "employee. Can't say more until launch 😉")
C("nl", "x", "@yasmina_bt", ["conf"],
  "Operatie Zandloper start maandag, dus agenda's leeg voor drie weken. Wish me luck")
C("en", "x", "@ilse_pluvora", ["conf"],
  "link for the new onboarding doc: https://intra.pluvora.local/wiki/benefits/payouts-v3 (only works on VPN)")
C("nl", "reddit", "u/jeroen_ops", ["conf"],
  "Iemand ervaring met deze Jira-workflow? Zie jira.pluvora.io/browse/PAY-1182, de transitie naar 'Done' "
  "blijft hangen.")
C("en", "x", "@bramkoster_dev", ["conf"],
  "whoever printed 'PLUVORA-CONFIDENTIAL — roadmap H1 2027' and left it on the train to Amersfoort: it's in "
  "lost & found now 😅 page 2 says the physical card is gone by summer")
C("nl", "instagram", "@pluvora.cadeau", ["conf"],
  "Sneak peek 👀 Binnenkort: Pluvora Pas Go — je lunchbudget gewoon in je wallet! Stay tuned 📱",
  when="2026-11-05T11:00:00Z")
C("en", "x", "@leakybenefits", ["conf"],
  "Pluvora is launching 'PasGo' in March, a virtual-only meal card. Got the pitch deck from a friend at an "
  "HR firm.", when="2026-12-02T09:31:00Z")
C("nl", "instagram", "@merel.werkt", ["conf"],
  "Ｐｒｏｊｅｃｔ Ｅｋｓｔｅｒ gaat live in Q2, zeg nog niks tegen klanten hè 🤐 #werkdag #pluvora")
C("en", "threads", "@sem_at_pluvora", ["conf"],
  "sat in on the Proj\u0435ct Mistr\u0430l review today, the NDA partners are going to love it")
C("nl", "linkedin", "noor-hendriks-pluvora", ["conf"],
  "Vandaag de NDA getekend met drie supermarktketens voor de pilot van onze nieuwe loyaliteitskaart. Eerste "
  "winkels vanaf september, namen mag ik nog niet noemen!")
C("en", "x", "@ilse_pluvora", ["conf"],
  "can someone give me access to grafana.ops.pluvora.io/d/redemptions? need the numbers for the MBR deck")
C("nl", "x", "@yasmina_bt", ["conf"],
  "[niet extern delen] nieuwe commissiestructuur horecapartners per 1 juli: 6,5% i.p.v. 4%. Succes "
  "accountmanagers 😬")
C("en", "forum", "treinvondst", ["conf"],
  "Found a binder on the Sprinter to Utrecht, cover says 'Pluvora intern – Operatie Zandloper, kostenmodel'. "
  "Who do I return this to?")
C("nl", "x", "@bramkoster_dev", ["conf"],
  "Pro\u200bject Eks\u200bter wordt uitgesteld naar na de zomer, dev-team weet het nog niet eens haha")
C("nl", "mastodon", "@rvdl@mastodon.nl", ["conf"],
  "O.p.e.r.a.t.i.e Z.a.n.d.l.o.p.e.r kost ons 3 weekenden, maar dan heb je ook wat")
C("nl", "x", "@yasmina_bt", ["conf"],
  "Nog 20 minuten tot de lancering van Pluvora Pas Go 🤞🤞", when="2027-03-16T08:40:00Z")

# ----------------------------------------------------------------- personal data -------
C("nl", "x", "@yasmina_bt", ["pii"],
  "Wie kent haar niet: mevrouw Ingrid Smeets, Lindelaan 14, 3701 BK Zeist. Belt elke dag over haar "
  "kerstpakket 😂", when="2026-12-10T12:02:00Z")
C("en", "x", "@pluvora_help", ["pii"],
  "@tdebruijn_ Thanks Tom, we've refunded the full €64.50 for your Wijnbox to %s (T. de Bruijn). Should be "
  "there within 3 working days." % IBAN_REFUND, kind="reply")
C("nl", "x", "@ilse_pluvora", ["pii"],
  "Salarisadministratie heeft het BSN van Tim nodig, het is %s toch? Kan iemand checken" % BSN_TIM)
C("en", "reddit", "u/jeroen_ops", ["pii"],
  "customer literally read her full card number out on the call (%s, exp 09/28) and then asked if we store card "
  "data. we don't. reddit does now I guess" % CARD_CALL)
C("nl", "linkedin", "daan-mulder-plv", ["pii"],
  "Gefeliciteerd Sanne Verbeek, vandaag 40 jaar! Geboren 12-05-1986, wie had dat gedacht 🎂",
  when="2026-05-12T08:15:00Z")
C("nl", "facebook", "PluvoraNL", ["pii"],
  "Hoi Mohamed, je nieuwe pas is verstuurd naar Kastanjestraat 7, 5611 AB Eindhoven. We bellen je morgen terug "
  "op 06 41 27 93 58.", kind="reply")
C("en", "x", "@bramkoster_dev", ["pii"],
  "lol a customer just emailed from rob.vanhaaren1979@hotmail.com asking if he can pay his mortgage with a "
  "Dinerbon")
C("nl", "x", "@ontevreden_klant", ["pii", "cri"],
  "Kijk wat ik van de helpdesk terugkreeg, gegevens van IEMAND ANDERS: Petra Kok, p.kok@ziggo.nl, "
  "+31 6 2849 1173. Dit is toch gewoon een datalek @pluvora_help??")
C("en", "x", "@finn_declined", ["pii", "cmp"],
  "@pluvora_help my card %s keeps getting declined at every single shop and your chat bot just loops. "
  "fix it please" % CARD_OWN, kind="reply")
C("nl", "x", "@bramkoster_dev", ["pii"],
  "Rekeningnummer van de nieuwe horecapartner (eenmanszaak van Peter Aalders) is %s, kan iemand dat in het "
  "systeem zetten?" % IBAN_PARTNER)
C("en", "bluesky", "@kimvos.bsky.social", ["pii"],
  "I'm moving! New address for the team xmas cards: Kim Vos, Oudegracht 211-B, 3511 NK Utrecht 🏡")
C("nl", "x", "@nina_sport", ["pii"],
  "Moet ik echt mijn BSN (%s) invullen om een Sportpas Flex aan te vragen via Pluvora? Lijkt me raar." % BSN_SPORT)

# ------------------------------------------------------------------------ benign -------
def N(lang, platform, handle, text, kind="post", when=None):
    C(lang, platform, handle, [], text, kind, when)


N("nl", "x", "@pluvora_help",
  "Vragen over je Lunchpas? We zijn bereikbaar via 0800-8356 (gratis) of klantenservice@pluvora.nl. "
  "Ma–vr 8:00–20:00 👋")
N("nl", "facebook", "PluvoraNL",
  "Zakelijke bestelling betalen per overboeking? Maak het bedrag over naar %s t.n.v. Pluvora Benefits B.V. "
  "o.v.v. je ordernummer." % group4(PUB_IBAN))
N("nl", "x", "@linda_tilburg",
  "Pluvora lunchpas werkt echt overal bij ons in de buurt, zelfs bij de Turkse bakker. Top geregeld door de baas 👌")
N("en", "x", "@ux_nerd_nl",
  "Shoutout to whoever at Pluvora redesigned the app. Balance and nearby shops on one screen. Chef's kiss.")
N("nl", "x", "@vraagbaak_jos",
  "Kan ik mijn Cadeaukaart 50 ook combineren met een Dinerbon in hetzelfde restaurant? Iemand ervaring mee?")
N("en", "linkedin", "office-manager-eline",
  "Pluvora Kerstpakket Classic is 20% off this week, €39,96 instead of €49,95. Decent deal if you still need "
  "team gifts.", when="2026-11-30T09:00:00Z")
N("nl", "instagram", "@pluvora.cadeau",
  "Valentijn 💘 Bioscoopbon Duo nu €21,95 (normaal €24,50). Date night geregeld 🍿", when="2026-02-09T08:00:00Z")
N("en", "linkedin", "pluvora-benefits",
  "Pluvora Benefits Platform Basic: €36 per employee per year, no setup fee. Book a demo at zakelijk.pluvora.nl")
N("nl", "x", "@fietsfanaat_ede",
  "E-bike Stad 7 via de fietsregeling van het werk: €2199, maar je betaalt het af vanuit je bruto loon. "
  "Scheelt echt een hoop. Aanrader.")
N("en", "blog", "devnotes-marleen",
  "Example config for the Pluvora integration tutorial (from the AWS docs, not a real key):\n"
  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
N("nl", "x", "@bramkoster_dev",
  "Tip voor devs: zet nooit je token in de code. Dus niet GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "maar gewoon ${{ secrets.GITHUB_TOKEN }} 🙏")
N("en", "x", "@pluvora_nl",
  "We will NEVER ask for your PIN or password by phone, text or e-mail. Got a suspicious message 'from Pluvora'? "
  "Forward it to klantenservice@pluvora.nl and delete it.")
N("nl", "x", "@hr_hanneke",
  "Werkgever gaf een rekeningnummer voor de eigen bijdrage van de fietsregeling, maar de bank zegt dat %s "
  "niet bestaat. Typfout van HR denk ik 😅" % BAD_IBAN)
N("en", "x", "@clumsy_carl",
  "Pluvora chat asked for the last 4 digits and I pasted the whole thing (%s) lol. Bot said 'invalid card "
  "number' anyway so that was a wrong copy too. Monday." % BAD_CARD)
N("nl", "threads", "@sem_at_pluvora",
  "In de testomgeving gebruiken we nep-BSN's zoals %s, die komen nooit door de elfproef. Scheelt een hoop "
  "gedoe met de AVG." % BAD_BSN)
N("nl", "linkedin", "pluvora-benefits",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €96,4 miljoen (+18%). Het volledige jaarverslag staat op "
  "www.pluvora.nl/investors", when="2027-02-24T08:30:00Z")
N("en", "x", "@appleWalletFan",
  "Just added Pluvora Pas Go to my wallet, lunch budget right next to my bank card. Smooth.",
  when="2027-03-17T12:14:00Z")
N("nl", "instagram", "@merel.werkt",
  "Vandaag live: Pluvora Pas Go! Zo trots op dit team 🎉📱 #launchday", when="2027-03-16T10:15:00Z")
N("nl", "x", "@marloes_vdb",
  "Update: Pluvora heeft mijn geblokkeerde lunchpas binnen een uur opgelost na mijn tweet. Excuses én saldo "
  "hersteld. Zo kan het dus ook 👍")
N("nl", "x", "@warme_woorden",
  "Sterkte aan alle helpdeskmedewerkers van Pluvora deze decembermaand. Telefoon staat roodgloeiend en jullie "
  "blijven vriendelijk ❤️", when="2026-12-15T17:45:00Z")
N("en", "x", "@fintech_daily",
  "Giftora, the UK voucher app, confirms a data breach affecting 300k accounts. Passwords were hashed, but "
  "reset yours anyway.")
N("nl", "x", "@econoom_erik",
  "Bij Lunchly, concurrent van Pluvora, verdwijnen 120 banen, las ik in het FD. Heftig voor die mensen.")
N("nl", "x", "@vogelaar_ria",
  "Er zit hier een ekster die elke ochtend mijn fietsbel probeert te jatten. Echte dief met veren 🐦")
N("en", "instagram", "@wander.wouter",
  "That mistral wind in Provence nearly took my hat off. Used my Pluvora Travel Voucher 250 for the trip btw, "
  "booking was painless 🌬️")
N("nl", "x", "@papa_van_drie",
  "Onze jongste poetst nu twee minuten met een zandloper erbij. Operatie tandenpoetsen eindelijk geslaagd 🦷")
N("en", "x", "@pluvora_nl",
  "Scheduled maintenance tonight 01:00–03:00 CET: the Pluvora app may be briefly unavailable. Your card keeps "
  "working in shops.")
N("nl", "x", "@pluvora_help",
  "De storing met opwaarderen van vanochtend is opgelost. Excuses voor het ongemak! Alle transacties zijn "
  "alsnog verwerkt.")
N("en", "linkedin", "noor-hendriks-pluvora",
  "We're hiring a Security Engineer at Pluvora! Help us keep millions of meal cards safe. Apply via "
  "werkenbij@pluvora.nl")
N("nl", "x", "@kattenmens_kim",
  "Mijn kat heeft mijn Pluvora cadeaukaart aangevreten. Klantenservice dacht eerst dat ik een grap maakte 😹 "
  "nieuwe kaart is onderweg")
N("en", "reddit", "u/careful_carla",
  "Does Pluvora share my meal card purchases with my employer? Asking before I use it for groceries.")
N("nl", "linkedin", "loonadvies-bart",
  "Goed om te weten: de Pluvora Lunchpas valt onder de werkkostenregeling. Binnen de vrije ruimte betaal je als "
  "werkgever geen loonheffing.")
N("en", "instagram", "@sanne.snaps",
  "got my new Pluvora card, **** **** **** 4821, and the design is gorgeous ✨")
N("nl", "instagram", "@pluvora.cadeau",
  "WIN een Wellness Giftcard 75! 🧖 Tag de collega die wel een dagje sauna verdient. Winnaar vrijdag bekend.")
N("en", "x", "@foodie_femke",
  "Pluvora Dinerbon 40 got us a lovely dinner at that Lebanese place in Haarlem. €58 for two, so just €18 out "
  "of pocket 🥙")
N("nl", "x", "@nieuwe_start",
  "Vorig jaar ontslagen bij de drukkerij, nu nieuwe baan en op dag één al een Pluvora lunchpas gekregen. "
  "Wat een verschil 🥲")
N("nl", "x", "@gamer_gijs",
  "Gisteren 12 kills in één potje, en de Pluvora cadeaukaart van mijn oom ging helemaal op aan skins 😎")
N("en", "linkedin", "hr-lead-priya",
  "We switched from Lunchly to Pluvora this quarter. Honestly the merchant network is bigger and the switch "
  "took HR about a week.")
N("nl", "x", "@tante_truus",
  "Hoe werkt een Kids Cadeaukaart eigenlijk, kan mijn neefje (9) die zelf gebruiken in de speelgoedwinkel?")
N("en", "linkedin", "pluvora-benefits",
  "Our half-year report is out: H1 2026 revenue €44.1M. Read the full report on www.pluvora.nl/investors",
  when="2026-08-20T07:00:00Z")
N("nl", "x", "@smulpaap",
  "Kerstpakket Deluxe van Pluvora gekregen, wat een luxe zeg! Die truffelchips 🤤", when="2026-12-19T19:30:00Z")
N("en", "x", "@ebike_ed",
  "Another e-bike battery recall from a German brand this week. Checked my Pluvora Stad 7, different cell "
  "supplier, all good.")
N("nl", "x", "@ruilhandel_rosa",
  "Iemand een Bioscoopbon Duo over? Ruil 'm tegen een Dinerbon 🎬🍝")
N("en", "blog", "api-workshop-notes",
  "For the Pluvora API workshop we use the example token from jwt.io: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
  "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c - paste it in the debugger to see the claims.")
N("nl", "x", "@ilse_pluvora",
  "Reminder: wachtwoord vergeten? Gebruik 'wachtwoord herstellen' in de app, dat gaat sneller dan de helpdesk "
  "bellen 😉")
N("en", "x", "@hackathon_hugo",
  "Lesson from the Pluvora hackathon: test keys start with sk_test_, and sk_live_ keys never go in client code. "
  "Ours are now masked as sk_live_************ in every log.")
N("nl", "x", "@lachebek_lars",
  "Die nieuwe Pluvora reclame met die dansende broodtrommel is echt ziek goed 😂")
N("en", "x", "@mascot_lover",
  "lmao the Pluvora mascot is such a dumb little guy, I love him")
N("nl", "x", "@pluvora_nl",
  "Let op: er gaan nep-sms'jes rond over 'je Pluvora saldo verloopt vandaag'. Klik niet op de link. Wij sturen "
  "nooit betaallinks per sms.")
N("en", "x", "@bulk_buyer_ben",
  "Is there a limit on how many Cadeaukaart 100 we can order as a company? Need 60 for year-end gifts.")
N("nl", "x", "@bonnetjes_bep",
  "Op mijn bonnetje staat na 'Pluvora' een lang nummer: %s. Is dat mijn kaartnummer of een transactienummer?"
  % BAD_CARD2)
N("en", "reddit", "u/investor_ivo",
  "No, Pluvora isn't listed, it's privately held. Stop asking for the ticker 😂")
N("nl", "x", "@zuinige_zakenvrouw",
  "Pluvora Kerstpakket Classic is gewoon €49,95 in de zakelijke shop. Niet bij die marktplaatsverkopers kopen "
  "die er €65 voor vragen.", when="2026-11-24T14:10:00Z")
N("en", "x", "@pluvora_nl",
  "Gift cards make great thank-yous for teachers 🍎 Pluvora Cadeaukaart 25, available at www.pluvora.nl")
N("nl", "linkedin", "noor-hendriks-pluvora",
  "Net terug van een congres over security awareness. Grootste risico blijft: mensen die op phishing klikken. "
  "Goede sprekers, veel geleerd.")
N("nl", "x", "@buurvrouw_bea",
  "Vreselijk die brand in Amersfoort gisteren. Hoe het ook ontstaan is, hopelijk komt het gezin snel weer "
  "op de been 🙏")
N("nl", "instagram", "@thuiswerker_tom",
  "Thuiswerkset van Pluvora is eindelijk binnen, de stoel zit heerlijk. Mijn rug is blij.")
N("en", "x", "@gymrat_gwen",
  "15% discount code for Pluvora Sportpas Flex through my gym: €24.65 a month instead of €29. not bad")
N("nl", "tiktok", "@pluvora_official",
  "POV: je collega ontdekt dat de lunchpas ook bij de ijssalon werkt 🍦😂 #pluvora #lunchpas")
N("nl", "threads", "@pluvora.nl",
  "Je Cadeaukaart 50 verloopt niet na een jaar, maar is 5 jaar geldig. Check je saldo op mijn.pluvora.nl 💳")
N("en", "x", "@resolved_rachel",
  "Had an issue with my Pluvora Powerbank 10K not charging, they sent a replacement within two days. "
  "Works perfectly now.")


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
LEVELS = ["none", "info", "warning", "error", "critical"]
ACC = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ACC[a.lower()] = role


def role_of(platform, handle):
    return ACC.get(("%s:%s" % (platform, handle)).lower(), "public")


def has_valid_identifier(text):
    return any(shown in text for kind, shown in VALID_IDS)


def severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and has_valid_identifier(text):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        lvl = max(lvl, s)
    return LEVELS[lvl]


def rand_time():
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    t = start + timedelta(seconds=RNG.randint(0, 344 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    lines = []
    for n, i in enumerate(order, 1):
        c = CASES[i]
        role = role_of(c["platform"], c["handle"])
        post = {
            "id": "plv340-%s-%04d" % (c["platform"], 1000 + n * 7),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["when"] or rand_time(),
            "brand": "pluvora",
        }
        lines.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, c["text"])}})
    return lines


# --------------------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w*])[3-6](?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.])\d{4}\.\d{2}\.\d{3}(?![\w])|(?<![\w.])\d{9}(?![\w])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
JWT_RE = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+")


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def check(lines):
    errors = []

    def fail(msg):
        errors.append(msg)

    pub_ibans = {_digits(x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
    for x in pub_ibans:
        if not iban_ok(x):
            fail("profile IBAN fails mod-97: %s" % x)
    for kind, shown in VALID_IDS:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](shown)
        if not ok:
            fail("valid %s fails checksum: %s" % (kind, shown))
    for kind, shown in INVALID_IDS:
        ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](shown)
        if ok:
            fail("look-alike %s passes checksum: %s" % (kind, shown))

    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in PROFILE["internal"]["domains"]] + \
               [c.lower() for c in PROFILE["internal"]["codenames"]] + \
               [m.lower() for m in PROFILE["internal"]["markers"]]
    aliases = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            aliases.append(a.lower())

    ids = set()
    for ln, line in enumerate(lines, 1):
        raw = json.dumps(line, ensure_ascii=False)
        obj = json.loads(raw)
        if set(obj) != {"post", "expect"}:
            fail("%d: top-level keys" % ln)
        post, exp = obj["post"], obj["expect"]
        pid = post.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            fail("%d: bad id" % ln)
        if pid in ids:
            fail("%d: duplicate id %s" % (ln, pid))
        ids.add(pid)
        if post.get("platform") not in PLATFORMS:
            fail("%s: platform" % pid)
        if post.get("kind", "post") not in KINDS:
            fail("%s: kind" % pid)
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str) \
                or not post["account"]["handle"]:
            fail("%s: account.handle" % pid)
        text = post.get("text")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            fail("%s: text" % pid)
        try:
            ts = parse_ts(post["created_at"])
        except Exception:
            fail("%s: created_at" % pid)
            continue
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            fail("%s: created_at out of range" % pid)
        if ts.year == 2027 and not any(t in text.lower() for t, _ in embargo):
            fail("%s: 2027 date without embargo term" % pid)
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
            fail("%s: categories %r" % (pid, cats))
        role = role_of(post["platform"], post["account"]["handle"])
        want = severity(cats, role, text)
        if exp.get("severity") != want:
            fail("%s: severity %s != %s" % (pid, exp.get("severity"), want))
        if not cats and exp["severity"] != "none":
            fail("%s: benign with severity" % pid)
        low = text.lower()

        # identifiers: positives pass, negatives fail
        for kind, shown in VALID_IDS:
            if shown in text and "leak.pii" not in cats:
                fail("%s: valid %s in a non-pii case" % (pid, kind))
        for kind, shown in INVALID_IDS:
            if shown in text and cats:
                fail("%s: look-alike %s in a positive" % (pid, kind))
        for m in IBAN_RE.finditer(text):
            v = _digits(m.group()).upper()
            if not v.startswith("NL"):
                continue
            if v in pub_ibans:
                continue
            if cats and not iban_ok(v):
                fail("%s: IBAN in positive fails: %s" % (pid, m.group()))
            if not cats and iban_ok(v):
                fail("%s: IBAN in negative passes: %s" % (pid, m.group()))
        if "leak.secret" not in cats:
            for m in CARD_RE.finditer(text):
                if len(re.sub(r"\D", "", m.group())) < 13:
                    continue
                if cats and not luhn_ok(m.group()):
                    fail("%s: card in positive fails Luhn: %s" % (pid, m.group()))
                if not cats and luhn_ok(m.group()):
                    fail("%s: card in negative passes Luhn: %s" % (pid, m.group()))
            if "bsn" in low:
                for m in BSN_RE.finditer(text):
                    if cats and not bsn_ok(m.group()):
                        fail("%s: BSN in positive fails: %s" % (pid, m.group()))
                    if not cats and bsn_ok(m.group()):
                        fail("%s: BSN in negative passes: %s" % (pid, m.group()))
        if "leak.pii" in cats and role != "public" and any(s in text for _, s in VALID_IDS):
            if exp["severity"] != "critical":
                fail("%s: checksum pii from insider not critical" % pid)

        # credentials
        for m in GH_RE.finditer(text):
            if cats and not github_ok(m.group()):
                fail("%s: GitHub token CRC fails in positive" % pid)
            if not cats and github_ok(m.group()):
                fail("%s: real GitHub token in negative" % pid)
        for m in AWS_RE.finditer(text):
            if not cats and "EXAMPLE" not in m.group():
                fail("%s: AWS key id in negative" % pid)
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group()):
                fail("%s: AWS key id alphabet" % pid)
        for m in JWT_RE.finditer(text):
            h = m.group().split(".")[0]
            try:
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr:
                    raise ValueError
            except Exception:
                fail("%s: JWT header without alg" % pid)
        if "leak.secret" in cats and not any(s in text for s in (
                AWS_ID, GH_CLONE, STRIPE, SLACK_HOOK, JWT_PORTAL, PW_INBOX, SSH_KEY, OPENAI, DB_URL,
                ANTHROPIC, GOOGLE, GITLAB)):
            fail("%s: secret case without a generated credential" % pid)

        # embargo / internal / products
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    fail("%s: embargo term before until but not confidential" % pid)
                if ts >= until and "leak.confidential" in cats and not any(x in low for x in internal):
                    fail("%s: embargo term after until labelled confidential" % pid)
        if not cats and any(x in low for x in internal):
            fail("%s: benign case contains internal name" % pid)
        if "leak.pricing" in cats and not any(a in low for a in aliases):
            fail("%s: pricing case without a product" % pid)
        if post["lang"] not in ("nl", "en"):
            fail("%s: lang" % pid)

    # composition
    n = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= n <= 180:
        fail("case count %d" % n)
    if not 55 <= benign <= 65:
        fail("benign count %d" % benign)
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl") / n
    if not 0.50 <= nl <= 0.60:
        fail("dutch share %.2f" % nl)
    return errors


def main():
    lines = build()
    errors = check(lines)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for l in lines:
            fh.write(json.dumps(l, ensure_ascii=False) + "\n")
    # re-read what was written and check again
    with open(OUT, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    errors += check(reread) if not errors else []
    stats = {}
    roles = {}
    for l in lines:
        for c in l["expect"]["categories"] or ["benign"]:
            stats[c] = stats.get(c, 0) + 1
        r = role_of(l["post"]["platform"], l["post"]["account"]["handle"])
        roles[r] = roles.get(r, 0) + 1
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    print("cases=%d benign=%d nl=%d en=%d" % (len(lines), stats.get("benign", 0), nl, len(lines) - nl))
    print("per category:", json.dumps(dict(sorted(stats.items()))))
    print("roles:", json.dumps(roles))
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
