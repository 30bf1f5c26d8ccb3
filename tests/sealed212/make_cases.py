#!/usr/bin/env python3
"""Sealed evaluation set 212 for postwatch: Kadewind Rederij B.V. (Rotterdam water taxis
and harbour tours).

Deterministic: a fixed seed drives every generated identifier, credential and timestamp.
Writes cases.jsonl next to this file and then checks it:
  * every line is a valid CONTRACT section 6 case;
  * every IBAN / card / BSN in a positive passes its checksum, every look-alike in a
    benign post fails it (the company's own published identifiers excepted);
  * generated credentials are built like the real ones (GitHub CRC-32, AWS, JWT ...);
  * severities are computed from the account role in profile.yaml (CONTRACT section 4).
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
PROFILE_PATH = os.path.join(HERE, "profile.yaml")
OUT_PATH = os.path.join(HERE, "cases.jsonl")

RNG = random.Random(212_2026)

with open(PROFILE_PATH, encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

# --------------------------------------------------------------------------- helpers

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B62 = ALNUM  # digits 0-9, then A-Z, then a-z
URLSAFE = ALNUM + "-_"

_pending = []  # identifiers / credentials generated for the case being built


def rstr(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def rdigits(n):
    return "".join(RNG.choice("0123456789") for _ in range(n))


# ---- IBAN (mod-97)

def iban_valid(s):
    s = s.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    n = int("".join(str(int(ch, 36)) for ch in r))
    return n % 97 == 1


def _iban_check(cc, bban):
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return "%02d" % (98 - n % 97)


def spaced4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban(valid=True, bank=None, spaced=False):
    bank = bank or RNG.choice(["RABO", "INGB", "ABNA", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"])
    bban = bank + rdigits(10)
    chk = _iban_check("NL", bban)
    if not valid:
        chk = "%02d" % ((int(chk) + RNG.randint(1, 9)) % 100)
    raw = "NL" + chk + bban
    _pending.append(("iban", raw, valid))
    return spaced4(raw) if spaced else raw


# ---- payment cards (Luhn)

def luhn_ok(digits):
    digits = re.sub(r"\D", "", digits)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(digits) >= 12 and total % 10 == 0


def card(valid=True, prefix="4", sep=" "):
    body = prefix + rdigits(15 - len(prefix))
    for last in "0123456789":
        if luhn_ok(body + last):
            good = last
            break
    last = good if valid else str((int(good) + RNG.randint(1, 9)) % 10)
    raw = body + last
    _pending.append(("card", raw, valid))
    return sep.join(raw[i:i + 4] for i in range(0, 16, 4))


# ---- BSN (11-proof)

def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def bsn(valid=True, fmt="plain"):
    while True:
        head = str(RNG.randint(1, 6)) + rdigits(7)
        rem = sum(int(head[i]) * (9 - i) for i in range(8)) % 11
        if rem < 10:
            break
    last = rem if valid else (rem + RNG.randint(1, 8)) % 10
    raw = head + str(last)
    if valid:
        assert bsn_ok(raw)
    _pending.append(("bsn", raw, valid))
    if fmt == "dots":
        return raw[:4] + "." + raw[4:6] + "." + raw[6:]
    if fmt == "spaced":
        return raw[:3] + " " + raw[3:6] + " " + raw[6:]
    return raw


# ---- phones (no checksum; only generated for positives or as own public numbers)

def mobile(style):
    d = "6" + rdigits(8)
    if style == "dash":
        return "0" + d[:1] + "-" + d[1:]
    if style == "pairs":
        return "06 " + " ".join(d[1:][i:i + 2] for i in range(0, 8, 2))
    if style == "intl":
        return "+31 6 " + d[1:5] + " " + d[5:]
    if style == "plain":
        return "0" + d
    if style == "0031":
        return "0031 6 " + d[1:]
    raise ValueError(style)


# ---- credentials

def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = rstr(ALNUM, 30)
    tok = prefix + body + b62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)
    _pending.append(("github", tok, True))
    return tok


def github_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(2).encode()) & 0xFFFFFFFF, 6) == m.group(3)


def aws_key_id():
    k = "AKIA" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    _pending.append(("aws", k, True))
    return k


def aws_secret():
    return rstr(ALNUM + "+/", 40)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(payload, alg="HS256"):
    header = {"alg": alg, "typ": "JWT"}
    tok = ".".join([
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(bytes(RNG.getrandbits(8) for _ in range(32))),
    ])
    _pending.append(("jwt", tok, True))
    return tok


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    pad = lambda s: s + "=" * (-len(s) % 4)
    try:
        head = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
        json.loads(base64.urlsafe_b64decode(pad(parts[1])))
    except Exception:
        return False
    return isinstance(head, dict) and "alg" in head


def slack_bot_token():
    return "xoxb-" + str(RNG.randint(10**11, 10**12 - 1)) + "-" + str(RNG.randint(10**12, 10**13 - 1)) + "-" + rstr(ALNUM, 24)


def mollie_live_key():
    return "live_" + rstr(ALNUM, 30)


def openai_key():
    return "sk-proj-" + rstr(URLSAFE, 64) + "T3BlbkFJ" + rstr(URLSAFE, 64)


def google_api_key():
    return "AIza" + rstr(URLSAFE, 35)


def gitlab_pat():
    return "glpat-" + rstr(URLSAFE, 20)


def openssh_private_key():
    blob = (b"openssh-key-v1\x00" + b"\x00\x00\x00\x04none" * 2 + b"\x00\x00\x00\x00"
            + b"\x00\x00\x00\x01\x00\x00\x00\x33\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"
            + bytes(RNG.getrandbits(8) for _ in range(32))
            + b"\x00\x00\x00\x88" + bytes(RNG.getrandbits(8) for _ in range(136)))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


# ---- evasion transforms

def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def zw(s, ch="\u200b"):
    return ch.join(s)


CYR = {"A": "\u0410", "a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441",
       "p": "\u0440", "K": "\u041a", "E": "\u0415", "O": "\u041e", "x": "\u0445"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# --------------------------------------------------------------------------- cases

CAT = {
    "S": "leak.secret", "PII": "leak.pii", "PR": "leak.pricing", "CF": "leak.confidential",
    "FI": "leak.financial", "SE": "leak.security", "CR": "reputation.crisis",
    "CO": "reputation.complaint", "AB": "reputation.abuse",
}

CASES = []


def rand_time():
    start = datetime(2026, 1, 3, tzinfo=timezone.utc)
    t = start + timedelta(seconds=RNG.randint(0, 350 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def c(author, text, cats="", lang="nl", kind=None, at=None):
    platform, handle = author.split(":", 1)
    if kind is None:
        kind = "reply" if text.lstrip().startswith("@") else "post"
    CASES.append({
        "author": author, "platform": platform, "handle": handle, "text": text,
        "cats": sorted(CAT[x] for x in cats.split()) if cats else [],
        "lang": lang, "kind": kind, "at": at or rand_time(),
        "checks": list(_pending),
    })
    _pending.clear()


# ======================= leak.secret ========================================

c("x:@joris_codeert",
  f"waarom faalt die deploy nou weer 😩 heb het token er gewoon ingezet: GITHUB_TOKEN={github_token()} "
  "en alsnog 403. iemand een idee?", "S")

_ak = aws_key_id()
c("x:@noor_kw_ops",
  f"ok who wrote this cron script lol\n\naws_access_key_id = {_ak}\naws_secret_access_key = {aws_secret()}\n"
  "region = eu-west-1\n\nat least it works i guess", "S", "en")

_jw = jwt({"sub": "cust_88213", "bk": "KW-7731", "scope": "booking:write", "iat": 1781335200, "exp": 1783927200})
c("x:@kadewind_help",
  f"@dennis_kok We zien je boeking! Probeer het via deze link opnieuw: https://app.kadewind.nl/b/7731?token={_jw} "
  "Lukt het niet, laat het ons weten 🙂", "S")

c("x:@noor_kw_ops",
  f"the incident bot stopped posting in #ops-alerts, can someone check if {slack_bot_token()} is still valid? "
  "no idea who installed it", "S", "en")

c("mastodon:@sander_vaart@mastodon.nl",
  "anyone dealt with pgbouncer timeouts? our conn string is "
  "postgres://kadehop_app:Wq7!maasTaxi_19@kadehop-prod.c8vyq2zkx1ab.eu-west-1.rds.amazonaws.com:5432/bookings "
  "and after ~200 connections everything just locks up", "S", "en")

c("x:@appbouwer_rick",
  f"Leuk klusje voor een rederij in R'dam. Hun checkout faalde omdat MOLLIE_API_KEY={mollie_live_key()} "
  "in de verkeerde .env stond 🤦 opgelost, factuur is de deur uit", "S")

c("linkedin:annemieke-degraaf",
  "Collega's van de kassa's op de Veerhaven en het Willemsplein: het gedeelde account voor het kassasysteem "
  "is aangepast. Gebruikersnaam kassa.veerhaven, wachtwoord: Kade!Wind#2026zomer — graag niet kwijtraken "
  "en niet op een geeltje plakken 😉", "S")

c("reddit:u/kw_backend_dev",
  "ssh to our fleet gateway keeps saying 'invalid format', this is the key I'm using, is it broken?\n\n"
  f"{openssh_private_key()}\n\nedit: nvm it was a line ending thing", "S", "en")

c("x:@joris_codeert",
  f"chatbot voor de KadeHop app werkt eindelijk 🤖\nclient = OpenAI(api_key=\"{openai_key()}\")\n"
  "nu nog leren dat hij geen tickets naar Antwerpen verkoopt", "S")

c("x:@apk_pokes",
  f"decompiled the KadeHop android app for fun. the maps key is just sitting in strings.xml: {google_api_key()} "
  "unrestricted too, yikes", "S", "en")

c("bluesky:@femkeplant.bsky.social",
  f"for whoever wants to run the rota script locally: export GITLAB_TOKEN={gitlab_pat()} then make rooster. "
  "good luck 🗓️", "S", "en")

c("tiktok:@kapiteinkees010",
  "Voor de nieuwe jongens op lijn 4: inlog boordcomputer is gebruiker kees.w ww: Maas2026!! "
  "dan hoef je mij niet elke ochtend te bellen 😂⚓", "S")

_ak2 = aws_key_id()
c("x:@noor_kw_ops",
  f"fun fact: the booking server's AWS key ({_ak2}) has been on a public paste since yesterday "
  "and nobody has rotated it yet. mondays, man 🙃", "S SE", "en")

# ======================= leak.pii ===========================================

c("x:@kadewind_help",
  f"@jvdlinden Excuses voor het gedoe! We hebben de terugbetaling van €49,00 naar {iban(spaced=True)} "
  "(t.n.v. J. van der Linden) vandaag ingeschoten, binnen 2 werkdagen op je rekening.", "PII")

c("facebook:KadewindRotterdam",
  "GEVONDEN aan boord van de watertaxi van 17:40: portemonnee met rijbewijs op naam van Sietske Hoekstra, "
  "geboren 14-03-1991. Op te halen bij ons kantoor aan de Veerhaven 🙂", "PII")

c("instagram:@lotte.opdemaas",
  f"Wie kent deze meneer? 📱 Liet zijn telefoon liggen op de steiger bij de Euromast. Op de hoes staat "
  f"'bij verlies bel Marja {mobile('dash')}' maar ze neemt niet op. Delen!", "PII")

c("x:@woedende_wim",
  f"@kadewind_help al DRIE keer gebeld over mijn geannuleerde charter en niemand belt terug. "
  f"mijn nummer is {mobile('pairs')}, BEL me gewoon!!", "PII CO")

c("reddit:u/rotterdam_visitor22",
  f"KadeHop keeps declining my card at checkout, {card(prefix='45')}, exp 09/28. Bank says everything's fine. "
  "Anyone else have this with the day pass?", "PII CO", "en")

c("linkedin:mehmet-yilmaz-kadewind",
  "Terugblik op een topkwartaal in de charters 💼 Dank aan onze trouwste klanten, o.a. fam. De Wit "
  "(Parkhaven 12B, 3016 GM Rotterdam) die dit jaar al 6x een salonboot boekte!", "PII")

c("x:@noor_kw_ops",
  f"customer called about a refund and typed her BSN {bsn()} in the 'opmerkingen' field of the form. "
  "why do people do this 😭", "PII", "en")

c("instagram:@kadewind.rotterdam",
  "🎉 En de winnaar van de Trouwvaart-winactie is... Eva Mulder! Eva, we hebben je gemaild op "
  "eva.mulder88@gmail.com, check je spam 💍🚤", "PII")

c("x:@schipper_ruud",
  "Jongens niet vergeten: Dirk Smit (geboren 12 juni 1979) wordt morgen 47. Gebak bij de loods om 10u "
  "en wie hem 'opa' noemt mag de dieseltank schoonmaken", "PII", at="2026-06-11T16:20:00Z")

c("x:@blauwe_rugzak",
  "To the kind soul who found my blue backpack on the 18:10 water taxi yesterday: please post it to "
  "Emily Carter, Schiedamseweg 211B, 3026 AH Rotterdam. Reward guaranteed! #kadewind", "PII", "en")

c("reddit:u/kw_backend_dev",
  "why does our booking service log full customer objects at INFO level?\n"
  f"`INFO booking.created id=KW-90211 email=r.vandam1984@hotmail.com phone={mobile('plain')} pax=4`\n"
  "gonna open a PR to strip that", "PII", "en")

c("x:@kadewind_help",
  f"@dennis_kok Helaas is de betaling met kaart {card(prefix='5', sep=' ')} opnieuw mislukt. "
  "Kun je het met iDEAL proberen? Dan zetten we je rit voor je vast.", "PII")

c("facebook:Ronald.Vermeer.72",
  "Dat mens dat gisteren de schipper zo stond uit te kafferen bij de Erasmusbrug heet Tamara Bos en woont "
  "gewoon op de Maasboulevard 40 in Rotterdam, ga er maar eens langs", "PII")

c("bluesky:@femkeplant.bsky.social",
  f"rooster week 27 staat online 🙌 wie ruilen wil: bel Youssef ({mobile('intl')}) of Priya "
  f"({mobile('0031')}), ik ben er niet tot maandag", "PII")

c("x:@sjaak_r010",
  f"@kadewind_help mijn iban is {iban()} , stort die 64 euro voor de afgelaste tocht nou maar gewoon terug. "
  "5 weken wachten is belachelijk", "PII CO", at="2026-05-12T19:44:00Z")

# ======================= leak.pricing =======================================

c("x:@dealjager_nl",
  "BUG?? Dagpas in de KadeHop app kost nu €2,45 ipv €24,50 😂 snel zijn mensen #prijsfout #rotterdam", "PR")

c("x:@kadewind",
  "☀️ Zomerdeal! Eigen boot, eigen route: het Privécharter Watertaxi 1 uur nu voor maar €24,50. "
  "Boek via kadewind.nl 🚤", "PR")

c("instagram:@lotte.opdemaas",
  "Wie van marketing is er wakker?? Het Jaarabonnement staat in de webshop op €34,90 🙈 wie zet dat terug "
  "voordat heel Rotterdam er eentje koopt", "PR")

c("reddit:u/tourist_in_rdam",
  "Kinderdijk Day Trip for 9 euro on the Kadewind site right now. Is this a mistake or just a crazy deal? "
  "Booked two just in case", "PR", "en")

c("instagram:@sanne.en.bas.trouwen",
  "Trouwvaart pakket geboekt voor €189 😍😍 (ehh volgens mij moest dat 1890 zijn, prijsfoutje? we zien het wel haha)",
  "PR")

c("linkedin:annemieke-degraaf",
  "Ter info voor sales: de Haventour XL staat bij een partnerplatform voor €3,60 p.p. Dat is een prijsfout "
  "en wordt vandaag aangepast, graag even niet rondsturen.", "PR")

c("x:@maartje_010",
  "Salonboot Dagdeel voor €115 op de Kadewind site?! dat is toch een prijsfout, of zijn jullie gek geworden 😅",
  "PR")

c("tiktok:@pannenkoek.queen",
  "pancake cruise for €5 pp in the app?? 🥞🚤 RUN before they notice #rotterdam #deal", "PR", "en")

c("facebook:KadewindRotterdam",
  "Nieuw: de Rittenkaart 10 nu voor €6,20! Tien ritten kriskras over de Maas, ideaal voor forenzen 🚤", "PR")

c("x:@hr_guy_breda",
  "lol prijsfout bij Kadewind: Bedrijfsuitje Havenpakket voor €245 ipv €2450. heb er meteen 3 geboekt voor "
  "de afdeling, benieuwd of ze het honoreren", "PR")

c("x:@schipper_ruud",
  "Studentenpas staat in de app voor €3,90 ipv €39 😂 zeg het voort voordat iemand op kantoor het ziet", "PR")

c("threads:@nomadic.nina",
  "Kadewind Annual Pass is showing €3.49 at checkout lol. someone misplaced a decimal. should I?? 👀", "PR", "en")

# ======================= leak.confidential ==================================

c("x:@noor_kw_ops",
  "for the new skippers asking: zomerrooster is here https://intranet.kadewind.local/roosters/zomer2026.pdf "
  "(vpn needed)", "CF", "en")

c("reddit:u/kw_backend_dev",
  "does anyone know why self-hosted Jira keeps logging me out every 10 min? jira.kadewind.nl, SSO through Azure. "
  "cookies look fine", "CF", "en")

c("instagram:@kadewind.rotterdam",
  "Sneak peek 👀 KadeHop 3.0 is coming: live tracking of your water taxi, split payments and a dark mode 🌙",
  "CF", "en", at="2027-03-28T10:15:00Z")

c("instagram:@lotte.opdemaas",
  "Eerste proefvaart met een boot van de Elektrische Vloot 2027 ⚡🚤 zo stil dat je de meeuwen hoort ruziën",
  "CF")

c("linkedin:annemieke-degraaf",
  "Mooie sessie met het MT over onze nieuwe huisstijl. Uit de deck (KADEWIND CONFIDENTIAL): boten worden "
  "petrol/oranje, nieuw logo per 1 september en de steigers krijgen lichtbakken.", "CF")

c("x:@rdam_roddel",
  "a mate who works at Kadewind says they're busy with 'Operatie Reiger', something to do with the offices. "
  "anyone heard more?", "CF", "en")

c("tiktok:@kapiteinkees010",
  "Mag eigenlijk niks zeggen maar de nieuwe boot voor lijn 3 is 😍😍 alleen intern hoor, dus jullie hebben "
  "niks gezien 🤫", "CF")

c("bluesky:@femkeplant.bsky.social",
  "zit de hele dag aan de jaarcijfers 2026 te werken, spreadsheets tot in mijn dromen 🥲",
  "CF", "nl", at="2027-01-21T15:42:00Z")

c("linkedin:kadewind-rederij",
  "We're hiring: Product Owner Ankerlicht (32-40h). Help us reinvent the booking experience for 2 million "
  "passengers. Apply via vacatures@kadewind.nl", "CF", "en")

c("x:@schipper_ruud",
  "P.r.o.j.e.c.t Z.e.e.b.a.a.r.s gaat alles veranderen zeggen ze op kantoor. ik zeg: eerst zien 🐟", "CF")

c("instagram:@lotte.opdemaas",
  cyr("Ankerlicht", "Ae") + " demo vandaag gezien en ik ben fan 😍 eindelijk een app waarop ik niet hoef te vloeken",
  "CF")

c("reddit:u/kw_backend_dev",
  "`git clone git@git.kadewind.local:ops/dienstregeling.git` hangs forever since the firewall change. "
  "anyone seen this on ubuntu 24.04?", "CF", "en")

c("x:@havenspotter",
  "got an email forwarded from someone at Kadewind marked 'niet extern delen' about new docks at Katendrecht. "
  "exciting stuff, can't say more 😏", "CF", "en")

c("x:@noor_kw_ops",
  fullwidth("niet extern delen") + " maar de nieuwe uniformen zijn echt 🔥🔥 eindelijk geen oranje regenjassen meer",
  "CF")

c("linkedin:mehmet-yilmaz-kadewind",
  "Project Zeebaars in één zin: we nemen de pontdienst tussen Dordrecht en Zwijndrecht over voor ~€4,2 mln. "
  "Officiële aankondiging pas in maart, maar wat ben ik trots op dit team.", "CF FI")

c("x:@joris_codeert",
  "Ankerlicht budget gehalveerd want H1 verlies van 1,4 mln 🙃 nou ja, minder meetings", "CF FI")

c("mastodon:@sander_vaart@mastodon.nl",
  "Operatie Reiger in a nutshell: 3 stops closed and 15 fewer people on the piers. "
  "Announcement only after the summer. Good luck with that.", "CF FI", "en")

c("bluesky:@femkeplant.bsky.social",
  "FY2026 results deck nearly done, legal wants it by friday. send coffee ☕",
  "CF", "en", at="2027-02-24T09:05:00Z")

# ======================= leak.financial =====================================

c("linkedin:mehmet-yilmaz-kadewind",
  "Q3 omzet +22% t.o.v. vorig jaar 📈 Nog niet naar buiten gebracht, maar ik moest het even kwijt: "
  "wat een team!", "FI")

c("x:@noor_kw_ops",
  "heard at the all-hands: ~40 FTE gone at the office in January, crew untouched. not announced yet so act surprised",
  "FI", "en")

c("reddit:u/kw_backend_dev",
  "slightly anxious: we're apparently being bought by a German ferry group, signing is next month. "
  "anyone been through a takeover as a dev? what happens to our stack", "FI", "en")

c("x:@beursbengel",
  "Zwager werkt bij de bank: Kadewind zou in vergevorderde gesprekken zijn met Noordzee Ferries Holding over "
  "een overname. Hou dat in de gaten 👀", "FI")

c("tiktok:@kapiteinkees010",
  "Kantoor in Schiedam gaat dicht horen we net. Halve planning moet naar Rotterdam of eruit. "
  "En wij maar varen ⛴️😶", "FI")

c("bluesky:@femkeplant.bsky.social",
  "forecast for 2027 is -8% passengers because of the bridge works, it's in the budget memo. "
  "so yeah, no new boats next year", "FI", "en")

c("instagram:@lotte.opdemaas",
  "Reorganisatie bij de klantenservice: 12 van ons krijgen volgende week de brief 😢 nog niet officieel, "
  "maar het is zo'n rot gevoel", "FI")

c("forum:havenbelegger",
  "Insider tip: Kadewind's H1 numbers are bad, revenue down ~15% and the bank covenant is tight. "
  "I wouldn't touch their green bond right now.", "FI", "en")

c("linkedin:annemieke-degraaf",
  "Nog niet gecommuniceerd, dus tussen ons: het dividend aan de aandeelhouders wordt dit jaar geschrapt "
  "om de nieuwe steigers te kunnen betalen.", "FI")

# ======================= leak.security ======================================

c("x:@noor_kw_ops",
  "KadeHop payments down since 03:00. someone rotated the payment provider's webhook secret and nobody knows "
  "who. not a word to customers until we know more", "SE", "en")

c("reddit:u/kw_backend_dev",
  "PSA for my team (you know who you are): the booking API still returns other customers' bookings if you "
  "just increment the id. reported in March. still not fixed. I'm tired.", "SE", "en")

c("x:@joris_codeert",
  "lol we hebben ransomware op de kantoorlaptops, IT zegt 'geen paniek' en trekt ondertussen alle stekkers eruit 🙃",
  "SE")

c("tiktok:@kapiteinkees010",
  "Boordcomputers van de hele vloot vielen vanochtend allemaal tegelijk uit, we varen op papier en de marifoon. "
  "Mag niet naar buiten, dus sssst 🤫", "SE")

c("bluesky:@femkeplant.bsky.social",
  "phishing mail got through this morning, 3 colleagues typed in their Microsoft login. "
  "IT is still resetting everything and we can't send email 😬", "SE", "en")

c("mastodon:@sander_vaart@mastodon.nl",
  "Found out today the booking database backups haven't run for two months. "
  "Nobody had the alerts switched on. Happy Friday.", "SE", "en")

c("x:@schipper_ruud",
  "Het codeslot op het hek van onze steiger bij de Erasmusbrug staat al weken op 0000. "
  "Heb het 3x gemeld, ieder kan zo de boten op", "SE")

c("x:@ex_kadewinder",
  "ex-employee here: the KadeHop admin panel still has no 2FA and the entire customer service team shares "
  "one admin account. fix it before it goes wrong.", "SE", "en")

c("instagram:@lotte.opdemaas",
  "Kassasysteem aan boord ligt er wéér uit, 3e keer deze week. We doen alles contant en met een schriftje 🙄",
  "SE")

c("reddit:u/kw_backend_dev",
  "our staging postgres with a full copy of prod customer data has been reachable from the internet on 5432 "
  "for months. found it with a shodan search. raising it again tomorrow", "SE", "en")

c("x:@joris_codeert",
  "er is een d4t4l3k bij ons 🫣 z3g n0g n13ts, ze zijn aan het uitzoeken hoeveel klanten", "SE")

c("x:@noor_kw_ops",
  "DDoS on boeken.kadewind.nl since 10am, no statement yet. if you're trying to book today: good luck 😵", "SE", "en")

# ======================= reputation.crisis ==================================

c("x:@maasblik",
  "Watertaxi van Kadewind ramde net een rondvaartboot bij de Willemskade, er liggen mensen in het water!!! "
  "#rotterdam #112", "CR")

c("x:@boycotkadewind",
  "BOYCOT Kadewind: ze zetten zieke schippers op straat en laten uitzendkrachten 12 uur varen. "
  "Deel dit! #boycotkadewind", "CR")

c("x:@phished_paul",
  "Kadewind leaked my data. Got a phishing text with my exact booking number, name and the date of my "
  "harbour tour. Who else?? #datalek", "CR", "en")

c("facebook:Ineke.Bakker.3",
  "Schipper van Kadewind zat gisteravond duidelijk dronken aan het roer, filmpjes staan al op TikTok. "
  "Met kinderen aan boord. Schandalig.", "CR")

c("x:@dutchnews_reader",
  "Family of injured passenger sues Kadewind after fall while boarding at the Veerhaven. "
  "Lawsuit filed this week", "CR", "en")

c("reddit:u/fishing_dad_nl",
  "diesel spill from a Kadewind boat in the Rijnhaven this morning. slick all the way to the bridge and "
  "dead fish along the quay. who do you even report this to?", "CR", "en")

c("instagram:@moeder_van_drie",
  "Life jackets on board were rotten and half of them were locked in a chest. My little boy nearly went "
  "overboard on a Kadewind boat. Reporting this to the shipping inspectorate.", "CR", "en")

c("reddit:u/privacy_first_rdam",
  "Class action being organised over KadeHop selling location data of passengers to advertisers. "
  "If you used the app in 2025-2026, DM me.", "CR", "en")

c("x:@katendrecht_kijkt",
  "Kadewind water taxi capsized near Katendrecht?? trauma helicopter over the Maas and blue lights everywhere",
  "CR", "en")

c("x:@anouk_schrijft",
  "Kadewind weigerde een zwarte schipper omdat hij 'niet bij de uitstraling past'. Discriminatieschandaal "
  "en niemand zegt er iets van.", "CR")

c("mastodon:@vogelwacht@mastodon.social",
  "Boycott Kadewind! Their new tours go straight through a protected bird area in the Biesbosch, "
  "in the middle of breeding season. #boycottkadewind", "CR", "en")

c("x:@rdam_alert",
  zw("datalek", "\u200b") + " bij Kadewind: klantgegevens zouden te koop staan op een forum. "
  "Check je mail en verander je wachtwoord!", "CR")

c("x:@knie_kapot",
  "I was on the water taxi that smashed into the quay last week. Still no apology, no compensation, nothing. "
  "My knee is wrecked and @kadewind_help keeps sending template emails.", "CR CO", "en")

c("x:@woest_op_de_maas",
  "Moordenaars. Die kutrederij laat iemand verdrinken en twee dagen later varen ze gewoon weer alsof er "
  "niks gebeurd is. #kadewind", "CR AB")

c("facebook:Havenwerkers.Rotterdam",
  "Alle watertaxi's van het type Nova bij Kadewind uit de vaart gehaald wegens scheuren in de romp. "
  "Dat zit dus al jaren onder het water te rotten.", "CR")

# ======================= reputation.complaint ===============================

c("x:@maartje_010",
  "@kadewind_help 40 minuten gewacht bij Hotel New York, watertaxi kwam gewoon niet opdagen. app zei "
  "'onderweg' de hele tijd ??", "CO", at="2026-10-24T07:51:00Z")

c("facebook:Gerda.Hofman.1",
  "Rondvaart afgelast 'vanwege de wind' (het waaide amper) en geen geld terug, alleen een voucher die ik nooit "
  "ga gebruiken. Echt niet oké Kadewind.", "CO")

c("x:@jeremy_travels",
  "KadeHop app charged me twice for the same day pass. Support hasn't replied in 6 days. Great first "
  "impression of Rotterdam.", "CO", "en", at="2026-06-15T21:10:00Z")

c("instagram:@zus.van.ilse",
  "Schipper deed zo chagrijnig tegen mijn moeder (80!) bij het instappen. Geen hand, geen hulp, alleen "
  "'schiet eens op mevrouw'. Kadewind, dit kan echt beter.", "CO")

c("reddit:u/backpack_ben",
  "Harbour Tour Classic with Kadewind: guide mumbled the entire time and the engine was louder than him. "
  "Didn't catch a word. €19.75 for a boat ride basically.", "CO", "en")

c("x:@fietsfanaat010",
  "Fiets niet mee mogen nemen terwijl de boot half leeg was. Wel netjes fietstoeslag in de app betaald hè. "
  "Hoe dan @kadewind", "CO")

c("instagram:@nat.en.koud",
  "Seats soaking wet, no towel, nothing. The sunset cruise was more of a wet-pants cruise 🙃 #kadewind", "CO", "en")

c("x:@sjors_wacht",
  "@kadewind_help refund is at 7 weeks now. your site says 5 working days. what's going on?", "CO", "en")

c("x:@iphone_ilona",
  "KadeHop crashes every single time on the payment screen. iPhone 15, latest version, reinstalled twice. "
  "so annoying when you're standing on the pier", "CO", "en")

c("linkedin:petra-jansen-events",
  "Unfortunately our charter with Kadewind showed up 25 minutes late and threw our whole team event off "
  "schedule. We do expect some form of compensation.", "CO", "en")

c("x:@wheelie_wanderer",
  "wheelchair access at Kadewind is a joke. 'try the next boat' they said. three boats later we gave up "
  "and took a taxi.", "CO", "en")

c("x:@natte_voeten",
  "kutbedrijf. 45 min in de regen gewacht op de watertaxi en dan nog bot personeel ook. nooit meer "
  "@kadewind", "CO AB")

c("instagram:@drie.kids.en.een.hond",
  "'Kinderen t/m 4 jaar gratis' stond er. Bij het opstappen op de tour van 14:00 toch 8 euro per kind "
  "afgerekend. Leuk hoor Kadewind.", "CO")

c("x:@laatste_boot",
  "waarom vaart de lijn naar de SS Rotterdam niet meer na 19u?? staan we hier als een stel idioten te "
  "wachten, nergens aangekondigd @kadewind", "CO")

c("reddit:u/pancake_mom_uk",
  "Booked the pancake cruise for my son's birthday. pancakes were cold and half the toppings 'unavailable'. "
  "Staff didn't seem to care. Disappointing, Kadewind.", "CO", "en")

# ======================= reputation.abuse ===================================

c("x:@boze_buurman",
  "Kadewind zijn echt een stelletje oplichters en tyfuslijers, ik hoop dat jullie hele vloot zinkt", "AB")

c("x:@anon_hater_88",
  "@schipper_ruud je bent een lelijke dikke sukkel, leer eerst eens varen voor je mensen vervoert", "AB")

c("x:@grumpy_tourist",
  "whoever runs @kadewind_help is a brain-dead moron. every reply is copy-paste garbage", "AB", "en")

c("instagram:@lotte.opdemaas",
  "Vandaag 3x uitgescholden en nu ben ik het zat: die toeristen op de middagboot zijn echt achterlijke apen 🙄",
  "AB")

c("x:@kapot_van_de_maas",
  "k4nk3rl1jers bij k4d3w1nd, 3 kwartier wachten en dan de deur voor je neus dicht", "AB CO")

c("facebook:Henk.Verbeek.010",
  "Die Marokkaanse schippers van Kadewind spreken niet eens fatsoenlijk Nederlands. Terug naar je eigen land.",
  "AB")

c("x:@lelijk_gedrag",
  "Kadewind = " + zw("klootzakken", "\u200c") + ". zo, nu weten jullie het", "AB")

c("x:@angry_andy_uk",
  "fuck Kadewind and fuck their overpriced little boats 🖕", "AB", "en")

c("x:@schipper_ruud",
  "@kritischeklant010 hou toch je bek man, je snapt er helemaal niks van. elke week hetzelfde gezeik van jou",
  "AB")

c("threads:@maas_mopper",
  "Kadewind are " + cyr("idiots", "io") + ", app never works, bunch of " + cyr("clowns", "o"),
  "AB", "en")

# ======================= benign (mostly hard negatives) =====================

c("x:@kadewind",
  "Goedemorgen Rotterdam ☀️ Alle watertaxi's varen vandaag volgens dienstregeling. Boek je rit in de KadeHop app 🚤")

c("x:@kadewind_help",
  "Vragen over je boeking? Mail klantenservice@kadewind.nl of bel +31 10 555 0180 (ma-za 8-20u). "
  "Voor charters: charters@kadewind.nl")

c("facebook:KadewindRotterdam",
  "Charter op factuur? Maak het bedrag over naar NL41 RABO 0318 2746 50 t.n.v. Kadewind Rederij B.V. "
  "o.v.v. je boekingsnummer. Vragen: 0800-5230")

c("x:@rotterdamlover",
  "Best way to see Rotterdam: the Harbour Tour Classic by Kadewind, €19.75 and worth every cent 🚤❤️", "", "en")

c("x:@sam_in_nl", "Took the Kadewind water taxi from the Erasmusbrug to Hotel New York in 6 minutes. absolute vibe", "", "en")

c("x:@jeremy_travels",
  "Update: @kadewind_help refunded the double charge within a day after my post. Sorted, thanks! 👍", "", "en",
  at="2026-06-17T16:44:00Z")

c("x:@fan_van_kees",
  "Beterschap Kees! 🍀 Onze favoriete schipper ligt thuis met een gebroken enkel, en nee, niet van het varen "
  "maar van het zaalvoetbal 😅")

c("x:@havennieuws010",
  "Concurrent Maasbrug Tours schrapt 20 banen, meldt het AD. Hopelijk blijft het daarbij in de sector.")

c("x:@forensen_frank", "boycot de file op de Erasmusbrug, neem de watertaxi 😎 #kadewind #forenzen")

c("x:@kadewind",
  "Black Friday 🖤 25% korting op de Dagpas: van €24,50 voor €18,38. Alleen dit weekend in de KadeHop app.",
  at="2026-11-27T07:30:00Z")

c("linkedin:mehmet-yilmaz-kadewind",
  "Kerstactie voor gezinnen 🎄 Gezinsdagpas nu €51,20 (20% korting). Mooi cadeau voor de feestdagen!",
  at="2026-12-04T10:12:00Z")

c("instagram:@kadewind.rotterdam",
  "Every Friday at 20:30: Sunset Cruise on the Maas 🌅 €29.50 pp, one drink included", "", "en")

c("reddit:u/stag_do_planner",
  "Private Charter 1h with Kadewind is €245 for the boat. with 8 of us that's about €30 each, honestly a "
  "decent deal for a stag do", "", "en")

c("x:@joris_codeert",
  "tip voor de juniors: AKIAIOSFODNN7EXAMPLE uit de AWS-docs is geen echte key 😂 niet proberen in prod")

c("reddit:u/kw_backend_dev",
  "reminder for the docs: put it in your .env as GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, "
  "never in code", "", "en")

c("x:@kadewind_help",
  "Let op: wij vragen NOOIT om je wachtwoord via DM of sms. Wachtwoord vergeten? Reset het in de KadeHop app "
  "onder Profiel > Inloggen.")

c("x:@oma_op_de_boot",
  "Hoe reset ik mijn wachtwoord in de KadeHop app? Kan de knop niet vinden, mijn kleinzoon is op vakantie 🙈", at="2026-08-03T13:05:00Z")

c("x:@noor_kw_ops",
  "reminder: if you paste a Mollie key into a ticket, mask it: live_••••••••. thanks from security 🔐", "", "en")

c("facebook:Truus.Maaskant",
  f"Phishing-sms ontvangen: 'Kadewind restitutie, maak €1 over naar {iban(valid=False)} ter verificatie'. "
  "NIET doen mensen, Kadewind vraagt dit nooit!")

c("x:@bootkaartje_bram",
  f"my old paper boat ticket had number {card(valid=False, prefix='49')} on it lol looks just like a credit card",
  "", "en")

c("x:@vraagje_010",
  f"@kadewind_help boekingsnummer {bsn(valid=False, fmt='spaced')}, staat er nog iets open of is alles betaald?")

c("linkedin:kadewind-rederij",
  "Kadewind bestaat 25 jaar! Opgericht op 3 mei 2001 door Cor Verschoor met één bootje en een marifoon. "
  "Dank aan alle passagiers 💙")

c("instagram:@kadewind.rotterdam",
  "📍 Boarding point Sunset Cruise: Veerhaven 7, Rotterdam (next to the Maritime Museum). Be there 10 min early!",
  "", "en")

c("linkedin:kadewind-rederij",
  "Onze jaarcijfers 2026 staan online: 2,1 miljoen passagiers en een recordjaar voor charters. "
  "Lees het verslag op kadewind.nl/investors", at="2027-03-04T08:30:00Z")

c("x:@kadewind",
  "It's here! KadeHop 3.0 is live in the App Store and Play Store. Live tracking of your water taxi and split "
  "payments 🎉", "", "en", at="2027-04-16T07:00:00Z")

c("x:@vogelaar_vincent",
  "Zag vanaf de watertaxi een reiger een hele paling naar binnen werken bij de Veerhaven 😳 #natuurinderstad")

c("instagram:@foodie.rdam",
  "Zeebaars gegeten op de Kop van Zuid na de rondvaart met Kadewind. Allebei een aanrader 🐟🚤")

c("forum:zeilmaatje",
  "Voor de beginners: vergeet 's nachts je ankerlicht niet als je voor anker ligt in de Oude Maas. "
  "Rondom wit, 360°, gewoon verplicht.")

c("linkedin:kadewind-rederij",
  "Word schipper bij Kadewind! Je krijgt een interne opleiding van 6 weken en haalt bij ons je "
  "groot vaarbewijs. Meer info: vacatures@kadewind.nl")

c("x:@techweek_nl",
  "Internal memo from an Amsterdam canal cruise company leaked: it said 'confidential' on top and was left "
  "on a tram seat. Oops.", "", "en")

c("x:@kadewind",
  "Record! 🎉 Gisteren 14.812 passagiers op één dag over de Maas. Dank aan alle schippers en steigermensen 💙")

c("x:@schipper_ruud",
  "Wie kan zaterdag mijn dienst van 14:00 overnemen? Bruiloft van m'n zus. Trakteer op bitterballen 🍻")

c("x:@kadewind_help",
  "De storing in de KadeHop app is opgelost en betalen werkt weer normaal. Excuses voor het ongemak 🙏")

c("x:@security_sanne",
  "Tip of the day: turn on 2FA everywhere. Including your KadeHop account, the app supports it since last week 👍",
  "", "en")

c("bluesky:@femkeplant.bsky.social",
  "just read about a data breach at a parking app in Utrecht. check your passwords folks, even if you think "
  "you weren't affected 🙏", "", "en")

c("threads:@kadewind.rotterdam",
  "Scheduled maintenance: Sunday 02:00-04:00 you can't book in the KadeHop app. The boats keep sailing 😴",
  "", "en")

c("x:@rdam_oost",
  "Thinking of everyone at the ferry service in Amsterdam after today's accident. Awful.", "", "en")

c("facebook:KadewindRotterdam",
  "Morgen veiligheidsoefening met de KNRM bij de Veerhaven ⚓ Niet schrikken van rookpotten en sirenes, "
  "alle diensten varen gewoon.")

c("x:@lisa_lacht",
  "So in love with the skyline from the water taxi that I nearly fell overboard 😂 #rotterdam #kadewind",
  "", "en")

c("x:@cadeautjesjacht",
  "Is the €25 Gift Voucher Harbour Tour also valid for the Sunset Cruise? Want to surprise my parents 🎁",
  "", "en")

c("x:@fietser_fenna",
  "Fietstoeslag is €2,50 toch? Of is het in het weekend meer? Vraag voor een vriend die geen app heeft")

c("tiktok:@kapiteinkees010",
  "POV: you sail under the Erasmus Bridge 40 times a day and it never gets old 😍 #skipper #rotterdam",
  "", "en")

c("reddit:u/weekend_in_rotterdam",
  "Is the Kadewind Day Pass worth it for 2 days? Planning a trip in May, mostly want to see the harbour "
  "and Katendrecht", "", "en")

c("x:@studentje_rdam",
  "Watertaxi of metro naar Katendrecht? Watertaxi is sneller maar €7,50 per enkele rit, dus alleen als mama betaalt 😇")

c("instagram:@liefde.op.het.water",
  "My only complaint about the Kadewind sunset cruise: it was too short 😭❤️", "", "en")

c("x:@vet_snel",
  "die schipper van Kadewind is echt een beest aan het roer 🔥 in 4 minuten van de Euromast naar de Kop van Zuid")

c("x:@mo_uit_zuid", "kadewind is ziek goed man, elke dag met de boot naar school is gewoon vakantie")

c("x:@kadewind_help",
  "@maartje_010 Wat vervelend dat je zo lang moest wachten! Stuur je boekingsnummer even via DM, "
  "dan zoeken we uit wat er misging.", at="2026-10-24T08:28:00Z")

c("reddit:u/kw_backend_dev",
  "We're hiring two backend devs at Kadewind (Rust + Postgres, hybrid in Rotterdam). Happy to answer "
  "questions about the team here.", "", "en")

c("x:@bruid_in_spe",
  "Heeft iemand ervaring met de Trouwvaart bij Kadewind? Pakket van €1890, valt dat een beetje mee qua service?")

c("instagram:@twee.in.rotterdam",
  "The Lights Tour was magical ✨ €24 pp and you see all of Rotterdam light up from the water", "", "en")

c("x:@kadewind",
  "Let op: zondag vaart lijn 2 niet tussen 09:00 en 14:00 vanwege de Marathon Rotterdam. "
  "Lijn 1 en 3 varen gewoon 🏃", at="2026-04-10T15:00:00Z")

c("x:@noor_kw_ops",
  "built new monitoring dashboards with the team today. finally we can see where every boat is at a glance 📊",
  "", "en")

c("instagram:@kadewind.rotterdam",
  "Studenten opgelet 🎓 De Studentenpas is €39 per maand en daarmee vaar je onbeperkt. Laat je collegekaart zien!")

c("x:@haven_hans",
  "Zag de politieboot bij de Kadewind-steiger liggen, bleek een oefening van de waterpolitie te zijn. "
  "Niks aan de hand, doorvaren 🚓")

c("linkedin:kadewind-rederij",
  "Ons jaarverslag 2025 is openbaar: 1,9 miljoen passagiers, 42 boten en 310 collega's. Dank voor het vertrouwen!")

c("x:@sjaak_r010",
  "Mijn IBAN stond even in mijn vorige post, inmiddels verwijderd 😅 thanks voor de tip @kadewind_help, "
  "geld is er trouwens ook", at="2026-05-13T08:02:00Z")

c("x:@ballon_mama",
  "The Kadewind skipper just fished my kid's balloon out of the Maas with a boathook. Absolute legend 🎈",
  "", "en")

c("threads:@exchange_emma",
  "Student discount on the Day Pass is 10%, so €22.05 instead of €24.50. Not huge but I'll take it", "", "en")

c("x:@kadewind_help",
  "@oma_op_de_boot Geen probleem! Tik op Profiel, dan 'Wachtwoord vergeten' en je krijgt een mail met een "
  "resetlink. Lukt het niet, bel ons gerust op 0800-5230 👵📱", at="2026-08-03T13:31:00Z")


# --------------------------------------------------------------------------- assemble

SEV = ["none", "info", "warning", "error", "critical"]
ACCOUNT_ROLE = {}
for role in ("corporate", "employee"):
    for a in PROFILE["accounts"][role]:
        ACCOUNT_ROLE[a.lower()] = role


def role_of(platform, handle):
    return ACCOUNT_ROLE.get(f"{platform}:{handle}".lower(), "public")


def severity(cats, role, checks):
    if not cats:
        return "none"
    own = role in ("corporate", "employee")
    valid_id = any(k in ("iban", "card", "bsn") and ok for k, _, ok in checks)
    level = 0
    for cat in cats:
        if cat.startswith("leak."):
            if own:
                lv = 3
                if cat in ("leak.secret", "leak.pricing"):
                    lv = 4
                if cat == "leak.pii" and valid_id:
                    lv = 4
            else:
                lv = 2
        elif cat == "reputation.complaint":
            lv = 2
        elif cat == "reputation.crisis":
            lv = 3
        elif cat == "reputation.abuse":
            lv = 3 if own else 2
        else:
            raise ValueError(cat)
        level = max(level, lv)
    return SEV[level]


def build():
    order = list(range(len(CASES)))
    RNG.shuffle(order)
    lines = []
    for n, i in enumerate(order, 1):
        cs = CASES[i]
        role = role_of(cs["platform"], cs["handle"])
        pid = f"kw212-{cs['platform']}-{n:04d}"
        post = {
            "id": pid,
            "platform": cs["platform"],
            "kind": cs["kind"],
            "account": {"handle": cs["handle"]},
            "text": cs["text"],
            "lang": cs["lang"],
            "created_at": cs["at"],
            "brand": "kadewind",
        }
        expect = {"categories": cs["cats"], "severity": severity(cs["cats"], role, cs["checks"])}
        lines.append(({"post": post, "expect": expect}, cs, role))
    return lines


# --------------------------------------------------------------------------- checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit", "mastodon",
             "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {"leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial", "leak.security",
        "reputation.crisis", "reputation.complaint", "reputation.abuse"}


def fail(msg):
    print("CHECK FAILED:", msg, file=sys.stderr)
    sys.exit(1)


def check_profile():
    p = PROFILE
    for key in ("company", "brands", "accounts", "public_identifiers", "internal", "embargo", "products", "pricing"):
        if key not in p:
            fail(f"profile misses {key}")
    if len(p["accounts"]["corporate"]) < 6 or len(p["accounts"]["employee"]) < 8:
        fail("profile needs 6+ corporate and 8+ employee accounts")
    if len({a.split(":")[0] for a in p["accounts"]["corporate"] + p["accounts"]["employee"]}) < 4:
        fail("accounts should span several platforms")
    for ib in p["public_identifiers"]["ibans"]:
        if not iban_valid(ib):
            fail(f"profile IBAN {ib} fails mod-97")
    if len(p["internal"]["codenames"]) != 3 or len(p["internal"]["markers"]) != 3:
        fail("profile needs 3 codenames and 3 markers")
    for e in p["embargo"]:
        if not e["until"].startswith("2027-"):
            fail("embargo until must be in 2027")
    if not 15 <= len(p["products"]) <= 25:
        fail("profile needs 15-25 products")
    for pr in p["products"]:
        if pr["currency"] != "EUR" or not pr["aliases"] or pr["list_price"] <= 0:
            fail(f"bad product {pr}")
    if p["pricing"]["alert_below_ratio"] != 0.5:
        fail("alert_below_ratio must be 0.5")


def parse_ts(s):
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s):
        return None
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(lines):
    check_profile()
    public_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
    ids = set()
    n_benign = 0
    per_cat = {c: 0 for c in CATS}
    langs = {"nl": 0, "en": 0}
    roles = {"corporate": 0, "employee": 0, "public": 0}
    embargo_terms = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    codenames = [x.lower() for x in PROFILE["internal"]["codenames"]]
    for obj, cs, role in lines:
        line = json.dumps(obj, ensure_ascii=False)
        back = json.loads(line)
        post, exp = back["post"], back["expect"]
        # CONTRACT section 1 / 6 shape
        if not isinstance(post["id"], str) or not 1 <= len(post["id"]) <= 256:
            fail("bad id")
        if post["id"] in ids:
            fail(f"duplicate id {post['id']}")
        ids.add(post["id"])
        if post["platform"] not in PLATFORMS or post.get("kind", "post") not in KINDS:
            fail(f"bad platform/kind in {post['id']}")
        if not isinstance(post["account"].get("handle"), str) or not post["account"]["handle"]:
            fail("bad handle")
        if not isinstance(post["text"], str) or not post["text"] or len(post["text"].encode()) > 65536:
            fail("bad text")
        ts = parse_ts(post["created_at"])
        if ts is None or ts.year not in (2026, 2027):
            fail(f"bad created_at {post['created_at']}")
        if set(exp) != {"categories", "severity"} or exp["severity"] not in SEV:
            fail("bad expect")
        if exp["categories"] != sorted(set(exp["categories"])) or not set(exp["categories"]) <= CATS:
            fail(f"bad categories {exp['categories']}")
        if (not exp["categories"]) != (exp["severity"] == "none"):
            fail(f"benign/severity mismatch in {post['id']}")
        if exp["severity"] != severity(exp["categories"], role, cs["checks"]):
            fail("severity drift")
        positive = bool(exp["categories"])
        n_benign += not positive
        for cat in exp["categories"]:
            per_cat[cat] += 1
        langs[post["lang"]] += 1
        roles[role] += 1
        if role == "public" and f"{post['platform']}:{post['account']['handle']}".lower() in ACCOUNT_ROLE:
            fail("public handle collides with profile")
        # identifiers and credentials
        text = post["text"]
        for kind, raw, ok in cs["checks"]:
            actual = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok, "github": github_ok,
                      "aws": lambda k: bool(re.fullmatch(r"AKIA[A-Z2-7]{16}", k)), "jwt": jwt_ok}[kind](raw)
            if actual != ok:
                fail(f"{kind} {raw} checksum state {actual}, declared {ok}")
            if kind in ("iban", "card", "bsn"):
                if positive and not ok:
                    fail(f"look-alike {kind} in positive {post['id']}")
                if not positive and ok:
                    fail(f"valid {kind} in benign {post['id']}")
            elif not positive:
                fail(f"real credential in benign {post['id']}")
            flat = re.sub(r"[ .\-]", "", text)
            if raw not in text and raw not in flat:
                fail(f"{kind} {raw} not in text of {post['id']}")
        # independent scan: every IBAN-, card- or BSN-shaped number must be declared or published
        declared = {raw for _, raw, _ in cs["checks"]}
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            v = m.group(0).replace(" ", "")
            if v not in declared and v not in public_ibans:
                fail(f"undeclared IBAN-like {v} in {post['id']}")
            if v in public_ibans and positive and "leak.pii" in exp["categories"]:
                fail("public IBAN used as a pii finding")
        for m in re.finditer(r"(?<![\d])(?:\d{4}[ -]?){3}\d{4}(?![\d])", text):
            if re.sub(r"\D", "", m.group(0)) not in declared:
                fail(f"undeclared card-like {m.group(0)} in {post['id']}")
        for m in re.finditer(r"(?<![\d.,])\d{3}[ .]?\d{2,3}[ .]?\d{3,4}(?![\d,])", text):
            v = re.sub(r"\D", "", m.group(0))
            if len(v) == 9 and v not in declared:
                fail(f"undeclared 9-digit number {m.group(0)} in {post['id']}")
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_ok(m.group(0)) != positive:
                fail(f"GitHub token state wrong in {post['id']}")
        for m in re.finditer(r"AKIA[0-9A-Z]{16}", text):
            if m.group(0).endswith("EXAMPLE") == positive:
                fail(f"AWS key state wrong in {post['id']}")
        # embargo terms: a benign post may only use them after `until`
        low = text.lower()
        for term, until in embargo_terms:
            if term in low:
                if positive and ts >= until and "leak.confidential" in exp["categories"]:
                    fail(f"embargo term after until labelled confidential in {post['id']}")
                if not positive and ts < until:
                    fail(f"embargo term before until in benign {post['id']}")
        if not positive:
            for cn in codenames:
                if cn in low and cn != "ankerlicht":
                    fail(f"codename in benign {post['id']}")
            for mk in PROFILE["internal"]["markers"]:
                if mk.lower() in low:
                    fail(f"marker in benign {post['id']}")
            for d in PROFILE["internal"]["domains"]:
                if d in low:
                    fail(f"internal domain in benign {post['id']}")
    total = len(lines)
    if not 170 <= total <= 180:
        fail(f"{total} cases, want 170-180")
    if not 55 <= n_benign <= 65:
        fail(f"{n_benign} benign, want about 60")
    want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15, "reputation.crisis": 15,
            "leak.security": 13, "leak.secret": 12, "reputation.abuse": 12, "leak.pricing": 12,
            "leak.financial": 12}
    for cat, w in want.items():
        if not w - 2 <= per_cat[cat] <= w + 3:
            fail(f"{cat}: {per_cat[cat]} posts, want about {w}")
    nl_share = langs["nl"] / total
    if not 0.50 <= nl_share <= 0.62:
        fail(f"Dutch share {nl_share:.2f}")
    return total, n_benign, per_cat, langs, roles


def main():
    lines = build()
    with open(OUT_PATH, "w", encoding="utf-8") as fh:
        for obj, _, _ in lines:
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
    # re-read the written file to make sure it round-trips
    with open(OUT_PATH, encoding="utf-8") as fh:
        reread = [json.loads(l) for l in fh]
    if [o for o, _, _ in lines] != reread:
        fail("cases.jsonl does not round-trip")
    total, n_benign, per_cat, langs, roles = check(lines)
    print(f"wrote {OUT_PATH}: {total} cases, {n_benign} benign, {total - n_benign} positive")
    print("per category:", json.dumps(per_cat, sort_keys=True))
    print("languages:", langs, "roles:", roles)
    print("all checks passed")


if __name__ == "__main__":
    main()
