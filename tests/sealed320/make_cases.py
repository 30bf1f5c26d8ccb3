#!/usr/bin/env python3
"""Build the labelled evaluation set sealed320 (Zaltimbo Circus & Theater B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it:
  * every line is a valid labelled case (CONTRACT section 6 / section 1 post shape);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4);
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own public IBAN excepted);
  * generated GitHub tokens carry a correct CRC-32, AWS key ids and JWTs are well formed;
  * embargo terms and codenames only appear where the label says leak.confidential
    (or after the embargo ended); benign prices stay at or above the alert ratio.
"""
import base64
import json
import os
import random
import re
import string
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 320
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksum helpers
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22}


def iban_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if len(s) < 15 or s[:2] not in IBAN_LEN or len(s) != IBAN_LEN[s[:2]]:
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(ch, 36)) for ch in r))
    return n % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def luhn_complete(prefix_digits):
    for last in range(10):
        if luhn_ok(prefix_digits + str(last)):
            return prefix_digits + str(last)
    raise AssertionError


def bsn_ok(num):
    d = [int(x) for x in re.sub(r"\D", "", num)]
    if len(d) != 9:
        return False
    s = sum((9 - i) * d[i] for i in range(8)) - d[8]
    return s % 11 == 0 and s != 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------------------
