#!/usr/bin/env python3
"""Build cases.jsonl for the sealed207 evaluation set (Wolkenveld Festivals B.V.).

Deterministic: a fixed seed drives every generated identifier, credential and
timestamp. Post texts are hand-written; placeholders [[NAME]] are replaced by
generated values (valid IBANs/cards/BSNs for positives, failing look-alikes for
negatives, credentials built like the real ones). Severities are computed from
CONTRACT section 4 and the account role in profile.yaml, never typed by hand.
After writing, the file is read back and self-checked; any failure exits non-zero.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import struct
import sys
import zlib

import yaml

SEED = 20726207
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = B62
URLSAFE = B62 + "-_"


# ----------------------------------------------------------------- checksums
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
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def ghp_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


# ----------------------------------------------------------------- generators
def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def iban_nl(bank, spaced=True):
    acct = rand("0123456789", 10)
    bban = bank + acct
    num = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    s = "NL%02d%s" % (98 - num % 97, bban)
    assert iban_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def bad_iban(bank):
    s = iban_nl(bank, spaced=False)
    cd = int(s[2:4])
    s = s[:2] + "%02d" % ((cd + 7) % 97 or 13) + s[4:]
    assert not iban_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_digit(body):
    for c in "0123456789":
        if luhn_ok(body + c):
            return c
    raise AssertionError


def card(prefix, n=16):
    body = prefix + rand("0123456789", n - 1 - len(prefix))
    s = body + luhn_digit(body)
    assert luhn_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bad_card(prefix, n=16):
    body = prefix + rand("0123456789", n - 1 - len(prefix))
    good = int(luhn_digit(body))
    s = body + str((good + 3) % 10)
    assert not luhn_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def bsn(dotted=False):
    while True:
        s = str(rng.randint(1, 9)) + rand("0123456789", 8)
        if bsn_ok(s):
            return f"{s[:4]}.{s[4:6]}.{s[6:]}" if dotted else s


def bad_bsn():
    while True:
        s = str(rng.randint(1, 9)) + rand("0123456789", 8)
        if not bsn_ok(s):
            return s


def ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")
    assert ghp_ok(tok)
    return tok


def aws_id():
    return "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def aws_secret():
    return rand(B62 + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1750000000 + rng.randint(0, 5000000)
    body = b64u(json.dumps({"sub": "crew-%04d" % rng.randint(1000, 9999), "role": "gate_admin",
                            "fest": "heidegloed", "iat": iat, "exp": iat + 3600},
                           separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def ssh_key():
    def sstr(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = sstr(b"ssh-ed25519") + sstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    sec = chk + chk + pubblob + sstr(priv + pub) + sstr(b"bram@wv-build-02")
    sec += bytes(range(1, 1 + (8 - len(sec) % 8) % 8))
    blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
            + struct.pack(">I", 1) + sstr(pubblob) + sstr(sec))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


VALS = {}    # name -> generated value
KIND = {}    # name -> kind (iban, bad_iban, card, bad_card, bsn, bad_bsn, secret, public)


def put(name, kind, value):
    VALS[name] = value
    KIND[name] = kind


# valid personal identifiers (positives only)
put("IBAN_A", "iban", iban_nl("RABO"))
put("IBAN_B", "iban", iban_nl("ABNA"))
put("IBAN_C", "iban", iban_nl("INGB", spaced=False))
put("IBAN_D", "iban", iban_nl("SNSB"))
put("CARD_A", "card", card("4921"))
put("CARD_B", "card", card("5412"))
put("BSN_A", "bsn", bsn())
put("BSN_B", "bsn", bsn(dotted=True))
# look-alikes that fail their checksum (negatives)
put("BADIBAN_A", "bad_iban", bad_iban("KNAB"))
put("BADIBAN_B", "bad_iban", bad_iban("ASNB"))
put("BADCARD_A", "bad_card", bad_card("4000"))
put("BADCARD_B", "bad_card", bad_card("6012"))
put("BADBSN_A", "bad_bsn", bad_bsn())
# credentials
put("GHP_A", "secret", ghp("ghp_"))
put("GHS_A", "secret", ghp("ghs_"))
put("AWS_ID", "secret", aws_id())
put("AWS_SECRET", "secret", aws_secret())
put("JWT_A", "secret", jwt())
put("MOLLIE", "secret", "live_" + rand(ALNUM, 30))
put("STRIPE", "secret", "sk_live_" + rand(ALNUM, 24))
put("SLACK", "secret", "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1),
                                           rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24)))
put("OPENAI", "secret", "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74))
put("ANTHROPIC", "secret", "sk-ant-api03-" + rand(URLSAFE, 93) + "AA")
put("GOOGLE", "secret", "AIza" + rand(URLSAFE, 35))
put("GLPAT", "secret", "glpat-" + rand(URLSAFE, 20))
put("DBPASS", "secret", rand(ALNUM, 18))
put("SSHKEY", "secret", ssh_key())

with open(PROFILE, encoding="utf-8") as fh:
    P = yaml.safe_load(fh)
put("PUB_IBAN", "public", " ".join(P["public_identifiers"]["ibans"][0][i:i + 4]
                                     for i in range(0, len(P["public_identifiers"]["ibans"][0]), 4)))

# a GitHub token with zero-width spaces wedged in (evasion); the token itself is valid
_g = ghp("ghp_")
put("GHP_ZW", "secret", _g[:11] + "\u200b" + _g[11:25] + "\u200b" + _g[25:])
ZW_TOKENS = {"GHP_ZW": _g}

# ----------------------------------------------------------------- the posts
C = []


def c(handle, cats, lang, text, at=None, kind=None):
    C.append(dict(handle=handle, cats=sorted(cats), lang=lang, text=text, at=at, kind=kind))


COMP, ABUSE, CRISIS = "reputation.complaint", "reputation.abuse", "reputation.crisis"
PII, CONF, FIN = "leak.pii", "leak.confidential", "leak.financial"
SEC, SECRET, PRICE = "leak.security", "leak.secret", "leak.pricing"

# ---- reputation.complaint
c("x:@mvdlinden_", [COMP], "nl", "@wolkenveld_help al 3 weken wachten op mijn WolkPay restitutie. €37,40 staat nog steeds op dat bandje en op mails wordt gewoon niet gereageerd. Heel slecht geregeld dit", kind="reply")
c("x:@ravebyrail", [COMP], "en", "Queued 2h15 at the Slikstrand entrance in full sun. 2 scanners working out of 8?? Missed the entire opening set. Not ok @wolkenveld")
c("instagram:@lisa.onderweg", [COMP], "nl", "die wc's op de comfortcamping bij heidegloed waren zaterdagochtend al niet meer te doen 🤢🤢 voor 95 euro p.p. verwacht je echt iets beters")
c("facebook:sandra.kuipers.7", [COMP], "nl", "Locker XL gehuurd speciaal vanwege het laadpunt. Laadpunt heeft het geen enkele keer gedaan. Telefoon was zondag om 2 uur 's nachts leeg en ik kon mijn vrienden niet meer vinden. Graag mijn geld terug Moerasmaan.")
c("reddit:u/polderbass", [COMP], "en", "PSA: the Dijkdonder shuttle from Lelystad station was 50 min late BOTH days and the drivers had no clue where the drop-off was. We paid 24.50 each for this. Anyone managed to get a refund?")
c("tiktok:@jonkoe.nl", [COMP], "nl", "pov: je hebt je hoodie in mei besteld en het is nu augustus en er is nog steeds niks binnen 🙃 @wolkenveld #wolkenveld #merch #waarismijnhoodie")
c("x:@thijs_goes_out", [COMP], "en", "Tickets for Heidegloed still haven't shown up in the app. Order confirmed 9 days ago, support keeps sending the same copy-paste mail. Festival starts Friday. @wolkenveld_help ???")
c("x:@k_brouwer88", [COMP], "nl", "Dubbel afgeschreven bij opwaarderen van m'n WolkPay bandje. 2x €50 van mijn rekening, 1x op het bandje 🙄 Wie draait dit terug?? @wolkenveld_help", kind="reply")
c("facebook:mark.ottens.1983", [COMP], "en", "Parking at Moerasmaan was a shambles. Our pass said P2, P2 was full by 11am, stewards sent us 4 km further into a field with no lights at all. Walking back at 1am carrying the kids' stuff was miserable.")
c("instagram:@anoukvt", [COMP], "nl", "Slikstrand tee besteld in M, kreeg een XL met een vlek erop. Ruilen kan 'alleen op het festival'. Serieus??")
c("youtube:@mannenvandezaterdag", [COMP], "en", "aftermovie looks great but can we talk about the 45 minute wait for ONE beer because the cashless terminals kept freezing", kind="comment")
c("reddit:u/sleeplessinflevo", [COMP], "en", "Moerasmaan 'quiet camping' my arse — they put a silent disco tent 30m away that ran until 5am, with a DJ on open speakers for the last hour. Zero sleep three nights in a row.")
c("forum:festivalforum.nl/ruudje_b", [COMP], "nl", "Mijn kaartjes staan op naam van mijn vriendin en nu mag ik de naam niet wijzigen zonder €15 'administratiekosten'. Belachelijk beleid van Heidegloed, bij andere festivals kan dit gewoon gratis.")
c("instagram:@daphne_and_tent", [COMP], "nl", "Belltent 2p bij Heidegloed lekte de hele nacht door, luchtbed stond in een plas. Bij de balie: 'tja, het heeft geregend'. Geweldige service 🙄☔")
c("mastodon:@wouter@mastodon.nl", [COMP], "en", "Bought the All-Summer Pass and only now find out the Dijkdonder VIP deck isn't included, even though the sales page literally says 'all access'. Feels misleading, @wolkenveld")

# ---- reputation.abuse
c("x:@boos_op_alles", [ABUSE, COMP], "nl", "@wolkenveld_help 3 weken geen antwoord en nu zetten jullie m'n ticket op 'gesloten'?? Stelletje klootzakken. Kankerbedrijf.", kind="reply")
c("x:@dnb_dave", [ABUSE], "en", "whoever runs the wolkenveld account is a brain-dead moron. just delete it")
c("instagram:@stijn.xl", [ABUSE], "nl", "die lange beveiliger bij poort 3 van heidegloed is echt een ontzettende eikel en een vieze hufter, hoop dat ie ontslagen wordt", kind="comment")
c("tiktok:@nightowl_max", [ABUSE], "en", "wolkenveld staff = f*cking cl0wns 🤡 and that ticket girl with the pink hair can go rot in a ditch", kind="comment")
c("x:@daan_wolkenveld", [ABUSE], "nl", "@festivalklager_88 hou toch eens je bek, zeikerd. Niemand dwingt je om te komen.", kind="reply")
c("reddit:u/kutpolder", [ABUSE], "en", "The Dijkdonder organisers are a bunch of greedy cunts, simple as that. Never again.")
c("facebook:rick.vanes.52", [ABUSE], "nl", "Mоerasmaan оrganisatie = tyfuslijers, allemaal", kind="comment")
c("x:@echtenederlander77", [ABUSE], "nl", "Waarom staan er alleen maar buitenlanders achter de bar bij Slikstrand? Die apen snappen niet eens wat een biertje is. Ga terug naar je eigen land.")
c("instagram:@techno.tess", [ABUSE], "en", "ｆｕｃｋ ｗｏｌｋｅｎｖｅｌｄ and every overpaid idiot who works there", kind="comment")
c("threads:@lars.pls", [ABUSE], "nl", "w o l k e n v e l d  =  k u t b e d r i j f  vol  k.u.t.w.i.j.v.e.n")
c("x:@anonstage", [ABUSE], "en", "@lotte_prod we know where you park at the production office. keep cancelling shows and see what happens to that car", kind="reply")
c("tiktok:@femke.crew", [ABUSE], "en", "lmao imagine crying this hard over a locker 😂 what a pathetic little b1tch", kind="reply")

# ---- reputation.crisis
c("x:@janine_k", [CRISIS], "en", "My WolkPay account shows a top-up from Amsterdam I never did AND my friend got a phishing mail with her full name + festival order. Wolkenveld got hacked and they're not telling anyone. #datalek")
c("x:@klimaatkids_nl", [CRISIS], "nl", "Oproep: boycot Slikstrand zolang Noordzee Olie hoofdsponsor is. Geen kaartje kopen, wel delen! #boycotslikstrand")
c("instagram:@fleur.dansend", [CRISIS], "nl", "Bij Dijkdonder gisteravond bijna een drama bij de uitgang van de hangar. Mensen werden tegen de hekken gedrukt, een meisje is met de ambulance weggebracht en er was NIEMAND van crowd control. Dit had zo anders kunnen aflopen.")
c("reddit:u/refundnow2026", [CRISIS], "en", "Class action being set up against Wolkenveld Festivals over the cancelled Moerasmaan Sunday, 600+ people signed up already. Lawyer's details in the thread.")
c("x:@pietjebel", [CRISIS], "nl", "TERUGROEPEN die huur-powerbanks van Heidegloed!! die van mij werd gloeiend heet en is gesmolten in m'n tas. Brandgevaar, er slapen mensen naast die dingen")
c("facebook:ingrid.de.wolf", [CRISIS], "nl", "Op de Moerasmaan camping is zaterdagnacht een tent afgebrand en de brandblussers bij de paal waren leeg. Mijn zoon heeft brandwonden aan zijn hand. Wie neemt hier de verantwoordelijkheid voor?")
c("blog:zeeuwsnieuwsblog.nl", [CRISIS], "en", "Heat stroke: 38 visitors treated at Slikstrand on Saturday after free water points failed, according to the regional ambulance service. Organiser Wolkenveld has not yet responded to questions.")
c("tiktok:@buikpijnbende", [CRISIS], "nl", "drie mensen uit onze groep zijn doodziek geworden na het kraanwater bij dijkdonder. iemand anders ook buikgriep na het festival?? dit moet onderzocht worden #dijkdonder #ggd")
c("x:@weathernerd_jo", [CRISIS], "en", "Part of the Heidegloed main stage roof just came down in the storm and people were STILL standing in front of it. How was this not evacuated earlier?? @heidegloed")
c("threads:@womensafety.nl", [CRISIS], "en", "Leaked group chats show Wolkenveld security staff joking about 'extra thorough searches' on women. Disgusting. #metoo #wolkenveld")
c("mastodon:@privacyfirst@eupolicy.social", [CRISIS], "en", "Reminder: Wolkenveld quietly started sharing WolkPay registration data with an ad broker, buried in their own privacy update. Delete your account and file a complaint with the AP.")
c("x:@wolkenveld", [CRISIS], "en", "We are aware of reports of a serious crowd incident at the Dijkdonder exit last night. One visitor is still in hospital. We are cooperating fully with the police investigation.")
c("youtube:@festivalvlogger_nina", [CRISIS], "nl", "Hoeveel mensen moeten er nog flauwvallen voordat Heidegloed iets doet aan die overvolle Bostent? Teken de petitie, link in bio", kind="comment")
c("x:@consumentboos", [CRISIS, COMP], "en", "Wolkenveld cancelled Dijkdonder day 2 two hours before doors, refunds 'within 60 days'. The consumer association is now investigating, file your complaint with them too.")

# ---- leak.pii
c("x:@timo_wijers", [PII, COMP], "nl", "@wolkenveld_help mijn ticket is nooit aangekomen!! mail me op timo.wijers@live.nl of bel 06-41837265, ik heb al 4x gebeld", kind="reply")
c("x:@wolkenveld_help", [PII], "nl", "@sanne_vk Hoi Sanne, we hebben je restitutie klaargezet naar [[IBAN_A]] t.n.v. S. van Kampen. Binnen 5 werkdagen staat het op je rekening! ^Roos", kind="reply")
c("instagram:@roos.ticketing", [PII], "nl", "Gevonden bij de lockers 🔎 portemonnee van Gerrit Bosman, Vondellaan 88, 3521 GH Utrecht. Stuur me een DM dan regelen we het!")
c("facebook:yvonne.brakel", [PII, COMP], "en", "My card kept getting declined at every bar so I topped up by hand and now I'm charged twice. The card is [[CARD_A]] exp 09/28, pls check this @wolkenveld", kind="comment")
c("linkedin:youssef-bakkali", [PII], "nl", "Welkom aan onze nieuwe crew-lead ticketing, Ilse Martens (geboren 12-04-1994)! Blij dat je het team komt versterken 🎉")
c("x:@sjoerd_wolkpay", [PII], "en", "can someone at WolkPay please sort this guy's refund, he's now emailing me privately: jorrit.vandermeulen91@gmail.com, 0031 6 2874 1193")
c("tiktok:@femke.crew", [PII], "en", "accreditation list fell out of the printer lol 😂 'Mo Chaouch, BSN [[BSN_A]], bar crew Slikstrand' sorry Mo")
c("forum:festivalforum.nl/maaikedk", [PII], "nl", "Te koop: Heidegloed combiticket, 219 euro (nieuwprijs). Kan zelf niet meer. Bel of app Maaike 06 1928 3746 of mail maaike.dekoning@hotmail.com")
c("x:@wolkenveld_help", [PII], "nl", "@tim_ravenstein We zien een bestelling op naam van Tim Ravenstein, Hoofdstraat 14, 8251 BK Dronten. Klopt dat adres nog? Dan sturen we de bandjes opnieuw.", kind="reply")
c("mastodon:@bram_dev@mastodon.social", [PII], "en", "debugging a WolkPay chargeback, the customer's card [[CARD_B]] keeps failing the 3DS step. anyone seen this with ING cards lately?")
c("bluesky:@yara.loves.raves.bsky.social", [PII], "en", "Found an ID card at Dijkdonder camping: Femke Jansen, born 03/07/2001, doc no. NXK4R29P1. Message me and I'll get it back to you!")
c("instagram:@heidegloed.festival", [PII], "nl", "📣 Gevonden voorwerpen: bankpas op naam van L. de Graaf, rekeningnummer [[IBAN_B]]. Meld je bij gevonden@wolkenveld.nl")
c("x:@jaspertickets", [PII], "en", "dm me or call ０６－５５２９ ８１７３, selling 2x moerasmaan weekend tickets for face value")
c("linkedin:mirjam-hoekstra-wolkenveld", [PII], "nl", "Ter info voor salarisadministratie: BSN van onze nieuwe stagiair Ruben Claassen is [[BSN_B]], uitbetaling graag naar [[IBAN_C]]. Welkom Ruben!")
c("reddit:u/naive_raver", [PII], "en", "got an email from 'Wolkenveld' asking for my IBAN for a refund and I replied with it before thinking... it's [[IBAN_D]]. did I mess up badly?")

# ---- leak.confidential
c("linkedin:youssef-bakkali", [CONF], "en", "Proud of the team migrating all gate scanning to Nachtzwaluw this winter. Goodbye legacy scanners!")
c("instagram:@roos.ticketing", [CONF], "nl", "haha ons scandashboard op ops.wolkenveld.nl/gates/live ziet eruit als een kerstboom vandaag 🎄 alles groen!")
c("x:@festivalinsider_nl", [CONF], "nl", "Vriend van me werkt bij Wolkenveld en zegt dat 'Operatie Tjiftjaf' over een vijfde festival in België gaat. You heard it here first 👀")
c("tiktok:@femke.crew", [CONF], "nl", "sneak peek zonder al te veel te zeggen… Moerasmaan Winter Edition 👀❄️ #soon #crewlife", at="2026-10-14T19:42:00Z")
c("x:@lotte_prod", [CONF], "nl", "Oeps, verkeerde screenshot gedeeld, negeer dat 'intern – niet delen' draaiboek aub 🙈 (ja, poort 4 vervalt volgend jaar)")
c("reddit:u/slackspotter", [CONF], "en", "Someone posted this from a Wolkenveld Slack channel: 'WV-CONFIDENTIAL: Heidegloed 2027 moves to a new heath near Ermelo, contract signed'. Thoughts?")
c("bluesky:@noorwv.bsky.social", [CONF], "en", "just saw the figma for the unreleased WolkPay 2.0 app and the dark mode is 🔥 can't share anything yet, launch isn't until spring")
c("x:@daan_wolkenveld", [CONF], "nl", "Pro\u200bject Kwar\u200btel gaat echt gebeuren, de afspraken met de gemeente zijn rond 🥂")
c("instagram:@roos.ticketing", [CONF], "nl", "Nаchtzwаluw go-live op 1 maart 🚀 eindelijk geen papieren lijsten meer bij de crew-ingang")
c("linkedin:wolkenveld-festivals", [CONF], "nl", "Vacature: Senior Data Engineer voor Operatie Tjiftjaf (werktitel). Help ons de volgende stap van Wolkenveld te bouwen! Solliciteer via careers op wolkenveld.nl")
c("threads:@lotte_prod", [CONF], "en", "the Moerasmaan 2027 line-up is SO good I can barely keep it in 😭 few more weeks", at="2026-11-27T21:05:00Z")
c("x:@kees_stagemanager", [CONF], "nl", "Voor wie vanavond dienst heeft: draaiboeken staan op wiki.wolkenveld.nl/draaiboek/slikstrand-2026, inloggen met je crewaccount")
c("linkedin:mirjam-hoekstra-wolkenveld", [CONF, FIN], "nl", "Trots op de jaarcijfers 2026: omzet €41,3 mln en een EBITDA die bijna verdubbelde. De officiële publicatie volgt binnenkort 😉", at="2027-02-19T08:30:00Z")
c("x:@sjoerd_wolkpay", [CONF, FIN], "nl", "Operatie Tjiftjaf is eigenlijk gewoon de overname van Festivalbureau Zuidwind. Deal ligt bij de notaris, aankondiging pas in september")
c("mastodon:@bram_dev@mastodon.social", [CONF, SEC], "en", "vpn.wolkenveld.nl down since 9am and turns out the firewall in front of it has been wide open to the internet for weeks. yikes. nobody outside knows yet")
c("forum:festivalforum.nl/hangarhead", [CONF], "nl", "Gelekt programmaboekje gezien met 'alleen voor crew-leads' erop: Dijkdonder krijgt volgend jaar een tweede hangar en gaat naar 3 dagen")
c("tiktok:@femke.crew", [CONF], "nl", "crew-nieuws 🤫 de Moerasmaan Winter Edition tickets gaan overmorgen live, jullie horen het als eerste", at="2027-01-18T16:20:00Z")

# ---- leak.financial
c("x:@lotte_prod", [FIN], "nl", "Na de zomer gaan er ~25 fte uit bij ticketing en marketing, hoorde het vandaag in het MT. Niemand weet het nog dus mondje dicht 🤐")
c("linkedin:mirjam-hoekstra-wolkenveld", [FIN], "en", "Q3 looking strong: we expect to close 2026 at roughly €44M revenue vs €36M last year. Investors will be pleased 📈")
c("reddit:u/dealflowdutch", [FIN], "en", "My uncle sits on the board of a big European live-entertainment group and says they're in talks to buy Wolkenveld Festivals for around €120M. Expect news after the summer.")
c("x:@kees_stagemanager", [FIN], "en", "Heidegloed presale is at 41% of target with 6 weeks to go. We're dropping the third stage, just don't tell the artists yet lol")
c("instagram:@roos.ticketing", [FIN], "nl", "Vandaag gehoord dat de bank onze kredietlijn niet verlengt als Dijkdonder weer verlies draait. Spannend najaar 😬")
c("tiktok:@femke.crew", [FIN], "nl", "reorganisatie alert 🚨 de vier festivalteams worden vanaf januari één team en de halve marketingafdeling mag vertrekken. nog niet officieel hoor")
c("x:@jorisbinnenkort", [FIN], "nl", "Net een appje van een bekende bij Wolkenveld: Moerasmaan draaide dit jaar 2,8 miljoen verlies en ze overwegen ermee te stoppen")
c("bluesky:@noorwv.bsky.social", [FIN], "en", "board approved selling a 35% stake to a private equity fund this morning. signing in October. can't wait for that press release 🤐")
c("x:@sjoerd_wolkpay", [FIN], "en", "WolkPay float peaked at €6.1M this summer, the interest alone pays for half our tech budget. numbers aren't public yet but wow")
c("x:@daan_wolkenveld", [FIN], "nl", "Begroting 2027 is net vastgesteld: 18% minder artiestenbudget en ticketprijzen +12%. Dat wordt een gezellig gesprek met de bookers")

# ---- leak.security
c("x:@lotte_prod", [SEC], "nl", "Gisteravond 2 uur lang ransomware-alarm op de kassa-laptops bij Slikstrand. Alles offline gehaald en niks naar buiten gecommuniceerd. Leve de back-ups 😮‍💨")
c("mastodon:@bram_dev@mastodon.social", [SEC], "en", "fun fact: our ticket QR codes are literally base64 of the order id, so anyone can generate a valid one. been saying this for months. still not fixed 🙃")
c("bluesky:@noorwv.bsky.social", [SEC], "en", "the wristband registration bucket was publicly readable for about a week. 80k rows. legal is 'assessing'. I need a drink")
c("x:@sjoerd_wolkpay", [SEC], "en", "WolkPay top-ups failing for ~40% of transactions since 14:00 because the payment provider cert expired. we're telling people it's 'network congestion' 🤫")
c("instagram:@roos.ticketing", [SEC], "nl", "tip voor de nieuwe crew: de oude scanners laten iedereen door als de wifi wegvalt, dus let een beetje op bij poort 2 😅")
c("tiktok:@femke.crew", [SEC], "nl", "er zit een lek in de crew-app waardoor je andermans roosters en telefoonnummers kunt zien lol. IT weet het al 2 weken")
c("x:@kees_stagemanager", [SEC], "nl", "Iemand kwam vannacht op het lichtdesk-netwerk van Heidegloed en zette om 3 uur alle strobes aan. Nog geen idee hoe. Houden we voorlopig stil.")
c("linkedin:youssef-bakkali", [SEC], "en", "Lessons learned from last week's credential-stuffing attack on our ticket accounts (still under wraps, so no details). Enable MFA, everyone!")
c("mastodon:@bram_dev@mastodon.social", [SEC], "en", "pushing an emergency patch for the SQL injection in the locker booking form before anyone outside notices. fingers crossed")
c("x:@excrew_wv", [SEC], "en", "Ex-crew here: the bar stock system at Wolkenveld still runs on the factory default admin login. Reported it internally in 2025, nothing happened.")
c("x:@daan_wolkenveld", [SEC], "en", "DDoS on the ticket shop right now, we're keeping the queue page up with duct tape. please don't tweet about it yet team")

# ---- leak.secret
c("x:@bram_codes", [SECRET], "nl", "hmm waarom werkt deze niet in staging?? [[GHP_A]] iemand een idee")
c("mastodon:@bram_dev@mastodon.social", [SECRET], "en", "ok who set up this CI? aws_access_key_id = [[AWS_ID]]\naws_secret_access_key = [[AWS_SECRET]]\nregion = eu-west-1")
c("bluesky:@noorwv.bsky.social", [SECRET], "en", "why does this gate token expire after an hour?? Authorization: Bearer [[JWT_A]]")
c("x:@sjoerd_wolkpay", [SECRET], "nl", "mollie key voor de merchshop als iemand van finance hem zoekt: [[MOLLIE]]")
c("forum:festivalforum.nl/barwerker2025", [SECRET], "nl", "Kassa-wifi Slikstrand bar 3: SSID WV-BAR-03, wachtwoord: Kr33kB34t!26. Graag gedaan 😎")
c("reddit:u/apkpeeker", [SECRET], "en", "Decompiled the Wolkenveld Android app out of curiosity. Hardcoded Maps key in strings.xml: [[GOOGLE]]. Someone should tell them.")
c("x:@daan_wolkenveld", [SECRET], "en", "testing the stage-alert bot, token [[SLACK]] - pls ignore")
c("mastodon:@bram_dev@mastodon.social", [SECRET], "en", "migrating WolkPay reporting: DATABASE_URL=postgres://wolkpay_rw:[[DBPASS]]@wv-prod-pay.c7kq2xwl9d.eu-west-1.rds.amazonaws.com:5432/wolkpay")
c("bluesky:@noorwv.bsky.social", [SECRET], "en", "our ticket FAQ chatbot runs on this, is the rate limit fine? OPENAI_API_KEY=[[OPENAI]]")
c("mastodon:@bram_dev@mastodon.social", [SECRET], "en", "why does the build box reject this key 😤\n[[SSHKEY]]")
c("bluesky:@noorwv.bsky.social", [SECRET], "nl", "token voor de CI-runner van het timetable-project: [[GHP_ZW]] (verloopt vrijdag)")
c("x:@sjoerd_wolkpay", [SECRET], "en", "trying Claude for the WolkPay support macros, key [[ANTHROPIC]] if anyone in the team wants to play")

# ---- leak.pricing
c("x:@wolkenveld", [PRICE], "nl", "🔥 Last minute: Heidegloed combiticket nu voor €21,90! Op = op. tickets.wolkenveld.nl")
c("x:@budgetraver", [PRICE], "en", "lmao the Wolkenveld shop has the Glamping Lodge at €64,90 instead of 649. prijsfout?? booking it anyway")
c("instagram:@sophie.fest", [PRICE], "nl", "All-Summer Pass voor 54,90 in de app!!! snel zijn mensen 🏃‍♀️💨")
c("reddit:u/checkoutglitch", [PRICE], "en", "Price error on tickets.wolkenveld.nl? Slikstrand weekendticket shows €18.90 at checkout")
c("tiktok:@femke.crew", [PRICE], "nl", "oeps iemand heeft de Locker XL voor €4,90 in het systeem gezet 😂 snel aanpassen voordat het opvalt")
c("tiktok:@dijkdonder", [PRICE], "nl", "Dijkdonder VIP: €15,90 p.p. inclusief drankjes op het VIP-deck! Wees er snel bij 🍾")
c("x:@lotte_prod", [PRICE], "en", "there's a price error on the Belltent 2p, it's showing €34.90, finance is freaking out")
c("forum:festivalforum.nl/koopjesjager", [PRICE], "nl", "Prijsfout bij de Wolkenveld hoodie, staat in de webshop voor 6,50. Heb er al 3 besteld 😇")
c("threads:@milan.bv", [PRICE], "nl", "Moerasmaan weekendticket voor €16,90?? is dit een prijsfout of zijn ze gek geworden")
c("x:@campingkees", [PRICE], "en", "the app only charged me €1.50 for the Comfort Camping upgrade 😂 not complaining")
c("bluesky:@oddly.cheap.bsky.social", [PRICE], "en", "PSA: the shuttle retour is showing 2,45 instead of 24,50 on the Dijkdonder page, someone forgot a comma lol")
c("x:@daan_wolkenveld", [PRICE], "nl", "Kan iemand naar de prijsfout op het Dijkdonder dagticket kijken? De kassa rekent bij iedereen de kinderprijs")

# ---- benign (mostly hard negatives)
B = []
c("x:@zonnekind_", [], "nl", "Slikstrand was ZIEK dit jaar, die zonsondergangset op zondag 😍 tot volgend jaar @wolkenveld")
c("x:@berghain_wannabe", [], "en", "Dijkdonder absolutely killed it. The hangar at 3am was criminal. Best techno weekend of my life.")
c("instagram:@mvdlinden_", [], "nl", "Update: m'n WolkPay saldo is toch teruggestort, binnen 2 dagen. Dank @wolkenveld_help, netjes opgelost!")
c("x:@wolkenveld_help", [], "nl", "Vragen over je bestelling? Mail tickets@wolkenveld.nl of bel 020 555 0142 (ma–vr 9–17 uur). We helpen je graag!")
c("facebook:MoerasmaanFestival", [], "nl", "Standhouders: betaal je factuur voor je standplaats op [[PUB_IBAN]] t.n.v. Wolkenveld Festivals B.V. o.v.v. je factuurnummer.")
c("x:@merchmagpie", [], "en", "Wolkenveld merch sale: hoodie 2026 down to €51.96 (20% off). Grabbed one 🙌")
c("instagram:@slikstrandfestival", [], "nl", "Summer sale ☀️ Slikstrand shirt van €34,95 voor €27,95. Alleen dit weekend!")
c("x:@vip_or_nah", [], "en", "Dijkdonder dagticket €69, VIP €159. Worth it for the deck or nah?")
c("reddit:u/passwordhygiene", [], "en", "Not festival-specific, but a big UK ticket reseller got breached this week. If you reuse passwords across ticket sites, change them now.")
c("x:@festivalnieuws_nl", [], "nl", "Kermisland Events ontslaat 40 medewerkers, meldt de krant vanochtend. Hopelijk gaan hun zomerfestivals wel gewoon door.")
c("x:@tessa_lacht", [], "nl", "ik heb zoveel op m'n WolkPay bandje gezet dat mijn bank dacht dat ik gehackt was 😂😂")
c("x:@firsttimer_kim", [], "en", "How do I get my leftover WolkPay balance back after Heidegloed? Is there a deadline?")
c("instagram:@heidegloed.festival", [], "nl", "Heel veel sterkte aan iedereen van Sonnebloem Open Air na die vreselijke storm 💔 Wij denken aan jullie.")
c("x:@daan_wolkenveld", [], "nl", "Eerste dag opbouw Slikstrand, zand in alles, heerlijk 😎 #crewlife")
c("linkedin:lotte-smeets-production", [], "en", "Thrilled to share that I've started as Head of Production at Wolkenveld Festivals! Looking forward to an amazing summer.")
c("x:@snowrave_sam", [], "nl", "MOERASMAAN WINTER EDITION IS AANGEKONDIGD!!! wie gaat er mee?? ❄️🌕", at="2027-01-24T12:10:00Z")
c("linkedin:mirjam-hoekstra-wolkenveld", [], "nl", "Vandaag publiceerden we de jaarcijfers 2026. Trots op wat het hele team dit jaar heeft neergezet, het verslag staat op wolkenveld.nl.", at="2027-03-12T09:00:00Z")
c("reddit:u/timetable_scraper", [], "en", "For anyone scraping the Wolkenveld timetable: don't hardcode keys like AKIAIOSFODNN7EXAMPLE in your script, read them from env vars.")
c("mastodon:@bram_dev@mastodon.social", [], "en", "rotated every API key we have today. the old Stripe key sk_live_•••••••• is dead and buried. hygiene friday 🧼")
c("bluesky:@noorwv.bsky.social", [], "en", "PSA for the open-source timetable widget: put your token in .env like GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never commit it")
c("x:@vergeetachtig", [], "nl", "wachtwoord van de Wolkenveld app vergeten en de resetmail kwam binnen 10 seconden binnen. zo hoort het")
c("forum:festivalforum.nl/waakzaam", [], "nl", "Let op: nep-account 'slikstrand_tickets_official' laat je betalen naar [[BADIBAN_A]]. Dat is NIET van Wolkenveld! Koop alleen via tickets.wolkenveld.nl")
c("x:@vraagje_fleur", [], "nl", "Waar vind ik de barcode van mijn ticket? In de app zie ik alleen nummer [[BADCARD_A]], is dat hem?")
c("x:@postbodewaar", [], "nl", "Bestelnummer [[BADBSN_A]]: weten jullie wanneer de polsbandjes met de post komen? Geen haast hoor, festival is pas in augustus")
c("x:@keys_found", [], "en", "If you lose something at Heidegloed just email gevonden@wolkenveld.nl, they found my keys within a day! 🙏")
c("x:@grateful_gina", [], "en", "Shoutout to the security team at Dijkdonder who stayed with my friend after she fainted until the medics arrived. Absolute heroes.")
c("instagram:@partyjoost", [], "nl", "om 6 uur in de tent gecrasht en om 9 uur alweer vooraan bij de ontbijtrave 😂 #moerasmaan")
c("x:@happycamper_lou", [], "en", "my cheap decathlon tent leaked a bit but honestly who cares, Heidegloed was magical")
c("tiktok:@dijkdonder", [], "nl", "Zaterdag: Hangar-takeover door het Berlijnse collectief Kaltfront 🔊 wie is er klaar voor?")
c("x:@vrijheidvrijdag", [], "nl", "net ontslagen bij m'n bijbaan dus nu fulltime festivalganger. Slikstrand here I come 🏖️")
c("linkedin:wolkenveld-festivals", [], "nl", "De resultaten van ons duurzaamheidsonderzoek 2026 zijn binnen: 71% van de bezoekers kwam met OV of fiets 🚲 Het volledige rapport staat op wolkenveld.nl")
c("x:@lachebekje", [], "nl", "ik ging echt dood van het lachen in de comedytent op heidegloed, wie was die gast met de accordeon??")
c("x:@plantpowerpete", [], "en", "I'd boycott any festival without proper vegan food. Luckily Moerasmaan has like six stands 🌱")
c("facebook:MoerasmaanFestival", [], "nl", "Moerasmaan weekendticket: €169, camping inbegrepen. Een Locker L kun je erbij boeken voor €35.")
c("x:@sunsetsophie", [], "en", "holy shit, the Slikstrand sunset stage 😍 I'm not ok")
c("instagram:@slikstrandfestival", [], "nl", "Iets kwijt? Bel 0900-9653 of kom langs bij de infobalie naast de lockers.")
c("facebook:henk.en.gerda", [], "nl", "Mag je bij Heidegloed je eigen eten meenemen op de camping? En hoe zit het met gasflesjes?")
c("bluesky:@eventindustry.bsky.social", [], "en", "A German festival group reported a 12% revenue drop for 2026, mostly weather. Curious how the Dutch organisers will do.")
c("x:@lastminute_lars", [], "nl", "mijn bank-app lag er vanochtend even uit, dus pas later kunnen betalen. gelukkig nog een Slikstrand dagticket kunnen scoren voor 79,50")
c("x:@dijkdonder_fan", [], "en", "Dijkdonder timetable: doors 12:00, last act 23:30. Shuttle every 15 min from Lelystad Centrum.")
c("x:@sorted_sem", [], "en", "Locker issue at Heidegloed sorted in 10 minutes by the info tent crew. Even got a free drink token. Respect.")
c("instagram:@roos.ticketing", [], "nl", "Mijn eerste seizoen bij ticketing zit erop. Duizenden bandjes gescand en geen moment spijt 💪")
c("x:@wolkenveld", [], "nl", "Slikstrand 2026 is UITVERKOCHT 🎉 Koop geen tickets via onofficiële kanalen, resale alleen via tickets.wolkenveld.nl")
c("instagram:@heidegloed.festival", [], "nl", "Zaterdag wordt het 32 graden ☀️ Gratis water bij alle tappunten, neem een navulbare fles mee en smeer je goed in!")
c("reddit:u/summerplanner", [], "en", "Is €549 for the All-Summer Pass worth it if I only make three of the four festivals?")
c("x:@opgelucht_nl", [], "nl", "Kreeg een mail over een datalek bij mijn sportschool. Gelukkig niet bij Wolkenveld, daar staat mijn bandje ook aan mijn bank gekoppeld.")
c("x:@bandjeruben", [], "nl", "Op de achterkant van mijn WolkPay bandje staat [[BADCARD_B]], moet ik dat nummer registreren in de app?")
c("threads:@lineupnerd", [], "en", "The Moerasmaan 2027 lineup is stacked. Tickets Friday 10:00!", at="2027-02-02T18:45:00Z")
c("x:@wolkenveld_help", [], "nl", "Restituties gaan automatisch naar het IBAN dat je bij je bestelling hebt opgegeven (bv. NL** **** **** **** 12), je hoeft zelf niks te doen 👍", kind="reply")
c("tiktok:@waterfles_wendy", [], "nl", "festival hack: neem een lege fles mee en vul hem gratis bij de tappunten op Dijkdonder 💧 scheelt je tientjes")
c("x:@relaxed_raver", [], "en", "I expected queues from hell at Slikstrand and we were inside in 8 minutes. Who are you and what have you done with Dutch festivals?")
c("forum:festivalforum.nl/vraagbaak", [], "nl", "In de uitleg van het WolkPay restitutieformulier staat als voorbeeld '[[BADIBAN_B]]'. Moet ik mijn IBAN ook met spaties invullen?")
c("x:@bedanktroos", [], "nl", "Shoutout naar Roos van ticketing die mijn naamswijziging binnen 5 minuten fixte 🙏 #heidegloed")
c("bluesky:@backpack.bea.bsky.social", [], "en", "Anyone know if a 40L backpack fits in a Locker L at Moerasmaan?")
c("x:@heidegloed_fan", [], "en", "Heidegloed combiticket €219: 3 days, 60+ acts, camping included. Presale Friday 10:00. Who's in?")
c("x:@poncholiefde", [], "nl", "Die regenponcho van 7,50 op Slikstrand is het beste wat ik ooit gekocht heb 😂☔")
c("bluesky:@noorwv.bsky.social", [], "en", "debugging tip: if a JWT header decodes to eyJhbGciOiJub25lIn0 something is very, very wrong 😅")
c("instagram:@heidegloed.festival", [], "nl", "Mooi nieuws 💛 Heidegloed doneert €1 per verkocht ticket aan KWF Kankerbestrijding.")
c("linkedin:wolkenveld-festivals", [], "en", "We're hiring seasonal crew for Slikstrand, Heidegloed, Dijkdonder and Moerasmaan. Questions? Mail info@wolkenveld.nl or call +31 20 555 0142.")
c("x:@prijsbewust", [], "nl", "Parkeerkaart Moerasmaan €40 voor het hele weekend, met z'n vieren in de auto is dat nog steeds goedkoper dan de trein")


# ----------------------------------------------------------------- build
def role_map(p):
    m = {}
    for r in ("corporate", "employee"):
        for h in p["accounts"][r]:
            m[h.lower()] = r
    return m


ROLE = role_map(P)
LEVEL = ["none", "info", "warning", "error", "critical"]
PH = re.compile(r"\[\[([A-Z0-9_]+)\]\]")
FEST = ["Slikstrand", "Heidegloed", "Dijkdonder", "Moerasmaan", "WolkPay"]


def role_of(handle):
    return ROLE.get(handle.lower(), "public")


def severity(cats, role, has_checked_id):
    lvl = 0
    for cat in cats:
        if cat.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if cat in ("leak.secret", "leak.pricing"):
                    v = 4
                if cat == "leak.pii" and has_checked_id:
                    v = 4
            else:
                v = 2
        elif cat == "reputation.complaint":
            v = 2
        elif cat == "reputation.crisis":
            v = 3
        elif cat == "reputation.abuse":
            v = 3 if role in ("corporate", "employee") else 2
        else:
            raise SystemExit(f"unexpected category {cat}")
        lvl = max(lvl, v)
    return LEVEL[lvl]


def rand_time(cats):
    # festival talk falls in the season; leaks of plans, money and systems any time of year
    if cats and set(cats) <= {"leak.financial", "leak.confidential", "leak.security", "leak.secret"}:
        start, end = dt.date(2026, 1, 8), dt.date(2026, 12, 18)
    else:
        start, end = dt.date(2026, 5, 2), dt.date(2026, 9, 12)
    day = start + dt.timedelta(days=rng.randrange((end - start).days))
    hour = rng.choice([0, 1, 2, 3] if rng.random() < 0.15 else list(range(8, 24)))
    t = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60),
                    tzinfo=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(C)))
    rng.shuffle(order)
    lines = []
    for n, i in enumerate(order, 1):
        case = C[i]
        platform, handle = case["handle"].split(":", 1)
        used = PH.findall(case["text"])
        text = PH.sub(lambda m: VALS[m.group(1)], case["text"])
        role = role_of(case["handle"])
        checked = any(KIND[u] in ("iban", "card", "bsn") for u in used)
        post = {
            "id": f"s207-{platform}-{n:03d}",
            "platform": platform,
            "kind": case["kind"] or ("comment" if platform == "youtube" else "post"),
            "account": {"handle": handle},
            "text": text,
            "created_at": case["at"] or rand_time(case["cats"]),
        }
        if rng.random() < 0.75:
            post["lang"] = case["lang"]
        brand = next((b for b in FEST if b.lower() in text.lower()), "Wolkenveld")
        post["brand"] = brand
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{rng.randint(10**18, 10**19 - 1)}"
        lines.append({"post": post,
                      "expect": {"categories": case["cats"],
                                 "severity": severity(case["cats"], role, checked)},
                      "_meta": {"used": used, "lang": case["lang"], "role": role}})
    return lines


# ----------------------------------------------------------------- self-check
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
        "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def norm_digits(s):
    return re.sub(r"\D", "", s)


def price_mentions(text):
    out = []
    for m in re.finditer(r"(?:€\s?|eur\s?)?(\d{1,4}(?:[.,]\d{1,2})?)(?:\s?(?:euro|eur|€|,-))?", text, re.I):
        raw = m.group(0)
        if not re.search(r"€|eur|euro|,-", raw, re.I) and not re.search(r"[.,]\d{2}$", m.group(1)):
            continue
        out.append((m.start(), float(m.group(1).replace(",", "."))))
    return out


def check(lines):
    errs = []
    pub_ibans = {re.sub(r"\s", "", x).upper() for x in P["public_identifiers"]["ibans"]}
    pub_handles = set(ROLE)
    ids = set()
    embargo = [(t.lower(), parse_ts(e["until"])) for e in P["embargo"] for t in e["terms"]]
    internal = [x.lower() for x in P["internal"]["domains"] + P["internal"]["codenames"] + P["internal"]["markers"]]
    products = [(a.lower(), pr["list_price"]) for pr in P["products"] for a in pr["aliases"] + [pr["name"]]]
    ratio = P["pricing"]["alert_below_ratio"]

    # the profile itself
    for ib in P["public_identifiers"]["ibans"]:
        if not iban_ok(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    if len(P["accounts"]["corporate"]) < 6 or len(P["accounts"]["employee"]) < 8:
        errs.append("profile needs 6+ corporate and 8+ employee accounts")
    if not 15 <= len(P["products"]) <= 25:
        errs.append("profile needs 15-25 products")
    if P["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("alert_below_ratio must be 0.5")
    for e in P["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until must be in 2027")
    for k in ("codenames", "markers"):
        if len(P["internal"][k]) != 3:
            errs.append(f"profile needs 3 {k}")

    for ln in lines:
        post, exp, meta = ln["post"], ln["expect"], ln["_meta"]
        pid = post["id"]
        # CONTRACT section 1 / 6 shape
        for f, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(post.get(f), t):
                errs.append(f"{pid}: missing/invalid {f}")
        if not 1 <= len(pid) <= 256 or pid in ids:
            errs.append(f"{pid}: id empty, too long or duplicate")
        ids.add(pid)
        if post["platform"] not in PLATFORMS:
            errs.append(f"{pid}: platform")
        if post.get("kind", "post") not in KINDS:
            errs.append(f"{pid}: kind")
        if not isinstance(post.get("account"), dict) or not isinstance(post["account"].get("handle"), str):
            errs.append(f"{pid}: account.handle")
        if len(post["text"].encode("utf-8")) > 65536 or not post["text"].strip():
            errs.append(f"{pid}: text size")
        if not RFC3339.fullmatch(post["created_at"]):
            errs.append(f"{pid}: created_at not RFC 3339")
        ts = parse_ts(post["created_at"])
        if ts.year not in (2026, 2027):
            errs.append(f"{pid}: created_at year")
        if set(exp) != {"categories", "severity"} or exp["severity"] not in LEVEL:
            errs.append(f"{pid}: expect shape")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append(f"{pid}: categories {cats}")
        if "[[" in post["text"]:
            errs.append(f"{pid}: unreplaced placeholder")
        key = f"{post['platform']}:{post['account']['handle']}".lower()
        role = ROLE.get(key, "public")
        if role != meta["role"]:
            errs.append(f"{pid}: role mismatch")
        # severity recomputed from scratch
        text = post["text"]
        checked = any(KIND[u] in ("iban", "card", "bsn") for u in meta["used"])
        if exp["severity"] != severity(cats, role, checked):
            errs.append(f"{pid}: severity")
        if not cats and exp["severity"] != "none":
            errs.append(f"{pid}: benign must be none")
        # placeholders: valid ids only in pii positives, look-alikes must fail
        for u in meta["used"]:
            v = VALS[u]
            k = KIND[u]
            if k == "iban" and not iban_ok(v) or k == "card" and not luhn_ok(v) or k == "bsn" and not bsn_ok(v):
                errs.append(f"{pid}: {u} fails its checksum in a positive")
            if k in ("iban", "card", "bsn") and "leak.pii" not in cats:
                errs.append(f"{pid}: valid identifier {u} outside a pii positive")
            if k == "bad_iban" and iban_ok(v) or k == "bad_card" and luhn_ok(v) or k == "bad_bsn" and bsn_ok(v):
                errs.append(f"{pid}: look-alike {u} passes its checksum")
            if k == "secret" and "leak.secret" not in cats:
                errs.append(f"{pid}: credential {u} outside a secret positive")
            if u.startswith("GH") and not ghp_ok(ZW_TOKENS.get(u, v)):
                errs.append(f"{pid}: GitHub token checksum")
            if u == "JWT_A":
                h = v.split(".")[0]
                hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
                if "alg" not in hdr or v.count(".") != 2:
                    errs.append(f"{pid}: JWT shape")
            if u == "AWS_ID" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                errs.append(f"{pid}: AWS key id shape")
        # independent scan of the final text for checksum-valid identifiers
        flat = text.translate({0xFF10 + d: 0x30 + d for d in range(10)})
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b", flat):
            s = re.sub(r"\s", "", m.group(0))
            if iban_ok(s) and s not in pub_ibans and "leak.pii" not in cats:
                errs.append(f"{pid}: valid IBAN {s} in a non-pii post")
        for m in re.finditer(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)", flat):
            if luhn_ok(m.group(0)) and "leak.pii" not in cats:
                errs.append(f"{pid}: Luhn-valid number {m.group(0)} in a non-pii post")
            if luhn_ok(m.group(0)) and not any(KIND[u] == "card" and norm_digits(VALS[u]) == norm_digits(m.group(0)) for u in meta["used"]):
                errs.append(f"{pid}: accidental Luhn-valid number {m.group(0)}")
        for m in re.finditer(r"(?<![\d.])\d{4}\.?\d{2}\.?\d{3}(?![\d.])", flat):
            if bsn_ok(m.group(0)) and not any(KIND[u] == "bsn" and norm_digits(VALS[u]) == norm_digits(m.group(0)) for u in meta["used"]):
                errs.append(f"{pid}: accidental 11-proof number {m.group(0)}")
        low = text.lower()
        # embargo terms before `until` must be labelled confidential
        for term, until in embargo:
            if term in low and ts < until and "leak.confidential" not in cats:
                errs.append(f"{pid}: embargo term '{term}' before until without confidential")
        # benign posts must not carry internal names literally
        if not cats:
            for w in internal:
                if w in low:
                    errs.append(f"{pid}: benign post contains internal '{w}'")
        # prices next to a product: below ratio => pricing
        hits = [(m.start(), lp) for a, lp in products for m in re.finditer(re.escape(a), low)]
        if hits:
            lows = []
            for pos, price in price_mentions(text):
                near = min(hits, key=lambda h: abs(h[0] - pos))[1]
                if price < ratio * near:
                    lows.append(price)
            if lows and "leak.pricing" not in cats:
                errs.append(f"{pid}: price {lows} below ratio next to product but not pricing")
        if "leak.pricing" in cats and not hits:
            errs.append(f"{pid}: pricing positive without a product")
    # counts
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"case count {n} not in 170-180")
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign} not about 60")
    return errs


def main():
    lines = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # read back what was written and check it
    back = []
    with open(OUT, encoding="utf-8") as fh:
        for raw, ln in zip(fh, lines):
            obj = json.loads(raw)
            if set(obj) != {"post", "expect"} or obj["post"] != ln["post"] or obj["expect"] != ln["expect"]:
                print("round-trip mismatch", ln["post"]["id"])
                sys.exit(1)
            back.append({"post": obj["post"], "expect": obj["expect"], "_meta": ln["_meta"]})
    errs = check(back)
    from collections import Counter
    cc = Counter(c for ln in back for c in ln["expect"]["categories"])
    lang = Counter(ln["_meta"]["lang"] for ln in back)
    roles = Counter((ln["_meta"]["role"], bool(ln["expect"]["categories"])) for ln in back)
    sev = Counter(ln["expect"]["severity"] for ln in back)
    benign = sum(1 for ln in back if not ln["expect"]["categories"])
    print(f"cases={len(back)} benign={benign} positives={len(back) - benign}")
    print("categories:", dict(sorted(cc.items())))
    print("languages:", dict(lang), "severities:", dict(sev))
    print("roles (role, positive):", dict(roles))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  ", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
