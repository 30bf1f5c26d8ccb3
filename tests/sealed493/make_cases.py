#!/usr/bin/env python3
"""Labelled evaluation set sealed493 for postwatch.

Company: Trapstad Hotels B.V. (fictional), a chain of car-free city hotels for cyclists.
Deterministic (fixed seed), standard library + PyYAML only. Writes cases.jsonl beside this
script and checks it:
  * every line is a valid CONTRACT §6 case (post fields, categories, severities);
  * severities are computed from CONTRACT §4 and the account role in profile.yaml;
  * every IBAN / payment card / BSN in a positive passes its checksum, every look-alike
    in a benign post fails it (the company's own published IBAN excepted);
  * every generated credential has its real format (GitHub CRC-32, AWS, JWT header ...).
"""
import base64
import json
import os
import random
import re
import string
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rnd = random.Random(493)

# --------------------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def rs(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def gh_token(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def aws_key_id():
    return "AKIA" + rs(B32, 16)


def aws_secret():
    return rs(string.ascii_letters + string.digits + "/+", 40)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rnd.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def openssh_key():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none" + bytes(rnd.getrandbits(8) for _ in range(360))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    lens = {"NL": 18, "BE": 16, "DE": 22}
    if s[:2] in lens and len(s) != lens[s[:2]]:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bank, acct_len=10):
    acct = rs(string.digits, acct_len)
    base = bank + acct + cc + "00"
    chk = 98 - int("".join(str(int(c, 36)) for c in base)) % 97
    return f"{cc}{chk:02d}{bank}{acct}"


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def luhn_ok(d):
    d = re.sub(r"\D", "", d)
    tot = 0
    for i, ch in enumerate(reversed(d)):
        v = int(ch)
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def make_card(prefix, length=16):
    while True:
        body = prefix + rs(string.digits, length - len(prefix) - 1)
        for last in string.digits:
            if luhn_ok(body + last):
                return body + last


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = rs(string.digits, 8)
        if d[0] == "0":
            continue
        tot = sum(int(d[i]) * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            cand = d + str(last)
            if bsn_ok(cand):
                return cand


def cyr(s):
    m = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у",
         "T": "Т", "K": "К", "A": "А", "E": "Е", "O": "О", "P": "Р", "C": "С", "H": "Н"}
    return "".join(m.get(ch, ch) for ch in s)


def fullwidth(s):
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ("\u3000" if ch == " " else ch) for ch in s)


ZW = "\u200b"

# --------------------------------------------------------------------------- values
GH1 = gh_token("ghp_")
GLPAT = "glpat-" + rs(ALNUM + "_-", 20)
AWS_ID, AWS_SEC = aws_key_id(), aws_secret()
STRIPE = "sk_live_" + rs(ALNUM, 24)
MOLLIE = "live_" + rs(ALNUM, 30)
SLACK = "xoxb-" + rs(string.digits, 12) + "-" + rs(string.digits, 13) + "-" + rs(ALNUM, 24)
OPENAI = "sk-proj-" + rs(ALNUM + "_-", 74) + "T3BlbkFJ" + rs(ALNUM + "_-", 74)
ANTHROPIC = "sk-ant-api03-" + rs(ALNUM + "_-", 93) + "AA"
SSH = openssh_key()
JWT1 = jwt({"sub": "lotte.v@trapstad", "role": "frontdesk", "hotel": "RTM",
            "iat": 1773300000, "exp": 1773386400})
GH_OPS = gh_token("ghs_")
DBURL = "postgres://booking_admin:Fiets!Veilig2026@10.20.3.15:5432/bookings"
WW = "Spaakje#7781"

IBAN_C1 = make_iban("NL", "INGB")
IBAN_C2 = make_iban("NL", "ABNA")
CARD1 = make_card("4", 16)
CARD2 = make_card("52", 16)
BSN1 = make_bsn()
BSN2 = make_bsn()
COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------- cases
CAT = {"SEC": "leak.secret", "PII": "leak.pii", "PRI": "leak.pricing", "CON": "leak.confidential",
       "FIN": "leak.financial", "SCU": "leak.security", "CRI": "reputation.crisis",
       "COM": "reputation.complaint", "ABU": "reputation.abuse"}
CASES = []


def P(acct, lang, cats, text, kind="post", at=None, secrets=(), ids=()):
    CASES.append(dict(acct=acct, lang=lang, cats=sorted(CAT[c] for c in cats), text=text,
                      kind=kind, at=at, secrets=list(secrets), ids=list(ids)))


# ---- complaints -------------------------------------------------------------------------
P("x:@fietsfanaat_eva", "nl", ["COM"],
  "@trapstad_care al 3 dagen wachten op antwoord over mijn dubbele afschrijving (boekingsnr TS-88412). "
  "Beetje jammer voor een hotel dat zo hip wil doen 🙄", kind="reply")
P("x:@jorisrijdt", "nl", ["COM"],
  "Trapstad Rotterdam: stalling vol, m'n racefiets moest in de gang en de 'beveiligde' fietsbox ging "
  "niet open met de code die ik kreeg. Balie: 'tja'. Nooit meer.")
P("reddit:u/pannier_pete", "en", ["COM"],
  "Stayed at Trapstad Amsterdam-Noord last weekend. Rental e-bike died after 11 km, battery clearly "
  "never charged, and the front desk just shrugged. Pushed it back in the rain. Not great for a "
  "hotel that literally markets itself to cyclists.", kind="comment")
P("instagram:@lisa.op.de.fiets", "nl", ["COM"],
  "mooie plaatjes hoor maar in het echt: haren in de douche, verwarming kapot en om kwart over 9 "
  "was het ontbijt al op. #trapstad #teleurgesteld #nietweer", kind="comment")
P("x:@gravelgrrl", "en", ["COM"],
  "@trapstad booked the Gravelbike Weekend, got a bike two sizes too big and a chain that skipped "
  "every pedal stroke. Asked for a swap -> 'none available'. 95 euros for that?? come on")
P("facebook:henk.wolters.73", "nl", ["COM"],
  "Drie keer omgeboekt zonder uitleg en uiteindelijk in een kamer boven de bar beland. Om 2 uur 's "
  "nachts nog dreunende bas. Trapstad Groningen, dit kan echt niet voor dat geld.")
