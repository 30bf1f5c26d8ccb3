#!/usr/bin/env python3
"""Build the held-out labelled set sealed404 (fictional bill-splitting app Deelmunt).

Deterministic: fixed seed, hand-written post texts, generated identifiers and
credentials. Writes cases.jsonl next to this file and checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in
    a benign post fails it;
  * generated credentials are well formed (GitHub CRC-32, AWS key id, JWT header);
  * severities follow CONTRACT section 4, computed from the account role in
    profile.yaml (never typed by hand);
  * confidential markers, codenames, internal hosts and embargo terms only occur
    in posts labelled leak.confidential (or after the embargo ends);
  * product prices below alert_below_ratio only occur in posts labelled leak.pricing.
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
from datetime import datetime, timezone

import yaml

SEED = 404_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "profile.yaml")
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

S, P, R, C, F, X = ("leak.secret", "leak.pii", "leak.pricing", "leak.confidential",
                    "leak.financial", "leak.security")
K, Q, A = "reputation.crisis", "reputation.complaint", "reputation.abuse"
TAXONOMY = {S, P, R, C, F, X, K, Q, A, "reputation.spike"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
             "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
SEV = ["none", "info", "warning", "error", "critical"]

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


# --------------------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank, acct):
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def luhn_complete(prefix, length=16):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def bsn_valid(s):
    d = re.sub(r"\D", "", s)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def ghp_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode())).rjust(6, "0") == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_valid(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head and all(parts)


# --------------------------------------------------------------------------- generators
def rs(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def spaced(s, n=4):
    return " ".join(s[i:i + n] for i in range(0, len(s), n))


BANKS = ["ABNA", "INGB", "RABO", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ"]


def gen_iban():
    return make_iban(rng.choice(BANKS), rs(string.digits, 10))


def gen_iban_bad():
    while True:
        good = gen_iban()
        cd = int(good[2:4])
        bad = "NL%02d%s" % ((cd + rng.randint(1, 9)) % 100, good[4:])
        if not iban_valid(bad):
            return bad


def gen_bsn():
    while True:
        d = str(rng.randint(1, 9)) + rs(string.digits, 8)
        if bsn_valid(d):
            return d


def gen_card_bad():
    while True:
        c = rs(string.digits, 16)
        if not luhn_valid(c):
            return spaced(c)


def gen_ghp():
    body = rs(ALNUM, 30)
    return "ghp_" + body + b62(zlib.crc32(body.encode())).rjust(6, "0")


def gen_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randint(0, 30_000_000)
    body = b64url(json.dumps({"sub": "usr_" + rs(string.ascii_lowercase + string.digits, 12),
                              "role": "support_admin", "iss": "auth.deelmunt.app",
                              "iat": iat, "exp": iat + 900},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def gen_pem():
    raw = b"openssh-key-v1\x00" + bytes(rng.getrandbits(8) for _ in range(380))
    b = base64.b64encode(raw).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


GEN = {
    "IBAN": gen_iban,
    "IBAN_SP": lambda: spaced(gen_iban()),
    "IBAN_BAD": lambda: spaced(gen_iban_bad()),
    "BSN": gen_bsn,
    "BSN_DOT": lambda: (lambda b: f"{b[:4]}.{b[4:6]}.{b[6:]}")(gen_bsn()),
    "CARD_MC": lambda: spaced(luhn_complete("5355" + rs(string.digits, 2))),
    "CARD_V": lambda: spaced(luhn_complete("4" + rs(string.digits, 5))),
    "CARD_BAD": gen_card_bad,
    "GHP": gen_ghp,
    "AKIA": lambda: "AKIA" + rs(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": lambda: rs(ALNUM + "/+", 40),
    "JWT": gen_jwt,
    "STRIPE": lambda: "sk_live_" + rs(ALNUM, 24),
    "GOOGLE": lambda: "AIza" + rs(ALNUM + "_-", 35),
    "OPENAI": lambda: "sk-proj-" + rs(ALNUM + "_-", 74) + "T3BlbkFJ" + rs(ALNUM + "_-", 74),
    "ANTHROPIC": lambda: "sk-ant-api03-" + rs(ALNUM + "_-", 93) + "AA",
    "PEM": gen_pem,
    "DBPW": lambda: rs(ALNUM, 7) + rng.choice("!*_~") + rs(ALNUM, 6),
    "PWDM": lambda: rng.choice(["Zomer", "Winter", "Lente"]) + "2026" + rng.choice("!#$") + rs(ALNUM, 5),
    "SLACK_BOT": lambda: "xoxb-" + rs(string.digits, 12) + "-" + rs(string.digits, 13) + "-" + rs(ALNUM, 24),
    "MOLLIE": lambda: "live_" + rs(ALNUM, 30),
}


def fw(s):
    """Full-width rendering (evasion)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