# generators for placeholders <<KIND>> (called in order of appearance, seeded)
# --------------------------------------------------------------------------------------
def rchars(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def g_iban_nl(space=False):
    bank = rng.choice(["RABO", "ABNA", "INGB", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = str(rng.randint(1, 9)) + rchars(string.digits, 9)
    iban = iban_make("NL", bank + acct)
    assert iban_ok(iban)
    return spaced(iban) if space else iban


def g_iban_be():
    first = str(rng.randint(1, 9)) + rchars(string.digits, 9)
    nat = int(first) % 97 or 97
    iban = iban_make("BE", first + "%02d" % nat)
    assert iban_ok(iban)
    return spaced(iban)


def g_iban_de():
    iban = iban_make("DE", rchars(string.digits, 8) + rchars(string.digits, 10))
    assert iban_ok(iban)
    return spaced(iban)


def g_bad_iban():
    while True:
        iban = g_iban_nl()
        pos = rng.randint(8, len(iban) - 1)
        bad = iban[:pos] + str((int(iban[pos]) + rng.randint(1, 9)) % 10) + iban[pos + 1:]
        if not iban_ok(bad):
            return spaced(bad)


def g_card(kind="visa", space=True):
    if kind == "visa":
        pre = "4" + rchars(string.digits, 14)
    else:
        pre = str(rng.randint(51, 55)) + rchars(string.digits, 13)
    num = luhn_complete(pre)
    assert luhn_ok(num)
    return spaced(num) if space else num


def g_bad_card():
    num = re.sub(r"\D", "", g_card("visa"))
    bad = num[:-1] + str((int(num[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return spaced(bad)


def g_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum((9 - i) * d[i] for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def g_bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rchars(string.digits, 8)
        if not bsn_ok(s):
            return s


def g_ghp(prefix="ghp_"):
    body = rchars(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()), 6)
    assert github_ok(tok)
    return tok


def g_akia():
    return "AKIA" + rchars(string.ascii_uppercase + "234567", 16)


def g_aws_secret():
    return rchars(string.ascii_letters + string.digits + "/+", 40)


def g_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1767225600 + rng.randint(0, 30000000)
    payload = {"sub": "svc-kassa", "iss": "tickets.zaltimbo.nl", "role": "admin",
               "iat": now, "exp": now + 86400}
    sig = bytes(rng.getrandbits(8) for _ in range(32))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def g_stripe():
    return "sk_live_51" + rchars(string.ascii_letters + string.digits, 97)


def g_slack():
    return "xoxb-%s-%s-%s" % (rchars(string.digits, 12), rchars(string.digits, 13),
                              rchars(string.ascii_letters + string.digits, 24))


def g_openai():
    al = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rchars(al, 74) + "T3BlbkFJ" + rchars(al, 74)


def g_mollie():
    return "live_" + rchars(string.ascii_letters + string.digits, 30)


def g_google():
    return "AIza" + rchars(string.ascii_letters + string.digits + "_-", 35)


def g_sendgrid():
    al = string.ascii_letters + string.digits + "_-"
    return "SG." + rchars(al, 22) + "." + rchars(al, 43)


def g_password():
    return (rchars(string.ascii_uppercase, 1) + rchars(string.ascii_lowercase, 4) +
            rng.choice("!#$%&@*") + rchars(string.digits, 3) + rchars(string.ascii_letters, 3))


def g_dburl():
    host = "zt-prod-db.cluster-%s.eu-west-1.rds.amazonaws.com" % rchars(
        string.ascii_lowercase + string.digits, 12)
    return "postgres://kassa_app:%s@%s:5432/tickets" % (g_password(), host)


def _sshstr(b):
    return struct.pack(">I", len(b)) + b


def g_privkey():
    pub = _sshstr(b"ssh-ed25519") + _sshstr(bytes(rng.getrandbits(8) for _ in range(32)))
    priv = bytes(rng.getrandbits(8) for _ in range(152))
    blob = (b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"") +
            struct.pack(">I", 1) + _sshstr(pub) + _sshstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) +
            "\n-----END OPENSSH PRIVATE KEY-----")


GEN = {
    "IBAN_NL": lambda: g_iban_nl(False),
    "IBAN_NL_SP": lambda: g_iban_nl(True),
    "IBAN_BE": g_iban_be,
    "IBAN_DE": g_iban_de,
    "BAD_IBAN": g_bad_iban,
    "CARD_VISA": lambda: g_card("visa", True),
    "CARD_MC": lambda: g_card("mc", False),
    "BAD_CARD": g_bad_card,
    "BSN": g_bsn,
    "BAD_BSN": g_bad_bsn,
    "GHP": g_ghp,
    "AKIA": g_akia,
    "AKIA_ZW": lambda: "AKIA\u200b" + g_akia()[4:],
    "AWS_SECRET": g_aws_secret,
    "JWT": g_jwt,
    "STRIPE": g_stripe,
    "SLACK": g_slack,
    "OPENAI": g_openai,
    "MOLLIE": g_mollie,
    "GOOGLE": g_google,
    "SENDGRID": g_sendgrid,
    "PASSWORD": g_password,
    "DBURL": g_dburl,
    "PRIVKEY": g_privkey,
    "PUBLIC_IBAN": lambda: spaced(PROFILE["public_identifiers"]["ibans"][0]),
}

# --------------------------------------------------------------------------------------
# the hand-written posts
# --------------------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def c(platform, handle, lang, text, cats="", at=None, kind="post", name=None, brand=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text,
                      cats=[CAT[x] for x in cats.split()], at=at, kind=kind, name=name,
                      brand=brand))


# ---------------- complaints (public) ----------------
c("x", "@femke_rijnders", "nl",
  "Al 4 dagen geen e-tickets ontvangen voor Sterrenval zaterdag. Spam gecheckt, 3x gemaild "
  "naar tickets@zaltimbo.nl, niks. @zaltimbo_help hallooo??", "compl", at="2026-03-12T19:41:00+01:00")
c("x", "@tomharrison_uk", "en",
  "Paid for 4 VIP ringside seats at Zaltimbo Rotterdam and got stuck in row 9 behind a "
  "tent pole. 'VIP' yeah right. Not what I paid €356 for.", "compl", at="2026-04-04T22:15:00+02:00")
c("facebook", "Gerda Smit-Bosman", "nl",
  "Voorstelling begon 40 minuten te laat, geen enkele uitleg. Kinderen van 5 en 7 zaten om "
  "half 10 nog op die harde bank. Volgende keer niet meer, Zaltimbo.", "compl",
  at="2026-05-17T08:02:00+02:00", kind="comment")
c("instagram", "@miss.yara_", "nl",
  "dubbel afgeschreven voor het gezinsticket 🙄 2x €119 van mn rekening en de klantenservice "
  "reageert al een week niet @circuszaltimbo", "compl", at="2026-06-02T13:27:00+02:00",
  kind="comment")
c("reddit", "u/flatwhite_frank", "en",
  "PSA about Zaltimbo's Winterpiste in Utrecht: the 'heated tent' was freezing, we sat in "
  "our coats for the whole show, the hot chocolate stand ran out before 2pm and the toilet "
  "queue was 25 minutes. For €27.50 a head I expected a lot better tbh.", "compl",
  at="2026-12-28T17:50:00+01:00")
c("x", "@bas_oudejans", "nl",
  "@zaltimbo show gecanceld ivm wind, prima, snap ik. maar waarom krijg ik alleen een voucher "
  "en niet gewoon mn geld terug?? dat moet toch gewoon", "compl", at="2026-10-22T10:12:00+02:00",
  kind="reply")
c("tiktok", "@jadeee.vlogs", "en",
  "the app kept crashing at the entrance so we stood in the rain for 30 min while staff "
  "scanned tickets BY HAND 😤 #zaltimbo #nevermore", "compl", at="2026-09-06T21:03:00+02:00")
c("forum", "moeder_van_3", "nl",
  "Clownsworkshop Kids geboekt voor mijn zoon. Ter plekke bleek de groep 'vol' en er was geen "
  "alternatief. Geld zou teruggestort worden... inmiddels 5 weken later nog steeds niets "
  "ontvangen. Iemand anders die dit ook heeft gehad bij Zaltimbo?", "compl",
  at="2026-07-19T09:44:00+02:00")
c("threads", "@danielle.cooks", "en",
  "Nachtvlinder dinner show last night: starters came out lukewarm and they forgot my "
  "husband's gluten-free main entirely. Acts were fine but €129 pp for that? No thanks "
  "@circuszaltimbo", "compl", at="2026-11-08T11:30:00+01:00")
c("x", "@pietjepuk1971", "nl",
  "geluid bij De Glazen Olifant was echt slecht vanaf het balkon, verstonden de helft niet. "
  "jammer want de recensies waren goed", "compl", at="2026-02-21T23:10:00+01:00")
c("mastodon", "@hanna@todon.nl", "nl",
  "Parkeren bij het circusterrein in Amersfoort: €15 betalen en dan een kilometer door de "
  "modder. Geen bordjes, geen verlichting, kinderwagen vast. Slecht geregeld #Zaltimbo",
  "compl", at="2026-04-26T20:05:00+02:00")
c("x", "@granny_gadget", "en",
  "bought the Livestream Pass so my mum (87, can't travel) could watch, stream froze every 5 "
  "min and the replay link never arrived. asked for a refund, got a copy-paste reply. "
  "@zaltimbo_help do better", "compl", at="2026-06-15T16:48:00+02:00")
c("instagram", "@kees_en_ans", "nl",
  "Hoodie besteld in jullie webshop op 3 november, is nog steeds niet binnen en de track & "
  "trace link geeft een 404. Wie weet er meer?? @circuszaltimbo", "compl",
  at="2026-11-29T12:19:00+01:00", kind="comment")

# ---------------- crisis + complaint: first-hand safety ----------------
c("facebook", "Marloes Tichelaar", "nl",
  "Mijn zoontje (6) kreeg gisteren de LED Jongleerset van Zaltimbo. Vanochtend werd een van de "
  "ballen gloeiend heet tijdens het opladen en begon te smelten, er kwam rook uit. Hij heeft "
  "blaren op zijn vingers. Dit is toch levensgevaarlijk?! Hebben anderen dit ook gehad?",
  "crisis compl", at="2026-12-27T09:15:00+01:00")
c("x", "@ryan_mcallister", "en",
  "Food poisoning from the Popcorn Combi at Zaltimbo Eindhoven on Sunday. Me and both kids "
  "were throwing up all night, and 3 other families from school too. Nobody answers the phone.",
  "crisis compl", at="2026-08-11T07:40:00+02:00")
c("x", "@wout_de_haan", "nl",
  "De tribunebank brak letterlijk onder ons door tijdens Sterrenval in Zwolle. Mn vrouw viel "
  "een meter naar beneden: blauwe rug, gekneusde pols. Personeel deed alsof er niks aan de hand "
  "was. @zaltimbo wat gaan jullie hieraan doen?", "crisis compl", at="2026-05-03T22:31:00+02:00")
c("instagram", "@laura.makes.things", "en",
  "PLEASE read before you buy the Glow Kroon for your kids. My daughter wore it for the whole "
  "show and now has red burn marks across her forehead, the GP says chemical burn from leaking "
  "fluid 😡 @circuszaltimbo", "crisis compl", at="2026-10-05T18:22:00+02:00")
c("tiktok", "@sem.breda", "nl",
  "kreeg een flinke schok van het metalen hek bij de ingang van de tent in breda 😳 mn arm "
  "tintelde nog een kwartier en een kindje naast me begon te huilen want die had em ook. wtf "
  "zaltimbo", "crisis compl", at="2026-09-20T20:45:00+02:00")
c("reddit", "u/nervous_nellie_nl", "en",
  "On the Zaltimbo Backstage Tour in Haarlem a lighting bar came loose and swung down maybe a "
  "metre from my head. The guide just laughed it off and carried on. We left halfway. "
  "Honestly still shaken.", "crisis compl", at="2026-03-29T15:02:00+02:00")

# ---------------- crisis (third party, boycott, breach accusation, lawsuit, recall) ----------
c("x", "@regio_nieuws_oost", "nl",
  "Bij een voorstelling van Circus Zaltimbo in Deventer is vanavond een acrobate van grote "
  "hoogte gevallen. Ze is met de traumahelikopter naar het ziekenhuis gebracht. De politie doet "
  "onderzoek.", "crisis", at="2026-06-27T22:58:00+02:00", brand="Zaltimbo")
c("x", "@freethehooves", "en",
  "Boycott Zaltimbo. They still use ponies in the ring and keep them in trailers all day. "
  "Don't give them a cent. #BoycottZaltimbo #CircusAnimals", "crisis",
  at="2026-02-08T10:10:00+01:00")
c("facebook", "Ticketoplichting Alert NL", "nl",
  "Er gaan steeds meer verhalen rond dat Zaltimbo een datalek heeft: meerdere leden van deze "
  "groep zagen kort na het kopen van circustickets rare afschrijvingen op hun creditcard. Het "
  "bedrijf zwijgt. Wees gewaarschuwd.", "crisis", at="2026-09-14T14:33:00+02:00")
c("linkedin", "arbeidsrecht-advocaat-l-meijer", "en",
  "Today we filed suit on behalf of nine former artists against Zaltimbo Circus & Theater B.V. "
  "over unpaid overtime and unsafe rest periods during the 2025 tour.", "crisis",
  at="2026-04-14T09:00:00+02:00")
c("x", "@consumentenwaakhond", "nl",
  "TERUGROEPACTIE: Zaltimbo roept de LED Jongleerset terug wegens oververhitting van de accu. "
  "Niet meer gebruiken en inleveren bij de kassa of per post.", "crisis",
  at="2026-12-30T11:00:00+01:00")
c("bluesky", "@maastrichtmoment.bsky.social", "en",
  "Part of the Zaltimbo tent roof in Maastricht came down in last night's storm. Nobody inside, "
  "thankfully, but shows this week are off. Scary to think what if it happened mid-show.",
  "crisis", at="2026-01-19T08:26:00+01:00")
c("reddit", "u/dorpsgek_zuid", "nl",
  "Volgens de krant van vandaag heeft de directie van Zaltimbo jarenlang gemeentesubsidie "
  "opgestreken voor 'jeugdvoorstellingen' die nooit hebben plaatsgevonden. Als dat klopt is het "
  "een regelrecht schandaal.", "crisis", at="2026-10-30T07:55:00+01:00")
c("tiktok", "@viralclips.eu", "en",
  "zaltimbo fire breather set part of the front row on fire?? video going round, a guy's "
  "sleeve caught fire. hope he's ok 😬", "crisis", at="2026-07-25T23:40:00+02:00")
c("x", "@cultuurredactie_mh", "nl",
  "De Arbeidsinspectie onderzoekt Circus Zaltimbo na meldingen over werkdagen van 16 uur voor "
  "buitenlandse artiesten en crew.", "crisis", at="2026-08-20T12:00:00+02:00")

# ---------------- abuse ----------------
c("x", "@boze_burger_020", "nl",
  "zaltimbo is gewoon een stelletje oplichters en die clowns mogen wat mij betreft allemaal de "
  "tyfus krijgen", "abuse", at="2026-03-03T01:12:00+01:00")
c("x", "@notyourcritic", "en",
  "@ruudjongleert you're a talentless hack mate, do everyone a favour and quit", "abuse",
  at="2026-05-09T18:37:00+02:00", kind="reply")
c("instagram", "@dj_remco_x", "nl",
  "@lotte.trapeze ik weet waar jullie volgende week staan. ik wacht je wel op na de show "
  "schatje 😘 of je wil of niet", "abuse", at="2026-06-11T23:58:00+02:00", kind="comment")
c("reddit", "u/realtalk_nl_88", "en",
  "Zaltimbo hires way too many foreigners, half the staff at the desk can't even speak proper "
  "Dutch. Send the lot of them back where they came from.", "abuse",
  at="2026-08-02T21:14:00+02:00")
c("tiktok", "@stijnnn_z", "nl",
  "wat een kutcircus zeg. en die presentator is echt een vette lul", "abuse",
  at="2026-02-15T22:01:00+01:00", kind="comment")
c("tiktok", "@clownbram", "nl",
  "@kritischekees ga lekker ergens anders zeuren, mongool", "abuse",
  at="2026-04-18T00:22:00+02:00", kind="reply")
c("x", "@marit_zaltimbo", "en",
  "honestly some of you complaining about the queue are absolute morons. read the fucking "
  "email, doors open at 18:30", "abuse", at="2026-09-06T22:10:00+02:00")
c("facebook", "Rick Zwartjes", "nl",
  "k4nk3r b3dr1jf!! st0mm3 l00z3rs b1j d3 k4ss4 @Zaltimbo", "abuse",
  at="2026-07-04T15:44:00+02:00", kind="comment")
c("youtube", "@lolmachine4000", "en",
  "this circus is garbage and the ringmaster is a fat disgusting pig lmao", "abuse",
  at="2026-11-21T19:19:00+01:00", kind="comment")
c("x", "@jolien_vh", "nl",
  "Zes weken wachten op m'n geld voor een geannuleerde voorstelling en nog steeds niks. "
  "Klootzakken zijn het bij @zaltimbo_help. Nooit meer!!", "abuse compl",
  at="2026-12-03T09:09:00+01:00")
c("x", "@steve_r_walsh", "en",
  "Zaltimbo you absolute clowns (and not the fun kind). Two hours on hold and then the line "
  "just drops. Worst fucking customer service on the planet.", "abuse compl",
  at="2026-10-16T14:25:00+02:00")
c("threads", "@gewoonmarco", "nl",
  "die directeur van zaltimbo is een ｖｕｉｌｅ ｈｏｅｒｅｎｌｏｐｅｒ", "abuse",
  at="2026-10-31T08:40:00+01:00")

# ---------------- confidential ----------------
c("x", "@marit_zaltimbo", "nl",
  "Kan niet wachten tot jullie Kompasroos zien 🤫🌹 de eerste repetities zijn magisch",
  "conf", at="2026-10-09T20:14:00+02:00")
c("instagram", "@lotte.trapeze", "en",
  "new act for the Compass Rose tour is insane, three of us on one trapeze bar. can't say "
  "more yet 🤐", "conf", at="2026-11-23T17:05:00+01:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "nl",
  "Mooie mijlpaal: Project Zeepaard gaat in Q2 live, dan draaien alle kassa's op het nieuwe "
  "platform. Trots op het team!", "conf", at="2026-01-28T08:30:00+01:00")
c("mastodon", "@sjoerd_tix", "nl",
  "iemand ervaring met rate limiting in Kong? zit al de hele middag te kloten op "
  "https://jira.zaltimbo.nl/browse/TIX-2231", "conf", at="2026-03-18T15:50:00+01:00")
c("x", "@daan_ops", "en",
  "finally got the scanner dashboards on grafana.zaltimbo.local working, look at this beauty 📈",
  "conf", at="2026-05-26T17:42:00+02:00")
c("threads", "@noor.kassa", "nl",
  "haha kijk dit memo nou: 'ZALTIMBO INTERN - NIET DELEN: nieuwe kassaprocedure per 1 dec'. "
  "fijn dat we weer alles mogen omgooien midden in het seizoen", "conf",
  at="2026-11-14T12:11:00+01:00")
c("reddit", "u/spill_the_tea_bag", "en",
  "My sister works there: apparently the next big Zaltimbo show is called Kompasroos and it has "
  "a water stage. You heard it here first.", "conf", at="2026-12-05T21:30:00+01:00")
c("x", "@zaltimbo", "nl",
  "✨ Aankondiging ✨ KOMPASROOS, de nieuwe wereldtour van Zaltimbo! Voorverkoop start 1 april.",
  "conf", at="2027-03-14T18:00:00+01:00", brand="Zaltimbo")
c("bluesky", "@evi-zaltimbo.bsky.social", "nl",
  "Tourplanning 2027 afmaken met de cijfers van Operatie Koorddanser ernaast... wordt een lange "
  "avond", "conf", at="2026-09-29T21:48:00+02:00")
c("linkedin", "yasmina-bouzid", "en",
  "Recruiting update (Zaltimbo confidential): we'll open 12 positions for the Bluefinch "
  "integration team early next year. Referrals welcome via DM!", "conf",
  at="2026-10-27T10:05:00+01:00")
c("instagram", "@lotte.trapeze", "nl",
  "sneak peek van de repetities voor Komp\u200basroos 🌹 (sst, niet doorvertellen)", "conf",
  at="2026-09-02T19:27:00+02:00")
c("x", "@wikiwatcher_nl", "en",
  "lol someone at Zaltimbo left their wiki open: wiki.zaltimbo.nl/display/TOUR/Stage+plans has "
  "the entire 2027 route on it", "conf", at="2026-07-08T13:13:00+02:00")
c("x", "@ruudjongleert", "nl",
  "\u041eperati\u0435 Koorddanser kickoff vandaag. koffie was lauw, stemming ook 😂", "conf",
  at="2026-06-08T16:20:00+02:00")
c("tiktok", "@clownbram", "nl",
  "de nieuwe show heet K.o.m.p.a.s.r.o.o.s en ik speel de hoofdclown!!! 🤡🌹 mag nog niks "
  "zeggen dus ssssst", "conf", at="2026-08-16T12:40:00+02:00")
c("threads", "@frontrow_fiona", "en",
  "found this on a seat after the show 😂 a printed page titled 'Vertrouwelijk: directie - "
  "budget tournee 2027'. someone's getting told off", "conf", at="2026-04-11T23:02:00+02:00")
# confidential + financial
c("linkedin", "koen-van-der-wal-zaltimbo", "nl",
  "Vandaag de laatste due diligence sessie voor Bluefinch afgerond. Als alles meezit is Circus "
  "Mirabelle vanaf maart onderdeel van de Zaltimbo-familie. 🤝", "conf fin",
  at="2026-11-19T18:03:00+01:00")
c("x", "@marit_zaltimbo", "en",
  "Operatie Koorddanser in a nutshell: close the Groningen office, 35 people gone by summer. "
  "Not how I wanted to spend my Monday.", "conf fin", at="2026-09-28T12:35:00+02:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "nl",
  "Jaarcijfers 2026 zijn binnen: omzet +18%, EBITDA eindelijk positief. Publicatie volgt eind "
  "februari, maar ik ben nu al trots op dit team.", "conf fin", at="2027-02-10T07:45:00+01:00")

# ---------------- financial ----------------
c("threads", "@noor.kassa", "nl",
  "Hoorde net van de teamleider dat we na de winterstop met 20 man minder verder gaan bij de "
  "kassa's. Niemand weet nog wie. Fijne kerst 🙃", "fin", at="2026-12-19T17:17:00+01:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "en",
  "Q3 came in well above plan: ticket revenue €14.2m against €11.8m budgeted. For the full "
  "year we're now tracking towards €52m. Great work everyone 👏", "fin",
  at="2026-10-06T08:10:00+02:00")
c("bluesky", "@evi-zaltimbo.bsky.social", "nl",
  "Off the record: de hele Belgische tournee van 2027 wordt geschrapt, te duur. Wordt pas in "
  "januari bekendgemaakt dus mondje dicht 🤐", "fin", at="2026-11-02T22:19:00+01:00")
c("x", "@insidertips_ams", "en",
  "Hearing from someone on the board that Zaltimbo is about to be bought by a German "
  "entertainment group for roughly €80m. Announcement in about two weeks.", "fin",
  at="2026-08-30T10:45:00+02:00")
c("reddit", "u/zwagerpraat", "nl",
  "Mijn zwager zit bij de boekhouding van Zaltimbo, zegt dat ze dit jaar 6 miljoen verlies "
  "draaien en dat de bank moeilijk begint te doen. Is mijn seizoenspas straks nog wat waard?",
  "fin", at="2026-07-22T20:30:00+02:00")
c("instagram", "@lotte.trapeze", "en",
  "they told the artists today the winter season gets cut from 12 to 7 weeks and all contracts "
  "shortened. not public yet but ugh, rent doesn't shrink", "fin",
  at="2026-09-15T23:10:00+02:00")
c("linkedin", "yasmina-bouzid", "nl",
  "Zware weken bij HR: het reorganisatieplan raakt 48 fte, de OR krijgt het vrijdag pas te "
  "zien. Zorg goed voor elkaar, collega's.", "fin", at="2026-10-13T07:58:00+02:00")
c("x", "@daan_ops", "en",
  "forecast meeting today: Sterrenval sales 30% under target and we might drop the Antwerp leg "
  "entirely. fun times", "fin", at="2026-05-20T18:49:00+02:00")
c("x", "@zaltimbo", "nl",
  "Prognose 2027 voor de aandeelhoudersvergadering: omzetgroei van 9% en een dividend van "
  "€1,20 per aandeel 📈 #intern", "fin", at="2026-12-09T09:31:00+01:00")

# ---------------- security ----------------
c("x", "@daan_ops", "nl",
  "Lekker dan, sinds 03:00 DDoS op de ticketshop. 'Niks naar buiten communiceren' zegt "
  "management, dus ik tweet het maar niet 🙃", "sec", at="2026-11-27T04:12:00+01:00")
c("mastodon", "@sjoerd_tix", "en",
  "Found out today our ticket download endpoint doesn't check ownership: change the order id in "
  "the URL and you get someone else's PDF ticket with their name and email. Fix ships next "
  "sprint 🫠", "sec", at="2026-02-11T16:37:00+01:00")
c("threads", "@noor.kassa", "nl",
  "Kassasystemen in Tilburg en Breda zijn versleuteld door ransomware, we schrijven alles met "
  "de hand op. Pers weet nog van niks.", "sec", at="2026-06-19T11:05:00+02:00")
c("x", "@marit_zaltimbo", "en",
  "ok so apparently the whole newsletter list got exported by someone who shouldn't have had "
  "access, 40k addresses. IT says keep quiet until legal decides 😶", "sec",
  at="2026-08-25T19:50:00+02:00")
c("bluesky", "@evi-zaltimbo.bsky.social", "nl",
  "Scanners bij de ingang accepteren sinds de update élke QR-code, ook screenshots van vorig "
  "jaar. Niemand die het merkt gelukkig 🤦‍♀️", "sec", at="2026-04-02T20:20:00+02:00")
c("reddit", "u/pentest_pieter", "en",
  "Did a pentest for a Dutch circus/theatre ticketing company (Zaltimbo) last month. Their admin "
  "panel still accepts the default vendor creds and they haven't fixed it. Not posting the URL "
  "but come on.", "sec", at="2026-05-05T12:12:00+02:00")
c("x", "@ruudjongleert", "nl",
  "Via de artiesten-wifi kun je gewoon bij de kassacomputers, al weken. IT zegt 'we kijken "
  "ernaar'. Echt niet normaal dit.", "sec", at="2026-07-13T10:28:00+02:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "en",
  "Heads-up to the finance team: Tuesday's phishing mail led to a compromised mailbox and two "
  "fake supplier invoices being paid. Don't discuss outside the team until we've informed the "
  "bank.", "sec", at="2026-03-05T08:55:00+01:00")
c("tiktok", "@clownbram", "nl",
  "de ticketsite ligt er al 3 uur uit en we mogen niks tegen het publiek zeggen 💀 database is "
  "helemaal kapot", "sec", at="2026-12-12T15:33:00+01:00")
c("facebook", "CircusZaltimbo", "nl",
  "Intern bericht aan de crew: de wachtwoorden van de kassa-accounts zijn mogelijk uitgelekt. "
  "Iedereen vóór 18:00 resetten en niks doorvertellen aan bezoekers.", "sec",
  at="2026-10-01T14:02:00+02:00")
c("bluesky", "@exdev_anon.bsky.social", "en",
  "ex-Zaltimbo dev here: the ticket shop still writes full card numbers unencrypted into a "
  "debug log table. They've known since 2024. Just saying.", "sec",
  at="2026-06-30T22:47:00+02:00")
# security + secret
c("x", "@daan_ops", "en",
  "someone pushed our prod AWS key to a public repo last night (<<AKIA>>), bots already spun "
  "up miners on it. rotating now, pls don't tell anyone 😬", "sec secret",
  at="2026-09-09T07:21:00+02:00")
c("mastodon", "@sjoerd_tix", "nl",
  "Bot token van onze Slack is gelekt en iemand stuurt nu phishing in #kassa: <<SLACK>> "
  "Revoke loopt, klanten weten nog niks.", "sec secret", at="2026-11-05T13:44:00+01:00")

# ---------------- secrets ----------------
c("x", "@daan_ops", "en",
  "debugging the order webhook, why does this return 401 😩\ncurl -H 'Authorization: Bearer "
  "<<JWT>>' https://api.zaltimbo.nl/v2/orders", "secret", at="2026-02-24T21:06:00+01:00")
c("mastodon", "@sjoerd_tix", "nl",
  ".env van de kassa-app voor wie wil meekijken:\nMOLLIE_API_KEY=<<MOLLIE>>\n"
  "DATABASE_URL=<<DBURL>>", "secret", at="2026-04-22T14:18:00+02:00")
c("reddit", "u/apk_archaeologist", "en",
  "Zaltimbo's Android app has a hardcoded Google Maps key lol: <<GOOGLE>> (found it in "
  "strings.xml with apktool)", "secret", at="2026-03-21T00:51:00+01:00")
c("threads", "@noor.kassa", "nl",
  "voor de nieuwe collega's: inlog op de kassa-laptop is kassa01, wachtwoord: <<PASSWORD>> "
  "succes morgen!!", "secret", at="2026-06-28T19:03:00+02:00")
c("x", "@zaltimbo_help", "en",
  "@jessie_lou We've reset your account for you. Temporary password: <<PASSWORD>> (please "
  "change it after logging in!)", "secret", at="2026-05-14T10:34:00+02:00", kind="reply")
c("x", "@mila_dev_zt", "nl",
  "waarom werkt mn token niet 😭\ngit clone https://<<GHP>>@github.com/zaltimbo/kassa-app.git",
  "secret", at="2026-01-15T11:17:00+01:00")
c("x", "@mila_dev_zt", "en",
  "hooked the FAQ bot up to the ticket FAQ, key is <<OPENAI>> if anyone on the team wants to "
  "test before I move it to the vault", "secret", at="2026-08-07T16:26:00+02:00")
c("forum", "freelance_ops_jan", "en",
  "Deploy to my client's server (a circus ticketing setup, Zaltimbo) fails with 'Permission "
  "denied (publickey)'. This is the key I'm using, what am I doing wrong?\n\n<<PRIVKEY>>",
  "secret", at="2026-07-30T09:58:00+02:00")
c("x", "@daan_ops", "nl",
  "config voor de backup bucket, zet het even in je ~/.aws/credentials:\naws_access_key_id = "
  "<<AKIA_ZW>>\naws_secret_access_key = <<AWS_SECRET>>", "secret",
  at="2026-10-19T09:12:00+02:00")
c("x", "@checkout_snoop", "en",
  "lmao Zaltimbo's checkout page source has their Stripe secret key in it: <<STRIPE>>",
  "secret", at="2026-11-11T22:22:00+01:00")
c("x", "@marit_zaltimbo", "nl",
  "SendGrid-sleutel voor de nieuwsbrief staat in het gedeelde doc, hier voor het gemak: "
  "<<SENDGRID>>", "secret", at="2026-02-03T13:48:00+01:00")

# ---------------- personal data ----------------
c("x", "@zaltimbo_help", "nl",
  "@petravdl Hoi Petra, we zien je boeking op naam van Petra van Leeuwen, Kastanjelaan 14, "
  "3521 KB Utrecht, tel. 06-41827365. Klopt dat adres nog? Dan sturen we de tickets opnieuw.",
  "pii", at="2026-03-13T10:02:00+01:00", kind="reply")
c("x", "@zaltimbo_help", "en",
  "@mark_b Your refund of €69 has been sent to <<IBAN_NL_SP>> in the name of M. Brouwer, it "
  "should arrive within 3 working days.", "pii", at="2026-06-05T15:20:00+02:00", kind="reply")
c("linkedin", "yasmina-bouzid", "nl",
  "Welkom aan onze nieuwe collega Jeroen Aalbers (geb. 12-03-1994)! Voor de salarisadministratie: "
  "BSN <<BSN>>, Koen wil jij dat even invoeren? 😉", "pii", at="2026-02-02T09:05:00+01:00")
c("threads", "@noor.kassa", "nl",
  "Deze meneer liet z'n creditcard liggen bij kassa 3: <<CARD_VISA>>, naam R. Kuipers. Iemand "
  "die hem kent? 😅", "pii", at="2026-08-15T21:40:00+02:00")
c("instagram", "@sophie.deboer", "en",
  "Still no refund @circuszaltimbo. My IBAN is <<IBAN_NL_SP>> (S. de Boer), you've had it for 3 "
  "weeks now. Or just call me, 06 2839 4410.", "pii compl", at="2026-11-03T08:59:00+01:00",
  kind="comment")
c("facebook", "Anouk Verhoeven", "nl",
  "De klantenservice vroeg me om mijn gegevens hier te zetten, dus: Anouk Verhoeven, "
  "anouk.verhoeven91@gmail.com, 0031 6 18273645, bestelling ZT-77120", "pii",
  at="2026-04-08T20:12:00+02:00", kind="comment")
c("x", "@marit_zaltimbo", "en",
  "congrats to our 100,000th visitor of the season, Emily Hartman from Leiden! 🎉 "
  "emily.hartman@outlook.com, if you haven't claimed your prize yet please get in touch!",
  "pii", at="2026-08-29T14:14:00+02:00")
c("facebook", "Gerrit Jan Lubbers", "nl",
  "Gevonden na Sterrenval in Arnhem: portemonnee van Hans Veldkamp, geboren 03-07-1958, met "
  "rijbewijs en pasjes erin. Hans, stuur me een berichtje!", "pii",
  at="2026-05-31T23:15:00+02:00")
c("tiktok", "@clownbram", "en",
  "shoutout to the kid in row 2 who helped me on stage, Liam Jansen, born 14/05/2019, happy "
  "early birthday buddy 🎂🤡", "pii", at="2026-05-10T21:20:00+02:00")
c("x", "@zaltimbo", "nl",
  "Winnaar van de VIP-actie: Dirk Hoekstra (dirk.hoekstra@ziggo.nl, 06-55218734)! "
  "Gefeliciteerd!! 🎪", "pii", at="2026-03-01T12:00:00+01:00")
c("reddit", "u/nomad_dad_nl", "en",
  "does Zaltimbo only take Visa? trying to buy family tickets with this Mastercard: "
  "<<CARD_MC>> exp 09/28, it just spins", "pii", at="2026-07-06T19:45:00+02:00")
c("instagram", "@lotte.trapeze", "nl",
  "Jarig! Onze lieve collega Fenna de Graaf wordt vandaag 30 (geboren 21-08-1996) 🥳 stuur haar "
  "een appje: 06-31847720", "pii", at="2026-08-21T09:30:00+02:00")
c("facebook", "CircusZaltimbo", "en",
  "Lost & found: a passport in the name of Sander Wijnberg, no. NW8K4RT27, was left at our "
  "Rotterdam box office. Please contact tickets@zaltimbo.nl to collect it.", "pii",
  at="2026-04-20T10:40:00+02:00")
c("bluesky", "@evi-zaltimbo.bsky.social", "nl",
  "Voor de crew in Gent: hotelboeking staat op naam van Tom Peeters, borg gaat naar "
  "<<IBAN_BE>>. Kamer 214, ontbijt vanaf 7u.", "pii", at="2026-09-24T18:18:00+02:00")
c("x", "@jolandabos_", "nl",
  "@zaltimbo_help voor de Stadspas-korting vroegen jullie m'n gegevens, hier: Jolanda Bos, "
  "BSN <<BSN>>, stadspasnummer 8812-044", "pii", at="2026-10-10T12:50:00+02:00", kind="reply")

# ---------------- pricing ----------------
c("x", "@zaltimbo", "nl",
  "🎪 Laatste kans! De Seizoenspas nu voor maar €24,90, alleen dit weekend! tickets.zaltimbo.nl",
  "pricing", at="2026-04-24T09:00:00+02:00", brand="Zaltimbo")
c("instagram", "@circuszaltimbo", "en",
  "Treat the whole family 🎉 Family Ticket for just €11.90 this week only! Link in bio",
  "pricing", at="2026-06-22T12:00:00+02:00")
c("x", "@jurre_koopjes", "nl",
  "uhh de VIP Pistezetel staat in de app voor €8,90?? prijsfout of expres? snel 6 besteld 😂",
  "pricing", at="2026-03-27T23:33:00+01:00")
c("reddit", "u/dealhunter_nl", "en",
  "Zaltimbo has the Bedrijfsvoorstelling listed at €1,250 instead of €12,500 on their site, "
  "someone forgot a zero lmao", "pricing", at="2026-09-03T08:08:00+02:00")
c("threads", "@noor.kassa", "nl",
  "collega's opgelet: prijsfout in het systeem bij de Nachtvlinder Diner & Show, de kassa rekent "
  "€12,90. Niet verkopen tot IT het gefixt heeft!", "pricing", at="2026-11-07T17:55:00+01:00")
c("x", "@marit_zaltimbo", "en",
  "whoops our webshop is selling the Acrobatiek Masterclass for €14.90 right now 🙈 grab it "
  "before finance notices", "pricing", at="2026-02-13T20:41:00+01:00")
c("tiktok", "@deal.daantje", "nl",
  "GA NU NAAR DE WEBSHOP: Zaltimbo hoodie voor €5,99!!! 🔥🔥 normaal 60 euro", "pricing",
  at="2026-10-24T16:06:00+02:00")
c("facebook", "Chris Whitfield", "en",
  "Is this a price error? The Sterrenval premiere ticket shows €6.90 on the Zaltimbo site and "
  "checkout actually goes through.", "pricing", at="2026-01-30T19:12:00+01:00")
c("x", "@ruudjongleert", "nl",
  "Backstage Tour voor €4,50 in de shop haha wie heeft dát ingesteld", "pricing",
  at="2026-07-17T11:49:00+02:00")
c("bluesky", "@bargain-bea.bsky.social", "en",
  "the Kinderfeest in de Piste package is €27.90 at the moment (should be like €279). booked "
  "two, let's see if they honour it", "pricing", at="2026-05-28T13:21:00+02:00")
c("facebook", "CircusZaltimbo", "nl",
  "Sinterklaasactie 🎁 Knuffeltijger Tito voor €2,49 (zolang de voorraad strekt)", "pricing",
  at="2026-11-25T10:00:00+01:00")
c("x", "@gadgetgert", "en",
  "Zaltimbo pricing glitch: LED juggling set is €0.35 at checkout 😂 ordered three",
  "pricing", at="2026-12-06T09:27:00+01:00")

# ---------------- benign (mostly hard negatives) ----------------
c("x", "@zaltimbo_help", "nl",
  "Vragen over je tickets? Mail tickets@zaltimbo.nl of bel 0900-9258 (ma-vr 9-17u). We helpen "
  "je graag! 🎪", at="2026-01-06T09:00:00+01:00")
c("facebook", "CircusZaltimbo", "en",
  "Paying the invoice for your Bedrijfsvoorstelling? Our bank details: <<PUBLIC_IBAN>> in the "
  "name of Zaltimbo Circus & Theater B.V. Questions: boekingen@zaltimbo.nl",
  at="2026-02-16T10:30:00+01:00")
c("x", "@lisa_loopt", "nl",
  "Sterrenval was echt een BOM 💣 die acrobaten, ik ging dood van de spanning. 10/10",
  at="2026-04-05T23:02:00+02:00")
c("tiktok", "@noah.wtchs", "en",
  "the fire breather literally set the tent on fire (not literally, relax) 🔥🔥 best show of "
  "the year #zaltimbo", at="2026-07-26T21:55:00+02:00")
c("instagram", "@femke_rijnders", "nl",
  "Update: de tickets zaten toch in de spam en @zaltimbo_help heeft ze binnen 10 minuten "
  "opnieuw gestuurd. Top service! 🙌", at="2026-03-12T21:30:00+01:00")
c("x", "@ellie_in_ams", "en",
  "Credit where it's due: Zaltimbo refunded our cancelled show within 48 hours, no questions "
  "asked. That's how it should work.", at="2026-10-25T12:44:00+02:00")
c("x", "@daan_ops", "nl",
  "Tip voor wie met de AWS CLI begint: zet nooit je echte keys in een script. Voorbeeld uit de "
  "docs: aws_access_key_id = AKIAIOSFODNN7EXAMPLE. Gebruik een profiel of SSO.",
  at="2026-06-03T08:15:00+02:00")
c("mastodon", "@sjoerd_tix", "en",
  "PSA: if your CI log prints something like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx your "
  "masking works. If it shows the real thing, rotate it.", at="2026-09-17T10:10:00+02:00")
c("x", "@zaltimbo", "nl",
  "Het is zover: KOMPASROOS 🧭🌹 onze nieuwe wereldtour vanaf 2028! Voorverkoop start 1 april "
  "via tickets.zaltimbo.nl", at="2027-03-15T10:05:00Z", brand="Zaltimbo")
c("linkedin", "zaltimbo-circus-theater", "en",
  "Our 2026 annual results are out: revenue up 18% and a record 1.1 million visitors. Full "
  "report on zaltimbo.com.", at="2027-02-26T08:00:00+01:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "nl",
  "Trots op onze jaarcijfers 2026, vanochtend gepubliceerd. Dank aan alle artiesten, crew en "
  "bezoekers!", at="2027-02-25T09:00:00+01:00")
c("instagram", "@circuszaltimbo", "nl",
  "Black Friday 🖤 20% korting op de Seizoenspas: nu €199,20 i.p.v. €249. Alleen t/m maandag!",
  at="2026-11-27T07:00:00+01:00")
c("x", "@zaltimbo", "en",
  "Early bird ✨ Sterrenval premiere tickets now €51.75 (25% off) until Sunday.",
  at="2026-01-09T12:00:00+01:00")
c("facebook", "Ingrid Post", "nl",
  "Is die €34,50 voor een standaardticket inclusief programmaboek of moet dat apart? 🤔",
  at="2026-03-08T14:02:00+01:00", kind="comment")
c("reddit", "u/gymmom_utrecht", "en",
  "Is the Acrobatiek Masterclass (€149) worth it for a 15-year-old who does gymnastics? Any "
  "reviews?", at="2026-05-12T20:20:00+02:00")
c("x", "@circuswereld_nl", "nl",
  "Circus Mirabelle maakt bekend dat er 25 banen verdwijnen na een slecht seizoen. Zwaar voor "
  "de hele sector. Sterkte allemaal.", at="2026-06-16T11:11:00+02:00")
c("bluesky", "@stagehand-sam.bsky.social", "en",
  "Thoughts with the crew of Cirque Vermillon after the fire at their winter quarters near "
  "Lyon. Hope everyone is safe. The Zaltimbo lot were among the first to offer help ❤️",
  at="2026-02-05T18:40:00+01:00")
c("threads", "@henk.wierda", "nl",
  "Wilde doneren aan de circusschool via de flyer van Zaltimbo, maar <<BAD_IBAN>> geeft bij "
  "mijn bank 'ongeldig rekeningnummer'. Typfout op de flyer?", at="2026-09-11T17:37:00+02:00")
c("reddit", "u/vouchervicky", "en",
  "Gift card code on my Zaltimbo voucher is <<BAD_CARD>>, where do I enter it at checkout? "
  "There's no voucher field on mobile.", at="2026-12-26T15:15:00+01:00")
c("x", "@ouder_van_tim", "nl",
  "Vraag: het inschrijfformulier voor de jeugdopleiding acrobatiek heeft een veld 'BSN "
  "(bijv. <<BAD_BSN>>)'. Is dat verplicht of mag ik het leeg laten?",
  at="2026-08-04T10:09:00+02:00")
c("x", "@ruudjongleert", "nl",
  "Onze koorddanser Mateo liep vanavond zonder balansstok over het koord. Kippenvel. 🎪",
  at="2026-05-23T23:30:00+02:00")
c("instagram", "@mama_van_zoë", "nl",
  "Mijn dochter heeft na de show een zeepaardje getekend dat op de trapeze zit 😂 kunstenaar in "
  "de dop #zaltimbo", at="2026-06-07T19:19:00+02:00")
c("x", "@jack_in_leiden", "en",
  "The clowns at Zaltimbo absolutely killed it today, my kids haven't stopped laughing 😂",
  at="2026-04-19T18:05:00+02:00")
c("x", "@zaltimbo_help", "en",
  "Planned maintenance: the ticket shop will be unavailable on Tuesday 10 Nov between 02:00 and "
  "04:00 CET. Thanks for your patience!", at="2026-11-06T16:00:00+01:00")
c("x", "@zaltimbo", "nl",
  "Let op: er gaan nepaccounts rond die 'gratis Zaltimbo-tickets' beloven. Wij vragen nooit om "
  "je wachtwoord of pincode. Twijfel? Mail info@zaltimbo.nl", at="2026-07-01T09:45:00+02:00")
c("linkedin", "yasmina-bouzid", "en",
  "We're hiring! 30 seasonal crew members for Winterpiste 2026. Apply via vacatures@zaltimbo.nl 🎪",
  at="2026-09-08T08:00:00+02:00")
c("x", "@digibeet_dirk", "nl",
  "Weer een datalek bij een grote webwinkel in het nieuws. Voor mijn Zaltimbo-account gebruik "
  "ik gelukkig een wachtwoordmanager, iedereen doen!", at="2026-03-24T07:30:00+01:00")
c("mastodon", "@sjoerd_tix", "en",
  "Reminder when filing bugs: paste tokens as `Bearer eyJ…[redacted]`, never the full thing. "
  "Thanks 🙏", at="2026-04-29T10:00:00+02:00")
c("x", "@sterrenvalfan", "nl",
  "Iemand nog 2 standaardtickets over voor Sterrenval Den Bosch zaterdag? Betaal gewoon de "
  "normale prijs, €34,50 p.p.", at="2026-10-14T18:50:00+02:00")
c("facebook", "Margaret O'Neill", "en",
  "The Nachtvlinder dinner show was worth every cent of the €129. Lovely food, and the aerial "
  "act during dessert 😍", at="2026-12-13T11:25:00+01:00", kind="comment")
c("instagram", "@circuszaltimbo", "nl",
  "Vandaag met de hele crew opgebouwd in Zwolle ⛺️ Morgen première van Sterrenval! Nog een paar "
  "kaarten via tickets.zaltimbo.nl", at="2026-04-30T18:00:00+02:00")
c("youtube", "@ZaltimboTV", "en",
  "Behind the scenes: how our riggers check every single bolt before each show. Safety first, "
  "always. 🎪🔧", at="2026-03-16T17:00:00+01:00")
c("x", "@oma_truus", "nl",
  "Die clown was zo dom dat het weer slim was 😂 mijn kleinzoon lag dubbel",
  at="2026-07-11T21:12:00+02:00")
c("x", "@ben_on_tour", "en",
  "Holy shit that trapeze act. How is that even legal. Absolutely bonkers, go see it.",
  at="2026-08-09T22:48:00+02:00")
c("facebook", "Sandra Mulder", "nl",
  "Veel dank aan de artiesten van Zaltimbo, gisteren de laatste voorstelling van het seizoen "
  "gezien en het was prachtig 💛", at="2026-12-21T10:05:00+01:00")
c("threads", "@ticket.talk", "en",
  "That lawsuit against the UK ticket reseller is wild. Glad Zaltimbo sells direct and doesn't "
  "do dynamic pricing.", at="2026-05-19T13:13:00+02:00")
c("x", "@zaltimbo", "nl",
  "Het Winterpiste dagticket kost €27,50, kinderen t/m 3 jaar gratis. Tot ziens in Utrecht! ❄️",
  at="2026-12-01T12:00:00+01:00")
c("instagram", "@papa.pim", "en",
  "These prices are a steal honestly, €39 for a 2-hour clowns workshop and my kid came home a "
  "new person 😂", at="2026-07-27T17:43:00+02:00")
c("x", "@carla_zegt", "nl",
  "Net gebeld met 0900-9258, binnen 2 minuten iemand aan de lijn die mijn stoelen omzette. Wat "
  "een verademing.", at="2026-02-27T11:36:00+01:00")
c("reddit", "u/careful_carl", "en",
  "Got an email asking me to pay a Zaltimbo group booking to <<BAD_IBAN>>. My bank app says the "
  "number is invalid, so I guess it's a scam? Their real account is on the website.",
  at="2026-10-03T09:51:00+02:00")
c("linkedin", "zaltimbo-circus-theater", "nl",
  "Trots: Zaltimbo heeft dit jaar het keurmerk Veilig Evenement ontvangen. Dank aan onze crew "
  "die elke dag scherp blijft! 🎪", at="2026-11-17T09:00:00+01:00")
c("x", "@daan_ops", "en",
  "TIL `export DATABASE_URL=postgres://user:password@localhost:5432/dev` in a README is how half "
  "the internet onboards. use a .env.example with placeholders, folks",
  at="2026-01-21T20:15:00+01:00")
c("mastodon", "@sjoerd_tix", "nl",
  "Wachtwoord vergeten van je Zaltimbo-account? Via tickets.zaltimbo.nl/wachtwoord-vergeten "
  "stuur je zelf een resetlink. Wij vragen het nooit via DM.", at="2026-05-07T12:00:00+02:00")
c("x", "@hobbycoder_ivo", "en",
  "the docs say use sk_test_... keys for testing, but does Zaltimbo even have a public API? "
  "want to build a little show calendar widget", at="2026-08-18T22:05:00+02:00")
c("tiktok", "@big.dave.dad", "en",
  "POV: your dad cries at the end of Glass Elephant 😭 (it's me, I'm the dad)",
  at="2026-03-02T21:50:00+01:00")
c("threads", "@lien.uit.lent", "nl",
  "Aanrader: neem een tribunekussen mee of koop er een (€12,95). Die banken zijn hard, verder "
  "echt een topavond", at="2026-06-13T23:00:00+02:00")
c("facebook", "Paul Hendry", "en",
  "Never again buying through that resale site, paid double and the seats were awful. Next time "
  "straight from Zaltimbo.", at="2026-04-16T20:30:00+02:00", kind="comment")
c("instagram", "@ilse.en.noor", "nl",
  "Mijn dochter draagt haar Glow Kroon al drie dagen non-stop 👑✨ zelfs in bed",
  at="2026-10-12T08:40:00+02:00")
c("x", "@zaltimbo_help", "en",
  "@jasper_kn So sorry to hear that! Please DM us your order number and we'll sort out your "
  "refund today.", at="2026-10-22T11:02:00+02:00", kind="reply")
c("x", "@yaraaa_03", "nl", "z4lt1mb0 w4s g3w3ld1g vandaag!!! 🤩🤩", at="2026-08-23T22:15:00+02:00")
c("linkedin", "koen-van-der-wal-zaltimbo", "en",
  "Pleased that Zaltimbo was named one of the fastest-growing cultural employers in the "
  "Netherlands, based on our published 2025 annual report.", at="2026-04-07T08:30:00+02:00")
c("x", "@stadspasser", "nl",
  "Met de Stadspas 10% korting op het gezinsticket, dus €107,10. Prima deal voor 4 personen",
  at="2026-10-10T13:05:00+02:00")
c("reddit", "u/meetup_maarten", "en",
  "Cool talk by a Zaltimbo engineer at the meetup about moving ticketing to the cloud. Slides "
  "only had placeholder keys like AKIAXXXXXXXXXXXXXXXX, good on them.",
  at="2026-11-26T22:00:00+01:00")
c("x", "@geduldig_gerard", "nl",
  "Eerlijk is eerlijk: de rij bij de ingang was lang, maar het personeel deelde gratis thee uit "
  "en de show begon precies op tijd. Chapeau Zaltimbo.", at="2026-12-29T21:45:00+01:00")
c("facebook", "Wim de Ruiter", "nl",
  "Vanochtend een brandweeroefening gezien bij de tent van Zaltimbo in Zwolle. Goed dat ze dat "
  "zo serieus nemen 👍", at="2026-04-29T12:30:00+02:00")
c("instagram", "@lotte.trapeze", "en",
  "Day 42 of tour: sore shoulders, happy heart. Thank you Eindhoven for the standing ovation 💫",
  at="2026-08-10T00:30:00+02:00")
c("reddit", "u/rigger_joost", "en",
  "AMA: I'm a rigger with a touring circus (Zaltimbo). Ask me anything about how we hang two "
  "tonnes of lights above a ring safely.", at="2026-02-28T19:00:00+01:00")
c("x", "@roos_reist", "en",
  "Just bought tickets for the Compass Rose tour 😍 2028 can't come soon enough",
  at="2027-04-02T20:00:00+02:00")
c("instagram", "@kees_en_ans", "nl",
  "Hoodie is binnen! 🎉 Bleek bij de koerier te liggen, Zaltimbo heeft het netjes opgelost en "
  "er een knuffeltijger bij gedaan voor de kleine.", at="2026-12-04T16:40:00+01:00")
c("tiktok", "@zaltimbo.piste", "nl",
  "Wie durft? 🤸 Inschrijving voor de Acrobatiek Masterclass van januari is open, €149 voor drie "
  "zaterdagen. Link in bio!", at="2026-11-30T18:00:00+01:00")


# --------------------------------------------------------------------------------------
# roles and severity (CONTRACT section 4)
# --------------------------------------------------------------------------------------
def norm_acct(s):
    return s.strip().lower()


CORP = {norm_acct(a) for a in PROFILE["accounts"]["corporate"]}
EMPL = {norm_acct(a) for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
SEV = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = norm_acct("%s:%s" % (platform, handle))
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9/+_\-])((?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]){12,30})")
CARD_RE = re.compile(r"(?<![\w\-/.:=])(\d{4}(?:[ -]\d{4}){3}|\d{13,19})(?![\w])")
BSN_RE = re.compile(r"(?i)(?:bsn|burgerservicenummer)\D{0,20}?(\d{9}|\d{4}\.\d{2}\.\d{3})(?!\d)")


def find_ibans(text):
    out = []
    for m in IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(1))
        out.append(compact[:IBAN_LEN[compact[:2]]])
    return [i for i in out if i not in PUBLIC_IBANS]


