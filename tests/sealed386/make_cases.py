#!/usr/bin/env python3
"""Build the sealed386 evaluation set for postwatch (Hardevelt Workwear B.V.).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside
this file and self-checks it against CONTRACT §3, §4 and §6 and the profile.
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")
rng = random.Random(386_2026)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(c) * w for c, w in zip(d[:8], range(9, 1, -1))) - int(d[8])
    return tot % 11 == 0


def crc_b62(s):
    n = zlib.crc32(s.encode())
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def ghp_ok(tok):
    body = tok.split("_", 1)[1]
    return len(body) == 36 and crc_b62(body[:30]) == body[30:]


# ---------------------------------------------------------------- generators
def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def gen_iban(bank=None):
    bank = bank or rng.choice(["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    while True:
        acct = str(rng.randrange(10**8, 10**10)).rjust(10, "0")
        if bank != "INGB" and sum(int(c) * w for c, w in zip(acct, range(10, 0, -1))) % 11:
            continue
        n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
        iban = "NL%02d%s%s" % (98 - n % 97, bank, acct)
        assert iban_ok(iban)
        return iban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_iban():
    while True:
        iban = gen_iban()
        bad = iban[:-1] + str((int(iban[-1]) + rng.randrange(1, 10)) % 10)
        if not iban_ok(bad):
            return bad


def gen_card(prefix=None):
    prefix = prefix or rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last


def bad_card():
    c = gen_card("4")
    bad = c[:-1] + str((int(c[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return bad


def gen_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        t = sum(v * w for v, w in zip(d, range(9, 1, -1))) % 11
        if t < 10:
            s = "".join(map(str, d)) + str(t)
            assert bsn_ok(s)
            return s


def bad_bsn():
    while True:
        s = "".join(str(rng.randrange(10)) for _ in range(9))
        if s[0] != "0" and not bsn_ok(s):
            return s


def gen_ghp(prefix="ghp"):
    body = rand(ALNUM, 30)
    tok = "%s_%s%s" % (prefix, body, crc_b62(body))
    assert ghp_ok(tok)
    return tok


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(300 * 86400)
    payload = {"sub": "dealer-%d" % rng.randrange(1000, 9999), "name": "Bouwbedrijf Kroeze",
               "role": "dealer_admin", "iat": iat, "exp": iat + 86400}
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def gen_pem():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.randrange(256) for _ in range(32))
           + b"\x00\x00\x00\x90" + bytes(rng.randrange(256) for _ in range(200)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


ZW = ["\u200b", "\u200c", "\u200d", "\u2060"]


def zero_width(s):
    out = []
    for i, ch in enumerate(s):
        out.append(ch)
        if i and i % 5 == 0 and i < len(s) - 1:
            out.append(rng.choice(ZW))
    return "".join(out)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


URLSAFE = ALNUM + "_-"

# placeholders: <<NAME>>; each occurrence draws a fresh value.
CHECKSUM_PH = {"IBAN", "IBAN_SP", "CARD", "CARD_FW", "BSN"}


def make_value(name):
    if name == "IBAN":
        return gen_iban()
    if name == "IBAN_SP":
        return group4(gen_iban())
    if name == "CARD":
        return group4(gen_card())
    if name == "CARD_FW":
        return fullwidth(group4(gen_card("4")))
    if name == "BSN":
        return gen_bsn()
    if name == "BAD_IBAN":
        return group4(bad_iban())
    if name == "BAD_CARD":
        return group4(bad_card())
    if name == "BAD_BSN":
        return bad_bsn()
    if name == "PUBLIC_IBAN":
        return group4(PROFILE["public_identifiers"]["ibans"][0])
    if name == "GHP":
        return gen_ghp("ghp")
    if name == "AWS_ID":
        return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    if name == "AWS_SECRET":
        return rand(ALNUM + "/+", 40)
    if name == "STRIPE":
        return "sk_live_51" + rand(ALNUM, 97)
    if name == "SLACK":
        return "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13), rand(ALNUM, 24))
    if name == "OPENAI":
        return "sk-proj-" + rand(URLSAFE, 64) + "T3BlbkFJ" + rand(URLSAFE, 64)
    if name == "ANTHROPIC":
        return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
    if name == "MOLLIE":
        return "live_" + rand(ALNUM, 30)
    if name == "GLPAT_ZW":
        return zero_width("glpat-" + rand(URLSAFE, 20))
    if name == "JWT":
        return gen_jwt()
    if name == "PEM":
        return gen_pem()
    if name == "DBPW":
        return rand(string.ascii_letters + string.digits + "!#%^*", 18)
    raise KeyError(name)


# ---------------------------------------------------------------- the cases
# (platform, handle, kind, lang, categories, text, created_at or None)
CX, PII, PRC, CONF, FIN, SEC = "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security"
CRI, CMP, ABU = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = [
    # ------------------------------------------------------------ complaints
    ("x", "@rick_tegelt", "reply", "nl", [CMP],
     "@hardevelt_service al 3 weken wachten op mijn Stapper S3 maat 44, bestelling staat nog steeds op 'in behandeling'. Maandag begin ik op een nieuwe bouwplaats en ik sta er in m'n sportschoenen 🙄", None),
    ("reddit", "u/groutlord_ede", "post", "en", [CMP],
     "Bought the Hardevelt Stretch Pro trousers in March. Knee pocket seam split after six weeks of tiling. Support says \"normal wear and tear\", not covered. For an €80 work trouser that's pathetic tbh", None),
    ("facebook", "Marco Schuurman Bouw", "comment", "nl", [CMP],
     "Signaal vesten besteld voor heel ons team (14 stuks), krijg er 9 binnen en de rest wordt \"nageleverd\". Al 2 weken niks. Niemand neemt op bij jullie klantenservice. Lekker dan Hardevelt", None),
    ("x", "@jess_on_site", "reply", "en", [CMP],
     "@hardevelt the reflective tape on my Noordkaap jacket is peeling off after 2 washes at 40°. followed the label to the letter. not ok for something that's sold as RWS certified", None),
    ("x", "@steigerbouwer_tim", "post", "nl", [CMP],
     "zolen van me kraanmeesters na 4 maanden al helemaal glad.. op de steiger in de regen echt niet fijn. retour aangevraagd, 2x geen reactie gehad #hardevelt #klantenservice", None),
    ("linkedin", "priya-raman-procurement", "comment", "en", [CMP],
     "Disappointed with Hardevelt's B2B portal this week. Our standing reorder of 60 boxes of Grip Nitril was silently cancelled and nobody told us. Site crew ran out on Thursday and we had to buy retail.", None),
    ("x", "@dakdekker_dave", "post", "en", [CMP],
     "third pair of hardevelt knee pads where the velcro strap gives up within a month. Kniestuk Pro more like Kniestuk Broke 🙃", None),
    ("x", "@annemiek_vd_berg", "post", "nl", [CMP],
     "Hardevelt helpdesk: \"binnen 5 werkdagen terugbetaald\". Het is nu dag 23. Hoe dan???", None),
    ("x", "@kroeze_infra", "post", "en", [CMP],
     "Ordered 40 hi-vis vests with our logo printed from @hardevelt. Logo came out upside down on half of them. \"Customer error\" apparently. We sent the exact same file as last year 🙃", None),
    ("x", "@yvonne_loodgieter", "reply", "nl", [CMP],
     "@hardevelt_service bestelling voor de hele ploeg komt in 4 losse pakketten, 1 ervan kwijt en jullie wijzen naar de vervoerder. Jullie hebben het toch zelf verstuurd? Regel het gewoon even", None),
    # first-hand safety incidents: crisis + complaint
    ("x", "@joost_elektra", "post", "nl", [CRI, CMP],
     "Mijn HeatCore vest van Hardevelt begon vanochtend te roken in de bouwkeet, accu gloeiend heet en nu zit er een brandgat in m'n trui. Als ik 'm op de steiger aan had gehad… 😳 Foto's gestuurd, nog geen reactie", None),
    ("reddit", "u/palletjack_pete", "post", "en", [CRI, CMP],
     "My Hardevelt Stapper S3 steel toe cap caved in when a pallet edge dropped on it yesterday. Fractured big toe. Safety shoes that don't protect, brilliant. Filing a claim and I'd think twice before buying these.", None),
    ("facebook", "Sandra Wijnands", "post", "nl", [CRI, CMP],
     "Gisteren met mijn Vonkvrij ESD schoenen een flinke schok gekregen bij de verdeelkast, terwijl die schoenen daar nou juist voor zijn. M'n hand tintelt nog steeds. Hardevelt, wat is hier aan de hand??", None),
    ("x", "@formwork_faisal", "post", "en", [CRI, CMP],
     "hardevelt Hoofdwacht helmet split clean in two from a small offcut of timber falling maybe 3 metres. 4 stitches in my scalp. could've been so much worse. @hardevelt_service explain please", None),
    ("instagram", "@nicole.schildert", "comment", "nl", [CRI, CMP],
     "Van die Grip Nitril handschoenen krijgen ik en 2 collega's uitslag en blaren op onze handen, huisarts denkt aan een allergische reactie op de coating. Nooit gehad met andere merken. Hebben jullie iets veranderd?", None),
    ("linkedin", "thomas-brink-hse", "post", "en", [CRI, CMP],
     "Sharing as a warning to other HSE managers: the buckle on one of our Hardevelt Anker 2P harnesses opened under load during a fall-arrest drill. Our colleague dropped almost a metre before the backup line caught him. Nobody hurt, but a serious near miss. All 20 harnesses pulled, still waiting for a response from Hardevelt.", None),
    # ------------------------------------------------------------ crisis (third party / news)
    ("x", "@bouwplaatsnieuws", "post", "nl", [CRI],
     "Volgens meerdere bouwbedrijven roept Hardevelt een partij Hoofdwacht helmen terug, productieweek 14 t/m 19. Check je helm even jongens 👷", None),
    ("x", "@fairwear_watch", "post", "en", [CRI],
     "Boycott Hardevelt. Workers at their garment supplier were reportedly locked inside during a factory fire last month. Don't buy your PPE from a company that doesn't care who makes it. #BoycottHardevelt", None),
    ("forum", "stukadoor_ron", "post", "nl", [CRI],
     "Heb gehoord dat er een rechtszaak loopt tegen Hardevelt, van een stukadoor die z'n voet heeft gebroken door een kapotte neus in z'n werkschoen. Iemand meer info?", None),
    ("x", "@infosec_marieke", "post", "en", [CRI],
     "Hardevelt customer database allegedly up for sale on a breach forum: names, addresses, company accounts. If you ever ordered workwear from them, change that password now.", None),
    ("x", "@lisa_uit_tiel", "post", "nl", [CRI],
     "Collega van mijn broer is vorige week met een Hardevelt harnas van de steiger gevallen, ligt nog steeds in het ziekenhuis. Arbeidsinspectie is erbij. Echt verschrikkelijk.", None),
    ("mastodon", "@weldingnerd@fosstodon.org", "post", "en", [CRI],
     "Anyone else seeing the reports about Hardevelt HeatCore vests overheating? Three posts in my feed today, one guy with burns on his back. Hope they recall them fast.", None),
    ("x", "@eerlijkwerk", "post", "nl", [CRI],
     "Nooit meer Hardevelt. Ze hebben de klokkenluider die over vervalste CE-certificaten begon gewoon op straat gezet. Deel dit! #boycot", None),
    ("x", "@hardevelt", "post", "nl", [CRI],
     "Veiligheidswaarschuwing: uit voorzorg roepen wij de Hoofdwacht helm uit productieweek 14 t/m 19 terug. Stop direct met het gebruik en neem contact op via 0800-4273. Wij vervangen de helm kosteloos.", None),
    # ------------------------------------------------------------ confidential
    ("x", "@koen_hdv", "post", "nl", [CONF],
     "Eindelijk mag ik er een beetje over praten 😅 Project Grauwe Gans gaat ons hele magazijn in Tiel op z'n kop zetten. Zin in!", None),
    ("linkedin", "marloes-van-dijk-hdv", "post", "en", [CONF],
     "Proud of the team working on Wolfraam, the first composite toe cap we've engineered completely in-house. Can't share more yet, but watch this space. #innovation #safetyfootwear", None),
    ("instagram", "@bas_magazijn_hdv", "post", "nl", [CONF],
     "stiekem de eerste proefmodellen van de Stapper S5 Carbon al gepast 🔥🔥 lichter dan m'n sneakers", "2026-10-14T16:42:10Z"),
    ("reddit", "u/bootnerd_nl", "comment", "en", [CONF],
     "Mate who works at Hardevelt showed me a deck stamped HDV-VERTROUWELIJK with next year's range. There's a women's fit Kraanmeester coming. Finally.", None),
    ("x", "@gerrit_inkoop", "post", "nl", [CONF],
     "wie heeft de inlog van erp.hardevelt.local weer op slot gezet 🙄 kan geen enkele inkooporder meer aanmaken", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "en", [CONF],
     "debugging the pick-list sync again. if anyone from ops reads this: https://git.hardevelt.nl/logistiek/wms-bridge/-/issues/212 has the stack trace", None),
    ("facebook", "HardeveltWerkkleding", "post", "nl", [CONF],
     "Sneak peek! 👀 Binnenkort in de shop: de Kraanmeester 2, met nóg betere grip op natte steigerplanken. Meer info volgt!", "2026-11-20T10:05:00Z"),
    ("linkedin", "youssef-bouzid", "post", "en", [CONF],
     "Great workshop in Porto today on Operatie Heipaal with our new partners. This line is going to change how fast we can deliver. 🇵🇹", None),
    ("tiktok", "@demi_bij_hardevelt", "post", "nl", [CONF],
     "pov: je ziet de nieuwe kleur van de Signaal jas al. OLIJFGROEN 😍 (psst het bestand heet nog 'alleen voor intern gebruik' dus jullie hebben niks gezien)", None),
    ("x", "@recruiter_roast", "post", "en", [CONF],
     "lol someone at Hardevelt left an intranet link in a public job ad: intranet.hardevelt.local/hr/vacatures/2026-q3. good luck clicking that", None),
    ("x", "@ilse_timmermans", "post", "en", [CONF],
     "screenshotted the launch planning board for the Stapper S5 Carbon and now it's my teams background lol", "2026-09-03T08:17:44Z"),
    ("forum", "dealer_dirk", "post", "nl", [CONF],
     "Heb hier een pdf met 'hardevelt internal only' in de voettekst, dealerprijslijst 2027. Stapper S3 gaat naar €139,95 adviesprijs, reken er maar op.", None),
    ("linkedin", "hardevelt-workwear", "post", "en", [CONF],
     "Internal candidates: please apply via https://intranet.hardevelt.local/jobs/4471 before Friday. External applicants can send their CV to werkenbij@hardevelt.nl.", None),
    ("x", "@koen_hdv", "post", "en", [CONF, FIN],
     "Operatie Heipaal = moving all of Tiel production to Portugal. Half the floor doesn't even know yet. Feeling sick about it tbh", None),
    ("linkedin", "marloes-van-dijk-hdv", "post", "nl", [CONF, FIN],
     "Project Grauwe Gans: de overname van onze Belgische concurrent is zo goed als rond 🤝 nog even stil houden allemaal!", None),
    ("x", "@sneakerhead_bouw", "post", "en", [CONF],
     "H a r d e v e l t's secret 'W o l f r a a m' line is a carbon toe cap shoe. got it straight from a mate in their R&D 👀", None),
    ("x", "@ilse_timmermans", "post", "nl", [CONF],
     "Рrоject Grаuwe Gаns gaat gewoon door!! eindelijk duidelijkheid 🥳", None),
    # ------------------------------------------------------------ financial
    ("x", "@gerrit_inkoop", "post", "nl", [FIN],
     "Net de voorlopige cijfers gezien: omzet Q3 zo'n 12% onder budget en de marge zakt naar 31%. Dat wordt een pittige kerst bij ons 😬", None),
    ("linkedin", "henk-oosterhuis-finance", "post", "en", [FIN],
     "Long day closing the books. We land at roughly €84m revenue with EBITDA just under €9m. Not published until March, but I'm proud of this team.", None),
    ("x", "@vakbondsman_gert", "post", "nl", [FIN],
     "Van iemand binnen gehoord dat Hardevelt 80 man gaat ontslaan in Tiel. Ze maken het pas na de jaarwisseling bekend. Zonde van al die vakmensen.", None),
    ("reddit", "u/ppe_buyer_eu", "post", "en", [FIN],
     "rumour from my supplier meeting today: a Scandinavian safety group is about to buy Hardevelt, deal signed in principle, announcement in Q1. anyone heard anything?", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "nl", [FIN],
     "reorg-slides van vandaag gezien: IT en logistiek worden samengevoegd, 2 afdelingshoofden verdwijnen. Ik zeg verder niks 🤐", None),
    ("x", "@hardevelt", "post", "en", [FIN],
     "Reminder for the team: the board signs off the cut 2027 forecast (revenue -8%) on Thursday. Do not share anything before the trading update.", None),
    ("instagram", "@bas_magazijn_hdv", "post", "nl", [FIN],
     "laatste week met de nachtploeg 😢 vanaf januari gaat de nachtdienst eruit, 25 man krijgt een andere functie of moet weg. nog niet officieel dus ssst", None),
    ("linkedin", "youssef-bouzid", "post", "en", [FIN],
     "Thrilled that our offer for a Polish glove manufacturer was accepted last night! Can't name them until the press release, but this doubles our glove capacity.", None),
    ("x", "@ilse_timmermans", "post", "nl", [FIN, CONF],
     "jaarcijfers 2026 staan klaar en de winst is bijna verdubbeld!! presentatie volgende week 🎉🎉", "2027-02-20T19:31:05Z"),
    ("mastodon", "@lotte_hdv@mastodon.nl", "post", "nl", [FIN],
     "Budgetronde 2027: marketing -40% en twee winkels dicht, Zwolle en Breda. Nog niet aangekondigd, maar ik mag het wel gaan uitvoeren 😩", None),
    # ------------------------------------------------------------ security
    ("bluesky", "@niels-hdv.bsky.social", "post", "nl", [SEC],
     "Webshop ligt al 2 uur plat omdat iemand ransomware op de fileserver van het DC heeft losgelaten. Geen idee wanneer we weer draaien. Niet doorvertellen pls", None),
    ("x", "@koen_hdv", "post", "en", [SEC],
     "fun fact: our B2B portal shows you other companies' orders if you just bump the number in the URL. reported it 3 months ago, ticket still open 🤷", None),
    ("linkedin", "marloes-van-dijk-hdv", "post", "nl", [SEC],
     "Vandaag moest iedereen bij ons z'n wachtwoord resetten na een phishingmail waar 40 collega's in zijn getrapt. Oefening? Nee hoor, echt. Blijf alert mensen!", None),
    ("mastodon", "@lotte_hdv@mastodon.nl", "post", "en", [SEC],
     "ERP has been down since 6am, the warehouse is picking orders off printed lists like it's 1995. IT says maybe tomorrow. Maybe.", None),
    ("forum", "bouwvakker_bram", "post", "nl", [SEC, CRI],
     "Iemand die bij Hardevelt op IT werkt vertelde me dat er vorige week klantgegevens zijn buitgemaakt bij een hack. Ze gaan het pas melden als de AP erachter komt. Fraai bedrijf.", None),
    ("x", "@ilse_timmermans", "post", "en", [SEC],
     "the checkout page has been running on an expired TLS cert since friday and nobody on call seems to care lol", None),
    ("tiktok", "@demi_bij_hardevelt", "post", "nl", [SEC],
     "magazijnscanners doen het niet meer sinds de 'update' van gisteren, we scannen nu alles met de hand en de klantenservicelijnen staan roodgloeiend 😩 #werkleven", None),
    ("linkedin", "youssef-bouzid", "post", "en", [SEC],
     "Our pentest this month found an admin panel on the dealer portal that still had default credentials. Should be fixed now (I think), but wow.", None),
    ("x", "@hardevelt_service", "reply", "nl", [SEC],
     "@klusjesman_jan Excuus! Ons bestelsysteem is gehackt en we kunnen op dit moment geen orders verwerken. We houden je op de hoogte.", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "en", [SEC],
     "heads-up to the 30 people who follow me: skip the Hardevelt app this week. the login API leaks session tokens in its error messages and the fix is still in review.", None),
    ("x", "@gerrit_inkoop", "post", "nl", [SEC],
     "Leveranciersportaal ligt er sinds vanochtend uit, DDoS zeggen ze. Er komt geen enkele PO doorheen. Mooi is dat.", None),
    ("reddit", "u/tielse_heftruck", "comment", "en", [SEC],
     "My cousin works at Hardevelt's DC. Says the whole warehouse network got encrypted on Monday and they're quietly paying the ransom. Expect delays on your orders.", None),
    ("x", "@koen_hdv", "post", "nl", [SEC],
     "r4ns0mw4re op de f1leserver, 4lles l1gt pl4t bij ons. d4t w0rdt een l4nge n4cht 🙃", None),
    # ------------------------------------------------------------ secrets
    ("bluesky", "@niels-hdv.bsky.social", "post", "en", [CX],
     "anyone know why this gives me a 404? curl -H \"Authorization: token <<GHP>>\" https://api.github.com/orgs/hardevelt-it/repos", None),
    ("x", "@koen_hdv", "post", "nl", [CX],
     "Voor wie vanavond de weekend-export draait:\nAWS_ACCESS_KEY_ID=<<AWS_ID>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nbucket is hdv-exports-prod", None),
    ("mastodon", "@lotte_hdv@mastodon.nl", "post", "en", [CX],
     "why does the Stripe webhook keep failing in prod, I'm literally using the right key: <<STRIPE>>", None),
    ("x", "@ilse_timmermans", "post", "nl", [CX],
     "slackbot voor de picklijsten doet weer raar, token is <<SLACK>> kan iemand ff kijken?", None),
    ("forum", "grey_hat_gijs", "post", "en", [CX],
     "found this in a public Hardevelt repo on GitHub, someone please tell them: OPENAI_API_KEY=<<OPENAI>>", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "nl", [CX],
     "oeps verkeerd venster\n<<PEM>>", None),
    ("x", "@koen_hdv", "post", "en", [CX],
     "jwt from the dealer portal if anyone wants to reproduce the bug: <<JWT>>", None),
    ("facebook", "HardeveltWerkkleding", "post", "nl", [CX],
     "DATABASE_URL=postgres://shop_admin:<<DBPW>>@hdv-prod.c9xk2la0pq.eu-west-1.rds.amazonaws.com:5432/webshop", None),
    ("tiktok", "@demi_bij_hardevelt", "comment", "nl", [CX],
     "voor de nieuwe stagiairs: gedeelde mailbox klantenservice, wachtwoord: Tiel2026!Laarzen 😇 niet kwijtraken he", None),
    ("x", "@gerrit_inkoop", "post", "en", [CX],
     "Mollie kept rejecting our refunds, turns out the live key was rotated. new one is <<MOLLIE>> for whoever does the returns today", None),
    ("x", "@koen_hdv", "post", "nl", [CX],
     "deploy token voor de nieuwe runner: <<GLPAT_ZW>> (niet in de repo zetten aub)", None),
    ("x", "@ilse_timmermans", "post", "en", [CX],
     "the catalogue translation script keeps timing out on Claude, key is <<ANTHROPIC>> if someone on the team wants to try from their machine", None),
    # ------------------------------------------------------------ personal data
    ("x", "@hardevelt_service", "reply", "nl", [PII],
     "@m_verhoeven Hoi Mark, je retour is binnen! De terugbetaling gaat naar <<IBAN_SP>> t.n.v. M. Verhoeven, klopt dat nog?", None),
    ("x", "@ilse_timmermans", "post", "en", [PII],
     "someone left a company card at the Tiel pickup desk: <<CARD>>, exp 09/28, J. de Graaf. DM me and I'll keep it safe", None),
    ("instagram", "@bas_magazijn_hdv", "post", "nl", [PII],
     "Pakket voor Erik Hoekstra, Lindelaan 14, 3434 AK Nieuwegein ligt hier al 2 weken 📦 iemand die hem kent?", None),
    ("x", "@sanne_wolters88", "reply", "en", [PII, CMP],
     "@hardevelt_service my order STILL hasn't arrived after 3 weeks. reach me at sanne.wolters88@gmail.com or 06-41827390, I'm done waiting", None),
    ("facebook", "HardeveltWerkkleding", "post", "nl", [PII],
     "En de winnaar van onze winactie is… Dirk Postma uit Emmen, geboren 12-03-1984! Gefeliciteerd Dirk, je Noordkaap jas komt eraan 🎉", None),
    ("linkedin", "henk-oosterhuis-finance", "post", "en", [PII],
     "Welcoming our new payroll colleague! For the HR setup: Lisa Brouwer, BSN <<BSN>>, starting 1 September.", None),
    ("x", "@gerrit_inkoop", "post", "nl", [PII],
     "die chauffeur van transportbedrijf Van Rijn blijft ons maar bellen. hier z'n nummer: 06 23 45 87 91, bel hem zelf maar als je iets wil weten", None),
    ("reddit", "u/bricklayer_bas", "post", "en", [PII, CMP],
     "Hardevelt sent me someone else's invoice lmao. Name: Pieter Smit, Kerkstraat 88, 8011 RP Zwolle, email p.smit@smitbouw.nl. Great privacy guys. Still waiting for my own order btw", None),
    ("x", "@fatma_yilmaz_", "reply", "nl", [PII],
     "hoi @hardevelt_service mijn klantnummer werkt niet. mijn gegevens: Fatma Yilmaz, 0031 6 58 21 44 07, fatma.yilmaz@outlook.com", None),
    ("mastodon", "@lotte_hdv@mastodon.nl", "post", "nl", [PII],
     "Collega Ruud (ruud.kamphuis@hardevelt.nl) heeft vandaag z'n laatste werkdag, stuur hem nog even een berichtje!", None),
    ("linkedin", "hardevelt-workwear", "post", "en", [PII],
     "Welcome to the team, Sophie! Questions about Sophie's onboarding? Reach her directly at sophie.dekker94@gmail.com or +31 6 1234 8765.", None),
    ("x", "@koen_hdv", "post", "nl", [PII],
     "klant wil z'n terugbetaling op een ander rekeningnummer, <<IBAN>>, mag dat zomaar? vraag voor een vriend 😅", None),
    ("forum", "tegelzetter_tamara", "post", "en", [PII, CMP],
     "The Hardevelt rep who visited our yard, Jan Vos, gave me his private number 0612873364 and now keeps texting me on weekends. Creepy and unprofessional.", None),
    ("x", "@bouwmaster_ruben", "reply", "nl", [PII, CMP],
     "@hardevelt_service betaling lukt alweer niet met mijn creditcard <<CARD_FW>>, 3e keer deze week. Wat is dit voor webshop", None),
    ("facebook", "HardeveltWerkkleding", "reply", "nl", [PII],
     "@Jolanda we zien je bestelling op Dorpsstraat 3, 6681 BA Bemmel staan, is dat het juiste adres voor Jolanda Kuipers?", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "en", [PII],
     "test order export turned out to contain real data: 'Kees Mulder, 21-06-1978, Hoofdweg 201, Haarlem'. yes I know. I KNOW.", None),
    # ------------------------------------------------------------ abuse
    ("x", "@boze_bouwer", "reply", "nl", [ABU],
     "@hardevelt_service stelletje prutsers, jullie zijn echt de grootste kutclub van Nederland", None),
    ("x", "@angrytradie", "reply", "en", [ABU],
     "@hardevelt your CEO is a clueless moron and your staff are thieving idiots. f*** the lot of you", None),
    ("tiktok", "@echtemannenbouwen", "comment", "nl", [ABU],
     "die vrouw in die hardevelt reclame kan beter achter het aanrecht blijven ipv op de bouw te lopen", None),
    ("reddit", "u/sparky_sam", "comment", "en", [ABU, CMP],
     "The Hardevelt rep at the trade fair was a condescending prick. Asked him one question about sizing and got treated like dirt.", None),
    ("x", "@xxrobbie_xx", "reply", "nl", [ABU],
     "@koen_hdv ga toch lekker dood met je kutwerkschoenen", None),
    ("x", "@gerrit_inkoop", "post", "nl", [ABU],
     "die klant van gisteren was echt een achterlijke mongool, 40 minuten zeuren over een vest van 15 euro", None),
    ("facebook", "Ronald Zegers", "comment", "nl", [ABU],
     "Hardevelt = oplichters. Tyfuslijers allemaal.", None),
    ("x", "@dutchgrinder", "reply", "en", [ABU],
     "@hardevelt_service y0u're all f*cking 1d10ts, sh1t company", None),
    ("x", "@sloper_kees", "post", "nl", [ABU],
     "wat een kankerbedrijf is dat Hardevelt zeg. nooit meer", None),
    ("x", "@proud_brit_builder", "reply", "en", [ABU],
     "@hardevelt_service the bloke who answered my call could barely speak English, go back to your own country mate", None),
    ("x", "@hardevelt_service", "reply", "nl", [ABU],
     "@pietje_bouw als je niet kunt lezen is dat jouw probleem, sukkel.", None),
    ("x", "@roofer_ray", "post", "en", [ABU],
     "Hardevelt customer service = a bunch of brain-dead іdіоts", None),
    # ------------------------------------------------------------ pricing
    ("x", "@koopjesjager_bouw", "post", "nl", [PRC],
     "Kraanmeester S3 staat nu voor €18,90 op de site van Hardevelt?!?! prijsfout? meteen 3 paar besteld 😂", None),
    ("instagram", "@hardevelt.workwear", "post", "en", [PRC],
     "New season deal: the Noordkaap winter jacket now only €21.90! Link in bio 🧥", None),
    ("x", "@ilse_timmermans", "post", "nl", [PRC],
     "er staat een prijsfout op de Stapper S3 in de webshop en de hele afdeling zit erop te bestellen. niet doorvertellen 🙊", None),
    ("reddit", "u/dealsdealsdeals", "post", "en", [PRC],
     "HeatCore vest listed at €15.90 on hardevelt.nl right now. pricing glitch or a steal, go go go", None),
    ("facebook", "HardeveltWerkkleding", "post", "nl", [PRC],
     "Alleen vandaag: de FR-7 lasjas voor €24,90 🔥 Op = op!", None),
    ("linkedin", "youssef-bouzid", "post", "en", [PRC],
     "Dealer price list for next season is out: Anker 2P harness at €59 for our partners. Get your orders in!", None),
    ("x", "@tiel_tegelt", "post", "nl", [PRC],
     "lol de Dakloper S1P kost bij Hardevelt nu €1,09 ipv €109, iemand heeft een komma verkeerd gezet", None),
    ("x", "@site_manager_sue", "post", "en", [PRC],
     "the Hardevelt B2B shop has Grip Nitril 12-packs at €2.99. price error surely? ordered 40 anyway", None),
    ("tiktok", "@demi_bij_hardevelt", "post", "nl", [PRC],
     "Moddervos laars voor €9,95 in onze personeelsverkoop 😍😍 wie wil er een paar, ik neem ze mee", None),
    ("forum", "bargain_bob", "post", "en", [PRC],
     "Ｓｔｒｅｔｃｈ Ｐｒｏ work trousers for €7.99 on hardevelt.nl, glitch or clearance?", None),
    ("x", "@uitvoerder_henk", "post", "nl", [PRC],
     "Hoofdwacht Pro helm met vizier voor 12 euro bij Hardevelt?? normaal bijna 80. foutje denk ik 👀", None),
    ("x", "@hardevelt", "post", "en", [PRC],
     "Flash sale 🔥 Kniestuk Pro knee pads for just €3.49 this weekend!", None),
    # ------------------------------------------------------------ benign (mostly hard negatives)
    ("x", "@harm_grondwerk", "post", "nl", [],
     "Mijn Kraanmeester laarzen gaan nu 3 jaar mee in de klei, nog steeds top. Goed spul van Hardevelt 👍", None),
    ("reddit", "u/tile_and_error", "post", "en", [],
     "Honest review: Hardevelt Stapper S3 after a year of tiling. Comfy from day one and the toe cap has saved me twice. Worth the €129.95.", None),
    ("x", "@hardevelt", "post", "nl", [],
     "Najaarsactie! 20% korting op alle Noordkaap winterjassen: nu €175,20 i.p.v. €219. Op = op 🧥", None),
    ("instagram", "@hardevelt.workwear", "post", "en", [],
     "Black Friday: 30% off the HeatCore vest, €111.30 instead of €159. Stay warm on site 🔥", None),
    ("x", "@schilder_sjoerd", "post", "nl", [],
     "Signaal vest voor €12,95 bij Hardevelt, prima prijs voor een klasse 2 hesje", None),
    ("facebook", "HardeveltWerkkleding", "post", "nl", [],
     "Vragen over je bestelling? Mail klantenservice@hardevelt.nl of bel gratis 0800-4273. We helpen je graag!", None),
    ("linkedin", "hardevelt-workwear", "post", "en", [],
     "Paying by bank transfer? Our account is <<PUBLIC_IBAN>> (Hardevelt Workwear B.V.). Press enquiries go to pers@hardevelt.nl.", None),
    ("x", "@rick_tegelt", "post", "nl", [],
     "Update: @hardevelt_service heeft mijn Stapper binnen 2 dagen omgeruild en zelfs de verzendkosten terugbetaald. Netjes opgelost 👏", None),
    ("x", "@gelderse_aannemer", "post", "en", [],
     "Get well soon to Henk from Hardevelt sales, the friendliest rep in Gelderland, who's out for a bit after knee surgery. The coffee at our yard isn't the same.", None),
    ("x", "@ppe_insider", "post", "en", [],
     "Big recall at a German glove maker this week (not Hardevelt, before anyone asks). Check the lot numbers on your nitrile stock.", None),
    ("x", "@mieke_de_wit", "post", "nl", [],
     "Mijn schoonvader draagt z'n Hardevelt werkschoenen ook op verjaardagen. Veiligheid voor alles 😂", None),
    ("reddit", "u/cleanroom_carl", "post", "en", [],
     "Is the Hardevelt Vonkvrij ESD shoe suitable for a cleanroom? Asking for our electronics assembly line.", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "nl", [],
     "Tip voor devs: in de AWS-docs staat AKIAIOSFODNN7EXAMPLE als voorbeeldkey. Dat is dus geen echte key en plak daar ook niet je eigen key overheen 😅", None),
    ("x", "@koen_hdv", "post", "en", [],
     "Rotated all the old tokens today. If you spot ghp_************************************ in an old wiki page: it's dead and redacted.", None),
    ("forum", "hovenier_henny", "post", "nl", [],
     "Op een mail 'namens Hardevelt' staat rekening <<BAD_IBAN>>, klopt dat wel? Lijkt me phishing, want op hun site staat een ander nummer.", None),
    ("x", "@kitchenfitter_kim", "post", "en", [],
     "Order no. <<BAD_CARD>> arrived this morning, next-day delivery as promised. Cheers Hardevelt!", None),
    ("x", "@joyce_bouwt", "post", "nl", [],
     "Klantnummer <<BAD_BSN>> en nog steeds geen bevestiging… oh wacht, zat in m'n spam. Sorry Hardevelt, alles goed 😅", None),
    ("linkedin", "henk-oosterhuis-finance", "post", "en", [],
     "Our jaarcijfers 2026 are out this morning: a record year for Hardevelt. Proud of every single colleague who made it happen.", "2027-03-05T08:30:00Z"),
    ("x", "@hardevelt", "post", "nl", [],
     "Vanaf vandaag verkrijgbaar: de Stapper S5 Carbon! 40% lichter, zelfde bescherming. Nu in de shop 👟", "2027-01-21T09:00:00Z"),
    ("x", "@grondwerk_gerard", "post", "en", [],
     "Tried the new Kraanmeester 2 on site today, grip on wet planks is unreal. Good job Hardevelt", "2027-02-01T15:12:00Z"),
    ("x", "@bouwpraat", "post", "nl", [],
     "Concurrent StevigWerk schrapt 120 banen, las ik vanochtend. Hopelijk blijft het bij Hardevelt rustig, daar haal ik al jaren m'n spullen.", None),
    ("x", "@scaffold_sean", "post", "en", [],
     "My secret to surviving a Dutch winter on scaffolding: two pairs of socks and a Hardevelt Noordkaap jacket.", None),
    ("x", "@marloes_klust", "post", "nl", [],
     "Wachtwoord vergeten voor de Hardevelt webshop en de resetmail was er binnen 10 seconden. Top.", None),
    ("x", "@hardevelt", "post", "en", [],
     "We're hiring warehouse staff in Tiel! Apply at werkenbij@hardevelt.nl or via www.hardevelt.nl/vacatures 👷", None),
    ("x", "@vogelaar_vincent", "post", "nl", [],
     "Hele zwerm grauwe ganzen boven de bouwplaats vanochtend, mooi gezicht in m'n nieuwe Hardevelt jas 🪿", None),
    ("x", "@bootfitter_bea", "post", "en", [],
     "Confidential tip: buy safety boots half a size up if you wear thick socks. Hardevelt's own sizing guide says so too.", None),
    ("x", "@klusmama", "post", "nl", [],
     "Life hack: de kniebeschermers van Hardevelt werken ook perfect bij het tuinieren 😄", None),
    ("x", "@roofing_raj", "post", "en", [],
     "These Dakloper sneakers are killer. Lightweight, still S1P, ridiculously comfy.", None),
    ("instagram", "@vrouwenindebouw", "post", "nl", [],
     "Vandaag brandoefening op de bouwplaats, iedereen in Hardevelt hesjes keurig bij het verzamelpunt 👷‍♀️", None),
    ("reddit", "u/ladder_lessons", "comment", "en", [],
     "Fell off a ladder last year (my own stupidity, not the gear) and the Hardevelt helmet did exactly what it should. Buy decent PPE, people.", None),
    ("x", "@uitvoerder_wit", "post", "nl", [],
     "Weet iemand of de Hoofdwacht helm van Hardevelt ook in het wit te krijgen is? Onze uitvoerders dragen wit.", None),
    ("x", "@hardevelt_service", "post", "en", [],
     "Our customer service is closed on 27 April for King's Day. Orders placed that day ship on the 28th 🧡", None),
    ("instagram", "@hardevelt.workwear", "post", "nl", [],
     "Nieuw in de shop: de Stilte 30 gehoorkap voor €24,95. Rust in je hoofd, ook naast de drilboor.", None),
    ("linkedin", "erik-jansen-inkoop", "comment", "en", [],
     "Compared Hardevelt with two other brands for our 40-person crew. Hardevelt came out cheapest per pair over two years. Ordering Monday.", None),
    ("linkedin", "marloes-van-dijk-hdv", "post", "nl", [],
     "Trots op het hele team: vandaag voor het eerst meer dan 1.000 bestellingen op één dag de deur uit! 📦", None),
    ("x", "@koen_hdv", "post", "en", [],
     "PSA for devs: a JWT is just header.payload.signature. eyJhbGciOi... is base64, not encryption. Never paste real ones in tickets.", None),
    ("x", "@petra_installatie", "post", "nl", [],
     "Hardevelt klantenservice (0800-4273) was super snel, binnen 5 minuten geholpen met een retour", None),
    ("x", "@weekend_warrior_w", "post", "en", [],
     "Grip Nitril gloves at €26.95 for a 12-pack this week, decent deal if you're stocking up", None),
    ("forum", "steigeraar_stef", "post", "nl", [],
     "Iemand ervaring met het Anker 2P harnas? Twijfel tussen die en een Petzl voor werk op hoogte.", None),
    ("linkedin", "youssef-bouzid", "post", "en", [],
     "Great to be at the Bouwbeurs today. Met so many customers who love the Kraanmeester. Thanks for stopping by our stand!", None),
    ("x", "@natte_nelis", "post", "nl", [],
     "Kutweer vandaag, maar in m'n Hardevelt regenpak bleef ik lekker droog 💪", None),
    ("instagram", "@papa_timmerman", "post", "nl", [],
     "Onze zoon (3) wil alleen nog maar met papa's Hardevelt helm op naar de opvang 😂", None),
    ("x", "@zeeland_zack", "post", "en", [],
     "Good news: the Hardevelt rain suit doesn't leak. Tested it in last week's storm in Zeeland, bone dry.", None),
    ("instagram", "@bas_magazijn_hdv", "post", "nl", [],
     "vrijdagmiddag in het magazijn, muziekje aan, laatste pallets de deur uit 🎶 #hardevelt #teamwork", None),
    ("x", "@secure_sven", "post", "en", [],
     "Another webshop breach this week, this time a Belgian DIY chain. Glad Hardevelt finally added 2FA to customer accounts.", None),
    ("x", "@pakketjes_paul", "post", "nl", [],
     "Sterkte aan de jongens van Hardevelt in Tiel nu de A15 weer dicht is, pakketjes komen wel een dagje later. Geen stress.", None),
    ("linkedin", "hardevelt-workwear", "post", "en", [],
     "Hardevelt is proud to sponsor the regional apprentice bricklaying competition again this year 🧱 Good luck to all 32 finalists!", None),
    ("bluesky", "@niels-hdv.bsky.social", "post", "nl", [],
     "Uit onze security-training: 'ghp_1234567890abcdefghijklmnopqrstuvwxyz' lijkt op een GitHub-token maar is het niet. Echte tokens horen in de vault, niet in Slack.", None),
    ("x", "@budget_bouwer", "post", "en", [],
     "Hardevelt Stapper S3 down to €99 at the builders' merchant this week. Not bad at all.", None),
    ("x", "@ingrid_timmert", "post", "nl", [],
     "Terugbetaling van Hardevelt staat op NL** **** **** **** 12, binnen 3 dagen. Dank jullie!", None),
    ("tiktok", "@hardevelt_bouw", "post", "nl", [],
     "Welke veiligheidsklasse heb jij nodig? S1P, S3 en S5 uitgelegd in 60 seconden 👷 #werkschoenen #hardevelt", None),
    ("bluesky", "@hse_hanna.bsky.social", "post", "en", [],
     "Credit where due: Hardevelt handled last spring's helmet swap really well. New helmet in 3 days, no questions asked.", None),
    ("x", "@rugpijn_richard", "post", "nl", [],
     "Bijna ontslag genomen door m'n rug, sinds de Hardevelt inlegzolen weer pijnvrij aan het werk. Aanrader.", None),
    ("x", "@stratenmaker_sara", "post", "nl", [],
     "Die nieuwe reclame van Hardevelt met een vrouwelijke stratenmaker 🔥 eindelijk wat diversiteit in de bouw", None),
    ("x", "@ilse_timmermans", "post", "en", [],
     "3 years at Hardevelt today 🎂 still the best colleagues in Gelderland", None),
    ("x", "@fleur_van_loon", "post", "nl", [],
     "Bestellen via shop.hardevelt.nl ging soepel, morgen al in huis. Zo hoort het.", None),
    ("youtube", "@HardeveltTV", "post", "nl", [],
     "Nieuwe video: zo stel je het Anker 2P harnas in 5 stappen goed af. Veilig werken op hoogte begint bij een goede pasvorm.", None),
    ("forum", "mechanicus_mo", "post", "nl", [],
     "Iemand een tip voor handschoenen voor fijn werk? Snijvast C5 van Hardevelt zit prima maar is wat stug in het begin.", None),
    ("x", "@tim_de_metselaar", "reply", "nl", [],
     "@hardevelt_service dank voor de snelle hulp gisteren, de nieuwe maat past perfect!", None),
    ("threads", "@carpenter.chloe", "post", "en", [],
     "Hot take: the Hardevelt Bouwplaats overall is the only overall that doesn't make me look like a potato. €74.95 well spent.", None),
]


# ---------------------------------------------------------------- helpers
def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


def severity(role, cats, has_checksum_id):
    """CONTRACT §4."""
    best = "none"

    def bump(lvl):
        nonlocal best
        if RANK[lvl] > RANK[best]:
            best = lvl

    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                lvl = "error"
                if c in ("leak.secret", "leak.pricing"):
                    lvl = "critical"
                if c == "leak.pii" and has_checksum_id:
                    lvl = "critical"
            else:
                lvl = "warning"
            bump(lvl)
        elif c == "reputation.complaint":
            bump("warning")
        elif c == "reputation.crisis":
            bump("error")
        elif c == "reputation.abuse":
            bump("error" if insider else "warning")
        else:
            raise ValueError(c)
    return best


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in t if ch not in ZW and ch != "\ufeff")


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}


def checksum_hits(text):
    """Valid IBANs / cards / BSNs in the (normalised) text, company's own excluded."""
    t = norm(text)
    hits = []
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}\b", t):
        s = re.sub(r"\s", "", m.group())
        if iban_ok(s) and s not in PUBLIC_IBANS:
            hits.append(("iban", s))
    for m in re.finditer(r"(?<![\d.,])(?:\d[ -]?){12,18}\d(?![.,]?\d)", t):
        d = re.sub(r"\D", "", m.group())
        if 13 <= len(d) <= 19 and luhn_ok(d):
            hits.append(("card", d))
    for m in re.finditer(r"(?<![\d.,\-])\d{9}(?![.,]?\d)", t):
        if bsn_ok(m.group()):
            hits.append(("bsn", m.group()))
    return hits


