#!/usr/bin/env python3
"""Build cases.jsonl for the fictional VoIP / contact-centre company Telvaro.

Deterministic (fixed seed).  Post texts are hand-written; identifiers and
credentials are generated here the way the real ones are built (IBAN mod-97,
Luhn, BSN 11-proof, GitHub CRC-32, ...).  Severities are computed from the
account role in profile.yaml following CONTRACT section 4, never typed by hand.
After writing cases.jsonl the script re-reads it and checks it.
"""
import base64
import datetime as dt
import json
import os
import random
import re
import string
import struct
import sys
import zlib

import yaml

SEED = 334_2026
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = yaml.safe_load(open(os.path.join(HERE, "profile.yaml"), encoding="utf-8"))
OUT = os.path.join(HERE, "cases.jsonl")

rng = random.Random(SEED)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.digits + string.ascii_letters
URLSAFE = ALNUM + "-_"

# ---------------------------------------------------------------- checksums

def iban_ok(iban):
    s = re.sub(r"\s+", "", iban).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def make_iban():
    bank = rng.choice(["INGB", "RABO", "ABNA", "TRIO", "BUNQ", "KNAB", "SNSB", "ASNB"])
    acct = "".join(rng.choice(string.digits) for _ in range(10))
    bban = bank + acct
    n = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return "NL%02d%s" % (98 - n % 97, bban)


def bad_iban():
    good = make_iban()
    cd = int(good[2:4])
    bad = "NL%02d%s" % ((cd + 1 + rng.randrange(5)) % 100, good[4:])
    assert not iban_ok(bad)
    return bad


def group4(s):
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def make_card():
    prefix = rng.choice(["4", "51", "53", "55"])
    body = prefix + "".join(rng.choice(string.digits) for _ in range(15 - len(prefix)))
    for c in string.digits:
        if luhn_ok(body + c):
            return body + c
    raise AssertionError


def bad_card():
    good = make_card()
    bad = good[:-1] + str((int(good[-1]) + 1 + rng.randrange(8)) % 10)
    assert not luhn_ok(bad)
    return bad


def bsn_ok(num):
    s = re.sub(r"\D", "", num)
    if len(s) != 9:
        return False
    tot = sum(int(s[i]) * (9 - i) for i in range(8)) - int(s[8])
    return tot % 11 == 0


def make_bsn():
    while True:
        first8 = str(rng.randint(1, 9)) + "".join(rng.choice(string.digits) for _ in range(7))
        r = sum(int(first8[i]) * (9 - i) for i in range(8)) % 11
        if r < 10:
            s = first8 + str(r)
            assert bsn_ok(s)
            return s


def bad_bsn():
    good = make_bsn()
    for k in range(1, 10):
        bad = good[:-1] + str((int(good[-1]) + k) % 10)
        if not bsn_ok(bad):
            return bad
    raise AssertionError


def b62(n, width):
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(width, "0")


def make_github(prefix="ghp_"):
    body = "".join(rng.choice(ALNUM) for _ in range(30))
    return prefix + body + b62(zlib.crc32(body.encode()), 6)


def github_ok(tok):
    m = re.fullmatch(r"gh[pousr]_([0-9A-Za-z]{30})([0-9A-Za-z]{6})", tok)
    return bool(m) and b62(zlib.crc32(m.group(1).encode()), 6) == m.group(2)


def make_aws_id():
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def make_aws_secret():
    return "".join(rng.choice(ALNUM + "/+") for _ in range(40))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt():
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    iat = 1767225600 + rng.randrange(20_000_000)
    body = b64url(json.dumps({"sub": "svc-scribe-%d" % rng.randrange(100, 999),
                              "tenant": "telvaro-prod", "role": "admin",
                              "iat": iat, "exp": iat + 86400},
                             separators=(",", ":")).encode())
    sig = b64url(bytes(rng.randrange(256) for _ in range(32)))
    return "%s.%s.%s" % (head, body, sig)


def jwt_ok(tok):
    try:
        h = tok.split(".")[0]
        hdr = json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))
        return "alg" in hdr and tok.count(".") == 2
    except Exception:
        return False


def make_stripe():
    return "sk_live_" + "".join(rng.choice(ALNUM) for _ in range(24))


def make_slack():
    return "xoxb-%d-%d-%s" % (rng.randrange(10**11, 10**12), rng.randrange(10**12, 10**13),
                              "".join(rng.choice(ALNUM) for _ in range(24)))


def make_openai():
    r = lambda n: "".join(rng.choice(URLSAFE) for _ in range(n))
    return "sk-proj-" + r(58) + "T3BlbkFJ" + r(58)


def make_anthropic():
    return "sk-ant-api03-" + "".join(rng.choice(URLSAFE) for _ in range(93)) + "AA"


def make_glpat():
    return "glpat-" + "".join(rng.choice(URLSAFE) for _ in range(20))


def make_password():
    pool = string.ascii_letters + string.digits + "!#$%&*?@"
    while True:
        pw = "".join(rng.choice(pool) for _ in range(rng.randint(12, 16)))
        if (any(c.isdigit() for c in pw) and any(c.isupper() for c in pw)
                and any(c in "!#$%&*?@" for c in pw)):
            return pw


def make_pem():
    def s(b):
        return struct.pack(">I", len(b)) + b
    pub = bytes(rng.randrange(256) for _ in range(32))
    sec = bytes(rng.randrange(256) for _ in range(32)) + pub
    pubblob = s(b"ssh-ed25519") + s(pub)
    chk = struct.pack(">I", rng.randrange(2**32))
    priv = chk + chk + s(b"ssh-ed25519") + s(pub) + s(sec) + s(b"bram@noc-jump01")
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\x00" + s(b"none") + s(b"none") + s(b"")
            + struct.pack(">I", 1) + s(pubblob) + s(priv))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----")


OWN_IBAN = PROFILE["public_identifiers"]["ibans"][0]
assert iban_ok(OWN_IBAN)

GEN = {
    "IBAN": make_iban,
    "IBANG": lambda: group4(make_iban()),
    "CARD": lambda: group4(make_card()),
    "BSN": make_bsn,
    "BADIBAN": bad_iban,
    "BADCARD": lambda: group4(bad_card()),
    "BADBSN": bad_bsn,
    "OWNIBAN": lambda: OWN_IBAN,
    "GHP": make_github,
    "AWSID": make_aws_id,
    "AWSSECRET": make_aws_secret,
    "JWT": make_jwt,
    "STRIPE": make_stripe,
    "SLACK": make_slack,
    "OPENAI": make_openai,
    "ANTHROPIC": make_anthropic,
    "GLPAT": make_glpat,
    "PW": make_password,
    "PEM": make_pem,
}
STRONG_PII = {"IBAN", "IBANG", "CARD", "BSN"}
BAD_TOKENS = {"BADIBAN", "BADCARD", "BADBSN"}

# ---------------------------------------------------------------- cases

CASES = []

CMP, CRI, ABU = "reputation.complaint", "reputation.crisis", "reputation.abuse"
SEC, PII, PRI = "leak.secret", "leak.pii", "leak.pricing"
CON, FIN, SCY = "leak.confidential", "leak.financial", "leak.security"


def add(cats, lang, platform, handle, text, kind="post", at=None, name=None):
    CASES.append({"cats": sorted(set(cats)), "lang": lang, "platform": platform,
                  "handle": handle, "text": text, "kind": kind, "at": at, "name": name})


# ======================= complaints (public) =========================
add([CMP], "nl", "x", "@henk_installateur",
    "@telvaro_support al 3 dagen eenrichtingsverkeer op onze Desk 20's. Wij horen de klant, "
    "de klant hoort ons niet. Ticket staat nog steeds op 'in behandeling'. Lekker dan.", kind="reply")