# --------------------------------------------------------------------------- the cases
# (lang, platform, handle, categories, text, options)
# options: kind, at (explicit created_at), name (display name), codeword_ok (a codename
# used as an ordinary word), pii_manual (address or date of birth with a name).
N = {}
CASES = [
    # ---------------- complaints
    ("nl", "x", "@marloes_bakt", [Q],
     "@deelmunt_help al 3 dagen staat mijn terugbetaling van €86,40 op 'in behandeling' en de chat geeft alleen een wachtrij van 40+ mensen. hoe lang nog??", N),
    ("en", "reddit", "u/splitter_sad", [Q],
     "Anyone else getting double charged by Deelmunt? Paid my share of the Airbnb once, my bank shows it twice. Support keeps sending me the same FAQ link. Kinda done with this app tbh", N),
    ("nl", "x", "@tijnvdmeer", [Q],
     "sinds de laatste update crasht deelmunt elke keer als ik een bonnetje wil scannen. iphone 13, ios up to date. graag fixen want ik heb hier 14 bonnetjes liggen", N),
    ("en", "x", "@gracie_ldn", [Q],
     "@deelmunt your 'instant' payout took 5 working days. FIVE. that's not instant, that's a carrier pigeon", N),
    ("nl", "facebook", "wilma.jonkers.73", [Q],
     "Ik heb het Familie-abonnement in september opgezegd en er wordt nog steeds elke maand €7,99 afgeschreven. Drie mails gestuurd, nul reactie. Zo ga je niet met je klanten om, Deelmunt.",
     {"kind": "comment", "name": "Wilma Jonkers"}),
    ("en", "instagram", "@ruudje.fit", [Q],
     "Weekend in the Ardennes with 12 people and suddenly the app splits everything wrong 🙄 balances make zero sense. Honestly our old spreadsheet was more reliable",
     {"kind": "comment"}),
    ("en", "x", "@cafe_tomasz", [Q],
     "Deelmunt Tap drops the bluetooth connection mid-payment, third time this week a customer had to dig for cash. Not great for a busy café @deelmunt_help", N),
    ("nl", "x", "@_sophie_k", [Q],
     "account 'tijdelijk geblokkeerd wegens verificatie' en nu kan ik m'n eigen geld niet eens naar mijn bank halen. al 6 dagen. @deelmunt_help reageer nou eens ff", N),
    ("en", "threads", "@maya.wanders", [Q],
     "Paid €12.99 for the Reisbundel and the exchange rate in Lisbon was STILL worse than my regular bank card. What am I actually paying for here", N),
    ("nl", "tiktok", "@lars.rijdt", [Q],
     "de knop om je account te verwijderen is nergens te vinden. moest via een formulier van 4 paginas en wacht nu al 3 weken op bevestiging. dit kan echt niet meer in 2026",
     {"kind": "comment"}),
    ("en", "x", "@benji_eats", [Q],
     "ordered a Deelmunt Kaart 3 weeks ago and tracking has said 'processing' since day one. is anyone actually working over there??", N),
    ("nl", "forum", "HansBouwt", [Q],
     "Betaalverzoekjes via Deelmunt komen bij de helft van onze voetbalgroep gewoon niet aan. Link openen → 'verzoek verlopen'. Na tien minuten al?? Zo kan ik de contributie van het team wel vergeten.", N),

    # ---------------- first-hand safety incidents: crisis + complaint
    ("nl", "x", "@evelien_lunchroom", [K, Q],
     "Mijn Deelmunt Tap werd vanmiddag gloeiend heet op het oplaadstation en begon te roken 😳 Stekker er direct uitgetrokken. Dit had zomaar brand kunnen worden in mijn zaak. @deelmunt_help ik wil een verklaring en een vervangend apparaat, foto's in de reacties", N),
    ("en", "reddit", "u/baristabram", [K, Q],
     "PSA: my Tap Dock gave me a proper electric shock when I touched the contacts while it was plugged in. Hand was tingling for an hour. Unplugged everything, emailed Deelmunt two days ago, still nothing back. Anyone else?", N),
    ("nl", "facebook", "kim.slegers.9", [K, Q],
     "Onze dochter van 3 heeft het knoopcelbatterijtje uit de NFC-sleutelhanger van Deelmunt gepeuterd en ingeslikt. Hele nacht op de SEH gezeten, gelukkig gaat het nu goed. Dat klepje zit er veel te los op!! Dit product hoort niet in de winkel te liggen.",
     {"name": "Kim Slegers"}),
    ("en", "x", "@harrietcooks", [K, Q],
     "The edge of my Deelmunt metal card is sharp enough to actually cut — sliced my thumb taking it out of my wallet and needed 2 stitches. Not what you expect from a bank card @deelmunt", N),

    # ---------------- crisis
    ("nl", "x", "@nieuwsflits_nl", [K],
     "Consumentenbond ontvangt meerdere meldingen van oververhitte Deelmunt Tap-pinapparaten in de horeca. Bij een café in Zwolle ontstond vorige week een kleine brand achter de bar. #consument", N),
    ("en", "x", "@fintechwatcher", [K],
     "Deelmunt has quietly recalled a batch of its NFC keyrings after reports of loose battery covers. No press release, just an email to affected customers. Not a good look.", N),
    ("nl", "x", "@privacy_first_jo", [K],
     "Deelmunt heeft onze gegevens gelekt. Vandaag een phishing-sms gekregen met de exacte namen van iedereen in mijn huis-groep erin. Dat kan maar van één plek komen. Dit is een datalek, melden bij de AP! #deelmunt #datalek", N),
    ("en", "x", "@anna_rights", [K],
     "Boycott Deelmunt. They're selling who-paid-whom data to advertisers and calling it 'spending insights'. Delete the app, tell your friends. #DeleteDeelmunt", N),
    ("nl", "linkedin", "pieter-vos-advocaat", [K],
     "Namens ruim 400 gedupeerden hebben wij vandaag een collectieve vordering ingediend tegen Deelmunt B.V. vanwege jarenlang verzwegen transactiekosten bij betaalverzoeken. Gedupeerd? Meld u via ons kantoor.",
     {"name": "mr. Pieter Vos"}),
    ("en", "reddit", "u/ledger_nerd", [K],
     "So Deelmunt's 'round-up savings' feature has apparently been skimming fractions of cents off every transaction for two years and the regulator is now looking into it. How is this not front page news?", N),
    ("nl", "tiktok", "@jessie.deelt", [K],
     "wie heeft dit ook?? de app maakt ineens geld over naar vreemden 😱 3 mensen uit mijn klas zijn €200+ kwijt aan rekeningen die ze niet kennen. deelmunt is gewoon gehackt en ze zeggen NIKS", N),
    ("en", "x", "@cityreporter_ams", [K],
     "Fire brigade called to a restaurant on the Ferdinand Bolstraat after a card terminal overheated behind the counter. Owner tells us it was a Deelmunt Tap. Nobody hurt.", N),
    ("nl", "x", "@studentenbond_utr", [K],
     "Oproep aan alle studentenhuizen: stop met Deelmunt tot ze opheldering geven over het doorverkopen van jullie betaalgegevens. Wij zeggen vandaag ons partnerschap op. #boycotdeelmunt", N),
    ("en", "bluesky", "@sara-inv.bsky.social", [K],
     "Former Deelmunt users are taking the company to court after it froze thousands of accounts for months without explanation. The claim was filed at the Amsterdam district court this morning.", N),
    ("nl", "x", "@woedendewim", [K, A],
     "Boycot die kankerbende van Deelmunt. Stelletje dieven zijn het. Iedereen die app eraf gooien, NU", N),

    # ---------------- abuse
    ("nl", "x", "@henkie_1970", [A],
     "@lotte_dm jij bent echt de domste helpdeskmuts die ik ooit aan de lijn heb gehad. zoek een ander baantje", N),
    ("en", "x", "@xXgrimXx", [A],
     "deelmunt devs are a bunch of brain-dead morons lmao. who hired these clowns", N),
    ("nl", "x", "@rotterdamrauw", [A],
     fw("kutapp") + " van een " + fw("kutbedrijf") + ". @deelmunt jullie kunnen de " + fw("tering") + " krijgen", N),
    ("en", "reddit", "u/nope_nope_99", [A],
     "that deelmunt support girl with the headscarf in their tutorial videos, send her back where she came from. nobody wants her kind answering their calls", N),
    ("nl", "instagram", "@b.o.e.f", [A],
     "k 1 o o t z @ k k e n zijn het bij deelmunt 🖕🖕 allemaal", {"kind": "comment"}),
    ("nl", "x", "@femkepost", [A],
     "@kaasboer_ed en jij bent gewoon een zielige loser die niks beters te doen heeft dan de hele dag ons account te spammen. rot toch op man", N),
    ("en", "x", "@deelmunt_help", [A],
     "@moaning_mike honestly mate, you're an idiot. It's literally in the FAQ. Stop crying on our timeline.", N),
    ("nl", "x", "@dutchtroll77", [A],
     "Die Bram van Deelmunt moet je eens in het donker tegenkomen, dan leert ie wel wat een echte bug is 🔪", N),
    ("nl", "x", "@g_vermeulen", [A, Q],
     "Al twee weken wacht ik op mijn geld en die idioten van @deelmunt_help sturen alleen copy-paste antwoorden. Stelletje prutsers, echt waar.", N),
    ("en", "x", "@furiousfreddie", [A, Q],
     "@deelmunt your shitty app charged me twice for the same dinner you absolute clowns. fix it or refund me", N),
    ("nl", "x", "@wraakengel", [P, A],
     "Die Lotte Verhoef van Deelmunt support woont op de Vechtstraat 112-2 in Utrecht. Ga d'r maar eens vertellen wat je van die klotehelpdesk vindt 😈",
     {"pii_manual": True}),

    # ---------------- personal data
    ("nl", "x", "@n_ouali", [P, Q],
     "@deelmunt_help ik heb nu VIER keer mijn gegevens gestuurd: {IBAN_SP} t.n.v. N. Ouali. Waarom staat mijn geld er nog steeds niet op?!", N),
    ("en", "x", "@kev_in_utrecht", [P, Q],
     "@deelmunt_help verification failed AGAIN and now you want my BSN a third time?? fine, it's {BSN}. happy now? this is ridiculous", N),
    ("nl", "x", "@lotte_dm", [P],
     "@jorisb_ hoi Joris! Ik zie je terugbetaling naar {IBAN} (J. Brouwer) klaarstaan, die gaat vandaag nog de deur uit 👍", N),
    ("nl", "x", "@deelmunt_help", [P],
     "@annemiek_s we bellen je vanmiddag terug op 06-41278813, en anders mailen we naar annemiek.smeets84@gmail.com. Check ook even je spam 😊", N),
    ("nl", "facebook", "DeelmuntNL", [P],
     "En de winnaar van onze zomeractie is... Sandra de Boer, Kerkstraat 14, 3581 RB Utrecht! 🎉 Je prijs komt deze week met de post. Gefeliciteerd!",
     {"pii_manual": True, "name": "Deelmunt"}),
    ("nl", "instagram", "@saar.en.co", [P],
     "Wie moet er nog betalen voor het weekend Texel? 🏝 Maak maar over naar {IBAN_SP} t.n.v. S. Jacobs, Deelmunt-verzoekje volgt ook nog 😘", N),
    ("en", "reddit", "u/kees_at_dm", [P],
     "Weird KYC edge case, anyone seen this before? Customer Fenna Kuipers, BSN {BSN_DOT}, born 11-04-1998, gets bounced by the ID provider every single time even with a fresh passport scan.",
     {"pii_manual": True}),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [P],
     "Happy birthday to our wonderful designer Thijs Mulder, born 23 June 1994 — so officially 32 today! 🎂 Cake in the kitchen at 3.",
     {"pii_manual": True, "name": "Ilse Meijer"}),
    ("nl", "x", "@pieter_zzp", [P],
     "@deelmunt_help jullie chat doet het niet. bel me maar op +31 6 2093 5571 of mail naar p.dekker@kpnmail.nl, ik ben de hele dag bereikbaar", N),
    ("nl", "linkedin", "ruben-de-wit-deelmunt", [P],
     "Trots op onze nieuwste horecapartner Brasserie De Kade in Leiden! 🍽 Vragen over hoe zij Deelmunt Tap gebruiken? Eigenaar Mark Hendriks staat je graag te woord: 06 1873 4460.",
     {"name": "Ruben de Wit"}),
    ("nl", "instagram", "@deelmunt.app", [P],
     "Unboxing van de nieuwe Metaalkaart 🖤✨ {CARD_MC} — kijk hoe hij glanst in het licht. Wie wil er ook een?", N),
    ("en", "x", "@bramkoster_dev", [P],
     "can someone check why these beta testers never got their invite? roel.vos@ziggo.nl, d.lammers1990@hotmail.com, jasmijn.t@outlook.com — sent twice already", N),
    ("en", "reddit", "u/anon_shared", [P],
     "Someone pasted this in a public Deelmunt group invite I was added to by accident: card {CARD_V} exp 09/28. Whoever this is, block your card now.", N),
    ("nl", "x", "@femkepost", [P],
     "@bramkoster_dev klant Yvonne Smit, geb. 02-09-1979, Lindenlaan 8 in Haarlem, krijgt haar Kaart maar niet bezorgd. Kun jij het adres in het systeem checken?",
     {"pii_manual": True}),

    # ---------------- secrets
    ("nl", "x", "@bramkoster_dev", [S],
     "waarom faalt deze deploy nou weer 😤\n\nexport GITHUB_TOKEN={GHP}\n./deploy.sh --env staging\n→ 401 Bad credentials\n\ntoken is net aangemaakt hoor", N),
    ("en", "reddit", "u/kees_at_dm", [S],
     "boto3 keeps throwing SignatureDoesNotMatch at me, config below, what am I missing?\n\n[default]\naws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-central-1", N),
    ("en", "x", "@ninavl_sre", [S],
     "debugging the auth flow with a live session, why is exp already in the past?? {JWT}", N),
    ("nl", "instagram", "@joris.dm", [S],
     "Story van de partnerdemo gisteren 🎬 (ja ik zie het ook, de Stripe key stond nog gewoon in beeld: {STRIPE} — oeps)", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [S],
     "Made a little Tap-locations map for the team hackathon 🗺️ Maps key if you want to play with it: {GOOGLE}", N),
    ("nl", "x", "@bramkoster_dev", [S],
     "OPENAI_API_KEY={OPENAI} werkt lokaal prima maar in de container krijg ik 'invalid api key'. iemand een idee waar dat aan ligt?", N),
    ("en", "reddit", "u/kees_at_dm", [S],
     "Can't get ssh to accept this key on the new bastion, format looks right to me?\n\n{PEM}", N),
    ("en", "mastodon", "@sannedm@mastodon.nl", [S],
     "DATABASE_URL=postgres://dm_ledger:{DBPW}@dm-ledger-prod.cx81kq2z.eu-west-1.rds.amazonaws.com:5432/ledger\n\nwhy does this time out from my laptop 🤔 VPN is on", N),
    ("nl", "x", "@deelmunt", [S],
     "@bramkoster_dev inlog voor het nieuwe social-dashboard: gebruiker socialteam, wachtwoord: {PWDM} (niet doorsturen!)", N),
    ("nl", "forum", "webshopwouter", [S],
     "Koppeling met Deelmunt werkt niet, krijg steeds 401 bij het aanmaken van een betaalverzoek. Mijn .env:\nMOLLIE_API_KEY={MOLLIE}\nDEELMUNT_CLIENT_ID=ws-wouter-01\nIemand?", N),
    ("en", "mastodon", "@sannedm@mastodon.nl", [S],
     "our support-bot prototype finally answers in Dutch AND English 🎉 running on my laptop with ANTHROPIC_API_KEY={ANTHROPIC}, don't judge the prompt", N),
    ("nl", "x", "@ninavl_sre", [S, X],
     "de Slack bot token {SLACK_BOT} staat al sinds maandag in onze publieke GitHub-repo 🙈 niemand heeft het door geloof ik. wie gaat 'm roteren, ik ben vrij vandaag", N),

    # ---------------- security
    ("nl", "x", "@ninavl_sre", [X],
     "nog niet officieel maar sinds 03:00 konden mensen via de betaalverzoek-API elkaars openstaande verzoeken zien. statuspagina zegt nog vrolijk 'alle systemen operationeel' 🙃", N),
    ("en", "reddit", "u/kees_at_dm", [X],
     "Not public yet, but there's an IDOR in our group settlement endpoint: change the group id in the request and you get someone else's balances. Reported internally two weeks ago, still open.", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [X],
     "heads up friends: Deelmunt will be down most of tomorrow evening, the payment processor migration went sideways and we haven't announced it yet. maybe don't plan your dinner splits for then 😅", N),
    ("nl", "x", "@bramkoster_dev", [X],
     "De certificaten van de Tap-terminals zijn gisteren verlopen en niemand had het door. Zo'n 30% van de readers weigert nu stilletjes betalingen. Klanten weten nog van niks.", N),
    ("en", "mastodon", "@sannedm@mastodon.nl", [X],
     "Not supposed to talk about this, but someone broke into one of our admin accounts last week. Customer passwords are 'probably' fine. The statement won't go out for a few more days.", N),
    ("en", "x", "@femkepost", [X],
     "off the record: tonight's 'scheduled maintenance' is actually a ransomware cleanup on our support tooling. please be patient with my colleagues this week 🙏", N),
    ("nl", "x", "@ex_dm_freelancer", [X],
     "Zat tot vorige maand als freelancer bij Deelmunt. Hun Android-app schrijft volledige IBANs en sessietokens naar de debug-log, ook in de productiebuild. Intern gemeld, er is niks mee gedaan.", N),
    ("en", "linkedin", "ruben-de-wit-deelmunt", [X],
     "To our hospitality partners: if your Tap shows error E-41 tonight, that's an outage on our transaction platform we haven't announced publicly yet. Please take cash until tomorrow, sorry!",
     {"name": "Ruben de Wit"}),
    ("nl", "x", "@deelmunt_help", [X],
     "@bas_betaalt klopt, je ziet inderdaad transacties van een andere gebruiker. Dat is een bekende bug sinds de update van dinsdag, die hebben we nog niet gemeld. Fix komt eraan.", N),
    ("en", "x", "@ninavl_sre", [X],
     "ugh, the 2FA bypass is back. an SMS code from an old session still gets you in. third regression this quarter. please nobody tweet about this yet", N),
    ("nl", "x", "@bramkoster_dev", [X, C],
     "grafana.deelmunt.internal is één grote kerstboom 🎄 ledger-db staat sinds 2 uur read-only en alle transacties blijven hangen. over een kwartiertje gaan klanten het merken 😬", N),
    ("en", "reddit", "u/kees_at_dm", [X, C],
     "vault.deelmunt.internal got hammered by a credential-stuffing run last night, 14 service accounts locked out and the Project Lantaarn staging env was exposed for a few hours. Nothing public yet.", N),

    # ---------------- confidential
    ("nl", "x", "@lotte_dm", [C],
     "Ik mag nog niks zeggen over Project Lantaarn maar jullie gaan het zó fijn vinden 🤫✨", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [C],
     "Spent the day user-testing Kolibrie, our split-at-the-table feature for restaurants. People loved the tap-to-claim flow. Can't wait to ship it this spring!", N),
    ("nl", "instagram", "@joris.dm", [C],
     "moodboard voor de Kolibrie-lancering 🐦💚 deze campagne wordt echt next level, nog even geduld", N),
    ("en", "x", "@femkepost", [C],
     "prepping the full-year 2026 results deck till midnight again. tomorrow 8am it's all out there, wish me luck ☕☕☕",
     {"at": "2027-03-03T21:40:12Z"}),
    ("nl", "linkedin", "marieke-hoogland", [C],
     "Het nieuwe salarishuis (DM-CONFIDENTIAL) ligt klaar voor de OR-vergadering van donderdag. Wat een klus was dit, trots op het team!",
     {"name": "Marieke Hoogland"}),
    ("nl", "x", "@femkepost", [C],
     "screenshot uit de roadmap-deck, er staat wel 'intern, niet delen' op maar dit is gewoon te leuk: groepspotjes waar je rente op krijgt 👀", N),
    ("en", "reddit", "u/dm_insider_maybe", [C],
     "Friend of mine works at Deelmunt. Apparently 'Kolibrie' is a pay-at-the-table thing for restaurants, launching Q2, already piloting at a few places in Utrecht.", N),
    ("nl", "instagram", "@joris.dm", [C],
     "De fotoshoot voor Deelmunt Wallet zit erop 📸 januari wordt groot, meer kan ik niet zeggen 😉",
     {"at": "2026-11-20T16:05:44Z"}),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [C],
     "Final QA pass on DeelWallet today. Two weeks to go and I'm running on coffee and adrenaline.",
     {"at": "2027-01-08T18:22:09Z"}),
    ("en", "linkedin", "ruben-de-wit-deelmunt", [C],
     "Partners: our new pitch deck (deelmunt internal only, so please don't forward 😉) has the full roadmap through the end of 2027. Ask me for a copy anytime.",
     {"name": "Ruben de Wit"}),
    ("nl", "x", "@bramkoster_dev", [C],
     "P.r.o.j.e.c.t L.a.n.t.a.a.r.n gaat vanavond live op de testomgeving, duimen maar 🤞", N),
    ("nl", "x", "@femkepost", [C],
     "\u041a\u043elibrie-demo bij de pilotklant ging top 🙌 ze wilden hem meteen houden", N),
    ("en", "mastodon", "@sannedm@mastodon.nl", [C],
     "Deck for Operatie Zil\u200bvervis is done. 40 slides, 3 litres of tea, 0 typos (hopefully) 🐟", N),
    ("nl", "x", "@techtipsnl", [C],
     "Gelekt: een interne link https://intra.deelmunt.local/wiki/Roadmap_2027 gaat rond op Discord. Volgens de screenshots komt Deelmunt met een crypto-potje.", N),
    ("nl", "linkedin", "yusuf-ozdemir-deelmunt", [C, F],
     "Lange dagen met het dataroom-team voor Operatie Zilvervis. Als deze overname rondkomt zijn we volgend jaar de grootste in de Benelux 💪",
     {"name": "Yusuf Özdemir"}),
    ("nl", "linkedin", "yusuf-ozdemir-deelmunt", [C, F],
     "De jaarcijfers 2026 zijn binnen: omzet +41% en ons eerste winstgevende jaar ooit. Publicatie volgt pas in maart, maar ik ben nu al trots 🥂",
     {"at": "2027-02-10T12:31:50Z", "name": "Yusuf Özdemir"}),

    # ---------------- financial
    ("en", "linkedin", "yusuf-ozdemir-deelmunt", [F],
     "Q3 forecast is being revised to -12% against budget, board discussion on Monday. Interesting weeks ahead for the finance team.",
     {"name": "Yusuf Özdemir"}),
    ("nl", "x", "@lotte_dm", [F],
     "net gehoord dat er bij de reorganisatie in maart 40 mensen van support weg moeten. weet nog niet of ik erbij zit 😢", N),
    ("en", "reddit", "u/fintech_gossip", [F],
     "Source at Deelmunt says they're in late-stage talks to be acquired by a German neobank, deal announced before summer. You heard it here first.", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [F],
     "all-hands today: H1 revenue came in at €18.4m, way above plan 🚀 not public till September so shhh 🤐", N),
    ("nl", "linkedin", "marieke-hoogland", [F],
     "De komende weken voer ik veel zware gesprekken. Ons kantoor in Gent gaat dicht en 22 collega's krijgen een ander aanbod of begeleiding naar ander werk. Het is nog niet aangekondigd, dus graag discreet.",
     {"name": "Marieke Hoogland"}),
    ("nl", "x", "@bramkoster_dev", [F],
     "hoorde net bij de koffieautomaat dat we BetaalBuddy gaan overnemen, voor rond de 60 miljoen 👀 zou wel grappig zijn na al die jaren concurrentie", N),
    ("en", "linkedin", "ruben-de-wit-deelmunt", [F],
     "Big news coming: our Series C closes next week at a €450m valuation. Can't say more until the press release, but wow. 🚀",
     {"name": "Ruben de Wit"}),
    ("nl", "x", "@beursbengel", [F],
     "Via via: Deelmunt haalt de omzetdoelstelling voor 2026 bij lange na niet en gaat in januari 15% van het personeel ontslaan. Let op mijn woorden.", N),
    ("nl", "linkedin", "deelmunt", [F],
     "Uitnodiging aandeelhoudersoverleg 14 oktober: bespreking voorlopige Q3-resultaten (omzet €9,1 mln, EBITDA -€1,3 mln). Graag vertrouwelijk behandelen tot de publicatie.",
     {"at": "2026-10-02T09:00:00Z", "name": "Deelmunt"}),
    ("en", "x", "@femkepost", [F],
     "so apparently we're shutting down the Berlin team and moving everyone to Amsterdam. nobody's been officially told yet. lovely friday", N),

    # ---------------- pricing
    ("nl", "instagram", "@joris.dm", [R],
     "🚨 Deal van het jaar: de Deelmunt Metaalkaart voor maar €7,90! Alleen vandaag, wees er snel bij 🖤", N),
    ("nl", "x", "@deelmunt", [R],
     "Pro Lifetime nu voor €14,90 🔥 alleen dit weekend, daarna nooit meer", N),
    ("nl", "x", "@dealjager_nl", [R],
     "PRIJSFOUT bij Deelmunt!! Plus Jaar voor €4,90 i.p.v. €49. Snel zijn voordat ze het doorhebben #prijsfout #deal", N),
    ("en", "reddit", "u/bargainhunter_eu", [R],
     "Deelmunt Tap card reader is listed at €5.90 on their webshop right now (normally €59). Ordered three, let's see if they honour it lol", N),
    ("nl", "linkedin", "ruben-de-wit-deelmunt", [R],
     "Speciaal voor nieuwe horecapartners: het Horeca-plan voor €2,90 per maand, het hele eerste jaar. Stuur me een DM!",
     {"name": "Ruben de Wit"}),
    ("nl", "facebook", "DeelmuntNL", [R],
     "Cadeaukaart 50 nu voor maar €5! 🎁 Ideaal voor in de schoen.",
     {"at": "2026-11-18T10:12:00Z", "name": "Deelmunt"}),
    ("en", "x", "@femkepost", [R],
     "lol someone just set the Business Team plan to €1.90/month in the app store listing. that's gonna be a fun morning for finance", N),
    ("nl", "x", "@studentenkorting", [R],
     "Reisbundel staat nu op €0,99 in de app?? Volgens mij is dat een fout maar ik neem 'm mooi mee 😂", N),
    ("en", "threads", "@deelmunt.app", [R],
     "Family plan glow-up ✨ Deelmunt Family is now just €0.79 a month. Tell your whole group chat!", N),
    ("nl", "forum", "kortingscodes_kim", [R],
     "Volgens mij zit er een prijsfout bij de QR-standaard van Deelmunt: bij afrekenen komt er €1,99 te staan. Bij mij al twee keer gelukt.", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [R],
     "ok who pushed the Tap Dock price to €3.49 on the webshop? 200 orders in the last hour 😬", N),
    ("nl", "tiktok", "@deelmunt", [R],
     "Eventpas voor je hele festivalcrew: nu €0,85 🎪 link in bio!", N),

    # ---------------- benign (mostly hard negatives)
    ("nl", "x", "@deelmunt_help", [],
     "Vragen over een betaalverzoek of je abonnement? Mail support@deelmunt.nl of bel +31 20 808 4410 (ma t/m vr, 9-17 uur). We helpen je graag!", N),
    ("nl", "facebook", "DeelmuntNL", [],
     "Zakelijke factuur van ons ontvangen? Je kunt betalen naar {COMPANY_IBAN} t.n.v. Deelmunt B.V., graag met je factuurnummer erbij.",
     {"name": "Deelmunt"}),
    ("en", "x", "@happyhousemate", [],
     "Deelmunt literally saved my friendship with my roommates. No more 'who bought the toilet paper' fights 😂❤️", N),
    ("nl", "instagram", "@mila.op.reis", [],
     "Twee weken Portugal met zes vriendinnen en Deelmunt hield alles bij. Niet één discussie over geld gehad 🙌 #vakantie #meidenweekend", N),
    ("en", "reddit", "u/devthings", [],
     "Writing a post on credentials hygiene. Example config straight from the AWS docs:\n\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\nNever commit real ones. Same goes for your Deelmunt API credentials.", N),
    ("nl", "x", "@bramkoster_dev", [],
     "Tip voor junior devs: zet nooit echte tokens in je voorbeeldcode. Schrijf gewoon GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx en laad de echte uit je vault.", N),
    ("nl", "x", "@kees_vd_wal", [],
     "Kreeg net een 'Deelmunt' sms: 'je account wordt geblokkeerd, betaal €1 naar {IBAN_BAD}'. Nepbericht dus, het rekeningnummer klopt niet eens. Niet intrappen mensen!", N),
    ("en", "x", "@coffeeaddict_nl", [],
     "The Deelmunt Tap at my local bakery is so quick, tapped my phone and done in two seconds. Love it", N),
    ("nl", "x", "@frankiefrank", [],
     "Update: @deelmunt_help heeft mijn dubbele afschrijving binnen een uur teruggestort, inclusief excuses. Netjes opgelost 👍", N),
    ("en", "x", "@marketbeat_eu", [],
     "BetaalBuddy confirms a data breach affecting 200k users, passwords being reset. Rivals including Deelmunt say their systems were not affected.", N),
    ("nl", "x", "@deelmunt", [],
     "Ons Studentenplan kost €1,99 per maand. De huishoudpot splitsen zonder gezeur 🎓📚", N),
    ("nl", "instagram", "@deelmunt.app", [],
     "Black Friday 🖤 De Deelmunt Metaalkaart nu met 20% korting: van €79 voor €63,20. Alleen t/m maandag!",
     {"at": "2026-11-27T08:00:00Z"}),
    ("en", "threads", "@deelmunt.app", [],
     "Spring deal 🌷 Plus Jaar for €39 instead of €49. Ends Sunday!",
     {"at": "2026-04-09T10:00:00Z"}),
    ("nl", "x", "@linda_loopt", [],
     "Cadeaukaart 25 van Deelmunt gekocht voor mijn neefje (gewoon €25) en hij kan er meteen mee afrekenen met z'n vrienden. Leuk bedacht", N),
    ("nl", "linkedin", "marieke-hoogland", [],
     "We zoeken een Senior Backend Engineer! Hybride, kantoor in Amsterdam, leuk team. Interesse? Mail jobs@deelmunt.nl of stuur me een bericht.",
     {"name": "Marieke Hoogland"}),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [],
     "Deelmunt Wallet is finally live!! 🎉 Two years of work. Update the app and tell me what you think.",
     {"at": "2027-01-21T10:15:00Z"}),
    ("nl", "linkedin", "deelmunt", [],
     "Vandaag publiceren we onze jaarcijfers 2026. Het volledige jaarverslag lees je op deelmunt.nl/investors.",
     {"at": "2027-03-04T08:30:00Z", "name": "Deelmunt"}),
    ("nl", "x", "@birdnerd_ellen", [],
     "Mijn eerste kolibrie gespot in Costa Rica 🐦😍 De gids meteen betaald en via Deelmunt verdeeld met de groep. Beste reis ooit.",
     {"codeword_ok": True}),
    ("nl", "x", "@wout_dev", [],
     "Wist je dat GitHub-tokens in de laatste zes tekens een checksum hebben? Daardoor kunnen scanners ze herkennen zonder ze te testen. Handig weetje voor als je bij Deelmunt of waar dan ook secrets scant.", N),
    ("en", "reddit", "u/docs_reader", [],
     "The Deelmunt integration guide literally shows ghp_1234567890abcdefghijklmnopqrstuvWXYZ as the token example. Cute. Obviously fake, but someone will paste it anyway.", N),
    ("nl", "x", "@rekenmeester", [],
     "Bestelling bij Deelmunt (ordernummer 482913756) was er al binnen 2 dagen. Top service!", N),
    ("en", "x", "@jen_codes", [],
     "The card in the Deelmunt promo video shows 1234 5678 9012 3456 lol, nice touch by the designer", N),
    ("nl", "x", "@jorien_b", [],
     "Mijn huisgenoot heeft €0,01 aangevraagd via Deelmunt omdat ik een plakje van z'n kaas had gepakt 💀 ik ga dood", N),
    ("en", "tiktok", "@splitqueen", [],
     "this app is straight fire 🔥🔥 no more awkward 'u owe me' texts ever #deelmunt #roommates", N),
    ("en", "x", "@plantmom_gerda", [],
     "Life hack: make one Deelmunt group for groceries and a separate one for fixed bills. Saves so much hassle at the end of the month.", N),
    ("nl", "x", "@opa_henk", [],
     "Hoe voeg ik mijn kleinkinderen toe aan een groep in Deelmunt? Ik zie de knop nergens. Alvast bedankt.", N),
    ("en", "x", "@traveldan", [],
     "Does the Deelmunt Reisbundel work in Japan? Going in April with 4 friends and want to avoid the usual currency mess.", N),
    ("nl", "x", "@deelmunt_help", [],
     "@opa_henk Goeie vraag! Tik op de groep, dan rechtsboven op 'Leden' en daarna 'Uitnodigen'. Lukt het niet? Bel ons gerust op 0800-3335.", N),
    ("en", "x", "@deelmunt", [],
     "The delays with payment requests this morning have been resolved. Thanks for your patience and sorry for the hassle 🙏", N),
    ("en", "reddit", "u/kees_at_dm", [],
     "Thanks to u/amir_sec for the responsible disclosure last month — fixed in 5.2.1 and we published the advisory today. Bounty's been paid out. More of this please 🙏", N),
    ("nl", "x", "@sympathiek", [],
     "Sterkte aan alle supportmedewerkers van Deelmunt vandaag, volgens mij belt heel Nederland tegelijk na de Sinterklaasdrukte. Jullie doen het goed 💪",
     {"at": "2026-12-06T11:20:00Z"}),
    ("en", "x", "@finance_daily", [],
     "KlarBank announces 300 layoffs after a record quarterly loss; shares down 14%. Smaller Dutch players such as Deelmunt have so far avoided cuts.", N),
    ("nl", "x", "@krantenkop", [],
     "Rechter legt betaalapp SnelSplit een boete van €2 miljoen op wegens misleidende kosten. Deelmunt en andere aanbieders zijn niet bij de zaak betrokken.", N),
    ("en", "linkedin", "deelmunt", [],
     "Proud to share our half-year figures, published today: 2.1 million active users and €12.6m revenue. The full report is on deelmunt.nl/investors.",
     {"at": "2026-08-27T07:30:00Z", "name": "Deelmunt"}),
    ("nl", "x", "@lotte_dm", [],
     "Wachtwoord vergeten? Geen paniek: tik op 'Inloggen' en dan 'Wachtwoord vergeten', binnen een minuut heb je een resetlink in je mail.", N),
    ("en", "x", "@pw_manager_fan", [],
     "PSA: your password should not be 'password123'. Get a password manager. At least Deelmunt forces 2FA, good on them.", N),
    ("nl", "x", "@redacted_rik", [],
     "Fijn dat Deelmunt je rekeningnummer maskeert, ik zie alleen 'NL** **** **** **43 00' in de app. Zo hoort het.", N),
    ("en", "bluesky", "@ilsemeijer.bsky.social", [],
     "Small product tip: in Deelmunt you can now attach a photo of the receipt to every expense. Tiny thing, big difference for the group treasurer.", N),
    ("nl", "instagram", "@foodtruck_jaap", [],
     "Sinds we Deelmunt Tap gebruiken op de markt gaat afrekenen twee keer zo snel. Die €59 was echt goed besteed 🌮", N),
    ("en", "x", "@nathalie_vt", [],
     "Why is our house always in crisis mode over the dishes but never over money? Oh right, Deelmunt 😂", N),
    ("en", "x", "@boatlife_bo", [],
     "Our sailboat sprang a leak somewhere in Friesland 🙃 at least splitting the repair bill on Deelmunt took ten seconds.", N),
    ("nl", "x", "@mark_doet_dingen", [],
     "Bizar goede app eigenlijk, Deelmunt. Kost me niks, scheelt me een hoop ruzie. Geen klachten hier!", N),
    ("en", "x", "@deelmunt_help", [],
     "@traveldan Yes, the Reisbundel works in Japan! If your card gives you any trouble abroad, reach us 24/7 at support@deelmunt.nl.", N),
    ("nl", "x", "@vragen_vera", [],
     "Moet je echt je BSN invullen bij het verifiëren in Deelmunt? Voelt een beetje raar. Iemand ervaring mee?", N),
    ("en", "forum", "gift_card_gal", [],
     "Tried redeeming my Deelmunt gift card with {CARD_BAD} and the app kept saying invalid. Turns out that was the order reference, not the code 🤦‍♀️ Redeemed fine now.", N),
    ("nl", "x", "@mo_barber", [],
     "Deelmunt Horeca-plan is €29 per maand. Voor mijn kapperszaak prima te doen als je ziet hoeveel tijd het me scheelt.", N),
    ("en", "x", "@kindcustomer", [],
     "Shoutout to Femke from @deelmunt who helped my mum set up her very first group. So patient and lovely 💛", N),
    ("en", "reddit", "u/stats_guy", [],
     "Fun fact about Dutch BSNs: they pass an 11-check where the last digit gets weight -1. That's why a random number like 123456789 fails. Deelmunt's signup form validates it live, which is neat.", N),
    ("nl", "linkedin", "ruben-de-wit-deelmunt", [],
     "Mooie middag bij Café Het Anker in Leiden, sinds deze zomer Tap-partner van ons. Dank voor de gastvrijheid en de bitterballen!",
     {"name": "Ruben de Wit"}),
    ("en", "x", "@femkepost", [],
     "Community meetup in Rotterdam next Thursday! Free drinks, split by nobody 😄 Sign up at deelmunt.nl/meetup", N),
    ("nl", "tiktok", "@deelmunt", [],
     "POV: je huisgenoot zegt 'ik betaal je morgen terug' 🙄 ...gelukkig bestaat Deelmunt #studentenleven #huisgenoten", N),
    ("en", "x", "@alex_prices", [],
     "Deelmunt Pro Lifetime costs €149, which felt steep until I worked out it's about 2.5 years of Plus. Worth it for me.", N),
    ("nl", "x", "@hoera_opgelost", [],
     "Gisteren klaagde ik hier nog over m'n geblokkeerde account, vanochtend belde iemand van Deelmunt en alles is weer in orde. Chapeau.", N),
    ("nl", "x", "@jochem_tweets", [],
     "Mijn telefoon vloog bijna in brand van het gamen, moest ff in de koelkast 😂 Daarna via Deelmunt de pizza gesplit 🍕", N),
    ("en", "x", "@moneyblogger", [],
     "My review of Deelmunt Familie after 6 months: €7.99 a month, great for a family of five, a bit much for just two people. 4/5 ⭐", N),
    ("nl", "instagram", "@joris.dm", [],
     "Onze campagne 'Samen betalen, samen lachen' hangt nu overal in Utrecht! Al een poster gespot? 📸", N),
    ("en", "x", "@uni_treasurer", [],
     "Our student society moved to Deelmunt Vereniging (€12.50 a month) and every treasurer on the board is rejoicing 🎉", N),
    ("nl", "x", "@tanja_v", [],
     "@deelmunt_help dank voor het snelle antwoord, het bedrag staat er inmiddels op!", N),
    ("en", "x", "@security_sam", [],
     "Reminder: a JWT looks like xxxxx.yyyyy.zzzzz (header, payload, signature). Never paste a real one into a public issue, no matter how much you want help with your Deelmunt integration.", N),
    ("nl", "x", "@kortingsjager_jan", [],
     "Deelmunt Plus Jaar in de sale voor €42 in plaats van €49. Geen prijsfout hoor, gewoon een nette actie 😉", N),
    ("nl", "x", "@lotte_dm", [],
     "Deelmunt Wallet staat nu al op 100.000 downloads in twee weken 😍 dank jullie wel!",
     {"at": "2027-02-01T13:45:00Z"}),
    ("nl", "x", "@snel_geholpen", [],
     "Even gebeld met 0800-3335 over mijn Kaart, binnen twee minuten geholpen. Zo kan het dus ook!", N),
    ("en", "reddit", "u/kees_at_dm", [],
     "PSA for anyone integrating payments: your live key shows as sk_live_•••••••••••••••• in the dashboard for a reason. Don't screenshot it unmasked.", N),
]