P("bluesky:@commute-carla.bsky.social", "en", ["COM"],
  "two weeks since I cancelled inside the free window and @trapstad still hasn't refunded me. "
  "emails go unanswered, chat bot loops. calling my bank tomorrow tbh")
P("x:@tweewielertje", "en", ["COM"],
  "TrapPas points from my last 4 stays just... vanished. Chat says 'technical issue', which is what "
  "they've been saying since June. why am I even still a member lol")
P("tiktok:@renske.rijdt", "nl", ["COM"],
  "pov: je boekt een 'fietsvriendelijk' hotel en moet je bakfiets 3 trappen op sjouwen omdat de "
  "fietslift al een week stuk is 🙃 trapstad leiden echt?? #fail #bakfiets")
P("x:@lukas_on_wheels", "en", ["COM"],
  "@trapstad_care your check-in app keeps saying 'reservation not found' and there's nobody at the "
  "desk after 23:00. Stuck outside in Utrecht with my bike and two panniers. Great.", kind="reply")
P("x:@pietjepedaal", "nl", ["COM"],
  "huurfiets van Trapstad Utrecht gejat uit HUN eigen 'bewaakte' stalling en nu moet ik 600 euro "
  "borg betalen?! ik ben er helemaal klaar mee")

# complaint + abuse
P("x:@boze_bert", "nl", ["COM", "ABU"],
  "Trapstad wat een kutbedrijf zijn jullie. 2 uur in de regen gewacht op een vervangende fiets, "
  "niemand neemt op. Stelletje prutsers.")
P("x:@dankrides", "en", ["COM", "ABU"],
  "@trapstad_care your night manager in Rotterdam is a rude arrogant prick. Told me to 'sleep in the "
  "bike shed' when my room wasn't ready at midnight. Disgraceful.", kind="reply")

# ---- first-hand safety incidents: crisis + complaint ---------------------------------------
P("x:@annekeopreis", "nl", ["CRI", "COM"],
  "De accu van de e-bike die ik bij Trapstad Rotterdam huurde begon vannacht te roken op de kamer. "
  "Brandalarm, hele gang eruit, ik heb nog steeds hoofdpijn van die rook. Geen excuus, alleen een "
  "formuliertje.")
P("reddit:u/cleat_clicker", "en", ["CRI", "COM"],
  "PSA: the front brake cable on my Trapstad rental in Utrecht snapped on a descent. Went over the "
  "bars, 6 stitches in my chin. Their response: 'our bikes are inspected weekly'. Be careful out there.")
P("facebook:marieke.smit.1990", "nl", ["CRI", "COM"],
  "Na het ontbijtbuffet bij Trapstad Groningen zijn mijn man en ik allebei de hele nacht ziek geweest. "
  "Overgeven, koorts. Andere gasten ook hoorden we. Receptie noemt het 'toeval'. Echt niet oké.")
P("x:@sparky_tourer", "en", ["CRI", "COM"],
  "Got a proper shock off the e-bike charging point in the Trapstad Eindhoven bike cellar, arm "
  "tingled for an hour. Reported it, they put TAPE on it. Tape. @trapstad_care")
P("instagram:@fam.bosman", "nl", ["CRI", "COM"],
  "Ons zoontje (6) kwam met zijn vingers klem in de fietslift van Trapstad Leiden, nagel eraf. Er zat "
  "geen enkele afscherming op. Wij zijn woest en hebben het gemeld bij de gemeente.")
P("tiktok:@nomad.noor", "en", ["CRI", "COM"],
  "woke up in my Trapstad Solo Pod in Amsterdam with a ceiling panel on my legs. it just fell. "
  "bruised but ok. they offered me a free breakfast 💀 #hoteltok")

# ---- crisis (third party / accusations) ------------------------------------------------------
P("x:@nieuws_utrecht030", "nl", ["CRI"],
  "Brand in de fietsenkelder van Trapstad Utrecht, vermoedelijk door een oplader van een e-bike. "
  "Twee gasten met rookinhalatie naar het ziekenhuis, hotel ontruimd. #utrecht #brand")
P("x:@eerlijkwerk_nu", "nl", ["CRI"],
  "Schoonmakers bij Trapstad krijgen via een schimmig uitzendbureau €9 per uur. Groen imago, "
  "uitbuiting achter de schermen. Tijd voor #boycotTrapstad, deel dit!!")
P("x:@privacy_watch_eu", "en", ["CRI"],
  "Several Trapstad guests report phishing mails containing their exact booking numbers and stay "
  "dates. Looks a lot like a data breach they haven't disclosed. Anyone else get one?")
P("linkedin:mr-f-de-graaf-advocaat", "nl", ["CRI"],
  "Namens 14 gedupeerde gasten hebben wij vandaag een dagvaarding laten uitbrengen tegen Trapstad "
  "Hotels B.V. wegens het structureel in rekening brengen van niet-overeengekomen kosten.")
P("bluesky:@wheelsandnews.bsky.social", "en", ["CRI"],
  "Trapstad is recalling every rental e-bike fitted with the Voltra 500 battery pack after "
  "overheating reports, according to a notice at their hotels. Kustroute riders, check your bike.")
P("tiktok:@stadsnieuws010", "nl", ["CRI"],
  "Gast gevallen van het dakterras van Trapstad Rotterdam, hekwerk zou los hebben gezeten. Politie "
  "doet onderzoek 🚨")
P("x:@hostelinsider", "en", ["CRI"],
  "Ex-staff say Trapstad managers in Groningen were told to keep bedbug reports away from guests. "
  "If that's true it's a proper scandal.")
P("x:@hanna_deelt", "nl", ["CRI"],
  "Mijn paspoortscan die ik bij Trapstad moest uploaden staat blijkbaar op een of andere dump-site. "
  "Hebben jullie gelekt @trapstad_care?? Ik wil NU antwoord.")
P("reddit:u/legionella_lurker", "en", ["CRI"],
  "Apparently the GGD found legionella in the showers at Trapstad Eindhoven and the hotel just stayed "
  "open for another week. Local paper has the story.", kind="comment")

# ---- abuse ---------------------------------------------------------------------------------------
P("x:@randomhater77", "nl", ["ABU"],
  "@trapstad_care jullie zijn de grootste oplichters van NL, hoop dat die hele tent afbrandt "
  "klootzakken", kind="reply")
P("x:@trollingalong", "en", ["ABU"],
  "lmao @trapstad staff are the dumbest bunch of clowns I've ever met, zero brain cells between them")
