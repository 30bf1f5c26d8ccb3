#!/usr/bin/env python3
"""Build cases.jsonl for evaluation set sealed291 (Kinlijn B.V., DNA ancestry kits).

Deterministic: fixed seed, standard library + PyYAML. Writes cases.jsonl beside this
file and checks it: checksums of identifiers, CONTRACT section 6 shape, severities
derived from the account role in profile.yaml (CONTRACT section 4).
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
SEED = 291_2026
rng = random.Random(SEED)

PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))

# ---------------------------------------------------------------- identifiers
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits


def iban_valid(s):
    s = re.sub(r"\s+", "", s).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    r = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in r)) % 97 == 1


def make_iban(bank):
    bban = bank + "".join(rng.choice(string.digits) for _ in range(10))
    n = int("".join(str(int(ch, 36)) for ch in bban + "NL00"))
    iban = "NL%02d%s" % (98 - n % 97, bban)
    assert iban_valid(iban)
    return iban


def spaced_iban(iban):
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def bad_iban():
    good = make_iban(rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO"]))
    while True:
        pos = rng.randrange(8, len(good))
        d = rng.choice([x for x in string.digits if x != good[pos]])
        cand = good[:pos] + d + good[pos + 1:]
        if not iban_valid(cand):
            return cand


def luhn_valid(num):
    digits = [int(c) for c in re.sub(r"\D", "", num)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_card(prefix):
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for check in string.digits:
        if luhn_valid(body + check):
            return body + check
    raise AssertionError


def group4(num, sep=" "):
    return sep.join(num[i:i + 4] for i in range(0, len(num), 4))


def bad_card():
    good = make_card("4929")
    last = (int(good[-1]) + rng.randint(1, 9)) % 10
    cand = good[:-1] + str(last)
    assert not luhn_valid(cand)
    return cand


def bsn_valid(s):
    if not re.fullmatch(r"\d{9}", s):
        return False
    total = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return total % 11 == 0 and s[0] != "0"


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = first8 + str(r)
            assert bsn_valid(s)
            return s


def bad_bsn():
    good = make_bsn()
    cand = good[:8] + str((int(good[8]) + rng.randint(1, 9)) % 10)
    assert not bsn_valid(cand)
    return cand


def mobile_digits():
    return "6" + "".join(rng.choice(string.digits) for _ in range(8))


# ---------------------------------------------------------------- secrets
def base62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def github_token(prefix="ghp_"):
    body = "".join(rng.choice(B62) for _ in range(30))
    return prefix + body + base62(zlib.crc32(body.encode()), 6)


def github_token_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and base62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def aws_akid():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt():
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": "usr_%d" % rng.randint(100000, 999999),
                                 "scope": "login", "iat": 1781000000 + rng.randint(0, 9999999),
                                 "exp": 1791000000 + rng.randint(0, 9999999)},
                                separators=(",", ":")).encode())
    sig = b64url(bytes(rng.getrandbits(8) for _ in range(32)))
    return "%s.%s.%s" % (header, payload, sig)


def jwt_ok(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return False
    h = parts[0] + "=" * (-len(parts[0]) % 4)
    return "alg" in json.loads(base64.urlsafe_b64decode(h))


def stripe_live():
    return "sk_live_" + "".join(rng.choice(ALNUM) for _ in range(24))


def slack_bot():
    return "xoxb-%d-%d-%s" % (rng.randint(10**10, 10**11 - 1), rng.randint(10**12, 10**13 - 1),
                              "".join(rng.choice(ALNUM) for _ in range(24)))


def openai_key():
    return "sk-proj-" + "".join(rng.choice(ALNUM + "-_") for _ in range(74)) + "T3BlbkFJ" + \
        "".join(rng.choice(ALNUM + "-_") for _ in range(74))


def anthropic_key():
    return "sk-ant-api03-" + "".join(rng.choice(ALNUM + "-_") for _ in range(93)) + "AA"


def gitlab_pat():
    return "glpat-" + "".join(rng.choice(ALNUM + "-_") for _ in range(20))


def google_key():
    return "AIza" + "".join(rng.choice(ALNUM + "-_") for _ in range(35))


def ec_private_key():
    # SEC1 DER of a P-256 key: version 1, 32-byte key, curve OID, public point.
    priv = bytes(rng.getrandbits(8) for _ in range(32))
    pub = b"\x04" + bytes(rng.getrandbits(8) for _ in range(64))
    der = (b"\x30\x77\x02\x01\x01\x04\x20" + priv +
           b"\xa0\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07" +
           b"\xa1\x44\x03\x42\x00" + pub)
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"


def password(n=18):
    return "".join(rng.choice(ALNUM + "!#%^*_") for _ in range(n))


# ---------------------------------------------------------------- evasion helpers
def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def zwsp(s):
    return "\u200b".join(s)


CYR = {"K": "\u041a", "i": "\u0456", "o": "\u043e", "O": "\u041e", "e": "\u0435", "p": "\u0440"}


def cyr(s, letters):
    return "".join(CYR[c] if c in letters and c in CYR else c for c in s)


# ---------------------------------------------------------------- placeholders
def fill(text, rec):
    """Replace <<TOKEN>> placeholders with generated values, recording identifiers."""

    def rep(m):
        t = m.group(1)
        if t == "IBAN_OK":
            v = make_iban(rng.choice(["ABNA", "INGB", "RABO", "SNSB", "BUNQ"]))
            rec.append(("iban", v, True))
            return v
        if t == "IBAN_OK_SPACED":
            v = make_iban(rng.choice(["ABNA", "INGB", "RABO", "ASNB"]))
            rec.append(("iban", v, True))
            return spaced_iban(v)
        if t == "IBAN_BAD":
            v = bad_iban()
            rec.append(("iban", v, False))
            return spaced_iban(v)
        if t == "COMPANY_IBAN":
            v = PROFILE["public_identifiers"]["ibans"][0]
            rec.append(("company_iban", v, True))
            return spaced_iban(v)
        if t == "CARD_OK":
            v = make_card(rng.choice(["4", "51", "53", "55"]))
            rec.append(("card", v, True))
            return group4(v)
        if t == "CARD_OK_DASH":
            v = make_card("4")
            rec.append(("card", v, True))
            return group4(v, "-")
        if t == "CARD_BAD":
            v = bad_card()
            rec.append(("card", v, False))
            return group4(v)
        if t == "BSN_OK":
            v = make_bsn()
            rec.append(("bsn", v, True))
            return v
        if t == "BSN_BAD":
            v = bad_bsn()
            rec.append(("bsn", v, False))
            return v
        if t == "MOB_DASH":
            d = mobile_digits()
            return "0%s-%s" % (d[0], d[1:])
        if t == "MOB_INTL":
            d = mobile_digits()
            return "+31 %s %s %s" % (d[0], d[1:5], d[5:])
        if t == "MOB_0031":
            d = mobile_digits()
            return "0031 %s %s %s %s %s" % (d[0], d[1:3], d[3:5], d[5:7], d[7:])
        if t == "GHP":
            v = github_token("ghp_")
            rec.append(("github", v, True))
            return v
        if t == "AKID":
            v = aws_akid()
            rec.append(("akid", v, True))
            return v
        if t == "AWSSECRET":
            return aws_secret()
        if t == "JWT":
            v = jwt()
            rec.append(("jwt", v, True))
            return v
        if t == "STRIPE":
            return stripe_live()
        if t == "SLACK":
            return slack_bot()
        if t == "OPENAI":
            return openai_key()
        if t == "ANTHROPIC":
            return anthropic_key()
        if t == "GLPAT":
            return gitlab_pat()
        if t == "GOOGLE":
            return google_key()
        if t == "ECKEY":
            return ec_private_key()
        if t == "PW":
            return password(20)
        if t == "PW2":
            return password(12)
        raise KeyError(t)

    return re.sub(r"<<([A-Z0-9_]+)>>", rep, text)


# ---------------------------------------------------------------- cases
CASES = []


def c(platform, handle, text, cats, lang, kind="post", when=None, price=None):
    CASES.append(dict(platform=platform, handle=handle, text=text, cats=cats, lang=lang,
                      kind=kind, when=when, price=price))


# ===== leak.pricing =====
c("facebook", "KinlijnDNA", "Moederdag 💐 Verras mama met háár verhaal: de Kinlijn Familie Trio nu voor €22,90! Alleen dit weekend, op = op 🧬", ["pricing"], "nl", price=("KL-TRIO", 22.90))
c("x", "@nadia_codes", "uhh wie heeft de prijs van Y-Lijn 111 in de shop aangepast? staat nu op €25,90 😬 iemand van pricing al wakker?", ["pricing"], "nl", price=("KL-Y111", 25.90))
c("x", "@koopjesjager_nl", "PRIJSFOUT!!! Origins+ Gezondheid voor €16,90 bij Kinlijn 🔥🔥 snel zijn voordat ze het doorhebben #prijsfout #dealalert", ["pricing"], "nl", price=("KL-ORGP", 16.90))
c("reddit", "u/frugal_roots", "Is the €12 Stamboom Premium annual plan on kinlijn.nl a glitch? Grabbed three just in case lol", ["pricing"], "en", price=("KL-SPJ", 12.00))
c("x", "@wimmie_k", "@kinlijn mtDNA Volledig staat in mn winkelmandje voor 17,90 ipv 179... foutje bedankt? 😇", ["pricing"], "nl", kind="reply", price=("KL-MTF", 17.90))
c("linkedin", "thomas-wierenga", "Great news for our retail partners: from March the Kinlijn Cadeaukit will be available to you at €29 per unit. Reach out to me directly for the partner sheet. #retail #genealogy", ["pricing"], "en", price=("KL-GIFT", 29.00))
c("instagram", "@kinlijn.nl", "Ooit willen weten of jij en je zus écht volle zussen zijn? 👭 De Verwantschapstest is deze week maar €49! Link in bio 🔗", ["pricing"], "nl", price=("KL-SIB", 49.00))
c("reddit", "u/bxl_genealogy", "PSA: the Kinlijn app in the Belgian store lists the Sibling test at €24.90. Pretty sure someone dropped a digit. Grab it or don't, your call", ["pricing"], "en", price=("KL-SIB", 24.90))
c("instagram", "@bolle_de_labrador", "price glitch?? Pawprint dog DNA test for €10.90 in the app 🐶👀 my human ordered two right away", ["pricing"], "en", price=("KL-PET", 10.90))
c("threads", "@ahmed.kinlijn", "Voor iedereen die het vraagt: ja, de Juridische verwantschapstest stond gisteravond per ongeluk op €34,90 in de shop. Die bestellingen worden geannuleerd, sorry!", ["pricing"], "nl", price=("KL-LEG", 34.90))
c("x", "@daan_eats", "a 60 min Genealogist consult from Kinlijn for €9.50?? cheaper than my lunch. price mistake or new business model 😂", ["pricing"], "en", price=("KL-CONS", 9.50))
c("x", "@kinlijn_help", "@sjaan1962 Klopt, het Erfgoedboek stond gisteren een paar uur voor €5,90 in de shop door een prijsfout. Uw bestelling hebben we daarom helaas moeten annuleren.", ["pricing"], "nl", kind="reply", price=("KL-BOOK", 5.90))

# ===== leak.secret =====
c("x", "@nadia_codes", "waarom faalt mijn CI nou weer 😩\n\nexport GITHUB_TOKEN=<<GHP>>\nnpm run deploy:staging\n\n→ 403. iemand?", ["secret"], "nl")
c("reddit", "u/tim_dataeng", "[boto3] AccessDenied on s3:GetObject even though the bucket policy looks fine?\n\n[default]\naws_access_key_id = <<AKID>>\naws_secret_access_key = <<AWSSECRET>>\nregion = eu-west-1\n\nwhat am I missing here", ["secret"], "en")
c("mastodon", "@bramops@mastodon.nl", "note to self because I always forget it: postgresql://lims_rw:<<PW>>@10.40.2.17:5432/lims_prod #devops", ["secret"], "en")
c("x", "@kinlijn_help", "@lottevb Probeer deze link om direct in te loggen, hij is 24 uur geldig: https://mijn.kinlijn.nl/magic?token=<<JWT>>", ["secret"], "nl", kind="reply")
c("x", "@apkpeeker", "lol the Kinlijn android app ships a Stripe live key in its strings.xml: <<STRIPE>> … who do I even report this to", ["secret"], "en")
c("tiktok", "@lotte.kinlijn", "POV: je eerste week als marketing intern en je plakt de Slack bot token in de verkeerde chat 🫠 SLACK_BOT_TOKEN=<<SLACK>> #internlife #oeps", ["secret"], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Anyone else getting 429s from the OpenAI API today? Using key <<OPENAI>> for our record-transcription script and it just dies after 20 calls", ["secret"], "en")
c("mastodon", "@bramops@mastodon.nl", "deploy key voor de nieuwe buildserver, even hier geparkeerd zodat ik 'm thuis heb:\n<<ECKEY>>", ["secret"], "nl")
c("instagram", "@sophie.labtech", "Welkom aan onze 3 nieuwe analisten in het lab 🧪💚 Wifi voor jullie laptops: netwerk KL-Lab-5G, wachtwoord: <<PW2>>", ["secret"], "nl")
c("reddit", "u/tim_dataeng", "fwiw this is the token our CI runner uses to pull the pipeline repo: <<GLPAT>> — yes I know, I'll rotate it after the demo", ["secret"], "en", kind="comment")
c("x", "@nadia_codes", "store locator map is broken again, key is <<GOOGLE>> if someone from frontend wants to look at the quota", ["secret"], "en")
c("forum", "StamboomSjaak", "Ik heb even in de broncode van de Kinlijn stamboom-plugin gekeken en daar staat gewoon een Anthropic key in: <<ANTHROPIC>>\nLijkt me niet de bedoeling?", ["secret"], "nl")
c("mastodon", "@bramops@mastodon.nl", "postmortem spoiler: staging got popped because someone committed <<GHP>> to a public gist. attacker had repo access for ~2 days. comms hasn't decided yet if we go public with it", ["secret", "security"], "en")

# ===== leak.security =====
c("mastodon", "@bramops@mastodon.nl", "LIMS ligt er sinds 03:00 uit, ruim 4000 monsters in de wachtrij. Naar buiten heet het 'gepland onderhoud' 🙃 koffie nr 6", ["security"], "nl")
c("x", "@nadia_codes", "found an IDOR in our matches endpoint this morning — bump the id and you get anyone's DNA relatives list. patch goes out tonight, pls nobody make this a thing", ["security"], "en")
c("reddit", "u/tim_dataeng", "Throwaway-ish. Our bucket with raw genotype files was world-readable for about three weeks. Legal is still arguing whether we have to notify the AP. I feel sick.", ["security"], "en")
c("x", "@ruudhoekstra", "Ransomware op de lab-pc's in Eindhoven. Sequencers staan stil. Klanten merken het pas volgende week aan de doorlooptijd, dus mondje dicht voorlopig.", ["security"], "nl")
c("threads", "@ahmed.kinlijn", "Collega's die ook op de chat zitten: al 40+ meldingen van overgenomen accounts vandaag. IT zegt credential stuffing. Nog geen statement naar buiten, dus verwijs mensen gewoon naar wachtwoord resetten.", ["security"], "nl")
c("linkedin", "ruben-kok-security", "Reflecting on a tough week. The SQL injection in our partner portal's kit activation form is still not patched and I'm running out of ways to escalate it. Security teams deserve more support.", ["security"], "en")
c("tiktok", "@lotte.kinlijn", "pov: je werkt bij marketing, de hele webshop ligt al 5 uur plat en we mogen het nergens zeggen 💀 #worklife #kantoorleven", ["security"], "nl")
c("instagram", "@sophie.labtech", "Lange dag 😰 door een bug in de barcodescanner zijn monsters twee dagen lang aan het verkeerde klant-ID gekoppeld. Alles wordt nagelopen, er is nog niks bekendgemaakt. #labtech", ["security"], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Tip aan collega's: de export in de stamboom-API zet levende personen gewoon in publieke bomen. Bug staat al sinds juni open en is nog nergens gemeld.", ["security"], "nl")
c("x", "@kinlijn_help", "@m_vermeulen Dat klopt, er is vorige week ingebroken op een van onze systemen. Dat mogen we officieel nog niet bevestigen, dus houd het even voor u 🙏", ["security"], "nl", kind="reply")
c("mastodon", "@bramops@mastodon.nl", "fun fact: 2FA has been off for literally everyone since tuesday's release. ticket is 'on the backlog'. I'll say no more", ["security"], "en")
c("reddit", "u/tim_dataeng", "pentest report is in: three criticals, one of them is unauthenticated access to admin.kinlijn-int.nl straight from the internet. fun times ahead", ["security", "confidential"], "en")

# ===== leak.confidential =====
c("x", "@marloes_kinlijn", "Zó trots op wat we aan het bouwen zijn in Project Zeeklei 🤫 kan echt niet wachten tot jullie het zien!!", ["confidential"], "nl")
c("linkedin", "ingrid-van-dijk-kinlijn", "Kick-off of Operatie Lindeboom today with the archive team. Big plans for the digitisation of church records — more soon!", ["confidential"], "en")
c("x", "@nadia_codes", "TIDEMARK sprint demo went 🔥 matching runs 4x faster on the new cluster", ["confidential"], "en")
c("linkedin", "thomas-wierenga", "Sneak peek from our strategy offsite 👇\n\"KINLIJN INTERNAL ONLY – Roadmap 2027: health reports, B2B data licensing, US launch\"\nExciting times ahead!", ["confidential"], "en")
c("mastodon", "@bramops@mastodon.nl", "anyone else seeing grafana.kinlijn-int.nl throw 502s or is it just my VPN", ["confidential"], "en")
c("instagram", "@sophie.labtech", "Fotoshoot voor Origins Pro vandaag 📸✨ de verpakking is zó mooi geworden #behindthescenes", ["confidential"], "nl", when="2026-11-18T14:05:00Z")
c("linkedin", "ingrid-van-dijk-kinlijn", "De jaarcijfers 2026 zijn rond en ik kan alvast verklappen: dubbele groei in Duitsland 💪 Dank aan het hele finance team!", ["confidential", "financial"], "nl", when="2027-02-10T15:02:00Z")
c("x", "@genealogie_nieuws", "Via via gehoord dat Kinlijn met 'Project Zeeklei' straks gezondheidsrapporten op basis van je DNA wil gaan verkopen. Iemand meer info?", ["confidential"], "nl")
c("instagram", "@kinlijn.nl", "Iets nieuws komt eraan 👀 Origins Pro. Binnenkort. #Kinlijn #DNA", ["confidential"], "nl", when="2027-01-12T18:30:00Z")
c("x", "@ruudhoekstra", "Hele labafdeling gemaild met 'STRIKT VERTROUWELIJK - KINLIJN' in de onderwerpregel terwijl het over de kersttaart ging 😂 Serieus: de nieuwe SOP voor speekselmonsters staat op intranet.kinlijn.local/lab/sop-12", ["confidential"], "nl")
c("x", "@kinlijn_help", "@ancestry_amy Our lab shows your sample is in stage 3, see https://lims.kinlijn.local/sample/KL-883201 for the details (you may need to be logged in)", ["confidential"], "en", kind="reply")
c("tiktok", "@lotte.kinlijn", "slide 4 van de all-hands had 'NIET EXTERN DELEN' erboven maar ik MOET het kwijt: we gaan in 2027 naar de VS 🇺🇸🇺🇸 gaaaaf", ["confidential"], "nl")
c("x", "@marloes_kinlijn", fullwidth("Project Zeeklei") + " gaat volgende maand de testfase in 🧬🚀", ["confidential"], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Been testing " + zwsp("TIDEMARK") + " on my own tree all week — it found a branch I'd missed for ten years", ["confidential"], "en")
c("threads", "@ahmed.kinlijn", "Mooie mijlpaal: " + cyr("Operatie", "Oe") + " Lindeboom heeft al 2 miljoen aktes gedigitaliseerd 🌳", ["confidential"], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Tijdlijn 2.0 draait in de beta op mijn telefoon en wow, je ziet je voorouders letterlijk over de kaart bewegen", ["confidential"], "nl", when="2026-10-07T20:41:00Z")
c("forum", "Roots_Ronald", "Someone in the Kinlijn beta Discord says Origins Pro will be priced at €299 and launches in January. Anyone able to confirm?", ["confidential"], "en", when="2026-12-02T11:20:00Z")
c("x", "@nadia_codes", "who closed jira.kinlijn-int.nl/browse/ZK-112 without a fix 😤", ["confidential"], "en")

# ===== leak.financial =====
c("linkedin", "ingrid-van-dijk-kinlijn", "Pittige board meeting morgen: de Q3-omzet zit 18% onder budget en de marketingkosten lopen uit. Duimen maar!", ["financial"], "nl")
c("linkedin", "thomas-wierenga", "Can't say much yet, but we're in advanced talks with a big pharma player about an acquisition of Kinlijn 🚀 Watch this space!", ["financial"], "en")
c("x", "@ruudhoekstra", "Zwaar nieuws op het werk: het lab in Eindhoven gaat dicht, ongeveer 60 fte. Officiële aankondiging pas volgende maand. Ik ben er kapot van.", ["financial"], "nl")
c("x", "@beursbengel", "Insider bij Kinlijn zegt dat ze worden overgenomen door Genova Pharma. Tijd om in te stappen bij de moeder? 🤔 #beurs", ["financial"], "nl")
c("reddit", "u/tim_dataeng", "Our 2027 forecast got revised to -12% yesterday. CFO was not amused. Guess the hiring freeze is staying.", ["financial"], "en", kind="comment")
c("linkedin", "kinlijn", "CONCEPT – NIET PUBLICEREN VOOR 14/10: Kinlijn neemt StamboomOnline over voor €14 miljoen en wordt daarmee de grootste genealogie-aanbieder van de Benelux.", ["financial", "confidential"], "nl")
c("threads", "@ahmed.kinlijn", "layoffs coming in customer service, 25 of us. HR meeting on Thursday. nobody outside knows yet so… yeah.", ["financial"], "en")
c("reddit", "u/tim_dataeng", "We're about to sign an €8M data-licensing deal with a pharma company next week. Customers were never asked. Not sure I want to work here much longer.", ["financial"], "en")
c("linkedin", "ingrid-van-dijk-kinlijn", "H1 closing done. EBITDA negative and runway is about 9 months. Time to roll up our sleeves, team.", ["financial"], "en")
c("x", "@marloes_kinlijn", "Series C of €40M is basically done, term sheet signed 🥂 (shhh)", ["financial"], "en")
c("facebook", "karin.peeters.1979", "Mijn neef werkt bij Kinlijn en zegt dat ze de Belgische vestiging gaan sluiten en iedereen daar ontslaan. Weet iemand hier meer van?", ["financial"], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Het genealogie-team wordt per 1 januari opgeheven en uitbesteed. Nog niet officieel, maar ik moet het even kwijt.", ["financial"], "nl")

# ===== reputation.crisis (with complaint where a customer was hurt first-hand) =====
c("x", "@privacy_first_nl", "Kinlijn verkoopt jullie DNA aan verzekeraars. Verwijder je account NU en eis je monster terug. #boycotKinlijn #privacy", ["crisis"], "nl")
c("x", "@LawWatchEU", "Class action filed against Kinlijn over sharing customer DNA with police without consent. If you tested with them you may be eligible — thread 🧵", ["crisis"], "en")
c("x", "@consumerwatch_eu", "RECALL: Kinlijn is pulling a batch of Origins kits, the stabilising fluid in the tubes is reportedly corrosive. Lot numbers are on their site.", ["crisis"], "en")
c("instagram", "@mirthe.jpg", "Die vloeistof uit het Kinlijn-buisje spatte in mijn oog bij het dichtdraaien. Halve avond op de SEH gezeten en het brandt nog steeds. Wat stoppen jullie erin?? @kinlijn.nl", ["crisis", "complaint"], "nl")
c("reddit", "u/tired_dad_88", "My 3yo got hold of the Kinlijn tube while I was registering the kit and the little seal popped off in her mouth. She started choking. She's fine now but there is zero warning on the box. Unbelievable.", ["crisis", "complaint"], "en")
c("facebook", "ria.hendriks.52", "Onze Max (beagle) kreeg na de Pawprint DNA-test een heftige allergische reactie, hele snuit opgezwollen, spoedrit naar de dierenarts 😢 Kinlijn reageert niet op mijn mail.", ["crisis", "complaint"], "nl")
c("x", "@jess_tries_things", "got a chemical burn on my lips from the buffer in my Kinlijn kit. pics in replies. @kinlijn_help this is NOT ok", ["crisis", "complaint"], "en")
c("reddit", "u/unexpected_sibling", "Kinlijn showed my half-sibling match to my dad's whole family without me ever opting in. My parents are divorcing and we've hired a lawyer. Thanks for nothing.", ["crisis", "complaint"], "en")
c("x", "@henk_stamboom", "Ik krijg ineens phishingmails met de namen uit mijn stamboom erin. Kinlijn is gewoon gehackt en zegt niks. Bedankt hoor.", ["crisis", "complaint"], "nl")
c("bluesky", "@labwatch.bsky.social", "Hearing that a lab technician at Kinlijn's Eindhoven site was hospitalised after a chemical spill yesterday. Hope they're ok.", ["crisis"], "en")
c("x", "@anti_rassenleer", "Kinlijn sponsort dat omstreden 'rassenonderzoek' van die Amerikaanse stichting?! Nooit meer een kit van ze. #boycot", ["crisis"], "nl")
c("x", "@techpers_nl", "De Autoriteit Persoonsgegevens start een onderzoek naar Kinlijn na tientallen klachten over het delen van DNA-gegevens.", ["crisis"], "nl")
c("reddit", "u/scamwatcher", "Heads up: Kinlijn kits bought on marketplaces arrive pre-registered to someone else's account — people are getting other folks' ancestry results. Massive privacy scandal in the making.", ["crisis"], "en")
c("x", "@bozeburger", "Kinlijn zijn gewoon walgelijke datahandelaren. Klotebedrijf, jullie verkopen onze genen aan de hoogste bieder 🤮", ["crisis", "abuse"], "nl")
c("tiktok", "@femkeleest", "na de spuugtest van Kinlijn 2 dagen misselijk en overgegeven 🤢 zit er iets giftigs in dat buisje?? niemand van de klantenservice neemt op", ["crisis", "complaint"], "nl")

# ===== reputation.complaint =====
c("x", "@anneke_vd_b", "@kinlijn_help 12 weken gewacht en nu krijg ik 'onvoldoende DNA' 🙄 en die hertest-kit moet ik ook nog zelf betalen?? €25 voor jullie fout", ["complaint"], "nl", kind="reply", when="2026-03-09T08:12:00Z")
c("x", "@graham_in_leeds", "My Kinlijn kit got lost on its way back to the lab. Three emails to support, three copy-paste replies. Not impressed.", ["complaint"], "en")
c("facebook", "saskia.mulder.77", "Na de laatste update ben ik ineens van 30% Iers naar 4% gegaan. Waar heb ik eigenlijk 89 euro voor betaald? Lekker betrouwbaar, Kinlijn.", ["complaint"], "nl")
c("x", "@pjotr_r", "Stamboom Premium netjes opgezegd in oktober en tóch weer €119 afgeschreven door @kinlijn. Geen reactie op mijn mails. Wat een gedoe", ["complaint"], "nl")
c("reddit", "u/rawdatarandy", "Kinlijn's raw data export has been broken for over a month. Paid €29 for a button that says 'Er is iets misgegaan'. Anyone found a workaround?", ["complaint"], "en")
c("x", "@ooma_gerda", "kinlijn app crasht elke keer als ik mn stamboom open. al 3x opnieuw geinstalleerd. ik ben 74 en geen computerexpert maar dit ligt niet aan mij hoor", ["complaint"], "nl", when="2026-06-03T10:47:00Z")
c("forum", "Verwant_Vera", "Verwantschapstest besteld omdat de site zegt 'uitslag binnen 3 weken'. We zitten nu op week 9. Telefonisch hoor je elke keer weer wat anders.", ["complaint"], "nl")
c("x", "@gdpr_greta", "Asked Kinlijn three times to delete my DNA data. Three times I got 'we're looking into it'. That's not how GDPR works.", ["complaint"], "en")

# ===== reputation.abuse =====
c("x", "@rotkinlijn", "kankerbedrijf met jullie nepuitslagen, 3% Mongools m'n reet", ["abuse"], "nl")
c("x", "@stamboomtrol", "@marloes_kinlijn je bent echt een domme trut, hou gewoon je bek, niemand vroeg om jouw mening", ["abuse"], "nl", kind="reply")
c("x", "@mad_mike_uk", "Kinlijn support staff are a bunch of fucking clowns. Every single one of them.", ["abuse"], "en")
c("tiktok", "@zuurpruim", "k.u.t.b.e.d.r.i.j.f. dat kinlijn. echt.", ["abuse"], "nl", kind="comment")
c("x", "@justice4roots", "Kinlijn zijn gewoon 0pl1cht3rs en l13g3n44rs, geen c3nt waard", ["abuse"], "nl")
c("x", "@vwdn43", cyr("Kinlijn", "K") + " klantenservice = stelletje " + cyr("idioten", "io"), ["abuse"], "nl")
c("x", "@ruudhoekstra", "@trollemans rot toch op, sukkel. ga iemand anders lastigvallen", ["abuse"], "nl", kind="reply")
c("x", "@kinlijn_help", "@ikweetalles wat een debiele vraag, lees gewoon de FAQ", ["abuse"], "nl", kind="reply")
c("facebook", "gerard.b.1961", "Bel ik Kinlijn, krijg ik zo'n hoofddoek aan de lijn die geen fatsoenlijk Nederlands kan. Stuur die lui terug naar hun eigen land.", ["abuse"], "nl")
c("x", "@geneabro", "Joost from Kinlijn is a pathetic loser who couldn't find his own father in a family tree. Get a real job, clown.", ["abuse"], "en")
c("instagram", "@dagobert_nl", "your lab staff are brain-dead apes, can't even read a barcode @kinlijn.nl", ["abuse"], "en", kind="comment")
c("x", "@klantnr_404", "@kinlijn_help VIERDE keer dat jullie mijn monster kwijtraken. Stelletje klootzakken, ik wil gewoon mijn geld terug", ["abuse", "complaint"], "nl", kind="reply")

# ===== leak.pii =====
c("x", "@kinlijn_help", "@famke_dm Wij zien de bestelling op naam van Famke de Molenaar, Kerkstraat 14, 8861 AB Harlingen. Klopt dat adres nog? Dan sturen we de nieuwe kit daarheen.", ["pii"], "nl", kind="reply")
c("threads", "@ahmed.kinlijn", "Klant aan de lijn: Gerrit Hoogland, geboren 03-07-1954, wil per se zijn match met een 'halfbroer' laten verwijderen 😅 wat een dag weer", ["pii"], "nl")
c("x", "@ruudhoekstra", "Wie heeft dit formulier op de printer laten liggen?? 'Aanvraag juridische verwantschapstest – mevr. S. Yılmaz, BSN <<BSN_OK>>, ID gecontroleerd'. Kom het even halen.", ["pii"], "nl")
c("x", "@kinlijn_help", "@rkuiper_nl Your refund of €89 has been sent to <<IBAN_OK>> in the name of R. Kuiper, it should arrive within 3 working days.", ["pii"], "en", kind="reply")
c("x", "@petravdlinden", "@kinlijn_help al 3 dagen geen reactie op mijn mail over de kwijtgeraakte kit. Bel me gewoon terug op <<MOB_DASH>>, ik ben de hele dag thuis", ["pii", "complaint"], "nl", kind="reply")
c("reddit", "u/doublecharged", "Kinlijn charged my card twice for one Familie Duo. Card <<CARD_OK>>, both charges show €159. Support says 'wait 10 days'. Seriously?", ["pii", "complaint"], "en")
c("x", "@nadia_codes", "does anyone know why wendy.kramer@ziggo.nl keeps getting our newsletter twice? she has emailed support 6 times 😅", ["pii"], "en")
c("facebook", "mariska.oosterhuis", "Dit is dus de 'halfbroer' die Kinlijn mij voorschotelt: Dennis Visser, Lindelaan 3, 8011 AB Zwolle, geboren 14-02-1988. Kent iemand hem?", ["pii"], "nl")
c("threads", "@ahmed.kinlijn", "Bel mevrouw Bos morgen even terug op <<MOB_INTL>>, ik ben er niet en ze wacht al een week op haar uitslag", ["pii"], "nl")
c("x", "@rob_terugbetaling", "Mijn IBAN is <<IBAN_OK_SPACED>>, hoe vaak moet ik dat nog doorgeven voordat jullie eindelijk terugstorten @kinlijn_help??", ["pii", "complaint"], "nl")
c("reddit", "u/tim_dataeng", "our 'anonymised' test export literally has real rows in it. row 4: Jansen;<<BSN_OK>>;1979-05-02;Utrecht. escalating this now.", ["pii"], "en", kind="comment")
c("x", "@marloes_kinlijn", "Klant las in de chat gewoon haar hele creditcardnummer voor: <<CARD_OK_DASH>> exp 08/28 🤦‍♀️ mensen, doe dat nou niet!!", ["pii"], "nl")
c("x", "@kleinkind_anouk", "Mijn oma Trijntje Dekker, geboren 21-09-1937, staat in jullie stamboomsysteem als overleden terwijl ze gewoon thuis koffie zit te drinken ☕ @kinlijn_help graag aanpassen", ["pii", "complaint"], "nl")
c("x", "@kinlijn_help", "@jvdberg We've just emailed you at j.vandenberg@kpnmail.nl with the return instructions.", ["pii"], "en", kind="reply")
c("x", "@sanne_b92", "your chat times out every single time. just mail me at sanne.bouwman92@gmail.com please, been trying for a week @kinlijn_help", ["pii", "complaint"], "en")
c("threads", "@ahmed.kinlijn", "Terugbelverzoek voor de avonddienst: dhr. Koster, <<MOB_0031>>, vraagt over zijn Y-Lijn uitslag", ["pii"], "nl")

# ===== benign (mostly hard negatives) =====
c("x", "@friesche_fokje", "Uitslag binnen: 23% Fries. Mijn opa riep het al jaren 😂 #kinlijn", [], "nl")
c("facebook", "brenda.osei.3", "Kinlijn found my grandfather's brother who emigrated to Canada in 1952. We had a video call with his grandkids today. Crying rn 😭❤️", [], "en")
c("x", "@anneke_vd_b", "Update: @kinlijn_help heeft de hertest binnen 2 dagen gewoon gratis opgestuurd, zonder gedoe. Petje af 👏", [], "nl", kind="post", when="2026-03-12T17:40:00Z")
c("instagram", "@kinlijn.nl", "🖤 Black Friday: 25% korting op de Origins kit, nu €66,75 i.p.v. €89. Alleen t/m maandag!", [], "nl", when="2026-11-27T07:00:00Z", price=("KL-ORG", 66.75))
c("facebook", "KinlijnDNA", "Samen ontdekken is leuker 👫 Familie Duo deze maand met 20% korting: €127,20.", [], "nl", price=("KL-DUO", 127.20))
c("reddit", "u/surname_nerd", "Y-Lijn 37 is €139 and honestly worth it if you're doing surname research. The 111 is overkill unless you're deep into a haplogroup project.", [], "en", kind="comment", price=("KL-Y37", 139.00))
c("x", "@kinlijn_help", "Vragen over je uitslag? Mail klantenservice@kinlijn.nl of bel +31 30 760 4400 (ma-vr 9-17u). We helpen je graag!", [], "nl")
c("facebook", "KinlijnDNA", "Liever betalen per overschrijving? Maak het bedrag over naar <<COMPANY_IBAN>> t.n.v. Kinlijn B.V. o.v.v. je ordernummer.", [], "nl")
c("x", "@nadia_codes", "PSA for juniors: AKIAIOSFODNN7EXAMPLE is the sample key from the AWS docs. Please stop pasting it into bug reports as 'the key that doesn't work' 😂", [], "en")
c("mastodon", "@bramops@mastodon.nl", "rotated the CI token this morning (old one ghp_****************************, already revoked). nothing to see here, carry on", [], "en")
c("x", "@kinlijn_help", "@ooma_gerda Wachtwoord vergeten? Via mijn.kinlijn.nl/wachtwoord kunt u een nieuwe aanvragen. Lukt het niet, bel ons gerust op 0800-5465.", [], "nl", kind="reply", when="2026-06-03T11:30:00Z")
c("x", "@dnaprivacywatch", "HelixHeritage confirms hackers accessed 1.2M customer profiles. Another reminder to check what your DNA testing company does with your data.", [], "en")
c("x", "@kees_grapjas", "my family tree is more of a family wreath at this point 🌿 #genealogy #kinlijn", [], "en")
c("facebook", "yvonne.terpstra", "Is the Kinlijn kit safe to use when you're pregnant? Asking for a friend (genuinely 😅)", [], "en")
c("x", "@stamboomtante", "Sterkte aan het hele Kinlijn-team na het overlijden van jullie oprichter. Zonder zijn werk had ik mijn Friese familie nooit gevonden 🕯️", [], "nl")
c("x", "@kinlijn", "Hij is er! 🎉 Origins Pro: je DNA, je voorouders én je migratieroutes in één rapport. Nu te bestellen op kinlijn.nl", [], "nl", when="2027-01-20T10:15:00Z")
c("linkedin", "ingrid-van-dijk-kinlijn", "Vanochtend gepubliceerd: onze jaarcijfers 2026. Trots op dit team en op ruim 400.000 nieuwe klanten 🙌 kinlijn.nl/investor", [], "nl", when="2027-03-04T09:30:00Z")
c("x", "@nieuwsgierige_nel", "Op mijn factuur staat <<IBAN_BAD>>, is dat wel het rekeningnummer van Kinlijn? Lijkt anders dan op de site", [], "nl")
c("x", "@marco_dna", "Vul ik de activatiecode (<<CARD_BAD>>) in de app in of op de website? Wil het goed doen 🙂", [], "nl")
c("forum", "Zoekertje_Zeeland", "Mijn referentienummer bij Kinlijn is <<BSN_BAD>>, moet ik dat ook op het retourzakje schrijven of alleen de barcode plakken?", [], "nl")
c("instagram", "@oirschot_toen", "De oude lindeboom op de Markt in Oirschot 🌳 mijn voorouders woonden ernaast, staat in de Archiefpas-aktes van 1810. #stamboom #lindeboom", [], "nl")
c("x", "@zeeuwsmeisje", "Heel Zeeuws-Vlaanderen in mijn stamboom, allemaal boeren op de zeeklei. Geen verrassing eigenlijk 🚜", [], "nl")
c("reddit", "u/doopboek_dilemma", "Any tips for reading old Dutch church records? The handwriting in these 1790s doopboeken is killing me (Kinlijn Archiefpas user)", [], "en")
c("x", "@marloes_kinlijn", "We zoeken een bioinformaticus voor ons team in Utrecht! 🧬 Interesse? Mail naar jobs@kinlijn.nl", [], "nl")
c("bluesky", "@joostgenealogie.bsky.social", "Slides from my talk on autosomal matching for Dutch genealogists are up on kinlijn.nl/blog. Thanks to everyone who came!", [], "en")
c("x", "@bezorgde_bart", "Hoe beveiligt Kinlijn eigenlijk mijn DNA-data? Iemand die daar meer over weet?", [], "nl")
c("reddit", "u/infosec_ines", "Good write-up on why genetic genealogy sites need mandatory 2FA. Glad Kinlijn finally turned it on for everyone.", [], "en")
c("x", "@kinlijn_help", "Zondag 02:00–04:00 doen we gepland onderhoud. De app en mijn.kinlijn.nl zijn dan even niet bereikbaar. Slaap lekker 😴", [], "nl")
c("linkedin", "kinlijn", "Our annual report 2025 is now online at kinlijn.nl/investor. Thank you to our customers and team for a great year.", [], "en")
c("x", "@techbeurs", "HelixHeritage to cut 200 jobs after a disappointing quarter. Tough market for consumer DNA right now.", [], "en")
c("facebook", "wim.de.groot.54", "Mijn vader werd in 1983 ontslagen bij de werf. Via de Archiefpas vond ik zijn oude loonstrookjes terug. Bijzonder om te zien.", [], "nl")
c("reddit", "u/oldrecords", "Found an 1890s lawsuit in the Kinlijn archives — my great-great-grandfather sued his neighbour over a cow. Family drama is eternal 😂", [], "en")
c("x", "@kanjers_mama", "Mijn moeder had borstkanker. Heeft Origins+ Gezondheid dan zin om naar BRCA te kijken, of moet dat via de huisarts?", [], "nl")
c("instagram", "@kinlijn.nl", "Onze klantenservice is gratis bereikbaar op 0800-5465 💚 of via privacy@kinlijn.nl voor vragen over je gegevens.", [], "nl")
c("instagram", "@sophie.labtech", "Proud of our lab team: 10,000 samples processed this month 🧪💪 #labtech", [], "en")
c("x", "@tevreden_thea", "Thanks Ahmed from the Kinlijn chat, account fixed in 5 minutes 🙏", [], "en")
c("x", "@twijfelaar_tim", "Is Stamboom Plus at €14.99 a month worth it or should I just go for Premium straight away? Tips?", [], "en", price=("KL-SPM", 14.99))
c("instagram", "@pluto_en_ik", "Kortingscode WOOF10 gaf 10% op de Pawprint, kwam uit op €98,10 🐾 uitslag over 4 weken", [], "nl", price=("KL-PET", 98.10))
c("x", "@nadia_codes", "reminder: GitHub tokens start with ghp_ / gho_ / ghs_. If you ever see one of those prefixes in a log, assume it's burned and rotate.", [], "en")
c("reddit", "u/tim_dataeng", "For anyone debugging auth: a JWT looks like eyJhbGciOi…<snip>…, three dot-separated parts. Never paste a real one into a ticket.", [], "en", kind="comment")
c("mastodon", "@bramops@mastodon.nl", "config template voor nieuwe devs: STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx (de echte key komt uit de vault, niet uit Slack!)", [], "nl")
c("x", "@kinlijn", "Tijdlijn 2.0 is live for everyone! Watch your ancestors move across the map 🗺️", [], "en", when="2027-01-22T08:00:00Z")
c("x", "@ronald_r", "Had een dubbele afschrijving, maar @kinlijn_help heeft het binnen een dag netjes teruggestort. Dank!", [], "nl")
c("reddit", "u/dutch_roots", "Kinlijn vs HelixHeritage for Dutch ancestry — which one has the better database for Groningen and Drenthe?", [], "en")
c("facebook", "joke.bosma", "Origins kit gegeven voor de 70e van mijn vader. Hij heeft het hele weekend zitten puzzelen met zijn matches ❤️", [], "nl")
c("x", "@juridisch_jan", "Wat kost die juridische verwantschapstest nou precies? Zie op de site €349, is dat incl. de afname?", [], "nl", price=("KL-LEG", 349.00))
c("x", "@marloes_kinlijn", "Weekend! Finally some time to work on my own family tree 😅☕", [], "en")
c("instagram", "@lieve_laura", "Oma heeft haar uitslag helaas niet meer kunnen zien. Dank je Kinlijn voor het mooie Erfgoedboek dat we nu ter nagedachtenis hebben 🤍", [], "nl")
c("bluesky", "@stamboomsietske.bsky.social", "Eindelijk gevonden: Jan Pietersz, geboren 12 maart 1781 in Workum, mijn voorvader in de 7e generatie! 🎉 #genealogie", [], "nl")
c("x", "@kinlijn", "Vanaf vandaag is 2FA verplicht voor alle accounts. Zo blijft jouw DNA-data nog beter beschermd 🔐", [], "nl")
c("x", "@midlife_mark", "midlife crisis = ordering a Kinlijn kit at 2am and finding out you're 2% Viking. anyway I'm buying a boat", [], "en")
c("linkedin", "thomas-wierenga", "Hackathon week at Kinlijn HQ! Pizza, whiteboards and a lot of ideas for our public stamboom-API.", [], "en")
c("youtube", "@KinlijnTV", "Nieuwe video: wat vertelt mtDNA Volledig je over je moederlijn? We leggen het uit in 4 minuten 🎥", [], "nl")
c("x", "@caro_checkt", "Kinlijn support confirmed my card ending in 4417 was only charged once. Panic over, false alarm 😅", [], "en")
c("x", "@postnl_pech", "PostNL lost my parcel AGAIN. Luckily it wasn't my Kinlijn kit this time 😅", [], "en")
c("x", "@normaal_geprijsd", "Hertest-kit €25 omdat mijn eerste monster te weinig DNA had. Prima prijs, snel geregeld 👍", [], "nl", price=("KL-RETEST", 25.00))
c("forum", "Genea_Gijs", "Tip: the Archiefpas (€79/yr) includes the 1811-1940 civil registry scans, much cheaper than visiting every archive in person.", [], "en", price=("KL-ARC", 79.00))
c("threads", "@kinlijn.nl", "Did you know? The Y-Lijn 111 traces your paternal line back thousands of years. Perfect for surname projects 🌳", [], "en")
c("bluesky", "@joostgenealogie.bsky.social", "Reminder for beginners: never put your living relatives' birth dates in a public tree. Use the privacy toggle!", [], "en")
c("x", "@kinlijn", "Lentedeal 🌷 Cadeaukit voor €79 in plaats van €99, t/m zondag. Een mooi cadeau voor Moederdag!", [], "nl", price=("KL-GIFT", 79.00))
c("reddit", "u/seq_curious", "Out of curiosity: how does Kinlijn's lab handle a sample with insufficient DNA? Do they retry on the same tube first?", [], "en")


# ---------------------------------------------------------------- build
CAT = {"pricing": "leak.pricing", "secret": "leak.secret", "security": "leak.security",
       "confidential": "leak.confidential", "financial": "leak.financial", "pii": "leak.pii",
       "crisis": "reputation.crisis", "complaint": "reputation.complaint",
       "abuse": "reputation.abuse"}
SEV = ["none", "info", "warning", "error", "critical"]

CORP = {a.lower() for a in PROFILE["accounts"]["corporate"]}
EMP = {a.lower() for a in PROFILE["accounts"]["employee"]}


def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in CORP:
        return "corporate"
    if key in EMP:
        return "employee"
    return "public"


def severity(cats, role, checksum_id):
    """CONTRACT section 4, the least severity a correct verdict has."""
    lvl = 0
    insider = role in ("corporate", "employee")
    for cat in cats:
        if cat.startswith("leak."):
            if insider:
                s = 3
                if cat in ("leak.secret", "leak.pricing"):
                    s = 4
                if cat == "leak.pii" and checksum_id:
                    s = 4
            else:
                s = 2
        elif cat == "reputation.complaint":
            s = 2
        elif cat == "reputation.crisis":
            s = 3
        elif cat == "reputation.abuse":
            s = 3 if insider else 2
        else:
            raise AssertionError(cat)
        lvl = max(lvl, s)
    return SEV[lvl]


def random_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    t = start + dt.timedelta(seconds=rng.randrange(0, 350 * 86400))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


ID_PREFIX = {"x": "x", "twitter": "tw", "linkedin": "li", "facebook": "fb", "instagram": "ig",
             "tiktok": "tt", "youtube": "yt", "reddit": "rd", "mastodon": "md", "bluesky": "bs",
             "threads": "th", "forum": "fo", "blog": "bl", "other": "ot"}

rows, meta = [], []
seen_ids = set()
for case in CASES:
    rec = []
    text = fill(case["text"], rec)
    while True:
        pid = "%s-%d" % (ID_PREFIX[case["platform"]], rng.randint(10**9, 10**10 - 1))
        if pid not in seen_ids:
            seen_ids.add(pid)
            break
    role = role_of(case["platform"], case["handle"])
    cats = sorted({CAT[k] for k in case["cats"]})
    checksum_id = any(kind in ("iban", "card", "bsn") and ok for kind, _, ok in rec)
    post = {"id": pid, "platform": case["platform"], "kind": case["kind"],
            "account": {"handle": case["handle"]}, "text": text,
            "created_at": case["when"] or random_time(), "brand": "kinlijn"}
    if case["lang"]:
        post["lang"] = case["lang"]
    rows.append({"post": post, "expect": {"categories": cats,
                                          "severity": severity(cats, role, checksum_id)}})
    meta.append(dict(case, role=role, rec=rec, final_text=text))

# Shuffle deterministically so categories are not in blocks.
order = list(range(len(rows)))
rng.shuffle(order)
rows = [rows[i] for i in order]
meta = [meta[i] for i in order]

with open(os.path.join(HERE, "cases.jsonl"), "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- self-checks
def fail(msg):
    print("SELF-CHECK FAILED:", msg)
    sys.exit(1)


PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXO = set(CAT.values())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


IBAN_RE = re.compile(r"(?<![A-Za-z0-9])NL\d{2} ?[A-Z]{4} ?(?:\d{4} ?){2}\d{2}(?![A-Za-z0-9])")
CARD_RE = re.compile(r"(?<![\w+-])[2-6](?:[ -]?\d){12,18}(?![\w-])")
BSN_RE = re.compile(r"(?<![\w.,-])\d{9}(?![\w.,-])")
company_ibans = {i.replace(" ", "") for i in PROFILE["public_identifiers"]["ibans"]}
for i in company_ibans:
    if not iban_valid(i):
        fail("profile IBAN fails mod-97: " + i)

products = {p["sku"]: p for p in PROFILE["products"]}
ratio = PROFILE["pricing"]["alert_below_ratio"]
lines = open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8").read().splitlines()
if len(lines) != len(rows):
    fail("line count")
ids = set()
for line, m in zip(lines, meta):
    obj = json.loads(line)
    if set(obj) != {"post", "expect"}:
        fail("top-level keys")
    p, e = obj["post"], obj["expect"]
    for k in ("id", "platform", "account", "text", "created_at"):
        if k not in p:
            fail("missing " + k)
    if not isinstance(p["id"], str) or not 1 <= len(p["id"]) <= 256:
        fail("id")
    if p["id"] in ids:
        fail("duplicate id " + p["id"])
    ids.add(p["id"])
    if p["platform"] not in PLATFORMS or p.get("kind", "post") not in KINDS:
        fail("platform/kind " + p["id"])
    if not isinstance(p["account"].get("handle"), str) or not p["account"]["handle"]:
        fail("handle")
    if not isinstance(p["text"], str) or len(p["text"].encode("utf-8")) > 65536 or not p["text"]:
        fail("text")
    if not RFC3339.match(p["created_at"]):
        fail("created_at " + p["created_at"])
    when = parse_ts(p["created_at"])
    if not (2026 <= when.year <= 2027):
        fail("year")
    if not isinstance(e["categories"], list) or e["categories"] != sorted(set(e["categories"])):
        fail("categories not sorted/unique")
    if not set(e["categories"]) <= TAXO or e["severity"] not in SEV:
        fail("taxonomy")
    if "<<" in p["text"]:
        fail("unfilled placeholder")
    role = role_of(p["platform"], p["account"]["handle"])
    benign = not e["categories"]
    if benign and e["severity"] != "none":
        fail("benign severity")
    # recomputed severity
    recorded_ok = any(k in ("iban", "card", "bsn") and ok for k, _, ok in m["rec"])
    if e["severity"] != severity(e["categories"], role, recorded_ok):
        fail("severity mismatch " + p["id"])
    text = p["text"]
    # identifiers found by pattern must match the label
    for hit in IBAN_RE.findall(text):
        compact = hit.replace(" ", "")
        if compact in company_ibans:
            continue
        if benign and iban_valid(compact):
            fail("valid IBAN in negative " + p["id"])
        if not benign and not iban_valid(compact):
            fail("invalid IBAN in positive " + p["id"])
        if iban_valid(compact) and "leak.pii" not in e["categories"]:
            fail("valid IBAN without pii " + p["id"])
    for hit in CARD_RE.findall(text):
        if benign and luhn_valid(hit):
            fail("Luhn-valid number in negative %s: %s" % (p["id"], hit))
        if not benign and not luhn_valid(hit):
            fail("Luhn-invalid card in positive %s: %s" % (p["id"], hit))
    for hit in BSN_RE.findall(text):
        if benign and bsn_valid(hit):
            fail("11-proof number in negative " + p["id"])
        if not benign and not bsn_valid(hit):
            fail("non-11-proof BSN in positive " + p["id"])
    for kind, val, ok in m["rec"]:
        if kind == "iban" and iban_valid(val) != ok:
            fail("iban record")
        if kind == "card" and luhn_valid(val) != ok:
            fail("card record")
        if kind == "bsn" and bsn_valid(val) != ok:
            fail("bsn record")
        if ok and kind in ("iban", "card", "bsn") and benign:
            fail("valid identifier in benign " + p["id"])
        if not ok and not benign:
            fail("look-alike in positive " + p["id"])
        if kind == "github" and not github_token_ok(val):
            fail("github crc")
        if kind == "akid" and not re.fullmatch(r"AKIA[A-Z2-7]{16}", val):
            fail("akid")
        if kind == "jwt" and not jwt_ok(val):
            fail("jwt")
    # embargo terms: before `until` -> confidential; benign only after `until`
    low = text.lower()
    for emb in PROFILE["embargo"]:
        until = parse_ts(emb["until"])
        for term in emb["terms"]:
            if term.lower() in low:
                if when < until and "leak.confidential" not in e["categories"]:
                    fail("embargo term before until not confidential " + p["id"])
                if benign and when < until:
                    fail("benign embargo before until " + p["id"])
    for word in PROFILE["internal"]["codenames"] + PROFILE["internal"]["markers"] + \
            PROFILE["internal"]["domains"]:
        if word.lower() in low and "leak.confidential" not in e["categories"]:
            fail("internal term without confidential %s: %s" % (p["id"], word))
    # pricing: positives far below list price, benign price mentions not
    if m["price"]:
        sku, val = m["price"]
        lp = products[sku]["list_price"]
        if "leak.pricing" in e["categories"] and not val < ratio * lp:
            fail("pricing positive not below ratio " + p["id"])
        if benign and val < ratio * lp:
            fail("benign price below ratio " + p["id"])
        if benign and val < 0.69 * lp:
            fail("benign sale deeper than 30% " + p["id"])
        pstr = ("%.2f" % val).rstrip("0").rstrip(".")
        variants = {("%.2f" % val), ("%.2f" % val).replace(".", ","), pstr, pstr.replace(".", ",")}
        if not any(v in text for v in variants):
            fail("price not in text " + p["id"])
        names = [products[sku]["name"]] + products[sku]["aliases"]
        if not any(n.lower() in low for n in names):
            fail("product not named " + p["id"])
    if "leak.pricing" in e["categories"] and not m["price"]:
        fail("pricing case without price meta " + p["id"])
    if "leak.secret" in e["categories"] and benign:
        fail("?")

# mix
from collections import Counter
cnt = Counter(cat for r in rows for cat in r["expect"]["categories"])
n = len(rows)
n_benign = sum(1 for r in rows if not r["expect"]["categories"])
langs = Counter(r["post"].get("lang") for r in rows)
roles = Counter(role_of(r["post"]["platform"], r["post"]["account"]["handle"]) for r in rows)
if not 170 <= n <= 180:
    fail("case count %d" % n)
if not 55 <= n_benign <= 65:
    fail("benign count %d" % n_benign)
want = {"reputation.complaint": 20, "leak.confidential": 18, "leak.pii": 15,
        "reputation.crisis": 15, "leak.security": 13, "leak.secret": 12,
        "reputation.abuse": 12, "leak.pricing": 12, "leak.financial": 12}
for cat, w in want.items():
    if not w - 2 <= cnt[cat] <= w + 3:
        fail("category %s count %d, want ~%d" % (cat, cnt[cat], w))
nl_share = langs["nl"] / n
if not 0.50 <= nl_share <= 0.60:
    fail("Dutch share %.2f" % nl_share)
if len(PROFILE["accounts"]["corporate"]) < 6 or len(PROFILE["accounts"]["employee"]) < 8:
    fail("accounts")
if not 15 <= len(PROFILE["products"]) <= 25:
    fail("products")
if any(p.get("currency") != "EUR" for p in PROFILE["products"]):
    fail("currency")
if len(PROFILE["internal"]["codenames"]) != 3 or len(PROFILE["internal"]["markers"]) != 3:
    fail("codenames/markers")
if not all(parse_ts(e["until"]).year == 2027 for e in PROFILE["embargo"]):
    fail("embargo until")
print("ok: %d cases, %d benign, %d positive" % (n, n_benign, n - n_benign))
print("categories:", dict(sorted(cnt.items())))
print("languages:", dict(langs), "nl share %.2f" % nl_share)
print("roles:", dict(roles))
print("severities:", dict(Counter(r["expect"]["severity"] for r in rows)))