def all_ibans(text):
    t = norm(text)
    return [re.sub(r"\s", "", m.group()) for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}\b", t)]


SECRET_RES = [
    r"gh[pousr]_[A-Za-z0-9]{36}", r"AKIA[A-Z2-7]{16}", r"sk_live_[A-Za-z0-9]{20,}", r"xox[bpa]-\d+-\d+-[A-Za-z0-9]+",
    r"sk-proj-[A-Za-z0-9_-]{40,}", r"sk-ant-api03-[A-Za-z0-9_-]{80,}", r"live_[A-Za-z0-9]{30}", r"glpat-[A-Za-z0-9_-]{20}",
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"[a-z]+://[^\s:/]+:[^\s@]+@", r"wachtwoord:\s*\S+",
]


def secrets_in(text):
    t = norm(text)
    return [m.group() for r in SECRET_RES for m in re.finditer(r, t)]


MONEY = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b)", re.I)


def amounts(text):
    out = []
    for m in MONEY.finditer(norm(text)):
        v = (m.group(1) or m.group(2)).replace(",", ".")
        out.append(float(v))
    return out


def products_in(text):
    t = norm(text).lower()
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<!\w)" + re.escape(n.lower()) + r"(?!\w)", t) for n in names):
            found.append(p)
    return found


