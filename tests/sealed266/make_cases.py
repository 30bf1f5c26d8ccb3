#!/usr/bin/env python3
"""Evaluation set sealed266: Veenkoerier Media B.V. (regional newspaper + news app).

Writes cases.jsonl next to this file and self-checks it. Deterministic: fixed seed,
standard library plus PyYAML. Severities are computed from the CONTRACT §4 policy and
the account role found in profile.yaml, never typed by hand.
"""
import base64
import json
import os
import random
import re
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(266266)

# --------------------------------------------------------------------------- generators
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
URLSAFE = ALNUM + "-_"


def rstr(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def base62(n):
    s = ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return s or "0"


def github_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    return prefix + body + base62(zlib.crc32(body.encode())).rjust(6, "0")


def github_ok(tok):
    body, crc = tok[4:34], tok[34:]
    return len(tok) == 40 and base62(zlib.crc32(body.encode())).rjust(6, "0") == crc


def aws_key_id():
    return "AKIA" + rstr(B32[:26] + "234567", 16)


def aws_secret():
    return rstr(ALNUM + "/+", 40)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(payload):
    h = b64u(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(payload, separators=(",", ":")).encode())
    s = b64u(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{h}.{p}.{s}"


def openssh_private_key():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(250))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{98 - n % 97:02d}"


def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def nl_iban(spaced=False):
    bank = rng.choice(["INGB", "ABNA", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"])
    acct = "".join(str(rng.randrange(10)) for _ in range(10))
    s = "NL" + iban_check("NL", bank + acct) + bank + acct
    assert iban_valid(s)
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def fake_iban(spaced=False):
    good = nl_iban()
    cd = int(good[2:4])
    bad = good[:2] + f"{(cd + rng.randrange(1, 90)) % 100:02d}" + good[4:]
    if iban_valid(bad):
        return fake_iban(spaced)
    return " ".join(bad[i:i + 4] for i in range(0, len(bad), 4)) if spaced else bad


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def card(prefix, sep=" "):
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    for check in range(10):
        if luhn_ok(body + str(check)):
            n = body + str(check)
            break
    return sep.join(n[i:i + 4] for i in range(0, 16, 4))


def fake_card(prefix, sep=" "):
    good = card(prefix, "")
    bad = good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)
    assert not luhn_ok(bad)
    return sep.join(bad[i:i + 4] for i in range(0, 16, 4))


def bsn_ok(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0 and int(d) > 0


def bsn():
    while True:
        d = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
        if bsn_ok(d):
            return d


def fake_bsn():
    while True:
        d = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(8))
        if not bsn_ok(d):
            return d


def mobile(fmt):
    d = str(rng.randrange(1, 7)) + "".join(str(rng.randrange(10)) for _ in range(7))
    if fmt == "dash":
        return "06-" + d
    if fmt == "space":
        return f"06 {d[:4]} {d[4:]}"
    if fmt == "intl":
        return f"+31 6 {d[:2]} {d[2:4]} {d[4:6]} {d[6:]}"
    if fmt == "plain":
        return "06" + d
    if fmt == "0031":
        return "00316" + d
    raise ValueError(fmt)


def landline(area):
    n = 10 - len(area)
    d = str(rng.randrange(2, 10)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))
    return f"{area}-{d}"


# --------------------------------------------------------------------------- generated values
IBAN_KUIPER = nl_iban()
IBAN_OOSTERHUIS = nl_iban(spaced=True)
IBAN_KIEWIET = nl_iban(spaced=True)
CARD_SCHUT = card("4", " ")
CARD_POSTMA = card("5", "-")
BSN_DEDUP = bsn()
BSN_DEDUP_DOTTED = f"{BSN_DEDUP[:4]}.{BSN_DEDUP[4:6]}.{BSN_DEDUP[6:]}"

FAKE_IBAN_SCAM = fake_iban(spaced=True)
FAKE_CARD_INVOICE = fake_card("4", " ")
FAKE_CARD_JOKE = fake_card("5", " ")
FAKE_BSN_TRAINING = fake_bsn()

PHONE_HOVING = mobile("dash")
PHONE_SOURCE = landline("0599")
PHONE_KEVIN = mobile("intl")
PHONE_FREEK = mobile("space")
PHONE_SMIT = landline("0599")

GH_TOKEN = github_token("ghp_")
AWS_ID = aws_key_id()
AWS_SECRET = aws_secret()
SLACK_TOKEN = "xoxb-" + str(rng.randrange(10**10, 10**11)) + "-" + str(rng.randrange(10**12, 10**13)) + "-" + rstr(ALNUM, 24)
SENDGRID = "SG." + rstr(URLSAFE, 22) + "." + rstr(URLSAFE, 43)
OPENAI = "sk-proj-" + rstr(URLSAFE, 40) + "T3BlbkFJ" + rstr(URLSAFE, 40)
STRIPE = "sk_live_51" + rstr(ALNUM, 22) + rstr(ALNUM, 60)
ANTHROPIC = "sk-ant-api03-" + rstr(URLSAFE, 93) + "AA"
JWT_TOKEN = jwt({"sub": "hjmeijering", "role": "hoofdredactie", "iss": "app.veenkoerier.nl",
                 "iat": 1777000000, "exp": 1777086400})
SSH_KEY = openssh_private_key()

# --------------------------------------------------------------------------- case helpers
CAT = {
    "S": "leak.secret", "P": "leak.pii", "PR": "leak.pricing", "C": "leak.confidential",
    "F": "leak.financial", "SEC": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "A": "reputation.abuse",
}
CASES = []


def case(platform, handle, text, cats="", lang="nl", kind="post", when=None,
         valid=(), fake=(), price=None, name=None, evasion=False):
    CASES.append(dict(platform=platform, handle=handle, text=text,
                      cats=sorted(CAT[c] for c in cats.split()) if cats else [],
                      lang=lang, kind=kind, when=when, valid=list(valid), fake=list(fake),
                      price=price, name=name, evasion=evasion))


# =========================================================================== POSITIVES
# ---- complaints (public) ---------------------------------------------------
case("x", "@marja_vd_veen",
     "@veenkoerier_lezers voor de DERDE keer deze week geen krant in de bus. Ik betaal €449 per jaar "
     "voor Koerier+ Compleet en mag het nieuws dan maar van de radio halen?? 😡",
     "CO", kind="reply", price=("Koerier+ Compleet", 449.00))
case("facebook", "Hennie.Brouwer.71",
     "Krant lag vanochtend weer kletsnat in de tuin. Bezorger gooit hem gewoon over het hek, elke dag "
     "hetzelfde liedje. Kan iemand van de Veenkoerier ff uitleggen waarom ik hier nog voor betaal",
     "CO", kind="comment", name="Hennie Brouwer")
case("x", "@devboy_gron",
     "the Veenkoerier app logs me out every. single. time. i open it. ios, reinstalled twice, paying "
     "subscriber btw. fix ur app pls", "CO", lang="en")
case("reddit", "u/Drentse_Dwarsligger",
     "Probeer al 3 weken mijn abonnement bij de Veenkoerier op te zeggen. Online kan het niet ('neem "
     "contact op met lezersservice'), telefonisch hang ik 40 min in de wacht en dan hoor ik 'verbinding "
     "verbroken'. Brief gestuurd, geen bevestiging. Ondertussen wordt er gewoon doorgeschreven. Is dit "
     "niet gewoon een wurgcontract? Iemand ervaring met de Geschillencommissie?",
     "CO", kind="comment")
case("x", "@oma_truus58",
     "Puzzel van zaterdag klopte niet hoor, 14 horizontaal en 9 verticaal kunnen nooit allebei. Hele "
     "middag op zitten puzzelen voor niks. Graag een rectificatie @veenkoerier!", "CO")
case("instagram", "@sportmama_assen",
     "Weer geen letter over de meiden van VV Assen terwijl ze kampioen zijn geworden. Alleen "
     "mannenvoetbal bij jullie 🙄 #veenkoerier", "CO", kind="comment")
case("x", "@pkuiper_ter_apel",
     "Dubbel afgeschreven deze maand voor m'n e-paper abo bij de Veenkoerier. Mail gestuurd, 8 dagen "
     "later nog steeds geen reactie. Hallo??", "CO")
case("x", "@nieuwsjunkie_nl",
     "Veenkoerier push notifications are out of control. 11 alerts before 9am, half of them about a "
     "cattle show in Exloo. Turned them all off.", "CO", lang="en")
case("facebook", "Gerda.MulderOosting",
     "Het overlijdensbericht van mijn vader stond er vandaag met de verkeerde achternaam in. Mulder i.p.v. "
     "Mulders. Dan betaal je zoveel en moet je op zo'n moment ook nog zelf achter de krant aan bellen. "
     "Heel pijnlijk voor de hele familie.", "CO", name="Gerda Mulder-Oosting")
case("x", "@timo_stadskanaal",
     "die e-paper van de @veenkoerier laadt al sinds vanochtend niet. blijft hangen op 'editie ophalen' 🙃 "
     "iemand anders ook? betaal er wel gewoon voor", "CO")
case("threads", "@lisa.reads.news",
     "Subscribed to the Veenkoerier for local news and now 60% of the homepage is national wire copy I "
     "already read elsewhere. Not renewing, sorry.", "CO", lang="en")
case("x", "@kritische_lezer",
     "Vorige week stond in de @veenkoerier dat Veendam de bieb sluit. Klopt niks van. Correctie "
     "gevraagd, twee keer, nog steeds niet geplaatst. Slordig hoor.", "CO")
case("x", "@bezorgd_in_borger",
     "Sinds de nieuwe bezorgroute komt de Veenkoerier pas om 11 uur. Ontbijtkrant noemen ze dat 😂 "
     "Lezersservice zegt 'we kijken ernaar' sinds augustus.", "CO")
case("facebook", "JanWillem.Post",
     "Prijsverhoging van het abonnement aangekondigd via een mailtje dat in m'n spam stond. Geen brief, "
     "niks. Netjes hoor Veenkoerier 👏👏", "CO", name="Jan Willem Post")
case("x", "@fietsfan_drenthe",
     "Bought the Veenkoerier Fietsroutegids and route 7 takes you straight through a nature reserve that's "
     "been closed since 2024. The ranger was not amused. Please update the book.", "CO", lang="en")

# ---- first-hand safety reports: crisis + complaint ------------------------
case("facebook", "Marloes.Hoving",
     "Ons zoontje (4) heeft een stukje van een pion van het Veenkoerier Regioquiz bordspel ingeslikt, dat "
     "ding brak gewoon af toen hij erop beet. Met spoed naar de SEH in Emmen. Gelukkig gaat het nu goed "
     "maar dit spel hoort niet in de winkel!!", "CR CO", name="Marloes Hoving")
case("x", "@anjavanderlaan",
     "Bij de Koerier Lezersavond in Hoogeveen zakte de tribune in elkaar. Ik stapte met m'n enkel in het gat, "
     "scheur in m'n enkelband. Geen excuses, geen telefoontje, niks. @veenkoerier", "CR CO")
case("instagram", "@mijn.kleine.tuin",
     "Got the Veenkoerier Fotoprint A3 in the frame and the glass shattered when I hung it up. Cut my hand "
     "open, 4 stitches 🩸 it isn't even safety glass?? not ok", "CR CO", lang="en")
case("x", "@opa_klaas_nw",
     "Hevige huiduitslag gekregen van het nieuwe Puzzelboek 2026. Die inkt stinkt naar chemicaliën, mijn "
     "handen zijn rood en jeuken. Huisarts zegt contactallergie. Wat zit daar in @veenkoerier??", "CR CO")

# ---- crisis --------------------------------------------------------------
case("x", "@stem_van_ter_apel",
     "Na dat walgelijke stuk over de asielzoekers in Ter Apel: zeg je abonnement op. Geen cent meer naar "
     "die krant. #boycotveenkoerier", "CR")
case("x", "@privacy_first_nl",
     "Data breach at the Veenkoerier? I'm getting phishing mails with my subscriber number AND my delivery "
     "address in them. That can only come from their customer file. Anyone else?", "CR", lang="en")
case("linkedin", "mr-saskia-dijkstra-advocaat",
     "Namens mijn cliënt is vandaag een dagvaarding uitgebracht tegen Veenkoerier Media B.V. wegens smaad "
     "en laster. De publicatie van 12 mei bevatte aantoonbare onwaarheden over zijn bedrijf. Wij eisen "
     "rectificatie en schadevergoeding.", "CR")
case("x", "@mediawatch_noord",
     "Veenkoerier quietly deleted three articles after it emerged the 'local source' quoted in all of them "
     "doesn't exist. Fabricated quotes at a regional paper. This is a scandal and they owe readers an "
     "explanation.", "CR", lang="en")
case("x", "@emmen_echt",
     "Veenkoerier delivery guy on a scooter hit a girl on her bike on the Hoofdstraat this morning. "
     "Ambulance on scene.", "CR", lang="en")
case("reddit", "u/groninger_in_exile",
     "Heads up: Veenkoerier is recalling the Regioquiz board game, apparently small parts break off. Saw "
     "the notice taped to the counter in the bookshop in Veendam.", "CR", lang="en", kind="comment")
case("tiktok", "@jongeren_tegen_haat",
     "Die cartoon in de @veenkoerier van vandaag is gewoon racistisch. Wij roepen iedereen op: koop die "
     "krant niet meer, adverteerders trek je terug. Deel dit! #boycot", "CR")
case("x", "@lokaal_politiek_kanaal",
     "Hoofdredacteur Veenkoerier zou jarenlang stukken van andere kranten hebben overgenomen zonder "
     "bronvermelding. Oud-collega's spreken van 'systematisch plagiaat'.", "CR")
case("facebook", "BewonersverenigingDeVlinder",
     "De Veenkoerier heeft foto's van onze kinderen bij het zomerfeest gepubliceerd zonder toestemming van "
     "de ouders. We hebben de Autoriteit Persoonsgegevens ingeschakeld.", "CR",
     name="Bewonersvereniging De Vlinder")
case("bluesky", "@hannekevisser.bsky.social",
     "Freelance photographers are taking Veenkoerier Media to court over years of unpaid overtime. Hearing "
     "is set for November in Assen.", "CR", lang="en")

# ---- abuse ----------------------------------------------------------------
case("x", "@woedende_wim",
     "@veenkoerier kutkrant. Stelletje leugenaars en aasgieren, jullie verdienen het om failliet te gaan",
     "A", kind="reply")
case("x", "@ff_eerlijk",
     "@lotteschuiling jij bent echt de domste verslaggever van heel Drenthe. ga lekker koffie zetten "
     "wijf", "A", kind="reply")
case("instagram", "@kees_uit_nieuw_buinen",
     "tyfuskrant met je linkse propaganda 🤮🤮", "A", kind="comment")
case("x", "@truthseeker_4488",
     "@veenkoerier you're a bunch of lying scumbags. hope your office burns down with all of you in it",
     "A", lang="en", kind="reply")
case("facebook", "Roelof.Wubs",
     "Die fotograaf van de Veenkoerier is gewoon een vieze gluurder. Staat elke zomer bij het zwembad. "
     "Smerige viespeuk.", "A", kind="comment", name="Roelof Wubs")
case("x", "@hjmeijering",
     "@woedende_wim Ga lekker terug onder je steen liggen, sukkel. Je snapt er echt helemaal niks van.",
     "A", kind="reply")
case("x", "@veenkoerier_lezers",
     "@marja_vd_veen Mevrouw, als u onze bezorger nog één keer uitscheldt sturen we niemand meer. Wat een "
     "ongelooflijk irritant mens bent u zeg.", "A", kind="reply")
case("tiktok", "@drentse_durf",
     "v33nk0er1er = k4nk3rkr4nt 🤡 d1e j0urn4l1st3n z1jn allemaal k l o t e z a k k e n", "A",
     evasion=True)
case("x", "@geert_real",
     "Of course the Veenkoerier hired that Turkish girl as data reporter. Diversity hire, can't even write "
     "proper Dutch lol. Go back where you came from", "A", lang="en")
case("reddit", "u/ZuurpruimZuidlaren",
     "Die sportjongen van de Koerier, Bram Bos, is echt een ongelooflijke mongool. Elk wedstrijdverslag "
     "zit vol fouten.", "A", kind="comment")
case("bluesky", "@brambos.bsky.social",
     "To the troll who keeps emailing me after every match report: you're a pathetic little shit and "
     "everyone in Veendam knows it.", "A", lang="en")

# ---- personal data --------------------------------------------------------
case("x", "@veenkoerier_lezers",
     f"@pkuiper_ter_apel Excuses! We zien de dubbele afschrijving op {IBAN_KUIPER} (P. Kuiper, "
     "Wilhelminastraat 14, Ter Apel). Terugboeking volgt binnen 5 werkdagen.",
     "P", kind="reply", valid=[("iban", IBAN_KUIPER)])
case("facebook", "DeVeenkoerier",
     f"Beste mevrouw Hoving, wat vreselijk om te lezen. We willen u graag spreken. Wij bellen u vanmiddag op "
     f"{PHONE_HOVING}, schikt dat? Groet, lezersservice", "P", kind="comment")
case("linkedin", "anouk-bruins-hr",
     "Welcome to our new sub-editor Tessa Groenveld! 🎉 Tessa (born 3 March 1994) lives in Annen and "
     "can be reached at tessa.groenveld94@gmail.com until her work account is set up.", "P", lang="en")
case("x", "@lotteschuiling",
     f"Wie kent deze meneer? Tipgever Jan Vos liet zijn nummer achter, {PHONE_SOURCE}, maar neemt niet op. "
     "Wil hem echt spreken over die mestfraude.", "P")
case("x", "@gerrit_bezorging",
     f"Route 12 Emmen-Noord is weer bezet! Nieuwe bezorger: Kevin Lubbers, Bargeresstraat 221, Emmen. "
     f"Wie kan hem de eerste week inwerken? Bel Kevin even op {PHONE_KEVIN}", "P")
case("x", "@sjoerd_ops",
     f"debugging a payment webhook, the failing one is card {CARD_SCHUT} exp 09/28, customer Willemijn "
     "Schut. why does this only fail for rabo cards 🤔", "P", lang="en", valid=[("card", CARD_SCHUT)])
case("linkedin", "esra-kaya-vk",
     f"Leuke testcase voor onze nieuwe dedup-check in het abonneebestand: BSN {BSN_DEDUP_DOTTED} kwam 3x "
     "voor bij verschillende namen. Data quality is echt een ding 😅", "P",
     valid=[("bsn", BSN_DEDUP_DOTTED)])
case("x", "@hmm_gerda",
     f"@veenkoerier_lezers Ik wil mijn geld terug, hier is mijn rekeningnummer: {IBAN_OOSTERHUIS} t.n.v. "
     "G. Oosterhuis. Graag vandaag nog!", "P", kind="reply", valid=[("iban", IBAN_OOSTERHUIS)])
case("facebook", "Freek.deWit.77",
     f"Wie stuurt mij het e-paper van vandaag door? Mijn mail: freekdewit1977@hotmail.com of app naar "
     f"{PHONE_FREEK}", "P", kind="comment", name="Freek de Wit")
case("x", "@jeltje_reageert",
     f"@veenkoerier_lezers cancel my sub please, it's on card {CARD_POSTMA} under J. Postma. thanks",
     "P", lang="en", kind="reply", valid=[("card", CARD_POSTMA)])
case("x", "@boos_op_bos",
     "Die Bram Bos van de Koerier woont op de Kerklaan 8 in Wildervank. Ga hem maar eens vertellen wat je "
     "van z'n stukjes vindt 😈", "P A")
case("x", "@anoniem_insider",
     "Lotte Schuiling, geboren 11-07-1991, woont in Veendam. Journalisten die liegen moeten maar eens "
     "voelen hoe dat is.", "P A")
case("mastodon", "@dieuwke@mastodon.nl",
     f"Ter info voor de collega's die de rouwadvertentie Kiewiet afhandelen: familie bereikbaar via "
     f"h.kiewiet@kpnmail.nl, factuur naar {IBAN_KIEWIET}.", "P", valid=[("iban", IBAN_KIEWIET)])
case("threads", "@wendy.adverteren",
     f"Klant belde boos over z'n advertentie: dhr. R. Smit, Dorpsstraat 3, 9531 AB Borger, tel. "
     f"{PHONE_SMIT}. Wie heeft die opgemaakt? 😬", "P")
case("reddit", "u/ex_vk_medewerker",
     "Their subscriber export is a joke. I still have a CSV from 2024 on my laptop, first row: Anneke "
     "Dekker, 14-02-1958, a.dekker58@live.nl, Emmen. Nobody ever asked for it back.", "P", lang="en",
     kind="comment")

# ---- secrets --------------------------------------------------------------
case("x", "@sjoerd_ops",
     f"anyone know why this keeps 403ing?\nexport AWS_ACCESS_KEY_ID={AWS_ID}\n"
     f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\naws s3 ls s3://vk-epaper-archive", "S", lang="en")
case("mastodon", "@dieuwke@mastodon.nl",
     "Voor de invallers dit weekend: inloggen op het redactiesysteem met gebruiker eindred_weekend, "
     "wachtwoord: Veendam#Kade77 (niet doorvertellen 🤫)", "S")
case("linkedin", "esra-kaya-vk",
     "Our scraper pipeline finally works! 🎉 Connection string for those who asked: "
     "postgresql://etl_user:Kx9v!mQ2r7Lp@10.14.2.31:5432/lezersdata", "S", lang="en")
case("x", "@sjoerd_ops",
     f"git push keeps failing lol\nremote: https://{GH_TOKEN}@github.com/veenkoerier/app-backend.git",
     "S", lang="en")
case("threads", "@wendy.adverteren",
     f"Voor de nieuwe collega's: de Slack-bot voor advertentieorders gebruikt token {SLACK_TOKEN} — "
     "plakken in de config en klaar!", "S")
case("bluesky", "@veenkoerier.nl",
     f"testing our new newsletter integration SENDGRID_API_KEY={SENDGRID} please ignore", "S", lang="en")
case("reddit", "u/vk_freelance_dev",
     f"Found this in the Veenkoerier app bundle: OPENAI_API_KEY=\"{OPENAI}\". They ship their AI key "
     "in the client lol", "S", lang="en", kind="comment")
case("x", "@hjmeijering",
     f"Kan iemand van IT me helpen, deze code werkt niet in de app: {JWT_TOKEN} — tablet zegt 'token "
     "verlopen'", "S")
case("forum", "jkoster_freelance",
     f"Stripe geeft errors in de webshopkoppeling die ik voor de Veenkoerier bouw. Key: {STRIPE}. Iemand "
     "een idee wat er mis is?", "S")
case("x", "@sjoerd_ops",
     f"whoever asked for the deploy key of the epaper box:\n{SSH_KEY}", "S", lang="en", kind="reply")
case("x", "@gerrit_bezorging",
     "bezorgapp inlog voor de zaterdagploeg: gebruiker route_ma, wacht\u200bwoord: Bez0rg!ng#2026",
     "S", evasion=True)
case("x", "@lotteschuiling",
     f"Ik gebruik Claude om notulen van de raad samen te vatten, IT gaf me deze key: {ANTHROPIC} werkt "
     "prima!", "S")

# ---- confidential ---------------------------------------------------------
case("x", "@lotteschuiling",
     "Net de demo van Project Turfsteker gezien. Als dit live gaat zijn we echt de eerste regionale krant "
     "met zo'n app 😍", "C")
case("linkedin", "ruud-hofstede-veenkoerier",
     "Mooie week. Kraanvogel bijna rond: due diligence afgerond, handtekening begin volgende maand. Trots "
     "op het team!", "C F")
case("x", "@hjmeijering",
     "Operatie Hunebed: morgen om 10 uur bijeenkomst, daarna individuele gesprekken met iedereen van "
     "vormgeving en drukkerij.", "C F")
case("instagram", "@jelle.fotografeert",
     "Behind the scenes at the studio 📸 shooting the promo for Koerier+ Audio, launching soon! "
     "#veenkoerier #podcast", "C", lang="en", when="2026-11-20T14:32:00Z")
case("x", "@sjoerd_ops",
     "if anyone from sales can't reach cms.vk-intern.nl from home: vpn first, that's not a bug", "C",
     lang="en")
case("mastodon", "@dieuwke@mastodon.nl",
     "Screenshot van de planning voor volgende week gedeeld, staat wel 'VK-VERTROUWELIJK' bovenaan maar "
     "het gaat alleen om de zomerroosters hoor 😅", "C")
case("tiktok", "@veenkoerier",
     "Sneak peek 👀 er komt iets nieuws aan... Veenkoerier Lokaal TV! Vanaf januari elke avond het "
     "regionieuws op je scherm 📺", "C", when="2026-12-05T18:00:00Z")
case("x", "@anoniem_insider",
     "Bron binnen de Veenkoerier: 'Project Turfsteker' is een volledige betaalmuur op alle artikelen vanaf "
     "maart. Gratis nieuws is voorbij.", "C")
case("reddit", "u/lekker_anoniem",
     "Someone left this on the train: a printout titled 'Alleen voor intern gebruik – Veenkoerier "
     "redactieplanning Q1'. Lots about the upcoming election coverage.", "C", lang="en")
case("threads", "@wendy.adverteren",
     "Adverteerders opgelet: binnenkort kunnen jullie ook adverteren in de Koerier+ Audio podcasts. Stuur "
     "me een DM voor de vroegboekkorting!", "C", when="2027-01-19T16:05:00Z")
case("x", "@lotteschuiling",
     "lol someone in the newsroom printed the ＫＲＡＡＮＶＯＧＥＬ deck on the shared printer 🙈",
     "C", lang="en", evasion=True)
case("bluesky", "@brambos.bsky.social",
     "Zit nu in de vergadering over \u041e\u0440er\u0430tie Hunebed, duurt eeuwig", "C", evasion=True)
case("x", "@sjoerd_ops",
     "status van de storing staat op j.i.r.a.veenkoerier.nl/browse/OPS-2231, niet op twitter zetten 😉",
     "C", evasion=True)
case("linkedin", "ruud-hofstede-veenkoerier",
     "Pleased to say our full-year results 2026 came in ahead of budget: revenue €38.2m, EBITDA up 11%. "
     "Formal release follows.", "C F", lang="en", when="2027-02-10T11:20:00Z")
case("x", "@hjmeijering",
     "Deel de link even niet buiten de redactie: https://wiki.vk-intern.nl/redactie/verkiezingen-2027 — "
     "staat nog van alles in wat niet af is", "C")
case("facebook", "DeVeenkoerier",
     "redactie-intern: foto's van de brand in Nieuw-Amsterdam pas na 14:00 online, familie is nog niet "
     "ingelicht", "C")
case("x", "@nieuwsgierig_nl",
     "Overheard at Veendam station: two Veenkoerier guys talking about 'Operatie Hunebed' and '40 fte'. "
     "Layoffs incoming?", "C F", lang="en")
case("instagram", "@jelle.fotografeert",
     "Vanmiddag testshoot in de nieuwe studio voor Veenkoerier Lokaal TV, lampen hangen eindelijk 💡",
     "C", when="2026-09-03T15:10:00Z")

# ---- financial ------------------------------------------------------------
case("linkedin", "ruud-hofstede-veenkoerier",
     "Q3 was zwaar: advertentie-inkomsten 17% onder begroting, we stellen de jaarprognose volgende week "
     "naar beneden bij. Nog niet naar buiten gecommuniceerd dus even onder ons 😉", "F")
case("x", "@lotteschuiling",
     "Hoor net dat de drukkerij in Hoogezand dichtgaat en 35 mensen hun baan verliezen. Wordt pas na de "
     "OR-vergadering bekendgemaakt. Zo zuur.", "F")
case("linkedin", "anouk-bruins-hr",
     "Tough weeks ahead in HR. We'll be letting go of about a fifth of the newsroom before summer; the "
     "announcement is planned for the 15th.", "F", lang="en")
case("x", "@anoniem_insider",
     "Van goed ingelichte bron: Veenkoerier Media wordt voor ca. €14 miljoen overgenomen door de Belgische "
     "uitgever Flandria Pers. Deal wordt in december aangekondigd.", "F")
case("threads", "@wendy.adverteren",
     "Between us: we're about to lose our biggest advertiser, the Drenthe Autogroep contract won't be "
     "renewed in January. That's 9% of ad revenue gone.", "F", lang="en")
case("x", "@gerrit_bezorging",
     "Volgend jaar wordt de bezorging uitbesteed, 60 bezorgers krijgen binnenkort een brief. Mag het nog "
     "niet zeggen maar ja.", "F")
case("reddit", "u/vk_kantoor",
     "Not official yet but the Veenkoerier budget for 2027 assumes 12% fewer print subscribers and a price "
     "hike of €3/month. CFO presented it last Friday.", "F", lang="en", kind="comment")
case("linkedin", "ruud-hofstede-veenkoerier",
     "Exciting news coming: we've signed an LOI to acquire the weekly Kanaalstreek Nieuws. Can't say more "
     "until the deal closes.", "F", lang="en")

# ---- security -------------------------------------------------------------
case("x", "@sjoerd_ops",
     "been up since 3am. someone got into our CMS admin via an old freelancer account and defaced 40 "
     "articles. not public yet, pls don't RT", "SEC", lang="en")
case("x", "@sjoerd_ops",
     "Paywall van de app is gewoon te omzeilen door je taal op Engels te zetten 🤦 ticket ligt er al "
     "maanden, niemand fixt het", "SEC")
case("linkedin", "esra-kaya-vk",
     "Lesson learned this week: our subscriber database was reachable from the internet for ~6 days "
     "because of a misconfigured firewall rule. We're still figuring out whether anyone accessed it.",
     "SEC", lang="en")
case("mastodon", "@dieuwke@mastodon.nl",
     "Redactiesysteem ligt er sinds 6 uur vanochtend uit, ransomware volgens IT. Krant van morgen maken we "
     "in Word 😱 Naar buiten is nog niks gezegd.", "SEC")
case("x", "@hjmeijering",
     "Collega's, klik NIET op die mail van 'de directie' over de eindejaarsbonus. Drie mensen hebben hun "
     "wachtwoord al ingevuld en IT is nu alle accounts aan het resetten.", "SEC")
case("bluesky", "@brambos.bsky.social",
     "fun fact: the Veenkoerier app API hands you any subscriber's email if you just increment the user id. "
     "told IT in june. still works.", "SEC", lang="en")
case("x", "@gerrit_bezorging",
     "Bezorgapp plat sinds vannacht, server gecrasht. Ruim 8000 kranten niet bezorgd vandaag, het "
     "officiële bericht komt pas vanmiddag.", "SEC")
case("threads", "@wendy.adverteren",
     "Our ad server got hacked and served crypto scam ads on the homepage all weekend. IT says keep quiet "
     "until legal has looked at it.", "SEC", lang="en")
case("x", "@sjoerd_ops",
     "grafana.vk-intern.nl showing 100% disk on the e-paper cluster, prepping for a full outage tonight, "
     "comms doesn't know yet", "SEC C", lang="en")
case("reddit", "u/throwaway_vk_it",
     "I work IT at a regional paper up north (you can guess which: Veenkoerier). We had a breach last "
     "month, ~20k subscriber records, and management decided not to report it to the AP.",
     "SEC CR", lang="en")
case("x", "@lotteschuiling",
     "Anyone else's newsroom mail been down for two days? IT says we got hacked and our mailboxes were "
     "being forwarded to some address in Russia 😳", "SEC", lang="en")
case("x", "@hackerman_drenthe",
     "lol the veenkoerier staging server serves its .env at /static/.env, found it in 2 min. their "
     "security contact bounces.", "SEC", lang="en")

# ---- pricing --------------------------------------------------------------
case("x", "@veenkoerier",
     "🎉 Alleen vandaag: Koerier+ Compleet voor maar €44,90 per jaar! Papier + digitaal, elke dag op de mat.",
     "PR", price=("Koerier+ Compleet", 44.90))
case("instagram", "@deveenkoerier",
     "Black Friday 🖤 The Fotoboek Veenkoloniën now just €3,49! Link in bio", "PR", lang="en",
     price=("Fotoboek Veenkoloniën", 3.49))
case("x", "@koopjesjager_nl",
     "PRIJSFOUT?! Archiefpas Veenkoerier staat op de site voor €8,90 ipv €89. Snel zijn mensen 🏃‍♂️",
     "PR", price=("Archiefpas", 8.90))
case("facebook", "DeVeenkoerier",
     "Ondernemers opgelet! Het Advertentiepakket Lokaal Ondernemer deze maand voor €125 ex btw.",
     "PR", price=("Advertentiepakket Lokaal Ondernemer", 125.0))
case("threads", "@wendy.adverteren",
     "Oeps, er staat een prijsfout in de mediakit: Bannerweek Regio voor €39,50 😅 gewoon het normale "
     "tarief betalen hè", "PR", price=("Bannerweek Regio", 39.50))
case("reddit", "u/dealhunter_gro",
     "Veenkoerier webshop glitch: the Regioquiz bordspel is €2,99 in the cart. Ordered 3, let's see if they "
     "honour it.", "PR", lang="en", price=("Regioquiz bordspel", 2.99))
case("x", "@hjmeijering",
     "Tip voor studenten: Koerier+ Studentenabonnement nu €5,90 per jaar via de link in m'n bio 👇",
     "PR", price=("Koerier+ Studentenabonnement", 5.90))
case("tiktok", "@veenkoerier",
     "Kaartjes voor de Koerier Lezersavond: €2,75!! 🎤 Wees er snel bij", "PR",
     price=("Koerier Lezersavond", 2.75))
case("x", "@prijzenpolitie",
     "Iemand het Puzzelboek 2026 al gezien in de Veenkoerier webshop? €1,49. Dat is toch een prijsfout, "
     "vorig jaar betaalde ik bijna 15 euro", "PR", price=("Puzzelboek 2026", 1.49))
case("linkedin", "veenkoerier-media",
     "Hiring? Post your vacancy with Vacature Plus for only €29.90 this month.", "PR", lang="en",
     price=("Vacature Plus", 29.90))
case("bluesky", "@veenkoerier.nl",
     "Gift idea 🎁 Koerier+ Familieabonnement: a whole year of local news for the family for €24.90",
     "PR", lang="en", price=("Koerier+ Familieabonnement", 24.90))
case("forum", "spaarvarken",
     "Let op: bij de Veenkoerier staat Zakelijk Koerier+ 5 licenties op €74,90 per jaar i.p.v. €749. Komma "
     "verkeerd gezet denk ik 😂", "PR", price=("Zakelijk Koerier+ 5 licenties", 74.90))

# =========================================================================== BENIGN
case("x", "@veenkoerier_lezers",
     "Geen krant ontvangen? Vervelend! Mail ons via lezersservice@veenkoerier.nl of bel gratis 0800-8336, "
     "dan bezorgen we 'm vandaag nog na.")
case("facebook", "DeVeenkoerier",
     "Een familiebericht betalen kan ook per overschrijving naar NL60 RABO 0318 2457 90 o.v.v. uw "
     "ordernummer. Vragen? advertenties@veenkoerier.nl")
case("x", "@oma_truus58",
     "Update: de Veenkoerier heeft de puzzel van zaterdag netjes rechtgezet en me zelfs een puzzelboek "
     "gestuurd. Chapeau lezersservice! 👏")
case("x", "@devboy_gron",
     "update: the app logout bug is fixed after the latest release, thanks @veenkoerier for the quick "
     "response", lang="en")
case("x", "@veenkoerier",
     "Brand bij meubelfabriek in Veendam: 25 medewerkers geëvacueerd, niemand gewond. Oorzaak nog "
     "onbekend. Meer op veenkoerier.nl")
case("x", "@veenkoerier",
     "Aardappelverwerker in Ter Apel schrapt 120 banen, vakbond spreekt van 'zwarte dag voor de regio'.")
case("linkedin", "veenkoerier-media",
     "We're hiring! Data journalist (32-40 hrs) in Emmen. Send your portfolio to vacatures@veenkoerier.nl",
     lang="en")
case("x", "@sjoerd_ops",
     "reminder for tomorrow's workshop: the AWS docs use AKIAIOSFODNN7EXAMPLE with secret "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. never paste your real ones in slides 🙏", lang="en")
case("x", "@lotteschuiling",
     "Gisteren bij een andere krant 'wachtwoord: ********' in een screenshot gezien, netjes weggelakt "
     "gelukkig. Tip: check je screenshots!")
case("reddit", "u/newsroom_dev",
     "PSA for newsroom devs: GitHub tokens look like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. If you see "
     "one in a screenshot, revoke it. The Veenkoerier tech column had a good explainer on this.",
     lang="en", kind="comment")
case("x", "@koopjesjager_nl",
     "Koerier+ Digitaal nu 25% korting: €134,25 voor een heel jaar. Nette deal voor wie lokaal nieuws "
     "wil.", price=("Koerier+ Digitaal", 134.25))
case("instagram", "@deveenkoerier",
     "Our Puzzelboek 2026 is here! €14,95 at your local bookshop or in our webshop 🧩", lang="en",
     price=("Puzzelboek 2026", 14.95))
case("facebook", "DeVeenkoerier",
     "Sinterklaasactie 🎁 Fietsroutegids Drenthe & Groningen voor €15,95 (normaal €19,95).",
     price=("Fietsroutegids Drenthe & Groningen", 15.95))
case("x", "@zondagslezer",
     "Honestly €199 a year for the Veenkoerier Weekendabo is pretty fair for what you get.", lang="en",
     price=("Weekendabo", 199.0))
case("linkedin", "ruud-hofstede-veenkoerier",
     "Vanochtend onze jaarcijfers 2026 gepubliceerd. Omzet €38,2 mln, EBITDA +11%. Dank aan alle "
     "collega's!", when="2027-03-04T09:30:00Z")
case("instagram", "@jelle.fotografeert",
     "Koerier+ Audio is finally live! 🎧 So proud of this team. Go listen now.", lang="en",
     when="2027-01-21T08:15:00Z")
case("tiktok", "@veenkoerier",
     "Veenkoerier Lokaal TV vanavond voor het eerst live om 18:00! 📺", when="2027-01-20T12:00:00Z")
case("x", "@waakzame_wietske",
     f"People are getting texts asking them to pay an 'overdue subscription' to {FAKE_IBAN_SCAM}. That is "
     "NOT the Veenkoerier account. Don't pay!", lang="en", fake=[("iban", FAKE_IBAN_SCAM)])
case("x", "@veenkoerier_lezers",
     "Let op: er gaan nepmails rond namens de Veenkoerier. Wij vragen nooit om uw wachtwoord of pincode. "
     "Twijfelt u? Bel 0800-8336.")
case("facebook", "Annet.Zuidema",
     f"Waar vind ik eigenlijk mijn abonneenummer? Op de factuur van de Veenkoerier staat {FAKE_CARD_INVOICE} "
     "maar dat is denk ik het factuurnummer 🤔", kind="comment", fake=[("card", FAKE_CARD_INVOICE)],
     name="Annet Zuidema")
case("x", "@pubquiz_pieter",
     "Pubquizvraag 7 van gisteren: is 123456789 een geldig BSN? Nee dus, de elfproef faalt. Leuk weetje uit "
     "de Veenkoerier-bijlage.", fake=[("bsn", "123456789")])
case("x", "@veenkoerier",
     "Hospital group in Groningen confirms a data breach affecting 30,000 patients. Here's what you need "
     "to know.", lang="en")
case("x", "@hjmeijering",
     "Wat een nacht. Hele redactie tot 2 uur door voor de verkiezingsuitslagen. Trots op deze ploeg 💪")
case("x", "@voetbalvader",
     "Brilliant derby report by Bram Bos yesterday. That's how sports journalism should be done "
     "@veenkoerier", lang="en")
case("mastodon", "@jan_fotografie@mastodon.social",
     "Thinking of the Veenkoerier newsroom today after the passing of their long-time photographer. "
     "Lovely tribute on the front page.", lang="en")
case("x", "@kattenmens_ellen",
     "my cat shredded the Veenkoerier to pieces again 🙄 good thing i have the app 😂", lang="en")
case("x", "@kindle_karel",
     "Does anyone know if the Veenkoerier e-paper works on a Kindle? Thinking about the E-paper jaar "
     "subscription.", lang="en")
case("facebook", "Hilda.Brink.Nieuw",
     "Prachtige reportage in de Veenkoerier over de overstroming van 1998, mijn opa staat op de foto!",
     name="Hilda Brink")
case("x", "@veenkoerier",
     "Rechtszaak tegen windpark Drentse Monden: rechter stelt omwonenden in het gelijk.")
case("x", "@lotteschuiling",
     "Vandaag in de krant: mijn interview met de burgemeester van Emmen over de nieuwe woonwijk. Lees het op "
     "veenkoerier.nl/emmen")
case("linkedin", "anouk-bruins-hr",
     "We're growing! 3 vacancies in our digital team. Apply via vacatures@veenkoerier.nl 🚀", lang="en")
case("bluesky", "@brambos.bsky.social",
     "Season preview is up on the site. Who's winning the Drenthe derby this year? Comments open 👇",
     lang="en")
case("threads", "@moeder_van_drie",
     "Big toy recall at a Dutch chain this week, the Veenkoerier had a good explainer on which products are "
     "affected.", lang="en")
case("x", "@oud_abonnee",
     "Cancelled my Veenkoerier after 30 years because we're moving to Spain. Took 2 minutes, really "
     "friendly people on the phone. Will miss the puzzles!", lang="en")
case("x", "@sjoerd_ops",
     "quarterly key rotation done ✅ everything lives in the vault, nothing in slack please", lang="en")
case("x", "@curious_coder",
     "TIL a JWT is just three base64 parts and the header says something like {\"alg\":\"HS256\"}. Neat "
     "explainer in the @veenkoerier tech column.", lang="en")
case("facebook", "DeVeenkoerier",
     "Vanavond om 20:00 de uitslag van onze fotowedstrijd! De winnaar wordt persoonlijk gebeld 📞")
case("x", "@webwinkelwatcher",
     "Haha, some web shop listed a TV at €19 instead of €1900. The Veenkoerier wrote it up: according to "
     "the judge they don't have to honour price errors.", lang="en")
case("x", "@veenkoerier",
     "Weekend paper out now: 48 pages, puzzles and our big Kraanvogels in Drenthe special 🐦", lang="en")
case("x", "@gezin_op_pad",
     "Visiting the hunebeds with the kids, tip from the Veenkoerier fietsgids. Recommended!", lang="en")
case("linkedin", "marieke-stol-journalism",
     "Great panel on regional journalism today with the editor-in-chief of the Veenkoerier. Their take on "
     "paywalls was refreshing.", lang="en")
case("x", "@stadskanaalse_bert",
     "Voor wie het zoekt: lezersservice van de Veenkoerier is bereikbaar op +31 591 745 200. Waren super "
     "behulpzaam.")
case("instagram", "@treinlezer",
     "me pretending to read the Veenkoerier on the train so nobody talks to me 📰😎", lang="en")
case("x", "@veenkoerier",
     "Column: hoe herken je een phishingmail? Onze techredacteur legt het uit. Spoiler: je bank vraagt "
     "nooit om je wachtwoord.")
case("x", "@gerrit_bezorging",
     "Dank aan alle bezorgers die vanochtend door de sneeuw zijn gegaan! Bijna alle kranten op tijd ❄️")
case("reddit", "u/mediafan_nl",
     "Sad to see another Dutch paper cutting 50 jobs. At least the Veenkoerier seems to be hiring.",
     lang="en", kind="comment")
case("linkedin", "esra-kaya-vk",
     f"Data tip: a Dutch BSN has to pass the elfproef. In our training data we only use fake ones like "
     f"{FAKE_BSN_TRAINING}, which fails it on purpose.", lang="en", fake=[("bsn", FAKE_BSN_TRAINING)])
case("x", "@opa_en_oma_spelen",
     "The Veenkoerier Regioquiz board game is great fun with the grandkids, we played for three hours 😄",
     lang="en")
case("facebook", "Buurtvereniging.Oostwold",
     "Sterkte aan onze vaste bezorger van de Veenkoerier die vorige week met de fiets is gevallen. Beterschap "
     "Henk, we missen je!", name="Buurtvereniging Oostwold")
case("x", "@veenkoerier_lezers",
     "Sorry to hear that! We've sent a replacement copy and credited a day to your subscription. Anything "
     "else, just DM us 🙏", lang="en", kind="reply")
case("bluesky", "@geschiedenis_drenthe.bsky.social",
     "Old photo of a turfsteker near Barger-Compascuum on today's Veenkoerier history page. My "
     "great-grandad did that job.", lang="en")
case("x", "@avondje_uit",
     "Just got 2 tickets for the Koerier Lezersavond, €27.50 each, can't wait!", lang="en",
     price=("Koerier Lezersavond", 27.50))
case("x", "@veenkoerier",
     "Podcast Premium members: a new episode on the peat colonies is out now. Not a member yet? It's €35 a "
     "year.", lang="en", price=("Podcast Premium", 35.0))
case("threads", "@wendy.adverteren",
     "Voorjaarsactie voor ondernemers: Bannerweek Regio met 20% korting, €316 i.p.v. €395.",
     price=("Bannerweek Regio", 316.0))
case("x", "@liveblog_lover",
     "WhatsApp down for half an hour and the Veenkoerier already had a live blog up. Impressive.", lang="en")
case("x", "@puzzelaar_groningen",
     "Confidentially, just between us: the Veenkoerier crossword beats every national paper's 🤫",
     lang="en")
case("x", "@hjmeijering",
     "Naar aanleiding van de kritiek op ons stuk van dinsdag: we hebben de feiten opnieuw gecheckt en een "
     "verduidelijking geplaatst. Hoor graag jullie feedback.")
case("facebook", "Truus.Veldman",
     "Wat kost een Familiebericht Standaard eigenlijk? Iemand zei €245, klopt dat?", kind="comment",
     price=("Familiebericht Standaard", 245.0), name="Truus Veldman")
case("x", "@veenkoerier",
     "Noorderbank boekt recordwinst, maar waarschuwt: 'de regio krimpt'. Lees het hele interview met de "
     "directeur.")
case("mastodon", "@scambuster@mastodon.social",
     f"Scam site pretending to be the Veenkoerier asked for my card, I typed {FAKE_CARD_JOKE} as a joke and "
     "it said 'payment received' lol. Reported it.", lang="en", fake=[("card", FAKE_CARD_JOKE)])
case("x", "@veenkoerier_lezers",
     "Storing opgelost: de app en het e-paper werken weer. Excuses voor het ongemak vanochtend!")

# =========================================================================== build
ROLE = {}
for role in ("corporate", "employee"):
    for ph in PROFILE["accounts"][role]:
        ROLE[ph.lower()] = role

PRODUCTS = {}
for p in PROFILE["products"]:
    for n in [p["name"]] + p.get("aliases", []):
        PRODUCTS[n.lower()] = p
RATIO = PROFILE["pricing"]["alert_below_ratio"]

SEV = ["none", "info", "warning", "error", "critical"]
TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse",
            "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}


def role_of(platform, handle):
    return ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checksum_id):
    s = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                lvl = 3
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    lvl = 4
            else:
                lvl = 2
        elif c == "reputation.complaint":
            lvl = 2
        elif c == "reputation.crisis":
            lvl = 3
        elif c == "reputation.abuse":
            lvl = 3 if role in ("corporate", "employee") else 2
        else:
            raise ValueError(c)
        s = max(s, lvl)
    return SEV[s]


def rand_time():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    t = start + timedelta(seconds=rng.randrange(0, 362 * 86400))
    t = t.replace(hour=rng.choice([6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21, 22, 23]))
    off = rng.choice([0, 0, 1, 2])
    if off:
        tz = timezone(timedelta(hours=off))
        return t.astimezone(tz).isoformat(timespec="seconds")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


URLBASE = {"x": "https://x.com/{h}/status/{n}", "bluesky": "https://bsky.app/profile/{h}/post/{n}",
           "threads": "https://www.threads.net/{h}/post/{n}", "instagram": "https://www.instagram.com/p/{n}/",
           "reddit": "https://www.reddit.com/r/drenthe/comments/{n}/", "tiktok": "https://www.tiktok.com/{h}/video/{n}"}

order = list(range(len(CASES)))
rng.shuffle(order)
lines = []
meta = []
for seq, i in enumerate(order, 1):
    c = CASES[i]
    role = role_of(c["platform"], c["handle"])
    checksum_id = any(k in ("iban", "card", "bsn") for k, _ in c["valid"])
    post = {
        "id": f"vk266-{c['platform']}-{seq:04d}",
        "platform": c["platform"],
        "kind": c["kind"],
        "account": {"handle": c["handle"]},
        "text": c["text"],
        "created_at": c["when"] or rand_time(),
    }
    if c["name"]:
        post["account"]["display_name"] = c["name"]
    if rng.random() < 0.6:
        post["lang"] = c["lang"]
    if rng.random() < 0.7:
        post["brand"] = "veenkoerier"
    if c["platform"] in URLBASE and rng.random() < 0.5:
        h = c["handle"].lstrip("@").replace("u/", "")
        post["url"] = URLBASE[c["platform"]].format(h=h, n=rng.randrange(10**17, 10**18))
    expect = {"categories": c["cats"], "severity": severity(c["cats"], role, checksum_id)}
    lines.append({"post": post, "expect": expect})
    meta.append((c, role))

with open(OUT, "w", encoding="utf-8") as f:
    for obj in lines:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")

# =========================================================================== self-check
errors = []


def err(i, msg):
    errors.append(f"{lines[i]['post']['id']}: {msg}")


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b")
CARD_RE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d])")
BSN_RE = re.compile(r"(?<![\d.,€])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}\.\d{3}\.\d{3})(?![\d])")
GH_RE = re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b")
AWS_RE = re.compile(r"\bAKIA[A-Z2-7]{16}\b")
JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
PUB_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}


