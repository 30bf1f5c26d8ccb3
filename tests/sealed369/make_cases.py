#!/usr/bin/env python3
"""Build the labelled evaluation set 369 (fictional sushi chain Rolwerk).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next
to this file and checks it: every IBAN / card / BSN in a positive passes its
checksum, every look-alike in a non-PII case fails it, every line follows
CONTRACT section 6, and severities follow CONTRACT section 4 computed from the
account role in profile.yaml.
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(369)

# --------------------------------------------------------------------------
# identifiers with checksums
# --------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(cc, bban):
    r = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in r))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def iban_fmt(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
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


def luhn_make(prefix, length):
    body = prefix + rand("0123456789", length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        d = rand("123456789", 1) + rand("0123456789", 7)
        tot = sum(int(d[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            return d + str(last)


def spoil(s, validator):
    """Change the last digit until the checksum fails."""
    for c in "0123456789":
        t = s[:-1] + c
        if not validator(t):
            return t
    raise AssertionError


def card_fmt(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


# --------------------------------------------------------------------------
# credentials, built the way the real ones are
# --------------------------------------------------------------------------
def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_token_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "rider-48213", "role": "rider", "store": "RTD-02",
                              "iat": 1774531200, "exp": 1774617600},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(384))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


# --------------------------------------------------------------------------
# scanning helpers used by the self-check and for severity
# --------------------------------------------------------------------------
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
BSN_RE = re.compile(r"\b\d{4}\.?\d{2}\.?\d{3}\b|\b\d{3} \d{3} \d{3}\b")
PHONE_RE = re.compile(r"(?:\+31|0031|\(0|\b0)[\s\-()]*[1-9](?:[\s\-()]*\d){8}\b")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_PHONES = {re.sub(r"\D", "", x) for x in PROFILE["public_identifiers"]["phones"]}
PUBLIC_EMAILS = {x.lower() for x in PROFILE["public_identifiers"]["emails"]}


def valid_ids(text):
    """Checksum-valid IBANs, cards and BSNs in text (public IBAN excluded)."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group())
        if iban_valid(s) and s.upper() not in PUBLIC_IBANS:
            found.append(("iban", m.group()))
    for m in CARD_RE.finditer(text):
        if luhn_valid(m.group()):
            found.append(("card", m.group()))
    for m in BSN_RE.finditer(text):
        if bsn_valid(m.group()):
            found.append(("bsn", m.group()))
    return found


def contact_data(text):
    """Phones and e-mails that are not the company's own published ones."""
    t = IBAN_RE.sub(" ", text)
    t = CARD_RE.sub(" ", t)
    out = []
    for m in PHONE_RE.finditer(t):
        d = re.sub(r"\D", "", m.group())
        if d not in PUBLIC_PHONES:
            out.append(m.group())
    for m in EMAIL_RE.finditer(t):
        if m.group().lower() not in PUBLIC_EMAILS:
            out.append(m.group())
    return out


# --------------------------------------------------------------------------
# generated values (order fixed -> deterministic)
# --------------------------------------------------------------------------
V = {}
V["IBAN_P1"] = iban_fmt(iban_make("NL", "INGB000" + rand("0123456789", 7)))
V["IBAN_P2"] = iban_make("NL", "ABNA0" + rand("0123456789", 9))
V["IBAN_P3"] = iban_fmt(iban_make("NL", "RABO0" + rand("0123456789", 9)))
V["BADIBAN1"] = iban_fmt(spoil(iban_make("NL", "INGB000" + rand("0123456789", 7)), iban_valid))
V["BADIBAN2"] = spoil(iban_make("NL", "SNSB0" + rand("0123456789", 9)), iban_valid)
V["CARD1"] = card_fmt(luhn_make("4", 16))
V["CARD2"] = luhn_make("5" + rng.choice("12345"), 16)
V["BADCARD1"] = card_fmt(spoil(luhn_make("4", 16), luhn_valid))
V["BADCARD2"] = card_fmt(spoil(luhn_make("5" + rng.choice("12345"), 16), luhn_valid))
V["BSN1"] = bsn_make()
_b = bsn_make()
V["BSN2"] = "%s.%s.%s" % (_b[:4], _b[4:6], _b[6:])
V["BADBSN1"] = spoil(bsn_make(), bsn_valid)
V["BADBSN2"] = spoil(bsn_make(), bsn_valid)

V["GHP1"] = github_token("ghp_")
V["GHO1"] = github_token("ghs_")
V["AKIA"] = "AKIA" + rand(B32, 16)
V["AWSSECRET"] = rand(ALNUM + "/+", 40)
V["MOLLIE"] = "live_" + rand(ALNUM, 30)
while True:
    slack = "xoxb-%s-%s-%s" % (rand("0123456789", 12), rand("0123456789", 13), rand(ALNUM, 24))
    if not valid_ids(slack):
        break
V["SLACK"] = slack
V["GOOGLEKEY"] = "AIza" + rand(URLSAFE, 35)
V["OPENAI"] = "sk-proj-" + rand(URLSAFE, 58) + "T3BlbkFJ" + rand(URLSAFE, 58)
V["ANTHROPIC"] = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
V["DBPASS"] = rand(ALNUM, 12) + "!" + rand(ALNUM, 5)
V["JWT"] = jwt_make()
V["SSHKEY"] = openssh_key()
V["STRIPE"] = "rk_live_51" + rand(ALNUM, 97)

# which generated values must validate / must fail
MUST_PASS = {"IBAN_P1": iban_valid, "IBAN_P2": iban_valid, "IBAN_P3": iban_valid,
             "CARD1": luhn_valid, "CARD2": luhn_valid, "BSN1": bsn_valid, "BSN2": bsn_valid,
             "GHP1": github_token_ok, "GHO1": github_token_ok}
MUST_FAIL = {"BADIBAN1": iban_valid, "BADIBAN2": iban_valid, "BADCARD1": luhn_valid,
             "BADCARD2": luhn_valid, "BADBSN1": bsn_valid, "BADBSN2": bsn_valid}

# --------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------
SEC, PII, PRI, CON, FIN, SCU = ("leak.secret", "leak.pii", "leak.pricing",
                                "leak.confidential", "leak.financial", "leak.security")
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def C(who, text, cats=(), lang=None, kind="post", at=None):
    CASES.append({"who": who, "text": text, "cats": sorted(set(cats)), "lang": lang,
                  "kind": kind, "at": at})