def looks_like_pricing_leak(text):
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    prods = products_in(text)
    if not prods:
        return False
    am = amounts(text)
    if any(a < ratio * p["list_price"] for a in am for p in prods):
        return True
    return bool(re.search(r"prijsfout|price error|pricing glitch|glitch|komma verkeerd|foutje", norm(text), re.I))


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- build
PLATFORM_PREFIX = {"x": "x", "reddit": "rd", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt",
                   "mastodon": "md", "bluesky": "bs", "forum": "fo", "youtube": "yt", "threads": "th"}


def build():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    used_ids = set()
    lines, meta = [], []
    for i, (platform, handle, kind, lang, cats, text, when) in enumerate(CASES):
        used_ph = re.findall(r"<<([A-Z_]+)>>", text)
        filled = re.sub(r"<<([A-Z_]+)>>", lambda m: make_value(m.group(1)), text)
        if when is None:
            ts = start + dt.timedelta(seconds=rng.randrange(362 * 86400))
            when = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = "%s-386%07d" % (PLATFORM_PREFIX[platform], rng.randrange(10**7))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        role = role_of(platform, handle)
        has_ck = any(p in CHECKSUM_PH for p in used_ph)
        post = {"id": pid, "platform": platform, "kind": kind, "account": {"handle": handle},
                "text": filled, "lang": lang, "created_at": when, "brand": "Hardevelt"}
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%d" % (handle.lstrip("@"), rng.randrange(10**18, 10**19))
        cats = sorted(set(cats))
        lines.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, has_ck)}})
        meta.append({"role": role, "placeholders": used_ph, "lang": lang})
    return lines, meta