P("instagram:@dikke_dennis", "nl", ["ABU"],
  "die receptioniste in Leiden is echt een domme trut, leer eerst eens normaal praten 🤡",
  kind="comment")
P("x:@lotte_balie", "nl", ["ABU"],
  "@pietjepedaal had je hem gewoon zelf op slot gezet, sukkel. Zeur niet zo en betaal je borg.",
  kind="reply")
P("x:@truepatriot_nl", "en", ["ABU"],
  "Trapstad only hires foreigners who can't even speak Dutch. Go back to where you came from, the "
  "whole lot of you.")
P("x:@wraak_ronald", "nl", ["ABU"],
  cyr("Trapstad") + " = stelletje " + cyr("kankerlijers") + ", allemaal")
P("x:@h8r_h8r", "en", ["ABU"],
  "tr4pst4d can go f*ck itself, sh1tty h0tel full of 1d10ts")
P("x:@sjaakzeikt", "nl", ["ABU"],
  "@trapstad_care jullie zijn echt k u t m o n g o o l e n", kind="reply")
P("x:@trapstad_care", "nl", ["ABU"],
  "@boze_bert als je zo blijft schelden mag je je boeking ook gewoon in je reet steken.", kind="reply")
P("facebook:gary.mcbride.uk", "en", ["ABU"],
  "The manager at Trapstad Amsterdam is a fat useless pig. Fire her already.", kind="comment")

# ---- pricing ---------------------------------------------------------------------------------------
P("instagram:@trapstad.hotels", "nl", ["PRI"],
  "🚲 Weekendje weg? De Derailleur Suite nu voor €28,90 per nacht! Alleen dit weekend, boeken via de "
  "link in bio ✨")
P("x:@trapstad", "en", ["PRI"],
  "Flash deal 🔥 TrapPas Plus for just €29 instead of €299 — today only!")
P("x:@bramvdlinden", "nl", ["PRI"],
  "Oeps, de boekingsmodule toont de Dakterras Loft voor €34,90 i.p.v. €349. Prijsfout, we zijn "
  "ermee bezig, niet rondsturen aub 🙈")
P("x:@dealjager_nl", "nl", ["PRI"],
  "SNEL!! Stad-tot-Stad tourpakket bij Trapstad voor €54,90 ipv €549 😱 prijsfout?? heb er al 2 geboekt")
P("reddit:u/frugal_flyer", "en", ["PRI"],
  "Trapstad's site is listing the Tandem Family Room in Rotterdam at €18.90/night right now. Obvious "
  "mistake, booked anyway, let's see if they honour it.")
P("threads:@anouk.marketing", "en", ["PRI"],
  "Sneak peek of our spring campaign 🌷 Kustroute Arrangement from €99 — can't wait for you all to see it!")
P("facebook:kortingscodes.nl", "nl", ["PRI"],
  "Prijsfout bij Trapstad! E-Bike Dagpas voor €3,50 (normaal €35). Op = op!")
P("x:@stijnfietst", "en", ["PRI"],
  "haha the Trapstad app has a Werkplaats Servicebeurt at €5.90 today, pretty sure someone slipped a "
  "decimal point")
P("tiktok:@trapstadhotels", "en", ["PRI"],
  "Solo Pod nights for €7.90 this week only!! 🛏️🚲 link in bio")
P("x:@marloes_fietst", "nl", ["PRI"],
  "Vergaderzaal Dagdeel staat in het systeem voor 18 euro ipv 180, dus als je nog een teamdag zoekt "
  "😉 (niet verder vertellen)")
P("mastodon:@kees_koopjes", "nl", ["PRI"],
  "Cadeaubon 100 van Trapstad wordt nu verkocht voor een tientje. Lijkt me een prijsfout, maar goed.")
P("x:@pointshacker", "en", ["PRI"],
  "Trapstad price error: Gravelbike Weekend showing €9.50 on the German site. go go go")

# ---- confidential ------------------------------------------------------------------------------
P("linkedin:daan-kuipers-trapstad", "nl", ["CON"],
  "Trots op dit team! Project Spaak wordt echt iets moois: onze eerste locatie buiten de Benelux. "
  "Meer kan ik nog niet zeggen 😉")
P("x:@bramvdlinden", "nl", ["CON"],
  "wie heeft het deck van Operatie Kettingblad op de printer bij de balie laten liggen 😅 er staat "
  "letterlijk 'alleen intern' op elke pagina")
P("bluesky:@sem-infra.bsky.social", "en", ["CON"],
  "anyone else's connection to vpn.trapstad.nl dropping every 20 min? asking for... me, during standup")
P("threads:@anouk.marketing", "nl", ["CON"],
  "Zo blij met de huisstijl voor Trapstad Kopenhagen, de drukproeven liggen hier op mijn bureau 🇩🇰✨")
P("reddit:u/hotelgossip_ams", "en", ["CON"],
  "Friend who works at Trapstad says there's something called 'Lantaarnvis', some night-train + hotel "
  "combo they're about to launch. Anyone heard of it?")
P("linkedin:trapstad-hotels", "nl", ["CON"],
  "[TRAPSTAD CONFIDENTIAL - concept, niet extern delen] Trapstad opent in het voorjaar van 2027 een "
  "hotel met 140 kamers aan de Leie in Gent.")
P("x:@marloes_fietst", "en", ["CON"],
  "can someone DM me the new link to wiki.trapstad.internal/receptie/nachtprocedure? old bookmark is dead")
P("reddit:u/nachtportier_jelle", "nl", ["CON"],
  "volgens de roddels in de personeelskantine heet het nieuwe hotelconcept 0p3r4t13 K3tt1ngbl4d lol",
  kind="comment")
P("x:@leaky_lars", "nl", ["CON", "FIN"],
  fullwidth("Project Spaak") + " = Trapstad neemt een bestaand hotel in Gent over. Gehoord van een aannemer die er werkt.")
P("instagram:@koen.sleutelt", "nl", ["CON"],
  "Eerste testrit op de nieuwe huurfiets voor Lantaar" + ZW + "nvis 🚲🌙 kan niet wachten tot jullie hem zien")
P("linkedin:ingrid-hofstede", "en", ["CON"],
  "Internal only: we're piloting a 4-day week for reception staff in Utrecht from March. Please don't "
  "share outside the company yet!")
