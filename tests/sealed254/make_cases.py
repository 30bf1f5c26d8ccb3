#!/usr/bin/env python3
"""Build cases.jsonl (sealed set 254, Wardijn Security Groep) and check it.

Deterministic: fixed seed, hand-written post texts. Secrets and identifiers are
generated the way the real ones are built (with their checksums); look-alikes in
benign posts are built to fail them. Severities are computed from CONTRACT section 4
and the account role in profile.yaml, never typed by hand.
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
SEED = 254_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

ALNUM = string.digits + string.ascii_uppercase + string.ascii_lowercase  # base-62 order 0-9A-Za-z
B62 = ALNUM

# ---------------------------------------------------------------- identifiers


def iban_check(bban, cc="NL"):
    s = bban + cc + "00"
    n = int("".join(str(int(c, 36)) for c in s))
    return "%02d" % (98 - n % 97)


def iban_valid(iban):
    s = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def fmt_iban(s, spaced):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if spaced else s


def gen_iban(spaced=True):
    bank = rng.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    s = "NL" + iban_check(bank + acct) + bank + acct
    assert iban_valid(s)
    return fmt_iban(s, spaced)


def gen_bad_iban(spaced=True):
    good = re.sub(r"\s", "", gen_iban(False))
    chk = int(good[2:4])
    bad = good[:2] + "%02d" % ((chk + rng.randint(1, 9)) % 97 + 2 if chk < 90 else chk - 7) + good[4:]
    while iban_valid(bad):
        bad = bad[:2] + "%02d" % ((int(bad[2:4]) + 1) % 100) + bad[4:]
    return fmt_iban(bad, spaced)


def luhn_valid(num):
    d = [int(c) for c in re.sub(r"\D", "", num)]
    tot = 0
    for i, x in enumerate(reversed(d)):
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        tot += x
    return tot % 10 == 0


def luhn_digit(partial):
    for c in "0123456789":
        if luhn_valid(partial + c):
            return c
    raise AssertionError


def fmt_card(d, sep):
    return sep.join(d[i:i + 4] for i in range(0, len(d), 4))


def gen_card(sep=" "):
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    d = body + luhn_digit(body)
    assert luhn_valid(d)
    return fmt_card(d, sep)


def gen_bad_card(sep=" "):
    d = re.sub(r"\D", "", gen_card(""))
    d = d[:-1] + str((int(d[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(d)
    return fmt_card(d, sep)


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9:
        return False
    w = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(a) * b for a, b in zip(d, w)) % 11 == 0 and d != "000000000"


def gen_bsn():
    while True:
        d = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if bsn_valid(d):
            return d


def gen_bad_bsn():
    while True:
        d = str(rng.randint(1, 6)) + "".join(rng.choice(string.digits) for _ in range(8))
        if not bsn_valid(d):
            return d


def gen_mobile(style):
    n = "6" + "".join(rng.choice(string.digits) for _ in range(8))
    if style == 0:
        return "0" + n[:1] + "-" + n[1:]
    if style == 1:
        return "0" + n[:1] + " " + n[1:5] + " " + n[5:]
    if style == 2:
        return "+31 " + n[:1] + " " + n[1:]
    return "0" + n


# ---------------------------------------------------------------- secrets


def rand(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


def b62(n, width=6):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token_valid(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode())) == m.group(2)


def gen_gh(prefix="ghp_"):
    body = rand(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()))
    assert gh_token_valid(tok)
    return tok


def gen_akia():
    return "AKIA" + rand(string.ascii_uppercase + "234567", 16)


def gen_aws_secret():
    return rand(string.ascii_letters + string.digits + "/+", 40)


def gen_stripe():
    return "sk_live_" + rand(ALNUM, 24)


def gen_slack_bot():
    return "xoxb-%s-%s-%s" % (rand(string.digits, 12), rand(string.digits, 13), rand(ALNUM, 24))


def gen_slack_hook():
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (
        rand(string.ascii_uppercase + string.digits, 8),
        rand(string.ascii_uppercase + string.digits, 10),
        rand(ALNUM, 24))


def gen_openai():
    return "sk-proj-" + rand(ALNUM + "_-", 74) + "T3BlbkFJ" + rand(ALNUM + "_-", 20)


def gen_anthropic():
    return "sk-ant-api03-" + rand(ALNUM + "_-", 93) + "AA"


def gen_google():
    return "AIza" + rand(ALNUM + "_-", 35)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "ws-%d" % rng.randint(10000, 99999), "name": "planner",
                                 "role": "shiftlead", "iat": 1767225600,
                                 "exp": 1767225600 + 8 * 3600}, separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return head + "." + payload + "." + sig


def jwt_valid(tok):
    try:
        h = tok.split(".")[0]
        h += "=" * (-len(h) % 4)
        return "alg" in json.loads(base64.urlsafe_b64decode(h))
    except Exception:
        return False


def gen_pem():
    der = bytes([0x30, 0x82, 0x04, 0xA3, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01, 0x00]) + \
        bytes(rng.getrandbits(8) for _ in range(300))
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----"


def gen_password():
    words = ["Slagboom", "Nachtronde", "Portier", "Hesje", "Toren", "Sleutel", "Dranghek"]
    return rng.choice(words) + rand(string.digits, 2) + rng.choice("!#$%&*?") + rand(ALNUM, 4)


def gen_dburl():
    pw = rand(ALNUM, 14)
    return "postgres://ws_app:%s@ws-prod-planning.c%s.eu-west-1.rds.amazonaws.com:5432/rooster" % (
        pw, rand(string.ascii_lowercase + string.digits, 10))


GEN = {
    "GHP": lambda: gen_gh("ghp_"), "GHO": lambda: gen_gh("gho_"), "GHS": lambda: gen_gh("ghs_"),
    "AKIA": gen_akia, "AWSSECRET": gen_aws_secret, "STRIPE": gen_stripe,
    "SLACKBOT": gen_slack_bot, "SLACKHOOK": gen_slack_hook, "OPENAI": gen_openai,
    "ANTHROPIC": gen_anthropic, "GOOGLE": gen_google, "JWT": gen_jwt, "PEM": gen_pem,
    "PW": gen_password, "DBURL": gen_dburl,
    "IBAN": lambda: gen_iban(True), "IBANC": lambda: gen_iban(False),
    "BADIBAN": lambda: gen_bad_iban(True),
    "CARD": lambda: gen_card(" "), "CARDD": lambda: gen_card("-"), "CARDC": lambda: gen_card(""),
    "BADCARD": lambda: gen_bad_card(" "), "BSN": gen_bsn, "BADBSN": gen_bad_bsn,
    "MOB0": lambda: gen_mobile(0), "MOB1": lambda: gen_mobile(1), "MOB2": lambda: gen_mobile(2),
    "OWNIBAN": lambda: fmt_iban(PROFILE["public_identifiers"]["ibans"][0], True),
}


def fill(text):
    return re.sub(r"«([A-Z0-9]+)»", lambda m: GEN[m.group(1)](), text)


# ---------------------------------------------------------------- cases
# (account "platform:handle", kind, lang, categories, text, created_at or None)
COMP = "reputation.complaint"
CRIS = "reputation.crisis"
ABUS = "reputation.abuse"
SEC = "leak.secret"
PII = "leak.pii"
PRC = "leak.pricing"
CONF = "leak.confidential"
FIN = "leak.financial"
SECU = "leak.security"

CASES = [
    # ------------------------------------------------------------ complaints
    ("x:@nadia_vdh", "post", "nl", [COMP],
     "Drie kwartier in de rij bij de ingang van Dijkpop want Wardijn had maar 2 man op de fouillering staan. "
     "Ticket om 20:00 gescand, om 21:10 eindelijk binnen. Top geregeld weer 🙄 #dijkpop #wardijn", None),
    ("x:@Gareth_Lowe77", "reply", "en", [COMP],
     "@wardijn_service your HomeGuard 2 has gone off at 3am four nights running and nobody from your alarm centre "
     "even called me back. I paid €549 for this thing. Fix it or take it back.", None),
    ("x:@jolijn__", "reply", "nl", [COMP],
     "@wardijn_service al 3 weken wacht ik op een reactie over mijn opzegging en ondertussen blijven jullie "
     "gewoon incasseren. wat is dit voor bedrijf", None),
    ("instagram:@festivalfreak.tess", "comment", "nl", [COMP],
     "die steward bij de uitgang stond gewoon op z'n telefoon te kijken terwijl er mensen klem zaten bij het "
     "draaihek. wardijn eventcrew echt niet professioneel 😤", None),
    ("linkedin:martin-kroes-logistiek", "post", "en", [COMP],
     "We booked Wardijn's Mobiele Surveillance for our warehouse in Tilburg. Their patrol log says 'round "
     "completed 02:14'. Our own CCTV shows nobody came near the gate all night. Not impressed, and we've asked "
     "for an explanation twice now.", None),
    ("facebook:Ingrid.Schouten.73", "comment", "nl", [COMP],
     "Sleutel van ons pand afgegeven voor de openingsronde en nu zijn ze hem KWIJT. Slot laten vervangen op "
     "eigen kosten?? Wardijn doet alsof het ons probleem is.", None),
    ("x:@dadof2_rob", "post", "en", [COMP],
     "Wardijn stewards at the stadium last night were properly rude to a dad whose kid is in a wheelchair, "
     "sent them all the way round to gate F for no reason. Do better.", None),
    ("linkedin:evenementen-bureau-zon", "post", "nl", [COMP],
     "factuur van wardijn klopt alweer niet. 14 uur gerekend voor een steward dagdeel van 6 uur. derde keer dit "
     "jaar, en de klantenservice zegt steeds 'we kijken ernaar'. ben er klaar mee", None),
    ("x:@bouwbedrijf_hm", "post", "nl", [COMP],
     "GuardCam 4G na 2 maanden al offline, app zegt 'geen verbinding' en de monteur kan pas over 3 weken. "
     "Dan heb je dus gewoon geen bewaking op je bouwplaats he @wardijn", None),
    ("x:@cornershop_ams", "reply", "en", [COMP],
     "Hey @wardijn the guard you sent for our store (the Winkelsurveillance week) turned up 50 min late on "
     "Saturday, our busiest day. Who do I talk to about a refund?", None),
    ("x:@petravd", "post", "nl", [COMP],
     "Bij de sluitronde vergeten de achterdeur op slot te doen. Stond de HELE nacht open. Hoe dan, dat is "
     "letterlijk het enige wat jullie hoeven te doen @wardijn", None),
    ("threads:@marloes.kapsalon", "post", "nl", [COMP],
     "wachttijd alarmcentrale wardijn: 11 minuten in de wacht terwijl mijn alarm loeide en ik alleen thuis was. "
     "waar betaal ik eigenlijk voor", None),
    ("reddit:u/tinkerbelle_nl", "comment", "en", [COMP],
     "Same here. Wardijn's customer portal logs me out every two minutes and I still can't download last "
     "quarter's invoices. Third email to support, zero answers.", None),
    ("facebook:Mieke.Oudendijk", "comment", "nl", [COMP],
     "Jammer dat de stewards op de kerstmarkt niet wisten waar de EHBO-post was. Aan drie mensen van Wardijn "
     "gevraagd, niemand had een idee. Mijn moeder was gevallen en we stonden daar maar.", None),
    ("x:@Kev_inthecity", "reply", "en", [COMP],
     "cancelled my Alarmopvolging in March, still getting charged in June 🙃 @wardijn_service sort it out pls", None),
    # complaint + crisis: customer's own first-hand harm
    ("x:@femke_bos", "post", "nl", [COMP, CRIS],
     "Mijn HomeGuard 2 basisstation is vannacht gaan smelten en begon te roken in de meterkast. Brandweer "
     "erbij gehad, hele gang zwart. Wardijn zegt 'we sturen volgende week een monteur'. Serieus?? #brandgevaar", None),
    ("facebook:Colin.Baxter.Utrecht", "post", "en", [COMP, CRIS],
     "The SOS-1 panic button Wardijn gave my mum shocked her while she was plugging in the charger. Her "
     "fingers are burnt. This thing is supposed to keep her SAFE. Absolutely furious.", None),
    ("x:@lisa_rnd", "post", "nl", [COMP, CRIS],
     "Gisteren op Dijkpop stond ik vooraan toen de crowdbarrier van Wardijn het begaf. Ik ben eronder "
     "terechtgekomen, knie kapot, met de ambulance mee. Niemand van de crew die me hielp opstaan.", None),
    ("x:@papa_van_sem", "post", "nl", [COMP, CRIS],
     "Zoon van 12 heeft vanmiddag z'n vingers tussen het draaihek van de Wardijn Poortset bij het zwembad "
     "gekregen. Gekneusd en bont en blauw, en nergens een noodstop te vinden. Ben echt boos.", None),
    ("linkedin:dirk-jan-bakker-bouw", "post", "en", [COMP, CRIS],
     "A Wardijn BodyCam BX2 blew up in its charging dock in our site office this morning. Small fire, one "
     "colleague with burns on his forearm. We rent six of these from them. Pulling all of them today and "
     "expecting answers.", None),
    # complaint + abuse
    ("x:@stevo_hamm", "reply", "en", [COMP, ABUS],
     "Waited 40 min at your gate while your moronic stewards stood there chatting. Useless f***ing company "
     "@wardijn, I want my money back.", None),

    # ------------------------------------------------------------ crisis (third party / scandal)
    ("x:@NieuwsOost", "post", "en", [CRIS],
     "Reports that a Wardijn steward and four visitors were taken to hospital after a crowd surge at the "
     "Eindhoven concert last night. Organisers are investigating the crowd control.", None),
    ("x:@arbeidsrecht_anne", "post", "nl", [CRIS],
     "BOYCOT WARDIJN. Een bedrijf dat beveiligers 14 uur achter elkaar laat staan zonder pauze huur je niet in. "
     "Deel dit. #boycotwardijn", None),
    ("x:@privacy_paul", "post", "en", [CRIS],
     "Did Wardijn leak my data?? Got a phishing mail with my exact contract number AND my alarm code. Only they "
     "had both. #databreach #wardijn", None),
    ("linkedin:sanne-de-graaf-juridisch", "post", "nl", [CRIS],
     "Oud-medewerkers slepen Wardijn Security voor de rechter om niet-uitbetaalde nachttoeslag. De zaak dient "
     "in oktober bij de kantonrechter in Utrecht.", None),
    ("x:@onderzoeksdesk", "post", "nl", [CRIS],
     "Undercover-reportage vanavond: Wardijn zette beveiligers zonder geldige beveiligingspas in op een "
     "bedrijventerrein bij Schiphol. Hoe kan dit gebeuren?", None),
    ("bluesky:@safetywatch.bsky.social", "post", "en", [CRIS],
     "Wardijn is recalling GuardCam 4G units after battery packs overheated on two construction sites, "
     "according to a letter sent to customers this week.", None),
    ("x:@almere_actueel", "post", "en", [CRIS],
     "Video going round of a Wardijn guard kneeling on a teenager's neck outside the mall in Almere. Who "
     "trains these people? #wardijn", None),
    ("x:@vakbondsjaap", "post", "nl", [CRIS],
     "Volgens de vakbond liet Wardijn stewards werken zonder VOG en zonder ID-check. De inspectie is een "
     "onderzoek gestart.", None),
    ("facebook:Buurtapp.Lindenhof", "post", "nl", [CRIS],
     "Al de derde keer dit jaar dat er bij een evenement met Wardijn-crew iemand gewond raakt. Gemeente, stop "
     "met die vergunningen!", None),
    ("x:@gigsafe_collective", "post", "en", [CRIS],
     "Festival organisers: stop hiring Wardijn until they explain what happened to the women who reported "
     "harassment by their stewards. #BoycottWardijn", None),

    # ------------------------------------------------------------ confidential
    ("x:@ricardo_wardijn", "post", "nl", [CONF],
     "Mooie dag op kantoor, eindelijk de eerste demo van Project Ravelijn gezien. Als dit werkt lopen we "
     "mijlen voor op de rest 🔥", None),
    ("linkedin:yasmina-bouzid-ws", "post", "en", [CONF],
     "Proud of the team for finishing phase 1 of Operatie Zandloper! The new planning engine goes live in "
     "every region next quarter. Can't say more yet 😉", None),
    ("x:@marieke_planning", "post", "nl", [CONF],
     "Handig voor de nieuwe collega's: jullie rooster staat op https://rooster.wardijn.nl/team/noord, "
     "inloggen met je personeelsnummer", None),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [CONF],
     "haha kijk wat er in m'n mailbox zat: 'WS-INTERN – Tarievenkaart 2027 grote evenementen'. wie heeft mij "
     "in de cc gezet 😂", None),
    ("instagram:@wardijn.eventcrew", "post", "en", [CONF],
     "Sneak peek 👀 Our SkyPatrol drone is almost ready to keep an eye on your site at night. Stay tuned!",
     "2026-11-18T16:05:00Z"),
    ("tiktok:@nachtdienst_dennis", "post", "nl", [CONF],
     "dienst gehad naast de testvlucht van de Wardijn SkyPatrol, vet ding maar wel herrie 😅 #nachtdienst",
     "2026-10-03T23:41:00Z"),
    ("x:@lottemeijer_", "post", "nl", [CONF],
     "Uilenbal draait nu ook op de meldkamer in Zwolle, de centralisten daar zijn er best blij mee", None),
    ("reddit:u/shiftlead_ws", "comment", "en", [CONF],
     "Not supposed to share this but intranet.wardijn.local/wiki/eventcrew has the whole crowd management "
     "playbook. Ask your shift lead for access.", None),
    ("x:@joeri_hovenier", "post", "nl", [CONF],
     "Kreeg per ongeluk een mail van Wardijn met onderwerp 'wardijn confidential: offerte gemeente Amersfoort'. "
     "Hele prijsopbouw erin. Oeps voor hen", None),
    ("x:@ricardo_wardijn", "post", "nl", [CONF],
     "Project R\u200ba\u200bv\u200be\u200bl\u200bi\u200bj\u200bn gaat door, meeting net klaar 🤐", None),
    ("linkedin:henk-oosterhout-wardijn", "post", "en", [CONF],
     "Long night testing Ｕｉｌｅｎｂａｌ with the control room team. Fingers crossed for the rollout.", None),
    ("facebook:WardijnSecurity", "post", "nl", [CONF],
     "Binnenkort nieuw: de Wardijn Sentinel Post, een mobiele camerapost op zonne-energie voor bouwplaatsen. "
     "Meer info volgt!", "2026-12-14T10:30:00Z"),
    ("x:@sollicitant_ruben", "post", "en", [CONF],
     "Interviewing at Wardijn next week and the recruiter accidentally sent me a deck stamped WS-INTERN about "
     "something called Operatie Zandloper. Awkward.", None),

    # ------------------------------------------------------------ security (insiders)
    ("x:@lottemeijer_", "post", "nl", [SECU],
     "Meldkamer zit sinds 4 uur vannacht zonder alarmsoftware, alle meldingen gaan via de telefoon. Klanten "
     "weten van niks, niet doorvertellen 🤫", None),
    ("linkedin:henk-oosterhout-wardijn", "comment", "en", [SECU],
     "Between us: someone got into the GuardCam cloud last week and could watch live feeds of several customer "
     "sites. Still 'under investigation', no announcement planned yet.", None),
    ("x:@marieke_planning", "post", "nl", [SECU, CONF],
     "Ransomware op de planningsservers. rooster.wardijn.nl ligt plat en we plannen weer met Excel en "
     "whatsapp. Officieel heet het 'gepland onderhoud' lol", None),
    ("reddit:u/shiftlead_ws", "post", "en", [SECU],
     "PSA for other shift leads: the HomeGuard 2 panels still accept the factory installer code, so anyone who "
     "knows it can disarm a customer's house. Reported this months ago, still not fixed.", None),
    ("x:@ricardo_wardijn", "post", "nl", [SECU],
     "vandaag ontdekt dat de toegangspassen van ons hoofdkantoor te klonen zijn met zo'n goedkope kaartlezer "
     "van 20 euro. facilitair weet het en doet er niks mee", None),
    ("linkedin:yasmina-bouzid-ws", "comment", "en", [SECU],
     "Our alarm receiving centre was down for three hours last night. Management wants everyone quiet until "
     "the client reports go out.", None),
    ("tiktok:@nachtdienst_dennis", "post", "nl", [SECU],
     "ff iets geks: de SOS-1 app stuurt alle locaties van gebruikers onversleuteld door, zag het met "
     "wireshark op m'n vrije dag 👀 nog steeds niet gepatcht", None),
    ("linkedin:joost-vanleeuwen-wardijn", "post", "nl", [SECU],
     "Lastige week. Na een phishingmail zijn de mailboxen van drie planners overgenomen en zijn er "
     "klantgegevens ingezien. Communicatie naar klanten volgt 'later', zegt men.", None),
    ("x:@ricardo_wardijn", "reply", "en", [SECU],
     "Heads up if you're on Dijkpop duty: the ticket scanners from the subcontractor accept a screenshot of "
     "any old QR code. Found it yesterday, nobody's fixing it before the weekend.", None),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [SECU],
     "meldkamer-api geeft klantadressen terug zonder in te loggen, open endpoint. al 2x gemeld bij IT, "
     "niks gebeurd. dus ja", None),
    ("x:@ex_wardijn_guy", "post", "en", [SECU],
     "Ex-Wardijn here. Their BodyCam footage server has been reachable without a login for months. I told "
     "them before I left. Still open as of today.", None),
    ("tiktok:@nachtdienst_dennis", "comment", "nl", [SECU],
     "storing bij GuardCam: sinds gisteren geen beeld van zo'n 200 bouwlocaties en klanten krijgen gewoon "
     "'alles OK' rapportjes 😬 zeg niks he", None),
    ("x:@marieke_planning", "post", "en", [SECU, CONF],
     "VPN wide open again: vpn.wardijn.nl takes logins without 2FA since the migration. IT calls it a "
     "'known issue'. Great.", None),

    # ------------------------------------------------------------ secrets
    ("x:@ricardo_wardijn", "post", "en", [SEC],
     "can someone check why the deploy keeps failing? using token «GHP» on the meldkamer repo", None),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [SEC],
     "Voor de nieuwe planners: wifi kantoor Utrecht is 'WS-Staff', wachtwoord: «PW»", None),
    ("reddit:u/shiftlead_ws", "post", "en", [SEC],
     "boto3 keeps saying AccessDenied, what am I missing?\n\naws_access_key_id = «AKIA»\n"
     "aws_secret_access_key = «AWSSECRET»\nregion = eu-west-1", None),
    ("x:@marieke_planning", "post", "nl", [SEC],
     "stripe key voor de webshop is «STRIPE», krijgen jullie ook een 401?", None),
    ("linkedin:yasmina-bouzid-ws", "comment", "en", [SEC],
     "Portal keeps bouncing me. This is my session token: «JWT» — anyone know if it's expired?", None),
    ("x:@lottemeijer_", "post", "nl", [SEC],
     "Kan iemand deze sleutel even op de camera-gateway zetten?\n«PEM»", None),
    ("x:@ricardo_wardijn", "reply", "en", [SEC],
     "migration script still points at the old box: DATABASE_URL=«DBURL» — anyone got the new one?", None),
    ("tiktok:@nachtdienst_dennis", "comment", "nl", [SEC],
     "roosterbot werkt eindelijk 🎉 token «SLACKBOT» in de config en gaan", None),
    ("linkedin:henk-oosterhout-wardijn", "post", "en", [SEC],
     "Built a tiny shift-summary bot over the weekend lol. key «OPENAI» if anyone wants to play with it", None),
    ("x:@devhunter_nl", "post", "nl", [SEC],
     "lol iemand van Wardijn heeft een key in hun publieke github laten staan: «GOOGLE» in config.js 🙈", None),
    ("x:@marieke_planning", "post", "nl", [SEC],
     "Inlog portofoon-beheertool voor vanavond: gebruiker admin, ｗａｃｈｔｗｏｏｒｄ：«PW»", None),
    ("reddit:u/shiftlead_ws", "comment", "en", [SEC],
     "webhook for #meldkamer-alerts is «SLACKHOOK» and the CI token is «GHS», both in the runbook too", None),

    # ------------------------------------------------------------ personal data
    ("x:@wardijn_service", "reply", "nl", [PII],
     "@sandra_vb Hoi Sandra, we hebben je adres (Sandra van Beek, Lindelaan 14, 3581 KV Utrecht) doorgegeven "
     "aan de monteur. Hij komt morgen tussen 8 en 12 uur.", None),
    ("x:@wardijn_service", "reply", "en", [PII],
     "@j_delaat The refund for your SOS-1 is on its way to «IBAN» (J. de Laat), it should land within 3 "
     "working days.", None),
    ("x:@lottemeijer_", "post", "nl", [PII],
     "Wie kan zaterdag de dienst van Priscilla overnemen? Bel haar even op «MOB0», ze is ziek", None),
    ("x:@m_kuipers", "reply", "nl", [PII],
     "@wardijn_service mijn rekeningnummer is «IBANC» tnv M. Kuipers, graag die teveel betaalde €245 "
     "terugstorten", None),
    ("x:@brendan_oc", "reply", "en", [PII],
     "@wardijn_service my card «CARD» got charged twice for the Alarmopvolging, exp 08/28, please reverse one", None),
    ("linkedin:henk-oosterhout-wardijn", "post", "nl", [PII],
     "Nieuwe collega Daan Smit (geb. 14-03-2001) begint maandag bij de eventcrew in Arnhem. Maak hem "
     "welkom!", None),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [PII],
     "loonstrook klopt weer niet, salarisadministratie heeft BSN «BSN» aan de verkeerde naam (R. Amrani) "
     "gekoppeld. iemand anders ook?", None),
    ("linkedin:yasmina-bouzid-ws", "post", "en", [PII],
     "For the badge request I need everyone's details, like this: Tom Hendriks, tom.hendriks82@gmail.com, "
     "«MOB1», born 2 May 1982. Send yours below 👇", None),
    ("facebook:WardijnSecurity", "post", "nl", [PII],
     "Gevonden voorwerp op Dijkpop: portemonnee van Fatma Yıldız, Kerkstraat 3 in Tiel, geboren 22-07-1995. "
     "Af te halen bij de infobalie!", None),
    ("x:@kevderoos", "post", "en", [PII],
     "lost my wallet near the Wardijn gate at the main stage, if found pls call «MOB2» or mail "
     "kevin.deroos@hotmail.com 🙏", None),
    ("x:@ricardo_wardijn", "post", "nl", [PII],
     "Klantenlijst vakantiewacht route Zeist voor morgen: fam. Brouwer, Slotlaan 88; dhr. Visser, "
     "Dorpsstraat 2a (sleutel onder de mat 🙈)", None),
    ("facebook:Anouk.Verbeek.92", "comment", "nl", [PII],
     "@WardijnSecurity de betaling voor de BHV-training is mislukt, ik heb kaart «CARDD» gebruikt. "
     "Kunnen jullie het nog een keer proberen?", None),
    ("linkedin:yasmina-bouzid-ws", "comment", "en", [PII],
     "Questions about the steward vacancy? Ping our recruiter directly: n.hoekstra@wardijn.nl or «MOB0».", None),
    ("facebook:Lars.Pieterse.98", "comment", "nl", [PII],
     "@WardijnSecurity hier mijn gegevens voor de VOG-aanvraag: Lars Pieterse, BSN «BSN», geboren "
     "11-11-1998", None),
    ("x:@marieke_planning", "post", "nl", [PII],
     "bedrijfscreditcard voor de tankbonnen: «CARDC» exp 04/27, de code staat in de groepsapp", None),

    # ------------------------------------------------------------ pricing
    ("x:@lottemeijer_", "post", "nl", [PRC],
     "Collega's opgelet: in de webshop staat de HomeGuard 2 nu voor €54,90 🤯 prijsfout denk ik, snel "
     "bestellen haha", None),
    ("x:@gadgetgijs", "post", "en", [PRC],
     "Wardijn's site lists the GuardCam 4G at €79. Typo or am I just lucky? Ordered three 😂", None),
    ("facebook:WardijnSecurity", "post", "nl", [PRC],
     "Actie! Eventcrew Pakket M nu voor maar €1.200 (normaal €4.800). Boek snel voor je zomerfeest!", None),
    ("x:@deal_dieter", "post", "nl", [PRC],
     "prijsfout bij wardijn?? SOS-1 paniekknop voor 8 euro in de webshop", None),
    ("linkedin:henk-oosterhout-wardijn", "comment", "en", [PRC],
     "Quoted a customer €950 for the Eventcrew Pakket L by mistake (should be 11.5k). Sales is going to kill me.",
     None),
    ("x:@zuinigezus", "post", "nl", [PRC],
     "Vakantiewacht van Wardijn voor €14,90?! Dat is toch een fout op de site", None),
    ("instagram:@wardijn.eventcrew", "post", "en", [PRC],
     "Flash deal ⚡ BodyCam BX2 for just €99, today only!", None),
    ("x:@marieke_planning", "post", "nl", [PRC],
     "prijs van de Poortset staat in het systeem op 320 ipv 3200 en klanten zien dat ook in het portaal. "
     "iemand van sales die dit kan fixen?", None),
    ("reddit:u/warehouse_mgr_nl", "post", "en", [PRC],
     "Got a quote from Wardijn: Objectbewaking Maand for €600 a month. Everyone else charges 4x that. "
     "Suspicious but signing lol", None),
    ("x:@hekkenhenk", "post", "nl", [PRC],
     "Crowdbarrier 25m set voor €115 op wardijn.nl, nulletje vergeten??", None),
    ("reddit:u/priceglitchhunter", "post", "en", [PRC],
     "price glitch on Wardijn's shop: Portofoonset 10 shows €6.90 at checkout lmao", None),
    ("x:@ricardo_wardijn", "post", "nl", [PRC],
     "BHV-training voor €28,50 in de nieuwsbrief die net de deur uit is 🙈 moest 285 zijn", None),

    # ------------------------------------------------------------ financial
    ("x:@lottemeijer_", "post", "nl", [FIN],
     "Vanmiddag te horen gekregen: 120 fte eruit in de regio's Noord en Oost. Officieel nieuws komt pas in "
     "januari. Wat een rotdag.", None),
    ("linkedin:joost-vanleeuwen-wardijn", "post", "en", [FIN],
     "Excited that Wardijn is in the final stage of talks to acquire EventSafe Noord. Deal should close "
     "before summer. Big things coming!", None),
    ("x:@ricardo_wardijn", "post", "nl", [FIN],
     "Omzet Q3 ligt 18% boven begroting, die bonus gaat dit jaar wel lukken denk ik 💰 (nog niet officieel he)",
     None),
    ("linkedin:joost-vanleeuwen-wardijn", "comment", "en", [FIN, CONF],
     "Prelim numbers: our FY2026 results will show EBITDA of €14.2m, well ahead of guidance.",
     "2026-12-21T18:20:00Z"),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [FIN],
     "Reorganisatie: de alarmcentrale in Zwolle gaat per 1 april dicht, alles gaat naar Utrecht. De collega's "
     "daar horen het pas volgende week.", None),
    ("x:@frankie_zw", "post", "nl", [FIN],
     "Zwager werkt bij Wardijn en zegt dat ze worden overgenomen door een Duits beveiligingsbedrijf, er ligt "
     "al een bod", None),
    ("linkedin:yasmina-bouzid-ws", "comment", "en", [FIN],
     "Budget meeting today: the 2027 forecast has revenue down about 9% after losing the municipal contracts. "
     "Don't tell the crew yet.", None),
    ("x:@marieke_planning", "post", "nl", [FIN, CONF],
     "Operatie Zandloper blijkt gewoon een bezuinigingsplan: 60 planners vervangen door software. Weet nog "
     "bijna niemand.", None),
    ("x:@lottemeijer_", "post", "en", [FIN, CONF],
     "Our jaarcijfers 2026 come out next week and honestly they look amazing, record year 🥳",
     "2027-02-22T12:10:00Z"),
    ("tiktok:@nachtdienst_dennis", "post", "nl", [FIN],
     "Wardijn gaat de eventtak verkopen, due diligence loopt al. geen idee wat er met ons gebeurt 😶", None),
    ("x:@cityfinance_watch", "post", "en", [FIN],
     "Hearing from someone in their finance team that Wardijn breached its bank covenant this quarter and is "
     "renegotiating its loans. Expect news soon.", None),
    ("linkedin:wardijn-security-groep", "post", "nl", [FIN],
     "Intern bericht: ons bedrijfsresultaat over H1 komt uit op een verlies van €3,1 mln. Publicatie staat "
     "gepland voor 15 september.", None),

    # ------------------------------------------------------------ abuse
    ("x:@boosopalles", "post", "nl", [ABUS],
     "Wardijn beveiligers zijn echt de grootste sukkels die er rondlopen. Stelletje mislukte agenten", None),
    ("x:@realtalk_dan", "reply", "en", [ABUS],
     "@wardijn your stewards are a bunch of power-tripping idiots. Absolute clowns, every single one.", None),
    ("tiktok:@straatkoning_020", "comment", "nl", [ABUS],
     "die k4nker b3veiliger van w4rdijn bij de ingang moet je gewoon in elkaar trappen", None),
    ("x:@angryguy_88", "post", "en", [ABUS],
     "f*cking useless company, hope your whole office burns to the ground @wardijn", None),
    ("reddit:u/shiftlead_ws", "comment", "nl", [ABUS],
     "planning bij wardijn bestaat uit hersenloze idioten, de hele tent is een kutbedrijf", None),
    ("facebook:Gert.Jan.Hoogland", "comment", "nl", [ABUS],
     "Die vrouwelijke stewards van Wardijn moeten gewoon terug achter het aanrecht, niet bij de poort staan. "
     "Lachwekkend.", None),
    ("x:@truth_bomb_77", "post", "en", [ABUS],
     "W\u0430rd\u0456jn guards are subhuman trash, every last one of them", None),
    ("instagram:@jaydeetje", "comment", "nl", [ABUS],
     "@steward.kevin jij bent zo'n klein opgeblazen ventje met je hesje. ik weet waar je woont", None),
    ("reddit:u/ragequit_nl", "comment", "en", [ABUS],
     "Wardijn hires the dumbest people alive. Brain-dead morons at every single gate.", None),
    ("x:@anoniempje_x", "post", "nl", [ABUS],
     "W.a.r.d.i.j.n = t.y.f.u.s.b.e.d.r.i.j.f, stelletje h.o.e.r.e.n.j.o.n.g.e.n", None),
    ("tiktok:@nachtdienst_dennis", "comment", "en", [ABUS],
     "pov: you work for the shittiest most pathetic security company in NL 🤡 wardijn management can go f*** "
     "themselves", None),

    # ------------------------------------------------------------ benign / hard negatives
    ("x:@hardloopster_eva", "post", "nl", [],
     "Complimenten aan de stewards van Wardijn bij de halve marathon, super vriendelijk en alles liep soepel 👏", None),
    ("x:@megan_writes", "post", "en", [],
     "Shoutout to the Wardijn guard at the hospital entrance who walked my grandma all the way to cardiology. "
     "Legend.", None),
    ("x:@wardijn_service", "post", "nl", [],
     "Vragen over je HomeGuard 2? Bel 0800-9273 of mail klantenservice@wardijn.nl, we helpen je graag!", None),
    ("x:@wardijn", "post", "en", [],
     "Heads up: fake invoices in our name are doing the rounds. We only ever collect payments on «OWNIBAN». "
     "In doubt? Mail info@wardijn.nl.", None),
    ("facebook:WardijnSecurity", "post", "nl", [],
     "Zomeractie: 20% korting op de SOS-1 paniekknop, nu €71,20 in plaats van €89. Alleen deze maand!", None),
    ("x:@techdad_nl", "post", "en", [],
     "Just had the HomeGuard 2 installed, €549 all in. App is slick, pretty happy so far.", None),
    ("x:@oma_truus", "post", "nl", [],
     "Kreeg een mail 'van Wardijn' dat ik moest betalen op «BADIBAN». Klopt dat wel? Lijkt me oplichting, "
     "niet geklikt hoor.", None),
    ("reddit:u/shiftlead_ws", "comment", "en", [],
     "For the integration docs we use the AWS example creds AKIAIOSFODNN7EXAMPLE / "
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY. Never put real keys in tickets!", None),
    ("x:@ricardo_wardijn", "post", "nl", [],
     "Token in de config vervangen door ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, de echte staat in de vault 👍",
     None),
    ("x:@wardijn", "post", "en", [],
     "It's here! Meet Wardijn SkyPatrol: drone surveillance for large sites. Pre-order now at wardijn.nl 🚁",
     "2027-01-27T09:00:00Z"),
    ("linkedin:wardijn-security-groep", "post", "nl", [],
     "Onze jaarcijfers 2026 zijn gepubliceerd: omzet +12%, meer evenementen dan ooit. Lees het volledige "
     "jaarverslag op wardijn.nl/investeerders", "2027-03-02T08:15:00Z"),
    ("x:@Kev_inthecity", "post", "en", [],
     "Update: Wardijn sorted the double charge within a day and threw in a free month. Fair play "
     "@wardijn_service 👍", None),
    ("instagram:@festivalfoto.nl", "comment", "nl", [],
     "Sterkte aan alle stewards die gisteren in de stromende regen stonden, respect 🌧️🙏", None),
    ("x:@sectornieuws", "post", "en", [],
     "Rival firm SecuraNed announced 300 layoffs today. Tough news for the security sector.", None),
    ("x:@kattenmens_", "post", "nl", [],
     "Mijn kat zit de hele nacht voor het raam als een Wardijn-beveiliger. Beter beveiligd dan mijn huis 😹", None),
    ("reddit:u/bride2be_nl", "post", "en", [],
     "Does Wardijn Eventcrew also do small private parties? Looking at Pakket S for a wedding of ~120 "
     "guests.", None),
    ("x:@lottemeijer_", "post", "nl", [],
     "Eerste nachtdienst van de week erop. Koffie, rondje, koffie. Rustige nacht in Amersfoort ☕🌙 #beveiliger",
     None),
    ("linkedin:wardijn-security-groep", "post", "en", [],
     "We're hiring event stewards for the summer season! Apply at werkenbij.wardijn.nl or mail "
     "vacatures@wardijn.nl.", None),
    ("x:@bart_installeert", "reply", "nl", [],
     "@wardijn_service bevestiging binnen, ordernummer «BADCARD». Dank voor het snelle schakelen!", None),
    ("x:@yvonnevanr", "post", "nl", [],
     "Mijn klantnummer bij Wardijn is «BADBSN», waar vind ik mijn contract in mijn.wardijn.nl? Zie het "
     "nergens.", None),
    ("linkedin:wardijn-security-groep", "post", "en", [],
     "Security awareness week tip: use a passphrase and never share your wachtwoord, not even with IT 🔐",
     None),
    ("instagram:@steward.kevin", "post", "nl", [],
     "Lekke band onderweg naar de dienst, gelukkig stond een collega klaar om me op te halen. Teamwork 💪", None),
    ("x:@voetbalvader", "post", "en", [],
     "Stewards at the cup final were completely overwhelmed. Hope the club brings in a better firm next "
     "season.", None),
    ("x:@kantoor_rianne", "post", "nl", [],
     "Brandoefening vandaag op kantoor. De brandwachten van Wardijn hadden het pand in 4 minuten leeg. "
     "Netjes!", None),
    ("x:@wardijn", "post", "en", [],
     "We take data protection seriously. Our privacy statement at wardijn.nl/privacy explains how we handle "
     "your personal data.", None),
    ("x:@ricardo_wardijn", "post", "nl", [],
     "Vandaag BHV-training gegeven aan 12 man van een bouwbedrijf, leuke fanatieke groep!", None),
    ("bluesky:@codewithmeg.bsky.social", "post", "en", [],
     "Won 'best life hack' at the hackathon for a cable organiser lol. Unrelated but the Wardijn guard at the "
     "venue was super chill.", None),
    ("x:@sectornieuws", "post", "nl", [],
     "Overname van de week: SecuraNed koopt een Brabantse evenementbeveiliger. Meer concurrentie voor "
     "Wardijn?", None),
    ("linkedin:henk-oosterhout-wardijn", "post", "en", [],
     "Passed my Beveiliger 2 exam today! 🎓 Thanks to everyone at Wardijn who helped me study.", None),
    ("facebook:WardijnSecurity", "post", "nl", [],
     "Let op: wij vragen nooit om je wachtwoord of pincode via telefoon of WhatsApp. Twijfel je? Bel onze "
     "alarmcentrale op 030-7994410.", None),
    ("x:@pride_utrecht_fan", "post", "en", [],
     "Wardijn stewards at the pride parade were amazing. Friendly, visible, on it. 10/10 🏳️‍🌈", None),
    ("x:@buurvrouw_els", "post", "nl", [],
     "Wat kost die Vakantiewacht van Wardijn eigenlijk? Zag €149 staan, is dat per maand of per keer?", None),
    ("instagram:@wardijn.eventcrew", "post", "en", [],
     "Black Friday: 25% off the GuardCam 4G, now €599.25 instead of €799.", None),
    ("x:@opa_praat", "post", "nl", [],
     "Mijn opa noemt iedere beveiliger 'die jongens van Wardijn', ook als ze van een heel ander bedrijf zijn 😂",
     None),
    ("x:@samirsays", "post", "en", [],
     "Is the Wardijn app down or is it just me? edit: nvm my phone was on airplane mode 🤦", None),
    ("reddit:u/shiftlead_ws", "comment", "en", [],
     "JWT explainer for the new devs: it's header.payload.signature, so something like xxxxx.yyyyy.zzzzz. "
     "Never paste a real one in chat.", None),
    ("x:@wielerfan_jos", "post", "nl", [],
     "Die boerenblokkade bij de Tour-etappe heeft niks met Wardijn te maken hè, zij deden alleen de dranghekken "
     "😅", None),
    ("facebook:bas.verhoef.wardijn", "post", "nl", [],
     "Heel veel sterkte aan onze collega Mo, die vorige week zijn vader verloor. De hele crew denkt aan je 🖤",
     None),
    ("x:@dijkpopganger", "post", "nl", [],
     "Zin in Dijkpop! Weet iemand of je een powerbank mee naar binnen mag langs de controle van Wardijn?", None),
    ("x:@stylewatch_nl", "post", "en", [],
     "Wardijn's new uniforms look sharp ngl", None),
    ("tiktok:@nachtdienst_dennis", "post", "nl", [],
     "nieuwe dienstauto's in de vloot! rijdt heerlijk 🚗 #mobielesurveillance #nachtdienst", None),
    ("x:@wardijn_service", "post", "en", [],
     "Our 24/7 alarm centre is on +31 30 799 4400. Save it in your phone, just in case.", None),
    ("facebook:Hans.Koopmans.Bouw", "comment", "nl", [],
     "Vorige maand nog geklaagd over de GuardCam, nu een nieuwe unit gekregen en die werkt perfect. Dank "
     "Wardijn!", None),
    ("x:@early_bird_em", "post", "en", [],
     "The Wardijn guards at my office made me a coffee when I was locked out at 7am. Small things ❤️", None),
    ("linkedin:wardijn-security-groep", "post", "nl", [],
     "Vacature: teamleider evenementen regio Zuid. Solliciteer via werkenbij.wardijn.nl", None),
    ("instagram:@steward.kevin", "post", "en", [],
     "Anyone know good insoles for 12h shifts? My feet are destroyed after this weekend 😩", None),
    ("x:@nuchterenel", "post", "nl", [],
     "Beetje flauw dat iedereen na elk festival meteen over de beveiliging zeurt. Die mensen doen gewoon hun "
     "werk.", None),
    ("x:@lottemeijer_", "post", "nl", [],
     "Vandaag de nieuwe Portofoonset 10 getest op het terrein, bereik is echt een stuk beter dan de oude.", None),
    ("reddit:u/eventplanner_joy", "post", "en", [],
     "Quick q: is the Eventcrew Pakket M price (€4,800) per day or for the whole weekend?", None),
    ("x:@buurman_sjaak", "post", "nl", [],
     "Mijn buurman is hondengeleider bij Wardijn, zijn herder is de liefste hond van de straat 🐕", None),
    ("linkedin:henk-oosterhout-wardijn", "comment", "en", [],
     "Finally got the Stripe integration working in the test environment with the sk_test_… keys. Live switch "
     "is next month.", None),
    ("x:@wardijn_service", "post", "nl", [],
     "Storing opgelost: het klantportaal mijn.wardijn.nl is weer volledig bereikbaar. Excuses voor het "
     "ongemak.", None),
    ("x:@festivalnerd", "post", "en", [],
     "Wardijn isn't perfect but compared to the mess at last year's edition (different company) this was night "
     "and day.", None),
    ("x:@koopjesjager", "post", "nl", [],
     "HomeGuard 2 van Wardijn in de actie voor €439, 20% korting. Goeie deal of wachten op Black Friday?", None),
    ("x:@got_memes", "post", "en", [],
     "Anyone else think Wardijn sounds like a Game of Thrones house? House Wardijn, the Night's Watch 🗡️", None),
    ("x:@marieke_planning", "post", "nl", [],
     "Morgen 06:00 briefing bij het stadion. Zorg dat je pas en hesje bij je hebt!", None),
    ("bluesky:@bouwplaatsbram.bsky.social", "post", "en", [],
     "Saw a Wardijn Sentinel Post on a building site today: solar camera mast, pretty neat bit of kit.",
     "2027-02-10T14:00:00Z"),
    ("x:@wardijn", "post", "nl", [],
     "Vandaag precies 25 jaar Wardijn! Dank aan al onze beveiligers, stewards en centralisten 🎉", None),
    ("x:@kritische_klant", "post", "en", [],
     "Nobody at Wardijn has ever asked for my password, and the phone number on their site (0800-9273) is the "
     "only one I use. Stay safe from scammers folks.", None),
    ("facebook:WardijnSecurity", "post", "nl", [],
     "Onze Sleutelkluis is er nu ook in zwart. Zelfde prijs: €179 per jaar, inclusief sleutelbeheer door onze "
     "meldkamer.", None),
]

# ---------------------------------------------------------------- assemble

ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ROLE[a.lower()] = role

ORDER = ["none", "info", "warning", "error", "critical"]
PUBLIC_IBANS = {re.sub(r"\s", "", x).upper() for x in PROFILE["public_identifiers"]["ibans"]}

IBAN_RE = re.compile(r"\bNL ?\d{2} ?[A-Z]{4} ?(?:\d ?){9}\d\b")
CARD_RE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.])\d{9}(?![\w])")


def identifiers(text):
    """Every IBAN / card / BSN-looking number, with whether it passes its checksum."""
    out = []
    for m in IBAN_RE.finditer(text):
        s = re.sub(r"\s", "", m.group(0))
        out.append(("iban", s, iban_valid(s)))
    masked = IBAN_RE.sub(" ", text)
    for m in CARD_RE.finditer(masked):
        d = re.sub(r"\D", "", m.group(0))
        if 13 <= len(d) <= 19:
            out.append(("card", d, luhn_valid(d)))
    for m in BSN_RE.finditer(masked):
        out.append(("bsn", m.group(0), bsn_valid(m.group(0))))
    return out


def severity(cats, role, text):
    sev = "none"

    def up(s):
        nonlocal sev
        if ORDER.index(s) > ORDER.index(sev):
            sev = s
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if not insider:
                up("warning")
            elif c in ("leak.secret", "leak.pricing"):
                up("critical")
            elif c == "leak.pii":
                strong = any(ok and not (k == "iban" and v in PUBLIC_IBANS) for k, v, ok in identifiers(text))
                up("critical" if strong else "error")
            else:
                up("error")
        elif c == "reputation.complaint":
            up("warning")
        elif c == "reputation.crisis":
            up("error")
        elif c == "reputation.abuse":
            up("error" if insider else "warning")
    return sev


def rand_time():
    start = dt.datetime(2026, 1, 5, 6, 0, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(minutes=rng.randint(0, 345 * 24 * 60))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


PLATFORM_PREFIX = {"x": "x", "linkedin": "li", "instagram": "ig", "facebook": "fb", "tiktok": "tt",
                   "reddit": "rd", "bluesky": "bs", "threads": "th", "mastodon": "md"}
URL_BASE = {"x": "https://x.com/%s/status/%s", "bluesky": "https://bsky.app/profile/%s/post/%s"}


def build():
    rows = []
    order = list(range(len(CASES)))
    rng.shuffle(order)
    seen = set()
    for n, idx in enumerate(order):
        acct, kind, lang, cats, text, when = CASES[idx]
        platform, handle = acct.split(":", 1)
        text = fill(text)
        role = ROLE.get(acct.lower(), "public")
        pid = "%s-254%03d%03d" % (PLATFORM_PREFIX.get(platform, "ot"), n, rng.randint(0, 999))
        assert pid not in seen
        seen.add(pid)
        post = {
            "id": pid,
            "platform": platform,
            "kind": kind,
            "account": {"handle": handle},
            "text": text,
            "lang": lang,
            "created_at": when or rand_time(),
            "brand": "Wardijn",
        }
        if platform in URL_BASE:
            post["url"] = URL_BASE[platform] % (handle.lstrip("@"), rng.randint(10**17, 10**18))
        cats = sorted(set(cats))
        rows.append({"post": post, "expect": {"categories": cats, "severity": severity(cats, role, text)}})
    return rows


# ---------------------------------------------------------------- self-checks

CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}
PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

SECRET_PATTERNS = {
    "github": re.compile(r"\bgh[pousr]_[0-9A-Za-z]{36}\b"),
    "aws": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "jwt": re.compile(r"\beyJ[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+"),
}


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(rows):
    errs = []
    ids = set()
    lang = {"nl": 0, "en": 0}
    per_cat = {c: 0 for c in CATS}
    benign = 0
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errs.append("embargo until not in 2027")
    for ib in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            errs.append("profile IBAN fails mod-97")
    if len(PROFILE["products"]) < 15 or len(PROFILE["products"]) > 25:
        errs.append("product count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errs.append("alert ratio")
    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p.get("id")
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            errs.append("bad/dup id %r" % pid)
        ids.add(pid)
        if p["platform"] not in PLATFORMS or p["kind"] not in KINDS:
            errs.append("%s platform/kind" % pid)
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            errs.append("%s handle" % pid)
        if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
            errs.append("%s text" % pid)
        if not RFC3339.match(p["created_at"]):
            errs.append("%s created_at" % pid)
        ts = parse_ts(p["created_at"])
        if ts.year not in (2026, 2027):
            errs.append("%s year" % pid)
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATS:
            errs.append("%s categories" % pid)
        if e["severity"] not in ORDER:
            errs.append("%s severity" % pid)
        if not cats and e["severity"] != "none":
            errs.append("%s benign severity" % pid)
        if cats and e["severity"] in ("none", "info"):
            errs.append("%s positive with low severity" % pid)
        lang[p["lang"]] += 1
        for c in cats:
            per_cat[c] += 1
        if not cats:
            benign += 1
        text = p["text"]
        # identifiers: valid in positives, invalid look-alikes in negatives
        for kind_, val, ok in identifiers(text):
            own = kind_ == "iban" and val in PUBLIC_IBANS
            if cats and not ok:
                errs.append("%s positive carries failing %s %s" % (pid, kind_, val))
            if cats and ok and "leak.pii" not in cats and not own:
                errs.append("%s valid %s but no leak.pii label" % (pid, kind_))
            if not cats and ok and not own:
                errs.append("%s benign carries valid %s %s" % (pid, kind_, val))
        # secrets: well-formed in positives
        for m in SECRET_PATTERNS["github"].finditer(text):
            if set(m.group(0)[4:]) == {"x"}:
                if cats:
                    errs.append("%s redacted token in a positive" % pid)
                continue
            if not gh_token_valid(m.group(0)) or "leak.secret" not in cats:
                errs.append("%s github token checksum/label" % pid)
        for m in SECRET_PATTERNS["aws"].finditer(text):
            if not m.group(0).endswith("EXAMPLE") and "leak.secret" not in cats:
                errs.append("%s aws key without label" % pid)
            if m.group(0).endswith("EXAMPLE") and cats:
                pass
            if not re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)) and not m.group(0).endswith("EXAMPLE"):
                errs.append("%s aws key charset" % pid)
        for m in SECRET_PATTERNS["jwt"].finditer(text):
            if not jwt_valid(m.group(0)) or "leak.secret" not in cats:
                errs.append("%s jwt header/label" % pid)
        # embargo terms: before `until` must be confidential, after it may be benign
        low = text.lower()
        for term, until in embargo:
            if term in low:
                if ts < until and "leak.confidential" not in cats:
                    errs.append("%s embargo term %r before until without label" % (pid, term))
                if ts >= until and "leak.confidential" in cats:
                    errs.append("%s embargo term %r after until labelled" % (pid, term))
        # evasion posts also fine; placeholders must all be filled
        if "«" in text or "»" in text:
            errs.append("%s unfilled placeholder" % pid)
    n = len(rows)
    if not 170 <= n <= 180:
        errs.append("case count %d" % n)
    if not 55 <= benign <= 65:
        errs.append("benign count %d" % benign)
    nl_share = lang["nl"] / n
    if not 0.50 <= nl_share <= 0.60:
        errs.append("Dutch share %.2f" % nl_share)
    targets = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
               "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
               "leak.financial": 12}
    for c, t in targets.items():
        if abs(per_cat[c] - t) > 3:
            errs.append("category %s has %d (target ~%d)" % (c, per_cat[c], t))
    return errs, benign, lang, per_cat


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read to check exactly what was written
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    errs, benign, lang, per_cat = check(back)
    print("cases=%d benign=%d nl=%d en=%d" % (len(back), benign, lang["nl"], lang["en"]))
    print("per category:", json.dumps(per_cat, sort_keys=True))
    sev = {}
    for r in back:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print("severities:", json.dumps(sev, sort_keys=True))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
