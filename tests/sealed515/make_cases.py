#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 515 (Wiebelhout Speelgoed B.V., wooden toys + webshop).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and then checks it (CONTRACT section 6 shape, severities per section 4 computed
from the account role in profile.yaml, checksums of IBAN / card / BSN, secret formats,
pricing ratios). Exits non-zero when a check fails.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

rng = random.Random(515)

# --------------------------------------------------------------------------- helpers
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
URLSAFE = ALNUM + "-_"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "+/", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def openssh_key():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
    raw += bytes(rng.randrange(256) for _ in range(260))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rand(ALNUM + "!#%&*?@", n)
        if re.search(r"\d", p) and re.search(r"[!#%&*?@]", p):
            return p


def iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice("0123456789") for _ in range(10))
    bban = bank + acct
    return "NL" + iban_check("NL", bban) + bban


def bad_iban(bank):
    good = make_iban(bank)
    wrong = "%02d" % ((int(good[2:4]) + 7) % 97 or 11)
    bad = good[:2] + wrong + good[4:]
    assert not iban_ok(bad)
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(num):
    d = [int(c) for c in num][::-1]
    t = 0
    for i, x in enumerate(d):
        if i % 2:
            x *= 2
            if x > 9:
                x -= 9
        t += x
    return t % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last


def bsn_ok(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(s, w)) % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
        s = sum(int(c) * k for c, k in zip(first8, [9, 8, 7, 6, 5, 4, 3, 2])) % 11
        if s < 10:
            b = first8 + str(s)
            assert bsn_ok(b)
            return b


# --------------------------------------------------------------------------- generated values
GH1 = github_token("ghp_")
AWS1 = aws_key_id()
AWS2, AWS2S = aws_key_id(), aws_secret()
DBPW = password(16)
MOLLIEPW = password(12)
STRIPE = "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 74)
OPENAI = "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
SLACK = "xoxb-" + str(rng.randint(10**11, 10**12 - 1)) + "-" + str(rng.randint(10**12, 10**13 - 1)) + "-" + rand(ALNUM, 24)
SSHKEY = openssh_key()
JWT1 = jwt({"sub": "cust_88213", "role": "admin", "iss": "api.wiebelhout.local", "iat": 1767693600, "exp": 4102444800})
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GLPAT = "glpat-" + rand(URLSAFE, 20)
IGPW = "Wiebel!Hout2026"

IBAN_SANNE = make_iban("INGB")
IBAN_REDDIT = make_iban("ABNA")
CARD_DEBUG = make_card("4")
BSN_AHMED = make_bsn()

BAD_IBAN_PHISH = bad_iban("BUNQ")
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

GH_REDACTED = "ghp_" + "*" * 32 + "x9Qe"
JWT_IO_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
                 ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

ZW = "\u200b"  # zero-width space


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


# --------------------------------------------------------------------------- categories
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, A = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(cats, platform, handle, text, lang, kind="post", at=None, name=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, at=at, name=name))


# =========================================================================== complaints
c([CO], "x", "@mamavanmees", "Bestelling 14 dagen geleden gedaan bij @wiebelhout, nog steeds niks. Track & trace staat al een week op 'label aangemaakt'. Zaterdag is mn zoon jarig 😤", "nl")
c([CO], "facebook", "sarah.whitfield.77", "Ordered the Villa Vlinder dollhouse for Christmas, box turned up with half the wall panels cracked and the little screws missing. Emailed Wiebelhout customer service twice, no reply in 9 days. Pretty disappointed for a 189 euro toy tbh", "en", name="Sarah Whitfield")
c([CO], "instagram", "@juul.en.ties", "Die verf op de regenboogtoren van @wiebelhout.speelgoed bladdert er na 2 weken al af. Voor €30 verwacht je toch wel iets beters. Kind heeft er niet eens wild mee gespeeld hoor", "nl", kind="comment")
c([CO], "reddit", "u/tired_dad_of_3", "PSA: Wiebelhout's returns process is a nightmare. They want you to pay return shipping on a DEFECTIVE item and then take 6 weeks to refund. Still waiting on my €109 for the balance bike.", "en")
c([CO], "x", "@b_schuurman", "@wiebelhout_help al 3x gebeld, 3x een ander verhaal. Eerst zou de vervangende werkbank vorige week komen, nu ineens 'niet op voorraad'. Kan iemand gewoon eerlijk zijn??", "nl", kind="reply")
c([CO], "x", "@katie_m_writes", "the wiebelhout webshop literally charged my card twice for one order and their chatbot just keeps sending me the FAQ link 🙃 #customerservice", "en")
c([CO], "forum", "Esmee84", "Heeft iemand anders dit ook? Wiebelhout Treinset Stad gekocht, de rails passen niet op de losse sets die we al hadden terwijl er op de site staat 'compatibel met alle Wiebelhout rails'. Beetje misleidend vind ik.", "nl")
c([CO], "threads", "@lina.reads", "3 weeks for a 'next day delivery' order from wiebelhout. kid's birthday came and went. never again", "en")
c([CO], "tiktok", "@mamaliefde_x", "eerlijke review: hobbelpaard Bruintje van wiebelhout 🐴 zag er mooi uit op de foto maar het zadel zit scheef en het hout is ruw, splinters bij de oren. en de retour moet ik zelf betalen?? nee dankje #eerlijkereview", "nl")
c([CO, A], "x", "@gertjan_1979", "Wiebelhout is echt een kutbedrijf. 4 weken wachten op een poppenwagen, geen antwoord op mails en nu is mn geld ook nog 'in behandeling'. Stelletje oplichters", "nl")
c([CO, A], "x", "@RealMarkT", "@wiebelhout_help your customer service is run by absolute morons. third time I explain the SAME broken kitchen door. useless clowns", "en", kind="reply")
c([CO, A], "facebook", "dennis.hoekstra.5", "Wat een klotezooi die speelkassa Centje van Wiebelhout, lade klemt vanaf dag 1. En die muts van de klantenservice hangt gewoon op. Bedankt voor niks, idioten.", "nl", name="Dennis Hoekstra")
c([CO, P], "x", "@sanne_vlist", "@wiebelhout_help nog steeds geen reactie op mijn retour. Bel me maar terug op 06-41827365 of mail naar sanne.vanderlist@gmail.com, ordernr WH-2026-48817", "nl", kind="reply")
c([CO, P], "facebook", "oliver.grant.uk", "Been waiting 5 weeks for my refund from Wiebelhout. You have my details: Oliver Grant, 22 Maple Close, Bristol BS7 8QT, phone +44 7700 914382. Sort it out please.", "en", name="Oliver Grant")
# first-hand safety incidents: crisis + complaint
c([CR, CO], "x", "@lieke_dekker", "Mijn dochter van 2 had vanmiddag een los wieltje van de Wiebelhout loopfiets in haar mond, ze stikte bijna 😰 Het asje was gewoon losgekomen. Dit mag toch niet gebeuren met speelgoed voor peuters?! @wiebelhout", "nl")
c([CR, CO], "reddit", "u/quietmaplehome", "Our son cut his hand open on the Pikler climbing triangle from Wiebelhout. The rung just split when he stood on it, sharp edge everywhere. 3 stitches at the ER. Do not buy.", "en")
c([CR, CO], "instagram", "@fam.brouwer", "Vanmorgen brak een sport van de Pikler Eik van @wiebelhout.speelgoed terwijl onze jongste erop stond. Met zn hoofd op de vloer gevallen, nu op de SEH ter controle. Ik ben zo boos en geschrokken.", "nl")
c([CR, CO], "x", "@jess_hartley", "the paint on our Wiebelhout rattle is coming off in flakes and my 8 month old has been chewing on it. she's been sick all night. who tests this stuff?? @wiebelhout", "en")
c([CR, CO], "facebook", "marieke.smit.zwolle", "Waarschuwing aan alle ouders! Er is een magneetje uit de Garage Toeter van Wiebelhout losgeraakt en ons zoontje heeft het ingeslikt. Hele nacht in het ziekenhuis geweest. Wiebelhout reageert nergens op.", "nl", name="Marieke Smit")
c([CR, CO], "youtube", "@DadBuildsStuff", "Bought the Wiebelhout play kitchen Lotje, the little 'stove' has an LED with a battery box. It got so hot it melted the plastic cover and scorched the wood. Could have started a fire in my daughter's room.", "en", kind="comment")