P("x:@bramvdlinden", "en", ["CON", "FIN"],
  "FY2026 results deck is done and we beat budget by a mile 😎 can't say more till Feb",
  at="2027-01-21T16:42:00Z")
P("linkedin:yusuf-demir-trapstad", "nl", ["CON"],
  "Laatste loodjes voor de jaarcijfers 2026, nog even doorbijten team finance 💪☕",
  at="2027-02-10T19:05:00Z")
P("x:@travel_scoop", "en", ["CON"],
  "Scoop: Trapstad Copenhagen will open right next to Nørreport, ~200 rooms, according to planning docs "
  "I've seen.")
P("x:@lotte_balie", "nl", ["CON"],
  "screenshot van pms.trapstad.local/planning want het rooster is wéér kapot 🙄 wie kan helpen")
P("x:@trapstad_care", "en", ["CON"],
  "@lukas_on_wheels Hi Lukas, so sorry! Our team is restarting https://checkin-api.intranet.trapstad.local/v2 "
  "right now, please try again in 5 min.", kind="reply")
P("threads:@anouk.marketing", "nl", ["CON"],
  "Brochure voor de nieuwe Nachtfiets Suite ligt bij de drukker, lancering pas in mei dus ssst 🤫")
P("linkedin:daan-kuipers-trapstad", "en", ["CON"],
  "Great session with the Operatie Kettingblad steering group today. Proud of where this is heading.")
P("bluesky:@sem-infra.bsky.social", "en", ["CON", "SCU"],
  "jira.trapstad.nl/browse/SEC-212 the keycard bypass ticket is STILL open, who owns this??")

# ---- financial -------------------------------------------------------------------------------------
P("linkedin:yusuf-demir-trapstad", "nl", ["FIN"],
  "Q3-omzet uitgekomen op €41,2 mln, 18% boven plan. Nog niet gepubliceerd dus even onder ons, maar "
  "wat een kwartaal!")
P("x:@bramvdlinden", "nl", ["FIN"],
  "bezetting gaat dit jaar richting 91% en de EBITDA-prognose voor 2027 is zo goed als verdubbeld. "
  "aandeelhouders gaan blij zijn 📈")
P("linkedin:ingrid-hofstede", "nl", ["FIN"],
  "Zware weken. In het voorjaar nemen we afscheid van ongeveer 60 collega's op het hoofdkantoor. De "
  "officiële aankondiging volgt nog, ik wil vast iedereen bedanken.")
P("x:@kantoorroddel", "nl", ["FIN"],
  "Buurvrouw werkt bij Trapstad: ze gaan het hotel in Eindhoven sluiten en 35 man eruit gooien. Wordt "
  "pas in januari bekendgemaakt.")
P("reddit:u/nachtportier_jelle", "en", ["FIN"],
  "not supposed to say but we're being bought by a big Scandinavian hotel group, deal gets signed in "
  "two weeks. management is weirdly cheerful.", kind="comment")
P("x:@dealwatcher_eu", "en", ["FIN"],
  "Hearing Trapstad is in advanced talks to acquire rival chain Fietsnest for roughly €80m. "
  "Announcement expected after the summer.")
P("mastodon:@ruben_devops", "en", ["FIN"],
  "Just heard in the MT meeting that the whole IT department gets outsourced on 1 April. Not official "
  "yet, so... yeah. Polishing my CV.")
P("linkedin:trapstad-hotels", "en", ["FIN"],
  "DRAFT - Trapstad Hotels reports H2 revenue of €87.4m (+23%) and raises its 2027 outlook to "
  "€190-200m. [publish 14:00 CET]")
P("linkedin:daan-kuipers-trapstad", "nl", ["FIN"],
  "Blij dat de financiering rond is: €45 mln van een nieuwe investeerder voor de uitbreiding. "
  "Persbericht volgt pas na de zomer!")
P("x:@marloes_fietst", "en", ["FIN"],
  "HR just told the Utrecht team we're merging reception with Leiden and 12 roles go. Official next "
  "month. Gutted for my colleagues.")

# ---- security ------------------------------------------------------------------------------------
P("bluesky:@sem-infra.bsky.social", "en", ["SCU"],
  "Spent the night cleaning up after someone got into our booking DB through an old admin panel. "
  "Guest data may be involved, we haven't told anyone yet 😬")
P("x:@lotte_balie", "nl", ["SCU"],
  "Alle keycards in Rotterdam doen het niet, hele systeem ligt eruit sinds 6u. We laten gasten met "
  "de hand binnen, officieel heet het 'onderhoud' 🙃")
P("mastodon:@ruben_devops", "en", ["SCU"],
  "Fun fact: guest wifi at most of our hotels still runs the same PSK everywhere and the router admin "
  "panels have default creds. Reported it twice, nothing.")
P("reddit:u/nachtportier_jelle", "nl", ["SCU"],
  "Bij ons kun je met de app elke kamerdeur openen als je het kamernummer in de URL aanpast. Al weken "
  "gemeld, niks mee gedaan.", kind="comment")
P("instagram:@koen.sleutelt", "nl", ["SCU"],
  "Smart locks van de fietsenstalling in Groningen staan al 3 dagen open, iemand heeft de controller "
  "gehackt. Management wil het stilhouden.", kind="comment")
P("x:@bramvdlinden", "en", ["SCU"],
  "ransomware on the revenue team's laptops, everything encrypted, we're literally working on paper. "
  "nothing's been said externally yet")
P("bluesky:@sem-infra.bsky.social", "en", ["SCU"],
  "Heads up team: the payment page of our booking engine is loading a script from a domain we don't "
  "own. Investigating, NOT public yet.")
P("reddit:u/throwaway_ts_it", "en", ["SCU"],
  "Throwaway because I work there: Trapstad's nightly booking DB backups are reachable from the "
  "internet without a password. Flagged it months ago, still open.")
P("mastodon:@ruben_devops", "nl", ["SCU"],
  "DDoS op boeken.trapstad.nl sinds vanmiddag, site ligt er om de paar minuten uit. Statuspagina zegt "
  "nog 'alle systemen operationeel' 🤡")
P("x:@marloes_fietst", "en", ["SCU"],
  "the PMS has been down since noon across all hotels, we're checking people in on post-its. don't "
  "tell anyone I said that 🙈")
P("threads:@anouk.marketing", "nl", ["SCU"],
  "Ons nieuwsbriefaccount is gisteren gehackt en er is een phishingmail naar 20k inschrijvers gegaan. "
  "Officiële melding komt 'later'...")