# ---------------- benign, mostly hard negatives ----------------
C("x:@femkevb", "Vrijdagavond = Rolwerk avond 🍣 Dragon Roll blijft gewoon de beste, €14,50 en elke cent waard", lang="nl")
C("instagram:@foodie.ams", "Tried the Rainbow Roll from @rolwerk.sushi tonight and honestly?? killer. 10/10 would order again #sushi #amsterdamfood", lang="en")
C("x:@rolwerk_helpt", "@bas_utr Hoi Bas, vervelend dat je bestelling niet compleet was! Stuur je ordernummer even naar klantenservice@rolwerk.nl of bel gratis 0800-7659, dan regelen we het meteen.", lang="nl", kind="reply")
C("x:@rolwerk", "🎉 Zomeractie! Met code ZOMER20 krijg je 20% korting op de Partybox 64: van €79,95 voor €63,96. Geldig t/m 31 juli.", lang="nl", at="2026-06-22T09:00:00Z")
C("x:@jorisb", "Update: @rolwerk_helpt sorted it within 20 minutes, full refund + a free mochi. That's how you do customer service 👏", lang="en", kind="reply")
C("reddit:u/devnotes_nl", "PSA for anyone writing Terraform: never hardcode keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders for a reason. Good talk on this by one of the Rolwerk engineers at the meetup btw.", lang="en")
C("x:@daan_kok_dev", "Onboarding tip for the new devs: a token in our docs looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you ever spot a real one in a PR: rotate first, ask questions later 🙂", lang="en")
C("facebook:marieke.degroot.71", "Sterkte aan iedereen in Valkenburg na de overstroming 💙 Mooi dat de Rolwerk-vestiging daar gratis maaltijden uitdeelt aan de hulpverleners.", lang="nl")
C("x:@tomtechnl", "Datalek bij SushiSnel: gegevens van 200.000 klanten op straat volgens RTL. Ben eerlijk gezegd blij dat ik altijd bij Rolwerk bestel.", lang="nl")
C("x:@rolwerk", "Onze jaarcijfers 2026 staan online 📊 Lees het persbericht op rolwerk.nl/investors", lang="nl", at="2027-03-02T08:15:00Z")
C("instagram:@rolwerk.sushi", "It's here 🌸 The Sakura Menu 2027 is live in the app from today. Which roll are you trying first?", lang="en", at="2027-03-20T11:00:00Z")
C("x:@kevin_eet", "Ik heb de hele Familiebox 48 in m'n eentje op. Stuur hulp. Of meer gyoza.", lang="nl")
C("tiktok:@jens.bezorgt", "Dag 200 als bezorger bij Rolwerk 🛵 regen, wind, hagel, maar die mevrouw die altijd warme chocomel klaar heeft staan maakt alles goed 😄 #bezorgerslife", lang="nl")
C("x:@saar_leest", "Vraagje: zit er sesam in de spicy mayo van Rolwerk? Mijn zoon is allergisch", lang="nl")
C("x:@rolwerk_helpt", "@saar_leest Hoi Saar! Ja, onze spicy mayo bevat sesam. De volledige allergenenlijst per gerecht staat op rolwerk.nl/allergenen. Fijne avond!", lang="nl", kind="reply")
C("linkedin:anouk-visser-4b21", "We zoeken keukenmedewerkers in Rotterdam en Den Haag! Geen ervaring nodig, wel liefde voor goed eten. Solliciteren kan via werkenbij@rolwerk.nl 🍣", lang="nl")
C("x:@pimmetje", "my bank statement is basically just rolwerk, rolwerk, rent, rolwerk 😭", lang="en")
C("x:@lisa_k", "kan iemand mij uitleggen waarom gember zo goed is bij sushi? ik eet het bakje van rolwerk altijd als eerste leeg", lang="nl")
C("instagram:@visliefhebber", "Hebben jullie ook makreel nigiri? Zou echt een aanwinst zijn op het menu @rolwerk.sushi 🐟", lang="nl", kind="comment")
C("reddit:u/poke_enjoyer", "Price check for anyone curious: Poké Bowl Zalm is €13,95 at Rolwerk, same as last year. The tofu one is €12,50. Not cheap but the portions are solid.", lang="en", kind="comment")
C("x:@hr_henk", "Vandaag ontslag genomen na 11 jaar bij de bank 😅 gevierd met een Sashimi Deluxe van Rolwerk. Op naar iets nieuws!", lang="nl", at="2026-05-29T19:10:00Z")
C("x:@rolwerk", "Our app will be offline for planned maintenance on Tuesday 14 April between 03:00 and 05:00. Orders placed before 03:00 will be delivered as normal. Thanks for your patience 🙏", lang="en", at="2026-04-10T15:30:00Z")
C("x:@niels_codes", "Rolwerk app password reset flow is actually nice. Forgot my password, got the mail in 5 sec, done. More apps should be this smooth", lang="en")
C("facebook:ingrid.bos.33", "Bestelnummer <<BADCARD1>> kwam zelfs 10 min te vroeg 😄 Complimenten aan de bezorger van Rolwerk Zeist!", lang="nl")
C("x:@ruudjuh", "Voor de groepsbestelling bij Rolwerk vrijdag: maak €14,50 over naar <<BADIBAN1>> en zet je naam erbij 🍣", lang="nl")
C("bluesky:@sanne-rolwerk.bsky.social", "Eerste week bij Rolwerk erop zitten! Super welkom gevoeld door het team in Utrecht 💚", lang="nl")
C("linkedin:rolwerk-sushi-groep", "We're proud to announce that Rolwerk has opened its 30th location, in Groningen! Thank you to our 900 colleagues who make it happen every single day.", lang="en")
C("x:@marco_eats", "Honest review: Rolwerk > every other sushi delivery in Utrecht. Rice is actually seasoned, fish is fresh, delivery was 25 min. No notes.", lang="en")
C("x:@diana_vd", "@rolwerk_helpt bedankt, tegoed is binnen! Vorige keer ging het mis maar dit is netjes opgelost 👍", lang="nl", kind="reply")
C("instagram:@chef.haruto.rw", "Knife skills session with the new kitchen crew today 🔪 Proud of these guys. The salmon cuts were perfect.", lang="en")
C("x:@gamer_guus", "die nieuwe rolwerk reclame met die dansende zalm is echt ziek 😂😂", lang="nl")
C("x:@mo_bakkali", "Rolwerk of SushiSnel vanavond? Stem in de replies 👇", lang="nl")
C("youtube:@eetvlog_nl", "Nieuwe video: ik test de DIY Sushi Kit van Rolwerk (€24,95). Spoiler: mijn maki's zien eruit als een misdaad 🤣", lang="nl")
C("x:@rolwerk_helpt", "@emma_jlw Hi Emma, we're sorry to hear that! Could you DM us your order number? Please don't share personal details publicly. You can also call us on +31 10 555 0420.", lang="en", kind="reply")
C("x:@sec_jan", "Nice talk at the meetup by a @rolwerk engineer on how they rotate secrets. Slides showed keys as sk_live_•••••••• and ghp_••••, redacted the way it should be 👍", lang="en")
C("reddit:u/amsterdammer88", "Does anyone know if Rolwerk Plus (€7,99/month) is worth it? Free delivery + 10% off seems decent if you order weekly.", lang="en")
C("x:@rolwerk", "Black Friday 🖤 Sashimi Deluxe nu €23,96 (–20%) en de Green Box 32 voor €27,96. Alleen vandaag!", lang="nl", at="2026-11-27T07:45:00Z")
C("x:@yara_m", "gister Rolwerk gehad op mn verjaardag 🎂 de bezorger zong zelfs een stukje mee haha", lang="nl")
C("instagram:@rolwerk.sushi", "Hiring: Backend engineer (Go/Postgres) for our delivery platform in Rotterdam 🍣💻 Apply via werkenbij@rolwerk.nl", lang="en")
C("x:@lotte_ops_rw", "Kerstdrukte overleefd 🎄 wat een dag. Trots op iedereen in de Rotterdamse keuken, jullie zijn helden!", lang="nl", at="2026-12-24T22:50:00Z")
C("x:@henkie_nl", "Wie verzint die namen? Dragon Roll, Rainbow Roll... ik wil een Maandagochtend Roll bij Rolwerk. Beetje koud en verdrietig 😂", lang="nl")
C("x:@fien_fit", "Ben ziek thuis met griep en die misosoep van Rolwerk is precies wat ik nodig had 🤒🍜", lang="nl")
C("x:@nrc_eten", "Rolwerk-topman in ons interview: 'We willen in 2027 naar 40 vestigingen.' Het hele gesprek staat in de zaterdagkrant.", lang="nl")
C("x:@stijn_dev", "Found my own code from 2019 with the db password hardcoded. Now it's password = os.environ[\"DB_PASSWORD\"] like a grown-up. Ordering Rolwerk to celebrate.", lang="en")
C("x:@rolwerk_helpt", "Storing opgelost ✅ Betalen met iDEAL in de app werkt weer. Excuses voor het ongemak van vanavond!", lang="nl")
C("facebook:petra.smit.1980", "Mijn dochter (8) wil later 'sushimaker bij Rolwerk' worden 😄 Vandaag mocht ze bij de workshop zelf rollen maken, zo leuk georganiseerd! 🥰", lang="nl")
C("x:@cryptokees", "JWT tip: paste one in a decoder and you'll see eyJhbGciOi... is just base64 for {\"alg\":...}. It's not encryption! (Rolwerk's app uses them too, like everyone.)", lang="en")
C("tiktok:@sushi.review", "Rating every Rolwerk roll 🍣 Cali roll 6/10, Dragon 9/10, Rainbow 8/10, Zalm maki 7/10. Fight me in the comments", lang="en")
C("x:@anne_pr", "Met de hele afdeling geluncht bij Rolwerk Leiden. Chef's Selection gedeeld met z'n vieren, €44,95, ruim genoeg.", lang="nl")
C("x:@rolwerk", "Allergy info matters. Every product page in the app now shows all 14 allergens. Questions? Mail klantenservice@rolwerk.nl", lang="en")
C("linkedin:yusuf-demir-rolwerk", "Yesterday we published our full-year results 2026. Proud of what the finance team delivered this year. Full report on rolwerk.nl/investors.", lang="en", at="2027-02-26T09:30:00Z")
C("x:@bart_bouwt", "buurman z'n keuken is verbouwd door een bedrijf dat ook Rolwerk heet 😂 geen sushi helaas", lang="nl")
C("x:@oma_tineke", "Mijn kleinzoon heeft me de Rolwerk app geleerd. Nu bestel ik elke zondag een Kidsbox voor als hij komt ❤️", lang="nl")
C("instagram:@foodie.ams", "Rolwerk's mochi (€6,95 for 3) is the most underrated dessert in town. The matcha one especially.", lang="en")
C("x:@vera_vegan", "Green Box 32 voor €34,95 met vrienden gedeeld, iedereen blij, zelfs de vleeseters 🌱", lang="nl")
C("x:@kim_studeert", "Studentenkorting bij Rolwerk: 15% op alles met je studentenpas. Duobox voor €33,96 ipv €39,95 🙌", lang="nl", at="2026-09-03T12:00:00Z")
C("x:@jurist_jet", "Interessante uitspraak vandaag in de zaak tegen maaltijdbezorger FoodFlitz over schijnzelfstandigheid. Benieuwd of Rolwerk en de rest hun contracten nu gaan aanpassen.", lang="nl")
C("x:@rolwerk", "Wij zoeken bezorgers in Utrecht 🛵 €15,20 per uur + fooi, e-bike van ons. Meer info: rolwerk.nl/werken", lang="nl")
C("x:@dev_daphne", "Code review today: the README says DATABASE_URL=postgres://user:<password>@localhost/app and someone asked if that's a leak. It's a placeholder 😅 Rolwerk for the team afterwards.", lang="en")
C("x:@spaarkoning", "Rolwerk spaarkaart bijna vol! 🎉 klantnummer <<BADBSN1>>, nog 1 stempel en ik krijg een gratis Duobox", lang="nl")
C("x:@rolwerk", "Vandaag precies 10 jaar geleden, op 3 mei 2016, rolden we onze eerste maki in een keukentje in Delft. Bedankt allemaal! 🎂🍣", lang="nl", at="2026-05-03T10:00:00Z")
C("facebook:gert.jan.h", "Voor wie vroeg: de Rolwerk cadeaukaart heeft code <<BADCARD2>> op de achterkant, maar die werkt alleen in de winkel, niet in de app. Wel handig om te weten!", lang="nl")

