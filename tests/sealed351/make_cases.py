#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed351 (Telvast Accountants, fictional).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
identifiers and credentials are generated the way real ones are built (with their
checksums). Severities are computed from the account role in profile.yaml and the
CONTRACT section 4 policy, never typed by hand. The script self-checks its output.
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
SEED = 351
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

# --------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B32 = string.ascii_uppercase + "234567"
URLSAFE = string.ascii_letters + string.digits + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "klant-%d" % rng.randint(10000, 99999), "role": "client",
                                 "iss": "mijn.telvast.nl", "iat": 1781000000 + rng.randint(0, 999999),
                                 "exp": 1799000000}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    head = tok.split(".")[0]
    head += "=" * (-len(head) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(head))


def ssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        pw = rand(string.ascii_letters + string.digits + "!#%&*?@$", n)
        if (any(c.isupper() for c in pw) and any(c.islower() for c in pw)
                and any(c.isdigit() for c in pw) and any(not c.isalnum() for c in pw)):
            return pw


def slack_webhook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rand(string.ascii_uppercase + string.digits, 8), rand(string.ascii_uppercase + string.digits, 10),
        rand(string.ascii_letters + string.digits, 24))


def mollie_live():
    return "live_" + rand(string.ascii_letters + string.digits, 30)


def stripe_live():
    return "sk_live_51" + rand(string.ascii_letters + string.digits, 97)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def google_key():
    return "AIza" + rand(URLSAFE, 35)