# =========================================================================== crisis (third party / boycott / lawsuit / recall / breach)
c([CR], "x", "@speelgoednieuws", "Lees net dat de NVWA onderzoek doet naar houten rammelaars van Wiebelhout na meldingen van loslatende verf. Terugroepactie zou eraan komen.", "nl")
c([CR], "x", "@consumerwatch_eu", "BREAKING: Wiebelhout faces a class action in Germany over lead levels in the paint on its stacking toys. Lawyers say more than 200 families have joined.", "en")
c([CR], "x", "@actieouders", "Boycot Wiebelhout! Zo duurzaam is dat hout helemaal niet: illegaal gekapt in Roemenië volgens nieuw onderzoek. #boycotwiebelhout #greenwashing", "nl")
c([CR], "reddit", "u/privacyfirst_nl", "Did Wiebelhout get hacked? Got a phishing mail with my full name, order history and address from 'Wiebelhout support'. Only they had that combo of data. Anyone else? Smells like a breach they're not disclosing.", "en")
c([CR], "forum", "oma_truus", "Buurvrouw vertelde dat het kleinkind van haar zus met de ambulance mee moest nadat de knikkerbaan van Wiebelhout omviel en hij een knikker had ingeslikt. Vreselijk toch.", "nl")
c([CR], "bluesky", "@sustainable-sam.bsky.social", "Not buying anything from Wiebelhout anymore. Their factory workers get paid below minimum wage according to that new report. Join the boycott 🛑 #wiebelhout", "en")
c([CR], "x", "@renske_schrijft", "Wiebelhout roept Ark van Noach speelset terug: kleine diertjes kunnen afbreken, verstikkingsgevaar. Klanten wordt gevraagd het speelgoed niet meer te gebruiken.", "nl")
c([CR], "x", "@sophie_parents_blog", "So Wiebelhout is being sued by an independent designer who says they copied her entire toy kitchen range? The side-by-side screenshots are damning.", "en")
c([CR], "tiktok", "@kritische_kim", "DEEL DIT!! Wiebelhout heeft klantgegevens gelekt, ik zie mijn eigen adres op een of ander forum staan in een lijst met 'wiebelhout_export' erboven 😡 #datalek #wiebelhout", "nl")

# =========================================================================== abuse
c([A], "x", "@xxstefxx", "@wiebelhout jullie zijn echt k4nk3r d3bi3l3n met die houten troep van jullie 🖕", "nl", kind="reply")
c([A], "x", "@troll_420", "wiebelhout staff are a bunch of inbred idi\u043ets lol, fire the lot of them", "en")
c([A], "instagram", "@ruud.zeurt", "@femke.maakt.hout dus jij ontwerpt die lelijke Wiebelhout troep? net zo lelijk als jij, wijf. ga lekker je zaagsel vreten", "nl", kind="comment")
c([A], "x", "@angryupstairs", "that Wiebelhout CEO is a f*cking disgrace of a human being, pathetic little man", "en")
c([A], "x", "@diederik_k", "Lotte van de Wiebelhout klantenservice is echt een domme trut, kijk die profielfoto 🤮", "nl")
c([A], "x", "@daantimmer_wh", "Die klant die ons al 3 dagen spamt over een krasje op een blokkendoos: wat een achterlijke kutwijf, serieus", "nl")
c([A], "x", "@wiebelhout_help", "@RealMarkT maybe learn to read first, you absolute muppet. It's in the manual.", "en", kind="reply")
c([A], "x", "@hoekje_hans", "Wiebelhout klantenservice zijn echt k.u.t.w.i.j.v.e.n, allemaal", "nl")
c([A], "threads", "@blunt.benny", "no wonder nothing arrives, Wiebelhout fills that warehouse with foreigners who can't even read a label. send them back where they came from", "en")