P("bluesky:@sem-infra.bsky.social", "en", ["SCU", "SEC"],
  f"lol the creds from last week's incident still work: {AWS_ID} / {AWS_SEC} . rotating is 'next sprint'",
  secrets=[AWS_ID, AWS_SEC])

# ---- secrets -------------------------------------------------------------------------------------
P("mastodon:@ruben_devops", "en", ["SEC"],
  f"why does this 404?? curl -H 'Authorization: token {GH1}' https://api.github.com/repos/trapstad/booking-engine",
  secrets=[GH1])
P("facebook:TrapstadHotels", "nl", ["SEC"],
  f"Mollie koppeling test voor de cadeaubonnenshop: MOLLIE_API_KEY={MOLLIE}", secrets=[MOLLIE])
P("mastodon:@ruben_devops", "en", ["SEC"],
  f"stripe webhook failing AGAIN. key is {STRIPE} if anyone fancies debugging with me haha",
  secrets=[STRIPE])
P("bluesky:@sem-infra.bsky.social", "en", ["SEC"],
  f"new alerts bot for #ops is live 🎉 config if you want to copy it: SLACK_BOT_TOKEN={SLACK} channel=C04OPSALRT",
  secrets=[SLACK])
P("threads:@anouk.marketing", "en", ["SEC"],
  f"playing with a route-planner chatbot for our guests 🤖🚲 my setup: OPENAI_API_KEY={OPENAI}",
  secrets=[OPENAI])
P("reddit:u/bitflip_bas", "en", ["SEC"],
  "Found this in a public repo of Trapstad's booking app (commit from yesterday). Someone should tell "
  f"them:\n\n{SSH}", secrets=[SSH])
P("x:@lotte_balie", "nl", ["SEC"],
  f"de app logt me steeds uit, support vroeg om mijn token dus hier: {JWT1}", secrets=[JWT1])
P("mastodon:@ruben_devops", "en", ["SEC"],
  f"if the migration fails again just connect directly: {DBURL}", secrets=[DBURL])
P("instagram:@koen.sleutelt", "nl", ["SEC"],
  f"Voor de collega's van de werkplaats: nieuwe login voorraadsysteem 📝 gebruiker werkplaats_utr, wachtwoord: {WW}",
  secrets=[WW])
P("mastodon:@ruben_devops", "nl", ["SEC"],
  f"CI draait weer. token voor de runner stond in de pipeline: {GLPAT} (ja ja ik weet het)",
  secrets=[GLPAT])
P("x:@sec_researcher_j", "en", ["SEC"],
  f"Hey @trapstad, your guest chatbot widget exposes its API key in the page source: {ANTHROPIC} "
  "please rotate it.", secrets=[ANTHROPIC])

# ---- personal data --------------------------------------------------------------------------------
P("x:@trapstad_care", "nl", ["PII"],
  f"@hanna_deelt Hoi Hanna, de terugbetaling van €212 is vandaag overgemaakt naar {spaced(IBAN_C1)}. "
  "Fijne dag!", kind="reply", ids=[("iban", IBAN_C1)])
P("reddit:u/nachtportier_jelle", "nl", ["PII"],
  "gast op 214, Gerrit Veldkamp, geboren 03-11-1961, weigert al twee nachten te betalen. iemand tips?")
P("facebook:TrapstadHotels", "nl", ["PII"],
  "Beste meneer Yilmaz, we hebben uw fietstas gevonden en vandaag opgestuurd naar Kastanjelaan 14, "
  "3581 KG Utrecht. Groet, team Trapstad", kind="reply")
P("x:@lotte_balie", "nl", ["PII"],
  f"Wie kent deze gast? Creditcard laten liggen aan de balie: {spaced(CARD1)}, naam op de kaart R. Janssen",
  ids=[("card", CARD1)])
P("x:@jdekker84", "nl", ["PII"],
  "@trapstad_care mijn boeking staat op j.dekker84@gmail.com en mijn nummer is 06-41837265, bel me "
  "aub even terug over kamer 3", kind="reply")
P("linkedin:ingrid-hofstede", "nl", ["PII"],
  f"Welkom Samira Bouali in ons team! (BSN voor de salarisadministratie: {BSN1[:4]}.{BSN1[4:6]}.{BSN1[6:]} "
  "- oeps, verkeerd venster 🙈)", ids=[("bsn", BSN1)])
P("reddit:u/worried_sis", "en", ["PII"],
  "My sister's details were on a printout Trapstad left in the lobby: Emily Carter, DOB 14/07/1993, "
  "passport NXR4K8P21. Lovely.")
P("instagram:@trapstad.hotels", "nl", ["PII"],
  "Winnaar van onze winactie: Joost Hendriks uit Zwolle! 🎉 Joost, we mailen je op "
  "joost.hendriks@ziggo.nl over je gratis weekend.")
P("x:@marloes_fietst", "en", ["PII"],
  "If anyone's on the desk when Kim de Wit returns her rental bike today (tel. +31 6 2374 8812), ping "
  "me, she's not picking up")
P("x:@fixie_fran", "en", ["PII"],
  f"@trapstad_care payment failed 3 times with card {CARD2} exp 08/28, what am I doing wrong??",
  kind="reply", ids=[("card", CARD2)])
P("linkedin:trapstad-hotels", "nl", ["PII"],
  "Gefeliciteerd met 25 jaar trouwe dienst, Hennie Brouwer (geboren 2 mei 1970), onze langstzittende "
  "huismeester! 🎂")
P("facebook:willem.brandsma", "nl", ["PII", "COM"],
  f"Trapstad heeft €89 te veel afgeschreven en reageert nergens op. Dit is mijn rekening: {IBAN_C2} "
  "graag vandaag terugstorten.", ids=[("iban", IBAN_C2)])
P("bluesky:@sem-infra.bsky.social", "en", ["PII"],
  "debugging the export script, sample row: 'Laura Meijer, laura.meijer@outlook.com, +31612839047, "
  "Vondellaan 8 Leiden' why is the phone column empty in the csv")
P("x:@anoniemwraak", "nl", ["PII", "ABU"],
  "De manager van Trapstad Groningen heet Frank Mulder en woont op de Oosterweg 112 in Haren. Ga "
  "die etterbak maar eens opzoeken.")
