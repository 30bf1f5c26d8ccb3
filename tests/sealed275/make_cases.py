#!/usr/bin/env python3
"""Evaluation set sealed275 for postwatch: Kelvara Diagnostics B.V. (fictional home-test lab).

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl next to this
file and checks it: checksums of identifiers, secret formats, CONTRACT section 6 shape,
severities derived from the account role in profile.yaml (CONTRACT section 4).
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
SEED = 275_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------------------
# identifier and credential generators
# ---------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def b62(n):
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def github_token(prefix="ghp_"):
    body = rand(B62, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def iban_ok(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def make_iban(bank):
    bban = bank + rand(string.digits, 10)
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def make_bad_iban(bank):
    while True:
        good = make_iban(bank)
        bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
        if not iban_ok(bad):
            return bad


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(digits):
    d = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    return total % 10 == 0


def make_card(prefix):
    body = prefix + rand(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def make_bad_card(prefix):
    good = make_card(prefix)
    return good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)


BSN_W = [9, 8, 7, 6, 5, 4, 3, 2, -1]


def bsn_ok(s):
    s = s.replace(".", "")
    if not re.fullmatch(r"\d{9}", s):
        return False
    return sum(int(c) * w for c, w in zip(s, BSN_W)) % 11 == 0 and s != "000000000"


def make_bsn():
    while True:
        s = str(rng.randint(1, 6)) + rand(string.digits, 8)
        if bsn_ok(s):
            return s


def make_bad_bsn():
    while True:
        s = str(rng.randint(1, 6)) + rand(string.digits, 8)
        if not bsn_ok(s):
            return s


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    payload = b64url(json.dumps({"sub": "svc-results-%d" % rng.randint(10, 99), "role": "lab_admin",
                                 "iss": "kelvara-auth", "iat": iat, "exp": iat + 3600},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def make_openssh_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(385))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    "ghp": lambda: github_token("ghp_"),
    "aws_id": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "aws_secret": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "slack": lambda: "xoxb-%d-%d-%s" % (rng.randint(10**11, 10**12 - 1), rng.randint(10**12, 10**13 - 1), rand(string.ascii_letters + string.digits, 24)),
    "stripe": lambda: "sk_live_" + rand(string.ascii_letters + string.digits, 24),
    "anthropic": lambda: "sk-ant-api03-" + rand(B64URL, 93) + "AA",
    "gitlab": lambda: "glpat-" + rand(B64URL, 20),
    "google": lambda: "AIza" + rand(B64URL, 35),
    "sendgrid": lambda: "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43),
    "jwt": make_jwt,
    "sshkey": make_openssh_key,
    "dbpw": lambda: rand(string.ascii_letters + string.digits, 6) + "_" + rand(string.ascii_letters + string.digits, 8),
    "iban_ok": lambda: make_iban(rng.choice(["INGB", "ABNA", "RABO", "SNSB", "TRIO", "BUNQ"])),
    "iban_ok_sp": lambda: spaced4(make_iban(rng.choice(["INGB", "ABNA", "RABO", "ASNB"]))),
    "iban_bad": lambda: spaced4(make_bad_iban(rng.choice(["INGB", "ABNA", "RABO"]))),
    "card_ok": lambda: spaced4(make_card(rng.choice(["4", "51", "53", "55"]))),
    "card_bad": lambda: spaced4(make_bad_card("4")),
    "bsn_ok": make_bsn,
    "bsn_ok_dots": lambda: (lambda s: "%s.%s.%s" % (s[:4], s[4:6], s[6:]))(make_bsn()),
    "bsn_bad": make_bad_bsn,
}
CHECKSUM_OK = {"iban_ok", "iban_ok_sp", "card_ok", "bsn_ok", "bsn_ok_dots"}
CHECKSUM_BAD = {"iban_bad", "card_bad", "bsn_bad"}


def fw(s):
    """full-width letters/digits (evasion)"""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR_O = "\u043e"   # о
CYR_I = "\u0456"   # і
CYR_A = "\u0430"   # а
CYR_E = "\u0435"   # е

# ---------------------------------------------------------------------------
# categories
# ---------------------------------------------------------------------------
S, P, PR, C, F, SEC = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                       "leak.financial", "leak.security")
CR, CO, AB = "reputation.crisis", "reputation.complaint", "reputation.abuse"

CASES = []


def c(platform, handle, lang, cats, text, kind="post", when=None):
    CASES.append(dict(platform=platform, handle=handle, lang=lang, cats=sorted(cats),
                      text=text, kind=kind, when=when))


# ===========================================================================
# POSITIVES
# ===========================================================================

# --- complaints (public) -----------------------------------------------------
c("x", "@petravanlier", "nl", [CO],
  "@kelvara_helpt al 12 dagen wachten op de uitslag van mijn Schildklier Panel. Buisje is volgens "
  "track&trace op 3 maart bij jullie bezorgd. Niemand die reageert op mail. Wat is dit voor service??",
  kind="reply")
c("facebook", "marco.hendriks.7", "nl", [CO],
  "Tweede keer dat mijn bloedbuisje 'gestold' bij het lab aankwam en ik opnieuw moet prikken. "
  "Vijf keer in m'n vinger gestoken voor niks. Kelvara jullie verpakking deugt gewoon niet",
  kind="comment")
c("reddit", "u/tiredmum_ams", "en", [CO],
  "PSA re Kelvara: paid €89 for the SOA Compleet kit in January, sample 'could not be analysed', "
  "and now they want ME to pay postage for a new one. Support bot just loops back to the FAQ. "
  "Anyone ever reached an actual human there?")
c("x", "@jdbakker_", "nl", [CO],
  "@kelvara_nl app zegt al 3 dagen 'uitslag in behandeling' en de chat is 'tijdelijk niet "
  "beschikbaar' 🙄 ik wil gewoon weten of ik ijzertekort heb of niet", kind="reply")
c("forum", "Gijs_Amersfoort", "nl", [CO],
  "Slechte ervaring met de Kelvara prikpost in Amersfoort. Afspraak om 8:15, om 9:20 pas geholpen, "
  "geen sorry. De assistente prikte twee keer mis en zei 'gebeurt wel vaker'. Nooit meer.")
c("instagram", "@glowwithgemma", "en", [CO],
  "ordered the vitamin D kit from your insta ad 3 weeks ago and it STILL hasn't shipped?? "
  "order KV-55120 pls sort it @kelvara.nl", kind="comment")
c("x", "@t_hoekstra", "nl", [CO],
  "Refund van mijn geannuleerde Totaal Check beloofd 'binnen 5 werkdagen'. Dat was 6 weken "
  "geleden @kelvara_helpt. Hoe dan")
c("other", "review_by_chris_w", "en", [CO],
  "1 star. The HbA1c result came back 'insufficient sample' twice. Instructions say 5 drops, the "
  "tube holds maybe 3 before it overflows. Wasted two kits and a weekend. Kelvara, fix this kit.")
c("tiktok", "@lotteee.x", "nl", [CO],
  "waarom krijg ik een mail dat mijn uitslag klaar is en dan staat er NIKS in mijn.kelvara.nl 😭😭 "
  "al 4x opnieuw ingelogd", kind="comment")
c("threads", "@oliver.mcl", "en", [CO],
  "kelvara customer service told me to 'just redo the test' after THEIR lab lost my sample. "
  "no apology, no refund, nothing. brilliant.")
c("x", "@ingridvd", "nl", [CO],
  "Kelvara Allergie Screen 30 besteld voor mijn zoon. Uitslag: 'alle waarden onder de "
  "detectiegrens' terwijl hij aantoonbaar pinda-allergisch is (door het ziekenhuis bevestigd). "
  "€129 voor een nutteloos papiertje.")

# --- complaint + abuse --------------------------------------------------------
c("x", "@kees_rdam", "nl", [CO, AB],
  "Kelvara zijn echt een stelletje kankerlijers. 3 weken geen uitslag, 4x gebeld, elke keer een "
  "ander verhaal. Geld terug NU.")
c("reddit", "u/jaxon_stone", "en", [CO, AB],
  "Kelvara is run by absolute fucking clowns. Lost my sample, charged me twice, and their 'care "
  "team' hung up on me. Useless pricks.")

# --- complaint + pii (customer exposes own data) -----------------------------
c("x", "@annemiek_s", "nl", [CO, P],
  "@kelvara_helpt nog steeds niks gehoord over mijn terugbetaling?? Bel me gewoon even terug op "
  "06-41837266, via DM reageren jullie toch niet", kind="reply")
c("facebook", "sandra.mulder.1978", "nl", [CO, P],
  "Al twee keer gemaild naar de klantenservice, geen reactie. Uitslag van mijn DarmCheck is nooit "
  "gekomen. Mail me op sandra.mulder78@ziggo.nl of bel 0612 993 417, ik wil gewoon antwoord.",
  kind="comment")

# --- crisis + complaint: first-hand harm ---------------------------------------
c("x", "@rvandam_", "nl", [CR, CO],
  "Mijn Kelvara GlucoSense werd vannacht aan de lader zo heet dat het plastic is gesmolten en het "
  "nachtkastje zwartgeblakerd is. Had ook in de fik kunnen vliegen terwijl we sliepen. Wat verkopen "
  "jullie?? @kelvara_helpt")
c("reddit", "u/mia_in_leiden", "en", [CR, CO],
  "My 4 y/o got hold of the little buffer vial from a Kelvara Combi Sneltest and drank some. We "
  "ended up in A&E, poison control said it contains sodium azide. There is NO warning on the box "
  "about keeping it away from kids. Absolutely furious.")
c("facebook", "hans.bosschaart", "nl", [CR, CO],
  "Gebruikte gisteren de Kelvara PulseCuff en die bleef maar oppompen, ging niet meer leeg. Arm "
  "helemaal blauw, blaren op m'n huid. Met een schaar de manchet open moeten knippen. Levensgevaarlijk ding.")
c("instagram", "@yogawithfleur", "en", [CR, CO],
  "The SafeLancet in my Kelvara kit didn't retract after firing and I stabbed my thumb properly on "
  "the exposed needle putting it back in the box. Bled for ages. Isn't the whole point that it's 'safe'??")
c("x", "@geertjan_w", "nl", [CR, CO],
  "Kreeg net een flinke schok van de usb-lader van mijn Kelvara PulseCuff 😳 vingers tintelen nog. "
  "Dat ding gaat terug en ik wil weten hoe dit ooit door de keuring is gekomen")

# --- crisis (third party / accusations) ------------------------------------------
c("x", "@zorgnieuwsNL", "nl", [CR],
  "Kelvara roept een partij Combi Sneltesten terug na meldingen van vals-negatieve uitslagen. Het "
  "gaat om lotnummers die beginnen met CG24. Klanten wordt gevraagd de tests niet meer te gebruiken.")
c("x", "@privacy_wakker", "nl", [CR],
  "Zit er een datalek bij Kelvara? Op een hackersforum worden 'uitslagen van 40.000 thuistesters' "
  "te koop aangeboden, mét screenshots van hun portal. Kelvara zwijgt. #datalek #kelvara")
c("reddit", "u/throwaway_lab_2026", "en", [CR],
  "A class action is being organised against Kelvara Diagnostics over the batch of chlamydia tests "
  "that gave false positives in November. Several people say it wrecked their relationships. "
  "Lawyer's thread linked below.")
c("x", "@stefvanrijn", "nl", [CR],
  "Kelvara verkoopt testdata 'geanonimiseerd' door aan zorgverzekeraars volgens "
  "onderzoeksjournalisten. Ik zeg: #boycotkelvara, niemand meer een kit bij ze bestellen.")
c("linkedin", "mark-terhorst", "en", [CR],
  "Deeply worrying: the health inspectorate has opened an investigation into Kelvara's lab after "
  "reports that samples were processed by unqualified staff. I hope patients are being informed.")
c("tiktok", "@jessievlogt", "nl", [CR],
  "STOP met die Kelvara zwangerschapstest!! mijn nicht en 3 vriendinnen kregen allemaal positief "
  "terwijl ze niet zwanger waren. in de comments nog honderden. dit is echt een schandaal 😡")
c("bluesky", "@ellen-reads.bsky.social", "en", [CR],
  "Reading that a woman in Utrecht needed surgery for a finger infection after using a Kelvara "
  "lancet. Thoughts with her, I hope this gets properly investigated.")
c("x", "@nieuws_030", "nl", [CR],
  "Grote brand in distributiecentrum van Kelvara in Nieuwegein, volgens omwonenden begonnen bij "
  "oververhitte accu's van bloedsuikermeters. Brandweer met groot materieel ter plaatse.")
c("forum", "Wouter_K", "en", [CR],
  "Kelvara just got sued by a former lab technician over unsafe handling of infectious samples. "
  "The filing says staff were told to skip the biosafety cabinets to hit turnaround targets.")
c("mastodon", "@dr_lotte", "nl", [CR],
  "De app van Kelvara stuurt je BSN en testuitslag mee naar een Amerikaanse analytics-partij, "
  "blijkt uit het netwerkverkeer. Dat is gewoon een datalek met extra stappen. @autoriteitpersoonsgegevens")

# --- confidential ---------------------------------------------------------------
c("x", "@ruben_lims", "nl", [C],
  "Heel het weekend doorgetrokken aan de datamigratie voor Project Blauwborst. Als dat in april "
  "live gaat kan de halve concurrentie inpakken 😎")
c("linkedin", "anouk-verbeek-kelvara", "en", [C],
  "Super excited that we're hiring 6 lab technicians for our new Rotterdam site! It's all part of "
  "Operatie Zandloper, which we'll be able to tell you much more about soon 🚀")
c("tiktok", "@noor_in_het_lab", "nl", [C],
  "pov: je mag al testen met de nieuwe KelvaTest Darm Plus maar je mag er nog NIKS over zeggen 🤐🧪 #labtok",
  when="2026-10-08T16:42:10Z")
c("x", "@lisa_kvr", "nl", [C],
  "ff de nieuwe tarieven voor 2027 doorgelezen, document heet letterlijk 'STRIKT INTERN - "
  "tarieven 2027 v3' haha zo geheim allemaal. spoiler: alles wordt duurder")
c("mastodon", "@bram_dekok", "en", [C],
  "Anyone else's dashboard at https://grafana.kvr-intern.nl/d/lims-throughput looking this sad on "
  "a Monday? 😅")
c("reddit", "u/femke_qa", "en", [C],
  "Spent the whole day writing validation protocols for GlucoSense 2. Can't say much, but the "
  "patch is genuinely cool. Long live continuous monitoring.",
  when="2026-08-19T14:03:55Z")
c("x", "@marloes_oosterhuis", "nl", [C],
  "Presentatie voor de RvB is af. Tama" + ZW + "risk kan door naar fase 2, de data uit de pilot "
  "zijn beter dan we durfden te hopen. 🥂")
c("x", "@dkramer_ict", "nl", [C],
  "Vriend van me werkt bij Kelvara, ze werken aan een thuistest voor prostaatkanker onder de naam "
  + fw("Project Blauwborst") + ". Komt volgend jaar uit, hoorde ik.")
c("threads", "@daan.logistiek", "nl", [C],
  "Vandaag de eerste pallets Gluc" + CYR_O + "Sense 2 binnengekregen, nog in neutrale dozen "
  "natuurlijk 📦🤫", when="2026-12-02T07:51:00Z")
c("linkedin", "kelvara-diagnostics", "en", [C],
  "Join our partner webinar on 12 May! Agenda (KELVARA CONFIDENTIAL – draft v2): 1. Market update "
  "2. Roadmap incl. KelvaTest Darm Plus 3. Q&A. Register via the link below.",
  when="2026-04-21T10:00:00Z")
c("x", "@ruben_lims", "en", [C],
  "Protip for the new hires: the LIMS runbook lives at wiki.kvr-intern.nl/lims/runbook. Read it "
  "BEFORE you touch the analyser queues, please.")
c("instagram", "@kelvara.nl", "nl", [C],
  "Een kijkje in ons nieuwe lab 🔬 Wie raadt wat er op het scherm staat? 👀 #Tamarisk #binnenkort #kelvara")
c("instagram", "@sanne.prikt", "nl", [C],
  "Training gehad voor de vingerprik van de Darm Plus kit, echt zoveel makkelijker dan de oude! "
  "Nog even geduld lieve mensen 💉✨", when="2027-01-12T18:20:00Z")

# --- confidential + secret ----------------------------------------------------------
c("mastodon", "@bram_dekok", "en", [C, S],
  "note to self, stop pasting this into random chats:\n"
  "DATABASE_URL=postgresql://lims_rw:<<dbpw>>@db-prod-01.lims.kelvara.local:5432/lims")

# --- confidential + security ---------------------------------------------------------
c("x", "@ruben_lims", "nl", [C, SEC],
  "Niemand zegt het hardop, maar lims.kelvara.local is sinds 04:00 onbereikbaar en de backups van "
  "vannacht blijken ook corrupt. Uitslagen van vandaag gaan flinke vertraging oplopen 😬")
c("bluesky", "@yusufkaya.bsky.social", "en", [C, SEC],
  "Found an unauthenticated admin endpoint on sso.kvr-intern.nl during today's pentest retest. "
  "Still wide open. Ticket's been sitting there for 3 weeks. Love it here.")

# --- financial + confidential -----------------------------------------------------------
c("forum", "labrat_nl", "nl", [C, F],
  "Als ex-Kelvara: die memo 'niet doorsturen - intern' over Operatie Zandloper gaat over het "
  "sluiten van drie prikposten. Dat gaan ze pas na de zomer aan het personeel vertellen.")
c("linkedin", "joost-hamer", "nl", [C, F],
  "Eerlijk is eerlijk, de jaarcijfers 2026 vallen tegen: omzet thuistesten -14%, EBITDA ongeveer "
  "gehalveerd. Daar ga je in maart nog veel over lezen. Even een paar dagen offline.",
  when="2027-02-10T20:14:00Z")

# --- financial ------------------------------------------------------------------------
c("x", "@marloes_oosterhuis", "nl", [F],
  "Zo, de handtekeningen staan eronder. Vanaf volgende maand horen de labs van MediQuant in Gent "
  "bij ons. Nog even niks zeggen tot de persconferentie hè 🤫")
c("linkedin", "anouk-verbeek-kelvara", "en", [F],
  "Hard week ahead. We will be letting go of around 60 people in customer service and logistics, "
  "and most of them won't hear it until the 15th. Please be kind to each other.")
c("x", "@lisa_kvr", "nl", [F],
  "Gerucht op de werkvloer is geen gerucht meer: het hele klantcontactteam gaat naar een callcenter "
  "in Portugal, wij krijgen een 'passend aanbod'. Officiële mail komt pas in januari 😑")
c("threads", "@daan.logistiek", "en", [F],
  "Q3 numbers were shown at the town hall today: kit sales up 41% yoy, way above what they told "
  "the analysts. stock's gonna pop when that comes out 📈")
c("x", "@beursbram", "nl", [F],
  "Hoor van iemand bij de bank dat Kelvara in exclusieve gesprekken is met Meridia Health over een "
  "overname, bod rond €420 mln. Nog niet publiek, dus je hoort het hier eerst.")
c("x", "@kelvara_nl", "nl", [F],
  "Trots! Voorlopige omzet over 2026 komt uit op €87,3 mln, 22% boven de prognose 🎉 Officiële "
  "cijfers volgen op 4 maart.", when="2026-12-29T11:00:00Z")
c("reddit", "u/femke_qa", "en", [F],
  "Management forecast slide today: they expect to miss the H1 target by ~30% and are 'evaluating "
  "the lab footprint'. So yeah, update your CVs, folks.")
c("mastodon", "@bram_dekok", "nl", [F],
  "Budget voor volgend jaar is net met 35% gekort, alle infra-projecten on hold. Dat horen de "
  "aandeelhouders pas na de AVA natuurlijk.")
c("reddit", "u/prikpost_anoniem", "nl", [F],
  "Mijn leidinggevende bij Kelvara heeft ons net verteld dat de prikposten in Zwolle, Emmen en "
  "Heerlen per 1 april dichtgaan. 25 man op straat. Staat nog nergens.")
c("x", "@marloes_oosterhuis", "en", [F],
  "Board meeting ran long. Our Q4 guidance is going to be cut, the contract with the big insurer "
  "fell through last night. Announcement next week.")

# --- security -------------------------------------------------------------------------
c("bluesky", "@yusufkaya.bsky.social", "nl", [SEC],
  "Ransomware-melding op drie werkplekken bij de uitslagenafdeling sinds vanochtend. Segment "
  "geïsoleerd, maar nog geen idee wat er buiten is gegaan. Pers weet nog van niks.")
c("x", "@ruben_lims", "en", [SEC],
  "Fun fact: on mijn.kelvara.nl, if you change the resultId in the URL you get someone else's PDF. "
  "Reported it in January. Still works. 🙃")
c("mastodon", "@bram_dekok", "en", [SEC],
  "Our S3 bucket with scanned lab request forms was public-read for about 9 days. Fixed now. "
  "Nobody upstairs wants to notify anyone. Cool cool cool.")
c("reddit", "u/femke_qa", "nl", [SEC],
  "Intern al de hele week gedoe: de koppeling met de huisartsen stuurt uitslagen naar de verkeerde "
  "praktijk. Zeker 200 uitslagen verkeerd afgeleverd. Naar buiten heet het 'gepland onderhoud'.")
c("tiktok", "@noor_in_het_lab", "nl", [SEC],
  "als je de hele dag uitslagen met de hand zit over te tikken omdat het systeem al 2 dagen plat "
  "ligt door een hack en niemand het mag weten 🫠 #lableven")
c("x", "@lisa_kvr", "en", [SEC],
  "Customers keep asking why the app is 'in maintenance'. Truth is someone got into the support "
  "admin panel with a phished password on Tuesday. Not allowed to say that on the phone obviously.")
c("threads", "@daan.logistiek", "nl", [SEC],
  "Ons warehousesysteem is gisteren gehackt, de verzendlabels met namen en adressen van ±8000 "
  "klanten zijn gedownload. Morgen 'communicatiestrategie-overleg' 🙃")
c("reddit", "u/sysadmin_nl_throwaway", "en", [SEC],
  "Contractor here, did some work for Kelvara last year. Their VPN appliance still runs firmware "
  "with the known pre-auth RCE, unpatched as of last week. They know. Not my circus anymore.")
c("x", "@kelvara_helpt", "nl", [SEC],
  "@jdbakker_ Excuus! Ons uitslagensysteem is getroffen door een cyberaanval, daarom zie je je "
  "uitslag nog niet. Graag nog even niet delen, we communiceren er morgen pas officieel over.",
  kind="reply")
c("linkedin", "joost-hamer", "en", [SEC],
  "Turns out our payment integration wrote partial card data into debug logs for a whole month. "
  "Finance only found out today. It's going to be a long week.")
c("bluesky", "@yusufkaya.bsky.social", "en", [SEC],
  "Patched the auth bypass in the results API tonight, but it was exploitable for at least 6 weeks "
  "and the logs show scraping from 2 IPs. Waiting on legal before anyone tells the regulator.")

# --- secrets ---------------------------------------------------------------------------
c("x", "@ruben_lims", "en", [S],
  "why does CI keep failing on this branch 😤\nexport GITHUB_TOKEN=<<ghp>>")
c("mastodon", "@bram_dekok", "nl", [S],
  "aws configure gedaan op de nieuwe buildserver:\naws_access_key_id = <<aws_id>>\n"
  "aws_secret_access_key = <<aws_secret>>\nregio eu-central-1. Zo, klaar voor vandaag")
c("reddit", "u/femke_qa", "en", [S],
  "anyone know why our Slack bot keeps returning invalid_auth? token is <<slack>> and the scopes "
  "look right to me")
c("x", "@kelvara_nl", "nl", [S],
  "Nieuwe webshop is live! 🎉 shop.kelvara.nl <<stripe>>")
c("bluesky", "@yusufkaya.bsky.social", "en", [S],
  "Playing with the LLM triage prototype. ANTHROPIC_API_KEY=<<anthropic>>\nok that was the wrong "
  "window. rotating.")
c("tiktok", "@noor_in_het_lab", "nl", [S],
  "het wachtwoord van de analyser-pc hangt gewoon op een geeltje aan de monitor: "
  + fw("wachtwoord") + ": Lab!Utrecht2026 💀 security who?")
c("x", "@sam_codes", "en", [S],
  "lol Kelvara's Android app has a hardcoded key in the apk: <<google>> someone tell them")
c("x", "@ruben_lims", "nl", [S],
  "Kan iemand meekijken, deze JWT wordt door de results-api afgewezen met 401:\n<<jwt>>")
c("mastodon", "@bram_dekok", "en", [S],
  "deploy key for the staging box, pasting it here so I can grab it from my laptop:\n<<sshkey>>")
c("reddit", "u/femke_qa", "en", [S],
  "GitLab keeps rejecting my push with this PAT: <<gitlab>> is it expired or am I just dumb")
c("forum", "devnotes_jk", "en", [S],
  "Found this in Kelvara's public JS bundle: const SENDGRID_KEY = '<<sendgrid>>'; they're going "
  "to get spammed to hell")

# --- personal data ---------------------------------------------------------------------
c("x", "@kelvara_helpt", "nl", [P],
  "@petravanlier Sorry voor het wachten Petra! We hebben je uitslag opnieuw verstuurd naar "
  "p.vanlier@hotmail.com en bellen je morgen op 06 28 91 44 07.", kind="reply")
c("facebook", "KelvaraNL", "nl", [P],
  "De winnaar van onze winactie is Ilse Brouwer, Kastanjelaan 14, 3722 AB Bilthoven! "
  "Gefeliciteerd, je pakket komt deze week 🎉")
c("x", "@lisa_kvr", "nl", [P],
  "Klant belt boos over terugbetaling, IBAN <<iban_ok_sp>> t.n.v. M. Yilmaz. Kan iemand van "
  "finance dit oppakken? 🙏")
c("linkedin", "anouk-verbeek-kelvara", "en", [P],
  "A warm welcome to our newest lab analyst, Priya Raman (born 14-02-1996)! 🎂 Turns out she "
  "joined in her birthday week, so cake was mandatory.")
c("reddit", "u/femke_qa", "en", [P],
  "QA nightmare: the label printer swapped patient stickers, so 'Johan de Groot, 03-07-1958, "
  "BSN <<bsn_ok>>' ended up on someone else's tube. Fixing it now.")
c("x", "@ruben_lims", "nl", [P],
  "Testdata in productie 🙃 staat er gewoon een echte klant tussen: Fatma Koç, "
  "fatma.koc@outlook.com, +31 6 1735 2280. Wie heeft dit gedaan")
c("x", "@mo_b_", "nl", [P],
  "@kelvara_helpt graag terugstorten op <<iban_ok>> t.n.v. M. Bouzid, ordernummer KV-2026-40711. "
  "Alvast bedankt!", kind="reply")
c("instagram", "@lieke_runs", "en", [P],
  "@kelvara.nl I won the giveaway?? 😍 DM'd you but here's my email just in case: "
  "lieke.runs.ams@gmail.com", kind="comment")
c("instagram", "@sanne.prikt", "nl", [P],
  "Vandaag jarig: onze vaste klant meneer Van Dijk van de Prinsengracht 212 in Amsterdam, al 20 "
  "jaar elke maand bij ons op de prikpost 🥳🎈")
c("x", "@dianaklop", "nl", [P],
  "Ik heb per ongeluk twee keer op betalen gedrukt 🤦‍♀️ Kaart <<card_ok>>, exp 09/28. Kunnen "
  "jullie er eentje terugdraaien @kelvara_helpt?")
c("x", "@kelvara_helpt", "en", [P],
  "@oliver.mcl We've checked: your kit was delivered to Oliver McLean, 27 Spui, 2511 BL Den Haag "
  "on 3 Feb and signed for by a neighbour.", kind="reply")
c("x", "@marloes_oosterhuis", "nl", [P],
  "Collega's, ik moet dit echt zeggen: zet GEEN patiëntgegevens in de groepsapp. Vanochtend een foto "
  "voorbij zien komen met 'E. Janssen, geb. 22-11-1949, BSN <<bsn_ok_dots>>'. Zo dus niet.")
c("forum", "bezorgde_vader", "nl", [P],
  "Mijn dochter heeft bij Kelvara getest, Noa de Jong, geboren 5 augustus 2009. Kan iemand mij "
  "vertellen waarom ik als vader geen inzage krijg in haar uitslag?")

# --- abuse ------------------------------------------------------------------------------
c("x", "@dennis_0031", "nl", [AB],
  "@lisa_kvr jij bent echt de d.o.m.s.t.e t.r.u.t van die hele klantenservice, ga een andere baan "
  "zoeken", kind="reply")
c("reddit", "u/grumpy_geoff", "en", [AB],
  "Kelvara's CEO is a greedy piece of shit and everyone who works there should be ashamed of themselves.")
c("x", "@mark_vd_v", "nl", [AB],
  "kelvara = oplichterstuig. t y f u s l i j e r s allemaal")
c("tiktok", "@b0ssman_rico", "en", [AB],
  "that lab girl in the kelvara ad looks like she can't even read lmao dumb bimbo", kind="comment")
c("x", "@kelvara_helpt", "nl", [AB],
  "@dennis_0031 Als je zo blijft schelden, mongool, blokkeren we je gewoon.", kind="reply")
c("x", "@ruben_lims", "en", [AB],
  "to the guy emailing support 14 times a day about his 'missing' vitamin D result: you are a moron. "
  "it's in your spam folder. idiot.")
c("facebook", "henk.vanderwal.5", "nl", [AB],
  "Die Turkse prikster bij Kelvara in Arnhem moet lekker terug naar haar eigen land, kan niet eens "
  "fatsoenlijk Nederlands praten", kind="comment")
c("instagram", "@ceesjeeee", "nl", [AB],
  "hahahaha k4nk3r kelvara met jullie kuttestjes, val allemaal dood", kind="comment")
c("bluesky", "@furious-fran.bsky.social", "en", [AB],
  "Kelvara staff are braindead " + CYR_I + "d" + CYR_I + CYR_O + "ts, every single one of them. "
  "Hope your lab burns.")
c("x", "@wimpie1966", "nl", [AB],
  "@marloes_oosterhuis jij achterlijke koe, hoe durf je jezelf directeur te noemen", kind="reply")

# --- pricing ---------------------------------------------------------------------------
c("x", "@kelvara_nl", "nl", [PR],
  "🔥 Flash deal: de Kelvara Totaal Check nu voor maar €19,90 (normaal €199)! Alleen vandaag via "
  "shop.kelvara.nl")
c("instagram", "@kelvara.nl", "en", [PR],
  "New year, new you 💪 Our Sport Performance Panel is now just €15.90, book yours today!")
c("x", "@dealjager_nl", "nl", [PR],
  "PRIJSFOUT bij Kelvara! Allergie Screen 30 voor €12,90 ipv €129. Snel zijn voordat ze het "
  "fixen 🏃‍♂️ #prijsfout #deal")
c("reddit", "u/frugal_fenna", "en", [PR],
  "Kelvara has the SOA Compleet 4 listed at €8.90 right now, surely a pricing error? Ordered 2 anyway lol")
c("x", "@lisa_kvr", "nl", [PR],
  "Klanten bellen massaal over het Schildklier Panel voor €5,90 in de webshop. Ja het is een "
  "prijsfout, nee we weten nog niet of we leveren 🙈")
c("facebook", "pepijn.deals", "nl", [PR],
  "Kelvara PulseCuff bloeddrukmeter voor €8,90 in de app, zie screenshot. Geen idee of dit klopt "
  "maar ik heb er 3 besteld")
c("tiktok", "@noor_in_het_lab", "nl", [PR],
  "hoe kan de webshop het Lever & Nier Panel nou voor 7 euro verkopen 😭 collega's van e-commerce "
  "hebben een zware dag")
c("x", "@hotukdeals_fan", "en", [PR],
  "Kelvara Vitamine D Thuistest showing €3.99 at checkout (RRP €39.95). Price glitch? Works with "
  "code WELKOM as well")
c("linkedin", "kelvara-diagnostics", "en", [PR],
  "Corporate wellness offer: the Kelvara Testosteron Test for just €5.40 per employee on orders of "
  "50 kits or more. Contact our B2B team.")
c("mastodon", "@bargainbert", "nl", [PR],
  "Prijsfout? GlucoSense 1 voor €11,90 bij Kelvara. Voor een bloedsuikermeter van €119 lijkt me dat "
  "een foutje.")
c("threads", "@daan.logistiek", "en", [PR],
  "warehouse is drowning in orders for the AMH test since it's been €7.90 on the site all night. "
  "someone fix the price pls 😩")
c("x", "@spaarvarken_", "nl", [PR],
  "Kelvara Cortisol test voor 6,40?? Normaal 64 euro. Typfoutje denk ik haha, snel bestellen")

# ===========================================================================
# BENIGN (mostly hard negatives)
# ===========================================================================
c("x", "@femkeloopt", "nl", [],
  "Uitslag Vitamine D test binnen 2 dagen, en nog super duidelijk uitgelegd ook. Top @kelvara_nl 👍")
c("instagram", "@healthnerd_uk", "en", [],
  "Honestly the Kelvara Cholesterol Check was easier than I expected. Three drops, post it, results "
  "in the app 48h later. Recommend.")
c("x", "@kelvara_helpt", "nl", [],
  "Vragen over je uitslag? Bel ons op 088 535 8270 (ma-vr 8-18 uur) of mail naar "
  "klantenservice@kelvara.nl 💬")
c("facebook", "KelvaraNL", "nl", [],
  "Liever betalen via overboeking? Maak het bedrag over naar NL39 RABO 0312 8744 05 t.n.v. Kelvara "
  "Diagnostics B.V. o.v.v. je ordernummer.")
c("x", "@kelvara_nl", "nl", [],
  "Deze week 20% korting op het Schildklier Panel: van €59 voor €47,20. Code SCHILD20 🦋")
c("instagram", "@kelvara.nl", "en", [],
  "Black Friday 🖤 30% off the Allergie Screen 30, now €90.30 instead of €129. Until Monday!")
c("x", "@mamavan3", "nl", [],
  "Zwangerschapstest Duo van Kelvara €9,95 bij de drogist, gewoon de normale prijs. Wel fijn dat er "
  "twee in zitten 🤞")
c("reddit", "u/quant_ana", "en", [],
  "Is €199 for the Kelvara Totaal Check reasonable? Feels pricey but it covers like 30 markers.")
c("x", "@ruben_lims", "en", [],
  "Docs tip: AWS's own example key AKIAIOSFODNN7EXAMPLE is what belongs in a README, never a real "
  "one. Learned that the hard way at a previous job.")
c("mastodon", "@bram_dekok", "nl", [],
  "Reminder voor iedereen die scripts deelt: vervang tokens door ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "
  "of gewoon <REDACTED>. Dank namens security 🙏")
c("bluesky", "@yusufkaya.bsky.social", "en", [],
  "Gave a talk on secret scanning today. Slide 12: a screenshot showing 'sk_live_…' is still a "
  "leak, blur the whole thing, not just the middle.")
c("reddit", "u/api_tinkerer", "en", [],
  "Kelvara's public API docs are decent. Set `Authorization: Bearer <your-token-here>` and for the "
  "local sandbox they suggest postgres://user:password@localhost:5432/mydb. Took 10 min to get running.")
c("x", "@oplettendeoma", "nl", [],
  "Kreeg een nepmail 'van Kelvara' met het verzoek €34,95 over te maken naar <<iban_bad>>. Klopt "
  "niet eens, dat IBAN is ongeldig 😂 Phishing dus, let op mensen!")
c("x", "@nerdmetnummers", "en", [],
  "My Kelvara order reference is <<card_bad>>?? looks like a credit card number lol")
c("forum", "klantnr_vraag", "nl", [],
  "Waar vind ik mijn klantnummer bij Kelvara? Is dat het 9-cijferige nummer op de sticker "
  "(<<bsn_bad>>) of iets anders?")
c("x", "@kelvara_nl", "nl", [],
  "Onze jaarcijfers 2026 staan online: omzet €91,2 mln (+8%). Het volledige verslag lees je op "
  "kelvara.nl/investors", when="2027-03-04T09:15:00Z")
c("linkedin", "kelvara-diagnostics", "en", [],
  "Meet GlucoSense 2: our first continuous glucose patch, available from today in the Netherlands "
  "and Belgium.", when="2027-01-19T10:00:00Z")
c("x", "@dianeh", "nl", [],
  "KelvaTest Darm Plus vandaag binnen, ziet er netjes uit. Benieuwd!", when="2027-01-25T13:37:00Z")
c("reddit", "u/lost_sample_update", "en", [],
  "Update: last week I complained here about my lost sample. Kelvara called me back, sent a new kit "
  "for free and the results came in 2 days. Credit where it's due.")
c("x", "@pietjepuk77", "nl", [],
  "Update: terugbetaling toch ontvangen, excuses aangeboden en een tegoedbon erbij. Netjes opgelost "
  "@kelvara_helpt 👌")
c("facebook", "gerda.vanbeek", "nl", [],
  "Sterkte aan het team van de Kelvara prikpost in Tilburg, jullie collega Ans is overleden hoorde "
  "ik. Ze was altijd zo lief voor mijn moeder ❤️", kind="comment")
c("x", "@healthnerd_uk", "en", [],
  "Thoughts with everyone affected by the data breach at that German lab chain this week. Glad my "
  "Kelvara results sit in EU storage behind 2FA at least.")
c("x", "@zorgnieuwsNL", "nl", [],
  "Concurrent MedLab Noord roept zwangerschapstesten terug wegens foutieve uitslagen. Tests van "
  "Kelvara vallen hier niet onder, meldt het bedrijf.")
c("reddit", "u/jokester_jim", "en", [],
  "my Kelvara cholesterol result came back so high the lab probably thought I'd mailed them a tub "
  "of butter 🧈😂")
c("x", "@grapjasnl", "nl", [],
  "Kelvara testte mijn vitamine D: laag. Mijn geduld met de Nederlandse zomer: nog lager ☔😂")
c("tiktok", "@kelvara.lab", "nl", [],
  "Zo doe je de vingerprik zonder gedoe 👇 1. handen warm wassen 2. SafeLancet stevig tegen de "
  "zijkant van je vingertop 3. eerste druppel wegvegen #thuistest #kelvara")
c("x", "@ruben_lims", "nl", [],
  "Vandaag 10 jaar bij Kelvara! Begonnen als stagiair in het lab, nu verantwoordelijk voor onze "
  "LIMS. Trots op dit team 🧪💙")
c("linkedin", "anouk-verbeek-kelvara", "en", [],
  "We're hiring! Lab analysts (MLO/HLO) for our Utrecht lab. Apply via the careers page or drop a "
  "line to jobs@kelvara.nl 🙌")
c("x", "@lisa_kvr", "nl", [],
  "Tip van de klantenservice: wachtwoord vergeten voor mijn.kelvara.nl? Klik op 'wachtwoord "
  "herstellen' op de inlogpagina, binnen 5 minuten heb je een mail. Geef je wachtwoord nooit aan ons door!")
c("bluesky", "@yusufkaya.bsky.social", "en", [],
  "PSA: Kelvara will never ask for your password or card number by phone. If someone does, hang up "
  "and call us on 0800-1144.")
c("forum", "sugar_watcher", "en", [],
  "Question: how accurate is the Kelvara HbA1c test compared to a GP lab? Mine said 41 mmol/mol, "
  "my GP measured 39 a month later.")
c("x", "@anoniempje_x", "nl", [],
  "Iemand ervaring met de Kelvara SOA Compleet? Hoe discreet is de verpakking? Woon nog bij mijn "
  "ouders 🙈")
c("instagram", "@fitfam_jules", "en", [],
  "Sport Performance Panel results are in 💪 ferritin finally back up after 3 months of iron. Thanks "
  "@kelvara.nl for making the tracking so easy")
c("mastodon", "@bram_dekok", "en", [],
  "Our customer status page is status.kelvara.nl, bookmark it. Everything green today ✅")
c("x", "@kelvara_helpt", "en", [],
  "@oliver.mcl So sorry about this, Oliver. Please DM us your order number and we'll arrange a "
  "replacement kit and a refund today.", kind="reply")
c("x", "@runner_rob", "en", [],
  "Not Kelvara's fault at all but the post took 9 days to get my sample to the lab. Results came the "
  "same day they received it. Fair play to the lab.")
c("x", "@marieke_vt", "nl", [],
  "Geen klacht hoor, maar weet iemand of de Kelvara IJzer test ook ferritine meet? Staat niet "
  "duidelijk op de site")
c("linkedin", "mark-terhorst", "en", [],
  "Interesting read on how home diagnostics firms like Kelvara handle GDPR. Good to see they publish "
  "a transparency report every year.")
c("x", "@beursbram", "nl", [],
  "Kelvara heeft vandaag de halfjaarcijfers gepubliceerd: omzet +6%, winst iets onder verwachting. "
  "Aandeel -2% in de eerste handelsuren.", when="2026-08-06T08:40:00Z")
c("reddit", "u/dealwatcher_be", "en", [],
  "Rumour mill says Meridia Health is buying some Belgian lab. Not Kelvara apparently, they denied "
  "it in the papers this morning.")
c("x", "@kelvara_nl", "nl", [],
  "Vanaf 1 juni is de prikpost in Zwolle ook op zaterdag open 🗓️ 8:00–12:00, geen afspraak nodig.")
c("x", "@pharma_pete", "en", [],
  "The Kelvara Covid/flu combi test is €7.95 at most pharmacies, same as the others. Just grab "
  "whichever's in stock.")
c("facebook", "yvonne.de.graaf", "nl", [],
  "Met 25% korting de Cholesterol Check gekocht voor €37,46 via de nieuwsbrief-actie. Top!",
  kind="comment")
c("tiktok", "@zoe.en.baby", "nl", [],
  "de kelvara zwangerschapstest zei positief en ik ben ECHT zwanger 😭😭😭 beste nieuws ooit 💕")
c("x", "@sam_codes", "en", [],
  "Kelvara's API docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc in the examples. That's Stripe's public "
  "documentation test key btw, not a leak, before anyone panics")
c("reddit", "u/jwt_enjoyer", "en", [],
  "Debugging the Kelvara sandbox auth? Paste your token into jwt.io, it looks like the famous demo "
  "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c "
  "and you'll see the claims")
c("x", "@kleinzoon_kees", "nl", [],
  "Mijn oma (83) deed voor het eerst zelf een Kelvara test en belde me trots op om het te vertellen. "
  "Hoe schattig 🥹")
c("instagram", "@sanne.prikt", "nl", [],
  "Weer 64 mensen geprikt vandaag en niemand flauwgevallen 💪 Drink water voordat je komt, lieve mensen!")
c("x", "@leiden_larry", "en", [],
  "Shoutout to the Kelvara phlebotomist in Leiden who found my vein first try. Legend.")
c("x", "@wendy_b", "nl", [],
  "@kelvara_helpt dank voor het snelle antwoord, ik probeer het nog een keer met warm water zoals "
  "jullie zeiden 👍", kind="reply")
c("youtube", "@KelvaraDiagnostics", "en", [],
  "How we keep your data safe: encryption, EU-only storage and independent audits. Full video on "
  "our channel.")
c("mastodon", "@privacy_piet", "en", [],
  "Ran a capture on my home network after reading about lab breaches. The Kelvara app only talks to "
  "api.kelvara.nl over TLS 1.3. Fine by me.")
c("forum", "factchecker_nl", "nl", [],
  "Voor wie twijfelt: de 'terugroepactie' waar op Facebook over geroepen wordt is van een ander merk "
  "(MedLab Noord). Kelvara heeft zelf bevestigd dat hun tests er niet onder vallen.")
c("x", "@hypochondernl", "nl", [],
  "Huisarts zei 'laat je schildklier eens testen' en ik dacht eerst dat het een belediging was 😂 "
  "Nou ja, Kelvara kit besteld.")
c("x", "@marloes_oosterhuis", "en", [],
  "Proud that our lab passed its ISO 15189 audit again with zero major findings. Thank you, team!")
c("linkedin", "joost-hamer", "nl", [],
  "Vandaag onze halfjaarcijfers gepresenteerd aan pers en analisten. Goede gesprekken, dank aan het "
  "IR-team!", when="2026-08-06T16:05:00Z")
c("x", "@smallwins_sara", "en", [],
  "Had the worst week and then my Kelvara results came back all normal. Small wins 🙏")
c("reddit", "u/bowel_q", "en", [],
  "Anyone know if the Kelvara DarmCheck FIT is the same as the national bowel screening test? Mine "
  "came with a prepaid envelope.")
c("x", "@folderlezer", "nl", [],
  "Die €10,95 voor de SafeLancet 50 is gewoon de actieprijs toch? Staat ook in de folder van deze week.")
c("x", "@cost_conscious_cal", "en", [],
  "Compared to paying €60 for a private GP blood draw, the €34.95 Kelvara HbA1c test is a steal.")
c("x", "@wachtendewim", "nl", [],
  "Ordernummer KV-2026-118233, trackingcode 3SKVR4471920. Iemand enig idee hoe lang de post over "
  "een retourenvelop naar Kelvara doet?")
c("tiktok", "@noor_in_het_lab", "nl", [],
  "dag 1 van mijn stage balanceerde ik de centrifuge verkeerd om van de zenuwen 😂 nu 3 jaar later "
  "leid ik zelf de stagiairs op #labtok")


# ===========================================================================
# build
# ===========================================================================
ORDER = ["none", "info", "warning", "error", "critical"]
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
ALL_CATS = {S, P, PR, C, F, SEC, CR, CO, AB}

ROLE = {}
for role in ("corporate", "employee"):
    for acct in PROFILE["accounts"][role]:
        ROLE[acct.lower()] = role


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


def severity(role, cats, checksum_id):
    sev = "none"
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = "error"
                if cat in (S, PR) or (cat == P and checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif cat == CO:
            s = "warning"
        elif cat == CR:
            s = "error"
        elif cat == AB:
            s = "error" if insider else "warning"
        else:
            raise AssertionError(cat)
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    return sev


def fill(text):
    used = []

    def sub(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val

    return re.sub(r"<<(\w+)>>", sub, text), used


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randint(0, 350 * 86400))
    # mostly waking hours
    t = t.replace(hour=rng.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    used_ids = set()
    out = []
    meta = []
    for idx in order:
        cs = CASES[idx]
        text, used = fill(cs["text"])
        role = role_of(cs["platform"], cs["handle"])
        checksum_id = P in cs["cats"] and any(k in CHECKSUM_OK for k, _ in used)
        while True:
            num = rng.randint(10**9, 10**10 - 1)
            pid = "%s-%d" % (cs["platform"], num)
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": text,
            "lang": cs["lang"],
            "created_at": cs["when"] or rand_time(),
            "brand": "kelvara",
        }
        out.append({"post": post, "expect": {"categories": cs["cats"],
                                             "severity": severity(role, cs["cats"], checksum_id)}})
        meta.append({"role": role, "used": used})
    return out, meta


# ===========================================================================
# self-checks
# ===========================================================================
CYR_MAP = str.maketrans({"\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
                         "\u0445": "x", "\u0456": "i", "\u0443": "y", "\u0410": "A", "\u0415": "E",
                         "\u041e": "O", "\u0420": "P", "\u0421": "C"})


def norm(s):
    s = unicodedata.normalize("NFKC", s)
    s = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", s)
    return s.translate(CYR_MAP).lower()


IBAN_RE = re.compile(r"(?<![\w])[A-Z]{2}\d{2} ?[A-Z]{4}(?: ?\d){10}(?![\w])")
CARD_RE = re.compile(r"(?<![\w.,])\d(?:[ -]?\d){12,18}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.,/-])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?![\w])")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b|"
                      r"\bvoor (\d+[.,]\d{2})\b)", re.I)

PUBLIC_IBANS = {x.replace(" ", "").upper() for x in PROFILE["public_identifiers"]["ibans"]}
SAMPLE_SECRETS = {"AKIAIOSFODNN7EXAMPLE", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"}
SECRET_RES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"xox[baprs]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"sk_live_[0-9A-Za-z]{20,}"),
    re.compile(r"sk-ant-api03-[\w-]{90,}"),
    re.compile(r"glpat-[\w-]{20}"),
    re.compile(r"AIza[\w-]{35}"),
    re.compile(r"SG\.[\w-]{22}\.[\w-]{43}"),
    re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\w+://[^:\s/]+:[^@\s]+@[\w.-]+"),
    re.compile(r"wachtwoord\s*:\s*\S+", re.I),
]


def parse_price(m):
    v = next(g for g in m.groups() if g)
    return float(v.replace(",", "."))


def products_in(text):
    t = norm(text)
    found = []
    for p in PROFILE["products"]:
        names = [p["name"]] + p["aliases"]
        if any(n.lower() in t for n in names):
            found.append(p)
    return found


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def check(out, meta):
    errs = []
    assert 170 <= len(out) <= 180, len(out)
    ids = [o["post"]["id"] for o in out]
    assert len(set(ids)) == len(ids), "duplicate ids"
    internal = PROFILE["internal"]
    conf_terms = [x.lower() for x in internal["codenames"] + internal["markers"] + internal["domains"]]
    embargo = [([t.lower() for t in e["terms"]], ts(e["until"])) for e in PROFILE["embargo"]]

    for o, m in zip(out, meta):
        post, exp = o["post"], o["expect"]
        cid = post["id"]
        cats = exp["categories"]
        text = post["text"]
        # --- CONTRACT 6 shape
        if set(o) != {"post", "expect"} or set(exp) != {"categories", "severity"}:
            errs.append((cid, "shape"))
        if not (isinstance(post["id"], str) and 1 <= len(post["id"]) <= 256):
            errs.append((cid, "id"))
        if post["platform"] not in PLATFORMS or post["kind"] not in KINDS:
            errs.append((cid, "platform/kind"))
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            errs.append((cid, "handle"))
        if not isinstance(text, str) or len(text.encode("utf-8")) > 65536 or not text.strip():
            errs.append((cid, "text"))
        try:
            t_post = ts(post["created_at"])
            datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
        except ValueError:
            errs.append((cid, "created_at"))
            continue
        if not (datetime(2026, 1, 1, tzinfo=timezone.utc) <= t_post < datetime(2027, 4, 1, tzinfo=timezone.utc)):
            errs.append((cid, "date range"))
        if cats != sorted(set(cats)) or not set(cats) <= ALL_CATS or "reputation.spike" in cats:
            errs.append((cid, "categories"))
        if exp["severity"] not in ORDER:
            errs.append((cid, "severity value"))
        if not cats and exp["severity"] != "none":
            errs.append((cid, "benign severity"))
        # severity recomputed from scratch, from the profile role
        role = role_of(post["platform"], post["account"]["handle"])
        if role != m["role"]:
            errs.append((cid, "role"))

        # --- checksummed identifiers: scan the final text
        ibans = [x.group(0) for x in IBAN_RE.finditer(text)]
        cards = [x.group(0) for x in CARD_RE.finditer(text)]
        bsns = [x.group(0) for x in BSN_RE.finditer(text)]
        valid_ids = ([i for i in ibans if iban_ok(i) and i.replace(" ", "") not in PUBLIC_IBANS]
                     + [c_ for c_ in cards if luhn_ok(c_)] + [b for b in bsns if bsn_ok(b)])
        for kind, val in m["used"]:
            if kind in CHECKSUM_OK:
                ok = iban_ok(val) if kind.startswith("iban") else luhn_ok(val) if kind.startswith("card") else bsn_ok(val)
                if not ok or P not in cats:
                    errs.append((cid, "positive identifier fails check or not pii: %s" % val))
            if kind in CHECKSUM_BAD:
                ok = iban_ok(val) if kind.startswith("iban") else luhn_ok(val) if kind.startswith("card") else bsn_ok(val)
                if ok or cats:
                    errs.append((cid, "look-alike passes check or in positive: %s" % val))
            if kind == "ghp" and not github_token_ok(val):
                errs.append((cid, "github token checksum"))
            if kind == "aws_id" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
                errs.append((cid, "aws id"))
            if kind == "jwt" and not jwt_ok(val):
                errs.append((cid, "jwt"))
        if P not in cats and valid_ids:
            errs.append((cid, "checksum-valid identifier in non-pii post: %s" % valid_ids))
        has_ck = bool(valid_ids)
        if exp["severity"] != severity(role, cats, has_ck and P in cats):
            errs.append((cid, "severity mismatch"))
        if not cats:
            for i in ibans:
                if iban_ok(i) and i.replace(" ", "") not in PUBLIC_IBANS:
                    errs.append((cid, "benign valid iban"))

        # --- secrets
        found_secrets = [x.group(0) for r in SECRET_RES for x in r.finditer(norm(text) if "wachtwoord" in r.pattern else text)]
        real_secrets = [s for s in found_secrets if s not in SAMPLE_SECRETS
                        and "xxxx" not in s and "user:password@localhost" not in s]
        if S in cats and not real_secrets:
            errs.append((cid, "secret positive without secret"))
        if S not in cats and real_secrets:
            errs.append((cid, "secret in non-secret post: %s" % real_secrets))

        # --- confidential terms and embargo
        nt = norm(text)
        hits = [t for t in conf_terms if t in nt]
        emb_hits = [t for terms, until in embargo for t in terms if t in nt and t_post < until]
        emb_after = [t for terms, until in embargo for t in terms if t in nt and t_post >= until]
        if (hits or emb_hits) and C not in cats:
            errs.append((cid, "confidential term in post without leak.confidential: %s" % (hits + emb_hits)))
        if C in cats and not (hits or emb_hits):
            errs.append((cid, "leak.confidential without codename/marker/internal host/embargo"))
        if emb_after and cats:
            errs.append((cid, "post-embargo term in positive (should be a benign case)"))

        # --- prices
        prods = products_in(text)
        prices = [parse_price(x) for x in PRICE_RE.finditer(text)]
        if PR in cats:
            low = any(p < 0.5 * min(pr["list_price"] for pr in prods) for p in prices) if prods else False
            talk = re.search(r"prijsfout|price error|pricing error|glitch|typfout|fix the price", nt)
            if not prods or not (low or talk):
                errs.append((cid, "pricing positive without product + low price/price error"))
        elif prods and prices:
            floor = 0.5 * min(pr["list_price"] for pr in prods)
            if any(p < floor for p in prices):
                errs.append((cid, "low price in non-pricing post: %s" % prices))

    # --- mix
    n = len(out)
    benign = sum(1 for o in out if not o["expect"]["categories"])
    nl = sum(1 for o in out if o["post"]["lang"] == "nl")
    if not (55 <= benign <= 65):
        errs.append(("mix", "benign %d" % benign))
    if not (0.50 <= nl / n <= 0.60):
        errs.append(("mix", "dutch share %.2f" % (nl / n)))
    counts = {}
    for o in out:
        for cat in o["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {CO: 20, C: 18, P: 15, CR: 15, SEC: 13, S: 12, AB: 12, PR: 12, F: 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 2:
            errs.append(("mix", "%s %d (want ~%d)" % (cat, counts.get(cat, 0), w)))
    roles = {}
    for o, m in zip(out, meta):
        key = ("leak" if any(x.startswith("leak.") for x in o["expect"]["categories"]) else
               "rep" if o["expect"]["categories"] else "benign", m["role"])
        roles[key] = roles.get(key, 0) + 1
    return errs, counts, benign, nl, roles


def main():
    out, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as f:
        back = [json.loads(line) for line in f]
    assert back == out
    errs, counts, benign, nl, roles = check(back, meta)
    print("cases %d, benign %d, dutch %d (%.0f%%)" % (len(back), benign, nl, 100 * nl / len(back)))
    for k in sorted(counts):
        print("  %-22s %d" % (k, counts[k]))
    for k in sorted(roles):
        print("  %-8s %-10s %d" % (k[0], k[1], roles[k]))
    sev = {}
    for o in back:
        sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
    print("  severities", {k: sev.get(k, 0) for k in ORDER})
    if errs:
        for e in errs:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
