#!/usr/bin/env python3
"""Build the labelled evaluation set sealed203 for postwatch.

Company: Delmare Pensioenbeheer B.V. (fictional Dutch pension administrator), see
profile.yaml beside this script.

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and then checks it:
  * every line is a valid labelled case (CONTRACT section 6 / input post section 1);
  * every IBAN, payment card and BSN in a positive passes its checksum, every
    look-alike in a benign post fails it;
  * generated credentials are well formed (GitHub CRC-32 checksum, AWS key id
    alphabet, JWT header with alg, ...);
  * severities are computed from the categories and the account role that the
    profile gives the author (CONTRACT section 4), never typed by hand;
  * internal names, embargo terms, prices, e-mails and phones agree with the labels.
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
SEED = 20300203
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------------------
# checksums
# --------------------------------------------------------------------------------------

def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct):
    n = int("".join(str(int(c, 36)) for c in bank + acct + "NL00"))
    return "NL%02d%s%s" % (98 - n % 97, bank, acct)


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and tot != 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


BANKS = ["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"]


def gen_iban(spaced):
    while True:
        ib = make_iban(rng.choice(BANKS), "".join(rng.choice(string.digits) for _ in range(10)))
        if iban_ok(ib):
            return group4(ib) if spaced else ib


def gen_bad_iban(spaced):
    good = gen_iban(False)
    while True:
        pos = rng.randrange(8, 18)
        bad = good[:pos] + str((int(good[pos]) + rng.randrange(1, 10)) % 10) + good[pos + 1:]
        if not iban_ok(bad):
            return group4(bad) if spaced else bad


def gen_card(prefix, sep=" "):
    while True:
        body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
        for last in string.digits:
            if luhn_ok(body + last):
                num = body + last
                return sep.join(num[i:i + 4] for i in range(0, 16, 4))


def gen_bad_card(prefix, sep=" "):
    good = re.sub(r"\D", "", gen_card(prefix, ""))
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def gen_bsn():
    while True:
        d = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        tot = sum(d[i] * (9 - i) for i in range(8))
        last = tot % 11
        if last <= 9:
            s = "".join(map(str, d + [last]))
            if bsn_ok(s):
                return s


def gen_bad_bsn():
    while True:
        s = "".join(str(rng.randrange(1, 10)) for _ in range(9))
        if not bsn_ok(s):
            return s

# --------------------------------------------------------------------------------------
# credentials, built the way the real ones are
# --------------------------------------------------------------------------------------

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
URLSAFE = string.ascii_letters + string.digits + "-_"


def rnd(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rnd(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_key_id():
    return "AKIA" + rnd(string.ascii_uppercase + "234567", 16)


def aws_secret():
    return rnd(string.ascii_letters + string.digits + "/+", 40)


def b64u(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "werkgever-20931", "scope": "contributions:write",
                               "iss": "https://auth.delmare.nl", "iat": 1767225600,
                               "exp": 1767229200}, separators=(",", ":")).encode())
    sig = b64u(bytes(rng.randrange(256) for _ in range(32)))
    return header + "." + payload + "." + sig


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = "=" * (-len(parts[0]) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + pad))
    except Exception:
        return False
    return "alg" in head


def openssh_key():
    raw = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00"
           + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
           + bytes(rng.randrange(256) for _ in range(300)))
    b = base64.b64encode(raw).decode()
    return "\n".join(b[i:i + 70] for i in range(0, len(b), 70))


def password(words):
    w = rng.choice(words)
    return w[0].upper() + w[1:] + rng.choice("!#$%&*?") + str(rng.randrange(10, 99)) + rnd(string.ascii_letters, 3)


V = {
    # valid identifiers (positives only)
    "IBAN_DAVID": gen_iban(False),
    "IBAN_JANSEN": gen_iban(True),
    "IBAN_ANJA": gen_iban(True),
    "BSN_KAYA": gen_bsn(),
    "BSN_TRUUS": gen_bsn(),
    "CARD_DEPT": gen_card("4", " "),
    "CARD_SCAM": gen_card("5" + str(rng.randrange(1, 6)), "-"),
    # look-alikes that fail their checksum (benign posts only)
    "BAD_BSN1": gen_bad_bsn(),
    "BAD_BSN2": gen_bad_bsn(),
    "BAD_IBAN1": gen_bad_iban(True),
    "BAD_CARD1": gen_bad_card("4", " "),
    # credentials
    "GHP1": github_token("ghp_"),
    "AKIA1": aws_key_id(),
    "AWSSEC1": aws_secret(),
    "STRIPE1": "sk_live_" + rnd(string.ascii_letters + string.digits, 24),
    "SLACK1": "xoxb-" + rnd(string.digits, 11) + "-" + rnd(string.digits, 13) + "-" + rnd(string.ascii_letters + string.digits, 24),
    "OPENAI1": "sk-proj-" + rnd(URLSAFE, 74) + "T3BlbkFJ" + rnd(URLSAFE, 74),
    "SSHKEY": openssh_key(),
    "JWT1": jwt(),
    "GOOGLE1": "AIza" + rnd(URLSAFE, 35),
    "GLPAT": "glpat-" + rnd(URLSAFE, 20),
    "PW1": rnd(string.ascii_letters + string.digits, 10) + rng.choice("!#%&") + rnd(string.digits, 3),
    "PW2": password(["zeemeeuw", "tulpenveld", "pensioen", "kroket"]),
    "PW3": password(["welkom", "zomer", "fietsbel", "leusden"]),
}
VALID_IDS = {"IBAN_DAVID", "IBAN_JANSEN", "IBAN_ANJA", "BSN_KAYA", "BSN_TRUUS", "CARD_DEPT", "CARD_SCAM"}
BAD_IDS = {"BAD_BSN1", "BAD_BSN2", "BAD_IBAN1", "BAD_CARD1"}
V["PUB_IBAN"] = PROFILE["public_identifiers"]["ibans"][0]

# --------------------------------------------------------------------------------------
# the posts
# --------------------------------------------------------------------------------------

CASES = []
PUB, EMP, CORP = "public", "employee", "corporate"

COMPLAINT = "reputation.complaint"
CRISIS = "reputation.crisis"
ABUSE = "reputation.abuse"
SECRET = "leak.secret"
PII = "leak.pii"
PRICING = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SEC = "leak.security"


def add(role, platform, handle, lang, cats, text, when=None, kind="post", name=None, url=False):
    CASES.append(dict(role=role, platform=platform, handle=handle, lang=lang,
                      cats=sorted(set(cats)), text=text, when=when, kind=kind,
                      name=name, url=url))

# ---------------- complaints (public) ----------------
add(PUB, "x", "@henk_57", "nl", [COMPLAINT],
    "@delmare_helpt al 3 weken wacht ik op mijn UPO. Volgens jullie site staat ie 'klaar' maar in MijnDelmare zie ik nog steeds die van vorig jaar. Hoe moeilijk kan het zijn??",
    kind="reply")
add(PUB, "reddit", "u/expat_in_utrecht", "en", [COMPLAINT],
    "Anyone else stuck with Delmare on a value transfer? Filed the waardeoverdracht request in February, it's now September and all I get is 'in behandeling'. My old fund says they sent everything months ago. Is there an ombudsman or something?")
add(PUB, "facebook", "gerda.hoekstra.73", "nl", [COMPLAINT],
    "Mijn moeder krijgt deze maand ineens €212 minder pensioen van Delmare. Geen brief, geen uitleg. Na 47 minuten in de wacht werd de verbinding verbroken. Zo ga je toch niet met ouderen om?",
    kind="comment", name="Gerda Hoekstra")
add(PUB, "x", "@mike_tvdb", "en", [COMPLAINT],
    "tried logging into mijn.delmare.nl with DigiD 5 times today, keeps bouncing me back to the start page. retirement is in 2 months and I can't even check my payout date. great job @delmare_nl 🙄")
add(PUB, "x", "@sanne_rijst", "nl", [COMPLAINT],
    "nieuwe werkgever, nieuwe regeling, maar Delmare heeft mijn partnerpensioen nog steeds op naam van m'n ex staan. 3x gebeld, 2x gemaild, niks veranderd 😤 #pensioen")
add(PUB, "forum", "oudje_uit_zwolle", "nl", [COMPLAINT],
    "Nu al voor de derde keer een brief van Delmare gericht aan mijn man, die anderhalf jaar geleden is overleden. De overlijdensakte heb ik twee keer opgestuurd. Elke keer als die envelop op de mat ligt komt alles weer boven. Kan daar nou echt niemand iets aan doen?")
add(PUB, "linkedin", "pieter-smits-hrm", "en", [COMPLAINT],
    "Our payroll team has uploaded the March employer contributions to Delmare three times now and the portal keeps rejecting the file with 'onbekende fout 0x17'. Support says they're 'looking into it'. Meanwhile our staff receive letters saying premiums are overdue. Not ok.",
    name="Pieter Smits")
add(PUB, "x", "@fleur_van_t_hoff", "nl", [COMPLAINT],
    "pensioenplanner in de app geeft bij mij een AOW-leeftijd van 72 jaar 😂 dacht ff dat ik gek werd. @delmare_helpt fix dit aub, mijn vader raakte er bijna van in paniek")
add(PUB, "x", "@grumpyretiree", "en", [COMPLAINT],
    "Delmare sent my first pension payment to the bank account I closed in 2019. Told them twice that it changed. Now they say it takes 6-8 weeks to 'reclaim' it. How am I supposed to pay rent in the meantime?")
add(PUB, "instagram", "@jorisfotografeert", "nl", [COMPLAINT],
    "Wachttijd ledenservice Delmare vandaag: 1 uur en 12 minuten. Daarna: 'u kunt beter mailen'. Vorige maand gemaild. Nog steeds geen antwoord. #pensioen #klantonvriendelijk")
add(PUB, "x", "@nadiakh_", "en", [COMPLAINT],
    "the new Delmare statement says my accrued pension went DOWN by 3k compared to last year and nobody can tell me why. the chat bot just keeps sending an FAQ link. seriously??")
add(PUB, "reddit", "u/pensioenvraagje", "nl", [COMPLAINT],
    "Workshop Met Pensioen bij Delmare geboekt (€129), 2 dagen van tevoren gecanceld door hen, en nu al 5 weken wachten op m'n geld. Iemand tips hoe ik dit escaleer?")
add(PUB, "x", "@bertjeb", "nl", [COMPLAINT],
    "@delmare_nl jullie hebben mijn geboortedatum fout in het systeem en daardoor klopt mijn hele pensioenoverzicht niet. Kopie ID opgestuurd zoals gevraagd, 2 maanden terug. Nog niks gehoord. Moe van.",
    kind="reply")
add(PUB, "threads", "@lena.onderweg", "nl", [COMPLAINT],
    "Delmare-app gooit me er wéér uit halverwege de vroegpensioenberekening. Vierde keer vandaag. Elke keer opnieuw beginnen, 20 min per poging. Echt niet normaal zo.")
# complaint + abuse
add(PUB, "x", "@woedende_wim", "nl", [COMPLAINT, ABUSE],
    "Wéér geen antwoord van @delmare_helpt. Stelletje incompetente klootzakken, 8 weken wachten op een simpele uitbetaling. Jullie worden betaald van MIJN premie!!")
add(PUB, "x", "@tired_of_this_88", "en", [COMPLAINT, ABUSE],
    "Delmare customer service is staffed by absolute morons. Asked one simple question about my partner pension, got three different answers from three different idiots. F*** you guys.")
add(PUB, "facebook", "ron.de.wit.90", "nl", [COMPLAINT, ABUSE],
    "Die medewerkster van Delmare die me vanmiddag aan de lijn had, wat een arrogante trut. Hing gewoon op toen ik vroeg waarom mijn pensioen te laat is. Schaam je.",
    kind="comment", name="Ron de Wit")
# complaint + pii
add(PUB, "x", "@marianne_kwakman", "nl", [COMPLAINT, PII],
    "@delmare_helpt ik word al 2 weken niet teruggebeld over mijn uitbetaling. Bel me aub vandaag nog: 06-43817265 of mail naar m.kwakman64@hotmail.com. Dit kan zo echt niet langer.",
    kind="reply")
add(PUB, "facebook", "david.osei.nl", "en", [COMPLAINT, PII],
    "Delmare still hasn't processed my bank account change. It's <<IBAN_DAVID>> — I've now sent it THREE times. My pension is due on the 24th. Could someone from the team please actually read my messages?",
    kind="comment", name="David Osei")
# complaint + crisis
add(PUB, "x", "@gepensioneerd_en_boos", "nl", [COMPLAINT, CRISIS],
    "Net ontdekt dat Delmare de indexatie bij honderden gepensioneerden al 3 jaar verkeerd berekent, ook bij mij. Ik stap naar de Ombudsman Pensioenen én een advocaat. Wie doet mee aan een collectieve claim? #Delmare #pensioenschandaal")

# ---------------- abuse ----------------
add(PUB, "x", "@flits_0034", "nl", [ABUSE],
    "Delmare is gewoon een kankerbedrijf. Meer hoef ik er niet over te zeggen.")
add(PUB, "x", "@boomer_rage", "en", [ABUSE],
    "@delmare_nl you're a bunch of useless parasites living off pensioners. rot in hell, all of you.",
    kind="reply")
add(PUB, "x", "@nooitmeer_dm", "nl", [ABUSE],
    "D3lm4r3 = 0pl1cht3rs, stelletje t y f u s l i j e r s daar op kantoor 🖕")
add(PUB, "x", "@hxrdtruth", "en", [ABUSE],
    "that Lotte Vermeulen from the Delmare helpdesk is the dumbest cow I've ever spoken to. someone should teach her a lesson, I know which office she works at 👀")
add(PUB, "x", "@echte_hollander_77", "nl", [ABUSE],
    "Bel je naar Delmare, krijg je wéér zo'n Aylin of Mohammed aan de lijn die geen fatsoenlijk Nederlands spreekt. Ga lekker terug naar je eigen land.")
add(EMP, "x", "@lottevermeulen", "en", [ABUSE],
    "some of the members who call us are honestly the stupidest people alive. today a guy asked if his pension was 'in bitcoin'. idiots, the lot of them")
add(PUB, "instagram", "@pensioenpiraat", "nl", [ABUSE],
    "Ｄｅｌｍａｒｅ ＝ ｔｅｒｉｎｇｚｏｏｉ 🤮 #pensioen #delmare")
add(EMP, "x", "@jvanleeuwen_ops", "nl", [ABUSE],
    "Die vent die vandaag 6x belde over z'n 'gestolen' pensioen: rot toch op man, ga iemand anders lastigvallen met je gezeik")
# crisis + abuse
add(PUB, "x", "@lekwacht_nl", "nl", [CRISIS, ABUSE],
    "Delmare heeft de gegevens van duizenden deelnemers gelekt en die leugenachtige zakkenvullers houden gewoon hun mond. Boycot ze, laat je werkgever opstappen. #DelmareLek")

# ---------------- crisis ----------------
add(PUB, "x", "@bezorgde_deelnemer", "nl", [CRISIS],
    "Vandaag stond in MijnDelmare het pensioenoverzicht van een wildvreemde mevrouw uit Amersfoort. Naam, adres, opgebouwd pensioen, alles. Dit is gewoon een datalek, Delmare. Ik meld het bij de Autoriteit Persoonsgegevens.")
add(PUB, "reddit", "u/pension_watchdog", "en", [CRISIS],
    "Rumours going round that Delmare's member portal got hacked and 400k records are up for sale on a forum. If true this is one of the biggest pension data breaches in NL ever. Has anyone received a notification yet?")
add(PUB, "x", "@vakbond_actie_mn", "nl", [CRISIS],
    "Oproep aan alle werkgevers die bij Delmare zijn aangesloten: zeg het contract op tot er openheid komt over de verdwenen premies. #boycotDelmare")
add(PUB, "x", "@fintechnews_eu", "en", [CRISIS],
    "BREAKING: group of 1,200 retirees files lawsuit against Dutch pension administrator Delmare over miscalculated survivor pensions, lawyers say. More to follow.",
    url=True)
add(PUB, "facebook", "PensioenBelangenNL", "nl", [CRISIS],
    "Schandaal bij Delmare: weduwen kregen jarenlang te weinig nabestaandenpensioen. Volgens insiders wist het bestuur het al sinds 2023. Teken de petitie en deel dit bericht!",
    name="Pensioenbelangen Nederland")
add(PUB, "linkedin", "anouk-de-graaf-journalist", "nl", [CRISIS],
    "Ik werk aan een verhaal: oud-medewerkers van Delmare vertellen me dat het management waarschuwingen over fraude met werkgeverspremies structureel negeerde. Werkte jij daar en wil je praten? Stuur me een DM, bronbescherming gegarandeerd.",
    name="Anouk de Graaf")
add(PUB, "tiktok", "@pensioentips_met_jan", "nl", [CRISIS],
    "STOP met Delmare!! In deze video laat ik zien hoe ze jouw pensioen verkeerd berekenen en er gewoon mee wegkomen. Stuur dit naar je ouders 👇 #Delmare #oplichting #pensioen")
add(PUB, "x", "@privacy_first_nl", "en", [CRISIS],
    "Delmare just admitted in a letter that their 'external print partner' mailed thousands of pension statements to the wrong addresses. That is a data breach, plain and simple, and they're downplaying it.")
add(PUB, "x", "@raadslid_fenna", "nl", [CRISIS],
    "Vragen gesteld in de raad: ook onze gemeenteambtenaren zitten bij Delmare. Na het nieuws over het datalek willen we weten of hun BSN's en salarisgegevens op straat liggen.")
add(PUB, "mastodon", "@ruud@mastodon.social", "en", [CRISIS],
    "Delmare is now under investigation by the AFM for misleading members about costs in their retirement planner. Can't say I'm surprised tbh.")
add(PUB, "x", "@cor_uit_ede", "nl", [CRISIS],
    "Allemaal: NIET meer inloggen op MijnDelmare. Er gaat een phishingmail rond en volgens mij zijn ze zelf ook gehackt, maar ze zeggen niks. Zie je iets geks op je rekening, doe aangifte.")
add(PUB, "youtube", "@MoneyTalksNL", "en", [CRISIS],
    "Why 400,000 Dutch workers should be worried about Delmare: the lawsuit, the missing contributions and the cover-up. Full breakdown in today's video.",
    url=True)
add(PUB, "x", "@stil_protest", "nl", [CRISIS],
    "Delmаre heeft gelogen over het dаtalek. Boycot ze, haal je pensioen weg waar dat kan. #bоycotdelmare")

# ---------------- confidential ----------------
add(EMP, "linkedin", "marco-hendriks-delmare", "nl", [CONF],
    "Mooie dag in Amersfoort met het stuurteam van Project Meerkoet. Nog even geduld, maar wat we straks lanceren gaat de sector echt veranderen 💪",
    name="Marco Hendriks")
add(EMP, "x", "@ruben_dekker_dm", "en", [CONF],
    "anyone know why https://jira.delmare.local/browse/UPO-2214 is crawling today? half the team can't work")
add(EMP, "threads", "@mirjam.communicatie", "nl", [CONF],
    "Sneak peek 👀 van de nieuwe Pensioenapp 2.0! Binnenkort voor al onze deelnemers. Nog even niet doorvertellen 😉",
    when="2027-01-12T15:40:00Z")
add(CORP, "linkedin", "delmare-pensioenbeheer", "en", [CONF],
    "[Delmare Confidential] DRAFT v3 – member letter wave 2 on the transition, not to be published before board approval. Dear member, as of 1 January 2028 your pension will be converted into a personal pension capital…",
    when="2027-01-10T08:05:00Z", name="Delmare Pensioenbeheer")
add(EMP, "instagram", "@bas.salesdelmare", "nl", [CONF],
    "Vandaag bij een prospect in Eindhoven de roadmap van Operatie Duin\u200broos gepresenteerd, ze waren laaiend enthousiast!! 🚀 #sales #pensioen")
add(EMP, "reddit", "u/daan_codeert", "en", [CONF],
    "Our staging env at acc-portal.delmare.local is honestly faster than prod lol. anyone else have an acceptance environment that beats production?")
add(PUB, "x", "@oud_collega_dm", "nl", [CONF],
    "Grappig dat Delmare zegt dat er niks verandert. Ik heb het stuk met 'niet verspreiden buiten Delmare' erop gezien over het nieuwe klantportaal, en geloof me: dat wordt een ramp.")
add(EMP, "bluesky", "@noor-devops.bsky.social", "en", [CONF],
    "finally moved the last T.r.a.m.o.n.t.a.n.a services onto the new cluster 🎉 two more sprints and we can tell the world")
add(EMP, "linkedin", "sophie-brouwer-actuaris", "nl", [CONF],
    "Trots op ons team! Het rekenmodel achter Delmare Inzicht is klaar voor de eindtest. Eind januari gaan we live 🎯",
    when="2026-12-10T10:15:00Z", name="Sophie Brouwer")
add(PUB, "forum", "pensionnerd", "en", [CONF],
    "Someone on another board posted screenshots from Delmare's intranet (intranet.delmare.local) showing a project called Tramontana. Looks like a full rebuild of the member portal.")
add(EMP, "x", "@lottevermeulen", "nl", [CONF],
    "Nieuwe belscripts voor de Wtp-vragen staan op https://intranet.delmare.local/ls/scripts/wtp-vragen – collega's, graag voor maandag doorlezen!")
add(CORP, "x", "@delmare_nl", "en", [CONF],
    "Sneak peek: the Delmare Pensioenapp 2.0 is almost here 📱 New design, faster login, all your pension info in one place. Stay tuned…",
    when="2026-12-01T11:00:00Z")
# confidential + security
add(EMP, "x", "@jvanleeuwen_ops", "en", [CONF, SEC],
    "vpn.delmare.nl has been down since 6am and we still don't know why. looks like someone was brute-forcing the gateway all night. not public yet so keep it quiet pls")
add(EMP, "reddit", "u/daan_codeert", "nl", [CONF, SEC],
    "Bij ons zit een IDOR in het deelnemersportaal: verander het deelnemernummer in de URL op acc-portal.delmare.local/upo/ en je ziet andermans UPO. Zit ook gewoon in productie. Ticket ligt al 3 weken stil.")
# confidential + secret
add(EMP, "bluesky", "@noor-devops.bsky.social", "en", [CONF, SECRET],
    "can someone tell me why this gives connection refused? 🤔\nDATABASE_URL=postgresql://svc_batch:<<PW1>>@pgprod01.delmare.local:5432/leden")
add(EMP, "x", "@ruben_dekker_dm", "nl", [CONF, SECRET],
    "wie heeft de runner-token van gitlab.delmare-intern.nl in de wiki gezet?? <<GLPAT>> moet er nu meteen uit en geroteerd worden")
# financial + confidential
add(EMP, "linkedin", "marco-hendriks-delmare", "nl", [FIN, CONF],
    "Project Meerkoet gaat door: per 1 juli nemen we de pensioenadministratie van een grote bedrijfstak over. Het contract is rond, de aankondiging volgt pas in juni 🥂",
    name="Marco Hendriks")
add(EMP, "threads", "@mirjam.communicatie", "en", [FIN, CONF],
    "Operatie Duinroos = the merger with Noordkaap Pensioendiensten. Due diligence is done, announcement planned for March. Exciting times ahead!")

# ---------------- financial ----------------
add(EMP, "linkedin", "aylin-yildiz-pensioen", "nl", [FIN],
    "Zware weken hier. Volgend kwartaal verdwijnen er bij de ledenservice ongeveer 140 fte door de automatisering. Wordt pas na de OR-vergadering officieel gemaakt, dus nog even niks zeggen.",
    name="Aylin Yildiz")
add(EMP, "linkedin", "marco-hendriks-delmare", "en", [FIN],
    "Preliminary numbers are in: operating costs per member came out at €94 this year against €71 budgeted. The board won't like it. Publication isn't until April.",
    name="Marco Hendriks")
add(EMP, "linkedin", "sophie-brouwer-actuaris", "nl", [FIN],
    "Interne prognose van vanochtend: de dekkingsgraad van het grootste fonds dat we beheren zakt eind dit jaar naar 96%. Korten wordt dan onvermijdelijk, maar deelnemers horen dat pas in december.",
    name="Sophie Brouwer")
add(CORP, "x", "@delmare_nl", "en", [FIN],
    "Internal reminder: the restructuring of the Heerlen office (closure per Q2, 85 roles) is NOT to be discussed with members until the official announcement.")
add(PUB, "reddit", "u/pensioeninsider", "nl", [FIN],
    "Vriend van me werkt bij Delmare: ze worden overgenomen door een grote verzekeraar. Deal is vorige week getekend, aankondiging pas na de zomer. Let maar op.")
add(EMP, "x", "@jvanleeuwen_ops", "nl", [FIN],
    "Hou er rekening mee mensen: de hele IT-afdeling gaat naar een outsourcer in India, 60 man eruit per januari. Nog niet officieel.")
add(EMP, "bluesky", "@noor-devops.bsky.social", "en", [FIN],
    "heard at the all-hands (not public yet): revenue from employer contracts down 18% y/y, and two big clients leave in Q1. buckle up")
add(PUB, "x", "@beursgeruchten", "nl", [FIN],
    "Uit goede bron: Delmare raakt per 2027 het contract met het metaalfonds kwijt. Scheelt ze zo'n 30% van de omzet. Is nog niet naar buiten gebracht.")
add(EMP, "linkedin", "sophie-brouwer-actuaris", "en", [FIN],
    "Budget for 2027 signed off internally today: administration fees for employers go up 22%, clients get told in November. Hard decision, but necessary.",
    name="Sophie Brouwer")
add(EMP, "instagram", "@bas.salesdelmare", "nl", [FIN],
    "Eindelijk!! De deal met een van de grootste zorgwerkgevers van NL is binnen, 38.000 deelnemers erbij 🍾 Persbericht komt pas volgende maand, dus sssst 🤫")

# ---------------- security ----------------
add(EMP, "x", "@ruben_dekker_dm", "en", [SEC],
    "on call since 3am. ransomware hit one of the file servers in Zwolle, backups look ok-ish. comms says we publish nothing until Monday. pray for me")
add(EMP, "reddit", "u/daan_codeert", "nl", [SEC],
    "Pentestrapport binnen: in de werkgeversportal kun je zonder MFA inloggen als je de sessiecookie van een andere werkgever hergebruikt. Nog niet gepatcht, fix staat pas voor de volgende release.")
add(EMP, "bluesky", "@noor-devops.bsky.social", "en", [SEC],
    "production member portal has been leaking full stack traces incl. SQL queries to anyone who triggers a 500, for about a week now. reported it, nobody cares 🙃")
add(EMP, "x", "@jvanleeuwen_ops", "nl", [SEC],
    "MijnDelmare ligt er al 4 uur uit door een storing in de DigiD-koppeling en we mogen het nog niet op de site zetten. Leden bellen zich suf.")
add(EMP, "threads", "@mirjam.communicatie", "en", [SEC],
    "Drafting the statement right now: a phishing attack compromised 3 service desk accounts last night and the attacker got into member records. Statement goes out Thursday. Long week ahead.")
add(EMP, "x", "@lottevermeulen", "nl", [SEC],
    "Niemand van de ledenservice kan meer in het CRM, volgens IT worden we gehackt. We moeten tegen leden zeggen dat het een 'technische storing' is.")
add(PUB, "forum", "ex_dm_contractor", "en", [SEC],
    "I did contract work for Delmare last year. Their employer upload endpoint still accepts files without any authentication if you know the path. Told them in March, never fixed.")
add(EMP, "x", "@ruben_dekker_dm", "nl", [SEC],
    "Kritieke CVE in onze versie van de batchserver, exploit is al publiek en wij draaien ongepatcht tot het onderhoudsvenster van zaterdag. Duimen maar 🤞")
add(EMP, "reddit", "u/daan_codeert", "en", [SEC],
    "Our calc engine has a bug where early-retirement projections can be manipulated through the API to show higher payouts, and lenders accept those PDFs for mortgages. Still open after 2 months. Should I escalate outside the company?")
add(EMP, "bluesky", "@noor-devops.bsky.social", "nl", [SEC],
    "vannacht DDoS op de werkgeversportal, 3 uur plat. Officieel heet het 'gepland onderhoud' 🙄")
add(EMP, "instagram", "@bas.salesdelmare", "en", [SEC],
    "lol my work laptop got stolen from the car, full employer client list on it, not encrypted. IT says don't tell anyone yet 😬")

# ---------------- secrets ----------------
add(EMP, "reddit", "u/daan_codeert", "en", [SECRET],
    "Help, my GitHub Action fails with 401 although the token is definitely right:\n`GH_TOKEN: <<GHP1>>`\nany ideas?")
add(EMP, "x", "@ruben_dekker_dm", "nl", [SECRET],
    "AWS-keys voor de archief-bucket, ff voor Jeroen: <<AKIA1>> / <<AWSSEC1>> (niet doorsturen)")
add(CORP, "x", "@delmare_helpt", "en", [SECRET],
    "Hi Maria, for the payment widget on the workshop page please use <<STRIPE1>> and let us know if it works!",
    kind="reply")
add(EMP, "bluesky", "@noor-devops.bsky.social", "nl", [SECRET],
    "Slack-bot draait weer 🎉 token voor wie 'm nodig heeft: <<SLACK1>>")
add(EMP, "reddit", "u/daan_codeert", "en", [SECRET],
    "Why does the OpenAI client keep saying quota exceeded? key is <<OPENAI1>> and billing runs on the company card")
add(EMP, "x", "@jvanleeuwen_ops", "nl", [SECRET],
    "kan iemand checken waarom deze key niet werkt op de jumphost?\n-----BEGIN OPENSSH PRIVATE KEY-----\n<<SSHKEY>>\n-----END OPENSSH PRIVATE KEY-----")
add(EMP, "bluesky", "@noor-devops.bsky.social", "nl", [SECRET],
    "iemand een idee waarom de werkgevers-api deze JWT weigert? signature klopt volgens mij gewoon\n<<JWT1>>")
add(EMP, "threads", "@mirjam.communicatie", "nl", [SECRET],
    "Voor de nieuwe collega's: inloggen op het social-media-dashboard met gebruiker delmare.social en ｗａｃｈｔｗｏｏｒｄ: <<PW2>>")
add(PUB, "x", "@dev_anon_nl", "en", [SECRET],
    "lol found this in Delmare's public JS bundle on mijn.delmare.nl: <<GOOGLE1>> someone forgot to restrict their Google Maps key")
# pii + secret
add(EMP, "reddit", "u/daan_codeert", "en", [PII, SECRET],
    "test login for the acceptance portal (yes, real member data copied over, I know…): j.bosman1961@ziggo.nl / password <<PW3>>")

# ---------------- personal data ----------------
add(CORP, "x", "@delmare_helpt", "nl", [PII],
    "@henk_57 Beste meneer Jansen, we hebben uw rekeningnummer gewijzigd naar <<IBAN_JANSEN>> en uw UPO wordt opnieuw verstuurd naar Kastanjelaan 14, 3833 AB Leusden. Excuses voor het ongemak!",
    kind="reply")
add(EMP, "x", "@lottevermeulen", "en", [PII],
    "Member called in crying today, Mrs. Wilhelmina de Boer, born 3 March 1945 — her husband's pension just stopped. Heartbreaking. We're fixing it today.")
add(CORP, "facebook", "DelmarePensioen", "nl", [PII],
    "Beste mevrouw Kaya, we hebben uw verzoek ontvangen en uw BSN <<BSN_KAYA>> gecontroleerd, dat klopt. U hoort binnen 5 werkdagen van ons.",
    kind="comment", name="Delmare Pensioen")
add(EMP, "linkedin", "aylin-yildiz-pensioen", "en", [PII],
    "Please welcome our new colleague Tom Verhoef! 🎉 Send him your welcome messages at tom.verhoef@gmail.com or call him on 06 2918 4473 😊",
    name="Aylin Yildiz")
add(EMP, "x", "@jvanleeuwen_ops", "nl", [PII],
    "Ff een testbetaling gedaan met de creditcard van de afdeling: <<CARD_DEPT>> exp 09/28 — werkt!")
add(PUB, "x", "@truus_van_dijk", "nl", [PII],
    "@delmare_helpt mijn BSN is <<BSN_TRUUS>>, geboren 12-07-1958. Kunnen jullie kijken of mijn aanvraag voor vervroegd pensioen binnen is?",
    kind="reply")
add(PUB, "facebook", "sarah.mulder.ams", "en", [PII],
    "My dad (Johannes Mulder, Prinsengracht 210-2, 1016 HN Amsterdam) hasn't received his Delmare statement this year — can someone DM me how to request a new one?",
    kind="comment", name="Sarah Mulder")
add(PUB, "instagram", "@anja.bakkerij", "nl", [PII],
    "Wie weet hoe ik mijn Delmare-pensioen laat overmaken naar mijn nieuwe rekening? Nummer is <<IBAN_ANJA>> btw 😅")
add(PUB, "x", "@gert_jan_p", "en", [PII],
    "@delmare_helpt please call me back on +31 6 5512 0934 about my divorce calculation, I'm free after 2pm",
    kind="reply")
add(PUB, "reddit", "u/worried_member_71", "en", [PII],
    "Scam?? Got a call 'from Delmare' asking for my card number to 'verify my payout' and I gave them <<CARD_SCAM>> before I realised. what do I do now")
add(CORP, "linkedin", "delmare-pensioenbeheer", "en", [PII],
    "Congratulations to Mr. Hendrik Smit from Apeldoorn (born 21-04-1956), the 100,000th member to use our online planner! 🎉",
    name="Delmare Pensioenbeheer")
add(EMP, "threads", "@mirjam.communicatie", "nl", [PII],
    "Lieve mensen, wie wil oud-collega Ineke Verschoor nog even feliciteren? Haar nieuwe nummer is 0318-642197 en mailen kan naar ineke.verschoor@kpnmail.nl. Ze stuurt iedereen de groetjes!")

# ---------------- pricing ----------------
add(CORP, "x", "@delmare_nl", "nl", [PRICING],
    "🎉 Alleen dit weekend: de Delmare Pensioenscan voor maar €14,90! Boek via mijn.delmare.nl")
add(CORP, "instagram", "@delmare.pensioen", "en", [PRICING],
    "Plan your future 🌅 The Pensioengesprek Uitgebreid is now just €39.50 — limited spots!")
add(PUB, "x", "@koopjesjager_nl", "nl", [PRICING],
    "Huh, bij Delmare kost het Werkgeverspakket Premium nu €495 per jaar ipv €4.950. Prijsfout? Snel boeken 😂")
add(EMP, "linkedin", "marco-hendriks-delmare", "en", [PRICING],
    "Our Actuariële Quickscan for employers is currently available at €350. Reach out if you want in!",
    name="Marco Hendriks")
add(PUB, "reddit", "u/hr_manager_ede", "nl", [PRICING],
    "Prijsfout op de site van Delmare: HR Training Pensioencommunicatie voor 89 euro. Meteen 4 plekken geboekt, benieuwd of ze het honoreren")
add(PUB, "x", "@dealhunter_eu", "en", [PRICING],
    "PRICE ERROR 🚨 Delmare Werkgevers-API annual licence showing €24 instead of €2,400. go go go")
add(EMP, "instagram", "@bas.salesdelmare", "nl", [PRICING],
    "Speciaal voor mijn volgers: het Werkgeverspakket Basis voor €185 het eerste jaar. Stuur me een DM 😎")
add(CORP, "facebook", "DelmarePensioen", "en", [PRICING],
    "Going through a divorce? Our Scheidingsberekening is only €27.50 this month.",
    name="Delmare Pensioen")
add(PUB, "instagram", "@mama_van_drie", "nl", [PRICING],
    "Planner Plus bij Delmare voor €8,90 per jaar?! Echt een koopje of is het een foutje? 🤔")
add(EMP, "x", "@lottevermeulen", "en", [PRICING],
    "psst the Hypotheek & Pensioen Check shows €22.50 on the site right now, some glitch, grab it before pricing fixes it")
add(CORP, "bluesky", "@delmare.bsky.social", "nl", [PRICING],
    "Nieuw: de Nabestaandencheck. Nu tijdelijk voor €7,90 (normaal €79).")
add(PUB, "forum", "pensionforum_user22", "en", [PRICING],
    "Delmare messed up their pricing page: the ZZP Pensioenstart is listed at €24.90 (normally €249). Booked it and got a confirmation mail. Think they'll honour it?")

# ---------------- benign (mostly hard negatives) ----------------
B = []
add(CORP, "x", "@delmare_helpt", "nl", B,
    "Vragen over uw UPO? Bel ons gratis op 0800-3356 (ma–vr 8.30–17.00) of mail naar ledenservice@delmare.nl. We helpen u graag!")
add(CORP, "linkedin", "delmare-pensioenbeheer", "en", B,
    "Employers can transfer voluntary contributions to our account <<PUB_IBAN>>, stating the contract number. Questions? Mail werkgevers@delmare.nl.",
    name="Delmare Pensioenbeheer")
add(PUB, "x", "@happy_pensionado", "nl", B,
    "Complimenten aan Delmare! Binnen 10 minuten geholpen met mijn waardeoverdracht. Zo kan het dus ook 👏")
add(PUB, "x", "@thirtysomething_j", "en", B,
    "my pension is so far away it needs a codename and a security clearance lol #millennials")
add(PUB, "reddit", "u/eerste_baan_2026", "nl", B,
    "Vraagje: hoe vaak krijg je eigenlijk een UPO van Delmare? Elk jaar of alleen als er iets verandert?")
add(PUB, "x", "@newsdesk_nl", "en", B,
    "Rival pension administrator Horizonta confirms a data breach affecting 60,000 members. Delmare says its own systems are not affected.",
    url=True)
add(CORP, "instagram", "@delmare.pensioen", "nl", B,
    "Workshop Met Pensioen nu met 20% korting! Van €129 voor €103,20 📚 Aanmelden via delmare.nl")
add(CORP, "x", "@delmare_nl", "en", B,
    "Reminder: Delmare will never ask for your password or BSN by phone or e-mail. Got a suspicious message? Forward it to privacy@delmare.nl.")
add(PUB, "x", "@invulhulp_ria", "nl", B,
    "Ik probeer mijn BSN <<BAD_BSN1>> in te vullen op het formulier van Delmare maar hij blijft 'ongeldig' zeggen. Typefout denk ik 🙈 even zoeken")
add(PUB, "x", "@curious_kev", "en", B,
    "Is the IBAN <<BAD_IBAN1>> on the sample letter in Delmare's FAQ real? Looks made up to me lol")
add(EMP, "reddit", "u/daan_codeert", "en", B,
    "PSA for devs: never commit keys. The AWS docs use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY as the example — put real ones in a secrets manager.")
add(EMP, "x", "@ruben_dekker_dm", "nl", B,
    "Tip voor collega-devs: tokens in een vault, niet in je code. Zie je ergens ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx staan in een voorbeeld? Vervang 'm door een variabele.")
add(CORP, "x", "@delmare_nl", "en", B,
    "It's here! 🎉 The new Delmare Pensioenapp 2.0 is live in the App Store and Google Play. Update today!",
    when="2027-01-20T08:30:00Z")
add(CORP, "linkedin", "delmare-pensioenbeheer", "nl", B,
    "Vandaag publiceren wij ons jaarverslag 2026. De dekkingsgraad Q4 2026 van de door ons beheerde fondsen lag gemiddeld op 117%. Lees het hele verslag op delmare.nl.",
    when="2027-03-12T09:00:00Z", name="Delmare Pensioenbeheer")
add(PUB, "x", "@retire_early_jo", "en", B,
    "Delmare sorted out my value transfer today. Took a while, but the team was super helpful in the end. Thanks @delmare_helpt 🙏")
add(PUB, "x", "@marloes_dm_fan", "nl", B,
    "Sterkte aan alle medewerkers van de Delmare-ledenservice deze weken, met al die vragen over de nieuwe pensioenwet. Jullie doen het top.")
add(CORP, "youtube", "@DelmarePensioenTV", "en", B,
    "New video: how to read your pension statement in 5 minutes. We explain accrued pension, partner pension and what 'indexation' actually means.")
add(CORP, "x", "@delmare_nl", "nl", B,
    "Het Delmare Pensioengesprek: in 60 minuten helder inzicht in uw pensioen, voor €195. Plan een afspraak via mijn.delmare.nl.")
add(PUB, "x", "@fenna_plant", "en", B,
    "Paid €395 for the Pensioengesprek Uitgebreid at Delmare and honestly worth every cent. The advisor walked me through early retirement step by step.")
add(EMP, "linkedin", "aylin-yildiz-pensioen", "nl", B,
    "We zoeken nieuwe collega's voor ons team in Utrecht! Bekijk de vacatures op delmare.nl/vacatures en reageer vóór 1 juni.",
    name="Aylin Yildiz")
add(EMP, "linkedin", "sophie-brouwer-actuaris", "nl", B,
    "Vandaag een presentatie gegeven bij het Actuarieel Genootschap over langlevenrisico en het nieuwe pensioenstelsel. Wat een goede vragen uit de zaal!",
    name="Sophie Brouwer")
add(PUB, "x", "@tessa_28", "nl", B,
    "Dat moment dat je je UPO opent en ziet dat je pas op je 68e met pensioen mag 😭 #volwassenworden")
add(PUB, "reddit", "u/careful_carl", "en", B,
    "Is it normal that Delmare asks for a copy of my ID before paying out a pension? Just want to be sure it's not phishing.")
add(CORP, "x", "@delmare_helpt", "nl", B,
    "@sanne_rijst Vervelend om te horen! Stuur ons een DM met uw deelnemernummer, dan kijken we er direct naar.",
    kind="reply")
add(CORP, "x", "@delmare_nl", "nl", B,
    "Op Koningsdag (27 april) zijn onze kantoren gesloten. MijnDelmare blijft gewoon 24/7 bereikbaar via mijn.delmare.nl.")
add(PUB, "facebook", "joke.timmermans", "nl", B,
    "Het pensioenfonds van mijn vader wordt door Delmare beheerd en ik moet zeggen: de brieven zijn tegenwoordig een stuk duidelijker. Fijn!",
    kind="comment", name="Joke Timmermans")
add(PUB, "x", "@pensioennieuws_nl", "en", B,
    "Pensioenfonds Zuidwal cuts benefits by 2%. Funds administered by Delmare are not affected, a spokesperson says.",
    url=True)
add(EMP, "x", "@lottevermeulen", "nl", B,
    "Vandaag 84 leden gesproken en eentje kwam na afloop een bos bloemen brengen 💐 daarom doe ik dit werk.")
add(EMP, "bluesky", "@noor-devops.bsky.social", "en", B,
    "Rewrote our deployment pipeline over the weekend, 40% faster builds. Blog post coming soon!")
add(PUB, "x", "@oma_bep", "nl", B,
    "Drie keer op 'wachtwoord vergeten' geklikt en toen toch gelukt 😅 dank @delmare_helpt voor het geduld aan de telefoon")
add(PUB, "x", "@frugal_fred", "en", B,
    "Delmare's Planner Plus at €89 a year is a steal compared to what an independent advisor charges. Been using it for 6 months.")
add(CORP, "facebook", "DelmarePensioen", "nl", B,
    "Let op: er gaan valse e-mails rond uit naam van Delmare. Klik niet op links en vul nooit uw gegevens in. Twijfelt u? Bel 030-7994400.",
    name="Delmare Pensioen")
add(PUB, "x", "@bugbounty_bram", "en", B,
    "Shoutout to the Delmare security team: reported a bug through their responsible disclosure page, fixed within 48h and a nice thank-you note. This is how it should work.")
add(PUB, "reddit", "u/appvergelijker", "nl", B,
    "Pensioenuitvoerders vergeleken: Delmare, Horizonta, Noordkaap... wie heeft de beste app? Ik vind die van Delmare eerlijk gezegd het overzichtelijkst.")
add(CORP, "linkedin", "delmare-pensioenbeheer", "en", B,
    "Delmare has been re-certified for ISO 27001 this year. Protecting member data is at the heart of what we do.",
    name="Delmare Pensioenbeheer")
add(PUB, "x", "@kees_twijfelt", "nl", B,
    "Nieuws: bij verzekeraar Altavia verdwijnen 400 banen. Mijn pensioen loopt via Delmare, daar verandert toch niks aan?")
add(PUB, "x", "@pastaforever", "en", B,
    "Lol my Delmare statement says I'll get €1,204 a month at 68. guess it's pasta for dinner for the rest of my life 🍝")
add(CORP, "instagram", "@delmare.pensioen", "nl", B,
    "Onze collega's liepen zaterdag de Singelloop in Utrecht voor KWF 🏃‍♀️ Samen €4.850 opgehaald!")
add(EMP, "x", "@jvanleeuwen_ops", "en", B,
    "Scheduled maintenance on mijn.delmare.nl this Sunday 02:00–06:00, as announced on the website. Grab a coffee and check back later ☕")
add(PUB, "x", "@mirthe_gaat_scheiden", "nl", B,
    "Heeft iemand de Scheidingsberekening van Delmare laten doen? €275 vind ik best veel, maar misschien is het het waard?")
add(PUB, "linkedin", "hr-lead-janine", "en", B,
    "Delmare's HR Training Pensioencommunicatie is 15% off for members of the HR association: €760.75 instead of €895. Booked it for the whole team.",
    name="Janine Koster")
add(CORP, "x", "@delmare_nl", "nl", B,
    "🎓 Vroegpensioen Doorrekening: deze maand €132 in plaats van €165. Ontdek of eerder stoppen haalbaar is.")
add(PUB, "x", "@numbers_nerd", "en", B,
    "The card '<<BAD_CARD1>>' in Delmare's phishing-warning video isn't even a valid number, the checksum fails. nice touch 👍")
add(PUB, "x", "@wim_vraagt", "nl", B,
    "In de uitleg van Delmare staat als voorbeeld-BSN <<BAD_BSN2>>. Zou dat een echte zijn? Lijkt me niet.")
add(EMP, "reddit", "u/daan_codeert", "en", B,
    "Redacted config for the curious: DB_PASSWORD=******** STRIPE_KEY=sk_live_**************** — yes, it all lives in a vault, and no, you can't have it 😄")
add(PUB, "x", "@tevreden_theo", "nl", B,
    "Delmare is dé pensioenuitvoerder die ik iedereen zou aanraden. Snel, menselijk en geen gedoe.")
add(PUB, "mastodon", "@pensioenwonk@mastodon.nl", "en", B,
    "Reading Delmare's published annual report for 2025. Cost per member dropped to €78, pretty efficient for a mid-size administrator.")
add(CORP, "x", "@delmare_nl", "nl", B,
    "Onze jaarcijfers 2026 staan online. Dank aan alle deelnemers en werkgevers voor het vertrouwen!",
    when="2027-03-13T10:00:00Z")
add(PUB, "x", "@chatfan_nl", "nl", B,
    "Eerlijk, de chatassistent van Delmare is beter dan die van de meeste banken. Vraag over partnerpensioen binnen 2 minuten beantwoord.")
add(PUB, "instagram", "@kleindochter.lies", "nl", B,
    "Opa (87) had vandaag zijn eerste pensioengesprek via videobellen met Delmare 😂 hij vond het prachtig en zwaaide de hele tijd naar de camera")
add(CORP, "x", "@delmare_helpt", "en", B,
    "@mike_tvdb Sorry about the login trouble! DigiD had a nationwide disruption this morning which has now been resolved. Could you give it another try?",
    kind="reply")
add(EMP, "linkedin", "marco-hendriks-delmare", "nl", B,
    "Vandaag mijn RC-diploma gehaald! 🎓 Trots, en dank aan Delmare voor de steun de afgelopen jaren.",
    name="Marco Hendriks")
add(PUB, "x", "@helpful_hanna", "en", B,
    "For anyone looking: Delmare's member line is +31 30 799 4400, open until 5pm on weekdays.")
add(PUB, "reddit", "u/vraag_over_cijfers", "nl", B,
    "Wat ik niet snap: waarom is het jaarverslag over 2025 pas in juni 'definitief'? Kan iemand dat uitleggen?")
add(EMP, "threads", "@mirjam.communicatie", "en", B,
    "Our new brand campaign 'Later begint nu' launches today on TV and online! So proud of this team 🎬")
add(PUB, "x", "@overgestapt_olaf", "nl", B,
    "Sinds mijn werkgever is overgestapt naar Delmare gaat alles via de app. Even wennen, maar prima.")
add(PUB, "x", "@secure_sue", "en", B,
    "Delmare's password meter rejected 'Welkom01' as too weak and honestly good for them 👏")
add(CORP, "linkedin", "delmare-pensioenbeheer", "nl", B,
    "Vacature: Security Officer (36 uur) in Utrecht. Help ons de gegevens van 400.000 deelnemers veilig te houden.",
    name="Delmare Pensioenbeheer")
add(PUB, "x", "@zzp_zoe", "en", B,
    "The Delmare Nettopensioen Kompas at €119 is good value if you're self-employed. Clear numbers, no jargon.")
add(PUB, "x", "@vader_van_vier", "nl", B,
    "Dankzij de Nabestaandencheck van Delmare weet ik eindelijk wat mijn vrouw krijgt als mij iets overkomt. Aanrader, ook al is €79 niet niks.")

# --------------------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------------------

ROLE = {}
for r in ("corporate", "employee"):
    for entry in PROFILE["accounts"][r]:
        ROLE[entry.lower()] = r


def role_of(platform, handle):
    return ROLE.get(("%s:%s" % (platform, handle)).lower(), "public")


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def norm(text):
    return unicodedata.normalize("NFKC", text).translate(ZW)


PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2}\s?[A-Z]{4}(?:\s?\d){10}(?!\d)")
CARD_RE = re.compile(r"(?<![\w])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?![\w])")
BSN_RE = re.compile(r"(?<![\w.])\d{4}\.?\d{2}\.?\d{3}(?![\w])")


def id_candidates(text):
    """(kind, value, passes) for IBAN-, card- and BSN-shaped numbers in the text."""
    out = []
    rest = text
    for m in IBAN_RE.finditer(text):
        v = re.sub(r"\s", "", m.group(0))
        if v not in PUBLIC_IBANS:
            out.append(("iban", m.group(0), iban_ok(v)))
        rest = rest.replace(m.group(0), " ")
    for m in CARD_RE.finditer(rest):
        out.append(("card", m.group(0), luhn_ok(m.group(0))))
        rest = rest.replace(m.group(0), " ")
    for m in BSN_RE.finditer(rest):
        out.append(("bsn", m.group(0), bsn_ok(m.group(0))))
    return out


RANK = {"none": 0, "info": 1, "warning": 2, "error": 3, "critical": 4}
NAME = {v: k for k, v in RANK.items()}


def severity(cats, role, has_valid_id):
    """CONTRACT section 4, the least severity a correct verdict has."""
    s = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                v = RANK["error"]
                if c in (SECRET, PRICING):
                    v = RANK["critical"]
                if c == PII and has_valid_id:
                    v = RANK["critical"]
            else:
                v = RANK["warning"]
        elif c == COMPLAINT:
            v = RANK["warning"]
        elif c == CRISIS:
            v = RANK["error"]
        elif c == ABUSE:
            v = RANK["error"] if insider else RANK["warning"]
        else:
            raise ValueError(c)
        s = max(s, v)
    return NAME[s]


def fill(text):
    used = re.findall(r"<<([A-Z0-9_]+)>>", text)
    for k in used:
        text = text.replace("<<%s>>" % k, V[k])
    return text, used


START = datetime(2026, 1, 2, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 22, tzinfo=timezone.utc) - START).total_seconds())


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    lines = []
    meta = []
    seen = set()
    for n, i in enumerate(order):
        c = CASES[i]
        text, used = fill(c["text"])
        when = c["when"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        pid = "%s-203%04d%02d" % (c["platform"], n + 1, rng.randrange(100))
        assert pid not in seen
        seen.add(pid)
        role = role_of(c["platform"], c["handle"])
        assert role == c["role"], (c["handle"], role, c["role"])
        cands = id_candidates(text)
        has_valid = any(ok for _, _, ok in cands)
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text, "lang": c["lang"],
                "created_at": when, "brand": "Delmare"}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if c["url"] or rng.random() < 0.3:
            post["url"] = "https://%s.example/%s/%s" % (c["platform"], c["handle"].strip("@/").replace("/", "_"), pid)
        expect = {"categories": c["cats"], "severity": severity(c["cats"], role, has_valid)}
        lines.append(json.dumps({"post": post, "expect": expect}, ensure_ascii=False))
        meta.append(dict(used=used, cands=cands, role=role))
    return lines, meta

# --------------------------------------------------------------------------------------
# self-checks
# --------------------------------------------------------------------------------------

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {SECRET, PII, PRICING, CONF, FIN, SEC, CRISIS, COMPLAINT, ABUSE}
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+31|0031|0)[\s\-()]*\d(?:[\s\-()]*\d){7,9}(?!\d)")
SECRET_RES = [
    re.compile(r"gh[pousr]_[0-9A-Za-z]{36}"),
    re.compile(r"AKIA[A-Z2-7]{16}"),
    re.compile(r"sk_live_[0-9A-Za-z]{16,}"),
    re.compile(r"xox[abpr]-\d+-\d+-[0-9A-Za-z]+"),
    re.compile(r"sk-proj-[A-Za-z0-9_-]{40,}"),
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    re.compile(r"glpat-[0-9A-Za-z_-]{20}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"://[^/\s:@]+:[^/\s@*]+@"),
    re.compile(r"(?i)(wachtwoord|password)\s*[:=]?\s*\S{6,}"),
]
MONEY_RE = re.compile(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?euro")


def parse_amount(s):
    s = s.rstrip(".,")
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})+)", s)
    if m:
        return float(re.sub(r"[.,]", "", s))
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*)([.,]\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2)[1:])
    return float(re.sub(r"[.,]", "", s))


def phone_digits(s):
    d = re.sub(r"\D", "", s)
    if d.startswith("0031"):
        d = "0" + d[4:]
    elif d.startswith("31") and s.strip().startswith("+"):
        d = "0" + d[2:]
    return d


def check(lines, meta):
    errors = []

    def err(i, msg):
        errors.append("line %d: %s" % (i + 1, msg))

    pi = PROFILE["public_identifiers"]
    pub_emails = {e.lower() for e in pi["emails"]}
    pub_phones = {phone_digits(p) for p in pi["phones"]}
    for ib in pi["ibans"]:
        if not iban_ok(ib):
            errors.append("public IBAN %s fails mod-97" % ib)
    internal = [t.lower() for t in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"]
                + PROFILE["internal"]["markers"]]
    embargo = [(t.lower(), datetime.fromisoformat(e["until"].replace("Z", "+00:00")))
               for e in PROFILE["embargo"] for t in e["terms"]]
    products = [(p, [p["name"].lower()] + [a.lower() for a in p["aliases"]]) for p in PROFILE["products"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]

    ids = set()
    counts = {}
    langs = {}
    benign = 0
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError as e:
            err(i, "bad json %s" % e)
            continue
        if set(obj) != {"post", "expect"}:
            err(i, "top-level keys")
        p, ex = obj["post"], obj["expect"]
        for k, t in (("id", str), ("platform", str), ("text", str), ("created_at", str)):
            if not isinstance(p.get(k), t):
                err(i, "missing/typed %s" % k)
        if not isinstance(p.get("account"), dict) or not isinstance(p["account"].get("handle"), str):
            err(i, "account.handle")
        if not 1 <= len(p["id"]) <= 256:
            err(i, "id length")
        if p["id"] in ids:
            err(i, "duplicate id")
        ids.add(p["id"])
        if p["platform"] not in PLATFORMS:
            err(i, "platform")
        if p.get("kind", "post") not in KINDS:
            err(i, "kind")
        if len(p["text"].encode("utf-8")) > 65536:
            err(i, "text too long")
        try:
            ts = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            assert ts.tzinfo is not None and ts.year in (2026, 2027)
        except Exception:
            err(i, "created_at")
            continue
        cats = ex["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            err(i, "categories %r" % cats)
        if ex["severity"] not in RANK:
            err(i, "severity value")
        m = meta[i]
        text = p["text"]
        ntext = norm(text).lower()
        is_benign = not cats
        if is_benign != (ex["severity"] == "none"):
            err(i, "benign <-> none")
        benign += is_benign
        for c in cats:
            counts[c] = counts.get(c, 0) + 1
        langs[p["lang"]] = langs.get(p["lang"], 0) + 1

        # severity recomputed from the profile role
        if ex["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]),
                                      any(ok for _, _, ok in m["cands"])):
            err(i, "severity mismatch")

        # identifiers with checksums
        for kind, val, ok in m["cands"]:
            if is_benign and ok:
                err(i, "benign post holds valid %s %s" % (kind, val))
            if not is_benign and not ok:
                err(i, "positive holds failing %s %s" % (kind, val))
            if ok and PII not in cats:
                err(i, "valid %s without leak.pii" % kind)
        for k in m["used"]:
            if k in VALID_IDS and (is_benign or not any(ok for _, v, ok in m["cands"] if V[k] == v)):
                err(i, "valid id %s misplaced / not detected" % k)
            if k in BAD_IDS and (not is_benign or not any(not ok for _, v, ok in m["cands"] if V[k] == v)):
                err(i, "look-alike %s misplaced / not detected" % k)

        # e-mails and phones that are not the company's own
        no_urls = re.sub(r"[a-z]+://\S+", " ", text)
        foreign_mail = [e for e in EMAIL_RE.findall(no_urls) if e.lower() not in pub_emails
                        and not e.lower().endswith("mastodon.social") and not e.lower().endswith("mastodon.nl")]
        blanked = IBAN_RE.sub(" ", text)
        foreign_phone = [ph for ph in PHONE_RE.findall(blanked) if phone_digits(ph) not in pub_phones]
        if (foreign_mail or foreign_phone) and PII not in cats:
            err(i, "personal contact data without leak.pii: %r %r" % (foreign_mail, foreign_phone))

        # credentials
        hits = [r.pattern for r in SECRET_RES if r.search(text)]
        if is_benign:
            for r in SECRET_RES[:9]:
                for mm in r.finditer(text):
                    if "EXAMPLE" not in mm.group(0) and "xxxx" not in mm.group(0) and "*" not in mm.group(0):
                        err(i, "benign post holds credential %s" % mm.group(0))
        if SECRET in cats and not hits and "ｗａｃｈｔｗｏｏｒｄ" not in text:
            err(i, "secret case without a credential")
        if SECRET not in cats and not is_benign and hits:
            err(i, "credential-shaped text without leak.secret: %r" % hits)
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if not is_benign and not github_ok(tok):
                err(i, "github token checksum fails")
        for tok in re.findall(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![0-9A-Z])", text):
            if "EXAMPLE" not in tok and not re.fullmatch(r"AKIA[A-Z2-7]{16}", tok):
                err(i, "aws key id alphabet")
        for tok in re.findall(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", text):
            if not jwt_ok(tok):
                err(i, "jwt header")

        # internal names and embargo
        if any(t in ntext for t in internal) and CONF not in cats:
            err(i, "internal term without leak.confidential")
        for term, until in embargo:
            if term in ntext:
                if ts < until and CONF not in cats:
                    err(i, "embargo term %r before until without leak.confidential" % term)
                if is_benign and ts < until:
                    err(i, "benign with embargo term before until")

        # prices
        mentioned = [p_ for p_, names in products if any(nm in ntext for nm in names)]
        amounts = [parse_amount(a or b) for a, b in MONEY_RE.findall(text)]
        low = any(a < ratio * p_["list_price"] for p_ in mentioned for a in amounts)
        if PRICING in cats:
            if not mentioned:
                err(i, "pricing case without a product")
            if not low and "prijsfout" not in ntext and "price error" not in ntext and "glitch" not in ntext:
                err(i, "pricing case without a low price or price-error talk")
        elif low:
            err(i, "low price without leak.pricing: %r %r" % ([q['sku'] for q in mentioned], amounts))

    n = len(lines)
    if not 170 <= n <= 180:
        errors.append("case count %d outside 170-180" % n)
    nl_share = langs.get("nl", 0) / n
    if not 0.50 <= nl_share <= 0.60:
        errors.append("Dutch share %.2f" % nl_share)
    for c, (lo, hi) in {COMPLAINT: (17, 23), CONF: (15, 21), PII: (12, 18), CRISIS: (12, 18),
                        SEC: (10, 16), SECRET: (9, 15), ABUSE: (9, 15), PRICING: (9, 15),
                        FIN: (9, 15)}.items():
        if not lo <= counts.get(c, 0) <= hi:
            errors.append("count %s = %d" % (c, counts.get(c, 0)))
    if not 55 <= benign <= 65:
        errors.append("benign count %d" % benign)
    return errors, n, benign, counts, langs


def main():
    lines, meta = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    # re-read what was written and check it
    with open(out, encoding="utf-8") as fh:
        back = fh.read().splitlines()
    assert back == lines
    errors, n, benign, counts, langs = check(back, meta)
    sev = {}
    for line in back:
        s = json.loads(line)["expect"]["severity"]
        sev[s] = sev.get(s, 0) + 1
    print("cases %d, benign %d" % (n, benign))
    print("categories", dict(sorted(counts.items())))
    print("severities", dict(sorted(sev.items(), key=lambda kv: RANK[kv[0]])))
    print("languages", langs)
    if errors:
        for e in errors:
            print("CHECK FAILED:", e, file=sys.stderr)
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