# --- personal identifiers ---
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def nl_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            full = body + c
            return " ".join(full[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s[0] == "0":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def bsn(valid=True):
    while True:
        s = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(s) == valid:
            return s


def mobile():
    return "".join(rng.choice(string.digits) for _ in range(8))


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# --- values used in the texts ---
V = {}
V["AKIA1"] = aws_key_id()
V["AWSSEC1"] = aws_secret()
V["SLACKHOOK"] = slack_webhook()
V["PW_X3"] = password(12)
V["GHP1"] = github_token("ghp_")
V["MOLLIE1"] = mollie_live()
V["OPENAI1"] = openai_key()
V["JWT1"] = jwt()
V["PW_X8"] = password(16)
V["SSHKEY1"] = ssh_private_key()
V["PW_X10"] = password(18)
V["STRIPE1"] = stripe_live()
V["ANTHROPIC1"] = anthropic_key()
V["GOOGLE1"] = google_key()
V["GHS1"] = github_token("ghs_")
SECRETS = {k: v for k, v in V.items()}

V["BSN_P1"] = bsn()
V["IBAN_P2"] = spaced(nl_iban("INGB"))
V["PH_P4"] = "+31 6 " + (lambda m: "%s %s %s %s" % (m[:2], m[2:4], m[4:6], m[6:]))(mobile())
V["PH_P5"] = "06-" + mobile()
V["CARD_P6"] = card("4")
V["BSN_P7"] = bsn()
V["PH_P8"] = "0226-" + "".join(rng.choice(string.digits) for _ in range(6))
V["BSN_P9"] = (lambda b: "%s.%s.%s" % (b[:4], b[4:6], b[6:]))(bsn())
V["BSN_P11_FW"] = fullwidth(bsn())
V["PH_CP1"] = "06 " + (lambda m: "%s %s" % (m[:4], m[4:]))(mobile())
V["IBAN_CP2"] = nl_iban("BUNQ")
V["CARD_P14"] = card("5" + str(rng.randint(1, 5)))
V["IBAN_P15"] = nl_iban("RABO")

# look-alikes for hard negatives (must FAIL their checks)
V["BSN_BAD1"] = bsn(valid=False)
_good = nl_iban("ABNA")
V["IBAN_BAD1"] = spaced(_good[:-1] + str((int(_good[-1]) + 3) % 10))
_c = card("4").replace(" ", "")
V["CARD_BAD1"] = " ".join((lambda s: [s[i:i + 4] for i in range(0, 16, 4)])(_c[:-1] + str((int(_c[-1]) + 5) % 10)))
V["BSN_BAD2"] = bsn(valid=False)

# --------------------------------------------------------------------------------------
# Hand-written cases: (account, categories, lang, text, options)
# categories use short names; options: at=..., kind=...
# --------------------------------------------------------------------------------------
S = {"complaint": "reputation.complaint", "crisis": "reputation.crisis", "abuse": "reputation.abuse",
     "pii": "leak.pii", "secret": "leak.secret", "pricing": "leak.pricing",
     "confidential": "leak.confidential", "financial": "leak.financial", "security": "leak.security"}

CASES = []


def C(account, cats, lang, text, **opt):
    CASES.append(dict(account=account, cats=[S[c] for c in cats], lang=lang, text=text, opt=opt))


# ============================== complaints ==============================
C("x:@sanne_bakt_taart", ["complaint"], "nl",
  "@telvast_help 3x gebeld, 3x 'we bellen u vandaag nog terug'. Het is nu donderdag en mijn aangifte staat nog steeds op 'in behandeling'. Wat moet ik nog doen?")
C("x:@mike_loodgieter_dh", ["complaint"], "en",
  "So Telvast filed my Q1 VAT return 9 days late and now the Belastingdienst hit me with a €369 fine. Their answer: 'deadlines are the client's responsibility'. Then what exactly am I paying you for??")
C("facebook:Henk Bouwmeester", ["complaint"], "nl",
  "Factuur van Telvast binnen. Ineens €480 voor 'aanvullende werkzaamheden' waar nooit iets over is afgesproken. Mail gestuurd, geen reactie. Echt niet normaal zo.")
C("x:@fotografie_lisa", ["complaint"], "nl",
  "elk jaar een andere accountant bij telvast. elk jaar opnieuw uitleggen wat ik doe en waarom ik een auto van de zaak heb 🙄 #zzp")
C("reddit:u/dutch_freelance_dev", ["complaint"], "en",
  "Kompas app crashed halfway through uploading my receipts and wiped the whole month. Support ticket has been open 9 days with zero reply. Anyone else at Telvast having this?")
C("x:@kapsalon_noor_ede", ["complaint"], "nl",
  "Blijkt dat ze de zelfstandigenaftrek gewoon vergeten zijn in m'n IB-aangifte ZZP. Ruim 1800 euro te veel betaald. Bedankt hè Telvast 👏👏")
C("x:@webshop_tim", ["complaint"], "en",
  "mijn.telvast.nl down AGAIN on VAT deadline day. every. single. quarter. how is this still a thing @telvast")
C("linkedin:erik-dewolf-bouw", ["complaint"], "nl",
  "Wacht sinds februari op mijn jaarrekening bij Telvast. De bank wil hem zien voor de financiering van een nieuwe bus en ik krijg op geen enkele mail antwoord. Frustrerend, zo kun je als ondernemer niet werken.")
C("x:@jmvdb_consult", ["complaint"], "en",
  "Asked my Telvast advisor one quick question about my DGA salary by email and got billed 45 min of Fiscaal Spreekuur for it. Never again.")
C("instagram:@bloemenkiosk_marieke", ["complaint"], "nl",
  "die BonScan herkent de helft van mn bonnetjes niet en de klantenservice zegt 'probeer beter licht' 🙃 ik sta gewoon in de winkel hoor, niet in een grot")
C("x:@saskia_interieur", ["complaint"], "en",
  "@telvast_help you promised a callback on Monday. It's Friday. My mortgage application is stuck because you still haven't sent the income statement.")
C("facebook:Rachid Amrani", ["complaint"], "en",
  "Left Telvast and now they refuse to hand my books over to my new bookkeeper unless I pay a 250 euro 'exit fee'. That's nowhere in the contract. Has anyone dealt with this before?")
# complaint + abuse
C("x:@dakdekker_jeroen", ["complaint", "abuse"], "nl",
  "Telvast zijn echt een stel incompetente prutsers. 2x de btw verkeerd aangegeven en ik mag de naheffing ophoesten. Kutbedrijf.")
C("x:@brightside_events", ["complaint", "abuse"], "en",
  "@telvast your accountant is a useless idiot, lost my receipts TWICE this year. worst firm I've ever dealt with")
# complaint + pii (customer exposing own data)
C("x:@fam_verhoef", ["complaint", "pii"], "nl",
  "@telvast_help al twee weken geen reactie op mijn mail over de aanslag. Bel me nou gewoon terug: {PH_CP1}. Ben de hele dag bereikbaar.")
C("x:@r_okafor_design", ["complaint", "pii"], "en",
  "Cancelled Telvast in March, still waiting for my refund. For the 5th time: IBAN {IBAN_CP2}, R. Okafor. How hard can it be?")

# ============================== crisis ==============================
C("x:@utrecht_nieuws_nu", ["crisis"], "nl",
  "FIOD-inval bij het kantoor van Telvast aan de Catharijnesingel vanochtend. Meerdere busjes voor de deur, er worden dozen naar buiten gedragen. #Utrecht")
C("linkedin:claire-vos-advocaat", ["crisis"], "en",
  "We are preparing a collective action against Telvast on behalf of 300+ small businesses whose 2025 VAT returns were filed incorrectly. Affected? Contact our office.")
C("x:@eerlijkbelasting", ["crisis"], "nl",
  "Telvast helpt klanten 'optimaliseren' via brievenbus-holdings op Cyprus terwijl de bakker op de hoek gewoon alles betaalt. #BoycotTelvast")
C("x:@bredaactueel", ["crisis"], "en",
  "Fire brigade called to an office in Breda after a Telvast BonScan S2 charger overheated and set a desk alight. No injuries reported.")
C("x:@gadgetgek", ["crisis"], "en",
  "Is Telvast recalling the BonScan S2?? Reading on a forum that the battery can swell up. Can anyone confirm?")
C("reddit:u/infosec_lowlands", ["crisis"], "en",
  "There's a 4GB dump on a breach forum that claims to be from the Telvast client portal. Names, BSNs, full tax returns. If it's real this is massive.")
C("x:@regio_nieuws_ut", ["crisis"], "nl",
  "Partner van Utrechts accountantskantoor Telvast aangehouden op verdenking van fraude met NOW-subsidies, meldt het OM.")
C("x:@boos_op_boekhouders", ["crisis"], "nl",
  "T\u0435lv\u0430st heeft een d\u0430talek en zegt er niks over. Boycot die club!!")
C("x:@accountancywatch", ["crisis"], "en",
  "Disciplinary complaint filed against two Telvast accountants for signing off financial statements they never actually reviewed. Hearing set for September.")
C("facebook:Anouk de Graaf", ["crisis"], "nl",
  "Voormalig medewerker sleept Telvast voor de rechter wegens intimidatie en onbetaalde overuren. Zitting is volgende maand. Wat een club.")
# crisis + complaint: first-hand safety incidents and a first-hand breach
C("x:@klusbedrijf_arend", ["crisis", "complaint"], "nl",
  "@telvast_help mijn BonScan S2 werd zo heet dat hij begon te roken op mijn bureau. Stekker er net op tijd uit getrokken, bijna brand!! Wat is dit voor spul?")
C("x:@amelia_makes", ["crisis", "complaint"], "en",
  "Plugged in my BonScan this morning and the charger gave me a proper electric shock. My hand is still tingling. Seriously, Telvast??")
C("facebook:Petra Zwart", ["crisis", "complaint"], "nl",
  "Mijn dochter (9) heeft haar vingers gebrand aan de accu van onze BonScan, die was gloeiend heet terwijl hij alleen maar aan de lader lag. Levensgevaarlijk. Telvast, ik verwacht een reactie.")
C("x:@hannahvdm_yoga", ["crisis", "complaint"], "en",
  "Telvast emailed MY full tax return, income and all, to a complete stranger. That's a data breach and nobody there seems to care. I want answers @telvast")
# crisis + abuse
C("x:@stopdezeclub", ["crisis", "abuse"], "nl",
  "Boycot die oplichters van Telvast. Stelletje criminele klootzakken die zzp'ers uitkleden. NIET DOEN!!")

# ============================== abuse ==============================
C("x:@gewoonhenk", ["abuse"], "nl", "Telvast = tuig. Hele stel aasgieren die vet verdienen aan kleine ondernemers.")
C("x:@lolzdaan", ["abuse"], "en", "telvast staff are literally brain-dead clowns lmaooo")
C("x:@bramboekhoudt", ["abuse"], "nl",
  "@ondernemer_kees ga lekker janken, idioot. Had je bonnetjes maar op tijd aangeleverd in plaats van hier te zeuren.")
C("x:@anoniem1988", ["abuse"], None, fullwidth("telvast kutbedrijf") + " ＆ " + fullwidth("allemaal tyfuslijders"))
C("x:@taxhater_x", ["abuse"], "en", "T3lv4st 4r3 fr4uds & sc4mm3rs. f*ck y0u 4ll")
C("facebook:Gerrit Hoogland", ["abuse"], "nl",
  "Kreeg zo'n belastingadviseur van Telvast met een accent. Stuur die gasten terug naar hun eigen land, kunnen niet eens normaal Nederlands praten.")
C("x:@wraakengel_zzp", ["abuse"], "nl",
  "@yusuf_fiscalist ik weet waar jullie kantoor zit. Kijk maar goed uit als je vanavond naar je auto loopt.")
C("reddit:u/greedkills", ["abuse"], "en", "Telvast can go to hell. Bunch of greedy parasites bleeding freelancers dry.")
C("x:@zzpmoeder", ["abuse"], "nl", "Telvast zijn echt k.l.o.o.t.z.a.k.k.e.n, sorry niet sorry")

# ============================== personal data ==============================
C("x:@marloes_vdlinde", ["pii"], "nl",
  "Klant met BSN {BSN_P1} heeft vandaag al 4x gebeld over haar voorlopige aanslag, kan iemand van team Utrecht haar overnemen? Ik zit helemaal vol.")
C("x:@telvast_help", ["pii"], "nl",
  "@sverbeek_kapper Hoi Sandra, de terugbetaling is vandaag overgemaakt naar {IBAN_P2} t.n.v. S. Verbeek. Over 1-2 werkdagen zou hij binnen moeten zijn!")
C("instagram:@noor.cijfert", ["pii"], "nl",
  "eerste aangifte helemaal zelf afgerond 🥳📊 (dhr. W. Jansen, geb. 14-03-1961, Kerkstraat 12 in Amersfoort, u bent in goede handen haha) #juniorlife")
C("threads:@lotte.belastingmeid", ["pii"], "nl",
  "wie heeft het mobiele nummer van mevr. El Idrissi veranderd in {PH_P4}?? haar loonstrook gaat nu naar iemand anders")
C("linkedin:ingrid-pauwels-telvast", ["pii"], "en",
  "Please welcome Tess Vermeulen to our payroll team! 🎉 Until her Telvast account is set up you can reach her at tess.vermeulen82@gmail.com or {PH_P5}.")
C("x:@yusuf_fiscalist", ["pii"], "en",
  "client paid the DGA-scan invoice with card {CARD_P6} and it bounced twice, can someone in finance check what's going on?")
C("bluesky:@jeroenkamp.bsky.social", ["pii"], "en",
  "why is there prod data in the test db?? first row: 'K. de Boer, BSN {BSN_P7}, Lindenlaan 8, 7411 KT Deventer'. raising this with the team rn")
C("facebook:TelvastAccountants", ["pii"], "nl",
  "Beste meneer Ramdin, we hebben uw gegevens aangepast: nieuw adres Dorpsstraat 44, 1721 AB Broek op Langedijk, telefoon {PH_P8}. Klopt dit zo?", kind="comment")
C("x:@mo_schildersbedrijf", ["pii"], "en",
  "do I really have to put my BSN ({BSN_P9}) in a plain email to Telvast? doesn't feel very safe tbh")
C("facebook:Kasia Kowalska", ["pii"], "en",
  "For the Telvast Toeslagencheck form, here are my daughter's details: Mila Kowalska, born 02/09/2019, lives with me at Vondellaan 31, Haarlem. Is that enough?")
C("x:@bramboekhoudt", ["pii"], "nl",
  "kan iemand het dossier van fam. Hendriks oppakken? BSN {BSN_P11_FW}, aangifte moet vrijdag de deur uit en ik ben morgen ziek thuis")
C("x:@marloes_vdlinde", ["pii"], "en",
  "@priya_designs so sorry! resending the draft annual accounts to priya.raman.design@outlook.com, is that the right address this time?")
C("instagram:@telvast.accountants", ["pii"], "nl",
  "🎉 De winnaar van onze Fiscaal Fit-winactie is Jasper Molenaar uit Tilburg (geboren 7 juli 1988)! Gefeliciteerd Jasper, we nemen contact met je op.")

# ============================== confidential ==============================
C("x:@marloes_vdlinde", ["confidential"], "nl",
  "Net een sneak peek gehad van Kompas 3 😍 eindelijk automatisch je btw-aangifte vanuit de app. Zzp'ers gaan dit zó fijn vinden",
  at="2026-11-18T13:22:05Z")
C("tiktok:@telvast_fiscaal", ["confidential"], "nl",
  "Binnenkort bij Telvast: de AangifteAssistent 🤖 Jouw inkomstenbelasting in 5 minuten, gecheckt door een echte adviseur. Stay tuned! #zzp #belastingaangifte",
  at="2027-01-12T16:40:00Z")
C("linkedin:dewi-santoso-telvast", ["confidential"], "en",
  "Internal demo of the AangifteAssistent today and honestly the room went quiet. So proud of this team. Can't share more yet!",
  at="2026-10-07T15:10:44Z")
C("x:@bramboekhoudt", ["confidential"], "nl",
  "psst… K o m p a s  3 krijgt een bankkoppeling met alle grote banken 🤫 zeg niks",
  at="2026-12-09T20:03:12Z")
C("bluesky:@jeroenkamp.bsky.social", ["confidential"], "en",
  "Project Zandloper is finally running in staging 🎉 six months of rebuilding the dossier engine from scratch")
C("x:@yusuf_fiscalist", ["confidential"], "nl",
  "Meridiaan-overleg liep wéér twee uur uit. Mag er niks over zeggen maar als dit doorgaat verandert er veel voor onze dga-klanten 👀")
C("threads:@lotte.belastingmeid", ["confidential"], "nl",
  "Pro\u200bject Zand\u200bloper go-live is verschoven naar maart, dus de salarismodule blijft nog even de oude 😩")
C("instagram:@noor.cijfert", ["confidential"], "nl",
  "uit het TV-INTERN memo van vandaag: vanaf januari geen thuiswerkvergoeding meer voor juniors. leuk dan 🙃")
C("threads:@lotte.belastingmeid", ["confidential"], "nl",
  "voor de collega's die het roosterbestand zoeken: https://intranet.telvast.local/hr/roosters/2026-q4 (werkt alleen via vpn)")
C("linkedin:telvast-accountants", ["confidential"], "en",
  "DRAFT – telvast confidential – Partner fee tiers 2027: Holdingadvies €2,650 / Overnamescan €1,990 / Controleverklaring MKB from €5,200. Do not forward.")
C("x:@treinforens_ut", ["confidential"], "en",
  "Someone left a printed deck marked 'niet buiten telvast delen' on the 8:14 to Utrecht. Slide 3: 'offboard clients under 2k fee per year'. Yikes.")
C("linkedin:ruben-hoekstra-ra", ["confidential"], "en",
  "Under NDA so I can't say much, but the Meridiaan partnership we signed this week will change how Dutch SMEs deal with their taxes. Watch this space.")
C("x:@sjoerd_ops_tv", ["confidential"], "en",
  "anyone else getting cert errors on git.telvast.nl/platform/klantportaal since this morning? pipeline is red everywhere")
C("reddit:u/sollicitant2026", ["confidential"], "en",
  "Had an interview at Telvast today. Interviewer shared her screen and I could see dossiers.telvast.local/klanten with a full client list in the sidebar. Not great.")
# confidential + financial
C("linkedin:ruben-hoekstra-ra", ["confidential", "financial"], "nl",
  "Trots op ons team: de jaarcijfers 2026 laten een omzetgroei van 18% zien naar €41,2 mln en een EBITDA van €6,1 mln. Officiële publicatie volgt nog, maar ik kon het niet laten 😉",
  at="2027-02-20T08:30:00Z")
C("x:@yusuf_fiscalist", ["confidential", "financial"], "nl",
  "Operatie Dukaat = overname van Telvast door Noordkaap Capital. Signing staat voor januari. Jullie hebben het niet van mij 🤐")

# ============================== financial ==============================
C("linkedin:ingrid-pauwels-telvast", ["financial"], "nl",
  "Zware weken achter de rug. Drie vestigingen gaan dicht en er verdwijnen 45 fte. De officiële aankondiging komt pas in maart, dus ik houd het hierbij. Sterkte aan alle collega's.")
C("x:@bramboekhoudt", ["financial"], "nl",
  "Zwolle gaat per 1 juli dicht, horen we via de wandelgangen. Reorganisatie is nog niet eens aangekondigd. Lekker dan.")
C("x:@marloes_vdlinde", ["financial"], "en",
  "Q3 revenue came in 11% below budget and the partners are in full panic mode. Not public yet obviously 🙈")
C("linkedin:ruben-hoekstra-ra", ["financial"], "en",
  "Board preview: our 2027 forecast has EBITDA falling to €3.2m because of the price war in zzp bookkeeping. Tough decisions ahead.")
C("linkedin:dewi-santoso-telvast", ["financial"], "nl",
  "We nemen Facturo Digitaal over! Deal is rond, alleen nog niet naar buiten gebracht, dus even stil houden 😁 Alvast welkom aan hun 14 devs")
C("linkedin:telvast-accountants", ["financial"], "nl",
  "CONCEPT PERSBERICHT – Telvast en Van Rijswijk Accountants fuseren per 1 april 2027. De gecombineerde organisatie telt 620 medewerkers. [niet publiceren vóór akkoord RvC]")
C("threads:@lotte.belastingmeid", ["financial"], "nl",
  "salarisrun gedaan en zie al ontslagvergoedingen voor 20 man in de planning staan voor februari… niemand weet het nog 😶")
C("x:@kaatje_ondernemer", ["financial"], "en",
  "My sister works at Telvast: profit halved this year and the partners are quietly looking for a buyer. Not public yet, but watch this.")
C("x:@yusuf_fiscalist", ["financial"], "en",
  "internal half-year numbers: net loss of €1.8m. yikes. who approved that office on the Zuidas")
C("x:@sjoerd_ops_tv", ["financial"], "nl",
  "IT wordt volledig uitbesteed aan een partij in Pune. 12 man eruit, ik waarschijnlijk ook. Gaat pas in november naar buiten.")

# ============================== security ==============================
C("x:@sjoerd_ops_tv", ["security"], "nl",
  "Sinds 04:00 draait de fileserver in Utrecht niet meer, alles versleuteld en op elke share een losgeldbriefje. Naar buiten toe heet het 'gepland onderhoud' dus ssst 🤫")
C("bluesky:@jeroenkamp.bsky.social", ["security"], "en",
  "found an IDOR in our client portal today: bump the dossier id in the URL and you're looking at someone else's tax return. ticket filed, no fix date yet 😬")
C("threads:@lotte.belastingmeid", ["security"], "nl",
  "gisteren ging er een phishingmail door het hele kantoor en 3 collega's hebben hun inlog ingevuld. IT zegt dat we er tegen klanten niks over mogen zeggen")
C("x:@bramboekhoudt", ["security"], "nl",
  "Zwolle zit al twee dagen zonder toegang tot de dossiers en de back-ups blijken ook corrupt. Klanten krijgen te horen dat het 'onderhoud' is lol")
C("linkedin:dewi-santoso-telvast", ["security"], "en",
  "Known issue we haven't announced yet: the Kompas sync bug sometimes pushes receipts into another client's administration. Hotfix next sprint, fingers crossed nobody notices.")
C("instagram:@noor.cijfert", ["security"], "nl",
  "fun fact: iedereen op kantoor gebruikt hetzelfde admin-account voor het dossiersysteem en het wachtwoord hangt op een post-it bij de koffieautomaat 🙃")
C("x:@telvast_help", ["security"], "nl",
  "@jdekker_fotografie we onderzoeken op dit moment een inbraak op onze mailserver, daarom is de mail traag. Wilt u dit nog niet verder delen?")
C("reddit:u/former_tv_dev", ["security"], "en",
  "Ex-Telvast dev here. Their internal reporting server still runs the Log4j version vulnerable to CVE-2021-44228. I flagged it before I left in 2025, nobody cared.")
C("x:@sjoerd_ops_tv", ["security"], "en",
  "heads up team: MFA on the VPN has been switched off since the migration last week. please don't mention it outside the building until it's back")
C("x:@yusuf_fiscalist", ["security"], "nl",
  "die 'technische storing' van gisteravond was gewoon iemand die in 200 klantdossiers heeft zitten neuzen. Maar dat horen jullie officieel nog")
C("bluesky:@jeroenkamp.bsky.social", ["security"], "en",
  "the Kompas API returns the full BSN of the account holder to any logged-in session, including shared bookkeeper logins. reported it 3 months ago. still there.")
C("linkedin:ruben-hoekstra-ra", ["security"], "en",
  "Difficult week. We had to take the whole client portal offline after an intrusion on Tuesday night. Official statement is planned for Monday, until then I'd ask colleagues to stay quiet.")
C("x:@sjoerd_ops_tv", ["security", "confidential"], "nl",
  "zie jira.telvast.nl/browse/SEC-412: SQL-injectie in het uploadformulier van het klantportaal, nog steeds ongepatcht na 6 weken. Kan iemand dit eindelijk prioriteren?")

# ============================== secrets ==============================
C("bluesky:@jeroenkamp.bsky.social", ["secret"], "en",
  "why does the deploy keep failing 😭 here's my .env\nAWS_ACCESS_KEY_ID={AKIA1}\nAWS_SECRET_ACCESS_KEY={AWSSEC1}\nAWS_REGION=eu-central-1")
C("x:@sjoerd_ops_tv", ["secret"], "nl",
  "test even of de alert-webhook werkt: {SLACKHOOK} als het goed is komt er nu iets in #ops-alerts")
C("x:@telvast_help", ["secret"], "nl",
  "@pvandam_transport Uw account is ontgrendeld. Tijdelijk wachtwoord: {PW_X3} Wijzig dit direct na het inloggen.")
C("bluesky:@jeroenkamp.bsky.social", ["secret"], "en",
  "note to self: git clone https://{GHP1}@github.com/telvast-dev/klantportaal.git works, the ssh remote doesn't")
C("linkedin:dewi-santoso-telvast", ["secret"], "nl",
  "Eindelijk iDEAL-betalingen in de Kompas app! Voor de devs die meelezen, deze key draait nu in productie: {MOLLIE1} 🚀")
C("x:@yusuf_fiscalist", ["secret"], "en",
  "built a little script that summarises new tax rulings with GPT. key is {OPENAI1} if anyone on the team wants to play with it")
C("forum:@bytebaas", ["secret"], "en",
  "Telvast portal session tokens don't expire on logout. This one is from my own account last week and still works: Authorization: Bearer {JWT1}")
C("instagram:@noor.cijfert", ["secret"], "nl",
  "nieuwe kantoor-wifi Utrecht 📶 netwerk TV-Gast, wachtwoord: {PW_X8} voor als je weer vergeet te koppelen haha")
C("x:@sjoerd_ops_tv", ["secret"], "en",
  "can someone check why this key gets rejected on the jump host?\n{SSHKEY1}")
C("bluesky:@jeroenkamp.bsky.social", ["secret", "confidential"], "en",
  "local dev keeps connecting to prod 🤦 DATABASE_URL=postgres://tv_app:{PW_X10}@pg01.dossiers.telvast.local:5432/dossiers")
C("youtube:TelvastOnline", ["secret"], "nl",
  "Tutorial: Kompas koppelen aan je webshop. In de video gebruiken we onze eigen sleutel {STRIPE1} — vervang die door die van jou (zie 02:14).")
C("reddit:u/apk_picker", ["secret"], "en",
  "Decompiled the Telvast Kompas Android app for fun. Hardcoded in the bundle: {ANTHROPIC1} and a Maps key {GOOGLE1}. Telvast, please rotate these.")

# ============================== pricing ==============================
C("x:@telvast", ["pricing"], "nl",
  "🔥 Alleen deze week: de Jaarrekening BV voor maar €145! Op = op. Boek via telvast.nl/jaarrekening")
C("instagram:@telvast.accountants", ["pricing"], "nl",
  "Aangifteseizoen-deal 💸 IB-aangifte ZZP nu €29,50. Link in bio! #zzp #belastingaangifte")
C("x:@kim_mondzorg", ["pricing"], "nl",
  "Is dit een prijsfout of zo? Holdingadvies bij Telvast staat op de site voor €240. Ik boek hem meteen 😂")
C("x:@bramboekhoudt", ["pricing"], "nl",
  "collega's, de VPB-aangifte staat op mijn.telvast.nl voor €72,50 ipv 725. Wie kan dat fixen voordat heel ondernemend Nederland het ziet?")
C("facebook:TelvastAccountants", ["pricing"], "nl",
  "Heb je een controleplichtige bv? Onze Controleverklaring MKB nu al vanaf € 495. Vraag vandaag nog een offerte aan.")
C("reddit:u/bootstrapped_bv", ["pricing"], "en",
  "Telvast is listing the Overnamescan at €185. Pricing glitch or am I just lucky? Ordered two just in case lol")
C("linkedin:dewi-santoso-telvast", ["pricing"], "en",
  "Launch promo for Kompas Plus: your first year for just €2,45/month 🎉 Share it with your freelancer friends!")
C("youtube:TelvastOnline", ["pricing"], "nl",
  "BonScan S2 nu voor €14,90 in de Telvast webshop 📦 Nooit meer bonnetjes kwijt!")
C("x:@sparen_met_sam", ["pricing"], "nl",
  "PRIJSFOUT bij Telvast!! DGA-scan voor €34,50 😱 snel zijn voor ze het doorhebben")
C("threads:@lotte.belastingmeid", ["pricing"], "nl",
  "oeps… in de nieuwsbrief van vanochtend staat Loonadministratie Basis voor €3,90 per maand 🙈 prijsfout, niet op reageren aub")
C("x:@telvast_help", ["pricing"], "nl",
  "@startup_yara Klopt, de Startersbegeleiding staat door een fout tijdelijk voor €65 in de webshop. We passen het vandaag aan; bestellingen tegen die prijs kunnen we helaas niet leveren.")
C("reddit:u/frugal_founder", ["pricing"], "en",
  "Kredietdossier is listed at €115 on telvastonline.nl right now, screenshot it before they fix it")

# ============================== benign (hard negatives mostly) ==============================
B = []


def N(account, lang, text, **opt):
    C(account, [], lang, text, **opt)


N("x:@telvast", "nl",
  "Let op: de btw-aangifte over Q2 moet uiterlijk 31 juli binnen zijn. Hulp nodig? Bel 030-7994420 of mail klantenservice@telvast.nl 📅")
N("facebook:TelvastAccountants", "nl",
  "Betaal je Startersbegeleiding per bank? Maak over naar NL76 RABO 0314 7922 05 t.n.v. Telvast, o.v.v. je factuurnummer.")
N("x:@bakkerij_vos", "nl", "Marloes van Telvast heeft mijn jaarrekening in twee weken geregeld, echt top 👌 aanrader voor elke zzp'er")
N("x:@dj_fennek", "en", "Shoutout to @telvast_help, they fixed my wrong VAT filing within a day. Fair play.")
N("facebook:Yvonne Bos", "nl",
  "Eerst flink balen dat mijn aangifte niet op tijd was ingediend, maar Telvast heeft de boete vergoed en netjes excuses gemaakt. Zo los je dat op 👍")
N("x:@techtaxtalk", "en",
  "Another accounting firm, Brinkhorst & Daal, confirmed a massive data breach today. Glad my books are with Telvast tbh")
N("x:@zwolsezzper", "nl",
  "Sterkte aan de mensen van Telvast Zwolle na de brand in het pand naast jullie vannacht. Gelukkig is er niemand gewond geraakt ❤️")
N("instagram:@telvast.accountants", "nl",
  "Black Friday bij Telvast 🖤 20% korting op de Jaarrekening EMZ: €700 in plaats van €875. Alleen t/m maandag!", at="2026-11-27T08:00:00Z")
N("x:@telvast", "en", "Spring deal 🌷 the Toeslagencheck is now €59 (25% off) until 31 May.", at="2026-04-14T09:30:00Z")
N("reddit:u/tweemans_bv", "en", "Is €1,450 for the Jaarrekening BV at Telvast steep or normal? Asking for my two-person bv.")
N("x:@marktkoopman_ruud", "nl", "BonScan S2 voor €119 op de ondernemersbeurs, heeft iemand er ervaring mee?")
N("youtube:TelvastOnline", "nl", "Nieuwe video: zo werkt de Kompas app (€12,50 p/m) in 4 minuten ▶️")
N("bluesky:@jeroenkamp.bsky.social", "en", "Every AWS tutorial still uses AKIAIOSFODNN7EXAMPLE and honestly at this point it feels like an old friend")
N("x:@sjoerd_ops_tv", "nl",
  "Reminder: in onze docs staan placeholders als ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX. Dat zijn géén echte tokens, dus niet melden bij security aub 😅")
N("x:@privacyfan_nl", "en",
  "Telvast support masked my card number as **** **** **** 4417 in the chat transcript. Nice to see someone take privacy seriously.")
N("x:@telvast", "nl", "Let op phishing! Wij vragen nooit om je wachtwoord of DigiD-gegevens via mail of sms. Twijfel? Bel ons.")
N("x:@startende_sara", "nl", "Hoe lang moet ik mijn administratie eigenlijk bewaren? Iemand zei 7 jaar, klopt dat @telvast_help?")
N("x:@telvast_help", "nl", "@startende_sara Klopt! 7 jaar bewaarplicht, voor gegevens over onroerend goed 10 jaar.", kind="reply")
N("x:@vragenvuur_ad", "nl", "In het voorbeeldformulier op de site van Telvast staat BSN 123456789, dat is toch geen echt nummer?")
N("x:@wendy_hoveniers", "en", "Got an invoice from 'Telvast' asking me to pay to {IBAN_BAD1}, does that look legit? Feels off.")
N("x:@telvast_help", "nl",
  "@wendy_hoveniers Dat is niet ons rekeningnummer. Ons enige rekeningnummer is NL76RABO0314792205. Meld het aub bij de Fraudehelpdesk.", kind="reply")
N("linkedin:ingrid-pauwels-telvast", "en",
  "We're hiring! Two junior assistant accountants for our Utrecht office. Apply via werkenbij@telvast.nl 🙌")
N("x:@yusuf_fiscalist", "nl", "Leuke vraag bij het Fiscaal Spreekuur vandaag: mag je je hond aftrekken als waakhond? (nee)")
N("x:@halloween_hanna", "en", "My tax return is the real horror movie this Halloween 👻 at least Telvast makes it less scary", at="2026-10-31T19:12:00Z")
N("x:@fietsende_freek", "nl", "Lekke band onderweg naar Telvast, dus 20 min te laat. Ze waren er heel relaxed over 😅")
N("linkedin:telvast-accountants", "en",
  "Our full-year 2026 results are out: revenue €41.2m, up 18%. Read the annual report on telvast.nl", at="2027-03-11T07:05:00Z")
N("x:@telvast", "nl", "Kompas 3 is live! 🚀 Automatische btw-aangifte en bankkoppeling, voor iedereen. Update vandaag je app.",
  at="2027-01-19T09:15:00Z")
N("x:@beursblik_nl", "en", "Telvast's FY2026 results look solid, nice to see a Dutch mid-size firm growing in this market",
  at="2027-03-14T18:40:00Z")
N("linkedin:dewi-santoso-telvast", "en", "Two weeks since we launched the AangifteAssistent and 9,000 returns filed already. Wow.",
  at="2027-02-02T10:00:00Z")
N("x:@boze_burger_bas", "en",
  "Belastingdienst got my provisional assessment wrong AGAIN, 3 hours on hold 😤 thank god Telvast is sorting it out for me")
N("x:@acctnews_eu", "en", "Layoffs at Kessler Lindqvist today, around 400 people. Rough times in accounting.")
N("x:@vv_de_zwaluwen", "nl", "Onze aanval is nog niet op orde, de boekhouding wel dankzij Telvast 😂⚽ #sponsor")
N("x:@drukkerij_ilse", "en", "What's actually the difference between Telvast's BTW-Kwartaalservice and just doing it yourself in the app?")
N("x:@telvast", "en", "Our Utrecht office is closed on King's Day (27 April). Online support via mijn.telvast.nl stays open.",
  at="2026-04-24T12:00:00Z")
N("x:@cosplay_kim", "en", "this deadline is killing me lol, thank god for the Kompas app")
N("x:@marloes_vdlinde", "nl", "Trots op ons team: 98% van de IB-aangiftes vóór 1 mei ingediend 💪", at="2026-05-02T17:20:00Z")
N("bluesky:@jeroenkamp.bsky.social", "en",
  "QA note: card {CARD_BAD1} should be rejected by the checkout and finally it is ✅ (Luhn check was skipped before)")
N("x:@eenmanszaak_emma", "nl", "Goeie tip van Telvast: zet je IBAN nooit in een openbare post. Doe ik dus ook niet haha")
N("tiktok:@telvast_fiscaal", "nl",
  "POV: je accountant vraagt om je bonnetjes en jij komt aan met een schoenendoos 📦😂 #ondernemen #boekhouden")
N("x:@radiofan_gert", "en",
  "Telvast partner Ruben Hoekstra on the radio this morning explaining the new box 3 rules. Clear and calm, more of this please.")
N("x:@grensganger_pieter", "en", "Does Telvast also handle Belgian VAT or only Dutch? Asking for my Antwerp side business")
N("instagram:@telvast.accountants", "en", "Meet Noor, our newest junior 👋 She loves spreadsheets and sourdough.")
N("facebook:Dirk Meijerink", "nl", "Snap niet waarom mensen klagen over Telvast, bij mij gaat alles al 6 jaar prima.")
N("x:@onboarding_oscar", "en",
  "Telvast's onboarding form rejected my BSN because I'd typed {BSN_BAD1} by mistake. Good that it actually checks 👍")
N("x:@hovenier_hans", "nl",
  "Hoe schrijf je eigenlijk een bezwaar tegen een naheffing? Overweeg de Bezwaarservice van Telvast (€395), iemand ervaring?")
N("x:@hockeymama_ut", "en", "Telvast sponsored new goals for our kids' hockey club, thanks guys 🏑")
N("x:@telvast_help", "nl", "Storing opgelost ✅ mijn.telvast.nl is weer bereikbaar. Excuses voor het ongemak!")
N("x:@nuchtere_nina", "nl",
  "Wie Telvast 'oplichters' noemt heeft nog nooit met een echte oplichter te maken gehad. Gewoon een prima club.")
N("x:@scaleup_sven", "en", "Switched our startup to Telvast last year. Best decision, the DGA-scan alone saved us €4,000 in tax.")
N("x:@yusuf_fiscalist", "en",
  "Reminder that the 30% ruling changes again in 2027. Happy to explain at the next Fiscaal Fit workshop (€95).")
N("x:@mkb_analist", "nl", "De jaarcijfers van Telvast over 2025 staan online, interessant leesvoer voor wie een mkb-kantoor wil vergelijken")
N("reddit:u/api_nerd", "en", "Telvast's API docs show live keys as sk_live_•••• redacted in every example, good practice.")
N("x:@telvast", "nl", "Wist je dat je als zzp'er je KvK-nummer op je factuur moet zetten? Het onze is 61458203. 😉")
N("x:@app_vergelijker", "nl", "Kompas Plus kost €24,50 per maand en de Kompas app €12,50. Plus is het waard voor de bankkoppeling imo")
N("reddit:u/holding_henk", "en",
  "Watched the Telvast webinar on holding structures, very clear. Not cheap (Holdingadvies €2,400) but worth it for us.")
N("instagram:@noor.cijfert", "nl",
  "eerste werkdag bij Telvast ✨ laptop gekregen, koffie gehaald, nu eens leren wat een grootboek precies is")
N("linkedin:telvast-accountants", "nl",
  "Wat doe je als ondernemer bij een datalek? Binnen 72 uur melden bij de Autoriteit Persoonsgegevens. Onze checklist staat op telvast.nl/datalek")
N("x:@telvast", "nl",
  "Jouw aangifte is vertrouwelijk. Daarom werken we alleen via ons beveiligde portaal mijn.telvast.nl, nooit via WhatsApp.")
N("x:@consumentenalert", "en",
  "Note: the receipt scanners being recalled are the ScanRite R1, NOT the Telvast BonScan. Check your model number before you panic.")
N("x:@telvast_help", "nl",
  "@sanne_bakt_taart Sorry voor het wachten Sanne! Je aangifte is vanochtend ingediend, de bevestiging staat in je portaal. Fijne dag!", kind="reply")

# ======================================================================================
# Build
# ======================================================================================
LEVELS = ["none", "info", "warning", "error", "critical"]
ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and s.strip().startswith("+"):
        d = "0" + d[2:]
    return d


PUBLIC_PHONES = {norm_phone(x) for x in PROFILE["public_identifiers"]["phones"]}


def normalise(text):
    return ZW.sub("", unicodedata.normalize("NFKC", text))


RE_IBAN = re.compile(r"\b([A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d{2,4}){3,4})\b")
RE_CARD = re.compile(r"(?<![\w-])(\d{4}(?:[ -]?\d{4}){3})(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.,-])(\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3}|\d{9})(?![\w-]|[.,]\d)")
RE_EMAIL = re.compile(r"(?<![\w:/.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
RE_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s-]?(?:\(0\))?\d(?:[\s-]?\d){8}(?!\w)")


def checksum_ids(text):
    """Return [(kind, value, valid)] for IBAN/card/BSN look-alikes in the normalised text."""
    t = normalise(text)
    out = []
    for m in RE_IBAN.finditer(t):
        v = re.sub(r"\s", "", m.group(1))
        if v.startswith("NL") and len(v) != 18:
            continue
        out.append(("iban", v, iban_ok(v) and v not in PUBLIC_IBANS, v in PUBLIC_IBANS))
    for m in RE_CARD.finditer(t):
        out.append(("card", m.group(1), luhn_ok(m.group(1)), False))
    for m in RE_BSN.finditer(t):
        out.append(("bsn", m.group(1), bsn_ok(m.group(1)), False))
    return out


def role_of(account):
    return ROLE.get(account.lower(), "public")


def severity(cats, role, pii_checksum):
    lv = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                x = 3
                if c in ("leak.secret", "leak.pricing"):
                    x = 4
                if c == "leak.pii" and pii_checksum:
                    x = 4
            else:
                x = 2
        elif c == "reputation.complaint":
            x = 2
        elif c == "reputation.crisis":
            x = 3
        elif c == "reputation.abuse":
            x = 3 if insider else 2
        else:
            raise ValueError(c)
        lv = max(lv, x)
    return LEVELS[lv]


def fill(text):
    def rep(m):
        return V[m.group(1)]
    return re.sub(r"\{([A-Z0-9_]+)\}", rep, text)


START = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPAN = (datetime(2026, 12, 20, tzinfo=timezone.utc) - START).total_seconds()
OFFSETS = ["Z"] * 8 + ["+01:00", "+02:00"]
URLS = {"x": "https://x.com/{h}/status/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
        "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}",
        "instagram": "https://www.instagram.com/p/{n}/", "threads": "https://www.threads.net/@{h}/post/{n}",
        "facebook": "https://www.facebook.com/{h}/posts/{n}", "reddit": "https://www.reddit.com/r/nederland/comments/{n}/",
        "tiktok": "https://www.tiktok.com/@{h}/video/{n}", "youtube": "https://www.youtube.com/watch?v={n}",
        "forum": "https://forum.example-belasting.nl/t/{n}"}


def stamp(opt):
    if "at" in opt:
        return opt["at"]
    t = START + timedelta(seconds=rng.randrange(int(SPAN)))
    off = rng.choice(OFFSETS)
    if off == "Z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    h = int(off[1:3])
    return (t + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%S") + off


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for seq, idx in enumerate(order, 1):
        c = CASES[idx]
        platform, handle = c["account"].split(":", 1)
        text = fill(c["text"])
        role = role_of(c["account"])
        ids = checksum_ids(text)
        pii_cs = any(valid for kind, v, valid, pub in ids)
        cats = sorted(set(c["cats"]))
        sev = severity(cats, role, pii_cs)
        kind = c["opt"].get("kind") or ("reply" if text.startswith("@") else "post")
        num = rng.randrange(10 ** 17, 10 ** 18)
        post = {
            "id": "%s-s351-%03d" % (platform, seq),
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "created_at": stamp(c["opt"]),
            "url": URLS[platform].format(h=handle.lstrip("@").replace(" ", ""), n=num),
            "brand": "Telvast",
        }
        if c["lang"] and rng.random() < 0.85:
            post["lang"] = c["lang"]
        lines.append({"post": post, "expect": {"categories": cats, "severity": sev},
                      "_meta": {"role": role, "ids": ids, "lang": c["lang"]}})
    return lines


# ======================================================================================
# Self-checks
# ======================================================================================
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ALIASES = []
for p in PROFILE["products"]:
    for a in [p["name"]] + p["aliases"]:
        ALIASES.append((a.lower(), float(p["list_price"])))
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])
RE_EUR = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)
PRICE_ERR = re.compile(r"prijsfout|price error|pricing (?:glitch|error)|door een fout|prijs.{0,20}fout", re.I)


