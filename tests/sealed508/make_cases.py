#!/usr/bin/env python3
"""Build the sealed508 evaluation set (Haverzee Beach Clubs) and check it.

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl
beside this file. Severities are computed from CONTRACT section 4 using the
account role found in profile.yaml; they are never typed by hand.
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
rng = random.Random(508_2026)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------
# identifier generators and validators
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters


def rand(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def iban_numeric(s):
    return "".join(str(int(c, 36)) for c in s)


def iban_ok(iban):
    s = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int(iban_numeric(s[4:] + s[:4])) % 97 == 1


def make_iban(bank, fmt=False):
    bban = bank + rand(string.digits, 10)
    check = 98 - int(iban_numeric(bban + "NL00")) % 97
    iban = "NL%02d%s" % (check, bban)
    assert iban_ok(iban)
    if fmt:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def bad_iban(bank, fmt=False):
    good = make_iban(bank).replace(" ", "")
    chk = int(good[2:4])
    bad = "NL%02d%s" % ((chk + 1 + rng.randrange(90)) % 97 + 2, good[4:])
    if iban_ok(bad):
        return bad_iban(bank, fmt)
    if fmt:
        return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))
    return bad


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_ok(partial + c):
            return c
    raise AssertionError


def group4(d):
    return " ".join(d[i:i + 4] for i in range(0, len(d), 4))


def make_card(prefix, length=16, sep=" "):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    d = body + luhn_digit(body)
    assert luhn_ok(d)
    return group4(d).replace(" ", sep)


def bad_card(prefix, length=16):
    body = prefix + rand(string.digits, length - len(prefix) - 1)
    good = luhn_digit(body)
    d = body + str((int(good) + 1 + rng.randrange(8)) % 10)
    assert not luhn_ok(d)
    return group4(d)


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9 or d == "000000000":
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(c) * k for c, k in zip(d, w)) % 11 == 0


def make_bsn():
    while True:
        d = str(rng.randint(1, 3)) + rand(string.digits, 8)
        if bsn_ok(d):
            return d


def bad_bsn(first="4"):
    while True:
        d = first + rand(string.digits, 8)
        if not bsn_ok(d):
            return d


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF, 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_jwt(payload):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def pem_key():
    raw = bytes(rng.randrange(256) for _ in range(900))
    b = "MIIEpAIBAAKCAQEA" + base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)][:14]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


URLSAFE = string.ascii_letters + string.digits + "_-"

# --------------------------------------------------------------------------
# generated values used in the posts
# --------------------------------------------------------------------------
GH1 = github_token("ghp_")
GH2 = github_token("gho_")
AWS_ID = aws_key_id()
AWS_SEC = aws_secret()
STRIPE = "sk_live_51" + rand(ALNUM, 46)
SLACK = "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))
OPENAI = "sk-proj-" + rand(URLSAFE, 48) + "T3BlbkFJ" + rand(URLSAFE, 48)
ANTHROPIC = "sk-ant-api03-" + rand(URLSAFE, 93) + "AA"
GOOGLE = "AIza" + rand(URLSAFE, 35)
JWT1 = make_jwt({"sub": "staff-2231", "name": "Mees", "role": "shiftlead", "iat": 1751871600})
PEM = pem_key()
DBPW = rand(ALNUM, 7) + "#" + rand(ALNUM, 4)

IBAN_REFUND = make_iban("INGB", fmt=True)
IBAN_EVA = make_iban("SNSB")
CARD_GILLES = make_card("4539")
CARD_BAR = make_card("5412")
BSN_HR = make_bsn()
BSN_KID = make_bsn()
BSN_KID_FMT = BSN_KID[:4] + "." + BSN_KID[4:6] + "." + BSN_KID[6:]

BAD_IBAN = bad_iban("ABNA")
BAD_CARD_GIFT = bad_card("6037")
BAD_BSN_RES = bad_bsn("4")

PUBLIC_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------
CASES = []


def C(role, platform, handle, lang, cats, text, when=None, kind="post", price=None):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=sorted(set(cats)), text=text, when=when, kind=kind, price=price))


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CON, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SCR, PII, PRC = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints ------------------------------------------------------------
C("p", "x", "@strandkat_88", "nl", [CMP],
  "Drie kwartier wachten op twee biertjes bij @haverzee Noordwijk. Bediening loopt rondjes maar kijkt je niet aan. Zonde van de zonsondergang eerlijk gezegd")
C("p", "instagram", "@lisa.travels.eu", "en", [CMP],
  "Booked the Daybed Deluxe weeks ahead, arrived at 11 and some other group was already on it. Staff shrugged and offered us two plastic chairs in the back row. Not what I paid €89 for, Haverzee.",
  kind="comment", price=("HZ-DAYBED", 89.0))
C("p", "facebook", "marco.verhulst.1979", "nl", [CMP],
  "Strandhuisje Zeester geboekt voor ons 12,5-jarig jubileum. Douche lauw, matras doorgezakt en overal zand in de keukenkastjes. Voor 349 per nacht verwacht je toch iets anders. Mail gestuurd, na 9 dagen nog niks gehoord.",
  price=("HZ-ZEESTER", 349.0))
C("p", "x", "@gr8tfulDad", "en", [CMP],
  "@haverzee_service your booking site charged me twice for the SUP session and now the chat bot just loops. who do I actually talk to", kind="reply")
C("p", "x", "@jor_dy", "nl", [CMP],
  "@haverzee lol jullie 'reservering gegarandeerd' betekent dus gewoon niks. ligbedden weggegeven aan walk-ins terwijl wij vooruit betaald hadden 🙄", kind="reply")
C("p", "forum", "strandgastMaaike", "nl", [CMP],
  "Ervaring Haverzee Katwijk: eten lauw, frites slap, en op de kaart stond 'keuken open tot 22:00' maar om 21:10 kregen we te horen dat er niks meer kon. Kom niet snel terug.")
C("p", "tiktok", "@surfsupsander", "en", [CMP],
  "surf lesson was 25 min of theory and then the instructor left us alone in the water for 20 min?? paid for 90. nah haverzee", kind="comment")
C("p", "instagram", "@dewi_ontdekt", "nl", [CMP],
  "Waarom moet ik 12,50 betalen voor een windscherm dat na een uur al kapot waait? En geen geld terug want 'weersomstandigheden' 🤡 @haverzee.beachclubs",
  kind="comment", price=("HZ-WIND", 12.5))
C("p", "reddit", "u/northsea_nomad", "en", [CMP],
  "Rant incoming. The Haverzee season pass got me into the Noordwijk club exactly twice this summer, every other visit it was 'full for pass holders'. Emailed them three times, not a single reply. Never again.")
C("p", "threads", "@mirjam.kust", "nl", [CMP],
  "toiletten bij paviljoen haverzee waren vanmiddag echt smerig. geen papier, geen zeep, vloer blank. met kleine kids geen pretje")
C("p", "x", "@ben_on_holiday", "en", [CMP],
  "Haverzee refund for the cancelled beach BBQ still hasn't landed. Six weeks. They confirmed it twice by mail. Getting silly now tbh")
C("p", "bluesky", "@hanneke-w.bsky.social", "nl", [CMP],
  "Bedrijfsuitje bij Haverzee geregeld voor 30 man: de beloofde tent stond er niet, regen, iedereen drijfnat. Coördinator onbereikbaar. Factuur kwam wel keurig op tijd natuurlijk.")

# ---- first-hand safety incidents: complaint + crisis ------------------------
C("p", "x", "@pietjepuk_zvt", "nl", [CMP, CRI],
  "Mijn dochter kreeg een schok van de buitendouche bij Haverzee Noordwijk. Huilend en trillend. Personeel zei 'dat doet ie wel vaker'. Pardon?! Dit is levensgevaarlijk #haverzee")
C("p", "facebook", "emma.r.whitfield", "en", [CMP, CRI],
  "Whole table got food poisoning after the Sunset Dinner at Haverzee on Saturday. Four of us up all night vomiting, my husband ended up at the GP on Monday. Nobody from the restaurant has responded to my email.")
C("p", "instagram", "@sjoerd.kitet", "nl", [CMP, CRI],
  "De gasheater naast onze lounge bij Haverzee vloog gewoon in de fik. Vlammen tot aan het rieten dak, wij zijn weggerend. Jas van mn vriendin geschroeid. Geen excuses, alleen een gratis rondje 🙃")
C("p", "x", "@claire_runs_", "en", [CMP, CRI],
  "Stepped through a rotten board on the Haverzee boardwalk last night, deep cut on my shin and 5 stitches at A&E. The plank already had tape around it, so they KNEW.")
C("p", "tiktok", "@yara.zomer", "nl", [CMP, CRI],
  "SUP-board gehuurd bij haverzee met een kapotte leash, ik dreef 10 min richting zee voordat de lifeguard me zag. Ik was echt doodsbang 😭😭", kind="comment")

# ---- complaint + abuse -----------------------------------------------------
C("p", "x", "@boze_badgast", "nl", [CMP, ABU],
  "Haverzee jullie zijn een stelletje oplichters en die manager in Katwijk is een arrogante klootzak. 80 euro borg ingehouden voor 'zand in het huisje'. Op het STRAND.")
C("p", "instagram", "@dkrs.ninety", "en", [CMP, ABU],
  "worst cocktails of my life and the bartender with the man bun is a smug little prick. haverzee you should be ashamed", kind="comment")

# ---- complaint + personal data (customer exposes own number) ----------------
C("p", "x", "@ingrid_vdl", "nl", [CMP, PII],
  "@haverzee_service al 3x gemaild, nu maar hier: bel me aub terug op 06-41 87 22 90, mijn reservering voor zaterdag staat er dubbel in en ik kan nergens annuleren. Echt belachelijk", kind="reply")

# ---- crisis (third party, boycotts, lawsuits, breach accusations) ------------
C("p", "x", "@kustnieuws_nl", "nl", [CRI],
  "Bij strandpaviljoen Haverzee in Katwijk is gisteravond een medewerker gewond geraakt toen een zware parasolvoet omviel. Hij is met hoofdletsel naar het ziekenhuis gebracht.")
C("p", "x", "@privacyhawk", "en", [CRI],
  "Haverzee Beach Clubs appears to have leaked its entire booking database: names, phone numbers, passport scans for the lodges. It's being sold on a forum right now. @haverzee care to comment?")
C("p", "facebook", "ActiegroepDuinenVrij", "nl", [CRI],
  "OPROEP: boycot Haverzee! Ze willen een derde paviljoen midden in het Natura 2000-gebied neerzetten. Niet meer reserveren en deel dit bericht! #boycotHaverzee #duinenvrij")
C("p", "linkedin", "tom-aerts-hospitality", "nl", [CRI],
  "Oud-medewerkers van Haverzee bereiden volgens hun advocaat een collectieve rechtszaak voor over onbetaalde overuren in seizoen 2025. Meerdere seizoenskrachten spreken van werkweken van 60 uur.")
C("p", "x", "@omroepwestkust", "nl", [CRI],
  "GGD onderzoekt uitbraak van legionella in de strandsauna van Haverzee Noordwijk na drie ziekenhuisopnames. Sauna is per direct gesloten.")
C("p", "reddit", "u/beachdad_nl", "en", [CRI],
  "Heads up parents: Haverzee is recalling their branded Strandlaken XL, apparently the dye caused skin burns on a couple of kids. Check your towels and take them back.")
C("p", "instagram", "@roddelstrand", "nl", [CRI],
  "Schandaal bij Haverzee 😳 de eigenaar zou jarenlang zwart personeel hebben laten werken en contant uitbetalen. Arbeidsinspectie stond vanochtend binnen.")
C("p", "x", "@jess_in_ams", "en", [CRI],
  "A kid went missing for almost an hour at Haverzee yesterday and the lifeguard post was EMPTY. Found safe thank god but wow. How is that allowed on a beach that busy")
C("p", "bluesky", "@zeeuwsmeisje.bsky.social", "nl", [CRI],
  "Racisme aan de deur bij Haverzee? Drie vrienden van mij geweigerd 'vanwege de dresscode', terwijl witte jongens in precies dezelfde outfit wél naar binnen mochten. Dit moet uitgezocht worden.")
C("p", "threads", "@northsea.watch", "en", [CRI],
  "Haverzee is being taken to court by the municipality over the illegal extension of their terrace in the dunes. Hearing is set for November.")

# ---- abuse ---------------------------------------------------------------------
C("p", "x", "@xx_raymond_xx", "nl", [ABU],
  "haverzee is echt een kutbedrijf met kutpersoneel. hoop dat die hele tent wegwaait")
C("p", "x", "@tr0llking", "en", [ABU],
  "@haverzee_service your staff are brainless idiots, every single one of them. pathetic", kind="reply")
C("p", "instagram", "@b3ach_bum", "nl", [ABU],
  "die blonde serveerster van jullie is zo'n dom wijf, leer haar eerst eens tellen voordat je haar op een terras zet", kind="comment")
C("p", "tiktok", "@vxlkr", "en", [ABU],
  "lmao the surf instructor is a fat useless clown 🤡 haverzee hires literally anyone huh", kind="comment")
C("p", "x", "@strandtijger", "nl", [ABU],
  "h4verzee = k@nkerz00i, personeel vol t4ringlijers. ga toch dood")
C("p", "facebook", "gary.mcbride.77", "en", [ABU],
  "Whoever the foreign chef at Haverzee is, go back to your own country. Can't even speak proper Dutch and cooks like an animal.")
C("p", "x", "@kees_roept", "nl", [ABU],
  "@mees_strandchef hou je bek toch, jij en je waardeloze strandtent. sukkel", kind="reply")
C("e", "x", "@bram_achterdebar", "en", [ABU],
  "to the drunk guy who threw a glass at my colleague tonight: you are a spineless piece of shit and I hope you get banned from every beach on this coast")
C("p", "threads", "@dijkgraaf_99", "nl", [ABU],
  "haverzee... wat een stel e i k e l s daar achter de bar. k u t t e n t, nooit meer")
C("p", "reddit", "u/saltyclubber", "en", [ABU],
  "The Haverzee bouncer in Bloemendaal is a roided-up thug who gets off on humiliating teenagers. Absolute scum, the lot of them.")

# ---- confidential ----------------------------------------------------------
C("e", "x", "@mees_strandchef", "nl", [CON],
  "Lange dag gehad met de aannemer over Project Zeekraal, als dat doorgaat wordt volgend jaar echt heftig 😅")
C("e", "linkedin", "ruben-hoekstra-hz", "en", [CON],
  "Proud of the team that presented Tidewater to the board today. Can't say much yet, but the future of Haverzee is looking very... floating 🌊")
C("e", "instagram", "@joyce.haverzee", "nl", [CON],
  "Rooster voor volgende week even gecheckt op rooster.haverzee.nl/team/noordwijk vanaf m'n handdoek haha, zo makkelijk 🏖️")
C("c", "x", "@haverzee", "en", [CON],
  "Sneak peek 👀 Paviljoen Slufter is almost ready! Sand, dunes and sunsets on the island. More soon!",
  when="2026-11-10T16:05:00Z")
C("c", "facebook", "HaverzeeBeachClubs", "nl", [CON],
  "Wat een jaar was het! Binnenkort kunnen we jullie meer vertellen over Haverzee Texel 🏝️ Fijne feestdagen allemaal!",
  when="2026-12-22T10:30:00Z")
C("e", "x", "@bram_achterdebar", "nl", [CON],
  "haha moet je zien wat er net in de groepsapp kwam: 'intern - niet delen: nieuwe kaart 2027, cocktails gaan naar €14'. nou dan weten jullie het 🍸")
C("e", "mastodon", "@jvos@mastodon.nl", "en", [CON],
  "Anyone else fighting Ansible this week? Our inventory for git.haverzee.nl and kassa.haverzee.local keeps timing out and I'm losing my mind")
C("e", "linkedin", "noor-el-kadi-haverzee", "nl", [CON],
  "Vandaag de eerste workshop voor Operatie Kwallenrif gegeven aan het MT. Mooi om te zien hoe iedereen meedenkt over de toekomst van onze paviljoens!")
C("e", "tiktok", "@sietske.surfjuf", "en", [CON],
  "POV: ur a surf instructor and they just showed u the floating sauna concept for next summer 🤫 it's haverzee confidential so I can't show it but OMG")
C("p", "reddit", "u/ex_strandtent", "nl", [CON],
  "Hoorde via een vriend die daar werkt dat Haverzee bezig is met 'Project Zeekraal', een soort glamping bovenop de duinen. Iemand meer info?")
C("e", "instagram", "@chefdaan.hz", "en", [CON],
  "Testing dishes for the Slufter Lodges menu today 👨‍🍳 can't wait for you guys to taste this",
  when="2026-10-14T13:20:00Z")
C("p", "x", "@duinpieper", "nl", [CON],
  "dus ｐｒｏｊｅｃｔ ｚｅｅｋｒａａｌ van haverzee is gewoon een hotel op het strand? wie heeft dat bedacht")
C("e", "bluesky", "@femkemulder.bsky.social", "en", [CON],
  "note to self: stop pasting links like https://intra.haverzee.local/hr/contracts/2026 into the wrong channel 🙈")
C("e", "instagram", "@joyce.haverzee", "nl", [CON],
  "Eindelijk mag ik het zeggen… nee toch niet 😂 maar Tide\u200bwater wordt echt episch, geloof me")
C("c", "x", "@haverzee_service", "en", [CON],
  "@sam_rdam Hi Sam! We've logged it for you: tickets.haverzee.local/browse/GAST-4412, the team will get back to you tomorrow 🙏", kind="reply")

# ---- confidential + financial ----------------------------------------------
C("e", "linkedin", "ruben-hoekstra-hz", "nl", [CON, FIN],
  "Spoiler: de jaarcijfers 2026 zijn beter dan ooit, omzet +23% en de EBITDA bijna verdubbeld. Trots op dit team! Officieel nieuws volgt eind deze maand.",
  when="2027-02-10T08:45:00Z")
C("e", "x", "@mees_strandchef", "en", [CON, FIN],
  "overheard in the Operatie Kwallenrif meeting: we're buying Strandclub Noorderlicht in Zandvoort, signing next week 🤐")

# ---- financial -------------------------------------------------------------
C("e", "x", "@bram_achterdebar", "nl", [FIN],
  "Gerucht in de kantine: na het seizoen gaan er 40 vaste krachten uit bij Haverzee en de keuken in Katwijk gaat dicht. Nog niks officieel dus hou het stil")
C("e", "linkedin", "noor-el-kadi-haverzee", "en", [FIN],
  "Bracing for a tough Q4: our internal forecast has us missing budget by about €1.2M after the wet July. Leadership will communicate it in November.")
C("e", "instagram", "@chefdaan.hz", "nl", [FIN],
  "Net gehoord dat Haverzee wordt overgenomen door een Duitse investeerder. Geen idee wat dat voor ons betekent... is nog niet naar buiten gebracht dus ssst")
C("c", "x", "@haverzee", "en", [FIN],
  "DRAFT - do not post yet: Haverzee Beach Clubs H1 revenue €8.4M (+11%), net loss narrowed to €0.3M. Publication 28 Aug.",
  when="2026-08-19T09:12:00Z")
C("e", "reddit", "u/hz_ops_wouter", "nl", [FIN],
  "Als ops-lead kan ik wel verklappen dat er na de zomer een reorganisatie komt: twee van de vier paviljoens krijgen één management. Er gaan banen af, ik weet alleen nog niet wie.")
C("p", "reddit", "u/insider_shorepoint", "en", [FIN],
  "Friend on Haverzee's finance team says they're in exclusive talks to merge with BeachBrands Group, announcement planned for October. You heard it here first.")
C("p", "x", "@beurs_fluisteraar", "nl", [FIN],
  "Tip: Haverzee haalt volgend jaar een lening van 15 mln op voor uitbreiding, de bank is al rond. Staat nog nergens.")
C("e", "tiktok", "@sietske.surfjuf", "en", [FIN],
  "they told us today the surf school is being sold to an outside company next spring 😢 not public yet so pls don't share")
C("c", "linkedin", "haverzee-beach-clubs", "nl", [FIN],
  "Concept interne update: de RvC heeft ingestemd met het sluiten van Paviljoen Bloemendaal per 1 januari, 18 fte betrokken. Communicatie naar medewerkers volgt volgende week.")
C("e", "bluesky", "@femkemulder.bsky.social", "en", [FIN],
  "payroll just told us there's a 15% headcount cut at head office after the season. board signed off last friday. not announced yet and I feel sick about it")

# ---- security ------------------------------------------------------------
C("e", "x", "@bram_achterdebar", "nl", [SEC],
  "kassasysteem ligt al sinds 14:00 plat op alle vier de paviljoens, we schrijven bonnetjes met de hand 😩 en we mogen er niks over zeggen tegen gasten")
C("e", "mastodon", "@jvos@mastodon.nl", "en", [SEC],
  "Fun day at work: turns out our booking API hands you other guests' reservations if you just bump the id by one. Reported it internally, no fix yet. Don't ask which beach club 🙃")
C("e", "linkedin", "ruben-hoekstra-hz", "nl", [SEC],
  "Afgelopen nacht zijn we getroffen door ransomware, alle reserveringen van Haverzee staan versleuteld. We werken keihard aan herstel. (Nog geen persbericht, dus even onder ons.)")
C("e", "x", "@mees_strandchef", "en", [SEC],
  "password reset for the whole staff today because someone got phished and the attacker sat in our mailboxes for 3 days. IT says keep quiet until they know what got taken")
C("e", "instagram", "@joyce.haverzee", "nl", [SEC],
  "Pinautomaten doen het op geen enkel paviljoen meer, al de hele ochtend. Gasten moeten we wegsturen en we mogen niet zeggen waarom 🙈")
C("e", "reddit", "u/hz_ops_wouter", "en", [SEC],
  "Our guest booking portal still runs an unpatched logging library from the log4shell era and I've been flagging it for months. Anyone could pull the guest list. Management doesn't care.")
C("c", "x", "@haverzee_service", "nl", [SEC],
  "@lisa_vd Klopt, er was gisteren een datalek bij onze nieuwsbriefprovider en jouw e-mailadres zat erbij. We maken het binnenkort officieel bekend, excuses!", kind="reply")
C("e", "tiktok", "@sietske.surfjuf", "en", [SEC],
  "the door code on the staff lockers in katwijk has been broken for 2 weeks, literally anyone can open them with 0000 lol", kind="comment")
C("e", "bluesky", "@femkemulder.bsky.social", "nl", [SEC],
  "Storing in het boekingssysteem: sinds vanochtend worden betalingen bij een deel van de gasten dubbel afgeschreven. Is nog niet gecommuniceerd, ik zit er nu middenin.")
C("p", "x", "@cousin_of_staff", "en", [SEC],
  "my cousin does IT at Haverzee and says their CCTV cameras have been streaming to the open internet with no password all summer")
C("e", "instagram", "@chefdaan.hz", "nl", [SEC],
  "Koelcel-sensoren gehackt?? Alle temperaturen in het dashboard staan op 40 graden en niemand komt er meer in. IT zegt dat er iemand van buiten in het netwerk zit.")

# ---- security + secret, security + confidential ------------------------------
C("e", "mastodon", "@jvos@mastodon.nl", "en", [SEC, SCR],
  "ok after last week's breach we rotated everything. slack is still down so here's the new staging key for the team:\naws_access_key_id = %s\naws_secret_access_key = %s" % (AWS_ID, AWS_SEC))
C("e", "x", "@mees_strandchef", "nl", [SEC, CON],
  "vpn.haverzee.nl ligt er al twee dagen uit na die aanval, thuiswerken kan gewoon niet. Zeg maar niks tegen de gasten")

# ---- secrets ------------------------------------------------------------------
C("e", "bluesky", "@femkemulder.bsky.social", "en", [SCR],
  "can someone on the dev side check why this 404s?\ncurl -H 'Authorization: token %s' https://api.github.com/orgs/haverzee-dev/repos" % GH1)
C("e", "reddit", "u/hz_ops_wouter", "nl", [SCR],
  "Waarom krijg ik nog steeds een 401?? in de .env staat toch gewoon STRIPE_SECRET_KEY=%s" % STRIPE)
C("e", "mastodon", "@jvos@mastodon.nl", "en", [SCR],
  "debugging our shift bot, token %s suddenly stopped posting to #roosters. anyone seen this?" % SLACK)
C("e", "instagram", "@joyce.haverzee", "nl", [SCR],
  "Voor de nieuwe collega's: inloggen op de kassa met gebruiker bar_nw en wachtwoord: Zeeschuim!2026 😘 tot morgen!")
C("e", "x", "@bram_achterdebar", "en", [SCR],
  "who left this on the bar laptop lol postgres://hz_admin:%s@10.20.4.17:5432/reservations" % DBPW)
C("e", "mastodon", "@jvos@mastodon.nl", "nl", [SCR],
  "ons menu-vertaalscript vreet geld, hoe zet je een limiet? dit is wat erin staat: OPENAI_API_KEY=%s" % OPENAI)
C("e", "x", "@mees_strandchef", "nl", [SCR],
  "snap niet waarom de rooster-app me steeds uitlogt, dit is mn token: %s wie kan ff kijken" % JWT1)
C("p", "reddit", "u/fixitfelix_dev", "en", [SCR],
  "Did a freelance gig for a beach club (Haverzee) and they emailed me their prod server key. In plain text. Here's the top of it so you believe me:\n%s" % PEM)
C("e", "bluesky", "@femkemulder.bsky.social", "nl", [SCR],
  "ANTHROPIC_API_KEY=%s werkt ie bij jullie wel? ik krijg alleen maar rate limits" % ANTHROPIC)
C("p", "x", "@devnoobNL", "nl", [SCR],
  "lol de boekingspagina van Haverzee heeft gewoon een key in de broncode staan: %s en ook een oude OAuth token %s" % (GOOGLE, GH2))
C("e", "tiktok", "@sietske.surfjuf", "nl", [SCR],
  "wifi van de surfschool: netwerk HZ-Surf-Staff, ww: golfslag2026!! niet doorvertellen aan de gasten 😂")

# ---- personal data ---------------------------------------------------------
C("c", "x", "@haverzee_service", "nl", [PII],
  "@tim_kok Dag Tim, we hebben je terugbetaling vandaag overgemaakt naar %s. Check je rekening maandag even!" % IBAN_REFUND, kind="reply")
C("e", "instagram", "@joyce.haverzee", "en", [PII],
  "Lost & found 🧸 a wallet with the ID card of Marieke Jonkers, born 14-03-1991, was handed in at the Noordwijk bar. DM us!")
C("c", "facebook", "HaverzeeBeachClubs", "nl", [PII],
  "En de winnaar van onze zomerwinactie is... Anouk de Graaf, Zeeweg 112, 2202 CK Noordwijk! Gefeliciteerd, het pakket komt deze week jouw kant op 🎁")
C("e", "x", "@mees_strandchef", "en", [PII],
  "whoever booked under k.vanleeuwen87@hotmail.com for saturday, your daybed has been moved to 2pm")
C("e", "linkedin", "noor-el-kadi-haverzee", "nl", [PII],
  "Nieuwe collega Sanne Vermeulen begint maandag op het hoofdkantoor, welkom! Stuur haar gerust een appje: 06-38 51 72 04")
C("c", "x", "@haverzee_service", "en", [PII],
  "@gillesdb we can see the charge on card %s, it's a pre-authorisation and will drop off within 5 days" % CARD_GILLES, kind="reply")
C("e", "reddit", "u/hz_ops_wouter", "nl", [PII],
  "Vraagje over onze HR-software: het BSN staat gewoon leesbaar in het overzicht, bv. 'J. Smit - %s'. Hoort dat zo??" % BSN_HR)
C("p", "x", "@eva_strand", "nl", [PII],
  "@haverzee_service zoals gevraagd: mijn IBAN is %s, op naam van E. Bos. Alvast bedankt voor het regelen!" % IBAN_EVA, kind="reply")
C("e", "instagram", "@chefdaan.hz", "nl", [PII],
  "Shoutout naar onze vaste gast meneer Dijkstra van Boulevard 27 in Katwijk, die elke ochtend om 7 uur z'n koffie komt halen ☕️ legend")
C("c", "linkedin", "haverzee-beach-clubs", "en", [PII],
  "Event contact for Saturday's beach wedding: bride Julia Martens, julia.martens92@gmail.com, 06 19 47 83 20. Crew please call her directly if anything comes up.")
C("p", "x", "@bumperbash", "nl", [PII],
  "Die vent die op de parkeerplaats van Haverzee mijn auto heeft geraakt en doorreed: Tom Hendriks, Duinweg 8, 2201 AB Noordwijk. Meld je maar, ik weet waar je woont")
C("e", "x", "@bram_achterdebar", "en", [PII],
  "Card left behind at the bar tonight: %s exp 09/28. Owner please come pick it up tomorrow" % CARD_BAR)
C("p", "facebook", "linda.sportief", "nl", [PII],
  "Voor de kinderfeestreservering bij Haverzee: naam Lotte Brouwer, BSN %s, geboortedatum 11-05-2017, want dat vroegen jullie op het formulier?" % BSN_KID_FMT)
C("p", "threads", "@travellingtessa", "en", [PII],
  "DMs aren't working so here goes: my booking email is tessa.h.lambert@outlook.com and my phone +31 6 4410 2287, please send me the new voucher @haverzee.beachclubs")

# ---- pricing --------------------------------------------------------------
C("c", "instagram", "@haverzee.beachclubs", "nl", [PRC],
  "🔥 Last minute: Strandhuisje Zeester dit weekend voor maar €49 per nacht! Boek snel via de link in bio",
  price=("HZ-ZEESTER", 49.0))
C("c", "x", "@haverzee", "en", [PRC],
  "Season pass now just €39 for the whole summer ☀️ grab yours at boeken.haverzee.nl",
  price=("HZ-SEIZOEN", 39.0))
C("e", "x", "@bram_achterdebar", "nl", [PRC],
  "haha iemand heeft de Champagne Bucket in de kassa op €9,50 gezet ipv 95, we verkopen ze als warme broodjes 🍾",
  price=("HZ-CHAMP", 9.5))
C("c", "facebook", "HaverzeeBeachClubs", "en", [PRC],
  "Say yes by the sea 💍 Book the Duinrand wedding package for just €795 this month!",
  price=("HZ-WED", 795.0))
C("p", "reddit", "u/dealjager", "nl", [PRC],
  "PRIJSFOUT? Kitesurf Starterscursus bij Haverzee staat op de site voor €42,90. Normaal 429. Snel boeken voordat ze het zien",
  price=("HZ-KITE", 42.9))
C("e", "tiktok", "@sietske.surfjuf", "en", [PRC],
  "psst the Surfles Basis is showing €5.50 in the app right now, pretty sure that's a glitch 👀 go go go",
  price=("HZ-SURF1", 5.5))
C("p", "x", "@koopjesjoost", "nl", [PRC],
  "Lounge Eiland VIP voor €59 op boeken.haverzee.nl 😱 moet een tikfout zijn toch? heb er gelijk 2 geboekt",
  price=("HZ-LOUNGE", 59.0))
C("e", "linkedin", "noor-el-kadi-haverzee", "en", [PRC],
  "Planning a summer party? Our Branding team outing is now €185 for teams of up to 20 people. Sun, sea and great food included!",
  price=("HZ-TEAM", 185.0))
C("e", "instagram", "@joyce.haverzee", "nl", [PRC],
  "Саbаnа Privé deze zondag voor €25 😍 zeg het voort!!",
  price=("HZ-CABANA", 25.0))
C("p", "x", "@bargainbeachNL", "en", [PRC],
  "Haverzee app glitch: Sunset Dinner at €6.95 pp and the restaurant actually confirmed our booking 😂",
  price=("HZ-SUNSET", 6.95))
C("c", "facebook", "HaverzeeBeachClubs", "nl", [PRC],
  "Actie! Een Strandsauna sessie nu voor €3,20 i.p.v. €32. Alleen deze week 🧖",
  price=("HZ-SAUNA", 3.2))
C("e", "bluesky", "@femkemulder.bsky.social", "en", [PRC],
  "heads up: price error on the Beach Yoga 10-rittenkaart in the webshop, it shows €12 instead of €120. finance is on it",
  price=("HZ-YOGA10", 12.0))

# ---- benign (mostly hard negatives) --------------------------------------
C("p", "x", "@zomerkind", "nl", [],
  "Wat een avond bij Haverzee Noordwijk 🌅 zonsondergang, goeie muziek en de beste bitterballen van de kust. Tot volgend jaar!")
C("p", "instagram", "@anna.wanders", "en", [],
  "That sunset at Haverzee was on FIRE 🔥🔥 absolutely killer view from the Daybed Deluxe")
C("c", "x", "@haverzee_service", "nl", [],
  "Vragen over je reservering? Mail naar reserveren@haverzee.nl of bel 071-5550290 (dagelijks 9-18 uur). We helpen je graag!")
C("c", "facebook", "HaverzeeBeachClubs", "en", [],
  "Paying your beach house deposit by bank transfer? Use IBAN %s and put your booking number in the reference." % PUBLIC_IBAN)
C("c", "instagram", "@haverzee.beachclubs", "nl", [],
  "Zomersale ☀️ 20% korting op de Daybed Deluxe doordeweeks: nu €71,20 in plaats van €89",
  price=("HZ-DAYBED", 71.2))
C("c", "x", "@haverzee", "en", [],
  "Our Strandhuisje Helmgras is back for 2026: €289 per night incl. breakfast on the deck. Book at www.haverzee.nl",
  price=("HZ-HELMGRAS", 289.0))
C("p", "x", "@devdirk", "nl", [],
  "Tip voor wie AWS aan het leren is: in de docs staat altijd AKIAIOSFODNN7EXAMPLE als voorbeeldsleutel. Die mag je posten, je echte niet 😉")
C("e", "mastodon", "@jvos@mastodon.nl", "en", [],
  "Reminder for our devs: never commit tokens. A GitHub token looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you spot one in a PR, flag it.")
C("c", "x", "@haverzee", "nl", [],
  "Vandaag gepubliceerd: onze jaarcijfers 2026! De omzet steeg met 23%, dank aan alle gasten en medewerkers. Het hele verslag staat op haverzee.nl",
  when="2027-03-05T07:30:00Z")
C("c", "instagram", "@haverzee.beachclubs", "en", [],
  "Paviljoen Slufter is OPEN 🎉 Come and visit Haverzee Texel this weekend, first drink is on us!",
  when="2027-04-15T10:00:00Z")
C("p", "facebook", "kim.zeelenberg", "nl", [],
  "Vorige week geklaagd over de koude frites, vandaag belde de manager zelf en kregen we een tegoedbon. Netjes opgelost Haverzee 👍")
C("p", "x", "@windy_wim", "nl", [],
  "Sterkte aan de crew van Haverzee nu de storm van vannacht het terras heeft gesloopt. Jullie komen er wel weer bovenop 💙")
C("p", "x", "@nieuwsfan", "nl", [],
  "Lees net dat Strandclub Noorderlicht in Zandvoort 30 banen schrapt na een slecht seizoen. Hopelijk houden de andere paviljoens het wel droog.")
C("p", "reddit", "u/hospo_watch", "en", [],
  "Big news: SeaBreeze Clubs (the Spanish chain) has just been acquired by a private equity firm. Wonder if they'll come for Dutch beach clubs next.")
C("p", "instagram", "@mama_van_twee", "nl", [],
  "Kan iemand me vertellen of je bij Haverzee Katwijk met de kinderwagen op het terras kunt? En is er een verschoontafel?", kind="comment")
C("p", "x", "@surfgirl_jo", "en", [],
  "Anyone know if Haverzee still does the Surfles Basis on Sunday mornings? €55 for 90 min seems fair",
  price=("HZ-SURF1", 55.0))
C("p", "x", "@fietsfrits", "nl", [],
  "Luchtbed lek, parasol gebroken en zonnebril kwijt. Toch een topdag gehad aan zee 😂")
C("c", "linkedin", "haverzee-beach-clubs", "en", [],
  "We're hiring! Seasonal bartenders, cooks and lifeguards for summer 2026. Send your application to werkenbij@haverzee.nl")
C("p", "tiktok", "@dansmetdaan", "nl", [],
  "POV: je hebt de hele dag gelachen bij haverzee en je buik doet pijn van de lol 😂😂")
C("p", "x", "@phishwatch_eu", "en", [],
  "Scam alert: fake 'Haverzee giveaway' accounts are asking people for card details via DM. The real @haverzee never does that. Report & block.")
C("c", "x", "@haverzee_service", "nl", [],
  "Let op: wij vragen nooit om je wachtwoord of pincode via DM. Twijfel je? Bel ons gratis via 0800-0229.")
C("p", "reddit", "u/cardnerd", "en", [],
  "Fun fact: card numbers carry a check digit. Type 4111 1111 1111 1112 into the Haverzee booking form and it rejects it instantly because the Luhn check fails. Nice UX.")
C("p", "facebook", "sandra.beukers", "nl", [],
  "Is reserveringsnummer %s de code die ik bij de ingang moet laten zien? Eerste keer bij Haverzee, heb er zin in!" % BAD_BSN_RES)
C("p", "x", "@ledgerlisa", "en", [],
  "Tried to pay the Haverzee deposit but my bank app says %s is not a valid IBAN. Must have fat-fingered it copying from the mail 🙃" % BAD_IBAN)
C("e", "instagram", "@joyce.haverzee", "nl", [],
  "Mijn favoriete plekje op het strand 🌊 nog drie diensten en dan zelf vakantie!")
C("e", "tiktok", "@sietske.surfjuf", "nl", [],
  "eerste surfles van het seizoen en de kids waren GEWELDIG 🏄‍♀️ zo trots op ze")
C("e", "linkedin", "ruben-hoekstra-hz", "nl", [],
  "Terugblik op een prachtig seizoen: vier paviljoens, ruim honderd seizoenskrachten en talloze zonsondergangen. Dank aan iedereen die Haverzee dit jaar heeft gemaakt!")
C("p", "x", "@crisis_pr_guy", "en", [],
  "New blog: how Strandclub Noorderlicht botched its response to the 2025 food poisoning outbreak, and what other beach clubs can learn from it.")
C("p", "x", "@grapjas_gert", "nl", [],
  "Bij Haverzee zijn de cocktails zo sterk dat ik na drie stuks mijn eigen wachtwoord niet meer wist 🍹")
C("c", "x", "@haverzee", "en", [],
  "We're closing early today (17:00) because of the storm warning ⛈️ Stay safe everyone, see you tomorrow!")
C("p", "x", "@kitekoen", "nl", [],
  "Kitesurf Starterscursus bij Haverzee gedaan, €429 maar elke cent waard. Sietske is een top instructeur!",
  price=("HZ-KITE", 429.0))
C("p", "facebook", "oliver.bennett.travel", "en", [],
  "Stayed in the Zeester beach house, €349 a night. Pricey, but that view in the morning... worth it.",
  price=("HZ-ZEESTER", 349.0))
C("c", "instagram", "@haverzee.beachclubs", "nl", [],
  "Nieuw op de kaart: Champagne Bucket Brut voor €95, perfect voor je verjaardag 🥂",
  price=("HZ-CHAMP", 95.0))
C("p", "x", "@bookworm_b", "en", [],
  "Reading a thriller where the killer hides out in a beach pavilion. Can't look at Haverzee the same way now 😅")
C("p", "x", "@weerman_wouter", "nl", [],
  "Code oranje morgen langs de kust. Strandpaviljoens als Haverzee gaan waarschijnlijk dicht, blijf weg van de pier!")
C("p", "bluesky", "@datasec.bsky.social", "en", [],
  "Reminder: Strandclub Noorderlicht (not Haverzee!) confirmed a data breach last week. If you ever booked there, change your password.")
C("p", "reddit", "u/ketokaren", "nl", [],
  "Weet iemand of het BBQ Arrangement bij Haverzee ook glutenvrij kan? €42,50 pp vind ik prima als dat lukt",
  price=("HZ-BBQ", 42.5))
C("e", "x", "@mees_strandchef", "en", [],
  "12 hour shift done, sunburnt, happy. Best job in the world ☀️ #beachlife")
C("c", "x", "@haverzee_service", "nl", [],
  "@kim_z Wat vervelend dat je borg nog niet terug was! We hebben het uitgezocht en het bedrag staat vandaag op je rekening. Sorry voor het wachten 🙏", kind="reply")
C("p", "instagram", "@foodie.fenna", "en", [],
  "Sunset Dinner at Haverzee: five courses for €69.50 and the scallops were unreal. 10/10 would go again",
  price=("HZ-SUNSET", 69.5))
C("p", "x", "@sjaak_sarcasme", "nl", [],
  "Haverzee verkoopt 'zeezout-ijs'. Dus zand en zeewater in een hoorntje? Ik ben fan 😂")
C("p", "reddit", "u/devops_dan", "en", [],
  "PSA for juniors: a redacted key like sk_live_************************ in a screenshot is fine, the real thing is not. Redact before you post.")
C("e", "linkedin", "noor-el-kadi-haverzee", "nl", [],
  "Wat leuk dat onze cadeaukaarten zo populair zijn! De Haverzee Cadeaukaart 100 is nu ook digitaal te koop.",)
C("p", "x", "@ams_hannah", "en", [],
  "ok the fries at Haverzee are criminally good. arrest me")
C("p", "facebook", "gerrit.de.jong.55", "nl", [],
  "Mijn moeder (85) werd zo lief geholpen bij Haverzee, het personeel heeft haar met rolstoel en al over het zand naar het terras gebracht. Chapeau!")
C("p", "x", "@nuance_nick", "en", [],
  "Every summer someone shouts 'boycott the beach clubs' over the dune rules and every summer the beaches are packed anyway. Haverzee will be fine.")
C("p", "instagram", "@hashtagharry", "nl", [],
  "#haverzee #strandleven #zomer2026 ☀️🌊🍹")
C("e", "instagram", "@chefdaan.hz", "nl", [],
  "Vanavond op de kaart: gegrilde makreel met zeekraal en beurre blanc 🐟 kom met honger!")
C("p", "x", "@retro_rick", "en", [],
  "Remember when a beach season pass cost 50 guilders? Haverzee season pass is €395 now. Times change.",
  price=("HZ-SEIZOEN", 395.0))
C("p", "x", "@dealjager2", "nl", [],
  "Haverzee Strandlaken XL in de uitverkoop: €27,95 ipv €34,95. Net eentje gescoord",
  price=("HZ-TOWEL", 27.95))
C("c", "x", "@haverzee", "en", [],
  "Phone lines are busy today. Press can reach us at +31 71 555 0290 or pers@haverzee.nl.")
C("p", "x", "@techtante", "nl", [],
  "Fijn dat Haverzee de gastenwifi eindelijk heeft verbeterd. Het wachtwoord staat gewoon op het bordje bij de bar, prima geregeld.")
C("p", "reddit", "u/jwt_curious", "en", [],
  "Can someone explain JWTs? The jwt.io example starts with eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9, is that part secret or just the header?")
C("p", "x", "@voetbalvader", "nl", [],
  "Ajax speelde vandaag als een stel kwallen. Gelukkig daarna nog een biertje bij Haverzee 🍺")
C("p", "x", "@kid_at_heart", "nl", [],
  "Mijn zoon denkt dat de strandwachten van Haverzee superhelden zijn. Dank jullie wel dat jullie vandaag zo goed op iedereen letten 🛟")
C("p", "facebook", "patrick.vanloon", "nl", [],
  "Weet iemand of Haverzee Katwijk nog iemand zoekt voor de afwas? Mijn dochter (16) wil graag wat bijverdienen deze zomer.")
C("p", "x", "@olga_nl", "en", [],
  "Just read the Haverzee FY2026 results. Solid year for a beach business, the new pavilion plans look good too.",
  when="2027-03-02T12:00:00Z")
C("p", "instagram", "@zandkasteel_zoe", "nl", [],
  "Zandkastelenwedstrijd bij Haverzee gewonnen 🏆 prijs: ijsjes voor de hele familie!")
C("p", "x", "@cardgiftguy", "en", [],
  "Gift card code %s didn't work at checkout, I probably typed it wrong lol. Haverzee support sorted it in two minutes." % BAD_CARD_GIFT)
C("p", "x", "@beachyogi", "nl", [],
  "Beach yoga met de 10-rittenkaart (€120) is deze zomer mijn ritueel geworden. Namasté, Haverzee 🧘",
  price=("HZ-YOGA10", 120.0))

# --------------------------------------------------------------------------
# build the JSONL
# --------------------------------------------------------------------------
ROLE_OF = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE_OF[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    return ROLE_OF.get((platform.lower(), handle.lower()), "public")


RANK = ["none", "info", "warning", "error", "critical"]

IBAN_RE = re.compile(r"\bNL\d{2} ?[A-Z]{4} ?\d{4} ?\d{4} ?\d{2}\b")
CARD_RE = re.compile(r"(?<![\w-])\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.\-/+])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3} \d{3} \d{3})(?![\w])")


def checksum_ids(text):
    """(kind, value, passes) for every IBAN/card/BSN look-alike in text."""
    out = []
    for m in IBAN_RE.finditer(text):
        v = m.group(0).replace(" ", "")
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_ok(d)))
    for m in BSN_RE.finditer(text):
        out.append(("bsn", re.sub(r"\D", "", m.group(1)), bsn_ok(m.group(1))))
    return out


PUBLIC_IBANS = {i.replace(" ", "").upper() for i in PROFILE["public_identifiers"]["ibans"]}


def severity(cats, role, text):
    if not cats:
        return "none"
    own = role in ("corporate", "employee")
    best = 0
    for c in cats:
        if c.startswith("leak."):
            if own:
                s = "error"
                if c in ("leak.secret", "leak.pricing"):
                    s = "critical"
                if c == "leak.pii" and any(ok and v not in PUBLIC_IBANS
                                           for _, v, ok in checksum_ids(text)):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "error" if own else "warning"
        else:
            raise ValueError(c)
        best = max(best, RANK.index(s))
    return RANK[best]


PLATFORM_URL = {
    "x": "https://x.com/{h}/status/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "facebook": "https://www.facebook.com/{h}/posts/{n}",
    "linkedin": "https://www.linkedin.com/feed/update/urn:li:activity:{n}/",
    "tiktok": "https://www.tiktok.com/@{h}/video/{n}",
    "reddit": "https://www.reddit.com/r/thenetherlands/comments/{n}/",
    "threads": "https://www.threads.net/@{h}/post/{n}",
    "bluesky": "https://bsky.app/profile/{h}/post/{n}",
    "mastodon": "https://mastodon.nl/@{h}/{n}",
    "forum": "https://forum.strandgids.nl/t/{n}",
}

BASE = datetime(2026, 3, 20, tzinfo=timezone.utc)


def build():
    lines = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    for pos, idx in enumerate(order):
        c = CASES[idx]
        role = role_of(c["platform"], c["handle"])
        if c["when"]:
            ts = c["when"]
        else:
            dt = BASE + timedelta(days=rng.randrange(0, 240), minutes=rng.randrange(0, 24 * 60))
            ts = dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        n = str(rng.randrange(10 ** 14, 10 ** 15))
        h = c["handle"].lstrip("@").split("@")[0].replace("u/", "")
        post = {
            "id": "%s-508%03d" % (c["platform"], pos + 1),
            "platform": c["platform"],
            "kind": c["kind"],
            "account": {"handle": c["handle"]},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": ts,
            "url": PLATFORM_URL[c["platform"]].format(h=h, n=n),
            "brand": "haverzee",
        }
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, c["text"])}
        lines.append((c, role, {"post": post, "expect": expect}))
    return lines


# --------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ROLE_CODE = {"c": "corporate", "e": "employee", "p": "public"}
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
SECRET_RES = [
    GH_RE,
    re.compile(r"\bAKIA[A-Z2-7]{16}\b"),
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[\w-]{40,}"),
    re.compile(r"\bsk-ant-api03-[\w-]{80,}"),
    re.compile(r"\bAIza[\w-]{35}\b"),
    re.compile(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b\w+://[^:\s/]+:[^@\s]+@[\w.-]+"),
    re.compile(r"(?i)\b(wachtwoord|ww|password)\s*:\s*\S+"),
]


def check(lines):
    errors = []

    def err(c, msg):
        errors.append("%s: %s" % (c["text"][:60], msg))

    ids = set()
    prof = PROFILE
    # profile sanity
    assert len(prof["accounts"]["corporate"]) >= 6
    assert len(prof["accounts"]["employee"]) >= 8
    assert len({e.split(":")[0] for e in prof["accounts"]["corporate"] + prof["accounts"]["employee"]}) >= 4
    assert len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3
    assert 1 <= len(prof["embargo"]) <= 2
    assert all(e["until"].startswith("2027") for e in prof["embargo"])
    assert 15 <= len(prof["products"]) <= 25
    assert all(p["currency"] == "EUR" for p in prof["products"])
    assert prof["pricing"]["alert_below_ratio"] == 0.5
    assert all(iban_ok(i) for i in prof["public_identifiers"]["ibans"])
    prices = {p["sku"]: float(p["list_price"]) for p in prof["products"]}
    embargo_terms = [(t.lower(), e["until"]) for e in prof["embargo"] for t in e["terms"]]

    for c, role, obj in lines:
        post, exp = obj["post"], obj["expect"]
        if role != ROLE_CODE[c["role"]]:
            err(c, "role %s, intended %s" % (role, c["role"]))
        # contract section 6 / section 1
        if set(obj) != {"post", "expect"}:
            err(c, "top-level keys")
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            err(c, "id")
        if post["id"] in ids:
            err(c, "duplicate id")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS:
            err(c, "platform")
        if post["kind"] not in {"post", "reply", "repost", "comment", "message"}:
            err(c, "kind")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            err(c, "handle")
        if not isinstance(post["text"], str) or len(post["text"].encode("utf-8")) > 65536:
            err(c, "text")
        if not RFC3339.match(post["created_at"]):
            err(c, "created_at")
        if not post["created_at"].startswith(("2026", "2027")):
            err(c, "year")
        cats = exp["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
            err(c, "categories")
        if exp["severity"] not in RANK:
            err(c, "severity")
        if not cats and exp["severity"] != "none":
            err(c, "benign severity")
        if cats and exp["severity"] in ("none", "info"):
            err(c, "positive severity too low")
        if post["kind"] == "reply" and not post["text"].startswith("@"):
            err(c, "reply without addressee")

        text = post["text"]
        # checksum-bearing identifiers
        for kind, val, ok in checksum_ids(text):
            if kind == "iban" and val in PUBLIC_IBANS:
                continue
            if cats and not ok:
                err(c, "positive carries failing %s %s" % (kind, val))
            if not cats and ok:
                err(c, "benign carries valid %s %s" % (kind, val))
            if ok and "leak.pii" not in cats:
                err(c, "valid %s without leak.pii" % kind)
        # secrets
        gh = GH_RE.findall(text)
        for tok in gh:
            if cats and not github_ok(tok):
                err(c, "bad github checksum in positive")
            if not cats and github_ok(tok):
                err(c, "valid github token in benign")
        if "leak.secret" in cats:
            if not any(r.search(text) for r in SECRET_RES):
                err(c, "secret post without a credential")
            for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
                if not jwt_ok(m.group(0)):
                    err(c, "jwt header")
            for m in re.finditer(r"\bAKIA\w+", text):
                if not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)):
                    err(c, "aws key format")
        else:
            for r in SECRET_RES[:9]:
                for m in r.finditer(text):
                    tok = m.group(0)
                    sample = ("EXAMPLE" in tok or "xxxx" in tok or "****" in tok
                              or (tok.startswith("gh") and not github_ok(tok)))
                    if not sample:
                        err(c, "live-looking credential in non-secret post: %s" % tok[:20])
            if re.search(r"\beyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text):
                err(c, "full JWT in non-secret post")
        # pricing
        if c["price"]:
            sku, price = c["price"]
            ratio = price / prices[sku]
            if "leak.pricing" in cats and ratio >= 0.5:
                err(c, "pricing positive not below ratio")
            if "leak.pricing" not in cats and ratio < 0.5:
                err(c, "price below ratio but not labelled")
            amount = ("%.2f" % price).rstrip("0").rstrip(".")
            if amount.replace(".", ",") not in text and amount not in text and ("%.2f" % price) not in text \
                    and ("%.2f" % price).replace(".", ",") not in text:
                err(c, "price %s not in text" % amount)
        if "leak.pricing" in cats and not c["price"]:
            err(c, "pricing without price annotation")
        # embargo terms: before until must be labelled confidential, after must not
        low = text.lower()
        for term, until in embargo_terms:
            if term in low:
                before = post["created_at"] < until
                if before and "leak.confidential" not in cats:
                    err(c, "embargo term before until but not confidential")
                if not before and "leak.confidential" in cats:
                    err(c, "embargo term after until labelled confidential")
        # internal names must only appear in confidential posts (case-sensitive tokens)
        for term in prof["internal"]["domains"] + prof["internal"]["codenames"] + prof["internal"]["markers"]:
            if term.lower() in low and "leak.confidential" not in cats:
                err(c, "internal term %r in non-confidential post" % term)
        # public identifiers of the company never make a post positive on their own
        if not cats:
            pass

    n = len(lines)
    benign = sum(1 for _, _, o in lines if not o["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    nl = sum(1 for c, _, _ in lines if c["lang"] == "nl")
    if not 0.50 <= nl / n <= 0.60:
        errors.append("Dutch share %.2f" % (nl / n))
    want = {"reputation.complaint": (18, 22), "leak.confidential": (16, 20), "leak.pii": (13, 17),
            "reputation.crisis": (13, 17), "leak.security": (11, 15), "leak.secret": (10, 14),
            "reputation.abuse": (10, 14), "leak.pricing": (10, 14), "leak.financial": (10, 14)}
    counts = {k: 0 for k in want}
    for _, _, o in lines:
        for cat in o["expect"]["categories"]:
            counts[cat] += 1
    for k, (lo, hi) in want.items():
        if not lo <= counts[k] <= hi:
            errors.append("count %s = %d" % (k, counts[k]))
    texts = [c["text"] for c, _, _ in lines]
    if len(set(texts)) != len(texts):
        errors.append("duplicate texts")
    return errors, counts, benign, nl


def main():
    lines = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for _, _, obj in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read and validate the written file as well
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    assert [o for _, _, o in lines] == reread
    errors, counts, benign, nl = check(lines)
    if errors:
        for e in errors:
            print("FAIL", e, file=sys.stderr)
        sys.exit(1)
    print("ok: %d cases, %d benign, %d Dutch; %s" % (len(lines), benign, nl,
          ", ".join("%s=%d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