# --------------------------------------------------------------------------- helpers
def fail(msg):
    print("SELF-CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def rand_ts_2026():
    start = datetime(2026, 1, 2, tzinfo=timezone.utc).timestamp()
    end = datetime(2026, 12, 20, tzinfo=timezone.utc).timestamp()
    t = rng.randint(int(start), int(end))
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "к": "k", "м": "m", "т": "t", "н": "h", "в": "b",
    "А": "A", "Е": "E", "О": "O", "Р": "P", "С": "C", "Х": "X", "К": "K", "М": "M",
    "Т": "T", "Н": "H", "В": "B", "І": "I",
})
ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def squash(s):
    s = unicodedata.normalize("NFKC", s).translate(ZW).translate(CONFUSABLES).lower()
    return re.sub(r"[^a-z0-9]", "", s)


def digits(s):
    return re.sub(r"\D", "", s)


RE_IBAN = re.compile(r"\bNL\d{2} ?[A-Z]{4}(?: ?\d{2}){5}\b")
RE_CARD = re.compile(r"(?<!\d)(?<!\d\.)\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)(?!\.\d)")
RE_BSN = re.compile(r"(?<!\w)(?<!\d\.)(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?!\w)(?!\.\d)")
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
RE_PHONE = re.compile(r"(?<![\w+])(?:\+31|0031|0)(?:[ -]?\d){9}(?!\d)")
RE_URL = re.compile(r"\b\w+://\S+")
RE_PRICE = re.compile(r"€\s?(\d+(?:[.,]\d{1,2})?)")