# ---------------- complaints ----------------
C("x:@bas_utr", "@rolwerk_helpt 1u20 gewacht op mn bestelling en dan is de rijst steenkoud 😤 Dit is de derde keer deze maand.", [CMP], lang="nl")
C("x:@emma_jlw", "Ordered a Familiebox 48 from @rolwerk, got a Duobox and a random kids meal. Paid €64.95 for this?? Still waiting on support.", [CMP], lang="en")
C("facebook:ron.verhoef.9", "Geen gyoza, geen edamame, wel betaald. Rolwerk Amersfoort, dit is al de tweede keer dat de helft mist. Ik bestel hier niet meer.", [CMP], lang="nl")
C("reddit:u/hungry_in_haarlem", "Is it just me or has Rolwerk gone downhill? Rainbow roll was falling apart, rice mushy, salmon looked kinda grey. Used to be my go-to.", [CMP], lang="en")
C("x:@joostie", "app zegt 'bezorgd' maar er staat niks voor m'n deur. chat van Rolwerk reageert niet. top service weer 🙄", [CMP], lang="nl")
C("x:@nadia_s", "@rolwerk_helpt I was charged twice for the same order on Saturday and it's been 9 days. 3 emails, zero replies. Where is my money?", [CMP], lang="en")
C("instagram:@anouk.eet", "Sorry maar die poke bowl op jullie foto en wat ik kreeg lijken echt niet op elkaar. Halve bak rijst met 3 stukjes zalm 😕 @rolwerk.sushi", [CMP], lang="nl", kind="comment")
C("x:@thijs_tm", "Bezorger van Rolwerk gooide de tas gewoon over het hek en reed weg. Misosoep overal. Serieus?", [CMP], lang="nl")
C("tiktok:@lunchmetlaura", "Rolwerk Plus opgezegd in juni maar ze schrijven nog steeds elke maand €7,99 af. Al 2x gemaild, niks. Iemand anders dit ook??", [CMP], lang="nl", at="2026-09-14T20:02:00Z")
C("x:@m_dekker", "The Rolwerk app crashes every single time I hit 'pay'. Lost my cart 4 times tonight. Just ordered somewhere else.", [CMP], lang="en")
C("x:@woedende_wim", "@rolwerk_helpt wéér 2 uur wachten, wéér koud. Jullie zijn echt een stelletje prutsers, klootzakken die gewoon geld pakken en niks leveren", [CMP, ABU], lang="nl", kind="reply")
C("x:@kayla_xo", "third time my order's wrong. @rolwerk your staff are fucking useless idiots, how hard is it to read 'no cucumber'??", [CMP, ABU], lang="en")
C("x:@r3b3l_nl", "R0lw3rk = k.u.t.b.e.d.r.i.j.f. 2 uur wachten op koude rijst, stelletje 1d10ten 🤬", [CMP, ABU], lang="nl")
C("x:@family_jansen", "Zaterdag de Familiebox van Rolwerk Utrecht Oost gegeten en sindsdien ligt het hele gezin plat. Overgeven, diarree, mijn jongste moest naar de huisarts. Dit is echt niet oké @rolwerk_helpt", [CRI, CMP], lang="nl")
C("instagram:@lien.eats", "Found a piece of hard blue plastic in my Poké Bowl Zalm from @rolwerk.sushi and cut my gum on it. Bleeding, obviously not eating the rest. Photos in my stories.", [CRI, CMP], lang="en")
C("x:@allergie_mama", "Green Box besteld, in de app stond 'notenvrij'. Zat gewoon pindasaus op. Mijn dochter met een anafylactische reactie in de ambulance naar de SEH. Rolwerk, hoe kan dit??", [CRI, CMP], lang="nl")
C("reddit:u/burnt_hand_nl", "Heated the Rolwerk miso soup in the container it came in (it literally says microwave safe) and the bottom melted through, scalding soup all over my hand. Second degree burn. Anyone else had this?", [CRI, CMP], lang="en")
C("x:@pieter_k", "Graatje in de zalm nigiri van Rolwerk bleef in de keel van mijn zoontje steken, moesten met spoed naar de huisartsenpost. Gaat nu weer goed maar ik ben woedend.", [CRI, CMP], lang="nl")
C("x:@gerda_w", "@rolwerk_helpt al 3 dagen geen reactie op mijn klacht over de koude bestelling!! Bel me gewoon terug op 06-41872953, ik ben het zat", [CMP, PII], lang="nl", kind="reply")
C("x:@jeroen_b", "@rolwerk_helpt still no refund for my order from last week. Here's my email since your contact form is broken: jeroen.bakker82@hotmail.nl. Please actually reply this time", [CMP, PII], lang="en", kind="reply")
C("facebook:sandra.mulder.56", "Rolwerk heeft mijn terugbetaling nog steeds niet gedaan, 3 weken nu. Voor de duidelijkheid, mijn rekening is <<IBAN_P1>> t.n.v. S. Mulder. Maak het nou gewoon over.", [CMP, PII], lang="nl")

