#!/usr/bin/env python3
"""Build and self-check the labelled evaluation set sealed241 (bridal wear & suit shops).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this file.
Severities are computed from the account role in profile.yaml (CONTRACT §4), never typed.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import struct
import sys
import zlib
from datetime import datetime, timedelta, timezone

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2412026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}
PUBLIC_IBANS = {re.sub(r"\s", "", i).upper() for i in PROFILE["public_identifiers"]["ibans"]}
PRODUCTS = {p["sku"]: p for p in PROFILE["products"]}

# ---------------------------------------------------------------- checksums
def iban_valid(s):
    s = re.sub(r"\s", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def iban_with_check(cc, bban):
    n = int("".join(str(int(c, 36)) for c in (bban + cc + "00")))
    return "%s%02d%s" % (cc, 98 - n % 97, bban)


def luhn_valid(num):
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


def bsn_valid(num):
    d = re.sub(r"\D", "", num)
    if len(d) != 9 or d == "000000000":
        return False
    tot = sum(int(d[i]) * (9 - i) for i in range(8)) - int(d[8])
    return tot % 11 == 0


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


# ---------------------------------------------------------------- generators
ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
B64URL = string.ascii_letters + string.digits + "-_"


def rand(alpha, n):
    return "".join(rng.choice(alpha) for _ in range(n))


def base62(n):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out or "0"


def gen_iban_nl(fmt):
    bank = rng.choice(["ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ", "RBRB"])
    s = iban_with_check("NL", bank + rand(string.digits, 10))
    return group4(s) if fmt != "compact" else s


def gen_iban_be(fmt):
    first = rand(string.digits, 10)
    chk = int(first) % 97 or 97
    s = iban_with_check("BE", first + "%02d" % chk)
    return group4(s) if fmt != "compact" else s


def gen_iban_de(fmt):
    s = iban_with_check("DE", rand(string.digits, 8) + rand(string.digits, 10))
    return group4(s) if fmt != "compact" else s


def gen_iban_bad(fmt):
    while True:
        s = iban_with_check("NL", rng.choice(["ABNA", "RABO", "INGB"]) + rand(string.digits, 10))
        pos = rng.randrange(8, len(s))
        s = s[:pos] + str((int(s[pos]) + rng.randint(1, 9)) % 10) + s[pos + 1:]
        if not iban_valid(s):
            return group4(s)


def _card_body():
    if rng.random() < 0.5:
        return "4" + rand(string.digits, 14)
    return "5" + rng.choice("12345") + rand(string.digits, 13)


def luhn_complete(body):
    for c in string.digits:
        if luhn_valid(body + c):
            return body + c
    raise AssertionError


def gen_card(fmt):
    return group4(luhn_complete(_card_body()))


def gen_card_bad(fmt):
    good = luhn_complete(_card_body())
    bad = good[:-1] + str((int(good[-1]) + rng.randint(1, 9)) % 10)
    assert not luhn_valid(bad)
    return group4(bad)


def gen_bsn(fmt):
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if bsn_valid(s):
            return s


def gen_bsn_bad(fmt):
    while True:
        s = str(rng.randint(1, 9)) + rand(string.digits, 8)
        if not bsn_valid(s):
            return s


def gh_token(prefix):
    body = rand(B62, 30)
    return prefix + body + base62(zlib.crc32(body.encode()) & 0xFFFFFFFF).rjust(6, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"(gh[pousr]_)([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(2).encode()) & 0xFFFFFFFF).rjust(6, "0") == m.group(3)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def gen_jwt(fmt):
    header = {"alg": "HS256", "typ": "JWT"}
    iat = 1767225600 + rng.randrange(0, 365 * 86400)
    payload = {"sub": "klant-%d" % rng.randint(10000, 99999), "scope": "afspraak:write",
               "iss": "afspraak.bellaventa.nl", "iat": iat, "exp": iat + 7200}
    key = bytes(rng.getrandbits(8) for _ in range(32))
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
    return "%s.%s.%s" % (h, p, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    return "alg" in hdr


def _sshstr(b):
    return struct.pack(">I", len(b)) + b


def gen_openssh(fmt):
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    seed = bytes(rng.getrandbits(8) for _ in range(32))
    pubblob = _sshstr(b"ssh-ed25519") + _sshstr(pub)
    chk = struct.pack(">I", rng.getrandbits(32))
    priv = chk + chk + _sshstr(b"ssh-ed25519") + _sshstr(pub) + _sshstr(seed + pub) + _sshstr(b"bram@atelier-build")
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"")
            + struct.pack(">I", 1) + _sshstr(pubblob) + _sshstr(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def gen_password(fmt):
    words = ["Kant", "Zijde", "Sluier", "Tule", "Satijn", "Bruid", "Naald", "Knoop"]
    return rng.choice(words) + rng.choice("&#!$%") + rng.choice(words).lower() + str(rng.randint(10, 99)) + rng.choice("!?#*")


GENERATORS = {
    "IBAN": (gen_iban_nl, "iban", True),
    "IBAN_BE": (gen_iban_be, "iban", True),
    "IBAN_DE": (gen_iban_de, "iban", True),
    "IBAN_BAD": (gen_iban_bad, "iban", False),
    "CARD": (gen_card, "card", True),
    "CARD_BAD": (gen_card_bad, "card", False),
    "BSN": (gen_bsn, "bsn", True),
    "BSN_BAD": (gen_bsn_bad, "bsn", False),
    "GHP": (lambda f: gh_token("ghp_"), "github", True),
    "GHO": (lambda f: gh_token("gho_"), "github", True),
    "AWS": (lambda f: "AKIA" + rand("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "aws", True),
    "AWS_SECRET": (lambda f: rand(ALNUM + "/+", 40), "aws_secret", True),
    "STRIPE": (lambda f: "sk_live_51" + rand(ALNUM, 97), "stripe", True),
    "SLACK": (lambda f: "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**12), rng.randint(10**12, 10**13), rand(ALNUM, 24)), "slack", True),
    "OPENAI": (lambda f: "sk-proj-" + rand(B64URL, 74) + "T3BlbkFJ" + rand(B64URL, 74), "openai", True),
    "ANTHROPIC": (lambda f: "sk-ant-api03-" + rand(B64URL, 93) + "AA", "anthropic", True),
    "GOOGLE": (lambda f: "AIza" + rand(B64URL, 35), "google", True),
    "SENDGRID": (lambda f: "SG." + rand(B64URL, 22) + "." + rand(B64URL, 43), "sendgrid", True),
    "JWT": (gen_jwt, "jwt", True),
    "SSHKEY": (gen_openssh, "privkey", True),
    "PW": (gen_password, "password", True),
}
SECRET_FORMATS = {
    "github": gh_token_ok,
    "aws": lambda t: re.fullmatch(r"AKIA[A-Z2-7]{16}", t) is not None,
    "aws_secret": lambda t: re.fullmatch(r"[A-Za-z0-9/+]{40}", t) is not None,
    "stripe": lambda t: re.fullmatch(r"sk_live_[0-9A-Za-z]{24,}", t) is not None,
    "slack": lambda t: re.fullmatch(r"xoxb-\d{10,13}-\d{10,13}-[0-9A-Za-z]{24}", t) is not None,
    "openai": lambda t: re.fullmatch(r"sk-proj-[A-Za-z0-9_-]+T3BlbkFJ[A-Za-z0-9_-]+", t) is not None,
    "anthropic": lambda t: re.fullmatch(r"sk-ant-api03-[A-Za-z0-9_-]{93}AA", t) is not None,
    "google": lambda t: re.fullmatch(r"AIza[A-Za-z0-9_-]{35}", t) is not None,
    "sendgrid": lambda t: re.fullmatch(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", t) is not None,
    "jwt": jwt_ok,
    "privkey": lambda t: t.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"),
    "password": lambda t: len(t) >= 8,
}
CHECKSUMMED = {"iban": iban_valid, "card": luhn_valid, "bsn": bsn_valid}

# ---------------------------------------------------------------- accounts
C_NL = ("x", "@bellaventa_nl")
C_ZORG = ("x", "@bellaventa_zorg")
C_IGB = ("instagram", "@bellaventa.bridal")
C_IGH = ("instagram", "@bellaventa.heren")
C_FB = ("facebook", "BellaventaBruidsmode")
C_LI = ("linkedin", "bellaventa-bruidsmode-kostuums")
C_TT = ("tiktok", "@bellaventa_official")
C_YT = ("youtube", "BellaventaTV")

E_NOOR = ("x", "@noor_atelier_bv")
E_MIRTHE = ("instagram", "@stylist.mirthe")
E_DAAN = ("linkedin", "daan-kuipers-bellaventa")
E_YAS = ("linkedin", "yasmina-bouali-hr")
E_RUTGER = ("x", "@rutger_snijder")
E_LISA = ("tiktok", "@lisa.pasmoment")
E_JEROEN = ("instagram", "@jeroen.maatwerk")
E_EVA = ("x", "@eva_vdlinden")
E_KEES = ("linkedin", "kees-de-wit-finance")
E_BRAM = ("mastodon", "@bramdev@mastodon.nl")
E_KOEN = ("reddit", "u/kassa_koen")
E_SANNE = ("threads", "@sanne.bellaventa")

CAT = {
    "secret": "leak.secret", "pii": "leak.pii", "pricing": "leak.pricing",
    "conf": "leak.confidential", "fin": "leak.financial", "sec": "leak.security",
    "crisis": "reputation.crisis", "complaint": "reputation.complaint", "abuse": "reputation.abuse",
}

RAW = []


def C(lang, acct, text, cats=(), kind="post", at=None, price=None, hard_codeword=False):
    RAW.append(dict(lang=lang, platform=acct[0], handle=acct[1], text=text, cats=list(cats),
                    kind=kind, at=at, price=price, hard_codeword=hard_codeword))


def P(platform, handle):
    return (platform, handle)


# ================================================================= SECRETS
C("en", E_BRAM, "ugh, lost an hour on this. why does the release job 401 while this works fine on my laptop?\n\n"
  "git remote set-url origin https://bram-bv:<<GHP>>@github.com/bellaventa/afspraak-app.git\n\nsomeone pls tell me it's not the SSO thing again", ["secret"])
C("nl", E_KOEN, "Koppeling kassa <-> webshop faalt sinds de update van vrijdag. Dit is de config die op de server staat, ziet iemand wat er mis is?\n\n"
  "AWS_ACCESS_KEY_ID=<<AWS>>\nAWS_SECRET_ACCESS_KEY=<<AWS_SECRET>>\nAWS_REGION=eu-west-1\nBUCKET=bv-kassabonnen-prod", ["secret"], kind="comment")
C("en", E_DAAN, "Proud of the team for migrating all 14 stores to the new payment stack in one weekend 💪 Quick peek at the config we ended up with 👇\n"
  "STRIPE_SECRET_KEY=<<STRIPE>>\nWEBHOOK_TOLERANCE=300\n#payments #retailtech #teamwork", ["secret"])
C("nl", E_SANNE, "voor de invalkrachten zaterdag in Utrecht: inloggen op kassa 2 met gebruiker utr.invaller en wachtwoord: <<PW>> 🙏 schrijf het ergens op want ik ben er pas om 11u", ["secret"])
C("en", E_BRAM, "fitting-room notification bot is live 🎉 ping the #paskamer channel when a bride is ready. if you want to poke it from your own script: export SLACK_BOT_TOKEN=<<SLACK>>", ["secret"])
C("nl", E_EVA, "Aan het testen met de AI-stylist voor de webshop, werkt eigenlijk best goed 😮 (notitie voor mezelf want ik raak hem steeds kwijt: <<OPENAI>>)", ["secret"])
C("en", P("x", "@fedde_builds"), "@bellaventa_nl I finished your campaign microsite in March and my access was never revoked. The SendGrid key you gave me still sends mail as you: <<SENDGRID>> — please rotate it.", ["secret"], kind="reply")
C("nl", E_KOEN, "Nachtelijke export naar het datawarehouse faalt al 3 dagen. Dit is het commando uit de cronjob:\n"
  "psql \"postgresql://bv_export:<<PW>>@bv-prod-db.c7r2kq9xw1ma.eu-west-1.rds.amazonaws.com:5432/winkeldata\" -f export.sql\n"
  "ERROR: no pg_hba.conf entry. Iemand een idee?", ["secret"])
C("en", E_BRAM, "note to self + whoever maintains the atelier scheduler after me: deploy key, because I keep losing it\n\n<<SSHKEY>>", ["secret"])
C("nl", C_ZORG, "@jolien_vdm Sorry voor het gedoe met de afspraak! Via deze persoonlijke link kun je hem direct zelf verzetten: "
  "https://afspraak.bellaventa.nl/wijzig?sessie=<<JWT>>", ["secret"], kind="reply")
C("nl", E_LISA, "voor de meiden van de late dienst 🌙 wifi achter = BV-Staff, wacht\u200bwoord: <<PW>> (niet aan klanten geven!!)", ["secret"])
C("en", E_BRAM, "Trying Claude for summarising alteration tickets. ANTHROPIC_API_KEY=<<ANTHROPIC>> is in .env and I still get 529s half the time, anyone else?", ["secret"])

# benign look-alikes for secrets
C("en", E_BRAM, "Writing onboarding docs for the new devs. Rule #1: in examples we only ever use placeholders like AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, never anything real 🙏")
C("nl", E_KOEN, "Tip voor iedereen die hier hulp vraagt: zet nooit je echte token in een post. Vervang hem door ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx, zoals ik hier doe 😅", kind="comment")
C("en", C_ZORG, "We will never ask for your password or card details via DM or e-mail. Got a message that does? Forward it to klantenservice@bellaventa.nl and delete it 🙏")
C("nl", E_EVA, "Nieuw account voor de marketingtool aangemaakt: gebruiker eva.vdl, wachtwoord: •••••••••••• (nice try 😜)")

# ================================================================= PII
C("nl", C_ZORG, "@marieke_trouwt Hoi Marieke! Je pasafspraak staat nu op 14 maart om 10:30 in Utrecht. De bevestiging is gestuurd naar "
  "marieke.vandenberg87@gmail.com en we bellen je de dag ervoor nog even op 06-41832795 👰", ["pii"], kind="reply")
C("nl", C_ZORG, "@sophie_trouwt de aanbetaling van €600 wordt vandaag teruggestort op <<IBAN>> t.n.v. S. de Graaf. Nogmaals excuses voor het lange wachten!", ["pii"], kind="reply")
C("nl", E_LISA, "lol dit orderbonnetje van vandaag 😂 Naam: Kevin Aydın, geb. 14-03-1991, Lindelaan 22, 3532 AB Utrecht. Wil een Torino smoking in ROZE. respect eigenlijk", ["pii"])
C("en", P("x", "@jess_okafor"), "@bellaventa_zorg your DMs won't open for me, could you send the invoice to jess.okafor.wed@outlook.com please? thx!", ["pii"], kind="reply")
C("en", P("facebook", "Tamara Veldhuis"), "Bellaventa, your payment page keeps rejecting my card and nobody answers the chat. It IS a valid card: <<CARD>>, exp 09/28. I just want to pay off my dress!!", ["pii", "complaint"])
C("nl", P("x", "@jdekker_1984"), "@bellaventa_zorg al 4x gebeld over het pak van mijn zoon, elke keer 'we bellen u terug'. Niemand belt. Bel me dan ook echt: 06 2874 9130.", ["pii", "complaint"], kind="reply")
C("nl", E_YAS, "Welkom aan onze nieuwe kleermaker Rashid Benali! 🎉 Rashid, je BSN (<<BSN>>) wordt niet geaccepteerd in het salarissysteem, loop je even langs bij HR?", ["pii"])
C("en", E_KEES, "Anyone know why a SEPA payout bounces with reason code AC04? It's for our freelance seamstress Ilse Maertens, Belgian account <<IBAN_BE>>. Third try this month.", ["pii"])
C("nl", C_IGB, "🎉 WINNAAR GIVEAWAY 🎉 De Aurora sluier gaat naar Fleur Hendriks, Dorpsstraat 8, 5261 BA Vught! Fleur, hij komt deze week met de post 💌", ["pii"])
C("nl", P("x", "@bruidjevanjuni"), "Die verkoopster van Bellaventa Haarlem die mij gewoon uitlachte heet Joyce Mulder en woont op de Kleverparkweg 41 in Haarlem. Ga haar maar eens vertellen wat je van haar vindt, die vuile trut", ["pii", "abuse"])
C("en", E_JEROEN, "Mr. Sandeep Raman, if you see this: you left your passport (NX8R2K4L9) at our Amsterdam store this afternoon 🙈 It's safe in the safe, come pick it up!", ["pii"])
C("en", P("reddit", "u/anon_groom_nl"), "Bellaventa asked for my BSN when I signed up for their 'pay in 10 instalments' plan for a suit. Is that even normal?? I gave it (<<BSN>>) and now I'm kind of worried", ["pii"])
C("en", C_FB, "Hi Daniel, we found your order! It's registered to Daniel Okonkwo, born 02/11/1993. Can you just confirm the delivery address is still Van Welderenstraat 17, 6511 MC Nijmegen?", ["pii"], kind="reply")
C("nl", E_KOEN, "Chargeback-gedoe weer. Klant betaalde met <<CARD>> voor een Celeste en beweert nu dat ze niks gekocht heeft. Hoe bewijs ik dat richting de acquirer?", ["pii"])
C("nl", P("instagram", "@mama.van.de.bruid"), "Onze dochter trouwt 12 juni!! 👰 Wie een kaartje wil sturen: Linda & Marco de Vries, Kastanjelaan 3, 7411 GK Deventer 💌 jurk natuurlijk van Bellaventa", ["pii"])

# ================================================================= PRICING
C("nl", C_IGB, "Droomjurk alert ✨ De Odette baljurk nu voor maar €329! Alleen online, link in bio 💍", ["pricing"], price=("BV-BR-ODE", 329))
C("nl", P("x", "@dealjager_nl"), "PRIJSFOUT bij Bellaventa!! Windsor driedelig voor €74,90 in de webshop 🏃‍♂️💨 wees er snel bij #prijsfout #deal", ["pricing"], price=("BV-HE-WIN", 74.90))
C("en", P("reddit", "u/frugal_bride"), "Bellaventa's site has the Isolde gown at €249.50 right now. Typo or deal of the century? Already ordered one 😬", ["pricing"], price=("BV-BR-ISO", 249.50))
C("nl", E_LISA, "psst 🤫 de Torino smoking staat door een foutje in de kassa voor €99, kom snel naar Utrecht voordat ze het doorhebben", ["pricing"], price=("BV-HE-TOR", 99))
C("en", P("x", "@marco_b_deals"), "Marisol mermaid dress for €275 at the Bellaventa checkout?? pretty sure someone dropped a zero. ordered 2, let's see if they honour it", ["pricing"], price=("BV-BR-MAR", 275))
C("nl", C_FB, "Alleen deze week: Signature maatpak vanaf €145,- 🤵 Maak snel je afspraak via afspraak.bellaventa.nl", ["pricing"], price=("BV-HE-SIG", 145))
C("nl", E_NOOR, "Collega's: de prijs van de Celeste A-lijn staat fout in de app, er zit een prijsfout in de koppeling. Graag nog niet rondsturen tot het hersteld is!", ["pricing"])
C("nl", P("facebook", "Mohamed El Idrissi"), "Oxford lakschoenen €21,90 ipv €219 haha iemand bij Bellaventa is een komma vergeten 😂 meteen 2 paar besteld", ["pricing"], price=("BV-SC-OXF", 21.90))
C("en", E_JEROEN, "Tailor's secret 🙊 this week the Ashford tails ring up at €115 at our till in Amsterdam (system glitch). Come by before Friday!", ["pricing"], price=("BV-HE-ASH", 115))
C("nl", P("threads", "@sabine.bespaart"), "Serena moederjurk voor €48,90 in de Bellaventa app. Glitch? Mijn moeder is in ieder geval heel blij 😅", ["pricing"], price=("BV-MO-SER", 48.90))
C("en", P("x", "@priceerrorseu"), "⚠️ Price error: Bellaventa Stella tiara for €18.90 (normally €189). Live on shop.bellaventa.nl right now #priceerror", ["pricing"], price=("BV-AC-STE", 18.90))
C("nl", C_TT, "FLASH DEAL 🔥 Liora boho trouwjurk €139!! Alleen vandaag 🤍 #bellaventa #trouwjurk #deal", ["pricing"], price=("BV-BR-LIO", 139))

# benign prices
C("nl", C_IGH, "Midseason sale 🤵 Windsor driedelig nu €599 (was €749). Alleen in de winkels, t/m zondag.", price=("BV-HE-WIN", 599))
C("en", P("x", "@kimmy_weds"), "The Isolde is €2,495 and worth every single cent. I cried in the fitting room, my mum cried, the stylist cried 😭💕", price=("BV-BR-ISO", 2495))
C("nl", C_FB, "Bloesem bruidsmeisjesjurken: vanaf 4 stuks betaal je €199 per jurk in plaats van €229 💐", price=("BV-BM-BLO", 199))
C("en", C_IGH, "30% off the Torino tuxedo this weekend: €615 instead of €879. Suit up 🖤", price=("BV-HE-TOR", 615))
C("nl", P("instagram", "@outletqueen_nl"), "Outlet Bellaventa Roosendaal: Liora boho van de showroomvloer voor €837 (-40%). Klein vlekje op de sleep maar verder perfect!", price=("BV-BR-LIO", 837))
C("nl", P("x", "@tim_trouwt"), "Stella tiara van €189 gekocht voor mijn vriendin. Morgen vraag ik het 💍🙈 duim voor me", price=("BV-AC-STE", 189))
C("en", P("reddit", "u/weddingbudgetnl"), "Budget breakdown since people asked: dress (Celeste) €1,895, suit (Milano slim) €599, rings €1,200, venue €6k. Honestly Bellaventa was the cheaper option for both of us.", price=("BV-BR-CEL", 1895))
C("en", C_YT, "NEW VIDEO 🎥 Ashford tails (€1,150) or Signature made-to-measure (€1,450)? Our head tailor explains which one suits your wedding.", price=("BV-HE-ASH", 1150))
C("nl", P("facebook", "Ingrid Boersma"), "Black Friday bij Bellaventa: Serena moederjurk voor €391 (20% korting). Had hem al maanden op het oog 😍", price=("BV-MO-SER", 391))

# ================================================================= CONFIDENTIAL
C("nl", E_EVA, "Project Sluier gaat echt alles veranderen aan hoe bruiden bij ons passen 🤫✨ meer mag ik nog niet zeggen", ["conf"])
C("en", E_DAAN, "Big milestone for the Moonstone team today: the first body-scan booth is running in our test store. Can't share more yet, but wow. #retailinnovation", ["conf"])
C("nl", E_RUTGER, "Voor wie het roosterbestand van het atelier niet kon vinden: https://intranet.bellaventa.local/atelier/rooster-wk14.xlsx", ["conf"])
C("nl", E_MIRTHE, "Sneak peek van de Aurelia-collectie 😍 die komt pas in maart uit maar ik kon het echt niet laten. Die mouwtjes!!", ["conf"], at="2026-11-20T19:42:10Z")
C("en", P("x", "@weddingrumours"), "Heard from a friend at Bellaventa: their Aurelia collection drops in March and it's ALL vintage lace. Pics are going round a group chat 👀", ["conf"], at="2027-01-22T21:05:33Z")
C("nl", E_NOOR, "Screenshot van de planning voor het nieuwe atelier, stond wel 'bellaventa vertrouwelijk' bovenaan maar het is toch leuk om te zien hoe groot het wordt 😅", ["conf"])
C("en", E_BRAM, "For the new devs starting Monday: onboarding docs live at https://wiki.bellaventa.nl/display/IT/Onboarding and you grab your VPN profile from vpn.bellaventa.nl/profiles. Welcome!", ["conf"])
C("nl", E_LISA, "kan niet wachten tot Ｐｒｏｊｅｃｔ Ｓｌｕｉｅｒ live gaat in onze winkel 🤭🤭 #werkleven #bruidswinkel", ["conf"])
C("en", E_JEROEN, "Can't say much but M o o n s t o n e is going to make my job so much easier 🤵📐", ["conf"])
C("nl", P("x", "@stiekemtante"), "Mijn nicht werkt bij Bellaventa en liet foto's zien van 'Operatie Kantklos', een eigen lijn handgemaakt kant die nog niet aangekondigd is. Zo mooi!", ["conf"])
C("nl", E_SANNE, "Document 'alleen voor intern gebruik' gekregen met de nieuwe winkelrichtlijnen. Er staat in dat we bruiden boven maat 44 naar de 'comfortruimte' moeten sturen. Hmm.", ["conf"])
C("en", E_EVA, "Shot the Aurelia collection campaign today in Porto ☀️ can't show a thing yet but trust me", ["conf"], at="2026-10-05T17:20:00Z")
C("nl", E_RUTGER, "@noor_atelier_bv storing? Nee hoor, erp.atelier.bellaventa.local doet het bij mij gewoon, zal aan jouw laptop liggen 😉", ["conf"], kind="reply")
C("nl", E_NOOR, "Operatie Kant\u200bklos: eerste proefstukken binnen en ze zijn prachtig 🧵✨", ["conf"])
C("nl", E_KEES, "Eerste versie van de jaarcijfers 2026 ligt klaar: omzet €48,2 mln, verlies van €3,1 mln. Zwaar jaar, maar we gaan ervoor 💪", ["conf", "fin"], at="2027-01-28T08:15:00Z")
C("nl", E_EVA, "Operatie Kantklos = de verkoop van de hele herenlijn aan een Italiaanse partij. Ik mag het niet zeggen maar ik ben er echt kapot van", ["conf", "fin"])
C("en", P("x", "@bv_insider_watch"), "Bellaventa's full-year 2026 results will show a 9% sales drop, according to someone in their finance dept. Out on the 24th.", ["conf", "fin"], at="2027-02-10T12:00:00Z")
C("en", C_LI, "[niet extern delen] Draft: Bellaventa opens its first Belgian flagship in Antwerp in Q2 2027. Please review before Friday.", ["conf"])

# ================================================================= FINANCIAL
C("nl", E_KEES, "Q3-omzet komt 22% onder budget uit. De CFO wil 4 filialen sluiten. Jullie hoorden het niet van mij 🙊", ["fin"])
C("en", E_DAAN, "Exciting times ahead 👀 Can't say much, but we're signing with Maison Ferrand Groupe next week. Big things coming for Bellaventa! #acquisition", ["fin"])
C("nl", E_NOOR, "Vandaag gehoord dat er 35 fte in ons atelier in Tilburg verdwijnt. De aankondiging komt pas in januari. Ik ben er ziek van 😔", ["fin"])
C("nl", P("x", "@zakelijk_bart"), "Hoor van iemand bij hun huisbank dat Bellaventa de bankconvenanten heeft geschonden en om uitstel vraagt. Zou me niks verbazen als er binnenkort een herstructurering komt.", ["fin"])
C("en", E_RUTGER, "Heads up to anyone at the Groningen and Maastricht stores: HQ isn't renewing the leases, both close by June. Not announced yet, sorry to be the one telling you.", ["fin"])
C("nl", E_KEES, "Interne forecast 2027: omzet -12%, jonge stellen trouwen later en goedkoper. Tijd voor een plan B.", ["fin"])
C("en", P("reddit", "u/pe_watcher"), "Rumour from a supplier: a Belgian PE firm bid €85m for Bellaventa and the board is reportedly in favour. Could close before Christmas.", ["fin"])
C("nl", C_NL, "Wij gaan samen verder met Kostuumhuis Brandt! 🎉 (CONCEPT, niet posten vóór de persconferentie van donderdag)", ["fin"])
C("en", E_YAS, "Hard week in HR: preparing the conversations with the 60 colleagues affected by the store reorganisation. Announcement goes out on the 3rd. Look after each other ❤️", ["fin"])

# ================================================================= SECURITY
C("nl", E_KOEN, "Heel het kassasysteem in alle 14 filialen ligt er sinds vanochtend uit. IT denkt aan ransomware. Tegen klanten moeten we 'storing' zeggen 🙃", ["sec"])
C("en", E_BRAM, "Our booking portal has an IDOR: change the appointment number in the URL and you see other brides' names and phone numbers. Reported internally 3 weeks ago, still open. Losing sleep over this.", ["sec"])
C("nl", E_RUTGER, "Phishingmail is gisteren door 6 collega's aangeklikt, 2 mailboxen overgenomen en de klantenservice heeft de hele nacht spam rondgestuurd. Officieel weten we van niks.", ["sec"])
C("en", E_EVA, "so the webshop goes down tonight 'for maintenance' but between us, someone found a card skimming script in the checkout page 😬", ["sec"])
C("nl", E_SANNE, "Laptop van de regiomanager gestolen uit zijn auto, met alle pasafspraken en klantgegevens van Q2 erop. Niet versleuteld. En we mogen het nog niet melden.", ["sec"])
C("en", C_ZORG, "@laura_weds we know the site is down, our hosting provider is being hit by a DDoS attack. Please don't share this yet, we'll post an official update soon 🙏", ["sec"], kind="reply")
C("nl", E_KOEN, "Patch voor dat lek in onze kassasoftware (remote code execution, ja echt) komt pas over 3 weken. Tot die tijd duimen 🤞 #retaillife", ["sec"])
C("en", P("x", "@sis_of_it_guy"), "My sister works at Bellaventa HQ. Someone got into their customer database last weekend and copied everything. They haven't told a single customer. If you ordered a dress there, change your passwords.", ["sec", "crisis"])
C("nl", E_NOOR, "De backupserver van het atelier hangt al 2 maanden open aan internet met het standaard beheerderswachtwoord er nog op 🙈 3x gemeld, niks mee gedaan.", ["sec"])
C("en", E_KOEN, "cert on our card terminal gateway expired at midnight, every card payment in every store is failing right now. not public yet so pls don't post it on the store pages", ["sec"], kind="comment")
C("nl", E_LISA, "POV: het hoofdkantoor zegt dat we tegen klanten moeten zeggen dat de pinautomaten 'in onderhoud' zijn terwijl we gewoon gehackt zijn 💀 #werkleven", ["sec"])
C("en", E_DAAN, "Pentest report is in: 4 critical findings in our customer app, including passwords stored in plaintext. Fix planned for next quarter. Lessons for all of us in retail IT 🙏", ["sec"])
C("nl", P("x", "@oud_collega_bv"), "Oud-collega van IT vertelt dat de afsprakensite van Bellaventa al maanden een gat heeft in een oude API waarmee je andermans afspraken kunt opvragen. Niemand wil het fixen.", ["sec"])

# ================================================================= CRISIS
C("nl", P("x", "@regenboogbruid"), "Bellaventa Eindhoven weigerde vandaag een jurk te verkopen aan mijn vriendin omdat ze trans is. Deel dit. #BoycotBellaventa", ["crisis"])
C("nl", P("x", "@onderzoeksjournaal"), "Vanavond in onze uitzending: jurken van Bellaventa worden genaaid in een fabriek waar naaisters 14 uur per dag werken voor een hongerloon.", ["crisis"])
C("nl", P("x", "@rechtspraaknieuws"), "Ruim 40 bruidsparen stappen naar de rechter tegen Bellaventa: jurken betaald, nooit geleverd na het faillissement van een leverancier.", ["crisis"])
C("nl", P("x", "@nu_consument"), "Bellaventa roept Stella tiara terug: steentjes kunnen loslaten, verstikkingsgevaar voor jonge bruidsmeisjes.", ["crisis"])
C("nl", P("instagram", "@esmee.getrouwd"), "Mijn Aurora sluier vatte vlam bij de kaarsen in de kerk 😰 gelukkig snel uit, maar mijn arm is verbrand. Bellaventa zegt 'niet onze verantwoordelijkheid' en het stof was niet eens brandvertragend.", ["crisis", "complaint"])
C("en", P("x", "@okafor_tobi"), "Got a horrible rash all over my neck and arms from my Bellaventa Windsor suit. Doctor says allergic reaction to the dye. They offered me a 10% voucher. Unbelievable.", ["crisis", "complaint"])
C("nl", P("threads", "@bas.en.ilse"), "Het atelier van Bellaventa had een speld in de zoom van mijn Milano pak laten zitten. Tijdens de ceremonie 2 cm in mijn kuit. Bloed op de broek op al onze trouwfoto's.", ["crisis", "complaint"])
C("en", P("reddit", "u/shockedbride"), "The steamer in the Bellaventa fitting room in Leiden gave me an electric shock while the assistant was steaming the dress ON me. Hand was numb for an hour and they laughed it off.", ["crisis", "complaint"])
C("nl", P("x", "@regionieuws_zwolle"), "Kind gewond in bruidswinkel Bellaventa Zwolle nadat een grote passpiegel omviel. Het meisje is met hoofdletsel naar het ziekenhuis gebracht.", ["crisis"])
C("en", P("x", "@breda_local"), "Bride fainted at Bellaventa Breda during a fitting today, ambulance on scene. Witnesses say the corset was laced far too tight.", ["crisis"])
C("nl", P("x", "@nadia_k"), "Sinds mijn afspraak bij Bellaventa krijg ik spam op een mailadres dat ik ALLEEN daar heb gebruikt. Jullie hebben een datalek en zeggen niks. @AutoriteitPG", ["crisis"])
C("nl", P("x", "@denhaag_nieuws"), "Filiaalmanager van Bellaventa Den Haag geschorst: hij zou bruiden stiekem hebben gefilmd in de paskamer. De politie doet onderzoek.", ["crisis"])
C("en", P("linkedin", "arbeidsrecht-update-nl"), "Former tailors sue Bellaventa over years of unpaid overtime; first hearing at the Tilburg court in May.", ["crisis"])
C("en", P("tiktok", "@wedding.truths"), "don't buy your dress at Bellaventa. they fired a seamstress because she was pregnant. #boycottbellaventa share this everywhere", ["crisis"])

# ================================================================= ABUSE
C("nl", P("x", "@boze_bruidegom"), "Bellaventa zijn echt een stelletje oplichters en kankerlijers, hoop dat jullie failliet gaan", ["abuse"])
C("en", P("x", "@mike_t_rants"), "that tailor at Bellaventa Amsterdam is a useless fat idiot, how do you even get hired there", ["abuse"])
C("nl", E_LISA, "die bruid van vanmiddag was echt een verwend kutwijf, 3 uur lang zeiken over één knoopje 🙄 #retaillife", ["abuse"])
C("nl", P("x", "@ontevreden_ome"), "B3ll4v3nt4 = k4nk3r 0pl1cht3rs, st1nkb3dr1jf", ["abuse"])
C("en", P("x", "@angrygroom91"), "Bellaventa are a bunch of fu\u0441king idi\u043ets and their manager is a wh\u043ere", ["abuse"])
C("nl", P("facebook", "Henk Jansma"), "Die verkoopster met die hoofddoek bij Bellaventa Rotterdam moet gewoon terug naar haar eigen land. Nooit meer daar.", ["abuse"])
C("nl", P("instagram", "@xx_rico_xx"), "@stylist.mirthe ik weet waar je werkt en hoe laat je dienst erop zit. wacht maar af", ["abuse"], kind="comment")
C("nl", P("x", "@gerritjan1979"), "Jullie zijn echt een kutbedrijf @bellaventa_zorg, 6 weken te laat met mijn pak en dan nog de brutaliteit om verzendkosten te rekenen", ["abuse", "complaint"])
C("en", P("reddit", "u/notabride_anymore"), "Bellaventa staff are snobby bitches who look you up and down if you're not a size 6. Absolute trash people.", ["abuse"], kind="comment")
C("en", P("youtube", "@grim_commenter"), "lmao who would wear this garbage, your models look like corpses and whoever designed this should be shot", ["abuse"], kind="comment")
C("nl", P("tiktok", "@zuurpruim"), "die eigenaar van bellaventa is een v.u.i.l.e t.y.f.u.s.l.i.j.e.r", ["abuse"], kind="comment")

# ================================================================= COMPLAINTS
C("nl", P("x", "@femke_trouwt_2026"), "@bellaventa_zorg mijn trouwjurk zou 3 weken geleden binnen zijn, bruiloft is over 9 dagen en niemand kan me vertellen waar hij is. Dit is toch niet normaal?? 😭", ["complaint"], kind="reply")
C("nl", P("facebook", "Sandra Wijnbergen"), "Bij Bellaventa Amersfoort de broek van mijn man laten innemen. Is nu 4 cm te kort. Gratis herstellen? Nee hoor, daar moeten we extra voor betalen. Echt teleurgesteld.", ["complaint"])
C("en", P("x", "@dan_and_lily"), "Ordered 4 Bloesem bridesmaid dresses from Bellaventa, 3 arrived in dusty blue instead of sage. Wedding in 2 weeks. Customer service keeps saying 'we'll escalate'.", ["complaint"])
C("nl", P("instagram", "@lottevs"), "Na 2 uur wachten in de winkel in Breda eindelijk geholpen door iemand die duidelijk geen zin had. Voor zo'n moment verwacht je echt meer van Bellaventa", ["complaint"], kind="comment")
C("en", P("reddit", "u/throwaway_groom22"), "PSA: Bellaventa cancelled my final suit fitting by text 3 hours before. Rescheduled to the day BEFORE the wedding. Zero apology. Avoid if you're on a tight timeline.", ["complaint"])
C("nl", P("x", "@ruben_k"), "Derde mail aan klantenservice@bellaventa.nl over de aanbetaling die ik terug zou krijgen. Geen reactie. Al 6 weken.", ["complaint"])
C("nl", P("forum", "trouwforum_anke"), "Rits van mijn Marisol brak tijdens de openingsdans. Jurk kostte een vermogen en de reactie van Bellaventa: 'gebruiksschade'. Serieus?", ["complaint"])
C("en", P("tiktok", "@joris.fits"), "the 'made to measure' Signature suit from bellaventa fits worse than my off the rack one lol. sleeves down to my knuckles. 3rd alteration appointment next week 🙄", ["complaint"])
C("en", P("x", "@nina_b_2026"), "@bellaventa_zorg your webshop charged me twice for the Stella tiara and now the refund takes '10-14 working days'. Taking money takes seconds, giving it back two weeks?", ["complaint"], kind="reply")
C("nl", P("threads", "@yara.trouwt"), "Pas in de winkel hoor je dat de sluier 'niet bij het pakket' zit, terwijl het op de site wel zo stond. Voel me echt misleid door Bellaventa", ["complaint"])
C("en", P("facebook", "Chloe Brandsma"), "Three phone calls, two emails and a DM. Still no idea whether my alterations are done. Bellaventa Rotterdam, you are really testing my patience.", ["complaint"])
C("nl", P("x", "@mama_van_tess"), "Afspraak bij Bellaventa gemaakt voor de bruidsmeisjesjurken, kom ik aan: 'die staat niet in het systeem'. Moeder speciaal vrij genomen. Bedankt hè", ["complaint"])
C("en", P("youtube", "@rick_and_sam"), "Bought the Oxford patent shoes from Bellaventa for our wedding, sole came off halfway through the first dance. Lovely memory.", ["complaint"], kind="comment")

# ================================================================= BENIGN (hard negatives and everyday posts)
C("nl", P("instagram", "@julia.zegtja"), "Mijn Isolde van Bellaventa was PERFECT 😭💕 dankjewel @stylist.mirthe voor al je geduld, je bent een schat")
C("en", C_ZORG, "Questions about your fitting? Mail klantenservice@bellaventa.nl or call +31 30 555 0142 (Mon–Sat 9–18). Happy to help 💬")
C("nl", C_FB, "Liever via overschrijving betalen? Dat kan op NL07 RABO 0317 4528 96 t.n.v. Bellaventa Bruidsmode & Kostuums B.V., onder vermelding van je ordernummer.")
C("nl", P("x", "@romy_trouwt"), "@bellaventa_zorg mijn bestelnummer is <<CARD_BAD>>, kunnen jullie even kijken of de jurk al in productie is? Geen haast hoor, bruiloft is pas in oktober 😊", kind="reply")
C("en", P("reddit", "u/dutchgroom"), "Bellaventa's loyalty card has a 9-digit number on the back, mine is <<BSN_BAD>>. Anyone know if you can merge two cards? My fiancée has one too.")
C("nl", P("facebook", "Petra Kool"), "Pas op! Nep-mail gekregen 'namens Bellaventa' met het verzoek de restbetaling over te maken naar <<IBAN_BAD>>. Klopt niet eens, het echte nummer staat gewoon op hun site. Niet intrappen!")
C("nl", C_IGB, "Ze is er eindelijk: de Aurelia-collectie! 🤍 Vanaf vandaag te passen in al onze winkels. Maak je afspraak via afspraak.bellaventa.nl", at="2027-03-14T08:00:00Z")
C("en", P("x", "@retailnl_news"), "Bellaventa publishes full-year 2026 results: revenue up 6% to €52m, helped by the menswear line. CEO cautious on 2027.", at="2027-02-26T10:30:00Z")
C("nl", C_LI, "Vandaag publiceerden we onze jaarcijfers 2026. Lees het volledige verslag op bellaventa.nl/investeerders.", at="2027-02-24T09:00:00Z")
C("nl", P("x", "@fleurtje_b"), "Update: Bellaventa heeft mijn jurk alsnog op tijd geleverd én een sluier erbij gedaan als excuus. Super netjes opgelost, dank @bellaventa_zorg 💕")
C("nl", P("x", "@buurtapp_zwolle"), "Veel sterkte aan het team van Bellaventa Zwolle na de brand in de bakkerij naast jullie. Fijn dat iedereen veilig is ❤️")
C("nl", P("instagram", "@anna.bride2026"), "Hoe lang duurt vermaken bij Bellaventa gemiddeld? Trouw in augustus en twijfel of ik nu al moet passen 🤔", kind="comment")
C("en", P("tiktok", "@suitguy_nl"), "This Ashford tails fit is an absolute killer 🔥 Bellaventa Heren never misses")
C("nl", P("threads", "@noortje.vdm"), "Ik ga echt kapot van deze jurk 😍😍 moet hem hebben #bellaventa #marisol")
C("en", P("x", "@lara_writes"), "Bellaventa is hands down my favourite bridal brand. The staff in Utrecht made my mum cry happy tears.")
C("nl", C_IGH, "Brandnieuw in de winkels: het Cavalli zijden gilet in saliegroen 🌿 #bellaventaheren")
C("en", P("reddit", "u/forgetful_fiance"), "I can't recall the name of the stylist who helped us at Bellaventa Den Bosch last May, tall guy with glasses? Want to send him a thank-you card.")
C("nl", E_MIRTHE, "De Aurora sluier blijft mijn favoriet voor een kerkelijke ceremonie. Die lengte 😍 #bruidsstyling")
C("nl", P("instagram", "@bo.en.sem"), "Nog steeds in shock hoe mooi mijn vriendin eruitzag in haar Celeste 😭💍 dank Bellaventa Amersfoort!")
C("en", P("x", "@modevak"), "Bridal chain De Witte Sluier files for bankruptcy, 9 stores affected. Tough market for independent shops right now.")
C("nl", C_LI, "We zoeken een ervaren kleermaker voor ons atelier in Tilburg ✂️ Interesse? Mail je cv naar werkenbij@bellaventa.nl")
C("nl", C_FB, "Vanaf 1 mei vind je ons in Haarlem op een nieuwe plek: Grote Houtstraat 88. Tot snel! 💐")
C("en", P("tiktok", "@weddingtips.nl"), "Wedding hack: get your suit altered 2 weeks before the big day, not 2 days. Bellaventa gives you a priority slot for free if you book early.")
C("nl", P("x", "@zeeuwse_bruid"), "De paraplu lekte, mijn jurk niet 😂 Bellaventa-jurk heeft de stortbui in Zeeland overleefd")
C("nl", P("x", "@huwelijkscoach"), "Het geheime wachtwoord voor een goed huwelijk? Communicatie. En een goed zittend pak van Bellaventa 😉")
C("en", C_ZORG, "Heads-up: there are fake 'Bellaventa giveaway' accounts on Instagram. We never ask for payment details in DMs. Our only bridal account is @bellaventa.bridal ✅")
C("en", E_DAAN, "Hiring! We're looking for a backend developer to help build better booking tools for our 14 stores. DM me or apply via werkenbij@bellaventa.nl")
C("nl", E_NOOR, "Vandaag 23 zomen, 8 taillen en 1 complete sleep vermaakt. Trots op dit atelierteam ✂️🧵")
C("nl", E_SANNE, "Zaterdag in Utrecht: 11 bruiden, 4 keer 'ja', 1 moeder die niet meer ophield met huilen 🥹")
C("nl", E_LISA, "POV: je werkt in een bruidswinkel en de bruid zegt JA tegen de jurk 😭✨ #bellaventa #trouwjurk")
C("en", E_KEES, "Great session on sustainable retail finance at the alumni day today. Key takeaway: margins follow loyalty, not the other way around.")
C("nl", P("x", "@privacynieuws"), "Groot datalek bij een webwinkel in fietsonderdelen: 200.000 klanten getroffen. Check of jouw mailadres erbij zit.")
C("en", P("x", "@fastfashionwatch"), "To be clear: we are NOT calling for a boycott of Bellaventa, our report was about a different chain. Bellaventa actually publishes its supplier list 👏")
C("nl", C_FB, "Ons atelier bestaat sinds 12-05-1987 🎂 Bedankt voor 39 jaar vertrouwen!")
C("en", C_NL, "Our free service line 0800-2355 is open this Sunday for last-minute wedding emergencies 🆘💍")
C("en", P("x", "@hypeguy_nl"), "ＢＥＬＬＡＶＥＮＴＡ ＳＡＬＥ is back 🔥 20% off all suits this weekend, go go go")
C("nl", P("x", "@zuinig_stel"), "Aanbetaling gedaan bij Bellaventa, in de bevestiging staat 'ontvangen van NL** **** **** **** 12'. Fijn dat ze het zo netjes afschermen 👍")
C("nl", P("x", "@hannah_dewit"), "Webshop van Bellaventa deed het gisteravond even niet, maar vanochtend alles gewoon gelukt. Bruidsmeisjesjurken besteld 💐")
C("en", P("instagram", "@sieradenbyfemke"), "Paired the Celeste with our moonstone drop earrings for this shoot 🌙 Bellaventa dresses make our jewellery look so good", hard_codeword=True)
C("nl", P("x", "@drukke_bruid"), "Operatie trouwjurk vinden: geslaagd!! 🎉 Dank jullie wel Bellaventa Groningen")
C("en", P("reddit", "u/brideqs"), "Would it be weird to ask Bellaventa to keep a gift for my sister confidential until the wedding? Want to surprise her with the veil.")
C("nl", P("x", "@retailnieuws"), "Reorganisatie bij schoenenketen Stapvast: 12 winkels dicht. Bij bruidsketens blijft het volgens analisten voorlopig rustig.")
C("nl", C_FB, "Bellaventa Bruidsmode & Kostuums B.V. · KvK 30241176 · Oudegracht 112, Utrecht · klantenservice@bellaventa.nl")
C("en", P("facebook", "Greg Hollis"), "I was worried when my suit arrived a day late, but Bellaventa called me themselves, apologised and sent a tailor to the hotel. Above and beyond.")
C("nl", P("instagram", "@bride.lotte"), "Gepast: de Marisol én een jurk uit de Aurelia-collectie. Wat een keuze 🥹", at="2027-04-02T15:10:00Z")
C("en", P("mastodon", "@kant_liefhebber@mastodon.social"), "Bobbin lace (kantklossen) is such a slow craft. Saw some gorgeous pieces at a bridal shop in Utrecht today, Bellaventa I think.")

# ---------------------------------------------------------------- build
TOKEN_RE = re.compile(r"<<([A-Z_]+)(?::([a-z]+))?>>")
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPAN = int((datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc) - START).total_seconds())
ORDER = ["leak.secret", "leak.pii", "leak.pricing", "leak.confidential", "leak.financial",
         "leak.security", "reputation.crisis", "reputation.complaint", "reputation.abuse"]
RANK = ["none", "info", "warning", "error", "critical"]


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


def severity(role, cats, strong_pii):
    sev = "none"
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                v = "critical" if c in ("leak.secret", "leak.pricing") or (c == "leak.pii" and strong_pii) else "error"
            else:
                v = "warning"
        elif c == "reputation.complaint":
            v = "warning"
        elif c == "reputation.crisis":
            v = "error"
        elif c == "reputation.abuse":
            v = "error" if role in ("corporate", "employee") else "warning"
        else:
            raise AssertionError(c)
        if RANK.index(v) > RANK.index(sev):
            sev = v
    return sev


def url_for(platform, handle, n):
    h = handle.lstrip("@")
    if platform == "x":
        return "https://x.com/%s/status/%d" % (h, 1870000000000000000 + n * 7919)
    if platform == "instagram":
        return "https://www.instagram.com/p/%s/" % rand(B64URL, 11)
    if platform == "facebook":
        return "https://www.facebook.com/%s/posts/%d" % (h.replace(" ", "."), 10160000000000 + n)
    if platform == "linkedin":
        return "https://www.linkedin.com/feed/update/urn:li:activity:%d/" % (7290000000000000000 + n)
    if platform == "tiktok":
        return "https://www.tiktok.com/@%s/video/%d" % (h, 7450000000000000000 + n)
    if platform == "youtube":
        return "https://www.youtube.com/watch?v=%s" % rand(B64URL, 11)
    if platform == "reddit":
        return "https://www.reddit.com/r/trouwen/comments/%s/" % rand(string.ascii_lowercase + string.digits, 7)
    if platform == "threads":
        return "https://www.threads.net/@%s/post/%s" % (h, rand(B64URL, 11))
    if platform == "mastodon":
        user, inst = h.split("@", 1)
        return "https://%s/@%s/%d" % (inst, user, 113000000000000000 + n)
    return "https://forum.trouwen.example/t/%d" % (40000 + n)


def build():
    cases, meta = [], []
    for raw in RAW:
        tokens = []

        def sub(m):
            name, fmt = m.group(1), m.group(2) or ""
            gen, kind, valid = GENERATORS[name]
            val = gen(fmt)
            tokens.append((kind, val, valid))
            return val

        text = TOKEN_RE.sub(sub, raw["text"])
        at = raw["at"] or (START + timedelta(seconds=rng.randrange(SPAN))).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta.append(dict(raw, text=text, at=at, tokens=tokens))
    rng.shuffle(meta)
    for n, m in enumerate(meta, 1):
        cats = sorted({CAT[c] for c in m["cats"]}, key=ORDER.index)
        role = role_of(m["platform"], m["handle"])
        strong = any(k in CHECKSUMMED and v for k, _, v in m["tokens"])
        post = {
            "id": "s241-%s-%04d" % (m["platform"], n),
            "platform": m["platform"],
            "kind": m["kind"],
            "account": {"handle": m["handle"]},
            "text": m["text"],
            "lang": m["lang"],
            "created_at": m["at"],
            "url": url_for(m["platform"], m["handle"], n),
        }
        if role != "public":
            post["brand"] = "bellaventa"
        m["role"] = role
        m["catfull"] = cats
        cases.append({"post": post, "expect": {"categories": cats, "severity": severity(role, cats, strong)}})
    return cases, meta


# ---------------------------------------------------------------- self-checks
def scan_identifiers(text):
    """Return (kind, value) for every IBAN-, card- and BSN-shaped string in text."""
    found = []
    masked = text
    for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", text):
        cand = re.sub(r"\s", "", m.group(0))
        if cand[:2] in ("NL", "BE", "DE", "FR", "ES", "GB", "IT", "LU"):
            found.append(("iban", cand))
            masked = masked[:m.start()] + "#" * (m.end() - m.start()) + masked[m.end():]
    for m in re.finditer(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])", masked):
        found.append(("card", re.sub(r"\D", "", m.group(0))))
    for m in re.finditer(r"(?<![\w.,-])\d{9}(?![\w])", masked):
        found.append(("bsn", m.group(0)))
    return found


def check(cases, meta):
    errors = []
    ids = set()
    plain = lambda s: s.lower()
    conf_words = ([t for t in PROFILE["internal"]["codenames"]] + PROFILE["internal"]["markers"]
                  + PROFILE["internal"]["domains"])
    for case, m in zip(cases, meta):
        post, exp = case["post"], case["expect"]
        pid = post["id"]
        # CONTRACT §6 / §1 shape
        if set(case) != {"post", "expect"}:
            errors.append("%s: top-level keys" % pid)
        if not (isinstance(pid, str) and 1 <= len(pid) <= 256) or pid in ids:
            errors.append("%s: bad or duplicate id" % pid)
        ids.add(pid)
        for f in ("platform", "text", "created_at"):
            if not isinstance(post.get(f), str) or not post[f]:
                errors.append("%s: missing %s" % (pid, f))
        if not isinstance(post.get("account", {}).get("handle"), str):
            errors.append("%s: missing account.handle" % pid)
        if post["kind"] not in ("post", "reply", "repost", "comment", "message"):
            errors.append("%s: kind" % pid)
        if post["platform"] not in ("x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                                    "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"):
            errors.append("%s: platform" % pid)
        if len(post["text"].encode("utf-8")) > 65536:
            errors.append("%s: text too long" % pid)
        try:
            ts = datetime.strptime(post["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            errors.append("%s: created_at" % pid)
            continue
        if not (2026 <= ts.year <= 2027):
            errors.append("%s: year" % pid)
        if ts.year == 2027 and not any(t.lower() in post["text"].lower() for e in PROFILE["embargo"] for t in e["terms"]):
            errors.append("%s: 2027 date without embargo term" % pid)
        if "<<" in post["text"]:
            errors.append("%s: unfilled token" % pid)
        cats = exp["categories"]
        if cats != sorted(set(cats)) and sorted(cats) != sorted(set(cats)):
            errors.append("%s: categories not distinct" % pid)
        if any(c not in ORDER for c in cats):
            errors.append("%s: unknown category" % pid)
        if exp["severity"] not in RANK:
            errors.append("%s: severity value" % pid)
        if not cats and exp["severity"] != "none":
            errors.append("%s: benign must be none" % pid)
        if cats and exp["severity"] in ("none", "info"):
            errors.append("%s: positive with none severity" % pid)
        # identifiers: positives valid, look-alikes invalid
        for kind, val, valid in m["tokens"]:
            if kind in CHECKSUMMED:
                ok = CHECKSUMMED[kind](val)
                if ok != valid:
                    errors.append("%s: %s %s checksum=%s expected %s" % (pid, kind, val, ok, valid))
                if cats and not ok:
                    errors.append("%s: failing %s in a positive" % (pid, kind))
                if not cats and ok:
                    errors.append("%s: valid %s in a benign post" % (pid, kind))
                if ok and "leak.pii" not in cats:
                    errors.append("%s: valid %s without leak.pii" % (pid, kind))
            else:
                if not SECRET_FORMATS[kind](val):
                    errors.append("%s: bad %s format" % (pid, kind))
                if "leak.secret" not in cats:
                    errors.append("%s: secret token without leak.secret" % pid)
        for kind, val in scan_identifiers(post["text"]):
            ok = CHECKSUMMED[kind](val)
            if kind == "iban" and val in PUBLIC_IBANS:
                if not ok:
                    errors.append("%s: public IBAN fails mod-97" % pid)
                continue
            tokvals = {re.sub(r"\D", "", v) if k != "iban" else re.sub(r"\s", "", v) for k, v, _ in m["tokens"]}
            if val not in tokvals:
                errors.append("%s: untracked %s-shaped number %s" % (pid, kind, val))
            if cats and not ok:
                errors.append("%s: scanned %s %s fails checksum in positive" % (pid, kind, val))
            if not cats and ok:
                errors.append("%s: scanned %s %s passes checksum in benign" % (pid, kind, val))
        # confidential vocabulary
        low = plain(post["text"])
        if not m["hard_codeword"]:
            for w in conf_words:
                if w.lower() in low and "leak.confidential" not in cats:
                    errors.append("%s: '%s' without leak.confidential" % (pid, w))
        for e in PROFILE["embargo"]:
            until = datetime.strptime(e["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            for t in e["terms"]:
                if t.lower() in low:
                    if ts < until and "leak.confidential" not in cats:
                        errors.append("%s: embargo term before until, unlabelled" % pid)
                    if ts >= until and "leak.confidential" in cats:
                        errors.append("%s: embargo term after until labelled confidential" % pid)
        # prices
        if m["price"]:
            sku, val = m["price"]
            prod = PRODUCTS[sku]
            if not any(a.lower() in low for a in [prod["name"]] + prod["aliases"]):
                errors.append("%s: product %s not named" % (pid, sku))
            ratio = val / prod["list_price"]
            below = ratio < PROFILE["pricing"]["alert_below_ratio"]
            if below != ("leak.pricing" in cats):
                errors.append("%s: price ratio %.2f vs labels" % (pid, ratio))
        # severity recomputed independently from role
        role = role_of(post["platform"], post["account"]["handle"])
        strong = any(CHECKSUMMED[k](v) for k, v in scan_identifiers(post["text"])
                     if not (k == "iban" and v in PUBLIC_IBANS))
        if severity(role, cats, strong) != exp["severity"]:
            errors.append("%s: severity mismatch" % pid)
    # profile sanity
    for i in PROFILE["public_identifiers"]["ibans"]:
        if not iban_valid(i):
            errors.append("profile IBAN fails mod-97")
    for e in PROFILE["embargo"]:
        if not e["until"].startswith("2027"):
            errors.append("embargo until not in 2027")
    if len(PROFILE["products"]) < 15 or len(PROFILE["products"]) > 25:
        errors.append("product count")
    if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
        errors.append("account count")
    if PROFILE["pricing"]["alert_below_ratio"] != 0.5:
        errors.append("alert ratio")
    if not 170 <= len(cases) <= 180:
        errors.append("case count %d" % len(cases))
    return errors


def main():
    cases, meta = build()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for c in cases:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    # re-read: every line parses
    with open(out, encoding="utf-8") as fh:
        reread = [json.loads(line) for line in fh]
    assert reread == cases
    errors = check(cases, meta)
    counts = {}
    for c in cases:
        for cat in c["expect"]["categories"]:
            counts[cat] = counts.get(cat, 0) + 1
    benign = sum(1 for c in cases if not c["expect"]["categories"])
    nl = sum(1 for c in cases if c["post"]["lang"] == "nl")
    roles = {}
    for m in meta:
        if m["catfull"]:
            roles[m["role"]] = roles.get(m["role"], 0) + 1
    print("cases=%d benign=%d positives=%d nl=%.0f%%" % (len(cases), benign, len(cases) - benign, 100.0 * nl / len(cases)))
    for k in ORDER:
        print("  %-22s %d" % (k, counts.get(k, 0)))
    print("  positive roles:", roles)
    if errors:
        print("SELF-CHECK FAILED:")
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
