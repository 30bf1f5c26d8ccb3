#!/usr/bin/env python3
"""Build the labelled evaluation set sealed372 (Veldkamer Tiny Homes B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to
this file and then checks it against CONTRACT sections 3, 4 and 6:
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published IBAN excepted);
  * generated credentials are built the way real ones are (GitHub CRC-32, AWS, JWT ...);
  * severities are computed from the account role in profile.yaml, never typed;
  * embargo terms before their `until` are labelled leak.confidential;
  * every line is a valid labelled case.
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

rng = random.Random(372016)

# --------------------------------------------------------------------------- #
# identifiers and checksums
# --------------------------------------------------------------------------- #
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_check_digits(cc, bban):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_valid(partial + c):
            return c
    raise AssertionError


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban():
    bank = rng.choice(["ABNA", "RABO", "INGB", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    bban = bank + rand(string.digits, 10)
    return "NL" + iban_check_digits("NL", bban) + bban


def gen_bad_iban():
    good = gen_iban()
    cd = int(good[2:4])
    bad = good[:2] + "%02d" % ((cd + rng.randint(1, 40)) % 100) + good[4:]
    while iban_valid(bad):
        bad = good[:2] + "%02d" % rng.randint(2, 98) + good[4:]
    return bad


def gen_card():
    if rng.random() < 0.5:
        p = "4" + rand(string.digits, 14)
    else:
        p = "5" + rng.choice("12345") + rand(string.digits, 13)
    return p + luhn_digit(p)


def gen_bad_card():
    c = gen_card()
    return c[:-1] + str((int(c[-1]) + rng.randint(1, 9)) % 10)


def gen_bsn():
    while True:
        n = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if bsn_valid(n):
            return n


def gen_bad_bsn():
    while True:
        n = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_valid(n):
            return n


def ghp_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def gen_ghp(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    header = {"alg": "HS256", "typ": "JWT"}
    now = 1767225600 + rng.randint(0, 31_000_000)
    payload = {"sub": "dealer-" + rand(string.digits, 4), "iss": "partner-api",
               "scope": "orders:read orders:write", "iat": now, "exp": now + 3600}
    return ".".join([b64u(json.dumps(header, separators=(",", ":")).encode()),
                     b64u(json.dumps(payload, separators=(",", ":")).encode()),
                     b64u(bytes(rng.randrange(256) for _ in range(32)))])


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(300))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


GEN = {
    # personal identifiers (valid / look-alikes that fail)
    "iban": lambda: ("id", gen_iban()),
    "iban_sp": lambda: ("id", group4(gen_iban())),
    "card": lambda: ("id", gen_card()),
    "card_sp": lambda: ("id", group4(gen_card())),
    "bsn": lambda: ("id", gen_bsn()),
    "bsn_dots": lambda: ("id", (lambda b: b[:4] + "." + b[4:6] + "." + b[6:])(gen_bsn())),
    "bad_iban_sp": lambda: ("bad", group4(gen_bad_iban())),
    "bad_card_sp": lambda: ("bad", group4(gen_bad_card())),
    "company_iban": lambda: ("public", PROFILE["public_identifiers"]["ibans"][0]),
    # credentials
    "ghp": lambda: ("secret", gen_ghp()),
    "akia": lambda: ("secret", "AKIA" + rand(string.ascii_uppercase + "234567", 16)),
    "aws_secret": lambda: ("secret", rand(ALNUM + "/+", 40)),
    "mollie": lambda: ("secret", "live_" + rand(ALNUM, 30)),
    "google": lambda: ("secret", "AIza" + rand(ALNUM + "_-", 35)),
    "jwt": lambda: ("secret", gen_jwt()),
    "pw": lambda: ("secret", rand(ALNUM, 10) + rng.choice("!#%&") + rand(ALNUM, 5)),
    "pem": lambda: ("secret", gen_pem()),
    "slack": lambda: ("secret", "xoxb-" + rand(string.digits, 11) + "-" + rand(string.digits, 13)
                      + "-" + rand(ALNUM, 24)),
    "openai": lambda: ("secret", "sk-proj-" + rand(ALNUM + "_-", 40) + "T3BlbkFJ" + rand(ALNUM + "_-", 40)),
    "stripe": lambda: ("secret", "sk_live_51" + rand(ALNUM, 96)),
    "glpat": lambda: ("secret", "glpat-" + rand(ALNUM + "_-", 20)),
}


def fw(s):
    """full-width look-alike of ASCII letters and digits"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zw(s):
    """zero-width spaces between letters"""
    return "\u200b".join(s)


CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"})

# --------------------------------------------------------------------------- #
# the cases
# --------------------------------------------------------------------------- #
CATS = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "compl": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def C(author, cats, text, lang="nl", kind="post", at=None, price=None):
    CASES.append(dict(author=author, cats=[CATS[c] for c in cats], text=text, lang=lang,
                      kind=kind, at=at, price=price))


# ---------------- complaints ----------------
C("x:@frieswoud", ["compl"],
  "@veldkamer_service al 3 weken geen reactie op mijn mail over de lekkende dakgoot van onze "
  "Duinpieper 12. Bij elke regenbui staat er een plas op de vloer. Wanneer komt er nou eens iemand kijken??",
  kind="reply")
C("reddit:u/smallspacesam", ["compl"],
  "PSA for anyone considering Veldkamer: our Wadlooper 24 was supposed to be delivered in May. It's now "
  "mid-August, three 'definitive' dates later, and we're paying rent AND a plot lease. Nobody at sales "
  "picks up the phone anymore.", lang="en")
C("facebook:Ilse Kooistra", ["compl"],
  "Kraan kon niet bij de achtertuin komen, terwijl we dat 2x hebben doorgegeven bij het intakegesprek. "
  "Huisje weer mee terug naar de fabriek en wij mogen €1.450 'extra transportkosten' betalen. "
  "Echt niet normaal Veldkamer.", kind="comment")
C("x:@joe_in_groningen", ["compl"],
  "condensation dripping off the ceiling of our Boomgaard 9 every single morning. 'normal for the first "
  "winter' says support. it's been TWO winters. #veldkamer", lang="en")
C("instagram:@moestuin.marjan", ["compl"],
  "Mooie plaatjes op jullie insta, maar onze gevelbekleding is na 8 maanden al helemaal grauw en "
  "gescheurd 😤 garantie 'valt er niet onder'. Zonde van t geld.", kind="comment")
C("forum:tinyhousenederland/heerenveen_harm", ["compl"],
  "Wie heeft er ervaring met de schroeffundering van Veldkamer? Bij ons staan 3 van de 12 palen scheef "
  "en de hele Heibloem zakt aan één kant weg. Monteur komt 'ergens in Q3'. Ben er eerlijk gezegd klaar mee.")
C("x:@annemiek_s", ["compl"],
  "@veldkamer_service aanbetaling van €6.000 teruggevraagd op 2 maart, nu is t juni. Elke keer 'het ligt "
  "bij finance'. Ik wil gewoon mn geld terug, is dat zo moeilijk", kind="reply")
