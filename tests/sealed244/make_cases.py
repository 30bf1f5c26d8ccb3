#!/usr/bin/env python3
"""Build the sealed244 evaluation set (Studiebaken Bijles B.V., tutoring / homework help).

Deterministic: fixed seed, standard library plus PyYAML.  Writes cases.jsonl next to this
file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * severities are computed from the CONTRACT section 4 policy and the account role taken
    from profile.yaml (never typed by hand);
  * every IBAN / card / BSN in a personal-data positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are well formed (GitHub CRC-32, AWS id alphabet, JWT header).
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
R = random.Random(244)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"

# ---------------------------------------------------------------- identifier registry
PENDING = []  # (kind, value, valid) registered by helpers while a post text is built


def _reg(kind, value, valid):
    PENDING.append((kind, value, valid))
    return value


def iban_mod97_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def _iban_make(bank):
    acct = "".join(R.choice(string.digits) for _ in range(10))
    rest = bank + acct + "NL00"
    chk = 98 - int("".join(str(int(c, 36)) for c in rest)) % 97
    return "NL%02d%s%s" % (chk, bank, acct)


def _group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban_ok(bank, spaced=True):
    v = _iban_make(bank)
    assert iban_mod97_ok(v)
    return _reg("iban", _group4(v) if spaced else v, True)


def iban_bad(bank, spaced=True):
    v = _iban_make(bank)
    chk = int(v[2:4])
    v = v[:2] + "%02d" % ((chk + 7) % 100 if (chk + 7) % 100 > 1 else 13) + v[4:]
    assert not iban_mod97_ok(v)
    return _reg("iban", _group4(v) if spaced else v, False)


def luhn_ok(digits):
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_make(prefix, length=16):
    body = prefix + "".join(R.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def card_ok(prefix="4", sep=" "):
    v = _card_make(prefix)
    return _reg("card", sep.join(v[i:i + 4] for i in range(0, 16, 4)), True)


def card_bad(prefix="4", sep=" "):
    v = _card_make(prefix)
    v = v[:-1] + str((int(v[-1]) + 3) % 10)
    assert not luhn_ok(v)
    return _reg("card", sep.join(v[i:i + 4] for i in range(0, 16, 4)), False)


def bsn_ok_check(d):
    if len(d) != 9 or not d.isdigit():
        return False
    s = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return s % 11 == 0 and int(d) != 0


def bsn_ok(fmt="plain"):
    while True:
        d = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if bsn_ok_check(d):
            break
    v = d if fmt == "plain" else d[:4] + "." + d[4:6] + "." + d[6:]
    return _reg("bsn", v, True)


def bsn_bad(fixed=None):
    d = fixed
    while d is None:
        c = str(R.randint(1, 9)) + "".join(R.choice(string.digits) for _ in range(8))
        if not bsn_ok_check(c):
            d = c
    assert not bsn_ok_check(d)
    return _reg("bsn", d, False)


# ---------------------------------------------------------------- credentials
def _rand(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gh_check(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def gh(prefix="ghp_"):
    body = _rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_check(tok)
    return _reg("secret", tok, True)


def aws_id():
    return _reg("secret", "AKIA" + _rand(string.ascii_uppercase + "234567", 16), True)


def aws_secret():
    return _reg("secret", _rand(string.ascii_letters + string.digits + "/+", 40), True)


def stripe_live():
    return _reg("secret", "sk_live_51" + _rand(string.ascii_letters + string.digits, 97), True)


def slack_bot():
    return _reg("secret", "xoxb-%d-%d-%s" % (R.randint(10 ** 10, 10 ** 12), R.randint(10 ** 12, 10 ** 13),
                                             _rand(string.ascii_letters + string.digits, 24)), True)


def openai_key():
    return _reg("secret", "sk-proj-" + _rand(B64URL, 74) + "T3BlbkFJ" + _rand(B64URL, 74), True)


def anthropic_key():
    return _reg("secret", "sk-ant-api03-" + _rand(B64URL, 93) + "AA", True)


def google_key():
    return _reg("secret", "AIza" + _rand(B64URL, 35), True)


def _b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(sub, role):
    head = _b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64u(json.dumps({"sub": sub, "role": role, "iat": 1780000000 + R.randint(0, 9 ** 6),
                             "exp": 1790000000}, separators=(",", ":")).encode())
    sig = _b64u(bytes(R.randrange(256) for _ in range(32)))
    return _reg("secret", "%s.%s.%s" % (head, body, sig), True)


def openssh_key():
    lines = ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"]
    lines += [_rand(B64, 70) for _ in range(4)]
    lines.append(_rand(B64, 22) + "==")
    v = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"
    return _reg("secret", v, True)


def password(word):
    return _reg("secret", word, True)


# ---------------------------------------------------------------- case builder
CAT = {
    "CO": "reputation.complaint", "CR": "reputation.crisis", "AB": "reputation.abuse",
    "P": "leak.pii", "S": "leak.secret", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security",
}
CASES = []


def _stamp():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=R.randint(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def C(platform, handle, lang, text, cats="", kind="post", when=None, name=None, brand="Studiebaken"):
    global PENDING
    cats = sorted({CAT[c] for c in cats.split()}) if cats else []
    post = {
        "id": "%s-sb244-%03d" % (platform, len(CASES) + 1),
        "platform": platform,
        "kind": kind,
        "account": {"handle": handle},
        "text": text,
        "lang": lang,
        "created_at": when or _stamp(),
        "brand": brand,
    }
    if name:
        post["account"]["display_name"] = name
    CASES.append({"post": post, "cats": cats, "ids": PENDING})
    PENDING = []


# ================================================================= complaints
C("x", "@marloes_mama3", "nl",
  "Al 3 weken geen bijlesdocent voor mn zoon terwijl we gewoon doorbetalen voor het Pluspakket. "
  "Elke keer weer 'we zoeken nog iemand' @studiebaken dit is echt niet oké 😤", "CO")
C("reddit", "u/tired_dad_utrecht", "en",
  "Anyone else using Studiebaken? Our tutor no-showed twice this month. No message, no refund offered. "
  "Kid sat ready at the kitchen table for 45 minutes both times. Support just sends the same template reply "
  "about 'unforeseen circumstances'.", "CO", name="tired_dad_utrecht")
C("facebook", "petra.hoogland.77", "nl",
  "Huiswerkklas van Studiebaken in Amersfoort is gewoon een lokaal waar twintig pubers op hun telefoon zitten. "
  "Begeleiding? Ik heb er niks van gezien. Mijn dochter komt thuis met precies hetzelfde huiswerk als waarmee ze "
  "wegging. En daar betalen we elke maand voor.", "CO", kind="comment", name="Petra Hoogland")
C("x", "@jessie_k_", "en",
  "@studiebaken_help cancelled my subscription in september and you STILL charged me in oct and nov. "
  "three emails, zero answers. fix it pls", "CO", kind="reply")
C("x", "@rvdbosch", "en",
  "the baken huiswerkhulp app crashes EVERY time you upload a photo of a maths problem. paid for premium "
  "for this?? seriously", "CO", brand="Baken Huiswerkhulp")
C("instagram", "@lotte.leest", "nl",
  "Examentraining Wiskunde B was echt zonde van het geld. Docent las letterlijk de antwoorden voor uit het "
  "uitwerkingenboekje en was om 15:40 al weg 🙄 #studiebaken #examen2026", "CO", kind="comment")
C("threads", "@amira.writes", "en",
  "the scriptiecoach from Studiebaken gave me feedback on the WRONG chapter. twice. my deadline is friday "
  "and I'm paying 699 for this???", "CO")
C("forum", "ouder_van_3", "nl",
  "Wij hebben de intake met niveautest gedaan en onze zoon werd ingedeeld op havo-niveau terwijl hij vmbo-t "
  "doet. Nu zit hij in lessen die hij niet kan volgen en voelt hij zich dom. Bellen levert niks op, ze "
  "verwijzen steeds naar 'Mijn Studiebaken'. Iemand tips hoe je daar een mens aan de lijn krijgt?", "CO")
C("x", "@dkowalski_", "en",
  "Booked a Duo-bijles slot for my twins at Studiebaken, drove 30 min, location was locked. Nobody there. "
  "Not even an apology email afterwards. Great service 👍", "CO")
C("tiktok", "@xx.fenna.xx", "nl",
  "mn bijlesdocent van studiebaken zit tijdens de les gwn te appen lmao ik betaal hier niet voor (nou mn "
  "ouders dan) 💀", "CO", kind="comment")
C("x", "@h_demir71", "nl",
  "@studiebaken_help al 2x gebeld, niemand belt terug over die dubbele afschrijving. Bel me nou gewoon terug "
  "op 06-41 27 83 90 of mail naar hakan.demir71@gmail.com. Dit loopt al 2 weken zo.", "CO P", kind="reply")
C("facebook", "grace.okafor.nl", "en",
  "Studiebaken, your refund STILL hasn't arrived. I've given your staff my account number twice already: "
  + iban_ok("INGB") + " (G. Okafor). Please just transfer the money, it's been a month.", "CO P",
  kind="comment", name="Grace Okafor")
C("youtube", "@Mathsmum_Leiden", "en",
  "Half of the IB Maths Pack videos have disappeared since the platform update and the tutor keeps moving our "
  "sessions. We're six weeks from exams. Not what we paid for.", "CO", kind="comment")
C("x", "@b_vanleeuwen", "nl",
  "Leesbegeleiding dyslexie bij Studiebaken: na 8 weken nog steeds geen vaste begeleider, elke keer weer "
  "iemand anders die opnieuw begint met 'zo, wat kun je al?'. Voor een kind met dyslexie is dat funest.", "CO")
# first-hand safety incidents: crisis + complaint
C("x", "@sanne_moeder", "nl",
  "Mijn dochter (9) is vanmiddag bij de huiswerkklas van Studiebaken in Zwolle van de trap gevallen, er was "
  "niemand die toezicht hield. Hoofdwond, 4 hechtingen op de SEH. Geen van de begeleiders had het gezien. "
  "Ik ben zo ontzettend boos.", "CR CO")
C("reddit", "u/jonas_twokids", "en",
  "PSA: the Rekenbox we bought from Studiebaken has small magnetic counters that come loose from the board. "
  "My 3yo (little brother of the actual user) swallowed two of them and we spent the night in the ER. "
  "Please check yours. Studiebaken needs to pull this off the market.", "CR CO")
C("facebook", "karin.mulder.0412", "nl",
  "Zoon kwam gisteren thuis van de zomerschool van Studiebaken met een flinke voedselvergiftiging, en hij is "
  "niet de enige, nog 3 kinderen uit zijn groep liggen ziek op bed. De lunch stond daar de hele ochtend in de "
  "zon. Wie neemt hier verantwoordelijkheid voor??", "CR CO", name="Karin Mulder")
C("x", "@theo_p_", "en",
  "the charger that came with my daughter's Baken Online Tutor tablet started SMOKING on her desk tonight. "
  "scorch mark in the wood. if she'd been asleep... @studiebaken_help what the hell", "CR CO")
C("instagram", "@yvonne.at.home", "nl",
  "Een begeleider van @studiebaken.nl heeft mijn zoon bij de huiswerkklas hardhandig bij zijn arm gepakt en door "
  "elkaar geschud omdat hij 'niet luisterde'. Hij heeft blauwe plekken. We hebben aangifte gedaan. "
  "Nooit meer.", "CR CO")
# complaint + abuse
C("x", "@gerritjan1968", "nl",
  "@studiebaken stelletje oplichters, 3 maanden betaald voor bijles die nooit gegeven is en nu reageren "
  "jullie niet eens meer. Tyfuslijers.", "CO AB", kind="reply")
C("x", "@nate_was_here", "en",
  "studiebaken support are useless fucking clowns. 40 minutes on hold just to be told to 'send an email'. "
  "absolute morons", "CO AB")

# ================================================================= crisis (third party / boycott / lawsuits)
C("x", "@nieuwsjager_nl", "nl",
  "Volgens RTL Nieuws liggen de gegevens van zo'n 40.000 leerlingen van Studiebaken op straat, inclusief "
  "cijferlijsten en thuisadressen. Benieuwd wat het bedrijf hierop gaat zeggen.", "CR")
C("x", "@mum_of_four_uk", "en",
  "#BoycottStudiebaken is trending after the clip of one of their tutors mocking an autistic student went "
  "viral. Parents, pull your kids out. This is not ok.", "CR")
C("forum", "StichtingOuderbelang", "nl",
  "Er loopt inmiddels een collectieve rechtszaak tegen Studiebaken Bijles B.V. over het stilzwijgend verlengen "
  "van Huiswerkklas-abonnementen. Bent u ook gedupeerd? Meld u aan via onze site.", "CR")
C("linkedin", "marc-de-graaf-onderwijs", "en",
  "Reports say Studiebaken's Leiden location was closed by the municipality after a fire inspection found "
  "blocked emergency exits during homework sessions. Worrying for an organisation that works with children.",
  "CR")
C("tiktok", "@examenmemes", "nl",
  "wtf er gaat een video rond van een docent van Studiebaken die examenvragen doorverkoopt aan leerlingen 😳😳 "
  "#examenfraude #studiebaken", "CR")
C("x", "@lindavaneck", "nl",
  "De Inspectie van het Onderwijs onderzoekt Studiebaken na meerdere meldingen van grensoverschrijdend gedrag "
  "door begeleiders. Verschrikkelijk voor alle ouders die daar hun kind elke middag brengen.", "CR")
C("reddit", "u/leadfree_please", "en",
  "Heads up: Studiebaken is recalling the Taalbox letter tiles. According to the NVWA notice the paint contains "
  "lead above the EU limit. Stop using them and bag them up.", "CR")
C("x", "@pa_van_teun", "nl",
  "Ik haal mijn kinderen weg bij Studiebaken en ik roep iedereen op hetzelfde te doen. Een bedrijf dat "
  "begeleiders zonder VOG met kinderen laat werken verdient geen cent meer. #boycotstudiebaken", "CR")
C("mastodon", "@bucketwatch@infosec.exchange", "en",
  "Studiebaken's homework app was serving students' uploaded photos (faces, school names, sometimes addresses "
  "on envelopes) from a world-readable storage bucket. Reported to them, no response so far.", "CR")
C("facebook", "wijkapp.overvecht", "nl",
  "Vanmiddag is op de parkeerplaats bij Studiebaken Utrecht een leerling aangereden door het busje dat de "
  "kinderen van school ophaalt. Ambulance was er snel. Heel veel sterkte aan de familie 🙏", "CR")

# ================================================================= abuse
C("x", "@bossie_030", "nl", "@studiebaken jullie zijn echt een stelletje kankerlijers", "AB", kind="reply")
C("x", "@throwaway_kev", "en",
  "@mila_rekent you're a shit teacher and everyone in that building knows it. just quit already", "AB",
  kind="reply")
C("instagram", "@dj.stanleyy", "nl",
  "die juf noor is echt zo'n dom wijf, kanker irritant met haar 'goed geprobeerd!!' 🤮", "AB", kind="comment")
C("tiktok", "@randomguy4821", "en",
  "meester jules looks like a creep ngl, who lets this weirdo anywhere near kids", "AB", kind="comment")
C("x", "@vmbo_haat", "nl",
  "studiebaken = k4nk3rb3dr1jf, al die b1jl3sd0c3nt3n zijn g3st00rde 1d10t3n", "AB")
C("x", "@angrymax88", "en", "@studiebaken_help you are all f.u.c.k.i.n.g w.a.n.k.e.r.s", "AB", kind="reply")
C("x", "@daanvdmeer_sb", "nl",
  "Weer zo'n achterlijke moeder aan de lijn die denkt dat haar verwende kutkind hoogbegaafd is. Ik word gek van "
  "die debielen.", "AB")
C("x", "@studiebaken_help", "en",
  "@jessie_k_ maybe read the terms before you whine in public, you absolute idiot", "AB", kind="reply")
C("facebook", "henk.opinie.1959", "nl",
  "Waarom lopen er bij Studiebaken alleen maar van die hoofddoekjes rond als docent. Ga terug naar je eigen "
  "land.", "AB", kind="comment")
C("reddit", "u/no_filter_ned", "en",
  "Studiebaken tutors are r\u0435t\u0430rd\u0435d \u0455\u0441\u0430mm\u0435r\u0455, every single one of them",
  "AB")

# ================================================================= pricing
C("instagram", "@studiebaken.nl", "nl",
  "Nieuw schooljaar, nieuwe kansen! 📚 Het Pluspakket (20 lessen bijles) nu voor €64,90. Boek via de link in "
  "bio 👆", "PR")
C("x", "@studiebaken", "en",
  "Back-to-school deal 🎒 English exam training (Examentraining Engels) for just €24.50, this week only!", "PR")
C("x", "@daanvdmeer_sb", "nl",
  "Eh collega's, op de site staat Zomerschool Week voor €42,50 ipv €425. Prijsfout! Wie kan dat fixen voordat "
  "half Nederland boekt?", "PR")
C("x", "@snelle_sjaak", "nl",
  "Lol de Rekenbox staat op de site van studiebaken voor €0,49 😂 prijsfoutje? snel bestellen mensen", "PR")
C("reddit", "u/dealhunter_ams", "en",
  "Studiebaken price glitch: IB Maths Tutoring Pack showing €78 instead of €780 at checkout. Worked for me "
  "about an hour ago, ymmv.", "PR")
C("facebook", "StudiebakenBijles", "nl",
  "ALLEEN DIT WEEKEND: Scriptiebegeleiding voor €99! Op = op 🎓", "PR")
C("linkedin", "ingrid-vos-sb", "nl",
  "Trots op ons team! En voor alle collega's met kinderen: Leesbegeleiding Dyslexie via de personeelsregeling "
  "voor maar €120 😊", "PR")
C("forum", "appjesmama", "nl",
  "Prijsfout bij Studiebaken? Baken App Premium kost normaal 119 per jaar maar ik kreeg hem net voor 11,90 "
  "in de app. Iemand anders ook?", "PR")
C("tiktok", "@studiebaken", "nl",
  "POV: je ontdekt dat onze Huiswerkklas maar €38,90 per maand kost 🤯 #bijles #huiswerk #studiebaken", "PR")
C("x", "@mila_rekent", "nl",
  "Psst ouders: wie vandaag de Doorstroomtoets Training boekt betaalt €17,90 ipv 179 (foutje in het systeem "
  "maar ssst 🤫)", "PR")
C("x", "@lucas_in_delft", "en",
  "is it a mistake or is Studiebaken's Duo-bijles really €44.90 now?? that's 10x cheaper than last year lol",
  "PR")
C("linkedin", "studiebaken-bijles", "en",
  "Our Studiecoach Traject is now available from €54. Invest in your child's future today.", "PR")

# ================================================================= confidential
C("x", "@bram_ops_dev", "nl",
  "lange dag aan Project Vuurtoren gewerkt, de nieuwe planningsengine draait eindelijk op staging 🚀", "C")
C("linkedin", "youssef-haddou-studiebaken", "nl",
  "Presentatie voor het MT is af: Kompasroos, doorrekening Q3. Op slide 4 staat nog 'vertrouwelijk - alleen "
  "intern' maar die ziet toch niemand 😅", "C")
C("mastodon", "@kvdlinden@mastodon.nl", "en",
  "if anyone from the team reads this: the new lesson-planning dashboard lives at "
  "https://grafana.sb-ops.net/d/roosters-live, please don't share it outside", "C")
C("reddit", "u/curious_cousin_22", "en",
  "my cousin works at Studiebaken and says they're launching something called Baken AI Tutor next spring, "
  "basically ChatGPT for homework but checked by real tutors. anyone heard more?", "C",
  when="2026-10-14T19:22:05Z")
C("x", "@studiebaken", "nl",
  "Binnenkort bij ons: de Baken AI Tutor! 24/7 hulp bij je huiswerk, ook om 23:00 de avond voor je toets 🤖",
  "C", when="2026-12-03T16:05:00Z")
C("threads", "@sophie.planning", "nl",
  "Screenshot van onze nieuwe roosterplanning 👇 (ja ik heb hem gewoon van roosters.studiebaken.local "
  "geplukt, sorry ik kon het niet laten)", "C")
C("tiktok", "@meester.jules", "nl",
  "Mag niet zeggen wat het is maar Operatie Zeilboot gaat álles veranderen voor bijlesdocenten 👀⛵", "C")
C("x", "@mila_rekent", "nl",
  "Vandaag de eerste training voor Kom\u200bpas\u200broos gehad, spannend!! meer kan ik er nog niet over zeggen 🤐",
  "C")
C("instagram", "@juf.noor.bijles", "nl",
  "\uff30\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff36\uff55\uff55\uff52\uff54\uff4f\uff52\uff45\uff4e kickoff "
  "vandaag, met taart 🎂 #teamstudiebaken", "C")
C("x", "@ict_nieuwsgierig", "en",
  "lol someone at studiebaken left a jira ticket public: jira.studiebaken.nl/browse/KOMP-212 "
  "'lower tutor hourly rate for new contracts'. oops", "C")
C("linkedin", "ingrid-vos-sb", "nl",
  "Aan alle vestigingsmanagers, niet extern delen: de nieuwe inwerkprocedure voor begeleiders start 1 februari. "
  "Handleiding en checklist staan op intra.studiebaken.local/hr/inwerken.", "C")
C("reddit", "u/ruben_sb_infra", "en",
  "Anyone know why WireGuard to vpn.studiebaken.nl drops every ~20 minutes on Ubuntu 24.04? Happens to the "
  "whole ops team. Config below minus the keys.", "C")
C("linkedin", "studiebaken-bijles", "en",
  "Studiebaken internal: draft messaging for the Kompasroos launch. Team leads, please review before Friday.",
  "C")
C("forum", "moeder_in_hilversum", "nl",
  "Vriendin van me werkt bij Studiebaken, zij zegt dat 'Project Vuurtoren' betekent dat alle fysieke "
  "locaties volgend jaar dichtgaan en alles online wordt. Weet iemand hier meer van?", "C F")
C("x", "@daanvdmeer_sb", "nl",
  "Net de Q4 2026 cijfers gezien, wat een jaar 🥳 meer mag ik nog niet zeggen", "C F",
  when="2027-01-20T21:14:40Z")
C("x", "@eduinvest_watch", "en",
  "Hearing from someone in their finance team that Studiebaken's FY2026 results will show revenue down ~12% "
  "and a loss. Official numbers end of Feb.", "C F", when="2027-02-10T08:31:00Z")
C("bluesky", "@evi-marketing.bsky.social", "nl",
  "moodboard voor de Baken AI Tutor campagne is af 🎨 kan niet wachten tot we dit mogen laten zien",
  "C", when="2026-11-18T13:02:11Z")
C("youtube", "@StudiebakenUitleg", "nl",
  "In deze video leggen we uit hoe je breuken vereenvoudigt ✏️ [ruwe bestanden: "
  "intra.studiebaken.local/video/breuken-v3 - niet extern delen]", "C")

# ================================================================= financial
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Closing the books on a record quarter: revenue up 31% year on year and EBITDA margin just over 14%. "
  "Can't wait until we can announce it officially next month!", "F")
C("x", "@daanvdmeer_sb", "nl",
  "Gerucht klopt trouwens: we worden overgenomen door een grote educatieve uitgever. Deal wordt in maart "
  "bekendgemaakt, tot die tijd mondje dicht 🤫", "F")
C("threads", "@sophie.planning", "nl",
  "Triest. In het MT-overleg is net besloten dat 6 van onze 22 locaties dichtgaan en ongeveer 80 begeleiders "
  "hun contract niet verlengd krijgen. De teams weten het nog niet eens.", "F")
C("reddit", "u/not_saying_which_dept", "en",
  "Insider here, not saying which department. Studiebaken is about to lay off around 15% of office staff, "
  "announcement comes after the summer holidays.", "F")
C("linkedin", "studiebaken-bijles", "nl",
  "Prognose 2027: omzet tussen €48 en €52 mln, groei van 20% gedreven door online bijles. [CONCEPT, nog niet "
  "publiceren]", "F")
C("x", "@bram_ops_dev", "nl",
  "hoorde net dat we Bijlesnet (die concurrent uit Rotterdam) gaan kopen, dus ik mag weer twee platforms "
  "migreren 🙃", "F")
C("linkedin", "ingrid-vos-sb", "nl",
  "Zware weken voor HR: de reorganisatie van het hoofdkantoor raakt 35 fte. De officiële aankondiging volgt "
  "nog, tot die tijd graag discretie.", "F")
C("x", "@bronnenbeheer", "nl",
  "Van een bron binnen Studiebaken: investeerder Noordkap Capital neemt een meerderheidsbelang, waardering "
  "rond de 120 miljoen. Wordt volgende week officieel.", "F")
C("x", "@mila_rekent", "en",
  "team lead just told us H2 revenue is way below forecast and the bonus pool is gone. yay 🙃", "F")
C("bluesky", "@evi-marketing.bsky.social", "nl",
  "Marketingbudget 2027 wordt gehalveerd volgens de conceptbegroting, dus de campagnes voor de zomerschool "
  "gaan grotendeels niet door 😩", "F")

# ================================================================= security
C("x", "@bram_ops_dev", "nl",
  "niet doorvertellen maar we zijn sinds vannacht gehackt, ransomware op de planningsservers. klanten weten "
  "nog van niks", "SEC")
C("reddit", "u/ruben_sb_infra", "en",
  "Our student portal has an IDOR: change the id in /api/leerling/{id}/rapport and any parent can read other "
  "kids' reports. Reported it internally 3 weeks ago, still open.", "SEC")
C("mastodon", "@kvdlinden@mastodon.nl", "en",
  "fun day at work: the Baken app's password reset tokens never expire AND they're sequential. patch ETA "
  "'unknown'. you didn't hear it from me", "SEC")
C("x", "@daanvdmeer_sb", "nl",
  "Alle bijlesroosters zijn weg sinds 7u vanochtend, database corrupt en de laatste backup is van vorige week. "
  "Ouders gaan het morgen merken 😬", "SEC")
C("threads", "@sophie.planning", "nl",
  "IT zegt dat 4 collega's hun wachtwoord hebben ingevuld op een phishingmail en dat iemand nu in de "
  "ouderadministratie zit. Moeten we dit niet gewoon melden??", "SEC")
C("tiktok", "@meester.jules", "nl",
  "geen les vandaag want het hele online lesplatform ligt al 6 uur plat. intern zeggen ze dat het een DDoS is, "
  "officieel heet het 'onderhoud' 🤐", "SEC")
C("x", "@sarah_sec_nl", "en",
  "friend at studiebaken says the storage bucket with all homework uploads was open to the world for months. "
  "they found out last week and are keeping very quiet about it", "SEC CR")
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Lesson learned: never run finance tooling on a server nobody has patched since 2021. Our admin box got "
  "popped last weekend and we still don't know what was taken.", "SEC")
C("x", "@mila_rekent", "en",
  "since tuesday's update the tutor portal shows every tutor everyone else's students plus their parents' "
  "phone numbers. reported it, nobody seems to care", "SEC")
C("reddit", "u/ruben_sb_infra", "en",
  "Semi-throwaway question: someone logged into our Jenkins from an IP in Moldova last night and ran a job "
  "that dumped all env vars. We haven't announced anything. How worried should I be?", "SEC")
C("x", "@studiebaken_help", "nl",
  "@ouder_tim we kunnen je op dit moment niet helpen, onze klantdatabase is sinds gisteren versleuteld door "
  "een aanval en IT is ermee bezig. Niet verder delen aub", "SEC", kind="reply")
C("bluesky", "@evi-marketing.bsky.social", "nl",
  "Volgens onze security-collega is de marketing-mailinglijst gelekt, 23k mailadressen van ouders. Persbericht "
  "komt 'misschien'. Ik voel me er echt rot over", "SEC")
C("x", "@bram_ops_dev", "nl",
  "incidentkanaal is één grote chaos, de aanvaller had onze AWS key (" + aws_id() + ") en heeft er een nacht "
  "mee rondgeklikt. is nu geroteerd hoop ik", "SEC S")

# ================================================================= secrets
C("x", "@bram_ops_dev", "nl",
  "iemand een idee waarom dit een 403 geeft? `git clone https://" + gh("ghp_")
  + "@github.com/studiebaken/planner.git`", "S")
C("mastodon", "@kvdlinden@mastodon.nl", "en",
  "debugging the payment webhook locally, my .env looks like:\nSTRIPE_SECRET_KEY=" + stripe_live()
  + "\nstill 401. what am I missing?", "S")
C("reddit", "u/ruben_sb_infra", "en",
  "Prisma keeps timing out against prod. Connection string: postgres://sb_app:" + password("Zomer2026!bijles")
  + "@sb-prod.c7x2k1mq.eu-west-1.rds.amazonaws.com:5432/leerlingen — security groups look fine to me?", "S")
C("x", "@mila_rekent", "nl",
  "voor de collega's die de gedeelde laptop in lokaal 3 gebruiken: gebruiker docent3, wachtwoord: "
  + password("Breuken!2026") + " (niet aan leerlingen geven haha)", "S")
C("x", "@studiebaken_help", "nl",
  "@bram_ops_dev test met de nieuwe bot, token is " + slack_bot() + " , werkt hij bij jou?", "S", kind="reply")
C("threads", "@sophie.planning", "nl",
  "onze roosterchatbot werkt weer!! key voor wie wil testen: " + openai_key(), "S")
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Does anyone know why our finance API rejects this? Header: Authorization: Bearer "
  + jwt("youssef.haddou", "finance-admin") + " . Token isn't expired as far as I can tell.", "S")
C("reddit", "u/ruben_sb_infra", "en",
  "Deploy key for the planner box won't load, 'invalid format'. Here it is, am I missing a newline?\n"
  + openssh_key(), "S")
C("forum", "frontend_freelancer", "en",
  "Was poking at Studiebaken's public JS bundle and it ships a Google key (" + google_key()
  + ") and an Anthropic key (" + anthropic_key() + ") in plain text. Someone tell them.", "S")
C("bluesky", "@evi-marketing.bsky.social", "nl",
  "CI van de marketingsite faalt al de hele ochtend, is dit token verlopen? " + gh("ghs_"), "S")
C("x", "@daanvdmeer_sb", "nl",
  "wifi op kantoor Utrecht is veranderd, netwerk SB-Personeel, wachtwoord: " + password("Lantaarn#4471")
  + " 📶", "S")

# ================================================================= personal data
C("x", "@studiebaken_help", "en",
  "@jessie_k_ Hi Jessie, your refund has been sent to " + iban_ok("ABNA") + " (J. Kramer). Sorry it took so "
  "long!", "P", kind="reply")
C("instagram", "@juf.noor.bijles", "nl",
  "Wat een topper is Lieke de Wit (geb. 14-03-2014)! Vandaag haar eerste 8 voor wiskunde 🎉🎉", "P")
C("x", "@mila_rekent", "nl",
  "Wie heeft de lijst met ouder-telefoonnummers op de printer laten liggen? Oa mevrouw Yilmaz 06-18 44 92 07 "
  "en dhr. Smit +31 6 2455 7810 stonden erop, graag ophalen", "P")
C("facebook", "StudiebakenBijles", "nl",
  "De winnaar van onze zomerschoolactie is familie Bosman, Molenweg 42, 7421 CK Deventer! De prijs komt deze "
  "week bij jullie langs 🎁", "P")
C("linkedin", "ingrid-vos-sb", "nl",
  "Welkom Samira el Idrissi, onze nieuwe begeleider in Utrecht! 🎉 (notitie voor salarisadministratie: BSN "
  + bsn_ok() + ", IBAN " + iban_ok("INGB", spaced=False) + ")", "P")
C("x", "@m_vermeulen84", "nl",
  "@studiebaken_help betaling lukt niet, kaartnummer " + card_ok("4") + " exp 09/28, wat doe ik fout?", "P",
  kind="reply")
C("reddit", "u/anouk_haarlem", "en",
  "We left Studiebaken, now looking for a private maths tutor in Haarlem for our 14yo. Contact me directly: "
  "anouk.mertens@outlook.com or +31 6 5123 8890.", "P")
C("tiktok", "@meester.jules", "nl",
  "shoutout naar mijn leerling Thijs van Dam, geboren 12-07-2009, gisteren jarig en vandaag zijn herexamen "
  "gehaald!! 🥳", "P")
C("x", "@studiebaken_help", "nl",
  "@ouder_tim we hebben het doorgestuurd naar tim.hoekstra82@ziggo.nl en je vrouw gebeld op 06 2871 6634, "
  "ze hoort vandaag nog van ons.", "P", kind="reply")
C("reddit", "u/ruben_sb_infra", "en",
  "Our payment service logs full card numbers in plain text. Random line from today's log: pan=" + card_ok("5", "")
  + " status=declined. That's a real customer. Is this not a PCI violation?", "P SEC")
C("facebook", "boze.vader.diemen", "nl",
  "Die begeleider die mijn zoon liet zitten heet Kevin Brouwer en woont gewoon aan de Vechtstraat 81 in "
  "Breukelen. Ga hem maar eens opzoeken, kijken of hij dan nog zo'n grote bek heeft.", "P AB", kind="comment")
C("x", "@priya_in_nl", "en",
  "filling in the Studiebaken intake form and it asks for an 'ID number'. do they mean BSN? mine is "
  + bsn_ok() + ", is that the 9-digit one?", "P")
C("x", "@daanvdmeer_sb", "nl",
  "Kan iemand van finance kijken waarom de incasso blijft mislukken bij rekening " + iban_ok("RABO")
  + " (fam. Peeters)? Ze bellen nu voor de derde keer", "P")

# ================================================================= benign (mostly hard negatives)
C("x", "@marieke_ouder", "nl",
  "Shoutout naar de bijlesdocent van Studiebaken, mijn zoon haalde een 7,8 voor wiskunde na maanden "
  "onvoldoendes 🙌")
C("instagram", "@emma.studeert", "en",
  "Finished the Examentraining Engels with Studiebaken and passed my exam with an 8!! thank you guys 💙")
C("x", "@studiebaken_help", "nl",
  "Vragen over je rooster? Mail ons op ouders@studiebaken.nl of bel 030-7604400 (ma-vr 9-17u). We helpen je "
  "graag!")
C("facebook", "StudiebakenBijles", "nl",
  "Liever zelf overmaken? Dat kan naar NL41 RABO 0318 2746 50 t.n.v. Studiebaken Bijles B.V., o.v.v. je "
  "klantnummer.")
C("instagram", "@studiebaken.nl", "nl",
  "Vroegboekkorting ☀️ Zomerschool Week nu €361,25 i.p.v. €425 (15% korting). Alleen t/m 31 maart!")
C("x", "@studiebaken", "en",
  "Black Friday: 25% off Baken App Premium, so €89.25 for a whole year of homework help 🖤")
C("forum", "twijfelmoeder", "nl",
  "Weet iemand of de Huiswerkklas bij Studiebaken echt €389 per maand is? Vind het best veel, maar als het "
  "werkt…")
C("x", "@jaydenn_05", "en",
  "my brain got hacked by wiskunde B today 💀 thank god for my studiebaken tutor")
C("x", "@techbericht", "nl",
  "Datalek bij een grote webshop vandaag, ruim 2 miljoen klanten. Check even of je dat wachtwoord nog ergens "
  "anders gebruikt!", brand="")
C("reddit", "u/cloud_workshop_nl", "en",
  "For the workshop we use the AWS docs example credentials: AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Obviously not real, don't bother.", brand="")
C("x", "@bram_ops_dev", "en",
  "PSA: never paste your token into an issue. Saw one go by today (ghp_****************************"
  "********) and it was revoked right away 👍")
C("x", "@wantrouwige_wim", "nl",
  "Iemand anders ook een raar betaalverzoek gehad 'namens Studiebaken' naar IBAN " + iban_bad("BUNQ")
  + "? Lijkt me phishing, niet betalen.")
C("x", "@clumsy_carla", "en",
  "lol my card " + card_bad("4") + " kept getting declined on studiebaken. turns out I typed it wrong 🙃")
C("youtube", "@StudiebakenUitleg", "nl",
  "In deze video: de elfproef! Voorbeeld: " + bsn_bad("123456789") + " is géén geldig BSN, want de gewogen "
  "som is niet deelbaar door 11. Probeer het zelf met de opgaven hieronder.")
C("linkedin", "studiebaken-bijles", "en",
  "Our FY2026 results are out: revenue up 18%, online tutoring now 40% of all bookings. Read the full report "
  "on studiebaken.nl/investeerders.", when="2027-02-26T08:00:00Z")
C("x", "@integraal_ilse", "nl",
  "Baken AI Tutor net geprobeerd en hij legde integralen beter uit dan mijn eigen leraar haha",
  when="2027-04-03T20:45:10Z")
C("x", "@mila_rekent", "nl",
  "Eindelijk mag ik het zeggen: de Baken AI Tutor is live!! Trots op het hele team 🚀",
  when="2027-04-01T09:30:00Z")
C("x", "@jessie_k_", "en",
  "Update: Studiebaken sorted the double charge within a day after I DMed them and refunded everything. "
  "Credit where it's due 👍")
C("x", "@oud_collega_nina", "nl",
  "Sterkte aan alle begeleiders van Studiebaken Zwolle na deze rotweek. Jullie doen fantastisch werk, laat je "
  "niet gek maken ❤️")
C("instagram", "@juf.noor.bijles", "nl",
  "Vuurtoren van Texel beklommen met de bijlesgroep 😄 118 treden en niemand klaagde (nou ja, bijna niemand)")
C("tiktok", "@studiebaken", "nl",
  "Aardrijkskunde-tip 🧭 teken een kompasroos in je schrift om de windrichtingen te onthouden. "
  "#huiswerktip #studiebaken")
C("instagram", "@studiebaken.nl", "nl",
  "Alles wat je tijdens de studiecoaching vertelt, blijft vertrouwelijk. Dat beloven we 💬")
C("x", "@studiebaken", "en",
  "Tip for IB students: the internal assessment (IA) counts for 20% of your final grade. Our IB Maths tutors "
  "can help you plan it.")
C("tiktok", "@lisa.v.groep8", "nl",
  "die uitleg van meester jules over breuken was echt killer 🔥🔥", kind="comment")
C("x", "@sofiaaa_r", "en",
  "Studiebaken tutors are insanely good, my sister went from a 4 to a 7 in chemistry. sick results")
C("x", "@daanvdmeer_sb", "en",
  "Another edtech company cutting jobs, 200 roles gone at a US platform this time. Painful times "
  "for the sector.")
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Interesting read: last week's acquisition of a UK tutoring chain by a private equity firm shows how hot "
  "this market has become.")
C("x", "@studiebaken_help", "nl",
  "Let op: Studiebaken vraagt nooit om je wachtwoord via WhatsApp of mail. Twijfel je? Bel 0800-0445.")
C("x", "@studiebaken", "en",
  "Scheduled maintenance: the Baken app will be unavailable Sunday 02:00-04:00 CET. Sorry for the "
  "inconvenience!")
C("x", "@cousin_ask", "en",
  "does studiebaken do german tutoring too or only english/maths? asking for my cousin")
C("instagram", "@juf.noor.bijles", "nl",
  "Vandaag 6 leerlingen geholpen met breuken, 1 met Pythagoras en 3 koppen koffie op ☕ #bijlesleven")
C("x", "@mila_rekent", "nl",
  "Tip voor ouders: laat je kind elke dag 15 min rekenen, scheelt zó veel! Meer tips op studiebaken.nl/tips")
C("linkedin", "ingrid-vos-sb", "nl",
  "We zoeken bijlesdocenten in Utrecht en Amersfoort! Vragen? Mail werkenbij@studiebaken.nl 📚")
C("mastodon", "@kvdlinden@mastodon.nl", "en",
  "Writing a blog post about JWTs. A header looks like `eyJhbGciOiJIUzI1NiIs…` (truncated on purpose). "
  "Never paste a full token anywhere public.")
C("forum", "devdochter", "nl",
  "In de docs staat `sk_live_xxxxxxxxxxxxxxxxxxxxxxxx` als voorbeeld, niet verwarren met een echte key 😉",
  brand="")
C("x", "@papa_van_sem", "en",
  "My son keeps forgetting his Baken app password 🙈 luckily you can reset it by email")
C("x", "@cosy_kid_mum", "en",
  "Not a crisis, but the Studiebaken homework room was so cosy today my kid didn't want to go home 😂")
C("x", "@studiebaken", "en",
  "Need help? Call us on +31 30 760 4400 or email info@studiebaken.nl, we're here Mon-Fri 9-17.")
C("x", "@moeder_van_2", "en",
  "School changed the timetable AGAIN without telling anyone. Good thing the Studiebaken tutoring "
  "always adapts.")
C("x", "@tom_rijnsburg", "en",
  "Our tutor was sick today but Studiebaken had a replacement lined up within an hour. impressive tbh")
C("x", "@rekenfan_ilse", "nl",
  "Rekenbox gekocht voor €49, mijn dochter is er elke dag mee bezig. Aanrader!")
C("x", "@koopjesjager", "nl",
  "Prijsfout bij een elektronicawinkel, laptops voor €19 😂 helaas al gecanceld", brand="")
C("instagram", "@studiebaken.nl", "nl",
  "€5 korting op de Taalbox met code TAAL5, geldig t/m zondag 📖")
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Taught my first IB Maths session in years as a guest tutor today. Finance guy by day, maths nerd forever 🙏")
C("x", "@groningen_nieuws", "nl",
  "Studiebaken heeft een nieuwe vestiging geopend in Groningen, aan de Oude Ebbingestraat. Eindelijk dichtbij!")
C("x", "@proud_mum_rosa", "en",
  "The Studiebaken doorstroomtoets training gave my daughter so much confidence. She was terrified, now "
  "she's actually excited 😊")
C("x", "@timo_2011", "nl", "b1jl3s was vandaag echt 10/10 👌 th@nks meester jules")
C("tiktok", "@studiebaken", "nl",
  "Studie-hack ⏱️ gebruik de pomodoro-techniek: 25 min werken, 5 min pauze. #studiebaken #studytok")
C("x", "@appmoeder", "nl",
  "Mijn dochter heeft Baken App Premium, €119 per jaar, en ze gebruikt het echt dagelijks. Beter dan die "
  "gratis apps vol reclame.")
C("x", "@econoom_mama", "nl",
  "Mijn dochter leert bij Studiebaken over omzet en winst voor economie, ze snapt eindelijk wat een "
  "jaarrekening is 😂")
C("linkedin", "youssef-haddou-studiebaken", "en",
  "Proud of my team: the year-end audit closed on time again. Results will be published in February as usual.")
C("mastodon", "@kvdlinden@mastodon.nl", "en",
  "Reminder: rotate your API keys every 90 days and never commit .env files. Our secret scanner caught zero "
  "leaks this quarter 🎉")
C("facebook", "StudiebakenBijles", "nl",
  "Wist je dat? Bij de Huiswerkklas Basisschool krijgt je kind elke middag een gezond tussendoortje 🍎")
C("reddit", "u/dyslexia_dad_nl", "en",
  "Is Studiebaken worth it for dyslexia support? Looking at their Leesbegeleiding, €620 seems steep but our "
  "GP recommended it. Experiences?")
C("facebook", "anja.de.ruiter.5", "nl",
  "Ik was eerst boos over de dubbele afschrijving maar Studiebaken heeft het binnen 2 dagen opgelost en er een "
  "gratis les bij gedaan. Netjes!", kind="comment")
C("facebook", "StudiebakenBijles", "nl",
  "Ons hoofdkantoor is verhuisd! Je vindt Studiebaken Bijles B.V. nu aan de Catharijnesingel 88 in Utrecht.")
C("x", "@kwadratisch_k", "en",
  "Rewatched Studiebaken's YouTube video on quadratic equations for the 3rd time and finally got it. bless")
C("instagram", "@studiebaken.nl", "nl",
  "Herfstactie 🍂 Bijles Basis (10 lessen) nu €244,30 in plaats van €349, dat is 30% korting!")
C("x", "@bram_ops_dev", "en",
  "Our status page is honest today: 99.98% uptime last month for the Baken app. Small wins 💪")
C("youtube", "@StudiebakenUitleg", "en",
  "New video: how to check a card number with the Luhn algorithm. We use " + card_bad("5")
  + " as an example, which fails the check. Can you see why?")


# ================================================================= severity policy (CONTRACT section 4)
ORDER = ["none", "info", "warning", "error", "critical"]


def roles():
    out = {}
    for role in ("corporate", "employee"):
        for entry in PROFILE["accounts"][role]:
            plat, handle = entry.split(":", 1)
            out[(plat.lower(), handle.lower())] = role
    return out


ROLE = roles()


def role_of(post):
    return ROLE.get((post["platform"].lower(), post["account"]["handle"].lower()), "public")


def severity(cats, role, checked_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and checked_pii:
                    s = "critical"
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
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


# ================================================================= write
def build():
    lines = []
    for c in CASES:
        post = {k: v for k, v in c["post"].items() if v != ""}
        checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in c["ids"])
        sev = severity(c["cats"], role_of(post), checked)
        lines.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
    return lines


# ================================================================= self-check
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
DIGITRUN = re.compile(r"(?<![\d])\d(?:[ .-]?\d)*(?![\d])")


def check(lines, raw_lines):
    errors = []
    pub_ibans = {re.sub(r"\s", "", i) for i in PROFILE["public_identifiers"]["ibans"]}
    ids = set()
    for n, (case, raw) in enumerate(zip(lines, raw_lines), 1):
        where = "line %d" % n
        obj = json.loads(raw)
        if set(obj) != {"post", "expect"}:
            errors.append(where + ": keys")
        p, e = obj["post"], obj["expect"]
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            errors.append(where + ": id")
        if p["id"] in ids:
            errors.append(where + ": duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            errors.append(where + ": platform")
        if p.get("kind", "post") not in KINDS:
            errors.append(where + ": kind")
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            errors.append(where + ": handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            errors.append(where + ": text")
        if not isinstance(p.get("created_at"), str) or not RFC3339.match(p["created_at"]):
            errors.append(where + ": created_at")
        else:
            datetime.strptime(p["created_at"][:19], "%Y-%m-%dT%H:%M:%S")
        cats = e.get("categories")
        if not isinstance(cats, list) or any(c not in CATS for c in cats) or cats != sorted(set(cats)):
            errors.append(where + ": categories")
        if "reputation.spike" in cats:
            errors.append(where + ": spike on a single post")
        if e.get("severity") not in ORDER:
            errors.append(where + ": severity value")
        if not cats and e["severity"] != "none":
            errors.append(where + ": benign must be none")
        if cats and e["severity"] in ("none", "info"):
            errors.append(where + ": positive with low severity")
        src = CASES[n - 1]
        # recompute severity independently from the profile
        checked = any(k in ("iban", "card", "bsn") and ok for k, _, ok in src["ids"])
        if e["severity"] != severity(cats, role_of(p), checked):
            errors.append(where + ": severity mismatch")
        text = p["text"]
        for kind, value, ok in src["ids"]:
            if value not in text:
                errors.append(where + ": registered value missing from text")
            if kind == "iban" and iban_mod97_ok(value) != ok:
                errors.append(where + ": iban checksum")
            if kind == "card" and luhn_ok(re.sub(r"\D", "", value)) != ok:
                errors.append(where + ": card checksum")
            if kind == "bsn" and bsn_ok_check(re.sub(r"\D", "", value)) != ok:
                errors.append(where + ": bsn checksum")
            if kind == "secret" and value.startswith("gh") and "_" in value[:4] and not gh_check(value):
                errors.append(where + ": github token crc")
            if kind == "secret" and value.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", value):
                errors.append(where + ": aws id")
            if kind == "secret" and value.startswith("eyJ"):
                head = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))
                if "alg" not in head or value.count(".") != 2:
                    errors.append(where + ": jwt")
        regs = {(k, re.sub(r"\W", "", v)) for k, v, _ in src["ids"]}
        is_pii = "leak.pii" in cats
        # identifiers found anywhere in the text
        for m in IBAN_RE.finditer(text):
            v = re.sub(r"\s", "", m.group(0))
            if not v.startswith("NL"):
                continue
            if not cats and iban_mod97_ok(v) and v not in pub_ibans:
                errors.append(where + ": valid IBAN in benign post " + v)
            if is_pii and ("iban", v) in regs and not iban_mod97_ok(v):
                errors.append(where + ": invalid IBAN in pii positive")
        for m in DIGITRUN.finditer(text):
            d = re.sub(r"\D", "", m.group(0))
            if 13 <= len(d) <= 19 and luhn_ok(d) and ("card", d) not in regs:
                errors.append(where + ": unregistered Luhn-valid number " + m.group(0))
            if len(d) == 9 and bsn_ok_check(d) and ("bsn", d) not in regs:
                errors.append(where + ": unregistered 11-proof number " + m.group(0))
        if is_pii:
            if any(k in ("iban", "card", "bsn") and not ok for k, _, ok in src["ids"]):
                errors.append(where + ": failing look-alike inside a pii positive")
        if not cats:
            if any(ok for k, _, ok in src["ids"]):
                errors.append(where + ": valid identifier registered in benign post")
            for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
                if gh_check(m.group(0)):
                    errors.append(where + ": real-looking GitHub token in benign post")
            for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
                if "EXAMPLE" not in m.group(0):
                    errors.append(where + ": AWS id in benign post")
            if re.search(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
                errors.append(where + ": full JWT in benign post")
        if "leak.secret" in cats and not any(k == "secret" for k, _, _ in src["ids"]):
            errors.append(where + ": secret positive without generated credential")
        # public handles must not be profile accounts; corporate/employee handles must be
        role = role_of(p)
        if role == "public" and p["account"]["handle"].lower() in {h for _, h in ROLE}:
            errors.append(where + ": public handle collides with a profile handle")
    # embargo sanity: terms before `until` must be labelled confidential, after must not be
    for n, l in enumerate(lines, 1):
        p = l["post"]
        t = p["created_at"]
        for emb in PROFILE["embargo"]:
            until = emb["until"]
            for term in emb["terms"]:
                if term.lower() in p["text"].lower():
                    ts = datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                    u = datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
                    if ts < u and "leak.confidential" not in l["expect"]["categories"]:
                        errors.append("line %d: embargo term before until not confidential" % n)
                    if ts >= u and not l["expect"]["categories"] == [] and \
                            "leak.confidential" in l["expect"]["categories"]:
                        errors.append("line %d: embargo term after until labelled confidential" % n)
    # codenames / markers / internal domains in positives are labelled confidential (except benign hard negatives)
    total = len(lines)
    benign = sum(1 for l in lines if not l["expect"]["categories"])
    if not 170 <= total <= 180:
        errors.append("case count %d out of range" % total)
    return errors, total, benign


def main():
    lines = build()
    raw = [json.dumps(l, ensure_ascii=False, sort_keys=False) for l in lines]
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(raw) + "\n")
    with open(path, encoding="utf-8") as f:
        back = [x for x in f.read().split("\n") if x]
    errors, total, benign = check(lines, back)
    counts = {}
    for l in lines:
        for c in l["expect"]["categories"]:
            counts[c] = counts.get(c, 0) + 1
    nl = sum(1 for l in lines if l["post"]["lang"] == "nl")
    print("cases=%d benign=%d nl=%d en=%d" % (total, benign, nl, total - nl))
    for c in sorted(counts):
        print("  %-22s %d" % (c, counts[c]))
    if errors:
        for e in errors:
            print("ERROR", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