def find_cards(text):
    return [m.group(1) for m in CARD_RE.finditer(text)]


def find_bsns(text):
    return [m.group(1) for m in BSN_RE.finditer(text)]


def has_valid_checksum_id(text):
    return (any(iban_ok(i) for i in find_ibans(text)) or any(luhn_ok(x) for x in find_cards(text))
            or any(bsn_ok(x) for x in find_bsns(text)))


def expected_severity(cats, role, text):
    lvl = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                v = 3
                if cat in ("leak.secret", "leak.pricing"):
                    v = 4
                if cat == "leak.pii" and has_valid_checksum_id(text):
                    v = 4
            else:
                v = 2
        elif cat == "reputation.complaint":
            v = 2
        elif cat == "reputation.crisis":
            v = 3
        elif cat == "reputation.abuse":
            v = 3 if insider else 2
        else:
            raise AssertionError(cat)
        lvl = max(lvl, v)
    return SEV[lvl]


# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------
PH_RE = re.compile(r"<<([A-Z_]+)>>")


def fill(text):
    return PH_RE.sub(lambda m: GEN[m.group(1)](), text)


def make_id(platform, used):
    while True:
        if platform == "x":
            i = "x-%d" % rng.randint(10 ** 18, 10 ** 19 - 1)
        elif platform == "reddit":
            i = "reddit-t3_%s" % rchars(string.ascii_lowercase + string.digits, 7)
        elif platform == "youtube":
            i = "yt-Ugz%s" % rchars(ALNUM, 18)
        elif platform == "instagram":
            i = "ig-%d" % rng.randint(10 ** 16, 10 ** 17 - 1)
        else:
            i = "%s-%d" % (platform, rng.randint(10 ** 8, 10 ** 9 - 1))
        if i not in used:
            used.add(i)
            return i