C("tiktok:@dana.builds", ["compl"],
  "pov: you paid 31k for a garden studio and the door won't close when it rains bc the frame swells 🙃 "
  "thanks veldkamer #tinyhouse #fail", lang="en")
C("bluesky:@offgridolly.bsky.social", ["compl"],
  "Ordered the Zonnedak set with our Duinpieper. Installers left half the roof screws lying in the lawn "
  "and the inverter still isn't connected 6 weeks later. Veldkamer support: 'we'll escalate'. Sure you will.",
  lang="en")
# first-hand safety incidents: crisis + complaint
C("facebook:Gerbrich de Jong", ["crisis", "compl"],
  "Gisteravond vloog het stopcontact in de badkamer van onze Wadlooper 32 in brand!! Gelukkig stond mijn "
  "man ernaast met de blusdeken. Veldkamer wil 'een foto' en verder niks. Dit had heel anders kunnen aflopen.")
C("x:@pete_outdoors", ["crisis", "compl"],
  "Got a proper shock off the outdoor tap fitting on our Veldkamer studio this morning, arm's still "
  "tingling. Electrician says the earth was never connected. How is that even legal?? @veldkamer_service",
  lang="en")
C("reddit:u/throwaway_tinylife", ["crisis", "compl"],
  "Our CO alarm went off at 3am - the Ember stove Veldkamer installed was venting back into the house. "
  "Both kids nauseous, we spent the night in A&E. The sweep says the flue was fitted upside down. "
  "I'm shaking writing this.", lang="en")
C("instagram:@lieke_en_de_tuin", ["crisis", "compl"],
  "Dakpaneel van onze Duinpieper 18 is gisteren bij de storm losgeslagen en op de schouder van mn dochter "
  "terechtgekomen. Gekneusd, niks gebroken gelukkig 🙏 Maar volgens Veldkamer is het 'overmacht'. Nee dus.")
C("forum:tinyhousenederland/mamavanmees", ["crisis", "compl"],
  "Sinds we in onze Heibloem wonen heeft mijn zoontje constant hoofdpijn en branderige ogen. "
  "Binnenluchtmeting laten doen: formaldehyde ver boven de norm, uit de vloerplaten. We worden er "
  "letterlijk ziek van en Veldkamer reageert niet op mails.")
C("threads:@hannah.cottagecore", ["crisis", "compl"],
  "The ladder from the Veldkamer loft kit snapped while my partner was on it. Broken wrist. Their answer: "
  "'please send us the serial number'. unreal.", lang="en")
# abuse + complaint
C("x:@woedende_wim", ["abuse", "compl"],
  "Stelletje oplichters bij @veldkamer_nl, kankerbedrijf. 4 maanden te laat met ons huisje en nu nog "
  "meer geld willen zien ook")
C("reddit:u/angry_in_assen", ["abuse", "compl"],
  "Veldkamer's project managers are lying, incompetent morons. Ours promised a handover date five times "
  "and missed every one.", lang="en")
# complaint + customer's own data
C("x:@klaas_tiny", ["compl", "pii"],
  "@veldkamer_service bel me dan gewoon terug op 06-41829376 ipv elke keer een automatische mail. Gaat om "
  "order 55123, lekkende Schuurling", kind="reply")

# ---------------- crisis ----------------
C("x:@nieuwsfriesland", ["crisis"],
  "Brand in tiny house-park bij Sneek. Volgens omwonenden begonnen bij de houtkachel van een "
  "Veldkamer-woning. Bewoners konden op tijd naar buiten. Brandweer onderzoekt de oorzaak.")
C("x:@greenwatch_eu", ["crisis"],
  "BOYCOTT Veldkamer. Their 'sustainable' cladding turns out to be illegally logged meranti from Borneo, "
  "report out today. Don't buy their greenwashed sheds. #boycottveldkamer", lang="en")
C("reddit:u/rens_advocaatzaak", ["crisis", "compl"],
  "Wij stappen met 40 kopers naar de rechter tegen Veldkamer wegens structurele lekkages in de "
  "Wadlooper-serie. Advocaat is ingeschakeld, de dagvaarding gaat deze maand de deur uit. Meedoen? DM.")
C("x:@privacy_jurgen", ["crisis"],
  "Data van honderden klanten van Veldkamer (bouwtekeningen, paspoortkopieën, adressen) staat gewoon "
  "open op internet. Heb het 2 weken geleden gemeld, niks gehoord. Klanten: pas op!")
C("linkedin:marieke-vos-consumentenrecht", ["crisis"],
  "Veldkamer is recalling every Ember wood stove sold since 2024 over a cracked combustion chamber, "
  "per the NVWA notice this morning. If you own one: stop using it now.", lang="en")
C("tiktok:@undercover.ugo", ["crisis"],
  "Undercover bij Veldkamer: Poolse timmerlieden 60 uur per week voor €6 per uur, slapen in containers "
  "op het fabrieksterrein. Schandalig. Deel dit!! #veldkamer #uitbuiting")
C("x:@a7_verkeer", ["crisis"],
  "Reports coming in of a Veldkamer Kwelder 40 coming loose from its tow vehicle on the A7 near Joure, "
  "trailer ended up across two lanes. Hitch failure?", lang="en")
C("facebook:Sietske Hoekstra", ["crisis"],
  "De kraan van de Veldkamer-bouwers liet vanmiddag een complete tuinstudio op de auto van de buren "
  "vallen. Er liep net niemand, anders waren er doden gevallen. Ongelofelijk.")
C("x:@klokkenluider_nl", ["crisis"],
  "Niet meer kopen bij " + "Veldkamer".translate(CYR) + ". Ze hebben de medewerker ontslagen die de "
  "brandgevaarlijke bedrading aankaartte. #boycot")

# ---------------- abuse ----------------
C("x:@bas_bouwt_zelf", ["abuse"],
  "@marloes_bouwt jij bent echt de domste projectleider die ik ooit heb meegemaakt, ga een ander vak "
  "zoeken trut", kind="reply")
C("x:@grumpy_gareth", ["abuse"],
  "veldkamer staff are a bunch of useless clowns. f*** the lot of you", lang="en")
C("x:@dirkjan_vk", ["abuse"],
  "@bas_bouwt_zelf man hou toch je bek, debiel. Als je een Schuurling niet eens waterpas kan zetten moet "
  "je ook geen tiny house kopen", kind="reply")
C("instagram:@r0nny_0ff1c14l", ["abuse"],
  "k4nk3rb3dr1jf m3t j3 l3lijk3 k1pp3nh0kk3n 🤮 @veldkamer.tinyhomes", kind="comment")
C("x:@realtalk_rick", ["abuse"],
  "Of course the site foreman is a woman, no wonder the walls aren't straight lol. Veldkamer hiring for "
  "diversity instead of competence", lang="en")