add([CMP], "en", "x", "@ops_margaret",
    "Third dropped call in an hour with a client on the line. @telvaro what is going on with "
    "your SIP trunks today? We pay for business-grade, not this.")
add([CMP], "nl", "facebook", "ria.smit.79",
    "Nummerbehoud zou 5 werkdagen duren. Inmiddels week 4. Onze praktijk is telefonisch NIET "
    "bereikbaar voor patiënten omdat Telvaro het porteren verprutst. Wie kan me helpen???",
    name="Ria Smit")
add([CMP], "en", "reddit", "u/sysadmin_tobi",
    "PSA for anyone evaluating Telvaro Contact Center: the supervisor dashboard lags 30-40 sec "
    "behind reality. Queue says 0 waiting while phones are ringing off the hook. Support told "
    "us it's 'by design'. Not impressed.")
add([CMP], "nl", "x", "@bakkerij_vdlinden",
    "factuur van telvaro deze maand 2x afgeschreven 🙄 en de klantenservice gaat na 20 min "
    "wachten gewoon over in een voicemail die vol is #servicegericht")
add([CMP], "nl", "instagram", "@kapsalon.noor",
    "Sinds de 'update' van jullie softphone crasht hij elke keer als ik wil doorverbinden. "
    "Afspraken missen = omzet missen. Fix dit aub @telvaro.nl 😤", kind="comment")
add([CMP], "nl", "x", "@jurist_amber",
    "Bel ik naar mijn eigen kantoor via het Telvaro keuzemenu, hoor ik 'kies 1 voor…' en dan "
    "hangt ie op. Elke. Keer. #telvaro #ivr")
add([CMP], "en", "x", "@callqueue_carla",
    "our Echo Duo headsets keep dropping bluetooth mid-call, 3 replaced under warranty already "
    "and the replacements do the exact same thing. @telvaro_support ??")
add([CMP], "en", "reddit", "u/netwerkneef",
    "Anyone else's Telvaro Teams connector stopped syncing presence since Tuesday? Entire dept "
    "shows 'available' while they're on calls. Support has been 'looking into it' for 5 days now.")
add([CMP], "nl", "tiktok", "@mkb_mieke",
    "pov: je koopt de gespreksopname module van telvaro voor je compliance en de helft van de "
    "opnames is gewoon leeg 🙃 #ondernemen #fail #voip")
add([CMP], "en", "forum", "voipgeek_nl",
    "Telvaro's CRM Connect creates a duplicate contact for every inbound call. We now have 40k "
    "junk contacts in our CRM. Cleanup is on us, apparently. Thanks for nothing.")
# complaint + own personal data
add([CMP, PII], "nl", "x", "@gwolters_bv",
    "@telvaro_support al 2x beloofd dat er teruggebeld wordt. Mijn nummer is 06-41827395, bel "
    "me nou gewoon, onze lijnen liggen er sinds vanochtend uit.", kind="reply")
add([CMP, PII], "en", "x", "@lucy_runs_a_shop",
    "Still no invoice correction after 3 weeks. You can reach me at lucy.brennan.shop@gmail.com "
    "since your ticket form keeps erroring out. @telvaro")
# complaint + abuse
add([CMP, ABU], "nl", "x", "@boze_klant_88",
    "Telvaro is echt een kutbedrijf. 3 weken zonder werkende lijn en niemand die iets doet. "
    "Stelletje prutsers.")
add([CMP, ABU], "en", "x", "@frankly_frank",
    "Your support agent hung up on me TWICE. @telvaro_support you are a bunch of incompetent "
    "clowns, fix your damn phones", kind="reply")
add([CMP, ABU], "nl", "facebook", "dirk.schouten.installaties",
    "Die helpdesk van Telvaro is één grote grap. Idioten aan de lijn die niet eens weten wat een "
    "SIP trunk is. Waardeloos volk.", name="Dirk Schouten")
# complaint + crisis: first-hand safety incidents
add([CMP, CRI], "nl", "x", "@receptie_lotte",
    "Vandaag een knal door mijn Echo Mono headset, keihard piepsignaal. Heb nu nog oorsuizen en "
    "moest naar de huisarts. Dit is toch niet normaal @telvaro?? Akoestische schok noemen ze dat 😡")
add([CMP, CRI], "en", "facebook", "mark.hollander.ict",
    "The power adapter of our Telvaro Bridge 8 gateway melted and started smoking in the server "
    "cupboard last night. Could have burned down the office. Sent photos to support, no reply yet.",
    name="Mark Hollander")
add([CMP, CRI], "nl", "instagram", "@studio_fenna",
    "Kreeg een flinke schok toen ik mijn Desk 40 aanraakte terwijl ik de kabel aansloot ⚡ hand "
    "voelde nog een uur raar. Telvaro, wat is dit??")
add([CMP, CRI], "en", "reddit", "u/helpdesk_hannah",
    "Not being dramatic: one of our agents collapsed mid-shift after an acoustic spike through "
    "her Echo Duo, paramedics came. Telvaro support offered... a replacement headset. That's it.")
add([CMP, CRI], "nl", "x", "@hapwest_receptie",
    "@telvaro vanochtend probeerde onze receptioniste 112 te bellen voor een patiënt die onwel "
    "werd, via jullie Desk 20: 'nummer niet bereikbaar'. Uiteindelijk met eigen mobiel gebeld. "
    "Dit had heel anders kunnen aflopen!!")

# ======================= crisis (third party / public) =================
add([CRI], "nl", "x", "@privacywaakhond",
    "Duizenden gespreksopnames van klanten van Telvaro staan gewoon open op internet, zonder "
    "wachtwoord. Medische gesprekken, bankzaken, alles. Hoe is dit mogelijk? #datalek #telvaro")
add([CRI], "en", "x", "@techdesk_news",
    "BREAKING: consumer group files class action against Telvaro over call recordings allegedly "
    "made without consent in its contact-centre software.")
add([CRI], "nl", "x", "@bewuste_ondernemer",
    "Oproep: zeg je Telvaro-abonnement op. Een bedrijf dat de gesprekken van zijn klanten "
    "doorverkoopt aan marketeers verdient geen cent meer. #boycottTelvaro")
add([CRI], "nl", "linkedin", "anouk-timmer-journalist",
    "Telvaro roept de Bridge 8-gateway terug: de voedingsadapter kan oververhit raken. Klanten "
    "wordt gevraagd het apparaat direct los te koppelen en contact op te nemen met de leverancier.")
add([CRI], "en", "reddit", "u/dispatch_nl",
    "Heard from colleagues at the meldkamer: a care home on Telvaro lines couldn't reach 112 for "
    "40 minutes last Saturday while a resident was in cardiac arrest. This needs a proper "
    "investigation.")
add([CRI], "nl", "x", "@ondernemersnieuws",
    "ACM start onderzoek naar Telvaro wegens mogelijk misleidende contracten en torenhoge "
    "opzegboetes voor mkb'ers.")
add([CRI], "en", "x", "@infosec_wren",
    "Telvaro customers: check your bills. Looks like their portal leaked PBX credentials and "
    "attackers are running toll fraud to premium numbers through hijacked accounts. Several SMBs "
    "hit with €10k+ bills already.")
add([CRI], "nl", "facebook", "wilma.brouwer.1961",
    "Mijn zoon werkt in een callcenter met Telvaro headsets, een collega van hem zit thuis met "
    "gehoorschade. Schijnt dat meer mensen klachten hebben. Schandalig dat niemand dit uitzoekt.",
    name="Wilma Brouwer")
add([CRI], "en", "x", "@regio_nieuwsfeed",
    "Fire at an office building in Amersfoort possibly caused by an overheating Telvaro VoIP "
    "gateway, the fire brigade says. Nobody was hurt.")