def secret_hits(text):
    """(kind, value, well_formed) for every credential-shaped string."""
    hits = []
    for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
        hits.append(("github", m.group(), ghp_valid(m.group())))
    for m in re.finditer(r"\bAKIA[0-9A-Z]{16}\b", text):
        v = m.group()
        hits.append(("aws", v, "EXAMPLE" not in v and re.fullmatch(r"AKIA[A-Z2-7]{16}", v) is not None))
    for m in re.finditer(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+", text):
        hits.append(("jwt", m.group(), jwt_valid(m.group())))
    for pat, kind in [(r"\bsk_live_[0-9A-Za-z]{24,}", "stripe"),
                      (r"\blive_[0-9A-Za-z]{30}\b", "mollie"),
                      (r"\bAIza[0-9A-Za-z_-]{35}\b", "google"),
                      (r"\bsk-proj-[0-9A-Za-z_-]{40,}", "openai"),
                      (r"\bsk-ant-api03-[0-9A-Za-z_-]{90,}", "anthropic"),
                      (r"\bxoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}\b", "slack"),
                      (r"-----BEGIN [A-Z ]*PRIVATE KEY-----\n[A-Za-z0-9+/=\n]{200,}-----END [A-Z ]*PRIVATE KEY-----", "pem"),
                      (r"\b(?:postgres|postgresql|mysql|mongodb)://[^:\s/]+:[^@\s]+@\S+", "dburl"),
                      (r"(?i)\b(?:wachtwoord|password|passwd)\s*[:=]\s*\S{6,}", "password")]:
        for m in re.finditer(pat, text):
            hits.append((kind, m.group(), True))
    return hits


# --------------------------------------------------------------------------- build
def main():
    with open(PROFILE, encoding="utf-8") as fh:
        prof = yaml.safe_load(fh)

    roles = {}
    for role in ("corporate", "employee"):
        for key in prof["accounts"][role]:
            roles[key.lower()] = role
    if len(prof["accounts"]["corporate"]) < 6 or len(prof["accounts"]["employee"]) < 8:
        fail("profile needs 6+ corporate and 8+ employee accounts")
    pub = prof["public_identifiers"]
    for ib in pub["ibans"]:
        if not iban_valid(ib):
            fail(f"profile IBAN {ib} fails mod-97")
    company_ibans = {re.sub(r"\s", "", i) for i in pub["ibans"]}
    company_phones = {digits(p)[-9:] for p in pub["phones"]}
    company_emails = {e.lower() for e in pub["emails"]}
    if len(prof["internal"]["codenames"]) != 3 or len(prof["internal"]["markers"]) != 3:
        fail("profile needs 3 codenames and 3 markers")
    embargo = []
    for e in prof["embargo"]:
        until = parse_ts(e["until"])
        if until.year != 2027:
            fail("embargo until must be in 2027")
        embargo.extend((t, until) for t in e["terms"])
    products = prof["products"]
    if not 15 <= len(products) <= 25:
        fail("profile needs 15-25 products")
    ratio = prof["pricing"]["alert_below_ratio"]
    if ratio != 0.5:
        fail("alert_below_ratio must be 0.5")
    aliases = []
    for p in products:
        if p["currency"] != "EUR":
            fail("currency must be EUR")
        for a in [p["name"]] + p["aliases"]:
            aliases.append((a, p))
    aliases.sort(key=lambda ap: -len(ap[0]))
    conf_words = ([squash(c) for c in prof["internal"]["codenames"]]
                  + [squash(m) for m in prof["internal"]["markers"]])
    internal_domains = [d.lower() for d in prof["internal"]["domains"]]

    def role_of(platform, handle):
        return roles.get(f"{platform}:{handle}".lower(), "public")

    def severity(cats, role, strong_pii):
        best = 0
        own = role in ("corporate", "employee")
        for c in cats:
            if c.startswith("leak."):
                if own:
                    lvl = "critical" if (c in (S, R) or (c == P and strong_pii)) else "error"
                else:
                    lvl = "warning"
            elif c == Q:
                lvl = "warning"
            elif c == K:
                lvl = "error"
            elif c == A:
                lvl = "error" if own else "warning"
            else:
                fail(f"unexpected category {c}")
            best = max(best, SEV.index(lvl))
        return SEV[best]

    order = list(range(len(CASES)))
    rng.shuffle(order)

    out = []
    used_handles_public = set()
    for n, idx in enumerate(order, 1):
        lang, platform, handle, cats, text, opt = CASES[idx]

        def sub(m):
            key = m.group(1)
            if key == "COMPANY_IBAN":
                return spaced(pub["ibans"][0])
            return GEN[key]()
        text = re.sub(r"\{([A-Z_0-9]+)\}", sub, text)
        if re.search(r"\{[A-Z_0-9]+\}", text):
            fail(f"unfilled placeholder in case {idx}")

        role = role_of(platform, handle)
        if role == "public":
            used_handles_public.add(handle)
        created = opt.get("at") or rand_ts_2026()
        kind = opt.get("kind") or ("reply" if text.startswith("@") else "post")
        cid = f"dm404-{n:03d}"
        post = {"id": cid, "platform": platform, "kind": kind,
                "account": {"handle": handle}, "text": text, "lang": lang,
                "created_at": created, "brand": "Deelmunt"}
        if opt.get("name"):
            post["account"]["display_name"] = opt["name"]
        if platform == "x":
            post["url"] = f"https://x.com/{handle.lstrip('@')}/status/{rng.randint(10**18, 10**19 - 1)}"

        # ---- identifier checks
        positive = bool(cats)
        ids_valid = []
        for m in RE_IBAN.finditer(text):
            v = re.sub(r"\s", "", m.group())
            if v in company_ibans:
                continue
            ok = iban_valid(v)
            if positive and not ok:
                fail(f"{cid}: IBAN {v} in a positive fails mod-97")
            if not positive and ok:
                fail(f"{cid}: IBAN look-alike {v} in a benign post passes mod-97")
            if ok:
                ids_valid.append(v)
        for m in RE_CARD.finditer(text):
            ok = luhn_valid(m.group())
            if positive and not ok:
                fail(f"{cid}: card {m.group()} in a positive fails Luhn")
            if not positive and ok:
                fail(f"{cid}: card look-alike {m.group()} in a benign post passes Luhn")
            if ok:
                ids_valid.append(m.group())
        for m in RE_BSN.finditer(text):
            ok = bsn_valid(m.group())
            if positive and not ok:
                fail(f"{cid}: BSN {m.group()} in a positive fails the 11-proof")
            if not positive and ok:
                fail(f"{cid}: BSN look-alike {m.group()} in a benign post passes the 11-proof")
            if ok:
                ids_valid.append(m.group())
        if ids_valid and P not in cats:
            fail(f"{cid}: valid identifier but not labelled {P}")

        scrub = RE_URL.sub(" ", RE_IBAN.sub(" ", text))
        emails = [e for e in RE_EMAIL.findall(scrub) if e.lower() not in company_emails]
        phones = [p for p in RE_PHONE.findall(scrub) if digits(p)[-9:] not in company_phones]
        has_pii = bool(ids_valid or emails or phones or opt.get("pii_manual"))
        if (P in cats) != has_pii:
            fail(f"{cid}: pii label {P in cats} but found pii={has_pii} ({emails} {phones}) {text!r}")

        # ---- secrets
        hits = secret_hits(text)
        good = [h for h in hits if h[2]]
        if S in cats and not good:
            fail(f"{cid}: labelled secret but no well-formed credential: {hits}")
        if S not in cats and good:
            fail(f"{cid}: unlabelled well-formed credential {good}")
        if not positive and any(h[2] for h in hits):
            fail(f"{cid}: benign post with a live-looking credential")

        # ---- confidential indicators
        sq = squash(text)
        low = unicodedata.normalize("NFKC", text).lower()
        conf = [w for w in conf_words if w in sq] + [d for d in internal_domains if d in low]
        when = parse_ts(created)
        for term, until in embargo:
            if term.lower() in low and when < until:
                conf.append(term)
        if opt.get("codeword_ok"):
            if positive:
                fail(f"{cid}: codeword_ok only for benign posts")
            conf = []
        if (C in cats) != bool(conf):
            fail(f"{cid}: confidential label {C in cats} but indicators {conf}")

        # ---- pricing
        for a, p in aliases:
            if re.search(r"(?<!\w)" + re.escape(a.lower()) + r"(?!\w)", low):
                prices = [float(v.replace(",", ".")) for v in RE_PRICE.findall(text)]
                low_price = bool(prices) and min(prices) < ratio * p["list_price"]
                if (R in cats) != low_price:
                    fail(f"{cid}: pricing label {R in cats} but low price {low_price} for {p['sku']} {prices}")
                break
        else:
            if R in cats:
                fail(f"{cid}: pricing label without a product")

        # ---- contract section 6
        for c in cats:
            if c not in TAXONOMY or c == "reputation.spike":
                fail(f"{cid}: bad category {c}")
        if len(set(cats)) != len(cats):
            fail(f"{cid}: duplicate category")
        if platform not in PLATFORMS or kind not in KINDS:
            fail(f"{cid}: bad platform/kind")
        if not (1 <= len(cid) <= 256) or len(text.encode("utf-8")) > 65536 or not text:
            fail(f"{cid}: bad id/text")
        parse_ts(created)
        if lang not in ("nl", "en"):
            fail(f"{cid}: bad lang")

        strong = bool(ids_valid)
        sev = severity(cats, role, strong)
        out.append({"post": post, "expect": {"categories": sorted(cats), "severity": sev}})

    # ---- handle sanity: public handles must not be in the profile, own handles must be
    for h in used_handles_public:
        for key in roles:
            if key.split(":", 1)[1] == h.lower():
                fail(f"public handle {h} is in the profile on another platform")

    # ---- set-level checks
    ids = [c["post"]["id"] for c in out]
    if len(set(ids)) != len(ids):
        fail("duplicate ids")
    texts = [c["post"]["text"] for c in out]
    if len(set(texts)) != len(texts):
        fail("duplicate texts")
    total = len(out)
    benign = sum(1 for c in out if not c["expect"]["categories"])
    if not 170 <= total <= 180:
        fail(f"{total} cases, want 170-180")
    if not 55 <= benign <= 66:
        fail(f"{benign} benign, want about 60")
    counts = {}
    for c in out:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    want = {Q: 20, C: 18, P: 15, K: 15, X: 13, S: 12, A: 12, R: 12, F: 12}
    for cat, w in want.items():
        if abs(counts.get(cat, 0) - w) > 2:
            fail(f"{cat}: {counts.get(cat, 0)} posts, want about {w}")
    nl = sum(1 for c in out if c["post"]["lang"] == "nl") / total
    if not 0.50 <= nl <= 0.60:
        fail(f"Dutch share {nl:.2f}, want about 0.55")
    for c in out:
        json.loads(json.dumps(c, ensure_ascii=False))
        for f in ("id", "platform", "account", "text", "created_at"):
            if f not in c["post"]:
                fail("missing field " + f)
        if c["expect"]["severity"] not in SEV:
            fail("bad severity")
        if not c["expect"]["categories"] and c["expect"]["severity"] != "none":
            fail("benign post with severity")

    with open(OUT, "w", encoding="utf-8") as fh:
        for c in out:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")

    # re-read and re-validate the file as written
    with open(OUT, encoding="utf-8") as fh:
        lines = [json.loads(l) for l in fh]
    if lines != out:
        fail("cases.jsonl does not round-trip")

    sev_counts = {}
    for c in out:
        sev_counts[c["expect"]["severity"]] = sev_counts.get(c["expect"]["severity"], 0) + 1
    print(f"ok: {total} cases, {benign} benign, Dutch {nl:.0%}")
    print("categories:", dict(sorted(counts.items())))
    print("severities:", dict(sorted(sev_counts.items(), key=lambda kv: SEV.index(kv[0]))))


if __name__ == "__main__":
    main()