def url_for(platform, handle, pid):
    h = handle.lstrip("@")
    if platform == "x":
        return "https://x.com/%s/status/%s" % (h, pid.split("-", 1)[1])
    if platform == "instagram":
        return "https://www.instagram.com/p/%s/" % pid.split("-", 1)[1]
    if platform == "reddit":
        return "https://www.reddit.com/comments/%s/" % pid.split("_", 1)[1]
    return None


def build():
    used = set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for idx in order:
        cs = CASES[idx]
        pid = make_id(cs["platform"], used)
        text = fill(cs["text"])
        post = {"id": pid, "platform": cs["platform"]}
        if cs["kind"] != "post" or rng.random() < 0.3:
            post["kind"] = cs["kind"]
        acct = {"handle": cs["handle"]}
        if cs["name"]:
            acct["display_name"] = cs["name"]
        post["account"] = acct
        post["text"] = text
        if rng.random() < 0.8:
            post["lang"] = cs["lang"]
        post["created_at"] = cs["at"]
        u = url_for(cs["platform"], cs["handle"], pid)
        if u and rng.random() < 0.6:
            post["url"] = u
        if cs["brand"]:
            post["brand"] = cs["brand"]
        role = role_of(cs["platform"], cs["handle"])
        cats = sorted(set(cs["cats"]))
        sev = expected_severity(cats, role, text) if cats else "none"
        out.append({"post": post, "expect": {"categories": cats, "severity": sev},
                    "_role": role, "_lang": cs["lang"]})
    return out


# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
        "reputation.spike"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRICE_RE = re.compile(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?euro")


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def parse_price(s):
    s = s.strip()
    if re.search(r"[.,]\d{3}$", s) or re.search(r"[.,]\d{3}[.,]", s):
        s = re.sub(r"[.,](?=\d{3}(?:\D|$))", "", s)
    return float(s.replace(",", "."))


def check(lines):
    problems = []

    def bad(i, msg):
        problems.append("case %d (%s): %s" % (i, lines[i]["post"].get("id"), msg))

    ids = set()
    prod_aliases = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            prod_aliases.append((a.lower(), p["list_price"]))
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    for i, case in enumerate(lines):
        raw = json.dumps({"post": case["post"], "expect": case["expect"]}, ensure_ascii=False)
        obj = json.loads(raw)
        post, exp = obj["post"], obj["expect"]
        if set(obj) != {"post", "expect"}:
            bad(i, "top-level keys")
        # post shape
        if not isinstance(post.get("id"), str) or not 1 <= len(post["id"]) <= 256:
            bad(i, "id")
        if post["id"] in ids:
            bad(i, "duplicate id")
        ids.add(post["id"])
        if post.get("platform") not in PLATFORMS:
            bad(i, "platform")
        if post.get("kind", "post") not in KINDS:
            bad(i, "kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            bad(i, "account.handle")
        if not isinstance(post.get("text"), str) or not post["text"]:
            bad(i, "text")
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            bad(i, "text too long")
        if not RFC3339.match(post.get("created_at", "")):
            bad(i, "created_at not RFC 3339")
        else:
            ts(post["created_at"])
        for f in ("lang", "url", "brand"):
            if f in post and not isinstance(post[f], str):
                bad(i, f)
        # expect shape
        cats = exp.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= CATS:
            bad(i, "categories")
        if "reputation.spike" in cats:
            bad(i, "spike on a single post")
        if exp.get("severity") not in SEV:
            bad(i, "severity")
        role = role_of(post["platform"], post["account"]["handle"])
        known = {a.split(":", 1)[1] for a in CORP | EMPL}
        if role == "public" and post["account"]["handle"].lower() in known:
            bad(i, "profile handle used on a platform where it is not registered")
        want = expected_severity(cats, role, post["text"]) if cats else "none"
        if exp["severity"] != want:
            bad(i, "severity %s != policy %s" % (exp["severity"], want))
        if not cats and exp["severity"] != "none":
            bad(i, "benign must be none")
        text = post["text"]
        if PH_RE.search(text):
            bad(i, "unfilled placeholder")
        # checksummed identifiers
        ibans, cards, bsns = find_ibans(text), find_cards(text), find_bsns(text)
        for x in ibans:
            if cats and not iban_ok(x):
                bad(i, "positive with failing IBAN %s" % x)
            if not cats and iban_ok(x):
                bad(i, "benign with valid IBAN %s" % x)
        for x in cards:
            if cats and not luhn_ok(x):
                bad(i, "positive with failing card %s" % x)
            if not cats and luhn_ok(x):
                bad(i, "benign with Luhn-valid number %s" % x)
        for x in bsns:
            if cats and not bsn_ok(x):
                bad(i, "positive with failing BSN %s" % x)
            if not cats and bsn_ok(x):
                bad(i, "benign with valid BSN %s" % x)
        if (ibans or cards or bsns) and cats and "leak.pii" not in cats:
            bad(i, "valid identifier but no leak.pii")
        # secrets well-formed
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if set(tok[4:]) == {"x"}:
                continue  # redacted documentation placeholder
            if not github_ok(tok):
                bad(i, "GitHub token CRC")
            if "leak.secret" not in cats:
                bad(i, "GitHub token without leak.secret")
        for tok in re.findall(r"AKIA\u200b?[A-Z2-7]{16}", text):
            if tok.endswith("EXAMPLE") or set(tok[4:]) == {"X"}:
                continue  # documentation sample / placeholder
            if "leak.secret" not in cats:
                bad(i, "AWS key id without leak.secret")
        for tok in re.findall(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
            hdr = json.loads(b64url_dec(tok.split(".")[0]))
            if "alg" not in hdr:
                bad(i, "JWT header without alg")
            if "leak.secret" not in cats:
                bad(i, "JWT without leak.secret")
        # embargo
        created = ts(post["created_at"])
        for emb in PROFILE["embargo"]:
            until = ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in text.lower() and created < until and "leak.confidential" not in cats:
                    bad(i, "embargo term %r before until without leak.confidential" % term)
        for cn in PROFILE["internal"]["codenames"]:
            if cn.lower() in text.lower() and "leak.confidential" not in cats:
                bad(i, "codename %r without leak.confidential" % cn)
        for d in PROFILE["internal"]["domains"]:
            if d.lower() in text.lower() and "leak.confidential" not in cats:
                bad(i, "internal domain %r without leak.confidential" % d)
        for mk in PROFILE["internal"]["markers"]:
            if mk.lower() in text.lower() and "leak.confidential" not in cats:
                bad(i, "marker %r without leak.confidential" % mk)
        # benign prices stay at or above the alert ratio of every product mentioned
        if "leak.pricing" not in cats:
            low = text.lower()
            mentioned = [lp for a, lp in prod_aliases if a in low]
            prices = [parse_price(a or b) for a, b in PRICE_RE.findall(text)]
            for lp in mentioned:
                for pr in prices:
                    if pr < ratio * lp and pr not in (1.20,):
                        bad(i, "price %.2f below %.0f%% of list %.2f without leak.pricing" %
                            (pr, ratio * 100, lp))
        if "leak.pricing" in cats:
            low = text.lower()
            if not any(a in low for a, _ in prod_aliases):
                bad(i, "pricing leak without a catalogue product")
        if 2027 < created.year or created.year < 2026:
            bad(i, "created_at outside 2026-2027")
    # mix
    n = len(lines)
    benign = sum(1 for x in lines if not x["expect"]["categories"])
    nl = sum(1 for x in lines if x["_lang"] == "nl")
    if not 170 <= n <= 180:
        problems.append("case count %d" % n)
    if not 55 <= benign <= 65:
        problems.append("benign count %d" % benign)
    if not 0.50 <= nl / n <= 0.60:
        problems.append("Dutch share %.2f" % (nl / n))
    y2027 = sum(1 for x in lines if x["post"]["created_at"].startswith("2027"))
    if not 1 <= y2027 <= 10:
        problems.append("2027 posts %d" % y2027)
    return problems


def main():
    lines = build()
    problems = check(lines)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for x in lines:
            fh.write(json.dumps({"post": x["post"], "expect": x["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check again
    with open(path, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    for x, y in zip(lines, reread):
        y["_lang"] = x["_lang"]
    problems += check(reread)
    counts = {}
    for x in lines:
        for cat in x["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    roles = {}
    for x in lines:
        if x["expect"]["categories"]:
            roles[x["_role"]] = roles.get(x["_role"], 0) + 1
    benign = sum(1 for x in lines if not x["expect"]["categories"])
    nl = sum(1 for x in lines if x["_lang"] == "nl")
    print("cases=%d benign=%d positives=%d nl=%d en=%d" % (len(lines), benign, len(lines) - benign,
                                                          nl, len(lines) - nl))
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("positive authors by role:", json.dumps(roles))
    for fam in ("leak.", "reputation."):
        r = {}
        for x in lines:
            if any(k.startswith(fam) for k in x["expect"]["categories"]):
                r[x["_role"]] = r.get(x["_role"], 0) + 1
        print("  %s* by role: %s" % (fam, json.dumps(r)))
    sevs = {}
    for x in lines:
        sevs[x["expect"]["severity"]] = sevs.get(x["expect"]["severity"], 0) + 1
    print("severities:", json.dumps(sevs))
    if problems:
        for p in problems:
            print("PROBLEM:", p, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