C("tiktok:@henkie_echt", ["abuse"],
  "die monteurs van veldkamer zijn allemaal polen en roemenen die geen woord nederlands spreken, stuur "
  "die lui terug naar hun eigen land", kind="comment")
C("facebook:Ronald Brouwer", ["abuse"],
  "Die klantenservice van Veldkamer is een stelletje " + zw("tyfuslijers") + ", stuk voor stuk",
  kind="comment")
C("reddit:u/deliverydelayed", ["abuse"],
  "I know where that sales guy from Veldkamer lives. Maybe I'll pay him a visit and show him what "
  "'a small delay' feels like.", lang="en")
C("x:@veldkamer_service", ["abuse"],
  "@annemiek_s Misschien eerst even leren lezen voordat je gaat zeiken, mevrouw. Staat allemaal in de "
  "voorwaarden.", kind="reply")
C("x:@nooitmeer_nl", ["abuse"],
  "Veldkamer = k u t b e d r i j f. Nooit meer. En die arrogante eikels op de showroom ook niet.")

# ---------------- personal data ----------------
C("x:@veldkamer_service", ["pii"],
  "@tinyhouse_tessa Hoi Tessa! We hebben je terugbetaling van €2.300 klaargezet naar <<iban>> "
  "(t.n.v. T. Kramer). Dit kan 2-3 werkdagen duren 🙂", kind="reply")
C("linkedin:anouk-terpstra-vk", ["pii"],
  "Welkom aan onze nieuwe collega Femke de Graaf! 🎉 Voor de payroll alvast: BSN <<bsn>>, geboren "
  "14-03-1996. Vergeet je ID niet maandag 😊")
C("x:@yara_devops", ["pii"],
  "anyone seen this before? `ERROR payment_failed customer=j.vanleeuwen@ziggo.nl card=<<card_sp>> "
  "exp=09/28 reason=do_not_honor` keeps popping up in the checkout logs", lang="en")
C("facebook:VeldkamerTinyHomes", ["pii"],
  "🎉 En de winnaar van onze Schuurling-winactie is... Henk Bosma, Kerkstraat 14, 8601 BM Sneek! "
  "We bellen je vandaag nog op 06 2841 7730 👏")
C("instagram:@joost.timmert", ["pii"],
  "Vandaag opgeleverd bij de familie Veenstra, Dijkweg 22 in Workum. Wat een plek aan het water 🌅 "
  "#veldkamer #timmerman")
C("x:@olivia_h_nl", ["pii", "compl"],
  "@veldkamer_service you charged my card twice for the deposit!! Here's the number so you can check: "
  "<<card>>, name on card Olivia Hartley. Please sort it out", lang="en", kind="reply")
C("forum:tinyhousenederland/pieterh71", ["pii"],
  "Kan iemand me helpen met de subsidieaanvraag voor de Polderkamer? Mijn gegevens: Pieter Hoekstra, "
  "geb. 02-11-1971, BSN <<bsn_dots>>, mail p.hoekstra71@hotmail.com. Wat moet er bij 'kadastraal perceel'?")
C("mastodon:@sjoerd_vk", ["pii"],
  "Whoever keeps pasting the customer export into #general: stop. Row I just saw: "
  "'Ingrid Mulder;ingrid.mulder@kpnmail.nl;+31 6 48201937;Zeedijk 3, Harlingen'", lang="en")
C("x:@veldkamer_nl", ["pii"],
  "Happy birthday to Lars Eriksen, born 30-06-1988 and our 500th customer! 🎂 Your Wadlooper 24 is on "
  "its way, Lars!", lang="en")
C("facebook:Gerda Smit", ["pii"],
  "Te koop: onze Schuurling 6 uit 2024, in prima staat. Bellen of appen naar 06-19283746 of mail "
  "gerda.smit@live.nl")
C("bluesky:@lotte-vk.bsky.social", ["pii"],
  "haha een klant heeft per ongeluk de aanbetaling naar mijn privérekening gestuurd 🙈 ik maak het "
  "terug, voor de administratie: <<iban_sp>> t.n.v. L. Visser")
C("reddit:u/greg_in_gelderland", ["pii", "compl"],
  "Veldkamer's sales rep cc'd me on another customer's quote. So now I have Mark de Wit's details: "
  "0031 6 55 78 21 09, m.dewit@xs4all.nl, plot on Esweg 8 Ede. Kinda sloppy, Veldkamer.", lang="en")
C("linkedin:veldkamer-tiny-homes", ["pii"],
  "Open dag zaterdag in Heerenveen! Vragen vooraf? Bel gerust onze collega Merel Dijkstra, privé "
  "06 3829 1047, ook in het weekend bereikbaar.")
C("x:@marloes_bouwt", ["pii"],
  "Kan iemand van planning even Johan Bakker bellen? " + fw("06-27384910") + " — hij staat al een uur "
  "voor een dichte poort in Drachten")

# ---------------- secrets ----------------
C("x:@yara_devops", ["secret"],
  "why does the deploy keep failing 😩 `export GITHUB_TOKEN=<<ghp>>` works on my machine…", lang="en")
C("reddit:u/vk_configurator_dev", ["secret"],
  "Configurator still can't upload renders to S3:\n```\n[default]\naws_access_key_id = <<akia>>\n"
  "aws_secret_access_key = <<aws_secret>>\nregion = eu-central-1\n```\nWhat IAM policy am I missing?",
  lang="en")
C("mastodon:@sjoerd_vk", ["secret"],
  "Mollie webhook test werkt eindelijk 🎉 (<<mollie>> even snel hardcoded, ruim ik morgen op)")
C("youtube:@VeldkamerTV", ["secret"],
  "Rondleiding door de Wadlooper 32 🎥 Alle maten en materialen in de beschrijving.\n\n"
  "[upload-script: YT_API_KEY=<<google>>]")
C("x:@dirkjan_vk", ["secret"],
  "wie weet t wifi van de showroom in Heerenveen nog? o wacht staat hier al op het briefje: "
  "netwerk VK-Showroom, wachtwoord: <<pw>>")
C("reddit:u/vk_configurator_dev", ["secret"],
  "Partner API keeps returning 401 with this bearer, is the exp claim wrong or am I signing it with the "
  "wrong secret?\n\nAuthorization: Bearer <<jwt>>", lang="en")
C("x:@yara_devops", ["secret"],
  "sanity check pls, connection refused from the new runner: "
  "postgresql://vk_orders:<<pw>>@10.20.4.17:5432/orders", lang="en")
C("mastodon:@sjoerd_vk", ["secret"],
  "deploy box wants this key but ssh says 'invalid format'?? \n<<pem>>", lang="en")
C("x:@curious_hacker", ["secret"],
  "lol @veldkamer_nl your configurator ships its Slack bot token in the JS bundle: <<slack>> "
  "might want to rotate that", lang="en")