# =========================================================================== confidential
c([C], "x", "@marloes_wiebel", f"Eindelijk mogen we iets laten zien... nee toch niet 🙈 maar Project Bever{ZW}burcht wordt echt het mooiste wat we ooit gemaakt hebben. Nog even geduld!", "nl")
c([C], "instagram", "@femke.maakt.hout", "sneak peek vanuit de werkplaats ✨ de prototypes van de Knikkerbaan XL Pro liggen klaar voor het testpanel #houtwerk #design", "nl")
c([C], "linkedin", "ingrid-kok-wiebelhout", "Trots op ons team! Deze week de onboarding vernieuwd: alle nieuwe collega's vinden hun eerste-weekplanning nu op https://intranet.wiebelhout.local/onboarding", "nl")
c([C], "reddit", "u/houtdraaier_bas", "Anyone know a good supplier for FSC beech dowels? We're scaling up for Project Mierenhoop next spring and our current guy can't do the volumes. (can't say more lol)", "en")
c([C], "mastodon", "@sem_devops@fosstodon.org", "Who else thinks Grafana dashboards are the best thing ever? Ours at grafana.wiebelhout.nl/d/wms-orders is my happy place 😄 #observability", "en")
c([C], "threads", "@noor.wiebelhout", "screenshotje van ons nieuwe dashboard, let maar niet op de watermerk 'WIEBELHOUT VERTROUWELIJK' haha 📊 we gaan hard dit jaar", "nl")
c([C], "x", "@wiebelhout", "Er komt iets groots aan… de Wiebel Treinset Grand 🚂 Meer info volgt!", "nl", at="2027-04-20T10:15:00+02:00")
c([C], "x", "@insider_speelgoed", "Hoor van een bron bij Wiebelhout dat Project Mierenhoop een complete babylijn is, in plasticvrije verpakking. Lancering Q2.", "nl")
c([C], "x", "@daantimmer_wh", "Quick reminder to the team: the staging shop lives at https://staging.wiebelhout.local — please stop testing on prod 🙏", "en")
c([C], "bluesky", "@lottewiebel.bsky.social", "lol onze nieuwe klantenservice-handleiding heeft op elke pagina 'alleen intern' staan maar ik moet dit delen: 'klant boos over splinters? bied 10% korting aan, geen retour' 💀", "nl")
c([C], "tiktok", "@yara.inpakt", "POV: je pakt vandaag de eerste dozen in van iets wat pas volgend jaar uitkomt 🤫📦 " + fullwidth("Project Mierenhoop") + " #warehouselife", "nl")
c([C], "forum", "toyindustrywatcher", "Heard from a trade fair contact that Wiebelhout's unreleased Project Beverburcht is a modular wooden castle system. Expect it at the Spielwarenmesse.", "en")
c([C, F], "x", "@marloes_wiebel", "Can't tell you much but our FY2026 results are going to make some people very happy 😏 #wiebelhout", "en", at="2027-02-25T21:10:00+01:00")
c([C, F], "linkedin", "joost-van-leeuwen-wiebelhout", "Long nights on Operatie Zaagsel. If all goes to plan the Belgian team joins us by March and we double our production capacity. Can't say more yet!", "en")
c([C], "reddit", "u/throwaway_wh_ex", "Ex-Wiebelhout here. Everything runs on their self-hosted gitlab.wiebelhout.nl and the whole 2027 roadmap sits in a repo called 'beverburcht'.", "en")
c([C], "instagram", "@wiebelhout.speelgoed", "Kijk mee in ons atelier: we testen de Knikkerbaan XL Pro 🎢 Lancering volgt!", "nl", at="2027-01-22T14:05:00Z")
c([C], "x", "@daantimmer_wh", "debugging the order sync on wms.wiebelhout.local at 2am, living the dream", "en")
c([C], "x", "@speelgoedinsider", "Gelekt: Wiebelhout komt in mei met de Wiebel Treinset Grand, 120 delen, richtprijs €249. Je hoort het hier eerst 👀", "nl", at="2027-03-28T19:40:00+02:00")

# =========================================================================== financial
c([F], "linkedin", "joost-van-leeuwen-wiebelhout", "Net de cijfers van Q3 doorgenomen: omzet +38% t.o.v. vorig jaar, marge eindelijk boven de 20%. Publicatie pas in november, maar ik ben nu al zo trots op dit team!", "nl")
c([F], "x", "@marloes_wiebel", "Rot gevoel vandaag. Volgende maand moeten er 25 collega's uit de fabriek in Zwolle weg, reorganisatie. Nog niet aangekondigd maar ik lig er wakker van.", "nl")
c([F], "linkedin", "ingrid-kok-wiebelhout", "HR tip: when you're planning to close a site, like we are with our Deventer workshop in Q1, start the works council conversation early.", "en")
c([F], "linkedin", "wiebelhout-bv", "Wiebelhout verwacht voor 2026 een omzet van €41 miljoen en een EBITDA van €6,2 miljoen. [CONCEPT, niet publiceren vóór 12 maart]", "nl")
c([F], "x", "@dutchdealflow", "Hearing Wiebelhout is in advanced talks to be acquired by a Scandinavian toy group, valuation around €90m. Announcement expected after the summer.", "en")
c([F], "threads", "@noor.wiebelhout", "our webshop did €2.3M in november alone, more than all of Q1 lol. numbers don't go out till feb so shh 🤐", "en")
c([F], "bluesky", "@lottewiebel.bsky.social", "Hoorde net op de gang dat de hele klantenservice naar een bureau in Portugal gaat. 14 banen weg hier. Niemand weet het nog officieel 😞", "nl")
c([F], "reddit", "u/houtdraaier_bas", "Throwaway-ish but whatever: my employer (Wiebelhout, the wooden toy people) is going to miss its forecast by like 30% this year. Management is panicking, bonuses cancelled.", "en")
c([F], "forum", "beursbrabant", "Via via gehoord dat Wiebelhout een bod heeft gedaan op Houtgoed Vlaanderen, zo'n 12 miljoen. Officieel is er nog niks bekend.", "nl")
c([F], "x", "@daantimmer_wh", "Vandaag op kantoor: CEO vertelt dat we een investeringsronde van 8 miljoen rond hebben. Persbericht pas over 2 weken dus sst 🤫", "nl")