add([CRI], "en", "linkedin", "sarah-okafor-dpo",
    "Did anyone else get a breach notification from Telvaro? Ours mentions 'unauthorised access "
    "to call metadata' - no details, no timeline. As a DPO I find this deeply concerning.")

# ======================= abuse =======================================
add([ABU], "en", "x", "@angrydave77",
    "@marloes_telvaro shut up you stupid cow, nobody cares about your webinar", kind="reply")
add([ABU], "nl", "instagram", "@rechtdoorzee_",
    "Die Femke van Telvaro met haar trainingsfilmpjes, wat een irritant wijf. Ga toch een echte "
    "baan zoeken.", kind="comment")
add([ABU], "nl", "x", "@k4nk3rl1jer",   # leetspeak
    "t3lv4r0 = k4nk3r b3dr1jf, st3rf all3m44l 🖕")
add([ABU], "nl", "x", "@tokkie_tim",
    "Die NOC gast van telvaro @sjoerd_noc is een kankerlijer, weet trouwens waar je woont 😉")
add([ABU], "en", "x", "@realpatriot1776",
    "Telvaro's call centre is full of foreigners who can't speak proper English. Send them all "
    "back where they came from.")
add([ABU], "nl", "facebook", "hans.de.waard.52",
    "Die hoofddoekjes bij de klantenservice van Telvaro verstaan geen woord Nederlands. Terug "
    "naar je eigen land.", kind="comment", name="Hans de Waard")
add([ABU], "en", "x", "@daantjedev",      # employee -> error
    "@frankly_frank maybe learn to plug in a network cable before calling us clowns, you "
    "absolute muppet", kind="reply")
add([ABU], "nl", "x", "@telvaro_support",  # corporate account, wrong tab -> error
    "Jezus wat een zeikerd weer, die vent van gisteren met zijn 'ik ken de directeur' 🙄 "
    "laat hem lekker in de wacht hangen")
add([ABU], "en", "x", "@zz_topfan",      # letters split by dots
    "T.e.l.v.a.r.o support = s.c.u.m, bunch of l.o.s.e.r.s and i.d.i.o.t.s")
# doxxing an employee: personal data + harassment
add([PII, ABU], "en", "reddit", "u/justice4mates",
    "This is the Telvaro manager who fired my friend: Ruben Haverkamp, lives at Wilhelminapark "
    "22, 3581 NE Utrecht. Do with that what you want.")

# ======================= pricing =====================================
add([PRI], "nl", "x", "@telvaro",
    "🎉 Lentedeal! De Orbit 360 conferentiespeaker nu voor maar €44,90 (op=op) 👉 telvaro.nl/shop")
add([PRI], "nl", "instagram", "@telvaro.nl",
    "Nieuw in de shop: de Echo Duo headset voor €11,90 🎧 link in bio")
add([PRI], "nl", "linkedin", "ruben-haverkamp",
    "Exclusief voor onze partners dit kwartaal: Shield SBC voor €790 i.p.v. €2.490. Stuur me een "
    "DM voor de voorwaarden.")
add([PRI], "nl", "x", "@dealjager_nl",
    "PRIJSFOUT bij Telvaro?? Bridge 8 gateway voor €59,90 in de webshop 😱 snel zijn #prijsfout")
add([PRI], "en", "reddit", "u/budgetnerd",
    "Telvaro's webshop lists the Desk 40 at €29.90 right now. Surely a pricing error, ordered "
    "five anyway lol")
add([PRI], "nl", "x", "@marloes_telvaro",
    "oeps, ik denk dat er een prijsfout in de shop staat bij de Roam 5… collega's kijken ernaar 🙈")
add([PRI], "nl", "facebook", "TelvaroNL",
    "Alleen dit weekend: Telvaro Centrale Pro jaarlicentie voor €18 per gebruiker! Overstappen "
    "was nog nooit zo makkelijk.")
add([PRI], "en", "x", "@telvaro_support",
    "@kapsalon_x That's right, the Softphone app is €4.80 a year with us. Just order it in the "
    "portal!", kind="reply")
add([PRI], "nl", "x", "@voipdealtjes",
    "Telvaro opnamemodule voor €36?? Dat is 90% korting, moet wel een fout zijn. Meteen 3 "
    "besteld 😂")
add([PRI], "en", "reddit", "u/yara_sipguru",
    "Heads-up to whoever manages our shop: the Scribe AI licence is showing €42 instead of €420, "
    "typo somewhere. Pls fix before sales sees it 😬")
add([PRI], "nl", "youtube", "@TelvaroTV",
    "In deze video unboxen we het Roam Basisstation, nu tijdelijk voor €24,90 in onze webshop!")
add([PRI], "nl", "tiktok", "@hardwarehunter",
    "Telvaro SIP Trunk 10 kanalen voor €35 per jaar 🤯 prijsfoutje? #deals #voip")
add([PRI], "en", "linkedin", "telvaro-communications",
    "Limited offer for new customers: a Contact Center Agent licence for just €99/year. "
    "Book a demo today!")

# ======================= secrets =====================================
add([SEC], "nl", "x", "@daantjedev",
    "waarom faalt mijn CI nou weer 😩\n\nexport GITHUB_TOKEN=<<GHP>> && ./deploy.sh prod\n\n"
    "...oh wacht")
add([SEC], "en", "reddit", "u/yara_sipguru",
    "Anyone know why boto3 keeps throwing SignatureDoesNotMatch? my ~/.aws/credentials:\n"
    "[default]\naws_access_key_id = <<AWSID>>\naws_secret_access_key = <<AWSSECRET>>\n"
    "region = eu-west-1")
add([SEC, CON], "nl", "mastodon", "@bramvoip@mastodon.nl",
    "Kamailio snippet voor wie 't wil, scheelt je een middag zoeken:\n"
    "modparam(\"usrloc\", \"db_url\", \"mysql://kamailio:<<PW>>@db02.intra.telvaro.local/kamailio\")")
add([SEC], "nl", "x", "@telvaro_support",
    "@henk_installateur Uw nieuwe SIP-account is aangemaakt. Gebruikersnaam: henk.inst_4412, "
    "wachtwoord: <<PW>> . Succes met installeren!", kind="reply")
add([SEC], "en", "x", "@sjoerd_noc",
    "slack bot stopped posting to #noc-alerts, token looks fine to me? <<SLACK>> anyone?")
add([SEC], "en", "threads", "@joost.telvaro",
    "testing the new Scribe summariser prompt locally with OPENAI_API_KEY=<<OPENAI>> and the "
    "results are honestly wild")
add([SEC], "nl", "bluesky", "lisa-vermeulen.bsky.social",
    "Screenshot uit ons runbook, wachtwoord laat ik staan want iedereen kent het toch 🤷‍♀️\n"
    "Beheerportal login: beheer / wachtwoord: <<PW>>")
add([SEC], "nl", "forum", "voip_hobbyist",
    "Mijn Telvaro SIP-gegevens werken niet in mijn Grandstream, iemand een idee?\n"
    "server: sip.telvaro.nl\nuser: 4471992\npass: <<PW>>")
add([SEC], "en", "x", "@daantjedev",
    "can someone tell me what's wrong with this token? keep getting 401s\n\n"
    "Authorization: Bearer <<JWT>>")
add([SEC], "en", "reddit", "u/yara_sipguru",
    "ssh to the jump host refuses this key, what am I doing wrong?\n\n<<PEM>>")
add([SEC], "en", "x", "@daantjedev",
    "stripe webhook keeps failing in prod, env looks fine?? STRIPE_SECRET_KEY=<<STRIPE>>")