# ---------------- crisis (third-party news, boycotts, lawsuits, recalls, breaches) ----------------
C("x:@nieuwsutrecht", "NVWA sluit centrale keuken van Rolwerk in Nieuwegein na vondst van listeria in zalmproducten. Klanten die sinds maandag bestelden wordt gevraagd alert te zijn op klachten.", [CRI], lang="nl")
C("x:@rolwerk", "Terugroepactie ⚠️ We roepen de Spicy Mayo (potje 50 ml, THT 12-09-2026) terug vanwege niet-vermelde sesam. Heb je een sesamallergie? Eet het niet en neem contact op via klantenservice@rolwerk.nl.", [CRI], lang="nl", at="2026-08-19T12:10:00Z")
C("x:@riders_united", "Rolwerk riders get €3.80 per delivery. No hourly wage, no insurance. #BoycotRolwerk until they pay a living wage. RT if you're in ✊", [CRI], lang="en")
C("x:@fnv_bezorgers", "Vandaag hebben we namens 140 bezorgers een rechtszaak aangespannen tegen Rolwerk Sushi Groep wegens schijnzelfstandigheid. Wordt vervolgd.", [CRI], lang="nl")
C("reddit:u/phished_again", "Rolwerk must have been breached. Got an SMS today with my exact order from last Friday, my address and a 'refund link'. Nobody else has that info. Anyone else getting these?", [CRI], lang="en")
C("tiktok:@undercover_eten", "Ex-medewerker filmde hoe bij Rolwerk Den Haag vis met een verlopen datum gewoon opnieuw gelabeld wordt 😳 video gaat viral en Rolwerk zegt nog niks #schandaal", [CRI], lang="nl")
C("x:@regio_nieuws", "Tientallen zieken na personeelsfeest in Arnhem; de gasten aten sushi van Rolwerk. GGD onderzoekt een mogelijke norovirusuitbraak.", [CRI], lang="nl")
C("x:@akira_l", "My friend's brother got hit by a Rolwerk delivery scooter on the bike path in Leiden yesterday, broken collarbone. Rider didn't even stop. Rolwerk needs to answer for this.", [CRI], lang="en")
C("x:@boze_buurvrouw", "Iedereen: bestel NIET meer bij Rolwerk. Ze ontslaan bezorgers die zich ziek melden. Delen! #boycotrolwerk", [CRI], lang="nl")
C("mastodon:@infosec_ines", "Rolwerk customer data (names, addresses, order history, ~80k rows) is up for sale on a breach forum. The sample looks legit. Rolwerk hasn't said a word so far.", [CRI], lang="en")
C("x:@journalist_jo", "Rolwerk wist volgens mails die wij hebben ingezien al maanden dat de koelcellen in Tilburg niet op temperatuur waren, en deed niks. Morgen ons hele verhaal.", [CRI], lang="nl")