C("tiktok:@bouwer.bram", ["secret"],
  "Zelf een AI-assistent voor offertes in elkaar geknutseld 🤖 werkt echt top, kijk maar. "
  "(key: <<openai>>)")
C("bluesky:@lotte-vk.bsky.social", ["secret"],
  "stripe keeps rejecting the webhooks. I'm using <<stripe>> , is the webhook signing secret something "
  "different??", lang="en")
C("linkedin:ruben-hofstede-veldkamer", ["secret"],
  "Voor de auditors: het portaal werkt weer. Gebruiker audit2026, w-a-c-h-t-w-o-o-r-d: <<pw>> "
  "(morgen wijzig ik het)")
C("x:@yara_devops", ["secret", "conf"],
  "new runner registration for gitlab.vk-intern.nl, token glpat: <<glpat>> — can someone with admin "
  "approve it?", lang="en")

# ---------------- security ----------------
C("x:@yara_devops", ["sec"],
  "Not public yet but we've had ransomware on the ERP since Sunday night. Production planning is back on "
  "whiteboards. Please don't ask me when it's fixed 😵", lang="en")
C("mastodon:@sjoerd_vk", ["sec"],
  "Onder ons: het klantportaal had een IDOR. Ordernummer in de URL aanpassen en je zag de bouwtekeningen "
  "en adressen van andere klanten. Sinds gisteren dicht, communicatie volgt 'later'.")
C("reddit:u/vk_configurator_dev", ["sec"],
  "The Huisbrein hubs all ship with the same root password and SSH open on the LAN. We flagged it in "
  "March, still not patched, and management doesn't want a disclosure. Feels bad man.", lang="en")
C("x:@dirkjan_vk", ["sec"],
  "Iemand bij finance heeft op een phishingmail geklikt en nu zit er een onbekende in de "
  "boekhoudmailbox die bankgegevens op leveranciersfacturen aan het 'wijzigen' is. IT is ermee bezig, "
  "nog niks naar buiten gebracht.")
C("bluesky:@lotte-vk.bsky.social", ["sec"],
  "configurator.veldkamer.nl is down all weekend and it's not 'maintenance' — someone got in through an "
  "old wordpress plugin. shh 🤫", lang="en")
C("tiktok:@bouwer.bram", ["sec"],
  "Fabriek in Drachten ligt al 2 dagen stil omdat de CNC-machines een virus hebben, wij maar koffie "
  "drinken ☕ niemand mag het zeggen maar ja")
C("linkedin:ruben-hofstede-veldkamer", ["sec"],
  "Between us: the payment page was leaking card data through a debug endpoint for about three weeks. "
  "Forensics firm starts Monday. Not a great quarter.", lang="en")
C("x:@marloes_bouwt", ["sec"],
  "Planningstool ligt er wéér uit en nu blijkt de backup van de afgelopen maand corrupt. Klanten weten "
  "nog van niks dus stuur aub geen leverbevestigingen tot vrijdag")
C("mastodon:@sjoerd_vk", ["sec"],
  "Found the cause: since the migration our S3 bucket with customers' permit documents was public-read. "
  "Closed it now, legal is deciding whether we have to notify anyone.", lang="en")
C("instagram:@joost.timmert", ["sec"],
  "Camera's en toegangspassen op de werf doen het al een week niet, iedereen kan zo naar binnen lopen. "
  "Hopelijk leest er geen dief mee 😅")
C("x:@yara_devops", ["sec"],
  fw("ransomware") + " op de fileserver again 🙃 zeg maar niks tegen de klanten, we zijn er mee bezig")
C("x:@ex_vk_sysadmin", ["sec"],
  "Ex-Veldkamer IT here: their VPN still accepts my old account. Three months after I left. Nobody has "
  "noticed. Tempted to tell them, tempted not to.", lang="en")
C("reddit:u/vk_configurator_dev", ["sec", "conf"],
  "gitlab.vk-intern.nl is down because someone deleted the protected main branch and the backups haven't "
  "run since June. don't tell sales.", lang="en")

# ---------------- confidential ----------------
C("x:@marloes_bouwt", ["conf"],
  "Eerste proefmodel van Project Zwaluwnest staat in hal 3 🐦 kan niet wachten tot we dit mogen laten zien!")
C("linkedin:ruben-hofstede-veldkamer", ["conf"],
  "Great full-day workshop on Kraanvogel today. Exciting times ahead for this team! 🚀", lang="en")
C("tiktok:@bouwer.bram", ["conf"],
  "0p3r4t13 R13tkr44g gaat gewoon door hoor, hoorde het vanochtend op de werf 👀")
C("instagram:@veldkamer.tinyhomes", ["conf"],
  "Sneak peek 👀 De Duinpieper XL komt eraan… meer mogen we nog niet zeggen! #veldkamer #binnenkort")
C("bluesky:@lotte-vk.bsky.social", ["conf"],
  "screenshot from the new sales deck (VK-INTERN) — the Kwelder 50 floor plan is gorgeous 😍", lang="en")
C("x:@dirkjan_vk", ["conf"],
  "Kan iemand me de nieuwe prijslijst sturen? Staat op "
  "https://intra.veldkamer.local/sales/prijzen-2027.xlsx maar ik kom er niet in")
C("mastodon:@sjoerd_vk", ["conf"],
  "'niet extern delen' they said, but honestly the modular roof on the Wadlooper Flex is the best thing "
  "we've ever built", lang="en")
C("reddit:u/tiny_house_tipster", ["conf"],
  "My cousin works at Veldkamer and says Project Zwaluwnest is a stackable tiny-house block for "
  "municipalities, launching next year. You heard it here first.", lang="en")
C("reddit:u/vk_configurator_dev", ["conf"],
  "anyone else getting cert errors on vpn.veldkamer.nl since this morning? can't reach the build server",
  lang="en")
C("x:@yara_devops", ["conf"],
  "Demo van Project Zwal\u200buwnest voor de gemeente Leeuwarden ging super! Trots op dit team 💪")
C("linkedin:veldkamer-tiny-homes", ["conf"],
  "Join our webinar on garden-office financing! Staff link: https://planning.vk-intern.nl/webinar/sept",
  lang="en")
C("x:@marloes_bouwt", ["conf"],
  "Druk bezig met de layout van de jaarcijfers 2026, de drukker wil alles vrijdag binnen hebben 📚",
  at="2027-02-10T15:12:04Z")
C("linkedin:ruben-hofstede-veldkamer", ["conf", "fin"],
  "FY2026 results: revenue up 18% to €74.2m, EBITDA margin 11%. Proud of this team, more next week!",
  lang="en", at="2027-03-02T18:40:51Z")
C("x:@tinyhouse_insider", ["conf"],
  "Gelekte brochure: de Kwelder 50 wordt 15 meter lang en krijgt een dakterras. Veldkamer houdt het nog stil.",
  at="2027-04-01T11:05:33Z")
C("instagram:@joost.timmert", ["conf"],
  "Hele dag overleg over " + fw("Kraanvogel") + ", hoofd zit vol 🤯 nu eerst een biertje")