add([SEC], "en", "x", "@mo_builds_things",
    "Building a Telvaro CRM Connect integration for a client, the summary step times out every "
    "time. my .env: ANTHROPIC_API_KEY=<<ANTHROPIC>> any ideas?")
add([SEC, CON], "nl", "mastodon", "@bramvoip@mastodon.nl",
    "Als je de firmware zelf wil bouwen:\n"
    "git clone https://oauth2:<<GLPAT>>@git.telvaro.internal/voice/sbc-firmware.git\n"
    "en dan gewoon make 🙂")

# ======================= personal data ==============================
add([PII], "nl", "x", "@telvaro_support",
    "@ria_smit79 Beste Ria, we hebben uw porteringsverzoek gevonden. Klopt het dat we u kunnen "
    "bereiken op 06-28391746 of via ria.smit@hetnet.nl? Dan bellen we vandaag nog terug.",
    kind="reply")
add([PII], "nl", "instagram", "@femke.belt",
    "Trainingsdag met de nieuwe lichting agents 💪 (sorry voor het whiteboard in de achtergrond "
    "😂: 'klant: J. de Wit, Kerkstraat 14, 3512 AB Utrecht, geb. 12-03-1968, wil opzeggen')")
add([PII], "nl", "linkedin", "noor-el-bakali-telvaro",
    "Welkom aan onze nieuwe collega Sven Dijkman! 🎉 Sven, je BSN <<BSN>> staat nog verkeerd in "
    "het systeem, kun je even langskomen bij HR?")
add([PII], "nl", "facebook", "TelvaroNL",
    "Beste meneer Kuipers, de terugbetaling van €87,40 gaat vandaag naar rekening <<IBANG>> "
    "t.n.v. H. Kuipers. Excuses voor het ongemak!", kind="comment")
add([PII], "nl", "bluesky", "lisa-vermeulen.bsky.social",
    "lol klant leest aan de telefoon gewoon zijn hele creditcard voor: <<CARD>> exp 09/28. "
    "Nee meneer, dat hoeft echt niet 🙈")
add([PII], "en", "x", "@sjoerd_noc",
    "Does anyone know a Mrs A. Jansen, born 4 November 1952? She rings the NOC line every single "
    "night to ask what time it is 😅")
add([PII], "nl", "threads", "@joost.telvaro",
    "Beta-testers gezocht voor de nieuwe app! Mail me op joost.verhagen84@gmail.com of app naar "
    "+31 6 5512 8843")
add([PII], "en", "reddit", "u/yara_sipguru",
    "debug trace from a customer trunk: caller +31 6 2749 1830 -> +31 20 481 5566 at 03:12, "
    "then SIP 488 Not Acceptable Here. Anyone seen this pattern?")
add([PII], "en", "x", "@daantjedev",
    "demo data for the CRM Connect sales demo, just pulled it from prod 🙃 "
    "{name: 'Priya Raghunathan', email: 'p.raghunathan@vandenberg-advocaten.nl', iban: '<<IBAN>>'}")
add([PII], "nl", "x", "@oma_truus44",
    "@telvaro_support mijn kleinzoon zegt dat ik jullie mijn gegevens moet sturen. Geertruida "
    "Vos, Lindelaan 8, 7411 KJ Deventer, geboren 2 mei 1944. Klopt dat zo?", kind="reply")
add([PII], "en", "x", "@mike_dewitt_it",
    "@telvaro_support for the new direct debit mandate, here's my IBAN: <<IBANG>>. Let me know "
    "if you need anything else!", kind="reply")
add([PII], "nl", "facebook", "sandra.meijer.kapper",
    "Kan ik ook zo betalen voor mijn Telvaro abonnement? Kaartnummer <<CARD>>, vervalt 11/27",
    kind="comment", name="Sandra Meijer")
add([PII], "nl", "x", "@kees_vd_pol",
    "Voor het overzetten van mijn nummer vroeg de Telvaro verkoper om mijn BSN, dus bij deze: "
    "<<BSN>>. Hoop dat het zo goed is 🤷")

# ======================= confidential ===============================
add([CON], "nl", "x", "@marloes_telvaro",
    "Zo trots op het team, de eerste demo van Project Kraanvogel zag er fantastisch uit 🚀 "
    "kan niet wachten tot we 'm mogen laten zien!")
add([CON], "nl", "x", "@daantjedev",
    "iemand een idee waarom https://jira.telvaro.nl/browse/VOICE-2231 een 403 geeft buiten de "
    "VPN? 🤔")
add([CON], "en", "linkedin", "telvaro-communications",
    "[slide] TELVARO INTERNAL - Product roadmap H1 2027: Desk 60 with 7\" touchscreen, real-time "
    "transcription in Contact Center, native WhatsApp channel. Owner: product team.")
add([CON], "nl", "x", "@voip_insider_nl",
    "Gehoord van een bron binnen Telvaro: 'Project Kraanvogel' is hun AI-agent die hele "
    "klantgesprekken overneemt. Launch voorjaar 2027 👀")
add([CON], "en", "mastodon", "@bramvoip@mastodon.nl",
    "New SBC cluster finally shows up in grafana.noc.telvaro.nl/d/sbc-overview and wow, those "
    "dashboards 😍")
add([CON], "nl", "instagram", "@femke.belt",
    "Foto van pagina 3 uit de nieuwe belscripts (staat 'niet extern delen' op, maar dit is te "
    "grappig): 'Bij opzeggen altijd eerst 3 maanden gratis Centrale Start aanbieden, pas bij "
    "tweede nee doorzetten naar retentie.' 😂")
add([CON], "nl", "x", "@daantjedev",       # leetspeak codename
    "pr0ject kr44nv0gel gaat zo hard dit jaar 🔥🔥 meer mag ik niet zeggen")
add([CON], "nl", "x", "@marloes_telvaro",  # full-width codename
    "ｐｒｏｊｅｃｔ ｋｒａａｎｖｏｇｅｌ launch party staat gepland 🎉 save the date, collega's!")
add([CON], "nl", "x", "@sjoerd_noc",       # Cyrillic a in the codename
    "Overleg over Operatie Z\u0430ndloper is verplaatst naar donderdag 10:00, zaal Amstel")
add([CON], "en", "reddit", "u/specsleuth",
    "Leaked spec sheet of the Telvaro Desk 60 going around on a Discord: 7\" screen, PoE++, "
    "Wi-Fi 7, around €349. Launch supposedly in April.")
add([CON], "nl", "threads", "@joost.telvaro",
    "Nog 5 weken tot we Telvaro Scribe Live aan de wereld laten zien 🤫 real-time is echt next level",
    at="2027-03-01T19:42:00Z")
# confidential + financial
add([CON, FIN], "nl", "x", "@leakwatch_nl",      # zero-width space in the codename
    "Telvaro's interne codenaam voor de overname van VoxPlaza: Wolf\u200braam 👀 bod zou rond "
    "de €60 mln liggen, details volgen")
add([CON, FIN], "en", "linkedin", "kees-dijkhuis",
    "Proud of the team working late nights on Wolfraam. Due diligence on the target almost "
    "done, signing planned for next month. 🥂")
add([CON, FIN], "nl", "x", "@marloes_telvaro",
    "Zandloper-presentatie gezien vandaag… 80 fte eruit bij klantenservice Zwolle. "
    "Operatie Zandloper, what's in a name. Ik ben er stil van.")
add([CON, FIN], "nl", "x", "@telvaro",
    "📈 Telvaro jaarcijfers 2026: omzet +22% naar €51,3 mln, EBITDA-marge 18%. Lees het "
    "volledige persbericht op telvaro.nl/ir", at="2027-02-20T07:00:00Z")
