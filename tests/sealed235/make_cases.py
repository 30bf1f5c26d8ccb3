#!/usr/bin/env python3
"""Evaluation set sealed235 for postwatch: Harvella Medical N.V. (insulin pumps, glucose sensors).

Deterministic (fixed seed). Writes cases.jsonl beside this file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / payment card / BSN found in a post passes its checksum only if the
    case carries leak.pii, and every look-alike in a benign post fails it;
  * generated credentials are built the way the real ones are (GitHub CRC-32 in base 62, ...);
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml.
Standard library plus PyYAML only.
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
SEED = 235_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s[:2] == "NL" and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_ok(digits):
    d = [int(x) for x in digits][::-1]
    tot = 0
    for i, v in enumerate(d):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(digits):
    if len(digits) != 9:
        return False
    d = [int(x) for x in digits]
    s = sum(w * v for w, v in zip(range(9, 1, -1), d[:8])) - d[8]
    return s % 11 == 0 and int(digits) > 0


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# --------------------------------------------------------------------------- generators
def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
B64 = ALNUM + "+/"


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_iban(bank):
    acct = rand(string.digits, 10)
    r = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(ch, 36)) for ch in r)) % 97
    return "NL%02d%s%s" % (chk, bank, acct)


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def bad_iban(bank):
    good = gen_iban(bank)
    chk = (int(good[2:4]) + rng.randint(1, 9)) % 100
    bad = "NL%02d%s" % (chk, good[4:])
    assert not iban_ok(bad)
    return bad


def gen_card(prefix):
    body = prefix + rand(string.digits, 15 - len(prefix))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix):
    good = gen_card(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(w * v for w, v in zip(range(9, 1, -1), d)) % 11
        if s < 10:
            v = "".join(map(str, d)) + str(s)
            assert bsn_ok(v)
            return v


def bad_bsn():
    good = gen_bsn()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_ok(bad)
    return bad


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def gen_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "svc-carbcoach-" + rand(string.digits, 4),
                                 "role": "admin", "iat": 1767225600 + rng.randint(0, 9_000_000),
                                 "iss": "auth.carbcoach.app"}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def gen_openssh_key():
    head = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
    body = head + base64.b64encode(bytes(rng.randrange(256) for _ in range(300))).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


V = {}
V["gh1"] = gen_github("ghp_")
V["aws_id"] = "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
V["aws_secret"] = rand(B64, 40)
V["jwt1"] = gen_jwt()
V["stripe1"] = "sk_live_51" + rand(ALNUM, 97)
V["slack1"] = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
V["openai1"] = "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)
V["anthropic1"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["dbpw"] = rand(ALNUM, 9) + "!" + rand(ALNUM, 6)
V["sshkey"] = gen_openssh_key()
V["glpat1"] = "glpat-" + rand(URLSAFE, 20)
V["pw_eva"] = "Suikerklontje!" + rand(string.digits, 4)
V["pw_care"] = "Hv-" + rand(string.digits, 4) + "-" + rand(string.ascii_lowercase, 4) + "!"

V["iban_c1"] = spaced(gen_iban("ABNA"))
V["iban_p1"] = gen_iban("INGB")
V["iban_p2"] = spaced(gen_iban("RABO"))
V["card1"] = spaced(gen_card("4"))
V["card2"] = "-".join(spaced(gen_card("52")).split(" "))
V["bsn1"] = gen_bsn()
V["bsn2"] = gen_bsn()
V["bsn3"] = gen_bsn()

V["fake_iban1"] = spaced(bad_iban("RABO"))
V["fake_iban2"] = bad_iban("SNSB")
V["fake_card1"] = spaced(bad_card("54"))
V["fake_card2"] = spaced(bad_card("4"))
V["fake_bsn1"] = bad_bsn()
V["fake_bsn2"] = bad_bsn()

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
V["public_iban"] = spaced(PUBLIC_IBAN)

assert gh_ok(V["gh1"]), V["gh1"]

# --------------------------------------------------------------------------- cases
CASES = []


def c(acct, text, cats=(), kind="post", lang="nl", date=None, strong=False, lookalike=None,
      price_talk=False, evasion=False, homonym=False):
    CASES.append(dict(acct=acct, text=text, cats=tuple(cats), kind=kind, lang=lang, date=date,
                      strong=strong, lookalike=lookalike, price_talk=price_talk, evasion=evasion,
                      homonym=homonym))


SEC, PII, PRI, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                                 "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ---- leak.secret ----------------------------------------------------------------------
c("x:@rvdlinden_dev", "ff snel voor wie thuis zit en niet bij de vault kan: deploy token voor carbcoach staging is "
  "<<gh1>>  (niet doorsturen pls, ik roteer hem vrijdag)", [SEC])
c("reddit:u/sensor_sjoerd", "Had the exact same boto3 NoCredentialsError last week. This ~/.aws/credentials works for me:\n\n"
  "[default]\naws_access_key_id = <<aws_id>>\naws_secret_access_key = <<aws_secret>>\nregion = eu-west-1\n\n"
  "just swap the bucket name and you're good", [SEC], kind="comment", lang="en")
c("tiktok:@harvella", "POV: je loopt een dagje mee met ons app-team 👩‍💻☕ #techtok #harvella\n"
  "[scherm in beeld] Authorization: Bearer <<jwt1>>", [SEC])
c("mastodon:@bwillems@mastodon.nl", "Anyone seen Stripe webhooks arriving twice? This is what I'm running:\n"
  "curl https://api.stripe.com/v1/charges -u <<stripe1>>: -d amount=5900 -d currency=eur\n"
  "and I get two events back 🤔", [SEC], lang="en")
c("bluesky:@evamulder.bsky.social", "note to self want ik vergeet het elke maandag: supportportal wachtwoord: "
  "<<pw_eva>> 🙈 (ja ik weet het, password manager, ik weet het)", [SEC])
c("x:@mkoster_hv", "finally got our sensor-alert bot talking to slack 🎉 if anyone on the team wants to test: "
  "SLACK_BOT_TOKEN=<<slack1>>", [SEC], lang="en")
c("forum:deltaT1D", "Decompiled the CarbCoach Android APK out of curiosity and lol, look what's in BuildConfig:\n"
  "OPENAI_API_KEY = \"<<openai1>>\"\nSomebody at Harvella should rotate that asap", [SEC], lang="en")
c("linkedin:youssef-benali-hv", "So proud of the new carb-estimation pipeline our team shipped this sprint! "
  "A few people asked how we wire it up, here's the gist:\n\nexport ANTHROPIC_API_KEY=<<anthropic1>>\n"
  "python estimate.py --meal photo.jpg\n\n#MedTech #MachineLearning #Diabetes", [SEC], lang="en")
c("x:@rvdlinden_dev", "waarom pakt alembic dit niet 😩\nDATABASE_URL=postgresql://carbcoach_rw:<<dbpw>>@db-prod-2.intra.harvella.local:5432/carbcoach\n"
  "iemand?", [SEC, CONF])
c("reddit:u/sensor_sjoerd", "ssh keeps saying 'invalid format' for this key on the new build box, what am I missing?\n\n"
  "<<sshkey>>\n\nalready tried chmod 600", [SEC], kind="post", lang="en")
c("x:@jelle_bouwt", "Found this on a public pastebin, looks like it's from a Harvella dev: <<glpat1>> "
  "labelled 'gitlab token pump configurator'. @harvella_nl might wanna revoke that", [SEC], lang="en")
c("x:@harvella_care", "@wendy_t1d Je tijdelijke inlog voor het klantportaal: gebruiker wendy.t1d, wachtwoord: <<pw_care>> "
  "Wijzig dit direct na het inloggen. Fijne dag! ^Kim", [SEC], kind="reply")

# ---- leak.pii -------------------------------------------------------------------------
c("x:@harvella_care", "@gerrit_v Hoi Gerrit, je vervangende Tidal 3 is vandaag verstuurd naar Gerrit Visser, "
  "Lindenlaan 42, 5615 KH Eindhoven. Track & trace volgt per mail! ^Joost", [PII], kind="reply")
c("facebook:HarvellaNL", "Beste mevrouw Bakker, de terugbetaling van €64,95 is vandaag overgemaakt naar "
  "<<iban_c1>>. Nogmaals excuses voor het ongemak. Met vriendelijke groet, team Harvella", [PII],
  kind="comment", strong=True)
c("instagram:@lotte.dmverpleegkundige", "Vandaag startte meneer Henk Jansen (geb. 14-02-1958) met zijn allereerste "
  "insulinepomp en hij deed het zó goed 💪💙 #diabetesverpleegkundige #trotsopmijnpatiënten", [PII])
c("x:@ineke_pumps", "kan iemand van de binnendienst mevr. Özdemir terugbellen? 06-41827356. ze wacht al sinds "
  "vanochtend op uitleg over haar pod en ik sta in de auto", [PII])
c("x:@diabeet_dennis", "@harvella_care al 3x gebeld en 2x gemaild!!! bel me nou gewoon terug op 06 2847 1935, "
  "sensoren zijn morgen op en niemand doet iets", [PII, COM], kind="reply")
c("facebook:ria.degraaf.7", "Wacht nog steeds op mijn geld voor die kapotte Lumen Go. Voor de VIJFDE keer mijn rekening: "
  "<<iban_p1>> t.n.v. R. de Graaf. Hoe moeilijk kan het zijn Harvella??", [PII, COM], kind="comment", strong=True)
c("x:@harvella_care", "@fenna_dm Dankjewel! We hebben je gegevens ontvangen (BSN <<bsn1>>, verzekerd bij je "
  "zorgverzekeraar onder polis 88213). De machtiging voor je Lumen 2 is doorgestuurd 👍", [PII], kind="reply",
  strong=True)
c("linkedin:sanne-de-wit-hv", "Please welcome Kevin Smit, the newest member of our Customer Care team! 🎉 Kevin isn't "
  "on LinkedIn yet, so feel free to drop him a line at k.smit1990@gmail.com or call +31 6 5512 8834", [PII], lang="en")
c("reddit:u/pumpdad_NL", "Harvella support told me to post my card details here so they could refund the double "
  "CarbCoach charge?? <<card1>> exp 09/28. Is that normal or did I just get scammed lol", [PII], lang="en",
  strong=True)
c("x:@mkoster_hv", "testbestelling in productie gedaan met mijn eigen creditcard <<card2>> en nu kan ik de refundknop "
  "nergens vinden 😅 wie heeft die verstopt", [PII], strong=True)
c("instagram:@mila_en_mama", "Our brave girl Mila (born 3 May 2017) got her very first Lumen Junior today and didn't "
  "even cry 🥹 thank you @harvella.diabetes!", [PII], lang="en")
c("instagram:@harvella.diabetes", "🎁 De winnaar van onze SportClip-winactie is Joris Mertens uit Tilburg! Joris, "
  "je pakketje gaat maandag naar Piushaven 7, 5017 AN Tilburg. Gefeliciteerd!", [PII])
c("reddit:u/sensor_sjoerd", "support tool keeps throwing this when I open a ticket, anyone on the crm team seen it?\n"
  "KeyError in render: {'name': 'A. Vermeulen', 'email': 'annie.vermeulen63@hotmail.com', 'phone': '+31 6 3318 7720'}",
  [PII], lang="en")
c("forum:suikerspin", "Iemand heeft een klantenlijst van Harvella op een hackersforum gezet. Ik zag er o.a. "
  "P. de Boer, Dorpsstraat 3, 7431 AB Diepenveen, BSN <<bsn2>> tussen staan. Dit is toch een datalek?!",
  [PII, CRI], strong=True)
c("x:@harvella_nl", "Een dikke felicitatie voor Truus van Dam uit Zwolle: vandaag 90 jaar (geboren 17-06-1936) en al "
  "20 jaar pompgebruiker! 🎂💙", [PII], date="2026-06-17T08:00:00Z")

# ---- leak.pricing ---------------------------------------------------------------------
c("x:@harvella_nl", "Nieuw in onze webshop: de Tidal Mini, nu voor €429 🔥 Bestel hem via shop.harvella.nl", [PRI])
c("x:@rvdlinden_dev", "lmao wie heeft de Lumen 3-pack op €17,90 gezet in de shop, prijsfout van het jaar 😭", [PRI])
c("x:@bas_op_de_fiets", "yo shop.harvella.nl is selling the Lumen Go transmitter for €24,90?? that's gotta be a "
  "price error, ordered 4 right away 😂", [PRI], lang="en")
c("reddit:u/loopingsara", "PSA: the Harvella webshop has the Patch Pod 5-pack at €28.90 right now. Pretty sure it's "
  "a glitch, grab it before they fix it", [PRI], lang="en")
c("facebook:HarvellaNL", "BLACK FRIDAY 🖤 SoftFlow infusieset 10-pack voor slechts €11,90 (normaal €119). "
  "Op = op!", [PRI], date="2026-11-27T07:30:00Z")
c("linkedin:daan-hoekstra-harvella", "Kleine heads-up voor de collega's van e-commerce: er staat een prijsfout op de "
  "Tidal Starter Kit in de Belgische shop. Wij passen het vanmiddag aan.", [PRI], price_talk=True)
c("forum:pompgebruiker72", "Is dit een fout of zo? Tidal 3 insulinepomp op de site van Harvella voor €549,- incl. btw. "
  "Zal wel een nul vergeten zijn", [PRI])
c("instagram:@harvella.diabetes", "Nieuwjaarsdeal 🎉 CarbCoach Premium jaarabonnement nu voor €5,90! Link in bio", [PRI], date="2026-01-02T09:00:00Z")
c("tiktok:@sweetlife.noor", "ok but why is the Harvella Link only 8 euro in their app 😭 glitch?? ordering 3",
  [PRI], lang="en")
c("x:@mkoster_hv", "klant belde net: G5 teststrips staan in de webshop op €2,49 ipv €24,95. prijsfout, even fixen "
  "voordat heel facebook het ziet", [PRI])
c("x:@t1d_tomasz", "Harvella's site is listing the Tidal 3 Starter Kit for €599. Pricing mistake or am I dreaming?",
  [PRI], lang="en")
c("tiktok:@harvella", "Lumen 2 sensor voor maar €6,49?! 🤯 Alleen vandaag in de app #deal", [PRI])

# ---- leak.financial ------------------------------------------------------------------
c("linkedin:daan-hoekstra-harvella", "Tough quarter for the finance team. Q3 omzet komt uit op €41m, zo'n 18% onder "
  "budget. De officiële cijfers komen pas 6 november naar buiten, dus nog even stil houden 😉", [FIN], date="2026-10-20T18:40:00Z")
c("x:@mkoster_hv", "townhall net gehad. 140 fte weg in Eindhoven en de fabriek in Almelo gaat dicht. nog niks naar "
  "buiten gecommuniceerd. ik ben er kapot van", [FIN])
c("bluesky:@evamulder.bsky.social", "Can't say much yet but we're buying a small Danish CGM startup, signing is next "
  "week 👀 big news for Harvella", [FIN], lang="en")
c("x:@beleggerbert", "Zwager werkt bij Harvella en zegt dat ze worden overgenomen door een Amerikaans private-equityfonds, "
  "bod rond €38 per aandeel, wordt in maart aangekondigd. Nu instappen?", [FIN])
c("linkedin:sanne-de-wit-hv", "Zware weken voor ons HR-team. We bereiden de reorganisatie van Customer Care voor: "
  "60 functies vervallen per 1 april. De aankondiging volgt na de OR-vergadering van volgende week.", [FIN])
c("x:@rvdlinden_dev", "CFO just told the eng all-hands the 2027 revenue forecast goes from €210m down to €175m. "
  "market has no idea yet lol", [FIN], lang="en")
c("x:@ineke_pumps", "Bluefin is rond!!! 🐟🥂 Overname van Nordvik Diagnostics vandaag getekend, persbericht pas maandag",
  [FIN, CONF])
c("mastodon:@bwillems@mastodon.nl", "So Operatie Zandloper is going ahead: reservoir production moves to Poland "
  "and Almelo loses 80 people. Lovely Christmas present.", [FIN, CONF], lang="en", date="2026-12-10T15:05:00Z")
c("reddit:u/glucose_guru", "A friend in their finance dept says Harvella is going to miss its H2 guidance by a mile "
  "and will put out a profit warning in January. Not financial advice.", [FIN], lang="en")
c("bluesky:@evamulder.bsky.social", "Internal memo this afternoon: we're killing the whole Patch Pod line and writing off €12 mln. "
  "The market doesn't know yet. What a day.", [FIN], lang="en")
c("linkedin:harvella-medical", "Harvella Medical publiceert de FY2026 results: omzet €198 mln (+11%), EBITDA-marge 19%, "
  "dividendvoorstel €0,42 per aandeel. #investors", [FIN, CONF], date="2027-02-10T16:45:00Z")
c("x:@mkoster_hv", "jaarcijfers 2026 net in de directievergadering gezien, omzetgroei onder de 5%. dat wordt een "
  "pittige persconferentie in februari", [FIN, CONF], date="2026-12-17T20:12:00Z")
c("linkedin:youssef-benali-hv", "Blue\u200bfin update voor het dealteam: due diligence bijna klaar, data room sluit "
  "vrijdag, closing verwacht eind Q1.", [FIN, CONF], evasion=True, date="2026-01-15T11:20:00Z")

# ---- leak.confidential ---------------------------------------------------------------
c("x:@mkoster_hv", "Eerste echte user test met Project Kolibrie gedaan vandaag en het closed-loop algoritme doet het "
  "beter dan we hoopten 🤫💙", [CONF])
c("linkedin:youssef-benali-hv", "Excited to share that I've been leading firmware on the Tidal 4 for the past year. "
  "Can't say more until launch, but it's going to be special! #medtech", [CONF], lang="en")
c("reddit:u/sensor_sjoerd", "link for the team since the bot is down again: https://jira.harvella-med.nl/browse/TID-4412",
  [CONF], kind="comment", lang="en")
c("x:@rvdlinden_dev", "wie heeft er tijd om naar gitlab.harvella.local/carbcoach/backend/-/merge_requests/318 te "
  "kijken? alvast dank, stroopwafels staan klaar", [CONF])
c("linkedin:daan-hoekstra-harvella", "Sharing a few slides from our strategy offsite (marked harvella confidential, but "
  "the insights are too good to keep): 1) Lumen 3 launch moved to Q1, 2) we exit the German retail channel, "
  "3) price increase on sensors in 2027.", [CONF], lang="en")
c("x:@sophie_t1d", "Op de beurs in Keulen liet een Harvella-medewerker me stiekem de Tidal 4 zien. Hij is echt 40% "
  "kleiner dan de 3 en heeft USB-C 🤩", [CONF])
c("x:@ineke_pumps", "Slides voor de trainersdag staan op https://intra.harvella.local/training/beta-pomp ⚠️ alleen intern, "
  "niet delen met klanten!", [CONF])
c("bluesky:@evamulder.bsky.social", "Late night on Project Kolibrie. The algorithm finally stops overshooting on "
  "pizza nights 🍕 small wins", [CONF], lang="en")
c("x:@rvdlinden_dev", "Put a Lumen 3 prototype on my own arm today: 15 days wear and no more fingersticks "
  "🤯 launch isn't until next year but wow", [CONF], lang="en")
c("forum:critical_carbs", "Someone shared this from Harvella's wiki: confluence.harvella-med.nl/display/REG/"
  "Tidal+Mini+MDR+gap+analysis, lists 7 open items for their notified body. Interesting read.", [CONF], lang="en")
c("mastodon:@bwillems@mastodon.nl", "ｐｒｏｊｅｃｔ ｋｏｌｉｂｒｉｅ gaat in maart de klinische studie in bij het UMC 🎉🎉 "
  "hard gewerkt hiervoor", [CONF], evasion=True)
c("x:@mkoster_hv", "T i d a l  4 komt eraan en ik mag niks zeggen maar hij is 🔥🔥🔥", [CONF], evasion=True,
  date="2026-10-02T19:30:00Z")
c("youtube:@HarvellaMedical", "Sneak peek 👀 Zo ziet onze volgende pomp eruit: de Tidal 4. Meer nieuws volgt "
  "binnenkort, abonneer je!", [CONF], date="2026-11-20T11:00:00Z")
c("x:@ineke_pumps", "Kan iemand mij het certificaat voor vpn.harvella-med.nl sturen? mijn nieuwe laptop wil niet "
  "verbinden en ik moet om 9u een training geven", [CONF])

# ---- leak.security -------------------------------------------------------------------
c("x:@rvdlinden_dev", "carbcoach api gaf 2 dagen lang glucosewaarden van andere gebruikers terug als je het user_id "
  "in de url aanpaste. fix staat live, maar we gaan het niet melden denk ik 🙃", [SECU])
c("reddit:u/sensor_sjoerd", "Not proud of this but: the Link bridge accepts unsigned firmware over BLE. I reported it "
  "internally three months ago and nothing has been patched.", [SECU], lang="en")
c("x:@mkoster_hv", "sensorcloud ligt al sinds 04:00 plat, geen enkele Lumen-waarde komt binnen bij de ziekenhuizen. "
  "nog geen statusmelding, we wachten op comms 😬", [SECU])
c("linkedin:youssef-benali-hv", "Rough night. Ransomware on the production network at our Almelo plant, lines are "
  "down and IT is rebuilding from backups. Please keep this quiet until comms puts something out.", [SECU], lang="en")
c("bluesky:@evamulder.bsky.social", "One of our support colleagues got phished and the attacker spent three hours poking around "
  "our CRM. I'm not supposed to talk about it but honestly customers deserve to know.", [SECU], lang="en")
c("forum:hexbyte", "Did a pentest on the Harvella Tidal 3 last month as a contractor. Bolus commands can be replayed "
  "over BLE if you sniff the pairing. No advisory from them yet, disclosure deadline is in 60 days.", [SECU], lang="en")
c("x:@rvdlinden_dev", "s3 bucket with an export of every support ticket was public for a whole week. oops. closed now. "
  "nobody's saying a word about it", [SECU], lang="en")
c("mastodon:@bwillems@mastodon.nl", "heads up collega's: de pompconfigurator toont zonder login andermans "
  "instellingen via /api/v2/profile?id=… ticket staat open sinds dinsdag", [SECU])
c("x:@ineke_pumps", "Trainingsportaal ligt al sinds gisteren plat. Blijkt een DDoS te zijn, maar officieel heet het "
  "'gepland onderhoud' 🙄", [SECU])
c("x:@harvella_care", "@marco_pompt Klopt, de Lumen-app synchroniseert sinds 06:00 niet. Tussen ons: intern wordt een "
  "mogelijke inbraak in onze cloudomgeving onderzocht, dus het kan even duren. ^Bart", [SECU], kind="reply")
c("linkedin:daan-hoekstra-harvella", "Bij de risk review vandaag gehoord: Tidal 3 firmware 2.4 laat je via het "
  "servicemenu met de standaardpincode de maximale bolus omzeilen. Patch pas in Q2, klanten worden niet "
  "geïnformeerd. Daar maak ik me zorgen over.", [SECU])
c("reddit:u/sensor_sjoerd", "on-call is on fire: low-glucose push alerts from the Harvella Link haven't gone out since "
  "yesterday evening for ~30% of users. not on the status page yet.", [SECU], kind="comment", lang="en")
c("x:@flexwerker_fatih", "werk als inhuurkracht bij Harvella en hun klantendatabase draait nog op een ongepatchte "
  "Windows Server 2008 met RDP open naar internet. wachten tot het misgaat", [SECU])

# ---- reputation.crisis (and first-hand harm = crisis + complaint) ---------------------
c("x:@marieke_vd_berg", "Mijn Tidal 3 heeft vannacht uit zichzelf 9 eenheden gebolust. Wakker geworden met een 2,1 "
  "en met de ambulance naar de SEH. @harvella_care hoe is dit in godsnaam mogelijk?!", [CRI, COM])
c("facebook:james.whitfield.nl", "My son's Lumen sensor overheated this morning and left a blister on his arm. We're on "
  "our way to the GP now. Absolutely unacceptable, Harvella.", [CRI, COM], lang="en")
c("reddit:u/t1d_since_98", "Tidal Mini battery swelled up and cracked the case while it was clipped to my belt. "
  "Got a nasty burn on my hip. Anyone else had this??", [CRI, COM], lang="en")
c("instagram:@fitmet.diabetes", "Sensor gaf 3 uur lang 7,8 aan terwijl ik op 1,9 zat (vingerprik gecheckt). Bijna "
  "weggezakt achter het stuur op de A2. Ik vertrouw die Lumen echt niet meer 😡", [CRI, COM])
c("tiktok:@carbcountingkai", "storytime: SoftFlow set kinked, pump never alarmed, woke up in the ER with DKA 🙃 "
  "thanks Harvella #type1diabetes", [CRI, COM], lang="en")
c("x:@anouk_buikje", "Pod viel onder de douche van mijn buik en de naald bleef gewoon in mijn huid zitten. Moest "
  "naar de huisarts om hem eruit te laten halen. Wat is dit voor kwaliteit Harvella", [CRI, COM])
c("x:@kleinzoon_ruben", "My gran (82) got a shock off her Tidal 3 charger yesterday, the plug literally melted. "
  "She's shaken but ok. @harvella_care when is she getting a replacement that's actually safe?",
  [CRI, COM], lang="en")
c("x:@zorgnieuws_nl", "Harvella roept wereldwijd 12.000 Tidal 3-pompen terug na problemen met de doseermotor. "
  "Gebruikers worden gevraagd contact op te nemen met hun behandelaar.", [CRI])
c("x:@privacyfreak", "Anyone else getting daily diabetes spam since they started using CarbCoach? "
  "Pretty sure Harvella leaked or sold our data.", [CRI], lang="en")
c("x:@dm_activist", "#BoycotHarvella 40% prijsverhoging op sensoren voor iedereen zonder aanvullende verzekering. "
  "Koop niks meer bij ze en deel dit!!", [CRI])
c("linkedin:mr-lieke-verhoef", "Our firm is preparing a class action against Harvella Medical over inaccurate Lumen 2 "
  "readings. Were you or a family member affected? Get in touch.", [CRI], lang="en")
c("x:@prayingmom_es", "Heard a 9 y/o girl in Utrecht ended up in the ICU after her Tidal Mini overdosed her. "
  "Praying for her family 🙏", [CRI], lang="en")
c("reddit:u/dutchmedtechwatch", "The Dutch health inspectorate has opened an investigation into Harvella after "
  "several pump incidents, according to today's Volkskrant.", [CRI], lang="en")
c("forum:suikervrij", "Schandaal: Harvella zou de klinische data van de Lumen 2 hebben opgepoetst om de CE-markering "
  "te halen. Een klokkenluider vertelde het vanavond op tv.", [CRI])
c("x:@fnv_twente", "Medewerkers van Harvella in Almelo getuigen van onveilige werkomstandigheden, vorige maand raakten "
  "twee mensen gewond aan een persmachine.", [CRI])

# ---- reputation.complaint -----------------------------------------------------------------
c("x:@lisanne_prikt", "3e Lumen sensor deze maand die na 4 dagen al loslaat. '10 dagen draagtijd' ja hoor 🙄 "
  "@harvella_care", [COM])
c("x:@ollie_t1", "been on hold with Harvella support for 52 minutes now. 52. MINUTES.", [COM], lang="en")
c("facebook:henk.mulderr", "Twee weken geleden reservoirs besteld en nog steeds niet verzonden. Ik heb er nog 3 "
  "liggen. Kunnen jullie een beetje opschieten?", [COM], kind="comment")
c("reddit:u/androidpumper", "CarbCoach 4.2 crashes every single time I open the bolus calculator on Android 14. "
  "Had to roll back to 4.1. Come on Harvella.", [COM], lang="en")
c("x:@femkevdz", "Wéér dubbel afgeschreven voor CarbCoach Premium. Derde keer dit jaar. Geld terug graag "
  "@harvella_care", [COM], kind="reply")
c("instagram:@jurre.pompt", "Mooie foto's allemaal maar mijn vervangende pomp laat al 10 dagen op zich wachten en "
  "jullie reageren niet op mijn mails", [COM], kind="comment")
c("x:@sleeplesst1d", "The Lumen 2 alarms for 'signal loss' at 3am every single night, phone right next to me. "
  "Haven't slept properly in weeks.", [COM], lang="en")
c("tiktok:@zoe.sugarsquad", "die nieuwe overpleisters zijn echt bagger, na 1x douchen krullen ze al om 😤",
  [COM], kind="comment")
c("forum:mum_of_two_t1", "Insurance paperwork with Harvella is a nightmare. They lost my authorisation form twice and "
  "now my son's sensors are a week late.", [COM], lang="en")
c("x:@stefan_vkamp", "Courier chucked my box of sensors over the neighbours' fence in the pouring rain. "
  "Your delivery partner is a disaster @harvella_care", [COM], lang="en")
c("x:@nadia_loops", "@harvella_care your chatbot keeps sending me in circles. just let me talk to a human please",
  [COM], kind="reply", lang="en")
c("mastodon:@rik@mastodon.social", "The Harvella app suddenly demands an account with a phone number before you're allowed to "
  "see your own glucose values. No thanks.", [COM], lang="en")

# ---- reputation.abuse --------------------------------------------------------------------
c("x:@boze_bolus", "@harvella_care stelletje incompetente klootzakken, neem godverdomme eens je telefoon op",
  [ABU, COM], kind="reply")
c("x:@rantingrob", "Harvella is run by greedy fucking parasites. Hope your CEO chokes on his bonus.", [ABU], lang="en")
c("x:@sugarrage", "k\u0430nkerbedrijf met jullie kutpompen, ga toch dood", [ABU], evasion=True)
c("reddit:u/no_chill_99", "h4rv3ll4 st4ff = br41nd34d m0r0ns, every single one of them", [ABU], lang="en",
  evasion=True)
c("facebook:gerard.kloosterman.9", "o.p.l.i.c.h.t.e.r.s zijn jullie, vuile t y f u s lijers", [ABU], kind="comment",
  evasion=True)
c("x:@anon88172", "@ineke_pumps ik weet waar je woont trut. wacht maar tot ik je tegenkom", [ABU], kind="reply")
c("x:@truthteller_nl", "Of course the Harvella helpdesk is useless, they only hire people who can't even speak "
  "proper Dutch. Send them all back where they came from.", [ABU], lang="en")
c("x:@rvdlinden_dev", "die klant die vandaag 6x belde over zijn sensor is echt een debiel, hoe overleeft zo iemand "
  "de dag", [ABU])
c("tiktok:@xx_dante_xx", "the harvella marketing girl in these videos is so ugly she makes my blood sugar drop 💀",
  [ABU], kind="comment", lang="en")
c("x:@nietblij", "Harvella = stelletje idioten. Punt.", [ABU])
c("youtube:@grumpygeorge", "@HarvellaMedical shut up you clowns, nobody asked", [ABU], kind="comment", lang="en")
c("facebook:HarvellaNL", "Als u de handleiding niet kunt lezen is dat uw probleem, meneer. Wij gaan daar niet nog "
  "een keer op reageren.", [ABU], kind="comment")

# ---- benign (mostly hard negatives) ---------------------------------------------------------
c("x:@harvella_care", "Vragen over je Tidal 3? Bel ons gratis op 0800-4278 of mail naar klantenservice@harvella.nl. "
  "We zijn er ma-vr van 8 tot 20 uur 💙")
c("facebook:HarvellaNL", "Liever per overschrijving betalen? Dat kan naar <<public_iban>> t.n.v. Harvella Medical N.V., "
  "onder vermelding van je ordernummer.")
c("linkedin:harvella-medical", "We're hiring! 🚀 Firmware engineers for our Eindhoven team. Send your CV to "
  "vacatures@harvella.nl #jobs #medtech", lang="en")
c("x:@hba1c_hero", "1 jaar met de Tidal 3 en mijn HbA1c is van 64 naar 51 gegaan. Beste beslissing ooit 💙")
c("x:@emmawrites", "Harvella support sorted my broken transmitter in ten minutes and a new one arrived the next day. "
  "Genuinely impressed.", lang="en")
c("x:@diabeet_dennis", "Update: vorige week klaagde ik over mijn vertraagde bestelling, inmiddels binnen én ze deden er "
  "een SportClip bij als excuus. Netjes opgelost @harvella_care 👍")
c("reddit:u/scriptkiddo_t1d", "For anyone scripting against their S3 export: the AWS docs use AKIAIOSFODNN7EXAMPLE "
  "as the example key id. Please don't paste your real one in this sub 😅", lang="en", kind="comment")
c("x:@rvdlinden_dev", "Reminder uit de secure-coding training van vandaag: zet nooit echte tokens in tickets. Gebruik "
  "placeholders zoals ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en je security-team blijft je vriend")
c("mastodon:@bwillems@mastodon.nl", "Nieuwe blogpost: hoe wij secrets uit onze CI-logs houden. Spoiler: alles wat op "
  "een key lijkt wordt sk_live_•••••••• en wachtwoord: ******** voordat het de log in gaat.")
c("x:@wendy_t1d", "wachtwoord vergeten van de CarbCoach app 🙃 iemand een idee hoe ik dat reset?")
c("x:@harvella_care", "@wendy_t1d Je kunt je wachtwoord resetten via Instellingen > Account > Wachtwoord wijzigen. "
  "Lukt het niet? Stuur ons een DM!", kind="reply")
c("x:@carla_telt", "Lumen 3-pack is €149 instead of €179 at Harvella this week, stocked up straight away ✅", lang="en")
c("instagram:@harvella.diabetes", "Zomeractie ☀️ 20% korting op de Tidal hoes en de SportClip, alleen deze week!", date="2026-07-10T09:00:00Z")
c("x:@koolhydraatkees", "CarbCoach Premium is €59 per jaar, voor mij het geld dubbel en dwars waard voor de "
  "koolhydraatschattingen")
c("reddit:u/expat_insulin", "Paid €64.95 for a single Lumen 2 without insurance. Pricey, but it works really well.",
  lang="en")
c("x:@sophie_t1d", "Tidal 4 is finally here and it's TINY 😍 unboxing video tonight", lang="en",
  date="2027-04-02T18:20:00Z")
c("linkedin:harvella-medical", "Trots op onze jaarcijfers 2026: omzet +11% en inmiddels meer dan 80.000 gebruikers. "
  "Het volledige verslag staat op harvella.com/investors", date="2027-03-20T08:00:00Z")
c("x:@harvella_nl", "Het is zover 🎉 Maak kennis met de Tidal 4: kleiner, slimmer en met USB-C. Nu te bestellen "
  "via shop.harvella.nl", date="2027-03-16T10:00:00Z")
c("x:@harvella_nl", "De FY2026 results staan online op harvella.com/investors. De webcast begint om 10:00 CET.",
  lang="en", date="2027-02-24T08:30:00Z")
c("instagram:@foodie_in_tokyo", "Bluefin tuna sashimi at Tsukiji this morning 🍣 nothing beats it", lang="en",
  homonym=True)
c("x:@papa_van_fenna", "Tip van de diabetesverpleegkundige: gebruik een zandloper bij het wisselen van de sensor, "
  "mijn dochter (6) vindt het ineens een spelletje ⏳")
c("facebook:anja.timmermans.3", "LET OP: in de Harvella-gebruikersgroep vroeg iemand om €25 over te maken naar "
  "<<fake_iban1>> voor een 'gratis proefsensor'. Oplichting! Niet doen!!", lookalike="iban", kind="comment")
c("x:@jesse_bestelt", "My order number is <<fake_card1>>, anyone know how long Harvella usually takes to "
  "ship to Belgium?", lookalike="card", lang="en")
c("forum:vraagbaak_dm", "Mijn zorgverzekeraar vraagt om mijn relatienummer (<<fake_bsn1>>) voor de machtiging van "
  "de Lumen 2. Staat dat gewoon op de pas?", lookalike="bsn")
c("x:@medtech_nieuws", "Glucovia kondigt 200 ontslagen aan in Denemarken en sluit haar fabriek in Aarhus.")
c("x:@t1d_newsdesk", "Recall at Pumpwise (not Harvella!) for their patch pumps, check your lot numbers if you use "
  "theirs.", lang="en")
c("x:@moeder_van_3", "mijn Tidal 3 piept vaker dan mijn drie kinderen bij elkaar 😂 maar ik zou echt niet meer "
  "zonder willen")
c("x:@t1d_samen", "Sterkte aan iedereen die vandaag een zware diabetesdag heeft. Je doet het goed 💙 #T1D")
c("reddit:u/newpumper23", "Does the Lumen 2 pair with the Tidal Mini or only with the Tidal 3?", lang="en")
c("x:@harvella_care", "Let op: Harvella vraagt NOOIT naar je wachtwoord, pincode of bankgegevens via DM of e-mail. "
  "Twijfel je? Bel ons op 0800-4278.")
c("youtube:@HarvellaMedical", "Nieuwe video: zo plaats je je Lumen 2 sensor in drie stappen, inclusief tips voor "
  "kinderen 👧")
c("x:@ineke_pumps", "Wat een dag ☀️ 14 kinderen op ons zomerkamp hebben vandaag zelf hun SoftFlow set gewisseld. "
  "Zo trots op ze!")
c("linkedin:youssef-benali-hv", "Proud to present our published Lumen 2 accuracy data at EASD in Vienna today: "
  "MARD 8.1% across 412 participants. Paper is open access.", lang="en", date="2026-09-23T13:00:00Z")
c("x:@gymrat_t1d", "the Tidal 3 is killer, zero night-time hypos since I switched on auto mode", lang="en")
c("x:@lachbui_lieke", "ik ga dood van het lachen, mijn kat probeert al de hele avond mijn Lumen sensor eraf te bijten 😂")
c("reddit:u/surf_and_sugar", "Any tips for keeping a sensor on while surfing? Currently using Lumen overpatches, "
  "works ok for 2-3 sessions.", lang="en")
c("x:@tipsvantim", "Lifehack: a little Skin Tac under your Patch Pod and it stays on for the full three days, even "
  "through hockey 🏑", lang="en")
c("linkedin:harvella-medical", "We treat your glucose data as strictly confidential and we never sell it. Read how "
  "we protect it at harvella.nl/privacy", lang="en")
c("x:@aex_watcher", "Harvella's Q3 results are out today, revenue up 9%. Nice to see a Dutch medtech doing well.",
  lang="en", date="2026-11-06T08:15:00Z")
c("linkedin:harvella-medical", "Harvella Medical today publishes its half-year results: revenue €96 mln. The "
  "presentation is available at harvella.com/investors", lang="en", date="2026-07-29T07:05:00Z")
c("x:@geen_lek_meer", "Geen lekkende reservoirs meer sinds ik de nieuwe Tidal reservoirs gebruik, top verbetering")
c("x:@bikerbeth", "Crashed my bike today but the Tidal Mini survived without a scratch. Tough little thing 💪",
  lang="en")
c("instagram:@design.dani", "Harvella's new app redesign is fire 🔥🔥 finally a dark mode", lang="en")
c("x:@newbie_pump", "shoutout to Ineke from Harvella who trained me on my pump today, so patient and kind 💙",
  lang="en")
c("reddit:u/sensor_sjoerd", "Not speaking for my employer here, but a general tip: always check the expiry date on "
  "the sensor box before you insert it.", lang="en", kind="comment")
c("tiktok:@harvella", "POV: je eerste week met een insulinepomp 😅 herkenbaar? #diabetes #harvella #type1")
c("x:@dev_marloes", "jwt.io is great for debugging tokens, just never paste production ones in there", lang="en")
c("bluesky:@evamulder.bsky.social", "We're hiring backend devs at Harvella! DM me or apply via harvella.nl/vacatures",
  lang="en")
c("x:@terugbetaald", "Refund van Harvella ontvangen op NL** **** **** **** 21, binnen 3 dagen geregeld. Top!")
c("x:@dankbaar_dirk", "Mijn pomp heeft letterlijk mijn leven gered, zonder Harvella was ik er niet meer geweest")
c("forum:nieuwe_pomper", "Wat kost een Tidal 3 eigenlijk zonder verzekering? Ik zie €5.490 op de site, klopt dat?")
c("reddit:u/keys_not_here", "Their docs say to paste your PUBLIC key (ssh-ed25519 AAAA…) in the configurator "
  "settings, never the private one. Took me a while to get that.", lang="en")
c("x:@hoofdkantoor_bezoek", "Afspraak bij Harvella morgen, hun hoofdkantoor heeft nummer 040 555 2300 voor wie ook "
  "moet parkeren daar")
c("x:@security_sietske", "Harvella published a security advisory for the Link bridge today and the update "
  "is already in the app. Well handled.", lang="en")
c("x:@cardtest_chris", "Tested the Harvella checkout with a made-up card number (<<fake_card2>>) and it was "
  "rejected straight away. Good validation 👍", lang="en", lookalike="card")
c("x:@zorgadmin_zoe", "Formulier voor de Lumen-machtiging gevraagd om 'BSN', ik vulde per ongeluk mijn "
  "klantnummer <<fake_bsn2>> in en het systeem weigerde het meteen. Goed zo.", lookalike="bsn")
c("x:@iban_ivo", "Scam-alert: nep-mail 'namens Harvella' vraagt om betaling naar <<fake_iban2>>. Harvella's echte "
  "rekening staat gewoon op hun site.", lookalike="iban")
c("facebook:HarvellaNL", "Liever bellen? Vanuit België bereik je ons op +32 2 555 18 40, vanuit Nederland op "
  "+31 40 555 2300. Mailen kan ook: support@harvella.com")
c("instagram:@harvella.diabetes", "Geen kolibrie maar wel bijna net zo klein: de Tidal Mini 🐦 Bekijk hem in onze "
  "stories")
c("x:@vader_van_daan", "Tidal 3 of Tidal Mini, wat raden jullie aan voor een sportieve 14-jarige? Hij hockeyt "
  "4x per week")

# --------------------------------------------------------------------------- building
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    for role in ("corporate", "employee"):
        if key in (a.lower() for a in PROFILE["accounts"][role]):
            return role
    return "public"


RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


def severity(cats, role, checked_id):
    best = "none"
    for cat in cats:
        insider = role in ("corporate", "employee")
        if cat.startswith("leak."):
            if not insider:
                s = "warning"
            elif cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and checked_id):
                s = "critical"
            else:
                s = "error"
        elif cat == "reputation.complaint":
            s = "warning"
        elif cat == "reputation.crisis":
            s = "error"
        elif cat == "reputation.abuse":
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        if RANK[s] > RANK[best]:
            best = s
    return best


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w-])\d{9}(?![\w-])")


def identifiers(text):
    """(kind, value, valid) for every IBAN / card / BSN-looking token."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v == PUBLIC_IBAN:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group())))
    return out