# ---------------- abuse ----------------
C("x:@trollie99", "rolwerk is run by absolute clowns. fuck this company and fuck whoever built that app", [ABU], lang="en")
C("x:@henk_kort", "die bezorger van rolwerk is echt een vieze vuile teringlijer, keek me aan alsof ik gek was", [ABU], lang="nl")
C("x:@echtnederlands", "Rolwerk neemt alleen maar buitenlanders aan, stuur dat tuig terug naar hun eigen land", [ABU], lang="nl")
C("x:@lotte_ops_rw", "Sommige klanten zijn echt hersenloze debielen. Nee mevrouw, 'extra zalm' is niet gratis. Jezus.", [ABU], lang="nl")
C("instagram:@angry.anon", "ＦＵＣＫ ＲＯＬＷＥＲＫ 🖕 worst company in NL", [ABU], lang="en", kind="comment")
C("x:@dennis_zzp", "@meike_rolwerk shut up you stupid bitch, nobody cares about your marketing bs", [ABU], lang="en", kind="reply")
C("tiktok:@xx_sander_xx", "rolwerk klantenservice = stelletje kankerlijers. zeg het maar gewoon", [ABU], lang="nl", kind="comment")
C("x:@rolwerk_helpt", "@kayla_xo maybe learn to read the menu yourself, genius. Idiots like you are why nobody wants to work this job.", [ABU], lang="en", kind="reply")
C("reddit:u/fedup_rider", "The Rolwerk shift manager in Delft is a complete asshole and a moron. Treats every rider like dirt.", [ABU], lang="en", kind="comment")

# ---------------- personal data ----------------
C("tiktok:@jens.bezorgt", "Deze klant geeft ALTIJD 10 euro fooi 🙏 mevr. Bakker, Prinsengracht 412-2 in Amsterdam, jij bent een held", [PII], lang="nl")
C("x:@rolwerk_helpt", "@mo_idrissi Hoi Mohammed, we hebben je terugbetaling van €39,95 klaargezet naar <<IBAN_P2>> (t.n.v. M. El Idrissi). Binnen 3 werkdagen op je rekening!", [PII], lang="nl", kind="reply")
C("linkedin:anouk-visser-4b21", "Welkom aan onze nieuwe collega's! Voor de salarisadministratie nog even: Fleur Hendriks, BSN <<BSN1>>, geboren 14-02-1998. Fleur, kun je je contract nog tekenen?", [PII], lang="nl")
C("x:@daan_kok_dev", "debugging a failed order, customer says their card <<CARD1>> got declined but the PSP logs show a success?? weird", [PII], lang="en")
C("x:@meike_rolwerk", "De winnaar van onze Insta-winactie is Sophie van Leeuwen! Sophie, we sturen je Partybox naar Kerkstraat 7, 3511 LX Utrecht, klopt dat? 🎉", [PII], lang="nl")
C("x:@lisa_vdb", "voor de rolwerk verjaardagsactie moet je je gegevens delen dus bij deze: Lisa van den Berg, geb. 03-07-1991, 06 28 37 44 12. gratis mochi here I come 🍡", [PII], lang="nl")
C("x:@ahmed_r", "hey @rolwerk_helpt my card is <<CARD2>> exp 09/27, can you just put it on my account? thx", [PII], lang="en", kind="reply")
C("linkedin:yusuf-demir-rolwerk", "Anyone know why a supplier payment bounced? Sent €12.400 to <<IBAN_P3>> (J. de Haan, our fish guy) twice now.", [PII], lang="en")
C("reddit:u/throwaway_rw_ex", "Ex-Rolwerk rider here. The area manager for Utrecht is Martijn Vos, his private mobile is 06-19283746. Call him and ask where my last two months of pay are.", [PII], lang="en")
C("bluesky:@sanne-rolwerk.bsky.social", "Wie heeft de mail over de Rolwerk-kerstborrel gemist? Aanmelden bij Kim: kim.dewit@gmail.com of 0031 6 4455 2198", [PII], lang="nl", at="2026-12-08T11:25:00Z")
C("x:@nina_b", "Mijn BSN is <<BSN2>>, dat vroeg de vacaturesite van Rolwerk. Is dat normaal?? 🤔", [PII], lang="nl")
C("x:@lotte_ops_rw", "Klant belt 5x per dag over z'n bestelling. Wie hem wil terugbellen: dhr. Peters, (030) 271 8845. Succes ermee", [PII], lang="nl")

# ---------------- pricing ----------------
C("x:@dealjager", "PRIJSFOUT 🚨 Rolwerk app: Partybox 64 voor €7,99!! Normaal €79,95. Snel bestellen voor ze het doorhebben", [PRI], lang="nl")
C("x:@meike_rolwerk", "Uhh collega's, de Familiebox staat sinds vanochtend op €6,49 in de app 😬 kan iemand van pricing even meekijken?", [PRI], lang="nl")
C("reddit:u/sushideals", "Rolwerk has the Sashimi Deluxe listed at €2.99 on the Groningen store page. Pretty sure it's a pricing error but my order went through 🤷", [PRI], lang="en")
C("x:@rolwerk", "Flash deal 🔥 Chef's Selection 24 today only €9,95! Tap the link in bio", [PRI], lang="en")
C("x:@bram_eet", "is dit een prijsfout of gewoon geluk? Dragon Roll voor 1,45 bij rolwerk 🤑", [PRI], lang="nl")
C("instagram:@chef.haruto.rw", "Busy busy. And someone set the Sushi Workshop at €5.90 on the site by mistake 😂 we're gonna be fully booked", [PRI], lang="en")
C("x:@daan_kok_dev", "off-by-100 bug in the pricing sync: Rainbow Roll shows €0.16 in prod. patching now, pls don't screenshot", [PRI], lang="en")
C("tiktok:@budget.bites", "Hack van de week: Rolwerk Green Box voor €3,49 in de app als je via de kidsmenu-link bestelt 🤯🤯 werkt nog!", [PRI], lang="nl")
C("x:@lotte_ops_rw", "Prijsfout in de kassa bij Rolwerk Breda: de Poké Bowl Zalm wordt aangeslagen voor €1,39. Filiaalmanagers, handmatig corrigeren aub", [PRI], lang="nl")
C("facebook:KoopjesjagersNL", "🔥 Rolwerk DIY Sushi Kit nu €4,95 (was €24,95)! OP = OP. Link in de comments", [PRI], lang="nl")
C("x:@mike_deals", "Duobox for €3,99 on the Rolwerk app rn. glitch or promo? either way I'm ordering five", [PRI], lang="en", at="2026-03-06T19:55:00Z")
C("x:@rolwerk_helpt", "@klantkees Klopt, door een prijsfout stond de Sashimi Deluxe gisteren verkeerd in de app. Bestellingen tegen die prijs worden helaas geannuleerd.", [PRI], lang="nl", kind="reply")

