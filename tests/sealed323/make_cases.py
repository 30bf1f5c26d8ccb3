#!/usr/bin/env python3
"""Build the sealed evaluation set 323 (Remspoor Events B.V., karting & event venues).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and self-checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    negative fails it, and no benign or non-PII post carries a valid one by accident;
  * generated credentials are well-formed (GitHub CRC-32, AWS charset, JWT header ...);
  * profile terms (codenames, markers, internal domains, embargo terms before `until`)
    only appear in posts labelled leak.confidential;
  * severities follow CONTRACT section 4, computed from the account role in profile.yaml.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 3232026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# ---------------------------------------------------------------- checksums
def iban_ok(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(cc, bank, acct_len=10):
    acct = "".join(rng.choice(string.digits) for _ in range(acct_len))
    n = int("".join(str(int(c, 36)) for c in bank + acct + cc + "00"))
    iban = "%s%02d%s%s" % (cc, 98 - n % 97, bank, acct)
    assert iban_ok(iban)
    return iban


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_ok(d):
            return d


# ---------------------------------------------------------------- credentials
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order
B64URL = string.ascii_letters + string.digits + "-_"


def rstr(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out or "0"


def make_gh(prefix):
    body = rstr(ALNUM, 30)
    return prefix + "_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gh_ok(tok):
    m = re.fullmatch(r"(gh[pousr])_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode())).rjust(6, "0") == m.group(3)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(payload):
    header = {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    s = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return h + "." + p + "." + s


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    return "alg" in hdr


def make_openssh_key():
    def sshstr(b):
        return struct.pack(">I", len(b)) + b
    pub = sshstr(b"ssh-ed25519") + sshstr(bytes(rng.randrange(256) for _ in range(32)))
    priv_inner = bytes(rng.randrange(256) for _ in range(8)) + pub + sshstr(
        bytes(rng.randrange(256) for _ in range(64))) + sshstr(b"ruben@ops-laptop") + b"\x01\x02\x03\x04\x05"
    blob = (b"openssh-key-v1\x00" + sshstr(b"none") + sshstr(b"none") + sshstr(b"")
            + struct.pack(">I", 1) + sshstr(pub) + sshstr(priv_inner))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def slack_digits(n):
    while True:
        d = str(rng.randint(1, 9)) + rstr(string.digits, n - 1)
        if not luhn_ok(d):
            return d


AWS_ID = "AKIA" + rstr(string.ascii_uppercase + "234567", 16)
AWS_SECRET = rstr(string.ascii_letters + string.digits + "/+", 40)
GH_PAT = make_gh("ghp")
GH_APP = make_gh("ghs")
STRIPE_LIVE = "sk_live_51" + rstr(ALNUM, 97)
SLACK_BOT = "xoxb-%s-%s-%s" % (slack_digits(12), slack_digits(13), rstr(ALNUM, 24))
OPENAI_KEY = "sk-proj-" + rstr(B64URL, 74) + "T3BlbkFJ" + rstr(B64URL, 74)
GOOGLE_KEY = "AIza" + rstr(string.ascii_letters + string.digits + "-_", 35)
SENDGRID = "SG." + rstr(B64URL, 22) + "." + rstr(B64URL, 43)
SSH_KEY = make_openssh_key()
JWT_LIVE = make_jwt({"sub": "svc-kiosk-almere", "role": "booking_admin", "iss": "api.remspoor.nl",
                     "iat": 1767225600, "exp": 1798761600})
JWT_SAMPLE = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
              "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

for t in (GH_PAT, GH_APP):
    assert gh_ok(t), t
assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AWS_ID)
assert jwt_ok(JWT_LIVE) and jwt_ok(JWT_SAMPLE)

# ---------------------------------------------------------------- personal data (valid)
IBAN_INGRID = make_iban("NL", "INGB")
IBAN_PRIYA = make_iban("NL", "ABNA")
CARD_VISA = make_card("4", 16)
CARD_MC = make_card("52", 16)
BSN_AHMED = make_bsn()

# look-alikes used in negatives (must FAIL their checksum)
FAKE_CARD_DRAWN = "1234 5678 9012 3456"
FAKE_IBAN_SCAM = "NL12RABO0123456789"
FAKE_BSN_FORM = "123456789"
FAKE_BOOKING = "482913576"
_ib = make_iban("NL", "TRIO")
FAKE_IBAN_TYPO = _ib[:-1] + str((int(_ib[-1]) + 3) % 10)   # one wrong digit never passes mod-97

# ---------------------------------------------------------------- authors
# (platform, handle); role is looked up in profile.yaml, the third item is only a cross-check
C_X = ("x", "@remspoor", "corporate")
C_HELP = ("x", "@remspoor_help", "corporate")
C_IG = ("instagram", "@remspoor.karting", "corporate")
C_FB = ("facebook", "RemspoorKartingEvents", "corporate")
C_LI = ("linkedin", "remspoor-events", "corporate")
C_TT = ("tiktok", "@remspoorkarting", "corporate")
C_YT = ("youtube", "@RemspoorTV", "corporate")

E_MARLOES = ("x", "@Marloes_Pitlane", "employee")   # case differs on purpose
E_DIRKJAN = ("x", "@dirkjan_rsp", "employee")
E_BRAM = ("x", "@bramvdlinden", "employee")
E_YUSUF = ("linkedin", "yusuf-ozdemir-remspoor", "employee")
E_EVA = ("linkedin", "eva-kramer-events", "employee")
E_SANNE = ("linkedin", "sanne-de-wit-remspoor", "employee")
E_NINA = ("instagram", "@nina.marshal", "employee")
E_KEES = ("tiktok", "@kartmonteur_kees", "employee")
E_RUBEN = ("reddit", "u/ruben_rsp_ops", "employee")
E_JOOST = ("bluesky", "@joostbakker.bsky.social", "employee")
E_LOTTE = ("threads", "@lotte.rsp", "employee")


def P(platform, handle):
    return (platform, handle, "public")


CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

CASES = []


def case(author, text, cats=(), lang="nl", kind="post", at=None, fakes=()):
    CASES.append({"author": author, "text": text, "cats": [CAT[c] for c in cats],
                  "lang": lang, "kind": kind, "at": at, "fakes": list(fakes)})


# =====================================================================================
# BENIGN (hard negatives mostly)
# =====================================================================================
case(P("x", "@snelle_sander"),
     "Net 3x de Sprint 10 gereden bij @remspoor Almere, beste rondetijd 42.3 😎 volgende keer onder de 42 #karting")
case(P("instagram", "@jess.on.tour"),
     "Birthday squad at Remspoor Breda 🏁 the Grand Prix pakket was worth every cent. My brother crashed into the "
     "tyre wall twice and STILL won lmao", lang="en")
case(P("x", "@annemiek_vd"),
     "Vraagje @remspoor_help: is het Race & Dine arrangement nog steeds €69,50 pp of is dat duurder geworden? "
     "Wil het voor mn ouders hun 40-jarig huwelijk boeken", kind="reply")
case(C_FB,
     "Deze maand 20% korting op de Rijderskaart 25 ritten: van €395 voor €316 🏎️ Alleen online via "
     "remspoor.nl/rijderskaart, geldig t/m 31 maart.")
case(C_HELP,
     "@kim_vd_b Vervelend om te horen! Stuur je boekingsnummer even naar klantenservice@remspoor.nl of bel ons op "
     "0800-0477, dan zoeken we het samen uit.", kind="reply")
case(C_LI,
     "Planning your year-end event? Our Paddock Lounge seats 120 and starts at €1,450 per half day, catering "
     "optional. Get in touch: events@remspoor.nl | +31 30 555 0190", lang="en")
case(C_FB,
     "Betaal je de factuur van je bedrijfsuitje liever per overschrijving? Ons rekeningnummer is "
     "NL88 RABO 0347 2198 65 t.n.v. Remspoor Events B.V., vermeld wel even je factuurnummer 🙏")
case(P("x", "@lucasbrt"),
     "Shoutout to @remspoor_help, my refund for the cancelled Night Race came through today. Took a while but "
     "sorted, cheers 👍", lang="en")
case(P("facebook", "Gerda Hofstede"),
     "Vorige maand klaagde ik hier over het koude eten bij ons personeelsfeest, maar Remspoor heeft ons netjes "
     "gebeld en een tegoedbon gestuurd. Chapeau, zo hoort het eigenlijk.", kind="comment")
case(P("x", "@kartnieuws_nl"),
     "Brand bij een kartbaan in Duisburg vannacht, gelukkig geen gewonden. Sterkte aan de eigenaren daar 🙏 "
     "(voor wie het vroeg: het is géén Remspoor-baan)")
case(P("reddit", "u/cloud_nerd_frits"),
     "PSA for anyone writing docs for your karting league site: use placeholder creds like AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in examples. Saw a real one pasted in a Discord last week 🙈",
     lang="en")
case(E_JOOST,
     "Writing the onboarding doc for our new devs. Reminder: in examples use "
     "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and never your real token. Secrets go in the vault, not in chat 🙃",
     lang="en")
case(P("x", "@papa_van_fenna"),
     "lol mijn dochter van 6 'betaalde' de kinderkart met een zelfgetekende pinpas: " + FAKE_CARD_DRAWN +
     " 😂 de jongen achter de balie speelde het spelletje gewoon mee. Top personeel @remspoor",
     fakes=[("card", FAKE_CARD_DRAWN)])
case(P("x", "@mo_rijdt"),
     "Iemand op Marktplaats verkoopt 'Remspoor cadeaubonnen' voor de helft en wil dat ik overmaak naar "
     + FAKE_IBAN_SCAM + ". Klopt niet eens als rekeningnummer, mijn bankapp weigert hem. Niet intrappen mensen",
     fakes=[("iban", FAKE_IBAN_SCAM)])
case(P("x", "@fleurtjuh"),
     "Waarom vraagt het inschrijfformulier voor de Elite Track Day om een licentienummer van 9 cijfers? Ik vulde "
     + FAKE_BSN_FORM + " in om te testen en hij pakte het niet haha", fakes=[("bsn", FAKE_BSN_FORM)])
case(E_MARLOES,
     "Wat een dag. 14 bedrijfsuitjes, 600 rijders, nul incidenten en de Podiumzaal vol met een schoolgala. Trots "
     "op het team van Almere 💪")
case(E_KEES, "Zo vervang je een ketting op een huurkart in 4 minuten ⏱️ #monteur #karting #remspoor")
case(P("tiktok", "@daantjebakt"),
     "POV: your manager thought he'd destroy everyone at the company outing and got lapped by the intern 💀 "
     "@remspoorkarting you guys killed it", lang="en", kind="comment")
case(P("x", "@rick_apex"),
     "Die nieuwe baanlay-out in Zwolle is echt moordend, die haarspeldbocht na de brug is gestoord goed 🔥🔥")
case(C_IG,
     "De winnaars van de Night Race Cup van oktober! 🏆 Volgende editie is 21 november, inschrijven kan voor €45 "
     "p.p. via de link in bio.")
case(P("linkedin", "maarten-gerritsen-hr"),
     "Great session today with 40 colleagues at the Remspoor Pitstop Challenge. Nothing builds a team like "
     "changing a tyre under time pressure. Thanks Eva and the crew in Breda!", lang="en")
case(P("x", "@moeder_van_stijn"),
     "Is het normaal dat je bij de Junior Kart een helm én nekbeschermer krijgt? Mijn zoon (8) voelde zich een "
     "echte coureur 😍")
case(P("reddit", "u/simrig_sven"),
     "How does Remspoor's 24 Uur Teamrace work? Is €3,900 for the whole team or per driver? Thinking of signing "
     "up our sim racing club this spring.", lang="en")
case(C_X,
     "Black Friday 🖤 25% off the Remspoor Pro helm, now €186.75 instead of €249. While stocks last.", lang="en")
case(P("x", "@motorsportdigest"),
     "Industry news: Speedhalle GmbH announced 60 layoffs and is closing two indoor tracks near Cologne. Rough "
     "times for karting in Germany. Hoping the Dutch operators like Remspoor hold up.", lang="en")
case(P("x", "@beursbengel"),
     "De jaarcijfers 2026 van Remspoor staan online, omzet +11%. Netjes voor een sector die na corona zulke "
     "klappen kreeg.", at="2027-03-12T08:41:00Z")
case(C_LI,
     "Our full-year 2026 results are out: revenue of €48.2m and two new venues planned for 2027. Read the press "
     "release on remspoor.nl/investors", lang="en", at="2027-03-04T09:30:00Z")
case(C_IG,
     "Hij is er! 🎉 De VoltKart X2, volledig elektrisch, vanaf vandaag te rijden in Almere ⚡",
     at="2027-05-02T10:00:00Z")
case(P("x", "@tessa_rides"),
     "Went to the VoltKart X2 launch at Remspoor Utrecht Leidsche Rijn, silent karts are surreal. You only hear "
     "tyres squealing 😂", lang="en", at="2027-05-15T19:12:00Z")
case(P("x", "@hr_jolanda"),
     "Iemand een tip voor een bedrijfsuitje met 30 man in de regio Breda? Twijfel tussen Remspoor en lasergamen.")
case(P("facebook", "Wim Terpstra"),
     "Sterkte aan iedereen bij Remspoor Zwolle, las dat jullie oud-collega Henk is overleden. Hij leerde mij 20 jaar "
     "geleden karten op de oude baan. Rust zacht 🕊️", kind="comment")
case(P("instagram", "@foodie.bram"),
     "Food at the Paddock BBQ buffet was insane 🤤 ribs to die for, I went back three times", lang="en")
case(P("x", "@jorisss"), "ik ga vandaag dood bij die Endurance, 2 uur achter elkaar rijden, mijn armen 😵 maar wel vet")
case(E_EVA,
     "We're hiring! Event coordinator for our Breda venue, 32-40 hrs. Love events, cars and chaos? Send your CV to "
     "jobs@remspoor.nl 🏁", lang="en")
case(E_BRAM,
     "Quarterly key rotation day 🔁 new payment key is in the vault, screenshot for the team has it blurred: "
     "sk_live_••••••••••••••••. Nothing leaked, just hygiene.", lang="en")
case(P("x", "@gijs_vd_pol"),
     "Hoe schrijf ik me in voor de Remspoor Club? Jaarabo kost €299 toch? Krijg je dan echt 10% op alle sessies?")
case(P("x", "@thegamerdad"),
     "Tried the Sim Pod at Remspoor while waiting for our slot. €59 an hour, but honestly the rig is better than "
     "my setup at home", lang="en")
case(P("x", "@linda_k_"),
     "Bel gewoon 030 555 0190, daar namen ze meteen op en mijn boeking was binnen 2 min omgezet 👌 #remspoor")
case(C_HELP,
     "@lucy_travels So sorry about the wait at the desk on Saturday! We've sent you a DM with a little something "
     "for next time.", lang="en", kind="reply")
case(P("x", "@f1_floor"),
     "Filmpje van die crash op Zandvoort teruggekeken en daarna zelf gaan karten bij Remspoor. Geen crash "
     "gelukkig, wel een PR 😅")
case(E_JOOST,
     "New devs keep asking what a JWT looks like. Here's the classic jwt.io sample (John Doe, not one of ours): "
     + JWT_SAMPLE + " — paste it into the debugger and play.", lang="en")
case(P("x", "@vaderdag_fan"),
     "Dat moment dat je in de Duo Kart zit met je vader en hij harder remt dan jij gas geeft 😂 #remspoor")
case(P("facebook", "Margaret Holloway"),
     "Does anyone know if Remspoor Breda is wheelchair accessible for spectators? My nan wants to watch the "
     "grandkids race.", lang="en", kind="comment")
case(E_NINA,
     "Zaterdag weer met de blauwe vlag staan zwaaien in de regen 🌧️ jullie zijn helden, rijders. Tot volgende week!")
case(P("x", "@budgetbart"),
     "Ha, Decathlon had this morning a price error on kart helmets, €4.99, already fixed of course. Guess I'll pay "
     "full price for a lid at Remspoor after all 🙃", lang="en")
case(P("x", "@nieuwbij_kantoor"),
     "Mijn werkgever trakteert op het Endurance pakket en ik heb nog nooit gekart. Tips? Moet ik iets meenemen?")
case(C_YT,
     "Onboard lap of the new Zwolle layout: 38.9 seconds by our instructor Kees. Can you beat it? Track Day slots "
     "from €495.", lang="en")
case(P("x", "@feestmama3"), "Weet iemand of de Pitcrew kinderfeestjes nog €189 zijn? Voor 8 kids? 🎂")
case(P("x", "@nieuwe_start"),
     "Vorig jaar ontslagen bij mijn oude werkgever. Nu werk ik als marshal bij Remspoor Breda en ik heb het nog "
     "nooit zo naar mijn zin gehad. Soms moet het even tegenzitten.")
case(P("x", "@plannerpieter"),
     "Booked our Christmas party at Remspoor back in August and glad I did, December Saturdays are already sold "
     "out 😅", lang="en")
case(P("reddit", "u/latebraker"),
     "Not a hack, just a tip: at the Remspoor tracks the inside line at the chicane is faster if you brake late. "
     "Ask the marshals, they'll tell you.", lang="en")
case(E_DIRKJAN,
     "Vandaag de nieuwe online boekingsflow live gezet 🚀 sneller afrekenen, minder klikken. Feedback welkom via "
     "remspoor.nl/feedback")
case(P("x", "@nuchtere_noor"),
     "Nee ik ga echt niet boycotten hoor, ik snap die ophef over de prijsverhoging van de Sprint 10 niet. €19,50 "
     "voor 10 minuten is gewoon marktconform.")
case(P("x", "@mumof2_ams"),
     "My phone died halfway through filming my kid's first race at Remspoor 😭 the marshal filmed the finish for "
     "us on his own phone. Lovely staff.", lang="en")
case(P("x", "@bonnetjesbas"),
     "Op het bonnetje van Remspoor stond gewoon 'XXXX XXXX XXXX 4821', netjes gemaskeerd. Dat zie je bij kleinere "
     "zaken nog wel eens anders")
case(P("linkedin", "ilse-verbeek-diversiteit"),
     "Mooi om te lezen dat Remspoor dit jaar 25 statushouders heeft aangenomen als baanmedewerker. Zo doe je dat.")
case(P("x", "@zorgzame_zus"),
     "Remspoor Almere hangt elk uur de CO-meting bij de ingang op. Meer hallen zouden dat moeten doen, ik voel me "
     "een stuk veiliger met de kids.")
case(P("x", "@evi_w"),
     "@remspoor_help top dat jullie meteen reageerden toen mijn tas was blijven liggen. Alles terug inclusief "
     "portemonnee ❤️", kind="reply")
case(C_TT,
     "Maandagactie 🔥 30% korting op de Duo Kart Experience: €27,30 i.p.v. €39. Neem je moeder, vader of baas mee.")
case(C_HELP,
     "@renske_h Je boeking " + FAKE_BOOKING + " voor zaterdag 14:30 staat bevestigd, tot dan! 🏁", kind="reply",
     fakes=[("bsn", FAKE_BOOKING)])
case(P("x", "@iban_ilona"),
     "Kreeg van Remspoor een terugbetaling maar die kwam terug omdat ik mijn IBAN fout had ingevuld 🤦‍♀️ "
     + FAKE_IBAN_TYPO + " ipv het echte nummer. Mijn fout, hun klantenservice was super geduldig.",
     fakes=[("iban", FAKE_IBAN_TYPO)])

# =====================================================================================
# COMPLAINTS
# =====================================================================================
case(P("x", "@boze_bas"),
     "Anderhalf uur gewacht op onze sessie terwijl we om 19:00 geboekt hadden. Niemand bij de balie wist iets. "
     "@remspoor_help dit is echt niet oké", ["complaint"])
case(P("facebook", "Erik Schouten"),
     "Bedrijfsuitje geboekt bij Remspoor Breda, Endurance pakket voor 38 man. De helft van de karts trok naar "
     "links, twee vielen halverwege stil en we kregen er geen minuut extra voor terug. Voor bijna 3000 euro "
     "verwacht je toch beter.", ["complaint"])
case(P("x", "@clean_freak_claire"),
     "Helmets at Remspoor Rotterdam smelled like someone's gym bag from 2009. The 'disinfectant spray' is clearly "
     "decoration. Gross.", ["complaint"], lang="en")
case(P("x", "@waiting_willem"),
     "@remspoor_help still waiting for my refund, 5 weeks now for a cancelled Night Race. Three emails, zero "
     "answers. What's going on?", ["complaint"], lang="en", kind="reply")
case(P("other", "Marieke R."),
     "1 ster. Kinderfeestje Pitcrew op het laatste moment afgezegd 'wegens onderhoud', 8 teleurgestelde kinderen "
     "en geen alternatief aangeboden. Nooit meer Remspoor.", ["complaint"])
case(P("x", "@timo_pr"),
     "tijdregistratie lag er wéér uit bij de Grand Prix, dus geen uitslag, geen podium. waar betaal je dan 54 "
     "euro pp voor?? #remspoor", ["complaint"])
case(P("instagram", "@hungry.hannah"),
     "Booked the Race & Dine at Remspoor. The 'dine' part was lukewarm fries and a sad burger. Racing was fine, "
     "food was not 👎", ["complaint"], lang="en", kind="comment")
case(P("reddit", "u/doublecharged_dave"),
     "Remspoor charged me twice for one Rijderskaart and support keeps sending the same copy-paste reply. Anyone "
     "else had this? How did you get your money back?", ["complaint"], lang="en")
case(P("linkedin", "olivia-brandt-ops"),
     "Organised our team offsite in Remspoor's Paddock Lounge. AV didn't work for the first hour, no technician on "
     "site, and our CEO's keynote was played from a laptop speaker. Disappointing for a venue that markets itself "
     "for corporate events.", ["complaint"], lang="en")
case(P("x", "@ouder_van_lisa"),
     "Die marshal in Almere schreeuwde mijn dochter van 11 toe alsof ze een crimineel was omdat ze te langzaam "
     "reed. Ze heeft de hele weg naar huis gehuild. Echt geen manier van doen @remspoor", ["complaint"])
case(P("x", "@kassa_kees"),
     "boekingssite van remspoor crasht elke keer bij afrekenen, 4x geprobeerd, nu is mn tijdslot weg. serieus??",
     ["complaint"])
case(P("x", "@geen_geduld"),
     "@remspoor_help al 3 weken geen reactie op mijn mail over de dubbele afschrijving. Bel me dan gewoon terug: "
     "06-48213377. Ik ben er klaar mee.", ["complaint", "pii"], kind="reply")
case(P("facebook", "Daan Hoekstra"),
     "Still no deposit back for our venue hire (€500!) two months later. Reach me at daan.hoekstra84@gmail.com "
     "or stop pretending you care, Remspoor.", ["complaint", "pii"], lang="en", kind="comment")
case(P("x", "@wachtrij_woede"),
     "Wat een kutbedrijf is Remspoor ook. 2 uur wachten, karts kapot, en dan nog een grote bek van die puisterige "
     "puber achter de balie. Stelletje amateurs.", ["complaint", "abuse"])
case(P("x", "@lost_booking_lou"),
     "Remspoor you absolute clowns, third time my booking has vanished. Whoever built your website should be "
     "fired into the sun. Useless fucking company.", ["complaint", "abuse"], lang="en")

# first-hand harm: crisis + complaint
case(P("x", "@noah_vliegt"),
     "Mijn kart vloog gisteren in de fik tijdens het rijden bij Remspoor Breda. Rook uit de motor, ik kon er net "
     "op tijd uit. Geen excuses, alleen 'dat gebeurt weleens'. Levensgevaarlijk!!", ["crisis", "complaint"])
case(P("facebook", "Rachel Timmermans"),
     "My son broke his wrist at Remspoor Almere yesterday when the brakes of his Junior Kart failed going into the "
     "first corner. Staff just handed us an ice pack. We are considering legal action.",
     ["crisis", "complaint"], lang="en")
case(P("x", "@teamlead_tamara"),
     "Na het Paddock BBQ buffet zaterdag lagen 6 van mijn collega's ziek op bed, overgeven en koorts. Remspoor "
     "reageert niet op mijn mail. Lijkt me gewoon voedselvergiftiging.", ["crisis", "complaint"])
case(P("reddit", "u/headache_harry"),
     "Got a proper headache and nausea after two Endurance stints in the Remspoor Rotterdam hall, you could "
     "literally smell the exhaust. Pretty sure the ventilation was off. GP suspects CO exposure. Not impressed.",
     ["crisis", "complaint"], lang="en")
case(P("instagram", "@sanne_op_4_wielen"),
     "Bijna onthoofd door een losgeschoten bandenstapel in de bocht bij Remspoor Zwolle 😳 de marshal stond op "
     "zijn telefoon te kijken. Had echt heel slecht af kunnen lopen.", ["crisis", "complaint"])
case(P("x", "@zapped_zack"),
     "Got a shock off the metal railing next to the Sim Pods at Remspoor Breda, like a proper zap up my arm. Told "
     "the desk, they shrugged. Someone's going to get hurt.", ["crisis", "complaint"], lang="en")

# =====================================================================================
# CRISIS (third party / accusations / boycott / lawsuits / recalls)
# =====================================================================================
case(P("x", "@regio_flevo"),
     "Via NH Nieuws: kind (9) gewond geraakt bij ongeluk op de kartbaan van Remspoor in Almere, traumahelikopter "
     "ingezet. Baan is voorlopig afgesloten.", ["crisis"])
case(P("x", "@fairplay_fien"),
     "BOYCOTT @remspoor, they fired a marshal for reporting broken brakes. Don't give these people your money. "
     "#boycottremspoor", ["crisis"], lang="en")
case(P("x", "@privacy_piet"),
     "Remspoor heeft een datalek! Mijn mailadres dat ik alléén bij hun gebruik krijgt nu phishingmails 'van "
     "Remspoor' met mijn boekingsnummer erin. Hoeveel klanten zijn er nog meer gelekt??", ["crisis"])
case(P("linkedin", "legal-news-benelux"),
     "News: a class action is being prepared against Remspoor Events B.V. on behalf of families of children "
     "injured on its junior tracks, a Dutch law firm confirmed today.", ["crisis"], lang="en")
case(P("x", "@veiligheid_eerst"),
     "TERUGROEPACTIE: Remspoor roept alle verkochte Pro helmen uit 2026 terug vanwege een defecte kinband. Niet "
     "meer gebruiken en terugbrengen naar de baan!", ["crisis"])
case(P("x", "@inside_scoop_nl"),
     "Ex-staff at Remspoor are going public: cash-in-hand wages for teenage marshals, no breaks on 12-hour "
     "shifts. Reporter says the story runs tomorrow. This is a scandal.", ["crisis"], lang="en")
case(P("tiktok", "@rotterdamse_roos"),
     "Waarom heeft niemand het over de Remspoor hal in Rotterdam die gewoon doordraaide terwijl het CO-alarm afging? "
     "Mijn neef werkte daar en zegt dat ze de melder hebben uitgezet 🤬", ["crisis"])
case(P("x", "@office_owen"),
     "Brian from our office ended up in hospital after a collision at Remspoor Breda during our team event. "
     "Thoughts with him and his family. Track was closed for the rest of the night.", ["crisis"], lang="en")
case(P("x", "@stentor_lezer"),
     "Lees net in de Stentor dat Remspoor Zwolle een groep jongeren de toegang weigerde 'omdat ze er niet "
     "zakelijk uitzagen', allemaal met een migratieachtergrond. Discriminatie in 2026, ongelofelijk.", ["crisis"])
case(P("x", "@waalhaven_bewoner"),
     "Omwonenden van Remspoor Rotterdam stappen naar de rechter vanwege de geluidsoverlast tot middernacht. "
     "Dagvaarding is deze week verstuurd.", ["crisis"])

# =====================================================================================
# ABUSE
# =====================================================================================
case(P("x", "@zuurpruim"), "Remspoor is een bedrijf vol oplichters en debielen. Hoop dat jullie failliet gaan.",
     ["abuse"])
case(P("x", "@troll4life88"),
     "@marloes_pitlane you are the most useless, ugly cow I've ever seen in a hi-vis vest. Do everyone a favour "
     "and quit.", ["abuse"], lang="en", kind="reply")
case(P("x", "@l33t_lenny"), "r3msp00r st4ff = bunch of f4ck1ng 1d10ts, learn to run a business 🤡", ["abuse"],
     lang="en")
case(P("x", "@anoniempje_023"),
     "Remspoor = kutz\u043e\u043ei, jullie medewerkers zijn allemaal id\u0456\u043eten 🖕", ["abuse"])
case(P("x", "@spatie_sjaak"),
     "R e m s p o o r  =  k.u.t.b.e.d.r.i.j.f  en die eigenaar is een vuile l u l", ["abuse"])
case(P("tiktok", "@nope_nathan"),
     "the girl at the Breda front desk with the headscarf should go back where she came from", ["abuse"],
     lang="en", kind="comment")
case(E_KEES,
     "Die vent van gisteren die 3x de bandenstapel in reed en toen de kart de schuld gaf 🙄 wat een ongelofelijke "
     "kneus, echt een hersenloze aap", ["abuse"])
case(P("x", "@truthbomb_tony"), "Remspoor's CEO is a lying piece of shit and everyone in the industry knows it.",
     ["abuse"], lang="en")
case(P("facebook", "Hans Kroeze"),
     "Kijk die dikke marshal van Zwolle nou weer waggelen 🐷🐷 past die überhaupt in een kart?", ["abuse"],
     kind="comment")
case(E_BRAM, "@whiny_tim mate nobody cares, go cry somewhere else you muppet", ["abuse"], lang="en", kind="reply")

# =====================================================================================
# PERSONAL DATA
# =====================================================================================
case(C_HELP,
     "@sjoerd_k We hebben je proberen te bellen op 06-21847390 maar kregen geen gehoor. Bel je ons even terug?",
     ["pii"], kind="reply")
case(C_FB,
     "Hoi Ingrid, je terugbetaling van €138 is vandaag overgemaakt naar " + group4(IBAN_INGRID) +
     " t.n.v. I. Verhoeven. Excuses voor het lange wachten!", ["pii"], kind="comment")
case(E_MARLOES,
     "Wie kent deze man? Laat steeds zijn rijbewijs liggen aan de balie: Henk Post, Lindelaan 14, 3431 AB "
     "Nieuwegein, geb. 03-07-1979. Kom je spullen halen Henk 😂", ["pii"])
case(E_LOTTE,
     "Lijstje voor de catering morgen. Vragen? Bel de contactpersoon van de klant: Fleur de Graaf, 06 3841 2290, "
     "of mail fleur.degraaf@hetnet.nl", ["pii"])
case(E_SANNE,
     "Nieuwe collega ingeschreven 🎉 Voor de loonadministratie alvast: Ahmed Bouzid, BSN " + BSN_AHMED +
     ", start 1 maart op de baan in Breda.", ["pii"])
case(P("x", "@oops_olivia"),
     "lol I just realised I DM'd my card to @remspoor_help in a public reply instead: " + group4(CARD_VISA) +
     " exp 09/28 😬 can someone delete that pls", ["pii"], lang="en")
case(P("facebook", "Wendy Smit"),
     "Remspoor, mijn zoon is zijn portemonnee kwijtgeraakt bij de Junior Kart. Naam Luuk Smit, Kastanjelaan 7, "
     "1325 KL Almere. Als iemand hem vindt graag terugbrengen 🙏", ["pii"], kind="comment")
case(E_NINA,
     "Jarigen van de maand bij Remspoor Breda 🎂🎈 Femke Jacobs (14-11-1996) en Thijs Mol (22-11-2001), "
     "vergeet ze niet te feliciteren!", ["pii"])
case(C_IG,
     "Gefeliciteerd aan de winnaar van de Night Race Cup: Jesse Vermeulen! 🏆 Jesse, we bellen je op "
     "+31 6 27730148 voor je prijs.", ["pii"])
case(P("x", "@tom_bakker90"),
     "@remspoor_help mijn boekingsmail is t.bakker1990@outlook.com, kunnen jullie de bevestiging opnieuw sturen? "
     "Ordernr 48213", ["pii"], kind="reply")
case(E_JOOST,
     "Debugging a booking bug, the customer record looks like {name: 'Priya Raman', email: "
     "'priya.raman@gmail.com', phone: '+31 6 51234780', iban: '" + IBAN_PRIYA + "'}, why is the iban field "
     "null in the export then??", ["pii"], lang="en")
case(E_DIRKJAN,
     "Klant belde 5x over een kapotte pinbetaling, zijn kaart " + group4(CARD_MC) + " werd steeds geweigerd door "
     "de terminal in Zwolle. Iemand dit eerder gezien?", ["pii"])

# =====================================================================================
# CONFIDENTIAL
# =====================================================================================
case(E_DIRKJAN,
     "Eindelijk mag ik eraan beginnen: Project Kwikzilver 🚀 maanden geheim gehouden, nu nog even niks zeggen 🤫",
     ["conf"])
case(E_EVA,
     "Excited for 2027! Our team has been working on Operatie Zandloper, a completely new concept for corporate "
     "events. More soon 👀", ["conf"], lang="en")
case(E_KEES,
     "Eerste testrit met de VoltKart X2 vandaag 🤯 elektrisch, stil en BRUUT snel. Mag nog niks laten zien dus "
     "alleen geluid 🔇", ["conf"], at="2026-11-19T16:05:00Z")
case(E_MARLOES,
     "Wie wil er straks werken in Remspoor Utrecht Leidsche Rijn? 👀 Stuur me een DM, we zoeken alvast "
     "baanleiders", ["conf"], at="2026-10-08T12:30:00Z")
case(E_BRAM,
     "see https://jira.remspoor.nl/browse/WEB-1182 for the checkout copy changes, marketing pls review before "
     "Thursday", ["conf"], lang="en")
case(E_YUSUF,
     "Presentatie voor het MT af. Voettekst op elke slide: 'Remspoor intern, niet extern delen'. Op naar "
     "donderdag 💼", ["conf"])
case(P("x", "@nieuwsgierige_nel"),
     "Mijn zus werkt bij Remspoor en zegt dat ze in het voorjaar een elektrische kart lanceren, de VoltKart X2, "
     "en dat Breda daarvoor maanden dichtgaat voor de verbouwing 👀", ["conf"], at="2026-12-02T21:14:00Z")
case(C_IG, "Sneak peek van iets waar we al een jaar aan werken 🤫 #Nachtvlinder #remspoor", ["conf"])
case(E_LOTTE,
     "RSP-CONFIDENTIAL: menu en prijsopbouw Race & Dine 2027 staan in de gedeelde map, graag feedback van de "
     "chefs voor vrijdag 🍽️", ["conf"])
case(P("reddit", "u/paddock_gossip"),
     "leaked slide from a Remspoor all-hands someone posted in our league chat: 'Project Kwikzilver, phase 2: "
     "new venue concept'. Big if true", ["conf"], lang="en")
case(E_NINA,
     "".join(chr(ord(c) + 0xFEE0) for c in "nachtvlinder") + " 🦋 binnenkort... meer mag ik niet zeggen 🤐",
     ["conf"])
case(E_BRAM, "Operatie Zand\u200bloper gaat vrijdag gewoon door, eindelijk 🙌", ["conf"])
case(E_KEES,
     "Als iemand vraagt waar ik de hele week mee bezig ben: P r o j e c t  K w i k z i l v e r 😎 meer zeg ik "
     "niet", ["conf"])
case(C_X,
     "Oops, wrong window! Draft of next week's press release 'Remspoor announces VoltKart X2, the first fully "
     "electric rental kart in the Benelux', please ignore this tweet 🙈", ["conf"], lang="en",
     at="2026-12-09T15:47:00Z")
# confidential + financial
case(E_YUSUF,
     "De jaarcijfers 2026 zijn rond: omzet €48,2 mln en EBITDA net boven budget. Publicatie volgt in maart, maar "
     "ik ben nu al trots op het team 💪", ["conf", "fin"], at="2027-02-10T18:20:00Z")
case(E_SANNE,
     "Project Kwikzilver is no longer a secret for the HR team: we're acquiring a Belgian karting chain and "
     "integrating 120 new colleagues next year. Busy times!", ["conf", "fin"], lang="en")
case(P("x", "@scoop_sjors"),
     "Friend in finance at Remspoor says the FY2026 results will show a loss in Rotterdam and they'll close it. "
     "Announcement on March 4th.", ["conf", "fin"], lang="en", at="2027-02-25T22:03:00Z")

# =====================================================================================
# FINANCIAL
# =====================================================================================
case(E_YUSUF,
     "Q3 came in 18% below budget across all venues, mostly Rotterdam. Tough board meeting coming up but we'll "
     "turn it around 💪", ["fin"], lang="en")
case(E_MARLOES,
     "Slecht nieuws vandaag: Zwolle gaat per 1 april dicht en de helft van het team daar wordt ontslagen. Nog niet "
     "officieel dus ssst 😔", ["fin"])
case(P("x", "@schoonzoon_sven"),
     "Mijn schoonvader zit in de RvC van Remspoor, zegt dat ze worden overgenomen door een Duitse investeerder. "
     "Misschien toch maar aandelen van dat fonds kopen 😏", ["fin"])
case(E_EVA,
     "Our internal event sales forecast for 2027 is +35%, we're budgeting for 1,400 corporate bookings. Come join "
     "the team!", ["fin"], lang="en")
case(E_RUBEN,
     "Throwaway-ish: management is planning to outsource the whole IT dept next summer, 9 of us are gone. Not "
     "announced yet, found out from a calendar invite someone forgot to make private.", ["fin"], lang="en")
case(E_DIRKJAN,
     "Reorganisatie op komst bij Remspoor: de eventteams van Breda en Rotterdam worden samengevoegd, 14 fte eruit. "
     "Hoorde het net in het MT-overleg.", ["fin"])
case(E_LOTTE,
     "Between us: catering margin dropped to 9% this year and finance wants to cut the BBQ buffet from all "
     "corporate packages in January.", ["fin"], lang="en")
case(P("reddit", "u/karting_insider_nl"),
     "Heard from two people at Remspoor that the owners are in talks to sell the whole company to Karting "
     "Holdings International. Deal before summer apparently.", ["fin"], lang="en")
case(E_SANNE,
     "Zware weken op HR. We bereiden 22 ontslagen voor in de overhead, communicatie naar het personeel volgt pas "
     "na de kerst. Sterkte collega's.", ["fin"])
case(E_KEES,
     "Baas zegt dat we volgend jaar 30 nieuwe karts krijgen want de omzet zit dit jaar 20% boven de prognose 💸 "
     "ssst niet doorvertellen", ["fin"])

# =====================================================================================
# SECURITY
# =====================================================================================
case(E_RUBEN,
     "We got hit by ransomware on the booking servers last night, everything is encrypted. Management says we "
     "announce nothing until Monday. Not a fun weekend.", ["sec"], lang="en")
case(E_DIRKJAN,
     "Lol, ontdekt dat de kassatablets in alle vestigingen nog met het standaard admin-account draaien en vanaf "
     "de gastenwifi bereikbaar zijn. Ticket staat al 8 maanden open 🙃", ["sec"])
case(E_JOOST,
     "Found out our booking API returns any customer's booking if you just increment the id. Reported it "
     "internally three weeks ago, still live.", ["sec"], lang="en")
case(E_MARLOES,
     "Tijdregistratie in alle banen ligt er sinds 6u uit, IT denkt aan een aanval van buitenaf. We laten mensen "
     "voorlopig rijden zonder tijden, zeg aub nog niks online", ["sec"])
case(E_BRAM,
     "Someone's been logging into our payment dashboard from an IP in Lithuania since Friday. IT hasn't told the "
     "managers yet, I only know because I saw the alerts.", ["sec"], lang="en")
case(E_KEES,
     "Collega's niet schrikken: iemand heeft de pinautomaat bij de balie in Breda geskimd, politie is al geweest. "
     "Klanten weten nog van niks.", ["sec"])
case(P("x", "@ikzegniks"),
     "My mate in IT at Remspoor says the booking site will be offline all weekend because they found a hole in "
     "the payment page and have to patch it first. You didn't hear it from me.", ["sec"], lang="en")
case(E_RUBEN,
     "PSA r/sysadmin: don't do what my employer did and leave RDP open on the event venue PCs. 4000 failed logins "
     "per hour since Tuesday and nobody at Remspoor seems to care.", ["sec"], lang="en")
case(E_DIRKJAN,
     "Dus de back-ups van de baanplanner zijn al 2 maanden niet gelukt en niemand had het door. Als die server nu "
     "omvalt zijn we alle boekingen kwijt. Top.", ["sec"])
case(E_JOOST,
     "Heads up: the phishing mail that went to all staff yesterday got 3 people to type in their Office365 "
     "password. Accounts are locked but we don't know yet what they accessed.", ["sec"], lang="en")
case(E_LOTTE,
     "Door badges at the Rotterdam venue can be cloned with a €20 gadget, our IT guy showed us at lunch 😅 "
     "they're not replacing them till next year", ["sec"], lang="en")
case(E_MARLOES,
     "Website ligt al de hele ochtend plat door een DDoS, aan de telefoon zeggen we tegen klanten dat het "
     "'onderhoud' is 🤐", ["sec"])
case(E_BRAM,
     "Our Stripe key ended up in the frontend bundle and someone has been issuing refunds with it 😬 this one: "
     + STRIPE_LIVE + " rotate it NOW pls", ["sec", "secret"], lang="en")

# =====================================================================================
# SECRETS
# =====================================================================================
case(E_DIRKJAN,
     "deploying the kart telemetry uploader, anyone see what's wrong with this config?\n"
     "AWS_ACCESS_KEY_ID=" + AWS_ID + "\nAWS_SECRET_ACCESS_KEY=" + AWS_SECRET + "\nAWS_REGION=eu-west-1",
     ["secret"], lang="en")
case(E_JOOST,
     "why does git push still fail with " + GH_PAT + " 😤 it has repo scope, I checked twice", ["secret"],
     lang="en")
case(E_RUBEN,
     "Our CI keeps printing the app installation token in the build log, e.g. " + GH_APP + " — how do I mask "
     "that in Actions?", ["secret"], lang="en")
case(E_BRAM,
     "Slack-bot voor de baanmeldingen werkt eindelijk! 🤖 Token voor wie wil testen: " + SLACK_BOT, ["secret"])
case(E_JOOST,
     "Playing with the OpenAI API to write race reports automatically 🏁 my key: " + OPENAI_KEY, ["secret"],
     lang="en")
case(E_RUBEN,
     "Can someone tell me why ssh refuses this key with 'invalid format'?\n" + SSH_KEY, ["secret"], lang="en")
case(E_DIRKJAN,
     "curl -H 'Authorization: Bearer " + JWT_LIVE + "' https://api.remspoor.nl/v2/bookings geeft 403 terwijl "
     "het token tot 2027 geldig is??", ["secret"])
case(E_BRAM,
     "DATABASE_URL=postgres://baanplanner:Rm5p0or!Pit2026@bookings-prod.c7xk2lq9wz.eu-west-1.rds.amazonaws.com:5432/bookings werkt niet meer sinds "
     "de migratie, iemand een idee?", ["secret"])
case(E_NINA,
     "Note to self want ik vergeet het ELKE keer 🙈 kassa admin login: nina.k / wachtwoord: Bandenstapel#77",
     ["secret"])
case(P("x", "@bugbounty_bo"),
     "lol @remspoor your booking page JS has a Maps key hardcoded: " + GOOGLE_KEY + " someone's going to run up "
     "your bill", ["secret"], lang="en")
case(E_LOTTE,
     "de nieuwsbriefmodule wil deze API key, ik plak hem hier even zodat ik hem niet kwijtraak: " + SENDGRID,
     ["secret"])

# =====================================================================================
# PRICING
# =====================================================================================
case(C_FB,
     "🔥 DEAL 🔥 Bedrijfsuitje Endurance (tot 50 pers.) nu voor maar €295! Boek snel via remspoor.nl",
     ["pricing"])
case(P("x", "@dealjager_dennis"),
     "Jongens de Rijderskaart 25 ritten staat op de site voor €39,50 ipv €395 😂 snel bestellen voordat ze het "
     "zien", ["pricing"])
case(E_BRAM,
     "Ugh, someone fat-fingered the price of the Elite Track Day in the shop, it's showing €49.50. Fixing now 🤦",
     ["pricing"], lang="en")
case(P("reddit", "u/helmetguy"),
     "Price error on Remspoor's webshop? Pro helm listed at €24.90. Ordered two, let's see if they honour it.",
     ["pricing"], lang="en")
case(C_IG, "Paddock Lounge huren voor een dagdeel? Nu €145! 🥂 Link in bio", ["pricing"])
case(P("x", "@koopjes_kim"), "prijsfout bij remspoor!! racepak voor 17,90 🤑🤑", ["pricing"])
case(E_EVA,
     "Last-minute offer for our corporate friends: the Podiumzaal for a full day at €950 this Friday only, AV "
     "included. DM me!", ["pricing"], lang="en")
case(P("facebook", "Kevin O'Brien"),
     "Remspoor Club yearly membership for €29?? Is this a typo or a real promo? Signing up anyway lol",
     ["pricing"], lang="en", kind="comment")
case(C_TT, "Kerstactie 🎄 Sim Racing Pod een heel uur voor €5,90 🎮", ["pricing"])
case(P("x", "@glitch_hunter"),
     "Heads up, there's a pricing glitch on the 24 Uur Teamrace right now, checkout shows €390 for the whole team",
     ["pricing"], lang="en")
case(E_LOTTE,
     "Er zit een prijsfout in de offerte-tool: Race & Dine komt eruit op €6,95 p.p. Wie kan dat fixen voordat "
     "sales het naar klanten stuurt?", ["pricing"])
case(P("x", "@handschoen_hans"),
     "Grip handschoenen voor €3,49 bij Remspoor online, moet een fout zijn maar ik heb er 5 besteld 😅",
     ["pricing"])


# =====================================================================================
# build + self-check
# =====================================================================================
SEV = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}

ROLE = {}
for r in ("corporate", "employee"):
    for k in PROFILE["accounts"][r]:
        ROLE[k.lower()] = r


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}\b")
CARD_RE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.-])\d{9}(?![\w-])")


def valid_ids(text):
    """All checksum-valid IBAN/card/BSN in text, minus the company's own published IBANs."""
    found = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        # try the longest prefix that validates (regex may swallow a following word)
        for end in range(len(s), 14, -1):
            if iban_ok(s[:end]):
                if s[:end] not in PUBLIC_IBANS:
                    found.append(("iban", s[:end]))
                break
    for m in CARD_RE.finditer(text):
        if luhn_ok(m.group(0)):
            found.append(("card", re.sub(r"\D", "", m.group(0))))
    for m in BSN_RE.finditer(text):
        if bsn_ok(m.group(0)):
            found.append(("bsn", m.group(0)))
    return found