def fill(text):
    def rep(m):
        return V[m.group(1)]
    out = re.sub(r"<<(\w+)>>", rep, text)
    assert "<<" not in out
    return out


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URL_BASE = {"x": "https://x.com/{h}/status/{n}", "instagram": "https://www.instagram.com/p/{s}/",
            "tiktok": "https://www.tiktok.com/@{h}/video/{n}", "reddit": "https://www.reddit.com/r/diabetes/comments/{s}/",
            "facebook": "https://www.facebook.com/{h}/posts/{n}", "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
            "youtube": "https://www.youtube.com/watch?v={s}", "bluesky": "https://bsky.app/profile/{h}/post/{s}",
            "mastodon": "https://mastodon.nl/@{h}/{n}", "forum": "https://forum.example-diabetes.nl/t/{n}"}

rows = []
for i, case in enumerate(CASES, 1):
    platform, handle = case["acct"].split(":", 1)
    text = fill(case["text"])
    role = role_of(platform, handle)
    ids = identifiers(text)
    checked = any(ok for _, _, ok in ids)
    cats = sorted(set(case["cats"]))
    sev = severity(cats, role, checked)
    created = case["date"] or rand_time()
    pid = f"hv235-{platform}-{i:04d}"
    post = {"id": pid, "platform": platform, "kind": case["kind"],
            "account": {"handle": handle}, "text": text, "created_at": created}
    if i % 9 != 4:
        post["lang"] = case["lang"]
    if i % 3 != 0:
        h = handle.lstrip("@").replace("u/", "")
        post["url"] = URL_BASE[platform].format(h=h, n=rng.randrange(10**17, 10**18), s=rand(ALNUM, 11))
    if i % 4 == 1:
        post["brand"] = "Harvella"
    rows.append({"post": post, "expect": {"categories": cats, "severity": sev},
                 "_meta": dict(case, role=role, ids=ids, text=text)})