# ---------------- secrets ----------------
C("x:@daan_kok_dev", "why does this keep 401ing 😩\nexport AWS_ACCESS_KEY_ID=<<AKIA>>\nexport AWS_SECRET_ACCESS_KEY=<<AWSSECRET>>\naws s3 ls s3://rolwerk-menu-assets", [SEC], lang="en")
C("mastodon:@rvdlinde", "Can someone explain why git push still asks for a password when I use a token? Using <<GHP1>> as the password and it just says auth failed", [SEC], lang="en")
C("x:@daan_kok_dev", "Test van de betaal-webhook werkt gewoon: curl https://api.mollie.com/v2/payments -H 'Authorization: Bearer <<MOLLIE>>'", [SEC], lang="nl")
C("bluesky:@sanne-rolwerk.bsky.social", "Nieuwe kassa's in Utrecht draaien! Inlog voor iedereen: gebruiker filiaal_utr, wachtwoord: Gember!Kassa26. Niet verder delen he 😉", [SEC], lang="nl")
C("x:@lotte_ops_rw", "Slack bot for shift swaps is live 🎉 token if anyone wants to play with it: <<SLACK>>", [SEC], lang="en")
C("reddit:u/curious_coder_ams", "Rolwerk's Android app ships a hardcoded Google Maps key in the APK: <<GOOGLEKEY>>. Took me two minutes with apktool lol", [SEC], lang="en")
C("x:@daan_kok_dev", "anyone else rate limited by openai today? our menu description generator runs on <<OPENAI>> and it's been failing since noon", [SEC], lang="en")
C("mastodon:@rvdlinde", "Quick fix for staging, connection string is DATABASE_URL=postgres://rw_admin:<<DBPASS>>@db-staging.rolwerk.internal:5432/orders, will rotate later", [SEC, CON], lang="en")
C("x:@daan_kok_dev", "jwt from the rider app for the bug report: <<JWT>>", [SEC], lang="en")
C("mastodon:@rvdlinde", "Deploy key for the kitchen display boxes, pasting it here so I can grab it on my laptop\n<<SSHKEY>>", [SEC], lang="en")
C("x:@meike_rolwerk", "Voor wie het Insta-account overneemt tijdens mijn verlof: gebruiker rolwerk.sushi, ｗａｃｈｔｗｏｏｒｄ: Zalm&Rijst_2026! 🙏", [SEC], lang="nl")
C("x:@leakwatcher", "Some Rolwerk dev pushed their Anthropic key to a public repo: <<ANTHROPIC>> revoked yet? 👀", [SEC], lang="en")

# ---------------- security (insiders) ----------------
C("mastodon:@rvdlinde", "Not public yet, but we've had ransomware on the kitchen display systems in 6 stores since last night. Orders are being done on paper. Fun Saturday.", [SCU], lang="en", at="2026-10-17T09:12:00Z")
C("x:@daan_kok_dev", "found an IDOR in our order API today: change the order id in /api/v2/orders/ and you get someone else's name + address. not fixed yet, ticket's in the backlog 🙃", [SCU], lang="en")
C("x:@lotte_ops_rw", "Intern nog stilhouden maar: een phishingmail heeft 3 filiaalmanagers hun Microsoft-account gekost. IT is nu alles aan het resetten.", [SCU], lang="nl")
C("bluesky:@sanne-rolwerk.bsky.social", "De betaalmodule van de app ligt al sinds 06:00 plat en we mogen het niet op social zetten 🙊 dus als je vanavond wil bestellen: succes", [SCU], lang="nl")
C("linkedin:noor-hamidi-rolwerk", "Lastige week. Onze Redis-server met klantsessies bleek wekenlang zonder wachtwoord open te staan op internet. Nog niks over naar buiten gebracht, maar we leren ervan.", [SCU], lang="nl")
C("x:@daan_kok_dev", "heads up team: the password reset endpoint doesn't rate limit at all and someone has been brute forcing OTPs since Tuesday. not announced yet.", [SCU], lang="en")
C("x:@femkes_broer", "Mijn broer werkt bij Rolwerk IT en zegt dat ze vannacht gehackt zijn, hele klantendatabase gekopieerd. Staat nog nergens in het nieuws 🤐", [SCU, CRI], lang="nl")
C("mastodon:@rvdlinde", "Postmortem draft: yesterday's outage wasn't the CDN at all, it was our own DNS change. Customers were told it was a third-party provider issue.", [SCU], lang="en")
C("x:@daan_kok_dev", "Onze app zet het wachtwoord van klanten nog steeds in plain text in de logs 🤦 fix staat pas voor Q3 gepland, niet verder vertellen", [SCU], lang="nl", at="2026-04-23T22:10:00Z")
C("tiktok:@jens.bezorgt", "Rider app ligt er al 3 uur uit, niemand weet waar ie heen moet 😂 management zegt 'niks posten' dus bij deze haha", [SCU], lang="nl")
C("x:@lotte_ops_rw", "Kitchen tablets in Rotterdam still run Android 7 with the admin PIN on a sticker. Reported it 3 months ago, nobody cares. This is how we get hacked.", [SCU], lang="en")
C("x:@daan_kok_dev", "the bug where any rider can pull every customer's phone number through the rider app is still live in prod. two weeks now.", [SCU], lang="en")
C("reddit:u/rw_night_shift", "Throwaway because I work at Rolwerk: the order system was down 5 hours on Sunday because of a DDoS, and they're telling the franchisees it was 'maintenance'.", [SCU], lang="en")