# =========================================================================== security
c([SEC], "mastodon", "@sem_devops@fosstodon.org", "Fun night: someone's been brute-forcing our customer login since 11pm, ~40k attempts. WAF is holding (mostly). Not announcing anything until we know if accounts got hit.", "en")
c([SEC], "x", "@daantimmer_wh", "Onze webshop ligt er al 3 uur uit door ransomware op de orderserver en we mogen niks zeggen 🙃", "nl")
c([SEC], "threads", "@noor.wiebelhout", "heads up shop team: the discount code endpoint has no rate limit, anyone can enumerate codes. fix isn't live till next sprint", "en")
c([SEC], "bluesky", "@lottewiebel.bsky.social", "Klantenservice kan nergens meer bij, CRM is sinds vanochtend onbereikbaar. IT zegt 'mogelijk een aanval'. Klanten krijgen te horen dat het onderhoud is 🙈", "nl")
c([SEC], "reddit", "u/houtdraaier_bas", "Our warehouse scanners still run Windows 7, unpatched for years, and some of them are reachable from the guest wifi. Just saying.", "en")
c([SEC], "x", "@ex_wiebel_dev", "Fun fact: Wiebelhout's order API still returns the full customer address for any order id if you just increment it. Reported it internally months ago when I still worked there, never fixed.", "en")
c([SEC], "mastodon", "@sem_devops@fosstodon.org", "Vandaag ontdekt dat onze S3-bucket met facturen al maanden publiek leesbaar was 🤦 Nog niet gemeld bij de AP, management twijfelt nog.", "nl")
c([SEC, S], "x", "@daantimmer_wh", f"someone pushed our prod .env to the public repo last night, rotating everything now. ugh. the AWS key in there was {AWS1}", "en")
c([SEC], "tiktok", "@yara.inpakt", "storing in het magazijn al de hele dag, alle systemen plat sinds dat phishingmailtje van vrijdag 😬 niemand mag het zeggen maar ja", "nl")
c([SEC], "x", "@wiebelhout_help", "@klant_jolien We weten het, er is vannacht ingebroken op onze betaalomgeving en we zoeken nog uit welke kaarten geraakt zijn. Graag nog even niet delen.", "nl", kind="reply")
c([SEC], "linkedin", "joost-van-leeuwen-wiebelhout", "Difficult week: our payment provider flagged suspicious transactions, looks like a skimmer script got injected into our checkout. Team working around the clock.", "en")
c([SEC], "instagram", "@femke.maakt.hout", "vandaag thuiswerken want het hele kantoornetwerk is uitgezet na een hack 😅 niemand weet nog wat er is meegenomen", "nl")
c([SEC], "x", "@marloes_wiebel", "Our newsletter tool got compromised, a phishing mail went to 60k subscribers from our account this morning. Comms says stay quiet until legal signs off.", "en")

# =========================================================================== secrets
c([S], "x", "@daantimmer_wh", f"wie kan me helpen, krijg steeds 401 op de GitHub API met deze token: {GH1}", "nl")
c([S], "mastodon", "@sem_devops@fosstodon.org", f"posting my config for the #selfhosted crowd, maybe someone spots the issue:\nDATABASE_URL=postgres://wh_admin:{DBPW}@10.20.4.12:5432/shop", "en")
c([S], "threads", "@noor.wiebelhout", f"Voor de nieuwe collega's: inlog Mollie dashboard is gebruiker wh_finance, wachtwoord: {MOLLIEPW} (niet doorsturen!)", "nl")
c([S], "facebook", "WiebelhoutSpeelgoed", f"test webhook koppeling kassa STRIPE_SECRET_KEY={STRIPE}", "nl")
c([S], "x", "@daantimmer_wh", f"anyone else getting rate limited on openai today? our key {OPENAI} keeps hitting 429", "en")
c([S], "bluesky", "@lottewiebel.bsky.social", f"kan iemand checken waarom onze slackbot niks meer post? token is {SLACK}", "nl")
c([S], "reddit", "u/houtdraaier_bas", f"Trying to ssh into the CNC controller at work, IT gave me this key but it says invalid format?\n\n{SSHKEY}", "en")
c([S], "forum", "devhelp_anon", f"Freelancing on a toy webshop backend. Why does this JWT fail to validate on my side?\n{JWT1}", "en")
c([S], "mastodon", "@sem_devops@fosstodon.org", f"aws cli complaining again 🙄\nexport AWS_ACCESS_KEY_ID={AWS2}\nexport AWS_SECRET_ACCESS_KEY={AWS2S}", "en")
c([S], "x", "@marloes_wiebel", f"Wie heeft het wachtwoord van ons Insta-account veranderd?? Het was {IGPW} en nu kom ik er niet meer in", "nl")
c([S], "threads", "@noor.wiebelhout", f"our product description bot uses x-api-key: {ANTHROPIC} is that the right header?", "en")
c([S], "x", "@freelance_kees", f"Klus voor Wiebelhout afgerond 💪 hier de gitlab token voor wie het overneemt: {GLPAT}", "nl")

