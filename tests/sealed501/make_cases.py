#!/usr/bin/env python3
"""Build cases.jsonl for sealed set 501 (Dossierwacht Screening B.V.).

Deterministic: fixed seed, standard library plus PyYAML. Post texts are written
by hand; credentials and identifiers are generated the way real ones are built
(with their checksums where the format has one). Severities are never typed by
hand: they follow CONTRACT section 4 from the account role in profile.yaml.
The script self-checks its output and exits non-zero on any problem.
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

SEED = 501
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

rng = random.Random(SEED)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM
URLSAFE = ALNUM + "_-"


def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    if s.startswith("NL") and len(s) != 18:
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice("0123456789") for _ in range(10))
    r = bban + "NL00"
    n = int("".join(str(int(c, 36)) for c in r))
    v = f"NL{98 - n % 97:02d}{bban}"
    assert iban_valid(v)
    return v


def spaced(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


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


def make_card(prefix, length=16):
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for c in "0123456789":
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def grouped(card, sep=" "):
    return sep.join(card[i:i + 4] for i in range(0, len(card), 4))


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def make_bsn():
    while True:
        first = [rng.randint(1, 6)] + [rng.randint(0, 9) for _ in range(7)]
        c = sum(first[i] * (9 - i) for i in range(8)) % 11
        if c < 10:
            v = "".join(map(str, first)) + str(c)
            assert bsn_valid(v)
            return v


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def make_github(prefix="ghp_"):
    body = rs(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def make_jwt():
    head = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64u(json.dumps({"sub": "rec-4471", "tenant": "dossierwacht", "role": "recruiter_admin",
                            "iat": 1781251200, "exp": 1781337600}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_valid(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def make_ssh_key():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01"
           + bytes(rng.randrange(256) for _ in range(330)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---------------------------------------------------------------- generated values
G = {}
G["ghp"] = make_github("ghp_")
G["gho"] = make_github("gho_")
G["akia"] = "AKIA" + rs("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
G["aws_secret"] = rs(ALNUM + "/+", 40)
G["stripe"] = "sk_live_51" + rs(ALNUM, 14) + rs(ALNUM, 84)
G["slack"] = f"xoxb-{rng.randint(10**11, 10**12 - 1)}-{rng.randint(10**12, 10**13 - 1)}-{rs(ALNUM, 24)}"
G["openai"] = "sk-proj-" + rs(URLSAFE, 58) + "T3BlbkFJ" + rs(URLSAFE, 58)
G["anthropic"] = "sk-ant-api03-" + rs(URLSAFE, 93) + "AA"
G["glpat"] = "glpat-" + rs(URLSAFE, 20)
G["gapi"] = "AIza" + rs(URLSAFE, 35)
G["azure_key"] = base64.b64encode(bytes(rng.randrange(256) for _ in range(64))).decode()
G["jwt"] = make_jwt()
G["sshkey"] = make_ssh_key()
G["iban1"] = make_iban("INGB")
G["iban2"] = make_iban("ABNA")
G["iban3"] = make_iban("SNSB")
_bad = make_iban("RABO")
G["iban_bad"] = _bad[:-1] + str((int(_bad[-1]) + 3) % 10)
assert not iban_valid(G["iban_bad"])
G["card1"] = make_card("4", 16)
G["card2"] = make_card("52", 16)
_bc = make_card("4", 16)
G["card_bad"] = _bc[:-1] + str((int(_bc[-1]) + 4) % 10)
assert not luhn_valid(G["card_bad"])
G["bsn1"] = make_bsn()
G["bsn2"] = make_bsn()
G["bsn3"] = make_bsn()
_bb = make_bsn()
G["bsn_bad"] = _bb[:-1] + str((int(_bb[-1]) + 1) % 10)
assert not bsn_valid(G["bsn_bad"])


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


ZW = "\u200b"
CY_I, CY_O, CY_S, CY_A, CY_E = "\u0456", "\u043e", "\u0441", "\u0430", "\u0435"

# ---------------------------------------------------------------- cases
CASES = []


def add(platform, handle, text, cats, lang, kind="post", ts=None, price=None, hint=True):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=sorted(cats), lang=lang,
                      kind=kind, ts=ts, price=price, hint=hint))


CPL, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC, SECRET, PII, PRICE = ("leak.confidential", "leak.financial", "leak.security",
                                      "leak.secret", "leak.pii", "leak.pricing")

# ---- complaints (public) ------------------------------------------------------
add("x", "@wouter_zwolle",
    "@dossierwacht_help al 3 weken wacht ik op de uitslag van mijn screening. Mijn startdatum is maandag!! "
    "Niemand neemt op bij jullie. Serieus??", [CPL], "nl", kind="reply")
add("x", "@priya_codes",
    "3rd time uploading my passport to your portal because it \"expired\" my session halfway through. "
    "whoever built this has never actually used it @dossierwacht", [CPL], "en")
add("facebook", "Sharon.vd.Meulen",
    "Mijn nieuwe werkgever kreeg van Dossierwacht te horen dat ik een strafblad heb. Klopt helemaal niks van, "
    "het ging om iemand met dezelfde achternaam en hetzelfde geboortejaar. Nu zit ik 2 weken zonder baan tot het "
    "'rechtgezet' is. Dank je wel hoor.", [CPL], "nl", kind="comment")
add("linkedin", "hanneke-ottens-talent",
    "As a hiring manager I'm honestly done with Dossierwacht. Three candidates in a row stuck in \"pending "
    "reference\" for 10+ business days. We pay for the Plus Screening precisely so this doesn't happen. "
    "We'll be talking to other vendors next quarter.", [CPL], "en")
add("reddit", "u/fietsenmaker_88",
    "Ervaring met Dossierwacht? Moest voor mijn nieuwe baan bij een bank de FinScreen doen. Ze hebben zonder het "
    "te vragen mijn HUIDIGE werkgever gebeld voor een referentie. Ik had nog niet eens opgezegd. Lekker dan. "
    "Iemand anders dit ook meegemaakt?", [CPL], "nl")
add("instagram", "@lisa.kapsalon.breda",
    "Bellen naar het 0800 nummer ➡️ 45 min in de wacht ➡️ verbinding verbroken. Top service Dossierwacht 👏👏👏",
    [CPL], "nl", kind="comment")
add("threads", "@jonah.moves",
    "Dossierwacht rejected my right-to-work docs because the photo of my residence permit was \"too dark\". "
    "It was a scan. From the IND. come on", [CPL], "en")
add("x", "@tamara_vk",
    "Vraagje aan @dossierwacht_help: waarom betaal ik €39 voor jullie VOG-service als de aanvraag dan gewoon 4 weken "
    "blijft liggen? Had ik net zo goed zelf bij Justis kunnen doen", [CPL], "nl", price=("DW-VOG", 39.0))
add("reddit", "u/quietlyfurious_nl",
    "PSA if your employer uses Dossierwacht: READ the report they send. Mine listed a degree from the wrong "
    "university and a job I never had. Took six emails and a phone call to get it corrected.", [CPL], "en")
add("linkedin", "marjolein-de-graaf-hr",
    "Teleurgesteld in Dossierwacht. Onze nieuwe verpleegkundige kwam niet door de ZorgCheck omdat het BIG-register "
    "\"tijdelijk niet bereikbaar\" was. Twee weken later nog steeds geen uitslag en de afdeling draait onderbezet.",
    [CPL], "nl")
add("facebook", "Kevin.Oduya",
    "Got charged €89 for the Plus check that my new employer was supposed to pay for. Nobody at Dossierwacht can "
    "tell me why. I want my money back, simple as that.", [CPL], "en", price=("DW-PLS", 89.0))
add("mastodon", "@fenna@mastodon.nl",
    "De drugstest van Dossierwacht werd afgenomen in een rommelig kantoortje met de deur op een kier, mensen liepen "
    "gewoon langs. Voelde me echt vernederd.", [CPL], "nl")
add("x", "@joyce_ams",
    "Bij de vingerprik voor de drugstest van Dossierwacht pakte die medewerker een lancet uit een al open zakje. "
    "Nu is mijn vinger ontstoken en lag ik gisteren met koorts bij de huisartsenpost. Dit kan echt niet.",
    [CPL, CRI], "nl")
add("x", "@danny_r_uk",
    "Your self-service ID kiosk at the Utrecht office gave me an actual electric shock when I put my passport on "
    "the scanner. Hand was tingling for an hour. @dossierwacht_help someone's going to get hurt.",
    [CPL, CRI], "en")
add("facebook", "Anouk.Verbeek.76",
    "Mijn zoon (17) kreeg een allergische reactie op het wattenstaafje van jullie speekseltest, zijn lippen zwollen "
    "op en we hebben op de SEH gezeten. Niemand vroeg vooraf naar allergieën. Dossierwacht, wat gaan jullie hieraan "
    "doen?", [CPL, CRI], "nl")
add("reddit", "u/not_my_report",
    "Dossierwacht emailed my full screening report (address, ID copy, everything) to a completely different "
    "company. I only found out because their HR called me. That's a data breach and I'm reporting it to the AP.",
    [CPL, CRI], "en")
# complaint + abuse
add("x", "@sjaak_h",
    "Dossierwacht, stelletje incompetente prutsers. 4 weken voor een diplomacheck. Kunnen jullie überhaupt lezen?",
    [CPL, ABU], "nl")
# complaint + pii (customer exposes own phone)
add("x", "@merel_vos92",
    "@dossierwacht_help word al dagen niet teruggebeld over mijn screening (dossier DW-48213). Bel me gewoon: "
    "06-41873290. Ik ben het zat.", [CPL, PII], "nl", kind="reply")

# ---- crisis -------------------------------------------------------------------
add("x", "@infosec_henk",
    "Op een hackersforum wordt een dump aangeboden met 'screeningsdossiers van Dossierwacht', zogenaamd 200k "
    "records incl. paspoortscans. Als dit klopt is dit enorm. #datalek", [CRI], "nl")
add("x", "@solidarity_sam",
    "Boycott #Dossierwacht. Their \"social media screening\" flags union membership and Pride posts as risk "
    "factors. No employer should be buying this. RT", [CRI], "en")
add("linkedin", "ruben-arbeidsrecht",
    "FNV start een rechtszaak tegen Dossierwacht vanwege onrechtmatige kredietchecks bij sollicitanten voor "
    "magazijnbanen. De eerste zitting staat gepland voor oktober.", [CRI], "nl")
add("blog", "eindhovennieuws.example",
    "Local news: a lab technician at a Dossierwacht drug-testing location in Eindhoven was taken to hospital after "
    "a chemical spill on Tuesday. The site is closed pending an inspection by the labour inspectorate.",
    [CRI], "en")
add("x", "@journalist_ilse",
    "Oud-medewerkers vertellen dat Dossierwacht jarenlang screeningsrapporten 'afvinkte' zonder echt onderzoek te "
    "doen. Morgen het hele verhaal. Als dit klopt is het een schandaal van jewelste.", [CRI], "nl")
add("reddit", "u/candidate_0713",
    "Anyone else get the email from Dossierwacht about \"unauthorised access to a subset of candidate files\"? "
    "They're being super vague. What data? Whose? This is a breach, just say it.", [CRI], "en")
add("facebook", "Samira.Bouzid",
    "Uit onderzoek blijkt dat Dossierwacht kandidaten met een niet-Nederlandse achternaam vaker doorstuurt voor "
    "'extra controle'. Ik gebruik ze nooit meer en roep iedereen op hetzelfde te doen. #boycot #discriminatie",
    [CRI], "nl")
add("x", "@privacy_watch_nl",
    "The Dutch DPA has opened an investigation into Dossierwacht over keeping criminal-record data without a legal "
    "basis, per NOS this morning.", [CRI], "en")
add("linkedin", "stichting-eerlijk-screenen",
    "More than 300 job applicants are preparing a class action against Dossierwacht over incorrect \"adverse\" "
    "flags that cost them job offers. We're still collecting cases, DM us.", [CRI], "en")
add("x", "@gert_jan_010",
    "Collega vertelde dat bij de testlocatie van Dossierwacht in Rotterdam vanochtend iemand flauwviel na de "
    "bloedafname en met z'n hoofd op de tegelvloer klapte. Ambulance erbij, niemand die hem had opgevangen.",
    [CRI], "nl")
add("x", "@woedende_wim",
    "Dossierwacht lekt onze gegevens en zegt dan doodleuk 'sorry'. Stelletje criminelen, ik hoop dat jullie "
    "failliet gaan. #datalek", [CRI, ABU], "nl")

# ---- abuse --------------------------------------------------------------------
add("x", "@r0bbie_z",
    "@dossierwacht_help jullie zijn echt het grootste kutbedrijf van nederland. rot toch op", [ABU], "nl",
    kind="reply")
add("x", "@anon88231",
    "@mkuipers_dw you are a pathetic little snitch who ruins people's lives for a paycheck. hope you lose your job",
    [ABU], "en", kind="reply")
add("instagram", "@chantal_x_",
    "die Lotte van Dossierwacht is zo'n arrogante trut, wie denkt ze wel niet dat ze is 🙄", [ABU], "nl",
    kind="comment")
add("reddit", "u/realtalk_1974",
    "Dossierwacht's call centre is full of people who can't even speak proper Dutch. Send them all back to where "
    "they came from.", [ABU], "en")
add("x", "@h4ckerm4n",
    "d0ss1erw4cht = k4nk3rb3dr1jf. f*ck jull1e en je screen1ngs", [ABU], "nl", hint=False)
add("x", "@nina_p_",
    "Dossierwacht, jullie zijn echt k u t t e n. Allemaal. Van de receptie tot de directie.", [ABU], "nl")
add("x", "@grumpy_gav",
    f"Dossierwacht staff are a bunch of {CY_I}d{CY_I}{CY_O}ts. {CY_I}ncompetent fu{CY_S}ks the lot of them",
    [ABU], "en")
add("x", "@ruudscreent",
    "@jorisvdl misschien had je gewoon niet moeten liegen op je cv, sukkel. Huil maar lekker verder.", [ABU],
    "nl", kind="reply")
add("x", "@dossierwacht_help",
    "@pietje_b Doe effe normaal joh, zeikerd. Je dossier ligt er gewoon, wacht je beurt af.", [ABU], "nl",
    kind="reply")
add("x", "@notyourvictim_",
    "I know where the Dossierwacht office in Utrecht is. Keep ignoring me and see what happens, you bloody "
    "parasites.", [ABU], "en")

# ---- confidential -------------------------------------------------------------
add("linkedin", "lotte-hendriks-dossierwacht",
    "Trots op ons team! Project Zeearend gaat echt veranderen hoe we werkgevers bedienen. Meer mag ik nog niet "
    "zeggen 😉 #screening #innovatie", [CONF], "nl")
add("x", "@daan_devops",
    "late night again, Kwartelkoning sprint demo tomorrow and the matching engine still chokes on double "
    "surnames 😅", [CONF], "en")
add("instagram", "@dossierwacht.nl",
    "Binnenkort iets nieuws 👀 ScreenScore AI: een volledig risicoprofiel van je kandidaat binnen 5 minuten. "
    "Stay tuned!", [CONF], "nl")
add("linkedin", "youssef-bennani-dw",
    "Sharing a few slides from our new onboarding deck. Footer says \"alleen voor intern gebruik\" but honestly it's "
    "just good content 😂", [CONF], "en")
add("x", "@nadia_hr_nl",
    "kan iemand even kijken, https://jira.dw-intern.nl/browse/SCR-2231 laadt niet meer voor mij sinds de update",
    [CONF], "nl")
add("reddit", "u/doorgestuurd_pdf",
    "Iemand stuurde me een pdf met DW-VERTROUWELIJK in de kop: Dossierwacht gaat volgend jaar met 'Operatie "
    "Stormvogel' alle klanten naar een nieuw platform verhuizen. Weet iemand hier meer van?", [CONF], "nl")
add("x", "@mkuipers_dw", fullwidth("project zeearend") + " loopt als een trein 🔥🔥", [CONF], "nl")
add("x", "@ruudscreent", f"Kwartel{ZW}koning gaat live in maart, eindelijk!! 🥳", [CONF], "nl")
add("linkedin", "arjen-postma",
    "Mag ik al zeggen dat Dossierwacht Radar echt een gamechanger wordt voor continue screening? 🤫", [CONF], "nl")
add("linkedin", "dossierwacht",
    "DRAFT, do not publish before Thursday 08:00: \"Our full-year 2026 results show revenue of €61.3M, up 12%, "
    "and a record operating margin of 18%.\" @Lotte please check the quote from our CEO.", [CONF, FIN], "en",
    ts="2027-02-20T14:05:00Z")
add("x", "@nadia_hr_nl",
    "Jaarcijfers 2026 zien er goed uit hoor, donderdag meer 😏", [CONF, FIN], "nl", ts="2027-03-01T19:42:10Z")
add("x", "@daan_devops",
    "whoever named the staging box stg-db01.intranet.dossierwacht.local deserves a raise", [CONF], "en")
add("x", "@miekevdberg",
    "a friend at Dossierwacht says Kwartelkoning is their new AI that ranks candidates by 'integrity risk'. creepy",
    [CONF], "en")
add("linkedin", "youssef-bennani-dw",
    "Slide from today's all-hands (internal only - dossierwacht): \"Q3 priority: migrate all FinScreen clients "
    "before the summer\". Big quarter ahead!", [CONF], "en")
add("facebook", "DossierwachtScreening",
    "Intern: de nieuwe werkinstructie voor referentiechecks staat op "
    "https://intranet.dossierwacht.local/wiki/referenties - graag voor vrijdag doorlezen.", [CONF], "nl")
add("bluesky", "@kimvos.bsky.social",
    "Can't wait for people to see ScreenScore AI. The beta numbers are wild 🤯", [CONF], "en",
    ts="2027-01-18T21:03:44Z")

# ---- financial ----------------------------------------------------------------
add("linkedin", "arjen-postma",
    "Zware dag. Morgen wordt intern aangekondigd dat zo'n 60 collega's van het callcenter in Amersfoort hun baan "
    "verliezen. Eigenlijk mag ik dit nog niet zeggen, maar ik wil dat jullie weten dat ik aan jullie denk.",
    [FIN], "nl")
add("x", "@daan_devops",
    "lol our Q3 revenue came in at 14.2M, 9% under budget, and management still wants pizza friday 🍕", [FIN], "en")
add("x", "@mkuipers_dw",
    "Gerucht is geen gerucht meer: we worden overgenomen door een Amerikaanse screeningsgigant. Eind van de maand "
    "wordt er getekend.", [FIN], "nl")
add("linkedin", "dossierwacht",
    "Internal forecast 2027: EBITDA margin drops to 11% after losing two public-sector contracts. Please keep this "
    "within the leadership team until the board meeting.", [FIN], "en")
add("reddit", "u/zwagerweetalles",
    "Via mijn zwager die bij Dossierwacht werkt: de hele afdeling internationale screening gaat naar Polen. De "
    "reorganisatie wordt in januari bekendgemaakt.", [FIN], "nl")
add("linkedin", "youssef-bennani-dw",
    "Between us: the board signed off on buying a small Belgian screening firm for ~€8M. Announcement after the "
    "summer, so act surprised 😉", [FIN], "en")
add("x", "@ruudscreent",
    "Omzet H1 zit 23% boven vorig jaar terwijl de analisten op vlak rekenden. Niet verder vertellen 🤐", [FIN], "nl")
add("mastodon", "@bram_dekker",
    "heard in the lift today: they're cutting 1 in 5 jobs in IT once the migration is done. merry christmas I guess",
    [FIN], "en")
add("x", "@dossierwacht",
    "Let op: de winstwaarschuwing gaat pas dinsdag naar buiten. Tot die tijd niks delen aub, ook niet met klanten.",
    [FIN], "nl")
add("x", "@tomdebelegger",
    "My cousin in Dossierwacht's finance team says they're about to lose the Rijksoverheid contract, about 30% of "
    "revenue. Sell their bonds if you hold any lol", [FIN], "en")

# ---- security -----------------------------------------------------------------
add("x", "@daan_devops",
    "Portaal ligt sinds 6 uur vanochtend plat, het databasecluster is gecrasht en de backups van vannacht blijken "
    "corrupt. Klanten weten nog van niks 😬", [SEC], "nl")
add("x", "@mkuipers_dw",
    "so apparently anyone could download other candidates' reports just by changing the id in the portal URL. "
    "found it today. yes it's still live. yes I told my manager.", [SEC], "en")
add("linkedin", "arjen-postma",
    "Vannacht zijn onze fileservers getroffen door ransomware. Alle hens aan dek, de politie is ingeschakeld. "
    "Externe communicatie volgt later, dus nog even stil houden aub.", [SEC], "nl")
add("mastodon", "@bram_dekker",
    "fun times: our SSO has been letting people log in without MFA for three weeks because of a misconfigured "
    "conditional access policy. patching now, don't tell anyone 🙃", [SEC], "en")
add("facebook", "DossierwachtScreening",
    "Collega's: de phishingmail van maandag is helaas gelukt, 3 recruiteraccounts zijn overgenomen. Wijzig vandaag "
    "je wachtwoord. Niet extern delen!", [SEC], "nl")
add("x", "@daan_devops",
    "our screening API has been returning other tenants' results on some requests since Friday's deploy. rollback "
    "keeps failing. pray for me", [SEC], "en")
add("x", "@nadia_hr_nl",
    "De koppeling met het BIG-register ligt er al dagen uit en we keuren ZorgChecks nu handmatig goed zonder echte "
    "controle. Dit gaat een keer mis.", [SEC], "nl")
add("reddit", "u/throwaway_dw_ops",
    "Throwaway because I work at Dossierwacht. There's an unpatched Citrix gateway everyone knows about and nobody "
    "fixes. It's been exposed since March.", [SEC], "en")
add("x", "@daan_devops",
    "vpn.dossierwacht.nl has been down for 4 hours, the cert expired and nobody can find the private key. "
    "everyone working from the office like it's 2019", [SEC, CONF], "en")
add("x", "@ruudscreent",
    "Help, heb per ongeluk de productie-DB string in een publieke repo gepusht: "
    "postgresql://dw_app:Zomer2026!Kaas@db-prod-01.intranet.dossierwacht.local:5432/screening wie kan 'm roteren??",
    [SEC, SECRET, CONF], "nl")
add("linkedin", "lotte-hendriks-dossierwacht",
    "Day 3 of the incident. The attackers were in our Azure tenant for at least two weeks and took an unknown "
    "number of candidate files. Legal says no statement until next week, so I'll just say: hug your IT team.",
    [SEC], "en")
add("x", "@mkuipers_dw", "we zijn g.e.h.a.c.k.t 😶 zeg nog niks tegen klanten", [SEC], "nl")
add("bluesky", "@kimvos.bsky.social",
    "Pen test report came back: 4 critical findings on the employer portal, incl. stored XSS in the candidate "
    "notes field. Release still going ahead Monday 🤷", [SEC], "en")

# ---- secrets ------------------------------------------------------------------
add("x", "@daan_devops",
    f"can someone check why CI fails with this token? {G['ghp']} it has repo scope afaik", [SECRET], "en")
add("mastodon", "@bram_dekker",
    f"Iemand die weet waarom deze keys geen toegang hebben tot de S3 bucket?\n"
    f"aws_access_key_id = {G['akia']}\naws_secret_access_key = {G['aws_secret']}", [SECRET], "nl")
add("x", "@mkuipers_dw",
    f"testing the payment webhook, live key is {G['stripe']} (ignore, will rotate)", [SECRET], "en")
add("x", "@ruudscreent",
    f"onze slackbot doet raar, token {G['slack']} , iemand een idee?", [SECRET], "nl")
add("bluesky", "@kimvos.bsky.social",
    f"OPENAI_API_KEY={G['openai']} finally works for the CV parser 🎉", [SECRET], "en")
add("forum", "bram_dekker",
    f"Kan iemand zien wat er mis is met deze sleutel? ssh weigert 'm steeds met 'invalid format'\n\n{G['sshkey']}",
    [SECRET], "nl")
add("x", "@daan_devops",
    f"why does the portal reject this jwt?? {G['jwt']} exp looks fine to me", [SECRET], "en")
add("facebook", "DossierwachtScreening",
    "Voor het gedeelde recruitersaccount op het portaal: gebruikersnaam recruit-team, wachtwoord: Dw!Portaal#2026 "
    "- niet verder sturen 🙏", [SECRET], "nl")
add("x", "@nadia_hr_nl",
    f"claude key voor de samenvattingstool: {G['anthropic']} niet misbruiken he 😇", [SECRET], "nl")
add("reddit", "u/repo_snooper",
    f"Vond dit in een publieke GitHub-repo van een Dossierwacht-developer: {G['glpat']} (gitlab token) en ja, hij "
    "werkt nog. Iemand daar moet wakker worden.", [SECRET], "nl")
add("x", "@mkuipers_dw",
    f"maps widget on the locations page broken again. key {G['gapi']} is restricted to... what exactly?",
    [SECRET], "en")
add("x", "@daan_devops",
    "deploy faalt, iemand een idee? DefaultEndpointsProtocol=https;AccountName=dwscreenprod;"
    f"AccountKey={G['azure_key']};EndpointSuffix=core.windows.net", [SECRET], "nl")

# ---- personal data ------------------------------------------------------------
add("x", "@nadia_hr_nl",
    "Kandidaat Jeroen Smit (geb. 14-03-1988) heeft nog steeds geen ID geüpload, iemand die 'm kent? 😅", [PII], "nl")
add("linkedin", "youssef-bennani-dw",
    "Please reach out to our candidate directly: sandra.mulder84@gmail.com / +31 6 2841 7730, she's still waiting "
    "on her reference check.", [PII], "en")
add("facebook", "DossierwachtScreening",
    f"Wie herkent dit? We ontvingen een betaling van {spaced(G['iban1'])} zonder kenmerk. Graag even contact "
    "opnemen zodat we 'm aan het juiste dossier kunnen koppelen.", [PII], "nl")
add("x", "@ruudscreent",
    f"weet iemand of dit bsn klopt? {G['bsn1']} systeem zegt ongeldig maar volgens mij is ie goed", [PII], "nl")
add("x", "@mkuipers_dw",
    f"candidate paid for her own Plus check with card {grouped(G['card1'])} and it got charged twice, refund pls "
    "@finance", [PII], "en")
add("x", "@stefan_030",
    f"@dossierwacht_help mijn BSN is {G['bsn2'][:4]}.{G['bsn2'][4:6]}.{G['bsn2'][6:]} en mijn geboortedatum 02-11-1995, "
    "kunnen jullie nu EINDELIJK mijn screening afronden??", [PII, CPL], "nl", kind="reply")
add("facebook", "Mark.deWit.Utr",
    "Dossierwacht lost my paperwork AGAIN so here's my address for the 3rd time: Mark de Wit, Kastanjelaan 17, "
    "3581 AB Utrecht. Happy now?", [PII, CPL], "en", kind="comment")
add("linkedin", "lotte-hendriks-dossierwacht",
    "Dossiercheck: Ahmed El Idrissi, Lindelaan 8, 2512 CK Den Haag - VOG afgewezen. Wie pakt dit vandaag op?",
    [PII], "nl")
add("x", "@mkuipers_dw",
    "candidate not answering, tried 06-18273645 and (010) 412 3987 all morning. anyone got another number?",
    [PII], "en")
add("x", "@dossierwacht_help",
    f"@kimberly_jansen we have your IBAN {G['iban2']} on file for the refund, can you confirm that's still correct?",
    [PII], "en", kind="reply")
add("reddit", "u/verkeerde_envelop",
    f"Dossierwacht stuurde mij per ongeluk het rapport van iemand anders: Fleur Dijkstra, geboren 7 juni 1991, "
    f"BSN {G['bsn3']}. Wat moet ik hier nou mee?? Dit is toch gewoon een datalek", [PII, CRI], "nl")
add("x", "@ruudscreent",
    "wie heeft het mailadres van die kandidaat voor de nachtdienst? oh laat maar, gevonden: r.vanleeuwen@hotmail.com",
    [PII], "nl")
add("x", "@cryptochris_",
    f"@dossierwacht_help your payment page keeps failing, I've typed my card {grouped(G['card2'], '-')} exp 09/28 "
    "five times now", [PII, CPL], "en", kind="reply")
add("linkedin", "arjen-postma",
    "Voor vragen over de screening van de nieuwe buschauffeurs kun je Marloes bellen op haar privénummer "
    "0031 6 55 12 34 98 (liefst na 17:00).", [PII], "nl")

# ---- pricing ------------------------------------------------------------------
add("x", "@dossierwacht",
    "Alleen vandaag: de Executive Screening voor €39 i.p.v. €395! Op = op 🚀", [PRICE], "nl",
    price=("DW-EXE", 39.0))
add("x", "@hr_hacks_eu",
    "is this a price error? Dossierwacht's site shows the Screening API annual licence at €48 instead of €4,800 😳 "
    "ordering before they notice", [PRICE], "en", price=("DW-API", 48.0))
add("x", "@nadia_hr_nl",
    "Oeps, in de webshop staat het MKB Pakket voor €49,90. Dat moet €499 zijn toch? Iemand van marketing?",
    [PRICE], "nl", price=("DW-MKB", 49.90))
add("reddit", "u/dealjager",
    "Prijsfout bij Dossierwacht? Internationale Screening (GlobalCheck) voor 24,90. Snel zijn!", [PRICE], "nl",
    price=("DW-INT", 24.90))
add("linkedin", "dossierwacht",
    "New-year deal: DW Monitor continuous screening for just €120/year. Sign up before 31 January!", [PRICE], "en",
    price=("DW-MON", 120.0))
add("x", "@daan_devops",
    "our Integriteitsonderzoek is showing €65 on the site 🙈 someone dropped a zero", [PRICE], "en",
    price=("DW-INO", 65.0))
add("x", "@budgetbureau",
    "lol FinScreen voor 17 euro, dat zal wel een foutje zijn bij @dossierwacht", [PRICE], "nl",
    price=("DW-FIN", 17.0))
add("instagram", "@dossierwacht.nl",
    "🔥 BLACK FRIDAY 🔥 Werkgeversportaal licentie nu voor €240 per jaar! Link in bio", [PRICE], "nl",
    price=("DW-PRT", 240.0))
add("facebook", "Pieter.Startup",
    "Just ordered 10 Executive Screenings at €3.95 each on Dossierwacht's website. Pretty sure that's a mistake "
    "but the payment went through 🤷", [PRICE], "en", price=("DW-EXE", 3.95))
add("linkedin", "lotte-hendriks-dossierwacht",
    "Collega's: de Social Media Screening staat sinds vanochtend op €6,50 in de checkout. Graag niet delen tot het "
    "gefixt is.", [PRICE], "nl", price=("DW-SOC", 6.50))
add("x", "@teun_koopt",
    "Dossierwacht's Drugstest listed at €7.90 lmao price glitch", [PRICE], "en", price=("DW-DRG", 7.90))
add("mastodon", "@koopjes@toot.community",
    "prijsfout: Referentiecheck bij Dossierwacht voor €4,50 (normaal 45). gauw bestellen", [PRICE], "nl",
    price=("DW-REF", 4.50))

# ---- benign / hard negatives --------------------------------------------------
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]
add("x", "@dossierwacht",
    "Welkom aan onze 12 nieuwe screeningsspecialisten in Utrecht! 🎉 Fijn dat jullie er zijn. #werkenbij", [], "nl")
add("x", "@dossierwacht_help",
    "Questions about your screening? Email klantcontact@dossierwacht.nl or call 0800-3767 (free, Mon-Fri 8-18).",
    [], "en")
add("facebook", "DossierwachtScreening",
    f"Betalen per overschrijving? Dat kan op {spaced(PUB_IBAN)} t.n.v. Dossierwacht Screening B.V. o.v.v. je "
    "dossiernummer.", [], "nl")
add("x", "@lena_starts_monday",
    "Shoutout to the Dossierwacht support team, my right-to-work check was done in under an hour. Impressive.",
    [], "en")
add("x", "@sophie_lacht",
    "mijn grootste datalek is nog steeds mijn moeder die op elke verjaardag vertelt wat ik verdien 😂", [], "nl")
add("linkedin", "cfo-insights-nl",
    "Big breach at a UK payroll provider this week, 2M records exposed. Good moment to ask your own HR vendors for "
    "their ISO 27001 certificate.", [], "en")
add("x", "@dossierwacht",
    "Deze maand 20% korting op de Referentiecheck: €36 in plaats van €45. Geldig t/m 30 juni.", [], "nl",
    price=("DW-REF", 36.0))
add("linkedin", "dossierwacht",
    "Our Basis Screening costs €49 per candidate, identity check included. No setup fees, no hidden costs.", [],
    "en", price=("DW-BAS", 49.0))
add("reddit", "u/newjob_jitters",
    "Does anyone know how long a Dossierwacht Executive Screening usually takes? Starting a new role in January "
    "and HR says it has to be done first.", [], "en")
add("x", "@daan_devops",
    "Hackathon reminder: never commit real keys. Our docs use AKIAIOSFODNN7EXAMPLE / "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as placeholders, copy that pattern.", [], "en")
add("x", "@ruudscreent",
    "token in de CI-logs was gelukkig al gemaskeerd: ghp_**************************** 👍 goed werk platformteam",
    [], "nl")
add("x", "@twijfelaar_tim",
    f"Klopt dit IBAN wel? {G['iban_bad']} - volgens mijn bank-app niet, denk dat ik een typfout heb gemaakt bij het "
    "overnemen van de factuur", [], "nl")
add("linkedin", "youssef-bennani-dw",
    f"Fun fact from our fraud training: {grouped(G['card_bad'])} looks like a card number but fails the Luhn check, "
    "so the portal rejects it instantly.", [], "en")
add("x", "@bram_trainer",
    "Voorbeeld uit onze cursus: BSN 123456789 is geen geldig nummer, het faalt de elfproef. Handig om mee te "
    "oefenen.", [], "nl")
add("x", "@dossierwacht",
    "Vandaag publiceren we onze jaarcijfers 2026: omzet €61,3 miljoen (+12%). Het volledige persbericht staat op "
    "dossierwacht.nl/pers", [], "nl", ts="2027-03-04T08:30:00Z")
add("linkedin", "dossierwacht",
    "ScreenScore AI is live! 🚀 From today available for all Plus and Executive customers. Read more on "
    "www.dossierwacht.nl", [], "en", ts="2027-05-12T10:15:00Z")
add("linkedin", "lotte-hendriks-dossierwacht",
    "Zo trots op het team achter Dossierwacht Radar, vorige week gelanceerd en nu al 40 klanten 💙", [], "nl",
    ts="2027-05-20T07:50:00Z")
add("x", "@sharonvdm",
    "Update: Dossierwacht heeft de fout in mijn rapport binnen een dag gecorrigeerd en excuses aangeboden. Netjes "
    "opgelost 👍", [], "nl")
add("x", "@carehr_anna",
    "Thinking of the Dossierwacht helpdesk staff taking all the calls this week. Most of you are doing your best "
    "and it shows 💛", [], "en")
add("x", "@vraagbaak_vera",
    "Moet ik voor een VOG nou zelf naar Justis of regelt Dossierwacht dat voor me? Iemand ervaring?", [], "nl")
add("linkedin", "arjen-postma",
    "Vacature! We zoeken een security engineer die onze pentests en red-team oefeningen mee vormgeeft. Solliciteer "
    "via werkenbij@dossierwacht.nl", [], "nl")
add("x", "@gdpr_geek",
    "Dossierwacht's onboarding video is a killer, honestly the best GDPR explainer I've seen 😂", [], "en")
add("x", "@moe_na_gesprek",
    "Ik ben kapot na 3 sollicitatiegesprekken vandaag. Gelukkig was de screening via Dossierwacht een eitje", [],
    "nl")
add("x", "@dossierwacht_help",
    "Scheduled maintenance: the employer portal will be unavailable Sunday 02:00-04:00 CET. Updates on "
    "status.dossierwacht.nl", [], "en")
add("linkedin", "kimvos-security",
    "5 signs a 'recruiter' mail is phishing: urgency, a link to a login page, a weird sender domain, attachments "
    "you didn't expect, and requests for your BSN. Stay safe out there.", [], "en")
add("threads", "@dossierwacht.nl",
    "Wij zijn gecertificeerd volgens ISO 27001 en NEN 7510. Jouw gegevens zijn bij ons in goede handen 🔒", [], "nl")
add("x", "@freek_ict",
    "€89 voor een Plus Screening vind ik eerlijk gezegd prima, als het maar snel gaat", [], "nl",
    price=("DW-PLS", 89.0))
add("reddit", "u/smallbiz_ellen",
    "Dossierwacht has 25% off the MKB Pakket this week (€374 instead of €499). Worth it for a 12-person team?", [],
    "en", price=("DW-MKB", 374.0))
add("x", "@mkuipers_dw",
    "Vanochtend een zeearend gezien boven de Oostvaardersplassen 🦅 wat een beest", [], "nl")
add("x", "@jelle_leest",
    "Net 'De Stormvogel' uitgelezen, wat een boek. Aanrader voor de kerstvakantie 📚", [], "nl")
add("x", "@safe_online_nl",
    "Kleine PSA: zet nooit je BSN of IBAN online, oplichters smullen ervan. Dossierwacht vraagt daar ook nooit om "
    "via DM.", [], "nl")
add("instagram", "@dossierwacht.nl",
    "Vragen over privacy of je dossier inzien? Mail privacy@dossierwacht.nl of bel +31 30 760 4400 📞", [], "nl")
add("linkedin", "youssef-bennani-dw",
    "Happy to share that I'm starting a new position as Data Analyst at Dossierwacht! 🎉", [], "en")
add("x", "@oma_truus",
    "Tip van mijn kleinzoon: zet je wachtwoord nooit in een mailtje. Ook niet naar je screeningsbureau. Goed he!",
    [], "nl")
add("x", "@nadia_hr_nl",
    "Reminder van IT: in de resetmail staat 'wachtwoord: <kies je eigen>'. Niemand van ons vraagt er ooit om.", [],
    "nl")
add("x", "@ben_nervous",
    "Expected a nightmare with the background check but Dossierwacht was quick and friendly. No complaints at all!",
    [], "en")
add("x", "@sandra_gym",
    "Wat kost een drugstest bij Dossierwacht eigenlijk? Zie €79 staan, is dat per persoon?", [], "nl",
    price=("DW-DRG", 79.0))
add("linkedin", "dossierwacht",
    "We've seen the news about the breach at another HR platform. Dossierwacht customers are not affected. "
    "Questions from press: pers@dossierwacht.nl", [], "en")
add("facebook", "Henk.Amersfoort",
    "Sterkte aan de buren van Dossierwacht in Amersfoort na de brand in het bedrijfspand naast hen. Gelukkig is "
    "niemand gewond geraakt.", [], "nl")
add("mastodon", "@devrel_marco",
    "From my JWT talk: a token like eyJhbGciOi...<payload>.<signature> is just base64, not encryption. Never put "
    "secrets in the payload.", [], "en")
add("linkedin", "lotte-hendriks-dossierwacht",
    "Onze jaarlijkse pentest is afgerond en alle bevindingen zijn opgelost. Het samenvattende rapport staat op "
    "onze trust-pagina.", [], "nl")
add("x", "@secadvice",
    "GitHub classic tokens start with ghp_ - if you ever spot one in a public repo, tell the owner and they can "
    "revoke it.", [], "en")
add("x", "@studentmila",
    "Diplomaverificatie bij Dossierwacht: €29 en binnen 2 dagen klaar. Prima toch?", [], "nl",
    price=("DW-DIP", 29.0))
add("linkedin", "dossierwacht",
    "Our 2027 prices: Basis Screening €49, Plus Screening €89, Executive Screening €395. Same as 2026, no "
    "surprises.", [], "en", price=("DW-EXE", 395.0))
add("x", "@daan_devops",
    "We're hiring: junior backend dev (Python/Go) in Utrecht. Know someone good? DM me 🙌", [], "en")
add("x", "@dossierwacht_help",
    "Storing opgelost ✅ Het portaal is weer bereikbaar. Excuses voor het ongemak vanochtend.", [], "nl")
add("x", "@olaf_b",
    "Called 0800-3767 this morning and was through in 2 minutes. Sorted, thanks Dossierwacht", [], "en")
add("x", "@studentenhuis_ut",
    "10% studentenkorting op de IDScan, nu €10,80. Leuk gedaan Dossierwacht", [], "nl",
    price=("DW-IDS", 10.80))
add("instagram", "@inge.werkt",
    "Zondag de Dam tot Damloop gerend met een hele club collega's van Dossierwacht 🏃‍♀️💪 volgend jaar weer!", [],
    "nl")
add("x", "@plumber_pete",
    "My tap has a leak and now the plumbing company wants a background check on ME before they send someone lol",
    [], "en")
add("instagram", "@inge.werkt",
    "Het enige schandaal vandaag: de koffieautomaat op kantoor is stuk ☕😭 #maandag", [], "nl")
add("reddit", "u/hr_lead_rotterdam",
    "Has anyone compared Dossierwacht's Plus Screening to doing the checks in-house? Costs look roughly the same "
    "for us.", [], "en")
add("x", "@dossierwacht",
    "Save the date: op 4 maart 2027 publiceren we onze resultaten over het afgelopen jaar. Live webcast om 10:00.",
    [], "nl", ts="2026-12-15T11:00:00Z")
add("x", "@dossierwacht_help",
    "@wouter_zwolle Vervelend om te lezen! Stuur je dossiernummer even via DM, dan zoeken we het vandaag nog uit. "
    "^Sanne", [], "nl", kind="reply")
add("x", "@dossierwacht_help",
    "@priya_codes Sorry about that. We fixed the session timeout on the upload page this morning, could you give "
    "it another try? ^Tom", [], "en", kind="reply")
add("linkedin", "hanneke-ottens-talent",
    "Die nieuwe collega van Dossierwacht is echt een beest in Excel, onze hele rapportage is in een middag "
    "omgebouwd 😂", [], "nl")
add("tiktok", "@dossierwacht",
    "POV: je eerste werkdag en je screening was al binnen 24 uur rond ✅ #werkenbij #screening", [], "nl")
add("x", "@boekhouder_bas",
    "Factuur van Dossierwacht netjes betaald naar hun rekening, kenmerk erbij. Waarom kan niet elke leverancier zo "
    "duidelijke facturen sturen", [], "nl")
add("x", "@jobcoach_ria",
    "Tip voor sollicitanten: vraag altijd wat er in je screeningsrapport staat. Bij Dossierwacht kan dat gewoon "
    "via het portaal, gratis.", [], "nl")
add("reddit", "u/dev_in_nl",
    "Setting up a test env for a client that uses Dossierwacht's Screening API. The sandbox uses sk_test_ keys, "
    "docs show sk_test_xxxxxxxxxxxxxxxx as the format. Straightforward.", [], "en")

# ---------------------------------------------------------------- build
LEVELS = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def norm_digits_phone(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and len(d) == 11:
        d = "0" + d[2:]
    return d


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}
PUBLIC_PHONES = {norm_digits_phone(p) for p in PROFILE["public_identifiers"]["phones"]}
PUBLIC_EMAILS = {e.lower() for e in PROFILE["public_identifiers"]["emails"]}

RE_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
RE_CARD = re.compile(r"(?<![\w+-])[1-9](?:[ -]?\d){12,18}(?![\w-])")
RE_BSN = re.compile(r"(?<![\w.-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w-]|\.\d)")
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_PHONE = re.compile(r"(?<![\w-])(?:\+31|0031|0)[\d ()-]{7,16}\d")
RE_GH = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
RE_AWS = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
RE_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
SECRET_PATTERNS = [
    RE_GH, RE_AWS, RE_JWT,
    re.compile(r"\bsk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"\bxox[abp]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"\bsk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bsk-ant-api\d\d-[A-Za-z0-9_-]{40,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b"),
    re.compile(r"\bAIza[A-Za-z0-9_-]{35}"),
    re.compile(r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b[a-z]+(?:ql)?://[^\s:/@]+:[^\s@]+@[\w.-]+"),
    re.compile(r"(?i)\b(?:wachtwoord|password|passwd)\s*[:=]\s*[^\s*<]{6,}"),
]


def clean(text):
    t = unicodedata.normalize("NFKC", text)
    return t.replace(ZW, "").lower()


def checksum_ids(text):
    """(valid, invalid) checksummed identifiers found in text, the company's own excluded."""
    valid, invalid = [], []
    for m in RE_IBAN.finditer(text):
        v = re.sub(r"\s", "", m.group())
        if v in PUBLIC_IBANS:
            continue
        (valid if iban_valid(v) else invalid).append(("iban", v))
    for m in RE_CARD.finditer(text):
        (valid if luhn_valid(m.group()) else invalid).append(("card", m.group()))
    for m in RE_BSN.finditer(text):
        (valid if bsn_valid(m.group()) else invalid).append(("bsn", m.group()))
    return valid, invalid


