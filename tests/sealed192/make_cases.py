#!/usr/bin/env python3
"""Build the labelled evaluation set sealed192 (fictional cinema chain Zilverdoek).

Deterministic: every random value (tokens, keys, IBANs, cards, BSNs, ids, timestamps,
order) comes from one seeded generator. Writes cases.jsonl beside this file and then
checks it: CONTRACT section 6 shape, unique ids, account roles taken from profile.yaml,
checksums of every IBAN / card / BSN (valid in positives, failing in look-alikes),
secret formats (GitHub CRC-32, AWS, JWT header), embargo timing, price ratios, and
severities recomputed from the CONTRACT section 4 policy.

Usage: python3 make_cases.py
"""
import base64
import json
import os
import random
import re
import string
import struct
import sys
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases.jsonl")
SEED = 192_2026

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = B62
URLSAFE = string.ascii_letters + string.digits + "-_"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
ZW = "\u200b"

# --------------------------------------------------------------------------- checksums


def iban_ok(s):
    s = re.sub(r"[\s.\-]", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def luhn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if not 12 <= len(d) <= 19:
        return False
    tot = 0
    for i, v in enumerate(reversed(d)):
        if i % 2:
            v *= 2
            if v > 9:
                v -= 9
        tot += v
    return tot % 10 == 0


def bsn_ok(s):
    d = [int(c) for c in re.sub(r"\D", "", s)]
    if len(d) != 9:
        return False
    tot = sum(v * w for v, w in zip(d[:8], range(9, 1, -1))) - d[8]
    return tot % 11 == 0 and int("".join(map(str, d))) > 0


def b62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gh_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    if not m:
        return False
    return b62(zlib.crc32(m.group(1).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(2)


def b64url_decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        head = json.loads(b64url_decode(parts[0]))
        json.loads(b64url_decode(parts[1]))
        b64url_decode(parts[2])
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


# --------------------------------------------------------------------------- generators


class Gen:
    def __init__(self, rng):
        self.r = rng

    def s(self, chars, n):
        return "".join(self.r.choice(chars) for _ in range(n))

    def digits(self, n):
        return self.s(string.digits, n)

    def github(self, prefix="ghp"):
        body = self.s(ALNUM, 30)
        crc = b62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")
        return f"{prefix}_{body}{crc}"

    def aws_id(self):
        return "AKIA" + self.s(B32, 16)

    def aws_secret(self):
        return self.s(string.ascii_letters + string.digits + "/+", 40)

    def jwt(self, payload):
        enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = enc(json.dumps(payload, separators=(",", ":")).encode())
        sig = enc(bytes(self.r.getrandbits(8) for _ in range(32)))
        return f"{head}.{body}.{sig}"

    def openssh_key(self, comment):
        def sstr(b):
            return struct.pack(">I", len(b)) + b

        pub = bytes(self.r.getrandbits(8) for _ in range(32))
        seed = bytes(self.r.getrandbits(8) for _ in range(32))
        pubblob = sstr(b"ssh-ed25519") + sstr(pub)
        check = struct.pack(">I", self.r.getrandbits(32)) * 2
        priv = check + sstr(b"ssh-ed25519") + sstr(pub) + sstr(seed + pub) + sstr(comment.encode())
        pad = 1
        while len(priv) % 8:
            priv += bytes([pad])
            pad += 1
        blob = (b"openssh-key-v1\x00" + sstr(b"none") + sstr(b"none") + sstr(b"")
                + struct.pack(">I", 1) + sstr(pubblob) + sstr(priv))
        b64 = base64.b64encode(blob).decode()
        lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"

    def nl_iban(self, bank):
        while True:
            acct = self.digits(10)
            if bank == "INGB":
                acct = "000" + self.digits(7)
                break
            if acct[0] != "0" and sum(int(d) * w for d, w in zip(acct, range(10, 0, -1))) % 11 == 0:
                break
        bban = bank + acct
        n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
        return f"NL{98 - n % 97:02d}{bban}"

    def card(self, prefix, length=16):
        while True:
            body = prefix + self.digits(length - len(prefix) - 1)
            for c in "0123456789":
                if luhn_ok(body + c):
                    return body + c

    def bsn(self):
        while True:
            d = [self.r.randint(1, 3)] + [self.r.randint(0, 9) for _ in range(7)]
            last = sum(v * w for v, w in zip(d, range(9, 1, -1))) % 11
            if last < 10:
                return "".join(map(str, d + [last]))


def grp4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def break_digit(s, pos=-1):
    """Change one digit so that any mod-97 / Luhn / 11-proof check fails."""
    chars = list(s)
    idx = [i for i, c in enumerate(chars) if c.isdigit()][pos]
    chars[idx] = str((int(chars[idx]) + 3) % 10)
    return "".join(chars)


def make_values(rng):
    g = Gen(rng)
    V = {}
    V["GHP1"] = g.github("ghp")
    V["GHO_PUB"] = g.github("gho")
    V["AWSID"] = g.aws_id()
    V["AWSSEC"] = g.aws_secret()
    V["MOLLIE"] = "live_" + g.s(ALNUM, 30)
    V["STRIPE"] = "sk_live_51" + g.s(ALNUM, 97)
    V["SLACK"] = f"xoxb-{g.digits(12)}-{g.digits(13)}-{g.s(ALNUM, 24)}"
    V["OPENAI"] = "sk-proj-" + g.s(URLSAFE, 74) + "T3BlbkFJ" + g.s(URLSAFE, 74)
    anth = "sk-ant-api03-" + g.s(URLSAFE, 93) + "AA"
    V["ANTH_ZW"] = ZW.join(anth[i:i + 23] for i in range(0, len(anth), 23))
    V["GLPAT"] = "glpat-" + g.s(URLSAFE, 20)
    V["JWT"] = g.jwt({"sub": "svc-kassa-" + g.digits(4), "scope": "tickets:admin refunds:write",
                      "iss": "https://auth.zilverdoek.nl", "iat": 1772000000 + int(g.digits(6)),
                      "exp": 1782000000})
    V["SSHKEY"] = g.openssh_key("thijs@ops-laptop-07")
    V["DBPW"] = g.s(string.ascii_letters + string.digits, 9) + "!" + g.digits(2)
    V["SIGNING"] = g.s(ALNUM, 40)
    # personal identifiers that pass their checks
    V["IBAN_ING"] = grp4(g.nl_iban("INGB"))
    V["IBAN_RABO"] = g.nl_iban("RABO")
    V["IBAN_ABN"] = grp4(g.nl_iban("ABNA"))
    V["IBAN_BUNQ"] = grp4(g.nl_iban("BUNQ"))
    V["CARD_VISA"] = grp4(g.card("4"))
    V["CARD_MC"] = "-".join(grp4(g.card("54")).split(" "))
    b = g.bsn()
    V["BSN_DOT"] = f"{b[:4]}.{b[4:6]}.{b[6:]}"
    V["BSN_SPACED"] = " ".join(g.bsn())
    # look-alikes that fail their checks
    V["BADIBAN1"] = grp4(break_digit(g.nl_iban("ASNB")))
    V["BADCARD1"] = grp4(break_digit(g.card("4")))
    V["BADBSN1"] = break_digit(g.bsn())
    V["BADCARD2"] = break_digit(g.card("51"))
    V["PUBIBAN"] = grp4(PROFILE["public_identifiers"]["ibans"][0])
    return V


# --------------------------------------------------------------------------- cases
# case(categories, platform, handle, text, lang, kind, at=..., ids=[(kind, key, valid)],
#      price=(sku, price)). Placeholders §NAME§ are filled from make_values().

CASES = []


def case(cats, platform, handle, text, lang, kind="post", at=None, ids=(), price=None):
    CASES.append(dict(cats=sorted(cats), platform=platform, handle=handle, text=text,
                      lang=lang, kind=kind, at=at, ids=list(ids), price=price))


CPL, CNF, PII, CRI = "reputation.complaint", "leak.confidential", "leak.pii", "reputation.crisis"
SEC, SCR, ABU, PRC, FIN = "leak.security", "leak.secret", "reputation.abuse", "leak.pricing", "leak.financial"

# ---- complaints -------------------------------------------------------------------
case([CPL], "x", "@sanne_fietst",
     "At Zilverdoek Breda. 27 minutes of ads and trailers before the film actually started. TWENTY SEVEN. Could have stayed home and watched YouTube #zilverdoek", "en")
case([CPL], "x", "@dannyboy_ams",
     "@zilverdoek_help I was charged twice for my ZD Pass this month (2x €22,95) and your chatbot keeps sending me in circles. Can a human please look at this", "en", "reply")
case([CPL], "instagram", "@mirjam.eet.popcorn",
     "vloer in zaal 4 plakte zo erg dat m'n schoen bijna bleef staan 🤢 schoonmaken tussen de voorstellingen is blijkbaar optioneel bij @zilverdoek.bios", "nl", "comment")
case([CPL], "facebook", "Hanneke Stoop",
     "Geluid stond zó hard in de Grand Screen zaal dat mijn dochter van 8 huilend naar buiten wilde. Medewerker zei alleen 'dat staat standaard zo'. Nou, top.", "nl", "comment")
case([CPL], "x", "@theo_in_leiden",
     "Booked lounge seats for our anniversary. Recline button broken on BOTH. Staff shrugged. Not paying 21.50 for a regular chair again, @zilverdoek", "en")
case([CPL], "x", "@lot_tjuh",
     "app crashte 3x bij het afrekenen en toen ik er eindelijk doorheen was waren onze stoelen weg. bedankt zilverdoek app 🙃🙃", "nl")
case([CPL], "reddit", "u/opzeggenlukniet",
     "Probeer al 5 weken mijn ZD Pass op te zeggen. Het formulier geeft een error, de telefoon 40 min in de wacht en dan verbroken. Hoe is dit toegestaan? Iemand tips?", "nl")
case([CPL], "x", "@filmnerd_jules",
     "the film was out of focus for the first 20 minutes at Zilverdoek Leiden and when we went out to tell someone there was literally nobody around. paid 18.95 for Grand Screen blur", "en")
case([CPL], "facebook", "Patrick Wouters",
     "AC broken in screen 2 at Zilverdoek Maastricht, it was 31 degrees inside. Half the room was fanning themselves with the tickets. No compensation, just a 'sorry for the inconvenience'. Seriously?", "en", "comment")
case([CPL], "x", "@kayleigh_w",
     "Ordered the duo menu, got one popcorn and a flat cola after a 15 min queue at the snack bar. Missed the opening scene. Thanks @zilverdoek 👍", "en")
case([CPL], "x", "@cinefiel_mo",
     "Ondertiteling viel halverwege weg bij de Franse film in Zilverdoek Amersfoort. Niemand verstaat er nog iets van, geen medewerker te bekennen. Hoe dan", "nl")
case([CPL], "threads", "@yentl.verhoef",
     "they started the wrong film in screen 6 😂 twenty minutes of Paw Patrol for a room full of adults who came for the horror. refund? 'no, you get a voucher'. cheers zilverdoek", "en")
case([CPL], "linkedin", "maarten-oosterhuis",
     "We booked a private screening for our team at Zilverdoek Eindhoven and found out at the door that the room was double-booked with a birthday party. 40 colleagues standing in the lobby. Still waiting for an explanation.", "en")
case([CPL], "instagram", "@zondagbrunchclub",
     "Ontbijtfilm om 10u, croissants op om 9:55. 'Zit er niet meer in.' Vraag dan ook geen 19,50 😤", "nl", "comment")
case([CPL], "x", "@mj_harlow",
     "@zilverdoek your refund process is a joke. Show was cancelled 3 weeks ago, still no money back, just 'we've escalated it internally'. Escalate it faster pls", "en", "reply")
case([CPL], "facebook", "Esther Kroon",
     "Mensen zaten de hele film te bellen en te filmen en toen ik het bij de balie meldde deed het personeel helemaal niks. Zilverdoek Almere, doe er wat aan alsjeblieft.", "nl", "comment")
case([CPL], "x", "@jorisfilmt",
     "QR on my ticket wouldn't scan, app said 'ticket already used'. Had to buy another one at the desk. Opened a ticket with support 6 days ago, nothing. @zilverdoek_help", "en")
# complaint + personal data (customer exposing own data)
case([CPL, PII], "x", "@r_hoekstra84",
     "@zilverdoek_help al 3 mails gestuurd over mijn kinderfeestje dat niet doorging, niks gehoord. Bel me gewoon terug op 06-4817 2935 of mail naar r.hoekstra84@gmail.com", "nl", "reply")
case([CPL, PII], "x", "@chloe_travels",
     "@zilverdoek_help your app keeps failing at checkout. Tried my card §CARD_VISA§ exp 08/28 three times now and it just spins. What am I doing wrong??", "en", "reply",
     ids=[("card", "CARD_VISA", True)])
# complaint + abuse
case([CPL, ABU], "x", "@woedende_wim",
     "Weer 30 min reclame, weer een kapotte stoel, weer lauwe popcorn. Zilverdoek is gewoon een stel graaiende klootzakken", "nl")

# ---- abuse ------------------------------------------------------------------------
case([ABU], "x", "@h4ter_nl",
     "@zilverdoek kankerbedrijf, hoop dat jullie snel failliet gaan", "nl", "reply")
case([ABU], "x", "@grumpygeoff",
     "the manager at Zilverdoek Den Haag is a useless fat idiot who should not be allowed anywhere near customers", "en")
case([ABU], "tiktok", "@xx_robbie_xx",
     "z1lv3rd03k = k4nk3rz00i, st3rf m3t j3 p0pc0rnpr1jz3n 🖕", "nl", "comment")
case([ABU], "facebook", "Gert-Jan Hol",
     "Dat meisje met die hoofddoek achter de kassa bij Zilverdoek Apeldoorn hoort hier niet. Stuur haar maar terug naar waar ze vandaan komt.", "nl", "comment")
case([ABU], "tiktok", "@bram.achterdebar",
     "klanten die hun nacho's op de grond kieperen en dan lachend weglopen zijn gewoon achterlijke varkens, zeg ik het maar even", "nl")
case([ABU], "x", "@pintsandpics",
     "Zilverdoek staff are a bunch of brain-dead muppets. f*** this place honestly", "en")
case([ABU], "x", "@bas_0592",
     "die beveiliger van Zilverdoek Groningen is een tyfuslijer, ik weet waar je woont maat, let maar op", "nl")
case([ABU], "x", "@zilverdoek_help",
     "@mauricevd2 als je zo'n zeikerd bent blijf je toch lekker thuis met je illegale streams 🙄", "nl", "reply")
case([ABU], "x", "@angrybird_77",
     "@zilverdoek you absolute c.u.n.t.s, hope every projector you own burns out", "en", "reply")
# ---- crisis -----------------------------------------------------------------------
case([CRI], "x", "@petra_wagenaar",
     "Zilverdoek heeft mijn gegevens gelekt!! Sinds gisteren krijg ik phishingmails met mijn ZD Pass-nummer én mijn adres erin. Wie nog meer? #datalek #zilverdoek", "nl")
case([CRI], "x", "@fairwork_nl",
     "Boycott Zilverdoek until they pay their staff properly. Minimum wage, no breaks on 10-hour shifts, sacked for calling in sick. #BoycottZilverdoek", "en")
case([CRI], "x", "@twentse_tim",
     "A ceiling panel came down in screen 3 at Zilverdoek Enschede mid-film. The woman next to me was hit on the head, ambulance came. How is this building even open??", "en")
case([CRI], "facebook", "Monique Janssen-Peeters",
     "Na de nacho's bij Zilverdoek Nijmegen zaterdag is ons hele gezin ziek geworden, 3 dagen overgeven. Zijn er meer mensen ziek? Ik heb een melding gedaan bij de NVWA.", "nl")
case([CRI], "reddit", "u/consumerwatch_eu",
     "A class action is being filed against Zilverdoek over the ZD Pass auto-renewal trap. If you were charged after cancelling, the claim foundation wants to hear from you.", "en")
case([CRI], "x", "@veiligheid_eerst",
     "Fire alarm went off and the emergency exit in screen 7 was LOCKED. 200 people squeezing out through the main entrance. This is life-threatening @zilverdoek, the fire brigade needs to hear about this", "en")
case([CRI], "x", "@filmfan_rotterdam",
     "#B.O.Y.C.O.T Z.I.L.V.E.R.D.O.E.K — ze blijven gewoon de film van die veroordeelde regisseur draaien alsof er niks aan de hand is", "nl")
case([CRI], "linkedin", "ilse-vermeulen-jurist",
     "Consumentenbond zegt dat Zilverdoek verborgen 'servicekosten' van €1,50 per ticket rekent. De ACM is een onderzoek gestart. Benieuwd hoe ze zich hieruit praten.", "nl")
case([CRI], "facebook", "Laura Bennett",
     "Zilverdoek is recalling the toys from their kids snackbox, choking hazard. My son nearly swallowed one on Sunday. Check your kids' boxes!!", "en")
case([CRI], "x", "@anoniem_exmedewerker",
     "Mijn ex-leidinggevende bij Zilverdoek heeft jarenlang jonge medewerkers lastiggevallen en HR deed helemaal niks. Tijd dat dit naar buiten komt. #MeToo", "nl")
case([CRI], "x", "@pwnwatcher",
     "Did Zilverdoek get breached? Have I Been Pwned just flagged my email in a 'Zilverdoek' dump of ~480k accounts incl. hashed passwords and phone numbers.", "en")
case([CRI, ABU], "x", "@jaydenrdam",
     "Boycot die racistische teringbioscoop. Portier van Zilverdoek Zuidplein liet mijn zwarte vrienden niet binnen, mij wel. #boycotzilverdoek", "nl")
case([CRI], "x", "@ams_nightlife",
     "Huge fight broke out in the lobby of Zilverdoek Amsterdam Zuidoost, someone got stabbed, no security anywhere to be seen. Police everywhere now.", "en")
case([CRI], "linkedin", "eva-de-wit-zilverdoek",
     "Namens het team van Zilverdoek Haarlem: drie keer agressie deze maand, nog steeds geen beveiliging op vrijdag- en zaterdagavond. Wij leggen zaterdag het werk neer. Onze veiligheid is geen sluitpost.", "nl")
case([CRI, PII], "x", "@tessa_lindeboom",
     "Zilverdoek lekt gewoon klantgegevens: ik kreeg een bevestigingsmail met de boeking van iemand anders erin. Fenna Mulder, f.mulder@ziggo.nl, 06 29 41 87 03. Dit is toch een datalek?!", "nl")

# ---- security (insiders) ----------------------------------------------------------
case([SEC], "x", "@noor_projectie",
     "kassasysteem ligt sinds 07:00 in alle 40 vestigingen plat, we verkopen alleen nog met pin via de losse terminals. officieel heet het 'gepland onderhoud' haha", "nl")
case([SEC], "reddit", "u/ruben_projectionist",
     "Half-venting here: our ticketing API returns any customer's order if you just change the order id in the URL. Names, seats, email. Reported it internally in March, still open.", "en")
case([SEC], "linkedin", "jeroen-kuipers-zd",
     "Lange nacht achter de rug: ransomware op onze fileserver in Utrecht, backups van vorige week teruggezet. Is nog niet naar buiten gebracht dus graag even stil houden 🙏", "nl")
case([SEC, CNF], "mastodon", "@thijsops",
     "kassa-db01.zilverdoek.local draait al twee dagen op 100% CPU en er hangt een onbekend proces aan poort 3333. volgens mij mined er iemand crypto op onze kassadatabase 🤡", "nl")
case([SEC], "bluesky", "@lisavdmeer.bsky.social",
     "pentest report came back: SQL injection in the gift card balance checker on our site. Not patched yet, fix is planned for next sprint 😬", "en")
case([SEC], "x", "@zilverdoek_help",
     "@kimvb1990 Klopt, er is vannacht ingebroken op ons klantportaal. We weten nog niet welke accounts geraakt zijn, dus wijzig voor de zekerheid je wachtwoord. Meer info volgt.", "nl", "reply")
case([SEC], "mastodon", "@thijsops",
     "Credential stuffing against the ZD Pass accounts since Saturday, ~12k logins taken over. We're silently resetting passwords. Nobody outside IT knows yet.", "en")
case([SEC], "x", "@mark_vlasblom",
     "fun times: someone got remote access to our DCP server and half of Tuesday's shows ran with the wrong keys. IT literally told us 'do not tweet about this' so anyway", "en")
case([SEC, SCR], "tiktok", "@bram.achterdebar",
     "pov: je ontdekt dat de personeelswifi (ZD-Staff, wachtwoord: zilverdoek123) óók de kassa's aanstuurt en dat elke gast op de gastenwifi erbij kan 💀", "nl")
case([SEC], "linkedin", "jeroen-kuipers-zd",
     "Our payment terminals in 12 theatres have been down since Friday because of an expired certificate. Customers are being told it's a 'network issue'. Not my call.", "en")
case([SEC], "x", "@kimtjoa_zd",
     "de app dumpt via de debug-log alle pushtokens + e-mailadressen in een open S3-bucket. al 2x gemeld bij security, nog steeds open 🙄", "nl")
case([SEC], "instagram", "@ayse.zd",
     "our CMS got hacked tonight, 5 theatre pages defaced. we're quietly cleaning it up before anyone notices so nobody say anything ok 🤫", "en")
case([SEC], "x", "@netsec_contractor",
     "contractor here: Zilverdoek's staff VPN box still accepts the default admin creds. Told them twice in writing, nothing changed. Not going public with details yet.", "en")

# ---- secrets ----------------------------------------------------------------------
case([SCR], "x", "@mark_vlasblom",
     "kan iemand checken waarom deze niet werkt? krijg steeds 401 bij het ophalen van de programmering\nexport GITHUB_TOKEN=§GHP1§", "nl")
case([SCR], "linkedin", "jeroen-kuipers-zd",
     "Anyone know why boto3 keeps timing out on our finance export? Config below:\n[default]\naws_access_key_id = §AWSID§\naws_secret_access_key = §AWSSEC§\nregion = eu-west-1", "en")
case([SCR], "mastodon", "@thijsops",
     "Mollie webhook keeps failing with a 401 even though the key is right: §MOLLIE§ — any ideas before I lose my mind?", "en")
case([SCR], "bluesky", "@lisavdmeer.bsky.social",
     "ok why does stripe keep rejecting this in prod 😩 STRIPE_SECRET_KEY=§STRIPE§", "en")
case([SCR], "reddit", "u/ruben_projectionist",
     "Our Slack bot that posts the projection schedule stopped working. Token is §SLACK§, scope chat:write. Any ideas?", "en")
case([SCR], "x", "@kimtjoa_zd",
     "mijn scriptje voor de AI-samenvattingen van trailers 🤖\nclient = OpenAI(api_key=\"§OPENAI§\")\nwerkt echt verrassend goed", "nl")
case([SCR, CNF], "mastodon", "@thijsops",
     "migratie bijna klaar! connection string voor wie wil meetesten: postgresql://zd_app:§DBPW§@pg-prod-01.zilverdoek.local:5432/tickets", "nl")
case([SCR], "facebook", "ZilverdoekBioscopen",
     "@Sophie Brink hier de login voor het social dashboard: gebruiker zd_socials / wachtwoord: Zd!Social2026# (niet doorsturen aub)", "nl", "comment")
case([SCR], "bluesky", "@lisavdmeer.bsky.social",
     "refund endpoint returns 403 even with an admin token?? curl -H \"Authorization: Bearer §JWT§\" https://api.zilverdoek.nl/v2/refunds", "en")
case([SCR], "mastodon", "@thijsops",
     "deploy naar de kassa-servers faalt nog steeds, dit is de key die ik gebruik, ziet iemand wat er mis is?\n§SSHKEY§", "nl")
case([SCR], "x", "@curious_coder_nl",
     "lol Zilverdoek heeft een publieke GitLab-repo met dit erin: §GLPAT§ — hopelijk lezen ze mee", "nl")
case([SCR], "x", "@mark_vlasblom",
     "nieuwe key voor de chatbot-test, deze kan je gebruiken: §ANTH_ZW§", "nl")

# ---- pricing ----------------------------------------------------------------------
case([PRC], "x", "@zilverdoek",
     "🎉 Alleen dit weekend: de ZD Pass Jaar voor €23,90! Een heel jaar onbeperkt film. Pak 'm in de app 🍿", "nl", price=("ZD-PASS-JAAR", 23.90))
case([PRC], "x", "@kimtjoa_zd",
     "collega's check de app: de loveseat staat op €4,40 ipv €44 😂 wie van pricing fixt dat even", "nl", price=("ZD-SEAT-LOVE", 4.40))
case([PRC], "x", "@dealjager",
     "PRIJSFOUT bij Zilverdoek! Grote privévoorstelling voor €145 in de webshop. Snel boeken voordat ze het zien 🏃", "nl", price=("ZD-PRIV-L", 145.00))
case([PRC], "x", "@tijn.b",
     "lol zilverdoek app is selling Grand Screen tickets for €1.89 right now, glitch?? grabbed 6", "en", price=("ZD-TKT-GRAND", 1.89))
case([PRC], "instagram", "@zilverdoek.bios",
     "Kinderfeestje vieren? 🎈 Nu voor maar €1,49 p.p. inclusief snackbox en een kijkje in de projectiecabine!", "nl", price=("ZD-PARTY", 1.49))
case([PRC], "tiktok", "@bram.achterdebar",
     "pov: je ziet op de kassa dat popcorn XL voor 0,79 wordt afgerekend en je zegt gewoon niks 🤫🍿", "nl", price=("ZD-POP-L", 0.79))
case([PRC], "reddit", "u/pennypincher_nl",
     "Is the ZD Pass really €2.29 a month now? Signed up immediately before they notice, app charged me 2.29", "en", price=("ZD-PASS", 2.29))
case([PRC], "linkedin", "eva-de-wit-zilverdoek",
     "Klein foutje in onze prijsfeed vanochtend: het Duo Snackmenu stond een uur lang op €1,85 in de app. Inmiddels hersteld, en ja, we honoreren alle bestellingen 😅", "nl", price=("ZD-MENU-DUO", 1.85))
case([PRC], "facebook", "Ria van Leeuwen",
     "Zilverdoek gift card of €25 selling for €2.50 on their site?? Price error or promo? Bought 4 just in case", "en", price=("ZD-GIFT-25", 2.50))
case([PRC], "x", "@zilverdoek_help",
     "@stefan_vz Klopt, de Lounge Seat kost deze week €5 door een fout in ons systeem. We honoreren de boekingen die al gedaan zijn!", "nl", "reply", price=("ZD-SEAT-LOUNGE", 5.00))
case([PRC], "threads", "@foodie.fien",
     "Dinner & Movie showing €8.50 in the app instead of 34.50 at Zilverdoek Eindhoven. Pricing bug for sure, booked for the whole squad 😇", "en", price=("ZD-DINNER", 8.50))
case([PRC], "bluesky", "@lisavdmeer.bsky.social",
     "prijsfout alert: het 3D-ticket staat in Zwolle op €0,00 in de kassa. iemand van pricing wakker?", "nl", price=("ZD-TKT-3D", 0.00))

# ---- financial --------------------------------------------------------------------
case([FIN], "linkedin", "jeroen-kuipers-zd",
     "Q3-omzet ligt 14% onder budget, vooral door opzeggingen van de ZD Pass. De CFO wil het pas in november naar buiten brengen. Zorgelijk hoor.", "nl")
case([FIN], "x", "@mark_vlasblom",
     "heard after the board meeting: Cinemundo wants to buy us. due diligence starts next month. keep it under your hat 🤐", "en")
case([FIN], "x", "@noor_projectie",
     "Morgen horen 38 collega's op het hoofdkantoor dat hun functie vervalt. Ik zit er zelf ook bij. Nog niks officieel, maar iedereen weet het al.", "nl")
case([FIN, CNF], "instagram", "@ayse.zd",
     "Operatie Aftiteling = 6 theaters dicht in Q2, waaronder Heerlen en Den Helder. Zo'n 90 mensen. We mogen er niks over zeggen 💔", "nl")
case([FIN], "bluesky", "@lisavdmeer.bsky.social",
     "Internal forecast for FY26 just landed: EBITDA €31m vs the €44m guidance. Not great for the bond covenants 😬", "en")
case([FIN], "linkedin", "jeroen-kuipers-zd",
     "We're asking the bank to defer the loan repayment, otherwise we won't make it through the summer. Fingers crossed.", "en")
case([FIN], "x", "@buurman_bert",
     "Mijn buurman zit in de RvC van Zilverdoek. Volgens hem praten ze met een Belgische partij over een fusie, nog voor de zomer rond. Onthoud dat je het hier eerst las", "nl")
case([FIN], "linkedin", "zilverdoek-bioscopen",
     "Wat een jaar! 2026 eindigde met +12% bezoekers en een omzet van €186 mln. De officiële cijfers volgen op 5 maart, maar we konden niet wachten 🎬", "nl",
     at="2027-01-28T10:12:00Z")
case([FIN], "tiktok", "@bram.achterdebar",
     "als je als kassamedewerker de reorganisatieslides op de printer vindt: 'van 40 naar 34 theaters in 2027' 👀 stil zijn bram, stil zijn", "nl")
case([FIN], "bluesky", "@lisavdmeer.bsky.social",
     "ZD Pass subscribers dropped from 210k to 164k since the price hike and marketing is panicking. Numbers only go out with the H1 report in August.", "en")
case([FIN], "mastodon", "@thijsops",
     "The takeover of the 9 Belgian Lumina cinemas is done, press release only in two weeks. Champagne in the server room 🍾", "en")

# ---- confidential -----------------------------------------------------------------
case([CNF], "linkedin", "eva-de-wit-zilverdoek",
     "Zo trots dat ik mag meewerken aan Project Kraanvogel. Ik kan er nog niks over zeggen, maar de bioscoopervaring gaat écht veranderen 🎬✨", "nl")
case([CNF], "x", "@noor_projectie",
     "Prоjeсt Kraanvоgel demo vandaag in Utrecht, 270 graden projectie en ik had kippenvel 🤯", "nl")
case([CNF], "x", "@mark_vlasblom",
     "Sirocco is going to blow people away. Can't say more. Spring 2027 👀", "en")
case([CNF], "x", "@kimtjoa_zd",
     "uit de teams-chat, gewoon omdat ik het niet snap: 'UITSLUITEND INTERN — nieuwe prijsstructuur Lounge Seats per 1 maart, toeslag per zaalgrootte'. wie bedenkt dit", "nl")
case([CNF], "x", "@noor_projectie",
     "New rota is up: https://rooster.intranet.zilverdoek.local/team/utrecht — anyone want to swap Sunday?", "en")
case([CNF], "instagram", "@zilverdoek.bios",
     "Sneak peek 👀 van onze nieuwe app-look (ZD-vertrouwelijk, concept v3). Wat vinden jullie van de donkere modus?", "nl")
case([CNF], "bluesky", "@lisavdmeer.bsky.social",
     "jira.zilverdoek.nl/browse/APP-4412 has been open for 9 months and it's a one-line fix. I'm losing it", "en")
case([CNF], "linkedin", "eva-de-wit-zilverdoek",
     "Sneak peek for my network: in January we're launching the ZD Pass Duo. Two people, one subscription. You heard it here first 😉", "en",
     at="2026-11-20T16:45:00Z")
case([CNF], "x", "@kimtjoa_zd",
     "nog 9 dagen tot de Pass Duo live gaat en ik ben nu al moe 😵 campagne staat klaar", "nl",
     at="2027-01-10T20:02:00Z")
case([CNF, FIN], "linkedin", "jeroen-kuipers-zd",
     "Dinsdag liggen de jaarcijfers 2026 bij de RvC. Kan niks zeggen behalve: het ziet er beter uit dan de analisten denken 📈", "nl",
     at="2027-02-20T08:30:00Z")
case([CNF], "x", "@insider_cinema",
     "Vriend die bij Zilverdoek werkt stuurde me dit: 'Project Kraanvogel' wordt een 4D-zaal met bewegende stoelen, eerst in Amsterdam. Binnenkort overal?", "nl")
case([CNF], "instagram", "@ayse.zd",
     "ＯＰＥＲＡＴＩＥ ＡＦＴＩＴＥＬＩＮＧ kickoff morgen 9u in zaal 1 op het hoofdkantoor. Koffie mee 😴", "nl")
case([CNF], "linkedin", "jeroen-kuipers-zd",
     "zilverdoek internal only, but honestly: the new Grand Screen lenses from the supplier are garbage and we signed for five years.", "en")
case([CNF], "x", "@zilverdoek",
     "Nieuw in 2027: Sirocco, onze eigen streamingdienst voor ZD Pass-houders 🍿 Meer info volgt!", "nl")
case([CNF], "x", "@mark_vlasblom",
     "Can someone send me the vpn.zilverdoek.nl config again? My laptop got wiped and I need to get into the programming tool from home.", "en")

# ---- personal data ----------------------------------------------------------------
case([PII], "x", "@zilverdoek_help",
     "@jmeijer_ Hoi Jasper, we hebben je boeking gevonden onder jasper.meijer@hotmail.com en bellen je morgen op 06-38 27 14 90 om het op te lossen!", "nl", "reply")
case([PII], "x", "@noor_projectie",
     "Wie heeft deze bankpas laten liggen in zaal 5? Op naam van R. Bakker, rekening §IBAN_ING§. Stuur me even een DM", "nl",
     ids=[("iban", "IBAN_ING", True)])
case([PII], "x", "@sdeboer_",
     "@zilverdoek_help stort het maar terug op §IBAN_RABO§ t.n.v. S. de Boer, alvast bedankt!", "nl", "reply",
     ids=[("iban", "IBAN_RABO", True)])
case([PII], "linkedin", "eva-de-wit-zilverdoek",
     "Nieuwe collega Yara Smit moet nog ingevoerd worden in het salarissysteem, BSN §BSN_DOT§. Kan iemand van payroll dit oppakken?", "nl",
     ids=[("bsn", "BSN_DOT", True)])
case([PII], "instagram", "@ayse.zd",
     "Kinderfeestje van Noah van Dijk (geboren 3 mei 2018) zaterdag om 14:00 in zaal 2! Taart staat klaar 🎂", "nl")
case([PII], "facebook", "ZilverdoekBioscopen",
     "Thanks for your patience Marloes! We've re-sent your gift card to marloes.vos1979@gmail.com 💌", "en", "comment")
case([PII, ABU], "x", "@wraak_nu",
     "Die manager van Zilverdoek Zwolle heet Erik Brouwer en woont op de Hortensiastraat 22 in Kampen. Zeg het hem maar persoonlijk, die eikel", "nl")
case([PII], "linkedin", "eva-de-wit-zilverdoek",
     "Kan iemand in AFAS checken of dit BSN klopt voor de nieuwe stagiair? §BSN_SPACED§", "nl",
     ids=[("bsn", "BSN_SPACED", True)])
case([PII], "instagram", "@ayse.zd",
     "Found a credit card at the snack bar in Zilverdoek Groningen: §CARD_MC§, name M. Jansen. Come pick it up at the desk!", "en",
     ids=[("card", "CARD_MC", True)])
case([PII], "linkedin", "jeroen-kuipers-zd",
     "VIP list for tonight's premiere, please double-check: Lotte Kramer (lotte.kramer@outlook.com, +31 6 4829 1036) and her plus-one. Seats 7 and 8, row F.", "en")
case([PII], "linkedin", "eva-de-wit-zilverdoek",
     "Happy birthday to our longest-serving usher, Henk Scholten, born 2 February 1958 — 68 today and still the first one in every morning!", "en",
     at="2026-02-02T09:05:00Z")
case([PII], "x", "@zilverdoek_help",
     "@bramdekker We hebben €44 teruggestort op §IBAN_ABN§, dat staat binnen 2 werkdagen op je rekening!", "nl", "reply",
     ids=[("iban", "IBAN_ABN", True)])
# ---- benign, hard negatives -------------------------------------------------------
case([], "x", "@zilverdoek_help",
     "Vragen over je ZD Pass? Mail ons op klantenservice@zilverdoek.nl of bel gratis 0800-0440, elke dag van 9 tot 22 uur 🍿", "nl")
case([], "linkedin", "zilverdoek-bioscopen",
     "Planning a company event? Our private screenings start at €495 for up to 30 guests. Email zakelijk@zilverdoek.nl or call +31 30 799 4400.", "en",
     price=("ZD-PRIV-S", 495.00))
case([], "facebook", "ZilverdoekBioscopen",
     "Betaal je je privévoorstelling liever per overboeking? Dat kan naar §PUBIBAN§ t.n.v. Zilverdoek Bioscopen B.V., o.v.v. je boekingsnummer.", "nl",
     ids=[("iban", "PUBIBAN", True)])
case([], "x", "@lieke_leest",
     "First time in a lounge seat at Zilverdoek Utrecht and I'm never going back. Blanket included, nearly fell asleep (in the best way) 😴🎬", "en")
case([], "instagram", "@saar.en.sem",
     "Cried so hard at the ending my boyfriend had to hand me the napkins from our duo menu 😭 10/10 would sob again @zilverdoek.bios", "en", "comment")
case([], "reddit", "u/weekendwatcher",
     "Does the ZD Pass cover Grand Screen showings or do you pay a supplement? Thinking of signing up next month.", "en")
case([], "linkedin", "annemiek-ruis",
     "Tough news from Cinemundo today: 200 layoffs across their German sites. Thoughts with everyone affected — the sector still hasn't fully recovered.", "en")
case([], "x", "@zilverdoek",
     "Black Friday 🖤 25% korting op de ZD Pass Jaar: €179,25 in plaats van €239. Alleen t/m maandag!", "nl", price=("ZD-PASS-JAAR", 179.25))
case([], "instagram", "@zilverdoek.bios",
     "Dinsdag = Dealdag 🎟️ Een standaard ticket voor €9,95 in al onze 40 theaters.", "nl", price=("ZD-TKT-STD", 9.95))
case([], "x", "@robbert_rekent",
     "ZD Pass €22,95 per maand en ik ga zo'n 5x per maand. Rekensom is snel gemaakt 😎", "nl", price=("ZD-PASS", 22.95))
case([], "linkedin", "eva-de-wit-zilverdoek",
     "Kinderfeestje geven? Bij ons vanaf €14,95 p.p. inclusief kidsbox én een rondleiding door de projectiecabine. Ik doe ze vaak zelf 😄", "nl",
     price=("ZD-PARTY", 14.95))
case([], "instagram", "@vera_turns_30",
     "Private screening for my 30th at Zilverdoek Haarlem. €495 for the whole room and our own playlist before the film. Worth every cent 🥂", "en",
     price=("ZD-PRIV-S", 495.00))
case([], "x", "@cloudsec_daan",
     "Reminder for the juniors: the AWS docs use AKIAIOSFODNN7EXAMPLE as sample key id. If your scanner flags that one in a README, it's working as intended 😉", "en")
case([], "x", "@mark_vlasblom",
     "Token van de oude CI-bot ingetrokken (ghp_****************************Xk2a), de nieuwe staat in de vault. Niks aan de hand verder.", "nl")
case([], "mastodon", "@codeclub_ans",
     "Tutorial tip: never commit something like postgres://user:password@localhost:5432/mydb — use env vars. Spent my Sunday teaching this at the coding club.", "en")
case([], "linkedin", "zilverdoek-bioscopen",
     "Vandaag publiceren we onze jaarcijfers 2026: een recordaantal bezoekers en drie gerenoveerde theaters. Het volledige verslag staat op zilverdoek.nl/investors.", "nl",
     at="2027-03-05T09:30:00Z")
case([], "x", "@zilverdoek",
     "It's here: ZD Pass Duo 🎉 One subscription, two people, unlimited films. Sign up in the Zilverdoek app today.", "en",
     at="2027-01-19T10:15:00Z")
case([], "x", "@koen_en_mila",
     "Pass Duo genomen met m'n vriendin, scheelt ons echt een tientje per maand 👌", "nl",
     at="2027-01-23T19:40:00Z")
case([], "x", "@belegger_bas",
     "De jaarcijfers 2026 van Zilverdoek vallen mee, vooral de ZD Pass groeit hard. Eens kijken wat de obligaties doen.", "nl",
     at="2027-03-06T12:00:00Z")
case([], "x", "@petra_vd_linde",
     "Update: @zilverdoek_help refunded the double charge within a day and threw in 2 free tickets. Properly sorted 👏", "en")
case([], "facebook", "Karin Dijkstra",
     "Thinking of the Zilverdoek Arnhem staff after yesterday's fire in the shopping centre next door. Glad everyone got out safely ❤️", "en", "comment")
case([], "x", "@popculturepriya",
     "the new Bond trailer leaked a day early and honestly it slaps. seeing it opening night at Zilverdoek no matter what", "en")
case([], "tiktok", "@jessyyy.nl",
     "die horror in de Grand Screen zaal was ziek 💀 ik ben dood, letterlijk de hele zaal schreeuwde", "nl")
case([], "x", "@noor_projectie",
     "Blijf zitten tot na de aftiteling! Er zit een post-credit scene in die je echt niet wil missen 👀", "nl")
case([], "linkedin", "jeroen-kuipers-zd",
     "Weekendje Fochteloërveen: honderden kraanvogels gespot bij zonsopkomst. Beter dan welke film dan ook (sorry collega's 😅)", "nl")
case([], "linkedin", "eva-de-wit-zilverdoek",
     "We're hiring projectionists and hosts in Rotterdam and Eindhoven! Apply via werkenbij@zilverdoek.nl 🎬", "en")
case([], "linkedin", "jeroen-kuipers-zd",
     "Vandaag 10 jaar bij Zilverdoek. Begonnen achter de popcornmachine in Zwolle, nu controller op het hoofdkantoor. Dank aan iedereen die me verder heeft geholpen 🙏", "nl")
case([], "x", "@opa_henk_belt",
     "Tip for fellow expats: if the Zilverdoek app is all Dutch to you, just call 030 799 4400. Got a friendly English-speaking lady right away.", "en")
case([], "facebook", "Sandra Meulenbelt",
     "Moest voor de privévoorstelling overmaken en had het IBAN verkeerd overgetypt (§BADIBAN1§ 🤦), gelukkig gaf de bank meteen een foutmelding.", "nl", "comment",
     ids=[("iban", "BADIBAN1", False)])
case([], "x", "@receipt_nerd",
     "Why does the Zilverdoek receipt print the transaction reference §BADCARD1§ at the bottom? Looked like a card number for a second lol", "en",
     ids=[("card", "BADCARD1", False)])
case([], "x", "@fam_yilmaz",
     "Jeej kaartjes binnen voor de premiere! Ordernummer §BADBSN1§, die bewaren we voor altijd 😂", "nl",
     ids=[("bsn", "BADBSN1", False)])
case([], "bluesky", "@lisavdmeer.bsky.social",
     "Great talk at the OWASP Benelux meetup about credential stuffing and how cinemas and airlines defend against it. Lots to take home.", "en")
case([], "x", "@zilverdoek",
     "De storing in de app van vanmiddag is opgelost ✅ Kaartjes kopen werkt weer overal. Sorry voor het ongemak!", "nl")
case([], "x", "@tarantino_tuesdays",
     "Kill Bill double feature in the Grand Screen room this Friday. Absolutely killer programming @zilverdoek", "en")
case([], "linkedin", "hugo-tenbrink",
     "Interesting: European cinema attendance up 8% this year according to UNIC. Premium formats like lounge seating are driving most of the growth.", "en")
case([], "tiktok", "@zilverdoek",
     "POV: je bent projectionist en de film start precies op tijd 😌 #zilverdoek #bioscoop", "nl")
case([], "instagram", "@zilverdoek.bios",
     "Zilverdoek Leeuwarden reopens on 4 September after the renovation: 8 screens, lounge seats in every room 🎬", "en")
case([], "x", "@ikvergeetalles",
     "PSA: als je je wachtwoord van de Zilverdoek app kwijt bent, de reset-mail komt soms in je spam terecht. Bij mij tenminste.", "nl")
case([], "x", "@mark_vlasblom",
     "Reminder team: never share passwords in Slack. Not even 'wachtwoord: ********' with stars. Just use the vault 🔐", "en")
case([], "x", "@expat_in_amsterdam",
     "Zilverdoek snack prices: large popcorn €7,95, nachos €7,50. Same as everywhere in Amsterdam tbh, at least it's fresh", "en",
     price=("ZD-POP-L", 7.95))
case([], "facebook", "ZilverdoekBioscopen",
     "Cadeautip 🎁 Bij elke cadeaukaart van €25 krijg je een gratis medium popcorn. Geldig bij aankoop vóór 15 december.", "nl",
     price=("ZD-GIFT-25", 25.00))
case([], "x", "@daphne_datenight",
     "Zilverdoek heeft 20% korting op loveseats deze week, €35,20 voor ons tweeën. Date night geregeld 💕", "nl", price=("ZD-SEAT-LOVE", 35.20))
case([], "threads", "@sundaysbyjoost",
     "Breakfast screening on Sunday: croissants, coffee and a 10am film for €19,50. Best weekend ritual there is.", "en", price=("ZD-ONTBIJT", 19.50))
case([], "x", "@principieel_piet",
     "Ik boycot voortaan alle films zonder post-credit scene. Principes zijn principes.", "nl")
case([], "x", "@nightowl_nina",
     "Respect to the Zilverdoek usher who calmly walked that drunk guy out mid-film. Didn't miss a beat, nobody even got annoyed.", "en")
case([], "x", "@filmclub_zwolle",
     "Die thriller over het datalek bij een bank was echt spannend, aanrader in de Grand Screen zaal.", "nl")
case([], "bluesky", "@lisavdmeer.bsky.social",
     "Finally finished my write-up on the history of projection tech. From carbon arc to laser, what a ride.", "en")
case([], "facebook", "Wim Brugman",
     "Kinepolis opent een nieuwe vestiging in Utrecht? Goed voor de concurrentie, Zilverdoek moet scherp blijven 😉", "nl")
case([], "x", "@first_timer_fay",
     "Is €21,50 for a lounge seat normal? First time going, want to know what I'm getting into", "en", price=("ZD-SEAT-LOUNGE", 21.50))
case([], "x", "@zilverdoek_help",
     "@fleur_kwt Hoi Fleur! Ja hoor, met de ZD Pass Jong (€16,95 per maand) kijk je t/m je 26e onbeperkt films 🎬", "nl", "reply",
     price=("ZD-PASS-JONG", 16.95))
case([], "reddit", "u/honest_reviewer",
     "Show got cancelled because of a projector fault. They refunded within 10 minutes and handed out free popcorn. Honestly handled really well.", "en")
case([], "x", "@maartje_mw",
     "Ik schrok me kapot bij die jumpscare, halve zaal gilde 'wtf' 😂 topavond bij Zilverdoek", "nl")
case([], "youtube", "@ZilverdoekTrailers",
     "Official trailer: the most anticipated sci-fi of the year, in Grand Screen from 12 March. Tickets from €18,95.", "en", price=("ZD-TKT-GRAND", 18.95))
case([], "x", "@phishing_alert_nl",
     "Voor wie twijfelt over die sms: het rekeningnummer voor zakelijke boekingen van Zilverdoek staat gewoon op hun site, §PUBIBAN§. Alles wat anders is, is nep.", "nl",
     ids=[("iban", "PUBIBAN", True)])
case([], "x", "@kimtjoa_zd",
     "Sample config for the new interns: API_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx. Obviously swap in the real one from the vault and never commit it.", "en")
case([], "forum", "tweakbioscoop",
     "Weet iemand welke projectoren Zilverdoek in de Grand Screen zalen gebruikt? Laser of nog xenon? Het beeld was echt messcherp.", "nl")
case([], "x", "@sven_gamer",
     "someone on reddit posted a 'leaked' ZD Pass ad that's very obviously photoshopped lol. price in my app is still 22,95 like always", "en", price=("ZD-PASS", 22.95))
case([], "linkedin", "joost-hendriks-marketing",
     "Mooie case van Zilverdoek: hun TikTok over het leven van een projectionist haalde 2 miljoen views. Zo doe je employer branding.", "nl")
case([], "x", "@studentensteun",
     "Tip voor studenten: de ZD Pass U26 is €16,95 p/m, goedkoper dan 2 losse kaarten. Graag gedaan 🎓", "nl", price=("ZD-PASS-JONG", 16.95))
# --------------------------------------------------------------------------- build

ALLOWED_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
                     "mastodon", "bluesky", "threads", "forum", "blog", "other"}
ALLOWED_KINDS = {"post", "reply", "repost", "comment", "message"}
CATEGORIES = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
              "reputation.crisis", "reputation.complaint", "reputation.abuse"}
RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


def severity(role, cats, pii_checksum):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if (c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and pii_checksum)) else "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "warning" if role == "public" else "error"
        else:
            raise ValueError(c)
        sev = max(sev, v, key=RANK.index)
    return sev