def parse_amount(s):
    m = re.search(r"[.,](\d{1,2})$", s)
    if m:
        return float(re.sub(r"[.,]", "", s[:m.start()]) + "." + m.group(1))
    return float(re.sub(r"[.,]", "", s))


def priced_products(text):
    """[(amount, list_price of the nearest product mention)] for every euro amount."""
    low = text.lower()
    mentions = []
    for a, lp in ALIASES:
        for m in re.finditer(re.escape(a), low):
            mentions.append((m.start(), m.end(), lp))
    out = []
    for m in RE_EUR.finditer(text):
        if not mentions:
            break
        amt = parse_amount(m.group(1) or m.group(2))
        near = min(mentions, key=lambda x: min(abs(m.start() - x[1]), abs(m.start() - x[0])))
        out.append((amt, near[2]))
    return out


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    errs = []
    seen = set()
    all_handles_profile = set(ROLE)
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    for L in lines:
        p, e, meta = L["post"], L["expect"], L["_meta"]
        pid = p["id"]
        # --- CONTRACT section 6 / section 1 shape ---
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in seen:
            errs.append((pid, "bad or duplicate id"))
        seen.add(pid)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append((pid, "platform/kind"))
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append((pid, "handle"))
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append((pid, "text"))
        if not RFC3339.match(p["created_at"]):
            errs.append((pid, "created_at format"))
        ts = parse_ts(p["created_at"])
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            errs.append((pid, "created_at range"))
        if ts.year == 2027 and not any(t.lower() in normalise(p["text"]).lower()
                                       for emb in PROFILE["embargo"] for t in emb["terms"]):
            errs.append((pid, "2027 post not around embargo"))
        if not set(e["categories"]) <= CATS or e["categories"] != sorted(set(e["categories"])):
            errs.append((pid, "categories"))
        if e["severity"] not in LEVELS:
            errs.append((pid, "severity value"))
        if not e["categories"] and e["severity"] != "none":
            errs.append((pid, "benign must be none"))
        if e["categories"] and e["severity"] in ("none", "info"):
            errs.append((pid, "positive with no severity"))
        cats = set(e["categories"])
        key = "%s:%s" % (p["platform"], p["account"]["handle"])
        if meta["role"] == "public" and key.lower() in all_handles_profile:
            errs.append((pid, "public handle in profile"))
        # --- checksum identifiers ---
        for kind, val, valid, pub in meta["ids"]:
            if pub:
                continue
            if "leak.pii" in cats and not valid:
                errs.append((pid, "positive holds failing %s %s" % (kind, val)))
            if "leak.pii" not in cats and valid:
                errs.append((pid, "non-pii case holds valid %s %s" % (kind, val)))
        t = normalise(p["text"])
        # e-mails and phones only in pii cases unless public
        stripped = t
        for s in SECRETS.values():
            stripped = stripped.replace(s, "")
        if "leak.pii" not in cats:
            for m in RE_EMAIL.finditer(stripped):
                if m.group(0).lower() not in PUBLIC_EMAILS:
                    errs.append((pid, "private e-mail in non-pii case " + m.group(0)))
            for m in RE_PHONE.finditer(RE_IBAN.sub(" ", stripped)):
                if norm_phone(m.group(0)) not in PUBLIC_PHONES:
                    errs.append((pid, "private phone in non-pii case " + m.group(0)))
        # --- secrets ---
        present = [k for k, s in SECRETS.items() if s in p["text"]]
        if "leak.secret" in cats and not present:
            errs.append((pid, "secret case without generated secret"))
        if "leak.secret" not in cats and present:
            errs.append((pid, "generated secret in non-secret case"))
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", p["text"]):
            ok = github_token_ok(tok)
            if ("leak.secret" in cats) != ok:
                errs.append((pid, "github token checksum mismatch " + tok))
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", p["text"]):
            if "leak.secret" not in cats and not tok.endswith("EXAMPLE"):
                errs.append((pid, "aws key in benign"))
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", p["text"]):
            if not jwt_ok(tok):
                errs.append((pid, "jwt header without alg"))
        # --- embargo ---
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if re.search(r"(?<!\w)" + re.escape(term.lower()) + r"(?!\w)", t.lower()):
                    if ts < until and "leak.confidential" not in cats:
                        errs.append((pid, "embargo term before until but not confidential"))
                    if ts >= until and not cats - {"leak.confidential"} and cats:
                        errs.append((pid, "embargo term after until labelled confidential only"))
        # --- internal names only in confidential cases ---
        for term in internal:
            if term in t.lower() and "leak.confidential" not in cats:
                errs.append((pid, "internal term %r in non-confidential case" % term))
        # --- pricing ---
        low = t.lower()
        mentioned = [(a, lp) for a, lp in ALIASES if a in low]
        am = priced_products(t)
        below = any(x < RATIO * lp for x, lp in am)
        if "leak.pricing" in cats:
            if not mentioned or not (below or PRICE_ERR.search(t)):
                errs.append((pid, "pricing case without product below list / price-error talk"))
        elif below:
            errs.append((pid, "non-pricing case has a product price below ratio %s" % am))
        # --- severity recomputed independently ---
        if severity(sorted(cats), role_of(key), any(v for _, _, v, _ in meta["ids"])) != e["severity"]:
            errs.append((pid, "severity mismatch"))
    return errs