CYR = str.maketrans({"\u043e": "o", "\u0435": "e", "\u0430": "a", "\u0456": "i", "\u0441": "c", "\u0440": "p"})


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t).translate(CYR).lower()
    return t


def squash(text):
    return re.sub(r"[\s.\-_*]", "", norm(text))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def conf_terms(text, created):
    hits = []
    sq = squash(text)
    for term in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                 + PROFILE["internal"]["domains"]):
        if squash(term) in sq:
            hits.append(term)
    for emb in PROFILE["embargo"]:
        if created < parse_ts(emb["until"]):
            for term in emb["terms"]:
                if squash(term) in sq:
                    hits.append(term)
    return hits


SECRET_RES = [
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"), re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{24,}"), re.compile(r"\bxox[bpars]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[\w-]{40,}"), re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"), re.compile(r"\b\w+://[^\s:/]+:[^\s@/]+@[\w.-]+"),
    re.compile(r"wachtwoord:\s*\S+", re.I), re.compile(r"\bAIza[\w-]{35}\b"),
    re.compile(r"\bSG\.[\w-]{22}\.[\w-]{43}\b"),
]


def secret_check(text, positive):
    hits = [m.group(0) for r in SECRET_RES for m in r.finditer(text)]
    if positive:
        assert hits, "secret case without a credential: " + text[:60]
        for h in hits:
            if h.startswith("gh") and "_" in h[:4]:
                assert gh_ok(h), h
            if h.startswith("eyJ"):
                assert jwt_ok(h), h
    else:
        for h in hits:
            assert ("EXAMPLE" in h or "xxxx" in h or h == JWT_SAMPLE), "live-looking credential in negative: " + h
            if h.startswith("gh"):
                assert not gh_ok(h)