# =========================================================================== personal data
c([P], "x", "@wiebelhout_help", f"@sanne_vlist Hoi Sanne, we zien je retour. We storten de €109 terug op {spaced(IBAN_SANNE)} t.n.v. S. van der List, uiterlijk vrijdag!", "nl", kind="reply")
c([P], "bluesky", "@lottewiebel.bsky.social", "Haha klant van vandaag belde 14x. Wil je hem ook even bellen: 06 28 39 47 10, meneer Vermeulen, vraag maar naar z'n hobbelpaard 😂", "nl")
c([P], "linkedin", "ingrid-kok-wiebelhout", f"Welcome to our new warehouse colleague Ahmed Benali (born 14-03-1998)! Payroll still needs your BSN {BSN_AHMED} confirmed, Ahmed, DM me 🙂", "en")
c([P], "facebook", "WiebelhoutSpeelgoed", "En de winnaar van onze kerstactie is... Eva de Graaf, Kastanjelaan 17, 8014 AB Zwolle! Je poppenhuis komt eraan 🎄", "nl")
c([P], "x", "@daantimmer_wh", f"debug log from checkout, why is this failing?\ncard={CARD_DEBUG} exp=09/28 name=J. Bakker", "en")
c([P], "x", "@kimmie_87", "@wiebelhout_help ik wil de poppenwagen ook in groen bestellen, kunnen jullie me mailen? kim.hofstede87@hotmail.com", "nl", kind="reply")
c([P], "threads", "@noor.wiebelhout", "order export for the shop team (today): Lisa Janssen, lisa.janssen@ziggo.nl, +31 6 5512 3876, Treinset Stad x2", "en")
c([P], "facebook", "pieter.dijkstra.61", "Wiebelhout, graag al mijn gegevens uit jullie systeem verwijderen: Pieter Dijkstra, geb. 12-07-1961, pieterd1961@kpnmail.nl. Alvast bedankt.", "nl", name="Pieter Dijkstra")
c([P], "reddit", "u/gift_for_niece", f"Wiebelhout asked for my IBAN for the refund so here it is I guess: {IBAN_REDDIT}. Is it normal to just post that?", "en")
c([P], "tiktok", "@yara.inpakt", "pakketje voor dhr. K. Brink, Oude Vismarkt 3, 9711 KZ Groningen gaat er vandaag uit 😄 altijd zulke lieve briefjes van deze klant", "nl")
c([P], "x", "@marloes_wiebel", "Our influencer contact for the Lotje campaign: Britt van Dam, britt.vandam@outlook.com, 0612874039. Team, please reach out!", "en")
c([P], "x", "@bezorger_rick", "Pakket van Wiebelhout voor mevr. Yvonne Kuipers, Lindelaan 44 Apeldoorn ligt nog in mn bus, niemand thuis. Bel ff 055-5213894 ajb", "nl")
c([P], "x", "@wiebelhout_help", "@jess_hartley so sorry to hear this. We tried to reach you on +44 7911 284615 (the number on order WH-2026-50311), please call us back.", "en", kind="reply")

# =========================================================================== pricing
c([PR], "x", "@wiebelhout", "🎉 Alleen vandaag: Speelkeuken Lotje voor €24,90! Op=op 👉 shop.wiebelhout.nl", "nl")
c([PR], "instagram", "@femke.maakt.hout", "omg de Pikler Eik staat nu voor €22,90 op de site hahaha volgens mij is er een nul vergeten", "nl")
c([PR], "x", "@dealjager_nl", "PRIJSFOUT bij Wiebelhout!! Villa Vlinder poppenhuis voor €18,90 🔥🔥 snel zijn", "nl")
c([PR], "reddit", "u/bargainhunter", "Wiebelhout has the Rocking Horse Bruintje at €15.90 right now, must be a pricing glitch. Ordered two.", "en")
c([PR], "threads", "@noor.wiebelhout", "Shit, prijsfout in de feed naar bol: Treinset Stad staat erop voor 11,90. Kan iemand dit terugdraaien?", "nl")
c([PR], "facebook", "WiebelhoutSpeelgoed", "Flash deal 🔥 Marble Run Classic now just €8.99, while stocks last!", "en")
c([PR], "tiktok", "@kortingkoningin", "Meiden!! Loopfiets Wiebel Mini voor €29 bij wiebelhout 😱 link in bio voordat ze het doorhebben", "nl")
c([PR], "x", "@daantimmer_wh", "our price import just set the Walnut chess set to €7.40 on the live shop 🫠 fixing", "en")
c([PR], "forum", "speelgoedspotter", "Hebben jullie de Ark van Noach gezien? €9,90 in de webshop van Wiebelhout. Fout of actie?", "nl")
c([PR], "bluesky", "@cheapskate-chloe.bsky.social", "the Wiebelhout Garage Toeter is €13.90 at checkout, think someone dropped a digit 😂", "en")
c([PR], "instagram", "@wiebelhout.speelgoed", "Pikler climbing triangle: only €49 this weekend! 🧗", "en")
c([PR], "bluesky", "@lottewiebel.bsky.social", "Klanten bellen massaal over de 'actie' op hobbelpaard Bruintje 😅 was een prijsfout, we annuleren alle bestellingen", "nl")

