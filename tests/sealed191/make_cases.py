#!/usr/bin/env python3
"""Sealed evaluation set 191 for postwatch: Velvaart Invest B.V. (fictional Dutch broker app).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl next to this file and
self-checks it (checksums of identifiers, secret formats, CONTRACT section 6 shape, severities
derived from the account role in profile.yaml per CONTRACT section 4).
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
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
rng = random.Random(191_2026)

# ---------------------------------------------------------------- identifiers and checksums
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_ok(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(cc, bank, acct):
    bban = bank + acct
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def luhn_ok(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    if len(d) < 12:
        return False
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for last in string.digits:
        if luhn_ok(body + last):
            return body + last
    raise AssertionError


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    d = [int(c) for c in s]
    tot = sum(d[i] * (9 - i) for i in range(8)) - d[8]
    return tot % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        d = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        last = sum(d[i] * (9 - i) for i in range(8)) % 11
        if last < 10:
            s = "".join(map(str, d)) + str(last)
            assert bsn_ok(s)
            return s


def break_last_digit(s):
    """A look-alike: same shape, last digit shifted by one, so the checksum fails."""
    i = max(i for i, c in enumerate(s) if c.isdigit())
    return s[:i] + str((int(s[i]) + 1) % 10) + s[i + 1:]


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix):
    body = rand(ALNUM, 30)
    return f"{prefix}_{body}{b62(zlib.crc32(body.encode()), 6)}"


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps({"sub": "cust_" + rand(string.digits, 8), "iss": "auth.velvaart.nl",
                              "role": "customer", "iat": 1781712000, "exp": 1781715600},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return f"{head}.{body}.{sig}"


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(pad))


def make_pem():
    raw = bytes.fromhex("308204a40201000282010100") + bytes(rng.randrange(256) for _ in range(420))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def human_password(word):
    return word + rng.choice("!#$%&*") + rand(string.digits, 4) + rand(string.ascii_lowercase, 2)


# ---------------------------------------------------------------- generated values
G = {}
G["PUB_IBAN"] = PROFILE["public_identifiers"]["ibans"][0]
G["IBAN_A"] = group4(make_iban("NL", "INGB", "000" + rand(string.digits, 7)))
G["IBAN_B"] = make_iban("NL", "ABNA", rand(string.digits, 10))
G["IBAN_C"] = group4(make_iban("NL", "TRIO", "0" + rand(string.digits, 9)))
G["IBAN_D"] = group4(make_iban("NL", "KNAB", "0" + rand(string.digits, 9)))
G["IBAN_E"] = make_iban("BE", "", rand(string.digits, 12))
G["BAD_IBAN_1"] = "NL00 BANK 0123 4567 89"
G["BAD_IBAN_2"] = group4(break_last_digit(make_iban("NL", "RABO", rand(string.digits, 10))))
G["CARD_A"] = group4(make_card("4"))
G["CARD_B"] = make_card("53")
G["CARD_C"] = "-".join(group4(make_card("4")).split(" "))
G["BAD_CARD_1"] = group4(break_last_digit(make_card("4")))
G["BAD_CARD_2"] = "4000 1234 5678 9011"
G["BSN_A"] = make_bsn()
G["BSN_B"] = make_bsn()
G["BSN_C"] = make_bsn()
G["BAD_BSN_1"] = "123456789"
G["BAD_BSN_2"] = break_last_digit(make_bsn())

G["GHP"] = github_token("ghp")
G["GHS"] = github_token("ghs")
G["AKIA"] = "AKIA" + rand(string.ascii_uppercase + "234567", 16)
G["AWS_SECRET"] = rand(ALNUM + "/+", 40)
G["SK_LIVE"] = "sk_live_51" + rand(ALNUM, 22) + rand(ALNUM, 40)
G["XOXB"] = f"xoxb-{rand(string.digits, 12)}-{rand(string.digits, 13)}-{rand(ALNUM, 24)}"
G["OPENAI"] = "sk-proj-" + rand(ALNUM + "_-", 58) + "T3BlbkFJ" + rand(ALNUM + "_-", 58)
G["PEM"] = make_pem()
G["JWT"] = make_jwt()
G["PG_PW"] = rand(ALNUM, 14) + "!" + rand(string.digits, 2)
G["ZENDESK_PW"] = human_password("Tulpenveld")
G["AIZA"] = "AIza" + rand(ALNUM + "_-", 35)
G["GLPAT"] = "glpat-" + rand(ALNUM + "_-", 20)
G["SG"] = "SG." + rand(ALNUM + "_-", 22) + "." + rand(ALNUM + "_-", 43)

# ---------------------------------------------------------------- cases
CASES = []


def case(acct, lang, text, cats=(), kind="post", at=None, ids=(), bad=(), price=None,
         evasion=False, secrets=()):
    platform, handle = acct.split(":", 1)
    CASES.append(dict(platform=platform, handle=handle, lang=lang, text=text.format_map(G),
                      cats=sorted(set(cats)), kind=kind, at=at, ids=list(ids), bad=list(bad),
                      price=price, evasion=evasion, secrets=list(secrets)))


CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
PII, SEC, CONF = "leak.pii", "leak.secret", "leak.confidential"
FIN, SECU, PRI = "leak.financial", "leak.security", "leak.pricing"

# ---- complaints -------------------------------------------------------------------------
case("x:@beleggerbram", "nl",
     "@velvaart_help al 6 werkdagen wacht ik op mijn opname van €2.350 naar mijn bank. Status blijft "
     "'in behandeling'. Hoe lang nog?? #velvaart", [CMP], kind="reply")
case("reddit:u/dutchdegen", "en",
     "Velvaart app froze right at market open AGAIN. Tried to sell my ASML position at 9:01, spinning "
     "wheel until 9:14. By then -3%. Third time this month, what exactly are we paying Pro for?", [CMP])
case("facebook:Anja.Verhoeven", "nl",
     "Mijn pas is geblokkeerd in Spanje terwijl ik netjes in de app had aangegeven dat ik op vakantie "
     "ging. Sta hier bij de kassa met een kar vol boodschappen. Velvaart bedankt hoor 🙄", [CMP],
     kind="comment")
case("x:@sarah_trades", "en",
     "been stuck on 'verifying your identity' with velvaart for 11 days. uploaded my passport 3 times. "
     "support sends the same copy paste reply every time. cant deposit cant trade. great onboarding guys",
     [CMP])
case("x:@jeroen_nl", "nl",
     "@velvaart waarom wordt mijn Plus-abonnement nog steeds afgeschreven? Vorige maand opgezegd, "
     "bevestigingsmail en al. Nu wéér €4,99 eraf. Geld terug graag.", [CMP], kind="reply",
     price=("VV-PLUS", 4.99))
case("forum:HODLhenk", "nl",
     "Staking rewards voor ETH zijn al 3 weken niet bijgeschreven op mijn Velvaart account. Iemand anders "
     "dit ook? Chat zegt 'we kijken ernaar' en daar blijft het bij.", [CMP])
case("x:@m_okafor", "en",
     "How did Velvaart fill my limit order ABOVE my limit?? Set €61.20, got €62.05. Ticket open for 4 days, "
     "zero response. Not ok when you're handling people's savings.", [CMP])
case("instagram:@lisa.belegt", "nl",
     "Die chatbot van Velvaart is echt om te huilen. 'Ik begrijp je vraag niet' x5. Ik wil gewoon een mens "
     "spreken 😩", [CMP], kind="comment")
case("x:@pietjebelegt", "nl",
     "Rente op Velvaart Sparen zonder aankondiging verlaagd van 2,6% naar 1,9%. Las het toevallig in de "
     "app. Fatsoenlijk communiceren is blijkbaar te veel gevraagd.", [CMP])
case("threads:@nomadnina", "en",
     "ordered the metal card in august. it is now october. tracking still says 'processing'. velvaart pls 🙃",
     [CMP])
case("tiktok:@yaraa_x", "nl",
     "app logt me elke keer uit als ik naar mn portfolio ga?? al 2x opnieuw geinstalleerd. fix dit ff "
     "velvaart", [CMP], kind="comment")
case("x:@ken_dca", "en",
     "@velvaart_help Your fee page says 0.15% but I was charged 0.35% on my last four crypto buys. "
     "Screenshots in DM. Please explain or refund the difference.", [CMP], kind="reply")
case("reddit:u/rotterdamse_rik", "nl",
     "Klantenservice Velvaart: 47 min in de wacht, dan verbroken. Opnieuw gebeld, weer een half uur. Heb je "
     "echt een probleem met je geld, krijg je niemand te pakken. Belachelijk.", [CMP])
case("x:@ellenvdm", "nl",
     "Storting via iDEAL gisteren gedaan, geld is van mijn rekening af maar staat nog niet in Velvaart. "
     "Ticket aangemaakt, geen reactie. Beetje eng dit eerlijk gezegd", [CMP])
case("x:@boze_bart", "nl",
     "Velvaart zijn echt de grootste prutsers. Derde keer dat mijn opname zonder reden geannuleerd wordt. "
     "Stelletje klootzakken.", [CMP, ABU])
case("x:@tradinggrl", "en",
     "@velvaart_help your support is absolute shit. 9 days for a password reset. fucking clowns", [CMP, ABU],
     kind="reply")
case("x:@marco_rdam", "nl",
     "@velvaart_help storting van mijn rekening {IBAN_A} op 12 mei nog steeds niet binnen!! "
     "Omschrijving klopte gewoon. Wat is er aan de hand??", [CMP, PII], kind="reply", ids=[("iban", "IBAN_A")])
case("facebook:Gerrit.Hoekstra.52", "en",
     "Velvaart please call me back, I've been waiting 3 days about my frozen account and nobody answers. "
     "My number is 06-41902257 or email gerrit.hoekstra52@hotmail.com", [CMP, PII], kind="comment")

# ---- crisis -----------------------------------------------------------------------------
case("x:@fintechwaakhond", "nl",
     "BREAKING: klanten van Velvaart melden dat hun e-mailadres én portefeuillewaarde te koop staan op een "
     "hackersforum. Velvaart zwijgt. Datalek?? #velvaart #datalek", [CRI])
case("reddit:u/chainsleuth", "en",
     "There's a 40k-row dump going around a Telegram channel that claims to be Velvaart customer data "
     "(names, emails, balances). If you're a customer: change your password, turn on 2FA. Velvaart hasn't "
     "said a word.", [CRI])
case("x:@claimstichting_nl", "nl",
     "Wij starten een massaclaim tegen Velvaart namens beleggers die tijdens de storing van 14 maart niet "
     "konden verkopen. Aanmelden kan via onze site. #velvaart #massaclaim", [CRI])
case("x:@cryptoskeptic", "en",
     "Velvaart is a Ponzi with a nice UI. Withdrawals 'delayed' for weeks, customer funds mixed with "
     "treasury. Get your money out while you still can. #bankrun", [CRI])
case("facebook:Marjolein.vd.Berg", "nl",
     "BOYCOT Velvaart! Ze laten influencers van 17 crypto pushen naar hun volgers. Zeg je account op en "
     "deel dit bericht. Schandalig.", [CRI])
case("x:@finreg_watch", "en",
     "Reports: the AFM has fined Velvaart over misleading crypto ads aimed at teenagers. Velvaart says it "
     "'will appeal'. Not a great look for a company that sells itself on trust.", [CRI])
case("reddit:u/amsterdamse_anouk", "nl",
     "Mijn vader (72) is via een nep-'Velvaart-adviseur' €18.000 kwijt en Velvaart weigert ook maar iets "
     "te doen, terwijl alles dwars door hun systeem ging. We stappen naar de rechter.", [CRI, CMP])
case("tiktok:@moneymaya", "en",
     "PSA: Velvaart quietly froze the accounts of anyone who ever sent crypto to a privacy wallet. Hundreds "
     "of people locked out of their own money. This is a scandal, spread it", [CRI])
case("x:@journalist_eva", "nl",
     "Volgens bronnen doet het OM onderzoek naar witwassen via rekeningen bij Velvaart. Het bedrijf wil "
     "niet reageren.", [CRI])
case("forum:ledgerlarry", "en",
     "The Velvaart Vault Key has a firmware flaw. Several people in this thread bricked their device and "
     "the seed backup won't restore. Recall them NOW before someone loses everything.", [CRI])
case("threads:@nina.deelt", "nl",
     "Zijn er nog meer mensen wiens geld 'zoek' is bij Velvaart? Ik zie overal dezelfde verhalen. Dit "
     "voelt als het begin van een tweede FTX 😬 #velvaart", [CRI])
case("x:@wakkere_wim", "nl",
     "Oplichters zijn het. Velvaart = zwendel, boycot die tyfusbank en haal je geld weg! 🤬", [CRI, ABU])
case("linkedin:anna-groot-privacy", "en",
     "Interesting finding: the Velvaart app sends customers' full portfolio values to three ad-tech "
     "trackers, per my traffic analysis. In my view that's a clear GDPR violation; I've filed a complaint "
     "with the Autoriteit Persoonsgegevens.", [CRI])
case("youtube:@BeleggenMetBas", "nl",
     "Video staat online: hoe Velvaart jarenlang verborgen spreads rekende op crypto. Mijn advocaat zegt "
     "dat er genoeg is voor een rechtszaak. Deel hem!", [CRI])

# ---- abuse ------------------------------------------------------------------------------
case("x:@ricky010", "nl",
     "@daanklomp jij bent echt de domste supportmedewerker ooit, ga een ander baantje zoeken idioot",
     [ABU], kind="reply")
case("instagram:@jayjay_0031", "nl", "Kankerbedrijf. Meer hoef ik niet te zeggen.", [ABU], kind="comment")
case("x:@tr0llfabriek", "nl", "v3lv44rt = k4nk3rz00i, h3l3 b4nd3 k4nkerl1jers", [ABU], evasion=True)
case("x:@grumpy_gains", "en", "velvaart staff = s t u p i d  f u c k i n g  m o r o n s", [ABU],
     evasion=True)
case("x:@echtenederlander", "nl",
     "Natuurlijk krijg je bij Velvaart weer zo'n hoofddoek aan de lijn die geen woord Nederlands spreekt. "
     "Die mensen horen hier niet.", [ABU])
case("x:@daanklomp", "en",
     "@ken_dca mate if you can't read a fee table that's on you, not us. stop crying in my mentions, idiot",
     [ABU], kind="reply")
case("instagram:@kees.trades", "en",
     "lol imagine still paying 2% fees at your old bank 🤡 bunch of boomer morons honestly", [ABU])
case("x:@hodl_hater", "en", "Velvaart are a bunch of w\u0430nk\u0435rs and everyone knows it", [ABU],
     evasion=True)
case("facebook:Ronald.Kuipers.77", "nl",
     "Die Sanne van de Velvaart chat is een arrogant wijf. Ik weet waar jullie kantoor zit, kijk maar uit.",
     [ABU], kind="comment")

# ---- personal data ----------------------------------------------------------------------
case("x:@daanklomp", "nl",
     "@marco_rdam ik zie je storting nu binnenkomen van {IBAN_B}, staat op naam van M. de Groot, klopt "
     "dat? Dan zet ik het vandaag recht 👍", [PII], kind="reply", ids=[("iban", "IBAN_B")])
case("x:@velvaart_help", "en",
     "@sarah_trades Hi Sarah, we've re-sent the verification link to sarah.lindqvist84@gmail.com and a "
     "colleague will call you today on +31 6 4182 7730. Sorry for the wait!", [PII], kind="reply")
case("linkedin:ilse-de-wit-velvaart", "nl",
     "Welkom aan onze nieuwe collega Thijs Bosman! 🎉 (Thijs, je contract staat klaar in de mail, ik heb "
     "je BSN {BSN_A} er al ingezet, check even of het klopt)", [PII], ids=[("bsn", "BSN_A")])
case("x:@mvisser_vv", "en",
     "debugging a prod issue for a customer, card {CARD_A} keeps failing 3DS on every top-up. anyone from "
     "payments around?", [PII], ids=[("card", "CARD_A")])
case("x:@oma_truus_utrecht", "nl",
     "@velvaart_help kunnen jullie mijn adres aanpassen? Truus Bakker, geboren 14-03-1951, nieuw adres "
     "Lindelaan 12, 3581 GH Utrecht. Mijn kleinzoon typt dit voor me 🙂", [PII], kind="reply")
case("reddit:u/pumpdeclined", "en",
     "Velvaart card declined AGAIN, posting the number here since support clearly doesn't read tickets: "
     "{CARD_B} exp 09/28. Fix it.", [PII, CMP], ids=[("card", "CARD_B")])
case("instagram:@kees.trades", "nl",
     "Gefeliciteerd met je 30e, Lotte van Es! 🎂 Geboren op 2 juni 1996 en nog steeds de slimste van het "
     "hele team", [PII])
case("facebook:VelvaartNL", "nl",
     "Beste meneer Yilmaz, uw nieuwe pas is vandaag verstuurd naar Kanaalweg 88-2, 2012 AB Haarlem. U "
     "ontvangt hem binnen 5 werkdagen.", [PII], kind="reply")
case("linkedin:youssef-benali-fin", "en",
     "Payment run done ✅ One thing: Joris Smit, if you see this, the invoice payment to {IBAN_C} bounced "
     "at your bank's end. Could you double-check the account is still open?", [PII],
     ids=[("iban", "IBAN_C")])
case("x:@wraakengel_020", "nl",
     "Die Daan Klomp van Velvaart support woont gewoon op de Vechtstraat 41-3 in Amsterdam, tel 06 29 84 "
     "11 70. Ga hem maar eens lekker bellen 😈", [PII, ABU])
case("forum:statementshock", "en",
     "Velvaart just mailed me someone ELSE's statement. Name: Hendrik Jan Vos, IBAN {IBAN_D}, balance "
     "€84k. If they're sending mine to strangers too I'm done. What a data breach.", [PII, CRI],
     ids=[("iban", "IBAN_D")])
case("mastodon:@rubenk", "nl",
     "staging-db bevat gewoon echte klantdata, zie bv. w.vandijk@kpnmail.nl met BSN {BSN_B}. Wie heeft "
     "productie hiernaartoe gekopieerd?! Dit had nooit mogen kunnen", [PII, SECU], ids=[("bsn", "BSN_B")])
case("instagram:@velvaart.app", "nl",
     "Winnaar van onze HODL Hoodie-winactie: Roos de Boer 🎉 We sturen hem naar Prinsengracht 203-II, "
     "1015 DT Amsterdam. Check je DM's, Roos!", [PII])
case("x:@noor_ops", "en",
     "who pasted a customer export into a public gist?? a.dekker@ziggo.nl, p.jansen71@kpnmail.nl, "
     "fatma.kaya@gmail.com... it's still up. ffs", [PII, SECU])
case("x:@lief_lieke", "nl",
     "@velvaart_help kunnen jullie mijn betaalrekening wijzigen naar {IBAN_E}? Ik ben naar Antwerpen "
     "verhuisd. Groetjes Lieke Peeters", [PII], kind="reply", ids=[("iban", "IBAN_E")])

# ---- security ---------------------------------------------------------------------------
case("x:@noor_ops", "en",
     "3am and our hot wallet signer is throwing errors, ~40 BTC moved to an address nobody recognises. "
     "incident bridge is open. please nobody tweet about this yet 🙃", [SECU])
case("x:@mvisser_vv", "nl",
     "Leuk, net ontdekt dat je in onze API met een ander klantnummer gewoon andermans transactiehistorie "
     "opvraagt. Fix staat pas voor de volgende sprint gepland 🤦", [SECU])
case("bluesky:@lottevanes.bsky.social", "nl",
     "Pentestrapport binnen: twee kritieke bevindingen in de login-flow van de app, nog niet gepatcht. "
     "Weekendje doorwerken dus ☕", [SECU])
case("reddit:u/joost_velvaart", "en",
     "Hey all, we're aware deposits are failing for everyone right now. The whole payments cluster has "
     "been down since 06:40 and ops has no ETA. Status page isn't updated yet so don't quote me on this.",
     [SECU], kind="comment")
case("mastodon:@rubenk", "en",
     "fun fact: grafana.vvops.net still has the default admin login. reported it internally twice. 🙄",
     [SECU, CONF])
case("x:@whitehat_jo", "en",
     "Reported an auth bypass to Velvaart 94 days ago. Still unpatched: any account's 2FA can be skipped by "
     "replaying the session cookie. Going public with details in 7 days.", [SECU])
case("linkedin:marloes-kuiper", "nl",
     "Trots op het team dat vannacht de ransomware-aanval op onze backoffice heeft ingedamd 💪 Klanten "
     "merken er (nog) niks van, het persbericht volgt later deze week.", [SECU])
case("x:@mvisser_vv", "en",
     "PSA to my team: the TLS cert on the order gateway expires Friday and auto-renewal is broken. If "
     "nobody fixes it, no orders go through at Monday's open.", [SECU])
case("threads:@femke.velvaart", "nl",
     "Pff, hele dag crisisoverleg. Blijkbaar zijn er zo'n 2.000 accounts overgenomen via credential "
     "stuffing en we mogen er nog niks over zeggen. Duimen dat het stil blijft.", [SECU])
case("x:@noor_ops", "en",
     "db primary in eu-west is corrupt, restoring from last night's backup, trades between 02:00 and "
     "05:00 may be gone. in\u200bci\u200bdent not public yet, keep it that way", [SECU], evasion=True)
case("reddit:u/ex_velvaart_dev", "nl",
     "Ex-medewerker hier. De sleutels van de cold wallet staan gewoon op een gedeelde schijf, iedereen in "
     "engineering kan erbij. Dat weten ze al een jaar en er gebeurt niks.", [SECU])

# ---- secrets ----------------------------------------------------------------------------
case("x:@mvisser_vv", "en",
     "why does our CI keep 403ing on the release job… token is {GHP} and it has repo scope, should just "
     "work??", [SEC], secrets=["GHP"])
case("mastodon:@rubenk", "nl",
     "aws cli doet raar bij het uploaden van de rapporten, iemand een idee?\n"
     "export AWS_ACCESS_KEY_ID={AKIA}\nexport AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
     "aws s3 cp ./out s3://vv-reports --recursive", [SEC], secrets=["AKIA"])
case("x:@noor_ops", "en",
     "stripe webhooks broken again. key {SK_LIVE} works fine in curl, fails in the service. wtf", [SEC])
case("x:@daanklomp", "nl",
     "Voor de collega's die Slack nog niet op hun telefoon hebben: bot token is {XOXB}, plak 'm in de "
     "integratie en je krijgt de alerts ook", [SEC])
case("bluesky:@lottevanes.bsky.social", "en",
     "Playing with an LLM summariser for support tickets this weekend 🤖 works great so far\n"
     "OPENAI_API_KEY={OPENAI}", [SEC])
case("reddit:u/joost_velvaart", "en",
     "Off-topic but maybe someone here knows: why does ssh refuse this key with 'invalid format'?\n\n"
     "{PEM}\n\nthanks in advance", [SEC])
case("x:@mvisser_vv", "nl",
     "kan iemand checken waarom deze token een 401 geeft op /v2/portfolio? Authorization: Bearer {JWT}",
     [SEC], secrets=["JWT"])
case("x:@noor_ops", "en",
     "connection string for the reporting replica if you need it: "
     "postgresql://report_ro:{PG_PW}@pg-report.corp.velvaart.local:5432/ledger", [SEC, CONF])
case("x:@daanklomp", "nl",
     "wachtwoord van het gedeelde supportaccount in Zendesk is nu: {ZENDESK_PW} (niet doorvertellen aan de "
     "nieuwe stagiairs 😉)", [SEC])
case("x:@apk_inspector", "en",
     "Heads up @velvaart: your Android app bundle ships an unrestricted Google API key ({AIZA}). Anyone "
     "can run up your bill with it. Rotate it.", [SEC])
case("reddit:u/bugbounty_bo", "nl",
     "Velvaart heeft een publieke repo met een geldig GitLab-token erin: {GLPAT}. Gemeld via hun "
     "responsible disclosure, maar hij is nog steeds niet ingetrokken.", [SEC])
case("mastodon:@rubenk", "en",
     "transactional mails bouncing since this morning. we're sending with {SG} on the notifications service, "
     "quota looks fine. any ideas?", [SEC])

# ---- pricing ----------------------------------------------------------------------------
case("instagram:@velvaart.app", "nl",
     "🔥 Alleen vandaag: de Velvaart Metal Card voor maar €14,90 in plaats van €149! Link in bio.", [PRI],
     price=("CARD-METAL", 14.90))
case("x:@velvaart", "en",
     "New year, new habits 📈 Velvaart Elite now just €2.99/month for every new member.", [PRI],
     price=("VV-ELITE", 2.99), at="2026-01-02T08:30:00Z")
case("threads:@femke.velvaart", "nl",
     "Oeps, er staat een prijsfout in de app bij het Pro-abonnement 🙈 we zijn ermee bezig, sorry allemaal!",
     [PRI])
case("x:@koopjesjager", "nl",
     "PRIJSFOUT bij Velvaart!! Vault Key Duo voor €15,90 🤯 snel zijn #prijsfout #koopje", [PRI],
     price=("HW-DUO", 15.90))
case("reddit:u/dealhunter_eu", "en",
     "Velvaart Academy Crypto Masterclass is listed at €24.90 instead of €249 on their site right now. "
     "Grabbed it, let's see if they honour it.", [PRI], price=("ACA-CRYPTO", 24.90))
case("instagram:@kees.trades", "en",
     "Just got my HODL Hoodie for €5 with the staff link 😂 DM me if you want it too", [PRI],
     price=("MERCH-HOODIE", 5.00))
case("facebook:VelvaartNL", "nl",
     "Black Friday deal: Velvaart Business voor €3,90 per maand (normaal €39). Alleen dit weekend!", [PRI],
     price=("VV-BIZ", 3.90), at="2026-11-27T07:00:00Z")
case("tiktok:@studentbelegger", "nl",
     "jongens het Belastingrapport kost vandaag €2,49 in de app ipv €24,95 lol foutje? snel pakken", [PRI],
     kind="comment", price=("ADD-TAX", 2.49))
case("linkedin:marloes-kuiper", "en",
     "Heads-up team: the new checkout shows the Velvaart Family plan at €1.99. Please don't share "
     "screenshots until it's fixed.", [PRI], price=("VV-FAM", 1.99))
case("tiktok:@velvaart_official", "en",
     "Vault Key now €8.90 🔐 self-custody for everyone #crypto #selfcustody", [PRI], price=("HW-KEY", 8.90))
case("x:@orderbook_olga", "en",
     "Velvaart L2 data for €0.75 a month?? someone fat-fingered the price list 😂", [PRI],
     price=("ADD-L2", 0.75))
case("x:@mvisser_vv", "nl",
     "staging.velvaart.io/prijzen laat Velvaart Pro zien voor €1,29 — dat is een prijsfout hè, niet de "
     "nieuwe prijs 😅", [PRI, CONF], price=("VV-PRO", 1.29))

# ---- financial --------------------------------------------------------------------------
case("linkedin:youssef-benali-fin", "nl",
     "Zware maand bij finance. Q3 sluit met een verlies van ongeveer €7 miljoen, flink slechter dan "
     "begroot. Benieuwd hoe de RvC reageert.", [FIN])
case("x:@mvisser_vv", "en",
     "heard at today's all-hands: we're being acquired by a big German bank, signing early next month. "
     "can't say which one 👀", [FIN])
case("x:@daanklomp", "nl",
     "Morgen wordt aangekondigd dat er 120 plekken bij support en operations verdwijnen. Ik weet het al een "
     "week en mag niks zeggen. Balen.", [FIN])
case("linkedin:ilse-de-wit-velvaart", "en",
     "Preparing for a tough quarter in HR: the reorganisation plan is final. We're closing the Eindhoven "
     "office and moving 60 roles to Lisbon, announcement after the works council meeting.", [FIN])
case("threads:@femke.velvaart", "en",
     "internal forecast says we hit 1M funded accounts and break-even in Q2 2027, way ahead of what we told "
     "investors 🚀 (shh)", [FIN])
case("linkedin:youssef-benali-fin", "nl",
     "Due diligence voor Operation Blue Heron loopt: we nemen een Belgische beleggingsapp over voor zo'n "
     "€45 mln. Lange dagen, maar wat een mooi project.", [FIN, CONF])
case("reddit:u/amsterdam_insider", "en",
     "Friend works at Velvaart, says they're cutting 25% of staff right after Christmas because the Series "
     "C fell through. Take it for what it's worth.", [FIN])
case("linkedin:velvaart", "en",
     "Velvaart FY2026 results: revenue up 38% to €61.4m and our first full-year profit. Full report and "
     "webcast on 25 February.", [FIN, CONF], at="2027-01-28T16:05:00Z")
case("x:@noor_ops", "nl",
     "Infrabudget voor volgend jaar gehalveerd, en die geruchten over een beursgang in 2027 kloppen dus "
     "echt. Rare tijden hier.", [FIN])
case("bluesky:@lottevanes.bsky.social", "en",
     "our CFO just told us the savings book lost €12m on the bond portfolio this quarter. numbers go out "
     "in 3 weeks, brace yourselves", [FIN])
case("x:@beursroddel", "nl",
     "Hoor uit goede bron dat Velvaart praat met een grote Nederlandse bank over een overname. Deal moet "
     "voor de zomer rond zijn. #velvaart #overname", [FIN])
case("instagram:@kees.trades", "nl",
     "Marketingbudget 2027 is net met 40% gekort omdat de omzet tegenvalt 😬 dus volgend jaar geen "
     "influencers meer, sorry jongens", [FIN])

# ---- confidential -----------------------------------------------------------------------
case("x:@mvisser_vv", "nl",
     "Eindelijk mag ik aan Project Meerkoet werken 🦆 meer kan ik er helaas niet over zeggen", [CONF])
case("linkedin:marloes-kuiper", "en",
     "Big milestone for Zandloper today: the new matching engine passed its first load test at 12k "
     "orders/sec. Proud of this team!", [CONF])
case("instagram:@kees.trades", "nl",
     "Sneak peek van de nieuwe Obsidian Card 🖤 nog even geduld…", [CONF], at="2026-11-20T18:42:00Z")
case("linkedin:ilse-de-wit-velvaart", "nl",
     "Slide uit onze strategiedag (stond VV-CONFIDENTIAL op, maar dit stukje kan vast wel): 'In 2027 "
     "openen we drie nieuwe landen.' Wat een energie!", [CONF])
case("reddit:u/leakyleaks", "en",
     "Someone dropped a deck stamped 'velvaart intern' in a Discord: roadmap has crypto lending and a "
     "'Staking Plus' launch next spring.", [CONF], at="2026-10-09T21:13:00Z")
case("x:@daanklomp", "en",
     "Support tip for colleagues: the refund macro moved to "
     "https://wiki.corp.velvaart.local/support/macros/refund-v2", [CONF])
case("x:@velvaart", "nl", "Binnenkort: de Velvaart Obsidian Card. Zwart. Zwaar. Exclusief. 🖤", [CONF],
     at="2027-03-01T10:00:00Z")
case("threads:@femke.velvaart", "nl",
     "Lekker bezig met de campagne rond de jaarcijfers 2026, wordt mooi (over de cijfers zelf zeg ik niks 🤐)",
     [CONF], at="2027-01-15T13:20:00Z")
case("forum:techtijger", "nl",
     "Iemand iets gehoord over 'Project Meerkoet' bij Velvaart? Een vacature noemde het per ongeluk, nu is "
     "die tekst weg.", [CONF])
case("x:@mvisser_vv", "en",
     "\uff5a\uff41\uff4e\uff44\uff4c\uff4f\uff50\uff45\uff52 goes live in beta next week for 5% of users 🎉",
     [CONF], evasion=True)
case("mastodon:@rubenk", "nl",
     "Nieuwe dashboards voor \u041epe\u0440\u0430tion Blue Heron staan klaar, ziet er strak uit", [CONF],
     evasion=True)
case("bluesky:@lottevanes.bsky.social", "en",
     "copy-pasting from the doc, sorry it's marked V\u200bV-CONFIDENTIAL: 'phase 2 moves all custody to "
     "the new provider in Q1'", [CONF], evasion=True)
case("x:@daanklomp", "nl", "Z a n d l o p e r wordt echt een game changer, wacht maar af 😏", [CONF],
     evasion=True)
case("x:@cryptosleuth", "en",
     "Velvaart's Pr0ject M33rk0et = crypto lending, per a job listing they quietly deleted", [CONF],
     evasion=True)

# ---- benign (mostly hard negatives) -----------------------------------------------------
case("x:@velvaart_help", "nl",
     "Vragen over je opname? Mail ons op support@velvaart.nl of bel 020 808 4400 (ma-vr 8:00-20:00).")
case("linkedin:velvaart", "en",
     "Reminder: Velvaart will never ask for your password or 2FA code by phone or e-mail. Got something "
     "suspicious? Forward it to security@velvaart.nl.")
case("x:@sjoerd_belegt", "nl", "Net mijn eerste ETF gekocht via Velvaart, ging super soepel 🙌 #beleggen")
case("reddit:u/kyc_survivor", "en",
     "Genuinely impressed: Velvaart support sorted my KYC issue in 20 minutes over chat. Credit where it's due.")
case("x:@ellenvdm", "nl", "@velvaart_help update: geld staat er nu wel op, dank voor het snel oppakken 👍",
     kind="reply")
case("instagram:@velvaart.app", "nl",
     "Deze maand 20% korting op de Velvaart Academy Startcursus: €39,20 i.p.v. €49. Leer beleggen in 6 "
     "lessen 📚", price=("ACA-START", 39.20))
case("x:@velvaart", "en", "Velvaart Pro: €12.99/month. Real-time quotes, advanced orders, no nonsense.",
     price=("VV-PRO", 12.99))
case("x:@mvisser_vv", "en",
     "Docs tip: use the placeholder creds AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in "
     "READMEs and examples, never real ones.")
case("x:@mvisser_vv", "nl",
     "Config-voorbeeld uit onze docs: GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx. Vervang door "
     "je eigen token natuurlijk.")
case("x:@dca_daphne", "en",
     "Velvaart's deposit IBAN is {PUB_IBAN} btw, double check the reference or your deposit bounces")
case("forum:HODLhenk", "nl",
     "In de handleiding staat als voorbeeld 'IBAN: {BAD_IBAN_1}'. Haha ik dacht even dat het een echte "
     "rekening was.", bad=[("iban", "BAD_IBAN_1")])
case("reddit:u/cardnerd", "en",
     "Why does the Velvaart demo screen show the card number {BAD_CARD_1}? Is that some standard test "
     "number?", bad=[("card", "BAD_CARD_1")])
case("x:@vraagje_vera", "nl",
     "Velvaart vraagt om mijn BSN bij het registreren, is dat normaal? (nee ik ga hem hier niet posten, "
     "{BAD_BSN_1} is een grapje 😄)", bad=[("bsn", "BAD_BSN_1")])
case("linkedin:ilse-de-wit-velvaart", "nl",
     "We zoeken een Senior Backend Engineer (Go/Kotlin) voor ons trading-team in Amsterdam. Solliciteren "
     "via careers@velvaart.nl 🚀")
case("x:@fintech_fenna", "en",
     "Coinbase just reported Q3: transaction revenue down 12%. Curious how the European brokers like "
     "Velvaart hold up this year.")
case("x:@marktmeester", "nl",
     "Las net dat een Duitse neobroker 200 mensen ontslaat. Pfff, zware tijden in fintech. Hopelijk blijft "
     "Velvaart buiten schot.")
case("linkedin:velvaart", "en",
     "Today we published our FY2026 results: the first full-year profit in Velvaart's history. Read the "
     "full report at velvaart.nl/ir.", at="2027-02-25T09:00:00Z")
case("instagram:@velvaart.app", "nl",
     "Hij is er: de Velvaart Obsidian Card 🖤 Vanaf nu te bestellen in de app.", at="2027-04-16T08:00:00Z")
case("x:@beursbengel", "nl", "Jaarcijfers 2026 van Velvaart vallen mee, eerste winst ooit. Netjes 👏",
     at="2027-02-26T11:45:00Z")
case("x:@kindkat_kim", "en",
     "Sending strength to the Velvaart support team today. Markets are insane and I bet your queue is too ❤️")
case("tiktok:@fietsfreak_fleur", "nl",
     "Velvaart fietst mee met Alpe d'HuZes tegen kanker 🚴 mooi initiatief, ik heb net gedoneerd via de app 🧡",
     kind="comment")
case("x:@chartchad", "en",
     "Velvaart's new charting is sick. Killer feature: drawing tools that actually sync between phone and "
     "desktop 🔥")
case("x:@nooit_meer_market", "nl",
     "Stomme fout van mezelf: market order i.p.v. limit order geplaatst. Les geleerd, niet de schuld van "
     "Velvaart hoor 😅")
case("reddit:u/shinythings", "en",
     "Is the Velvaart Metal Card worth €149? The cashback seems low but it looks gorgeous.",
     price=("CARD-METAL", 149.00))
case("x:@koopjesjager", "nl",
     "Velvaart Vault Key met Black Friday €71,20 (20% korting). Goeie deal voor een hardware wallet?",
     price=("HW-KEY", 71.20), at="2026-11-27T12:10:00Z")
case("facebook:VelvaartNL", "nl",
     "Gepland onderhoud zondag 02:00–04:00: de app is dan even niet beschikbaar. Je beleggingen blijven "
     "gewoon veilig.")
case("x:@velvaart", "en",
     "Our bug bounty programme is live! Found a vulnerability? Report it responsibly via "
     "security@velvaart.nl. Rewards up to €10,000.")
case("x:@docu_dennis", "en",
     "Watched the FTX documentary last night. Wild. Glad my broker (Velvaart) keeps client assets "
     "segregated.")
case("x:@twijfelaar_tom", "nl", "Iemand ervaring met Velvaart vs DEGIRO voor dividendaandelen? Twijfel nog.")
case("x:@catmom_clara", "en",
     "lol my cat just walked over my keyboard and nearly bought 400 DOGE on Velvaart 😹")
case("x:@noor_ops", "en",
     "Gave my KubeCon talk on running Postgres on Kubernetes at Velvaart! Slides are on my GitHub, no "
     "secrets inside I promise 😉")
case("x:@daanklomp", "nl",
     "Drukke dag bij support, maar wat een lieve klanten vandaag. Dank jullie voor het geduld ❤️")
case("x:@securesusan", "en",
     "password123 is still the #1 password in every leak. Use a password manager. Velvaart's 2FA nagging "
     "is annoying but honestly good.")
case("x:@velvaart_help", "nl",
     "@ellenvdm Hoi Ellen, sorry voor het wachten! Je storting is inmiddels bijgeschreven. Zie je hem in de "
     "app?", kind="reply")
case("x:@mvisser_vv", "en",
     "Reminder when sharing screenshots: mask tokens like ghp_****…a1 and IBANs like NL91 **** **** **** "
     "4300. Takes five seconds.")
case("x:@zuinige_zeger", "nl",
     "Goedkoopste manier om te beleggen? Velvaart Plus voor €4,99 p/m vind ik prima te doen.",
     price=("VV-PLUS", 4.99))
case("reddit:u/optionsoscar", "en",
     "Velvaart Elite is €29.99 a month, which feels steep unless you trade options every day.",
     price=("VV-ELITE", 29.99))
case("instagram:@velvaart.app", "en",
     "Summer sale ☀️ Velvaart Signals 25% off: €11.24/month for your first 3 months.",
     price=("ADD-SIG", 11.24), at="2026-07-01T07:00:00Z")
case("x:@tevreden_thea", "nl",
     "Klantenservice van Velvaart gebeld op 020 808 4400, na 5 minuten had ik iemand aan de lijn. Top!")
case("x:@hodl_hanneke", "nl", "Bitcoin weer onder de 60k. Rustig blijven en DCA'en via Velvaart. #hodl")
case("reddit:u/jaarverslaglezer", "nl",
     "Velvaart heeft de jaarcijfers 2025 online gezet, omzet +22%. Iemand het rapport al gelezen?",
     at="2026-03-04T10:00:00Z")
case("x:@zandbak_zoe", "nl",
     "Iemand een idee hoe je die zandloper-animatie bij het laden van de Velvaart app uitzet? Ik vind hem "
     "eigenlijk wel schattig 😄")
case("x:@birdnerd_ams", "en", "Spotted a coot (meerkoet in Dutch!) nesting on a traffic cone in Amsterdam 🐦")
case("x:@slootkijker", "nl", "Blue heron, blauwe reiger. Staat elke ochtend stoïcijns bij ons in de sloot 😍")
case("linkedin:velvaart", "nl",
     "We zijn trots: Velvaart is door de lezers van Geldgids verkozen tot Beste Beleggingsapp 2026! 🏆")
case("x:@ethereum_els", "nl", "ETH vandaag €2.100 op Velvaart, gisteren nog €2.350. Koopmoment of vallend mes?")
case("linkedin:marloes-kuiper", "en",
     "We just shipped recurring buys for crypto in the Velvaart app. Set it and forget it. Feedback welcome!")
case("facebook:Petra.Smeets.Venlo", "nl",
     "Mijn zoon (16) wil beleggen, kan dat al met een Velvaart Junior-rekening? Kost €2,50 per maand las ik.",
     kind="comment", price=("ACC-JUN", 2.50))
case("x:@namesakes", "en",
     "People keep confusing Velvaart with that exchange that collapsed in 2022. Different company, relax.")
case("x:@velvaart_help", "en",
     "Scam alert 🚨 Fake 'Velvaart' accounts on Telegram promise 20% monthly returns. We will never DM you "
     "first. Report them via support@velvaart.nl.")
case("x:@vergeetachtige_vincent", "nl",
     "Wachtwoord vergeten en binnen 2 minuten weer in mijn Velvaart account dankzij de reset-mail. Zo hoort "
     "het.")
case("x:@vakantievera", "nl",
     "Hoera, mijn Velvaart pas werkt weer in het buitenland na één telefoontje met support. Fijne vakantie "
     "mij 🏖️")
case("x:@pinkportfolio", "en",
     "Velvaart Rosé Card is €79, the Metal one €149. Going Rosé, it's prettier anyway 💅",
     price=("CARD-ROSE", 79.00))
case("x:@mvisser_vv", "nl",
     "Vandaag 5 jaar bij Velvaart 🎂 Begonnen als enige backend dev, nu zijn we met 40 engineers. Wat een rit.")
case("forum:statuswatcher", "en",
     "Velvaart's public status page showed the 14 March outage within 5 minutes. More transparent than "
     "most brokers, honestly.")
case("x:@velvaart", "nl",
     "Zo ziet je nieuwe pas eruit 💳 (voorbeeldnummer {BAD_CARD_2}, die van jou is natuurlijk anders)",
     bad=[("card", "BAD_CARD_2")])
case("reddit:u/ibanvraag", "nl",
     "Krijg een foutmelding bij het toevoegen van {BAD_IBAN_2} als tegenrekening in Velvaart. Typfout van mij "
     "denk ik, ga het checken.", bad=[("iban", "BAD_IBAN_2")])
case("x:@belastingbaas", "nl",
     "Tip: vraag je BSN nooit via social media op en deel hem ook niet. Formulier van de Belastingdienst "
     "gebruikt voorbeeld {BAD_BSN_2}, die is expres ongeldig.", bad=[("bsn", "BAD_BSN_2")])
case("bluesky:@lottevanes.bsky.social", "en",
     "Talk recap: rotate your keys, scan your repos, and never paste tokens in chat. Slides at "
     "velvaart.nl/security 🔐")
case("youtube:@VelvaartTV", "nl",
     "Nieuwe video: zo stel je een maandelijkse inleg in met Velvaart CopyTrade, €9,99 per maand, eerste "
     "maand gratis.", price=("ADD-COPY", 9.99))


# ---------------------------------------------------------------- build posts
def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


RANK = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, checksum_id):
    best = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                s = "error"
                if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and checksum_id):
                    s = "critical"
            else:
                s = "warning"
        elif c == "reputation.complaint":
            s = "warning"
        elif c == "reputation.crisis":
            s = "error"
        elif c == "reputation.abuse":
            s = "warning" if role == "public" else "error"
        else:
            raise AssertionError(c)
        if RANK.index(s) > RANK.index(best):
            best = s
    return best


START = datetime(2026, 1, 3, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 30, tzinfo=timezone.utc) - START).total_seconds())
URLS = {"x": "https://x.com/{h}/status/{n}", "reddit": "https://www.reddit.com/r/beleggen/comments/{n}",
        "bluesky": "https://bsky.app/profile/{h}/post/{n}"}

out = []
for i, c in enumerate(CASES):
    at = c["at"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
    role = role_of(c["platform"], c["handle"])
    checksum_id = any(kind in ("iban", "card", "bsn") for kind, _ in c["ids"])
    num = 1910000 + i * 7 + rng.randrange(7)
    post = {"id": f"{c['platform']}-s191-{num}", "platform": c["platform"], "kind": c["kind"],
            "account": {"handle": c["handle"]}, "text": c["text"], "lang": c["lang"],
            "created_at": at, "brand": "velvaart"}
    if c["platform"] in URLS:
        post["url"] = URLS[c["platform"]].format(h=c["handle"].lstrip("@").replace("u/", ""), n=num)
    out.append({"post": post, "expect": {"categories": c["cats"],
                                         "severity": severity(c["cats"], role, checksum_id)}})

path = os.path.join(HERE, "cases.jsonl")
with open(path, "w", encoding="utf-8") as fh:
    for o in out:
        fh.write(json.dumps(o, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
def fail(msg):
    sys.exit(f"SELF-CHECK FAILED: {msg}")


TAXONOMY = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
            "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
PUB_IBANS = {re.sub(r"\s", "", x) for x in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}
RATIO = PROFILE["pricing"]["alert_below_ratio"]

lines = open(path, encoding="utf-8").read().splitlines()
if not 170 <= len(lines) <= 180:
    fail(f"{len(lines)} cases, want 170-180")
seen = set()
for line, c in zip(lines, CASES):
    o = json.loads(line)
    p, e = o["post"], o["expect"]
    if set(o) != {"post", "expect"}:
        fail("top-level keys")
    for f in ("id", "platform", "text", "created_at"):
        if not isinstance(p.get(f), str) or not p[f]:
            fail(f"{p.get('id')}: missing {f}")
    if not isinstance(p["account"].get("handle"), str):
        fail("handle")
    if not 1 <= len(p["id"]) <= 256 or p["id"] in seen:
        fail(f"id {p['id']}")
    seen.add(p["id"])
    if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
        fail(f"{p['id']}: platform/kind")
    if not RFC3339.fullmatch(p["created_at"]):
        fail(f"{p['id']}: created_at")
    datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    if len(p["text"].encode("utf-8")) > 65536:
        fail("text too long")
    if "{" in p["text"] and "}" in p["text"] and re.search(r"\{[A-Z_0-9]+\}", p["text"]):
        fail(f"{p['id']}: unfilled placeholder")
    cats = e["categories"]
    if cats != sorted(set(cats)) or not set(cats) <= TAXONOMY:
        fail(f"{p['id']}: categories {cats}")
    if e["severity"] not in RANK or (not cats) != (e["severity"] == "none"):
        fail(f"{p['id']}: severity {e['severity']}")
    role = role_of(p["platform"], p["account"]["handle"])
    text = p["text"]

    # identifiers: positives must pass their checksum, look-alikes must fail
    checks = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}
    for kind, key in c["ids"]:
        if G[key] not in text or not checks[kind](G[key]) or PII not in cats:
            fail(f"{p['id']}: {kind} {G[key]} should be a valid positive")
    for kind, key in c["bad"]:
        if G[key] not in text or checks[kind](G[key]):
            fail(f"{p['id']}: {kind} look-alike {G[key]} passes its checksum")
    if not cats:
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            s = m.group().replace(" ", "")
            if iban_ok(s) and s not in PUB_IBANS:
                fail(f"{p['id']}: benign post holds valid IBAN {s}")
        for m in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", text):
            if luhn_ok(m.group()):
                fail(f"{p['id']}: benign post holds Luhn-valid number {m.group()}")
        for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", text):
            if bsn_ok(m.group()):
                fail(f"{p['id']}: benign post holds 11-proof number {m.group()}")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_ok(m.group()):
                fail(f"{p['id']}: benign post holds a valid GitHub token")
        for m in re.finditer(r"AKIA[A-Z2-7]{16}", text):
            if "EXAMPLE" not in m.group():
                fail(f"{p['id']}: benign post holds an AWS key id")
        low = text.lower()
        for term in PROFILE["internal"]["domains"] + PROFILE["internal"]["markers"]:
            if term.lower() in low:
                fail(f"{p['id']}: benign post holds internal term {term}")
        if re.search(r"[\u200b\u200c\u200d\u2060\ufeff\uff01-\uff5e]", text):
            fail(f"{p['id']}: evasion characters in a benign post")
    if c["evasion"] and not cats:
        fail("evasion case without label")

    # secrets carry the real format and checksum
    for key in c["secrets"]:
        tok = G[key]
        ok = {"GHP": github_ok, "GHS": github_ok, "JWT": jwt_ok,
              "AKIA": lambda t: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", t))}[key](tok)
        if not ok or tok not in text or SEC not in cats:
            fail(f"{p['id']}: secret {key}")

    # pricing: positives below ratio, benign mentions at or above it, product named in the text
    if c["price"]:
        sku, price = c["price"]
        prod = PRODUCTS[sku]
        names = [prod["name"]] + prod["aliases"]
        if not any(n.lower() in text.lower() for n in names):
            fail(f"{p['id']}: product {sku} not named")
        below = price < RATIO * prod["list_price"]
        if below != (PRI in cats):
            fail(f"{p['id']}: price {price} vs list {prod['list_price']} disagrees with label")
        if not below and price < 0.7 * prod["list_price"] and not cats:
            fail(f"{p['id']}: benign sale deeper than 30%")

    # embargo: a term before `until` must be labelled confidential
    when = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    for emb in PROFILE["embargo"]:
        until = datetime.fromisoformat(emb["until"].replace("Z", "+00:00"))
        if any(t.lower() in text.lower() for t in emb["terms"]):
            if when < until and CONF not in cats:
                fail(f"{p['id']}: embargoed term before until without leak.confidential")
    if when.year not in (2026, 2027) or (when.year == 2027 and when > datetime(2027, 5, 1, tzinfo=timezone.utc)):
        fail(f"{p['id']}: created_at out of range")

    # role sanity: public handles must not be profile accounts; severity recomputed
    checksum_id = any(k in ("iban", "card", "bsn") for k, _ in c["ids"])
    if e["severity"] != severity(cats, role, checksum_id):
        fail(f"{p['id']}: severity mismatch")

for key in ("GHP", "GHS"):
    assert github_ok(G[key]), key
assert jwt_ok(G["JWT"])
assert iban_ok(G["PUB_IBAN"])

# ---------------------------------------------------------------- mix summary
from collections import Counter

cat_n = Counter(cat for c in CASES for cat in c["cats"])
benign = sum(1 for c in CASES if not c["cats"])
nl = sum(1 for c in CASES if c["lang"] == "nl")
roles = Counter(role_of(c["platform"], c["handle"]) for c in CASES)
ev = sum(1 for c in CASES if c["evasion"])
if not 55 <= benign <= 65:
    fail(f"{benign} benign")
if not 0.50 <= nl / len(CASES) <= 0.60:
    fail(f"Dutch share {nl / len(CASES):.2f}")
if ev < 5:
    fail("too few evasion cases")
print(f"wrote {len(lines)} cases to {path}")
print(f"benign {benign}, positives {len(CASES) - benign}, nl {nl} / en {len(CASES) - nl}, evasion {ev}")
print("roles", dict(roles))
print("categories", dict(sorted(cat_n.items())))
print("severities", dict(Counter(json.loads(l)["expect"]["severity"] for l in lines)))
print("self-check OK")