P("x:@nieuwe_gast", "nl", ["PII"],
  f"Moest bij het inchecken bij Trapstad m'n BSN opgeven?? {BSN2} staat nu op een formulier aan de "
  "balie. Is dat normaal?", ids=[("bsn", BSN2)])

# ---- benign / hard negatives ---------------------------------------------------------------------
P("x:@trapstad", "nl", [],
  "Vragen over je boeking? Mail reserveringen@trapstad.nl of bel 030 760 4400 (ma-zo 7-23u) 🚲")
P("facebook:TrapstadHotels", "nl", [],
  f"Factuur voor je vergaderzaal ontvangen? Betalen kan op {spaced(COMPANY_IBAN)} t.n.v. Trapstad "
  "Hotels B.V. o.v.v. je factuurnummer.")
P("x:@wielrenwouter", "nl", [],
  "Beste fietshotel ooit. Trapstad Utrecht, de jongens van de werkplaats hebben mijn derailleur "
  "afgesteld terwijl ik zat te ontbijten. 10/10 🚲❤️")
P("threads:@cityhopper_jen", "en", [],
  "The Derailleur Suite at Trapstad Rotterdam is worth every cent. Bike hangs on the wall like art, "
  "rain shower is massive. Already rebooked for May.")
P("instagram:@trapstad.hotels", "nl", [],
  "Black Friday 🖤 Derailleur Suite nu €229 i.p.v. €289, alleen t/m zondag.")
P("x:@trapstad", "en", [],
  "Spring deal 🌷 15% off the Kustroute Arrangement: €339 instead of €399. Book before 31 March.")
P("x:@stadsfietser_ruud", "nl", [],
  "Fietshuur Dagpas bij Trapstad: €18. Eerlijke prijs voor een goed onderhouden stadsfiets met "
  "fatsoenlijke verlichting.")
P("x:@bakfietsmama", "nl", [],
  "Weet iemand of je bij Trapstad je eigen bakfiets mee naar de kamer mag nemen? Of moet die in de stalling?")
P("x:@kuitenkoen", "nl", [],
  "Spaak gebroken onderweg naar Leiden, de monteur van Trapstad had er binnen 10 min een nieuwe in. Held.")
P("instagram:@bikepacking_bo", "nl", [],
  "kettingblad versleten na 8000 km 😩 gelukkig kon de werkplaats van Trapstad Eindhoven er meteen een "
  "nieuwe op zetten. top service", kind="comment")
P("bluesky:@sem-infra.bsky.social", "en", [],
  "Reminder for the new devs: the README uses AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
  "as placeholders. If you ever see a real key in a PR, shout.")
P("mastodon:@ruben_devops", "en", [],
  "Rotated everything after the audit. The old token ghp_************************************ is dead, "
  "so no need to DM me about it 😄")
P("mastodon:@ruben_devops", "nl", [],
  "Tip voor de stagiairs: zet STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx in je .env met je "
  "eigen test-setup, nooit echte keys in git.")
P("x:@tikfoutje", "nl", [],
  "Tikfout in m'n eigen rekeningnummer bij het boeken (NL13RABO0987654321, klopt dus niet) en "
  "Trapstad belde me netjes om het te checken. Service!")
P("bluesky:@sem-infra.bsky.social", "en", [],
  "Test card for the demo booking flow: 4111 1111 1111 1112 (intentionally invalid) - the form "
  "rejects it as it should ✅")
P("x:@reizende_roos", "nl", [],
  "Mijn boekingsnummer is 123456780, kan iemand van Trapstad me helpen om er een fietshuur bij te zetten?")
P("linkedin:trapstad-hotels", "nl", [],
  "Vandaag gepubliceerd: onze jaarcijfers 2026. Omzet €176 mln, 2,1 miljoen overnachtingen en nul "
  "parkeerplaatsen. Het volledige verslag staat op trapstad.nl/investors",
  at="2027-02-25T07:05:00Z")
P("x:@trapstad", "nl", [],
  "Hej København! 🇩🇰 Trapstad Kopenhagen is vanaf vandaag open. 200 kamers, 400 fietsen, 0 auto's.",
  at="2027-03-15T09:00:00Z")
P("x:@nordic_pedals", "en", [],
  "Stayed at the new Trapstad Copenhagen, the bike elevator alone is worth the trip.",
  at="2027-05-08T18:22:00Z")
P("x:@hotelnieuws_nl", "nl", [],
  "Hotelketen Nachtrust ontslaat 200 mensen en sluit vier vestigingen. Benieuwd of fietshotels als "
  "Trapstad hier juist van profiteren.")
P("x:@hospitality_hank", "en", [],
  "Big week in hospitality: a Spanish group just bought 12 budget hotels in Belgium. Meanwhile I'm at "
  "Trapstad Leiden eating stroopwafels, unbothered.")
P("x:@buurtapp010", "nl", [],
  "Sterkte aan iedereen in de straat na de brand bij de bakker naast Trapstad Rotterdam. Het "
  "hotelpersoneel heeft de buren super opgevangen met koffie en dekens ❤️")
P("x:@fietsfanaat_eva", "nl", [],
  "Update: Trapstad heeft mijn dubbele afschrijving binnen een dag teruggestort én een gratis "
  "ontbijt aangeboden. Netjes opgelost 👍", kind="reply")
P("tiktok:@kuitjes_kim", "nl", [],
  "mijn kuiten na de Stad-tot-Stad tour: 🔥🔥🔥 mijn buik na het Trapstad ontbijtbuffet: 😅 worth it")
P("x:@flatlander_fred", "en", [],
  "The hills near Trapstad Eindhoven are killing me... wait, there are no hills. It's just the "
  "headwind. 10/10 would suffer again.")
P("linkedin:yusuf-demir-trapstad", "en", [],
  "Useful security awareness training today. Password manager installed, two-factor switched on "
  "everywhere. Have you?")
P("x:@trapstad_care", "nl", [],
  "De storing in onze check-in-app van vanochtend is opgelost. Sorry voor het ongemak, digitaal "
  "inchecken werkt weer gewoon.")
P("linkedin:trapstad-hotels", "nl", [],
  "We zoeken een fietsmonteur voor Trapstad Groningen! 🔧 Solliciteer via werkenbij@trapstad.nl")
P("x:@trapstad", "en", [],
  "Press enquiries: pers@trapstad.nl or +31 30 760 4400. For bookings: hello@trapstad.com")
