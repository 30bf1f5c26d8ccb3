#!/usr/bin/env python3
"""Sealed evaluation set 190 for postwatch: Hogeschool Lindewaard (fictional Dutch
university of applied sciences).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside
this file and self-checks it (CONTRACT section 6 shape, checksums of identifiers,
live-looking secrets, prices, confidential terms, embargo windows, severities).
Severities are computed from the account role in profile.yaml (CONTRACT section 4),
never typed by hand.
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
import sys
import unicodedata
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

rng = random.Random(190190)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        ROLE[entry.lower()] = role

DISPLAY = {
    "x:@hs_lindewaard": "Hogeschool Lindewaard",
    "x:@lindewaard_help": "Lindewaard Studentenservice",
    "instagram:@hogeschoollindewaard": "Hogeschool Lindewaard",
    "linkedin:hogeschool-lindewaard": "Hogeschool Lindewaard",
    "linkedin:lindewaard-academy": "Lindewaard Academy",
    "facebook:hogeschoollindewaard": "Hogeschool Lindewaard",
    "tiktok:@lindewaard.studenten": "Lindewaard Studenten",
    "youtube:@lindewaardtv": "Lindewaard TV",
    "x:@marieke_docent": "Marieke Kroon",
    "x:@rvleeuwen_lw": "Rob van Leeuwen",
    "x:@koen_ict_lw": "Koen Mulder",
    "x:@nadia_codes_lw": "Nadia Aydın",
    "linkedin:ahmed-bouzid-lindewaard": "Ahmed Bouzid",
    "linkedin:ingrid-postma-hsl": "Ingrid Postma",
    "linkedin:joris-hendriks-lindewaard": "Joris Hendriks",
    "linkedin:wouter-de-graaf-lindewaard": "Wouter de Graaf",
    "instagram:@danielle.studiecoach": "Daniëlle Verhoeven",
    "mastodon:@bramdekker@mastodon.nl": "Bram Dekker",
    "bluesky:@lottesmits.bsky.social": "Lotte Smits",
    "threads:@sophie.lw": "Sophie Jacobs",
}

# --------------------------------------------------------------------------- generators
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B32 = string.ascii_uppercase + "234567"
B64URL = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_token_valid(tok):
    body, check = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6) == check


def aws_key_id():
    return "AKIA" + rand(B32, 16)


def aws_secret():
    return rand(B64, 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_token():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1771400000 + rng.randint(0, 20000000)
    payload = b64url(json.dumps({"sub": "s" + str(rng.randint(4000000, 4999999)),
                                 "iss": "https://mijn.lindewaard.nl", "scope": "grades:read rooster:read",
                                 "iat": iat, "exp": iat + 3600}, separators=(",", ":")).encode())
    key = bytes(rng.randrange(256) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + payload).encode(), hashlib.sha256).digest())
    return header + "." + payload + "." + sig


def pem_key():
    lines = ["MIIEowIBAAKCAQEA" + rand(B64, 48)] + [rand(B64, 64) for _ in range(7)] + [rand(B64, 40) + "=="]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def iban_check_ok(iban):
    s = iban.replace(" ", "").upper()
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban(bank):
    good = make_iban(bank)
    cd = int(good[2:4])
    wrong = (cd + rng.randint(1, 40)) % 97
    if wrong < 2:
        wrong += 2
    out = "NL%02d%s" % (wrong, good[4:])
    assert not iban_check_ok(out)
    return out


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    digits = [int(c) for c in num if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix, length):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bad_card(prefix, length):
    good = make_card(prefix, length)
    out = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_ok(out)
    return out


def bsn_ok(num):
    d = [int(c) for c in num if c.isdigit()]
    if len(d) != 9:
        return False
    s = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return s % 11 == 0


def make_bsn():
    while True:
        first = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(first[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            out = "".join(map(str, first + [last]))
            assert bsn_ok(out)
            return out


def bad_bsn():
    good = make_bsn()
    out = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    if bsn_ok(out):
        return bad_bsn()
    return out


def password():
    words = ["Beamer", "Linde", "Collegezaal", "Eemkade", "Toren", "Waard"]
    return rng.choice(words) + rng.choice("!#$%&*") + str(rng.randint(10, 99)) + rand(ALNUM, 4)


# values used in the posts (generated in a fixed order)
GHP = github_token("ghp_")
PW_BEAMER = password()
AKIA = aws_key_id()
AWS_SECRET = aws_secret()
DB_PW = rand(ALNUM, 14)
XOXB = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rand(ALNUM, 24))
SK_ANT = "sk-ant-api03-" + rand(B64URL, 93) + "AA"
MOLLIE = "live_" + rand(ALNUM, 30)
PEM = pem_key()
TMP_PW = "Lw-" + rand(ALNUM, 5) + "!" + str(rng.randint(100, 999))
JWT = jwt_token()
SK_LIVE = "sk_live_" + rand(ALNUM, 24)
GLPAT = "glpat-" + rand(B64URL, 20)

IBAN1 = make_iban("INGB")
IBAN2 = make_iban("ABNA")
CARD1 = make_card("4", 16)       # Visa
CARD2 = make_card("5" + rng.choice("12345"), 16)       # Mastercard (51-55)
BSN1 = make_bsn()
BSN2 = make_bsn()
BAD_IBAN = bad_iban("INGB")
BAD_CARD = bad_card("4", 16)
BAD_BSN = bad_bsn()
PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]
PUBLIC_IBAN_FMT = group4(PUBLIC_IBAN)

ZW = "\u200b"

# --------------------------------------------------------------------------- cases
C_CORP = "corporate"
CASES = []


def C(acct, text, cats, lang, kind="post", when=None, evasion=False):
    CASES.append(dict(acct=acct, text=text, cats=sorted(set(cats)), lang=lang, kind=kind,
                      when=when, evasion=evasion))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECRET, PII, PRICE = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints (public)
C("x:@femke_studeert", "@Lindewaard_Help drie weken geleden gemaild over mijn vrijstelling voor blok 2. Nog steeds niks. "
  "De deadline voor inschrijven tentamens is vrijdag hoor 🙃", [CPL], "nl", "reply")
C("reddit:u/koffie_en_deadlines", "Is it just me or does MijnLinde go down literally every time grades get posted? "
  "Refreshed like 20 times last night to see my resit result. Lindewaard pls.", [CPL], "en")
C("facebook:Marjolein.Terpstra.7", "Bij ons is in september twee keer het collegegeld van onze dochter afgeschreven. "
  "Lindewaard zegt 'dat komt vanzelf goed'. We zijn nu november en wachten nog altijd op 1.240 euro. "
  "Wie neemt hier eigenlijk verantwoordelijkheid?", [CPL], "nl", "comment", when="2026-11-17T20:41:09+01:00")
C("x:@yusuf_k_03", "3 lectures cancelled this week at Lindewaard Amersfoort and we found out via a sticky note on the door. "
  "a STICKY NOTE. #hogeschoollindewaard", [CPL], "en")
C("instagram:@lisa.vbrug", "nice pic of the atrium but the wifi in building C STILL doesn't work 😒 2 weeks now",
  [CPL], "en", "comment")
C("reddit:u/pm_throwaway_nl", "Did the Scrum Master course at Lindewaard Academy through my employer. Trainer basically read "
  "the slides out loud for two days and the certificate took 9 weeks to arrive. Not worth €1195 imo.", [CPL], "en")
C("x:@jorn_vk", "tentamenuitslag statistiek zou binnen 15 werkdagen komen. dag 31 vandaag. geen mail, niks op mijnlinde. "
  "top geregeld lindewaard", [CPL], "nl")
C("forum:twijfelaar2008", "Open dag bij Lindewaard was een flinke teleurstelling. Bij de stand van Bouwkunde stond niemand "
  "en de rondleiding waar ik 40 minuten op heb gewacht ging uiteindelijk niet door. Jammer, want de opleiding leek me "
  "echt wat.", [CPL], "nl")
C("x:@ana_in_nl", "International student here. Lindewaard's housing desk promised me a room before August. It's October, "
  "I'm still couchsurfing and every email gets the same copy-paste answer.", [CPL], "en",
  when="2026-10-06T22:14:51Z")
C("x:@deeltijd_dennis", "Als deeltijder bij @HS_Lindewaard krijg je je rooster 2 dagen voor het blok begint. "
  "Werk en studie combineren? Succes ermee.", [CPL], "nl")
C("linkedin:karin-oosterhuis-ops", "We booked the in-company Cybersecurity Awareness training with Lindewaard Academy for "
  "our team. Two of four sessions were moved at the last minute and the invoicing was a mess. Expected a lot better, "
  "honestly.", [CPL], "en", "comment")
C("facebook:Gert.Jan.Hoving", "Parkeergarage op de campus staat elke ochtend vol met auto's zonder vergunning. Wij betalen "
  "480 euro voor een parkeerabonnement en kunnen nergens staan. Handhaving? Nul.", [CPL], "nl")
C("bluesky:@mila-writes.bsky.social", "lindewaard's plagiarism scanner flagged my own bibliography as 38% plagiarised and "
  "now i have to explain myself to the exam board. great system 👍", [CPL], "en")
C("reddit:u/stagestress_ams", "Lindewaard's internship office is basically unreachable. My placement starts in 2 weeks and "
  "I still don't have a signed internship agreement. Any tips on who to stalk?", [CPL], "en")
C("x:@ravi_codes", "@Lindewaard_Help the new MijnLinde app logs me out every 30 sec on android, can't upload my assignment "
  "and the deadline is in an hour 😭", [CPL], "en", "reply")
C("reddit:u/fourthyear_fed_up", "Lindewaard's exam office is run by absolute clowns. They lost my thesis grade TWICE and "
  "now say I have to 'resubmit the form'. Which form, you muppets?", [CPL, ABU], "en")

# ---- crisis
C("x:@sanne_hbov", "Er staan tentamenantwoorden van Lindewaard op een openbare Google Drive en mijn hele jaargroep heeft "
  "ze al. Het gaat om de herkansingen van volgende week. Hoe is dit mogelijk?!", [CRI], "nl")
C("reddit:u/worried_lw_student", "Did Lindewaard leak student data?? A stranger emailed me with my student number, home "
  "address and grades. Apparently an export went to the wrong mailing list. Anyone else get contacted?", [CRI], "en")
C("x:@vredesactie_amf", "Boycot de open dagen van Hogeschool Lindewaard zolang ze stageplekken blijven aanbieden bij een "
  "wapenproducent. Deel dit! #boycotLindewaard", [CRI], "nl")
C("bluesky:@onderwijsnieuws.bsky.social", "Studenten Mondzorgkunde stappen naar de rechter tegen Hogeschool Lindewaard: de "
  "opleiding wordt halverwege hun studie geschrapt en een alternatief is er niet.", [CRI], "nl")
C("x:@tessa_b1", "Part of the ceiling came down in lecture hall B1.04 at Lindewaard this morning. One student taken to "
  "hospital. They didn't even close the building. Unreal.", [CRI], "en")
C("facebook:Ilse.de.Groot.Zwolle", "Mijn zoon kwam tijdens een practicum bij Lindewaard in aanraking met een bijtende stof "
  "terwijl de zuurkast het niet deed. Brandwonden aan beide handen. Niemand van de school heeft ons gebeld. Wij doen "
  "aangifte.", [CRI], "nl")
C("reddit:u/not_staying_quiet", "A lecturer at Lindewaard has been harassing female students for years and management "
  "knew. Several formal complaints were buried. A journalist is working on the story now.", [CRI], "en")
C("x:@diploma_dilemma", "Diplomafraude bij Lindewaard? Volgens de regionale krant zijn er tientallen getuigschriften "
  "uitgereikt zonder afgeronde afstudeerstage. Wat is mijn diploma nu nog waard?", [CRI], "nl")
C("linkedin:hans-lubbers-zorggroep", "We are filing a lawsuit against Hogeschool Lindewaard for breach of contract on the "
  "in-company leadership programme. Paid in full, half the modules were never delivered.", [CRI], "en", "comment")
C("tiktok:@sportief.sem", "legionella in de douches van de sporthal van lindewaard en ze hebben het gewoon een week open "
  "gehouden 😳 #schandaal", [CRI], "nl")
C("mastodon:@privacyfirst_kim@mastodon.social", "Reminder that Lindewaard still forces students to use proctoring software "
  "that films your room and uploads it to a US server. Privacy nightmare. Refuse it, boycott it. #privacy", [CRI], "en")
C("x:@boze_bas", "Die klootzakken van Lindewaard laten mijn gegevens gewoon uitlekken en doen alsof er niks aan de hand "
  "is. Ik doe aangifte, en jij ook als je die mail kreeg.", [CRI, ABU], "nl")
C("reddit:u/studentenraad_watch", "Lindewaard's student council says it will take the board to court if the institutional "
  "tuition fee for non-EU students goes up by another 30%.", [CRI], "en")
C("x:@koen_ict_lw", "nee, bellen helpt echt niet. de hele studentenadministratie ligt plat door ransomware en er zijn "
  "bestanden buitgemaakt. we weten het 🙄", [CRI, SEC], "nl")

# ---- abuse
C("x:@refund_now_pls", "@Lindewaard_Help you are all useless fucking idiots. 6 weeks for a refund of my course fee??",
  [ABU, CPL], "en", "reply")
C("x:@ilias_020", "die studieadviseur van lindewaard is echt een kutwijf. zegt ze doodleuk dat ik 'niet geschikt' ben "
  "voor de opleiding", [ABU], "nl")
C("tiktok:@zzzdaan", "lindewaard is gewoon een hogeschool voor mongolen", [ABU], "nl", "comment")
C("reddit:u/salty_sysadmin_hater", "the Lindewaard IT helpdesk guy, Koen or whatever, is a smug little prick. hope he gets "
  "fired and stays unemployed", [ABU], "en")
C("x:@r4g3qu1t", "l1ndew44rd = k4nk3rz00i. al die d0c3nt3n mogen de t3r1ng krijgen", [ABU], "nl", evasion=True)
C("instagram:@true.dutch.values", "why is your 'student ambassador' a girl in a hijab? send her back where she came from, "
  "this is the Netherlands", [ABU], "en", "comment")
C("x:@rvleeuwen_lw", "@bas_studeert hou toch eens je bek, jankerd. Staat allemaal in de mail die je niet leest.", [ABU], "nl",
  "reply")
C("x:@grumpy_gijs", "Lindewaard staff are a bunch of f.u.c.k.i.n.g m.o.r.o.n.s, I swear", [ABU], "en", evasion=True)
C("x:@anoniem_2027", "studieadviseurs van lindewааrd zijn echte idiоten, allemaal", [ABU], "nl", evasion=True)
C("bluesky:@whatever-jake.bsky.social", "honestly hope someone keys dean Verhoef's car in the Lindewaard parking lot. he "
  "deserves worse", [ABU], "en")
C("reddit:u/rooster_chaos", "Roosterteam van Lindewaard bestaat uit apen. Drie keer omgegooid deze week, ik heb mijn "
  "bijbaan er al voor af moeten zeggen.", [ABU, CPL], "nl")

# ---- confidential
C("bluesky:@lottesmits.bsky.social", "Campagne voor Project Zeearend staat klaar 🦅 spannend om dit straks eindelijk met "
  "iedereen te delen", [CONF], "nl")
C("mastodon:@bramdekker@mastodon.nl", "Spent the whole day migrating course data into the Tureluur staging environment. "
  "If the new portal launches on time I'll eat my hat.", [CONF], "en")
C("x:@koen_ict_lw", "iemand anders ook geen toegang tot intra.lindewaard.local/roosters? of ligt het aan mijn laptop",
  [CONF], "nl")
C("linkedin:ingrid-postma-hsl", "Proud of the team! The first pilot within Operatie Waterlelie is live and the early "
  "results look promising. Can't say more just yet 😉", [CONF], "en")
C("instagram:@hogeschoollindewaard", "Achter de schermen bij de fotoshoot voor de nieuwe brochure ✨ "
  "(op het scherm van de laptop: 'LW-INTERN – concept collegegeldtarieven 2027/2028')", [CONF], "nl")
C("threads:@sophie.lw", "can't say much yet but the Associate degree Drone Operations is going to be SO good. first cohort "
  "this september 🚁", [CONF], "en", when="2027-01-08T16:20:00Z")
C("reddit:u/curious_about_cuts", "Friend who works at Lindewaard sent me a doc with 'Lindewaard confidential' in the footer. "
  "It lists which bachelor programmes get merged next year: Bouwkunde with Civiele Techniek, and Communicatie into "
  "Media. Thoughts?", [CONF, FIN], "en")
C("x:@marieke_docent", "Net de toetsmatrijs van het nieuwe curriculum doorgenomen op toetsbank.lindewaard.local. "
  "Tweedejaars gaan hier hun tanden op stukbijten 😅", [CONF], "nl")
C("x:@HS_Lindewaard", "Nieuw: de Master Applied AI in Healthcare start in september 2027! Voor zorgprofessionals die AI "
  "verantwoord willen inzetten. Binnenkort meer info.", [CONF], "nl", when="2026-11-19T10:02:00+01:00")
C("mastodon:@bramdekker@mastodon.nl", "finally got my dev box working: git clone "
  "https://git.lindewaard.internal/onderwijs/tureluur-api && make dev. only took 3 days and 2 tickets", [CONF], "en")
C("x:@nieuwsgierige_noor", "lol iemand bij lindewaard heeft in de studentennieuwsbrief per ongeluk een link naar "
  "sharepoint-cvb.lindewaard.nl/notulen gezet 👀", [CONF], "nl")
C("tiktok:@lindewaard.studenten", "👀 Ｐｒｏｊｅｃｔ Ｚｅｅａｒｅｎｄ… binnenkort meer. stay tuned #lindewaard", [CONF], "nl",
  evasion=True)
C("x:@koen_ict_lw", "Tu" + ZW + "re" + ZW + "luur gaat pas in Q3 live, niet in Q2 zoals op de planning staat. reken er maar "
  "niet op dat MijnLinde voor die tijd vervangen is", [CONF], "nl", evasion=True)
C("linkedin:lindewaard-academy", "Wat een jaar! Volgens het concept jaarverslag 2026 groeide onze omzet uit "
  "bedrijfsopleidingen met 31% 🚀 Dank aan al onze opdrachtgevers!", [CONF, FIN], "nl",
  when="2027-03-10T08:30:00+01:00")
C("linkedin:ahmed-bouzid-lindewaard", "The document header says 'niet verspreiden buiten Lindewaard' but honestly the new "
  "BYOD policy is good news for staff: personal laptops allowed on the staff network from March, MFA mandatory.",
  [CONF], "en")
C("forum:eemlander", "Mijn zus werkt bij Lindewaard en volgens haar betekent 'Operatie Waterlelie' gewoon dat locatie "
  "Deventer dichtgaat. Iemand die meer weet?", [CONF, FIN], "nl")

# ---- financial
C("x:@rvleeuwen_lw", "Begroting 2027 is rond: we gaan 2,4 miljoen in het rood. Medezeggenschap weet nog van niks, dus "
  "sssst 🤫", [FIN], "nl")
C("linkedin:joris-hendriks-lindewaard", "Tough weeks ahead. We're preparing to cut around 85 FTE in support services at "
  "Lindewaard early next year. Nothing has been announced yet, so please be kind to my colleagues when it lands.",
  [FIN], "en")
C("linkedin:ingrid-postma-hsl", "Mooi nieuws dat nog even onder de pet moet blijven: Lindewaard Academy neemt "
  "opleidingsbureau Kompas Leren over. In maart gaan de handtekeningen eronder.", [FIN], "nl")
C("reddit:u/boardroom_kid", "My dad is on the supervisory board of Lindewaard. He says they're negotiating a merger with "
  "another hogeschool for 2028. Not public yet obviously.", [FIN], "en")
C("x:@rvleeuwen_lw", "Q3 forecast just landed: Academy revenue 18% below target, first-year intake down 9%. Tomorrow's "
  "board meeting is going to be fun.", [FIN], "en")
C("x:@HS_Lindewaard", "CONCEPT – NIET PLAATSEN: Hogeschool Lindewaard stopt per 1 september 2027 met de opleiding "
  "Logopedie; 14 docenten worden boventallig. Persbericht volgt 12/3.", [FIN], "nl", when="2026-03-05T15:47:12+01:00")
C("threads:@sophie.lw", "collega's: vanaf februari wordt studieadvies centraal georganiseerd en verdwijnen er 6 functies. "
  "officieel mag ik het nog niet zeggen maar jullie verdienen het te weten", [FIN], "nl")
C("x:@marieke_docent", "Volgens de decaan halen we de instroomprognose voor 2027 bij lange na niet: 22% minder eerstejaars "
  "verpleegkunde. Dat gaat bezuinigingen betekenen.", [FIN], "nl")
C("mastodon:@bramdekker@mastodon.nl", "Overheard after the all-staff: Lindewaard is in talks to sell the Deventer campus "
  "building to a property developer. Nothing official yet.", [FIN], "en")

# ---- security
C("linkedin:ahmed-bouzid-lindewaard", "Long night. We found an unauthenticated endpoint in MijnLinde that returned other "
  "students' grade lists. Patched at 3am; notifying the affected students is still on the to-do list.", [SEC], "en")
C("x:@koen_ict_lw", "Exchange-server van lindewaard is sinds gisteravond gecompromitteerd, heel ICT zit op kantoor met "
  "pizza. niet verder vertellen pls", [SEC], "nl")
C("mastodon:@bramdekker@mastodon.nl", "Colleagues: ToetsPlein still runs that plugin with the known RCE. I reported it four "
  "months ago. Still unpatched. Exam season starts Monday.", [SEC], "en")
C("x:@koen_ict_lw", "VPN is going down all day tomorrow but we can't announce it yet bc 'the board has to be "
  "informed first'. so: surprise for everyone working from home 🙃", [SEC], "en")
C("bluesky:@lottesmits.bsky.social", "Lastige dag op comms. Vanuit het mailaccount van een decaan is een phishingmail naar "
  "3.000 studenten gestuurd en we mogen er nog niks over zeggen.", [SEC], "nl")
C("linkedin:ahmed-bouzid-lindewaard", "Vannacht bleek dat een aanvaller via een vergeten WordPress-subdomein "
  "(events.lindewaard.nl) bij de alumni-mailinglijst kon. Onderzoek loopt, melding bij de AP volgt deze week.",
  [SEC], "nl")
C("reddit:u/helpdesk_nightshift", "I work part-time at the Lindewaard helpdesk. Between us: the password reset tool lets "
  "you reset ANY student's password if you know their student number. Management knows. Not fixed.", [SEC], "en")
C("x:@Lindewaard_Help", "@noor_studeert Klopt, de storing komt door een DDoS-aanval op MijnLinde sinds vanochtend. Dit is "
  "nog niet officieel gecommuniceerd, dus graag nog even niet delen.", [SEC], "nl", "reply")
C("x:@marieke_docent", "de toetsen van blok 3 stonden een week lang open op de server, iedereen met de link kon ze "
  "downloaden. ICT zegt 'valt mee'. Nou.", [SEC], "nl")
C("linkedin:ahmed-bouzid-lindewaard", "Pentest report for our student portal is in: three criticals, including SQL "
  "injection in the course registration form. Fixes go in next sprint, fingers crossed nobody finds it first.",
  [SEC], "en")
C("x:@ex_ict_lw", "oud-ICT'er van Lindewaard hier: de backups van de studentenadministratie worden al 2 jaar niet getest "
  "en staan op dezelfde NAS als productie. wachten op de ramp", [SEC], "nl")

# ---- secrets
C("mastodon:@bramdekker@mastodon.nl", "who committed this to the public course repo 😩 GH_TOKEN=" + GHP +
  " — revoking it now, please stop forking", [SECRET], "en")
C("x:@koen_ict_lw", "beamers collegezalen: gebruiker beamerbeheer, w a c h t w o o r d: " + PW_BEAMER +
  " — niet doorvertellen 😇", [SECRET], "nl", evasion=True)
C("x:@nadia_codes_lw", "anyone know why boto3 keeps saying access denied?\n[default]\naws_access_key_id = " + AKIA +
  "\naws_secret_access_key = " + AWS_SECRET + "\nregion = eu-west-1", [SECRET], "en")
C("youtube:@LindewaardTV", "In deze demo van het studentdashboard gebruiken we de testomgeving: postgres://lw_admin:" +
  DB_PW + "@db01.lindewaard.local:5432/studenten — vragen? Laat een reactie achter!", [SECRET, CONF], "nl")
C("x:@koen_ict_lw", "why is the timetable bot silent in slack again? token is just " + XOXB + ", scopes look fine too",
  [SECRET], "en")
C("linkedin:wouter-de-graaf-lindewaard", "How we built the Lindewaard study assistant in 40 lines 👇\n\nclient = "
  "anthropic.Anthropic(api_key=\"" + SK_ANT + "\")\nreply = client.messages.create(...)\n\nHappy to share the notebook!",
  [SECRET], "en")
C("reddit:u/curl_and_coffee", "found this in a public GitHub repo of the Lindewaard Academy webshop: MOLLIE_API_KEY=" +
  MOLLIE + " — someone should tell them lol", [SECRET], "en")
C("x:@nadia_codes_lw", "can someone check why the jump host rejects this key?\n" + PEM, [SECRET], "en")
C("x:@Lindewaard_Help", "@daan_vk We hebben je account ontgrendeld. Je kunt inloggen op MijnLinde met tijdelijk "
  "wachtwoord: " + TMP_PW + " — wijzig het direct na het inloggen.", [SECRET], "nl", "reply")
C("x:@koen_ict_lw", "debugging the MijnLinde API again. works in postman, not in the app:\nAuthorization: Bearer " + JWT,
  [SECRET], "en")
C("forum:webdev_wim", "The Lindewaard Academy checkout page just has " + SK_LIVE + " sitting in its javascript 😂 "
  "pretty sure that's not how Stripe is supposed to work", [SECRET], "en")
C("x:@nadia_codes_lw", "CI faalt weer op git.lindewaard.internal. export GITLAB_TOKEN=" + GLPAT + " en nog steeds 403. "
  "iemand?", [SECRET, CONF], "nl")

# ---- personal data
C("x:@Lindewaard_Help", "@jessie_vdm We hebben het gevonden: de terugbetaling van €318 gaat naar " + group4(IBAN1) +
  " t.n.v. J. van der Meer. Binnen 5 werkdagen op je rekening!", [PII], "nl", "reply")
C("threads:@sophie.lw", "Wie kent Emma de Wit (geboren 14-03-2004)? Haar collegekaart ligt bij mij op de balie in "
  "C2.11 😊", [PII], "nl")
C("instagram:@danielle.studiecoach", "Vandaag op huisbezoek bij Noah Bakker (Kerkstraat 41, Amersfoort) — fijn gesprek "
  "over zijn studievoortgang 💪", [PII], "nl")
C("facebook:HogeschoolLindewaard", "Beste meneer Yılmaz, we hebben uw BSN (" + BSN1 + ") gecontroleerd bij DUO en uw "
  "inschrijving is nu definitief. Veel succes!", [PII], "nl", "reply")
C("linkedin:joris-hendriks-lindewaard", "Welcome to our new colleague Sanne Verbeek! Until her Lindewaard account is "
  "active you can reach her on 06-48 21 93 07 or sanne.verbeek88@gmail.com.", [PII], "en")
C("x:@tiemen_r", "@Lindewaard_Help mijn studentnummer is 4821937 en mijn IBAN " + IBAN2 + ", waarom is mijn restitutie "
  "collegegeld nog steeds niet binnen?? 3 maanden nu", [PII, CPL], "nl", "reply")
C("reddit:u/cc_gate_2026", "Lindewaard just sent an email to the whole first year with everyone in CC. I can literally see "
  "l.vermeulen@student.lindewaard.nl, priya.raman@student.lindewaard.nl and 200 others. Is this not a data breach?",
  [PII, CRI], "en")
C("x:@Lindewaard_Help", "@tim_oostra We hebben je gisteren teruggebeld op +31 6 1947 2280 maar kregen geen gehoor. "
  "Probeer je het nog eens?", [PII], "nl", "reply")
C("x:@koen_ict_lw", "wie heeft deze creditcard laten liggen bij de ICT-balie? " + group4(CARD1) + ", op naam van "
  "M. Hoekstra. ophalen in A0.12", [PII], "nl")
C("x:@marieke_docent", "If you find a blue wallet in lecture hall D, it's my student Lars Jansen's (born 02/11/2003). "
  "Please bring it to reception!", [PII], "en")
C("facebook:Petra.de.Koning.71", "Hebben jullie mijn mail nou ontvangen over de inschrijving van mijn zoon? Ik ben "
  "bereikbaar op 0612 88 45 71 of p.dekoning@hetnet.nl", [PII], "nl", "comment")
C("linkedin:ingrid-postma-hsl", "Welkom aan de deelnemers van de leergang! Voor de carpool: Fatma Öztürk "
  "(fatma.ozturk@outlook.com, 06 3318 7720) rijdt vanuit Utrecht.", [PII], "nl")
C("x:@marco_dvries", "my credit card " + CARD2 + " got charged twice for the Lindewaard Academy Summer School. who "
  "can reverse this??", [PII, CPL], "en")
C("mastodon:@bramdekker@mastodon.nl", "Why does our student information system show students' BSN (" + BSN2 + ") on the "
  "class list that every guest account can open?! Reported, but wow.", [PII, SEC], "en")
C("x:@Lindewaard_Help", "@k_bakker_ Bedankt, we hebben een kopie van uw paspoort (nr. NW4K8PR21) ontvangen en uw "
  "aanmelding voor de Premaster verwerkt.", [PII], "nl", "reply")

# ---- pricing
C("linkedin:lindewaard-academy", "Laatste plekken! De Leergang Lean Six Sigma Green Belt nu voor €245 p.p. Inschrijven via "
  "academy.lindewaard.nl", [PRICE], "nl")
C("linkedin:ingrid-postma-hsl", "Vanaf vandaag kun je je inschrijven voor de Leergang Leidinggeven in de Zorg, voor maar "
  "€315 incl. lunch en certificaat!", [PRICE], "nl")
C("reddit:u/deal_hunter_eu", "PSA: Lindewaard Academy lists the Prince2 Foundation course at €12.95 on their site right "
  "now. Pretty sure that's a price error lol, booked 3 seats anyway", [PRICE], "en")
C("instagram:@hogeschoollindewaard", "Studentlaptop-pakket nu voor €89 🎉 op=op, link in bio!", [PRICE], "nl")
C("x:@mo_koopjes", "prijsfout bij lindewaard academy? Scrum Master cursus ligt in mijn winkelwagen voor 119 euro 😂 snel "
  "afrekenen", [PRICE], "nl")
C("bluesky:@lottesmits.bsky.social", "Oeps, collega's melden dat de Masterclass Verandermanagement op de site voor €127,50 "
  "staat. Prijsfout, we zijn ermee bezig!", [PRICE], "nl")
C("facebook:HogeschoolLindewaard", "Voor alle medewerkers van onze partnerbedrijven: Cursus Excel voor Professionals voor "
  "€42,50 per persoon. Pak je kans!", [PRICE], "nl")
C("linkedin:erik-smeets-it", "Booked the in-company Cybersecurity Awareness training from Lindewaard Academy for €185 for "
  "the whole team. Either a pricing mistake or the deal of the year 🤷", [PRICE], "en")
C("threads:@sophie.lw", "the Premaster Bedrijfskunde is only €990 this year for our own alumni!! spread the word", [PRICE], "en")
C("x:@parkeerpieter", "lindewaard campus parking subscription for €48 a year?? that can't be right, grabbed one anyway 🅿️",
  [PRICE], "en")
C("tiktok:@lindewaard.studenten", "NT2 B1 cursus voor €78 😱 alleen deze week #lindewaard #nederlandsleren", [PRICE], "nl")
C("forum:groene_gerda", "Ｓｕｍｍｅｒ Ｓｃｈｏｏｌ Circular Economy for €115 (!!!) at Lindewaard. Must be a "
  "glitch in their shop, but I booked anyway.", [PRICE], "en", evasion=True)

# ---- benign (mostly hard negatives)
C("linkedin:lindewaard-academy", "Early bird: Leergang Duurzaam Bouwen met 15% korting, nu €2.337,50 bij inschrijving vóór "
  "1 maart. 🌱", [], "nl")
C("instagram:@hogeschoollindewaard", "Hoodie-week! 💜 Alle Lindewaard hoodies nu €39,95 (normaal €49,95). Verkrijgbaar bij "
  "de servicebalie.", [], "nl")
C("reddit:u/middle_manager_mo", "Is the Masterclass Data-gedreven Werken (€895) at Lindewaard Academy worth it? My manager "
  "wants me to go but I'm not sure it's more than buzzwords.", [], "en")
C("linkedin:ingrid-postma-hsl", "De Post-hbo Jeugdprofessional kost €2.890 en wordt vaak vergoed door je werkgever of via "
  "je O&O-fonds. Vragen? academy@lindewaard.nl", [], "nl")
C("x:@hr_hanneke", "Took the AI for HR workshop at Lindewaard Academy, €395 well spent. Finally someone who explains "
  "it without the hype 👏", [], "en")
C("facebook:HogeschoolLindewaard", "Het parkeerabonnement voor studiejaar 2026-2027 kost €480 en vraag je aan via MijnLinde. "
  "Let op: beperkt aantal plekken!", [], "nl")
C("x:@late_night_lars", "die prijsfout bij die elektronicawebshop vorige week, tv's voor 19 euro 😂 had ik maar gekeken. "
  "enfin, terug naar mijn verslag voor lindewaard", [], "nl")
C("bluesky:@lottesmits.bsky.social", "Alumni: use code ALUMNI10 for 10% off the Scrum Master course (regular price "
  "€1,195).", [], "en")
C("x:@HS_Lindewaard", "The Summer School Circular Economy costs €1,150 including field trips. Students from partner "
  "institutions get 25% off ☀️", [], "en")
C("mastodon:@bramdekker@mastodon.nl", "Credential hygiene lecture today. Sample from the AWS docs: AKIAIOSFODNN7EXAMPLE with "
  "secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Use these in slides, never your real ones.", [], "en")
C("x:@koen_ict_lw", "Wachtwoord vergeten? Reset het zelf via mijn.lindewaard.nl/reset. ICT vraagt NOOIT om je wachtwoord, "
  "ook niet via Teams.", [], "nl")
C("reddit:u/first_year_dev", "How do I put my token in GitHub Actions secrets for a Lindewaard school project? Right now "
  "it's hardcoded as ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx (redacted ofc)", [], "en")
C("x:@HS_Lindewaard", "Let op: phishing! Er gaan mails rond 'namens Lindewaard' over je studiefinanciering. Wij vragen nooit "
  "om je wachtwoord of pincode. Twijfel? Bel 088-466 3300.", [], "nl")
C("linkedin:wouter-de-graaf-lindewaard", "Slides from my talk on building an AI study assistant: keep keys like "
  "sk-proj-•••• out of your notebooks, load them from env vars and rotate often.", [], "en")
C("forum:se_student_22", "Is DATABASE_URL=postgres://user:password@localhost:5432/mydb how the Lindewaard software "
  "engineering course wants the .env? The template doesn't say.", [], "en")
C("x:@Lindewaard_Help", "@femke_ Vragen over je inschrijving? Mail studentenservice@lindewaard.nl of bel 088-466 3300 "
  "(ma–vr 9–17 u).", [], "nl", "reply")
C("facebook:HogeschoolLindewaard", "Collegegeld liever zelf overmaken? Gebruik IBAN " + PUBLIC_IBAN_FMT + " t.n.v. Stichting "
  "Hogeschool Lindewaard, o.v.v. je studentnummer.", [], "nl")
C("x:@oplettende_oma", "Sms gehad 'namens Lindewaard': betaal €75 administratiekosten op " + BAD_IBAN + ". Niet doen "
  "mensen, is oplichting!!", [], "nl")
C("reddit:u/confused_intern_lw", "Lindewaard student numbers are 7 digits, right? Mine is 4730192 but the internship form "
  "wants 9 digits. Confused.", [], "en")
C("threads:@sophie.lw", "Studenten: deel NOOIT je BSN of DigiD-gegevens in een groepsapp. Ook niet 'even snel' voor een "
  "medestudent. 🙏", [], "nl")
C("forum:excel_eva", "Opdracht bij de Excel-cursus: kaartnummers valideren met Luhn. Mijn voorbeeld " + group4(BAD_CARD) +
  " faalt, klopt dat?", [], "nl")
C("x:@grapjas_gijs", "DUO-formulier vraagt om BSN, ik typte als grap 123456789 en hij werd geweigerd lol #lindewaard", [],
  "nl")
C("linkedin:hogeschool-lindewaard", "Welkom aan onze nieuwe lector dr. Anouk Visser (Lectoraat Zorginnovatie)! "
  "Journalisten kunnen haar benaderen via pers@lindewaard.nl.", [], "nl")
C("linkedin:joris-hendriks-lindewaard", "We're hiring lecturers in Nursing and ICT! Send your CV to werkenbij@lindewaard.nl "
  "or call +31 33 799 4400.", [], "en")
C("x:@HS_Lindewaard", "Het is officieel: vanaf september 2027 kun je de Associate degree Drone Operations volgen bij "
  "Lindewaard! 🚁 Alles over de opleiding op lindewaard.nl/drone", [], "nl", when="2027-01-20T09:00:00+01:00")
C("linkedin:hogeschool-lindewaard", "Het jaarverslag 2026 van Hogeschool Lindewaard is gepubliceerd. Lees over onze "
  "studenten, ons onderzoek en onze financiën op lindewaard.nl/jaarverslag.", [], "nl",
  when="2027-06-25T07:30:00Z")
C("threads:@sophie.lw", "So proud that the Master Applied AI in Healthcare is finally public! Info sessions every Thursday.",
  [], "en", when="2027-02-02T18:12:40+01:00")
C("x:@stage_stijn", "wat is er eigenlijk 'intern' aan een interne stage bij lindewaard als je gewoon bij een bedrijf zit "
  "haha", [], "nl")
C("instagram:@vogelaar.vera", "Excursie ecologie met Lindewaard vandaag: we zagen een zeearend boven de Eem!! 🦅😍", [], "nl")
C("reddit:u/switching_tracks", "What's the internal transfer process at Lindewaard if I want to switch from HBO-ICT to "
  "Business IT after year 1?", [], "en")
C("x:@HS_Lindewaard", "Open dag op zaterdag 14 maart! Loop mee met studenten, bekijk de labs en stel al je vragen. "
  "Aanmelden via lindewaard.nl/opendag", [], "nl", when="2026-02-26T12:00:00+01:00")
C("bluesky:@lottesmits.bsky.social", "Gave a session on confidentiality and NDAs to students about to start their "
  "internships today. Such an underrated topic!", [], "en")
C("x:@onderwijs_olga", "Hogeschool Brinkveld schrapt 120 fte las ik net. Hopelijk blijft Lindewaard daarvan gespaard 🤞",
  [], "nl")
C("linkedin:hogeschool-lindewaard", "Ons jaarverslag 2025 staat online: 14.200 studenten, 1.150 medewerkers en 38 "
  "lectoraten. Trots!", [], "nl")
C("x:@HS_Lindewaard", "Gepland onderhoud: MijnLinde is zaterdag 12 september van 07:00 tot 11:00 niet bereikbaar. Plan je "
  "inleveringen op tijd!", [], "nl", when="2026-09-08T11:00:00+02:00")
C("x:@Lindewaard_Help", "Update: de storing in MijnLinde van vanochtend is verholpen. Excuses voor het ongemak!", [], "nl")
C("linkedin:ahmed-bouzid-lindewaard", "Great discussion at the regional CISO meetup on how universities can prepare for "
  "ransomware. Slides are on my profile.", [], "en")
C("x:@bugjager_bo", "Netjes van Lindewaard: ik meldde via hun responsible disclosure een klein bugje en kreeg binnen een week "
  "een bedankje en een hoodie 😄", [], "nl")
C("x:@Marjolein_T", "Update: @Lindewaard_Help heeft de dubbele afschrijving teruggestort. Duurde even, maar netjes opgelost 👍",
  [], "nl")
C("tiktok:@bijna.afgestudeerd", "deadline 23:59, ik om 23:58 😎 #lindewaardlife #student", [], "nl")
C("facebook:Wim.Brouwer.Hoogland", "Veel sterkte aan alle studenten en collega's van Lindewaard na het overlijden van docent "
  "Peter. Een bijzondere man. ❤️", [], "nl", "comment")
C("x:@privacy_pien", "Data breach at a university of applied sciences down south, 40,000 students affected. Makes "
  "me wonder how Lindewaard handles this stuff.", [], "en")
C("reddit:u/comms_major_jo", "Crisis comms lecture at Lindewaard today used the big brand boycott cases as examples. "
  "Genuinely one of the best classes this year.", [], "en")
C("x:@hype_hidde", "die presentatie van onze docent vandaag was echt ziek 🔥🔥 #lindewaard", [], "nl")
C("instagram:@groepje.b2", "Ons projectgroepje heet officieel 'de idioten van B2' omdat we alle vier te laat kwamen bij de "
  "kick-off 😂 #lindewaard", [], "nl")
C("x:@no_resits_nina", "passed all my exams at Lindewaard this semester!! no resits for me 💪", [], "en")
C("reddit:u/parttime_pieter", "Does anyone know if Lindewaard lets you do the Premaster Bedrijfskunde part-time next to a "
  "full-time job?", [], "en")
C("tiktok:@lindewaard.studenten", "POV: je eerste week op Lindewaard en je weet nog steeds niet waar gebouw D is 😂 "
  "#studentlife", [], "nl")
C("x:@marieke_docent", "Trots op mijn tweedejaars die vandaag hun eerste klinische toets hebben gehaald 💙", [], "nl")
C("instagram:@danielle.studiecoach", "Tip van je studiecoach: plan je pauzes! 25 minuten werken, 5 minuten rust 🍅 "
  "#studietips", [], "nl")
C("forum:vaktherapie_vera", "Voor wie twijfelt: de opleiding Vaktherapie bij Lindewaard wordt NIET geschrapt. Op de open dag "
  "zei de opleidingsmanager dat dat gerucht echt niet klopt.", [], "nl")
C("linkedin:hogeschool-lindewaard", "Lindewaard en Gemeente Amersfoort tekenen een samenwerking voor 200 extra stageplekken "
  "in het sociaal domein 🤝", [], "nl")
C("mastodon:@bramdekker@mastodon.nl", "Fun exercise for my students: implement the Dutch 11-proof for BSNs and test it on " +
  BAD_BSN + ". Spoiler: it fails.", [], "en")
C("x:@grateful_greta", "Huge shoutout to the lady at the Lindewaard study advice desk, absolute legend, sorted my whole "
  "schedule in 5 min", [], "en")
C("x:@eerstejaars_emre", "Is " + PUBLIC_IBAN_FMT + " echt de rekening van Lindewaard voor het collegegeld? Staat op de site "
  "maar wil het zeker weten voor ik €2.600 overmaak", [], "nl")
C("x:@lisa_vbrug", "de wifi in gebouw C doet het weer!! dankjewel ICT lindewaard 🙏", [], "nl")
C("youtube:@LindewaardTV", "Welcome to Lindewaard TV! In this video our students show you around the Amersfoort campus. "
  "Questions? Email info@lindewaard.nl", [], "en")
C("linkedin:wouter-de-graaf-lindewaard", "Nice data project with Nursing: we predicted no-shows on clinical placements with "
  "81% accuracy using only anonymised data. Paper coming soon.", [], "en")
C("x:@nadia_codes_lw", "TIL you can rotate a GitHub token from the CLI in one command. small wins on a tuesday 😌", [], "en")
C("reddit:u/abroad_in_amersfoort", "Honest review after a year at Lindewaard as an international student: housing was "
  "tough to find, but teachers are approachable and the English-taught courses are solid.", [], "en")

# --------------------------------------------------------------------------- helpers for checks
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
CYRILLIC = str.maketrans("аеорсухіјԁАЕОРСХВМНТКІ", "aeopcyxijdAEOPCXBMHTKI")


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).translate(CYRILLIC)


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\bNL ?\d{2} ?[A-Z]{4} ?(?:\d ?){9}\d\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.+-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-])")
PUBLIC_IBANS = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}


def identifiers(text):
    """(kind, value, valid) for IBAN, card and BSN look-alikes in text."""
    t = norm(text)
    out = []
    for m in IBAN_RE.finditer(t):
        v = m.group(0).replace(" ", "")
        if v in PUBLIC_IBANS:
            continue
        out.append(("iban", v, iban_check_ok(v)))
    for m in CARD_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(t):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", v, bsn_ok(v)))
    return out


def has_checked_id(text):
    return any(valid for _, _, valid in identifiers(text))


SECRET_PATTERNS = {
    "github": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "aws": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "jwt": re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"),
    "slack": re.compile(r"\bxox[abpors]-\d+-\d+-[0-9A-Za-z]+"),
    "openai": re.compile(r"\bsk-proj-[\w-]{20,}"),
    "anthropic": re.compile(r"\bsk-ant-api03-[\w-]{20,}"),
    "stripe": re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    "mollie": re.compile(r"\blive_[0-9A-Za-z]{30}\b"),
    "gitlab": re.compile(r"\bglpat-[\w-]{20}\b"),
    "pem": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{100,}"),
    "dburl": re.compile(r"\b[a-z][a-z0-9+]*://[^\s:/@]+:([^\s@]+)@([^\s/:]+)"),
    "password": re.compile(r"(?i)(?:wachtwoord|password)\s*[:=]\s*([^\s]{6,})"),
}


def live_secrets(text):
    t = norm(text)
    t_collapsed = re.sub(r"(?<=\b\w) (?=\w\b)", "", t)   # "w a c h t w o o r d" -> "wachtwoord"
    found = []
    for name, rx in SECRET_PATTERNS.items():
        for m in rx.finditer(t_collapsed if name == "password" else t):
            v = m.group(0)
            if name == "github" and not github_token_valid(v):
                continue
            if name == "aws" and (v.endswith("EXAMPLE") or not re.fullmatch(r"AKIA[A-Z2-7]{16}", v)):
                continue
            if name == "jwt":
                try:
                    head = json.loads(base64.urlsafe_b64decode(v.split(".")[0] + "=" * (-len(v.split(".")[0]) % 4)))
                except ValueError:
                    continue
                if "alg" not in head:
                    continue
            if name == "dburl" and (m.group(1).lower() in ("password", "pass", "****", "xxx")
                                    or m.group(2) in ("localhost", "127.0.0.1")):
                continue
            if name == "password" and re.fullmatch(r"[*•x.]+", m.group(1)):
                continue
            found.append((name, v))
    return found


PRODUCTS = []
for p in PROFILE["products"]:
    names = [p["name"]] + list(p.get("aliases", []))
    PRODUCTS.append((p["sku"], [n.lower() for n in names], float(p["list_price"])))
RATIO = float(PROFILE["pricing"]["alert_below_ratio"])
PRICE_RE = re.compile(r"€\s?(\d[\d.,]*\d|\d)|(\d[\d.,]*\d|\d)\s?(?:euro|eur)\b", re.I)
ERROR_WORDS = ("prijsfout", "price error", "pricing mistake", "pricing error", "prijsfoutje")


def parse_price(s):
    s = s.strip()
    if re.search(r",\d{1,2}$", s):
        s = s.replace(".", "").replace(",", ".")
    elif re.search(r"\.\d{3}$", s) or re.search(r",\d{3}$", s):
        s = s.replace(".", "").replace(",", "")
    return float(s.replace(",", ""))


def products_in(text):
    t = norm(text).lower()
    return [(sku, price) for sku, names, price in PRODUCTS
            if any(re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", t) for n in names)]


def prices_in(text):
    return [parse_price(m.group(1) or m.group(2)) for m in PRICE_RE.finditer(norm(text))]


CONF_TERMS = ([d.lower() for d in PROFILE["internal"]["domains"]] +
              [c.lower() for c in PROFILE["internal"]["codenames"]] +
              [m.lower() for m in PROFILE["internal"]["markers"]])


def confidential_hits(text, created_at):
    t = norm(text).lower()
    hits = [term for term in CONF_TERMS if term in t]
    when = parse_ts(created_at)
    for emb in PROFILE["embargo"]:
        if when < parse_ts(emb["until"]):
            hits += [term for term in emb["terms"] if term.lower() in t]
    return hits


def embargo_terms_any(text):
    t = norm(text).lower()
    return [(term, emb["until"]) for emb in PROFILE["embargo"] for term in emb["terms"] if term.lower() in t]


SEV_ORDER = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    return ROLE.get((platform + ":" + handle).lower(), "public")


def severity(cats, role, text):
    levels = ["none"]
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                levels.append("warning")
            elif c in ("leak.secret", "leak.pricing"):
                levels.append("critical")
            elif c == "leak.pii" and has_checked_id(text):
                levels.append("critical")
            else:
                levels.append("error")
        elif c == "reputation.complaint":
            levels.append("warning")
        elif c == "reputation.crisis":
            levels.append("error")
        elif c == "reputation.abuse":
            levels.append("error" if insider else "warning")
    return max(levels, key=SEV_ORDER.index)


# --------------------------------------------------------------------------- build
def make_id(platform, used):
    while True:
        if platform in ("x", "instagram", "threads", "tiktok"):
            pid = str(rng.randint(1_800_000_000_000_000_000, 1_999_999_999_999_999_999))
        elif platform == "linkedin":
            pid = "urn:li:activity:" + str(rng.randint(7_200_000_000_000_000_000, 7_399_999_999_999_999_999))
        elif platform == "reddit":
            pid = "t3_" + rand(string.ascii_lowercase + string.digits, 7)
        elif platform == "facebook":
            pid = "%d_%d" % (rng.randint(10**14, 10**15 - 1), rng.randint(10**15, 10**16 - 1))
        elif platform == "mastodon":
            pid = "1" + str(rng.randint(10**16, 10**17 - 1))
        elif platform == "bluesky":
            pid = "at://did:plc:" + rand(string.ascii_lowercase + "234567", 24) + "/app.bsky.feed.post/3l" + \
                  rand(string.ascii_lowercase + "234567", 11)
        elif platform == "youtube":
            pid = "yt-" + rand(B64URL, 11)
        else:
            pid = platform + "-" + str(rng.randint(100000, 999999))
        if (platform, pid) not in used:
            used.add((platform, pid))
            return pid


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randint(0, 347 * 86400))
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]))
    if rng.random() < 0.25:
        off = 2 if 3 < t.month < 11 else 1
        local = (t + dt.timedelta(hours=off)).replace(tzinfo=None)
        return local.isoformat() + "+%02d:00" % off
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    used = set()
    out = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for n, i in enumerate(order):
        c = CASES[i]
        platform, handle = c["acct"].split(":", 1)
        role = role_of(platform, handle)
        pid = make_id(platform, used)
        created = c["when"] or random_time()
        display = DISPLAY.get(c["acct"].lower())
        if display is None:
            display = re.sub(r"[@_.\d]+", " ", handle.split("/")[-1]).strip().title() or handle
        post = {"id": pid, "platform": platform, "kind": c["kind"],
                "account": {"handle": handle, "display_name": display},
                "text": c["text"], "created_at": created}
        if n % 9 != 4:                       # the lang hint is optional: leave it off now and then
            post["lang"] = c["lang"]
        if platform == "x":
            post["url"] = "https://x.com/%s/status/%s" % (handle.lstrip("@"), pid)
        elif platform == "reddit":
            post["url"] = "https://www.reddit.com/r/%s/comments/%s/" % (
                rng.choice(["studenten", "Netherlands", "Amersfoort", "StudyInTheNetherlands"]), pid[3:])
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        out.append(({"post": post, "expect": expect}, c, role))
    return out


# --------------------------------------------------------------------------- self-check
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
            "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon", "bluesky",
             "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


def check(rows):
    errors = []

    def err(case_id, msg):
        errors.append("%s: %s" % (case_id, msg))

    ids = set()
    for row, c, role in rows:
        post, expect = row["post"], row["expect"]
        pid, text, cats = post["id"], post["text"], expect["categories"]
        # shape (CONTRACT 1 and 6)
        if set(row) != {"post", "expect"} or set(expect) != {"categories", "severity"}:
            err(pid, "bad top-level keys")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256:
            err(pid, "bad id")
        if (post["platform"], pid) in ids:
            err(pid, "duplicate id")
        ids.add((post["platform"], pid))
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            err(pid, "bad platform/kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(pid, "missing handle")
        if not isinstance(text, str) or not text or len(text.encode("utf-8")) > 65536:
            err(pid, "bad text")
        if not RFC3339.match(post["created_at"]):
            err(pid, "created_at not RFC 3339")
        else:
            year = parse_ts(post["created_at"]).year
            if year not in (2026, 2027):
                err(pid, "created_at outside 2026/2027")
        if "lang" in post and post["lang"] not in ("nl", "en"):
            err(pid, "bad lang")
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(pid, "bad categories %r" % cats)
        if expect["severity"] not in SEV_ORDER:
            err(pid, "bad severity")
        if expect["severity"] != severity(cats, role, text):
            err(pid, "severity not computed from policy")
        if not cats and expect["severity"] != "none":
            err(pid, "benign case must be none")
        if cats and expect["severity"] in ("none", "info"):
            err(pid, "positive case with severity none/info")
        # role consistency
        key = (post["platform"] + ":" + post["account"]["handle"]).lower()
        if role == "public" and key in ROLE:
            err(pid, "public handle is in profile")
        # identifiers and checksums
        ids_found = identifiers(text)
        if PII in cats:
            for kind, v, ok in ids_found:
                if not ok:
                    err(pid, "positive PII contains %s look-alike failing its checksum: %s" % (kind, v))
        else:
            for kind, v, ok in ids_found:
                if ok:
                    err(pid, "checksum-valid %s %s in a post without leak.pii" % (kind, v))
        # secrets
        secrets = live_secrets(text)
        if SECRET in cats and not secrets:
            err(pid, "secret case without a recognisable live secret")
        if SECRET not in cats and secrets:
            err(pid, "live-looking secret in a post without leak.secret: %r" % (secrets,))
        for name, v in secrets:
            if name == "github" and not github_token_valid(v):
                err(pid, "github token with bad CRC")
        # pricing
        prods, prices = products_in(text), prices_in(text)
        low = [p for p in prices for _, lp in prods if p < RATIO * lp]
        err_word = any(w in norm(text).lower() for w in ERROR_WORDS)
        if PRICE in cats:
            if not prods:
                err(pid, "pricing case names no product")
            elif not low and not err_word:
                err(pid, "pricing case has neither a low price nor price-error talk")
        else:
            if low:
                err(pid, "below-list price next to a product in a non-pricing post: %r %r" % (prods, prices))
            if prods and err_word:
                err(pid, "price-error talk next to a product in a non-pricing post")
        # confidential terms and embargo
        hits = confidential_hits(text, post["created_at"])
        if CONF in cats and not hits:
            err(pid, "confidential case without codename/marker/internal domain/embargoed term")
        if CONF not in cats and hits:
            err(pid, "confidential term in a post without leak.confidential: %r" % hits)
        # public identifiers are not findings: a benign post that uses them must not carry other PII
        if not cats:
            for e in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", norm(text)):
                if e.lower() not in [x.lower() for x in PROFILE["public_identifiers"]["emails"]]:
                    err(pid, "benign post with a non-public e-mail address %s" % e)
    # the profile's own identifiers
    for iban in PROFILE["public_identifiers"]["ibans"]:
        if not iban_check_ok(iban):
            errors.append("profile: public IBAN fails mod-97")
    # generated values
    assert github_token_valid(GHP)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", AKIA)
    for v in (IBAN1, IBAN2):
        assert iban_check_ok(v)
    for v in (CARD1, CARD2):
        assert luhn_ok(v)
    for v in (BSN1, BSN2):
        assert bsn_ok(v)
    assert not iban_check_ok(BAD_IBAN) and not luhn_ok(BAD_CARD) and not bsn_ok(BAD_BSN) and not bsn_ok("123456789")
    head = JWT.split(".")[0]
    assert "alg" in json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    # mix
    n = len(rows)
    benign = sum(1 for r, _, _ in rows if not r["expect"]["categories"])
    per_cat = {}
    for r, _, _ in rows:
        for cat in r["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    nl = sum(1 for _, c, _ in rows if c["lang"] == "nl")
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d not about 60" % benign)
    targets = {CPL: 20, CONF: 18, PII: 15, CRI: 15, SEC: 13, SECRET: 12, ABU: 12, PRICE: 12, FIN: 12}
    for cat, want in targets.items():
        if abs(per_cat.get(cat, 0) - want) > 3:
            errors.append("category %s has %d cases, target about %d" % (cat, per_cat.get(cat, 0), want))
    if not 0.50 <= nl / n <= 0.62:
        errors.append("Dutch share %.2f not about 55%%" % (nl / n))
    if sum(1 for _, c, _ in rows if c["evasion"]) < 5:
        errors.append("too few evasion cases")
    roles = {}
    for r, _, role in rows:
        if r["expect"]["categories"]:
            roles[role] = roles.get(role, 0) + 1
    if not roles.get("public") or not roles.get("employee") or not roles.get("corporate"):
        errors.append("authors not mixed: %r" % roles)
    stats = dict(cases=n, benign=benign, per_category=per_cat, dutch_share=round(nl / n, 3), positive_roles=roles,
                 severities={s: sum(1 for r, _, _ in rows if r["expect"]["severity"] == s) for s in SEV_ORDER})
    return errors, stats


def main():
    rows = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for row, _, _ in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert [r for r, _, _ in rows] == reread
    errors, stats = check(rows)
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    if errors:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check passed: %d cases, %d benign" % (stats["cases"], stats["benign"]))


if __name__ == "__main__":
    main()