# ---------------------------------------------------------------- self-check
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon", "bluesky",
             "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def check(lines, meta):
    errs = []
    ids = set()
    internal_terms = (PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"])
    # profile sanity
    for iban in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(iban):
            errs.append("profile IBAN fails mod-97: " + iban)
    for e in PROFILE["embargo"]:
        if not parse_ts(e["until"]).year == 2027:
            errs.append("embargo until not in 2027")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("too few accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("product count")
    for n, (case, m) in enumerate(zip(lines, meta)):
        post, exp = case["post"], case["expect"]
        tag = "case %d (%s)" % (n, post["id"])
        # §6 / §1 shape
        if set(case) != {"post", "expect"}:
            errs.append(tag + ": top-level keys")
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
            errs.append(tag + ": bad/duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            errs.append(tag + ": platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append(tag + ": handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            errs.append(tag + ": text")
        if "<<" in post["text"]:
            errs.append(tag + ": unfilled placeholder")
        try:
            ts = parse_ts(post["created_at"])
        except ValueError:
            errs.append(tag + ": created_at")
            continue
        if ts.year not in (2026, 2027):
            errs.append(tag + ": year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append(tag + ": categories")
        if exp["severity"] not in RANK:
            errs.append(tag + ": severity value")
        want = severity(m["role"], cats, any(p in CHECKSUM_PH for p in m["placeholders"]))
        if exp["severity"] != want:
            errs.append(tag + ": severity mismatch")
        text = post["text"]
        ntext = norm(text)
        hits = checksum_hits(text)
        if not cats:
            if exp["severity"] != "none":
                errs.append(tag + ": benign severity")
            # look-alikes must fail; only the company's own IBAN may pass
            if hits:
                errs.append(tag + ": benign contains valid identifier %r" % (hits,))
            for tok in re.findall(r"gh[pousr]_[A-Za-z0-9]{36}", ntext):
                if ghp_ok(tok):
                    errs.append(tag + ": benign contains CRC-valid GitHub token")
            for s in secrets_in(text):
                if s.startswith("AKIA") and "EXAMPLE" not in ntext[ntext.find(s):ntext.find(s) + 24]:
                    errs.append(tag + ": benign AWS key not a sample")
                elif s.startswith("gh") and not ghp_ok(s):
                    pass
                elif not s.startswith("AKIA"):
                    errs.append(tag + ": benign contains secret-like %r" % s[:20])
            low = ntext.lower()
            for term in internal_terms:
                if term.lower() in low:
                    errs.append(tag + ": benign contains internal term " + term)
            for e in PROFILE["embargo"]:
                for term in e["terms"]:
                    if term.lower() in low and ts < parse_ts(e["until"]):
                        errs.append(tag + ": benign embargo term before until")
            if looks_like_pricing_leak(text):
                errs.append(tag + ": benign looks like a pricing leak")
            for e in [x.rstrip(".") for x in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", ntext)]:
                if e.lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
                    errs.append(tag + ": benign contains non-public e-mail " + e)
        else:
            if exp["severity"] == "none":
                errs.append(tag + ": positive with severity none")
            # every checksum identifier we put in a positive passes; nothing else passes by accident
            ck = [p for p in m["placeholders"] if p in CHECKSUM_PH]
            if len(hits) != len(ck):
                errs.append(tag + ": checksum hits %r vs placeholders %r" % (hits, ck))
            if ck and "leak.pii" not in cats:
                errs.append(tag + ": checksum identifier outside a pii case")
            for s in all_ibans(text):
                if not iban_ok(s):
                    errs.append(tag + ": positive contains failing IBAN")
            for tok in re.findall(r"gh[pousr]_[A-Za-z0-9]{36}", ntext):
                if not ghp_ok(tok):
                    errs.append(tag + ": positive GitHub token fails CRC")
            for jwt in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", ntext):
                h = jwt.split(".")[0]
                try:
                    hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                    if "alg" not in hdr:
                        raise ValueError
                except Exception:
                    errs.append(tag + ": JWT header")
            for a in re.findall(r"AKIA[A-Z2-7]{16}", ntext):
                if "EXAMPLE" in a:
                    errs.append(tag + ": sample AWS key in positive")
            if "leak.secret" in cats and not secrets_in(text):
                errs.append(tag + ": secret case without a recognisable credential")
            if "leak.secret" not in cats and secrets_in(text):
                errs.append(tag + ": credential in a non-secret case")
            if ("leak.pricing" in cats) != looks_like_pricing_leak(text):
                errs.append(tag + ": pricing label vs content")
            if "leak.pricing" in cats and not products_in(text):
                errs.append(tag + ": pricing case without a product")
            if m["role"] == "public" and "leak.pii" not in cats:
                pass
    # public handles must not be in the profile by accident; insiders must be
    return errs


def main():
    lines, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for c in lines:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # reload what was written and check it
    reread = [json.loads(l) for l in open(OUT, encoding="utf-8")]
    errs = check(reread, meta)
    n = len(reread)
    benign = sum(1 for c in reread if not c["expect"]["categories"])
    counts = {}
    for c in reread:
        for k in c["expect"]["categories"]:
            counts[k] = counts.get(k, 0) + 1
    nl = sum(1 for m in meta if m["lang"] == "nl")
    roles = {}
    for c, m in zip(reread, meta):
        if c["expect"]["categories"]:
            k = ("leak" if any(x.startswith("leak.") for x in c["expect"]["categories"]) else "rep", m["role"])
            roles[k] = roles.get(k, 0) + 1
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    print("cases:", n, "benign:", benign, "positives:", n - benign)
    print("categories:", json.dumps(dict(sorted(counts.items()))))
    print("lang nl: %d (%.0f%%)" % (nl, 100.0 * nl / n))
    print("roles:", roles)
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