C("x:@dirkjan_vk", ["conf", "fin"],
  "Reminder: Kraanvogel data room is on erp.vk-intern.nl/dataroom, NDA applies, don't forward the link",
  lang="en")
C("x:@veldkamer_nl", ["conf"],
  "VK-INTERN: lancering Duinpieper XL verschoven naar week 12, marketing graag planning aanpassen")

# ---------------- financial ----------------
C("linkedin:ruben-hofstede-veldkamer", ["fin"],
  "Q3 is nog niet gepubliceerd, maar de omzetprognose van €80 miljoen gaan we niet halen. Eerder €65. "
  "Zware tijden voor de sector.")
C("x:@dirkjan_vk", ["fin"],
  "Volgens de wandelgangen gaan er na de zomer 45 banen weg in de fabriek in Drachten. Niemand durft het "
  "hardop te zeggen.")
C("mastodon:@sjoerd_vk", ["fin"],
  "Hearing we're being bought by a Swedish modular-housing group, signing planned for November. "
  "Nothing announced yet obviously", lang="en")
C("x:@woonmarkt_watcher", ["fin"],
  "Source at Veldkamer tells me they're closing the Heerenveen showroom and moving all sales online early "
  "next year. Not announced yet.", lang="en")
C("instagram:@joost.timmert", ["fin"],
  "Laatste dag voor de halve ploeg 💔 reorganisatie vanochtend intern aangekondigd, naar buiten pas in "
  "maart. Ben er kapot van.")
C("x:@veldkamer_nl", ["fin"],
  "[CONCEPT – niet publiceren vóór 15/10] Veldkamer Tiny Homes neemt Noordhout Modulebouw over voor "
  "€14 mln. Met deze overname verdubbelen we onze productiecapaciteit.")
C("bluesky:@lotte-vk.bsky.social", ["fin"],
  "forecast for next year just got slashed from 1,400 units to 900. board meeting was brutal. not public "
  "obviously", lang="en")
C("tiktok:@bouwer.bram", ["fin"],
  "Bonus gaat niet door want we draaien dit jaar 3 miljoen verlies 🙄 maar dat mag je pas in het "
  "jaarverslag lezen")
C("reddit:u/zwager_weet_alles", ["fin"],
  "Mn zwager zit in de OR bij Veldkamer: ze willen de productie naar Polen verplaatsen, 120 man op straat. "
  "Nog niet bekend gemaakt.")
C("x:@yara_devops", ["fin"],
  "L A Y O F F S round 2 at VK next month, IT is half the list. great. just great.", lang="en")
C("tiktok:@bouwer.bram", ["fin", "conf"],
  "Operatie Rietkraag = de hele afdeling afwerking naar een onderaannemer, 30 man eruit. Zo dat is eruit.")

# ---------------- pricing ----------------
C("x:@veldkamer_nl", ["pricing"],
  "🔥 Zomerdeal: de Wadlooper 24 nu voor maar €8.950! Op=op, bestel via de webshop", price=("VK-WL24", 8950))
C("x:@jelmer_koopt", ["pricing"],
  "Yo de Duinpieper 12 staat op de site voor €2.495 😳 prijsfout?? meteen besteld", price=("VK-DP12", 2495))
C("x:@marloes_bouwt", ["pricing"],
  "Collega's, klant belt net: Heibloem 18 staat in de configurator voor €6.490 ipv €64.900. Wie kan dat "
  "fixen voor het viral gaat?", price=("VK-HB18", 6490))
C("reddit:u/dealhunter_eu", ["pricing"],
  "Veldkamer's webshop has the Klimaatbox 3 listed at €345. Either a pricing error or Christmas came early.",
  lang="en", price=("VK-KB3", 345))
C("facebook:VeldkamerTinyHomes", ["pricing"],
  "Alleen dit weekend: Ember houtkachel voor €189 incl. montage! 🔥", price=("VK-EM1", 189))
C("tiktok:@cheapskate_chloe", ["pricing"],
  "bought a Boomgaard 9 garden office for €1,790 on their site this morning, order confirmed 😂 let's see "
  "if they honour it", lang="en", price=("VK-BG9", 1790))
C("bluesky:@lotte-vk.bsky.social", ["pricing"],
  "uh oh, the price feed just pushed the Kwelder 40 at €12,900 to all dealer portals. someone roll it back "
  "pls", lang="en", price=("VK-KW40", 12900))
C("facebook:Marco Jansma", ["pricing"],
  "Prijsfoutje bij Veldkamer? Zonnedak 3 kWp set voor 529 euro in de webshop. Weet iemand of ze dat "
  "gewoon leveren?", price=("VK-ZD3", 529))
C("instagram:@veldkamer.tinyhomes", ["pricing"],
  "Polderkamer 15 from €4,875 — give your parents the space they deserve 💛", lang="en",
  price=("VK-PK15", 4875))
C("x:@dirkjan_vk", ["pricing"],
  "lol de TC-7 chassis staat in de webshop voor 980 euro, die gaan hard vandaag", price=("VK-TC7", 980))
C("forum:tinyhouseforum.eu/bargainbert", ["pricing"],
  "Heads-up: the Droogloo composting toilet on veldkamer.nl is showing €119.50, probably a decimal error. "
  "grab it before they fix it", lang="en", price=("VK-CT2", 119.50))
C("mastodon:@sjoerd_vk", ["pricing"],
  "The Vlieringset price error from yesterday cost us 63 orders. Finance is furious.", lang="en")

# ---------------- benign (mostly hard negatives) ----------------
C("x:@veldkamer_nl", [],
  "Vragen over je bestelling? Mail naar klantenservice@veldkamer.nl of bel gratis 0800-8355 "
  "(ma-vr 8-18 uur) 📞")
C("facebook:VeldkamerTinyHomes", [],
  "Let op: betaal je aanbetaling altijd naar ons eigen rekeningnummer <<company_iban>> t.n.v. Veldkamer "
  "Tiny Homes B.V. en vermeld je ordernummer. Wij vragen nooit via WhatsApp om te betalen!")
C("instagram:@veldkamer.tinyhomes", [],
  "Najaarsactie 🍂 Duinpieper 12 nu €21.207,50 i.p.v. €24.950 (15% korting). Alleen in oktober!",
  price=("VK-DP12", 21207.50))
C("x:@veldkamer_nl", [],
  "Spring sale: 20% off the Boomgaard 9 garden office, now €14,320 (was €17,900). Work from home, "
  "literally.", lang="en", price=("VK-BG9", 14320))
C("x:@tiny_tessa", [],
  "Eindelijk onze Heibloem 18 opgeleverd 😍 binnen 1 dag stond ie, de jongens van Veldkamer waren super. "
  "Die houtkachel brandt nu al heerlijk 🔥")
C("reddit:u/smallspacesam", [],
  "Is the Wadlooper 24 worth €89,500? Comparing it with two other builders, curious about real owner "
  "experiences (good AND bad).", lang="en", price=("VK-WL24", 89500))