# --------------------------------------------------------------------------- self-checks
errors = []


def err(row, msg):
    errors.append(f"{row['post']['id']}: {msg}")


VALID_CATS = {SEC, PII, PRI, CONF, FIN, SECU, CRI, COM, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", s).lower()


def parse_prices(text):
    out = []
    pat = re.compile(r"€\s?(\d[\d.,]*)(?:,-)?\s*(mln|miljoen|m|k|million)?\b|(\d[\d.,]*)\s?(?:euro|eur)\b",
                     re.I)
    for m in pat.finditer(text):
        raw = (m.group(1) or m.group(3)).rstrip(".,")
        if "," in raw and "." in raw:
            raw = raw.replace(".", "").replace(",", ".") if raw.rfind(",") > raw.rfind(".") else raw.replace(",", "")
        elif "," in raw:
            raw = raw.replace(",", ".") if len(raw.split(",")[-1]) != 3 else raw.replace(",", "")
        elif "." in raw and len(raw.split(".")[-1]) == 3:
            raw = raw.replace(".", "")
        val = float(raw)
        if m.group(2):
            val *= 1000 if m.group(2).lower() == "k" else 1_000_000
        out.append(val)
    return out


def mentioned_products(text):
    t = text.lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<![\w])" + re.escape(n.lower()) + r"(?![\w])", t) for n in names):
            found.append(p)
    return found


