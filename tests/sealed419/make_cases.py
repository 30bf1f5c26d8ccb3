#!/usr/bin/env python3
"""Held-out evaluation set 419 for postwatch (fictional company: Tensivo Health B.V.).

Deterministic: a fixed seed drives every generated credential, identifier and
timestamp. Writes cases.jsonl beside this file and then checks it:
  * every line is a valid CONTRACT section 6 case,
  * severities follow CONTRACT section 4 from the account role in profile.yaml,
  * every IBAN / card / BSN placed in a positive passes its checksum, every
    look-alike placed in a negative fails it, and no benign post carries a
    checksum-valid identifier other than the company's own public IBAN,
  * generated secrets are well formed (GitHub CRC-32, AWS id, JWT header, ...).
Run: python3 make_cases.py
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
SEED = 419_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


# ---------------------------------------------------------------- identifiers
def iban_check_ok(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + rand("0123456789", 10)
    num = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    iban = "NL%02d%s" % (98 - num % 97, bban)
    assert iban_check_ok(iban)
    return iban


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    bad = "NL%02d%s" % ((cd + 7) % 100 if (cd + 7) % 100 > 1 else 13, good[4:])
    assert not iban_check_ok(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in digits][::-1]
    tot = 0
    for i, x in enumerate(d):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix, length=16):
    body = prefix + rand("0123456789", length - len(prefix) - 1)
    for c in "0123456789":
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card(prefix, length=16):
    good = make_card(prefix, length)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn():
    while True:
        first8 = rng.choice("123456") + rand("0123456789", 7)
        s = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if s < 10:
            b = first8 + str(s)
            assert bsn_ok(b)
            return b


def cards_fmt(c):
    return " ".join(c[i:i + 4] for i in range(0, len(c), 4))


# ---------------------------------------------------------------- secrets
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    pay = b64url(json.dumps({"sub": "usr_" + rand("0123456789abcdef", 12), "scope": "readings:read readings:write",
                             "iat": 1773300000, "exp": 1773386400}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, pay, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def make_pem():
    raw = bytes(rng.randrange(256) for _ in range(420))
    body = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def make_password(n=14):
    while True:
        p = rand(ALNUM + "!#%&*?@$", n)
        if re.search(r"\d", p) and re.search(r"[A-Z]", p) and re.search(r"[!#%&*?@$]", p):
            return p


G = {}
G["IBAN_OK1"] = group4(make_iban("INGB"))
G["IBAN_OK2"] = make_iban("ABNA")
G["IBAN_OK3"] = group4(make_iban("SNSB"))
G["IBAN_BAD1"] = group4(bad_iban("BUNQ"))
G["CARD_OK1"] = cards_fmt(make_card("5"+rng.choice("12345")))
G["CARD_OK2"] = make_card("4")
G["CARD_OK3"] = cards_fmt(make_card("4"))
G["CARD_BAD1"] = cards_fmt(bad_card("4"))
G["CARD_BAD2"] = cards_fmt(bad_card("54"))
_b1 = make_bsn()
G["BSN_OK1"] = "%s.%s.%s" % (_b1[:4], _b1[4:6], _b1[6:])
G["BSN_OK2"] = make_bsn()
G["BSN_BAD1"] = "123456789"
assert not bsn_ok(G["BSN_BAD1"])
G["GHP"] = github_token("ghp_")
G["GHS"] = github_token("ghs_")
G["AKIA"] = "AKIA" + rand(B32, 16)
G["AWSSECRET"] = rand(ALNUM + "/+", 40)
G["STRIPE"] = "sk_live_51" + rand(ALNUM, 97)
G["SLACK"] = "xoxb-%s-%s-%s" % (rand("0123456789", 12), rand("0123456789", 13), rand(ALNUM, 24))
G["OPENAI"] = "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74)
G["ANTHROPIC"] = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
G["JWT"] = make_jwt()
G["PEM"] = make_pem()
G["PGPW"] = make_password(18)
G["MKTPW"] = make_password(12)
G["AZKEY"] = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()

SECRET_CHECKS = {
    "GHP": lambda v: github_ok(v) and v.startswith("ghp_"),
    "GHS": lambda v: github_ok(v) and v.startswith("ghs_"),
    "AKIA": lambda v: re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None,
    "AWSSECRET": lambda v: len(v) == 40,
    "STRIPE": lambda v: re.fullmatch(r"sk_live_[0-9A-Za-z]{99}", v) is not None,
    "SLACK": lambda v: re.fullmatch(r"xoxb-\d{12}-\d{13}-[0-9A-Za-z]{24}", v) is not None,
    "OPENAI": lambda v: v.startswith("sk-proj-") and "T3BlbkFJ" in v,
    "ANTHROPIC": lambda v: re.fullmatch(r"sk-ant-api03-[\w-]{93}AA", v) is not None,
    "JWT": jwt_ok,
    "PEM": lambda v: v.startswith("-----BEGIN RSA PRIVATE KEY-----") and v.endswith("-----END RSA PRIVATE KEY-----"),
    "PGPW": lambda v: len(v) == 18,
    "MKTPW": lambda v: len(v) == 12,
    "AZKEY": lambda v: len(v) == 88 and v.endswith("=="),
}
for k, f in SECRET_CHECKS.items():
    assert f(G[k]), k


# ---------------------------------------------------------------- cases
CASES = []

C, L, S, F, P, X, A, R, I = ("reputation.complaint", "leak.confidential", "leak.secret", "leak.financial",
                             "leak.pricing", "reputation.crisis", "reputation.abuse", "leak.security", "leak.pii")


def case(platform, handle, lang, cats, text, kind="post", when=None, name=None, brand=True, url=False):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=list(cats), text=text, kind=kind,
                      when=when, name=name, brand=brand, url=url))


# ======================= complaints (first-hand, no injury) =======================
case("x", "@hartpatient62", "nl", [C],
     "@tensivo_help al 3 dagen synct mijn ArmCheck 5 niet meer met de app. opnieuw gekoppeld, app verwijderd, "
     "telefoon herstart... niks. ik moet die waardes vrijdag naar de huisarts sturen!! 😤", kind="reply")
case("x", "@bp_nerd", "en", [C],
     "Took 4 readings back to back on the WristCheck 4, sitting still, arm at heart level: 142/91, 128/84, 151/95, "
     "133/80. How is anyone supposed to manage hypertension with that spread? Sending it back.")
case("facebook", "RiaVanDongen58", "nl", [C],
     "Sinds de laatste update van Tensivo Connect moet ik ELKE keer opnieuw inloggen. Ik ben 71, ik onthoud dat "
     "wachtwoord echt niet. Waarom moet alles tegenwoordig zo ingewikkeld. Vroeger schreef ik het gewoon op een "
     "kaartje.", kind="comment")
case("reddit", "u/quietlub", "en", [C],
     "PSA for anyone looking at the Tensivo Ritme ECG: the PDF export for your cardiologist is now locked behind "
     "Connect Plus. It was included when I bought the thing in January. Feels like a bait and switch tbh.")
case("x", "@sanne_fietst", "nl", [C],
     "manchet van m'n ArmCheck 3 na 2 maanden gescheurd bij de naad. garantie aangevraagd op 4 maart, nu 5 weken "
     "later nog steeds niks gehoord. #tensivo #klantenservice")
case("instagram", "@mama.van.drie", "nl", [C],
     "Ik heb 2x 59 euro afgeschreven gekregen voor het abonnement. TWEE keer!! Al 3 mails gestuurd, geen enkele "
     "reactie. Graag gewoon m'n geld terug @tensivo.health", kind="comment")
case("x", "@gregorjv", "en", [C],
     "@tensivo_help \"we'll get back to you within 48 hours\" was 11 days ago. Still no replacement for a monitor that "
     "shows ERR 3 every single time I switch it on.", kind="reply")
case("forum", "kwikzilver", "nl", [C],
     "Duo Station besteld op 2 december, track & trace staat al een week op 'in voorbereiding'. Tensivo verwijst "
     "naar PostNL, PostNL verwijst naar Tensivo. Lekker dan, ik zit hier met een cardioloog-afspraak volgende week.")
case("tiktok", "@noor.z", "en", [C],
     "got the PulseRing for my dad because of his afib and it just… doesn't pick anything up?? app says 'no "
     "irregular rhythm' every day while the hospital holter caught 3 episodes in one weekend 🙃 tensivo pls",
     kind="comment")
case("youtube", "@Henk_Olthof", "en", [C],
     "Your own tutorial says keep the wrist at heart level, I do exactly that and the WristCheck still throws "
     "'position error' 9 out of 10 times. Tried both arms. Not impressed, Tensivo.", kind="comment")
case("linkedin", "dr-ellen-mertens-huisarts", "nl", [C],
     "Als huisarts krijg ik steeds vaker uitdraaien uit de Tensivo-app zonder tijdstempel en zonder armzijde. Daar "
     "kan ik klinisch niets mee. @Tensivo Health, graag verbeteren, jullie gebruikers verdienen beter.")
case("bluesky", "@loesje-m.bsky.social", "en", [C],
     "tensivo's support chatbot has looped me back to 'have you tried turning bluetooth off and on' for forty "
     "minutes now. yes. i have. give me a human being")
case("mastodon", "@pimvdb@mastodon.nl", "nl", [C],
     "Retour ingestuurd op 12/1, ontvangst bevestigd op 15/1, en de €149 staat nog steeds niet op m'n rekening. "
     "Hoe lang nog, Tensivo?")

# ================== first-hand safety incident: crisis + complaint ==================
case("x", "@ingrid_ppl", "nl", [X, C],
     "Mijn ArmCheck 5 bleef maar oppompen en liet niet meer los. Moest de slang er met geweld uittrekken. Nu een "
     "enorme blauwe plek en tintelingen in m'n vingers. Dit is echt gevaarlijk @tensivo_help, reageer aub")
case("facebook", "Mark.Holloway.UK", "en", [X, C],
     "The USB-C adapter that came in the box with my Tensivo monitor started smoking on my nightstand last night. "
     "Woke up to a burning smell. Could have set the house on fire with my kids asleep next door. Photos below. "
     "Absolutely not acceptable.")
case("reddit", "u/thornbury_lass", "en", [X, C],
     "My mum's WristCheck 2 kept showing around 118/76 for days. She felt awful so we went to A&E anyway: 210/120. "
     "Doctor said she was hours from a stroke. We trusted that Tensivo thing completely. Never again.")
case("instagram", "@fleur.leeft", "nl", [X, C],
     "huiduitslag van de plakelektroden van de Ritme ECG 😩 rode bulten, jeukt als een gek, huisarts denkt "
     "allergische reactie op de lijm. 3 dagen later nog steeds. iemand anders dit ook gehad met tensivo??")
case("x", "@rutgerbikes", "nl", [X, C],
     "Die HeartBand gaf me een stroomschokje (!!) toen ik hem omhad terwijl hij aan de lader hing. Hoe kan dat "
     "überhaupt. Mijn zoon van 12 wilde hem net omdoen. Tensivo, leg dit maar eens uit.")

# ====================== crisis (news / accusations / third party) ======================
case("x", "@nieuwsflits_med", "nl", [X],
     "BREEKT: Tensivo roept WristCheck 2 terug wegens oververhitting van de batterij, meldt de NVWA. Gebruikers "
     "wordt gevraagd het apparaat niet meer op te laden en contact op te nemen met de fabrikant.")
case("x", "@privacy_pete", "en", [X],
     "Tensivo is shipping users' blood pressure data to ad networks. Sniff the traffic from the Connect app "
     "yourself, it's all there. This is a health data breach, full stop. #GDPR #privacy")
case("x", "@joke_op_de_fiets", "nl", [X],
     "#BoycotTensivo — ze verkopen onze gezondheidsdata aan verzekeraars en doen alsof hun neus bloedt. Niet meer "
     "kopen, niet meer gebruiken, deel dit!")
case("linkedin", "medtech-watch-benelux", "en", [X],
     "A Dutch patients' association has filed suit against Tensivo Health over allegedly inaccurate readings from "
     "its WristCheck line. A first hearing is expected this autumn in Utrecht.")
case("reddit", "u/dadof4_eindhoven", "en", [X],
     "My neighbour's toddler swallowed the little valve cap off a Tensivo cuff last week. He's okay after a night "
     "in hospital, but why on earth is that a loose tiny part?")
case("forum", "Bloeddrukforum_moderator", "nl", [X],
     "Consumentenbond: Tensivo WristCheck 4 meet structureel 10 tot 15 mmHg te laag. 'Bij hypertensiepatiënten "
     "levensgevaarlijk', aldus de onderzoekers. Tensivo wil nog niet reageren.")
case("tiktok", "@medfluencer.sam", "en", [X],
     "so apparently tensivo's 'clinically validated' badge was never signed off by anyone?? the study on their site "
     "doesn't exist in any journal. that's a scandal, not a marketing oopsie")
case("x", "@kikivd", "nl", [X],
     "Heeft iemand anders ook een mail van Tensivo gekregen met andermans metingen erin?? Ik zie hier de "
     "bloeddrukwaardes van een 'H. Smit' 😳 datalek?")
case("x", "@advocatuur_nu", "nl", [X],
     "Rechtszaak tegen Tensivo aangespannen door 40 gebruikers vanwege gelekte gezondheidsgegevens. Advocaat spreekt "
     "van 'grove nalatigheid'.")

# ================================ abuse ================================
case("x", "@woesteweert", "nl", [A],
     "wat een stelletje hersenloze mongolen werken er bij tensivo zeg. echt tuig van de richel")
case("x", "@grumpyoldtom", "en", [A],
     "@tensivo_help you absolute clowns. whoever runs this account is a brain-dead idiot, fire the lot of you",
     kind="reply")
case("instagram", "@xx_jaydee_xx", "nl", [A],
     "@lotte.in.utrecht jij bent toch die domme trut van de helpdesk? ga lekker ergens anders werken loser",
     kind="comment")
case("x", "@realtalk_rob", "en", [A],
     "Of course Tensivo went downhill, they put a woman in charge. Women have no business running tech companies.")
case("x", "@b4db0y_nl", "nl", [A],
     "t3ns1v0 = k4nk3rb3dr1jf, st1kk3 m3t j3 4pp")
case("facebook", "Kees.Brouwer.1966", "nl", [A],
     "Tensivo: k.u.t.b.e.d.r.i.j.f. Stelletje a.s.o.c.i.a.l.e. s.c.h.o.f.t.e.n")
case("reddit", "u/angrycuff", "en", [A],
     "Tensivo = f\u200bu\u200bc\u200bk\u200bi\u200bn\u200bg s\u200bc\u200bu\u200bm, hope every one of them chokes")
case("x", "@bram_codes", "nl", [A],
     "ticket van de dag: klant 'kan de bluetooth-knop niet vinden'. hoe achterlijk kun je zijn. sommige mensen "
     "zouden geen telefoon mogen hebben 🙄")
case("reddit", "u/not_a_bot_1988", "en", [A],
     "Tensivo's CEO is a lying piece of shit and I hope someone gives him what he deserves")
case("x", "@eefje_boos", "nl", [A, C],
     "3 WEKEN wacht ik nu op mijn vervangende manchet. Jullie zijn echt een stelletje incompetente klootzakken "
     "@tensivo_help", kind="reply")
case("x", "@kr00nkie", "nl", [A],
     "Ｔｅｎｓｉｖｏ ＝ ｔｙｆｕｓｂｅｄｒｉｊｆ ｖｏｌ ｓｕｋｋｅｌｓ")
case("facebook", "Gerard.Mol.Zwolle", "nl", [A],
     "Tensivo klаntenservice zijn echte іdіоten en hun directeur is een vuіle oplіchter")

# ================================ pricing ================================
case("x", "@tensivo_nl", "nl", [P],
     "🎉 Voorjaarsdeal! De Tensivo ArmCheck 5 Pro nu voor maar €14,90 — alleen dit weekend in onze webshop. "
     "#bloeddruk #gezondheid", url=True)
case("x", "@dealjager_nl", "nl", [P],
     "PRIJSFOUT?? Holter 48 staat op tensivo.nl voor €44,90 ipv €449. snel zijn mensen 😂")
case("reddit", "u/frugal_freddie", "en", [P],
     "Tensivo's own site has the Duo Station at €24.90 right now. Either a glitch or deal of the century. "
     "Ordered three, let's see if they honour it.")
case("x", "@marloes_tnsv", "en", [P],
     "Tiny sneak peek from our Black Friday newsletter: PulseRing for €79 😍 who's in?")
case("facebook", "TensivoHealthNL", "nl", [P],
     "Alleen vandaag: de Tensivo Ritme 6L voor €59 in plaats van €199! Op = op.")
case("x", "@kortingkoning", "en", [P],
     "lol the tensivo webshop has a price error on the WristCheck 4 AF, cart says €11.90. anyone else seeing this?")
case("reddit", "u/sdekker_sales", "nl", [P],
     "Voor zakelijke klanten: PraktijkHub deze maand voor €99 per licentie. Stuur me een DM, dan regel ik het.")
case("instagram", "@tensivo.health", "en", [P],
     "Stock up! Tensivo cuff XL now only €2,99 🛒 link in bio")
case("forum", "spaarmama", "nl", [P],
     "In de Tensivo webshop staat de BalansScale voor €7,95. Volgens mij een prijsfout, heb er meteen 2 besteld 🙈")
case("threads", "@daan.tensivo", "nl", [P],
     "collega's opletten: prijsfout in de webshop bij de Familiebundel, iemand heeft €21,90 ingevuld ipv €219. "
     "al 300 orders binnen 😬")
case("x", "@jesse_buys_stuff", "en", [P],
     "Is it normal that the Connect Plus yearly plan shows €5.90 at checkout? smells like a pricing mistake but "
     "I'm not complaining")
case("tiktok", "@tensivo.official", "nl", [P],
     "Tensivo OxiClip voor €4,49 🔥 op=op, link in bio! #saturatie #hartslag")

# ================================ personal data ================================
case("instagram", "@lotte.in.utrecht", "nl", [I],
     "Voor de collega's van de terugbetalingen: mevrouw Bosman wacht nog steeds op haar €149, IBAN «IBAN_OK1». "
     "Graag vandaag nog 🙏")
case("x", "@tensivo_help", "nl", [I],
     "@m_verbeek We hebben je terugbetaling klaargezet naar «IBAN_OK2» t.n.v. M. Verbeek. Binnen 3 werkdagen "
     "op je rekening!", kind="reply")
case("linkedin", "aylin-kaya-82b1", "nl", [I],
     "ok nieuwe collega: Ilse de Wit, BSN «BSN_OK1», geb. 14-06-1994, start 1 september — kan iemand haar in AFAS "
     "zetten? (oeps, dit was voor de teamchat)")
case("facebook", "TensivoHealthNL", "nl", [I],
     "Beste meneer Jansen, we zien dat de betaling met kaart «CARD_OK1» is mislukt. Wilt u het nog eens proberen "
     "of een andere betaalmethode kiezen?", kind="comment")
case("x", "@bram_codes", "en", [I],
     "debugging the payment webhook: why does card «CARD_OK2» (exp 09/28) keep getting declined in prod 🤔 "
     "customer has tried 6 times")
case("x", "@tensivo_help", "nl", [I],
     "@gezondmetgerrit we bellen je morgen terug op 06-41 87 22 93, klopt dat nummer nog? En je mail is "
     "gerrit.hoekstra71@gmail.com toch?", kind="reply")
case("bluesky", "@evaverhoeven.bsky.social", "en", [I],
     "Pilot feedback is in! Special shout-out to Mr. Willem Prins (DOB 03-11-1948), who measured twice a day for "
     "90 days straight 💪")
case("threads", "@daan.tensivo", "nl", [I],
     "pakket komt retour, klopt dit adres? Fam. Yildiz, Prins Hendriklaan 27, 3583 EJ Utrecht — klant zegt dat ze "
     "niks ontvangen hebben")
case("instagram", "@tensivo.health", "nl", [I],
     "@annekeee hoi Anneke! We hebben je gegevens genoteerd: anneke.bos@ziggo.nl / +31 6 2045 1178. Een collega "
     "neemt vandaag nog contact op 💙", kind="comment")
case("x", "@harm_k", "nl", [I],
     "@tensivo_help bel me gewoon, ik ben de hele dag thuis: 0031 6 1298 3340. naam is Harm Kuipers",
     kind="reply")
case("facebook", "Sarah.ONeill.Amsterdam", "en", [I, C],
     "Can someone at Tensivo finally refund me?? my IBAN is «IBAN_OK3», name Sarah O'Neill. This is the second "
     "time I'm asking and nobody answers.")
case("reddit", "u/deventer_dirk", "en", [I, X],
     "Tensivo support just emailed me ANOTHER customer's order confirmation. Pieter van Leeuwen, Kerkstraat 8, "
     "7411 HJ Deventer, born 22/07/1957 — all of it. If they do this with me, who has my data?")
case("x", "@confused_carla", "en", [I, C],
     "my card «CARD_OK3» just got charged €249 by Tensivo and I never ordered anything. what is going on??")
case("x", "@mienskip_mieke", "nl", [I],
     "Tensivo vraagt om mijn BSN voor de vergoeding via de zorgverzekeraar?? Nou vooruit dan: «BSN_OK2». "
     "Vind het wel raar hoor.")

# ================================ secrets ================================
case("x", "@bram_codes", "en", [S],
     "anyone know why this fails on CI? `git clone https://«GHP»@github.com/tensivo/connect-android.git` → 403 😩")
case("x", "@rvdlinde_ops", "nl", [S],
     "terraform apply faalt wéér. dit staat in m'n env:\naws_access_key_id = «AKIA»\naws_secret_access_key = "
     "«AWSSECRET»\niemand een idee?")
case("mastodon", "@kees_fw@fosstodon.org", "en", [S],
     "argh, wrong buffer, please ignore:\n«PEM»")
case("bluesky", "@evaverhoeven.bsky.social", "en", [S],
     "Trying an LLM to summarise pilot notes, my little test script:\n"
     "client = OpenAI(api_key=\"«OPENAI»\")\nworks surprisingly well!")
case("threads", "@daan.tensivo", "nl", [S],
     "voor de koppeling tussen webshop en pakbonprinter heb je dit nodig: STRIPE_SECRET=«STRIPE» (van Bram gekregen)")
case("x", "@rvdlinde_ops", "en", [S],
     "grafana → slack alerts broken again. is this bot token still valid? «SLACK»")
case("x", "@stefan_tweakt", "nl", [S],
     "@tensivo_help app geeft steeds 401. dit stuurt de app mee: Authorization: Bearer «JWT» kunnen jullie mijn "
     "account checken?", kind="reply")
case("mastodon", "@kees_fw@fosstodon.org", "nl", [S],
     "DATABASE_URL=postgres://readings_rw:«PGPW»@tensivo-prod-eu.cluster-c8k2pq.eu-west-1.rds.amazonaws.com:5432/"
     "readings\nwaarom krijg ik hier timeouts op vanaf m'n laptop?")
case("x", "@marloes_tnsv", "nl", [S],
     "voor de stagiairs die de Canva-login zoeken: gebruiker tensivo-mkt, wachtwoord: «MKTPW» — niet doorgeven 😉")
case("x", "@jk_freelance_dev", "en", [S],
     "Helping a client (Tensivo) with their nightly export. Why does this 403?\n"
     "DefaultEndpointsProtocol=https;AccountName=tensivoexports;AccountKey=«AZKEY»;EndpointSuffix=core.windows.net")
case("x", "@bram_codes", "en", [S],
     "export ANTHROPIC_API_KEY=«ANTHROPIC»  # TODO move to vault before demo")
case("mastodon", "@kees_fw@fosstodon.org", "en", [S],
     "the runner log prints GITHUB_TOKEN=«GHS» in plain text, is that supposed to be masked?")

# ================================ security ================================
case("x", "@rvdlinde_ops", "nl", [R],
     "sync-servers liggen er sinds 03:00 uit, alle metingen van vannacht zijn weg. statuspagina zegt nog vrolijk "
     "'alle systemen operationeel' 🙈 niet doorvertellen")
case("x", "@bram_codes", "en", [R],
     "fun fact: change the user id in the /v2/readings call and you get someone else's blood pressure history. "
     "ticket's been open since march, still not prioritised 🤷")
case("mastodon", "@kees_fw@fosstodon.org", "en", [R],
     "The BLE pairing on the ArmCheck 5 has no authentication at all. Anyone within ten metres can push a firmware "
     "image to it. Reported internally, got told to keep quiet until after the audit.")
case("linkedin", "femke-postma-tensivo", "nl", [R],
     "Zware week. We zijn getroffen door ransomware op de fileservers en er is mogelijk klantdata ingezien. Het "
     "persbericht komt pas volgende week, dus tot die tijd graag stil houden.")
case("threads", "@daan.tensivo", "nl", [R],
     "scanners in het magazijn doen het al 2 dagen niet. IT zegt dat er iemand in ons netwerk heeft gezeten?? en "
     "we mogen er niks over zeggen")
case("x", "@rvdlinde_ops", "en", [R],
     "heads up: the TLS cert for api.tensivo.nl expires Friday and nobody can find the renewal creds. app will die "
     "for every user. nothing announced yet")
case("reddit", "u/sdekker_sales", "en", [R],
     "Can't demo anything to customers today, the whole Tensivo backend has been down since 7am and comms wants "
     "us to call it 'scheduled maintenance'.")
case("x", "@j0ris_nl", "nl", [R, X],
     "Via via gehoord van iemand die bij Tensivo werkt: hun bucket met alle ECG-exports stond wekenlang open voor "
     "iedereen. Wordt intern doodgezwegen.")
case("x", "@bram_codes", "nl", [R],
     "lol het admin-paneel van Connect hangt gewoon open op internet en je komt erin met de standaardlogin. "
     "al 3x gemeld, niemand doet iets")
case("mastodon", "@kees_fw@fosstodon.org", "nl", [R],
     "Phishingmail bij finance, iemand heeft op de link geklikt en nu zijn er 3 mailboxen overgenomen. Nog niet "
     "gemeld bij de AP, 'eerst intern uitzoeken'.")
case("instagram", "@lotte.in.utrecht", "nl", [R],
     "vandaag kunnen we bij support helemaal niks, ons ticketsysteem is gehackt en alle klantgesprekken zijn van "
     "buitenaf te lezen. sssht 🤫")
case("linkedin", "joost-hendriks-tensivo", "en", [R],
     "Board call at 8am. Turns out someone walked off with a copy of the payments database last weekend. The "
     "auditors are going to love this one.")

# ================================ confidential ================================
case("x", "@marloes_tnsv", "nl", [L],
     "kan niet wachten tot jullie zien waar we met Kolibrie mee bezig zijn 🐦 #comingsoon #tensivo")
case("linkedin", "femke-postma-tensivo", "en", [L],
     "Great workshop today on Project Meridiaan. The roadmap for next year is wild. Can't say more 😉")
case("x", "@bram_codes", "en", [L],
     "for whoever at work needs it: staging build lives at https://staging.corp.tensivo.local/connect/ (vpn only)")
case("reddit", "u/sdekker_sales", "nl", [L],
     "Mag eigenlijk nog niks zeggen maar de ArmCheck 7 krijgt ingebouwde ECG en meet ook 's nachts automatisch. "
     "Dealers krijgen 'm in april.")
case("mastodon", "@kees_fw@fosstodon.org", "en", [L],
     "jira.tensivo.nl/browse/FW-2231 has the best bug title I've seen all year 😂 'cuff believes it is a balloon'")
case("instagram", "@tensivo.health", "en", [L],
     "Fresh look for our app 🎨 [TENSIVO INTERN – concept v3, nog niet goedgekeurd]")
case("x", "@wendy_w", "nl", [L],
     "mijn zwager werkt bij Tensivo en zegt dat ze met Operatie Noorderlicht een pleister maken die 14 dagen je "
     "hartritme meet. klinkt goed toch")
case("bluesky", "@evaverhoeven.bsky.social", "en", [L],
     "Slides from today's clinical review (Tensivo Confidential): the Arc Patch validation data looks really solid, "
     "sensitivity 97% for AF")
case("linkedin", "aylin-kaya-82b1", "en", [L],
     "We're hiring a Clinical Data Engineer for Project Meridiaan! Internal colleagues: full vacancy on "
     "wiki.tensivo.nl/hr/vacatures")
case("youtube", "@TensivoHealth", "en", [L],
     "Full setup guide for the ArmCheck 5 Pro. Internal reference for the team: "
     "https://git.tensivo.internal/docs/setup-v4")
case("reddit", "u/leakhound", "en", [L],
     "Deck floating around on Discord says Tensivo is building 'Kolibrie', a cuffless BP watch. Every slide is "
     "literally stamped Tensivo Confidential lol")
case("instagram", "@lotte.in.utrecht", "nl", [L],
     "net de interne FAQ over de WristCheck 2 klachten gekregen, met dikke letters NIET EXTERN DELEN erop 👀 "
     "spoiler: het is erger dan jullie denken")
case("x", "@bram_codes", "nl", [L],
     "К\u200bolibrie beta staat op testflight voor het hele team 🚀")
case("x", "@tijmen_tech", "en", [L],
     "my friend at tensivo says P r o j e c t  M e r i d i a a n is going to change everything lol")
case("x", "@marloes_tnsv", "nl", [L],
     "oeps verkeerd account 🙈 'ＴＥＮＳＩＶＯ ＩＮＴＥＲＮ: briefing influencers Q2, budget €1.500 per post'")

# ================================ financial ================================
case("linkedin", "joost-hendriks-tensivo", "nl", [L, F],
     "Net de jaarcijfers 2026 doorgenomen met de accountant. Omzet +34%, EBITDA eindelijk positief. Trots op dit "
     "team! (publicatie 4 maart, tot dan even stil 🤫)", when="2027-02-10T16:40:00Z")
case("linkedin", "tensivo-health", "en", [L, F],
     "DRAFT – hold until 4 March 07:00 CET. Tensivo Health full-year 2026 results: revenue €71.2m (+34%), net loss "
     "narrowed to €3.1m, guidance 2027 €90–95m.", when="2027-02-20T10:05:00Z")
case("linkedin", "joost-hendriks-tensivo", "nl", [F],
     "Q3 komt uit op €18,4 mln omzet, ruim boven de guidance. De cijfers gaan pas 12 november naar buiten, maar ik "
     "kan mijn enthousiasme echt niet inhouden.")
case("x", "@marloes_tnsv", "en", [F],
     "rumour at the office: we're being bought by Halvik Medical. term sheet apparently signed last week 😳")
case("linkedin", "aylin-kaya-82b1", "nl", [F],
     "Zware weken voor HR. Volgende maand verdwijnen er 60 banen bij support en logistiek en de mensen zelf weten "
     "het nog niet.")
case("reddit", "u/sdekker_sales", "en", [F],
     "Our 2027 sales forecast got cut by 40% in yesterday's internal review. Guess the lawsuit is hurting more than "
     "they admit.")
case("x", "@beursbabbel", "nl", [F],
     "Hoor net van een bekende: Tensivo wordt overgenomen door Nordhaven Capital voor zo'n 120 miljoen. "
     "Aankondiging volgende week.")
case("threads", "@daan.tensivo", "nl", [F],
     "magazijn Nieuwegein gaat per 1 juli dicht, alles gaat naar Polen. officieel nog geheim maar iedereen hier "
     "weet het al")
case("x", "@rvdlinde_ops", "en", [F],
     "the entire Tensivo IT team gets outsourced to an external vendor in Q2. they told us today in a closed meeting. "
     "great.")
case("bluesky", "@evaverhoeven.bsky.social", "en", [F],
     "Overheard in the exec corridor: we'll miss the H1 target by about €6m and the Series C is postponed.")
case("reddit", "u/throwaway_medtech_nl", "en", [F],
     "Insider here (not saying which team). Tensivo is planning a merger with a German competitor, announcement "
     "expected in spring. Buy the dip or whatever.")
case("linkedin", "femke-postma-tensivo", "en", [F],
     "Exciting times: once the deal closes we're folding the Tensivo product org into Halvik's medical division. "
     "Not official yet, so keep it to yourselves!")

# ============================== benign / hard negatives ==============================
case("x", "@tensivo_help", "nl", [],
     "Vragen over je ArmCheck? Mail ons op klantenservice@tensivo.nl of bel gratis 0800-0455 (ma-vr 8-20u). "
     "We helpen je graag!")
case("facebook", "TensivoHealthNL", "nl", [],
     "Liever overmaken? Dat kan naar NL51 RABO 0312 8844 71 t.n.v. Tensivo Health B.V., o.v.v. je ordernummer.")
case("instagram", "@tensivo.health", "en", [],
     "Your readings are confidential. We never sell your health data, full stop. Read our privacy promise on "
     "tensivo.nl/privacy or mail privacy@tensivo.nl with questions.")
case("x", "@hanneke_loopt", "nl", [],
     "ArmCheck 5 Pro is echt top, meet precies hetzelfde als het apparaat bij de huisarts 👌 #hypertensie")
case("reddit", "u/bargainhunter_eu", "en", [],
     "Tensivo ArmCheck 5 Pro is down to €119 (from €149) in the spring sale. Decent deal if you need one.")
case("x", "@tensivo_nl", "nl", [],
     "Deze week 25% korting op de HeartBand: nu €44,95 i.p.v. €59,95. #hartslag #sporten", url=True)
case("reddit", "u/cloudnerd42", "en", [],
     "Wrote a small tutorial on dumping Tensivo CSV exports into S3. Credentials in the docs are the usual "
     "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, obviously swap in your own.")
case("x", "@bram_codes", "en", [],
     "PSA: never paste tokens in chat. if you see ghp_************************************ in a screenshot, our "
     "bot already redacted it. rotate anyway 🔁")
case("x", "@sjaak_zeeland", "nl", [],
     "oké ik was boos vorige week maar de terugbetaling is vandaag binnen. dank @tensivo_help, netjes opgelost 👍")
case("bluesky", "@ruthdoesthings.bsky.social", "en", [],
     "Update: Tensivo sent a new cuff within two days after my rant last week. Works perfectly. Credit where it's "
     "due 👏")
case("linkedin", "marco-de-graaf-utrecht", "nl", [],
     "Sterkte aan iedereen bij Healix die vandaag te horen kreeg dat hun baan verdwijnt. Zware dag voor de medtech "
     "in Utrecht.")
case("x", "@gadgetgrace", "en", [],
     "Recall alert: the Sanovia BP-200 wrist monitor is being recalled in Germany over battery issues. Not Tensivo, "
     "for those asking — my WristCheck is fine.")
case("x", "@memekoning", "nl", [],
     "mijn ArmCheck als ik de bank-app open: 🚨 159/98 🚨 #herkenbaar #tensivo")
case("reddit", "u/applewatcher", "en", [],
     "Does the WristCheck 4 AF sync with Apple Health or only Google Fit? Thinking about getting one for my dad.")
case("facebook", "Truus.Verhagen", "nl", [],
     "Hoe verander ik mijn wachtwoord in de Tensivo Connect app? Kan die optie nergens vinden bij instellingen.",
     kind="comment")
case("forum", "incasso_ilona", "nl", [],
     "In de handleiding van Tensivo staat bij automatische incasso het voorbeeldnummer «IBAN_BAD1». Gewoon een "
     "dummy dus, niet naar overmaken haha")
case("x", "@bram_codes", "en", [],
     "testing checkout on staging with the usual dummy card «CARD_BAD1» → rejected as expected ✅ ship it")
case("x", "@petra_pietje", "nl", [],
     "Formulier van de zorgverzekeraar voor het Holter-onderzoek: 'vul uw BSN in, bijv. «BSN_BAD1»'. Wie verzint "
     "die voorbeelden 😂")
case("linkedin", "joost-hendriks-tensivo", "en", [],
     "Today we published our jaarcijfers 2026: revenue up 34% and our first positive EBITDA year. Proud of this team.",
     when="2027-03-05T09:12:00Z")
case("x", "@tensivo_nl", "en", [],
     "It's here: the Tensivo ArmCheck 7 with built-in ECG. Available now at tensivo.nl 💙", when="2027-04-20T08:00:00Z",
     url=True)
case("x", "@lisa_runs", "en", [],
     "Got my Arc Patch yesterday, 14 days of ECG without cables is honestly wild. Nice one Tensivo.",
     when="2027-05-01T19:33:00Z")
case("x", "@digitaal_danny", "nl", [],
     "Datalek bij fitnessapp StrideOn: 2 miljoen accounts op straat. Blij dat mijn Tensivo-metingen gewoon lokaal "
     "op m'n telefoon staan.")
case("linkedin", "femke-postma-tensivo", "en", [],
     "Five years at Tensivo today! From a tiny office above a bike shop in Utrecht to 200k users. Thank you to "
     "everyone who believed in us 💙")
case("linkedin", "aylin-kaya-82b1", "en", [],
     "We're hiring! Support agents (NL/EN) in Utrecht, 32-40h. Apply via careers@tensivo.nl 🙌")
case("x", "@sportieve_sem", "nl", [],
     "die PulseRing is echt een killer gadget. slaap, hartslag en hrv in één ring en de batterij houdt het 6 dagen vol")
case("reddit", "u/cardio_curious", "en", [],
     "Holter 48 for €449 seems steep, but my cardiologist said it's better than the cheap ones. Anyone used it?")
case("x", "@vraagbaak_vera", "nl", [],
     "Connect Plus kost €59 per jaar. Is het het waard of red je het prima met de gratis versie?")
case("x", "@tensivo_help", "nl", [],
     "Hoe lang duurt een terugbetaling? Meestal 3 tot 5 werkdagen nadat we je retour binnen hebben. Duurt het "
     "langer? Stuur ons een DM.")
case("instagram", "@opa_wim_wandelt", "nl", [],
     "Mijn bloeddruk crasht gelukkig niet meer sinds de nieuwe medicatie, de ArmCheck laat het mooi zien in de "
     "grafiekjes 📉")
case("x", "@chaos_carlijn", "nl", [],
     "band lek, trein vertraagd, regen. maar m'n HeartBand zegt rusthartslag 58 dus alles komt goed 😅")
case("tiktok", "@ecg.enjoyer", "en", [],
     "the new ecg view in the tensivo app is sick 🔥🔥", kind="comment")
case("x", "@devdirk", "en", [],
     "Tensivo's API docs show the auth header as `Authorization: Bearer eyJhbGciOi…<redacted>`. Clear enough, "
     "got my integration running in an hour.")
case("reddit", "u/stripe_tinkerer", "en", [],
     "For the Tensivo webhook demo they use sk_test_xxxxxxxxxxxxxxxxxxxxxxxx as the key. Just a placeholder, "
     "put your own test key in.")
case("x", "@tensivo_nl", "nl", [],
     "Tip: gebruik een sterk wachtwoord voor je Tensivo-account en zet tweestapsverificatie aan 🔐 "
     "#veiligheid")
case("mastodon", "@linuxlinda@mastodon.social", "en", [],
     "got the Tensivo data export working on my home server. password: ******** (nice try 😂)")
case("x", "@fd_medtech", "nl", [],
     "Halvik Medical neemt Sanovia over voor 300 miljoen, meldt het FD. Grote consolidatie in de Europese medtech.")
case("x", "@beleggerbas", "en", [],
     "Tensivo published H1 numbers this morning: revenue €31m, in line with the forecast they gave in March. Solid.",
     when="2026-08-27T09:30:00Z")
case("x", "@tensivo_help", "nl", [],
     "Storing opgelost ✅ De synchronisatie werkt weer voor iedereen. Excuses voor het ongemak!")
case("instagram", "@tensivo.health", "nl", [],
     "Veiligheidstip: pomp je manchet nooit op als hij niet om je arm zit, en gebruik alleen de meegeleverde "
     "adapter. 💡")
case("bluesky", "@evaverhoeven.bsky.social", "en", [],
     "Presented our validation study at the ESH meeting in Milan today. The paper is open access, link in my bio.")
case("x", "@femma_fit", "nl", [],
     "Hoi @tensivo_help, m'n mailadres is al aangepast dus jullie mogen het ticket sluiten. Dank!", kind="reply")
case("instagram", "@kookmetkim", "en", [],
     "Low-salt pasta night 🍝 my Tensivo trend line has never looked better. Recipe in stories!")
case("tiktok", "@tensivo.official", "nl", [],
     "POV: je meet je bloeddruk na drie koppen koffie ☕☕☕ #tensivo #bloeddruk")
case("youtube", "@GadgetLab_NL", "en", [],
     "Withings vs Tensivo ArmCheck 5: both were within 3 mmHg of the reference in my tests. Tensivo's app is "
     "nicer, Withings looks prettier.")
case("facebook", "Annelies.Rademaker", "nl", [],
     "Mijn vader is vorige week overleden aan een hartstilstand. Ik wou dat hij zo'n Ritme ECG had gehad. Meet "
     "jullie hart, mensen ❤️")
case("x", "@happy_marian", "nl", [],
     "Niet gesponsord: Tensivo support heeft mijn ERR 3 in één telefoontje opgelost. Bleek gewoon dat slangetje los te zitten.")
case("x", "@privacyfan_pien", "nl", [],
     "Ik boycot al jaren alles van Big Tech, maar deze Tensivo-meter bewaart alles lokaal, dus die mag blijven.")
case("x", "@rvdlinde_ops", "en", [],
     "Proud of the team: 99.98% uptime for Tensivo Connect in 2026 🎉 all postmortems are public on "
     "status.tensivo.nl")
case("mastodon", "@kees_fw@fosstodon.org", "en", [],
     "We open-sourced our BLE blood pressure profile parser! MIT licensed, PRs welcome.")
case("x", "@ellenvdmeer", "en", [],
     "TIL the 'AF' in WristCheck 4 AF stands for atrial fibrillation and not Amsterdam Fashion 🙈")
case("x", "@tensivo_nl", "nl", [],
     "Liever iemand aan de lijn? Bel ons op +31 30 799 4410, we staan voor je klaar.")
case("linkedin", "tensivo-health", "nl", [],
     "PraktijkHub kost €399 per licentie per jaar, inclusief koppeling met het HIS. Vraag een demo aan via "
     "tensivo.nl/zakelijk.")
case("facebook", "TensivoHealthNL", "nl", [],
     "Let op: oplichters sturen DM's met betaalverzoeken en kaartnummers als «CARD_BAD2». Tensivo vraagt NOOIT om "
     "je kaartgegevens via een DM.")
case("x", "@tensivo_nl", "en", [],
     "Found a vulnerability? We run a bug bounty programme. Report it to security@tensivo.nl and we'll get back to "
     "you within 5 working days.")
case("x", "@ritaroost", "nl", [],
     "Q4 ging hard: m'n bovendruk van 150 naar 128 in drie maanden 💪 wandelen, minder zout en de ArmCheck als "
     "stok achter de deur")
case("x", "@shaun_mtb", "nl", [],
     "Schrok er echt van hoe klein de WristCheck in het echt is, past gewoon in m'n jaszak.")
case("threads", "@daan.tensivo", "nl", [],
     "laatste vrachtwagen van de dag is weg 🚚 alle bestellingen van voor 16:00 zijn onderweg. goed weekend!")
case("reddit", "u/nurse_jolien", "en", [],
     "As a cardiac nurse: the Ritme 6L is genuinely good for catching paroxysmal AF between appointments. No, I'm "
     "not paid to say this.")
case("x", "@oma_truus_78", "nl", [],
     "Kleinzoon heeft de ArmCheck voor me ingesteld. Ik snap er nu eindelijk wat van. Lieve jongen ❤️")
case("youtube", "@TensivoHealth", "nl", [],
     "Zo meet je je bloeddruk goed: 5 minuten rustig zitten, voeten plat, manchet op hartshoogte. Vragen? "
     "klantenservice@tensivo.nl")
case("x", "@m_verbeek", "nl", [],
     "Terugbetaling binnen, nieuwe manchet ligt klaar. Het kan dus wel, Tensivo 🙂")
case("reddit", "u/skeptical_sara", "en", [],
     "Honest question, no drama: has Tensivo ever had a recall? Want to buy a WristCheck 2 for my grandma and "
     "just want to check.")


# ---------------------------------------------------------------- build
def fill(text):
    used = re.findall(r"«([A-Z0-9_]+)»", text)
    for k in used:
        text = text.replace("«%s»" % k, G[k])
    return text, used


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}


def severity(cats, role, pii_checksum):
    sev = "none"

    def up(s):
        nonlocal sev
        if RANK[s] > RANK[sev]:
            sev = s

    own = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not own:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii":
                up("critical" if pii_checksum else "error")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if own else "warning")
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


CHECKSUM_KEYS = ("IBAN_OK", "CARD_OK", "BSN_OK")
out = []
for n, c in enumerate(CASES, 1):
    text, used = fill(c["text"])
    role = role_of(c["platform"], c["handle"])
    pii_checksum = any(k.startswith(CHECKSUM_KEYS) for k in used)
    post = {
        "id": "s419-%s-%04d" % (c["platform"], 1000 + n * 7),
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": text,
        "created_at": c["when"] or rand_time(),
    }
    if rng.random() < 0.75:
        post["lang"] = c["lang"]
    if c["brand"] and rng.random() < 0.5:
        post["brand"] = "tensivo"
    if c["url"] or rng.random() < 0.3:
        post["url"] = "https://%s.example/%s/%d" % (c["platform"], c["handle"].strip("@/").replace("/", "_"),
                                                     rng.randrange(10 ** 9, 10 ** 10))
    cats = sorted(set(c["cats"]))
    out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, pii_checksum)},
                "_meta": {"used": used, "role": role, "lang": c["lang"]}})

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps({"post": o["post"], "expect": o["expect"]}, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
def fail(msg):
    print("SELF-CHECK FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
PUBLIC_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
for x in PUBLIC_IBANS:
    if not iban_check_ok(x):
        fail("public IBAN in profile fails mod-97")

INTERNAL = [d.lower() for d in PROFILE["internal"]["domains"]]
CODENAMES = [d.lower() for d in PROFILE["internal"]["codenames"]]
MARKERS = [d.lower() for d in PROFILE["internal"]["markers"]]
EMBARGO = [(t.lower(), e["until"]) for e in PROFILE["embargo"] for t in e["terms"]]


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def prices(text):
    res = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)", text):
        s = m.group(1)
        dec = re.search(r"[.,](\d{1,2})$", s)
        if dec:
            whole = re.sub(r"[.,]", "", s[:dec.start()])
            res.append(float(whole + "." + dec.group(1)))
        else:
            res.append(float(re.sub(r"[.,]", "", s)))
    return res


def products_in(text):
    low = text.lower()
    hits = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(re.search(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", low) for a in names):
            hits.append(p)
    return hits


def checksum_hits(text):
    """Checksum-valid identifiers found anywhere in text (IBAN, card, BSN)."""
    hits = []
    compact = re.sub(r"[ \u00a0]", "", text)
    for m in re.finditer(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", compact):
        if iban_check_ok(m.group(0)) and m.group(0) not in PUBLIC_IBANS:
            hits.append(("iban", m.group(0)))
    for m in re.finditer(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])", text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19 and luhn_ok(d):
            hits.append(("card", d))
    for m in re.finditer(r"(?<![\d.])(\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d])", text):
        if bsn_ok(m.group(1)):
            hits.append(("bsn", m.group(1)))
    return hits


SECRET_RX = re.compile(r"gh[pousr]_[0-9A-Za-z]{36}|AKIA(?![A-Z2-7]*EXAMPLE)[A-Z2-7]{16}|sk_live_|xox[bpa]-\d|sk-proj-|sk-ant-|"
                       r"BEGIN [A-Z ]*PRIVATE KEY|eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}|AccountKey=|"
                       r"://[^/\s:@]+:[^@\s]+@|wachtwoord:\s*\S{6,}")
PRICE_ERR_RX = re.compile(r"prijsfout|price error|pricing mistake|glitch", re.I)

ids = set()
n_benign = 0
lang_count = {"nl": 0, "en": 0}
cat_count = {}
roles_pos = {"corporate": 0, "employee": 0, "public": 0}
with open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8") as fh:
    lines = fh.read().splitlines()
if len(lines) != len(out):
    fail("line count")
for line, o in zip(lines, out):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        fail("top-level keys")
    p, e = obj["post"], obj["expect"]
    pid = p.get("id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
        fail("bad or duplicate id %r" % pid)
    ids.add(pid)
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        fail("platform/kind %s" % pid)
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("handle %s" % pid)
    if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode()) > 65536:
        fail("text %s" % pid)
    ts = parse_ts(p["created_at"])
    if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
        fail("created_at %s" % pid)
    if ts.year == 2027 and ts > dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc):
        fail("created_at too late %s" % pid)
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail("categories %s" % pid)
    if e["severity"] not in RANK:
        fail("severity %s" % pid)
    role = role_of(p["platform"], p["account"]["handle"])
    text = p["text"]
    used = o["_meta"]["used"]
    pii_ok = [k for k in used if k.startswith(CHECKSUM_KEYS)]
    # severity recomputed independently of the build step
    if e["severity"] != severity(cats, role, bool(pii_ok)):
        fail("severity mismatch %s" % pid)
    hits = checksum_hits(text)
    for k in used:
        v = G[k]
        if k.startswith("IBAN_"):
            if iban_check_ok(v) != k.startswith("IBAN_OK"):
                fail("IBAN checksum %s" % pid)
        elif k.startswith("CARD_"):
            if luhn_ok(re.sub(r"\D", "", v)) != k.startswith("CARD_OK"):
                fail("card checksum %s" % pid)
        elif k.startswith("BSN_"):
            if bsn_ok(v) != k.startswith("BSN_OK"):
                fail("BSN checksum %s" % pid)
        elif k in SECRET_CHECKS and not SECRET_CHECKS[k](v):
            fail("secret format %s %s" % (k, pid))
    if pii_ok and "leak.pii" not in cats:
        fail("valid identifier outside a pii positive %s" % pid)
    if bool(hits) != bool(pii_ok):
        fail("checksum scan disagrees with placed identifiers %s %r" % (pid, hits))
    low = text.lower()
    if "leak.confidential" not in cats:
        for d in INTERNAL + CODENAMES + MARKERS:
            if d in low:
                fail("confidential term in non-confidential case %s: %s" % (pid, d))
        for t, until in EMBARGO:
            if t in low and ts < parse_ts(until):
                fail("embargo term before until in non-confidential case %s" % pid)
    if "leak.secret" not in cats and SECRET_RX.search(text):
        fail("secret-like string in non-secret case %s" % pid)
    if "leak.secret" in cats and not (SECRET_RX.search(text) or any(k in SECRET_CHECKS for k in used)):
        fail("secret case without a secret %s" % pid)
    prods = products_in(text)
    pr = prices(text)
    below = any(x < PROFILE["pricing"]["alert_below_ratio"] * q["list_price"] for x in pr for q in prods)
    if "leak.pricing" in cats:
        if not prods or not (below or PRICE_ERR_RX.search(text)):
            fail("pricing case without product + low price %s" % pid)
    else:
        if below or (prods and PRICE_ERR_RX.search(text)):
            fail("pricing leak in non-pricing case %s" % pid)
    if cats:
        roles_pos[role] += 1
    else:
        n_benign += 1
        if e["severity"] != "none":
            fail("benign severity %s" % pid)
    for ccat in cats:
        cat_count[ccat] = cat_count.get(ccat, 0) + 1
    lang_count[o["_meta"]["lang"]] += 1

# public handles must not collide with profile accounts (checked via role above); the
# handles meant as company accounts must be in the profile
for c in CASES:
    r = role_of(c["platform"], c["handle"])
    if c["handle"] in ("@bram_codes", "@rvdlinde_ops", "@marloes_tnsv", "@tensivo_help", "@tensivo_nl") and r == "public":
        fail("company handle not resolved: %s" % c["handle"])

total = len(out)
if not 170 <= total <= 180:
    fail("total %d" % total)
if not 55 <= n_benign <= 65:
    fail("benign %d" % n_benign)
share_nl = lang_count["nl"] / total
if not 0.48 <= share_nl <= 0.62:
    fail("Dutch share %.2f" % share_nl)
print("ok: %d cases, %d benign, nl=%.0f%%, roles of positives %s" % (total, n_benign, 100 * share_nl, roles_pos))
print("categories: " + ", ".join("%s=%d" % kv for kv in sorted(cat_count.items())))
