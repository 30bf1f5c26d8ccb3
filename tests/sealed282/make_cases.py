#!/usr/bin/env python3
"""Build the sealed evaluation set 282 (Proctavo, online exam proctoring).

Deterministic: a fixed seed drives every generated identifier, secret, id and
timestamp. Writes cases.jsonl beside this file and self-checks it against the
contract (post format, severity policy, checksums, embargo windows).

Standard library + PyYAML only.
"""
import base64
import hashlib
import hmac
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
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")
SEED = 282_2026

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base62 order 0-9A-Za-z
B32 = string.ascii_uppercase + "234567"

CATS = {
    "leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
    "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
}
SEV_ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}

# ---------------------------------------------------------------- checksums

def iban_ok(s):
    s = re.sub(r"[\s.]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(rng, bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def fmt_iban(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in re.sub(r"\D", "", digits)]
    if not 13 <= len(d) <= 19:
        return False
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def make_card(rng, prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and d != "000000000"


def make_bsn(rng):
    while True:
        first = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(v * (9 - i) for i, v in enumerate(first)) % 11
        if last < 10:
            s = "".join(map(str, first)) + str(last)
            assert bsn_ok(s)
            return s


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def make_github(rng, prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def rand(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(rng, payload):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = bytes(rng.getrandbits(8) for _ in range(32))
    sig = b64url(hmac.new(key, (header + "." + body).encode(), hashlib.sha256).digest())
    return header + "." + body + "." + sig


def make_pem(rng):
    raw = bytes([0x30, 0x82, 0x04, 0xA4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00])
    raw += bytes(rng.getrandbits(8) for _ in range(276))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n...\n-----END RSA PRIVATE KEY-----"


# ---------------------------------------------------------------- generated values

rng = random.Random(SEED)
G = {}
G["ghp1"] = make_github(rng, "ghp_")
G["ghp2"] = make_github(rng, "gho_")
G["aws_id1"] = "AKIA" + rand(rng, B32, 16)
G["aws_sk1"] = rand(rng, string.ascii_letters + string.digits + "+/", 40)
G["aws_id2"] = "AKIA" + rand(rng, B32, 16)
G["aws_sk2"] = rand(rng, string.ascii_letters + string.digits + "+/", 40)
G["stripe"] = "sk_live_51" + rand(rng, ALNUM, 14) + rand(rng, ALNUM, 84)
G["slack"] = "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1), rand(rng, ALNUM, 24))
G["openai"] = "sk-proj-" + rand(rng, ALNUM + "_-", 74) + "T3BlbkFJ" + rand(rng, ALNUM + "_-", 74)
G["anthropic"] = "sk-ant-api03-" + rand(rng, ALNUM + "_-", 93) + "AA"
G["gapi"] = "AIza" + rand(rng, ALNUM + "_-", 35)
G["glpat"] = "glpat-" + rand(rng, ALNUM + "_-", 20)
G["pgpass"] = rand(rng, ALNUM, 10) + "!" + rand(rng, ALNUM, 5)
G["jwt"] = make_jwt(rng, {"sub": "svc-grading", "role": "admin", "tenant": "hu-utrecht",
                          "iat": 1775635200, "exp": 1775721600})
G["pem"] = make_pem(rng)
G["iban_refund"] = make_iban(rng, "INGB")
G["iban_cust"] = make_iban(rng, "ABNA")
G["card1"] = make_card(rng, "4")
G["card2"] = make_card(rng, "5")
G["card3"] = make_card(rng, "4")
G["bsn1"] = make_bsn(rng)
G["bsn2"] = make_bsn(rng)
G["bsn3"] = make_bsn(rng)


def card_spaced(c, sep=" "):
    return sep.join(c[i:i + 4] for i in range(0, len(c), 4))


# look-alikes for the benign set (each must FAIL its checksum; verified below)
FAKE_IBAN = "NL12RABO0123456789"
FAKE_CARD = "4111 1111 1111 1112"
FAKE_BSN = "123456780"
FAKE_IBAN2 = "NL00PROC0000000000"

# ---------------------------------------------------------------- the cases
# (lang, "platform:handle", kind, text, categories, created_at or None)

CASES = []


def C(lang, acct, text, cats=(), kind="post", when=None):
    CASES.append((lang, acct, kind, text, sorted(set(cats)), when))


COMP, CRIS, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
CONF, FIN, SEC = "leak.confidential", "leak.financial", "leak.security"
SECRET, PII, PRICE = "leak.secret", "leak.pii", "leak.pricing"

# ---- complaints --------------------------------------------------------------
C("nl", "x:@mees_studeert",
  "Halverwege mijn tentamen statistiek gooit Proctavo me eruit want 'verdacht oogcontact' 🙄 ik keek naar mijn kladpapier. "
  "40 min kwijt en nu moet ik zelf een herkansing aanvragen. top systeem @proctavo", [COMP])
C("en", "reddit:u/late_night_calc",
  "Anyone else's LockBrowser just freeze on the ID check screen? Tried 3 times, support chat says "
  "\"we are experiencing high volumes\" for an HOUR now. Exam started 20 min ago. Great. Just great.", [COMP])
C("nl", "facebook:petra.zwaan.73",
  "Mijn zoon (15) is vanochtend 3x uit zijn toets gegooid door Proctavo omdat zijn kleine zusje door de kamer liep. "
  "Hij was helemaal overstuur. School zegt 'bel Proctavo', Proctavo zegt 'bel school'. Pingpong met mijn kind als bal. "
  "Wie heeft dit ooit goedgekeurd??", [COMP], kind="comment")
C("en", "x:@priya_does_law",
  "@proctavo_help your 'AI review' flagged my bar prep mock because I read the questions out loud. I have dyslexia. "
  "That is literally my approved accommodation. 4 days, no reply.", [COMP], kind="reply")
C("nl", "x:@jaybee_hbo",
  "bro de Owl Mini die we van school moesten kopen doet het al niet meer na 2 weken 💀 69 euro voor een webcam die "
  "alleen nog zwart beeld geeft", [COMP])
C("en", "instagram:@sophie.studies",
  "ur app drained my laptop from 100 to 12% in a 90 min exam, fan screaming the whole time. had to finish sitting on "
  "the floor next to the socket lol. not cute. pls fix", [COMP], kind="comment")
C("nl", "x:@docent_floor",
  "Als docent: die Integrity Analytics rapporten van Proctavo zijn onleesbaar. 37 'flags' per student, 36 daarvan onzin. "
  "Ik ben meer tijd kwijt aan het nakijken van de software dan van de tentamens zelf.", [COMP], kind="reply")
C("nl", "tiktok:@lieke.x",
  "proctavo heeft m'n examen ECHT niet opgeslagen na inleveren 😭😭 2 uur werk weg en dan zeggen ze doodleuk "
  "'wij zien geen inzending'. ik ga gillen", [COMP], kind="comment")
C("en", "x:@dan_retakes",
  "Waited 55 minutes in the Proctavo Live queue for a human proctor to 'verify my room'. The exam window closed "
  "while I was waiting. No refund on the €80 exam fee either. Customer service apparently means an auto-reply.", [COMP])
C("nl", "forum:moeder_van_drie",
  "Klacht ingediend bij Proctavo over de ID-check: mijn dochter moet elke keer opnieuw beginnen omdat de camera haar "
  "'niet herkent'. Na twee weken een standaardmailtje terug zonder oplossing. Waardeloos klantcontact, echt.", [COMP])
C("nl", "x:@ruben_mbo",
  "kan iemand van @proctavo_help eindelijk reageren?? ticket #88213 staat al 9 dagen open, tentamen is vrijdag en ik "
  "kom nog steeds niet door die systeemcheck heen", [COMP], kind="reply")

# complaint + abuse
C("nl", "x:@boze_bas",
  "Proctavo is echt een kutbedrijf. 3e keer dit blok dat jullie software crasht tijdens m'n tentamen. Stelletje prutsers.",
  [COMP, ABU])
C("en", "x:@notyourproctor",
  "@proctavo you absolute clowns, your garbage AI flagged me for cheating because I SNEEZED. fire the idiot who built "
  "this trash", [COMP, ABU], kind="reply")
C("nl", "tiktok:@gwnjesse",
  "die proctor van Proctavo Live was zo'n arrogante eikel, liet me 10 min m'n kamer rondfilmen en lachte om m'n posters. "
  "klote service, schaam je", [COMP, ABU], kind="comment")

# first-hand safety incidents: crisis + complaint
C("nl", "facebook:hans.dijkman.5",
  "Vanmiddag begon de ChargeCart 30 in mijn lokaal te roken en te smelten, met 20 laptops erin. Brandalarm, hele "
  "afdeling naar buiten. Ik ben docent en ik ben woedend: dat ding is drie maanden oud. @ProctavoNL wat gaan jullie "
  "hieraan doen?", [CRIS, COMP])
C("en", "x:@kayla_m_rn",
  "My Proctavo EchoSet gave me an actual electric shock on my ear halfway through my nursing exam. Left a red mark. "
  "Done with this company, my school is getting an earful tomorrow.", [CRIS, COMP])
C("nl", "reddit:u/hoofdpijn_tentamen",
  "Na 3 uur tentamen met die Owl 360 en z'n knipperende infraroodlampje had ik zo'n migraine dat ik moest overgeven. "
  "Huisarts denkt dat het flikkeren het heeft getriggerd. Hebben meer mensen dit? Vind het echt onverantwoord van "
  "Proctavo dat er nergens een waarschuwing staat.", [CRIS, COMP])
C("en", "reddit:u/finals_survivor",
  "the Owl Mini webcam got so hot it burned my finger when I tried to adjust it. there's a brown scorch mark on my "
  "monitor where it was clipped on. how is this sold to high schoolers??", [CRIS, COMP])

# ---- crisis only -------------------------------------------------------------
C("en", "x:@edtech_watchdog",
  "BREAKING: a dataset allegedly containing webcam recordings of ~40,000 students from Proctavo exams is being offered "
  "on a hacking forum. If you took an exam with them in 2025, assume your face + ID scan are out there. #databreach", [CRIS])
C("nl", "x:@studentenraad_uvx",
  "Wij roepen alle studenten op tot een BOYCOT van Proctavo. Geen surveillance in onze slaapkamers. Teken de petitie en "
  "weiger de installatie. #BoycotProctavo", [CRIS])
C("en", "linkedin:nora-baptiste-legal",
  "Today we filed a class action on behalf of 1,200 students against Proctavo Toetstechniek B.V. for unlawful "
  "processing of biometric data (GDPR art. 9). Affected students can still join via our website.", [CRIS])
C("nl", "blog:onderwijsnieuws_blog",
  "Gemeente sluit gymzaal na brand in oplaadkar tijdens centraal schriftelijk. Volgens de brandweer ging het om een "
  "ChargeCart van Proctavo. Geen gewonden, wel ruim 200 leerlingen geëvacueerd en het examen moet over.", [CRIS])
C("en", "x:@safetyfirst_eu",
  "Is Proctavo quietly recalling the EchoSet headsets? Our school got a letter saying 'stop using immediately, risk of "
  "electric shock'. Why is there no public statement??", [CRIS])
C("nl", "instagram:@digitale_rechten_nu",
  "Schandaal: Proctavo deelde volgens een klokkenluider gezichtsscans van leerlingen met een Amerikaans AI-bedrijf om "
  "hun model te trainen. De AP moet dit onderzoeken. Swipe voor de documenten ➡️", [CRIS])
C("en", "reddit:u/ethics_prof_k",
  "Proctavo's AutoWatch flags Black students at nearly 3x the rate of white students according to the audit our "
  "university commissioned. That's a discrimination scandal and we're STILL using it for finals.", [CRIS])
C("nl", "x:@ouders_tegen_spyware",
  "#BoycotProctavo trending 🔥 al 14 scholen in de regio Utrecht stoppen ermee. Ouders: haal je kind van dit platform af "
  "en laat je school dat weten.", [CRIS])
C("en", "youtube:@TechLawWeekly",
  "The Dutch DPA has opened a formal investigation into Proctavo over the alleged leak of exam recordings. Fines could "
  "run into the millions. Full breakdown in the video.", [CRIS], kind="comment")
C("nl", "forum:mbo_docent_gerrit",
  "Collega van ons kreeg gisteren een flinke stroomschok van een Proctavo Hall Hub bij het aansluiten. Ze is naar de "
  "huisarts geweest, gelukkig niks blijvends. Wij hebben alle hubs uit de examenzaal gehaald.", [CRIS])
C("en", "x:@reporter_janvos",
  "Sources tell me Proctavo left a storage bucket with student passport scans open to the internet. Company hasn't "
  "responded to my questions. Story goes live tomorrow morning.", [CRIS])

# ---- abuse ---------------------------------------------------------------------
C("nl", "x:@xxtimo",
  "@lotte_vrijn jij bent echt een dom wijf, hoop dat ze je ontslaan", [ABU], kind="reply")
C("nl", "tiktok:@kevvv_",
  "ｐｒｏｃｔａｖｏ ｚｉｊｎ ｋａｎｋｅｒｌｉｊｅｒｓ 🤡", [ABU], kind="comment")
C("en", "x:@rage_q",
  "proctavo = b.u.l.l.s.h.i.t company run by s.c.u.m b.a.g.s", [ABU])
C("nl", "x:@h4ter_nl",
  "pr0ctav0 is 3cht 33n k4nk3rb3dr1jf, h0er3nz0ns d13 d4ar w3rk3n", [ABU])
C("en", "x:@freedom_edu",
  "Proctavo's CEO is a creepy pervert who gets off on watching teenagers in their bedrooms. sick f*ck.", [ABU])
C("nl", "x:@joostbuilds",
  "@boze_bas ga lekker janken joh, sukkel. Leer eerst je wifi aansluiten voordat je over onze software begint.",
  [ABU], kind="reply")
C("en", "x:@proctavo_help",
  "@notyourproctor Maybe if you studied instead of whining you wouldn't get flagged, idiot.", [ABU], kind="reply")
C("en", "reddit:u/throwaway_proc99",
  "every proctor at Proctavo Live is some third-world call-center monkey who can't even speak english lmao", [ABU],
  kind="comment")
C("en", "x:@tired_of_this",
  "Proctavo sucks, fuсk yоu аll аnd yоur spyware", [ABU])  # Cyrillic с, о, а

# ---- confidential ----------------------------------------------------------------
C("nl", "x:@joostbuilds",
  "Nachtelijke deploy van Halcyon ging soepeler dan verwacht 🚀 meer mag ik nog niet zeggen, maar de uilen gaan dit "
  "geweldig vinden", [CONF])
C("nl", "linkedin:merel-hoekstra-proctavo",
  "Trots op het team! Vandaag de eerste pilot van Proctavo Sentinel gedraaid bij twee hogescholen. "
  "Volgend voorjaar meer 😉 #edtech #toetsen", [CONF], when="2026-11-18T14:05:00Z")
C("nl", "x:@rik_ops_nl",
  "iemand nog toegang tot grafana.ops.proctavo.nl? dashboard laadt niet meer sinds de migratie van gisteren", [CONF])
C("en", "instagram:@noor.codes",
  "new desk setup 😍🌿 (ignore the open tab, it's just jira.proctavo.nl/browse/STEEN-412 lol)", [CONF])
C("nl", "bluesky:@anneliesdijk.bsky.social",
  "Roadmapsessie vandaag: Operatie Dwaallicht gaat door naar fase 2. Eindelijk! Drie maanden lobbyen 😅", [CONF])
C("nl", "threads:@sem.tjong",
  "Deck van vandaag, dikke 'STRIKT VERTROUWELIJK' stempel erop maar dit moet je echt zien 👀 nieuwe prijsstaffels "
  "voor alle hogescholen vanaf 2027", [CONF])
C("en", "linkedin:youssef-benali-proctavo",
  "Sharing one slide from our strategy offsite (technically marked Proctavo Internal Only, but it's too good not to "
  "share): our three-step plan to become the #1 proctoring vendor in DACH.", [CONF])
C("en", "x:@joostbuilds",
  "Project Stee\u200bnuil branch finally merged 🦉 keystroke model v2 is in", [CONF])
C("en", "reddit:u/ex_proctavo_contractor",
  "Former contractor here. 'Project Steenuil' is their plan to do continuous keystroke biometrics on every student. "
  "I saw the specs on wiki.proctavo.local before my contract ended. Make of that what you will.", [CONF])
C("nl", "x:@insider_edtech",
  "Hoor van een bron dat Proctavo Sentinel in maart gelanceerd wordt, met live AI die je oogbewegingen volgt 👁️",
  [CONF], when="2027-01-22T19:40:00Z")
C("en", "youtube:@ProctavoTV",
  "Behind the scenes at our Utrecht office 🎬 (pause at 2:14 for a sneak peek at Halcyon 👀)", [CONF])
C("nl", "x:@rik_ops_nl",
  "H-a-l-c-y-o-n gaat volgende week live, mondje dicht 🤐", [CONF])
C("en", "mastodon:@bramkuipers@fosstodon.org",
  "TIL our internal wiki (wiki.proctavo.local) has a page titled 'things we don't tell customers'. Cool cool cool.",
  [CONF])
C("nl", "x:@lotte_vrijn",
  "Supportteam: de macro voor vragen over Operatie Dwaallicht staat in git.proctavo.internal/support/macros - NIET "
  "naar klanten plakken aub", [CONF])
C("nl", "facebook:ProctavoNL",
  "Binnenkort bij jullie op school: Proctavo Sentinel! Onze nieuwe AI-surveillant. Meer info volgt 🚀",
  [CONF], when="2027-01-15T10:00:00Z")

# ---- financial ---------------------------------------------------------------------
C("nl", "linkedin:youssef-benali-proctavo",
  "Net de cijfers gezien: omzet over het boekjaar komt uit op €31,4 mln, +42%. Publicatie pas in februari maar ik kan "
  "mijn trots niet inhouden 🎉", [FIN], when="2026-12-19T16:20:00Z")
C("en", "linkedin:merel-hoekstra-proctavo",
  "Big things coming: we're in final talks to acquire a Belgian LMS vendor. Can't name them yet but the LOI is signed 🤝",
  [FIN])
C("nl", "x:@rik_ops_nl",
  "sfeer op kantoor is bizar. volgende maand gaan er 35 mensen uit, reorganisatie heet intern 'Operatie Dwaallicht'. "
  "officieel weet nog niemand het", [FIN, CONF])
C("en", "bluesky:@anneliesdijk.bsky.social",
  "Q3 came in way under forecast, board is now talking about killing the whole hardware line. Rough week.", [FIN])
C("nl", "threads:@sem.tjong",
  "Onze forecast voor Q1 2027: 8.200 nieuwe schoollicenties. Halen we dat, dan gaan we naar de beurs 🚀🚀", [FIN])
C("en", "reddit:u/edtech_mna_watch",
  "Heard from two people inside that Proctavo is being bought by a US private equity fund, signing before Christmas. "
  "Valuation around €180M.", [FIN])
C("nl", "x:@beleggersclub_jan",
  "Via via: Proctavo schrapt de complete hardware-afdeling (Owl, EchoSet, ChargeCart), zo'n 60 fte. Nog niet "
  "aangekondigd.", [FIN])
C("en", "x:@proctavo",
  "Our FY26 results are in and they're our best ever 📈 Full report coming 25 Feb!", [FIN, CONF],
  when="2027-02-10T08:30:00Z")
C("nl", "linkedin:youssef-benali-proctavo",
  "Resultaten 2026 zijn binnen: voor het eerst EBITDA-positief, 4,1 mln! Officieel persbericht volgt eind februari.",
  [FIN, CONF], when="2027-02-03T11:00:00Z")
C("en", "mastodon:@bramkuipers@fosstodon.org",
  "Got told today that half of SRE is being 'consolidated' into the Kraków office in Q2. So... layoffs. Nobody outside "
  "knows yet.", [FIN])
C("nl", "instagram:@noor.codes",
  "laatste vrijdagborrel in deze samenstelling 😢 maandag wordt de reorganisatie aangekondigd, 1 op de 4 moet weg",
  [FIN])
C("nl", "reddit:u/owl_firmware_guy",
  "Hardwaretak wordt verkocht aan een Taiwanese OEM, deal is in januari rond en wij gaan mee over. Vind ik eigenlijk "
  "prima.", [FIN], kind="comment")

# ---- security --------------------------------------------------------------------
C("nl", "x:@rik_ops_nl",
  "niet verder vertellen maar de bucket met opnames is sinds de deploy van dinsdag gewoon publiek leesbaar 😬 ben het nu "
  "aan het dichtzetten", [SEC])
C("nl", "mastodon:@bramkuipers@fosstodon.org",
  "Hele EU-cluster plat sinds 07:40, AutoWatch neemt niks meer op. Statuspagina zegt nog 'operational' want marketing "
  "moet de tekst eerst goedkeuren 🙃", [SEC])
C("en", "x:@joostbuilds",
  "found an IDOR in our own grading API today — any logged-in student could fetch other students' exam recordings by "
  "bumping the id. patched on staging, prod tomorrow 🤞", [SEC])
C("nl", "x:@lotte_vrijn",
  "Collega's: er is vannacht ingebroken op ons ticketsysteem, klantgegevens mogelijk ingezien. NIET naar buiten brengen "
  "tot legal akkoord geeft!!", [SEC])
C("en", "reddit:u/owl_firmware_guy",
  "PSA from someone who works on it: Owl 360 firmware 2.3 ships with telnet open on port 23 and default creds. "
  "We've known for a month. Update when 2.4 lands.", [SEC], kind="comment")
C("nl", "bluesky:@anneliesdijk.bsky.social",
  "Ransomware op de build-servers. Alle releases on hold, geen idee hoe lang dit gaat duren 😩", [SEC])
C("en", "instagram:@noor.codes",
  "lowkey scary day at work: someone phished one of our admins and got into the LMS Connector config for 3 "
  "universities. customers not told yet", [SEC])
C("nl", "x:@rik_ops_nl",
  "LockBrowser is gewoon te omzeilen met een VM en één registry-tweak. ticket staat al 6 weken open, niemand die het "
  "oppakt", [SEC])
C("en", "reddit:u/former_proctavo_qa",
  "Ex-QA here. LockBrowser has a known bypass with an HDMI capture card on a second machine. Filed it 8 months ago, "
  "never fixed, never disclosed to schools.", [SEC])
C("nl", "x:@pentest_pieter",
  "Kritiek lek gevonden in de Proctavo ID-check upload: zonder login bij andermans paspoortscans. Nog niet gefixt, "
  "melding ligt bij ze, details volgen na de patch.", [SEC])
C("nl", "threads:@sem.tjong",
  "Klant aan de lijn: tentamens van 3 hogescholen gisteren niet opgeslagen door een storage-bug. Wij moeten zeggen dat "
  "het 'netwerkproblemen aan hun kant' waren 🤦‍♂️", [SEC])
C("en", "mastodon:@bramkuipers@fosstodon.org",
  "Incident #412 still open: the db failover lost ~6h of proctoring flags. No customer has noticed. Don't ask.", [SEC])
C("en", "x:@joostbuilds",
  "prod is down because someone rotated the AWS key wrong lol. old pair if anyone's debugging:\n"
  "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s" % (G["aws_id1"], G["aws_sk1"]), [SEC, SECRET])

# ---- secrets ------------------------------------------------------------------------
C("en", "x:@joostbuilds",
  "can someone check why this won't auth against the org? %s 🙏" % G["ghp1"], [SECRET])
C("nl", "reddit:u/owl_firmware_guy",
  "deploy script ziet er zo uit, waarom faalt ie op de upload stap?\n```\nexport AWS_ACCESS_KEY_ID=%s\n"
  "export AWS_SECRET_ACCESS_KEY=%s\naws s3 cp fw.bin s3://owl-firmware/\n```" % (G["aws_id2"], G["aws_sk2"]), [SECRET])
C("en", "mastodon:@bramkuipers@fosstodon.org",
  "note to self bc I keep losing it: DATABASE_URL=postgres://exam_app:%s@10.4.2.17:5432/exams" % G["pgpass"], [SECRET])
C("nl", "x:@rik_ops_nl",
  "wachtwoord van het gedeelde demo-account is nu: Uil!Examen#2026 , niet doorvertellen 😅", [SECRET])
C("en", "instagram:@noor.codes",
  "debugging payments at 1am ☕ if anyone sees what's wrong: stripe.api_key = \"%s\"" % G["stripe"], [SECRET])
C("nl", "x:@lotte_vrijn",
  "voor wie de support-bot wil testen, token: %s (niet in de repo zetten aub)" % G["slack"], [SECRET])
C("en", "reddit:u/owl_firmware_guy",
  "anyone know why ssh rejects this key? it's the one for the camera update server\n%s" % G["pem"], [SECRET],
  kind="comment")
C("en", "x:@joostbuilds",
  "why does this token expire immediately?? Authorization: Bearer %s" % G["jwt"], [SECRET])
C("en", "reddit:u/cs_student_hacks",
  "lmao Proctavo's LockBrowser ships their OpenAI key hardcoded in the JS bundle: %s 💀" % G["openai"], [SECRET])
C("nl", "mastodon:@bramkuipers@fosstodon.org",
  "CI faalt weer, deze token werkt dus wel lokaal: %s" % G["glpat"], [SECRET])
C("nl", "bluesky:@anneliesdijk.bsky.social",
  "kan iemand deze maps key even checken voor de examenlocatie-kaart? %s" % G["gapi"], [SECRET])

# ---- pricing -----------------------------------------------------------------------
C("nl", "x:@sparen_met_sanne",
  "WTF de Owl 360 Camera staat in de Proctavo webshop voor €18,90 😳 snel bestellen voordat ze het doorhebben", [PRICE])
C("en", "x:@deal_hunter_uk",
  "Proctavo Campus Licence listed at €1,850 on their site instead of €18,500 — someone fat-fingered a zero lol", [PRICE])
C("nl", "x:@proctavo",
  "🎉 Actie! De Proctavo ExamKit Chromebook nu voor maar €34,90! Alleen deze week, op = op.", [PRICE])
C("en", "linkedin:merel-hoekstra-proctavo",
  "Special offer for our partner schools this month: School Licence for €990 per year. DM me before the 30th!", [PRICE])
C("nl", "facebook:ProctavoNL",
  "Oeps, prijsfout: de ChargeCart 30 stond gisteren een paar uur voor €239 online. Die bestellingen worden helaas "
  "geannuleerd.", [PRICE])
C("en", "reddit:u/frugal_teacher",
  "PSA: the EchoSet is €5.90 in Proctavo's edu store right now. pricing glitch probably, grab one for your classroom",
  [PRICE])
C("nl", "threads:@sem.tjong",
  "Klant kreeg per ongeluk een offerte voor de Hall Hub van €129 i.p.v. €1.290 😂 foutje in ons systeem, die gaan we "
  "nog horen", [PRICE])
C("nl", "instagram:@mbo_ict_docent",
  "Is dit een prijsfout? Proctavo Kiosk K2 voor €184,90 op de site 🤔", [PRICE], kind="comment")
C("en", "x:@proctavo_help",
  "@jordan_t Yes! The Owl Mini is €6.90 in our store right now — enjoy 📸", [PRICE], kind="reply")
C("en", "x:@cheapskate_prof",
  "lmao Proctavo Integrity Analytics for €29 a year?? pricing page says 29,00 instead of 2.900,00", [PRICE])
C("nl", "x:@koopjesjager_nl",
  "Ｏｗｌ Ｍｉｎｉ voor €9 bij Proctavo, prijsfout!! 🏃‍♂️💨", [PRICE])
C("nl", "tiktok:@proctavo",
  "Alleen vandaag: TextTrace voor €99 i.p.v. €1.450 🔥 #deal #docenten", [PRICE])

# ---- personal data ---------------------------------------------------------------
C("nl", "x:@lotte_vrijn",
  "@ruben_mbo ik heb je ticket doorgezet! mail me anders direct op lotte.vanrijn84@gmail.com of bel 06-41827365",
  [PII], kind="reply")
C("en", "x:@proctavo_help",
  "@dan_retakes We found your account: Daniel Hughes, born 14-03-2001, 22 Mill Lane, Leeds LS6 2AB. Can you confirm?",
  [PII], kind="reply")
C("nl", "facebook:ProctavoNL",
  "Beste mevrouw Zwaan, de terugbetaling van €39 is vandaag gestort op %s t.n.v. T. Zwaan. Excuses voor het "
  "ongemak!" % fmt_iban(G["iban_refund"]), [PII], kind="reply")
C("en", "linkedin:youssef-benali-proctavo",
  "Who in finance processed this refund? Card %s exp 09/27 was charged twice for one IDCheck batch." %
  card_spaced(G["card1"]), [PII])
C("nl", "x:@rik_ops_nl",
  "klant stuurt gewoon haar BSN mee in het supportticket: %s, naam Fleur Vermeulen. mensen toch 🙈" % G["bsn1"], [PII])
C("en", "x:@jess_retake",
  "@proctavo_help STILL no refund!! email is jess.okonkwo94@outlook.com and my number is +31 6 2938 4471, just CALL me "
  "already", [PII, COMP], kind="reply")
C("nl", "x:@ruben_vd_h",
  "@proctavo_help kunnen jullie me terugbellen over m'n account? 0612947735 (na 16u) thx", [PII], kind="reply")
C("nl", "instagram:@rkoster_fit",
  "Mijn IBAN voor de terugbetaling: %s t.n.v. R. Koster. Graag snel!" % G["iban_cust"], [PII], kind="comment")
C("en", "reddit:u/parent_of_two",
  "Proctavo billed my card twice for my kid's retake and support keeps asking which card. Fine, here's the whole "
  "number so nobody can pretend they can't find it: %s" % card_spaced(G["card2"], "-"), [PII, COMP])
C("nl", "linkedin:daan-oosterhout",
  "Welkom aan onze nieuwe collega Mirthe Jansen (geboren 02-11-1996)! Ze start maandag bij het supportteam 💜", [PII])
C("nl", "threads:@sem.tjong",
  "Contract rond met SG De Linde 🎉 aanspreekpunt is mevr. A. Brouwer, a.brouwer@delinde-school.nl, 030 2345678 — "
  "collega's, bel haar gerust", [PII])
C("en", "x:@proctavo_help",
  "@priya_does_law Found your file: priya.raman98＠gmail.com, DOB 21/07/1998. We'll reopen the review.", [PII],
  kind="reply")
C("nl", "x:@lotte_vrijn",
  "Retouradres voor de Owl camera van klant Joris Smit: Kerkstraat 14, 3581 AB Utrecht. Kan iemand van logistiek dit "
  "oppakken?", [PII])
C("nl", "tiktok:@sanne.vwo6",
  "moest bij de proctavo ID-check gewoon m'n BSN intypen?? %s staat nu in hun systeem, is dat normaal 😳" % G["bsn2"],
  [PII], kind="comment")
C("nl", "x:@joostbuilds",
  "wie heeft een échte kaart in de testdata gezet?? %s staat gewoon in seed.sql 🤦" % card_spaced(G["card3"], "."),
  [PII])

# ---- benign, incl. hard negatives ------------------------------------------------
C("nl", "x:@fenna_leert",
  "Eerlijk? Proctavo werkte vandaag vlekkeloos bij mijn tentamen. Systeemcheck in 2 minuten, geen gedoe. Had het erger "
  "verwacht 😅")
C("en", "x:@proctavo_help",
  "@jess_retake So sorry about the wait, Jess. Please email support@proctavo.nl or call +31 30 799 4200 and we'll sort "
  "it today.", kind="reply")
C("nl", "facebook:ProctavoNL",
  "Vragen over je factuur? Mail sales@proctavo.com. Betalen kan op NL55 RABO 0312 4578 90 t.n.v. Proctavo "
  "Toetstechniek B.V., o.v.v. het factuurnummer.")
C("en", "linkedin:proctavo",
  "We're hiring! Senior Backend Engineer (Go, Kafka, video). Remote-friendly, Utrecht office. Apply via "
  "werkenbij@proctavo.nl 🦉")
C("nl", "x:@proctavo",
  "Black Friday: 20% korting op de Owl 360 Camera, nu €151,20 i.p.v. €189. Alleen t/m maandag!")
C("en", "x:@proctavo",
  "The EchoSet headset is €59 and comes with 2 years of warranty plus a spare cable. Built for long oral exams 🎧")
C("nl", "instagram:@proctavo.nl",
  "Back to school 📸 Owl Mini webcam nu €55 (was €69). Link in bio!")
C("en", "x:@proctavo",
  "Our FY26 results are out: revenue up 38%, first profitable year. Full report at proctavo.com/investors",
  when="2027-02-25T09:00:00Z")
C("nl", "linkedin:proctavo",
  "Vandaag lanceren we Proctavo Sentinel, onze nieuwe AI-surveillant met uitlegbare meldingen. Lees meer op "
  "proctavo.nl/sentinel", when="2027-03-10T08:00:00Z")
C("nl", "x:@jelmer_hanze",
  "Proctavo Sentinel net uitgeprobeerd op de open dag, ziet er strak uit. Minder valse meldingen beloven ze.",
  when="2027-03-13T15:10:00Z")
C("nl", "x:@utrecht_scaleups",
  "Resultaten 2026 van Proctavo: +38% omzet en voor het eerst winst. Mooi voor een Utrechtse scale-up 👏",
  when="2027-02-26T12:00:00Z")
C("en", "x:@joostbuilds",
  "PSA for anyone writing our docs: use placeholders like AKIAIOSFODNN7EXAMPLE in examples, never a real key 🙏")
C("en", "x:@rik_ops_nl",
  "rotated every token after the audit. in screenshots they look like ghp_************************************ so stop "
  "asking me to paste the real ones in chat 😂")
C("nl", "reddit:u/owl_firmware_guy",
  "Tip voor je .env: DATABASE_URL=postgres://user:<wachtwoord>@localhost:5432/dev — echte credentials horen in de "
  "vault, niet in git", kind="comment")
C("nl", "x:@wiskundejuf_an",
  "Oefentoets rekenen via Proctavo: klopt het controlegetal van %s? Leerlingen moesten het zelf narekenen met mod 97 🤓 "
  "(spoiler: nee)" % FAKE_IBAN)
C("en", "reddit:u/cs_tutor",
  "For my Proctavo practice exam I asked students whether %s passes the Luhn check. Spoiler: it doesn't. Half the class "
  "got it right." % FAKE_CARD)
C("nl", "forum:bezorgde_ouder",
  "In de uitleg van de ID-check staat als voorbeeld BSN %s. Dat is toch nep? -- Ja, haalt de elfproef niet, gewoon een "
  "invulvoorbeeld." % FAKE_BSN)
C("en", "x:@edtech_notes",
  "Unlike that US proctoring firm sued last week over a breach, Proctavo at least publishes a yearly transparency "
  "report. Credit where it's due.")
C("nl", "x:@mees_studeert",
  "Update: Proctavo heeft mijn herkansing geregeld en excuses aangeboden. Netjes opgelost 👍")
C("en", "x:@limburg_teacher",
  "Thinking of the students whose exams were disrupted by the floods in Limburg today. Proctavo extended every "
  "deadline by a week, good call.")
C("nl", "tiktok:@femkeee",
  "ik die tijdens een Proctavo tentamen per ongeluk 'hmm' zeg en direct m'n hele leven voorbij zie flitsen 😂😂 "
  "#tentamenweek", kind="comment")
C("en", "reddit:u/fedora_fan",
  "Does Proctavo LockBrowser run on Linux? My uni says Windows/Mac only but I'm on Fedora. Anyone tried Wine?")
C("nl", "x:@havo5_sem",
  "Brandoefening midden in het tentamen vandaag 🙄 gelukkig pauzeerde Proctavo gewoon de timer. Top geregeld eigenlijk.")
C("en", "x:@nursing_nat",
  "Shocked (the good kind) at how fast Proctavo support fixed my camera issue. 10 minutes, start to finish.")
C("nl", "x:@papier_nostalgie",
  "We boycotten niks hoor, maar papieren tentamens blijven toch charmant 😌 #proctavo #oldschool")
C("nl", "x:@vogelaar_kim",
  "Zag vanochtend een steenuil in de tuin 🦉 zou trouwens een perfecte mascotte zijn voor Proctavo")
C("nl", "facebook:ilse.moederd",
  "Mijn zoontje is een echt dwaallicht vandaag, vergat gewoon z'n Proctavo inlog voor de toets 🙈 gelukkig had juf "
  "een reservecode", kind="comment")
C("nl", "x:@privacy_lezer",
  "Ik heb de privacyverklaring van Proctavo eens goed gelezen. Beelden na 30 dagen weg, geen verkoop aan derden. "
  "Netter dan ik dacht.")
C("en", "x:@exam_ready_ella",
  "status.proctavo.com says all systems operational 👍 exam time, wish me luck")
C("en", "x:@joostbuilds",
  "Gave a talk at GoDays about low-latency video pipelines. Slides are on my GitHub, no company secrets, promise 😄")
C("en", "linkedin:merel-hoekstra-proctavo",
  "Great conversations at the EdTech Expo in Amsterdam this week. Thanks to everyone who stopped by the Proctavo "
  "booth and tried the Owl 360!")
C("nl", "instagram:@noor.codes",
  "vrijdag = taartdag op kantoor 🍰🦉 #proctavo #teamuil")
C("en", "x:@proctavo_help",
  "We're aware of login issues for some users in the EU. Live updates on status.proctavo.com — sorry for the "
  "disruption!")
C("nl", "x:@proctavo",
  "Uitverkoop oude voorraad: ExamKit Chromebook voor €249 (was €349). Op = op!")
C("en", "x:@college_it_mike",
  "Proctavo Live costs our college €39 per student per year. Pricey, but still cheaper than hiring invigilators.")
C("nl", "x:@student_yara",
  "Tip: de Proctavo helpdesk (085-303 1170) is 's avonds gewoon bereikbaar, hielp mij super snel")
C("nl", "x:@proctavo",
  "Persvragen over ons onderzoek naar eerlijk toetsen? Mail pers@proctavo.nl 📩")
C("nl", "facebook:csg_het_baken",
  "Herinnering: het digitale tentamen Engels is op 14-03-2026 om 09:00 via Proctavo. Vergeet je ID-kaart niet!")
C("nl", "linkedin:proctavo",
  "Ons nieuwe kantoor aan de Catharijnesingel 80 in Utrecht is open! Kom gerust langs voor een kop koffie ☕")
C("en", "x:@edtech_bea",
  "Sad to see layoffs at another edtech company this week. Proctavo folks, hug your colleagues today.")
C("en", "x:@podcast_listener",
  "Proctavo's CEO on the EdTech Pod today talking privacy-by-design. Interesting listen, even if I stay skeptical.")
C("en", "linkedin:youssef-benali-proctavo",
  "Congrats to our friends at Tentamino on their acquisition by Studybridge, announced this morning. Big week for "
  "Dutch edtech!")
C("nl", "x:@proctavo_help",
  "Stuur nooit je volledige kaartnummer! Wij vragen alleen de laatste 4 cijfers, bijv. **** **** **** 4821.")
C("en", "reddit:u/uni_admin_dev",
  "the Proctavo API docs show the header as `Authorization: Bearer <your-jwt>`. please don't paste real tokens into "
  "support tickets", kind="comment")
C("nl", "x:@proctavo_help",
  "Wachtwoord vergeten? Klik op 'wachtwoord resetten' op help.proctavo.nl. Wij vragen NOOIT om je wachtwoord.")
C("en", "x:@bio_major_ky",
  "The exam was brutal but the proctoring was painless. Thanks Proctavo 🙏")
C("nl", "x:@eerstejaars_ot",
  "Iemand ervaring met Proctavo op een MacBook M1? Morgen eerste tentamen, wil even weten wat ik moet installeren")
C("en", "x:@catmom_studies",
  "my cat walked across the keyboard during my Proctavo exam and the AI flagged her for 'collusion' 😂 legend")
C("nl", "x:@rechten_rick",
  "Interessant hoorcollege vandaag over de rechtszaak tegen een Amerikaans proctoringbedrijf. Docent noemde Proctavo "
  "juist als voorbeeld van hoe het wél AVG-proof kan.")
C("en", "youtube:@ProctavoTV",
  "New tutorial: setting up the Owl 360 Camera in 5 minutes 🎥 Chapters in the description.")
C("nl", "tiktok:@proctavo",
  "POV: je Proctavo systeemcheck is in 30 seconden klaar 😎 #examtok #studeren")
C("en", "x:@rotterdam_parent",
  "The Proctavo team sent flowers to the teacher injured in last week's (unrelated) school fire in Rotterdam. Classy.")
C("nl", "x:@bestuur_vo_marco",
  "Offerte binnen: Proctavo Campuslicentie €18.500 per jaar. Nu vergelijken met twee andere aanbieders.")
C("en", "x:@lotte_vrijn",
  "Reminder for the support team: if a customer pastes anything that starts with 'BEGIN PRIVATE KEY' into a ticket, "
  "don't reply, escalate it.")
C("en", "x:@l33t_learner",
  "l33t h4x0r tip: just study lol. Proctavo can't flag what you actually know 🧠")
C("nl", "x:@lotte_vrijn",
  "98% klanttevredenheid deze maand voor het supportteam 💜 zo trots op deze mensen")
C("nl", "x:@ruben_mbo",
  "Excuses aanvaard @proctavo_help, mijn cijfer staat er eindelijk in. Bedankt voor het meedenken!", kind="reply")
C("en", "linkedin:fin-admin-karin",
  "Template tip: our Proctavo invoices use %s as a dummy IBAN in the preview, so don't panic when you see it." %
  FAKE_IBAN2)
C("nl", "x:@mbo_docent_els",
  "Onze school heeft de ChargeCart 30 al een jaar in gebruik, nooit een probleem gehad. Laptops altijd vol voor de "
  "toetsweek 🔋")
C("nl", "x:@docent_floor",
  "Dank @proctavo_help voor het snelle antwoord, het rapport is nu wel duidelijk. Scheelt me een middag.",
  kind="reply")

# ---------------------------------------------------------------- build

def load_profile():
    with open(PROFILE_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def role_of(profile, platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in profile["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in profile["accounts"]["employee"]}:
        return "employee"
    return "public"


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\w*.-])(?:\d[ .-]?){12,18}\d(?!\w)")
BSN_RE = re.compile(r"(?<![\w.,-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?!\w)(?![.,]\d)")


def strong_ids(text, profile):
    """Checksum-bearing identifiers in text: list of (kind, value, valid)."""
    pub_ibans = {re.sub(r"\s", "", i) for i in profile["public_identifiers"]["ibans"]}
    out = []
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v in pub_ibans:
            continue
        out.append(("iban", v, iban_ok(v)))
    for m in CARD_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        if 13 <= len(v) <= 19:
            out.append(("card", v, luhn_ok(v)))
    for m in BSN_RE.finditer(text):
        v = re.sub(r"\D", "", m.group(0))
        out.append(("bsn", v, bsn_ok(v)))
    return out


def severity(cats, role, has_strong_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    inside = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if inside:
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and has_strong_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if inside else "warning")
    return sev


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def build(profile):
    r = random.Random(SEED + 1)
    start = datetime(2026, 1, 5, tzinfo=timezone.utc)
    used_ids = set()
    rows = []
    for lang, acct, kind, text, cats, when in CASES:
        platform, handle = acct.split(":", 1)
        role = role_of(profile, platform, handle)
        if when is None:
            ts = start + timedelta(seconds=r.randint(0, 350 * 24 * 3600))
            created = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            created = when
        while True:
            pid = "%s-%d" % (platform, r.randint(10**8, 10**9 - 1))
            if pid not in used_ids:
                used_ids.add(pid)
                break
        ids = strong_ids(text, profile)
        strong = "leak.pii" in cats and any(v for _, _, v in ids)
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": created,
        }
        if r.random() < 0.5:
            post["url"] = "https://%s.example/%s/%s" % (platform, handle.lstrip("@").replace("/", "_"), pid.split("-")[1])
        if r.random() < 0.6:
            post["brand"] = "Proctavo"
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, strong)}})
    r.shuffle(rows)
    return rows