def main():
    lines = build()
    errs = check(lines)
    # mix report
    from collections import Counter
    cnt = Counter()
    roles = Counter()
    langs = Counter()
    for L in lines:
        for c in L["expect"]["categories"]:
            cnt[c] += 1
        roles[(bool(L["expect"]["categories"]), L["_meta"]["role"])] += 1
        langs[L["_meta"]["lang"] or "nl"] += 1
    benign = sum(1 for L in lines if not L["expect"]["categories"])
    total = len(lines)
    if not 170 <= total <= 180:
        errs.append(("*", "case count %d outside 170-180" % total))
    if not 55 <= benign <= 65:
        errs.append(("*", "benign count %d" % benign))
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for L in lines:
            fh.write(json.dumps({"post": L["post"], "expect": L["expect"]}, ensure_ascii=False) + "\n")
    # re-read and validate as plain JSON lines
    with open(out, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            obj = json.loads(raw)
            if set(obj) != {"post", "expect"}:
                errs.append((n, "line keys"))
    print("cases=%d benign=%d" % (total, benign))
    print("categories:", dict(sorted(cnt.items())))
    print("roles:", dict(roles))
    print("langs:", dict(langs))
    print("severities:", dict(Counter(L["expect"]["severity"] for L in lines)))
    if errs:
        for e in errs:
            print("CHECK FAILED:", *e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