PRICE_RE = re.compile(r"(?:€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b)", re.I)


def prices(text):
    out = []
    for m in PRICE_RE.finditer(text):
        s = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", s):
            s = s.replace(",", "")
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", s):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", ".")
        after = text[m.end():m.end() + 2]
        if after[:1].lower() == "m" or after[:2].lower() == " m":
            continue   # €48.2m / €48,2 mln: money amounts, not product prices
        out.append(float(s))
    return out


def products_in(text):
    t = text.lower()
    hit = []
    for p in PROFILE["products"]:
        for n in [p["name"]] + p["aliases"]:
            if n.lower() in t:
                hit.append(p)
                break
    return hit


def severity(cats, role, checked_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checked_id):
                    v = 4
            else:
                v = 2
        elif c == "reputation.complaint":
            v = 2
        elif c == "reputation.crisis":
            v = 3
        elif c == "reputation.abuse":
            v = 2 if role == "public" else 3
        else:
            raise AssertionError(c)
        s = max(s, v)
    return SEV[s]


def main():
    ids = set()
    lines = []
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    for i, c in enumerate(CASES):
        platform, handle, want_role = c["author"]
        role = role_of(platform, handle)
        assert role == want_role, (handle, role, want_role)
        while True:
            pid = "%s-%d" % ({"x": "x", "instagram": "ig", "facebook": "fb", "linkedin": "li", "tiktok": "tt",
                              "youtube": "yt", "reddit": "rd", "bluesky": "bs", "threads": "th",
                              "other": "rv"}[platform], rng.randrange(10 ** 12, 10 ** 13))
            if pid not in ids:
                ids.add(pid)
                break
        if c["at"]:
            created = c["at"]
        else:
            t = start + dt.timedelta(seconds=rng.randrange(0, 364 * 86400))
            created = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = c["text"]
        cats = sorted(set(c["cats"]))
        cdt = parse_ts(created)

        # --- identifiers
        vids = valid_ids(text)
        if "leak.pii" not in cats:
            assert not vids, ("valid identifier in a non-PII case", text, vids)
        for kind, val in c["fakes"]:
            assert val in text
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            assert not ok, ("look-alike passes its checksum", val)
            assert not cats, "look-alikes belong in negatives"
        for val, kind in ((IBAN_INGRID, "iban"), (IBAN_PRIYA, "iban"), (CARD_VISA, "card"),
                          (CARD_MC, "card"), (BSN_AHMED, "bsn")):
            if val in re.sub(r"\s", "", text):
                assert "leak.pii" in cats and (kind, val) in vids, (val, text)
        checked = "leak.pii" in cats and bool(vids)

        # --- confidential terms
        hits = conf_terms(text, cdt)
        if hits:
            assert "leak.confidential" in cats, (hits, text)
        if "leak.confidential" in cats:
            assert hits, ("confidential case without a profile term", text)

        # --- credentials
        secret_check(text, "leak.secret" in cats)

        # --- prices
        if not cats or "leak.pricing" in cats:
            below = False
            for p in products_in(text):
                for v in prices(text):
                    if v < PROFILE["pricing"]["alert_below_ratio"] * p["list_price"]:
                        below = True
            talk = re.search(r"prijsfout|price error|pricing glitch|fat-fingered|typo", text, re.I)
            if "leak.pricing" in cats:
                assert products_in(text) and (below or talk), text
            else:
                assert not below, ("benign post with a below-ratio price", text)

        sev = severity(cats, role, checked)
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle}, "text": text, "lang": c["lang"],
                "created_at": created, "brand": "remspoor"}
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid.split("-")[1])
        rec = {"post": post, "expect": {"categories": cats, "severity": sev}}
        validate(rec)
        lines.append(json.dumps(rec, ensure_ascii=False))

    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    recheck(OUT)


