#!/usr/bin/env python3
"""Build the labelled evaluation set sealed502 (fictional company: Veldhaver Tuintechniek B.V.,
an electric garden tools maker).  Deterministic: fixed seed, standard library + PyYAML.

Writes cases.jsonl next to this file and self-checks it:
  * every IBAN / payment card / BSN in a leak.pii case passes its checksum, every look-alike
    in any other case fails it;
  * generated credentials are well-formed (GitHub CRC-32, AWS charset, JWT header with alg);
  * internal terms / embargoed terms before `until` only appear in leak.confidential cases;
  * every line is a valid CONTRACT section 6 case; severities are computed from the account
    role in profile.yaml (CONTRACT section 4), never typed by hand.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 502
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    body, chk = tok[4:34], tok[34:]
    return len(tok) == 40 and b62(zlib.crc32(body.encode())).rjust(6, "0") == chk


def aws_key_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(ALNUM + "/+", 40)


def stripe_live():
    return "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 24)


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24))


def google_key():
    return "AIza" + rand(URLSAFE, 35)


def openai_key():
    return "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74)


def anthropic_key():
    return "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"


def gitlab_pat():
    return "glpat-" + rand(URLSAFE, 20)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def openssh_ed25519(comment):
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    seed = bytes(rng.randrange(256) for _ in range(32))
    pubblob = s(b"ssh-ed25519") + s(pub)
    check = struct.pack(">I", rng.randrange(2**32)) * 2
    priv = check + s(b"ssh-ed25519") + s(pub) + s(seed + pub) + s(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1)
            + s(pubblob) + s(priv))
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def password(n=14):
    while True:
        p = rand(ALNUM + "!#%&*?", n)
        if any(c.isdigit() for c in p) and any(c in "!#%&*?" for c in p):
            return p


def iban_num(s):
    return int("".join(str(int(c, 36)) for c in s))


def iban_make(cc, bban):
    return "%s%02d%s" % (cc, 98 - iban_num(bban + cc + "00") % 97, bban)


def iban_ok(s):
    s = s.replace(" ", "").upper()
    lens = {"NL": 18, "BE": 16, "DE": 22, "GB": 22, "FR": 27}
    if s[:2] not in lens or len(s) != lens[s[:2]]:
        return False
    return iban_num(s[4:] + s[:4]) % 97 == 1


def nl_iban(bank):
    return iban_make("NL", bank + "".join(str(rng.randint(0, 9)) for _ in range(10)))


def be_iban():
    first = rng.randint(10**9, 10**10 - 1)
    chk = first % 97 or 97
    return iban_make("BE", "%010d%02d" % (first, chk))


def gb_iban():
    return iban_make("GB", rand(string.ascii_uppercase, 4) + "".join(str(rng.randint(0, 9)) for _ in range(14)))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def break_one_digit(s):
    """Change one digit so the checksum fails (single-digit errors are always caught)."""
    pos = [i for i, c in enumerate(s) if c.isdigit()]
    i = pos[len(pos) // 2 + 1]
    d = (int(s[i]) + rng.randint(1, 8)) % 10
    return s[:i] + str(d) + s[i + 1:]


def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    tot = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        tot += d
    return tot % 10 == 0


def card(prefix, length):
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    return (sum(d[i] * (9 - i) for i in range(8)) - d[8]) % 11 == 0


def bsn():
    while True:
        d = [rng.randint(0, 9) for _ in range(8)]
        d[0] = rng.randint(1, 7)
        c = sum(d[i] * (9 - i) for i in range(8)) % 11
        if c <= 9:
            return "".join(map(str, d)) + str(c)


def mobile(style):
    n = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return {
        "dash": "06-" + n,
        "space": "06 %s %s" % (n[:4], n[4:]),
        "intl": "+31 6 %s" % n,
        "intl0": "+31 (0)6 %s %s" % (n[:4], n[4:]),
        "0031": "0031 6 %s %s" % (n[:4], n[4:]),
        "plain": "06" + n,
    }[style]


# --------------------------------------------------------------------------- case list
CASES = []


def add(platform, handle, lang, cats, text, kind="post", when=None, display=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when, display=display))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CON, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SCR, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints (public) ---------------------------------------------------------------
add("x", "@hanneke_tuiniert", "nl", [CPL],
    "Robotmaaier R500 rijdt voor de 3e keer deze week vast bij de border en de app zegt gewoon "
    "'alles ok' 🙄 @veldhaver_help hoe lang moet ik nog wachten op die beloofde fix??", kind="reply")
add("reddit", "u/lawnguy_utrecht", "en", [CPL],
    "PSA: the PowerCel 8Ah I bought in April now lasts maybe 20 minutes on the M46. Veldhaver support "
    "says that's 'within spec'. Within spec my foot, it's a 219 euro battery. Not buying into this "
    "battery platform again.")
add("facebook", "gerda.vanleeuwen.58", "nl", [CPL],
    "Al vijf weken wacht ik op mijn heggenschaar die voor reparatie is opgestuurd. Niemand neemt op "
    "bij de klantenservice en op mijn mails krijg ik geen antwoord. Heel slechte service van "
    "Veldhaver, echt jammer want het apparaat zelf was prima.", display="Gerda van Leeuwen")
add("x", "@dkowalski_pl", "en", [CPL],
    "ordered a Storm 50 Pro from the veldhaver webshop, got a Storm 30 in the box. return label "
    "page says 'not available'. cool cool cool")
add("x", "@boerjanssen", "nl", [CPL],
    "@veldhaver_nl snellader QC36 alweer stuk na 3 maanden. lampje knippert rood en verder niks. "
    "garantie wil dat ik een bonnetje opstuur terwijl ik m bij jullie EIGEN webshop heb besteld?? "
    "#slechteservice", kind="reply")
add("instagram", "@the.greenfingered.dad", "en", [CPL],
    "Love the look of it but the M46 Pro mulching is useless in wet grass, clogs every 5 metres. "
    "Asked your team twice in DM, zero reply. Disappointed tbh", kind="comment")
add("forum", "wimpie_tuinforum", "nl", [CPL],
    "Mijn ervaring met de Wortel 38 verticuteerder: na twee keer gebruik zat de messenas al krom. "
    "Dealer zegt 'gebruikersfout', Veldhaver zegt 'ga naar de dealer'. Ondertussen staat mijn "
    "gazon er half omgewoeld bij. Niet kopen mensen, of in ieder geval niet bij deze dealer.")
add("x", "@sarah_mows", "en", [CPL],
    "Veldhaver app update 4.2 wiped all the mowing zones for my R1200. Spent an hour redrawing the "
    "boundary. Third time this year. Please test your updates before pushing them 🙃")
add("x", "@pdebruijn", "nl", [CPL],
    "Bezorger heeft de hakselaar gewoon over de schutting bij de buren gegooid. Doos kapot, trechter "
    "gebarsten. Veldhaver: 'neem contact op met de vervoerder'. Ik heb bij JULLIE besteld hoor.")
add("mastodon", "@marloes@mastodon.nl", "nl", [CPL],
    "Die bladblazer Storm 30 maakt zoveel herrie dat de buren komen klagen, en die 'fluisterstand' "
    "uit de reclame is gewoon.. niet fluisterend. Teleurgesteld, gaat retour.")

# ---- safety incidents told first-hand: crisis + complaint -----------------------------
add("x", "@rikvanas", "nl", [CRI, CPL],
    "Mijn PowerCel 4Ah accu vatte VLAM in de schuur tijdens het laden!! Brandweer erbij gehad, "
    "halve schuur zwart. Veldhaver reageert niet eens op mijn mail. Foto's volgen. #veldhaver")
add("facebook", "jenny.marsh.7", "en", [CRI, CPL],
    "My husband got a proper shock off the Spuit 140 pressure washer this morning. The cable near "
    "the handle was warm and the casing tingles when you touch it. He's okay but shaken. It's "
    "going straight back and I want answers from Veldhaver.", display="Jenny Marsh")
add("instagram", "@fam.dijkstra.tuin", "nl", [CRI, CPL],
    "Kloof 40 Pro: kettingrem werkte NIET, zaag sloeg terug en mijn vader heeft een flinke jaap in "
    "zn onderarm. 6 hechtingen op de SEH. Hoe komt zoiets door een keuring?? @veldhaver.tuin")
add("reddit", "u/mowerdad_91", "en", [CRI, CPL],
    "Our R500 robot mower ran over my son's foot even though the bump sensor is supposed to stop it. "
    "Bruised, thank god no cuts, but it did NOT stop. Reported it to Veldhaver and got a canned "
    "email back. Never again.")
add("x", "@yvonne_tuinier", "nl", [CRI, CPL],
    "QC36 lader rook naar verbrand plastic en de stekker is gewoon gesmolten 😳 stond er gelukkig "
    "naast. Dit had mijn huis kunnen zijn @veldhaver_help", kind="reply")
add("x", "@tomhalloran", "en", [CRI, CPL],
    "Blade flew off my M40 mid-mow and went straight through the shed window. Could've been my dog. "
    "@veldhaver_nl please explain how a blade bolt just 'comes loose' on a 2 month old mower")

# ---- crisis told by third parties, boycotts, lawsuit, breach accusations, recall ------
add("x", "@nieuws_meierij", "nl", [CRI],
    "Schuurbrand in Uden vermoedelijk veroorzaakt door een accu van tuingereedschap van Veldhaver, "
    "meldt de brandweer. Er raakte niemand gewond.")
add("x", "@safetywatch_eu", "en", [CRI],
    "Consumer group reports three cases of Veldhaver PowerCel 8Ah batteries overheating while on "
    "charge, one causing a small garage fire. The manufacturer has not commented yet.")
add("facebook", "buurtapp.oost.veghel", "nl", [CRI],
    "Let op buren: bij nummer 14 is gisteren een kettingzaag van Veldhaver uit de hand gelopen, de "
    "buurman ligt in het ziekenhuis. Wees voorzichtig met die dingen en check of jullie ook dat "
    "model hebben.")
add("x", "@tuinvrij_anouk", "nl", [CRI],
    "Veldhaver laat zijn accu's maken met kobalt uit mijnen waar kinderen werken, bleek gisteren uit "
    "de reportage. Ik koop daar niks meer. #boycotVeldhaver")
add("bluesky", "@greenlawnactivist.bsky.social", "en", [CRI],
    "Reminder that Veldhaver quietly lobbied against the EU battery take-back rules. Don't give them "
    "your money this spring, plenty of better brands. #BoycottVeldhaver")
add("linkedin", "esther-kuipers-advocaat", "nl", [CRI],
    "Namens ruim 300 kopers van de Grasrobot R1200 hebben wij vandaag een collectieve vordering "
    "ingediend tegen Veldhaver Tuintechniek B.V. wegens ondeugdelijke veiligheidssensoren. "
    "Gedupeerden kunnen zich nog aanmelden.", display="mr. Esther Kuipers")
add("x", "@infosec_marten", "en", [CRI],
    "Looks like Veldhaver's customer database is up for sale on a breach forum: names, addresses, "
    "order history. Not a word from them so far. If you've got a TuinApp account, change your "
    "password today.")
add("x", "@karinvd", "nl", [CRI],
    "Ik krijg ineens phishingmails met mijn échte bestelnummer en adres van Veldhaver erin. Daar is "
    "dus gewoon een datalek geweest en ze houden het stil?! 😡")
add("x", "@veldhaver_nl", "nl", [CRI],
    "Veiligheidsterugroepactie: wij roepen kettingzagen Kloof 35 uit productieweek 2511 t/m 2519 "
    "terug vanwege een mogelijk defect aan de kettingrem. Stop direct met gebruik en kijk op "
    "veldhaver.nl/terugroep hoe u de zaag kosteloos laat omruilen.")

# ---- abuse ---------------------------------------------------------------------------
add("x", "@woedende_willem", "nl", [ABU, CPL],
    "Veldhaver stelletje kutoplichters, 3 keer die robot terug gestuurd en hij is nog steeds kapot. "
    "Kankerzooi.")
add("x", "@grumpy_gardener77", "en", [ABU],
    "@veldhaver_help your support guy Tom is a useless moron who can't read a ticket. Fire him.",
    kind="reply")
add("instagram", "@xx_ricky_xx", "nl", [ABU],
    "wat een lelijke kop heeft die influencer van jullie zeg, haal die vetzak uit de reclame 🤮",
    kind="comment")
add("reddit", "u/throwaway_rage22", "en", [ABU],
    "Veldhaver execs are a bunch of greedy scumbags. Hope their warehouse burns down with the "
    "bonuses inside.")
add("x", "@dennis_1988", "nl", [ABU],
    "die naima van HR bij veldhaver kan beter terug naar haar eigen land, hoofddoekjes horen niet "
    "in een nederlands bedrijf")
add("x", "@koen_tuinman", "nl", [ABU],
    "@grumpy_gardener77 misschien eerst de handleiding lezen, sukkel. Niet ons probleem dat jij te "
    "dom bent om een maaier aan te zetten", kind="reply")
add("x", "@anoniem_tuinman", "nl", [ABU],
    "Veldhaver = kl\u043e\u043etzakken 🖕 elke 5 min die reclame voor mn youtube filmpje")
add("x", "@m0wer_hater", "en", [ABU],
    "veldhaver staff r all f*cking 1d10ts lmaooo")
add("tiktok", "@lotte.x.x", "nl", [ABU],
    "dat meisje in jullie tiktoks is echt een d o m w i c h t 😂😂", kind="comment")
add("youtube", "@ReviewRanter", "en", [ABU],
    "Whoever designed this app should be taken out back and shot. Absolute garbage people.",
    kind="comment")
add("facebook", "henk.boersma.3", "nl", [ABU],
    "Jullie zijn een stelletje tyfuslijers bij die klantenservice. Succes met jullie bedrijfje.",
    kind="comment")
add("mastodon", "@quietriot@mastodon.social", "en", [ABU],
    "Veldhaver's CEO is a lying piece of shit and everyone who works there knows it.")

# ---- confidential ----------------------------------------------------------------------
add("x", "@koen_tuinman", "nl", [CON],
    "Eindelijk in het echt testen 🙌 Kwartelkoning doet 1,2 hectare op één lading op het proefveld. "
    "Jullie gaan dit zo leuk vinden volgend voorjaar")
add("linkedin", "naima-bouzid", "nl", [CON],
    "Wij zoeken een senior embedded engineer voor Project Egelantier, ons nieuwe accuplatform dat "
    "alle bestaande PowerCel-accu's gaat vervangen. Interesse? Stuur me een bericht!")
add("instagram", "@eva.tuinstyling", "nl", [CON],
    "Sneak peek 👀 mocht vandaag al met de Grasrobot R2000 door de tuin. Meer mag ik nog niet "
    "zeggen 🤫 #veldhaver #robotmaaier #ambassadeur")
add("reddit", "u/dealerinsider_nl", "nl", [CON],
    "Dealer hier. Kregen vandaag een presentatie over de R2000 robotmaaier: RTK zonder grensdraad, "
    "adviesprijs 1899, levering in maart. Mogen we pas na de lancering over praten dus je hebt het "
    "niet van mij.")
add("x", "@lisa_devlin_dev", "en", [CON],
    "anyone know why https://jira.veldhaver.nl/browse/FW-2231 keeps timing out for me? oh wait "
    "wrong window 🙈")
add("mastodon", "@jwillems@fosstodon.org", "nl", [CON],
    "Screenshotje van ons build-dashboard op https://grafana.ops.veldhaver.nl/d/ci-main 😎 na drie "
    "weken eindelijk alle tests groen")
add("facebook", "VeldhaverTuintechniek", "nl", [CON],
    "VH-INTERN, niet doorsturen. Dealerdag 14 november: nieuwe margestructuur per 1 januari, "
    "topdealers krijgen 4% extra op de M-lijn en het kortingsplafond op accu's vervalt.")
add("threads", "@sophie.vh.sales", "nl", [CON],
    "haha kreeg net de roadmap doorgestuurd met 'Veldhaver confidential' in de koptekst en de helft "
    "gaat over Operatie Zwarte Els. spannend jaar 😅")
add("x", "@maartje_vh", "nl", [CON],
    "Kan niet wachten tot we \uff25\uff47\uff45\uff4c\uff41\uff4e\uff54\uff49\uff45\uff52 eindelijk "
    "mogen laten zien 🌹🌹 nog even geduld!")
add("bluesky", "@daan-ops.bsky.social", "en", [CON],
    "late night deploy for the Kwartel\u200bkoning beta firmware, coffee number three ☕")
add("x", "@zwager_van_jos", "nl", [CON, FIN],
    "Mijn zwager werkt bij Veldhaver en zegt dat 'Z w a r t e  E l s' gewoon betekent dat ze de "
    "fabriek in Veghel dichtgooien en alles naar Polen verhuizen. Niemand weet het nog.")
add("linkedin", "mark-oosterhuis-vh", "en", [CON],
    "Proud of the team! First pallets of R2000 robot mower units left for our Benelux DC today 🚚 "
    "Can't show the product yet, but you'll see it soon.")
add("reddit", "u/bas_firmware", "en", [CON],
    "Can't say much, but the RTK module in the next mower (internally we call it Kwartelkoning) is a "
    "massive step up from the R1200. Patience.")
add("x", "@techleaks_nl", "nl", [CON],
    "Uitgelekt Veldhaver-document met 'intern - niet delen' in de voettekst: plannen voor een "
    "accu-zitmaaier in 2027 👀 plaatjes in de thread")
add("x", "@tomvh_care", "nl", [CON],
    "collega's, de nieuwe retourprocedure staat op https://intra.veldhaver.local/klantenservice/retour "
    "graag vandaag doorlezen!")
add("linkedin", "ruud-hendriks-veldhaver", "nl", [CON, FIN],
    "Trots op het team: de jaarcijfers 2026 laten een omzetgroei van 18% zien en we gaan voor het "
    "eerst over de 100 miljoen. Binnenkort meer!", when="2027-02-10T16:12:00Z")
add("x", "@maartje_vh", "en", [CON, FIN],
    "FY2026 results are in and they're 🔥 EBITDA basically doubled. can't say more until the 25th 🤐",
    when="2027-02-19T20:41:00Z")
add("x", "@veldhaver_nl", "nl", [CON, FIN],
    "Veldhaver publiceert de jaarcijfers 2026: omzet €104,6 mln (+18%), nettowinst €7,9 mln. "
    "Lees het volledige persbericht op veldhaver.nl/investeerders.", when="2027-02-25T06:40:00Z")

# ---- financial -------------------------------------------------------------------------
add("linkedin", "ruud-hendriks-veldhaver", "nl", [FIN],
    "Lastig kwartaal: de omzet robotmaaiers ligt in Q3 22% onder budget en we gaan de "
    "jaarprognose naar beneden bijstellen. Gelukkig draait de M-lijn wel goed.")
add("threads", "@sophie.vh.sales", "en", [FIN],
    "heard from mgmt today we're getting bought by a big US power tool group, deal closes in spring "
    "🤯 don't tell anyone lol")
add("x", "@beursroddel", "nl", [FIN],
    "Hoor uit goede bron dat Veldhaver in gesprek is om concurrent Maaimeester over te nemen, voor "
    "zo'n 40 miljoen. Handtekening zou voor de zomer gezet worden.")
add("linkedin", "naima-bouzid", "nl", [FIN],
    "Zware week. Volgende maand moeten we afscheid nemen van 60 collega's in Veghel. Het plan gaat "
    "vrijdag naar de OR. Ik wil iedereen die het treft alvast veel sterkte wensen.")
add("x", "@koen_tuinman", "nl", [FIN],
    "binnenkort reorganisatie bij ons, hele productteam gaat op in R&D en er verdwijnen 2 "
    "managementlagen. shhh 🤫")
add("reddit", "u/exVH_warehouse", "en", [FIN],
    "Left Veldhaver last month. They're moving all battery assembly to Poland next year, the "
    "Veghel line is done. Nobody there has been told officially yet.")
add("mastodon", "@jwillems@fosstodon.org", "en", [FIN],
    "Internal forecast says we'll miss the H2 revenue target by about 9 million. Glad I'm not in "
    "finance this week 😬")
add("bluesky", "@daan-ops.bsky.social", "en", [FIN],
    "ok so the all-hands just confirmed it: hiring freeze plus a 10% cost cut across ops, and the "
    "2026 bonus is cancelled. fun times")

# ---- security --------------------------------------------------------------------------
add("bluesky", "@daan-ops.bsky.social", "en", [SEC],
    "TuinApp backend has been down since 03:10, primary db ran out of disk. status page still says "
    "'all systems operational' lol, we'll post something once it's back")
add("x", "@lisa_devlin_dev", "en", [SEC],
    "found out today our R1200 firmware update server happily accepts unsigned images 😬 filed it, "
    "hope it's fixed before somebody else notices")
add("mastodon", "@jwillems@fosstodon.org", "nl", [SEC],
    "Vanochtend bleek dat iemand met een oude API-sleutel orderdata uit ons dealerportaal heeft "
    "gedownload. Security zoekt het nog uit, we mogen er niks over naar buiten brengen.")
add("reddit", "u/bas_firmware", "en", [SEC],
    "From someone who works on it: R500 Bluetooth pairing has no PIN check, anyone within about "
    "10 m can push a schedule to your mower. Fix is in the pipeline, not public yet.")
add("x", "@tomvh_care", "nl", [SEC],
    "Klantenservice ligt plat, ons ticketsysteem is gehackt of zoiets. We mogen niks zeggen maar "
    "daarom krijgen jullie geen reactie 🙈")
add("linkedin", "mark-oosterhuis-vh", "en", [SEC],
    "Our warehouse systems have been down since Monday after a ransomware attack, so we're picking "
    "every order by hand. Hats off to the team 💪")
add("x", "@pentest_pim", "en", [SEC],
    "Just wrapped a pentest for a garden tool maker in Brabant (hi Veldhaver 😉): the webshop admin "
    "panel sits on /beheer with the default admin password. Reported three weeks ago, still not "
    "fixed.")
add("bluesky", "@daan-ops.bsky.social", "en", [SEC],
    "incident channel is on fire: since this morning's deploy the checkout has been putting OTHER "
    "customers' addresses in order confirmations. rolling back now")
add("mastodon", "@jwillems@fosstodon.org", "en", [SEC],
    "One of our GitLab runners was compromised last night and the attacker pulled the CI variables. "
    "Rotating everything now. Not announced yet.")
add("threads", "@sophie.vh.sales", "nl", [SEC],
    "lol de hele webshop ligt eruit sinds vanochtend, IT zegt dat het een DDoS is maar klanten zien "
    "alleen een 'gepland onderhoud' pagina 🤫")
add("x", "@koen_tuinman", "nl", [SEC],
    "Lek in de BMS van de PowerCel: via de laadpoort kun je de temperatuurbeveiliging uitzetten. "
    "Wordt een stille firmware-fix volgens mij, niemand weet het nog.")

tok_jwt = jwt({"sub": "u_48213", "iss": "auth.tuinapp.veldhaver.nl", "role": "", "iat": 1781532000,
               "exp": 1781535600})
add("x", "@lisa_devlin_dev", "en", [SEC, SCR],
    "prod auth for TuinApp is down since 14:00 and nobody can log in, the signing key rotation went "
    "sideways. this is the token it hands out now: " + tok_jwt + " and the role claim is empty, wtf")
aws1, aws1s = aws_key_id(), aws_secret()
add("bluesky", "@daan-ops.bsky.social", "en", [SEC, SCR],
    "a contractor pushed an AWS key to a public repo last week and we only noticed today because the "
    "bill hit 14k. it was " + aws1 + " / " + aws1s + " (disabled now). not announced yet 🤐")

# ---- secrets ---------------------------------------------------------------------------
add("x", "@lisa_devlin_dev", "en", [SCR],
    'why does this 401?? curl -H "Authorization: token ' + github_token() +
    '" https://api.github.com/repos/veldhaver/tuinapp-ios/releases')
add("mastodon", "@jwillems@fosstodon.org", "en", [SCR],
    "Payments on our test environment were suddenly real 😅 turns out the .env had\n"
    "STRIPE_SECRET_KEY=" + stripe_live() + "\nSomeone swapped live and test. Fun Monday.")
add("reddit", "u/bas_firmware", "en", [SCR],
    "Our Slack build bot stopped posting after the workspace migration. Bot token is " + slack_bot() +
    " with chat:write and channels:read. Anyone seen 'not_in_channel' even though it's invited?")
add("bluesky", "@daan-ops.bsky.social", "en", [SCR],
    "pgbouncer keeps dropping this one: postgresql://tuinapp_rw:" + password(16) +
    "@tuinapp-prod." + rand(string.ascii_lowercase + string.digits, 12) +
    ".eu-west-1.rds.amazonaws.com:5432/tuinapp works fine from psql, dies in the pool. ideas?")
add("x", "@koen_tuinman", "nl", [SCR],
    "voor de collega's die morgen naar het proefveld komen: wifi is VH-Testveld, wachtwoord: "
    "Maaier!Veghel2026 📶")
add("x", "@veldhaver_help", "nl", [SCR],
    "@dekker_tuinservice Hoi Marco, je kunt inloggen op het dealerportaal met gebruiker m.dekker en "
    "tijdelijk wachtwoord " + password(12) + " – wijzig het direct na de eerste keer inloggen!",
    kind="reply")
add("mastodon", "@jwillems@fosstodon.org", "nl", [SCR],
    "onze TuinApp-chatbot vreet credits, wie kijkt even mee? in de staging config staat "
    "OPENAI_API_KEY=" + openai_key())
add("reddit", "u/bas_firmware", "en", [SCR],
    "ssh keeps saying 'invalid format' for my deploy key, pasted below. what am I missing?\n\n" +
    openssh_ed25519("deploy@build-03"))
add("x", "@apk_ontleder", "en", [SCR],
    "Pulled the Veldhaver TuinApp apk apart for fun. Hardcoded Maps key: " +
    google_key() + " 🤦‍♂️ and no restrictions on it either")
add("x", "@lisa_devlin_dev", "en", [SCR],
    "trying claude for warranty triage, works great so far. ANTHROPIC_API_KEY=" + anthropic_key() +
    " in my .zshrc like a pro")
add("bluesky", "@daan-ops.bsky.social", "en", [SCR],
    "mirror job fails with 403, command is git clone https://oauth2:" + gitlab_pat() +
    "@gitlab.com/veldhaver/firmware-r1200.git any clue?")

# ---- personal data ---------------------------------------------------------------------
p1 = nl_iban("INGB")
add("x", "@veldhaver_help", "nl", [PII],
    "@jannekevos Hoi Janneke, je retour is binnen! We storten €449 terug op " + spaced(p1) +
    " binnen 5 werkdagen. Fijne dag!", kind="reply")
add("facebook", "VeldhaverTuintechniek", "nl", [PII],
    "Beste Henk Smulders, onze monteur komt donderdag tussen 10 en 12 uur naar Kerkstraat 12, "
    "5461 AB Veghel voor uw robotmaaier. Bij vragen belt hij u op " + mobile("dash") + ".",
    kind="comment")
add("x", "@tomvh_care", "nl", [PII],
    "@peterk_78 ik zie een bestelling op naam van Peter Kramer, geboren 14-03-1978, ben jij dat? "
    "dan zet ik de garantie meteen om", kind="reply")
p4b, p4i = bsn(), nl_iban("ABNA")
add("linkedin", "naima-bouzid", "nl", [PII],
    "Welkom Ilse Verbeek in ons team! Ilse, voor de salarisadministratie heb ik nu BSN " + p4b +
    " en rekening " + p4i + ", klopt dat? 🎉")
add("x", "@marieke_tuint", "nl", [PII, CPL],
    "@veldhaver_help al 3x gebeld over mijn kapotte M40, niemand belt terug. bel me nou gewoon: " +
    mobile("space") + " (Marieke de Wit)", kind="reply")
add("x", "@bobsgarden", "en", [PII, CPL],
    "@veldhaver_help still no refund for order VH-2026-118204, six weeks now. my email is "
    "bob.harrington71@gmail.com, answer it for once", kind="reply")
p7 = card("5" + str(rng.randint(1, 5)), 16)
add("x", "@oma_truus61", "nl", [PII],
    "@veldhaver_klantenservice24 zoals gevraagd in de DM: kaartnummer " + spaced(p7) +
    ", geldig t/m 11/27. Kan de bestelling van de hakselaar nu verder?", kind="reply")
add("x", "@koen_tuinman", "nl", [PII],
    "Heeft iemand nog contact met de winnaar van de winactie? Sander Bos, Dorpsstraat 44, "
    "5422 VK Gemert. De R500 staat hier klaar om bezorgd te worden!")
add("x", "@wraakzuchtig", "nl", [PII, ABU],
    "Die Tom van de Veldhaver klantenservice woont gewoon op de Lindelaan 7 in Boxtel, Tom Verhagen. "
    "Ga maar eens langs bij die nietsnut.")
add("bluesky", "@daan-ops.bsky.social", "en", [PII],
    "why is the order service logging full customer records at INFO? e.g. customer=Anna Lisowski "
    "email=anna.lisowski@outlook.com tel=" + mobile("intl") + ". raising it tomorrow")
p11 = bsn()
add("x", "@veldhaver_help", "nl", [PII],
    "@r_vermeulen je hoeft ons je BSN echt niet te sturen hoor! Je schreef 'BSN " +
    "%s.%s.%s" % (p11[:4], p11[4:6], p11[6:]) + "' in je reactie, haal die tweet maar snel weg 🙏",
    kind="reply")
p12 = be_iban()
add("x", "@tuinman_gerrit", "nl", [PII],
    "Veldhaver vraagt mijn rekeningnummer voor de terugbetaling, hier: " + spaced(p12) +
    " op naam van G. Hoekstra. Schiet maar op 😅")
add("threads", "@sophie.vh.sales", "nl", [PII],
    "nieuwe dealer in Zwolle! 🙌 contactpersoon Erik Mulder, " + mobile("intl0") +
    ", erik.mulder@tuincentrummulder.nl, bel hem gerust voor een demo")
add("facebook", "VeldhaverTuintechniek", "nl", [PII],
    "Hoera! 🎉 Onze 100.000e klant is Fenna Jacobs (geboren 2 mei 1991) uit Oss. Fenna, geniet "
    "van je nieuwe Grasrobot R500!")
add("reddit", "u/confused_in_boekel", "en", [PII, CPL],
    "Veldhaver's courier left a delivery note with someone else's details on my doorstep: "
    "'J. Peeters, Molenweg 3, 5427 BL Boekel, 0492-318476'. Their delivery partner is a privacy "
    "mess, and my own parcel is still missing.")

# ---- pricing ---------------------------------------------------------------------------
add("x", "@veldhaver_nl", "nl", [PRC],
    "🔥 Weekdeal: Grasrobot R1200 nu voor maar €149! Op = op. #veldhaver #robotmaaier")
add("instagram", "@veldhaver.tuin", "nl", [PRC],
    "Voorjaarsactie 🌱 Kettingzaag Kloof 40 Pro van €459 voor €45,90. Link in bio!")
add("x", "@dealhunter_nl", "nl", [PRC],
    "PRIJSFOUT bij Veldhaver: PowerCel 36V 8Ah accu voor €21,90 in de webshop 😱 snel zijn! "
    "#prijsfout #deal")
add("reddit", "u/bargainbrit", "en", [PRC],
    "Veldhaver webshop has the Spuit 140 listed at €25.90 right now, surely a pricing error? "
    "ordered two anyway lol")
add("facebook", "karel.vandam.77", "nl", [PRC, CPL],
    "Had de Grasrobot R500 besteld voor €89 (zo stond hij op hun site), nu annuleren ze gewoon mijn "
    "bestelling met een standaardmailtje. Afspraak is afspraak Veldhaver, dit is klantonvriendelijk.",
    display="Karel van Dam")
add("threads", "@sophie.vh.sales", "nl", [PRC],
    "dealers opgelet: vanaf maandag kun je de M46 Pro voor €249 inkopen, geef het door aan je "
    "collega's 😉")
add("x", "@maartje_vh", "nl", [PRC],
    "oeps 🙈 de nieuwsbrief ging net de deur uit met de Heggenschaar H60 voor €17,90 ipv €179. "
    "we zijn ermee bezig!")
add("x", "@frugal_fran", "en", [PRC],
    "Veldhaver app shows the Knarsel 25 shredder at 39 euros?? price glitch or am I dreaming")
add("x", "@prijsfout_alert", "nl", [PRC],
    "Stoksnoeier Reiger 25 nu €19,- bij Veldhaver 😲 p.r.i.j.s.f.o.u.t? wees er snel bij")
add("tiktok", "@veldhaver_official", "nl", [PRC],
    "Bladblazer Storm 50 Pro nu maar €24,90 ‼️ alleen dit weekend 🍂 #bladblazer #herfst")
add("forum", "tuinmanjoop", "nl", [PRC],
    "Bij de Veldhaver outlet in Veghel stond de Bosmaaier Rand 35 Pro voor €59 en de kassa rekende "
    "ook €59. Prijsfout of dumpen ze de voorraad? Heb er maar twee meegenomen.")
add("linkedin", "mark-oosterhuis-vh", "en", [PRC],
    "Heads up to our retail partners: because of a feed error one marketplace is showing our "
    "Verticuteermachine Wortel 38 at €23.90. We're fixing it, please don't honour those orders.")

# ---- benign, mostly hard negatives -----------------------------------------------------
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
bad_nl_iban = break_one_digit(nl_iban("RABO"))
bad_gb_iban = break_one_digit(gb_iban())
bad_card = break_one_digit(card("6039", 16))
while True:
    bad_bsn = "%09d" % rng.randint(10**8, 10**9 - 1)
    if not bsn_ok(bad_bsn):
        break

HARD_PRICE = set()  # texts that mention a product next to a low price that is NOT a pricing leak

add("x", "@hanneke_tuiniert", "nl", [],
    "Update: Veldhaver heeft de R500 opgehaald en binnen een week gerepareerd teruggestuurd, rijdt "
    "weer als een zonnetje ☀️ top service, excuses voor mijn chagrijnige tweet van vorige week")
add("x", "@gardenlover_uk", "en", [],
    "The Kloof 35 absolutely kills it on overgrown brambles. Best money I've spent this year 🔥")
add("instagram", "@tuinmet_tess", "nl", [],
    "Deze heggenschaar is echt kapot goed 😍 strakke haag in 20 minuten #veldhaver #tuinieren")
add("x", "@veldhaver_help", "nl", [],
    "Vragen over je bestelling? Mail naar klantenservice@veldhaver.nl of bel gratis 0800-8353 "
    "(ma t/m za van 8 tot 20 uur). We helpen je graag!")
add("facebook", "VeldhaverTuintechniek", "nl", [],
    "Liever betalen via een overschrijving? Ons rekeningnummer is " + spaced(PUBLIC_IBAN) +
    " t.n.v. Veldhaver Tuintechniek B.V. Vermeld altijd je ordernummer.")
add("reddit", "u/lawnguy_utrecht", "en", [],
    "Is the 20% spring discount on the Grasrobot R1200 worth grabbing or should I wait for Black "
    "Friday? €1199 seems ok for what it does.")
add("x", "@veldhaver_nl", "nl", [],
    "Voorjaarsactie 🌷 Maaier M40 accu nu €379 (was €449). Alleen t/m zondag, zolang de voorraad "
    "strekt.")
add("forum", "groenevingers_ria", "nl", [],
    "Iemand ervaring met de Wortel 38? Voor €239 vind ik het best veel geld voor een verticuteerder, "
    "gebruik hem maar twee keer per jaar.")
add("x", "@lisa_devlin_dev", "en", [],
    "PSA for our new interns: in docs and tests use the AWS placeholders AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY and keep real keys in the vault. Thank you 🙏")
add("mastodon", "@jwillems@fosstodon.org", "nl", [],
    "Tip: zet in je README gewoon GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx als "
    "voorbeeld en de echte in je secrets manager. Scheelt een hoop gedoe.")
add("x", "@mowing_mo", "en", [],
    "Just reset my TuinApp password and the new 'forgot password' flow is actually smooth. Nice one "
    "Veldhaver")
add("x", "@sjaak_tuint", "nl", [],
    "Typte mijn IBAN verkeerd in de Veldhaver-app (" + bad_nl_iban + ") en hij gaf meteen "
    "'ongeldig rekeningnummer'. Fijn dat ze dat checken, stom van mij.")
add("instagram", "@birthday.bram", "en", [],
    "Got a Veldhaver gift card for my birthday 🎁 the number on the back is " + spaced(bad_card) +
    ", guess I'm finally getting that hedge trimmer")
add("x", "@hakselfan", "en", [],
    "Order " + bad_bsn + " just arrived! Testing the new shredder on the pruning pile tomorrow 🎉")
add("x", "@toolnewsdaily", "en", [],
    "GardenForge recalls 40,000 hedge trimmers over a faulty blade guard. Glad my Veldhaver one isn't "
    "on that list.")
add("x", "@buurvrouw_els", "nl", [],
    "Veel sterkte aan de mensen van Veldhaver nu het bedrijf naast hun distributiecentrum gisteren "
    "is afgebrand. Gelukkig geen gewonden.")
add("x", "@veldhaver_nl", "nl", [],
    "Hij is er! De Grasrobot R2000: maaien zonder grensdraad dankzij RTK. Vanaf vandaag te bestellen "
    "via veldhaver.nl 🤖🌱", when="2027-03-04T10:00:00Z")
add("linkedin", "ruud-hendriks-veldhaver", "nl", [],
    "Vandaag publiceerden we de jaarcijfers 2026: omzet +18%, voor het eerst boven de 100 miljoen. "
    "Dank aan alle collega's en dealers!", when="2027-02-25T09:30:00Z")
add("youtube", "@RoboMowReviews", "en", [],
    "Watched the R2000 robot mower launch stream. RTK without boundary wire is cool, but €1,899 "
    "hurts. Full review next week.", kind="comment", when="2027-03-09T18:20:00Z")
add("x", "@koen_tuinman", "nl", [],
    "Zaterdag sta ik op de Tuinbeurs in Utrecht met de hele M-lijn, kom langs voor een demo en een "
    "bak koffie ☕")
add("facebook", "ger.vandenakker", "nl", [],
    "Mijn vrouw zegt dat ik meer van mijn Veldhaver kettingzaag hou dan van haar. Ze heeft niet "
    "helemaal ongelijk 😂🪓")
add("reddit", "u/trimmer_question", "en", [],
    "Does the PowerCel 4Ah fit the older Rand 28 trimmer? The manual isn't clear and I don't want to "
    "buy the wrong battery.")
add("instagram", "@veldhaver.tuin", "nl", [],
    "En de winnaar van de winactie is... @lindavg 🎉 Stuur ons even een DM, dan komt de "
    "Heggenschaar H60 jouw kant op!")
add("linkedin", "naima-bouzid", "en", [],
    "We're hiring! Join Veldhaver as a service technician in Veghel. Apply via "
    "vacatures@veldhaver.nl, no cover letter needed.")
add("facebook", "annet.schouten.12", "nl", [],
    "Heb jaren bij Veldhaver gewerkt, mooie tijd gehad. Goede werkgever, vooral de collega's in de "
    "werkplaats 💚")
add("x", "@quietgardens", "en", [],
    "Hot take: the Storm 30 is the only leaf blower that doesn't sound like a jet engine. Neighbours "
    "haven't said a word all autumn.")
add("x", "@snoeiboer", "en", [],
    "Killer combo: Veldhaver shredder + a compost bin. Whole pruning pile gone in one afternoon 💪")
add("x", "@earlybird_ed", "en", [],
    "My Veldhaver mower is on fire today 🔥🔥 whole lawn done before breakfast")
add("tiktok", "@lachendetuinier", "en", [],
    "i literally died laughing at the new Veldhaver ad with the hedgehog 🦔😂 who made this",
    kind="comment")
add("x", "@gardenbiz_news", "en", [],
    "Sad to see Maaimeester cutting 200 jobs. Tough market for garden tool makers this year.")
add("x", "@r1200_owner", "nl", [],
    "Firmware-update 3.1 op de R1200 gezet. Release notes zeggen 'beveiligingsverbeteringen en "
    "stabiliteit', prima zo, maait weer netjes.")
add("x", "@veldhaver_help", "en", [],
    "Scheduled maintenance: TuinApp will be unavailable on Tuesday between 02:00 and 04:00 CET while "
    "we upgrade our servers. Thanks for your patience!")
add("bluesky", "@daan-ops.bsky.social", "en", [],
    "great workshop on incident response at the conference today, lots of ideas to take home")
add("x", "@homeassistant_henk", "en", [],
    "Veldhaver support asked for my TuinApp API key to debug the Home Assistant link (the one "
    "that looks like sk_****…8f2). I shouldn't share that, right? Double-checking.")
add("x", "@uk_lawn_life", "en", [],
    "Fun fact: the number on the Veldhaver box, +31 413 555 210, gets answered within 2 minutes. "
    "Rare these days!")
add("facebook", "bertus.verbakel", "nl", [],
    "Mijn buurman heeft de Kloof 40 Pro tweedehands op Marktplaats gekocht voor €180. Goede deal "
    "voor een zaag van een jaar oud.")
HARD_PRICE.add(CASES[-1]["text"])
add("x", "@woodpile_will", "en", [],
    "Spare chain for the Kloof 35 is €19.95 at my dealer, cheap enough to keep one in the shed.")
HARD_PRICE.add(CASES[-1]["text"])
add("x", "@laderzoeker", "nl", [],
    "Is de QC36 lader ook los te koop? Zie hem nergens voor €69, alleen in sets.")
add("reddit", "u/first_lawn", "en", [],
    "Question for Veldhaver owners: what's the real difference between the M40 and the M46 Pro "
    "besides cutting width?")
add("x", "@maartje_vh", "nl", [],
    "Onze nieuwe campagne 'Tuin in je hand' staat live! Kijk op veldhaver.nl 🌿")
add("linkedin", "mark-oosterhuis-vh", "en", [],
    "10 years at Veldhaver today. Started as a forklift driver, now leading logistics. Grateful.")
add("facebook", "jan.vdsteen", "nl", [],
    "Gecondoleerd aan de familie van Wim van der Veld, de oprichter van Veldhaver. Een echte vakman "
    "die nog zelf op de beurs stond.")
add("x", "@thriftygardener", "en", [],
    "Bought the Veldhaver H60 hedge trimmer at 25% off in the spring sale, €134. No regrets.")
add("x", "@pdebruijn", "nl", [],
    "Vorige week klaagde ik nog over de bezorging, maar Veldhaver heeft een nieuwe hakselaar "
    "gestuurd plus een bos bloemen 😂 dat is nog eens netjes opgelost")
add("reddit", "u/ha_tinkerer", "en", [],
    "Wrote a small Home Assistant integration for Veldhaver mowers. Config example:\n"
    "veldhaver:\n  api_key: YOUR_API_KEY_HERE\n  mower: r1200")
add("x", "@bezorgd_betalen", "nl", [],
    "Waarom vraagt Veldhaver bij afrekenen om de laatste 4 cijfers van je pas (bij mij 4821)? Is "
    "dat normaal?")
add("instagram", "@groen_gras_gijs", "nl", [],
    "\uff56\uff45\uff4c\uff44\uff48\uff41\uff56\uff45\uff52 \uff46\uff4f\uff52 \uff4c\uff49\uff46\uff45 🌱 "
    "eindelijk een gazon waar ik trots op ben")
add("x", "@pw_tips", "en", [],
    "Password tip for the TuinApp: it wants 12 characters minimum, so 'tuin' alone won't cut it 😅")
add("x", "@veldhaver_nl", "nl", [],
    "Journalist? Vanaf 1 maart zijn wij voor persvragen bereikbaar via pers@veldhaver.nl.")
add("linkedin", "veldhaver-tuintechniek", "en", [],
    "Proud to partner with the Dutch beekeepers' association: for every R500 robot mower sold we "
    "sow 10 m² of wildflowers.")
add("x", "@safe_shopper", "en", [],
    "TuinCentrumNet got breached, 2 million accounts leaked. Glad I only ever bought from Veldhaver "
    "directly.")
add("x", "@refund_rosie", "en", [],
    "Veldhaver's refund form rejected my IBAN " + bad_gb_iban + ", turns out I mistyped a digit. "
    "My bad, refund arrived the next day!")
add("x", "@privacybewust", "nl", [],
    "Waarom zou een tuingereedschapsbedrijf ooit je BSN nodig hebben? Veldhaver vraagt er gelukkig "
    "niet om, anders was ik weg geweest.")
add("x", "@lena_greenhouse", "en", [],
    "Veldhaver support remembered my name and my mower's serial number. Creepy or great? I vote great.")
add("threads", "@sophie.vh.sales", "nl", [],
    "Vandaag 40 dealers op bezoek in Veghel, wat een energie! 🌱")
add("x", "@exbenzine", "en", [],
    "RIP my old petrol mower. Switched to the Veldhaver M46 Pro and not looking back.")
add("youtube", "@VeldhaverGarden", "nl", [],
    "In deze video laten we zien hoe je de ketting van je Kloof 35 veilig spant. Altijd eerst de "
    "accu eruit! 🔧")
add("facebook", "marja.tuinhuis", "nl", [],
    "Heb net de Storm 30 gekocht bij de bouwmarkt voor €129, mooi meegenomen met de herfst in "
    "aantocht 🍂")
add("mastodon", "@florian@tuin.social", "nl", [],
    "Kudos aan Veldhaver: accu van 4 jaar oud gratis vervangen onder de verlengde garantie. Zo hoort "
    "het.")
add("x", "@dad_jokes_garden", "en", [],
    "Why did the robot mower break up with the hedge trimmer? Too many cutting remarks. 🥁 "
    "#veldhaver")
# --------------------------------------------------------------------------- build & write
LEVEL = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])(?:NL|BE|DE|GB|FR)\d{2}(?: ?[A-Z0-9]){12,23}(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![A-Za-z0-9])(?:\d[ -]?){12,18}\d(?![A-Za-z0-9])")
BSN_RE = re.compile(r"(?<![A-Za-z0-9.])(?:\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3}|\d{9})(?![A-Za-z0-9])")
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def valid_ids(text):
    """Identifiers in text that pass their checksum (IBAN mod-97, Luhn, 11-proof), and all candidates."""
    ok, seen = [], []
    for m in IBAN_RE.finditer(text):
        s = m.group(0).replace(" ", "")
        seen.append(("iban", s))
        if s.upper() not in PUBLIC_IBANS and iban_ok(s):
            ok.append(("iban", s))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            seen.append(("card", d))
            if luhn_ok(d):
                ok.append(("card", d))
    for m in BSN_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        seen.append(("bsn", d))
        if bsn_ok(d):
            ok.append(("bsn", d))
    return ok, seen


def severity(cats, role, strong_pii):
    s = 0
    for c in cats:
        inside = role in ("corporate", "employee")
        if c.startswith("leak."):
            if inside:
                v = 3
                if c in (SCR, PRC) or (c == PII and strong_pii):
                    v = 4
            else:
                v = 2
        elif c == CPL:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 3 if inside else 2
        else:
            raise AssertionError(c)
        s = max(s, v)
    return LEVEL[s]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
span = int((dt.datetime(2026, 12, 22, tzinfo=dt.timezone.utc) - start).total_seconds())
for c in CASES:
    if c["when"] is None:
        c["when"] = iso(start + dt.timedelta(seconds=rng.randrange(span)))

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
used_ids = set()
for n, idx in enumerate(order, 1):
    c = CASES[idx]
    pid = "%s-502%04d" % (c["platform"], n)
    assert pid not in used_ids
    used_ids.add(pid)
    role = role_of(c["platform"], c["handle"])
    strong = bool(valid_ids(c["text"])[0]) and PII in c["cats"]
    post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": c["when"], "brand": "veldhaver"}
    if c["display"]:
        post["account"]["display_name"] = c["display"]
    if c["platform"] == "x":
        post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"), 1900000000000000000 + n * 7919)
    lines.append({"post": post, "expect": {"categories": c["cats"],
                                            "severity": severity(c["cats"], role, strong)}})

out = os.path.join(HERE, "cases.jsonl")
with open(out, "w", encoding="utf-8") as fh:
    for obj in lines:
        fh.write(json.dumps(obj, ensure_ascii=False) + "\n")

# --------------------------------------------------------------------------- self-checks
errors = []


def err(case, msg):
    errors.append("%s: %s | %s" % (case["post"]["id"], msg, case["post"]["text"][:90]))


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {CPL, CRI, ABU, CON, FIN, SEC, SCR, PII, PRC}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


internal_terms = ([d for d in PROFILE["internal"]["domains"]] + PROFILE["internal"]["codenames"]
                  + PROFILE["internal"]["markers"])
embargo = [(e["terms"], parse_time(e["until"])) for e in PROFILE["embargo"]]
for e in PROFILE["embargo"]:
    assert str(e["until"]).startswith("2027"), e
products = []
for p in PROFILE["products"]:
    for nm in [p["name"]] + p["aliases"]:
        products.append((nm.lower(), float(p["list_price"])))

PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d+)*)|(\d+(?:[.,]\d+)*)\s?(?:euro|eur)\b)", re.I)


def prices(text):
    vals = []
    for m in PRICE_RE.finditer(text):
        raw = m.group(1) or m.group(2)
        parts = re.split(r"[.,]", raw)
        if len(parts) > 1 and len(parts[-1]) in (1, 2):
            num = "".join(parts[:-1]) + "." + parts[-1]
        else:
            num = "".join(parts)
        vals.append(float(num))
    return vals


with open(out, encoding="utf-8") as fh:
    parsed = [json.loads(l) for l in fh]
if len(parsed) != len(lines):
    errors.append("line count mismatch")
for case in parsed:
    p, e = case.get("post"), case.get("expect")
    if set(case) != {"post", "expect"} or not isinstance(p, dict) or not isinstance(e, dict):
        err(case, "shape")
        continue
    for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
        if not isinstance(p.get(f), t):
            err(case, "missing/wrong " + f)
    if not 1 <= len(p["id"]) <= 256:
        err(case, "id length")
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        err(case, "platform/kind")
    if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
        err(case, "account.handle")
    if len(p["text"].encode("utf-8")) > 64 * 1024:
        err(case, "text too large")
    if not RFC3339.match(p["created_at"]):
        err(case, "created_at not RFC 3339")
    ts = parse_time(p["created_at"])
    if ts.year not in (2026, 2027) or (ts.year == 2027 and not (2 <= ts.month <= 3)):
        err(case, "created_at outside 2026 / 2027 embargo window")
    cats, sev = e.get("categories"), e.get("severity")
    if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        err(case, "categories")
    if sev not in LEVEL or (not cats and sev != "none") or (cats and sev in ("none", "info")):
        err(case, "severity")
    role = role_of(p["platform"], p["account"]["handle"])
    text, low = p["text"], p["text"].lower()

    # no public author may pose as a company account (roles come only from the profile)
    if role == "public" and "veldhaver" in p["account"]["handle"].lower():
        err(case, "public handle looks like a company account")

    # checksummed identifiers
    ok, seen = valid_ids(text)
    if ok and PII not in cats:
        err(case, "valid identifier %r in a case without leak.pii" % (ok,))
    if not cats:
        for kind, val in seen:
            if kind == "iban" and val.upper() in PUBLIC_IBANS:
                continue
            if (kind == "iban" and iban_ok(val)) or (kind == "card" and luhn_ok(val)) or (kind == "bsn" and bsn_ok(val)):
                err(case, "look-alike passes its checksum: %s %s" % (kind, val))
    if PII in cats:
        # every candidate in a positive passes
        for kind, val in seen:
            if kind == "iban" and val.upper() in PUBLIC_IBANS:
                continue
            if (kind, val) not in ok:
                err(case, "identifier in positive fails checksum: %s %s" % (kind, val))

    # credentials
    for tok in re.findall(r"(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])", text):
        if SCR in cats and not github_ok(tok):
            err(case, "GitHub token with bad CRC-32 in a positive")
        if SCR not in cats and github_ok(tok):
            err(case, "GitHub token with valid CRC-32 without leak.secret")
    for tok in re.findall(r"(?<![A-Z0-9])AKIA[A-Z0-9]{16}(?![A-Z0-9])", text):
        if tok.endswith("EXAMPLE"):
            continue
        if not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
            err(case, "bad AWS key id charset")
        if SCR not in cats:
            err(case, "AWS key id without leak.secret")
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
        head = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4)))
        if "alg" not in head:
            err(case, "JWT header without alg")
        if SCR not in cats:
            err(case, "JWT without leak.secret")
    if re.search(r"sk_live_|xoxb-|AIza[0-9A-Za-z_-]{35}|sk-proj-|sk-ant-api03-|glpat-|BEGIN [A-Z ]*PRIVATE KEY", text) and SCR not in cats:
        err(case, "credential without leak.secret")
    if "BEGIN OPENSSH PRIVATE KEY" in text:
        b = "".join(text.split("-----BEGIN OPENSSH PRIVATE KEY-----")[1].split("-----END")[0].split())
        if not base64.b64decode(b).startswith(b"openssh-key-v1\0"):
            err(case, "bad openssh key")
    if SCR in cats and not re.search(
            r"ghp_|AKIA|eyJ|sk_live_|xoxb-|AIza|sk-proj-|sk-ant-|glpat-|PRIVATE KEY|://[^:\s]+:[^@\s]+@|wachtwoord:? ", text):
        err(case, "leak.secret without a credential")

    # internal terms and embargo
    hit = [t for t in internal_terms if t.lower() in low]
    if hit and CON not in cats:
        err(case, "internal term %r without leak.confidential" % hit)
    for terms, until in embargo:
        th = [t for t in terms if t.lower() in low]
        if th and ts < until and CON not in cats:
            err(case, "embargo term %r before until without leak.confidential" % th)

    # pricing: benign posts never put a profile product next to a price below the ratio,
    # except the deliberate second-hand / accessory hard negatives
    ratio = float(PROFILE["pricing"]["alert_below_ratio"])
    mentioned = [lp for nm, lp in products if nm.lower() in low]
    pr = prices(text)
    if PRC not in cats and mentioned and pr and text not in HARD_PRICE:
        if min(pr) < ratio * max(mentioned):
            err(case, "benign-looking low price next to a product")
    if PRC in cats:
        if not mentioned:
            err(case, "pricing case mentions no profile product")
        if not (pr and min(pr) < ratio * min(mentioned)) and not re.search(r"prijsfout|price error|pricing error|glitch|p\.r\.i\.j\.s", low):
            err(case, "pricing case without a low price or price-error talk")

    # severity recomputed independently
    strong = bool(ok) and PII in cats
    if sev != severity(cats, role, strong):
        err(case, "severity mismatch")

# profile sanity
pi = PROFILE["public_identifiers"]
for ib in pi["ibans"]:
    if not iban_ok(ib):
        errors.append("profile IBAN fails mod-97: " + ib)
acc = PROFILE["accounts"]
if len(acc["corporate"]) < 6 or len(acc["employee"]) < 8:
    errors.append("too few accounts")
if not 15 <= len(PROFILE["products"]) <= 25 or any(p["currency"] != "EUR" for p in PROFILE["products"]):
    errors.append("products")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    errors.append("codenames/markers")
if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
    errors.append("ratio")

# mix
from collections import Counter
catc = Counter(c for x in parsed for c in x["expect"]["categories"])
benign = sum(1 for x in parsed if not x["expect"]["categories"])
langs = Counter(x["post"]["lang"] for x in parsed)
roles = Counter(role_of(x["post"]["platform"], x["post"]["account"]["handle"]) for x in parsed)
sevs = Counter(x["expect"]["severity"] for x in parsed)
if not 170 <= len(parsed) <= 180:
    errors.append("case count %d" % len(parsed))
if len({x["post"]["id"] for x in parsed}) != len(parsed):
    errors.append("duplicate ids")
if len({x["post"]["text"] for x in parsed}) != len(parsed):
    errors.append("duplicate texts")

print("cases:", len(parsed), "benign:", benign)
print("categories:", dict(sorted(catc.items())))
print("langs:", dict(langs), "roles:", dict(roles), "severity:", dict(sevs))
if errors:
    print("SELF-CHECK FAILED:")
    for x in errors:
        print("  -", x)
    sys.exit(1)
print("self-check OK")