# ---------------- financial ----------------
C("linkedin:yusuf-demir-rolwerk", "Long day closing the Q3 books. Revenue down 11% year on year, and that's before the numbers go out next month. Coffee please.", [FIN], lang="en", at="2026-10-08T18:40:00Z")
C("x:@lotte_ops_rw", "Net gehoord in de managementcall: 7 van de 31 vestigingen gaan in maart dicht. Ruim 120 collega's raken hun baan kwijt. Ik ben er kapot van.", [FIN], lang="nl", at="2026-11-05T21:15:00Z")
C("x:@insider_tipjes", "Vriendin van me werkt op het hoofdkantoor: Rolwerk wordt overgenomen door Yumebite Holdings. Deal wordt volgende maand pas bekendgemaakt.", [FIN], lang="nl")
C("linkedin:noor-hamidi-rolwerk", "The forecast we got today says we'll miss the 2026 EBITDA target by roughly €4M. Tough conversations ahead with the store managers.", [FIN], lang="en", at="2026-09-29T17:05:00Z")
C("x:@meike_rolwerk", "Reorganisatie gaat door: alle bezorgers gaan per 1 januari via een uitzendbureau. Is nog niet aangekondigd, dus ssst 🤫", [FIN], lang="nl", at="2026-10-21T13:30:00Z")
C("mastodon:@rvdlinde", "Project Makreel is basically us buying SushiSnel. Moving their app onto our platform starts in Q2. Yes, I'm excited.", [CON, FIN], lang="en")
C("linkedin:yusuf-demir-rolwerk", "Due diligence voor Project Makreel is rond, 'Rolwerk Confidential' op elke pagina. Koop zo'n keten maar eens voor 18 miljoen 😅", [CON, FIN], lang="nl")
C("tiktok:@jens.bezorgt", "bazen zeggen dat het aantal bezorgers volgend jaar gehalveerd wordt want 'drones' 😂 ik meen het, stond in de interne presentatie", [FIN], lang="nl")
C("x:@beurs_bram", "Hearing from two Rolwerk franchisees that H1 like-for-like sales are down ~15% and a profit warning is coming. Not public yet.", [FIN], lang="en", at="2026-07-09T10:20:00Z")
C("x:@daan_kok_dev", "all-hands today: the whole Amsterdam dev team moves to the new Lisbon hub by summer. ~25 of us have to choose, relocate or leave. cool cool cool", [FIN], lang="en", at="2026-02-12T16:00:00Z")
C("linkedin:anouk-visser-4b21", "Zwaar gesprek vandaag met de OR. Er moeten 60 fte weg op het hoofdkantoor, voor de zomer. Graag nog even niet naar buiten communiceren.", [FIN], lang="nl", at="2026-03-17T19:45:00Z")
C("linkedin:yusuf-demir-rolwerk", "Sneak peek: our full-year results 2026 will show our first net profit ever, €3.1M. Can't wait for the 25th!", [CON, FIN], lang="en", at="2027-02-10T16:45:00Z")

# ---------------- confidential ----------------
C("x:@meike_rolwerk", "Vandaag proefsessie voor Operatie Gember 🫚 ik mag niks zeggen maar... jullie gaan dit zó leuk vinden", [CON], lang="nl")
C("instagram:@chef.haruto.rw", "Testing recipes for Kitsune-2 all week 🦊 can't tell you what it is yet but my hands smell like yuzu", [CON], lang="en")
C("x:@daan_kok_dev", "PR for the new checkout is up: https://jira.rolwerk.nl/browse/APP-2231 reviews welcome 🙏", [CON], lang="en")
C("mastodon:@rvdlinde", "Orders dashboard looking healthy tonight 📈 https://grafana.rolwerk.nl/d/orders-live?orgId=1", [CON], lang="en")
C("bluesky:@sanne-rolwerk.bsky.social", "Menukaart voor het voorjaar gezien 😍 stond 'alleen intern' op maar ik kan niet wachten: Sakura Menu 2027 met kersenbloesem-mochi!!", [CON], lang="nl", at="2026-11-18T19:20:00Z")
C("x:@lotte_ops_rw", "Training voor de Rolwerk Omakase Box volgende week in Utrecht, alle chefs verplicht aanwezig", [CON], lang="nl", at="2027-01-15T08:05:00Z")
C("x:@foodblogger_fay", "Gelekt menu?! Iemand stuurde me een foto van de Rolwerk Omakase Box, 12 gangen sushi aan huis. Komt dit echt?", [CON], lang="nl", at="2026-12-04T20:40:00Z")
C("x:@meike_rolwerk", "Big day tomorrow for Project Mak\u200breel 🐟 fingers crossed everyone", [CON], lang="en")
C("tiktok:@jens.bezorgt", "\u041e\u0440\u0435ratie G\u0435mber wordt echt vet, nieuwe bezorgtassen en alles 👀", [CON], lang="nl")
C("linkedin:noor-hamidi-rolwerk", "Sharing our store playbook with the new managers (Rolwerk Confidential, so no screenshots please 😉): https://intra.rolwerk.local/playbooks/store-v4.pdf", [CON], lang="en")
C("x:@daan_kok_dev", "if anyone on the team can't reach vpn.rolwerk.nl from home, try the backup gateway, it's on the wiki", [CON], lang="en")
C("reddit:u/ex_rolwerk_chef", "Former employee. Kitsune-2 is a fried chicken spin-off brand they're testing out of the Eindhoven kitchen. Took them two years.", [CON], lang="en", kind="comment")
C("x:@lotte_ops_rw", "morgen de grote K i t s u n e - 2 kick-off in Eindhoven, iedereen nerveus haha", [CON], lang="nl")
C("x:@meike_rolwerk", "Persbericht staat klaar voor de lancering, nog 'niet extern delen' tot de 15e maar ik ben nu al zo trots 🥹", [CON], lang="nl")


# --------------------------------------------------------------------------
# roles, severity, output
# --------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, text):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRI) or (c == PII and valid_ids(text)):
                    s = "critical"
                else:
                    s = "error"
            else:
                s = "warning"
        elif c == CMP:
            s = "warning"
        elif c == CRI:
            s = "error"
        elif c == ABU:
            s = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


def fill(text):
    used = re.findall(r"<<(\w+)>>", text)
    for k in used:
        text = text.replace("<<%s>>" % k, V[k])
    return text, used


HOURS = [7, 8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 23, 0, 1]