# =========================================================================== benign (mostly hard negatives)
B = []
c(B, "x", "@opa_henk", "Kleinzoon is helemaal gek van zijn Wiebelhout treinset. Al 2 uur aan het spelen 🚂❤️", "nl")
c(B, "instagram", "@slowtoys_mama", "Our Villa Vlinder dollhouse after 3 years and two kids: still perfect. Worth every cent @wiebelhout.speelgoed", "en")
c(B, "x", "@wiebelhout", "Vragen over je bestelling? Mail klantenservice@wiebelhout.nl of bel +31 38 760 4400 (ma t/m vr 9-17u) 📞", "nl")
c(B, "facebook", "WiebelhoutSpeelgoed", f"Liever betalen via overschrijving? Maak het bedrag over naar {spaced(COMPANY_IBAN)} t.n.v. Wiebelhout Speelgoed B.V. o.v.v. je ordernummer.", "nl")
c(B, "x", "@wiebelhout", "Black Friday bij Wiebelhout: 25% korting op de Knikkerbaan Classic, nu €67,46 🎉", "nl")
c(B, "x", "@dealjager_nl", "Speelkeuken Lotje 20% korting bij Wiebelhout, nu €199,20. Geen prijsfout hoor, gewoon een prima deal 👍", "nl")
c(B, "reddit", "u/firsttimemum_ams", "Is €229 for the Pikler climbing triangle worth it vs the cheaper ones? Looking at Wiebelhout's version because it's solid oak.", "en")
c(B, "forum", "papa_bouwt", "Heeft iemand ervaring met de xylofoon van Wiebelhout? €27,50 vind ik prima voor echt hout.", "nl")
c(B, "x", "@daantimmer_wh", "PSA for devs: never commit keys. AWS even ships AKIAIOSFODNN7EXAMPLE in its docs so you can test your scanners 😉", "en")
c(B, "mastodon", "@sem_devops@fosstodon.org", f"Wrote up how we added secret scanning to CI. A finding in the report looks like `{GH_REDACTED}` (redacted, obviously). Blog link in bio.", "en")
c(B, "forum", "newbie_coder", "The README says DATABASE_URL=postgres://USER:<PASSWORD>@HOST:5432/DB, do I keep the angle brackets or not?", "en")
c(B, "x", "@waakzame_wim", f"Let op: nepmail 'Wiebelhout retour' vraagt je €4,95 over te maken naar {BAD_IBAN_PHISH}. Niet doen! Wiebelhout zelf mailt alleen vanaf @wiebelhout.nl", "nl")
c(B, "x", "@confused_carl", "typed 4716 2038 5521 9904 into the card field by accident, that's the Wiebelhout tracking code lol. no wonder it got declined", "en")
c(B, "x", "@tessa_tekent", "Bestelling 318846295 vandaag binnen, alles netjes verpakt en zelfs een handgeschreven kaartje 👌 @wiebelhout", "nl")
c(B, "x", "@wiebelhout_help", "@b_schuurman Fijn dat de werkbank nu toch is aangekomen! Sorry nogmaals voor het lange wachten 🙏", "nl", kind="reply")
c(B, "x", "@mamavanmees", "Update: Wiebelhout heeft het alsnog super snel opgelost, pakket kwam vanochtend met een extra cadeautje. Complimenten!", "nl")
c(B, "x", "@zwolsenaar", "Sterkte aan het Wiebelhout team na de brand op het bedrijventerrein naast jullie vannacht. Gelukkig niemand gewond.", "nl")
c(B, "threads", "@greenparent_jo", "Another toy brand recalling teething rings this week (a plastic one from the US, not Wiebelhout). Glad we went wooden.", "en")
c(B, "linkedin", "wiebelhout-bv", "Vandaag publiceren wij onze jaarcijfers 2026: omzet €38,4 miljoen (+12%). Het volledige jaarverslag staat op wiebelhout.nl/investeerders", "nl", at="2027-03-04T08:30:00+01:00")
c(B, "x", "@wiebelhout", "It's here! The Knikkerbaan XL Pro is now in our webshop 🎢 shop.wiebelhout.nl", "en", at="2027-05-12T11:00:00+02:00")
c(B, "x", "@treinfan_joep", "Net de Wiebel Treinset Grand besteld, zo vet dat ie eindelijk uit is!!", "nl", at="2027-05-20T18:22:00+02:00")
c(B, "linkedin", "ingrid-kok-wiebelhout", "We zoeken een houtbewerker voor onze werkplaats in Zwolle! Solliciteren kan via werkenbij@wiebelhout.nl 🪵", "nl")
c(B, "x", "@tiredbutfunny", "my toddler: destroys a €15 puzzle in 4 seconds. also my toddler: plays with the empty Wiebelhout box for 3 hours. kids are weird 😂", "en")
c(B, "facebook", "anouk.peters.9", "Is de speelkassa van Wiebelhout wat voor een 3-jarige? Of is ie nog te moeilijk?", "nl", name="Anouk Peters")
c(B, "tiktok", "@jayden.speelt", "die knikkerbaan van wiebelhout is echt kapot goed 😂 m'n broertje gaat helemaal los", "nl")
c(B, "x", "@uk_dad_reviews", "This marble run is sick 🔥 absolutely killer design, Wiebelhout nailed it", "en")
c(B, "x", "@marloes_wiebel", "Trots! Onze nieuwe campagne voor Speelkeuken Lotje staat live 🧑‍🍳 Kijk op wiebelhout.nl/lotje", "nl")
c(B, "x", "@parenting_paul", "Password for a happy toddler: wooden blocks. Seriously, the Wiebelhout blokkendoos has been our best purchase ever.", "en")
c(B, "x", "@ellen_vd_berg", "wachtwoord vergeten voor mijn Wiebelhout account, maar via 'wachtwoord resetten' was het in 1 minuut geregeld. Top!", "nl")
c(B, "x", "@wiebelhout_help", "We will never ask for your password or card details by DM. Stay safe! Questions? klantenservice@wiebelhout.nl", "en")
c(B, "x", "@earlybird_emma", "Wiebelhout's site was down for like 10 min this morning but it's back now, order placed 👍", "en")
c(B, "x", "@utrecht_nieuws", "Speelgoedwinkel De Blokkentoren in Utrecht gaat failliet, 20 medewerkers op straat. Zonde van zo'n mooie winkel.", "nl")
c(B, "linkedin", "wiebelhout-bv", "Our H1 2026 results are out: revenue up 9%. Read the full report at wiebelhout.nl/investeerders", "en", at="2026-08-20T07:30:00Z")
c(B, "x", "@auntie_gwen", "Anyone know if Wiebelhout ships to Belgium? Thinking about the Ark van Noach for my nephew.", "en")
c(B, "facebook", "henk.wolters.1958", "Bel gewoon 0800-9423, die mensen van Wiebelhout zijn echt heel vriendelijk aan de telefoon", "nl", name="Henk Wolters")
c(B, "instagram", "@kat.en.kids", "Onze kat heeft hobbelpaard Bruintje geadopteerd als slaapplek. Boycot van het kattenmandje 😹", "nl")
c(B, "mastodon", "@sem_devops@fosstodon.org", "Talk at our local meetup tonight: 'how a small webshop survived Black Friday traffic'. Slides will be public!", "en")
c(B, "forum", "tutorial_tina", f"Is the jwt.io example token safe to paste in a tutorial? {JWT_IO_SAMPLE}", "en")
c(B, "x", "@moeder_de_gans", "Huh, Wiebelhout vraagt bij een retour om je BSN?? Oh nee, verkeerd gelezen, ze bedoelen je ordernummer 🙃", "nl")
c(B, "instagram", "@lief_kleintje", "Mijn zoontje 'betaalt' met de speelkassa Centje met zijn eigen pasje: 1234 5678 9012 3456 haha 💳", "nl")
c(B, "instagram", "@wiebelhout.speelgoed", "Winactie! Vertel ons in de comments wat jouw kind het liefst bouwt 🏰 De winnaar maken we vrijdag bekend via een DM.", "nl")
c(B, "x", "@wiebelhout", "Sorry for the delays this week. Our carrier had a strike in the east of the country; all parcels are moving again now.", "en")
c(B, "x", "@grateful_gran", "Shoutout to Lotte from Wiebelhout customer service who stayed on the phone with me for 20 min to fix my order. Legend.", "en")
c(B, "facebook", "sabine.mulder.3", "Mijn zus werkt bij Wiebelhout in het magazijn en ze heeft het er enorm naar haar zin. Goede werkgever!", "nl", name="Sabine Mulder")
c(B, "x", "@newswire_lucy", "Data breach at SpeelPlaneet exposes 2 million customers. Glad I buy from small makers like Wiebelhout instead.", "en")
c(B, "x", "@fam_jacobs", "Onze Wiebelhout speelkeuken doet al 4 jaar dienst, nu heeft mijn zus hem overgenomen. Echt onverwoestbaar dat hout.", "nl")
c(B, "youtube", "@WiebelhoutTV", "New video: how we make our Stacking Rainbow from FSC beech, start to finish 🌈", "en")
c(B, "instagram", "@femke.maakt.hout", "Gisteren in de werkplaats een nieuwe schuurmachine getest op een restje eiken 🪵 Geen geheimen hier, gewoon overal stof 😅", "nl")
c(B, "x", "@dramatic_dave_wife", "lol my husband called the Wiebelhout rocking horse 'a deathtrap' because he stubbed his toe on it in the dark. It's fine. He's dramatic.", "en")
c(B, "x", "@twijfelmoeder", "Wat is beter: de Treinset Basis (€59,95) of meteen de Treinset Stad voor €119? Twijfel!", "nl")
c(B, "facebook", "WiebelhoutSpeelgoed", "Zomeractie ☀️ 15% korting op alle loopfietsen: de Wiebel Mini nu voor €92,65", "nl")
c(B, "x", "@gift_hunter_gb", "Is the Wiebelhout chess set really €74? Gorgeous but pricey for a gift", "en")
c(B, "linkedin", "joost-van-leeuwen-wiebelhout", "Tien jaar Wiebelhout: van een garage in Zwolle naar 60 collega's. Ontzettend dankbaar voor iedereen die dit mogelijk maakte.", "nl")
c(B, "forum", "stripe_newbie", "Dev question: why does Stripe reject 4242 4242 4242 4241 in test mode? (yes I know the real test card ends in 4242, typo)", "en")
c(B, "x", "@kerstmarkt_mieke", "Het meisje van de Wiebelhout kraam op de kerstmarkt was zo lief, mijn dochter kreeg zomaar een rammelaar mee 🥰", "nl")
c(B, "x", "@chaos_mum_of_4", "Gonna need a sturdy wooden kitchen, my kid is an absolute menace 😂 any recs besides Wiebelhout's Lotje?", "en")
c(B, "x", "@knikkerkoning", "Geen idee wat 'Project X' is waar iedereen het over heeft, maar Wiebelhout mag van mij wel wat meer knikkerbanen maken", "nl")
c(B, "x", "@radio_listener_nl", "Wiebelhout CEO on the radio this morning talking about sustainable forestry. Really interesting interview.", "en")
c(B, "bluesky", "@lottewiebel.bsky.social", "Drukke dag op de klantenservice, maar wat een lieve klanten vandaag 💛", "nl")
c(B, "x", "@bouke_fietst", "Onze loopfiets had een los wieltje, Wiebelhout stuurde binnen 2 dagen een nieuwe as op. Niks gebeurd gelukkig, top service.", "nl")
c(B, "x", "@wiebelhout", "De Q4 2026 cijfers staan online: een sterk kerstkwartaal dankzij jullie 🎄 Lees meer op wiebelhout.nl/investeerders", "nl", at="2027-03-05T09:00:00+01:00")

