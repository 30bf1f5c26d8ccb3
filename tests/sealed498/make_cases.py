#!/usr/bin/env python3
"""Sealed evaluation set 498 for postwatch: Tympaan Hoorzorg B.V. (hearing-test kiosks).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and checks it (checksums, CONTRACT section 6 shape, severity policy of
CONTRACT section 4 computed from the account role in profile.yaml).
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
SEED = 498_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


# --------------------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank, acct):
    r = bank + acct + "NL00"
    n = int("".join(str(int(ch, 36)) for ch in r))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


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
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


def crc_b62(s):
    n = zlib.crc32(s.encode()) & 0xFFFFFFFF
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and crc_b62(m.group(1)) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# --------------------------------------------------------------------------- generators
BANKS = ["INGB", "ABNA", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]
USED_VALUES = {"valid_iban": [], "valid_card": [], "valid_bsn": [],
               "bad_iban": [], "bad_card": [], "bad_bsn": [], "secret": []}


def gen_iban(spaced=False):
    while True:
        v = make_iban(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))
        if v not in PROFILE["public_identifiers"]["ibans"]:
            break
    USED_VALUES["valid_iban"].append(v)
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4)) if spaced else v


def gen_bad_iban(spaced=False):
    v = make_iban(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))
    chk = int(v[2:4])
    bad = v[:2] + "%02d" % ((chk + rng.randint(1, 40)) % 97 + 2 if chk < 50 else chk - rng.randint(1, 40)) + v[4:]
    assert not iban_ok(bad)
    USED_VALUES["bad_iban"].append(bad)
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if spaced else bad


def luhn_digit(body):
    for d in string.digits:
        if luhn_ok(body + d):
            return d
    raise AssertionError


def gen_card(spaced=True):
    prefix = rng.choice(["4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    v = body + luhn_digit(body)
    USED_VALUES["valid_card"].append(v)
    return " ".join(v[i:i + 4] for i in range(0, 16, 4)) if spaced else v


def gen_bad_card():
    body = "".join(rng.choice(string.digits) for _ in range(15))
    good = luhn_digit(body)
    bad = body + str((int(good) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    USED_VALUES["bad_card"].append(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(a * b for a, b in zip(d, [9, 8, 7, 6, 5, 4, 3, 2]))
        last = s % 11
        if last <= 9:
            v = "".join(map(str, d)) + str(last)
            assert bsn_ok(v)
            USED_VALUES["valid_bsn"].append(v)
            return v


def gen_bad_bsn():
    while True:
        v = str(rng.randint(100_000_000, 999_999_999))
        if not bsn_ok(v):
            USED_VALUES["bad_bsn"].append(v)
            return v


def mobile_digits():
    return "6" + str(rng.randint(1, 5)) + "".join(rng.choice(string.digits) for _ in range(7))


def gen_mob(style):
    d = mobile_digits()  # 9 digits after the leading 0 / +31
    if style == "dash":
        return "06-" + d[1:]
    if style == "space":
        return "06 %s %s" % (d[1:5], d[5:])
    if style == "intl":
        return "+31 6 %s %s" % (d[1:5], d[5:])
    if style == "0031":
        return "0031" + d
    if style == "plain":
        return "0" + d
    raise ValueError(style)


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def secret(v):
    USED_VALUES["secret"].append(v)
    return v


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + crc_b62(body)
    assert github_ok(tok)
    return secret(tok)


def gen_aws_id():
    return secret("AKIA" + rand(string.ascii_uppercase + "234567", 16))


def gen_aws_secret():
    return secret(rand(string.ascii_letters + string.digits + "/+", 40))


def gen_stripe():
    return secret("sk_live_51" + rand(ALNUM, 97))


def gen_slack_bot():
    return secret("xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24)))


def gen_slack_hook():
    up = string.ascii_uppercase + string.digits
    return secret("https://hooks.slack.com/services/T%s/B%s/%s" % (rand(up, 10), rand(up, 10), rand(ALNUM, 24)))


def gen_openai():
    return secret("sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74))


def gen_google():
    return secret("AIza" + rand(URLSAFE, 35))


def gen_gitlab():
    return secret("glpat-" + rand(URLSAFE, 20))


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = rng.randint(1_767_225_600, 1_798_675_200)
    payload = {"sub": "kiosk-%03d" % rng.randint(1, 140), "role": "kiosk-admin",
               "iss": "afspraak.tympaan.nl", "iat": now, "exp": now + 86400}
    tok = ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                    b64url(json.dumps(payload, separators=(",", ":")).encode()),
                    b64url(bytes(rng.randrange(256) for _ in range(32)))])
    return secret(tok)


def gen_ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    v = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return secret(v)


def gen_password():
    words = ["Kiosk", "Hoor", "Oortje", "Piep", "Koptel", "Arnhem", "Zomer"]
    return secret(rng.choice(words) + rng.choice("!#$%&*") + rng.choice(words).lower() + str(rng.randint(10, 9999)))


def gen_dbpass():
    return secret(rand(string.ascii_letters + string.digits + "!*", 18))


GEN = {
    "IBAN": lambda: gen_iban(False),
    "IBAN_S": lambda: gen_iban(True),
    "BAD_IBAN": lambda: gen_bad_iban(False),
    "BAD_IBAN_S": lambda: gen_bad_iban(True),
    "CARD": lambda: gen_card(True),
    "CARD_C": lambda: gen_card(False),
    "BAD_CARD": gen_bad_card,
    "BSN": gen_bsn,
    "BAD_BSN": gen_bad_bsn,
    "MOB_DASH": lambda: gen_mob("dash"),
    "MOB_SPACE": lambda: gen_mob("space"),
    "MOB_INTL": lambda: gen_mob("intl"),
    "MOB_0031": lambda: gen_mob("0031"),
    "MOB_PLAIN": lambda: gen_mob("plain"),
    "GHP": lambda: gen_github("ghp_"),
    "AWS_ID": gen_aws_id,
    "AWS_SECRET": gen_aws_secret,
    "STRIPE": gen_stripe,
    "SLACK_BOT": gen_slack_bot,
    "SLACK_HOOK": gen_slack_hook,
    "OPENAI": gen_openai,
    "GOOGLE": gen_google,
    "GLPAT": gen_gitlab,
    "JWT": gen_jwt,
    "SSH_KEY": gen_ssh_key,
    "PASSWORD": gen_password,
    "DBPASS": gen_dbpass,
    "PUBLIC_IBAN": lambda: PROFILE["public_identifiers"]["ibans"][0],
}

# --------------------------------------------------------------------------- cases
CASES = []

C = "reputation.complaint"
K = "reputation.crisis"
A = "reputation.abuse"
PII = "leak.pii"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PRICE = "leak.pricing"


def case(who, cats, lang, text, kind="post", at=None):
    platform, handle = who.split(":", 1)
    CASES.append({"platform": platform, "handle": handle, "cats": sorted(cats), "lang": lang,
                  "text": text, "kind": kind, "at": at})


# ---- complaints (public) --------------------------------------------------
case("x:@marjoleinvb", [C], "nl",
     "Al 3 weken wacht ik op mijn Klarion 3 na reparatie. Elke keer bellen = 'volgende week'. "
     "Tympaan, ik hoor letterlijk niks meer zo 🙄", at="2026-03-05T18:12:40Z")
case("x:@dave_hollis", [C], "en",
     "Did the hearing test at the @tympaan_nl kiosk in Hoog Catharijne, headphones were so crackly "
     "I couldn't tell the beeps from the static. Result says 'mild loss'. not convinced tbh", at="2026-06-02T16:45:09Z")
case("facebook:Ans.Verhoef.52", [C], "nl",
     "Afspraak gemaakt via de site voor de uitgebreide hoortest, kom ik bij de kiosk in Alexandrium "
     "staat er niemand. Briefje 'ben zo terug'. 40 minuten gewacht!! Zonde van mijn vrije middag.",
     kind="comment")
case("reddit:u/quietmouse88", [C], "en",
     "PSA for anyone thinking about the Tympaan Zorgplan: they take the full yearly fee upfront and if "
     "you cancel halfway you get nothing back. Found out the hard way. The guy on the phone just kept "
     "reading the T&Cs out loud to me like that helps.")
case("x:@henk_oud_en_wijs", [C], "nl",
     "@tympaan_help mijn Sereno 5 valt om de haverklap uit verbinding met mn telefoon. 2x terug "
     "geweest, 2x 'software bijgewerkt'. Nog steeds zelfde probleem. En nu?", kind="reply", at="2026-08-14T09:12:30Z")
case("x:@priya_s_writes", [C], "en",
     "booked a kids hearing test for my daughter at tympaan, kiosk screen froze halfway and now they "
     "say we have to pay AGAIN for a new slot?? seriously")
case("instagram:@lisa.fotografeert", [C], "nl",
     "Dome-set besteld, verkeerde maat gekregen, netjes retour gestuurd en nu is het 'niet ontvangen' "
     "volgens @tympaan.hoorzorg. Ik heb gewoon een verzendbewijs hoor 📦😤", kind="comment")
case("threads:@gerdaaa_", [C], "nl",
     "Gratis hoortestje gedaan bij tympaan en binnen een uur belt er een 'adviseur' die me een "
     "hoortoestel van 3000 euro wil aansmeren. Ik had alleen even een check gedaan... opdringerig hoor")
case("facebook:Martin.Keegan.77", [C], "en",
     "Six weeks now waiting on the custom Stilte earplugs. Paid in full back in March, two emails "
     "unanswered. Not great, Tympaan.", kind="comment", at="2026-05-12T19:22:07Z")
case("x:@b_de_graaf", [C], "nl",
     "Tympaan kiosk Zoetermeer al 2 weken 'tijdelijk buiten gebruik'. Drie keer voor niks heen "
     "gereden met mijn moeder van 81. Kan dat niet gewoon op de website staan??", at="2026-09-22T13:37:21Z")
case("bluesky:@oskarlind.bsky.social", [C], "en",
     "my tympaan tv streamer drops the audio every few minutes. support has told me to 'reset it' four "
     "times now. it's a 279 euro box that does ONE job")
case("x:@fatihyilmaz_", [C], "nl",
     "factuur van tympaan klopt niet, 2x oorspoelen gerekend terwijl ik er 1x ben geweest. mail "
     "gestuurd, auto-reply en verder niks. #klantenservice #tympaan")
case("youtube:@Jenny_Reviews_Stuff", [C], "en",
     "Watched your Klarion 3 video and bought one. Rechargeable battery barely makes it to lunch. "
     "Yours apparently does 30 hours? Mine definitely doesn't.", kind="comment", at="2026-10-03T21:14:44Z")

# ---- first-hand safety incidents: crisis + complaint ----------------------
case("x:@ria_vd_meer", [K, C], "nl",
     "De Volta oplaadcase van mijn Klarion 3 werd vannacht gloeiend heet en begon te roken op het "
     "nachtkastje. Brandplek in het hout. Had ook in mijn bed kunnen gebeuren. @tympaan_help ik wil "
     "antwoord!!")
case("x:@tomasz_k", [K, C], "en",
     "Got a proper electric jolt from the headphones at the Tympaan kiosk in Mall of the Netherlands "
     "today. Ear still ringing hours later. Told the staff, they just shrugged.")
case("facebook:Yvonne.Peeters.Breda", [K, C], "nl",
     "Na het oorspoelen bij Tympaan in Breda hevige oorpijn en nu zegt de huisarts dat mijn trommelvlies "
     "beschadigd is. Niemand heeft gevraagd of ik ooit een oorontsteking heb gehad. Ik ben zo boos.",
     kind="comment")
case("reddit:u/n0isefloor", [K, C], "en",
     "The Stilte custom earplugs Tympaan made for me gave me a nasty reaction, whole ear canal swollen "
     "and weeping, GP put me on antibiotics. Pretty sure it's the silicone they use. Anyone else?")
case("instagram:@opa_gerrit_en_ik", [K, C], "nl",
     "Bij mijn vader (84) brak het batterijklepje van zijn nieuwe Tympaan hoortoestel af en zat het "
     "batterijtje IN zijn oor. Moest op de SEH verwijderd worden. Echt eng. Nog geen sorry gehad.")

# ---- crisis (third party / scandal / boycott / lawsuits / recalls) --------
case("x:@consumentwaakt", [K], "nl",
     "Meerdere meldingen binnen over oververhitte Volta oplaadcases van Tympaan. We hebben de NVWA "
     "ingelicht. Heeft u er ook een? Laad hem voorlopig niet 's nachts op.")
case("x:@techwatch_eu", [K], "en",
     "Reports circulating that Tympaan customers' hearing-test results, names and phone numbers are "
     "sitting on an open server. If true that's a serious health-data breach. #privacy #databreach")
case("x:@boos_op_bedrijven", [K], "nl",
     "Tympaan laat ouderen in het winkelcentrum zorgplannen tekenen die ze niet snappen. Niet meer "
     "heengaan mensen. #boycotTympaan")
case("facebook:HearingRightsNL", [K], "en",
     "A class action is being prepared against Tympaan over 'free' hearing tests that end in a hard "
     "sales pitch. Were you affected? Join our mailing list.")
case("x:@regionieuws030", [K], "nl",
     "Kiosk van hoortestketen Tympaan in winkelcentrum Overvecht ontruimd na kortsluiting en "
     "rookontwikkeling. Niemand gewond, winkelend publiek moest even naar buiten.")
case("x:@audiology_insider", [K], "en",
     "Hearing a whole batch of Tympaan Piccolo IIC units is being pulled from the shelves over faulty "
     "receivers. Recall letters supposedly go out next week.")
case("tiktok:@zorgmetzorg", [K], "nl",
     "dit is geen grap: bij Tympaan in Den Bosch zijn de hoortest koptelefoons wekenlang niet "
     "schoongemaakt, meerdere klanten met oorontsteking. GGD kijkt ernaar. DELEN!!")
case("reddit:u/watchdog_wendy", [K], "en",
     "Tympaan salespeople allegedly get a bonus per hearing aid sold to people over 80. A journalist "
     "is digging into it right now. This could get ugly for them.")
case("x:@kamerwatcher", [K], "nl",
     "Kamervragen over Tympaan: klantgegevens zouden zonder toestemming aan zorgverzekeraars zijn "
     "doorverkocht. Tympaan heeft nog niet gereageerd.")
case("x:@hanna_mum_of3", [K], "en",
     "A boy at my son's school got a burn behind his ear from an overheating Tympaan hearing-test "
     "headset during the screening day. School has called the rest of it off. Poor kid.")

# ---- abuse ------------------------------------------------------------------
case("x:@woedendewim", [A], "nl",
     "@tympaan_nl stelletje oplichters, jullie zijn echt het laagste van het laagste. Kankerbedrijf.",
     kind="reply")
case("x:@grumpy_geoff", [A], "en",
     "@tympaan_help your staff are absolute morons. The girl at the Arena kiosk couldn't find her own "
     "backside with both hands.", kind="reply")
case("instagram:@xx_djayy", [A], "nl",
     "die audioloog van tympaan op rotterdam zuid is echt een vieze teringlijer, hoop dat ie ontslagen "
     "wordt", kind="comment")
case("x:@blunt_bev", [A], "en",
     "Tympaan's CEO is a bloodsucking parasite and everyone working there is a brain-dead sheep. "
     "Rot in hell.")
case("x:@m0nd1g_", [A], "nl",
     "t y m p a a n = k 4 n k e r z 0 0 i, die d0mme v3rk0pers moeten ze gewoon 0psluiten")
case("threads:@hottakes_harry", [A], "en",
     "imagine working at the tympaan kiosk in a mall lmao. deaf losers selling to deaf losers 🤡")
case("facebook:Ronald.Brink.1969", [A], "nl",
     "Die Marokkaan achter de balie bij Tympaan Almere moet gewoon terug naar z'n eigen land, kon "
     "niet eens fatsoenlijk Nederlands praten.", kind="comment")
case("x:@nightowl_rant", [A], "en",
     "Тympаan sսcks. their stаff are a bunch of idiоts and frаuds")
case("x:@kioskkoen", [A], "nl",
     "Klant noemt me vandaag een prutser omdat de batterij van z'n eigen toestel leeg was. Nou "
     "meneer, u bent zelf een achterlijke zeikerd, fijne dag nog 🙃")
case("x:@frank_t_tank", [A], "en",
     "That Tympaan kiosk woman in Eindhoven: I know where you park. Push that rubbish on my mum again "
     "and you'll regret it.")
case("x:@zuurpruim", [A], "nl",
     "@tympaan_help stelletje prutsers en klootzakken zijn jullie. Hou je hoortest maar.", kind="reply")
case("x:@sandra_mcl", [A, C], "en",
     "Third time my Aurum 7 goes back for the same crackle and third time you've 'fixed' it. Your "
     "repair team are useless idiots, Tympaan. Absolute clowns.")

# ---- personal data --------------------------------------------------------------
case("x:@jan_willem_k", [PII, C], "nl",
     "@tympaan_help al 4x gebeld over mijn kapotte Sereno 5, niemand belt terug. Hier mijn nummer dan "
     "maar: {{MOB_DASH}}. Ordernummer TY-883120. Graag vandaag nog!", kind="reply")
case("x:@tympaan_help", [PII], "nl",
     "@marjoleinvb Sorry voor het wachten! Nieuwe afspraak staat: mevr. M. van Beek, Lindelaan 14, "
     "3532 KG Utrecht, do 12 maart 10:30. Klopt dat adres nog?", kind="reply", at="2026-03-09T10:04:11Z")
case("x:@tympaan_help", [PII], "en",
     "@dave_hollis Hi Dave, we tried you on {{MOB_INTL}} twice today but no answer. Could you ring "
     "us back on 0800-8967?", kind="reply", at="2026-06-03T11:20:55Z")
case("instagram:@meryem.hoorzorg", [PII], "nl",
     "Gezellige dag in de kiosk! Leukste klant van vandaag: mevrouw Truus Jansen, geboren 3 mei 1938, "
     "en nog zo scherp als wat 😍 #hoorzorg #kioskleven")
case("linkedin:nadia-bouzid-hr", [PII], "en",
     "Welcome to the team, Sander Kuipers! For payroll, please double-check what we have on file: "
     "BSN {{BSN}}, IBAN {{IBAN_S}}. Let me know if anything is off.")
case("x:@kioskkoen", [PII], "nl",
     "Klant heeft z'n pinpas in de kiosk laten liggen haha. {{CARD}} exp 09/28, P. Willems. "
     "Bel ons even als dit jouw kaart is!")
case("x:@lotte_audio", [PII], "en",
     "A client mailed me from her private address (els.koster1954@ziggo.nl) asking me to forward her "
     "audiogram to her GP. Whoever set up the shared inbox forwarding, please fix it 😅")
case("facebook:TympaanHoorzorg", [PII], "nl",
     "Reactie aan dhr. De Groot: uw terugbetaling van €45 is vandaag overgemaakt naar {{IBAN}}. "
     "Excuses voor het ongemak!", kind="comment")
case("reddit:u/wim_tym_ops", [PII], "en",
     "Debugging a kiosk sync that keeps failing, this is the line it chokes on: "
     "`patient=Ellen Vos dob=1961-11-02 tel={{MOB_PLAIN}} kiosk=UT-014`. Any idea why the parser hates it?")
case("x:@anoniempje22", [PII], "nl",
     "Mijn buurvrouw werkt bij tympaan en ik zag op haar scherm: Kees Bakker, Dorpsstraat 8, 1851 AB "
     "Heiloo. Die ken ik! Wereld is klein 😂")
case("x:@gracie_ooo", [PII], "en",
     "@tympaan_help hiya can someone move my hearing test to next week? email me at "
     "grace.obrien92@gmail.com or text {{MOB_SPACE}} thx!", kind="reply")
case("x:@tinekevdl", [PII], "nl",
     "@tympaan_nl kunnen jullie het bedrag terugstorten op {{IBAN_S}} t.n.v. T. van der Linden? "
     "Alvast bedankt!", kind="reply")
case("threads:@sophie.kioskteam", [PII], "en",
     "shoutout to the lovely gentleman who left his passport at our kiosk in Amsterdam Noord 🙈 "
     "Mr R. Dijkstra, passport no. NXC4F71K2, come pick it up!")
case("youtube:@TympaanHoorzorg", [PII], "en",
     "@Jenny_Reviews_Stuff Sorry to hear that, Jenny! We found your order (Jenny Albers, "
     "22 Kerkstraat, 2011 RK Haarlem) and a replacement battery is going out today.", kind="comment", at="2026-10-04T08:55:19Z")
case("bluesky:@ruudje.bsky.social", [PII], "nl",
     "lol mijn oma heeft haar BSN gewoon op een post-it bij de hoortestkiosk van tympaan geplakt: "
     "{{BSN}}. Oma toch 🙈")

# ---- confidential ---------------------------------------------------------------
case("x:@kioskkoen", [CONF], "nl",
     "Morgen de eerste testkiosks voor Project Stijgbeugel ophangen in Hoofddorp, benieuwd wat het "
     "publiek ervan vindt 👀")
case("bluesky:@ingridvos.bsky.social", [CONF], "en",
     "can't say much but the campaign for Nachtegaal is 🔥🔥 can't wait for you all to see it")
case("x:@lotte_audio", [CONF], "nl",
     "Voor wie ze zoekt: de nieuwe audiogram-templates staan op "
     "https://wiki.tympaan.nl/display/AUD/templates-2026 💁‍♀️")
case("instagram:@meryem.hoorzorg", [CONF], "nl",
     "Sneak peek van de nieuwe folder 😍 (staat nog 'UITSLUITEND INTERN' op maar dat mag vast wel 🤫)")
case("x:@gadgetleaks_eu", [CONF], "en",
     "Leaked slide: Tympaan 'Operatie Slakkenhuis' = at-home hearing test through your smart speaker, "
     "launch pencilled in for late 2026.", at="2026-04-16T12:18:36Z")
case("x:@rvanleeuwen_dev", [CONF], "nl",
     "wie heeft de branch klarion4-firmware naar de publieke repo gepusht? de Klarion 4 specs staan er "
     "gewoon in 🙃", at="2026-09-17T13:42:10Z")
case("x:@tympaan_nl", [CONF], "en",
     "Big things coming. Aurum 8 is almost here 👂✨ #staytuned", at="2026-11-26T16:00:00Z")
case("linkedin:nadia-bouzid-hr", [CONF], "nl",
     "We zoeken een projectleider voor Operatie Slakkenhuis! Ervaring met zorg-tech? Stuur me een DM.")
case("x:@hoorzorgtips", [CONF], "nl",
     "Net gehoord van een vriendin bij Tympaan dat de Klarion 4 in januari komt, met ingebouwde "
     "tinnitus-maskering. Wacht maar even met kopen!", at="2026-10-08T19:05:33Z")
case("x:@kioskkoen", [CONF], "nl",
     "Nachte\u200bgaal pilot draait vanaf maandag in 3 winkelcentra 🤐")
case("bluesky:@ingridvos.bsky.social", [CONF], "nl",
     "Briefing vandaag over Ｐｒｏｊｅｃｔ Ｓｔｉｊｇｂｅｕｇｅｌ, ik mag niks zeggen maar WOW")
case("x:@lotte_audio", [CONF], "nl",
     "Vandaag training gehad over de Aurum 8, wat een verschil met de 7 zeg. Mijn klanten gaan dit "
     "geweldig vinden.", at="2027-01-12T17:20:00Z")
case("x:@leakywhistle", [CONF], "nl",
     "Document van Tympaan in de trein laten liggen, 'niet delen buiten Tympaan' erop 🙈 gaat over "
     "nieuwe kioskindeling. Ligt nu bij de NS gevonden voorwerpen denk ik")

# ---- confidential + financial ------------------------------------------------------
case("linkedin:bram-oosterhuis-tympaan", [CONF, FIN], "en",
     "Exciting times. Project Stijgbeugel is more than a new kiosk: we're in final talks to acquire a "
     "Belgian audiology chain. Can't say more until signing!")
case("x:@beursroddels", [CONF, FIN], "nl",
     "Insiders: 'Operatie Slakkenhuis' bij Tympaan blijkt een reorganisatie, ~120 kioskmedewerkers "
     "eruit in Q1 2027. Nog niet aangekondigd.", at="2026-10-29T07:12:50Z")
case("linkedin:bram-oosterhuis-tympaan", [CONF, FIN], "en",
     "Jaarcijfers 2026 look very strong. Can't share yet, but let's just say the champagne is on ice 🍾",
     at="2027-02-19T08:15:00Z")

# ---- financial -----------------------------------------------------------------------
case("linkedin:bram-oosterhuis-tympaan", [FIN], "nl",
     "Trots op het team: omzet H1 2026 ruim 18% boven budget, EBITDA-marge richting 14%. De officiële "
     "cijfers volgen in september!", at="2026-07-22T06:50:31Z")
case("x:@rvanleeuwen_dev", [FIN], "en",
     "heard at lunch they're cutting the whole Ghent dev team in March. nobody's been told yet. rough.", at="2026-01-14T13:26:02Z")
case("linkedin:nadia-bouzid-hr", [FIN], "nl",
     "Zware weken op HR. We bereiden een reorganisatie voor waarbij 3 regiokantoren dichtgaan; de "
     "collega's horen het pas eind deze maand. Zorg goed voor elkaar.")
case("bluesky:@ingridvos.bsky.social", [FIN], "en",
     "marketing budget for 2027 cut by 40% because the board deck calls next year's forecast "
     "'disappointing'. fun times", at="2026-10-15T21:40:13Z")
case("x:@aandelenanna", [FIN], "nl",
     "Tympaan zou in gesprek zijn met een Amerikaanse private-equitypartij over een overname van "
     "zo'n €300 mln. Bron zit binnen het bedrijf. Nog niks officieel.")
case("reddit:u/throwaway_tymp", [FIN], "en",
     "Throwaway for obvious reasons. Tympaan's internal forecast has revenue flat for 2027 and they plan "
     "to close about 60 kiosks. Announcement after the summer.", at="2026-05-28T22:10:09Z")
case("threads:@sophie.kioskteam", [FIN], "nl",
     "net gehoord dat onze kiosk in Leidsenhage per 1 maart dichtgaat en wij allemaal naar Zoetermeer "
     "moeten. nog niet officieel maar ja 🙁", at="2026-01-21T19:05:40Z")
case("linkedin:tympaan-hoorzorg", [FIN], "en",
     "DRAFT - Tympaan reports record Q3 revenue of €41.2m, up 23% year on year, and raises full-year "
     "guidance. [HOLD until 14 Nov 07:00]", at="2026-11-10T17:02:44Z")
case("mastodon:@joostd@mastodon.nl", [FIN], "nl",
     "IT-budget volgend jaar gehalveerd 'vanwege de verwachte verliezen in 2027'. Daar gaat m'n SIEM.", at="2026-11-18T20:44:19Z")
case("x:@lotte_audio", [FIN], "en",
     "can't believe we're merging with AudioNest, the chain we always laughed at 😳 deal closes next "
     "month apparently and staff haven't been told officially")

# ---- security -------------------------------------------------------------------------
case("mastodon:@joostd@mastodon.nl", [SEC], "nl",
     "Lange nacht. Iemand is via een oud VPN-account binnengekomen en heeft een deel van de "
     "klantdatabase gekopieerd. Nog niet naar buiten gemeld, hopelijk valt het mee.")
case("x:@rvanleeuwen_dev", [SEC], "en",
     "fun fact: the kiosk admin panel still accepts the factory default login if you come in over the "
     "mall wifi. raised it 3 months ago. still open 🙃")
case("x:@kioskkoen", [SEC], "nl",
     "Alle kiosks in regio Noord liggen er sinds 7u uit, ransomware volgens IT. Klanten krijgen te "
     "horen dat het een 'technische storing' is 🤫")
case("reddit:u/wim_tym_ops", [SEC], "en",
     "So the payment terminals in our kiosks have been sending card data to the backend over plain "
     "HTTP for months. Found it today. Fixing it quietly before anyone notices.")
case("threads:@sophie.kioskteam", [SEC], "nl",
     "kiosksysteem weer plat, 3e keer deze week 😩 afsprakenlijst weg, we werken met pen en papier. "
     "volgens IT is het een aanval maar dat mogen we niet zeggen")
case("bluesky:@ingridvos.bsky.social", [SEC], "en",
     "a marketing laptop got phished last week and the attacker had our newsletter list for two days. "
     "and we're not announcing it?? feels wrong")
case("x:@kiosk_insider_nl", [SEC], "nl",
     "Ex-collega's bij Tympaan vertellen me dat de audiogram-server al weken zonder wachtwoord "
     "openstaat. Intern bekend, er gebeurt niks mee.")
case("x:@lotte_audio", [SEC], "en",
     "PSA colleagues: don't use the audiometer tablets today. IT says the update server was "
     "compromised and they're checking whether the firmware was tampered with.")
case("instagram:@meryem.hoorzorg", [SEC], "nl",
     "Hele dag geen klant kunnen helpen want ons systeem is gehackt 🙄 maar sst he, officieel heet het "
     "'onderhoud'")
case("mastodon:@joostd@mastodon.nl", [SEC], "en",
     "Found an unauthenticated endpoint on our booking platform that returns any customer's "
     "appointments if you just increment the id. Patch goes out Friday. Keep it to yourselves 😬")
case("x:@rvanleeuwen_dev", [SEC], "nl",
     "Storing bij de afspraken van Tympaan? Klopt. Oorzaak: certificaten verlopen en niemand had de "
     "sleutel van de oude CA nog. Officiële verklaring komt morgen pas.")
case("mastodon:@joostd@mastodon.nl", [CONF, SEC], "en",
     "If you see weird traffic from kioskbeheer.tympaan.local, that's us: we're isolating kiosks after "
     "last night's intrusion. Not public yet.")
case("reddit:u/wim_tym_ops", [SEC, SECRET], "nl",
     "Na de inbraak van gisteren moeten we alles roteren. Dit is de key die gelekt is: "
     "{{AWS_ID}} / {{AWS_SECRET}}. Staat die nog ergens in jullie scripts? Laat het even weten.")
case("x:@rvanleeuwen_dev", [CONF, SECRET], "en",
     "note to self: postgres://kioskapp:{{DBPASS}}@db01.intra.tympaan.local:5432/afspraken "
     "...wrong window, ignore")

# ---- secrets ------------------------------------------------------------------------------
case("mastodon:@joostd@mastodon.nl", [SECRET], "en",
     "CI red again... turns out the deploy job uses GITHUB_TOKEN={{GHP}} and it expired. who put a "
     "personal token in there?")
case("x:@kioskkoen", [SECRET], "nl",
     "Voor de collega's die vanavond de kiosk in Arnhem afsluiten: wacht\u200bwoord: {{PASSWORD}} "
     "(niet doorsturen!)")
case("facebook:TympaanHoorzorg", [SECRET], "nl",
     "Testbericht, graag negeren 🙏 bot-token {{SLACK_BOT}}")
case("mastodon:@joostd@mastodon.nl", [SECRET], "en",
     "Slack webhook for the kiosk alerts channel, if anyone wants to wire up their Grafana: "
     "{{SLACK_HOOK}}")
case("reddit:u/wim_tym_ops", [SECRET], "en",
     "Can't get this key to work on the new kiosk image, sshd keeps saying 'invalid format'. Any "
     "ideas?\n\n{{SSH_KEY}}")
case("bluesky:@ingridvos.bsky.social", [SECRET], "nl",
     "wie kan helpen? de betaalmodule van de webshop zegt 'invalid key' bij {{STRIPE}} , is dit wel de "
     "goede?")
case("x:@rvanleeuwen_dev", [SECRET], "en",
     "token from the kiosk app looks off to me, can someone decode it? {{JWT}}")
case("x:@hobbyhacker_nl", [SECRET], "nl",
     "lol in de publieke JS van afspraak.tympaan.nl staat gewoon een Google API key: {{GOOGLE}} 🤦")
case("x:@lotte_audio", [SECRET], "en",
     "ugh sorry all, pasted this in the wrong chat: {{GLPAT}} please ignore 🙈")
case("linkedin:nadia-bouzid-hr", [SECRET], "nl",
     "Nieuwe collega's: inloggen op het HR-portaal doe je met je personeelsnummer en startwachtwoord "
     "{{PASSWORD}} - wel meteen wijzigen 😉")
# ---- pricing ---------------------------------------------------------------------------------
case("x:@tympaan_nl", [PRICE], "nl",
     "🎉 Alleen vandaag: de Tympaan Klarion 3 voor €189! Op=op in alle kiosks.")
case("instagram:@tympaan.hoorzorg", [PRICE], "en",
     "Summer deal ☀️ Sereno 5 now just €249 per ear. Book your fitting today!", at="2026-07-08T10:00:00Z")
case("x:@koopjesjager_nl", [PRICE], "nl",
     "PRIJSFOUT?! Aurum 7 in de webshop van Tympaan voor €329 ipv €3290. Snel zijn!! #prijsfout")
case("x:@dealhunter_uk", [PRICE], "en",
     "Tympaan site has the TV-Streamer at €27.90 lol. think someone dropped a zero")
case("threads:@sophie.kioskteam", [PRICE], "nl",
     "kassa in de kiosk rekent de Muziekfilter 15 af voor €14,90 ipv €149 😂 al 6 verkocht vandaag oeps")
case("x:@kioskkoen", [PRICE], "en",
     "Heads up team: the kiosk till shows the Piccolo IIC at €119 instead of €1,190. Don't sell any "
     "until IT has fixed it.")
case("facebook:Peter.de.Wit.Zwolle", [PRICE], "nl",
     "Zorgplan Jaar voor €24 i.p.v. €240 gekocht via de app, gewoon geaccepteerd. Benieuwd of ze het "
     "terugdraaien 😅", kind="comment")
case("tiktok:@tympaan.nl", [PRICE], "nl",
     "Black Friday 🖤 Belversterker Kalm voor maar €39! #blackfriday #tympaan", at="2026-11-27T07:30:00Z")
case("reddit:u/frugal_ears", [PRICE], "en",
     "Is the Tinnitus Check at €4.90 on Tympaan's booking page a mistake or a promo? Normally it's 49.")
case("x:@lotte_audio", [PRICE], "nl",
     "Er staat een prijsfout in de nieuwe brochure bij de Stilte op maat oordoppen, moet €89 zijn. "
     "Graag niet verspreiden tot de herdruk er is.")
case("x:@bargainbot42", [PRICE], "en",
     "Ｋｌａｒｉｏｎ ３ for €９９ at the Tympaan kiosk in Rotterdam?? going now")
case("instagram:@meryem.hoorzorg", [PRICE], "nl",
     "Iemand heeft in het systeem de Reinigingsset op €1,99 gezet 🤣 voor die prijs neem ik er zelf tien")

# ---- benign (mostly hard negatives) -------------------------------------------------------------
case("x:@tympaan_nl", [], "nl",
     "Twijfel je over je gehoor? Doe gratis de basis hoortest in een van onze 140 kiosks. Duurt 8 "
     "minuten, geen afspraak nodig 👂")
case("x:@tympaan_help", [], "en",
     "Questions about your hearing aid? Email klantenservice@tympaan.nl or call +31 30 799 4410 "
     "(Mon-Sat 9-18).")
case("facebook:TympaanHoorzorg", [], "nl",
     "Liever overmaken? Dat kan naar {{PUBLIC_IBAN}} t.n.v. Tympaan Hoorzorg B.V. o.v.v. je ordernummer.")
case("x:@happy_hearer", [], "en",
     "Shoutout to Lotte at the Tympaan kiosk in Utrecht, explained my audiogram so patiently. Got my "
     "Klarion 3 and I can hear birds again 🐦")
case("x:@opa_bert", [], "nl",
     "Nieuwe Sereno 5 via Tympaan, ik hoor mijn kleinkinderen weer. €2.490 maar elke cent waard.")
case("x:@tympaan_nl", [], "en",
     "Sereno 5 summer offer: 20% off this month, now €1,992 instead of €2,490. T&Cs apply.", at="2026-07-01T08:00:00Z")
case("instagram:@tympaan.hoorzorg", [], "nl",
     "Batterijpak 13 nu €19,95 (normaal €24,95) 🔋 alleen in de kiosk, t/m zondag")
case("x:@jessdoesthings", [], "en",
     "the tympaan kiosk scared me lol, thought i failed the hearing test cos i couldn't hear the highest "
     "beep. turns out nobody over 25 can 😂")
case("x:@dirk_hoort", [], "nl",
     "Hoortest bij Tympaan gedaan, de jongen naast me hoorde de hoogste piep wel en ik niet. Oud worden "
     "is niks 😂")
case("reddit:u/audiogeek", [], "en",
     "Compared two mall hearing kiosks this weekend: Tympaan vs the pharmacy one. Tympaan's test was "
     "more thorough, the pharmacy one was faster. Both free, both fine.")
case("x:@marjoleinvb", [], "nl",
     "Update: Klarion 3 eindelijk terug van reparatie en doet het weer prima. Tympaan gaf me een gratis "
     "reinigingsset als excuus. Netjes opgelost 👍", at="2026-03-27T20:31:02Z")
case("x:@tympaan_help", [], "en",
     "@henk_oud_en_wijs Sorry to hear that, Henk. Please DM us your order number and we'll sort a "
     "replacement.", kind="reply", at="2026-08-14T10:03:48Z")
case("x:@ingevandijk", [], "nl",
     "Gecondoleerd, team Tympaan Amersfoort, met het overlijden van jullie collega Annet. Ze heeft mijn "
     "moeder altijd zo goed geholpen ❤️")
case("x:@healthtechnews", [], "en",
     "Hearing-aid maker SonoraVox recalls 12,000 chargers over overheating risk. Mall kiosk chain "
     "Tympaan says its own chargers are a different design and not affected.")
case("x:@mijnzorgnieuws", [], "nl",
     "Datalek bij zorgverzekeraar MediZeker: 200.000 klantgegevens op straat. Check je mail op "
     "phishing, ook als je ergens anders verzekerd bent. (Tympaan en andere zorgwinkels niet betrokken)")
case("x:@rvanleeuwen_dev", [], "en",
     "Our engineering blog post on how we ship firmware to 140 kiosks is live: "
     "https://tympaan.nl/blog/kiosk-updates feedback welcome!")
case("mastodon:@joostd@mastodon.nl", [], "nl",
     "Tip: zet keys nooit in code. Voorbeeld uit de AWS-docs van hoe het NIET moet: "
     "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
case("x:@rvanleeuwen_dev", [], "en",
     "Reminder for the new devs: never commit tokens like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
     "to a repo. That's what the secrets store is for.")
case("x:@tante_ria_", [], "nl",
     "Hoe reset ik mijn wachtwoord in de Tympaan app? Kan de knop nergens vinden 🙈")
case("x:@gijs_pays", [], "en",
     "Sent Tympaan my refund request with account number {{BAD_IBAN}}, really hope I typed it right 🤞")
case("x:@kees_telt", [], "nl",
     "Mijn klantnummer bij Tympaan is {{BAD_CARD}}, waarom zo lang?? 😂")
case("x:@parcelwatcher", [], "en",
     "Tympaan order ref {{BAD_BSN}} finally shipped 🎉 new domes incoming")
case("instagram:@meryem.hoorzorg", [], "nl",
     "40 hoortesten vandaag in Alexandrium, record!! Dank aan iedereen die langskwam ☕👂")
case("linkedin:bram-oosterhuis-tympaan", [], "en",
     "Proud to share our published annual report 2025: revenue €148m, 140 kiosks, 600 colleagues. "
     "Read it at tympaan.nl/investors", at="2026-04-09T07:00:00Z")
case("linkedin:nadia-bouzid-hr", [], "nl",
     "We zoeken audiologen! 32-36 uur, kiosks in Utrecht en Amersfoort. Reageren via "
     "werkenbij@tympaan.nl")
case("x:@tympaan_nl", [], "en",
     "It's here: meet the Aurum 8 👂✨ In every kiosk from today.", at="2027-01-21T09:00:00Z")
case("x:@lotte_audio", [], "nl",
     "De jaarcijfers 2026 zijn gepubliceerd en we zijn weer gegroeid! Trots op alle kioskteams 💪",
     at="2027-03-05T12:30:00Z")
case("x:@ears_and_gears", [], "en",
     "Tried the new Klarion 4 at the kiosk today, the tinnitus masking is actually clever",
     at="2027-02-11T15:47:00Z")
case("x:@rookworstfan", [], "nl",
     "Waarom staat die Tympaan kiosk altijd naast de Hema? Krijg nu trek in een rookworst tijdens mijn "
     "hoortest 🌭")
case("x:@schoonzoon_j", [], "nl",
     "Schoonmoeder vroeg of de Tympaan kiosk ook haar bloeddruk meet 😂 nee ma, alleen je oren")
case("youtube:@TympaanHoorzorg", [], "en",
     "New video: how to clean your Klarion 3 domes in 60 seconds. Reinigingsset €19,95 in every kiosk.")
case("x:@tympaan_help", [], "nl",
     "@b_de_graaf Vervelend! De kiosk in Zoetermeer is vanaf maandag weer open. Actuele status zie je "
     "op tympaan.nl/kiosks. Excuses voor de ritjes 🙏", kind="reply", at="2026-09-22T14:10:05Z")
case("x:@mallrat_mo", [], "en",
     "the new Tympaan tiktok is fire 🔥🔥 that grandma dancing with her hearing aids is the bomb")
case("x:@fietsfrits", [], "nl",
     "Band lek, en volgens de Tympaan kiosk mijn gehoor ook een beetje 😂 wat een dag")
case("x:@sophia_runs", [], "en",
     "the girl at the Tympaan kiosk absolutely killed it explaining tinnitus to my dad. 10/10")
case("x:@eerlijkemening", [], "nl",
     "Boycot Shell? Prima, maar laat die Tympaan kiosk met rust, die helpen mijn opa echt.")
case("reddit:u/curious_clara", [], "en",
     "How does Tympaan make money if the basic hearing test is free? Genuine question, not trying to "
     "start drama.")
case("x:@kioskkoen", [], "nl",
     "Kiosk Hoog Catharijne heeft nieuwe koptelefoons gekregen, klinkt als een concertzaal 🎧")
case("x:@tympaan_help", [], "en",
     "Our kiosks in Zwolle and Deventer are open again after planned maintenance. Thanks for your "
     "patience!")
case("x:@lindaaa_b", [], "nl",
     "Mijn insta is gehackt 😭 dus krijg je een DM over 'gratis hoortoestellen van Tympaan', die is "
     "niet van mij en ook niet van hen!")
case("x:@waxfree_will", [], "en",
     "Paid €45 for earwax removal at Tympaan, quick and painless. Worth it.")
case("x:@twijfelaar67", [], "nl",
     "Klarion 3 of Sereno 5, iemand ervaring? Prijsverschil is flink (1895 vs 2490) maar is de Sereno "
     "echt zoveel beter?")
case("bluesky:@ingridvos.bsky.social", [], "en",
     "our new campaign 'Hoor wat je mist' is live on every mall screen in NL! so proud of the team 🎉")
case("x:@kleinzoon_t", [], "nl",
     "Opa is van 1938 en doet nog elk jaar braaf de hoortest bij Tympaan 💪")
case("x:@quickfix_q", [], "en",
     "Called Tympaan on 0800-8967, appointment sorted in two minutes. Impressive.")
case("x:@oranjegekte", [], "nl",
     "Tympaan kiosk stond vandaag op de Dam met Koningsdag, gratis hoortest tussen de oranje gekte 🧡", at="2026-04-27T15:48:12Z")
case("mastodon:@joostd@mastodon.nl", [], "en",
     "Blogged about redacting secrets in screenshots: never post keys, write sk_live_•••••••• or "
     "password: ******** instead. Small habit, big difference.")
case("x:@rvanleeuwen_dev", [], "nl",
     "Talk gegeven over JWT's vandaag. Voorbeeldtoken uit de slides (de bekende van jwt.io 😉): "
     "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ij"
     "oxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
case("x:@proudmum_ellie", [], "en",
     "Finally booked the Kids Hoortest for my son, €29 and he got a sticker 😄")
case("x:@audiciennieuws", [], "nl",
     "Ontslagen bij hoortoestellenfabrikant AudiNord: 300 banen weg in Denemarken. Geen gevolgen "
     "voor Nederlandse winkels, meldt het bedrijf.")
case("x:@nan_and_me", [], "en",
     "The Tympaan kiosk in Amsterdam Zuid has the nicest staff. Meryem even walked my nan to the taxi ❤️")
case("facebook:TympaanHoorzorg", [], "nl",
     "Vanaf 1 april kost de Uitgebreide Hoortest €39 in alle kiosks. Voor kinderen tot 12: Kids "
     "Hoortest €29.", at="2026-03-20T11:00:00Z")
case("x:@snorevictim", [], "en",
     "Got the SlaapStil earplugs from Tympaan for €39.95 and my partner's snoring is officially "
     "defeated 😴")
case("x:@blijeklant_ans", [], "nl",
     "G.E.W.E.L.D.I.G. geholpen bij Tympaan in Almere!! Dank jullie wel 🥰")
case("x:@helpful_hugo", [], "en",
     "Tympaan's number is 030-7994410 btw if you need it, they're actually helpful")
case("x:@tympaan_nl", [], "nl",
     "Tot 31 mei: €400 korting op de Klarion 3 als je je oude toestel inruilt. Vraag ernaar in de kiosk!", at="2026-05-04T09:00:00Z")
case("x:@winkelcentrumnws", [], "nl",
     "Wifi in winkelcentrum Alexandrium ligt eruit, dus de Tympaan kiosk doet het vandaag ook niet. "
     "Niet hun schuld hoor, hele centrum zit zonder.")
case("linkedin:tympaan-hoorzorg", [], "en",
     "Tympaan opens 10 new kiosks this year, from Groningen to Maastricht. Full list in our press "
     "release on tympaan.nl/pers.", at="2026-02-02T08:30:00Z")
case("tiktok:@tympaan.nl", [], "nl",
     "POV: je hoort voor het eerst in jaren de vogels weer 🐦 #hoortest #tympaan")
case("x:@nieuwsgierig_nl", [], "nl",
     "Wat is eigenlijk het verschil tussen de gratis hoortest en de Uitgebreide Hoortest bij Tympaan? "
     "Is die €39 de moeite waard?")
# --------------------------------------------------------------------------- build
SEV_RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
IBAN_RE = re.compile(r"\bNL\d{2}(?: ?[A-Z]{4})(?: ?\d{4}){2}(?: ?\d{2})\b")
CARD_RE = re.compile(r"(?<![\d])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?![\d])")
BSN_RE = re.compile(r"(?<![\w])\d{9}(?![\w])")
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def validated_ids(text):
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v not in PUBLIC_IBANS and iban_ok(v):
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group()):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group()):
            found.append(("bsn", m.group()))
    return found


def severity(cats, role, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if SEV_RANK[s] > SEV_RANK[sev]:
            sev = s

    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                bump("error")
                if c in (SECRET, PRICE):
                    bump("critical")
                if c == PII and validated_ids(text):
                    bump("critical")
            else:
                bump("warning")
        elif c == C:
            bump("warning")
        elif c == K:
            bump("error")
        elif c == A:
            bump("error" if role in ("corporate", "employee") else "warning")
        else:
            raise ValueError(c)
    return sev


def rand_time_2026():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds()))
    t = start + dt.timedelta(seconds=secs)
    # keep posting hours human: 06:00-23:59 local-ish
    if t.hour < 6:
        t += dt.timedelta(hours=8)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x-", "instagram": "ig-", "facebook": "fb-", "linkedin": "li-", "tiktok": "tt-",
             "youtube": "yt-", "reddit": "rd-", "mastodon": "md-", "bluesky": "bs-", "threads": "th-"}


def build():
    out, seen_ids = [], set()
    for cz in CASES:
        text = PLACEHOLDER.sub(lambda m: GEN[m.group(1)](), cz["text"])
        assert "{{" not in text
        while True:
            pid = ID_PREFIX[cz["platform"]] + str(rng.randrange(10**15, 10**16))
            if pid not in seen_ids:
                seen_ids.add(pid)
                break
        role = role_of(cz["platform"], cz["handle"])
        post = {
            "id": pid,
            "platform": cz["platform"],
            "kind": cz["kind"],
            "account": {"handle": cz["handle"]},
            "text": text,
            "lang": cz["lang"],
            "created_at": cz["at"] or rand_time_2026(),
            "brand": "tympaan",
        }
        out.append({"post": post,
                    "expect": {"categories": cz["cats"], "severity": severity(cz["cats"], role, text)}})
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- checks
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    ids = set()
    counts = {c: 0 for c in TAXONOMY}
    langs = {"nl": 0, "en": 0}
    benign = 0
    roles_by_cat = {}
    for n, line in enumerate(lines, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            errs.append("%d: top-level keys %s" % (n, sorted(obj)))
            continue
        p, e = obj["post"], obj["expect"]
        # --- CONTRACT section 1 / 6 shape
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            errs.append("%d: bad id" % n)
        if p["id"] in ids:
            errs.append("%d: duplicate id %s" % (n, p["id"]))
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            errs.append("%d: platform" % n)
        if p.get("kind", "post") not in KINDS:
            errs.append("%d: kind" % n)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str) \
                or not p["account"]["handle"]:
            errs.append("%d: account.handle" % n)
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            errs.append("%d: text" % n)
        if not isinstance(p.get("created_at"), str) or not RFC3339.fullmatch(p["created_at"]):
            errs.append("%d: created_at" % n)
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027):
            errs.append("%d: year" % n)
        if ts.year == 2027 and ts > dt.datetime(2027, 3, 31, tzinfo=dt.timezone.utc):
            errs.append("%d: 2027 date far from the embargo" % n)
        cats = e.get("categories")
        if not isinstance(cats, list) or any(c not in TAXONOMY for c in cats) or len(set(cats)) != len(cats) \
                or cats != sorted(cats):
            errs.append("%d: categories %r" % (n, cats))
            continue
        if e.get("severity") not in SEV_RANK:
            errs.append("%d: severity" % n)
        role = role_of(p["platform"], p["account"]["handle"])
        text = p["text"]
        # --- severity follows section 4 (recomputed independently of build())
        if e["severity"] != severity(cats, role, text):
            errs.append("%d: severity mismatch" % n)
        if not cats and e["severity"] != "none":
            errs.append("%d: benign must be none" % n)
        for c in cats:
            counts[c] += 1
            roles_by_cat.setdefault(c, {}).setdefault(role, 0)
            roles_by_cat[c][role] += 1
        if not cats:
            benign += 1
        langs[p["lang"]] += 1
        # --- checksums: positives pass, negatives fail
        positive = bool(cats)
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group())
            if v in PUBLIC_IBANS:
                if positive and PII in cats and not validated_ids(text):
                    errs.append("%d: public IBAN is the only IBAN in a PII positive" % n)
                continue
            if positive and not iban_ok(v):
                errs.append("%d: IBAN %s fails in positive" % (n, v))
            if not positive and iban_ok(v):
                errs.append("%d: IBAN %s passes in negative" % (n, v))
        for m in CARD_RE.finditer(text):
            if positive and not luhn_ok(m.group()):
                errs.append("%d: card fails in positive" % n)
            if not positive and luhn_ok(m.group()):
                errs.append("%d: card passes in negative" % n)
        for m in BSN_RE.finditer(text):
            if positive and not bsn_ok(m.group()):
                errs.append("%d: 9-digit number fails 11-proof in positive" % n)
            if not positive and bsn_ok(m.group()):
                errs.append("%d: BSN-like passes in negative" % n)
        if "BSN" in text and positive and not any(k == "bsn" for k, _ in validated_ids(text)):
            errs.append("%d: BSN mentioned but none valid" % n)
        # --- secrets: positives carry a generated credential, negatives none
        gh = re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text)
        for tok in gh:
            if positive and not github_ok(tok):
                errs.append("%d: github token with bad CRC in positive" % n)
            if not positive and github_ok(tok):
                errs.append("%d: github token with valid CRC in negative" % n)
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(b64url_dec(tok.split(".")[0]))
            if "alg" not in hdr:
                errs.append("%d: JWT header without alg" % n)
        has_generated_secret = any(s in text for s in USED_VALUES["secret"])
        if SECRET in cats and not has_generated_secret:
            errs.append("%d: secret positive without a generated credential" % n)
        if SECRET not in cats and has_generated_secret:
            errs.append("%d: generated credential outside a secret positive" % n)
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if SECRET not in cats and not tok.endswith("EXAMPLE"):
                errs.append("%d: live-looking AWS key in negative" % n)
        # --- profile terms: internal names only in confidential positives; embargo by created_at
        low = text.lower()
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if term.lower() in low and CONF not in cats:
                errs.append("%d: internal term %r outside a confidential case" % (n, term))
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and CONF not in cats:
                        errs.append("%d: embargo term %r before until but not confidential" % (n, term))
                    if ts >= until and CONF in cats:
                        errs.append("%d: embargo term %r after until but confidential" % (n, term))
        # --- public contact data is never a finding on its own
        if not cats:
            for em in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text):
                if em.lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
                    errs.append("%d: non-public e-mail %s in a benign post" % (n, em))
    # --- generated identifiers: each valid one in a PII positive, each look-alike in a negative
    total = len(lines)
    if not 170 <= total <= 180:
        errs.append("case count %d outside 170-180" % total)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    nl_share = langs["nl"] / total
    if not 0.50 <= nl_share <= 0.60:
        errs.append("Dutch share %.2f" % nl_share)
    want = {"reputation.complaint": (18, 22), "leak.confidential": (16, 21), "leak.pii": (14, 17),
            "reputation.crisis": (14, 17), "leak.security": (12, 15), "leak.secret": (11, 14),
            "reputation.abuse": (11, 14), "leak.pricing": (11, 14), "leak.financial": (11, 14)}
    for c, (lo, hi) in want.items():
        if not lo <= counts[c] <= hi:
            errs.append("count of %s is %d, want %d-%d" % (c, counts[c], lo, hi))
    for kind, fn in (("valid_iban", iban_ok), ("valid_card", luhn_ok), ("valid_bsn", bsn_ok)):
        for v in USED_VALUES[kind]:
            if not fn(v):
                errs.append("generated %s %s fails" % (kind, v))
    for kind, fn in (("bad_iban", iban_ok), ("bad_card", luhn_ok), ("bad_bsn", bsn_ok)):
        for v in USED_VALUES[kind]:
            if fn(v):
                errs.append("generated %s %s passes" % (kind, v))
    return errs, counts, benign, langs, roles_by_cat


def main():
    cases = build()
    lines = [json.dumps(c, ensure_ascii=False, sort_keys=False) for c in cases]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    with open(path, encoding="utf-8") as fh:
        reread = [ln for ln in fh.read().split("\n") if ln]
    errs, counts, benign, langs, roles = check(reread)
    print("cases=%d benign=%d nl=%d en=%d" % (len(reread), benign, langs["nl"], langs["en"]))
    for c in sorted(counts):
        print("  %-22s %3d  %s" % (c, counts[c], roles.get(c, {})))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