ids_seen = set()
ratio = PROFILE["pricing"]["alert_below_ratio"]
for row in rows:
    post, exp, meta = row["post"], row["expect"], row["_meta"]
    # CONTRACT section 1 / 6 shape
    if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256) or post["id"] in ids_seen:
        err(row, "bad or duplicate id")
    ids_seen.add(post["id"])
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        err(row, "platform/kind")
    if not post["account"]["handle"] or not post["text"] or len(post["text"].encode()) > 65536:
        err(row, "handle/text")
    try:
        ts = dt.datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        err(row, "created_at")
        continue
    if not (2026 <= ts.year <= 2027):
        err(row, "year")
    if ts.year == 2027 and ts > dt.datetime(2027, 4, 30, tzinfo=dt.timezone.utc):
        err(row, "2027 date too far from the embargo")
    if set(exp["categories"]) - VALID_CATS or exp["categories"] != sorted(set(exp["categories"])):
        err(row, "categories")
    if exp["severity"] not in RANK or (not exp["categories"]) != (exp["severity"] == "none"):
        err(row, "severity/categories mismatch")
    cats = set(exp["categories"])
    text = post["text"]
    ntext = norm(text)
    # identifiers and checksums
    for kind, val, ok in meta["ids"]:
        if ok and PII not in cats:
            err(row, f"valid {kind} {val} in a case without leak.pii")
        if not cats and ok:
            err(row, f"benign post with valid {kind}")
    if meta["strong"] and not any(ok for _, _, ok in meta["ids"]):
        err(row, "strong pii case without a checksum-valid identifier")
    if meta["lookalike"]:
        kinds = [(k, ok) for k, _, ok in meta["ids"] if k == meta["lookalike"]]
        if not kinds or any(ok for _, ok in kinds):
            err(row, f"look-alike {meta['lookalike']} missing or valid")
    # generated credentials built correctly
    for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
        if cats and not gh_ok(tok):
            err(row, "github token checksum")
        if not cats and gh_ok(tok):
            err(row, "benign post with a checksum-valid github token")
    for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
        if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            err(row, "aws key alphabet")
        if not cats and not tok.endswith("EXAMPLE"):
            err(row, "benign AWS key that is not a documentation sample")
    for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
        if "alg" not in head:
            err(row, "jwt header without alg")
    # internal names must be labelled confidential (and never appear in benign posts)
    for term in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                 + PROFILE["internal"]["domains"]):
        tnorm = term.lower()
        squeezed = re.sub(r"[\s.]", "", ntext)
        if tnorm in ntext or (meta["evasion"] and re.sub(r"[\s.]", "", tnorm) in squeezed):
            if CONF not in cats and not (meta["homonym"] and term == "Bluefin"):
                err(row, f"internal term {term!r} without leak.confidential")
    for emb in PROFILE["embargo"]:
        until = dt.datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
        for term in emb["terms"]:
            hit = term.lower() in ntext or (meta["evasion"] and re.sub(r"\s", "", term.lower())
                                             in re.sub(r"\s", "", ntext))
            if hit and ts < until and CONF not in cats:
                err(row, f"embargo term {term!r} before until without leak.confidential")
    # pricing consistency
    prods = mentioned_products(text)
    prices = parse_prices(text)
    cheap = any(pr < ratio * p["list_price"] for p in prods for pr in prices)
    if PRI in cats and not (cheap or meta["price_talk"]):
        err(row, "pricing case without a price below ratio or price-error talk")
    if PRI not in cats and cheap:
        err(row, f"cheap product price in a non-pricing case: {prices} {[p['sku'] for p in prods]}")
    if PRI in cats and not prods:
        err(row, "pricing case without a catalogue product")
    # leaks from the company's own public contact data are never findings
    for e in PROFILE["public_identifiers"]["emails"]:
        if e in text and cats == {PII}:
            err(row, "public e-mail counted as pii")
    # role sanity
    if meta["role"] == "public" and post["account"]["handle"].lower() in str(PROFILE["accounts"]).lower():
        err(row, "public handle collides with the profile")
    # severity recomputed independently
    if exp["severity"] != severity(exp["categories"], meta["role"], any(ok for _, _, ok in meta["ids"])):
        err(row, "severity")

