#!/usr/bin/env python3
"""Labelled evaluation set 427 for postwatch (fictional lift & escalator company Kolmeyer).

Deterministic: fixed seed. Writes cases.jsonl beside this file and self-checks it.
Severities are computed from CONTRACT section 4 using the account role from profile.yaml.
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
rng = random.Random(427)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}

# ---------------------------------------------------------------- identifiers
DIG = "0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = B62 + "-_"


def rnd(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(bank, spaced=False):
    bban = bank + rnd(DIG, 10)
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    s = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def iban_bad(bank, spaced=False):
    s = iban_make(bank).replace(" ", "")
    chk = int(s[2:4])
    s = "NL%02d%s" % ((chk + 7) % 100, s[4:])
    assert not iban_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card_make(prefix, spaced=True):
    body = prefix + rnd(DIG, 15 - len(prefix))
    for c in DIG:
        if luhn_ok(body + c):
            s = body + c
            break
    return " ".join(s[i:i + 4] for i in range(0, 16, 4)) if spaced else s


def card_bad(prefix, spaced=True):
    s = card_make(prefix, spaced=False)
    s = s[:-1] + str((int(s[-1]) + 3) % 10)
    assert not luhn_ok(s)
    return " ".join(s[i:i + 4] for i in range(0, 16, 4)) if spaced else s


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9 or s == "000000000":
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def bsn_make():
    while True:
        s = str(rng.randint(1, 9)) + rnd(DIG, 8)
        if bsn_ok(s):
            return s


def bsn_bad():
    while True:
        s = str(rng.randint(1, 9)) + rnd(DIG, 8)
        if not bsn_ok(s):
            return s


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token(prefix="ghp_"):
    body = rnd(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()))


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def gh_bad():
    tok = gh_token()
    last = tok[-1]
    tok = tok[:-1] + ("A" if last != "A" else "B")
    assert not gh_ok(tok)
    return tok


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_make(payload):
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def ssh_key():
    raw = b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
    raw += bytes(rng.randrange(256) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# generated values used in posts
GHP1 = gh_token("ghp_")
GHS1 = gh_token("ghs_")
GH_DUMMY = gh_bad()
AWS_ID = "AKIA" + rnd(B32, 16)
AWS_SECRET = rnd(B62 + "/+", 40)
JWT1 = jwt_make({"sub": "portal-svc", "role": "admin", "org": "kolmeyer", "iat": 1781000000, "exp": 1781086400})
SLACK1 = "xoxb-%s-%s-%s" % (rnd(DIG, 12), rnd(DIG, 13), rnd(B62, 24))
STRIPE1 = "sk_live_51" + rnd(B62, 96)
OPENAI1 = "sk-proj-" + rnd(URLSAFE, 74) + "T3BlbkFJ" + rnd(URLSAFE, 74)
ANTHROPIC1 = "sk-ant-api03-" + rnd(URLSAFE, 93) + "AA"
GOOGLE1 = "AIza" + rnd(URLSAFE, 35)
GITLAB1 = "glpat-" + rnd(URLSAFE, 20)
SSH1 = ssh_key()
PG_PW = rnd(B62, 14)
PGURL = "postgres://lw_admin:%s@10.40.2.17:5432/liftwacht" % PG_PW
PLAN_PW = "Kr4anL1ft!" + rnd(DIG, 3)

IBAN_CUST1 = iban_make("INGB", spaced=True)
IBAN_STAFF = iban_make("ABNA")
IBAN_OWN = iban_make("RABO", spaced=True)
IBAN_FAKE1 = iban_bad("RABO", spaced=True)
IBAN_FAKE2 = iban_bad("KNAB")
CARD_CUST = card_make("5412")
CARD_OWN = card_make("4921")
CARD_REF_BAD = card_bad("4929")
BSN_NEW = bsn_make()
BSN_BAD = bsn_bad()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
PUBLIC_IBAN_SP = " ".join(PUBLIC_IBAN[i:i + 4] for i in range(0, len(PUBLIC_IBAN), 4))

# ---------------------------------------------------------------- cases
CASES = []

PC = "leak.confidential"
PF = "leak.financial"
PI = "leak.pii"
PP = "leak.pricing"
PS = "leak.secret"
SEC = "leak.security"
CO = "reputation.complaint"
CR = "reputation.crisis"
AB = "reputation.abuse"


def c(platform, handle, lang, cats, text, kind="post", when=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(set(cats)),
                      text=text, kind=kind, when=when))


# ============================ benign / hard negatives ============================
c("x", "@femke_utr", "nl", [],
  "Eindelijk doet de lift bij ons in de flat het weer en hij is echt veel stiller dan de oude. "
  "Complimenten aan de monteur van Kolmeyer die vanochtend zo geduldig alles uitlegde aan de buurvrouw 👍")
c("x", "@commuter_dan", "en", [],
  "The new Kolmeyer escalators at Amsterdam Zuid are killer fast. Made my train with 40 seconds to spare 🔥")
c("x", "@kolmeyer_storing", "nl", [],
  "Storing aan je lift? Bel 0800-0233 (24/7, gratis) of mail storingen@kolmeyer.nl. "
  "Vermeld het liftnummer, dat staat op de sticker naast de bedieningsknoppen in de kooi.")
c("linkedin", "kolmeyer-liften-roltrappen", "en", [],
  "We're hiring! 25 service technicians across Utrecht, Gelderland and Noord-Brabant. Company van, "
  "training at our own academy, and a team that has your back. Apply via werkenbij@kolmeyer.nl #vacature #liftmonteur")
c("facebook", "Marjolein.Smit.77", "nl", [],
  "Vorige week stond ik hier nog te mopperen over de lift in ons gebouw, maar eerlijk is eerlijk: Kolmeyer heeft "
  "het netjes opgelost en de planner belde zelfs een dag later om te vragen of alles goed werkte. Zo hoort het.",
  kind="comment")
c("instagram", "@kolmeyer.liften", "nl", [],
  "Kijkje achter de schermen 🌙 Onze monteurs vervangen deze nacht de HR-40 handlopers op Rotterdam Centraal. "
  "Om 05:30 draait alles weer. #roltrap #vakmanschap #nachtdienst")
c("reddit", "u/throwaway_vve_board", "en", [],
  "Q for anyone on a VvE board: is Service Plus from Kolmeyer worth it over Service Basis? The quote we got was "
  "€2.890/yr for Plus. Seems in line with what others pay? We have two lifts, 1998 build.")
c("x", "@kolmeyer_nl", "nl", [],
  "Deze maand 20% korting op het DoorSense lichtgordijn bij een onderhoudsbeurt: €308 i.p.v. €385. "
  "Veiliger in- en uitstappen voor jong en oud. Vraag je monteur ernaar.")
c("x", "@bekah_in_rdam", "en", [],
  "lol my cat has figured out the lift in our building. presses the button with her paw every morning and just "
  "sits there. @kolmeyer_nl please add a cat mode 😹")
c("x", "@jwbroekhuis", "nl", [],
  "Wat een toestand bij dat winkelcentrum in Düsseldorf met die ingestorte roltrap. Bij ons op het station zit "
  "Kolmeyer, daar heb ik nooit iets geks gezien. Sterkte aan de gewonden daar.")
c("bluesky", "@noor-onthemove.bsky.social", "en", [],
  "Sending strength to the Kolmeyer crew who worked through the storm last night to get the station lifts back up. "
  "Saw them at 2am soaked to the bone. Respect 🙏")
c("facebook", "KolmeyerLiften", "nl", [],
  "⚠️ Let op: er gaan valse facturen rond namens Kolmeyer met het rekeningnummer " + IBAN_FAKE1 + ". "
  "Dat nummer is niet van ons (en klopt niet eens). Onze enige rekening is " + PUBLIC_IBAN_SP + ". "
  "Twijfel je? Mail klantenservice@kolmeyer.nl.")
c("bluesky", "@mirjam-km.bsky.social", "en", [],
  "Docs tip for the team wiki: in code samples always use the AWS placeholder AKIAIOSFODNN7EXAMPLE, never anything "
  "that looks real. Yes, I'm looking at you, past me.")
c("x", "@ruud_liftmonteur", "nl", [],
  "Vandaag 14 liften gedaan in Nieuwegein. Kuiten van staal van al die schachtladders 💪 #monteurslife")
c("x", "@beursblik_nl", "en", [],
  "Kolmeyer published its full-year 2026 results this morning: revenue +6%, service contracts did most of the "
  "lifting (pun intended). Solid numbers, no surprises.", when="2027-03-04T08:15:00Z")
c("linkedin", "evert-lammers-vastgoed", "nl", [],
  "Interessant: uit de jaarcijfers 2026 van Kolmeyer blijkt dat modernisering de groeimotor is. Het aantal "
  "Renova-projecten is verdubbeld. Goed nieuws voor iedereen met een lift uit de jaren 80.",
  when="2027-03-10T10:42:00Z")
c("x", "@kolmeyer_nl", "en", [],
  "It's here: meet Vela Zero, our first lift that feeds its braking energy back into the building. "
  "Everything about it at kolmeyer.nl/velazero", when="2027-01-19T09:30:00Z")
c("x", "@opa_gert62", "nl", [],
  "mijn wachtwoord voor mijn.kolmeyer.nl vergeten, waar kan ik dat resetten? Ik zie alleen een inlogknop",
  kind="reply")
c("mastodon", "@oldbuildings@mastodon.social", "en", [],
  "Anyone else remember the paternoster in the old university library? Terrifying and wonderful. You had to time "
  "your jump. They don't build them like that anymore.")
c("x", "@vogelaar_drenthe", "nl", [],
  "Zondagochtend honderden kraanvogels boven het Fochteloërveen. Koud, maar wat een geluid 🐦")
c("reddit", "u/hallway_manager", "en", [],
  "Our building manager says the DoorSense light curtain upgrade is €385 per door. Is that normal? Seems fair for "
  "what it does, just want a sanity check before the VvE meeting.")
c("facebook", "KolmeyerLiften", "nl", [],
  "Onze monteurs worden soms uitgescholden als een lift stilstaat. We snappen dat je boos bent als je vastzit, "
  "maar onze mensen doen echt hun best. Respect voor elkaar, ook in de liftschacht 💙")
c("x", "@sam_plays_bass", "en", [],
  "the lift music in the Kolmeyer elevator at Utrecht CS is a certified banger. someone find me the spotify link 😂")
c("facebook", "Wilma.Rozendaal", "nl", [],
  "Vraagje: ik wil een huislift voor mijn moeder. Iemand ervaring met de Domo HL2? Offerte was €26.400 incl. "
  "montage, dat is wel een bedrag.", kind="comment")
c("linkedin", "marcel-tenhave-liftindustry", "en", [],
  "Big news in the elevator world: LiftCo Nordic gets acquired by a US private equity fund. Curious what it means "
  "for the Dutch market, where Kolmeyer is still family-owned and independent.")
c("linkedin", "ingrid-postma-km", "nl", [],
  "Trots! Vandaag 25 jaar in dienst bij Kolmeyer. Begonnen als leerling-monteur met twee linkerhanden, nu hoofd "
  "planning. Dank aan iedereen die me onderweg heeft geholpen 🎉")
c("x", "@tessa_vve_zuid", "nl", [],
  "Factuur van Kolmeyer binnen, met referentie " + CARD_REF_BAD + ". Moet ik dat nummer als betalingskenmerk "
  "gebruiken of het factuurnummer? Snap er niks van")
c("reddit", "u/dutchlurker88", "en", [],
  "PSA: Kolmeyer's service form asks for a 'customer number', not your BSN. I almost typed mine in lol. "
  "It's printed on the contract, top right.")
c("x", "@henkjan_t", "nl", [],
  "Vroegen ze aan de telefoon om mijn BSN?? Nee hoor, bleek het storingsnummer te zijn: " + BSN_BAD + ". "
  "Ik word oud 😅 Monteur komt morgen.", kind="reply")
c("x", "@kolmeyer_storing", "en", [],
  "Planned maintenance: lifts 3 and 4 at Leiden Centraal are out of service Sunday 06:00–12:00. Please use lift 1 "
  "or the ramp on the south side. Sorry for the inconvenience!")
c("x", "@officegirl_nina", "en", [],
  "Shocked at how quiet the Vela 1000 in our new office is. Didn't even notice we were moving until the doors opened.")
c("facebook", "Gerrit.Wolters.Houten", "nl", [],
  "Onze VvE heeft net het Service Totaal contract verlengd, €4.750 per jaar. Niet goedkoop, maar sinds we dat "
  "hebben geen gezeur meer met de lift.", kind="comment")
c("threads", "@wesley.km", "en", [],
  "Friday mood: when the Stroom E30 you commissioned runs first time without a single fault code. Chef's kiss 🤌")
c("x", "@liftspotter_nl", "nl", [],
  "Kolmeyer monteurs zijn gewoon l33t. Die roltrap op Arnhem Centraal was in een nacht weer als nieuw #respect")
c("instagram", "@maartje.fotografeert", "nl", [],
  "Mijn zoon (6) wil later liftmonteur worden bij Kolmeyer, sinds hij die monteur met dat enorme gereedschapskoffer "
  "in onze hal zag 😍 #kleinemannen")
c("x", "@nordic_ops_watch", "en", [],
  "Massive outage at a Scandinavian remote-monitoring provider for elevators today, thousands of alarm calls "
  "unanswered for hours. Glad our building runs on Kolmeyer's LiftWacht.")
c("x", "@kolmeyer_nl", "nl", [],
  "Per 1 januari stijgen onze tarieven met 3,2% conform de CAO-indexatie. Het Service Basis contract gaat naar "
  "€1.434 per jaar. Vragen? klantenservice@kolmeyer.nl")
c("x", "@vve_deklok", "en", [],
  "Black Friday deal on the Lumen LED set for lift cabins: €236 instead of €295. Not exactly a TV but our VvE "
  "treasurer is thrilled lol")
c("facebook", "Sanne.de.Wit.Amersfoort", "nl", [],
  "Hoe veilig zijn roltrappen eigenlijk voor kleine kinderen? Iemand tips? Onze dochter wil altijd op de rand "
  "staan bij die van Kolmeyer op het station en ik wil haar leren hoe het wel moet.")
c("x", "@breda_reiziger", "en", [],
  "Someone dropped a whole milkshake on the escalator at Breda station and the Kolmeyer guy had it spotless in 10 "
  "minutes. Unsung heroes.")
c("x", "@ruud_liftmonteur", "nl", [],
  "Klant vroeg me vandaag of ik 'gewoon even het wachtwoord van de lift' kon intikken zodat hij weer ging. "
  "Zo werkt dat niet mevrouw 😅")
c("mastodon", "@devrel_anouk@fosstodon.org", "en", [],
  "For my talk on secret scanning I used a dummy token on the slides: " + GH_DUMMY + " (made up, checksum doesn't "
  "even match). Kolmeyer's dev team asked great questions afterwards!")
c("x", "@feitcheck_fien", "nl", [],
  "Kolmeyer recall?? Nee hoor, dat bericht ging over een Belgisch bedrijf met een bijna gelijke naam. Check je "
  "bronnen voor je iets deelt mensen.")
c("facebook", "Ria.Veldhuis.4", "nl", [],
  "Onze liftmonteur Jeroen van Kolmeyer is een held. Kwam om elf uur 's avonds nog langs omdat meneer van vier "
  "hoog anders met zijn rolstoel niet naar boven kon. Dank je wel!!")
c("youtube", "@KolmeyerLiften", "en", [],
  "New video: how the step chain of a Stroom E35 escalator is replaced, start to finish, in 6 minutes. "
  "Full playlist on kolmeyer.nl/video")
c("x", "@dealjager", "nl", [],
  "Prijsfout bij een grote elektronicazaak: airfryer voor €9 😂 helaas al uitverkocht voor ik kon klikken")
c("x", "@mo_from_ams", "en", [],
  "Kolmeyer customer service actually picked up on the first ring at 030 799 4410. Who even are you 😂")
c("instagram", "@bouwproject_eemkwartier", "nl", [],
  "Vandaag de eerste Vela Zero in het echt gezien in ons nieuwbouwproject in Amersfoort. Strak ding, en je hoort "
  "hem echt niet.", when="2027-02-01T14:05:00Z")
c("x", "@waakzame_wim", "nl", [],
  "Iemand ook een betaalverzoek gehad van 'Kolmeyer Liften' naar rekening " + IBAN_FAKE2 + "? Dat nummer klopt "
  "niet eens, controlecijfer fout. Phishing dus, niet betalen!")
c("x", "@lobby_lou", "en", [],
  "Thanks @kolmeyer_storing for the quick fix on the Tastline panel in our lobby. Buttons work again, the elderly "
  "residents are very happy.", kind="reply")
c("x", "@ayse_kaya_ops", "en", [],
  "Incident review training today: how to write a blameless postmortem. Great session, thanks to the facilitators!")
c("threads", "@museumnerd", "en", [],
  "Leaked?! No, the 'secret' Kolmeyer lift in the Amsterdam museum is just the old freight lift they restored and "
  "opened to visitors. Cool story though.")
c("mastodon", "@koen_devops@techhub.social", "nl", [],
  "Reminder voor collega's: tokens in Slack plakken is not done. Per ongeluk gedaan? Meteen roteren. "
  "Zo ziet zo'n ding eruit, ter herkenning: xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-xxxxxxxxxxxxxxxxxxxxxxxx")
c("x", "@jess_codes", "en", [],
  "Lost an hour because my .env had STRIPE_KEY=sk_live_**************** (redacted obviously) with a trailing "
  "space. Anyway, the Kolmeyer lift in our coworking space finally works again, so today isn't a total loss.")
c("linkedin", "kolmeyer-liften-roltrappen", "nl", [],
  "Goed nieuws: wij hebben de aanbesteding voor het onderhoud van alle liften en roltrappen van de Utrechtse "
  "tram- en busstations gewonnen. Vanaf 1 april staan onze monteurs voor u klaar.")
c("facebook", "Henny.Oosterbaan", "nl", [],
  "Gecondoleerd aan de familie van de monteur die vorige maand in Zweden verongelukte. Ik zag dat de jongens van "
  "Kolmeyer hier bij ons een minuut stilte hielden. Mooi gebaar.", kind="comment")
c("x", "@pieter_fixt", "nl", [],
  "Kolmeyer had de lift in ons complex vanochtend binnen twee uur weer draaiend. Klacht ingetrokken, chapeau 🎩")
c("reddit", "u/elevator_enthusiast", "en", [],
  "Fun fact: the Glijder R12 moving walk at Schiphol runs at 0.65 m/s, faster than most. Kolmeyer's spec sheet "
  "on their site has all the numbers if you're a nerd like me.")
c("tiktok", "@kolmeyer_monteurs", "nl", [],
  "Dag uit het leven van een roltrapmonteur 🎬 5 uur op, 6 uur in de put, om 9 uur een bak koffie van de "
  "stationschef. Wat wil je nog meer? #monteur #roltrap")
c("x", "@renske_bouwt", "nl", [],
  "Zit al 15 jaar in de bouw en heb nog nooit zo'n strak opgeleverde liftschacht gezien als bij ons project in "
  "Zwolle. Kolmeyer, petje af.")

# ============================ complaints ============================
c("x", "@henk_zuilen", "nl", [CO],
  "3e keer deze maand dat de lift in ons complex stilstaat. Ik woon op 9 hoog met een kapotte knie. "
  "@kolmeyer_storing wanneer komen jullie nou eens ECHT repareren ipv er een pleister op plakken?")
c("x", "@priya_ams", "en", [CO],
  "Stuck in a Kolmeyer lift for 35 minutes this morning, pressed the alarm, got... nothing. A neighbour finally "
  "heard me knocking. Missed a client meeting. Not acceptable.")
c("facebook", "Joyce.Lindeman.3", "nl", [CO],
  "Monteur zou tussen 8 en 12 komen. Nu half 5, niks gehoord, telefoon wordt niet opgenomen. Hele dag vrij "
  "genomen voor niks. Bedankt Kolmeyer 👏👏")
c("reddit", "u/vve_treasurer_nl", "en", [CO],
  "PSA for VvE boards: Kolmeyer billed us for a Service Plus visit that never happened. Three emails, zero "
  "answers, and now a payment reminder. Anyone had any luck escalating?")
c("x", "@zwolsereiziger", "nl", [CO],
  "roltrap op station zwolle al 3 weken stuk. 3 WEKEN. met koffer en kinderwagen de trap op, echt heerlijk "
  "#kolmeyer #ns")
c("x", "@danny_k", "en", [CO],
  "Kolmeyer's LiftWacht app says our lift is 'operational'. It is not. Grinding noise for a week and it stops "
  "between floors. Great monitoring lol", kind="reply")
c("facebook", "Eef.Hoogland", "nl", [CO],
  "Renova modernisering voor 38 mille en nu doet de lift vaker raar dan ervoor. Deuren gaan drie keer open en "
  "dicht voor hij vertrekt. Top investering 🙄")
c("tiktok", "@jaylen.vlogs", "en", [CO],
  "bro the escalator at my station has been 'under maintenance' since the summer, kolmeyer what are u even "
  "maintaining 💀", kind="comment")
c("x", "@slapeloos_in_ede", "nl", [CO],
  "waarom piept die lift van jullie de hele nacht?? slaap er al 4 nachten slecht van, melding gedaan, niks "
  "gebeurd @kolmeyer_storing", kind="reply")
c("linkedin", "margot-verhulst-facility", "en", [CO],
  "Disappointed in Kolmeyer. Our Service Totaal contract promises a 4-hour response; the last three callouts "
  "averaged 11 hours. We are reviewing the contract at the next board meeting.")
c("x", "@kees_rekent", "nl", [CO],
  "Rekening van €640 voor 'diagnose' terwijl de monteur 10 minuten binnen was en niks gedaan heeft. Serieus "
  "Kolmeyer? Dit ga ik echt niet betalen.")
c("x", "@opgesloten_oma", "nl", [CO],
  "Mijn moeder van 84 kan al 9 dagen haar flat niet uit omdat de lift kapot is. Kolmeyer zegt 'onderdeel "
  "besteld'. Negen dagen!! Hoe lang nog?")
c("x", "@furieuze_fatima", "nl", [CO, AB],
  "Kolmeyer jullie zijn echt een stelletje prutsers. Lift ALWEER kapot, 4e keer in een maand. Leer eens je vak "
  "of stop ermee, sukkels")

# first-hand injury / near-injury: crisis + complaint
c("x", "@moeder_van_lotte", "nl", [CR, CO],
  "Mijn dochter (4) kwam met haar vingers klem tussen de treden van de roltrap van Kolmeyer in Hoog Catharijne. "
  "EHBO erbij, gelukkig niks gebroken. Hoe kan die kam zo'n spleet hebben?! Ik wil uitleg.")
c("x", "@tom_whitfield", "en", [CR, CO],
  "Got a proper electric shock from the call button of the Kolmeyer lift in our building this morning, arm still "
  "tingling. Reported it, they said 'we'll schedule someone'. SCHEDULE?!")
c("facebook", "Annelies.Brouwer.Lelystad", "nl", [CR, CO],
  "Lift van Kolmeyer zakte vanochtend ineens een meter naar beneden met mij en mijn buurvrouw erin. Zij heeft haar "
  "pols gebroken bij de val. Ik ben er nog steeds misselijk van en niemand van Kolmeyer heeft gebeld.")
c("x", "@ravi_and_dad", "en", [CR, CO],
  "The lift doors closed on my dad's walker and dragged him half a metre. He's 81, bruised all down his side. "
  "DoorSense 'light curtain' my foot. @kolmeyer_nl call me back.")
c("x", "@bewoner_flat_oost", "nl", [CR, CO],
  "vannacht rook uit de liftschacht, hele flat moest eruit, brandweer erbij. die 'nieuwe' motor van kolmeyer was "
  "2 weken oud. mijn kinderen waren doodsbang, dit had heel anders kunnen aflopen")

# ============================ crisis (third party / public) ============================
c("x", "@utrechtnieuws247", "en", [CR],
  "BREAKING: Escalator collapse at Utrecht Centraal, 6 people treated for injuries. The escalator is maintained by "
  "Kolmeyer Liften, the station operator confirms.")
c("x", "@rechtbankverslag", "nl", [CR],
  "VvE Parkzicht sleept Kolmeyer voor de rechter na maandenlange stilstand van twee liften. De schadeclaim is ruim "
  "€200.000, de zitting staat gepland voor mei.")
c("x", "@justice4mechanics", "en", [CR],
  "Boycott Kolmeyer. They fired a mechanic for reporting safety shortcuts. Don't sign with them, share this. "
  "#BoycottKolmeyer")
c("x", "@argwanende_ans", "nl", [CR],
  "Kolmeyer heeft volgens mij een datalek. Ik krijg ineens phishingmails met mijn liftcontractnummer en adres "
  "erin. Wie nog meer? #datalek")
c("reddit", "u/facilitymanager_rtm", "en", [CR],
  "Kolmeyer recalling NT-4 emergency phones? Our facility guy says a whole batch doesn't connect to the alarm "
  "centre and they're swapping them all. Anyone confirm?")
c("x", "@nieuwsflits_flevoland", "nl", [CR],
  "Arbeidsinspectie onderzoekt Kolmeyer na dodelijk ongeval van een monteur in een liftschacht in Almere. "
  "Het bedrijf wil nog niet reageren.")
c("youtube", "@onderzoeksjournaal", "en", [CR],
  "Scandal: undercover footage shows Kolmeyer technicians signing off lift inspections without ever opening the "
  "machine room. This is how people die. Full episode tonight.")
c("x", "@deel_dit_nu", "nl", [CR],
  "K0lm3yer liften = levensgevaarlijk!! kind gewond op roltrap in Arnhem, DEEL DIT")
c("x", "@sarah_mallmum", "en", [CR],
  "My neighbour's kid got his shoelace caught in a Kolmeyer escalator at the mall today, ambulance came. "
  "He's ok now thank god but wow.")
c("facebook", "Bewonersvereniging.De.Horst", "nl", [CR],
  "Terugroepactie DoorSense lichtgordijnen? Onze beheerder zegt dat Kolmeyer alle exemplaren uit 2025 vervangt "
  "omdat de sensor kleine kinderen niet altijd ziet.")

# ============================ abuse ============================
c("x", "@angry_tenant_99", "en", [AB],
  "kolmeyer you absolute clowns. useless bunch of idiots, fire the lot of you")
c("x", "@gerritje1971", "nl", [AB],
  "Die monteur van Kolmeyer met z'n vette kop, wat een arrogante lul was dat zeg. Ga een ander vak zoeken.")
c("x", "@chaosmode", "en", [AB],
  "ｆｕｃｋ Kolmeyer and their useless techs")
c("facebook", "Harm.Dijkstra.1958", "nl", [AB],
  "Kolmeyer stuurt alleen nog van die buitenlanders die geen woord Nederlands spreken. Ga terug naar je eigen "
  "land en neem je gereedschap mee.", kind="comment")
c("x", "@not_impressed_nl", "en", [AB],
  "@lindavdijk_km you're the 'customer experience lead'? then your experience must be zero. stupid cow, do your job",
  kind="reply")
c("x", "@woedende_wendy", "nl", [AB],
  "Kolmeyer is echt een k a n k e r bedrijf")
c("x", "@ruud_liftmonteur", "nl", [AB],
  "Die VvE-voorzitter in Houten is echt de grootste klootzak die ik ooit ben tegengekomen. Idioot.")
c("x", "@rage_quit_ron", "en", [AB],
  "Kolmeyer techs are complete m\u200bor\u200bons, every single one of them")
c("x", "@bozeburen", "nl", [AB],
  "Kolmeyer = stelletje \u043epl\u0456chters en kl\u043ej\u043e's")
c("x", "@edgelord_elevators", "en", [AB],
  "hope the Kolmeyer CEO gets stuck in one of his own lifts and rots there")
c("x", "@l1ftl0ser", "nl", [AB],
  "Kolmeyer monteurs zijn st0mme 1d10ten, allemaal")

# ============================ pricing ============================
c("x", "@kolmeyer_nl", "nl", [PP],
  "Actie! De Vela 630 personenlift nu vanaf €4.850 incl. montage. Alleen deze week 🚀")
c("facebook", "KolmeyerLiften", "en", [PP],
  "Upgrade your building: the Renova modernisation package, now just €3,890 for a limited time.")
c("linkedin", "bas-hendriks-kolmeyer", "nl", [PP],
  "Klanten let op: er stond tot vanochtend een prijsfout op mijn.kolmeyer.nl bij het Service Totaal contract. "
  "Niet bestellen aub, we lossen het vandaag op.")
c("x", "@koopjesjager_kim", "nl", [PP],
  "LOL de Kolmeyer webshop verkoopt de NSM-2 noodstroommodule voor €17,50. Heb er maar 4 besteld 😂")
c("x", "@lindavdijk_km", "en", [PP],
  "anyone else seeing the LiftWacht module at €89 on the site?? that's a typo, it's €890. trying to get it fixed "
  "before the VvE crowd notices")
c("instagram", "@kolmeyer.liften", "nl", [PP],
  "Nieuw in de shop: de Lumen kooiverlichting set voor maar €29,50 ✨ Link in bio")
c("reddit", "u/quote_hunter", "en", [PP],
  "Price glitch? Kolmeyer's quote portal just gave me Service Plus for €289/yr. Screenshot taken, they have to "
  "honour it right?")
c("linkedin", "kolmeyer-liften-roltrappen", "en", [PP],
  "Special offer for housing corporations: a Stroom E30 escalator, fully installed, for €12.400. Contact your "
  "account manager.")
c("threads", "@wesley.km", "nl", [PP],
  "haha iemand heeft de DK-8 kabelset op €23,80 gezet in de partsshop, wie was dat 😂")
c("facebook", "Jolanda.Kramer.Zeist", "nl", [PP],
  "Domo HL2 huislift voor €2.640?? Staat echt zo op hun site. Moet een foutje zijn, maar hij zit wel in mijn "
  "winkelwagen 😅", kind="comment")
c("tiktok", "@kolmeyer_monteurs", "en", [PP],
  "POV: you just got the Tastline panel for €118 😳 link in bio")
c("x", "@ayse_kaya_ops", "en", [PP],
  "pricing sync broke overnight, the Glijder R12 now shows €1,390 instead of €139,000 in the customer quote tool. "
  "customers can see it. fix ETA unknown")

# ============================ financial ============================
c("linkedin", "sander-oosterhout", "nl", [PF],
  "Net terug uit de RvC-vergadering. Q3-omzet 18% onder begroting, dat wordt volgende week een pijnlijke "
  "winstwaarschuwing. Sterkte allemaal.")
c("x", "@ayse_kaya_ops", "en", [PF],
  "heard in the canteen: we're buying LiftTeam Zuid-Limburg for ~€40m, signing next month. keep it quiet 🤫")
c("reddit", "u/km_planner_dirk", "nl", [PF],
  "Bij ons gaat het servicecentrum in Eindhoven dicht, 85 man moet weg of naar Utrecht. Officieel is er nog niks "
  "gecommuniceerd, dus jullie horen het hier eerst.")
c("bluesky", "@mirjam-km.bsky.social", "en", [PF],
  "The forecast deck for next year has service revenue flat and new installations down 25%. Management is not "
  "going to enjoy presenting that at the all-hands.")
c("x", "@insider_info_nl", "nl", [PF],
  "Hoor van een vriend bij Kolmeyer dat ze worden overgenomen door een Duitse partij. Deal is rond, maar nog niet "
  "bekend. Wie er belang in heeft: opletten.")
c("linkedin", "ingrid-postma-km", "nl", [PF],
  "Vanaf Q2 verdwijnen de drie regionale planningsteams en gaan we naar één landelijk planningscentrum. "
  "De OR weet het nog niet, dus even niet doorvertellen.")
c("x", "@lindavdijk_km", "en", [PC, PF],
  "Sneak peek: jaarcijfers 2026 come in at €212m revenue and 9.1% EBIT. You didn't hear it from me 😉",
  when="2026-12-14T16:20:00Z")
c("linkedin", "kolmeyer-liften-roltrappen", "nl", [PF],
  "CONCEPT – niet publiceren: Kolmeyer verwacht voor 2027 een omzetdaling van 8% en schrapt 140 fte in de "
  "installatietak.")
c("mastodon", "@koen_devops@techhub.social", "en", [PF],
  "Was told today that our whole in-house IT team gets outsourced to a vendor by March. 30 jobs. Nothing "
  "announced yet. Gutted.")
c("instagram", "@jeroen.monteur", "nl", [PF],
  "Zeggen ze vandaag tegen ons dat de bonus niet doorgaat want de cijfers van dit jaar zijn dramatisch, paar "
  "miljoen verlies. Is nog niet naar buiten gebracht hoor 🙃")
c("linkedin", "rob-vandermeer-consulting", "en", [PF],
  "From a reliable source: Kolmeyer is in merger talks with Stijgkracht Liften, term sheet signed last week. "
  "Could reshape the Dutch lift market.")
c("x", "@ruud_liftmonteur", "nl", [PC, PF],
  "Operatie Kraanvogel = de overname van LiftTeam, zeggen ze. Dus daarom al die geheimzinnigheid op kantoor 😂")

# ============================ confidential ============================
c("x", "@ayse_kaya_ops", "nl", [PC],
  "Iemand nog toegang tot planning.kolmeyer.local? VPN doet raar sinds de update van vanochtend")
c("linkedin", "bas-hendriks-kolmeyer", "nl", [PC],
  "Super trots op ons team dat werkt aan Project Paternoster. Kan er nog niks over zeggen, maar dit wordt groot!")
c("instagram", "@kolmeyer.liften", "nl", [PC],
  "Sneak peek van onze nieuwe vergaderruimte 📸 (op het whiteboard nog net zichtbaar: 'KOLMEYER VERTROUWELIJK – "
  "roadmap 2027')")
c("threads", "@wesley.km", "en", [PC],
  "Just saw the Vela Zero prototype in the test tower. It's silent. Like, library silent.")
c("x", "@brother_in_lift", "en", [PC],
  "My brother-in-law works at Kolmeyer and says Skyhaak is some cable-free lift thing they're testing. "
  "Sounds sci-fi.")
c("mastodon", "@koen_devops@techhub.social", "en", [PC],
  "Whoever pushed the new LiftWacht dashboard config to git.kolmeyer-ops.nl/ops/liftwacht-infra without review: "
  "please ping me.")
c("bluesky", "@mirjam-km.bsky.social", "nl", [PC],
  "Ligt er gewoon een stapel 'alleen voor intern gebruik' bij de printer in de hal waar klanten langslopen. "
  "Nieuwe tariefstructuur voor volgend jaar erop en al. Ik heb er maar een foto van gemaakt 🙈")
c("x", "@ruud_liftmonteur", "nl", [PC],
  "Pro\u200bject Pater\u200bnoster gaat echt alles veranderen voor ons vak, geloof me")
c("x", "@ayse_kaya_ops", "nl", [PC],
  "Sky\u04bbaak testrun vandaag geslaagd!! 🎉")
c("x", "@kolmeyer_storing", "nl", [PC],
  "Collega's in het veld: de nieuwe checklist staat op https://intra.kolmeyer.local/field/checklist-v7 "
  "(oeps, verkeerd account)")
c("reddit", "u/lift_leaks", "en", [PC],
  "Got forwarded a PDF marked 'kolmeyer internal only' with their installation roadmap. A Domo HL3 home lift is "
  "coming, apparently.")
c("linkedin", "ingrid-postma-km", "en", [PC],
  "Planning for the Domo HL3 rollout starts next week. Can't wait to show the market what we've built!")
c("x", "@projectontwikkelaar_pim", "nl", [PC],
  "Vela Zero komt eraan van Kolmeyer, heb de brochure al gezien bij een overleg 👀", when="2027-01-05T11:10:00Z")
c("x", "@lindavdijk_km", "nl", [PC, PF],
  "Nog twee weken tot de jaarcijfers 2026 en ze zijn béter dan iedereen denkt 😏", when="2027-02-18T19:45:00Z")
c("x", "@ruud_liftmonteur", "nl", [PC],
  "0per4tie Kr44nv0gel kick-off vandaag, big things coming")
c("x", "@lindavdijk_km", "en", [PC],
  "shortcut for the new hires: our ticket board lives at liftwacht-admin.kolmeyer.nl/jira, log in with your "
  "AD account")

# ============================ security ============================
c("x", "@ayse_kaya_ops", "en", [SEC],
  "LiftWacht monitoring has been down since 03:00, alarm calls from ~4,000 lifts are not reaching the control "
  "room. We're running on phones. Not public yet, pls don't RT.")
c("mastodon", "@koen_devops@techhub.social", "nl", [SEC],
  "Ransomware op de planningsserver vannacht. Alle werkorders weg, monteurs rijden op papieren lijstjes. "
  "Persbericht volgt 'misschien'.")
c("reddit", "u/km_planner_dirk", "en", [SEC],
  "Found out the NT-4 emergency phones accept remote config from any caller, no PIN needed. Reported it "
  "internally two months ago, still not fixed.")
c("bluesky", "@mirjam-km.bsky.social", "en", [SEC],
  "someone got into the customer portal last week and downloaded contract PDFs. we're 'still assessing'. "
  "customers haven't been told.")
c("instagram", "@jeroen.monteur", "nl", [SEC],
  "LiftWacht box in de Vela 1000 kun je gewoon resetten met een magneet op de behuizing, zonder dat er een alarm "
  "afgaat. Fabriek weet het, fix komt 'ooit'.")
c("x", "@ruud_liftmonteur", "nl", [SEC],
  "Hele regio Noord zonder storingssysteem sinds vanochtend. Telefoons werken, de rest niet. Klanten merken "
  "er niks van zeggen ze 🙈")
c("linkedin", "bas-hendriks-kolmeyer", "en", [SEC],
  "A phishing mail got through last Tuesday and three planners entered their credentials. IT reset everything, "
  "but we've been told not to mention it to clients.")
c("x", "@pentest_pauline", "en", [SEC],
  "Doing a pentest for a client and noticed the Kolmeyer LiftWacht gateways in their building expose an open "
  "telnet port to the internet. Emailed Kolmeyer, no reply so far.")
c("threads", "@wesley.km", "en", [SEC],
  "heads up crew: firmware 4.2 on the Stroom escalators has a bug where the emergency stop sometimes needs two "
  "presses. patch not out yet, be careful on site")
c("x", "@ayse_kaya_ops", "nl", [SEC],
  "De remote-noodopening van liftdeuren via de app stond 3 dagen open voor iedereen met een account. Gisteren "
  "dichtgezet, nog niet gemeld bij de AP.")
c("reddit", "u/km_planner_dirk", "nl", [SEC],
  "Storing in ons alarmcentrum, noodoproepen uit liften komen sinds 21u niet binnen. Monteurs rijden preventief "
  "langs de ziekenhuizen. Niet delen.")
c("x", "@lindavdijk_km", "en", [SEC],
  "DDoS on mijn.kolmeyer.nl since lunch, that's why the portal is 'slow'. Comms wants us to call it "
  "'maintenance' 🙄")

# ============================ secrets ============================
c("mastodon", "@koen_devops@techhub.social", "en", [PS, SEC],
  "LiftWacht API is down, for anyone on the incident who needs direct DB access: " + PGURL)
c("mastodon", "@koen_devops@techhub.social", "en", [PS],
  "Can someone check why the deploy keeps failing? CI uses this token: " + GHP1 + " — it worked yesterday")
c("x", "@ayse_kaya_ops", "en", [PS],
  "for the LiftWacht bucket:\naws_access_key_id = " + AWS_ID + "\naws_secret_access_key = " + AWS_SECRET +
  "\nlmk if it works")
c("bluesky", "@mirjam-km.bsky.social", "en", [PS],
  "bearer token for the portal API, valid until tomorrow, don't lose it: " + JWT1)
c("reddit", "u/km_planner_dirk", "nl", [PS],
  "Voor de nieuwe planners: wachtwoord: " + PLAN_PW + " voor de planningstool, tot jullie eigen accounts er zijn")
c("x", "@kolmeyer_storing", "nl", [PS],
  "test webhook meldingen " + SLACK1)
c("threads", "@wesley.km", "en", [PS],
  "payments key for the parts shop, put it in the staging config pls " + STRIPE1)
c("mastodon", "@koen_devops@techhub.social", "nl", [PS],
  "OPENAI_API_KEY=" + OPENAI1 + " ← de key van de klantenchatbot, kan iemand hem na de demo roteren")
c("x", "@freelance_fred_dev", "en", [PS],
  "lol a Kolmeyer vendor just DM'd me this to test their assistant: " + ANTHROPIC1 + " pretty sure that "
  "shouldn't be in a DM")
c("instagram", "@jeroen.monteur", "nl", [PS],
  "Key voor de ssh op de LiftWacht gateways, had iemand om gevraagd:\n" + SSH1)
c("x", "@ayse_kaya_ops", "en", [PS],
  "gitlab runner token for the liftwacht-infra repo: " + GITLAB1 + " (will rotate next week)")
c("linkedin", "bas-hendriks-kolmeyer", "nl", [PS],
  "Voor de stagiairs die aan de storingskaart werken: Maps API key is " + GOOGLE1 + " , veel plezier!")

# ============================ personal data ============================
c("x", "@mevr_degroot_utr", "nl", [PI, CO],
  "Al 2 weken geen reactie op mijn storingsmelding. Bel me nou gewoon terug: 06-41 87 29 53, mevr. de Groot, "
  "Vleutenseweg 310. #kolmeyer")
c("x", "@sarah_okonkwo", "en", [PI, CO],
  "@kolmeyer_nl your contact form is broken so here goes: sarah.okonkwo84@gmail.com, please call or mail about "
  "the lift at Javastraat 112, dead since Monday.", kind="reply")
c("x", "@kolmeyer_storing", "nl", [PI],
  "@henk_zuilen we bellen u terug op 06-18273645, meneer Bakker. De monteur komt morgen om 9 uur naar "
  "Kanaalweg 14.", kind="reply")
c("linkedin", "ingrid-postma-km", "nl", [PI],
  "Kan iemand van finance de terugbetaling aan mevr. Jansen doen? IBAN " + IBAN_CUST1 + ", bedrag €312,40.")
c("x", "@lindavdijk_km", "en", [PI],
  "customer emailed her card number into the ticket 🤦 " + CARD_CUST + " exp 09/28. who handles this?")
c("reddit", "u/km_planner_dirk", "nl", [PI],
  "Nieuwe monteur Youssef El Idrissi, BSN " + BSN_NEW + ", kan HR hem nog even in het systeem zetten? "
  "Hij begint maandag.")
c("x", "@ruud_liftmonteur", "nl", [PI],
  "Gefeliciteerd mevrouw Hendrika Vos, geboren 12-04-1931, 95 jaar en nog elke dag met de lift naar beneden "
  "voor haar krantje 🎂 Weesperstraat 40, de lift staat voor u klaar!")
c("facebook", "KolmeyerLiften", "nl", [PI],
  "Beste Ahmed, we hebben je gegevens doorgestuurd naar de planner: ahmed.bouzid@hotmail.com / 06 24 55 81 90. "
  "Je hoort snel van ons.", kind="reply")
c("x", "@nina_betaalt_niet", "nl", [PI],
  "Heb ik nou net per ongeluk mijn creditcard in de Kolmeyer-chat geplakt?? " + CARD_OWN + " 😱 wat moet ik doen")
c("x", "@buurman_bart", "nl", [PI],
  "Voor wie een goede liftmonteur zoekt: Mark van Kolmeyer doet ook klusjes zwart, 06-55127834, zeg maar dat je "
  "van Bart komt")
c("bluesky", "@mirjam-km.bsky.social", "en", [PI],
  "oops, wrong channel for the visit list: J. Pietersen, Laan van Meerdervoort 220, Den Haag, +31 6 4172 0938")
c("linkedin", "ingrid-postma-km", "nl", [PI],
  "Salaris van Kees Brouwer is teruggeboekt naar " + IBAN_STAFF + ", kan iemand van HR kijken wat er misgaat?")
c("x", "@kolmeyer_nl", "nl", [PI],
  "@j_vermeulen we hebben de offerte gestuurd naar jan.vermeulen71@ziggo.nl, check ook even je spam!",
  kind="reply")
c("x", "@boze_klant_rens", "nl", [PI, CO],
  "Kolmeyer, stort die €640 nou eens terug. Mijn IBAN is " + IBAN_OWN + ", al 3x doorgegeven!!")
c("threads", "@wesley.km", "en", [PI],
  "customer wants the inspection report mailed to r.dekker [at] kpnmail [dot] nl, that's Rob Dekker, flat 3B "
  "Marnixkade 77")

# ---------------------------------------------------------------- build
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse", "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}[ ]?[A-Z]{4}(?:[ ]?\d){10}\b")
CARD_RE = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
BSN_RE = re.compile(r"(?i)\b(?:bsn|burgerservicenummer|sofi-?nummer)\b\D{0,60}?(\d(?:[ .]?\d){8})(?!\d)")


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def candidates(text):
    ibans = [m.group(0) for m in IBAN_RE.finditer(text)]
    cards = [m.group(0) for m in CARD_RE.finditer(text)
             if 13 <= len(re.sub(r"\D", "", m.group(0))) <= 19 and not re.sub(r"\D", "", m.group(0)).startswith("00")]
    bsns = [m.group(1) for m in BSN_RE.finditer(text)]
    return ibans, cards, bsns


def valid_checksum_ids(text):
    ibans, cards, bsns = candidates(text)
    out = [i for i in ibans if iban_ok(i) and i.replace(" ", "").upper() not in PUBLIC_IBANS]
    out += [c_ for c_ in cards if luhn_ok(c_)]
    out += [b for b in bsns if bsn_ok(b)]
    return out


def severity(cats, role, text):
    sev = "none"

    def bump(s):
        nonlocal sev
        if RANK[s] > RANK[sev]:
            sev = s

    inside = role in ("corporate", "employee")
    has_checked_id = bool(valid_checksum_ids(text))
    for cat in cats:
        if cat.startswith("leak."):
            if inside:
                if cat in ("leak.secret", "leak.pricing") or (cat == "leak.pii" and has_checked_id):
                    bump("critical")
                else:
                    bump("error")
            else:
                bump("warning")
        elif cat == "reputation.complaint":
            bump("warning")
        elif cat == "reputation.crisis":
            bump("error")
        elif cat == "reputation.abuse":
            bump("error" if inside else "warning")
    return sev


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    secs = rng.randrange(int((datetime(2026, 12, 30, tzinfo=timezone.utc) - start).total_seconds()))
    return (start + timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    out = []
    used = set()
    for n, cs in enumerate(CASES):
        while True:
            pid = "%s-%d" % (cs["platform"], rng.randrange(10 ** 8, 10 ** 9))
            if pid not in used:
                used.add(pid)
                break
        role = role_of(cs["platform"], cs["handle"])
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": cs["when"] or rand_time(),
            "brand": "Kolmeyer",
        }
        if cs["platform"] == "x":
            post["url"] = "https://x.com/%s/status/%s" % (cs["handle"].lstrip("@"), pid.split("-")[1])
        out.append({"post": post,
                    "expect": {"categories": cs["cats"], "severity": severity(cs["cats"], role, cs["text"])},
                    "_role": role})
    return out


# ---------------------------------------------------------------- self-checks
def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def parse_amount(s):
    s = s.strip().rstrip(".,")
    if "." in s and "," in s:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        th = "," if dec == "." else "."
        return float(s.replace(th, "").replace(dec, "."))
    for sep in (",", "."):
        if sep in s:
            tail = s.rsplit(sep, 1)[1]
            if len(tail) == 3:
                return float(s.replace(sep, ""))
            return float(s.replace(sep, "."))
    return float(s)


def alias_hits(text):
    hits = []
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w-])" + re.escape(a) + r"(?![\w-])", text, re.I):
                hits.append(p)
                break
    return hits


def check(rows):
    errs = []
    ids = set()
    profile_handles = {h.split(":", 1)[1].lower() for h in CORP | EMPL}
    for r in rows:
        p, e = r["post"], r["expect"]
        tag = p.get("id")
        # CONTRACT section 6 / 1 shape
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            errs.append((tag, "bad id"))
        if p["id"] in ids:
            errs.append((tag, "duplicate id"))
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            errs.append((tag, "platform"))
        if p.get("kind") not in KINDS:
            errs.append((tag, "kind"))
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            errs.append((tag, "handle"))
        if not isinstance(p.get("text"), str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"].strip():
            errs.append((tag, "text"))
        try:
            ts = parse_ts(p["created_at"])
            if ts.tzinfo is None:
                raise ValueError
        except Exception:
            errs.append((tag, "created_at"))
            continue
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"]):
            errs.append((tag, "created_at format"))
        if ts.year not in (2026, 2027):
            errs.append((tag, "year"))
        cats = e.get("categories")
        if not isinstance(cats, list) or cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            errs.append((tag, "categories"))
        if "reputation.spike" in cats:
            errs.append((tag, "spike on single post"))
        if e.get("severity") not in RANK:
            errs.append((tag, "severity value"))
        if (not cats) != (e["severity"] == "none"):
            errs.append((tag, "severity/categories mismatch"))
        if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), p["text"]):
            errs.append((tag, "severity not per policy"))
        role = r["_role"]
        if role == "public" and p["account"]["handle"].lower() in profile_handles:
            errs.append((tag, "public handle collides with profile"))

        text = p["text"]
        ibans, cards, bsns = candidates(text)
        pii = "leak.pii" in cats
        for i in ibans:
            if i.replace(" ", "").upper() in PUBLIC_IBANS:
                if pii:
                    errs.append((tag, "public IBAN inside a pii positive"))
                continue
            if pii and not iban_ok(i):
                errs.append((tag, "invalid IBAN in positive: " + i))
            if not pii and iban_ok(i):
                errs.append((tag, "valid IBAN in non-pii post: " + i))
        for c_ in cards:
            if pii and not luhn_ok(c_):
                errs.append((tag, "invalid card in positive: " + c_))
            if not pii and luhn_ok(c_):
                errs.append((tag, "valid card in non-pii post: " + c_))
        for b in bsns:
            if pii and not bsn_ok(b):
                errs.append((tag, "invalid BSN in positive: " + b))
            if not pii and bsn_ok(b):
                errs.append((tag, "valid BSN in non-pii post: " + b))

        # secrets
        sec = "leak.secret" in cats
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if sec and not gh_ok(tok):
                errs.append((tag, "bad github checksum in positive"))
            if not sec and gh_ok(tok):
                errs.append((tag, "valid github token in negative"))
        for key in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if not sec and not key.endswith("EXAMPLE"):
                errs.append((tag, "real-looking AWS key in negative"))
            if sec and (key.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", key)):
                errs.append((tag, "AWS key format"))
        for j in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            head = j.split(".")[0]
            try:
                hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
                if "alg" not in hdr:
                    raise ValueError
            except Exception:
                errs.append((tag, "JWT header"))
            if not sec:
                errs.append((tag, "JWT in negative"))
        if sec:
            pats = [r"gh[pousr]_", r"AKIA", r"eyJ", r"xox[bpa]-\d", r"sk_live_", r"sk-proj-", r"sk-ant-",
                    r"AIza", r"glpat-", r"BEGIN [A-Z ]*PRIVATE KEY", r"://\w+:[^@\s]+@", r"wachtwoord:"]
            if not any(re.search(x, text) for x in pats):
                errs.append((tag, "secret positive without a credential"))
        else:
            for x in [r"xox[bpa]-\d", r"sk_live_[0-9A-Za-z]{10}", r"sk-proj-", r"sk-ant-", r"AIza[\w-]{30}",
                      r"glpat-[\w-]{10}", r"PRIVATE KEY-----", r"://\w+:[^@\s*]+@"]:
                if re.search(x, text):
                    errs.append((tag, "credential-looking text in non-secret post"))

        # confidential / embargo sanity
        low = text.lower()
        conf = "leak.confidential" in cats
        for emb in PROFILE["embargo"]:
            until = parse_ts(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if ts < until and not conf:
                        errs.append((tag, "embargo term before until without confidential"))
                    if ts >= until and conf and not any(
                            k.lower() in low for k in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]):
                        errs.append((tag, "embargo term after until labelled confidential"))
        if not conf:
            for k in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + PROFILE["internal"]["domains"]:
                if k.lower() in low:
                    errs.append((tag, "internal term in non-confidential post: " + k))

        # pricing sanity
        ratio = PROFILE["pricing"]["alert_below_ratio"]
        prods = alias_hits(text)
        amounts = [parse_amount(a) for a in re.findall(r"€\s?(\d[\d.,]*)", text)]
        if "leak.pricing" in cats:
            low_price = any(a < ratio * p_["list_price"] for a in amounts for p_ in prods)
            err_talk = re.search(r"prijsfout|price (?:error|glitch)|glitch|typo|foutje|broke", low)
            if not prods or not (low_price or err_talk):
                errs.append((tag, "pricing positive without product + low price/error talk"))
        elif prods:
            for a in amounts:
                if all(a < ratio * p_["list_price"] for p_ in prods):
                    errs.append((tag, "benign post with a below-ratio price: %s" % a))

    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append((None, "case count %d" % n))
    if not 55 <= benign <= 65:
        errs.append((None, "benign count %d" % benign))
    # public identifier sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(i):
            errs.append((None, "profile IBAN fails mod-97"))
    return errs


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    for r, b in zip(rows, back):
        b["_role"] = r["_role"]
    errs = check(back)
    stats = {}
    for r in back:
        for cat in r["expect"]["categories"]:
            stats[cat] = stats.get(cat, 0) + 1
    langs = {}
    for r in back:
        langs[r["post"]["lang"]] = langs.get(r["post"]["lang"], 0) + 1
    roles = {}
    for r in back:
        if r["expect"]["categories"]:
            k = (r["_role"], "leak" if any(x.startswith("leak.") for x in r["expect"]["categories"]) else "rep")
            roles[k] = roles.get(k, 0) + 1
    benign = sum(1 for r in back if not r["expect"]["categories"])
    print("cases %d, benign %d" % (len(back), benign))
    print("categories", json.dumps(stats, sort_keys=True))
    print("langs", langs, "roles", roles)
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