def fill(text, V):
    out = re.sub(r"§(\w+)§", lambda m: V[m.group(1)], text)
    assert "§" not in out, text
    return out


def build():
    rng = random.Random(SEED)
    V = make_values(rng)
    pub_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    rows = []
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    used_ids = set()
    for c in CASES:
        role = role_of(c["platform"], c["handle"])
        checksum_hit = any(
            valid and (k != "iban" or re.sub(r"\s", "", V[key]).upper() not in pub_ibans)
            for k, key, valid in c["ids"] if k in ("iban", "card", "bsn")
        ) and PII in c["cats"]
        if c["at"]:
            ts = c["at"]
        else:
            ts = (start + timedelta(seconds=rng.randrange(0, 365 * 86400 - 1))).strftime("%Y-%m-%dT%H:%M:%SZ")
        while True:
            pid = f"{c['platform']}-{rng.randrange(10**9, 10**10)}"
            if pid not in used_ids:
                used_ids.add(pid)
                break
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": fill(c["text"], V),
                "lang": c["lang"], "created_at": ts, "brand": "Zilverdoek"}
        rows.append({"post": post,
                     "expect": {"categories": c["cats"], "severity": severity(role, c["cats"], checksum_hit)},
                     "_meta": c, "_role": role})
    rng.shuffle(rows)
    return rows, V