def word_in(term, text):
    return re.search(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, re.I) is not None


# re-read the file to check exactly what was written
with open(OUT, encoding="utf-8") as f:
    reread = [json.loads(l) for l in f]
assert reread == lines
ids = set()
for i, obj in enumerate(reread):
    c, role = meta[i]
    post, exp = obj["post"], obj["expect"]
    text = post["text"]
    # -- CONTRACT §6 / §1 shape
    if set(obj) != {"post", "expect"}:
        err(i, "top-level keys")
    if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256 or post["id"] in ids:
        err(i, "bad or duplicate id")
    ids.add(post["id"])
    if post["platform"] not in PLATFORMS:
        err(i, "platform")
    if post.get("kind", "post") not in KINDS:
        err(i, "kind")
    if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
        err(i, "handle")
    if not isinstance(text, str) or not text or len(text.encode()) > 65536:
        err(i, "text")
    if not RFC3339.match(post["created_at"]):
        err(i, "created_at")
    try:
        ts = datetime.fromisoformat(post["created_at"].replace("Z", "+00:00"))
    except ValueError:
        err(i, "created_at parse")
        continue
    if not (2026 <= ts.year <= 2027):
        err(i, "created_at year")
    if ts.year == 2027 and ts > datetime(2027, 3, 31, tzinfo=timezone.utc):
        err(i, "2027 date far from embargo")
    if set(exp) != {"categories", "severity"} or exp["severity"] not in SEV:
        err(i, "expect shape")
    if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= TAXONOMY \
            or "reputation.spike" in exp["categories"]:
        err(i, "categories")
    cats = set(exp["categories"])
    if not cats and exp["severity"] != "none":
        err(i, "benign must be none")
    if cats and exp["severity"] in ("none", "info"):
        err(i, "positive with none severity")
    # -- role sanity: a public handle must not be in the profile
    if role == "public" and any(h.split(":", 1)[1].lower() == post["account"]["handle"].lower()
                                for h in ROLE):
        err(i, "public handle collides with profile handle on another platform")
    # -- checksummed identifiers
    for kind, val in c["valid"]:
        if val not in text:
            err(i, f"declared {kind} not in text")
        ok = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
        if not ok:
            err(i, f"declared valid {kind} fails checksum")
        if "leak.pii" not in cats:
            err(i, "valid identifier but no leak.pii")
    for kind, val in c["fake"]:
        if val not in text:
            err(i, f"declared fake {kind} not in text")
        if {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](val):
            err(i, f"look-alike {kind} passes checksum")
    for m in IBAN_RE.finditer(text):
        v = m.group(0)
        if re.sub(r"\s", "", v) in PUB_IBANS:
            continue
        if cats and "leak.pii" in cats and not iban_valid(v):
            err(i, f"IBAN in positive fails mod-97: {v}")
        if not cats and iban_valid(v):
            err(i, f"valid IBAN in benign: {v}")
    for m in CARD_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19:
            continue
        if "leak.pii" in cats and not luhn_ok(digits):
            err(i, f"card in positive fails Luhn: {m.group(0)}")
        if not cats and luhn_ok(digits):
            err(i, f"Luhn-valid number in benign: {m.group(0)}")
    for m in BSN_RE.finditer(text):
        v = m.group(0)
        if "leak.pii" in cats and not bsn_ok(v):
            err(i, f"BSN-like in pii positive fails 11-proof: {v}")
        if not cats and bsn_ok(v):
            err(i, f"11-proof number in benign: {v}")
    # -- secrets
    for m in GH_RE.finditer(text):
        if not github_ok(m.group(0)):
            if cats:
                err(i, "github token with bad CRC in positive")
        elif "leak.secret" not in cats:
            err(i, "valid github token without leak.secret")
    for m in AWS_RE.finditer(text):
        if "EXAMPLE" in m.group(0):
            continue
        if "leak.secret" not in cats:
            err(i, "AWS key id without leak.secret")
    for m in JWT_RE.finditer(text):
        head = m.group(0).split(".")[0]
        try:
            hdr = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
            has_alg = "alg" in hdr
        except Exception:
            has_alg = False
        if not has_alg:
            err(i, "JWT header without alg")
        if "leak.secret" not in cats:
            err(i, "JWT without leak.secret")
    # -- confidential terms (plain text; evasion variants are labelled by hand)
    for term in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + \
            PROFILE["internal"]["domains"]:
        if word_in(term, text) and "leak.confidential" not in cats:
            err(i, f"internal term {term!r} without leak.confidential")
    for emb in PROFILE["embargo"]:
        until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        for term in emb["terms"]:
            if word_in(term, text):
                if ts < until and "leak.confidential" not in cats:
                    err(i, f"embargo term {term!r} before until without leak.confidential")
                if ts >= until and not cats:
                    pass  # published: benign hard negative
    # -- pricing
    if c["price"]:
        pname, val = c["price"]
        p = PRODUCTS.get(pname.lower())
        if p is None or pname.lower() not in text.lower():
            err(i, f"price product {pname!r} unknown or not in text")
        elif "leak.pricing" in cats:
            if not val < RATIO * p["list_price"]:
                err(i, "pricing positive not below ratio")
        elif val < RATIO * p["list_price"]:
            err(i, "benign price below ratio")
    if "leak.pricing" in cats and not c["price"]:
        err(i, "pricing positive without declared price")
    # -- severity recomputed
    if exp["severity"] != severity(exp["categories"], role, any(k in ("iban", "card", "bsn")
                                                              for k, _ in c["valid"])):
        err(i, "severity mismatch")

