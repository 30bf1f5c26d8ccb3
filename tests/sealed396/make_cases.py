#!/usr/bin/env python3
"""Build the sealed396 evaluation set (Vlinderhart Zorgvervoer, ambulance/patient transport).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file
and self-checks it. Severities are computed from CONTRACT §4 and the account role in
profile.yaml, never typed by hand.
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
rng = random.Random(396)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------- identifiers

def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, valid=True):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    chk = 98 - n % 97
    if not valid:
        chk = (chk + rng.randint(1, 40)) % 97 or 13
        if chk < 2:
            chk += 2
    s = "NL%02d%s" % (chk, bban)
    assert iban_valid(s) == valid, s
    return s


def spaced_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
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


def make_card(prefix, valid=True, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in "0123456789":
        if luhn_valid(body + last) == valid:
            num = body + last
            break
    assert luhn_valid(num) == valid
    return num


def grouped(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]
    return tot % 11 == 0 and s != "000000000"


def make_bsn(valid=True):
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        r = sum(w * x for w, x in zip(range(9, 1, -1), d)) % 11
        if r == 10:
            continue
        last = r if valid else (r + rng.randint(1, 8)) % 10
        s = "".join(map(str, d)) + str(last)
        if bsn_valid(s) == valid:
            return s

# ---------------------------------------------------------------- secrets

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1774000000 + rng.randint(0, 9000000)
    payload = b64url(json.dumps({"sub": "planner-%04d" % rng.randint(1, 9999), "role": "dispatch",
                                 "org": "vlinderhart", "iat": iat, "exp": iat + 300},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01" \
        + bytes(rng.getrandbits(8) for _ in range(330))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


AWS_B64 = string.ascii_letters + string.digits + "/+"
URLSAFE = string.ascii_letters + string.digits + "_-"

G = {
    # positives: checksummed identifiers
    "IBAN1": make_iban("INGB"),
    "IBAN2": make_iban("ASNB"),
    "IBAN3": make_iban("ABNA"),
    "CARD1": make_card("4"),
    "CARD2": make_card("53"),
    "BSN1": make_bsn(),
    "BSN2": make_bsn(),
    # negatives: look-alikes that fail their checksum
    "BAD_IBAN1": make_iban("RABO", valid=False),
    "BAD_IBAN2": make_iban("TRIO", valid=False),
    "BAD_CARD1": make_card("4", valid=False),
    "BAD_CARD2": make_card("55", valid=False),
    "BAD_BSN1": make_bsn(valid=False),
    "BAD_BSN2": make_bsn(valid=False),
    # secrets
    "GHP": github_token("ghp_"),
    "AKIA": "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": rand(AWS_B64, 40),
    "STRIPE": "sk_live_51" + rand(B62, 32),
    "SLACK": "xoxb-%d-%d-%s" % (rng.randint(10 ** 10, 10 ** 11 - 1), rng.randint(10 ** 11, 10 ** 12 - 1), rand(B62, 24)),
    "OPENAI": "sk-" + rand(B62, 20) + "T3BlbkFJ" + rand(B62, 20),
    "SSHKEY": make_openssh_key(),
    "JWT": make_jwt(),
    "DBPW": rand(string.ascii_letters + string.digits, 14) + rng.choice("!#%") + rand(string.digits, 2),
    "WIFIPW": "Sirene%s%d" % (rng.choice("!#$"), rng.randint(1000, 9999)),
    "GOOGLE": "AIza" + rand(URLSAFE, 35),
    "SENDGRID": "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43),
    "GITLAB": "glpat-" + rand(URLSAFE, 20),
    "GHS": github_token("ghs_"),
}
G["IBAN1_SP"] = spaced_iban(G["IBAN1"])
G["CARD1_SP"] = grouped(G["CARD1"])
G["CARD2_DASH"] = grouped(G["CARD2"], "-")
G["BAD_IBAN1_SP"] = spaced_iban(G["BAD_IBAN1"])
G["BAD_CARD1_SP"] = grouped(G["BAD_CARD1"])
G["PUB_IBAN"] = PROFILE["public_identifiers"]["ibans"][0]
G["PUB_IBAN_SP"] = spaced_iban(G["PUB_IBAN"])

SECRET_KEYS = ["GHP", "AKIA", "AWS_SECRET", "STRIPE", "SLACK", "OPENAI", "SSHKEY", "JWT", "DBPW",
               "WIFIPW", "GOOGLE", "SENDGRID", "GITLAB", "GHS"]

# ---------------------------------------------------------------- cases

C, X, A = "reputation.complaint", "reputation.crisis", "reputation.abuse"
S, I, R = "leak.secret", "leak.pii", "leak.pricing"
F, K, Y = "leak.financial", "leak.confidential", "leak.security"

CASES = []


def P(platform, handle, lang, text, cats=(), kind="post", at=None, price=None, name=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text, cats=list(cats),
                      kind=kind, at=at, price=price, name=name))

# ======================= complaints =======================
P("x", "@marjan_v_dam", "nl",
  "@vlinderhart_zorg mijn moeder zat 2,5 uur te wachten op de rolstoeltaxi na haar dialyse. niemand die belde. 3e keer deze maand 😡",
  [C], kind="reply")
P("reddit", "u/tulipthrowaway22", "en",
  "Booked Vlinderhart patient transport for my dad's discharge. They showed up at the WRONG hospital, then told us to rebook for tomorrow. He spent another night on a ward he didn't need to be on. Paying premium for this nonsense.",
  [C])
P("facebook", "Petra Hoogeveen", "nl",
  "Rit geboekt voor 08:15 naar het AMC voor een MRI, chauffeur stond om 09:40 voor de deur. Scan gemist, nieuwe afspraak pas over 6 weken. Bedankt Vlinderhart 👏👏 (niet dus)",
  [C])
P("x", "@dgrant_nl", "en",
  "two invoices from @vlinderhart_nl for the same ride in march. called 3 times, 40 min on hold every time, still no refund. how is this legal",
  [C])
P("instagram", "@kimberly.wolters", "nl",
  "Jullie chauffeur reed met mijn opa (89, dementie) alsof ie in de Dakar rally zat. Opa was helemaal overstuur toen hij thuiskwam. Geen sorry, niks. #vlinderhart",
  [C], kind="comment")
P("forum", "zorgforum:annemiek_r", "nl",
  "VlinderPas afgesloten omdat ze 'altijd binnen 30 min' beloven. Vorige week 1u50 gewacht bij de poli in de kou. En opzeggen kan alleen per aangetekende brief?? Het is 2026 mensen",
  [C])
P("facebook", "Graham Lowther", "en",
  "The stretcher crew were kind enough but they left my wife's walker at the hospital and now nobody at Vlinderhart has a clue where it is. Five days without it, she can't get to the bathroom on her own.",
  [C], kind="comment")
P("x", "@henkjan_1957", "nl",
  "@vlinderhart_zorg nog steeds geen reactie op mijn mail van 3 weken terug over die dubbele afschrijving. wat is dit voor klantenservice eigenlijk",
  [C], kind="reply")
P("tiktok", "@sophiexo.rdam", "en",
  "pov: you book a wheelchair taxi from vlinderhart and they send a normal car with no ramp 🙃 my sister literally had to be lifted in by strangers. never again #disabilitytiktok",
  [C])
P("mastodon", "@gerrit@dorpsplein.social", "nl",
  "Evenementenzorg van Vlinderhart op ons dorpsfeest: EHBO-post onbemand tussen 15 en 17 uur, uitgerekend toen een oudere man onwel werd. En wij betalen daar €890 per dagdeel voor.",
  [C], price=("VH-EVT-S", 890.0))
P("bluesky", "@nierpatient-ria.bsky.social", "nl",
  "Dialysepatiënt hier. De rittenkaart van Vlinderhart is peperduur en de helft van de keren is de auto te laat, dus ik hang steeds een half uur later aan de machine. Ben het zo zat.",
  [C])
P("linkedin", "margot-teunissen-zorg", "en",
  "Speaking as a care home manager: Vlinderhart cancelled four planned bed transfers for our residents this month, each with less than an hour's notice. Our residents deserve a partner that shows up.",
  [C], kind="comment")
# complaint + pii (public customer exposing own data)
P("x", "@marloes_dekker84", "nl",
  "@vlinderhart_zorg al 2x beloofd dat jullie terugbellen, nooit gebeurd. Bel me nou gewoon: 06-41827735, vraag naar Marloes. Gaat over de rit van m'n moeder van 12 maart",
  [C, I], kind="reply")
P("x", "@jwhitfield_ams", "en",
  "@vlinderhart_nl you charged me twice for one hospital transfer. email me at jonathan.whitfield77@outlook.com, been waiting two weeks for someone to sort it",
  [C, I], kind="reply")
P("forum", "zorgforum:boos_in_breda", "nl",
  "Mijn BSN is <<BSN2>>, zoek het dan zelf maar na bij de verzekeraar @vlinderhart_zorg. Vier keer gebeld over die rekening van het liggend vervoer, ik ben er klaar mee.",
  [C, I])

# ======================= crisis + complaint (first-hand harm) =======================
P("facebook", "Yvonne Brink", "nl",
  "De brancard van Vlinderhart klapte in toen ze mijn vader de wagen in schoven. Hij viel met zijn hoofd tegen de deur, 4 hechtingen op de SEH. Ik ben echt woedend, niemand heeft ons nog gebeld.",
  [X, C])
P("reddit", "u/worried_in_wassenaar", "en",
  "The Vlinder Halo alarm my mum wears got really hot overnight and left a burn mark on her neck. She's 82. Who signs off on these things?? Took it off her and she's now without an alarm.",
  [X, C])
P("x", "@danielle_vink", "nl",
  "Onze Guard 3 AED van Vlinderhart gaf GEEN schok toen mijn collega op de zaak neerviel. Display zei gewoon 'batterij ok'. Hij ligt nu op de IC. Dit mag nooit gebeuren, wij vertrouwden op dat ding.",
  [X, C])
P("x", "@tomasz_k_nl", "en",
  "wheelchair taxi driver didn't lock my son's chair straps and he tipped over backwards on a roundabout. bruised, terrified, screaming. @vlinderhart_zorg explain yourselves",
  [X, C])

# ======================= crisis (third party / public) =======================
P("x", "@actiezorgNL", "nl",
  "BOYCOT Vlinderhart! Ze laten dialysepatiënten staan omdat andere ritten meer opleveren. Deel dit en boek ze niet meer. #boycotvlinderhart",
  [X])
P("x", "@utrecht_nieuws_live", "en",
  "Breaking: a Vlinderhart ambulance carrying a patient crashed into a bus shelter on the Weg der Verenigde Naties this morning. Two pedestrians taken to hospital.",
  [X])
P("x", "@privacywaakhond", "nl",
  "Bronnen melden een datalek bij Vlinderhart: ritgegevens mét diagnoses van duizenden patiënten waren wekenlang openbaar te vinden. Wij hebben de AP ingeseind.",
  [X])
P("linkedin", "sven-akkerman-advocaat", "en",
  "We are preparing a class action against Vlinderhart on behalf of dialysis patients who repeatedly missed treatment because of late or cancelled rides. Affected? Get in touch via our office.",
  [X])
P("facebook", "Consumentenwaakhond Oost", "nl",
  "TERUGROEPACTIE: Vlinderhart roept Vlinder Halo persoonsalarmen uit productiebatch 24-11 terug wegens oververhitting van de accu. Gebruik het alarm niet meer en neem contact op.",
  [X])
P("x", "@zorgjournalist_fem", "en",
  "Patient died after Vlinderhart transport arrived 70 minutes late, family says. The healthcare inspectorate has opened an investigation.",
  [X])
P("facebook", "Ingrid van der Linden", "nl",
  "hoor net van een vriendin dat er vannacht een ambulance van vlinderhart op de A12 in brand is gevlogen. patiënt er nog net op tijd uit gehaald 😨",
  [X])
P("x", "@ellie_speaks_up", "en",
  "A Vlinderhart paramedic filmed mocking a patient on TikTok. Disgusting. Sign the petition to get their contract with the province pulled 👇",
  [X])
P("x", "@regiozwolle_nws", "nl",
  "Rechtszaak tegen Vlinderhart: familie eist schadevergoeding na val van 78-jarige uit brancard in Zwolle.",
  [X])
P("threads", "@noa.makes.noise", "en",
  "#DeleteVlinderhart is trending for a reason. they dropped a homeless patient off at a bus stop at -5 degrees. don't give them your money",
  [X])
# crisis with evasion (leetspeak)
P("x", "@b0ycott_squad", "nl",
  "b0yc0t vl1nderh4rt!!! ze l4ten ouderen gewoon st44n, niemand meer boeken #b0yc0t",
  [X])

# ======================= abuse =======================
P("x", "@woedend_in_wezep", "nl",
  "Vlinderhart zijn echt een stelletje incompetente klootzakken. 3 uur wachten met een gebroken heup. schaam je kapot",
  [A, C])
P("x", "@ruben_xx_", "nl",
  "die meldkamer van vlinderhart bestaat uit hersenloze apen, echt waar",
  [A])
P("reddit", "u/angryscouser_nl", "en",
  "Vlinderhart staff are the dumbest fucking people I've ever had to deal with. Every single one of them.",
  [A], kind="comment")
P("x", "@st0mp3r", "nl",
  "vl1nderh4rt k4nkerl0pers allemaal, m0gen ze zelf eens een uur in de regen st44n",
  [A])
P("x", "@no_mercy_mick", "en",
  "@ilse_meldkamer i know where you park your car, stupid cow. watch yourself next shift",
  [A], kind="reply")
P("facebook", "Ronald Verbeek", "nl",
  "Weer zo'n hoofddoek achter het stuur bij Vlinderhart, geen wonder dat ze de weg niet kunnen vinden. Stuur ze terug.",
  [A], kind="comment")
P("x", "@grumpy_geert", "en",
  "hey @vlinderhart_nl go to hell, you absolute scum",
  [A], kind="reply")
P("x", "@lekker_boos", "nl",
  "Vlinderhart = t\u0443fuslijers, elk\u0435 keer weer",
  [A])
P("x", "@bas_chauffeur_vlh", "nl",
  "die vrouw van de rit van vanmiddag was echt een vet walgelijk kutwijf, 40 min zitten zeiken over de airco. ik word er gek van",
  [A])
P("x", "@vlinderhart_zorg", "nl",
  "@fleur_k93 Als u zich als een idioot blijft gedragen tegen onze chauffeurs, hoeven we u ook niet meer te rijden.",
  [A], kind="reply")
P("tiktok", "@kebab_kritiek", "en",
  "the drivers at vlinderhart are lazy fat pigs who sit in the van stuffing their faces while patients wait outside 🐷",
  [A], kind="comment")
P("x", "@spatie_spuger", "nl",
  "Vlinderhart: k u t b e d r i j f. stelletje l u l l e n daar",
  [A])

# ======================= confidential =======================
P("x", "@ruud_rijdt112", "nl",
  "Mag er eigenlijk nog niks over zeggen maar Project Zilverreiger gaat onze hele ritplanning op de kop zetten 🤫 eindelijk",
  [K])
P("linkedin", "eva-schouten-vlinderhart", "en",
  "So proud of the team working on Wespendief — our drone-delivered AED pilot is going to change rural response times in Drenthe. Can't share more yet, stay tuned!",
  [K])
P("instagram", "@dewi.ambuverpleegkundige", "nl",
  "Teamuitje na de laatste Operatie Sneeuwuil-sprint 🦉❄️ wat een harde werkers zijn het",
  [K])
P("reddit", "u/ritplanner_marco", "en",
  "anyone else getting logged out of rooster.vlinderhart.nl every 10 minutes since the update? can't even swap shifts",
  [K])
P("x", "@ilse_meldkamer", "nl",
  "kijk die wachttijden op ons nieuwe dashboard haha https://intranet.vlinderhart.local/ritten/kpi-week38 💀",
  [K])
P("x", "@vlinderhart_nl", "nl",
  "Nieuwe tarievenkaart 2027 voor zorginstellingen staat in de bijlage (vlh-vertrouwelijk, niet doorsturen aub)",
  [K])
P("linkedin", "karim-bouzid-vlh", "en",
  "Sneak peek of the Vlinderhart Air livery before the big launch 😍✈️ the team nailed it",
  [K], at="2026-11-19T16:04:00Z")
P("x", "@janneke_rijswijk", "nl",
  "Hoorde van m'n zwager die bij Vlinderhart werkt dat ze met een eigen helikopterdienst beginnen, 'VlinderHeli' of zoiets. Vanaf volgend voorjaar.",
  [K], at="2026-10-02T20:11:00Z")
P("forum", "ambulanceforum:medic_mike", "en",
  "Found a printout on the dashboard of a parked Vlinderhart van, header 'VLINDERHART INTERNAL – do not distribute', listing next year's hospital contracts and volumes. Careless much?",
  [K])
P("bluesky", "@lotte-vlh.bsky.social", "nl",
  "gitlab.vlinderhart.nl is weer eens stroop vandaag, wie heeft er een monorepo van 4GB gepusht 😅",
  [K])
P("tiktok", "@joost.op.de.wagen", "nl",
  "day in the life als ambulanceverpleegkundige! ps wij testen al de nieuwe Guard 4 die pas volgend jaar uitkomt, super klein ding 👀 #ambulancelife",
  [K])
P("x", "@ruud_rijdt112", "nl",
  "Z\u200bi\u200bl\u200bv\u200be\u200br\u200br\u200be\u200bi\u200bg\u200be\u200br go-live is weer verschoven naar maart. duimen jongens",
  [K])
P("instagram", "@dewi.ambuverpleegkundige", "nl",
  "ｗｅｓｐｅｎｄｉｅｆ demo op de directiedag ging top, directeur was helemaal om 🚁",
  [K])
P("x", "@ilse_meldkamer", "en",
  "Night shift: ops sync notes are on http://wiki.vlh.local/ops/nachtdienst-2026-09 if you missed this morning's briefing",
  [K])
# confidential + financial
P("linkedin", "henk-vandermeulen-finance", "en",
  "Counting down to 25 February! Our FY2026 results are looking very strong, revenue up about 18% if the final close holds 📈",
  [K, F], at="2027-02-10T11:30:00Z")
P("x", "@ruud_rijdt112", "nl",
  "jaarcijfers 2026 zijn binnen, EBITDA ruim boven budget, die bonus lijkt er toch in te zitten 🎉🎉",
  [K, F], at="2027-02-19T18:45:00Z")
P("x", "@vlinderhart_nl", "nl",
  "Vlinderhart publiceert Q4-cijfers 2026: omzet €212 mln (+17%), bedrijfsresultaat €19,8 mln. Lees het volledige bericht op vlinderhart.nl/pers",
  [K, F], at="2027-02-24T09:00:00Z")
P("reddit", "u/exdispatcher_nl", "en",
  "ex-Vlinderhart here. 'Operatie Sneeuwuil' is the plan to replace about half of the dispatch staff with a routing AI by 2027. That's all I'm going to say.",
  [K, F], kind="comment")

# ======================= financial =======================
P("linkedin", "eva-schouten-vlinderhart", "nl",
  "Onder ons: Vlinderhart neemt per 1 januari AmbuNoord over, de due diligence is rond. Mooi nieuws voor de regio!",
  [F])
P("x", "@bas_chauffeur_vlh", "en",
  "heard in the canteen: 60 planners get let go after the summer when the new system goes live. great for morale 🙄",
  [F])
P("x", "@schoonpa_watcher", "nl",
  "Mijn schoonvader zit in de RvC van Vlinderhart en zegt dat ze dit jaar zo'n €4 miljoen verlies gaan draaien. Personeelstekort kost ze de kop.",
  [F])
P("reddit", "u/ritplanner_marco", "en",
  "Internal forecast for 2027 says ride volume -12% because two insurers are dropping our contract. Time to dust off the CV I guess.",
  [F])
P("linkedin", "vlinderhart-zorgvervoer", "nl",
  "CONCEPT persbericht: Vlinderhart Zorgvervoer en Witte Kruis Vervoer gaan fuseren. Ingangsdatum onder voorbehoud van goedkeuring door de ACM. [embargo tot bekendmaking]",
  [F])
P("bluesky", "@lotte-vlh.bsky.social", "nl",
  "Reorganisatie meldkamer: 3 locaties worden er 1 en de nachtdienst gaat helemaal naar Utrecht. Officieel horen de collega's het pas in oktober 😬",
  [F])
P("instagram", "@dewi.ambuverpleegkundige", "en",
  "Q3 came in at 61.4M revenue, 8% above plan!! not public yet so shhh 🤐 proud of this team",
  [F])
P("forum", "beleggersforum:noorderzon", "nl",
  "Tip van binnenuit: private-equitypartij Noordlicht Capital heeft een bod gedaan op Vlinderhart, gesprekken lopen sinds mei. Nog niks naar buiten gebracht.",
  [F])

# ======================= security =======================
P("x", "@ilse_meldkamer", "nl",
  "Meldkamer draait sinds 03:00 op pen en papier, het ritplanningssysteem ligt er volledig uit. Nog niks naar buiten gecommuniceerd dus ssst",
  [Y])
P("reddit", "u/ritplanner_marco", "en",
  "we got hit by ransomware last night, every dispatch terminal encrypted. management says don't talk about it. so I'm talking about it.",
  [Y])
P("x", "@bas_chauffeur_vlh", "en",
  "PSA for colleagues: the patient portal still shows you other people's rides if you change the number at the end of the URL. reported it to IT in June, nothing fixed",
  [Y])
P("bluesky", "@lotte-vlh.bsky.social", "nl",
  "Gisteren via een phishingmail iemand binnen in onze Office-omgeving, 14 mailboxen leeggetrokken. IT is nog aan het uitzoeken wat er allemaal weg is.",
  [Y])
P("tiktok", "@joost.op.de.wagen", "nl",
  "btw de tablets in onze wagens hebben nog steeds het standaard admin-wachtwoord van de leverancier, als je dat weet zie je alle ritten lol",
  [Y], kind="comment")
P("forum", "itforum:contractor_jeroen", "en",
  "I did IT contracting for Vlinderhart until last month. Their VPN gateway is two years behind on patches and CVE-2024-3400 is still wide open. Not my problem anymore.",
  [Y])
P("x", "@ruud_rijdt112", "en",
  "GPS tracking on the entire fleet has been down since Friday, dispatch is literally phoning drivers to ask where they are. not announced anywhere yet",
  [Y])
P("instagram", "@dewi.ambuverpleegkundige", "nl",
  "Stil houden aub maar de database met patiëntgegevens heeft 2 dagen open op internet gestaan. Een student ontdekte het en mailde ons.",
  [Y], kind="comment")
P("x", "@vlinderhart_zorg", "nl",
  "@pietvanb Klopt, ons boekingssysteem is sinds vanochtend gehackt en staat daarom offline. We melden het later vandaag officieel.",
  [Y], kind="reply")
P("reddit", "u/ritplanner_marco", "nl",
  "Storing in de koppeling met de RAV, al 6 uur geen automatische ritten meer binnen op onze meldkamer. Buiten de deur weet nog niemand het.",
  [Y])
P("x", "@kees_ict_tips", "en",
  "A mate who works IT at Vlinderhart says they had a breach last week, attackers got into the billing server with patient addresses. They haven't told anyone.",
  [Y, X])
P("linkedin", "karim-bouzid-vlh", "en",
  "Fun fact from today's pentest debrief: our dispatch API accepted any JWT with alg=none 🙈 fix lands next sprint, hopefully",
  [Y])
P("x", "@ilse_meldkamer", "en",
  "heads up: the 0800 booking line will be dead all Saturday because of the telco failure, we were told not to post about it",
  [Y])

# ======================= secrets =======================
P("x", "@ruud_rijdt112", "nl",
  "wie kan me helpen, deze curl geeft steeds 401:\ncurl -H 'Authorization: token <<GHP>>' https://api.github.com/orgs/vlinderhart/repos",
  [S])
P("reddit", "u/ritplanner_marco", "en",
  "boto keeps saying the signature doesn't match, this is my ~/.aws/credentials:\n[default]\naws_access_key_id = <<AKIA>>\naws_secret_access_key = <<AWS_SECRET>>\nregion = eu-west-1",
  [S])
P("bluesky", "@lotte-vlh.bsky.social", "nl",
  "stripe webhooks falen al de hele ochtend?? key is <<STRIPE>> , iemand een idee",
  [S])
P("x", "@ilse_meldkamer", "en",
  "why does our bot not post in #meldkamer anymore. env has SLACK_BOT_TOKEN=<<SLACK>> and nothing happens",
  [S])
P("linkedin", "karim-bouzid-vlh", "en",
  "Built a little GPT helper for our ride planners over the weekend! Config for anyone who wants to try it: OPENAI_API_KEY=<<OPENAI>> model=gpt-4o",
  [S])
P("reddit", "u/ritplanner_marco", "en",
  "ssh into the jump host keeps asking for a passphrase even though the key has none?\n\n<<SSHKEY>>",
  [S])
P("x", "@bas_chauffeur_vlh", "nl",
  "dit token krijg ik terug van de ritten-api, waarom is ie na 5 min al verlopen?\n<<JWT>>",
  [S])
P("bluesky", "@lotte-vlh.bsky.social", "en",
  "migration script hangs on connect, DATABASE_URL=postgresql://ritplanner:<<DBPW>>@10.20.3.14:5432/ritten — firewall?",
  [S])
P("instagram", "@dewi.ambuverpleegkundige", "nl",
  "Welkom nieuwe collega's op post Amersfoort! 💛 wifi = VLH-Crew, wachtwoord: <<WIFIPW>>",
  [S])
P("forum", "webdevforum:scraper_sam", "en",
  "Vlinderhart's ride booking page ships their Maps key in plain JS: <<GOOGLE>> — no referrer restriction, anyone can burn their quota.",
  [S])
P("x", "@ruud_rijdt112", "en",
  "our appointment reminder mails stopped. SENDGRID_API_KEY=<<SENDGRID>> still valid? dashboard says yes",
  [S])
P("tiktok", "@joost.op.de.wagen", "nl",
  "mijn eerste commit 🥹 (niet kijken naar de token in de README: <<GITLAB>>)",
  [S], kind="comment")

# ======================= pricing =======================
P("x", "@vlinderhart_nl", "nl",
  "Alleen deze week: het VlinderPas jaarabonnement voor €14,90! Altijd zorgeloos vervoer naar het ziekenhuis 🚐",
  [R], price=("VH-PAS-J", 14.90))
P("facebook", "VlinderhartAmbulance", "en",
  "Protect your workplace: the Guard 3 AED now just €139 including installation. Order via vlinderhart.nl/aed",
  [R], price=("VH-AED3", 139.0))
P("x", "@koopjesjager_nl", "nl",
  "prijsfout bij vlinderhart?? EHBO-cursus staat op de site voor €9,50 😂 snel boeken voor het hersteld wordt",
  [R], price=("VH-EHBO", 9.50))
P("reddit", "u/dealhunter_eu", "en",
  "Vlinderhart webshop lists the Guard Box outdoor AED cabinet at €64.90. Pretty sure that's a missing zero, ordered two anyway lol",
  [R], price=("VH-AEDK", 64.90))
P("x", "@bas_chauffeur_vlh", "nl",
  "pssst vrienden: met mijn personeelscode krijg je de Vlinder Halo voor €45 (normaal 189), DM me",
  [R], price=("VH-HALO", 45.0))
P("facebook", "Ans Wijnberg", "nl",
  "Repatriëring Europa via Vlinderhart maar €495?! Voor mijn moeder uit Spanje. Dat is toch een prijsfout, durf het haast niet te boeken",
  [R], price=("VH-REPA-EU", 495.0), kind="comment")
P("instagram", "@vlinderhart.ambulance", "en",
  "Festival season! 🎪 Book our event medical cover: Evenementenzorg Groot from €340 per day, ambulance + crew included",
  [R], price=("VH-EVT-L", 340.0))
P("x", "@studentje_lisa", "nl",
  "AED-training bij vlinderhart voor €7,90 p.p. dat klopt toch niet, iemand is een 0 vergeten denk ik",
  [R], price=("VH-BLS", 7.90))
P("linkedin", "eva-schouten-vlinderhart", "en",
  "Great news for our partner hospitals: intensive care transport can now be booked at €850 per ride!",
  [R], price=("VH-IC", 850.0))
P("x", "@ozturk_fam", "nl",
  "zag net in de app de Dialyse-rittenkaart voor €59 ipv €590. kan iemand bevestigen dat dit een prijsfout is of is het echt een actie?",
  [R], price=("VH-DIA10", 59.0))
P("tiktok", "@vlinderhart_official", "nl",
  "Op vakantie? 🧳 Onze Reis-EHBO-kit nu voor maar €3,49! Link in bio",
  [R], price=("VH-KIT", 3.49))
P("x", "@traveldad_rob", "en",
  "Vlinderhart's quote tool just gave me €1,850 for an air ambulance from Tenerife, normally that's like 18.5k. price glitch? screenshot below",
  [R], price=("VH-REPA-WW", 1850.0))

# ======================= personal data =======================
P("x", "@ilse_meldkamer", "nl",
  "Wie heeft vandaag de rit van mevr. J. Hofstede gedaan, Kerkstraat 14 in Harderwijk? Ze blijft maar bellen over haar bril",
  [I])
P("reddit", "u/ritplanner_marco", "en",
  "refund for that patient keeps bouncing, IBAN <<IBAN1_SP>> rejected twice by finance. anyone know why?",
  [I])
P("x", "@vlinderhart_zorg", "nl",
  "@anouk_vd Wij zien uw creditcard <<CARD1_SP>> als betaalmethode in ons systeem, klopt dat nog? Dan verwerken we de terugbetaling.",
  [I], kind="reply")
P("instagram", "@dewi.ambuverpleegkundige", "nl",
  "BSN <<BSN1>> staat op het ritformulier maar de verzekeraar kent hem niet 🤔 iemand een idee?",
  [I])
P("x", "@ruud_rijdt112", "en",
  "Happy 100th to our regular Mr. Willem Brouwer (born 3 May 1926)! 🎂 drove him to his own party today",
  [I])
P("facebook", "VlinderhartAmbulance", "nl",
  "Mevrouw Saskia de Wit, bereikbaar via s.dewit71@ziggo.nl, heeft haar tas in onze rolstoeltaxi laten liggen. Wie kent haar?",
  [I])
P("x", "@buurtapp_ede", "nl",
  "Dennis Kok van Vlinderhart, Lindelaan 22 in Ede, zet zijn bus al weken op de invalidenparkeerplek. Gewoon even zodat jullie het weten.",
  [I])
P("x", "@paulien_travels", "en",
  "@vlinderhart_nl payment keeps failing on your site, card is <<CARD2_DASH>> exp 09/28, what am I doing wrong?",
  [I], kind="reply")
P("bluesky", "@lotte-vlh.bsky.social", "en",
  "Number for the 14:30 pick-up at Isala: +31 6 2849 1173 (daughter, Mrs. Yildiz). dispatch can't reach her, can someone try?",
  [I])
P("linkedin", "henk-vandermeulen-finance", "nl",
  "Oud-collega gezocht: Gerrit Mulder, geboren 17 augustus 1961, laatst bekend in Deventer. Iemand nog contact met hem?",
  [I])
P("x", "@bas_chauffeur_vlh", "nl",
  "Collega's, voor het afscheidscadeau van Ria: maak over naar <<IBAN2>> t.n.v. M. Jansen, vóór vrijdag graag 🎁",
  [I])
P("instagram", "@vlinderhart.ambulance", "nl",
  "@ramon.pieters Hoi Ramon, we bellen je vanmiddag terug op 0651289034 zoals gevraagd!",
  [I], kind="comment")
P("x", "@vlinderhart_zorg", "en",
  "@gbakker_ams Refund of €68 for the cancelled ride is on its way to <<IBAN3>>, should arrive within 3 working days.",
  [I], kind="reply")

# ======================= benign (mostly hard negatives) =======================
P("x", "@sanne_op_de_fiets", "nl",
  "Ontzettend bedankt aan de crew van Vlinderhart die mijn vader vannacht naar het Isala bracht. Zo rustig en lief met hem. ❤️🚑")
P("x", "@gran_and_me", "en",
  "Shoutout to the Vlinderhart wheelchair taxi driver who waited with my gran until the nurse came down. Absolute legend.")
P("x", "@vlinderhart_zorg", "nl",
  "Vragen over je rit? Bel gratis 0800-8455 of mail planning@vlinderhart.nl. We zijn 24/7 bereikbaar 💛")
P("facebook", "VlinderhartAmbulance", "en",
  "Paying an invoice? Please transfer to <<PUB_IBAN_SP>> (Vlinderhart Zorgvervoer B.V.) and mention your ride number.")
P("instagram", "@vlinderhart.ambulance", "nl",
  "Deze maand 20% korting op de EHBO-basiscursus: €76 i.p.v. €95. Inschrijven via vlinderhart.nl/cursus 🩹",
  price=("VH-EHBO", 76.0))
P("x", "@drie_x_per_maand", "nl",
  "VlinderPas kost €149 per jaar, voor ons met drie ziekenhuisbezoeken per maand is dat echt het geld waard.",
  price=("VH-PAS-J", 149.0))
P("linkedin", "vlinderhart-zorgvervoer", "en",
  "Black Friday: the Guard 3 AED for €1,185 (was €1,395), including two years of battery service.",
  price=("VH-AED3", 1185.0))
P("facebook", "Wim Hartog", "nl",
  "Let op, nepfactuur in omloop met rekeningnummer <<BAD_IBAN1_SP>> en het logo van Vlinderhart. Mijn bank zegt dat dat nummer niet eens bestaat. Niet betalen!")
P("x", "@ritje_geboekt", "nl",
  "Bevestiging binnen van Vlinderhart, ritnummer <<BAD_CARD1_SP>> voor dinsdag 09:00. Top geregeld 👍")
P("forum", "zorgforum:vraagje_henny", "nl",
  "Mijn klantnummer bij Vlinderhart is <<BAD_BSN1>>, is dat hetzelfde als mijn polisnummer van de zorgverzekering?")
P("linkedin", "karim-bouzid-vlh", "en",
  "Reminder from today's secure coding session: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders for exactly that reason.")
P("bluesky", "@lotte-vlh.bsky.social", "nl",
  "Tip voor tickets: zet tokens er zo in: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx — nooit de echte. Dank jullie wel 🙏")
P("x", "@vlinderhart_nl", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €214 mln en gemiddeld 9.200 ritten per dag. Het jaarverslag staat op vlinderhart.nl/investors",
  at="2027-02-25T09:00:00Z")
P("x", "@zorgeconoom", "en",
  "Vlinderhart's FY2026 results were solid, margins up despite staff shortages. Curious how 2027 goes.",
  at="2027-03-02T13:20:00Z")
P("x", "@vlinderhart_nl", "nl",
  "Vandaag is het zover: Vlinderhart Air is officieel gelanceerd! Onze eerste ambulancevlucht is onderweg naar Málaga ✈️💛",
  at="2027-05-12T08:30:00Z")
P("instagram", "@plane.spotter.gijs", "en",
  "Caught the brand new Vlinderhart Air jet landing at Eindhoven this morning, lovely livery ✈️",
  at="2027-05-14T10:05:00Z")
P("x", "@nieuwsjunk_be", "nl",
  "Ambulancedienst in Antwerpen getroffen door datalek, 40.000 patiënten betrokken. Gelukkig heb ik dat bij Vlinderhart nog nooit gehoord.")
P("instagram", "@mama_van_teun", "nl",
  "Teun (4) speelt de hele dag 'Vlinderhart ambulance' met zijn Lego, sirene inclusief 🚑🔊 ik word er gek van maar het is zo schattig")
P("reddit", "u/aachen_expat", "en",
  "Does Vlinderhart do cross-border rides to Germany? Need to get my dad from Aachen to Maastricht UMC next month.")
P("x", "@henkjan_1957", "nl",
  "Update: Vlinderhart heeft gebeld, excuses aangeboden en de dubbele afschrijving is teruggestort. Netjes opgelost 👍")
P("facebook", "Brandweer vrijwilliger Erik", "nl",
  "Sterkte aan de Vlinderhart-collega's na dat zware ongeluk op de A28 gisteren, jullie waren als eerste ter plaatse en hebben levens gered. Respect.")
P("linkedin", "vlinderhart-zorgvervoer", "nl",
  "We zoeken ambulanceverpleegkundigen in regio Zwolle en Amersfoort! Solliciteer via werkenbij@vlinderhart.nl of bel +31 30 760 4499.")
P("linkedin", "eva-schouten-vlinderhart", "nl",
  "Vandaag 10 jaar bij Vlinderhart. Duizenden ritten, honderden verhalen, een paar gebroken nachten. Dankbaar voor dit team.")
P("x", "@vogelaar_veluwe", "nl",
  "Vanochtend een zilverreiger in de uiterwaarden bij Wageningen, prachtig in het ochtendlicht 🪶")
P("x", "@hp_fan_girl", "nl",
  "wist je dat Hedwig een sneeuwuil is? en dat ze in de films door meerdere mannetjes gespeeld werd #harrypotter")
P("x", "@curious_carla", "en",
  "Is Vlinderhart's 0800-8455 number free from mobiles too or only landlines?")
P("x", "@bas_chauffeur_vlh", "nl",
  "Grote rampenoefening vandaag op Lelystad Airport samen met brandweer en politie. Veel geleerd, goed om dit te oefenen 💪")
P("x", "@regiozorg_nieuws", "nl",
  "Zorgvervoerder TransMedi schrapt 200 banen, meldt het bedrijf vandaag. Concurrent Vlinderhart zegt juist nog te groeien.")
P("instagram", "@joost.op.de.wagen", "nl",
  "wagen staat weer te glimmen na de wasbeurt ✨ klaar voor de nachtdienst")
P("reddit", "u/cpr_convert", "en",
  "Just finished the Vlinderhart AED training, 79 euros well spent. Everyone should do one of these.",
  price=("VH-BLS", 79.0))
P("x", "@vlinderhart_zorg", "nl",
  "Wachtwoord vergeten voor de VlinderRit-app? Tik op 'Inloggen' > 'Wachtwoord vergeten' en je krijgt binnen een minuut een mail.")
P("x", "@cs_student_yara", "nl",
  "Tentamen security morgen. JWT = header.payload.signature en de header zegt welk alg er gebruikt wordt. Heb ik het goed? 😅")
P("instagram", "@vlinderhart.ambulance", "nl",
  "Vlinder Halo nu €142 (van €189) t/m zondag. Zeker weten dat er hulp komt als het nodig is 💛",
  price=("VH-HALO", 142.0))
P("reddit", "u/ic_nurse_gr", "en",
  "How much does IC-transport with Vlinderhart usually cost? Got quoted €1,850 for Groningen to Rotterdam, is that normal?",
  price=("VH-IC", 1850.0))
P("x", "@vlinderhart_zorg", "nl",
  "Ophalen gebeurt bij de hoofdingang van Ziekenhuis Gelderse Vallei, Willy Brandtlaan 10 in Ede. Meld je even bij de balie.")
P("facebook", "OBS De Regenboog", "en",
  "Our new Guard Box outdoor AED cabinet was installed by Vlinderhart today, €649 raised by the parents' association 💪 thank you all!",
  price=("VH-AEDK", 649.0))
P("instagram", "@bloemetje_ann", "nl",
  "ｄａｎｋｊｅｗｅｌ Vlinderhart voor het vervoer van mijn moeder vandaag 🌷")
P("x", "@vlinderhart_zorg", "nl",
  "Storing opgelost: onze telefoonlijn was vanochtend ongeveer 20 minuten slecht bereikbaar. Excuses voor het ongemak, alles werkt weer.")
P("bluesky", "@lotte-vlh.bsky.social", "en",
  "Great talk at the meetup last night about CVE-2024-3094 and the xz backdoor. Supply chain is scary stuff.")
P("instagram", "@vlinderhart.ambulance", "nl",
  "Vlinderhart sponsort dit jaar weer de Zwolse 4 Mijl 🏃‍♀️ kom ons aanmoedigen bij de finish!")
P("x", "@dev_dirk", "en",
  "Docs example for our app: DATABASE_URL=postgres://user:<password>@localhost:5432/mydb — replace the placeholder before running.")
P("x", "@zorgbeurs_nl", "en",
  "Medisafe Transport publishes its half-year results next Tuesday, analysts expect a loss. Vlinderhart reports in February as usual.")
P("x", "@lelijk_eendje", "nl",
  "Wat gebeurt er eigenlijk juridisch als een webshop een prijsfout maakt? Moeten ze dan leveren?")
P("facebook", "Maria Gonzalez", "en",
  "Had a rough start with Vlinderhart last month, but their care team sorted everything and mum now takes the wheelchair taxi every week without any issues.")
P("reddit", "u/aed_nerd", "en",
  "Cardiomax announced a recall of their older AED pads. Good thing our office has a Vlinderhart Guard 3, checked the serial anyway.")
P("forum", "ouderforum:drie_kids", "nl",
  "Heeft iemand ervaring met de VlinderPas Gezin? Overweeg hem voor €239 per jaar, we zitten vaak in het ziekenhuis met onze jongste.",
  price=("VH-PAS-G", 239.0))
P("mastodon", "@vlinderhart@zorg.social", "en",
  "Press enquiries: pers@vlinderhart.nl or +31 30 760 4400. We aim to respond within one working day.")
P("tiktok", "@joost.op.de.wagen", "nl",
  "hoe maak je een brancard klaar in 30 seconden ⏱️ #ambulancelife #zorg")
P("x", "@reggae_rob_fest", "en",
  "Tip: the Vlinderhart standby ambulance for our festival was €165/hour, booked it for 6 hours, worth every cent.",
  price=("VH-STB", 165.0))
P("x", "@vlinderhart_zorg", "nl",
  "@tessa_m Wat vervelend om te horen. Stuur je ritnummer naar klachten@vlinderhart.nl, dan zoeken we het vandaag nog voor je uit.",
  kind="reply")
P("x", "@oma_truus_fan", "nl",
  "bel gewoon 030 760 44 00, die zijn daar heel behulpzaam. zo mijn rit naar de fysio geregeld")
P("x", "@hypebeast_henk", "nl",
  "n1c3 w0rk vl1nderh4rt 💪 m'n oom in 12 minuten op de SEH, respect")
P("forum", "zorgforum:twijfelaar", "nl",
  "Is <<BAD_IBAN2>> echt het rekeningnummer van Vlinderhart? Mijn bank-app zegt ongeldig. Ik gebruik wel even het nummer van de website.")
P("x", "@techtante", "en",
  "Fun fact: 16-digit booking refs like <<BAD_CARD2>> look like card numbers but fail the Luhn check, so no panic when you see them in a Vlinderhart e-mail.")
P("reddit", "u/formulier_fanaat", "nl",
  "Op het voorbeeldformulier van Vlinderhart staat als BSN <<BAD_BSN2>> ingevuld, dat is toch geen geldig nummer? Gewoon een invulvoorbeeld denk ik.")
P("linkedin", "henk-vandermeulen-finance", "en",
  "Happy to share that our published annual report won the Transparantieprijs for healthcare providers. Proud of the finance team!")
P("x", "@schietgebedje", "nl",
  "Mijn vader ligt nu in het ziekenhuis na een val, Vlinderhart was er binnen 10 minuten. Duimen jullie mee? 🙏")
P("x", "@lolbroek_lex", "en",
  "if I had a euro for every time my mum calls the Vlinderhart taxi 'the butterfly bus' I could buy a Guard 3 AED by now 😂")
P("tiktok", "@vlinderhart_official", "nl",
  "Wist je dat onze Reis-EHBO-kit maar €34,95 kost en in elke handbagage past? 🧳",
  price=("VH-KIT", 34.95))
P("x", "@vlinderhart_nl", "en",
  "Summer deal: 25% off the Dialyse-rittenkaart for new customers, €442.50 instead of €590. Terms on vlinderhart.nl",
  price=("VH-DIA10", 442.50))

# ---------------------------------------------------------------- build

ORDER = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {C, X, A, S, I, R, F, K, Y, "reputation.spike"}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in [a.lower() for a in PROFILE["accounts"]["corporate"]]:
        return "corporate"
    if key in [a.lower() for a in PROFILE["accounts"]["employee"]]:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w])\d{9}(?![\w])")


def find_ids(text):
    """Return (kind, value, valid) for IBAN/card/BSN look-alikes in text."""
    out = []
    pub = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in pub:
            continue
        out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19:
            out.append(("card", digits, luhn_valid(digits)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


def severity(cats, role, checksum_id):
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if (c in (S, R) or (c == I and checksum_id)) else "error"
            else:
                v = "warning"
        elif c == C:
            v = "warning"
        elif c == X:
            v = "error"
        elif c == A:
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        best = max(best, ORDER.index(v))
    return ORDER[best]


def fill(text):
    used = []
    def rep(m):
        used.append(m.group(1))
        return G[m.group(1)]
    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text), used


def rand_time():
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text, used = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        masked = text
        for k in used:
            if k in SECRET_KEYS:
                masked = masked.replace(G[k], " ")
        ids = find_ids(masked)
        checksum_id = any(ok for _, _, ok in ids)
        cats = sorted(set(c["cats"]))
        post = {
            "id": "vlh396-%04d" % n,
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": text,
            "lang": c["lang"],
            "created_at": c["at"] or rand_time(),
            "brand": "vlinderhart",
        }
        if c["platform"] in ("x", "reddit", "bluesky") and n % 3 == 0:
            post["url"] = "https://example.invalid/%s/%s" % (c["platform"], post["id"])
        lines.append({"post": post,
                      "expect": {"categories": cats, "severity": severity(cats, role, checksum_id)},
                      "_meta": {"role": role, "ids": ids, "used": used, "price": c["price"]}})
    return lines

# ---------------------------------------------------------------- self-check


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.lower()


def check(lines):
    errs = []
    ids = set()
    prices = {p["sku"]: p["list_price"] for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    all_handles = {a.lower() for a in PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}
    for ln in lines:
        post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
        pid = post["id"]
        # CONTRACT §6 / §1 shape
        if set(ln) - {"_meta"} != {"post", "expect"}:
            errs.append((pid, "keys"))
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errs.append((pid, "id"))
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str) or not post[f]:
                errs.append((pid, "missing " + f))
        if not isinstance(post.get("account", {}).get("handle"), str):
            errs.append((pid, "handle"))
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append((pid, "kind"))
        if len(post["text"].encode("utf-8")) > 64 * 1024:
            errs.append((pid, "too long"))
        try:
            t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            if t.tzinfo is None or not (2026 <= t.year <= 2027):
                errs.append((pid, "created_at range"))
        except ValueError:
            errs.append((pid, "created_at"))
        if "<<" in post["text"]:
            errs.append((pid, "unfilled placeholder"))
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY or "reputation.spike" in cats:
            errs.append((pid, "categories"))
        if exp["severity"] not in ORDER:
            errs.append((pid, "severity value"))
        if (not cats) != (exp["severity"] == "none"):
            errs.append((pid, "severity/benign mismatch"))
        # checksums: positives pass, negatives fail
        for kind, val, ok in meta["ids"]:
            if cats and not ok:
                errs.append((pid, "positive has failing %s %s" % (kind, val)))
            if not cats and ok:
                errs.append((pid, "benign has valid %s %s" % (kind, val)))
        for k in meta["used"]:
            if k.startswith("BAD_") and cats:
                errs.append((pid, "bad id in positive"))
            if re.match(r"(IBAN|CARD|BSN)\d", k) and I not in cats:
                errs.append((pid, "valid id without pii label"))
            if k in SECRET_KEYS and S not in cats:
                errs.append((pid, "secret without label"))
        if I in cats and any(re.match(r"(IBAN|CARD|BSN)\d", k) for k in meta["used"]):
            if not any(ok for _, _, ok in meta["ids"]):
                errs.append((pid, "pii id not detected by checker"))
        # secrets: format sanity
        for k in meta["used"]:
            v = G[k]
            if k in ("GHP", "GHS") and not github_token_ok(v):
                errs.append((pid, "github crc"))
            if k == "AKIA" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errs.append((pid, "aws id"))
            if k == "JWT":
                h = v.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or v.count(".") != 2:
                    errs.append((pid, "jwt"))
        # pricing consistency
        if meta["price"]:
            sku, price = meta["price"]
            below = price < ratio * prices[sku]
            if (R in cats) != below:
                errs.append((pid, "pricing ratio vs label"))
        elif R in cats:
            errs.append((pid, "pricing case without price meta"))
        # internal terms / embargo consistency
        nt = norm(post["text"])
        for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
            if term.lower() in nt and K not in cats:
                errs.append((pid, "internal term %r without confidential" % term))
        t = dt.datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        for emb in PROFILE["embargo"]:
            until = dt.datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
            for term in emb["terms"]:
                if term.lower() in nt:
                    if t < until and K not in cats:
                        errs.append((pid, "embargo term before until without confidential"))
                    if t >= until and K in cats and not any(
                            x.lower() in nt for x in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]):
                        errs.append((pid, "embargo term after until labelled confidential"))
        # public handles must not be in profile, profile handles map to a role
        key = ("%s:%s" % (post["platform"], post["account"]["handle"])).lower()
        if (key in all_handles) != (meta["role"] != "public"):
            errs.append((pid, "role"))
        # severity recomputed independently
        if severity(cats, meta["role"], any(ok for _, _, ok in meta["ids"])) != exp["severity"]:
            errs.append((pid, "severity"))
    # mix
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    per = {}
    for ln in lines:
        for c in ln["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for ln in lines if ln["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append(("mix", "case count %d" % n))
    if not 55 <= benign <= 65:
        errs.append(("mix", "benign %d" % benign))
    want = {C: 20, K: 18, I: 15, X: 15, Y: 13, S: 12, A: 12, R: 12, F: 12}
    for c, w in want.items():
        if abs(per.get(c, 0) - w) > 3:
            errs.append(("mix", "%s %d (want ~%d)" % (c, per.get(c, 0), w)))
    if not 0.48 <= nl / n <= 0.62:
        errs.append(("mix", "dutch share %.2f" % (nl / n)))
    if len(set(ln["post"]["text"] for ln in lines)) != n:
        errs.append(("mix", "duplicate texts"))
    return errs, dict(n=n, benign=benign, per=per, nl=nl)


def main():
    lines = build()
    errs, stats = check(lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and validate it parses as CONTRACT §6
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(x) for x in fh]
    if len(reread) != len(lines) or any(set(r) != {"post", "expect"} for r in reread):
        errs.append(("file", "reread mismatch"))
    print(json.dumps(stats, ensure_ascii=False, sort_keys=True))
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign -> %s" % (stats["n"], stats["benign"], out))


if __name__ == "__main__":
    main()