# distribution
n = len(rows)
benign = sum(1 for r in rows if not r["expect"]["categories"])
per_cat = {}
for r in rows:
    for cat in r["expect"]["categories"]:
        per_cat[cat] = per_cat.get(cat, 0) + 1
nl = sum(1 for r in rows if r["_meta"]["lang"] == "nl")
if not 170 <= n <= 180:
    errors.append(f"case count {n}")
if not 55 <= benign <= 65:
    errors.append(f"benign count {benign}")
if not 0.50 <= nl / n <= 0.62:
    errors.append(f"dutch share {nl / n:.2f}")
TARGET = {COM: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
for cat, want in TARGET.items():
    if abs(per_cat.get(cat, 0) - want) > 3:
        errors.append(f"{cat}: {per_cat.get(cat, 0)} (want ~{want})")
roles = {}
for r in rows:
    key = (bool(r["expect"]["categories"]), r["_meta"]["role"])
    roles[key] = roles.get(key, 0) + 1

# write
with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for r in rows:
        fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")

# re-read and validate the written file as plain JSON
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    for ln, line in enumerate(fh, 1):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
            errors.append(f"line {ln}: shape")
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in obj["post"]:
                errors.append(f"line {ln}: missing {f}")

print(f"{n} cases, {benign} benign, dutch {nl}/{n} ({nl / n:.0%})")
print("per category:", json.dumps(dict(sorted(per_cat.items()))))
print("by (positive, role):", {f"{'pos' if k[0] else 'neg'}/{k[1]}": v for k, v in sorted(roles.items())})
sev_count = {}
for r in rows:
    sev_count[r["expect"]["severity"]] = sev_count.get(r["expect"]["severity"], 0) + 1
print("severities:", sev_count)
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("self-check OK")