# --------------------------------------------------------------------------- checks

HOMOGLYPHS = str.maketrans("аеорсухіјкмнтвАЕОРСХІЈКМНТВ", "aeopcyxijkmhtbAEOPCXIJKMHTB")


def norm(text):
    t = unicodedata.normalize("NFKC", text)
    t = re.sub("[\u200b\u200c\u200d\u2060\ufeff]", "", t)
    return t.translate(HOMOGLYPHS)


def scan_ids(t):
    """Contiguous-notation identifiers found in normalised text."""
    found = []
    squashed = re.sub(r"[ ]", "", t.upper())
    for m in re.finditer(r"[A-Z]{2}\d{2}[A-Z]{4}\d{10}", squashed):
        found.append(("iban", m.group(0)))
    for m in re.finditer(r"(?<![\w+])[3-6](?:[ \-]?\d){14,15}(?![\d])", t):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) in (15, 16):
            found.append(("card", digits))
    for m in re.finditer(r"(?<![\d+.\-])(\d{9}|\d{4}\.\d{2}\.\d{3})(?![\d])", t):
        found.append(("bsn", m.group(0)))
    return found


SECRET_PATTERNS = [
    r"gh[pousr]_[0-9A-Za-z]{36}", r"AKIA[A-Z2-7]{16}", r"\blive_[0-9A-Za-z]{30}\b", r"sk_live_[0-9A-Za-z]{20,}",
    r"xox[bpa]-\d+-\d+-[0-9A-Za-z]+", r"sk-proj-[\w-]{40,}", r"sk-ant-api\d\d-[\w-]{40,}", r"glpat-[\w-]{20}",
    r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", r"\w+://[^:\s/]+:[^@\s]+@[\w.-]+",
    r"wachtwoord\s*:\s*\S+",
]