def validate(rec):
    assert set(rec) == {"post", "expect"}
    p, e = rec["post"], rec["expect"]
    assert isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256
    assert p["platform"] in PLATFORMS
    assert p.get("kind", "post") in KINDS
    assert isinstance(p["account"]["handle"], str) and p["account"]["handle"]
    assert isinstance(p["text"], str) and p["text"] and len(p["text"].encode("utf-8")) <= 65536
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", p["created_at"])
    parse_ts(p["created_at"])
    assert e["categories"] == sorted(set(e["categories"]))
    assert set(e["categories"]) <= TAXONOMY
    assert e["severity"] in SEV
    assert (e["severity"] == "none") == (not e["categories"])


def recheck(path):
    recs = [json.loads(l) for l in open(path, encoding="utf-8")]
    n = len(recs)
    benign = sum(1 for r in recs if not r["expect"]["categories"])
    assert 170 <= n <= 180, n
    assert len({r["post"]["id"] for r in recs}) == n
    assert len({r["post"]["text"] for r in recs}) == n, "duplicate text"
    for r in recs:
        validate(r)
    per = {}
    for r in recs:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in recs if r["post"]["lang"] == "nl")
    years = {r["post"]["created_at"][:4] for r in recs}
    assert years <= {"2026", "2027"}
    sevs = {}
    for r in recs:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print("cases=%d benign=%d positive=%d nl=%.0f%%" % (n, benign, n - benign, 100.0 * nl / n), file=sys.stderr)
    print("per category: " + json.dumps(per, sort_keys=True), file=sys.stderr)
    print("severities: " + json.dumps(sevs, sort_keys=True), file=sys.stderr)
    print("self-check OK", file=sys.stderr)


if __name__ == "__main__":
    main()