def build():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)  # random dates: 2026-01-02 .. 2026-12-29
    out, used_ids = [], set()
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, i in enumerate(order):
        c = CASES[i]
        platform, handle = c["who"].split(":", 1)
        role = ROLE.get(c["who"].lower(), "public")
        text, used = fill(c["text"])
        c["role"], c["filled"], c["used"] = role, text, used
        if c["at"]:
            at = c["at"]
        else:
            t = start + timedelta(days=rng.randrange(0, 362), hours=rng.choice(HOURS),
                                  minutes=rng.randrange(60), seconds=rng.randrange(60))
            at = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-%d" % (platform, rng.randrange(10 ** 11, 10 ** 12))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle}, "text": text, "created_at": at}
        if c["lang"] and rng.random() < 0.8:
            post["lang"] = c["lang"]
        if rng.random() < 0.5:
            post["brand"] = "Rolwerk"
        out.append({"post": post, "expect": {"categories": c["cats"],
                                             "severity": severity(c["cats"], role, text)},
                    "_case": c})
    return out


# --------------------------------------------------------------------------
# self-check
# --------------------------------------------------------------------------
CATS = {SEC, PII, PRI, CON, FIN, SCU, CRI, CMP, ABU}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
AMOUNT_RE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def fold(s):
    return s.lower()


def check(rows):
    errs = []
    for k, f in MUST_PASS.items():
        if not f(V[k]):
            errs.append("generated %s does not pass its checksum" % k)
    for k, f in MUST_FAIL.items():
        if f(V[k]):
            errs.append("look-alike %s passes its checksum" % k)
    for x in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(x):
            errs.append("profile IBAN %s fails mod-97" % x)
    seen = set()
    internal = ([fold(x) for x in PROFILE["internal"]["codenames"]]
                + [fold(x) for x in PROFILE["internal"]["markers"]]
                + [fold(x) for x in PROFILE["internal"]["domains"]])
    for r in rows:
        c, p, e = r["_case"], r["post"], r["expect"]
        tag = "%s %r" % (p["id"], p["text"][:50])
        # CONTRACT section 6 / section 1 shape
        if set(r) - {"_case"} != {"post", "expect"}:
            errs.append(tag + ": keys")
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str) or not p[f]:
                errs.append(tag + ": missing " + f)
        if not isinstance(p.get("account", {}).get("handle"), str):
            errs.append(tag + ": missing account.handle")
        if not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
            errs.append(tag + ": bad or duplicate id")
        seen.add(p["id"])
        if p["platform"] not in PLATFORMS:
            errs.append(tag + ": platform")
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(tag + ": kind")
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append(tag + ": too long")
        try:
            ts = parse_ts(p["created_at"])
        except ValueError:
            errs.append(tag + ": created_at")
            continue
        if ts.year not in (2026, 2027):
            errs.append(tag + ": year")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= CATS:
            errs.append(tag + ": categories")
        if e["severity"] not in RANK:
            errs.append(tag + ": severity value")
        if (e["severity"] == "none") != (not e["categories"]):
            errs.append(tag + ": severity none iff benign")
        if e["severity"] != severity(e["categories"], c["role"], p["text"]):
            errs.append(tag + ": severity not per policy")
        cats = set(e["categories"])
        text = p["text"]
        # placeholders
        for k in c["used"]:
            if k in MUST_PASS and k.startswith(("IBAN", "CARD", "BSN")) and PII not in cats:
                errs.append(tag + ": valid %s outside a PII positive" % k)
            if k in MUST_FAIL and cats:
                errs.append(tag + ": look-alike %s used in a positive" % k)
        ids = valid_ids(text)
        if PII not in cats and ids:
            errs.append(tag + ": checksum-valid identifier in non-PII case %r" % ids)
        if PII in cats:
            for k in c["used"]:
                if k.startswith(("IBAN", "CARD", "BSN")) and not MUST_PASS.get(k, lambda _: False)(V[k]):
                    errs.append(tag + ": PII positive holds an invalid %s" % k)
            if not ids and not contact_data(text) and not re.search(r"\d{2}-\d{2}-\d{4}|straat|gracht|laan", text):
                errs.append(tag + ": PII positive without an identifier")
        if PII not in cats and SEC not in cats and contact_data(text):
            errs.append(tag + ": contact data in non-PII case %r" % contact_data(text))
        if SEC in cats and not c["used"] and "wachtwoord" not in text.replace("ｗａｃｈｔｗｏｏｒｄ", "wachtwoord"):
            errs.append(tag + ": secret positive without a credential")
        for k in c["used"]:
            if k.startswith(("GHP", "GHO")) and not github_token_ok(V[k]):
                errs.append(tag + ": github token crc")
        # embargo
        low = fold(text)
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if fold(term) in low:
                    if ts < until and CON not in cats:
                        errs.append(tag + ": embargo term before until, not confidential")
        if not cats:
            for w in internal:
                if w in low:
                    errs.append(tag + ": internal term %r in benign" % w)
            for emb in PROFILE["embargo"]:
                for term in emb["terms"]:
                    if fold(term) in low and ts < parse_ts(emb["until"]):
                        errs.append(tag + ": embargo term in benign before until")
        # pricing: no product mentioned at a price below the ratio unless pricing
        if PRI not in cats:
            amounts = [float(a.replace(",", ".")) for a in AMOUNT_RE.findall(text)]
            for prod in PROFILE["products"]:
                names = [prod["name"]] + prod["aliases"]
                if any(fold(nm) in low for nm in names):
                    for a in amounts:
                        if a < PROFILE["pricing"]["alert_below_ratio"] * prod["list_price"]:
                            errs.append(tag + ": %s at €%.2f in non-pricing case" % (prod["name"], a))
        if PRI in cats:
            if not any(fold(nm) in low for prod in PROFILE["products"]
                       for nm in [prod["name"]] + prod["aliases"]):
                errs.append(tag + ": pricing positive without a product")
    return errs


def main():
    rows = build()
    errs = check(rows)
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read and re-validate the written file
    back = [json.loads(l) for l in open(path, encoding="utf-8")]
    if len(back) != len(rows):
        errs.append("written line count differs")
    for a, b in zip(back, rows):
        if a["post"] != b["post"] or a["expect"] != b["expect"]:
            errs.append("round trip differs for %s" % a["post"]["id"])
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    counts = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    langs = {}
    for r in rows:
        l = r["_case"]["lang"]
        langs[l] = langs.get(l, 0) + 1
    roles = {}
    for r in rows:
        roles[r["_case"]["role"]] = roles.get(r["_case"]["role"], 0) + 1
    print("cases %d, benign %d" % (n, benign))
    print("categories", json.dumps(dict(sorted(counts.items()))))
    print("languages", langs, "roles", roles)
    if errs:
        for e in errs:
            print("ERROR", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