P("x:@marloes_fietst", "nl", [],
  "Vandaag 40 Duitse wielrenners ingecheckt in Utrecht en alles liep als een zonnetje. Trots op ons "
  "baliteam ❤️")
P("linkedin:daan-kuipers-trapstad", "nl", [],
  "Mooi interview in het FD over hoe wij hotels bouwen zonder één parkeerplaats. Link in de comments.")
P("reddit:u/vegan_velo", "en", [],
  "Does Trapstad have a proper vegan option at the Cyclist Breakfast? Asking before I book the Coastal "
  "Ride Package.")
P("x:@rekenmeester_r", "en", [],
  "TrapPas membership is €149/yr. Does it pay for itself if you stay 4 times a year? doing the maths...")
P("x:@gravelguus", "nl", [],
  "Met code LENTE20 krijg je 20% op het Gravelbike Weekend, dus €76 ipv €95. Net geboekt!")
P("x:@twijfelaar_tim", "nl", [],
  "Waarom vraagt de Trapstad-app om mijn kaartnummer als ik al met iDEAL betaal? (nee ik ga hier niet "
  "4929 1234 5678 9010 posten haha, dat is een nepnummer)")
P("x:@trapstad_care", "nl", [],
  "@kim_w Hoi Kim, we zien je betaling van rekening NL** **** **** **34 44 binnenkomen, je boeking "
  "is bevestigd! 🚲", kind="reply")
P("x:@privacy_paul", "en", [],
  "Another booking platform (not naming names, and no, not Trapstad) leaked 2M records this week. "
  "Use unique passwords, people.")
P("x:@ontbijtliefhebber", "nl", [],
  "Wat een bizar goed ontbijt, ik ben er kapot van 😂 #trapstad")
P("instagram:@maasboulevard_mo", "en", [],
  "the Rooftop Loft at Trapstad Rotterdam is sick af, sunset over the Maas 🌅", kind="comment")
P("x:@trapstad", "nl", [],
  "Nieuw: Trapstad Groningen-Zuid opent 1 juni. Boeken kan vanaf vandaag op trapstad.nl 🎉")
P("threads:@croissant_claire", "en", [],
  "my confidential review of Trapstad Leiden: best croissants in town. don't tell anyone 🤫")
P("x:@oude_gazelle", "nl", [],
  "Mijn project deze winter: alle spaken van m'n oude Gazelle vervangen. De tips van de werkplaats "
  "van Trapstad waren goud.")
P("facebook:ingeborg.vos", "nl", [],
  "Was eerst boos over de kapotte lift in Leiden, maar ze hebben ons de Tandem Familiekamer op de "
  "begane grond gegeven zonder meerprijs. Chapeau!", kind="comment")
P("x:@ebike_nieuws", "en", [],
  "Big e-bike brand announces a battery recall today. Trapstad says none of its rental fleet uses that "
  "brand, good to know.")
P("x:@juristje_j", "en", [],
  "Interesting lawsuit against a car-park operator in court today. Glad I sold my car and only sleep at "
  "Trapstad now 😎")
P("x:@autovrij_arie", "nl", [],
  "Ik boycot al jaren hotels met een parkeergarage. Trapstad is dus zo'n beetje mijn enige optie haha")
P("linkedin:ingrid-hofstede", "en", [],
  "We're hiring 30 seasonal colleagues for summer 2026 across our hotels! Apply via werkenbij@trapstad.nl")
P("x:@bramvdlinden", "en", [],
  "Revenue tip from a conference talk I liked: don't race to the bottom. Our Derailleur Suite at €289 "
  "still sells out most weekends.")
P("x:@wifi_wendy", "en", [],
  "Trapstad wifi is fast and you don't even need a password, just your room number. Love it.")
P("x:@dealhunter_dirk", "en", [],
  "Classic price error on a bike shop site today, €99 road bikes, sadly cancelled. Anyway, back to "
  "planning my Trapstad trip.")
P("mastodon:@ruben_devops", "en", [],
  "For the JWT workshop I'll use the jwt.io example token "
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
  "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c - decode it and see what's inside.")
P("x:@fietskwijt_femke", "nl", [],
  "Fiets kwijt in Utrecht? Bel de Trapstad fietslijn 0800-8727, ook 's nachts bereikbaar. Top!")
P("x:@early_rider_ed", "en", [],
  "Shock of the day: a hotel where breakfast starts at 6 for the early riders. Trapstad gets it.")
P("linkedin:daan-kuipers-trapstad", "nl", [],
  "Kopenhagen draait! Trapstad Kopenhagen zat het eerste weekend helemaal vol. Dank aan iedereen die "
  "eraan heeft gewerkt 🇩🇰", at="2027-03-22T10:15:00Z")
P("x:@tegenwind_tessa", "nl", [],
  "Ik was ziek van de tegenwind op de Kustroute, maar het Kuitenkneder-arrangement maakte alles goed 💆")
P("reddit:u/amsterdam_noord_ali", "en", [],
  "Honest review: Trapstad Amsterdam-Noord is small but spotless, staff knew every bike route by heart. "
  "Peloton Dorm was €39, great value for a solo trip.", kind="comment")
P("instagram:@koen.sleutelt", "nl", [],
  "Zaterdag weer bandenplakcursus in de werkplaats 🔧 €15 incl. koffie, iedereen welkom!")
P("x:@herman_hoofdpijn", "nl", [],
  "Moest de nacht in het hotel even ontruimen voor een brandoefening. Duurde 4 minuten, alles netjes "
  "geregeld door Trapstad Leiden. Zo hoort het.")
P("threads:@anouk.marketing", "nl", [],
  "Onze zomercampagne staat live! 🌞 Standaard Tweepersoons vanaf €109 en gratis Fietshuur Dagpas erbij.")
P("x:@security_sara", "en", [],
  "Nice to see a hotel chain with a public bug bounty page. Trapstad's responsible disclosure policy is "
  "actually clear and readable.")


# --------------------------------------------------------------------------- build + checks
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]
ALL_CATS = set(CAT.values())

ROLE = {}
for r in ("corporate", "employee"):
    for a in PROFILE["accounts"][r]:
        ROLE[a.lower()] = r


def role_of(acct):
    return ROLE.get(acct.lower(), "public")