# ---------------------------------------------------------------- self-checks

def check(rows, profile, lines):
    errs = []

    def bad(i, msg):
        errs.append("case %d (%s): %s" % (i, rows[i]["post"]["id"], msg))

    prof_accounts = {a.lower() for a in profile["accounts"]["corporate"] + profile["accounts"]["employee"]}
    emb = [(t.lower(), parse_ts(e["until"])) for e in profile["embargo"] for t in e["terms"]]
    internal = [s.lower() for s in profile["internal"]["domains"] + profile["internal"]["codenames"]
                + profile["internal"]["markers"]]
    ids = set()
    for i, line in enumerate(lines):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            bad(i, "top-level keys")
        p, e = obj["post"], obj["expect"]
        for f in ("id", "platform", "text", "created_at"):
            if not isinstance(p.get(f), str):
                bad(i, "missing/typed field %s" % f)
        if not isinstance(p.get("account", {}).get("handle"), str):
            bad(i, "account.handle")
        if not 1 <= len(p["id"]) <= 256:
            bad(i, "id length")
        if p["id"] in ids:
            bad(i, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            bad(i, "platform")
        if p.get("kind", "post") not in KINDS:
            bad(i, "kind")
        if len(p["text"].encode("utf-8")) > 64 * 1024:
            bad(i, "text too large")
        ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
        if ts.tzinfo is None or not (2026 <= ts.year <= 2027):
            bad(i, "created_at")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            bad(i, "categories")
        role = role_of(profile, p["platform"], p["account"]["handle"])
        text = p["text"]
        sid = strong_ids(text, profile)
        strong = "leak.pii" in cats and any(v for _, _, v in sid)
        if e["severity"] != severity(cats, role, strong):
            bad(i, "severity mismatch")
        if not cats and e["severity"] != "none":
            bad(i, "benign with severity")
        low = text.lower()
        # checksums
        if cats:
            for kind, v, ok in sid:
                if not ok:
                    bad(i, "positive holds a failing %s %s" % (kind, v))
        else:
            for kind, v, ok in sid:
                if ok:
                    bad(i, "benign holds a VALID %s %s" % (kind, v))
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if cats and not github_ok(tok):
                bad(i, "github token crc")
            if not cats and github_ok(tok):
                bad(i, "benign has valid github token")
        for tok in re.findall(r"\bAKIA[0-9A-Z]{16}\b", text):
            if cats and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                bad(i, "aws key alphabet")
            if not cats and not tok.endswith("EXAMPLE"):
                bad(i, "benign has real-looking aws key")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            h = tok.split(".")[0]
            hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
            if "alg" not in hdr:
                bad(i, "jwt header")
        # embargo and internal terms
        for term, until in emb:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    bad(i, "embargo term before until but not confidential")
                if ts >= until and not cats:
                    pass  # fine: a hard negative
        if not cats:
            for s in internal:
                if s in low:
                    bad(i, "benign contains internal term %s" % s)
        # public handles must not be in the profile by accident (role derived above)
        if role == "public" and ("%s:%s" % (p["platform"], p["account"]["handle"])).lower() in prof_accounts:
            bad(i, "role")
    return errs


def main():
    profile = load_profile()
    for f in (FAKE_IBAN, FAKE_IBAN2):
        assert not iban_ok(f), f
    assert not luhn_ok(FAKE_CARD) and not bsn_ok(FAKE_BSN)
    for k in ("iban_refund", "iban_cust"):
        assert iban_ok(G[k]), k
    for k in ("card1", "card2", "card3"):
        assert luhn_ok(G[k]), k
    for k in ("bsn1", "bsn2", "bsn3"):
        assert bsn_ok(G[k]), k
    assert github_ok(G["ghp1"]) and github_ok(G["ghp2"])
    assert iban_ok(profile["public_identifiers"]["ibans"][0])

    rows = build(profile)
    lines = [json.dumps(r, ensure_ascii=False, sort_keys=False) for r in rows]
    # determinism: a second build must give the same bytes
    again = [json.dumps(r, ensure_ascii=False) for r in build(profile)]
    assert again == lines, "non-deterministic build"

    errs = check(rows, profile, lines)
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    if not 170 <= n <= 180:
        errs.append("case count %d outside 170-180" % n)
    if errs:
        print("\n".join(errs), file=sys.stderr)
        print("SELF-CHECK FAILED (%d problems)" % len(errs), file=sys.stderr)
        sys.exit(1)
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    roles = {}
    for r in rows:
        if any(c.startswith("leak.") for c in r["expect"]["categories"]):
            ro = role_of(profile, r["post"]["platform"], r["post"]["account"]["handle"])
            roles[ro] = roles.get(ro, 0) + 1
    sevs = {}
    for r in rows:
        sevs[r["expect"]["severity"]] = sevs.get(r["expect"]["severity"], 0) + 1
    print("wrote %s: %d cases, %d benign, %d positive" % (OUT_PATH, n, benign, n - benign))
    print("per category:", json.dumps(dict(sorted(per.items()))))
    print("severity:", json.dumps(sevs))
    print("leak authors by role:", json.dumps(roles))
    print("dutch share: %.0f%%" % (100.0 * nl / n))
    print("self-check OK")


if __name__ == "__main__":
    main()
