#!/usr/bin/env python3
"""Build the sealed485 evaluation set (Lumeno Schoolfotografie, a fictional school
photography service). Deterministic: fixed seed, stdlib + PyYAML only.

Writes cases.jsonl next to this file and self-checks it:
  * every line is a valid CONTRACT section-6 case;
  * IBAN / card / BSN in positives pass their checksums, look-alikes in negatives fail;
  * generated credentials have the structure of the real ones (GitHub CRC-32, AWS, JWT ...);
  * severities are derived from CONTRACT section 4 and the account role in profile.yaml.
"""
import base64
import datetime as dt
import hashlib
import hmac
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
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(4852026)

DIG = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
B62 = DIG + UP + LOW                     # base-62 digit order 0-9A-Za-z
URLSAFE = string.ascii_letters + DIG + "_-"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- credentials
def base62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def github_token(prefix="ghp_"):
    body = rstr(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rstr(UP + "234567", 16)


def aws_secret():
    return rstr(string.ascii_letters + DIG + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_private_key():
    blob = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(390))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


def slack_bot_token():
    return f"xoxb-{rstr(DIG, 12)}-{rstr(DIG, 13)}-{rstr(string.ascii_letters + DIG, 24)}"


def stripe_live():
    return "sk_live_" + rstr(string.ascii_letters + DIG, 24)


def openai_key():
    return "sk-proj-" + rstr(URLSAFE, 64) + "T3BlbkFJ" + rstr(URLSAFE, 64)


def anthropic_key():
    return "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rstr(URLSAFE, 35)


def sendgrid_key():
    return "SG." + rstr(URLSAFE, 22) + "." + rstr(URLSAFE, 43)


def password(n=16):
    while True:
        p = rstr(string.ascii_letters + DIG + "!#$%&*?", n)
        if (any(c.isupper() for c in p) and any(c.islower() for c in p)
                and any(c.isdigit() for c in p) and any(c in "!#$%&*?" for c in p)):
            return p


# ---------------------------------------------------------------- identifiers
def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bban):
    n = int("".join(str(int(c, 36)) for c in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def nl_iban(bank):
    return make_iban("NL", bank + rstr(DIG, 10))


def de_iban():
    return make_iban("DE", rstr(DIG, 18))


def bad_iban(bank):
    good = nl_iban(bank)
    cd = int(good[2:4])
    for delta in (7, 13, 31, 3):
        cand = good[:2] + f"{(cd + delta - 2) % 97 + 2:02d}" + good[4:]
        if not iban_ok(cand):
            return cand
    raise RuntimeError("no bad iban")


def spaced(s, k=4):
    return " ".join(s[i:i + k] for i in range(0, len(s), k))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
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


def card(prefix, length=16):
    body = prefix + rstr(DIG, length - len(prefix) - 1)
    for c in DIG:
        if luhn_ok(body + c):
            return body + c
    raise RuntimeError


def bad_card(prefix):
    good = card(prefix)
    return good[:-1] + str((int(good[-1]) + 3) % 10)


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0 and s != "000000000"


def bsn():
    while True:
        head = str(rng.randint(1, 6)) + rstr(DIG, 7)
        r = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            return head + str(r)


def bad_bsn():
    good = bsn()
    cand = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(cand)
    return cand


def mobile():
    return "06" + str(rng.randint(1, 6)) + rstr(DIG, 7)


def fmt_mobile(m, style):
    if style == "dash":
        return m[:2] + "-" + m[2:]
    if style == "groups":
        return f"{m[:2]} {m[2:6]} {m[6:]}"
    if style == "intl":
        return f"+31 6 {m[2:6]} {m[6:]}"
    if style == "pairs":
        return f"({m[:2]}) " + " ".join(m[i:i + 2] for i in range(2, 10, 2))
    return m


def fw(s):
    """full-width letters"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441"}

# ---------------------------------------------------------------- generated values
G = {}
G["gh1"] = github_token("ghp_")
G["aws_id"] = aws_key_id()
G["aws_sec"] = aws_secret()
G["db_pw"] = password(20)
G["portal_pw"] = password(14)
G["slack"] = slack_bot_token()
G["jwt"] = jwt({"sub": "fotograaf_" + rstr(DIG, 5), "role": "photographer",
                "school_id": rng.randint(1000, 1999), "iat": 1761900000,
                "exp": 1761986400})
G["stripe"] = stripe_live()
G["sshkey"] = openssh_private_key()
G["openai"] = openai_key()
G["anthropic"] = anthropic_key()
G["google"] = google_key()
G["sendgrid"] = sendgrid_key()

G["iban_refund"] = nl_iban("INGB")
G["iban_self"] = nl_iban("ASNB")
G["iban_decl"] = nl_iban("RABO")
G["iban_de"] = de_iban()
G["card_self"] = card("4" + rstr(DIG, 5))
G["bsn_staff"] = bsn()
G["bsn_self"] = bsn()
G["mob1"] = mobile()
G["mob2"] = mobile()
G["mob3"] = mobile()
G["mob4"] = mobile()
G["mob5"] = mobile()

G["bad_iban"] = bad_iban("ABNA")
G["bad_card"] = bad_card("5" + str(rng.randint(1, 5)) + rstr(DIG, 4))
G["bad_bsn"] = bad_bsn()
G["bad_iban2"] = bad_iban("TRIO")
G["bad_card2"] = bad_card("4" + rstr(DIG, 5))

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- cases
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial",
    "security": "leak.security", "crisis": "reputation.crisis",
    "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}
CASES = []


def add(lang, platform, handle, text, cats=(), kind="post", when=None, meta=None, name=None):
    CASES.append(dict(lang=lang, platform=platform, handle=handle, text=text,
                      cats=[CAT[c] for c in cats], kind=kind, when=when,
                      meta=meta or {}, name=name))


# ======================= reputation.complaint (public) =========================
add("nl", "x", "@mamavan3_utrecht",
    "Al vijf weken wachten op de schoolfoto's van mijn dochter. Bestelling LU-2026-48812. "
    "Bij @lumeno_helpt krijg ik elke keer hetzelfde standaardmailtje terug 🙄 #lumeno",
    ["complaint"])
add("en", "facebook", "Rachel Okafor",
    "Opened the Lumeno envelope today and there's a completely different child in it. "
    "Lovely boy, not mine. Been on hold 40 minutes trying to get someone to sort it out.",
    ["complaint"], kind="comment")
add("nl", "instagram", "@jolanda.bakt",
    "@lumeno.schoolfoto serieus, op ALLE foto's heeft mijn zoon zijn ogen dicht en jullie "
    "fotograaf vond dat blijkbaar prima. €39,95 voor een Portretpakket met dichte ogen 😤",
    ["complaint"], kind="comment", meta={"price": ("LU-PORT", "€39,95", 39.95)})
add("en", "x", "@tiredmum_ams",
    "lumeno login code from the school flyer just says 'ongeldige code'. tried 3 browsers "
    "and my phone. order deadline is friday. fantastic.",
    ["complaint"])
add("nl", "facebook", "Erik Vos",
    "Dubbel afgeschreven voor de klassenfoto. Twee keer €18,50 eraf en na drie mails nog "
    "steeds geen geld terug. Slechte service hoor Lumeno.",
    ["complaint"], kind="comment")
add("en", "reddit", "u/dutchdad_83",
    "Anyone else's Lumeno canvas fade like crazy? Hung ours in the hallway, no direct sun, "
    "and 8 months later my daughter looks like a ghost. Support says it's 'normal wear'. "
    "It is not normal wear.",
    ["complaint"])
add("nl", "x", "@annekevdb",
    "naam van mn dochter verkeerd gespeld in het jaarboek deluxe. Fenna ipv Femna?? "
    "ze is er echt kapot van. lumeno zegt 'helaas kan herdrukken niet meer' 😡",
    ["complaint"])
add("en", "threads", "@sjoerd.k",
    "picked up the class photos today... every single kid is blurry except the teacher. "
    "how?? @lumeno.schoolfoto",
    ["complaint"])
add("en", "instagram", "@freckle.family",
    "The 'premium retouch' removed my daughter's freckles. HER FRECKLES. She's nine and "
    "now she asks me if they're ugly. I never even ticked that box @lumeno.schoolfoto",
    ["complaint"], kind="comment")
add("en", "x", "@bart_expat_nl",
    "Lumeno customer service is a joke. Chat closes at 4pm, nobody picks up the phone and "
    "their email is a no-reply address. #schoolphotos #neveragain",
    ["complaint"])
add("nl", "facebook", "Ilse de Boer",
    "Hele klas op de groepsfoto behalve onze Mees, die was die dag ziek. Inhaalmoment "
    "beloofd door Lumeno, nooit gekomen. En nu moeten we wel gewoon het hele pakket betalen?",
    ["complaint"], kind="comment")
add("en", "x", "@kwame_in_nl",
    "@lumeno_helpt it's been 'escalated' three times now. still no download link, still "
    "charged. ticket 773190. what exactly am I paying for",
    ["complaint"], kind="reply")

# complaint + abuse
add("nl", "x", "@woestevader",
    "Wat een kutbedrijf is Lumeno ook. 3 maanden geen foto's, geld weg, en dan nog een "
    "grote bek van die medewerker aan de telefoon. Stelletje prutsers.",
    ["complaint", "abuse"])
add("en", "facebook", "Dean Whitfield",
    "Lumeno you absolute clowns. Wrong photos, wrong name, wrong address. Whoever runs your "
    "printing is a complete moron.",
    ["complaint", "abuse"], kind="comment")
add("nl", "x", "@petra_h_1979",
    "@lumeno_helpt jullie zijn echt een stel incompetente idioten. 4e keer dat ik bel over "
    "dezelfde kapotte fotolijst en weer 'we komen erop terug'",
    ["complaint", "abuse"], kind="reply")

# complaint + crisis: first-hand safety incidents
add("nl", "facebook", "Sanne Mulder-Kok",
    "Onze peuter heeft een van de fotomagneten van Lumeno ingeslikt, het plaatje aan de "
    "achterkant liet gewoon los. Met spoed naar de SEH. Gelukkig is alles goed afgelopen "
    "maar ik ben woedend. Dit hoort NIET los te kunnen!!",
    ["crisis", "complaint"], kind="comment")
add("en", "x", "@hollyinhaarlem",
    "the lumeno photo mug literally cracked in half when I poured tea in it and now I've got "
    "a burn across my hand. first use. sending pics to their support, this is not ok",
    ["crisis", "complaint"])
add("nl", "instagram", "@mamavanjelle",
    "Op de fotodag viel het statief met die grote flitser van Lumeno om, recht op het hoofd "
    "van mijn zoon. Drie hechtingen. De fotograaf ging gewoon door met de volgende klas. "
    "Ik ben er klaar mee.",
    ["crisis", "complaint"])
add("en", "reddit", "u/grumpyhousedad",
    "Our Lumeno oak frame arrived, I hung it, and an hour later the glass slid out and "
    "shattered. My 4yo was standing right under it and has a cut on her arm. Isn't this "
    "supposed to be safety glass??",
    ["crisis", "complaint"])

# complaint + pii (customer exposes own data)
add("nl", "x", "@g_lammers",
    f"@lumeno_helpt nog steeds niks gehoord over mijn retour. Bel me gewoon terug op "
    f"{fmt_mobile(G['mob1'], 'dash')} of mail naar gerda.lammers62@ziggo.nl. Dit duurt "
    f"belachelijk lang.",
    ["complaint", "pii"], kind="reply")

# ======================= reputation.crisis =====================================
add("nl", "x", "@nieuwsuitamersfoort",
    "Op een basisschool in Amersfoort is tijdens de fotodag van Lumeno een studiolamp "
    "oververhit geraakt, een gordijn vatte vlam. School ontruimd, niemand gewond.",
    ["crisis"])
add("en", "x", "@privacy_parent",
    "Parents: BOYCOTT Lumeno. They've been handing school photos to an AI training company "
    "without consent. Don't sign the photo form this year. #boycottlumeno",
    ["crisis"])
add("nl", "facebook", "Ouderraad De Regenboog",
    "De oudervereniging stapt naar de rechter tegen Lumeno omdat klassenfoto's zonder "
    "toestemming in hun reclamefolder zijn gebruikt. Wordt vervolgd.",
    ["crisis"])
add("en", "x", "@consumerwatch_eu",
    "Lumeno is recalling its photo mugs after tests found lead in the glaze. If you "
    "ordered one this year, stop using it and check your inbox.",
    ["crisis"])
add("en", "x", "@worried_in_delft",
    "Is it true Lumeno had a data breach? People in our parents' chat say you could see "
    "kids from other schools in the app. #databreach #lumeno",
    ["crisis"])
add("en", "threads", "@jennyb_writes",
    "so the lumeno photographer at my nephew's school was apparently taking 'extra' "
    "pictures on his own phone. police involved, school suspended all photo days. sick to "
    "my stomach",
    ["crisis"])
add("nl", "x", "@onderwijsnoord",
    "Alle scholen van onze stichting stoppen per direct met Lumeno na het datalek. Terecht. "
    "Wie volgt? #stoplumeno",
    ["crisis"])
add("en", "linkedin", "marieke-schouten-privacy",
    "Interesting one for privacy folks: a complaint has been filed with the Dutch DPA "
    "against school photographer Lumeno over storing children's face templates without a "
    "clear legal basis. Worth following.",
    ["crisis"])
add("nl", "reddit", "u/zwollenaar",
    "Bericht in de Stentor: kind gewond geraakt door een omgevallen achtergrondsysteem bij "
    "een fotodag van Lumeno. Ouders overwegen aangifte.",
    ["crisis"])
add("en", "x", "@safekidsnl",
    "Lumeno's fridge magnets are a choking hazard and they know it. Three reports in our "
    "parents' group already. Stop ordering them until they fix it.",
    ["crisis"])
add("nl", "tiktok", "@juulvlogt",
    "schandalig dat lumeno nog steeds op scholen mag komen na dat gedoe met die fotograaf. "
    "teken de petitie!!! link in bio 🔗",
    ["crisis"], kind="comment")

# ======================= reputation.abuse ======================================
add("en", "x", "@rutger_r",
    "That Lumeno photographer is the grumpiest prick I've ever met. Try smiling yourself "
    "for once, mate.",
    ["abuse"])
add("en", "x", "@mad_about_photos",
    "@lumeno_helpt your chat girl Noor is a useless bitch, hope she gets fired",
    ["abuse"], kind="reply")
add("nl", "x", "@xxdennisxx",
    "Lumeno = kank" + CYR["e"] + "rbedrijf, " + CYR["o"] + "plichters allemaal",
    ["abuse"], meta={"evasion": "cyrillic"})
add("en", "x", "@th3r34ldave",
    "lumeno r 4ctu4l 1d10ts. fuck1ng sc4mm3rs, n3v3r 4g41n",
    ["abuse"], meta={"evasion": "leet"})
add("nl", "facebook", "Gerrit Smeenk",
    "L u m e n o = o.p.l.i.c.h.t.e.r.s en t.y.f.u.s.l.i.j.e.r.s",
    ["abuse"], kind="comment", meta={"evasion": "split"})
add("en", "instagram", "@notyourmom_ok",
    "imagine being so ugly you become a school photographer just to judge everyone else's "
    "kids 💀 lumeno staff in a nutshell",
    ["abuse"], kind="comment")
add("en", "youtube", "@RandomViewer221",
    "lumeno photographers are the biggest losers on earth, get a real job you pathetic "
    "creeps",
    ["abuse"], kind="comment")
add("nl", "x", "@marleen_flitst",
    "Vandaag wéér een moeder die vond dat haar kind 'niet goed belicht' was. Mens, je kind "
    "is gewoon lelijk, daar kan geen softbox tegenop 🙃",
    ["abuse"])
add("nl", "tiktok", "@sanne.fotografeert",
    "sommige moeders op fotodag zijn echt achterlijke wijven, sorry not sorry 💅",
    ["abuse"])

# ======================= leak.confidential =====================================
add("nl", "x", "@femke_vdlinden",
    "Kan niet wachten tot we Project Zilvermeeuw mogen laten zien. Ouders gaan dit zó gaaf "
    "vinden 📸✨ #teaser",
    ["confidential"])
add("en", "linkedin", "youssef-bakkali",
    "Proud of the ops team: the Kraanvogel pilot ran at 14 schools this month with zero "
    "reshoots. Next step is the national rollout in Q2.",
    ["confidential"])
add("en", "x", "@daan_lumeno",
    "anyone know why https://jira.lumeno-schoolfoto.nl/browse/FOTO-2291 takes 20 seconds "
    "to load today? 😅",
    ["confidential"])
add("nl", "instagram", "@lumeno.schoolfoto",
    "Sneak peek 👀 van onze Lumeno Flitsbox! Binnenkort op jouw school. #nieuw #fotodag",
    ["confidential"], when="2026-11-20T15:10:00+01:00")
add("en", "bluesky", "@noorvisser.bsky.social",
    "who else has Operatie Donkere Kamer meetings all day tomorrow? just me? ☕☕☕",
    ["confidential"])
add("nl", "threads", "@lotte.retouche",
    "Screenshotje van onze nieuwe retouchegids. Stond wel 'UITSLUITEND INTERN GEBRUIK' "
    "bovenaan maar het is zo'n mooi document 😂",
    ["confidential"])
add("en", "reddit", "u/oakleaf_mama",
    "My cousin works at Lumeno and showed me Smile Studio 2 - an app where parents pick the "
    "pose themselves before photo day? Apparently launching in January.",
    ["confidential"], when="2026-12-01T20:44:00+01:00")
add("en", "mastodon", "@wout_ops",
    "Backups now run on fotobak.lumeno.local, finally rid of that ancient NAS. Moved 40 TB "
    "of class photos in one weekend 💪",
    ["confidential"])
add("en", "instagram", "@kees.achterdelens",
    "Test shoot for Kraanvogel today. Can't say a thing yet but those new lights are 🔥",
    ["confidential"])
add("nl", "x", "@femke_vdlinden",
    fw("Kraanvogel") + " gaat de fotodag echt compleet veranderen, let maar op 🤫",
    ["confidential"], meta={"evasion": "fullwidth"})
add("en", "linkedin", "ingrid-hoekstra-lumeno",
    "Great offsite today on Project Zilver" + ZW + "meeuw. Board fully aligned, budget "
    "approved, now the hard part begins.",
    ["confidential"], meta={"evasion": "zerowidth"})
add("nl", "linkedin", "lumeno-schoolfotografie",
    "Vacature: Senior Backend Engineer voor het Kraanvogel-team. Je bouwt mee aan onze "
    "nieuwe print- en logistiekketen. Interesse? Reageer via de link.",
    ["confidential"])
add("en", "reddit", "u/bas_dev_nl",
    "Anyone hit this with libvips? our render job in "
    "git.lumeno-schoolfoto.nl/render/klasfoto-pipeline keeps OOMing on 50MP RAWs, "
    "8 GB container",
    ["confidential"])
add("en", "x", "@librarymouse",
    "someone left a doc in the library printer: 'LUMENO INTERNAL – school pricing strategy "
    "2027'. lol. should I bring this back or",
    ["confidential"])
add("nl", "bluesky", "@noorvisser.bsky.social",
    "Sm" + "il" + CYR["e"] + " Studio 2 is bijna klaar! We zoeken nog testers onder de collega's 🙋‍♀️",
    ["confidential"], when="2026-12-05T10:02:00+01:00", meta={"evasion": "cyrillic"})
add("nl", "instagram", "@hannekevdmeer",
    "Mijn schoonzus zit in een testpanel voor de Lumeno Flitsbox, een soort fotohokje voor "
    "in de aula? Klinkt eigenlijk best leuk",
    ["confidential"], kind="comment", when="2027-01-08T19:30:00+01:00")

# ======================= leak.financial ========================================
add("en", "linkedin", "ingrid-hoekstra-lumeno",
    "Closing the books on Q3: revenue down 12% year on year after three school boards "
    "moved photography in-house. Not public yet, but we'll be fine.",
    ["financial"])
add("nl", "x", "@daan_lumeno",
    "gerucht op kantoor: er gaan 35 fotografen uit en het hele team Noord wordt opgeheven. "
    "vanmiddag all-hands 😬",
    ["financial"])
add("en", "threads", "@lotte.retouche",
    "Just found out the whole retouching department is being moved to an agency in Portugal. "
    "We get to 'help shape the transition'. Great.",
    ["financial"])
add("nl", "x", "@buurman_theo",
    "Buurman werkt bij Lumeno: ze worden overgenomen door een Amerikaanse investeerder, "
    "deal is volgende maand rond. Zegt het voort (niet dus)",
    ["financial"])
add("en", "linkedin", "youssef-bakkali",
    "Autumn forecast just landed: we expect about 410k portrait orders, 18% under plan. "
    "Time to tighten our belts, team.",
    ["financial"])
add("en", "x", "@femke_vdlinden",
    "next year's marketing budget just got cut in half because this season's revenue was "
    "'disappointing' 🙃 good luck to us",
    ["financial"])
add("nl", "x", "@lumeno_nl",
    "@investeerder_jan Dank voor uw interesse! De verkoop van onze Belgische tak is nog niet "
    "afgerond, we melden ons zodra de handtekeningen staan.",
    ["financial"], kind="reply")
add("en", "reddit", "u/printlab_throwaway",
    "Throwaway. I work at one of Lumeno's print suppliers. They told us they're cutting 40% "
    "of their print volume next year and closing their Tilburg lab. Layoffs incoming.",
    ["financial"])
add("nl", "bluesky", "@noorvisser.bsky.social",
    "Klantenservice wordt per 1 maart uitbesteed. We horen het vandaag. 22 mensen. "
    "Geen woorden voor.",
    ["financial"])
add("en", "linkedin", "jasper-kuipers-finance",
    "Hearing from former colleagues that Lumeno's EBITDA will land around minus 2.1 million "
    "this year. Long before they tell anyone officially.",
    ["financial"])
add("en", "linkedin", "ingrid-hoekstra-lumeno",
    "Due diligence for Operatie Donkere Kamer wraps up next week. If all goes well we'll "
    "own our biggest Benelux competitor by spring.",
    ["financial", "confidential"])
add("nl", "x", "@daan_lumeno",
    "jaarcijfers 2026 zijn binnen en eh... laten we zeggen dat de bonus dit jaar een "
    "fotomok wordt 😂",
    ["financial", "confidential"], when="2027-02-10T16:25:00+01:00")

# ======================= leak.security =========================================
add("nl", "mastodon", "@wout_ops",
    "Iemand heeft sinds gisteren toegang tot onze upload-bucket, de logs staan vol met "
    "downloads van klassenfoto's vanaf een onbekend IP in het buitenland. Nog niet naar "
    "buiten gebracht, dus sst.",
    ["security"])
add("en", "x", "@daan_lumeno",
    "lol the parent portal shows you someone else's photos if you bump the order number in "
    "the URL by one. ticket's been open for 3 months",
    ["security"])
add("en", "reddit", "u/bas_dev_nl",
    "Our production photo CDN has been down for 6 hours and management wants support to "
    "tell parents it's 'scheduled maintenance'. Not how I'd handle it tbh.",
    ["security"])
add("nl", "bluesky", "@noorvisser.bsky.social",
    "Collega's klantenservice: niks zeggen over die phishingmail die gisteren vanuit ons "
    "eigen mailsysteem naar ouders ging. Officieel nog 'in onderzoek'.",
    ["security"])
add("en", "linkedin", "youssef-bakkali",
    "Rough night. Ransomware hit two machines in our Tilburg print lab and all orders are "
    "paused. Nothing goes out publicly until legal signs off.",
    ["security"])
add("nl", "x", "@lumeno_helpt",
    "@ouder_mila Excuses! Ons bestelsysteem ligt sinds vanochtend plat door een storing "
    "bij de betaalprovider, dat staat nog niet op de site. We hopen vanavond weer live te zijn.",
    ["security"], kind="reply")
add("en", "threads", "@lotte.retouche",
    "our retouch server got hacked three days ago so we're all working off our personal "
    "laptops now 🙈 don't tell anyone",
    ["security"])
add("en", "x", "@femke_vdlinden",
    "our newsletter tool just put 12,000 parents in CC instead of BCC. emergency meeting "
    "now. this will be everywhere tomorrow.",
    ["security"])
add("en", "x", "@pentest_pim",
    "Did a pentest for a school photographer (starts with L, ends in umeno 😉). "
    "Photographer passwords stored in plaintext in the database. They've known since June, "
    "still nothing fixed.",
    ["security"])
add("nl", "tiktok", "@sanne.fotografeert",
    "als je vandaag geen foto's kunt bestellen: de webshop is offline gehaald na een hack, "
    "wij mogen het officieel nog niet zeggen 🤐",
    ["security"])
add("en", "reddit", "u/itguy_utrecht",
    "My brother-in-law does IT at Lumeno. Says someone pulled the whole parent database last "
    "week and they still haven't notified the Autoriteit Persoonsgegevens.",
    ["security", "crisis"])
add("en", "x", "@daan_lumeno",
    "note to self: never deploy on a friday. fotodag planner down for all 1,200 schools "
    "since 15:00, DNS misconfig, nobody outside knows yet 🙃",
    ["security"])
add("nl", "mastodon", "@wout_ops",
    "Noodfix voor de storing op de uploadserver, keys hier zodat Bas erbij kan:\n"
    f"AWS_ACCESS_KEY_ID={G['aws_id']}\nAWS_SECRET_ACCESS_KEY={G['aws_sec']}",
    ["security", "secret"], meta={"secrets": [("aws", G["aws_id"])]})

# ======================= leak.secret ===========================================
add("nl", "x", "@daan_lumeno",
    f"kan iemand checken of deze token nog werkt voor de CI? {G['gh1']} ik krijg de hele "
    f"tijd 401",
    ["secret"], meta={"secrets": [("github", G["gh1"])]})
add("en", "reddit", "u/bas_dev_nl",
    "```\nDATABASE_URL=postgres://lumeno_app:" + G["db_pw"]
    + "@lumeno-prod.c7hx2qk9.eu-central-1.rds.amazonaws.com:5432/orders\n```\n"
    "why does Prisma keep timing out with this config?",
    ["secret"])
add("nl", "facebook", "LumenoSchoolfoto",
    "Beste schoolcoördinatoren, de inlog voor de fotodagplanner van deze week: "
    f"gebruikersnaam scholen_admin, wachtwoord: {G['portal_pw']} . Fijne dag!",
    ["secret"])
add("nl", "bluesky", "@noorvisser.bsky.social",
    f"Onze Slack-bot doet niks meer, token is {G['slack']} - iemand een idee?",
    ["secret"])
add("nl", "linkedin", "youssef-bakkali",
    f"Waarom krijg ik 'signature invalid' op dit token uit de fotografen-app? {G['jwt']}",
    ["secret"], meta={"secrets": [("jwt", G["jwt"])]})
add("en", "x", "@daan_lumeno",
    f"can someone test this for me real quick: curl https://api.stripe.com/v1/balance -u "
    f"{G['stripe']}:",
    ["secret"])
add("en", "mastodon", "@wout_ops",
    G["sshkey"] + "\nwhat permissions does this file need? ssh keeps complaining it's too open",
    ["secret"])
add("nl", "x", "@ex_lumeno_rob",
    f"Ex-Lumeno hier. Hebben mijn account nooit ingetrokken lol. De OpenAI key van de "
    f"retouchebot werkt ook nog steeds: {G['openai']}",
    ["secret"])
add("en", "threads", "@lotte.retouche",
    f"our caption generator runs on {G['anthropic']} and the yearbook blurbs are honestly "
    f"great 👌",
    ["secret"])
add("en", "reddit", "u/js_snooper",
    f"Found this in Lumeno's public JS bundle: const MAPS_KEY = \"{G['google']}\"; "
    f"no referrer restriction either",
    ["secret"])
add("en", "x", "@femke_vdlinden",
    f"reconnecting the newsletter tool, key for whoever picks this up: {G['sendgrid']}",
    ["secret"])

# ======================= leak.pii ==============================================
add("nl", "x", "@lumeno_helpt",
    "@papa_van_jip Hoi! We zien je bestelling op naam van J. de Wit, Lindelaan 14, "
    "3581 AB Utrecht. Klopt dat adres? Dan sturen we de foto's opnieuw.",
    ["pii"], kind="reply")
add("nl", "facebook", "LumenoSchoolfoto",
    f"Hoi Sandra, we hebben het bedrag teruggestort op {spaced(G['iban_refund'])} "
    f"(S. Verhoeven). Binnen 3 werkdagen op je rekening!",
    ["pii"], kind="comment", meta={"ids": [("iban", G["iban_refund"])]})
add("nl", "x", "@marleen_flitst",
    "Wie is de moeder van Lieke Brouwer (geb. 03-05-2017, groep 4 De Vlinderboom)? Ze heeft "
    "haar jas laten liggen bij de fotodag",
    ["pii"])
add("nl", "bluesky", "@noorvisser.bsky.social",
    f"Mevrouw die belde over de kapotte lijst: h.terpstra@kpnmail.nl / "
    f"{fmt_mobile(G['mob2'], 'groups')}. Wie pakt dit op? Mijn wachtrij zit vol",
    ["pii"])
add("nl", "linkedin", "youssef-bakkali",
    f"Onboarding nieuwe fotograaf: Mark Jansen, BSN {G['bsn_staff']}, start maandag in regio "
    f"Oost. Welkom Mark!",
    ["pii"], meta={"ids": [("bsn", G["bsn_staff"])]})
add("nl", "x", "@mirjam_w",
    f"Voor de zekerheid: betaald met {spaced(G['card_self'])}, exp 08/28, bestelling "
    f"LU-2026-55310. @lumeno_helpt kunnen jullie checken of de betaling binnen is?",
    ["pii"], kind="reply", meta={"ids": [("card", G["card_self"])]})
add("nl", "facebook", "Ruud Bakker",
    f"Lumeno vraagt mijn IBAN voor de terugbetaling, hier is 'ie: {G['iban_self']} t.n.v. "
    f"R. Bakker. Laat maar weten!",
    ["pii"], kind="comment", meta={"ids": [("iban", G["iban_self"])]})
add("nl", "instagram", "@lumeno.schoolfoto",
    f"@jolien.vd.berg Wat leuk dat je meedoet! We bellen je morgen even op "
    f"{fmt_mobile(G['mob3'], 'intl')} 😊",
    ["pii"], kind="comment")
add("en", "tiktok", "@sanne.fotografeert",
    "shoutout to Thijs Mulder (born 12 June 2015), best smile in all of Zwolle 😂📸",
    ["pii"])
add("en", "x", "@daan_lumeno",
    f"test export of the customer db is broken, row 1 = 'Esra Yilmaz;esra.yilmaz84@gmail.com;"
    f"{fmt_mobile(G['mob4'], 'plain')};Kerkstraat 9 Deventer'. why are the columns shifting?",
    ["pii"])
add("nl", "x", "@marloesdh",
    f"Wie heeft mijn gegevens nodig voor de nabestelling? Marloes de Haan, Beukenlaan 22, "
    f"7412 CK Deventer, tel {fmt_mobile(G['mob5'], 'pairs')}",
    ["pii"])
add("nl", "threads", "@lotte.retouche",
    f"Kan iemand de declaratie van Ahmed even overmaken naar {spaced(G['iban_decl'])}? Hij "
    f"wacht er al twee weken op",
    ["pii"], meta={"ids": [("iban", G["iban_decl"])]})
add("en", "x", "@oma_truus_nl",
    f"@lumeno_helpt your form wants a BSN for the grandparent discount? ok here: "
    f"{G['bsn_self'][:4]}.{G['bsn_self'][4:6]}.{G['bsn_self'][6:]} hope that's right",
    ["pii"], kind="reply", meta={"ids": [("bsn", G["bsn_self"])]})
add("nl", "linkedin", "lumeno-schoolfotografie",
    f"Welkom aan onze nieuwe collega Priya Ramdin! 🎉 Welkomstpakket gaat naar Vaartweg 88, "
    f"1217 SN Hilversum. Reiskosten graag naar haar rekening {spaced(G['iban_de'])}",
    ["pii"], meta={"ids": [("iban", G["iban_de"])]})

# ======================= leak.pricing ==========================================
add("nl", "x", "@dealjager_nl",
    "Canvas 60x80 voor €8,95 op de site van Lumeno?? Prijsfout lijkt me, heb er meteen drie "
    "besteld 😅",
    ["pricing"], meta={"price": ("LU-CAN68", "€8,95", 8.95)})
add("nl", "x", "@femke_vdlinden",
    "Oeps, het Familie-abonnement stond vanochtend een uur voor €7,90 in de shop in plaats "
    "van €79. Wie 'm gekocht heeft: gefeliciteerd 🙈",
    ["pricing"], meta={"price": ("LU-FAM", "€7,90", 7.90)})
add("nl", "instagram", "@lumeno.schoolfoto",
    "Alleen vandaag: Portretpakket Plus voor maar €4,99! 📸 Bestellen via de link in bio",
    ["pricing"], meta={"price": ("LU-PORT", "€4,99", 4.99)})
add("en", "reddit", "u/bargainbert",
    "PSA: Lumeno's Teamfoto Sportclub is listed at €14.90 instead of €149 if you order through "
    "the school code page. Somebody forgot a digit 😂",
    ["pricing"], meta={"price": ("LU-TEAM", "€14.90", 14.90)})
add("nl", "facebook", "Wilma Hendriks",
    "Jaarboek Deluxe voor 3,50 euro in de Lumeno app, is dat een foutje? Heb er maar meteen "
    "een voor alle opa's en oma's besteld",
    ["pricing"], kind="comment", meta={"price": ("LU-JBD", "3,50 euro", 3.50)})
add("en", "linkedin", "youssef-bakkali",
    "Heads up team: pricing error on the Galafoto Studiosessie in the B2C shop, it shows "
    "€6.90. Fix goes out tonight, do not honour new bookings.",
    ["pricing"], meta={"price": ("LU-GALA", "€6.90", 6.90)})
add("nl", "x", "@lumeno_nl",
    "Acrylblok 20x20 nu voor €9,95 🤩 Op = op!",
    ["pricing"], meta={"price": ("LU-ACR", "€9,95", 9.95)})
add("en", "x", "@glitchhunter",
    "lumeno price glitch on the Diplomafoto Pakket right now, €5.90 lol go go go",
    ["pricing"], meta={"price": ("LU-DIP", "€5.90", 5.90)})
add("nl", "tiktok", "@sanne.fotografeert",
    "collega's zeggen dat de fotopuzzel 500 per ongeluk op €2,75 staat haha bestel snel",
    ["pricing"], meta={"price": ("LU-PUZ", "€2,75", 2.75)})
add("en", "x", "@critical_shopper",
    "I don't get it, the Eiken Fotolijst 20x30 at Lumeno suddenly costs €3.29. Price error "
    "or clearance?",
    ["pricing"], meta={"price": ("LU-LIJST", "€3.29", 3.29)})
add("nl", "facebook", "LumenoSchoolfoto",
    "Kerstactie! 🎄 Fotokalender A3 voor €1,95 (normaal €22,95). Alleen dit weekend.",
    ["pricing"], meta={"price": ("LU-KAL", "€1,95", 1.95)})
add("en", "x", "@budgetmama",
    "is there a price mistake at lumeno? the digital bundle shows 0.99 in my cart",
    ["pricing"], meta={"price": ("LU-DIGI", "0.99", 0.99)})

# ======================= benign (hard negatives mostly) =======================
add("nl", "x", "@lumeno_helpt",
    "Vragen over je bestelling? Mail klantenservice@lumeno-schoolfoto.nl of bel 0800-5863 "
    "(ma-vr 8:30-17:00). We helpen je graag!")
add("nl", "facebook", "LumenoSchoolfoto",
    f"Liever betalen per overschrijving? Dat kan naar {spaced(PUBLIC_IBAN)} t.n.v. Lumeno "
    f"Schoolfotografie B.V., o.v.v. je bestelnummer.")
add("en", "x", "@proudmama_jo",
    "Wow, this year's Lumeno school photos are stunning. The photographer was so patient "
    "with our little wild one 😍")
add("en", "instagram", "@jessicaraises3",
    "The Lumeno photographer got my painfully shy son to laugh on camera for the first time "
    "EVER. Ordered the Portretpakket Plus without thinking twice ❤️", kind="comment")
add("nl", "instagram", "@lumeno.schoolfoto",
    "Herfstdeal 🍂 20% korting op alle canvassen: Canvas 30x40 nu €39,95 (was €49,95). "
    "Geldig t/m zondag.", meta={"price": ("LU-CAN34", "€39,95", 39.95)})
add("nl", "x", "@vraagjevanvera",
    "Wat kost een groepsfoto XL bij Lumeno eigenlijk? Juf zegt €18,50, klopt dat?",
    meta={"price": ("LU-GRXL", "€18,50", 18.50)})
add("en", "x", "@papa_pieter",
    "Photographer: 'say cheese!' My daughter: 'I HATE cheese'. Result: an absolute killer "
    "shot. Lumeno delivered again 😂")
add("en", "x", "@daan_lumeno",
    "reminder for the docs: use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
    "in examples, never real keys 🙏")
add("en", "reddit", "u/bas_dev_nl",
    "Set GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in your .env and the build "
    "picks it up. Don't commit it, obviously.")
add("nl", "x", "@tikfoutjes",
    f"Volgens mij heb ik bij Lumeno een tikfout in mijn rekeningnummer gemaakt: "
    f"{G['bad_iban']}. Dat klopt toch niet? Nu maar opnieuw invullen",
    meta={"lookalike": [("iban", G["bad_iban"])]})
add("nl", "facebook", "Koen Peters",
    f"Haha ik typte mijn kaartnummer verkeerd bij Lumeno: {spaced(G['bad_card'])}. Geen wonder "
    f"dat het niet lukte. Nu wel besteld 👍", kind="comment",
    meta={"lookalike": [("card", G["bad_card"])]})
add("nl", "reddit", "u/bas_dev_nl",
    f"Voor de devs: testnummer {G['bad_bsn']} in de validatietests faalt expres de elfproef. "
    f"Niet 'repareren' aub.", meta={"lookalike": [("bsn", G["bad_bsn"])]})
add("nl", "instagram", "@lumeno.schoolfoto",
    "Ze is er! 🎉 De Lumeno Flitsbox staat vanaf vandaag op 50 scholen. Zelf je foto maken in "
    "de aula 📸 #flitsbox", when="2027-01-20T09:00:00+01:00")
add("nl", "linkedin", "lumeno-schoolfotografie",
    "Vandaag publiceren we onze jaarcijfers 2026. Het volledige verslag lees je op "
    "lumeno-schoolfoto.nl/investors", when="2027-03-05T08:00:00+01:00")
add("nl", "x", "@stoerestijn",
    "Smile Studio 2 geprobeerd, mijn zoon mocht zelf z'n pose kiezen. Hij koos 'superheld'. "
    "Leuk gedaan Lumeno!", when="2027-01-25T18:40:00+01:00")
add("en", "x", "@mamaeline",
    "Update: Lumeno replaced the wrong photos within 2 days and threw in a free photo mug. "
    "Sorted, well done 👏")
add("nl", "facebook", "Judith Wolters",
    "Respect voor de fotografen van Lumeno. 400 kinderen op één ochtend en iedereen staat er "
    "leuk op. Ik zou gek worden.", kind="comment")
add("en", "linkedin", "tomas-brandt-retail",
    "Tough week in European photo retail: a large German print chain announced 300 job cuts "
    "today. Wishing everyone affected the best.")
add("en", "linkedin", "ingrid-hoekstra-lumeno",
    "Proud that our published 2025 annual report won a transparency award this week. "
    "Thank you to the whole finance team!")
add("nl", "x", "@marleen_flitst",
    "Fotodag op De Klimop. 23 kleuters, 0 tranen, 1 sokkenpop die meedeed. Beste baan van de "
    "wereld 🥰")
add("nl", "x", "@nonna_gerda",
    "Hoe reset ik mijn wachtwoord bij Lumeno? Ik wil de foto's van mijn kleinkinderen "
    "bestellen maar weet niet meer hoe het moet")
add("nl", "x", "@lumeno_helpt",
    "Wachtwoord vergeten? Via shop.lumeno-schoolfoto.nl/reset stel je in een minuut een nieuw "
    "wachtwoord in. Deel je wachtwoord nooit, ook niet met ons!")
add("nl", "x", "@lumeno_nl",
    "Gepland onderhoud: zondag 8 november tussen 02:00 en 04:00 is de webshop even niet "
    "bereikbaar. Actuele info op status.lumeno-schoolfoto.nl")
add("nl", "reddit", "u/slimme_ouder",
    "Life hack: neem de digitale bundel bij Lumeno en laat zelf afdrukken, scheelt je een hoop "
    "als je veel opa's en oma's hebt 😉")
add("nl", "tiktok", "@sanne.fotografeert",
    "pov: je bent schoolfotograaf en een kleuter vraagt of je camera gaat ontploffen als je "
    "flitst 💥😂")
add("nl", "facebook", "Herman Zijlstra",
    "Vroeger stond ik uren in de donkere kamer om foto's af te drukken. Nu komt Lumeno met een "
    "laptop op school en zie je ze dezelfde middag online. Andere tijden!", kind="comment")
add("nl", "linkedin", "lumeno-schoolfotografie",
    "We zoeken fotografen voor seizoen 2026/27 in regio Noord! Stuur je portfolio naar "
    "werkenbij@lumeno-schoolfoto.nl")
add("nl", "x", "@kerstfan_nl",
    "Lumeno heeft 15% korting op de kerstkaarten, set van 20 voor €20,40. Net besteld 🎄",
    meta={"price": ("LU-XMAS", "€20,40", 20.40)})
add("nl", "facebook", "VV Oranje Boys",
    "Dit jaar doen we de teamfoto sportclub bij Lumeno: €149 voor het hele team, valt reuze "
    "mee. Zaterdag 10:00 allemaal in tenue!", meta={"price": ("LU-TEAM", "€149", 149.0)})
add("en", "x", "@canvaslover",
    "Paid €89.95 for the 60x80 canvas from Lumeno and honestly worth every cent. The colours "
    "are gorgeous.", meta={"price": ("LU-CAN68", "€89.95", 89.95)})
add("nl", "x", "@vaderbezorgd",
    "Lumeno gevraagd hoe lang ze de foto's van mijn kinderen bewaren. Binnen een dag een "
    "duidelijk antwoord: een jaar, daarna verwijderd. Netjes.")
add("en", "x", "@teacherlife_nl",
    "Hot take: school photo day is the most chaotic day of the year. Shoutout to Lumeno for "
    "surviving our class of 31 gremlins")
add("nl", "bluesky", "@noorvisser.bsky.social",
    "Tip van klantenservice: zet je bestelnummer (LU-2026-...) altijd in de onderwerpregel, "
    "dan helpen we je twee keer zo snel 💬")
add("nl", "mastodon", "@wout_ops",
    "Nieuwe post op ons techblog: hoe we restore-oefeningen doen met onze back-ups. Geen "
    "geheimen, wel tips 🙂 lumeno-schoolfoto.nl/tech")
add("en", "x", "@venlo_lucas",
    "Saw the news about the fire at that printing company in Venlo. Thinking of all the "
    "staff and their families.")
add("en", "reddit", "u/threekidsnoregrets",
    "Is the Lumeno family plan worth it at €79 a year? We have 3 kids at two different "
    "schools.", meta={"price": ("LU-FAM", "€79", 79.0)})
add("nl", "x", "@kleinkind_trots",
    "Mijn moeder heeft fotomagneten van al haar kleinkinderen besteld, haar koelkast is nu een "
    "museum 😂")
add("nl", "x", "@lianne_030",
    "Lumeno klantenservice gebeld (030 760 2200), binnen vijf minuten geholpen. Chapeau.")
add("en", "x", "@dadjokes_daily",
    "The Lumeno photographer said 'cheese' about 4,000 times at my kid's school today and "
    "still had more energy than me")
add("nl", "x", "@esmee_examen",
    "Iemand ervaring met het diplomafoto pakket van Lumeno? €59 vind ik prima als het mooi "
    "wordt", meta={"price": ("LU-DIP", "€59", 59.0)})
add("en", "linkedin", "youssef-bakkali",
    "Ran a workshop on safe photo days for school staff today: tape down every cable, "
    "sandbags on every light stand, no exceptions. Safety first.")
add("nl", "x", "@gezinsbode",
    "Goed dat die speelgoedfabrikant zijn magneetspeeltjes terugroept. Check even je kasten, "
    "ouders.")
add("en", "x", "@catmom_eva",
    "Does Lumeno do pet photos? Asking for my extremely photogenic cat 🐈")
add("nl", "x", "@lumeno_nl",
    "Dank voor jullie geduld vorige week! De achterstand in leveringen is volledig ingehaald, "
    "alle bestellingen zijn onderweg 📦")
add("nl", "x", "@ouder_mila",
    "@lumeno_helpt dankjewel Noor, het is opgelost! Nieuwe foto's zijn binnen en ze zijn "
    "prachtig", kind="reply")
add("nl", "x", "@kerstmarktmijder",
    "Ik boycot dit jaar de kerstmarkt in het centrum, veel te druk. Wel de kerstkaarten van "
    "Lumeno besteld 😄")
add("en", "x", "@daan_lumeno",
    "JWT tip: header.payload.signature. Never paste a real one in a ticket, use "
    "eyJhbGciOi...<redacted> instead.")
add("en", "x", "@snelgeld",
    "Refund from Lumeno already landed on NL** **** **** **** 12. That was quick!")
add("nl", "instagram", "@kees.achterdelens",
    "Gouden uurtje, leeg schoolplein, zes kleuters in regenlaarzen. Soms maakt een foto "
    "zichzelf 📷")
add("en", "x", "@lastminutelou",
    "Ordered our Lumeno photos 5 minutes before the deadline. Living on the edge 😎")
add("en", "x", "@marketwatcher_eu",
    "Just read that a Belgian school photographer has been bought by a French group. "
    "Consolidation in this market keeps going.")
add("nl", "x", "@trotsepapa_ede",
    "De fotograaf van Lumeno zei tegen mijn zoon dat hij 'moordend goed' poseerde. Nu loopt "
    "hij de hele dag zo door het huis 😂")
add("nl", "threads", "@lotte.retouche",
    "Retouchetip: minder is meer. Sproetjes laten we gewoon staan, tenzij ouders er echt om "
    "vragen 💛")
add("en", "x", "@gdpr_nerd",
    "Lumeno's privacy page actually explains what they do with children's photos in plain "
    "language. Rare. Respect.")
add("nl", "x", "@koopjes_kim",
    "Fotomok van €14,95 naar €11,95 bij Lumeno, ideaal cadeautje voor de juf",
    meta={"price": ("LU-MOK", "€11,95", 11.95)})
add("nl", "threads", "@lumeno.schoolfoto",
    "Test je inlog alvast vóór de besteldeadline: je code staat op de kaart die je kind mee "
    "naar huis kreeg. Vragen? scholen@lumeno-schoolfoto.nl")
add("en", "x", "@daan_lumeno",
    "PSA: Stripe keys look like sk_live_... and should never show up in a screenshot. Blur "
    "them. Always.")
add("en", "youtube", "@LensTalkNL",
    "Great video! We had Lumeno at our school last month, the photographer used exactly this "
    "two-light setup", kind="comment")
add("nl", "x", f"@{'schoolmoeder'}_{'z'}",
    f"Pff, bijna mijn oude rekeningnummer gegeven bij Lumeno: {spaced(G['bad_iban2'])}. "
    f"Bestaat niet eens meer haha",
    meta={"lookalike": [("iban", G["bad_iban2"])]})
add("en", "x", "@randomtechie",
    f"this card number from a phishing mail I got today fails the Luhn check lol: "
    f"{G['bad_card2']}. amateurs. (not Lumeno related, just ranting)",
    meta={"lookalike": [("card", G["bad_card2"])]})


# ---------------------------------------------------------------- build
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in {a.lower() for a in PROFILE["accounts"][role]}:
            return role
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_id):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_id):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return SEV[lv]


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    d = start + dt.timedelta(days=rng.randint(0, 345), hours=rng.randint(5, 21),
                             minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


PFX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
       "threads": "th", "reddit": "rd", "bluesky": "bs", "mastodon": "md", "youtube": "yt"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    pid = f"{PFX[c['platform']]}-485-{n:04d}"
    post = {
        "id": pid,
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "created_at": c["when"] or rand_time(),
    }
    if rng.random() < 0.8:
        post["lang"] = c["lang"]
    if rng.random() < 0.6:
        post["brand"] = "Lumeno"
    if rng.random() < 0.5:
        post["url"] = f"https://social.example/{c['platform']}/{pid}"
    role = role_of(c["platform"], c["handle"])
    strong = any(t in ("iban", "card", "bsn") and v.replace(" ", "") != PUBLIC_IBAN
                 for t, v in c["meta"].get("ids", []))
    cats = sorted(set(c["cats"]))
    lines.append({"post": post,
                  "expect": {"categories": cats, "severity": severity(cats, role, strong)}})
    c["_post"] = post
    c["_role"] = role

OUT = os.path.join(HERE, "cases.jsonl")
with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# ---------------------------------------------------------------- self-checks
errors = []


def err(msg):
    errors.append(msg)


ZW_RE = re.compile("[\u200b-\u200f\u2060\ufeff]")
CYR_MAP = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p",
                         "\u0441": "c", "\u0445": "x", "\u0456": "i", "\u0443": "y"})


def norm(t):
    t = unicodedata.normalize("NFKC", t)
    t = ZW_RE.sub("", t).translate(CYR_MAP)
    return t.lower()


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{4}\.?\d{2}\.?\d{3}(?![\w.-])")


def valid_ids(text):
    found = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        if v != PUBLIC_IBAN and iban_ok(v):
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(0)):
            found.append(("card", m.group(0)))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


CHECK = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                     "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = set(CAT.values())
codenames = [x.lower() for x in PROFILE["internal"]["codenames"]]
markers = [x.lower() for x in PROFILE["internal"]["markers"]]
idomains = [x.lower() for x in PROFILE["internal"]["domains"]]
embargo = [([t.lower() for t in e["terms"]], parse_ts(e["until"])) for e in PROFILE["embargo"]]
products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]

# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        err(f"profile IBAN fails mod-97: {ib}")
for e in PROFILE["embargo"]:
    if not e["until"].startswith("2027"):
        err("embargo until not in 2027")

# re-read the file: the checks run on what was written
seen = set()
with open(OUT, encoding="utf-8") as fh:
    raw = [ln for ln in fh.read().split("\n") if ln]
if not 170 <= len(raw) <= 180:
    err(f"case count {len(raw)} outside 170-180")
by_id = {c["_post"]["id"]: c for c in CASES}
for ln in raw:
    obj = json.loads(ln)
    if set(obj) != {"post", "expect"}:
        err(f"bad top-level keys {obj.keys()}")
        continue
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen:
        err(f"bad/duplicate id {pid}")
    seen.add(pid)
    for f, typ in (("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), typ):
            err(f"{pid}: missing {f}")
    if p["platform"] not in ALLOWED_PLATFORMS:
        err(f"{pid}: platform {p['platform']}")
    if p.get("kind", "post") not in ALLOWED_KINDS:
        err(f"{pid}: kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(f"{pid}: account.handle")
    if len(p["text"].encode("utf-8")) > 65536:
        err(f"{pid}: text too long")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
                        p["created_at"]):
        err(f"{pid}: created_at not RFC 3339")
    ts = parse_ts(p["created_at"])
    if ts.year not in (2026, 2027):
        err(f"{pid}: year {ts.year}")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS:
        err(f"{pid}: categories {cats}")
    if e["severity"] not in SEV:
        err(f"{pid}: severity")
    if not cats and e["severity"] != "none":
        err(f"{pid}: benign with severity")
    if cats and e["severity"] in ("none", "info"):
        err(f"{pid}: positive with low severity")

    c = by_id[pid]
    text = p["text"]
    nt = norm(text)
    role = c["_role"]
    meta = c["meta"]
    strong = False
    # declared identifiers
    for t, v in meta.get("ids", []):
        if not CHECK[t](v):
            err(f"{pid}: positive {t} fails checksum: {v}")
        if t in ("iban", "card", "bsn"):
            strong = True
        if re.sub(r"\D", "", v) not in re.sub(r"\D", "", text) and v not in text.replace(" ", ""):
            err(f"{pid}: declared {t} not in text")
        if "leak.pii" not in cats:
            err(f"{pid}: identifier but no pii label")
    for t, v in meta.get("lookalike", []):
        if CHECK[t](v):
            err(f"{pid}: look-alike {t} passes checksum: {v}")
        if cats:
            err(f"{pid}: look-alike in a positive")
    found = valid_ids(text)
    if found and "leak.pii" not in cats:
        err(f"{pid}: valid identifier {found} without pii label")
    if "leak.pii" in cats and meta.get("ids") and not found:
        err(f"{pid}: declared identifier not detected by scan")
    if e["severity"] != severity(cats, role, strong):
        err(f"{pid}: severity mismatch")
    # credentials
    for t, v in meta.get("secrets", []):
        if t == "github" and not github_ok(v):
            err(f"{pid}: github token checksum")
        if t == "aws" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
            err(f"{pid}: aws key format")
        if t == "jwt" and not jwt_ok(v):
            err(f"{pid}: jwt header")
        if "leak.secret" not in cats:
            err(f"{pid}: secret without label")
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if github_ok(tok) != ("leak.secret" in cats):
            err(f"{pid}: github token / label mismatch")
    for tok in re.findall(r"AKIA[A-Z0-9]{16}", text):
        real = "EXAMPLE" not in tok and re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)
        if bool(real) != ("leak.secret" in cats):
            err(f"{pid}: aws key / label mismatch")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        if not jwt_ok(tok) or "leak.secret" not in cats:
            err(f"{pid}: jwt / label mismatch")
    if not cats:
        if re.search(r"PRIVATE KEY-----|sk_live_[A-Za-z0-9]{10}|xox[bp]-\d|sk-(proj|ant)-|"
                     r"AIza[0-9A-Za-z_-]{30}|SG\.[A-Za-z0-9_-]{20}|://[^\s:/]+:[^\s@]+@", text):
            err(f"{pid}: credential-looking string in benign")
        if re.search(r"wachtwoord\s*[:=]\s*\S", text, re.I) or re.search(r"password\s*[:=]\s*\S", text, re.I):
            err(f"{pid}: password in benign")
    # confidential triggers
    trig = any(k in nt for k in codenames + markers + idomains)
    emb_before = any(t in nt and ts < until for terms, until in embargo for t in terms)
    emb_after = any(t in nt and ts >= until for terms, until in embargo for t in terms)
    if (trig or emb_before) and "leak.confidential" not in cats:
        err(f"{pid}: confidential trigger without label")
    if "leak.confidential" in cats and not (trig or emb_before):
        err(f"{pid}: confidential label without trigger")
    if emb_after and cats:
        pass
    # pricing
    if "price" in meta:
        sku, shown, val = meta["price"]
        prod = products[sku]
        names = [prod["name"].lower()] + [a.lower() for a in prod["aliases"]]
        if not any(nm in nt for nm in names):
            err(f"{pid}: priced product not named in text")
        if shown not in text:
            err(f"{pid}: shown price not in text")
        low = val < ratio * prod["list_price"]
        if low != ("leak.pricing" in cats):
            err(f"{pid}: price ratio {val / prod['list_price']:.2f} vs label")
        if not low and not cats and val < 0.7 * prod["list_price"]:
            err(f"{pid}: benign sale deeper than 30%")
    elif "leak.pricing" in cats:
        err(f"{pid}: pricing label without declared price")
    for sku, prod in products.items():
        names = [prod["name"].lower()] + [a.lower() for a in prod["aliases"]]
        if any(nm in nt for nm in names) and "leak.pricing" not in cats:
            for m in re.finditer(r"€\s?(\d+)(?:[.,](\d{2}))?|(\d+)[.,](\d{2})\s?(?:euro|eur)\b", nt):
                whole = m.group(1) or m.group(3)
                cents = m.group(2) or m.group(4) or "0"
                amount = int(whole) + int(cents) / 100
                if amount < ratio * prod["list_price"]:
                    err(f"{pid}: low price {amount} near {sku} without pricing label")

# distribution
from collections import Counter

cat_count = Counter(c for ln in raw for c in json.loads(ln)["expect"]["categories"])
benign = sum(1 for ln in raw if not json.loads(ln)["expect"]["categories"])
nl = sum(1 for c in CASES if c["lang"] == "nl")
roles = Counter((c["_role"], bool(c["cats"])) for c in CASES)
if not 55 <= benign <= 65:
    err(f"benign count {benign}")
if not 0.50 <= nl / len(CASES) <= 0.62:
    err(f"dutch share {nl / len(CASES):.2f}")
if sum(1 for c in CASES if c["meta"].get("evasion")) < 5:
    err("too few evasion cases")
if sum(1 for c in CASES if c["_post"]["created_at"].startswith("2027")) < 3:
    err("too few 2027 cases")

print(f"wrote {len(raw)} cases to {OUT}: {benign} benign, {len(raw) - benign} positive, "
      f"nl share {nl / len(CASES):.2f}")
for k in sorted(cat_count):
    print(f"  {k:22s} {cat_count[k]}")
print("  roles:", dict(roles))
if errors:
    print("SELF-CHECK FAILED:")
    for m in errors:
        print("  -", m)
    sys.exit(1)
print("self-check OK")
