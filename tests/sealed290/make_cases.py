#!/usr/bin/env python3
"""Build the labelled evaluation set `cases.jsonl` for the fictional auction house
Lotwerk Auctions N.V. (profile.yaml beside this file) and self-check it.

Deterministic: fixed seed, standard library plus PyYAML. Post texts are hand-written;
only credentials and personal identifiers are generated (with the checksums their real
formats carry). Severities are computed from CONTRACT section 4 using the account role
looked up in profile.yaml, never typed by hand.
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
SEED = 290_2026
rng = random.Random(SEED)

with open(os.path.join(HERE, "profile.yaml"), encoding="utf-8") as fh:
    PROFILE = yaml.safe_load(fh)

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMPL = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = f"{platform}:{handle}".lower()
    if key in CORP:
        return "corporate"
    if key in EMPL:
        return "employee"
    return "public"


# ---------------------------------------------------------------- identifiers
PENDING = []  # identifiers generated for the text currently being built


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in r)) % 97 == 1


def make_iban(bank):
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    base = bank + acct + "NL00"
    n = int("".join(str(int(c, 36)) for c in base))
    return f"NL{98 - n % 97:02d}{bank}{acct}"


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def IBAN(bank="INGB", spaced=True, valid=True):
    v = make_iban(bank)
    if not valid:  # change one check digit: a single-digit change always breaks mod-97
        d = (int(v[3]) + 1 + rng.randrange(8)) % 10
        v = v[:3] + str(d) + v[4:]
        assert not iban_valid(v)
    out = group4(v) if spaced else v
    PENDING.append(("iban", out, valid))
    return out


def luhn_ok(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def CARD(prefix="4", length=16, sep=" ", valid=True):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for c in string.digits:
        if luhn_ok(body + c):
            num = body + c
            break
    if not valid:
        num = num[:-1] + str((int(num[-1]) + 1 + rng.randrange(8)) % 10)
        assert not luhn_ok(num)
    out = sep.join(num[i:i + 4] for i in range(0, len(num), 4)) if sep else num
    PENDING.append(("card", out, valid))
    return out


def bsn_ok(s):
    s = re.sub(r"\D", "", s)
    if len(s) != 9:
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s != "000000000"


def BSN(valid=True):
    while True:
        first = rng.choice("123456")
        body = first + "".join(rng.choice(string.digits) for _ in range(7))
        chk = sum(int(body[i]) * (9 - i) for i in range(8)) % 11
        if chk < 10:
            num = body + str(chk)
            break
    if not valid:
        num = num[:-1] + str((int(num[-1]) + 1 + rng.randrange(8)) % 10)
    assert bsn_ok(num) == valid
    PENDING.append(("bsn", num, valid))
    return num


# ---------------------------------------------------------------- secrets
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def gh_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def GHTOKEN(prefix="ghp_", valid=True):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    chk = b62(zlib.crc32(body.encode()), 6)
    if not valid:
        chk = chk[:-1] + ("A" if chk[-1] != "A" else "B")
    tok = prefix + body + chk
    assert gh_token_ok(tok) == valid
    PENDING.append(("secret", tok, valid))
    return tok


def AWS_PAIR():
    kid = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    sec = "".join(rng.choice(ALNUM + "/+") for _ in range(40))
    PENDING.append(("secret", kid, True))
    return kid, sec


def SLACK_BOT():
    tok = "xoxb-{}-{}-{}".format(
        "".join(rng.choice(string.digits) for _ in range(12)),
        "".join(rng.choice(string.digits) for _ in range(13)),
        "".join(rng.choice(ALNUM) for _ in range(24)))
    PENDING.append(("secret", tok, True))
    return tok


def OPENAI_KEY():
    a = "".join(rng.choice(ALNUM + "-_") for _ in range(74))
    b = "".join(rng.choice(ALNUM + "-_") for _ in range(74))
    tok = "sk-proj-" + a + "T3BlbkFJ" + b
    PENDING.append(("secret", tok, True))
    return tok


def STRIPE_LIVE():
    tok = "sk_live_51" + "".join(rng.choice(ALNUM) for _ in range(97))
    PENDING.append(("secret", tok, True))
    return tok


def MOLLIE_LIVE():
    tok = "live_" + "".join(rng.choice(ALNUM) for _ in range(30))
    PENDING.append(("secret", tok, True))
    return tok


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def JWT(sub, role, iat):
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64url(json.dumps({"sub": sub, "role": role, "iss": "lotwerk-admin", "iat": iat,
                           "exp": iat + 86400 * 30}, separators=(",", ":")).encode())
    s = b64url(bytes(rng.randrange(256) for _ in range(32)))
    tok = f"{h}.{p}.{s}"
    PENDING.append(("secret", tok, True))
    return tok


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    try:
        hdr = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except Exception:
        return False
    return isinstance(hdr, dict) and "alg" in hdr


def OPENSSH_KEY():
    raw = b"openssh-key-v1\x00" + bytes(rng.randrange(256) for _ in range(380))
    body = base64.b64encode(raw).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + \
        "\n-----END OPENSSH PRIVATE KEY-----"
    PENDING.append(("secret", key, True))
    return key


def GOOGLE_KEY():
    tok = "AIza" + "".join(rng.choice(ALNUM + "-_") for _ in range(35))
    PENDING.append(("secret", tok, True))
    return tok


def PASSWORD(words=("Hamer", "Kavel", "Depot", "Vernis", "Opgeld", "Taxatie")):
    pw = rng.choice(words) + rng.choice("!*$-") + "".join(rng.choice(string.digits) for _ in range(4)) + \
        "".join(rng.choice(string.ascii_letters) for _ in range(3))
    PENDING.append(("secret", pw, True))
    return pw


COMPANY_IBAN = PROFILE["public_identifiers"]["ibans"][0]

# ---------------------------------------------------------------- accounts
C_X = ("x", "@lotwerk")
C_HELP = ("x", "@lotwerk_help")
C_IG = ("instagram", "@lotwerk.auctions")
C_LI = ("linkedin", "lotwerk-auctions")
C_FB = ("facebook", "LotwerkVeilingen")
C_TT = ("tiktok", "@lotwerklive")
C_YT = ("youtube", "@LotwerkLive")

E_MARLOES = ("x", "@marloes_lotwerk")
E_BRAM = ("x", "@bram_taxeert")
E_SAM = ("x", "@sam_devlw")
E_INGRID = ("linkedin", "ingrid-hoekstra-lotwerk")
E_DAAN = ("linkedin", "daan-verschuren-lw")
E_RUBEN = ("linkedin", "ruben-de-graaf-lotwerk")
E_KEES = ("instagram", "@kees.restaureert")
E_YUSUF = ("mastodon", "@ydemir@mastodon.social")
E_EVA = ("bluesky", "@evalotwerk.bsky.social")
E_TIM = ("reddit", "u/lw_backoffice_tim")
E_NOOR = ("threads", "@noor.lotwerk")

CORP_ACCTS = [C_X, C_HELP, C_IG, C_LI, C_FB, C_TT, C_YT]
EMPL_ACCTS = [E_MARLOES, E_BRAM, E_SAM, E_INGRID, E_DAAN, E_RUBEN, E_KEES, E_YUSUF, E_EVA, E_TIM, E_NOOR]

DISPLAY = {
    C_X: "Lotwerk", C_HELP: "Lotwerk Klantenservice", C_IG: "Lotwerk Auctions",
    C_LI: "Lotwerk Auctions N.V.", C_FB: "Lotwerk Veilingen", C_TT: "Lotwerk Live",
    C_YT: "Lotwerk Live", E_MARLOES: "Marloes Kuipers 🔨", E_BRAM: "Bram Oosterhuis",
    E_SAM: "Sam Peeters", E_INGRID: "Ingrid Hoekstra", E_DAAN: "Daan Verschuren",
    E_RUBEN: "Ruben de Graaf", E_KEES: "Kees Wijnands | restauratie", E_YUSUF: "Yusuf Demir",
    E_EVA: "Eva Smit", E_TIM: "lw_backoffice_tim", E_NOOR: "Noor El Idrissi",
}


def P(platform, handle):
    """A public account (must not be in the profile)."""
    return (platform, handle)


# ---------------------------------------------------------------- case building
CASES = []
YEAR_START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
YEAR_SPAN = int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc) - YEAR_START).total_seconds())


def add(cats, acct, lang, text, kind=None, at=None):
    ids = list(PENDING)
    PENDING.clear()
    if kind is None:
        kind = "reply" if text.startswith("@") else "post"
    if at is None:
        when = YEAR_START + dt.timedelta(seconds=rng.randrange(YEAR_SPAN))
        at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    CASES.append(dict(cats=sorted(cats), acct=acct, lang=lang, text=text, kind=kind, at=at, ids=ids))


PII, SEC, SECU, CONF, FIN, PRICE = ("leak.pii", "leak.secret", "leak.security",
                                   "leak.confidential", "leak.financial", "leak.pricing")
CRISIS, COMPL, ABUSE = "reputation.crisis", "reputation.complaint", "reputation.abuse"

# ================================================================ BENIGN (60)
add([], C_X, "nl", "Zondag sluit de Najaarsveiling Moderne Kunst 🖼️ Kijkdagen in ons depot in Amersfoort vr + za van 10 tot 17u. Hele catalogus: veiling.lotwerk.nl/najaar26")
add([], C_HELP, "nl", "@hanneke_vd Vervelend dat je nog niks gehoord hebt! Kun je je kavelnummer even mailen naar klantenservice@lotwerk.nl? Dan duiken we er vandaag nog in. ^Noor")
add([], C_FB, "nl", f"Liever overmaken dan iDEAL? Dat kan: {COMPANY_IBAN} t.n.v. Lotwerk Auctions N.V., o.v.v. je factuurnummer. Zodra het binnen is, zetten we je kavel klaar voor verzending.")
add([], C_LI, "en", "We're hiring 🔎 Junior Specialist Design & Applied Arts, Amsterdam office, 32-40h. You know your Gispen from your Gerrit Rietveld? Apply via lotwerk.nl/werken")
add([], E_MARLOES, "nl", "Wat een avond. 312 kavels, zaal vol, online ruim 4.000 bieders. Die Sluijters ging na zes minuten biedstrijd weg en ik heb geen stem meer 🥲🔨")
add([], P("x", "@ninaa_interiors"), "en", "that art deco lamp I won on Lotwerk is absolutely FIRE 🔥🔥 living room finally looks like a grown up lives here")
add([], P("x", "@rickvanderplas"), "nl", "Als mijn broer me nog één keer overbiedt op Lotwerk vermoord ik hem 😂😂 #familieruzie #veilingkoorts")
add([], P("reddit", "u/oudeklok_jan"), "nl", "Vraagje: hoe zit het opgeld bij Lotwerk precies? Is dat 25% bovenop de hamerprijs en komt daar dan nog btw over, of zit die er al in? Wil niet verrast worden bij mijn eerste bod.")
add([], P("mastodon", "@kunstnieuws@mastodon.nl"), "en", "Heads up: Brinkhorst Veilingen confirmed a data breach this morning, roughly 80k bidder e-mail addresses. If you ever bid there, expect phishing. (Different company from Lotwerk, before anyone asks.)")
add([], P("x", "@hanna_verzamelt"), "nl", "Lotwerk heeft deze week 20% korting op de Taxatie Premium, €119 ipv €149. Eindelijk dat schilderij van oma laten bekijken 👵🖼️")
add([], P("reddit", "u/canvas_and_crates"), "en", "Paid €59 for the Verzendkist M, a 60x80 canvas fits snugly with foam on all sides. Worth it vs. bubble wrap and prayers.")
add([], P("facebook", "Gerda Hulshof"), "nl", f"Pas op!! Ik kreeg een whatsapp 'namens Lotwerk' dat ik nog €89 opgeld moest betalen naar {IBAN('BUNQ', valid=False)}. Mijn bank zei meteen dat dat rekeningnummer niet eens bestaat. Nep dus, niet betalen mensen!")
add([], P("x", "@dennis_k_83"), "en", f"got a 'winning bid confirmation' mail claiming to be Lotwerk asking me to confirm card {CARD('4', valid=False)}. not my card, not even a valid number lol. phishing, delete it")
add([], E_SAM, "en", "PSA for devs on our public API: the docs use AKIAIOSFODNN7EXAMPLE-style placeholders on purpose. Please don't paste your real keys into GitHub issues 🙏 docs: lotwerk.com/developers")
add([], P("x", "@maartje_bidt"), "en", "Lotwerk support asked for my IBAN for the refund so I replied NL** **** **** **** 27 in the public thread as a joke and DM'd the real one. Refund landed 2 days later 👍")
add([], P("facebook", "Anouk Smeets"), "nl", "Update: Lotwerk heeft de kapotte lijst alsnog vergoed én een nieuwe Museumlijst 50x70 gestuurd. Binnen een week geregeld. Complimenten aan de klantenservice, ik was te snel boos 🙌")
add([], P("x", "@oudvandaag"), "nl", "Sterkte aan iedereen bij Lotwerk. Las net dat Henk Wolters is overleden, veertig jaar de hamer in de hand en altijd die bulderlach. Wat een vakman. 🕯️")
add([], C_X, "nl", "Het is zover: Lotwerk Vault is live! Verzekerde, klimaatgecontroleerde opslag voor je collectie, te beheren vanuit de app. Alles over tarieven: lotwerk.nl/vault",
    at="2027-03-16T08:00:00Z")
add([], E_INGRID, "nl", "Trots op dit team. Onze jaarcijfers 2026 staan sinds vanochtend online: omzet +11% en voor het eerst meer dan 60 miljoen euro aan hamerprijs. Het hele verslag: lotwerk.com/investors",
    at="2027-02-26T09:30:00Z")
add([], P("bluesky", "@printnerd.bsky.social"), "en", "Havenlicht II just dropped on Lotwerk, edition of 75. Ordered mine in three minutes, no regrets 🙃",
    at="2027-03-20T19:12:00Z")
add([], P("instagram", "@vogelsindepolder"), "nl", "Vanochtend een zilverreiger in de sloot achter het huis, mist erboven. Leek wel een Mesdag 😍 #vogels #ochtendwandeling")
add([], P("x", "@bookwormbids"), "en", "Lot 214 at Lotwerk this week: first edition of Graham Greene's The Confidential Agent (1939). Jacket chipped at the spine but the estimate is very fair.")
add([], E_TIM, "nl", "Kijkdag was echt druk maar de beveiliging liep soepel: tassen bij de garderobe, niemand die met zijn vingers aan de doeken zat. Goed gedaan allemaal.")
add([], C_HELP, "en", "Forgot your password? No stress, reset it at lotwerk.nl/account/reset. We will NEVER ask for your password or bank codes by phone, mail or DM.")
add([], P("threads", "@schuurtjevanbas"), "nl", "Dak lekt, schuur half onder water, maar het dressoir dat ik via Lotwerk kocht stond gelukkig op pootjes. Kleine overwinningen.")
add([], P("x", "@frames_and_fables"), "en", "killer deal: Lotwerk Select membership €89 instead of €119 this weekend. Free crate shipping included, it pays for itself after two wins")
add([], P("instagram", "@atelier_lijnen"), "nl", "Schilderijlamp Atelier voor €149 gehaald, heerlijk warm licht op mijn Toorop-litho. Hangt recht na drie pogingen.")
add([], P("linkedin", "maria-oostveen"), "en", "Sad to read that Galerie Noordzon is cutting 30 jobs. The gallery sector is having a brutal year and the people who hang the shows always pay first.")
add([], P("x", "@wimpie_veilt"), "nl", "Let op: nep-accounts die zich voordoen als @lotwerk_help sturen DM's. De echte klantenservice vraagt nooit om je pincode of inlogcodes. Blokkeren en melden.")
add([], P("reddit", "u/amsterdam_bidder"), "en", "Does Lotwerk take Amex, or only Visa/Mastercard and iDEAL? Eyeing the Polderstilte giclée and don't want to find out at checkout.")
add([], P("x", "@josje_verzamelt"), "nl", f"Waar vind ik mijn facturen terug in de Lotwerk-app? Klantnummer {BSN(valid=False)} als dat helpt, ik zie alleen mijn biedingen.")
add([], E_BRAM, "en", "Spent the morning with a 17th c. Delft charger that survived two wars and one very enthusiastic labrador. Estimate €2-3k, catalogue goes live Friday.")
add([], P("mastodon", "@pieter_codes@fosstodon.org"), "en", "Building a little watcher for Lotwerk lots. Note to self: .env.example gets STRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx, the real one never leaves my laptop.")
add([], P("x", "@devdirk"), "nl", "Tip voor wie de open-source Lotwerk API-wrapper gebruikt: zet je token als GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx in je .env en nooit in de code zelf.")
add([], P("bluesky", "@slidesbysanne.bsky.social"), "en", f"For my talk on secret scanning I invented a token that looks real but isn't: {GHTOKEN(valid=False)}. The checksum at the end gives it away, which is the whole point of the slide.")
add([], C_HELP, "nl", "Liever even bellen? We zijn bereikbaar op 020 240 8800 (ma-vr 9-17u) of gratis via 0800-5686. Op zaterdag zijn we er van 10 tot 14u voor vragen over ophalen.")
add([], P("x", "@thomasdeg"), "nl", "Ik verwachtte chaos op de ophaaldag, kreeg koffie, een jongen die mijn eiken kast naar de auto sjouwde en een glimlach. Lotwerk, jullie verwennen ons.")
add([], P("instagram", "@eerstekavel"), "nl", "#kunstveiling #lotwerk eerste kavel ooit gewonnen!! Klein etsje van een haventje, €65 inclusief opgeld. Ik ben verkocht 😄")
add([], P("x", "@muurvol"), "nl", "De echte crisis: na de designveiling van Lotwerk heb ik geen centimeter muur meer over. Stuur hulp. En haakjes.")
add([], E_KEES, "nl", "Voor/na: vergeeld vernis eraf, craquelé gestabiliseerd. Drie weken werk aan dit portretje van een onbekende meester. Benieuwd wat het jouwe nodig heeft? Restauratiecheck aanvragen kan via de site 🧽🎨")
add([], P("facebook", "Verzamelaarsclub Oost"), "nl", "Terugroepactie bij Veilingwinkel Oost: hun LED-vitrines uit 2024 kunnen oververhit raken. Check het serienummer achterop als je er een hebt staan.")
add([], P("x", "@stamps_and_more"), "en", "Loupe 10x from Lotwerk is on sale for €29 (normally €39). Bought two, one lives in the car now.")
add([], E_DAAN, "nl", "Na zes jaar HR bij Lotwerk begin ik volgende maand aan iets nieuws. Dankbaar voor de collega's, de gekte van de kijkdagen en een koffieautomaat die vaker stuk was dan heel.")
add([], P("x", "@vlaamsekunst"), "nl", "Lotwerk heeft vandaag bekendgemaakt dat ze een vestiging in Antwerpen openen, staat in het persbericht op hun site. Eindelijk wat dichter bij ons Belgen!")
add([], P("threads", "@spendthrift.sophie"), "en", "this damn Lotwerk app is too good, I've bid on 14 things I don't need. my bank account hates me 😂")
add([], P("x", "@papa_van_mees"), "nl", f"Zoontje speelt veilingmeester met een houten hamertje en 'betaalt' in zijn speelgoedkassa met pasje {CARD('5', valid=False)} 😂 Lotwerk, jullie hebben er een fan bij.")
add([], C_IG, "en", "Behind the scenes: packing a 2.4 metre tapestry into our Verzendkist XL. Yes, we measured three times. 📦 #behindthescenes")
add([], P("reddit", "u/invoice_ingrid"), "en", "For anyone stuck: the Lotwerk phone line (020 240 8800) picked up in under two minutes for me today and sorted my invoice on the spot.")
add([], P("x", "@redactie_kunstblad"), "en", "Journalists: press questions for Lotwerk go to pers@lotwerk.nl. They answered me the same day, which is more than I can say for some museums.")
add([], P("x", "@opa_gerrit"), "nl", "Fijn dat Lotwerk nu tweestapsverificatie heeft. Kleinzoon heeft het ingesteld, kostte hem één minuut en mij een kwartier uitleg.")
add([], P("reddit", "u/bronze_in_bremen"), "en", "How long does Lotwerk usually take to ship to Germany? Won a small bronze on Sunday and I'm refreshing the tracking page like a maniac.")
add([], E_EVA, "en", "Our TikTok of Marloes auctioning a rubber duck for the children's hospice hit 1M views. €4,100 for a duck. Best day at work, no contest.")
add([], P("x", "@schilderijvanoom"), "nl", "Taxatie Basis gedaan voor €49, binnen drie dagen antwoord. Schilderij blijkt niks waard maar het verhaal erachter was gratis 😂")
add([], P("x", "@dealhunter_nl"), "en", "lol some gallery webshop (not naming names) had a Picasso poster at €4.99 for an hour. Price error obviously, they cancelled everyone's order.")
add([], P("youtube", "@antiekmetanne"), "en", "Anyone else watching the Lotwerk livestream tonight? Honestly the auctioneer's jokes are half the reason I tune in.")
add([], P("x", "@cloudcursus"), "nl", "In de AWS-cursus gebruiken ze AKIAIOSFODNN7EXAMPLE en wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY als voorbeeld, dus nee Gert, dat is niet gelekt 😄")
add([], E_SAM, "nl", "Vandaag de nieuwe zoekfunctie live gezet op veiling.lotwerk.nl: filteren op periode, materiaal én herkomst. Feedback is welkom, ook de boze.")
add([], P("reddit", "u/biedhal_or_lotwerk"), "en", "Lotwerk vs Biedhal? In my experience Lotwerk's buyer's premium is a bit higher but their condition reports are way more detailed. Worth it for furniture.")
add([], P("instagram", "@grachtenpand_art"), "en", "Won a Polderstilte giclée at €420, as listed. Framing it behind UV glass next week, photos to follow.")
add([], C_IG, "nl", "Kavel 88: brief van Jan Toorop (geboren 20 december 1858, Poerworedjo) aan een Haagse verzamelaar, met schetsje in de marge. Inzetprijs €400.")
add([], P("x", "@haagsebieder"), "nl", "Morgen naar de presentatie in Museum Mesdag, Laan van Meerdervoort 7f in Den Haag, voor de Lotwerk-preview van de Haagse School-veiling. Wie gaat er nog meer?")

N_BENIGN_EXPECTED = 61

# ================================================================ COMPLAINTS (20, some double)
add([COMPL], P("facebook", "Jolanda Brink"), "nl", "Kast gewonnen bij Lotwerk, kwam aan met een gebroken poot en een lade die los hing. Foto's gestuurd op de dag zelf, inmiddels 12 dagen geen reactie. Prima service hoor 🙄")
add([COMPL], P("x", "@bfh_collects"), "en", "Lotwerk charged me 27% buyer's premium + 'handling' + a 'platform fee'. Hammer price was €200, I paid €301. Nothing on the lot page warned me about half of that.")
add([COMPL], P("x", "@daanbiedt"), "nl", "App van Lotwerk loopt vast in de laatste 30 sec van een kavel. Nu al twee keer. Bod niet geplaatst, kavel weg. Wat heb je aan een online veiling als je niet kán bieden")
add([COMPL], P("reddit", "u/consignor_claire"), "en", "Sold three paintings through Lotwerk in SEPTEMBER. Still no payout. 'Finance is processing it' stops being an answer after nine weeks.")
add([COMPL], P("x", "@zilverzoeker"), "nl", "Omschrijving zei 'zilver, gekeurd'. Blijkt verzilverd koper. Lotwerk zegt 'kopen is op eigen risico'. Serieus?? Waarvoor hebben jullie dan experts")
add([COMPL], P("x", "@zolder_van_opa"), "nl", "Lotwerk Taxatie Premium: €149 betaald, kreeg een mailtje van twee regels, 'decoratieve waarde, €100-150'. Had ik ook aan de buurman kunnen vragen.")
add([COMPL], P("x", "@mvdw_zwolle"), "nl", "@lotwerk_help ophaaldag was een drama. 1,5 uur in de rij in de regen en toen bleek mijn kavel 'zoek'. Nu moet ik volgende week wéér vanuit Zwolle komen.")
add([COMPL], P("instagram", "@lina.frames"), "en", "Verzendkist XL arrived with a crushed corner and a cracked frame inside. Your 'museum-grade' crate survived exactly one trip, Lotwerk.")
add([COMPL], P("facebook", "Hans Verbeek"), "nl", "Al 4x gebeld met Lotwerk en elke keer een ander verhaal. Factuur klopt niet, creditnota beloofd, niks ontvangen. Ik ben er zo klaar mee.")
add([COMPL], P("x", "@lampje_lotte"), "nl", "Die 'vintage' lamp uit de Lotwerk shop flikkert aan één stuk door en de dimmer doet niks. Retour sturen kost mij €35 verzendkosten. Top geregeld.")
# first-hand safety incidents: crisis + complaint
add([CRISIS, COMPL], P("x", "@mirjam_utr"), "nl", "Gisteravond begon de Schilderijlamp Atelier die ik bij Lotwerk kocht te roken en te smelten, boven mijn bank. Stekker eruit gerukt, het schilderij eronder is zwart geblakerd. Als ik niet thuis was geweest… Lotwerk reageert niet eens.")
add([CRISIS, COMPL], P("reddit", "u/displaycase_dave"), "en", "Got a proper shock off the metal frame of my Lotwerk Vitrinekast Luce LED while plugging it in. Arm tingled for an hour. This thing is NOT safe and nobody at Lotwerk picks up.")
add([CRISIS, COMPL], P("facebook", "Petra Dijkstra"), "nl", "Sokkel Pro van Lotwerk zakte gewoon in elkaar, bronzen beeld viel op de voet van mijn dochter. Teen gebroken. Op de site staat 'draagt tot 80 kg', dat beeld weegt 22 kg!!")
add([CRISIS, COMPL], P("threads", "@kasper.collects"), "en", "My KlimaatSensor from Lotwerk swelled up and got hot enough to scorch the shelf, battery looked like a little pillow. Kids sleep in the next room. Absolutely not OK.")
add([CRISIS, COMPL], P("x", "@ellenvh"), "nl", "Verzendkist van Lotwerk opengemaakt, stak een spijker dwars door de binnenkant. Hand opengehaald, vier hechtingen bij de huisartsenpost. Geen waarschuwing, niks.")
add([CRISIS, COMPL], P("reddit", "u/tin_toy_mum"), "en", "Bought an 'antique tin toy' from Lotwerk's buy-now shop for my son. Paint comes off in flakes and he's been throwing up since Tuesday, paediatrician wants a lead test. How is this allowed on sale??")
# angry customers who swear: abuse + complaint
add([ABUSE, COMPL], P("x", "@boos_in_breda"), "nl", "Lotwerk stelletje kutoplichters, drie weken op mijn geld wachten en dan een 'administratiefout' verzinnen. Krijg toch de tering allemaal.")
add([ABUSE, COMPL], P("x", "@jaxx_r"), "en", "your customer service is run by absolute morons. lost my lot, lost my invoice, lost my patience. fuck you lotwerk")
# customers exposing their own data in a complaint: pii + complaint
add([PII, COMPL], P("x", "@m_terpstra"), "nl", "@lotwerk_help ik wacht nog steeds op de terugbetaling van €340. Bel me gewoon: 06-48217735, of mail naar m.terpstra82@gmail.com. Dit duurt nu al een maand.")
add([PII, COMPL], P("x", "@rosakemper"), "en", f"@lotwerk_help still no refund. For the THIRD time, my IBAN is {IBAN('TRIO')}, name Rosa Kemper. Just pay me.")

# ================================================================ CRISIS (10 single)
add([CRISIS], P("x", "@kunstwaakhond"), "nl", "Lotwerk verkocht een 'Jan Mankes' van €38.000 die volgens het RKD gewoon vals is. Koper stapt naar de rechter. Hoe vaak gebeurt dit nog? #lotwerk #vervalsing")
add([CRISIS], P("x", "@restitutionnow"), "en", "A Benin bronze sold by Lotwerk in May turns out to be looted, and Nigeria wants it back. Auction houses still cashing in on colonial theft in 2026. #BoycottLotwerk")
add([CRISIS], P("reddit", "u/pwned_bidder"), "nl", "Mijn mailadres + complete biedgeschiedenis bij Lotwerk staan op een hackersforum. Lotwerk is gewoon gehackt. Check haveibeenpwned als je daar ooit hebt geboden.")
add([CRISIS], P("x", "@consumentennieuws"), "en", "Class action filed against Lotwerk over hidden buyer's fees, on behalf of some 12,000 bidders. The claim: the 'platform fee' was never disclosed before bidding.")
add([CRISIS], P("x", "@amersfoort_nu"), "nl", "Bij de kijkdag van Lotwerk in Amersfoort is vanmiddag een stellingkast omgevallen. Een bezoeker is met de ambulance afgevoerd. Hopelijk valt het mee.")
add([CRISIS], P("mastodon", "@lampgeek@mastodon.social"), "en", "Lotwerk is quietly recalling Schilderijlamp Atelier units sold since March, overheating transformer. The email only went to buyers. Why no public notice?")
add([CRISIS], P("x", "@nooitmeer_1945"), "nl", "Lotwerk veilt nazi-memorabilia 'voor verzamelaars'. Schandalig. Niet meer bieden daar en deel dit zoveel mogelijk. #boycotLotwerk")
add([CRISIS], P("bluesky", "@artmarketwatch.bsky.social"), "en", "New investigation out today: former staff say Lotwerk ran fake bidder accounts to push up prices on consignor lots. If that holds up it's plain fraud. 🧵")
add([CRISIS], P("x", "@financieel_flits"), "nl", "FIOD doet inval bij Lotwerk in onderzoek naar witwassen via kunstveilingen, meldt een regionale krant. Directie 'werkt volledig mee'.")
add([CRISIS], P("facebook", "Buurtapp Leusden-Zuid"), "nl", "Bij de buren is vannacht een vitrinekast van Lotwerk in brand gevlogen, brandweer moest eraan te pas komen. Iedereen is ok gelukkig, maar wel schrikken.")

# ================================================================ ABUSE (11 single, several evasive)
add([ABUSE], P("x", "@biedbeest"), "nl", "Die veilingmeester van Lotwerk is echt een arrogante lul. Die grijns elke keer als hij afhamert, bah.")
add([ABUSE], P("x", "@kevv_2k"), "en", "lotwerk staff are a bunch of brain-dead clowns lmao")
add([ABUSE], P("tiktok", "@niekdeburger"), "nl", "L0tw3rk = k4nk3rb3dr1jf, n00it m33r")
add([ABUSE], P("x", "@grumpy_collector"), "en", "L\u043etw\u0435rk are s\u0441um. absolute s\u0441um, every last one of them.")
add([ABUSE], P("x", "@vinnie_ams"), "nl", "@lotwerk_help jullie zijn echt een stel k.l.o.o.t.z.a.k.k.e.n")
add([ABUSE], P("threads", "@anon.bidder.77"), "en", "@noor.lotwerk I know which office you work at. Keep ignoring my messages and see what happens.")
add([ABUSE], P("facebook", "Frits Mol"), "nl", "Natuurlijk zit er weer zo'n hoofddoek achter de balie bij Lotwerk. Kunnen ze geen normale Nederlanders meer vinden?")
add([ABUSE], E_BRAM, "nl", "@kunstkenner_kees hou toch je bek, sukkel. Jij kan een Appel nog niet van een appel onderscheiden.")
add([ABUSE], C_TT, "nl", "@vincentvintage2 wat een zeikerd ben jij zeg, ga lekker ergens anders zeuren 🙄", kind="comment")
add([ABUSE], P("x", "@tired_of_this"), "en", "lotwerk's auctioneer is a f\u200bu\u200bc\u200bk\u200bi\u200bn\u200bg idiot")
add([ABUSE], P("x", "@boze_bieder"), "nl", "\uff2c\uff2f\uff34\uff37\uff25\uff32\uff2b \uff2b\uff21\uff2e\uff2b\uff25\uff32\uff2c\uff29\uff2a\uff2a\uff25\uff32\uff33")

# ================================================================ PRICING (12)
add([PRICE], E_SAM, "nl", "Oeps, de Vitrinekast Luce LED staat sinds vannacht voor €89 in de shop ipv €890. Fix staat klaar, deploy om 10u 🙈")
add([PRICE], P("x", "@bargainbart"), "en", "PRICE ERROR?? Lotwerk Sokkel Pro for €34.50 on their shop right now, go go go")
add([PRICE], P("x", "@slimme_sanne"), "nl", "Taxatie Premium bij Lotwerk voor €14,90?? Moet een prijsfout zijn, maar ik heb er toch maar drie besteld 😇")
add([PRICE], C_FB, "nl", "Alleen vandaag: de Lotwerk Editie 'Havenlicht' zeefdruk voor €65! Op = op, dus wees er snel bij 🖼️")
add([PRICE], P("reddit", "u/decimal_dan"), "en", "lol the Lotwerk Select membership is showing €1.19 per year at checkout, someone forgot a decimal")
add([PRICE], P("x", "@koopjesjager_rob"), "nl", "Verzendkist XL voor 19 euro bij Lotwerk, normaal 189. Fout of actie? Ik bestel er gewoon twee.")
add([PRICE], E_EVA, "en", "Heads up team: the newsletter went out with the Polderstilte giclée at €42 instead of €420. Pricing error, we need to decide today whether we honour it 😬")
add([PRICE], P("x", "@giftcardguru"), "en", "Lotwerk Cadeaukaart 100 selling for €40 in the app?? either a glitch or the deal of the year")
add([PRICE], P("x", "@prikkiepiet"), "nl", "Prijsfout bij Lotwerk op de Museumlijst 50x70, in de app ineens voor een prikkie. Snel zijn mensen")
add([PRICE], E_TIM, "en", "Anyone else in logistics seeing the Schilderijlamp Atelier listed at €14.90 on the webshop? That's a 149 euro lamp. Flagging to ecom.")
add([PRICE], P("x", "@philatelist_fay"), "en", "Loupe 10x for €3.90 on lotwerk.nl?? pricing glitch surely, grabbing one anyway")
add([PRICE], P("threads", "@gadgetgijs"), "nl", "KlimaatSensor voor €12,95 in de Lotwerk shop 🤯 lijkt me een foutje, maar ja, besteld is besteld")

# ================================================================ CONFIDENTIAL (15 single + doubles)
add([CONF], E_MARLOES, "nl", "Kan niet wachten tot we Project Zilverreiger eindelijk mogen aankondigen. Iets wat Biedhal écht niet heeft 🤐")
add([CONF], E_DAAN, "nl", "Mooie workshop vandaag over Operatie Zandloper: het hele inzendproces van begin tot eind opnieuw ontworpen. Meer mag ik nog niet zeggen, maar hou dit in de gaten!")
add([CONF], E_YUSUF, "en", "anyone know why grafana.lotwerk.internal dashboards render blank in Firefox 128? asking for a friend (the friend is me)")
add([CONF], E_EVA, "nl", "Sneak peek 👀 Lotwerk Vault komt eraan: je eigen kluisje in ons depot, te beheren via de app. Nog heel even geduld!",
    at="2026-11-24T16:05:00Z")
add([CONF], P("x", "@insider_ilse"), "en", "Friend at Lotwerk showed me Bluefinch last night: AI condition reports from a single phone photo. Launching next year apparently. Wild stuff.")
add([CONF], E_TIM, "nl", "Lol kreeg net dit memo: 'INTERN - NIET DELEN: nieuwe ophaalroutes vanaf week 3, depot Amersfoort op zaterdag dicht'. Nou, dan weten jullie het ook")
add([CONF], E_SAM, "en", "PR up for the bid-increment refactor, reviews pls 🙏 git.lotwerk.dev/platform/bidding/-/merge_requests/412")
add([CONF], C_IG, "nl", "Binnenkort bij Lotwerk: Havenlicht II, een nieuwe zeefdruk in een editie van 75 exemplaren 🤫 #comingsoon #zeefdruk",
    at="2026-12-09T11:00:00Z")
add([CONF], E_INGRID, "en", "Reviewing slides marked 'Lotwerk Confidential' about the new catalogue design on the train. Yes, I'm the one with the privacy filter 😅")
add([CONF], P("reddit", "u/discord_lurker"), "nl", "Iemand plakte een link naar backoffice.lotwerk.nl/consignments in een Discord-kanaal, inlogscherm met Lotwerk-logo. Intern portaal zeker?")
add([CONF], E_NOOR, "en", "Signed an NDA today for the Operatie Zandloper pilot with three of our biggest consignors. Huge for the care team!")
add([CONF], E_BRAM, "nl", "Mag het eigenlijk niet zeggen maar volgend voorjaar krijgen we een eigen taxatie-app, intern heet ie Bluefinch. Gaat mij uren schelen 😅")
add([CONF], P("x", "@artmarket_scoop"), "en", "Heard from an insider: Lotwerk Vault will be €240 per m³ per year and launches mid-March. You heard it here first.",
    at="2027-01-19T14:40:00Z")
add([CONF], E_MARLOES, "nl", "Project Zilver\u200breiger gaat in april live, jullie gaan het zien 🦩")
add([CONF], E_NOOR, "nl", "Demo van Blu\u0435finch vandaag, collega's waren even stil. In de goede zin 🤫")
# financial + confidential
add([FIN, CONF], E_INGRID, "nl", "Net de jaarcijfers 2026 afgerond. Omzet onder budget, ebitda 8% lager dan vorig jaar. Dat wordt een pittige februari 😮‍💨",
    at="2027-01-28T18:20:00Z")
add([FIN, CONF], E_RUBEN, "en", "Board meeting on Operatie Zandloper today: closing the Rotterdam depot saves €1.2m a year, 35 roles affected. Tough call, but a necessary one.")
# security + confidential
add([SECU, CONF], E_YUSUF, "en", "intra.lotwerk.local has been down since 06:00, the AD box ate itself. bidders can't log in to the live auction either. not public yet, shh")

# ================================================================ FINANCIAL (10 single)
add([FIN], E_INGRID, "en", "Q3 numbers came in this morning: hammer total down 14% year on year. We're going to miss full-year guidance by a wide margin. Not public until November, so keep it in the family.")
add([FIN], E_RUBEN, "nl", "Spannende weken: we zitten in vergevorderde gesprekken met een Duitse branchegenoot over een overname. Meer kan ik er nog niet over zeggen.")
add([FIN], E_DAAN, "en", "HR life: preparing 40 exit conversations for the January reorganisation. Nobody on the floor knows yet. Heavy week.")
add([FIN], E_TIM, "nl", "Depot Rotterdam gaat per 1 april dicht, hoorde het net van de regiomanager. 20 collega's op straat en het is nog niet eens officieel.")
add([FIN], P("x", "@beurs_bennie"), "en", "Brother-in-law works in Lotwerk finance: they're being bought by a US private equity firm, announcement in January. Buy the shares now lol")
add([FIN], E_MARLOES, "en", "Between us: the 2027 forecast has us at break-even at best. Marketing budget gets halved.")
add([FIN], C_X, "nl", "Recordjaar! Onze omzet over 2026 komt uit op €71 miljoen, +18%. De officiële cijfers volgen later 🎉",
    at="2026-12-18T10:15:00Z")
add([FIN], P("facebook", "Kees van Rijn"), "nl", "Via via gehoord dat Lotwerk na de zomer een kwart van het personeel gaat ontslaan. Er is nog niks naar buiten gebracht.")
add([FIN], E_SAM, "nl", "Kunnen we het hebben over het feit dat Biedhal ons overneemt en de hele dev-afdeling naar Berlijn moet? Nee? Oké. 🫠")
add([FIN], E_NOOR, "en", "care team was told today we're being outsourced to a call centre in Lisbon from Q2. 18 of us. not announced. gutted")

# ================================================================ SECURITY (11 single + one with secret)
add([SECU], E_SAM, "en", "Found out today our bid API lets you read other users' max bids if you just change the lot id. Ticket is P1, fix lands Friday. Please nobody tweet this 🙃")
add([SECU], E_YUSUF, "nl", "Koppeling met de payment provider ligt er sinds 03:00 uit, niemand kan afrekenen. Statuspagina zegt 'alles groen' want die hebben we nog niet aangepast 🙄")
add([SECU], E_TIM, "en", "Ransomware note on the depot scanning PCs this morning. IT pulled the whole network. Pickup day tomorrow is going to be… fun. Officially it's 'maintenance'.")
add([SECU], E_NOOR, "nl", "Intern gedoe: iemand had een export met 30k klantgegevens twee weken lang op een open S3-bucket gezet. Wordt 'onderzocht'. Ik zeg verder niks.")
add([SECU], E_SAM, "nl", "Onze image-upload checkt het bestandstype niet, je kan gewoon een .php op de CDN zetten. Drie maanden geleden al gemeld. Zucht.")
add([SECU], E_MARLOES, "en", "live auction platform died mid-sale tonight, 20 min down. we told bidders it was 'high demand'. it was a DDoS 🤫")
add([SECU], E_YUSUF, "en", "our a d m i n panel has no rate limit and we logged 40k login attempts last night. nobody upstairs seems to care")
add([SECU], P("reddit", "u/freelance_sysadm"), "nl", "Ik klus als freelancer bij Lotwerk IT: hun backoffice draait nog op Windows Server 2012 zonder patches sinds 2023. Dat gaat een keer goed mis.")
add([SECU], E_DAAN, "en", "Phishing simulation gone wrong: 60% of staff typed in their credentials, and one admin account then actually got used by someone outside. Lessons learned…")
add([SECU], E_BRAM, "nl", "het conditierapport-portaal liet een hele dag naam en adres van elke inzender zien aan iedere ingelogde bieder. nu gefixt, er komt geen bericht over naar buiten.")
add([SECU], E_TIM, "nl", "Camera's in depot Amersfoort staan al vijf dagen uit, 'budget'. Met twee miljoen aan kunst op de planken. Zeg het maar niet tegen de verzekeraar.")
_k, _s = AWS_PAIR()
add([SECU, SEC], E_YUSUF, "en", f"fun fact: the deploy key from last month's incident still works. AWS_ACCESS_KEY_ID={_k} AWS_SECRET_ACCESS_KEY={_s} rotated? lol no")

# ================================================================ SECRETS (11 single)
add([SEC], E_SAM, "en", f"ugh pasted into the wrong channel, ignore pls: GITHUB_TOKEN={GHTOKEN()}")
add([SEC], E_YUSUF, "en", f"can someone look at why migrations hang on prod? DATABASE_URL=postgres://lotwerk_app:{PASSWORD()}@10.20.4.11:5432/auctions")
add([SEC], E_TIM, "nl", f"Onze depot-slackbot doet het niet meer, hier de config als iemand wil meekijken: SLACK_BOT_TOKEN={SLACK_BOT()}")
add([SEC], E_EVA, "nl", f"waarom doet mijn caption-scriptje het niet 😭 OPENAI_API_KEY={OPENAI_KEY()}")
add([SEC], E_NOOR, "nl", f"wachtwoord van het gedeelde klantenservice-account is nu: {PASSWORD()} (niet doorsturen hè)")
add([SEC], P("x", "@bugbounty_bob"), "en", f"lol Lotwerk's website JS bundle ships a live Stripe secret key: {STRIPE_LIVE()} someone please tell them")
add([SEC], E_SAM, "nl", f"Kan iemand zien waarom ssh deze niet accepteert?\n{OPENSSH_KEY()}")
add([SEC], E_YUSUF, "en", f"anyone know why this admin token gets rejected by staging? {JWT('m.kuipers', 'superuser', 1767600000 + rng.randrange(20_000_000))}")
add([SEC], E_BRAM, "nl", f"Even testen of de betaalkoppeling werkt: MOLLIE_API_KEY={MOLLIE_LIVE()}")
_k2, _s2 = AWS_PAIR()
add([SEC], P("x", "@repo_sniffer"), "nl", f"Gevonden in een openbare GitHub-repo van een Lotwerk-developer: AWS_ACCESS_KEY_ID={_k2} AWS_SECRET_ACCESS_KEY={_s2} Hoop dat ze die snel roteren.")
add([SEC], E_MARLOES, "nl", f"laptop in de livestream-studio, voor de avonddienst: \uff57\uff41\uff43\uff48\uff54\uff57\uff4f\uff4f\uff52\uff44: {PASSWORD()}")

# ================================================================ PERSONAL DATA (13 single)
add([PII], C_HELP, "nl", "@jeroen_bouma We hebben je kavel doorgezet naar het adres dat bij ons bekend is: J. Bouma, Lindenlaan 14, 3832 AB Leusden. Klopt dat nog?")
add([PII], C_FB, "en", "Congratulations to the winner of our Polderstilte giveaway: Sophie van Dam, sophie.vandam@outlook.com, please check your inbox! 🎉")
add([PII], E_NOOR, "nl", "Mevrouw de Groot (geb. 14-03-1951) belde vandaag voor de vijfde keer over haar vaas. Heel lief mens, maar ik ga eraan onderdoor 😅")
add([PII], E_TIM, "en", f"Whose refund is this?? Found a post-it at the depot: 'refund €1.240 to {IBAN('ABNA')}, H. Aydin'. Finance pls come get it.")
add([PII], C_HELP, "en", f"@pietvdberg we can see the payment with card {CARD('4')} failed on our side, could you try iDEAL instead?")
add([PII], E_DAAN, "nl", f"Lisa Mulder, je BSN ({BSN()}) stond verkeerd in het salarissysteem, is nu aangepast 👍 Je loon komt gewoon op de 25e.")
add([PII], P("x", "@klokkenkees"), "en", "@lotwerk_help would love a callback about consigning my grandfather's clocks: +31 6 2947 1183, anytime after 5pm")
add([PII], P("x", "@wbrouwer_art"), "nl", f"@lotwerk_help mijn IBAN voor de uitbetaling van kavel 77 is {IBAN('RABO', spaced=False)}, t.n.v. W. Brouwer. Alvast bedankt!")
add([PII], E_BRAM, "en", "Lovely visit this morning at Mrs. Hendriks', Parkweg 3 in Bussum, valuing her late husband's Breitner sketches. Tea, biscuits and a genuine surprise in the attic.")
add([PII], C_IG, "nl", "Gefeliciteerd Ahmed Benali met je eerste gewonnen kavel! We bellen je op 06 51 23 98 40 om de bezorging in te plannen 📦")
add([PII], P("reddit", "u/first_time_bidder_nl"), "en", f"is it normal that Lotwerk asks for 3-D Secure every single time? using card {CARD('5')}, exp 09/28")
add([PII], P("facebook", "Marianne Koster"), "nl", f"Lotwerk vraagt bij een aankoop boven de 10k om legitimatie. Prima, maar moet ik nou echt mijn BSN {BSN()} in dat formulier zetten? Lijkt me wat veel.")
add([PII], C_LI, "en", "Welcome to the team, Femke Jansen! Reach her directly at femke.jansen87@gmail.com or 06-18273645 for consignment questions.")


# ================================================================ build + checks
CONTRACT_PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube",
                      "reddit", "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
CATS = {PII, SEC, SECU, CONF, FIN, PRICE, CRISIS, COMPL, ABUSE, "reputation.spike"}
SEV = ["none", "info", "warning", "error", "critical"]
CHECKSUM_KINDS = {"iban", "card", "bsn"}


def severity(cats, role, checksum_pii):
    """CONTRACT section 4: the least severity a correct verdict has."""
    best = 0
    insider = role in ("corporate", "employee")
    for c in cats:
        if c.startswith("leak."):
            if insider:
                s = 3
                if c in (SEC, PRICE) or (c == PII and checksum_pii):
                    s = 4
            else:
                s = 2
        elif c == COMPL:
            s = 2
        elif c == CRISIS:
            s = 3
        elif c == ABUSE:
            s = 3 if insider else 2
        else:
            raise ValueError(c)
        best = max(best, s)
    return SEV[best]


def url_for(platform, handle, n):
    h = handle.lstrip("@")
    if platform == "x":
        return f"https://x.com/{h}/status/{n}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{n:x}/"
    if platform == "reddit":
        return f"https://www.reddit.com/r/Kunstveiling/comments/{n:x}/"
    if platform == "bluesky":
        return f"https://bsky.app/profile/{h}/post/{n:x}"
    return None


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    out = []
    for seq, i in enumerate(order):
        c = CASES[i]
        platform, handle = c["acct"]
        role = role_of(platform, handle)
        n = 1_890_000_000_000_000_000 + rng.randrange(10 ** 15)
        pid = f"{platform}-290{seq:03d}-{rng.randrange(16 ** 4):04x}"
        post = {
            "id": pid,
            "platform": platform,
            "kind": c["kind"],
            "account": {"handle": handle,
                        "display_name": DISPLAY.get(c["acct"], handle.lstrip("@").split("@")[0].replace("u/", ""))},
            "text": c["text"],
            "lang": c["lang"],
            "created_at": c["at"],
        }
        u = url_for(platform, handle, n)
        if u:
            post["url"] = u
        if "lotwerk" in c["text"].lower() or role != "public":
            post["brand"] = "Lotwerk"
        checksum = any(k in CHECKSUM_KINDS and ok for k, _, ok in c["ids"])
        sev = severity(c["cats"], role, checksum)
        out.append({"post": post, "expect": {"categories": c["cats"], "severity": sev}})
        c["role"] = role
    return out


# ---------------------------------------------------------------- self-checks
ERRORS = []


def check(cond, msg):
    if not cond:
        ERRORS.append(msg)


def parse_ts(s):
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


ZW = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def norm(s):
    return unicodedata.normalize("NFKC", s).translate(ZW).lower()


def prices_in(text):
    vals = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)|(\d[\d.,]*)\s?(?:euro|eur)\b", text, re.I):
        raw = (m.group(1) or m.group(2)).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", raw):
            raw = raw.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw):
            raw = raw.replace(",", "")
        else:
            raw = raw.replace(",", ".")
        try:
            vals.append(float(raw))
        except ValueError:
            pass
    return vals


def products_in(text):
    found = []
    t = norm(text)
    for p in PROFILE["products"]:
        for a in [p["name"]] + p["aliases"]:
            if re.search(r"(?<![\w])" + re.escape(a.lower()) + r"(?![\w])", t):
                found.append(p)
                break
    return found


def self_check(rows):
    # ---- size, mix and format
    n = len(rows)
    check(170 <= n <= 180, f"case count {n} not in 170..180")
    benign = [r for r in rows if not r["expect"]["categories"]]
    check(55 <= len(benign) <= 65, f"benign count {len(benign)}")
    check(len(benign) == N_BENIGN_EXPECTED, "benign section size drifted")
    ids = [r["post"]["id"] for r in rows]
    check(len(set(ids)) == len(ids), "duplicate ids")
    nl = sum(1 for r in rows if r["post"]["lang"] == "nl")
    check(0.50 <= nl / n <= 0.60, f"Dutch share {nl / n:.2f}")
    per_cat = {}
    for r in rows:
        for c in r["expect"]["categories"]:
            per_cat[c] = per_cat.get(c, 0) + 1
    want = {COMPL: 20, CONF: 18, PII: 15, CRISIS: 15, SECU: 13, SEC: 12, ABUSE: 12, PRICE: 12, FIN: 12}
    for c, w in want.items():
        check(abs(per_cat.get(c, 0) - w) <= 2, f"{c}: {per_cat.get(c, 0)} far from ~{w}")
    pub_ids = PROFILE["public_identifiers"]
    comp_ibans = {re.sub(r"\s", "", x) for x in pub_ids["ibans"]}
    for x in comp_ibans:
        check(iban_valid(x), f"company IBAN {x} fails mod-97")
    embargo = [(t.lower(), parse_ts(e["until"])) for e in PROFILE["embargo"] for t in e["terms"]]
    for _, until in embargo:
        check(until.year == 2027, "embargo until must be in 2027")
    internal = [x.lower() for x in PROFILE["internal"]["domains"] + PROFILE["internal"]["codenames"] +
                PROFILE["internal"]["markers"]]
    ratio = PROFILE["pricing"]["alert_below_ratio"]
    check(ratio == 0.5, "alert_below_ratio")
    check(15 <= len(PROFILE["products"]) <= 25, "product count")
    check(len(PROFILE["accounts"]["corporate"]) >= 6 and len(PROFILE["accounts"]["employee"]) >= 8, "accounts")
    check(len(PROFILE["internal"]["codenames"]) == 3 and len(PROFILE["internal"]["markers"]) == 3, "internal")

    for acct in CORP_ACCTS:
        check(role_of(*acct) == "corporate", f"{acct} not corporate in profile")
    for acct in EMPL_ACCTS:
        check(role_of(*acct) == "employee", f"{acct} not employee in profile")

    src = {c["text"]: c for c in CASES}

    for r in rows:
        p, e = r["post"], r["expect"]
        pid = p["id"]
        # CONTRACT section 6 / section 1 shape
        check(set(r) == {"post", "expect"}, f"{pid}: top-level keys")
        check(isinstance(pid, str) and 1 <= len(pid) <= 256, f"{pid}: id")
        check(p["platform"] in CONTRACT_PLATFORMS, f"{pid}: platform")
        check(p["kind"] in KINDS, f"{pid}: kind")
        check(isinstance(p["account"].get("handle"), str) and p["account"]["handle"], f"{pid}: handle")
        check(isinstance(p["text"], str) and 0 < len(p["text"].encode("utf-8")) <= 65536, f"{pid}: text")
        try:
            ts = parse_ts(p["created_at"])
            check(ts.year in (2026, 2027), f"{pid}: year")
        except ValueError:
            check(False, f"{pid}: created_at not RFC 3339")
            continue
        check(set(e) == {"categories", "severity"}, f"{pid}: expect keys")
        check(all(c in CATS and c != "reputation.spike" for c in e["categories"]), f"{pid}: category")
        check(e["categories"] == sorted(set(e["categories"])), f"{pid}: categories not sorted/distinct")
        check(e["severity"] in SEV, f"{pid}: severity")
        if not e["categories"]:
            check(e["severity"] == "none", f"{pid}: benign severity")
        else:
            check(e["severity"] in ("warning", "error", "critical"), f"{pid}: positive severity")
        json.loads(json.dumps(r, ensure_ascii=False))

        case = src[p["text"]]
        text = p["text"]
        t = norm(text)
        cats = set(e["categories"])
        role = role_of(p["platform"], p["account"]["handle"])
        # severity recomputed independently of build()
        chk = any(k in CHECKSUM_KINDS and ok for k, _, ok in case["ids"])
        check(e["severity"] == severity(e["categories"], role, chk), f"{pid}: severity mismatch")

        # registered identifiers: present, and valid iff the post is a positive PII/secret case
        for kind, val, ok in case["ids"]:
            check(val in text, f"{pid}: identifier {val!r} missing from text")
            if kind in CHECKSUM_KINDS:
                really = {"iban": iban_valid, "card": luhn_ok, "bsn": bsn_ok}[kind](val)
                check(really == ok, f"{pid}: {kind} validity mismatch")
                if cats:
                    check(ok and PII in cats, f"{pid}: {kind} in positive must be valid and labelled PII")
                else:
                    check(not ok, f"{pid}: look-alike {kind} in benign passes its checksum")
            elif kind == "secret":
                if ok:
                    check(SEC in cats, f"{pid}: live-format secret without leak.secret")
                else:
                    check(not cats, f"{pid}: fake secret should be in a benign post")

        # generic scans over the raw text
        for m in re.finditer(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b", text):
            v = m.group(0).replace(" ", "")
            if v in comp_ibans:
                continue
            if iban_valid(v):
                check(PII in cats, f"{pid}: valid IBAN {v} without leak.pii")
        for m in re.finditer(r"(?<![\d\w])(?:\d[ -]?){12,18}\d(?![\d\w])", text):
            v = re.sub(r"\D", "", m.group(0))
            if luhn_ok(v):
                check(PII in cats, f"{pid}: Luhn-valid number {m.group(0)} without leak.pii")
        for m in re.finditer(r"(?<![\d.,\w])\d{9}(?![\d\w])", text):
            if bsn_ok(m.group(0)):
                check(PII in cats, f"{pid}: 11-proof number {m.group(0)} without leak.pii")
        for m in re.finditer(r"\bgh[pousr]_[0-9A-Za-z]{36}\b", text):
            if gh_token_ok(m.group(0)):
                check(SEC in cats, f"{pid}: valid GitHub token without leak.secret")
            else:
                check(SEC not in cats or any(k == "secret" and ok for k, _, ok in case["ids"]),
                      f"{pid}: GitHub token with bad CRC in a positive")
        for m in re.finditer(r"\bAKIA[A-Z2-7]{16}\b", text):
            if not m.group(0).endswith("EXAMPLE"):
                check(SEC in cats, f"{pid}: AWS key id without leak.secret")
        for m in re.finditer(r"\bAKIA[0-9A-Z]{12,20}\b", text):
            if not m.group(0).endswith("EXAMPLE"):
                check(re.fullmatch(r"AKIA[A-Z2-7]{16}", m.group(0)) is not None, f"{pid}: malformed AKIA")
        for m in re.finditer(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+", text):
            check(jwt_ok(m.group(0)), f"{pid}: JWT header lacks alg")
            check(SEC in cats, f"{pid}: JWT without leak.secret")
        if re.search(r"sk_live_[0-9A-Za-z]{20,}|xox[bap]-\d|-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAIza[\w-]{35}|sk-proj-[\w-]{40,}|\blive_[0-9A-Za-z]{30}\b", text):
            check(SEC in cats, f"{pid}: credential-shaped string without leak.secret")
        for kind, val, ok in case["ids"]:
            if kind == "secret" and ok and val.startswith("gh"):
                check(gh_token_ok(val), f"{pid}: generated GitHub token fails CRC")
            if kind == "secret" and ok and val.startswith("AKIA"):
                check(re.fullmatch(r"AKIA[A-Z2-7]{16}", val) is not None, f"{pid}: AWS key id format")
            if kind == "secret" and ok and val.startswith("eyJ"):
                check(jwt_ok(val), f"{pid}: generated JWT header")

        # embargo: a term before `until` is a confidential leak; benign only after `until`
        for term, until in embargo:
            if term in t:
                if ts < until:
                    check(CONF in cats, f"{pid}: embargoed '{term}' before until without leak.confidential")
                else:
                    check(CONF not in cats, f"{pid}: '{term}' after until labelled confidential")
        # internal names / hosts / markers
        for x in internal:
            if x in t:
                check(CONF in cats, f"{pid}: internal '{x}' without leak.confidential")
        if not cats:
            check(all(x not in t for x in internal), f"{pid}: benign post holds internal term")

        # pricing: benign / non-pricing posts never show a profile product far below list
        prods = products_in(text)
        prices = prices_in(text)
        low = [pr for pr in prods for v in prices if v < ratio * pr["list_price"]]
        talk = re.search(r"prijsfout|price error|pricing error|pricing glitch|glitch|foutje|forgot a decimal|\bfout\b", t)
        if PRICE in cats:
            check(prods, f"{pid}: pricing case names no profile product")
            check(low or talk, f"{pid}: pricing case without low price or price-error talk")
        else:
            check(not low, f"{pid}: product below {ratio} x list in a non-pricing post")
            if prods:
                check(not talk, f"{pid}: price-error talk next to a product in a non-pricing post")

        # public company contact data is never the only thing in a PII case
        if PII in cats:
            stripped = t
            for em in pub_ids["emails"]:
                stripped = stripped.replace(em.lower(), "")
            check(any(k in CHECKSUM_KINDS for k, _, _ in case["ids"]) or
                  re.search(r"[\w.+-]+@[\w-]+\.[\w.]+|(?:\+31|0031|\b0)[\s-]?6[\s-]?(?:\d[\s-]?){8}|\b\d{4} ?[a-z]{2}\b|geb\.|\bgeboren\b|parkweg", stripped),
                  f"{pid}: PII case without a personal identifier")

    # leaks come mostly from insiders, reputation mostly from the public
    leak_rows = [r for r in rows if any(c.startswith("leak.") for c in r["expect"]["categories"])]
    ins = sum(1 for r in leak_rows if role_of(r["post"]["platform"], r["post"]["account"]["handle"]) != "public")
    check(ins / len(leak_rows) > 0.6, f"only {ins}/{len(leak_rows)} leaks from insiders")
    check(ins < len(leak_rows), "no public leaks")
    rep_rows = [r for r in rows if any(c.startswith("reputation.") for c in r["expect"]["categories"])]
    pub = sum(1 for r in rep_rows if role_of(r["post"]["platform"], r["post"]["account"]["handle"]) == "public")
    check(pub / len(rep_rows) > 0.8, "reputation posts should be mostly public")
    # public handles must really be outside the profile
    for c in CASES:
        if c["acct"] not in CORP_ACCTS and c["acct"] not in EMPL_ACCTS:
            check(role_of(*c["acct"]) == "public", f"public handle {c['acct']} is in the profile")
    # created_at: through 2026, a few in 2027 near the embargo
    y27 = [r for r in rows if r["post"]["created_at"].startswith("2027")]
    check(1 <= len(y27) <= 8, "2027 posts")
    # no duplicated texts
    texts = [r["post"]["text"] for r in rows]
    check(len(set(texts)) == len(texts), "duplicate texts")
    return per_cat, len(benign), nl


def main():
    rows = build()
    path = os.path.join(HERE, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    # re-read what was written and check that
    with open(path, encoding="utf-8") as fh:
        back = [json.loads(line) for line in fh]
    assert back == rows
    per_cat, nb, nl = self_check(back)
    if ERRORS:
        for e in ERRORS:
            print("FAIL:", e, file=sys.stderr)
        sys.exit(1)
    print(f"ok: {len(back)} cases, {nb} benign, {nl} nl / {len(back) - nl} en")
    for c in sorted(per_cat):
        print(f"  {c:22s} {per_cat[c]}")


if __name__ == "__main__":
    main()