IBAN_RE = re.compile(r"\b(?:NL\d{2} ?[A-Z]{4}(?: ?\d){10}|BE\d{2}(?: ?\d){12}|DE\d{2}(?: ?\d){18})\b")
CARD_RE = re.compile(r"(?<![\dA-Za-z])(?:\d[ -]?){12,18}\d(?!\d)")
BSN_RE = re.compile(r"(?<![\d.])(?:\d{4}\.\d{2}\.\d{3}|\d{9})(?![\d])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text, secrets):
    """Every IBAN / card / BSN candidate in text (secrets masked) -> list of (kind, value, valid)."""
    t = text
    for s in secrets:
        t = t.replace(s, " ")
    out = []
    for m in IBAN_RE.finditer(t):
        v = m.group(0).replace(" ", "")
        out.append(("iban", v, iban_check(v)))
    t = IBAN_RE.sub(" ", t)
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v)))
    t = CARD_RE.sub(" ", t)
    for m in BSN_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", v, bsn_ok(v)))
    return out


def severity(role, cats, strong_pii):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii):
                    s = 4
            else:
                s = 2
        elif c == "reputation.complaint":
            s = 2
        elif c == "reputation.crisis":
            s = 3
        elif c == "reputation.abuse":
            s = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(c)
        lv = max(lv, s)
    return SEV[lv]


def rfc3339_ok(s):
    try:
        datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
        return True
    except ValueError:
        return False


def rand_2026():
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return (start + timedelta(seconds=rnd.randrange(365 * 86400))).strftime("%Y-%m-%dT%H:%M:%SZ")


errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


lines = []
seen_ids = set()
for i, c in enumerate(CASES, 1):
    plat, handle = c["acct"].split(":", 1)
    role = role_of(c["acct"])
    cid = f"{plat}-493{i:04d}"
    at = c["at"] or rand_2026()
    ids_found = identifiers(c["text"], c["secrets"])
    benign = not c["cats"]
    if benign:
        for kind, v, ok in ids_found:
            if kind == "iban" and v in PUBLIC_IBANS:
                continue
            check(not ok, f"{cid}: benign post holds a valid {kind} {v}")
        for s in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", c["text"]):
            check(not gh_valid(s), f"{cid}: benign post holds a valid GitHub token")
        for s in re.findall(r"AKIA[A-Z2-7]{16}", c["text"]):
            check(s.endswith("EXAMPLE"), f"{cid}: benign AWS key not a sample")
        check(not re.search(r"sk_live_[0-9A-Za-wyz]{10}", c["text"]), f"{cid}: benign stripe key")
    else:
        for kind, v, ok in ids_found:
            check(ok, f"{cid}: positive post holds a {kind} look-alike {v} that fails its checksum")
    for kind, v in c["ids"]:
        check(any(k == kind and val == v and ok for k, val, ok in ids_found),
              f"{cid}: inserted {kind} {v} not found valid")
    for s in c["secrets"]:
        check(s in c["text"], f"{cid}: secret missing from text")
        if re.match(r"gh[pousr]_", s):
            check(gh_valid(s), f"{cid}: GitHub token checksum wrong")
        if s.startswith("AKIA"):
            check(re.fullmatch(r"AKIA[A-Z2-7]{16}", s) is not None, f"{cid}: bad AWS id")
        if s.startswith("eyJ"):
            head = json.loads(base64.urlsafe_b64decode(s.split(".")[0] + "=="))
            check("alg" in head and s.count(".") == 2, f"{cid}: bad JWT")
    strong = any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in ids_found)
    if "leak.pii" in c["cats"] and c["ids"]:
        check(strong, f"{cid}: pii ids not strong")
    sev = severity(role, c["cats"], strong)
    if benign:
        check(sev == "none", f"{cid}: benign severity")
    if role == "public":
        check(c["acct"].lower() not in ROLE, f"{cid}: public handle in profile")
    post = {"id": cid, "platform": plat, "kind": c["kind"], "account": {"handle": handle},
            "text": c["text"], "lang": c["lang"], "created_at": at}
    case = {"post": post, "expect": {"categories": c["cats"], "severity": sev}}
    # contract §6 shape
    check(1 <= len(cid) <= 256 and cid not in seen_ids, f"{cid}: id")
    seen_ids.add(cid)
    check(plat in PLATFORMS, f"{cid}: platform")
    check(c["kind"] in KINDS, f"{cid}: kind")
    check(isinstance(handle, str) and handle, f"{cid}: handle")
    check(len(c["text"].encode("utf-8")) <= 65536 and c["text"], f"{cid}: text")
    check(rfc3339_ok(at), f"{cid}: created_at")
    check(set(c["cats"]) <= ALL_CATS and len(set(c["cats"])) == len(c["cats"]), f"{cid}: categories")
    check(sev in SEV, f"{cid}: severity")
    lines.append(json.dumps(case, ensure_ascii=False))

# embargo sanity: terms before `until` only in positives flagged confidential, after only benign
for c, line in zip(CASES, lines):
    obj = json.loads(line)
    at = datetime.strptime(obj["post"]["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    for e in PROFILE["embargo"]:
        until = datetime.strptime(e["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        for term in e["terms"]:
            if term.lower() in c["text"].lower():
                if at < until:
                    check("leak.confidential" in c["cats"], f"{obj['post']['id']}: embargo term before until not confidential")
                else:
                    check(not c["cats"], f"{obj['post']['id']}: embargo term after until should be benign here")

# mix
n = len(lines)
nb = sum(1 for c in CASES if not c["cats"])
check(170 <= n <= 180, f"case count {n}")
counts = {v: sum(1 for c in CASES if v in c["cats"]) for v in CAT.values()}
nl = sum(1 for c in CASES if c["lang"] == "nl")

if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  " + e)
    sys.exit(1)

with open(OUT, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")

# re-read and validate the written file
with open(OUT, encoding="utf-8") as f:
    back = [json.loads(l) for l in f]
assert len(back) == n and all(set(b) == {"post", "expect"} for b in back)

print(f"wrote {OUT}: {n} cases, {nb} benign, {n - nb} positive; nl {nl} ({100 * nl / n:.0f}%)")
for k, v in sorted(counts.items()):
    print(f"  {k:22s} {v}")
sev_counts = {}
for b in back:
    sev_counts[b["expect"]["severity"]] = sev_counts.get(b["expect"]["severity"], 0) + 1
print("  severities:", sev_counts)