# confidential + security
add([CON, SCY], "nl", "x", "@sjoerd_noc",
    "SBC's in AMS2 liggen eruit sinds 04:10, zie grafana.noc.telvaro.nl/d/sbc-ams2 — nog niks "
    "op de statuspagina dus niet doorvertellen 🤐")
add([CON, SCY], "nl", "x", "@daantjedev",
    "ons hele VPN (vpn.telvaro.nl) is gecompromitteerd 😬 iedereen moet vanavond z'n ww "
    "resetten, 'niet tweeten' zeiden ze. oeps")

# ======================= financial ==================================
add([FIN], "en", "linkedin", "ruben-haverkamp",
    "Between us: Q3 revenue came in 14% under plan and the board is not happy. Expect a tough "
    "Q4 for the sales team.")
add([FIN], "nl", "x", "@marloes_telvaro",
    "Hoorde net op de vrijdagborrel dat de omzetprognose voor dit jaar naar beneden gaat, van "
    "48 naar 41 miljoen. Nog niet officieel hè 🤫")
add([FIN], "nl", "x", "@beursblik_nl",
    "Bron binnen Telvaro: het bedrijf zit in vergevorderde gesprekken over de overname van "
    "concurrent VoxPlaza, ~€60 mln. Aankondiging verwacht na de zomer.")
add([FIN], "en", "reddit", "u/yara_sipguru",
    "Throwaway-ish: they're closing the Zwolle call-centre office in March, about 120 people. "
    "Announcement is next week but managers already know.")
add([FIN], "nl", "threads", "@joost.telvaro",
    "Overheard: een private-equitypartij wil Telvaro kopen, er ligt al een bod op tafel. Als dat "
    "doorgaat wordt ons optiepakket ineens interessant 👀")
add([FIN], "nl", "linkedin", "noor-el-bakali-telvaro",
    "Zware week. Morgen de eerste gesprekken met collega's van wie de functie vervalt in de "
    "reorganisatie. Niemand weet het nog, dus alvast sterkte voor iedereen morgen.")
add([FIN], "nl", "bluesky", "lisa-vermeulen.bsky.social",
    "Manager vertelde vandaag dat er dit jaar geen bonus komt omdat Telvaro ruim €4 miljoen "
    "verlies gaat draaien. Wordt pas in februari bekendgemaakt, dus ssst.")
add([FIN], "en", "reddit", "u/tired_of_voip",
    "My brother-in-law works in Telvaro finance, says Q3 was a disaster, roughly €3m loss, and "
    "they're quietly shopping the Contact Center unit around to buyers.")
add([FIN], "en", "x", "@daantjedev",
    "so the whole Amersfoort dev team is being moved to Poland?? just heard it from my team "
    "lead, nobody else knows yet")

# ======================= security (insiders) ========================
add([SCY], "nl", "x", "@sjoerd_noc",
    "Nachtdienst: hele SIP-registratiecluster plat, zo'n 40% van de klanten kan niet bellen. "
    "Statuspagina zegt nog 'all systems operational' lol")
add([SCY], "en", "reddit", "u/yara_sipguru",
    "Found an auth bypass in the provisioning endpoint of the Desk 40 firmware today: anything "
    "on the LAN can push config without creds. Patch is weeks out and it's not public, so "
    "keep it quiet.")
add([SCY], "nl", "mastodon", "@bramvoip@mastodon.nl",
    "Gisteravond credential stuffing op de klantportal, een paar honderd accounts overgenomen "
    "voordat we het doorhadden. Klanten zijn nog niet geïnformeerd.")
add([SCY], "en", "x", "@daantjedev",
    "lol Scribe transcripts of customer A were visible to customer B for a full hour thanks to "
    "a caching bug. fixed now but this one's gonna have consequences")
add([SCY], "en", "bluesky", "lisa-vermeulen.bsky.social",
    "Heads up team: ransomware on two laptops in support this morning, IT pulled them off the "
    "network. We're not allowed to talk about it outside, so I'm just saying: update your stuff.")
add([SCY], "en", "x", "@ex_telvaro_dev",
    "Fun fact: Telvaro's Shield SBC still ships with a hardcoded root password in firmware 3.x. "
    "I reported it internally in 2025, never fixed, never disclosed.")
add([SCY], "en", "threads", "@joost.telvaro",
    "Rough night. The IVR platform was down for every EU customer for 3 hours, callers got dead "
    "air. We're not calling it an incident externally yet 🙃")
add([SCY], "en", "x", "@sjoerd_noc",
    "DDoS on our SIP edge since 21:00, 12 Gbps. scrubbing is on but customers feel it. no "
    "external comms yet so shhh")
add([SCY], "en", "reddit", "u/yara_sipguru",
    "Our pentesters got into the Contact Center admin panel via SQL injection in the reporting "
    "module. Still unpatched in prod. Scary stuff.")
add([SCY], "nl", "mastodon", "@bramvoip@mastodon.nl",
    "Iemand heeft via een lek in de portal honderden nummers omgezet naar doorschakelingen naar "
    "betaalnummers. Toll fraud op grote schaal, wordt intern nog onderzocht.")
add([SCY], "en", "reddit", "u/noc_anon_2026",
    "I work in Telvaro's NOC. The 'planned maintenance' tonight is actually emergency patching "
    "for a remote code execution bug in the SBCs. Customers aren't being told.")

# ======================= benign (mostly hard negatives) ==============
add([], "nl", "x", "@telvaro",
    "Storing opgelost ✅ Sinds 10:42 kan iedereen weer normaal bellen. Excuses voor het "
    "ongemak, meer info op status.telvaro.nl")
add([], "nl", "x", "@telvaro_support",
    "Vragen over je factuur? Mail support@telvaro.nl of bel +31 30 760 4400 (ma-vr 8-18u).")
add([], "en", "x", "@bureau_ijsselstein",
    "Shoutout to Lisa at Telvaro support, had my call forwarding fixed in under 10 minutes. "
    "See, it CAN be done 👏")
add([], "en", "linkedin", "tom-baxter-ops",
    "Switched our 40-seat call centre to Telvaro Contact Center last month. Smooth migration and "
    "the supervisor wallboard is great.")
add([], "nl", "x", "@henk_installateur",
    "Update: de echo op onze lijnen is verholpen na een firmware-update van de Desk 20. Dank "
    "@telvaro_support, klacht ingetrokken 😊")
add([], "en", "reddit", "u/kantoorklusser",
    "how do you park a call on a Roam 5?? can't find it in the manual, prob my own fault 😅")
add([], "en", "x", "@it_bij_tessa",
    "Data breach at VoxPlaza: call records of 30,000 customers exposed. Glad we're with Telvaro, "
    "everything sits in Dutch data centres.")