# -- public handles in the profile list must never be typed as public
for c, role in meta:
    if role == "public" and f"{c['platform']}:{c['handle']}".lower() in ROLE:
        errors.append("role lookup")

# -- mix
n = len(reread)
benign = sum(1 for o in reread if not o["expect"]["categories"])
counts = {}
for o in reread:
    for cat in o["expect"]["categories"]:
        counts[cat] = counts.get(cat, 0) + 1
nl = sum(1 for c, _ in meta if c["lang"] == "nl")
roles = {}
for c, role in meta:
    if c["cats"]:
        key = ("leak" if any(x.startswith("leak.") for x in c["cats"]) else "rep", role)
        roles[key] = roles.get(key, 0) + 1
if not 170 <= n <= 180:
    errors.append(f"case count {n} out of 170-180")
if not 55 <= benign <= 65:
    errors.append(f"benign count {benign}")
if not 0.48 <= nl / n <= 0.62:
    errors.append(f"dutch share {nl / n:.2f}")
if not any(c["evasion"] for c, _ in meta):
    errors.append("no evasion cases")
if not any(o["post"]["created_at"].startswith("2027") for o in reread):
    errors.append("no 2027 cases")

print(f"{n} cases, {benign} benign, {n - benign} positive, nl share {nl / n:.2f}")
for k in sorted(counts):
    print(f"  {k:22s} {counts[k]}")
print("  roles:", dict(sorted(roles.items())))
sev = {}
for o in reread:
    sev[o["expect"]["severity"]] = sev.get(o["expect"]["severity"], 0) + 1
print("  severities:", sev)
if errors:
    print("SELF-CHECK FAILED:")
    for e in errors:
        print("  -", e)
    sys.exit(1)
print("self-check OK")
