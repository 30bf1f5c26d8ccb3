#!/usr/bin/env python3
"""Build and self-check the sealed230 evaluation set (student housing, Rooftree).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
this file. Severities are computed from CONTRACT section 4 and the account role
in profile.yaml, never typed by hand.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
RNG = random.Random(230_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"

# --------------------------------------------------------------------------
# validators
# --------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


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


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def gh_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr])_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

# --------------------------------------------------------------------------
# generators (all from the seeded RNG)
# --------------------------------------------------------------------------

def rs(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def iban_check(country, bban):
    r = bban + country + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%02d" % (98 - n % 97)


def gen_iban():
    bank = RNG.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "BUNQ", "ASNB", "KNAB"])
    acct = rs(string.digits, 10)
    return "NL" + iban_check("NL", bank + acct) + bank + acct


def gen_bad_iban():
    good = gen_iban()
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + RNG.randint(1, 40)) % 97 or 3) + good[4:]
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def gen_card():
    prefix = RNG.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + rs(string.digits, 15 - len(prefix))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def gen_bad_card():
    good = gen_card()
    bad = good[:-1] + str((int(good[-1]) + RNG.randint(1, 9)) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [RNG.randint(1, 9)] + [RNG.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:  # last digit must equal s
            return "".join(map(str, d)) + str(s)


def gen_bad_bsn():
    while True:
        s = str(RNG.randint(1, 9)) + rs(string.digits, 8)
        if not bsn_ok(s):
            return s


def gen_phone(style):
    sub = rs(string.digits, 8)
    if style == 0:
        return "06-" + sub
    if style == 1:
        return "06 %s %s %s %s" % (sub[:2], sub[2:4], sub[4:6], sub[6:])
    if style == 2:
        return "+31 6 %s %s" % (sub[:4], sub[4:])
    if style == 3:
        return "+316" + sub
    return "06" + sub


def gen_github(prefix="ghp"):
    body = rs(ALNUM, 30)
    tok = prefix + "_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    assert gh_token_ok(tok)
    return tok


def gen_aws_id():
    return "AKIA" + rs(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rs(string.ascii_letters + string.digits + "/+", 40)


def gen_stripe():
    return "sk_live_51" + rs(string.ascii_letters + string.digits, 96)


def gen_slack():
    return "xoxb-%s-%s-%s" % (str(RNG.randint(1, 9)) + rs(string.digits, 10),
                              str(RNG.randint(1, 9)) + rs(string.digits, 11),
                              rs(string.ascii_letters + string.digits, 24))


def gen_openai():
    a = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rs(a, 48) + "T3BlbkFJ" + rs(a, 48)


def gen_anthropic():
    return "sk-ant-api03-" + rs(string.ascii_letters + string.digits + "_-", 93) + "AA"


def gen_google():
    return "AIza" + rs(string.ascii_letters + string.digits + "_-", 35)


def gen_glpat():
    return "glpat-" + rs(string.ascii_letters + string.digits + "_-", 20)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + RNG.randint(0, 30_000_000)
    payload = {"sub": "tenant-%d" % RNG.randint(10000, 99999), "role": "facility_admin",
               "building": "UTR-0%d" % RNG.randint(1, 9), "iat": iat, "exp": iat + 86400}
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(RNG.randrange(256) for _ in range(32)))
    return header + "." + body + "." + sig


def gen_ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(RNG.randrange(256) for _ in range(330))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


WORDS = ["Sleutelbos", "Fietsenrek", "Dakterras", "Wasmand", "Koffiekop", "Huismeester", "Kamerplant", "Regenjas"]


def gen_password():
    return RNG.choice(WORDS) + RNG.choice("!#$%&*?") + rs(string.digits, RNG.randint(2, 4)) + rs(string.ascii_lowercase, 2)


def gen_db_url():
    return "postgresql://rt_app:%s@rt-prod-db.c%s.eu-west-1.rds.amazonaws.com:5432/tenants" % (
        gen_password(), rs(string.ascii_lowercase + string.digits, 12))


def gen_passport():
    letters = "ABCDEFGHIJKLMNPQRSTUVWXYZ"  # no O in Dutch document numbers
    return rs(letters, 2) + rs(letters + string.digits, 6) + rs(string.digits, 1)


GENS = {
    "IBAN": gen_iban, "BADIBAN": gen_bad_iban, "CARD": gen_card, "BADCARD": gen_bad_card,
    "BSN": gen_bsn, "BADBSN": gen_bad_bsn, "GHP": gen_github, "AWSID": gen_aws_id,
    "AWSSECRET": gen_aws_secret, "STRIPE": gen_stripe, "SLACK": gen_slack, "OPENAI": gen_openai,
    "ANTH": gen_anthropic, "GOOG": gen_google, "GLPAT": gen_glpat, "JWT": gen_jwt,
    "SSHKEY": gen_ssh_key, "PW": gen_password, "DBURL": gen_db_url, "PASSPORT": gen_passport,
    "PHONE0": lambda: gen_phone(0), "PHONE1": lambda: gen_phone(1), "PHONE2": lambda: gen_phone(2),
    "PHONE3": lambda: gen_phone(3), "PHONE4": lambda: gen_phone(4),
}
# display transforms applied after generation
DISPLAY = {"IBANS": ("IBAN", spaced), "CARDS": ("CARD", spaced), "BADCARDS": ("BADCARD", spaced),
           "BADIBANS": ("BADIBAN", spaced)}
VALUES = {}          # (kind, key) -> raw value
USED = []            # per case: list of (kind, raw)


def fill(text):
    used = []

    def rep(m):
        kind, key = m.group(1), m.group(2)
        base, fmt = DISPLAY.get(kind, (kind, lambda v: v))
        if (base, key) not in VALUES:
            VALUES[(base, key)] = GENS[base]()
        raw = VALUES[(base, key)]
        used.append((base, raw))
        return fmt(raw)

    out = re.sub(r"<<([A-Z0-9]+):([a-z0-9]+)>>", rep, text)
    return out, used

# --------------------------------------------------------------------------
# case table
# --------------------------------------------------------------------------

CAT = {
    "complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security",
}
CASES = []


def C(cats, platform, handle, text, lang, when=None, kind="post", price=None, name=None):
    CASES.append(dict(cats=[CAT[c] for c in cats.split("+")] if cats else [], platform=platform,
                      handle=handle, text=text, lang=lang, when=when, kind=kind, price=price,
                      display_name=name))

# ---------------------------------------------------------------- complaints
C("complaint", "x", "@lisa_studeert",
  "@rooftree_help al DRIE weken staan 2 van de 4 wasmachines in gebouw C op 'defect'. ticket 3x aangemaakt, niks gehoord. we betalen wel gewoon voor die Wascard hoor 🙃", "nl")
C("complaint", "x", "@tijmenvdl",
  "4 maanden na uitchecken nog steeds geen borg terug. €1.200 (!) die gewoon bij jullie op de rekening staat. mailtjes worden beantwoord met 'we kijken ernaar'. @rooftree_help serieus?", "nl", kind="reply")
C("complaint", "instagram", "@fleurtjeee",
  "leuke foto's maar bij ons is de verwarming al sinds vrijdag kapot en het is 14 graden in m'n kamer 🥶 kan er iemand langskomen ajb", "nl", kind="comment", when="2026-01-26T21:10:00Z")
C("complaint", "reddit", "u/throwaway_huurder",
  "Rooftree wifi in the Eindhoven building drops every evening between 8 and 11. Literally when everyone needs it. Support keeps telling me to restart my router. I don't HAVE a router, it's your network.", "en")
C("complaint", "facebook", "mo.elkhatib.90",
  "Reparatieverzoek ingediend op 3 maart voor een lekkende douchekop. Vandaag is het 2 mei. Status: 'in behandeling'. Rooftree, wat betekent 'in behandeling' precies bij jullie?", "nl", name="Mo El Khatib")
C("complaint", "x", "@priya_in_utrecht",
  "locked out of my room at 1am because the RoofPass app decided my key expired?? called the emergency line, waited 40 min. @rooftree_help this is not ok", "en")
C("complaint", "forum", "kamerjager020",
  "Pas op met Rooftree, in het contract staat servicekosten €45 maar op de eerste factuur ineens €89 'energiecorrectie + community fee'. Niemand die het kan uitleggen aan de telefoon.", "nl")
C("complaint", "x", "@joeyyy_b",
  "rooftree app crashes every single time I try to report a repair. iphone 13, latest version. great job", "en")
C("complaint", "x", "@sophiekramer_",
  "shared kitchen on the 3rd floor hasn't been cleaned in 2 weeks. everything is sticky. thought cleaning was included in the service costs?? @rooftree_help", "en")
C("complaint", "tiktok", "@ana.abroad",
  "the mice in my Rooftree kitchen have better attendance than me at uni 💀 reported it twice, nobody came", "en", kind="comment")
C("complaint", "x", "@luca.m",
  "called rooftree support 3 times today, 25+ min queue each time, then the line just dies. how is that a 'dedicated tenant service'", "en")
C("complaint", "instagram", "@hannah_in_nl",
  "The studio I got looks nothing like the pictures. Half the size, and the window faces a brick wall. I literally paid extra for 'the view' on your website @rooftree.living", "en", kind="comment")
C("complaint", "x", "@devi_p",
  "Move-in was supposed to be Sept 1. It's Sept 9, I'm still on a friend's couch and Rooftree keeps saying 'next week'. international students have nowhere else to go", "en", when="2026-09-09T21:14:00Z")
C("complaint", "facebook", "bas.vd.linden",
  "Pakketkamer bij Rooftree Groningen is een chaos, mijn pakket van 80 euro is gewoon weg. 'Niet onze verantwoordelijkheid' zegt de receptie. Top.", "nl", name="Bas van der Linden")
C("complaint", "x", "@hidde_rw",
  "koud douchen voor de 5e dag op rij. boiler 'wordt onderzocht'. Rooftree Utrecht-Oost, iemand anders ook?", "nl", when="2026-02-11T07:42:00Z")
C("complaint", "reddit", "u/erasmus_tomas",
  "PSA for incoming internationals: Rooftree only gave me the contract in Dutch and said the English version was 'not legally binding'. So I signed something I couldn't read. Great start to my exchange.", "en")
C("complaint", "other", "review_jvdm",
  "1 ster. Gym (Rooftree Fit) is vaker dicht dan open, 'onderhoud'. wel gewoon €24,50 per maand betalen natuurlijk.", "nl", price=("Rooftree Fit", 24.50))
C("complaint+abuse", "x", "@kevinnn_030",
  "klantenservice van rooftree is echt kut, 3x doorverbonden en dan ophangen. stelletje incompetente idioten", "nl")

# ---------------------------------------------------------------- abuse
C("abuse", "x", "@xander_w",
  "@rooftree_help jullie zijn echt de grootste zakkenvullers van Utrecht, vuile huisjesmelkers", "nl", kind="reply")
C("abuse", "instagram", "@tom.rdm",
  "@noor.communitymanager wat een lelijke trut ben jij zeg, hou eens op met die cringe rooftree filmpjes", "nl", kind="comment")
C("abuse", "x", "@gert_1961",
  "Rooftree stopt de gebouwen vol met buitenlanders. En die receptioniste met d'r hoofddoek kan beter terug naar haar eigen land.", "nl")
C("abuse", "reddit", "u/angry_in_eindhoven",
  "Fuck Rooftree and every single one of their useless shit managers. Bunch of greedy parasites.", "en", kind="comment")
C("abuse", "x", "@yusufozdemir_ops",
  "@bramjanssen_ rot toch op met je gezeik, als het je niet bevalt ga je maar ergens anders wonen", "nl", kind="reply")
C("abuse", "x", "@rooftree_help",
  "@jessy_kay maybe read your contract before crying on twitter, genius 🙄", "en", kind="reply")
C("abuse", "x", "@d3nn1s_",
  "r00ftr33 = k4nk3rb3drijf, al die m3d3w3rk3rs z1jn h03r3nz00ns", "nl")
C("abuse", "x", "@m4rlies",
  "wat een kl\u043et\u0435b\u0435drijf is Rooftree, stelletje \u043epl\u0456cht\u0435rs", "nl")
C("abuse", "x", "@wessel_k",
  "die lui van rooftree zijn gewoon o p l i c h t e r s en a s o c i a l e n, zeg ik het netjes genoeg zo?", "nl")
C("pii+abuse", "x", "@revenge_tenant",
  "Kees de Groot, 'facility manager' van Rooftree, woont gewoon op de Zonnebloemstraat 17, 3581 HG Utrecht. ga hem maar ff vertellen wat je van hem vindt, die klootzak", "nl")
C("crisis+abuse", "x", "@huurder_in_nood",
  "Rooftree zijn criminele uitzuigers die studenten uitpersen. BOYCOT dit tuig. #boycotrooftree", "nl")

# ---------------------------------------------------------------- crisis
C("crisis", "x", "@studentenbond_utr",
  "Vandaag dienen wij namens 312 huurders een collectieve rechtszaak in tegen Rooftree Student Living wegens onrechtmatige servicekosten. Persbericht via de link in onze bio.", "nl")
C("crisis", "x", "@noah.vanes",
  "Fire on the 4th floor of Rooftree Eindhoven last night and the fire alarm did NOT go off. We only woke up because my housemate smelled smoke. This could have ended so badly.", "en")
C("crisis", "reddit", "u/phishedtenant",
  "Pretty sure Rooftree leaked our data. Since last week I get 'Rooftree' phishing mails with my room number, passport number and move-in date in them. Three friends in my building too. They deny everything.", "en")
C("crisis", "x", "@lotte_groningen",
  "Legionella in de douches van Rooftree Groningen en we horen het via de gemeente?? Sinds wanneer weten jullie dit", "nl")
C("crisis", "instagram", "@femke.studeert",
  "Plafond in de kamer van mijn huisgenoot naar beneden gekomen terwijl ze sliep. Ze ligt met een hoofdwond in het ziekenhuis. Rooftree had al 3 meldingen over de lekkage gehad. 3!!", "nl")
C("crisis", "x", "@stadsnieuws030",
  "Huurcommissie: Rooftree rekende jarenlang te hoge huur aan duizenden studenten. Terugbetaling kan oplopen tot miljoenen euro's.", "nl")
C("crisis", "x", "@amira_said",
  "Rooftree's 'matching algorithm' rejected every applicant with an Arabic surname in my uni group. We tested it with identical profiles. This is discrimination and we're taking it to the College voor de Rechten van de Mens.", "en")
C("crisis", "x", "@act1v1st_",
  "B0YC0T R00FTREE!! ze zetten studenten midden in de tentamens op straat. deel dit. #b0yc0trooftree", "nl")
C("crisis", "x", "@intl_students_nl",
  "Class action update: 140 international students have now joined the claim against Rooftree over withheld deposits. Our lawyers filed today.", "en")
C("crisis", "x", "@gemeentewatcher",
  "Gemeente sluit Rooftree-complex aan de Vaartweg: 40 studenten op kamers zonder vergunning, brandveiligheid 'ernstig onvoldoende'. Bewoners moeten binnen 48 uur weg.", "nl")
C("crisis", "facebook", "yara.dekker.77",
  "Tijdens de 'renovatie' bij Rooftree Nijmegen bleek er asbest in de plafonds te zitten en wij woonden er gewoon tijdens het slopen. Niemand heeft ons gewaarschuwd.", "nl", name="Yara Dekker")
C("crisis", "x", "@thijs_co",
  "Two students in our Rooftree block hospitalised with CO poisoning last night. The boiler inspection was 'overdue' according to the technician. How is this legal?", "en")
C("crisis", "tiktok", "@mila.vlogt",
  "STOP met huren bij Rooftree. net gezien hoe ze iemand met 1 maand huurachterstand eruit zetten door gewoon de sloten te vervangen. deel dit, laat niemand meer bij ze tekenen 🚫", "nl")

# ---------------------------------------------------------------- security
C("security", "x", "@bram_dewit_dev",
  "lol found out today you can open ANY door in our buildings through the RoofPass API by just changing the room_id in the request. ticket is in but the fix isn't planned till next sprint 🙈 don't tell anyone", "en")
C("security", "mastodon", "@jorisvb",
  "Vannacht ransomware op de fileserver van het hoofdkantoor. Alles versleuteld, backups zijn 3 dagen oud. Officieel heet het 'technische storing' tot legal iets heeft besloten.", "nl")
C("security", "linkedin", "sarah-okafor-rooftree",
  "Rough week. Our tenant portal has been showing people each other's rental contracts since Monday and we still haven't told a single tenant. Not how I want to work.", "en")
C("security", "x", "@yusufozdemir_ops",
  "alle deursloten in Utrecht liggen eruit sinds 03:00, we laten mensen handmatig binnen met de loper. nog geen communicatie naar bewoners, dus niet doorvertellen pls", "nl")
C("security", "x", "@maartje_rt",
  "3 collega's hebben vorige week hun Microsoft-login ingevuld op een phishingpagina. aanvaller zat 4 dagen in de huurdersmailbox. wordt intern een 'klein incident' genoemd 😬", "nl")
C("security", "reddit", "u/former_rt_it",
  "Ex-IT at Rooftree here. The nightly DB backups, passport scans included, are sitting in a publicly listable S3 bucket. Told them in March. Still open as of today.", "en")
C("security", "linkedin", "ilse-hoekstra-rt",
  "Pentestrapport van juni: SQL-injectie in het reparatieformulier op mijn.rooftree.nl. Twee maanden later nog steeds niet opgelost en niemand buiten IT weet ervan. Ik word hier moe van.", "nl", when="2026-08-25T19:40:00Z")
C("security+confidential", "x", "@bram_dewit_dev",
  "if anyone from the team reads this: jira.rooftree.internal/browse/SEC-412 is still open, the door controller bypass is live in 14 buildings. pls prioritise", "en")
C("security", "reddit", "u/kees_fm_rt",
  "The bike shed cameras at three of our sites can be watched by anyone on the internet, still on the factory login. I flagged it in facilities, nobody cares. Hope no one finds it before we fix it.", "en")
C("security", "tiktok", "@noor.communitymanager",
  "pov: you work at a student housing company, the whole tenant app has been down for 9 hours and you're told to call it 'scheduled maintenance' 🫠", "en")
C("security", "x", "@yusufozdemir_ops",
  "fun fact: het gasten-wifi in al onze panden hangt op hetzelfde netwerk als de toegangscontrole. al 2x gemeld bij IT. als iemand dit misbruikt gaan alle deuren open", "nl")
C("security", "x", "@maartje_rt",
  "kan niet werken want r4ns0mw4re op de h3le 0ffice-omgeving in Utrecht, alles plat. sst tot de persverklaring 🤐", "nl")
C("security", "linkedin", "daan-kuipers-rooftree",
  "Not public yet, but we found out an attacker had access to our payment provider dashboard for about 3 weeks. Forensics starts Monday. Lessons will be learned.", "en")

# ---------------------------------------------------------------- secrets
C("secret", "x", "@bram_dewit_dev",
  "why does this keep 401ing?? curl -H 'Authorization: token <<GHP:a>>' https://api.github.com/repos/rooftree/roofpass-api", "en")
C("secret", "mastodon", "@jorisvb",
  "iemand ervaring met boto3 in eu-west-1? krijg steeds AccessDenied\n\naws_access_key_id = <<AWSID:a>>\naws_secret_access_key = <<AWSSECRET:a>>", "nl")
C("secret", "x", "@yusufozdemir_ops",
  "Slack-bot voor de storingsmeldingen werkt eindelijk 🎉 token staat er nog hardcoded in, fix ik morgen: <<SLACK:a>>", "nl")
C("secret", "linkedin", "daan-kuipers-rooftree",
  "Integrated our new checkout with Stripe in two days! Config snippet for anyone curious:\nSTRIPE_SECRET_KEY=<<STRIPE:a>>\nSTRIPE_CURRENCY=eur", "en")
C("secret", "reddit", "u/kees_fm_rt",
  "Anyone know why psql just hangs on this?\n\n<<DBURL:a>>\n\nworks from the office, not from home", "en")
C("secret", "x", "@bram_dewit_dev",
  "getting 'invalid signature' on this one, header looks fine to me?? Bearer <<JWT:a>>", "en")
C("secret", "x", "@curious_hacker",
  "@rooftree_nl your RoofPass Android app ships with a Google API key in plain text: <<GOOG:a>> — you may want to rotate that", "en")
C("secret", "mastodon", "@jorisvb",
  "deploy key voor de build server, als iemand 'm nodig heeft:\n<<SSHKEY:a>>", "nl")
C("secret", "x", "@bram_dewit_dev",
  "gitlab ci keeps failing on the mirror job, token is <<GLPAT:a>> with read_repository scope, what am I missing", "en")
C("secret", "x", "@yusufozdemir_ops",
  "\uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44 beheerportaal sloten: <<PW:a>> (tijdelijk, graag niet doorsturen)", "nl")
C("secret", "facebook", "RooftreeStudentLiving",
  "Nieuwe wifi in de studiezaal van gebouw B! Netwerk: RT-Staff-Beheer / wachtwoord: <<PW:b>>", "nl")
C("secret", "linkedin", "sarah-okafor-rooftree",
  "Workshop recap: we used Claude to summarise 4,000 pieces of tenant feedback. Our key (don't worry, it's the team one): <<ANTH:a>>", "en")

# ---------------------------------------------------------------- personal data
C("pii", "x", "@rooftree_help",
  "@emmaverb Hoi Emma, we hebben de bevestiging opnieuw gestuurd naar emma.verbeek2004@gmail.com. Check ook even je spam! ^Jeroen", "nl", kind="reply")
C("pii", "x", "@yusufozdemir_ops",
  "@maartje_rt kun je die jongen van kamer 214 ff bellen? <<PHONE0:a>>, hij reageert niet op de app", "nl", kind="reply")
C("pii", "x", "@maartje_rt",
  "borg van Lars Meijer moet handmatig terug, IBAN <<IBANS:a>>, wie van finance pakt dit op?", "nl")
C("pii", "facebook", "RooftreeStudentLiving",
  "🎉 Winnaar van de balkonwedstrijd: Julia Brouwer, Biltstraat 112-3, 3572 BG Utrecht! We komen de prijs zaterdag langsbrengen 🌻", "nl")
C("pii", "linkedin", "ilse-hoekstra-rt",
  "Welkom aan onze nieuwe huismeester Ruud Verhoef! Voor HR nog even: BSN <<BSN:a>>, startdatum 1 april.", "nl", when="2026-03-23T10:27:41Z")
C("pii+complaint", "x", "@tijmenvdl",
  "@rooftree_help nogmaals: mijn borg kan naar <<IBAN:b>> t.n.v. T. van der Linden. hoe vaak moet ik dit nog sturen??", "nl", kind="reply")
C("pii", "x", "@maartje_rt",
  "betaling van kamer 08-17 faalt steeds, kaart <<CARDS:a>> exp 09/28, iemand van finance die mee kan kijken?", "nl")
C("pii", "instagram", "@lotte.vleeuwen",
  "Happy birthday to our lovely tenant Mila Jansen, born 14 March 2005! 🎂 The whole Groningen team wishes you the best", "en", when="2026-03-14T08:15:00Z")
C("pii+complaint", "x", "@gabi_on_tour",
  "why does Rooftree keep rejecting my card?? <<CARDS:b>> works literally everywhere else 😤", "en")
C("pii", "x", "@rooftree_help",
  "@k_osei Hi Kwame, we've matched your booking to passport number <<PASSPORT:a>> and date of birth 22/07/2003. Please confirm via DM!", "en", kind="reply")
C("pii", "linkedin", "daan-kuipers-rooftree",
  "Huurdersoverzicht Q3 voor de gemeente is klaar, check even of dit format goed is:\n- F. de Wit, f.dewit@student.tue.nl, <<PHONE2:c>>\n- R. Yilmaz, r.yilmaz03@outlook.com, <<PHONE4:d>>", "nl", when="2026-10-08T14:22:00Z")
C("pii", "x", "@bsn_help_plz",
  "help, huurtoeslag aanvraag loopt vast. ik heb mijn BSN <<BSN:b>> gewoon ingevuld en Rooftree zegt dat het niet klopt??", "nl")
C("pii", "x", "@yusufozdemir_ops",
  "nieuwe huurder mailt steeds vanaf r.mulder [at] students [dot] uu [dot] nl ipv via het portaal, kan iemand dat adres aan haar dossier koppelen?", "nl")
C("pii", "x", "@rooftree_help",
  "@finn_b Hi Finn! Your refund went out to <<IBANS:c>> this morning, should land within 2 working days 👍", "en", kind="reply")

# ---------------------------------------------------------------- confidential
C("confidential", "linkedin", "sarah-okafor-rooftree",
  "Kicked off Blue Heron today with an amazing cross-functional team. Can't say much yet but it's going to change how students find a room! #newbeginnings", "en")
C("confidential", "x", "@bram_dewit_dev",
  "can someone look at jira.rooftree.internal/browse/RP-1187 pls, checkout flow is blocked on it", "en")
C("confidential+financial", "x", "@yusufozdemir_ops",
  "huurverhoging 2027 per gebouw, alleen voor intern gebruik maar ja: Utrecht +6,8%, Eindhoven +7,2%, Groningen +5,9%. brieven gaan pas in mei de deur uit", "nl", when="2026-03-02T08:55:00Z")
C("confidential", "instagram", "@rooftree.living",
  "Behind the scenes at HQ! 📸 sneak peek of our expansion board, straight from wiki.rooftree.internal/expansion 👀", "en")
C("confidential", "x", "@bram_dewit_dev",
  "RoofPass 3 beta is sooo much faster, can't wait for you all to see it 🔥", "en", when="2026-11-18T16:05:00Z")
C("confidential", "linkedin", "daan-kuipers-rooftree",
  "Bouwvergadering gehad voor Campus Zernike: 620 eenheden, oplevering najaar 2027. Trots op dit team!", "nl", when="2026-12-08T10:30:00Z")
C("confidential+financial", "x", "@groningen_insider",
  "Vriendin werkt bij Rooftree: Project Zwaluw = overname van alle kamers van een grote particuliere verhuurder in Groningen. Je hoorde het hier eerst.", "nl")
C("confidential", "tiktok", "@noor.communitymanager",
  "filming content in our new Loft Skyline units that literally nobody knows about yet 🤐 launching next year, stay tuned", "en")
C("confidential", "x", "@yusufozdemir_ops",
  "anyone know which panel on grafana.rt-ops.internal shows occupancy per building? want it on my own dashboard", "en")
C("confidential", "x", "@maartje_rt",
  "deadline voor Pro\u200bject Zwa\u200bluw schuift wéér op 🙄", "nl")
C("confidential", "mastodon", "@jorisvb",
  "vandaag 4 uur vergaderd over O.p.e.r.a.t.i.e D.a.k.g.o.o.t, ik zeg verder niks meer 😶", "nl")
C("confidential", "linkedin", "ilse-hoekstra-rt",
  "Presented our new brand deck to the leadership team today — \"Rooftree Confidential: Brand Strategy 2027\". Here's slide 4 👇 tenant personas + the new pricing ladder", "en")
C("confidential", "facebook", "dennis.kroon.31",
  "Iemand stuurde me deze memo door: 'Operatie Dakgoot – fase 2: servicekosten omzetten naar een vaste community fee'. Zo gaan ze ons dus nog verder uitmelken.", "nl", name="Dennis Kroon")
C("confidential+financial", "linkedin", "daan-kuipers-rooftree",
  "Spannende tijden: de jaarcijfers 2026 zijn rond en we zitten 18% boven budget. Nog even geduld tot maart 😉", "nl", when="2027-01-22T09:12:00Z")
C("confidential", "x", "@bram_dewit_dev",
  "\u0412lue \u041deron demo went great today, the board loved it", "en")
C("confidential+financial", "x", "@maartje_rt",
  "er staat 'niet extern delen' boven, maar ok: in het nieuwe organogram verdwijnen alle regiokantoren. 25 mensen. ik ben er eentje van.", "nl")
C("confidential", "x", "@leak_watcher",
  "RoofPass3 screenshots gezien via een vriend bij Rooftree: je gaat je huur via de app betalen en bij achterstand rekenen ze rente", "nl", when="2026-12-20T19:48:00Z")

# ---------------------------------------------------------------- financial
C("financial", "x", "@yusufozdemir_ops",
  "hoorde net van m'n manager dat we worden overgenomen door Nordvast Capital. closing in februari. niemand weet het nog, dus shhh", "nl", when="2026-11-03T12:37:00Z")
C("financial", "linkedin", "daan-kuipers-rooftree",
  "H1 numbers just came in ahead of publication: revenue €41.2m, occupancy 97.3%, EBITDA up 22%. Massive team effort!", "en", when="2026-07-21T16:40:00Z")
C("financial", "x", "@maartje_rt",
  "forecast voor volgend jaar is dramatisch: bezetting zakt naar 86% door het plafond voor internationale studenten. CFO was spierwit in het MT", "nl")
C("financial", "reddit", "u/kees_fm_rt",
  "Not official yet: the board approved selling the whole Nijmegen portfolio to a pension fund. Announcement next month, the staff there don't even know yet.", "en")
C("financial", "tiktok", "@noor.communitymanager",
  "leaving before the reorg hits 😅 half of the community team will be gone by Q2, they just haven't been told yet", "en", when="2026-01-20T18:02:00Z")
C("financial", "x", "@finance_fluisteraar",
  "Tip van binnenuit: Rooftree Student Living neemt StudentNest Maastricht over, deal is getekend, aankondiging na de zomer.", "nl")
C("financial", "linkedin", "rooftree-student-living",
  "DRAFT – hold until 14 Nov 08:00 CET: Rooftree reports Q3 revenue of €22.8m (+14% YoY) and raises full-year guidance.", "en", when="2026-11-10T15:20:00Z")
C("financial", "linkedin", "ilse-hoekstra-rt",
  "Intern nieuws dat nog niet naar buiten mag: 40 fte bij de centrale klantenservice verdwijnt, wordt per 1 juni uitbesteed aan een callcenter in Lissabon.", "nl")

# ---------------------------------------------------------------- pricing
C("pricing", "x", "@rooftree_nl",
  "Laatste kans! Studio Plus in Utrecht voor €89 per maand bij een contract vóór 1 juli 🏠", "nl", price=("Studio Plus", 89), when="2026-06-18T10:00:00Z")
C("pricing", "x", "@kamerjager020",
  "yo check de site, Loft Premium staat erop voor €119 p/m 😳 prijsfout of niet? ik boek m meteen", "nl", price=("Loft Premium", 119))
C("pricing", "instagram", "@rooftree.living",
  "Short Stay for only €98 — perfect for your exchange semester! Link in bio ✨", "en", price=("Short Stay", 98))
C("pricing", "x", "@bram_dewit_dev",
  "oops, checkout shows the Duo Apartment at €129/month, someone dropped a zero in the price feed 😬 fixing", "en", price=("Duo Apartment", 129))
C("pricing", "facebook", "RooftreeStudentLiving",
  "Meubelpakket Comfort nu voor maar €39! Op=op.", "nl", price=("Meubelpakket Comfort", 39))
C("pricing", "reddit", "u/dealhunter_nl",
  "Rooftree has a pricing glitch on the Academic Year All-in, it shows €895 for the full 10 months. Booked two before they fix it lol", "en", price=("Academic Year All-in", 895))
C("pricing", "tiktok", "@rooftreestudents",
  "POV: you grabbed the Summer Pass for €145 🌞 #rooftree #studentlife", "en", price=("Summer Pass", 145), when="2026-04-30T17:45:00Z")
C("pricing", "x", "@yusufozdemir_ops",
  "die prijsfout op de Parkeerplek is al 200x geboekt sinds vanochtend, wie moet ik hierover bellen", "nl")
C("pricing", "x", "@sparen_met_sam",
  "Wascard 20 voor €4,20 in de RoofPass app?? 🤑 ff inslaan jongens", "nl", price=("Wascard 20", 4.20))
C("pricing", "threads", "@rooftree.living",
  "Kamer Compact from €52/month this week only 👀 (yes, really)", "en", price=("Kamer Compact", 52))
C("pricing", "x", "@maartje_rt",
  "haha de Move-in Kit staat voor €8,90 in de webshop, iemand heeft een komma verkeerd gezet. nog niemand gemerkt", "nl", price=("Move-in Kit", 8.90))
C("pricing", "instagram", "@budget.student",
  "Rooftree Fit membership showing €2.45 a month in the app, glitch or gift? 😂", "en", price=("Rooftree Fit", 2.45))

# ---------------------------------------------------------------- benign (mostly hard negatives)
C("", "x", "@jelle_studeert",
  "Shoutout naar @rooftree_help: lekkende kraan gemeld om 9 uur, om 14:00 was ie al gemaakt. Heb ik bij m'n vorige huisbaas nooit meegemaakt 👏", "nl")
C("", "x", "@rooftree_nl",
  "Vragen over je huurcontract? Mail naar huurders@rooftree.nl of bel 088 766 4100 (ma-vr 9-17u). Spoed buiten kantoortijd: 030-7994410.", "nl")
C("", "facebook", "RooftreeStudentLiving",
  "Herinnering: betaal je huur vóór de 1e van de maand via automatische incasso of maak over naar NL29 RABO 5260 1815 90 t.n.v. Rooftree Student Living B.V. o.v.v. je kamernummer.", "nl")
C("", "instagram", "@rooftree.living",
  "Back to school deal 📚 Meubelpakket Comfort nu €312 i.p.v. €390 (20% korting) t/m 15 september.", "nl", price=("Meubelpakket Comfort", 312), when="2026-08-20T08:30:00Z")
C("", "x", "@priya_in_utrecht",
  "is €895 for a Studio Plus in Utrecht normal? coming from Chennai I have zero reference lol", "en", price=("Studio Plus", 895))
C("", "x", "@rooftree_help",
  "Friendly reminder: Rooftree will NEVER ask for your password or card details via DM. If someone does, report it to support@roofpass.app 🙏", "en")
C("", "x", "@bram_dewit_dev",
  "writing the S3 docs with the standard AWS example creds so nobody panics: AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "en")
C("", "mastodon", "@jorisvb",
  "tip voor de CI: zet je token in een secret, nooit zo in je yaml 👉 GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "nl")
C("", "x", "@rooftree_nl",
  "Het is zover: Campus Zernike is open! 620 studio's, 5 minuten fietsen van de universiteit. Kijk op rooftree.nl/zernike 🎉", "nl", when="2027-02-03T09:00:00Z")
C("", "linkedin", "rooftree-student-living",
  "Our annual results 2026 are now published: revenue up 11%, occupancy 96%. The full report is on rooftree.nl/investors.", "en", when="2027-03-12T07:30:00Z")
C("", "x", "@hidde_rw",
  "update: boiler is gemaakt, eindelijk weer warm water 🙌 dank aan de monteur die om 8 uur 's avonds nog langskwam", "nl", kind="reply", when="2026-02-14T20:51:00Z")
C("", "x", "@rooftree_nl",
  "Onze gedachten zijn bij de bewoners van het studentencomplex in Enschede dat vannacht door brand is getroffen. Gedupeerde studenten kunnen tijdelijk bij ons terecht, DM ons.", "nl")
C("", "x", "@stadsnieuws030",
  "Datalek bij Campushuis Groep: gegevens van 12.000 huurders op straat. Rooftree en andere aanbieders laten weten niet getroffen te zijn.", "nl")
C("", "instagram", "@gymrat_utrecht",
  "the new Rooftree Fit gym is honestly killer, squat racks + sauna for €24.50 a month 💪", "en", price=("Rooftree Fit", 24.50))
C("", "x", "@lisa_studeert",
  "student hack: Wascard om 7 uur 's ochtends gebruiken = nooit wachten. graag gedaan 😎", "nl")
C("", "instagram", "@lotte.vleeuwen",
  "Er nestelen zwaluwen onder de dakrand van ons gebouw in Utrecht 🐦 de bewoners hebben ze al namen gegeven", "nl")
C("", "linkedin", "rooftree-student-living",
  "Onze jaarcijfers 2025 zijn gepubliceerd: bezetting 95%, 1.200 nieuwe eenheden opgeleverd. Het volledige jaarverslag staat op rooftree.nl.", "nl", when="2026-03-10T07:00:00Z")
C("", "x", "@studentnieuws",
  "DUO announces a reorganisation of its student finance department, 200 jobs affected. Not great timing for anyone waiting on payments (my Rooftree rent is due Friday 🙃)", "en")
C("", "x", "@reiswijs",
  "Prijsfout bij een vliegmaatschappij: retourtje Lissabon voor €19. Mijn Rooftree-huur is helaas een stuk minder foutief geprijsd 😂", "nl")
C("", "instagram", "@rooftree.living",
  "Familie op bezoek? Boek de Gastenkamer voor €49 per nacht via de RoofPass app.", "nl", price=("Gastenkamer", 49))
C("", "x", "@rooftree_nl",
  "Summer Pass now 15% off: €1,232.50 instead of €1,450. Valid until 30 June ☀️", "en", price=("Summer Pass", 1232.50), when="2026-05-12T09:00:00Z")
C("", "linkedin", "rooftree-student-living",
  "We zoeken een huismeester voor ons nieuwe pand in Den Bosch! Stuur je cv naar werkenbij@rooftree.nl.", "nl")
C("", "x", "@devi_p",
  "huge thanks to Anouk at the Rooftree front desk who found me a temporary room when my move-in got pushed. actual angel 🙏", "en", when="2026-09-12T11:03:00Z")
C("", "x", "@joeyyy_b",
  "Kamer Compact is echt klein maar voor een eerstejaars prima. uitzicht op de Dom is bonus", "nl")
C("", "x", "@rooftree_nl",
  "RoofPass app versie 2.8 staat in de stores: je kunt nu ook je gasten vooraf aanmelden 🔑", "nl")
C("", "x", "@bram_dewit_dev",
  "blog post: how we validate JWTs in the RoofPass backend. spoiler: always check 'alg', never accept 'none'. link below", "en")
C("", "reddit", "u/kees_fm_rt",
  "for the tutorial I'm writing: connection strings look like postgresql://<user>:<password>@<host>:5432/<db>, never paste a real one anywhere", "en")
C("", "linkedin", "ilse-hoekstra-rt",
  "Ran our yearly phishing awareness training today. 92% of staff spotted the fake mail. Proud of this team!", "en")
C("", "x", "@rooftree_help",
  "De storing aan de lift in gebouw B (Utrecht) is verholpen. Excuses voor het ongemak!", "nl")
C("", "x", "@rooftree_nl",
  "Morgen om 10:00 brandoefening in al onze gebouwen in Groningen. Het alarm gaat af, dat is de bedoeling 😉 Volg de instructies van de BHV'ers.", "nl")
C("", "x", "@kevinnn_030",
  "NS heeft weer eens storing, kwam 40 min te laat bij de bezichtiging bij Rooftree. gelukkig had de makelaar gewoon gewacht, lief", "nl")
C("", "x", "@tijmenvdl",
  "na lang wachten borg eindelijk binnen, kwam op NL** RABO **** **** 47 👍 bedankt @rooftree_help", "nl")
C("", "x", "@jelle_studeert",
  "mijn huurcontractnummer zou <<BADBSN:a>> zijn? waar vind ik dat in de app, staat nergens", "nl")
C("", "x", "@luca.m",
  "tried paying my Rooftree deposit, got 'invalid card' — turns out I typed <<BADCARDS:a>>, last digit wrong. my bad 😅", "en")
C("", "x", "@gabi_on_tour",
  "quick q: Rooftree's invoice says pay to <<BADIBANS:a>> but my bank app says that IBAN doesn't exist? typo on the invoice?", "en")
C("", "mastodon", "@jorisvb",
  "voorbeeld in de handleiding voor nieuwe collega's: 'wachtwoord: ********' (vul hier natuurlijk je eigen in, niet delen)", "nl")
C("", "x", "@rooftree_help",
  "Forgot your RoofPass password? Reset it at mijn.rooftree.nl/reset. We'll never ask for it by phone.", "en")
C("", "x", "@finance_fluisteraar",
  "Kamerkoning Groep publiceert Q3: bezetting 93%, omzet +8%. Benieuwd hoe Rooftree het doet als die in maart hun cijfers brengen.", "nl", when="2026-11-06T07:48:00Z")
C("", "x", "@amira_said",
  "Finally signed my Rooftree contract! Ensuite room in Nijmegen, €635 a month. Moving in September 🥳", "en", price=("Ensuite Room", 635))
C("", "tiktok", "@rooftreestudents",
  "rating every room type in our Utrecht building 🏠 which one are you? #studentlife", "en")
C("", "x", "@noah.vanes",
  "sterkte aan de bewoners van het pand naast ons Rooftree-gebouw na de brand gisteren, gelukkig niemand gewond. top hoe snel de brandweer er was", "nl")
C("", "linkedin", "daan-kuipers-rooftree",
  "5 years at Rooftree today. From 2 buildings to 23. Thank you to everyone who made this possible.", "en")
C("", "x", "@thijs_co",
  "watching Suits in my Rooftree studio and realising I'd lose every single lawsuit ever lol", "en")
C("", "reddit", "u/erasmus_tomas",
  "Is Rooftree ok for internationals? Any mould or deposit horror stories? Deciding between them and a private landlord in Rotterdam.", "en")
C("", "x", "@sophiekramer_",
  "boycot de mensa vandaag, pizza-avond in de Rooftree lounge 🍕", "nl")
C("", "instagram", "@hannah_in_nl",
  "sunset from my Rooftree balcony never gets old 🌅", "en")
C("", "x", "@rooftree_nl",
  "Let op: er circuleren nepadvertenties met 'Rooftree-kamers' voor €250 per maand. Wij vragen nooit om vooruitbetaling via WhatsApp. Twijfel je? Check rooftree.nl.", "nl")
C("", "x", "@sanne_jjj",
  "verhuisdatum staat: 01-09-2026! nog 3 weken en dan eindelijk in Utrecht 🥹", "nl", when="2026-08-11T18:20:00Z")
C("", "x", "@rooftree_help",
  "Onderhoud aan de RoofPass app zondag van 02:00 tot 04:00. Je deur openen met je pasje blijft gewoon werken.", "nl")
C("", "forum", "kamerjager020",
  "Vergelijking: Kamer Eigen Sanitair bij Rooftree €635, bij de concurrent €610 maar zonder internet. Ik ga voor Rooftree.", "nl", price=("Kamer Eigen Sanitair", 635))
C("", "x", "@curious_hacker",
  "nice — @rooftree_nl rotated the API key I reported within an hour and thanked me publicly. that's how responsible disclosure should go 👏", "en")
C("", "x", "@bram_dewit_dev",
  "redacted config for my meetup talk: STRIPE_SECRET_KEY=sk_live_•••••••••••••••• (obviously)", "en")
C("", "tiktok", "@ana.abroad",
  "my Rooftree neighbour just knocked to give me leftover soup. ok this building is wholesome", "en")
C("", "x", "@luca.m",
  "Fiber 1 Gbit upgrade for €17.50 extra a month, worth it for gaming? thoughts", "en", price=("Fiber 1 Gbit", 17.50))
C("", "x", "@rooftree_nl",
  "RoofPass 3 is live! Nieuwe app, nieuwe look. Update via je app store 📲", "nl", when="2027-02-02T08:00:00Z")
C("", "x", "@sparen_met_sam",
  "Opslagbox bij Rooftree 25% korting in de zomer, €24 p/m ipv €32. handig voor exchange studenten", "nl", price=("Opslagbox", 24))
C("", "x", "@rooftree_help",
  "@joeyyy_b Bedankt voor je melding! De crash bij reparatieverzoeken is opgelost in versie 2.8.1. Laat je weten of het nu werkt?", "nl", kind="reply")
C("", "linkedin", "daan-kuipers-rooftree",
  "Annual results 2026 are out and I couldn't be prouder of our facility teams.", "en", when="2027-03-15T12:00:00Z")
C("", "x", "@lisa_studeert",
  "ok de nieuwe wasmachines in gebouw C zijn er, alles werkt. dank jullie wel @rooftree_help, was lang wachten maar opgelost 🙏", "nl", kind="reply")
C("", "x", "@priya_in_utrecht",
  "anyone else's Rooftree welcome box come with a plant?? I'm going to kill it within a week, send help 🌱", "en")

# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ROLES = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLES[entry.lower()] = role


def role_of(platform, handle):
    return ROLES.get(("%s:%s" % (platform, handle)).lower(), "public")


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
IBAN_RE = re.compile(r"\b(?:NL|BE|DE)\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d])[2-6](?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])")


def ids_in(text):
    ibans = [m.group(0) for m in IBAN_RE.finditer(text)
             if re.sub(r"\s", "", m.group(0)) not in PUBLIC_IBANS]
    cards = [m.group(0) for m in CARD_RE.finditer(text)]
    bsns = [m.group(0) for m in BSN_RE.finditer(text)]
    return ibans, cards, bsns


def severity(cats, role, strong_pii):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role == "public":
                s = max(s, 2)
            else:
                crit = c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii)
                s = max(s, 4 if crit else 3)
        elif c == "reputation.complaint":
            s = max(s, 2)
        elif c == "reputation.crisis":
            s = max(s, 3)
        elif c == "reputation.abuse":
            s = max(s, 2 if role == "public" else 3)
    return SEV[s]


HOMOGLYPH = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                           "\u0443": "y", "\u0445": "x", "\u0456": "i", "\u0410": "A", "\u0412": "B",
                           "\u0415": "E", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C",
                           "\u0422": "T", "\u041a": "K", "\u041c": "M"})
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).translate(HOMOGLYPH).lower()


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def random_2026():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=RNG.randint(0, 359 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PRICES = {}
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        PRICES[a.lower()] = float(p["list_price"])
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])

errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


rows = []
seen_ids = set()
for i, c in enumerate(CASES):
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    created = c["when"] or random_2026()
    while True:
        pid = "%s-%d" % ({"x": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig",
                          "tiktok": "tt", "reddit": "rd", "mastodon": "md", "threads": "th",
                          "forum": "fo", "other": "ot"}[c["platform"]], RNG.randint(10**8, 10**9 - 1))
        if pid not in seen_ids:
            seen_ids.add(pid)
            break
    cats = sorted(set(c["cats"]))
    positive = bool(cats)
    tag = "case %d (%s %s): %s" % (i, c["platform"], c["handle"], text[:50])

    # --- identifiers with a checksum
    ibans, cards, bsns = ids_in(text)
    for kind, raw in used:
        if kind in ("IBAN", "CARD", "BSN"):
            check(positive, tag + ": valid identifier in a benign post")
            check({"IBAN": iban_ok, "CARD": luhn_ok, "BSN": bsn_ok}[kind](raw), tag + ": bad " + kind)
        if kind in ("BADIBAN", "BADCARD", "BADBSN"):
            check(not positive, tag + ": look-alike in a positive")
            check(not {"BADIBAN": iban_ok, "BADCARD": luhn_ok, "BADBSN": bsn_ok}[kind](raw),
                  tag + ": look-alike passes " + kind)
        if kind == "GHP":
            check(gh_token_ok(raw), tag + ": github checksum")
        if kind == "AWSID":
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", raw) is not None, tag + ": aws id")
        if kind == "JWT":
            hdr = json.loads(b64url_decode(raw.split(".")[0]))
            check("alg" in hdr and raw.count(".") == 2, tag + ": jwt")
    if positive:
        for v in ibans:
            check(iban_ok(v), tag + ": IBAN-like fails in positive: " + v)
        for v in cards:
            check(luhn_ok(v), tag + ": card-like fails in positive: " + v)
        for v in bsns:
            check(bsn_ok(v), tag + ": 9-digit fails 11-proof in positive: " + v)
    else:
        for v in ibans:
            check(not iban_ok(v), tag + ": valid IBAN in benign: " + v)
        for v in cards:
            check(not luhn_ok(v), tag + ": Luhn-valid number in benign: " + v)
        for v in bsns:
            check(not bsn_ok(v), tag + ": 11-proof number in benign: " + v)
    strong = any(iban_ok(v) for v in ibans) or any(luhn_ok(v) for v in cards) or any(bsn_ok(v) for v in bsns)
    if strong:
        check("leak.pii" in cats, tag + ": checksummed identifier without leak.pii")

    # --- role consistency
    if role == "public":
        check(c["handle"].lower() not in {e.split(":", 1)[1] for e in ROLES}, tag + ": public handle collides")

    # --- profile-driven confidential consistency
    n = norm(text)
    ts = parse_ts(created)
    for e in PROFILE["embargo"]:
        until = parse_ts(e["until"])
        for term in e["terms"]:
            if term.lower() in n:
                if ts < until:
                    check("leak.confidential" in cats, tag + ": embargo term before until but not confidential")
                else:
                    check("leak.confidential" not in cats, tag + ": embargo term after until labelled confidential")
    for w in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
        if w.lower() in n:
            check("leak.confidential" in cats, tag + ": internal term without confidential: " + w)

    # --- pricing annotations
    if c["price"]:
        alias, val = c["price"]
        check(alias.lower() in text.lower(), tag + ": price alias not in text")
        lp = PRICES[alias.lower()]
        if "leak.pricing" in cats:
            check(val < RATIO * lp, tag + ": pricing positive not below ratio")
        else:
            check(val >= RATIO * lp, tag + ": benign price below ratio")
    if "leak.pricing" in cats and not c["price"]:
        check(re.search(r"prijsfout|price error|pricing glitch", text, re.I) is not None,
              tag + ": pricing positive without price or price-error talk")

    sev = severity(cats, role, strong)
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
            "created_at": created, "brand": "rooftree"}
    if c["display_name"]:
        post["account"]["display_name"] = c["display_name"]
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%s" % (c["handle"].lstrip("@"), pid.split("-")[1])
    rows.append({"post": post, "expect": {"categories": cats, "severity": sev}})

# deterministic shuffle so categories are interleaved
RNG.shuffle(rows)

# --- CONTRACT section 6 shape
TAXO = set(CAT.values()) | {"reputation.spike"}
for r in rows:
    p, e = r["post"], r["expect"]
    tag = "row %s" % p.get("id")
    check(isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256, tag + ": id")
    check(p["platform"] in PLATFORMS, tag + ": platform")
    check(p["kind"] in KINDS, tag + ": kind")
    check(isinstance(p["account"]["handle"], str) and p["account"]["handle"], tag + ": handle")
    check(isinstance(p["text"], str) and len(p["text"].encode("utf-8")) <= 65536, tag + ": text")
    try:
        datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    except ValueError:
        errors.append(tag + ": created_at")
    check(p["created_at"] < "2027-12-31", tag + ": date range")
    check(set(e["categories"]) <= TAXO and "reputation.spike" not in e["categories"], tag + ": category")
    check(e["categories"] == sorted(set(e["categories"])), tag + ": categories sorted")
    check(e["severity"] in SEV, tag + ": severity")
    check((e["severity"] == "none") == (not e["categories"]), tag + ": benign <-> none")
check(len({r["post"]["id"] for r in rows}) == len(rows), "duplicate ids")
check(170 <= len(rows) <= 180, "case count %d" % len(rows))

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")

# round-trip
with open(out, encoding="utf-8") as f:
    back = [json.loads(l) for l in f]
check(back == rows, "round-trip mismatch")

# --- summary
from collections import Counter
cc = Counter(c for r in rows for c in r["expect"]["categories"])
benign = sum(1 for r in rows if not r["expect"]["categories"])
langs = Counter(r["post"]["lang"] for r in rows)
roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
sevs = Counter(r["expect"]["severity"] for r in rows)
print("cases", len(rows), "benign", benign, "positive", len(rows) - benign)
print("categories", dict(sorted(cc.items())))
print("langs", dict(langs), "roles", dict(roles), "severity", dict(sevs))
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