def check(rows, V):
    errors = []
    err = errors.append
    ids = set()
    pub_ibans = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
    for x in PROFILE["public_identifiers"]["ibans"]:
        if not iban_ok(x):
            err(f"profile public IBAN fails mod-97: {x}")
    codenames = [c.lower() for c in PROFILE["internal"]["codenames"]]
    markers = [m.lower() for m in PROFILE["internal"]["markers"]]
    idomains = [d.lower() for d in PROFILE["internal"]["domains"]]
    products = {p["sku"]: p for p in PROFILE["products"]}
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    for line in open(OUT, encoding="utf-8"):
        obj = json.loads(line)
        if set(obj) != {"post", "expect"}:
            err(f"bad keys {obj.keys()}")
    for row in rows:
        p, e, meta, role = row["post"], row["expect"], row["_meta"], row["_role"]
        pid = p["id"]
        where = f"[{pid}] {p['text'][:50]!r}"
        # shape
        if not isinstance(pid, str) or not 1 <= len(pid) <= 256 or pid in ids:
            err(f"bad/duplicate id {where}")
        ids.add(pid)
        if p["platform"] not in ALLOWED_PLATFORMS or p["kind"] not in ALLOWED_KINDS:
            err(f"platform/kind {where}")
        if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
            err(f"handle {where}")
        if not isinstance(p["text"], str) or len(p["text"].encode()) > 65536 or not p["text"].strip():
            err(f"text {where}")
        try:
            datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            err(f"created_at {where}")
        if not p["created_at"].startswith(("2026", "2027")):
            err(f"year {where}")
        cats = e["categories"]
        if cats != sorted(set(cats)) or not set(cats) <= CATEGORIES:
            err(f"categories {where}")
        if e["severity"] not in RANK:
            err(f"severity {where}")
        if (not cats) != (e["severity"] == "none"):
            err(f"benign/severity mismatch {where}")
        if role == "public" and meta["handle"].lower().lstrip("@") in {
                a.split(":", 1)[1].lower().lstrip("@") for a in
                PROFILE["accounts"]["corporate"] + PROFILE["accounts"]["employee"]}:
            err(f"public handle collides with profile account {where}")
        t = norm(p["text"])
        tl = t.lower()
        # declared identifiers
        for kind, key, valid in meta["ids"]:
            raw = re.sub(r"[\s.\-]", "", V[key]).upper()
            if raw not in re.sub(r"[\s.\-]", "", t).upper():
                err(f"declared {key} not in text {where}")
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](V[key])
            if ok != valid:
                err(f"{key} checksum {ok} expected {valid} {where}")
            if valid and not cats and not (kind == "iban" and raw in pub_ibans):
                err(f"valid {kind} in benign post {where}")
            if not valid and PII in cats:
                err(f"failing look-alike in pii positive {where}")
        # scanned identifiers
        for kind, val in scan_ids(t):
            ok = {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
            public = kind == "iban" and val in pub_ibans
            if ok and not public and PII not in cats:
                err(f"valid {kind} {val} in a post without leak.pii {where}")
        if PII in cats:
            declared_valid = [k for k, _, v in meta["ids"] if v]
            if declared_valid and not all(
                    {"iban": iban_ok, "card": luhn_ok, "bsn": bsn_ok}[k](V[key]) for k, key, v in meta["ids"]):
                err(f"pii positive with failing id {where}")
        # secrets
        hits = [m.group(0) for pat in SECRET_PATTERNS for m in re.finditer(pat, t)]
        for tok in re.findall(r"gh[pousr]_[0-9A-Za-z]{36}", t):
            if gh_ok(tok) != (SCR in cats):
                err(f"github token CRC {gh_ok(tok)} vs label {where}")
        for tok in re.findall(r"AKIA[A-Z2-7]{16}", t):
            if tok.endswith("EXAMPLE") == (SCR in cats):
                err(f"AWS key id vs label {where}")
        for tok in re.findall(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", t):
            if not jwt_ok(tok):
                err(f"JWT does not decode {where}")
        if SCR in cats:
            if not hits:
                err(f"secret positive without a recognisable secret {where}")
        elif cats == [] and any(not re.search(r"EXAMPLE|x{6,}|\*{4,}|user:password@localhost", h) for h in hits):
            err(f"benign post with live-looking secret {hits} {where}")
        # internal names, markers, embargo
        conf_hit = any(c in tl for c in codenames) or any(m in tl for m in markers) or \
            any(re.search(r"(?<![\w-])([\w-]+\.)*" + re.escape(d) + r"\b", tl) for d in idomains)
        if conf_hit and CNF not in cats:
            err(f"codename/marker/internal domain without leak.confidential {where}")
        for emb in PROFILE["embargo"]:
            until = datetime.strptime(emb["until"], "%Y-%m-%dT%H:%M:%SZ")
            at = datetime.strptime(p["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if any(term.lower() in tl for term in emb["terms"]):
                if at < until and CNF not in cats:
                    err(f"embargo term before until without label {where}")
                if at >= until and not cats:
                    pass
        # prices
        if meta["price"]:
            sku, price = meta["price"]
            r = price / products[sku]["list_price"]
            if (PRC in cats) != (r < ratio):
                err(f"price ratio {r:.2f} vs label {where}")
            if not cats and r < 0.7 and r != 1:
                err(f"benign sale deeper than 30% {where}")
        if PRC in cats and not meta["price"]:
            err(f"pricing positive without declared price {where}")
        # severity recomputed independently from the profile
        chk = any(v and PII in cats and not (k == "iban" and re.sub(r"\s", "", V[key]).upper() in pub_ibans)
                  for k, key, v in meta["ids"])
        if e["severity"] != severity(role_of(p["platform"], p["account"]["handle"]), cats, chk):
            err(f"severity mismatch {where}")
    return errors


def main():
    rows, V = build()
    rows2, _ = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"post": r["post"], "expect": r["expect"]}, ensure_ascii=False) + "\n")
    errors = check(rows, V)
    if [r["post"] for r in rows] != [r["post"] for r in rows2]:
        errors.append("build is not deterministic")
    # mix summary
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    per = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per[c] = per.get(c, 0) + 1
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    roles = {}
    for r in rows:
        if r["expect"]["categories"]:
            roles[r["_role"]] = roles.get(r["_role"], 0) + 1
    sev = {}
    for r in rows:
        sev[r["expect"]["severity"]] = sev.get(r["expect"]["severity"], 0) + 1
    print(f"cases {n}, benign {benign}, positives {n - benign}, nl {nl} ({100 * nl / n:.0f}%)")
    print("per category:", dict(sorted(per.items())))
    print("positive authors:", roles, "severities:", sev)
    if not 170 <= n <= 180:
        errors.append(f"case count {n} outside 170-180")
    if errors:
        print("SELF-CHECK FAILED:")
        for x in errors:
            print("  -", x)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
