#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed245 (Calorio Warmtenetten B.V., district heating).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file
and self-checks it (checksums, CONTRACT section 6 shape, severities from CONTRACT section 4).
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
rng = random.Random(245245)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}

# ----------------------------------------------------------------------------------------
# identifier generators and validators
# ----------------------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def iban_bad(bank):
    good = iban_make(bank)
    cd = int(good[2:4])
    bad = "NL%02d%s" % ((cd + 7) % 97 or 11, good[4:])
    assert not iban_valid(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def card_bad(prefix):
    good = card_make(prefix)
    bad = good[:-1] + str((int(good[-1]) + 3) % 10)
    assert not luhn_valid(bad)
    return bad


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and s != "000000000"


def bsn_make():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        chk = sum(d[i] * (9 - i) for i in range(8)) % 11
        if chk < 10:
            s = "".join(map(str, d)) + str(chk)
            assert bsn_valid(s)
            return s


def bsn_bad():
    good = bsn_make()
    bad = good[:-1] + str((int(good[-1]) + 4) % 10)
    assert not bsn_valid(bad)
    return bad


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "planning-svc", "name": "laura.v", "role": "planner",
                                 "iat": 1767000000 + rng.randint(0, 9_000_000)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def ssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"

G = {
    "IBAN1": iban_make("RABO"),
    "IBAN2": iban_make("ASNB"),
    "IBAN_BAD1": group4(iban_bad("RABO")),
    "IBAN_BAD2": iban_bad("INGB"),
    "CARD1": group4(card_make("4")),
    "CARD2": card_make("52"),
    "CARD_BAD1": group4(card_bad("4")),
    "BSN1": bsn_make(),
    "BSN2": bsn_make(),
    "BSN_BAD1": bsn_bad(),
    "BSN_BAD2": bsn_bad(),
    "GHTOKEN": gh_token("ghp_"),
    "GHOTOKEN": gh_token("gho_"),
    "AKIA": "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "AWSSECRET": rand(string.ascii_letters + string.digits + "/+", 40),
    "STRIPE": "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 72),
    "SLACK": "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24)),
    "OPENAI": "sk-proj-" + rand(URLSAFE, 74) + "T3BlbkFJ" + rand(URLSAFE, 74),
    "ANTH": "sk-ant-api03-" + rand(URLSAFE, 93) + "AA",
    "JWT": jwt_make(),
    "SSHKEY": ssh_key(),
    "DBPW": rand(string.ascii_letters + string.digits, 8) + "!" + rand(string.digits, 3),
    "PW2": "Warmte" + rand(string.digits, 4) + "#" + rand(string.ascii_lowercase, 3),
    "GLPAT": "glpat-" + rand(URLSAFE, 20),
    "GAPI": "AIza" + rand(URLSAFE, 35),
    "SENDGRID": "SG." + rand(URLSAFE, 22) + "." + rand(URLSAFE, 43),
}

ZW = "\u200b"


def fw(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in s)


# ----------------------------------------------------------------------------------------
# hand-written posts
# (platform, handle, lang, text, categories, options)
# ----------------------------------------------------------------------------------------
CP, CF, CO, CR, CA, SE, FI, SC, PI = ("reputation.complaint", "leak.confidential", "reputation.crisis",
                                      "reputation.crisis", "reputation.abuse", "leak.security",
                                      "leak.financial", "leak.secret", "leak.pii")
PR = "leak.pricing"

CASES = []


def P(platform, handle, lang, text, cats=(), kind=None, when=None, name=None):
    CASES.append({"platform": platform, "handle": handle, "lang": lang, "text": text,
                  "cats": sorted(set(cats)), "kind": kind, "when": when, "name": name})


# ---------------- complaints -----------------------------------------------------------
P("x", "@hanneke_woont", "nl",
  "Al 3 dagen geen warm water in de Vinkenbuurt en @calorio_storingen zegt elke keer 'monteur is onderweg'. "
  "Onderweg vanaf de maan zeker? 🥶🚿", [CP])
P("reddit", "u/cold_in_groningen", "en",
  "Is anyone else on Calorio district heating getting charged a vastrecht that went up 22% while the service "
  "got worse? My radiators are lukewarm at best since October and their support line just loops you back to the menu.",
  [CP])
P("facebook", "gerrit.hofstede.7", "nl",
  "Jammer dat ik hier moet klagen maar via de telefoon kom je nergens. Calorio heeft mijn warmtemeter vervangen "
  "en sindsdien is mijn voorschot verdubbeld. Niemand kan uitleggen waarom. Slechte service.", [CP], kind="comment")
P("x", "@bas_bakt", "en",
  "calorio fitted a new heat unit during the service visit and now it whistles so loud we stuffed the cupboard with towels. called twice, twice 'we'll raise a ticket'. great stuff 🙄", [CP])
P("x", "@priya_in_zwolle", "en",
  "@calorio_nl booked a technician for the 14th, took a day off work, nobody showed. No call, no email. "
  "Rebooked for NEXT MONTH?? Not acceptable.", [CP], kind="reply")
P("instagram", "@lotte.verbouwt", "nl",
  "Bij ons is de vloerverwarming na jullie inregelservice juist slechter geworden. Badkamer ijskoud 🥶 "
  "Waar betaal je €249 voor eigenlijk? #calorio", [CP], kind="comment")
P("x", "@dhr_kuipers", "nl",
  "jaarafrekening calorio klopt voor geen meter. verbruik in GJ x2 terwijl we 3 mnd in spanje zaten. "
  "bezwaar ingediend, 6 weken geen reactie", [CP])
P("threads", "@maartje.k", "en",
  "Calorio's app has been showing 'gegevens niet beschikbaar' for my usage since the summer. Can't check my "
  "consumption, can't download invoices. Paying for a 'smart' heat network that's dumber than my old boiler.", [CP])
P("reddit", "u/studentenhuis_lei", "nl",
  "Ons hele studentenhuis zit al een week met lauw douchewater. Calorio zegt dat het aan de verhuurder ligt, "
  "verhuurder zegt Calorio. Ondertussen douchen wij op de sportschool lmao. Iemand tips hoe je ze aan de lijn krijgt?",
  [CP])
P("x", "@tom_hartley_nl", "en",
  "Third outage this winter in Hoogkerk. @calorio_storingen your status page says 'alles werkt' while my house "
  "is 14 degrees. Just be honest with people.", [CP])
P("forum", "warmtenet_klant_88", "nl",
  "Aansluiting aangevraagd in maart, nu november en nog steeds geen datum. Elke keer een andere medewerker "
  "die weer bij nul begint. Calorio, wat is er aan de hand met jullie planning??", [CP])
P("tiktok", "@jesse.klust", "nl",
  "pov: je belt calorio voor de 5e keer over je lekkende afleverset en ze vragen wéér je klantnummer 💀 "
  "#warmtenet #klantenservice", [CP])

# ---------------- safety incidents, first hand: crisis + complaint ------------------------
P("x", "@annemiek_v", "nl",
  "Vanochtend spoot er kokend water uit de afleverset van Calorio in onze gangkast. Mijn dochter (7) stond "
  "ernaast, brandwonden aan haar enkel, we komen net terug van de huisartsenpost. Dat ding is vorige maand nog "
  "'gecontroleerd'. Ik ben woedend.", [CO, CP])
P("reddit", "u/heatpump_harry", "en",
  "My Calorio BX-4 booster started smoking last night and the breaker tripped twice. Fire brigade came, said the "
  "wiring inside the unit had melted. We could have lost the house. Calorio hasn't even called back.", [CO, CP])
P("facebook", "marja.veenstra.52", "nl",
  "Mijn man ligt in het ziekenhuis met legionella. De enige nieuwe factor in huis is de TB-120 boiler die Calorio "
  "in mei heeft geplaatst en op 45 graden heeft gezet. Calorio zegt 'niet aan ons'. Ik vertrouw dit warmtenet "
  "niet meer.", [CO, CP])
P("x", "@davidokafor", "en",
  "Got a proper shock touching the pipe on our Calorio heat interface unit, my arm tingled for an hour. "
  "Electrician says the thing isn't earthed. @calorio_nl this is dangerous, send someone who knows what they're doing.",
  [CO, CP])

# ---------------- crisis told by third parties ----------------------------------------
P("x", "@stad050nieuws", "nl",
  "Leidingbreuk van warmtebedrijf Calorio zet Oosterpoortbuurt blank met heet water; twee voorbijgangers met "
  "brandwonden naar het ziekenhuis. Weg is afgesloten.", [CO])
P("x", "@eerlijkewarmte", "nl",
  "BOYCOT Calorio! Meld je NIET aan voor hun 'duurzame' warmtenet in Meerstad. Monopolie, woekertarieven en "
  "nul inspraak. Delen! #boycotcalorio", [CO])
P("x", "@infosec_watcher", "en",
  "Hearing reports that Calorio customer data (names, addresses, bank details) is being sold on a forum. "
  "If confirmed this is one of the bigger Dutch utility breaches this year. Calorio hasn't commented.", [CO])
P("linkedin", "mr-sanne-ooms-advocaat", "nl",
  "Namens ruim 400 huishoudens hebben wij vandaag een collectieve vordering tegen Calorio Warmtenetten B.V. "
  "aangekondigd wegens structureel te hoge warmtetarieven. De dagvaarding volgt deze maand.", [CO])
P("x", "@noordnieuwsjunk", "en",
  "Regulator ACM fines Calorio €1.2m over misleading tariff communication. Awkward for a company whose slogan is 'the honest heat network'.", [CO])
P("x", "@leeuwarden_live", "en",
  "Recall: Calorio is asking owners of AS-30 Combi units installed in 2024 to stop using the hot tap until an "
  "engineer has replaced a pressure relief valve. Several units reportedly overheated.", [CO])
P("reddit", "u/bewoner_paddepoel", "nl",
  "Buurvrouw van 84 heeft vier dagen zonder verwarming gezeten in de vrieskou, ze is met onderkoeling "
  "opgenomen. Calorio wist ervan en deed niks. Dit is gewoon een schandaal.", [CO])
P("mastodon", "@klimaatjournalist@mastodon.nl", "en",
  "Documents I've seen suggest Calorio knew about corroded pipe sections in Selwerd since 2023 and postponed "
  "repairs to protect the dividend. A scandal in the making, story out soon.", [CO])
P("x", "@wijkraad_lewenborg", "nl",
  "Oproep: donderdag protest bij het hoofdkantoor van Calorio tegen het afsluiten van gezinnen met een "
  "betalingsachterstand midden in de winter. Neem je buren mee! #warmterecht", [CO])
P("tiktok", "@fleur.nieuws", "nl",
  "stoomwolk boven de wijk en een gat in de straat van 3 meter 😳 brandweer zegt explosie in een warmteleiding "
  "van calorio, 1 gewonde. stay safe vinkhuizen", [CO])
P("x", "@datenschutz_nerd", "en",
  "Calorio's customer portal let me see someone else's invoices, name and bank account just by changing the "
  "number in the URL. Reported it 3 weeks ago, still open. That's a data breach, full stop.", [CO])

# ---------------- abuse ---------------------------------------------------------------
P("x", "@woesteharry", "nl",
  "Calorio is een stelletje kutoplichters, ik hoop dat jullie zelf allemaal in de kou zitten deze winter", [CA])
P("x", "@grimreefer99", "en",
  "calorio support staff are absolute morons. brain-dead idiots the lot of them", [CA])
P("x", "@ruud_vhal", "nl",
  "@klantje_123 hou toch eens je bek, zeurende sukkel. Jij bent de vijfde vandaag.", [CA], kind="reply")
P("instagram", "@d.schaap", "nl",
  "die monteur van calorio met d'r hoofddoek moet maar terug naar haar eigen land, hier hebben we geen "
  "behoefte aan dat soort", [CA], kind="comment")
P("reddit", "u/ragequit_heat", "en",
  "Whoever designed Calorio's billing is a f***ing idiot. Actually no, the whole company is a bunch of "
  "worthless parasites.", [CA])
P("x", "@j4nsen", "nl", "c4l0r10 = k4nk3rb3dr1jf. st3lletj3 tyf3sl1jers", [CA])
P("x", "@boosburger", "nl",
  "Calorio kl\u0430ntenservice zijn echte kl\u043e\u043etzakken, echt waar", [CA])
P("x", "@nightshift_nik", "en",
  "@calorio_nl your CEO is a pathetic w" + ZW + "anker and a l" + ZW + "iar", [CA], kind="reply")
P("x", "@zuurpruim", "en",
  "I know where that Calorio planner lives. If my heating isn't working tomorrow I'll be on her doorstep, count on it.", [CA])
P("tiktok", "@gozer.gert", "nl",
  "calorio monteurs zijn echt de domste r.a.n.d.d.e.b.i.e.l.e.n die er bestaan 🤡🤡", [CA], kind="comment")
P("x", "@ferdi_w", "nl",
  "Godverdomme Calorio, 5 dagen geen verwarming met een baby van 3 maanden en jullie klantenservice hangt "
  "gewoon op. Waardeloos tuig.", [CA, CP])
P("x", "@sarah_flat12", "en",
  "Two weeks of cold showers and your useless dickheads at @calorio_storingen keep closing my ticket. "
  "Fix my hot water, you clowns.", [CA, CP])

# ---------------- confidential ----------------------------------------------------------
P("x", "@mdijkstra_calorio", "en",
  "Brilliant kick-off today for Project Fjord 🚀 Can't say a thing yet, but this is going to speed up the heat transition in Drenthe big time! #proud", [CF])
P("linkedin", "ilse-brouwer-calorio", "nl",
  "Mooie sessie gehad met de stuurgroep Koperwiek. Dank aan iedereen die tot laat bleef rekenen 💪", [CF])
P("instagram", "@kees_op_de_leiding", "en",
  "First test rig of the new AS-40 Hybrid in the workshop 😍 quieter, smaller and a booster built in. Can't wait till we're allowed to show it.", [CF])
P("x", "@calorio_nl", "nl",
  "Binnenkort iets nieuws voor in je woonkamer: de Lumo Halo 🔥 Stay tuned!", [CF],
  when="2027-01-12T16:05:00Z")
P("x", "@noor_devops", "en",
  "anyone know why https://jira.calorio.nl/browse/NET-4412 is suddenly restricted? was halfway through the ticket lol",
  [CF])
P("reddit", "u/joost_warmtenet", "en",
  "Pic of our schedule (CALORIO-INTERN, but whatever): every replacement in Paddepoel slips to Q3. Sorry neighbours.", [CF])
P("x", "@oud_collega_cal", "nl",
  "Leuk hoor, 'Operatie Ketelsteen' bij Calorio. Intern weet iedereen dat daar de helft van de monteurs voor "
  "via een uitzendbureau wordt ingehuurd.", [CF])
P("threads", "@laura.planning", "en",
  "Handy tip for colleagues: the new leave policy is up on intranet.calorio.local/hr/verlof 👍", [CF])
P("linkedin", "youssef-benali-ot", "nl",
  "De slides van gisteren (calorio confidential, dus niet doorsturen aub) staan nu in de Teams-omgeving van "
  "het OT-team.", [CF])
P("bluesky", "@bramvos.bsky.social", "en",
  "Accidentally shared my own slide lol: 'Koelmodule KM-3, launch Q2, NDA partners only'. Deleting in 5.", [CF])
P("facebook", "CalorioWarmte", "nl",
  "Wij werken aan iets moois: " + fw("Project Fjord") + ". Meer weten? Houd onze pagina in de gaten!", [CF])
P("mastodon", "@femke_data@mastodon.social", "en",
  "Dashboard is back: http://grafana.calorio.local/d/warmteverlies nice drop in heat loss since the new insulation 📉", [CF])
P("x", "@ruud_vhal", "nl",
  "Morgen de hele dag training voor Operatie Ketel" + ZW + "steen, eindelijk eens geen storingsdienst 😅", [CF])
P("linkedin", "ilse-brouwer-calorio", "nl",
  "Stiekem al trots: de jaarcijfers 2026 komen ruim boven budget uit, EBITDA rond de 41 miljoen. Meer mag ik "
  "nog niet zeggen 🤫", [CF, FI], when="2026-12-18T19:20:00Z")
P("x", "@mdijkstra_calorio", "nl",
  "Koperwiek is rond: we nemen het warmtenet van Woonstad Assen over. Persbericht komt pas in maart, dus sst 🤐",
  [CF, FI])
P("x", "@insider_energie", "nl",
  "Bron binnen Calorio: de Q4-cijfers 2026 vallen tegen, verlies van ~8 mln door de leidingvervangingen. "
  "Officieel pas begin maart.", [CF, FI], when="2027-02-20T10:40:00Z")
P("x", "@noor_devops", "en",
  "fun night. ransomware on the billing servers, git.calorio.nl is offline and we're restoring from backups. "
  "nothing public yet so don't ask 🙃", [CF, SE])
P("linkedin", "youssef-benali-ot", "nl",
  "Bij de pentest van vorige week kwamen we binnen op scada.calorio.local met het standaardwachtwoord van de "
  "leverancier. Wordt aan gewerkt, maar wow.", [CF, SE])

# ---------------- security (insiders) ---------------------------------------------------
P("x", "@ruud_vhal", "nl",
  "Zeg maar niks tegen de klanten maar de hele meetdata-koppeling ligt sinds vannacht plat, alle facturen van "
  "deze maand worden op schattingen gebaseerd 🤦", [SE])
P("bluesky", "@bramvos.bsky.social", "en",
  "Found out today our customer portal happily returns anyone's invoice PDF if you just bump the id. "
  "Ticket filed, not fixed yet, please nobody tell Reddit 😬", [SE])
P("threads", "@laura.planning", "en",
  "Fault dispatch is running on paper and Excel today, the planning system got hacked according to this morning's IT mail. Not announced outside yet btw", [SE])
P("x", "@noor_devops", "en",
  "PSA for my team: the phishing mail from 'ceo@calorio-nl.com' got 14 clicks and 3 people typed in their creds. "
  "incident response is on it, comms hasn't gone out yet.", [SE])
P("instagram", "@kees_op_de_leiding", "en",
  "Substation Zernike has been on manual for 2 days since the controls went down after that cyber attack. We're driving back and forth turning valves 😅 #engineerlife", [SE])
P("reddit", "u/joost_warmtenet", "en",
  "Throwaway-ish: the remote login on the Lumo thermostats has no rate limiting, you can brute force the "
  "4-digit pin in minutes. Reported internally months ago. Nobody cares.", [SE])
P("mastodon", "@femke_data@mastodon.social", "en",
  "Backups of the customer database sat in a public bucket for 3 weeks. Found yesterday, closed now. Wonder if we'll actually report it to the regulator...", [SE])
P("x", "@calorio_storingen", "nl",
  "Intern: storing warmteregeling Beijum komt door een DDoS op de SCADA-gateway. Naar buiten communiceren we "
  "'technische storing'.", [SE])
P("x", "@ex_calorio_it", "en",
  "Fun fact: Calorio's heat substations still run Windows XP and are reachable from the office network. "
  "Left in 2025, nothing had changed by then.", [SE])
P("x", "@mdijkstra_calorio", "nl",
  "Komende dagen even rustig op socials: we hebben een datalek te pakken (±12.000 klantrecords) en de melding "
  "moet nog de deur uit. Houd je taai collega's.", [SE])
P("linkedin", "ilse-brouwer-calorio", "en",
  "Our payment run got diverted twice this week by fraudsters using a supplier's hacked mailbox. Investigation still ongoing, so no details yet.", [SE])

# ---------------- financial -----------------------------------------------------------
P("linkedin", "ilse-brouwer-calorio", "en",
  "2027 forecast revised internally: revenue -6% and the dividend gets scrapped. Rough week in finance.", [FI])
P("x", "@ruud_vhal", "nl",
  "Net gehoord op de afdelingsmeeting: 60 fte eruit bij de storingsdienst, het werk gaat naar een externe "
  "partij. Nog niet bekendgemaakt. Balen.", [FI])
P("threads", "@laura.planning", "en",
  "rumour confirmed in our team call: Calorio is being bought by a Canadian pension fund, deal gets signed "
  "next month. can't say more 👀", [FI])
P("reddit", "u/joost_warmtenet", "en",
  "Reorg is final: 3 regional offices closing (Assen, Emmen, Hoogeveen), everything moves to Groningen. Works council only hears on Friday.", [FI])
P("x", "@beursbengel", "nl",
  "Hoor uit goede bron dat Calorio het warmtetarief voor 2027 met 14% gaat verhogen. Besluit is al genomen, "
  "wordt pas in december gecommuniceerd.", [FI])
P("bluesky", "@bramvos.bsky.social", "en",
  "Our H2 numbers look grim. Net loss around 11M, way worse than what the board told the bank in June. "
  "Anyway, weekend!", [FI])
P("linkedin", "calorio-warmtenetten", "nl",
  "Concept - NIET PLAATSEN: Calorio verwacht over 2026 een nettowinst van €23-25 mln en onderzoekt de verkoop "
  "van het netwerk in Emmen.", [FI])
P("x", "@mdijkstra_calorio", "nl",
  "Marketingbudget voor 2027 gehalveerd, de helft van ons team gaat per 1 april weg. Officieel horen ze het "
  "volgende week 😔", [FI])
P("instagram", "@kees_op_de_leiding", "en",
  "According to the site manager the company gets split up and sold in 2027, the network to the municipality and the rest to an investor. I'll believe it when I see it 😅", [FI])

# ---------------- secrets -------------------------------------------------------------
P("x", "@noor_devops", "en",
  "why does this keep failing?? git clone https://<<GHTOKEN>>@github.com/calorio/meter-ingest.git works "
  "locally but not in CI", [SC])
P("bluesky", "@bramvos.bsky.social", "en",
  "Uploading the heat-map exports to S3 with AWS_ACCESS_KEY_ID=<<AKIA>> AWS_SECRET_ACCESS_KEY=<<AWSSECRET>> "
  "and it's sooo slow, any tips?", [SC])
P("mastodon", "@femke_data@mastodon.social", "en",
  "Quick test for webshop refunds: stripe.api_key = \"<<STRIPE>>\" why am I getting a 401?", [SC])
P("reddit", "u/joost_warmtenet", "nl",
  "Hoe laat ik m'n slack-bot posten in #storingen? token is <<SLACK>> en ik krijg steeds channel_not_found",
  [SC])
P("x", "@noor_devops", "en",
  "OPENAI_API_KEY=<<OPENAI>> is in our .env and the summariser still returns 429, is the org out of credits?",
  [SC])
P("linkedin", "youssef-benali-ot", "nl",
  "Kleine demo van onze incident-samenvatter. Config: ANTHROPIC_API_KEY=<<ANTH>> Werkt verrassend goed!", [SC])
P("threads", "@laura.planning", "nl",
  "curl -H 'Authorization: Bearer <<JWT>>' https://api.calorio.nl/v2/werkorders geeft 403, heeft iemand "
  "anders wel toegang? 🙏", [SC])
P("mastodon", "@femke_data@mastodon.social", "en",
  "For the deploy to the metering server, paste this into your ~/.ssh/id_ed25519:\n<<SSHKEY>>", [SC])
P("x", "@noor_devops", "en",
  "DATABASE_URL=postgresql://svc_facturatie:<<DBPW>>@db-prod-02.calorio.local:5432/billing why is psql "
  "refusing this from my laptop", [SC, CF])
P("instagram", "@kees_op_de_leiding", "nl",
  "Laptop in het onderstation heeft het gewoon op een sticker staan haha 🙈 wachtwoord: <<PW2>>", [SC])
P("x", "@freelance_frits", "nl",
  "Pipeline van Calorio faalt alweer. Gebruik het CI-token <<GLPAT>> dat ze me gewoon per mail stuurden. "
  "Iemand een idee?", [SC])
P("reddit", "u/maps_hobbyist", "en",
  "Found this Google Maps key in the page source of Calorio's outage map: <<GAPI>> pretty sure it's not "
  "restricted, lol", [SC])

# ---------------- personal data -------------------------------------------------------
P("x", "@calorio_storingen", "nl",
  "@h_meijer We hebben uw melding gekoppeld aan IBAN <<IBAN1>> t.n.v. H. Meijer, de terugbetaling volgt "
  "binnen 5 werkdagen.", [PI], kind="reply")
P("facebook", "CalorioWarmte", "nl",
  "Beste mevrouw De Boer, de monteur komt morgen naar Kastanjelaan 14 in Haren. Bij vragen bellen wij u op "
  "06-38271946.", [PI], kind="comment")
P("x", "@ruud_vhal", "nl",
  "Klant van vanmiddag wilde per se dat ik z'n BSN noteerde voor de aansluiting 🙄 <<BSN1>>, waarom zou ik "
  "dat nodig hebben?", [PI])
P("linkedin", "ilse-brouwer-calorio", "nl",
  "Wie kent deze klant? Betaling met creditcard <<CARD1>> is mislukt en ik krijg mevrouw niet te pakken.", [PI])
P("x", "@karin_thuis", "nl",
  "@calorio_nl bel me even terug aub, 06 41 23 87 65. al drie keer gevraagd en nog steeds niemand gehoord",
  [PI, CP], kind="reply")
P("x", "@mark_jansen_nl", "en",
  "@calorio_nl I've emailed you twice from mark.jansen1984@gmail.com about my final bill after moving out, "
  "still nothing. Can someone actually respond?", [PI, CP], kind="reply")
P("facebook", "petra.lubbers", "nl",
  "Voor de Calorio monteur die morgen komt: ik woon op de Zonnebloemstraat 8 in Hoogezand, bel maar aan bij "
  "Lubbers 😊 Fijn dat het zo snel kan!", [PI], kind="comment")
P("instagram", "@calorio.warmte", "nl",
  "Gefeliciteerd met je 100e verjaardag, mevrouw Aaltje Wieringa (geboren 3 februari 1926)! Onze monteurs "
  "kwamen taart brengen 🎂", [PI])
P("threads", "@laura.planning", "en",
  "Who has the work order for Mr Postma, Helperzoom 221? His number is 050-5559132, he calls every hour 😅", [PI])
P("reddit", "u/overpaid_okke", "en",
  "Calorio refunded me to the wrong account. My IBAN is <<IBAN2>> and they sent it to some Knab account I've "
  "never had. How do I escalate this?", [PI, CP])
P("mastodon", "@femke_data@mastodon.social", "en",
  "Pulled test data for the new billing straight from prod, e.g. J. Hoekstra, j.hoekstra@ziggo.nl, +31 6 2871 4409, BSN <<BSN2>>. Not ideal, I know.", [PI])
P("x", "@calorio_nl", "nl",
  "@femkeb92 Dank je, we hebben je gegevens doorgezet: Femke Bosma, Vondellaan 31, 9721 AB Groningen. Je hoort "
  "binnen 2 dagen van ons!", [PI], kind="reply")
P("x", "@mdijkstra_calorio", "en",
  "Our Christmas puzzle winner is Henk Mulder (henk.mulder@kpnmail.nl), Henk we'll email you today! 🎄",
  [PI])
P("x", "@jeroen_schaatst", "nl",
  "Pas gevonden bij de Calorio warmtepost aan de Dilgtweg, op naam van L. Tuinstra, nummer <<CARD2>>. DM me "
  "als je haar kent.", [PI])
P("bluesky", "@bramvos.bsky.social", "en",
  "Customer called to update details: Ms. Yasmina El Idrissi, born 12-08-1979. Pasted it in the wrong channel "
  "earlier so here it is again for the team.", [PI])

# ---------------- pricing -------------------------------------------------------------
P("x", "@dealjager_nl", "nl",
  "PRIJSFOUT?! Calorio webshop: Lumo slimme thermostaat voor €22,90 (normaal €229). Snel zijn! 🏃", [PR])
P("instagram", "@calorio.warmte", "nl",
  "Nu in de winteractie: de Lumo Mini voor maar €12,90! 🔥", [PR])
P("x", "@ruud_vhal", "en",
  "Customers calling nonstop because the AS-20 heat unit is on the site for €145 😂 someone forgot a zero",
  [PR])
P("facebook", "CalorioWarmte", "nl",
  "Aansluitpakket Plus tijdelijk voor €595 incl. installatie. Aanmelden via mijn.calorio.nl", [PR])
P("reddit", "u/koopjesklaas", "en",
  "Just ordered 3 FS-1 filters from Calorio at €8.90 each. Either a glitch or Christmas came early.", [PR])
P("x", "@thermo_tweaker", "en",
  "Does Calorio really deliver the BX-4 booster for €345? That's what their configurator says. Looks like a price error to me.", [PR])
P("threads", "@laura.planning", "nl",
  "Oeps, Zorgeloos abonnement staat in de app voor €1,79 per jaar ipv €179. Finance is al gebeld 🙈", [PR])
P("tiktok", "@calorio_nl", "nl",
  "Black Friday deal: warmtemeter WM-5 voor €39! Alleen vandaag 😍", [PR])
P("x", "@frugal_fenna", "en",
  "Calorio has the Radiatorset Slim 8 listed at €29.90, it was €299. Price error? Ordered two just in case 🤭", [PR])
P("linkedin", "youssef-benali-ot", "en",
  "There's a price error on the Koelmodule KM-2 in the webshop, please don't share until it's fixed.", [PR])
P("reddit", "u/cartwatcher", "en",
  "The Calorio TB-120 boiler shows €119 in the webshop cart. Anyone else seeing this? Going to try checkout lol",
  [PR])
P("x", "@calorio_nl", "nl",
  "Inregelservice nu voor slechts €24,90 per woning. Plan direct in via mijn.calorio.nl", [PR])

# ---------------- benign (mostly hard negatives) ---------------------------------------
P("x", "@calorio_nl", "nl",
  "Koude nacht op komst ❄️ Check of je radiatorknoppen open staan en bel bij een storing 0800-2256 (gratis, 24/7).")
P("x", "@calorio_storingen", "nl",
  "Update 17:40: de storing in Beijum is verholpen, alle woningen hebben weer warmte. Excuses voor het ongemak "
  "en dank voor jullie geduld!")
P("x", "@tevreden_tineke", "nl",
  "Monteur van Calorio binnen 2 uur hier, afleverset gerepareerd en nog uitgelegd hoe ik de Lumo moet "
  "instellen. Top service! 👏")
P("x", "@newtown_neil", "en",
  "Complained last month about my lukewarm radiators, @calorio_nl sent someone to rebalance the system and it's "
  "been toasty since. Credit where it's due.")
P("x", "@buurtapp_gijs", "nl",
  "Wat een ellende bij dat warmtenet in Utrecht deze week, sterkte aan alle bewoners daar. Hier bij Calorio "
  "gelukkig niks aan de hand.")
P("linkedin", "calorio-warmtenetten", "nl",
  "Wij zoeken monteurs warmtetechniek! Stuur je cv naar werkenbij@calorio.nl of bel 088 555 0199.")
P("facebook", "CalorioWarmte", "nl",
  "Onze bankgegevens voor handmatige betalingen: NL38 INGB 0006 4821 37 t.n.v. Calorio Warmtenetten B.V. "
  "Let op: wij vragen nooit per sms om te betalen!")
P("reddit", "u/smarthome_sietse", "en",
  "Does anyone know if the Calorio Lumo works with Home Assistant? Thinking about buying one for €229.")
P("instagram", "@calorio.warmte", "nl",
  "Winteractie: 20% korting op de Lumo thermostaat, nu €183,20 🎁 t/m 31 december.")
P("x", "@koopjes_kim", "nl", "Lumo Mini gescoord in de sale bij Calorio, €109 ipv €129. Blij mee!")
P("x", "@noor_devops", "en",
  "TIL the AWS docs use AKIAIOSFODNN7EXAMPLE as their sample key. Put it in our onboarding slides so nobody "
  "pastes a real one 😅")
P("bluesky", "@bramvos.bsky.social", "en",
  "Reminder: never paste tokens in chat. If you must show one in a bug report, write it like "
  "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
P("x", "@calorio_nl", "nl",
  "Let op: er gaan phishingmails rond uit naam van Calorio. Wij vragen nooit om je wachtwoord. Twijfel je? "
  "Mail naar klantenservice@calorio.nl.")
P("x", "@wendy_wl", "nl",
  "wachtwoord vergeten voor mijn.calorio.nl en de resetmail was er binnen een minuut. zo hoort het 👍")
P("facebook", "rita.hoogeveen.3", "nl",
  "Iemand ook een sms gehad dat je je Calorio-rekening moet betalen op <<IBAN_BAD1>>? Is nep toch? Het echte "
  "rekeningnummer staat gewoon op hun site.", kind="comment")
P("x", "@lars_typt_scheef", "nl",
  "Betaling aan Calorio geweigerd omdat ik m'n kaartnummer verkeerd had ingetikt (<<CARD_BAD1>>, een cijfer "
  "fout 🙄). Tweede poging ging goed.")
P("reddit", "u/nieuwe_aansluiting", "nl",
  "Calorio vraagt bij aanmelding om je klantnummer, niet om je BSN hoor. Mijn klantnummer was <<BSN_BAD1>>, "
  "gewoon op de welkomstbrief.")
P("x", "@calorio_nl", "nl",
  "Vandaag publiceren we onze jaarcijfers 2026: omzet €212 mln en de investeringen in het net verdubbeld. "
  "Lees het jaarverslag op calorio.nl/investor", when="2027-03-04T07:30:00Z")
P("instagram", "@calorio.warmte", "nl",
  "Hij is er! De Lumo Halo is vanaf vandaag te bestellen voor €279 🔥", when="2027-01-21T08:00:00Z")
P("linkedin", "youssef-benali-ot", "nl",
  "Trots op het team achter de AS-40 Hybride, die sinds deze week officieel in de markt staat!",
  when="2027-01-22T12:15:00Z")
P("x", "@energy_eddie", "en",
  "Two Dutch heat companies announced tariff cuts today. Curious whether Calorio follows.")
P("x", "@kattenmens_ria", "nl",
  "Mijn kat heeft de afleverset van Calorio ontdekt als warmste plek van het huis. Hij gaat er nooit meer weg 😹")
P("forum", "zuinig_zwolle", "nl",
  "Hoe lees ik de WM-5 warmtemeter van Calorio af? Welke van die getallen is nou de GJ?")
P("youtube", "@CalorioWarmte", "nl",
  "Nieuwe video: zo ontlucht je je radiatoren in 3 stappen. Kosten: €0, resultaat: warm huis 🔧")
P("x", "@ruud_vhal", "en",
  "Good day, swapped three heat units in Haren and got coffee everywhere ☕ #engineerlife")
P("x", "@nachtuil_selwerd", "en",
  "Big respect to the Calorio crew working through the night at -8°C to fix the main in Selwerd. Saw them at "
  "3am from my window. Legends.")
P("reddit", "u/nieuwsgierige_nina", "nl",
  "Kan iemand uitleggen waarom warmtenetten eigenlijk een monopolie zijn? Niet boos, gewoon nieuwsgierig. Wij "
  "zitten bij Calorio en zijn er best tevreden over.")
P("x", "@calorio_storingen", "nl",
  "Gepland onderhoud: dinsdag 10 november 09:00-13:00 geen warm tapwater in Lewenborg. Bewoners zijn per "
  "brief geïnformeerd.")
P("x", "@warmtecongres_fan", "nl",
  "Killer presentatie van Calorio op het Warmtecongres, ze hebben de zaal echt platgespeeld 🔥")
P("x", "@ollie_oops", "en",
  "I was ready to rage at Calorio this morning but turns out I'd closed the valve myself. Sorry guys, my bad 🙈")
P("linkedin", "ilse-brouwer-calorio", "nl",
  "Fijn dat onze halfjaarcijfers vandaag live staan op calorio.nl. Dank aan het hele finance-team!",
  when="2026-08-20T07:10:00Z")
P("linkedin", "calorio-warmtenetten", "nl",
  "Calorio sluit 2.000 nieuwe woningen aan in Meerstad. Het persbericht vind je op calorio.nl, vragen van de "
  "media graag naar pers@calorio.nl.")
P("linkedin", "student-ot-security", "nl",
  "Gisteren een talk gehad van iemand van Calorio over OT-beveiliging bij warmtenetten. Heel interessant, "
  "vooral het stuk over netwerksegmentatie.")
P("reddit", "u/gasvrij_gert", "en",
  "Our building switched from gas to Calorio district heat. First winter bill came in lower than expected. "
  "Pleasantly surprised.")
P("x", "@mdijkstra_calorio", "nl",
  "Open dag bij ons warmtestation Zernike op 12 september! Kom kijken hoe een warmtenet werkt. Aanmelden via "
  "calorio.nl/opendag 🎈", when="2026-08-28T09:00:00Z")
P("x", "@stille_sjoerd", "nl",
  "Was bang dat die Calorio Booster BX-4 veel herrie zou maken maar je hoort 'm echt niet. Aanrader.")
P("reddit", "u/devops_dirk", "en",
  "PSA for devs: in example configs use placeholders like sk_live_XXXXXXXXXXXXXXXXXXXXXXXX, never the real key. "
  "Learned that the hard way at a previous job (not Calorio, before anyone asks).")
P("x", "@calorio_nl", "en",
  "@tom_hartley_nl Sorry for the trouble, Tom. We've sent you a DM so you can share your address privately and "
  "we'll get an engineer out.", kind="reply")
P("x", "@refund_roel", "nl",
  "Voor wie ook nog een refund mist: bij mij stond 'NL** **** **** **12 34' op het afschrift van Calorio, dus "
  "het komt echt binnen.")
P("reddit", "u/budget_bea", "en",
  "Anyone else get the letter from Calorio about next year's tariff? 3% up, honestly less than I feared.")
P("facebook", "anouk.de.wit.12", "nl",
  "Onze buurman werkt bij Calorio en heeft de halve straat uitgelegd hoe je vloerverwarming inregelt. Wat een "
  "held 💪", kind="comment")
P("instagram", "@kees_op_de_leiding", "en",
  "New van, new toolbox, same old engineer 😎 #calorio #districtheating")
P("forum", "grafana_gerrit", "nl",
  "Weet iemand waarom de Calorio API een JWT wil en geen gewone API-key? Ik wil mijn verbruik in Grafana zetten.")
P("x", "@sam_in_hoogkerk", "en",
  "The Calorio outage last Tuesday was handled really well. Clear texts every hour, heat back by dinner.")
P("x", "@calorio_nl", "nl",
  "Verhuizen? Geef je nieuwe adres door via mijn.calorio.nl of bel +31 50 555 0180. Dan regelen wij de "
  "eindafrekening.")
P("forum", "verbouwer_vincent", "nl",
  "Aansluitpakket Basis bij Calorio kost €4.250, met de gemeentelijke subsidie betaal je maar de helft. "
  "Klopt dat een beetje?")
P("reddit", "u/pragmatic_pim", "en",
  "Calorio's Zorgeloos abonnement at €179 a year sounded pricey but two service visits already paid it back.")
P("x", "@noor_devops", "en",
  "New blog: rotating secrets with Vault. All examples use dummy values like AKIAXXXXXXXXXXXXXXXX and "
  "password 'changeme'. Link in bio.")
P("reddit", "u/meerstad_newbie", "en",
  "Just moved into a new-build in Meerstad with Calorio heating. Anyone know a good plumber for a towel "
  "radiator? Not their job I guess.")
P("tiktok", "@calorio_nl", "nl",
  "Raad de temperatuur van het water in onze transportleiding 🌡️ Antwoord: 90 graden! #calorio #warmtenet")
P("x", "@cijfertjes_cor", "nl",
  "De jaarcijfers 2026 van Calorio zijn eindelijk uit, netjes winst gemaakt. Mag het tarief nu omlaag?",
  when="2027-03-06T11:45:00Z")
P("x", "@bellende_bert", "nl",
  "Hoe moeilijk is het om Calorio te bereiken? Heel makkelijk blijkt: 0800-2256 en binnen 3 min had ik iemand. "
  "Respect.")
P("x", "@grapjas_gijs", "nl",
  "Dat kokende water in de reclame van Calorio is nep toch? Zo heet wordt het bij mij nooit 😅")
P("reddit", "u/thesis_thijs", "en",
  "Reading about district heating security for my thesis. Calorio's public incident page is a good example "
  "of transparency, wish more utilities did this.")
P("threads", "@laura.planning", "en",
  "Last working day before Christmas! Schedule done, engineers rostered, warm Christmas everyone 🎄",
  when="2026-12-23T15:30:00Z")
P("x", "@snel_geholpen", "nl",
  "Storingsnummer <<BSN_BAD2>> bij Calorio, binnen een dag opgelost. Zo kan het dus ook!")
P("instagram", "@noorse_nienke", "nl",
  "Vakantiefoto's van de fjorden in Noorwegen 🇳🇴 maar ik mis stiekem wel m'n Calorio-vloerverwarming 🥶")
P("x", "@fan_van_warmte", "en",
  "No scandal, no drama, just heating that works. Thanks Calorio, six winters and not one cold day.")
P("youtube", "@CalorioWarmte", "en",
  "New explainer: how a heat interface unit works, and why you should never open the casing yourself. "
  "Questions? storingen@calorio.nl")
P("mastodon", "@femke_data@mastodon.social", "en",
  "Wrote a piece on open data in the heat transition, Calorio's public dataset is at calorio.nl/open-data 📊")


# ----------------------------------------------------------------------------------------
# severity from CONTRACT section 4
# ----------------------------------------------------------------------------------------
ORDER = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
NINE_RE = re.compile(r"(?<!\d)\d{9}(?!\d)")


def checked_ids(text):
    """Identifiers with a checksum found in text that pass it (public IBANs excluded)."""
    found = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v not in PUBLIC_IBANS and iban_valid(v):
            found.append(("iban", v))
    for m in CARD_RE.finditer(text):
        if luhn_valid(m.group()):
            found.append(("card", m.group()))
    for m in NINE_RE.finditer(text):
        if bsn_valid(m.group()):
            found.append(("bsn", m.group()))
    return found


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(cats, role, text):
    levels = ["none"]
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = "error"
                if c in ("leak.secret", "leak.pricing"):
                    lvl = "critical"
                if c == "leak.pii" and checked_ids(text):
                    lvl = "critical"
            else:
                lvl = "warning"
        elif c == "reputation.complaint":
            lvl = "warning"
        elif c == "reputation.crisis":
            lvl = "error"
        elif c == "reputation.abuse":
            lvl = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        levels.append(lvl)
    return max(levels, key=ORDER.index)


# ----------------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------------
def fill(text):
    def rep(m):
        return G[m.group(1)]
    out = re.sub(r"<<([A-Z0-9_]+)>>", rep, text)
    assert "<<" not in out and ">>" not in out, out
    return out


def rand_time():
    start = datetime(2026, 1, 3, 6, 0, tzinfo=timezone.utc)
    end = datetime(2026, 12, 28, 22, 0, tzinfo=timezone.utc)
    secs = rng.randint(0, int((end - start).total_seconds()))
    return (start + timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        created = c["when"] or rand_time()
        pid = f"{c['platform']}-245{n:03d}"
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"] or "post",
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": created, "brand": "Calorio"}
        if c["platform"] == "x":
            post["url"] = f"https://x.com/{c['handle'].lstrip('@')}/status/{1870000000000000000 + rng.randint(0, 10**15)}"
        lines.append({"post": post,
                      "expect": {"categories": c["cats"], "severity": severity(c["cats"], role, text)},
                      "_role": role})
    return lines


# ----------------------------------------------------------------------------------------
# self-checks
# ----------------------------------------------------------------------------------------
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", s).lower()


def euro_amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d{1,3}(?:\.\d{3})*|\d+)(?:,(\d{2})|\.(\d{2}))?", text):
        whole = int(m.group(1).replace(".", ""))
        cents = m.group(2) or m.group(3)
        out.append(whole + (int(cents) / 100 if cents else 0))
    return out


def products_in(text):
    low = text.lower()
    found = []
    aliases = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            aliases.append((a.lower(), p))
    aliases.sort(key=lambda x: -len(x[0]))
    for a, p in aliases:
        pat = r"(?<![a-z0-9])" + re.escape(a) + r"(?![a-z0-9])"
        if re.search(pat, low):
            found.append(p)
            low = re.sub(pat, " ", low)
    return found


def check(lines):
    errors = []
    ids = set()
    valid_cats = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
                  "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
    emb = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
           for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    idoms = [d.lower() for d in PROFILE["internal"]["domains"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    for ln in lines:
        post, exp = ln["post"], ln["expect"]
        pid, text, cats = post["id"], post["text"], exp["categories"]
        # CONTRACT section 6 / section 1 shape
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errors.append(f"{pid}: bad or duplicate id")
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str) or not post[f]:
                errors.append(f"{pid}: missing {f}")
        if not isinstance(post.get("account", {}).get("handle"), str):
            errors.append(f"{pid}: missing account.handle")
        if post["platform"] not in {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}:
            errors.append(f"{pid}: platform")
        if post["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            errors.append(f"{pid}: kind")
        if len(text.encode("utf-8")) > 64 * 1024:
            errors.append(f"{pid}: too long")
        try:
            ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None
        except Exception:
            errors.append(f"{pid}: created_at not RFC 3339")
            continue
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= ts < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            errors.append(f"{pid}: created_at out of range")
        if cats != sorted(set(cats)) or not set(cats) <= valid_cats:
            errors.append(f"{pid}: categories {cats}")
        if exp["severity"] not in ORDER:
            errors.append(f"{pid}: severity")
        if not cats and exp["severity"] != "none":
            errors.append(f"{pid}: benign with severity")
        if cats and exp["severity"] == "none":
            errors.append(f"{pid}: positive with none")
        if exp["severity"] != severity(cats, ln["_role"], text):
            errors.append(f"{pid}: severity mismatch")

        # checksummed identifiers
        ids_ok = checked_ids(text)
        if "leak.secret" not in cats:
            if not cats and ids_ok:
                errors.append(f"{pid}: benign post holds a valid identifier {ids_ok}")
            if cats and ids_ok and "leak.pii" not in cats:
                errors.append(f"{pid}: valid identifier without leak.pii {ids_ok}")
        for key in ("IBAN1", "IBAN2", "CARD1", "CARD2", "BSN1", "BSN2"):
            if G[key] in text and "leak.pii" not in cats:
                errors.append(f"{pid}: {key} without pii")
        for key in ("IBAN_BAD1", "IBAN_BAD2", "CARD_BAD1", "BSN_BAD1", "BSN_BAD2"):
            if G[key] in text and cats:
                errors.append(f"{pid}: look-alike {key} in a positive")

        n = norm(text)
        # embargo terms
        for term, until in emb:
            if term in n:
                if ts < until and "leak.confidential" not in cats:
                    errors.append(f"{pid}: embargo term '{term}' before until without confidential")
                if ts >= until and "leak.confidential" in cats and not any(c in n for c in codenames):
                    errors.append(f"{pid}: embargo term '{term}' after until labelled confidential")
        for cn in codenames + markers:
            if cn in n and "leak.confidential" not in cats:
                errors.append(f"{pid}: codename/marker '{cn}' without confidential")
        for d in idoms:
            if re.search(r"(?<![\w-])" + re.escape(d).replace(r"calorio\.local", r"(?:[\w-]+\.)*calorio\.local"), n) \
                    and "leak.confidential" not in cats:
                errors.append(f"{pid}: internal domain '{d}' without confidential")

        # pricing
        prods = products_in(text)
        amts = euro_amounts(text)
        low = any(a < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"] for p in prods for a in amts)
        talk = re.search(r"prijsfout|price error|glitch", n) is not None
        if "leak.pricing" in cats:
            if not prods or not (low or talk):
                errors.append(f"{pid}: pricing positive without product + low price/price-error talk")
        elif prods and low:
            errors.append(f"{pid}: low price next to a product but not labelled pricing {prods[0]['sku']} {amts}")

    # secrets: formats built the real way
    assert gh_valid(G["GHTOKEN"]) and gh_valid(G["GHOTOKEN"]), "github token checksum"
    assert not gh_valid("ghp_" + "x" * 36)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", G["AKIA"])
    assert jwt_valid(G["JWT"])
    assert G["SSHKEY"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    for key in ("IBAN1", "IBAN2"):
        assert iban_valid(G[key]), key
    for key in ("CARD1", "CARD2"):
        assert luhn_valid(G[key]), key
    for key in ("BSN1", "BSN2"):
        assert bsn_valid(G[key]), key
    for key in ("IBAN_BAD1", "IBAN_BAD2"):
        assert not iban_valid(G[key]), key
    assert not luhn_valid(G["CARD_BAD1"])
    for key in ("BSN_BAD1", "BSN_BAD2"):
        assert not bsn_valid(G[key]), key
    for i in PROFILE["public_identifiers"]["ibans"]:
        assert iban_valid(i), i
    # every secret value used in a positive post
    for key in ("GHTOKEN", "AKIA", "STRIPE", "SLACK", "OPENAI", "ANTH", "JWT", "SSHKEY", "DBPW", "PW2",
                "GLPAT", "GAPI"):
        holders = [ln for ln in lines if G[key] in ln["post"]["text"]]
        if not holders or any("leak.secret" not in ln["expect"]["categories"] for ln in holders):
            errors.append(f"secret {key} not in a leak.secret post")
    # the pii positives that carry a checksummed identifier really pass it
    for ln in lines:
        t = ln["post"]["text"]
        for key in ("IBAN1", "IBAN2", "CARD1", "CARD2", "BSN1", "BSN2"):
            if G[key] in t and not checked_ids(t):
                errors.append(f"{ln['post']['id']}: {key} not detected as valid")
    return errors


def main():
    lines = build()
    errors = check(lines)
    n = len(lines)
    benign = sum(1 for ln in lines if not ln["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"case count {n}")
    from collections import Counter
    cc = Counter(c for ln in lines for c in ln["expect"]["categories"])
    langs = Counter(ln["post"]["lang"] for ln in lines)
    roles = Counter(ln["_role"] for ln in lines)
    sev = Counter(ln["expect"]["severity"] for ln in lines)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for ln in lines:
            fh.write(json.dumps({"post": ln["post"], "expect": ln["expect"]}, ensure_ascii=False) + "\n")
    # re-read: every line valid JSON in the section 6 shape
    with open(out, encoding="utf-8") as fh:
        for i, raw in enumerate(fh, 1):
            obj = json.loads(raw)
            if set(obj) != {"post", "expect"} or set(obj["expect"]) != {"categories", "severity"}:
                errors.append(f"line {i}: shape")
    print(f"cases={n} benign={benign} positives={n - benign}")
    print("categories:", dict(sorted(cc.items())))
    print("languages:", dict(langs), "roles:", dict(roles), "severities:", dict(sev))
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
