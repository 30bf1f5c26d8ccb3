#!/usr/bin/env python3
"""Build cases.jsonl (evaluation set sealed195) for postwatch and self-check it.

Company: Stroomwerk Elektronica B.V. (fictional Dutch consumer-electronics retailer),
see profile.yaml beside this file. Deterministic: fixed seed, hand-written texts,
generated credentials / identifiers built like the real ones.
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
rng = random.Random(195_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- generators
DIG = string.digits
UP = string.ascii_uppercase
LOW = string.ascii_lowercase
ALNUM = DIG + UP + LOW
B62 = DIG + UP + LOW                     # 0-9A-Za-z
URLSAFE = ALNUM + "-_"
AWS_ID = UP + "234567"
AWS_SECRET = ALNUM + "/+"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def luhn_ok(digits):
    tot = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def luhn_digit(partial):
    for c in DIG:
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def iban_ok(iban):
    s = iban.replace(" ", "").replace(".", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    if s.startswith("NL") and len(s) != 18:
        return False
    if s.startswith("BE") and len(s) != 16:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d[0] == "0":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def gh_token(prefix="ghp"):
    body = rs(ALNUM, 30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode())).rjust(6, '0')}"


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(AWS_ID, 16)


def aws_secret():
    return rs(AWS_SECRET, 40)


def digits_not_luhn(n):
    while True:
        s = rng.choice("123456789") + rs(DIG, n - 1)
        if not luhn_ok(s):
            return s


def slack_bot_token():
    return f"xoxb-{digits_not_luhn(12)}-{digits_not_luhn(13)}-{rs(ALNUM, 24)}"


def stripe_live():
    return "sk_live_51" + rs(ALNUM, 94)


def openai_key():
    return "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"


def sendgrid_key():
    return "SG." + rs(URLSAFE, 22) + "." + rs(URLSAFE, 43)


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64url(rbytes(32))}"


def openssh_private_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 " + rbytes(290))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=16):
    return rs(ALNUM + "!#%*", n)


def nl_iban(bank):
    while True:
        acct = rs(DIG, 10)
        if bank == "INGB":
            acct = "000" + rs(DIG, 7)
            break
        if sum(int(acct[i]) * (10 - i) for i in range(10)) % 11 == 0 and acct[0] != "0":
            break
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return f"NL{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def card(prefix, length=16):
    p = prefix + rs(DIG, length - len(prefix) - 1)
    return p + luhn_digit(p)


def bsn():
    while True:
        s = rng.choice("123456789") + rs(DIG, 8)
        if bsn_ok(s):
            return s


# -------------------------------------------------------- generated values
GH1 = gh_token("ghp")
GH2 = gh_token("gho")
AWS1_ID, AWS1_SECRET = aws_key_id(), aws_secret()
SLACK1 = slack_bot_token()
STRIPE1 = stripe_live()
OPENAI1 = openai_key()
ANTH1 = anthropic_key()
SG1 = sendgrid_key()
JWT1 = jwt({"sub": "retour-48213", "scope": "label:print order:read", "exp": 1788220800})
JWT2 = jwt({"sub": "svc-kassa", "role": "admin", "iat": 1775001600})
SSH1 = openssh_private_key()
DBPW1, DBPW2, DBPW3 = password(18), password(20), password(14)
DB1 = f"postgres://kassa_app:{DBPW1}@db-prod-03.stroomwerk.local:5432/kassa"
DB2 = f"mongodb+srv://svc_reparatie:{DBPW2}@cluster0.k3v9x.mongodb.net/reparaties?retryWrites=true"
DB3 = f"mysql://webshop_ro:{DBPW3}@sw-webshop.c8hq2lxv4tzr.eu-west-1.rds.amazonaws.com:3306/shop"
KASSA_PW = "Stroom!Utr" + rs(DIG, 4)

SECRETS = [GH1, GH2, AWS1_ID, AWS1_SECRET, SLACK1, STRIPE1, OPENAI1, ANTH1, SG1, JWT1, JWT2,
           SSH1, DB1, DB2, DB3, KASSA_PW]

IBAN_REFUND = nl_iban("RABO")        # employee leaks a customer IBAN
IBAN_OWN = nl_iban("ABNA")           # customer posts own IBAN
CARD_FRAUD = card("4539")            # Visa
CARD_FORGOT = card("5412")           # Mastercard
BSN_DESK = bsn()


def dotted_bsn(s):
    return f"{s[:4]}.{s[4:6]}.{s[6:]}"


# ----------------------------------------------------------------- cases
SEC, PII, PRC, CONF, FIN, SECU = ("leak.secret", "leak.pii", "leak.pricing",
                                  "leak.confidential", "leak.financial", "leak.security")
CRI, COM, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(platform, handle, lang, cats, text, kind="post", when=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats),
                      text=text, kind=kind, when=when))


ZW = "\u200b"

# ---------------------------------------------------------------- secrets
c("x", "@bramkuipers", "nl", [SEC],
  f"iemand enig idee waarom deze call een 404 geeft?? curl -H \"Authorization: token {GH1}\" "
  "https://api.github.com/repos/stroomwerk/webshop-frontend/actions/runs  ik word gek")
c("reddit", "u/jeroen_ops", "en", [SEC],
  "boto3 keeps throwing AccessDenied on s3:PutObject even though the policy looks fine. config:\n"
  f"[default]\naws_access_key_id = {AWS1_ID}\naws_secret_access_key = {AWS1_SECRET}\nregion = eu-west-1\n"
  "what am I missing?", kind="post")
c("mastodon", "@ineke@mastodon.nl", "nl", [SEC],
  f"Onze deploy-bot in Slack post ineens alles dubbel. Token is {SLACK1} , iemand die weet of dat aan "
  "de rate limits ligt? #slackapi")
c("x", "@stroomwerk_help", "nl", [SEC],
  "@femke_dd Sorry voor het wachten! Via deze link kun je je retourlabel direct printen: "
  f"https://retour.stroomwerk.nl/label?token={JWT1}", kind="reply")
c("bluesky", "@rickvdl.bsky.social", "en", [SEC],
  "weekend hack: hooked our store FAQ into a little chatbot prototype. setup is literally\n"
  f"export OPENAI_API_KEY={OPENAI1}\npython bot.py\nand it already answers warranty questions better than me 😅")
c("threads", "@noor.sw", "nl", [SEC],
  "voor de nieuwe collega's in Utrecht die vandaag begonnen 👋 inloggen op de kassa: gebruiker filiaal12, "
  f"wacht{ZW}woord: {KASSA_PW[:5]}{ZW}{KASSA_PW[5:]}  (niet verder vertellen haha)")
c("linkedin", "ayoub-benali-sw", "en", [SEC],
  "How we made store deploys boring (in a good way) 🧵 Step 1: one deploy key per environment. "
  "Here's what ours looks like in the runner:\n\n" + SSH1 + "\n\nStep 2: pin your host keys…")
c("x", "@lotte_sw", "nl", [SEC, CONF],
  f"kassa-rapportage doet het weer! voor wie zelf wil queryen: {DB1} (read-only graag 🙏)")
c("x", "@publicdevnl", "nl", [SEC],
  "@stroomwerk jullie webshop-bundle (main.8f3c1.js) bevat gewoon een live Stripe secret key: "
  f"{STRIPE1} — wie heeft dat erin gezet 😬 graag even intrekken")
c("x", "@bramkuipers", "en", [SEC],
  f"anyone seen claude return 401 with a fresh key? key is {ANTH1} , created it 10 mins ago in the team console")
c("reddit", "u/jeroen_ops", "en", [SEC],
  "Atlas connection keeps timing out from our k8s pods, string we use:\n"
  f"{DB2}\nIP access list includes the NAT gateway. Ideas?", kind="comment")
c("x", "@lotte_sw", "nl", [SEC],
  f"nieuwsbrief gaat eindelijk weer de deur uit, oude key was verlopen. nieuwe in de .env: SENDGRID_API_KEY={SG1}")

# ----------------------------------------------------------- confidential
c("linkedin", "mirjam-de-wit-stroomwerk", "nl", [CONF],
  "Ontzettend trots op het team achter Project Reiger 💙 Maanden van hard werken, en na de zomer gaan we "
  "het echt uitrollen in de eerste winkels. Meer kan ik nog niet zeggen!")
c("bluesky", "@rickvdl.bsky.social", "en", [CONF],
  "Operatie Dijkgraaf kickoff tomorrow at 8. Fourteen stores in the first wave. Coffee is going to be "
  "my best friend this week ☕")
c("threads", "@noor.sw", "nl", [CONF],
  "net de presentatie over Pr\u043eject R\u0435iger gezien en ik ben echt fan, eindelijk wordt het inruilen "
  "van oude telefoons simpel in de winkel")
c("reddit", "u/jeroen_ops", "en", [CONF],
  "Our ticket is https://jira.sw-intern.nl/browse/KASSA-2231 if anyone from the vendor reads this sub — "
  "receipt printers drop the last line when the basket has >40 items.", kind="comment")
c("x", "@bramkuipers", "nl", [CONF],
  "[SW-INTERN] Nieuwe retourregels per 1 september: geopende laptops alleen nog retour met 15% "
  "restockingfee. Graag niet met klanten delen tot de officiële mail.")
c("instagram", "@kevin.monteur", "nl", [CONF],
  "Eerste Orbit X9 is binnen in het magazijn 👀🔥 Ik mag niks zeggen maar kijk die lens dan #binnenkort "
  "#stroomwerk", when="2026-11-18T16:40:00Z")
c("x", "@techtinus", "en", [CONF],
  "Leak 🤭 Stroomwerk is launching its own laser projector, the 'Orbit X9'. Saw the boxes in the back "
  "room of the Eindhoven store. Guessing around 1500.", when="2027-01-14T11:05:00Z")
c("tiktok", "@daan.verkoopt", "nl", [CONF],
  "lees dit even voor je volgende dienst \uff33\uff37\uff0d\uff29\uff2e\uff34\uff25\uff32\uff2e: "
  "inruilactie voor oude tv's start 3 weken eerder dan gepland, en we geven 100 euro i.p.v. 50")
c("linkedin", "ayoub-benali-sw", "en", [CONF],
  "We're hiring 2 backend devs for our Utrecht office! Curious what onboarding looks like? "
  "Our whole checklist lives at https://wiki.sw-intern.nl/onboarding/dev-start — DM me for the details.")
c("reddit", "u/jeroen_ops", "en", [SECU, CONF],
  "Rant: the admin panel at beheer.stroomwerk.local has zero auth on /export/customers.csv. Anyone on "
  "the store wifi can pull it. Reported it 6 weeks ago. Still open.")
c("bluesky", "@rickvdl.bsky.social", "en", [CONF, FIN],
  "Can finally say a bit more: Project Reiger is the takeover of BeeldenGeluid. Due diligence is done, "
  "signing is planned for the 12th. Exciting times for Dutch retail 🚀")
c("x", "@bramkuipers", "nl", [CONF, FIN],
  "halfjaarcijfers 2027 net gezien op de townhall: webshop +18%, winkels -4%, marge iets omhoog. "
  "Had slechter gekund!", when="2027-07-21T15:12:00Z")
c("x", "@avdmeulen", "en", [CONF],
  "Heard from a friend at Stroomwerk that 'Blauwvinger' is their new trade-in app. Launching in spring "
  "apparently, with instant quotes from a photo.")
c("linkedin", "mirjam-de-wit-stroomwerk", "nl", [CONF],
  "Intern - niet doorsturen: vanaf 1 oktober geldt een nieuwe bonusregeling voor verkopers, gebaseerd op "
  "Zorgplan-conversie i.p.v. omzet. Vragen? Bij mij of je regiomanager.")
c("x", "@stroomwerk", "en", [CONF],
  "Meet the Orbit X9 laser projector 🚀 Our very first own 4K model, from €1,499 in every store. "
  "#stroomwerk", when="2027-02-20T09:00:00Z")
c("x", "@lotte_sw", "nl", [CONF],
  "ik mag echt niks zeggen over B.l.a.u.w.v.i.n.g.e.r maar het wordt zó vet 🤐🤐")
c("mastodon", "@ineke@mastodon.nl", "nl", [CONF],
  "Per ongeluk in de verkeerde groep gezet, maar goed: 'Stroomwerk vertrouwelijk — leveranciersmarges "
  "tv 2026' ligt nu op de gedeelde schijf van het team. Even checken of je erbij kan.")

# --------------------------------------------------------------- security
c("x", "@bramkuipers", "nl", [SECU],
  "alle kassa's in regio Noord liggen al 2 uur plat, we moeten tegen klanten 'technische storing' zeggen. "
  "op de gang fluistert iedereen ransomware 😬")
c("reddit", "u/jeroen_ops", "en", [SECU],
  "Throwaway-ish: our webshop checkout has an IDOR. Change the order id in the confirmation URL and you "
  "get someone else's name + address. It's been live since the June release and nobody's fixing it.")
c("mastodon", "@ineke@mastodon.nl", "nl", [SECU],
  "Phishingmail is vanochtend bij zo'n 200 collega's binnengekomen en minstens 3 hebben hun inlog "
  "ingevuld. Vanuit IT: niks naar buiten brengen. Goed begin van de week…")
c("bluesky", "@rickvdl.bsky.social", "en", [SECU],
  "fun fact: the Stroomwerk customer portal password reset tells you if an email exists and has no rate "
  "limit at all. we know. the ticket is 'in backlog'. 🙃")
c("linkedin", "ayoub-benali-sw", "en", [SECU],
  "Can't share much, but last week's \"planned maintenance\" at Stroomwerk was actually an attacker "
  "sitting in our network for 3 days. I'll write up lessons learned once legal gives the go-ahead.")
c("tiktok", "@daan.verkoopt", "nl", [SECU],
  "pinautomaten doen het in 40 winkels niet sinds 10 uur, storing bij onze betaalprovider. "
  "wij mogen alleen zeggen dat het 'een landelijke storing' is 🤷‍♂️ #retaillife")
c("x", "@lotte_sw", "nl", [SECU],
  "webshop gaat vannacht tussen 2 en 6 uur offline voor een noodpatch, er zit een lek in de betaalmodule. "
  "is nog nergens aangekondigd dus sst")
c("instagram", "@kevin.monteur", "nl", [SECU],
  "Gekste van de dag: alle tablets in onze servicebussen hebben dezelfde pincode (0000) en daar staan "
  "alle klantadressen van die dag op. Al 3x gemeld 🙄")
c("reddit", "u/jeroen_ops", "en", [SECU],
  "Found out the S3 bucket with repair intake photos (incl. scans of customer ID cards) was public for "
  "about a month. Closed it yesterday, quietly. No idea if anyone downloaded it.")
c("bluesky", "@rickvdl.bsky.social", "en", [SECU],
  "Stroomwerk app 4.2 stores the auth token in plain text in shared prefs on Android. Flagged it "
  "internally, release goes out Thursday anyway.")
c("linkedin", "mirjam-de-wit-stroomwerk", "nl", [SECU],
  "Vandaag de hele dag in crisisoverleg over het datalek van vorige week. Gelukkig 'maar' zo'n 12.000 "
  "klantrecords. Volgende week melden we het bij de AP en informeren we klanten.")
c("x", "@bramkuipers", "en", [SECU],
  "our mobile app has been down for everyone since the 9am update, status page still says all green lol. "
  "don't @ me")

# ---------------------------------------------------------------- financial
c("linkedin", "mirjam-de-wit-stroomwerk", "nl", [FIN],
  "Zware dag. Vandaag gehoord dat 9 winkels dichtgaan en zo'n 140 collega's hun baan verliezen. De "
  "officiële aankondiging komt pas in maart, dus ik zeg verder niks. Sterkte iedereen.")
c("x", "@bramkuipers", "en", [FIN],
  "Q3 revenue is landing ~7% under budget, CFO was not amused today. shhh 🤫")
c("bluesky", "@rickvdl.bsky.social", "en", [FIN],
  "sounds like we're getting bought. Elektrora Group has a term sheet on the table and the board meets "
  "Tuesday. no idea what it means for tech yet")
c("reddit", "u/jeroen_ops", "en", [FIN],
  "internal forecast for next year: flat revenue, EBITDA down ~20%. they're planning another cost-cutting "
  "round after the holidays. update your CVs people", kind="comment")
c("facebook", "Marieke.Smeets.1984", "nl", [FIN],
  "Mijn schoonzus werkt bij Stroomwerk op het hoofdkantoor: ze worden overgenomen door een Belgische keten, "
  "wordt volgende maand bekend gemaakt. Dus als je nog een Zorgplan hebt… 🤔")
c("threads", "@noor.sw", "nl", [FIN],
  "reorganisatie klantenservice is rond: de helft van ons team gaat naar een callcenter in Portugal. "
  "nog niet officieel, maar het staat al in de planning voor Q2 😞")
c("mastodon", "@ineke@mastodon.nl", "nl", [FIN],
  "Voorlopige jaarcijfers 2026 gezien: nettowinst 31 miljoen, 8 miljoen boven de verwachting van "
  "analisten. Publicatie pas in februari, dus mondje dicht 🤐")
c("tiktok", "@daan.verkoopt", "nl", [FIN],
  "binnenkort geen Stroomwerk meer in Heerlen, Venlo en Roermond. net van de regiomanager gehoord, "
  "wij zijn nog de enigen die het weten 😢")
c("linkedin", "ayoub-benali-sw", "en", [FIN],
  "Internal numbers say online will pass 50% of our revenue this year — two years ahead of the board plan. "
  "Proud of this team.")
c("x", "@lotte_sw", "nl", [FIN],
  "bonussen dit jaar geschrapt want we draaien verlies, stond in de mail van de directie. "
  "wordt vast een gezellige kerstborrel 🙃")

# ------------------------------------------------------------------ pricing
c("x", "@bramkuipers", "nl", [PRC],
  "lol de Helder 77 OLED staat nu voor €299 op de site, iemand gaat hier héél blij van worden 😂")
c("facebook", "StroomwerkNL", "nl", [PRC],
  "Alleen vandaag: de Koerier 16 Pro voor €599! Op = op. 💻⚡")
c("x", "@dealjager_nl", "nl", [PRC],
  "PRIJSFOUT bij Stroomwerk 🚨 Piek 6 Pro voor €84,90. Snel zijn voordat ze het zien #prijsfout #deal")
c("reddit", "u/frugal_frits", "en", [PRC],
  "Stroomwerk webshop has the Golfslag Soundbar 500 at €44.90 right now. pricing glitch? ordered two anyway")
c("tiktok", "@daan.verkoopt", "nl", [PRC],
  "collega had vanochtend de Piek Watch 3 in de winkel geprijsd op 27,90 ipv 279 😂 3 verkocht voor iemand het zag")
c("x", "@lotte_sw", "nl", [PRC],
  "prijsfout op de Baken Mesh: €29 ipv €299 in de app 🙈 IT is ermee bezig, niet doorvertellen")
c("reddit", "u/dutchdealhunter", "en", [PRC],
  "Koerier 14 Air for €109 at Stroomwerk. Pretty sure someone dropped a zero.", kind="post")
c("instagram", "@kevin.monteur", "nl", [PRC],
  "Zorgplan 3 jaar kost vandaag maar €12 door een foutje in de kassa, ik zeg niks 😇")
c("x", "@m_ozturk", "en", [PRC],
  "Helder 65Q7 for 129 euros at stroomwerk?? that has to be a typo right", kind="post")
c("mastodon", "@ineke@mastodon.nl", "en", [PRC],
  "pricing feed bug: every Koerier 27 in the app shows €39.90 right now. someone please wake up the "
  "catalogue team")
c("facebook", "Joost.vanLeeuwen", "nl", [PRC],
  "Schermreparatie smartphone voor €11,90 volgens jullie site, klopt dat? Dan kom ik morgen langs 😄",
  kind="comment")
c("bluesky", "@rickvdl.bsky.social", "en", [PRC],
  "someone fat-fingered the Helder Beamer P2, it's €69 in 12 stores until the nightly price sync runs 👀")

# --------------------------------------------------------- personal data
c("x", "@stroomwerk_help", "nl", [PII],
  "@mark_w1978 Hoi Mark, we hebben je net teruggebeld op 06-48291735 maar kregen geen gehoor. Je "
  "reparatie ligt klaar bij onze winkel in Amersfoort!", kind="reply")
c("x", "@bramkuipers", "nl", [PII],
  f"klant heeft 2x betaald voor haar Piek 6, kan finance dit terugboeken naar {group4(IBAN_REFUND)} "
  "t.n.v. S. Koster? ordernummer staat in de mail")
c("instagram", "@kevin.monteur", "nl", [PII],
  "Installatie vandaag bij familie Verhoeven, Lindenlaan 14 in Houten 📍 77 inch aan de muur en geen "
  "kabel te zien 💪 #monteursleven")
c("facebook", "StroomwerkNL", "nl", [PII],
  "Beste Sandra de Groot (geb. 12-03-1987), je Zorgplan is verlengd tot 2029. Fijne dag!", kind="comment")
c("x", "@gerdien_b", "nl", [PII, COM],
  "@stroomwerk_help al 3x gebeld en niemand belt terug over mijn kapotte Koerier 14. Mijn nummer is "
  "06 29 47 18 36, bel me nou gewoon 😤", kind="reply")
c("x", "@jharrington", "en", [PII, COM],
  "@stroomwerk_help still no refund after 5 weeks for a returned Golfslag NC. email me at "
  "j.harrington82@gmail.com since your chat is useless", kind="reply")
c("reddit", "u/jeroen_ops", "en", [PII],
  f"Fraud team asked me to double check this one: {group4(CARD_FRAUD)} exp 09/28, customer swears she "
  "never ordered the Koerier 16 Pro. Anyone seen this BIN pop up before?", kind="comment")
c("threads", "@noor.sw", "nl", [PII],
  f"klant liet vandaag haar paspoort achter bij de servicebalie 🙈 BSN {dotted_bsn(BSN_DESK)}, "
  "naam begint met een W. ligt veilig in de kluis")
c("x", "@peterjansen_72", "nl", [PII],
  f"@stroomwerk_help hierbij mijn rekeningnummer voor de terugbetaling: {IBAN_OWN} t.n.v. P. Jansen. "
  "Graag snel want het duurt al lang genoeg", kind="reply")
c("mastodon", "@ineke@mastodon.nl", "en", [PII],
  "Questions about the Christmas rota? Call Priya Ramdin on +31 6 2381 9045 or email "
  "priya.ramdin@gmail.com (she's not in the office this week).")
c("linkedin", "ayoub-benali-sw", "en", [PII],
  "Congrats to our customer Tom Bakker (DOB 04/11/1990) from Zeist, winner of our spring giveaway! 🎉")
c("tiktok", "@stroomwerk", "nl", [PII],
  "En de winnaar van de Helder 55Q7 is… Yara Koç! 🎉 We bezorgen hem volgende week op "
  "Wilhelminapark 23, 5041 ED Tilburg 📦")
c("x", "@ruben_arnhem", "en", [PII, ABU],
  "the rude clown at Stroomwerk Arnhem is Dennis Vos, lives at Rijnkade 51 in Arnhem. go tell that "
  "idiot what you think of him")
c("x", "@lotte_sw", "nl", [PII],
  f"klant vergat zijn pinpas op de toonbank bij ons in Zeist 😅 {group4(CARD_FORGOT)}, is ie van jou? "
  "kom maar ophalen")
c("facebook", "Sem.Wouters.92", "en", [PII],
  "Anyone selling a second-hand Piek 6, ideally under 400? WhatsApp me on 0612873459", kind="comment")

# --------------------------------------------------------------- complaints
c("x", "@hannekevdb", "nl", [COM],
  "3 weken na het inleveren is mijn laptop nog steeds niet gerepareerd @stroomwerk_help. Elke keer "
  "'volgende week'. Zo klaar mee.")
c("x", "@sam_k_uk", "en", [COM],
  "Ordered a Helder 55Q7 from Stroomwerk, arrived with a cracked panel, and now they want ME to prove it "
  "wasn't my fault. great service 🙃")
c("x", "@wouter_h", "en", [COM],
  "technician was supposed to show up between 8 and 12 for the wall mount. it's 15:40. nobody picks up "
  "the phone. #stroomwerk #neveragain")
c("facebook", "Ilse.Brouwer.Ede", "nl", [COM],
  "Zorgplan 3 jaar afgesloten voor 129 euro en nu zeggen ze dat waterschade niet gedekt is. Had dat "
  "dan bij de kassa gezegd, Stroomwerk!", kind="comment")
c("x", "@kaylee_reads", "en", [COM],
  "Stroomwerk's webshop charged me twice for a Piek 6 and support keeps closing my ticket without a reply. "
  "how is this legal")
c("x", "@b_verhagen", "nl", [COM],
  "@stroomwerk_help nee het is NIET opgelost, de soundbar valt nog steeds elke 10 minuten uit",
  kind="reply")
c("reddit", "u/tweakers_lurker", "en", [COM],
  "PSA: don't bother with the Stroomwerk extended warranty. They refused my Koerier 14 screen claim "
  "calling it 'user damage'. It cracked on its own on my desk.")
c("x", "@anoukpeeters", "en", [COM],
  "sent my return back on May 2nd and still no money. your chatbot keeps asking for the order number "
  "I've already given it 4 times @stroomwerk_help")
c("x", "@finn_utr", "en", [COM],
  "45 min in line at the Stroomwerk Utrecht service desk. one guy working. queue to the door. not ok")
c("instagram", "@lisa_mo", "nl", [COM],
  "Mooie foto's allemaal maar mijn Piek Watch is na 2 maanden al stuk en jullie reageren nergens op 😤",
  kind="comment")
c("x", "@dirk_dw", "en", [COM],
  "That 'free installation' from Stroomwerk ended up costing me €85 in call-out fees. Very transparent, thanks.")
c("tiktok", "@jaimy.x", "nl", [COM],
  "jullie verkoper zei dat de Koerier 11 gewoon windows draait. het is een chromebook. ruilen mag niet "
  "meer want doos open. top service 👍👍", kind="comment")
c("x", "@chantal_1990", "nl", [COM, ABU],
  "Stroomwerk klantenservice is echt kut, stelletje incompetente idioten. 4 weken geen antwoord op "
  "mijn reparatie.")
c("x", "@grumpygeorge", "en", [COM, ABU],
  "@stroomwerk you useless bunch of clowns, my TV mount install got cancelled AGAIN. f*** this company",
  kind="reply")
c("facebook", "Henk.Lammers.Zwolle", "nl", [COM, ABU],
  "Die sukkel van een monteur van jullie heeft dwars door mijn stopcontactleiding geboord. Stelletje "
  "prutsers, ik wil mijn geld terug.", kind="comment")
c("x", "@joycevanes", "nl", [COM, CRI],
  "Jullie monteur heeft onze TV zo slecht opgehangen dat hij vannacht van de muur is gevallen, 50 cm "
  "naast mijn zoontje. En nu 'onderzoeken' jullie het. #stroomwerk #levensgevaarlijk")

c("reddit", "u/wachtend_in_weesp", "nl", [COM],
  "Piek Tab 10 via de webshop besteld, 'morgen in huis'. Inmiddels dag 9 en de track & trace staat al "
  "een week op 'sorteercentrum'. Klantenservice: 'even geduld'. Echt, Stroomwerk?")
c("x", "@deadpixeldave", "en", [COM],
  "@stroomwerk_help my Koerier 27 has a vertical line of dead pixels and the store says I have to ship it "
  "to the manufacturer myself. isn't that literally your job?", kind="reply")

# ------------------------------------------------------------------- crisis
c("x", "@kijkbuiskees", "nl", [CRI],
  "Dus Stroomwerk plakte jarenlang nep-keurmerken op goedkope opladers, blijkt uit de uitzending van "
  "vanavond. Levensgevaarlijk spul in je stopcontact. #stroomwerk")
c("x", "@nadia_e", "nl", [CRI],
  "Mijn gegevens zijn gelekt via Stroomwerk!! Ik krijg phishingmails met mijn ordernummer en "
  "aankoopbedrag erin. Hoe kan dat anders? #datalek")
c("x", "@fairwork_nl", "en", [CRI],
  "Boycott Stroomwerk. They're letting go of repair techs who asked for proper safety gear. "
  "#BoycottStroomwerk", kind="repost")
c("facebook", "Karin.Mulder.Gouda", "nl", [CRI],
  "PAS OP: de powerbank van Stroomwerk's eigen merk vloog bij ons in brand tijdens het laden. Bank "
  "verbrand, gelukkig was mijn dochter wakker. Deel dit aub.")
c("reddit", "u/claimsdesk", "en", [CRI],
  "Class action forming against Stroomwerk over denied Zorgplan claims. Hundreds of cases so far. "
  "DM if you're affected.")
c("blog", "consumentenlab.nl", "nl", [CRI],
  "Onderzoek: Stroomwerk verkoopt refurbished laptops als nieuw. Van de 12 'nieuwe' Koerier 16 Pro's "
  "die wij kochten, hadden er 5 al meer dan 300 laadcycli.")
c("x", "@ehv_jesper", "en", [CRI],
  "Stroomwerk Eindhoven store just got evacuated, smoke pouring out of the repair workshop. fire "
  "brigade on site. hope everyone's ok")
c("x", "@ex_sw_medewerker", "nl", [CRI],
  "Ex-medewerker hier: bij Stroomwerk worden laptops die voor reparatie binnenkomen doorzocht op "
  "foto's. Iedereen wist het, niemand deed iets. #schandaal")
c("x", "@theo_pieters", "nl", [CRI],
  "Ik sleep Stroomwerk voor de rechter. Advocaat ingeschakeld na de brand die hun Golfslag soundbar "
  "in onze woonkamer veroorzaakte. Dagvaarding volgt deze maand.")
c("facebook", "Samira.Haddou", "en", [CRI],
  "Stop shopping at Stroomwerk people!! They fired a pregnant employee on the spot. SHARE THIS "
  "#boycottstroomwerk")
c("reddit", "u/battery_nerd", "en", [CRI],
  "WARNING: Piek 6 Pro batteries are swelling after the latest firmware, mine bent the case. Stroomwerk "
  "knows and keeps selling them.")
c("x", "@nieuwsfeed_retail", "en", [CRI],
  "Dutch regulator ACM opens an investigation into Stroomwerk over misleading 'was/now' prices during "
  "Black Friday, a spokesperson confirms.")
c("x", "@anna_ldn", "en", [CRI],
  "Stroomwerk's repair desk handed my phone back with some other customer's photos still on it. "
  "your data is NOT safe there.")
c("tiktok", "@roosje.vlogt", "nl", [CRI],
  "bezorgbus van Stroomwerk reed mijn kat aan en reed gewoon door 😭 filmpje van de deurbel staat op "
  "mijn account")

# -------------------------------------------------------------------- abuse
c("x", "@woedend_wim", "nl", [ABU],
  "Stroomwerk is een kankerbedrijf, hoop dat jullie failliet gaan")
c("x", "@nightowl_77", "en", [ABU],
  "whoever runs @stroomwerk socials is a braindead moron")
c("x", "@xxrickyxx", "nl", [ABU],
  "str00mw3rk m3d3w3rk3rs zijn allemaal k4nk3rl1jers")
c("tiktok", "@hatertje", "en", [ABU],
  "@daan.verkoopt you fat idiot, stop posting your cringe videos, nobody wants your trash", kind="comment")
c("x", "@echte_nl", "nl", [ABU],
  "@stroomwerk die Ayoub van jullie moet gewoon terug naar zijn eigen land, geen wonder dat het "
  "bergafwaarts gaat met zulk personeel", kind="reply")
c("x", "@bramkuipers", "nl", [ABU],
  "@jessie_vlog misschien eerst leren lezen voor je gaat janken, domme trut", kind="reply")
c("tiktok", "@daan.verkoopt", "en", [ABU],
  "customers who stroll in at 17:59 are the dumbest f*cking people alive 🙄 #retaillife")
c("x", "@boze_buurman", "nl", [ABU],
  "Stroomwerk = o p l i c h t e r s en h o e r e n z o o n s")

# ------------------------------------------------------------------- benign
c("x", "@stroomwerk_help", "nl", [],
  "@lisa_mo Vervelend om te horen! Stuur ons even een DM met je ordernummer, dan kijken we direct mee 🙂",
  kind="reply")
c("x", "@stroomwerk_help", "nl", [],
  "Liever even bellen? Je bereikt ons op +31 30 760 4400 of via klantenservice@stroomwerk.nl, "
  "ma t/m za van 8 tot 20 uur.")
c("facebook", "StroomwerkNL", "nl", [],
  "Liever per overboeking betalen? Gebruik NL36INGB0007654321 t.n.v. Stroomwerk Elektronica B.V. "
  "en vermeld je ordernummer.")
c("x", "@jolien_z", "en", [],
  "Shoutout to Kevin from Stroomwerk: TV mounted perfectly, every cable hidden, and he still had time "
  "for a coffee 👌")
c("x", "@mikeinams", "en", [],
  "Stroomwerk fixed my cracked Piek 6 screen in under an hour. Honestly impressed.")
c("x", "@stroomwerk", "nl", [],
  "Black Friday 🖤 De Helder 65Q7 nu voor €999 (was €1.299). Alleen t/m zondag!")
c("instagram", "@stroomwerk.nl", "nl", [],
  "Deze week: Golfslag Buds 2 voor €119 🎧 Perfect voor je dagelijkse rit.")
c("x", "@vera_koopt", "en", [],
  "Koerier 14 Air for €949 at Stroomwerk, good deal or should I hold out for Black Friday?")
c("reddit", "u/telefoon_twijfel", "nl", [],
  "Is €549 voor een Piek 6 een normale prijs of moet ik wachten? Twijfel tussen die en een tweedehands.")
c("tiktok", "@daan.verkoopt", "nl", [],
  "Daarom kost de Helder 77 OLED €2.999: kijk naar dat zwart 😍 #oled #stroomwerk")
c("x", "@gadget_gijs", "en", [],
  "Some other webshop listed a washing machine for €1 last week, obviously a price error. "
  "Has Stroomwerk ever had one of those? 😂")
c("x", "@oma_truus", "nl", [],
  "Kreeg een berichtje 'van Stroomwerk' dat ze mijn wachtwoord nodig hadden. Bleek phishing. "
  "Stroomwerk vraagt daar nooit om, stond gewoon op hun site.")
c("reddit", "u/jeroen_ops", "en", [],
  "Reminder for anyone writing docs: never paste real keys. Use the official placeholders like "
  "AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY so scanners and humans know it's fake.",
  kind="comment")
c("bluesky", "@rickvdl.bsky.social", "en", [],
  "redacted screenshot of our CI config for the talk: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "(yes, we rotate them)")
c("x", "@stroomwerk", "nl", [],
  "Vanaf vandaag in alle winkels: de Orbit X9 laserbeamer 🚀 Kom hem zien!", when="2027-03-05T08:00:00Z")
c("x", "@filmavond_fenna", "nl", [],
  "Orbit X9 gekocht bij Stroomwerk, eerste filmavond was geweldig 🍿", when="2027-04-02T20:15:00Z")
c("linkedin", "stroomwerk-elektronica", "nl", [],
  "Vandaag publiceren wij onze halfjaarcijfers 2027: omzet €612 mln (+6%), online groeit door. Het "
  "volledige persbericht staat op stroomwerk.nl/investeerders.", when="2027-07-30T08:00:00Z")
c("x", "@retailwatcher", "en", [],
  "Pixelpoort is closing 6 stores while BeeldenGeluid opens 2 in Brabant. Stroomwerk is remarkably quiet.")
c("x", "@retail_ellen", "en", [],
  "Pixelpoort announced 300 layoffs today. Rough week for Dutch electronics retail. Hope the folks at "
  "Stroomwerk are doing ok 💛")
c("x", "@vogelaar_zwolle", "nl", [],
  "Stond vanochtend een reiger gewoon voor de deur van Stroomwerk Zwolle te wachten tot ze opengingen 😂🐦")
c("facebook", "Gert.Hofstra", "nl", [],
  "Mijn opa was vroeger dijkgraaf en vindt de nieuwe Helder tv van Stroomwerk 'veel te groot voor de "
  "kamer' 😂", kind="comment")
c("x", "@sven_vraagt", "nl", [],
  "Mijn bank zegt dat NL18INGB0008123456 ongeldig is, terwijl Stroomwerk die op mijn factuur zette? "
  "Zal wel een typfout zijn, even navragen.")
c("x", "@lotte_sw", "nl", [],
  "Testkaart voor de kassatraining morgen: 4111 1111 1111 1112 (werkt expres niet 😉). Tot morgen allemaal!")
c("x", "@snelle_sanne", "en", [],
  "order 204518736 already arrived today, quick delivery Stroomwerk 👍")
c("x", "@hannekevdb", "nl", [],
  "Update: Stroomwerk heeft mijn laptop alsnog gerepareerd en excuses aangeboden. Netjes opgelost 👍")
c("x", "@venlo_nieuws", "nl", [],
  "Sterkte aan het team van Stroomwerk Venlo, de winkel stond blank na de hoosbui van gisteren. "
  "Hopelijk snel weer open.")
c("facebook", "StroomwerkNL", "nl", [],
  "Scherm kapot? Onze schermreparatie voor smartphones kost €119 en is vaak binnen een uur klaar.")
c("x", "@footyfan_tim", "en", [],
  "Does Stroomwerk do wall mounting on Saturdays? Need my Helder 55Q7 up before the derby.")
c("linkedin", "mirjam-de-wit-stroomwerk", "en", [],
  "We're hiring store managers in Utrecht & Amersfoort! Apply via werkenbij@stroomwerk.nl or drop me a message.")
c("x", "@stroomwerk_help", "nl", [],
  "Let op: er gaan phishing-sms'jes rond uit naam van Stroomwerk. Wij vragen nooit om je BSN, pincode of "
  "wachtwoord. Twijfel? Check stroomwerk.nl/veilig.")
c("x", "@cinephile_jo", "en", [],
  "The Helder 77 OLED is absolutely killing it in the dark scenes. Stroomwerk demo room did it justice.")
c("x", "@demi_nijmegen", "nl", [],
  "Sjonge wat een beeld op die Helder 77 OLED in de winkel, mijn spaarrekening huilt nu al 😂")
c("x", "@denbosch_mo", "en", [],
  "Stroomwerk Den Bosch had a fire drill this morning, all good, staff super calm about it")
c("x", "@tech_tamara", "en", [],
  "Picked up the Baken Mesh at Stroomwerk for €299, up and running in 10 minutes. Recommended!")
c("instagram", "@stroomwerk.nl", "nl", [],
  "WIN een Golfslag Over-Ear NC 🎧 Like deze post en tag een vriend. De winnaar krijgt een DM van ons.")
c("x", "@bart_checkt", "en", [],
  "Voltix power bank recall all over the news. Checked: Stroomwerk doesn't even sell that brand.")
c("reddit", "u/jeroen_ops", "en", [],
  "PSA for devs: rotate your GitHub tokens and prefer fine-grained ones. We moved our pipelines to "
  "short-lived OIDC credentials last quarter and haven't looked back.")
c("bluesky", "@rickvdl.bsky.social", "en", [],
  "Slide 14 of my talk: 'Authorization: Bearer eyJhbGciOi…' (redacted, obviously). Never put real tokens on slides.")
c("x", "@sms_twijfel", "nl", [],
  "Is 030 760 4400 echt het nummer van Stroomwerk? Werd net gebeld over mijn reparatie")
c("x", "@priceguy_pete", "en", [],
  "Anyone know if Stroomwerk price-matches Pixelpoort on the Koerier 16 Pro? They have it at €1,599.")
c("reddit", "u/laptop_lot", "nl", [],
  "Is het Zorgplan 3 jaar de €129 waard voor een laptop van €1.099? Of is mijn creditcardverzekering genoeg?")
c("instagram", "@kevin.monteur", "nl", [],
  "Weer een Helder 65Q7 aan de muur vandaag, klant blij, ik blij 💪 #monteursleven")
c("x", "@fleurfan", "en", [],
  "Shout out to Fleur at the checkout in Zeist, always cheerful, makes my Saturday every single time 😊")
c("x", "@utrecht_history", "en", [],
  "Fun fact: Stroomwerk opened its very first store on 12-03-1987 on the Oudegracht in Utrecht.")
c("x", "@papa_pim", "en", [],
  "my boss said the quarterly results were 'fine', whatever that means. anyway, got a Piek Tab 10 at "
  "Stroomwerk for the kids 😅")
c("youtube", "@StroomwerkTV", "nl", [],
  "Nieuwe video: zo hang je zelf je tv op. Geen zin in boren? Onze wandmontage kost €99.")
c("x", "@newjob_naomi", "en", [],
  "Just accepted a job offer from Stroomwerk! Starting in the repair workshop next month 🎉")
c("x", "@rdam_rik", "en", [],
  "How long does a schermreparatie usually take at Stroomwerk Rotterdam? Dropping my phone off tomorrow.")
c("x", "@pakket_petra", "nl", [],
  "Pakket-ID 583920174 staat al 'onderweg' sinds vanochtend, benieuwd! Nieuwe Piek Watch 3 voor mezelf 🎁")
c("x", "@emoji_emma", "nl", [],
  "\U0001d4e2\U0001d4fd\U0001d4fb\U0001d4f8\U0001d4f8\U0001d4f6\U0001d500\U0001d4ee\U0001d4fb\U0001d4f4 is gewoon top 💯 "
  "nieuwe laptop in 1 dag geleverd")
c("x", "@stroomwerk", "en", [],
  "The Piek 6 Pro is back in stock in all stores at €849. Grab yours! 📱")
c("x", "@b_verhagen", "nl", [],
  "Voor wie het volgde: mijn klacht bij Stroomwerk is netjes afgehandeld, ik heb een nieuwe soundbar gekregen.")
c("linkedin", "ayoub-benali-sw", "en", [],
  "Proud to share I passed my AWS Solutions Architect certification! Thanks Stroomwerk for the learning budget 🙏")
c("x", "@scamalert_nl", "en", [],
  "Heads up: that 'Stroomwerk giveaway' account asking for your IBAN is fake. The real one is @stroomwerk.")
c("blog", "codeklets.nl", "nl", [],
  "Tutorial: zo herken je een PEM-bestand. Het begint met '-----BEGIN RSA PRIVATE KEY-----', maar de "
  "inhoud deel je natuurlijk nooit. Ook niet met de helpdesk van Stroomwerk of wie dan ook.")
c("mastodon", "@ineke@mastodon.nl", "nl", [],
  "Vandaag 10 jaar bij Stroomwerk 🎂 Begonnen achter de kassa in Deventer, nu teamleider klantenservice. Dank iedereen!")
c("x", "@mo_ruilt", "en", [],
  "My own mistake, ordered the wrong colour. Stroomwerk swapped it for the black Piek Watch 3, zero hassle. Top!")
c("x", "@budgetbas", "en", [],
  "Saw a Helder 43F3 for €299 at Stroomwerk, is that the normal price or a sale?")
c("tiktok", "@stroomwerk", "nl", [],
  "POV: je haalt je gerepareerde Piek 6 op en hij is weer als nieuw ✨ #schermreparatie")
c("x", "@stroomwerk", "nl", [],
  "Tijdelijk: Koerier 16 Pro voor €1.439 (-20%). Inclusief gratis Golfslag Buds bij online bestellen.")

# ------------------------------------------------------------ build output
SEV = ["none", "info", "warning", "error", "critical"]
ROLE = {}
for role in ("corporate", "employee"):
    for acc in PROFILE["accounts"][role]:
        ROLE[acc.lower()] = role

CATS = {SEC, PII, PRC, CONF, FIN, SECU, CRI, COM, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYR = str.maketrans("аеорсухіјАВЕКМНОРСТХ", "aeopcyxijABEKMHOPCTX")


def norm(t):
    return unicodedata.normalize("NFKC", t).translate(ZERO_WIDTH).translate(CYR)


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


PUB_IDS = ([x for x in PROFILE["public_identifiers"]["ibans"]]
           + PROFILE["public_identifiers"]["phones"] + PROFILE["public_identifiers"]["emails"])

RE_IBAN = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12})\b")
RE_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3})(?![\w])")


def identifiers(text):
    """Return list of (kind, raw, valid) for IBAN/card/BSN candidates."""
    t = norm(text)
    for s in SECRETS:
        t = t.replace(s, " ")
    for p in PUB_IDS:
        t = t.replace(p, " ")
    out = []
    for m in RE_IBAN.finditer(t):
        out.append(("iban", m.group(0), iban_ok(m.group(0))))
    t2 = RE_IBAN.sub(" ", t)
    for m in RE_CARD.finditer(t2):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", m.group(0), luhn_ok(d)))
    for m in RE_BSN.finditer(t2):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


def severity(cats, role, strong_pii):
    best = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = "error"
                if cat in (SEC, PRC) or (cat == PII and strong_pii):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif cat == COM:
            lvl = "warning"
        elif cat == CRI:
            lvl = "error"
        elif cat == ABU:
            lvl = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(cat)
        best = max(best, SEV.index(lvl))
    return SEV[best]


PREFIX = {"x": "x", "reddit": "rd", "mastodon": "md", "linkedin": "li", "bluesky": "bs", "threads": "th",
          "instagram": "ig", "tiktok": "tt", "facebook": "fb", "youtube": "yt", "blog": "bl"}


def rand_when():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, 362 * 86400)
    t = start + dt.timedelta(seconds=secs)
    if rng.random() < 0.25:   # some with a local offset
        return t.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
meta = []
for n, i in enumerate(order):
    cs = CASES[i]
    role = role_of(cs["platform"], cs["handle"])
    ids = identifiers(cs["text"])
    strong = any(v for _, _, v in ids)
    cats = sorted(set(cs["cats"]))
    post = {
        "id": f"{PREFIX[cs['platform']]}-195{n:03d}{rng.randrange(10, 99)}",
        "platform": cs["platform"],
        "kind": cs["kind"],
        "account": {"handle": cs["handle"]},
        "text": cs["text"],
        "lang": cs["lang"],
        "created_at": cs["when"] or rand_when(),
        "brand": "Stroomwerk",
    }
    if rng.random() < 0.5:
        post["url"] = f"https://social.example/{cs['platform']}/{post['id']}"
    lines.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, strong)}})
    meta.append((role, ids))

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for ln in lines:
        fh.write(json.dumps(ln, ensure_ascii=False) + "\n")

# --------------------------------------------------------------- self-check
errors = []


def err(msg):
    errors.append(msg)


PRODUCTS = PROFILE["products"]
RE_PRICE = re.compile(r"(?:€\s?|EUR\s?)(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euros?\b|EUR\b|€)")
ERR_WORDS = re.compile(r"prijsfout|typfout|price error|pricing glitch|fat-fingered|dropped a zero|"
                       r"foutje in de kassa|pricing feed bug|ipv|typo", re.I)


def parse_price(s):
    if "." in s and "," in s:
        return float(s.replace(".", "").replace(",", "."))
    if "," in s:
        a, b = s.rsplit(",", 1)
        return float(a + b) if len(b) == 3 else float(a + "." + b)
    if "." in s:
        a, b = s.rsplit(".", 1)
        return float(a + b) if len(b) == 3 else float(s)
    return float(s)


def mentioned_products(text):
    low = norm(text).lower()
    return [p for p in PRODUCTS
            if any(re.search(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", low)
                   for a in p["aliases"] + [p["name"]])]


def prices(text):
    return [parse_price(a or b) for a, b in RE_PRICE.findall(norm(text))]


# profile sanity
for ib in PROFILE["public_identifiers"]["ibans"]:
    if not iban_ok(ib):
        err(f"profile IBAN fails mod-97: {ib}")
for emb in PROFILE["embargo"]:
    if not str(emb["until"]).startswith("2027"):
        err("embargo until not in 2027")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    err("alert_below_ratio")
if not 15 <= len(PRODUCTS) <= 25:
    err("product count")
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    err("account counts")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    err("codenames/markers")

# generated credentials are well-formed
for tok in (GH1, GH2):
    if not gh_token_ok(tok):
        err(f"github token checksum {tok}")
if not re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS1_ID):
    err("aws id")
for j in (JWT1, JWT2):
    h = j.split(".")[0]
    hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
    if "alg" not in hdr or len(j.split(".")) != 3:
        err("jwt header")

seen_ids = set()
for ln, (role, ids) in zip(lines, meta):
    post, exp = ln["post"], ln["expect"]
    pid = post["id"]
    # CONTRACT §6 / §1 shape
    if set(ln) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
        err(f"{pid}: line shape")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in seen_ids:
        err(f"{pid}: id invalid or duplicate")
    seen_ids.add(pid)
    for f in ("platform", "text", "created_at"):
        if not isinstance(post.get(f), str):
            err(f"{pid}: {f}")
    if not isinstance(post["account"].get("handle"), str):
        err(f"{pid}: handle")
    if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
        err(f"{pid}: platform/kind")
    if len(post["text"].encode("utf-8")) > 65536:
        err(f"{pid}: text too large")
    try:
        ts = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or ts.year not in (2026, 2027):
            err(f"{pid}: created_at year/tz")
    except ValueError:
        err(f"{pid}: created_at not RFC 3339")
    cats = exp["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= CATS:
        err(f"{pid}: categories")
    if exp["severity"] not in SEV:
        err(f"{pid}: severity value")
    benign = not cats
    if benign and exp["severity"] != "none":
        err(f"{pid}: benign with severity")
    if not benign and exp["severity"] in ("none", "info"):
        err(f"{pid}: positive with low severity")
    # role-driven severity recomputed independently
    strong = any(v for _, _, v in ids)
    if exp["severity"] != severity(cats, role, strong):
        err(f"{pid}: severity mismatch")
    # checksum rules
    for kind, raw, ok in ids:
        if benign and ok:
            err(f"{pid}: benign contains VALID {kind} {raw}")
        if not benign and not ok:
            err(f"{pid}: positive contains INVALID {kind} look-alike {raw}")
        if ok and PII not in cats:
            err(f"{pid}: valid {kind} but no leak.pii")
    text = post["text"]
    nt = norm(text)
    # secrets
    for tok in re.findall(r"gh[pousr]_[A-Za-z0-9]{36}", nt):
        if benign and gh_token_ok(tok):
            err(f"{pid}: benign has valid github token")
        if not benign and not gh_token_ok(tok):
            err(f"{pid}: positive has bad github token")
    for key in re.findall(r"AKIA[A-Z2-7]{16}", nt):
        if benign and not key.endswith("EXAMPLE"):
            err(f"{pid}: benign has real-looking AWS key")
    for m in re.finditer(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", nt):
        h = m.group(0).split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        if "alg" not in hdr:
            err(f"{pid}: jwt without alg")
        if benign:
            err(f"{pid}: benign with full JWT")
    has_secret = any(s in text or s in nt for s in SECRETS) or bool(
        re.search(r"wachtwoord:\s*\S{6,}", nt))
    if (SEC in cats) != has_secret:
        err(f"{pid}: leak.secret label vs content mismatch")
    # internal names
    lowt = nt.lower()
    lowt_nodots = re.sub(r"(?<=\w)[. ](?=\w\b|\w[. ])", "", lowt)
    conf_hit = any(cn.lower() in lowt or cn.lower().replace(" ", "") in lowt_nodots.replace(" ", "")
                   for cn in PROFILE["internal"]["codenames"])
    conf_hit |= any(mk.lower() in lowt for mk in PROFILE["internal"]["markers"])
    conf_hit |= any(re.search(r"(?<![\w-])([\w-]+\.)*" + re.escape(d) + r"\b", lowt)
                    for d in PROFILE["internal"]["domains"])
    for emb in PROFILE["embargo"]:
        until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        if any(tm.lower() in lowt for tm in emb["terms"]) and ts < until:
            conf_hit = True
    if conf_hit and CONF not in cats:
        err(f"{pid}: internal name/embargo present but no leak.confidential")
    if CONF in cats and not conf_hit and role == "public" and False:
        pass
    # pricing
    prods = mentioned_products(text)
    ps = prices(text)
    low_price = any(p < 0.5 * pr["list_price"] for p in ps for pr in prods)
    if PRC in cats:
        if not prods or not (low_price or ERR_WORDS.search(nt)):
            err(f"{pid}: pricing positive without product+low price/error talk")
    else:
        if prods and ps and min(ps) < 0.5 * max(pr["list_price"] for pr in prods):
            err(f"{pid}: non-pricing post has product with price below half list")
        if prods and re.search(r"prijsfout|price error|pricing glitch", nt, re.I):
            err(f"{pid}: non-pricing post talks of price error next to product")
    # roles
    if role != "public" and post["account"]["handle"].lower() not in {a.split(":", 1)[1].lower()
                                                                      for a in ROLE}:
        err(f"{pid}: role lookup")

# ------------------------------------------------------------ mix checks
n_total = len(lines)
n_benign = sum(1 for ln in lines if not ln["expect"]["categories"])
if not 170 <= n_total <= 180:
    err(f"total {n_total} not in 170..180")
if not 55 <= n_benign <= 65:
    err(f"benign {n_benign} not ~60")
count = {}
for ln in lines:
    for cat in ln["expect"]["categories"]:
        count[cat] = count.get(cat, 0) + 1
target = {COM: 20, CONF: 18, PII: 15, CRI: 15, SECU: 13, SEC: 12, ABU: 12, PRC: 12, FIN: 12}
for cat, tgt in target.items():
    if abs(count.get(cat, 0) - tgt) > 2:
        err(f"category {cat}: {count.get(cat, 0)} vs ~{tgt}")
nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
if not 0.48 <= nl / n_total <= 0.62:
    err(f"dutch share {nl / n_total:.2f}")
roles = [m[0] for m in meta]
leak_pub = sum(1 for ln, r in zip(lines, roles)
               if any(c.startswith("leak.") for c in ln["expect"]["categories"]) and r == "public")
leak_in = sum(1 for ln, r in zip(lines, roles)
              if any(c.startswith("leak.") for c in ln["expect"]["categories"]) and r != "public")
if not (leak_in > leak_pub > 0):
    err("leak author mix")
texts = [cs["text"] for cs in CASES]
if len(set(texts)) != len(texts):
    err("duplicate text")

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print(f"ok: {n_total} cases, {n_benign} benign, nl={nl}, categories={dict(sorted(count.items()))}, "
      f"leaks insider/public={leak_in}/{leak_pub}")