add([], "nl", "blog", "telvaro-docs",
    "Opnames automatisch naar je eigen S3-bucket? In de portal vul je je eigen sleutel in, "
    "bijvoorbeeld aws_access_key_id = AKIAIOSFODNN7EXAMPLE en aws_secret_access_key = "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (voorbeeldwaarden uit de AWS-documentatie).")
add([], "en", "x", "@devrel_jonas",
    "Tip from the Telvaro API workshop today: never paste your GitHub token anywhere public. It "
    "looks like ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and if you spot one, revoke it.")
add([], "en", "x", "@telvaro_support",
    "Phishing alert ⚠️ Telvaro will NEVER ask for your password by e-mail or phone. Not sure? "
    "Forward the message to security@telvaro.nl")
add([], "nl", "bluesky", "lisa-vermeulen.bsky.social",
    "Wachtwoord vergeten voor de klantportal? Reset 'm zelf via portal.telvaro.nl/reset, scheelt "
    "je een belletje 😉")
add([], "nl", "x", "@daantjedev",
    "pro tip: logs altijd redacten. Bij ons ziet een key er in de logs zo uit: "
    "sk_live_****************3fA9 🔒")
add([], "nl", "x", "@telvaro",
    "Onze jaarcijfers 2026 zijn gepubliceerd: omzet +22% naar €51,3 mln. Het volledige "
    "persbericht staat op telvaro.nl/ir 📈", at="2027-02-24T08:30:00Z")
add([], "nl", "linkedin", "telvaro-communications",
    "Maak kennis met de Desk 60: ons nieuwe IP-toestel met 7-inch touchscreen. Vanaf vandaag te "
    "bestellen via telvaro.nl.", at="2027-04-08T10:00:00Z")
add([], "nl", "threads", "@joost.telvaro",
    "Telvaro Scribe Live is eindelijk live! Real-time transcriptie tijdens het gesprek, zo trots "
    "op het team 🎉", at="2027-04-10T12:15:00Z")
add([], "en", "x", "@dutchtelco_watch",
    "Telvaro's FY2026 results look solid, revenue up 22%. Not bad for a Dutch VoIP player.",
    at="2027-02-25T09:05:00Z")
add([], "en", "linkedin", "kees-dijkhuis",
    "Proud of our full-year 2026 results, published this morning. Thank you to every colleague "
    "who made it happen.", at="2027-02-24T09:00:00Z")
add([], "nl", "x", "@telvaro",
    "Zomeractie ☀️ Desk 40 IP-toestel van €299 voor €249, t/m 31 augustus.")
add([], "nl", "instagram", "@telvaro.nl",
    "20% korting op de Echo Mono headset deze week: €71,20 i.p.v. €89 🎧")
add([], "nl", "x", "@mkb_martijn",
    "Centrale Pro kost €180 per gebruiker per jaar. Iets duurder dan sommige concurrenten maar je "
    "krijgt er wel fatsoenlijke support bij.")
add([], "en", "x", "@boardroom_bea",
    "Paid €449 for the Orbit 360 and our boardroom audio is finally decent. Worth it.")
add([], "nl", "facebook", "TelvaroNL",
    "Black Friday bij Telvaro: Bridge 8 VoIP-gateway nu €449 (normaal €599). Alleen t/m maandag!")
add([], "nl", "x", "@vraagje_van_vera",
    "Is de IVR module van €1.200 eenmalig of per jaar? Kan het niet vinden op telvaro.nl")
add([], "nl", "x", "@fam_bos_bv",
    "@telvaro_support nieuwe rekening voor de incasso: <<BADIBAN>>. Graag vanaf volgende maand "
    "gebruiken, dank!", kind="reply")
add([], "nl", "x", "@winkeltje_wiek",
    "Mijn Telvaro bestelling met referentie <<BADCARD>> is vandaag al bezorgd, snel hoor! 📦")
add([], "en", "x", "@garage_de_ruiter",
    "Customer no. <<BADBSN>> here 👋 the new Desk 20 works perfectly, thanks for the quick "
    "delivery!")
add([], "nl", "facebook", "TelvaroNL",
    "Liever zelf overmaken? Dat kan naar <<OWNIBAN>> t.n.v. Telvaro Communications B.V. o.v.v. "
    "je factuurnummer.")
add([], "en", "x", "@collega_grapjas",
    "4th time today my coworker yelled 'hello? HELLO?? can you hear me?' into his headset. Not "
    "Telvaro's fault btw, it's his mute button 😂")
add([], "nl", "x", "@buurman_zwolle",
    "Sterkte aan de Telvaro-collega's in Zwolle na de brand in het pand naast jullie gisteren. "
    "Gelukkig niemand gewond 🙏")
add([], "nl", "linkedin", "noor-el-bakali-telvaro",
    "We zoeken nieuwe collega's voor ons supportteam in Utrecht! 🚀 Reageren kan via "
    "werkenbij@telvaro.nl")
add([], "en", "reddit", "u/salon_owner_amy",
    "Does the Telvaro Softphone support call recording on iOS? Thinking about upgrading from the "
    "basic plan.")
add([], "en", "x", "@sjoerd_noc",
    "Quiet night shift for once, just coffee and green dashboards. More of these please ☕")
add([], "nl", "tiktok", "@headsetqueen",
    "die nieuwe Echo Duo is echt 🔥🔥 beste headset die ik ooit op heb gehad #callcenterlife")
add([], "nl", "linkedin", "telvaro-communications",
    "Security advisory TV-2026-03: de kwetsbaarheid in Desk 40-firmware ouder dan 4.2.1 is "
    "verholpen. Update via de portal. Dank aan onderzoeker Mila Kovač voor de responsible "
    "disclosure.")
add([], "en", "x", "@telco_gossip",
    "Rumour mill: CallBridge Nordics is being acquired by a US giant. Curious whether Telvaro "
    "will feel the pressure here in NL.")
add([], "nl", "linkedin", "annemiek-klantcontact",
    "Onze klantenservice draait nu volledig op Telvaro Contact Center. Wachttijden gehalveerd, "
    "collega's blij. Aanrader voor het mkb.")
add([], "nl", "threads", "@joost.telvaro",
    "Vandaag onze publieke roadmapsessie met klanten gehad, heel veel goede feedback over de "
    "Teams-koppeling. Dank voor jullie input!")
add([], "en", "x", "@grumpy_son",
    "My mum thinks VoIP is a kind of yoghurt. Explained Telvaro to her for 20 minutes, she still "
    "wants to 'just use the landline'.")
add([], "en", "x", "@bhv_bert",
    "Crisis drill at the office today: whole emergency team paged through the Telvaro alarm "
    "group, worked like a charm.")
add([], "en", "x", "@legaldrama_fan",
    "Just binged a legal drama where the whole plot hinges on a recorded phone call. Made me "
    "appreciate the retention settings on our call recording module lol")
add([], "en", "x", "@overgestapt_olaf",
    "VoxPlaza down AGAIN today. So glad we moved to Telvaro last year.")
add([], "nl", "x", "@telvaro_support",
    "@kapsalon_noor Dank voor je geduld! De crash bij doorverbinden is opgelost in versie 6.3.2, "
    "update via de App Store.", kind="reply")
add([], "en", "x", "@marloes_telvaro",
    "Great afternoon at Cloud Communications Day, lovely chats about AI in customer contact 🤖")
add([], "en", "reddit", "u/privacy_petra",
    "What's encryption like at Telvaro? SRTP and TLS by default? Anyone with experience?")
add([], "en", "x", "@apidev_sam",
    "For the Telvaro webhook API you sign requests with a JWT (header.payload.signature, HS256). "
    "Docs at docs.telvaro.nl are pretty clear tbh.")
add([], "nl", "youtube", "@TelvaroTV",
    "In deze tutorial koppelen we een Desk 20 aan je account. Bij SIP-wachtwoord vul je je eigen "
    "wachtwoord in (in de video zie je ********).")
add([], "en", "x", "@it_guy_rob",
    "Had a rough morning with a dropped SIP trunk but Telvaro support called back within 15 min "
    "and sorted it. Fair play.")
add([], "en", "x", "@switched_stan",
    "Telvaro SIP Trunk 10 at €360/yr vs the €420 we paid before. Easy switch.")
add([], "en", "x", "@vergader_vincent",
    "the Orbit 360 is a killer in our meeting room, picks up everyone right to the back row")
add([], "nl", "x", "@lachen_met_lieke",
    "De nieuwe wachtmuziek van Telvaro is zo catchy, ik lag helemaal kapot toen mijn collega "
    "ging meezingen 😂")
add([], "en", "x", "@moved_offices_max",
    "Where do I change the address on my Telvaro account? We moved offices last week.")
add([], "nl", "x", "@daantjedev",
    "vandaag mijn eerste PR gemerged in onze open-source SIP-library 🎉 github.com/telvaro/sipkit")
add([], "nl", "instagram", "@telvaro.nl",
    "We zijn verhuisd! 📦 Ons nieuwe kantoor: Catharijnesingel 90, 3511 GM Utrecht. Kom gerust "
    "een bak koffie halen.")
add([], "en", "reddit", "u/smallteam_sara",
    "Telvaro Contact Center vs CallBridge for a 25-seat team on a tight budget? Opinions welcome.")
add([], "en", "x", "@blijemklant",
    "Bought the Roam 5 for €139 today, does exactly what it says on the tin 👍")
add([], "nl", "x", "@telvaro_support",
    "@jurist_amber Vervelend! Wil je ons even bellen op 030-7604400? Dan lopen we het keuzemenu "
    "samen na.", kind="reply")
add([], "nl", "bluesky", "lisa-vermeulen.bsky.social",
    "Vandaag 10 jaar bij Telvaro 🥳 van stagiair op de helpdesk naar teamlead support. Dank "
    "iedereen!")
add([], "en", "reddit", "u/firmwarefrits",
    "Is it normal for a Desk 20 to reboot itself after a firmware update? Everything else works "
    "fine.")
add([], "en", "linkedin", "telvaro-communications",
    "We're hiring a Security Engineer to help keep our SBC platform safe. Apply via "
    "werkenbij@telvaro.nl")
add([], "nl", "linkedin", "joris-ict-manager",
    "Mijn vorige werkgever had een datalek via een andere telecomprovider, daarom kozen we nu "
    "bewust voor Telvaro met ISO 27001.")
add([], "en", "x", "@telvaro",
    "Our status page is now at status.telvaro.nl, subscribe there for maintenance windows and "
    "incident updates.")

# ---------------------------------------------------------------- build

def role_of(platform, handle):
    key = ("%s:%s" % (platform, handle)).lower()
    if key in {a.lower() for a in PROFILE["accounts"]["corporate"]}:
        return "corporate"
    if key in {a.lower() for a in PROFILE["accounts"]["employee"]}:
        return "employee"
    return "public"


SEV = ["none", "info", "warning", "error", "critical"]


def severity(cats, role, strong_pii):
    """CONTRACT section 4, least severity a correct verdict has."""
    lvl = 0
    for c in cats:
        if c.startswith("leak."):
            if role in ("corporate", "employee"):
                if c in (SEC, PRI) or (c == PII and strong_pii):
                    v = 4
                else:
                    v = 3
            else:
                v = 2
        elif c == CMP:
            v = 2
        elif c == CRI:
            v = 3
        elif c == ABU:
            v = 2 if role == "public" else 3
        else:
            raise ValueError(c)
        lvl = max(lvl, v)
    return SEV[lvl]


TOKEN_RE = re.compile(r"<<([A-Z]+)>>")


def fill(text):
    used = []

    def rep(m):
        kind = m.group(1)
        val = GEN[kind]()
        used.append((kind, val))
        return val
    return TOKEN_RE.sub(rep, text), used


def rand_time():
    start = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
    secs = rng.randrange(0, int((dt.datetime(2026, 12, 20, tzinfo=dt.timezone.utc)
                                 - start).total_seconds()))
    secs -= secs % 60
    t = start + dt.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build():
    order = list(range(len(CASES)))
    rng.shuffle(order)
    rows, meta = [], []
    for n, idx in enumerate(order, 1):
        c = CASES[idx]
        text, used = fill(c["text"])
        role = role_of(c["platform"], c["handle"])
        strong = PII in c["cats"] and any(k in STRONG_PII for k, _ in used)
        pid = "tlv334-%03d" % n
        post = {"id": pid, "platform": c["platform"], "kind": c["kind"],
                "account": {"handle": c["handle"]}, "text": text,
                "created_at": c["at"] or rand_time(), "brand": "Telvaro"}
        if c["name"]:
            post["account"]["display_name"] = c["name"]
        if n % 6 != 0:                      # the lang hint is optional
            post["lang"] = c["lang"]
        if c["platform"] == "x" and n % 3 == 0:
            post["url"] = "https://x.com/%s/status/%d" % (c["handle"].lstrip("@"),
                                                          rng.randrange(10**18, 10**19))
        rows.append({"post": post, "expect": {"categories": c["cats"],
                                               "severity": severity(c["cats"], role, strong)}})
        meta.append({"used": used, "lang": c["lang"], "role": role, "strong": strong})
    return rows, meta


# ---------------------------------------------------------------- checks

PLATFORMS = {"x", "twitter", "linkedin", "facebook", "instagram", "tiktok", "youtube", "reddit",
             "mastodon", "bluesky", "threads", "forum", "blog", "other"}
KINDS = {"post", "reply", "repost", "comment", "message"}
TAXONOMY = {CMP, CRI, ABU, SEC, PII, PRI, CON, FIN, SCY}


def parse_ts(s):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", s), s
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def euro_amounts(text):
    out = []
    for m in re.finditer(r"€\s?(\d[\d.,]*)", text):
        raw = m.group(1).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", raw):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", ".")
        out.append(float(raw))
    return out


