#!/usr/bin/env python3
"""Evaluation set sealed216 for postwatch: Kwelderveer B.V., a fictional Wadden ferry operator.

Deterministic: fixed seed, standard library plus PyYAML. Writes cases.jsonl beside this
file and checks it (checksums of identifiers, CONTRACT section 6 shape, severities computed
from the account role in profile.yaml per CONTRACT section 4).
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import sys
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 216_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------------------
# identifiers with checksums
# ---------------------------------------------------------------------------
ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B64URL = string.ascii_letters + string.digits + "-_"


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_make(country, bban):
    r = bban + country + "00"
    cc = 98 - int("".join(str(int(c, 36)) for c in r)) % 97
    return f"{country}{cc:02d}{bban}"


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return len(d) >= 12 and tot % 10 == 0


def luhn_digit(partial):
    for c in range(10):
        if luhn_valid(partial + str(c)):
            return str(c)
    raise AssertionError


def bsn_valid(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and int(s) != 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def gen_iban_nl():
    bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"])
    return iban_make("NL", bank + rand(string.digits, 10))


def gen_iban_de():
    return iban_make("DE", rand(string.digits, 8) + rand(string.digits, 10))


def break_iban(s):
    compact = s.replace(" ", "")
    # swap two adjacent unequal digits in the account part: mod-97 catches every such swap
    body = list(compact)
    for i in range(len(body) - 2, 8, -1):
        if body[i].isdigit() and body[i + 1].isdigit() and body[i] != body[i + 1]:
            body[i], body[i + 1] = body[i + 1], body[i]
            break
    out = "".join(body)
    assert not iban_valid(out)
    return out


def gen_card(brand="visa"):
    if brand == "visa":
        p = "4" + rand(string.digits, 14)
    else:
        p = "5" + rng.choice("12345") + rand(string.digits, 13)
    return p + luhn_digit(p)


def break_card(c):
    last = int(c[-1])
    out = c[:-1] + str((last + rng.randint(1, 9)) % 10)
    assert not luhn_valid(out)
    return out


def gen_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        s = sum(d[i] * (9 - i) for i in range(8)) % 11
        if s <= 9:
            out = "".join(map(str, d)) + str(s)
            assert bsn_valid(out)
            return out


def break_bsn(b):
    out = b[:-1] + str((int(b[-1]) + rng.randint(1, 9)) % 10)
    assert not bsn_valid(out)
    return out


# ---------------------------------------------------------------------------
# credentials built the way the real ones are
# ---------------------------------------------------------------------------
def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = ALNUM[r] + out
    return out.rjust(width, "0")


def gen_github(prefix="ghp_"):
    body = rand(ALNUM, 30)
    return prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF)


def github_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF) == m.group(2)


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def gen_jwt():
    header = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64u(json.dumps({"sub": "svc-dienstregeling", "iss": "kwelderveer-api",
                               "scope": "bookings:write", "iat": 1767225600 + rng.randint(0, 10**7)},
                              separators=(",", ":")).encode())
    sig = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def gen_openssh():
    raw = b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x003\x00\x00\x00\x0bssh-ed25519\x00\x00\x00 "
    raw += bytes(rng.getrandbits(8) for _ in range(300))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


GEN = {
    "ghp": lambda: gen_github("ghp_"),
    "gho": lambda: gen_github("gho_"),
    "akia": lambda: "AKIA" + rand(string.ascii_uppercase + "234567", 16),
    "aws_secret": lambda: rand(string.ascii_letters + string.digits + "/+", 40),
    "stripe": lambda: "sk_live_51" + rand(ALNUM, 94),
    "mollie": lambda: "live_" + rand(ALNUM, 30),
    "slack_hook": lambda: "https://hooks.slack.com/services/T" + rand(string.ascii_uppercase + string.digits, 8)
    + "/B" + rand(string.ascii_uppercase + string.digits, 10) + "/" + rand(ALNUM, 24),
    "slack_bot": lambda: "xoxb-" + rand(string.digits, 12) + "-" + rand(string.digits, 13) + "-" + rand(ALNUM, 24),
    "openai": lambda: "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74),
    "google": lambda: "AIza" + rand(B64URL, 35),
    "gitlab": lambda: "glpat-" + rand(B64URL, 20),
    "jwt": gen_jwt,
    "openssh": gen_openssh,
}

CHECKED = {
    "iban": lambda: gen_iban_nl(),
    "iban_sp": lambda: group4(gen_iban_nl()),
    "iban_de": lambda: group4(gen_iban_de()),
    "iban_bad": lambda: group4(break_iban(gen_iban_nl())),
    "card": lambda: gen_card("visa"),
    "card_sp": lambda: group4(gen_card("mc")),
    "card_bad": lambda: group4(break_card(gen_card("visa"))),
    "bsn": gen_bsn,
    "bsn_bad": lambda: break_bsn(gen_bsn()),
}
KIND_OF = {"iban": "iban", "iban_sp": "iban", "iban_de": "iban", "iban_bad": "iban",
           "card": "card", "card_sp": "card", "card_bad": "card", "bsn": "bsn", "bsn_bad": "bsn"}
VALIDATOR = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}

# ---------------------------------------------------------------------------
# the posts
# ---------------------------------------------------------------------------
CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing", "conf": "leak.confidential",
    "fin": "leak.financial", "secu": "leak.security", "crisis": "reputation.crisis",
    "comp": "reputation.complaint", "abuse": "reputation.abuse",
}
PUB_IBAN = PROFILE["public_identifiers"]["ibans"][0]

RAW = []


def P(platform, handle, lang, cats, text, when=None, kind="post", name=None, low_price_ok=False):
    RAW.append(dict(platform=platform, handle=handle, lang=lang, cats=cats, text=text, when=when,
                    kind=kind, name=name, low_price_ok=low_price_ok))


# ---- reputation.complaint ---------------------------------------------------
P("x", "@wadloper_anne", "nl", ["comp"],
  "@kwelderveer_info al 50 min stil in de haven van Harlingen, geen omroep, geen sms, niks. "
  "Volgende keer gewoon even zeggen dat de boot later gaat?", kind="reply")
P("x", "@tessel_bakkum", "nl", ["comp"],
  "Autoticket Terschelling geboekt, sta ik op de kade krijg ik te horen dat het autodek vol is. "
  "Hoe dan?? Een reservering is toch een reservering #kwelderveer")
P("facebook", "Gerrit Hoekstra", "nl", ["comp"],
  "Al 3 weken wacht ik op mijn terugbetaling voor de uitgevallen KwelderSnel van 14 juli. Twee keer "
  "gemaild, één keer gebeld, niemand die iets terugkoppelt. Beetje jammer dit Kwelderveer.", kind="comment")
P("x", "@mikeontheroad", "en", ["comp"],
  "booked the KwelderSnel to Vlieland, got cancelled 'due to tide' 20 mins before departure and the slow "
  "boat was already full. @kwelderveer please sort out your comms, nobody told us anything")
P("reddit", "u/dutchcommuter_91", "en", ["comp"],
  "Anyone else having trouble with the Kwelderveer app? Payment goes through, no ticket appears, and the "
  "in-app chat just says 'we are experiencing high demand'. Ended up paying twice at the counter in Harlingen.")
P("x", "@oma_truus", "nl", ["comp"],
  "Moest met mijn rollator de trap op want de lift op de Stortemelk was wéér stuk. Drie keer gemeld "
  "aan de balie. Kwelderveer regel dat nou eens, er reizen hier zoveel ouderen")
P("x", "@fietsfrits", "nl", ["comp"],
  "Fiets mee naar Ameland, kom ik aan is mn voorwiel krom 🙄 aan boord zeiden ze 'eigen risico'. "
  "Betaal je een fietsticket en dan zo met je spullen omgaan @kwelderveer")
P("facebook", "Pieter de Boer", "en", ["comp"],
  "Kwelderveer cancelled our group booking for 20 people two days before without a single email. We found out "
  "at the terminal in Lauwersoog, with the kids. Customer service line just plays music for 40 minutes.", kind="comment")
P("mastodon", "@rensje@mastodon.nl", "nl", ["comp"],
  "Derde keer deze maand dat de 7:15 uit Harlingen niet vaart. Ik werk op Terschelling, hoe kom ik zo op tijd? "
  "Betaal een jaarabonnement van 695 euro en dan dit. Kwelderveer, doe er wat aan.")
P("x", "@woedende_eilander", "nl", ["comp", "abuse"],
  "Kwelderveer stelletje amateurs, wéér geen boot om 9 uur en niemand weet waarom. Kutbedrijf, ik ben het zo zat")
P("x", "@ballast_bram", "en", ["comp", "abuse"],
  "4 hours delay, zero announcements, cafe closed. @kwelderveer you absolute clowns, f*cking useless company")
P("facebook", "Sjaak Vellinga", "nl", ["comp", "abuse"],
  "die dikke tyfuslijer achter de balie in Harlingen weigerde mn ticket om te zetten terwijl de boot nog niet eens "
  "weg was. klantvriendelijk m'n reet. Kwelderveer #schaamjediep", kind="comment")
P("instagram", "@jessy.fryslan", "nl", ["comp", "abuse"],
  "w33r 2 uur vertr4ging bij kwelderveer. k4nk3rbedr1jf, nooit meer 🤬", kind="comment")
P("x", "@grumpytourist_uk", "en", ["comp", "abuse"],
  "Your staff in Lauwersoog treated my mum in her wheelchair like luggage. Idiots, the whole lot of you @kwelderveer")

# ---- reputation.abuse -------------------------------------------------------
P("x", "@noordkaap_rebel", "nl", ["abuse"],
  "@kwelderveer_info jullie zijn gewoon een stel graaiende kl\u043e\u043etzakken", kind="reply")
P("x", "@d3_v1ss3r", "nl", ["abuse"],
  "@jorrit_kapitein kapitein m'n hol, jij kan nog geen badeendje aanleggen sukkel", kind="reply")
P("tiktok", "@boze_buurman", "nl", ["abuse"],
  "die dekknechten van kwelderveer zijn allemaal van die lamlendige apen, zo kijken ze je ook aan 🐒🐒", kind="comment")
P("tiktok", "@matroos_milan", "nl", ["abuse"],
  "toeristen die met hun bolderkar het autodek op willen lopen... stelletje debielen echt 🤡🤡 #matrozenleven")
P("x", "@kwelderveer_info", "nl", ["abuse"],
  "@surf_sjoerd Misschien eerst even leren lezen voordat u gaat klagen, sufferd.", kind="reply")
P("x", "@anon_wadden", "en", ["abuse"],
  "@marloes_kwv we know where you park your car Marloes. enjoy your next shift 😘", kind="reply")

# ---- reputation.crisis ------------------------------------------------------
P("x", "@eilandnieuws_ter", "nl", ["crisis"],
  "BREAKING: veerboot van Kwelderveer vastgelopen op een zandplaat bij de Vliestroom, ruim 300 passagiers aan boord. "
  "KNRM Terschelling is onderweg.")
P("x", "@pauldijk", "en", ["crisis"],
  "Smoke pouring out of the engine room on the Kwelderveer ferry to Ameland, crew handing out life jackets. "
  "Scary af, everyone on the top deck")
P("facebook", "Wadden Actiegroep", "nl", ["crisis"],
  "BOYCOT KWELDERVEER! 23% duurder voor eilanders terwijl de directie bonussen opstrijkt. Deel dit bericht en "
  "neem de komende maand de boot niet. #boycotkwelderveer")
P("x", "@privacyjurist_nl", "nl", ["crisis"],
  "Kwelderveer heeft een datalek: via de boekingsmodule kon je met een ander reserveringsnummer de paspoortgegevens "
  "van medepassagiers inzien. Melding bij de AP is gedaan.")
P("x", "@leeuwarder_nieuws", "nl", ["crisis"],
  "Eilanders van Schiermonnikoog slepen Kwelderveer voor de rechter om het schrappen van de wintervaarten. "
  "Eerste zitting in november.")
P("instagram", "@sailing.saskia", "en", ["crisis"],
  "Nearly got run over by the Kwelderveer fast ferry in the Blauwe Slenk today. No horn, no course change. "
  "Reported to the Kustwacht. This is how people die out there.")
P("x", "@vader_van_drie", "nl", ["crisis"],
  "Mijn zoontje is van de loopplank gevallen in Holwerd omdat er geen reling stond. Gebroken arm. "
  "Kwelderveer, dit wordt een letselschadezaak.")
P("x", "@milieuwacht_wad", "nl", ["crisis"],
  "Grote dieselvlek achter de Boschplaat van Kwelderveer in de haven van West-Terschelling. Zeehonden liggen 200 m "
  "verderop. Wie gaat dit opruimen?")
P("tiktok", "@ameland.anouk", "nl", ["crisis"],
  "auto rolde gewoon van de klep af bij het aanmeren van de kwelderveer boot, iedereen gillen 😳 hoe kan dit "
  "#ameland", kind="post")
P("x", "@journalist_jk", "en", ["crisis"],
  "Sources: Kwelderveer skipped mandatory lifeboat inspections on two of its vessels this year. The ILT is "
  "investigating. Story tomorrow.")
P("facebook", "Henk Brouwer", "nl", ["crisis"],
  "Man overboord vanaf de KwelderSnel vanavond?? Zag de reddingsboot en een heli boven het Vlie. Weet iemand meer",
  kind="comment")

# ---- crisis + complaint / abuse ----------------------------------------------
P("reddit", "u/terschellingfan", "en", ["crisis", "comp"],
  "Kwelderveer ferry lost power mid-crossing in a force 8 and drifted for 90 minutes. No info from the crew, people "
  "vomiting and crying, staff hiding in the wheelhouse. How is this legal?")
P("x", "@wadvaarder", "en", ["crisis", "comp"],
  "Stranded SIX hours on the @kwelderveer boat outside Vlieland. No water, no food, toilets overflowing, kids crying. "
  "Someone is going to get hurt next time.")
P("x", "@zeezieke_zus", "en", ["crisis", "comp"],
  "the Kwelderveer ferry slammed into the quay at Harlingen this morning, I've got a cut on my head and not one "
  "staff member came to check on us. appalling")
P("x", "@eilander_gerda", "nl", ["crisis", "abuse"],
  "Die graaiers van Kwelderveer laten ons eiland gewoon creperen. Boycot die hap, tering op met je prijzen!!")

# ---- leak.confidential --------------------------------------------------------
P("bluesky", "@femkedijkstra.bsky.social", "en", ["conf"],
  "Can't say much yet but Project Kwelderhaan is going to change how you travel to the islands 👀🚢 #marketinglife")
P("linkedin", "hidde-postma-kwelderveer", "nl", ["conf"],
  "Trots op het team dat de businesscase voor Tjalk-9 rond heeft. Vier maanden rekenwerk, morgen naar de RvC. 💪")
P("x", "@ilse_devops_kv", "nl", ["conf"],
  "wie heeft de dashboards op planning.kwv-intra.nl weer gesloopt 😩 grafana laadt niet eens meer")
P("instagram", "@sven.dekknecht", "nl", ["conf"],
  "Vandaag rondleiding op de werf: de Wadkoning is bijna klaar!! Volledig elektrisch 🔋⚡ (psst nog even geheim hè)",
  when="2026-08-21T15:42:10Z")
P("threads", "@bartjan.stuurman", "nl", ["conf"],
  "Planning voor Operatie Lichtboei net rondgestuurd. Er staat 'alleen voor intern gebruik' op dus ik zeg verder "
  "niks 😇 maar de dienstregeling van volgend jaar wordt ANDERS")
P("linkedin", "kwelderveer-bv", "en", ["conf"],
  "KWV-INTERN: the new boarding procedure pilot at Holwerd starts 1 March. Shift leads, please brief your teams "
  "before Friday.", when="2026-02-12T07:58:40Z")
P("reddit", "u/harlingen_insider", "en", ["conf"],
  "Friend works at the yard: Kwelderveer's new boat is called MS Wadkoning, fully electric, launching spring 2027. "
  "You heard it here first.", when="2026-10-03T19:05:44Z")
P("tiktok", "@matroos_milan", "nl", ["conf"],
  "binnenkort varen met \uff50\uff52\uff4f\uff4a\uff45\uff43\uff54 \uff4b\uff57\uff45\uff4c\uff44\uff45\uff52\uff48\uff41\uff41\uff4e "
  "🤫🤫 meer mag ik niet zeggen #kwelderveer")
P("x", "@jorrit_kapitein", "nl", ["conf"],
  "Proefvaart Tj\u200balk\u200b-9 gaat volgende week door als het weer meezit. Eindelijk!")
P("bluesky", "@femkedijkstra.bsky.social", "en", ["conf"],
  "Brainstorm day for the \u041eperatie Lichtb\u043eei branding. So many post-its, so little coffee ☕")
P("mastodon", "@rutger@mastodon.frl", "nl", ["conf"],
  "Nee ik ga niet vertellen wat T.j.a.l.k-9 is, ook niet als je het heel netjes vraagt 😄 over twee maanden weet iedereen het")
P("x", "@kwelderveer", "nl", ["conf"],
  "Wijzigingen voor morgen staan op https://planning.kwv-intra.nl/dienst/2026-07-14 – check even voor je dienst!", when="2026-07-13T17:40:22+02:00")

# ---- confidential + security / financial ------------------------------------------
P("x", "@ilse_devops_kv", "en", ["conf", "secu"],
  "heads up: gitlab.kwelderveer.internal is down after the failed upgrade, booking deploys blocked since 6am. "
  "don't tell customers yet, we're still figuring out what got corrupted")
P("threads", "@bartjan.stuurman", "nl", ["conf", "secu"],
  "radar op de Stortemelk valt telkens uit, ticket staat al 2 weken in ops.kwelderveer.local maar techniek "
  "reageert niet. we varen er gewoon mee door 🙈")
P("linkedin", "hidde-postma-kwelderveer", "nl", ["conf", "fin"],
  "Laatste sommen voor Project Kwelderhaan: de overname van die Deense rederij kost ons zo'n 41 miljoen. "
  "RvC tekent volgende week, daarna pas persbericht.")
P("x", "@marloes_kwv", "nl", ["conf", "fin"],
  "collega's van finance hebben de jaarcijfers 2026 al gezien en het is... niet best. winst gehalveerd zeggen ze 😬",
  when="2027-02-22T12:31:07Z")
P("linkedin", "anouk-visser-kwelderveer", "nl", ["conf", "fin"],
  "Operatie Lichtboei betekent helaas afscheid van 38 collega's op de wal. Zwaar traject voor HR, de "
  "aankondiging komt pas in januari, maar we bereiden het zorgvuldig voor.")
P("reddit", "u/veerbootnerd", "en", ["conf", "fin"],
  "Leaked slide deck says 'Tjalk-9: sell the Boschplaat, lease two hybrids, cut winter sailings to Schier'. "
  "Kwelderveer hasn't announced any of it.")

# ---- leak.security ------------------------------------------------------------
P("x", "@ilse_devops_kv", "nl", ["secu"],
  "Boekingssite ligt sinds 05:30 plat door een DDoS. Naar buiten toe hebben we nog niks gecommuniceerd. Koffie 😵")
P("mastodon", "@rutger@mastodon.frl", "en", ["secu"],
  "Found an IDOR in our own booking API this week: change the reservation number in the URL and you get someone "
  "else's passenger list. Patch isn't out yet, so… please don't go looking 🙃")
P("linkedin", "hidde-postma-kwelderveer", "nl", ["secu"],
  "Phishingmail bij finance heeft twee accounts gekaapt, alle betalingen van vanochtend worden teruggedraaid. "
  "Lange dag, en we mogen er nog niks over zeggen.")
P("tiktok", "@matroos_milan", "nl", ["secu"],
  "de poortjes in harlingen doen het al de hele dag niet dus we laten iedereen gewoon zonder scannen door haha. "
  "heel het ticketsysteem ligt eruit, weet nog niemand 🤫")
P("x", "@marloes_kwv", "en", ["secu"],
  "so the customer export ended up in a shared folder that anyone with the link could open 🫠 IT is on it. "
  "please don't ask me about it")
P("reddit", "u/throwaway_kwv", "en", ["secu"],
  "Ex-contractor here. Kwelderveer's ticket kiosks still run Windows 7 with the factory admin password, nobody ever "
  "patched them. Been like that since 2021.")
P("threads", "@bartjan.stuurman", "nl", ["secu"],
  "AIS-transponder van de Grutto zendt al drie dagen rare posities uit. Techniek denkt aan spoofing. niet doorvertellen")
P("bluesky", "@femkedijkstra.bsky.social", "en", ["secu"],
  "Our newsletter tool got hacked last night and sent a fake 'refund' link to 12k subscribers. PR statement is still "
  "being drafted so shhh for now")
P("x", "@kwelderveer_info", "nl", ["secu"],
  "@tessel_bakkum Klopt, er zat ransomware op de kassasystemen in Holwerd, daarom kon u niet pinnen. Dat is nog "
  "niet officieel gemeld, dus graag even onder ons.", kind="reply")
P("instagram", "@sven.dekknecht", "nl", ["secu"],
  "Camera's op het autodek staan al een week uit, de recorder is gecrasht na die update. Niemand die het weet "
  "behalve wij 🤷‍♂️")
P("mastodon", "@rutger@mastodon.frl", "en", ["secu"],
  "Note to self: since the migration the crew-roster SSO accepts ANY password that ends with '!'. Fix lands Monday. "
  "Until then, fingers crossed.")

# ---- leak.secret ----------------------------------------------------------
P("x", "@ilse_devops_kv", "en", ["secret"],
  "why won't this work 😭 curl -H \"Authorization: token <<ghp>>\" https://api.github.com/user returns 401")
P("mastodon", "@rutger@mastodon.frl", "en", ["secret"],
  "testing the outage alert hook, ignore: <<slack_hook>>")
P("bluesky", "@femkedijkstra.bsky.social", "en", ["secret"],
  "Anyone good with Mollie? Our booking plugin uses key <<mollie>> and keeps throwing 'unauthorized'. Help a "
  "marketer out 🙏")
P("x", "@ilse_devops_kv", "nl", ["secret", "conf"],
  "DATABASE_URL=postgres://boeking_app:Wd7!harl1ngen@db01.ops.kwelderveer.local:5432/reserveringen werkt lokaal "
  "wel maar in CI niet?? iemand")
P("threads", "@bartjan.stuurman", "nl", ["secret"],
  "crew wifi op de Grutto is eindelijk gefixt. netwerk KV-Crew, wachtwoord: Zilvermeeuw!2026 — niet doorgeven aan "
  "de passagiers 😉")
P("x", "@kwelderveer", "nl", ["secret"],
  "Testbericht koppeling dienstregeling-API token=<<jwt>>")
P("youtube", "@KwelderveerTV", "en", ["secret"],
  "For the developers asking how to embed our live ferry map: use this key <<google>> and it works straight "
  "away.", kind="comment")
P("reddit", "u/codemonkey_friesland", "en", ["secret"],
  "lol the Kwelderveer app bundle ships a hardcoded Stripe live key: <<stripe>> . Someone please tell them "
  "before somebody less nice finds it")
P("mastodon", "@rutger@mastodon.frl", "en", ["secret"],
  "Which one of you pasted this on the ops wiki?? Rotating it now.\n<<openssh>>")
P("x", "@ilse_devops_kv", "en", ["secret"],
  "openai key for the chatbot pilot, pls don't burn through the credits: <<openai>>")
P("mastodon", "@rutger@mastodon.frl", "nl", ["secret"],
  "CI-token voor de runners, morgen roteer ik hem, beloofd: <<gitlab>>")
P("x", "@ilse_devops_kv", "nl", ["secret"],
  "w a c h t w o o r d  v o o r  d e  a d m i n  p a g i n a :  Veerpont#Harl1ngen  (voor de collega's die het "
  "vroegen, niet RT'en)")
P("x", "@ilse_devops_kv", "en", ["secret", "secu"],
  "someone pushed the prod AWS key to a public repo AGAIN. bots already spun up miners on our account. "
  "rotating now: <<akia>> / <<aws_secret>> 😤")

# ---- leak.pii ------------------------------------------------------------------
P("x", "@marloes_kwv", "nl", ["pii"],
  "Wie kent deze passagier? Mevrouw J. Kramer, geboren 12-03-1961, heeft haar tas op de Boschplaat laten staan. "
  "Bel haar even op 06-41827365 als je haar ziet!")
P("facebook", "KwelderveerNL", "nl", ["pii"],
  "Gevonden aan boord: portemonnee met rijbewijs op naam van Dirk-Jan Wiersma, Badweg 14, 8881 HB West-Terschelling. "
  "Meldt u zich bij de balie in Harlingen.")
P("x", "@kwelderveer_info", "nl", ["pii"],
  "@annemiekvdb We hebben de restitutie overgemaakt naar <<iban_sp>> t.n.v. A. van den Berg, kunt u dat even "
  "controleren?", kind="reply")
P("linkedin", "anouk-visser-kwelderveer", "nl", ["pii"],
  "Welkom aan onze nieuwe matroos Kees Terpstra! 🎉 Voor de loonadministratie: BSN <<bsn>>, hij start op 1 mei.", when="2026-04-24T11:19:05Z")
P("tiktok", "@matroos_milan", "nl", ["pii"],
  "collega Jelle wordt morgen 30 (14-06-1996)!! hij woont op de Zuiderstraat 9 in Harlingen, ga hem maar "
  "feliciteren met een taart 🎂🎉", when="2026-06-13T20:51:48+02:00")
P("x", "@jorrit_kapitein", "en", ["pii"],
  "Passenger list tonight has a pretty famous Dutch singer on it 😄 booked under s.dijkman@gmail.com, "
  "+31 6 2290 4418. Kidding… or am I")
P("x", "@tante_ria", "nl", ["pii"],
  "@kwelderveer_info mijn kleinzoon is zijn telefoon kwijt op de boot van 16u, bel mij terug op 0612 77 43 90 of "
  "mail naar ria.postma52@hotmail.com. alvast bedankt", kind="reply")
P("bluesky", "@femkedijkstra.bsky.social", "en", ["pii"],
  "And the winner of our summer photo contest is Sanne Hoekstra (sanne.hoekstra@ziggo.nl)! Congrats Sanne 📸")
P("mastodon", "@rutger@mastodon.frl", "nl", ["pii"],
  "Waarom staat er in de testomgeving een echte klantkaart <<card>> van P. de Jong (17-09-1984)? Wie heeft "
  "productiedata gekopieerd??")
P("instagram", "@kwelderveer", "en", ["pii"],
  "Congratulations to our 1,000,000th passenger this year: Ahmed Benali from Utrecht, born 3 May 1990! 🎉🚢")
P("linkedin", "hidde-postma-kwelderveer", "nl", ["pii"],
  "Kan iemand van crediteuren dit oppakken: factuur van Hans Müller (zzp, scheepselektra) met IBAN <<iban_de>>, "
  "wijkt af van wat in het systeem staat.")
P("x", "@jooptexelaar", "nl", ["pii", "comp"],
  "@kwelderveer_info al 6 weken geen terugbetaling!! Mijn rekeningnummer is <<iban>> t.n.v. J. Hofstra, stort het "
  "nou gewoon", kind="reply")
P("instagram", "@first.time.ferry", "en", ["pii", "comp"],
  "Booking failed 3 times on your site and I just need to get home. card <<card_sp>> exp 08/28, can someone at "
  "@kwelderveer please just book it for me??", kind="comment")
P("youtube", "@emily_travels_uk", "en", ["pii", "comp"],
  "Kwelderveer lost my suitcase on the Vlieland boat and nobody answers. Emily Carter, 42 Station Road, Leeds, "
  "+44 7700 900123. PLEASE call me.", kind="comment")
P("x", "@wraak_op_het_wad", "nl", ["pii", "abuse"],
  "Kapitein Jorrit Zijlstra van Kwelderveer woont op de Noorderhaven 88 in Harlingen. Ga hem maar eens vertellen "
  "wat je van zijn vaarkunsten vindt, die lul")

# ---- leak.pricing -----------------------------------------------------------
P("x", "@dealjager_nl", "nl", ["pricing"],
  "PRIJSFOUT?! Autoticket Terschelling retour voor €22,40 op boeken.kwelderveer.nl 😱 snel zijn!")
P("x", "@kwelderveer", "nl", ["pricing"],
  "Laatste kans deze zomer ☀️ Camperticket retour nu voor maar €39! Boek via de app.")
P("instagram", "@kwelderveer", "en", ["pricing"],
  "Weekend deal 🌊 10-trip card for only €45, this weekend only!")
P("reddit", "u/budgetreiziger", "en", ["pricing"],
  "Annual island pass for 95 euro in the Kwelderveer app right now. Bug or promo? It's normally almost 700.")
P("x", "@marloes_kwv", "nl", ["pricing"],
  "Oeps, er zit een prijsfout in de app bij de Eilandhopper. We kijken ernaar! Niet boeken aub 🙈")
P("tiktok", "@eilandhopper_sam", "nl", ["pricing"],
  "eilandhopper 5-dagenpas voor €8,90??? hahaha kwelderveer wat doe je 😂")
P("facebook", "Frieda Kuipers", "en", ["pricing"],
  "Just booked the car ticket to Ameland and back for €14.20 on the Kwelderveer site, price glitch I guess? "
  "Will they honour it?", kind="comment")
P("x", "@koopjeskoning", "en", ["pricing"],
  "Kwelderveer group ticket for €\uff13\uff16 lol, 20 of us going to Schier 🍻")
P("bluesky", "@femkedijkstra.bsky.social", "en", ["pricing"],
  "Winter promo is live! Trailer ticket return (aanhangerticket retour) just €29 ❄️ bring the whole garden shed")
P("linkedin", "kwelderveer-bv", "en", ["pricing"],
  "Planning a team outing? Our Groepsticket 15+ is available from €99 this autumn.", when="2026-09-08T08:15:00Z")
P("x", "@wadden_weetjes", "nl", ["pricing"],
  "Kwelderveer rekent nu €4 voor een retour Vlieland in de app. Prijsfout of komt Sinterklaas vroeg?")
P("x", "@hanna_h", "en", ["pricing", "comp"],
  "@kwelderveer_info you sold me the motorbike ticket return at €7.60, then called it a 'price error' and cancelled "
  "my booking the night before. Not cool at all.", kind="reply")

# ---- leak.financial ---------------------------------------------------------
P("linkedin", "hidde-postma-kwelderveer", "nl", ["fin"],
  "Q3 afgesloten: omzet 18% onder budget door de natte zomer. Publicatie pas in november, maar ik ben gesloopt 😅", when="2026-10-08T21:04:33+02:00")
P("x", "@marloes_kwv", "nl", ["fin"],
  "gerucht op de werkvloer: we worden overgenomen door een Duitse rederij. directie zegt niks maar er lopen al "
  "weken mannen in pakken rond op kantoor")
P("linkedin", "anouk-visser-kwelderveer", "en", ["fin"],
  "Tough week. Leadership confirmed to us that the Lauwersoog office closes next year and its 22 roles move or go. "
  "Official announcement is planned for January.", when="2026-11-24T19:47:18Z")
P("threads", "@bartjan.stuurman", "nl", ["fin"],
  "De Boschplaat wordt verkocht aan een rederij in Griekenland, contract is rond. bemanning hoort het pas "
  "volgende maand 😔")
P("mastodon", "@rutger@mastodon.frl", "en", ["fin"],
  "Budget meeting today: IT spend frozen because we're going to breach the bank covenant this year. Fun times.")
P("x", "@jorrit_kapitein", "nl", ["fin"],
  "Prognose voor volgend jaar: 15% minder passagiers naar Schier. Daarom willen ze de winterdienst schrappen, "
  "hoorde ik vandaag op de vlootvergadering.")
P("x", "@beursbink", "nl", ["fin"],
  "Uit goede bron: Kwelderveer verliest de concessie Vlieland bij de nieuwe aanbesteding. Uitslag is nog niet "
  "openbaar, ministerie maakt het pas in maart bekend.")
P("linkedin", "kwelderveer-bv", "nl", ["fin"],
  "Uitnodiging personeelsbijeenkomst donderdag: toelichting op de reorganisatie van de walorganisatie en de "
  "geplande 12% kostenbesparing. Niet delen buiten Kwelderveer a.u.b.")

# ---- benign (hard negatives first, then ordinary) ---------------------------------
P("x", "@kwelderveer", "nl", [],
  "Goedemorgen! Vandaag varen alle afvaarten volgens de dienstregeling ⛴️ Vragen? Mail klantenservice@kwelderveer.nl "
  "of bel 0900-1808.")
P("instagram", "@kwelderveer", "en", [],
  "Sunset on board the Stortemelk 🌅 Tag us in your crossing photos with #kwelderveer")
P("x", "@kwelderveer_info", "nl", [],
  "@annemiekvdb Wat vervelend dat u zo lang moest wachten. We hebben uw dossier met voorrang doorgezet, u hoort "
  "binnen 2 werkdagen van ons. ^Marloes", kind="reply")
P("facebook", "KwelderveerNL", "nl", [],
  f"Met een groep naar de eilanden? Betaal vooraf via overboeking naar {group4(PUB_IBAN)} t.n.v. Kwelderveer B.V. "
  "o.v.v. uw reserveringsnummer. Vragen: groepen@kwelderveer.nl")
P("x", "@tessel_bakkum", "nl", [],
  "Update: @kwelderveer_info heeft het netjes opgelost, alsnog met de volgende boot mee en een tegoedbon gekregen. Top!")
P("x", "@mikeontheroad", "en", [],
  "ok credit where it's due, Kwelderveer refunded the cancelled fast ferry within a day. thanks 👍")
P("reddit", "u/islandtripper", "en", [],
  "Is the Eilandhopper pass worth it? €89 for 5 days seems decent if you hop between Terschelling and Vlieland.")
P("x", "@kwelderveer", "nl", [],
  "Winteractie ❄️ Camperticket retour €272,30 in plaats van €389 (30% korting), geldig t/m 31 januari.", when="2026-12-01T08:00:00Z")
P("instagram", "@kwelderveer", "en", [],
  "Autumn sale 🍂 Eilandhopper 5-day pass now €71.20 (20% off). Book before 1 November!")
P("x", "@dealjager_nl", "nl", [],
  "Geen prijsfout deze keer, gewoon een nette actie: de 10-rittenkaart van Kwelderveer voor €197,10 (10% korting).")
P("x", "@jorrit_kapitein", "en", [],
  "Stunning crossing this morning: seals on the Richel and water like glass. Best office in the Netherlands ⚓")
P("tiktok", "@matroos_milan", "nl", [],
  "dag uit het leven van een matroos ⚓ trossen los, koffie, trossen vast, koffie, herhaal x6 #kwelderveer")
P("bluesky", "@femkedijkstra.bsky.social", "en", [],
  "Our summer 2026 timetable is online! More sailings to Vlieland on Fridays 🚢 boeken.kwelderveer.nl", when="2026-03-02T09:30:12Z")
P("linkedin", "kwelderveer-bv", "en", [],
  "We're hiring a mate/engineer for our fleet. Interested? Apply via werken@kwelderveer.nl ⚓")
P("x", "@devblog_jan", "en", [],
  "Notes from my DevOps Fryslân talk (thanks Kwelderveer for hosting!): never hardcode keys. The docs example "
  "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE is fine in slides, a real one is not.")
P("mastodon", "@rutger@mastodon.frl", "en", [],
  "PSA for colleagues: never paste tokens in chat. If you see something like ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX "
  "in a ticket, report it and we rotate.")
P("x", "@ilse_devops_kv", "en", [],
  "sample config for new devs: DATABASE_URL=postgres://user:********@localhost:5432/dev, real passwords come "
  "from the vault only pls 🙏")
P("x", "@wadloper_anne", "nl", [],
  "Klopt dit rekeningnummer voor de groepsboeking van Kwelderveer? <<iban_bad>> Ik heb het overgetypt van een "
  "briefje, volgens mij klopt er iets niet")
P("instagram", "@first.time.ferry", "en", [],
  "lol tried to pay for my Kwelderveer ticket and the site said card number invalid, turns out I typed "
  "<<card_bad>> instead of my actual number. all sorted now 😅", kind="comment")
P("linkedin", "anouk-visser-kwelderveer", "nl", [],
  "Tip voor nieuwe collega's: op het voorbeeldformulier staat BSN <<bsn_bad>> als dummy. Je echte gegevens "
  "vul je alleen in via het HR-portaal, nooit per mail!")
P("x", "@kwelderveer", "nl", [],
  "De jaarcijfers 2026 van Kwelderveer zijn gepubliceerd: 2,1 miljoen passagiers en een record aan fietsen aan "
  "boord. Lees het jaarverslag op kwelderveer.nl", when="2027-03-05T09:00:00Z")
P("bluesky", "@femkedijkstra.bsky.social", "en", [],
  "She's here! Meet MS Wadkoning, our first fully electric ferry ⚡🚢 #Wadkoning", when="2027-04-15T10:05:00Z")
P("x", "@eilandnieuws_ter", "nl", [],
  "MS Wadkoning maakt vandaag haar eerste vaart met passagiers naar West-Terschelling. Fijne overtocht!",
  when="2027-04-20T08:14:00Z")
P("linkedin", "hidde-postma-kwelderveer", "en", [],
  "Glad our full-year results 2026 are finally public. Solid year despite the November storms, proud of the team.",
  when="2027-03-10T11:20:00Z")
P("x", "@jorrit_kapitein", "nl", [],
  "Eindelijk mag ik het zeggen: vanaf juni ben ik kapitein op de Wadkoning! ⚡⚓", when="2027-04-15T12:30:00Z")
P("x", "@wadvaarder", "en", [],
  "Sending love to the Kwelderveer crew after that rough crossing yesterday. You kept everyone calm and fed 💙")
P("x", "@northsea_watch", "en", [],
  "A ferry ran aground near Bergen in Norway, 200 passengers evacuated, nobody hurt. Reminded me of the safety "
  "briefing on my Kwelderveer crossing last week, they at least take it seriously.")
P("x", "@techpraat", "en", [],
  "Big data breach at some budget airline today, 400k customers affected. Glad my ferry company Kwelderveer only "
  "asks for a name and a number plate 😅")
P("x", "@oma_truus", "nl", [],
  "Lieve bemanning van de Boschplaat, dank jullie wel voor het tillen van mijn rollator vandaag ❤️ de lift is weer "
  "gemaakt ook!", when="2026-04-18T17:03:51+02:00")
P("reddit", "u/dutchcommuter_91", "en", [],
  "Update: the app issue was on my end, old version from 2024. Works fine after updating. Kwelderveer support was "
  "actually helpful.", when="2026-11-03T20:26:02Z")
P("x", "@surf_sjoerd", "nl", [],
  "die golven vandaag bij Vlieland waren echt ziek 🤙🤙 en de boot terug was strak op tijd")
P("x", "@kattenmens88", "en", [],
  "quick q: can my dog come inside on the KwelderSnel or does she have to stay on deck? and the dog ticket is €6.50 right?")
P("x", "@kwelderveer_info", "en", [],
  "@kattenmens88 Yes, dogs on a lead are welcome inside. The return dog ticket is €6.50 🐶", kind="reply", when="2026-04-13T14:02:37Z")
P("facebook", "Gerrit Hoekstra", "nl", [],
  "Terugbetaling is binnen. Duurde lang, maar netjes afgehandeld. Bedankt Kwelderveer.", kind="comment")
P("x", "@wadden_weetjes", "nl", [],
  "Wist je dat er al sinds 1961 veerdiensten van Kwelderveer naar Terschelling varen? Een retour Terschelling kostte "
  "toen 3 gulden 😄", low_price_ok=True)
P("x", "@beursbink", "nl", [],
  "Kwelderveer heeft de jaarrekening 2025 gedeponeerd bij de KvK, gewoon openbaar in te zien: omzet 41 miljoen, "
  "nettowinst 1,8 miljoen.", when="2026-06-02T10:11:00Z")
P("linkedin", "kwelderveer-bv", "en", [],
  "We're proud to announce our partnership with the Waddenvereniging for seal-safe sailing routes, as published "
  "in today's press release.")
P("x", "@kwelderveer", "nl", [],
  "Let op, phishing! Wij vragen nooit per sms of mail om uw wachtwoord of bankgegevens. Twijfelt u? Bel ons op "
  "0900-1808.")
P("x", "@kwelderveer_info", "en", [],
  "@mikeontheroad Sorry for the disruption. The fast ferry was cancelled due to low water; you can rebook for free "
  "or request a refund at boeken.kwelderveer.nl", kind="reply", when="2026-03-03T16:41:09Z")
P("instagram", "@hollandhopper_", "en", [],
  "Retour Terschelling as a foot passenger was €28.50 and coffee on board €2.80. Cheapest island trip ever tbh 🌊",
  low_price_ok=True)
P("x", "@fietsfrits", "nl", [],
  "Fietsticket retour €17 en op Ameland fiets je gratis langs het mooiste uitzicht. Beste deal ✌️")
P("x", "@grappenmaker_wad", "nl", [],
  "De Kwelderveer app wil dat ik een sterker wachtwoord kies. Sterker dan de koffie aan boord? Dat wordt lastig 😂")
P("facebook", "Zeilvereniging Harlingen", "nl", [],
  "Clubwedstrijd zaterdag: houd rekening met de boten van Kwelderveer in het vaarwater, zij hebben voorrang. "
  "Veel plezier allemaal!")
P("mastodon", "@rutger@mastodon.frl", "en", [],
  "Gave a talk on securing maritime IT at a meetup in Leeuwarden. Slides are public and contain zero secrets, "
  "promise 😉 Main takeaway: rotate your keys.")
P("tiktok", "@matroos_milan", "nl", [],
  "zeeziekmeter vandaag: 3/10. meneer op rij 4: 11/10 🤢 sterkte kerel, we zijn er bijna")
P("bluesky", "@femkedijkstra.bsky.social", "en", [],
  "Shoutout to the photographer who caught our ferry in last night's storm light. Absolutely stunning ⛈️🚢")
P("x", "@eilander_gerda", "nl", [],
  "Goed overleg gehad met Kwelderveer over de wintertarieven voor eilanders. Ze luisteren toch, chapeau 👍")
P("youtube", "@KwelderveerTV", "en", [],
  "Full crossing Harlingen – Vlieland in 4K. Sit back and enjoy the Wadden Sea 🌊")
P("x", "@kwelderveer", "nl", [],
  "Tarieven 2026: retour Ameland voetpassagier €17,90, autoticket Ameland retour €142. Alle prijzen op "
  "kwelderveer.nl/tarieven")
P("reddit", "u/islandtripper", "en", [],
  "PSA for tourists: Kwelderveer's customer service number is 0900-1808 and they actually pick up. Or email "
  "klantenservice@kwelderveer.nl, answered within a day for me.")
P("x", "@privacyjurist_nl", "nl", [],
  "Netjes: Kwelderveer heeft de privacyverklaring aangepast en bewaart geen paspoortgegevens meer na de reis. "
  "Zo hoort het.")
P("x", "@journalist_jk", "en", [],
  "A rival German ferry operator faces a lawsuit over cancelled winter sailings. Kwelderveer says its own winter "
  "schedule is unaffected.")
P("instagram", "@sven.dekknecht", "en", [],
  "New life jackets on board the Boschplaat! Checked and labelled every single one today 🦺 safety first")
P("threads", "@bartjan.stuurman", "nl", [],
  "Man-over-boord oefening vandaag samen met de KNRM, pop binnen 4 minuten weer aan boord. Trots op de ploeg 💪")
P("x", "@ilse_devops_kv", "en", [],
  "Planned maintenance tonight 23:00–01:00, booking site may be slow. It's on status.kwelderveer.nl already, so "
  "no surprises 🙂")
P("mastodon", "@rensje@mastodon.nl", "nl", [],
  "Sorry Kwelderveer, was gisteren te boos. De 7:15 vaart weer gewoon en de crew kan er ook niks aan doen.", when="2026-03-30T19:12:44+02:00")
P("x", "@travelwithtom", "en", [],
  "holy moly what a view from the top deck 🤯 thanks @kwelderveer for the smoothest crossing ever")
P("forum", "wadliefhebber", "nl", [],
  f"Voor wie de groepsreis wil betalen: het rekeningnummer van Kwelderveer staat gewoon op hun site, "
  f"{PUB_IBAN}. Maak niks over naar andere nummers, er gaan nepmails rond!")
P("x", "@dealjager_nl", "nl", [],
  "Black Friday bij Kwelderveer: 25% korting op de Zeehondentocht Wad, nu €18,38 p.p. 🦭", when="2026-11-27T07:45:00Z")
P("x", "@techpraat", "en", [],
  "Heads up: a fake 'Kwelderveer refund' email is going round asking for your card number "
  "(4929 **** **** ****). Don't fill it in, just delete it!")
P("x", "@devblog_jan", "en", [],
  "Stripe's docs use sk_test_4eC39HqLyjWDarjtT1zdp7dc in every example, so don't panic when you see it in my "
  "Kwelderveer-hackathon repo. It's the public sample.")
P("instagram", "@lekkerweg.nl", "nl", [],
  "Lekker weertje voor een zeehondentocht met Kwelderveer 🦭 €24,50 goed besteed, 40 zeehonden geteld!")

# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------
ROLE = {}
for role in ("corporate", "employee"):
    for entry in PROFILE["accounts"][role]:
        plat, handle = entry.split(":", 1)
        ROLE[(plat.lower(), handle.lower())] = role


def role_of(platform, handle):
    plat = "x" if platform in ("x", "twitter") else platform
    return ROLE.get((plat.lower(), handle.lower()), "public")


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, pii_checksum):
    best = "none"
    for c in cats:
        own = role in ("corporate", "employee")
        if c.startswith("leak."):
            if own:
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checksum):
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
            raise AssertionError(c)
        if RANK.index(s) > RANK.index(best):
            best = s
    return best


def fill(text):
    """Replace <<kind>> placeholders with generated values; return text and checked identifiers."""
    checked = []

    def sub(m):
        k = m.group(1)
        if k in CHECKED:
            v = CHECKED[k]()
            checked.append((KIND_OF[k], v, not k.endswith("_bad")))
            return v
        return GEN[k]()

    return re.sub(r"<<(\w+)>>", sub, text), checked


def rand_time(used):
    while True:
        start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
        t = start + dt.timedelta(seconds=rng.randint(0, 350 * 86400))
        # ferries and people are awake 06:00-23:59 local
        if 5 <= t.hour <= 22 and t not in used:
            used.add(t)
            return t


def fmt_time(t):
    if rng.random() < 0.2:
        off = dt.timedelta(hours=2 if 4 <= t.month <= 10 else 1)
        local = t.astimezone(dt.timezone(off))
        return local.strftime("%Y-%m-%dT%H:%M:%S") + ("+02:00" if off.seconds == 7200 else "+01:00")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_id(platform, used):
    while True:
        if platform == "x":
            pid = "x-" + str(rng.randint(1_880_000_000_000_000_000, 1_999_999_999_999_999_999))
        elif platform == "reddit":
            pid = "reddit-t3_" + rand(string.digits + string.ascii_lowercase, 7)
        elif platform == "mastodon":
            pid = "mastodon-" + str(rng.randint(112_000_000_000_000_000, 115_999_999_999_999_999))
        elif platform == "bluesky":
            pid = "bsky-3l" + rand(string.digits + string.ascii_lowercase, 11)
        elif platform == "youtube":
            pid = "yt-Ugx" + rand(B64URL, 20)
        else:
            pid = f"{platform}-{rng.randint(10**14, 10**15 - 1)}"
        if pid not in used:
            used.add(pid)
            return pid


DISPLAY = {
    "@kwelderveer": "Kwelderveer", "@kwelderveer_info": "Kwelderveer Klantenservice",
    "KwelderveerNL": "Kwelderveer", "kwelderveer-bv": "Kwelderveer B.V.", "@KwelderveerTV": "Kwelderveer TV",
    "@jorrit_kapitein": "Jorrit Zijlstra", "@marloes_kwv": "Marloes | Kwelderveer", "@ilse_devops_kv": "Ilse 🛠️",
    "hidde-postma-kwelderveer": "Hidde Postma", "anouk-visser-kwelderveer": "Anouk Visser",
    "@sven.dekknecht": "Sven", "@bartjan.stuurman": "Bart-Jan", "@femkedijkstra.bsky.social": "Femke Dijkstra",
    "@matroos_milan": "Milan ⚓", "@rutger@mastodon.frl": "Rutger",
}


def build():
    used_ids, used_times = set(), set()
    out, meta = [], []
    for r in RAW:
        text, checked = fill(r["text"])
        if r["when"]:
            created = r["when"]
        else:
            created = fmt_time(rand_time(used_times))
        role = role_of(r["platform"], r["handle"])
        cats = sorted(CAT[c] for c in r["cats"])
        pii_checksum = "leak.pii" in cats and any(ok for _, _, ok in checked)
        post = {
            "id": make_id(r["platform"], used_ids),
            "platform": r["platform"],
            "kind": r["kind"],
            "account": {"handle": r["handle"]},
            "text": text,
            "lang": r["lang"],
            "created_at": created,
        }
        if r["handle"] in DISPLAY:
            post["account"]["display_name"] = DISPLAY[r["handle"]]
        if rng.random() < 0.5:
            post["url"] = f"https://example.invalid/{r['platform']}/{post['id']}"
        post["brand"] = "KwelderSnel" if "kweldersnel" in text.lower() else "Kwelderveer"
        out.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, pii_checksum)}})
        meta.append(dict(role=role, checked=checked, low_price_ok=r["low_price_ok"]))
    return out, meta


# ---------------------------------------------------------------------------
# self-checks
# ---------------------------------------------------------------------------
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = set(CAT.values())


def parse_time(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


PRICE_RE = re.compile(r"(?:€\s?|EUR\s?)(\d+(?:[.,]\d{1,2})?)|(\d+(?:[.,]\d{1,2})?)\s?(?:euro|EUR)\b", re.I)


def check(cases, meta):
    errs = []
    n = len(cases)
    if not 170 <= n <= 180:
        errs.append(f"case count {n} not in 170..180")
    ids = [c["post"]["id"] for c in cases]
    if len(set(ids)) != n:
        errs.append("duplicate ids")
    pub = PROFILE["public_identifiers"]
    pub_ibans = {i.replace(" ", "") for i in pub["ibans"]}
    pub_emails = {e.lower() for e in pub["emails"]}
    for i, pub_iban in enumerate(pub_ibans):
        if not iban_valid(pub_iban):
            errs.append(f"public IBAN {pub_iban} fails mod-97")
    public_handles = {(c["post"]["platform"], c["post"]["account"]["handle"].lower())
                      for c, m in zip(cases, meta) if m["role"] == "public"}
    for c, m in zip(cases, meta):
        p, e = c["post"], c["expect"]
        tag = p["id"]
        # CONTRACT section 6 / section 1 shape
        if set(c) != {"post", "expect"}:
            errs.append(f"{tag}: top-level keys")
        if not (isinstance(p["id"], str) and 1 <= len(p["id"]) <= 256):
            errs.append(f"{tag}: id")
        if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
            errs.append(f"{tag}: platform/kind")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append(f"{tag}: handle")
        if not isinstance(p["text"], str) or not p["text"] or len(p["text"].encode("utf-8")) > 65536:
            errs.append(f"{tag}: text")
        try:
            t = parse_time(p["created_at"])
        except Exception as ex:  # noqa: BLE001
            errs.append(f"{tag}: created_at {ex}")
            continue
        if t.year not in (2026, 2027):
            errs.append(f"{tag}: year")
        if set(e) != {"categories", "severity"} or e["categories"] != sorted(set(e["categories"])):
            errs.append(f"{tag}: expect shape")
        if not set(e["categories"]) <= TAXONOMY:
            errs.append(f"{tag}: unknown category")
        if e["severity"] not in RANK:
            errs.append(f"{tag}: severity value")
        if not e["categories"] and e["severity"] != "none":
            errs.append(f"{tag}: benign must be none")
        cats = e["categories"]
        text = p["text"]
        benign = not cats
        # identifiers declared by the generator
        for kind, val, ok in m["checked"]:
            valid = VALIDATOR[kind](val)
            if valid != ok:
                errs.append(f"{tag}: {kind} {val} validity {valid}, wanted {ok}")
            if ok and "leak.pii" not in cats:
                errs.append(f"{tag}: valid {kind} outside a pii case")
            if not ok and not benign:
                errs.append(f"{tag}: look-alike {kind} in a positive")
        # any identifier-shaped string anywhere: valid ones only in pii positives
        for mm in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}", text):
            s = mm.group(0).replace(" ", "")
            s = s[:18] if s.startswith("NL") else s[:22] if s.startswith("DE") else s
            if iban_valid(s) and s not in pub_ibans and "leak.pii" not in cats:
                errs.append(f"{tag}: stray valid IBAN {s}")
            if not iban_valid(s) and not benign and s[:2] in ("NL", "DE"):
                errs.append(f"{tag}: invalid IBAN {s} in positive")
        for mm in re.finditer(r"(?<![\w])(?:\d[ -]?){12,18}\d(?![\w])", text):
            if luhn_valid(mm.group(0)) and "leak.pii" not in cats:
                errs.append(f"{tag}: stray Luhn-valid number {mm.group(0)}")
        for mm in re.finditer(r"(?<![\w.])\d{9}(?![\w])", text):
            if bsn_valid(mm.group(0)) and "leak.pii" not in cats:
                errs.append(f"{tag}: stray 11-proof number {mm.group(0)}")
        # e-mail addresses in benign posts must be the company's own
        if benign:
            for mm in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                if mm.group(0).lower() not in pub_emails:
                    errs.append(f"{tag}: foreign e-mail in benign post")
        # credentials are well formed
        for tok in re.findall(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if not github_valid(tok) and "X" * 10 not in tok:
                errs.append(f"{tag}: github token checksum")
            if github_valid(tok) and "leak.secret" not in cats:
                errs.append(f"{tag}: valid github token outside secret case")
        for tok in re.findall(r"\bAKIA[A-Z2-7]{16}\b", text):
            if "leak.secret" not in cats and not tok.endswith("EXAMPLE"):
                errs.append(f"{tag}: AWS key outside secret case")
        for tok in re.findall(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            hdr = json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))
            if "alg" not in hdr:
                errs.append(f"{tag}: JWT header without alg")
        # profile terms that must stay inside: plain occurrences need leak.confidential
        low = text.lower()
        for term in (PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"]
                     + PROFILE["internal"]["domains"]):
            if term.lower() in low and "leak.confidential" not in cats:
                errs.append(f"{tag}: internal term {term!r} without leak.confidential")
        for emb in PROFILE["embargo"]:
            until = parse_time(emb["until"])
            for term in emb["terms"]:
                if term.lower() in low:
                    if t < until and "leak.confidential" not in cats:
                        errs.append(f"{tag}: embargo term {term!r} before until, not confidential")
                    if t >= until and benign is False and "leak.confidential" in cats:
                        errs.append(f"{tag}: embargo term {term!r} after until labelled confidential")
        # benign posts: every price must fit at least one mentioned catalogue product at >= ratio
        if benign and not m["low_price_ok"]:
            prices = [float((a or b).replace(",", ".")) for a, b in PRICE_RE.findall(text)]
            mentioned = [q for q in PROFILE["products"]
                         if any(x.lower() in low for x in [q["name"]] + q["aliases"])]
            ratio = PROFILE["pricing"]["alert_below_ratio"]
            for pr in prices:
                if mentioned and all(pr < ratio * q["list_price"] for q in mentioned):
                    errs.append(f"{tag}: benign post with low price {pr}")
        # pricing positives mention a catalogue product (evasion may hide the price, not the product)
        if "leak.pricing" in cats:
            if not any(x.lower() in low for q in PROFILE["products"] for x in [q["name"]] + q["aliases"]):
                errs.append(f"{tag}: pricing case without a catalogue product")
        # severity recomputed independently
        pii_ok = any(ok for _, _, ok in m["checked"])
        if e["severity"] != severity(cats, role_of(p["platform"], p["account"]["handle"]), pii_ok and "leak.pii" in cats):
            errs.append(f"{tag}: severity mismatch")
    # public handles must not collide with the profile
    for plat, h in public_handles:
        if (plat, h) in ROLE:
            errs.append(f"public handle {h} is in the profile")
    # the mix
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    if not 55 <= benign <= 65:
        errs.append(f"benign count {benign}")
    if not any(c["post"]["created_at"].startswith("2027") for c in cases):
        errs.append("no 2027 posts")
    return errs


def main():
    cases, meta = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read what was written, so the file itself is what gets checked
    with open(path, encoding="utf-8") as f:
        reread = [json.loads(line) for line in f]
    errs = check(reread, meta)
    counts = {}
    for c in reread:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    langs = {}
    for c in reread:
        langs[c["post"]["lang"]] = langs.get(c["post"]["lang"], 0) + 1
    roles = {}
    for m in meta:
        roles[m["role"]] = roles.get(m["role"], 0) + 1
    benign = sum(1 for c in reread if not c["expect"]["categories"])
    print(f"{len(reread)} cases, {benign} benign; categories {dict(sorted(counts.items()))}; "
          f"langs {langs}; roles {roles}")
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check ok")


if __name__ == "__main__":
    main()