C("x:@modular_news", [],
  "Wow, another German modular builder announcing 200 layoffs and a heat-pump recall. Rough year for the "
  "sector. Glad our Veldkamer studio has been trouble-free so far.", lang="en")
C("forum:tinyhousenederland/frieswoud", [],
  "Update: de dakgoot van onze Duinpieper is vorige week netjes gerepareerd door Veldkamer, monteur was "
  "heel vriendelijk en het lekt niet meer. Complimenten!")
C("x:@ome_evert", [],
  "Mijn vrouw wil een Schuurling 6 als 'mancave' voor me. Ik vermoed dat ze me gewoon de tuin uit wil "
  "hebben 😂")
C("x:@yara_devops", [],
  "PSA for the team wiki: use AKIAIOSFODNN7EXAMPLE in docs and screenshots, never a real key. AWS' own "
  "docs use that one for a reason.", lang="en")
C("mastodon:@sjoerd_vk", [],
  "rotated the webhook token (sk_live_••••••••, old one revoked). If your local env breaks, pull the new "
  "one from the vault, don't ask for it in chat 🙏", lang="en")
C("x:@waakzame_wietske", [],
  "Let op: er gaan nepfacturen rond 'namens Veldkamer' met rekeningnummer <<bad_iban_sp>>. Klopt niet eens, "
  "mijn bank-app gaf een foutmelding. Niet betalen!!")
C("reddit:u/scam_spotter", [],
  "Got a phishing SMS 'from Veldkamer' asking me to verify card <<bad_card_sp>> for my delivery. "
  "Not my card, and the number doesn't even validate lol. Report these.", lang="en")
C("linkedin:anouk-terpstra-vk", [],
  "We zoeken een werkvoorbereider! 💪 Zin om tiny houses mee te bouwen? Solliciteer via "
  "werkenbij@veldkamer.nl #vacature #Heerenveen")
C("linkedin:veldkamer-tiny-homes", [],
  "Our full-year 2026 results are out: revenue €74.2m, up 18%. Read the full report on "
  "veldkamer.com/investors.", lang="en", at="2027-03-11T09:30:00Z")
C("instagram:@veldkamer.tinyhomes", [],
  "Ze is er!! De Kwelder 50 🎉 15 meter tiny living met dakterras. Vanaf vandaag te zien in de showroom.",
  at="2027-04-15T10:00:00Z")
C("x:@groningen_greta", [],
  "Saw the new Duinpieper XL at the showroom today, looks really good. Anyone know the delivery times?",
  lang="en", at="2027-04-20T13:22:10Z")
C("x:@hennie_tuinier", [],
  "Sterkte aan het hele team van Veldkamer na het overlijden van jullie oprichter Gerrit. Wat een vakman "
  "was hij 🕯️")
C("tiktok:@cedar.and.chill", [],
  "this garden studio is SICK 🔥🔥 veldkamer absolutely killing it with the cedar cladding", lang="en")
C("facebook:Annie Postma", [],
  "Weet iemand of 0513 745 200 echt het nummer van Veldkamer is? Kreeg een voicemail over mijn levering.")
C("instagram:@joost.timmert", [],
  "Weer een Wadlooper 32 de deur uit 💪 ruim 40m² vakmanschap. #timmerman #tinyhouse")
C("youtube:@VeldkamerTV", [],
  "New video: how we insulate the Heibloem 18 for Dutch winters, and why we skip spray foam.", lang="en")
C("x:@vogelaar_vera", [],
  "Vanochtend vanuit onze Veldkamer-tuinstudio een groep kraanvogels over zien komen 🐦 wat een uitzicht "
  "heb je dan toch")
C("x:@jorrit_wfh", [],
  "Three storms this winter and not a single leak in our Boomgaard 9. Well built, Veldkamer.", lang="en")
C("x:@tinyhouse_coach", [],
  "Vertrouwelijk advies aan iedereen die een tiny house wil: ga EERST langs de gemeente voordat je de "
  "configurator van Veldkamer opent 😉")
C("x:@veldkamer_service", [],
  "@frieswoud Wat fijn dat de dakgoot nu goed loopt! Mocht er nog iets zijn, mail gerust naar "
  "service@veldkamer.nl. Fijne dag!", kind="reply")
C("forum:tinyhousenederland/subsidiesusan", [],
  "Bij de subsidieaanvraag vroegen ze mijn BSN. Typte ik voor de grap 123456789 in en kreeg ik 'ongeldig "
  "nummer'. Blijkt er een 11-proef op te zitten, wist ik niet!")
C("x:@dirkjan_vk", [],
  "Lekker bezig vandaag, 3 schroeffunderingen gezet in Grou. Zonnetje erbij, wat wil je nog meer ☀️")
C("threads:@minimal_mike", [],
  "Is the Ember stove (€1,890) worth it over a regular pellet stove for a 30m² tiny house? Thoughts?",
  lang="en", price=("VK-EM1", 1890))
C("tiktok:@veldkamer", [],
  "Hoe krijg je een tuinstudio in een achtertuin zonder kraan? Zo dus 🎬 #veldkamer #tuinstudio")
C("x:@infosec_ines", [],
  "Big data breach at a UK caravan maker today, 80k customers. Reminder to use unique passwords "
  "everywhere, folks. (My Veldkamer account got a new one too, just in case.)", lang="en")
C("bluesky:@lotte-vk.bsky.social", [],
  "Reminder for everyone coming to the open day: the guest wifi password is on the sign by the coffee "
  "machine ☕", lang="en")
C("reddit:u/cosy_carl", [],
  "Got the Klimaatbox 3 for €2,587.50 in the Black Friday sale (25% off). Quiet and warm so far.",
  lang="en", price=("VK-KB3", 2587.50))
C("instagram:@oma_in_de_tuin", [],
  "Onze Polderkamer 15 voor oma is af! Ze noemt het haar 'paleisje' 👵💕", kind="comment")
C("linkedin:ruben-hofstede-veldkamer", [],
  "Proud to share our H1 2026 figures, published this morning on veldkamer.com: 412 homes delivered and a "
  "full order book. 🙌", lang="en")
C("x:@betaald_en_blij", [],
  "Aanbetaling voor de Duinpieper gedaan vanaf NL** **** **** **** 12, nu nog wachten op de bevestiging 🤞")
C("mastodon:@homeassistant_hugo", [],
  "Wrote a blog post on hooking the Huisbrein hub of our Veldkamer studio into Home Assistant. Tokens in the "
  "screenshots are redacted as eyJ…REDACTED, before anyone asks.", lang="en")
C("x:@proud_dad_ben", [],
  "My toddler crashed straight into the Veldkamer display model at the garden fair and the sales guy just "
  "laughed and gave her a sticker. Lovely people.", lang="en")