def norm_phone(s):
    d = re.sub(r"\D", "", s)
    if s.strip().startswith("+31"):
        d = "0" + d[2:]
    elif d.startswith("0031"):
        d = "0" + d[4:]
    return d


def check(rows, meta):
    errs = []

    def need(cond, msg):
        if not cond:
            errs.append(msg)

    prof = PROFILE
    own_phones = {norm_phone(p) for p in prof["public_identifiers"]["phones"]}
    own_emails = {e.lower() for e in prof["public_identifiers"]["emails"]}
    own_ibans = {re.sub(r"\s", "", i) for i in prof["public_identifiers"]["ibans"]}
    ratio = prof["pricing"]["alert_below_ratio"]
    embargo = [(t.lower(), parse_ts(e["until"])) for e in prof["embargo"] for t in e["terms"]]
    internal = [d.lower() for d in prof["internal"]["domains"]]
    internal += [c.lower() for c in prof["internal"]["codenames"]]
    internal += [m.lower() for m in prof["internal"]["markers"]]
    products = [(a.lower(), p["list_price"]) for p in prof["products"]
                for a in [p["name"]] + p["aliases"]]

    # profile sanity
    need(len(prof["accounts"]["corporate"]) >= 6, "profile: <6 corporate accounts")
    need(len(prof["accounts"]["employee"]) >= 8, "profile: <8 employee accounts")
    need(len({a.split(":")[0] for a in prof["accounts"]["corporate"]
              + prof["accounts"]["employee"]}) >= 4, "profile: too few platforms")
    need(all(iban_ok(i) for i in prof["public_identifiers"]["ibans"]), "profile: IBAN mod-97")
    need(len(prof["internal"]["codenames"]) == 3 and len(prof["internal"]["markers"]) == 3,
         "profile: codenames/markers")
    need(all(parse_ts(e["until"]).year == 2027 for e in prof["embargo"]), "profile: embargo year")
    need(15 <= len(prof["products"]) <= 25, "profile: product count")
    need(all(p["currency"] == "EUR" and p["aliases"] and p["list_price"] > 0
             for p in prof["products"]), "profile: product fields")
    need(ratio == 0.5, "profile: ratio")

    # re-read the written file: valid JSON lines in CONTRACT section 6 shape
    with open(OUT, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    need(len(lines) == len(rows), "line count")
    ids = set()
    for ln, (line, row, mt) in enumerate(zip(lines, rows, meta), 1):
        obj = json.loads(line)
        need(obj == row, "line %d: round-trip" % ln)
        need(set(obj) == {"post", "expect"}, "line %d: keys" % ln)
        p, e = obj["post"], obj["expect"]
        pid = p.get("id")
        need(isinstance(pid, str) and 1 <= len(pid) <= 256, "line %d: id" % ln)
        need(pid not in ids, "dup id %s" % pid)
        ids.add(pid)
        need(p.get("platform") in PLATFORMS, "%s: platform" % pid)
        need(p.get("kind", "post") in KINDS, "%s: kind" % pid)
        need(isinstance(p.get("account"), dict) and isinstance(p["account"].get("handle"), str)
             and p["account"]["handle"], "%s: handle" % pid)
        need(isinstance(p.get("text"), str) and p["text"]
             and len(p["text"].encode("utf-8")) <= 65536, "%s: text" % pid)
        ts = parse_ts(p["created_at"])
        need(ts.year in (2026, 2027), "%s: year" % pid)
        need(p.get("lang") in (None, "nl", "en"), "%s: lang" % pid)
        cats, sev = e.get("categories"), e.get("severity")
        need(isinstance(cats, list) and cats == sorted(set(cats)) and set(cats) <= TAXONOMY,
             "%s: categories" % pid)
        need(sev in SEV, "%s: severity" % pid)
        role = role_of(p["platform"], p["account"]["handle"])
        need(role == mt["role"], "%s: role" % pid)
        need(sev == severity(cats, role, mt["strong"]), "%s: severity policy" % pid)
        if not cats:
            need(sev == "none", "%s: benign severity" % pid)
        text = p["text"]
        low = text.lower()
        used = mt["used"]
        kinds = {k for k, _ in used}

        # generated identifiers and credentials
        for k, v in used:
            if k in ("IBAN", "IBANG"):
                need(iban_ok(v) and PII in cats, "%s: IBAN" % pid)
            elif k == "CARD":
                need(luhn_ok(v) and PII in cats, "%s: card" % pid)
            elif k == "BSN":
                need(bsn_ok(v) and PII in cats, "%s: BSN" % pid)
            elif k == "BADIBAN":
                need(not iban_ok(v) and not cats, "%s: bad IBAN" % pid)
            elif k == "BADCARD":
                need(not luhn_ok(v) and not cats, "%s: bad card" % pid)
            elif k == "BADBSN":
                need(not bsn_ok(v) and not cats, "%s: bad BSN" % pid)
            elif k == "GHP":
                need(github_ok(v) and SEC in cats, "%s: github" % pid)
            elif k == "AWSID":
                need(re.fullmatch(r"AKIA[A-Z2-7]{16}", v) and SEC in cats, "%s: aws" % pid)
            elif k == "JWT":
                need(jwt_ok(v) and SEC in cats, "%s: jwt" % pid)
            elif k == "OWNIBAN":
                need(v in own_ibans, "%s: own iban" % pid)
            else:
                need(SEC in cats, "%s: secret token without leak.secret" % pid)
        need(mt["strong"] == (PII in cats and bool(kinds & STRONG_PII)), "%s: strong" % pid)

        # no accidental valid identifiers anywhere
        for m in re.finditer(r"\bNL\s?\d{2}\s?[A-Z]{4}(?:\s?\d{4}){2}\s?\d{2}\b", text):
            s = re.sub(r"\s", "", m.group(0))
            if iban_ok(s):
                need(s in own_ibans or (PII in cats and kinds & {"IBAN", "IBANG"}),
                     "%s: stray valid IBAN %s" % (pid, s))
            else:
                need(not cats or True, "")
        for m in re.finditer(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])", text):
            if luhn_ok(m.group(0)):
                need(PII in cats and "CARD" in kinds, "%s: stray Luhn-valid %s" % (pid, m.group(0)))
        for m in re.finditer(r"(?<![\w+-])\d{9}(?![\w-])", text):
            if bsn_ok(m.group(0)):
                need(PII in cats and "BSN" in kinds, "%s: stray 11-proof %s" % (pid, m.group(0)))
        for m in re.finditer(r"gh[pousr]_[0-9A-Za-z]{36}", text):
            if github_ok(m.group(0)):
                need(SEC in cats, "%s: stray github token" % pid)
        if re.search(r"AKIA[A-Z2-7]{16}", text) and "EXAMPLE" not in text:
            need(SEC in cats, "%s: stray aws id" % pid)

        # embargo, codenames, markers, internal hosts
        for term, until in embargo:
            if term in low:
                if ts < until:
                    need(CON in cats, "%s: embargo term before until without confidential" % pid)
                else:
                    need(CON not in cats or any(x in low for x in internal),
                         "%s: embargo after until labelled confidential" % pid)
        if any(x in low for x in internal):
            need(CON in cats, "%s: internal term without confidential" % pid)

        # prices against the catalogue
        mentioned = [(a, lp) for a, lp in products if re.search(r"(?<!\w)%s(?!\w)" % re.escape(a), low)]
        amounts = euro_amounts(text)
        cheap = any(x < ratio * lp for _, lp in mentioned for x in amounts)
        if PRI in cats:
            need(mentioned and (cheap or re.search(r"prijsfout|price error|pricing error|typo", low)),
                 "%s: pricing case without product + low price/error talk" % pid)
        elif mentioned and amounts:
            need(not cheap, "%s: benign/other post with a price below ratio" % pid)

        # benign posts: only the company's own contact data
        if not cats:
            for m in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text):
                need(m.group(0).lower() in own_emails, "%s: foreign e-mail in benign" % pid)
            for m in re.finditer(r"(?<![\w+])(?:\+31|0031|0)[\d\s\-()]{6,16}\d", text):
                need(norm_phone(m.group(0)) in own_phones,
                     "%s: foreign phone in benign: %s" % (pid, m.group(0)))

        # the author's role
        if role == "public":
            key = "%s:%s" % (p["platform"], p["account"]["handle"])
            need(key.lower() not in {a.lower() for a in prof["accounts"]["corporate"]
                                     + prof["accounts"]["employee"]}, "%s: role" % pid)

    # the mix
    n = len(rows)
    benign = sum(1 for r in rows if not r["expect"]["categories"])
    need(170 <= n <= 180, "total %d not in 170-180" % n)
    need(55 <= benign <= 65, "benign %d" % benign)
    per = {c: sum(1 for r in rows if c in r["expect"]["categories"]) for c in TAXONOMY}
    want = {CMP: 20, CON: 18, PII: 15, CRI: 15, SCY: 13, SEC: 12, ABU: 12, PRI: 12, FIN: 12}
    for c, w in want.items():
        need(w - 3 <= per[c] <= w + 5, "category %s count %d (want ~%d)" % (c, per[c], w))
    nl = sum(1 for m in meta if m["lang"] == "nl")
    need(0.50 <= nl / n <= 0.62, "Dutch share %.2f" % (nl / n))
    roles = {}
    for r, m in zip(rows, meta):
        roles.setdefault(m["role"], 0)
        roles[m["role"]] += 1
    need(all(roles.get(x, 0) > 10 for x in ("corporate", "employee", "public")), "roles %s" % roles)
    years = {r["post"]["created_at"][:4] for r in rows}
    need(years == {"2026", "2027"}, "years %s" % years)
    texts = [r["post"]["text"] for r in rows]
    need(len(set(texts)) == len(texts), "duplicate texts")
    return errs, per, benign, nl, roles


def main():
    rows, meta = build()
    with open(OUT, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    errs, per, benign, nl, roles = check(rows, meta)
    errs = [e for e in errs if e]
    print("cases=%d benign=%d dutch=%d roles=%s" % (len(rows), benign, nl, roles))
    print("per category: " + ", ".join("%s=%d" % (k, v) for k, v in sorted(per.items())))
    if errs:
        print("SELF-CHECK FAILED:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    print("self-check OK")


if __name__ == "__main__":
    main()