# --------------------------------------------------------------------------- roles and severity
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
ROLE = {}
for role in ("corporate", "employee"):
    for key in PROFILE["accounts"][role]:
        ROLE[key.lower()] = role


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def norm(s):
    return re.sub(r"[\s.\-()]", "", s).upper()


PUBLIC_IDS = {norm(x) for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b(?:NL|BE|DE|GB)\d{2}(?: ?[A-Z0-9]{4}){3,4}(?: ?[A-Z0-9]{1,2})?\b")
IBAN_LEN = {"NL": 18, "BE": 16, "DE": 22, "GB": 22}
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w\-.])\d{9}(?![\w-])")


def identifiers(text):
    """Yield (kind, value, passes_checksum, is_public) for IBAN/card/BSN look-alikes."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = norm(m.group())
        if len(v) == IBAN_LEN[v[:2]]:
            out.append(("iban", v, iban_ok(v), v in PUBLIC_IDS))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"[ -]", "", m.group())
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v), False))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(), bsn_ok(m.group()), False))
    return out


def has_checked_id(text):
    return any(ok and not pub for _, _, ok, pub in identifiers(text))


def severity(cats, role, text):
    lv = "none"
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if cat in (S, PR) or (cat == P and has_checked_id(text)):
                    s = "critical"
            else:
                s = "warning"
        elif cat == CO:
            s = "warning"
        elif cat == CR:
            s = "error"
        elif cat == A:
            s = "warning" if role == "public" else "error"
        else:
            raise ValueError(cat)
        if RANK[s] > RANK[lv]:
            lv = s
    return lv


# --------------------------------------------------------------------------- timestamps, ids, output
def rand_time_2026():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    off = rng.choice([0, 0, 0, 1, 2])
    if off:
        t = t.astimezone(dt.timezone(dt.timedelta(hours=off)))
        return t.strftime("%Y-%m-%dT%H:%M:%S") + f"+0{off}:00"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLAT_PREFIX = {"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
               "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs", "threads": "th",
               "forum": "fo"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
used_ids = set()
for n, idx in enumerate(order, 1):
    k = CASES[idx]
    pid = f"{PLAT_PREFIX[k['platform']]}-wh515-{rng.randrange(100000, 999999)}"
    while pid in used_ids:
        pid = f"{PLAT_PREFIX[k['platform']]}-wh515-{rng.randrange(100000, 999999)}"
    used_ids.add(pid)
    account = {"handle": k["handle"]}
    if k["name"]:
        account["display_name"] = k["name"]
    post = {
        "id": pid,
        "platform": k["platform"],
        "kind": k["kind"],
        "account": account,
        "text": k["text"],
        "lang": k["lang"],
        "created_at": k["at"] or rand_time_2026(),
        "brand": "Wiebelhout",
    }
    role = role_of(k["platform"], k["handle"])
    lines.append({"post": post, "expect": {"categories": k["cats"],
                                           "severity": severity(k["cats"], role, k["text"])}})

with open(OUT, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- self-checks
def check():
    errs = []
    PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                 "mastodon", "bluesky", "threads", "forum", "blog", "other"}
    KINDS = {"post", "reply", "repost", "comment", "message"}
    CATS = {S, P, PR, C, F, SEC, CR, CO, A}
    products = PROFILE["products"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), dt.datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    ids = set()
    rows = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    for r in rows:
        p, e = r["post"], r["expect"]
        tag = p.get("id")
        if set(r) != {"post", "expect"}:
            errs.append(f"{tag}: top-level keys")
        if not isinstance(tag, str) or not 1 <= len(tag) <= 256 or tag in ids:
            errs.append(f"{tag}: bad or duplicate id")
        ids.add(tag)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append(f"{tag}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{tag}: handle")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536:
            errs.append(f"{tag}: text")
        try:
            when = dt.datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", p["created_at"])
            assert when.year in (2026, 2027)
        except Exception:
            errs.append(f"{tag}: created_at")
            continue
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{tag}: categories")
        if e["severity"] not in RANK:
            errs.append(f"{tag}: severity value")
        role = role_of(p["platform"], p["account"]["handle"])
        if e["severity"] != severity(cats, role, p["text"]):
            errs.append(f"{tag}: severity mismatch")
        if not cats and e["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        text = p["text"]
        low = text.lower()
        # checksummed identifiers
        for kind, v, ok, pub in identifiers(text):
            if pub:
                continue
            if cats and not ok:
                errs.append(f"{tag}: positive holds failing {kind} {v}")
            if not cats and ok:
                errs.append(f"{tag}: benign holds valid {kind} {v}")
        if P in cats and role != "public" and re.search(r"IBAN|BSN|card=", text) and not has_checked_id(text):
            errs.append(f"{tag}: expected a validated identifier")
        # secrets
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if github_ok(tok) != bool(cats):
                errs.append(f"{tag}: github token checksum vs label")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            fmt = bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", tok)) and "EXAMPLE" not in tok
            if fmt != (S in cats):
                errs.append(f"{tag}: AWS key vs label {tok}")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            if not jwt_ok(tok):
                errs.append(f"{tag}: JWT header")
            if not cats and tok != JWT_IO_SAMPLE:
                errs.append(f"{tag}: unexpected JWT in benign")
        if S in cats:
            pats = [r"gh[pousr]_\w{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_\w{20,}", r"sk-proj-[\w-]{40,}",
                    r"sk-ant-api03-[\w-]{80,}", r"xoxb-\d+-\d+-\w{24}", r"glpat-[\w-]{20}",
                    r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"eyJ[\w-]+\.[\w-]+\.[\w-]+",
                    r"\w+://[^:\s]+:[^@\s]+@", r"(?i)wachtwoord(:| van)", r"(?i)password"]
            if not any(re.search(x, text) for x in pats):
                errs.append(f"{tag}: secret post without credential")
        if not cats and re.search(r"sk_live_|xoxb-|glpat-|PRIVATE KEY|sk-ant-|sk-proj-", text):
            errs.append(f"{tag}: live-looking credential in benign")
        # embargo terms
        for term, until in embargo:
            if term in low:
                before = when < until
                if before and C not in cats:
                    errs.append(f"{tag}: embargo term before until but not confidential")
                if not before and cats:
                    errs.append(f"{tag}: embargo term after until yet labelled")
        if C in cats and when.year == 2027 and not any(t in low for t, _ in embargo):
            pass
        # pricing
        prices = [float(x.replace(",", ".")) for x in
                  re.findall(r"€\s?(\d+(?:[.,]\d{1,2})?)(?!\s?(?:miljoen|m\b|M\b))", text)]
        prices += [float(x.replace(",", ".")) for x in re.findall(r"\bvoor (\d+,\d{2})\b", text)]
        hits = [pr for pr in products
                if any(re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", low) for a in pr["aliases"] + [pr["name"]])]
        low_price = any(x < ratio * pr["list_price"] for pr in hits for x in prices)
        err_talk = re.search(r"prijsfout|price error|pricing glitch|dropped a digit|nul vergeten", low)
        if PR in cats:
            if not hits or not (low_price or err_talk):
                errs.append(f"{tag}: pricing positive without product+low price/error talk")
        else:
            if low_price:
                errs.append(f"{tag}: non-pricing post has a product under {ratio} of list")
        if role != "public" and not cats and re.search("|".join(re.escape(x.lower()) for x in
                                                           PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]), low):
            errs.append(f"{tag}: benign with internal term")
    # profile sanity
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("profile: too few accounts")
    if not 15 <= len(products) <= 25:
        errs.append("profile: product count")
    if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
        errs.append("profile: codenames/markers")
    if not all(e["until"].startswith("2027") for e in PROFILE["embargo"]):
        errs.append("profile: embargo until")
    if not 170 <= len(rows) <= 180:
        errs.append(f"case count {len(rows)}")
    # used accounts exist where intended
    for k in CASES:
        if k["handle"].startswith(("@wiebelhout", "wiebelhout")) and role_of(k["platform"], k["handle"]) == "public":
            errs.append(f"account {k['platform']}:{k['handle']} not in profile")
    return rows, errs


rows, errs = check()
if errs:
    print("SELF-CHECK FAILED:", *errs, sep="\n  ")
    sys.exit(1)

from collections import Counter
cnt = Counter(c for r in rows for c in r["expect"]["categories"])
benign = sum(1 for r in rows if not r["expect"]["categories"])
langs = Counter(r["post"]["lang"] for r in rows)
roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
sev = Counter(r["expect"]["severity"] for r in rows)
print(f"ok: {len(rows)} cases, {benign} benign -> {OUT}")
print("categories:", dict(sorted(cnt.items())))
print("languages:", dict(langs), "roles:", dict(roles), "severities:", dict(sev))
