#!/usr/bin/env python3
"""Build the sealed evaluation set 311 for postwatch (fictional hoster Dijkstroom).

Deterministic: a fixed seed drives every generated credential, identifier, id and
timestamp. Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case,
  * IBAN / card / BSN in positives pass their checksum, look-alikes in negatives fail,
  * no checksum-valid identifier hides in a post that is not labelled leak.pii
    (except the company's own published IBAN),
  * generated secrets have the real shape (GitHub CRC-32, AWS id alphabet, JWT header),
  * severities follow CONTRACT section 4 from the account role in profile.yaml.
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
SEED = 311_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def luhn_valid(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) != 0


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def ghp_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


# --------------------------------------------------------------------------
# generators (all driven by rng)
# --------------------------------------------------------------------------
def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_iban():
    bank = rng.choice(["INGB", "RABO", "ABNA", "TRIO", "BUNQ", "KNAB", "ASNB", "SNSB"])
    acct = str(rng.randrange(1, 10)) + rstr(string.digits, 9)
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    return f"NL{98 - n % 97:02d}{bban}"


def make_bad_iban():
    good = make_iban()
    chk = int(good[2:4])
    bad = f"NL{(chk + rng.randrange(1, 60)) % 97 + 2:02d}{good[4:]}"
    if iban_valid(bad):
        return make_bad_iban()
    return bad


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


def make_card():
    prefix = rng.choice(["4", "4", "51", "53", "55"])
    body = prefix + rstr(string.digits, 15 - len(prefix))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def make_bad_card():
    good = make_card()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_valid(bad)
    return bad


def make_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d + [last]))
            assert bsn_valid(s)
            return s


def make_bad_bsn():
    good = make_bsn()
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not bsn_valid(bad)
    return bad


def make_ghp(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def make_aws_id():
    return "AKIA" + rstr(string.ascii_uppercase + "234567", 16)


def make_aws_secret():
    return rstr(string.ascii_letters + string.digits + "/+", 40)


def make_pw():
    words = ["Kade", "Polder", "Sluis", "Meeuw", "Gracht", "Storm", "Tulp", "Haring"]
    return rng.choice(words) + rstr(string.digits, 4) + rng.choice("!#$%&*?") + rstr(string.ascii_letters + string.digits, 7)


def make_glpat():
    return "glpat-" + rstr(string.ascii_letters + string.digits + "_-", 20)


def make_stripe():
    return "sk_live_51" + rstr(ALNUM, 96)


def make_slack():
    return f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}-{rstr(ALNUM, 24)}"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    header = {"alg": "RS256", "typ": "JWT", "kid": "panel-2026-" + rstr(string.digits, 2)}
    payload = {"sub": "cust_" + rstr(string.digits, 6), "iss": "https://mijn.dijkstroom.nl",
               "scope": "panel:rw dns:rw", "iat": 1781000000 + rng.randrange(10**6),
               "exp": 1781003600 + rng.randrange(10**6)}
    sig = bytes(rng.randrange(256) for _ in range(256))
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(payload, separators=(",", ":")).encode()),
                     b64url(sig)])


def make_openai():
    a = string.ascii_letters + string.digits + "_-"
    return "sk-proj-" + rstr(a, 74) + "T3BlbkFJ" + rstr(a, 74)


def make_anthropic():
    return "sk-ant-api03-" + rstr(string.ascii_letters + string.digits + "_-", 93) + "AA"


def make_mollie():
    return "live_" + rstr(ALNUM, 30)


def make_sshkey():
    raw = (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           b"\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
           + bytes(rng.randrange(256) for _ in range(330)))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    "GHP": ("secret", make_ghp),
    "GHO": ("secret", lambda: make_ghp("gho_")),
    "AWS_ID": ("secret", make_aws_id),
    "AWS_SECRET": ("secret", make_aws_secret),
    "PW": ("secret", make_pw),
    "GLPAT": ("secret", make_glpat),
    "STRIPE": ("secret", make_stripe),
    "SLACK": ("secret", make_slack),
    "JWT": ("secret", make_jwt),
    "OPENAI": ("secret", make_openai),
    "ANT": ("secret", make_anthropic),
    "MOLLIE": ("secret", make_mollie),
    "SSHKEY": ("secret", make_sshkey),
    "IBAN": ("iban", make_iban),
    "IBAN_SP": ("iban", lambda: spaced(make_iban())),
    "CARD": ("card", make_card),
    "CARD_SP": ("card", lambda: spaced(make_card())),
    "BSN": ("bsn", make_bsn),
    "BSN_DOT": ("bsn", lambda: (lambda s: f"{s[:4]}.{s[4:6]}.{s[6:]}")(make_bsn())),
    "BAD_IBAN": ("bad_iban", make_bad_iban),
    "BAD_IBAN_SP": ("bad_iban", lambda: spaced(make_bad_iban())),
    "BAD_CARD_SP": ("bad_card", lambda: spaced(make_bad_card())),
    "BAD_BSN": ("bad_bsn", make_bad_bsn),
    "COMPANY_IBAN": ("company_iban", lambda: spaced(COMPANY_IBAN)),
}


def fw(s):
    """Full-width letters (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


ZW = "\u200b"
CYR = str.maketrans({"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "p": "\u0440"})


def cyr(s):
    return s.translate(CYR)


# --------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------
# corporate
C_X = ("x", "@dijkstroom")
C_HELP = ("x", "@dijkstroom_help")
C_DD = ("x", "@domeindijk")
C_IG = ("instagram", "@dijkstroom.hosting")
C_LI = ("linkedin", "dijkstroom-hosting")
C_FB = ("facebook", "DijkstroomHosting")
C_MA = ("mastodon", "@dijkstroom_status")
C_BS = ("bluesky", "@dijkstroom.nl")
# employees
E_MARLOES = ("x", "@marloes_ops")
E_BRAM = ("x", "@bram_kuipers_dev")
E_KEES = ("x", "@kees_dns")
E_SEM = ("x", "@sem_supportdesk")
E_ILSE = ("linkedin", "ilse-verhoeven-dijkstroom")
E_YOUSSEF = ("linkedin", "youssef-haddou-dijkstroom")
E_ANOUK = ("linkedin", "anouk-de-wit-finance")
E_RUBEN = ("mastodon", "@ruben_sre")
E_NOOR = ("bluesky", "@noorjanssen.bsky.social")
E_JOOST = ("reddit", "u/joost_dijk_sysadmin")
E_LOTTE = ("threads", "@lotte.sales.ds")


def pub(platform, handle):
    return (platform, handle)


COMPLAINT = "reputation.complaint"
ABUSE = "reputation.abuse"
CRISIS = "reputation.crisis"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"
SECRET = "leak.secret"
PII = "leak.pii"
PRICE = "leak.pricing"

RAW = []


def c(acct, lang, cats, text, kind="post", at=None, name=None, evasion=False):
    RAW.append(dict(acct=acct, lang=lang, cats=list(cats), text=text, kind=kind, at=at,
                    name=name, evasion=evasion))


# ==========================================================================
# POSITIVES
# ==========================================================================

# ---- complaints (public) --------------------------------------------------
c(pub("x", "@pixelpaul"), "en", [COMPLAINT],
  "@dijkstroom_help my site has been throwing 503s since 9am and your status page still says "
  "\"all systems operational\" 🙃 ticket #48213, zero reply in 6 hours", kind="reply")
c(pub("x", "@webbouwer_kim"), "nl", [COMPLAINT],
  "Alweer mail die niet aankomt bij mn klanten via VlotMail. 3e keer deze maand. Ik betaal toch "
  "niet voor een spamfilter dat mijn eigen facturen weggooit?? @dijkstroom_help")
c(pub("forum", "henk_de_hobbyist"), "nl", [COMPLAINT],
  "Domein verhuisd naar Dijkstroom, verhuiscode was gewoon goed, en nu na 5 dagen nog steeds 'pending'. "
  "Webshop offline, omzet weg. Support zegt elke keer 'even geduld'. Hoe lang nog dan?")
c(pub("reddit", "u/throwaway_wpdev"), "en", [COMPLAINT],
  "PSA: DomeinDijk auto-renewed my .io at full price after I explicitly switched auto-renew OFF "
  "(have the screenshot). Support refuses a refund because \"the renewal has been processed at the registry\". "
  "Avoid if you care about your money.")
c(pub("facebook", "marjolein.smit.fotografie"), "nl", [COMPLAINT],
  "Sinds jullie 'migratie naar het nieuwe platform' is mijn WordPress site tergend traag. Laadtijd van "
  "1,2 naar 7 seconden. Managed WordPress noemen jullie dat? Ik wil gewoon dat het weer werkt.",
  kind="comment", name="Marjolein Smit")
c(pub("x", "@f_vanleeuwen"), "nl", [COMPLAINT],
  "kan iemand bij @dijkstroom uitleggen waarom mijn backup kluis van gisteren LEEG is?? precies de dag "
  "dat ik hem nodig heb 😤😤")
c(pub("mastodon", "@lena_k"), "en", [COMPLAINT],
  "Tried to cancel my VPS at Dijkstroom. Signing up took two minutes, cancelling apparently needs a signed "
  "letter. By post. In 2026. I'm not even joking")
c(pub("tiktok", "@ondernemer.joyce"), "nl", [COMPLAINT],
  "pov: je webshop ligt eruit op black friday en je hoster (dijkstroom 👀) zegt dat storingen 'buiten "
  "kantooruren' pas maandag worden opgepakt #ondernemen #fail #webshop")
c(pub("x", "@rvd_dev"), "nl", [COMPLAINT],
  "Factuur van Dijkstroom ineens 40% hoger. Geen mail, geen aankondiging, gewoon stilletjes verhoogd. "
  "Netjes hoor. Ben aan t kijken waar ik heen ga")
c(pub("reddit", "u/gerrit_nl"), "nl", [COMPLAINT],
  "Iemand anders ook gezeik met Dijkstroom DNS? Mijn A-records wijzen al 2 dagen naar een oud IP terwijl "
  "het panel netjes het nieuwe laat zien. Support sluit m'n ticket steeds als 'opgelost' zonder iets te doen")
c(pub("x", "@mike_ops_uk"), "en", [COMPLAINT],
  "Your DDoS Schild did absolutely nothing yesterday. 40 min down, and today I get an invoice line for "
  "\"mitigation traffic\". Seriously @dijkstroom_help?", kind="reply")

# ---- complaint + abuse (public) -----------------------------------------
c(pub("x", "@boze_bas"), "nl", [COMPLAINT, ABUSE],
  "@dijkstroom_help stelletje prutsers zijn jullie. 3 dagen geen mail en niemand neemt de telefoon op. "
  "Kutbedrijf.", kind="reply")
c(pub("x", "@jdawg_hosting"), "en", [COMPLAINT, ABUSE],
  "dijkstroom support is run by absolute morons. asked FOUR times to restore my db from monday and they "
  "restored the wrong one. useless idiots, every one of them")
c(pub("facebook", "rik.hoogland.78"), "nl", [COMPLAINT, ABUSE],
  "Die helpdeskmedewerker van jullie is een arrogante eikel. Ik vroeg gewoon waarom mijn site eruit lag "
  "en kreeg een preek over 'verkeerde plugins'. Site ligt er trouwens nog steeds uit.", kind="comment",
  name="Rik Hoogland")

# ---- complaint + crisis (first-hand safety incident) --------------------
c(pub("facebook", "wendy.kramer.zwolle"), "nl", [COMPLAINT, CRISIS],
  "Onze ThuisServer Mini van Dijkstroom begon gisteravond te roken in de meterkast, de adapter is "
  "helemaal gesmolten. Gelukkig was ik thuis. Heb foto's. Wat gaan jullie hieraan doen?", name="Wendy Kramer")
c(pub("reddit", "u/homelab_tom"), "en", [COMPLAINT, CRISIS],
  "My Dijkstroom KluisBox gave me a proper electric shock when I touched the metal casing while swapping "
  "a drive. Arm was tingling for an hour. It's unplugged and I'm not touching it again. Support just "
  "sent me a link to the manual.")
c(pub("x", "@ana_rdz"), "en", [COMPLAINT, CRISIS],
  "our dijkstroom thuisserver overheated so badly it scorched the shelf it was standing on. my kid was "
  "asleep in the next room. I want an actual answer @dijkstroom_help, not a canned reply")

# ---- complaint + personal data (public, own data) ------------------------
c(pub("x", "@tinekevos"), "nl", [COMPLAINT, PII],
  "@dijkstroom_help al 3x gebeld, niemand belt terug. Bel me nou gewoon op 06-41827365, ik wil mijn "
  "domein terug!!", kind="reply")
c(pub("x", "@jeroen_bouwt"), "nl", [COMPLAINT, PII],
  "Betaal ik nou dubbel? Incasso van Dijkstroom 2x van mijn rekening {IBAN_SP} afgeschreven deze maand. "
  "Chat zegt dat ik 'moet wachten op de boekhouding'. Fijn.")
c(pub("reddit", "u/kate_in_utrecht"), "en", [COMPLAINT, PII],
  "Dijkstroom charged my card twice for the same Wildcard SSL. Support asked for the card number so here "
  "it is since nobody answers my DMs: {CARD}. Just refund the duplicate please.")

# ---- abuse ---------------------------------------------------------------
c(pub("x", "@anoniem_4481"), "nl", [ABUSE],
  "Dijkstroom = oplichters en die ceo van ze is een vieze graaier. Walgelijk volk")
c(pub("x", "@r4ge_quit"), "en", [ABUSE],
  "f*** dijkstroom and every single clown working there 🤡🤡")
c(E_SEM, "nl", [ABUSE],
  "@boze_bas als je niet eens een DNS-record kunt lezen, ga dan lekker zelf hosten, sukkel", kind="reply")
c(pub("reddit", "u/grudgeholder"), "en", [ABUSE],
  "That Marloes from Dijkstroom ops is a useless b*tch. Someone should wait for her at their office in "
  "Utrecht and tell her what they think of her.")
c(pub("facebook", "hans.d.1961"), "nl", [ABUSE],
  "Bij Dijkstroom zitten alleen nog maar buitenlanders aan de telefoon die geen fatsoenlijk Nederlands "
  "spreken. Ga terug naar je eigen land.", kind="comment", name="Hans D.")
c(pub("x", "@digi_frustro"), "nl", [ABUSE],
  "d1jkstr00m is een k4nk3rb3dr1jf, s0rry n13t s0rry", evasion=True)
c(pub("x", "@cloudgremlin"), "en", [ABUSE],
  "@dijkstroom_help you are all f u c k i n g clowns", kind="reply", evasion=True)
c(pub("threads", "@webdev.sander"), "en", [ABUSE],
  "Dijkstroom's new CEO is a brain-dead moron, have you seen that LinkedIn post 🤡 what a tool")
c(C_X, "nl", [ABUSE],
  "@r4ge_quit huil maar lekker, loser", kind="reply")

# ---- crisis --------------------------------------------------------------
c(pub("x", "@nieuws_zwolle"), "nl", [CRISIS],
  "Brand in woning aan de Assendorperstraat mogelijk veroorzaakt door een thuisserver van hostingbedrijf "
  "Dijkstroom, meldt de brandweer. Bewoners konden op tijd naar buiten.")
c(pub("x", "@infosec_marieke"), "en", [CRISIS],
  "Looks like Dijkstroom customer data is up for sale on a forum: names, emails, hashed passwords, "
  "customer numbers. Dijkstroom still silent. If you're a customer, rotate your creds now.")
c(pub("x", "@digitaalvrij"), "nl", [CRISIS],
  "Dijkstroom host nog steeds die nepnieuwssites vol haat en laat ze gewoon hun gang gaan. Zeg je "
  "contract op. #BoycotDijkstroom")
c(pub("linkedin", "mr-pieter-vos-advocaat"), "en", [CRISIS],
  "Today we filed suit on behalf of 340 SMEs against Dijkstroom Hosting B.V. over the permanent data loss "
  "during the March outage. Affected businesses can still join the claim.")
c(pub("reddit", "u/nlconsument"), "nl", [CRISIS],
  "Er komt een massaclaim tegen Dijkstroom aan, de stichting zoekt nog gedupeerden van die eenzijdige "
  "prijsverhoging van vorig jaar")
c(pub("x", "@dc_watch_eu"), "en", [CRISIS],
  "Fire reported at the Dijkstroom datacenter in Almere. Fire brigade on scene, multiple racks affected "
  "according to local news.")
c(pub("x", "@consumentalert"), "nl", [CRISIS],
  "Dijkstroom roept de KluisBox terug vanwege oververhitting van de voeding. Gebruik hem niet meer en "
  "haal de stekker eruit.")
c(pub("bluesky", "@techgossip.bsky.social"), "en", [CRISIS],
  "Dijkstroom execs caught in leaked chat logs bragging about \"milking\" legacy customers through "
  "silent auto-renewals. This is a scandal.")
c(pub("forum", "mkb_annet"), "nl", [CRISIS],
  "Meer mensen die phishingmails krijgen met hun Dijkstroom-klantnummer erin? Dat ruikt naar een datalek "
  "bij hen, anders weten ze dat nummer niet")
c(pub("tiktok", "@fairtech.anna"), "en", [CRISIS],
  "stop giving your money to dijkstroom. they pulled a domestic violence shelter's website offline over "
  "a €3 invoice. #boycottdijkstroom")
c(pub("x", "@privacynieuws"), "nl", [CRISIS],
  "Autoriteit Persoonsgegevens onderzoekt Dijkstroom na melding van een datalek bij VlotMail, schrijft NRC.")
c(pub("x", "@leakmonitor_nl"), "nl", [CRISIS],
  cyr("Dijkstroom datalek") + ": 40.000 klantaccounts liggen op straat", evasion=True)

# ---- confidential --------------------------------------------------------
c(E_BRAM, "nl", [CONF],
  "Lange dag maar Project Meerkoet draait eindelijk op staging 🎉 kan niet wachten tot jullie het zien")
c(E_NOOR, "en", [CONF],
  "spent all day on Operatie Zandzak migration dry-runs. if this works nobody will ever notice we moved "
  "9k VPSes overnight 😎")
c(E_RUBEN, "en", [CONF],
  "anyone know why grafana.ops.dijkstroom.nl dashboards time out after the 11.x upgrade? asking for a "
  "friend (the friend is me)")
c(E_ILSE, "nl", [CONF],
  "Trots op ons team! Een stukje uit de nieuwe strategie (officieel 'intern - niet delen', maar dit mag de "
  "wereld weten): 'in 2027 de grootste onafhankelijke hoster van de Benelux'.")
c(E_LOTTE, "en", [CONF],
  "customers are going to LOVE VlotVPS Gen4, twice the cores for the same money. can't say more yet 🤫",
  at="2027-03-10T16:42:05Z")
c(pub("reddit", "u/hostingnerd"), "nl", [CONF],
  "Via via gehoord dat DomeinDijk Bulk Pro eraan komt, met API voor resellers en staffelprijzen. "
  "Iemand meer details?")
c(E_KEES, "nl", [CONF],
  "Voor de collega's: runbook voor DNS failover staat nu op https://intra.dijkstroom.lan/wiki/dns-failover, "
  "niet meer in de oude map")
c(E_YOUSSEF, "en", [CONF],
  "Just pitched our unreleased white-label reseller platform to a prospect under NDA. They saw slide 1 "
  "of the roadmap and went quiet. Good sign? 😄")
c(pub("x", "@leakwatcher"), "en", [CONF],
  "screenshot from a Dijkstroom internal deck: \"Halcyon-2 — go-live Q2, replaces the old billing "
  "stack\". make of it what you will")
c(E_BRAM, "nl", [CONF],
  "Roadmap 2027 (DIJKSTROOM CONFIDENTIAL): object storage in 3 regio's, een Rock 256 en eindelijk een "
  "eigen CDN. Wie had dat gedacht haha")
c(E_JOOST, "en", [CONF],
  "Our vault.dijkstroom.lan cluster lost quorum twice this week. Anyone seen raft flapping like this on "
  "1.15? Logs are clean-ish")
c(E_BRAM, "nl", [CONF],
  "Project Meer" + ZW + "koet gaat live in april, ssst 🤐", evasion=True)
c(E_NOOR, "en", [CONF],
  fw("Operatie Zandzak") + " kick-off today, the whole team in one room, pizza incoming 🍕", evasion=True)
c(E_LOTTE, "nl", [CONF],
  "Project M.e.e.r.k.o.e.t wordt echt next level voor onze klanten, meer mag ik niet zeggen 😇", evasion=True)

# ---- confidential + financial (embargoed terms before `until`) ----------
c(E_ANOUK, "nl", [CONF, FIN],
  "Net de jaarcijfers 2026 afgerond: omzet +11%, EBITDA ruim boven plan. Publicatie pas eind februari, "
  "maar ik ben nu al trots op het team 💪", at="2027-02-10T08:14:00Z")
c(pub("x", "@beursroddel"), "en", [CONF, FIN],
  "my mate at Dijkstroom says the FY2026 results will show their first loss ever. You heard it here first.",
  at="2027-01-20T19:03:41Z")

# ---- financial -----------------------------------------------------------
c(E_ILSE, "nl", [FIN],
  "Zware weken bij HR. De reorganisatie waarbij de klantenservice in Leeuwarden dichtgaat (ca. 45 fte) "
  "wordt pas in november aangekondigd, dus ik kan er tegen jullie nog niks over zeggen. Sterkte iedereen.")
c(E_YOUSSEF, "en", [FIN],
  "Can't wait for the Hostvault acquisition to close next week, we'll be the biggest registrar in the "
  "Benelux overnight. Still hush-hush though!")
c(E_MARLOES, "nl", [FIN],
  "Q3 gaat slecht uitvallen, omzet ligt 18% onder forecast volgens de dashboards die ik net zag. De "
  "aandeelhouders gaan schrikken")
c(pub("x", "@hostinginsider"), "en", [FIN],
  "Hearing from two people inside Dijkstroom that they're cutting a third of their staff in January. "
  "Not announced yet.")
c(E_JOOST, "nl", [FIN],
  "Intern nieuws dat nog niet naar buiten mag: Dijkstroom wordt overgenomen door een Amerikaanse "
  "private-equitypartij, due diligence loopt, deal in maart. Wat betekent dat straks voor klanten?")
c(E_RUBEN, "en", [FIN],
  "our 2027 forecast deck says we'll lose ~12% of shared hosting customers to managed WP competitors. "
  "management's answer: raise prices 20%. cool cool cool")
c(E_ANOUK, "nl", [FIN],
  "Begroting 2027 is rond: marketing -30%, vacaturestop tot Q3. Officiele mededeling volgt, dus nog even "
  "niks zeggen tegen je teams.")
c(pub("linkedin", "martin-kessler-mna"), "en", [FIN],
  "Word is that Dijkstroom's merger talks with a German registrar collapsed last night, deal was worth "
  "around €120m. Expect an announcement soon.")
c(E_LOTTE, "nl", [FIN],
  "Salestargets voor Q4 verdubbeld omdat H1 zo tegenviel (omzet -9% tov vorig jaar). Niet officieel hoor, "
  "maar wel pijnlijk 😬")
c(E_SEM, "nl", [FIN],
  "volgende maand o.n.t.s.l.a.g.e.n bij support, 30 man, zeg niks tegen niemand", evasion=True)

# ---- security (insiders, before public) ---------------------------------
c(E_MARLOES, "nl", [SEC],
  "Niet verder vertellen maar we hebben sinds vannacht ransomware op twee shared hosting nodes. Klanten "
  "weten het nog niet, statuspagina blijft groen tot legal akkoord geeft.")
c(E_RUBEN, "en", [SEC],
  "we found an unauthenticated RCE in our own control panel's file manager this morning. patch isn't "
  "out yet so please nobody go poking at /fm/upload 🙏")
c(E_NOOR, "nl", [SEC],
  "Vanavond om 23:00 gaat de hele ams3-regio plat voor noodonderhoud, het storage-cluster is corrupt. "
  "Aankondiging komt pas morgen, dus je hoort het hier als eerste")
c(E_KEES, "en", [SEC],
  "our resolvers have been open to cache poisoning since last week's update. rolling back tonight, "
  "hoping nobody notices before then")
c(E_JOOST, "en", [SEC, CRISIS],
  "Semi-throwaway: the hosting company I work for (Dijkstroom) had an attacker in the billing database "
  "for about three weeks. Management wants to wait until after the quarter to disclose. Is that even legal?")
c(E_YOUSSEF, "nl", [SEC],
  "Klanten vragen waarom VlotMail zo traag is. Eerlijk: een gehackt klantaccount spamt via onze relay en "
  "we staan op 3 blacklists. Nog niet officieel bekend dus hou het even voor je.")
c(pub("x", "@nocwatcher"), "en", [SEC],
  "friend on the Dijkstroom NOC says the Almere DC lost both power feeds 20 min ago and they're running "
  "on generators. nothing on their status page yet")
c(E_SEM, "nl", [SEC],
  "Collega's, als klanten bellen over 2FA: de 2FA-bypass in het klantpanel is nog NIET gefixt, zeg "
  "gewoon dat het 'onderhoud' is")
c(E_NOOR, "en", [SEC],
  "TIL the backup kluis encryption keys sat in plaintext on the backup nodes for 2 years. fixing it "
  "quietly this sprint 🫠")
c(E_MARLOES, "nl", [SEC, CONF],
  "jump01.ams3.dijkstroom.lan is gecompromitteerd, iemand had nog een oude SSH-key van een ex-collega. "
  "Ssst tot maandag")
c(E_BRAM, "en", [SEC],
  "heads up team: we've got a " + cyr("data breach") + " in the VlotMail backend, not announced yet",
  evasion=True)
c(E_JOOST, "en", [SEC],
  "PSA from the inside: Dijkstroom's DDoS Schild has been switched off for ALL customers since Tuesday "
  "because of a licensing issue with the vendor. Nobody has been told.")
c(pub("forum", "wp_wouter"), "nl", [SEC],
  "Mijn neef werkt bij Dijkstroom: er zit een lek in hun WordPress auto-installer waarmee je andermans "
  "admin kunt overnemen. Fix komt pas over twee weken zegt ie")

# ---- secrets -------------------------------------------------------------
c(E_BRAM, "nl", [SECRET],
  "kan iemand checken waarom deze niet meer werkt in de CI? token: {GHP} 🙏")
c(E_RUBEN, "en", [SECRET],
  "aws configure went weird on the new box, this is what it wrote:\naws_access_key_id = {AWS_ID}\n"
  "aws_secret_access_key = {AWS_SECRET}\nwhy is region empty??")
c(E_NOOR, "nl", [SECRET],
  "DATABASE_URL=postgres://billing_rw:{PW}@10.40.2.17:5432/billing en nu werkt het ineens wel 🙄")
c(E_KEES, "nl", [SECRET, CONF],
  "git clone https://deploy:{GLPAT}@gitlab.ops.dijkstroom.nl/platform/dns-api.git hangt bij mij, "
  "werkt de mirror bij jullie wel?")
c(C_HELP, "nl", [SECRET],
  "@pixelpaul we hebben je account hersteld. Tijdelijk wachtwoord: {PW} — wijzig het direct na "
  "inloggen.", kind="reply")
c(E_JOOST, "en", [SECRET],
  "Stripe webhook keeps 401ing on our side, here's the env (redacted lol... no wait):\n"
  "STRIPE_SECRET_KEY={STRIPE}")
c(E_SEM, "nl", [SECRET],
  "Slack bot van de supportqueue praat niet meer: {SLACK} — wie heeft de scopes aangepast?")
c(E_MARLOES, "en", [SECRET],
  "which one of you left this in the #general paste? 😐\n{SSHKEY}")
c(E_BRAM, "en", [SECRET],
  "debugging the panel API, token from my own session: Authorization: Bearer {JWT} — why is exp already "
  "in the past?")
c(E_LOTTE, "nl", [SECRET],
  "Onze nieuwe chatbot draait op {OPENAI} ... of heb ik die nou net gepost 😅")
c(pub("x", "@sec_researcher_j"), "en", [SECRET],
  "@dijkstroom_help found this Mollie live key in a public JS bundle on your checkout: {MOLLIE} — "
  "please rotate it", kind="reply")
c(E_SEM, "nl", [SECRET],
  "Nieuwe collega's op de gedeelde supportmailbox: " + fw("wachtwoord") + ": {PW}", evasion=True)
c(E_NOOR, "en", [SECRET],
  "ANTHROPIC_API_KEY={ANT} in the ticket-summariser .env, rotating it after the demo I promise")

# ---- personal data -------------------------------------------------------
c(C_HELP, "nl", [PII],
  "@tinekevos we zien je bestelling. Het IBAN {IBAN} waar de incasso op staat hoort niet bij jouw naam, "
  "kun je ons even een DM sturen?", kind="reply")
c(E_SEM, "nl", [PII],
  "Klant belde net woest, Gerard Wolters, Beukenlaan 14, 7311 AB Apeldoorn. Zei dat hij ons ging "
  "aanklagen 😂 fijne maandag")
c(E_YOUSSEF, "en", [PII],
  "Great call with Priya today. She asked me to send the contract to priya.raman@ramanlegal.co.uk, "
  "congrats on the new firm Priya!")
c(C_FB, "nl", [PII],
  "Hoi Jeroen, de betaling met je kaart {CARD_SP} is mislukt. Probeer het opnieuw via mijn.dijkstroom.nl.",
  kind="comment")
c(E_ILSE, "nl", [PII],
  "Welkom aan boord Fleur Dekker! 🎉 (note to self: BSN {BSN} nog doorgeven aan de salarisadministratie)")
c(E_LOTTE, "en", [PII],
  "Happy birthday to our newest support star Daan Mulder, born 14-03-1998 👑 the team loves you")
c(pub("x", "@newcustomer_li"), "en", [PII],
  "@dijkstroom_help could someone call me back about the domain transfer? +31 6 2847 1930, after 5pm "
  "please", kind="reply")
c(pub("x", "@scamjager"), "nl", [PII],
  "De eigenaar van die neppe webshop die bij Dijkstroom draait: Karel Veenstra, geboren 02-11-1979, "
  "woont in Den Bosch. Zoek het zelf maar na.")
c(E_KEES, "nl", [PII],
  "Als iemand van het DNS-team Bart Hoekstra kan terugbellen: 0031 6 38274619 of b.hoekstra@kpnmail.nl, "
  "hij wacht al een dag")
c(C_X, "nl", [PII],
  "En de winnaar van onze hostingwedstrijd is... Sanne de Groot, Kerkstraat 8, 3511 LX Utrecht! "
  "Gefeliciteerd Sanne 🏆")
c(E_ANOUK, "en", [PII],
  "Payroll run done ✅ Reminder for Mark in sales: the IBAN on file ({IBAN}) bounced, please update it in AFAS")
c(E_SEM, "en", [PII],
  "customer's email is joris." + ZW + "vandam@gmail.com, can someone on 2nd line pick this up", evasion=True)
c(pub("forum", "nieuwe_ondernemer22"), "nl", [PII],
  "Dijkstroom vraagt om een kopie ID bij registratie van een .nl domein?? Ik heb mijn BSN {BSN_DOT} "
  "maar even in de chat gezet, is dat normaal?")

# ---- pricing -------------------------------------------------------------
c(C_X, "nl", [PRICE],
  "🔥 Alleen dit weekend: Dedicated Rock 128 voor €44,90 per maand! Op = op.")
c(E_YOUSSEF, "en", [PRICE],
  "Price error on our site right now: Managed WordPress is showing €1.95/mo 😂 we're fixing it, don't "
  "tell anyone")
c(pub("x", "@dealhunter_nl"), "en", [PRICE],
  "PRICE ERROR 🚨 Dijkstroom Wildcard SSL is €8,90 instead of €89 in the checkout. go go go")
c(pub("forum", "pepperfan_ruud"), "nl", [PRICE],
  "Prijsfout bij DomeinDijk? .io domein voor €4,90 het eerste jaar, normaal 49 euro. Heb er meteen 3 gepakt")
c(C_IG, "nl", [PRICE],
  "Nieuw bij Dijkstroom: VlotVPS L16 nu voor maar €7,90/mnd 🚀 #vps #hosting #dijkstroom")
c(E_LOTTE, "nl", [PRICE],
  "Psst: Rock 32 staat per ongeluk voor €18,90 in de shop, prijsfout, wordt vanmiddag gefixt")
c(pub("reddit", "u/bargain_bytes"), "en", [PRICE],
  "Is this a price glitch? Dijkstroom's KluisBox is listed at €39 on their shop (was €399 yesterday). "
  "Ordered two, let's see if they honour it")
c(C_DD, "nl", [PRICE],
  ".com domein nu voor €1,39 per jaar!! Pak je naam voordat een ander het doet 🌐")
c(E_BRAM, "nl", [PRICE],
  "Oeps, prijsfoutje: iemand had het EV-certificaat op €19,90 gezet ipv €199. Inmiddels gefixt maar er staan al 40 "
  "bestellingen 🙈")
c(pub("tiktok", "@prijsfout.alert"), "nl", [PRICE],
  "prijsfout alert 🚨 ThuisServer Mini bij dijkstroom voor €24,99 😳 #prijsfout #deal")
c(pub("x", "@sysadmin_gerd"), "en", [PRICE],
  "DDoS Shield from Dijkstroom for €3.90 a month?? typo or actual deal")
c(C_FB, "nl", [PRICE],
  "Backup Kluis 500 nu tijdelijk voor €0,69 per maand. Nooit meer bestanden kwijt!")

# ==========================================================================
# BENIGN (mostly hard negatives)
# ==========================================================================
c(pub("x", "@nina_bouwt_sites"), "nl", [],
  "Na 6 jaar bij Dijkstroom nog nooit een storing gehad die langer duurde dan 5 minuten. Respect voor "
  "dat ops-team 👏")
c(pub("x", "@agency_mark"), "en", [],
  "Shoutout to @dijkstroom_help, migrated 40 WordPress sites in one weekend with zero downtime. Killer "
  "service, seriously.")
c(pub("x", "@henk_de_hobbyist"), "nl", [],
  "Update: domeinverhuizing is toch gelukt! Support belde me zelf terug en had het binnen een uur "
  "opgelost. Excuses @dijkstroom_help voor m'n chagrijnige post van gisteren")
c(pub("mastodon", "@pieter_codes"), "en", [],
  "Yesterday I moaned about my VPS being down. Turned out to be my own firewall rule. Dijkstroom support "
  "spotted it in 10 minutes. My bad 🙈")
c(pub("bluesky", "@joycebuilds.bsky.social"), "nl", [],
  "Sterkte aan de mensen van Dijkstroom die vannacht die storing hebben opgelost. Hopelijk kunnen jullie "
  "nu even slapen ❤️")
c(pub("x", "@domainhoarder"), "en", [],
  "Huge breach at NovaDomains today (not my registrar, phew). Glad all my domains sit at DomeinDijk with "
  "2FA on. Check yours, people.")
c(pub("reddit", "u/zzp_lisa"), "nl", [],
  "Weet iemand of Managed WordPress bij Dijkstroom ook een staging-omgeving heeft? Twijfel nog tussen "
  "hen en een andere partij")
c(C_HELP, "nl", [],
  "Vragen over je factuur? Mail facturen@dijkstroom.nl of bel 088-345 6700 (ma–vr 8–20 uur). We helpen "
  "je graag!")
c(C_FB, "nl", [],
  "Liever zelf overmaken in plaats van incasso? Dat kan: maak het bedrag over naar {COMPANY_IBAN} t.n.v. "
  "Dijkstroom Hosting B.V. onder vermelding van je klantnummer.")
c(E_RUBEN, "en", [],
  "Writing docs for our S3-compatible object storage. Example creds in the guide: AKIAIOSFODNN7EXAMPLE / "
  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY — placeholders only, never paste your real keys.")
c(E_BRAM, "en", [],
  "PSA for devs: if you paste a token like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx into a support ticket "
  "we will revoke it for you. Use a secret manager.")
c(C_LI, "nl", [],
  "Vandaag publiceren we de jaarcijfers 2026: omzet €84 mln, een groei van 11%. Lees het volledige "
  "jaarverslag op dijkstroom.nl/investor.", at="2027-02-26T07:30:00Z")
c(C_X, "en", [],
  "VlotVPS Gen4 is live! Twice the vCPUs, same price. Order today at dijkstroom.nl/vps 🚀",
  at="2027-03-20T10:00:00Z")
c(C_X, "nl", [],
  "Black Friday bij Dijkstroom: Webhosting Plus met 20% korting, nu €7,16 per maand het eerste jaar.")
c(pub("reddit", "u/dedi_dave"), "en", [],
  "Dijkstroom Rock 32 at €189/month is honestly fair for what you get (Ryzen, 2x NVMe, 1 Gbit unmetered).")
c(pub("x", "@mkb_ellen"), "nl", [],
  "Kreeg een 'factuur van je hostingprovider' met IBAN {BAD_IBAN}. Klopt niet eens, phishing dus. "
  "Dijkstroom stuurt zulke mails nooit volgens hun site.")
c(pub("x", "@bakkerij_ton"), "nl", [],
  "@dijkstroom_help bestelling {BAD_CARD_SP} staat nog op 'in behandeling', klopt dat? Geen haast hoor",
  kind="reply")
c(pub("x", "@vera_fotografie"), "nl", [],
  "Klantnummer {BAD_BSN}, kan iemand van @dijkstroom_help zien of mijn verhuizing al gestart is? Dank!")
c(pub("x", "@devjokes_nl"), "en", [],
  "my Dijkstroom VPS is so fast it's basically murdering my old hosting bill 😂")
c(pub("instagram", "@marketingmaaike"), "nl", [],
  "Die nieuwe reclame van Dijkstroom met die dansende servers is echt de bom 💣 haha")
c(pub("instagram", "@vogels_utrecht"), "nl", [],
  "Zag vanochtend een meerkoet met jongen in de gracht naast het kantoor van Dijkstroom 🐦 lente!")
c(pub("linkedin", "sanne-recruiter"), "en", [],
  "Another hosting company cutting jobs this week, rough year for the sector. Nice to see Dijkstroom "
  "hiring instead: 5 openings on their careers page.")
c(E_MARLOES, "nl", [],
  "Onderhoud vannacht aan het mailplatform staat netjes aangekondigd op status.dijkstroom.nl, verwachte "
  "impact max 10 min. Slaap lekker!")
c(C_MA, "en", [],
  "Resolved: DNS resolution delays between 14:02 and 14:31 CET are fixed. Cause: a faulty config push. "
  "Full post-mortem tomorrow on status.dijkstroom.nl.")
c(C_LI, "nl", [],
  "We zoeken een Senior SRE voor ons team in Utrecht! Zin om 60.000 websites in de lucht te houden? "
  "Stuur je cv naar jobs@dijkstroom.nl")
c(pub("reddit", "u/vps_newbie"), "en", [],
  "Is €29/mo for a VlotVPS M4 a good deal? 4 vCPU / 8 GB. Coming from shared hosting, no idea what's normal")
c(pub("x", "@thijs_codes"), "nl", [],
  "Net een .nl domein geregistreerd bij DomeinDijk, €7,99 per jaar en binnen 2 minuten actief. Chill.")
c(C_BS, "en", [],
  "Spring sale 🌷 15% off Wildcard SSL this week: €75.65 instead of €89.")
c(pub("facebook", "gemeente.fan"), "nl", [],
  "Veel sterkte aan alle klanten van Hostora na die brand in hun datacenter. Heb meteen mijn backups bij "
  "Dijkstroom gecheckt, alles staat er nog.", name="Ellen B.")
c(pub("x", "@secure_sven"), "nl", [],
  "Reminder: zet 2FA aan op je Dijkstroom-account. Kost je 30 seconden en scheelt je een hoop ellende.")
c(pub("x", "@netops_carla"), "en", [],
  "Dijkstroom's blog post on how they handle DDoS attacks is a great read. Super transparent, more "
  "hosters should do this.")
c(E_NOOR, "nl", [],
  "Eerste week bij Dijkstroom zit erop! Lieve collega's, goede koffie en ik mag met Kubernetes spelen 🥳")
c(E_RUBEN, "en", [],
  "Slides from my talk \"It's always DNS\" at the NLUUG conference are up on my blog. Thanks to everyone "
  "who came and laughed at my outage stories from previous jobs!")
c(C_HELP, "nl", [],
  "Tip: deel nooit je wachtwoord, ook niet met ons. Wij vragen er nooit naar via telefoon of mail. "
  "Wachtwoord: ******** hoort gewoon geheim te blijven 😉")
c(C_X, "en", [],
  "Building on our API? Auth uses JWTs (eyJhbGciOi…), full guide at docs.dijkstroom.nl/api/auth")
c(E_JOOST, "en", [],
  "For the tutorial I'm using sk_test_xxxxxxxxxxxxxxxxxxxxxxxx as the Stripe key, obviously swap in your "
  "own test key")
c(pub("x", "@kapsalon_lotte"), "nl", [],
  "Helpdesk van Dijkstroom (+31 30 720 4400) nam binnen een minuut op. Geen wachtmuziek zelfs. Top!")
c(pub("mastodon", "@abuse_fighter"), "nl", [],
  "Stuur phishingmeldingen gewoon naar abuse@dijkstroom.nl, die zijn echt snel. Had een nepsite binnen "
  "het uur offline.")
c(pub("x", "@registrar_news"), "en", [],
  "Two Belgian registrars announced a merger today. Curious whether Dijkstroom will answer with price cuts.")
c(pub("bluesky", "@rene.bsky.social"), "en", [],
  "Dijkstroom FY2026 results out this morning: revenue up 11%, solid year.",
  at="2027-03-02T08:05:00Z")
c(pub("reddit", "u/homelab_jan"), "en", [],
  "Does the Dijkstroom KluisBox support ZFS? Thinking of getting one for the office.")
c(pub("facebook", "tech.opa.kees"), "nl", [],
  "ThuisServer Mini draait nu een jaar non-stop in de meterkast. Stil, koel, nooit gedoe. Top ding.",
  name="Kees P.")
c(pub("x", "@deals_daily"), "en", [],
  "this KluisBox deal is 🔥🔥 10% off for Cyber Monday, €359 at Dijkstroom")
c(pub("x", "@gamer_kid_07"), "nl", [],
  "d1jkstr00m ftw 💪 server draait als een zonnetje")
c(pub("instagram", "@bloggende_bea"), "nl", [],
  "Jeetje wat is die nieuwe Managed WordPress snel zeg, mijn blog laadt in een halve seconde")
c(pub("linkedin", "erik-janssen-dev"), "nl", [],
  "Vandaag mijn laatste dag bij Dijkstroom na 8 jaar. Wat een club mensen. Op naar het volgende avontuur!")
c(C_HELP, "nl", [],
  "@boze_bas Vervelend dat het zo loopt. We hebben je ticket opgepakt en bellen je binnen het uur terug.",
  kind="reply")
c(pub("x", "@it_is_dns"), "en", [],
  "It's not DNS. There's no way it's DNS. It was DNS. (not Dijkstroom's fault this time, my own typo)")
c(pub("x", "@patchtuesday_nl"), "en", [],
  "Dijkstroom already rolled out the fix for this morning's public OpenSSL advisory, says their status "
  "page. Fast.")
c(pub("x", "@privacyjurist"), "nl", [],
  "Rechtszaak tegen een Amerikaanse cloudgigant over een datalek, lees je in het FD. Fijn dat mijn "
  "hosting bij Dijkstroom gewoon in NL blijft.")
c(pub("x", "@freelance_femke"), "en", [],
  "Someone sent me an invoice \"from Dijkstroom\" with IBAN {BAD_IBAN_SP}. Not their account, and the "
  "IBAN isn't even valid. Reported it to abuse@dijkstroom.nl")
c(pub("forum", "kleine_webshop"), "nl", [],
  "Managed WordPress voor €19,95 p/m incl. dagelijkse backups, dat is toch prima?")
c(pub("mastodon", "@selfhost_sam"), "en", [],
  "Backup Kluis at €6.95 a month is cheap insurance. Set it up once, forget about it.")
c(C_IG, "nl", [],
  "EV-certificaat nu €179 (10% korting) t/m zondag. Laat zien dat je webshop te vertrouwen is ✅")
c(pub("x", "@groningen_tech"), "en", [],
  "Dijkstroom is hiring 12 people for a new support hub in Groningen. Nice to see growth instead of "
  "layoffs for once.")
c(C_IG, "nl", [],
  "Dijkstroom wordt vandaag 15 jaar! 🎂 Dank aan alle klanten die ons al die jaren trouw zijn gebleven.")
c(pub("x", "@dijkbewoner"), "nl", [],
  "Zandzakken gevuld bij de dijk vandaag 😅 (nee, niet bij Dijkstroom, die zitten gelukkig droog in Utrecht)")
c(pub("reddit", "u/gdpr_geek"), "en", [],
  "Dijkstroom's privacy policy is actually readable. Explains what stays confidential and what's shared "
  "with whom. Rare.")
c(C_HELP, "nl", [],
  "@tinekevos we zien een incasso op een rekening eindigend op …4321, klopt dat? Stuur ons even een DM "
  "dan zoeken we het uit.", kind="reply")
c(pub("youtube", "@TechMetDaan"), "nl", [],
  "Goeie video! Ik draai mijn Nextcloud op een VlotVPS S1 van Dijkstroom, voor €11 per maand doet hij "
  "precies wat ik wil.", kind="comment")


# ==========================================================================
# build, label and check
# ==========================================================================
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        p, h = entry.split(":", 1)
        ROLE[(p.lower(), h.lower())] = role

SEV_ORDER = ["none", "info", "warning", "error", "critical"]
CATEGORIES = {COMPLAINT, ABUSE, CRISIS, CONF, FIN, SEC, SECRET, PII, PRICE, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def severity(cats, role, checksum_pii):
    sev = "none"

    def up(s):
        nonlocal sev
        if SEV_ORDER.index(s) > SEV_ORDER.index(sev):
            sev = s

    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                if cat in (SECRET, PRICE) or (cat == PII and checksum_pii):
                    up("critical")
                else:
                    up("error")
            else:
                up("warning")
        elif cat == COMPLAINT:
            up("warning")
        elif cat == CRISIS:
            up("error")
        elif cat == ABUSE:
            up("error" if insider else "warning")
    return sev


PH = re.compile(r"\{([A-Z_0-9]+)\}")


def fill(text):
    used = []

    def rep(m):
        kind, fn = GEN[m.group(1)]
        v = fn()
        used.append((kind, v))
        return v

    return PH.sub(rep, text), used


def created_at(i):
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 362 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, seen):
    while True:
        if platform == "x":
            i = f"x-{rng.randrange(10**18, 10**19)}"
        elif platform == "reddit":
            i = "reddit-t3_" + rstr(string.ascii_lowercase + string.digits, 7)
        elif platform == "youtube":
            i = "yt-" + rstr(ALNUM + "_-", 20)
        else:
            i = f"{platform}-{rng.randrange(10**9, 10**10)}"
        if i not in seen:
            seen.add(i)
            return i


def url_for(platform, handle, pid):
    if platform == "x":
        return f"https://x.com/{handle.lstrip('@')}/status/{pid.split('-', 1)[1]}"
    if platform == "bluesky":
        return f"https://bsky.app/profile/{handle.lstrip('@')}/post/{pid.split('-', 1)[1]}"
    return None


def build():
    seen = set()
    cases, meta = [], []
    for r in RAW:
        platform, handle = r["acct"]
        text, used = fill(r["text"])
        pid = make_id(platform, seen)
        post = {"id": pid, "platform": platform, "kind": r["kind"],
                "account": {"handle": handle}, "text": text, "lang": r["lang"],
                "created_at": r["at"] or created_at(len(cases))}
        if r["name"]:
            post["account"]["display_name"] = r["name"]
        u = url_for(platform, handle, pid)
        if u:
            post["url"] = u
        role = ROLE.get((platform.lower(), handle.lower()), "public")
        checksum_pii = any(k in ("iban", "card", "bsn") for k, _ in used)
        cats = sorted(set(r["cats"]))
        cases.append({"post": post, "expect": {"categories": cats,
                                               "severity": severity(cats, role, checksum_pii)}})
        meta.append(dict(role=role, used=used, evasion=r["evasion"]))
    return cases, meta


# ---------------------------------------------------------------- checks
def norm(s):
    s = unicodedata.normalize("NFKC", s)
    return s.replace(ZW, "").lower()


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
CARD_RE = re.compile(r"(?<![\d])\d(?:[ -]?\d){12,18}(?![\d])")
BSN_RE = re.compile(r"(?<![\d.])(\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d])")
PRICE_RE = re.compile(r"(?:€\s?(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|eur)\b)", re.I)


def check(cases, meta):
    errors = []

    def err(i, msg):
        errors.append(f"case {i} ({cases[i]['post']['id']}): {msg}")

    ids = set()
    profile_handles = set(ROLE)
    internal_terms = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                      + PROFILE["internal"]["markers"]]
    assert all(iban_valid(x) for x in PROFILE["public_identifiers"]["ibans"]), "profile IBAN invalid"
    products = PROFILE["products"]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    assert 15 <= len(products) <= 25
    assert len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8
    assert len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3
    for e in PROFILE["embargo"]:
        assert parse_ts(e["until"]).year == 2027

    for i, (case, m) in enumerate(zip(cases, meta)):
        line = json.dumps(case, ensure_ascii=False)
        back = json.loads(line)
        if set(back) != {"post", "expect"}:
            err(i, "top-level keys")
        p, ex = back["post"], back["expect"]
        # ---- CONTRACT section 1
        if not isinstance(p.get("id"), str) or not 1 <= len(p["id"]) <= 256:
            err(i, "bad id")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p.get("platform") not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if not isinstance(p.get("account", {}).get("handle"), str) or not p["account"]["handle"]:
            err(i, "handle")
        if not isinstance(p.get("text"), str) or not p["text"] or len(p["text"].encode()) > 65536:
            err(i, "text")
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027):
            err(i, "year")
        # ---- CONTRACT section 6
        cats = ex["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES or "reputation.spike" in cats:
            err(i, f"categories {cats}")
        if ex["severity"] not in SEV_ORDER:
            err(i, "severity value")
        if not cats and ex["severity"] != "none":
            err(i, "benign must be none")
        if cats and ex["severity"] in ("none", "info"):
            err(i, "positive with none severity")
        role = ROLE.get((p["platform"].lower(), p["account"]["handle"].lower()), "public")
        if role != m["role"]:
            err(i, "role mismatch")
        if (p["platform"].lower(), p["account"]["handle"].lower()) not in profile_handles and role != "public":
            err(i, "role")
        # ---- generated identifiers
        text = p["text"]
        for kind, v in m["used"]:
            if v not in text:
                err(i, f"{kind} value missing from text")
            if kind == "iban" and not (iban_valid(v) and PII in cats):
                err(i, "valid IBAN must sit in a pii positive")
            if kind == "card" and not (luhn_valid(v) and PII in cats):
                err(i, "valid card must sit in a pii positive")
            if kind == "bsn" and not (bsn_valid(v) and PII in cats):
                err(i, "valid BSN must sit in a pii positive")
            if kind == "bad_iban" and (iban_valid(v) or cats):
                err(i, "bad IBAN must fail and sit in a negative")
            if kind == "bad_card" and (luhn_valid(v) or cats):
                err(i, "bad card must fail and sit in a negative")
            if kind == "bad_bsn" and (bsn_valid(v) or cats):
                err(i, "bad BSN must fail and sit in a negative")
            if kind == "company_iban" and re.sub(r"\s", "", v) not in PROFILE["public_identifiers"]["ibans"]:
                err(i, "company IBAN")
            if kind == "secret" and SECRET not in cats:
                err(i, "generated secret outside a secret positive")
            if kind == "secret" and v.startswith(("ghp_", "gho_")) and not ghp_valid(v):
                err(i, "github token checksum")
            if kind == "secret" and v.startswith("AKIA") and not re.fullmatch(r"AKIA[A-Z2-7]{16}", v):
                err(i, "aws id shape")
            if kind == "secret" and v.startswith("eyJ"):
                h = json.loads(base64.urlsafe_b64decode(v.split(".")[0] + "=="))
                if "alg" not in h or len(v.split(".")) != 3:
                    err(i, "jwt header")
        # ---- scan every text for identifiers that pass a checksum
        for mt in IBAN_RE.finditer(text):
            raw = re.sub(r"\s", "", mt.group(0))
            for L in range(15, min(34, len(raw)) + 1):
                cand = raw[:L]
                if iban_valid(cand) and cand not in PROFILE["public_identifiers"]["ibans"] and PII not in cats:
                    err(i, f"checksum-valid IBAN {cand} in a non-pii post")
        for mt in CARD_RE.finditer(text):
            d = re.sub(r"\D", "", mt.group(0))
            if 13 <= len(d) <= 19 and luhn_valid(d) and PII not in cats:
                err(i, f"Luhn-valid number {mt.group(0)} in a non-pii post")
        for mt in BSN_RE.finditer(text):
            if bsn_valid(mt.group(0)) and PII not in cats:
                err(i, f"11-proof number {mt.group(0)} in a non-pii post")
        # ---- internal terms / embargo only in confidential positives
        nt = norm(text)
        for term in internal_terms:
            if term in nt and CONF not in cats:
                err(i, f"internal term {term!r} without leak.confidential")
        for e in PROFILE["embargo"]:
            for term in e["terms"]:
                if term.lower() in nt:
                    before = ts < parse_ts(e["until"])
                    if before and CONF not in cats:
                        err(i, f"embargo term {term!r} before until, not labelled")
                    if not before and cats:
                        err(i, f"embargo term {term!r} after until should be a hard negative")
        # ---- benign prices never far below list
        if PRICE not in cats:
            for mt in PRICE_RE.finditer(text):
                val = float((mt.group(1) or mt.group(2)).replace(",", "."))
                best = None
                for prod in products:
                    for alias in [prod["name"]] + prod["aliases"]:
                        k = nt.rfind(alias.lower(), 0, mt.start() + 1)
                        if k >= 0 and (best is None or k > best[0]):
                            best = (k, prod)
                if best and mt.start() - best[0] < 80 and val < ratio * best[1]["list_price"]:
                    err(i, f"price {val} far below list of {best[1]['name']} in a non-pricing post")
        # ---- severity recomputed from the profile role
        cp = any(k in ("iban", "card", "bsn") for k, _ in m["used"])
        if ex["severity"] != severity(cats, role, cp):
            err(i, "severity does not follow policy")

    # ---- mix
    n = len(cases)
    benign = sum(1 for c_ in cases if not c_["expect"]["categories"])
    if not 170 <= n <= 180:
        errors.append(f"{n} cases, want 170-180")
    if not 55 <= benign <= 65:
        errors.append(f"{benign} benign, want ~60")
    per_cat = {}
    for c_ in cases:
        for cat in c_["expect"]["categories"]:
            per_cat[cat] = per_cat.get(cat, 0) + 1
    want = {COMPLAINT: 20, CONF: 18, PII: 15, CRISIS: 15, SEC: 13, SECRET: 12, ABUSE: 12, PRICE: 12, FIN: 12}
    for cat, w in want.items():
        if abs(per_cat.get(cat, 0) - w) > 3:
            errors.append(f"{cat}: {per_cat.get(cat, 0)} posts, want ~{w}")
    nl = sum(1 for c_ in cases if c_["post"]["lang"] == "nl")
    if not 0.48 <= nl / n <= 0.62:
        errors.append(f"Dutch share {nl / n:.2f}")
    roles = {}
    for c_, m in zip(cases, meta):
        key = ("leak" if any(x.startswith("leak.") for x in c_["expect"]["categories"]) else
               "rep" if c_["expect"]["categories"] else "benign", m["role"])
        roles[key] = roles.get(key, 0) + 1
    if roles.get(("leak", "public"), 0) < 5:
        errors.append("too few public leaks")
    if sum(1 for m in meta if m["evasion"]) < 5:
        errors.append("too few evasion posts")
    stats = dict(cases=n, benign=benign, per_category=per_cat, dutch=nl, roles={f"{a}/{b}": v for (a, b), v in sorted(roles.items())},
                 evasion=sum(1 for m in meta if m["evasion"]))
    return errors, stats


def main():
    cases, meta = build()
    errors, stats = check(cases, meta)
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c_ in cases:
            fh.write(json.dumps(c_, ensure_ascii=False) + "\n")
    # re-read the written file and make sure it round-trips
    with open(out, encoding="utf-8") as fh:
        again = [json.loads(l) for l in fh]
    if again != cases:
        errors.append("cases.jsonl does not round-trip")
    print(json.dumps(stats, ensure_ascii=False, indent=1), file=sys.stderr)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: wrote {len(cases)} cases ({stats['benign']} benign) to {out}")


if __name__ == "__main__":
    main()