def severity(role, cats, text):
    lv = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = 3
                if c in ("leak.secret", "leak.pricing"):
                    s = 4
                if c == "leak.pii" and checksum_ids(text)[0]:
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
    return LEVELS[lv]


PREFIX = {"x": "x", "linkedin": "li", "facebook": "fb", "instagram": "ig", "reddit": "rd", "mastodon": "md",
          "bluesky": "bs", "tiktok": "tt", "threads": "th", "forum": "fo", "blog": "bl"}
T0 = datetime(2026, 1, 2, tzinfo=timezone.utc)
T_SPAN = int((datetime(2026, 12, 31, 22, tzinfo=timezone.utc) - T0).total_seconds())


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    used = set()
    for n, i in enumerate(order):
        c = CASES[i]
        ts = c["ts"] or (T0 + timedelta(seconds=rng.randrange(T_SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{PREFIX[c['platform']]}-{rng.randrange(10**9, 10**10)}"
            if pid not in used:
                used.add(pid)
                break
        role = role_of(c["platform"], c["handle"])
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": c["text"], "created_at": ts}
        if c["hint"] and rng.random() < 0.8:
            post["lang"] = c["lang"]
        if rng.random() < 0.5:
            post["brand"] = "Dossierwacht"
        if c["platform"] in ("x", "reddit", "mastodon", "bluesky") and rng.random() < 0.4:
            post["url"] = f"https://social.example/{c['platform']}/{pid}"
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": severity(role, c["cats"], c["text"])},
                    "_meta": c})
    return out


# ---------------------------------------------------------------- self-check
def check(rows):
    errs = []
    prods = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    allowed_cats = {CPL, CRI, ABU, CONF, FIN, SEC, SECRET, PII, PRICE}
    # profile checks
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errs.append(f"profile IBAN {ib} fails mod-97")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errs.append("profile: too few accounts")
    if not 15 <= len(PROFILE["products"]) <= 25:
        errs.append("profile: product count")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    ids = set()
    for r in rows:
        p, e, m = r["post"], r["expect"], r["_meta"]
        tag = p["id"] + " " + p["text"][:40]
        line = json.dumps({"post": p, "expect": e}, ensure_ascii=False)
        back = json.loads(line)
        # CONTRACT section 6 / section 1 shape
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(back["post"].get(f), str) or not back["post"][f]:
                errs.append(f"{tag}: missing {f}")
        if not isinstance(back["post"].get("account", {}).get("handle"), str):
            errs.append(f"{tag}: missing account.handle")
        if not 1 <= len(p["id"]) <= 256 or p["id"] in ids:
            errs.append(f"{tag}: bad/duplicate id")
        ids.add(p["id"])
        if p["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errs.append(f"{tag}: kind")
        if p["platform"] not in PREFIX:
            errs.append(f"{tag}: platform")
        if len(p["text"].encode("utf-8")) > 65536:
            errs.append(f"{tag}: too long")
        try:
            datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            errs.append(f"{tag}: created_at")
        if not p["created_at"].startswith(("2026", "2027")):
            errs.append(f"{tag}: year")
        if e["categories"] != sorted(set(e["categories"])) or not set(e["categories"]) <= allowed_cats:
            errs.append(f"{tag}: categories")
        if e["severity"] not in LEVELS:
            errs.append(f"{tag}: severity")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        if e["categories"] and e["severity"] in ("none", "info"):
            errs.append(f"{tag}: positive with no severity")
        text, cats, role = p["text"], set(e["categories"]), role_of(p["platform"], p["account"]["handle"])
        benign = not cats
        # checksummed identifiers
        valid, invalid = checksum_ids(text)
        if benign and valid:
            errs.append(f"{tag}: benign contains valid identifier {valid}")
        if not benign and invalid:
            errs.append(f"{tag}: positive contains failing identifier {invalid}")
        if valid and PII not in cats:
            errs.append(f"{tag}: valid identifier but no leak.pii")
        # credentials
        for mt in RE_GH.finditer(text):
            ok = github_valid(mt.group())
            if benign or not ok:
                errs.append(f"{tag}: github token check (benign={benign}, crc ok={ok})")
        for mt in RE_AWS.finditer(text):
            if benign and not mt.group().endswith("EXAMPLE"):
                errs.append(f"{tag}: real-looking AWS key in benign")
            if not benign and "EXAMPLE" in mt.group():
                errs.append(f"{tag}: sample AWS key in positive")
        for mt in RE_JWT.finditer(text):
            if benign or not jwt_valid(mt.group()):
                errs.append(f"{tag}: jwt check")
        has_secret = any(pt.search(text) for pt in SECRET_PATTERNS
                         if not (pt is RE_AWS and "EXAMPLE" in text))
        if SECRET in cats and not has_secret:
            errs.append(f"{tag}: leak.secret without a credential")
        if benign and has_secret:
            errs.append(f"{tag}: benign contains a credential")
        # personal contact data in benign posts: only the company's own
        if benign:
            for mt in RE_EMAIL.finditer(text):
                if mt.group().lower() not in PUBLIC_EMAILS:
                    errs.append(f"{tag}: benign has foreign e-mail {mt.group()}")
            iban_spans = [x.span() for x in RE_IBAN.finditer(text)]
            for mt in RE_PHONE.finditer(text):
                if any(a <= mt.start() < b for a, b in iban_spans):
                    continue
                if len(re.sub(r"\D", "", mt.group())) >= 9 and norm_digits_phone(mt.group()) not in PUBLIC_PHONES:
                    errs.append(f"{tag}: benign has foreign phone {mt.group()}")
        # internal terms and embargo
        ct = clean(text)
        if benign and any(t in ct for t in internal_terms):
            errs.append(f"{tag}: benign contains an internal term")
        for emb in PROFILE["embargo"]:
            until = emb["until"]
            for term in emb["terms"]:
                if term.lower() in ct:
                    before = p["created_at"] < until.replace("+00:00", "Z")
                    if before and CONF not in cats:
                        errs.append(f"{tag}: embargo term before until without leak.confidential")
                    if not before and benign is False and CONF in cats and not any(
                            t in ct for t in internal_terms):
                        errs.append(f"{tag}: embargo term after until labelled confidential")
        # pricing
        if m["price"]:
            sku, val = m["price"]
            lp = prods[sku]["list_price"]
            names = [prods[sku]["name"]] + prods[sku]["aliases"]
            if not any(n.lower() in text.lower() for n in names):
                errs.append(f"{tag}: price case does not name product {sku}")
            if PRICE in cats and not val < ratio * lp:
                errs.append(f"{tag}: pricing positive not below ratio")
            if PRICE not in cats and val < 0.7 * lp:
                errs.append(f"{tag}: non-pricing post with a low price")
        if PRICE in cats and not m["price"]:
            errs.append(f"{tag}: pricing case without price metadata")
        # severity recomputed from role
        if e["severity"] != severity(role, e["categories"], text):
            errs.append(f"{tag}: severity mismatch")
    # mix
    n = len(rows)
    nb = sum(1 for r in rows if not r["expect"]["categories"])
    if not 170 <= n <= 180:
        errs.append(f"case count {n} outside 170-180")
    if not 52 <= nb <= 68:
        errs.append(f"benign count {nb} not about 60")
    return errs


def stats(rows):
    from collections import Counter
    cc = Counter(c for r in rows for c in r["expect"]["categories"])
    langs = Counter(r["_meta"]["lang"] for r in rows)
    roles = Counter((role_of(r["post"]["platform"], r["post"]["account"]["handle"]),
                     bool(r["expect"]["categories"])) for r in rows)
    sev = Counter(r["expect"]["severity"] for r in rows)
    return cc, langs, roles, sev


def main():
    rows = build()
    errs = check(rows)
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    # re-read the written file and check it parses back to the same cases
    with open(OUT, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    if [l["post"]["id"] for l in lines] != [r["post"]["id"] for r in rows]:
        errs.append("written file differs")
    cc, langs, roles, sev = stats(rows)
    nb = sum(1 for r in rows if not r["expect"]["categories"])
    print(f"{len(rows)} cases, {nb} benign")
    print("categories:", dict(sorted(cc.items())))
    print("languages:", dict(langs))
    print("roles (role, positive):", dict(roles))
    print("severities:", dict(sev))
    if errs:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for e in errs:
            print("  " + e, file=sys.stderr)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