C("x:@veldkamer_nl", [],
  "Let op: onze klantenservice is op Koningsdag gesloten. Spoed? Bel +31 513 745 200 🧡")
C("forum:tinyhouseforum.eu/permit_paula", [],
  "Does a 15 m² garden studio need a permit in Utrecht? Looking at the Duinpieper 18 but want to be sure "
  "first before I order.", lang="en")
C("tiktok:@bouwer.bram", [],
  "Dag uit het leven van een tiny house bouwer 🔨 hoeveel schroeven denk jij dat er in een Wadlooper gaan? "
  "Antwoord in de comments!")
C("x:@yogi_yasmin", [],
  "Boycotting fast fashion this year, spending on experiences instead. Our Veldkamer garden studio is now a "
  "yoga room 🧘", lang="en")
C("facebook:Tjitske Wiersma", [],
  "Schuurling 6 in de uitverkoop voor €5.915 (30% korting), wat een deal! Morgen ophalen 😊",
  price=("VK-SL6", 5915))
C("youtube:@tinyhousetours_nl", [],
  "Mooie tour! Kost de Kwelder 40 echt €129.000? Best veel, maar je krijgt er ook wat voor.",
  kind="comment", price=("VK-KW40", 129000))
C("x:@yara_devops", [],
  "TIL GitHub tokens like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx end in a CRC32 checksum so secret "
  "scanners can verify them offline. neat design", lang="en")
C("x:@influencer_isa", [],
  "Mijn insta ontploft sinds ik foto's van onze Veldkamer-studio heb gepost haha 💥💥")
C("reddit:u/stove_safety_steve", [],
  "Thoughts with the family in Zwolle whose tiny house burned down last night. Not a Veldkamer one btw, "
  "but a good reminder to get your stove serviced before winter.", lang="en")
C("mastodon:@sjoerd_vk", [],
  "Nieuwe versie van de configurator staat live op configurator.veldkamer.nl 🚀 feedback welkom!")
C("x:@swallow_spotter", [],
  "There's a zwaluwnest (swallows' nest) under the eaves of our Veldkamer studio. Not evicting them 🐦",
  lang="en")
C("linkedin:veldkamer-tiny-homes", [],
  "Trots: vandaag leverden we onze 1000e woning op! Dank aan alle klanten, bouwers en buren die al dat "
  "kraangeweld verdroegen 🙏")
C("forum:tinyhousenederland/klimaat_kees", [],
  "Net met de service gebeld (0800-8355), binnen 10 min geholpen met mijn Klimaatbox. Chapeau.")
C("x:@cancelled_but_happy", [],
  "Credit where due: Veldkamer refunded my deposit within a week after I cancelled. Smooth process.",
  lang="en")
C("instagram:@joost.timmert", [],
  "Regen regen regen ☔ maar binnen in de Heibloem is het droog en warm. Zo hoort het.")
C("tiktok:@grappige_gijs", [],
  "POV: opa bouwt zelf een tiny house omdat Veldkamer 'te duur' is en nu woont ie in een kippenhok 😂😂")
C("x:@diy_dave", [],
  "Wadlooper 32 at €112k vs building it yourself for maybe 70k plus two years of your life. I'll pay.",
  lang="en", price=("VK-WL32", 112000))
C("instagram:@veldkamer.tinyhomes", [],
  "Press enquiries: pers@veldkamer.nl 📩 Our media kit is on veldkamer.com/press.", lang="en")
C("reddit:u/homelab_hanna", [],
  "For my Huisbrein integration I connect to postgres://user:password@localhost:5432/mydb — yes that's the "
  "placeholder from the tutorial, don't @ me.", lang="en")
C("x:@beursblik_nl", [],
  "Jaarcijfers 2026 van Veldkamer zijn best sterk zeg, 18% groei in deze markt.",
  at="2027-03-12T08:15:42Z")
C("linkedin:ruben-hofstede-veldkamer", [],
  "FY2026 results published this morning. Thanks to everyone who made this year possible!",
  lang="en", at="2027-03-11T08:00:17Z")
C("x:@dochter_van_dini", [],
  "Onze Polderkamer is nu de plek waar mijn moeder herstelt van haar chemo tegen kanker. Dankbaar voor de "
  "snelle levering, Veldkamer ❤️")
C("facebook:Durk Zijlstra", [],
  "Bij de Veldkamer-stand op de Tuinbeurs: Terrasdek 10 voor €2.340 en de Bijvanger 500 voor €285. "
  "Niet goedkoop, wel degelijk spul.", price=("VK-TD10", 2340))
C("x:@veldkamer_service", [],
  "@pete_outdoors Dat is schrikken, sorry! Onze elektromonteur komt morgen om 9:00 bij je langs en "
  "controleert de hele installatie kosteloos. Laat je het weten als er nog iets is?", kind="reply")

# --------------------------------------------------------------------------- #
# build
# --------------------------------------------------------------------------- #
RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

ROLES = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLES[a.lower()] = role
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"(?<![A-Z0-9])NL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}(?![0-9])")
CARD_RE = re.compile(r"(?<![\w-])(?:\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}|\d{13,19})(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")


def scan_ids(text):
    """all IBAN / card / BSN candidates in NFKC-normalised text: (kind, value, valid)"""
    t = unicodedata.normalize("NFKC", text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = m.group().replace(" ", "")
        if v not in PUBLIC_IBANS:
            out.append(("iban", v, iban_valid(v)))
    for m in CARD_RE.finditer(t):
        out.append(("card", m.group(), luhn_valid(m.group())))
    for m in BSN_RE.finditer(t):
        out.append(("bsn", m.group(), bsn_valid(m.group())))
    return out


def severity(cats, role, checked_id):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "critical" if (c in ("leak.secret", "leak.pricing")
                                   or (c == "leak.pii" and checked_id)) else "error"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if RANK[s] > RANK[sev]:
            sev = s
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 3, 6, 0, tzinfo=dt.timezone.utc)
    end = dt.datetime(2026, 12, 29, 22, 0, tzinfo=dt.timezone.utc)
    sec = rng.randint(0, int((end - start).total_seconds()))
    return (start + dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    rows, meta = [], []
    for n, idx in enumerate(order):
        c = CASES[idx]
        platform, handle = c["author"].split(":", 1)
        role = ROLES.get(c["author"].lower(), "public")
        made = []

        def sub(m):
            kind, val = GEN[m.group(1)]()
            made.append((m.group(1), kind, val))
            return val

        text = re.sub(r"<<(\w+)>>", sub, c["text"])
        pid = None
        while pid is None or pid in used_ids:
            pid = "%s-%d" % ({"x": "tw"}.get(platform, platform[:2]), rng.randint(10 ** 11, 10 ** 12 - 1))
        used_ids.add(pid)
        created = c["at"] or rand_time()
        ids = scan_ids(text)
        checked = "leak.pii" in c["cats"] and any(v for _, _, v in ids)
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle}, "text": text, "created_at": created,
                "brand": "Veldkamer"}
        if rng.random() < 0.85:
            post["lang"] = c["lang"]
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-")[1])
        cats = sorted(set(c["cats"]))
        rows.append({"post": post, "expect": {"categories": cats,
                                              "severity": severity(cats, role, checked)}})
        meta.append(dict(case=c, role=role, made=made, ids=ids))
    return rows, meta


# --------------------------------------------------------------------------- #
# self-checks
# --------------------------------------------------------------------------- #
def parse_time(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows, meta):
    errs = []
    valid_cats = set(CATS.values()) | {"reputation.spike"}
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    ids = set()
    internal = [d.lower() for d in PROFILE["internal"]["domains"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    codenames = [m.lower() for m in PROFILE["internal"]["codenames"]]
    texts = set()
    for row, m in zip(rows, meta):
        p, e = row["post"], row["expect"]
        tag = p["id"]
        # CONTRACT section 6 shape
        if set(row) != {"post", "expect"}:
            errs.append((tag, "keys"))
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256) or p["id"] in ids:
            errs.append((tag, "id"))
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append((tag, "platform/kind"))
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append((tag, "handle"))
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append((tag, "text"))
        try:
            parse_time(p["created_at"])
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["created_at"])
        except Exception:
            errs.append((tag, "created_at"))
        if e["severity"] not in RANK or not set(e["categories"]) <= valid_cats:
            errs.append((tag, "expect"))
        if e["categories"] != sorted(set(e["categories"])) or "reputation.spike" in e["categories"]:
            errs.append((tag, "categories order/spike"))
        if (not e["categories"]) != (e["severity"] == "none"):
            errs.append((tag, "benign iff none"))
        if p["text"] in texts:
            errs.append((tag, "duplicate text"))
        texts.add(p["text"])
        # severity recomputed independently from the role in the profile
        role = ROLES.get(("%s:%s" % (p["platform"], p["account"]["handle"])).lower(), "public")
        if role != m["role"]:
            errs.append((tag, "role"))
        positive = bool(e["categories"])
        # identifiers: placeholders and an independent scan
        for name, kind, val in m["made"]:
            if kind == "id":
                ok = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}[name.split("_")[0]](val)
                if not ok or not positive:
                    errs.append((tag, "valid id in wrong place " + name))
            elif kind == "bad":
                ok = {"iban": iban_valid, "card": luhn_valid}[name.split("_")[1]](val)
                if ok or positive:
                    errs.append((tag, "look-alike passes / in positive " + name))
            elif kind == "public":
                if val.replace(" ", "") not in PUBLIC_IBANS:
                    errs.append((tag, "public iban"))
            elif kind == "secret" and "leak.secret" not in e["categories"]:
                errs.append((tag, "secret in non-secret case"))
        for kind, val, ok in m["ids"]:
            if positive and not ok:
                errs.append((tag, "invalid %s %s in positive" % (kind, val)))
            if not positive and ok:
                errs.append((tag, "valid %s %s in benign" % (kind, val)))
        if "leak.pii" in e["categories"] and role != "public":
            want = "critical" if any(ok for _, _, ok in m["ids"]) else "error"
            if RANK[e["severity"]] < RANK[want]:
                errs.append((tag, "pii severity"))
        # credentials built like the real ones
        t = p["text"]
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if set(tok[4:]) != {"x"} and not ghp_valid(tok):
                errs.append((tag, "ghp checksum"))
        for tok in re.findall(r"AKIA[0-9A-Z]{16}", t):
            if positive and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                errs.append((tag, "akia"))
            if not positive and not tok.endswith("EXAMPLE"):
                errs.append((tag, "real-looking AKIA in benign"))
        for tok in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", t):
            hdr = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
            if "alg" not in hdr or not positive:
                errs.append((tag, "jwt"))
        secret_like = re.search(r"gh[pousr]_(?!x{36})[0-9A-Za-z]{36}|AKIA[A-Z2-7]{16}(?<!EXAMPLE)|PRIVATE KEY-----|"
                                r"xox[bpa]-\d|sk_live_[0-9A-Za-z]{10,}|sk-proj-|live_[0-9A-Za-z]{30}|"
                                r"AIza[\w-]{35}|glpat-|eyJ[\w-]+\.eyJ|wachtwoord:|"
                                r"w-a-c-h-t-w-o-o-r-d:|://[^/\s:]+:[^@\s]+@", t)
        if "leak.secret" in e["categories"] and not secret_like:
            errs.append((tag, "secret case without credential"))
        if not positive and secret_like and "user:password@localhost" not in t:
            errs.append((tag, "credential-looking text in benign"))
        # embargo: before `until` must be confidential
        norm = unicodedata.normalize("NFKC", t).replace("\u200b", "").lower()
        when = parse_time(p["created_at"])
        for emb in PROFILE["embargo"]:
            if any(term.lower() in norm for term in emb["terms"]):
                if when < parse_time(emb["until"]) and "leak.confidential" not in e["categories"]:
                    errs.append((tag, "embargo term before until not confidential"))
        if not positive:
            if any(d in norm for d in internal) or any(k in norm for k in markers):
                errs.append((tag, "internal domain/marker in benign"))
            if any(k in norm for k in codenames) and "kraanvogels" not in norm:
                errs.append((tag, "codename in benign"))
        # pricing
        pr = m["case"]["price"]
        if pr:
            sku, val = pr
            prod = products[sku]
            names = [prod["name"]] + prod["aliases"]
            if not any(a.lower() in norm for a in names):
                errs.append((tag, "price without product alias"))
            low = val < ratio * prod["list_price"]
            if low != ("leak.pricing" in e["categories"]):
                errs.append((tag, "price label mismatch"))
            if not low and val < prod["list_price"] * 0.69:
                errs.append((tag, "benign discount deeper than 31%"))
        elif "leak.pricing" in e["categories"] and not re.search(r"price error|prijsfout|pricing error", norm):
            errs.append((tag, "pricing case without price or error talk"))
    # public handles must not be profile accounts; counts
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(("set", "size %d" % n))
    if not 55 <= benign <= 65:
        errs.append(("set", "benign %d" % benign))
    return errs


def main():
    rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    back = [json.loads(line) for line in open(OUT, encoding="utf-8")]
    errs = check(back, meta)
    from collections import Counter
    cc = Counter(c for r in back for c in r["expect"]["categories"])
    roles = Counter((m["role"], bool(r["expect"]["categories"])) for r, m in zip(back, meta))
    langs = Counter(m["case"]["lang"] for m in meta)
    sev = Counter(r["expect"]["severity"] for r in back)
    benign = sum(1 for r in back if not r["expect"]["categories"])
    print("cases %d, benign %d, positives %d" % (len(back), benign, len(back) - benign))
    print("categories", dict(sorted(cc.items())))
    print("severity", dict(sev))
    print("roles (role, positive)", dict(roles))
    print("lang", dict(langs))
    if errs:
        for e in errs:
            print("CHECK FAILED:", *e)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
